// Float32 MatMul / Gemm / qint8::FusedGemm / qint8::FusedMatMul (engine ops) against
// onnxruntime-node, on every ISA tier, with the tolerance of helpers/fp32.ts (summation order and
// FMA differ; the bound is 2 gamma_{K+1} sum|a b| scaled by the activation's Lipschitz constant).
import { describe, expect, it } from 'vitest';
import { cpuInfo, measurePeakGflops } from '../lib';
import { type OpTensor, createOp, registeredOps } from '../lib/engine/ops';
import { DataType, attrFloat, attrInt, buildModel, rng, runOrt, tensor } from './helpers/onnx';
import { type ActName, abs, checkClose, randomF32 } from './helpers/fp32';

const isas = cpuInfo().supportedIsas;
const F = DataType.FLOAT;

function f32(shape: number[], data: Float32Array): OpTensor {
  return { type: 'float32', shape, data };
}

async function ortMatMul(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[]): Promise<{ y: Float32Array; dims: number[] }> {
  const model = buildModel({
    nodes: [{ opType: 'MatMul', input: ['a', 'b'], output: ['y'] }],
    inputs: [{ name: 'a', type: F, dims: aShape }, { name: 'b', type: F, dims: bShape }],
    outputs: [{ name: 'y', type: F }],
  });
  const r = await runOrt(model, { a: { data: a, dims: aShape }, b: { data: b, dims: bShape } });
  return { y: r.y.data as Float32Array, dims: r.y.dims as number[] };
}

describe('MatMul (engine op) vs onnxruntime MatMul', () => {
  const cases: { a: number[]; b: number[]; constB: boolean }[] = [
    { a: [37, 70], b: [70, 45], constB: true },
    { a: [1, 300], b: [300, 130], constB: true },
    { a: [200, 600], b: [600, 33], constB: true },
    { a: [2, 3, 17, 24], b: [24, 40], constB: true }, // batched A, 2-D B: one GEMM
    { a: [2, 3, 17, 24], b: [3, 24, 40], constB: true }, // batch broadcast, constant batched B
    { a: [4, 1, 9, 16], b: [1, 5, 16, 12], constB: false }, // both broadcast
    { a: [6, 20, 32], b: [6, 32, 20], constB: false }, // attention-like (runtime B)
    { a: [24], b: [24, 9], constB: true }, // 1-D A
    { a: [3, 8, 24], b: [24], constB: false }, // 1-D B
    { a: [24], b: [24], constB: true }, // dot product
  ];
  cases.forEach((c, idx) => {
    it(`case ${idx}: ${JSON.stringify(c.a)} x ${JSON.stringify(c.b)}${c.constB ? ' (constant B)' : ''}`, async () => {
      const r = rng(100 + idx);
      const a = randomF32(c.a.reduce((x, y) => x * y, 1), r);
      const b = randomF32(c.b.reduce((x, y) => x * y, 1), r);
      const want = await ortMatMul(a, c.a, b, c.b);
      const S = await ortMatMul(abs(a), c.a, abs(b), c.b);
      const K = c.a[c.a.length - 1];
      for (const isa of isas) {
        const op = createOp('', 'MatMul', {}, [null, c.constB ? f32(c.b, b) : null], isa);
        const y = new Float32Array(want.y.length);
        op.run([f32(c.a, a), f32(c.b, b)], [f32(want.dims, y)]);
        expect(checkClose(y, want.y, S.y, K), isa).toBeNull();
      }
    });
  });

  it('rejects mismatched shapes with a clear error', () => {
    const op = createOp('', 'MatMul', {}, [null, null]);
    expect(() => op.run([f32([2, 3], new Float32Array(6)), f32([4, 5], new Float32Array(20))], [f32([2, 5], new Float32Array(10))])).toThrow(
      /do not multiply/,
    );
    expect(() => op.run([f32([2, 3], new Float32Array(6)), f32([3, 5], new Float32Array(15))], [f32([2, 4], new Float32Array(8))])).toThrow(
      /Y has shape \[2, 4\], expected \[2, 5\]/,
    );
    expect(() => createOp('', 'MatMul', {}, [null])).toThrow(/takes 2 inputs/);
  });
});

interface GemmCase {
  m: number; n: number; k: number; transA: 0 | 1; transB: 0 | 1; alpha: number; beta: number;
  c?: number[]; constB: boolean; constC: boolean; act?: ActName; params?: number[];
}

