// HardSwish recognition: the decomposed forms exporters write (paddle2onnx, opset < 14 exports)
//
//   Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6)       Mul(x, Div(Clip(Add(x, 3), 0, 6), 6))
//   Mul(Mul(x, Clip(Add(x, 3), 0, 6)), 1/6)     Mul(x, Mul(Clip(Add(x, 3), 0, 6), 1/6))
//   Mul(x, HardSigmoid(x, alpha = 1/6, beta = 0.5))
//
// (operands of Add / Mul in either order) become one HardSwish(x). Intermediate values must be
// read only by the pattern and must not be graph outputs. HardSwish computes
// x * max(0, min(1, x / 6 + 1 / 2)) in one rounding sequence; the decomposed arithmetic rounds
// at every step, so results differ by a few float32 ulps. It matters for speed (one op, fusable
// into the preceding Conv) and for int8 (one table instead of four quantized ops).
import type { Graph, Node } from '../ir';
import { inferShapes } from '../infer';
import { getNum, isFloat } from '../tensor';

function scalarConst(g: Graph, v: string): number | undefined {
  const t = g.constants.get(v);
  return t && t.data.length === 1 && isFloat(t.dtype) ? getNum(t, 0) : undefined;
}

const near = (a: number | undefined, b: number, tol = 1e-6) => a !== undefined && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

/** Fuses decomposed HardSwish patterns in place; returns the count fused. */
export function fuseHardSwish(g: Graph): number {
  inferShapes(g);
  const producers = g.producers();
  const consumers = g.consumers();
  const drop = new Set<Node>();
  /** The producer of v when it is `op`, read only by one node and not a graph output. */
  const inner = (v: string, op: string): Node | undefined => {
    const p = producers.get(v);
    if (!p || p.opType !== op || p.domain !== '' || drop.has(p) || g.isOutput(v)) return undefined;
    return (consumers.get(v) ?? []).length === 1 ? p : undefined;
  };
  /** The non-constant operand of a binary node whose other operand is the scalar `c`. */
  const withScalar = (n: Node, c: number, commutative: boolean): string | undefined => {
    if (near(scalarConst(g, n.inputs[1]), c)) return n.inputs[0];
    if (commutative && near(scalarConst(g, n.inputs[0]), c)) return n.inputs[1];
    return undefined;
  };
  /** Clip(Add(x, 3), 0, 6) -> [x, nodes]. */
  const relu6Shift = (v: string): [string, Node[]] | undefined => {
    const clip = inner(v, 'Clip');
    if (!clip || !near(scalarConst(g, clip.inputs[1] ?? ''), 0) || !near(scalarConst(g, clip.inputs[2] ?? ''), 6)) return undefined;
    const add = inner(clip.inputs[0], 'Add');
    const x = add && withScalar(add, 3, true);
    return x ? [x, [clip, add]] : undefined;
  };
  /** h(x) = Clip(Add(x,3),0,6) / 6 in the forms Div(., 6) or Mul(., 1/6); or HardSigmoid(x, 1/6, 0.5). */
  const gate = (v: string): [string, Node[]] | undefined => {
    const hs = inner(v, 'HardSigmoid');
    if (hs && near(hs.attrs.alpha as number, 1 / 6) && near((hs.attrs.beta as number | undefined) ?? 0.5, 0.5)) return [hs.inputs[0], [hs]];
    const div = inner(v, 'Div');
    if (div && near(scalarConst(g, div.inputs[1]), 6)) {
      const r = relu6Shift(div.inputs[0]);
      return r ? [r[0], [div, ...r[1]]] : undefined;
    }
    const mul = inner(v, 'Mul');
    if (mul) {
      const t = withScalar(mul, 1 / 6, true);
      const r = t ? relu6Shift(t) : undefined;
      return r ? [r[0], [mul, ...r[1]]] : undefined;
    }
    return undefined;
  };
  let fused = 0;
  for (const n of g.nodes) {
    if (n.domain !== '' || drop.has(n) || g.info(n.outputs[0]).dtype !== 'float32') continue;
    let x: string | undefined;
    let parts: Node[] = [];
    if (n.opType === 'Mul') {
      // Mul(x, gate(x)) in either order.
      for (const [a, b] of [[0, 1], [1, 0]]) {
        const r = gate(n.inputs[b]);
        if (r && r[0] === n.inputs[a]) {
          x = r[0];
          parts = r[1];
          break;
        }
      }
      // Mul(Mul(x, relu6Shift(x)), 1/6)
      if (!x) {
        const t = withScalar(n, 1 / 6, true);
        const m = t ? inner(t, 'Mul') : undefined;
        if (m)
          for (const [a, b] of [[0, 1], [1, 0]]) {
            const r = relu6Shift(m.inputs[b]);
            if (r && r[0] === m.inputs[a]) {
              x = r[0];
              parts = [m, ...r[1]];
              break;
            }
          }
      }
    } else if (n.opType === 'Div' && near(scalarConst(g, n.inputs[1]), 6)) {
      const m = inner(n.inputs[0], 'Mul');
      if (m)
        for (const [a, b] of [[0, 1], [1, 0]]) {
          const r = relu6Shift(m.inputs[b]);
          if (r && r[0] === m.inputs[a]) {
            x = r[0];
            parts = [m, ...r[1]];
            break;
          }
        }
    }
    if (!x) continue;
    for (const p of parts) {
      drop.add(p);
      for (const o of p.outputs) g.values.delete(o);
    }
    n.opType = 'HardSwish';
    n.inputs = [x];
    n.attrs = {};
    fused++;
  }
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  return fused;
}
