// Per-channel affine steps folded into the preceding Conv.
//
//   y = conv(x) * c   =>  W'[o] = W[o] * c[o],  B'[o] = B[o] * c[o]
//   y = conv(x) / c   =>  W'[o] = W[o] / c[o],  B'[o] = B[o] / c[o]
//   y = conv(x) + c   =>  B'[o] = B[o] + c[o]      (Sub: conv(x) - c, B'[o] = B[o] - c[o])
//
// c is a float32 constant that broadcasts along the output channels only: one value, or C values
// on the channel axis (shapes [C, 1, 1], [1, C, 1, 1], ...). Exported models often carry such
// steps: PaddleOCR's PP-OCRv4 recognizer and detector put a learnable scale and bias (two scalar
// Mul / Add) after every conv + BatchNorm ("learnable affine blocks"), 2 x 38 ops in the
// recognizer. Folded, they cost nothing in float and, once quantized, no requantizing
// QLinearMul / QLinearAdd per conv (each one adds a rounding step).
//
// W' and B' are computed in float64 from the float32 values and rounded once, as the BatchNorm
// folding does; the result differs from the unfolded graph by float rounding only.
import type { Graph, Node } from '../ir';
import { makeTensor, numel } from '../tensor';

/** The per-channel values of c for a conv output with C channels and rank r, or undefined. */
function channelValues(c: { dims: number[]; data: Float32Array }, C: number, rank: number): Float64Array | undefined {
  const n = numel(c.dims);
  if (c.dims.length > rank) return undefined; // would raise the output's rank
  if (n === 1) return new Float64Array(C).fill(c.data[0]);
  if (n !== C) return undefined;
  // Right-aligned against [N, C, spatial...]: the C values must sit on axis 1.
  const axis = rank - c.dims.length;
  for (let k = 0; k < c.dims.length; k++) if (c.dims[k] !== (axis + k === 1 ? C : 1)) return undefined;
  return Float64Array.from(c.data);
}

/** Folds Mul / Div / Add / Sub by per-channel constants into the Conv before them; returns the count folded. */
export function foldConvAffine(g: Graph): number {
  const producers = g.producers();
  const consumers = g.consumers();
  const drop = new Set<Node>();
  let folded = 0;
  for (const n of g.nodes) {
    if (n.domain !== '' || !['Mul', 'Div', 'Add', 'Sub'].includes(n.opType) || n.inputs.length !== 2) continue;
    // The conv output on the left for Div / Sub; either side for Mul / Add.
    const sides = n.opType === 'Mul' || n.opType === 'Add' ? [0, 1] : [0];
    for (const side of sides) {
      const y = n.inputs[side];
      const cName = n.inputs[1 - side];
      const p = producers.get(y);
      const c = g.constants.get(cName);
      if (!p || drop.has(p) || p.opType !== 'Conv' || p.domain !== '' || !c || c.dtype !== 'float32') continue;
      if ((consumers.get(y) ?? []).length !== 1 || g.isOutput(y) || p.outputs.length !== 1) continue;
      const w = g.constants.get(p.inputs[1]);
      const b = p.inputs[2] ? g.constants.get(p.inputs[2]) : undefined;
      if (!w || w.dtype !== 'float32' || (p.inputs[2] && (!b || b.dtype !== 'float32'))) continue;
      const shape = g.info(y).shape;
      const C = w.dims[0];
      if (!shape || shape.length < 3 || shape[1] !== C) continue;
      const v = channelValues({ dims: c.dims, data: c.data as Float32Array }, C, shape.length);
      if (!v) continue;
      const out = n.outputs[0];
      // The folded output keeps n's shape only if broadcasting did not change it.
      const outShape = g.info(out).shape;
      if (!outShape || outShape.length !== shape.length || outShape.some((d, i) => d !== shape[i])) continue;
      const W = w.data as Float32Array;
      const B = b ? Float64Array.from(b.data as Float32Array) : new Float64Array(C);
      const nb = new Float32Array(C);
      let nw = W;
      if (n.opType === 'Mul' || n.opType === 'Div') {
        if (n.opType === 'Div' && v.some((x) => x === 0)) continue;
        const per = numel(w.dims.slice(1));
        nw = new Float32Array(W.length);
        const mul = n.opType === 'Mul';
        for (let o = 0; o < C; o++) {
          for (let i = 0; i < per; i++) nw[o * per + i] = mul ? W[o * per + i] * v[o] : W[o * per + i] / v[o];
          nb[o] = mul ? B[o] * v[o] : B[o] / v[o];
        }
      } else {
        for (let o = 0; o < C; o++) nb[o] = n.opType === 'Add' ? B[o] + v[o] : B[o] - v[o];
      }
      let wName = p.inputs[1];
      if (nw !== W) {
        wName = g.freshName(`${p.inputs[1]}_affine`);
        g.constants.set(wName, makeTensor('float32', w.dims.slice(), nw));
      }
      const bName = g.freshName(`${p.name || 'conv'}_affine_bias`);
      g.constants.set(bName, makeTensor('float32', [C], nb));
      p.inputs = [p.inputs[0], wName, bName];
      p.outputs = [out];
      g.values.delete(y);
      producers.set(out, p);
      drop.add(n);
      folded++;
      break;
    }
  }
  g.nodes = g.nodes.filter((x) => !drop.has(x));
  return folded;
}
