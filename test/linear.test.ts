// packLinear / linear: every ISA bit-exact with the scalar reference; sync and async agree.
import { describe, expect, it } from 'vitest';
import { type LinearOutputDType, type PackLinearOptions, cpuInfo, linear, linearAsync, packLinear } from '../lib';
import { bytesOf, randomS8, randomU8, rng } from './helpers/onnx';

const isas = cpuInfo().supportedIsas.filter((i) => i !== 'scalar');

interface Case {
  m: number;
  n: number;
  k: number;
  out: LinearOutputDType;
  inDtype: 'uint8' | 'int8';
  zA: number;
  perChannel: boolean;
  bias: 'none' | 'float' | 'int';
  relu?: boolean;
  clip?: { min: number; max: number };
  wzp?: boolean;
  aFill?: number;
  wFill?: number;
}

function makeCase(c: Case, seed: number) {
  const r = rng(seed);
  const x = c.inDtype === 'uint8' ? randomU8(c.m * c.k, r) : new Int8Array(randomU8(c.m * c.k, r).buffer);
  if (c.aFill !== undefined) x.fill(c.aFill);
  const weight = randomS8(c.n * c.k, r);
  if (c.wFill !== undefined) weight.fill(c.wFill);
  const weightScale = c.perChannel ? Float32Array.from({ length: c.n }, () => r.float(0.001, 0.02)) : r.float(0.001, 0.02);
  const opts: PackLinearOptions = {
    weight,
    n: c.n,
    k: c.k,
    weightScale,
    input: { scale: r.float(0.005, 0.05), zeroPoint: c.zA, dtype: c.inDtype },
  };
  if (c.bias === 'float') opts.bias = Float32Array.from({ length: c.n }, () => r.float(-2, 2));
  if (c.bias === 'int') opts.bias = Int32Array.from({ length: c.n }, () => r.int(-50000, 50000));
  if (c.wzp) opts.weightZeroPoint = Int32Array.from({ length: c.n }, () => r.int(-128, 127));
  if (c.out === 'uint8' || c.out === 'int8') {
    opts.output = {
      scale: r.float(0.05, 0.5),
      zeroPoint: c.out === 'uint8' ? r.int(0, 255) : r.int(-128, 127),
      dtype: c.out,
      relu: c.relu,
      clip: c.clip,
    };
  } else {
    opts.outputDtype = c.out;
  }
  return { x, opts };
}

const cases: Case[] = [];
{
  const shapes = [
    [1, 1, 1],
    [1, 768, 768],
    [1, 17, 5],
    [2, 33, 3],
    [3, 48, 64],
    [5, 49, 127],
    [7, 100, 130],
    [8, 64, 4],
    [9, 16, 1023],
    [13, 97, 66],
    [16, 50, 2051],
    [31, 7, 9],
    [64, 130, 257],
  ];
  const outs: LinearOutputDType[] = ['uint8', 'int8', 'float32', 'int32'];
  let i = 0;
  for (const [m, n, k] of shapes) {
    for (const out of outs) {
      i++;
      const inDtype = i % 3 === 0 ? 'int8' : 'uint8';
      const zA = inDtype === 'uint8' ? [0, 255, 128, 37][i % 4] : [-128, 127, 0, -5][i % 4];
      cases.push({
        m,
        n,
        k,
        out,
        inDtype,
        zA,
        perChannel: i % 2 === 0,
        bias: out === 'int32' ? (i % 2 ? 'int' : 'none') : (['none', 'float', 'int'] as const)[i % 3],
        relu: (out === 'uint8' || out === 'int8') && i % 4 === 1,
        clip: (out === 'uint8' || out === 'int8') && i % 5 === 2 ? { min: -1, max: 6 } : undefined,
        wzp: i % 7 === 3,
      });
    }
  }
  // Saturating extremes: all-255 activations against all -128 weights, zero point 0 and 255.
  for (const zA of [0, 255])
    for (const out of outs) cases.push({ m: 4, n: 40, k: 1030, out, inDtype: 'uint8', zA, perChannel: true, bias: 'none', aFill: 255, wFill: -128 });
  cases.push({ m: 3, n: 20, k: 517, out: 'int32', inDtype: 'uint8', zA: 0, perChannel: false, bias: 'none', aFill: 255, wFill: 127 });
}

describe('linear: every ISA is bit-exact with the scalar reference', () => {
  it.each(cases.map((c, i) => [i, c] as const))('case %i', (i, c) => {
    const { x, opts } = makeCase(c, 1000 + i);
    const want = linear(x, c.m, packLinear({ ...opts, isa: 'scalar' }));
    for (const isa of isas) {
      const got = linear(x, c.m, packLinear({ ...opts, isa }));
      expect(Buffer.compare(bytesOf(got), bytesOf(want)), `${isa} ${JSON.stringify({ ...c })}`).toBe(0);
    }
  });
});

