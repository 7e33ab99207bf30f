// Observers with PyTorch's names, defaults and numerics (torch.ao.quantization.observer):
// MinMaxObserver, MovingAverageMinMaxObserver, PerChannelMinMaxObserver,
// MovingAveragePerChannelMinMaxObserver, HistogramObserver, FixedQParamsObserver,
// PlaceholderObserver, NoopObserver, RecordingObserver.
//
// Differences from PyTorch, on purpose:
//  - NaN and ±Inf are skipped and counted (PyTorch's min/max observers propagate NaN into the
//    range, and its HistogramObserver fails on NaN); the count is reported with the qparams.
//  - Every observer serializes to JSON (toJSON / observerFromJSON), so a calibration can be
//    resumed, and most merge (merge()) so calibrations run in worker threads can be combined.
//  - HistogramObserver has an order-independent mode (orderIndependent: true).
import { isObject, typeName } from '../check';
import { native } from '../native';
import { GridHistogram, TorchHistogram } from './histogram';
import { type NonFiniteCounts, type ObserverInput, addNonFinite, channelView, nonFiniteTotal, tensorData, tensorMinMax } from './observe';
import { type QParamsOptions, type QScheme, type QuantType, type ResolvedQParamsOptions, computeQParams, resolveQParamsOptions } from './qparams';

const f32 = Math.fround;

export type ObserverKind =
  | 'MinMaxObserver'
  | 'MovingAverageMinMaxObserver'
  | 'PerChannelMinMaxObserver'
  | 'MovingAveragePerChannelMinMaxObserver'
  | 'HistogramObserver'
  | 'FixedQParamsObserver'
  | 'PlaceholderObserver'
  | 'NoopObserver'
  | 'RecordingObserver'
  | 'EntropyCalibrator'
  | 'MseCalibrator'
  | 'PercentileCalibrator';

/** Per-tensor quantization parameters computed by an observer, with how they were obtained. */
export interface TensorQParams {
  scale: number;
  zeroPoint: number;
  quantMin: number;
  quantMax: number;
  dtype: QuantType;
  qscheme: QScheme;
  /** The range the parameters were computed from (after any search). */
  min: number;
  max: number;
  /** Nothing finite was observed: scale 1 and zero point 0 (PyTorch's default values). */
  empty: boolean;
  /** NaN and ±Inf values seen and ignored. */
  nonFinite: number;
  warnings: string[];
}

/** Per-channel quantization parameters computed by an observer. */
export interface ChannelQParamsResult {
  scale: Float32Array;
  zeroPoint: Int32Array;
  quantMin: number;
  quantMax: number;
  dtype: QuantType;
  qscheme: QScheme;
  axis: number;
  min: Float32Array;
  max: Float32Array;
  empty: boolean;
  /** Channels without a finite value (scale 1, zero point 0). */
  emptyChannels: number[];
  nonFinite: number;
  warnings: string[];
}

export interface ObserverJSON {
  kind: ObserverKind;
  version: 1;
  options: Record<string, unknown>;
  state: Record<string, unknown>;
  nonFinite: NonFiniteCounts;
  batches: number;
}

export const NOTHING_OBSERVED = 'no finite value was observed: returning scale 1 and zero point 0';

function nonFiniteWarning(n: number): string[] {
  return n > 0 ? [`${n} NaN/Inf value${n === 1 ? ' was' : 's were'} ignored`] : [];
}

function checkOptions(v: unknown, name = 'options'): Record<string, unknown> {
  if (v === undefined) return {};
  if (!isObject(v)) throw new TypeError(`${name} must be an object, got ${typeName(v)}`);
  return v;
}

function pickQParamsOptions(o: Record<string, unknown>): QParamsOptions {
  const { dtype, qscheme, reduceRange, quantMin, quantMax, eps, compat } = o as QParamsOptions;
  const r: QParamsOptions = {};
  if (dtype !== undefined) r.dtype = dtype;
  if (qscheme !== undefined) r.qscheme = qscheme;
  if (reduceRange !== undefined) r.reduceRange = reduceRange;
  if (quantMin !== undefined) r.quantMin = quantMin;
  if (quantMax !== undefined) r.quantMax = quantMax;
  if (eps !== undefined) r.eps = eps;
  if (compat !== undefined) r.compat = compat;
  return r;
}

