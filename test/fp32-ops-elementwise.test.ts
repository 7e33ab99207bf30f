// Elementwise engine ops against onnxruntime-node on random inputs and shapes, on every ISA.
// Exact (bit for bit, NaN == NaN): IEEE arithmetic, Max / Min (NaN and +-0 semantics included),
// comparisons, logic, Where, Pow (both sides call the same libm pow), Relu / Clip / LeakyRelu /
// HardSigmoid / HardSwish / rounding / Sign / Sqrt / Reciprocal. Transcendental functions: both
// sides approximate; each tolerance below is our measured bound (native/test/test_f32.cc) plus
// onnxruntime's error measured against float64 on a dense grid of [-30, 30] (noted per op).
import { describe, expect, it } from 'vitest';
import { createOp } from '../lib/engine/ops';
import { type OpCase, type Tol, compareWithOrt, exact, exactValue, expectClose, f32s, i64, numel, randF32, rng, t } from './helpers/fp32-ops';

const r = rng(20240601);

const SPECIALS = [0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3, -3, 6, -6, 1e-30, -1e-30, 1e30, -1e30, Infinity, -Infinity, NaN, 88.7, -87.3, 100, -100];

/** A float32 tensor of random values in [lo, hi] with the special values sprinkled in. */
function values(shape: number[], lo = -8, hi = 8, specials = true): ReturnType<typeof randF32> {
  const x = randF32(shape, r, lo, hi);
  if (specials) for (let i = 0; i < SPECIALS.length && i * 7 < x.data.length; i++) (x.data as Float32Array)[i * 7] = SPECIALS[i];
  return x;
}

const BCAST: [number[], number[]][] = [
  [[2, 3, 17, 9], [2, 3, 17, 9]], // same shape
  [[4, 33, 20], []], // scalar
  [[], [3, 35]], // scalar first
  [[16, 300], [300]], // trailing vector (per-channel, channels last)
  [[300, 64], [300, 1]], // [N, 1] column
  [[2, 32, 7, 9], [1, 32, 1, 1]], // per-channel NCHW
  [[5, 1, 7], [1, 6, 1]], // general
  [[3, 1], [1, 4]],
  [[1, 8, 1, 16], [2, 1, 3, 1]],
  [[70001], [70001]], // long enough to be split over threads
  [[0, 5], [5]], // empty
];

