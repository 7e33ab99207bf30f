// QuantizeLinear / DequantizeLinear with ONNX semantics, per tensor or per channel (axis).
import { type QuantDType, checkArray, checkDType, checkObject, checkScale, checkSize, checkZeroPoint, typeName } from '../check';
import { native } from '../native';
import { type IsaName, checkIsa } from '../runtime';

export interface QuantizeParams {
  /** One scale, or one per channel along `axis`. */
  scale: number | Float32Array;
  /** One zero point, or one per channel (default 0). */
  zeroPoint?: number | Int32Array;
  /** quantize only: output type (default uint8). dequantize takes it from the input array. */
  dtype?: QuantDType;
  /** Per-channel: the tensor's shape and the channel axis (negative counts from the end). */
  shape?: readonly number[];
  axis?: number;
  /** Kernel family (default: the active ISA). */
  isa?: IsaName;
}

interface Layout {
  outer: number;
  channels: number;
  inner: number;
  scale: Float32Array;
  zeroPoint: Int32Array;
}

function layout(length: number, p: QuantizeParams, dtype: QuantDType): Layout {
  checkObject(p, 'params');
  const perChannel = typeof p.scale !== 'number';
  if (!perChannel) {
    checkScale(p.scale, 'scale');
    const zp = p.zeroPoint ?? 0;
    if (typeof zp !== 'number') throw new TypeError('a per-tensor scale needs a per-tensor (number) zeroPoint');
    checkZeroPoint(zp, 'zeroPoint', dtype);
    return { outer: 1, channels: 1, inner: length, scale: new Float32Array([p.scale as number]), zeroPoint: new Int32Array([zp]) };
  }
  const scale = checkArray(p.scale, 'scale', 'Float32Array');
  scale.forEach((s, i) => checkScale(s, `scale[${i}]`));
  if (!Array.isArray(p.shape)) throw new TypeError(`per-channel quantization needs shape (an array), got ${typeName(p.shape)}`);
  const shape = p.shape.map((d, i) => checkSize(d, `shape[${i}]`, true));
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== length) throw new RangeError(`shape [${shape.join(', ')}] has ${size} elements, the data ${length}`);
  if (p.axis === undefined) throw new TypeError('per-channel quantization needs axis');
  if (!Number.isInteger(p.axis)) throw new TypeError(`axis must be an integer, got ${String(p.axis)}`);
  const axis = p.axis < 0 ? p.axis + shape.length : p.axis;
  if (axis < 0 || axis >= shape.length) throw new RangeError(`axis ${p.axis} is out of range for rank ${shape.length}`);
  const channels = shape[axis];
  if (scale.length !== channels) throw new RangeError(`scale has ${scale.length} entries, shape[axis] = ${channels}`);
  let zeroPoint: Int32Array;
  if (p.zeroPoint === undefined) zeroPoint = new Int32Array(channels);
  else if (typeof p.zeroPoint === 'number') zeroPoint = new Int32Array(channels).fill(checkZeroPoint(p.zeroPoint, 'zeroPoint', dtype));
  else {
    zeroPoint = checkArray(p.zeroPoint, 'zeroPoint', 'Int32Array', channels);
    zeroPoint.forEach((z, i) => checkZeroPoint(z, `zeroPoint[${i}]`, dtype));
  }
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { outer, channels, inner, scale, zeroPoint };
}

/** q = saturate(roundHalfEven(x / scale) + zeroPoint) (NaN maps to the type's minimum). */
export function quantize(x: Float32Array, params: QuantizeParams, out?: Uint8Array | Int8Array): Uint8Array | Int8Array {
  checkArray(x, 'x', 'Float32Array');
  checkObject(params, 'params');
  const dtype = checkDType(params.dtype, 'dtype', 'uint8');
  const l = layout(x.length, params, dtype);
  const y = out ?? (dtype === 'uint8' ? new Uint8Array(x.length) : new Int8Array(x.length));
  checkArray(y, 'out', dtype === 'uint8' ? 'Uint8Array' : 'Int8Array', x.length);
  const isa = params.isa === undefined ? undefined : checkIsa(params.isa);
  return native().quantize(x, l.outer, l.channels, l.inner, l.scale, l.zeroPoint, dtype === 'uint8' ? 0 : 1, y, isa);
}

/** x = float(q - zeroPoint) * scale. */
export function dequantize(q: Uint8Array | Int8Array, params: QuantizeParams, out?: Float32Array): Float32Array {
  let dtype: QuantDType;
  if (q instanceof Uint8Array) dtype = 'uint8';
  else if (q instanceof Int8Array) dtype = 'int8';
  else throw new TypeError(`q must be a Uint8Array or an Int8Array, got ${typeName(q)}`);
  checkObject(params, 'params');
  if (params.dtype !== undefined && params.dtype !== dtype) throw new TypeError(`dtype ${params.dtype} does not match q (${dtype})`);
  const l = layout(q.length, params, dtype);
  const y = out ?? new Float32Array(q.length);
  checkArray(y, 'out', 'Float32Array', q.length);
  const isa = params.isa === undefined ? undefined : checkIsa(params.isa);
  return native().dequantize(q, l.outer, l.channels, l.inner, l.scale, l.zeroPoint, dtype === 'uint8' ? 0 : 1, y, isa);
}
