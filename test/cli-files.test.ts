// The CLI's file readers: .npy (against files NumPy wrote), images (PNG / JPEG decoding, gray
// conversion and resize against Pillow), and how files become model inputs and calibration samples.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage, imageToChw, resizePlanar } from '../lib/cli/image';
import { type InputSpec, imagePrepFor, listCalibration, loadInputFile, loadSample, npyToTensor } from '../lib/cli/inputs';
import { encodeNpy, parseNpy, readNpy } from '../lib/cli/npy';
import { FIXTURES, debianTestSet, readBundled, readIdx } from '../lib/cli/fashion';

const golden = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'cli_golden.json'), 'utf8')) as {
  resize: { in: [number, number]; out: [number, number]; src: number[]; pil: number[] }[];
  gray: { rgb: number[][]; L: number[] };
  npy: { dtype: string; shape: number[]; values: number[]; bytes: string; version?: number[]; fortran?: boolean; bigEndian?: boolean }[];
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qint8-cli-files-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function png(width: number, height: number, rgba: (x: number, y: number) => [number, number, number, number]): Buffer {
  const p = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) p.data.set(rgba(x, y), 4 * (y * width + x));
  return PNG.sync.write(p);
}

describe('.npy reader and writer', () => {
  for (const g of golden.npy.filter((n) => !n.fortran && !n.bigEndian)) {
    it(`reads NumPy's ${g.dtype} (${g.shape.join(', ')})${g.version ? ` format ${g.version.join('.')}` : ''}, and writes the same bytes`, () => {
      const bytes = Buffer.from(g.bytes, 'base64');
      const a = parseNpy(bytes, 'x.npy');
      expect(a.dtype).toBe(g.dtype);
      expect(a.shape).toEqual(g.shape);
      const values = Array.from(a.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(v) : v));
      if (g.dtype === 'float32') expect(values).toEqual(g.values.map(Math.fround));
      else expect(values).toEqual(g.values);
      // Our writer produces NumPy's version 1.0 layout byte for byte.
      if (!g.version) expect(Buffer.from(encodeNpy(a)).equals(bytes)).toBe(true);
    });
  }

  it('round-trips every dtype it writes through a file', () => {
    const arrays = [
      { dtype: 'float32', data: Float32Array.of(1.5, -0, NaN, Infinity), shape: [2, 2] },
      { dtype: 'float64', data: Float64Array.of(Math.PI), shape: [1] },
      { dtype: 'uint8', data: Uint8Array.of(0, 255, 7), shape: [3] },
      { dtype: 'int8', data: Int8Array.of(-128, 127), shape: [1, 2] },
      { dtype: 'int32', data: Int32Array.of(-5), shape: [] },
      { dtype: 'int64', data: BigInt64Array.of(-(2n ** 62n), 5n), shape: [2] },
    ] as const;
    for (const a of arrays) {
      const f = path.join(tmp, `rt-${a.dtype}.npy`);
      fs.writeFileSync(f, encodeNpy(a));
      const b = readNpy(f);
      expect(b.dtype).toBe(a.dtype);
      expect(b.shape).toEqual(a.shape);
      expect(Buffer.from(b.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(true);
      expect((fs.statSync(f).size - a.data.byteLength) % 64).toBe(0); // data 64-byte aligned, as NumPy writes
    }
  });

  it('refuses Fortran-order and big-endian files, truncated data and non-.npy bytes with clear messages', () => {
    const fortran = golden.npy.find((n) => n.fortran)!;
    expect(() => parseNpy(Buffer.from(fortran.bytes, 'base64'), 'f.npy')).toThrow(/^f\.npy: fortran_order=True is not supported; save a C-order array/);
    const be = golden.npy.find((n) => n.bigEndian)!;
    expect(() => parseNpy(Buffer.from(be.bytes, 'base64'), 'b.npy')).toThrow(/^b\.npy: big-endian data \('>f4'\) is not supported/);
    const ok = Buffer.from(golden.npy[0].bytes, 'base64');
    expect(() => parseNpy(ok.subarray(0, ok.length - 1), 't.npy')).toThrow(/^t\.npy: truncated data: shape \(2, 3\) float32 needs 24 bytes, the file has 23/);
    expect(() => parseNpy(ok.subarray(0, 40), 't.npy')).toThrow(/^t\.npy: truncated header/);
    expect(() => parseNpy(Buffer.from('hello world, not numpy'), 'h.npy')).toThrow(/^h\.npy: not a \.npy file/);
    const c16 = Buffer.from(ok);
    c16.write("'<c8'", ok.indexOf("'<f4'"), 'latin1');
    expect(() => parseNpy(c16, 'c.npy')).toThrow(/^c\.npy: unsupported dtype '<c8'/);
    expect(() => readNpy(path.join(tmp, 'missing.npy'))).toThrow(/cannot read .*missing\.npy: no such file/);
  });
});

describe('images', () => {
  it('decodes PNG (gray, RGB, RGBA) to RGBA', () => {
    const p = png(3, 2, (x, y) => [10 * x, 20 * y, 30, 200]);
    const img = decodeImage(p, 'a.png');
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.data.subarray(4 * 5, 4 * 6))).toEqual([20, 20, 30, 200]);
    const gray = new PNG({ width: 2, height: 1, colorType: 0, inputColorType: 0, inputHasAlpha: false } as never);
    gray.data = Buffer.from([5, 250]);
    const g = decodeImage(PNG.sync.write(gray, { colorType: 0, inputColorType: 0, inputHasAlpha: false } as never));
    expect(Array.from(g.data)).toEqual([5, 5, 5, 255, 250, 250, 250, 255]);
  });

  it('decodes JPEG (a flat color survives quality-100 compression within 2 levels)', () => {
    // Tolerance: JPEG is lossy; a flat 16x16 block at quality 100 keeps only the DC term, and the
    // RGB <-> YCbCr conversions round, which can move a channel by 1 (2 allowed).
    const w = 16;
    const data = Buffer.alloc(w * w * 4);
    for (let i = 0; i < w * w; i++) data.set([200, 120, 40, 255], 4 * i);
    const enc = jpeg.encode({ width: w, height: w, data }, 100).data;
    const img = decodeImage(enc, 'c.jpg');
    expect([img.width, img.height]).toEqual([w, w]);
    for (let i = 0; i < w * w; i++) for (let c = 0; c < 3; c++) expect(Math.abs(img.data[4 * i + c] - [200, 120, 40][c])).toBeLessThanOrEqual(2);
  });

  it('refuses files that are neither PNG nor JPEG, and corrupt images, naming the file', () => {
    expect(() => decodeImage(Buffer.from('GIF89a....'), 'x.png')).toThrow(/^x\.png: not a PNG or JPEG image$/);
    const p = png(4, 4, () => [1, 2, 3, 255]);
    expect(() => decodeImage(p.subarray(0, 40), 'cut.png')).toThrow(/^cut\.png: cannot decode the image/);
  });

  it("gray conversion is Pillow's convert('L')", () => {
    const { rgb, L } = golden.gray;
    const p = png(rgb.length, 1, (x) => [rgb[x][0], rgb[x][1], rgb[x][2], 255]);
    const chw = imageToChw(decodeImage(p), { channels: 1, height: 1, width: rgb.length });
    expect(Array.from(chw, (v) => Math.round(v * 255))).toEqual(L);
    expect(Array.from(chw)).toEqual(L.map((v) => Math.fround(v / 255)));
  });

  it("resize equals Pillow's BILINEAR (mode F) within float32 rounding", () => {
    // Tolerance: Pillow stores its horizontal pass and its output in float32 (one rounding each,
    // at most 2^-24 relative on values <= 255), qint8 keeps doubles: |diff| <= 255 * 2^-23.
    for (const c of golden.resize) {
      const out = resizePlanar(Float64Array.from(c.src), 1, c.in[0], c.in[1], c.out[0], c.out[1]);
      expect(out.length).toBe(c.pil.length);
      let worst = 0;
      for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - c.pil[i]));
      expect(worst, `${c.in} -> ${c.out}`).toBeLessThanOrEqual(255 * 2 ** -23);
    }
  });

  it('lays out RGB as CHW, scaled to [0, 1] and normalised per channel', () => {
    const p = png(2, 2, (x, y) => [x * 255, y * 255, 51, 255]);
    const chw = imageToChw(decodeImage(p), { channels: 3, height: 2, width: 2, mean: [0.5, 0.25, 0.2], std: [0.5, 0.25, 0.1] });
    const f = Math.fround;
    expect(Array.from(chw)).toEqual([
      ...[0, 1, 0, 1].map((v) => f((v - 0.5) / 0.5)),
      ...[0, 0, 1, 1].map((v) => f((v - 0.25) / 0.25)),
      ...[0.2, 0.2, 0.2, 0.2].map((v) => f((v - 0.2) / 0.1)),
    ]);
    // A gray image feeds a 3-channel input as three equal planes.
    const g = imageToChw(decodeImage(png(1, 1, () => [9, 9, 9, 255])), { channels: 3, height: 1, width: 1 });
    expect(Array.from(g)).toEqual([9, 9, 9].map((v) => f(v / 255)));
  });
});

