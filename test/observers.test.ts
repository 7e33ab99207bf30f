// Observer and calibrator behaviour beyond the reference tools: bad data (NaN/Inf, empty,
// constant, zero, single values), JSON snapshots and resuming, merging across workers, the
// order-independent histograms, the TensorRT-style entropy and the MSE criteria, presets, and
// bad options. The golden comparisons with PyTorch / onnxruntime are in observers-golden.test.ts.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  EntropyCalibrator,
  FixedQParamsObserver,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  MseCalibrator,
  NOTHING_OBSERVED,
  NoopObserver,
  type Observer,
  OBSERVER_KINDS,
  PercentileCalibrator,
  PerChannelMinMaxObserver,
  PlaceholderObserver,
  RecordingObserver,
  type TensorQParams,
  type ChannelQParamsResult,
  accumulateHistogram,
  channelMinMax,
  createObserver,
  observerFromJSON,
  qconfig,
  tensorMinMax,
} from '../lib';
import { generate } from './helpers/fixture-data';

const EPS = 2 ** -23;

/** Bell-shaped data with bounded support (|x - mu| <= 2 sqrt(3) sigma), from the fixture generator. */
function gauss(n: number, seed: number, sigma = 1, mu = 0): Float32Array {
  return generate({ dist: 'gauss', n, seed, p: { mu, sigma } }).data;
}

/** Normal samples (Box-Muller on a seeded generator): unbounded tails, for the criteria tests. */
function normal(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 8) + 0.5) / 16777216;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Splits x into consecutive batches of the given sizes (the rest in a last batch). */
function split(x: Float32Array, sizes: number[]): Float32Array[] {
  const out: Float32Array[] = [];
  let o = 0;
  for (const s of sizes) {
    out.push(x.subarray(o, o + s));
    o += s;
  }
  if (o < x.length) out.push(x.subarray(o));
  return out;
}

/** A deterministic permutation of x. */
function shuffled(x: Float32Array, seed: number): Float32Array {
  const y = Float32Array.from(x);
  let s = seed;
  for (let i = y.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [y[i], y[j]] = [y[j], y[i]];
  }
  return y;
}

// Every observer that computes qparams, with options that exercise it.
const MAKERS: [string, () => Observer][] = [
  ['MinMaxObserver', () => new MinMaxObserver()],
  ['MinMaxObserver qint8 symmetric', () => new MinMaxObserver({ dtype: 'qint8', qscheme: 'per_tensor_symmetric' })],
  ['MovingAverageMinMaxObserver', () => new MovingAverageMinMaxObserver()],
  ['HistogramObserver', () => new HistogramObserver()],
  ['HistogramObserver orderIndependent', () => new HistogramObserver({ orderIndependent: true })],
  ['EntropyCalibrator', () => new EntropyCalibrator()],
  ['EntropyCalibrator orderIndependent', () => new EntropyCalibrator({ orderIndependent: true })],
  ['EntropyCalibrator onnxruntime', () => new EntropyCalibrator({ variant: 'onnxruntime' })],
  ['MseCalibrator', () => new MseCalibrator()],
  ['MseCalibrator orderIndependent', () => new MseCalibrator({ orderIndependent: true })],
  ['PercentileCalibrator', () => new PercentileCalibrator()],
  ['PercentileCalibrator asymmetric', () => new PercentileCalibrator({ symmetric: false })],
  ['PercentileCalibrator orderIndependent', () => new PercentileCalibrator({ orderIndependent: true })],
];

function q(o: Observer): TensorQParams {
  return o.calculateQParams() as TensorQParams;
}

