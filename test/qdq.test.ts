// The QDQ fusion pass (lib/graph/passes/qdq.ts) on small models: the fused graph's structure, and
// its outputs against onnxruntime-node running the same QDQ bytes (which executes the Q/DQ
// pairs and the float ops as written) and against qint8's own unfused ('simulate') run.
import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor, importModel } from '../lib';
import { fuseQdq } from '../lib/graph/passes/qdq';
import * as ort from 'onnxruntime-node';
import { DataType, buildModel, firstDiff, rng, tensor } from './helpers/onnx';

/**
 * onnxruntime with its graph optimizations off: what the model means. (At 'all' its
 * DoubleQDQPairsRemover rewrites Q -> DQ -> Q -> DQ chains and keeps only one set of parameters,
 * which changes the results of a requantization.)
 */
async function runOrtAsWritten(model: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  const r = await s.run({ x: new ort.Tensor('float32', x, dims) });
  await s.release();
  return r.y.data as Float32Array;
}

const F = DataType.FLOAT;
const scalarF = (name: string, v: number) => tensor(name, Float32Array.of(v), []);
const scalarU8 = (name: string, v: number) => tensor(name, Uint8Array.of(v), []);

/** x -> Q(s1, z1) -> DQ -> [op] -> Q(s2, z2) -> DQ -> y */
function chain(op: string | undefined, s1: number, z1: number, s2: number, z2: number, attrs: { name: string; type: number; f?: number }[] = []) {
  const nodes = [
    { opType: 'QuantizeLinear', input: ['x', 's1', 'z1'], output: ['xq'], name: 'q1' },
    { opType: 'DequantizeLinear', input: ['xq', 's1', 'z1'], output: ['xd'], name: 'dq1' },
  ];
  let last = 'xd';
  if (op) {
    nodes.push({ opType: op, input: ['xd'], output: ['u'], name: 'op', ...(attrs.length ? { attribute: attrs } : {}) } as never);
    last = 'u';
  }
  nodes.push({ opType: 'QuantizeLinear', input: [last, 's2', 'z2'], output: ['yq'], name: 'q2' });
  nodes.push({ opType: 'DequantizeLinear', input: ['yq', 's2', 'z2'], output: ['y'], name: 'dq2' });
  return buildModel({
    nodes,
    inputs: [{ name: 'x', type: F, dims: [2, 3, 5, 7] }],
    outputs: [{ name: 'y', type: F, dims: [2, 3, 5, 7] }],
    initializers: [scalarF('s1', s1), scalarU8('z1', z1), scalarF('s2', s2), scalarU8('z2', z2)],
  });
}

function input(seed: number, lo: number, hi: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: 210 }, () => r.float(lo, hi));
}

describe('QDQ fusion', () => {
  it('a requantization (Q(DQ(q)) with new parameters) becomes one table, bit-exact with onnxruntime', async () => {
    const model = chain(undefined, 0.031, 117, 0.047, 90);
    const g = importModel(model);
    const rep = fuseQdq(g);
    expect(rep.requantized).toBe(1);
    expect(g.nodes.map((n) => n.opType)).toEqual(['QuantizeLinear', 'Lookup', 'DequantizeLinear']);
    const x = input(1, -6, 7);
    const ours = InferenceSession.createSync(model).runSync({ x: new Tensor('float32', x, [2, 3, 5, 7]) }).y.data as Float32Array;
    const ort = await runOrtAsWritten(model, x, [2, 3, 5, 7]);
    expect(firstDiff(ours, ort)).toBe(-1);
  });

  it('the same parameters on both sides: the pair disappears', () => {
    const g = importModel(chain(undefined, 0.05, 128, 0.05, 128));
    const rep = fuseQdq(g);
    expect(rep.elided).toBe(1);
    expect(g.nodes.map((n) => n.opType)).toEqual(['QuantizeLinear', 'DequantizeLinear']);
  });

  it('DQ -> Tanh -> Q becomes a table; within 1 LSB of onnxruntime (its float tanh vs the table)', async () => {
    const model = chain('Tanh', 0.03, 128, 2 / 256, 128);
    const g = importModel(model);
    fuseQdq(g);
    expect(g.nodes.map((n) => n.opType)).toEqual(['QuantizeLinear', 'Lookup', 'DequantizeLinear']);
    const x = input(2, -4, 4);
    const ours = InferenceSession.createSync(model).runSync({ x: new Tensor('float32', x, [2, 3, 5, 7]) }).y.data as Float32Array;
    const ort = await runOrtAsWritten(model, x, [2, 3, 5, 7]);
    // The table evaluates tanh in float64 then rounds; onnxruntime's MLAS tanh is an approximation
    // accurate to a few float32 ulps: the two can land on opposite sides of a rounding boundary.
    let off = 0;
    for (let i = 0; i < ours.length; i++) {
      const d = Math.abs(ours[i] - ort[i]) / (2 / 256);
      expect(d).toBeLessThanOrEqual(1 + 1e-6);
      if (d > 0.5) off++;
    }
    expect(off).toBeLessThan(ours.length / 50);
  });

  it("'simulate' keeps the pairs and matches onnxruntime exactly", async () => {
    const model = chain(undefined, 0.031, 117, 0.047, 90);
    const s = InferenceSession.createSync(model, { qdq: 'simulate' });
    expect(s.graph.nodes.filter((n) => n.opType === 'QuantizeLinear').length).toBe(2);
    const x = input(3, -6, 7);
    const ours = s.runSync({ x: new Tensor('float32', x, [2, 3, 5, 7]) }).y.data as Float32Array;
    const ort = await runOrtAsWritten(model, x, [2, 3, 5, 7]);
    expect(firstDiff(ours, ort)).toBe(-1);
  });

  it('rejects an unknown qdq mode', () => {
    expect(() => InferenceSession.createSync(chain(undefined, 1, 0, 1, 0), { qdq: 'maybe' as never })).toThrow(/qdq must be/);
  });
});
