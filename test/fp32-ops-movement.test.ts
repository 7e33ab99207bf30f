// Data-movement engine ops against onnxruntime-node on every ISA: all exact (copies and index
// arithmetic), including Cast's out-of-range conversions and Resize's coordinate / weight
// arithmetic, which follow onnxruntime's float32 steps.
import { describe, expect, it } from 'vitest';
import { createOp } from '../lib/engine/ops';
import type { OpTensor } from '../lib/engine/ops';
import { type OpCase, compareWithOrt, exact, f32s, i64, isas, numel, randF32, rng, runOrt, runQ, t } from './helpers/fp32-ops';

const r = rng(4242);
const ints = (type: 'int64' | 'int32' | 'uint8' | 'int8' | 'bool', shape: number[], lo = -50, hi = 50) =>
  t(type, shape, Array.from({ length: numel(shape) }, () => (type === 'bool' ? r.next() & 1 : r.int(lo, hi))));
const check = (c: OpCase) => compareWithOrt(c, exact);

describe('Transpose', () => {
  it('any permutation, any element type (NCHW <-> NHWC, batched 2-D, generic)', async () => {
    const cases: [number[], number[]][] = [
      [[1, 64, 28, 28], [0, 2, 3, 1]],
      [[2, 14, 14, 96], [0, 3, 1, 2]],
      [[3, 4, 5], [2, 0, 1]],
      [[7, 1, 9], [2, 1, 0]],
      [[2, 3, 4, 5, 6], [4, 2, 0, 3, 1]],
      [[300, 17], [1, 0]],
      [[2, 8, 12, 64], [0, 2, 1, 3]],
      [[5, 6], [0, 1]],
      [[1, 1, 1], [2, 0, 1]],
      [[1, 512, 40, 40], [0, 2, 3, 1]],
      // images of 2-6 channels to NHWC (the few-rows transposes)
      [[2, 3, 9, 11], [0, 2, 3, 1]],
      [[1, 2, 5, 7], [0, 2, 3, 1]],
      [[1, 4, 6, 6], [0, 2, 3, 1]],
      [[1, 6, 5, 5], [0, 2, 3, 1]],
    ];
    for (const [shape, perm] of cases) {
      await check({ op: 'Transpose', inputs: [randF32(shape, r)], attrs: { perm } });
      await check({ op: 'Transpose', inputs: [ints('int64', shape)], attrs: { perm } });
      await check({ op: 'Transpose', inputs: [ints('uint8', shape, 0, 255)], attrs: { perm } });
    }
    await check({ op: 'Transpose', inputs: [ints('bool', [3, 4, 5])] });  // default: reversed axes
  });
});

describe('Concat / Split', () => {
  it('Concat along every axis, empty inputs, many inputs, element types', async () => {
    for (const axis of [0, 1, 2, -1]) {
      const base = [3, 4, 5];
      const ax = axis < 0 ? axis + 3 : axis;
      const part = (k: number) => base.map((d, i) => (i === ax ? k : d));
      await check({ op: 'Concat', inputs: [randF32(part(2), r), randF32(part(0), r), randF32(part(3), r)], attrs: { axis } });
    }
    await check({ op: 'Concat', inputs: Array.from({ length: 9 }, (_, k) => ints('int64', [2, k + 1])), attrs: { axis: 1 } });
    await check({ op: 'Concat', inputs: [randF32([1, 256, 40, 40], r), randF32([1, 128, 40, 40], r)], attrs: { axis: 1 } });
    await check({ op: 'Concat', inputs: [ints('bool', [2, 2]), ints('bool', [1, 2])], attrs: { axis: 0 } });
  });
  it('Split by sizes (input), equally, by num_outputs (opset 18), and the opset-11 attribute', async () => {
    const x = randF32([6, 10, 4], r);
    const split = async (c: Omit<OpCase, 'outTypes'>, n: number) => compareWithOrt({ ...c, outTypes: Array(n).fill(c.inputs[0]!.type) }, exact);
    await split({ op: 'Split', inputs: [x, i64([2, 5, 3])], attrs: { axis: 1 } }, 3);
    await split({ op: 'Split', inputs: [x, i64([1, 0, 5])], attrs: { axis: 0 } }, 3);
    await split({ op: 'Split', inputs: [x], attrs: { axis: -1 }, opset: 13 }, 2);
    await split({ op: 'Split', inputs: [x], attrs: { axis: 1, num_outputs: 3 } }, 3);
    await split({ op: 'Split', inputs: [x], attrs: { axis: 0, split: [4, 2] }, opset: 11 }, 2);
    await split({ op: 'Split', inputs: [ints('int64', [4, 3]), i64([1, 3])], attrs: { axis: 0 } }, 2);
  });
});