describe('files as model inputs', () => {
  const image: InputSpec = { name: 'image', type: 'float32', shape: ['batch', 1, 28, 28] };
  const f32 = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

  it('.npy: the exact shape, or without the batch dim (a batch of one is added)', () => {
    expect(npyToTensor(f32([4, 1, 28, 28]), image, 'a.npy').dims).toEqual([4, 1, 28, 28]);
    expect(npyToTensor(f32([1, 28, 28]), image, 'a.npy').dims).toEqual([1, 1, 28, 28]);
    expect(() => npyToTensor(f32([1, 28, 27]), image, 'a.npy')).toThrow(
      "a.npy: shape (1, 28, 27) does not fit input 'image' [batch, 1, 28, 28]: dim 3 is 27, expected [batch, 1, 28, 28] or [1, 28, 28] without the batch dim",
    );
    expect(() => npyToTensor(f32([28, 28]), image, 'a.npy')).toThrow(/a\.npy: shape \(28, 28\) does not fit input 'image' \[batch, 1, 28, 28\]: expected/);
    const fixed: InputSpec = { name: 'x', type: 'float32', shape: [2, 3] };
    expect(() => npyToTensor(f32([3]), fixed, 'b.npy')).toThrow("b.npy: shape (3) does not fit input 'x' [2, 3]");
    const sym: InputSpec = { name: 'x', type: 'float32', shape: ['n', 'n'] };
    expect(() => npyToTensor(f32([2, 3]), sym, 'c.npy')).toThrow(/dim 1 is 3/);
  });

  it('.npy: converts by value to the input type, refuses lossy conversions', () => {
    const u8 = { dtype: 'uint8' as const, shape: [1, 28, 28], data: new Uint8Array(784).fill(200) };
    const t = npyToTensor(u8, image, 'u.npy');
    expect(t.type).toBe('float32');
    expect((t.data as Float32Array)[0]).toBe(200);
    const f64 = { dtype: 'float64' as const, shape: [1, 28, 28], data: new Float64Array(784).fill(0.1) };
    expect((npyToTensor(f64, image, 'd.npy').data as Float32Array)[5]).toBe(Math.fround(0.1));
    const ids: InputSpec = { name: 'ids', type: 'int64', shape: ['b', 'seq'] };
    const i32 = { dtype: 'int32' as const, shape: [1, 3], data: Int32Array.of(101, 7, 102) };
    const ti = npyToTensor(i32, ids, 'i.npy');
    expect(ti.type).toBe('int64');
    expect(Array.from(ti.data as BigInt64Array)).toEqual([101n, 7n, 102n]);
    expect(() => npyToTensor(f32([1, 3]), ids, 'f.npy')).toThrow("f.npy: float32 data cannot feed input 'ids' [b, seq] of type int64 (accepted: int64, int32, uint8, int8)");
  });

  it('images: NCHW inputs with 1 or 3 channels; dynamic H / W need --size', () => {
    const file = path.join(tmp, 'shirt.png');
    fs.writeFileSync(file, png(56, 56, (x, y) => [(x * 4) % 256, (y * 4) % 256, 100, 255]));
    const t = loadInputFile(file, image, { mean: [0.5], std: [0.25] });
    expect(t.dims).toEqual([1, 1, 28, 28]);
    const rgbDyn: InputSpec = { name: 'pixels', type: 'float32', shape: ['n', 3, 'h', 'w'] };
    expect(() => imagePrepFor(rgbDyn, {})).toThrow("input 'pixels' [n, 3, h, w] has a dynamic height or width: give the image size with --size HxW");
    expect(loadInputFile(file, rgbDyn, { size: [10, 20] }).dims).toEqual([1, 3, 10, 20]);
    expect(() => imagePrepFor(image, { size: [32, 32] })).toThrow("--size 32x32 contradicts input 'image' [batch, 1, 28, 28] (H x W = 28x28)");
    expect(() => imagePrepFor({ name: 'x', type: 'float32', shape: [1, 4, 8, 8] }, {})).toThrow(/1 \(gray\) or 3 \(RGB\) channels in dim 1 \(NCHW\); input 'x' \[1, 4, 8, 8\] has 4: use \.npy files/);
    expect(() => imagePrepFor({ name: 'x', type: 'float32', shape: [1, 784] }, {})).toThrow(/images feed NCHW inputs \(rank 4\); input 'x' \[1, 784\] has rank 2/);
    expect(() => imagePrepFor({ name: 'ids', type: 'int64', shape: [1, 3, 8, 8] }, {})).toThrow(/images can only feed float32 inputs/);
    expect(() => imagePrepFor(rgbDyn, { size: [8, 8], mean: [0.1, 0.2] })).toThrow("--mean has 2 values, input 'pixels' [n, 3, h, w] has 3 channels");
    expect(() => loadInputFile(path.join(tmp, 'notes.txt'), image, {})).toThrow(/notes\.txt: not a \.npy, \.png, \.jpg or \.jpeg file/);
  });
});

