// qint8::MaxPoolNhwc / AveragePoolNhwc / GlobalAveragePoolNhwc / GlobalMaxPoolNhwc (engine ops,
// channels-last) against onnxruntime-node's MaxPool / AveragePool / GlobalAveragePool /
// GlobalMaxPool on NCHW models, on every ISA tier. Max pooling picks one of its inputs, so it must
// match exactly; averages use the tolerance of helpers/fp32.ts with K = the window size (the sum's
// order and onnxruntime's division may differ; S = the same pool of |x|).
import { describe, expect, it } from 'vitest';
import { cpuInfo } from '../lib';
import { type AttrValue, createOp } from '../lib/engine/ops';
import type { OnnxAttribute } from '../lib/onnx/proto';
import { DataType, attrInt, attrInts, buildModel, firstDiff, rng, runOrt } from './helpers/onnx';
import { abs, checkClose, nchwToNhwc, nhwcToNchw, randomF32 } from './helpers/fp32';

const isas = cpuInfo().supportedIsas;
const F = DataType.FLOAT;

interface Spec {
  op: 'MaxPool' | 'AveragePool' | 'GlobalAveragePool' | 'GlobalMaxPool';
  n: number; h: number; w: number; c: number;
  k?: [number, number]; stride?: [number, number]; pads?: [number, number, number, number]; dil?: [number, number];
  ceil?: boolean; includePad?: boolean; autoPad?: 'SAME_UPPER' | 'SAME_LOWER' | 'VALID'; oneD?: boolean;
}

function attrs(s: Spec): { onnx: OnnxAttribute[]; op: Record<string, AttrValue> } {
  const onnx: OnnxAttribute[] = [];
  const op: Record<string, AttrValue> = {};
  if (s.op.startsWith('Global')) return { onnx, op };
  const sp = (v: [number, number]) => (s.oneD ? [v[1]] : v);
  const add = (name: string, v: number[]) => {
    onnx.push(attrInts(name, v));
    op[name] = v;
  };
  add('kernel_shape', sp(s.k!));
  if (s.stride) add('strides', sp(s.stride));
  if (s.dil) add('dilations', sp(s.dil));
  if (s.autoPad) {
    onnx.push({ name: 'auto_pad', type: 3, s: new TextEncoder().encode(s.autoPad) });
    op.auto_pad = s.autoPad;
  } else if (s.pads) {
    add('pads', s.oneD ? [s.pads[1], s.pads[3]] : s.pads);
  }
  if (s.ceil) {
    onnx.push(attrInt('ceil_mode', 1));
    op.ceil_mode = 1;
  }
  if (s.includePad) {
    onnx.push(attrInt('count_include_pad', 1));
    op.count_include_pad = 1;
  }
  return { onnx, op };
}

async function ortPool(s: Spec, xNchw: Float32Array) {
  const dims = s.oneD ? [s.n, s.c, s.w] : [s.n, s.c, s.h, s.w];
  const model = buildModel({
    nodes: [{ opType: s.op, input: ['x'], output: ['y'], attribute: attrs(s).onnx }],
    inputs: [{ name: 'x', type: F, dims }],
    outputs: [{ name: 'y', type: F }],
    opset: 19,
  });
  const r = await runOrt(model, { x: { data: xNchw, dims } });
  return { y: r.y.data as Float32Array, dims: r.y.dims as number[] };
}

const specs: Spec[] = [
  { op: 'MaxPool', n: 1, h: 14, w: 14, c: 64, k: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1] },
  { op: 'MaxPool', n: 2, h: 9, w: 8, c: 17, k: [2, 2], stride: [2, 2] },
  { op: 'MaxPool', n: 1, h: 5, w: 5, c: 3, k: [2, 2], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true },
  { op: 'MaxPool', n: 1, h: 11, w: 10, c: 40, k: [3, 2], stride: [2, 1], pads: [1, 0, 1, 1], ceil: true },
  { op: 'MaxPool', n: 1, h: 9, w: 10, c: 16, k: [2, 2], dil: [2, 3], pads: [1, 0, 0, 1] },
  { op: 'MaxPool', n: 1, h: 8, w: 9, c: 24, k: [3, 3], stride: [2, 2], autoPad: 'SAME_UPPER' },
  { op: 'MaxPool', n: 1, h: 8, w: 9, c: 24, k: [2, 2], stride: [2, 2], autoPad: 'SAME_LOWER' },
  { op: 'MaxPool', n: 1, h: 1, w: 20, c: 8, k: [1, 3], stride: [1, 2], pads: [0, 1, 0, 1], oneD: true },
  { op: 'AveragePool', n: 1, h: 14, w: 14, c: 64, k: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1] },
  { op: 'AveragePool', n: 1, h: 14, w: 13, c: 70, k: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], includePad: true },
  { op: 'AveragePool', n: 1, h: 6, w: 6, c: 5, k: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true, includePad: true },
  { op: 'AveragePool', n: 1, h: 7, w: 6, c: 33, k: [3, 3], stride: [2, 2], ceil: true, includePad: true },
  { op: 'AveragePool', n: 2, h: 8, w: 8, c: 16, k: [2, 2], stride: [2, 2] },
  { op: 'AveragePool', n: 1, h: 9, w: 10, c: 16, k: [3, 3], stride: [2, 2], autoPad: 'SAME_UPPER' },
  { op: 'AveragePool', n: 1, h: 9, w: 10, c: 16, k: [2, 2], dil: [2, 2], pads: [1, 1, 1, 1] },
  { op: 'GlobalAveragePool', n: 2, h: 7, w: 5, c: 40 },
  { op: 'GlobalAveragePool', n: 1, h: 28, w: 28, c: 130 },
  { op: 'GlobalMaxPool', n: 2, h: 7, w: 5, c: 70 },
];

