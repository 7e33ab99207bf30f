// Histogram collectors behind the histogram observer and the calibrators. Each reproduces one
// reference tool's way of building and growing a histogram over batches:
//
//  - TorchHistogram: torch.ao.quantization.HistogramObserver (torch.histc over the running
//    [min, max]; an older histogram is upsampled and re-bucketed into a wider range);
//  - AbsHistogram:   TensorRT-style histogram of |x| over [0, amax] whose bin width is fixed by the
//    first batch, extended with more bins when a later batch reaches further (NVIDIA's
//    pytorch-quantization collects it this way);
//  - OrtHistogram / OrtAbsHistogram: onnxruntime.quantization.calibrate.HistogramCollector's
//    collect_value and collect_absolute_value (numpy.histogram, float32 edges);
//  - GridHistogram:  qint8's order-independent histogram: a fixed power-of-two grid anchored at 0
//    (exact bin assignment), coarsened by merging bin pairs when the range grows, so its content
//    depends only on the multiset of values seen, never on how they were split into batches.
//
// The element loops (min/max and binning) are native; what runs here loops over bins.
import { native } from '../native';
import { type MinMaxResult, type NonFiniteCounts, accumulateHistogram, nonFiniteTotal, tensorMinMax } from './observe';

const f32 = Math.fround;

// ---------------------------------------------------------------- float32 emulation helpers

/** numpy's float32 floor_divide (npy_divmodf): the Python-style floor of a / b. */
export function numpyFloorDivF32(a: number, b: number): number {
  if (b === 0) return f32(a / b);
  let mod = a % b; // fmod: exact
  let div = f32(f32(a - mod) / b);
  if (mod !== 0) {
    if (b < 0 !== mod < 0) {
      mod = f32(mod + b);
      div = f32(div - 1);
    }
  }
  if (div === 0) {
    const q = a / b;
    return q < 0 || Object.is(q, -0) ? -0 : 0;
  }
  let fl = Math.floor(div);
  if (f32(div - fl) > 0.5) fl = f32(fl + 1);
  return fl;
}

/** numpy.linspace(first, last, num) of float32 scalars: y = i * step + first, last set exactly. */
export function numpyLinspaceF32(first: number, last: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = f32(f32(last - first) / (num - 1));
  for (let i = 0; i < num; i++) out[i] = f32(f32(i * step) + first);
  out[num - 1] = last;
  return out;
}

/** numpy.arange(start, stop, step) of float32 scalars (a float64 result): its length is
 * ceil(float32((stop - start) / step)); a[1] = float32(start + step), a[i] = start + i * (a[1] - start). */
export function numpyArangeF32(start: number, stop: number, step: number): Float64Array {
  const n = Math.max(0, Math.ceil(f32(f32(stop - start) / step)));
  const out = new Float64Array(n);
  if (n > 0) out[0] = start;
  if (n > 1) out[1] = f32(start + step);
  const d = out[1] - start;
  for (let i = 2; i < n; i++) out[i] = start + i * d;
  return out;
}

function checkCountsArray(v: unknown, name: string): number[] {
  if (!Array.isArray(v) || !v.every((c) => typeof c === 'number' && c >= 0 && Number.isFinite(c)))
    throw new TypeError(`${name} must be an array of finite counts >= 0`);
  return v as number[];
}

function finiteCount(x: Float32Array, mm: MinMaxResult): number {
  return x.length - nonFiniteTotal(mm.nonFinite);
}

// ---------------------------------------------------------------- PyTorch's HistogramObserver

export interface TorchHistogramJSON {
  bins: number;
  upsampleRate: number;
  min: number | null;
  max: number | null;
  histogram: number[];
}

/** torch.histc(x, bins, min=lo, max=hi) as HistogramObserver calls it (float32 counts). */
function torchHistc(x: Float32Array, bins: number, min: number, max: number, mm: MinMaxResult): Float32Array {
  let lo = min;
  let hi = max;
  if (lo === hi) {
    // histc_select_outer_bin_edges: an empty range takes the data's own range, then +-1.
    lo = mm.min;
    hi = mm.max;
  }
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  let lo32 = f32(lo);
  let hi32 = f32(hi);
  if (!(lo32 < hi32)) {
    // |value| so large that +-1 vanishes in float32 (torch would divide 0 by 0 here): use the
    // neighbouring float32 values instead.
    lo32 = nextFloat32(lo32, -1);
    hi32 = nextFloat32(hi32, 1);
  }
  const counts = new Float64Array(bins);
  accumulateHistogram(x, { rule: 'torch', bins, lo: lo32, hi: hi32 }, counts);
  return Float32Array.from(counts);
}

