// Loads the native addon: a prebuild for this platform (prebuilds/<platform>-<arch>/, made by
// `npm run prebuild`) first, then a local build (build/Release, build/Debug), then whatever
// node-gyp-build finds (it also honours QINT8_PREBUILD=<dir>). A failure throws one error that
// lists every path tried and how to fix it.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type NativeDType = 0 | 1 | 2 | 3; // uint8, int8, float32, int32 (native/include/qint8/linear.h)

export interface NativeCpuInfo {
  arch: string;
  vendor: string;
  brand: string;
  features: Record<string, boolean>;
  supportedIsas: string[];
  bestIsa: string;
  activeIsa: string;
  isaEnvError: string;
  threads: number;
}

export interface NativePackedLinear {
  release(): void;
  readonly released: boolean;
  readonly n: number;
  readonly k: number;
  readonly isa: string | null;
  readonly packedBytes: number;
  readonly inputType: string | null;
  readonly outputType: string | null;
}

export interface NativePackedConv2d {
  release(): void;
  readonly released: boolean;
  readonly algorithm: string | null;
  readonly packedBytes: number;
  readonly isa: string | null;
}

type QArray = Uint8Array | Int8Array;
type OutArray = Uint8Array | Int8Array | Float32Array | Int32Array;

export interface NativeBinding {
  cpuInfo(): NativeCpuInfo;
  setIsa(isa: string): string;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setSpinMicros(us: number): void;
  setRunnerSpinMicros(us: number): void;
  measurePeakGops(isa: string, ms: number): number;
  packLinear(
    weight: Int8Array,
    n: number,
    k: number,
    isa: string | undefined,
    weightScale: Float32Array,
    weightZeroPoint: Int32Array | null,
    bias: Float32Array | null,
    biasQ: Int32Array | null,
    inType: NativeDType,
    inScale: number,
    inZeroPoint: number,
    outType: NativeDType,
    outScale: number,
    outZeroPoint: number,
    relu: boolean,
    clipMin: number,
    clipMax: number,
  ): NativePackedLinear;
  linear<T extends OutArray>(packed: NativePackedLinear, x: QArray, m: number, out: T, inScale?: number, inZeroPoint?: number): T;
  linearAsync<T extends OutArray>(
    packed: NativePackedLinear,
    x: QArray,
    m: number,
    out: T,
    inScale?: number,
    inZeroPoint?: number,
  ): Promise<T>;
  packConv2d(
    weight: Int8Array,
    isa: string | undefined,
    geometry: Int32Array,
    weightScale: Float32Array,
    weightZeroPoint: Int32Array | null,
    bias: Float32Array | null,
    biasQ: Int32Array | null,
    inType: NativeDType,
    inScale: number,
    inZeroPoint: number,
    outType: NativeDType,
    outScale: number,
    outZeroPoint: number,
    relu: boolean,
    clipMin: number,
    clipMax: number,
  ): NativePackedConv2d;
  conv2d<T extends OutArray>(packed: NativePackedConv2d, x: QArray, n: number, h: number, w: number, out: T): T;
  conv2dAsync<T extends OutArray>(packed: NativePackedConv2d, x: QArray, n: number, h: number, w: number, out: T): Promise<T>;
  conv2dOutputShape(packed: NativePackedConv2d, n: number, h: number, w: number): [number, number];
  quantize<T extends QArray>(
    x: Float32Array,
    outer: number,
    channels: number,
    inner: number,
    scale: Float32Array,
    zeroPoint: Int32Array,
    dtype: NativeDType,
    out: T,
    isa?: string,
  ): T;
  dequantize(
    q: QArray,
    outer: number,
    channels: number,
    inner: number,
    scale: Float32Array,
    zeroPoint: Int32Array,
    dtype: NativeDType,
    out: Float32Array,
    isa?: string,
  ): Float32Array;
  // observe family (native/napi/observe.cc)
  minMax(x: Float32Array, isa?: string, absolute?: boolean): [min: number, max: number, nan: number, posInf: number, negInf: number];
  minMaxPerChannel(
    x: Float32Array,
    outer: number,
    channels: number,
    inner: number,
    mins: Float32Array,
    maxs: Float32Array,
    isa?: string,
  ): [nan: number, posInf: number, negInf: number];
  histogram(
    x: Float32Array,
    rule: 0 | 1 | 2 | 3,
    bins: number,
    lo: number,
    hi: number,
    edges: Float64Array | null,
    gridLog2: number,
    gridOffset: number,
    absolute: boolean,
    counts: Float64Array,
    isa?: string,
  ): [dropped: number, nan: number, posInf: number, negInf: number];
  torchCombineHistograms(
    orig: Float32Array,
    origMin: number,
    origMax: number,
    update: Float32Array,
    newMin: number,
    newMax: number,
    upsampleRate: number,
    out: Float32Array,
  ): Float32Array;
  torchHistogramSearch(hist: Float32Array, min: number, max: number, dstBins: number): [min: number, max: number, startBin: number, endBin: number, evaluations: number];
  entropyThreshold(hist: Float64Array, levels: number, startBin: number, stride: number, divergences: Float64Array | null): number;
  mseThreshold(hist: Float64Array, binWidth: number, maxQ: number, startBin: number, stride: number, errors: Float64Array | null): number;
  ortEntropyThreshold(hist: Float64Array, numQuantizedBins: number): [start: number, end: number];
}

