#!/usr/bin/env node
// Accuracy of int8 models on real data (issue 6, part 8): the Fashion-MNIST CNN on the official
// 10k test set, PaddleOCR's direction classifier and recognizer on rendered text lines
// (scripts/render_text_lines.py). For each model:
//   float                      the float model on onnxruntime-node (the reference) and on qint8
//   qint8 static <method>      quantize(model, { mode: 'static', backend: 'auto', calibration:
//                              { method } }) for every calibration method, run by qint8 (int8),
//                              and the same QDQ file run by onnxruntime-node (--no-cross skips)
//   qint8 dynamic              quantize(model, { mode: 'dynamic' }) on qint8 and onnxruntime-node
//   onnxruntime QDQ <method>   onnxruntime's quantize_static models (scripts/ort_quantize_peers.py)
//                              on onnxruntime-node and on qint8; the recognizer's quantize_dynamic
// Metrics, all against the float model on onnxruntime-node: Fashion top-1 (and argmax agreement);
// classifier argmax agreement (and accuracy against the true orientation); recognizer decoded-line
// agreement and character agreement (1 - edit distance / length of the float line), spaces ignored
// (and line accuracy against the rendered text).
// Writes bench/results/accuracy.json, the tables of docs/ACCURACY.md (between its markers) and the
// qint8 QDQ models to models-cache/qint8/.
//
// Usage: node scripts/accuracy.js [--models fashion,cls,rec] [--methods minmax,...] [--threads 2]
//        [--no-cross] [--no-docs] [--limit N (evaluation samples per model, for trials)]
//        [--report (per-tensor SQNR of each qint8 static model on 20 evaluation samples)]
//        [--peers-only (float reference + onnxruntime's peers; keeps the model's other rows)]
// Needs: npx tsc -p tsconfig.build.json, the addon, and the two Python scripts run once.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execSync } = require('node:child_process');
const ort = require('onnxruntime-node');
const q = require('../dist');
const D = require('./accuracy-data');

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const flag = (name) => argv.includes(`--${name}`);
const THREADS = Number(opt('threads', '2'));
const MODEL_KINDS = opt('models', 'fashion,cls,rec').split(',');
const METHODS = opt('methods', q.CALIBRATION_METHODS.join(',')).split(',');
const PEER_METHODS = ['minmax', 'entropy', 'percentile'];
const LIMIT = opt('limit') ? Number(opt('limit')) : Infinity;
const CROSS = !flag('no-cross');
// --peers-only: the float reference and onnxruntime's peer models only; the other rows of the
// model are kept from bench/results/accuracy.json (for peers made after a full run).
const PEERS_ONLY = flag('peers-only');
const QDIR = path.join(D.CACHE, 'qint8');

const TITLES = { fashion: 'Fashion-MNIST CNN', cls: 'PaddleOCR direction classifier (ch_ppocr_mobile_v2.0_cls)', rec: 'PaddleOCR recognizer (ch_PP-OCRv4_rec)' };

// ------------------------------------------------------------------------------------ engines

/** A runner: (feed {data, dims}) -> Promise<{data, dims}> of the first output. */
async function ortRunner(model) {
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: THREADS, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const input = s.inputNames[0];
  const output = s.outputNames[0];
  return {
    run: async (f) => {
      const r = await s.run({ [input]: new ort.Tensor('float32', f.data, f.dims) });
      return { data: r[output].data, dims: r[output].dims };
    },
    release: () => s.release(),
  };
}

async function qint8Runner(model) {
  const s = await q.InferenceSession.create(model, { intraOpNumThreads: THREADS });
  const input = s.inputNames[0];
  const output = s.outputNames[0];
  return {
    run: async (f) => {
      const r = await s.run({ [input]: new q.Tensor('float32', f.data, f.dims) });
      return { data: r[output].data, dims: r[output].dims };
    },
    release: () => s.release(),
  };
}

// ------------------------------------------------------------------------------------ data per model

