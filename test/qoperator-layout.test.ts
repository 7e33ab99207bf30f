// Channels-last layout planning of QOperator graphs: the quantized spatial ops become NHWC twins,
// the quantized elementwise ops, QLinearConcat, Pad and QuantizeLinear / DequantizeLinear run in
// whatever layout their input has (per-axis and concat axes remapped, pads permuted, constant data
// operands permuted, quantization parameters untouched). Checked structurally, then by exporting
// the planned graph (twins as Transpose -> Op -> Transpose, the rest as planned) and running it on
// onnxruntime: outputs bit-identical to the original model's. With the float engine's Transpose /
// Reshape registered, the same model also runs on qint8's session against onnxruntime.
import { describe, expect, it } from 'vitest';
import { importModel } from '../lib/onnx/import';
import { exportModel } from '../lib/onnx/export';
import { optimize, planLayout } from '../lib';
import { DataType, attrFloat, attrInt, attrInts, buildModel, bytesOf, firstDiff, randomS8, randomU8, rng, runOrt, tensor } from './helpers/onnx';
import { compareWithOrt, hasLayoutOps } from './helpers/qop';

const U8 = DataType.UINT8;
const F = DataType.FLOAT;
const f32 = (v: number) => new Float32Array([v]);
const u8 = (v: number) => new Uint8Array([v]);
const attrStr = (name: string, v: string) => ({ name, type: 3, s: new TextEncoder().encode(v) });

function qoperatorModel(): Uint8Array {
  const r = rng(77);
  const inits = [
    tensor('s_in', f32(0.05), []), tensor('z_in', u8(128), []),
    tensor('w1', randomS8(8 * 4 * 9, r), [8, 4, 3, 3]), tensor('ws1', Float32Array.from({ length: 8 }, () => r.float(0.002, 0.01)), [8]),
    tensor('wz1', new Int8Array(8), [8]), tensor('s_c1', f32(0.1), []), tensor('z_c1', u8(100), []), tensor('b1', Int32Array.from({ length: 8 }, () => r.int(-800, 800)), [8]),
    tensor('k', randomU8(8, r), [1, 8, 1, 1]), tensor('s_k', f32(0.02), []), tensor('z_k', u8(10), []), tensor('s_a1', f32(0.12), []), tensor('z_a1', u8(110), []),
    tensor('s_sig', f32(1 / 256), []), tensor('z_sig', u8(0), []),
    tensor('pads', BigInt64Array.from([0n, 0n, 1n, 2n, 0n, 0n, 0n, 1n]), [8]), tensor('pad_v', u8(0), []),
    tensor('s_l', f32(1 / 300), []), tensor('z_l', u8(3), []),
    tensor('s_ap', f32(1 / 200), []), tensor('z_ap', u8(5), []), tensor('s_gp', f32(1 / 150), []), tensor('z_gp', u8(2), []),
    tensor('rs_scales', Float32Array.from([1, 1, 2, 2]), [4]),
    tensor('dq_s', Float32Array.from({ length: 16 }, () => r.float(0.001, 0.01)), [16]), tensor('dq_z', randomU8(16, r), [16]),
    tensor('w2', randomU8(6 * 4 * 9, r), [6, 4, 3, 3]), tensor('wz2', u8(131), []),
  ];
  return buildModel({
    nodes: [
      { opType: 'QuantizeLinear', input: ['x', 's_in', 'z_in'], output: ['q1'] },
      { opType: 'QLinearConv', input: ['q1', 's_in', 'z_in', 'w1', 'ws1', 'wz1', 's_c1', 'z_c1', 'b1'], output: ['c1'], attribute: [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1])] },
      { opType: 'QLinearAdd', domain: 'com.microsoft', input: ['c1', 's_c1', 'z_c1', 'k', 's_k', 'z_k', 's_a1', 'z_a1'], output: ['a1'] },
      { opType: 'QLinearSigmoid', domain: 'com.microsoft', input: ['a1', 's_a1', 'z_a1', 's_sig', 'z_sig'], output: ['s1'] },
      { opType: 'MaxPool', input: ['s1'], output: ['m1'], attribute: [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2])] },
      { opType: 'Pad', input: ['m1', 'pads', 'pad_v'], output: ['p1'] },
      { opType: 'QLinearLeakyRelu', domain: 'com.microsoft', input: ['p1', 's_sig', 'z_sig', 's_l', 'z_l'], output: ['l1'], attribute: [attrFloat('alpha', 0.2)] },
      { opType: 'QLinearConcat', domain: 'com.microsoft', input: ['s_sig', 'z_sig', 'p1', 's_sig', 'z_sig', 'l1', 's_l', 'z_l'], output: ['cc'], attribute: [attrInt('axis', 1)] },
      { opType: 'QLinearAveragePool', domain: 'com.microsoft', input: ['cc', 's_sig', 'z_sig', 's_ap', 'z_ap'], output: ['ap'], attribute: [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1])] },
      { opType: 'QLinearGlobalAveragePool', domain: 'com.microsoft', input: ['ap', 's_ap', 'z_ap', 's_gp', 'z_gp'], output: ['gp'], attribute: [attrInt('channels_last', 0)] },
      { opType: 'Resize', input: ['ap', '', 'rs_scales'], output: ['rs'], attribute: [attrStr('mode', 'nearest')] },
      { opType: 'DequantizeLinear', input: ['rs', 'dq_s', 'dq_z'], output: ['dq'], attribute: [attrInt('axis', 1)] },
      { opType: 'DynamicQuantizeLinear', input: ['x'], output: ['xq', 'xs', 'xz'] },
      { opType: 'ConvInteger', input: ['xq', 'w2', 'xz', 'wz2'], output: ['ci'], attribute: [attrInts('kernel_shape', [3, 3]), attrInts('strides', [2, 2])] },
    ],
    inputs: [{ name: 'x', type: F, dims: ['batch', 4, 9, 10] }],
    outputs: [{ name: 'gp', type: U8 }, { name: 'dq', type: F }, { name: 'ci', type: DataType.INT32 }],
    initializers: inits,
    opset: 13,
    msOpset: 1,
  });
}

