// Conv bench: qint8's int8 Conv2d (NHWC) on every ISA vs onnxruntime-node's QLinearConv on the
// issue's layer shapes, 1 and 2 threads, next to the int8 peak measured in the same run.
// onnxruntime is measured three ways: a single standard (NCHW) QLinearConv (its NHWC transposes
// at the model's edges included), (4 chained convs - 1 conv) / 3 for square layers (edges
// excluded), and its NHWC kernel directly (com.microsoft QLinearConv, channels_last=1); vsOrt is
// taken against the fastest of them. Rows in bench/results/conv.json use gemm.json's fields
// with m = output pixels, n = output channels, k = kernel volume per output (cin/groups*kh*kw).
'use strict';
const ort = require('onnxruntime-node');
const q = require('../dist');
const { buildQLinearConv } = require('./models');
const { interleave, median, medianRatio, writeResults, fmt, printTable, machineMeta } = require('./lib');

const LAYERS = [
  { name: '3x3 56x56 64->64', h: 56, w: 56, cin: 64, cout: 64, k: 3, groups: 1 },
  { name: '3x3 28x28 128->128', h: 28, w: 28, cin: 128, cout: 128, k: 3, groups: 1 },
  { name: '3x3 14x14 256->256', h: 14, w: 14, cin: 256, cout: 256, k: 3, groups: 1 },
  { name: '3x3 7x7 512->512', h: 7, w: 7, cin: 512, cout: 512, k: 3, groups: 1 },
  { name: '1x1 56x56 64->256', h: 56, w: 56, cin: 64, cout: 256, k: 1, groups: 1 },
  { name: 'dw3x3 112x112 32', h: 112, w: 112, cin: 32, cout: 32, k: 3, groups: 32 },
];

function rand(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 4294967296);
}

async function main() {
  const quick = process.argv.includes('--quick');
  const rounds = quick ? 3 : 7;
  const info = q.cpuInfo();
  const threadList = q.defaultThreads() >= 2 ? [1, 2] : [1];
  const peakIsa = info.bestIsa;
  const peaks = [];
  const rows = [];
  for (const L of LAYERS) {
    const r = rand(L.h * 31 + L.cin);
    const pad = (L.k - 1) >> 1;
    const oh = L.h, ow = L.w; // stride 1, "same" padding
    const kvol = (L.cin / L.groups) * L.k * L.k;
    const macs = oh * ow * L.cout * kvol;
    const weight = Int8Array.from({ length: L.cout * kvol }, () => Math.floor(r() * 255) - 127);
    const weightScale = Float32Array.from({ length: L.cout }, () => 0.002 + 0.01 * r());
    const biasQ = Int32Array.from({ length: L.cout }, () => Math.floor(r() * 2000) - 1000);
    const quant = { input: { scale: 0.02, zeroPoint: 128 }, output: { scale: 0.4, zeroPoint: 100 }, weightScale, biasQ };
    const x = Uint8Array.from({ length: L.h * L.w * L.cin }, () => Math.floor(r() * 256));
    const xNchw = new Uint8Array(x.length);
    for (let y = 0; y < L.h; y++) for (let xx = 0; xx < L.w; xx++) for (let c = 0; c < L.cin; c++) xNchw[(c * L.h + y) * L.w + xx] = x[(y * L.w + xx) * L.cin + c];
    const spec = { h: L.h, w: L.w, cin: L.cin, cout: L.cout, k: L.k, groups: L.groups, pad, stride: 1 };
    const square = L.cin === L.cout;
    for (const threads of threadList) {
      const so = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
      const s1 = await ort.InferenceSession.create(buildQLinearConv({ ...spec, count: 1 }, weight, quant), so);
      const sNhwc = await ort.InferenceSession.create(buildQLinearConv({ ...spec, count: 1, channelsLast: true }, weight, quant), so);
      const s4 = square ? await ort.InferenceSession.create(buildQLinearConv({ ...spec, count: 4 }, weight, quant), so) : null;
      const feedsNchw = { x: new ort.Tensor('uint8', xNchw, [1, L.cin, L.h, L.w]) };
      const feedsNhwc = { x: new ort.Tensor('uint8', x, [1, L.h, L.w, L.cin]) };
      const batch = Math.max(1, Math.round(3e7 / macs));
      const tasks = [];
      for (const isa of info.supportedIsas) {
        if (isa === 'scalar') continue; // the reference convolution needs seconds per call here
        const packed = q.packConv2d({ weight, inChannels: L.cin, outChannels: L.cout, kernel: L.k, padding: pad, groups: L.groups, weightScale, bias: biasQ, input: quant.input, output: quant.output, isa });
        const out = new Uint8Array(oh * ow * L.cout);
        tasks.push({ name: `qint8/${isa}`, batch, before: () => q.configure({ threads }), fn: () => { for (let i = 0; i < batch; i++) q.conv2d(x, [1, L.h, L.w, L.cin], packed, { out }); } });
      }
      tasks.push({ name: 'ort/single', batch, fn: async () => { for (let i = 0; i < batch; i++) await s1.run(feedsNchw); } });
      tasks.push({ name: 'ort/nhwc', batch, fn: async () => { for (let i = 0; i < batch; i++) await sNhwc.run(feedsNhwc); } });
      if (s4) tasks.push({ name: 'ort/chain4', batch, fn: async () => { for (let i = 0; i < batch; i++) await s4.run(feedsNchw); } });
      peaks.push(q.measurePeakGops(peakIsa, 30));
      const res = await interleave(tasks, { rounds, timeMs: quick ? 80 : 200 });
      peaks.push(q.measurePeakGops(peakIsa, 30));
      const peak = median(peaks);
      // onnxruntime per-round times: single, NHWC, and the chain estimate; its best per round.
      const single = res.get('ort/single').perRoundMs;
      const nhwc = res.get('ort/nhwc').perRoundMs;
      const chain = s4 ? res.get('ort/chain4').perRoundMs.map((t4, i) => (t4 - single[i]) / 3) : null;
      const best = single.map((t, i) => Math.min(t, nhwc[i], chain ? chain[i] : Infinity));
      const row = (impl, isa, perRound, vsOrt) => {
        const ms = median(perRound);
        const gops = (2 * macs) / (ms * 1e6);
        rows.push({ name: `conv ${L.name}`, m: oh * ow, n: L.cout, k: kvol, threads, impl, isa, medianMs: ms, gops, peakFraction: gops / (peak * threads), vsOrt });
      };
      for (const t of tasks.filter((t) => t.name.startsWith('qint8/'))) {
        const pr = res.get(t.name).perRoundMs;
        row('qint8', t.name.split('/')[1], pr, medianRatio(best, pr));
      }
      row('onnxruntime', 'mlas single (NCHW model)', single, null);
      row('onnxruntime', 'mlas NHWC (channels_last)', nhwc, null);
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