// The argmax class of every sample, batch by batch.
async function predictClasses(runner, batches, count, classes) {
  const pred = new Int32Array(count);
  let at = 0;
  for (const b of batches) {
    const r = await runner.run(b);
    pred.set(D.argmaxRows(r.data, b.dims[0], classes), at);
    at += b.dims[0];
  }
  return pred;
}

function fashionSet() {
  const t = D.fashionTest();
  const n = Math.min(t.count, LIMIT);
  const B = 500;
  const batches = [];
  for (let i = 0; i < n; i += B) {
    const m = Math.min(B, n - i);
    batches.push({ data: t.images.subarray(i * 784, (i + m) * 784), dims: [m, 1, 28, 28] });
  }
  return {
    count: n,
    labels: t.labels.subarray(0, n),
    batches,
    calib: D.fashionCalib(),
    predict: (runner) => predictClasses(runner, batches, n, 10),
  };
}

function clsSet() {
  const { images } = D.ocrLines();
  const evalImgs = images.filter((e) => e.split === 'eval').slice(0, LIMIT);
  const B = 50;
  const batches = [];
  for (let i = 0; i < evalImgs.length; i += B) batches.push(D.clsBatch(evalImgs.slice(i, i + B)));
  return {
    count: evalImgs.length,
    truth: Int32Array.from(evalImgs, (e) => (e.rotation === 180 ? 1 : 0)),
    langs: evalImgs.map((e) => e.lang),
    batches,
    calib: images.filter((e) => e.split === 'calib').map((e) => D.clsBatch([e])),
    predict: (runner) => predictClasses(runner, batches, evalImgs.length, 2),
  };
}

function recSet() {
  const { images } = D.ocrLines();
  const evalLines = images.filter((e) => e.split === 'eval' && e.rec).slice(0, LIMIT);
  return {
    count: evalLines.length,
    truth: evalLines.map((e) => e.text),
    langs: evalLines.map((e) => e.lang),
    calib: images.filter((e) => e.split === 'calib' && e.rec).map((e) => D.recInput(e)),
    async predict(runner) {
      const out = [];
      for (const e of evalLines) {
        const r = await runner.run(D.recInput(e));
        const [, T, C] = r.dims;
        out.push(D.ctcDecode(r.data, T, C));
      }
      return out;
    },
  };
}

// ------------------------------------------------------------------------------------ metrics

function metrics(kind, set, pred, ref) {
  if (kind === 'fashion') {
    let correct = 0;
    let agree = 0;
    for (let i = 0; i < set.count; i++) {
      if (pred[i] === set.labels[i]) correct++;
      if (ref && pred[i] === ref[i]) agree++;
    }
    return { top1: correct / set.count, agreement: ref ? agree / set.count : null };
  }
  if (kind === 'cls') {
    let correct = 0;
    let agree = 0;
    for (let i = 0; i < set.count; i++) {
      if (pred[i] === set.truth[i]) correct++;
      if (ref && pred[i] === ref[i]) agree++;
    }
    return { agreement: ref ? agree / set.count : null, accuracy: correct / set.count, disagreements: ref ? set.count - agree : null };
  }
  // rec
  let lines = 0;
  let exact = 0;
  let dist = 0;
  let len = 0;
  let truthDist = 0;
  let truthLen = 0;
  const diffs = [];
  for (let i = 0; i < set.count; i++) {
    const p = D.noSpaces(pred[i]);
    const t = D.noSpaces(set.truth[i]);
    if (p === t) exact++;
    truthDist += D.editDistance(p, t);
    truthLen += Array.from(t).length;
    if (ref) {
      const r = D.noSpaces(ref[i]);
      if (p === r) lines++;
      else if (diffs.length < 8) diffs.push({ float: ref[i], int8: pred[i] });
      dist += D.editDistance(p, r);
      len += Array.from(r).length;
    }
  }
  return {
    lineAgreement: ref ? lines / set.count : null,
    charAgreement: ref ? 1 - dist / len : null,
    lineAccuracy: exact / set.count,
    charAccuracy: 1 - truthDist / truthLen,
    differingLines: ref ? set.count - lines : null,
    examples: diffs,
  };
}

