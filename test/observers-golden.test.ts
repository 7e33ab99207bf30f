// Observers and calibrators against golden vectors from PyTorch and onnxruntime
// (test/fixtures/observers.json, written by scripts/gen_observer_fixtures.py).
//
// Tolerance: zero points must be equal and scales equal or within 1 float32 ulp. The 1-ulp
// allowance covers the one place where the references' float32 arithmetic is not reproducible
// operation by operation: torch.sum / numpy.sum reduce float32 tensors in a blocked order that
// depends on the build, and a search that compares such sums could end one bin apart. Every
// case is also counted: how many are bit-exact is asserted below, so a drift cannot hide.
import { describe, expect, it } from 'vitest';
import {
  EntropyCalibrator,
  HistogramObserver,
  MinMaxObserver,
  PercentileCalibrator,
  computeQParams,
  createObserver,
  qconfig,
  type Observer,
  type TensorQParams,
  type ChannelQParamsResult,
} from '../lib';
import { batches, bitsDigest, digest, loadFixture, ulps } from './helpers/fixture-data';

const fx = loadFixture();

describe('fixture data', () => {
  it('the TypeScript generator reproduces the Python one', () => {
    for (const [name, specs] of Object.entries(fx.data)) {
      const got = batches(fx, name).map((b) => bitsDigest(b.data));
      expect(got, name).toEqual(fx.dataDigest[name]);
      expect(specs.length).toBe(got.length);
    }
  });
});

function observeAll(o: Observer, data: string | null): void {
  if (data === null) return;
  for (const b of batches(fx, data)) o.observe(b.data, b.dims);
}

function scalesOf(q: TensorQParams | ChannelQParamsResult): number[] {
  return typeof q.scale === 'number' ? [q.scale] : Array.from(q.scale);
}
function zpsOf(q: TensorQParams | ChannelQParamsResult): number[] {
  return typeof q.zeroPoint === 'number' ? [q.zeroPoint] : Array.from(q.zeroPoint);
}

describe('PyTorch observers (torch.ao.quantization)', () => {
  let exact = 0;
  for (const c of fx.pytorch) {
    const name = `${c.observer} ${JSON.stringify(c.args)} on ${c.data ?? 'nothing'}`;
    it(name, () => {
      const o =
        c.observer === 'FixedQParamsObserver'
          ? createObserver({ observer: 'FixedQParamsObserver', ...c.args })
          : createObserver({ observer: c.observer as never, ...c.args });
      observeAll(o, c.data);
      if (c.state && c.data !== null) {
        const st = o as unknown as { min: number | Float32Array; max: number | Float32Array };
        const mins = typeof st.min === 'number' ? [st.min] : Array.from(st.min);
        const maxs = typeof st.max === 'number' ? [st.max] : Array.from(st.max);
        expect(mins, 'running min').toEqual(c.state.min);
        expect(maxs, 'running max').toEqual(c.state.max);
      }
      if (c.state?.histogram) {
        const h = o as HistogramObserver;
        expect(digest(h.histogram().counts), 'histogram').toEqual(c.state.histogram);
        const r = h.computeRange();
        expect([r.min, r.max], 'searched range').toEqual(c.search);
      }
      const q = o.calculateQParams() as TensorQParams | ChannelQParamsResult;
      expect(zpsOf(q), 'zero points').toEqual(c.zeroPoint);
      const s = scalesOf(q);
      expect(s.length).toBe(c.scale.length);
      const worst = Math.max(...s.map((v, i) => ulps(v, c.scale[i])));
      expect(worst, `scales ${s} vs ${c.scale}`).toBeLessThanOrEqual(1);
      if (worst === 0) exact++;
      if (c.data === null) expect(q.empty).toBe(true);
    });
  }
  it('counts the bit-exact cases', () => {
    expect(exact).toBe(fx.pytorch.length);
  });
});

