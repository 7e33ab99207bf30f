// The op registry: for every op qint8 accepts, its canonical form (inputs, outputs, attributes with
// types and defaults), the opsets it is accepted from, how older forms are normalised into the
// canonical one, shape and type inference, and constant evaluation where folding is exact.
//
// Canonical form = the op as defined in ONNX opset 21 (Clip bounds, Slice/Squeeze/Unsqueeze/
// Reduce axes, Pad pads and Split sizes as inputs; Softmax over one axis; Resize-19 attributes).
// Internal ops (domain 'qint8') are produced by the passes.
//
// docs/OPS.md is generated from this table by scripts/gen-op-table.js.
import { type AttrValue, type Dim, type Node, type Shape, GraphError } from '../graph/ir';
import { addDims, divDims, floorDivDims, isKnown, mulDims, prodDims, sameDim, subDims } from '../graph/dims';
import {
  arith,
  broadcastConcrete,
  castTensor,
  concatTensors,
  elementwise,
  gatherFlat,
  sliceTensor,
  strides,
  transposeTensor,
} from '../graph/const-eval';
import { type DType, type Tensor, dtypeFromOnnx, getNum, isBig, isFloat, makeTensor, numel, onnxTypeName, toInts } from '../graph/tensor';

export type AttrType = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'strings' | 'tensor';

export interface AttrSpec {
  type: AttrType;
  /** Value when absent (undefined = no default: absent means "not given"). */
  default?: AttrValue;
  required?: boolean;
}

/** What inference knows about one input. */
export interface InInfo {
  name: string;
  dtype?: DType;
  shape?: Shape;
  /** The value, when the input is a constant. */
  value?: Tensor;
  /** The values of a small integer tensor when known as dims (data propagation through shape math). */
  sym?: Dim[];
}

export interface OutInfo {
  dtype?: DType;
  shape?: Shape;
  sym?: Dim[];
}

/** Passed to an op's infer(). */
export class InferCtx {
  constructor(
    readonly node: Node,
    readonly spec: OpSpec,
    readonly ins: (InInfo | undefined)[],
    private readonly mkSym: (hint: string) => string,
  ) {}

  in(i: number): InInfo | undefined {
    return this.ins[i];
  }
  dtype(i: number): DType | undefined {
    return this.ins[i]?.dtype;
  }
  shape(i: number): Shape | undefined {
    return this.ins[i]?.shape;
  }
  rank(i: number): number | undefined {
    return this.ins[i]?.shape?.length;
  }
  has(i: number): boolean {
    return this.ins[i] !== undefined;
  }
  attr<T extends AttrValue>(name: string): T {
    return attrOf(this.node, this.spec, name) as T;
  }
  /** Known integer values of input i (a constant), else undefined. */
  ints(i: number): number[] | undefined {
    const v = this.ins[i]?.value;
    return v ? toInts(v) : undefined;
  }
  /** Known values of input i as dims (constant, or propagated symbols). */
  dims(i: number): Dim[] | undefined {
    const inf = this.ins[i];
    if (!inf) return undefined;
    if (inf.value && !isFloat(inf.value.dtype)) return toInts(inf.value);
    return inf.sym;
  }
  fresh(hint = 'd'): string {
    return this.mkSym(`${this.node.name}_${hint}`);
  }
  fail(msg: string): never {
    throw new GraphError(`node ${this.node.name} (${this.node.opType}): ${msg}`);
  }
  /** Normalises an axis against a rank, with a clear error when out of range. */
  axis(a: number, rank: number, what = 'axis'): number {
    if (!Number.isInteger(a) || a < -rank || a >= rank) this.fail(`${what} ${a} is out of range for rank ${rank}`);
    return a < 0 ? a + rank : a;
  }
}

/** Hooks for normalisation: add constants and nodes while rewriting a node into canonical form. */
export interface NormalizeCtx {
  opset: number;
  /** Adds an int64 constant (1-D, or a scalar with scalar=true) and returns its name. */
  int64(values: number[], scalar?: boolean): string;
  float(value: number): string;
  /** The shape of a value defined before the node (inferred so far). */
  shape(name: string): Shape | undefined;
  /** A constant of any type. */
  constant(t: Tensor, base?: string): string;
  /** Adds a node before the one being normalised; returns its output names. */
  node(opType: string, inputs: string[], attrs?: Record<string, AttrValue>, outputs?: number): string[];
  fail(msg: string): never;
}

export interface OpSpec {
  opType: string;
  domain: string;
  /** First default-domain opset in which the op is accepted (internal ops: 1). */
  since: number;
  /** Last opset in which it exists (ops removed from ONNX, e.g. Upsample). */
  until?: number;
  /** Canonical inputs: names; a trailing '?' marks optional, a leading '...' variadic. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrSpec>;
  /** Allowed input element types (checked on input 0 unless `typeInputs` says otherwise). */
  types?: 'float' | 'numeric' | 'bool' | 'any';
  /** One line for docs/OPS.md. */
  doc: string;
  /** Old-opset forms accepted and how they are normalised (for docs/OPS.md). */
  oldForms?: string;
  /** Rewrites an older form in place (node attrs/inputs) into the canonical form. */
  normalize?(node: Node, ctx: NormalizeCtx): void;
  infer(ctx: InferCtx): OutInfo[];
  /** Constant evaluation (exact ops only). Return undefined to decline. */
  evaluate?(ins: (Tensor | undefined)[], node: Node, spec: OpSpec): Tensor[] | undefined;
  /** Activation that FusedConv/FusedGemm can absorb. */
  fusable?: boolean;
}

export function attrOf(node: Node, spec: OpSpec, name: string): AttrValue | undefined {
  const v = node.attrs[name];
  if (v !== undefined) return v;
  return spec.attrs[name]?.default;
}

// ---------------------------------------------------------------------------------------------
// Shape helpers

const INF = Number.MAX_SAFE_INTEGER;

export function broadcastShapes(ctx: InferCtx, shapes: (Shape | undefined)[]): Shape | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const ss = shapes as Shape[];
  const r = Math.max(...ss.map((s) => s.length));
  const out: Dim[] = new Array(r).fill(1);
  for (const s of ss)
    for (let i = 0; i < s.length; i++) {
      const j = r - s.length + i;
      const a = out[j];
      const b = s[i];
      if (a === 1) out[j] = b;
      else if (b === 1 || sameDim(a, b)) continue;
      else if (isKnown(a) && isKnown(b)) ctx.fail(`cannot broadcast shapes ${ss.map((x) => `[${x.join(', ')}]`).join(' and ')}`);
      else if (isKnown(b)) out[j] = b; // a symbol broadcast against n > 1 must be 1 or n
      else if (!isKnown(a)) out[j] = ctx.fresh(`bcast${j}`);
    }
  return out;
}

function sameType(ctx: InferCtx, idx: number[]): DType | undefined {
  let t: DType | undefined;
  for (const i of idx) {
    const d = ctx.dtype(i);
    if (!ctx.has(i) || d === undefined) continue;
    if (t === undefined) t = d;
    else if (t !== d) ctx.fail(`input types differ: ${t} and ${d} (input ${i})`);
  }
  return t;
}

function checkTypes(ctx: InferCtx, kind: OpSpec['types'], idx = [0]): void {
  if (!kind || kind === 'any') return;
  for (const i of idx) {
    const d = ctx.dtype(i);
    if (d === undefined) continue;
    const ok = kind === 'float' ? isFloat(d) : kind === 'bool' ? d === 'bool' : d !== 'bool';
    if (!ok) ctx.fail(`input ${i} ('${ctx.in(i)!.name}') must be ${kind === 'numeric' ? 'a numeric' : `a ${kind}`} tensor, got ${d}`);
  }
}

function same(ctx: InferCtx): OutInfo[] {
  const i = ctx.in(0);
  return [{ dtype: i?.dtype, shape: i?.shape?.slice() }];
}

// Convolution / pooling output size on one spatial axis.
function convOut(
  ctx: InferCtx,
  inDim: Dim,
  k: number,
  s: number,
  d: number,
  pb: number,
  pe: number,
  autoPad: string,
  ceil = false,
): Dim {
  const ek = (k - 1) * d + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return isKnown(inDim) ? Math.ceil(inDim / s) : s === 1 ? inDim : floorDivDims(addDims(inDim, s - 1), s);
  if (autoPad === 'VALID') {
    pb = 0;
    pe = 0;
  }
  if (isKnown(inDim)) {
    const span = inDim + pb + pe - ek;
    if (span < 0) ctx.fail(`kernel extent ${ek} is larger than the padded input ${inDim + pb + pe}`);
    let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (ceil && (o - 1) * s >= inDim + pb) o--;
    return o;
  }
  if (s === 1 && pb + pe === ek - 1) return inDim;
  const span = addDims(inDim, pb + pe - ek + (ceil ? s - 1 : 0));
  return addDims(floorDivDims(span, s), 1);
}

interface ConvAttrs {
  kernel: number[];
  strides: number[];
  dil: number[];
  pads: number[];
  autoPad: string;
}

function convAttrs(ctx: InferCtx, nsp: number, kernelFromW?: Dim[]): ConvAttrs {
  let kernel = ctx.attr<number[]>('kernel_shape');
  if (!kernel || kernel.length === 0) {
    if (!kernelFromW || !kernelFromW.every(isKnown)) ctx.fail('kernel_shape is not given and the weight shape is unknown');
    kernel = kernelFromW as number[];
  }
  if (kernel.length !== nsp) ctx.fail(`kernel_shape has ${kernel.length} dims, the input has ${nsp} spatial dims`);
  const strides = ctx.attr<number[]>('strides') ?? new Array(nsp).fill(1);
  const dil = ctx.attr<number[]>('dilations') ?? new Array(nsp).fill(1);
  const pads = ctx.attr<number[]>('pads') ?? new Array(2 * nsp).fill(0);
  if (strides.length !== nsp) ctx.fail(`strides has ${strides.length} values, expected ${nsp}`);
  if (dil.length !== nsp) ctx.fail(`dilations has ${dil.length} values, expected ${nsp}`);
  if (pads.length !== 2 * nsp) ctx.fail(`pads has ${pads.length} values, expected ${2 * nsp}`);
  if (strides.some((s) => s < 1) || dil.some((s) => s < 1) || kernel.some((s) => s < 1) || pads.some((p) => p < 0))
    ctx.fail('strides, dilations and kernel_shape must be >= 1 and pads >= 0');
  return { kernel, strides, dil, pads, autoPad: ctx.attr<string>('auto_pad') ?? 'NOTSET' };
}

function inferConv(ctx: InferCtx): OutInfo[] {
  checkTypes(ctx, 'float', [0, 1]);
  const dt = sameType(ctx, [0, 1, 2]);
  const x = ctx.shape(0);
  const w = ctx.shape(1);
  if (x && x.length < 3) ctx.fail(`input X must have rank >= 3, got [${x.join(', ')}]`);
  if (x && w && w.length !== x.length) ctx.fail(`weight rank ${w.length} differs from input rank ${x.length}`);
  const group = ctx.attr<number>('group');
  if (!(group >= 1)) ctx.fail(`group must be >= 1, got ${group}`);
  if (x && w && isKnown(x[1]) && isKnown(w[1]) && x[1] !== w[1] * group)
    ctx.fail(`input has ${x[1]} channels, weight expects ${w[1]} x group ${group}`);
  if (w && isKnown(w[0]) && w[0] % group !== 0) ctx.fail(`output channels ${w[0]} not divisible by group ${group}`);
  const b = ctx.shape(2);
  if (b && w && (b.length !== 1 || (isKnown(b[0]) && isKnown(w[0]) && b[0] !== w[0]))) ctx.fail(`bias shape [${b.join(', ')}] does not match ${w[0]} output channels`);
  if (!x) return [{ dtype: dt }];
  const nsp = x.length - 2;
  const a = convAttrs(ctx, nsp, w?.slice(2));
  const out: Dim[] = [x[0], w ? w[0] : ctx.fresh('c')];
  for (let i = 0; i < nsp; i++) out.push(convOut(ctx, x[i + 2], a.kernel[i], a.strides[i], a.dil[i], a.pads[i], a.pads[i + nsp], a.autoPad));
  return [{ dtype: dt, shape: out }];
}

function inferConvTranspose(ctx: InferCtx): OutInfo[] {
  checkTypes(ctx, 'float', [0, 1]);
  const dt = sameType(ctx, [0, 1, 2]);
  const x = ctx.shape(0);
  const w = ctx.shape(1);
  const group = ctx.attr<number>('group');
  if (x && x.length < 3) ctx.fail(`input X must have rank >= 3, got [${x.join(', ')}]`);
  if (x && w && isKnown(x[1]) && isKnown(w[0]) && x[1] !== w[0]) ctx.fail(`input has ${x[1]} channels, weight expects ${w[0]}`);
  if (!x) return [{ dtype: dt }];
  const nsp = x.length - 2;
  const a = convAttrs(ctx, nsp, w?.slice(2));
  const outPad = ctx.attr<number[]>('output_padding') ?? new Array(nsp).fill(0);
  const outShape = ctx.attr<number[]>('output_shape');
  const cout = w && isKnown(w[1]) ? w[1] * group : ctx.fresh('c');
  const out: Dim[] = [x[0], cout];
  for (let i = 0; i < nsp; i++) {
    if (outShape && outShape.length) {
      out.push(outShape[outShape.length - nsp + i]);
      continue;
    }
    const ek = (a.kernel[i] - 1) * a.dil[i] + 1;
    const xi = x[i + 2];
    if (a.autoPad === 'SAME_UPPER' || a.autoPad === 'SAME_LOWER') out.push(mulDims(xi, a.strides[i]));
    else {
      const pads = a.autoPad === 'VALID' ? 0 : a.pads[i] + a.pads[i + nsp];
      out.push(addDims(mulDims(subDims(xi, 1), a.strides[i]), outPad[i] + ek - pads));
    }
  }
  return [{ dtype: dt, shape: out }];
}

