// Shape and type inference over the IR, with data propagation of small integer tensors (the
// Shape -> Gather -> Concat -> Reshape chains that exported graphs use), and binding of symbolic
// dims to concrete ones from the feeds.
import { type Dim, type Graph, type Node, type Shape, type ValueInfo, GraphError } from './ir';
import { isKnown, sameDim, substDim } from './dims';
import { type InInfo, type OutInfo, type OpSpec, InferCtx, arity, getOp } from '../onnx/registry';
import { formatShape, isFloat, toInts } from './tensor';

/** Inference state carried across nodes: propagated integer values and the symbol counter. */
export class InferState {
  /** Known values of small integer tensors, as dims. */
  readonly sym = new Map<string, Dim[]>();
  private used = new Set<string>();
  private n = 0;

  constructor(g: Graph) {
    for (const v of g.inputs) for (const d of v.shape ?? []) if (typeof d === 'string') this.used.add(d);
  }

  fresh(hint: string): string {
    let s: string;
    do s = `${hint.replace(/[^A-Za-z0-9_./:-]/g, '_')}#${++this.n}`;
    while (this.used.has(s));
    this.used.add(s);
    return s;
  }
}

function specOf(node: Node): OpSpec {
  const spec = getOp(node.opType, node.domain);
  if (!spec) throw new GraphError(`node ${node.name}: unsupported op ${node.domain ? node.domain + '.' : ''}${node.opType}`);
  return spec;
}

/** Infers one node's outputs from the graph's current value infos; records them in g.values. */
export function inferNode(g: Graph, node: Node, state: InferState): void {
  const spec = specOf(node);
  const [minIn, maxIn] = arity(spec.inputs);
  const present = node.inputs.length;
  if (present > maxIn) throw new GraphError(`node ${node.name} (${node.opType}): ${present} inputs given, at most ${maxIn} accepted`);
  for (let i = 0; i < minIn; i++)
    if (!node.inputs[i]) throw new GraphError(`node ${node.name} (${node.opType}): required input ${i} (${spec.inputs[i]}) is missing`);
  const [minOut, maxOut] = arity(spec.outputs);
  if (node.outputs.length > maxOut || node.outputs.filter((o) => o).length < Math.min(minOut, 1))
    throw new GraphError(`node ${node.name} (${node.opType}): ${node.outputs.length} outputs, expected ${minOut === maxOut ? minOut : `${minOut} to ${maxOut}`}`);
  for (const [k, a] of Object.entries(spec.attrs))
    if (a.required && node.attrs[k] === undefined) throw new GraphError(`node ${node.name} (${node.opType}): attribute '${k}' is required`);
  const ins: (InInfo | undefined)[] = node.inputs.map((name) => {
    if (!name) return undefined;
    const c = g.constants.get(name);
    if (c) return { name, dtype: c.dtype, shape: c.dims.slice(), value: c, sym: c.dims.length <= 1 && !isFloat(c.dtype) ? toInts(c) : undefined };
    const v = g.values.get(name);
    if (!v) throw new GraphError(`node ${node.name} (${node.opType}) reads '${name}', which is not defined before it`);
    return { name, dtype: v.dtype, shape: v.shape?.slice(), sym: state.sym.get(name) };
  });
  const ctx = new InferCtx(node, spec, ins, (h) => state.fresh(h));
  let outs: OutInfo[];
  try {
    outs = spec.infer(ctx);
  } catch (e) {
    if (e instanceof GraphError) throw e;
    throw new GraphError(`node ${node.name} (${node.opType}): inference failed: ${(e as Error).message}`);
  }
  node.outputs.forEach((o, i) => {
    if (!o) return;
    const r = outs[i] ?? {};
    for (const d of r.shape ?? [])
      if (isKnown(d) && (d < 0 || !Number.isInteger(d)))
        throw new GraphError(`node ${node.name} (${node.opType}): output '${o}' would have dim ${d} (shape ${formatShape(r.shape)})`);
    g.values.set(o, { name: o, dtype: r.dtype, shape: r.shape });
    if (r.sym) state.sym.set(o, r.sym);
    else state.sym.delete(o);
  });
}

/**
 * Infers dtype and shape of every value, in node order (the graph must be sorted). Declared
 * output types are checked; a declared dim fills in a dim inference could not determine.
 * Throws GraphError naming the node on any inconsistency.
 */
