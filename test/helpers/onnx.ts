// Builds small ONNX models in memory and runs them on onnxruntime-node (the peer every int8
// op is checked against, bit for bit).
import * as ort from 'onnxruntime-node';
import { DataType, type OnnxAttribute, type OnnxNode, type OnnxTensor, encodeModel } from '../../lib/onnx/proto';

export { DataType };
export type TypedData = Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

export function dataTypeOf(a: TypedData): number {
  if (a instanceof Float32Array) return DataType.FLOAT;
  if (a instanceof Uint8Array) return DataType.UINT8;
  if (a instanceof Int8Array) return DataType.INT8;
  if (a instanceof Int32Array) return DataType.INT32;
  return DataType.INT64;
}

export function tensor(name: string, data: TypedData, dims: number[]): OnnxTensor {
  return {
    name,
    dims,
    dataType: dataTypeOf(data),
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export function attrInt(name: string, i: number): OnnxAttribute {
  return { name, type: 2, i };
}
export function attrFloat(name: string, f: number): OnnxAttribute {
  return { name, type: 1, f };
}
export function attrInts(name: string, ints: number[]): OnnxAttribute {
  return { name, type: 7, ints };
}

export interface ModelSpec {
  nodes: OnnxNode[];
  inputs: { name: string; type: number; dims: (number | string)[] }[];
  outputs: { name: string; type: number; dims?: (number | string)[] }[];
  initializers?: OnnxTensor[];
  opset?: number;
  msOpset?: number;
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const vi = (v: { name: string; type: number; dims?: (number | string)[] }) => ({
    name: v.name,
    type: {
      tensorType: {
        elemType: v.type,
        shape: v.dims ? { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    },
  });
  const opsetImport = [{ domain: '', version: spec.opset ?? 13 }];
  if (spec.msOpset) opsetImport.push({ domain: 'com.microsoft', version: spec.msOpset });
  return encodeModel({
    irVersion: 8,
    opsetImport,
    producerName: 'qint8-tests',
    graph: {
      name: 'g',
      node: spec.nodes,
      initializer: spec.initializers ?? [],
      input: spec.inputs.map(vi),
      output: spec.outputs.map(vi),
    },
  });
}

const sessions = new Map<Uint8Array, Promise<ort.InferenceSession>>();

export async function runOrt(
  model: Uint8Array,
  feeds: Record<string, { data: TypedData; dims: number[] }>,
): Promise<Record<string, ort.Tensor>> {
  let s = sessions.get(model);
  if (!s) {
    s = ort.InferenceSession.create(model, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    sessions.set(model, s);
  }
  const session = await s;
  const typeName = (d: TypedData) =>
    d instanceof Float32Array ? 'float32' : d instanceof Uint8Array ? 'uint8' : d instanceof Int8Array ? 'int8' : d instanceof Int32Array ? 'int32' : 'int64';
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor(typeName(v.data) as 'float32', v.data as Float32Array, v.dims);
  return session.run(f);
}

/** Deterministic pseudo-random generator (xorshift32). */
export function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + (next() % (hi - lo + 1)),
    float: (lo: number, hi: number) => lo + ((hi - lo) * next()) / 4294967296,
  };
}

export function randomU8(n: number, r: ReturnType<typeof rng>): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = r.next() & 255;
  return a;
}
export function randomS8(n: number, r: ReturnType<typeof rng>): Int8Array {
  const a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = (r.next() & 255) - 128;
  return a;
}

/** Transposes an N x K row-major matrix to K x N. */
export function transpose<T extends Int8Array | Uint8Array | Float32Array>(a: T, rows: number, cols: number): T {
  const out = new (a.constructor as new (n: number) => T)(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/** Index of the first differing element, or -1. */
export function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

export function bytesOf(a: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
