// Bad input gets a clear TypeError / RangeError, never a crash or a silent wrong answer.
import { describe, expect, it } from 'vitest';
import { computeQParams, configure, cpuInfo, dequantize, linear, linearAsync, packLinear, quantize } from '../lib';
import type { PackLinearOptions } from '../lib';

const base = (): PackLinearOptions => ({
  weight: new Int8Array(6),
  n: 2,
  k: 3,
  weightScale: 0.1,
  input: { scale: 0.5, zeroPoint: 10 },
  output: { scale: 1, zeroPoint: 5 },
});

describe('packLinear rejects bad options', () => {
  const bad: [string, (o: PackLinearOptions) => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ['weight length', (o) => (o.weight = new Int8Array(5)), RangeError, /weight has 5 elements, expected 6/],
    ['weight type', (o) => ((o as unknown as { weight: unknown }).weight = new Uint8Array(6)), TypeError, /weight must be a Int8Array, got Uint8Array/],
    ['weight plain array', (o) => ((o as unknown as { weight: unknown }).weight = [1, 2, 3, 4, 5, 6]), TypeError, /weight must be a Int8Array, got Array/],
    ['n non-integer', (o) => (o.n = 2.5), TypeError, /n must be an integer/],
    ['n negative', (o) => (o.n = -2), RangeError, /n must be >= 1/],
    ['k zero', (o) => (o.k = 0), RangeError, /k must be >= 1/],
    ['k string', (o) => ((o as unknown as { k: unknown }).k = '3'), TypeError, /k must be an integer, got string/],
    ['weightScale NaN', (o) => (o.weightScale = NaN), RangeError, /weightScale must be a finite number > 0/],
    ['weightScale Inf', (o) => (o.weightScale = Infinity), RangeError, /weightScale/],
    ['weightScale zero', (o) => (o.weightScale = 0), RangeError, /weightScale/],
    ['weightScale negative', (o) => (o.weightScale = -1), RangeError, /weightScale/],
    ['weightScale underflows float32', (o) => (o.weightScale = 1e-50), RangeError, /weightScale/],
    ['weightScale per-channel length', (o) => (o.weightScale = new Float32Array(3).fill(1)), RangeError, /1 or n \(2\) entries/],
    ['weightScale per-channel entry', (o) => (o.weightScale = new Float32Array([1, NaN])), RangeError, /weightScale\[1\]/],
    ['input missing', (o) => ((o as unknown as { input: unknown }).input = undefined), TypeError, /input must be an object/],
    ['input scale <= 0', (o) => (o.input.scale = 0), RangeError, /input.scale/],
    ['input zero point > 255', (o) => (o.input.zeroPoint = 256), RangeError, /input.zeroPoint 256 is outside the uint8 range/],
    ['input zero point < 0', (o) => (o.input.zeroPoint = -1), RangeError, /outside the uint8 range/],
    ['int8 input zero point 128', (o) => (o.input = { scale: 1, zeroPoint: 128, dtype: 'int8' }), RangeError, /outside the int8 range/],
    ['input zero point fractional', (o) => (o.input.zeroPoint = 1.5), TypeError, /input.zeroPoint must be an integer/],
    ['input dtype', (o) => ((o.input as unknown as { dtype: unknown }).dtype = 'uint16'), TypeError, /input.dtype must be 'uint8' or 'int8'/],
    ['output scale NaN', (o) => (o.output!.scale = NaN), RangeError, /output.scale/],
    ['output zero point', (o) => (o.output!.zeroPoint = 300), RangeError, /output.zeroPoint 300/],
    ['int8 output zero point', (o) => (o.output = { scale: 1, zeroPoint: 200, dtype: 'int8' }), RangeError, /outside the int8 range/],
    ['clip min > max', (o) => (o.output!.clip = { min: 6, max: 0 }), RangeError, /clip.min/],
    ['bias length', (o) => (o.bias = new Float32Array(3)), RangeError, /bias has 3 elements, expected 2/],
    ['bias type', (o) => ((o as unknown as { bias: unknown }).bias = new Float64Array(2)), TypeError, /bias must be a Float32Array or an Int32Array/],
    ['bias NaN', (o) => (o.bias = new Float32Array([0, NaN])), RangeError, /bias\[1\] is not finite/],
    ['weight zero point range', (o) => (o.weightZeroPoint = 200), RangeError, /weightZeroPoint 200 is outside the int8 range/],
    ['output and outputDtype', (o) => (o.outputDtype = 'int32'), TypeError, /either output/],
    ['unknown isa', (o) => ((o as unknown as { isa: unknown }).isa = 'sse9'), TypeError, /isa must be one of/],
  ];
  it.each(bad)('%s', (_name, mutate, type, message) => {
    const o = base();
    mutate(o);
    expect(() => packLinear(o)).toThrow(type);
    expect(() => packLinear(o)).toThrow(message);
  });

  it('an ISA this CPU lacks is a RangeError', () => {
    const missing = (['avx2', 'avx512vnni', 'neon', 'neondot', 'i8mm'] as const).find((i) => !cpuInfo().supportedIsas.includes(i));
    expect(missing).toBeDefined();
    expect(() => packLinear({ ...base(), isa: missing })).toThrow(/not supported by this CPU/);
  });
});