function checkNumberOption(v: unknown, name: string, lo: number, hi: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${name} must be a finite number, got ${String(v)}`);
  if (integer && !Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${v}`);
  if (v < lo || v > hi) throw new RangeError(`${name} must be in [${lo}, ${hi}], got ${v}`);
  return v;
}

function checkBoolOption(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${typeName(v)}`);
  return v;
}

/** Base of every observer: counts of skipped values, batches, JSON shape. */
export abstract class Observer {
  abstract readonly kind: ObserverKind;
  /** NaN and ±Inf values seen and skipped. */
  readonly nonFinite: NonFiniteCounts = { nan: 0, posInf: 0, negInf: 0 };
  /** Calls of observe() with at least one element. */
  batches = 0;

  /**
   * Records the statistics of a float32 tensor: a Float32Array or { data, dims } (an
   * onnxruntime Tensor works). `dims` gives a Float32Array its shape (per-channel observers).
   * Returns this, for chaining.
   */
  observe(x: ObserverInput, dims?: readonly number[]): this {
    const t = tensorData(x, 'x', dims);
    if (t.data.length === 0) return this;
    this.observeData(t.data, t.dims);
    this.batches++;
    return this;
  }

  protected abstract observeData(data: Float32Array, dims: number[]): void;

  abstract calculateQParams(): TensorQParams | ChannelQParamsResult;

  /** The options as given (with defaults), enough to rebuild an empty observer. */
  abstract get options(): Record<string, unknown>;

  protected abstract stateJSON(): Record<string, unknown>;
  protected abstract loadState(state: Record<string, unknown>): void;
  protected abstract mergeState(other: this): void;

  /** A JSON-safe snapshot (JSON.stringify(observer) works): observerFromJSON() restores it. */
  toJSON(): ObserverJSON {
    return {
      kind: this.kind,
      version: 1,
      options: this.options,
      state: this.stateJSON(),
      nonFinite: { ...this.nonFinite },
      batches: this.batches,
    };
  }

  /**
   * Adds another observer's statistics (same kind and options), e.g. one filled in a worker
   * thread. Throws a TypeError for observers whose statistics cannot be combined.
   */
  merge(other: Observer): this {
    if (!(other instanceof Observer) || other.kind !== this.kind)
      throw new TypeError(`cannot merge ${other instanceof Observer ? other.kind : typeName(other)} into ${this.kind}`);
    if (JSON.stringify(other.options) !== JSON.stringify(this.options))
      throw new TypeError(`cannot merge ${this.kind}s with different options`);
    this.mergeState(other as this);
    addNonFinite(this.nonFinite, other.nonFinite);
    this.batches += other.batches;
    return this;
  }

  /** @internal */
  restore(j: ObserverJSON): this {
    this.loadState(j.state);
    Object.assign(this.nonFinite, j.nonFinite);
    this.batches = j.batches;
    return this;
  }
}

// ---------------------------------------------------------------- uniform (min/max based)

export interface MinMaxObserverOptions extends QParamsOptions {}

abstract class UniformObserver extends Observer {
  readonly qparamsOptions: ResolvedQParamsOptions;

  constructor(opts: Record<string, unknown>, perChannel: boolean) {
    super();
    this.qparamsOptions = resolveQParamsOptions(pickQParamsOptions(opts), perChannel);
  }

  get options(): Record<string, unknown> {
    return { ...this.qparamsOptions };
  }

  protected tensorQParams(min: number, max: number, empty: boolean): TensorQParams {
    const q = computeQParams(min, max, this.qparamsOptions);
    const nf = nonFiniteTotal(this.nonFinite);
    return {
      ...q,
      dtype: this.qparamsOptions.dtype,
      qscheme: this.qparamsOptions.qscheme,
      min,
      max,
      empty,
      nonFinite: nf,
      warnings: [...(empty ? [NOTHING_OBSERVED] : []), ...nonFiniteWarning(nf)],
    };
  }
}

/** Running min/max of the observed tensors (torch.ao.quantization.MinMaxObserver). */
export class MinMaxObserver extends UniformObserver {
  get kind(): ObserverKind {
    return 'MinMaxObserver';
  }
  min = Infinity;
  max = -Infinity;

  constructor(opts?: MinMaxObserverOptions) {
    super(checkOptions(opts), false);
  }

  protected observeData(data: Float32Array): void {
    const mm = tensorMinMax(data);
    addNonFinite(this.nonFinite, mm.nonFinite);
    if (!(mm.min <= mm.max)) return;
    this.update(mm.min, mm.max);
  }

  protected update(min: number, max: number): void {
    this.min = Math.min(this.min, min);
    this.max = Math.max(this.max, max);
  }

  get empty(): boolean {
    return this.min === Infinity && this.max === -Infinity;
  }

  calculateQParams(): TensorQParams {
    return this.tensorQParams(this.min, this.max, this.empty);
  }

  /** Forgets the observed range (PyTorch's reset_min_max_vals). */
  reset(): void {
    this.min = Infinity;
    this.max = -Infinity;
  }

  protected stateJSON(): Record<string, unknown> {
    return { min: this.empty ? null : this.min, max: this.empty ? null : this.max };
  }

  protected loadState(s: Record<string, unknown>): void {
    if (s.min !== null && s.max !== null) {
      if (typeof s.min !== 'number' || typeof s.max !== 'number' || !(s.min <= s.max)) throw new RangeError('state min/max must be numbers with min <= max');
      this.min = f32(s.min);
      this.max = f32(s.max);
    }
  }

  protected mergeState(o: this): void {
    if (!o.empty) this.update(o.min, o.max);
  }
}

export interface MovingAverageMinMaxObserverOptions extends QParamsOptions {
  /** Weight of each new batch's min/max (default 0.01). */
  averagingConstant?: number;
}

/** min/max averaged over batches: m += c * (batch_m - m) (torch's MovingAverageMinMaxObserver). */
export class MovingAverageMinMaxObserver extends MinMaxObserver {
  override get kind(): ObserverKind {
    return 'MovingAverageMinMaxObserver';
  }
  readonly averagingConstant: number;

  constructor(opts?: MovingAverageMinMaxObserverOptions) {
    const o = checkOptions(opts);
    super(o as MinMaxObserverOptions);
    this.averagingConstant = o.averagingConstant === undefined ? 0.01 : checkNumberOption(o.averagingConstant, 'averagingConstant', 0, 1);
  }

  override get options(): Record<string, unknown> {
    return { ...super.options, averagingConstant: this.averagingConstant };
  }

  protected override update(min: number, max: number): void {
    if (this.empty) {
      this.min = min;
      this.max = max;
      return;
    }
    // float32 tensors times a Python float: the constant is rounded to float32 first.
    const c = f32(this.averagingConstant);
    this.min = f32(this.min + f32(c * f32(min - this.min)));
    this.max = f32(this.max + f32(c * f32(max - this.max)));
  }

  protected override mergeState(): void {
    throw new TypeError('MovingAverageMinMaxObserver cannot merge: a moving average depends on the order of the batches (resume from toJSON() instead)');
  }
}

export interface PerChannelMinMaxObserverOptions extends QParamsOptions {
  /** The channel axis (default 0; negative counts from the end). */
  chAxis?: number;
}

/** Running min/max per channel (torch's PerChannelMinMaxObserver). */
export class PerChannelMinMaxObserver extends UniformObserver {
  get kind(): ObserverKind {
    return 'PerChannelMinMaxObserver';
  }
  readonly chAxis: number;
  min: Float32Array | null = null;
  max: Float32Array | null = null;

  constructor(opts?: PerChannelMinMaxObserverOptions) {
    const o = checkOptions(opts);
    super(o, true);
    this.chAxis = o.chAxis === undefined ? 0 : checkNumberOption(o.chAxis, 'chAxis', -64, 63, true);
  }

  override get options(): Record<string, unknown> {
    return { ...super.options, chAxis: this.chAxis };
  }

  protected observeData(data: Float32Array, dims: number[]): void {
    const v = channelView(dims, this.chAxis);
    if (this.min !== null && this.min.length !== v.channels)
      throw new RangeError(`x has ${v.channels} channels along axis ${this.chAxis}, earlier tensors had ${this.min.length}`);
    const mn = new Float32Array(v.channels);
    const mx = new Float32Array(v.channels);
    const [nan, posInf, negInf] = native().minMaxPerChannel(data, v.outer, v.channels, v.inner, mn, mx);
    addNonFinite(this.nonFinite, { nan, posInf, negInf });
    this.update(mn, mx);
  }

  protected update(mn: Float32Array, mx: Float32Array): void {
    if (this.min === null || this.max === null) {
      this.min = mn;
      this.max = mx;
      return;
    }
    for (let c = 0; c < mn.length; c++) {
      this.min[c] = Math.min(this.min[c], mn[c]);
      this.max[c] = Math.max(this.max[c], mx[c]);
    }
  }

  calculateQParams(): ChannelQParamsResult {
    const nf = nonFiniteTotal(this.nonFinite);
    const q = this.qparamsOptions;
    if (this.min === null || this.max === null) {
      // PyTorch: an observer that saw nothing returns tensor([1.]), tensor([0])
      return {
        scale: new Float32Array([1]),
        zeroPoint: new Int32Array([0]),
        ...qRange(q),
        dtype: q.dtype,
        qscheme: q.qscheme,
        axis: this.chAxis,
        min: new Float32Array(0),
        max: new Float32Array(0),
        empty: true,
        emptyChannels: [],
        nonFinite: nf,
        warnings: [NOTHING_OBSERVED, ...nonFiniteWarning(nf)],
      };
    }
    const r = computeQParams(this.min, this.max, q);
    const emptyChannels: number[] = [];
    this.min.forEach((v, c) => {
      if (v === Infinity) emptyChannels.push(c);
    });
    return {
      ...r,
      dtype: q.dtype,
      qscheme: q.qscheme,
      axis: this.chAxis,
      min: Float32Array.from(this.min),
      max: Float32Array.from(this.max),
      empty: false,
      emptyChannels,
      nonFinite: nf,
      warnings: [
        ...(emptyChannels.length ? [`channels ${emptyChannels.join(', ')} had no finite value: scale 1, zero point 0`] : []),
        ...nonFiniteWarning(nf),
      ],
    };
  }

  reset(): void {
    this.min = null;
    this.max = null;
  }

  protected stateJSON(): Record<string, unknown> {
    // +-Infinity (a channel without finite values) is not JSON: null
    const enc = (a: Float32Array | null) => (a === null ? null : Array.from(a, (v) => (Number.isFinite(v) ? v : null)));
    return { min: enc(this.min), max: enc(this.max) };
  }

  protected loadState(s: Record<string, unknown>): void {
    const dec = (a: unknown, fill: number, name: string) => {
      if (a === null) return null;
      if (!Array.isArray(a)) throw new TypeError(`state ${name} must be an array or null`);
      return Float32Array.from(a, (v) => (v === null ? fill : checkNumberOption(v, `state ${name}`, -Infinity, Infinity)));
    };
    this.min = dec(s.min, Infinity, 'min');
    this.max = dec(s.max, -Infinity, 'max');
    if ((this.min === null) !== (this.max === null) || (this.min && this.max && this.min.length !== this.max.length))
      throw new RangeError('state min and max must have the same length');
  }

  protected mergeState(o: this): void {
    if (o.min === null || o.max === null) return;
    if (this.min !== null && this.min.length !== o.min.length) throw new RangeError(`cannot merge ${o.min.length} channels into ${this.min.length}`);
    this.update(Float32Array.from(o.min), Float32Array.from(o.max));
  }
}

function qRange(q: ResolvedQParamsOptions): { quantMin: number; quantMax: number } {
  const r = computeQParams(Infinity, -Infinity, { ...q, qscheme: q.qscheme.replace('per_channel', 'per_tensor') as QScheme });
  return { quantMin: r.quantMin, quantMax: r.quantMax };
}

export interface MovingAveragePerChannelMinMaxObserverOptions extends PerChannelMinMaxObserverOptions {
  averagingConstant?: number;
}

/** Per-channel moving-average min/max (torch's MovingAveragePerChannelMinMaxObserver). */
export class MovingAveragePerChannelMinMaxObserver extends PerChannelMinMaxObserver {
  override get kind(): ObserverKind {
    return 'MovingAveragePerChannelMinMaxObserver';
  }
  readonly averagingConstant: number;

  constructor(opts?: MovingAveragePerChannelMinMaxObserverOptions) {
    const o = checkOptions(opts);
    super(o as PerChannelMinMaxObserverOptions);
    this.averagingConstant = o.averagingConstant === undefined ? 0.01 : checkNumberOption(o.averagingConstant, 'averagingConstant', 0, 1);
  }

  override get options(): Record<string, unknown> {
    return { ...super.options, averagingConstant: this.averagingConstant };
  }

  protected override update(mn: Float32Array, mx: Float32Array): void {
    if (this.min === null || this.max === null) {
      this.min = mn;
      this.max = mx;
      return;
    }
    const c = f32(this.averagingConstant);
    for (let i = 0; i < mn.length; i++) {
      // a channel without finite values in this batch keeps its running value
      if (mn[i] <= mx[i]) {
        if (this.min[i] === Infinity) {
          this.min[i] = mn[i];
          this.max[i] = mx[i];
        } else {
          this.min[i] = f32(this.min[i] + f32(c * f32(mn[i] - this.min[i])));
          this.max[i] = f32(this.max[i] + f32(c * f32(mx[i] - this.max[i])));
        }
      }
    }
  }

  protected override mergeState(): void {
    throw new TypeError('MovingAveragePerChannelMinMaxObserver cannot merge: a moving average depends on the order of the batches (resume from toJSON() instead)');
  }
}

// ---------------------------------------------------------------- histogram

export interface HistogramObserverOptions extends QParamsOptions {
  /** Histogram bins (default 2048). */
  bins?: number;
  /** Upsampling when an older histogram is mapped into a wider range (PyTorch: 16). */
  upsampleRate?: number;
  /**
   * Collect on a fixed power-of-two grid (exact, merged by bin pairs) and build the bins-wide
   * histogram once, at calculateQParams(): the result depends only on the values observed, not
   * on their order or batching. Default false (PyTorch's order-dependent merging).
   */
  orderIndependent?: boolean;
  /** Grid bins available to the order-independent mode (default 32768: at least 16383 over the range). */
  gridCapacity?: number;
}

/**
 * A running histogram and PyTorch's L2-norm range search (torch's HistogramObserver), or its
 * order-independent counterpart.
 */
export class HistogramObserver extends UniformObserver {
  get kind(): ObserverKind {
    return 'HistogramObserver';
  }
  readonly bins: number;
  readonly upsampleRate: number;
  readonly orderIndependent: boolean;
  readonly gridCapacity: number;
  /** The PyTorch-style running histogram (orderIndependent: false). */
  torch: TorchHistogram;
  /** The grid (orderIndependent: true). */
  grid: GridHistogram;

  constructor(opts?: HistogramObserverOptions) {
    const o = checkOptions(opts);
    super(o, false);
    this.bins = o.bins === undefined ? 2048 : checkNumberOption(o.bins, 'bins', 1, 1 << 20, true);
    this.upsampleRate = o.upsampleRate === undefined ? 16 : checkNumberOption(o.upsampleRate, 'upsampleRate', 1, 1024, true);
    if (this.bins * this.upsampleRate > 1 << 26) throw new RangeError('bins * upsampleRate must be <= 2^26');
    this.orderIndependent = o.orderIndependent === undefined ? false : checkBoolOption(o.orderIndependent, 'orderIndependent');
    this.gridCapacity = o.gridCapacity === undefined ? 32768 : checkNumberOption(o.gridCapacity, 'gridCapacity', 16, 1 << 22, true);
    this.torch = new TorchHistogram(this.bins, this.upsampleRate);
    this.grid = new GridHistogram(this.gridCapacity, false);
  }

  override get options(): Record<string, unknown> {
    return {
      ...super.options,
      bins: this.bins,
      upsampleRate: this.upsampleRate,
      orderIndependent: this.orderIndependent,
      gridCapacity: this.gridCapacity,
    };
  }

  get min(): number {
    return this.orderIndependent ? this.grid.min : this.torch.min;
  }

  get max(): number {
    return this.orderIndependent ? this.grid.max : this.torch.max;
  }

  get empty(): boolean {
    return this.orderIndependent ? this.grid.empty : this.torch.empty;
  }

  protected observeData(data: Float32Array): void {
    const mm = tensorMinMax(data);
    addNonFinite(this.nonFinite, mm.nonFinite);
    if (this.orderIndependent) this.grid.add(data, mm);
    else this.torch.add(data, mm);
  }

  /** The histogram the search runs on: PyTorch's running one, or the grid rebinned to `bins`. */
  histogram(): { counts: Float32Array; min: number; max: number } {
    if (!this.orderIndependent) return { counts: this.torch.histogram, min: this.torch.min, max: this.torch.max };
    return { counts: Float32Array.from(this.grid.rebin(this.grid.min, this.grid.max, this.bins)), min: this.grid.min, max: this.grid.max };
  }

  /** HistogramObserver._non_linear_param_search: the range minimizing the L2 quantization error. */
  computeRange(): { min: number; max: number; evaluations: number } {
    if (this.empty) return { min: Infinity, max: -Infinity, evaluations: 0 };
    const h = this.histogram();
    // dst_nbins = 2 ** torch.iinfo(dtype).bits: 256 for 8-bit types, whatever the quant range.
    const [min, max, , , evaluations] = native().torchHistogramSearch(h.counts, h.min, h.max, 256);
    return { min, max, evaluations };
  }

  calculateQParams(): TensorQParams {
    if (this.empty) return this.tensorQParams(Infinity, -Infinity, true);
    const r = this.computeRange();
    return this.tensorQParams(r.min, r.max, false);
  }

  reset(): void {
    this.torch = new TorchHistogram(this.bins, this.upsampleRate);
    this.grid = new GridHistogram(this.gridCapacity, false);
  }

  protected stateJSON(): Record<string, unknown> {
    return this.orderIndependent ? { grid: this.grid.toJSON() } : { histogram: this.torch.toJSON() };
  }

  protected loadState(s: Record<string, unknown>): void {
    if (this.orderIndependent) this.grid = GridHistogram.fromJSON(s.grid as never);
    else this.torch = TorchHistogram.fromJSON(s.histogram as never);
  }

  protected mergeState(o: this): void {
    if (this.orderIndependent) this.grid.merge(o.grid);
    else this.torch.merge(o.torch);
  }
}

// ---------------------------------------------------------------- fixed / placeholder / noop / recording

export interface FixedQParamsObserverOptions {
  dtype?: QuantType;
  qscheme?: QScheme;
  quantMin?: number;
  quantMax?: number;
}

/** Fixed scale and zero point, whatever is observed (torch's FixedQParamsObserver). */
export class FixedQParamsObserver extends Observer {
  get kind(): ObserverKind {
    return 'FixedQParamsObserver';
  }
  readonly scale: number;
  readonly zeroPoint: number;
  readonly dtype: QuantType;
  readonly qscheme: QScheme;
  readonly quantMin: number;
  readonly quantMax: number;

  constructor(scale: number, zeroPoint: number, opts?: FixedQParamsObserverOptions) {
    super();
    const o = checkOptions(opts);
    if (typeof scale !== 'number' || !(f32(scale) > 0) || !Number.isFinite(f32(scale))) throw new RangeError(`scale must be a finite number > 0, got ${String(scale)}`);
    this.scale = f32(scale);
    this.dtype = (o.dtype as QuantType | undefined) ?? 'quint8';
    if (this.dtype !== 'quint8' && this.dtype !== 'qint8') throw new TypeError(`dtype must be 'quint8' or 'qint8', got ${String(this.dtype)}`);
    this.qscheme = (o.qscheme as QScheme | undefined) ?? 'per_tensor_affine';
    if (this.qscheme !== 'per_tensor_affine' && this.qscheme !== 'per_tensor_symmetric')
      throw new TypeError(`FixedQParamsObserver supports per-tensor schemes only, got ${String(this.qscheme)}`);
    this.quantMin = o.quantMin === undefined ? 0 : checkNumberOption(o.quantMin, 'quantMin', -128, 255, true);
    this.quantMax = o.quantMax === undefined ? 255 : checkNumberOption(o.quantMax, 'quantMax', -128, 255, true);
    if (this.quantMin >= this.quantMax) throw new RangeError(`quantMin (${this.quantMin}) must be < quantMax (${this.quantMax})`);
    this.zeroPoint = checkNumberOption(zeroPoint, 'zeroPoint', this.quantMin, this.quantMax, true);
  }

  get options(): Record<string, unknown> {
    return { scale: this.scale, zeroPoint: this.zeroPoint, dtype: this.dtype, qscheme: this.qscheme, quantMin: this.quantMin, quantMax: this.quantMax };
  }

  protected observeData(): void {}

  calculateQParams(): TensorQParams {
    return {
      scale: this.scale,
      zeroPoint: this.zeroPoint,
      quantMin: this.quantMin,
      quantMax: this.quantMax,
      dtype: this.dtype,
      qscheme: this.qscheme,
      min: f32(this.scale * (this.quantMin - this.zeroPoint)),
      max: f32(this.scale * (this.quantMax - this.zeroPoint)),
      empty: false,
      nonFinite: 0,
      warnings: [],
    };
  }

  protected stateJSON(): Record<string, unknown> {
    return {};
  }
  protected loadState(): void {}
  protected mergeState(): void {}
}

/** Observers that only carry a configuration: observe() does nothing and there are no qparams. */
abstract class ConfigOnlyObserver extends Observer {
  protected readonly opts: Record<string, unknown>;
  constructor(opts: Record<string, unknown>) {
    super();
    this.opts = opts;
  }
  get options(): Record<string, unknown> {
    return { ...this.opts };
  }
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  protected observeData(_data: Float32Array, _dims: number[]): void {}
  calculateQParams(): never {
    throw new TypeError(`calculateQParams() should not be called for ${this.kind} (it has no quantization parameters)`);
  }
  protected stateJSON(): Record<string, unknown> {
    return {};
  }
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  protected loadState(_s: Record<string, unknown>): void {}
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  protected mergeState(_o: this): void {}
}

export interface PlaceholderObserverOptions {
  /** The type the consumer will use ('float32' default, 'quint8' / 'qint8' for dynamic quantization, 'float16'). */
  dtype?: 'float32' | 'float16' | QuantType;
  quantMin?: number;
  quantMax?: number;
  qscheme?: QScheme;
  eps?: number;
  /** The activation is quantized at run time from its own range (dynamic quantization). */
  isDynamic?: boolean;
  /** Dynamic quantization: use the 7-bit range at run time (PyTorch's fbgemm dynamic linear does). */
  reduceRange?: boolean;
  customOpName?: string;
}

/** Carries a configuration only, e.g. for dynamic quantization (torch's PlaceholderObserver). */
export class PlaceholderObserver extends ConfigOnlyObserver {
  get kind(): ObserverKind {
    return 'PlaceholderObserver';
  }
  constructor(opts?: PlaceholderObserverOptions) {
    const o = checkOptions(opts);
    const dtype = o.dtype ?? 'float32';
    if (!['float32', 'float16', 'quint8', 'qint8'].includes(dtype as string))
      throw new TypeError(`dtype must be 'float32', 'float16', 'quint8' or 'qint8', got ${String(dtype)}`);
    if (o.isDynamic !== undefined) checkBoolOption(o.isDynamic, 'isDynamic');
    super({ qscheme: 'per_tensor_affine', eps: 2 ** -23, isDynamic: false, customOpName: '', ...o, dtype });
  }
  get isDynamic(): boolean {
    return this.opts.isDynamic === true;
  }
}

/** Does nothing (torch's NoopObserver, default dtype float16). */
export class NoopObserver extends ConfigOnlyObserver {
  get kind(): ObserverKind {
    return 'NoopObserver';
  }
  constructor(opts?: { dtype?: 'float16' | 'float32' | QuantType; customOpName?: string }) {
    super({ dtype: 'float16', customOpName: '', ...checkOptions(opts) });
  }
}

/** Keeps a copy of every observed tensor, for debugging (torch's RecordingObserver). */
export class RecordingObserver extends ConfigOnlyObserver {
  get kind(): ObserverKind {
    return 'RecordingObserver';
  }
  readonly tensors: { data: Float32Array; dims: number[] }[] = [];
  constructor(opts?: { dtype?: QuantType }) {
    super({ dtype: 'quint8', ...checkOptions(opts) });
  }
  protected override observeData(data: Float32Array, dims: number[]): void {
    this.tensors.push({ data: Float32Array.from(data), dims: [...dims] });
  }
  /** The recorded tensors (PyTorch's get_tensor_value). */
  getTensorValue(): { data: Float32Array; dims: number[] }[] {
    return this.tensors;
  }
  protected override stateJSON(): Record<string, unknown> {
    return { tensors: this.tensors.map((t) => ({ dims: t.dims, data: Array.from(t.data, (v) => (Number.isFinite(v) ? v : String(v))) })) };
  }
  protected override loadState(s: Record<string, unknown>): void {
    const ts = s.tensors;
    if (!Array.isArray(ts)) throw new TypeError('state tensors must be an array');
    this.tensors.length = 0;
    for (const t of ts as { dims: number[]; data: (number | string)[] }[])
      this.tensors.push({ dims: [...t.dims], data: Float32Array.from(t.data, (v) => (typeof v === 'string' ? Number(v) : v)) });
  }
  protected override mergeState(o: this): void {
    for (const t of o.tensors) this.tensors.push({ data: Float32Array.from(t.data), dims: [...t.dims] });
  }
}

