// Conv bench: qint8's int8 Conv2d (NHWC) on every ISA vs onnxruntime-node's QLinearConv on the
// issue's layer shapes, 1 and 2 threads, next to the int8 peak measured in the same run.
// onnxruntime is measured three ways: a single standard (NCHW) QLinearConv (its NHWC transposes
// at the model's edges included), (4 chained convs - 1 conv) / 3 for square layers (edges
// excluded), and its NHWC kernel directly (com.microsoft QLinearConv, channels_last=1); vsOrt is
// taken against the fastest of them. Rows in bench/results/conv.json use gemm.json's fields
// with m = output pixels, n = output channels, k = kernel volume per output (cin/groups*kh*kw);
// ConvTranspose rows use the GEMM view instead: m = input pixels, n = kh*kw*cout, k = cin.
// onnxruntime-node has no int8 ConvTranspose kernel (com.microsoft QLinearConvTranspose is not
// registered on its CPU EP), so transposed layers are compared with what an int8 (QDQ) model
// runs there: DequantizeLinear -> float ConvTranspose -> QuantizeLinear.
// --only <substring> keeps the layers whose name contains it; --quick runs fewer, shorter rounds.
'use strict';
const ort = require('onnxruntime-node');
const q = require('../dist');
const { buildQLinearConv, buildQdqConvTranspose } = require('./models');
const { interleave, median, medianRatio, writeResults, fmt, printTable, machineMeta } = require('./lib');

const LAYERS = [
  { name: '3x3 56x56 64->64', h: 56, w: 56, cin: 64, cout: 64, k: 3, groups: 1 },
  { name: '3x3 28x28 128->128', h: 28, w: 28, cin: 128, cout: 128, k: 3, groups: 1 },
  { name: '3x3 14x14 256->256', h: 14, w: 14, cin: 256, cout: 256, k: 3, groups: 1 },
  { name: '3x3 7x7 512->512', h: 7, w: 7, cin: 512, cout: 512, k: 3, groups: 1 },
  { name: '1x1 56x56 64->256', h: 56, w: 56, cin: 64, cout: 256, k: 1, groups: 1 },
  { name: 'dw3x3 112x112 32', h: 112, w: 112, cin: 32, cout: 32, k: 3, groups: 32 },
  // MobileNetV2 / V3 depthwise layers (input sizes; stride 2 halves the output).
  { name: 'dw3x3 s2 112x112 96', h: 112, w: 112, cin: 96, cout: 96, k: 3, groups: 96, stride: 2 },
  { name: 'dw3x3 56x56 144', h: 56, w: 56, cin: 144, cout: 144, k: 3, groups: 144 },
  { name: 'dw3x3 s2 56x56 144', h: 56, w: 56, cin: 144, cout: 144, k: 3, groups: 144, stride: 2 },
  { name: 'dw3x3 28x28 192', h: 28, w: 28, cin: 192, cout: 192, k: 3, groups: 192 },
  { name: 'dw3x3 14x14 576', h: 14, w: 14, cin: 576, cout: 576, k: 3, groups: 576 },
  { name: 'dw3x3 7x7 960', h: 7, w: 7, cin: 960, cout: 960, k: 3, groups: 960 },
  { name: 'dw5x5 28x28 120', h: 28, w: 28, cin: 120, cout: 120, k: 5, groups: 120 },
  { name: 'dw5x5 s2 14x14 672', h: 14, w: 14, cin: 672, cout: 672, k: 5, groups: 672, stride: 2 },
  // Decoder upsampling: 28x28x64 -> 56x56x32.
  { name: 'convT 2x2 s2 28x28 64->32', h: 28, w: 28, cin: 64, cout: 32, k: 2, groups: 1, stride: 2, pad: 0, transposed: true },
  { name: 'convT 4x4 s2 p1 28x28 64->32', h: 28, w: 28, cin: 64, cout: 32, k: 4, groups: 1, stride: 2, pad: 1, transposed: true },
];

function rand(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 4294967296);
}

