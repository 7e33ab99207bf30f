// Graph passes: structure (what is folded, fused, removed) and semantics (the optimised graph,
// exported to standard ONNX, gives onnxruntime the same outputs as the original model).
//
// Exactness: Identity/Dropout removal, constant folding (exact ops only) and activation fusion
// (exported back as the same two ops) must give bit-identical outputs. BatchNormalization folding
// changes float rounding: W' = W * s is rounded to float32 once per weight (relative error up to
// 2^-24 each) and the conv output is no longer rounded before the affine step, so outputs differ
// by a few float32 ulps per layer, compounding through depth. Bound used: relative to the output's
// largest magnitude, 1e-5 (about 170 ulps of the largest value). The largest difference measured
// on the real models below is 1.5e-6 (PaddleOCR recognizer, ResNet-18), so the bound has a 7x
// margin and is still 10x tighter than the 1e-4 the engine must meet end to end.
// Layer-norm recognition changes rounding the same way: onnxruntime's LayerNormalization computes
// the variance in one pass as E[x^2] - E[x]^2 (the decomposed graph: mean of squared deviations),
// and divides once instead of Sub/Div on rounded intermediates; the same bound applies (measured:
// 5e-7 on the BERT-style encoder, 1.4e-6 on the PaddleOCR recognizer together with its BN folds).
// Outputs whose magnitude stays below 1 (softmax / sigmoid probabilities) are compared with the
// same bound taken as absolute: onnxruntime's logistic and exp approximations are accurate to
// about 1e-7 absolute, not relative, near 0, so a relative measure there compares approximation
// noise (the PaddleOCR detector's map on random input is ~1e-7 everywhere).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../lib/graph/builder';
import { Graph } from '../lib/graph/ir';
import { makeTensor } from '../lib/graph/tensor';
import { eliminateDeadCode, foldBatchNorm, foldConstants, foldConvAffine, fuseActivations, fuseHardSwish, fuseLayerNorm, fuseResidualAdd, optimize, removeIdentity } from '../lib/graph/passes';
import { InferenceSession } from '../lib/session';
import { Tensor } from '../lib/tensor';
import { exportModel } from '../lib/onnx/export';
import { importModel } from '../lib/onnx/import';
import { REAL_MODELS } from './helpers/models';
import { relError, run, session } from './helpers/ort';
import { rng } from './helpers/onnx';

const BN_TOLERANCE = 1e-5;

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.float(lo, hi);
  return a;
}
const f32 = (dims: number[], seed: number, lo = -1, hi = 1) => makeTensor('float32', dims, rand(dims.reduce((a, b) => a * b, 1), seed, lo, hi));

async function outputs(g: Graph, feeds: Record<string, { data: Float32Array; dims: number[] }>) {
  const s = await session(exportModel(g));
  const r = await run(s, feeds);
  return Object.fromEntries(g.outputs.map((o) => [o.name, Array.from(r[o.name].data as Float32Array)]));
}

function conv(b: GraphBuilder, x: string, cin: number, cout: number, seed: number, attrs: Record<string, number | number[]> = {}, bias = true): string {
  const group = (attrs.group as number | undefined) ?? 1;
  const w = b.constant(`w${seed}`, f32([cout, cin / group, 3, 3], seed, -0.3, 0.3));
  const ins = [x, w];
  if (bias) ins.push(b.constant(`b${seed}`, f32([cout], seed + 1, -0.1, 0.1)));
  return b.op('Conv', ins, { pads: [1, 1, 1, 1], ...attrs });
}

function bn(b: GraphBuilder, x: string, c: number, seed: number): string {
  return b.op('BatchNormalization', [
    x,
    b.constant(`s${seed}`, f32([c], seed, 0.5, 1.5)),
    b.constant(`be${seed}`, f32([c], seed + 1, -0.2, 0.2)),
    b.constant(`m${seed}`, f32([c], seed + 2, -0.2, 0.2)),
    b.constant(`v${seed}`, f32([c], seed + 3, 0.5, 1.5)),
  ], { epsilon: 1e-3 });
}

