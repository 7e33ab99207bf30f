// Dynamic-quantization convolution fusion: the sequence onnxruntime's quantize_dynamic (and
// qint8's quantize(model, { mode: 'dynamic' })) writes for a Conv,
//   DynamicQuantizeLinear(x) -> (xq, x_scale, x_zp)
//   ConvInteger(xq, W int8, x_zp [, w_zp = 0]) (or W uint8 with w_zp = 128) -> Cast(to float) -> Mul(s) [-> Add(B)] [-> activation]
//   with s = Mul(x_scale, W_scale) (W_scale a constant: one value, or one per output channel
//   broadcasting over NCHW) or s = x_scale,
// becomes one internal qint8.DynamicQuantizeConv(x, W, W_scale[C], B[C]) with an activation (Relu,
// Clip, LeakyRelu, HardSigmoid or HardSwish after it, computed by the float engine's kernel of that op), which the engine runs as one native op (runtime/ops_qlinear.cc DynamicQuantizeConvOp):
// the same quantization of x, the same integer sums, and y = act((float(acc) * (x_scale *
// W_scale[c])) + B[c]) with the unfused ops' two roundings, so the result is bit-identical.
// Anything else (other asymmetric weights, intermediates read elsewhere or graph outputs, a scale
// or bias that does not broadcast along the channels only) is left as it is.
import type { Graph, Node } from '../ir';
import { type Tensor, getNum, makeTensor, numel } from '../tensor';

/** Per-channel values of a float constant that broadcasts along axis 1 of a 4-D [N, C, H, W] only. */
function channelValues(t: Tensor | undefined, channels: number): Float32Array | undefined {
  if (!t || t.dtype !== 'float32' || t.dims.length > 4) return undefined;
  const n = numel(t.dims);
  const d4 = [...new Array(4 - t.dims.length).fill(1), ...t.dims];
  if (n === 1) return new Float32Array(channels).fill(getNum(t, 0));
  if (n !== channels || d4[0] !== 1 || d4[1] !== channels || d4[2] !== 1 || d4[3] !== 1) return undefined;
  return Float32Array.from(t.data as Float32Array);
}

// float32 lowest / max: what the float engine's Clip uses for an absent bound.
const F32_MAX = 3.4028234663852886e38;

/** activation_params of an activation the fused op applies (as the float engine's op of that name), or undefined. */
function activation(g: Graph, n: Node): number[] | undefined {
  if (n.domain !== '') return undefined;
  switch (n.opType) {
    case 'Relu':
    case 'HardSwish':
      return [];
    case 'LeakyRelu':
      return [(n.attrs.alpha as number | undefined) ?? 0.01];
    case 'HardSigmoid':
      return [(n.attrs.alpha as number | undefined) ?? 0.2, (n.attrs.beta as number | undefined) ?? 0.5];
    case 'Clip': {
      const lo = n.inputs[1] ? g.constants.get(n.inputs[1]) : undefined;
      const hi = n.inputs[2] ? g.constants.get(n.inputs[2]) : undefined;
      if ((n.inputs[1] && !lo) || (n.inputs[2] && !hi)) return undefined;
      if ((lo && (lo.dtype !== 'float32' || numel(lo.dims) !== 1)) || (hi && (hi.dtype !== 'float32' || numel(hi.dims) !== 1))) return undefined;
      return [lo ? getNum(lo, 0) : -F32_MAX, hi ? getNum(hi, 0) : F32_MAX];
    }
  }
  return undefined;
}

