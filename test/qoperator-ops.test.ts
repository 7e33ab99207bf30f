// QOperator ops (quantized operators of ONNX and com.microsoft) as single-op ONNX models, run on
// onnxruntime-node and on qint8's InferenceSession from the same model bytes, uint8 and int8,
// every ISA of this CPU: outputs must be identical bit for bit, except linear Resize (1 LSB,
// documented: onnxruntime truncates the interpolated value, qint8 rounds it).
//
// NCHW models of the spatial ops go through the layout pass (channels-last twins, transposes at
// the edges); they need the float engine's Transpose / Reshape and are skipped until those are
// registered (test/helpers/qop.ts: hasLayoutOps). The same kernels are also checked here directly
// on NHWC tensors (engine ops created with createOp), which needs nothing else.
import { describe, expect, it } from 'vitest';
import { createOp } from '../lib/engine/ops';
import { type ModelSpec, DataType, attrFloat, attrInt, attrInts, buildModel, firstDiff, randomS8, randomU8, rng, runOrt, tensor } from './helpers/onnx';
import { type Feeds, checkPlannedOnOrt, compareWithOrt, hasLayoutOps, isas } from './helpers/qop';

type Q = 'uint8' | 'int8';
const QT = { uint8: DataType.UINT8, int8: DataType.INT8 } as const;
const F = DataType.FLOAT;
const I32 = DataType.INT32;
const zp = (t: Q, v: number) => (t === 'uint8' ? new Uint8Array([v]) : new Int8Array([v]));
const zps = (t: Q, v: number[]) => (t === 'uint8' ? Uint8Array.from(v) : Int8Array.from(v));
const f32 = (v: number) => new Float32Array([v]);
const rand = (t: Q, n: number, r: ReturnType<typeof rng>) => (t === 'uint8' ? randomU8(n, r) : randomS8(n, r));
const numel = (d: number[]) => d.reduce((a, b) => a * b, 1);
const attrStr = (name: string, v: string) => ({ name, type: 3, s: new TextEncoder().encode(v) });
const MS = 'com.microsoft';

/** A one-node model: inputs listed in `runtime` are graph inputs, the rest initializers. */
function oneNode(
  op: { opType: string; domain?: string; attribute?: ModelSpec['nodes'][number]['attribute'] },
  ins: ({ name: string; data: Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array; dims: number[]; runtime?: boolean } | null)[],
  outs: { name: string; type: number }[],
  opset = 13,
): { model: Uint8Array; feeds: Feeds } {
  const feeds: Feeds = {};
  const spec: ModelSpec = {
    nodes: [{ ...op, input: ins.map((i) => (i ? i.name : '')), output: outs.map((o) => o.name) }],
    inputs: [],
    outputs: outs,
    initializers: [],
    opset,
    msOpset: op.domain === MS ? 1 : undefined,
  };
  for (const i of ins) {
    if (!i) continue;
    if (i.runtime) {
      const type = i.data instanceof Float32Array ? F : i.data instanceof Uint8Array ? DataType.UINT8 : i.data instanceof Int8Array ? DataType.INT8 : I32;
      spec.inputs.push({ name: i.name, type, dims: i.dims });
      feeds[i.name] = { data: i.data as Feeds[string]['data'], dims: i.dims };
    } else spec.initializers!.push(tensor(i.name, i.data, i.dims));
  }
  return { model: buildModel(spec), feeds };
}

describe('com.microsoft QLinearAdd / QLinearMul through a session', () => {
  for (const t of ['uint8', 'int8'] as const)
    for (const opType of ['QLinearAdd', 'QLinearMul'])
      it(`${opType} ${t}: broadcasting runtime operands, a constant operand, omitted C_zero_point`, async () => {
        const r = rng(opType === 'QLinearAdd' ? 5 : 6);
        const lo = t === 'uint8' ? 0 : -128;
        const a = { name: 'a', data: rand(t, 2 * 3 * 4 * 5, r), dims: [2, 3, 4, 5], runtime: true };
        const qp = (n: string, s: number, z: number) => [{ name: `${n}s`, data: f32(s), dims: [] }, { name: `${n}z`, data: zp(t, z + lo), dims: [] }];
        // runtime x runtime, broadcasting [2,3,4,5] with [3,1,5]
        const b = { name: 'b', data: rand(t, 15, r), dims: [3, 1, 5], runtime: true };
        let m = oneNode({ opType, domain: MS }, [a, ...qp('a', 0.031, 131), b, ...qp('b', 0.017, 90), ...qp('c', 0.043, 120)], [{ name: 'c', type: QT[t] }]);
        await compareWithOrt(m.model, m.feeds);
        // constant per-channel operand [1,3,1,1]
        const bc = { name: 'b', data: rand(t, 3, r), dims: [1, 3, 1, 1] };
        m = oneNode({ opType, domain: MS }, [a, ...qp('a', 0.02, 100), bc, ...qp('b', 0.05, 140), ...qp('c', 0.06, 110)], [{ name: 'c', type: QT[t] }]);
        await compareWithOrt(m.model, m.feeds);
        // C_zero_point omitted (0; onnxruntime's type inference refuses omitted inputs before the last)
        const b2 = { name: 'b', data: rand(t, 2 * 3 * 4 * 5, r), dims: [2, 3, 4, 5], runtime: true };
        m = oneNode({ opType, domain: MS }, [a, ...qp('a', 0.01, 128), b2, ...qp('b', 0.02, 128), { name: 'cs', data: f32(0.05), dims: [] }], [{ name: 'c', type: QT[t] }]);
        await compareWithOrt(m.model, m.feeds);
      });
});

