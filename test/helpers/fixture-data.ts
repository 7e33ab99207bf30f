// The deterministic data of scripts/gen_observer_fixtures.py, regenerated in TypeScript: a
// xorshift32 generator and distributions built from +, -, *, / and sqrt (IEEE double, the same
// in Python and JavaScript), each value rounded once to float32.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface BatchSpec {
  dist: 'uniform' | 'gauss' | 'relu' | 'pareto' | 'const';
  n?: number;
  shape?: number[];
  seed?: number;
  p?: Record<string, number>;
  outliers?: [number, number][];
  zero?: [number, number][];
}

const SQRT3 = Math.sqrt(3);

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    this.s = x;
    return x;
  }
  u(): number {
    return (this.next() >>> 8) / 16777216;
  }
}

export function generate(spec: BatchSpec): { data: Float32Array; dims: number[] } {
  const dims = spec.shape ?? [spec.n ?? 1];
  const n = dims.reduce((a, b) => a * b, 1);
  const r = new Rng(spec.seed ?? 1);
  const p = spec.p ?? {};
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    switch (spec.dist) {
      case 'uniform':
        v = p.lo + (p.hi - p.lo) * r.u();
        break;
      case 'gauss':
      case 'relu': {
        const s = r.u() + r.u() + r.u() + r.u();
        v = p.mu + p.sigma * ((s - 2.0) * SQRT3);
        if (spec.dist === 'relu' && v < 0) v = 0;
        break;
      }
      case 'pareto':
        v = p.scale * (1.0 / (1.0 - 0.999 * r.u()) - 1.0) + p.shift;
        break;
      case 'const':
        v = p.value;
        break;
      default:
        throw new Error(`unknown distribution ${String(spec.dist)}`);
    }
    out[i] = v;
  }
  for (const [i, v] of spec.outliers ?? []) out[i] = v;
  for (const [axis, idx] of spec.zero ?? []) {
    const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
    for (let o = 0; o < outer; o++) out.fill(0, (o * dims[axis] + idx) * inner, (o * dims[axis] + idx + 1) * inner);
  }
  return { data: out, dims };
}

/** Exact checksums of a float32 array's bit patterns (mirrors bits_digest in the generator). */
export function bitsDigest(x: Float32Array): [number, number] {
  const b = new Uint32Array(x.buffer, x.byteOffset, x.length);
  let s = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    s += b[i];
    m += (b[i] % 65521) * (i % 65521);
  }
  return [s, m];
}

/** Checksums of a histogram: sum and sum of index * count (exact for these counts). */
export function digest(x: ArrayLike<number>): [number, number] {
  let s = 0;
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i];
    m += x[i] * i;
  }
  return [s, m];
}

export interface Fixture {
  meta: Record<string, string>;
  data: Record<string, BatchSpec[]>;
  dataDigest: Record<string, [number, number][]>;
  pytorch: {
    observer: string;
    args: Record<string, unknown>;
    data: string | null;
    state?: { min: number[]; max: number[]; histogram?: [number, number] };
    search?: [number, number];
    scale: number[];
    zeroPoint: number[];
  }[];
  presets: {
    backend: string;
    activationData?: string;
    weightData: string;
    activation: Record<string, unknown> & { scale?: number[]; zeroPoint?: number[] };
    weight: Record<string, unknown> & { scale: number[]; zeroPoint: number[] };
  }[];
  onnxruntime: {
    calibrator: 'minmax' | 'entropy' | 'percentile';
    args: Record<string, unknown>;
    data: string;
    perBatch: boolean;
    range: [number, number];
    qparams: Record<string, { scale: number; zeroPoint: number }>;
    histogram?: { bins: number; counts: [number, number]; edges: [number, number] };
  }[];
}

export function loadFixture(): Fixture {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'observers.json'), 'utf8')) as Fixture;
}

export function batches(f: Fixture, name: string): { data: Float32Array; dims: number[] }[] {
  return f.data[name].map(generate);
}

/** Distance in float32 ulps between two float32 values of the same sign. */
export function ulps(a: number, b: number): number {
  const fa = new Float32Array([a, b]);
  const ia = new Int32Array(fa.buffer);
  return Math.abs(ia[0] - ia[1]);
}
