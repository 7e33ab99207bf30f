// Argument checks shared by the int8 op set (binary, lut, pool, resize, structural, dynquant):
// quantized tensors given as { data, shape, scale, zeroPoint }, output qparams, shapes, ISA.
import {
  type QuantDType,
  checkArray,
  checkObject,
  checkScale,
  checkSize,
  checkZeroPoint,
  isObject,
  typeName,
} from '../check';
import type { NativeDType } from '../native';
import { type IsaName, checkIsa } from '../runtime';

export type QArray = Uint8Array | Int8Array;

/** A quantized tensor: real = scale * (data - zeroPoint). The dtype follows the array type. */
export interface QuantTensor {
  data: QArray;
  /** Row-major shape (default: [data.length]). */
  shape?: readonly number[];
  scale: number;
  zeroPoint: number;
}

/** Quantization of an op's output (same dtype as its inputs). */
export interface QuantOutput {
  scale: number;
  zeroPoint: number;
}

/** Options every int8 op takes. */
export interface OpOptions {
  /** Output buffer (its type and length must match); allocated when absent. */
  out?: QArray;
  /** Kernel family (default: the active ISA). */
  isa?: IsaName;
}

export function dtypeOf(a: unknown, name: string): QuantDType {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  throw new TypeError(`${name} must be a Uint8Array or an Int8Array, got ${typeName(a)}`);
}

export const dtypeCode = (t: QuantDType): NativeDType => (t === 'uint8' ? 0 : 1);

export function checkShape(v: unknown, name: string, maxRank = 8): number[] {
  if (!Array.isArray(v)) throw new TypeError(`${name} must be an array of integers, got ${typeName(v)}`);
  if (v.length > maxRank) throw new RangeError(`${name} has rank ${v.length}, at most ${maxRank} is supported`);
  return v.map((d, i) => checkSize(d, `${name}[${i}]`, true));
}

export const shapeSize = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export interface CheckedTensor {
  data: QArray;
  dtype: QuantDType;
  shape: number[];
  scale: number;
  zeroPoint: number;
}

/** Checks a QuantTensor; `dtype` (when given) is the type every operand must share. */
export function checkTensor(v: unknown, name: string, dtype?: QuantDType, maxRank = 8): CheckedTensor {
  const t = checkObject(v, name);
  const dt = dtypeOf(t.data, `${name}.data`);
  if (dtype !== undefined && dt !== dtype) throw new TypeError(`${name}.data is ${dt}, expected ${dtype} like the other operands`);
  const data = t.data as QArray;
  const shape = t.shape === undefined ? [data.length] : checkShape(t.shape, `${name}.shape`, maxRank);
  const size = shapeSize(shape);
  if (size !== data.length) throw new RangeError(`${name}.shape [${shape.join(', ')}] has ${size} elements, ${name}.data ${data.length}`);
  const scale = checkScale(t.scale, `${name}.scale`);
  const zeroPoint = checkZeroPoint(t.zeroPoint, `${name}.zeroPoint`, dt);
  return { data, dtype: dt, shape, scale, zeroPoint };
}

export function checkOutputQ(v: unknown, name: string, dtype: QuantDType): QuantOutput & Record<string, unknown> {
  const o = checkObject(v, name);
  checkScale(o.scale, `${name}.scale`);
  checkZeroPoint(o.zeroPoint, `${name}.zeroPoint`, dtype);
  return o as QuantOutput & Record<string, unknown>;
}

export function checkOptions(v: unknown): OpOptions {
  if (v === undefined) return {};
  if (!isObject(v)) throw new TypeError(`options must be an object, got ${typeName(v)}`);
  return v as OpOptions;
}

/** The output buffer: opts.out checked against dtype and length, or a new array. */
export function outBuffer(opts: OpOptions, dtype: QuantDType, length: number): QArray {
  if (opts.out === undefined) return dtype === 'uint8' ? new Uint8Array(length) : new Int8Array(length);
  return checkArray(opts.out, 'out', dtype === 'uint8' ? 'Uint8Array' : 'Int8Array', length);
}

export function isaOf(opts: OpOptions): IsaName | undefined {
  return opts.isa === undefined ? undefined : checkIsa(opts.isa);
}

export function checkBool(v: unknown, name: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${typeName(v)}`);
  return v;
}

