// Histogram calibrators for activations: entropy (KL divergence; TensorRT's algorithm, or
// onnxruntime's variant), MSE, and percentile. Each is an Observer: observe() batches, then
// calculateQParams() (or computeRange() for the chosen [min, max]).
//
//  - EntropyCalibrator, variant 'tensorrt' (default): 2048 bins of |x| (the width set by the
//    first batch, more bins added as the range grows), the first bin's count replaced by the
//    second's (as TensorRT's tool does), 128 quantized levels for signed data and 256 for
//    unsigned (all values >= 0), no smoothing, thresholds searched from 128 bins up
//    (native/include/qint8/calibrate.h has the exact definition of the search).
//  - EntropyCalibrator, variant 'onnxruntime': onnxruntime's EntropyCalibrater (its histogram of
//    signed values, 128 bins and 128 quantized bins by default, its smoothing).
//  - MseCalibrator: the threshold minimizing the expected squared quantization error on the same
//    |x| histogram (values uniform within a bin, exact integrals).
//  - PercentileCalibrator: onnxruntime's PercentileCalibrater (2048 bins; symmetric: |x|
//    histogram, the threshold at the percentile; asymmetric: both tails cut by (100 - p) / 2 %).
//
// orderIndependent: true collects on qint8's power-of-two grid instead (GridHistogram): the
// result then depends only on the values observed, not on how they were batched, and merge()
// is exact.
import { native } from '../native';
import { AbsHistogram, GridHistogram, OrtHistogram } from './histogram';
import { addNonFinite, nonFiniteTotal, tensorMinMax } from './observe';
import { type ObserverKind, NOTHING_OBSERVED, Observer, type TensorQParams } from './observers';
import { type QParamsOptions, type ResolvedQParamsOptions, computeQParams, resolveQParamsOptions } from './qparams';
import { isObject, typeName } from '../check';

const f32 = Math.fround;

export interface CalibratorOptions extends QParamsOptions {
  /** Collect on the order-independent grid (see the module comment). Default false. */
  orderIndependent?: boolean;
  /** Grid bins available to the order-independent mode (default 32768). */
  gridCapacity?: number;
}

function opt(o: unknown): Record<string, unknown> {
  if (o === undefined) return {};
  if (!isObject(o)) throw new TypeError(`options must be an object, got ${typeName(o)}`);
  return o;
}

function intOpt(v: unknown, name: string, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${String(v)}`);
  if (v < lo || v > hi) throw new RangeError(`${name} must be in [${lo}, ${hi}], got ${v}`);
  return v;
}

function boolOpt(v: unknown, name: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${typeName(v)}`);
  return v;
}

function qparamsOpts(o: Record<string, unknown>): ResolvedQParamsOptions {
  const { dtype, qscheme, reduceRange, quantMin, quantMax, eps, compat } = o as QParamsOptions;
  const r = resolveQParamsOptions({ dtype, qscheme, reduceRange, quantMin, quantMax, eps, compat }, false);
  return r;
}

/** Common machinery: the collector, non-finite counting, qparams from a range. */
abstract class HistogramCalibratorBase extends Observer {
  readonly qparamsOptions: ResolvedQParamsOptions;
  readonly orderIndependent: boolean;
  readonly gridCapacity: number;

  constructor(o: Record<string, unknown>) {
    super();
    for (const k of Object.keys(o))
      if (o[k] === undefined) delete o[k];
    this.qparamsOptions = qparamsOpts(o);
    this.orderIndependent = boolOpt(o.orderIndependent, 'orderIndependent', false);
    this.gridCapacity = intOpt(o.gridCapacity, 'gridCapacity', 16, 1 << 22, 32768);
  }

  get options(): Record<string, unknown> {
    return { ...this.qparamsOptions, orderIndependent: this.orderIndependent, gridCapacity: this.gridCapacity };
  }

  /** The calibrated range, or [+Inf, -Inf] when nothing finite was observed. */
  abstract computeRange(): { min: number; max: number };
  abstract get empty(): boolean;

  calculateQParams(): TensorQParams {
    const nf = nonFiniteTotal(this.nonFinite);
    const warnings = nf > 0 ? [`${nf} NaN/Inf value${nf === 1 ? ' was' : 's were'} ignored`] : [];
    const empty = this.empty;
    const r = empty ? { min: Infinity, max: -Infinity } : this.computeRange();
    const q = computeQParams(r.min, r.max, this.qparamsOptions);
    return {
      ...q,
      dtype: this.qparamsOptions.dtype,
      qscheme: this.qparamsOptions.qscheme,
      min: r.min,
      max: r.max,
      empty,
      nonFinite: nf,
      warnings: [...(empty ? [NOTHING_OBSERVED] : []), ...warnings],
    };
  }
}

