// Shared bench machinery: interleaved rounds on tinybench, medians and same-run ratios.
//
// The machine is shared and noisy, so every suite alternates the implementations it compares
// inside one process: each round runs every task once (order reversed on odd rounds), with a
// pause before each task so that onnxruntime's spinning worker threads settle and stop stealing
// a core from whatever is timed next. Reported figures are medians over rounds; ratios are taken
// per round (same conditions) and then their median.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Bench } = require('tinybench');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * tasks: [{ name, fn, batch = 1, before? }] — fn runs `batch` calls (sync or async); before() runs
 * (awaited) ahead of the task in every round (e.g. to set thread counts).
 * Returns Map name -> { perRoundMs: number[], medianMs } (milliseconds per single call).
 */
async function interleave(tasks, { rounds = 7, timeMs = 150, settleMs = 60, iterations = 5 } = {}) {
  const per = new Map(tasks.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...tasks].reverse() : tasks;
    for (const t of order) {
      if (t.before) await t.before();
      await sleep(settleMs);
      const bench = new Bench({ time: timeMs, warmup: true, warmupTime: Math.min(50, timeMs / 3), iterations });
      bench.add(t.name, t.fn);
      await bench.run();
      const res = bench.tasks[0].result;
      if (!res || res.state === 'errored' || res.error) throw res?.error ?? new Error(`task ${t.name} failed`);
      per.get(t.name).push(res.latency.p50 / (t.batch ?? 1));
    }
  }
  const out = new Map();
  for (const [name, xs] of per) out.set(name, { perRoundMs: xs, medianMs: median(xs) });
  return out;
}

/** Median over rounds of a / b, both per-round series of equal length. */
function medianRatio(a, b) {
  return median(a.map((x, i) => x / b[i]));
}

function writeResults(name, rows, meta) {
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ meta, rows }, null, 1) + '\n');
  return file;
}

function fmt(v, digits = 1) {
  if (v === null || v === undefined || Number.isNaN(v)) return '-';
  return typeof v === 'number' ? v.toFixed(digits) : String(v);
}

function printTable(rows, cols) {
  const widths = cols.map((c) => Math.max(c.title.length, ...rows.map((r) => c.get(r).length)));
  const line = (cells) => cells.map((s, i) => s.padStart(widths[i])).join('  ');
  console.log(line(cols.map((c) => c.title)));
  for (const r of rows) console.log(line(cols.map((c) => c.get(r))));
}

// Host steal time (the share of this VM's CPU time taken by other guests: on a shared host the
// figures of a run with high steal are not comparable with a quiet run's), from /proc/stat since
// this module was loaded. null where /proc/stat is missing.
function cpuTimes() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { steal: f[7] ?? 0, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}
const cpuAtStart = cpuTimes();

function stealPercent() {
  const now = cpuTimes();
  if (!cpuAtStart || !now || now.total === cpuAtStart.total) return null;
  return Math.round((1000 * (now.steal - cpuAtStart.steal)) / (now.total - cpuAtStart.total)) / 10;
}

function machineMeta(q) {
  const info = q.cpuInfo();
  const os = require('node:os');
  const steal = stealPercent();
  if (steal !== null) console.log(`host steal time during this run: ${steal}% of the VM's CPU time; load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  return { date: new Date().toISOString(), node: process.version, cpu: info.brand, arch: info.arch, isas: info.supportedIsas, cores: os.availableParallelism(), loadavg: os.loadavg(), stealPercent: steal };
}

module.exports = { interleave, median, medianRatio, writeResults, fmt, printTable, sleep, machineMeta };
