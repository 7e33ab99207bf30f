// Dynamic quantization of convolutions: quantize(model, { mode: 'dynamic' }) writes onnxruntime's
// quantize_dynamic form (DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul -> Add), onnxruntime
// runs the saved file, and qint8 fuses the sequence (lib/graph/passes/dynconv.ts) into one native
// op (qint8::DynamicQuantizeConvNhwc). On one-conv models, on every ISA of this CPU:
//   - the fused op's output equals onnxruntime-node's on the saved bytes, bit for bit;
//   - it equals qint8's own unfused run of the same graph (graphOptimizationLevel 'disabled':
//     DynamicQuantizeLinear, ConvInteger, Cast, Mul, Add and the activation as separate ops);
//   - the fusion did happen (the engine graph holds the fused op, with the activation).
// Inputs cover DynamicQuantizeLinear's edge cases: ranges crossing 0, all positive (zero point
// 0), all negative (zero point 255), constant and all-zero inputs (scale 1).
import { describe, expect, it } from 'vitest';
import { type Graph, InferenceSession, Tensor, quantize } from '../lib';
import { DataType, type TypedData, attrFloat, attrInt, attrInts, buildModel, bytesOf, firstDiff, rng, tensor } from './helpers/onnx';
import { compareWithOrt, isas } from './helpers/qop';

interface ConvCase {
  name: string;
  cin: number;
  cout: number;
  k: [number, number];
  strides?: [number, number];
  pads?: [number, number, number, number];
  dilations?: [number, number];
  group?: number;
  bias?: boolean;
  act?: 'Relu' | 'Clip' | 'LeakyRelu' | 'HardSigmoid' | 'HardSwish';
  hw?: [number, number];
}

function floatConvModel(c: ConvCase, seed: number): Uint8Array {
  const r = rng(seed);
  const g = c.group ?? 1;
  const w = new Float32Array(c.cout * (c.cin / g) * c.k[0] * c.k[1]);
  // Channels of different magnitudes, so per-channel and per-tensor weights differ.
  const per = w.length / c.cout;
  for (let i = 0; i < w.length; i++) w[i] = r.float(-1, 1) * (1 + Math.floor(i / per) % 4);
  const inits = [tensor('W', w, [c.cout, c.cin / g, c.k[0], c.k[1]])];
  const ins = ['x', 'W'];
  if (c.bias !== false) {
    const b = new Float32Array(c.cout);
    for (let i = 0; i < b.length; i++) b[i] = r.float(-2, 2);
    inits.push(tensor('B', b, [c.cout]));
    ins.push('B');
  }
  const attrs = [attrInts('kernel_shape', c.k), attrInts('strides', c.strides ?? [1, 1]), attrInts('pads', c.pads ?? [0, 0, 0, 0]), attrInts('dilations', c.dilations ?? [1, 1]), attrInt('group', g)];
  const nodes = [{ name: 'conv', opType: 'Conv', domain: '', input: ins, output: [c.act ? 'c' : 'y'], attribute: attrs }];
  if (c.act === 'Relu') nodes.push({ name: 'act', opType: 'Relu', domain: '', input: ['c'], output: ['y'], attribute: [] });
  if (c.act === 'LeakyRelu') nodes.push({ name: 'act', opType: 'LeakyRelu', domain: '', input: ['c'], output: ['y'], attribute: [attrFloat('alpha', 0.1)] });
  if (c.act === 'HardSigmoid') nodes.push({ name: 'act', opType: 'HardSigmoid', domain: '', input: ['c'], output: ['y'], attribute: [attrFloat('alpha', 0.25)] });
  if (c.act === 'HardSwish') nodes.push({ name: 'act', opType: 'HardSwish', domain: '', input: ['c'], output: ['y'], attribute: [] });
  if (c.act === 'Clip') {
    inits.push(tensor('lo', Float32Array.of(0), []), tensor('hi', Float32Array.of(6), []));
    nodes.push({ name: 'act', opType: 'Clip', domain: '', input: ['c', 'lo', 'hi'], output: ['y'], attribute: [] });
  }
  return buildModel({
    nodes,
    inputs: [{ name: 'x', type: DataType.FLOAT, dims: ['N', c.cin, 'H', 'W'] }],
    outputs: [{ name: 'y', type: DataType.FLOAT }],
    initializers: inits,
    opset: 14,
  });
}

