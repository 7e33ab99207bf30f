// add / mul (QLinearAdd / QLinearMul) against onnxruntime-node's com.microsoft kernels, bit for
// bit: exhaustive 256 x 256 input grids (every pair of input values) for each span kind of the
// broadcaster, random broadcast shapes, both dtypes; every ISA; fused ReLU; bad arguments.
import { describe, expect, it } from 'vitest';
import { add, broadcastShape, cpuInfo, mul } from '../lib';
import type { QuantTensor } from '../lib';
import { DataType, buildModel, firstDiff, rng, runOrt, tensor } from './helpers/onnx';

const isas = cpuInfo().supportedIsas;
type Q = Uint8Array | Int8Array;

async function ortBinary(op: 'QLinearAdd' | 'QLinearMul', a: QuantTensor, b: QuantTensor, c: { scale: number; zeroPoint: number }) {
  const signed = a.data instanceof Int8Array;
  const T = signed ? DataType.INT8 : DataType.UINT8;
  const Z = signed ? Int8Array : Uint8Array;
  const model = buildModel({
    nodes: [{ opType: op, domain: 'com.microsoft', input: ['a', 'as', 'az', 'b', 'bs', 'bz', 'cs', 'cz'], output: ['c'] }],
    inputs: [
      { name: 'a', type: T, dims: [...a.shape!] },
      { name: 'b', type: T, dims: [...b.shape!] },
    ],
    outputs: [{ name: 'c', type: T }],
    initializers: [
      tensor('as', new Float32Array([a.scale]), []),
      tensor('az', new Z([a.zeroPoint]), []),
      tensor('bs', new Float32Array([b.scale]), []),
      tensor('bz', new Z([b.zeroPoint]), []),
      tensor('cs', new Float32Array([c.scale]), []),
      tensor('cz', new Z([c.zeroPoint]), []),
    ],
    msOpset: 1,
  });
  const res = await runOrt(model, { a: { data: a.data, dims: [...a.shape!] }, b: { data: b.data, dims: [...b.shape!] } });
  return res.c.data as Q;
}

function bytes(n: number, r: ReturnType<typeof rng>, signed: boolean): Q {
  const u = Uint8Array.from({ length: n }, () => r.next() & 255);
  return signed ? new Int8Array(u.buffer) : u;
}

// a = i & 255, b = i >> 8 laid out so that each span kind sees every (a, b) pair.
function grid(signed: boolean): { a: Q; b: Q; col: Q } {
  const a = new Uint8Array(65536), b = new Uint8Array(65536), col = new Uint8Array(256);
  for (let i = 0; i < 65536; i++) {
    a[i] = i & 255;
    b[i] = i >> 8;
  }
  for (let i = 0; i < 256; i++) col[i] = i;
  const v = (x: Uint8Array) => (signed ? new Int8Array(x.buffer) : x);
  return { a: v(a), b: v(b), col: v(col) };
}

describe('add / mul = onnxruntime QLinearAdd / QLinearMul on exhaustive input grids', () => {
  for (const op of ['QLinearAdd', 'QLinearMul'] as const)
    for (const signed of [false, true])
      for (let trial = 0; trial < 4; trial++) {
        it(`${op} ${signed ? 'int8' : 'uint8'} qparams #${trial}`, async () => {
          const r = rng(1000 * trial + (op === 'QLinearAdd' ? 1 : 2) + (signed ? 10 : 0));
          const zp = () => (signed ? r.int(-128, 127) : r.int(0, 255));
          const sa = Math.fround(r.float(0.001, 0.2)), sb = Math.fround(r.float(0.001, 0.2));
          const c = { scale: Math.fround(op === 'QLinearAdd' ? r.float(0.002, 0.3) : r.float(0.01, 4)), zeroPoint: zp() };
          const za = zp(), zb = zp();
          const g = grid(signed);
          // [65536] + [65536]: vector-vector; [256,256] + [256,1] / [1,256]: b constant over a span
          // or vector; [256,1] + [256,256]: a constant over a span (onnxruntime swaps the operands).
          const cases: [QuantTensor, QuantTensor][] = [
            [{ data: g.a, shape: [65536], scale: sa, zeroPoint: za }, { data: g.b, shape: [65536], scale: sb, zeroPoint: zb }],
            [{ data: g.a, shape: [256, 256], scale: sa, zeroPoint: za }, { data: g.col, shape: [256, 1], scale: sb, zeroPoint: zb }],
            [{ data: g.a, shape: [256, 256], scale: sa, zeroPoint: za }, { data: g.col, shape: [1, 256], scale: sb, zeroPoint: zb }],
            [{ data: g.col, shape: [256, 1], scale: sa, zeroPoint: za }, { data: g.a, shape: [256, 256], scale: sb, zeroPoint: zb }],
          ];
          const fn = op === 'QLinearAdd' ? add : mul;
          for (const [a, b] of cases) {
            const want = await ortBinary(op, a, b, c);
            for (const isa of isas) expect(firstDiff(fn(a, b, c, { isa }), want), `${isa} [${a.shape}] [${b.shape}]`).toBe(-1);
          }
        });
      }
});

