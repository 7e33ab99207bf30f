// int8 pools against onnxruntime-node, bit for bit: MaxPool (opset 12, uint8 and int8, NCHW with
// transposes), QLinearAveragePool and QLinearGlobalAveragePool (com.microsoft, both layouts);
// every ISA; odd channel counts, 1x1 inputs, padding up to kernel - 1, stride/dilation mixes,
// ceil mode, auto_pad; bad arguments.
import { describe, expect, it } from 'vitest';
import { averagePool2d, cpuInfo, globalAveragePool, maxPool2d, pool2dOutputShape } from '../lib';
import type { AveragePool2dParams, Pool2dParams } from '../lib';
import { DataType, attrInt, attrInts, buildModel, firstDiff, rng, runOrt, tensor } from './helpers/onnx';
import type { OnnxAttribute } from '../lib/onnx/proto';

const isas = cpuInfo().supportedIsas;
type Q = Uint8Array | Int8Array;

export function nhwcToNchw<T extends Q>(x: T, [n, h, w, c]: number[]): T {
  const y = new (x.constructor as new (len: number) => T)(x.length);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) y[(b * c + k) * h * w + i] = x[(b * h * w + i) * c + k];
  return y;
}
export function nchwToNhwc<T extends Q>(x: T, [n, c, h, w]: number[]): T {
  const y = new (x.constructor as new (len: number) => T)(x.length);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) y[(b * h * w + i) * c + k] = x[(b * c + k) * h * w + i];
  return y;
}

function randomBytes(n: number, r: ReturnType<typeof rng>, signed: boolean): Q {
  const u = Uint8Array.from({ length: n }, () => r.next() & 255);
  return signed ? new Int8Array(u.buffer) : u;
}

function onnxAttrs(p: Pool2dParams & { countIncludePad?: boolean }): OnnxAttribute[] {
  const pair = (v: number | readonly number[] | undefined, d: number) => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [...v]);
  const attrs: OnnxAttribute[] = [attrInts('kernel_shape', pair(p.kernel, 1))];
  if (p.strides !== undefined) attrs.push(attrInts('strides', pair(p.strides, 1)));
  if (p.dilations !== undefined) attrs.push(attrInts('dilations', pair(p.dilations, 1)));
  if (typeof p.pads === 'string') attrs.push({ name: 'auto_pad', type: 3, s: new TextEncoder().encode(p.pads.toUpperCase()) });
  else if (p.pads !== undefined) attrs.push(attrInts('pads', typeof p.pads === 'number' ? [p.pads, p.pads, p.pads, p.pads] : [...p.pads]));
  if (p.ceilMode) attrs.push(attrInt('ceil_mode', 1));
  if (p.countIncludePad) attrs.push(attrInt('count_include_pad', 1));
  return attrs;
}

interface Case {
  shape: [number, number, number, number]; // NHWC
  p: Pool2dParams & { countIncludePad?: boolean };
}

const cases: Case[] = [
  { shape: [1, 8, 8, 16], p: { kernel: 2, strides: 2 } },
  { shape: [1, 9, 9, 3], p: { kernel: 3, strides: 2, pads: 1 } },
  { shape: [2, 7, 11, 5], p: { kernel: [3, 2], strides: [2, 1], pads: [2, 1, 1, 0] } },
  { shape: [1, 1, 1, 7], p: { kernel: 1 } },
  { shape: [1, 1, 1, 65], p: { kernel: 3, pads: 1 } },
  { shape: [1, 13, 13, 64], p: { kernel: 3, strides: 2, ceilMode: true } },
  { shape: [1, 10, 10, 33], p: { kernel: 3, strides: 3, pads: [1, 1, 2, 2], ceilMode: true } },
  { shape: [1, 12, 12, 17], p: { kernel: 3, strides: 2, pads: 'same_upper' } },
  { shape: [1, 12, 12, 17], p: { kernel: 4, strides: 3, pads: 'same_lower' } },
  { shape: [1, 12, 12, 9], p: { kernel: 3, strides: 2, pads: 'valid' } },
  { shape: [1, 14, 14, 130], p: { kernel: 5, strides: 1, pads: 2 } },
  { shape: [3, 6, 6, 1], p: { kernel: [2, 3], strides: [1, 2], pads: [1, 2, 0, 1] } },
];
const dilated: Case[] = [
  { shape: [1, 10, 10, 8], p: { kernel: 3, dilations: 2 } },
  { shape: [1, 11, 9, 19], p: { kernel: [2, 3], strides: [2, 1], dilations: [3, 2], pads: 1 } },
  { shape: [1, 12, 12, 4], p: { kernel: 3, strides: 2, dilations: 2, pads: 2, ceilMode: true } },
];

