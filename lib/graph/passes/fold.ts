// Constant folding: nodes whose inputs are all constants are evaluated once at compile time when
// the op's evaluation is exact (see lib/graph/const-eval.ts); Shape of a value whose shape is fully
// known, and any integer value that shape inference propagated to known numbers (the
// Shape -> Gather -> Concat chains of exported graphs), become constants too.
import type { Graph, Node } from '../ir';
import { inferShapes } from '../infer';
import { getOp } from '../../onnx/registry';
import { type Tensor, isFloat, makeTensor } from '../tensor';

export interface FoldOptions {
  /** Largest folded result, in elements (default 2^24); bigger results stay computed at run time. */
  maxElements?: number;
}

/** Folds constants in place; returns the number of nodes replaced by constants. */
export function foldConstants(g: Graph, opts: FoldOptions = {}): number {
  const max = opts.maxElements ?? 1 << 24;
  const state = inferShapes(g);
  let folded = 0;
  const keep: Node[] = [];
  for (const n of g.nodes) {
    const spec = getOp(n.opType, n.domain);
    let results: Tensor[] | undefined;
    const allConst = n.inputs.every((i) => !i || g.constants.has(i));
    if (spec?.evaluate && allConst) {
      try {
        results = spec.evaluate(n.inputs.map((i) => (i ? g.constants.get(i) : undefined)), n, spec);
      } catch {
        results = undefined; // leave it to the engine (and its error reporting)
      }
    }
    if (!results && n.outputs.length === 1) {
      // Values known from shape inference (Shape of a static tensor, and shape arithmetic on it).
      const info = g.values.get(n.outputs[0]);
      const sym = state.sym.get(n.outputs[0]);
      if (info?.dtype && !isFloat(info.dtype) && info.shape && info.shape.length <= 1 && sym && sym.every((d) => typeof d === 'number')) {
        const dims = info.shape.length === 0 ? [] : [sym.length];
        if (info.shape.length === 0 || info.shape[0] === sym.length)
          results = [makeTensor(info.dtype, dims, (info.dtype === 'int64' || info.dtype === 'uint64' ? sym.map((v) => BigInt(v as number)) : sym) as number[])];
      }
    }
    if (results && results.length >= n.outputs.filter((o) => o).length && results.every((t) => t.data.length <= max)) {
      n.outputs.forEach((o, i) => {
        if (!o) return;
        g.constants.set(o, results![i]);
        g.values.delete(o);
      });
      folded++;
      continue;
    }
    keep.push(n);
  }
  g.nodes = keep;
  return folded;
}