// ------------------------------------------------------------------------------------ runs

async function runModel(kind) {
  const file = D.MODELS[kind].file;
  const set = kind === 'fashion' ? fashionSet() : kind === 'cls' ? clsSet() : recSet();
  const input = D.MODELS[kind].input;
  const rows = [];
  let ref = null;
  const log = (s) => console.log(`[${kind}] ${s}`);

  async function evaluate(row, makeRunner) {
    const t0 = Date.now();
    let runner;
    try {
      runner = await makeRunner();
      const pred = await set.predict(runner);
      if (row.reference) ref = pred;
      Object.assign(row, metrics(kind, set, pred, row.reference ? null : ref));
      if (row.reference) Object.assign(row, kind === 'fashion' ? { agreement: 1 } : kind === 'cls' ? { agreement: 1, disagreements: 0 } : { lineAgreement: 1, charAgreement: 1, differingLines: 0 });
    } catch (e) {
      row.error = String(e && e.message ? e.message : e).split('\n')[0].slice(0, 300);
    } finally {
      if (runner) await runner.release();
    }
    row.evalSeconds = (Date.now() - t0) / 1000;
    rows.push(row);
    log(`${row.model} on ${row.engine}: ${row.error ? `FAILED: ${row.error}` : summary(kind, row)} (${row.evalSeconds.toFixed(1)} s)`);
    return row;
  }

  const feedsOf = (calib) => calib.map((f) => ({ [input]: new q.Tensor('float32', f.data, f.dims) }));

  // float
  await evaluate({ model: 'float', quantizedBy: '-', engine: 'onnxruntime', reference: true }, () => ortRunner(file));
  if (!ref) throw new Error(`${kind}: the float reference failed on onnxruntime-node`);
  if (!PEERS_ONLY) await evaluate({ model: 'float', quantizedBy: '-', engine: 'qint8' }, () => qint8Runner(file));

  // qint8 static, every method
  fs.mkdirSync(QDIR, { recursive: true });
  for (const method of PEERS_ONLY ? [] : METHODS) {
    const out = path.join(QDIR, `${kind}.static_${method}.onnx`);
    const row = { model: `static ${method}`, quantizedBy: 'qint8', engine: 'qint8', file: path.relative(D.ROOT, out) };
    let qm = null;
    const t0 = Date.now();
    try {
      qm = await q.quantize(file, { mode: 'static', backend: 'auto', calibration: { method }, data: feedsOf(set.calib) });
      row.backend = qm.qconfig.backend;
      row.quantizeSeconds = (Date.now() - t0) / 1000;
      qm.saveSync(out);
    } catch (e) {
      row.error = `quantize: ${String(e && e.message ? e.message : e).split('\n')[0].slice(0, 300)}`;
      rows.push(row);
      log(`${row.model}: FAILED: ${row.error}`);
      continue;
    }
    await evaluate(row, () => qm.createSession({ intraOpNumThreads: THREADS }).then(wrapQ));
    if (flag('report')) row.report = await quantReport(qm, set, kind, input);
    if (CROSS) await evaluate({ model: `static ${method}`, quantizedBy: 'qint8', engine: 'onnxruntime', file: row.file }, () => ortRunner(out));
  }

  // qint8 dynamic
  if (!PEERS_ONLY) {
    const out = path.join(QDIR, `${kind}.dynamic.onnx`);
    const row = { model: 'dynamic', quantizedBy: 'qint8', engine: 'qint8', file: path.relative(D.ROOT, out) };
    try {
      const qm = await q.quantize(file, { mode: 'dynamic', backend: 'auto' });
      row.quantizedWeights = qm.weights.length;
      qm.saveSync(out);
      await evaluate(row, () => qm.createSession({ intraOpNumThreads: THREADS }).then(wrapQ));
      if (CROSS) await evaluate({ model: 'dynamic', quantizedBy: 'qint8', engine: 'onnxruntime', file: row.file, quantizedWeights: row.quantizedWeights }, () => ortRunner(out));
    } catch (e) {
      row.error = `quantize: ${String(e && e.message ? e.message : e).split('\n')[0].slice(0, 300)}`;
      rows.push(row);
      log(`dynamic: FAILED: ${row.error}`);
    }
  }

  // onnxruntime's peers
  const peers = PEER_METHODS.map((m) => [`QDQ ${m}`, path.join(D.PEERS, `${kind}.ort_qdq_${m}.onnx`)]);
  if (kind === 'rec') peers.push(['dynamic', path.join(D.PEERS, `${kind}.ort_dynamic.onnx`)]);
  for (const [name, pf] of peers) {
    if (!fs.existsSync(pf)) {
      const row = { model: name, quantizedBy: 'onnxruntime', engine: '-', error: `missing ${path.relative(D.ROOT, pf)}: run python3 scripts/ort_quantize_peers.py` };
      rows.push(row);
      log(row.error);
      continue;
    }
    await evaluate({ model: name, quantizedBy: 'onnxruntime', engine: 'onnxruntime', file: path.relative(D.ROOT, pf) }, () => ortRunner(pf));
    await evaluate({ model: name, quantizedBy: 'onnxruntime', engine: 'qint8', file: path.relative(D.ROOT, pf) }, () => qint8Runner(pf));
  }
  for (const r of rows) delete r.reference;
  if (PEERS_ONLY) {
    const prev = JSON.parse(fs.readFileSync(path.join(D.ROOT, 'bench', 'results', 'accuracy.json'), 'utf8')).models.find((m) => m.kind === kind);
    if (!prev || prev.samples !== set.count) throw new Error(`--peers-only: no earlier ${kind} result on the same ${set.count} samples`);
    const mine = prev.rows.filter((r) => r.quantizedBy === 'qint8' || (r.model === 'float' && r.engine === 'qint8'));
    const floatRow = rows.find((r) => r.model === 'float');
    return { kind, title: TITLES[kind], samples: set.count, rows: [floatRow, ...mine, ...rows.filter((r) => r !== floatRow)] };
  }
  return { kind, title: TITLES[kind], samples: set.count, rows };
}

