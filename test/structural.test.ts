// concat / pad / resize against onnxruntime-node: QLinearConcat (com.microsoft) and Pad bit for
// bit; Resize nearest bit for bit; Resize linear within its documented 1-LSB bound (and exact
// against the integer formula); every ISA; bad arguments.
import { describe, expect, it } from 'vitest';
import { concat, cpuInfo, pad, padOutputShape, resize, resizeOutputShape } from '../lib';
import type { CoordinateTransformationMode, NearestMode, QuantTensor, ResizeParams } from '../lib';
import { DataType, attrInt, buildModel, firstDiff, rng, runOrt, tensor } from './helpers/onnx';

const isas = cpuInfo().supportedIsas;
type Q = Uint8Array | Int8Array;

function bytes(n: number, r: ReturnType<typeof rng>, signed: boolean): Q {
  const u = Uint8Array.from({ length: n }, () => r.next() & 255);
  return signed ? new Int8Array(u.buffer) : u;
}
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const str = (s: string) => ({ type: 3, s: new TextEncoder().encode(s) });

describe('concat = onnxruntime QLinearConcat', () => {
  const cases: { shapes: number[][]; axis: number }[] = [
    { shapes: [[1, 4, 4, 8], [1, 4, 4, 16]], axis: 3 },
    { shapes: [[2, 3, 5], [2, 1, 5], [2, 7, 5]], axis: 1 },
    { shapes: [[3, 4], [5, 4]], axis: 0 },
    { shapes: [[1, 7, 7, 33], [1, 7, 7, 1], [1, 7, 7, 64]], axis: -1 },
    { shapes: [[1, 56, 56, 24], [1, 56, 56, 40]], axis: 3 },
    { shapes: [[1, 300000], [1, 5]], axis: 1 },
  ];
  for (const signed of [false, true])
    for (const { shapes, axis } of cases)
      it(`${signed ? 'int8' : 'uint8'} axis ${axis} ${JSON.stringify(shapes)}`, async () => {
        const r = rng(shapes.flat().reduce((a, b) => a * 3 + b, 1) + (signed ? 9 : 0));
        const zp = () => (signed ? r.int(-128, 127) : r.int(0, 255));
        const out = { scale: Math.fround(r.float(0.01, 0.1)), zeroPoint: zp() };
        // The second input shares the output's qparams (a plain copy); the others requantize.
        const inputs: QuantTensor[] = shapes.map((s, i) => ({
          data: bytes(size(s), r, signed),
          shape: s,
          ...(i === 1 ? out : { scale: Math.fround(r.float(0.005, 0.2)), zeroPoint: zp() }),
        }));
        const T = signed ? DataType.INT8 : DataType.UINT8;
        const Z = signed ? Int8Array : Uint8Array;
        const names = inputs.flatMap((_, i) => [`x${i}`, `s${i}`, `z${i}`]);
        const model = buildModel({
          nodes: [{ opType: 'QLinearConcat', domain: 'com.microsoft', input: ['ys', 'yz', ...names], output: ['y'], attribute: [attrInt('axis', axis)] }],
          inputs: inputs.map((t, i) => ({ name: `x${i}`, type: T, dims: [...t.shape!] })),
          outputs: [{ name: 'y', type: T }],
          initializers: [
            tensor('ys', new Float32Array([out.scale]), []),
            tensor('yz', new Z([out.zeroPoint]), []),
            ...inputs.flatMap((t, i) => [tensor(`s${i}`, new Float32Array([t.scale]), []), tensor(`z${i}`, new Z([t.zeroPoint]), [])]),
          ],
          msOpset: 1,
        });
        const feeds = Object.fromEntries(inputs.map((t, i) => [`x${i}`, { data: t.data, dims: [...t.shape!] }]));
        const want = (await runOrt(model, feeds)).y.data as Q;
        for (const isa of isas) expect(firstDiff(concat(inputs, axis, out, { isa }), want), isa).toBe(-1);
      });
});