describe('calibration folders', () => {
  const image: InputSpec = { name: 'image', type: 'float32', shape: ['batch', 1, 28, 28] };
  const dir = (name: string, files: Record<string, Uint8Array | string>) => {
    const d = path.join(tmp, name);
    for (const [f, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
      fs.writeFileSync(path.join(d, f), content);
    }
    return d;
  };
  const npy = (shape: number[], fill = 0) => encodeNpy({ dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) });

  it('one-input models: files in natural name order, images and .npy mixed, other files ignored', () => {
    const d = dir('flat', {
      'img10.npy': npy([1, 28, 28], 10),
      'img2.npy': npy([1, 1, 28, 28], 2),
      'img1.png': png(28, 28, () => [0, 0, 0, 255]),
      'labels.csv': 'x',
      '.DS_Store': 'x',
      's3/image.npy': npy([1, 28, 28], 3),
    });
    const { samples, ignored } = listCalibration(d, [image]);
    expect(samples.map((s) => path.relative(d, s.label))).toEqual(['img1.png', 'img2.npy', 'img10.npy', 's3']);
    expect(ignored.map((f) => path.basename(f))).toEqual(['labels.csv']);
    const feeds = loadSample(samples[2], [image], {});
    expect(feeds.image.dims).toEqual([1, 1, 28, 28]);
    expect((feeds.image.data as Float32Array)[0]).toBe(10);
    expect(() => listCalibration(d, [image], 'img')).toThrow("--input-name img is not an input of the model (inputs: image)");
  });

  it('several inputs: one subfolder per sample with <input>.npy; flat files are refused with the layout', () => {
    const ids: InputSpec = { name: 'input_ids', type: 'int64', shape: ['b', 's'] };
    const mask: InputSpec = { name: 'attention_mask', type: 'int64', shape: ['b', 's'] };
    const i64 = (v: number[]) => encodeNpy({ dtype: 'int64', shape: [1, v.length], data: BigInt64Array.from(v.map(BigInt)) });
    const d = dir('multi', { 'a/input_ids.npy': i64([1, 2]), 'a/attention_mask.npy': i64([1, 1]), 'b/input_ids.npy': i64([3, 4, 5]), 'b/attention_mask.npy': i64([1, 1, 0]) });
    const { samples } = listCalibration(d, [ids, mask]);
    expect(samples.length).toBe(2);
    const f = loadSample(samples[1], [ids, mask], {});
    expect(f.input_ids.dims).toEqual([1, 3]);
    expect(Array.from(f.attention_mask.data as BigInt64Array)).toEqual([1n, 1n, 0n]);

    const missing = dir('multi-missing', { 'a/input_ids.npy': i64([1]) });
    expect(() => listCalibration(missing, [ids, mask])).toThrow(/multi-missing\/a: no file for input 'attention_mask' \(a sample folder holds input_ids\.npy, attention_mask\.npy\)/);
    const stray = dir('multi-stray', { 'a/input_ids.npy': i64([1]), 'a/attention_mask.npy': i64([1]), 'a/token_type_ids.npy': i64([0]) });
    expect(() => listCalibration(stray, [ids, mask])).toThrow(/token_type_ids\.npy: 'token_type_ids' is not an input of the model/);
    const flat = dir('multi-flat', { 'x.npy': i64([1]) });
    expect(() => listCalibration(flat, [ids, mask])).toThrow(/x\.npy: the model has 2 inputs \(input_ids, attention_mask\): put each calibration sample in its own subfolder holding input_ids\.npy, attention_mask\.npy/);
  });

  it('missing, empty and non-folder paths', () => {
    expect(() => listCalibration(path.join(tmp, 'nope'), [image])).toThrow(/calibration folder .*nope does not exist/);
    const empty = dir('empty', { 'readme.txt': 'nothing here' });
    expect(() => listCalibration(empty, [image])).toThrow(/calibration folder .*empty has no samples \(\.npy, \.png, \.jpg or \.jpeg files\)/);
    expect(() => listCalibration(path.join(empty, 'readme.txt'), [image])).toThrow(/--calib .*readme\.txt is not a folder/);
  });
});

