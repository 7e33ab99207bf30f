// Quantized linear layer: y = x · Wᵀ + b with u8/s8 activations and s8 weights.
import {
  QRANGE,
  type QuantDType,
  checkArray,
  checkDType,
  checkObject,
  checkScale,
  checkSize,
  checkZeroPoint,
  isObject,
  typeName,
} from '../check';
import { type NativeDType, type NativePackedLinear, native } from '../native';
import { type IsaName, checkIsa } from '../runtime';

export type LinearOutputDType = 'uint8' | 'int8' | 'float32' | 'int32';
export type LinearInput = Uint8Array | Int8Array;
export type LinearOutput = Uint8Array | Int8Array | Float32Array | Int32Array;

const DTYPE_CODE: Record<LinearOutputDType, NativeDType> = { uint8: 0, int8: 1, float32: 2, int32: 3 };

export interface PackLinearOptions {
  /** N x K weights, row-major (output channel n holds weight[n*k .. n*k+k-1]). */
  weight: Int8Array;
  n: number;
  k: number;
  /** One scale (per tensor) or n scales (per output channel). */
  weightScale: number | Float32Array;
  /** Asymmetric weights only (QOperator models): one or n zero points in [-128, 127]. */
  weightZeroPoint?: number | Int32Array;
  /**
   * n biases. A Float32Array is real-valued: requantized outputs quantize it to int32 at
   * input.scale * weightScale[n] (round half to even); float32 outputs add it in float. An
   * Int32Array is already quantized at that scale.
   */
  bias?: Float32Array | Int32Array;
  /** Quantization of the activations x: real = scale * (x - zeroPoint). */
  input: { scale: number; zeroPoint: number; dtype?: QuantDType };
  /**
   * Requantized output: y = clamp(round(acc * sx * sw / scale) + zeroPoint). relu and clip fuse
   * the activation into the clamp. Without `output` the result is float32
   * (acc * sx * sw + bias), or raw int32 accumulators with outputDtype: 'int32'.
   */
  output?: { scale: number; zeroPoint: number; dtype?: QuantDType; relu?: boolean; clip?: { min?: number; max?: number } };
  outputDtype?: 'float32' | 'int32';
  /** Kernel family to pack for (default: the active ISA). */
  isa?: IsaName;
}

/** A linear layer packed once for one ISA; pass it to linear()/linearAsync(). */
export class PackedLinear {
  /** @internal */ readonly handle: NativePackedLinear;
  readonly n: number;
  readonly k: number;
  readonly isa: IsaName;
  readonly inputDtype: QuantDType;
  readonly outputDtype: LinearOutputDType;
  readonly packedBytes: number;
  /** @internal */ readonly inputQParams: { scale: number; zeroPoint: number };

  /** @internal */
  constructor(
    handle: NativePackedLinear,
    inputDtype: QuantDType,
    outputDtype: LinearOutputDType,
    input: { scale: number; zeroPoint: number },
  ) {
    this.handle = handle;
    this.n = handle.n;
    this.k = handle.k;
    this.isa = handle.isa as IsaName;
    this.packedBytes = handle.packedBytes;
    this.inputDtype = inputDtype;
    this.outputDtype = outputDtype;
    this.inputQParams = input;
  }

  get released(): boolean {
    return this.handle.released;
  }

  /** Frees the packed weights (calls already running keep them until they finish). */
  release(): void {
    this.handle.release();
  }
}

function toFloat32(v: number | Float32Array, name: string, n: number): Float32Array {
  if (typeof v === 'number') {
    checkScale(v, name);
    return new Float32Array([v]);
  }
  const a = checkArray(v, name, 'Float32Array');
  if (a.length !== 1 && a.length !== n) throw new RangeError(`${name} must have 1 or n (${n}) entries, got ${a.length}`);
  for (let i = 0; i < a.length; i++) checkScale(a[i], `${name}[${i}]`);
  return a;
}

