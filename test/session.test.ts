// InferenceSession on the native engine: models built in code, dynamic shapes, sync / async /
// concurrent runs, fetches, errors, release. (Real ONNX models are tested in
// test/session-models.test.ts once the float ops are in.)
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { GraphBuilder, InferenceSession, Tensor, configure, defaultThreads, makeTensor } from '../lib';
import { EnginePlan } from '../lib/engine/plan';
import { pollRun } from '../lib/session';

function qdqGraph() {
  const b = new GraphBuilder('qdq');
  const x = b.input('x', 'float32', ['batch', 8]);
  const s = b.constant('s', makeTensor('float32', [], [0.25]));
  const z = b.constant('z', makeTensor('uint8', [], [100]));
  const q = b.op('QuantizeLinear', [x, s, z]);
  const y = b.op('DequantizeLinear', [q, s, z]);
  b.output(q, 'q'); // output() renames the value (and its uses so far): add it after its readers
  b.output(y, 'y');
  return b.build();
}

const ref = (x: Float32Array) => {
  const q = Uint8Array.from(x, (v) => Math.min(255, Math.max(0, Math.round(v / 0.25) + 100)));
  return { q, y: Float32Array.from(q, (v) => (v - 100) * 0.25) };
};
// Halves in the test data are avoided, so Math.round equals round-half-even here.
const data = (n: number) => Float32Array.from({ length: n * 8 }, (_, i) => ((i * 37) % 97) / 3.3 - 12.1);

