// quantize / dequantize: every ISA bit-exact with the scalar reference and with onnxruntime's
// QuantizeLinear / DequantizeLinear (per tensor and per axis).
import { describe, expect, it } from 'vitest';
import { cpuInfo, dequantize, quantize } from '../lib';
import { DataType, attrInt, buildModel, bytesOf, firstDiff, rng, runOrt, tensor } from './helpers/onnx';

const isas = cpuInfo().supportedIsas;

function values(n: number, seed: number, range: number): Float32Array {
  const r = rng(seed);
  const x = Float32Array.from({ length: n }, () => r.float(-range, range));
  const specials = [0, -0, 0.5, 1.5, 2.5, -0.5, -2.5, 1e30, -1e30, Infinity, -Infinity, 127.5, 128.5, -128.5, 254.5];
  specials.forEach((v, i) => {
    if (i * 5 < n) x[i * 5] = v;
  });
  return x;
}

describe('quantize/dequantize per tensor', () => {
  for (const dtype of ['uint8', 'int8'] as const)
    for (const n of [1, 15, 16, 17, 100, 4099, 70000]) {
      it(`${dtype} n=${n}: every ISA = scalar = onnxruntime`, async () => {
        const x = values(n, n, 200);
        const scale = Math.fround(0.73);
        const zeroPoint = dtype === 'uint8' ? 131 : -7;
        const want = quantize(x, { scale, zeroPoint, dtype, isa: 'scalar' });
        for (const isa of isas) expect(firstDiff(quantize(x, { scale, zeroPoint, dtype, isa }), want), isa).toBe(-1);
        const ZP = dtype === 'uint8' ? Uint8Array : Int8Array;
        const T = dtype === 'uint8' ? DataType.UINT8 : DataType.INT8;
        const q = buildModel({
          nodes: [{ opType: 'QuantizeLinear', input: ['x', 's', 'z'], output: ['y'] }],
          inputs: [{ name: 'x', type: DataType.FLOAT, dims: [n] }],
          outputs: [{ name: 'y', type: T, dims: [n] }],
          initializers: [tensor('s', new Float32Array([scale]), []), tensor('z', new ZP([zeroPoint]), [])],
        });
        const ort = (await runOrt(q, { x: { data: x, dims: [n] } })).y.data as Uint8Array;
        expect(firstDiff(want, ort)).toBe(-1);

        const dq = buildModel({
          nodes: [{ opType: 'DequantizeLinear', input: ['q', 's', 'z'], output: ['y'] }],
          inputs: [{ name: 'q', type: T, dims: [n] }],
          outputs: [{ name: 'y', type: DataType.FLOAT, dims: [n] }],
          initializers: [tensor('s', new Float32Array([scale]), []), tensor('z', new ZP([zeroPoint]), [])],
        });
        const dWant = dequantize(want, { scale, zeroPoint, isa: 'scalar' });
        for (const isa of isas) expect(Buffer.compare(bytesOf(dequantize(want, { scale, zeroPoint, isa })), bytesOf(dWant)), isa).toBe(0);
        const dOrt = (await runOrt(dq, { q: { data: want, dims: [n] } })).y.data as Float32Array;
        expect(Buffer.compare(bytesOf(dWant), bytesOf(dOrt))).toBe(0);
      });
    }

  it('NaN quantizes to the type minimum, like onnxruntime', async () => {
    const x = new Float32Array([NaN, 1, NaN]);
    for (const isa of isas) expect(Array.from(quantize(x, { scale: 1, zeroPoint: 10, isa }))).toEqual([0, 11, 0]);
    const model = buildModel({
      nodes: [{ opType: 'QuantizeLinear', input: ['x', 's', 'z'], output: ['y'] }],
      inputs: [{ name: 'x', type: DataType.FLOAT, dims: [3] }],
      outputs: [{ name: 'y', type: DataType.UINT8, dims: [3] }],
      initializers: [tensor('s', new Float32Array([1]), []), tensor('z', new Uint8Array([10]), [])],
    });
    expect(Array.from((await runOrt(model, { x: { data: x, dims: [3] } })).y.data as Uint8Array)).toEqual([0, 11, 0]);
  });
});

describe('quantize/dequantize per axis', () => {
  const shapes: [number[], number][] = [
    [[4, 3], 1],
    [[4, 3], 0],
    [[2, 5, 7], 1],
    [[3, 64], 1],
    [[2, 3, 4, 33], 3],
    [[2, 3, 4, 33], -3],
    [[17, 19], 0],
  ];
  for (const dtype of ['uint8', 'int8'] as const)
    for (const [shape, axis] of shapes) {
      it(`${dtype} shape [${shape}] axis ${axis}`, async () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const ax = axis < 0 ? axis + shape.length : axis;
        const c = shape[ax];
        const r = rng(n + c);
        const x = values(n, n * 3 + ax, 60);
        const scale = Float32Array.from({ length: c }, () => r.float(0.05, 1));
        const zp = Int32Array.from({ length: c }, () => (dtype === 'uint8' ? r.int(0, 255) : r.int(-128, 127)));
        const p = { scale, zeroPoint: zp, dtype, shape, axis };
        const want = quantize(x, { ...p, isa: 'scalar' });
        for (const isa of isas) expect(firstDiff(quantize(x, { ...p, isa }), want), isa).toBe(-1);
        const ZP = dtype === 'uint8' ? Uint8Array : Int8Array;
        const T = dtype === 'uint8' ? DataType.UINT8 : DataType.INT8;
        const model = buildModel({
          nodes: [
            { opType: 'QuantizeLinear', input: ['x', 's', 'z'], output: ['q'], attribute: [attrInt('axis', axis)] },
            { opType: 'DequantizeLinear', input: ['q', 's', 'z'], output: ['y'], attribute: [attrInt('axis', axis)] },
          ],
          inputs: [{ name: 'x', type: DataType.FLOAT, dims: shape }],
          outputs: [
            { name: 'q', type: T, dims: shape },
            { name: 'y', type: DataType.FLOAT, dims: shape },
          ],
          initializers: [tensor('s', scale, [c]), tensor('z', ZP.from(zp), [c])],
        });
        const res = await runOrt(model, { x: { data: x, dims: shape } });
        expect(firstDiff(want, res.q.data as Uint8Array)).toBe(-1);
        const dWant = dequantize(want, { ...p, isa: 'scalar' });
        for (const isa of isas) expect(Buffer.compare(bytesOf(dequantize(want, { ...p, isa })), bytesOf(dWant)), isa).toBe(0);
        expect(Buffer.compare(bytesOf(dWant), bytesOf(res.y.data as Float32Array))).toBe(0);
      });
    }
});