export function packLinear(opts: PackLinearOptions): PackedLinear {
  checkObject(opts, 'packLinear options');
  const n = checkSize(opts.n, 'n');
  const k = checkSize(opts.k, 'k');
  const weight = checkArray(opts.weight, 'weight', 'Int8Array', n * k);
  const weightScale = toFloat32(opts.weightScale, 'weightScale', n);
  let weightZeroPoint: Int32Array | null = null;
  if (opts.weightZeroPoint !== undefined) {
    const z = opts.weightZeroPoint;
    if (typeof z === 'number') weightZeroPoint = new Int32Array([checkZeroPoint(z, 'weightZeroPoint', 'int8')]);
    else {
      weightZeroPoint = checkArray(z, 'weightZeroPoint', 'Int32Array');
      if (weightZeroPoint.length !== 1 && weightZeroPoint.length !== n)
        throw new RangeError(`weightZeroPoint must have 1 or n (${n}) entries, got ${weightZeroPoint.length}`);
      weightZeroPoint.forEach((v, i) => checkZeroPoint(v, `weightZeroPoint[${i}]`, 'int8'));
    }
  }
  let biasF: Float32Array | null = null;
  let biasQ: Int32Array | null = null;
  if (opts.bias !== undefined) {
    if (opts.bias instanceof Float32Array) {
      biasF = checkArray(opts.bias, 'bias', 'Float32Array', n);
      for (let i = 0; i < n; i++) if (!Number.isFinite(biasF[i])) throw new RangeError(`bias[${i}] is not finite`);
    } else if (opts.bias instanceof Int32Array) biasQ = checkArray(opts.bias, 'bias', 'Int32Array', n);
    else throw new TypeError(`bias must be a Float32Array or an Int32Array, got ${typeName(opts.bias)}`);
  }
  const input = checkObject(opts.input, 'input');
  const inDtype = checkDType(input.dtype, 'input.dtype', 'uint8');
  const inScale = checkScale(input.scale, 'input.scale');
  const inZp = checkZeroPoint(input.zeroPoint, 'input.zeroPoint', inDtype);

  let outDtype: LinearOutputDType;
  let outScale = 1;
  let outZp = 0;
  let relu = false;
  let clipMin = NaN;
  let clipMax = NaN;
  if (opts.output !== undefined) {
    if (opts.outputDtype !== undefined) throw new TypeError('give either output (requantized) or outputDtype, not both');
    const o = checkObject(opts.output, 'output');
    outDtype = checkDType(o.dtype, 'output.dtype', 'uint8');
    outScale = checkScale(o.scale, 'output.scale');
    outZp = checkZeroPoint(o.zeroPoint, 'output.zeroPoint', outDtype);
    if (o.relu !== undefined && typeof o.relu !== 'boolean') throw new TypeError('output.relu must be a boolean');
    relu = o.relu === true;
    if (o.clip !== undefined) {
      const c = checkObject(o.clip, 'output.clip');
      if (c.min !== undefined) {
        if (typeof c.min !== 'number' || Number.isNaN(c.min)) throw new TypeError('output.clip.min must be a number');
        clipMin = c.min;
      }
      if (c.max !== undefined) {
        if (typeof c.max !== 'number' || Number.isNaN(c.max)) throw new TypeError('output.clip.max must be a number');
        clipMax = c.max;
      }
      if (clipMin > clipMax) throw new RangeError(`output.clip.min (${clipMin}) > output.clip.max (${clipMax})`);
    }
  } else {
    const od = opts.outputDtype ?? 'float32';
    if (od !== 'float32' && od !== 'int32') throw new TypeError(`outputDtype must be 'float32' or 'int32', got ${String(od)}`);
    outDtype = od;
    if (od === 'int32' && biasF) throw new TypeError('a real (Float32Array) bias needs a float32 or requantized output; give an Int32Array bias for int32 output');
  }
  const isa = opts.isa === undefined ? undefined : checkIsa(opts.isa);
  const handle = native().packLinear(
    weight,
    n,
    k,
    isa,
    weightScale,
    weightZeroPoint,
    biasF,
    biasQ,
    DTYPE_CODE[inDtype],
    inScale,
    inZp,
    DTYPE_CODE[outDtype],
    outScale,
    outZp,
    relu,
    clipMin,
    clipMax,
  );
  return new PackedLinear(handle, inDtype, outDtype, { scale: inScale, zeroPoint: inZp });
}