async function ortGemm(g: GemmCase, a: Float32Array, b: Float32Array, c: Float32Array | undefined, alpha: number, beta: number) {
  const aShape = g.transA ? [g.k, g.m] : [g.m, g.k];
  const bShape = g.transB ? [g.n, g.k] : [g.k, g.n];
  const inits = [];
  const nodes = [];
  const inputs = ['a', 'b'];
  if (c) {
    inputs.push('c');
    inits.push(tensor('c', c, g.c!));
  }
  nodes.push({
    opType: 'Gemm', input: inputs, output: [g.act ? 'g' : 'y'],
    attribute: [attrFloat('alpha', alpha), attrFloat('beta', beta), attrInt('transA', g.transA), attrInt('transB', g.transB)],
  });
  if (g.act) {
    const p = g.params ?? [];
    if (g.act === 'Clip') {
      inits.push(tensor('lo', new Float32Array([p[0]]), []), tensor('hi', new Float32Array([p[1]]), []));
      nodes.push({ opType: 'Clip', input: ['g', 'lo', 'hi'], output: ['y'] });
    } else {
      const attribute = g.act === 'LeakyRelu' ? [attrFloat('alpha', p[0])] : g.act === 'HardSigmoid' ? [attrFloat('alpha', p[0]), attrFloat('beta', p[1])] : [];
      nodes.push({ opType: g.act, input: ['g'], output: ['y'], attribute });
    }
  }
  const model = buildModel({
    nodes,
    inputs: [{ name: 'a', type: F, dims: aShape }, { name: 'b', type: F, dims: bShape }],
    outputs: [{ name: 'y', type: F }],
    initializers: inits,
    opset: 14,
  });
  const r = await runOrt(model, { a: { data: a, dims: aShape }, b: { data: b, dims: bShape } });
  return r.y.data as Float32Array;
}

