// conv2d against onnxruntime-node: QLinearConv (per-tensor and per-channel, with and without bias,
// uint8 and int8) and ConvInteger bit for bit; ConvTranspose's int32 sums against onnxruntime's
// float ConvTranspose on integer-valued inputs (exact in float32 at these sizes).
import { describe, expect, it } from 'vitest';
import { type PackConv2dOptions, conv2d, conv2dAsync, cpuInfo, packConv2d } from '../lib';
import { DataType, attrInt, attrInts, buildModel, bytesOf, firstDiff, randomS8, randomU8, rng, runOrt, tensor } from './helpers/onnx';

const isas = cpuInfo().supportedIsas;

function nhwcToNchw<T extends Uint8Array | Int8Array | Float32Array>(a: T, n: number, h: number, w: number, c: number): T {
  const out = new (a.constructor as new (len: number) => T)(a.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++)
    out[((b * c + ch) * h + y) * w + x] = a[((b * h + y) * w + x) * c + ch];
  return out;
}
function nchwToNhwc<T extends Uint8Array | Int8Array | Int32Array | Float32Array>(a: T, n: number, c: number, h: number, w: number): T {
  const out = new (a.constructor as new (len: number) => T)(a.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
    out[((b * h + y) * w + x) * c + ch] = a[((b * c + ch) * h + y) * w + x];
  return out;
}

interface Spec {
  n: number; h: number; w: number; cin: number; cout: number; k: [number, number]; stride: [number, number];
  dil: [number, number]; pads: [number, number, number, number]; groups: number;
  perChannel: boolean; bias: boolean; signed: boolean;
}

const specs: Spec[] = [
  { n: 1, h: 9, w: 11, cin: 8, cout: 16, k: [3, 3], stride: [1, 1], dil: [1, 1], pads: [1, 1, 1, 1], groups: 1, perChannel: false, bias: false, signed: false },
  { n: 2, h: 10, w: 7, cin: 13, cout: 21, k: [3, 3], stride: [2, 2], dil: [1, 1], pads: [1, 0, 1, 2], groups: 1, perChannel: true, bias: true, signed: false },
  { n: 1, h: 12, w: 12, cin: 32, cout: 64, k: [1, 1], stride: [1, 1], dil: [1, 1], pads: [0, 0, 0, 0], groups: 1, perChannel: true, bias: true, signed: false },
  { n: 1, h: 15, w: 13, cin: 24, cout: 24, k: [3, 3], stride: [1, 1], dil: [1, 1], pads: [1, 1, 1, 1], groups: 24, perChannel: true, bias: true, signed: false },
  { n: 1, h: 16, w: 16, cin: 40, cout: 40, k: [5, 5], stride: [2, 2], dil: [1, 1], pads: [2, 2, 2, 2], groups: 40, perChannel: false, bias: true, signed: false },
  { n: 1, h: 11, w: 9, cin: 12, cout: 18, k: [3, 2], stride: [1, 2], dil: [2, 1], pads: [2, 0, 2, 1], groups: 3, perChannel: true, bias: true, signed: false },
  { n: 1, h: 8, w: 8, cin: 3, cout: 16, k: [7, 7], stride: [2, 2], dil: [1, 1], pads: [3, 3, 3, 3], groups: 1, perChannel: true, bias: true, signed: false },
  { n: 1, h: 9, w: 9, cin: 16, cout: 32, k: [3, 3], stride: [1, 1], dil: [1, 1], pads: [1, 1, 1, 1], groups: 1, perChannel: true, bias: true, signed: true },
  { n: 1, h: 14, w: 14, cin: 64, cout: 64, k: [3, 3], stride: [1, 1], dil: [1, 1], pads: [1, 1, 1, 1], groups: 64, perChannel: true, bias: true, signed: true },
];

describe('QLinearConv (onnxruntime) = conv2d with a requantized output', () => {
  specs.forEach((s, idx) => {
    it(`case ${idx}: ${s.n}x${s.h}x${s.w}x${s.cin} -> ${s.cout}, k${s.k}, s${s.stride}, d${s.dil}, pads ${s.pads}, g${s.groups}${s.perChannel ? ', per-channel' : ''}${s.bias ? ', bias' : ''}${s.signed ? ', int8' : ''}`, async () => {
      const r = rng(1000 + idx);
      const cinG = s.cin / s.groups;
      const x = s.signed ? new Int8Array(randomU8(s.n * s.h * s.w * s.cin, r).buffer) : randomU8(s.n * s.h * s.w * s.cin, r);
      const w = randomS8(s.cout * cinG * s.k[0] * s.k[1], r);
      const xs = Math.fround(r.float(0.01, 0.05));
      const xz = s.signed ? r.int(-128, 127) : r.int(0, 255);
      const ws = s.perChannel ? Float32Array.from({ length: s.cout }, () => r.float(0.002, 0.02)) : new Float32Array([r.float(0.002, 0.02)]);
      const ys = Math.fround(r.float(0.2, 1.5));
      const yz = s.signed ? r.int(-128, 127) : r.int(0, 255);
      const bias = s.bias ? Int32Array.from({ length: s.cout }, () => r.int(-20000, 20000)) : undefined;
      const ZP = s.signed ? Int8Array : Uint8Array;
      const T = s.signed ? DataType.INT8 : DataType.UINT8;
      const inputs = ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'];
      const inits = [
        tensor('xs', new Float32Array([xs]), []),
        tensor('xz', new ZP([xz]), []),
        tensor('w', w, [s.cout, cinG, s.k[0], s.k[1]]),
        s.perChannel ? tensor('ws', ws, [s.cout]) : tensor('ws', ws, []),
        s.perChannel ? tensor('wz', new Int8Array(s.cout), [s.cout]) : tensor('wz', new Int8Array(1), []),
        tensor('ys', new Float32Array([ys]), []),
        tensor('yz', new ZP([yz]), []),
      ];
      if (bias) {
        inputs.push('b');
        inits.push(tensor('b', bias, [s.cout]));
      }
      const model = buildModel({
        nodes: [{
          opType: 'QLinearConv', input: inputs, output: ['y'],
          attribute: [attrInts('kernel_shape', s.k), attrInts('strides', s.stride), attrInts('dilations', s.dil),
            attrInts('pads', [s.pads[0], s.pads[1], s.pads[2], s.pads[3]]), attrInt('group', s.groups)],
        }],
        inputs: [{ name: 'x', type: T, dims: [s.n, s.cin, s.h, s.w] }],
        outputs: [{ name: 'y', type: T }],
        initializers: inits,
      });
      const res = await runOrt(model, { x: { data: nhwcToNchw(x, s.n, s.h, s.w, s.cin), dims: [s.n, s.cin, s.h, s.w] } });
      const [, , oh, ow] = res.y.dims as number[];
      const want = nchwToNhwc(res.y.data as Uint8Array, s.n, s.cout, oh, ow);
      for (const isa of isas) {
        const opts: PackConv2dOptions = {
          weight: w, inChannels: s.cin, outChannels: s.cout, kernel: s.k, stride: s.stride, dilation: s.dil,
          // ONNX pads are [top, left, bottom, right] for 2-D: x1_begin, x2_begin, x1_end, x2_end.
          padding: s.pads, groups: s.groups, weightScale: s.perChannel ? ws : ws[0], bias,
          input: { scale: xs, zeroPoint: xz, dtype: s.signed ? 'int8' : 'uint8' },
          output: { scale: ys, zeroPoint: yz, dtype: s.signed ? 'int8' : 'uint8' }, isa,
        };
        const packed = packConv2d(opts);
        const got = conv2d(x, [s.n, s.h, s.w, s.cin], packed);
        expect(firstDiff(got, want), `${isa} (${packed.algorithm})`).toBe(-1);
      }
    });
  });
});

describe('ConvInteger (onnxruntime) = conv2d with an int32 output', () => {
  for (const [idx, s] of specs.slice(0, 7).entries()) {
    it(`case ${idx}`, async () => {
      const r = rng(2000 + idx);
      const cinG = s.cin / s.groups;
      const x = randomU8(s.n * s.h * s.w * s.cin, r);
      const w = randomS8(s.cout * cinG * s.k[0] * s.k[1], r);
      const xz = r.int(0, 255);
      const wz = r.int(-128, 127);
      const model = buildModel({
        nodes: [{
          opType: 'ConvInteger', input: ['x', 'w', 'xz', 'wz'], output: ['y'],
          attribute: [attrInts('kernel_shape', s.k), attrInts('strides', s.stride), attrInts('dilations', s.dil),
            attrInts('pads', [...s.pads]), attrInt('group', s.groups)],
        }],
        inputs: [{ name: 'x', type: DataType.UINT8, dims: [s.n, s.cin, s.h, s.w] }],
        outputs: [{ name: 'y', type: DataType.INT32 }],
        initializers: [tensor('w', w, [s.cout, cinG, s.k[0], s.k[1]]), tensor('xz', new Uint8Array([xz]), []), tensor('wz', new Int8Array([wz]), [])],
      });
      const res = await runOrt(model, { x: { data: nhwcToNchw(x, s.n, s.h, s.w, s.cin), dims: [s.n, s.cin, s.h, s.w] } });
      const [, , oh, ow] = res.y.dims as number[];
      const want = nchwToNhwc(res.y.data as Int32Array, s.n, s.cout, oh, ow);
      for (const isa of isas) {
        const packed = packConv2d({
          weight: w, inChannels: s.cin, outChannels: s.cout, kernel: s.k, stride: s.stride, dilation: s.dil, padding: s.pads,
          groups: s.groups, weightScale: 1, weightZeroPoint: wz, input: { scale: 1, zeroPoint: xz }, outputDtype: 'int32', isa,
        });
        expect(firstDiff(conv2d(x, [s.n, s.h, s.w, s.cin], packed), want), isa).toBe(-1);
      }
    });
  }
});

describe('ConvTranspose: int32 sums equal onnxruntime float ConvTranspose on integer values', () => {
  const cases = [
    { h: 5, w: 6, cin: 8, cout: 6, k: [2, 2], s: [2, 2], pads: [0, 0, 0, 0], op: [0, 0], groups: 1 },
    { h: 4, w: 4, cin: 6, cout: 10, k: [4, 4], s: [2, 2], pads: [1, 1, 1, 1], op: [0, 0], groups: 1 },
    { h: 5, w: 3, cin: 4, cout: 6, k: [3, 3], s: [2, 1], pads: [1, 0, 1, 2], op: [1, 0], groups: 2 },
    { h: 3, w: 7, cin: 5, cout: 7, k: [3, 2], s: [3, 2], pads: [0, 1, 2, 0], op: [2, 1], groups: 1 },
  ];
  cases.forEach((c, idx) => {
    it(`case ${idx}`, async () => {
      const r = rng(3000 + idx);
      const coutG = c.cout / c.groups;
      const x = randomU8(c.h * c.w * c.cin, r);
      const w = randomS8(c.cin * coutG * c.k[0] * c.k[1], r);
      const xz = r.int(0, 255);
      const xf = Float32Array.from(nhwcToNchw(x, 1, c.h, c.w, c.cin), (v) => v - xz);
      const model = buildModel({
        nodes: [{
          opType: 'ConvTranspose', input: ['x', 'w'], output: ['y'],
          attribute: [attrInts('kernel_shape', c.k), attrInts('strides', c.s), attrInts('pads', c.pads),
            attrInts('output_padding', c.op), attrInt('group', c.groups)],
        }],
        inputs: [{ name: 'x', type: DataType.FLOAT, dims: [1, c.cin, c.h, c.w] }],
        outputs: [{ name: 'y', type: DataType.FLOAT }],
        initializers: [tensor('w', Float32Array.from(w), [c.cin, coutG, c.k[0], c.k[1]])],
      });
      const res = await runOrt(model, { x: { data: xf, dims: [1, c.cin, c.h, c.w] } });
      const [, , oh, ow] = res.y.dims as number[];
      const want = Int32Array.from(nchwToNhwc(res.y.data as Float32Array, 1, c.cout, oh, ow));
      for (const isa of isas) {
        const packed = packConv2d({
          weight: w, inChannels: c.cin, outChannels: c.cout, kernel: c.k as [number, number], stride: c.s as [number, number],
          padding: c.pads as [number, number, number, number], outputPadding: c.op as [number, number], groups: c.groups,
          transposed: true, weightScale: 1, input: { scale: 1, zeroPoint: xz }, outputDtype: 'int32', isa,
        });
        expect(packed.outputShape([1, c.h, c.w, c.cin])).toEqual([1, oh, ow, c.cout]);
        expect(firstDiff(conv2d(x, [1, c.h, c.w, c.cin], packed), want), isa).toBe(-1);
      }
    });
  });
});

describe('conv2d API', () => {
  const base = (): PackConv2dOptions => ({
    weight: new Int8Array(4 * 3 * 9), inChannels: 3, outChannels: 4, kernel: 3, padding: 1, weightScale: 0.1,
    input: { scale: 0.1, zeroPoint: 10 }, output: { scale: 1, zeroPoint: 5 },
  });

  it('async gives the same bytes as sync', async () => {
    const r = rng(7);
    const opts = { ...base(), weight: randomS8(4 * 3 * 9, r) };
    const packed = packConv2d(opts);
    const x = randomU8(2 * 9 * 9 * 3, r);
    const sync = conv2d(x, [2, 9, 9, 3], packed);
    expect(Buffer.compare(bytesOf(await conv2dAsync(x, [2, 9, 9, 3], packed)), bytesOf(sync))).toBe(0);
  });

  it('"same" padding keeps the spatial size at stride 1 and ceil(size/stride) otherwise', () => {
    expect(packConv2d({ ...base(), padding: 'same' }).outputShape([1, 7, 9, 3])).toEqual([1, 7, 9, 4]);
    expect(packConv2d({ ...base(), padding: 'same', stride: 2 }).outputShape([1, 7, 9, 3])).toEqual([1, 4, 5, 4]);
    expect(packConv2d({ ...base(), padding: 'valid' }).outputShape([1, 7, 9, 3])).toEqual([1, 5, 7, 4]);
  });

  it('rejects bad options and calls', () => {
    expect(() => packConv2d({ ...base(), weight: new Int8Array(5) })).toThrow(/weight has 5 elements, expected 108/);
    expect(() => packConv2d({ ...base(), groups: 2 })).toThrow(/divisible by groups/);
    expect(() => packConv2d({ ...base(), kernel: 0 })).toThrow(RangeError);
    expect(() => packConv2d({ ...base(), stride: [1, 0] })).toThrow(RangeError);
    expect(() => packConv2d({ ...base(), padding: -1 })).toThrow(RangeError);
    expect(() => packConv2d({ ...base(), padding: 'full' as never })).toThrow(TypeError);
    expect(() => packConv2d({ ...base(), outputPadding: 1 })).toThrow(/transposed/);
    expect(() => packConv2d({ ...base(), weightScale: new Float32Array(3).fill(1) })).toThrow(/1 or outChannels \(4\) entries/);
    expect(() => packConv2d({ ...base(), input: { scale: 0, zeroPoint: 0 } })).toThrow(RangeError);
    expect(() => packConv2d({ ...base(), output: { scale: 1, zeroPoint: 300 } })).toThrow(RangeError);
    const packed = packConv2d(base());
    expect(() => conv2d(new Uint8Array(9 * 9 * 3), [1, 9, 9, 4], packed)).toThrow(/channels/);
    expect(() => conv2d(new Uint8Array(10), [1, 9, 9, 3], packed)).toThrow(/x has 10 elements/);
    expect(() => conv2d(new Int8Array(9 * 9 * 3), [1, 9, 9, 3], packed)).toThrow(TypeError);
    expect(() => conv2d(new Uint8Array(9 * 9 * 3), [1, 9, 9], packed)).toThrow(/\[n, h, w, c\]/);
    expect(() => conv2d(new Uint8Array(9 * 9 * 3), [1, 9, 9, 3], packed, { out: new Uint8Array(3) })).toThrow(/out has 3 elements/);
    expect(() => conv2d(new Uint8Array(3), [1, 1, 1, 3], packConv2d({ ...base(), padding: 0 }))).toThrow(RangeError); // 3x3 on 1x1
    packed.release();
    expect(() => conv2d(new Uint8Array(9 * 9 * 3), [1, 9, 9, 3], packed)).toThrow(/released/);
  });

  it('keeps the output size of the last input shape only while the shape stays the same', () => {
    // conv2d() remembers (n, h, w) -> (oh, ow) of its last call; a new shape must ask again.
    const valid = packConv2d({ ...base(), padding: 0 });
    expect(conv2d(new Uint8Array(9 * 9 * 3), [1, 9, 9, 3], valid).length).toBe(7 * 7 * 4);
    expect(conv2d(new Uint8Array(2 * 5 * 6 * 3), [2, 5, 6, 3], valid).length).toBe(2 * 3 * 4 * 4);
    expect(valid.outputShape([1, 5, 6, 3])).toEqual([1, 3, 4, 4]);
    expect(() => conv2d(new Uint8Array(3 * 2 * 3), [1, 3, 2, 3], valid)).toThrow(RangeError); // 3x3 on 3x2
    expect(() => conv2d(new Uint8Array(5 * 6 * 3), [1, 5, 6, 3], valid, { out: new Uint8Array(2 * 3 * 4 * 4) })).toThrow(/out has 96 elements, expected n\*oh\*ow\*outChannels = 48/);
    expect(conv2d(new Uint8Array(9 * 9 * 3), [1, 9, 9, 3], valid).length).toBe(7 * 7 * 4);
    valid.release();
  });
});
