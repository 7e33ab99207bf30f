// The committed real-model fixtures: recipes rebuild deterministic models that onnxruntime runs,
// and the Fashion-MNIST CNN reproduces its recorded float accuracy.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { materializeRecipe } from '../lib/onnx/recipe';
import { importModel, loadModel } from '../lib/onnx/import';
import { ModelProto } from '../lib/onnx/proto';
import { FIXTURES, recipe } from './helpers/models';
import { run, session } from './helpers/ort';

describe('recipes', () => {
  for (const name of ['resnet18', 'mobilenet_v2', 'mobilenet_v3_small', 'bert_tiny']) {
    it(`${name}: deterministic, in range, complete`, () => {
      const r = recipe(name);
      const a = materializeRecipe(r, 7);
      const b = materializeRecipe(r, 7);
      expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
      const one = { ...r, fills: r.fills.slice(0, 1) };
      expect(Buffer.compare(Buffer.from(materializeRecipe(one, 7)), Buffer.from(materializeRecipe(one, 8)))).not.toBe(0);
      const g = importModel(a);
      let filled = 0;
      for (const f of r.fills) {
        const t = g.constants.get(f.name)!;
        expect(t.dims, f.name).toEqual(f.dims);
        filled += t.data.length;
        if (f.fill === 'uniform') {
          let lo = Infinity;
          let hi = -Infinity;
          for (const v of t.data as Float32Array) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
          expect(lo, f.name).toBeGreaterThanOrEqual(Math.fround(f.min!));
          expect(hi, f.name).toBeLessThanOrEqual(Math.fround(f.max!));
          if (/running_var|\.var$/.test(f.name)) expect(lo, f.name).toBeGreaterThan(0);
        }
      }
      expect(filled).toBe(r.filledElements);
    });
  }
  it('BatchNorm variances stay positive in the vision recipes', () => {
    for (const name of ['resnet18', 'mobilenet_v2', 'mobilenet_v3_small']) {
      const g = importModel(materializeRecipe(recipe(name), 0));
      const vars = g.nodes.filter((n) => n.opType === 'BatchNormalization').map((n) => g.constants.get(n.inputs[4])!);
      expect(vars.length).toBeGreaterThan(10);
      for (const v of vars) expect(Math.min(...(v.data as Float32Array))).toBeGreaterThan(0);
    }
  });
  it('rejects what is not a recipe', () => {
    expect(() => materializeRecipe({} as never)).toThrow(TypeError);
    const bad = { ...recipe('resnet18'), fills: [{ name: 'x', dataType: 7, dims: [2], fill: 'uniform' as const }] };
    expect(() => materializeRecipe(bad)).toThrow(/uniform fill needs float32/);
  });
});

describe('Fashion-MNIST CNN (scripts/train_fashion_mnist.py)', () => {
  const meta = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'fashion_mnist_cnn.json'), 'utf8'));
  const calib = fs.readFileSync(path.join(FIXTURES, 'fashion_mnist_calib.bin'));

  it('the model imports at opset 13 with a dynamic batch', () => {
    const g = loadModel(path.join(FIXTURES, 'fashion_mnist_cnn.onnx'));
    expect(g.opset).toBe(13);
    expect(g.inputs).toEqual([{ name: 'image', dtype: 'float32', shape: ['batch', 1, 28, 28] }]);
    expect(g.outputs[0].shape).toEqual(['batch', 10]);
    expect(meta.test_accuracy_onnxruntime).toBeGreaterThanOrEqual(0.9);
  });

  it('calibration subset: 200 images, 20 per class', async () => {
    expect(calib.length).toBe(200 * 784 + 200);
    const labels = calib.subarray(200 * 784);
    for (let c = 0; c < 10; c++) expect(labels.filter((l) => l === c).length).toBe(20);
    // The model classifies its own calibration images well (they are training images).
    const s = await session(fs.readFileSync(path.join(FIXTURES, 'fashion_mnist_cnn.onnx')));
    const x = new Float32Array(200 * 784);
    for (let i = 0; i < x.length; i++) x[i] = calib[i] / 255;
    const out = (await run(s, { image: { data: x, dims: [200, 1, 28, 28] } })).logits.data as Float32Array;
    let ok = 0;
    for (let i = 0; i < 200; i++) {
      const row = Array.from(out.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === labels[i]) ok++;
    }
    expect(ok / 200).toBeGreaterThanOrEqual(0.9);
  });

  it('reproduces the recorded float test accuracy on the 10,000 test images (dataset-fashion-mnist)', async () => {
    const dir = '/usr/share/datasets/fashion-mnist';
    expect(fs.existsSync(dir), `${dir} is missing: apt-get install dataset-fashion-mnist`).toBe(true);
    const images = zlib.gunzipSync(fs.readFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'))).subarray(16);
    const labels = zlib.gunzipSync(fs.readFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'))).subarray(8);
    expect(labels.length).toBe(10000);
    const s = await session(fs.readFileSync(path.join(FIXTURES, 'fashion_mnist_cnn.onnx')), true);
    let ok = 0;
    for (let b = 0; b < 10000; b += 1000) {
      const x = new Float32Array(1000 * 784);
      for (let i = 0; i < x.length; i++) x[i] = images[b * 784 + i] / 255;
      const out = (await run(s, { image: { data: x, dims: [1000, 1, 28, 28] } })).logits.data as Float32Array;
      for (let i = 0; i < 1000; i++) {
        let best = 0;
        for (let k = 1; k < 10; k++) if (out[i * 10 + k] > out[i * 10 + best]) best = k;
        if (best === labels[b + i]) ok++;
      }
    }
    expect(ok / 10000).toBe(meta.test_accuracy_onnxruntime);
  });

  it('the recipe skeletons are valid ONNX protobuf without large tensors', () => {
    for (const name of ['resnet18', 'bert_tiny']) {
      const r = recipe(name);
      const m = ModelProto.decode(Buffer.from(r.skeleton, 'base64')) as unknown as { graph: { initializer: { dims: unknown[] }[] } };
      for (const t of m.graph.initializer) expect(t.dims.map(Number).reduce((a, b) => a * b, 1)).toBeLessThanOrEqual(64);
    }
  });
});
