// Quantization parameters from an observed range, with PyTorch's numerics (float32 arithmetic
// step by step, as torch.ao.quantization's observers compute them) or onnxruntime's
// quantization tool (compat: 'onnxruntime').
import { isObject, typeName } from '../check';

export type QuantType = 'quint8' | 'qint8';
export type QScheme = 'per_tensor_affine' | 'per_tensor_symmetric' | 'per_channel_affine' | 'per_channel_symmetric';

export interface QParamsOptions {
  /** quint8 (default) or qint8; 'uint8' / 'int8' are accepted as aliases. */
  dtype?: QuantType | 'uint8' | 'int8';
  qscheme?: QScheme;
  /** Halve the integer range (PyTorch: 7-bit activations for fbgemm/x86 without VNNI). */
  reduceRange?: boolean;
  /** Custom integer range (both or neither). */
  quantMin?: number;
  quantMax?: number;
  /** Smallest scale (default: float32 machine epsilon, 2^-23, as PyTorch). */
  eps?: number;
  /** Numerics to reproduce: PyTorch's observers (default) or onnxruntime.quantization. */
  compat?: 'pytorch' | 'onnxruntime';
}

export interface QParams {
  scale: number;
  zeroPoint: number;
  quantMin: number;
  quantMax: number;
}

export interface ChannelQParams {
  scale: Float32Array;
  zeroPoint: Int32Array;
  quantMin: number;
  quantMax: number;
}

const F32_EPS = 2 ** -23;
const F32_TINY = 2 ** -126;
const f32 = Math.fround;

/** Round half to even (torch.round, numpy.round). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

interface Resolved {
  signed: boolean;
  symmetric: boolean;
  qmin: number;
  qmax: number;
  customRange: boolean;
  eps: number;
  compat: 'pytorch' | 'onnxruntime';
}

function resolve(opts: QParamsOptions | undefined, perChannel: boolean): Resolved {
  if (opts !== undefined && !isObject(opts)) throw new TypeError(`options must be an object, got ${typeName(opts)}`);
  const o: QParamsOptions = (opts as QParamsOptions | undefined) ?? {};
  const dtype = o.dtype ?? 'quint8';
  if (!['quint8', 'qint8', 'uint8', 'int8'].includes(dtype)) throw new TypeError(`dtype must be 'quint8' or 'qint8', got ${String(dtype)}`);
  const signed = dtype === 'qint8' || dtype === 'int8';
  const qscheme = o.qscheme ?? (perChannel ? 'per_channel_affine' : 'per_tensor_affine');
  const schemes: QScheme[] = ['per_tensor_affine', 'per_tensor_symmetric', 'per_channel_affine', 'per_channel_symmetric'];
  if (!schemes.includes(qscheme)) throw new TypeError(`qscheme must be one of ${schemes.join(', ')}, got ${String(qscheme)}`);
  if (perChannel !== qscheme.startsWith('per_channel'))
    throw new TypeError(`qscheme ${qscheme} needs ${perChannel ? 'scalar' : 'per-channel (array)'} min/max`);
  const symmetric = qscheme.endsWith('symmetric');
  if (o.reduceRange !== undefined && typeof o.reduceRange !== 'boolean') throw new TypeError('reduceRange must be a boolean');
  const reduceRange = o.reduceRange === true;
  const compat = o.compat ?? 'pytorch';
  if (compat !== 'pytorch' && compat !== 'onnxruntime') throw new TypeError(`compat must be 'pytorch' or 'onnxruntime', got ${String(compat)}`);
  if (symmetric && !signed && reduceRange)
    throw new RangeError('symmetric quint8 with reduceRange is not meaningful (zero point 128 lies outside [0, 127])');
  const eps = o.eps ?? F32_EPS;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw new RangeError(`eps must be a finite number >= 0, got ${String(eps)}`);

  let qmin: number;
  let qmax: number;
  const customRange = o.quantMin !== undefined || o.quantMax !== undefined;
  if (customRange) {
    if (o.quantMin === undefined || o.quantMax === undefined) throw new TypeError('give both quantMin and quantMax');
    if (!Number.isInteger(o.quantMin) || !Number.isInteger(o.quantMax)) throw new TypeError('quantMin and quantMax must be integers');
    qmin = o.quantMin;
    qmax = o.quantMax;
    if (qmin >= qmax) throw new RangeError(`quantMin (${qmin}) must be < quantMax (${qmax})`);
    const [tlo, thi] = signed ? [-128, 127] : [0, 255];
    if (qmin < tlo || qmax > thi) throw new RangeError(`[quantMin, quantMax] = [${qmin}, ${qmax}] exceeds the ${signed ? 'qint8' : 'quint8'} range`);
    if (qmin > 0 || qmax < 0) throw new RangeError('the integer range must contain 0');
    if (reduceRange) {
      // PyTorch: quant_min // 2, quant_max // 2 (floor division)
      qmin = Math.floor(qmin / 2);
      qmax = Math.floor(qmax / 2);
    }
  } else if (compat === 'onnxruntime') {
    if (reduceRange) [qmin, qmax] = signed ? [-64, 64] : [0, 127];
    else if (symmetric && signed) [qmin, qmax] = [-127, 127];
    else [qmin, qmax] = signed ? [-128, 127] : [0, 255];
  } else {
    if (signed) [qmin, qmax] = reduceRange ? [-64, 63] : [-128, 127];
    else [qmin, qmax] = reduceRange ? [0, 127] : [0, 255];
  }
  return { signed, symmetric, qmin, qmax, customRange, eps, compat };
}

function checkRange(min: number, max: number, where: string): boolean {
  if (typeof min !== 'number' || typeof max !== 'number') throw new TypeError(`min/max${where} must be numbers`);
  if (min === Infinity && max === -Infinity) return false; // nothing observed
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError(`min/max${where} must be finite, got [${min}, ${max}]`);
  if (min > max) throw new RangeError(`min${where} (${min}) > max${where} (${max})`);
  return true;
}

/** PyTorch: torch.ao.quantization.observer.UniformQuantizationObserverBase._calculate_qparams */
function pytorchOne(minIn: number, maxIn: number, r: Resolved): [number, number] {
  const minNeg = f32(Math.min(f32(minIn), 0));
  const maxPos = f32(Math.max(f32(maxIn), 0));
  const epsF = f32(r.eps);
  if (r.symmetric) {
    const absMax = Math.max(-minNeg, maxPos);
    let scale = f32(absMax / ((r.qmax - r.qmin) / 2));
    scale = Math.max(scale, epsF);
    let zp = 0;
    if (!r.signed) zp = r.customRange ? Math.floor((r.qmin + r.qmax) / 2) : 128;
    return [scale, zp];
  }
  let scale = f32(f32(maxPos - minNeg) / (r.qmax - r.qmin));
  scale = Math.max(scale, epsF);
  let zp = r.qmin - roundHalfEven(f32(minNeg / scale));
  zp = Math.min(Math.max(zp, r.qmin), r.qmax);
  return [scale, zp];
}