export interface LinearOptions {
  /** Output buffer (m*n elements of the output type); allocated when absent. */
  out?: LinearOutput;
  /** Input qparams for this call (dynamic quantization); default: those given at pack time. */
  input?: { scale: number; zeroPoint: number };
}

function allocOut(dtype: LinearOutputDType, len: number): LinearOutput {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(len);
    case 'int8':
      return new Int8Array(len);
    case 'float32':
      return new Float32Array(len);
    case 'int32':
      return new Int32Array(len);
  }
}

const OUT_CTOR = { uint8: Uint8Array, int8: Int8Array, float32: Float32Array, int32: Int32Array } as const;

function prepare(x: unknown, m: unknown, packed: unknown, opts: LinearOptions | undefined) {
  if (!(packed instanceof PackedLinear)) throw new TypeError(`packed must be a PackedLinear from packLinear(), got ${typeName(packed)}`);
  if (packed.handle.released) throw new TypeError('packed linear handle was released');
  const rows = checkSize(m, 'm');
  const xCtor = packed.inputDtype === 'uint8' ? Uint8Array : Int8Array;
  if (!(x instanceof xCtor)) throw new TypeError(`x must be a ${xCtor.name} (input dtype ${packed.inputDtype}), got ${typeName(x)}`);
  if (x.length !== rows * packed.k) throw new RangeError(`x has ${x.length} elements, expected m*k = ${rows * packed.k}`);
  let out: LinearOutput;
  let inScale: number | undefined;
  let inZp: number | undefined;
  if (opts !== undefined) {
    if (!isObject(opts)) throw new TypeError(`options must be an object, got ${typeName(opts)}`);
    if (opts.input !== undefined) {
      const i = checkObject(opts.input, 'input');
      inScale = checkScale(i.scale, 'input.scale');
      inZp = checkZeroPoint(i.zeroPoint, 'input.zeroPoint', packed.inputDtype);
    }
  }
  const len = rows * packed.n;
  if (opts?.out !== undefined) {
    const ctor = OUT_CTOR[packed.outputDtype];
    if (!(opts.out instanceof ctor)) throw new TypeError(`out must be a ${ctor.name} (output dtype ${packed.outputDtype}), got ${typeName(opts.out)}`);
    if (opts.out.length !== len) throw new RangeError(`out has ${opts.out.length} elements, expected m*n = ${len}`);
    out = opts.out;
  } else {
    out = allocOut(packed.outputDtype, len);
  }
  return { rows, out, inScale, inZp };
}

/** Runs the layer on m rows of x synchronously; returns the output (opts.out when given). */
export function linear(x: LinearInput, m: number, packed: PackedLinear, opts?: LinearOptions): LinearOutput {
  const p = prepare(x, m, packed, opts);
  return native().linear(packed.handle, x, p.rows, p.out, p.inScale, p.inZp);
}

/**
 * Same as linear(), off the event loop (libuv's pool hands the call to qint8's own threads).
 * x and out must not be modified until the promise settles.
 */
export function linearAsync(x: LinearInput, m: number, packed: PackedLinear, opts?: LinearOptions): Promise<LinearOutput> {
  try {
    const p = prepare(x, m, packed, opts);
    return native().linearAsync(packed.handle, x, p.rows, p.out, p.inScale, p.inZp);
  } catch (e) {
    return Promise.reject(e);
  }
}

