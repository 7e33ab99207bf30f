// ONNX's own backend node tests (Debian package libonnx-testdata) for the int8 op set.
//
// Which tests apply, and how:
//  - exact, on the test's own integer data: DynamicQuantizeLinear (all six, the _expanded ones
//    carry the same data), QuantizeLinear / DequantizeLinear (+ _axis), MaxPool uint8, Add / Mul
//    uint8 (ONNX's uint8 Add / Mul wrap modulo 256, QLinearAdd / QLinearMul with unit scales
//    saturate: they agree when no result leaves [0, 255], which is asserted on the data first);
//  - exact, through quantization: ops that only select or move values (MaxPool, GlobalMaxPool,
//    Pad, Concat, nearest Resize / Upsample) commute with any elementwise monotone map, so
//    op(quantize(x)) must equal quantize(expected) bit for bit (qparams from the input's range);
//  - within a stated bound, through quantization: ops that compute (AveragePool,
//    GlobalAveragePool, linear Resize, Add, Mul, Sigmoid, Tanh, Relu, LeakyRelu, HardSigmoid,
//    HardSwish): |dequantize(op(quantize(x))) - expected| <= the input quantization error carried
//    through the op (Lipschitz constant x half an input step) + half an output step (+ 1e-6
//    float slack); linear Resize adds its 1-LSB rounding bound.
// Not applicable: 3-D pools, MaxPool with argmax output, cubic and tf_crop_and_resize Resize
// (not implemented); QLinearConv / ConvInteger / QLinearMatMul belong to other op families.
import { describe, expect, it } from 'vitest';
import {
  add,
  averagePool2d,
  concat,
  dequantize,
  dynamicQuantize,
  globalAveragePool,
  maxPool2d,
  mul,
  pad,
  quantize,
  resize,
  unary,
} from '../lib';
import type { Pool2dParams, ResizeParams, UnaryFunction } from '../lib';
import { type NodeTest, type TestTensor, listNodeTests, loadNodeTest, testdataAvailable } from './helpers/onnx-testdata';

const available = testdataAvailable();
if (!available) console.warn('libonnx-testdata is not installed: the ONNX node tests are skipped (under CI=true this is an error)');
const suite = available ? describe : describe.skip;

type Q = Uint8Array | Int8Array;
// Test tensors as float32 (integer test data converts exactly; the selection ops commute with it).
const f32 = (t: TestTensor) => (t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>));
const nums = (t: TestTensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

function nchwToNhwc(x: Float32Array, [n, c, h, w]: number[]): Float32Array {
  const y = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) y[(b * h * w + i) * c + k] = x[(b * c + k) * h * w + i];
  return y;
}
function nhwcToNchw<T extends Q | Float32Array>(x: T, [n, h, w, c]: number[]): T {
  const y = new (x.constructor as new (l: number) => T)(x.length);
  for (let b = 0; b < n; b++) for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) y[(b * c + k) * h * w + i] = x[(b * h * w + i) * c + k];
  return y;
}

/** uint8 qparams covering the values (DynamicQuantizeLinear's rule). */
function qparamsOf(...arrays: Float32Array[]): { scale: number; zeroPoint: number } {
  const all = new Float32Array(arrays.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    all.set(a, o);
    o += a.length;
  }
  const { scale, zeroPoint } = dynamicQuantize(all);
  return { scale, zeroPoint };
}

function expectWithin(got: Float32Array, want: Float32Array, bound: (i: number) => number, label: string) {
  expect(got.length, label).toBe(want.length);
  let worst = -Infinity;
  let at = -1;
  for (let i = 0; i < got.length; i++) {
    const excess = Math.abs(got[i] - want[i]) - bound(i);
    if (excess > worst) {
      worst = excess;
      at = i;
    }
  }
  expect(worst, `${label}: element ${at} got ${got[at]}, expected ${want[at]}, bound ${bound(at)}`).toBeLessThanOrEqual(1e-6);
}