/** The package root: lib/ (sources under vitest) and dist/ (compiled) both sit one level below. */
export const packageRoot = path.resolve(__dirname, '..');

function prebuildCandidates(root: string): string[] {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.node'));
  } catch {
    return [];
  }
  const musl = process.platform === 'linux' && fs.existsSync('/etc/alpine-release');
  const libc = musl ? 'musl' : 'glibc';
  // Prefer a file tagged with this libc, then untagged ones; skip the other libc.
  const other = musl ? 'glibc' : 'musl';
  return files
    .filter((f) => !f.split('.').includes(other))
    .sort((a, b) => Number(b.split('.').includes(libc)) - Number(a.split('.').includes(libc)))
    .map((f) => path.join(dir, f));
}

/** Where the loader looks, in order: prebuilds for this platform, then local builds. */
export function addonCandidates(root: string = packageRoot): string[] {
  return [
    ...prebuildCandidates(root),
    path.join(root, 'build', 'Release', 'qint8.node'),
    path.join(root, 'build', 'Debug', 'qint8.node'),
  ];
}

/** The file the addon was loaded from (after the first native() call). */
export let addonPath: string | undefined;

function load(): NativeBinding {
  const tried: string[] = [];
  for (const file of addonCandidates()) {
    if (!fs.existsSync(file)) {
      tried.push(`${file}: not found`);
      continue;
    }
    try {
      const b = require(file) as NativeBinding;
      addonPath = file;
      return b;
    } catch (e) {
      tried.push(`${file}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as { (dir: string): NativeBinding; path(dir: string): string };
    const file = nodeGypBuild.path(packageRoot);
    const b = require(file) as NativeBinding;
    addonPath = file;
    return b;
  } catch (e) {
    tried.push(`node-gyp-build(${packageRoot}): ${(e as Error).message.split('\n')[0]}`);
  }
  throw new Error(
    `qint8: could not load the native addon for ${process.platform}-${process.arch} (Node ${process.version}).\n` +
      `Tried:\n  ${tried.join('\n  ')}\n` +
      'Fix: build it from source with `npm rebuild qint8` (in a checkout: `npm run build:native`); ' +
      'that needs cmake >= 3.18 and a C++17 compiler (Debian/Ubuntu: apt-get install cmake g++).',
  );
}

let cached: NativeBinding | undefined;

/** The addon, loaded on first use. Throws if QINT8_ISA names an ISA this CPU cannot run. */
export function native(): NativeBinding {
  if (cached) return cached;
  const binding = load();
  const envError = binding.cpuInfo().isaEnvError;
  if (envError) throw new Error(`qint8: ${envError}; supported here: ${binding.cpuInfo().supportedIsas.join(', ')}`);
  cached = binding;
  return binding;
}