describe('bad data', () => {
  const dirty = new Float32Array([1.5, NaN, -2.25, Infinity, 0.5, -Infinity, NaN, 3]);
  for (const [name, make] of MAKERS) {
    it(`${name}: NaN and ±Inf are ignored and counted`, () => {
      const o = make().observe(dirty);
      expect(o.nonFinite).toEqual({ nan: 2, posInf: 1, negInf: 1 });
      const r = q(o);
      expect(r.nonFinite).toBe(4);
      expect(r.warnings).toContain('4 NaN/Inf values were ignored');
      expect(Number.isFinite(r.scale) && r.scale > 0).toBe(true);
      expect(r.empty).toBe(false);
      // The same qparams as the clean data.
      const clean = q(make().observe(new Float32Array([1.5, -2.25, 0.5, 3])));
      expect([r.scale, r.zeroPoint, r.min, r.max]).toEqual([clean.scale, clean.zeroPoint, clean.min, clean.max]);
    });

    it(`${name}: nothing observed gives scale 1, zero point 0, and says so`, () => {
      for (const o of [make(), make().observe(new Float32Array(0)), make().observe(new Float32Array([NaN, Infinity]))]) {
        const r = q(o);
        expect([r.scale, r.zeroPoint, r.empty]).toEqual([1, 0, true]);
        expect(r.warnings).toContain(NOTHING_OBSERVED);
      }
    });

    it(`${name}: constant, zero and single-element tensors give valid qparams`, () => {
      for (const x of [new Float32Array(100).fill(0.7), new Float32Array(64), new Float32Array([1.25]), new Float32Array([-3e-8]), new Float32Array(10).fill(-5)]) {
        const r = q(make().observe(x));
        expect(r.empty).toBe(false);
        expect(r.scale).toBeGreaterThanOrEqual(EPS);
        expect(Number.isFinite(r.scale)).toBe(true);
        expect(r.zeroPoint).toBeGreaterThanOrEqual(r.quantMin);
        expect(r.zeroPoint).toBeLessThanOrEqual(r.quantMax);
        // The observed value is representable: quantizing it stays within one step.
        const v = x[0];
        const qv = Math.min(r.quantMax, Math.max(r.quantMin, Math.round(v / r.scale) + r.zeroPoint));
        expect(Math.abs((qv - r.zeroPoint) * r.scale - v)).toBeLessThanOrEqual(Math.max(r.scale, Math.abs(v) * 1e-6));
      }
    });
  }

  it('per-channel observers skip non-finite values per channel and report channels without any', () => {
    const w = new Float32Array([1, NaN, -2, NaN, Infinity, NaN, 4, 0.5, -1]); // [3 channels, 3]
    const o = new PerChannelMinMaxObserver({ dtype: 'qint8', qscheme: 'per_channel_symmetric' }).observe(w, [3, 3]);
    expect(Array.from(o.min as Float32Array)).toEqual([-2, Infinity, -1]);
    const r = o.calculateQParams();
    expect(r.emptyChannels).toEqual([1]);
    expect(r.scale[1]).toBe(1);
    expect(r.zeroPoint[1]).toBe(0);
    expect(r.scale[0]).toBe(Math.fround(2 / 127.5));
    expect(r.nonFinite).toBe(4);
    const empty = new PerChannelMinMaxObserver().calculateQParams();
    expect([Array.from(empty.scale), Array.from(empty.zeroPoint), empty.empty]).toEqual([[1], [0], true]);
  });

  it('a moving average ignores batches without finite values', () => {
    const o = new MovingAverageMinMaxObserver({ averagingConstant: 0.5 });
    o.observe(new Float32Array([-1, 1])).observe(new Float32Array([NaN, NaN])).observe(new Float32Array([-3, 3]));
    expect([o.min, o.max]).toEqual([-2, 2]);
    const pc = new MovingAveragePerChannelMinMaxObserver({ averagingConstant: 0.5 });
    pc.observe(new Float32Array([-1, 1, 2, 4]), [2, 2]).observe(new Float32Array([NaN, NaN, 0, 8]), [2, 2]);
    expect([Array.from(pc.min as Float32Array), Array.from(pc.max as Float32Array)]).toEqual([[-1, 1], [1, 6]]);
  });
});