/** Fuses the dynamic-quantization conv sequences in place; returns how many. */
export function fuseDynamicConv(g: Graph): number {
  const producers = g.producers();
  const consumers = g.consumers();
  const drop = new Set<Node>();
  const namer = g.namer();
  let fused = 0;
  // The single reader of v, when v is not a graph output.
  const only = (v: string): Node | undefined => {
    const rs = consumers.get(v) ?? [];
    return rs.length === 1 && !g.isOutput(v) ? rs[0] : undefined;
  };
  for (const c of g.nodes) {
    if (c.domain !== '' || c.opType !== 'ConvInteger') continue;
    const [xq, wName, xzp, wzp] = c.inputs;
    const d = producers.get(xq);
    if (!d || d.domain !== '' || d.opType !== 'DynamicQuantizeLinear' || !xzp || xzp !== d.outputs[2]) continue;
    const x = d.inputs[0];
    if (g.info(x).dtype !== 'float32' || g.info(x).shape?.length !== 4) continue;
    let w = g.constants.get(wName);
    if (!w || (w.dtype !== 'int8' && w.dtype !== 'uint8') || w.dims.length !== 4) continue;
    // int8 weights with zero point 0, or uint8 weights with zero point 128 (w - 128: the same
    // integer sums; qint8's own dynamic quantization writes that form for onnxruntime's sake).
    const zpWant = w.dtype === 'int8' ? 0 : 128;
    const z = wzp ? g.constants.get(wzp) : undefined;
    if (wzp && (!z || z.dtype !== w.dtype || !Array.from(z.data as ArrayLike<number>).every((v) => v === zpWant))) continue;
    if (!wzp && zpWant !== 0) continue;
    const cout = w.dims[0];
    const cast = only(c.outputs[0]);
    if (!cast || cast.domain !== '' || cast.opType !== 'Cast' || cast.attrs.to !== 1) continue;
    const mul = only(cast.outputs[0]);
    if (!mul || mul.domain !== '' || mul.opType !== 'Mul') continue;
    const s = mul.inputs[0] === cast.outputs[0] ? mul.inputs[1] : mul.inputs[0];
    if (s === cast.outputs[0]) continue;
    let ws: Float32Array | undefined;
    if (s === d.outputs[1]) ws = Float32Array.of(1);
    else {
      const sm = producers.get(s);
      if (!sm || sm.domain !== '' || sm.opType !== 'Mul' || !sm.inputs.includes(d.outputs[1])) continue;
      const other = sm.inputs[0] === d.outputs[1] ? sm.inputs[1] : sm.inputs[0];
      ws = channelValues(g.constants.get(other), cout);
    }
    if (!ws || !ws.every((v) => Number.isFinite(v) && v > 0)) continue;
    const chain: Node[] = [c, cast, mul];
    let last = mul;
    let bias: Float32Array | undefined;
    const add = only(mul.outputs[0]);
    if (add && add.domain === '' && add.opType === 'Add') {
      const other = add.inputs[0] === mul.outputs[0] ? add.inputs[1] : add.inputs[0];
      bias = other !== mul.outputs[0] ? channelValues(g.constants.get(other), cout) : undefined;
      if (bias) {
        chain.push(add);
        last = add;
      }
    }
    const next = only(last.outputs[0]);
    const act = next ? activation(g, next) : undefined;
    const actType = next?.opType;
    if (next && act) {
      chain.push(next);
      last = next;
    }
    let wKernel = wName;
    if (w.dtype === 'uint8') {
      wKernel = namer(`${wName}_s8`);
      g.constants.set(wKernel, makeTensor('int8', [...w.dims], Int8Array.from(w.data as Uint8Array, (v) => v - 128)));
    }
    const wsName = namer(`${wName}_scale`);
    g.constants.set(wsName, makeTensor('float32', [ws.length], ws));
    let bName = '';
    if (bias) {
      bName = namer(`${wName}_bias`);
      g.constants.set(bName, makeTensor('float32', [cout], bias));
    }
    const out = last.outputs[0];
    for (const n of chain) {
      if (n !== last) {
        drop.add(n);
        g.values.delete(n.outputs[0]);
      }
    }
    // The fused node takes the place of the chain's last node (all its inputs are defined before).
    last.name = c.name;
    last.opType = 'DynamicQuantizeConv';
    last.domain = 'qint8';
    last.inputs = bias ? [x, wKernel, wsName, bName] : [x, wKernel, wsName];
    last.outputs = [out];
    const attrs: Record<string, Node['attrs'][string]> = { ...c.attrs };
    if (act) {
      attrs.activation = actType!;
      attrs.activation_params = act;
    }
    last.attrs = attrs;
    fused++;
  }
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  return fused;
}
