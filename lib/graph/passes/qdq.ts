// QDQ fusion: a graph written in the QDQ format (QuantizeLinear / DequantizeLinear pairs around
// float ops, as onnxruntime's quantize_static, PyTorch's QAT export and qint8's own convert()
// write it) becomes int8 ops that read and write quantized tensors directly. Run before the
// float optimisations (constant folding would turn the weights' DequantizeLinear into floats).
//
// Stages, each exact (the int8 graph computes what the QDQ graph means, up to the documented
// rounding of the fused compute ops):
//   1. QuantizeLinear of a constant (a QAT export's float weights) is folded into an int8 constant.
//   2. Order-only ops (MaxPool, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Slice, Gather,
//      Split, Expand, Tile, DepthToSpace, SpaceToDepth, nearest Resize, Concat of identical
//      qparams, Pad) on a dequantized tensor run on the quantized bytes instead: op(DQ(q)) =
//      DQ(op(q)) because DequantizeLinear is monotonic and elementwise. They keep the qparams.
//   3. QuantizeLinear(DequantizeLinear(q)) with the same parameters is q; with different ones it is
//      a 256-entry table (qint8.Lookup), the same arithmetic element for element.
//   4. Compute ops whose float inputs are all dequantized and whose output is only quantized
//      (optionally through Relu / Clip) become int8 ops:
//        Conv -> QLinearConv (+ fused Relu / Clip as the requantization clamp),
//        Gemm / MatMul with a constant right side (+ a following Add of a constant bias) ->
//          QLinearMatMul (bias as input 8, fused Relu / Clip),
//        Add / Mul -> com.microsoft QLinearAdd / QLinearMul (Add + Relu fused),
//        AveragePool / GlobalAveragePool -> com.microsoft QLinearAveragePool / QLinearGlobalAveragePool,
//        Concat with differing qparams -> com.microsoft QLinearConcat,
//        Sigmoid / LeakyRelu -> com.microsoft QLinearSigmoid / QLinearLeakyRelu,
//        other unary functions (Tanh, HardSigmoid, HardSwish, Gelu, Elu, Exp, Softplus, Relu,
//          Clip) -> qint8.Lookup with the table built from the qparams,
//        Mul / Add / Sub / Div of a tensor and a one-value float constant (qint8's own plans keep
//          such constants in float) -> qint8.Lookup of the float semantics (exact).
//      Bias: an int32 DequantizeLinear whose scale is x_scale * w_scale (what the tools write) is
//      used as is; a float bias (PyTorch's QAT export) is quantized to int32 at x_scale * w_scale
//      with round half to even, as PyTorch's quantized conv / linear do.
//      Then consecutive tables (Lookup -> Lookup, the first read by nothing else) merge into one:
//      t[i] = t2[t1[i]], exact (a HardSwish followed by PP-OCRv4's scale and bias is one table).
//   5. DequantizeLinear of a constant left over (weights of ops that stay float) becomes a float
//      constant; dead Q/DQ nodes are removed.
import { lookupTable } from '../../ops/lut';
import type { UnaryFunction } from '../../ops/lut';
import type { Graph, Node } from '../ir';
import { inferShapes } from '../infer';
import { type DType, type Tensor, getNum, makeTensor, numel } from '../tensor';
import { eliminateDeadCode } from './cleanup';

export interface QdqReport {
  /** QuantizeLinear of constants folded into int8 constants. */
  quantizedConstants: number;
  /** Order-only ops moved onto quantized tensors. */
  pushedDown: number;
  /** Q(DQ(x)) pairs removed (same parameters) or turned into a requantization table. */
  elided: number;
  requantized: number;
  /** Fused ops by the int8 op they became. */
  fused: Record<string, number>;
  /** DequantizeLinear of constants turned into float constants (weights of ops left in float). */
  dequantizedConstants: number;
  /** Consecutive table lookups merged into one table. */
  composedTables: number;
}

type QType = 'uint8' | 'int8';

/** The parameters of a QuantizeLinear / DequantizeLinear node. */
interface QParamsInfo {
  dtype: QType;
  /** Per-tensor: one scale. Per-axis: one per channel along `axis`. */
  scale: Float32Array;
  zeroPoint: Int32Array;
  perTensor: boolean;
  /** Normalised axis (per-axis only). */
  axis: number;
  scaleName: string;
  zpName: string;
}

const ORDER_ONLY = new Set([
  'MaxPool', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'Slice', 'Gather', 'Split', 'Expand',
  'Tile', 'DepthToSpace', 'SpaceToDepth', 'Resize', 'Concat', 'Pad',
]);