describe('inputs', () => {
  it('takes Float32Arrays, { data, dims } objects and onnxruntime Tensors', () => {
    const x = gauss(24, 3);
    const a = new PerChannelMinMaxObserver({ chAxis: 1 }).observe(x, [2, 3, 4]).calculateQParams();
    const b = new PerChannelMinMaxObserver({ chAxis: 1 }).observe({ data: x, dims: [2, 3, 4] }).calculateQParams();
    const c = new PerChannelMinMaxObserver({ chAxis: -2 }).observe(new ort.Tensor('float32', x, [2, 3, 4])).calculateQParams();
    expect(Array.from(b.scale)).toEqual(Array.from(a.scale));
    expect(Array.from(c.scale)).toEqual(Array.from(a.scale));
    expect(a.scale.length).toBe(3);
  });

  it('rejects what is not a float32 tensor, with the argument named', () => {
    const o = new MinMaxObserver();
    expect(() => o.observe([1, 2, 3] as never)).toThrow(TypeError);
    expect(() => o.observe(new Float64Array(3) as never)).toThrow(/x must be a Float32Array/);
    expect(() => o.observe(new ort.Tensor('int32', new Int32Array(3), [3]) as never)).toThrow(/x.data must be a Float32Array/);
    expect(() => o.observe(new Float32Array(6), [4, 2])).toThrow(/hold 8 elements, the data 6/);
    expect(() => new PerChannelMinMaxObserver({ chAxis: 2 }).observe(new Float32Array(6), [2, 3])).toThrow(/axis 2 is out of range/);
    const p = new PerChannelMinMaxObserver().observe(new Float32Array(6), [2, 3]);
    expect(() => p.observe(new Float32Array(6), [3, 2])).toThrow(/3 channels along axis 0, earlier tensors had 2/);
  });
});

describe('options are checked', () => {
  const bad: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ['symmetric quint8 with reduceRange', () => new MinMaxObserver({ qscheme: 'per_tensor_symmetric', reduceRange: true }), RangeError, /symmetric quint8 with reduceRange/],
    ['quantMin >= quantMax', () => new MinMaxObserver({ quantMin: 10, quantMax: 10 }), RangeError, /quantMin \(10\) must be < quantMax \(10\)/],
    ['negative eps', () => new HistogramObserver({ eps: -1 }), RangeError, /eps must be a finite number >= 0/],
    ['unknown dtype', () => new MinMaxObserver({ dtype: 'int16' as never }), TypeError, /dtype must be/],
    ['per-channel scheme on a per-tensor observer', () => new MinMaxObserver({ qscheme: 'per_channel_affine' }), TypeError, /needs per-channel/],
    ['per-tensor scheme on a per-channel observer', () => new PerChannelMinMaxObserver({ qscheme: 'per_tensor_affine' }), TypeError, /needs scalar/],
    ['averagingConstant > 1', () => new MovingAverageMinMaxObserver({ averagingConstant: 2 }), RangeError, /averagingConstant must be in \[0, 1\]/],
    ['bins 0', () => new HistogramObserver({ bins: 0 }), RangeError, /bins must be in/],
    ['bins fractional', () => new EntropyCalibrator({ bins: 10.5 }), TypeError, /bins must be an integer/],
    ['percentile 101', () => new PercentileCalibrator({ percentile: 101 }), RangeError, /percentile must be in \[0, 100\]/],
    ['entropy variant', () => new EntropyCalibrator({ variant: 'nvidia' as never }), TypeError, /variant must be/],
    ['onnxruntime entropy order-independent', () => new EntropyCalibrator({ variant: 'onnxruntime', orderIndependent: true }), TypeError, /no order-independent mode/],
    ['onnxruntime entropy numQuantizedBins > bins', () => new EntropyCalibrator({ variant: 'onnxruntime', bins: 64, numQuantizedBins: 128 }), RangeError, /numQuantizedBins/],
    ['fixed zero point outside', () => new FixedQParamsObserver(0.1, 300), RangeError, /zeroPoint must be in \[0, 255\]/],
    ['fixed scale 0', () => new FixedQParamsObserver(0, 0), RangeError, /scale must be a finite number > 0/],
    ['options not an object', () => new MinMaxObserver(3 as never), TypeError, /options must be an object/],
    ['unknown observer', () => createObserver({ observer: 'KLObserver' as never }), TypeError, /unknown observer 'KLObserver'/],
    ['misspelt option in a spec', () => createObserver({ observer: 'HistogramObserver', reduce_range: true }), TypeError, /unknown option for HistogramObserver: reduce_range/],
    ['option of the other entropy variant', () => createObserver({ observer: 'EntropyCalibrator', variant: 'onnxruntime', startBin: 10 }), TypeError, /unknown option for EntropyCalibrator: startBin/],
    ['placeholder qparams', () => new PlaceholderObserver().calculateQParams(), TypeError, /should not be called for PlaceholderObserver/],
    ['noop qparams', () => new NoopObserver().calculateQParams(), TypeError, /NoopObserver/],
    ['recording qparams', () => new RecordingObserver().calculateQParams(), TypeError, /RecordingObserver/],
  ];
  for (const [name, fn, type, msg] of bad)
    it(name, () => {
      expect(fn).toThrow(type);
      expect(fn).toThrow(msg);
    });
});