describe('cleanup', () => {
  it('removes Identity and Dropout, keeps graph outputs named', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n', 4]);
    const i1 = b.op('Identity', [x]);
    const r = b.op('Relu', [i1]);
    const [d] = b.opN('Dropout', [r], {}, { numOutputs: 1 });
    const i2 = b.op('Identity', [d], {}, { outputs: ['y'] });
    b.output(i2);
    const g = b.build();
    const before = await outputs(g, { x: { data: rand(8, 1), dims: [2, 4] } });
    expect(removeIdentity(g)).toBe(3);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Relu']);
    expect(g.nodes[0].inputs).toEqual(['x']);
    expect(g.nodes[0].outputs).toEqual(['y']);
    expect(await outputs(g, { x: { data: rand(8, 1), dims: [2, 4] } })).toEqual(before);
  });

  it('keeps an Identity from a graph input to a graph output; keeps a Dropout whose mask is read', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [4]);
    b.output(b.op('Identity', [x], {}, { outputs: ['y'] }));
    const [, mask] = b.opN('Dropout', [x], {}, { numOutputs: 2 });
    b.output(b.op('Not', [mask]));
    const g = b.build();
    expect(removeIdentity(g)).toBe(0);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Identity', 'Dropout', 'Not']);
  });

  it('dead-code elimination drops unused nodes, constants and trailing outputs', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 2, 6, 6]);
    b.op('Relu', [b.op('Exp', [x])]);
    const [y] = b.opN('MaxPool', [x], { kernel_shape: [2, 2] }, { numOutputs: 2 });
    b.constant('unused', f32([3], 1));
    b.output(y);
    const g = b.build();
    expect(eliminateDeadCode(g)).toBe(2);
    expect(g.nodes.map((n) => n.opType)).toEqual(['MaxPool']);
    expect(g.nodes[0].outputs.length).toBe(1);
    expect(g.constants.has('unused')).toBe(false);
  });
});

describe('constant folding', () => {
  it('folds Shape/Gather/Unsqueeze/Concat chains of static shapes into a constant Reshape target', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3, 4]);
    const s = b.op('Shape', [x]);
    const d0 = b.op('Gather', [s, b.constant('i0', makeTensor('int64', [], [0n as unknown as number]))]);
    const u = b.op('Unsqueeze', [d0, b.int64('ax', [0])]);
    const tgt = b.op('Concat', [u, b.int64('m1', [-1])], { axis: 0 });
    b.output(b.op('Reshape', [x, tgt], {}, { outputs: ['y'] }));
    const g = b.build();
    const feeds = { x: { data: rand(24, 2), dims: [2, 3, 4] } };
    const before = await outputs(g, feeds);
    expect(foldConstants(g)).toBe(4);
    eliminateDeadCode(g);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Reshape']);
    expect(Array.from(g.constants.get(g.nodes[0].inputs[1])!.data as BigInt64Array)).toEqual([2n, -1n]);
    expect(await outputs(g, feeds)).toEqual(before);
  });

  it('folds symbolic-shape chains only as far as they are known', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['batch', 3, 4]);
    const s = b.op('Shape', [x]);
    const tail = b.op('Slice', [s, b.int64('st', [1]), b.int64('en', [3])]);
    const head = b.op('Slice', [s, b.int64('st0', [0]), b.int64('en0', [1])]);
    b.output(b.op('Add', [b.op('Cast', [tail], { to: 1 }), b.constant('one', f32([2], 3))]), 'tail');
    b.output(b.op('Cast', [head], { to: 1 }), 'head');
    const g = b.build();
    foldConstants(g);
    eliminateDeadCode(g);
    // [3, 4] is known, so the tail chain is a constant; the batch dim is not.
    expect(g.nodes.filter((n) => n.opType === 'Shape').length).toBe(1);
    expect(g.constants.has('tail')).toBe(true);
  });

  it('folds exact float arithmetic bit-exactly and leaves transcendental ops to the engine', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [5]);
    const a = b.constant('a', f32([5], 4, -10, 10));
    const c = b.constant('c', f32([5], 5, -10, 10));
    const sum = b.op('Div', [b.op('Mul', [b.op('Add', [a, c]), c]), b.op('Sqrt', [b.op('Abs', [a])])]);
    const e = b.op('Exp', [a]);
    b.output(b.op('Add', [b.op('Add', [x, sum]), e]), 'y');
    const g = b.build();
    const feeds = { x: { data: rand(5, 6), dims: [5] } };
    const before = await outputs(g, feeds);
    expect(foldConstants(g)).toBe(5);
    eliminateDeadCode(g);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Exp', 'Add', 'Add']);
    expect(await outputs(g, feeds)).toEqual(before);
  });
});

