// QOperator models (test/fixtures/models/*.qop.onnx, *.dyn.onnx: written by onnxruntime's
// quantization tool, scripts/make_qoperator_models.py) on qint8's InferenceSession against
// onnxruntime-node on the same file, and onnxruntime on the float model they came from.
// Interleaved rounds, same-run ratios (bench/lib.js). Needs the float engine's ops (the models
// contain Flatten, transposes, float Mul / Div / HardSigmoid ...): without them the suite says
// which op is missing and skips.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');
const q = require('../dist');
const { interleave, medianRatio, writeResults, fmt, printTable, machineMeta } = require('./lib');

const DIR = path.join(__dirname, '..', 'test', 'fixtures', 'models');
const CLS_FLOAT = path.join(__dirname, '..', 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

function fashionInput(n) {
  const raw = fs.readFileSync(path.join(DIR, 'fashion_mnist_calib.bin'));
  return { name: 'image', data: Float32Array.from(raw.subarray(100 * 784, (100 + n) * 784), (v) => v / 255), dims: [n, 1, 28, 28] };
}
function clsInput(n) {
  const x = new Float32Array(n * 3 * 48 * 192);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin((i % 192) / 7 + (Math.floor(i / 192) % 48) / 11) * 0.7;
  return { name: 'x', data: x, dims: [n, 3, 48, 192] };
}

const MODELS = [
  { name: 'fashion CNN, static QOperator (uint8)', file: 'fashion_mnist_cnn.qop.onnx', float: path.join(DIR, 'fashion_mnist_cnn.onnx'), input: fashionInput },
  { name: 'fashion CNN, dynamic', file: 'fashion_mnist_cnn.dyn.onnx', float: path.join(DIR, 'fashion_mnist_cnn.onnx'), input: fashionInput },
  { name: 'PaddleOCR cls, static QOperator', file: 'ppocr_cls.qop.onnx', float: CLS_FLOAT, input: clsInput },
];

module.exports = async function run({ quick = process.argv.includes('--quick') } = {}) {
  try {
    q.InferenceSession.createSync(path.join(DIR, MODELS[0].file)).releaseSync();
  } catch (e) {
    console.log(`qoperator: skipped (${e.message.split('\n')[0]}; the float engine's ops are needed)`);
    return;
  }
  q.configure({ threads: 2 });
  const rows = [];
  for (const m of MODELS)
    for (const batch of quick ? [1] : [1, 8])
      for (const threads of quick ? [1] : [1, 2]) {
        const inp = m.input(batch);
        const s = await q.InferenceSession.create(path.join(DIR, m.file), { intraOpNumThreads: threads });
        const o = await ort.InferenceSession.create(path.join(DIR, m.file), { intraOpNumThreads: threads, interOpNumThreads: 1 });
        const f = await ort.InferenceSession.create(m.float, { intraOpNumThreads: threads, interOpNumThreads: 1 });
        const qt = new q.Tensor('float32', inp.data, inp.dims);
        const ot = new ort.Tensor('float32', inp.data, inp.dims);
        const res = await interleave(
          [
            { name: 'qint8', fn: () => s.runSync({ [inp.name]: qt }) },
            { name: 'ort int8', fn: () => o.run({ [inp.name]: ot }) },
            { name: 'ort fp32', fn: () => f.run({ [inp.name]: ot }) },
          ],
          { rounds: quick ? 3 : 7, timeMs: quick ? 80 : 150 },
        );
        const a = res.get('qint8'), b = res.get('ort int8'), c = res.get('ort fp32');
        rows.push({
          model: m.name, batch, threads,
          qint8Ms: a.medianMs, ortInt8Ms: b.medianMs, ortFp32Ms: c.medianMs,
          vsOrtInt8: medianRatio(b.perRoundMs, a.perRoundMs), vsOrtFp32: medianRatio(c.perRoundMs, a.perRoundMs),
        });
        s.releaseSync();
        await o.release();
        await f.release();
      }
  printTable(rows, [
    { title: 'model', get: (r) => r.model },
    { title: 'batch', get: (r) => String(r.batch) },
    { title: 'threads', get: (r) => String(r.threads) },
    { title: 'qint8 ms', get: (r) => fmt(r.qint8Ms, 3) },
    { title: 'ort int8 ms', get: (r) => fmt(r.ortInt8Ms, 3) },
    { title: 'ort fp32 ms', get: (r) => fmt(r.ortFp32Ms, 3) },
    { title: 'x ort int8', get: (r) => fmt(r.vsOrtInt8, 2) },
    { title: 'x ort fp32', get: (r) => fmt(r.vsOrtFp32, 2) },
  ]);
  if (!quick) console.log(`wrote ${writeResults('qoperator', rows, machineMeta(q))}`);
};

if (require.main === module) module.exports().catch((e) => {
  console.error(e);
  process.exit(1);
});