describe('com.microsoft QLinearSigmoid / QLinearLeakyRelu through a session', () => {
  for (const t of ['uint8', 'int8'] as const) {
    const lo = t === 'uint8' ? 0 : -128;
    it(`QLinearSigmoid ${t}`, async () => {
      const r = rng(7);
      const m = oneNode({ opType: 'QLinearSigmoid', domain: MS }, [
        { name: 'x', data: rand(t, 2 * 8 * 5 * 5, r), dims: [2, 8, 5, 5], runtime: true },
        { name: 'xs', data: f32(0.0731), dims: [] }, { name: 'xz', data: zp(t, lo + 117), dims: [] },
        { name: 'ys', data: f32(1 / 256), dims: [] }, { name: 'yz', data: zp(t, lo), dims: [] },
      ], [{ name: 'y', type: QT[t] }]);
      await compareWithOrt(m.model, m.feeds);
    });
    it(`QLinearLeakyRelu ${t} (alpha 0.1 and the default)`, async () => {
      const r = rng(8);
      for (const attribute of [[attrFloat('alpha', 0.1)], []]) {
        const m = oneNode({ opType: 'QLinearLeakyRelu', domain: MS, attribute }, [
          { name: 'x', data: rand(t, 3 * 7 * 11, r), dims: [3, 7, 11], runtime: true },
          { name: 'xs', data: f32(0.05), dims: [] }, { name: 'xz', data: zp(t, lo + 130), dims: [] },
          { name: 'ys', data: f32(0.03), dims: [] }, { name: 'yz', data: zp(t, lo + 40), dims: [] },
        ], [{ name: 'y', type: QT[t] }]);
        await compareWithOrt(m.model, m.feeds);
      }
    });
  }
});

describe('com.microsoft QLinearConcat through a session', () => {
  for (const t of ['uint8', 'int8'] as const)
    it(`${t}: one input copied, one requantized, one constant; axis 1 and -1`, async () => {
      const r = rng(9);
      const lo = t === 'uint8' ? 0 : -128;
      for (const [axis, dims] of [[1, [[2, 3, 4, 5], [2, 6, 4, 5], [2, 1, 4, 5]]], [-1, [[2, 3, 4, 5], [2, 3, 4, 2], [2, 3, 4, 7]]]] as const) {
        const m = oneNode({ opType: 'QLinearConcat', domain: MS, attribute: [attrInt('axis', axis)] }, [
          { name: 'ys', data: f32(0.04), dims: [] }, { name: 'yz', data: zp(t, lo + 128), dims: [] },
          { name: 'x0', data: rand(t, numel([...dims[0]]), r), dims: [...dims[0]], runtime: true }, { name: 'x0s', data: f32(0.04), dims: [] }, { name: 'x0z', data: zp(t, lo + 128), dims: [] },
          { name: 'x1', data: rand(t, numel([...dims[1]]), r), dims: [...dims[1]], runtime: true }, { name: 'x1s', data: f32(0.07), dims: [] }, { name: 'x1z', data: zp(t, lo + 100), dims: [] },
          { name: 'x2', data: rand(t, numel([...dims[2]]), r), dims: [...dims[2]] }, { name: 'x2s', data: f32(0.021), dims: [] }, { name: 'x2z', data: zp(t, lo + 150), dims: [] },
        ], [{ name: 'y', type: QT[t] }]);
        await compareWithOrt(m.model, m.feeds);
      }
    });
});

describe('com.microsoft QLinear pools on channels-last inputs through a session', () => {
  for (const t of ['uint8', 'int8'] as const) {
    const lo = t === 'uint8' ? 0 : -128;
    const qp = [
      { name: 'xs', data: f32(0.023), dims: [] }, { name: 'xz', data: zp(t, lo + 121), dims: [] },
      { name: 'ys', data: f32(0.019), dims: [] }, { name: 'yz', data: zp(t, lo + 133), dims: [] },
    ];
    it(`QLinearGlobalAveragePool ${t}, channels_last = 1 (NHWC) and 0 on a 3-D input`, async () => {
      const r = rng(10);
      let m = oneNode({ opType: 'QLinearGlobalAveragePool', domain: MS, attribute: [attrInt('channels_last', 1)] },
        [{ name: 'x', data: rand(t, 2 * 5 * 6 * 16, r), dims: [2, 5, 6, 16], runtime: true }, ...qp], [{ name: 'y', type: QT[t] }]);
      await compareWithOrt(m.model, m.feeds);
      m = oneNode({ opType: 'QLinearGlobalAveragePool', domain: MS, attribute: [attrInt('channels_last', 0)] },
        [{ name: 'x', data: rand(t, 2 * 16 * 30, r), dims: [2, 16, 30], runtime: true }, ...qp], [{ name: 'y', type: QT[t] }]);
      await compareWithOrt(m.model, m.feeds);
    });
    it(`QLinearAveragePool ${t}, channels_last = 1: pads, strides, count_include_pad, ceil mode, whole-input kernel`, async () => {
      const r = rng(11);
      const x = { name: 'x', data: rand(t, 2 * 9 * 10 * 8, r), dims: [2, 9, 10, 8], runtime: true };
      for (const attribute of [
        [attrInts('kernel_shape', [3, 3]), attrInts('strides', [2, 2]), attrInts('pads', [1, 1, 1, 1])],
        [attrInts('kernel_shape', [3, 2]), attrInts('strides', [2, 1]), attrInts('pads', [1, 0, 1, 1]), attrInt('count_include_pad', 1)],
        [attrInts('kernel_shape', [2, 3]), attrInts('strides', [2, 2]), attrInt('ceil_mode', 1)],
        [attrInts('kernel_shape', [9, 10])],
      ]) {
        const m = oneNode({ opType: 'QLinearAveragePool', domain: MS, attribute: [...attribute, attrInt('channels_last', 1)] }, [x, ...qp], [{ name: 'y', type: QT[t] }]);
        await compareWithOrt(m.model, m.feeds);
      }
    });
  }
});