describe('pad = onnxruntime Pad', () => {
  const cases: { shape: number[]; pads: number[]; mode: 'constant' | 'reflect' | 'edge' }[] = [
    { shape: [1, 5, 5, 3], pads: [0, 1, 2, 0, 0, 2, 1, 0], mode: 'constant' },
    { shape: [1, 5, 5, 3], pads: [0, 1, 2, 0, 0, 2, 1, 0], mode: 'reflect' },
    { shape: [1, 5, 5, 3], pads: [0, 1, 2, 0, 0, 2, 1, 0], mode: 'edge' },
    { shape: [2, 7, 9], pads: [1, 0, 3, 0, 2, 4], mode: 'constant' },
    { shape: [2, 7, 9], pads: [1, 6, 3, 1, 5, 8], mode: 'reflect' },
    { shape: [2, 7, 9], pads: [3, 7, 9, 2, 8, 10], mode: 'edge' },
    { shape: [13], pads: [5, 7], mode: 'reflect' },
    { shape: [1, 56, 56, 64], pads: [0, 1, 1, 0, 0, 1, 1, 0], mode: 'constant' },
  ];
  for (const signed of [false, true])
    for (const { shape, pads, mode } of cases)
      it(`${signed ? 'int8' : 'uint8'} ${mode} [${shape}] pads [${pads}]`, async () => {
        const r = rng(size(shape) + pads.length + (signed ? 1 : 0));
        const x = bytes(size(shape), r, signed);
        const zp = signed ? -17 : 131;
        const T = signed ? DataType.INT8 : DataType.UINT8;
        const Z = signed ? Int8Array : Uint8Array;
        const model = buildModel({
          nodes: [{ opType: 'Pad', input: mode === 'constant' ? ['x', 'p', 'v'] : ['x', 'p'], output: ['y'], attribute: [{ name: 'mode', ...str(mode) }] }],
          inputs: [{ name: 'x', type: T, dims: shape }],
          outputs: [{ name: 'y', type: T }],
          initializers: [tensor('p', BigInt64Array.from(pads.map(BigInt)), [pads.length]), ...(mode === 'constant' ? [tensor('v', new Z([zp]), [])] : [])],
          opset: 13,
        });
        const res = await runOrt(model, { x: { data: x, dims: shape } });
        expect(res.y.dims).toEqual(padOutputShape(shape, pads));
        const got = pad({ data: x, shape, zeroPoint: zp }, { pads, mode });
        expect(firstDiff(got, res.y.data as Q)).toBe(-1);
      });
  it('constantValue overrides the zero point; empty input', () => {
    const x = new Uint8Array([1, 2]);
    expect(Array.from(pad({ data: x, zeroPoint: 9 }, { pads: [1, 2] }))).toEqual([9, 1, 2, 9, 9]);
    expect(Array.from(pad({ data: x, zeroPoint: 9 }, { pads: [1, 0], constantValue: 4 }))).toEqual([4, 1, 2]);
    expect(Array.from(pad({ data: new Uint8Array(0), shape: [0] }, { pads: [2, 1] }))).toEqual([0, 0, 0]);
  });
});

async function ortResize(x: Q, shape: number[], p: ResizeParams & { mode: 'nearest' | 'linear' }) {
  const signed = x instanceof Int8Array;
  const T = signed ? DataType.INT8 : DataType.UINT8;
  const attrs = [
    { name: 'mode', ...str(p.mode) },
    { name: 'coordinate_transformation_mode', ...str(p.coordinateTransformationMode ?? 'half_pixel') },
  ];
  if (p.mode === 'nearest') attrs.push({ name: 'nearest_mode', ...str(p.nearestMode ?? 'round_prefer_floor') });
  const inits = [tensor('roi', new Float32Array(0), [0])];
  let inputsList = ['x', 'roi'];
  if (p.scales) {
    inits.push(tensor('scales', new Float32Array([1, p.scales[0], p.scales[1], 1]), [4]));
    inputsList = ['x', 'roi', 'scales'];
  } else {
    inits.push(tensor('scales', new Float32Array(0), [0]));
    inits.push(tensor('sizes', BigInt64Array.from([shape[0], p.sizes![0], p.sizes![1], shape[3]].map(BigInt)), [4]));
    inputsList = ['x', 'roi', 'scales', 'sizes'];
  }
  const model = buildModel({
    nodes: [{ opType: 'Resize', input: inputsList, output: ['y'], attribute: attrs }],
    inputs: [{ name: 'x', type: T, dims: shape }],
    outputs: [{ name: 'y', type: T }],
    initializers: inits,
    opset: 13,
  });
  const res = await runOrt(model, { x: { data: x, dims: shape } });
  return { data: res.y.data as Q, dims: res.y.dims as number[] };
}

