// qint8::ConvNhwc / qint8::ConvTransposeNhwc (engine ops, channels-last) against onnxruntime-node's
// float Conv / ConvTranspose (+ the activation as a separate node) on NCHW models, transposed at
// the edges in the test, on every ISA tier. Tolerance: helpers/fp32.ts (K = taps x input
// channels per group).
import { describe, expect, it } from 'vitest';
import { cpuInfo } from '../lib';
import { type AttrValue, type OpTensor, createOp } from '../lib/engine/ops';
import type { OnnxAttribute, OnnxNode, OnnxTensor } from '../lib/onnx/proto';
import { DataType, attrFloat, attrInt, attrInts, buildModel, rng, runOrt, tensor } from './helpers/onnx';
import { type ActName, abs, checkClose, nchwToNhwc, nhwcToNchw, randomF32 } from './helpers/fp32';

const isas = cpuInfo().supportedIsas;
const F = DataType.FLOAT;

function attrString(name: string, s: string): OnnxAttribute {
  return { name, type: 3, s: new TextEncoder().encode(s) };
}

interface Spec {
  transposed?: boolean;
  n: number; h: number; w: number; cin: number; cout: number;
  k: [number, number]; stride?: [number, number]; dil?: [number, number]; pads?: [number, number, number, number];
  groups?: number; autoPad?: 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  outputPadding?: [number, number]; outputShape?: [number, number];
  bias: boolean; runtimeBias?: boolean; act?: ActName; params?: number[];
  oneD?: boolean; // a 1-D conv (h must be 1): [N, C, L] / [N, L, C]
}

function weightShape(s: Spec): number[] {
  const g = s.groups ?? 1;
  const sp = s.oneD ? [s.k[1]] : s.k;
  return s.transposed ? [s.cin, s.cout / g, ...sp] : [s.cout, s.cin / g, ...sp];
}

function onnxAttrs(s: Spec): OnnxAttribute[] {
  const sp = (v: [number, number]) => (s.oneD ? [v[1]] : v);
  const a: OnnxAttribute[] = [attrInts('kernel_shape', sp(s.k)), attrInts('strides', sp(s.stride ?? [1, 1])), attrInts('dilations', sp(s.dil ?? [1, 1])), attrInt('group', s.groups ?? 1)];
  if (s.autoPad) a.push(attrString('auto_pad', s.autoPad));
  else {
    const p = s.pads ?? [0, 0, 0, 0];
    a.push(attrInts('pads', s.oneD ? [p[1], p[3]] : p));
  }
  if (s.outputPadding) a.push(attrInts('output_padding', sp(s.outputPadding)));
  if (s.outputShape) a.push(attrInts('output_shape', sp(s.outputShape)));
  return a;
}

function opAttrs(s: Spec): Record<string, AttrValue> {
  const sp = (v: [number, number]) => (s.oneD ? [v[1]] : v);
  const a: Record<string, AttrValue> = { kernel_shape: sp(s.k), strides: sp(s.stride ?? [1, 1]), dilations: sp(s.dil ?? [1, 1]), group: s.groups ?? 1 };
  if (s.autoPad) a.auto_pad = s.autoPad;
  else {
    const p = s.pads ?? [0, 0, 0, 0];
    a.pads = s.oneD ? [p[1], p[3]] : p;
  }
  if (s.outputPadding) a.output_padding = sp(s.outputPadding);
  if (s.outputShape) a.output_shape = sp(s.outputShape);
  if (s.act) {
    a.activation = s.act;
    a.activation_params = { kind: 'floats', value: s.params ?? [] };
  }
  return a;
}

function activationNodes(act: ActName | undefined, params: number[] | undefined, from: string, to: string): { nodes: OnnxNode[]; inits: OnnxTensor[] } {
  if (!act) return { nodes: [], inits: [] };
  const p = params ?? [];
  if (act === 'Clip')
    return {
      nodes: [{ opType: 'Clip', input: [from, 'lo', 'hi'], output: [to] }],
      inits: [tensor('lo', new Float32Array([p[0]]), []), tensor('hi', new Float32Array([p[1]]), [])],
    };
  const attribute = act === 'LeakyRelu' ? [attrFloat('alpha', p[0])] : act === 'HardSigmoid' ? [attrFloat('alpha', p[0]), attrFloat('beta', p[1])] : [];
  return { nodes: [{ opType: act, input: [from], output: [to], attribute }], inits: [] };
}