describe('linear rejects bad calls', () => {
  const packed = packLinear(base());
  const x = new Uint8Array(6);
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ['x length', () => linear(new Uint8Array(5), 2, packed), RangeError, /x has 5 elements, expected m\*k = 6/],
    ['x type', () => linear(new Int8Array(6), 2, packed), TypeError, /x must be a Uint8Array/],
    ['x Float32Array', () => linear(new Float32Array(6) as unknown as Uint8Array, 2, packed), TypeError, /x must be a Uint8Array/],
    ['m zero', () => linear(x, 0, packed), RangeError, /m must be >= 1/],
    ['m fractional', () => linear(x, 1.5, packed), TypeError, /m must be an integer/],
    ['m NaN', () => linear(x, NaN, packed), TypeError, /m must be an integer/],
    ['out length', () => linear(x, 2, packed, { out: new Uint8Array(3) }), RangeError, /out has 3 elements, expected m\*n = 4/],
    ['out type', () => linear(x, 2, packed, { out: new Float32Array(4) }), TypeError, /out must be a Uint8Array/],
    ['handle type', () => linear(x, 2, {} as never), TypeError, /packed must be a PackedLinear/],
    ['input override scale', () => linear(x, 2, packed, { input: { scale: -1, zeroPoint: 0 } }), RangeError, /input.scale/],
    ['input override zero point', () => linear(x, 2, packed, { input: { scale: 1, zeroPoint: 999 } }), RangeError, /input.zeroPoint/],
  ];
  it.each(cases)('%s', (_name, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  it('a released handle is a TypeError, sync and async', async () => {
    const p = packLinear(base());
    p.release();
    expect(p.released).toBe(true);
    expect(() => linear(x, 2, p)).toThrow(/released/);
    await expect(linearAsync(x, 2, p)).rejects.toThrow(/released/);
    p.release(); // twice is fine
  });

  it('linearAsync rejects (does not throw synchronously) on bad input', async () => {
    const pr = linearAsync(new Uint8Array(1), 2, packed);
    expect(pr).toBeInstanceOf(Promise);
    await expect(pr).rejects.toThrow(RangeError);
  });
});

describe('the native binding defends itself too', () => {
  it('rejects a forged handle and wrong buffers without crashing', async () => {
    const { native } = await import('../lib/native');
    const b = native();
    expect(() => b.linear({} as never, new Uint8Array(1), 1, new Uint8Array(1))).toThrow(/packLinear/);
    const packed = packLinear(base());
    const h = (packed as unknown as { handle: never }).handle;
    expect(() => b.linear(h, new Uint8Array(5), 2, new Uint8Array(4))).toThrow(RangeError);
    expect(() => b.linear(h, new Uint8Array(6), 2, new Uint8Array(3))).toThrow(RangeError);
    expect(() => b.linear(h, new Uint8Array(6), -1, new Uint8Array(4))).toThrow(RangeError);
    expect(() => b.linear(h, new Int8Array(6) as never, 2, new Uint8Array(4))).toThrow(TypeError);
    expect(() => b.quantize(new Float32Array(4), 1, 1, 5, new Float32Array([1]), new Int32Array([0]), 0, new Uint8Array(4))).toThrow(RangeError);
  });
});

describe('quantize / dequantize / computeQParams reject bad input', () => {
  it('quantize', () => {
    expect(() => quantize(new Float64Array(2) as never, { scale: 1 })).toThrow(TypeError);
    expect(() => quantize(new Float32Array(2), { scale: 0 })).toThrow(RangeError);
    expect(() => quantize(new Float32Array(2), { scale: NaN })).toThrow(RangeError);
    expect(() => quantize(new Float32Array(2), { scale: 1, zeroPoint: 256 })).toThrow(RangeError);
    expect(() => quantize(new Float32Array(2), { scale: 1, zeroPoint: 128, dtype: 'int8' })).toThrow(RangeError);
    expect(() => quantize(new Float32Array(2), { scale: 1 }, new Uint8Array(3))).toThrow(RangeError);
    expect(() => quantize(new Float32Array(2), { scale: 1, dtype: 'int8' }, new Uint8Array(2))).toThrow(TypeError);
    expect(() => quantize(new Float32Array(6), { scale: new Float32Array([1, 1]), shape: [2, 3], axis: 0 })).not.toThrow();
    expect(() => quantize(new Float32Array(6), { scale: new Float32Array([1, 1]), shape: [2, 3], axis: 1 })).toThrow(/shape\[axis\] = 3/);
    expect(() => quantize(new Float32Array(6), { scale: new Float32Array([1, 1]), shape: [2, 2], axis: 0 })).toThrow(/has 4 elements/);
    expect(() => quantize(new Float32Array(6), { scale: new Float32Array([1, 1]), shape: [2, 3], axis: 2 })).toThrow(/axis 2 is out of range/);
    expect(() => quantize(new Float32Array(6), { scale: new Float32Array([1, 1]), shape: [2, 3] })).toThrow(/needs axis/);
  });
  it('dequantize', () => {
    expect(() => dequantize(new Int16Array(2) as never, { scale: 1 })).toThrow(TypeError);
    expect(() => dequantize(new Uint8Array(2), { scale: -1 })).toThrow(RangeError);
    expect(() => dequantize(new Int8Array(2), { scale: 1, zeroPoint: 200 })).toThrow(RangeError);
    expect(() => dequantize(new Uint8Array(2), { scale: 1, dtype: 'int8' })).toThrow(TypeError);
    expect(() => dequantize(new Uint8Array(2), { scale: 1 }, new Float32Array(1))).toThrow(RangeError);
  });
  it('computeQParams', () => {
    expect(() => computeQParams(0, 1, { qscheme: 'per_tensor_symmetric', dtype: 'quint8', reduceRange: true })).toThrow(RangeError);
    expect(() => computeQParams(0, 1, { quantMin: 5, quantMax: 5 })).toThrow(/quantMin \(5\) must be < quantMax/);
    expect(() => computeQParams(0, 1, { eps: -1 })).toThrow(/eps/);
    expect(() => computeQParams(2, 1)).toThrow(/min \(2\) > max \(1\)/);
    expect(() => computeQParams(NaN, 1)).toThrow(/finite/);
    expect(() => computeQParams(0, 1, { qscheme: 'per_channel_affine' })).toThrow(TypeError);
    expect(() => computeQParams([0, 1], [1], {})).toThrow(RangeError);
    expect(() => computeQParams(0, 1, { dtype: 'int16' as never })).toThrow(TypeError);
  });
  it('configure', () => {
    expect(() => configure({ threads: 0 })).toThrow(RangeError);
    expect(() => configure({ threads: 1.5 })).toThrow(TypeError);
    expect(() => configure({ isa: 'avx9' as never })).toThrow(TypeError);
    expect(() => configure(null as never)).toThrow(TypeError);
  });
});
