// Reductions, ArgMax / ArgMin, Softmax / LogSoftmax and the normalizations against
// onnxruntime-node on every ISA. Max / Min / ArgMax / ArgMin are exact. Sums differ only by
// summation order: two float32 sums of n terms are each within n * 2^-24 * sum|x| of the exact
// sum (the worst-case bound of any order), so they may differ by n * 2^-23 * sum|x|; the other
// tolerances follow from that bound as noted per test. The normalizations are also checked
// against float64 references computed here, with tight bounds.
import { describe, expect, it } from 'vitest';
import { createOp } from '../lib/engine/ops';
import type { OpTensor } from '../lib/engine/ops';
import { compareWithOrt, exact, expectClose, f32s, i64, isas, numel, randF32, rng, runOrt, runQ, t } from './helpers/fp32-ops';

const r = rng(77);
const EPS = 2 ** -24;

/** Per-output-element reduction stats of x over `axes` (for the tolerance bounds). */
function reduceStats(x: OpTensor, axes: number[]): { count: number; sumAbs: number[] } {
  const shape = x.shape;
  const rank = shape.length;
  const red = new Array(rank).fill(false);
  for (const a of axes.length ? axes : [...Array(rank).keys()]) red[a < 0 ? a + rank : a] = true;
  const outShape = shape.filter((_, d) => !red[d]);
  const nOut = numel(outShape);
  const sumAbs = new Array(nOut).fill(0);
  const xs = x.data as Float32Array;
  const coord = new Array(rank).fill(0);
  for (let i = 0; i < xs.length; i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) if (!red[d]) o = o * shape[d] + coord[d];
    sumAbs[o] += Math.abs(xs[i]);
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d] < shape[d]) break;
      coord[d] = 0;
    }
  }
  return { count: xs.length / Math.max(nOut, 1), sumAbs };
}

const SHAPE = [3, 10, 7, 16];
const AXES: number[][] = [[3], [0], [1], [1, 2], [0, 3], [0, 2], [2, 3], [-1, -3], [1, 2, 3], []];

describe('Reduce* (opset 18: axes input)', () => {
  for (const op of ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp']) {
    it(`${op} over every axis pattern, keepdims 0 / 1`, async () => {
      for (const axes of AXES)
        for (const keepdims of [0, 1]) {
          const positive = op === 'ReduceLogSum' || op === 'ReduceProd';
          const x = randF32(SHAPE, r, positive ? 0.9 : -3, positive ? 1.1 : 3);
          const { count, sumAbs } = reduceStats(x, axes);
          const inputs = axes.length ? [x, i64(axes)] : [x];
          await compareWithOrt({ op, inputs, attrs: { keepdims } }, (g, w, what) => {
            const W = w.data as Float32Array;
            switch (op) {
              case 'ReduceMax':
              case 'ReduceMin':
                return exact(g, w, what);
              case 'ReduceSum':
              case 'ReduceL1':
                return expectClose(g, w, { absOf: (i) => count * 2 * EPS * sumAbs[i] }, what);
              case 'ReduceMean':
                return expectClose(g, w, { absOf: (i) => 2 * EPS * sumAbs[i] + 2 * EPS * Math.abs(W[i]) }, what);
              case 'ReduceSumSquare':
              case 'ReduceProd':  // n roundings of a product: relative n * 2^-24 per side
                return expectClose(g, w, { rel: (count + 1) * 2 * EPS }, what);
              case 'ReduceL2':  // sqrt halves the relative error of the sum of squares
                return expectClose(g, w, { rel: (count + 2) * EPS }, what);
              case 'ReduceLogSum':  // abs error of log = relative error of the (positive) sum
                return expectClose(g, w, { abs: (count + 2) * 2 * EPS }, what);
              default:  // LogSumExp: max + log(sum e^(x - max)): the sum's relative error + exp's 2 ulp
                return expectClose(g, w, { abs: (count + 8) * 2 * EPS, rel: 4 * EPS }, what);
            }
          }, { what: `${op} axes ${JSON.stringify(axes)} keepdims ${keepdims}` });
        }
    });
  }
  it('noop_with_empty_axes, opset-13 attribute axes, long rows, integer types', async () => {
    const x = randF32([4, 5], r);
    await compareWithOrt({ op: 'ReduceSum', inputs: [x], attrs: { noop_with_empty_axes: 1 } }, exact);
    await compareWithOrt({ op: 'ReduceMean', inputs: [randF32([6, 9, 4], r)], attrs: { axes: [1], keepdims: 0 }, opset: 13 }, (g, w, s) =>
      expectClose(g, w, { ulp: 4 }, s),
    );
    const big = randF32([2, 200000], r, 0, 1);
    await compareWithOrt({ op: 'ReduceSum', inputs: [big, i64([1])] }, (g, w, s) => expectClose(g, w, { rel: 200000 * 2 * EPS }, s));
    await compareWithOrt({ op: 'ReduceMax', inputs: [big] }, exact);
    const ints = t('int64', [3, 4], [1, -5, 9, 2, 7, 7, -3, 0, 4, 8, 1, 6]);
    for (const op of ['ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd']) await compareWithOrt({ op, inputs: [ints, i64([1])] }, exact);
    const i32 = t('int32', [2, 3], [1, -5, 9, 2, 7, 7]);
    for (const op of ['ReduceSum', 'ReduceMax', 'ReduceMin']) await compareWithOrt({ op, inputs: [i32, i64([0])] }, exact);
  });
});