describe("the demo's data", () => {
  it('the bundled evaluation subset: 1000 images, 100 per class; equal to the official test set when installed', () => {
    const b = readBundled(path.join(FIXTURES, 'fashion_mnist_eval.bin'), 'eval');
    expect(b.count).toBe(1000);
    for (let c = 0; c < 10; c++) expect(Array.from(b.labels.subarray(c * 100, (c + 1) * 100)).every((l) => l === c)).toBe(true);
    const official = debianTestSet();
    if (!official) return; // dataset-fashion-mnist not installed: nothing to compare with
    expect(official.count).toBe(10000);
    // The first 100 of each class, in the official order.
    const seen = new Array<number>(10).fill(0);
    let k = 0;
    const want = new Uint8Array(1000 * 784);
    for (let c = 0; c < 10; c++)
      for (let i = 0; i < official.count && seen[c] < 100; i++)
        if (official.labels[i] === c) {
          want.set(official.images.subarray(i * 784, (i + 1) * 784), k++ * 784);
          seen[c]++;
        }
    expect(Buffer.compare(Buffer.from(b.images), Buffer.from(want))).toBe(0);
  });

  it('idx files: gzipped or not; anything else is refused by name', () => {
    const raw = Buffer.concat([Buffer.from([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]), Buffer.from([1, 2, 3, 4, 5, 6])]);
    const f1 = path.join(tmp, 'a.idx');
    const f2 = path.join(tmp, 'a.idx.gz');
    fs.writeFileSync(f1, raw);
    fs.writeFileSync(f2, zlib.gzipSync(raw));
    for (const f of [f1, f2]) {
      const r = readIdx(f);
      expect(r.dims).toEqual([2, 3]);
      expect(Array.from(r.data)).toEqual([1, 2, 3, 4, 5, 6]);
    }
    const bad = path.join(tmp, 'b.idx');
    fs.writeFileSync(bad, Buffer.from('hello world'));
    expect(() => readIdx(bad)).toThrow(`${bad}: not a uint8 idx file`);
    fs.writeFileSync(bad, raw.subarray(0, raw.length - 1));
    expect(() => readIdx(bad)).toThrow(`${bad}: 5 data bytes, dims [2, 3] need 6`);
  });
});
