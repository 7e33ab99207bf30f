// Whole QOperator models written by onnxruntime's quantization tool (scripts/make_qoperator_models.py:
// quantize_static with QuantFormat.QOperator, and quantize_dynamic) from the committed
// Fashion-MNIST CNN and PaddleOCR's direction classifier, against onnxruntime-node on the same
// files:
// - always: they import, and the layout pass's plan (exported, run on onnxruntime) gives the
//   original outputs bit for bit;
// - with the float engine's ops registered (Transpose, Reshape, Flatten, Cast, Mul, Div, Add,
//   HardSigmoid, GlobalAveragePool, MaxPool, Softmax, ...): qint8's session against onnxruntime.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../lib';
import { registeredOps } from '../lib/engine/ops';
import { importModel } from '../lib/onnx/import';
import { decodeModelProto, encodeModel } from '../lib/onnx/proto';
import { ONNX_DTYPE } from '../lib/graph/tensor';
import { bytesOf, firstDiff, rng, runOrt } from './helpers/onnx';
import { type Feeds, checkPlannedOnOrt, isas } from './helpers/qop';

const DIR = path.join(__dirname, 'fixtures', 'models');
const load = (f: string) => new Uint8Array(fs.readFileSync(path.join(DIR, f)));

function fashionImages(n: number): Feeds {
  const raw = fs.readFileSync(path.join(DIR, 'fashion_mnist_calib.bin'));
  // The last 100 of the 200 calibration images (the fixtures were calibrated on the first 100).
  const x = Float32Array.from(raw.subarray(100 * 784, (100 + n) * 784), (v) => v / 255);
  return { image: { data: x, dims: [n, 1, 28, 28] } };
}

function clsInputs(n: number): Feeds {
  const r = rng(2024 + n);
  // Smooth stripes plus noise in the classifier's normalised range [-1, 1].
  const x = new Float32Array(n * 3 * 48 * 192);
  for (let i = 0; i < x.length; i++) {
    const col = i % 192;
    const row = Math.floor(i / 192) % 48;
    x[i] = Math.max(-1, Math.min(1, Math.sin(col / 7 + row / 11) * 0.7 + r.float(-0.3, 0.3)));
  }
  return { x: { data: x, dims: [n, 3, 48, 192] } };
}

/** The model with every node output (in node order) also a graph output. */
function withAllOutputs(model: Uint8Array): { bytes: Uint8Array; order: { name: string; op: string }[] } {
  const g = importModel(model);
  const m = decodeModelProto(model) as unknown as {
    graph: { node: { opType: string; output: string[] }[]; output: { name: string; type?: unknown }[] };
  };
  const have = new Set(m.graph.output.map((o) => o.name));
  const order: { name: string; op: string }[] = [];
  for (const n of m.graph.node)
    for (const o of n.output) {
      const dt = o && g.values.has(o) ? g.info(o).dtype : undefined;
      if (!o || have.has(o) || !dt) continue;
      have.add(o);
      order.push({ name: o, op: n.opType });
      m.graph.output.push({ name: o, type: { tensorType: { elemType: ONNX_DTYPE[dt] } } });
    }
  return { bytes: encodeModel(m as never), order };
}

interface Fixture {
  file: string;
  feeds: Feeds[];
  /**
   * Largest allowed |qint8 - onnxruntime| per float output (0 = bit-exact). The reason for any
   * non-zero bound is written next to it.
   */
  bound: Record<string, number>;
  /**
   * When set, outputs may differ from onnxruntime's (within `bound`) only because this float op
   * rounds differently: every value computed before its first occurrence must be bit-exact, and
   * the first differing value must be its output.
   */
  firstDiffAt?: string;
}

