// Whole-model QDQ: the Fashion-MNIST CNN quantized by onnxruntime's quantize_static and by PyTorch
// QAT (scripts/export_qdq_fixtures.py) runs fused to int8 in qint8 and equals onnxruntime-node's
// int8 execution of the same file bit for bit; and qint8's own quantize() of the float model
// (static with each calibration method, dynamic) keeps the float accuracy, saves a QDQ file that
// onnxruntime runs to the same results, and reports per-tensor statistics.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { CALIBRATION_METHODS, InferenceSession, Tensor, quantize } from '../lib';
import { FIXTURES } from './helpers/models';

const meta = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'fashion_mnist_cnn.qdq.json'), 'utf8'));
const floatBytes = () => fs.readFileSync(path.join(FIXTURES, 'fashion_mnist_cnn.onnx'));
const calib = fs.readFileSync(path.join(FIXTURES, 'fashion_mnist_calib.bin'));

/** Calibration images i0..i1 as one float batch [n, 1, 28, 28] in [0, 1]. */
function calibBatch(i0: number, i1: number): Float32Array {
  const x = new Float32Array((i1 - i0) * 784);
  for (let i = 0; i < x.length; i++) x[i] = calib[i0 * 784 + i] / 255;
  return x;
}
const calibFeeds = (n: number) => Array.from({ length: n }, (_, i) => ({ image: new Tensor('float32', calibBatch(i, i + 1), [1, 1, 28, 28]) }));

