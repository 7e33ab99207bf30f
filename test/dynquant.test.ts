// dynamicQuantize against onnxruntime-node's DynamicQuantizeLinear (y, y_scale, y_zero_point bit
// for bit) on several value distributions and sizes; every ISA; NaN handling; bad arguments.
import { describe, expect, it } from 'vitest';
import { cpuInfo, dynamicQuantize } from '../lib';
import { DataType, buildModel, firstDiff, rng, runOrt } from './helpers/onnx';

const isas = cpuInfo().supportedIsas;

const model = buildModel({
  nodes: [{ opType: 'DynamicQuantizeLinear', input: ['x'], output: ['y', 's', 'z'] }],
  inputs: [{ name: 'x', type: DataType.FLOAT, dims: ['n'] }],
  outputs: [
    { name: 'y', type: DataType.UINT8 },
    { name: 's', type: DataType.FLOAT },
    { name: 'z', type: DataType.UINT8 },
  ],
  opset: 13,
});

describe('dynamicQuantize = onnxruntime DynamicQuantizeLinear', () => {
  const gens: [string, (r: ReturnType<typeof rng>) => number][] = [
    ['mixed', (r) => r.float(-3, 5)],
    ['positive', (r) => r.float(0.5, 7)],
    ['negative', (r) => r.float(-9, -0.1)],
    ['tiny', (r) => r.float(-1e-5, 2e-5)],
    ['wide', (r) => r.float(-1e4, 3e3)],
    ['integers', (r) => r.int(-40, 90)],
  ];
  for (const [name, g] of gens)
    for (const n of [1, 17, 1000, 70001, 300000])
      it(`${name} n=${n}`, async () => {
        const r = rng(n + name.length * 1000);
        const x = Float32Array.from({ length: n }, () => g(r));
        const res = await runOrt(model, { x: { data: x, dims: [n] } });
        const scale = (res.s.data as Float32Array)[0];
        const zeroPoint = (res.z.data as Uint8Array)[0];
        for (const isa of isas) {
          const got = dynamicQuantize(x, { isa });
          expect(got.scale, isa).toBe(scale);
          expect(got.zeroPoint, isa).toBe(zeroPoint);
          expect(firstDiff(got.data, res.y.data as Uint8Array), isa).toBe(-1);
        }
      });

  it('more than 64 threaded min/max tasks (17M values; the extremes at both ends)', async () => {
    const n = 17_000_000;
    const r = rng(77);
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = r.float(-1, 1);
    x[0] = 9.25;
    x[n - 1] = -7.5;
    const res = await runOrt(model, { x: { data: x, dims: [n] } });
    for (const isa of isas) {
      const got = dynamicQuantize(x, { isa });
      expect(got.scale, isa).toBe((res.s.data as Float32Array)[0]);
      expect(got.zeroPoint, isa).toBe((res.z.data as Uint8Array)[0]);
      expect(firstDiff(got.data, res.y.data as Uint8Array), isa).toBe(-1);
    }
  });

  it('all zeros: scale 1, zero point 0 (onnxruntime)', async () => {
    const x = new Float32Array(33);
    const res = await runOrt(model, { x: { data: x, dims: [33] } });
    const got = dynamicQuantize(x);
    expect([got.scale, got.zeroPoint]).toEqual([(res.s.data as Float32Array)[0], (res.z.data as Uint8Array)[0]]);
    expect([got.scale, got.zeroPoint]).toEqual([1, 0]);
  });

  it('NaN takes no part in the range and quantizes to 0', () => {
    const x = Float32Array.from({ length: 100 }, (_, i) => (i % 7 === 3 ? NaN : i / 10 - 2));
    const clean = Float32Array.from(x.filter((v) => !Number.isNaN(v)));
    for (const isa of isas) {
      const a = dynamicQuantize(x, { isa });
      const b = dynamicQuantize(clean, { isa });
      expect([a.scale, a.zeroPoint]).toEqual([b.scale, b.zeroPoint]);
      x.forEach((v, i) => {
        if (Number.isNaN(v)) expect(a.data[i]).toBe(0);
      });
    }
  });

  it('rejects bad arguments', () => {
    expect(() => dynamicQuantize(new Float64Array(3) as never)).toThrow(/x must be a Float32Array, got Float64Array/);
    expect(() => dynamicQuantize(new Float32Array(3), { out: new Uint8Array(2) })).toThrow(/out has 2 elements, expected 3/);
    expect(() => dynamicQuantize(new Float32Array(3), { out: new Int8Array(3) as never })).toThrow(/out must be a Uint8Array/);
  });
});