/**
 * Clips a threshold range to the observed one, as onnxruntime does. A threshold below every
 * value (e.g. t < min of positive data) leaves lo > hi; onnxruntime's compute_scale_zp then
 * works on [min(lo, 0), max(hi, 0)], which is what is returned here (same qparams, valid range).
 */
function clip(lo: number, hi: number, min: number, max: number): { min: number; max: number } {
  const a = lo < min ? min : lo;
  const b = hi > max ? max : hi;
  return a <= b ? { min: a, max: b } : { min: Math.min(a, 0), max: Math.max(b, 0) };
}

// ---------------------------------------------------------------- TensorRT-style |x| calibrators

export interface AbsCalibratorOptions extends CalibratorOptions {
  /** Bins of the |x| histogram (default 2048). */
  bins?: number;
  /** First candidate threshold, in bins (default 128). */
  startBin?: number;
  /** Step between candidate thresholds, in bins (default 1). */
  stride?: number;
}

abstract class AbsHistogramCalibrator extends HistogramCalibratorBase {
  readonly bins: number;
  readonly startBin: number;
  readonly stride: number;
  hist: AbsHistogram;
  grid: GridHistogram;

  constructor(o: Record<string, unknown>) {
    super(o);
    this.bins = intOpt(o.bins, 'bins', 1, 1 << 24, 2048);
    this.startBin = intOpt(o.startBin, 'startBin', 1, 1 << 24, 128);
    this.stride = intOpt(o.stride, 'stride', 1, 1 << 24, 1);
    this.hist = new AbsHistogram(this.bins);
    this.grid = new GridHistogram(this.gridCapacity, true);
  }

  override get options(): Record<string, unknown> {
    return { ...super.options, bins: this.bins, startBin: this.startBin, stride: this.stride };
  }

  get empty(): boolean {
    return this.orderIndependent ? this.grid.empty : this.hist.empty;
  }

  /** Signed range of the values seen. */
  private signedRange(): { min: number; max: number } {
    return this.orderIndependent ? this.signed : { min: this.hist.min, max: this.hist.max };
  }
  private signed = { min: Infinity, max: -Infinity };

  protected observeData(data: Float32Array): void {
    const mm = tensorMinMax(data);
    addNonFinite(this.nonFinite, mm.nonFinite);
    if (!(mm.min <= mm.max)) return;
    if (this.orderIndependent) {
      this.grid.add(data, mm);
      this.signed = { min: Math.min(this.signed.min, mm.min), max: Math.max(this.signed.max, mm.max) };
    } else this.hist.add(data, mm);
  }

  /** The |x| histogram the search runs on: counts over [0, hi] and its threshold per bin count. */
  absHistogram(): { counts: Float64Array; hi: number; edge: (i: number) => number } {
    if (!this.orderIndependent) {
      const h = this.hist;
      if (h.counts.length === 0) return { counts: new Float64Array(0), hi: 0, edge: () => 0 };
      return { counts: h.counts, hi: h.hi, edge: (i) => h.edge(i) };
    }
    const hi = this.grid.max;
    if (!(hi > 0)) return { counts: new Float64Array(0), hi: 0, edge: () => 0 };
    const counts = this.grid.rebin(0, hi, this.bins);
    return { counts, hi, edge: (i) => (i >= this.bins ? hi : f32((i * hi) / this.bins)) };
  }

  /** Data >= 0 everywhere: the unsigned levels apply. */
  get unsigned(): boolean {
    return this.signedRange().min >= 0;
  }

  protected abstract searchBins(counts: Float64Array, hi: number): number;

  computeRange(): { min: number; max: number } {
    const s = this.signedRange();
    if (!(s.min <= s.max)) return { min: Infinity, max: -Infinity };
    const h = this.absHistogram();
    if (h.counts.length === 0) return { min: s.min, max: s.max }; // zeros only
    const i = this.searchBins(h.counts, h.hi);
    const t = h.edge(i);
    return clip(this.unsigned ? 0 : -t, t, s.min, s.max);
  }

  protected stateJSON(): Record<string, unknown> {
    return this.orderIndependent ? { grid: this.grid.toJSON(), signed: { ...this.signed } } : { histogram: this.hist.toJSON() };
  }

  protected loadState(s: Record<string, unknown>): void {
    if (this.orderIndependent) {
      this.grid = GridHistogram.fromJSON(s.grid as never);
      const sg = s.signed as { min: number | null; max: number | null };
      this.signed = { min: sg.min ?? Infinity, max: sg.max ?? -Infinity };
    } else this.hist = AbsHistogram.fromJSON(s.histogram as never);
  }

