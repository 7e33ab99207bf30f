// Element types and constant tensors of the graph IR (compile-time data: weights, shape tensors).
// Nothing here runs per inference; loops over elements are fine at this level.

/** Element types the IR carries. float16/bfloat16 data is kept as raw bits (Uint16Array). */
export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

export type TensorData =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A constant tensor: row-major data, dims all concrete. bool is stored as Uint8Array (0/1). */
export interface Tensor {
  dtype: DType;
  dims: number[];
  data: TensorData;
}

export const DTYPES: readonly DType[] = [
  'float32', 'float64', 'float16', 'bfloat16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool',
];

/** ONNX TensorProto.DataType code <-> DType. */
export const ONNX_DTYPE: Record<DType, number> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, uint32: 12,
  uint64: 13, bfloat16: 16,
};
const ONNX_NAMES: Record<number, string> = {
  8: 'STRING', 14: 'COMPLEX64', 15: 'COMPLEX128', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4', 23: 'FLOAT4E2M1',
};

export function dtypeFromOnnx(code: number): DType | undefined {
  for (const d of DTYPES) if (ONNX_DTYPE[d] === code) return d;
  return undefined;
}

/** Name of an ONNX data type code, for error messages. */
export function onnxTypeName(code: number): string {
  const d = dtypeFromOnnx(code);
  return d ?? ONNX_NAMES[code] ?? `type code ${code}`;
}

export const BYTES: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8,
  uint64: 8, bool: 1,
};

type Ctor = { new (n: number): TensorData; new (b: ArrayBufferLike, o: number, n: number): TensorData };
export const CTOR: Record<DType, Ctor> = {
  float32: Float32Array as unknown as Ctor,
  float64: Float64Array as unknown as Ctor,
  float16: Uint16Array as unknown as Ctor,
  bfloat16: Uint16Array as unknown as Ctor,
  int8: Int8Array as unknown as Ctor,
  uint8: Uint8Array as unknown as Ctor,
  int16: Int16Array as unknown as Ctor,
  uint16: Uint16Array as unknown as Ctor,
  int32: Int32Array as unknown as Ctor,
  uint32: Uint32Array as unknown as Ctor,
  int64: BigInt64Array as unknown as Ctor,
  uint64: BigUint64Array as unknown as Ctor,
  bool: Uint8Array as unknown as Ctor,
};

export const isFloat = (d: DType): boolean => d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
export const isBig = (d: DType): boolean => d === 'int64' || d === 'uint64';
export const isInt = (d: DType): boolean => !isFloat(d) && d !== 'bool';

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function makeTensor(dtype: DType, dims: number[], data?: TensorData | ArrayLike<number> | ArrayLike<bigint>): Tensor {
  const n = numel(dims);
  if (data === undefined) return { dtype, dims: dims.slice(), data: new CTOR[dtype](n) };
  if (data.length !== n) throw new RangeError(`tensor data has ${data.length} elements, dims [${dims.join(', ')}] need ${n}`);
  if (data instanceof (CTOR[dtype] as unknown as typeof Uint8Array)) return { dtype, dims: dims.slice(), data: data as TensorData };
  const out = new CTOR[dtype](n);
  for (let i = 0; i < n; i++) setElem(out, dtype, i, (data as ArrayLike<number | bigint>)[i]);
  return { dtype, dims: dims.slice(), data: out };
}

export const scalar = (dtype: DType, v: number | bigint): Tensor => makeTensor(dtype, [], [v as number]);
export const int64s = (v: readonly number[]): Tensor => makeTensor('int64', [v.length], v.map((x) => BigInt(x)) as unknown as ArrayLike<bigint>);

// float16 / bfloat16 bits <-> number (compile-time conversions only).
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const e = (x >>> 23) & 0xff;
  let m = x & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  let ee = e - 127 + 15;
  if (ee >= 31) return sign | 0x7c00;
  if (ee <= 0) {
    if (ee < -10) return sign;
    m |= 0x800000;
    const shift = 14 - ee;
    let r = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = m >>> 13;
  const rem = m & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) {
    r++;
    if (r === 0x400) {
      r = 0;
      ee++;
      if (ee >= 31) return sign | 0x7c00;
    }
  }
  return sign | (ee << 10) | r;
}
export function bf16ToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}
export function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if (Number.isNaN(v)) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Element i as a JS number (int64 values beyond 2^53 lose precision; shape math clamps them). */
export function getNum(t: Tensor, i: number): number {
  const v = t.data[i];
  if (typeof v === 'bigint') return Number(v);
  if (t.dtype === 'float16') return halfToFloat(v);
  if (t.dtype === 'bfloat16') return bf16ToFloat(v);
  return v;
}

export function setElem(a: TensorData, dtype: DType, i: number, v: number | bigint): void {
  if (dtype === 'int64' || dtype === 'uint64') {
    (a as BigInt64Array)[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number.isFinite(v) ? v : 0));
  } else if (dtype === 'float16') (a as Uint16Array)[i] = floatToHalf(Number(v));
  else if (dtype === 'bfloat16') (a as Uint16Array)[i] = floatToBf16(Number(v));
  else if (dtype === 'bool') (a as Uint8Array)[i] = Number(v) !== 0 ? 1 : 0;
  else (a as Float32Array)[i] = Number(v);
}

/** All elements as numbers. */
export function toNumbers(t: Tensor): number[] {
  const n = t.data.length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = getNum(t, i);
  return out;
}

/** Integer elements (int64 clamped to +-2^53, which shape arithmetic treats as "infinite"). */
export function toInts(t: Tensor): number[] {
  const out = toNumbers(t);
  for (let i = 0; i < out.length; i++) {
    if (out[i] > Number.MAX_SAFE_INTEGER) out[i] = Number.MAX_SAFE_INTEGER;
    else if (out[i] < -Number.MAX_SAFE_INTEGER) out[i] = -Number.MAX_SAFE_INTEGER;
  }
  return out;
}

export function cloneTensor(t: Tensor): Tensor {
  return { dtype: t.dtype, dims: t.dims.slice(), data: t.data.slice() as TensorData };
}

/** Bytes of a tensor's data (little-endian host: the typed array's own bytes). */
export function tensorBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function formatShape(s: readonly (number | string)[] | undefined): string {
  return s ? `[${s.join(', ')}]` : '[?]';
}
