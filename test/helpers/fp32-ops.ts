// Runs one ONNX operator on onnxruntime-node and as a registered qint8 engine op, for the float32
// / data-movement op tests: the op's outputs are allocated with onnxruntime's output shapes and
// types (shape inference is the compiler's job), then compared with an explicit rule.
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { type AttrValue, type ElemTypeName, type OpTensor, type TensorData, createOp } from '../../lib/engine/ops';
import { cpuInfo } from '../../lib';
import { type OnnxAttribute, type OnnxTensor, encodeModel } from '../../lib/onnx/proto';

export { rng } from './onnx';

const ONNX_TYPE: Record<ElemTypeName, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };
const ORT_TYPE: Record<ElemTypeName, ort.Tensor.Type> = {
  float32: 'float32',
  uint8: 'uint8',
  int8: 'int8',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  float64: 'float64',
};

export type Isa = 'scalar' | 'avx2' | 'avx512vnni';
/** The ISA tiers this CPU runs (every op is compared on each). */
export function isas(): Isa[] {
  const s = cpuInfo().supportedIsas as string[];
  return (['scalar', 'avx2', 'avx512vnni'] as const).filter((i) => s.includes(i));
}

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function t(type: ElemTypeName, shape: number[], values: ArrayLike<number | bigint>): OpTensor {
  const n = numel(shape);
  let data: TensorData;
  switch (type) {
    case 'float32': data = Float32Array.from(values as ArrayLike<number>); break;
    case 'float64': data = Float64Array.from(values as ArrayLike<number>); break;
    case 'int32': data = Int32Array.from(values as ArrayLike<number>); break;
    case 'int8': data = Int8Array.from(values as ArrayLike<number>); break;
    case 'int64': data = BigInt64Array.from(Array.from(values as ArrayLike<number | bigint>, (v) => BigInt(v))); break;
    default: data = Uint8Array.from(values as ArrayLike<number>); break;
  }
  if (data.length !== n) throw new Error(`t(): ${data.length} values for shape [${shape.join(', ')}]`);
  return { type, shape, data };
}
export const i64 = (values: number[], shape?: number[]) => t('int64', shape ?? [values.length], values);
export const f32s = (values: number[], shape?: number[]) => t('float32', shape ?? [values.length], values);

type Rng = { next(): number; float(lo: number, hi: number): number; int(lo: number, hi: number): number };
export function randF32(shape: number[], r: Rng, lo = -4, hi = 4): OpTensor {
  return { type: 'float32', shape, data: Float32Array.from({ length: numel(shape) }, () => r.float(lo, hi)) };
}

function onnxAttr(name: string, v: AttrValue): OnnxAttribute {
  if (typeof v === 'number') return { name, type: 2, i: v };
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v as number[] };
  const k = v as { kind: string; value: unknown };
  if (k.kind === 'float') return { name, type: 1, f: k.value as number };
  if (k.kind === 'floats') return { name, type: 6, floats: k.value as number[] };
  return { name, type: 4, t: onnxTensor(name, k.value as OpTensor) };
}

function onnxTensor(name: string, x: OpTensor): OnnxTensor {
  const d = x.data;
  return { name, dims: [...x.shape], dataType: ONNX_TYPE[x.type], rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
}

export interface OpCase {
  op: string;
  /** onnxruntime's domain/op when it differs from ours (e.g. qint8::ResizeNhwc has none). */
  attrs?: Record<string, AttrValue>;
  /** undefined = omitted optional input. */
  inputs: (OpTensor | undefined)[];
  /** Output element types (default: input 0's type), one per output. */
  outTypes?: ElemTypeName[];
  opset?: number;
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** Runs the case on onnxruntime (one thread) and returns its outputs. */
export async function runOrt(c: OpCase): Promise<OpTensor[]> {
  const outTypes = c.outTypes ?? [c.inputs[0]!.type];
  const names = c.inputs.map((x, i) => (x ? `in${i}` : ''));
  const model = encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: c.opset ?? 18 }],
    producerName: 'qint8-tests',
    graph: {
      name: 'g',
      node: [
        {
          opType: c.op,
          input: names,
          output: outTypes.map((_, i) => `out${i}`),
          attribute: Object.entries(c.attrs ?? {}).map(([k, v]) => onnxAttr(k, v)),
        },
      ],
      input: c.inputs.flatMap((x, i) =>
        x
          ? [{ name: `in${i}`, type: { tensorType: { elemType: ONNX_TYPE[x.type], shape: { dim: x.shape.map((d) => ({ dimValue: d })) } } } }]
          : [],
      ),
      output: outTypes.map((ty, i) => ({ name: `out${i}`, type: { tensorType: { elemType: ONNX_TYPE[ty] } } })),
    },
  });
  const key = Buffer.from(model).toString('base64');
  let s = sessions.get(key);
  if (!s) {
    s = ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
    sessions.set(key, s);
  }
  const session = await s;
  const feeds: Record<string, ort.Tensor> = {};
  c.inputs.forEach((x, i) => {
    if (x) feeds[`in${i}`] = new ort.Tensor(ORT_TYPE[x.type], x.data as Float32Array, [...x.shape]);
  });
  const res = await session.run(feeds);
  if (sessions.size > 200) sessions.clear();
  return outTypes.map((ty, i) => {
    const o = res[`out${i}`];
    return { type: ty, shape: [...o.dims].map(Number), data: o.data as TensorData };
  });
}

