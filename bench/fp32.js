// Float32 bench: qint8's float engine ops (ConvNhwc on the conv bench's layers, the depthwise
// layer, MatMul on GEMM shapes) on each SIMD tier vs onnxruntime-node's float Conv / MatMul on
// the same shapes, at 1 and 2 threads, next to this machine's float32 FMA peak (a register-only
// vfmadd231ps loop, measurePeakGflops) measured between the rounds of the same run.
// onnxruntime's conv is measured as a single NCHW Conv (its NCHWc reorders at the model's edges
// included) and, for square layers, as (4 chained convs - 1 conv) / 3 (edges excluded); vsOrt is
// taken against the faster of the two in each round. At 1 thread the same tasks are also timed in
// process CPU time (process.cpuUsage(), all threads, interleaved rounds, medians): on a shared
// machine a busy neighbour steals wall time but not CPU time, so cpuMs / cpuGflops / cpuVsOrt are
// the steadier figures there (both sides run on one thread: qint8 on the caller, onnxruntime on
// its one intra-op thread). Options: --quick (fewer, shorter rounds), --1t (one thread only),
// --filter=<text> (layers / shapes whose name contains it). Rows go to bench/results/fp32.json:
// {name, m, n, k, threads, impl, isa, medianMs, gflops, peakFraction, vsOrt} with m = output
// pixels (or rows), n = output channels (or columns), k = products per output.
'use strict';
const ort = require('onnxruntime-node');
const q = require('../dist');
const { createOp } = require('../dist/engine/ops');
const { encodeModel, DataType } = require('../dist/onnx/proto');
const { interleave, median, medianRatio, writeResults, fmt, printTable, machineMeta, sleep } = require('./lib');

// Per-call process CPU time (ms) of each task, rounds interleaved (order reversed on odd rounds).
async function cpuRounds(tasks, rounds, minMs) {
  const per = new Map(tasks.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const t of r % 2 ? [...tasks].reverse() : tasks) {
      if (t.before) await t.before();
      await sleep(30);
      await t.fn(); // warm
      let calls = 0;
      const c0 = process.cpuUsage(), w0 = performance.now();
      do {
        await t.fn();
        calls += t.batch;
      } while (performance.now() - w0 < minMs);
      const c = process.cpuUsage(c0);
      per.get(t.name).push((c.user + c.system) / 1000 / calls);
    }
  }
  return per;
}

const LAYERS = [
  { name: '3x3 56x56 64->64', h: 56, w: 56, cin: 64, cout: 64, k: 3, groups: 1 },
  { name: '3x3 28x28 128->128', h: 28, w: 28, cin: 128, cout: 128, k: 3, groups: 1 },
  { name: '3x3 14x14 256->256', h: 14, w: 14, cin: 256, cout: 256, k: 3, groups: 1 },
  { name: '3x3 7x7 512->512', h: 7, w: 7, cin: 512, cout: 512, k: 3, groups: 1 },
  { name: '1x1 56x56 64->256', h: 56, w: 56, cin: 64, cout: 256, k: 1, groups: 1 },
  { name: 'dw3x3 112x112 32', h: 112, w: 112, cin: 32, cout: 32, k: 3, groups: 32 },
];
const GEMMS = [
  [1, 768, 768],
  [128, 768, 3072],
  [512, 1024, 1024],
];

function rand(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 4294967296);
}
const raw = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const tensor = (name, data, dims) => ({ name, dims, dataType: DataType.FLOAT, rawData: raw(data) });
const vi = (name, dims) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });

/** `count` float Conv nodes in series (count > 1 needs cin == cout), NCHW, with bias. */
function buildConv(L, w, b, count) {
  const pad = (L.k - 1) >> 1;
  const node = [];
  for (let i = 0; i < count; i++)
    node.push({
      opType: 'Conv', input: [i ? `t${i}` : 'x', 'w', 'b'], output: [i === count - 1 ? 'y' : `t${i + 1}`],
      attribute: [
        { name: 'kernel_shape', type: 7, ints: [L.k, L.k] }, { name: 'pads', type: 7, ints: [pad, pad, pad, pad] },
        { name: 'group', type: 2, i: L.groups },
      ],
    });
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'conv', node,
      initializer: [tensor('w', w, [L.cout, L.cin / L.groups, L.k, L.k]), tensor('b', b, [L.cout])],
      input: [vi('x', [1, L.cin, L.h, L.w])], output: [vi('y', [1, L.cout, L.h, L.w])],
    },
  });
}