describe('DynamicQuantizeLinear and the integer products through a session', () => {
  it('DynamicQuantizeLinear: y, scale and zero point', async () => {
    const r = rng(12);
    for (const [lo, hi] of [[-3, 5], [0.5, 2], [-4, -1]]) {
      const m = oneNode({ opType: 'DynamicQuantizeLinear' }, [{ name: 'x', data: Float32Array.from({ length: 3 * 7 * 5 }, () => r.float(lo, hi)), dims: [3, 7, 5], runtime: true }],
        [{ name: 'y', type: DataType.UINT8 }, { name: 'ys', type: F }, { name: 'yz', type: DataType.UINT8 }]);
      await compareWithOrt(m.model, m.feeds);
    }
  });

  for (const bt of ['int8', 'uint8'] as const)
    it(`DynamicQuantizeLinear -> MatMulInteger (runtime a_zero_point), ${bt} B with per-column zero points`, async () => {
      const r = rng(13);
      const [m, k, n] = [6, 40, 17];
      const bz = bt === 'int8' ? zps('int8', Array.from({ length: n }, () => r.int(-5, 5))) : zps('uint8', Array.from({ length: n }, () => r.int(120, 136)));
      const model = buildModel({
        nodes: [
          { opType: 'DynamicQuantizeLinear', input: ['x'], output: ['xq', 'xs', 'xz'] },
          { opType: 'MatMulInteger', input: ['xq', 'b', 'xz', 'bz'], output: ['y'] },
        ],
        inputs: [{ name: 'x', type: F, dims: [2, m, k] }],
        outputs: [{ name: 'y', type: I32 }, { name: 'xs', type: F }],
        initializers: [tensor('b', rand(bt, k * n, r), [k, n]), tensor('bz', bz, [n])],
      });
      await compareWithOrt(model, { x: { data: Float32Array.from({ length: 2 * m * k }, () => r.float(-2, 3)), dims: [2, m, k] } });
    });

  for (const bt of ['int8', 'uint8'] as const)
    it(`com.microsoft MatMulIntegerToFloat, ${bt} B: runtime and constant a_scale / a_zero_point, per-column b_scale, bias`, async () => {
      const r = rng(14);
      const [k, n] = [24, 12];
      const b = { name: 'b', data: rand(bt, k * n, r), dims: [k, n] };
      const bs = { name: 'bs', data: Float32Array.from({ length: n }, () => r.float(0.002, 0.02)), dims: [n] };
      const bz = { name: 'bz', data: bt === 'int8' ? zps('int8', Array.from({ length: n }, () => r.int(-3, 3))) : zps('uint8', Array.from({ length: n }, () => r.int(125, 131))), dims: [n] };
      const bias = { name: 'bias', data: Float32Array.from({ length: n }, () => r.float(-1, 1)), dims: [n] };
      const a = { name: 'a', data: randomU8(2 * 5 * k, r), dims: [2, 5, k], runtime: true };
      for (const runtime of [true, false]) {
        const m = oneNode({ opType: 'MatMulIntegerToFloat', domain: MS }, [
          a, b, { name: 'as', data: f32(0.0173), dims: [], runtime }, bs, { name: 'az', data: zp('uint8', 119), dims: [], runtime }, bz, bias,
        ], [{ name: 'y', type: F }]);
        await compareWithOrt(m.model, m.feeds);
      }
      // per-tensor b_scale, no zero points, no bias
      const m = oneNode({ opType: 'MatMulIntegerToFloat', domain: MS }, [a, b, { name: 'as', data: f32(0.03), dims: [] }, { name: 'bs', data: f32(0.007), dims: [] }], [{ name: 'y', type: F }]);
      await compareWithOrt(m.model, m.feeds);
    });

  for (const bt of ['int8', 'uint8'] as const)
    it(`com.microsoft DynamicQuantizeMatMul, ${bt} B: per-column and per-tensor b_scale, bias`, async () => {
      const r = rng(15);
      const [k, n] = [32, 10];
      const a = { name: 'a', data: Float32Array.from({ length: 3 * 4 * k }, () => r.float(-1.5, 2.5)), dims: [3, 4, k], runtime: true };
      const b = { name: 'b', data: rand(bt, k * n, r), dims: [k, n] };
      for (const perColumn of [true, false]) {
        const bs = perColumn ? { name: 'bs', data: Float32Array.from({ length: n }, () => r.float(0.002, 0.02)), dims: [n] } : { name: 'bs', data: f32(0.011), dims: [] };
        const bz = bt === 'uint8' ? { name: 'bz', data: perColumn ? zps('uint8', Array.from({ length: n }, () => r.int(120, 136))) : zp('uint8', 128), dims: perColumn ? [n] : [] } : null;
        const m = oneNode({ opType: 'DynamicQuantizeMatMul', domain: MS }, [a, b, bs, bz, { name: 'bias', data: Float32Array.from({ length: n }, () => r.float(-1, 1)), dims: [n] }], [{ name: 'y', type: F }]);
        await compareWithOrt(m.model, m.feeds);
      }
    });

  for (const t of ['uint8', 'int8'] as const)
    it(`QLinearMatMul ${t} A through a session, per-column b parameters`, async () => {
      const r = rng(16);
      const lo = t === 'uint8' ? 0 : -128;
      const [k, n] = [40, 33];
      const m = oneNode({ opType: 'QLinearMatMul' }, [
        { name: 'a', data: rand(t, 2 * 3 * 5 * k, r), dims: [2, 3, 5, k], runtime: true }, { name: 'as', data: f32(0.02), dims: [] }, { name: 'az', data: zp(t, lo + 120), dims: [] },
        { name: 'b', data: randomS8(k * n, r), dims: [k, n] }, { name: 'bs', data: Float32Array.from({ length: n }, () => r.float(0.001, 0.01)), dims: [n] },
        { name: 'bz', data: zps('int8', new Array(n).fill(0)), dims: [n] }, { name: 'ys', data: f32(0.3), dims: [] }, { name: 'yz', data: zp(t, lo + 99), dims: [] },
      ], [{ name: 'y', type: QT[t] }]);
      await compareWithOrt(m.model, m.feeds);
    });
});