async function ortConv(s: Spec, xNchw: Float32Array, w: Float32Array, b: Float32Array | undefined, withAct: boolean) {
  const xDims = s.oneD ? [s.n, s.cin, s.w] : [s.n, s.cin, s.h, s.w];
  const inputs = ['x', 'w'];
  const inits = [tensor('w', w, weightShape(s))];
  if (b) {
    inputs.push('b');
    inits.push(tensor('b', b, [s.cout]));
  }
  const act = withAct ? activationNodes(s.act, s.params, 'c', 'y') : { nodes: [], inits: [] };
  const model = buildModel({
    nodes: [{ opType: s.transposed ? 'ConvTranspose' : 'Conv', input: inputs, output: [act.nodes.length ? 'c' : 'y'], attribute: onnxAttrs(s) }, ...act.nodes],
    inputs: [{ name: 'x', type: F, dims: xDims }],
    outputs: [{ name: 'y', type: F }],
    initializers: [...inits, ...act.inits],
    opset: 14,
  });
  const r = await runOrt(model, { x: { data: xNchw, dims: xDims } });
  return { y: r.y.data as Float32Array, dims: r.y.dims as number[] };
}

function toNhwc(a: Float32Array, dims: number[]): Float32Array {
  return dims.length === 3 ? nchwToNhwc(a, dims[0], dims[1], 1, dims[2]) : nchwToNhwc(a, dims[0], dims[1], dims[2], dims[3]);
}

async function check(s: Spec, seed: number) {
  const r = rng(seed);
  const g = s.groups ?? 1;
  const x = randomF32(s.n * s.h * s.w * s.cin, r);
  const w = randomF32(weightShape(s).reduce((p, v) => p * v, 1), r);
  const b = s.bias ? randomF32(s.cout, r) : undefined;
  const xNchw = nhwcToNchw(x, s.n, s.h, s.w, s.cin);
  const want = await ortConv(s, xNchw, w, b, true);
  const S = await ortConv(s, abs(xNchw), abs(w), b ? abs(b) : undefined, false);
  const wantNhwc = toNhwc(want.y, want.dims), sNhwc = toNhwc(S.y, S.dims);
  const yShape = want.dims.length === 3 ? [want.dims[0], want.dims[2], want.dims[1]] : [want.dims[0], want.dims[2], want.dims[3], want.dims[1]];
  const K = s.k[0] * s.k[1] * (s.transposed ? s.cin / g : s.cin / g);
  const xShape = s.oneD ? [s.n, s.w, s.cin] : [s.n, s.h, s.w, s.cin];
  const wT: OpTensor = { type: 'float32', shape: weightShape(s), data: w };
  const bT: OpTensor | undefined = b ? { type: 'float32', shape: [s.cout], data: b } : undefined;
  for (const isa of isas) {
    const op = createOp('qint8', s.transposed ? 'ConvTransposeNhwc' : 'ConvNhwc', opAttrs(s), [null, wT, bT ? (s.runtimeBias ? null : bT) : undefined], isa);
    const y = new Float32Array(wantNhwc.length);
    op.run([{ type: 'float32', shape: xShape, data: x }, wT, bT], [{ type: 'float32', shape: yShape, data: y }]);
    expect(checkClose(y, wantNhwc, sNhwc, K, s.act, s.params), isa).toBeNull();
  }
}