  protected mergeState(o: this): void {
    if (this.orderIndependent) {
      this.grid.merge(o.grid);
      this.signed = { min: Math.min(this.signed.min, o.signed.min), max: Math.max(this.signed.max, o.signed.max) };
    } else this.hist.merge(o.hist);
  }
}

export interface EntropyCalibratorOptions extends AbsCalibratorOptions {
  /** 'tensorrt' (default) or 'onnxruntime' (onnxruntime's EntropyCalibrater). */
  variant?: 'tensorrt' | 'onnxruntime';
  /** tensorrt: quantized levels (default 128 for signed data, 256 for unsigned). */
  levels?: number;
  /** onnxruntime: num_quantized_bins (default 128). The histogram's bins default to 128 too. */
  numQuantizedBins?: number;
}

/** KL-divergence (entropy) calibration. */
export class EntropyCalibrator extends HistogramCalibratorBase {
  get kind(): ObserverKind {
    return 'EntropyCalibrator';
  }
  readonly variant: 'tensorrt' | 'onnxruntime';
  private readonly impl: TensorRTEntropy | OrtEntropy;

  constructor(opts?: EntropyCalibratorOptions) {
    const o = { ...opt(opts) };
    super(o);
    const v = o.variant ?? 'tensorrt';
    if (v !== 'tensorrt' && v !== 'onnxruntime') throw new TypeError(`variant must be 'tensorrt' or 'onnxruntime', got ${String(v)}`);
    this.variant = v;
    if (v === 'onnxruntime') {
      if (o.orderIndependent === true) throw new TypeError("variant 'onnxruntime' reproduces onnxruntime's collection; it has no order-independent mode");
      this.impl = new OrtEntropy(o);
    } else this.impl = new TensorRTEntropy(o);
  }

  override get options(): Record<string, unknown> {
    return { ...this.impl.options, variant: this.variant };
  }
  get empty(): boolean {
    return this.impl.empty;
  }
  protected observeData(data: Float32Array, dims: number[]): void {
    this.impl.observe(data, dims);
    addNonFinite(this.nonFinite, this.impl.nonFinite);
    Object.assign(this.impl.nonFinite, { nan: 0, posInf: 0, negInf: 0 });
  }
  computeRange(): { min: number; max: number } {
    return this.impl.computeRange();
  }
  /** The histogram state of the underlying collector. */
  get collector(): TensorRTEntropy | OrtEntropy {
    return this.impl;
  }
  protected stateJSON(): Record<string, unknown> {
    return this.impl.toJSON().state;
  }
  protected loadState(s: Record<string, unknown>): void {
    this.impl.restore({ ...this.impl.toJSON(), state: s, nonFinite: { nan: 0, posInf: 0, negInf: 0 }, batches: 0 });
  }
  protected mergeState(o: this): void {
    this.impl.merge(o.impl as never);
  }
}

/**
 * TensorRT's calibrator (pytorch-quantization's _compute_amax_entropy) replaces the first bin's
 * count by the second's before the search: after a ReLU most values are exactly 0, and that spike
 * would otherwise dominate the divergence (every wider candidate spreads it over a group of bins),
 * so the search would pick a threshold far inside the data (on the Fashion-MNIST CNN: 0.54 for a
 * tensor whose values reach 7.1, and 38% top-1 instead of 93%).
 */
function withoutZeroSpike(counts: Float64Array): Float64Array {
  if (counts.length < 2) return counts;
  const c = counts.slice();
  c[0] = c[1];
  return c;
}

/** @internal TensorRT's entropy search on the |x| histogram. */
export class TensorRTEntropy extends AbsHistogramCalibrator {
  get kind(): ObserverKind {
    return 'EntropyCalibrator';
  }
  readonly levels: number | undefined;
  constructor(o: Record<string, unknown>) {
    super(o);
    this.levels = o.levels === undefined ? undefined : intOpt(o.levels, 'levels', 2, 1 << 16, 128);
  }
  override get options(): Record<string, unknown> {
    const r: Record<string, unknown> = { ...super.options };
    if (this.levels !== undefined) r.levels = this.levels;
    return r;
  }
  protected searchBins(counts: Float64Array): number {
    const levels = this.levels ?? (this.unsigned ? 256 : 128);
    return native().entropyThreshold(withoutZeroSpike(counts), levels, this.startBin, this.stride, null);
  }
  /** KL divergence of every candidate (index k: threshold at startBin + k * stride bins). */
  divergences(): Float64Array {
    const h = this.absHistogram();
    const n = h.counts.length;
    if (n === 0) return new Float64Array(0);
    const first = Math.max(1, Math.min(this.startBin, n));
    const out = new Float64Array(Math.floor((n - first) / this.stride) + 1);
    native().entropyThreshold(withoutZeroSpike(h.counts), this.levels ?? (this.unsigned ? 256 : 128), this.startBin, this.stride, out);
    return out;
  }
}