function buildMatMul(m, n, k, b) {
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'matmul', node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['y'] }],
      initializer: [tensor('b', b, [k, n])], input: [vi('a', [m, k])], output: [vi('y', [m, n])],
    },
  });
}

async function main() {
  const quick = process.argv.includes('--quick');
  // --filter=<text>: only the layers / shapes whose name contains it (e.g. --filter=3x3).
  const filter = (process.argv.find((a) => a.startsWith('--filter=')) ?? '').slice('--filter='.length);
  const wanted = (name) => !filter || name.includes(filter);
  const rounds = quick ? 3 : 5;
  const timeMs = quick ? 80 : 150;
  const info = q.cpuInfo();
  const threadList = process.argv.includes('--1t') || q.defaultThreads() < 2 ? [1] : [1, 2];
  const simd = info.supportedIsas.filter((i) => i !== 'scalar'); // the reference needs seconds per call here
  const peakIsa = info.bestIsa;
  const peaks = [];
  const samplePeak = () => peaks.push(q.measurePeakGflops(peakIsa, 30));
  const rows = [];
  const f32 = (shape, data) => ({ type: 'float32', shape, data });

  // One measured comparison: qint8 tasks per ISA + onnxruntime tasks; returns per-round times.
  async function compare({ name, m, n, k, macs, threads, qint8Run, ortSessions }) {
    const batch = Math.max(1, Math.round(2e7 / macs));
    const tasks = [];
    for (const isa of simd) {
      const fn = qint8Run(isa);
      tasks.push({ name: `qint8/${isa}`, batch, before: () => q.configure({ threads }), fn: () => { for (let i = 0; i < batch; i++) fn(); } });
    }
    for (const [label, s, feeds] of ortSessions)
      tasks.push({ name: `ort/${label}`, batch, fn: async () => { for (let i = 0; i < batch; i++) await s.run(feeds); } });
    samplePeak();
    const res = await interleave(tasks, { rounds, timeMs });
    const cpu = threads === 1 ? await cpuRounds(tasks, rounds, timeMs) : null;
    samplePeak();
    const peak = median(peaks);
    const single = res.get('ort/single').perRoundMs;
    const chain = res.has('ort/chain4') ? res.get('ort/chain4').perRoundMs.map((t4, i) => (t4 - single[i]) / 3) : null;
    const best = single.map((t, i) => Math.min(t, chain ? chain[i] : Infinity));
    const cSingle = cpu ? cpu.get('ort/single') : null;
    const cChain = cpu && cpu.has('ort/chain4') ? cpu.get('ort/chain4').map((t4, i) => (t4 - cSingle[i]) / 3) : null;
    const cBest = cpu ? cSingle.map((t, i) => Math.min(t, cChain ? cChain[i] : Infinity)) : null;
    const row = (impl, isa, perRound, vsOrt, cpuRound, cpuVsOrt) => {
      const ms = median(perRound);
      const gflops = (2 * macs) / (ms * 1e6);
      const cpuMs = cpuRound ? median(cpuRound) : null;
      const cpuGflops = cpuMs ? (2 * macs) / (cpuMs * 1e6) : null;
      rows.push({
        name, m, n, k, threads, impl, isa, medianMs: ms, gflops, peakFraction: gflops / (peak * threads), vsOrt,
        cpuMs, cpuGflops, cpuPeakFraction: cpuGflops ? cpuGflops / peak : null, cpuVsOrt: cpuVsOrt ?? null,
      });
    };
    for (const isa of simd) {
      const pr = res.get(`qint8/${isa}`).perRoundMs;
      const cr = cpu ? cpu.get(`qint8/${isa}`) : null;
      row('qint8', isa, pr, medianRatio(best, pr), cr, cr ? medianRatio(cBest, cr) : null);
    }
    row('onnxruntime', 'mlas single (NCHW model)', single, null, cSingle, null);
    if (chain) row('onnxruntime', 'mlas (4 chained - 1) / 3', chain, null, cChain, null);
  }

  for (const L of LAYERS) {
    if (!wanted(`conv ${L.name}`)) continue;
    const r = rand(L.h * 31 + L.cin);
    const kvol = (L.cin / L.groups) * L.k * L.k;
    const macs = L.h * L.w * L.cout * kvol;
    const w = Float32Array.from({ length: L.cout * kvol }, () => r() - 0.5);
    const b = Float32Array.from({ length: L.cout }, () => r() - 0.5);
    const x = Float32Array.from({ length: L.h * L.w * L.cin }, () => r() - 0.5);
    const xNchw = new Float32Array(x.length);
    for (let y = 0; y < L.h; y++) for (let xx = 0; xx < L.w; xx++) for (let c = 0; c < L.cin; c++) xNchw[(c * L.h + y) * L.w + xx] = x[(y * L.w + xx) * L.cin + c];
    const pad = (L.k - 1) >> 1;
    const attrs = { kernel_shape: [L.k, L.k], pads: [pad, pad, pad, pad], group: L.groups };
    const wT = f32([L.cout, L.cin / L.groups, L.k, L.k], w), bT = f32([L.cout], b);
    const out = new Float32Array(L.h * L.w * L.cout);
    const ins = [f32([1, L.h, L.w, L.cin], x), wT, bT], outs = [f32([1, L.h, L.w, L.cout], out)];
    for (const threads of threadList) {
      const so = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
      const s1 = await ort.InferenceSession.create(buildConv(L, w, b, 1), so);
      const s4 = L.cin === L.cout ? await ort.InferenceSession.create(buildConv(L, w, b, 4), so) : null;
      const feeds = { x: new ort.Tensor('float32', xNchw, [1, L.cin, L.h, L.w]) };
      await compare({
        name: `conv ${L.name}`, m: L.h * L.w, n: L.cout, k: kvol, macs, threads,
        qint8Run: (isa) => {
          const op = createOp('qint8', 'ConvNhwc', attrs, [null, wT, bT], isa);
          return () => op.run(ins, outs);
        },
        ortSessions: [['single', s1, feeds], ...(s4 ? [['chain4', s4, feeds]] : [])],
      });
      await Promise.all([s1, s4].filter(Boolean).map((s) => s.release()));
    }
  }

  for (const [m, n, k] of GEMMS) {
    if (!wanted(`matmul ${m}x${n}x${k}`)) continue;
    const r = rand(m * 7 + n + k);
    const a = Float32Array.from({ length: m * k }, () => r() - 0.5);
    const bm = Float32Array.from({ length: k * n }, () => r() - 0.5);
    const y = new Float32Array(m * n);
    const ins = [f32([m, k], a), f32([k, n], bm)], outs = [f32([m, n], y)];
    for (const threads of threadList) {
      const s1 = await ort.InferenceSession.create(buildMatMul(m, n, k, bm), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
      await compare({
        name: `matmul ${m}x${n}x${k}`, m, n, k, macs: m * n * k, threads,
        qint8Run: (isa) => {
          const op = createOp('', 'MatMul', {}, [null, ins[1]], isa);
          return () => op.run(ins, outs);
        },
        ortSessions: [['single', s1, { a: new ort.Tensor('float32', a, [m, k]) }]],
      });
      await s1.release();
    }
  }

  const file = writeResults('fp32', rows, { ...machineMeta(q), peakIsa, peakGflopsPerCore: median(peaks), peakSamples: peaks, rounds });
  console.log(`float32 FMA peak (${peakIsa} vfmadd231ps loop, 1 core, median of ${peaks.length}): ${fmt(median(peaks))} GFLOPS`);
  printTable(rows, [
    { title: 'layer', get: (r) => r.name },
    { title: 'thr', get: (r) => String(r.threads) },
    { title: 'impl', get: (r) => r.impl },
    { title: 'isa', get: (r) => r.isa },
    { title: 'median', get: (r) => `${fmt(r.medianMs * 1000, 1)} us` },
    { title: 'GFLOPS', get: (r) => fmt(r.gflops) },
    { title: 'peak%', get: (r) => fmt(r.peakFraction * 100, 0) },
    { title: 'vs best ort', get: (r) => (r.vsOrt === null ? '-' : `${fmt(r.vsOrt, 2)}x`) },
    { title: 'cpu', get: (r) => (r.cpuMs === null ? '-' : `${fmt(r.cpuMs * 1000, 1)} us`) },
    { title: 'cpu GFLOPS', get: (r) => fmt(r.cpuGflops) },
    { title: 'cpu peak%', get: (r) => (r.cpuPeakFraction === null ? '-' : fmt(r.cpuPeakFraction * 100, 0)) },
    { title: 'cpu vs ort', get: (r) => (r.cpuVsOrt === null ? '-' : `${fmt(r.cpuVsOrt, 2)}x`) },
  ]);
  console.log(`wrote ${file}`);
}

module.exports = main;
if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
