// Calibration bench: the native observation loops (min/max, histogram accumulation) as GB/s of
// float32 input on one core, per ISA, and the range searches on a 2048-bin histogram (PyTorch's
// L2 search, TensorRT's entropy, MSE, onnxruntime's entropy, percentile) in milliseconds.
// Rows go to bench/results/calib.json: {name, isa, threads, elements, medianMs, gbPerSec, bestMs,
// bestGbPerSec, target}. medianMs is the interleaved-rounds median (bench/lib.js); bestMs the
// fastest of repeated calls, taken after the rounds: on this shared 2-core machine (load average
// 4-5 while other builds run) the median mostly measures the neighbours, the best the code.
'use strict';
const q = require('../dist');
const { interleave, writeResults, fmt, printTable, machineMeta } = require('./lib');

function normal(n, seed) {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 8) + 0.5) / 16777216;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

/** Fastest of `runs` calls, in milliseconds. */
function bestOf(fn, runs = 25) {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return best;
}

async function main() {
  const quick = process.argv.includes('--quick');
  const rounds = quick ? 3 : 5;
  const timeMs = quick ? 60 : 150;
  const info = q.cpuInfo();
  q.configure({ threads: 1 });
  const rows = [];

  // Throughput: 1M values (4 MB, cache-resident on this machine) and 8M values (32 MB, memory).
  for (const n of [1 << 20, 1 << 23]) {
    const x = normal(n, 7);
    x[12345] = 40; // an outlier so the histogram range is realistic
    const counts = new Float64Array(2048);
    const tasks = [];
    for (const isa of info.supportedIsas) {
      tasks.push({ name: `minmax/${isa}`, fn: () => q.tensorMinMax(x, { isa }) });
      tasks.push({ name: `histogram/${isa}`, fn: () => q.accumulateHistogram(x, { rule: 'torch', bins: 2048, lo: -5, hi: 40, isa }, counts) });
      tasks.push({
        name: `histogram-grid/${isa}`,
        fn: () => q.accumulateHistogram(x, { rule: 'grid', bins: 32768, gridLog2: -11, gridOffset: -16384, isa }, gridCounts),
      });
    }
    const gridCounts = new Float64Array(32768);
    const obs = new q.HistogramObserver();
    obs.observe(x);
    tasks.push({ name: 'HistogramObserver.observe', fn: () => obs.observe(x) });
    const oi = new q.HistogramObserver({ orderIndependent: true });
    tasks.push({ name: 'HistogramObserver.observe (order-independent)', fn: () => oi.observe(x) });
    const res = await interleave(tasks, { rounds, timeMs, settleMs: 10 });
    for (const t of tasks) {
      const r = res.get(t.name);
      const [kind, isa] = t.name.split('/');
      const target = kind === 'minmax' ? 4 : kind.startsWith('histogram') ? 1 : null;
      const bestMs = bestOf(t.fn, t.name.startsWith('Histogram') ? 8 : 25);
      rows.push({
        name: `${kind} ${n >= 1 << 23 ? '8M' : '1M'} values`,
        isa: isa ?? info.activeIsa,
        threads: 1,
        elements: n,
        medianMs: r.medianMs,
        gbPerSec: (n * 4) / (r.medianMs * 1e6),
        bestMs,
        bestGbPerSec: (n * 4) / (bestMs * 1e6),
        target,
      });
    }
  }

  // Searches on a 2048-bin histogram (calculateQParams after calibration).
  const data = normal(1 << 20, 11);
  data[5] = 30;
  data[77] = -25;
  const hist = new q.HistogramObserver().observe(data);
  const histOI = new q.HistogramObserver({ orderIndependent: true }).observe(data);
  const ent = new q.EntropyCalibrator().observe(data);
  const mse = new q.MseCalibrator().observe(data);
  const pct = new q.PercentileCalibrator().observe(data);
  const ortEnt = new q.EntropyCalibrator({ variant: 'onnxruntime', bins: 2048 }).observe(data);
  const searches = [
    { name: 'L2 search (HistogramObserver)', fn: () => hist.calculateQParams() },
    { name: 'L2 search (order-independent, incl. rebinning)', fn: () => histOI.calculateQParams() },
    { name: 'entropy search (TensorRT)', fn: () => ent.calculateQParams() },
    { name: 'MSE search', fn: () => mse.calculateQParams() },
    { name: 'percentile', fn: () => pct.calculateQParams() },
    { name: 'entropy search (onnxruntime, 2048 bins)', fn: () => ortEnt.calculateQParams() },
  ];
  const sres = await interleave(searches, { rounds, timeMs, settleMs: 10 });
  for (const t of searches) {
    const r = sres.get(t.name);
    const bestMs = bestOf(t.fn, t.name.includes('onnxruntime') ? 5 : 25);
    rows.push({ name: t.name, isa: 'scalar', threads: 1, elements: 2048, medianMs: r.medianMs, gbPerSec: null, bestMs, bestGbPerSec: null, target: t.name.includes('onnxruntime') || t.name.includes('percentile') ? null : 5 });
  }

  const file = writeResults('calib', rows, { ...machineMeta(q), rounds });
  printTable(rows, [
    { title: 'name', get: (r) => r.name },
    { title: 'isa', get: (r) => r.isa },
    { title: 'median', get: (r) => (r.medianMs < 0.1 ? `${fmt(r.medianMs * 1000, 1)} us` : `${fmt(r.medianMs, 3)} ms`) },
    { title: 'GB/s', get: (r) => (r.gbPerSec === null ? '-' : fmt(r.gbPerSec, 2)) },
    { title: 'best', get: (r) => (r.bestMs < 0.1 ? `${fmt(r.bestMs * 1000, 1)} us` : `${fmt(r.bestMs, 3)} ms`) },
    { title: 'best GB/s', get: (r) => (r.bestGbPerSec === null ? '-' : fmt(r.bestGbPerSec, 2)) },
    { title: 'target', get: (r) => (r.target === null ? '-' : r.gbPerSec === null ? `< ${r.target} ms` : `>= ${r.target} GB/s`) },
  ]);
  console.log(`wrote ${file}`);
}

module.exports = main;
if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