function wrapQ(s) {
  const input = s.inputNames[0];
  const output = s.outputNames[0];
  return {
    run: async (f) => {
      const r = await s.run({ [input]: new q.Tensor('float32', f.data, f.dims) });
      return { data: r[output].data, dims: r[output].dims };
    },
    release: () => s.release(),
  };
}

async function quantReport(qm, set, kind, input) {
  const samples = kind === 'fashion' ? [set.batches[0]] : kind === 'cls' ? set.batches.slice(0, 1) : set.calib.slice(0, 20);
  const rep = await qm.report(samples.map((f) => ({ [input]: new q.Tensor('float32', f.data, f.dims) })), { sessionOptions: { intraOpNumThreads: THREADS } });
  const worst = rep.tensors.filter((t) => t.sqnr !== null).sort((a, b) => a.sqnr - b.sqnr).slice(0, 10);
  return { outputs: rep.outputs, worstTensors: worst.map((t) => ({ name: t.name, sqnr: t.sqnr, clipped: t.clipped, scale: t.scale, zeroPoint: t.zeroPoint, min: t.min, max: t.max })) };
}

function pct(x, d = 2) {
  return x === null || x === undefined ? '-' : `${(100 * x).toFixed(d)}%`;
}

function summary(kind, r) {
  if (kind === 'fashion') return `top-1 ${pct(r.top1)}, agreement ${pct(r.agreement)}`;
  if (kind === 'cls') return `agreement ${pct(r.agreement)} (${r.disagreements} differ), accuracy ${pct(r.accuracy)}`;
  return `lines ${pct(r.lineAgreement)} (${r.differingLines} differ), chars ${pct(r.charAgreement)}, vs text: lines ${pct(r.lineAccuracy)}`;
}