const FIXTURES: Fixture[] = [
  { file: 'fashion_mnist_cnn.qop.onnx', feeds: [fashionImages(1), fashionImages(8)], bound: { logits: 0 } },
  { file: 'fashion_mnist_cnn.qop_s8.onnx', feeds: [fashionImages(1), fashionImages(8)], bound: { logits: 0 } },
  { file: 'fashion_mnist_cnn.dyn.onnx', feeds: [fashionImages(1), fashionImages(8)], bound: { logits: 0 } },
  { file: 'ppocr_cls.qop.onnx', feeds: [clsInputs(1), clsInputs(2)], bound: { 'softmax_0.tmp_0': 0 } },
  // The squeeze-excitation blocks average-pool in float (the float engine's GlobalAveragePool sums
  // 48 x 192 / 2^k values per channel in another order than onnxruntime: about 1e-6 relative),
  // then DynamicQuantizeLinear picks its scale from the pooled vector's range, so one changed
  // maximum requantizes the whole SE branch; measured at most 0.011 on these probabilities. The
  // int8 ops themselves are bit-exact (every value before the first float GlobalAveragePool is).
  { file: 'ppocr_cls.dyn.onnx', feeds: [clsInputs(1), clsInputs(2)], bound: { 'softmax_0.tmp_0': 0.02 }, firstDiffAt: 'GlobalAveragePool' },
];

/** Native ops the compiled graph would need that are not registered (all float-engine ops). */
function missingNativeOps(model: Uint8Array): string[] {
  try {
    InferenceSession.createSync(model).releaseSync();
    return [];
  } catch (e) {
    const m = /no native op '([^']+)'/.exec(String((e as Error).message));
    if (!m) throw e;
    return [m[1]];
  }
}

const QOPS = new Set(registeredOps());

describe('QOperator models from onnxruntime.quantization', () => {
  for (const fx of FIXTURES) {
    it(`${fx.file}: imports, and its layout plan runs on onnxruntime bit for bit`, async () => {
      const model = load(fx.file);
      const g = importModel(model);
      expect(g.nodes.length).toBeGreaterThan(5);
      for (const f of fx.feeds) await checkPlannedOnOrt(model, f);
    });

    it(`${fx.file}: qint8 vs onnxruntime`, async (ctx) => {
      const model = load(fx.file);
      const missing = missingNativeOps(model);
      if (missing.length) {
        // Only float-engine ops may be missing; a quantized op missing is a failure.
        expect(missing.every((o) => !/^(com\.microsoft::|qint8::Q)|QLinear|Integer|Quantize/.test(o)), `missing ${missing}`).toBe(true);
        expect(QOPS.has(missing[0])).toBe(false);
        ctx.skip();
        return;
      }
      for (const f of fx.feeds) {
        const want = await runOrt(model, f);
        for (const isa of isas) {
          const s = await InferenceSession.create(model, { isa });
          if (fx.file.endsWith('.dyn.onnx')) {
            // quantize_dynamic's conv sequences all fuse into qint8's one-op form.
            const convs = importModel(model).nodes.filter((n) => n.opType === 'ConvInteger').length;
            expect(convs).toBeGreaterThan(0);
            expect(s.graph.nodes.filter((n) => n.opType === 'NhwcDynamicQuantizeConv').length).toBe(convs);
          }
          const feeds: Record<string, Tensor> = {};
          for (const [k, v] of Object.entries(f)) feeds[k] = new Tensor('float32', v.data as Float32Array, v.dims);
          const got = await s.run(feeds);
          for (const [k, w] of Object.entries(want)) {
            expect(got[k].dims).toEqual(w.dims);
            const bound = fx.bound[k] ?? 0;
            if (bound === 0) {
              expect(firstDiff(bytesOf(got[k].data as Float32Array), bytesOf(w.data as Float32Array)), `${k} (${isa})`).toBe(-1);
            } else {
              const a = got[k].data as Float32Array;
              const b = w.data as Float32Array;
              let worst = 0;
              for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
              expect(worst, `${k} (${isa})`).toBeLessThanOrEqual(bound);
            }
          }
          await s.release();
        }
        if (fx.firstDiffAt) {
          const all = withAllOutputs(model);
          const w = await runOrt(all.bytes, f);
          const s = await InferenceSession.create(all.bytes);
          const feeds: Record<string, Tensor> = {};
          for (const [k, v] of Object.entries(f)) feeds[k] = new Tensor('float32', v.data as Float32Array, v.dims);
          const got = await s.run(feeds);
          const first = all.order.find((o) => firstDiff(bytesOf(got[o.name].data as Float32Array), bytesOf(w[o.name].data as Float32Array)) >= 0);
          expect(first?.op, `first value that differs from onnxruntime: ${first?.name}`).toBe(fx.firstDiffAt);
          await s.release();
        }
      }
    });
  }
});
