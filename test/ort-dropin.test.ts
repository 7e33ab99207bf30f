// qint8 as a drop-in for onnxruntime: as an onnxruntime-common backend (executionProviders:
// ['qint8']) and as the globalThis[Symbol.for('onnxruntime')] module transformers.js looks for.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { InferenceSession, installAsOnnxRuntime, onnxruntimeCompat, registerOrtBackend } from '../lib';
import { DataType, buildModel, tensor } from './helpers/onnx';

const model = buildModel({
  nodes: [
    { opType: 'QuantizeLinear', input: ['x', 's', 'z'], output: ['q'] },
    { opType: 'DequantizeLinear', input: ['q', 's', 'z'], output: ['y'] },
  ],
  inputs: [{ name: 'x', type: DataType.FLOAT, dims: ['n', 4] }],
  outputs: [{ name: 'y', type: DataType.FLOAT, dims: ['n', 4] }],
  initializers: [tensor('s', new Float32Array([0.1]), []), tensor('z', new Uint8Array([128]), [])],
});
const x = Float32Array.from({ length: 12 }, (_, i) => i * 0.73 - 4.1);

describe('onnxruntime-common backend', () => {
  it("ort.InferenceSession.create(model, { executionProviders: ['qint8'] }) runs on qint8", async () => {
    registerOrtBackend(ort);
    const viaOrt = await ort.InferenceSession.create(model, { executionProviders: ['qint8'] });
    const cpu = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
    expect(viaOrt.inputNames).toEqual(['x']);
    const feeds = { x: new ort.Tensor('float32', x, [3, 4]) };
    const a = await viaOrt.run(feeds);
    const b = await cpu.run(feeds);
    expect(a.y).toBeInstanceOf(ort.Tensor); // onnxruntime-common wraps the backend's results
    expect(a.y.dims).toEqual([3, 4]);
    expect(Array.from(a.y.data as Float32Array)).toEqual(Array.from(b.y.data as Float32Array));
    // The same bytes through qint8's own session.
    const own = await InferenceSession.create(model);
    const c = await own.run({ x: new onnxruntimeCompat.Tensor('float32', x, [3, 4]) });
    expect(Array.from(c.y.data as Float32Array)).toEqual(Array.from(b.y.data as Float32Array));
    await viaOrt.release();
  });

  it('rejects something that is not an onnxruntime module', () => {
    expect(() => registerOrtBackend({} as never)).toThrow(/onnxruntime module/);
  });
});

describe('the onnxruntime module transformers.js picks up', () => {
  it('installs an onnxruntime-shaped module at globalThis[Symbol.for("onnxruntime")]', async () => {
    installAsOnnxRuntime();
    // What transformers.js does with it: InferenceSession.create(buffer, options), new Tensor(type,
    // data, dims), session.run(feeds), reading .data / .dims / .type of the results.
    const ONNX = (globalThis as Record<symbol, typeof onnxruntimeCompat>)[Symbol.for('onnxruntime')];
    expect(ONNX).toBe(onnxruntimeCompat);
    const session = await ONNX.InferenceSession.create(model, { executionProviders: ['cpu'] });
    const out = await session.run({ x: new ONNX.Tensor('float32', x, [3, 4]) });
    expect(out.y.type).toBe('float32');
    expect(out.y.dims).toEqual([3, 4]);
    expect((out.y.data as Float32Array).length).toBe(12);
    delete (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')];
  });
});