describe('Gemm / FusedGemm (engine ops) vs onnxruntime Gemm (+ activation)', () => {
  const cases: GemmCase[] = [
    { m: 33, n: 70, k: 50, transA: 0, transB: 0, alpha: 1, beta: 1, c: [70], constB: true, constC: true },
    { m: 33, n: 70, k: 50, transA: 0, transB: 1, alpha: 0.5, beta: 2, c: [1, 70], constB: true, constC: false },
    { m: 20, n: 17, k: 600, transA: 1, transB: 1, alpha: -1.5, beta: 0.25, c: [20, 17], constB: false, constC: true },
    { m: 20, n: 17, k: 31, transA: 1, transB: 0, alpha: 1, beta: 1, c: [20, 1], constB: false, constC: false },
    { m: 5, n: 40, k: 64, transA: 0, transB: 1, alpha: 1, beta: 3, c: [], constB: true, constC: true },
    { m: 8, n: 1000, k: 96, transA: 0, transB: 1, alpha: 1, beta: 1, constB: true, constC: true },
    { m: 1, n: 96, k: 128, transA: 0, transB: 1, alpha: 1, beta: 1, c: [96], constB: true, constC: true, act: 'Relu' },
    { m: 13, n: 48, k: 40, transA: 0, transB: 0, alpha: 1, beta: 1, c: [48], constB: true, constC: true, act: 'Clip', params: [-0.5, 0.75] },
    { m: 13, n: 48, k: 40, transA: 0, transB: 0, alpha: 2, beta: 1, c: [13, 48], constB: true, constC: true, act: 'LeakyRelu', params: [0.1] },
    { m: 13, n: 48, k: 40, transA: 0, transB: 1, alpha: 1, beta: 1, c: [48], constB: true, constC: true, act: 'HardSigmoid', params: [0.2, 0.5] },
    { m: 13, n: 48, k: 40, transA: 0, transB: 1, alpha: 1, beta: 1, c: [48], constB: false, constC: false, act: 'HardSwish' },
  ];
  cases.forEach((g, idx) => {
    const name = `${g.act ? 'FusedGemm ' + g.act : 'Gemm'} case ${idx}: ${g.m}x${g.n}x${g.k} tA${g.transA} tB${g.transB} alpha ${g.alpha} beta ${g.beta} C ${JSON.stringify(g.c)}`;
    it(name, async () => {
      const r = rng(200 + idx);
      const a = randomF32(g.m * g.k, r);
      const b = randomF32(g.k * g.n, r);
      const c = g.c ? randomF32(g.c.reduce((x, y) => x * y, 1), r) : undefined;
      const want = await ortGemm(g, a, b, c, g.alpha, g.beta);
      const S = await ortGemm({ ...g, act: undefined }, abs(a), abs(b), c ? abs(c) : undefined, Math.abs(g.alpha), Math.abs(g.beta));
      const aShape = g.transA ? [g.k, g.m] : [g.m, g.k];
      const bShape = g.transB ? [g.n, g.k] : [g.k, g.n];
      const attrs: Record<string, number | string | number[] | { kind: 'float'; value: number }> = {
        alpha: { kind: 'float', value: g.alpha }, beta: { kind: 'float', value: g.beta }, transA: g.transA, transB: g.transB,
      };
      if (g.act) {
        attrs.activation = g.act;
        attrs.activation_params = g.params ?? [];
      }
      for (const isa of isas) {
        const op = createOp(g.act ? 'qint8' : '', g.act ? 'FusedGemm' : 'Gemm', attrs, [
          null, g.constB ? f32(bShape, b) : null, c ? (g.constC ? f32(g.c!, c) : null) : undefined,
        ], isa);
        const y = new Float32Array(g.m * g.n);
        op.run([f32(aShape, a), f32(bShape, b), c ? f32(g.c!, c) : undefined], [f32([g.m, g.n], y)]);
        expect(checkClose(y, want, S, g.k, g.act, g.params), isa).toBeNull();
      }
    });
  });

  it('FusedMatMul applies the activation', async () => {
    const r = rng(300);
    const a = randomF32(7 * 19, r), b = randomF32(19 * 23, r);
    const want = (await ortMatMul(a, [7, 19], b, [19, 23])).y.map((v) => Math.min(6, Math.max(0, v)));
    const S = (await ortMatMul(abs(a), [7, 19], abs(b), [19, 23])).y;
    for (const isa of isas) {
      const op = createOp('qint8', 'FusedMatMul', { activation: 'Clip', activation_params: [0, 6] }, [null, f32([19, 23], b)], isa);
      const y = new Float32Array(7 * 23);
      op.run([f32([7, 19], a), f32([19, 23], b)], [f32([7, 23], y)]);
      expect(checkClose(y, want, S, 19, 'Clip'), isa).toBeNull();
    }
  });

  it('rejects bad activations and shapes with clear errors', () => {
    const b = f32([4, 3], new Float32Array(12));
    expect(() => createOp('qint8', 'FusedGemm', { activation: 'Gelu' }, [null, b])).toThrow(/activation 'Gelu' is not one of/);
    expect(() => createOp('qint8', 'FusedGemm', { activation: 'Clip', activation_params: [0] }, [null, b])).toThrow(
      /Clip takes 2 activation_params, got 1/,
    );
    const op = createOp('', 'Gemm', {}, [null, b, undefined]);
    expect(() => op.run([f32([2, 5], new Float32Array(10)), b], [f32([2, 3], new Float32Array(6))])).toThrow(/do not multiply/);
    const opc = createOp('', 'Gemm', {}, [null, b, null]);
    expect(() =>
      opc.run([f32([2, 4], new Float32Array(8)), b, f32([3, 3], new Float32Array(9))], [f32([2, 3], new Float32Array(6))]),
    ).toThrow(/does not broadcast/);
  });
});


describe('registry', () => {
  it('lists the float32 compute ops', () => {
    expect(registeredOps()).toEqual(
      expect.arrayContaining([
        'MatMul', 'Gemm', 'qint8::FusedMatMul', 'qint8::FusedGemm', 'qint8::ConvNhwc', 'qint8::ConvTransposeNhwc',
        'qint8::MaxPoolNhwc', 'qint8::AveragePoolNhwc', 'qint8::GlobalAveragePoolNhwc', 'qint8::GlobalMaxPoolNhwc',
      ]),
    );
  });
});

describe('measurePeakGflops', () => {
  it('measures a positive rate on every SIMD tier and checks its arguments', () => {
    for (const isa of isas) {
      const g = measurePeakGflops(isa, 2);
      expect(g, isa).toBeGreaterThan(0);
      expect(Number.isFinite(g), isa).toBe(true);
    }
    expect(() => measurePeakGflops('nope' as never)).toThrow(TypeError);
    expect(() => measurePeakGflops(undefined, 0)).toThrow(RangeError);
  });
});