function nextFloat32(v: number, dir: 1 | -1): number {
  const b = new Float32Array([v]);
  const u = new Int32Array(b.buffer);
  if (v === 0) return dir > 0 ? 2 ** -149 : -(2 ** -149);
  u[0] += (v > 0) === dir > 0 ? 1 : -1;
  return b[0];
}

export class TorchHistogram {
  readonly bins: number;
  readonly upsampleRate: number;
  histogram: Float32Array;
  min = Infinity;
  max = -Infinity;

  constructor(bins: number, upsampleRate = 16) {
    this.bins = bins;
    this.upsampleRate = upsampleRate;
    this.histogram = new Float32Array(bins);
  }

  get empty(): boolean {
    return this.min === Infinity || this.max === -Infinity;
  }

  /** HistogramObserver.forward on x's finite values (mm: their min/max). */
  add(x: Float32Array, mm: MinMaxResult): void {
    if (!(mm.min <= mm.max)) return;
    if (this.empty) {
      this.min = mm.min;
      this.max = mm.max;
      this.histogram = torchHistc(x, this.bins, mm.min, mm.max, mm);
      return;
    }
    const newMin = Math.min(this.min, mm.min);
    const newMax = Math.max(this.max, mm.max);
    const update = torchHistc(x, this.bins, newMin, newMax, mm);
    this.histogram = native().torchCombineHistograms(this.histogram, this.min, this.max, update, newMin, newMax, this.upsampleRate, update);
    this.min = newMin;
    this.max = newMax;
  }

  /** Adds another histogram (e.g. from a worker): both are mapped into the union range. */
  merge(o: TorchHistogram): void {
    if (o.bins !== this.bins) throw new RangeError(`cannot merge histograms of ${this.bins} and ${o.bins} bins`);
    if (o.empty) return;
    if (this.empty) {
      this.histogram = Float32Array.from(o.histogram);
      this.min = o.min;
      this.max = o.max;
      return;
    }
    const newMin = Math.min(this.min, o.min);
    const newMax = Math.max(this.max, o.max);
    const zeros = new Float32Array(this.bins);
    const other =
      o.min === newMin && o.max === newMax
        ? Float32Array.from(o.histogram)
        : native().torchCombineHistograms(o.histogram, o.min, o.max, zeros, newMin, newMax, this.upsampleRate, new Float32Array(this.bins));
    this.histogram = native().torchCombineHistograms(this.histogram, this.min, this.max, other, newMin, newMax, this.upsampleRate, other);
    this.min = newMin;
    this.max = newMax;
  }

  toJSON(): TorchHistogramJSON {
    return {
      bins: this.bins,
      upsampleRate: this.upsampleRate,
      min: this.empty ? null : this.min,
      max: this.empty ? null : this.max,
      histogram: Array.from(this.histogram),
    };
  }

  static fromJSON(j: TorchHistogramJSON): TorchHistogram {
    const h = new TorchHistogram(j.bins, j.upsampleRate);
    const counts = checkCountsArray(j.histogram, 'histogram');
    if (counts.length !== j.bins) throw new RangeError(`histogram has ${counts.length} entries, bins = ${j.bins}`);
    h.histogram = Float32Array.from(counts);
    if (j.min !== null && j.max !== null) {
      if (!(typeof j.min === 'number' && typeof j.max === 'number' && j.min <= j.max)) throw new RangeError('bad histogram range');
      h.min = f32(j.min);
      h.max = f32(j.max);
    }
    return h;
  }
}

// ---------------------------------------------------------------- order-independent grid

export interface GridHistogramJSON {
  capacity: number;
  absolute: boolean;
  log2: number | null;
  offset: number;
  min: number | null;
  max: number | null;
  counts: number[];
}