describe('Slice', () => {
  it('starts / ends / axes / steps, negative steps, clamping, the opset-9 attribute form', async () => {
    const x = randF32([6, 7, 8], r);
    const S = (starts: number[], ends: number[], axes?: number[], steps?: number[]) =>
      check({ op: 'Slice', inputs: [x, i64(starts), i64(ends), axes ? i64(axes) : undefined, steps ? i64(steps) : undefined] });
    await S([1], [4]);
    await S([1, 2], [-1, 100], [0, 2]);
    await S([-100, 0, 3], [100, 7, -2], [0, 1, 2], [2, 3, 1]);
    await S([5, -1], [-100, 0], [0, 2], [-1, -2]);
    await S([4], [1], [1], [-1]);
    await S([3], [3], [2]);
    await S([0, 0], [9007199254740991, 9007199254740991], [2, 1], [3, 4]);
    await S([-1], [-9007199254740991], [-1], [-3]);
    await check({ op: 'Slice', inputs: [x], attrs: { starts: [1, 2], ends: [5, 100], axes: [0, 2] }, opset: 9 });
    await check({ op: 'Slice', inputs: [ints('int64', [10]), i64([8]), i64([1]), i64([0]), i64([-2])] });
  });
});

describe('Gather / GatherElements', () => {
  it('Gather: axes, negative and scalar indices, int32 / int64 indices', async () => {
    const x = randF32([5, 6, 7], r);
    for (const axis of [0, 1, 2, -1])
      await check({ op: 'Gather', inputs: [x, i64([0, -1, 2, 2, -3], [5])], attrs: { axis } });
    await check({ op: 'Gather', inputs: [x, i64([3], [])], attrs: { axis: 1 } });
    await check({ op: 'Gather', inputs: [x, t('int32', [2, 2], [1, 0, -2, 4])], attrs: { axis: 0 } });
    await check({ op: 'Gather', inputs: [i64([10, 20, 30, 40]), i64([3, 0, -1], [3, 1])], attrs: { axis: 0 } });
    await check({ op: 'Gather', inputs: [randF32([30522, 8], r), t('int32', [2, 9], Array.from({ length: 18 }, () => r.int(0, 30521)))] });
  });
  it('GatherElements: every axis, negative indices', async () => {
    const x = randF32([4, 5, 6], r);
    for (const axis of [0, 1, 2]) {
      const dim = x.shape[axis];
      const ishape = [3, 4, 5];
      await check({ op: 'GatherElements', inputs: [x, ints('int64', ishape, -dim, dim - 1)], attrs: { axis } });
    }
  });
  it('out-of-range indices are errors, not crashes', () => {
    const op = createOp('', 'Gather', { axis: 0 }, [null, null]);
    expect(() =>
      op.run([f32s([1, 2, 3]), i64([3])], [{ type: 'float32', shape: [1], data: new Float32Array(1) }]),
    ).toThrow(/index 3 is out of range for axis 0 of size 3/);
    const ge = createOp('', 'GatherElements', { axis: 0 }, [null, null]);
    expect(() =>
      ge.run([f32s([1, 2, 3]), i64([-4])], [{ type: 'float32', shape: [1], data: new Float32Array(1) }]),
    ).toThrow(/out of range/);
  });
});

