// Images for calibration and `qint8 run`: PNG (pngjs) and JPEG (jpeg-js) decoded to RGBA, reduced
// to the model's channel count, resized, scaled to [0, 1], normalised with mean / std, and laid
// out CHW (the caller adds the batch dim).
//
// Gray conversion is PIL's convert('L') (ITU-R 601-2 luma, L = (19595 R + 38470 G + 7471 B +
// 2^15) >> 16), so gray models see what a PIL / torchvision pipeline would feed them. The resize is
// PIL's BILINEAR filter (a triangle filter whose support widens by the shrink factor, so
// shrinking averages instead of aliasing; plain half-pixel bilinear when enlarging), computed in
// double precision from the 8-bit pixels: PIL rounds to 8 bits between its horizontal and vertical
// passes, so results can differ from PIL's by about one 8-bit step.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major RGBA. */
  data: Uint8Array;
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

/** Decodes PNG or JPEG bytes (by content, not by file name) to RGBA. */
export function decodeImage(bytes: Uint8Array, name = 'image'): RgbaImage {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isPng = b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a;
  const isJpeg = b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
  try {
    if (isPng) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { PNG } = require('pngjs') as typeof import('pngjs');
      const png = PNG.sync.read(b);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    if (isJpeg) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const jpeg = require('jpeg-js') as typeof import('jpeg-js');
      const img = jpeg.decode(b, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 200, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (e) {
    throw new ImageError(`${name}: cannot decode the image: ${(e as Error).message}`);
  }
  throw new ImageError(`${name}: not a PNG or JPEG image`);
}

export function readImage(file: string): RgbaImage {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new ImageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return decodeImage(bytes, file);
}

export interface ImagePrep {
  /** 1 (gray) or 3 (RGB). */
  channels: number;
  height: number;
  width: number;
  /** Per channel (or one value for all), applied after scaling to [0, 1]. Default 0. */
  mean?: readonly number[];
  /** Default 1. */
  std?: readonly number[];
}

/** Resampling taps of PIL's bilinear filter for one axis: per output index, first input index and weights. */
function taps(inSize: number, outSize: number): { first: Int32Array; count: Int32Array; weights: Float64Array; stride: number } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle's support is 1, widened when shrinking
  const stride = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    let sum = 0;
    for (let i = lo; i < hi; i++) {
      const t = Math.abs((i - center + 0.5) / filterScale);
      const w = t < 1 ? 1 - t : 0;
      weights[o * stride + i - lo] = w;
      sum += w;
    }
    if (sum > 0) for (let i = lo; i < hi; i++) weights[o * stride + i - lo] /= sum;
    first[o] = lo;
    count[o] = hi - lo;
  }
  return { first, count, weights, stride };
}

/**
 * Resizes planar float channels [c][inH][inW] to [c][outH][outW] with PIL's bilinear filter
 * (exact copy when the size is unchanged).
 */
export function resizePlanar(src: Float64Array, channels: number, inH: number, inW: number, outH: number, outW: number): Float64Array {
  if (inH === outH && inW === outW) return src.slice();
  const tx = taps(inW, outW);
  const ty = taps(inH, outH);
  const tmp = new Float64Array(channels * inH * outW);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < inH; y++) {
      const row = (c * inH + y) * inW;
      const orow = (c * inH + y) * outW;
      for (let x = 0; x < outW; x++) {
        let s = 0;
        const f = tx.first[x];
        const w = x * tx.stride;
        for (let k = 0; k < tx.count[x]; k++) s += src[row + f + k] * tx.weights[w + k];
        tmp[orow + x] = s;
      }
    }
  const out = new Float64Array(channels * outH * outW);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < outH; y++) {
      const f = ty.first[y];
      const w = y * ty.stride;
      const orow = (c * outH + y) * outW;
      for (let x = 0; x < outW; x++) {
        let s = 0;
        for (let k = 0; k < ty.count[y]; k++) s += tmp[(c * inH + f + k) * outW + x] * ty.weights[w + k];
        out[orow + x] = s;
      }
    }
  return out;
}

/** An RGBA image as the float32 CHW tensor a model input expects (see the file comment). */
export function imageToChw(img: RgbaImage, prep: ImagePrep): Float32Array {
  const { channels: C, height: H, width: W } = prep;
  if (C !== 1 && C !== 3) throw new ImageError(`images can feed 1-channel (gray) or 3-channel (RGB) inputs, not ${C} channels`);
  const mean = prep.mean ?? [0];
  const std = prep.std ?? [1];
  for (const [name, v] of [['mean', mean], ['std', std]] as const)
    if (v.length !== 1 && v.length !== C) throw new ImageError(`--${name} has ${v.length} values, the input has ${C} channel${C > 1 ? 's' : ''}`);
  const n = img.width * img.height;
  const planes = new Float64Array(C * n);
  const d = img.data;
  for (let i = 0; i < n; i++) {
    const r = d[4 * i];
    const g = d[4 * i + 1];
    const b = d[4 * i + 2];
    if (C === 1) planes[i] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    else {
      planes[i] = r;
      planes[n + i] = g;
      planes[2 * n + i] = b;
    }
  }
  const resized = resizePlanar(planes, C, img.height, img.width, H, W);
  const out = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) {
    const m = mean.length === 1 ? mean[0] : mean[c];
    const s = std.length === 1 ? std[0] : std[c];
    for (let i = 0; i < H * W; i++) out[c * H * W + i] = (resized[c * H * W + i] / 255 - m) / s;
  }
  return out;
}