describe('linear: output stages', () => {
  it('fused relu clamps at the output zero point', () => {
    const { x, opts } = makeCase({ m: 6, n: 40, k: 50, out: 'uint8', inDtype: 'uint8', zA: 100, perChannel: true, bias: 'float', relu: true }, 7);
    const y = linear(x, 6, packLinear(opts)) as Uint8Array;
    const zp = opts.output!.zeroPoint;
    expect(Math.min(...y)).toBeGreaterThanOrEqual(zp);
    const plain = linear(x, 6, packLinear({ ...opts, output: { ...opts.output!, relu: false } })) as Uint8Array;
    for (let i = 0; i < y.length; i++) expect(y[i]).toBe(Math.max(plain[i], zp));
  });

  it('float32 output equals acc * sx * sw + bias computed in float32', () => {
    const r = rng(3);
    const m = 3, n = 5, k = 7;
    const x = randomU8(m * k, r);
    const w = randomS8(n * k, r);
    const bias = Float32Array.from({ length: n }, () => r.float(-1, 1));
    const sx = 0.02, sw = 0.01, zA = 120;
    const y = linear(x, m, packLinear({ weight: w, n, k, weightScale: sw, bias, input: { scale: sx, zeroPoint: zA } })) as Float32Array;
    const f = Math.fround;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let kk = 0; kk < k; kk++) acc += (x[i * k + kk] - zA) * w[j * k + kk];
        expect(y[i * n + j]).toBe(f(f(acc * f(f(sx) * f(sw))) + bias[j]));
      }
  });

  it('int32 output is the exact integer dot product with zero points', () => {
    const r = rng(4);
    const m = 4, n = 9, k = 13;
    const x = randomU8(m * k, r);
    const w = randomS8(n * k, r);
    const zw = Int32Array.from({ length: n }, () => r.int(-128, 127));
    const y = linear(x, m, packLinear({ weight: w, n, k, weightScale: 1, weightZeroPoint: zw, input: { scale: 1, zeroPoint: 77 }, outputDtype: 'int32' })) as Int32Array;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let kk = 0; kk < k; kk++) acc += (x[i * k + kk] - 77) * (w[j * k + kk] - zw[j]);
        expect(y[i * n + j]).toBe(acc);
      }
  });

  it('per-call input qparams (dynamic quantization) equal a layer packed with them', () => {
    const { x, opts } = makeCase({ m: 5, n: 33, k: 70, out: 'float32', inDtype: 'uint8', zA: 10, perChannel: true, bias: 'float' }, 9);
    const packed = packLinear(opts);
    const dyn = { scale: 0.0123, zeroPoint: 201 };
    const a = linear(x, 5, packed, { input: dyn });
    const b = linear(x, 5, packLinear({ ...opts, input: { ...opts.input, ...dyn } }));
    expect(Buffer.compare(bytesOf(a), bytesOf(b))).toBe(0);
    // And the pack-time parameters are untouched afterwards.
    expect(Buffer.compare(bytesOf(linear(x, 5, packed)), bytesOf(linear(x, 5, packLinear(opts))))).toBe(0);
  });

  it('writes into a caller-provided out buffer', () => {
    const { x, opts } = makeCase({ m: 2, n: 10, k: 20, out: 'uint8', inDtype: 'uint8', zA: 3, perChannel: false, bias: 'none' }, 11);
    const packed = packLinear(opts);
    const out = new Uint8Array(20);
    expect(linear(x, 2, packed, { out })).toBe(out);
    expect(Buffer.compare(out, linear(x, 2, packed) as Uint8Array)).toBe(0);
  });
});

describe('linearAsync', () => {
  it('gives the same bytes as linear, on every ISA and output type', async () => {
    let seed = 50;
    for (const isa of cpuInfo().supportedIsas)
      for (const out of ['uint8', 'int8', 'float32', 'int32'] as const) {
        const { x, opts } = makeCase({ m: 37, n: 70, k: 300, out, inDtype: 'uint8', zA: 128, perChannel: true, bias: out === 'int32' ? 'int' : 'float' }, seed++);
        const packed = packLinear({ ...opts, isa });
        const sync = linear(x, 37, packed);
        const async = await linearAsync(x, 37, packed);
        expect(Buffer.compare(bytesOf(async), bytesOf(sync))).toBe(0);
      }
  });

  it('runs many concurrent calls on one handle without mixing them up', async () => {
    const { opts } = makeCase({ m: 1, n: 64, k: 200, out: 'uint8', inDtype: 'uint8', zA: 9, perChannel: true, bias: 'float' }, 77);
    const packed = packLinear(opts);
    const r = rng(99);
    const xs = Array.from({ length: 24 }, () => randomU8(16 * 200, r));
    const results = await Promise.all(xs.map((x) => linearAsync(x, 16, packed)));
    xs.forEach((x, i) => expect(Buffer.compare(bytesOf(results[i]), bytesOf(linear(x, 16, packed)))).toBe(0));
  });

  it('keeps the layer alive when released while a call is in flight', async () => {
    const { x, opts } = makeCase({ m: 64, n: 256, k: 512, out: 'float32', inDtype: 'uint8', zA: 1, perChannel: false, bias: 'none' }, 5);
    const packed = packLinear(opts);
    const want = linear(x, 64, packed);
    const p = linearAsync(x, 64, packed);
    packed.release();
    expect(Buffer.compare(bytesOf(await p), bytesOf(want))).toBe(0);
    expect(() => linear(x, 64, packed)).toThrow(TypeError);
  });
});
