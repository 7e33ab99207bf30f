// qint8 bench: latency of qint8 (and onnxruntime-node, alternating in the same process) on one
// ONNX file with random inputs of the model's shapes.
import * as path from 'node:path';
import { configure, cpuInfo, defaultThreads } from '../runtime';
import { InferenceSession } from '../session';
import { Tensor, type TensorType } from '../tensor';
import { CliError, type FlagSpec, type Io, expectPositionals, flagValue, parseArgs, parseDims, parseIntList, parseNumberFlag, splitNamed, table, usageError } from './args';
import { type InputSpec, inputSpecs, showShape } from './inputs';
import { loadGraphFile, readFileChecked } from './model';
import { ORT_MISSING, type OrtModule, type OrtSession, loadOnnxruntime, ortOptions, ortVersion } from './ort';
import { type Runner, interleave, medianRatio } from './timing';

export const BENCH_USAGE = `usage: qint8 bench <model.onnx> [options]

Latency of qint8 on an ONNX model (float, QDQ or QOperator), optionally against onnxruntime-node
on the same file, alternating the two in one process. Inputs are random: floats uniform in
[0, 1), integers uniform in [0, 100), booleans 0 / 1.

  --compare onnxruntime   also time onnxruntime-node (same file, same thread count, spinning off)
  --threads <a,b,...>     thread counts (default: 1,${defaultThreads()})
  --batch <a,b,...>       batch sizes for a dynamic first dim (default 1)
  --shape <name>=<dims>   dims of an input with dynamic dims, e.g. image=1x3x224x224 (the first
                          dim is replaced by each --batch value when that dim is dynamic)
  --seconds <s>           timing budget per (threads, batch) configuration (default 2)

example:
  qint8 bench model.int8.onnx --compare onnxruntime --threads 1,2 --batch 1,8`;

const FLAGS: Record<string, FlagSpec> = {
  compare: { value: true },
  threads: { value: true },
  batch: { value: true },
  shape: { value: true, repeat: true },
  seconds: { value: true },
};

/** Concrete dims of an input for one batch size, or a clear error naming the dynamic dim. */
export function benchDims(spec: InputSpec, given: number[] | undefined, batch: number | undefined): number[] {
  const s = spec.shape;
  let dims: (number | string)[];
  if (given) {
    if (given.length !== s.length) throw usageError(`--shape ${spec.name}=${given.join('x')}: input '${spec.name}' ${showShape(s)} has rank ${s.length}`);
    given.forEach((d, i) => {
      if (typeof s[i] === 'number' && s[i] !== d) throw usageError(`--shape ${spec.name}=${given.join('x')}: dim ${i} of input '${spec.name}' ${showShape(s)} is fixed at ${s[i]}`);
    });
    dims = given.slice();
  } else dims = s.slice();
  if (s.length && typeof s[0] === 'number') {
    if (batch !== undefined && s[0] !== batch) throw usageError(`--batch ${batch}: the first dim of input '${spec.name}' ${showShape(s)} is fixed at ${s[0]}`);
  } else if (s.length && (batch !== undefined || !given)) dims[0] = batch ?? 1;
  const dyn = dims.findIndex((d) => typeof d !== 'number');
  if (dyn >= 0) throw usageError(`input '${spec.name}' ${showShape(s)} has a dynamic dim '${dims[dyn]}' (dim ${dyn}): give its dims with --shape ${spec.name}=${s.map((d: number | string) => (typeof d === 'number' ? d : 1)).join('x')}`);
  return dims as number[];
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return (x >>> 8) / 16777216;
  };
}

/** Random data of an input type. */
export function randomData(type: string, n: number, seed: number): ArrayBufferView {
  const r = rng(seed);
  switch (type) {
    case 'float32':
      return Float32Array.from({ length: n }, r);
    case 'float64':
      return Float64Array.from({ length: n }, r);
    case 'int64':
      return BigInt64Array.from({ length: n }, () => BigInt(Math.floor(r() * 100)));
    case 'int32':
      return Int32Array.from({ length: n }, () => Math.floor(r() * 100));
    case 'uint8':
      return Uint8Array.from({ length: n }, () => Math.floor(r() * 100));
    case 'int8':
      return Int8Array.from({ length: n }, () => Math.floor(r() * 100));
    case 'bool':
      return Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
    default:
      throw new CliError(`inputs of type ${type} cannot be generated for timing`);
  }
}

const fmt = (v: number, d = 2) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(d)) : '-');