describe('QLinearMatMul / MatMulInteger with a runtime B (activation x activation)', () => {
  for (const t of ['uint8', 'int8'] as const)
    it(`QLinearMatMul ${t}: every input at run time, broadcast batch dims both ways`, async () => {
      const r = rng(22);
      const lo = t === 'uint8' ? 0 : -128;
      for (const [ad, bd] of [[[2, 3, 4, 8], [3, 8, 5]], [[2, 1, 4, 8], [3, 8, 5]], [[4, 8], [2, 8, 6]]]) {
        const m = oneNode({ opType: 'QLinearMatMul' }, [
          { name: 'a', data: rand(t, numel(ad), r), dims: ad, runtime: true }, { name: 'as', data: f32(0.021), dims: [], runtime: true }, { name: 'az', data: zp(t, lo + 131), dims: [], runtime: true },
          { name: 'b', data: rand(t, numel(bd), r), dims: bd, runtime: true }, { name: 'bs', data: f32(0.013), dims: [], runtime: true }, { name: 'bz', data: zp(t, lo + 120), dims: [], runtime: true },
          { name: 'ys', data: f32(0.09), dims: [], runtime: true }, { name: 'yz', data: zp(t, lo + 110), dims: [], runtime: true },
        ], [{ name: 'y', type: QT[t] }]);
        await compareWithOrt(m.model, m.feeds);
      }
    });

  it('MatMulInteger: runtime B and zero points, uint8 x int8 and uint8 x uint8, batched', async () => {
    const r = rng(23);
    for (const bt of ['int8', 'uint8'] as const) {
      const m = oneNode({ opType: 'MatMulInteger' }, [
        { name: 'a', data: randomU8(2 * 5 * 16, r), dims: [2, 5, 16], runtime: true }, { name: 'b', data: rand(bt, 2 * 16 * 7, r), dims: [2, 16, 7], runtime: true },
        { name: 'az', data: zp('uint8', 99), dims: [], runtime: true }, { name: 'bz', data: zp(bt, bt === 'int8' ? 3 : 140), dims: [], runtime: true },
      ], [{ name: 'y', type: I32 }]);
      await compareWithOrt(m.model, m.feeds);
    }
  });
});

describe('com.microsoft QGemm through a session', () => {
  for (const t of ['uint8', 'int8'] as const)
    it(`${t}: transB 0 / 1, int32 C, requantized and float outputs, alpha`, async () => {
      const r = rng(17);
      const lo = t === 'uint8' ? 0 : -128;
      const [m, k, n] = [5, 24, 10];
      const bData = randomS8(k * n, r);
      const bT = new Int8Array(k * n);
      for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) bT[j * k + i] = bData[i * n + j];
      const a = { name: 'a', data: rand(t, m * k, r), dims: [m, k], runtime: true };
      const c = { name: 'c', data: Int32Array.from({ length: n }, () => r.int(-3000, 3000)), dims: [n] };
      const q = (name: string, s: number, z: number) => [{ name: `${name}s`, data: f32(s), dims: [] }, { name: `${name}z`, data: zp(t, z), dims: [] }];
      const bs = { name: 'bs', data: Float32Array.from({ length: n }, () => r.float(0.002, 0.01)), dims: [n] };
      const bz = { name: 'bz', data: new Int8Array(n), dims: [n] };
      for (const [transB, b] of [[0, { name: 'b', data: bData, dims: [k, n] }], [1, { name: 'b', data: bT, dims: [n, k] }]] as [number, { name: string; data: Int8Array; dims: number[] }][])
        for (const alpha of [1, 0.5]) {
          const attribute = [attrInt('transB', transB), attrFloat('alpha', alpha)];
          let mm = oneNode({ opType: 'QGemm', domain: MS, attribute }, [a, ...q('a', 0.03, lo + 110), b, bs, bz, c, ...q('y', 0.2, lo + 90)], [{ name: 'y', type: QT[t] }]);
          await compareWithOrt(mm.model, mm.feeds);
          mm = oneNode({ opType: 'QGemm', domain: MS, attribute }, [a, ...q('a', 0.03, lo + 110), b, bs, bz, c], [{ name: 'y', type: F }]);
          await compareWithOrt(mm.model, mm.feeds);
        }
    });
});

describe('Pad on uint8 / int8 through a session', () => {
  for (const t of ['uint8', 'int8'] as const)
    it(`${t}: constant (the zero point), reflect, edge`, async () => {
      const r = rng(18);
      const x = { name: 'x', data: rand(t, 2 * 5 * 7, r), dims: [2, 5, 7], runtime: true };
      const pads = { name: 'pads', data: BigInt64Array.from([0n, 2n, 1n, 1n, 1n, 3n]), dims: [6] };
      for (const [mode, value] of [['constant', zp(t, 17)], ['constant', null], ['reflect', null], ['edge', null]] as const) {
        const m = oneNode({ opType: 'Pad', attribute: [attrStr('mode', mode)] }, [x, pads, value ? { name: 'v', data: value, dims: [] } : null], [{ name: 'y', type: QT[t] }]);
        await compareWithOrt(m.model, m.feeds);
      }
    });
});

// ---------------------------------------------------------------------------------------------
// Spatial ops on NHWC tensors, engine ops created directly (always run).

