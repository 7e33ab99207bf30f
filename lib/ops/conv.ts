// Quantized 2-D convolution and transposed convolution on NHWC activations.
import { type QuantDType, checkArray, checkObject, checkSize, isObject, typeName } from '../check';
import { type NativePackedConv2d, native } from '../native';
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

export type Padding =
  | number
  | readonly [number, number]
  | readonly [number, number, number, number]
  | 'valid'
  | 'same'
  | 'same_upper'
  | 'same_lower';

export interface PackConv2dOptions {
  /**
   * ONNX weight layout: Conv [outChannels][inChannels/groups][kh][kw]; ConvTranspose
   * (transposed: true) [inChannels][outChannels/groups][kh][kw].
   */
  weight: Int8Array;
  inChannels: number;
  outChannels: number;
  /** Kernel size: kh = kw = k, or [kh, kw]. */
  kernel: number | readonly [number, number];
  stride?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
  /**
   * Explicit pads: p (all sides), [ph, pw], or [top, left, bottom, right] (ONNX order); or ONNX
   * auto_pad: 'same' (= 'same_upper'), 'same_lower', 'valid'.
   */
  padding?: Padding;
  groups?: number;
  /** ConvTranspose. */
  transposed?: boolean;
  /** ConvTranspose output_padding: p or [ph, pw]. */
  outputPadding?: number | readonly [number, number];
  /** One scale (per tensor) or outChannels scales (per output channel). */
  weightScale: number | Float32Array;
  /** Asymmetric weights only: one or outChannels zero points in [-128, 127]. */
  weightZeroPoint?: number | Int32Array;
  /** outChannels biases: real (Float32Array) or quantized at input.scale * weightScale (Int32Array). */
  bias?: Float32Array | Int32Array;
  input: InputQuant;
  /** Requantized output with optional fused ReLU / clip; without it, float32 (or outputDtype 'int32'). */
  output?: OutputQuant;
  outputDtype?: 'float32' | 'int32';
  isa?: IsaName;
}

const AUTO_PAD = { valid: 3, same: 1, same_upper: 1, same_lower: 2 } as const;

function pair(v: unknown, name: string, fallback: number, allowZero = false): [number, number] {
  if (v === undefined) return [fallback, fallback];
  if (typeof v === 'number') {
    checkSize(v, name, allowZero);
    return [v, v];
  }
  if (!Array.isArray(v) || v.length !== 2) throw new TypeError(`${name} must be a number or [h, w], got ${typeName(v)}`);
  return [checkSize(v[0], `${name}[0]`, allowZero), checkSize(v[1], `${name}[1]`, allowZero)];
}

/** A convolution packed once for one ISA; pass it to conv2d() / conv2dAsync(). */
export class PackedConv2d {
  /** @internal */ readonly handle: NativePackedConv2d;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly inputDtype: QuantDType;
  readonly outputDtype: OutputDType;
  readonly isa: IsaName;
  /** Which path runs: 'gemm' (1x1), 'im2col', 'depthwise' or 'transpose'. */
  readonly algorithm: string;
  readonly packedBytes: number;

  /** @internal */
  constructor(
    handle: NativePackedConv2d,
    inChannels: number,
    outChannels: number,
    inputDtype: QuantDType,
    outputDtype: OutputDType,
  ) {
    this.handle = handle;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.inputDtype = inputDtype;
    this.outputDtype = outputDtype;
    this.isa = handle.isa as IsaName;
    this.algorithm = handle.algorithm ?? '';
    this.packedBytes = handle.packedBytes;
  }

  get released(): boolean {
    return this.handle.released;
  }

  release(): void {
    this.handle.release();
  }

  /** NHWC output shape for an NHWC input shape [n, h, w, c]. */
  outputShape(inputShape: readonly number[]): [number, number, number, number] {
    const [n, h, w] = checkShape(inputShape, this.inChannels);
    if (this.handle.released) throw new TypeError('packed conv2d handle was released');
    const [oh, ow] = this.spatialOut(n, h, w, inputShape);
    return [n, oh, ow, this.outChannels];
  }

  // The output size depends only on the layer and the input shape: the last answer is kept, so
  // that a conv2d() call on the same shape as the one before makes no native call for it.
  private lastN = -1;
  private lastH = -1;
  private lastW = -1;
  private lastOut: [number, number] = [0, 0];

  /** @internal (oh, ow) for a checked input shape. */
  spatialOut(n: number, h: number, w: number, inputShape: readonly number[]): [number, number] {
    if (n === this.lastN && h === this.lastH && w === this.lastW) return this.lastOut;
    let r: [number, number];
    try {
      r = native().conv2dOutputShape(this.handle, n, h, w);
    } catch (e) {
      throw new RangeError(`input shape [${inputShape.join(', ')}]: ${(e as Error).message}`);
    }
    this.lastOut = r;
    this.lastN = n;
    this.lastH = h;
    this.lastW = w;
    return r;
  }
}

const SHAPE_NAMES = ['shape[0]', 'shape[1]', 'shape[2]', 'shape[3]'];

function checkShape(shape: unknown, channels: number): [number, number, number] {
  if (!Array.isArray(shape) || shape.length !== 4)
    throw new TypeError(`shape must be [n, h, w, c] (NHWC), got ${Array.isArray(shape) ? `[${shape.join(', ')}]` : typeName(shape)}`);
  const n = checkSize(shape[0], SHAPE_NAMES[0]);
  const h = checkSize(shape[1], SHAPE_NAMES[1]);
  const w = checkSize(shape[2], SHAPE_NAMES[2]);
  const c = checkSize(shape[3], SHAPE_NAMES[3]);
  if (c !== channels) throw new RangeError(`shape[3] (channels) is ${c}, the convolution takes ${channels}`);
  return [n, h, w];
}