export function inferShapes(g: Graph): InferState {
  const state = new InferState(g);
  for (const v of g.inputs) g.values.set(v.name, { name: v.name, dtype: v.dtype, shape: v.shape?.slice() });
  for (const n of g.nodes) inferNode(g, n, state);
  reconcileOutputs(g);
  return state;
}

/** Checks declared output types/shapes against inferred ones and merges the two. */
export function reconcileOutputs(g: Graph): void {
  for (const o of g.outputs) {
    const inf = g.info(o.name);
    if (o.dtype && inf.dtype && o.dtype !== inf.dtype)
      throw new GraphError(`graph output '${o.name}' is declared ${o.dtype} but computed as ${inf.dtype}`);
    let shape = inf.shape;
    if (o.shape && shape) {
      if (o.shape.length !== shape.length)
        throw new GraphError(`graph output '${o.name}' is declared with shape ${formatShape(o.shape)} but computed as ${formatShape(shape)}`);
      shape = shape.map((d, i) => {
        const decl = o.shape![i];
        if (isKnown(d) && isKnown(decl) && d !== decl)
          throw new GraphError(`graph output '${o.name}' is declared with shape ${formatShape(o.shape)} but computed as ${formatShape(inf.shape)}`);
        return isKnown(d) ? d : isKnown(decl) ? decl : d;
      });
    } else if (!shape) shape = o.shape;
    o.dtype = inf.dtype ?? o.dtype;
    o.shape = shape?.slice();
    if (!g.constants.has(o.name)) g.values.set(o.name, { name: o.name, dtype: o.dtype, shape: o.shape?.slice() });
  }
}

/**
 * Binds the graph's symbolic input dims to the concrete shapes of the feeds and re-infers every
 * value. Returns the bound copy (the graph itself is not changed) and the symbol values.
 * Errors (RangeError) for a feed of the wrong rank, a dim that contradicts a fixed one, or one
 * symbol bound to two different sizes.
 */
export function bindShapes(g: Graph, feeds: Record<string, readonly number[]>): { graph: Graph; env: Map<string, number> } {
  const env = new Map<string, number>();
  for (const v of g.inputs) {
    const s = feeds[v.name];
    if (!s) throw new RangeError(`no shape given for input '${v.name}'`);
    if (v.shape && s.length !== v.shape.length)
      throw new RangeError(`input '${v.name}' has rank ${v.shape.length} (${formatShape(v.shape)}), got shape [${s.join(', ')}]`);
    s.forEach((d, i) => {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`input '${v.name}' dim ${i} must be a non-negative integer, got ${d}`);
      const decl = v.shape?.[i];
      if (isKnown(decl) && decl !== d) throw new RangeError(`input '${v.name}' dim ${i} must be ${decl}, got ${d}`);
      if (typeof decl === 'string') {
        const prev = env.get(decl);
        if (prev !== undefined && prev !== d) throw new RangeError(`dim '${decl}' is ${prev} in one input and ${d} in input '${v.name}'`);
        env.set(decl, d);
      }
    });
  }
  for (const k of Object.keys(feeds)) if (!g.inputs.some((v) => v.name === k)) throw new RangeError(`'${k}' is not an input of the model (inputs: ${g.inputs.map((v) => v.name).join(', ')})`);
  const b = g.clone();
  b.inputs = b.inputs.map((v) => ({ ...v, shape: feeds[v.name].slice() }));
  b.outputs = b.outputs.map((o) => ({ name: o.name, dtype: o.dtype, shape: o.shape?.map((d) => substDim(d, env)) }));
  b.values.clear();
  inferShapes(b);
  return { graph: b, env };
}

/** True when every dim of every value is a number. */
export function allConcrete(g: Graph): boolean {
  for (const v of g.values.values()) if (!v.shape || !v.shape.every(isKnown)) return false;
  return true;
}

/** The shapes two inferences agree on (used by tests to compare symbolic with bound results). */
export function shapesAgree(a: Shape | undefined, b: Shape | undefined, env: Map<string, number>): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return a.every((d, i) => {
    const x = substDim(d, env);
    return !isKnown(x) || sameDim(x, b[i]);
  });
}

export type { ValueInfo };
