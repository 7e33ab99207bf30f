// qint8 run: one inference of a float, QDQ or QOperator ONNX model on inputs from files.
import * as path from 'node:path';
import { configure, defaultThreads } from '../runtime';
import { InferenceSession } from '../session';
import type { Tensor } from '../tensor';
import { CliError, type FlagSpec, type Io, expectPositionals, flagValue, parseArgs, parseIntFlag, splitNamed, usageError } from './args';
import { type InputSpec, loadInputFile, showShape } from './inputs';
import { checkWritable, readFileChecked } from './model';
import { type NpyDType, writeNpy } from './npy';
import { imageOptions } from './quantize';

export const RUN_USAGE = `usage: qint8 run <model.onnx> --input <file> [--input <name>=<file> ...] [options]

Runs a model (float, QDQ or QOperator ONNX) once in qint8 and prints each output's shape, its
first values and the argmax over its last axis.

  --input [<name>=]<file>    an input: .npy (the input's shape or without the batch dim) or an
                             image (.png, .jpg, .jpeg; preprocessed as in qint8 quantize); the
                             name may be left out for a model with one input
  --output [<name>=]<file>   write an output as .npy (the name may be left out for a model with
                             one output)
  --threads <n>              threads (default: all ${defaultThreads()} cores)
  --size <HxW>, --mean <a,b,c>, --std <a,b,c>
                             image preprocessing (see qint8 quantize --help)

example:
  qint8 run model.int8.onnx --input cat.png --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225`;

const FLAGS: Record<string, FlagSpec> = {
  input: { value: true, repeat: true, short: 'i' },
  output: { value: true, repeat: true, short: 'o' },
  threads: { value: true },
  size: { value: true },
  mean: { value: true },
  std: { value: true },
};

const NPY_TYPES: Record<string, NpyDType> = { float32: 'float32', float64: 'float64', uint8: 'uint8', int8: 'int8', int32: 'int32', int64: 'int64', bool: 'bool' };

function fmtValue(v: number | bigint, float: boolean): string {
  if (typeof v === 'bigint') return v.toString();
  if (!float) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(3) : v.toFixed(4);
}

/** Lines describing an output tensor. */
export function describeOutput(name: string, t: Tensor): string[] {
  const lines = [`${name}: ${t.type} ${showShape(t.dims)}`];
  const data = t.data as ArrayLike<number | bigint>;
  const float = t.type === 'float32' || t.type === 'float64';
  const n = Math.min(10, t.size);
  if (t.type === 'string') return lines;
  const vals: string[] = [];
  for (let i = 0; i < n; i++) vals.push(fmtValue(data[i], float));
  lines.push(`  values: ${vals.join(' ')}${t.size > n ? ` ... (${n} of ${t.size})` : ''}`);
  const last = t.dims.length ? t.dims[t.dims.length - 1] : 0;
  if (last > 1 && typeof data[0] === 'number') {
    const rows = t.size / last;
    const shown = Math.min(rows, 8);
    const parts: string[] = [];
    for (let r = 0; r < shown; r++) {
      let best = 0;
      for (let j = 1; j < last; j++) if ((data[r * last + j] as number) > (data[r * last + best] as number)) best = j;
      parts.push(`${best} (${fmtValue(data[r * last + best], float)})`);
    }
    lines.push(`  argmax over the last axis: ${parts.join(', ')}${rows > shown ? ` ... (${shown} of ${rows} rows)` : ''}`);
  }
  return lines;
}

export async function runCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, FLAGS, 'run');
  if (p.help) {
    io.out(RUN_USAGE + '\n');
    return 0;
  }
  const [modelFile] = expectPositionals(p, 'run', ['the model']);
  const inputArgs = p.flags.get('input') ?? [];
  if (!inputArgs.length) throw usageError('run: give the model its inputs with --input <file> (or --input <name>=<file>)');
  const threadsArg = flagValue(p, 'threads');
  const threads = threadsArg === undefined ? undefined : parseIntFlag('threads', threadsArg);
  const img = imageOptions(p);
  const outputArgs = (p.flags.get('output') ?? []).map((o) => splitNamed('output', o, false));
  for (const o of outputArgs) checkWritable(o.value, '--output');

  const bytes = readFileChecked(modelFile, 'model');
  if (threads !== undefined) configure({ threads });
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(bytes, { externalDataDir: path.dirname(path.resolve(modelFile)), intraOpNumThreads: threads });
  } catch (e) {
    throw new CliError(`${modelFile}: ${(e as Error).message}`);
  }
  try {
    const specs: InputSpec[] = session.inputMetadata.map((m) => ({ name: m.name, type: m.type, shape: m.shape }));
    const names = specs.map((s) => s.name);
    const files = new Map<string, string>();
    for (const a of inputArgs) {
      const { name, value } = splitNamed('input', a, false);
      let target = name;
      if (target === undefined) {
        if (specs.length !== 1) throw usageError(`--input ${a}: the model has ${specs.length} inputs (${names.join(', ')}): write --input <name>=<file>`);
        target = names[0];
      } else if (!names.includes(target)) throw usageError(`--input ${a}: the model has no input '${target}' (inputs: ${names.join(', ')})`);
      if (files.has(target)) throw usageError(`--input: input '${target}' is given twice`);
      files.set(target, value);
    }
    const missing = names.filter((n) => !files.has(n));
    if (missing.length) throw usageError(`run: no --input for ${missing.map((m) => `'${m}'`).join(', ')} (inputs: ${specs.map((s) => `${s.name} ${s.type} ${showShape(s.shape)}`).join('; ')})`);
    const feeds: Record<string, Tensor> = {};
    for (const s of specs) feeds[s.name] = loadInputFile(files.get(s.name)!, s, img);

    const outFiles = new Map<string, string>();
    for (const o of outputArgs) {
      let target = o.name;
      if (target === undefined) {
        if (session.outputNames.length !== 1) throw usageError(`--output ${o.value}: the model has ${session.outputNames.length} outputs (${session.outputNames.join(', ')}): write --output <name>=<file>`);
        target = session.outputNames[0];
      } else if (!session.outputNames.includes(target)) throw usageError(`--output: the model has no output '${target}' (outputs: ${session.outputNames.join(', ')})`);
      outFiles.set(target, o.value);
    }
    const t0 = process.hrtime.bigint();
    let out: Record<string, Tensor>;
    try {
      out = await session.run(feeds);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    for (const name of session.outputNames) for (const l of describeOutput(name, out[name])) io.out(l + '\n');
    io.out(`time: ${ms.toFixed(1)} ms (first run, includes planning for these input shapes)\n`);
    for (const [name, file] of outFiles) {
      const t = out[name];
      const dtype = NPY_TYPES[t.type];
      if (!dtype) throw new CliError(`--output: output '${name}' is ${t.type}, which .npy writing does not support`);
      try {
        writeNpy(file, { dtype, shape: t.dims, data: t.data as ArrayBufferView });
      } catch (e) {
        throw new CliError(`cannot write ${file}: ${(e as Error).message}`);
      }
      io.out(`wrote ${file} (${name}, ${t.type} ${showShape(t.dims)})\n`);
    }
  } finally {
    session.releaseSync();
  }
  return 0;
}
