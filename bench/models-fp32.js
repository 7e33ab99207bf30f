// Float32 models end to end: qint8's InferenceSession vs onnxruntime-node (fp32, its default
// graph optimisations) on the PaddleOCR classifier and recognizer, ResNet-18 and MobileNetV2
// (+ MobileNetV3-Small, the BERT-style encoder and the PaddleOCR detector unless --core), at
// batch 1 and 8 and 1 and 2 threads; plus the per-run overhead of a one-op model (Relu on 16
// floats: qint8 runSync and run vs onnxruntime-node run).
//
// Both engines get the thread count (qint8: intraOpNumThreads, capped by its pool of
// os.availableParallelism() threads; onnxruntime: intraOpNumThreads with
// session.intra_op.allow_spinning = 0 and interOpNumThreads 1, so that its idle workers do not
// spin on the core the other engine is timed on). Both are timed through their async run(),
// one inference per call. Rounds are interleaved (bench/lib.js): medians over rounds, the ratio
// qint8 / onnxruntime taken per round. At 1 thread the same pairs are also timed in process CPU
// time (process.cpuUsage(), all threads, interleaved, medians): a busy neighbour on this shared
// machine steals wall time but not CPU time, so cpuRatio is the steadier figure there.
// Each session's first run (plan building, first-touch of the arena) is excluded from the
// timings and reported separately (firstMs).
// Options: --quick (fewer, shorter rounds), --core (the four target models only),
// --filter=<text> (rows whose model name contains it), --no-overhead.
// Rows go to bench/results/models-fp32.json.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ort = require('onnxruntime-node');
const q = require('../dist');
const { materializeRecipe } = require('../dist/onnx/recipe');
const { encodeModel, DataType } = require('../dist/onnx/proto');
const { interleave, median, medianRatio, writeResults, fmt, printTable, machineMeta, sleep } = require('./lib');

const OCR = path.join(__dirname, '..', 'node_modules', '@gutenye', 'ocr-models', 'assets');
const FIX = path.join(__dirname, '..', 'test', 'fixtures', 'models');
const recipe = (n) => () => materializeRecipe(JSON.parse(fs.readFileSync(path.join(FIX, `${n}.recipe.json`), 'utf8')), 1);
const file = (p) => () => fs.readFileSync(p);

const MODELS = [
  { name: 'paddleocr-cls', core: true, bytes: file(path.join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx')), input: (b) => ({ x: [b, 3, 48, 192] }) },
  { name: 'paddleocr-rec', core: true, bytes: file(path.join(OCR, 'ch_PP-OCRv4_rec_infer.onnx')), input: (b) => ({ x: [b, 3, 48, 320] }) },
  { name: 'resnet18', core: true, bytes: recipe('resnet18'), input: (b) => ({ input: [b, 3, 224, 224] }) },
  { name: 'mobilenet_v2', core: true, bytes: recipe('mobilenet_v2'), input: (b) => ({ input: [b, 3, 224, 224] }) },
  { name: 'mobilenet_v3_small', bytes: recipe('mobilenet_v3_small'), input: (b) => ({ input: [b, 3, 224, 224] }) },
  { name: 'bert_tiny', bytes: recipe('bert_tiny'), input: (b) => ({ input_ids: [b, 64], attention_mask: [b, 64] }) },
  { name: 'paddleocr-det', bytes: file(path.join(OCR, 'ch_PP-OCRv4_det_infer.onnx')), input: (b) => ({ x: [b, 3, 320, 320] }) },
];

function feeds(shapes) {
  const fq = {};
  const fo = {};
  for (const [k, d] of Object.entries(shapes)) {
    const n = d.reduce((a, c) => a * c, 1);
    if (k === 'input_ids' || k === 'attention_mask') {
      const x = BigInt64Array.from({ length: n }, (_, i) => (k === 'attention_mask' ? 1n : BigInt((i * 7919) % 1000)));
      fq[k] = new q.Tensor('int64', x, d);
      fo[k] = new ort.Tensor('int64', x, d);
    } else {
      const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 0.9);
      fq[k] = new q.Tensor('float32', x, d);
      fo[k] = new ort.Tensor('float32', x, d);
    }
  }
  return { fq, fo };
}

// Per-call process CPU time (ms) of each task, rounds interleaved (order reversed on odd rounds).
async function cpuRounds(tasks, rounds, minMs) {
  const per = new Map(tasks.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const t of r % 2 ? [...tasks].reverse() : tasks) {
      await sleep(30);
      await t.fn(); // warm
      let calls = 0;
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      do {
        await t.fn();
        calls++;
      } while (performance.now() - w0 < minMs);
      const c = process.cpuUsage(c0);
      per.get(t.name).push((c.user + c.system) / 1000 / calls);
    }
  }
  return per;
}

