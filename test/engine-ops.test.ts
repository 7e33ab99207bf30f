// The engine's op registry, through lib/engine/ops: creation, attributes, running, errors.
import { describe, expect, it } from 'vitest';
import { createOp, registeredOps } from '../lib/engine/ops';
import { quantize } from '../lib';

describe('engine op registry', () => {
  it('lists the registered ops', () => {
    expect(registeredOps()).toEqual(expect.arrayContaining(['QuantizeLinear', 'DequantizeLinear']));
  });

  it('QuantizeLinear with a per-axis constant scale matches ops.quantize', () => {
    const x = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => (i - 10) * 0.37);
    const scale = new Float32Array([0.1, 0.2, 0.3]);
    const zp = new Uint8Array([10, 128, 200]);
    const op = createOp('', 'QuantizeLinear', { axis: 1 }, [null, { type: 'float32', shape: [3], data: scale }, { type: 'uint8', shape: [3], data: zp }]);
    const y = new Uint8Array(x.length);
    op.run([{ type: 'float32', shape: [2, 3, 4], data: x }, { type: 'float32', shape: [3], data: scale }, { type: 'uint8', shape: [3], data: zp }], [
      { type: 'uint8', shape: [2, 3, 4], data: y },
    ]);
    expect(Array.from(y)).toEqual(Array.from(quantize(x, { scale, zeroPoint: Int32Array.from(zp), shape: [2, 3, 4], axis: 1 })));
  });

  it('rejects unknown ops and mismatched buffers', () => {
    expect(() => createOp('', 'NoSuchOp', {}, [])).toThrow(/no native op 'NoSuchOp'/);
    const op = createOp('', 'DequantizeLinear', {}, [null, null]);
    expect(() =>
      op.run([{ type: 'uint8', shape: [4], data: new Uint8Array(3) }, { type: 'float32', shape: [], data: new Float32Array([1]) }], [
        { type: 'float32', shape: [4], data: new Float32Array(4) },
      ]),
    ).toThrow(/has 3 elements/);
    expect(() =>
      op.run([{ type: 'uint8', shape: [4], data: new Uint8Array(4) }, { type: 'float32', shape: [], data: new Float32Array([1]) }], [
        { type: 'uint8', shape: [4], data: new Uint8Array(4) },
      ]),
    ).toThrow(/float32/);
  });
});

describe('engine plans', () => {
  it('runs a two-op plan with an arena value, sync and async, and concurrent runs do not mix', async () => {
    const { EngineModel, EnginePlan } = await import('../lib/engine/plan');
    const m = new EngineModel();
    const scale = { type: 'float32' as const, shape: [] as number[], data: new Float32Array([0.5]) };
    const zp = { type: 'uint8' as const, shape: [] as number[], data: new Uint8Array([7]) };
    const q = m.addOp('', 'QuantizeLinear', {}, [null, scale, zp], undefined, 'q');
    const dq = m.addOp('', 'DequantizeLinear', {}, [null, scale, zp], undefined, 'dq');
    const cs = m.addConstant(scale);
    const cz = m.addConstant(zp);
    const n = 1000;
    const plan = new EnginePlan(
      m,
      [
        { kind: 'input', index: 0, offset: 0, type: 'float32', shape: [n] },
        { kind: 'arena', index: 0, offset: 0, type: 'uint8', shape: [n] },
        { kind: 'output', index: 0, offset: 0, type: 'float32', shape: [n] },
        { kind: 'constant', index: cs, offset: 0, type: 'float32', shape: [] },
        { kind: 'constant', index: cz, offset: 0, type: 'uint8', shape: [] },
      ],
      [
        { op: q, inputs: [0, 3, 4], outputs: [1] },
        { op: dq, inputs: [1, 3, 4], outputs: [2] },
      ],
      n,
      1,
      1,
    );
    const xs = Array.from({ length: 8 }, (_, r) => Float32Array.from({ length: n }, (_, i) => ((i * 7 + r * 13) % 300) / 3 - 20));
    const expected = xs.map((x) => Float32Array.from(x, (v) => (Math.min(255, Math.max(0, Math.round(v / 0.5) + 7)) - 7) * 0.5));
    const y = new Float32Array(n);
    plan.run([xs[0]], [y]);
    for (let i = 0; i < n; i++) expect(Math.abs(y[i] - expected[0][i])).toBeLessThanOrEqual(0.5);
    const outs = xs.map(() => new Float32Array(n));
    await Promise.all(xs.map((x, i) => plan.runAsync([x], [outs[i]])));
    outs.forEach((o, i) => {
      const sync = new Float32Array(n);
      plan.run([xs[i]], [sync]);
      expect(Buffer.compare(Buffer.from(o.buffer), Buffer.from(sync.buffer))).toBe(0);
    });
    expect(() => plan.run([new Float32Array(n - 1)], [y])).toThrow(/bytes, the plan needs 4000/);
    expect(() => m.addOp('', 'QuantizeLinear', {}, [null, scale, zp])).toThrow(/already has plans/);
    plan.release();
    expect(() => plan.run([xs[0]], [y])).toThrow(/released/);
  });

  it('rejects plans that point outside their buffers', async () => {
    const { EngineModel, EnginePlan } = await import('../lib/engine/plan');
    const m = new EngineModel();
    const op = m.addOp('', 'DequantizeLinear', {}, [null, null]);
    expect(() => new EnginePlan(m, [{ kind: 'arena', index: 0, offset: 56, type: 'float32', shape: [4] }], [], 64, 0, 0)).toThrow(/exceeds the arena/);
    expect(() => new EnginePlan(m, [{ kind: 'input', index: 3, offset: 0, type: 'float32', shape: [4] }], [], 0, 1, 0)).toThrow(/bad input index/);
    expect(() => new EnginePlan(m, [], [{ op: op + 5, inputs: [], outputs: [] }], 0, 0, 0)).toThrow(/bad op index/);
  });
});
