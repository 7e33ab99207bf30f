// Structural int8 ops: pad (with the zero point, or reflect / edge) and concat with
// requantization of inputs whose qparams differ (QLinearConcat), on N-D row-major tensors.
import { checkObject, checkZeroPoint, typeName } from '../check';
import { opsNative as native } from './native-ops';
import {
  type OpOptions,
  type QArray,
  type QuantOutput,
  type QuantTensor,
  checkOptions,
  checkOutputQ,
  checkShape,
  checkTensor,
  dtypeCode,
  dtypeOf,
  isaOf,
  outBuffer,
  shapeSize,
} from './qtensor';

export type PadMode = 'constant' | 'reflect' | 'edge';
const PAD_MODE: Record<PadMode, number> = { constant: 0, reflect: 1, edge: 2 };

export interface PadTensor {
  data: QArray;
  shape?: readonly number[];
  /** The value a constant pad writes by default (the quantized zero). */
  zeroPoint?: number;
}

export interface PadParams {
  /** ONNX order: [begin_0, ..., begin_{r-1}, end_0, ..., end_{r-1}], all >= 0. */
  pads: readonly number[];
  /** Default 'constant'. */
  mode?: PadMode;
  /** Quantized fill value of a constant pad (default: x.zeroPoint, else 0). */
  constantValue?: number;
}

/** Output shape of pad(). */
export function padOutputShape(shape: readonly number[], pads: readonly number[]): number[] {
  const s = checkShape(shape, 'shape');
  const p = checkShape(pads, 'params.pads', 16);
  if (p.length !== 2 * s.length) throw new RangeError(`params.pads must have 2 * rank = ${2 * s.length} entries, got ${p.length}`);
  return s.map((d, i) => d + p[i] + p[i + s.length]);
}

export function pad(x: PadTensor, params: PadParams, options?: OpOptions): QArray {
  const t = checkObject(x, 'x');
  const dtype = dtypeOf(t.data, 'x.data');
  const data = t.data as QArray;
  const shape = t.shape === undefined ? [data.length] : checkShape(t.shape, 'x.shape');
  if (shapeSize(shape) !== data.length) throw new RangeError(`x.shape [${shape.join(', ')}] has ${shapeSize(shape)} elements, x.data ${data.length}`);
  if (shape.length < 1) throw new RangeError('x must have rank >= 1');
  const p = checkObject(params, 'params');
  const outShape = padOutputShape(shape, p.pads as number[]);
  const pads = (p.pads as number[]).map(Number);
  const mode = p.mode === undefined ? 'constant' : p.mode;
  if (typeof mode !== 'string' || !(mode in PAD_MODE)) throw new TypeError(`params.mode must be 'constant', 'reflect' or 'edge', got ${String(mode)}`);
  let value = 0;
  if (p.constantValue !== undefined) value = checkZeroPoint(p.constantValue, 'params.constantValue', dtype);
  else if (t.zeroPoint !== undefined) value = checkZeroPoint(t.zeroPoint, 'x.zeroPoint', dtype);
  const opts = checkOptions(options);
  const out = outBuffer(opts, dtype, shapeSize(outShape));
  const r = shape.length;
  return native().pad(data, shape, pads.slice(0, r), pads.slice(r), PAD_MODE[mode as PadMode], value & 255, out);
}

/**
 * Concatenation along `axis` (negative counts from the end). Inputs share the dtype; those whose
 * scale and zero point equal the output's are copied, the others requantized
 * (quantize(dequantize(x)), onnxruntime's QLinearConcat).
 */
export function concat(inputs: readonly QuantTensor[], axis: number, output: QuantOutput, options?: OpOptions): QArray {
  if (!Array.isArray(inputs)) throw new TypeError(`inputs must be an array of quantized tensors, got ${typeName(inputs)}`);
  if (inputs.length === 0) throw new RangeError('concat needs at least one input');
  const ts = inputs.map((v, i) => checkTensor(v, `inputs[${i}]`));
  const dtype = ts[0].dtype;
  ts.forEach((t, i) => {
    if (t.dtype !== dtype) throw new TypeError(`inputs[${i}].data is ${t.dtype}, inputs[0] is ${dtype}`);
  });
  const rank = ts[0].shape.length;
  if (rank < 1) throw new RangeError('inputs must have rank >= 1');
  if (typeof axis !== 'number' || !Number.isInteger(axis)) throw new TypeError(`axis must be an integer, got ${String(axis)}`);
  const ax = axis < 0 ? axis + rank : axis;
  if (ax < 0 || ax >= rank) throw new RangeError(`axis ${axis} is out of range for rank ${rank}`);
  ts.forEach((t, i) => {
    if (t.shape.length !== rank) throw new RangeError(`inputs[${i}] has rank ${t.shape.length}, inputs[0] has ${rank}`);
    t.shape.forEach((d, a) => {
      if (a !== ax && d !== ts[0].shape[a]) throw new RangeError(`inputs[${i}].shape[${a}] is ${d}, inputs[0].shape[${a}] is ${ts[0].shape[a]}`);
    });
  });
  const o = checkOutputQ(output, 'output', dtype);
  const opts = checkOptions(options);
  const total = ts.reduce((s, t) => s + t.data.length, 0);
  const out = outBuffer(opts, dtype, total);
  return native().concat(
    dtypeCode(dtype),
    ts.map((t) => ({ data: t.data, shape: t.shape, scale: t.scale, zeroPoint: t.zeroPoint })),
    ax,
    o.scale,
    o.zeroPoint,
    out,
    isaOf(opts),
  );
}

