// The engine's int8 ops (QLinearMatMul, MatMulInteger, qint8::QLinearConvNhwc,
// qint8::ConvIntegerNhwc) against onnxruntime-node on the same inputs, bit for bit, including
// uint8 weights with zero points and batched A.
import { describe, expect, it } from 'vitest';
import { createOp } from '../lib/engine/ops';
import { DataType, attrInt, attrInts, buildModel, firstDiff, randomS8, randomU8, rng, runOrt, tensor } from './helpers/onnx';

describe('QLinearMatMul / MatMulInteger engine ops', () => {
  for (const [idx, wtype] of (['int8', 'uint8'] as const).entries()) {
    it(`QLinearMatMul, batched A [2, 3, 5, 40], ${wtype} B [40, 33] with per-column zero points`, async () => {
      const r = rng(10 + idx);
      const aShape = [2, 3, 5, 40];
      const a = randomU8(2 * 3 * 5 * 40, r);
      const b = wtype === 'int8' ? randomS8(40 * 33, r) : randomU8(40 * 33, r);
      const bs = Float32Array.from({ length: 33 }, () => r.float(0.001, 0.01));
      const bz = wtype === 'int8' ? Int8Array.from({ length: 33 }, () => r.int(-10, 10)) : Uint8Array.from({ length: 33 }, () => r.int(118, 138));
      const scalars = { as: new Float32Array([0.02]), az: new Uint8Array([120]), ys: new Float32Array([0.3]), yz: new Uint8Array([99]) };
      const model = buildModel({
        nodes: [{ opType: 'QLinearMatMul', input: ['a', 'as', 'az', 'b', 'bs', 'bz', 'ys', 'yz'], output: ['y'] }],
        inputs: [{ name: 'a', type: DataType.UINT8, dims: aShape }],
        outputs: [{ name: 'y', type: DataType.UINT8 }],
        initializers: [
          tensor('as', scalars.as, []), tensor('az', scalars.az, []), tensor('b', b, [40, 33]), tensor('bs', bs, [33]),
          tensor('bz', bz, [33]), tensor('ys', scalars.ys, []), tensor('yz', scalars.yz, []),
        ],
      });
      const want = (await runOrt(model, { a: { data: a, dims: aShape } })).y.data as Uint8Array;
      const T = (data: Float32Array | Uint8Array | Int8Array, shape: number[]) => ({ type: (data instanceof Float32Array ? 'float32' : data instanceof Int8Array ? 'int8' : 'uint8') as 'float32', shape, data });
      const op = createOp('', 'QLinearMatMul', {}, [null, T(scalars.as, []), T(scalars.az, []), T(b, [40, 33]), T(bs, [33]), T(bz, [33]), T(scalars.ys, []), T(scalars.yz, [])]);
      const y = new Uint8Array(2 * 3 * 5 * 33);
      op.run([{ type: 'uint8', shape: aShape, data: a }], [{ type: 'uint8', shape: [2, 3, 5, 33], data: y }]);
      expect(firstDiff(y, want)).toBe(-1);
    });
  }

  it('MatMulInteger with uint8 B and no zero points', async () => {
    const r = rng(31);
    const a = randomU8(7 * 19, r);
    const b = randomU8(19 * 11, r);
    const model = buildModel({
      nodes: [{ opType: 'MatMulInteger', input: ['a', 'b'], output: ['y'] }],
      inputs: [{ name: 'a', type: DataType.UINT8, dims: [7, 19] }],
      outputs: [{ name: 'y', type: DataType.INT32 }],
      initializers: [tensor('b', b, [19, 11])],
    });
    const want = (await runOrt(model, { a: { data: a, dims: [7, 19] } })).y.data as Int32Array;
    const op = createOp('', 'MatMulInteger', {}, [null, { type: 'uint8', shape: [19, 11], data: b }]);
    const y = new Int32Array(7 * 11);
    op.run([{ type: 'uint8', shape: [7, 19], data: a }], [{ type: 'int32', shape: [7, 11], data: y }]);
    expect(firstDiff(y, want)).toBe(-1);
  });
});