describe('Pad', () => {
  it('constant / reflect / edge / wrap, negative pads, axes, the opset-2 attribute form', async () => {
    const x = randF32([2, 3, 5, 6], r);
    for (const mode of ['constant', 'reflect', 'edge']) {
      await check({ op: 'Pad', inputs: [x, i64([0, 0, 1, 2, 0, 0, 2, 1])], attrs: { mode } });
      await check({ op: 'Pad', inputs: [x, i64([0, 1, 2, 3, 0, 1, 4, 5])], attrs: { mode } });
      await check({ op: 'Pad', inputs: [x, i64([0, 0, -1, 2, 0, 0, 1, -2])], attrs: { mode } });
    }
    await check({ op: 'Pad', inputs: [x, i64([1, 1, 1, 1, 1, 1, 1, 1]), f32s([2.5], [])], attrs: { mode: 'constant' } });
    await check({ op: 'Pad', inputs: [x, i64([3, 2, 1, 4]), undefined, i64([2, -1])], attrs: { mode: 'constant' } });
    await check({ op: 'Pad', inputs: [x, i64([0, 0, 2, 3, 0, 0, 4, 7])], attrs: { mode: 'wrap' }, opset: 19 });
    await check({ op: 'Pad', inputs: [ints('int64', [3, 4]), i64([1, 2, 0, 1]), i64([-7], [])] });
    await check({ op: 'Pad', inputs: [x], attrs: { pads: [0, 0, 1, 1, 0, 0, 1, 1], value: { kind: 'float', value: -1 } }, opset: 10 });
  });
});

describe('Expand / Tile', () => {
  it('Expand to broadcast shapes', async () => {
    await check({ op: 'Expand', inputs: [randF32([3, 1], r), i64([2, 3, 4])] });
    await check({ op: 'Expand', inputs: [randF32([1, 5], r), i64([4, 1])] });
    await check({ op: 'Expand', inputs: [ints('int64', [1]), i64([3, 2])] });
    await check({ op: 'Expand', inputs: [randF32([2, 1, 6], r), i64([1, 2, 7, 1])] });
  });
  it('Tile with every repeat pattern', async () => {
    await check({ op: 'Tile', inputs: [randF32([2, 3], r), i64([3, 2])] });
    await check({ op: 'Tile', inputs: [randF32([2, 1, 3], r), i64([1, 4, 1])] });
    await check({ op: 'Tile', inputs: [ints('bool', [3]), i64([5])] });
    await check({ op: 'Tile', inputs: [randF32([2, 3], r), i64([0, 2])] });
  });
});

describe('Cast / CastLike', () => {
  const SPECIAL = [NaN, 1, 2.7, -2.7, -0, 0.5, 3e9, -3e9, 300, -1, -129.7, 255.9, 256.5, Infinity, -Infinity, 2.5, -2.5, 1e20, -1e20, 127.5, -128.5];
  it('float32 to every type, including NaN, infinities and out-of-range values (onnxruntime on x86)', async () => {
    const x = f32s(SPECIAL);
    for (const [to, ty] of [[2, 'uint8'], [3, 'int8'], [6, 'int32'], [7, 'int64'], [9, 'bool'], [11, 'float64'], [1, 'float32']] as const)
      await check({ op: 'Cast', inputs: [x], attrs: { to }, outTypes: [ty] });
  });
  it('between integer types, bool and float64', async () => {
    const big = t('int64', [6], [BigInt('9007199254740993'), -5, 300, -129, 2 ** 40 + 7, 0]);
    for (const [to, ty] of [[1, 'float32'], [2, 'uint8'], [3, 'int8'], [6, 'int32'], [9, 'bool'], [11, 'float64']] as const)
      await check({ op: 'Cast', inputs: [big], attrs: { to }, outTypes: [ty] });
    const d = t('float64', [8], [1e300, -1e300, 0.1, 16777217, NaN, 2.5e9, -0, 3.4028235677973366e38]);
    for (const [to, ty] of [[1, 'float32'], [6, 'int32'], [7, 'int64'], [9, 'bool']] as const)
      await check({ op: 'Cast', inputs: [d], attrs: { to }, outTypes: [ty] });
    await check({ op: 'Cast', inputs: [ints('bool', [7])], attrs: { to: 1 }, outTypes: ['float32'] });
    await check({ op: 'Cast', inputs: [ints('uint8', [7], 0, 255)], attrs: { to: 3 }, outTypes: ['int8'] });
    await check({ op: 'CastLike', inputs: [f32s(SPECIAL), i64([0])], outTypes: ['int64'], opset: 15 });
  });
});