describe('maxPool2d = onnxruntime MaxPool (opset 12)', () => {
  for (const signed of [false, true])
    for (const { shape, p } of [...cases, ...dilated])
      it(`${signed ? 'int8' : 'uint8'} [${shape}] ${JSON.stringify(p)}`, async () => {
        const r = rng(shape.reduce((a, b) => a * 3 + b, 7) + (signed ? 1 : 0));
        const x = randomBytes(shape.reduce((a, b) => a * b, 1), r, signed);
        const [n, h, w, c] = shape;
        const T = signed ? DataType.INT8 : DataType.UINT8;
        const model = buildModel({
          nodes: [{ opType: 'MaxPool', input: ['x'], output: ['y'], attribute: onnxAttrs(p) }],
          inputs: [{ name: 'x', type: T, dims: [n, c, h, w] }],
          outputs: [{ name: 'y', type: T }],
          opset: 12,
        });
        const res = await runOrt(model, { x: { data: nhwcToNchw(x, shape), dims: [n, c, h, w] } });
        const os = pool2dOutputShape(shape, p);
        expect(res.y.dims).toEqual([os[0], os[3], os[1], os[2]]);
        const want = nchwToNhwc(res.y.data as Q, res.y.dims as number[]);
        for (const isa of isas) expect(firstDiff(maxPool2d({ data: x, shape }, p, { isa }), want), isa).toBe(-1);
      });
});

async function ortAvg(x: Q, shape: number[], p: AveragePool2dParams, xq: [number, number], yq: [number, number], channelsLast: boolean) {
  const signed = x instanceof Int8Array;
  const T = signed ? DataType.INT8 : DataType.UINT8;
  const Z = signed ? Int8Array : Uint8Array;
  const [n, h, w, c] = shape;
  const attrs = onnxAttrs(p);
  if (channelsLast) attrs.push(attrInt('channels_last', 1));
  const dims = channelsLast ? [n, h, w, c] : [n, c, h, w];
  const model = buildModel({
    nodes: [{ opType: 'QLinearAveragePool', domain: 'com.microsoft', input: ['x', 'xs', 'xz', 'ys', 'yz'], output: ['y'], attribute: attrs }],
    inputs: [{ name: 'x', type: T, dims }],
    outputs: [{ name: 'y', type: T }],
    initializers: [tensor('xs', new Float32Array([xq[0]]), []), tensor('xz', new Z([xq[1]]), []), tensor('ys', new Float32Array([yq[0]]), []), tensor('yz', new Z([yq[1]]), [])],
    msOpset: 1,
  });
  const res = await runOrt(model, { x: { data: channelsLast ? x : nhwcToNchw(x, shape), dims } });
  return channelsLast ? (res.y.data as Q) : nchwToNhwc(res.y.data as Q, res.y.dims as number[]);
}

describe('averagePool2d = onnxruntime QLinearAveragePool', () => {
  const avgCases: Case[] = [
    ...cases.map((k) => ({ ...k, p: { ...k.p } })),
    ...cases.filter((k) => k.p.pads !== undefined || k.p.ceilMode).map((k) => ({ ...k, p: { ...k.p, countIncludePad: true } })),
    { shape: [2, 7, 7, 40], p: { kernel: 7 } }, // whole input, unpadded: the global path
    { shape: [1, 5, 3, 3], p: { kernel: [5, 3], strides: 2 } },
  ];
  for (const signed of [false, true])
    for (const { shape, p } of avgCases)
      it(`${signed ? 'int8' : 'uint8'} [${shape}] ${JSON.stringify(p)}`, async () => {
        const r = rng(shape.reduce((a, b) => a * 5 + b, 3) + (signed ? 1 : 0) + (p.countIncludePad ? 2 : 0));
        const x = randomBytes(shape.reduce((a, b) => a * b, 1), r, signed);
        const zp = () => (signed ? r.int(-128, 127) : r.int(0, 255));
        const xq: [number, number] = [Math.fround(r.float(0.01, 0.1)), zp()];
        const yq: [number, number] = [Math.fround(r.float(0.005, 0.05)), zp()];
        for (const channelsLast of [false, true]) {
          const want = await ortAvg(x, shape, p, xq, yq, channelsLast);
          for (const isa of isas) {
            const got = averagePool2d({ data: x, shape, scale: xq[0], zeroPoint: xq[1] }, p, { scale: yq[0], zeroPoint: yq[1] }, { isa });
            expect(firstDiff(got, want), `${isa} channelsLast=${channelsLast}`).toBe(-1);
          }
        }
      });

  it('rounds like onnxruntime where the float sum order decides (36000 3x3 averages near a rounding boundary)', async () => {
    // Output scale = input scale / 9 puts every 3x3 average near a rounding boundary.
    const r = rng(77);
    const shape = [1, 30, 30, 40];
    const x = randomBytes(30 * 30 * 40, r, false);
    const xq: [number, number] = [Math.fround(0.0371), 131];
    const yq: [number, number] = [Math.fround(0.0371 / 9), 128];
    const p = { kernel: 3, pads: 1, strides: 1 } as const;
    const want = await ortAvg(x, shape, p, xq, yq, true);
    for (const isa of isas)
      expect(firstDiff(averagePool2d({ data: x, shape, scale: xq[0], zeroPoint: xq[1] }, p, { scale: yq[0], zeroPoint: yq[1] }, { isa }), want), isa).toBe(-1);
  });
});