/** onnxruntime.quantization.quant_utils.compute_scale_zp */
function ortOne(minIn: number, maxIn: number, r: Resolved): [number, number] {
  let rmin = f32(Math.min(f32(minIn), 0));
  let rmax = f32(Math.max(f32(maxIn), 0));
  if (r.symmetric) {
    const absMax = Math.max(Math.abs(rmin), Math.abs(rmax));
    rmin = -absMax;
    rmax = absMax;
  }
  const dr = f32(rmax - rmin); // float32 subtraction, then widened to float64
  const scale64 = dr / (r.qmax - r.qmin);
  if (scale64 < F32_TINY) return [1, 0];
  const zp = r.symmetric ? roundHalfEven((r.qmin + r.qmax) / 2) : roundHalfEven(r.qmin - rmin / scale64);
  return [f32(scale64), zp];
}

/** Options with every default filled in (what an observer records in its JSON). */
export interface ResolvedQParamsOptions {
  dtype: QuantType;
  qscheme: QScheme;
  reduceRange: boolean;
  quantMin?: number;
  quantMax?: number;
  eps: number;
  compat: 'pytorch' | 'onnxruntime';
}

/**
 * Checks qparams options (TypeError / RangeError naming the option) and fills in the defaults;
 * `perChannel` selects the default scheme and requires a matching one.
 */
export function resolveQParamsOptions(opts: QParamsOptions | undefined, perChannel: boolean): ResolvedQParamsOptions {
  const r = resolve(opts, perChannel);
  const o: QParamsOptions = opts ?? {};
  const out: ResolvedQParamsOptions = {
    dtype: r.signed ? 'qint8' : 'quint8',
    qscheme: o.qscheme ?? (perChannel ? 'per_channel_affine' : 'per_tensor_affine'),
    reduceRange: o.reduceRange === true,
    eps: r.eps,
    compat: r.compat,
  };
  if (r.customRange) {
    out.quantMin = o.quantMin;
    out.quantMax = o.quantMax;
  }
  return out;
}

export function computeQParams(min: number, max: number, opts?: QParamsOptions): QParams;
export function computeQParams(
  min: ArrayLike<number>,
  max: ArrayLike<number>,
  opts?: QParamsOptions,
): ChannelQParams;
export function computeQParams(
  min: number | ArrayLike<number>,
  max: number | ArrayLike<number>,
  opts?: QParamsOptions,
): QParams | ChannelQParams {
  const perChannel = typeof min !== 'number';
  if (perChannel !== (typeof max !== 'number')) throw new TypeError('min and max must both be numbers or both be arrays');
  const r = resolve(opts, perChannel);
  const one = r.compat === 'onnxruntime' ? ortOne : pytorchOne;
  if (!perChannel) {
    if (!checkRange(min as number, max as number, '')) return { scale: 1, zeroPoint: 0, quantMin: r.qmin, quantMax: r.qmax };
    const [scale, zeroPoint] = one(min as number, max as number, r);
    return { scale, zeroPoint, quantMin: r.qmin, quantMax: r.qmax };
  }
  const mins = min as ArrayLike<number>;
  const maxs = max as ArrayLike<number>;
  if (typeof mins.length !== 'number' || mins.length !== maxs.length || mins.length === 0)
    throw new RangeError('per-channel min and max must be non-empty arrays of the same length');
  const scale = new Float32Array(mins.length);
  const zeroPoint = new Int32Array(mins.length);
  for (let c = 0; c < mins.length; c++) {
    if (!checkRange(mins[c], maxs[c], `[${c}]`)) {
      scale[c] = 1;
      zeroPoint[c] = 0;
      continue;
    }
    [scale[c], zeroPoint[c]] = one(mins[c], maxs[c], r);
  }
  return { scale, zeroPoint, quantMin: r.qmin, quantMax: r.qmax };
}