describe('JSON snapshots and merging', () => {
  const data = concat([gauss(3000, 41, 0.5), gauss(3000, 42, 2.0, 0.3), gauss(2000, 43, 1.0)]);
  const parts = split(data, [3000, 3000]);

  for (const [name, make] of MAKERS) {
    it(`${name}: a calibration resumed from JSON ends where an uninterrupted one does`, () => {
      const full = make();
      for (const p of parts) full.observe(p);
      const first = make().observe(parts[0]);
      const text = JSON.stringify(first);
      const resumed = observerFromJSON(text);
      expect(resumed.kind).toBe(first.kind);
      for (const p of parts.slice(1)) resumed.observe(p);
      expect(resumed.calculateQParams()).toEqual(full.calculateQParams());
      expect(resumed.batches).toBe(3);
      expect(JSON.parse(JSON.stringify(resumed))).toEqual(JSON.parse(JSON.stringify(full)));
    });
  }

  it('per-channel, fixed, placeholder and recording observers round-trip too', () => {
    const w = gauss(60, 44);
    for (const o of [
      new PerChannelMinMaxObserver({ dtype: 'qint8', qscheme: 'per_channel_symmetric' }).observe(w, [6, 10]),
      new MovingAveragePerChannelMinMaxObserver({ chAxis: 1 }).observe(w, [6, 10]).observe(gauss(60, 45), [6, 10]),
      new FixedQParamsObserver(1 / 256, 0),
      new PlaceholderObserver({ dtype: 'quint8', isDynamic: true }),
      new RecordingObserver().observe(new Float32Array([1, NaN, 2])),
    ]) {
      const back = observerFromJSON(JSON.stringify(o));
      expect(back.toJSON()).toEqual(o.toJSON());
      if (o.kind !== 'PlaceholderObserver' && o.kind !== 'RecordingObserver') expect(back.calculateQParams()).toEqual(o.calculateQParams());
    }
    const rec = observerFromJSON(JSON.stringify(new RecordingObserver().observe(new Float32Array([1, NaN, -Infinity])))) as RecordingObserver;
    expect(Array.from(rec.getTensorValue()[0].data)).toEqual([1, NaN, -Infinity]);
  });

  it('rejects broken snapshots', () => {
    expect(() => observerFromJSON({ kind: 'MinMaxObserver', version: 2 } as never)).toThrow(/version 2/);
    expect(() => observerFromJSON({ kind: 'Nope', version: 1, options: {}, state: {}, nonFinite: {} } as never)).toThrow(/unknown observer/);
    const j = new MinMaxObserver().observe(new Float32Array([1, 2])).toJSON();
    expect(() => observerFromJSON({ ...j, state: { min: 3, max: 1 } })).toThrow(/min <= max/);
  });

  it('merges what workers observed (snapshots sent as JSON) into the single-worker result', () => {
    const exactMerge: [string, () => Observer][] = [
      ['MinMaxObserver', () => new MinMaxObserver()],
      ['PerChannelMinMaxObserver', () => new PerChannelMinMaxObserver({ chAxis: 1 })],
      ['HistogramObserver orderIndependent', () => new HistogramObserver({ orderIndependent: true })],
      ['EntropyCalibrator orderIndependent', () => new EntropyCalibrator({ orderIndependent: true })],
      ['MseCalibrator orderIndependent', () => new MseCalibrator({ orderIndependent: true })],
      ['PercentileCalibrator orderIndependent', () => new PercentileCalibrator({ orderIndependent: true, symmetric: false })],
    ];
    const w = [gauss(4000, 51), gauss(4000, 52, 3), gauss(2000, 53, 0.5, 2)];
    for (const [name, make] of exactMerge) {
      const dims = name.startsWith('PerChannel') ? [40, 100] : undefined;
      const single = make();
      for (const b of w) single.observe(b, dims && [b.length / 100, 100]);
      // "worker" 1 saw batches 0 and 2, "worker" 2 saw batch 1; snapshots travel as JSON
      const w1 = make().observe(w[0], dims && [40, 100]).observe(w[2], dims && [20, 100]);
      const w2 = make().observe(w[1], dims && [40, 100]);
      const merged = observerFromJSON(JSON.stringify(w1)).merge(observerFromJSON(JSON.stringify(w2)));
      expect(merged.calculateQParams(), name).toEqual(single.calculateQParams());
    }
  });

  it("PyTorch-style histograms merge into the union range (like a later batch); order-dependent ones refuse", () => {
    const a = new HistogramObserver().observe(gauss(4000, 61));
    const b = new HistogramObserver().observe(gauss(4000, 62, 4));
    const m = a.merge(b);
    expect([m.min, m.max]).toEqual([Math.min(...[a.min]), Math.max(b.max)]);
    let total = 0;
    for (const v of m.histogram().counts) total += v;
    expect(total).toBe(8000);
    expect(() => new MovingAverageMinMaxObserver().merge(new MovingAverageMinMaxObserver())).toThrow(/depends on the order/);
    expect(() => new PercentileCalibrator().merge(new PercentileCalibrator())).toThrow(TypeError);
    expect(() => new EntropyCalibrator({ variant: 'onnxruntime' }).merge(new EntropyCalibrator({ variant: 'onnxruntime' }))).toThrow(TypeError);
    expect(() => new MinMaxObserver().merge(new MinMaxObserver({ dtype: 'qint8' }))).toThrow(/different options/);
    expect(() => new MinMaxObserver().merge(new HistogramObserver())).toThrow(/cannot merge HistogramObserver into MinMaxObserver/);
  });
});

