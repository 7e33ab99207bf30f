// Whole-model bench (issue 6 speed targets): the Fashion-MNIST CNN, PaddleOCR's direction
// classifier and recognizer at batch 1 and 8, 1 and 2 threads:
//   qint8 int8      qint8's static QDQ model (scripts/accuracy.js writes it to models-cache/qint8/;
//                   quantized here with the same calibration data when it is missing), on qint8
//   qint8 int8 inline  the same model and session options with inlineRunMicros: Infinity, i.e.
//                   run() on the calling thread, as onnxruntime-node 1.30's run() does (a
//                   setImmediate, then a synchronous run); the default run() hops to a worker
//                   thread, which costs 20-60 us per call on this VM
//   qint8 fp32      the float model on qint8
//   ort fp32        the float model on onnxruntime-node
//   ort QDQ         onnxruntime's own quantize_static QDQ model (MinMax; scripts/ort_quantize_peers.py)
//                   on onnxruntime-node
//   recognizer also the dynamic models: qint8's (com.microsoft DynamicQuantizeMatMul) and
//                   onnxruntime's quantize_dynamic, each on both engines.
// Inputs are real samples (Fashion-MNIST test images; rendered text lines, the recognizer's at
// width 320). onnxruntime: intraOpNumThreads = threads, interOpNumThreads 1, spinning disabled
// (session.intra_op.allow_spinning / inter_op = 0) so that idle workers do not steal the core the
// next task is timed on; qint8: configure({ threads }) and intraOpNumThreads. Interleaved rounds
// (bench/lib.js); figures are medians over rounds, ratios are per-round ratios' medians.
// Rows in bench/results/models-int8.json: {name, model, batch, threads, impl, engine, file,
// medianMs (per call), perImageMs, vsOrtFp32, vsOrtQdq, vsOwnFloat}.
// Options: --quick (3 short rounds), --models fashion,cls,rec (rows of other models are kept from
// the previous results file), --method <qint8 calibration method of the static model, for every
// model or as fashion=m1,rec=m2; default: the best one in bench/results/accuracy.json, else histogram>.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');
const q = require('../dist');
const D = require('../scripts/accuracy-data');
const { interleave, median, medianRatio, writeResults, fmt, printTable, machineMeta } = require('./lib');

const ORT_NO_SPIN = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };

function bestMethod(kind) {
  try {
    const acc = JSON.parse(fs.readFileSync(path.join(__dirname, 'results', 'accuracy.json'), 'utf8'));
    const m = acc.models.find((x) => x.kind === kind);
    const key = kind === 'fashion' ? 'top1' : kind === 'cls' ? 'agreement' : 'lineAgreement';
    const rows = m.rows.filter((r) => !r.error && r.quantizedBy === 'qint8' && r.engine === 'qint8' && r.model.startsWith('static '));
    if (rows.length) return rows.reduce((a, b) => (b[key] > a[key] ? b : a)).model.slice('static '.length);
  } catch {}
  return 'histogram';
}

/** Inputs of batch b (real samples) and calibration feeds. */
function inputs(kind, b) {
  if (kind === 'fashion') {
    const t = D.fashionTest();
    return { data: t.images.slice(0, b * 784), dims: [b, 1, 28, 28] };
  }
  const { images } = D.ocrLines();
  if (kind === 'cls') return D.clsBatch(images.filter((e) => e.split === 'eval').slice(0, b));
  const lines = images.filter((e) => e.split === 'eval' && e.rec && e.rec.padTo === 320).slice(0, b);
  const data = new Float32Array(b * 3 * 48 * 320);
  lines.forEach((e, i) => D.normalize(D.ocrLines().rec, e.rec.offset, e.rec.width, 320, data, i * 3 * 48 * 320));
  return { data, dims: [b, 3, 48, 320] };
}

function calibFeeds(kind) {
  const input = D.MODELS[kind].input;
  const { images } = kind === 'fashion' ? { images: [] } : D.ocrLines();
  const feeds =
    kind === 'fashion' ? D.fashionCalib() : kind === 'cls' ? images.filter((e) => e.split === 'calib').map((e) => D.clsBatch([e])) : images.filter((e) => e.split === 'calib' && e.rec).map((e) => D.recInput(e));
  return feeds.map((f) => ({ [input]: new q.Tensor('float32', f.data, f.dims) }));
}

async function staticModel(kind, method) {
  const file = path.join(D.CACHE, 'qint8', `${kind}.static_${method}.onnx`);
  if (fs.existsSync(file)) return file;
  console.log(`quantizing ${kind} (${method}; ${path.relative(D.ROOT, file)} is missing)`);
  const qm = await q.quantize(D.MODELS[kind].file, { mode: 'static', backend: 'auto', calibration: { method }, data: calibFeeds(kind) });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  qm.saveSync(file);
  return file;
}

// Made afresh on every run (no calibration: a second or two), so the file always comes from the
// current quantize() and a cached copy from older code is never timed.
async function dynamicModel(kind) {
  const file = path.join(D.CACHE, 'qint8', `${kind}.dynamic.onnx`);
  const qm = await q.quantize(D.MODELS[kind].file, { mode: 'dynamic', backend: 'auto' });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  qm.saveSync(file);
  return file;
}

function peer(kind, name) {
  const f = path.join(D.PEERS, `${kind}.${name}.onnx`);
  if (!fs.existsSync(f)) throw new Error(`missing ${path.relative(D.ROOT, f)}: run python3 scripts/ort_quantize_peers.py`);
  return f;
}

