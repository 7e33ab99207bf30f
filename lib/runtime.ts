// Process-wide runtime settings: ISA selection, thread pool, CPU report.
import * as os from 'node:os';
import { checkSize, isObject, typeName } from './check';
import { native } from './native';

export type IsaName = 'scalar' | 'avx2' | 'avx512vnni' | 'neon' | 'neondot' | 'i8mm';
export const ISA_NAMES: readonly IsaName[] = ['scalar', 'avx2', 'avx512vnni', 'neon', 'neondot', 'i8mm'];

export interface CpuInfo {
  arch: string;
  vendor: string;
  brand: string;
  features: Record<string, boolean>;
  /** ISA tiers this CPU and build can run, scalar first. */
  supportedIsas: IsaName[];
  /** The tier chosen at load from cpuid/xgetbv (x86) or hwcaps (arm64). */
  bestIsa: IsaName;
  /** The tier used when a call does not name one (QINT8_ISA, configure({isa}) or bestIsa). */
  activeIsa: IsaName;
  threads: number;
}

export function cpuInfo(): CpuInfo {
  const i = native().cpuInfo();
  return {
    arch: i.arch,
    vendor: i.vendor,
    brand: i.brand,
    features: i.features,
    supportedIsas: i.supportedIsas as IsaName[],
    bestIsa: i.bestIsa as IsaName,
    activeIsa: i.activeIsa as IsaName,
    threads: i.threads,
  };
}

/** Throws unless `isa` is a known tier this CPU supports; returns it. */
export function checkIsa(isa: unknown, name = 'isa'): IsaName {
  if (typeof isa !== 'string' || !(ISA_NAMES as readonly string[]).includes(isa))
    throw new TypeError(`${name} must be one of ${ISA_NAMES.join(', ')}, got ${String(isa)}`);
  const supported = native().cpuInfo().supportedIsas;
  if (!supported.includes(isa))
    throw new RangeError(`${name} '${isa}' is not supported by this CPU (supported: ${supported.join(', ')})`);
  return isa as IsaName;
}

export interface ConfigureOptions {
  /** Threads in the process-wide pool, caller included (default: os.availableParallelism()). */
  threads?: number;
  /** The ISA tier used by calls that do not name one (same as the QINT8_ISA variable). */
  isa?: IsaName;
  /** Microseconds an idle pool thread spins before sleeping (default 50). */
  spinMicros?: number;
  /**
   * Microseconds a runner thread (the one executing a session's run()) spins for the next run
   * before sleeping, yielding its core every few microseconds (default 250).
   */
  runnerSpinMicros?: number;
}

export function configure(opts: ConfigureOptions): void {
  if (!isObject(opts)) throw new TypeError(`configure() takes an options object, got ${typeName(opts)}`);
  const b = native();
  if (opts.isa !== undefined) b.setIsa(checkIsa(opts.isa));
  if (opts.threads !== undefined) b.setNumThreads(Math.min(checkSize(opts.threads, 'threads'), 1024));
  if (opts.spinMicros !== undefined) b.setSpinMicros(checkSize(opts.spinMicros, 'spinMicros', true));
  if (opts.runnerSpinMicros !== undefined) b.setRunnerSpinMicros(checkSize(opts.runnerSpinMicros, 'runnerSpinMicros', true));
}

export function defaultThreads(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Peak int8 multiply-accumulate rate of one core on `isa` (GOPS, 2 ops per MAC), measured now. */
export function measurePeakGops(isa?: IsaName, ms = 20): number {
  const b = native();
  return b.measurePeakGops(isa === undefined ? b.cpuInfo().activeIsa : checkIsa(isa), ms);
}