const coords: CoordinateTransformationMode[] = ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel', 'tf_half_pixel_for_nn'];
const nearestModes: NearestMode[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
const geometries: { shape: number[]; p: ResizeParams }[] = [
  { shape: [1, 5, 7, 3], p: { scales: [2, 2] } },
  { shape: [1, 8, 8, 16], p: { scales: [0.5, 0.75] } },
  { shape: [2, 6, 4, 5], p: { sizes: [13, 9] } },
  { shape: [1, 9, 11, 33], p: { sizes: [4, 5] } },
  { shape: [1, 1, 1, 7], p: { sizes: [3, 2] } },
  { shape: [1, 7, 5, 17], p: { scales: [1.7, 2.3] } },
];

describe('resize nearest = onnxruntime Resize', () => {
  for (const coord of coords)
    for (const nm of nearestModes)
      it(`${coord} / ${nm}`, async () => {
        for (const { shape, p } of geometries) {
          const r = rng(size(shape) + coord.length * 7 + nm.length);
          const x = bytes(size(shape), r, false);
          const params = { ...p, mode: 'nearest' as const, coordinateTransformationMode: coord, nearestMode: nm };
          const want = await ortResize(x, shape, params);
          expect(resizeOutputShape(shape, params)).toEqual(want.dims);
          for (const isa of isas) expect(firstDiff(resize({ data: x, shape }, params, { isa }), want.data), `${isa} [${shape}] ${JSON.stringify(p)}`).toBe(-1);
        }
      });
});

// The integer formula of qint8/resize.h, evaluated independently (float64 coordinates are not
// used: this mirrors the float32 source coordinates of the implementation).
function bilinearRef(x: Q, shape: number[], oh: number, ow: number, sh: number, sw: number, coord: CoordinateTransformationMode) {
  const [n, h, w, c] = shape;
  const f = Math.fround;
  const src = (o: number, s: number, outLen: number, inLen: number) => {
    switch (coord) {
      case 'asymmetric': return f(o / s);
      case 'pytorch_half_pixel': return outLen > 1 ? f(f(f(o + 0.5) / s) - 0.5) : 0;
      case 'tf_half_pixel_for_nn': return f(f(o + 0.5) / s);
      case 'align_corners': return outLen === 1 ? 0 : f(f(o * (inLen - 1)) / (outLen - 1));
      default: return f(f(f(o + 0.5) / s) - 0.5);
    }
  };
  const axis = (out: number, inLen: number, s: number) =>
    Array.from({ length: out }, (_, o) => {
      const v = Math.min(Math.max(src(o, s, out, inLen), 0), inLen - 1);
      const i0 = Math.min(Math.trunc(v), inLen - 1);
      const i1 = Math.min(i0 + 1, inLen - 1);
      const lam = f(f(v - i0) * 2048);
      const rl = Math.round(lam);
      return { i0, i1, l: Math.abs(lam - Math.trunc(lam)) === 0.5 ? (Math.trunc(lam) % 2 === 0 ? Math.trunc(lam) : Math.trunc(lam) + 1) : rl, exact: f(v - i0) };
    });
  const ay = axis(oh, h, sh), ax = axis(ow, w, sw);
  const y = new Int32Array(n * oh * ow * c);
  const exact = new Float64Array(y.length);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let k = 0; k < c; k++) {
          const at = (yy: number, xx: number) => x[((b * h + yy) * w + xx) * c + k];
          const { i0: y0, i1: y1, l: ly, exact: fy } = ay[i];
          const { i0: x0, i1: x1, l: lx, exact: fx } = ax[j];
          const top = (2048 - lx) * at(y0, x0) + lx * at(y0, x1);
          const bot = (2048 - lx) * at(y1, x0) + lx * at(y1, x1);
          const o = ((b * oh + i) * ow + j) * c + k;
          y[o] = Math.floor(((2048 - ly) * top + ly * bot + (1 << 21)) / (1 << 22));
          exact[o] = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
        }
  return { y, exact };
}

