// computeQParams: PyTorch's formulas (float32 arithmetic) and onnxruntime's tool (compat mode).
// The golden vectors from torch / onnxruntime live in test/observers*.test.ts; these are the
// hand-checkable cases.
import { describe, expect, it } from 'vitest';
import { computeQParams, roundHalfEven } from '../lib';

const f = Math.fround;

describe('computeQParams', () => {
  it('affine quint8 widens the range to include 0', () => {
    const p = computeQParams(0.5, 2.0);
    expect(p.scale).toBe(f(f(2.0 - 0) / 255));
    expect(p.zeroPoint).toBe(0);
    const q = computeQParams(-1, -0.25);
    expect(q.scale).toBe(f(f(0 - -1) / 255));
    expect(q.zeroPoint).toBe(255);
  });

  it('affine quint8 zero point = qmin - round(min / scale), clamped', () => {
    const p = computeQParams(-1.0, 3.0);
    const scale = f(f(3.0 - -1.0) / 255);
    expect(p.scale).toBe(scale);
    expect(p.zeroPoint).toBe(0 - roundHalfEven(f(-1.0 / scale)));
  });

  it('symmetric: max|x| / ((qmax - qmin) / 2), zero point 0 (qint8) or 128 (quint8)', () => {
    const s = computeQParams(-3, 1, { dtype: 'qint8', qscheme: 'per_tensor_symmetric' });
    expect(s.scale).toBe(f(3 / 127.5));
    expect(s.zeroPoint).toBe(0);
    const u = computeQParams(-3, 1, { dtype: 'quint8', qscheme: 'per_tensor_symmetric' });
    expect(u.zeroPoint).toBe(128);
  });

  it('reduceRange halves the integer range', () => {
    expect(computeQParams(0, 1, { reduceRange: true })).toMatchObject({ quantMin: 0, quantMax: 127, scale: f(1 / 127) });
    expect(computeQParams(-1, 1, { dtype: 'qint8', reduceRange: true })).toMatchObject({ quantMin: -64, quantMax: 63 });
    expect(computeQParams(-1, 1, { dtype: 'qint8', quantMin: -100, quantMax: 100, reduceRange: true })).toMatchObject({ quantMin: -50, quantMax: 50 });
  });

  it('a zero or constant range gets scale eps', () => {
    expect(computeQParams(0, 0).scale).toBe(2 ** -23);
    expect(computeQParams(0, 0).zeroPoint).toBe(0);
    expect(computeQParams(0, 0, { eps: 1e-3 }).scale).toBe(f(1e-3));
  });

  it('an empty observation (min = +Inf, max = -Inf) gives scale 1, zero point 0', () => {
    expect(computeQParams(Infinity, -Infinity)).toMatchObject({ scale: 1, zeroPoint: 0 });
  });

  it('per-channel arrays', () => {
    const p = computeQParams([-1, 0, -2], [1, 0, 4], { dtype: 'qint8', qscheme: 'per_channel_symmetric' });
    expect(Array.from(p.scale)).toEqual([f(1 / 127.5), 2 ** -23, f(4 / 127.5)]);
    expect(Array.from(p.zeroPoint)).toEqual([0, 0, 0]);
  });

  it("compat: 'onnxruntime' uses [-127, 127] for symmetric int8 and [-64, 64] for reduced int8", () => {
    const s = computeQParams(-2, 1, { dtype: 'qint8', qscheme: 'per_tensor_symmetric', compat: 'onnxruntime' });
    expect(s).toMatchObject({ quantMin: -127, quantMax: 127, zeroPoint: 0, scale: f(4 / 254) });
    const r = computeQParams(-2, 1, { dtype: 'qint8', qscheme: 'per_tensor_symmetric', reduceRange: true, compat: 'onnxruntime' });
    expect(r).toMatchObject({ quantMin: -64, quantMax: 64, scale: f(4 / 128) });
    const u = computeQParams(-1, 3, { compat: 'onnxruntime' });
    expect(u.scale).toBe(f(4 / 255));
    expect(u.zeroPoint).toBe(roundHalfEven(0 - -1 / (4 / 255)));
  });

  it('roundHalfEven', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 3]);
  });
});