const toNchw = <T extends Uint8Array | Int8Array>(a: T, n: number, h: number, w: number, c: number): T => {
  const o = new (a.constructor as new (n: number) => T)(a.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) o[((b * c + ch) * h + y) * w + x] = a[((b * h + y) * w + x) * c + ch];
  return o;
};
const toNhwc = <T extends Uint8Array | Int8Array | Int32Array>(a: T, n: number, c: number, h: number, w: number): T => {
  const o = new (a.constructor as new (n: number) => T)(a.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) o[((b * h + y) * w + x) * c + ch] = a[((b * c + ch) * h + y) * w + x];
  return o;
};

describe('int8 spatial engine ops on NHWC tensors vs onnxruntime (NCHW, transposed)', () => {
  for (const t of ['uint8', 'int8'] as const) {
    it(`qint8::QMaxPoolNhwc ${t}: pads, strides, dilations, ceil mode`, async () => {
      const r = rng(19);
      const [n, h, w, c] = [2, 11, 9, 13];
      const x = rand(t, n * h * w * c, r);
      const cases: Record<string, number | number[]>[] = [
        { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
        { kernel_shape: [2, 3], strides: [2, 1], dilations: [2, 1], ceil_mode: 1 },
      ];
      for (const a of cases) {
        const model = buildModel({
          nodes: [{ opType: 'MaxPool', input: ['x'], output: ['y'], attribute: Object.entries(a).map(([k, v]) => (Array.isArray(v) ? attrInts(k, v) : attrInt(k, v as number))) }],
          inputs: [{ name: 'x', type: QT[t], dims: [n, c, h, w] }],
          outputs: [{ name: 'y', type: QT[t] }],
        });
        const res = (await runOrt(model, { x: { data: toNchw(x, n, h, w, c), dims: [n, c, h, w] } })).y;
        const [, , oh, ow] = res.dims as number[];
        const want = toNhwc(res.data as Uint8Array, n, c, oh, ow);
        for (const isa of isas) {
          const op = createOp('qint8', 'QMaxPoolNhwc', a, [null], isa);
          const y = new (x.constructor as Uint8ArrayConstructor)(n * oh * ow * c);
          op.run([{ type: t, shape: [n, h, w, c], data: x }], [{ type: t, shape: [n, oh, ow, c], data: y }]);
          expect(firstDiff(y, want), isa).toBe(-1);
        }
      }
    });

    it(`qint8::QResizeNhwc ${t}: nearest (exact) and linear (within 1 LSB), by scales and by sizes`, async () => {
      const r = rng(20);
      const [n, h, w, c] = [1, 7, 6, 5];
      const x = rand(t, n * h * w * c, r);
      for (const [mode, ct, scales, sizes] of [
        ['nearest', 'asymmetric', [1, 1, 2, 2], null],
        ['nearest', 'half_pixel', null, [1, 5, 10, 9]],
        ['linear', 'half_pixel', [1, 1, 2, 1.5], null],
        ['linear', 'align_corners', null, [1, 5, 4, 11]],
      ] as const) {
        const attrs = [attrStr('mode', mode), attrStr('coordinate_transformation_mode', ct)];
        const inputs = ['x', '', scales ? 's' : '', sizes ? 'z' : ''];
        const model = buildModel({
          nodes: [{ opType: 'Resize', input: sizes ? inputs : inputs.slice(0, 3), output: ['y'], attribute: attrs }],
          inputs: [{ name: 'x', type: QT[t], dims: [n, c, h, w] }],
          outputs: [{ name: 'y', type: QT[t] }],
          initializers: [...(scales ? [tensor('s', Float32Array.from(scales), [4])] : []), ...(sizes ? [tensor('z', BigInt64Array.from(sizes.map(BigInt)), [4])] : [])],
        });
        const res = (await runOrt(model, { x: { data: toNchw(x, n, h, w, c), dims: [n, c, h, w] } })).y;
        const [, , oh, ow] = res.dims as number[];
        const want = toNhwc(res.data as Uint8Array, n, c, oh, ow);
        for (const isa of isas) {
          const op = createOp('qint8', 'QResizeNhwc', { mode, coordinate_transformation_mode: ct }, [null, undefined, scales ? { type: 'float32', shape: [4], data: Float32Array.from(scales) } : undefined, sizes ? { type: 'int64', shape: [4], data: BigInt64Array.from(sizes.map(BigInt)) } : undefined], isa);
          const y = new (x.constructor as Uint8ArrayConstructor)(n * oh * ow * c);
          op.run([{ type: t, shape: [n, h, w, c], data: x }, undefined, scales ? { type: 'float32', shape: [4], data: Float32Array.from(scales) } : undefined, sizes ? { type: 'int64', shape: [4], data: BigInt64Array.from(sizes.map(BigInt)) } : undefined], [{ type: t, shape: [n, oh, ow, c], data: y }]);
          if (mode === 'nearest') expect(firstDiff(y, want), isa).toBe(-1);
          else {
            let worst = 0;
            for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - want[i]));
            // onnxruntime truncates the interpolated value, qint8 rounds (docs/ARCHITECTURE.md, int8 op set).
            expect(worst, isa).toBeLessThanOrEqual(1);
          }
        }
      }
    });

    it(`qint8::ConvIntegerNhwc ${t} with a runtime x zero point (the padded-input path)`, async () => {
      const r = rng(21);
      const [n, h, w, cin, cout, g] = [2, 9, 8, 6, 9, 3];
      const x = rand(t, n * h * w * cin, r);
      const wt = randomS8(cout * (cin / g) * 9, r);
      // onnxruntime's ConvInteger takes a per-tensor w_zero_point only; per-channel ones are
      // checked against the constant-zero-point path.
      const wzs = [new Int8Array([3]), Int8Array.from({ length: cout }, () => r.int(-4, 4))];
      for (const wz of wzs)
      for (const [attrs, zx] of [
        [{ kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 2, 1], group: g }, t === 'uint8' ? 143 : 15],
        [{ kernel_shape: [3, 3], auto_pad: 'SAME_UPPER', group: g }, t === 'uint8' ? 7 : -100],
        [{ kernel_shape: [3, 3], group: g, dilations: [2, 1], pads: [2, 1, 0, 1] }, 0],
      ] as const) {
        const a = attrs as unknown as Record<string, number | number[] | string>;
        const model = buildModel({
          nodes: [{ opType: 'ConvInteger', input: ['x', 'w', 'xz', 'wz'], output: ['y'], attribute: Object.entries(a).map(([k, v]) => (typeof v === 'string' ? attrStr(k, v) : Array.isArray(v) ? attrInts(k, v) : attrInt(k, v))) }],
          inputs: [{ name: 'x', type: QT[t], dims: [n, cin, h, w] }, { name: 'xz', type: QT[t], dims: [] }],
          outputs: [{ name: 'y', type: I32 }],
          initializers: [tensor('w', wt, [cout, cin / g, 3, 3]), tensor('wz', wz, wz.length === 1 ? [] : [cout])],
        });
        // onnxruntime's ConvInteger takes uint8 activations only: int8 is checked against the
        // constant-zero-point path (Conv2d with the zero point folded at creation) instead.
        const want =
          t === 'uint8' && wz.length === 1
            ? await (async () => {
                const res = (await runOrt(model, { x: { data: toNchw(x, n, h, w, cin), dims: [n, cin, h, w] }, xz: { data: zp(t, zx), dims: [] } })).y;
                const [, , oh, ow] = res.dims as number[];
                return { y: toNhwc(res.data as Int32Array, n, cout, oh, ow), oh, ow };
              })()
            : undefined;
        for (const isa of isas) {
          const stat = createOp('qint8', 'ConvIntegerNhwc', a as never, [null, { type: 'int8', shape: [cout, cin / g, 3, 3], data: wt }, { type: t, shape: [], data: zp(t, zx) }, { type: 'int8', shape: wz.length === 1 ? [] : [cout], data: wz }], isa);
          const op = createOp('qint8', 'ConvIntegerNhwc', a as never, [{ type: t, runtime: true }, { type: 'int8', shape: [cout, cin / g, 3, 3], data: wt }, { type: t, runtime: true }, { type: 'int8', shape: wz.length === 1 ? [] : [cout], data: wz }], isa);
          const st = (a.strides as number[] | undefined) ?? [1, 1];
          const dl = (a.dilations as number[] | undefined) ?? [1, 1];
          const pd = (a.pads as number[] | undefined) ?? [0, 0, 0, 0];
          const sh = (v: number, i: number) => (a.auto_pad ? Math.ceil(v / st[i]) : Math.floor((v + pd[i] + pd[i + 2] - 2 * dl[i] - 1) / st[i]) + 1);
          const oh = sh(h, 0);
          const ow = sh(w, 1);
          if (want) expect([want.oh, want.ow]).toEqual([oh, ow]);
          const y = new Int32Array(n * oh * ow * cout);
          const y2 = new Int32Array(n * oh * ow * cout);
          op.run([{ type: t, shape: [n, h, w, cin], data: x }, undefined, { type: t, shape: [], data: zp(t, zx) }], [{ type: 'int32', shape: [n, oh, ow, cout], data: y }]);
          stat.run([{ type: t, shape: [n, h, w, cin], data: x }], [{ type: 'int32', shape: [n, oh, ow, cout], data: y2 }]);
          expect(firstDiff(y, y2), `${isa} ${JSON.stringify(a)}: runtime vs constant zero point`).toBe(-1);
          if (want) expect(firstDiff(y, want.y), `${isa} ${JSON.stringify(a)}`).toBe(-1);
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// NCHW single-op models of the spatial ops: the layout pass's plan (checked on onnxruntime,
// always) and qint8's session (needs the float engine's Transpose / Reshape).

interface Case {
  name: string;
  model: Uint8Array;
  feeds: Feeds;
  lsb?: Record<string, number>;
}

function spatialCases(t: Q): Case[] {
  const r = rng(t === 'uint8' ? 40 : 41);
  const lo = t === 'uint8' ? 0 : -128;
  const cases: Case[] = [];
  const x = (dims: number[]) => ({ name: 'x', data: rand(t, numel(dims), r), dims, runtime: true });
  // QLinearConv: per-channel weights, bias, groups / depthwise, strides, padding.
  for (const [cin, cout, g, attrs] of [
    [6, 10, 1, [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1])]],
    [8, 8, 8, [attrInts('kernel_shape', [3, 3]), attrInts('strides', [2, 2]), attrInts('pads', [1, 0, 1, 1]), attrInt('group', 8)]],
    [6, 9, 3, [attrInts('kernel_shape', [1, 1]), attrInt('group', 3)]],
    [5, 7, 1, [attrInts('kernel_shape', [3, 2]), attrStr('auto_pad', 'SAME_UPPER'), attrInts('dilations', [1, 1])]],
  ] as [number, number, number, ReturnType<typeof attrInt>[]][]) {
    const kh = attrs.find((a) => a.name === 'kernel_shape')!.ints![0];
    const kw = attrs.find((a) => a.name === 'kernel_shape')!.ints![1];
    const m = oneNode({ opType: 'QLinearConv', attribute: attrs }, [
      x([2, cin, 9, 11]), { name: 'xs', data: f32(0.031), dims: [] }, { name: 'xz', data: zp(t, lo + 120), dims: [] },
      { name: 'w', data: randomS8(cout * (cin / g) * kh * kw, r), dims: [cout, cin / g, kh, kw] },
      { name: 'ws', data: Float32Array.from({ length: cout }, () => r.float(0.002, 0.01)), dims: [cout] }, { name: 'wz', data: new Int8Array(cout), dims: [cout] },
      { name: 'ys', data: f32(0.17), dims: [] }, { name: 'yz', data: zp(t, lo + 100), dims: [] },
      { name: 'b', data: Int32Array.from({ length: cout }, () => r.int(-2000, 2000)), dims: [cout] },
    ], [{ name: 'y', type: QT[t] }]);
    cases.push({ name: `QLinearConv ${cin}->${cout} group ${g}`, ...m });
  }
  // MaxPool on the quantized type.
  let m = oneNode({ opType: 'MaxPool', attribute: [attrInts('kernel_shape', [3, 3]), attrInts('strides', [2, 2]), attrInts('pads', [1, 1, 1, 1])] }, [x([2, 5, 11, 9])], [{ name: 'y', type: QT[t] }], 12);
  cases.push({ name: 'MaxPool 3x3/2', ...m });
  // QLinearAveragePool / QLinearGlobalAveragePool in NCHW (channels_last = 0).
  const pq = (n: string) => [{ name: `${n}xs`, data: f32(0.023), dims: [] }, { name: `${n}xz`, data: zp(t, lo + 121), dims: [] }, { name: `${n}ys`, data: f32(0.019), dims: [] }, { name: `${n}yz`, data: zp(t, lo + 133), dims: [] }];
  m = oneNode({ opType: 'QLinearAveragePool', domain: MS, attribute: [attrInts('kernel_shape', [3, 3]), attrInts('strides', [2, 2]), attrInts('pads', [1, 1, 1, 1]), attrInt('count_include_pad', 1)] }, [x([2, 7, 10, 9]), ...pq('')], [{ name: 'y', type: QT[t] }]);
  cases.push({ name: 'QLinearAveragePool channels_last 0', ...m });
  m = oneNode({ opType: 'QLinearGlobalAveragePool', domain: MS, attribute: [attrInt('channels_last', 0)] }, [x([2, 12, 7, 6]), ...pq('')], [{ name: 'y', type: QT[t] }]);
  cases.push({ name: 'QLinearGlobalAveragePool channels_last 0', ...m });
  // Resize: nearest (exact), linear (1 LSB: onnxruntime truncates, qint8 rounds).
  m = oneNode({ opType: 'Resize', attribute: [attrStr('mode', 'nearest')] }, [x([1, 6, 5, 7]), null, { name: 's', data: Float32Array.from([1, 1, 2, 2]), dims: [4] }], [{ name: 'y', type: QT[t] }]);
  cases.push({ name: 'Resize nearest 2x', ...m });
  if (t === 'uint8') {
    // onnxruntime has linear Resize for uint8 only.
    m = oneNode({ opType: 'Resize', attribute: [attrStr('mode', 'linear')] }, [x([1, 6, 5, 7]), null, { name: 's', data: Float32Array.from([1, 1, 2, 2]), dims: [4] }], [{ name: 'y', type: QT[t] }]);
    cases.push({ name: 'Resize linear 2x', lsb: { y: 1 }, ...m });
    // ConvInteger with a constant and with a runtime (DynamicQuantizeLinear) zero point.
    m = oneNode({ opType: 'ConvInteger', attribute: [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1]), attrInts('strides', [2, 1])] },
      [x([2, 4, 9, 8]), { name: 'w', data: randomU8(6 * 4 * 9, r), dims: [6, 4, 3, 3] }, { name: 'xz', data: zp(t, 77), dims: [] }, { name: 'wz', data: zp('uint8', 130), dims: [] }], [{ name: 'y', type: I32 }]);
    cases.push({ name: 'ConvInteger, constant zero point', ...m });
    const model = buildModel({
      nodes: [
        { opType: 'DynamicQuantizeLinear', input: ['f'], output: ['q', 'qs', 'qz'] },
        { opType: 'ConvInteger', input: ['q', 'w', 'qz'], output: ['y'], attribute: [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 2, 1, 0]), attrInt('group', 2)] },
      ],
      inputs: [{ name: 'f', type: F, dims: [2, 4, 9, 8] }],
      outputs: [{ name: 'y', type: I32 }, { name: 'qs', type: F }],
      initializers: [tensor('w', randomS8(6 * 2 * 9, r), [6, 2, 3, 3])],
    });
    cases.push({ name: 'DynamicQuantizeLinear -> ConvInteger (runtime zero point)', model, feeds: { f: { data: Float32Array.from({ length: 2 * 4 * 9 * 8 }, () => r.float(-1, 3)), dims: [2, 4, 9, 8] } } });
  }
  // A channels-last chain: QLinearConv -> Pad (zero point) -> QLinearAdd (constant channel
  // operand) -> QLinearLeakyRelu -> QuantizeLinear / DequantizeLinear per channel (axis 1).
  const cin = 4;
  const cout = 6;
  const chain = buildModel({
    nodes: [
      { opType: 'QLinearConv', input: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], output: ['c'], attribute: [attrInts('kernel_shape', [3, 3])] },
      { opType: 'Pad', input: ['c', 'pads', 'yz'], output: ['p'] },
      { opType: 'QLinearAdd', domain: MS, input: ['p', 'ys', 'yz', 'k', 'ks', 'kz', 'as', 'az'], output: ['a'] },
      { opType: 'QLinearLeakyRelu', domain: MS, input: ['a', 'as', 'az', 'ls', 'lz'], output: ['l'], attribute: [attrFloat('alpha', 0.1)] },
      { opType: 'DequantizeLinear', input: ['l', 'dqs', 'dqz'], output: ['d'], attribute: [attrInt('axis', 1)] },
      { opType: 'QuantizeLinear', input: ['d', 'dqs', 'dqz'], output: ['q'], attribute: [attrInt('axis', 1)] },
    ],
    inputs: [{ name: 'x', type: QT[t], dims: [2, cin, 8, 7] }],
    outputs: [{ name: 'q', type: QT[t] }, { name: 'd', type: F }],
    initializers: [
      tensor('xs', f32(0.03), []), tensor('xz', zp(t, lo + 128), []), tensor('w', randomS8(cout * cin * 9, r), [cout, cin, 3, 3]),
      tensor('ws', f32(0.004), []), tensor('wz', zp('int8', 0), []), tensor('ys', f32(0.12), []), tensor('yz', zp(t, lo + 90), []),
      tensor('pads', BigInt64Array.from([0n, 0n, 1n, 0n, 0n, 0n, 2n, 1n]), [8]),
      tensor('k', rand(t, cout, r), [cout, 1, 1]), tensor('ks', f32(0.05), []), tensor('kz', zp(t, lo + 128), []),
      tensor('as', f32(0.15), []), tensor('az', zp(t, lo + 100), []), tensor('ls', f32(0.1), []), tensor('lz', zp(t, lo + 60), []),
      tensor('dqs', Float32Array.from({ length: cout }, () => r.float(0.05, 0.2)), [cout]), tensor('dqz', zps(t, Array.from({ length: cout }, () => lo + r.int(50, 200))), [cout]),
    ],
  });
  cases.push({ name: 'QLinearConv -> Pad -> QLinearAdd -> QLinearLeakyRelu -> DequantizeLinear / QuantizeLinear per channel', model: chain, feeds: { x: { data: rand(t, 2 * cin * 8 * 7, r), dims: [2, cin, 8, 7] } } });
  return cases;
}

