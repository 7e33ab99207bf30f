#!/usr/bin/env node
// Session creation time, first-run time and a soak of qint8's int8 models (and the float models on
// qint8): for each model, InferenceSession.create() time, the first run (compiles the plan for the
// input shape), then N runs of the same real input: median latency of the first and the last 10% of
// runs (drift), and the process RSS after the first run and after the last (growth).
// Models: qint8's static QDQ models written by scripts/accuracy.js to models-cache/qint8/ (the best
// method of bench/results/accuracy.json, as bench/models-int8.js picks it), and the float models.
// Writes bench/results/soak-models.json.
// Usage: node scripts/soak-models.js [--runs 200] [--threads 2] [--models fashion,cls,rec]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const q = require('../dist');
const D = require('./accuracy-data');

const argv = process.argv.slice(2);
const opt = (n, d) => (argv.indexOf(`--${n}`) >= 0 ? argv[argv.indexOf(`--${n}`) + 1] : d);
const RUNS = Number(opt('runs', '200'));
const THREADS = Number(opt('threads', '2'));
const KINDS = opt('models', 'fashion,cls,rec').split(',');

function bestMethod(kind) {
  const acc = JSON.parse(fs.readFileSync(path.join(D.ROOT, 'bench', 'results', 'accuracy.json'), 'utf8'));
  const m = acc.models.find((x) => x.kind === kind);
  const key = kind === 'fashion' ? 'top1' : kind === 'cls' ? 'agreement' : 'lineAgreement';
  const rows = m.rows.filter((r) => !r.error && r.quantizedBy === 'qint8' && r.engine === 'qint8' && r.model.startsWith('static '));
  return rows.reduce((a, b) => (b[key] > a[key] ? b : a)).model.slice('static '.length);
}

function input(kind) {
  if (kind === 'fashion') return { data: D.fashionTest().images.slice(0, 784), dims: [1, 1, 28, 28] };
  const { images } = D.ocrLines();
  if (kind === 'cls') return D.clsBatch(images.filter((e) => e.split === 'eval').slice(0, 1));
  return D.recInput(images.find((e) => e.split === 'eval' && e.rec && e.rec.padTo === 320));
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mb = (b) => b / (1024 * 1024);

async function soak(kind, variant, file) {
  const x = input(kind);
  const feeds = { [D.MODELS[kind].input]: new q.Tensor('float32', x.data, x.dims) };
  const rss0 = process.memoryUsage().rss;
  let t = process.hrtime.bigint();
  const s = await q.InferenceSession.create(file, { intraOpNumThreads: THREADS });
  const createMs = Number(process.hrtime.bigint() - t) / 1e6;
  t = process.hrtime.bigint();
  await s.run(feeds);
  const firstRunMs = Number(process.hrtime.bigint() - t) / 1e6;
  const rssAfterFirst = process.memoryUsage().rss;
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    t = process.hrtime.bigint();
    await s.run(feeds);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const rssAfter = process.memoryUsage().rss;
  await s.release();
  const k = Math.max(1, Math.floor(RUNS / 10));
  const row = {
    model: kind,
    variant,
    file: path.relative(D.ROOT, file),
    dims: x.dims,
    createMs,
    firstRunMs,
    runs: RUNS,
    medianMs: median(times),
    firstTenthMedianMs: median(times.slice(0, k)),
    lastTenthMedianMs: median(times.slice(-k)),
    driftPct: 100 * (median(times.slice(-k)) / median(times.slice(0, k)) - 1),
    rssBeforeCreateMB: mb(rss0),
    rssAfterFirstRunMB: mb(rssAfterFirst),
    rssAfterRunsMB: mb(rssAfter),
    rssGrowthMB: mb(rssAfter - rssAfterFirst),
  };
  console.log(
    `${kind} ${variant}: create ${createMs.toFixed(1)} ms, first run ${firstRunMs.toFixed(1)} ms, median ${row.medianMs.toFixed(2)} ms ` +
      `(first ${k}: ${row.firstTenthMedianMs.toFixed(2)}, last ${k}: ${row.lastTenthMedianMs.toFixed(2)}, drift ${row.driftPct.toFixed(1)}%), ` +
      `RSS ${row.rssAfterFirstRunMB.toFixed(1)} -> ${row.rssAfterRunsMB.toFixed(1)} MB over ${RUNS} runs`,
  );
  return row;
}

async function main() {
  q.configure({ threads: THREADS });
  const rows = [];
  for (const kind of KINDS) {
    const method = bestMethod(kind);
    const file = path.join(D.CACHE, 'qint8', `${kind}.static_${method}.onnx`);
    rows.push(await soak(kind, `qint8 int8 (static ${method})`, file));
    rows.push(await soak(kind, 'qint8 fp32', D.MODELS[kind].file));
  }
  const out = path.join(D.ROOT, 'bench', 'results', 'soak-models.json');
  const meta = { date: new Date().toISOString(), cpu: q.cpuInfo().brand, isa: q.cpuInfo().bestIsa, threads: THREADS, loadavg: os.loadavg(), node: process.version };
  fs.writeFileSync(out, JSON.stringify({ meta, rows }, null, 1) + '\n');
  console.log(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
