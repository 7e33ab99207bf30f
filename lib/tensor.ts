// Tensor with onnxruntime's shape: new Tensor(type, data, dims) or new Tensor(data, dims).
import { typeName } from './check';

export type TensorType =
  | 'float32'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'float16'
  | 'string';

export type TensorDataType =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

const CTORS: Record<Exclude<TensorType, 'string'>, { new (n: number): Exclude<TensorDataType, string[]>; from(a: ArrayLike<never>): Exclude<TensorDataType, string[]> }> = {
  float32: Float32Array as never,
  float64: Float64Array as never,
  int8: Int8Array as never,
  uint8: Uint8Array as never,
  int16: Int16Array as never,
  uint16: Uint16Array as never,
  int32: Int32Array as never,
  uint32: Uint32Array as never,
  int64: BigInt64Array as never,
  uint64: BigUint64Array as never,
  bool: Uint8Array as never,
  float16: Uint16Array as never,
};

function typeOfData(d: unknown): TensorType {
  if (d instanceof Float32Array) return 'float32';
  if (d instanceof Float64Array) return 'float64';
  if (d instanceof Int8Array) return 'int8';
  if (d instanceof Uint8Array) return 'uint8';
  if (d instanceof Int16Array) return 'int16';
  if (d instanceof Uint16Array) return 'uint16';
  if (d instanceof Int32Array) return 'int32';
  if (d instanceof Uint32Array) return 'uint32';
  if (d instanceof BigInt64Array) return 'int64';
  if (d instanceof BigUint64Array) return 'uint64';
  if (Array.isArray(d) && d.every((x) => typeof x === 'string')) return 'string';
  throw new TypeError(`cannot infer a tensor type from ${typeName(d)}`);
}

export class Tensor {
  readonly type: TensorType;
  readonly data: TensorDataType;
  readonly dims: readonly number[];
  readonly size: number;
  readonly location = 'cpu' as const;

  constructor(type: TensorType, data: TensorDataType | readonly number[] | readonly bigint[] | readonly boolean[], dims?: readonly number[]);
  constructor(data: TensorDataType, dims?: readonly number[]);
  constructor(a: unknown, b?: unknown, c?: unknown) {
    let type: TensorType;
    let data: unknown;
    let dims: unknown;
    if (typeof a === 'string') {
      type = a as TensorType;
      data = b;
      dims = c;
      if (!(type in CTORS) && type !== 'string') throw new TypeError(`unsupported tensor type '${type}'`);
      if (Array.isArray(data)) {
        if (type === 'string') {
          if (!data.every((x) => typeof x === 'string')) throw new TypeError('string tensor data must be strings');
        } else if (type === 'bool') data = Uint8Array.from(data as ArrayLike<number>, (x) => (x ? 1 : 0));
        else data = CTORS[type as Exclude<TensorType, 'string'>].from(data as never);
      } else if (type !== 'string') {
        const want = CTORS[type as Exclude<TensorType, 'string'>];
        if (!(data instanceof (want as unknown as typeof Uint8Array)))
          throw new TypeError(`a ${type} tensor needs a ${want.name}, got ${typeName(data)}`);
      } else {
        throw new TypeError(`string tensor data must be an array of strings, got ${typeName(data)}`);
      }
    } else {
      data = a;
      dims = b;
      type = typeOfData(data);
    }
    const len = (data as ArrayLike<unknown>).length;
    const d = dims === undefined ? [len] : dims;
    if (!Array.isArray(d) || !d.every((x) => Number.isInteger(x) && x >= 0))
      throw new TypeError(`dims must be an array of non-negative integers, got ${JSON.stringify(dims)}`);
    const size = d.reduce((p: number, x: number) => p * x, 1);
    if (size !== len) throw new RangeError(`tensor data has ${len} elements, dims [${d.join(', ')}] need ${size}`);
    this.type = type;
    this.data = data as TensorDataType;
    this.dims = Object.freeze(d.slice());
    this.size = size;
  }

  /** onnxruntime-compatible accessor. */
  async getData(): Promise<TensorDataType> {
    return this.data;
  }

  dispose(): void {
    // CPU tensors own plain typed arrays; nothing native to free.
  }
}