describe('pooling (NHWC engine ops) vs onnxruntime', () => {
  specs.forEach((s, i) => {
    it(`case ${i}: ${s.op} ${s.n}x${s.h}x${s.w}x${s.c}${s.k ? ' k' + s.k : ''}${s.stride ? ' s' + s.stride : ''}${s.dil ? ' d' + s.dil : ''}${s.pads ? ' pads ' + s.pads : ''}${s.autoPad ? ' ' + s.autoPad : ''}${s.ceil ? ' ceil' : ''}${s.includePad ? ' count_include_pad' : ''}`, async () => {
      const r = rng(700 + i);
      const x = randomF32(s.n * s.h * s.w * s.c, r, -4, 4);
      const xNchw = nhwcToNchw(x, s.n, s.h, s.w, s.c);
      const want = await ortPool(s, xNchw);
      const d = want.dims;
      const oh = d.length === 4 ? d[2] : 1, ow = d[d.length - 1];
      const wantNhwc = nchwToNhwc(want.y, s.n, s.c, oh, ow);
      const yShape = s.oneD ? [s.n, ow, s.c] : [s.n, oh, ow, s.c];
      const xShape = s.oneD ? [s.n, s.w, s.c] : [s.n, s.h, s.w, s.c];
      const isAvg = s.op.includes('Average');
      const S = isAvg ? nchwToNhwc((await ortPool(s, abs(xNchw))).y, s.n, s.c, oh, ow) : null;
      const K = s.op.startsWith('Global') ? s.h * s.w : s.k![0] * s.k![1];
      for (const isa of isas) {
        const op = createOp('qint8', `${s.op}Nhwc`, attrs(s).op, [null], isa);
        const y = new Float32Array(wantNhwc.length);
        op.run([{ type: 'float32', shape: xShape, data: x }], [{ type: 'float32', shape: yShape, data: y }]);
        if (isAvg) expect(checkClose(y, wantNhwc, S!, K), isa).toBeNull();
        else expect(firstDiff(y, wantNhwc), isa).toBe(-1);
      }
    });
  });

  it('rejects bad attributes and shapes with clear errors', () => {
    expect(() => createOp('qint8', 'MaxPoolNhwc', {}, [null])).toThrow(/kernel_shape must have 1 or 2 entries/);
    expect(() => createOp('qint8', 'MaxPoolNhwc', { kernel_shape: [2, 2], strides: [0, 1] }, [null])).toThrow(/strides must be >= 1/);
    expect(() => createOp('qint8', 'AveragePoolNhwc', { kernel_shape: [2, 2], auto_pad: 'same' }, [null])).toThrow(/auto_pad 'same'/);
    const op = createOp('qint8', 'MaxPoolNhwc', { kernel_shape: [3, 3] }, [null]);
    expect(() =>
      op.run([{ type: 'float32', shape: [1, 2, 2, 4], data: new Float32Array(16) }], [{ type: 'float32', shape: [1, 1, 1, 4], data: new Float32Array(4) }]),
    ).toThrow(/does not fit the padded input/);
    expect(() =>
      op.run([{ type: 'float32', shape: [1, 5, 5, 4], data: new Float32Array(100) }], [{ type: 'float32', shape: [1, 2, 2, 4], data: new Float32Array(16) }]),
    ).toThrow(/Y has shape \[1, 2, 2, 4\], expected \[1, 3, 3, 4\]/);
  });
});