describe('ArgMax / ArgMin (exact)', () => {
  it('axes, keepdims, select_last_index, ties, element types', async () => {
    const x = t('float32', [4, 6, 5], Array.from({ length: 120 }, () => r.int(0, 5)));  // many ties
    for (const op of ['ArgMax', 'ArgMin'])
      for (const axis of [0, 1, 2, -1])
        for (const keepdims of [0, 1])
          for (const last of [0, 1])
            await compareWithOrt({ op, inputs: [x], attrs: { axis, keepdims, select_last_index: last }, outTypes: ['int64'] }, exact);
    await compareWithOrt({ op: 'ArgMax', inputs: [i64([3, 9, 9, 1], [2, 2])], attrs: { axis: 1 }, outTypes: ['int64'] }, exact);
    await compareWithOrt({ op: 'ArgMin', inputs: [t('int32', [2, 2], [3, 9, 9, 1])], attrs: { axis: 0 }, outTypes: ['int64'] }, exact);
    await compareWithOrt({ op: 'ArgMax', inputs: [randF32([3, 6625], r)], attrs: { axis: 1, keepdims: 0 }, outTypes: ['int64'] }, exact);
  });
});

describe('Softmax / LogSoftmax (opset 13 semantics)', () => {
  it('last, middle and first axes', async () => {
    for (const [shape, axis] of [
      [[4, 33, 50], -1],
      [[4, 33, 50], 1],
      [[4, 33, 50], 0],
      [[8, 768], -1],
      [[2, 12, 64, 64], -1],
      [[1, 300, 6625], 2],
      [[2, 3, 1000, 5], 2],
    ] as [number[], number][]) {
      const x = randF32(shape, r, -10, 10);
      const n = shape[axis < 0 ? axis + shape.length : axis];
      // softmax: y_i = e_i / sum e: each exp within 2 ulp on either side and the sums within
      // n * 2^-24 relative: |dy| <= (8 + 2n) 2^-24 y.
      await compareWithOrt({ op: 'Softmax', inputs: [x], attrs: { axis }, opset: 13 }, (g, w, s) =>
        expectClose(g, w, { rel: (8 + 2 * n) * EPS, abs: 1e-38 }, s),
      );
      // log softmax: x - max - log(sum): the log of the sum has absolute error (n + 4) 2^-24 per
      // side, plus the rounding of the result.
      await compareWithOrt({ op: 'LogSoftmax', inputs: [x], attrs: { axis }, opset: 13 }, (g, w, s) =>
        expectClose(g, w, { abs: (2 * n + 8) * EPS, rel: 2 * EPS }, s),
      );
    }
  });
  it('rows of -inf entries and large values stay finite where onnxruntime\'s do', async () => {
    const x = f32s([-Infinity, 0, 1, 2, 1000, 1000, -1000, -Infinity], [2, 4]);
    await compareWithOrt({ op: 'Softmax', inputs: [x], opset: 13 }, (g, w, s) => expectClose(g, w, { ulp: 2 }, s));
  });
});

/** float64 layer norm over the trailing `n` values of each row. */
function layerNorm64(x: Float32Array, scale: Float32Array, bias: Float32Array | undefined, n: number, eps: number) {
  const rows = x.length / n;
  const y = new Float64Array(x.length);
  const mean = new Float64Array(rows);
  const inv = new Float64Array(rows);
  for (let r0 = 0; r0 < rows; r0++) {
    let m = 0;
    for (let j = 0; j < n; j++) m += x[r0 * n + j];
    m /= n;
    let v = 0;
    for (let j = 0; j < n; j++) v += (x[r0 * n + j] - m) ** 2;
    v /= n;
    const is = 1 / Math.sqrt(v + eps);
    mean[r0] = m;
    inv[r0] = is;
    for (let j = 0; j < n; j++) y[r0 * n + j] = (x[r0 * n + j] - m) * is * scale[j] + (bias ? bias[j] : 0);
  }
  return { y, mean, inv };
}