const ortOptions = (threads) => ({
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});

function reluModel() {
  const vi = (name) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 16 }] } } } });
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'relu', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [vi('x')], output: [vi('y')] },
  });
}

async function overhead(rows, quick) {
  const model = reluModel();
  const qs = await q.InferenceSession.create(model, { intraOpNumThreads: 1 });
  // The same model with the async hop forced on every run (a plan this small normally runs on the
  // calling thread: inlineRunMicros, lib/session.ts).
  const qh = await q.InferenceSession.create(model, { intraOpNumThreads: 1, inlineRunMicros: 0 });
  const os_ = await ort.InferenceSession.create(model, ortOptions(1));
  const x = new Float32Array(16);
  const fq = { x: new q.Tensor('float32', x, [1, 16]) };
  const fo = { x: new ort.Tensor('float32', x, [1, 16]) };
  const N = 200;
  const tasks = [
    { name: 'qint8 runSync', batch: N, fn: () => { for (let i = 0; i < N; i++) qs.runSync(fq); } },
    { name: 'qint8 run', batch: N, fn: async () => { for (let i = 0; i < N; i++) await qs.run(fq); } },
    { name: 'qint8 run (hop)', batch: N, fn: async () => { for (let i = 0; i < N; i++) await qh.run(fq); } },
    { name: 'ort run', batch: N, fn: async () => { for (let i = 0; i < N; i++) await os_.run(fo); } },
  ];
  const res = await interleave(tasks, { rounds: quick ? 3 : 7, timeMs: quick ? 100 : 200 });
  const cpu = await cpuRounds(tasks.map((t) => ({ name: t.name, fn: t.fn })), quick ? 3 : 5, quick ? 100 : 200);
  const ortUs = res.get('ort run').medianMs * 1000;
  for (const t of tasks) {
    const us = res.get(t.name).medianMs * 1000;
    rows.push({
      kind: 'overhead',
      name: `one-op ${t.name}`,
      medianUs: us,
      cpuUs: (median(cpu.get(t.name)) / N) * 1000,
      vsOrtRun: us / ortUs,
    });
  }
  await os_.release();
  await qs.release();
  await qh.release();
}

