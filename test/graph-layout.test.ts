// Layout planning (channels-last inside, transposes at the edges). Checked structurally (which
// transposes remain) and semantically: the planned graph, exported with each channels-last op
// expanded back to Transpose -> op -> Transpose, gives onnxruntime bit-identical outputs (layout
// changes move data exactly; the ops themselves are unchanged).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../lib/graph/builder';
import type { Graph } from '../lib/graph/ir';
import { makeTensor } from '../lib/graph/tensor';
import { optimize, planLayout } from '../lib/graph/passes';
import { exportModel } from '../lib/onnx/export';
import { importModel } from '../lib/onnx/import';
import { REAL_MODELS, image } from './helpers/models';
import { run, session } from './helpers/ort';
import { rng } from './helpers/onnx';

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r.float(lo, hi));
}
const f32 = (dims: number[], seed: number) => makeTensor('float32', dims, rand(dims.reduce((a, b) => a * b, 1), seed, -0.5, 0.5));
const count = (g: Graph, op: string) => g.nodes.filter((n) => n.opType === op).length;

async function same(a: Graph, b: Graph, feeds: Record<string, { data: Float32Array | BigInt64Array; dims: number[] }>) {
  const ra = await run(await session(exportModel(a)), feeds);
  const rb = await run(await session(exportModel(b)), feeds);
  for (const o of a.outputs) {
    expect(rb[o.name].dims).toEqual(ra[o.name].dims);
    const x = ra[o.name].data as Float32Array;
    const y = rb[o.name].data as Float32Array;
    let diff = 0;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) diff++;
    expect(diff, `${o.name}: ${diff} of ${x.length} values differ`).toBe(0);
  }
}

describe('planLayout', () => {
  it('a residual CNN: one transpose at the input, a reshape before Flatten', async () => {
    const b = new GraphBuilder('cnn');
    const x = b.input('x', 'float32', ['n', 3, 8, 8]);
    const c1 = b.op('Relu', [b.op('Conv', [x, b.constant('w1', f32([8, 3, 3, 3], 1)), b.constant('b1', f32([8], 2))], { pads: [1, 1, 1, 1] })]);
    const c2 = b.op('Conv', [c1, b.constant('w2', f32([8, 1, 3, 3], 3))], { pads: [1, 1, 1, 1], group: 8 });
    const scaled = b.op('Mul', [c2, b.constant('s', f32([8, 1, 1], 4))]); // per-channel constant
    const sum = b.op('Relu', [b.op('Add', [scaled, c1])]);
    const cat = b.op('Concat', [sum, c1], { axis: 1 });
    const p = b.op('MaxPool', [cat], { kernel_shape: [2, 2], strides: [2, 2] });
    const gap = b.op('GlobalAveragePool', [p]);
    const y = b.op('Gemm', [b.op('Flatten', [gap]), b.constant('wf', f32([16, 5], 5))]);
    b.output(y, 'logits');
    b.output(p, 'features'); // a 4-D graph output: transposed back under its own name
    const g = b.build();
    const planned = g.clone();
    optimize(planned, { foldAffine: false }); // keep the per-channel Mul: it is what this test lays out
    const rep = planLayout(planned);
    expect(rep.spatial).toBe(4); // FusedConv, Conv, MaxPool, GlobalAveragePool
    expect(rep.agnostic).toBe(4); // Mul, Add, Relu, Concat
    expect(count(planned, 'Transpose')).toBe(2); // input x, output 'features'
    expect(rep.reshapes).toBe(1); // [n, 1, 1, 16] -> [n, 16, 1, 1] before Flatten
    expect(planned.nodes.find((n) => n.opType === 'Concat')!.attrs.axis).toBe(3);
    expect(planned.info('features').shape).toEqual(['n', 16, 4, 4]);
    const feeds = { x: { data: rand(2 * 3 * 64, 9), dims: [2, 3, 8, 8] } };
    await same(g, planned, feeds);
  });

  it('ops that depend on axis order read an NCHW copy made once', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const c = b.op('Conv', [x, b.constant('w', f32([4, 2, 1, 1], 6))]);
    b.output(b.op('Softmax', [c], { axis: 1 }), 'a');
    b.output(b.op('ReduceMean', [c, b.int64('ax', [1])]), 'm');
    const g = b.build();
    const planned = g.clone();
    planLayout(planned);
    expect(count(planned, 'Transpose')).toBe(2); // x -> NHWC, conv output -> NCHW (shared)
    await same(g, planned, { x: { data: rand(32, 3), dims: [1, 2, 4, 4] } });
  });
});

describe('planLayout on real models (after optimize)', () => {
  // Transposes left in each model, and why.
  const expected: Record<string, { transposes: number; why: string }> = {
    'paddleocr-cls': { transposes: 1, why: 'input only (the head is GlobalAveragePool -> Reshape: a reshape)' },
    'paddleocr-det': { transposes: 2, why: 'input and output (the output map moves only a size-1 dim, but its H and W are symbolic, so no static Reshape can express it)' },
    resnet18: { transposes: 1, why: 'input only' },
    mobilenet_v2: { transposes: 1, why: 'input only' },
    mobilenet_v3_small: { transposes: 1, why: 'input only' },
    fashion_mnist_cnn: { transposes: 0, why: 'none (the 1-channel input moves a size-1 dim: a reshape)' },
  };
  for (const m of REAL_MODELS.filter((r) => r.name in expected))
    it(`${m.name}: ${expected[m.name].why}`, async () => {
      const g = importModel(m.bytes(), { baseDir: m.file ? path.dirname(m.file) : undefined });
      optimize(g);
      const planned = g.clone();
      const rep = planLayout(planned);
      expect(rep.transposes).toBe(expected[m.name].transposes);
      expect(planned.nodes.some((n) => n.opType === 'Conv' || n.opType === 'FusedConv')).toBe(false);
      console.log(`${m.name}: ${JSON.stringify(rep)}`);
      await same(g, planned, m.feeds[0]);
    });

  it('paddleocr-rec: the transformer part stays NCHW-free; transposes only where the graph itself reshapes', async () => {
    const m = REAL_MODELS.find((r) => r.name === 'paddleocr-rec')!;
    const g = importModel(m.bytes(), { baseDir: path.dirname(m.file!) });
    optimize(g);
    const planned = g.clone();
    const rep = planLayout(planned);
    console.log(`paddleocr-rec: ${JSON.stringify(rep)}`);
    // Input, and the two places the network leaves the spatial domain for its sequence head
    // (Reshape/Transpose of the feature map) and comes back (the skip connection concatenated
    // with the convolution output).
    expect(rep.transposes).toBeLessThanOrEqual(4);
    await same(g, planned, { x: image([1, 3, 48, 160], 3) });
  });
});