/** ONNX unary ops that become a table, with the table function and its parameters. */
function unaryFunction(g: Graph, n: Node): { fn: UnaryFunction; params?: { alpha?: number; beta?: number } } | undefined {
  if (n.domain !== '' && !(n.domain === 'com.microsoft' && n.opType === 'Gelu')) return undefined;
  const a = n.attrs;
  switch (n.opType) {
    case 'Sigmoid':
      return { fn: 'sigmoid' };
    case 'LeakyRelu':
      return { fn: 'leakyRelu', params: { alpha: (a.alpha as number | undefined) ?? 0.01 } };
    case 'Tanh':
      return { fn: 'tanh' };
    case 'HardSigmoid':
      return { fn: 'hardSigmoid', params: { alpha: (a.alpha as number | undefined) ?? 0.2, beta: (a.beta as number | undefined) ?? 0.5 } };
    case 'HardSwish':
      return { fn: 'hardSwish' };
    case 'Gelu':
      return { fn: a.approximate === 'tanh' ? 'geluTanh' : 'gelu' };
    case 'Elu':
      return { fn: 'elu', params: { alpha: (a.alpha as number | undefined) ?? 1 } };
    case 'Exp':
      return { fn: 'exp' };
    case 'Softplus':
      return { fn: 'softplus' };
    case 'Mish':
      return { fn: 'mish' };
    case 'Relu':
      return { fn: 'relu' };
    case 'Clip': {
      const b = clipBounds(g, n);
      return b ? { fn: 'clip', params: { alpha: b[0], beta: b[1] } } : undefined;
    }
  }
  return undefined;
}

/** Clip's constant bounds (absent = +-Infinity), or undefined when a bound is computed. */
function clipBounds(g: Graph, n: Node): [number, number] | undefined {
  const lo = n.inputs[1] ? g.constants.get(n.inputs[1]) : undefined;
  const hi = n.inputs[2] ? g.constants.get(n.inputs[2]) : undefined;
  if ((n.inputs[1] && !lo) || (n.inputs[2] && !hi)) return undefined;
  return [lo ? getNum(lo, 0) : -Infinity, hi ? getNum(hi, 0) : Infinity];
}

const f32 = Math.fround;

/**
 * Mul / Add / Sub / Div of a runtime tensor and a float32 constant with one value: an elementwise
 * function of the tensor alone, so a table once both sides are quantized. Returns the runtime
 * input's index and the float32 function (ONNX's float semantics: one rounded operation).
 */
function scalarArithmetic(g: Graph, n: Node): { x: number; fn: (v: number) => number } | undefined {
  if (n.domain !== '' || n.inputs.length !== 2 || !['Mul', 'Add', 'Sub', 'Div'].includes(n.opType)) return undefined;
  const k = n.inputs.findIndex((v) => g.constants.has(v));
  if (k < 0 || g.constants.has(n.inputs[1 - k])) return undefined;
  const c = g.constants.get(n.inputs[k])!;
  if (c.dtype !== 'float32' || numel(c.dims) !== 1) return undefined;
  // Broadcasting must not change the runtime input's shape.
  const xs = g.info(n.inputs[1 - k]).shape;
  const ys = g.info(n.outputs[0]).shape;
  if (!xs || !ys || xs.length !== ys.length || xs.some((d, i) => d !== ys[i])) return undefined;
  const cv = f32((c.data as Float32Array)[0]);
  const left = k === 1; // x op c
  switch (n.opType) {
    case 'Mul':
      return { x: 1 - k, fn: (v) => f32(v * cv) };
    case 'Add':
      return { x: 1 - k, fn: (v) => f32(v + cv) };
    case 'Sub':
      return { x: 1 - k, fn: left ? (v) => f32(v - cv) : (v) => f32(cv - v) };
    default:
      return { x: 1 - k, fn: left ? (v) => f32(v / cv) : (v) => f32(cv / v) };
  }
}

