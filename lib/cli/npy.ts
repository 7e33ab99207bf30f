// NumPy .npy files (format versions 1.0, 2.0 and 3.0): a magic string, a version, the header
// length, a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }
// padded with spaces to a multiple of 64 bytes and ending in '\n', then the C-order data.
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
import * as fs from 'node:fs';

export type NpyDType = 'float32' | 'float64' | 'uint8' | 'int8' | 'int32' | 'int64' | 'bool';
export type NpyData = Float32Array | Float64Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  data: NpyData;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

// descr -> dtype, for little-endian (or byte-order-free) element types.
const DESCR: Record<string, NpyDType> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '|u1': 'uint8',
  '<u1': 'uint8',
  '|i1': 'int8',
  '<i1': 'int8',
  '<i4': 'int32',
  '<i8': 'int64',
  '|b1': 'bool',
};
const WRITE_DESCR: Record<NpyDType, string> = { float32: '<f4', float64: '<f8', uint8: '|u1', int8: '|i1', int32: '<i4', int64: '<i8', bool: '|b1' };
const CTOR = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int8: Int8Array, int32: Int32Array, int64: BigInt64Array, bool: Uint8Array } as const;

/** Error in a .npy file; the message names the file. */
export class NpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

/** Parses .npy bytes; `name` is used in error messages. */
export function parseNpy(bytes: Uint8Array, name = '.npy data'): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (msg: string): never => {
    throw new NpyError(`${name}: ${msg}`);
  };
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) fail('not a .npy file (no \\x93NUMPY magic)');
  const major = buf[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) fail('truncated header');
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else return fail(`unsupported .npy format version ${major}.${buf[7]}`);
  if (start + headerLen > buf.length) fail('truncated header');
  const header = buf.subarray(start, start + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descrM = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header);
  const fortranM = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descrM || !fortranM || !shapeM) return fail(`malformed header ${JSON.stringify(header.trim())}`);
  const descr = descrM[1];
  const dtype = DESCR[descr];
  if (!dtype) {
    if (descr.startsWith('>')) fail(`big-endian data ('${descr}') is not supported; save it little-endian (arr.astype(arr.dtype.newbyteorder('<')))`);
    fail(`unsupported dtype '${descr}' (supported: float32, float64, uint8, int8, int32, int64, bool)`);
  }
  if (fortranM[1] === 'True') fail('fortran_order=True is not supported; save a C-order array (np.save(path, np.ascontiguousarray(arr)))');
  const shapeText = shapeM[1].trim();
  const shape = shapeText === '' ? [] : shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => (/^\d+L?$/.test(s) ? parseInt(s, 10) : NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) fail(`malformed shape (${shapeText})`);
  const n = shape.reduce((a, b) => a * b, 1);
  const C = CTOR[dtype];
  const dataStart = start + headerLen;
  const nbytes = n * C.BYTES_PER_ELEMENT;
  if (buf.length - dataStart < nbytes) fail(`truncated data: shape (${shape.join(', ')}) ${dtype} needs ${nbytes} bytes, the file has ${buf.length - dataStart}`);
  // Copy: the data offset need not be aligned for a typed-array view of the file's buffer.
  const data = new C(n);
  new Uint8Array(data.buffer).set(buf.subarray(dataStart, dataStart + nbytes));
  return { dtype, shape, data };
}

export function readNpy(file: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new NpyError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseNpy(bytes, file);
}

/** Version 1.0 .npy bytes of a C-order array. */
export function encodeNpy(a: { dtype: NpyDType; shape: readonly number[]; data: ArrayBufferView }): Uint8Array {
  const n = a.shape.reduce((x, y) => x * y, 1);
  const C = CTOR[a.dtype];
  if (!C) throw new TypeError(`cannot write dtype ${String(a.dtype)} to .npy`);
  if (a.data.byteLength !== n * C.BYTES_PER_ELEMENT) throw new RangeError(`.npy data has ${a.data.byteLength} bytes, shape (${a.shape.join(', ')}) ${a.dtype} needs ${n * C.BYTES_PER_ELEMENT}`);
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let header = `{'descr': '${WRITE_DESCR[a.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  if (header.length > 65535) throw new RangeError('.npy header too long');
  const out = new Uint8Array(10 + header.length + a.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), 10 + header.length);
  return out;
}

export function writeNpy(file: string, a: { dtype: NpyDType; shape: readonly number[]; data: ArrayBufferView }): void {
  fs.writeFileSync(file, encodeNpy(a));
}