export function packConv2d(opts: PackConv2dOptions): PackedConv2d {
  checkObject(opts, 'packConv2d options');
  const cin = checkSize(opts.inChannels, 'inChannels');
  const cout = checkSize(opts.outChannels, 'outChannels');
  const [kh, kw] = pair(opts.kernel, 'kernel', 0);
  const [sh, sw] = pair(opts.stride, 'stride', 1);
  const [dh, dw] = pair(opts.dilation, 'dilation', 1);
  const groups = opts.groups === undefined ? 1 : checkSize(opts.groups, 'groups');
  if (cin % groups || cout % groups) throw new RangeError(`inChannels (${cin}) and outChannels (${cout}) must be divisible by groups (${groups})`);
  if (opts.transposed !== undefined && typeof opts.transposed !== 'boolean') throw new TypeError('transposed must be a boolean');
  const transposed = opts.transposed === true;
  let pads = [0, 0, 0, 0];
  let autoPad = 0;
  const p = opts.padding;
  if (typeof p === 'string') {
    if (!(p in AUTO_PAD)) throw new TypeError(`padding must be a number, an array, 'same', 'same_lower' or 'valid', got '${p}'`);
    autoPad = AUTO_PAD[p as keyof typeof AUTO_PAD];
  } else if (typeof p === 'number') {
    checkSize(p, 'padding', true);
    pads = [p, p, p, p];
  } else if (Array.isArray(p) && p.length === 2) {
    const [ph, pw] = pair(p, 'padding', 0, true);
    pads = [ph, pw, ph, pw];
  } else if (Array.isArray(p) && p.length === 4) {
    pads = p.map((v, i) => checkSize(v, `padding[${i}]`, true));
  } else if (p !== undefined) {
    throw new TypeError(`padding must be a number, [ph, pw], [top, left, bottom, right] or an auto_pad name, got ${typeName(p)}`);
  }
  const [oph, opw] = pair(opts.outputPadding, 'outputPadding', 0, true);
  if (!transposed && (oph || opw)) throw new TypeError('outputPadding applies to transposed convolutions only');
  const wlen = (transposed ? cin * (cout / groups) : cout * (cin / groups)) * kh * kw;
  const weight = checkArray(opts.weight, 'weight', 'Int8Array', wlen);
  const weightScale = weightScales(opts.weightScale, 'weightScale', cout, 'outChannels');
  const weightZeroPoint = weightZeroPoints(opts.weightZeroPoint, 'weightZeroPoint', cout, 'outChannels');
  const { biasF, biasQ } = biases(opts.bias, cout);
  const input = inputQuant(opts.input);
  const out = outputQuant(opts.output, opts.outputDtype, biasF !== null);
  const isa = opts.isa === undefined ? undefined : checkIsa(opts.isa);
  const geom = Int32Array.from([transposed ? 1 : 0, cin, cout, kh, kw, groups, sh, sw, dh, dw, ...pads, autoPad, oph, opw]);
  const handle = native().packConv2d(
    weight,
    isa,
    geom,
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
  return new PackedConv2d(handle, cin, cout, input.dtype, out.dtype);
}

export interface Conv2dOptions {
  /** Output buffer (NHWC, n*oh*ow*outChannels elements of the output type). */
  out?: OutArray;
}

function prepare(x: unknown, shape: unknown, packed: unknown, opts: Conv2dOptions | undefined) {
  if (!(packed instanceof PackedConv2d)) throw new TypeError(`packed must be a PackedConv2d from packConv2d(), got ${typeName(packed)}`);
  if (packed.released) throw new TypeError('packed conv2d handle was released');
  const [n, h, w] = checkShape(shape, packed.inChannels);
  const xCtor = packed.inputDtype === 'uint8' ? Uint8Array : Int8Array;
  if (!(x instanceof xCtor)) throw new TypeError(`x must be a ${xCtor.name} (input dtype ${packed.inputDtype}), got ${typeName(x)}`);
  if (x.length !== n * h * w * packed.inChannels)
    throw new RangeError(`x has ${x.length} elements, expected n*h*w*c = ${n * h * w * packed.inChannels}`);
  if (opts !== undefined && !isObject(opts)) throw new TypeError(`options must be an object, got ${typeName(opts)}`);
  const [oh, ow] = packed.spatialOut(n, h, w, shape as number[]);
  const out = outBuffer(opts?.out, packed.outputDtype, n * oh * ow * packed.outChannels, 'n*oh*ow*outChannels');
  return { n, h, w, out };
}

/** Runs the convolution on an NHWC input of `shape` [n, h, w, c]; returns the NHWC output. */
export function conv2d(x: Uint8Array | Int8Array, shape: readonly number[], packed: PackedConv2d, opts?: Conv2dOptions): OutArray {
  const p = prepare(x, shape, packed, opts);
  return native().conv2d(packed.handle, x, p.n, p.h, p.w, p.out);
}

/** conv2d() off the event loop. x and out must not be modified until the promise settles. */
export function conv2dAsync(
  x: Uint8Array | Int8Array,
  shape: readonly number[],
  packed: PackedConv2d,
  opts?: Conv2dOptions,
): Promise<OutArray> {
  try {
    const p = prepare(x, shape, packed, opts);
    return native().conv2dAsync(packed.handle, x, p.n, p.h, p.w, p.out);
  } catch (e) {
    return Promise.reject(e);
  }
}
