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