/** Pool attributes (2-D, or 1-D as a 1 x L image) in qint8's form. */
function poolParams(t: NodeTest, rank: number): Pool2dParams & { countIncludePad?: boolean } {
  const a = t.attrs;
  const two = (v: number[] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : rank === 1 ? [1, v[0]] : [v[0], v[1]]);
  const k = a.kernel_shape as number[];
  const p: Pool2dParams & { countIncludePad?: boolean } = {
    kernel: rank === 1 ? [1, k[0]] : [k[0], k[1]],
    strides: two(a.strides as number[] | undefined, 1),
  };
  if (a.dilations !== undefined) p.dilations = two(a.dilations as number[], 1);
  const auto = (a.auto_pad as string | undefined) ?? 'NOTSET';
  if (auto !== 'NOTSET') p.pads = auto.toLowerCase() as 'valid' | 'same_upper' | 'same_lower';
  else if (a.pads !== undefined) {
    const q = a.pads as number[];
    p.pads = rank === 1 ? [0, q[0], 0, q[1]] : [q[0], q[1], q[2], q[3]];
  }
  if (a.ceil_mode) p.ceilMode = true;
  if (a.count_include_pad) p.countIncludePad = true;
  return p;
}

/** x as NHWC ([N, C, L] as [N, 1, L, C]). */
function spatial(x: TestTensor): { data: Float32Array; shape: number[] } {
  if (x.dims.length === 3) {
    const [n, c, l] = x.dims;
    return { data: nchwToNhwc(f32(x), [n, c, 1, l]), shape: [n, 1, l, c] };
  }
  return { data: nchwToNhwc(f32(x), x.dims), shape: [x.dims[0], x.dims[2], x.dims[3], x.dims[1]] };
}