describe('binary arithmetic with broadcasting (exact)', () => {
  // Max / Min of +0 and -0: which one onnxruntime returns depends on how its broadcaster splits
  // the output into spans (max(a, b) returns b on a tie, and a scalar-first span computes
  // max(b, a)); ours follows the same rule for same-shape, scalar and scalar-first runs (checked
  // exactly below) but splits general broadcasts differently, so the sign of a zero tie is not
  // compared there.
  for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min']) {
    it(`${op} float32 over broadcast patterns`, async () => {
      for (const [sa, sb] of BCAST) {
        const a = values(sa);
        const b = values(sb, op === 'Div' ? 0.25 : -8, 8);
        await compareWithOrt({ op, inputs: [a, b] }, op === 'Max' || op === 'Min' ? exactValue : exact, {
          what: `${op} ${JSON.stringify(sa)} x ${JSON.stringify(sb)}`,
        });
      }
    });
  }
  it('Max / Min propagate NaN and keep onnxruntime\'s choice between +0 and -0', async () => {
    const a = f32s([NaN, 1, 2, -0, 0, -0, 0, 3]);
    const b = f32s([1, NaN, NaN, 0, -0, -0, 0, 3]);
    for (const op of ['Max', 'Min']) await compareWithOrt({ op, inputs: [a, b] }, exact);
  });
  it('variadic Max / Min / Sum / Mean with 1 to 4 inputs', async () => {
    for (const op of ['Max', 'Min', 'Sum', 'Mean']) {
      await compareWithOrt({ op, inputs: [values([3, 5])] }, exact);
      await compareWithOrt({ op, inputs: [values([2, 1, 5]), values([3, 1]), values([5])] }, exact);
      await compareWithOrt({ op, inputs: [values([4, 6]), values([4, 6]), values([1, 6]), values([4, 1])] }, exact);
    }
  });
  it('integer and float64 types', async () => {
    const ints = (type: 'int32' | 'int64', shape: number[], lo: number, hi: number) =>
      t(type, shape, Array.from({ length: numel(shape) }, () => r.int(lo, hi)));
    for (const type of ['int32', 'int64'] as const)
      for (const op of ['Add', 'Sub', 'Mul', 'Max', 'Min']) {
        await compareWithOrt({ op, inputs: [ints(type, [4, 7], -1000, 1000), ints(type, [7], -1000, 1000)] }, exact);
      }
    for (const type of ['int32', 'int64'] as const) {
      const b = ints(type, [3, 1], 1, 9);
      for (let i = 0; i < b.data.length; i += 2) (b.data as Int32Array)[i] = (type === 'int32' ? -3 : BigInt(-3)) as never;
      await compareWithOrt({ op: 'Div', inputs: [ints(type, [3, 5], -100, 100), b] }, exact);
    }
    const d = (shape: number[]) => t('float64', shape, Array.from({ length: numel(shape) }, () => r.float(-5, 5)));
    for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min']) await compareWithOrt({ op, inputs: [d([3, 4]), d([4])] }, exact);
    const u8 = (shape: number[]) => t('uint8', shape, Array.from({ length: numel(shape) }, () => r.int(0, 255)));
    for (const op of ['Add', 'Sub', 'Mul']) await compareWithOrt({ op, inputs: [u8([5, 6]), u8([6])], opset: 14 }, exact);
  });
  it('PRelu with per-channel and full slopes', async () => {
    await compareWithOrt({ op: 'PRelu', inputs: [values([2, 8, 5, 5]), values([8, 1, 1])] }, exact);
    await compareWithOrt({ op: 'PRelu', inputs: [values([3, 10]), values([10])] }, exact);
    await compareWithOrt({ op: 'PRelu', inputs: [values([3, 10]), values([3, 10])] }, exact);
  });
});

describe('Pow (exact: x * x and x * x * x for exponents 2 and 3, else libm pow on both sides)', () => {
  it('float32 ^ scalar exponents', async () => {
    for (const e of [2, 3, 0.5, -1.5, 1, 0, 2.7])
      await compareWithOrt({ op: 'Pow', inputs: [values([5, 41], -4, 4), f32s([e], [])] }, exact, { what: `Pow ^ ${e}` });
  });
  it('vector exponents, integer exponents and integer bases', async () => {
    await compareWithOrt({ op: 'Pow', inputs: [values([4, 9], 0.1, 3, false), values([9], -3, 3, false)] }, exact);
    await compareWithOrt({ op: 'Pow', inputs: [values([4, 9], -3, 3, false), i64([2])] }, exact);
    await compareWithOrt({ op: 'Pow', inputs: [values([4, 9], -3, 3, false), i64([3, -1, 0, 5, 2, 1, 4, -2, 3])] }, exact);
    await compareWithOrt({ op: 'Pow', inputs: [i64([2, -3, 5, 7, 0, 1]), i64([3, 2, 0, 2, 3, 9])] }, exact);
    await compareWithOrt({ op: 'Pow', inputs: [t('int32', [4], [2, -3, 5, 7]), t('int32', [], [3])] }, exact);
  });
});

