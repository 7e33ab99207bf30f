// The demo's data: the bundled Fashion-MNIST CNN, its calibration images, and an evaluation set
// (the official 10,000 test images when Debian's dataset-fashion-mnist is installed, else the
// bundled subset of 1,000 of them). Images are 28 x 28 uint8; the model reads pixel / 255.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** The package root (dist/cli/.. /.. or lib/cli/../..). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'models');
export const DEBIAN_FASHION = '/usr/share/datasets/fashion-mnist';

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export interface LabeledImages {
  /** count x 28 x 28 uint8. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  source: string;
}

/** An idx file (the MNIST format: big-endian magic 0x0000 <type 0x08 = uint8> <rank>, dims, data), gzipped or not. */
export function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  let b = fs.readFileSync(file);
  if (b[0] === 0x1f && b[1] === 0x8b) b = zlib.gunzipSync(b);
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0 || b[2] !== 0x08) throw new Error(`${file}: not a uint8 idx file`);
  const rank = b[3];
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(b.readUInt32BE(4 + 4 * i));
  const start = 4 + 4 * rank;
  const n = dims.reduce((a, c) => a * c, 1);
  if (b.length - start !== n) throw new Error(`${file}: ${b.length - start} data bytes, dims [${dims.join(', ')}] need ${n}`);
  return { dims, data: new Uint8Array(b.buffer, b.byteOffset + start, n) };
}

/** The official test set from Debian's dataset-fashion-mnist, or undefined when not installed. */
export function debianTestSet(dir = DEBIAN_FASHION): LabeledImages | undefined {
  const img = path.join(dir, 't10k-images-idx3-ubyte.gz');
  const lab = path.join(dir, 't10k-labels-idx1-ubyte.gz');
  if (!fs.existsSync(img) || !fs.existsSync(lab)) return undefined;
  const i = readIdx(img);
  const l = readIdx(lab);
  if (i.dims.length !== 3 || i.dims[1] !== 28 || i.dims[2] !== 28 || l.dims[0] !== i.dims[0]) throw new Error(`${dir}: unexpected test set dims`);
  return { images: i.data, labels: l.data, count: i.dims[0], source: `the official ${i.dims[0].toLocaleString('en')} test images (${dir})` };
}

/** A bundled .bin: count 28x28 images, then count labels. */
export function readBundled(file: string, what: string): LabeledImages {
  const b = fs.readFileSync(file);
  if (b.length % 785 !== 0) throw new Error(`${file}: ${b.length} bytes is not a whole number of 28x28 images + labels`);
  const count = b.length / 785;
  const u = new Uint8Array(b.buffer, b.byteOffset, b.length);
  return { images: u.subarray(0, count * 784), labels: u.subarray(count * 784), count, source: `${what} (${path.relative(PACKAGE_ROOT, file)})` };
}

export function evaluationSet(): LabeledImages {
  return debianTestSet() ?? readBundled(path.join(FIXTURES, 'fashion_mnist_eval.bin'), `the bundled 1,000 of the 10,000 test images, 100 per class (dataset-fashion-mnist is not installed)`);
}

export function calibrationSet(): LabeledImages {
  return readBundled(path.join(FIXTURES, 'fashion_mnist_calib.bin'), '200 training images, 20 per class');
}

/** Images [from, from + n) as the model's float input [n, 1, 28, 28] (pixel / 255). */
export function toInput(set: LabeledImages, from: number, n: number): Float32Array {
  const x = new Float32Array(n * 784);
  const src = set.images.subarray(from * 784, (from + n) * 784);
  for (let i = 0; i < src.length; i++) x[i] = src[i] / 255;
  return x;
}