const GRID_MIN_LOG2 = -150;

/** Exact floor(v / 2^k) for float32 v. */
function gridIndex(v: number, k: number): number {
  return Math.floor(v * 2 ** -k);
}

export class GridHistogram {
  readonly capacity: number;
  readonly absolute: boolean;
  log2: number | null = null;
  offset = 0;
  counts = new Float64Array(0);
  /** Range of the values seen (of |x| when absolute: min is then 0). */
  min = Infinity;
  max = -Infinity;

  constructor(capacity: number, absolute: boolean) {
    this.capacity = capacity;
    this.absolute = absolute;
  }

  get empty(): boolean {
    return !(this.min <= this.max);
  }

  /** The grid for a value range: the finest power-of-two width whose bins over [lo, hi] fit in
   * the capacity, and never finer than 2^-24 of the largest magnitude (so offsets stay small). */
  private fit(lo: number, hi: number): number {
    const maxAbs = Math.max(Math.abs(lo), Math.abs(hi));
    let kmin = GRID_MIN_LOG2;
    if (maxAbs > 0) {
      let e = Math.floor(Math.log2(maxAbs));
      while (2 ** e > maxAbs) e--;
      while (2 ** (e + 1) <= maxAbs) e++;
      kmin = Math.max(GRID_MIN_LOG2, e - 24);
    }
    let k = kmin;
    if (hi > lo) k = Math.max(k, Math.ceil(Math.log2((hi - lo) / (this.capacity - 1))) - 1);
    while (gridIndex(hi, k) - gridIndex(lo, k) + 1 > this.capacity) k++;
    return k;
  }

  /** Re-grids to width 2^k covering [lo, hi], k >= the fitted width, the current one and
   * kAtLeast (k never decreases; counts merge exactly: floor(floor(i / 2^a) / 2^b) = floor(i / 2^(a+b))). */
  private regrid(lo: number, hi: number, kAtLeast = GRID_MIN_LOG2): void {
    const k = Math.max(this.fit(lo, hi), this.log2 ?? GRID_MIN_LOG2, kAtLeast);
    const first = gridIndex(lo, k);
    const span = gridIndex(hi, k) - first + 1;
    if (k === this.log2 && first === this.offset && span === this.counts.length) return;
    const counts = new Float64Array(span);
    if (this.log2 !== null) {
      const shift = 2 ** (k - this.log2);
      for (let j = 0; j < this.counts.length; j++) {
        const c = this.counts[j];
        if (c !== 0) counts[Math.floor((this.offset + j) / shift) - first] += c;
      }
    }
    this.log2 = k;
    this.offset = first;
    this.counts = counts;
  }

  add(x: Float32Array, mm: MinMaxResult): void {
    if (!(mm.min <= mm.max)) return;
    let lo = mm.min;
    let hi = mm.max;
    if (this.absolute) {
      hi = Math.max(Math.abs(lo), Math.abs(hi));
      lo = 0; // anchored at 0 so the grid depends only on max |x|
    }
    const newLo = Math.min(this.empty ? lo : this.min, lo);
    const newHi = Math.max(this.empty ? hi : this.max, hi);
    this.regrid(newLo, newHi);
    this.min = newLo;
    this.max = newHi;
    accumulateHistogram(
      x,
      { rule: 'grid', bins: this.counts.length, gridLog2: this.log2 as number, gridOffset: this.offset, absolute: this.absolute },
      this.counts,
    );
  }

  merge(o: GridHistogram): void {
    if (o.absolute !== this.absolute || o.capacity !== this.capacity)
      throw new RangeError('cannot merge grid histograms of different kinds or capacities');
    if (o.empty) return;
    const lo = this.empty ? o.min : Math.min(this.min, o.min);
    const hi = this.empty ? o.max : Math.max(this.max, o.max);
    const other = o.clone();
    const k = Math.max(this.fit(lo, hi), this.log2 ?? GRID_MIN_LOG2, other.log2 ?? GRID_MIN_LOG2);
    this.regrid(lo, hi, k);
    other.regrid(lo, hi, k);
    for (let j = 0; j < this.counts.length; j++) this.counts[j] += other.counts[j];
    this.min = lo;
    this.max = hi;
  }

