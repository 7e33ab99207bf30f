// LayerNormalization recognition: the decomposed form exporters write for opsets < 17
//
//   mean = ReduceMean(x, axes, keepdims=1)      d = Sub(x, mean)
//   var  = ReduceMean(Pow(d, 2), axes, keepdims=1)
//   y    = Div(d, Sqrt(Add(var, eps)))  [ -> Mul(y, gamma) ] [ -> Add(., beta) ]
//
// over trailing axes [k, rank) becomes one LayerNormalization(x, gamma, beta, axis=k,
// epsilon=eps) (gamma = ones when there is no Mul). Every intermediate value must have exactly
// the readers of the pattern and must not be a graph output; gamma and beta must be constants
// shaped like the normalised dims. The fused op may compute the variance in another order than
// the decomposed graph (onnxruntime uses E[x^2] - E[x]^2), so results differ by rounding; the
// tests bound it.
import type { Graph, Node } from '../ir';
import { type Tensor, getNum, isFloat, makeTensor, numel } from '../tensor';
import { inferShapes } from '../infer';

function scalarConst(g: Graph, v: string): number | undefined {
  const t = g.constants.get(v);
  return t && t.data.length === 1 && isFloat(t.dtype) ? getNum(t, 0) : undefined;
}

/** Fuses decomposed layer norms in place; returns the count fused. */
export function fuseLayerNorm(g: Graph): number {
  inferShapes(g);
  const consumers = g.consumers();
  const only = (v: string, op: string): Node | undefined => {
    const c = consumers.get(v) ?? [];
    return c.length === 1 && c[0].opType === op && c[0].domain === '' && !g.isOutput(v) ? c[0] : undefined;
  };
  const axesOf = (n: Node, rank: number): number[] | undefined => {
    if ((n.attrs.keepdims ?? 1) !== 1 || !n.inputs[1]) return undefined;
    const t = g.constants.get(n.inputs[1]);
    if (!t) return undefined;
    const ax = Array.from(t.data as BigInt64Array, (v) => Number(v)).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
    // trailing and contiguous
    if (!ax.length || ax[ax.length - 1] !== rank - 1 || ax.some((a, i) => i > 0 && a !== ax[i - 1] + 1)) return undefined;
    return ax;
  };
  const drop = new Set<Node>();
  let fused = 0;
  for (const m1 of g.nodes) {
    if (m1.opType !== 'ReduceMean' || m1.domain !== '' || drop.has(m1)) continue;
    const x = m1.inputs[0];
    const xs = g.info(x).shape;
    const dt = g.info(x).dtype;
    if (!xs || dt !== 'float32') continue;
    const axes = axesOf(m1, xs.length);
    if (!axes) continue;
    const mean = m1.outputs[0];
    const sub = only(mean, 'Sub');
    if (!sub || sub.inputs[0] !== x || sub.inputs[1] !== mean) continue;
    const d = sub.outputs[0];
    const dReaders = consumers.get(d) ?? [];
    if (dReaders.length !== 2 || g.isOutput(d)) continue;
    const pow = dReaders.find((n) => n.opType === 'Pow' && n.inputs[0] === d);
    const div = dReaders.find((n) => n.opType === 'Div' && n.inputs[0] === d);
    if (!pow || !div || scalarConst(g, pow.inputs[1]) !== 2) continue;
    const m2 = only(pow.outputs[0], 'ReduceMean');
    if (!m2 || axesOf(m2, xs.length)?.join() !== axes.join()) continue;
    const add = only(m2.outputs[0], 'Add');
    if (!add) continue;
    const epsName = add.inputs[0] === m2.outputs[0] ? add.inputs[1] : add.inputs[0];
    const eps = scalarConst(g, epsName);
    if (eps === undefined || !(eps >= 0)) continue;
    const sqrt = only(add.outputs[0], 'Sqrt');
    if (!sqrt || only(sqrt.outputs[0], 'Div') !== div || div.inputs[1] !== sqrt.outputs[0]) continue;
    // Optional affine part.
    const normDims = xs.slice(axes[0]);
    if (!normDims.every((v) => typeof v === 'number')) continue;
    const affine = (n: Node | undefined, v: string): Tensor | undefined => {
      if (!n) return undefined;
      const c = n.inputs[0] === v ? n.inputs[1] : n.inputs[0];
      const t = g.constants.get(c);
      if (!t || t.dtype !== 'float32') return undefined;
      const dims = t.dims.slice();
      while (dims.length > normDims.length && dims[0] === 1) dims.shift();
      return dims.join() === normDims.join() ? { ...t, dims: normDims as number[] } : undefined;
    };
    let last = div;
    const mul = only(div.outputs[0], 'Mul');
    const gamma = affine(mul, div.outputs[0]);
    if (gamma) last = mul!;
    const addB = gamma ? only(mul!.outputs[0], 'Add') : undefined;
    const beta = affine(addB, mul?.outputs[0] ?? '');
    if (beta) last = addB!;
    const scaleName = g.freshName(`${m1.name}_ln_scale`);
    g.constants.set(scaleName, gamma ?? makeTensor('float32', normDims as number[], new Float32Array(numel(normDims as number[])).fill(1)));
    const inputs = [x, scaleName];
    if (beta) {
      const b = g.freshName(`${m1.name}_ln_bias`);
      g.constants.set(b, beta);
      inputs.push(b);
    }
    const ln: Node = { name: g.freshName(`${m1.name}_LayerNormalization`), opType: 'LayerNormalization', domain: '', inputs, outputs: [last.outputs[0]], attrs: { axis: axes[0], epsilon: eps } };
    // The fused node takes the place of the last node of the pattern (all inputs are defined by then).
    for (const n of [m1, sub, pow, m2, add, sqrt, div, ...(gamma ? [mul!] : []), ...(beta ? [addB!] : [])]) drop.add(n);
    Object.assign(last, ln);
    drop.delete(last);
    fused++;
  }
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  return fused;
}
