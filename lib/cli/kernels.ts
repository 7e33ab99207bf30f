// `qint8 kernels`: what the CPU supports, which kernel runs, and GEMM throughput against the int8
// peak of this machine measured in the same run.
import { configure, cpuInfo, defaultThreads, linear, measurePeakGops, packLinear } from '../index';
import type { IsaName } from '../runtime';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median seconds per call of fn over `reps` timed batches of about 20 ms. */
function time(fn: () => void, reps = 9): number {
  fn();
  let batch = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (dt > 0.02 || batch > 1 << 20) break;
    batch *= 2;
  }
  const xs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e9 / batch);
  }
  return median(xs);
}

export function kernelsReport(log: (s: string) => void = console.log): void {
  const info = cpuInfo();
  const feats = Object.entries(info.features)
    .filter(([, v]) => v)
    .map(([k]) => k);
  log(`CPU: ${info.brand || info.arch} (${info.arch}), ${defaultThreads()} threads available`);
  log(`features: ${feats.join(' ') || '(none detected)'}`);
  log(`kernel tiers supported: ${info.supportedIsas.join(', ')}; chosen: ${info.activeIsa}${process.env.QINT8_ISA ? ' (QINT8_ISA)' : ' (best available)'}`);

  const peakIsa = info.bestIsa;
  const peak = measurePeakGops(peakIsa, 50);
  log(`int8 peak, 1 core (${peakIsa} dot-product loop, measured now): ${peak.toFixed(0)} GOPS`);
  log('');
  const m = 128, n = 768, k = 768;
  const w = Int8Array.from({ length: n * k }, (_, i) => ((i * 7919) % 255) - 127);
  const x = Uint8Array.from({ length: m * k }, (_, i) => (i * 31) % 256);
  const cfg = { weight: w, n, k, weightScale: 0.01, input: { scale: 0.02, zeroPoint: 128 }, output: { scale: 0.5, zeroPoint: 128 } };
  const out = new Uint8Array(m * n);
  const threadsList = [...new Set([1, defaultThreads()])];
  log(`u8 x s8 GEMM ${m}x${n}x${k} (M x N x K), requantized u8 output:`);
  const tiers = info.supportedIsas.filter((i) => i !== 'scalar') as IsaName[];
  for (const isa of tiers.length ? tiers : (['scalar'] as IsaName[])) {
    const packed = packLinear({ ...cfg, isa });
    for (const threads of threadsList) {
      configure({ threads });
      const s = time(() => linear(x, m, packed, { out }));
      const gops = (2 * m * n * k) / s / 1e9;
      log(
        `  ${isa.padEnd(11)} ${String(threads).padStart(2)} thread${threads > 1 ? 's' : ' '}  ${(s * 1e6).toFixed(0).padStart(6)} us  ` +
          `${gops.toFixed(0).padStart(5)} GOPS  ${((100 * gops) / (peak * threads)).toFixed(0).padStart(3)}% of peak`,
      );
    }
    packed.release();
  }
  configure({ threads: 1 });
  const l1 = packLinear({ ...cfg, isa: info.activeIsa });
  const x1 = x.subarray(0, k);
  const o1 = new Uint8Array(n);
  const s1 = time(() => linear(x1, 1, l1, { out: o1 }));
  log(`  one row (1x${n}x${k}) through the sync JS call on ${info.activeIsa}: ${(s1 * 1e6).toFixed(1)} us`);
  configure({ threads: defaultThreads() });
  log('');
  log('Full comparison with onnxruntime-node: npm run bench (in a checkout of the repository)');
}