/** @internal onnxruntime's EntropyCalibrater. */
export class OrtEntropy extends HistogramCalibratorBase {
  get kind(): ObserverKind {
    return 'EntropyCalibrator';
  }
  readonly bins: number;
  readonly numQuantizedBins: number;
  hist: OrtHistogram;
  constructor(o: Record<string, unknown>) {
    super(o);
    this.bins = intOpt(o.bins, 'bins', 1, 1 << 24, 128);
    this.numQuantizedBins = intOpt(o.numQuantizedBins, 'numQuantizedBins', 1, 1 << 24, 128);
    if (Math.floor(this.numQuantizedBins / 2) > Math.floor(this.bins / 2))
      throw new RangeError(`numQuantizedBins (${this.numQuantizedBins}) must not exceed bins (${this.bins})`);
    this.hist = new OrtHistogram('value', this.bins);
  }
  override get options(): Record<string, unknown> {
    const { orderIndependent: _o, gridCapacity: _g, ...rest } = super.options;
    return { ...rest, bins: this.bins, numQuantizedBins: this.numQuantizedBins };
  }
  get empty(): boolean {
    return this.hist.empty;
  }
  protected observeData(data: Float32Array): void {
    const mm = tensorMinMax(data);
    addNonFinite(this.nonFinite, mm.nonFinite);
    this.hist.add(data, mm);
  }
  computeRange(): { min: number; max: number } {
    const h = this.hist;
    if (h.counts === null || h.edges === null) return { min: Infinity, max: -Infinity };
    const [s, e] = native().ortEntropyThreshold(h.counts, this.numQuantizedBins);
    return clip(h.edges[s], h.edges[e], h.min, h.max);
  }
  protected stateJSON(): Record<string, unknown> {
    return { histogram: this.hist.toJSON() };
  }
  protected loadState(s: Record<string, unknown>): void {
    this.hist = OrtHistogram.fromJSON(s.histogram as never);
  }
  protected mergeState(): void {
    throw new TypeError("onnxruntime's histograms cannot be merged (its tool has no merge); use EntropyCalibrator with variant 'tensorrt' and orderIndependent: true");
  }
}

export interface MseCalibratorOptions extends AbsCalibratorOptions {
  /** Quantized steps between 0 and the threshold (default 127 for signed data, 255 for unsigned). */
  maxQ?: number;
}

/** The threshold minimizing the expected squared quantization error (|x| histogram). */
export class MseCalibrator extends AbsHistogramCalibrator {
  get kind(): ObserverKind {
    return 'MseCalibrator';
  }
  readonly maxQ: number | undefined;
  constructor(opts?: MseCalibratorOptions) {
    const o = { ...opt(opts) };
    super(o);
    this.maxQ = o.maxQ === undefined ? undefined : intOpt(o.maxQ, 'maxQ', 1, 1 << 16, 127);
  }
  override get options(): Record<string, unknown> {
    const r: Record<string, unknown> = { ...super.options };
    if (this.maxQ !== undefined) r.maxQ = this.maxQ;
    return r;
  }
  protected searchBins(counts: Float64Array, hi: number): number {
    return native().mseThreshold(counts, hi / counts.length, this.maxQ ?? (this.unsigned ? 255 : 127), this.startBin, this.stride, null);
  }
  /** Expected squared error of every candidate (index k: threshold at startBin + k * stride bins). */
  errors(): Float64Array {
    const h = this.absHistogram();
    const n = h.counts.length;
    if (n === 0) return new Float64Array(0);
    const first = Math.max(1, Math.min(this.startBin, n));
    const out = new Float64Array(Math.floor((n - first) / this.stride) + 1);
    native().mseThreshold(h.counts, h.hi / n, this.maxQ ?? (this.unsigned ? 255 : 127), this.startBin, this.stride, out);
    return out;
  }
}

// ---------------------------------------------------------------- percentile

export interface PercentileCalibratorOptions extends CalibratorOptions {
  /** Percentage of values kept (default 99.99). */
  percentile?: number;
  /** true (default): threshold of |x|, range [-t, t]; false: cut (100 - p) / 2 % from each tail. */
  symmetric?: boolean;
  /** Histogram bins (default 2048). */
  bins?: number;
}

