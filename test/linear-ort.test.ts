// linear against onnxruntime-node: QLinearMatMul (requantized u8/s8) and MatMulInteger (int32),
// bit for bit on random inputs.
import { describe, expect, it } from 'vitest';
import { cpuInfo, linear, packLinear } from '../lib';
import { DataType, buildModel, firstDiff, randomS8, randomU8, rng, runOrt, tensor, transpose } from './helpers/onnx';

const isas = cpuInfo().supportedIsas;

describe('QLinearMatMul (onnxruntime) = linear with a requantized output', () => {
  const shapes = [
    [1, 1, 1],
    [1, 768, 64],
    [3, 17, 5],
    [7, 48, 130],
    [16, 100, 257],
    [33, 65, 1000],
    [64, 96, 2049],
  ];
  for (const [m, n, k] of shapes)
    for (const perChannel of [false, true])
      for (const signed of [false, true]) {
        it(`${m}x${n}x${k} ${perChannel ? 'per-channel' : 'per-tensor'} ${signed ? 'int8' : 'uint8'}`, async () => {
          const r = rng(m * 1000 + n * 10 + k + (perChannel ? 7 : 0) + (signed ? 3 : 0));
          const a = signed ? new Int8Array(randomU8(m * k, r).buffer) : randomU8(m * k, r);
          const w = randomS8(n * k, r);
          const aScale = Math.fround(r.float(0.01, 0.1));
          const aZp = signed ? r.int(-128, 127) : r.int(0, 255);
          const wScale = perChannel ? Float32Array.from({ length: n }, () => r.float(0.001, 0.05)) : new Float32Array([r.float(0.001, 0.05)]);
          const yScale = Math.fround(r.float(0.5, 4));
          const yZp = signed ? r.int(-128, 127) : r.int(0, 255);
          const zpType = signed ? Int8Array : Uint8Array;
          const model = buildModel({
            nodes: [{ opType: 'QLinearMatMul', input: ['a', 'as', 'az', 'b', 'bs', 'bz', 'ys', 'yz'], output: ['y'] }],
            inputs: [{ name: 'a', type: signed ? DataType.INT8 : DataType.UINT8, dims: [m, k] }],
            outputs: [{ name: 'y', type: signed ? DataType.INT8 : DataType.UINT8, dims: [m, n] }],
            initializers: [
              tensor('as', new Float32Array([aScale]), []),
              tensor('az', new zpType([aZp]), []),
              tensor('b', transpose(w, n, k), [k, n]),
              perChannel ? tensor('bs', wScale, [n]) : tensor('bs', wScale, []),
              perChannel ? tensor('bz', new Int8Array(n), [n]) : tensor('bz', new Int8Array(1), []),
              tensor('ys', new Float32Array([yScale]), []),
              tensor('yz', new zpType([yZp]), []),
            ],
          });
          const want = (await runOrt(model, { a: { data: a, dims: [m, k] } })).y.data as Uint8Array | Int8Array;
          for (const isa of isas) {
            const packed = packLinear({
              weight: w,
              n,
              k,
              weightScale: perChannel ? wScale : wScale[0],
              input: { scale: aScale, zeroPoint: aZp, dtype: signed ? 'int8' : 'uint8' },
              output: { scale: yScale, zeroPoint: yZp, dtype: signed ? 'int8' : 'uint8' },
              isa,
            });
            const got = linear(a, m, packed);
            expect(firstDiff(got, want), isa).toBe(-1);
          }
        });
      }
});

describe('MatMulInteger (onnxruntime) = linear with an int32 output', () => {
  const shapes = [
    [1, 9, 3],
    [5, 64, 100],
    [17, 33, 513],
    [40, 130, 1500],
  ];
  for (const [m, n, k] of shapes)
    for (const wzp of ['zero', 'scalar', 'per-column'] as const) {
      it(`${m}x${n}x${k} weight zero point ${wzp}`, async () => {
        const r = rng(m + n * 7 + k * 13 + wzp.length);
        const a = randomU8(m * k, r);
        const w = randomS8(n * k, r);
        const aZp = r.int(0, 255);
        const zw = wzp === 'per-column' ? Int8Array.from({ length: n }, () => r.int(-128, 127)) : new Int8Array([wzp === 'zero' ? 0 : r.int(-128, 127)]);
        const model = buildModel({
          nodes: [{ opType: 'MatMulInteger', input: ['a', 'b', 'az', 'bz'], output: ['y'] }],
          inputs: [{ name: 'a', type: DataType.UINT8, dims: [m, k] }],
          outputs: [{ name: 'y', type: DataType.INT32, dims: [m, n] }],
          initializers: [
            tensor('b', transpose(w, n, k), [k, n]),
            tensor('az', new Uint8Array([aZp]), []),
            wzp === 'per-column' ? tensor('bz', zw, [n]) : tensor('bz', zw, []),
          ],
        });
        const want = (await runOrt(model, { a: { data: a, dims: [m, k] } })).y.data as Int32Array;
        for (const isa of isas) {
          const packed = packLinear({
            weight: w,
            n,
            k,
            weightScale: 1,
            weightZeroPoint: Int32Array.from(zw),
            input: { scale: 1, zeroPoint: aZp },
            outputDtype: 'int32',
            isa,
          });
          expect(firstDiff(linear(a, m, packed), want), isa).toBe(-1);
        }
      });
    }
});