const feed = () => {
  const r = rng(5);
  return { x: { data: Float32Array.from({ length: 2 * 4 * 9 * 10 }, () => r.float(-4, 5)), dims: [2, 4, 9, 10] } };
};

describe('layout planning of QOperator graphs', () => {
  it('puts the quantized spatial ops channels-last and keeps the rest in that layout', () => {
    const g = importModel(qoperatorModel());
    optimize(g);
    const rep = planLayout(g);
    const ops = g.nodes.map((n) => `${n.domain ? n.domain + '.' : ''}${n.opType}`);
    for (const t of ['qint8.NhwcQLinearConv', 'qint8.NhwcMaxPool', 'qint8.NhwcQLinearAveragePool', 'qint8.NhwcQLinearGlobalAveragePool', 'qint8.NhwcResize', 'qint8.NhwcConvInteger'])
      expect(ops, t).toContain(t);
    expect(rep.spatial).toBe(6);
    // QLinearAdd, QLinearSigmoid, Pad, QLinearLeakyRelu, QLinearConcat, DequantizeLinear.
    expect(rep.agnostic).toBe(6);
    // In: the quantized input of the conv, and x for DynamicQuantizeLinear -> ConvInteger.
    // Out: dq and ci (gp is [N, 16, 1, 1]: a Reshape).
    expect(rep.transposes).toBe(4);
    expect(rep.reshapes).toBe(1);
    const node = (t: string) => g.nodes.find((n) => n.opType === t)!;
    expect(node('QLinearConcat').attrs.axis).toBe(3);
    expect(node('DequantizeLinear').attrs.axis).toBe(3);
    expect(Array.from(g.constants.get(node('Pad').inputs[1])!.data as BigInt64Array)).toEqual([0n, 1n, 2n, 0n, 0n, 0n, 1n, 0n]);
    expect(g.constants.get(node('QLinearAdd').inputs[3])!.dims).toEqual([1, 1, 1, 8]);
    // Quantization parameters stay as they were.
    expect(node('DequantizeLinear').inputs.slice(1)).toEqual(['dq_s', 'dq_z']);
  });

  it('the planned graph, exported, gives onnxruntime the original outputs bit for bit', async () => {
    const model = qoperatorModel();
    const want = await runOrt(model, feed());
    const g = importModel(model);
    optimize(g);
    planLayout(g);
    const got = await runOrt(exportModel(g), feed());
    for (const k of ['gp', 'dq', 'ci']) {
      expect(got[k].dims, k).toEqual(want[k].dims);
      expect(firstDiff(bytesOf(got[k].data as Uint8Array), bytesOf(want[k].data as Uint8Array)), k).toBe(-1);
    }
  });

  it.skipIf(!hasLayoutOps)('runs on qint8 bit-exactly against onnxruntime (needs the float engine\'s Transpose / Reshape)', async () => {
    await compareWithOrt(qoperatorModel(), feed());
  });
});