suite('ONNX backend node tests', () => {
  const run = (name: string, fn: (t: NodeTest) => void) =>
    it(name, () => {
      // *_expanded tests run the op's function body on the same data: only their data is used.
      const t = loadNodeTest(name, { dataOnly: name.endsWith('_expanded') });
      expect(t.sets.length, `${name} has data sets`).toBeGreaterThan(0);
      fn(t);
    });

  // --- exact on the test's own data ---
  for (const name of listNodeTests(/^test_dynamicquantizelinear/))
    run(name, (t) => {
      for (const s of t.sets) {
        const got = dynamicQuantize(f32(s.inputs[0]));
        expect(Array.from(got.data)).toEqual(nums(s.outputs[0]));
        expect(got.scale).toBe(f32(s.outputs[1])[0]);
        expect(got.zeroPoint).toBe(nums(s.outputs[2])[0]);
      }
    });

  for (const name of ['test_quantizelinear', 'test_quantizelinear_axis', 'test_dequantizelinear', 'test_dequantizelinear_axis'])
    run(name, (t) => {
      for (const s of t.sets) {
        const [x, sc, zp] = s.inputs;
        const perAxis = sc.dims.length === 1 && sc.dims[0] > 1;
        const params = perAxis
          ? { scale: f32(sc), zeroPoint: Int32Array.from(nums(zp)), shape: x.dims, axis: (t.attrs.axis as number | undefined) ?? 1 }
          : { scale: f32(sc)[0], zeroPoint: nums(zp)[0] };
        if (t.opType === 'QuantizeLinear') {
          const dtype = zp.data instanceof Int8Array ? ('int8' as const) : ('uint8' as const);
          expect(Array.from(quantize(f32(x), { ...params, dtype }))).toEqual(nums(s.outputs[0]));
        } else {
          expect(Array.from(dequantize(x.data as Q, params))).toEqual(Array.from(f32(s.outputs[0])));
        }
      }
    });

  run('test_maxpool_2d_uint8', (t) => {
    const s = t.sets[0];
    const x = s.inputs[0];
    const shape = [x.dims[0], x.dims[2], x.dims[3], x.dims[1]];
    const nhwc = nchwToNhwc(Float32Array.from(x.data as Uint8Array), x.dims);
    const got = maxPool2d({ data: Uint8Array.from(nhwc), shape }, poolParams(t, 2));
    const o = s.outputs[0];
    expect(Array.from(nhwcToNchw(got, [o.dims[0], o.dims[2], o.dims[3], o.dims[1]]))).toEqual(nums(o));
  });

  for (const name of ['test_add_uint8', 'test_mul_uint8'])
    run(name, (t) => {
      for (const s of t.sets) {
        const [a, b] = s.inputs;
        const want = nums(s.outputs[0]);
        // Exactly representable: no wrap modulo 256 in the data.
        const exact = Array.from(a.data as Uint8Array, (v, i) => (t.opType === 'Add' ? v + (b.data as Uint8Array)[i] : v * (b.data as Uint8Array)[i]));
        expect(exact).toEqual(want);
        const unit = { scale: 1, zeroPoint: 0 };
        const fn = t.opType === 'Add' ? add : mul;
        expect(Array.from(fn({ data: a.data as Uint8Array, shape: a.dims, ...unit }, { data: b.data as Uint8Array, shape: b.dims, ...unit }, unit))).toEqual(want);
      }
    });

  // --- exact through quantization (selection / data movement) ---
  for (const name of listNodeTests(/^test_(maxpool_(1d|2d)|globalmaxpool)/).filter((n) => !/uint8|argmax/.test(n)))
    run(name, (t) => {
      for (const s of t.sets) {
        const x = s.inputs[0];
        const rank = x.dims.length - 2;
        const { data, shape } = spatial(x);
        const q = qparamsOf(data);
        const p = t.opType === 'GlobalMaxPool' ? { kernel: [shape[1], shape[2]] as [number, number] } : poolParams(t, rank);
        const got = maxPool2d({ data: quantize(data, q) as Uint8Array, shape }, p);
        const want = quantize(spatial(s.outputs[0]).data, q);
        expect(Array.from(got)).toEqual(Array.from(want));
      }
    });

  for (const name of ['test_constant_pad', 'test_edge_pad', 'test_reflect_pad'])
    run(name, (t) => {
      for (const s of t.sets) {
        const x = s.inputs[0];
        const pads = nums(s.inputs[1]);
        const mode = (t.attrs.mode as string | undefined) ?? 'constant';
        const value = s.inputs[2] ? f32(s.inputs[2])[0] : 0;
        const q = qparamsOf(f32(x));
        const cv = quantize(new Float32Array([value]), q)[0];
        const got = pad({ data: quantize(f32(x), q), shape: x.dims }, { pads, mode: mode as 'constant', constantValue: cv });
        expect(Array.from(got)).toEqual(Array.from(quantize(f32(s.outputs[0]), q)));
      }
    });

  for (const name of listNodeTests(/^test_concat_/))
    run(name, (t) => {
      for (const s of t.sets) {
        const q = qparamsOf(...s.inputs.map(f32));
        const got = concat(
          s.inputs.map((x) => ({ data: quantize(f32(x), q), shape: x.dims, ...q })),
          t.attrs.axis as number,
          q,
        );
        expect(Array.from(got)).toEqual(Array.from(quantize(f32(s.outputs[0]), q)));
      }
    });

  // Resize / Upsample on an NCHW input with N and C scales of 1.
  function resizeCase(t: NodeTest, s: { inputs: TestTensor[] }): { x: TestTensor; params: ResizeParams } | undefined {
    const byName: Record<string, TestTensor> = { ...t.constants, ...Object.fromEntries(t.graphInputs.map((n, i) => [n, s.inputs[i]])) };
    const x = byName[t.nodeInputs[0]];
    let scales: number[] | undefined;
    let sizes: number[] | undefined;
    if (t.opType === 'Upsample' || t.opset < 11) scales = nums(byName[t.nodeInputs[1]]);
    else {
      const sc = t.nodeInputs[2] ? byName[t.nodeInputs[2]] : undefined;
      const sz = t.nodeInputs[3] ? byName[t.nodeInputs[3]] : undefined;
      if (sz && sz.data.length) sizes = nums(sz);
      else if (sc && sc.data.length) scales = nums(sc);
    }
    const v = scales ?? sizes!;
    if (v[0] !== (scales ? 1 : x.dims[0]) || v[1] !== (scales ? 1 : x.dims[1])) return undefined;
    const mode = (t.attrs.mode as string | undefined) ?? 'nearest';
    const coord = (t.attrs.coordinate_transformation_mode as string | undefined) ?? (t.opset >= 11 ? 'half_pixel' : 'asymmetric');
    const params: ResizeParams = {
      mode: mode as 'nearest',
      coordinateTransformationMode: coord as 'half_pixel',
      // Upsample (opset < 11) picks floor(x) for upscaling: ONNX's "simple" nearest.
      nearestMode: ((t.attrs.nearest_mode as string | undefined) ?? (t.opset >= 11 ? 'round_prefer_floor' : 'floor')) as 'floor',
      ...(scales ? { scales: [scales[2], scales[3]] as [number, number] } : { sizes: [sizes![2], sizes![3]] as [number, number] }),
    };
    return { x, params };
  }

  for (const name of listNodeTests(/^test_(resize_.*nearest|upsample_nearest)/))
    run(name, (t) => {
      for (const s of t.sets) {
        const c = resizeCase(t, s)!;
        const { data, shape } = spatial(c.x);
        const q = qparamsOf(data);
        const got = resize({ data: quantize(data, q), shape }, c.params);
        expect(Array.from(got)).toEqual(Array.from(quantize(spatial(s.outputs[0]).data, q)));
      }
    });

  // --- within a bound, through quantization ---
  // ONNX 1.12's expected output for this test computes align_corners with the fractional
  // resized length in * scale = 2.4 (x = 1 * 3 / 1.4); onnxruntime and qint8 use the integer
  // output length 2 (x = 3): the test's second value is 3.142857, onnxruntime's and ours 4.
  const divergent = new Set(['test_resize_downsample_scales_linear_align_corners']);
  run('test_resize_downsample_scales_linear_align_corners', (t) => {
    const s = t.sets[0];
    const c = resizeCase(t, s)!;
    const { data, shape } = spatial(c.x);
    const q = qparamsOf(data);
    const got = dequantize(resize({ data: quantize(data, q), shape }, c.params), q);
    expect(Array.from(f32(s.outputs[0]))).toEqual([1, Math.fround(3.142857074737549)]);
    expectWithin(got, new Float32Array([1, 4]), () => 1.5 * q.scale, 'integer output length');
  });

  for (const name of listNodeTests(/^test_resize_.*linear/).filter((n) => !divergent.has(n)))
    run(name, (t) => {
      for (const s of t.sets) {
        const c = resizeCase(t, s)!;
        const { data, shape } = spatial(c.x);
        const q = qparamsOf(data);
        const got = dequantize(resize({ data: quantize(data, q), shape }, c.params), q);
        // Input rounding (half a step, carried through weights summing to 1) + the 1-LSB bound.
        expectWithin(got, spatial(s.outputs[0]).data, () => 1.5 * q.scale, name);
      }
    });

  for (const name of listNodeTests(/^test_averagepool_(1d|2d)/))
    run(name, (t) => {
      for (const s of t.sets) {
        const x = s.inputs[0];
        const { data, shape } = spatial(x);
        const want = spatial(s.outputs[0]).data;
        const qi = qparamsOf(data);
        const qo = qparamsOf(want);
        const got = dequantize(averagePool2d({ data: quantize(data, qi), shape, ...qi }, poolParams(t, x.dims.length - 2), qo), qo);
        // Averaging carries half an input step at most; the output rounds by half a step.
        expectWithin(got, want, () => qi.scale / 2 + qo.scale / 2, name);
      }
    });

  for (const name of ['test_globalaveragepool', 'test_globalaveragepool_precomputed'])
    run(name, (t) => {
      for (const s of t.sets) {
        const { data, shape } = spatial(s.inputs[0]);
        const want = f32(s.outputs[0]);
        const qi = qparamsOf(data);
        const qo = qparamsOf(want);
        const got = dequantize(globalAveragePool({ data: quantize(data, qi), shape, ...qi }, qo), qo);
        expectWithin(got, want, () => qi.scale / 2 + qo.scale / 2, name);
      }
    });

  for (const name of ['test_add', 'test_add_bcast', 'test_mul', 'test_mul_bcast', 'test_mul_example'])
    run(name, (t) => {
      for (const s of t.sets) {
        const [a, b] = s.inputs;
        const want = f32(s.outputs[0]);
        const qa = qparamsOf(f32(a));
        const qb = qparamsOf(f32(b));
        const qc = qparamsOf(want);
        const A = quantize(f32(a), qa);
        const B = quantize(f32(b), qb);
        const fn = t.opType === 'Add' ? add : mul;
        const got = dequantize(fn({ data: A, shape: a.dims, ...qa }, { data: B, shape: b.dims, ...qb }, qc), qc);
        // Broadcast index of each output element into a and b (numpy rules).
        const out = s.outputs[0].dims;
        const idx = (dims: number[], o: number) => {
          let rem = o;
          let off = 0;
          let stride = 1;
          for (let i = out.length - 1; i >= 0; i--) {
            const k = rem % out[i];
            rem = Math.floor(rem / out[i]);
            const di = i - (out.length - dims.length);
            if (di >= 0) {
              if (dims[di] !== 1) off += k * stride;
              stride *= dims[di];
            }
          }
          return off;
        };
        const ea = qa.scale / 2;
        const eb = qb.scale / 2;
        expectWithin(
          got,
          want,
          (i) =>
            (t.opType === 'Add' ? ea + eb : Math.abs(f32(a)[idx(a.dims, i)]) * eb + Math.abs(f32(b)[idx(b.dims, i)]) * ea + ea * eb) +
            qc.scale / 2,
          name,
        );
      }
    });

  const unaryTests: [RegExp, UnaryFunction, (t: NodeTest) => { alpha?: number; beta?: number }, (t: NodeTest) => number][] = [
    [/^test_sigmoid/, 'sigmoid', () => ({}), () => 0.25],
    [/^test_tanh/, 'tanh', () => ({}), () => 1],
    [/^test_relu$/, 'relu', () => ({}), () => 1],
    [/^test_leakyrelu/, 'leakyRelu', (t) => ({ alpha: (t.attrs.alpha as number | undefined) ?? 0.01 }), (t) => Math.max(1, Math.abs((t.attrs.alpha as number | undefined) ?? 0.01))],
    [
      /^test_hardsigmoid/,
      'hardSigmoid',
      (t) => ({ alpha: (t.attrs.alpha as number | undefined) ?? 0.2, beta: (t.attrs.beta as number | undefined) ?? 0.5 }),
      (t) => Math.abs((t.attrs.alpha as number | undefined) ?? 0.2),
    ],
    [/^test_hardswish/, 'hardSwish', () => ({}), () => 1.5],
  ];
  for (const [re, fn, params, lipschitz] of unaryTests)
    for (const name of listNodeTests(re))
      run(name, (t) => {
        for (const s of t.sets) {
          const x = f32(s.inputs[0]);
          const want = f32(s.outputs[0]);
          const qi = qparamsOf(x);
          const qo = qparamsOf(want);
          const got = dequantize(unary({ data: quantize(x, qi), ...qi }, fn, qo, params(t)), qo);
          expectWithin(got, want, () => (lipschitz(t) * qi.scale) / 2 + qo.scale / 2, name);
        }
      });
});