module.exports = async function main(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick');
  const core = argv.includes('--core');
  const filter = (argv.find((a) => a.startsWith('--filter=')) ?? '').slice(9);
  const rows = [];
  const load0 = os.loadavg();
  const metaOf = () => ({
    ...machineMeta(q),
    loadavgBefore: load0,
    loadavgAfter: os.loadavg(),
    ort: require('onnxruntime-node/package.json').version,
    conditions: 'interleaved rounds, medians; async run() on both; ort allow_spinning 0, interOpNumThreads 1; qint8 pool = availableParallelism',
    quick,
    args: argv,
  });
  if (!argv.includes('--no-overhead') && !filter) {
    await overhead(rows, quick);
    printTable(rows, [
      { title: 'overhead', get: (r) => r.name },
      { title: 'us (wall)', get: (r) => fmt(r.medianUs, 2) },
      { title: 'us (cpu)', get: (r) => fmt(r.cpuUs, 2) },
      { title: 'vs ort run', get: (r) => fmt(r.vsOrtRun, 2) },
    ]);
  }
  const poolThreads = q.cpuInfo().threads;
  for (const m of MODELS) {
    if ((core && !m.core) || (filter && !m.name.includes(filter))) continue;
    const bytes = m.bytes();
    for (const batch of [1, 8]) {
      const { fq, fo } = feeds(m.input(batch));
      for (const threads of [1, 2]) {
        if (threads > poolThreads) continue;
        let t0 = performance.now();
        const qs = await q.InferenceSession.create(bytes, { intraOpNumThreads: threads });
        const createMs = performance.now() - t0;
        t0 = performance.now();
        await qs.run(fq);
        const firstMs = performance.now() - t0;
        const os_ = await ort.InferenceSession.create(bytes, ortOptions(threads));
        t0 = performance.now();
        await os_.run(fo);
        const ortFirstMs = performance.now() - t0;
        const heavy = m.name === 'resnet18' || m.name === 'paddleocr-det' || batch > 1;
        const tasks = [
          { name: 'qint8', fn: () => qs.run(fq) },
          { name: 'ort', fn: () => os_.run(fo) },
        ];
        const rounds = quick ? 3 : heavy ? 5 : 7;
        const res = await interleave(tasks, { rounds, timeMs: quick ? 100 : heavy ? 300 : 200, iterations: heavy ? 3 : 5 });
        const row = {
          kind: 'model',
          name: m.name,
          batch,
          threads,
          qint8Ms: res.get('qint8').medianMs,
          ortMs: res.get('ort').medianMs,
          ratio: medianRatio(res.get('qint8').perRoundMs, res.get('ort').perRoundMs),
          createMs,
          firstMs,
          ortFirstMs,
        };
        if (threads === 1) {
          const cpu = await cpuRounds(tasks, quick ? 3 : 5, quick ? 100 : 250);
          row.qint8CpuMs = median(cpu.get('qint8'));
          row.ortCpuMs = median(cpu.get('ort'));
          row.cpuRatio = medianRatio(cpu.get('qint8'), cpu.get('ort'));
        }
        rows.push(row);
        console.log(
          `${m.name} b${batch} t${threads}: qint8 ${fmt(row.qint8Ms, 2)} ms, ort ${fmt(row.ortMs, 2)} ms, ratio ${fmt(row.ratio, 2)}` +
            (row.cpuRatio !== undefined ? ` | cpu ${fmt(row.qint8CpuMs, 2)} vs ${fmt(row.ortCpuMs, 2)} ms, ratio ${fmt(row.cpuRatio, 2)}` : '') +
            ` | first run ${fmt(firstMs, 1)} ms (ort ${fmt(ortFirstMs, 1)}), create ${fmt(createMs, 0)} ms`,
        );
        await os_.release();
        await qs.release();
        writeResults('models-fp32', rows, { ...metaOf(), partial: true }); // a stopped run keeps its rows
      }
    }
  }
  const modelRows = rows.filter((r) => r.kind === 'model');
  if (modelRows.length) {
    console.log('');
    printTable(modelRows, [
      { title: 'model', get: (r) => r.name },
      { title: 'batch', get: (r) => String(r.batch) },
      { title: 'thr', get: (r) => String(r.threads) },
      { title: 'qint8 ms', get: (r) => fmt(r.qint8Ms, 2) },
      { title: 'ort ms', get: (r) => fmt(r.ortMs, 2) },
      { title: 'ratio', get: (r) => fmt(r.ratio, 2) },
      { title: 'cpu ratio', get: (r) => fmt(r.cpuRatio, 2) },
      { title: 'first ms', get: (r) => fmt(r.firstMs, 1) },
    ]);
  }
  const meta = {
    ...metaOf(),
  };
  const out = writeResults('models-fp32', rows, meta);
  console.log(`\nwrote ${out}`);
};

if (require.main === module)
  module.exports().catch((e) => {
    console.error(e);
    process.exit(1);
  });