type InputKind = 'mixed' | 'positive' | 'negative' | 'constant' | 'zeros';
const INPUTS: InputKind[] = ['mixed', 'positive', 'negative', 'constant', 'zeros'];

function input(kind: InputKind, n: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (kind === 'mixed') x[i] = r.float(-1.5, 4);
    else if (kind === 'positive') x[i] = r.float(0.25, 3);
    else if (kind === 'negative') x[i] = r.float(-5, -0.5);
    else if (kind === 'constant') x[i] = 0.7;
    else x[i] = 0;
  }
  return x;
}

const fusedOps = (s: InferenceSession) => s.graph.nodes.filter((n) => n.opType === 'NhwcDynamicQuantizeConv').map((n) => (n.attrs.activation as string | undefined) ?? '');
const count = (g: Graph, op: string) => g.nodes.filter((n) => n.opType === op).length;

/** The fused session equals the unfused one bit for bit on every ISA; returns nothing. */
async function checkFusedVsUnfused(g: Graph, feeds: Record<string, Tensor>, act: string): Promise<void> {
  for (const isa of isas) {
    const fused = await InferenceSession.create(g, { isa });
    const plain = await InferenceSession.create(g, { isa, graphOptimizationLevel: 'disabled' });
    expect(fusedOps(fused), `fused op (${isa})`).toEqual([act]);
    expect(count(plain.graph, 'ConvInteger') + count(plain.graph, 'NhwcConvInteger'), `unfused ConvInteger (${isa})`).toBe(1);
    const a = (await fused.run(feeds)).y.data as Float32Array;
    const b = (await plain.run(feeds)).y.data as Float32Array;
    const i = firstDiff(bytesOf(a), bytesOf(b));
    expect(i, `fused vs unfused (${isa}): first differing byte ${i}: ${a[i >> 2]} vs ${b[i >> 2]}`).toBe(-1);
    await fused.release();
    await plain.release();
  }
}

const CASES: ConvCase[] = [
  { name: '3x3 pads 1, bias', cin: 8, cout: 16, k: [3, 3], pads: [1, 1, 1, 1] },
  { name: '3x3 stride 2, asymmetric pads, no bias, 5 input channels', cin: 5, cout: 12, k: [3, 3], strides: [2, 2], pads: [0, 1, 1, 0], bias: false },
  { name: '1x1 (GEMM path)', cin: 32, cout: 24, k: [1, 1] },
  { name: '3x1 dilation 2, pads', cin: 4, cout: 8, k: [3, 1], dilations: [2, 1], pads: [2, 0, 2, 0] },
  { name: 'groups 2', cin: 8, cout: 6, k: [3, 3], pads: [1, 1, 1, 1], group: 2 },
  { name: 'depthwise 3x3', cin: 16, cout: 16, k: [3, 3], pads: [1, 1, 1, 1], group: 16 },
  { name: '+ Relu', cin: 8, cout: 16, k: [3, 3], pads: [1, 1, 1, 1], act: 'Relu' },
  { name: '+ Clip [0, 6], no bias', cin: 8, cout: 16, k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], act: 'Clip', bias: false },
  { name: '+ LeakyRelu', cin: 8, cout: 16, k: [1, 1], act: 'LeakyRelu' },
  { name: '+ HardSigmoid', cin: 8, cout: 16, k: [3, 3], pads: [1, 1, 1, 1], act: 'HardSigmoid' },
  { name: '+ HardSwish', cin: 16, cout: 32, k: [1, 1], act: 'HardSwish' },
];