function inferPool(ctx: InferCtx): OutInfo[] {
  checkTypes(ctx, 'float');
  const x = ctx.shape(0);
  const dt = ctx.dtype(0);
  if (x && x.length < 3) ctx.fail(`input X must have rank >= 3, got [${x.join(', ')}]`);
  if (!x) return [{ dtype: dt }, { dtype: 'int64' }];
  const nsp = x.length - 2;
  const a = convAttrs(ctx, nsp);
  const ceil = (ctx.attr<number>('ceil_mode') ?? 0) !== 0;
  const out: Dim[] = [x[0], x[1]];
  for (let i = 0; i < nsp; i++)
    out.push(convOut(ctx, x[i + 2], a.kernel[i], a.strides[i], a.dil[i], a.pads[i], a.pads[i + nsp], a.autoPad, ceil));
  return [{ dtype: dt, shape: out }, { dtype: 'int64', shape: out.slice() }];
}

function inferGlobalPool(ctx: InferCtx): OutInfo[] {
  checkTypes(ctx, 'float');
  const x = ctx.shape(0);
  if (x && x.length < 3) ctx.fail(`input X must have rank >= 3, got [${x.join(', ')}]`);
  return [{ dtype: ctx.dtype(0), shape: x ? [x[0], x[1], ...x.slice(2).map(() => 1)] : undefined }];
}