describe('BatchNormalization folding', () => {
  const cases: [string, (b: GraphBuilder, x: string) => string, number[]][] = [
    ['Conv with bias', (b, x) => bn(b, conv(b, x, 4, 8, 10), 8, 20), [2, 4, 7, 7]],
    ['Conv without bias, strided', (b, x) => bn(b, conv(b, x, 4, 6, 11, { strides: [2, 2] }, false), 6, 21), [1, 4, 9, 8]],
    ['grouped / depthwise Conv', (b, x) => bn(b, conv(b, conv(b, x, 4, 8, 12, { group: 2 }), 8, 8, 13, { group: 8 }), 8, 22), [1, 4, 6, 6]],
    [
      'ConvTranspose (group 2)',
      (b, x) => bn(b, b.op('ConvTranspose', [x, b.constant('wt', f32([4, 3, 3, 3], 14, -0.3, 0.3)), b.constant('bt', f32([6], 15))], { group: 2, strides: [2, 2] }), 6, 23),
      [1, 4, 5, 5],
    ],
    [
      'Gemm (transB, C)',
      (b, x) => bn(b, b.op('Gemm', [b.op('Flatten', [x]), b.constant('wg', f32([5, 36], 16, -0.3, 0.3)), b.constant('cg', f32([5], 17))], { transB: 1, beta: 0.5 }), 5, 24),
      [3, 4, 3, 3],
    ],
    ['Gemm (no C)', (b, x) => bn(b, b.op('Gemm', [b.op('Flatten', [x]), b.constant('wg2', f32([36, 7], 18, -0.3, 0.3))]), 7, 25), [3, 4, 3, 3]],
  ];
  for (const [name, build, dims] of cases)
    it(name, async () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', 'float32', dims);
      b.output(build(b, x), 'y');
      const g = b.build();
      const feeds = { x: { data: rand(dims.reduce((a, c) => a * c, 1), 7), dims } };
      const before = await outputs(g, feeds);
      const nbn = g.nodes.filter((n) => n.opType === 'BatchNormalization').length;
      expect(foldBatchNorm(g)).toBe(nbn);
      eliminateDeadCode(g);
      expect(g.nodes.some((n) => n.opType === 'BatchNormalization')).toBe(false);
      g.validate();
      const after = await outputs(g, feeds);
      const e = relError(after.y, before.y);
      expect(e.rel).toBeLessThan(BN_TOLERANCE);
    });

  it('leaves a BatchNormalization whose input has other readers, or is not a conv', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 4, 5, 5]);
    const c = conv(b, x, 4, 4, 30);
    b.output(bn(b, c, 4, 31), 'y');
    b.output(b.op('Relu', [c]), 'z');
    b.output(bn(b, x, 4, 32), 'w');
    const g = b.build();
    expect(foldBatchNorm(g)).toBe(0);
  });
});

describe('per-channel affine folding into Conv', () => {
  const k = (name: string, dims: number[], seed: number, lo = 0.5, hi = 1.5) => (b: GraphBuilder) => b.constant(name, f32(dims, seed, lo, hi));
  const cases: [string, (b: GraphBuilder, x: string) => string, number][] = [
    ['Mul by a scalar, Add of a scalar (PaddleOCR learnable affine)', (b, x) => b.op('Add', [b.op('Mul', [k('s1', [1], 40)(b), conv(b, x, 4, 8, 41)]), k('a1', [1], 42, -1, 1)(b)]), 2],
    ['Mul [C,1,1], Sub [1,C,1,1], no bias', (b, x) => b.op('Sub', [b.op('Mul', [conv(b, x, 4, 6, 43, {}, false), k('s2', [6, 1, 1], 44)(b)]), k('a2', [1, 6, 1, 1], 45, -1, 1)(b)]), 2],
    ['Div by [C,1,1] after a depthwise conv', (b, x) => b.op('Div', [conv(b, x, 4, 4, 46, { group: 4 }), k('d3', [4, 1, 1], 47)(b)]), 1],
    ['Add [C,1,1] on the left', (b, x) => b.op('Add', [k('a4', [8, 1, 1], 48, -1, 1)(b), conv(b, x, 4, 8, 49)]), 1],
  ];
  for (const [name, build, count] of cases)
    it(name, async () => {
      const dims = [2, 4, 6, 5];
      const b = new GraphBuilder('g');
      const x = b.input('x', 'float32', dims);
      b.output(build(b, x), 'y');
      const g = b.build();
      const feeds = { x: { data: rand(dims.reduce((a, c) => a * c, 1), 8), dims } };
      const before = await outputs(g, feeds);
      expect(foldConvAffine(g)).toBe(count);
      eliminateDeadCode(g);
      expect(g.nodes.map((n) => n.opType)).toEqual(['Conv']);
      g.validate();
      const after = await outputs(g, feeds);
      // Folded weights round once in float32, like BatchNorm folding.
      expect(relError(after.y, before.y).rel).toBeLessThan(BN_TOLERANCE);
    });

  it('leaves constants that are not per output channel, a conv output with other readers, and c - conv(x)', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 4, 5, 5]);
    b.output(b.op('Mul', [conv(b, x, 4, 4, 50), b.constant('sp', f32([1, 1, 5], 51))]), 'spatial'); // along W
    b.output(b.op('Mul', [conv(b, x, 4, 4, 52), b.constant('big', f32([2, 4, 1, 1], 53))]), 'batch'); // raises N
    const c = conv(b, x, 4, 4, 54);
    b.output(b.op('Add', [c, b.constant('a', f32([1], 55))]), 'shared');
    b.output(c, 'c');
    b.output(b.op('Sub', [b.constant('l', f32([1], 56)), conv(b, x, 4, 4, 57)]), 'left');
    const g = b.build();
    expect(foldConvAffine(g)).toBe(0);
  });
});

