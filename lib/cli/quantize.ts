// qint8 quantize: a float ONNX model to a QDQ ONNX model, calibrated on a folder of samples.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CALIBRATION_METHODS, type CalibrationMethod, type CalibrationOptions, type Feeds, type QuantReport, quantizeModel } from '../quant/flow';
import { type Backend, BACKENDS } from '../quant/qconfig';
import {
  CliError,
  type Io,
  type FlagSpec,
  expectPositionals,
  flagSet,
  flagValue,
  formatBytes,
  formatSeconds,
  parseArgs,
  parseDims,
  parseIntFlag,
  parseNumberList,
  usageError,
  splitNamed,
  suggest,
} from './args';
import { type ImageOptions, type Sample, inputSpecs, listCalibration, loadSample } from './inputs';
import { checkWritable, countOps, describeCounts, loadGraphFile } from './model';
import { Progress } from './progress';

export const QUANTIZE_USAGE = `usage: qint8 quantize <in.onnx> -o <out.onnx> --calib <dir> [options]

Quantizes a float ONNX model to int8 and writes it as QDQ ONNX (QuantizeLinear / DequantizeLinear
around the float ops, standard ONNX: qint8 runs it in int8, onnxruntime runs it too).

  -o, --output <file>     the quantized model (required)
  --calib <dir>           calibration samples (static mode): .npy files (one sample each, the
                          input's shape or without the batch dim; float32/float64/uint8/int8/int32/
                          int64, converted by value) and/or images (.png, .jpg, .jpeg); a model
                          with several inputs needs one subfolder per sample holding <input>.npy
                          for each input
  --method <m>            how activation ranges are chosen: minmax, moving_average_minmax,
                          histogram, entropy, mse, percentile (default: the preset's, histogram)
  --calib-option <k>=<v>  an option of the method's observer, repeatable: e.g. percentile=99.99,
                          bins=2048, variant=onnxruntime (entropy: onnxruntime's EntropyCalibrater
                          instead of the TensorRT-style search), symmetric=true
  --backend <b>           auto (default: picked for this CPU), ${BACKENDS.join(', ')}: PyTorch's presets
  --dynamic               dynamic quantization (Conv / MatMul / Gemm weights int8, depthwise
                          convs float, activations quantized at run time; no calibration)
  --per-tensor            one weight scale per tensor (default: per output channel, except qnnpack)
  --exclude <a,b,...>     node names or op types to keep in float
  --limit <n>             calibrate on the first n samples only (in natural name order)
  --input-name <name>     the input the calibration files feed (checked against the model)
  --size <HxW>            image size for inputs whose height / width are dynamic
  --mean <a,b,c>          images: subtracted after scaling pixels to [0, 1] (default 0)
  --std <a,b,c>           images: divided by after subtracting the mean (default 1)
  --report <file.json>    also run float and int8 on the calibration samples and write, per
                          quantized tensor, its parameters, clipped fraction and SQNR

Images are resized to the input's H x W (PIL's bilinear filter), converted to its channel count
(1: gray, 3: RGB), scaled to [0, 1], normalised, laid out NCHW.

example:
  qint8 quantize model.onnx -o model.int8.onnx --calib calib/ --method entropy \\
      --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225`;

const FLAGS: Record<string, FlagSpec> = {
  output: { value: true, short: 'o' },
  calib: { value: true },
  method: { value: true },
  'calib-option': { value: true, repeat: true },
  backend: { value: true },
  dynamic: {},
  'per-tensor': {},
  exclude: { value: true, repeat: true },
  limit: { value: true },
  'input-name': { value: true },
  size: { value: true },
  mean: { value: true },
  std: { value: true },
  report: { value: true },
};

/** Image options from --size / --mean / --std (shared with run). */
export function imageOptions(p: ReturnType<typeof parseArgs>): ImageOptions {
  const o: ImageOptions = {};
  const size = flagValue(p, 'size');
  if (size !== undefined) {
    const d = parseDims('size', size);
    if (d.length !== 2) throw usageError(`--size must be HxW (two dims, e.g. 224x224), got '${size}'`);
    o.size = [d[0], d[1]];
  }
  const mean = flagValue(p, 'mean');
  if (mean !== undefined) o.mean = parseNumberList('mean', mean);
  const std = flagValue(p, 'std');
  if (std !== undefined) o.std = parseNumberList('std', std, true);
  return o;
}