const convSpecs: Spec[] = [
  { n: 1, h: 9, w: 11, cin: 8, cout: 16, k: [3, 3], pads: [1, 1, 1, 1], bias: true },
  { n: 2, h: 10, w: 7, cin: 13, cout: 21, k: [3, 3], stride: [2, 2], pads: [1, 0, 1, 2], bias: true, act: 'Relu' },
  { n: 1, h: 12, w: 12, cin: 32, cout: 64, k: [1, 1], bias: true, act: 'HardSwish' },
  { n: 1, h: 9, w: 9, cin: 16, cout: 32, k: [1, 1], stride: [2, 2], bias: true, runtimeBias: true },
  { n: 1, h: 15, w: 13, cin: 24, cout: 24, k: [3, 3], pads: [1, 1, 1, 1], groups: 24, bias: true, act: 'Clip', params: [0, 6] },
  { n: 1, h: 16, w: 16, cin: 40, cout: 40, k: [5, 5], stride: [2, 2], pads: [2, 2, 2, 2], groups: 40, bias: true, act: 'HardSwish' },
  { n: 1, h: 14, w: 30, cin: 33, cout: 33, k: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], groups: 33, bias: false },
  { n: 1, h: 20, w: 27, cin: 7, cout: 7, k: [5, 5], pads: [2, 2, 2, 2], groups: 7, bias: true, act: 'LeakyRelu', params: [0.2] },
  { n: 1, h: 12, w: 21, cin: 17, cout: 17, k: [3, 3], dil: [2, 2], pads: [2, 2, 2, 2], groups: 17, bias: true },
  { n: 1, h: 11, w: 9, cin: 12, cout: 18, k: [3, 2], stride: [1, 2], dil: [2, 1], pads: [2, 0, 2, 1], groups: 3, bias: true, act: 'LeakyRelu', params: [0.1] },
  { n: 1, h: 16, w: 16, cin: 3, cout: 16, k: [7, 7], stride: [2, 2], pads: [3, 3, 3, 3], bias: true, act: 'Relu' },
  { n: 1, h: 7, w: 8, cin: 24, cout: 40, k: [3, 3], stride: [2, 2], autoPad: 'SAME_UPPER', bias: true },
  { n: 1, h: 7, w: 8, cin: 24, cout: 40, k: [4, 4], stride: [2, 2], autoPad: 'SAME_LOWER', bias: false },
  { n: 1, h: 7, w: 8, cin: 20, cout: 12, k: [2, 3], autoPad: 'VALID', bias: true },
  { n: 1, h: 6, w: 6, cin: 128, cout: 40, k: [3, 3], pads: [1, 1, 1, 1], bias: true, act: 'HardSigmoid', params: [0.2, 0.5] },
  { n: 1, h: 7, w: 7, cin: 512, cout: 64, k: [3, 3], pads: [1, 1, 1, 1], bias: true, act: 'Relu' },
  { n: 1, h: 1, w: 20, cin: 16, cout: 24, k: [1, 5], pads: [0, 2, 0, 2], bias: true, oneD: true },
];

const convTSpecs: Spec[] = [
  { transposed: true, n: 1, h: 5, w: 6, cin: 8, cout: 6, k: [2, 2], stride: [2, 2], bias: true },
  { transposed: true, n: 1, h: 4, w: 4, cin: 6, cout: 10, k: [4, 4], stride: [2, 2], pads: [1, 1, 1, 1], bias: true, act: 'Relu' },
  { transposed: true, n: 2, h: 5, w: 3, cin: 4, cout: 6, k: [3, 3], stride: [2, 1], pads: [1, 0, 1, 2], groups: 2, outputPadding: [1, 0], bias: true },
  { transposed: true, n: 1, h: 3, w: 7, cin: 5, cout: 7, k: [3, 2], stride: [3, 2], pads: [0, 1, 2, 0], outputPadding: [2, 1], bias: false },
  { transposed: true, n: 1, h: 4, w: 5, cin: 16, cout: 40, k: [3, 3], stride: [2, 2], dil: [2, 1], outputPadding: [1, 1], bias: true, act: 'LeakyRelu', params: [0.125] },
  { transposed: true, n: 1, h: 5, w: 5, cin: 8, cout: 8, k: [3, 3], stride: [2, 2], autoPad: 'SAME_UPPER', bias: true },
  { transposed: true, n: 1, h: 5, w: 5, cin: 8, cout: 8, k: [4, 4], stride: [2, 2], autoPad: 'SAME_LOWER', bias: true },
  { transposed: true, n: 1, h: 4, w: 4, cin: 8, cout: 8, k: [3, 3], stride: [2, 2], outputShape: [8, 9], bias: true },
  { transposed: true, n: 1, h: 5, w: 5, cin: 8, cout: 8, k: [3, 3], stride: [2, 2], autoPad: 'SAME_LOWER', bias: true },
  { transposed: true, n: 1, h: 4, w: 4, cin: 8, cout: 8, k: [3, 3], stride: [2, 2], outputShape: [6, 10], bias: true },
  { transposed: true, n: 1, h: 4, w: 4, cin: 8, cout: 8, k: [4, 4], stride: [2, 2], autoPad: 'SAME_UPPER', outputShape: [5, 7], bias: true },
  { transposed: true, n: 1, h: 20, w: 20, cin: 64, cout: 32, k: [2, 2], stride: [2, 2], bias: true, act: 'Relu' },
];