describe('globalAveragePool = onnxruntime QLinearGlobalAveragePool', () => {
  const shapes = [
    [1, 7, 7, 64],
    [2, 1, 1, 3],
    [1, 13, 17, 33],
    [3, 4, 4, 1],
    [1, 56, 56, 24],
    [2, 5, 5, 300],
  ];
  for (const signed of [false, true])
    for (const shape of shapes)
      it(`${signed ? 'int8' : 'uint8'} [${shape}]`, async () => {
        const r = rng(shape.reduce((a, b) => a * 11 + b, 1) + (signed ? 1 : 0));
        const [n, h, w, c] = shape;
        const x = randomBytes(n * h * w * c, r, signed);
        const zp = () => (signed ? r.int(-128, 127) : r.int(0, 255));
        const xq: [number, number] = [Math.fround(r.float(0.01, 0.1)), zp()];
        const yq: [number, number] = [Math.fround(r.float(0.002, 0.05)), zp()];
        const T = signed ? DataType.INT8 : DataType.UINT8;
        const Z = signed ? Int8Array : Uint8Array;
        for (const channelsLast of [false, true]) {
          const dims = channelsLast ? [n, h, w, c] : [n, c, h, w];
          const model = buildModel({
            nodes: [
              {
                opType: 'QLinearGlobalAveragePool',
                domain: 'com.microsoft',
                input: ['x', 'xs', 'xz', 'ys', 'yz'],
                output: ['y'],
                attribute: [attrInt('channels_last', channelsLast ? 1 : 0)],
              },
            ],
            inputs: [{ name: 'x', type: T, dims }],
            outputs: [{ name: 'y', type: T }],
            initializers: [tensor('xs', new Float32Array([xq[0]]), []), tensor('xz', new Z([xq[1]]), []), tensor('ys', new Float32Array([yq[0]]), []), tensor('yz', new Z([yq[1]]), [])],
            msOpset: 1,
          });
          const res = await runOrt(model, { x: { data: channelsLast ? x : nhwcToNchw(x, shape), dims } });
          for (const isa of isas) {
            const got = globalAveragePool({ data: x, shape, scale: xq[0], zeroPoint: xq[1] }, { scale: yq[0], zeroPoint: yq[1] }, { isa });
            expect(firstDiff(got, res.y.data as Q), `${isa} channelsLast=${channelsLast}`).toBe(-1);
          }
        }
      });
});

describe('pools reject bad arguments', () => {
  const x = { data: new Uint8Array(2 * 4 * 4 * 3), shape: [2, 4, 4, 3], scale: 0.1, zeroPoint: 0 };
  const o = { scale: 0.1, zeroPoint: 0 };
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ['rank', () => maxPool2d({ data: new Uint8Array(12), shape: [4, 3] }, { kernel: 2 }), RangeError, /x.shape must be \[N, H, W, C\], got rank 2/],
    ['shape vs data', () => maxPool2d({ data: new Uint8Array(5), shape: [1, 2, 2, 1] }, { kernel: 2 }), RangeError, /has 4 elements, the data 5/],
    ['kernel missing', () => maxPool2d(x, {} as never), TypeError, /params.kernel is required/],
    ['kernel zero', () => maxPool2d(x, { kernel: 0 }), RangeError, /must be >= 1/],
    ['kernel too large', () => maxPool2d(x, { kernel: 5 }), RangeError, /larger than the padded input along height/],
    ['pad >= kernel', () => maxPool2d(x, { kernel: 2, pads: [2, 0, 0, 0] }), RangeError, /pads along height must be smaller than the kernel \(2\)/],
    ['pads length', () => maxPool2d(x, { kernel: 2, pads: [1, 1] as never }), RangeError, /4 entries/],
    ['auto pad name', () => maxPool2d(x, { kernel: 2, pads: 'same' as never }), TypeError, /params.pads must be 'valid'/],
    ['strides shape', () => maxPool2d(x, { kernel: 2, strides: [1, 2, 3] as never }), RangeError, /params.strides must have 2 entries/],
    ['ceilMode type', () => maxPool2d(x, { kernel: 2, ceilMode: 1 as never }), TypeError, /params.ceilMode must be a boolean/],
    ['avg dilations', () => averagePool2d(x, { kernel: 2, dilations: 2 } as never, o), TypeError, /average pooling takes no dilations/],
    ['avg output zp', () => averagePool2d(x, { kernel: 2 }, { scale: 1, zeroPoint: -1 }), RangeError, /output.zeroPoint -1/],
    ['avg x scale', () => averagePool2d({ ...x, scale: Infinity }, { kernel: 2 }, o), RangeError, /x.scale/],
    ['out length', () => maxPool2d(x, { kernel: 2, strides: 2 }, { out: new Uint8Array(10) }), RangeError, /out has 10 elements, expected 24/],
    ['gap rank', () => globalAveragePool({ ...x, data: new Uint8Array(6), shape: [2, 3] }, o), RangeError, /rank >= 3/],
    ['gap out type', () => globalAveragePool(x, o, { out: new Int8Array(6) }), TypeError, /out must be a Uint8Array/],
  ];
  it.each(cases)('%s', (_n, call, type, re) => {
    expect(call).toThrow(type);
    expect(call).toThrow(re);
  });
});