describe('activation fusion', () => {
  const acts: [string, (b: GraphBuilder, y: string) => string, string, number[]][] = [
    ['Relu', (b, y) => b.op('Relu', [y]), 'Relu', []],
    ['Clip [0, 6]', (b, y) => b.op('Clip', [y, b.constant('lo', makeTensor('float32', [], [0])), b.constant('hi', makeTensor('float32', [], [6]))]), 'Clip', [0, 6]],
    ['Clip max only', (b, y) => b.op('Clip', [y, '', b.constant('hi', makeTensor('float32', [], [0.25]))]), 'Clip', [-Infinity, 0.25]],
    ['LeakyRelu', (b, y) => b.op('LeakyRelu', [y], { alpha: 0.1 }), 'LeakyRelu', [Math.fround(0.1)]],
    ['HardSigmoid', (b, y) => b.op('HardSigmoid', [y], { alpha: 0.25, beta: 0.4 }), 'HardSigmoid', [0.25, Math.fround(0.4)]],
    ['HardSwish', (b, y) => b.op('HardSwish', [y]), 'HardSwish', []],
  ];
  for (const [name, act, kind, params] of acts)
    for (const op of ['Conv', 'Gemm'])
      it(`${op} + ${name}`, async () => {
        const b = new GraphBuilder('g');
        const dims = op === 'Conv' ? [2, 3, 6, 6] : [4, 12];
        const x = b.input('x', 'float32', dims);
        const y = op === 'Conv' ? conv(b, x, 3, 5, 40) : b.op('Gemm', [x, b.constant('w', f32([12, 6], 41, -2, 2)), b.constant('c', f32([6], 42))]);
        b.output(act(b, y), 'out');
        const g = b.build();
        const feeds = { x: { data: rand(dims.reduce((a, c) => a * c, 1), 43, -3, 3), dims } };
        const before = await outputs(g, feeds);
        expect(fuseActivations(g)).toBe(1);
        eliminateDeadCode(g);
        expect(g.nodes.length).toBe(1);
        expect(g.nodes[0]).toMatchObject({ domain: 'qint8', opType: `Fused${op}`, attrs: { activation: kind } });
        expect((g.nodes[0].attrs.activation_params as number[]).map(Math.fround)).toEqual(params.map(Math.fround));
        expect(g.nodes[0].outputs).toEqual(['out']);
        expect(await outputs(g, feeds)).toEqual(before); // exported as the same two ops: bit-exact
      });

  it('does not fuse when the conv output has another reader or is a graph output', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 3, 4, 4]);
    const c1 = conv(b, x, 3, 3, 50);
    b.output(b.op('Relu', [c1]), 'a');
    b.output(b.op('Sigmoid', [c1]), 'b');
    const c2 = conv(b, x, 3, 3, 52);
    b.output(c2);
    b.output(b.op('Relu', [c2]), 'c');
    const g = b.build();
    expect(fuseActivations(g)).toBe(0);
  });
});

describe('residual Add fusion', () => {
  // x -> Conv a -> Relu -> Conv b; Add(Conv b, x) [-> act]: the Add (and act) fold into Conv b,
  // which takes x as its Sum input. Exported (Conv, Add, act) it is the same graph for
  // onnxruntime, and qint8's fused run equals its unfused run (graphOptimizationLevel
  // 'disabled': Conv, Add and the activation as separate ops) bit for bit.
  const build = (act: string | undefined, bias: boolean, swap: boolean) => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['N', 8, 6, 7]);
    const h = b.op('Relu', [conv(b, x, 8, 8, 60)]);
    const y = conv(b, h, 8, 8, 62, {}, bias);
    const s = b.op('Add', swap ? [x, y] : [y, x]);
    b.output(act ? b.op(act, [s]) : s, 'out');
    return b.build();
  };
  for (const [act, bias, swap] of [['Relu', true, false], ['Relu', false, true], [undefined, true, true], ['HardSwish', true, false]] as const)
    it(`Conv + Add${act ? ` + ${act}` : ''}${bias ? '' : ' (no bias)'}${swap ? ' (residual first)' : ''}`, async () => {
      const g = build(act, bias, swap);
      const dims = [2, 8, 6, 7];
      const data = rand(2 * 8 * 6 * 7, 64, -2, 2);
      const feeds = { x: { data, dims } };
      const before = await outputs(g, feeds);
      const unfused = await InferenceSession.create(build(act, bias, swap), { graphOptimizationLevel: 'disabled' });
      const ref = (await unfused.run({ x: new Tensor('float32', data, dims) })).out.data as Float32Array;
      expect(fuseResidualAdd(g)).toBe(1);
      eliminateDeadCode(g);
      const fused = g.nodes.find((n) => n.opType === 'FusedConv')!;
      expect(fused).toMatchObject({ domain: 'qint8', attrs: { activation: act ?? 'None' }, outputs: ['out'] });
      expect(fused.inputs).toEqual([expect.any(String), 'w62', bias ? 'b62' : '', 'x']);
      expect(g.nodes.some((n) => n.opType === 'Add')).toBe(false);
      expect(await outputs(g, feeds)).toEqual(before); // exported as Conv, Add, act: bit-exact
      const s = await InferenceSession.create(build(act, bias, swap));
      const got = (await s.run({ x: new Tensor('float32', data, dims) })).out.data as Float32Array;
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(ref.buffer, ref.byteOffset, ref.byteLength))).toBe(true);
      // and onnxruntime agrees to float rounding (its Conv accumulates in another order)
      expect(relError(Float32Array.from(before.out), got).rel).toBeLessThan(1e-5);
    });

  it('does not fuse a broadcasting Add, a conv with its own activation or another reader, or a graph-output conv', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 8, 4, 4]);
    b.output(b.op('Add', [conv(b, x, 8, 8, 70), b.constant('k', f32([1, 8, 1, 1], 72))]), 'a'); // broadcast constant
    b.output(b.op('Add', [conv(b, x, 8, 8, 74), b.input('z', 'float32', [1, 1, 4, 4])]), 'b'); // broadcast input
    const c3 = conv(b, x, 8, 8, 76);
    b.output(b.op('Add', [c3, x]), 'c');
    b.output(b.op('Sigmoid', [c3]), 'd'); // second reader
    const c4 = conv(b, x, 8, 8, 78);
    b.output(b.op('Add', [c4, x]), 'f');
    b.output(c4); // graph output
    const g = b.build();
    expect(fuseResidualAdd(g)).toBe(0);
  });

  it('fuses when the conv has its own activation only after the Add (Relu(Conv) + x is left alone)', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 8, 4, 4]);
    b.output(b.op('Add', [b.op('Relu', [conv(b, x, 8, 8, 80)]), x]), 'a');
    const g = b.build();
    expect(fuseResidualAdd(g)).toBe(0);
    expect(fuseActivations(g)).toBe(1);
  });
});