describe('backend presets (get_default_qconfig)', () => {
  for (const p of fx.presets) {
    it(`${p.backend}${p.activationData ? ` on ${p.activationData}` : ''}`, () => {
      const dynamic = p.backend.includes('dynamic');
      const backend = dynamic ? (p.backend === 'dynamic' ? 'qnnpack' : 'x86') : (p.backend as 'x86');
      const cfg = qconfig(backend, { dynamic });
      expect(cfg.weight.observer).toBe(p.weight.observer);
      const w = createObserver(cfg.weight);
      observeAll(w, p.weightData);
      const wq = w.calculateQParams() as TensorQParams | ChannelQParamsResult;
      expect(zpsOf(wq)).toEqual(p.weight.zeroPoint);
      expect(scalesOf(wq)).toEqual(p.weight.scale);
      expect(cfg.activation.observer).toBe(p.activation.observer);
      if (dynamic) {
        expect(cfg.activation).toMatchObject({ dtype: 'quint8', quantMin: p.activation.quantMin, quantMax: p.activation.quantMax, isDynamic: true });
        return;
      }
      expect(cfg.activation.reduceRange).toBe(p.activation.reduceRange);
      const a = createObserver(cfg.activation);
      observeAll(a, p.activationData as string);
      const aq = a.calculateQParams() as TensorQParams;
      expect([aq.quantMin, aq.quantMax]).toEqual([p.activation.quantMin, p.activation.quantMax]);
      expect(aq.zeroPoint).toBe((p.activation.zeroPoint as number[])[0]);
      expect(ulps(aq.scale, (p.activation.scale as number[])[0])).toBeLessThanOrEqual(1);
    });
  }
});

describe('onnxruntime calibrators (onnxruntime.quantization.calibrate)', () => {
  let exact = 0;
  for (const c of fx.onnxruntime) {
    it(`${c.calibrator} ${JSON.stringify(c.args)} on ${c.data}${c.perBatch ? ' (per batch)' : ' (one pass)'}`, () => {
      const bs = batches(fx, c.data);
      // One pass: onnxruntime stacks every batch into one array first.
      const feeds = c.perBatch ? bs.map((b) => b.data) : [Float32Array.from(bs.flatMap((b) => Array.from(b.data)))];
      let range: { min: number; max: number };
      if (c.calibrator === 'minmax') {
        const o = new MinMaxObserver();
        for (const d of feeds) o.observe(d);
        range = { min: o.min, max: o.max };
        if (c.args.symmetric) {
          const m = Math.max(Math.abs(o.min), Math.abs(o.max));
          range = { min: -m, max: m };
        }
      } else if (c.calibrator === 'entropy') {
        const o = new EntropyCalibrator({ variant: 'onnxruntime', bins: c.args.numBins as number | undefined, numQuantizedBins: c.args.numQuantizedBins as number | undefined });
        for (const d of feeds) o.observe(d);
        const h = (o.collector as unknown as { hist: { counts: Float64Array; edges: Float64Array } }).hist;
        expect(h.counts.length, 'bins').toBe(c.histogram?.bins);
        expect(digest(h.counts), 'histogram counts').toEqual(c.histogram?.counts);
        expect([h.edges[0], h.edges[h.edges.length - 1]], 'histogram edges').toEqual(c.histogram?.edges);
        range = o.computeRange();
      } else {
        const o = new PercentileCalibrator({ percentile: c.args.percentile as number, symmetric: c.args.symmetric as boolean, bins: (c.args.numBins as number | undefined) ?? 2048 });
        for (const d of feeds) o.observe(d);
        expect(o.hist.counts?.length, 'bins').toBe(c.histogram?.bins);
        expect(digest(o.hist.counts as Float64Array), 'histogram counts').toEqual(c.histogram?.counts);
        range = o.computeRange();
      }
      expect([range.min, range.max], 'range').toEqual(c.range);
      const kinds = {
        uint8: { dtype: 'quint8' },
        int8sym: { dtype: 'qint8', qscheme: 'per_tensor_symmetric' },
        uint8reduced: { dtype: 'quint8', reduceRange: true },
        int8reducedsym: { dtype: 'qint8', qscheme: 'per_tensor_symmetric', reduceRange: true },
      } as const;
      let worst = 0;
      for (const [k, want] of Object.entries(c.qparams)) {
        const q = computeQParams(range.min, range.max, { ...kinds[k as keyof typeof kinds], compat: 'onnxruntime' });
        expect(q.zeroPoint, `${k} zero point`).toBe(want.zeroPoint);
        worst = Math.max(worst, ulps(q.scale, want.scale));
      }
      expect(worst).toBeLessThanOrEqual(1);
      if (worst === 0) exact++;
    });
  }
  it('counts the bit-exact cases', () => {
    expect(exact).toBe(fx.onnxruntime.length);
  });
});