describe('qint8::QLinearConvNhwc / ConvIntegerNhwc engine ops', () => {
  const toNchw = (a: Uint8Array, h: number, w: number, c: number) => {
    const o = new Uint8Array(a.length);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) o[(ch * h + y) * w + x] = a[(y * w + x) * c + ch];
    return o;
  };
  const toNhwc = <T extends Uint8Array | Int32Array>(a: T, c: number, h: number, w: number): T => {
    const o = new (a.constructor as new (n: number) => T)(a.length);
    for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) o[(y * w + x) * c + ch] = a[(ch * h + y) * w + x];
    return o;
  };

  it('QLinearConv with uint8 weights, per-channel scales, bias and a fused Relu', async () => {
    const r = rng(41);
    const [h, w, cin, cout] = [9, 10, 6, 8];
    const x = randomU8(h * w * cin, r);
    const wt = randomU8(cout * cin * 9, r);
    const ws = Float32Array.from({ length: cout }, () => r.float(0.002, 0.01));
    const bias = Int32Array.from({ length: cout }, () => r.int(-5000, 5000));
    const c = { xs: new Float32Array([0.03]), xz: new Uint8Array([100]), wz: new Uint8Array([128]), ys: new Float32Array([0.2]), yz: new Uint8Array([60]) };
    const attrs = [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1]), attrInts('strides', [1, 1])];
    // onnxruntime: QLinearConv then a quantized Relu expressed as QLinearConv's output clamped at
    // the zero point (max with yz), which is what a fused ReLU means in the quantized domain.
    const model = buildModel({
      nodes: [{ opType: 'QLinearConv', input: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], output: ['y'], attribute: attrs }],
      inputs: [{ name: 'x', type: DataType.UINT8, dims: [1, cin, h, w] }],
      outputs: [{ name: 'y', type: DataType.UINT8 }],
      initializers: [tensor('xs', c.xs, []), tensor('xz', c.xz, []), tensor('w', wt, [cout, cin, 3, 3]), tensor('ws', ws, [cout]),
        tensor('wz', c.wz, []), tensor('ys', c.ys, []), tensor('yz', c.yz, []), tensor('b', bias, [cout])],
    });
    const res = await runOrt(model, { x: { data: toNchw(x, h, w, cin), dims: [1, cin, h, w] } });
    const want = toNhwc(res.y.data as Uint8Array, cout, h, w).map((v) => Math.max(v, 60));
    const T = (data: Float32Array | Uint8Array | Int32Array, shape: number[]) => ({ type: (data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'uint8') as 'float32', shape, data });
    const op = createOp('qint8', 'QLinearConvNhwc', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], activation: 'Relu' },
      [null, T(c.xs, []), T(c.xz, []), T(wt, [cout, cin, 3, 3]), T(ws, [cout]), T(c.wz, []), T(c.ys, []), T(c.yz, []), T(bias, [cout])]);
    const y = new Uint8Array(h * w * cout);
    op.run([{ type: 'uint8', shape: [1, h, w, cin], data: x }], [{ type: 'uint8', shape: [1, h, w, cout], data: y }]);
    expect(firstDiff(y, want)).toBe(-1);
  });

  it('ConvInteger, grouped, stride 2, uint8 weights with a zero point', async () => {
    const r = rng(43);
    const [h, w, cin, cout, g] = [11, 8, 6, 9, 3];
    const x = randomU8(h * w * cin, r);
    const wt = randomU8(cout * (cin / g) * 9, r);
    const model = buildModel({
      nodes: [{ opType: 'ConvInteger', input: ['x', 'w', 'xz', 'wz'], output: ['y'], attribute: [attrInts('kernel_shape', [3, 3]), attrInts('strides', [2, 2]), attrInts('pads', [1, 0, 1, 1]), attrInt('group', g)] }],
      inputs: [{ name: 'x', type: DataType.UINT8, dims: [1, cin, h, w] }],
      outputs: [{ name: 'y', type: DataType.INT32 }],
      initializers: [tensor('w', wt, [cout, cin / g, 3, 3]), tensor('xz', new Uint8Array([17]), []), tensor('wz', new Uint8Array([131]), [])],
    });
    const res = await runOrt(model, { x: { data: toNchw(x, h, w, cin), dims: [1, cin, h, w] } });
    const [, , oh, ow] = res.y.dims as number[];
    const want = toNhwc(res.y.data as Int32Array, cout, oh, ow);
    const op = createOp('qint8', 'ConvIntegerNhwc', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 1, 1], group: g },
      [null, { type: 'uint8', shape: [cout, cin / g, 3, 3], data: wt }, { type: 'uint8', shape: [], data: new Uint8Array([17]) }, { type: 'uint8', shape: [], data: new Uint8Array([131]) }]);
    const y = new Int32Array(oh * ow * cout);
    op.run([{ type: 'uint8', shape: [1, h, w, cin], data: x }], [{ type: 'int32', shape: [1, oh, ow, cout], data: y }]);
    expect(firstDiff(y, want)).toBe(-1);
  });
});