  clone(): GridHistogram {
    return GridHistogram.fromJSON(this.toJSON());
  }

  /**
   * The histogram as `bins` uniform bins over [lo, hi] (each grid bin's count spread over the
   * part of it inside [lo, hi], in proportion to the overlap). Deterministic, so the result keeps
   * the grid's independence from the batching.
   */
  rebin(lo: number, hi: number, bins: number): Float64Array {
    const out = new Float64Array(bins);
    if (this.log2 === null) return out;
    const w = 2 ** this.log2;
    const tw = (hi - lo) / bins;
    for (let j = 0; j < this.counts.length; j++) {
      const c = this.counts[j];
      if (c === 0) continue;
      const a = Math.max((this.offset + j) * w, lo);
      const b = Math.min((this.offset + j + 1) * w, hi);
      if (!(b > a) || !(tw > 0)) {
        // a grid bin that touches [lo, hi] in one point (or an empty range): its values sit there
        const at = Math.min(Math.max(a, lo), hi);
        out[Math.min(bins - 1, Math.max(0, tw > 0 ? Math.floor((at - lo) / tw) : 0))] += c;
        continue;
      }
      const density = c / (b - a);
      let t = Math.min(bins - 1, Math.max(0, Math.floor((a - lo) / tw)));
      let start = a;
      while (start < b) {
        const edge = t === bins - 1 ? b : Math.min(b, lo + (t + 1) * tw);
        if (edge > start) out[t] += density * (edge - start);
        start = edge;
        if (t === bins - 1) break;
        t++;
      }
    }
    return out;
  }

  toJSON(): GridHistogramJSON {
    return {
      capacity: this.capacity,
      absolute: this.absolute,
      log2: this.log2,
      offset: this.offset,
      min: this.empty ? null : this.min,
      max: this.empty ? null : this.max,
      counts: Array.from(this.counts),
    };
  }

  static fromJSON(j: GridHistogramJSON): GridHistogram {
    const g = new GridHistogram(j.capacity, j.absolute);
    g.log2 = j.log2;
    g.offset = j.offset;
    g.counts = Float64Array.from(checkCountsArray(j.counts, 'counts'));
    if (j.min !== null && j.max !== null) {
      g.min = j.min;
      g.max = j.max;
    }
    return g;
  }
}

// ---------------------------------------------------------------- TensorRT-style |x| histogram

export interface AbsHistogramJSON {
  bins: number;
  width: number;
  hi: number;
  zeros: number;
  counts: number[];
  min: number | null;
  max: number | null;
}

export class AbsHistogram {
  /** Bins of the first histogram (over [0, amax of the first batch]). */
  readonly bins: number;
  /** Bin width fixed by the first non-zero batch (float32). */
  width = 0;
  /** Upper edge of the histogram (float32); counts.length bins of ~width over [0, hi]. */
  hi = 0;
  counts = new Float64Array(0);
  /** Zeros seen before any non-zero value fixed the width. */
  zeros = 0;
  /** Range of the signed values seen (decides signed vs unsigned levels). */
  min = Infinity;
  max = -Infinity;

  constructor(bins: number) {
    this.bins = bins;
  }

  get empty(): boolean {
    return !(this.min <= this.max);
  }

  get amax(): number {
    return this.empty ? 0 : Math.max(Math.abs(this.min), Math.abs(this.max));
  }

  add(x: Float32Array, mm: MinMaxResult): void {
    if (!(mm.min <= mm.max)) return;
    this.min = Math.min(this.min, mm.min);
    this.max = Math.max(this.max, mm.max);
    const amax = Math.max(Math.abs(mm.min), Math.abs(mm.max));
    if (this.counts.length === 0) {
      if (amax === 0) {
        this.zeros += finiteCount(x, mm);
        return;
      }
      this.width = f32(amax / this.bins);
      this.hi = amax;
      this.counts = new Float64Array(this.bins);
      this.counts[0] += this.zeros;
      this.zeros = 0;
    } else if (amax > this.hi) this.extend(amax);
    accumulateHistogram(x, { rule: 'torch', bins: this.counts.length, lo: 0, hi: this.hi, absolute: true }, this.counts);
  }

