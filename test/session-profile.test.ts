// InferenceSession: the opt-in per-node profiler and release() of the native model.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../lib';

const FASHION = path.join(__dirname, 'fixtures', 'models', 'fashion_mnist_cnn.onnx');
const image = (n: number) => new Tensor('float32', Float32Array.from({ length: n * 784 }, (_, i) => (i % 255) / 255), [n, 1, 28, 28]);

describe('session profiler', () => {
  it('is off by default: profile() is empty', async () => {
    const s = await InferenceSession.create(FASHION, { enableProfiling: false });
    await s.run({ image: image(1) });
    expect(s.profile()).toEqual([]);
  });

  it('records every node of every run per shape signature, and resets', async () => {
    const s = await InferenceSession.create(FASHION, { enableProfiling: true });
    for (let i = 0; i < 3; i++) await s.run({ image: image(1) });
    s.runSync({ image: image(2) });
    const rows = s.profile();
    const nodes = s.graph.nodes.map((n) => n.name).sort();
    const one = rows.filter((r) => r.shapes === '1x1x28x28');
    const two = rows.filter((r) => r.shapes === '2x1x28x28');
    expect(one.map((r) => r.node).sort()).toEqual(nodes);
    expect(two.map((r) => r.node).sort()).toEqual(nodes);
    for (const r of one) expect(r.runs).toBe(3);
    for (const r of two) expect(r.runs).toBe(1);
    for (const r of rows) {
      expect(r.totalMs).toBeGreaterThanOrEqual(0);
      expect(r.meanMs).toBeCloseTo(r.totalMs / r.runs, 9);
      expect(r.cpuMeanMs).toBeGreaterThanOrEqual(0);
    }
    // Slowest first, and the convolutions take time.
    for (let i = 1; i < rows.length; i++) expect(rows[i - 1].totalMs).toBeGreaterThanOrEqual(rows[i].totalMs);
    expect(one.filter((r) => r.opType.includes('Conv')).reduce((a, r) => a + r.totalMs, 0)).toBeGreaterThan(0);
    expect(s.profile(true).length).toBe(rows.length); // read, then zeroed
    expect(s.profile()).toEqual([]); // no runs since the reset
    await s.run({ image: image(1) });
    expect(s.profile().every((r) => r.runs === 1 && r.shapes === '1x1x28x28')).toBe(true);
  });

  it('rejects a non-boolean enableProfiling', async () => {
    await expect(InferenceSession.create(FASHION, { enableProfiling: 1 as unknown as boolean })).rejects.toThrow(TypeError);
  });
});

describe('session release', () => {
  it('frees the native model at once; later use is a clear TypeError', async () => {
    const s = await InferenceSession.create(FASHION);
    const pending = s.run({ image: image(4) }); // in flight: keeps its plan and model alive
    await s.release();
    const out = await pending;
    expect(out.logits.dims).toEqual([4, 10]);
    const model = (s as unknown as { compiled: { model: { handle: { released: boolean } } } }).compiled.model.handle;
    expect(model.released).toBe(true);
    await expect(s.run({ image: image(1) })).rejects.toThrow(/the session was released/);
    expect(() => s.runSync({ image: image(1) })).toThrow(TypeError);
    expect(() => s.profile()).toThrow(/released/);
  });
});