describe('resize linear', () => {
  for (const coord of coords)
    for (const signed of [false, true])
      it(`${coord} ${signed ? 'int8' : 'uint8'}: the integer formula exactly, float64 bilinear and onnxruntime within 1 LSB`, async () => {
        let worstExact = 0;
        let worstOrt = 0;
        for (const { shape, p } of geometries) {
          const r = rng(size(shape) * 3 + coord.length + (signed ? 1 : 0));
          const x = bytes(size(shape), r, signed);
          const params = { ...p, mode: 'linear' as const, coordinateTransformationMode: coord };
          const [, oh, ow] = resizeOutputShape(shape, params);
          const sh = p.sizes ? Math.fround(Math.fround(oh) / shape[1]) : Math.fround(p.scales![0]);
          const sw = p.sizes ? Math.fround(Math.fround(ow) / shape[2]) : Math.fround(p.scales![1]);
          const ref = bilinearRef(x, shape, oh, ow, sh, sw, coord);
          const got = resize({ data: x, shape }, params);
          expect(firstDiff(got, ref.y), `[${shape}] ${JSON.stringify(p)}`).toBe(-1);
          for (const isa of isas) expect(firstDiff(resize({ data: x, shape }, params, { isa }), got), isa).toBe(-1);
          for (let i = 0; i < got.length; i++) worstExact = Math.max(worstExact, Math.abs(got[i] - Math.round(ref.exact[i])));
          const ort = await ortResize(x, shape, params);
          for (let i = 0; i < got.length; i++) worstOrt = Math.max(worstOrt, Math.abs(got[i] - ort.data[i]));
        }
        // Bounds (docs/ARCHITECTURE.md): 11-bit weights put the interpolation within 255 * 2^-11
        // of the float64 value before rounding, so the result is the nearest integer or its
        // neighbour. onnxruntime's 8-bit linear Resize truncates the interpolated value instead
        // of rounding it (it equals floor(float bilinear) on a 2x upsample, measured), so about
        // half of its outputs are one below ours: the bound against it is 1 LSB.
        expect(worstExact).toBeLessThanOrEqual(1);
        expect(worstOrt).toBeLessThanOrEqual(1);
      });
});

describe('structural ops reject bad arguments', () => {
  const q = { data: new Uint8Array(12), shape: [3, 4], scale: 0.1, zeroPoint: 0 };
  const o = { scale: 0.1, zeroPoint: 0 };
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ['concat axis', () => concat([q, q], 2, o), RangeError, /axis 2 is out of range for rank 2/],
    ['concat shapes', () => concat([q, { ...q, data: new Uint8Array(10), shape: [2, 5] }], 0, o), RangeError, /inputs\[1\].shape\[1\] is 5, inputs\[0\].shape\[1\] is 4/],
    ['concat dtypes', () => concat([q, { ...q, data: new Int8Array(12) }], 0, o), TypeError, /inputs\[1\].data is int8, inputs\[0\] is uint8/],
    ['concat empty', () => concat([], 0, o), RangeError, /at least one input/],
    ['concat not array', () => concat(q as never, 0, o), TypeError, /inputs must be an array/],
    ['concat zp', () => concat([q, { ...q, zeroPoint: 256 }], 0, o), RangeError, /inputs\[1\].zeroPoint 256/],
    ['pad pads length', () => pad(q, { pads: [1, 1] }), RangeError, /2 \* rank = 4 entries/],
    ['pad negative', () => pad(q, { pads: [0, -1, 0, 0] }), RangeError, /params.pads\[1\] must be >= 0/],
    ['pad mode', () => pad(q, { pads: [0, 0, 0, 0], mode: 'wrap' as never }), TypeError, /params.mode must be 'constant', 'reflect' or 'edge'/],
    ['pad reflect too wide', () => pad(q, { pads: [0, 4, 0, 0], mode: 'reflect' }), RangeError, /reflect pads along axis 1 must be smaller than its size \(4\)/],
    ['pad value', () => pad(q, { pads: [0, 0, 0, 0], constantValue: 300 }), RangeError, /params.constantValue 300/],
    ['resize rank', () => resize(q, { sizes: [2, 2] }), RangeError, /x.shape must be \[N, H, W, C\]/],
    ['resize both', () => resize({ data: new Uint8Array(4), shape: [1, 2, 2, 1] }, { sizes: [2, 2], scales: [1, 1] }), TypeError, /exactly one of params.sizes and params.scales/],
    ['resize scale', () => resize({ data: new Uint8Array(4), shape: [1, 2, 2, 1] }, { scales: [0, 1] }), RangeError, /params.scales\[0\] must be a finite number > 0/],
    ['resize empty', () => resize({ data: new Uint8Array(4), shape: [1, 2, 2, 1] }, { scales: [0.1, 1] }), RangeError, /empty output/],
    ['resize mode', () => resize({ data: new Uint8Array(4), shape: [1, 2, 2, 1] }, { sizes: [2, 2], mode: 'cubic' as never }), TypeError, /params.mode must be 'nearest' or 'linear'/],
    ['resize coord', () => resize({ data: new Uint8Array(4), shape: [1, 2, 2, 1] }, { sizes: [2, 2], coordinateTransformationMode: 'tf_crop_and_resize' as never }), TypeError, /coordinateTransformationMode must be one of/],
  ];
  it.each(cases)('%s', (_n, call, type, re) => {
    expect(call).toThrow(type);
    expect(call).toThrow(re);
  });
});