/** Round half to even. */
function rne(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** QuantizeLinear of one value (float32 division, round half to even, saturate; NaN -> qmin as MAXPS/MINPS do). */
function quantizeValue(x: number, scale: number, zp: number, qmin: number, qmax: number): number {
  const v = f32(f32(x) / scale);
  if (Number.isNaN(v)) return qmin;
  const r = rne(Math.min(Math.max(v, qmin - zp), qmax - zp)) + zp;
  return Math.min(Math.max(r, qmin), qmax);
}

const QRANGE: Record<QType, [number, number]> = { uint8: [0, 255], int8: [-128, 127] };

class Fuser {
  readonly rep: QdqReport = { quantizedConstants: 0, pushedDown: 0, elided: 0, requantized: 0, fused: {}, dequantizedConstants: 0, composedTables: 0 };
  private producers = new Map<string, Node>();
  private consumers = new Map<string, Node[]>();
  private readonly namer: (base: string) => string;
  private readonly scalarCache = new Map<string, string>();

  constructor(readonly g: Graph) {
    this.namer = g.namer();
  }

  private refresh(): void {
    this.producers = this.g.producers();
    this.consumers = this.g.consumers();
  }

  private uses(v: string): Node[] {
    return this.consumers.get(v) ?? [];
  }

  /** Parameters of a Q/DQ node when they are constants of a supported form. */
  qparams(n: Node): QParamsInfo | undefined {
    const g = this.g;
    const s = g.constants.get(n.inputs[1]);
    if (!s || s.dtype !== 'float32') return undefined;
    const z = n.inputs[2] ? g.constants.get(n.inputs[2]) : undefined;
    if (n.inputs[2] && !z) return undefined;
    let dtype: DType | undefined;
    if (n.opType === 'QuantizeLinear') dtype = z?.dtype ?? 'uint8';
    else dtype = g.info(n.inputs[0]).dtype ?? z?.dtype;
    if (dtype !== 'uint8' && dtype !== 'int8') return undefined;
    if (z && z.dtype !== dtype) return undefined;
    const count = numel(s.dims);
    if (z && numel(z.dims) !== count) return undefined;
    const perTensor = count === 1;
    let axis = -1;
    if (!perTensor) {
      if (s.dims.length !== 1) return undefined;
      const rank = g.info(n.inputs[0]).shape?.length;
      if (rank === undefined) return undefined;
      const a = (n.attrs.axis as number | undefined) ?? 1;
      axis = a < 0 ? a + rank : a;
    }
    const zeroPoint = new Int32Array(count);
    if (z) for (let i = 0; i < count; i++) zeroPoint[i] = getNum(z, i);
    return {
      dtype,
      scale: Float32Array.from(s.data as Float32Array),
      zeroPoint,
      perTensor,
      axis,
      scaleName: n.inputs[1],
      zpName: n.inputs[2] ?? '',
    };
  }

  /** A scalar constant with t's value (QLinear ops take scalar parameters). */
  scalar(name: string, dtype: DType, value: number): string {
    const key = `${dtype}:${value}:${name}`;
    let s = this.scalarCache.get(key);
    if (!s) {
      const c = this.g.constants.get(name);
      if (c && c.dims.length === 0 && c.dtype === dtype) s = name;
      else {
        s = this.namer(name ? `${name}_scalar` : `zero_point_${dtype}`);
        this.g.constants.set(s, makeTensor(dtype, [], [value]));
      }
      this.scalarCache.set(key, s);
    }
    return s;
  }

  /** Scalar scale and zero-point constants of per-tensor parameters. */
  scalars(q: QParamsInfo): [string, string] {
    return [this.scalar(q.scaleName, 'float32', q.scale[0]), this.scalar(q.zpName, q.dtype, q.zeroPoint[0])];
  }

  /** When v is DequantizeLinear(q) with constant per-tensor parameters of a runtime q. */
  dq(v: string): { q: string; p: QParamsInfo; node: Node } | undefined {
    const n = this.producers.get(v);
    if (!n || n.opType !== 'DequantizeLinear' || n.domain !== '') return undefined;
    if (this.g.constants.has(n.inputs[0])) return undefined;
    const p = this.qparams(n);
    if (!p || !p.perTensor) return undefined;
    return { q: n.inputs[0], p, node: n };
  }

  /** When v is DequantizeLinear of a constant int8/uint8 tensor (weights). */
  dqConst(v: string): { w: Tensor; p: QParamsInfo } | undefined {
    const n = this.producers.get(v);
    if (!n || n.opType !== 'DequantizeLinear' || n.domain !== '') return undefined;
    const w = this.g.constants.get(n.inputs[0]);
    if (!w || (w.dtype !== 'uint8' && w.dtype !== 'int8')) return undefined;
    const p = this.qparams(n);
    return p ? { w, p } : undefined;
  }

  /**
   * The quantization of n's output: every reader is a QuantizeLinear with the same constant
   * per-tensor parameters, optionally after one Relu / Clip (constant bounds) that is the only
   * reader. Nothing on the way is a graph output.
   */
  outputQ(n: Node, allowAct: boolean): { qs: Node[]; p: QParamsInfo; act?: Node } | undefined {
    const y = n.outputs[0];
    if (n.outputs.length !== 1 || this.g.isOutput(y)) return undefined;
    let readers = this.uses(y);
    let act: Node | undefined;
    if (allowAct && readers.length === 1 && readers[0].domain === '' && (readers[0].opType === 'Relu' || readers[0].opType === 'Clip')) {
      act = readers[0];
      if (act.opType === 'Clip' && !clipBounds(this.g, act)) return undefined;
      if (this.g.isOutput(act.outputs[0])) return undefined;
      readers = this.uses(act.outputs[0]);
    }
    if (readers.length === 0 || !readers.every((r) => r.opType === 'QuantizeLinear' && r.domain === '' && r.inputs[0] === (act ?? n).outputs[0]))
      return undefined;
    const ps = readers.map((r) => this.qparams(r));
    const p = ps[0];
    if (!p || !p.perTensor || !ps.every((o) => o && o.perTensor && sameParams(o, p))) return undefined;
    if (readers.length > 1 && readers.some((r) => this.g.isOutput(r.outputs[0]))) return undefined;
    return { qs: readers, p, act };
  }

  /** Fused Relu / Clip as QLinearConv / QLinearMatMul attributes (the requantization clamp). */
  activationAttrs(act: Node | undefined): Record<string, number | string> {
    if (!act) return {};
    if (act.opType === 'Relu') return { activation: 'Relu' };
    const [lo, hi] = clipBounds(this.g, act)!;
    return { activation: 'Clip', clip_min: lo, clip_max: hi };
  }

  /** Replaces `old` (and the activation / Q nodes after it) by `fused`, which writes the first Q's output. */
  private replace(old: Node, fused: Node, o: { qs: Node[]; act?: Node }, drop: Set<Node>, kind: string): void {
    const y = o.qs[0].outputs[0];
    fused.outputs = [y];
    for (const q of o.qs.slice(1)) this.g.replaceUses(q.outputs[0], y);
    drop.add(old);
    if (o.act) drop.add(o.act);
    for (const q of o.qs) drop.add(q);
    this.rep.fused[kind] = (this.rep.fused[kind] ?? 0) + 1;
  }

  // ------------------------------------------------------------------------------- stage 1

  quantizeConstants(): void {
    const g = this.g;
    const keep: Node[] = [];
    for (const n of g.nodes) {
      const c = n.opType === 'QuantizeLinear' && n.domain === '' ? g.constants.get(n.inputs[0]) : undefined;
      const p = c && c.dtype === 'float32' ? this.qparams(n) : undefined;
      if (!c || !p) {
        keep.push(n);
        continue;
      }
      const [qmin, qmax] = QRANGE[p.dtype];
      const x = c.data as Float32Array;
      const out = p.dtype === 'uint8' ? new Uint8Array(x.length) : new Int8Array(x.length);
      const inner = p.perTensor ? x.length : numel(c.dims.slice(p.axis + 1));
      const channels = p.perTensor ? 1 : c.dims[p.axis];
      for (let i = 0; i < x.length; i++) {
        const ch = p.perTensor ? 0 : Math.floor(i / inner) % channels;
        out[i] = quantizeValue(x[i], p.scale[ch], p.zeroPoint[ch], qmin, qmax);
      }
      g.constants.set(n.outputs[0], makeTensor(p.dtype, c.dims.slice(), out));
      g.values.delete(n.outputs[0]);
      this.rep.quantizedConstants++;
    }
    g.nodes = keep;
  }

  // ------------------------------------------------------------------------------- stage 2

  pushDown(): void {
    const g = this.g;
    this.refresh();
    const out: Node[] = [];
    for (const n of g.nodes) {
      const moved = n.domain === '' && ORDER_ONLY.has(n.opType) ? this.pushOne(n, out) : false;
      if (!moved) out.push(n);
    }
    g.nodes = out;
  }

  private pushOne(n: Node, out: Node[]): boolean {
    const g = this.g;
    const dataInputs = n.opType === 'Concat' ? n.inputs.map((_, i) => i) : [0];
    const src = dataInputs.map((i) => this.dq(n.inputs[i]));
    if (src.some((s) => !s)) return false;
    const p = src[0]!.p;
    if (!src.every((s) => sameParams(s!.p, p))) return false;
    switch (n.opType) {
      case 'MaxPool':
        if (n.outputs.length > 1 && n.outputs[1]) return false;
        break;
      case 'Resize':
        if ((n.attrs.mode ?? 'nearest') !== 'nearest') return false;
        break;
      case 'Pad': {
        if ((n.attrs.mode ?? 'constant') === 'constant') {
          const v = n.inputs[2] ? g.constants.get(n.inputs[2]) : undefined;
          if (n.inputs[2] && !v) return false;
          const value = v ? getNum(v, 0) : 0;
          // The pad value must be exactly representable: only 0 (the zero point) is handled.
          if (value !== 0) return false;
        }
        break;
      }
    }
    const inputs = n.inputs.slice();
    dataInputs.forEach((i, k) => (inputs[i] = src[k]!.q));
    if (n.opType === 'Pad' && (n.attrs.mode ?? 'constant') === 'constant') {
      const zp = this.namer(`${n.name}_pad_zero_point`);
      g.constants.set(zp, makeTensor(p.dtype, [], [p.zeroPoint[0]]));
      while (inputs.length < 3) inputs.push('');
      inputs[2] = zp;
    }
    const qOuts = n.outputs.map((o) => (o ? this.namer(`${o}_quantized`) : ''));
    const moved: Node = { ...n, inputs, outputs: qOuts };
    out.push(moved);
    const dqNode = src[0]!.node;
    n.outputs.forEach((o, i) => {
      if (!o) return;
      g.values.delete(o);
      const d: Node = {
        name: this.namer(`${o}_DequantizeLinear`),
        opType: 'DequantizeLinear',
        domain: '',
        inputs: [qOuts[i], dqNode.inputs[1], dqNode.inputs[2] ?? ''],
        outputs: [o],
        attrs: {},
      };
      if (!d.inputs[2]) d.inputs.pop();
      out.push(d);
      this.producers.set(o, d);
      this.producers.set(qOuts[i], moved);
    });
    this.rep.pushedDown++;
    return true;
  }

  // ------------------------------------------------------------------------------- stage 3

  elide(): void {
    const g = this.g;
    this.refresh();
    const drop = new Set<Node>();
    for (const n of g.nodes) {
      if (n.opType !== 'QuantizeLinear' || n.domain !== '') continue;
      const src = this.dq(n.inputs[0]);
      const p = this.qparams(n);
      if (!src || !p || !p.perTensor) continue;
      const y = n.outputs[0];
      if (sameParams(src.p, p)) {
        if (g.isOutput(y)) continue;
        g.replaceUses(y, src.q);
        drop.add(n);
        this.rep.elided++;
      } else {
        const table = this.table('identity', undefined, src.p, p);
        if (!table) continue;
        n.opType = 'Lookup';
        n.domain = 'qint8';
        n.inputs = [src.q, table];
        n.attrs = {};
        this.rep.requantized++;
      }
    }
    g.nodes = g.nodes.filter((n) => !drop.has(n));
  }

  /** A lookup-table constant for fn from the input's to the output's parameters. */
  private table(fn: UnaryFunction, params: { alpha?: number; beta?: number } | undefined, inp: QParamsInfo, outp: QParamsInfo): string | undefined {
    let t: Uint8Array;
    try {
      t = lookupTable(
        fn,
        { scale: inp.scale[0], zeroPoint: inp.zeroPoint[0], dtype: inp.dtype },
        { scale: outp.scale[0], zeroPoint: outp.zeroPoint[0], dtype: outp.dtype },
        params,
      ).table;
    } catch {
      return undefined; // parameters the table builder rejects: leave the float path
    }
    const name = this.namer(`table_${fn}`);
    this.g.constants.set(name, makeTensor(outp.dtype, [256], outp.dtype === 'int8' ? new Int8Array(t.buffer, t.byteOffset, 256).slice() : t.slice()));
    return name;
  }

  // ------------------------------------------------------------------------------- stage 4

  fuse(): void {
    const g = this.g;
    this.refresh();
    const drop = new Set<Node>();
    const out: Node[] = [];
    for (const n of g.nodes) {
      if (drop.has(n)) continue;
      let f: Node | undefined;
      if (n.domain === '')
        switch (n.opType) {
          case 'Conv':
            f = this.fuseConv(n, drop);
            break;
          case 'Gemm':
          case 'MatMul':
            f = this.fuseMatMul(n, drop);
            break;
          case 'Add':
          case 'Mul':
            f = this.fuseBinary(n, drop);
            break;
          case 'AveragePool':
          case 'GlobalAveragePool':
            f = this.fusePool(n, drop);
            break;
          case 'Concat':
            f = this.fuseConcat(n, drop);
            break;
        }
      if (!f && unaryFunction(g, n)) f = this.fuseUnary(n, drop);
      if (!f && scalarArithmetic(g, n)) f = this.fuseScalarArithmetic(n, drop);
      out.push(f ?? n);
      if (f) this.refreshLocal(f);
    }
    g.nodes = out.filter((n) => !drop.has(n));
  }

  /**
   * x op c with a float constant c (qint8's own plans leave such constants in float): a table of
   * the float semantics, DequantizeLinear -> op -> QuantizeLinear, exact.
   */
  private fuseScalarArithmetic(n: Node, drop: Set<Node>): Node | undefined {
    const a = scalarArithmetic(this.g, n)!;
    const x = this.dq(n.inputs[a.x]);
    if (!x) return undefined;
    const o = this.outputQ(n, false);
    if (!o) return undefined;
    const [qmin, qmax] = QRANGE[x.p.dtype];
    const [omin, omax] = QRANGE[o.p.dtype];
    const t = o.p.dtype === 'int8' ? new Int8Array(256) : new Uint8Array(256);
    for (let q = qmin; q <= qmax; q++) {
      const v = f32((q - x.p.zeroPoint[0]) * x.p.scale[0]);
      t[q & 255] = quantizeValue(a.fn(v), o.p.scale[0], o.p.zeroPoint[0], omin, omax);
    }
    const name = this.namer(`table_${n.opType}`);
    this.g.constants.set(name, makeTensor(o.p.dtype, [256], t));
    const f: Node = { name: n.name, opType: 'Lookup', domain: 'qint8', inputs: [x.q, name], outputs: [], attrs: {} };
    this.replace(n, f, o, drop, `Lookup(${n.opType})`);
    return f;
  }

  /**
   * Lookup -> Lookup (the first one's output read by nothing else): one table, t[i] = t2[t1[i]].
   * Exact: the composition of the two byte-to-byte maps.
   */
  composeTables(): void {
    const g = this.g;
    // One pass in graph order: when n absorbs its producer p, a later Lookup reading n sees n
    // (already composed) as its producer, so chains of any length fold into their last table.
    const producers = g.producers();
    const consumers = g.consumers();
    const drop = new Set<Node>();
    for (const n of g.nodes) {
      if (drop.has(n) || n.domain !== 'qint8' || n.opType !== 'Lookup') continue;
      const p = producers.get(n.inputs[0]);
      if (!p || p.domain !== 'qint8' || p.opType !== 'Lookup' || g.isOutput(p.outputs[0]) || (consumers.get(p.outputs[0]) ?? []).length !== 1) continue;
      const t1 = g.constants.get(p.inputs[1]);
      const t2 = g.constants.get(n.inputs[1]);
      if (!t1 || !t2) continue;
      const a = t1.data as Uint8Array | Int8Array;
      const b = t2.data as Uint8Array | Int8Array;
      const t = t2.dtype === 'int8' ? new Int8Array(256) : new Uint8Array(256);
      for (let i = 0; i < 256; i++) t[i] = b[a[i] & 255];
      const name = this.namer('table_composed');
      g.constants.set(name, makeTensor(t2.dtype, [256], t));
      n.inputs = [p.inputs[0], name];
      drop.add(p);
      g.values.delete(p.outputs[0]);
      this.rep.composedTables++;
    }
    g.nodes = g.nodes.filter((m) => !drop.has(m));
  }

  private refreshLocal(f: Node): void {
    for (const o of f.outputs) if (o) this.producers.set(o, f);
  }

  private rank(v: string): number | undefined {
    return this.g.info(v).shape?.length;
  }

  /**
   * Bias for an int8 compute op: int32 at x_scale * w_scale[c] (c < n). From an int32
   * DequantizeLinear whose scale is already that (used as is) or any other constant
   * (dequantized, then quantized with round half to even).
   */
  private bias(v: string, xScale: number, wScale: Float32Array, n: number): string | undefined {
    const g = this.g;
    const scaleOf = (c: number) => f32(xScale * wScale[wScale.length === 1 ? 0 : c]);
    let values: Float32Array | undefined;
    const dqn = this.producers.get(v);
    if (dqn && dqn.opType === 'DequantizeLinear' && dqn.domain === '') {
      const b = g.constants.get(dqn.inputs[0]);
      const s = g.constants.get(dqn.inputs[1]);
      const z = dqn.inputs[2] ? g.constants.get(dqn.inputs[2]) : undefined;
      if (!b || !s || (dqn.inputs[2] && !z) || numel(b.dims) !== n || s.dtype !== 'float32') return undefined;
      const sc = s.data as Float32Array;
      const per = (i: number) => sc[sc.length === 1 ? 0 : i];
      const zp = (i: number) => (z ? getNum(z, z.data.length === 1 ? 0 : i) : 0);
      if (b.dtype === 'int32' && (sc.length === 1 || sc.length === n)) {
        let same = !z || [...Array(n).keys()].every((i) => zp(i) === 0);
        for (let c = 0; c < n && same; c++) same = per(c) === scaleOf(c);
        if (same) return dqn.inputs[0];
      }
      if (sc.length !== 1 && sc.length !== n) return undefined;
      values = new Float32Array(n);
      for (let c = 0; c < n; c++) values[c] = f32((getNum(b, c) - zp(c)) * per(c));
    } else {
      const b = g.constants.get(v);
      if (!b || b.dtype !== 'float32' || numel(b.dims) !== n) return undefined;
      values = b.data as Float32Array;
    }
    const q = new Int32Array(n);
    for (let c = 0; c < n; c++) {
      const r = rne(f32(values[c] / scaleOf(c)));
      if (!Number.isFinite(r) || r > 2147483647 || r < -2147483648) return undefined;
      q[c] = r;
    }
    const name = this.namer(`${v || 'bias'}_int32`);
    g.constants.set(name, makeTensor('int32', [n], q));
    return name;
  }

  /** Weight zero points as a constant of the weights' type (QLinear ops need them explicitly). */
  private weightZp(p: QParamsInfo, base: string): string {
    if (p.zpName && this.g.constants.get(p.zpName)?.dtype === p.dtype) return p.zpName;
    const name = this.namer(`${base}_zero_point`);
    this.g.constants.set(name, makeTensor(p.dtype, p.perTensor ? [] : [p.zeroPoint.length], p.zeroPoint));
    return name;
  }

  private fuseConv(n: Node, drop: Set<Node>): Node | undefined {
    const x = this.dq(n.inputs[0]);
    const w = this.dqConst(n.inputs[1]);
    if (!x || !w || this.rank(n.inputs[0]) !== 4 || w.w.dims.length !== 4) return undefined;
    if (!w.p.perTensor && w.p.axis !== 0) return undefined;
    const o = this.outputQ(n, true);
    if (!o) return undefined;
    const cout = w.w.dims[0];
    let b: string | undefined;
    if (n.inputs[2]) {
      b = this.bias(n.inputs[2], x.p.scale[0], w.p.scale, cout);
      if (!b) return undefined;
    }
    const [xs, xz] = this.scalars(x.p);
    const [ys, yz] = this.scalars(o.p);
    const wq = this.producers.get(n.inputs[1])!.inputs[0];
    const f: Node = {
      name: n.name,
      opType: 'QLinearConv',
      domain: '',
      inputs: [x.q, xs, xz, wq, w.p.scaleName, this.weightZp(w.p, wq), ys, yz, ...(b ? [b] : [])],
      outputs: [],
      attrs: { ...n.attrs, ...this.activationAttrs(o.act) },
    };
    this.replace(n, f, o, drop, 'QLinearConv');
    return f;
  }

  /** A constant, or the constant a DequantizeLinear reads (int32 bias included). */
  private constThroughDq(v: string): Tensor | undefined {
    const p = this.producers.get(v);
    return this.g.constants.get(v) ?? (p && p.opType === 'DequantizeLinear' && p.domain === '' ? this.g.constants.get(p.inputs[0]) : undefined);
  }

  private fuseMatMul(n: Node, drop: Set<Node>): Node | undefined {
    const g = this.g;
    const isGemm = n.opType === 'Gemm';
    const a = this.dq(n.inputs[0]);
    const w = this.dqConst(n.inputs[1]);
    if (!a || !w || w.w.dims.length !== 2) return undefined;
    const ra = this.rank(n.inputs[0]);
    if (ra === undefined || ra < 2 || (isGemm && ra !== 2)) return undefined;
    const transB = isGemm && ((n.attrs.transB as number | undefined) ?? 0) !== 0;
    if (isGemm) {
      if (((n.attrs.transA as number | undefined) ?? 0) !== 0) return undefined;
      if (((n.attrs.alpha as number | undefined) ?? 1) !== 1) return undefined;
      if (n.inputs[2] && ((n.attrs.beta as number | undefined) ?? 1) !== 1) return undefined;
    }
    // Per-column weights: axis along N (dim 0 of a transposed B, dim 1 otherwise).
    if (!w.p.perTensor && w.p.axis !== (transB ? 0 : 1)) return undefined;
    const [K, N] = transB ? [w.w.dims[1], w.w.dims[0]] : [w.w.dims[0], w.w.dims[1]];
    // A constant bias: Gemm's C, or an Add right after a MatMul.
    let biasSrc = isGemm ? n.inputs[2] : undefined;
    let biasAdd: Node | undefined;
    let head: Node = n;
    if (!isGemm) {
      const readers = this.uses(n.outputs[0]);
      const r = readers[0];
      if (readers.length === 1 && r.opType === 'Add' && r.domain === '' && !g.isOutput(n.outputs[0])) {
        const other = r.inputs[0] === n.outputs[0] ? r.inputs[1] : r.inputs[0];
        const c = this.constThroughDq(other);
        if (c && numel(c.dims) === N && c.dims[c.dims.length - 1] === N) {
          biasSrc = other;
          biasAdd = r;
          head = r;
        }
      }
    }
    if (isGemm && biasSrc) {
      // C broadcast along rows: N values on its last axis (a constant, or a DequantizeLinear of one, int32 included).
      const c = this.constThroughDq(biasSrc);
      if (!c || numel(c.dims) !== N || c.dims[c.dims.length - 1] !== N) return undefined;
    }
    const o = this.outputQ(head, true);
    if (!o) return undefined;
    let b: string | undefined;
    if (biasSrc) {
      b = this.bias(biasSrc, a.p.scale[0], w.p.scale, N);
      if (!b) return undefined;
    }
    // B as [K, N] with per-column parameters.
    const wname = this.producers.get(n.inputs[1])!.inputs[0];
    let bq = wname;
    if (transB) {
      const src = w.w.data as Int8Array | Uint8Array;
      const t = w.w.dtype === 'int8' ? new Int8Array(K * N) : new Uint8Array(K * N);
      for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) t[k * N + j] = src[j * K + k];
      bq = this.namer(`${wname}_KxN`);
      g.constants.set(bq, makeTensor(w.w.dtype, [K, N], t));
    }
    const [as, az] = this.scalars(a.p);
    const [ys, yz] = this.scalars(o.p);
    const f: Node = {
      name: n.name,
      opType: 'QLinearMatMul',
      domain: '',
      inputs: [a.q, as, az, bq, w.p.scaleName, this.weightZp(w.p, wname), ys, yz, ...(b ? [b] : [])],
      outputs: [],
      attrs: { ...this.activationAttrs(o.act) },
    };
    if (biasAdd) drop.add(biasAdd);
    this.replace(n, f, o, drop, 'QLinearMatMul');
    return f;
  }

  private fuseBinary(n: Node, drop: Set<Node>): Node | undefined {
    const ins = n.inputs.map((v) => this.dq(v) ?? this.dqConstTensor(v));
    if (ins.some((i) => !i)) return undefined;
    const [A, B] = ins as { q: string; p: QParamsInfo }[];
    if (A.p.dtype !== B.p.dtype) return undefined;
    const o = this.outputQ(n, n.opType === 'Add');
    if (!o || o.p.dtype !== A.p.dtype) return undefined;
    if (o.act && o.act.opType !== 'Relu') return undefined;
    const [as, az] = this.scalars(A.p);
    const [bs, bz] = this.scalars(B.p);
    const [ys, yz] = this.scalars(o.p);
    const kind = n.opType === 'Add' ? 'QLinearAdd' : 'QLinearMul';
    const f: Node = {
      name: n.name,
      opType: kind,
      domain: 'com.microsoft',
      inputs: [A.q, as, az, B.q, bs, bz, ys, yz],
      outputs: [],
      attrs: o.act ? { activation: 'Relu' } : {},
    };
    this.replace(n, f, o, drop, kind);
    return f;
  }

  /** A per-tensor DequantizeLinear of a constant, as an operand of a binary op. */
  private dqConstTensor(v: string): { q: string; p: QParamsInfo } | undefined {
    const c = this.dqConst(v);
    if (!c || !c.p.perTensor) return undefined;
    return { q: this.producers.get(v)!.inputs[0], p: c.p };
  }

  private fusePool(n: Node, drop: Set<Node>): Node | undefined {
    const x = this.dq(n.inputs[0]);
    if (!x || this.rank(n.inputs[0]) !== 4) return undefined;
    const o = this.outputQ(n, false);
    if (!o || o.p.dtype !== x.p.dtype) return undefined;
    const [xs, xz] = this.scalars(x.p);
    const [ys, yz] = this.scalars(o.p);
    const kind = n.opType === 'AveragePool' ? 'QLinearAveragePool' : 'QLinearGlobalAveragePool';
    const f: Node = {
      name: n.name,
      opType: kind,
      domain: 'com.microsoft',
      inputs: [x.q, xs, xz, ys, yz],
      outputs: [],
      attrs: { ...n.attrs, channels_last: 0 },
    };
    this.replace(n, f, o, drop, kind);
    return f;
  }

  private fuseConcat(n: Node, drop: Set<Node>): Node | undefined {
    const ins = n.inputs.map((v) => this.dq(v) ?? this.dqConstTensor(v));
    if (ins.some((i) => !i)) return undefined;
    const o = this.outputQ(n, false);
    if (!o || !ins.every((i) => i!.p.dtype === o.p.dtype)) return undefined;
    const [ys, yz] = this.scalars(o.p);
    const inputs = [ys, yz];
    for (const i of ins) inputs.push(i!.q, ...this.scalars(i!.p));
    const f: Node = { name: n.name, opType: 'QLinearConcat', domain: 'com.microsoft', inputs, outputs: [], attrs: { axis: n.attrs.axis } };
    this.replace(n, f, o, drop, 'QLinearConcat');
    return f;
  }

  private fuseUnary(n: Node, drop: Set<Node>): Node | undefined {
    const u = unaryFunction(this.g, n)!;
    const x = this.dq(n.inputs[0]);
    if (!x) return undefined;
    const o = this.outputQ(n, false);
    if (!o) return undefined;
    let f: Node;
    let kind: string;
    if ((n.opType === 'Sigmoid' || n.opType === 'LeakyRelu') && n.domain === '' && o.p.dtype === x.p.dtype) {
      // onnxruntime's contrib ops: the same tables it builds (ORT-exact).
      kind = n.opType === 'Sigmoid' ? 'QLinearSigmoid' : 'QLinearLeakyRelu';
      const [xs, xz] = this.scalars(x.p);
      const [ys, yz] = this.scalars(o.p);
      f = { name: n.name, opType: kind, domain: 'com.microsoft', inputs: [x.q, xs, xz, ys, yz], outputs: [], attrs: n.opType === 'LeakyRelu' ? { alpha: u.params!.alpha! } : {} };
    } else {
      const table = this.table(u.fn, u.params, x.p, o.p);
      if (!table) return undefined;
      kind = `Lookup(${n.opType})`;
      f = { name: n.name, opType: 'Lookup', domain: 'qint8', inputs: [x.q, table], outputs: [], attrs: {} };
    }
    this.replace(n, f, o, drop, kind);
    return f;
  }

  // ------------------------------------------------------------------------------- stage 5

  dequantizeConstants(): void {
    const g = this.g;
    const keep: Node[] = [];
    for (const n of g.nodes) {
      const c = n.opType === 'DequantizeLinear' && n.domain === '' ? g.constants.get(n.inputs[0]) : undefined;
      const p = c ? this.qparamsForConst(n, c) : undefined;
      if (!c || !p) {
        keep.push(n);
        continue;
      }
      const out = new Float32Array(numel(c.dims));
      const inner = p.perTensor ? out.length : numel(c.dims.slice(p.axis + 1));
      const channels = p.perTensor ? 1 : c.dims[p.axis];
      for (let i = 0; i < out.length; i++) {
        const ch = p.perTensor ? 0 : Math.floor(i / inner) % channels;
        out[i] = f32((getNum(c, i) - p.zeroPoint[ch]) * p.scale[ch]);
      }
      g.constants.set(n.outputs[0], makeTensor('float32', c.dims.slice(), out));
      g.values.delete(n.outputs[0]);
      this.rep.dequantizedConstants++;
    }
    g.nodes = keep;
  }

  /** Parameters of a DequantizeLinear of a constant (int8 / uint8 / int32). */
  private qparamsForConst(n: Node, c: Tensor): { scale: Float32Array; zeroPoint: Float64Array; perTensor: boolean; axis: number } | undefined {
    const g = this.g;
    if (c.dtype !== 'uint8' && c.dtype !== 'int8' && c.dtype !== 'int32') return undefined;
    const s = g.constants.get(n.inputs[1]);
    const z = n.inputs[2] ? g.constants.get(n.inputs[2]) : undefined;
    if (!s || s.dtype !== 'float32' || (n.inputs[2] && !z)) return undefined;
    const count = numel(s.dims);
    const zeroPoint = new Float64Array(count);
    if (z) for (let i = 0; i < count; i++) zeroPoint[i] = getNum(z, i);
    if (count === 1) return { scale: s.data as Float32Array, zeroPoint, perTensor: true, axis: -1 };
    const a = (n.attrs.axis as number | undefined) ?? 1;
    const axis = a < 0 ? a + c.dims.length : a;
    if (axis < 0 || axis >= c.dims.length || c.dims[axis] !== count) return undefined;
    return { scale: s.data as Float32Array, zeroPoint, perTensor: false, axis };
  }
}