describe('dynamic quantization of Conv', () => {
  for (const [ci, c] of CASES.entries()) {
    for (const perChannel of [true, false]) {
      it(`${c.name}, ${perChannel ? 'per-channel' : 'per-tensor'}: ConvInteger (int8 weights stored as uint8 + 128), equal to onnxruntime and to the unfused ops`, async () => {
        const depthwise = (c.group ?? 1) > 1 && c.group === c.cin && c.cout === c.cin;
        const qm = await quantize(floatConvModel(c, 100 + ci), { mode: 'dynamic', perChannel, depthwise });
        const g = qm.graph;
        expect(g.nodes.map((n) => n.opType)).toEqual(['DynamicQuantizeLinear', 'Mul', 'ConvInteger', 'Cast', 'Mul', ...(c.bias !== false ? ['Add'] : []), ...(c.act ? [c.act] : [])]);
        const wq = g.constants.get(g.nodes[2].inputs[1])!;
        expect(wq.dtype).toBe('uint8');
        expect(Array.from(g.constants.get(g.nodes[2].inputs[3])!.data as Uint8Array)).toEqual([128]);
        const ws = g.constants.get(g.nodes[1].inputs[1])!;
        expect(ws.dims).toEqual(perChannel ? [1, c.cout, 1, 1] : []);
        expect(qm.weights).toEqual([{ node: 'conv', weight: 'W', perChannel, channels: perChannel ? c.cout : 1, bias: c.bias !== false }]);
        const bytes = qm.toBytes();
        const [h, w] = c.hw ?? [9, 11];
        for (const [k, kind] of INPUTS.entries()) {
          const x = input(kind, 2 * c.cin * h * w, 7 + k);
          await compareWithOrt(bytes, { x: { data: x, dims: [2, c.cin, h, w] } });
          await checkFusedVsUnfused(g, { x: new Tensor('float32', x, [2, c.cin, h, w]) }, c.act ?? '');
        }
      });
    }
  }

  it('depthwise convs stay float by default; exclude keeps convs float by op type or node name', async () => {
    const dw = CASES.find((c) => c.group === 16)!;
    const dq = await quantize(floatConvModel(dw, 1), { mode: 'dynamic' });
    expect(dq.graph.nodes.map((n) => n.opType)).toEqual(['Conv']);
    await expect(quantize(floatConvModel(dw, 1), { mode: 'dynamic', depthwise: 'yes' as unknown as boolean })).rejects.toThrow(new TypeError('depthwise must be a boolean, got string'));
    const c = CASES[0];
    for (const exclude of [['Conv'], ['conv']]) {
      const q = await quantize(floatConvModel(c, 2), { mode: 'dynamic', exclude });
      expect(q.graph.nodes.map((n) => n.opType)).toEqual(['Conv']);
      expect(q.weights).toEqual([]);
    }
  });

  it('two convs reading one tensor share one DynamicQuantizeLinear, and both fuse', async () => {
    const r = rng(5);
    const w1 = new Float32Array(8 * 4 * 9).map(() => r.float(-1, 1));
    const w2 = new Float32Array(6 * 4).map(() => r.float(-1, 1));
    const model = buildModel({
      nodes: [
        { name: 'c1', opType: 'Conv', domain: '', input: ['x', 'W1'], output: ['a'], attribute: [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1])] },
        { name: 'c2', opType: 'Conv', domain: '', input: ['x', 'W2'], output: ['b'], attribute: [attrInts('kernel_shape', [1, 1])] },
      ],
      inputs: [{ name: 'x', type: DataType.FLOAT, dims: [1, 4, 6, 7] }],
      outputs: [{ name: 'a', type: DataType.FLOAT }, { name: 'b', type: DataType.FLOAT }],
      initializers: [tensor('W1', w1, [8, 4, 3, 3]), tensor('W2', w2, [6, 4, 1, 1])],
    });
    const qm = await quantize(model, { mode: 'dynamic' });
    expect(count(qm.graph, 'DynamicQuantizeLinear')).toBe(1);
    expect(count(qm.graph, 'ConvInteger')).toBe(2);
    const s = await qm.createSession();
    expect(count(s.graph, 'NhwcDynamicQuantizeConv')).toBe(2);
    await s.release();
    await compareWithOrt(qm.toBytes(), { x: { data: input('mixed', 4 * 6 * 7, 3), dims: [1, 4, 6, 7] } });
  });
});