async function main() {
  const quick = process.argv.includes('--quick');
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : null;
  const rounds = quick ? 3 : 7;
  const info = q.cpuInfo();
  const threadList = q.defaultThreads() >= 2 ? [1, 2] : [1];
  const peakIsa = info.bestIsa;
  const peaks = [];
  const rows = [];
  for (const L of LAYERS) {
    if (only && !L.name.includes(only)) continue;
    const r = rand(L.h * 31 + L.cin);
    const stride = L.stride ?? 1;
    const pad = L.pad ?? (L.k - 1) >> 1;
    const oh = L.transposed ? stride * (L.h - 1) + L.k - 2 * pad : Math.floor((L.h + 2 * pad - L.k) / stride) + 1;
    const ow = L.transposed ? stride * (L.w - 1) + L.k - 2 * pad : Math.floor((L.w + 2 * pad - L.k) / stride) + 1;
    const kvol = (L.cin / L.groups) * L.k * L.k;
    const macs = L.transposed ? L.h * L.w * L.cin * (L.cout / L.groups) * L.k * L.k : oh * ow * L.cout * kvol;
    const weight = Int8Array.from({ length: L.cout * kvol }, () => Math.floor(r() * 255) - 127);
    const weightScale = Float32Array.from({ length: L.cout }, () => 0.002 + 0.01 * r());
    const biasQ = Int32Array.from({ length: L.cout }, () => Math.floor(r() * 2000) - 1000);
    const quant = { input: { scale: 0.02, zeroPoint: 128 }, output: { scale: 0.4, zeroPoint: 100 }, weightScale, biasQ };
    const x = Uint8Array.from({ length: L.h * L.w * L.cin }, () => Math.floor(r() * 256));
    const xNchw = new Uint8Array(x.length);
    for (let y = 0; y < L.h; y++) for (let xx = 0; xx < L.w; xx++) for (let c = 0; c < L.cin; c++) xNchw[(c * L.h + y) * L.w + xx] = x[(y * L.w + xx) * L.cin + c];
    const spec = { h: L.h, w: L.w, cin: L.cin, cout: L.cout, k: L.k, groups: L.groups, pad, stride };
    const square = L.cin === L.cout && stride === 1 && !L.transposed;
    for (const threads of threadList) {
      const so = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
      const s1 = await ort.InferenceSession.create(L.transposed ? buildQdqConvTranspose(spec, weight, quant) : buildQLinearConv({ ...spec, count: 1 }, weight, quant), so);
      const sNhwc = L.transposed ? null : await ort.InferenceSession.create(buildQLinearConv({ ...spec, count: 1, channelsLast: true }, weight, quant), so);
      const s4 = square ? await ort.InferenceSession.create(buildQLinearConv({ ...spec, count: 4 }, weight, quant), so) : null;
      const feedsNchw = { x: new ort.Tensor('uint8', xNchw, [1, L.cin, L.h, L.w]) };
      const feedsNhwc = { x: new ort.Tensor('uint8', x, [1, L.h, L.w, L.cin]) };
      const batch = Math.max(1, Math.round(3e7 / macs));
      const tasks = [];
      for (const isa of info.supportedIsas) {
        if (isa === 'scalar') continue; // the reference convolution needs seconds per call here
        const packed = q.packConv2d({ weight, inChannels: L.cin, outChannels: L.cout, kernel: L.k, padding: pad, stride, transposed: L.transposed === true, groups: L.groups, weightScale, bias: biasQ, input: quant.input, output: quant.output, isa });
        const out = new Uint8Array(oh * ow * L.cout);
        tasks.push({ name: `qint8/${isa}`, batch, before: () => q.configure({ threads }), fn: () => { for (let i = 0; i < batch; i++) q.conv2d(x, [1, L.h, L.w, L.cin], packed, { out }); } });
      }
      tasks.push({ name: 'ort/single', batch, fn: async () => { for (let i = 0; i < batch; i++) await s1.run(feedsNchw); } });
      if (sNhwc) tasks.push({ name: 'ort/nhwc', batch, fn: async () => { for (let i = 0; i < batch; i++) await sNhwc.run(feedsNhwc); } });
      if (s4) tasks.push({ name: 'ort/chain4', batch, fn: async () => { for (let i = 0; i < batch; i++) await s4.run(feedsNchw); } });
      peaks.push(q.measurePeakGops(peakIsa, 30));
      const res = await interleave(tasks, { rounds, timeMs: quick ? 80 : 200 });
      peaks.push(q.measurePeakGops(peakIsa, 30));
      const peak = median(peaks);
      // onnxruntime per-round times: single, NHWC, and the chain estimate; its best per round.
      const single = res.get('ort/single').perRoundMs;
      const nhwc = sNhwc ? res.get('ort/nhwc').perRoundMs : single.map(() => Infinity);
      const chain = s4 ? res.get('ort/chain4').perRoundMs.map((t4, i) => (t4 - single[i]) / 3) : null;
      const best = single.map((t, i) => Math.min(t, nhwc[i], chain ? chain[i] : Infinity));
      const row = (impl, isa, perRound, vsOrt) => {
        const ms = median(perRound);
        const gops = (2 * macs) / (ms * 1e6);
        const dims = L.transposed ? { m: L.h * L.w, n: L.k * L.k * L.cout, k: L.cin } : { m: oh * ow, n: L.cout, k: kvol };
        rows.push({ name: `conv ${L.name}`, ...dims, threads, impl, isa, medianMs: ms, gops, peakFraction: gops / (peak * threads), vsOrt });
      };
      for (const t of tasks.filter((t) => t.name.startsWith('qint8/'))) {
        const pr = res.get(t.name).perRoundMs;
        row('qint8', t.name.split('/')[1], pr, medianRatio(best, pr));
      }
      row('onnxruntime', L.transposed ? 'QDQ: float ConvTranspose (NCHW model)' : 'mlas single (NCHW model)', single, null);
      if (sNhwc) row('onnxruntime', 'mlas NHWC (channels_last)', nhwc, null);
      if (chain) row('onnxruntime', 'mlas (4 chained - 1) / 3', chain, null);
      await Promise.all([s1, sNhwc, s4].filter(Boolean).map((s) => s.release()));
    }
  }
  const file = writeResults('conv', rows, { ...machineMeta(q), peakIsa, peakGopsPerCore: median(peaks), peakSamples: peaks, rounds });
  console.log(`int8 peak (${peakIsa} dot-product loop, 1 core, median of ${peaks.length}): ${fmt(median(peaks))} GOPS`);
  printTable(rows, [
    { title: 'layer', get: (r) => r.name },
    { title: 'thr', get: (r) => String(r.threads) },
    { title: 'impl', get: (r) => r.impl },
    { title: 'isa', get: (r) => r.isa },
    { title: 'median', get: (r) => `${fmt(r.medianMs * 1000, 1)} us` },
    { title: 'GOPS', get: (r) => fmt(r.gops) },
    { title: 'peak%', get: (r) => fmt(r.peakFraction * 100, 0) },
    { title: 'vs best ort', get: (r) => (r.vsOrt === null ? '-' : `${fmt(r.vsOrt, 2)}x`) },
  ]);
  console.log(`wrote ${file}`);
}

module.exports = main;
if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