/** Percentile calibration (onnxruntime's PercentileCalibrater, or on the order-independent grid). */
export class PercentileCalibrator extends HistogramCalibratorBase {
  get kind(): ObserverKind {
    return 'PercentileCalibrator';
  }
  readonly percentile: number;
  readonly symmetric: boolean;
  readonly bins: number;
  hist: OrtHistogram;
  grid: GridHistogram;
  private signed = { min: Infinity, max: -Infinity };

  constructor(opts?: PercentileCalibratorOptions) {
    const o = { ...opt(opts) };
    super(o);
    const p = o.percentile ?? 99.99;
    if (typeof p !== 'number' || !Number.isFinite(p)) throw new TypeError(`percentile must be a number, got ${String(p)}`);
    if (p < 0 || p > 100) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
    this.percentile = p;
    this.symmetric = boolOpt(o.symmetric, 'symmetric', true);
    this.bins = intOpt(o.bins, 'bins', 1, 1 << 24, 2048);
    this.hist = new OrtHistogram(this.symmetric ? 'absolute' : 'value', this.bins);
    this.grid = new GridHistogram(this.gridCapacity, this.symmetric);
  }

  override get options(): Record<string, unknown> {
    return { ...super.options, percentile: this.percentile, symmetric: this.symmetric, bins: this.bins };
  }

  get empty(): boolean {
    return this.orderIndependent ? this.grid.empty : this.hist.empty;
  }

  protected observeData(data: Float32Array): void {
    const mm = tensorMinMax(data);
    addNonFinite(this.nonFinite, mm.nonFinite);
    if (!(mm.min <= mm.max)) return;
    if (this.orderIndependent) {
      this.grid.add(data, mm);
      this.signed = { min: Math.min(this.signed.min, mm.min), max: Math.max(this.signed.max, mm.max) };
    } else this.hist.add(data, mm);
  }

  computeRange(): { min: number; max: number } {
    let counts: Float64Array;
    let edges: ArrayLike<number>;
    let min: number;
    let max: number;
    if (!this.orderIndependent) {
      const h = this.hist;
      if (h.counts === null || h.edges === null) return { min: Infinity, max: -Infinity };
      ({ counts, edges, min, max } = { counts: h.counts, edges: h.edges, min: h.min, max: h.max });
    } else {
      ({ min, max } = this.signed);
      if (!(min <= max)) return { min: Infinity, max: -Infinity };
      const lo = this.symmetric ? 0 : min;
      const hi = this.symmetric ? Math.max(Math.abs(min), Math.abs(max)) : max;
      counts = this.grid.rebin(lo, hi, this.bins);
      const e = new Float64Array(this.bins + 1);
      for (let i = 0; i <= this.bins; i++) e[i] = i === this.bins ? hi : f32(lo + ((hi - lo) * i) / this.bins);
      edges = e;
    }
    // compute_percentile: cdf = cumsum(hist / total) in float64, searchsorted (left)
    let total = 0;
    for (let j = 0; j < counts.length; j++) total += counts[j];
    const cdf = new Float64Array(counts.length);
    let acc = 0;
    for (let j = 0; j < counts.length; j++) cdf[j] = acc += counts[j] / total;
    const search = (v: number) => {
      let lo = 0;
      let hi = cdf.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cdf[mid] < v) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    let lo: number;
    let hi: number;
    if (this.symmetric) {
      const t = edges[search(this.percentile / 100.0)];
      lo = -t;
      hi = t;
    } else {
      const cut = (100.0 - this.percentile) / 200.0;
      hi = edges[search(1.0 - cut)];
      lo = edges[search(cut)];
    }
    return clip(lo, hi, min, max);
  }

  protected stateJSON(): Record<string, unknown> {
    return this.orderIndependent ? { grid: this.grid.toJSON(), signed: { ...this.signed } } : { histogram: this.hist.toJSON() };
  }

  protected loadState(s: Record<string, unknown>): void {
    if (this.orderIndependent) {
      this.grid = GridHistogram.fromJSON(s.grid as never);
      const sg = s.signed as { min: number | null; max: number | null };
      this.signed = { min: sg.min ?? Infinity, max: sg.max ?? -Infinity };
    } else this.hist = OrtHistogram.fromJSON(s.histogram as never);
  }

  protected mergeState(o: this): void {
    if (!this.orderIndependent)
      throw new TypeError("onnxruntime's histograms cannot be merged (its tool has no merge); use orderIndependent: true");
    this.grid.merge(o.grid);
    this.signed = { min: Math.min(this.signed.min, o.signed.min), max: Math.max(this.signed.max, o.signed.max) };
  }
}
