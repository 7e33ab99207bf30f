// Float32 engine ops bench: qint8's registered ops (best ISA) vs onnxruntime-node running the same
// single-node model, interleaved in one process (bench/lib.js), 1 and 2 threads.
//
// onnxruntime's per-call overhead (session.run from JS: feeds, output allocation) is removed by
// also timing a chain of 5 copies of the op (each feeding the next where the op is shape-
// preserving) and reporting (chain5 - single) / 4 as its kernel time; qint8 is timed through
// the single-op binding (runOp), whose own overhead is included (a few microseconds).
'use strict';
const ort = require('onnxruntime-node');
const q = require('../dist');
const { createOp } = require('../dist/engine/ops');
const { encodeModel } = require('../dist/onnx/proto');
const { interleave, median, medianRatio, writeResults, fmt, printTable, machineMeta } = require('./lib');

const ONNX_TYPE = { float32: 1, int64: 7 };

function rand(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 4294967296);
}

// name, op, attrs (qint8 form), input shape, extra constant inputs (as initializers), output shape,
// whether the op can be chained (output shape == input shape).
function cases() {
  const f32 = (n, r, lo = -4, hi = 4) => Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
  const r = rand(7);
  return [
    { name: 'Softmax [128, 768]', op: 'Softmax', attrs: { axis: -1 }, shape: [128, 768], chain: true },
    { name: 'Softmax [12, 128, 128] (attention)', op: 'Softmax', attrs: { axis: -1 }, shape: [12, 128, 128], chain: true },
    {
      name: 'LayerNorm [128, 768]',
      op: 'LayerNormalization',
      attrs: { axis: -1 },
      shape: [128, 768],
      consts: [{ type: 'float32', shape: [768], data: f32(768, r, 0.5, 1.5) }, { type: 'float32', shape: [768], data: f32(768, r) }],
      chain: true,
      opset: 17,
    },
    { name: 'Transpose NCHW->NHWC [1, 64, 112, 112]', op: 'Transpose', attrs: { perm: [0, 2, 3, 1] }, shape: [1, 64, 112, 112], out: [1, 112, 112, 64] },
    { name: 'Transpose NHWC->NCHW [1, 56, 56, 256]', op: 'Transpose', attrs: { perm: [0, 3, 1, 2] }, shape: [1, 56, 56, 256], out: [1, 256, 56, 56] },
    {
      name: 'Resize linear x2 [1, 96, 80, 80]',
      op: 'Resize',
      attrs: { mode: 'linear' },
      shape: [1, 96, 80, 80],
      consts: [undefined, { type: 'float32', shape: [4], data: Float32Array.from([1, 1, 2, 2]) }],
      out: [1, 96, 160, 160],
    },
    {
      name: 'Resize nearest x2 [1, 256, 40, 40]',
      op: 'Resize',
      attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
      shape: [1, 256, 40, 40],
      consts: [undefined, { type: 'float32', shape: [4], data: Float32Array.from([1, 1, 2, 2]) }],
      out: [1, 256, 80, 80],
    },
    {
      name: 'Add per-channel [1, 64, 112, 112] + [1, 64, 1, 1]',
      op: 'Add',
      shape: [1, 64, 112, 112],
      consts: [{ type: 'float32', shape: [1, 64, 1, 1], data: f32(64, r) }],
      chain: true,
    },
    // GELU inputs ~N(0, 1), as a transformer's FFN pre-activations (the erf tail approximations
    // are skipped for vectors with no lane beyond |x| = 2.83; uniform [-4, 4] inputs cost ~1.8x).
    { name: 'Gelu [128, 3072] (inputs ~N(0, 1))', op: 'Gelu', shape: [128, 3072], chain: true, opset: 20, normal: true },
    { name: 'Sigmoid [1, 96, 56, 56]', op: 'Sigmoid', shape: [1, 96, 56, 56], chain: true },
    { name: 'HardSwish [1, 96, 56, 56]', op: 'HardSwish', shape: [1, 96, 56, 56], chain: true, opset: 14 },
    {
      name: 'ReduceMean last axis [128, 768]',
      op: 'ReduceMean',
      shape: [128, 768],
      consts: [{ type: 'int64', shape: [1], data: BigInt64Array.from([-1n]) }],
      out: [128, 1],
    },
  ];
}

function attrOf(name, v) {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  return { name, type: 7, ints: v };
}