// ------------------------------------------------------------------------------------ targets and docs

function best(rows, pred, key) {
  const ok = rows.filter((r) => !r.error && pred(r));
  if (!ok.length) return null;
  return ok.reduce((a, b) => (b[key] > a[key] ? b : a));
}

function targets(results) {
  const out = [];
  const get = (k) => results.find((r) => r.kind === k);
  const fl = (res) => res.rows.find((r) => r.model === 'float' && r.engine === 'onnxruntime');
  const qint8Static = (r) => r.quantizedBy === 'qint8' && r.engine === 'qint8' && r.model.startsWith('static');
  const ortPeer = (r) => r.quantizedBy === 'onnxruntime' && r.engine === 'onnxruntime' && r.model.startsWith('QDQ');
  const fa = get('fashion');
  if (fa) {
    const b = best(fa.rows, qint8Static, 'top1');
    const f = fl(fa);
    out.push({ target: 'Fashion-MNIST top-1 within 0.5 points of float (qint8 static, best method)', value: b ? `${pct(b.top1)} (${b.model}) vs float ${pct(f.top1)}: ${((b.top1 - f.top1) * 100).toFixed(2)} points` : 'no qint8 result', met: !!b && f.top1 - b.top1 <= 0.005 });
  }
  const cl = get('cls');
  if (cl) {
    const b = best(cl.rows, qint8Static, 'agreement');
    out.push({ target: 'direction classifier >= 99.5% agreement with float (qint8 static, best method)', value: b ? `${pct(b.agreement)} (${b.model})` : 'no qint8 result', met: !!b && b.agreement >= 0.995 });
  }
  const re = get('rec');
  if (re) {
    const b = best(re.rows, qint8Static, 'lineAgreement');
    out.push({ target: 'recognizer >= 98% decoded-line agreement with float (qint8 static, best method)', value: b ? `${pct(b.lineAgreement)} (${b.model})` : 'no qint8 result', met: !!b && b.lineAgreement >= 0.98 });
  }
  for (const res of results) {
    const key = res.kind === 'fashion' ? 'top1' : res.kind === 'cls' ? 'agreement' : 'lineAgreement';
    const a = best(res.rows, qint8Static, key);
    const b = best(res.rows, ortPeer, key);
    out.push({
      target: `${res.kind}: qint8's best method at least as accurate as onnxruntime's best (${key})`,
      value: a && b ? `qint8 ${pct(a[key])} (${a.model}) vs onnxruntime ${pct(b[key])} (${b.model})` : 'missing results',
      met: !!a && !!b && a[key] >= b[key],
    });
  }
  return out;
}

