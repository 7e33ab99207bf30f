// int8 pools on NHWC tensors: maxPool2d, averagePool2d (onnxruntime's QLinearAveragePool
// arithmetic), globalAveragePool (int32 sum, then requantize).
import { checkObject } from '../check';
import { opsNative as native } from './native-ops';
import {
  type OpOptions,
  type QArray,
  type QuantOutput,
  type QuantTensor,
  checkBool,
  checkOptions,
  checkOutputQ,
  checkShape,
  checkTensor,
  dtypeCode,
  dtypeOf,
  isaOf,
  outBuffer,
} from './qtensor';

export type AutoPadMode = 'valid' | 'same_upper' | 'same_lower';

export interface Pool2dParams {
  /** Kernel [kh, kw] (a number: square). */
  kernel: number | readonly [number, number];
  /** Default 1. */
  strides?: number | readonly [number, number];
  /** Max pool only. Default 1. */
  dilations?: number | readonly [number, number];
  /** [top, left, bottom, right] (ONNX order; a number: all four), or an ONNX auto_pad mode. Default 0. */
  pads?: number | readonly [number, number, number, number] | AutoPadMode;
  /** ONNX ceil_mode: the last window may run past the input (it must start inside it). */
  ceilMode?: boolean;
}

export interface AveragePool2dParams extends Omit<Pool2dParams, 'dilations'> {
  /** Divide by kh * kw (true) or by the positions inside the input (false, default). */
  countIncludePad?: boolean;
}

/** An NHWC tensor (quantization parameters are not needed by max pooling). */
export interface NhwcTensor {
  data: QArray;
  /** [N, H, W, C]. */
  shape: readonly [number, number, number, number] | readonly number[];
}

const AUTO: Record<AutoPadMode, number> = { valid: 1, same_upper: 2, same_lower: 3 };

function pair(v: unknown, name: string, fallback: number): [number, number] {
  if (v === undefined) return [fallback, fallback];
  if (typeof v === 'number') {
    const [a] = checkShape([v], name);
    return [a, a];
  }
  const s = checkShape(v, name);
  if (s.length !== 2) throw new RangeError(`${name} must have 2 entries [h, w], got ${s.length}`);
  return [s[0], s[1]];
}

function nhwc(shape: unknown, length: number, name: string): [number, number, number, number] {
  const s = checkShape(shape, name);
  if (s.length !== 4) throw new RangeError(`${name} must be [N, H, W, C], got rank ${s.length}`);
  const size = s.reduce((a, b) => a * b, 1);
  if (size !== length) throw new RangeError(`${name} [${s.join(', ')}] has ${size} elements, the data ${length}`);
  return [s[0], s[1], s[2], s[3]];
}

/** The 17-entry geometry array of native/napi/pool.cc. */
function geometry(shape: [number, number, number, number], p: Pool2dParams & { countIncludePad?: boolean }, avg: boolean): number[] {
  checkObject(p, 'params');
  if (p.kernel === undefined) throw new TypeError('params.kernel is required');
  const [kh, kw] = pair(p.kernel, 'params.kernel', 1);
  const [sh, sw] = pair(p.strides, 'params.strides', 1);
  if (avg && (p as Pool2dParams).dilations !== undefined) throw new TypeError('average pooling takes no dilations');
  const [dh, dw] = pair((p as Pool2dParams).dilations, 'params.dilations', 1);
  if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1) throw new RangeError('kernel, strides and dilations must be >= 1');
  let pads = [0, 0, 0, 0];
  let auto = 0;
  if (typeof p.pads === 'string') {
    if (!(p.pads in AUTO)) throw new TypeError(`params.pads must be 'valid', 'same_upper', 'same_lower' or numbers, got '${p.pads}'`);
    auto = AUTO[p.pads];
  } else if (typeof p.pads === 'number') {
    const [v] = checkShape([p.pads], 'params.pads');
    pads = [v, v, v, v];
  } else if (p.pads !== undefined) {
    pads = checkShape(p.pads, 'params.pads');
    if (pads.length !== 4) throw new RangeError(`params.pads must have 4 entries [top, left, bottom, right], got ${pads.length}`);
  }
  const ceil = checkBool(p.ceilMode, 'params.ceilMode');
  const cip = checkBool(p.countIncludePad, 'params.countIncludePad');
  return [...shape, kh, kw, sh, sw, dh, dw, pads[0], pads[1], pads[2], pads[3], auto, ceil ? 1 : 0, cip ? 1 : 0];
}

/** Output shape [N, OH, OW, C] of a 2-D pool (ONNX rules). */
export function pool2dOutputShape(shape: readonly number[], params: Pool2dParams): [number, number, number, number] {
  const s = checkShape(shape, 'shape');
  if (s.length !== 4) throw new RangeError(`shape must be [N, H, W, C], got rank ${s.length}`);
  const g = geometry(s as [number, number, number, number], params, false);
  const [oh, ow] = native().poolPlan(g);
  return [s[0], oh, ow, s[3]];
}

/** Max pooling over NHWC int8 / uint8 (any dtype: max commutes with quantization). */
export function maxPool2d(x: NhwcTensor, params: Pool2dParams, options?: OpOptions): QArray {
  const t = checkObject(x, 'x');
  const dtype = dtypeOf(t.data, 'x.data');
  const data = t.data as QArray;
  const shape = nhwc(t.shape, data.length, 'x.shape');
  const g = geometry(shape, params, false);
  const [oh, ow] = native().poolPlan(g);
  const opts = checkOptions(options);
  const out = outBuffer(opts, dtype, shape[0] * oh * ow * shape[3]);
  return native().maxPool2d(dtypeCode(dtype), data, g, out, isaOf(opts));
}

/** Average pooling (QLinearAveragePool) over NHWC: requantized to output's qparams. */
export function averagePool2d(x: QuantTensor, params: AveragePool2dParams, output: QuantOutput, options?: OpOptions): QArray {
  const t = checkTensor(x, 'x');
  const shape = nhwc(t.shape, t.data.length, 'x.shape');
  const o = checkOutputQ(output, 'output', t.dtype);
  const g = geometry(shape, params, true);
  const [oh, ow] = native().poolPlan(g);
  const opts = checkOptions(options);
  const out = outBuffer(opts, t.dtype, shape[0] * oh * ow * shape[3]);
  return native().averagePool2d(dtypeCode(t.dtype), t.data, g, t.scale, t.zeroPoint, o.scale, o.zeroPoint, out, isaOf(opts));
}

/**
 * Global average pooling (QLinearGlobalAveragePool) over NHWC (or any [N, ...spatial, C]):
 * output [N, C] (as [N, 1, 1, C] in NHWC).
 */
export function globalAveragePool(x: QuantTensor, output: QuantOutput, options?: OpOptions): QArray {
  const t = checkTensor(x, 'x');
  if (t.shape.length < 3) throw new RangeError(`x.shape must be [N, ...spatial, C] (rank >= 3), got rank ${t.shape.length}`);
  const n = t.shape[0];
  const c = t.shape[t.shape.length - 1];
  const hw = t.shape.slice(1, -1).reduce((a, b) => a * b, 1);
  if (hw < 1 || c < 1) throw new RangeError(`x.shape [${t.shape.join(', ')}] has an empty spatial or channel dimension`);
  const o = checkOutputQ(output, 'output', t.dtype);
  const opts = checkOptions(options);
  const out = outBuffer(opts, t.dtype, n * c);
  return native().globalAveragePool(dtypeCode(t.dtype), t.data, n, hw, c, t.scale, t.zeroPoint, o.scale, o.zeroPoint, out, isaOf(opts));
}

