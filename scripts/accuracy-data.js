// Data of the accuracy runs (scripts/accuracy.js) and the model benches (bench/models-int8.js):
// the Fashion-MNIST test set and calibration subset, the rendered OCR text lines with PaddleOCR's
// preprocessing (scripts/render_text_lines.py did the resizing; here only the normalisation and
// padding, in float32 exactly as numpy does them), CTC greedy decoding and edit distances.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const ROOT = path.join(__dirname, '..');
const ASSETS = path.join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'models');
const CACHE = path.join(ROOT, 'models-cache');
const LINES = path.join(CACHE, 'ocr-lines');
const PEERS = path.join(CACHE, 'peers');
const FASHION_DIR = process.env.FASHION_MNIST_DIR || '/usr/share/datasets/fashion-mnist';

const MODELS = {
  fashion: { file: path.join(FIXTURES, 'fashion_mnist_cnn.onnx'), input: 'image' },
  cls: { file: path.join(ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), input: 'x' },
  rec: { file: path.join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx'), input: 'x' },
  det: { file: path.join(ASSETS, 'ch_PP-OCRv4_det_infer.onnx'), input: 'x' },
};

function need(file, how) {
  if (!fs.existsSync(file)) throw new Error(`missing ${path.relative(ROOT, file)}: ${how}`);
  return file;
}

function readIdx(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(need(file, 'apt-get install dataset-fashion-mnist (or set FASHION_MNIST_DIR)')));
  const ndim = buf[3];
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * ndim, dims.reduce((a, b) => a * b, 1)) };
}

/** pixel / 255 in float32 (what the model was trained and exported with). */
function toUnit(u8) {
  const f = new Float32Array(u8.length);
  for (let i = 0; i < u8.length; i++) f[i] = Math.fround(u8[i] / 255);
  return f;
}

/** The 10,000 official test images (float32 [n, 1, 28, 28], pixel / 255) and labels. */
function fashionTest() {
  const img = readIdx(path.join(FASHION_DIR, 't10k-images-idx3-ubyte.gz'));
  const lab = readIdx(path.join(FASHION_DIR, 't10k-labels-idx1-ubyte.gz'));
  return { count: img.dims[0], images: toUnit(img.data), labels: lab.data };
}

/** The 200 calibration images of test/fixtures/models/fashion_mnist_calib.bin, one sample each. */
function fashionCalib() {
  const raw = fs.readFileSync(path.join(FIXTURES, 'fashion_mnist_calib.bin'));
  const x = toUnit(new Uint8Array(raw.buffer, raw.byteOffset, 200 * 784));
  return Array.from({ length: 200 }, (_, i) => ({ data: x.subarray(i * 784, (i + 1) * 784), dims: [1, 1, 28, 28] }));
}

let linesCache = null;
/** The manifest and pixel files written by scripts/render_text_lines.py. */
function ocrLines() {
  if (!linesCache) {
    const how = 'run python3 scripts/render_text_lines.py first';
    const manifest = JSON.parse(fs.readFileSync(need(path.join(LINES, 'lines.json'), how), 'utf8'));
    linesCache = {
      manifest,
      images: manifest.images,
      cls: fs.readFileSync(need(path.join(LINES, 'cls.bin'), how)),
      rec: fs.readFileSync(need(path.join(LINES, 'rec.bin'), how)),
    };
  }
  return linesCache;
}

/**
 * PaddleOCR's normalisation of a resized BGR uint8 [48, w, 3] image: channel-first,
 * (x / 255 - 0.5) / 0.5 in float32 (numpy's order: divide, subtract, divide), 0 on the right up
 * to padTo. Writes into out (Float32Array of 3 * 48 * padTo) at offset.
 */
function normalize(buf, offset, w, padTo, out = new Float32Array(3 * 48 * padTo), at = 0) {
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 48; y++) {
      const row = at + (c * 48 + y) * padTo;
      for (let x = 0; x < w; x++) {
        const v = Math.fround(buf[offset + (y * w + x) * 3 + c] / 255);
        out[row + x] = Math.fround(Math.fround(v - 0.5) / 0.5);
      }
      out.fill(0, row + w, row + padTo);
    }
  return out;
}

/** Classifier inputs [n, 3, 48, 192] for the given manifest entries. */
function clsBatch(entries) {
  const { cls } = ocrLines();
  const out = new Float32Array(entries.length * 3 * 48 * 192);
  entries.forEach((e, i) => normalize(cls, e.cls.offset, e.cls.width, 192, out, i * 3 * 48 * 192));
  return { data: out, dims: [entries.length, 3, 48, 192] };
}

/** Recognizer input [1, 3, 48, padTo] of one upright line. */
function recInput(e) {
  const { rec } = ocrLines();
  return { data: normalize(rec, e.rec.offset, e.rec.width, e.rec.padTo), dims: [1, 3, 48, e.rec.padTo] };
}

let keysCache = null;
/** Class i (1-based; 0 is CTC's blank) -> character: ppocr_keys_v1.txt, then ' ' (use_space_char). */
function recKeys() {
  if (!keysCache) keysCache = [...fs.readFileSync(path.join(ASSETS, 'ppocr_keys_v1.txt'), 'utf8').split('\n'), ' '];
  return keysCache;
}

/** CTC greedy decoding of one [T, C] probability slice: argmax per step, repeats merged, blanks dropped. */
function ctcDecode(probs, T, C, offset = 0) {
  const keys = recKeys();
  if (C !== keys.length + 1) throw new Error(`recognizer has ${C} classes, the dictionary ${keys.length} + blank`);
  let s = '';
  let prev = -1;
  for (let t = 0; t < T; t++) {
    let best = 0;
    let bv = -Infinity;
    const base = offset + t * C;
    for (let c = 0; c < C; c++) if (probs[base + c] > bv) (bv = probs[base + c]), (best = c);
    if (best !== 0 && best !== prev) s += keys[best - 1];
    prev = best;
  }
  return s;
}

/** Levenshtein distance over code points. */
function editDistance(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length];
}

const noSpaces = (s) => s.replace(/\s+/g, '');

function argmaxRows(data, rows, cols) {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (data[r * cols + c] > data[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}

module.exports = {
  ROOT, ASSETS, FIXTURES, CACHE, LINES, PEERS, MODELS,
  fashionTest, fashionCalib, ocrLines, normalize, clsBatch, recInput, recKeys, ctcDecode, editDistance, noSpaces, argmaxRows,
};