describe('order-independent histograms', () => {
  const data = concat([gauss(5000, 71, 0.2), gauss(5000, 72, 3.0, -1), generate({ dist: 'pareto', n: 3000, seed: 73, p: { scale: 0.1, shift: -0.05 } }).data]);
  const batchings = [
    [data],
    split(data, [5000, 5000]),
    split(shuffled(data, 5), [1, 7, 100, 4000, 3]),
    split(shuffled(data, 9), Array(30).fill(433)),
  ];
  const make: [string, () => Observer][] = [
    ['HistogramObserver', () => new HistogramObserver({ orderIndependent: true })],
    ['EntropyCalibrator', () => new EntropyCalibrator({ orderIndependent: true })],
    ['MseCalibrator', () => new MseCalibrator({ orderIndependent: true })],
    ['PercentileCalibrator', () => new PercentileCalibrator({ orderIndependent: true })],
    ['PercentileCalibrator asymmetric', () => new PercentileCalibrator({ orderIndependent: true, symmetric: false })],
  ];
  for (const [name, mk] of make)
    it(`${name}: different batchings of the same data give the same range`, () => {
      const results = batchings.map((bs) => {
        const o = mk();
        for (const b of bs) o.observe(b);
        return o.calculateQParams() as TensorQParams;
      });
      for (const r of results.slice(1)) expect(r).toEqual(results[0]);
      expect(results[0].min).toBeLessThan(results[0].max);
    });

  it("PyTorch's own histogram depends on the batching (why the mode exists)", () => {
    const hists = batchings.map((bs) => {
      const o = new HistogramObserver();
      for (const b of bs) o.observe(b);
      return Array.from(o.histogram().counts).join(',');
    });
    expect(new Set(hists).size).toBe(batchings.length);
  });

  it('the grid keeps the search close to PyTorch on one batch', () => {
    const a = new HistogramObserver().observe(data).calculateQParams();
    const b = new HistogramObserver({ orderIndependent: true }).observe(data).calculateQParams();
    expect(Math.abs(b.scale - a.scale) / a.scale).toBeLessThan(0.01);
  });
});

