// BatchNormalization folding into the preceding Conv, ConvTranspose or Gemm.
//
//   y = (conv(x) - mean) * s + beta,  s = scale / sqrt(var + eps)
//   => W'[o] = W[o] * s[o],  B'[o] = (B[o] - mean[o]) * s[o] + beta[o]
//
// s, W' and B' are computed in float64 from the float32 parameters and rounded once to float32.
// The folded model differs from the unfolded one by float rounding only (the engine no longer
// rounds the conv output before the affine step); the tests bound the difference.
import type { Graph, Node } from '../ir';
import { type Tensor, makeTensor, numel } from '../tensor';

function f64(t: Tensor): Float64Array | undefined {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') return undefined;
  return Float64Array.from(t.data as Float32Array);
}

/** Folds BatchNormalization nodes into their producers; returns the count folded. */
export function foldBatchNorm(g: Graph): number {
  const producers = g.producers();
  const consumers = g.consumers();
  const drop = new Set<Node>();
  let folded = 0;
  for (const bn of g.nodes) {
    if (bn.opType !== 'BatchNormalization' || bn.domain !== '') continue;
    const x = bn.inputs[0];
    const p = producers.get(x);
    if (!p || p.domain !== '' || !['Conv', 'ConvTranspose', 'Gemm'].includes(p.opType)) continue;
    if ((consumers.get(x) ?? []).length !== 1 || g.isOutput(x)) continue;
    const params = bn.inputs.slice(1).map((n) => g.constants.get(n));
    const w = g.constants.get(p.inputs[1]);
    const b = p.inputs[2] ? g.constants.get(p.inputs[2]) : undefined;
    if (params.some((t) => !t) || !w || (p.inputs[2] && !b)) continue;
    const [scale, beta, mean, vr] = params.map((t) => f64(t!));
    if (!scale || !beta || !mean || !vr || w.dtype !== 'float32' || (b && b.dtype !== 'float32')) continue;
    const eps = Math.fround((bn.attrs.epsilon as number | undefined) ?? 1e-5);
    const C = scale.length;
    const s = new Float64Array(C);
    for (let c = 0; c < C; c++) s[c] = scale[c] / Math.sqrt(vr[c] + eps);
    const W = w.data as Float32Array;
    const nw = new Float32Array(W.length);
    let bias: Float64Array;
    if (p.opType === 'Conv') {
      if (w.dims[0] !== C) continue;
      const per = numel(w.dims.slice(1));
      for (let o = 0; o < C; o++) for (let i = 0; i < per; i++) nw[o * per + i] = W[o * per + i] * s[o];
      bias = b ? Float64Array.from(b.data as Float32Array) : new Float64Array(C);
    } else if (p.opType === 'ConvTranspose') {
      const group = (p.attrs.group as number | undefined) ?? 1;
      const cin = w.dims[0];
      const mg = w.dims[1];
      if (mg * group !== C) continue;
      const per = numel(w.dims.slice(2));
      for (let ci = 0; ci < cin; ci++) {
        const gi = Math.floor(ci / (cin / group));
        for (let j = 0; j < mg; j++) {
          const o = gi * mg + j;
          const base = (ci * mg + j) * per;
          for (let i = 0; i < per; i++) nw[base + i] = W[base + i] * s[o];
        }
      }
      bias = b ? Float64Array.from(b.data as Float32Array) : new Float64Array(C);
    } else {
      // Gemm: Y[m, n] = alpha * A'B' + beta * C; the BN channel is n.
      const transB = ((p.attrs.transB as number | undefined) ?? 0) !== 0;
      const [r, c] = w.dims;
      const N = transB ? r : c;
      if (N !== C) continue;
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) nw[i * c + j] = W[i * c + j] * s[transB ? i : j];
      const betaG = (p.attrs.beta as number | undefined) ?? 1;
      bias = new Float64Array(C);
      if (b) {
        const n = b.data.length;
        if (!(n === 1 || (n === C && b.dims[b.dims.length - 1] === C && numel(b.dims) === C))) continue;
        for (let o = 0; o < C; o++) bias[o] = betaG * (b.data as Float32Array)[n === 1 ? 0 : o];
      }
      p.attrs.beta = 1;
    }
    const nb = new Float32Array(C);
    for (let o = 0; o < C; o++) nb[o] = (bias[o] - mean[o]) * s[o] + beta[o];
    const wName = g.freshName(`${p.inputs[1]}_bn`);
    g.constants.set(wName, makeTensor('float32', w.dims.slice(), nw));
    const bName = g.freshName(`${p.name}_bn_bias`);
    g.constants.set(bName, makeTensor('float32', [C], nb));
    p.inputs = [p.inputs[0], wName, bName];
    // The producer now writes the BN output.
    p.outputs = p.outputs.map((o) => (o === x ? bn.outputs[0] : o));
    g.values.delete(x);
    drop.add(bn);
    folded++;
  }
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  return folded;
}