  private extend(amax: number): void {
    let nb = Math.ceil(amax / this.width);
    let hi = f32(nb * this.width);
    while (hi < amax) hi = f32(++nb * this.width);
    const counts = new Float64Array(nb);
    counts.set(this.counts);
    this.counts = counts;
    this.hi = hi;
  }

  /** The threshold kept with the first i bins. */
  edge(i: number): number {
    return i >= this.counts.length ? this.hi : f32((i * this.hi) / this.counts.length);
  }

  merge(o: AbsHistogram): void {
    if (o.empty) return;
    if (o.counts.length === 0) {
      // the other saw zeros only
      if (this.counts.length === 0) this.zeros += o.zeros;
      else this.counts[0] += o.zeros;
    } else if (this.counts.length === 0) {
      const z = this.zeros;
      Object.assign(this, { width: o.width, hi: o.hi, counts: Float64Array.from(o.counts), zeros: 0 });
      this.counts[0] += z;
    } else {
      if (o.hi > this.hi) this.extend(o.hi);
      // Spread each of the other's bins over ours in proportion to the overlap.
      const w = this.hi / this.counts.length;
      const ow = o.hi / o.counts.length;
      for (let j = 0; j < o.counts.length; j++) {
        const c = o.counts[j];
        if (c === 0) continue;
        const a = j * ow;
        const b = (j + 1) * ow;
        for (let t = Math.floor(a / w); t < this.counts.length && t * w < b; t++) {
          const lo = Math.max(a, t * w);
          const hi = Math.min(b, (t + 1) * w);
          if (hi > lo) this.counts[t] += (c * (hi - lo)) / (b - a);
        }
      }
      this.counts[0] += o.zeros;
    }
    this.min = Math.min(this.min, o.min);
    this.max = Math.max(this.max, o.max);
  }

  toJSON(): AbsHistogramJSON {
    return {
      bins: this.bins,
      width: this.width,
      hi: this.hi,
      zeros: this.zeros,
      counts: Array.from(this.counts),
      min: this.empty ? null : this.min,
      max: this.empty ? null : this.max,
    };
  }

  static fromJSON(j: AbsHistogramJSON): AbsHistogram {
    const h = new AbsHistogram(j.bins);
    h.width = j.width;
    h.hi = j.hi;
    h.zeros = j.zeros;
    h.counts = Float64Array.from(checkCountsArray(j.counts, 'counts'));
    if (j.min !== null && j.max !== null) {
      h.min = j.min;
      h.max = j.max;
    }
    return h;
  }
}

// ---------------------------------------------------------------- onnxruntime's collectors

export interface OrtHistogramJSON {
  kind: 'value' | 'absolute';
  numBins: number;
  counts: number[] | null;
  edges: number[] | null;
  min: number | null;
  max: number | null;
  threshold: number | null;
}

/** np.histogram(x, bins, range=(first, last)) with float32 edges (x's |values| when absolute). */
function npHistogramRange(x: Float32Array, bins: number, first: number, last: number, absolute: boolean): { counts: Float64Array; edges: Float64Array } {
  let a = first;
  let b = last;
  if (a === b) {
    a = f32(a - 0.5);
    b = f32(b + 0.5);
  }
  const edges = numpyLinspaceF32(a, b, bins + 1);
  const counts = new Float64Array(bins);
  accumulateHistogram(x, { rule: 'numpy', bins, edges, absolute }, counts);
  return { counts, edges };
}

/**
 * HistogramCollector.collect_value (kind 'value': entropy, asymmetric percentile) and
 * collect_absolute_value (kind 'absolute': symmetric percentile) of onnxruntime 1.x.
 */
export class OrtHistogram {
  readonly kind: 'value' | 'absolute';
  readonly numBins: number;
  counts: Float64Array | null = null;
  /** float32 edge values. */
  edges: Float64Array | null = null;
  min = 0;
  max = 0;
  threshold = 0;

  constructor(kind: 'value' | 'absolute', numBins: number) {
    this.kind = kind;
    this.numBins = numBins;
  }

  get empty(): boolean {
    return this.counts === null;
  }

  add(x: Float32Array, mm: MinMaxResult): void {
    if (!(mm.min <= mm.max)) return; // onnxruntime would fail on a batch without finite values
    if (this.kind === 'value') this.addValue(x, mm);
    else this.addAbsolute(x, mm);
  }

