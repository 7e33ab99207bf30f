// Argument checks shared by the public API: each failure is a TypeError (wrong kind of value) or
// a RangeError (right kind, unacceptable value) whose message names the argument.

export type QuantDType = 'uint8' | 'int8';
export type TypedArrayName = 'Uint8Array' | 'Int8Array' | 'Int32Array' | 'Float32Array';

export const QRANGE: Record<QuantDType, readonly [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
};

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (Array.isArray(v)) return 'Array';
  return typeof v;
}

/** A positive (or, with allowZero, non-negative) safe integer. */
export function checkSize(v: unknown, name: string, allowZero = false): number {
  if (typeof v !== 'number') throw new TypeError(`${name} must be an integer, got ${typeName(v)}`);
  if (!Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${v}`);
  if (v < (allowZero ? 0 : 1) || v > Number.MAX_SAFE_INTEGER)
    throw new RangeError(`${name} must be ${allowZero ? '>= 0' : '>= 1'}, got ${v}`);
  return v;
}

/** A finite scale > 0 (the value a float32 tensor would hold is checked too). */
export function checkScale(v: unknown, name: string): number {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a number, got ${typeName(v)}`);
  const f = Math.fround(v);
  if (!Number.isFinite(f) || !(f > 0)) throw new RangeError(`${name} must be a finite number > 0, got ${v}`);
  return v;
}

export function checkDType(v: unknown, name: string, fallback: QuantDType): QuantDType {
  if (v === undefined) return fallback;
  if (v !== 'uint8' && v !== 'int8') throw new TypeError(`${name} must be 'uint8' or 'int8', got ${String(v)}`);
  return v;
}

export function checkZeroPoint(v: unknown, name: string, dtype: QuantDType): number {
  if (typeof v !== 'number') throw new TypeError(`${name} must be an integer, got ${typeName(v)}`);
  if (!Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${v}`);
  const [lo, hi] = QRANGE[dtype];
  if (v < lo || v > hi) throw new RangeError(`${name} ${v} is outside the ${dtype} range [${lo}, ${hi}]`);
  return v;
}

const CTORS = { Uint8Array, Int8Array, Int32Array, Float32Array } as const;

export function checkArray<T extends TypedArrayName>(
  v: unknown,
  name: string,
  type: T,
  length?: number,
): InstanceType<(typeof CTORS)[T]> {
  if (!(v instanceof CTORS[type])) throw new TypeError(`${name} must be a ${type}, got ${typeName(v)}`);
  const a = v as InstanceType<(typeof CTORS)[T]>;
  if (length !== undefined && a.length !== length)
    throw new RangeError(`${name} has ${a.length} elements, expected ${length}`);
  return a;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

export function checkObject(v: unknown, name: string): Record<string, unknown> {
  if (!isObject(v)) throw new TypeError(`${name} must be an object, got ${typeName(v)}`);
  return v;
}