describe('Reshape-likes, Shape, Size, Range, ConstantOfShape', () => {
  it('Reshape / Flatten / Squeeze / Unsqueeze / Identity', async () => {
    const x = randF32([2, 3, 1, 4], r);
    await check({ op: 'Reshape', inputs: [x, i64([0, -1])] });
    await check({ op: 'Reshape', inputs: [x, i64([4, 0, 2])] });
    await check({ op: 'Reshape', inputs: [randF32([0, 3], r), i64([3, 0])], attrs: { allowzero: 1 } });
    for (const axis of [0, 1, 3, 4, -1]) await check({ op: 'Flatten', inputs: [x], attrs: { axis } });
    await check({ op: 'Squeeze', inputs: [x] });
    await check({ op: 'Squeeze', inputs: [x, i64([-2])] });
    await check({ op: 'Squeeze', inputs: [x], attrs: { axes: [2] }, opset: 11 });
    await check({ op: 'Unsqueeze', inputs: [x, i64([0, -1])] });
    await check({ op: 'Unsqueeze', inputs: [x], attrs: { axes: [1] }, opset: 11 });
    await check({ op: 'Identity', inputs: [ints('int64', [3, 3])] });
    // Dropout at inference: the input, and an all-true mask.
    const dx = randF32([4, 5], r);
    await compareWithOrt({ op: 'Dropout', inputs: [dx, f32s([0.3], []), t('bool', [], [0])], outTypes: ['float32', 'bool'], opset: 13 }, exact);
    const drop = createOp('', 'Dropout', {}, [null, null, null]);
    expect(() =>
      drop.run([dx, f32s([0.3], []), t('bool', [], [1])], [{ type: 'float32', shape: [4, 5], data: new Float32Array(20) }]),
    ).toThrow(/training_mode with a non-zero ratio is not supported/);
  });
  it('Shape (start / end), Size', async () => {
    const x = randF32([2, 3, 4, 5], r);
    await check({ op: 'Shape', inputs: [x], outTypes: ['int64'] });
    for (const [start, end] of [[1, 3], [-2, 100], [2, 1], [-10, -1]])
      await check({ op: 'Shape', inputs: [x], attrs: { start, end }, outTypes: ['int64'], opset: 15 });
    await check({ op: 'Size', inputs: [x], outTypes: ['int64'] });
  });
  it('Range (accumulated like onnxruntime) and ConstantOfShape', async () => {
    await check({ op: 'Range', inputs: [f32s([0.1], []), f32s([7.3], []), f32s([0.7], [])] });
    await check({ op: 'Range', inputs: [f32s([5], []), f32s([-3], []), f32s([-1.3], [])] });
    await check({ op: 'Range', inputs: [i64([0], []), i64([10], []), i64([3], [])] });
    await check({ op: 'Range', inputs: [t('int32', [], [10]), t('int32', [], [2]), t('int32', [], [-2])] });
    await check({ op: 'ConstantOfShape', inputs: [i64([2, 3])], outTypes: ['float32'] });
    await check({ op: 'ConstantOfShape', inputs: [i64([4])], attrs: { value: { kind: 'tensor', value: t('int64', [1], [7]) } }, outTypes: ['int64'] });
    await check({ op: 'ConstantOfShape', inputs: [i64([2, 2])], attrs: { value: { kind: 'tensor', value: f32s([1.5]) } }, outTypes: ['float32'] });
  });
});

describe('DepthToSpace / SpaceToDepth', () => {
  it('DCR, CRD and the inverse', async () => {
    const x = randF32([2, 18, 5, 7], r);
    await check({ op: 'DepthToSpace', inputs: [x], attrs: { blocksize: 3, mode: 'DCR' } });
    await check({ op: 'DepthToSpace', inputs: [x], attrs: { blocksize: 3, mode: 'CRD' } });
    await check({ op: 'SpaceToDepth', inputs: [randF32([2, 3, 8, 12], r)], attrs: { blocksize: 4 } });
  });
});

// ---- Resize ---------------------------------------------------------------------------------

const COORD = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];