describe('TensorRT-style entropy calibration', () => {
  it('a hand-checked histogram: [4, 2, 0, 2] with 2 levels (searched as [2, 2, 0, 2])', () => {
    // |x| over [0, 4] in 4 bins; thresholds after 2, 3 and 4 bins (startBin 2). As TensorRT's
    // tool does, the first bin's count is replaced by the second's before the search.
    const x = new Float32Array([0.5, 0.5, 0.5, 0.5, 1.5, 1.5, 3.5, 4]);
    const c = new EntropyCalibrator({ bins: 4, startBin: 2, levels: 2 }).observe(x);
    const d = (c.collector as unknown as { divergences(): Float64Array }).divergences();
    // 2 bins: P = [2, 2 + 2] / 6 (bin 3 folded in), Q = [2, 2] / 4.
    expect(d[0]).toBeCloseTo((1 / 3) * Math.log(1 / 3 / 0.5) + (2 / 3) * Math.log(2 / 3 / 0.5), 12);
    expect(d[1]).toBe(Infinity); // bin 3 folded into the empty bin 2: Q has no mass there
    expect(d[2]).toBe(0); // groups {0, 1} and {2, 3} spread evenly over non-empty bins give P back
    // Threshold 4 (all 4 bins); the unsigned range [0, 4] is clipped to the data's [0.5, 4].
    expect(c.computeRange()).toEqual({ min: 0.5, max: 4 });
  });

  it('a Gaussian with a few far outliers gets a threshold well inside max|x|', () => {
    const x = normal(200000, 81);
    x[10] = 60;
    x[20000] = -45;
    x[150000] = 52;
    const c = new EntropyCalibrator().observe(x);
    const r = c.computeRange();
    expect(r.max).toBeLessThan(0.2 * 60);
    expect(r.max).toBeGreaterThan(2); // clips the outliers, not the bulk (sigma = 1)
    expect(r.min).toBe(-r.max);
    const qp = c.calculateQParams();
    expect(qp.scale).toBeLessThan(0.2 * (60 + 60) / 255);
  });

  it('all-positive data uses the unsigned levels and a [0, t] range', () => {
    const x = generate({ dist: 'relu', n: 50000, seed: 82, p: { mu: 0.3, sigma: 1 } }).data;
    x[7] = 40;
    const c = new EntropyCalibrator().observe(x);
    const r = c.computeRange();
    expect(r.min).toBe(0);
    expect(r.max).toBeLessThan(40);
    expect((c.collector as unknown as { unsigned: boolean }).unsigned).toBe(true);
  });

  it('the bins grow with the range and the width stays fixed', () => {
    const c = new EntropyCalibrator();
    c.observe(gauss(10000, 83)).observe(gauss(10000, 84, 3));
    const h = (c.collector as unknown as { hist: { counts: Float64Array; width: number; hi: number } }).hist;
    expect(h.counts.length).toBeGreaterThan(2048);
    expect(h.hi / h.counts.length).toBeCloseTo(h.width, 6);
    let total = 0;
    for (const v of h.counts) total += v;
    expect(total).toBe(20000);
  });
});

describe('MSE calibration', () => {
  it('clips a Gaussian between 3 sigma and its max, and beats min/max on its criterion', () => {
    const x = normal(200000, 91);
    const c = new MseCalibrator().observe(x);
    const r = c.computeRange();
    const amax = Math.max(-tensorMinMax(x).min, tensorMinMax(x).max);
    expect(r.max).toBeGreaterThan(3);
    expect(r.max).toBeLessThan(amax);
    const e = c.errors();
    expect(Math.min(...e)).toBeLessThan(e[e.length - 1]); // the threshold at max|x| is worse
  });

  it('weighs outliers by their squared distance (unlike entropy)', () => {
    const x = normal(200000, 92);
    x[3] = 80;
    const few = new MseCalibrator().observe(x).computeRange().max;
    const y = Float32Array.from(x);
    for (let i = 0; i < 200; i++) y[i * 7] = 80;
    const many = new MseCalibrator().observe(y).computeRange().max;
    expect(many).toBeGreaterThan(few);
  });

  it('keeps the whole range of uniform data (clipping only adds error there)', () => {
    const x = generate({ dist: 'uniform', n: 100000, seed: 93, p: { lo: -1, hi: 1 } }).data;
    const r = new MseCalibrator().observe(x).computeRange();
    expect(r.max).toBeGreaterThan(0.97);
  });
});