function sameParams(a: QParamsInfo, b: QParamsInfo): boolean {
  if (a.dtype !== b.dtype || a.scale.length !== b.scale.length) return false;
  for (let i = 0; i < a.scale.length; i++) if (a.scale[i] !== b.scale[i] || a.zeroPoint[i] !== b.zeroPoint[i]) return false;
  return a.perTensor === b.perTensor && (a.perTensor || a.axis === b.axis);
}

/** True when the graph has QuantizeLinear / DequantizeLinear nodes (a QDQ model). */
export function hasQdq(g: Graph): boolean {
  return g.nodes.some((n) => n.domain === '' && (n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear'));
}

/**
 * Only the constant stages (1 and 5): quantized constants folded, weights dequantized once. What
 * the 'simulate' mode of a session runs: the float graph with every activation Q/DQ pair kept.
 */
export function foldQdqConstants(g: Graph): QdqReport {
  inferShapes(g);
  const f = new Fuser(g);
  f.quantizeConstants();
  f.dequantizeConstants();
  eliminateDeadCode(g);
  inferShapes(g);
  g.validate();
  return f.rep;
}

/** Fuses a QDQ graph into int8 ops in place (see the file comment); returns what it did. */
export function fuseQdq(g: Graph): QdqReport {
  inferShapes(g);
  const f = new Fuser(g);
  f.quantizeConstants();
  inferShapes(g);
  f.pushDown();
  inferShapes(g);
  f.elide();
  f.fuse();
  f.elide();
  eliminateDeadCode(g); // dangling DequantizeLinear readers would hide single-reader chains
  f.composeTables();
  f.dequantizeConstants();
  eliminateDeadCode(g);
  g.sort();
  inferShapes(g);
  g.validate();
  return f.rep;
}