describe('InferenceSession', () => {
  it('has onnxruntime-shaped metadata', async () => {
    const s = await InferenceSession.create(qdqGraph());
    expect(s.inputNames).toEqual(['x']);
    expect(s.outputNames).toEqual(['q', 'y']);
    expect(s.inputMetadata[0]).toEqual({ name: 'x', isTensor: true, type: 'float32', shape: ['batch', 8] });
    expect(s.outputMetadata.map((m) => m.type)).toEqual(['uint8', 'float32']);
  });

  it('runs sync and async with dynamic batch sizes (one plan per shape)', async () => {
    const s = await InferenceSession.create(qdqGraph());
    for (const n of [1, 3, 64, 3]) {
      const x = data(n);
      const want = ref(x);
      const a = await s.run({ x: new Tensor('float32', x, [n, 8]) });
      expect(a.y.dims).toEqual([n, 8]);
      expect(Array.from(a.q.data as Uint8Array)).toEqual(Array.from(want.q));
      expect(Array.from(a.y.data as Float32Array)).toEqual(Array.from(want.y));
      const b = s.runSync({ x: new Tensor(x, [n, 8]) });
      expect(Array.from(b.y.data as Float32Array)).toEqual(Array.from(want.y));
    }
  });

  it('concurrent runs on one session do not corrupt each other', async () => {
    const s = await InferenceSession.create(qdqGraph());
    const xs = Array.from({ length: 20 }, (_, i) => data(1 + (i % 5) * 7).map((v) => v + i * 0.013));
    const outs = await Promise.all(xs.map((x) => s.run({ x: new Tensor(x, [x.length / 8, 8]) })));
    outs.forEach((o, i) => expect(Array.from(o.y.data as Float32Array)).toEqual(Array.from(ref(xs[i]).y)));
  });

  it('fetches: a subset by name, or preallocated tensors', async () => {
    const s = await InferenceSession.create(qdqGraph());
    const x = new Tensor(data(2), [2, 8]);
    expect(Object.keys(await s.run({ x }, ['y']))).toEqual(['y']);
    const y = new Tensor('float32', new Float32Array(16), [2, 8]);
    const r = await s.run({ x }, { y });
    expect(r.y.data).toBe(y.data);
    expect(Array.from(y.data as Float32Array)).toEqual(Array.from(ref(data(2)).y));
  });

  it('runs a plan whose last run was quick on the calling thread (inlineRunMicros)', async () => {
    // A generous threshold makes the test independent of machine load: after the first run
    // (always a hop: the plan has no timing yet) the outputs are written before run() returns.
    const s = await InferenceSession.create(qdqGraph(), { inlineRunMicros: 1e6 });
    const x = new Tensor(data(2), [2, 8]);
    const want = Array.from(ref(data(2)).y);
    const y1 = new Tensor('float32', new Float32Array(16), [2, 8]);
    await s.run({ x }, { y: y1 });
    expect(Array.from(y1.data as Float32Array)).toEqual(want);
    const y2 = new Tensor('float32', new Float32Array(16), [2, 8]);
    const pending = s.run({ x }, { y: y2 });
    expect(Array.from(y2.data as Float32Array)).toEqual(want); // written synchronously
    expect((await pending).y.data).toBe(y2.data);
    // 0 = always hop; results are the same either way.
    const h = await InferenceSession.create(qdqGraph(), { inlineRunMicros: 0 });
    for (let i = 0; i < 3; i++) expect(Array.from((await h.run({ x })).y.data as Float32Array)).toEqual(want);
    // Infinity: every run on the calling thread, the first one too.
    const inl = await InferenceSession.create(qdqGraph(), { inlineRunMicros: Infinity });
    const y3 = new Tensor('float32', new Float32Array(16), [2, 8]);
    const first = inl.run({ x }, { y: y3 });
    expect(Array.from(y3.data as Float32Array)).toEqual(want);
    await first;
    await expect(InferenceSession.create(qdqGraph(), { inlineRunMicros: -1 })).rejects.toThrow(/inlineRunMicros must be a number >= 0/);
    await expect(InferenceSession.create(qdqGraph(), { inlineRunMicros: Number.NaN })).rejects.toThrow(/inlineRunMicros/);
  });

  it('polls short runs on a runner thread (pollRunMicros)', async () => {
    const spy = vi.spyOn(EnginePlan, 'ticketState');
    // inlineRunMicros 0 and a generous poll bound: every run after a plan's first is polled when
    // the machine has a core beside the run's one thread.
    const s = await InferenceSession.create(qdqGraph(), { intraOpNumThreads: 1, inlineRunMicros: 0, pollRunMicros: 1e6 });
    for (const n of [1, 3, 64, 3, 1, 64]) {
      const x = data(n).map((v) => v + n * 0.011);
      const a = await s.run({ x: new Tensor(x, [n, 8]) });
      expect(Array.from(a.q.data as Uint8Array)).toEqual(Array.from(ref(x).q));
      expect(Array.from(a.y.data as Float32Array)).toEqual(Array.from(ref(x).y));
    }
    // Concurrent runs: as many polled at once as leave a core for the polling, the others awaited.
    const xs = Array.from({ length: 24 }, (_, i) => data(1 + (i % 4) * 21).map((v) => v + i * 0.013));
    const outs = await Promise.all(xs.map((x) => s.run({ x: new Tensor(x, [x.length / 8, 8]) })));
    outs.forEach((o, i) => expect(Array.from(o.y.data as Float32Array)).toEqual(Array.from(ref(xs[i]).y)));
    if (defaultThreads() >= 2) expect(spy).toHaveBeenCalled();
    else expect(spy).not.toHaveBeenCalled(); // no free core: every run is awaited
    spy.mockRestore();
    // A run using as many threads as there are cores is never polled.
    const spy2 = vi.spyOn(EnginePlan, 'ticketState');
    configure({ threads: defaultThreads() });
    const wide = await InferenceSession.create(qdqGraph(), { inlineRunMicros: 0, pollRunMicros: 1e6 });
    for (let i = 0; i < 3; i++) expect(Array.from((await wide.run({ x: new Tensor(data(2), [2, 8]) })).y.data as Float32Array)).toEqual(Array.from(ref(data(2)).y));
    expect(spy2).not.toHaveBeenCalled();
    spy2.mockRestore();
    await expect(InferenceSession.create(qdqGraph(), { pollRunMicros: -1 })).rejects.toThrow(/pollRunMicros must be a number in \[0, 1000000\]/);
    await expect(InferenceSession.create(qdqGraph(), { pollRunMicros: Number.NaN })).rejects.toThrow(/pollRunMicros/);
  });

  it('a polled run that fails rejects with the error of its op', async () => {
    // Scale and zero point are inputs: a zero point of the wrong length fails inside the run.
    const b = new GraphBuilder('runtime-error');
    const x = b.input('x', 'float32', ['n', 8]);
    const sc = b.input('s', 'float32', ['k']);
    const zp = b.input('z', 'uint8', ['m']);
    b.output(b.op('QuantizeLinear', [x, sc, zp], { axis: 1 }), 'q');
    const sess = await InferenceSession.create(b.build(), { intraOpNumThreads: 1, inlineRunMicros: 0, pollRunMicros: 1e6 });
    const x1 = new Float32Array(8).fill(1);
    const s8 = new Float32Array(8).fill(0.5);
    const feeds = (z: Uint8Array) => ({ x: new Tensor('float32', x1, [1, 8]), s: new Tensor('float32', s8, [8]), z: new Tensor('uint8', z, [z.length]) });
    expect(Array.from((await sess.run(feeds(new Uint8Array(8).fill(3)))).q.data as Uint8Array)).toEqual(new Array(8).fill(5));
    await expect(sess.run(feeds(new Uint8Array(3)))).rejects.toThrow(/QuantizeLinear.*zero point and scale must have the same shape/);
    // A failed run leaves its plan without a timing, so session runs of it hop; the ticket path
    // is taken here with pollNs = Infinity.
    const cp = (sess as unknown as { compiled: { planFor(s: number[][]): { plan: EnginePlan } } }).compiled.planFor([[1, 8], [8], [3]]);
    const t = cp.plan.runAsync([x1, s8, new Uint8Array(3)], [new Uint8Array(8)], 1, 0, Infinity);
    expect(t instanceof Promise).toBe(false);
    await expect(pollRun(t as never, 1e9)).rejects.toThrow(/zero point and scale must have the same shape/);
  });

  it('a polled run past its budget is then waited for and still ends', async () => {
    const s = await InferenceSession.create(qdqGraph(), { intraOpNumThreads: 1 });
    const n = 400_000; // a run of several milliseconds
    const x = data(n);
    const want = ref(x).y;
    s.runSync({ x: new Tensor(x, [n, 8]) }); // the plan now has a timing
    const cp = (s as unknown as { compiled: { planFor(s: number[][]): { plan: EnginePlan } } }).compiled.planFor([[n, 8]]);
    const q = new Uint8Array(n * 8);
    const y = new Float32Array(n * 8);
    const t = cp.plan.runAsync([x], [q, y], 1, 0, 1e12);
    expect(t instanceof Promise).toBe(false);
    expect(EnginePlan.ticketState(t as never)).toBe(0); // still running
    await pollRun(t as never, 0); // budget 0: the first poll after the run started turns to waiting
    // Read first at the end the run writes last: a poll that resolved early would see zeros there.
    expect(Array.from(y.subarray(y.length - 64))).toEqual(Array.from(want.subarray(want.length - 64)));
    expect(EnginePlan.ticketState(t as never)).toBe(1);
    expect(y.findIndex((v, i) => v !== want[i])).toBe(-1);
  });

  // Awaited runs settle through a thread-safe function that is referenced only while a run is
  // awaited: an awaited run keeps the process alive, and nothing keeps it alive afterwards.
  const distSession = `
    const { GraphBuilder, InferenceSession, Tensor, makeTensor } = require(${JSON.stringify(path.resolve(__dirname, '../dist/index.js'))});
    const b = new GraphBuilder('qdq');
    const x = b.input('x', 'float32', ['batch', 8]);
    const q = b.op('QuantizeLinear', [x, b.constant('s', makeTensor('float32', [], [0.25])), b.constant('z', makeTensor('uint8', [], [100]))]);
    b.output(q, 'q');
    const feeds = { x: new Tensor(new Float32Array(8 * 300000).fill(1.5), [300000, 8]) };`;

  it('an awaited run keeps the process alive until it settles, then lets it exit', () => {
    const code = `${distSession}
      InferenceSession.create(b.build(), { pollRunMicros: 0 }).then((s) => {
        // No await after this: only the run in flight keeps the event loop alive.
        s.run(feeds).then((r) => s.run(feeds)).then((r) => process.stdout.write('settled ' + r.q.data[12345]));
      });`;
    const out = execFileSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 30_000 });
    expect(out).toBe('settled 106');
  });

  it('a worker terminated with a run in flight does not disturb the process', async () => {
    const code = `${distSession}
      const { parentPort } = require('node:worker_threads');
      InferenceSession.create(b.build(), { pollRunMicros: 0 }).then(async (s) => {
        await s.run(feeds);
        for (let i = 0; i < 4; i++) s.run(feeds); // in flight when the worker is terminated
        parentPort.postMessage('started');
      });`;
    for (let k = 0; k < 3; k++) {
      const w = new Worker(code, { eval: true });
      await new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      await w.terminate();
    }
    // The process's own runs still work.
    const s = await InferenceSession.create(qdqGraph(), { pollRunMicros: 0, inlineRunMicros: 0 });
    const x = data(4000);
    for (let i = 0; i < 3; i++) expect(Array.from((await s.run({ x: new Tensor(x, [4000, 8]) })).y.data as Float32Array)).toEqual(Array.from(ref(x).y));
  });

  it('rejects bad feeds clearly', async () => {
    const s = await InferenceSession.create(qdqGraph());
    await expect(s.run({})).rejects.toThrow(/input 'x' is missing/);
    await expect(s.run({ x: new Tensor(new Int32Array(8), [1, 8]) })).rejects.toThrow(/must be a float32 tensor, got int32/);
    await expect(s.run({ x: new Tensor(new Float32Array(9), [1, 9]) })).rejects.toThrow(/dim 1 must be 8/);
    await expect(s.run({ x: new Tensor(new Float32Array(8), [8]) })).rejects.toThrow(/rank 2/);
    await expect(s.run({ x: new Tensor(new Float32Array(8), [1, 8]), z: new Tensor(new Float32Array(1)) })).rejects.toThrow(/'z' is not an input/);
    await expect(s.run({ x: new Tensor(new Float32Array(8), [1, 8]) }, ['nope'])).rejects.toThrow(/'nope' is not an output/);
    expect(() => new Tensor('float32', new Float32Array(3), [2, 2])).toThrow(/3 elements/);
  });

  it('returns graph outputs that are constants after folding (not written by the plan)', async () => {
    const b = new GraphBuilder('const-out');
    const x = b.input('x', 'float32', ['batch', 8]);
    const s = b.constant('s', makeTensor('float32', [], [0.25]));
    const z = b.constant('z', makeTensor('uint8', [], [100]));
    const c = b.constant('c', makeTensor('float32', [2, 2], [1, 2, 3, 4]));
    const shape = b.constant('shape', makeTensor('int64', [1], [4n] as unknown as number[]));
    const folded = b.op('Reshape', [c, shape]);
    const q = b.op('QuantizeLinear', [x, s, z]);
    b.output(q, 'q');
    b.output(folded, 'folded');
    const sess = await InferenceSession.create(b.build());
    const r = await sess.run({ x: new Tensor(data(1), [1, 8]) });
    expect(Array.from(r.folded.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(Array.from(r.q.data as Uint8Array)).toEqual(Array.from(ref(data(1)).q));
    expect(Array.from(sess.runSync({ x: new Tensor(data(1), [1, 8]) }).folded.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  it('a released session is a clear error', async () => {
    const s = await InferenceSession.create(qdqGraph());
    await s.release();
    await expect(s.run({ x: new Tensor(data(1), [1, 8]) })).rejects.toThrow(/released/);
  });

  it('a malformed model or an unknown op fails at create, naming the problem', async () => {
    await expect(InferenceSession.create(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(/malformed or truncated/);
    await expect(InferenceSession.create('/nonexistent/model.onnx')).rejects.toThrow(/cannot read ONNX model/);
  });
});