  private addValue(x: Float32Array, mm: MinMaxResult): void {
    const thr = f32(Math.max(Math.abs(mm.min), Math.abs(mm.max)));
    if (this.counts === null) {
      const h = npHistogramRange(x, this.numBins, -thr, thr, false);
      Object.assign(this, { counts: h.counts, edges: h.edges, min: mm.min, max: mm.max, threshold: thr });
      return;
    }
    const old = this.counts;
    const oldThr = this.threshold;
    let counts: Float64Array;
    let edges: Float64Array;
    let newThr = thr;
    if (thr <= oldThr) {
      counts = npHistogramRange(x, old.length, -oldThr, oldThr, false).counts;
      for (let j = 0; j < old.length; j++) counts[j] += old[j];
      edges = this.edges as Float64Array;
      newThr = oldThr;
    } else if (oldThr === 0) {
      ({ counts, edges } = npHistogramRange(x, old.length, -thr, thr, false));
      for (let j = 0; j < old.length; j++) counts[j] += old[j];
    } else {
      const oldNum = old.length;
      const stride = f32(f32(2 * oldThr) / oldNum);
      const half = Math.trunc(f32(numpyFloorDivF32(f32(thr - oldThr), stride) + 1));
      const newNum = oldNum + 2 * half;
      newThr = f32(f32(half * stride) + oldThr);
      ({ counts, edges } = npHistogramRange(x, newNum, -newThr, newThr, false));
      for (let j = 0; j < oldNum; j++) counts[half + j] += old[j];
    }
    Object.assign(this, { counts, edges, min: Math.min(this.min, mm.min), max: Math.max(this.max, mm.max), threshold: newThr });
  }

  private addAbsolute(x: Float32Array, mm: MinMaxResult): void {
    const abs = tensorMinMax(x, { absolute: true });
    if (this.counts === null) {
      const h = npHistogramRange(x, this.numBins, abs.min, abs.max, true);
      Object.assign(this, { counts: h.counts, edges: h.edges, min: mm.min, max: mm.max });
      return;
    }
    const old = this.counts;
    let edges = this.edges as Float64Array;
    if (abs.max > edges[edges.length - 1]) {
      // np.arange(old_edges[-1] + width, temp_amax + width, width) appended (float64 edges)
      const width = f32(edges[1] - edges[0]);
      const more = numpyArangeF32(f32(edges[edges.length - 1] + width), f32(abs.max + width), width);
      const all = new Float64Array(edges.length + more.length);
      all.set(edges);
      all.set(more, edges.length);
      edges = all;
    }
    const counts = new Float64Array(edges.length - 1);
    accumulateHistogram(x, { rule: 'edges', bins: counts.length, edges, absolute: true }, counts);
    for (let j = 0; j < old.length; j++) counts[j] += old[j];
    // hist_edges.astype(float32): the binning above used the float64 edges, the state keeps float32
    this.edges = edges.map(f32);
    this.counts = counts;
    this.min = Math.min(this.min, mm.min);
    this.max = Math.max(this.max, mm.max);
  }

  toJSON(): OrtHistogramJSON {
    return {
      kind: this.kind,
      numBins: this.numBins,
      counts: this.counts ? Array.from(this.counts) : null,
      edges: this.edges ? Array.from(this.edges) : null,
      min: this.counts ? this.min : null,
      max: this.counts ? this.max : null,
      threshold: this.counts ? this.threshold : null,
    };
  }

  static fromJSON(j: OrtHistogramJSON): OrtHistogram {
    const h = new OrtHistogram(j.kind, j.numBins);
    if (j.counts !== null && j.edges !== null) {
      const counts = checkCountsArray(j.counts, 'counts');
      if (!Array.isArray(j.edges) || j.edges.length !== counts.length + 1) throw new RangeError('edges must have counts.length + 1 entries');
      h.counts = Float64Array.from(counts);
      h.edges = Float64Array.from(j.edges);
      h.min = j.min as number;
      h.max = j.max as number;
      h.threshold = j.threshold as number;
    }
    return h;
  }
}

export type { NonFiniteCounts };
