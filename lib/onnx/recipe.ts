// Weight-free model recipes (written by scripts/export_models.py): an exported ONNX model with
// its large initializers removed (the skeleton) plus, for each removed tensor, a fill rule. This
// module rebuilds the full ModelProto bytes in memory, deterministically, without Python.
//
// Fill rules:
//   uniform  float32 values uniform in [min, max] (the range of the exported tensor), from a
//            xorshift128+ generator seeded by FNV-1a(name) ^ seed
//   arange   integers i mod period (position ids)
import { ModelProto, TensorProto } from './proto';

export interface RecipeFill {
  name: string;
  dataType: number;
  dims: number[];
  fill: 'uniform' | 'arange';
  min?: number;
  max?: number;
  period?: number;
}

export interface Recipe {
  format: 'qint8-recipe/1';
  name: string;
  source: string;
  opset: number;
  inputs: { name: string; dtype: string; shape: (number | string)[]; range?: [number, number] }[];
  filledElements: number;
  fills: RecipeFill[];
  /** base64 ModelProto without the filled initializers. */
  skeleton: string;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Deterministic uniform [0, 1) generator (xorshift32 variant, 2 words). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  let b = (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0 || 1;
  return () => {
    let t = a ^ (a << 11);
    a = b;
    b = (b ^ (b >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    t = b;
    return t / 4294967296;
  };
}

function fillTensor(f: RecipeFill, seed: number): { name: string; dims: number[]; dataType: number; rawData: Uint8Array } {
  const n = f.dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n) || n < 0 || n > 2 ** 30) throw new RangeError(`recipe tensor ${f.name}: bad dims [${f.dims.join(', ')}]`);
  let data: Float32Array | BigInt64Array | Int32Array;
  if (f.fill === 'uniform') {
    if (f.dataType !== 1) throw new RangeError(`recipe tensor ${f.name}: uniform fill needs float32 (data type 1), got ${f.dataType}`);
    const lo = f.min ?? -1;
    const hi = f.max ?? 1;
    const r = seededUniform(fnv1a(f.name) ^ seed);
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = lo + (hi - lo) * r();
    data = d;
  } else if (f.fill === 'arange') {
    const p = f.period ?? n;
    if (f.dataType === 7) {
      const d = new BigInt64Array(n);
      for (let i = 0; i < n; i++) d[i] = BigInt(i % p);
      data = d;
    } else if (f.dataType === 6) {
      const d = new Int32Array(n);
      for (let i = 0; i < n; i++) d[i] = i % p;
      data = d;
    } else throw new RangeError(`recipe tensor ${f.name}: arange fill needs int32/int64`);
  } else throw new RangeError(`recipe tensor ${f.name}: unknown fill '${String(f.fill)}'`);
  return { name: f.name, dims: f.dims.slice(), dataType: f.dataType, rawData: new Uint8Array(data.buffer) };
}

/** Rebuilds the full ONNX model bytes of a recipe (same seed -> same bytes). */
export function materializeRecipe(recipe: Recipe, seed = 0): Uint8Array {
  if (!recipe || recipe.format !== 'qint8-recipe/1') throw new TypeError('recipe must be a qint8-recipe/1 object');
  const model = ModelProto.decode(Buffer.from(recipe.skeleton, 'base64')) as unknown as { graph: { initializer: unknown[] } };
  for (const f of recipe.fills) model.graph.initializer.push(TensorProto.fromObject(fillTensor(f, seed)));
  return ModelProto.encode(model as never).finish();
}