describe('NCHW QOperator models through the layout pass', () => {
  for (const t of ['uint8', 'int8'] as const)
    for (const c of spatialCases(t)) {
      it(`${c.name} (${t}): the planned graph on onnxruntime`, async () => {
        const rep = await checkPlannedOnOrt(c.model, c.feeds);
        expect(rep.spatial + rep.agnostic).toBeGreaterThan(0);
      });
      it.skipIf(!hasLayoutOps)(`${c.name} (${t}): qint8 vs onnxruntime`, async () => {
        await compareWithOrt(c.model, c.feeds, c.lsb);
      });
    }
});

describe('QOperator errors are clear', () => {
  it('an unsupported com.microsoft op is refused at import, naming it', async () => {
    const { InferenceSession } = await import('../lib');
    const m = oneNode({ opType: 'QLinearSoftmax', domain: MS, attribute: [attrInt('axis', -1), attrInt('opset', 13)] }, [
      { name: 'x', data: randomU8(10, rng(1)), dims: [1, 10], runtime: true }, { name: 'xs', data: f32(0.1), dims: [] }, { name: 'xz', data: zp('uint8', 0), dims: [] },
      { name: 'ys', data: f32(1 / 256), dims: [] }, { name: 'yz', data: zp('uint8', 0), dims: [] },
    ], [{ name: 'y', type: DataType.UINT8 }]);
    await expect(InferenceSession.create(m.model)).rejects.toThrow(/unsupported op com\.microsoft\.QLinearSoftmax/);
  });

  it('runtime weights, runtime requantization parameters and transA are compile errors naming the node', async () => {
    const { InferenceSession } = await import('../lib');
    const r = rng(2);
    const q = [{ name: 'as', data: f32(0.1), dims: [] }, { name: 'az', data: zp('uint8', 128), dims: [] }];
    let m = oneNode({ opType: 'QGemm', domain: MS }, [
      { name: 'a', data: randomU8(12, r), dims: [3, 4], runtime: true }, ...q, { name: 'b', data: randomS8(8, r), dims: [4, 2], runtime: true },
      { name: 'bs', data: f32(0.1), dims: [] }, { name: 'bz', data: zp('int8', 0), dims: [] },
    ], [{ name: 'y', type: F }]);
    await expect(InferenceSession.create(m.model)).rejects.toThrow(/QGemm.*B must be a constant/);
    m = oneNode({ opType: 'QLinearSigmoid', domain: MS }, [
      { name: 'x', data: randomU8(12, r), dims: [3, 4], runtime: true }, { name: 'xs', data: f32(0.1), dims: [], runtime: true }, { name: 'xz', data: zp('uint8', 3), dims: [] },
      { name: 'ys', data: f32(0.2), dims: [] }, { name: 'yz', data: zp('uint8', 0), dims: [] },
    ], [{ name: 'y', type: DataType.UINT8 }]);
    await expect(InferenceSession.create(m.model)).rejects.toThrow(/QLinearSigmoid.*X_scale must be a constant/);
    m = oneNode({ opType: 'QGemm', domain: MS, attribute: [attrInt('transA', 1)] }, [
      { name: 'a', data: randomU8(12, r), dims: [4, 3], runtime: true }, ...q, { name: 'b', data: randomS8(8, r), dims: [4, 2] },
      { name: 'bs', data: f32(0.1), dims: [] }, { name: 'bz', data: zp('int8', 0), dims: [] },
    ], [{ name: 'y', type: F }]);
    await expect(InferenceSession.create(m.model)).rejects.toThrow(/QGemm.*transA = 1 is not supported/);
  });

  it('mismatched zero-point types are refused by shape inference', async () => {
    const { InferenceSession } = await import('../lib');
    const m = oneNode({ opType: 'QLinearAdd', domain: MS }, [
      { name: 'a', data: randomU8(6, rng(3)), dims: [2, 3], runtime: true }, { name: 'as', data: f32(0.1), dims: [] }, { name: 'az', data: zp('int8', 0), dims: [] },
      { name: 'b', data: randomU8(6, rng(4)), dims: [2, 3], runtime: true }, { name: 'bs', data: f32(0.1), dims: [] }, { name: 'bz', data: zp('uint8', 0), dims: [] },
      { name: 'cs', data: f32(0.1), dims: [] }, { name: 'cz', data: zp('uint8', 0), dims: [] },
    ], [{ name: 'c', type: DataType.UINT8 }]);
    await expect(InferenceSession.create(m.model)).rejects.toThrow(/A_zero_point is int8, its tensor is uint8/);
  });
});