describe('percentile calibration', () => {
  it('cuts the tails it is asked to', () => {
    const x = normal(100000, 94);
    x[5] = 30;
    const sym = new PercentileCalibrator({ percentile: 99.9 }).observe(x).computeRange();
    expect(sym.max).toBeGreaterThan(3);
    expect(sym.max).toBeLessThan(3.6);
    expect(sym.min).toBe(-sym.max);
    const asym = new PercentileCalibrator({ percentile: 99, symmetric: false }).observe(x).computeRange();
    expect(asym.max).toBeLessThan(3);
    expect(asym.min).toBeGreaterThan(-3);
  });
});

describe('native helpers', () => {
  it('min/max, per-channel min/max and histograms agree on every ISA', () => {
    const x = gauss(100003, 95);
    x[17] = NaN;
    x[400] = -Infinity;
    for (const isa of ['scalar', 'avx2', 'avx512vnni'] as const) {
      let ok = true;
      try {
        tensorMinMax(x, { isa });
      } catch {
        ok = false; // this CPU lacks the tier
      }
      if (!ok) continue;
      expect(tensorMinMax(x, { isa })).toEqual(tensorMinMax(x, { isa: 'scalar' }));
      expect(channelMinMax(x.subarray(0, 100000), [1000, 100], 1, { isa })).toEqual(channelMinMax(x.subarray(0, 100000), [1000, 100], 1, { isa: 'scalar' }));
      const a = new Float64Array(300);
      const b = new Float64Array(300);
      const ra = accumulateHistogram(x, { rule: 'torch', bins: 300, lo: -2, hi: 2.5, isa }, a);
      const rb = accumulateHistogram(x, { rule: 'torch', bins: 300, lo: -2, hi: 2.5, isa: 'scalar' }, b);
      expect([ra, Array.from(a)]).toEqual([rb, Array.from(b)]);
    }
    const mm = tensorMinMax(x);
    expect(mm.nonFinite).toEqual({ nan: 1, posInf: 0, negInf: 1 });
  });

  it('reject bad arguments with the argument named', () => {
    expect(() => tensorMinMax(new Float64Array(3) as never)).toThrow(/x must be a Float32Array/);
    expect(() => accumulateHistogram(new Float32Array(3), { rule: 'torch', bins: 4, lo: 1, hi: 1 }, new Float64Array(4))).toThrow(/lo < hi/);
    expect(() => accumulateHistogram(new Float32Array(3), { rule: 'torch', bins: 4, lo: 0, hi: 1 }, new Float64Array(3))).toThrow(/counts must be a Float64Array of 4 entries/);
    expect(() => accumulateHistogram(new Float32Array(3), { rule: 'numpy', bins: 2 }, new Float64Array(2))).toThrow(/edges must have bins \+ 1 entries/);
    expect(() => accumulateHistogram(new Float32Array(3), { rule: 'edges', bins: 2, edges: new Float64Array([0, 2, 1]) }, new Float64Array(2))).toThrow(/edges must increase/);
    expect(() => accumulateHistogram(new Float32Array(3), { rule: 'bogus' as never, bins: 2 }, new Float64Array(2))).toThrow(/rule must be one of/);
    expect(() => channelMinMax(new Float32Array(6), [2, 3], 5)).toThrow(/axis 5 is out of range/);
  });
});