/** 2,000 official test images (200 per class in order of appearance) and labels, from Debian's dataset-fashion-mnist. */
function testSet(): { x: Float32Array; labels: Uint8Array; n: number } {
  const dir = '/usr/share/datasets/fashion-mnist';
  expect(fs.existsSync(dir), `${dir} is missing: apt-get install dataset-fashion-mnist`).toBe(true);
  const images = zlib.gunzipSync(fs.readFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'))).subarray(16);
  const labels = zlib.gunzipSync(fs.readFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'))).subarray(8);
  const n = 2000;
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = images[i] / 255;
  return { x, labels: labels.subarray(0, n), n };
}

async function accuracy(s: InferenceSession, t: { x: Float32Array; labels: Uint8Array; n: number }): Promise<number> {
  let ok = 0;
  for (let b = 0; b < t.n; b += 500) {
    const out = (await s.run({ image: new Tensor('float32', t.x.subarray(b * 784, (b + 500) * 784), [500, 1, 28, 28]) })).logits.data as Float32Array;
    for (let i = 0; i < 500; i++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (out[i * 10 + k] > out[i * 10 + best]) best = k;
      if (best === t.labels[b + i]) ok++;
    }
  }
  return ok / t.n;
}

const opList = (s: InferenceSession) => s.graph.nodes.map((n) => `${n.opType}${n.attrs.activation ? `+${n.attrs.activation}` : ''}`);

async function ortLogits(bytes: Uint8Array, x: Float32Array, n: number): Promise<Float32Array> {
  // Optimizations on: onnxruntime then runs the QDQ groups with its int8 kernels (QLinearConv,
  // QGemm, ...), which is the arithmetic qint8's fused graph reproduces.
  const o = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
  const r = await o.run({ image: new ort.Tensor('float32', x, [n, 1, 28, 28]) });
  await o.release();
  return r.logits.data as Float32Array;
}

describe('QDQ models from other tools run fused in int8, bit-exact with onnxruntime', () => {
  const x = calibBatch(0, 64);
  for (const [key, convs] of [
    ['ort_qdq', ['QLinearConv', 'QLinearConv', 'QLinearConv', 'QLinearConv']],
    ['qat_qdq', ['QLinearConv+Relu', 'QLinearConv+Relu', 'QLinearConv+Relu', 'QLinearConv+Relu']],
  ] as const) {
    it(`${key} (${meta[key].tool})`, async () => {
      const bytes = fs.readFileSync(path.join(FIXTURES, meta[key].model));
      const want = await ortLogits(bytes, x, 64);
      for (const threads of [1, 2]) {
        const s = await InferenceSession.create(bytes, { intraOpNumThreads: threads });
        const ops = opList(s);
        // Every conv is an int8 kernel with its activation fused; no float Conv is left.
        expect(ops.filter((o) => o.includes('QLinearConv'))).toEqual(convs.map((c) => `Nhwc${c}`));
        expect(ops.some((o) => o === 'Conv' || o.startsWith('NhwcConv'))).toBe(false);
        if (key === 'ort_qdq') expect(ops).toContain('QLinearMatMul');
        const got = (await s.run({ image: new Tensor('float32', x, [64, 1, 28, 28]) })).logits.data as Float32Array;
        expect(Array.from(got)).toEqual(Array.from(want));
        await s.release();
      }
    });
  }

  it("qdq: 'simulate' keeps the Q/DQ pairs and runs the float ops (onnxruntime with optimizations off)", async () => {
    const bytes = fs.readFileSync(path.join(FIXTURES, meta.ort_qdq.model));
    const s = await InferenceSession.create(bytes, { qdq: 'simulate' });
    expect(opList(s).some((o) => o.includes('QLinearConv'))).toBe(false);
    const got = (await s.run({ image: new Tensor('float32', x, [64, 1, 28, 28]) })).logits.data as Float32Array;
    const o = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
    const want = (await o.run({ image: new ort.Tensor('float32', x, [64, 1, 28, 28]) })).logits.data as Float32Array;
    await o.release();
    // Float convolutions sum in a different order than onnxruntime's, so a value at a rounding
    // boundary of the next QuantizeLinear can land one step away: at most one quantization step
    // of the logits (their scale) on a small fraction of the outputs.
    const step = 0.11;
    let differ = 0;
    for (let i = 0; i < got.length; i++) {
      expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(step);
      if (got[i] !== want[i]) differ++;
    }
    expect(differ / got.length).toBeLessThan(0.05);
  });
});

describe('quantize(): the float Fashion-MNIST CNN end to end', () => {
  const test = testSet();
  let floatAcc = 0;

  it('float baseline on 2,000 official test images', async () => {
    const s = await InferenceSession.create(floatBytes());
    floatAcc = await accuracy(s, test);
    expect(floatAcc).toBeGreaterThan(0.9);
  });

  for (const method of CALIBRATION_METHODS) {
    it(`static, ${method}: within 0.5 points of float, all convs and the classifier in int8`, async () => {
      const qm = await quantize(floatBytes(), { mode: 'static', calibration: { method }, data: calibFeeds(200) });
      const s = await qm.createSession();
      const ops = opList(s);
      expect(ops.filter((o) => o.includes('QLinearConv')).length).toBe(4);
      expect(ops).toContain('QLinearMatMul');
      const acc = await accuracy(s, test);
      expect(floatAcc - acc).toBeLessThanOrEqual(0.005);
    });
  }

  it('save() writes a QDQ model that onnxruntime runs to the same logits as qint8', async () => {
    const qm = await quantize(floatBytes(), { calibration: { method: 'histogram' }, data: calibFeeds(100) });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qint8-')), 'fashion.qdq.onnx');
    await qm.save(file);
    const bytes = fs.readFileSync(file);
    const x = calibBatch(100, 164);
    const want = await ortLogits(bytes, x, 64);
    const s = await InferenceSession.create(bytes);
    const got = (await s.run({ image: new Tensor('float32', x, [64, 1, 28, 28]) })).logits.data as Float32Array;
    expect(Array.from(got)).toEqual(Array.from(want));
    // The in-memory model's session is the same graph.
    const s2 = await qm.createSession();
    const got2 = (await s2.run({ image: new Tensor('float32', x, [64, 1, 28, 28]) })).logits.data as Float32Array;
    expect(Array.from(got2)).toEqual(Array.from(want));
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it('report(): per-tensor parameters, clipped fractions and SQNR; output SQNR', async () => {
    const qm = await quantize(floatBytes(), { calibration: { method: 'minmax' }, data: calibFeeds(50) });
    const r = await qm.report(calibFeeds(20));
    expect(r.mode).toBe('static');
    expect(r.samples).toBe(20);
    expect(r.outputs).toHaveLength(1);
    expect(r.outputs[0].sqnr).toBeGreaterThan(20);
    expect(r.tensors.length).toBeGreaterThanOrEqual(5);
    for (const t of r.tensors) {
      expect(t.scale).toBeGreaterThan(0);
      if (t.clipped !== null) expect(t.clipped).toBeGreaterThanOrEqual(0);
    }
    // Calibrated on a superset of the report's images with min/max: nothing is clipped.
    expect(r.tensors.every((t) => t.clipped === null || t.clipped === 0)).toBe(true);
  });

  it('dynamic: weights int8 ahead of time, convs ConvInteger (fused on qint8), the classifier a DynamicQuantizeMatMul, accuracy kept, the saved file equal on onnxruntime', async () => {
    const qm = await quantize(floatBytes(), { mode: 'dynamic' });
    expect(qm.graph.nodes.filter((n) => n.opType === 'ConvInteger').length).toBe(4);
    expect(qm.graph.nodes.some((n) => n.opType === 'Conv')).toBe(false);
    const s = await qm.createSession();
    expect(opList(s)).toContain('DynamicQuantizeMatMul');
    expect(opList(s).filter((o) => o.includes('DynamicQuantizeConv'))).toEqual(new Array(4).fill('NhwcDynamicQuantizeConv+Relu'));
    // Only the int8 copies of the weights are kept.
    const floatWeights = [...qm.graph.constants.values()].filter((t) => t.dtype === 'float32' && (t.dims.length === 2 || t.dims.length === 4) && t.dims[0] > 1);
    expect(floatWeights).toEqual([]);
    const acc = await accuracy(s, test);
    expect(floatAcc - acc).toBeLessThanOrEqual(0.005);
    // save() writes standard ONNX + com.microsoft DynamicQuantizeMatMul: onnxruntime-node loads it
    // and computes the same logits bit for bit.
    const file = path.join(os.tmpdir(), `qint8-dyn-${process.pid}.onnx`);
    await qm.save(file);
    const x = test.x.subarray(0, 64 * 784);
    const want = await ortLogits(fs.readFileSync(file), x, 64);
    fs.unlinkSync(file);
    const got = (await s.run({ image: new Tensor('float32', x, [64, 1, 28, 28]) })).logits.data as Float32Array;
    expect(Array.from(got)).toEqual(Array.from(want));
    await s.release();
  });
});
