// GEMM bench: qint8's u8 x s8 linear on every ISA vs onnxruntime-node's QLinearMatMul on the same
// shapes, at 1 and 2 threads, next to this machine's int8 peak measured in the same run.
// Rows go to bench/results/gemm.json: {name, m, n, k, threads, impl, isa, medianMs, gops,
// peakFraction, vsOrt}; vsOrt = onnxruntime time / qint8 time in the same rounds (> 1: faster).
'use strict';
const ort = require('onnxruntime-node');
const q = require('../dist');
const { buildQLinearMatMul } = require('./models');
const { interleave, median, medianRatio, writeResults, fmt, printTable, machineMeta } = require('./lib');

const SHAPES = [
  [1, 768, 768],
  [32, 768, 768],
  [128, 768, 3072],
  [512, 1024, 1024],
];

function rand(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 4294967296);
}

async function main() {
  const quick = process.argv.includes('--quick');
  const rounds = quick ? 3 : 7;
  const info = q.cpuInfo();
  const maxThreads = Math.min(2, q.defaultThreads());
  const threadList = maxThreads >= 2 ? [1, 2] : [1];
  const isas = info.supportedIsas;
  const peakIsa = info.bestIsa;
  const rows = [];

  // The machine's int8 peak, per core, measured between rounds of this run.
  const peaks = [];
  const samplePeak = () => peaks.push(q.measurePeakGops(peakIsa, 30));

  for (const [m, n, k] of SHAPES) {
    const r = rand(m * 7 + n + k);
    const x = Uint8Array.from({ length: m * k }, () => Math.floor(r() * 256));
    const w = Int8Array.from({ length: n * k }, () => Math.floor(r() * 256) - 128);
    const cfg = { weight: w, n, k, weightScale: 0.01, input: { scale: 0.02, zeroPoint: 128 }, output: { scale: 0.5, zeroPoint: 128 } };
    const model = buildQLinearMatMul(m, n, k, w, cfg);
    for (const threads of threadList) {
      const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
      const feeds = { a: new ort.Tensor('uint8', x, [m, k]) };
      const macs = m * n * k;
      const batch = Math.max(1, Math.round(2e7 / macs));
      const tasks = [];
      for (const isa of isas) {
        if (isa === 'scalar' && macs > 3e7) continue; // the reference needs seconds here
        const packed = q.packLinear({ ...cfg, isa });
        const out = new Uint8Array(m * n);
        tasks.push({
          name: `qint8/${isa}`,
          batch,
          before: () => q.configure({ threads }),
          fn: () => {
            for (let i = 0; i < batch; i++) q.linear(x, m, packed, { out });
          },
        });
      }
      tasks.push({
        name: 'onnxruntime',
        batch,
        fn: async () => {
          for (let i = 0; i < batch; i++) await session.run(feeds);
        },
      });
      samplePeak();
      const res = await interleave(tasks, { rounds, timeMs: quick ? 80 : 200 });
      samplePeak();
      const ortRes = res.get('onnxruntime');
      const peak = median(peaks);
      for (const t of tasks) {
        const rr = res.get(t.name);
        const isOrt = t.name === 'onnxruntime';
        const gops = (2 * macs) / (rr.medianMs * 1e6);
        rows.push({
          name: `gemm ${m}x${n}x${k}`,
          m,
          n,
          k,
          threads,
          impl: isOrt ? 'onnxruntime' : 'qint8',
          isa: isOrt ? 'mlas' : t.name.split('/')[1],
          medianMs: rr.medianMs,
          gops,
          peakFraction: gops / (peak * threads),
          vsOrt: isOrt ? 1 : medianRatio(ortRes.perRoundMs, rr.perRoundMs),
        });
      }
      await session.release();
    }
  }

  // Call overhead: sync and async round trips on a tiny layer, and the M=1 768x768 latency.
  q.configure({ threads: 1 });
  const tiny = q.packLinear({ weight: new Int8Array(256), n: 16, k: 16, weightScale: 0.01, input: { scale: 0.02, zeroPoint: 128 }, output: { scale: 0.5, zeroPoint: 128 } });
  const tx = new Uint8Array(16);
  const tout = new Uint8Array(16);
  const w768 = Int8Array.from({ length: 768 * 768 }, (_, i) => ((i * 7919) % 256) - 128);
  const l768 = q.packLinear({ weight: w768, n: 768, k: 768, weightScale: 0.01, input: { scale: 0.02, zeroPoint: 128 }, output: { scale: 0.5, zeroPoint: 128 } });
  const x768 = new Uint8Array(768).fill(3);
  const o768 = new Uint8Array(768);
  const over = await interleave(
    [
      { name: 'sync 1x16x16', batch: 1000, fn: () => { for (let i = 0; i < 1000; i++) q.linear(tx, 1, tiny, { out: tout }); } },
      { name: 'async 1x16x16', batch: 100, fn: async () => { for (let i = 0; i < 100; i++) await q.linearAsync(tx, 1, tiny, { out: tout }); } },
      { name: 'sync 1x768x768', batch: 100, fn: () => { for (let i = 0; i < 100; i++) q.linear(x768, 1, l768, { out: o768 }); } },
    ],
    { rounds, timeMs: quick ? 80 : 200, settleMs: 20 },
  );
  for (const [name, r] of over) {
    const [mm, nn, kk] = name.split(' ')[1].split('x').map(Number);
    rows.push({ name: `latency ${name}`, m: mm, n: nn, k: kk, threads: 1, impl: 'qint8', isa: info.activeIsa, medianMs: r.medianMs, gops: (2 * mm * nn * kk) / (r.medianMs * 1e6), peakFraction: null, vsOrt: null });
  }

  const peak = median(peaks);
  const file = writeResults('gemm', rows, { ...machineMeta(q), peakIsa, peakGopsPerCore: peak, peakSamples: peaks, rounds });
  console.log(`int8 peak (${peakIsa} dot-product loop, 1 core, median of ${peaks.length}): ${fmt(peak)} GOPS`);
  printTable(rows, [
    { title: 'name', get: (r) => r.name },
    { title: 'thr', get: (r) => String(r.threads) },
    { title: 'impl', get: (r) => r.impl },
    { title: 'isa', get: (r) => r.isa },
    { title: 'median', get: (r) => (r.medianMs < 0.1 ? `${fmt(r.medianMs * 1000, 2)} us` : `${fmt(r.medianMs, 3)} ms`) },
    { title: 'GOPS', get: (r) => fmt(r.gops) },
    { title: 'peak%', get: (r) => (r.peakFraction === null ? '-' : fmt(r.peakFraction * 100, 0)) },
    { title: 'vs ort', get: (r) => (r.vsOrt === null ? '-' : `${fmt(r.vsOrt, 2)}x`) },
  ]);
  console.log(`wrote ${file}`);
}

module.exports = main;
if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