function model(c, count) {
  const nodes = [];
  const inits = [];
  const constNames = (c.consts ?? []).map((t, i) => {
    if (!t) return '';
    inits.push({ name: `c${i}`, dims: t.shape, dataType: ONNX_TYPE[t.type], rawData: new Uint8Array(t.data.buffer) });
    return `c${i}`;
  });
  let cur = 'x';
  for (let k = 0; k < count; k++) {
    const out = k === count - 1 ? 'y' : `t${k}`;
    nodes.push({ opType: c.op, input: [cur, ...constNames], output: [out], attribute: Object.entries(c.attrs ?? {}).map(([n, v]) => attrOf(n, v)) });
    cur = out;
  }
  const vi = (name, shape) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: c.opset ?? 18 }],
    graph: { name: 'g', node: nodes, initializer: inits, input: [vi('x', c.shape)], output: [vi('y', c.out ?? c.shape)] },
  });
}

async function main() {
  const quick = process.argv.includes('--quick');
  const only = (process.argv.find((a) => a.startsWith('--only=')) ?? '').slice(7);
  const rounds = quick ? 3 : 7;
  const info = q.cpuInfo();
  const isa = info.bestIsa;
  const threadList = q.defaultThreads() >= 2 ? [1, 2] : [1];
  const rows = [];
  for (const c of cases().filter((k) => !only || k.name.includes(only))) {
    const r = rand(c.shape.reduce((a, b) => a * b, 1));
    const n = c.shape.reduce((a, b) => a * b, 1);
    const x = Float32Array.from({ length: n }, () => (c.normal ? (r() + r() + r() + r() - 2) * 1.732 : 8 * r() - 4));
    const outShape = c.out ?? c.shape;
    const y = new Float32Array(outShape.reduce((a, b) => a * b, 1));
    const consts = c.consts ?? [];
    const op = createOp('', c.op, c.attrs ?? {}, [null, ...consts], isa);
    const qIns = [{ type: 'float32', shape: c.shape, data: x }, ...consts];
    const qOuts = [{ type: 'float32', shape: outShape, data: y }];
    for (const threads of threadList) {
      const so = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
      const s1 = await ort.InferenceSession.create(model(c, 1), so);
      const s5 = c.chain ? await ort.InferenceSession.create(model(c, 5), so) : null;
      const feeds = { x: new ort.Tensor('float32', x, c.shape) };
      const batch = Math.max(1, Math.round(2e6 / n));
      const tasks = [
        { name: 'qint8', batch, before: () => q.configure({ threads }), fn: () => { for (let i = 0; i < batch; i++) op.run(qIns, qOuts); } },
        { name: 'ort/single', batch, fn: async () => { for (let i = 0; i < batch; i++) await s1.run(feeds); } },
      ];
      if (s5) tasks.push({ name: 'ort/chain5', batch, fn: async () => { for (let i = 0; i < batch; i++) await s5.run(feeds); } });
      const res = await interleave(tasks, { rounds, timeMs: quick ? 80 : 200 });
      const single = res.get('ort/single').perRoundMs;
      const kernel = s5 ? res.get('ort/chain5').perRoundMs.map((t5, i) => (t5 - single[i]) / 4) : null;
      const best = single.map((t, i) => Math.min(t, kernel ? kernel[i] : Infinity));
      const qt = res.get('qint8').perRoundMs;
      rows.push({ name: c.name, threads, impl: 'qint8', isa, medianMs: median(qt), vsOrt: medianRatio(best, qt) });
      rows.push({ name: c.name, threads, impl: 'onnxruntime', isa: 'single node', medianMs: median(single), vsOrt: null });
      if (kernel) rows.push({ name: c.name, threads, impl: 'onnxruntime', isa: '(chain5 - 1) / 4', medianMs: median(kernel), vsOrt: null });
      await Promise.all([s1, s5].filter(Boolean).map((s) => s.release()));
    }
  }
  const file = writeResults('fp32-ops', rows, { ...machineMeta(q), rounds });
  printTable(rows, [
    { title: 'op', get: (r) => r.name },
    { title: 'thr', get: (r) => String(r.threads) },
    { title: 'impl', get: (r) => r.impl },
    { title: 'isa / method', get: (r) => r.isa },
    { title: 'median', get: (r) => `${fmt(r.medianMs * 1000, 1)} us` },
    { title: 'ort / qint8', get: (r) => (r.vsOrt === null ? '-' : `${fmt(r.vsOrt, 2)}x`) },
  ]);
  console.log(`wrote ${file}`);
}

module.exports = main;
if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