function table(res) {
  const k = res.kind;
  const head =
    k === 'fashion' ? ['top-1', 'vs float (points)', 'argmax agreement with float'] : k === 'cls' ? ['agreement with float', 'differing images', 'accuracy (true orientation)'] : ['decoded-line agreement', 'character agreement', 'differing lines', 'line accuracy vs rendered text', 'char accuracy vs text'];
  const f = res.rows.find((r) => r.model === 'float' && r.engine === 'onnxruntime');
  const lines = [`| model | quantized by | runs on | ${head.join(' | ')} |`, `|${'---|'.repeat(3 + head.length)}`];
  for (const r of res.rows) {
    let cells;
    if (r.error) cells = [`failed: ${r.error.replace(/\|/g, '/')}`, ...head.slice(1).map(() => '')];
    else if (k === 'fashion') cells = [pct(r.top1), ((r.top1 - f.top1) * 100).toFixed(2), pct(r.agreement)];
    else if (k === 'cls') cells = [pct(r.agreement), String(r.disagreements), pct(r.accuracy)];
    else cells = [pct(r.lineAgreement), pct(r.charAgreement), String(r.differingLines), pct(r.lineAccuracy), pct(r.charAccuracy)];
    const name = r.model === 'float' ? 'float' : `${r.quantizedBy === 'qint8' ? 'qint8' : 'onnxruntime'} ${r.model}`;
    lines.push(`| ${name} | ${r.quantizedBy} | ${r.engine === 'qint8' ? '**qint8**' : r.engine === 'onnxruntime' ? 'onnxruntime-node' : r.engine} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function writeDocs(results, meta, tgs) {
  const file = path.join(D.ROOT, 'docs', 'ACCURACY.md');
  const begin = '<!-- accuracy:begin (written by scripts/accuracy.js) -->';
  const end = '<!-- accuracy:end -->';
  const parts = [begin, '', `Run ${meta.date} on ${meta.cpu} (${meta.cores} cores, load average at start ${meta.loadavg.map((x) => x.toFixed(1)).join(' / ')}), ${meta.threads} threads per engine; qint8 ${meta.commit} (ISA ${meta.isa}), onnxruntime-node ${meta.onnxruntimeNode}, peers made by onnxruntime ${meta.peers?.onnxruntime ?? '?'} (Python); Node ${meta.node}.`, ''];
  for (const res of results) {
    parts.push(`### ${res.title}: ${res.samples} ${res.kind === 'fashion' ? 'test images' : res.kind === 'cls' ? 'images (evaluation lines, upright and turned)' : 'upright evaluation lines'}`, '', table(res), '');
  }
  parts.push('### Targets', '', '| target | measured | met |', '|---|---|---|');
  for (const t of tgs) parts.push(`| ${t.target} | ${t.value} | ${t.met ? 'yes' : '**no**'} |`);
  parts.push('', end);
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `# Accuracy on real data\n\n${begin}\n${end}\n`;
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < 0) doc += `\n${parts.join('\n')}\n`;
  else doc = doc.slice(0, i) + parts.join('\n') + doc.slice(j + end.length);
  fs.writeFileSync(file, doc);
  return file;
}

async function main() {
  q.configure({ threads: THREADS });
  const info = q.cpuInfo();
  let commit = '?';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: D.ROOT }).toString().trim();
  } catch {}
  let peers = null;
  try {
    peers = JSON.parse(fs.readFileSync(path.join(D.PEERS, 'settings.json'), 'utf8'));
  } catch {}
  const meta = {
    date: new Date().toISOString(),
    cpu: info.brand,
    cores: os.availableParallelism(),
    loadavg: os.loadavg(),
    threads: THREADS,
    isa: info.bestIsa,
    commit,
    node: process.version,
    onnxruntimeNode: require('onnxruntime-node/package.json').version,
    peers: peers && { onnxruntime: peers.onnxruntime, onnx: peers.onnx, settings: peers.models },
    lines: (() => {
      try {
        const m = D.ocrLines().manifest;
        return { generator: m.generator, seed: m.seed, pillow: m.pillow, freetype: m.freetype, counts: m.counts, fonts: m.fonts };
      } catch {
        return null;
      }
    })(),
    limit: Number.isFinite(LIMIT) ? LIMIT : null,
  };
  const results = [];
  for (const kind of MODEL_KINDS) results.push(await runModel(kind));
  const tgs = targets(results);
  for (const t of tgs) console.log(`${t.met ? 'MET    ' : 'NOT MET'}  ${t.target}: ${t.value}`);
  if (Number.isFinite(LIMIT) || flag('no-docs')) {
    console.log('(--limit / --no-docs: results not written)');
    return;
  }
  const outFile = path.join(D.ROOT, 'bench', 'results', 'accuracy.json');
  let prev = {};
  try {
    prev = JSON.parse(fs.readFileSync(outFile, 'utf8'));
  } catch {}
  // Models not run this time keep their previous results.
  const merged = [...(prev.models ?? []).filter((m) => !MODEL_KINDS.includes(m.kind)), ...results];
  const order = ['fashion', 'cls', 'rec'];
  merged.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  const all = { meta, models: merged, targets: targets(merged) };
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify(all, null, 1) + '\n');
  console.log(`wrote ${outFile} and ${writeDocs(merged, meta, all.targets)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