function inferMatMulShapes(ctx: InferCtx, a: Shape | undefined, b: Shape | undefined): Shape | undefined {
  if (!a || !b) return undefined;
  if (a.length === 0 || b.length === 0) ctx.fail('MatMul inputs must have rank >= 1');
  const A = a.length === 1 ? [1, a[0]] : a;
  const B = b.length === 1 ? [b[0], 1] : b;
  const ka = A[A.length - 1];
  const kb = B[B.length - 2];
  if (isKnown(ka) && isKnown(kb) && ka !== kb) ctx.fail(`inner dimensions differ: [${a.join(', ')}] x [${b.join(', ')}]`);
  const batch = broadcastShapes(ctx, [A.slice(0, -2), B.slice(0, -2)])!;
  const out = [...batch, A[A.length - 2], B[B.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

function inferGemm(ctx: InferCtx): OutInfo[] {
  checkTypes(ctx, 'float', [0, 1]);
  const dt = sameType(ctx, [0, 1, 2]);
  const a = ctx.shape(0);
  const b = ctx.shape(1);
  if (a && a.length !== 2) ctx.fail(`A must be 2-D, got [${a.join(', ')}]`);
  if (b && b.length !== 2) ctx.fail(`B must be 2-D, got [${b.join(', ')}]`);
  if (!a || !b) return [{ dtype: dt }];
  const ta = ctx.attr<number>('transA') !== 0;
  const tb = ctx.attr<number>('transB') !== 0;
  const m = ta ? a[1] : a[0];
  const ka = ta ? a[0] : a[1];
  const kb = tb ? b[1] : b[0];
  const n = tb ? b[0] : b[1];
  if (isKnown(ka) && isKnown(kb) && ka !== kb) ctx.fail(`inner dimensions differ: A is [${a.join(', ')}] (transA ${+ta}), B is [${b.join(', ')}] (transB ${+tb})`);
  const c = ctx.shape(2);
  if (c) {
    const bc = broadcastConcrete([c.map((d) => (isKnown(d) ? d : 1)), [isKnown(m) ? m : 1, isKnown(n) ? n : 1]]);
    if (c.length > 2 || !bc) ctx.fail(`C of shape [${c.join(', ')}] does not broadcast to [${m}, ${n}]`);
  }
  return [{ dtype: dt, shape: [m, n] }];
}

function reduceAxes(ctx: InferCtx, rank: number): number[] | null | undefined {
  // null: all axes; undefined: unknown (dynamic axes input)
  if (!ctx.has(1)) return ctx.attr<number>('noop_with_empty_axes') ? [] : null;
  const ax = ctx.ints(1);
  if (!ax) return undefined;
  if (ax.length === 0) return ctx.attr<number>('noop_with_empty_axes') ? [] : null;
  return ax.map((a) => ctx.axis(a, rank, 'reduce axis'));
}

function inferReduce(ctx: InferCtx): OutInfo[] {
  checkTypes(ctx, 'numeric');
  const x = ctx.shape(0);
  const dt = ctx.dtype(0);
  if (!x) return [{ dtype: dt }];
  const keep = ctx.attr<number>('keepdims') !== 0;
  const axes = reduceAxes(ctx, x.length);
  if (axes === undefined) return [{ dtype: dt, shape: keep ? x.map((_, i) => ctx.fresh(`r${i}`)) : undefined }];
  const all = axes === null;
  const out: Dim[] = [];
  x.forEach((d, i) => {
    if (all || axes!.includes(i)) {
      if (keep) out.push(1);
    } else out.push(d);
  });
  return [{ dtype: dt, shape: out }];
}

// ---------------------------------------------------------------------------------------------
// Elementwise families

function binary(opType: string, doc: string, outBool: boolean, types: OpSpec['types'], since: number, evalFn?: OpSpec['evaluate']): OpSpec {
  return {
    opType,
    domain: '',
    since,
    inputs: ['A', 'B'],
    outputs: ['C'],
    attrs: {},
    types,
    doc,
    infer(ctx) {
      checkTypes(ctx, types, [0, 1]);
      const dt = sameType(ctx, [0, 1]);
      const shape = broadcastShapes(ctx, [ctx.shape(0), ctx.shape(1)]);
      const out: OutInfo = { dtype: outBool ? 'bool' : dt, shape };
      // Data propagation of small integer vectors (shape arithmetic).
      const a = ctx.dims(0);
      const b = ctx.dims(1);
      if (!outBool && a && b && (a.length === b.length || a.length === 1 || b.length === 1) && dt && !isFloat(dt)) {
        const n = Math.max(a.length, b.length);
        const f = { Add: addDims, Sub: subDims, Mul: mulDims, Div: (x: Dim, y: Dim) => (isKnown(x) && isKnown(y) ? Math.trunc(x / y) : floorDivDims(x, y)) }[opType];
        if (f && (shape?.length ?? 0) <= 1) out.sym = Array.from({ length: n }, (_, i) => f(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
      }
      return [out];
    },
    evaluate: evalFn,
  };
}

function unary(opType: string, doc: string, types: OpSpec['types'], since: number, evalFn?: (x: number) => number, extra: Partial<OpSpec> = {}): OpSpec {
  return {
    opType,
    domain: '',
    since,
    inputs: ['X'],
    outputs: ['Y'],
    attrs: {},
    types,
    doc,
    infer(ctx) {
      checkTypes(ctx, types);
      return same(ctx);
    },
    evaluate: evalFn
      ? ([x]) => {
          if (!x || (x.dtype !== 'float32' && x.dtype !== 'float64' && !(types !== 'float' && !isBig(x.dtype)))) return undefined;
          return [elementwise([x], x.dtype, (v) => evalFn(v as number))];
        }
      : undefined,
    ...extra,
  };
}

const cmp = (f: (a: number | bigint, b: number | bigint) => boolean): OpSpec['evaluate'] => ([a, b]) => {
  if (!a || !b || a.dtype !== b.dtype || a.dtype === 'float16' || a.dtype === 'bfloat16') return undefined;
  return [elementwise([a, b], 'bool', (x, y) => (f(x, y) ? 1 : 0))];
};

const arithEval = (op: 'Add' | 'Sub' | 'Mul' | 'Div'): OpSpec['evaluate'] => ([a, b]) => {
  if (!a || !b) return undefined;
  const r = arith(op, a, b);
  return r ? [r] : undefined;
};

const minmaxEval = (isMax: boolean): OpSpec['evaluate'] => (ins) => {
  const ts = ins.filter((t): t is Tensor => !!t);
  if (ts.length !== ins.length || ts.some((t) => t.dtype !== ts[0].dtype || t.dtype === 'float16' || t.dtype === 'bfloat16')) return undefined;
  // NaN propagates (std::max/min on floats in onnxruntime are not NaN-propagating in every
  // order, so NaN inputs are left to the engine).
  if (ts.some((t) => isFloat(t.dtype) && Array.from(t.data as Float32Array).some(Number.isNaN))) return undefined;
  return [elementwise(ts, ts[0].dtype, (...v) => v.reduce((p, c) => ((isMax ? c > p : c < p) ? c : p)))];
};

// ---------------------------------------------------------------------------------------------
// The registry

const ops: OpSpec[] = [];
const reg = (s: OpSpec) => ops.push(s);

reg(binary('Add', 'A + B with broadcasting', false, 'numeric', 7, arithEval('Add')));
reg(binary('Sub', 'A - B with broadcasting', false, 'numeric', 7, arithEval('Sub')));
reg(binary('Mul', 'A * B with broadcasting', false, 'numeric', 7, arithEval('Mul')));
reg(binary('Div', 'A / B with broadcasting (integer division truncates)', false, 'numeric', 7, arithEval('Div')));
reg({
  ...binary('Pow', 'A ^ B with broadcasting (exponent may have another numeric type)', false, 'numeric', 7),
  inputs: ['X', 'Y'],
  outputs: ['Z'],
  infer(ctx) {
    checkTypes(ctx, 'numeric', [0, 1]);
    return [{ dtype: ctx.dtype(0), shape: broadcastShapes(ctx, [ctx.shape(0), ctx.shape(1)]) }];
  },
});
reg(binary('Equal', 'A == B, bool output', true, 'any', 7, cmp((a, b) => a === b)));
reg(binary('Less', 'A < B, bool output', true, 'numeric', 7, cmp((a, b) => a < b)));
reg(binary('Greater', 'A > B, bool output', true, 'numeric', 7, cmp((a, b) => a > b)));
reg(binary('And', 'logical and of bool tensors', true, 'bool', 7, cmp((a, b) => !!a && !!b)));
for (const [name, isMax] of [['Max', true], ['Min', false]] as const)
  reg({
    opType: name,
    domain: '',
    since: 8,
    inputs: ['...data_0'],
    outputs: [name.toLowerCase()],
    attrs: {},
    types: 'numeric',
    doc: `elementwise ${name.toLowerCase()} of one or more inputs, broadcasting`,
    infer(ctx) {
      if (ctx.ins.length < 1) ctx.fail('needs at least one input');
      const idx = ctx.ins.map((_, i) => i);
      checkTypes(ctx, 'numeric', idx);
      return [{ dtype: sameType(ctx, idx), shape: broadcastShapes(ctx, idx.map((i) => ctx.shape(i))) }];
    },
    evaluate: minmaxEval(isMax),
  });
reg({
  opType: 'Where',
  domain: '',
  since: 9,
  inputs: ['condition', 'X', 'Y'],
  outputs: ['output'],
  attrs: {},
  doc: 'condition ? X : Y with broadcasting',
  infer(ctx) {
    checkTypes(ctx, 'bool', [0]);
    const out: OutInfo = { dtype: sameType(ctx, [1, 2]), shape: broadcastShapes(ctx, [ctx.shape(0), ctx.shape(1), ctx.shape(2)]) };
    const c = ctx.in(0)?.value;
    const x = ctx.dims(1);
    const y = ctx.dims(2);
    if (c && x && y && c.dims.length <= 1 && (out.shape?.length ?? 0) <= 1) {
      const n = Math.max(c.data.length, x.length, y.length);
      out.sym = Array.from({ length: n }, (_, i) => (getNum(c, c.data.length === 1 ? 0 : i) ? x[x.length === 1 ? 0 : i] : y[y.length === 1 ? 0 : i]));
    }
    return [out];
  },
  evaluate([c, x, y]) {
    if (!c || !x || !y || x.dtype !== y.dtype) return undefined;
    return [elementwise([c, x, y], x.dtype, (cc, a, b) => (cc ? a : b))];
  },
});
reg(unary('Not', 'logical not', 'bool', 1, (x) => (x ? 0 : 1)));
reg(unary('Neg', '-X', 'numeric', 6, (x) => -x));
reg(unary('Abs', '|X|', 'numeric', 6, (x) => Math.abs(x)));
reg(unary('Sqrt', 'square root', 'float', 6, (x) => Math.sqrt(x)));
reg(unary('Exp', 'e ^ X', 'float', 6));
reg(unary('Log', 'natural logarithm', 'float', 6));
reg(unary('Erf', 'error function', 'float', 9));
reg(unary('Sigmoid', '1 / (1 + e^-X)', 'float', 6));
reg(unary('Tanh', 'hyperbolic tangent', 'float', 6));
reg(unary('Relu', 'max(X, 0)', 'numeric', 6, (x) => (x < 0 ? 0 : x), { fusable: true }));
reg(unary('HardSwish', 'X * max(0, min(1, X / 6 + 0.5))', 'float', 14, undefined, { fusable: true }));
reg({
  ...unary('LeakyRelu', 'X < 0 ? alpha * X : X', 'float', 6, undefined, { fusable: true }),
  attrs: { alpha: { type: 'float', default: 0.01 } },
});
reg({
  ...unary('HardSigmoid', 'max(0, min(1, alpha * X + beta))', 'float', 6, undefined, { fusable: true }),
  attrs: { alpha: { type: 'float', default: 0.2 }, beta: { type: 'float', default: 0.5 } },
});
reg({
  opType: 'Clip',
  domain: '',
  since: 6,
  inputs: ['input', 'min?', 'max?'],
  outputs: ['output'],
  attrs: {},
  types: 'numeric',
  fusable: true,
  doc: 'min(max(X, min), max); absent bounds are unbounded',
  oldForms: 'opset < 11: min/max attributes -> inputs',
  normalize(node, ctx) {
    if (ctx.opset >= 11) return;
    const lo = node.attrs.min as number | undefined;
    const hi = node.attrs.max as number | undefined;
    // Opset 6 defaults are -FLT_MAX / FLT_MAX, i.e. unbounded.
    node.inputs = [node.inputs[0], lo !== undefined && lo > -3.4028234663852886e38 ? ctx.float(lo) : '', hi !== undefined && hi < 3.4028234663852886e38 ? ctx.float(hi) : ''];
    while (node.inputs.length > 1 && node.inputs[node.inputs.length - 1] === '') node.inputs.pop();
    delete node.attrs.min;
    delete node.attrs.max;
  },
  infer(ctx) {
    checkTypes(ctx, 'numeric');
    const dt = sameType(ctx, [0, 1, 2]);
    for (const i of [1, 2]) {
      const s = ctx.shape(i);
      if (s && s.length !== 0 && !(s.length === 1 && s[0] === 1)) ctx.fail(`input ${i} (${i === 1 ? 'min' : 'max'}) must be a scalar, got [${s.join(', ')}]`);
    }
    return [{ dtype: dt, shape: ctx.shape(0)?.slice() }];
  },
  evaluate([x, lo, hi]) {
    if (!x || x.dtype === 'float16' || x.dtype === 'bfloat16') return undefined;
    const l = lo ? lo.data[0] : undefined;
    const h = hi ? hi.data[0] : undefined;
    return [elementwise([x], x.dtype, (v) => {
      let r = v;
      if (l !== undefined && r < l) r = l;
      if (h !== undefined && r > h) r = h;
      return r;
    })];
  },
});
reg({
  opType: 'Identity',
  domain: '',
  since: 1,
  inputs: ['input'],
  outputs: ['output'],
  attrs: {},
  doc: 'the input (removed by the cleanup pass)',
  infer(ctx) {
    const i = ctx.in(0);
    return [{ dtype: i?.dtype, shape: i?.shape?.slice(), sym: i?.sym }];
  },
  evaluate: ([x]) => (x ? [x] : undefined),
});
reg({
  opType: 'Dropout',
  domain: '',
  since: 7,
  inputs: ['data', 'ratio?', 'training_mode?'],
  outputs: ['output', 'mask?'],
  attrs: { seed: { type: 'int' } },
  doc: 'inference: the input, and an all-true mask (removed by the cleanup pass)',
  oldForms: 'opset < 12: ratio attribute (ignored at inference)',
  normalize(node, ctx) {
    if (ctx.opset < 12) delete node.attrs.ratio;
    if (ctx.opset < 7) ctx.fail('Dropout before opset 7 (is_test attribute) is not supported');
  },
  infer(ctx) {
    const tm = ctx.in(2);
    if (tm && (!tm.value || getNum(tm.value, 0) !== 0)) ctx.fail('training_mode must be a constant false for inference');
    const i = ctx.in(0);
    return [{ dtype: i?.dtype, shape: i?.shape?.slice() }, { dtype: 'bool', shape: i?.shape?.slice() }];
  },
});
reg({
  opType: 'Cast',
  domain: '',
  since: 6,
  inputs: ['input'],
  outputs: ['output'],
  attrs: { to: { type: 'int', required: true }, saturate: { type: 'int', default: 1 } },
  doc: 'element type conversion (float -> int truncates toward zero)',
  infer(ctx) {
    const to = dtypeFromOnnx(ctx.attr<number>('to'));
    if (!to) return ctx.fail(`cast to ${onnxTypeName(ctx.attr<number>('to'))} is not supported`);
    const i = ctx.in(0);
    return [{ dtype: to, shape: i?.shape?.slice(), sym: i?.sym && !isFloat(to) ? i.sym : undefined }];
  },
  evaluate([x], node) {
    const to = dtypeFromOnnx(node.attrs.to as number);
    if (!x || !to) return undefined;
    const r = castTensor(x, to);
    return r ? [r] : undefined;
  },
});

// Quantization (ONNX semantics; the engine runs them natively, runtime/ops_quantize.cc).
reg({
  opType: 'QuantizeLinear',
  domain: '',
  since: 10,
  inputs: ['x', 'y_scale', 'y_zero_point?'],
  outputs: ['y'],
  attrs: { axis: { type: 'int', default: 1 } },
  doc: 'y = saturate(round(x / y_scale) + y_zero_point), per tensor or per axis',
  infer(ctx) {
    const x = ctx.in(0);
    const zp = ctx.in(2);
    const dtype = zp?.dtype ?? 'uint8';
    if (dtype !== 'uint8' && dtype !== 'int8') return ctx.fail(`quantizing to ${dtype} is not supported (uint8 / int8)`);
    return [{ dtype, shape: x?.shape?.slice() }];
  },
});
reg({
  opType: 'DequantizeLinear',
  domain: '',
  since: 10,
  inputs: ['x', 'x_scale', 'x_zero_point?'],
  outputs: ['y'],
  attrs: { axis: { type: 'int', default: 1 } },
  doc: 'y = (x - x_zero_point) * x_scale, per tensor or per axis',
  infer(ctx) {
    const x = ctx.in(0);
    if (x?.dtype && x.dtype !== 'uint8' && x.dtype !== 'int8' && x.dtype !== 'int32')
      return ctx.fail(`dequantizing ${x.dtype} is not supported (uint8 / int8 / int32)`);
    return [{ dtype: 'float32', shape: x?.shape?.slice() }];
  },
});

// Convolution, matrix products.
const convAttrSpecs: Record<string, AttrSpec> = {
  auto_pad: { type: 'string', default: 'NOTSET' },
  dilations: { type: 'ints' },
  group: { type: 'int', default: 1 },
  kernel_shape: { type: 'ints' },
  pads: { type: 'ints' },
  strides: { type: 'ints' },
};
/** qint8-internal attributes that the QDQ fusion sets on QLinearConv / QLinearMatMul: a fused Relu or Clip. */
const fusedActivationAttrs: Record<string, AttrSpec> = {
  activation: { type: 'string' },
  clip_min: { type: 'float' },
  clip_max: { type: 'float' },
};
reg({
  opType: 'Conv',
  domain: '',
  since: 1,
  inputs: ['X', 'W', 'B?'],
  outputs: ['Y'],
  attrs: convAttrSpecs,
  types: 'float',
  doc: 'N-d convolution, grouped/depthwise, dilated, explicit or auto padding',
  infer: inferConv,
});
reg({
  opType: 'ConvTranspose',
  domain: '',
  since: 1,
  inputs: ['X', 'W', 'B?'],
  outputs: ['Y'],
  attrs: { ...convAttrSpecs, output_padding: { type: 'ints' }, output_shape: { type: 'ints' } },
  types: 'float',
  doc: 'transposed convolution',
  infer: inferConvTranspose,
});
reg({
  opType: 'Gemm',
  domain: '',
  since: 7,
  inputs: ['A', 'B', 'C?'],
  outputs: ['Y'],
  attrs: { alpha: { type: 'float', default: 1 }, beta: { type: 'float', default: 1 }, transA: { type: 'int', default: 0 }, transB: { type: 'int', default: 0 } },
  types: 'float',
  doc: 'alpha * A\' * B\' + beta * C, 2-D',
  infer: inferGemm,
});
reg({
  opType: 'MatMul',
  domain: '',
  since: 1,
  inputs: ['A', 'B'],
  outputs: ['Y'],
  attrs: {},
  types: 'numeric',
  doc: 'numpy matmul: batched, broadcasting, 1-D promotion',
  infer(ctx) {
    checkTypes(ctx, 'numeric', [0, 1]);
    return [{ dtype: sameType(ctx, [0, 1]), shape: inferMatMulShapes(ctx, ctx.shape(0), ctx.shape(1)) }];
  },
});

// Normalisation.
reg({
  opType: 'BatchNormalization',
  domain: '',
  since: 7,
  inputs: ['X', 'scale', 'B', 'input_mean', 'input_var'],
  outputs: ['Y'],
  attrs: { epsilon: { type: 'float', default: 1e-5 }, momentum: { type: 'float', default: 0.9 }, training_mode: { type: 'int', default: 0 } },
  types: 'float',
  doc: 'inference batch norm (folded into the preceding Conv/Gemm/ConvTranspose when possible)',
  oldForms: 'opset 7-8 spatial attribute must be 1; training outputs are rejected',
  normalize(node, ctx) {
    if (node.attrs.spatial !== undefined) {
      if (node.attrs.spatial !== 1) ctx.fail('BatchNormalization with spatial=0 is not supported');
      delete node.attrs.spatial;
    }
    if (node.outputs.slice(1).some((o) => o)) ctx.fail('BatchNormalization training outputs (running mean/var) are not supported');
    node.outputs = node.outputs.slice(0, 1);
  },
  infer(ctx) {
    checkTypes(ctx, 'float');
    if (ctx.attr<number>('training_mode')) ctx.fail('training_mode=1 is not supported');
    const x = ctx.shape(0);
    if (x && x.length < 2) ctx.fail(`input must have rank >= 2, got [${x.join(', ')}]`);
    for (let i = 1; i < 5; i++) {
      const s = ctx.shape(i);
      if (x && s && (s.length !== 1 || (isKnown(s[0]) && isKnown(x[1]) && s[0] !== x[1]))) ctx.fail(`input ${i} has shape [${s.join(', ')}], expected [${x[1]}]`);
    }
    return same(ctx);
  },
});
reg({
  opType: 'InstanceNormalization',
  domain: '',
  since: 6,
  inputs: ['input', 'scale', 'B'],
  outputs: ['output'],
  attrs: { epsilon: { type: 'float', default: 1e-5 } },
  types: 'float',
  doc: 'per-instance, per-channel normalisation',
  infer(ctx) {
    checkTypes(ctx, 'float');
    const x = ctx.shape(0);
    if (x && x.length < 3) ctx.fail(`input must have rank >= 3, got [${x.join(', ')}]`);
    return same(ctx);
  },
});
reg({
  opType: 'LayerNormalization',
  domain: '',
  since: 17,
  inputs: ['X', 'Scale', 'B?'],
  outputs: ['Y', 'Mean?', 'InvStdDev?'],
  attrs: { axis: { type: 'int', default: -1 }, epsilon: { type: 'float', default: 1e-5 }, stash_type: { type: 'int', default: 1 } },
  types: 'float',
  doc: 'normalisation over the trailing axes from `axis`',
  infer(ctx) {
    checkTypes(ctx, 'float');
    const x = ctx.shape(0);
    const dt = ctx.dtype(0);
    if (!x) return [{ dtype: dt }, { dtype: 'float32' }, { dtype: 'float32' }];
    const ax = ctx.axis(ctx.attr<number>('axis'), x.length);
    const stat = x.map((d, i) => (i < ax ? d : 1));
    return [{ dtype: dt, shape: x.slice() }, { dtype: 'float32', shape: stat }, { dtype: 'float32', shape: stat.slice() }];
  },
});
reg({
  opType: 'Softmax',
  domain: '',
  since: 1,
  inputs: ['input'],
  outputs: ['output'],
  attrs: { axis: { type: 'int', default: -1 } },
  types: 'float',
  doc: 'softmax along one axis',
  oldForms: 'opset < 13 (softmax over the input coerced to 2-D at `axis`): kept as Softmax(axis=-1) when axis is the last one, else rewritten as Flatten -> Softmax -> Reshape',
  normalize(node, ctx) {
    if (ctx.opset >= 13) return;
    // Opset 1-12: softmax of the input viewed as 2-D [prod(dims < axis), prod(dims >= axis)].
    const axis = (node.attrs.axis as number | undefined) ?? 1;
    const r = ctx.shape(node.inputs[0])?.length;
    node.attrs = { axis: -1 };
    if (r !== undefined && (axis === r - 1 || axis === -1)) return;
    const x = node.inputs[0];
    const [shape] = ctx.node('Shape', [x]);
    const [flat] = ctx.node('Flatten', [x], { axis });
    const [sm] = ctx.node('Softmax', [flat], { axis: -1 });
    node.opType = 'Reshape';
    node.inputs = [sm, shape];
    node.attrs = {};
  },
  infer(ctx) {
    checkTypes(ctx, 'float');
    const x = ctx.shape(0);
    if (x) ctx.axis(ctx.attr<number>('axis'), x.length);
    return same(ctx);
  },
});

// Pooling.
const poolAttrs: Record<string, AttrSpec> = {
  auto_pad: { type: 'string', default: 'NOTSET' },
  ceil_mode: { type: 'int', default: 0 },
  dilations: { type: 'ints' },
  kernel_shape: { type: 'ints', required: true },
  pads: { type: 'ints' },
  strides: { type: 'ints' },
};
reg({
  opType: 'MaxPool',
  domain: '',
  since: 1,
  inputs: ['X'],
  outputs: ['Y', 'Indices?'],
  attrs: { ...poolAttrs, storage_order: { type: 'int', default: 0 } },
  types: 'float',
  doc: 'max pooling (ceil mode, dilations, padding); uint8 / int8 too (int8 op set)',
  infer: (ctx) => {
    const d = ctx.dtype(0);
    if (d === 'uint8' || d === 'int8') {
      if (ctx.node.outputs.length > 1 && ctx.node.outputs[1]) ctx.fail('uint8 / int8 MaxPool has no Indices output');
      return inferPool(floatShim(ctx, [0])).map((o, i) => (i === 0 ? { ...o, dtype: d } : o));
    }
    return inferPool(ctx);
  },
});
reg({
  opType: 'AveragePool',
  domain: '',
  since: 1,
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { ...poolAttrs, count_include_pad: { type: 'int', default: 0 } },
  types: 'float',
  doc: 'average pooling (ceil mode, count_include_pad, dilations)',
  infer: (ctx) => inferPool(ctx).slice(0, 1),
});
reg({
  opType: 'GlobalAveragePool',
  domain: '',
  since: 1,
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {},
  types: 'float',
  doc: 'mean over all spatial dims, kept as size 1',
  infer: inferGlobalPool,
});

// Reductions.
for (const [name, what] of [
  ['ReduceMean', 'mean'],
  ['ReduceMax', 'max'],
  ['ReduceSum', 'sum'],
] as const)
  reg({
    opType: name,
    domain: '',
    since: 1,
    inputs: ['data', 'axes?'],
    outputs: ['reduced'],
    attrs: { keepdims: { type: 'int', default: 1 }, noop_with_empty_axes: { type: 'int', default: 0 } },
    types: 'numeric',
    doc: `${what} over the given axes (all axes when none are given)`,
    oldForms: `opset < ${name === 'ReduceSum' ? 13 : 18}: axes attribute -> input`,
    normalize(node, ctx) {
      if (ctx.opset >= (name === 'ReduceSum' ? 13 : 18)) return;
      const axes = node.attrs.axes as number[] | undefined;
      delete node.attrs.axes;
      node.inputs = axes && axes.length ? [node.inputs[0], ctx.int64(axes)] : [node.inputs[0]];
    },
    infer: inferReduce,
  });

// Resize.
reg({
  opType: 'Resize',
  domain: '',
  since: 10,
  inputs: ['X', 'roi?', 'scales?', 'sizes?'],
  outputs: ['Y'],
  attrs: {
    antialias: { type: 'int', default: 0 },
    axes: { type: 'ints' },
    coordinate_transformation_mode: { type: 'string', default: 'half_pixel' },
    cubic_coeff_a: { type: 'float', default: -0.75 },
    exclude_outside: { type: 'int', default: 0 },
    extrapolation_value: { type: 'float', default: 0 },
    keep_aspect_ratio_policy: { type: 'string', default: 'stretch' },
    mode: { type: 'string', default: 'nearest' },
    nearest_mode: { type: 'string', default: 'round_prefer_floor' },
  },
  doc: 'nearest / linear resize by scales or sizes (cubic and antialias are refused)',
  oldForms: 'opset 10 (X, scales): coordinate_transformation_mode=asymmetric, nearest_mode=floor; Upsample (opset 7-9) -> Resize the same way',
  normalize(node, ctx) {
    if (ctx.opset >= 11) return;
    node.attrs.coordinate_transformation_mode = 'asymmetric';
    if ((node.attrs.mode ?? 'nearest') === 'nearest') node.attrs.nearest_mode = 'floor';
    node.inputs = [node.inputs[0], '', node.inputs[1]];
  },
  infer(ctx) {
    const x = ctx.shape(0);
    const dt = ctx.dtype(0);
    const mode = ctx.attr<string>('mode');
    if (!['nearest', 'linear'].includes(mode)) ctx.fail(`mode '${mode}' is not supported (nearest and linear are)`);
    if (ctx.attr<number>('antialias')) ctx.fail('antialias=1 is not supported');
    if (!x) return [{ dtype: dt }];
    const r = x.length;
    const axes = (ctx.attr<number[]>('axes') ?? x.map((_, i) => i)).map((a) => ctx.axis(a, r));
    const sizes = ctx.has(3) ? ctx.dims(3) : undefined;
    const scalesIn = ctx.has(2) ? ctx.in(2)!.value : undefined;
    const out: Dim[] = x.slice();
    if (ctx.has(3)) {
      if (ctx.has(2) && ctx.shape(2)?.[0] !== 0) ctx.fail('only one of scales and sizes may be given');
      if (!sizes) return [{ dtype: dt, shape: x.map((_, i) => (axes.includes(i) ? ctx.fresh(`rs${i}`) : x[i])) }];
      if (sizes.length !== axes.length) ctx.fail(`sizes has ${sizes.length} values for ${axes.length} axes`);
      const policy = ctx.attr<string>('keep_aspect_ratio_policy');
      if (policy !== 'stretch' && sizes.every(isKnown) && axes.every((a) => isKnown(x[a]))) {
        const sc = axes.map((a, i) => Math.fround((sizes[i] as number) / (x[a] as number)));
        const s = policy === 'not_larger' ? Math.min(...sc) : Math.max(...sc);
        axes.forEach((a) => (out[a] = Math.round(Math.fround(s * (x[a] as number)))));
      } else axes.forEach((a, i) => (out[a] = sizes[i]));
      return [{ dtype: dt, shape: out }];
    }
    if (!ctx.has(2)) ctx.fail('one of scales and sizes must be given');
    if (!scalesIn) return [{ dtype: dt, shape: x.map((_, i) => (axes.includes(i) ? ctx.fresh(`rs${i}`) : x[i])) }];
    if (scalesIn.data.length !== axes.length) ctx.fail(`scales has ${scalesIn.data.length} values for ${axes.length} axes`);
    axes.forEach((a, i) => {
      const s = Math.fround(getNum(scalesIn, i));
      if (!(s > 0)) ctx.fail(`scale ${s} must be > 0`);
      // onnxruntime: static_cast<int64_t>(float(in) * scale), in float32.
      out[a] = isKnown(x[a]) ? Math.floor(Math.fround(Math.fround(x[a] as number) * s)) : s === 1 ? x[a] : Number.isInteger(s) ? mulDims(x[a], s) : ctx.fresh(`rs${a}`);
    });
    return [{ dtype: dt, shape: out }];
  },
});
reg({
  opType: 'Upsample',
  domain: '',
  since: 7,
  until: 9,
  inputs: ['X', 'scales'],
  outputs: ['Y'],
  attrs: { mode: { type: 'string', default: 'nearest' } },
  doc: 'deprecated; imported as Resize',
  oldForms: 'always rewritten to Resize (coordinate_transformation_mode=asymmetric, nearest_mode=floor)',
  normalize(node) {
    node.opType = 'Resize';
    const mode = (node.attrs.mode as string | undefined) ?? 'nearest';
    node.attrs = { mode: mode === 'bilinear' ? 'linear' : mode, coordinate_transformation_mode: 'asymmetric' };
    if (node.attrs.mode === 'nearest') node.attrs.nearest_mode = 'floor';
    node.inputs = [node.inputs[0], '', node.inputs[1]];
  },
  infer: (ctx) => ctx.fail('Upsample should have been rewritten to Resize'),
});

// Data movement and shape ops.
reg({
  opType: 'Concat',
  domain: '',
  since: 4,
  inputs: ['...inputs'],
  outputs: ['concat_result'],
  attrs: { axis: { type: 'int', required: true } },
  doc: 'concatenation along an axis',
  infer(ctx) {
    const idx = ctx.ins.map((_, i) => i).filter((i) => ctx.has(i));
    const dt = sameType(ctx, idx);
    const shapes = idx.map((i) => ctx.shape(i));
    if (shapes.some((s) => !s)) {
      const r = shapes.find((s) => s)?.length;
      return [{ dtype: dt, shape: r === undefined ? undefined : Array.from({ length: r }, (_, i) => ctx.fresh(`c${i}`)) }];
    }
    const ss = shapes as Shape[];
    const r = ss[0].length;
    if (ss.some((s) => s.length !== r)) ctx.fail(`inputs have different ranks: ${ss.map((s) => `[${s.join(', ')}]`).join(', ')}`);
    const ax = ctx.axis(ctx.attr<number>('axis'), r);
    const out = ss[0].slice();
    for (let d = 0; d < r; d++) {
      if (d === ax) {
        out[d] = ss.reduce<Dim>((s, x) => addDims(s, x[d]), 0);
        continue;
      }
      for (const s of ss) {
        if (isKnown(s[d]) && isKnown(out[d]) && s[d] !== out[d]) ctx.fail(`inputs differ on axis ${d}: ${ss.map((x) => `[${x.join(', ')}]`).join(', ')}`);
        if (isKnown(s[d])) out[d] = s[d];
      }
    }
    const res: OutInfo = { dtype: dt, shape: out };
    if (r === 1 && dt && !isFloat(dt)) {
      const parts = idx.map((i) => ctx.dims(i));
      if (parts.every((p) => p)) res.sym = parts.flatMap((p) => p!);
    }
    return [res];
  },
  evaluate(ins, node) {
    const ts = ins.filter((t): t is Tensor => !!t);
    if (ts.length !== ins.length || ts.length === 0) return undefined;
    const ax = node.attrs.axis as number;
    const r = ts[0].dims.length;
    return [concatTensors(ts, ax < 0 ? ax + r : ax)];
  },
});
reg({
  opType: 'Split',
  domain: '',
  since: 2,
  inputs: ['input', 'split?'],
  outputs: ['...outputs'],
  attrs: { axis: { type: 'int', default: 0 }, num_outputs: { type: 'int' } },
  doc: 'split into parts (sizes given, or equal parts)',
  oldForms: 'opset < 13: split attribute -> input; no split and no num_outputs (opset < 18): num_outputs = number of outputs',
  normalize(node, ctx) {
    if (ctx.opset < 13) {
      const s = node.attrs.split as number[] | undefined;
      delete node.attrs.split;
      node.inputs = s && s.length ? [node.inputs[0], ctx.int64(s)] : [node.inputs[0]];
    }
    if (ctx.opset < 18 && !node.inputs[1]) {
      // Before opset 18 an unsized split must be even (opset 18's num_outputs allows a short last part).
      const x = ctx.shape(node.inputs[0]);
      const n = node.outputs.length;
      const axis = (node.attrs.axis as number | undefined) ?? 0;
      const d = x?.[axis < 0 ? axis + x.length : axis];
      if (typeof d === 'number') {
        if (d % n !== 0) ctx.fail(`cannot split dim ${d} into ${n} equal parts`);
        node.inputs = [node.inputs[0], ctx.int64(new Array(n).fill(d / n))];
      } else node.attrs.num_outputs = n;
    }
  },
  infer(ctx) {
    const x = ctx.shape(0);
    const dt = ctx.dtype(0);
    const n = ctx.node.outputs.length;
    if (!x) return Array.from({ length: n }, () => ({ dtype: dt }));
    const ax = ctx.axis(ctx.attr<number>('axis'), x.length);
    const d = x[ax];
    let sizes: Dim[];
    if (ctx.has(1)) {
      const s = ctx.ints(1);
      if (!s) return Array.from({ length: n }, () => ({ dtype: dt, shape: x.map((v, i) => (i === ax ? ctx.fresh('s') : v)) }));
      if (s.length !== n) ctx.fail(`split has ${s.length} sizes for ${n} outputs`);
      if (isKnown(d) && s.reduce((a, b) => a + b, 0) !== d) ctx.fail(`split sizes [${s.join(', ')}] do not add up to dim ${d}`);
      sizes = s;
    } else {
      const no = ctx.attr<number>('num_outputs');
      if (no !== n) ctx.fail(`num_outputs ${no} differs from the ${n} outputs`);
      if (isKnown(d)) {
        const c = Math.ceil(d / n);
        sizes = Array.from({ length: n }, (_, i) => (i < n - 1 ? c : d - c * (n - 1)));
        if ((sizes[n - 1] as number) <= 0) ctx.fail(`cannot split dim ${d} into ${n} parts`);
      } else sizes = Array.from({ length: n }, () => divDims(d, n) ?? ctx.fresh('s'));
    }
    return sizes.map((s) => ({ dtype: dt, shape: x.map((v, i) => (i === ax ? s : v)) }));
  },
  evaluate([x, s], node) {
    if (!x) return undefined;
    const r = x.dims.length;
    const ax = ((node.attrs.axis as number) ?? 0) < 0 ? (node.attrs.axis as number) + r : ((node.attrs.axis as number) ?? 0);
    const n = node.outputs.length;
    const d = x.dims[ax];
    const sizes = s ? toInts(s) : Array.from({ length: n }, (_, i) => (i < n - 1 ? Math.ceil(d / n) : d - Math.ceil(d / n) * (n - 1)));
    let start = 0;
    return sizes.map((sz) => {
      const st = x.dims.map(() => 0);
      st[ax] = start;
      start += sz;
      const dims = x.dims.slice();
      dims[ax] = sz;
      return sliceTensor(x, st, x.dims.map(() => 1), dims);
    });
  },
});
reg({
  opType: 'Slice',
  domain: '',
  since: 1,
  inputs: ['data', 'starts', 'ends', 'axes?', 'steps?'],
  outputs: ['output'],
  attrs: {},
  doc: 'strided slice (negative steps, clamping as ONNX specifies)',
  oldForms: 'opset < 10: starts/ends/axes attributes -> inputs',
  normalize(node, ctx) {
    if (ctx.opset >= 10) return;
    const { starts, ends, axes } = node.attrs as { starts?: number[]; ends?: number[]; axes?: number[] };
    if (!starts || !ends) return ctx.fail('Slice (opset < 10) needs starts and ends attributes');
    node.inputs = [node.inputs[0], ctx.int64(starts), ctx.int64(ends)];
    if (axes) node.inputs.push(ctx.int64(axes));
    node.attrs = {};
  },
  infer(ctx) {
    const x = ctx.shape(0);
    const dt = ctx.dtype(0);
    if (!x) return [{ dtype: dt }];
    const r = x.length;
    const starts = ctx.ints(1);
    const ends = ctx.ints(2);
    const axes = ctx.has(3) ? ctx.ints(3) : x.map((_, i) => i).slice(0, starts?.length ?? r);
    const steps = ctx.has(4) ? ctx.ints(4) : starts?.map(() => 1);
    if (!starts || !ends || !axes || !steps) return [{ dtype: dt, shape: x.map((d, i) => (axes && !axes.map((a) => (a < 0 ? a + r : a)).includes(i) ? d : ctx.fresh(`sl${i}`))) }];
    if (starts.length !== ends.length || axes.length !== starts.length || steps.length !== starts.length)
      ctx.fail(`starts/ends/axes/steps have different lengths (${starts.length}/${ends.length}/${axes.length}/${steps.length})`);
    const out = x.slice();
    const src = ctx.in(0)!;
    const vals = x.length === 1 ? (src.value && !isFloat(src.value.dtype) ? toInts(src.value) : src.sym) : undefined;
    let symOut: Dim[] | undefined = vals?.slice();
    const seen = new Set<number>();
    for (let j = 0; j < axes.length; j++) {
      const a = ctx.axis(axes[j], r);
      if (seen.has(a)) ctx.fail(`axis ${a} is repeated`);
      seen.add(a);
      if (steps[j] === 0) ctx.fail('step must not be 0');
      const d = x[a];
      if (!isKnown(d)) {
        const s = starts[j];
        const e = ends[j];
        if (steps[j] === 1 && s === 0 && e >= 2 ** 31 - 1) continue;
        if (steps[j] === 1 && s >= 0 && e >= 2 ** 31 - 1) out[a] = subDims(d, s);
        else out[a] = ctx.fresh(`sl${a}`);
        symOut = undefined;
        continue;
      }
      const [st, , n] = sliceRange(starts[j], ends[j], steps[j], d);
      out[a] = n;
      if (symOut && r === 1) symOut = Array.from({ length: n }, (_, i) => vals![st + i * steps[j]]);
    }
    return [{ dtype: dt, shape: out, sym: r === 1 && dt && !isFloat(dt) ? symOut : undefined }];
  },
  evaluate([x, s, e, a, st]) {
    if (!x || !s || !e) return undefined;
    const r = x.dims.length;
    const starts = toInts(s);
    const ends = toInts(e);
    const axes = a ? toInts(a).map((v) => (v < 0 ? v + r : v)) : starts.map((_, i) => i);
    const steps = st ? toInts(st) : starts.map(() => 1);
    const fs = x.dims.map(() => 0);
    const fst = x.dims.map(() => 1);
    const dims = x.dims.slice();
    axes.forEach((ax, j) => {
      const [b, , n] = sliceRange(starts[j], ends[j], steps[j], x.dims[ax]);
      fs[ax] = b;
      fst[ax] = steps[j];
      dims[ax] = n;
    });
    return [sliceTensor(x, fs, fst, dims)];
  },
});

/** ONNX Slice clamping on one axis: [first index, end, element count]. */
export function sliceRange(start: number, end: number, step: number, d: number): [number, number, number] {
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, 0), d);
  } else {
    s = Math.min(Math.max(s, -1), d - 1);
    e = Math.min(Math.max(e, -1), d - 1);
  }
  const n = Math.max(0, Math.ceil((e - s) / step));
  return [s, e, n];
}

reg({
  opType: 'Gather',
  domain: '',
  since: 1,
  inputs: ['data', 'indices'],
  outputs: ['output'],
  attrs: { axis: { type: 'int', default: 0 } },
  doc: 'gather along an axis (negative indices wrap)',
  infer(ctx) {
    const x = ctx.shape(0);
    const ix = ctx.shape(1);
    const dt = ctx.dtype(0);
    const it = ctx.dtype(1);
    if (it && it !== 'int32' && it !== 'int64') ctx.fail(`indices must be int32 or int64, got ${it}`);
    if (!x || !ix) return [{ dtype: dt }];
    if (x.length === 0) ctx.fail('data must have rank >= 1');
    const ax = ctx.axis(ctx.attr<number>('axis'), x.length);
    const out = [...x.slice(0, ax), ...ix, ...x.slice(ax + 1)];
    const res: OutInfo = { dtype: dt, shape: out };
    const vals = ctx.dims(0);
    const idx = ctx.ints(1);
    if (idx && isKnown(x[ax])) for (const i of idx) if (i < -x[ax] || i >= x[ax]) ctx.fail(`index ${i} is out of range for axis of size ${x[ax]}`);
    if (x.length === 1 && vals && idx && dt && !isFloat(dt)) res.sym = idx.map((i) => vals[i < 0 ? i + vals.length : i]);
    return [res];
  },
  evaluate([x, i], node) {
    if (!x || !i) return undefined;
    const r = x.dims.length;
    const a = node.attrs.axis as number | undefined;
    const ax = (a ?? 0) < 0 ? a! + r : (a ?? 0);
    const idx = toInts(i);
    const d = x.dims[ax];
    if (idx.some((v) => v < -d || v >= d)) return undefined;
    const inner = numel(x.dims.slice(ax + 1));
    const dims = [...x.dims.slice(0, ax), ...i.dims, ...x.dims.slice(ax + 1)];
    const ni = idx.length;
    return [gatherFlat(x, dims, (k) => {
      const o = Math.floor(k / (ni * inner));
      const rem = k - o * ni * inner;
      const j = Math.floor(rem / inner);
      const v = idx[j] < 0 ? idx[j] + d : idx[j];
      return (o * d + v) * inner + (rem - j * inner);
    })];
  },
});
reg({
  opType: 'Reshape',
  domain: '',
  since: 5,
  inputs: ['data', 'shape'],
  outputs: ['reshaped'],
  attrs: { allowzero: { type: 'int', default: 0 } },
  doc: 'reshape (0 copies a dim unless allowzero, -1 infers one dim)',
  infer(ctx) {
    const x = ctx.shape(0);
    const dt = ctx.dtype(0);
    const target = ctx.dims(1);
    const ts = ctx.shape(1);
    if (ts && ts.length !== 1) ctx.fail(`shape must be 1-D, got [${ts.join(', ')}]`);
    if (!target) return [{ dtype: dt, shape: ts && isKnown(ts[0]) ? Array.from({ length: ts[0] }, (_, i) => ctx.fresh(`r${i}`)) : undefined }];
    const allowzero = ctx.attr<number>('allowzero') !== 0;
    const out: Dim[] = [];
    let neg = -1;
    target.forEach((t, i) => {
      if (t === -1) {
        if (neg >= 0) ctx.fail('shape has more than one -1');
        neg = i;
        out.push(1);
      } else if (t === 0 && !allowzero) {
        if (!x || i >= x.length) return ctx.fail(`shape[${i}] = 0 copies a dim the input does not have`);
        out.push(x[i]);
      } else if (isKnown(t) && t < -1) ctx.fail(`shape[${i}] = ${t} is negative`);
      else out.push(t);
    });
    if (neg >= 0) {
      if (!x) out[neg] = ctx.fresh('r');
      else {
        const rest = prodDims(out.filter((_, i) => i !== neg));
        const q = divDims(prodDims(x), rest);
        if (q === undefined) {
          if (x.every(isKnown) && out.every(isKnown)) ctx.fail(`cannot reshape [${x.join(', ')}] to [${target.join(', ')}]`);
          out[neg] = ctx.fresh('r');
        } else out[neg] = q;
      }
    } else if (x && x.every(isKnown) && out.every(isKnown) && numel(x as number[]) !== numel(out as number[]))
      ctx.fail(`cannot reshape [${x.join(', ')}] (${numel(x as number[])} elements) to [${out.join(', ')}]`);
    const res: OutInfo = { dtype: dt, shape: out };
    const src = ctx.in(0);
    if (out.length <= 1 && src && dt && !isFloat(dt)) res.sym = src.value ? toInts(src.value) : src.sym;
    return [res];
  },
  evaluate([x, s], node, spec) {
    if (!x || !s) return undefined;
    return [{ ...x, dims: resolveReshape(x.dims, toInts(s), (attrOf(node, spec, 'allowzero') as number) !== 0) }];
  },
});

function resolveReshape(x: number[], target: number[], allowzero: boolean): number[] {
  const out = target.map((t, i) => (t === 0 && !allowzero ? x[i] : t));
  const neg = out.indexOf(-1);
  if (neg >= 0) out[neg] = numel(x) / numel(out.filter((_, i) => i !== neg));
  return out;
}

reg({
  opType: 'Flatten',
  domain: '',
  since: 1,
  inputs: ['input'],
  outputs: ['output'],
  attrs: { axis: { type: 'int', default: 1 } },
  doc: '2-D view [prod(dims before axis), prod(dims from axis)]',
  infer(ctx) {
    const x = ctx.shape(0);
    if (!x) return [{ dtype: ctx.dtype(0), shape: [ctx.fresh('f0'), ctx.fresh('f1')] }];
    let ax = ctx.attr<number>('axis');
    if (ax < -x.length || ax > x.length) ctx.fail(`axis ${ax} is out of range for rank ${x.length}`);
    if (ax < 0) ax += x.length;
    return [{ dtype: ctx.dtype(0), shape: [prodDims(x.slice(0, ax)), prodDims(x.slice(ax))] }];
  },
  evaluate([x], node) {
    if (!x) return undefined;
    let ax = (node.attrs.axis as number | undefined) ?? 1;
    if (ax < 0) ax += x.dims.length;
    return [{ ...x, dims: [numel(x.dims.slice(0, ax)), numel(x.dims.slice(ax))] }];
  },
});
reg({
  opType: 'Transpose',
  domain: '',
  since: 1,
  inputs: ['data'],
  outputs: ['transposed'],
  attrs: { perm: { type: 'ints' } },
  doc: 'axis permutation (default: reversed)',
  infer(ctx) {
    const x = ctx.shape(0);
    if (!x) return [{ dtype: ctx.dtype(0) }];
    const perm = ctx.attr<number[]>('perm') ?? x.map((_, i) => x.length - 1 - i);
    if (perm.length !== x.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) ctx.fail(`perm [${perm.join(', ')}] is not a permutation of ${x.length} axes`);
    return [{ dtype: ctx.dtype(0), shape: perm.map((p) => x[p]) }];
  },
  evaluate([x], node) {
    if (!x) return undefined;
    const perm = (node.attrs.perm as number[] | undefined) ?? x.dims.map((_, i) => x.dims.length - 1 - i);
    return [transposeTensor(x, perm)];
  },
});
for (const name of ['Squeeze', 'Unsqueeze'] as const)
  reg({
    opType: name,
    domain: '',
    since: 1,
    inputs: name === 'Squeeze' ? ['data', 'axes?'] : ['data', 'axes'],
    outputs: name === 'Squeeze' ? ['squeezed'] : ['expanded'],
    attrs: {},
    doc: name === 'Squeeze' ? 'removes size-1 axes (all of them when no axes are given)' : 'inserts size-1 axes',
    oldForms: 'opset < 13: axes attribute -> input',
    normalize(node, ctx) {
      if (ctx.opset >= 13) return;
      const axes = node.attrs.axes as number[] | undefined;
      node.attrs = {};
      if (name === 'Unsqueeze' && !axes) ctx.fail('Unsqueeze needs axes');
      node.inputs = axes ? [node.inputs[0], ctx.int64(axes)] : [node.inputs[0]];
    },
    infer(ctx) {
      const x = ctx.shape(0);
      const dt = ctx.dtype(0);
      const axes = ctx.has(1) ? ctx.ints(1) : undefined;
      if (!x) return [{ dtype: dt }];
      const src = ctx.in(0)!;
      const vals = src.value && !isFloat(src.value.dtype) ? toInts(src.value) : src.sym;
      if (name === 'Squeeze') {
        if (ctx.has(1) && !axes) return [{ dtype: dt }];
        let ax: number[];
        if (!axes) {
          if (!x.every(isKnown)) {
            // Symbolic dims might be 1: only the known ones are squeezed, as onnxruntime does
            // when it cannot tell.
            return [{ dtype: dt, shape: x.filter((d) => d !== 1) }];
          }
          ax = x.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
        } else ax = axes.map((a) => ctx.axis(a, x.length));
        for (const a of ax) if (isKnown(x[a]) && x[a] !== 1) ctx.fail(`cannot squeeze axis ${a} of size ${x[a]}`);
        const out = x.filter((_, i) => !ax.includes(i));
        return [{ dtype: dt, shape: out, sym: out.length <= 1 && vals && dt && !isFloat(dt) ? vals : undefined }];
      }
      if (!axes) return [{ dtype: dt }];
      const r = x.length + axes.length;
      const ax = axes.map((a) => ctx.axis(a, r));
      if (new Set(ax).size !== ax.length) ctx.fail(`axes [${axes.join(', ')}] repeat an axis`);
      const out: Dim[] = [];
      let j = 0;
      for (let i = 0; i < r; i++) out.push(ax.includes(i) ? 1 : x[j++]);
      return [{ dtype: dt, shape: out, sym: out.length <= 1 && vals && dt && !isFloat(dt) ? vals : undefined }];
    },
    evaluate([x, a]) {
      if (!x) return undefined;
      const axes = a ? toInts(a) : undefined;
      if (name === 'Squeeze') {
        const ax = axes ? axes.map((v) => (v < 0 ? v + x.dims.length : v)) : x.dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
        return [{ ...x, dims: x.dims.filter((_, i) => !ax.includes(i)) }];
      }
      if (!axes) return undefined;
      const r = x.dims.length + axes.length;
      const ax = axes.map((v) => (v < 0 ? v + r : v));
      const dims: number[] = [];
      let j = 0;
      for (let i = 0; i < r; i++) dims.push(ax.includes(i) ? 1 : x.dims[j++]);
      return [{ ...x, dims }];
    },
  });
reg({
  opType: 'Shape',
  domain: '',
  since: 1,
  inputs: ['data'],
  outputs: ['shape'],
  attrs: { start: { type: 'int', default: 0 }, end: { type: 'int' } },
  doc: 'the input\'s shape as int64 (start/end slice)',
  infer(ctx) {
    const x = ctx.shape(0);
    if (!x) return [{ dtype: 'int64', shape: [ctx.fresh('rank')] }];
    const r = x.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const s = clamp(ctx.attr<number>('start'));
    const e = clamp(ctx.attr<number>('end') ?? r);
    const dims = x.slice(s, Math.max(s, e));
    return [{ dtype: 'int64', shape: [dims.length], sym: dims }];
  },
});
reg({
  opType: 'Pad',
  domain: '',
  since: 2,
  inputs: ['data', 'pads', 'constant_value?', 'axes?'],
  outputs: ['output'],
  attrs: { mode: { type: 'string', default: 'constant' } },
  doc: 'constant / reflect / edge / wrap padding (negative pads crop)',
  oldForms: 'opset < 11: pads and value attributes -> inputs',
  normalize(node, ctx) {
    if (ctx.opset >= 11) return;
    const pads = node.attrs.pads as number[] | undefined;
    if (!pads) return ctx.fail('Pad (opset < 11) needs the pads attribute');
    const value = (node.attrs.value as number | undefined) ?? 0;
    node.inputs = [node.inputs[0], ctx.int64(pads)];
    if (value !== 0) node.inputs.push(ctx.float(value));
    node.attrs = node.attrs.mode ? { mode: node.attrs.mode } : {};
  },
  infer(ctx) {
    const x = ctx.shape(0);
    const dt = ctx.dtype(0);
    const mode = ctx.attr<string>('mode');
    if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) ctx.fail(`mode '${mode}' is not one of constant, reflect, edge, wrap`);
    if (!x) return [{ dtype: dt }];
    const pads = ctx.ints(1);
    const axes = ctx.has(3) ? ctx.ints(3) : x.map((_, i) => i);
    if (!pads || !axes) return [{ dtype: dt, shape: x.map((_, i) => ctx.fresh(`p${i}`)) }];
    const n = axes.length;
    if (pads.length !== 2 * n) ctx.fail(`pads has ${pads.length} values, expected ${2 * n}`);
    const out = x.slice();
    axes.forEach((a, j) => {
      const ax = ctx.axis(a, x.length);
      out[ax] = addDims(x[ax], pads[j] + pads[j + n]);
      if (isKnown(out[ax]) && out[ax] < 0) ctx.fail(`pads make axis ${ax} negative`);
    });
    return [{ dtype: dt, shape: out }];
  },
});
reg({
  opType: 'Expand',
  domain: '',
  since: 8,
  inputs: ['input', 'shape'],
  outputs: ['output'],
  attrs: {},
  doc: 'broadcast to a shape',
  infer(ctx) {
    const x = ctx.shape(0);
    const target = ctx.dims(1);
    const ts = ctx.shape(1);
    if (!target) return [{ dtype: ctx.dtype(0), shape: ts && isKnown(ts[0]) ? Array.from({ length: Math.max(ts[0], x?.length ?? 0) }, (_, i) => ctx.fresh(`e${i}`)) : undefined }];
    const res: OutInfo = { dtype: ctx.dtype(0), shape: broadcastShapes(ctx, [x, target]) };
    const vals = ctx.dims(0);
    if (res.shape?.length === 1 && vals && vals.length === 1 && isKnown(res.shape[0])) res.sym = new Array(res.shape[0]).fill(vals[0]);
    return [res];
  },
  evaluate([x, s]) {
    if (!x || !s) return undefined;
    const out = broadcastConcrete([x.dims, toInts(s)]);
    if (!out || numel(out) > 1 << 20) return undefined;
    return [expandTo(x, out)];
  },
});

function expandTo(x: Tensor, out: number[]): Tensor {
  const zero = makeTensor(x.dtype, out);
  return elementwise([x, zero], x.dtype, (v) => v);
}

reg({
  opType: 'Tile',
  domain: '',
  since: 6,
  inputs: ['input', 'repeats'],
  outputs: ['output'],
  attrs: {},
  doc: 'repeats the input along each axis',
  infer(ctx) {
    const x = ctx.shape(0);
    const reps = ctx.dims(1);
    if (!x) return [{ dtype: ctx.dtype(0) }];
    if (!reps) return [{ dtype: ctx.dtype(0), shape: x.map((_, i) => ctx.fresh(`t${i}`)) }];
    if (reps.length !== x.length) ctx.fail(`repeats has ${reps.length} values for rank ${x.length}`);
    return [{ dtype: ctx.dtype(0), shape: x.map((d, i) => mulDims(d, reps[i])) }];
  },
  evaluate([x, r]) {
    if (!x || !r) return undefined;
    const reps = toInts(r);
    const dims = x.dims.map((d, i) => d * reps[i]);
    if (numel(dims) > 1 << 20) return undefined;
    const ost = strides(dims);
    const ist = strides(x.dims);
    return [gatherFlat(x, dims, (k) => {
      let rem = k;
      let off = 0;
      for (let a = 0; a < dims.length; a++) {
        const c = Math.floor(rem / ost[a]);
        rem -= c * ost[a];
        off += (c % x.dims[a]) * ist[a];
      }
      return off;
    })];
  },
});
reg({
  opType: 'ConstantOfShape',
  domain: '',
  since: 9,
  inputs: ['input'],
  outputs: ['output'],
  attrs: { value: { type: 'tensor' } },
  doc: 'a tensor of the given shape filled with one value (default float32 0)',
  infer(ctx) {
    const v = ctx.attr<Tensor>('value') as Tensor | undefined;
    const dt = v?.dtype ?? 'float32';
    if (v && v.data.length !== 1) ctx.fail('value must hold exactly one element');
    const dims = ctx.dims(0);
    const s = ctx.shape(0);
    if (dims) {
      for (const d of dims) if (isKnown(d) && d < 0) ctx.fail(`shape has a negative dim ${d}`);
      const res: OutInfo = { dtype: dt, shape: dims.slice() };
      if (dims.length === 1 && isKnown(dims[0]) && dims[0] <= 64 && !isFloat(dt)) res.sym = new Array(dims[0]).fill(v ? getNum(v, 0) : 0);
      return [res];
    }
    return [{ dtype: dt, shape: s && isKnown(s[0]) ? Array.from({ length: s[0] }, (_, i) => ctx.fresh(`k${i}`)) : undefined }];
  },
  evaluate([s], node) {
    if (!s) return undefined;
    const dims = toInts(s);
    if (numel(dims) > 1 << 20) return undefined;
    const v = node.attrs.value as Tensor | undefined;
    const t = makeTensor(v?.dtype ?? 'float32', dims);
    if (v) (t.data as Float32Array).fill(v.data[0] as number);
    return [t];
  },
});
reg({
  opType: 'Range',
  domain: '',
  since: 11,
  inputs: ['start', 'limit', 'delta'],
  outputs: ['output'],
  attrs: {},
  types: 'numeric',
  doc: 'start, start + delta, ... up to limit (exclusive)',
  infer(ctx) {
    const dt = sameType(ctx, [0, 1, 2]);
    for (const i of [0, 1, 2]) {
      const s = ctx.shape(i);
      if (s && s.length !== 0 && !(s.length === 1 && s[0] === 1)) ctx.fail(`input ${i} must be a scalar, got [${s.join(', ')}]`);
    }
    const num = (i: number): Dim | undefined => {
      const v = ctx.in(i)?.value;
      if (v) return getNum(v, 0);
      const s = ctx.dims(i);
      return s && s.length === 1 ? s[0] : undefined;
    };
    const [a, b, c] = [num(0), num(1), num(2)];
    if (isKnown(a) && isKnown(b) && isKnown(c)) {
      const n = rangeCount(a, b, c);
      if (n === undefined) return ctx.fail('delta must not be 0');
      return [{ dtype: dt, shape: [n] }];
    }
    // Range(0, n, 1) over a symbolic n (position ids): n elements.
    if (a === 0 && c === 1 && b !== undefined) return [{ dtype: dt, shape: [b] }];
    return [{ dtype: dt, shape: [ctx.fresh('n')] }];
  },
  evaluate([a, b, c]) {
    if (!a || !b || !c || a.dtype === 'float16' || a.dtype === 'bfloat16') return undefined;
    const s = getNum(a, 0);
    const d = getNum(c, 0);
    const n = rangeCount(s, getNum(b, 0), d);
    if (n === undefined || n > 1 << 20) return undefined;
    // onnxruntime accumulates: out[i] = value; value += delta (in the element type).
    const t = makeTensor(a.dtype, [n]);
    if (isBig(a.dtype)) {
      const S = a.data[0] as bigint;
      const D = c.data[0] as bigint;
      let v = S;
      for (let i = 0; i < n; i++, v += D) (t.data as BigInt64Array)[i] = v;
    } else {
      const r = a.dtype === 'float32' ? Math.fround : (v: number) => v;
      let v = s;
      for (let i = 0; i < n; i++) {
        (t.data as Float32Array)[i] = v;
        v = r(v + d);
      }
    }
    return [t];
  },
});

function rangeCount(start: number, limit: number, delta: number): number | undefined {
  if (delta === 0) return undefined;
  return Math.max(0, Math.ceil((limit - start) / delta));
}

reg({
  opType: 'Constant',
  domain: '',
  since: 1,
  inputs: [],
  outputs: ['output'],
  attrs: {
    value: { type: 'tensor' },
    value_float: { type: 'float' },
    value_floats: { type: 'floats' },
    value_int: { type: 'int' },
    value_ints: { type: 'ints' },
  },
  doc: 'a constant (imported as a graph constant; never executed)',
  infer(ctx) {
    const t = constantValue(ctx.node);
    if (!t) return ctx.fail('has no value attribute');
    return [{ dtype: t.dtype, shape: t.dims.slice() }];
  },
  evaluate(_ins, node) {
    const t = constantValue(node);
    return t ? [t] : undefined;
  },
});

export function constantValue(node: Node): Tensor | undefined {
  const a = node.attrs;
  if (a.value !== undefined) return a.value as Tensor;
  if (a.value_float !== undefined) return makeTensor('float32', [], [a.value_float as number]);
  if (a.value_floats !== undefined) return makeTensor('float32', [(a.value_floats as number[]).length], a.value_floats as number[]);
  if (a.value_int !== undefined) return makeTensor('int64', [], [BigInt(a.value_int as number)] as unknown as number[]);
  if (a.value_ints !== undefined) return makeTensor('int64', [(a.value_ints as number[]).length], (a.value_ints as number[]).map((v) => BigInt(v)) as unknown as number[]);
  return undefined;
}

// Internal ops produced by the passes.
export const ACTIVATIONS = ['Relu', 'Clip', 'LeakyRelu', 'HardSigmoid', 'HardSwish'] as const;
const fusedAttrs: Record<string, AttrSpec> = {
  activation: { type: 'string', required: true },
  activation_params: { type: 'floats' },
};
reg({
  opType: 'FusedConv',
  domain: 'qint8',
  since: 1,
  inputs: ['X', 'W', 'B?', 'Sum?'],
  outputs: ['Y'],
  attrs: { ...convAttrSpecs, ...fusedAttrs },
  types: 'float',
  doc: 'Conv, plus Sum (a residual of the output shape) when given, followed by an activation (Relu; Clip [min, max]; LeakyRelu [alpha]; HardSigmoid [alpha, beta]; HardSwish; None with a Sum)',
  infer: (ctx) => {
    checkActivation(ctx, ctx.has(3));
    return inferConv(ctx);
  },
});
reg({
  opType: 'FusedGemm',
  domain: 'qint8',
  since: 1,
  inputs: ['A', 'B', 'C?'],
  outputs: ['Y'],
  attrs: {
    alpha: { type: 'float', default: 1 },
    beta: { type: 'float', default: 1 },
    transA: { type: 'int', default: 0 },
    transB: { type: 'int', default: 0 },
    ...fusedAttrs,
  },
  types: 'float',
  doc: 'Gemm followed by an activation (same activations as FusedConv)',
  infer: (ctx) => {
    checkActivation(ctx);
    return inferGemm(ctx);
  },
});

reg({
  opType: 'Lookup',
  domain: 'qint8',
  since: 1,
  inputs: ['X', 'table'],
  outputs: ['Y'],
  attrs: {},
  types: 'any',
  doc: 'y = table[byte(x)]: a 256-entry uint8/int8 table (a fused "dequantize -> unary op -> quantize" chain, or a requantization)',
  infer(ctx) {
    const x = ctx.in(0);
    const t = ctx.in(1);
    if (x?.dtype && x.dtype !== 'uint8' && x.dtype !== 'int8') ctx.fail(`X must be uint8 or int8, got ${x.dtype}`);
    if (t?.dtype && t.dtype !== 'uint8' && t.dtype !== 'int8') ctx.fail(`table must be uint8 or int8, got ${t.dtype}`);
    if (t?.shape && t.shape.every((d) => typeof d === 'number') && numel(t.shape as number[]) !== 256) ctx.fail('table must have 256 entries');
    return [{ dtype: t?.dtype, shape: x?.shape?.slice() }];
  },
});

function checkActivation(ctx: InferCtx, allowNone = false): void {
  const act = ctx.attr<string>('activation');
  if (allowNone && act === 'None') {
    if ((ctx.attr<number[]>('activation_params') ?? []).length !== 0) ctx.fail('activation None takes no activation_params');
    return;
  }
  if (!(ACTIVATIONS as readonly string[]).includes(act)) ctx.fail(`activation '${act}' is not one of ${ACTIVATIONS.join(', ')}`);
  const p = ctx.attr<number[]>('activation_params') ?? [];
  const need = { Relu: 0, Clip: 2, LeakyRelu: 1, HardSigmoid: 2, HardSwish: 0 }[act as 'Relu'];
  if (p.length !== need) ctx.fail(`activation ${act} takes ${need} activation_params, got ${p.length}`);
}

// ---------------------------------------------------------------------------------------------

// Quantized operators (QOperator models: onnxruntime.quantization with QuantFormat.QOperator and
// quantize_dynamic, and the com.microsoft contrib ops onnxruntime writes). Quantization
// parameters are inputs; the engine runs them natively (runtime/ops_qlinear.cc,
// runtime/ops_qoperator.cc).
const QTYPES: readonly DType[] = ['uint8', 'int8'];

/** The same context with the given inputs seen as float32 (to reuse the float shape rules). */
function floatShim(ctx: InferCtx, idx: number[], spec: OpSpec = ctx.spec): InferCtx {
  const ins = ctx.ins.slice();
  for (const i of idx) if (ins[i]) ins[i] = { ...ins[i]!, dtype: 'float32' };
  return new InferCtx(ctx.node, spec, ins, (h) => ctx.fresh(h));
}

/** Inputs at `idx`, moved to positions 0.. (absent ones stay absent), for a base op's rules. */
function pickShim(ctx: InferCtx, idx: number[], spec: OpSpec): InferCtx {
  const ins = idx.map((i) => (ctx.ins[i] ? { ...ctx.ins[i]!, dtype: 'float32' as DType } : undefined));
  return new InferCtx(ctx.node, spec, ins, (h) => ctx.fresh(h));
}

function checkQuantized(ctx: InferCtx, i: number, what: string): DType | undefined {
  const d = ctx.dtype(i);
  if (d !== undefined && !QTYPES.includes(d)) ctx.fail(`${what} must be uint8 or int8, got ${d}`);
  return d;
}

/** A scale input: float32, a scalar or a 1-element vector (perAxis: or 1-D). */
function checkScale(ctx: InferCtx, i: number, what: string, perAxis = false): void {
  if (!ctx.has(i)) return;
  const d = ctx.dtype(i);
  if (d !== undefined && d !== 'float32') ctx.fail(`${what} must be float32, got ${d}`);
  const s = ctx.shape(i);
  if (s && !(s.length === 0 || (s.length === 1 && (perAxis || s[0] === 1)))) ctx.fail(`${what} must be a scalar${perAxis ? ' or 1-D' : ''}, got [${s.join(', ')}]`);
}

/** A zero point input: the quantized type `want` (when known), shaped like a scale. */
function checkZeroPoint(ctx: InferCtx, i: number, what: string, want: DType | undefined, perAxis = false): DType | undefined {
  if (!ctx.has(i)) return undefined;
  const d = checkQuantized(ctx, i, what);
  if (want && d && d !== want) ctx.fail(`${what} is ${d}, its tensor is ${want}`);
  const s = ctx.shape(i);
  if (s && !(s.length === 0 || (s.length === 1 && (perAxis || s[0] === 1)))) ctx.fail(`${what} must be a scalar${perAxis ? ' or 1-D' : ''}, got [${s.join(', ')}]`);
  return d;
}

const specOf = (opType: string) => ops.find((o) => o.opType === opType && o.domain === '')!;

reg({
  opType: 'QLinearConv',
  domain: '',
  since: 10,
  inputs: ['x', 'x_scale', 'x_zero_point', 'w', 'w_scale', 'w_zero_point', 'y_scale', 'y_zero_point', 'B?'],
  outputs: ['y'],
  attrs: { ...convAttrSpecs, ...fusedActivationAttrs },
  doc: 'quantized convolution: y = quantize(conv(dequantize(x), dequantize(w)) + B), per-channel w',
  infer(ctx) {
    const xt = checkQuantized(ctx, 0, 'x');
    checkScale(ctx, 1, 'x_scale');
    checkZeroPoint(ctx, 2, 'x_zero_point', xt);
    const wt = checkQuantized(ctx, 3, 'w');
    checkScale(ctx, 4, 'w_scale', true);
    checkZeroPoint(ctx, 5, 'w_zero_point', wt, true);
    checkScale(ctx, 6, 'y_scale');
    const yt = checkZeroPoint(ctx, 7, 'y_zero_point', undefined);
    if (ctx.has(8) && ctx.dtype(8) && ctx.dtype(8) !== 'int32') ctx.fail(`B must be int32, got ${ctx.dtype(8)}`);
    const [o] = inferConv(pickShim(ctx, [0, 3, 8], specOf('Conv')));
    return [{ dtype: yt ?? xt, shape: o.shape }];
  },
});
reg({
  opType: 'ConvInteger',
  domain: '',
  since: 10,
  inputs: ['x', 'w', 'x_zero_point?', 'w_zero_point?'],
  outputs: ['y'],
  attrs: convAttrSpecs,
  doc: 'integer convolution: int32 sum((x - x_zero_point) * (w - w_zero_point)); runtime x_zero_point allowed (dynamic quantization)',
  infer(ctx) {
    const xt = checkQuantized(ctx, 0, 'x');
    const wt = checkQuantized(ctx, 1, 'w');
    checkZeroPoint(ctx, 2, 'x_zero_point', xt);
    checkZeroPoint(ctx, 3, 'w_zero_point', wt, true);
    const [o] = inferConv(pickShim(ctx, [0, 1], specOf('Conv')));
    return [{ dtype: 'int32', shape: o.shape }];
  },
});
reg({
  opType: 'DynamicQuantizeConv',
  domain: 'qint8',
  since: 1,
  inputs: ['X', 'W', 'W_scale', 'B?'],
  outputs: ['Y'],
  attrs: { ...convAttrSpecs, activation: { type: 'string' }, activation_params: { type: 'floats' } },
  doc: 'DynamicQuantizeLinear(X) -> ConvInteger(int8 W, symmetric) -> Cast -> Mul(x_scale * W_scale[c]) [-> Add(B[c])] [-> activation as in FusedConv] as one op (internal; lib/graph/passes/dynconv.ts)',
  infer(ctx) {
    const xt = ctx.dtype(0);
    if (xt !== undefined && xt !== 'float32') ctx.fail(`X must be float32, got ${xt}`);
    if (ctx.dtype(1) !== undefined && ctx.dtype(1) !== 'int8') ctx.fail(`W must be int8, got ${ctx.dtype(1)}`);
    checkScale(ctx, 2, 'W_scale', true);
    if (ctx.has(3) && ctx.dtype(3) !== undefined && ctx.dtype(3) !== 'float32') ctx.fail(`B must be float32, got ${ctx.dtype(3)}`);
    if (ctx.attr<string>('activation') !== undefined) checkActivation(ctx);
    else if ((ctx.attr<number[]>('activation_params') ?? []).length) ctx.fail('activation_params without an activation');
    const [o] = inferConv(pickShim(ctx, [0, 1, 3], specOf('Conv')));
    return [{ dtype: 'float32', shape: o.shape }];
  },
});
reg({
  opType: 'QLinearMatMul',
  domain: '',
  since: 10,
  inputs: ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point', 'bias?'],
  outputs: ['y'],
  attrs: fusedActivationAttrs,
  doc: 'quantized numpy matmul (constant B: per-column scales and zero points); input 8 (int32 bias at a_scale * b_scale) and the activation attributes are qint8-internal, set by the QDQ fusion',
  infer(ctx) {
    const at = checkQuantized(ctx, 0, 'a');
    checkScale(ctx, 1, 'a_scale');
    checkZeroPoint(ctx, 2, 'a_zero_point', at);
    const bt = checkQuantized(ctx, 3, 'b');
    checkScale(ctx, 4, 'b_scale', true);
    checkZeroPoint(ctx, 5, 'b_zero_point', bt, true);
    checkScale(ctx, 6, 'y_scale');
    const yt = checkZeroPoint(ctx, 7, 'y_zero_point', undefined);
    if (ctx.has(8) && ctx.dtype(8) && ctx.dtype(8) !== 'int32') ctx.fail(`bias must be int32, got ${ctx.dtype(8)}`);
    return [{ dtype: yt ?? at, shape: inferMatMulShapes(ctx, ctx.shape(0), ctx.shape(3)) }];
  },
});
reg({
  opType: 'MatMulInteger',
  domain: '',
  since: 10,
  inputs: ['A', 'B', 'a_zero_point?', 'b_zero_point?'],
  outputs: ['Y'],
  attrs: {},
  doc: 'integer numpy matmul: int32 (A - a_zero_point) x (B - b_zero_point); runtime a_zero_point allowed',
  infer(ctx) {
    const at = checkQuantized(ctx, 0, 'A');
    const bt = checkQuantized(ctx, 1, 'B');
    checkZeroPoint(ctx, 2, 'a_zero_point', at);
    checkZeroPoint(ctx, 3, 'b_zero_point', bt, true);
    return [{ dtype: 'int32', shape: inferMatMulShapes(ctx, ctx.shape(0), ctx.shape(1)) }];
  },
});
reg({
  opType: 'DynamicQuantizeLinear',
  domain: '',
  since: 11,
  inputs: ['x'],
  outputs: ['y', 'y_scale', 'y_zero_point'],
  attrs: {},
  types: 'float',
  doc: 'uint8 quantization with the range of x (including 0): y, its scale and zero point',
  infer(ctx) {
    if (ctx.dtype(0) && ctx.dtype(0) !== 'float32') ctx.fail(`x must be float32, got ${ctx.dtype(0)}`);
    return [{ dtype: 'uint8', shape: ctx.shape(0)?.slice() }, { dtype: 'float32', shape: [] }, { dtype: 'uint8', shape: [] }];
  },
});

// com.microsoft contrib ops (since = the com.microsoft opset, 1).
const MS = 'com.microsoft';
for (const [opType, what] of [
  ['QLinearAdd', 'A + B'],
  ['QLinearMul', 'A * B'],
] as const)
  reg({
    opType,
    domain: MS,
    since: 1,
    inputs: ['A', 'A_scale', 'A_zero_point?', 'B', 'B_scale', 'B_zero_point?', 'C_scale', 'C_zero_point?'],
    outputs: ['C'],
    attrs: opType === 'QLinearAdd' ? { activation: { type: 'string' } } : {},
    doc: `quantized ${what} with numpy broadcasting (onnxruntime's arithmetic)${opType === 'QLinearAdd' ? '; attribute activation = "Relu" (qint8-internal, set by the QDQ fusion) fuses a ReLU' : ''}`,
    infer(ctx) {
      const t = checkQuantized(ctx, 0, 'A');
      checkScale(ctx, 1, 'A_scale');
      checkZeroPoint(ctx, 2, 'A_zero_point', t);
      const tb = checkQuantized(ctx, 3, 'B');
      if (t && tb && t !== tb) ctx.fail(`A is ${t}, B is ${tb}`);
      checkScale(ctx, 4, 'B_scale');
      checkZeroPoint(ctx, 5, 'B_zero_point', t);
      checkScale(ctx, 6, 'C_scale');
      checkZeroPoint(ctx, 7, 'C_zero_point', t);
      return [{ dtype: t, shape: broadcastShapes(ctx, [ctx.shape(0), ctx.shape(3)]) }];
    },
  });
for (const [opType, what, attrs] of [
  ['QLinearSigmoid', 'sigmoid (onnxruntime\'s table)', {}],
  ['QLinearLeakyRelu', 'leaky ReLU', { alpha: { type: 'float', default: 0.01 } }],
] as const)
  reg({
    opType,
    domain: MS,
    since: 1,
    inputs: ['X', 'X_scale', 'X_zero_point?', 'Y_scale', 'Y_zero_point?'],
    outputs: ['Y'],
    attrs: attrs as Record<string, AttrSpec>,
    doc: `quantized ${what} as a 256-entry table`,
    infer(ctx) {
      const t = checkQuantized(ctx, 0, 'X');
      checkScale(ctx, 1, 'X_scale');
      checkZeroPoint(ctx, 2, 'X_zero_point', t);
      checkScale(ctx, 3, 'Y_scale');
      checkZeroPoint(ctx, 4, 'Y_zero_point', t);
      return [{ dtype: t, shape: ctx.shape(0)?.slice() }];
    },
  });
reg({
  opType: 'QLinearConcat',
  domain: MS,
  since: 1,
  inputs: ['Y_scale', 'Y_zero_point', '...inputs'],
  outputs: ['Y'],
  attrs: { axis: { type: 'int', required: true } },
  doc: 'quantized concatenation: (X, X_scale, X_zero_point) triplets requantized to (Y_scale, Y_zero_point)',
  infer(ctx) {
    const n = ctx.ins.length;
    if (n < 5 || (n - 2) % 3 !== 0) ctx.fail(`takes Y_scale, Y_zero_point and (X, X_scale, X_zero_point) triplets, got ${n} inputs`);
    checkScale(ctx, 0, 'Y_scale');
    const t = checkZeroPoint(ctx, 1, 'Y_zero_point', undefined);
    const shapes: (Shape | undefined)[] = [];
    for (let i = 2; i < n; i += 3) {
      const k = (i - 2) / 3;
      const xt = checkQuantized(ctx, i, `input ${k}`);
      if (t && xt && xt !== t) ctx.fail(`input ${k} is ${xt}, Y_zero_point is ${t}`);
      checkScale(ctx, i + 1, `the scale of input ${k}`);
      checkZeroPoint(ctx, i + 2, `the zero point of input ${k}`, xt);
      shapes.push(ctx.shape(i));
    }
    if (shapes.some((s) => !s)) return [{ dtype: t }];
    const ss = shapes as Shape[];
    const r = ss[0].length;
    const axis = ctx.axis(ctx.attr<number>('axis'), r);
    const out = ss[0].slice();
    let total: Dim = 0;
    ss.forEach((s, k) => {
      if (s.length !== r) ctx.fail(`input ${k} has rank ${s.length}, input 0 has ${r}`);
      for (let d = 0; d < r; d++)
        if (d !== axis && isKnown(s[d]) && isKnown(out[d]) && s[d] !== out[d]) ctx.fail(`input ${k} differs from input 0 on axis ${d}`);
      total = addDims(total, s[axis]);
    });
    out[axis] = total;
    return [{ dtype: t, shape: out }];
  },
});
const channelsLast = (ctx: InferCtx) => (ctx.attr<number>('channels_last') ?? 0) !== 0;
const clToNchw = (s: Shape) => [s[0], s[s.length - 1], ...s.slice(1, -1)];
const nchwToCl = (s: Shape) => [s[0], ...s.slice(2), s[1]];
function poolAttrsNoDilations(): Record<string, AttrSpec> {
  const { dilations: _unused, ...rest } = poolAttrs;
  return rest;
}
function inferQPool(ctx: InferCtx, base: (c: InferCtx) => OutInfo[]): OutInfo[] {
  const t = checkQuantized(ctx, 0, 'X');
  checkScale(ctx, 1, 'x_scale');
  checkZeroPoint(ctx, 2, 'x_zero_point', t);
  checkScale(ctx, 3, 'y_scale');
  checkZeroPoint(ctx, 4, 'y_zero_point', t);
  const x = ctx.shape(0);
  if (x && x.length < 3) ctx.fail(`input X must have rank >= 3, got [${x.join(', ')}]`);
  const cl = channelsLast(ctx);
  const shim = floatShim(ctx, [0]);
  if (x && cl) shim.ins[0] = { ...shim.ins[0]!, shape: clToNchw(x) };
  const o = base(shim)[0].shape;
  return [{ dtype: t, shape: o && cl ? nchwToCl(o) : o }];
}
reg({
  opType: 'QLinearAveragePool',
  domain: MS,
  since: 1,
  inputs: ['X', 'x_scale', 'x_zero_point?', 'y_scale', 'y_zero_point?'],
  outputs: ['Y'],
  attrs: { ...poolAttrsNoDilations(), count_include_pad: { type: 'int', default: 0 }, channels_last: { type: 'int', default: 0 } },
  doc: 'quantized average pooling (onnxruntime\'s float arithmetic), NCHW or channels_last',
  infer: (ctx) => inferQPool(ctx, inferPool),
});
reg({
  opType: 'QLinearGlobalAveragePool',
  domain: MS,
  since: 1,
  inputs: ['X', 'x_scale', 'x_zero_point', 'y_scale', 'y_zero_point'],
  outputs: ['Y'],
  attrs: { channels_last: { type: 'int', default: 0 } },
  doc: 'quantized global average pooling (int32 sum, one requantization), NCHW or channels_last',
  infer: (ctx) => inferQPool(ctx, inferGlobalPool),
});
function inferMatMulToFloat(ctx: InferCtx, b: number, bScale: number, bZp: number, bias: number): OutInfo[] {
  const bt = checkQuantized(ctx, b, 'B');
  checkScale(ctx, bScale, 'b_scale', true);
  checkZeroPoint(ctx, bZp, 'b_zero_point', bt, true);
  if (ctx.has(bias) && ctx.dtype(bias) && ctx.dtype(bias) !== 'float32') ctx.fail(`bias must be float32, got ${ctx.dtype(bias)}`);
  return [{ dtype: 'float32', shape: inferMatMulShapes(ctx, ctx.shape(0), ctx.shape(b)) }];
}
reg({
  opType: 'MatMulIntegerToFloat',
  domain: MS,
  since: 1,
  inputs: ['A', 'B', 'a_scale', 'b_scale', 'a_zero_point?', 'b_zero_point?', 'bias?'],
  outputs: ['Y'],
  attrs: {},
  doc: 'integer matmul with a float32 output: float(acc) * (a_scale * b_scale) + bias',
  infer(ctx) {
    const at = checkQuantized(ctx, 0, 'A');
    checkScale(ctx, 2, 'a_scale');
    checkZeroPoint(ctx, 4, 'a_zero_point', at);
    return inferMatMulToFloat(ctx, 1, 3, 5, 6);
  },
});
reg({
  opType: 'DynamicQuantizeMatMul',
  domain: MS,
  since: 1,
  inputs: ['A', 'B', 'b_scale', 'b_zero_point?', 'bias?'],
  outputs: ['Y'],
  attrs: {},
  doc: 'float32 A quantized per call (DynamicQuantizeLinear), then MatMulIntegerToFloat',
  infer(ctx) {
    if (ctx.dtype(0) && ctx.dtype(0) !== 'float32') ctx.fail(`A must be float32, got ${ctx.dtype(0)}`);
    return inferMatMulToFloat(ctx, 1, 2, 3, 4);
  },
});
reg({
  opType: 'QGemm',
  domain: MS,
  since: 1,
  inputs: ['A', 'a_scale', 'a_zero_point', 'B', 'b_scale', 'b_zero_point', 'C?', 'y_scale?', 'y_zero_point?'],
  outputs: ['Y'],
  attrs: { alpha: { type: 'float', default: 1 }, transA: { type: 'int', default: 0 }, transB: { type: 'int', default: 0 } },
  doc: 'quantized Gemm: int32 C, requantized output (y_scale) or float32 (no y_scale)',
  infer(ctx) {
    const at = checkQuantized(ctx, 0, 'A');
    checkScale(ctx, 1, 'a_scale');
    checkZeroPoint(ctx, 2, 'a_zero_point', at);
    const bt = checkQuantized(ctx, 3, 'B');
    checkScale(ctx, 4, 'b_scale', true);
    checkZeroPoint(ctx, 5, 'b_zero_point', bt, true);
    if (ctx.has(6) && ctx.dtype(6) && ctx.dtype(6) !== 'int32') ctx.fail(`C must be int32, got ${ctx.dtype(6)}`);
    if (ctx.has(7)) checkScale(ctx, 7, 'y_scale');
    const yt = ctx.has(7) ? (checkZeroPoint(ctx, 8, 'y_zero_point', undefined) ?? 'uint8') : 'float32';
    const [o] = inferGemm(pickShim(ctx, [0, 3, 6], specOf('Gemm')));
    return [{ dtype: yt, shape: o.shape }];
  },
});

// Channels-last twins of the spatial ops (produced by the layout pass, lib/graph/passes/layout.ts).
// Only X (input 0) and Y (output 0) are channels-last ([N, H, W, C] for 4-D); weights, bias,
// attributes and parameter inputs (Resize scales/sizes/roi, BatchNormalization statistics) keep
// their ONNX meaning and axis order.
export const NHWC_BASES = ['Conv', 'FusedConv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'BatchNormalization', 'InstanceNormalization', 'Resize'] as const;
const toNchw = (s: Shape) => [s[0], s[s.length - 1], ...s.slice(1, -1)];
const toNhwc = (s: Shape) => [s[0], ...s.slice(2), s[1]];
/** Quantized spatial ops with channels-last twins (QOperator models; MaxPool / Resize / Pad on int8 use the float twins or run in any layout). */
export const NHWC_QBASES = ['QLinearConv', 'ConvInteger', 'QLinearAveragePool', 'QLinearGlobalAveragePool', 'DynamicQuantizeConv'] as const;
for (const base of [...NHWC_BASES, ...NHWC_QBASES]) {
  const b = ops.find((o) => o.opType === base)!;
  reg({
    ...b,
    opType: `Nhwc${base}`,
    domain: 'qint8',
    since: 1,
    until: undefined,
    outputs: b.outputs.slice(0, 1),
    normalize: undefined,
    evaluate: undefined,
    oldForms: undefined,
    fusable: undefined,
    doc: `${base} on channels-last X/Y (internal; ${b.doc})`,
    infer(ctx) {
      const x = ctx.shape(0);
      const ins = ctx.ins.slice();
      if (x) ins[0] = { ...ins[0]!, shape: toNchw(x) };
      const inner = new InferCtx(ctx.node, b, ins, (h) => ctx.fresh(h));
      const out = b.infer(inner)[0];
      return [{ ...out, shape: out.shape ? toNhwc(out.shape) : undefined }];
    },
  });
}

// Produced by lib/graph/passes/fuse.ts fuseExpandDepthwise after the layout pass.
{
  const conv = ops.find((o) => o.opType === 'Conv' && o.domain === '')!;
  reg({
    opType: 'NhwcExpandDepthwise',
    domain: 'qint8',
    since: 1,
    inputs: ['X', 'W1', 'W2', 'B1?', 'B2?'],
    outputs: ['Y'],
    attrs: {
      ...convAttrSpecs,
      activation: { type: 'string', default: 'None' },
      activation_params: { type: 'floats' },
      expand_activation: { type: 'string', default: 'None' },
      expand_activation_params: { type: 'floats' },
    },
    types: 'float',
    doc: 'channels-last 1x1 expansion Conv (W1, B1, expand_activation) whose output only a depthwise Conv (W2, B2, the conv attributes, activation) reads, run band by band (internal)',
    infer(ctx) {
      for (const [a, ps] of [['activation', 'activation_params'], ['expand_activation', 'expand_activation_params']] as const) {
        const act = ctx.attr<string>(a);
        const need = { None: 0, Relu: 0, Clip: 2, LeakyRelu: 1, HardSigmoid: 2, HardSwish: 0 }[act as 'Relu'];
        if (need === undefined) ctx.fail(`${a} '${act}' is not one of None, ${ACTIVATIONS.join(', ')}`);
        if ((ctx.attr<number[]>(ps) ?? []).length !== need) ctx.fail(`${a} ${act} takes ${need} ${ps}, got ${(ctx.attr<number[]>(ps) ?? []).length}`);
      }
      const x = ctx.shape(0);
      const w1 = ctx.shape(1);
      if (x && x.length !== 4) ctx.fail(`X must be 4-D (N, H, W, C), got [${x.join(', ')}]`);
      if (w1 && (w1.length !== 4 || w1[2] !== 1 || w1[3] !== 1)) ctx.fail('W1 must be a 1x1 conv weight');
      // The depthwise conv's view: X with the expansion's channels, NCHW.
      const ins = [ctx.ins[0] && x ? { ...ctx.ins[0], shape: [x[0], w1 ? w1[0] : ctx.fresh('c'), x[1], x[2]] } : ctx.ins[0], ctx.ins[2], ctx.ins[4]];
      const out = conv.infer!(new InferCtx(ctx.node, conv, ins, (h) => ctx.fresh(h)))[0];
      return [{ ...out, shape: out.shape ? toNhwc(out.shape) : undefined }];
    },
  });
}

const byKey = new Map<string, OpSpec>();
for (const s of ops) byKey.set(`${s.domain}::${s.opType}`, s);

/** The spec of an op, or undefined when qint8 does not support it. */
export function getOp(opType: string, domain = ''): OpSpec | undefined {
  return byKey.get(`${domain === 'ai.onnx' ? '' : domain}::${opType}`);
}

/** Every registered op, sorted by domain then name. */
export function listOps(): OpSpec[] {
  return [...ops].sort((a, b) => (a.domain === b.domain ? a.opType.localeCompare(b.opType) : a.domain.localeCompare(b.domain)));
}

/** Default-domain opsets the importer accepts. */
export const MIN_OPSET = 9;
export const MAX_OPSET = 21;

/** Number of declared inputs [min, max] (max = Infinity for variadic). */
export function arity(list: string[]): [number, number] {
  if (list.some((s) => s.startsWith('...'))) return [1, Infinity];
  return [list.filter((s) => !s.endsWith('?')).length, list.length];
}