describe('LayerNormalization', () => {
  it('axis -1 and -2, with and without bias, Mean / InvStdDev outputs', async () => {
    for (const [shape, axis, withBias] of [
      [[6, 20, 768], -1, true],
      [[4, 5, 7, 9], -2, true],
      [[3, 129], -1, false],
    ] as [number[], number, boolean][]) {
      const x = randF32(shape, r, -2, 3);  // mean ~0.5: onnxruntime's one-pass E[x^2] - mean^2 loses a little
      const normShape = shape.slice(axis + shape.length);
      const n = numel(normShape);
      const scale = randF32(normShape, r, 0.5, 1.5);
      const bias = withBias ? randF32(normShape, r, -1, 1) : undefined;
      const c = {
        op: 'LayerNormalization',
        inputs: [x, scale, bias],
        attrs: { axis, epsilon: { kind: 'float' as const, value: 1e-5 } },
        outTypes: ['float32', 'float32', 'float32'] as ('float32')[],
        opset: 17,
      };
      const ref = layerNorm64(x.data as Float32Array, scale.data as Float32Array, bias?.data as Float32Array | undefined, n, 1e-5);
      const want = await runOrt(c);
      for (const isa of isas()) {
        const got = runQ(c, want, isa);
        // Against float64: mean and variance within n 2^-24 relative (two-pass, 64-lane sums),
        // then a few roundings: |dy| <= 16 * 2^-24 * (|y| + |scale| + |bias|) per element.
        const g = got[0].data as Float32Array;
        let worst = 0;
        for (let i = 0; i < g.length; i++) {
          const j = i % n;
          const bound = 16 * EPS * (Math.abs(ref.y[i]) + Math.abs((scale.data as Float32Array)[j]) * 4 + (bias ? Math.abs((bias.data as Float32Array)[j]) : 0));
          worst = Math.max(worst, Math.abs(g[i] - ref.y[i]) / bound);
        }
        expect(worst, `LayerNorm vs float64 [${isa}]`).toBeLessThanOrEqual(1);
        // Against onnxruntime (one-pass variance: var error up to n 2^-24 E[x^2]): relative 1e-4.
        expectClose(got[0], want[0], { abs: 1e-5, rel: 1e-4 }, `LayerNorm Y [${isa}]`);
        expectClose(got[1], want[1], { abs: n * 2 * EPS * 3 }, `LayerNorm Mean [${isa}]`);
        expectClose(got[2], want[2], { rel: 1e-4 }, `LayerNorm InvStdDev [${isa}]`);
      }
    }
  });
});

function transposeNchwToNhwc(x: OpTensor): OpTensor {
  const [N, C, H, W] = x.shape;
  const s = x.data as Float32Array;
  const d = new Float32Array(s.length);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) d[((n * H + h) * W + w) * C + c] = s[((n * C + c) * H + h) * W + w];
  return { type: 'float32', shape: [N, H, W, C], data: d };
}

describe('InstanceNormalization (NCHW) and qint8::InstanceNormalizationNhwc', () => {
  it('matches onnxruntime; the NHWC form matches the NCHW one', async () => {
    for (const shape of [[2, 16, 20, 21], [1, 3, 100, 7], [2, 5, 64, 1]]) {
      const x = randF32(shape, r, -2, 3);
      const scale = randF32([shape[1]], r, 0.5, 1.5);
      const bias = randF32([shape[1]], r, -1, 1);
      const c = { op: 'InstanceNormalization', inputs: [x, scale, bias], attrs: { epsilon: { kind: 'float' as const, value: 1e-5 } } };
      const want = await compareWithOrt(c, (g, w, s) => expectClose(g, w, { abs: 1e-5, rel: 1e-4 }, s));
      const xn = transposeNchwToNhwc(x);
      const wantNhwc = transposeNchwToNhwc(want[0]);
      for (const isa of isas()) {
        const got = runQ({ ...c, inputs: [xn, scale, bias] }, [wantNhwc], isa, 'qint8', 'InstanceNormalizationNhwc');
        // Column sums in row order vs the 64-lane order: the summation bound again.
        expectClose(got[0], wantNhwc, { abs: 1e-5, rel: 1e-4 }, `InstanceNormalizationNhwc [${isa}]`);
      }
    }
  });
});

describe('BatchNormalization (inference)', () => {
  it('per-channel y = x * a + b with a = scale / sqrt(var + eps), b = B - mean * a (onnxruntime\'s order: exact)', async () => {
    for (const shape of [[2, 16, 9, 11], [5, 7], [1, 3, 40]]) {
      const C = shape[1];
      const inputs = [randF32(shape, r), randF32([C], r, 0.5, 2), randF32([C], r), randF32([C], r), randF32([C], r, 0.1, 3)];
      await compareWithOrt({ op: 'BatchNormalization', inputs, attrs: { epsilon: { kind: 'float', value: 1e-3 } }, opset: 15 }, exact);
    }
  });
  it('qint8::BatchNormalizationNhwc equals BatchNormalization on NCHW (exact)', async () => {
    const shape = [2, 16, 9, 11];
    const inputs = [randF32(shape, r), randF32([16], r, 0.5, 2), randF32([16], r), randF32([16], r), randF32([16], r, 0.1, 3)];
    const c = { op: 'BatchNormalization', inputs, attrs: { epsilon: { kind: 'float' as const, value: 1e-3 } }, opset: 15 };
    const want = transposeNchwToNhwc((await runOrt(c))[0]);
    for (const isa of isas()) {
      const got = runQ({ ...c, inputs: [transposeNchwToNhwc(inputs[0]), ...inputs.slice(1)] }, [want], isa, 'qint8', 'BatchNormalizationNhwc');
      exact(got[0], want, `BatchNormalizationNhwc [${isa}]`);
    }
  });
  it('rejects training mode', () => {
    expect(() => createOp('', 'BatchNormalization', { training_mode: 1 }, [null, null, null, null, null])).toThrow(/training_mode/);
  });
});