// qparams where the rounding of onnxruntime's formula is decided by its fused operations: the
// first two tell zC - fma(rA, zA, rB * zB) from the unfused fixed part, the others the fused fold
// of a broadcast b (fma(b, rB, F)) from a multiply-then-add (found by a search over random qparams).
const sensitive = [
  { sa: 0.19665522873401642, za: 167, sb: 0.10940703004598618, zb: 162, sc: 0.23955577611923218, zc: 39 },
  { sa: 0.1509455442428589, za: 158, sb: 0.022589299827814102, zb: 69, sc: 0.19458089768886566, zc: 240 },
  { sa: 0.0949924737, za: 157, sb: 0.132680252, zb: 140, sc: 0.252760082, zc: 204 },
  { sa: 0.062438, za: 54, sb: 0.00888957363, zb: 166, sc: 0.13997294, zc: 117 },
  { sa: 0.10746336, za: 76, sb: 0.130442336, zb: 144, sc: 0.0964790732, zc: 113 },
  { sa: 0.0328802802, za: 124, sb: 0.115112178, zb: 235, sc: 0.0593674518, zc: 97 },
];

describe('add = onnxruntime on qparams where its fused operations decide the rounding', () => {
  sensitive.forEach((q, i) => {
    it(`case ${i}`, async () => {
      const g = grid(false);
      const f = Math.fround;
      const c = { scale: f(q.sc), zeroPoint: q.zc };
      const cases: [QuantTensor, QuantTensor][] = [
        [{ data: g.a, shape: [65536], scale: f(q.sa), zeroPoint: q.za }, { data: g.b, shape: [65536], scale: f(q.sb), zeroPoint: q.zb }],
        [{ data: g.a, shape: [256, 256], scale: f(q.sa), zeroPoint: q.za }, { data: g.col, shape: [256, 1], scale: f(q.sb), zeroPoint: q.zb }],
      ];
      for (const [a, b] of cases) {
        const want = await ortBinary('QLinearAdd', a, b, c);
        for (const isa of isas) expect(firstDiff(add(a, b, c, { isa }), want), `${isa} [${a.shape}] [${b.shape}]`).toBe(-1);
      }
    });
  });
});

