// Latency measurement for `qint8 bench` and the demo. The machine may be shared and noisy, so
// the implementations being compared alternate inside one process (as bench/lib.js does): each
// round gives every runner one time slice (order reversed on odd rounds) after a short pause
// (onnxruntime's worker threads settle), and records every call's latency. Figures are medians
// (and 90th percentiles) over all calls; ratios are taken per round and their median reported.

export interface Runner {
  name: string;
  /** One call (which may process a batch). */
  fn: () => Promise<unknown> | unknown;
  /** Items per call (batch size), for items per second. */
  items?: number;
}

export interface Timing {
  name: string;
  /** Per-call latency in ms: median and 90th percentile over every timed call. */
  medianMs: number;
  p90Ms: number;
  /** Items per second over the timed calls (items per call / mean latency). */
  itemsPerSecond: number;
  calls: number;
  /** Median latency of each round (for same-round ratios). */
  perRoundMs: number[];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (xs: readonly number[]) => quantile(xs, 0.5);

/**
 * Times `runners` alternately for about `seconds` in total: `rounds` rounds, each runner one slice
 * per round (at least `minCalls` calls). Each runner is called once first, untimed (warm-up:
 * plans, caches).
 */
export async function interleave(runners: readonly Runner[], opts: { seconds: number; rounds?: number; settleMs?: number; minCalls?: number }): Promise<Timing[]> {
  const rounds = opts.rounds ?? 5;
  const settle = opts.settleMs ?? 20;
  const minCalls = opts.minCalls ?? 2;
  const sliceMs = Math.max(1, (opts.seconds * 1000) / (rounds * runners.length) - settle);
  for (const r of runners) await r.fn();
  const all = runners.map(() => [] as number[]);
  const perRound = runners.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    const order = runners.map((_, i) => i);
    if (round % 2) order.reverse();
    for (const i of order) {
      await sleep(settle);
      const lat: number[] = [];
      const start = process.hrtime.bigint();
      for (;;) {
        const t0 = process.hrtime.bigint();
        await runners[i].fn();
        const t1 = process.hrtime.bigint();
        lat.push(Number(t1 - t0) / 1e6);
        if (lat.length >= minCalls && Number(t1 - start) / 1e6 >= sliceMs) break;
      }
      all[i].push(...lat);
      perRound[i].push(median(lat));
    }
  }
  return runners.map((r, i) => {
    const mean = all[i].reduce((a, b) => a + b, 0) / all[i].length;
    return { name: r.name, medianMs: median(all[i]), p90Ms: quantile(all[i], 0.9), itemsPerSecond: ((r.items ?? 1) * 1000) / mean, calls: all[i].length, perRoundMs: perRound[i] };
  });
}

/** Median over rounds of a / b (per-round medians of two runners timed in the same rounds). */
export function medianRatio(a: Timing, b: Timing): number {
  return median(a.perRoundMs.map((x, i) => x / b.perRoundMs[i]));
}
