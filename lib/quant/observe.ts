// The heavy loops of calibration, in native code (native/include/qint8/observe.h): min/max of a
// tensor or of each channel, and histogram accumulation with the bin rules of torch.histc,
// numpy.histogram or a fixed power-of-two grid. NaN and ±Inf are skipped and counted.
import { checkArray, checkSize, isObject, typeName } from '../check';
import { native } from '../native';
import { type IsaName, checkIsa } from '../runtime';

/** A float32 tensor: a Float32Array, or an object with `data` and `dims` (onnxruntime's Tensor). */
export type TensorLike = { readonly data: unknown; readonly dims: readonly number[] };
export type ObserverInput = Float32Array | TensorLike;

export interface NonFiniteCounts {
  nan: number;
  posInf: number;
  negInf: number;
}

export function nonFiniteTotal(c: NonFiniteCounts): number {
  return c.nan + c.posInf + c.negInf;
}

export function addNonFinite(to: NonFiniteCounts, from: NonFiniteCounts): void {
  to.nan += from.nan;
  to.posInf += from.posInf;
  to.negInf += from.negInf;
}

/** The data and shape of an observer input (a Float32Array has shape [length]). */
export function tensorData(x: unknown, name = 'x', dims?: readonly number[]): { data: Float32Array; dims: number[] } {
  let data: unknown;
  let shape: readonly number[] | undefined = dims;
  if (x instanceof Float32Array) data = x;
  else if (isObject(x) && 'data' in x) {
    data = x.data;
    if (shape === undefined) shape = (x as { dims?: readonly number[] }).dims;
    if (!(data instanceof Float32Array))
      throw new TypeError(`${name}.data must be a Float32Array (a float32 tensor), got ${typeName(data)}`);
  } else throw new TypeError(`${name} must be a Float32Array or a float32 tensor ({ data, dims }), got ${typeName(x)}`);
  const arr = data as Float32Array;
  if (shape === undefined) return { data: arr, dims: [arr.length] };
  if (!Array.isArray(shape)) throw new TypeError(`${name} dims must be an array of integers, got ${typeName(shape)}`);
  const d = shape.map((v, i) => checkSize(v, `${name} dims[${i}]`, true));
  const size = d.reduce((a, b) => a * b, 1);
  if (size !== arr.length) throw new RangeError(`${name} dims [${d.join(', ')}] hold ${size} elements, the data ${arr.length}`);
  return { data: arr, dims: d };
}

function isaOf(opts?: { isa?: IsaName }): string | undefined {
  return opts?.isa === undefined ? undefined : checkIsa(opts.isa);
}

export interface MinMaxResult {
  /** Smallest finite value (+Infinity when there is none). Zeros are +0. */
  min: number;
  /** Largest finite value (-Infinity when there is none). */
  max: number;
  nonFinite: NonFiniteCounts;
}

/**
 * min and max of the finite values of x (of |x| with `absolute`); NaN and ±Inf are skipped and
 * counted.
 */
export function tensorMinMax(x: Float32Array, opts?: { isa?: IsaName; absolute?: boolean }): MinMaxResult {
  checkArray(x, 'x', 'Float32Array');
  const [min, max, nan, posInf, negInf] = native().minMax(x, isaOf(opts), opts?.absolute === true);
  return { min, max, nonFinite: { nan, posInf, negInf } };
}

export interface ChannelMinMaxResult {
  min: Float32Array;
  max: Float32Array;
  nonFinite: NonFiniteCounts;
}

/** Per-channel min/max of a tensor of shape `dims` along `axis` (negative counts from the end). */
export function channelMinMax(
  x: Float32Array,
  dims: readonly number[],
  axis: number,
  opts?: { isa?: IsaName },
): ChannelMinMaxResult {
  const t = tensorData(x, 'x', dims);
  const { outer, channels, inner } = channelView(t.dims, axis);
  const min = new Float32Array(channels);
  const max = new Float32Array(channels);
  const [nan, posInf, negInf] = native().minMaxPerChannel(t.data, outer, channels, inner, min, max, isaOf(opts));
  return { min, max, nonFinite: { nan, posInf, negInf } };
}

/** The [outer, channels, inner] view of a shape around `axis`. */
export function channelView(dims: readonly number[], axis: number): { outer: number; channels: number; inner: number; axis: number } {
  if (!Number.isInteger(axis)) throw new TypeError(`axis must be an integer, got ${String(axis)}`);
  const rank = dims.length;
  const a = axis < 0 ? axis + rank : axis;
  if (rank === 0 || a < 0 || a >= rank) throw new RangeError(`axis ${axis} is out of range for a tensor of rank ${rank}`);
  const channels = dims[a];
  if (channels === 0) throw new RangeError(`the channel axis ${axis} has size 0`);
  const outer = dims.slice(0, a).reduce((p, v) => p * v, 1);
  const inner = dims.slice(a + 1).reduce((p, v) => p * v, 1);
  return { outer, channels, inner, axis: a };
}

/**
 * How values map to bins:
 * - 'torch': torch.histc over [lo, hi] (float32 arithmetic; values outside are dropped);
 * - 'numpy': numpy.histogram with `bins` uniform float32 edges (its edge correction included);
 * - 'edges': explicit increasing edges (binary search; the last bin is closed);
 * - 'grid': bin = floor(x / 2^gridLog2) - gridOffset (exact; the order-independent histograms).
 */
export type BinRule = 'torch' | 'numpy' | 'edges' | 'grid';
const RULES: Record<BinRule, 0 | 1 | 2 | 3> = { torch: 0, numpy: 1, edges: 2, grid: 3 };

export interface HistogramOptions {
  rule: BinRule;
  bins: number;
  lo?: number;
  hi?: number;
  edges?: Float64Array;
  gridLog2?: number;
  gridOffset?: number;
  /** Histogram of |x|. */
  absolute?: boolean;
  isa?: IsaName;
}

export interface HistogramResult {
  /** Finite values outside the histogram's range. */
  dropped: number;
  nonFinite: NonFiniteCounts;
}

/** Adds the bin counts of x's values to `counts` (length `bins`, not cleared first). */
export function accumulateHistogram(x: Float32Array, opts: HistogramOptions, counts: Float64Array): HistogramResult {
  checkArray(x, 'x', 'Float32Array');
  if (!isObject(opts)) throw new TypeError(`options must be an object, got ${typeName(opts)}`);
  const rule = RULES[opts.rule];
  if (rule === undefined) throw new TypeError(`rule must be one of ${Object.keys(RULES).join(', ')}, got ${String(opts.rule)}`);
  const bins = checkSize(opts.bins, 'bins');
  if (!(counts instanceof Float64Array) || counts.length !== bins) throw new RangeError(`counts must be a Float64Array of ${bins} entries`);
  const lo = opts.lo ?? 0;
  const hi = opts.hi ?? 0;
  if (opts.rule === 'torch' && !(Number.isFinite(lo) && Number.isFinite(hi) && Math.fround(lo) < Math.fround(hi)))
    throw new RangeError(`lo/hi must be finite with lo < hi, got [${lo}, ${hi}]`);
  const [dropped, nan, posInf, negInf] = native().histogram(
    x,
    rule,
    bins,
    lo,
    hi,
    opts.edges ?? null,
    opts.gridLog2 ?? 0,
    opts.gridOffset ?? 0,
    opts.absolute === true,
    counts,
    isaOf(opts),
  );
  return { dropped, nonFinite: { nan, posInf, negInf } };
}