describe('add / mul broadcasting = onnxruntime', () => {
  const shapes: [number[], number[]][] = [
    [[1, 8, 8, 33], [1, 8, 8, 33]],
    [[2, 5, 7, 16], [16]],
    [[2, 5, 7, 16], [2, 5, 7, 1]],
    [[2, 1, 7, 16], [2, 5, 1, 16]],
    [[3, 4, 5], [1]],
    [[1], [3, 4, 5]],
    [[], [17]],
    [[17], []],
    [[4, 1], [1, 5]],
    [[5, 1], [1]],
    [[1, 1], [1, 1]],
    [[2, 1, 3], [2, 4, 1]],
    [[1, 64, 1, 1], [1, 64, 9, 9]],
    [[1, 3, 100, 100], [1, 3, 100, 100]],
    // Squeeze-and-excitation: a channel vector over an NHWC image (short spans merged into runs).
    [[2, 12, 48, 8], [2, 1, 1, 8]],
    [[1, 1, 1, 20], [1, 9, 13, 20]],
    [[1, 9, 7, 3], [1, 1, 7, 3]],
    [[1, 3, 5, 200], [1, 1, 1, 200]],
  ];
  for (const op of ['QLinearAdd', 'QLinearMul'] as const)
    for (const signed of [false, true])
      for (const [as, bs] of shapes) {
        it(`${op} ${signed ? 'int8' : 'uint8'} [${as}] x [${bs}]`, async () => {
          const r = rng(as.length * 31 + bs.reduce((x, y) => x * 7 + y, 3) + (signed ? 1 : 0) + (op === 'QLinearMul' ? 5 : 0));
          const zp = () => (signed ? r.int(-128, 127) : r.int(0, 255));
          const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
          const a = { data: bytes(size(as), r, signed), shape: as, scale: Math.fround(r.float(0.005, 0.1)), zeroPoint: zp() };
          const b = { data: bytes(size(bs), r, signed), shape: bs, scale: Math.fround(r.float(0.005, 0.1)), zeroPoint: zp() };
          const c = { scale: Math.fround(op === 'QLinearAdd' ? r.float(0.01, 0.2) : r.float(0.05, 2)), zeroPoint: zp() };
          const want = await ortBinary(op, a, b, c);
          const fn = op === 'QLinearAdd' ? add : mul;
          expect(broadcastShape(as, bs).reduce((x, y) => x * y, 1)).toBe(want.length);
          for (const isa of isas) expect(firstDiff(fn(a, b, c, { isa }), want), isa).toBe(-1);
          // Fused ReLU = onnxruntime's output raised to the zero point (a quantized Relu after it).
          const relu = Array.from(want, (v) => Math.max(v, c.zeroPoint));
          for (const isa of isas) expect(firstDiff(fn(a, b, { ...c, relu: true }, { isa }), relu), `relu ${isa}`).toBe(-1);
        });
      }
});

describe('add / mul reject bad arguments', () => {
  const a = { data: new Uint8Array(6), shape: [2, 3], scale: 0.1, zeroPoint: 3 };
  const o = { scale: 0.2, zeroPoint: 5 };
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ['shapes do not broadcast', () => add(a, { ...a, data: new Uint8Array(2), shape: [2] }, o), RangeError, /do not broadcast \(axis 1: 3 vs 2\)/],
    ['shape vs data', () => add(a, { ...a, shape: [2, 2] }, o), RangeError, /b.shape \[2, 2\] has 4 elements, b.data 6/],
    ['dtype mismatch', () => add(a, { ...a, data: new Int8Array(6), zeroPoint: 0 }, o), TypeError, /b.data is int8, expected uint8/],
    ['data type', () => add({ ...a, data: new Float32Array(6) as unknown as Uint8Array }, a, o), TypeError, /a.data must be a Uint8Array or an Int8Array/],
    ['zero point range', () => add(a, a, { scale: 1, zeroPoint: 256 }), RangeError, /output.zeroPoint 256 is outside the uint8 range/],
    ['int8 zero point', () => add({ ...a, data: new Int8Array(6), zeroPoint: 200 }, a, o), RangeError, /a.zeroPoint 200 is outside the int8 range/],
    ['scale', () => mul(a, { ...a, scale: 0 }, o), RangeError, /b.scale must be a finite number > 0/],
    ['scale NaN', () => mul(a, a, { scale: NaN, zeroPoint: 0 }), RangeError, /output.scale/],
    ['out length', () => add(a, a, o, { out: new Uint8Array(5) }), RangeError, /out has 5 elements, expected 6/],
    ['out type', () => add(a, a, o, { out: new Int8Array(6) }), TypeError, /out must be a Uint8Array/],
    ['relu type', () => add(a, a, { ...o, relu: 1 as unknown as boolean }), TypeError, /output.relu must be a boolean/],
    ['scale ratio overflow', () => add({ ...a, scale: 1e38 }, a, { scale: 1e-38, zeroPoint: 0 }), RangeError, /overflows float32/],
    ['negative dim', () => add({ ...a, shape: [-2, -3] }, a, o), RangeError, /a.shape\[0\] must be >= 0/],
    ['isa', () => add(a, a, o, { isa: 'sse9' as never }), TypeError, /isa must be one of/],
  ];
  it.each(cases)('%s', (_n, call, type, re) => {
    expect(call).toThrow(type);
    expect(call).toThrow(re);
  });
  it('empty tensors give an empty output', () => {
    const e = { data: new Uint8Array(0), shape: [0, 3], scale: 1, zeroPoint: 0 };
    expect(add(e, { ...a, data: new Uint8Array(3), shape: [3] }, o).length).toBe(0);
  });
});
