// Soak: 10,000 runs each of the Fashion-MNIST CNN (async run(), batch 4) and the PaddleOCR
// classifier (runSync(), batch 1) on one session each, then 200 create / run / release cycles of
// the classifier. RSS and V8 heap are sampled every 1,000 runs (every 20 cycles) and printed;
// results go to bench/results/soak.json.
//
// Pass / fail: after warm-up (the first 1,000 runs: plans built, arenas and the pool's scratch
// grown, V8's heap sized), RSS may not rise more than BOUND_MB above its warm-up value at any later
// sample; the create / release phase gets the same bound over its 200 cycles (a leak of the
// classifier's 0.6 MB of weights per cycle would exceed it by the 30th cycle). The bound is a few
// times V8's young-generation churn (each run allocates its output tensors) and malloc's
// arena slack; a per-run native leak of even 2 KB would add 20 MB over 10,000 runs.
// Exit code 1 on failure. Options: --runs=N (default 10000), --cycles=N (default 200).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const q = require('../dist');
const { writeResults, machineMeta } = require('./lib');

const BOUND_MB = 12;
const arg = (k, d) => Number((process.argv.find((a) => a.startsWith(`--${k}=`)) ?? `=${d}`).split('=')[1]);
const RUNS = arg('runs', 10000);
const CYCLES = arg('cycles', 200);
const mb = (b) => b / (1 << 20);
const EVERY = Math.max(1, Math.round(RUNS / 10)); // 1,000 at the default
const CEVERY = Math.max(1, Math.round(CYCLES / 10));

// Samples are taken after a full garbage collection, so that they show retained memory rather
// than garbage V8 has not collected yet (sessions' JS graphs, run outputs).
if (typeof global.gc !== 'function') {
  require('node:v8').setFlagsFromString('--expose-gc');
  global.gc = require('node:vm').runInNewContext('gc');
}

function sample(label, i) {
  global.gc();
  const m = process.memoryUsage();
  const s = { label, i, rssMb: +mb(m.rss).toFixed(2), heapUsedMb: +mb(m.heapUsed).toFixed(2), externalMb: +mb(m.external).toFixed(2) };
  console.log(`${label.padEnd(14)} ${String(i).padStart(6)}  rss ${s.rssMb.toFixed(1)} MB  heap ${s.heapUsedMb.toFixed(1)} MB  external ${s.externalMb.toFixed(1)} MB`);
  return s;
}

function judge(samples, warm, what) {
  const base = samples.find((s) => s.i === warm).rssMb;
  const peak = Math.max(...samples.filter((s) => s.i >= warm).map((s) => s.rssMb));
  const growth = peak - base;
  const ok = growth <= BOUND_MB;
  console.log(`${what}: RSS after warm-up ${base.toFixed(1)} MB, peak later ${peak.toFixed(1)} MB, growth ${growth.toFixed(1)} MB (bound ${BOUND_MB}): ${ok ? 'ok' : 'FAIL'}`);
  return { what, warmRssMb: base, peakRssMb: peak, growthMb: +growth.toFixed(2), boundMb: BOUND_MB, ok };
}

function image(dims, seed) {
  const n = dims.reduce((a, b) => a * b, 1);
  return new q.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed)), dims);
}

async function main() {
  const load0 = os.loadavg();
  const t0 = Date.now();
  const verdicts = [];
  const phases = {};

  const fashion = await q.InferenceSession.create(path.join(__dirname, '..', 'test', 'fixtures', 'models', 'fashion_mnist_cnn.onnx'));
  const fx = { image: image([4, 1, 28, 28], 1) };
  let s = [];
  for (let i = 0; i <= RUNS; i++) {
    if (i % EVERY === 0) s.push(sample('fashion run()', i));
    if (i < RUNS) await fashion.run(fx);
  }
  phases.fashion = s;
  verdicts.push(judge(s, EVERY, 'fashion_mnist_cnn run() x' + RUNS));
  await fashion.release();

  const clsPath = path.join(__dirname, '..', 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
  const clsBytes = fs.readFileSync(clsPath);
  const cls = q.InferenceSession.createSync(clsBytes);
  const cx = { x: image([1, 3, 48, 192], 2) };
  s = [];
  for (let i = 0; i <= RUNS; i++) {
    if (i % EVERY === 0) s.push(sample('cls runSync()', i));
    if (i < RUNS) cls.runSync(cx);
  }
  phases.cls = s;
  verdicts.push(judge(s, EVERY, 'paddleocr-cls runSync() x' + RUNS));
  cls.releaseSync();
  let err = '';
  try {
    cls.runSync(cx);
  } catch (e) {
    err = `${e.constructor.name}: ${e.message}`;
  }
  console.log(`run after release: ${err || 'NO ERROR'}`);
  verdicts.push({ what: 'run after release() throws', message: err, ok: /released/.test(err) });

  s = [];
  for (let i = 0; i <= CYCLES; i++) {
    if (i % CEVERY === 0) s.push(sample('cls create/rel', i));
    if (i < CYCLES) {
      const c = q.InferenceSession.createSync(clsBytes);
      c.runSync(cx);
      c.releaseSync();
    }
  }
  phases.createRelease = s;
  verdicts.push(judge(s, CEVERY, `paddleocr-cls create/run/release x${CYCLES}`));

  const ok = verdicts.every((v) => v.ok);
  const file = writeResults('soak', { verdicts, phases }, { ...machineMeta(q), loadavgBefore: load0, loadavgAfter: os.loadavg(), seconds: (Date.now() - t0) / 1000, runs: RUNS, cycles: CYCLES, boundMb: BOUND_MB });
  console.log(`${ok ? 'PASS' : 'FAIL'}; wrote ${file}`);
  if (!ok) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