function allocLike(x: OpTensor): OpTensor {
  const n = numel(x.shape);
  const C = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array }[
    x.type
  ];
  return { type: x.type, shape: x.shape, data: new C(n) };
}

/** Runs the case as a qint8 op on `isa` with the given output shapes / types. */
export function runQ(c: OpCase, like: OpTensor[], isa?: Isa, domain = '', name = c.op): OpTensor[] {
  const op = createOp(domain, name, c.attrs ?? {}, c.inputs.map((x) => (x ? null : undefined)), isa);
  const outs = like.map(allocLike);
  op.run(c.inputs, outs);
  return outs;
}

// ---- comparisons ----------------------------------------------------------------------------

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);
/** Distance in float32 units in the last place (as ordered integers). */
export function ulpDist(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  const ord = (v: number) => {
    f32buf[0] = v;
    const u = u32buf[0];
    return u & 0x80000000 ? -(u & 0x7fffffff) : u;
  };
  return Math.abs(ord(a) - ord(b));
}

export interface Tol {
  /** Max ulp distance. */
  ulp?: number;
  /** |a - b| <= abs + rel * |b| (either alone or with ulp: passing either is enough). */
  abs?: number;
  rel?: number;
  /** Per-element absolute bound (overrides abs). */
  absOf?: (i: number) => number;
}

/** Expects `got` to equal `want` bit for bit (NaN == NaN; +0 and -0 distinguished). */
export function expectExact(got: OpTensor, want: OpTensor, what: string): void {
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  const g = got.data as ArrayLike<number | bigint>;
  const w = want.data as ArrayLike<number | bigint>;
  for (let i = 0; i < w.length; i++) {
    const a = g[i];
    const b = w[i];
    if (typeof a === 'number' && Number.isNaN(a) && Number.isNaN(b as number)) continue;
    if (!Object.is(a, b)) expect.fail(`${what}: index ${i}: got ${a}, onnxruntime ${b}`);
  }
}

/** Expects got within a tolerance of want; returns the max ulp distance seen. */
export function expectClose(got: OpTensor, want: OpTensor, tol: Tol, what: string): number {
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  const g = got.data as Float32Array;
  const w = want.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < w.length; i++) {
    const a = g[i];
    const b = w[i];
    const u = ulpDist(a, b);
    worst = Math.max(worst, u);
    if (u === 0) continue;
    const okUlp = tol.ulp !== undefined && u <= tol.ulp;
    const bound = (tol.absOf ? tol.absOf(i) : (tol.abs ?? 0)) + (tol.rel ?? 0) * Math.abs(b);
    const okAbs = (tol.abs !== undefined || tol.rel !== undefined || tol.absOf !== undefined) && Math.abs(a - b) <= bound;
    if (!okUlp && !okAbs) expect.fail(`${what}: index ${i}: got ${a}, onnxruntime ${b} (${u} ulp; tolerance ${JSON.stringify(tol)})`);
  }
  return worst;
}

/** Runs a case on onnxruntime and on every ISA; compares each with `check`. */
export async function compareWithOrt(
  c: OpCase,
  check: (got: OpTensor, want: OpTensor, what: string, k: number) => void,
  opts: { domain?: string; name?: string; what?: string } = {},
): Promise<OpTensor[]> {
  const want = await runOrt(c);
  for (const isa of isas()) {
    const got = runQ(c, want, isa, opts.domain, opts.name);
    got.forEach((g, k) => check(g, want[k], `${opts.what ?? c.op} [${isa}] output ${k}`, k));
  }
  return want;
}

export const exact = (got: OpTensor, want: OpTensor, what: string) => expectExact(got, want, what);

/** Like expectExact, but +0 and -0 compare equal (for the cases documented at the call). */
export function exactValue(got: OpTensor, want: OpTensor, what: string): void {
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  const g = got.data as ArrayLike<number>;
  const w = want.data as ArrayLike<number>;
  for (let i = 0; i < w.length; i++) {
    if (Number.isNaN(g[i]) && Number.isNaN(w[i])) continue;
    if (g[i] !== w[i]) expect.fail(`${what}: index ${i}: got ${g[i]}, onnxruntime ${w[i]}`);
  }
}
