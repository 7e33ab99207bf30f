// Model inputs from files: .npy arrays and images checked against (and converted to) an input's
// declared type and shape, and calibration folders turned into a list of samples.
//
// Calibration folder layout:
//   one-input model:  one file per sample (x.npy, cat.png, ...), and / or one subfolder per sample
//                     holding <input>.npy (or <input>.png / .jpg);
//   several inputs:   one subfolder per sample holding <input>.npy (or an image) for every input.
// Files are taken in natural order of their names (img2 before img10); other files are ignored.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dim } from '../graph/ir';
import { Tensor, type TensorType } from '../tensor';
import { CliError } from './args';
import { type ImagePrep, imageToChw, isImageFile, readImage } from './image';
import { type NpyArray, type NpyDType, readNpy } from './npy';

export interface InputSpec {
  name: string;
  /** Element type ('float32', 'int64', ...). */
  type: string;
  /** Dims: numbers, or symbol names (dynamic). */
  shape: readonly (number | string)[];
}

export function inputSpecs(g: { inputs: readonly { name: string; dtype?: string; shape?: readonly Dim[] }[] }): InputSpec[] {
  return g.inputs.map((v) => ({ name: v.name, type: v.dtype ?? 'float32', shape: v.shape ?? [] }));
}

export function showShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/** Image preprocessing options shared by quantize and run. */
export interface ImageOptions {
  /** Height x width for inputs whose H / W are dynamic. */
  size?: [number, number];
  mean?: number[];
  std?: number[];
}

/** The channel count and size an image input needs (NCHW, 1 or 3 channels), or a clear error. */
export function imagePrepFor(input: InputSpec, opts: ImageOptions): ImagePrep {
  const s = input.shape;
  const where = `input '${input.name}' ${showShape(s)}`;
  if (input.type !== 'float32') throw new CliError(`images can only feed float32 inputs; ${where} is ${input.type}: use .npy files`);
  if (s.length !== 4) throw new CliError(`images feed NCHW inputs (rank 4); ${where} has rank ${s.length}: use .npy files`);
  const c = s[1];
  if (c !== 1 && c !== 3) throw new CliError(`images feed inputs with 1 (gray) or 3 (RGB) channels in dim 1 (NCHW); ${where} has ${typeof c === 'number' ? c : `'${c}'`}: use .npy files`);
  let h = s[2];
  let w = s[3];
  if (opts.size) {
    const [sh, sw] = opts.size;
    if ((typeof h === 'number' && h !== sh) || (typeof w === 'number' && w !== sw))
      throw new CliError(`--size ${sh}x${sw} contradicts ${where} (H x W = ${h}x${w})`);
    h = sh;
    w = sw;
  }
  if (typeof h !== 'number' || typeof w !== 'number') throw new CliError(`${where} has a dynamic height or width: give the image size with --size HxW`);
  for (const [name, v] of [['mean', opts.mean], ['std', opts.std]] as const)
    if (v && v.length !== 1 && v.length !== c) throw new CliError(`--${name} has ${v.length} values, ${where} has ${c} channel${c > 1 ? 's' : ''}`);
  return { channels: c, height: h, width: w, mean: opts.mean, std: opts.std };
}

const FLOAT_SOURCES: NpyDType[] = ['float32', 'float64', 'uint8', 'int8', 'int32'];
const ACCEPTS: Record<string, NpyDType[]> = {
  float32: FLOAT_SOURCES,
  float64: FLOAT_SOURCES,
  uint8: ['uint8'],
  int8: ['int8'],
  int32: ['int32', 'uint8', 'int8'],
  int64: ['int64', 'int32', 'uint8', 'int8'],
  bool: ['bool', 'uint8'],
};

/** Converts by value (no scaling) to the input's type. */
function convert(a: NpyArray, type: string): Tensor['data'] {
  switch (type) {
    case 'float32':
      return a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>);
    case 'float64':
      return a.data instanceof Float64Array ? a.data : Float64Array.from(a.data as ArrayLike<number>);
    case 'int32':
      return a.data instanceof Int32Array ? a.data : Int32Array.from(a.data as ArrayLike<number>);
    case 'int64':
      return a.data instanceof BigInt64Array ? a.data : BigInt64Array.from(a.data as ArrayLike<number>, (v) => BigInt(v));
    default:
      return a.data as Tensor['data'];
  }
}

/**
 * An .npy array as a feed for `input`: the input's exact rank, or one less (a batch of one is
 * added); fixed dims must match; the element type is converted by value to the input's.
 */