export async function benchCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, FLAGS, 'bench');
  if (p.help) {
    io.out(BENCH_USAGE + '\n');
    return 0;
  }
  const [modelFile] = expectPositionals(p, 'bench', ['the model']);
  const compare = flagValue(p, 'compare');
  if (compare !== undefined && compare !== 'onnxruntime') throw usageError(`--compare: only 'onnxruntime' is supported, got '${compare}'`);
  const threadsList = flagValue(p, 'threads') === undefined ? [...new Set([1, defaultThreads()])] : parseIntList('threads', flagValue(p, 'threads')!);
  const batchArg = flagValue(p, 'batch');
  const batches: (number | undefined)[] = batchArg === undefined ? [undefined] : parseIntList('batch', batchArg);
  const seconds = flagValue(p, 'seconds') === undefined ? 2 : parseNumberFlag('seconds', flagValue(p, 'seconds')!, true);
  const shapes = new Map<string, number[]>();
  for (const s of p.flags.get('shape') ?? []) {
    const { name, value } = splitNamed('shape', s, true);
    if (shapes.has(name!)) throw usageError(`--shape: input '${name}' is given twice`);
    shapes.set(name!, parseDims('shape', value));
  }

  const bytes = readFileChecked(modelFile, 'model');
  let ort: OrtModule | undefined;
  if (compare) {
    ort = loadOnnxruntime();
    if (!ort) io.err(`qint8: --compare onnxruntime: ${ORT_MISSING}; timing qint8 alone\n`);
  }
  configure({ threads: Math.max(...threadsList, defaultThreads()) });
  const opts = { externalDataDir: path.dirname(path.resolve(modelFile)) };
  const specs = inputSpecs(loadGraphFile(modelFile).graph);
  for (const name of shapes.keys()) if (!specs.some((s) => s.name === name)) throw usageError(`--shape: the model has no input '${name}' (inputs: ${specs.map((s) => s.name).join(', ')})`);
  // Check every configuration's dims before timing anything.
  const dimsFor = batches.map((b) => specs.map((s) => benchDims(s, shapes.get(s.name), b)));

  const info = cpuInfo();
  io.out(`${modelFile}: ${specs.map((s) => `${s.name} ${s.type} ${showShape(s.shape)}`).join(', ')}\n`);
  io.out(`qint8 on ${info.activeIsa} (${info.brand || info.arch})${ort ? `, onnxruntime-node ${ortVersion(ort)}` : ''}; random inputs; ${seconds} s per configuration\n\n`);
  const rows: string[][] = [];
  const head = ['threads', 'batch', 'qint8 ms', 'p90', 'inf/s'];
  if (ort) head.push('onnxruntime ms', 'p90', 'inf/s', 'qint8 speedup');
  rows.push(head);
  for (const threads of threadsList) {
    let q: InferenceSession;
    try {
      q = await InferenceSession.create(bytes, { ...opts, intraOpNumThreads: threads });
    } catch (e) {
      throw new CliError(`${modelFile}: ${(e as Error).message}`);
    }
    let o: OrtSession | undefined;
    try {
      if (ort) {
        try {
          o = await ort.InferenceSession.create(new Uint8Array(bytes), ortOptions(threads));
        } catch (e) {
          throw new CliError(`onnxruntime cannot load ${modelFile}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      for (const [bi, b] of batches.entries()) {
        const dims = dimsFor[bi];
        const items = dims[0]?.[0] ?? 1;
        const feeds: Record<string, Tensor> = {};
        const ortFeeds: Record<string, unknown> = {};
        specs.forEach((s, i) => {
          const n = dims[i].reduce((a, c) => a * c, 1);
          const data = randomData(s.type, n, 1 + i);
          feeds[s.name] = new Tensor(s.type as TensorType, data as never, dims[i]);
          if (ort) ortFeeds[s.name] = new ort.Tensor(s.type, data, dims[i]);
        });
        const runners: Runner[] = [{ name: 'qint8', fn: () => q.run(feeds), items }];
        if (o) {
          const os = o;
          runners.push({ name: 'onnxruntime', fn: () => os.run(ortFeeds as never), items });
        }
        let t;
        try {
          t = await interleave(runners, { seconds });
        } catch (e) {
          throw new CliError(`running with inputs ${dims.map((d) => showShape(d)).join(', ')} (threads ${threads}${b !== undefined ? `, batch ${b}` : ''}): ${(e as Error).message.split('\n')[0]}`);
        }
        const row = [String(threads), String(items), fmt(t[0].medianMs, 3), fmt(t[0].p90Ms, 3), fmt(t[0].itemsPerSecond, 1)];
        if (ort) row.push(fmt(t[1].medianMs, 3), fmt(t[1].p90Ms, 3), fmt(t[1].itemsPerSecond, 1), `${medianRatio(t[1], t[0]).toFixed(2)}x`);
        rows.push(row);
      }
    } finally {
      q.releaseSync();
      await o?.release();
    }
  }
  io.out(table(rows, 0));
  io.out(`\nms: median latency per call (p90: 90th percentile); inf/s: items per second${ort ? '; speedup: onnxruntime ms / qint8 ms, median of same-round ratios' : ''}\n`);
  return 0;
}