async function main() {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const opt = (n, d) => (argv.indexOf(`--${n}`) >= 0 ? argv[argv.indexOf(`--${n}`) + 1] : d);
  const kinds = opt('models', 'fashion,cls,rec').split(',');
  const rounds = quick ? 3 : 5;
  const threadList = q.defaultThreads() >= 2 ? [1, 2] : [1];
  const rows = [];
  const methods = {};
  for (const kind of kinds) {
    // --method m (every model) or --method fashion=m,rec=m2
    const mo = opt('method');
    const per = mo && mo.includes('=') ? Object.fromEntries(mo.split(',').map((x) => x.split('='))) : null;
    const method = (per ? per[kind] : mo) ?? bestMethod(kind);
    methods[kind] = method;
    const input = D.MODELS[kind].input;
    const variants = [
      { impl: 'qint8 int8', engine: 'qint8', file: await staticModel(kind, method) },
      { impl: 'qint8 int8 inline', engine: 'qint8', file: await staticModel(kind, method), options: { inlineRunMicros: Infinity } },
      { impl: 'qint8 fp32', engine: 'qint8', file: D.MODELS[kind].file },
      { impl: 'ort fp32', engine: 'onnxruntime', file: D.MODELS[kind].file },
      { impl: 'ort QDQ', engine: 'onnxruntime', file: peer(kind, 'ort_qdq_minmax') },
    ];
    if (kind === 'rec') {
      const qd = await dynamicModel(kind);
      const od = peer(kind, 'ort_dynamic');
      variants.push(
        { impl: 'qint8 dynamic', engine: 'qint8', file: qd },
        { impl: 'qint8 dynamic on ort', engine: 'onnxruntime', file: qd },
        { impl: 'ort dynamic', engine: 'onnxruntime', file: od },
        { impl: 'ort dynamic on qint8', engine: 'qint8', file: od },
      );
    }
    for (const threads of threadList) {
      q.configure({ threads });
      const sessions = [];
      for (const v of variants) {
        if (v.engine === 'qint8') v.session = await q.InferenceSession.create(v.file, { intraOpNumThreads: threads, ...(v.options ?? {}) });
        else v.session = await ort.InferenceSession.create(v.file, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', extra: ORT_NO_SPIN });
        sessions.push(v.session);
      }
      for (const batch of [1, 8]) {
        const x = inputs(kind, batch);
        const tasks = variants.map((v) => {
          const T = v.engine === 'qint8' ? q.Tensor : ort.Tensor;
          const feeds = { [input]: new T('float32', x.data, x.dims) };
          return { name: v.impl, before: v.engine === 'qint8' ? () => q.configure({ threads }) : undefined, fn: () => v.session.run(feeds) };
        });
        // One warm call each (plans are compiled per input shape on first use).
        for (const t of tasks) await t.fn();
        const res = await interleave(tasks, { rounds, timeMs: quick ? 150 : 400 });
        const pr = (n) => res.get(n).perRoundMs;
        for (const v of variants) {
          const mine = pr(v.impl);
          const own = v.engine === 'qint8' ? pr('qint8 fp32') : pr('ort fp32');
          rows.push({
            name: `${kind} b${batch}`,
            model: kind,
            batch,
            threads,
            impl: v.impl,
            engine: v.engine,
            file: path.relative(D.ROOT, v.file),
            medianMs: median(mine),
            perImageMs: median(mine) / batch,
            vsOrtFp32: medianRatio(pr('ort fp32'), mine),
            vsOrtQdq: medianRatio(pr('ort QDQ'), mine),
            vsOwnFloat: medianRatio(own, mine),
          });
        }
        console.log(`${kind} batch ${batch}, ${threads} thread(s): ${variants.map((v) => `${v.impl} ${fmt(median(pr(v.impl)), 2)} ms`).join(', ')}`);
      }
      await Promise.all(sessions.map((s) => s.release()));
    }
  }
  const meta = { ...machineMeta(q), loadavg: require('node:os').loadavg(), onnxruntimeNode: require('onnxruntime-node/package.json').version, rounds, staticMethod: methods, ortQdq: 'models-cache/peers/<model>.ort_qdq_minmax.onnx', ortSpinning: 'disabled' };
  // Models not run this time keep their earlier rows (and the meta of the run that made them).
  let prev = null;
  try {
    prev = JSON.parse(fs.readFileSync(path.join(__dirname, 'results', 'models-int8.json'), 'utf8'));
  } catch {}
  const kept = prev ? prev.rows.filter((r) => !kinds.includes(r.model)) : [];
  if (kept.length) meta.earlierRuns = { ...(prev.meta.earlierRuns ?? {}), ...Object.fromEntries([...new Set(kept.map((r) => r.model))].map((k) => [k, prev.meta.earlierRuns?.[k] ?? { date: prev.meta.date, loadavg: prev.meta.loadavg, staticMethod: prev.meta.staticMethod?.[k], rounds: prev.meta.rounds }])) };
  const order = ['fashion', 'cls', 'rec', 'det'];
  const all = [...kept, ...rows].sort((a, b) => order.indexOf(a.model) - order.indexOf(b.model));
  const file = writeResults('models-int8', all, meta);
  printTable(rows, [
    { title: 'model', get: (r) => r.name },
    { title: 'thr', get: (r) => String(r.threads) },
    { title: 'impl', get: (r) => r.impl },
    { title: 'median', get: (r) => `${fmt(r.medianMs, 2)} ms` },
    { title: 'per image', get: (r) => `${fmt(r.perImageMs, 2)} ms` },
    { title: 'vs ort fp32', get: (r) => `${fmt(r.vsOrtFp32, 2)}x` },
    { title: 'vs ort QDQ', get: (r) => `${fmt(r.vsOrtQdq, 2)}x` },
    { title: 'vs own fp32', get: (r) => `${fmt(r.vsOwnFloat, 2)}x` },
  ]);
  console.log(`wrote ${file}`);
}

module.exports = main;
if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