describe('backend presets', () => {
  it("PyTorch's defaults per backend, as plain JSON-able objects", () => {
    const x86 = qconfig('x86');
    expect(x86.activation).toMatchObject({ observer: 'HistogramObserver', reduceRange: true, dtype: 'quint8' });
    expect(x86.weight).toEqual({ observer: 'PerChannelMinMaxObserver', dtype: 'qint8', qscheme: 'per_channel_symmetric', chAxis: 0 });
    expect(qconfig('fbgemm').activation.reduceRange).toBe(true);
    expect(qconfig('onednn').activation.reduceRange).toBe(false);
    expect(qconfig('qnnpack').activation.reduceRange).toBe(false);
    expect(qconfig('qnnpack').weight).toEqual({ observer: 'MinMaxObserver', dtype: 'qint8', qscheme: 'per_tensor_symmetric' });
    expect(qconfig()).toEqual(x86);
    for (const b of ['fbgemm', 'x86', 'qnnpack', 'onednn'] as const) {
      const p = qconfig(b);
      expect(JSON.parse(JSON.stringify(p))).toEqual(p);
      expect(createObserver(p.activation)).toBeInstanceOf(HistogramObserver);
      expect(p.reason.length).toBeGreaterThan(10);
    }
  });

  it('a preset is a copy: changing it changes nothing else', () => {
    const p = qconfig('x86');
    p.activation.reduceRange = false;
    const mine = { ...qconfig('x86'), activation: { ...qconfig('x86').activation, observer: 'EntropyCalibrator' as const, bins: 4096 } };
    expect(qconfig('x86').activation.reduceRange).toBe(true);
    const o = createObserver(mine.activation);
    expect(o).toBeInstanceOf(EntropyCalibrator);
    expect(o.options.bins).toBe(4096);
  });

  it('the dynamic preset', () => {
    const d = qconfig('x86', { dynamic: true });
    expect(d.mode).toBe('dynamic');
    expect(d.activation).toEqual({ observer: 'PlaceholderObserver', dtype: 'quint8', quantMin: 0, quantMax: 255, isDynamic: true, reduceRange: true });
    expect(d.weight.observer).toBe('PerChannelMinMaxObserver');
    expect(qconfig('qnnpack', { dynamic: true }).weight.observer).toBe('MinMaxObserver');
    expect((createObserver(d.activation) as PlaceholderObserver).isDynamic).toBe(true);
  });

  it("'auto' picks from the CPU and records why", () => {
    const vnni = qconfig('auto', { cpu: { arch: 'x64', features: { avx2: true, avx512vnni: true } } });
    expect([vnni.backend, vnni.activation.reduceRange]).toEqual(['x86', false]);
    expect(vnni.reason).toMatch(/VNNI.*no saturation/);
    const arm = qconfig('auto', { cpu: { arch: 'arm64', features: { neon: true, dotprod: true } } });
    expect([arm.backend, arm.weight.observer]).toEqual(['qnnpack', 'MinMaxObserver']);
    expect(arm.reason).toMatch(/arm64/);
    const avx2 = qconfig('auto', { cpu: { arch: 'x64', features: { avx2: true } } });
    expect([avx2.backend, avx2.activation.reduceRange]).toEqual(['x86', false]);
    expect(avx2.reason).toMatch(/without VNNI/);
    const here = qconfig('auto');
    expect(['x86', 'qnnpack']).toContain(here.backend);
    expect(here.reason).toMatch(/^auto: /);
  });

  it('rejects unknown backends', () => {
    expect(() => qconfig('tensorrt' as never)).toThrow(/backend must be one of fbgemm, x86, qnnpack, onednn or 'auto'/);
    expect(() => qconfig('x86', { dynamic: 'yes' as never })).toThrow(/dynamic must be a boolean/);
  });
});

describe('every observer kind is reachable by name', () => {
  it('createObserver builds each one', () => {
    for (const k of OBSERVER_KINDS) {
      const o = k === 'FixedQParamsObserver' ? createObserver({ observer: k, scale: 0.5, zeroPoint: 3 }) : createObserver({ observer: k });
      expect(o.kind).toBe(k);
    }
    const q8 = createObserver({ observer: 'FixedQParamsObserver', scale: 0.5, zeroPoint: 3 }).calculateQParams() as TensorQParams;
    expect([q8.scale, q8.zeroPoint]).toEqual([0.5, 3]);
    const pc = createObserver({ observer: 'PerChannelMinMaxObserver' }).observe(new Float32Array(4), [2, 2]).calculateQParams() as ChannelQParamsResult;
    expect(pc.scale.length).toBe(2);
  });
});