describe('the dynamic conv fusion on other files', () => {
  // onnxruntime's quantize_dynamic form with things the fused op does not cover: the pass must
  // leave them unfused, and the result stays equal to onnxruntime's.
  function ortForm(opts: { wType: 'int8' | 'uint8'; castOutput?: boolean; uint8Zp?: number }): Uint8Array {
    const r = rng(9);
    const w = opts.wType === 'int8' ? new Int8Array(6 * 3 * 9).map(() => r.int(-127, 127)) : new Uint8Array(6 * 3 * 9).map(() => r.int(0, 255));
    const wz = opts.wType === 'int8' ? Int8Array.of(0) : Uint8Array.of(opts.uint8Zp ?? 131);
    const b = new Float32Array(6).map(() => r.float(-1, 1));
    return buildModel({
      nodes: [
        { name: 'dq', opType: 'DynamicQuantizeLinear', domain: '', input: ['x'], output: ['xq', 'xs', 'xz'], attribute: [] },
        { name: 'sm', opType: 'Mul', domain: '', input: ['xs', 'ws'], output: ['s'], attribute: [] },
        { name: 'ci', opType: 'ConvInteger', domain: '', input: ['xq', 'W', 'xz', 'wz'], output: ['acc'], attribute: [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1])] },
        { name: 'cast', opType: 'Cast', domain: '', input: ['acc'], output: ['f'], attribute: [attrInt('to', 1)] },
        { name: 'mul', opType: 'Mul', domain: '', input: ['f', 's'], output: ['m'], attribute: [] },
        { name: 'add', opType: 'Add', domain: '', input: ['m', 'B'], output: ['y'], attribute: [] },
      ],
      inputs: [{ name: 'x', type: DataType.FLOAT, dims: [1, 3, 8, 8] }],
      outputs: [{ name: 'y', type: DataType.FLOAT }, ...(opts.castOutput ? [{ name: 'f', type: DataType.FLOAT }] : [])],
      initializers: [
        tensor('W', w as TypedData, [6, 3, 3, 3]),
        tensor('wz', wz as TypedData, []),
        tensor('ws', Float32Array.of(0.0123), []),
        tensor('B', b, [1, 6, 1, 1]),
      ],
    });
  }

  it('onnxruntime quantize_dynamic form with int8 weights (zero point 0): fused, equal to onnxruntime', async () => {
    const m = ortForm({ wType: 'int8' });
    const s = await InferenceSession.create(m);
    expect(fusedOps(s)).toEqual(['']);
    await s.release();
    for (const [k, kind] of INPUTS.entries()) await compareWithOrt(m, { x: { data: input(kind, 3 * 64, 20 + k), dims: [1, 3, 8, 8] } });
  });

  it('uint8 weights with zero point 128 (int8 weights + 128, as qint8 writes them): fused, equal to onnxruntime', async () => {
    const m = ortForm({ wType: 'uint8', uint8Zp: 128 });
    const s = await InferenceSession.create(m);
    expect(fusedOps(s)).toEqual(['']);
    await s.release();
    for (const [k, kind] of INPUTS.entries()) await compareWithOrt(m, { x: { data: input(kind, 3 * 64, 40 + k), dims: [1, 3, 8, 8] } });
  });

  it('uint8 weights with another zero point, or an intermediate that is a graph output: left unfused, equal to onnxruntime', async () => {
    for (const m of [ortForm({ wType: 'uint8' }), ortForm({ wType: 'int8', castOutput: true })]) {
      const s = await InferenceSession.create(m);
      expect(fusedOps(s)).toEqual([]);
      await s.release();
      await compareWithOrt(m, { x: { data: input('mixed', 3 * 64, 30), dims: [1, 3, 8, 8] } });
    }
  });
});