function nchwToNhwc(x: OpTensor): OpTensor {
  const [N, C, H, W] = x.shape;
  const s = x.data as Float32Array;
  const d = new Float32Array(s.length);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) d[((n * H + h) * W + w) * C + c] = s[((n * C + c) * H + h) * W + w];
  return { type: 'float32', shape: [N, H, W, C], data: d };
}

/** The source coordinate of output index o (onnxruntime's float32 formula, Math.fround per step). */
function origCoord(ct: string, o: number, scale: number, lenOut: number, lenIn: number): number {
  const f = Math.fround;
  const s = f(scale);
  switch (ct) {
    case 'asymmetric': return f(o / s);
    case 'pytorch_half_pixel': return lenOut > 1 ? f(f(f(o + 0.5) / s) - 0.5) : 0;
    case 'tf_half_pixel_for_nn': return f(f(o + 0.5) / s);
    case 'align_corners': return lenOut === 1 ? 0 : f(f(o * (lenIn - 1)) / (lenOut - 1));
    default: return f(f(f(o + 0.5) / s) - 0.5);
  }
}

describe('Resize', () => {
  // Nearest with fractional scales: for a source coordinate within 2^-20 of a half-way point
  // (e.g. 4.5 / 0.6 = 7.4999995 in float32), onnxruntime's build sometimes lands on the other
  // neighbour (its result is not reproducible from its source's float32 formula; it looks like a
  // reciprocal multiply in some code paths). Inputs are arange so outputs name their source
  // element; an index may differ from onnxruntime's by one only at such a tie, and nowhere else.
  it('nearest: every nearest_mode and coordinate mode, up and down, by scales and by sizes', async () => {
    const shape = [2, 3, 9, 11];
    const x = t('float32', shape, Array.from({ length: numel(shape) }, (_, i) => i));
    for (const nearest_mode of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'])
      for (const ct of [...COORD, 'tf_half_pixel_for_nn']) {
        const attrs = { mode: 'nearest', nearest_mode, coordinate_transformation_mode: ct };
        for (const [label, inputs] of [
          ['up', [x, undefined, f32s([1, 1, 2, 1.7])]],
          ['down', [x, undefined, f32s([1, 1, 0.5, 0.6])]],
          ['sizes', [x, undefined, undefined, i64([2, 3, 20, 7])]],
          ['x2', [x, undefined, f32s([1, 1, 2, 2])]],
        ] as [string, OpCase['inputs']][]) {
          const what = `Resize ${nearest_mode} ${ct} ${label}`;
          await compareWithOrt({ op: 'Resize', inputs, attrs }, (got, want) => {
            expect(got.shape, what).toEqual(want.shape);
            const [, , OH, OW] = want.shape;
            const scales = inputs[2] ? Array.from(inputs[2].data as Float32Array) : [1, 1, OH / 9, OW / 11];
            const g = got.data as Float32Array;
            const w = want.data as Float32Array;
            for (let i = 0; i < w.length; i++) {
              if (g[i] === w[i]) continue;
              const oh = Math.floor(i / OW) % OH, ow = i % OW;
              const dh = Math.floor(g[i] / 11) % 9 - Math.floor(w[i] / 11) % 9, dw = (g[i] % 11) - (w[i] % 11);
              const tieH = Math.abs((origCoord(ct, oh, Math.fround(scales[2]), OH, 9) % 1) - 0.5) < 2 ** -20 * 16;
              const tieW = Math.abs((origCoord(ct, ow, Math.fround(scales[3]), OW, 11) % 1) - 0.5) < 2 ** -20 * 16;
              const ok = Math.abs(dh) + Math.abs(dw) === 1 && ((dh !== 0 && tieH) || (dw !== 0 && tieW));
              if (!ok) expect.fail(`${what}: index ${i}: source ${g[i]}, onnxruntime ${w[i]} (not a half-way tie)`);
            }
          });
        }
      }
    await check({ op: 'Resize', inputs: [t('int32', [1, 2, 3, 3], Array.from({ length: 18 }, (_, i) => i - 9)), undefined, f32s([1, 1, 2, 2])], attrs: { mode: 'nearest' } });
    await check({ op: 'Resize', inputs: [ints('uint8', [1, 3, 4, 4], 0, 255), undefined, f32s([1, 1, 3, 3])], attrs: { mode: 'nearest' } });
    await check({ op: 'Resize', inputs: [randF32([4, 5, 6], r), undefined, f32s([2, 1, 0.5])], attrs: { mode: 'nearest' } });
  });
  it('linear (bilinear): coordinate modes, up and down, 2-D, NCHW and NHWC scales', async () => {
    const x = randF32([2, 4, 9, 13], r);
    for (const ct of COORD) {
      const attrs = { mode: 'linear', coordinate_transformation_mode: ct };
      await check({ op: 'Resize', inputs: [x, undefined, f32s([1, 1, 2, 2])], attrs });
      await check({ op: 'Resize', inputs: [x, undefined, f32s([1, 1, 0.6, 1.5])], attrs });
      await check({ op: 'Resize', inputs: [x, undefined, undefined, i64([2, 4, 4, 31])], attrs });
      await check({ op: 'Resize', inputs: [randF32([9, 13], r), undefined, f32s([3, 0.8])], attrs });
      await check({ op: 'Resize', inputs: [nchwToNhwc(x), undefined, f32s([1, 2.5, 0.5, 1])], attrs });
    }
    await check({ op: 'Resize', inputs: [randF32([1, 96, 40, 40], r), undefined, f32s([1, 1, 4, 4])], attrs: { mode: 'linear' } });
  });
  it('tf_crop_and_resize with roi and extrapolation_value', async () => {
    const x = randF32([1, 2, 8, 10], r);
    const roi = f32s([0, 0, 0.2, -0.1, 1, 1, 0.9, 1.3]);
    for (const mode of ['nearest', 'linear'])
      await check({
        op: 'Resize',
        inputs: [x, roi, undefined, i64([1, 2, 6, 7])],
        attrs: { mode, coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: { kind: 'float', value: -7 } },
      });
  });
  it('opset 18-19: axes and keep_aspect_ratio_policy', async () => {
    const x = randF32([1, 3, 10, 16], r);
    await check({ op: 'Resize', inputs: [x, undefined, f32s([2, 0.5])], attrs: { mode: 'linear', axes: [2, 3] }, opset: 19 });
    for (const keep_aspect_ratio_policy of ['not_larger', 'not_smaller'])
      await check({ op: 'Resize', inputs: [x, undefined, undefined, i64([7, 9])], attrs: { mode: 'nearest', axes: [2, 3], keep_aspect_ratio_policy }, opset: 19 });
  });
  it('qint8::ResizeNhwc (X / Y channels-last, parameters in NCHW order) equals Resize on NCHW', async () => {
    const x = randF32([2, 20, 12, 16], r);
    for (const mode of ['nearest', 'linear'])
      for (const [scales, sizes, attrs] of [
        [f32s([1, 1, 2, 1.5]), undefined, {}],
        [undefined, i64([2, 20, 7, 33]), {}],
        [f32s([0.5, 3]), undefined, { axes: [2, 3] }],
      ] as [OpTensor | undefined, OpTensor | undefined, Record<string, number[]>][]) {
        const c: OpCase = { op: 'Resize', inputs: [x, undefined, scales, sizes], attrs: { mode, ...attrs }, opset: 19 };
        const want = await runOrt(c);
        const wantNhwc = nchwToNhwc(want[0]);
        for (const isa of isas()) {
          const got = runQ({ ...c, inputs: [nchwToNhwc(x), undefined, scales, sizes] }, [wantNhwc], isa, 'qint8', 'ResizeNhwc');
          exact(got[0], wantNhwc, `ResizeNhwc ${mode} [${isa}]`);
        }
      }
  });
  it('unsupported configurations are clear errors', () => {
    expect(() => createOp('', 'Resize', { mode: 'cubic' }, [null, undefined, null])).toThrow(/mode 'cubic' is not supported/);
    const op = createOp('', 'Resize', { mode: 'linear' }, [null, undefined, null]);
    expect(() =>
      op.run([randF32([2, 3, 4, 5], r), undefined, f32s([2, 1, 2, 1])], [{ type: 'float32', shape: [4, 3, 8, 5], data: new Float32Array(480) }]),
    ).toThrow(/linear mode supports/);
  });
});