describe('layer-norm recognition', () => {
  function decomposed(b: GraphBuilder, x: string, c: number, withAffine: boolean, eps = 1e-5): string {
    const axes = b.int64(`ax${c}`, [-1]);
    const mean = b.op('ReduceMean', [x, axes]);
    const d = b.op('Sub', [x, mean]);
    const v = b.op('ReduceMean', [b.op('Pow', [d, b.constant(`two${c}`, makeTensor('float32', [], [2]))]), axes]);
    const n = b.op('Div', [d, b.op('Sqrt', [b.op('Add', [v, b.constant(`eps${c}`, makeTensor('float32', [], [eps]))])])]);
    if (!withAffine) return n;
    return b.op('Add', [b.op('Mul', [n, b.constant(`g${c}`, f32([c], 60, 0.5, 1.5))]), b.constant(`b${c}`, f32([c], 61))]);
  }
  for (const affine of [true, false])
    it(`ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div${affine ? '/Mul/Add' : ''} -> LayerNormalization`, async () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', 'float32', ['n', 'seq', 16]);
      b.output(decomposed(b, x, 16, affine), 'y');
      const g = b.build();
      const feeds = { x: { data: rand(2 * 5 * 16, 62, -2, 3), dims: [2, 5, 16] } };
      const before = await outputs(g, feeds);
      expect(fuseLayerNorm(g)).toBe(1);
      eliminateDeadCode(g);
      expect(g.nodes.map((n) => n.opType)).toEqual(['LayerNormalization']);
      expect(g.nodes[0].attrs).toEqual({ axis: 2, epsilon: Math.fround(1e-5) });
      expect(g.nodes[0].inputs.length).toBe(affine ? 3 : 2);
      const after = await outputs(g, feeds);
      expect(relError(after.y, before.y).rel).toBeLessThan(BN_TOLERANCE);
    });

  it('leaves near-misses alone (non-trailing axes, exponent 3, an extra reader, no constant epsilon)', () => {
    const variants: ((b: GraphBuilder, x: string) => string)[] = [
      (b, x) => {
        const ax = b.int64('ax', [1]);
        const d = b.op('Sub', [x, b.op('ReduceMean', [x, ax])]);
        return b.op('Div', [d, b.op('Sqrt', [b.op('Add', [b.op('ReduceMean', [b.op('Pow', [d, b.constant('two', makeTensor('float32', [], [2]))]), ax]), b.constant('e', makeTensor('float32', [], [1e-5]))])])]);
      },
      (b, x) => {
        const ax = b.int64('ax', [-1]);
        const d = b.op('Sub', [x, b.op('ReduceMean', [x, ax])]);
        return b.op('Div', [d, b.op('Sqrt', [b.op('Add', [b.op('ReduceMean', [b.op('Pow', [d, b.constant('three', makeTensor('float32', [], [3]))]), ax]), b.constant('e', makeTensor('float32', [], [1e-5]))])])]);
      },
      (b, x) => {
        const ax = b.int64('ax', [-1]);
        const d = b.op('Sub', [x, b.op('ReduceMean', [x, ax])]);
        b.output(b.op('Neg', [d]), 'extra');
        return b.op('Div', [d, b.op('Sqrt', [b.op('Add', [b.op('ReduceMean', [b.op('Pow', [d, b.constant('two', makeTensor('float32', [], [2]))]), ax]), b.constant('e', makeTensor('float32', [], [1e-5]))])])]);
      },
      (b, x) => {
        const ax = b.int64('ax', [-1]);
        const d = b.op('Sub', [x, b.op('ReduceMean', [x, ax])]);
        const v = b.op('ReduceMean', [b.op('Pow', [d, b.constant('two', makeTensor('float32', [], [2]))]), ax]);
        return b.op('Div', [d, b.op('Sqrt', [b.op('Add', [v, v])])]); // no constant epsilon
      },
    ];
    for (const v of variants) {
      const b = new GraphBuilder('g');
      const x = b.input('x', 'float32', [3, 4, 4]);
      b.output(v(b, x), 'y');
      expect(fuseLayerNorm(b.build())).toBe(0);
    }
  });
});

