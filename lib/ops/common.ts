// Option parsing shared by the packed ops (linear, conv2d): weight qparams, bias, input and
// output quantization. Each check throws a TypeError / RangeError naming the option.
import { type QuantDType, checkArray, checkDType, checkObject, checkScale, checkZeroPoint, typeName } from '../check';
import type { NativeDType } from '../native';

export type OutputDType = 'uint8' | 'int8' | 'float32' | 'int32';
export const DTYPE_CODE: Record<OutputDType, NativeDType> = { uint8: 0, int8: 1, float32: 2, int32: 3 };

export interface InputQuant {
  scale: number;
  zeroPoint: number;
  dtype?: QuantDType;
}
export interface OutputQuant {
  scale: number;
  zeroPoint: number;
  dtype?: QuantDType;
  relu?: boolean;
  clip?: { min?: number; max?: number };
}

/** One scale (per tensor) or one per output channel, as float32. */
export function weightScales(v: unknown, name: string, channels: number, countName = 'n'): Float32Array {
  if (typeof v === 'number') {
    checkScale(v, name);
    return new Float32Array([v]);
  }
  const a = checkArray(v, name, 'Float32Array');
  if (a.length !== 1 && a.length !== channels)
    throw new RangeError(`${name} must have 1 or ${countName} (${channels}) entries, got ${a.length}`);
  for (let i = 0; i < a.length; i++) checkScale(a[i], `${name}[${i}]`);
  return a;
}

/** Asymmetric weights: one or per-channel int8 zero points (undefined: symmetric). */
export function weightZeroPoints(v: unknown, name: string, channels: number, countName = 'n'): Int32Array | null {
  if (v === undefined) return null;
  if (typeof v === 'number') return new Int32Array([checkZeroPoint(v, name, 'int8')]);
  const z = checkArray(v, name, 'Int32Array');
  if (z.length !== 1 && z.length !== channels)
    throw new RangeError(`${name} must have 1 or ${countName} (${channels}) entries, got ${z.length}`);
  z.forEach((x, i) => checkZeroPoint(x, `${name}[${i}]`, 'int8'));
  return z;
}

/** A real (Float32Array) or quantized (Int32Array) bias of `channels` entries. */
export function biases(v: unknown, channels: number): { biasF: Float32Array | null; biasQ: Int32Array | null } {
  if (v === undefined) return { biasF: null, biasQ: null };
  if (v instanceof Float32Array) {
    const b = checkArray(v, 'bias', 'Float32Array', channels);
    for (let i = 0; i < channels; i++) if (!Number.isFinite(b[i])) throw new RangeError(`bias[${i}] is not finite`);
    return { biasF: b, biasQ: null };
  }
  if (v instanceof Int32Array) return { biasF: null, biasQ: checkArray(v, 'bias', 'Int32Array', channels) };
  throw new TypeError(`bias must be a Float32Array or an Int32Array, got ${typeName(v)}`);
}

export function inputQuant(v: unknown): { dtype: QuantDType; scale: number; zeroPoint: number } {
  const input = checkObject(v, 'input');
  const dtype = checkDType(input.dtype, 'input.dtype', 'uint8');
  return { dtype, scale: checkScale(input.scale, 'input.scale'), zeroPoint: checkZeroPoint(input.zeroPoint, 'input.zeroPoint', dtype) };
}

export interface ResolvedOutput {
  dtype: OutputDType;
  scale: number;
  zeroPoint: number;
  relu: boolean;
  clipMin: number; // NaN: none
  clipMax: number;
}

/** A requantized output (`output`), or float32 / int32 (`outputDtype`, default float32). */
export function outputQuant(output: unknown, outputDtype: unknown, realBias: boolean): ResolvedOutput {
  if (output !== undefined) {
    if (outputDtype !== undefined) throw new TypeError('give either output (requantized) or outputDtype, not both');
    const o = checkObject(output, 'output');
    const dtype = checkDType(o.dtype, 'output.dtype', 'uint8');
    const r: ResolvedOutput = {
      dtype,
      scale: checkScale(o.scale, 'output.scale'),
      zeroPoint: checkZeroPoint(o.zeroPoint, 'output.zeroPoint', dtype),
      relu: false,
      clipMin: NaN,
      clipMax: NaN,
    };
    if (o.relu !== undefined && typeof o.relu !== 'boolean') throw new TypeError('output.relu must be a boolean');
    r.relu = o.relu === true;
    if (o.clip !== undefined) {
      const c = checkObject(o.clip, 'output.clip');
      for (const key of ['min', 'max'] as const) {
        if (c[key] === undefined) continue;
        if (typeof c[key] !== 'number' || Number.isNaN(c[key])) throw new TypeError(`output.clip.${key} must be a number`);
        if (key === 'min') r.clipMin = c[key] as number;
        else r.clipMax = c[key] as number;
      }
      if (r.clipMin > r.clipMax) throw new RangeError(`output.clip.min (${r.clipMin}) > output.clip.max (${r.clipMax})`);
    }
    return r;
  }
  const od = outputDtype ?? 'float32';
  if (od !== 'float32' && od !== 'int32') throw new TypeError(`outputDtype must be 'float32' or 'int32', got ${String(od)}`);
  if (od === 'int32' && realBias)
    throw new TypeError('a real (Float32Array) bias needs a float32 or requantized output; give an Int32Array bias for int32 output');
  return { dtype: od, scale: 1, zeroPoint: 0, relu: false, clipMin: NaN, clipMax: NaN };
}

export const OUT_CTOR = { uint8: Uint8Array, int8: Int8Array, float32: Float32Array, int32: Int32Array } as const;
export type OutArray = Uint8Array | Int8Array | Float32Array | Int32Array;

/** The caller's out buffer (checked) or a new one; `what` describes len (e.g. 'm*n'). */
export function outBuffer(out: unknown, dtype: OutputDType, len: number, what: string): OutArray {
  const ctor = OUT_CTOR[dtype];
  if (out === undefined) return new ctor(len);
  if (!(out instanceof ctor)) throw new TypeError(`out must be a ${ctor.name} (output dtype ${dtype}), got ${typeName(out)}`);
  if (out.length !== len) throw new RangeError(`out has ${out.length} elements, expected ${what} = ${len}`);
  return out;
}