/** --calib-option key=value pairs: numbers and true / false by value, anything else as text. */
export function parseCalibOptions(values: readonly string[]): Record<string, number | boolean | string> {
  const o: Record<string, number | boolean | string> = {};
  for (const v of values) {
    const { name, value } = splitNamed('calib-option', v, true);
    if (name === 'method') throw usageError('--calib-option: give the method with --method');
    if (name! in o) throw usageError(`--calib-option: '${name}' is given twice`);
    o[name!] = value === 'true' ? true : value === 'false' ? false : value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
  }
  return o;
}

/** The samples as feeds; `start` runs when the first one is taken (the flow has checked its options). */
async function* samplesOf(samples: Sample[], first: Feeds, load: (s: Sample) => Feeds, start?: () => void): AsyncGenerator<Feeds> {
  start?.();
  yield first;
  for (let i = 1; i < samples.length; i++) yield load(samples[i]);
}

function fmtDb(x: number | null): string {
  return x === null ? 'exact' : `${x.toFixed(1)} dB`;
}

export async function quantizeCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, FLAGS, 'quantize');
  if (p.help) {
    io.out(QUANTIZE_USAGE + '\n');
    return 0;
  }
  const [input] = expectPositionals(p, 'quantize', ['the input model']);
  const output = flagValue(p, 'output');
  if (output === undefined) throw usageError('quantize: -o <out.onnx> is required');
  const dynamic = flagSet(p, 'dynamic');
  const method = flagValue(p, 'method');
  if (method !== undefined && !(CALIBRATION_METHODS as readonly string[]).includes(method)) {
    const hint = suggest(method, CALIBRATION_METHODS);
    throw usageError(`--method must be one of ${CALIBRATION_METHODS.join(', ')}, got '${method}'${hint ? ` (did you mean ${hint}?)` : ''}`);
  }
  const backend = flagValue(p, 'backend') ?? 'auto';
  if (backend !== 'auto' && !(BACKENDS as readonly string[]).includes(backend)) throw usageError(`--backend must be one of auto, ${BACKENDS.join(', ')}, got '${backend}'`);
  const calib = flagValue(p, 'calib');
  const reportFile = flagValue(p, 'report');
  if (dynamic) {
    if (method !== undefined) throw usageError('--method is for static quantization; --dynamic quantizes activations at run time from their own range');
    if (calib !== undefined && reportFile === undefined) throw usageError('--dynamic takes no calibration data (--calib is only used with --report in dynamic mode)');
    if (reportFile !== undefined && calib === undefined) throw usageError('--report needs samples to compare float and int8 on: give --calib <dir>');
  } else if (calib === undefined) throw usageError('quantize: --calib <dir> is required for static quantization (or use --dynamic)');
  const limit = flagValue(p, 'limit') === undefined ? undefined : parseIntFlag('limit', flagValue(p, 'limit')!);
  const exclude = (p.flags.get('exclude') ?? []).flatMap((e) => e.split(',')).map((e) => e.trim());
  if (exclude.some((e) => e === '')) throw usageError('--exclude must be a comma-separated list of node names or op types');
  const calibOptions = parseCalibOptions(p.flags.get('calib-option') ?? []);
  if (dynamic && Object.keys(calibOptions).length) throw usageError('--calib-option is for static quantization');
  const img = imageOptions(p);
  if (path.resolve(output) === path.resolve(input)) throw usageError('-o must differ from the input model (it would be overwritten)');
  checkWritable(output, '-o');
  if (reportFile !== undefined) checkWritable(reportFile, '--report');

  const t0 = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - t0) / 1e9;
  const { graph, bytes: inBytes } = loadGraphFile(input);
  const inputs = inputSpecs(graph);
  let samples: Sample[] = [];
  let first: Feeds | undefined;
  const load = (s: Sample) => loadSample(s, inputs, img);
  if (calib !== undefined) {
    const folder = listCalibration(calib, inputs, flagValue(p, 'input-name'));
    samples = limit === undefined ? folder.samples : folder.samples.slice(0, limit);
    if (folder.ignored.length)
      io.err(`note: ignored ${folder.ignored.length} entr${folder.ignored.length > 1 ? 'ies' : 'y'} of ${calib} that ${folder.ignored.length > 1 ? 'are' : 'is'} not a sample (${folder.ignored.slice(0, 3).map((f) => path.basename(f)).join(', ')}${folder.ignored.length > 3 ? ', ...' : ''})\n`);
    first = load(samples[0]); // shape and type errors show before anything runs
  } else if (flagValue(p, 'input-name') !== undefined) throw usageError('--input-name names the input the --calib files feed; there is no --calib');

  const options = {
    mode: dynamic ? ('dynamic' as const) : ('static' as const),
    backend: backend as Backend | 'auto',
    exclude: exclude.length ? exclude : undefined,
    perChannel: flagSet(p, 'per-tensor') ? false : undefined,
    calibration: method || Object.keys(calibOptions).length ? ({ ...(method ? { method: method as CalibrationMethod } : {}), ...calibOptions } as CalibrationOptions) : undefined,
  };
  let model;
  let calibSeconds = 0;
  if (dynamic) {
    model = await quantizeModel(graph, options);
  } else {
    let bar: Progress | undefined;
    const startBar = () => (bar = new Progress(io, 'calibrating', samples.length));
    const tc = elapsed();
    try {
      model = await quantizeModel(graph, { ...options, data: samplesOf(samples, first!, load, startBar), onProgress: (done) => bar?.update(done) });
    } catch (e) {
      bar?.abort();
      throw e;
    }
    bar?.done(samples.length);
    calibSeconds = elapsed() - tc;
  }
  const outBytes = model.toBytes();
  try {
    fs.writeFileSync(output, outBytes);
  } catch (e) {
    throw new CliError(`cannot write ${output}: ${(e as Error).message}`);
  }
  const counts = countOps(model.graph);
  const floatOps = model.floatGraph.nodes.length;
  const qc = model.qconfig;
  io.out(`${input} -> ${output}\n`);
  io.out(
    `  mode: ${model.mode}${dynamic ? '' : `, calibration: ${method ?? `${String(qc.activation.observer)} (the preset's)`}${Object.keys(calibOptions).length ? ` (${Object.entries(calibOptions).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''} on ${samples.length} sample${samples.length > 1 ? 's' : ''}`}, backend ${qc.backend}${flagSet(p, 'per-tensor') ? ', per-tensor weights' : ''}\n`,
  );
  io.out(`  ops: ${floatOps} in the float model (after optimisation); int8 ${describeCounts(counts.int8)}; float ${describeCounts(counts.float)}; ${counts.qdq} quantize/dequantize at int8 borders\n`);
  const ratio = inBytes >= outBytes.length ? `${(inBytes / outBytes.length).toFixed(2)}x smaller` : `${((100 * (outBytes.length - inBytes)) / inBytes).toFixed(1)}% larger`;
  io.out(`  size: ${formatBytes(inBytes)} -> ${formatBytes(outBytes.length)} (${ratio})\n`);
  io.out(`  time: ${formatSeconds(elapsed())}${dynamic ? '' : ` (calibration ${formatSeconds(calibSeconds)})`}\n`);

  if (reportFile !== undefined) {
    let bar: Progress | undefined;
    const startBar = () => (bar = new Progress(io, 'report', samples.length));
    let report: QuantReport;
    try {
      report = await model.report(samplesOf(samples, first!, load, startBar), { onProgress: (done) => bar?.update(done) });
    } catch (e) {
      bar?.abort();
      throw e;
    }
    bar?.done(samples.length);
    try {
      fs.writeFileSync(reportFile, JSON.stringify(report, null, 1) + '\n');
    } catch (e) {
      throw new CliError(`cannot write ${reportFile}: ${(e as Error).message}`);
    }
    io.out(`  report: ${reportFile} (${report.samples} samples)\n`);
    for (const o of report.outputs) io.out(`    output ${o.name}: SQNR ${fmtDb(o.sqnr)} (int8 vs float)\n`);
    const worst = report.tensors.filter((t) => t.sqnr !== null && !t.sharedWith).sort((a, b) => a.sqnr! - b.sqnr!).slice(0, 3);
    if (worst.length) io.out(`    lowest SQNR: ${worst.map((t) => `${t.name} ${fmtDb(t.sqnr)}`).join(', ')}\n`);
    const clipped = report.tensors.filter((t) => (t.clipped ?? 0) > 0.01 && !t.sharedWith);
    if (clipped.length) io.out(`    clipped > 1%: ${clipped.map((t) => `${t.name} ${(100 * t.clipped!).toFixed(1)}%`).join(', ')}\n`);
  }
  return 0;
}
