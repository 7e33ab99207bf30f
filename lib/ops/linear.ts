// Quantized linear layer: y = x · Wᵀ + b with u8/s8 activations and s8 weights.
import { type QuantDType, checkArray, checkObject, checkScale, checkSize, checkZeroPoint, isObject, typeName } from '../check';
import { type NativePackedLinear, native } from '../native';
import { type IsaName, checkIsa } from '../runtime';
import {
  DTYPE_CODE,
  type InputQuant,
  type OutArray,
  type OutputDType,
  type OutputQuant,
  biases,
  inputQuant,
  outBuffer,
  outputQuant,
  weightScales,
  weightZeroPoints,
} from './common';

export type LinearOutputDType = OutputDType;
export type LinearInput = Uint8Array | Int8Array;
export type LinearOutput = OutArray;

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
  input: InputQuant;
  /**
   * Requantized output: y = clamp(round(acc * sx * sw / scale) + zeroPoint). relu and clip fuse
   * the activation into the clamp. Without `output` the result is float32
   * (acc * sx * sw + bias), or raw int32 accumulators with outputDtype: 'int32'.
   */
  output?: OutputQuant;
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

export function packLinear(opts: PackLinearOptions): PackedLinear {
  checkObject(opts, 'packLinear options');
  const n = checkSize(opts.n, 'n');
  const k = checkSize(opts.k, 'k');
  const weight = checkArray(opts.weight, 'weight', 'Int8Array', n * k);
  const weightScale = weightScales(opts.weightScale, 'weightScale', n);
  const weightZeroPoint = weightZeroPoints(opts.weightZeroPoint, 'weightZeroPoint', n);
  const { biasF, biasQ } = biases(opts.bias, n);
  const input = inputQuant(opts.input);
  const out = outputQuant(opts.output, opts.outputDtype, biasF !== null);
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
    DTYPE_CODE[input.dtype],
    input.scale,
    input.zeroPoint,
    DTYPE_CODE[out.dtype],
    out.scale,
    out.zeroPoint,
    out.relu,
    out.clipMin,
    out.clipMax,
  );
  return new PackedLinear(handle, input.dtype, out.dtype, { scale: input.scale, zeroPoint: input.zeroPoint });
}

export interface LinearOptions {
  /** Output buffer (m*n elements of the output type); allocated when absent. */
  out?: LinearOutput;
  /** Input qparams for this call (dynamic quantization); default: those given at pack time. */
  input?: { scale: number; zeroPoint: number };
}

function prepare(x: unknown, m: unknown, packed: unknown, opts: LinearOptions | undefined) {
  if (!(packed instanceof PackedLinear)) throw new TypeError(`packed must be a PackedLinear from packLinear(), got ${typeName(packed)}`);
  if (packed.handle.released) throw new TypeError('packed linear handle was released');
  const rows = checkSize(m, 'm');
  const xCtor = packed.inputDtype === 'uint8' ? Uint8Array : Int8Array;
  if (!(x instanceof xCtor)) throw new TypeError(`x must be a ${xCtor.name} (input dtype ${packed.inputDtype}), got ${typeName(x)}`);
  if (x.length !== rows * packed.k) throw new RangeError(`x has ${x.length} elements, expected m*k = ${rows * packed.k}`);
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
  const out = outBuffer(opts?.out, packed.outputDtype, rows * packed.n, 'm*n');
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