describe('HardSwish recognition', () => {
  const k = (b: GraphBuilder, name: string, v: number) => b.constant(name, makeTensor('float32', [], [v]));
  const relu6 = (b: GraphBuilder, x: string, swap = false) =>
    b.op('Clip', [b.op('Add', swap ? [k(b, 'three', 3), x] : [x, k(b, 'three', 3)]), k(b, 'zero', 0), k(b, 'six', 6)]);
  const forms: [string, (b: GraphBuilder, x: string) => string][] = [
    ['Div(Mul(x, relu6(x + 3)), 6)', (b, x) => b.op('Div', [b.op('Mul', [x, relu6(b, x)]), k(b, 'sixd', 6)])],
    ['Mul(x, Div(relu6(3 + x), 6))', (b, x) => b.op('Mul', [x, b.op('Div', [relu6(b, x, true), k(b, 'sixd', 6)])])],
    ['Mul(Mul(relu6(x + 3), x), 1/6)', (b, x) => b.op('Mul', [b.op('Mul', [relu6(b, x), x]), k(b, 'sixth', 1 / 6)])],
    ['Mul(Mul(relu6(x + 3), 1/6), x)', (b, x) => b.op('Mul', [b.op('Mul', [relu6(b, x), k(b, 'sixth', 1 / 6)]), x])],
    ['Mul(x, HardSigmoid(x, 1/6, 0.5))', (b, x) => b.op('Mul', [x, b.op('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 })])],
  ];
  for (const [name, form] of forms)
    it(`${name} -> HardSwish`, async () => {
      const b = new GraphBuilder('g');
      const x = b.input('x', 'float32', [2, 3, 4, 5]);
      b.output(form(b, x), 'y');
      const g = b.build();
      const feeds = { x: { data: rand(120, 63, -5, 5), dims: [2, 3, 4, 5] } };
      const before = await outputs(g, feeds);
      expect(fuseHardSwish(g)).toBe(1);
      eliminateDeadCode(g);
      expect(g.nodes.map((n) => n.opType)).toEqual(['HardSwish']);
      const after = await outputs(g, feeds);
      // One rounding sequence instead of four: a few float32 ulps.
      expect(relError(after.y, before.y).rel).toBeLessThan(BN_TOLERANCE);
    });

  it('leaves near-misses alone (x + 2, clip to 5, another x, an extra reader, HardSigmoid alpha 0.2)', () => {
    const variants: ((b: GraphBuilder, x: string) => string)[] = [
      (b, x) => b.op('Div', [b.op('Mul', [x, b.op('Clip', [b.op('Add', [x, k(b, 'two', 2)]), k(b, 'zero', 0), k(b, 'six', 6)])]), k(b, 'sixd', 6)]),
      (b, x) => b.op('Div', [b.op('Mul', [x, b.op('Clip', [b.op('Add', [x, k(b, 'three', 3)]), k(b, 'zero', 0), k(b, 'five', 5)])]), k(b, 'sixd', 6)]),
      (b, x) => b.op('Div', [b.op('Mul', [b.op('Neg', [x]), relu6(b, x)]), k(b, 'sixd', 6)]),
      (b, x) => {
        const r = relu6(b, x);
        b.output(b.op('Neg', [r]), 'extra');
        return b.op('Div', [b.op('Mul', [x, r]), k(b, 'sixd', 6)]);
      },
      (b, x) => b.op('Mul', [x, b.op('HardSigmoid', [x], { alpha: 0.2, beta: 0.5 })]),
    ];
    for (const v of variants) {
      const b = new GraphBuilder('g');
      const x = b.input('x', 'float32', [3, 4]);
      b.output(v(b, x), 'y');
      expect(fuseHardSwish(b.build())).toBe(0);
    }
  });
});

describe('real models: optimize() then export; onnxruntime gives the same outputs', () => {
  // Counts on these exact models (a change in them is a change in what the passes do).
  const expected: Record<string, { bn: number; af: number; fused: number; ln: number; hs: number; res?: number }> = {
    'paddleocr-cls': { bn: 35, af: 0, fused: 42, ln: 0, hs: 18, res: 7 }, // every HardSwish follows a conv
    // PP-OCRv4: a learnable scale and bias (Mul, Add) after 28 convs; folded, 28 more activations follow a conv
    'paddleocr-rec': { bn: 6, af: 56, fused: 32, ln: 5, hs: 28 },
    'paddleocr-det': { bn: 2, af: 56, fused: 45, ln: 0, hs: 24 },
    resnet18: { bn: 20, af: 0, fused: 9, ln: 0, hs: 0, res: 8 }, // the other 8 Relu follow a residual Add (fused with it)
    mobilenet_v2: { bn: 52, af: 0, fused: 35, ln: 0, hs: 0, res: 10 }, // residual Adds without activation
    mobilenet_v3_small: { bn: 34, af: 0, fused: 42, ln: 0, hs: 0, res: 6 }, // torchvision exports HardSwish itself
    bert_tiny: { bn: 0, af: 0, fused: 0, ln: 5, hs: 0 }, // embeddings + 2 per layer
    fashion_mnist_cnn: { bn: 0, af: 0, fused: 4, ln: 0, hs: 0 }, // the exporter already folded BN into the convs
  };
  for (const m of REAL_MODELS)
    it(m.name, async () => {
      const opts = { baseDir: m.file ? path.dirname(m.file) : undefined };
      const orig = importModel(m.bytes(), opts);
      const g = importModel(m.bytes(), opts);
      const before = g.nodes.length;
      const rep = optimize(g);
      expect(rep.batchNorm).toBe(expected[m.name].bn);
      expect(rep.affine).toBe(expected[m.name].af);
      expect(rep.fused).toBe(expected[m.name].fused);
      expect(rep.layerNorm).toBe(expected[m.name].ln);
      expect(rep.hardSwish).toBe(expected[m.name].hs);
      expect(rep.residual).toBe(expected[m.name].res ?? 0);
      expect(g.nodes.length).toBeLessThan(before);
      expect(g.nodes.some((n) => n.opType === 'Identity' || n.opType === 'Dropout')).toBe(false);
      // Probes: the graph outputs, and the values feeding the last nodes (a detector's logits
      // before its Sigmoid carry the information its saturated probability map does not).
      const prod = orig.producers();
      const probes = new Set(orig.outputs.map((o) => o.name));
      for (const o of orig.outputs)
        for (const i of prod.get(o.name)?.inputs ?? []) if (i && !orig.constants.has(i) && g.producers().has(i) && orig.info(i).dtype === 'float32') probes.add(i);
      const withProbes = (x: Graph) => {
        const c = x.clone();
        for (const p of probes) if (!c.isOutput(p)) c.outputs.push({ name: p });
        return exportModel(c, { shapes: false });
      };
      const original = await session(m.bytes());
      const ref = await session(withProbes(orig));
      const opt = await session(withProbes(g));
      const worst: string[] = [];
      for (const feeds of m.feeds) {
        const a = await run(ref, feeds);
        const b = await run(opt, feeds);
        // Import + export alone is lossless: the unoptimised re-export (opset 21) gives the
        // original file's outputs bit for bit, except where onnxruntime runs a different kernel
        // for the newer op version: AveragePool-19 (generic pooling) rounds differently from
        // AveragePool-7..11 (MLAS) by a few ulps; the recognizer has one.
        const o0 = await run(original, feeds);
        for (const o of orig.outputs) {
          const e = relError(a[o.name].data as Float32Array, o0[o.name].data as Float32Array);
          if (orig.nodes.some((n) => n.opType === 'AveragePool')) expect(e.maxAbs / Math.max(e.scale, 1), `${o.name} re-export`).toBeLessThan(1e-6);
          else expect(e.maxAbs, `${o.name} re-export`).toBe(0);
        }
        for (const p of probes) {
          expect(b[p].dims).toEqual(a[p].dims);
          const e = relError(b[p].data as Float32Array, a[p].data as Float32Array);
          worst.push(`${p} ${e.rel.toExponential(2)} (max |diff| ${e.maxAbs.toExponential(2)}, scale ${e.scale.toExponential(2)})`);
          expect(e.scale).toBeGreaterThan(0);
          if (rep.batchNorm === 0 && rep.layerNorm === 0 && rep.affine === 0) expect(e.maxAbs, `${p}: nothing that rounds differently, must be exact`).toBe(0);
          else expect(e.maxAbs / Math.max(e.scale, 1), `${p} max |diff| ${e.maxAbs} at scale ${e.scale}`).toBeLessThan(BN_TOLERANCE);
        }
      }
      console.log(`${m.name}: ${before} -> ${g.nodes.length} nodes ${JSON.stringify(rep)}; ${worst.join('; ')}`);
    });
});

describe('expansion + depthwise fusion (after the layout pass)', () => {
  // x -> 1x1 Conv (+ act) -> depthwise Conv (+ act) -> out, as in MobileNetV2's blocks.
  function build(o: { act1?: string; act2?: string; bias?: boolean; stride?: number; k?: number; cexp?: number; pads?: number[] }): Graph {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n', 6, 9, 11]);
    const cexp = o.cexp ?? 20;
    const k = o.k ?? 3;
    const ins1 = [x, b.constant('w1', f32([cexp, 6, 1, 1], 91, -0.5, 0.5))];
    if (o.bias !== false) ins1.push(b.constant('b1', f32([cexp], 92, -0.1, 0.1)));
    let e = b.op('Conv', ins1, {});
    if (o.act1 === 'Clip') e = b.op('Clip', [e, b.constant('lo', makeTensor('float32', [], [0])), b.constant('hi', makeTensor('float32', [], [6]))]);
    else if (o.act1) e = b.op(o.act1, [e]);
    const ins2 = [e, b.constant('w2', f32([cexp, 1, k, k], 93, -0.5, 0.5))];
    if (o.bias !== false) ins2.push(b.constant('b2', f32([cexp], 94, -0.1, 0.1)));
    const p = o.pads ?? Array(4).fill((k - 1) >> 1);
    let d = b.op('Conv', ins2, { group: cexp, pads: p, strides: [o.stride ?? 1, o.stride ?? 1] });
    if (o.act2) d = b.op(o.act2, [d]);
    b.output(d, 'out');
    return b.build();
  }
  const cases = [
    { act1: 'Clip', act2: 'Clip' },
    { act1: 'Relu', act2: undefined, stride: 2 },
    { act1: 'HardSwish', act2: 'HardSwish', k: 5, bias: false },
    { act1: undefined, act2: 'Relu', pads: [0, 2, 1, 0] },
  ];
  it.each(cases)('fuses %o and runs it with the bits of the unfused convs, at batch 1 and 3', async (o) => {
    const fused = await InferenceSession.create(build(o), { intraOpNumThreads: 2 });
    const ops = fused.graph.nodes.map((n) => n.opType);
    expect(ops.filter((t) => t === 'NhwcExpandDepthwise')).toHaveLength(1);
    expect(ops.some((t) => t === 'NhwcConv' || t === 'NhwcFusedConv')).toBe(false);
    const plain = await InferenceSession.create(build(o), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 2 });
    for (const n of [1, 3]) {
      const x = new Tensor('float32', rand(n * 6 * 9 * 11, 95 + n, -2, 2), [n, 6, 9, 11]);
      const got = (await fused.run({ x })).out.data as Float32Array;
      const want = (await plain.run({ x })).out.data as Float32Array;
      expect(got.length).toBe(want.length);
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))).toBe(true);
      // exported, the fused node is the two convs again: onnxruntime agrees to float rounding
      const ort = await outputs(fused.graph, { x: { data: x.data as Float32Array, dims: [n, 6, 9, 11] } });
      expect(relError(Float32Array.from(ort.out), got).rel).toBeLessThan(1e-5);
    }
  });

  it('leaves a strided, grouped or padded expansion, a second reader, a graph output and a non-depthwise conv alone', async () => {
    const count = async (g: Graph) => (await InferenceSession.create(g)).graph.nodes.filter((n) => n.opType === 'NhwcExpandDepthwise').length;
    expect(await count(build({}))).toBe(1);
    const variant = (edit: (g: Graph) => void) => {
      const g = build({});
      edit(g);
      g.outputs[0].shape = undefined;
      return g;
    };
    const expand = (g: Graph) => g.nodes.find((n) => n.opType === 'Conv' && g.constants.get(n.inputs[1])!.dims[2] === 1)!;
    expect(await count(variant((g) => (expand(g).attrs.strides = [2, 2])))).toBe(0);
    expect(await count(variant((g) => (expand(g).attrs.pads = [1, 0, 0, 0])))).toBe(0);
    expect(await count(variant((g) => g.outputs.push({ name: expand(g).outputs[0], dtype: 'float32' })))).toBe(0);
    expect(await count(variant((g) => g.nodes.push({ name: 'sig', opType: 'Sigmoid', domain: '', inputs: [expand(g).outputs[0]], outputs: ['s'], attrs: {} }) && g.outputs.push({ name: 's', dtype: 'float32' })))).toBe(0);
    // a regular 3x3 conv after the expansion (weights [c, c, 3, 3], one group)
    const b = new GraphBuilder('g2');
    const x = b.input('x', 'float32', [1, 6, 9, 11]);
    const e = b.op('Conv', [x, b.constant('w1', f32([8, 6, 1, 1], 96))], {});
    b.output(b.op('Conv', [e, b.constant('w2', f32([8, 8, 3, 3], 97))], { pads: [1, 1, 1, 1] }), 'out');
    expect(await count(b.build())).toBe(0);
  });
});