describe('ConvNhwc vs onnxruntime Conv', () => {
  convSpecs.forEach((s, i) => {
    const label = `case ${i}: ${s.n}x${s.h}x${s.w}x${s.cin} -> ${s.cout}, k${s.k}, s${s.stride ?? [1, 1]}, d${s.dil ?? [1, 1]}, ${s.autoPad ?? 'pads ' + (s.pads ?? [0, 0, 0, 0])}, g${s.groups ?? 1}${s.act ? ', ' + s.act : ''}${s.oneD ? ', 1-D' : ''}`;
    it(label, () => check(s, 500 + i));
  });
});

describe('ConvTransposeNhwc vs onnxruntime ConvTranspose', () => {
  convTSpecs.forEach((s, i) => {
    const label = `case ${i}: ${s.n}x${s.h}x${s.w}x${s.cin} -> ${s.cout}, k${s.k}, s${s.stride ?? [1, 1]}, d${s.dil ?? [1, 1]}, ${s.autoPad ?? 'pads ' + (s.pads ?? [0, 0, 0, 0])}${s.outputPadding ? ', output_padding ' + s.outputPadding : ''}${s.outputShape ? ', output_shape ' + s.outputShape : ''}, g${s.groups ?? 1}${s.act ? ', ' + s.act : ''}`;
    it(label, () => check(s, 600 + i));
  });
});

describe('ConvNhwc errors', () => {
  const w: OpTensor = { type: 'float32', shape: [4, 3, 3, 3], data: new Float32Array(108) };
  it('needs constant weights and valid attributes', () => {
    expect(() => createOp('qint8', 'ConvNhwc', {}, [null, null])).toThrow(/weights \(input 1\) must be a constant/);
    expect(() => createOp('qint8', 'ConvNhwc', { kernel_shape: [5, 5] }, [null, w])).toThrow(/kernel_shape does not match the weights/);
    expect(() => createOp('qint8', 'ConvNhwc', { pads: [1, 1] }, [null, w])).toThrow(/pads must have 4 entries/);
    expect(() => createOp('qint8', 'ConvNhwc', { group: 3 }, [null, w])).toThrow(/divisible by group/);
    expect(() => createOp('qint8', 'ConvNhwc', { auto_pad: 'SAME' }, [null, w])).toThrow(/auto_pad 'SAME'/);
    expect(() => createOp('qint8', 'ConvNhwc', { activation: 'Relu', activation_params: [1] }, [null, w])).toThrow(/Relu takes 0 activation_params/);
  });
  it('checks shapes at run time', () => {
    const op = createOp('qint8', 'ConvNhwc', { pads: [1, 1, 1, 1] }, [null, w]);
    const y = { type: 'float32' as const, shape: [1, 5, 5, 4], data: new Float32Array(100) };
    expect(() => op.run([{ type: 'float32', shape: [1, 5, 5, 2], data: new Float32Array(50) }, w], [y])).toThrow(/X has 2 channels, the weights expect 3/);
    expect(() => op.run([{ type: 'float32', shape: [1, 5, 6, 3], data: new Float32Array(90) }, w], [y])).toThrow(/Y has shape \[1, 5, 5, 4\], expected \[1, 5, 6, 4\]/);
  });
});