export function npyToTensor(a: NpyArray, input: InputSpec, file: string): Tensor {
  const s = input.shape;
  const where = `input '${input.name}' ${showShape(s)}`;
  const ok = ACCEPTS[input.type];
  if (!ok) throw new CliError(`${file}: ${where} has type ${input.type}, which .npy files cannot feed`);
  if (!ok.includes(a.dtype)) throw new CliError(`${file}: ${a.dtype} data cannot feed ${where} of type ${input.type} (accepted: ${ok.join(', ')})`);
  let dims = a.shape;
  if (dims.length === s.length - 1) {
    if (typeof s[0] === 'number' && s[0] !== 1) throw new CliError(`${file}: shape (${a.shape.join(', ')}) does not fit ${where}`);
    dims = [1, ...dims];
  }
  const expect = `expected ${showShape(s)}${s.length ? ` or ${showShape(s.slice(1))} without the batch dim` : ''}`;
  if (dims.length !== s.length) throw new CliError(`${file}: shape (${a.shape.join(', ')}) does not fit ${where}: ${expect}`);
  const bound = new Map<string, number>();
  for (let i = 0; i < s.length; i++) {
    const d = s[i];
    if (typeof d === 'number' ? d !== dims[i] : bound.has(d) && bound.get(d) !== dims[i])
      throw new CliError(`${file}: shape (${a.shape.join(', ')}) does not fit ${where}: dim ${i} is ${dims[i]}, ${expect}`);
    if (typeof d === 'string') bound.set(d, dims[i]);
  }
  return new Tensor(input.type as TensorType, convert(a, input.type) as never, dims);
}

/** A file (.npy or image) as the feed of `input`. */
export function loadInputFile(file: string, input: InputSpec, img: ImageOptions): Tensor {
  if (isImageFile(file)) {
    const prep = imagePrepFor(input, img);
    const chw = imageToChw(readImage(file), prep);
    return new Tensor('float32', chw, [1, prep.channels, prep.height, prep.width]);
  }
  if (path.extname(file).toLowerCase() !== '.npy') throw new CliError(`${file}: not a .npy, .png, .jpg or .jpeg file`);
  return npyToTensor(readNpy(file), input, file);
}

/** One calibration sample: a label (file or folder) and the file of each input. */
export interface Sample {
  label: string;
  files: Record<string, string>;
}

const collator = new Intl.Collator('en', { numeric: true });

function isSampleFile(name: string): boolean {
  return path.extname(name).toLowerCase() === '.npy' || isImageFile(name);
}

export interface CalibrationFolder {
  samples: Sample[];
  /** Files that are neither .npy nor images (ignored). */
  ignored: string[];
}

/** Lists the samples of a calibration folder (see the file comment for the layout). */
export function listCalibration(dir: string, inputs: readonly InputSpec[], inputName?: string): CalibrationFolder {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new CliError(`calibration folder ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new CliError(`--calib ${dir} is not a folder`);
  if (inputName !== undefined && !inputs.some((i) => i.name === inputName))
    throw new CliError(`--input-name ${inputName} is not an input of the model (inputs: ${inputs.map((i) => i.name).join(', ')})`);
  const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  entries.sort((a, b) => collator.compare(a.name, b.name));
  const samples: Sample[] = [];
  const ignored: string[] = [];
  const names = inputs.map((i) => i.name);
  const flatInput = inputName ?? (inputs.length === 1 ? inputs[0].name : undefined);
  for (const e of entries) {
    const full = path.join(dir, e.name);
    const isDir = e.isDirectory() || (e.isSymbolicLink() && fs.statSync(full, { throwIfNoEntry: false })?.isDirectory());
    if (isDir) {
      const files: Record<string, string> = {};
      const inner = fs.readdirSync(full).filter((n) => !n.startsWith('.') && isSampleFile(n));
      for (const f of inner) {
        const base = f.slice(0, f.length - path.extname(f).length);
        if (!names.includes(base)) throw new CliError(`${path.join(full, f)}: '${base}' is not an input of the model (a sample folder holds <input>.npy per input: ${names.map((n) => `${n}.npy`).join(', ')})`);
        if (files[base]) throw new CliError(`${full}: two files for input '${base}' (${path.basename(files[base])}, ${f})`);
        files[base] = path.join(full, f);
      }
      if (!inner.length) {
        ignored.push(full + path.sep);
        continue;
      }
      const missing = names.filter((n) => !files[n]);
      if (missing.length) throw new CliError(`${full}: no file for input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} (a sample folder holds ${names.map((n) => `${n}.npy`).join(', ')})`);
      samples.push({ label: full, files });
    } else if (isSampleFile(e.name)) {
      if (inputs.length > 1)
        throw new CliError(
          `${full}: the model has ${inputs.length} inputs (${names.join(', ')}): put each calibration sample in its own subfolder holding ${names.map((n) => `${n}.npy`).join(', ')}`,
        );
      samples.push({ label: full, files: { [flatInput!]: full } });
    } else ignored.push(full);
  }
  if (!samples.length)
    throw new CliError(`calibration folder ${dir} has no samples (.npy, .png, .jpg or .jpeg files${inputs.length > 1 ? ', in one subfolder per sample' : ''})`);
  return { samples, ignored };
}

/** Loads one sample's feeds. */
export function loadSample(s: Sample, inputs: readonly InputSpec[], img: ImageOptions): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const i of inputs) feeds[i.name] = loadInputFile(s.files[i.name], i, img);
  return feeds;
}