describe('comparisons, logic, Where (exact)', () => {
  it('Equal / Less / Greater / LessOrEqual / GreaterOrEqual', async () => {
    for (const op of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual'])
      for (const [sa, sb] of BCAST.slice(0, 9)) {
        const a = values(sa, -2, 2);
        const b = values(sb, -2, 2);
        // Some equal pairs.
        const n = Math.min(a.data.length, b.data.length);
        for (let i = 1; i < n; i += 5) (a.data as Float32Array)[i] = (b.data as Float32Array)[i];
        await compareWithOrt({ op, inputs: [a, b], outTypes: ['bool'] }, exact, { what: `${op} ${JSON.stringify(sa)} x ${JSON.stringify(sb)}` });
      }
    await compareWithOrt({ op: 'Equal', inputs: [i64([1, 2, 3, -4]), i64([1, 5, 3, 4])], outTypes: ['bool'] }, exact);
    await compareWithOrt({ op: 'Less', inputs: [t('int32', [2, 3], [1, 2, 3, 4, 5, 6]), t('int32', [3], [2, 2, 7])], outTypes: ['bool'] }, exact);
    await compareWithOrt({ op: 'Equal', inputs: [t('bool', [4], [1, 0, 1, 0]), t('bool', [4], [1, 1, 0, 0])], outTypes: ['bool'] }, exact);
  });
  it('And / Or / Xor / Not', async () => {
    const bools = (shape: number[]) => t('bool', shape, Array.from({ length: numel(shape) }, () => r.next() & 1));
    for (const op of ['And', 'Or', 'Xor']) {
      await compareWithOrt({ op, inputs: [bools([3, 4, 5]), bools([4, 5])] }, exact);
      await compareWithOrt({ op, inputs: [bools([7, 1]), bools([1, 9])] }, exact);
    }
    await compareWithOrt({ op: 'Not', inputs: [bools([5, 13])] }, exact);
  });
  // onnxruntime's Where merges X-selected and Y-selected values with `x != 0 ? x : y`, so a
  // selected -0 from X comes out as +0 there; we return the selected value itself (the ONNX
  // definition). Zeros are therefore compared by value.
  it('Where with three-way broadcasting, any element type', async () => {
    const cond = (shape: number[]) => t('bool', shape, Array.from({ length: numel(shape) }, () => r.next() & 1));
    const w = (inputs: OpCase['inputs']) => compareWithOrt({ op: 'Where', inputs, outTypes: [inputs[1]!.type] }, exactValue);
    await w([cond([4, 1, 9]), values([1, 5, 9]), values([4, 5, 1])]);
    await w([cond([1000]), values([1000]), f32s([-1e9], [])]);
    await w([cond([]), values([3, 3]), values([3, 3])]);
    await w([cond([2, 3]), i64([1, 2, 3]), i64([7], [1, 1])]);
    await w([cond([2, 3]), t('int32', [3], [1, 2, 3]), t('int32', [2, 1], [8, 9])]);
    await w([cond([6]), t('uint8', [6], [1, 2, 3, 4, 5, 6]), t('uint8', [], [200])]);
  });
});

// onnxruntime's error against float64 on [-30, 30] (measured with onnxruntime 1.30 on a grid of
// 600001 points): Exp 0.85 ulp, Log 3.0 ulp, Erf 0.95 ulp, Tanh 5.5 ulp, Softplus 4.5 ulp,
// Sigmoid absolute 1.7e-7 (relative up to 8e-5 for small outputs), Elu / Selu / Celu absolute
// 1.5e-7 * alpha (* gamma) (e^x - 1 cancels near 0), Gelu absolute 4.5e-7 (erf) and 7.7e-7
// (tanh form; 1 + erf / 1 + tanh cancel for x << 0).
const UNARY: [string, Record<string, unknown>, Tol | 'exact', number?][] = [
  ['Relu', {}, 'exact'],
  ['Neg', {}, 'exact'],
  ['Abs', {}, 'exact'],
  ['Sqrt', {}, 'exact'],
  ['Reciprocal', {}, 'exact'],
  ['Floor', {}, 'exact'],
  ['Ceil', {}, 'exact'],
  ['Round', {}, 'exact'],
  ['Sign', {}, 'exact'],
  ['LeakyRelu', { alpha: { kind: 'float', value: 0.1 } }, 'exact'],
  ['HardSigmoid', { alpha: { kind: 'float', value: 0.3 }, beta: { kind: 'float', value: 0.4 } }, 'exact'],
  ['HardSwish', {}, 'exact', 14],
  ['ThresholdedRelu', { alpha: { kind: 'float', value: 0.7 } }, 'exact', 10],
  ['Softsign', {}, { ulp: 4 }],
  ['Exp', {}, { ulp: 2 }],
  ['Log', {}, { ulp: 4 }],
  ['Erf', {}, { ulp: 2 }],
  ['Tanh', {}, { ulp: 7 }],
  ['Sigmoid', {}, { ulp: 3, abs: 2e-7 }],
  ['Softplus', {}, { ulp: 8 }],
  ['Elu', { alpha: { kind: 'float', value: 1.3 } }, { ulp: 4, abs: 2.2e-7 }],
  ['Selu', {}, { ulp: 4, abs: 3e-7 * 1.0507 * 1.6733 }],
  ['Celu', { alpha: { kind: 'float', value: 1.3 } }, { ulp: 4, abs: 2.2e-7 }, 12],
  ['Gelu', {}, { ulp: 4, abs: 5e-7 }, 20],
  ['Gelu', { approximate: 'tanh' }, { ulp: 6, abs: 8e-7 }, 20],
];

describe('unary activations and math functions', () => {
  for (const [op, attrs, tol, opset] of UNARY) {
    it(`${op}${attrs.approximate ? ' (tanh)' : ''}: ${tol === 'exact' ? 'exact' : JSON.stringify(tol)}`, async () => {
      const domainLo = op === 'Log' || op === 'Sqrt' ? 1e-3 : -30;
      for (const shape of [[1000], [7, 33], [3, 50001]]) {
        const x = values(shape, domainLo, 30);
        const c: OpCase = { op, inputs: [x], attrs: attrs as OpCase['attrs'], opset };
        await compareWithOrt(c, (g, w, what) => (tol === 'exact' ? exact(g, w, what) : expectClose(g, w, tol, what)));
      }
    });
  }
  it('Clip with no bound, a lower bound only, and both (NaN passes through)', async () => {
    const x = values([9, 31]);
    await compareWithOrt({ op: 'Clip', inputs: [x] }, exact);
    await compareWithOrt({ op: 'Clip', inputs: [x, f32s([-1.5], [])] }, exact);
    await compareWithOrt({ op: 'Clip', inputs: [x, undefined, f32s([2], [])] }, exact);
    await compareWithOrt({ op: 'Clip', inputs: [x, f32s([0], []), f32s([6], [])] }, exact);
    await compareWithOrt({ op: 'Clip', inputs: [x, f32s([3], []), f32s([1], [])] }, exact);
  });
  it('integer Relu / Neg / Abs / Sign / Clip', async () => {
    const x = t('int32', [10], [-5, -1, 0, 1, 7, -2147483647, 2147483647, 3, -8, 100]);
    for (const op of ['Relu', 'Neg', 'Abs', 'Sign']) await compareWithOrt({ op, inputs: [x], opset: op === 'Relu' ? 14 : 18 }, exact);
    await compareWithOrt({ op: 'Clip', inputs: [i64([-5, 0, 5, 9]), i64([-1], []), i64([6], [])] }, exact);
  });
});

describe('bad input', () => {
  it('mismatched shapes and types are RangeErrors naming the problem', () => {
    const add = createOp('', 'Add', {}, [null, null]);
    expect(() =>
      add.run([f32s([1, 2, 3]), f32s([1, 2])], [{ type: 'float32', shape: [3], data: new Float32Array(3) }]),
    ).toThrow(/do not broadcast/);
    expect(() =>
      add.run([f32s([1, 2, 3]), i64([1, 2, 3])], [{ type: 'float32', shape: [3], data: new Float32Array(3) }]),
    ).toThrow(/input 1 must have the input's type float32, got int64/);
    expect(() =>
      add.run([f32s([1, 2, 3]), f32s([1])], [{ type: 'float32', shape: [4], data: new Float32Array(4) }]),
    ).toThrow(/output has shape \[4\], expected \[3\]/);
    const div = createOp('', 'Div', {}, [null, null]);
    expect(() => div.run([i64([1, 2]), i64([1, 0])], [{ type: 'int64', shape: [2], data: new BigInt64Array(2) }])).toThrow(
      /integer division by zero/,
    );
    expect(() => createOp('', 'Gelu', { approximate: 'fast' }, [null])).toThrow(/approximate must be 'none' or 'tanh'/);
    const exp = createOp('', 'Exp', {}, [null]);
    expect(() => exp.run([i64([1])], [{ type: 'int64', shape: [1], data: new BigInt64Array(1) }])).toThrow(/element type int64 is not supported/);
  });
});
