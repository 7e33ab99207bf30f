// Layout planning: 4-D spatial ops run channels-last (NHWC) inside the engine, with transposes
// only where the channels-last region meets the rest of the graph (the model's inputs and
// outputs, and ops that care about axis order such as Reshape, Softmax or MatMul).
//
// - Spatial ops on 4-D inputs (Conv, FusedConv, ConvTranspose, MaxPool without Indices,
//   AveragePool, GlobalAveragePool, BatchNormalization, InstanceNormalization, Resize) become
//   their qint8.Nhwc<Op> twins: X and Y channels-last (and a FusedConv's residual Sum input),
//   everything else unchanged.
// - Layout-agnostic ops (elementwise unary/binary/variadic ops, Where, Concat) run in whatever
//   layout their 4-D inputs have: if any is channels-last, the op runs channels-last; constant
//   operands are permuted at compile time (a rank < 4 constant is first viewed at rank 4, as
//   broadcasting does), a Concat axis is remapped. Their outputs stay channels-last.
// - Any other reader of a channels-last value gets Transpose(perm [0, 3, 1, 2]) (one per value,
//   shared by all such readers); a graph output keeps its name and layout by a final transpose.
// - A transpose that only moves size-1 dims (e.g. after GlobalAveragePool: [N, 1, 1, C] ->
//   [N, C, 1, 1]) is a Reshape: same bytes, no data movement.
//
// Value infos of channels-last values hold their physical (NHWC) shapes, so a plan compiler sees
// the real buffer shapes.
import type { Graph, Node, Shape } from '../ir';
import { inferShapes } from '../infer';
import { NHWC_BASES, NHWC_QBASES } from '../../onnx/registry';
import { transposeTensor } from '../const-eval';
import { type Tensor, int64s, toInts } from '../tensor';


const AGNOSTIC = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Equal', 'Less', 'Greater', 'And', 'Where', 'Not', 'Neg', 'Abs', 'Sqrt', 'Exp',
  'Log', 'Erf', 'Sigmoid', 'Tanh', 'Relu', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Clip', 'Cast', 'Identity',
]);
// Quantized ops (QOperator models) that run in any layout: the input indices that carry data
// (the others are quantization parameters, never permuted). QuantizeLinear / DequantizeLinear get
// their axis remapped (per-axis parameters follow the channel to the last dim), QLinearConcat its
// axis, Pad its pads (a constant, without axes).
const QAGNOSTIC: Record<string, (n: Node) => number[]> = {
  'com.microsoft::QLinearAdd': () => [0, 3],
  'com.microsoft::QLinearMul': () => [0, 3],
  'com.microsoft::QLinearSigmoid': () => [0],
  'com.microsoft::QLinearLeakyRelu': () => [0],
  'com.microsoft::QLinearConcat': (n) => n.inputs.map((_, i) => i).filter((i) => i >= 2 && (i - 2) % 3 === 0),
  '::QuantizeLinear': () => [0],
  '::DequantizeLinear': () => [0],
  '::DynamicQuantizeLinear': () => [0],
  '::Pad': () => [0],
};
const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];

export interface LayoutReport {
  /** Nodes turned into channels-last twins. */
  spatial: number;
  /** Layout-agnostic nodes that run channels-last. */
  agnostic: number;
  /** Transposes inserted (not counting those emitted as Reshape). */
  transposes: number;
  /** Layout changes that only move size-1 dims, emitted as Reshape. */
  reshapes: number;
}

/** Plans channels-last execution in place (run after optimize()). */
export function planLayout(g: Graph): LayoutReport {
  inferShapes(g);
  const rep: LayoutReport = { spatial: 0, agnostic: 0, transposes: 0, reshapes: 0 };
  const namer = g.namer();
  const nhwc = new Set<string>(); // values held channels-last
  const asNchw = new Map<string, string>(); // channels-last value -> its NCHW copy
  const asNhwc = new Map<string, string>(); // NCHW value -> its channels-last copy
  const out: Node[] = [];
  const rank = (v: string) => g.info(v).shape?.length;

  // Emits a layout change of `v` (physical shape `from`) by `perm`: a Reshape when only size-1
  // dims move, else a Transpose.
  const change = (v: string, perm: number[], from: Shape | undefined, base: string): string => {
    const name = namer(base);
    const target = from ? reshapeTarget(from, perm) : undefined;
    if (target) {
      const shape = namer(`${name}_shape`);
      g.constants.set(shape, int64s(target));
      out.push({ name: namer(`${name}_reshape`), opType: 'Reshape', domain: '', inputs: [v, shape], outputs: [name], attrs: {} });
      rep.reshapes++;
    } else {
      out.push({ name: namer(`${name}_transpose`), opType: 'Transpose', domain: '', inputs: [v], outputs: [name], attrs: { perm } });
      rep.transposes++;
    }
    return name;
  };
  const physical = (v: string): Shape | undefined => {
    const s = g.info(v).shape;
    return s && nhwc.has(v) ? TO_NHWC.map((p) => s[p]) : s;
  };
  const nchwOf = (v: string): string => {
    if (!nhwc.has(v)) return v;
    let t = asNchw.get(v);
    if (!t) asNchw.set(v, (t = change(v, TO_NCHW, physical(v), `${v}_nchw`)));
    return t;
  };
  const nhwcOf = (v: string): string => {
    if (nhwc.has(v)) return v;
    let t = asNhwc.get(v);
    if (!t) asNhwc.set(v, (t = change(v, TO_NHWC, physical(v), `${v}_nhwc`)));
    return t;
  };
  const permConst = (v: string): string => {
    const t = g.constants.get(v)!;
    if (t.dims.length > 4) return v;
    const r4: Tensor = { ...t, dims: [...new Array(4 - t.dims.length).fill(1), ...t.dims] };
    const name = namer(`${v}_nhwc`);
    g.constants.set(name, transposeTensor(r4, TO_NHWC));
    return name;
  };

  for (const n of g.nodes) {
    const x = n.inputs[0];
    // Quantized spatial ops: parameter inputs keep their meaning in any layout (runtime scalars
    // such as ConvInteger's zero point after DynamicQuantizeLinear are fine; runtime weights are
    // refused by the engine op, naming them).
    const qbase =
      (NHWC_QBASES as readonly string[]).includes(n.opType) &&
      (n.domain === '' || (n.domain === 'com.microsoft' && !n.attrs.channels_last) || (n.domain === 'qint8' && n.opType === 'DynamicQuantizeConv'));
    const base = n.domain === '' || (n.domain === 'qint8' && n.opType === 'FusedConv') || qbase ? n.opType : '';
    const spatial =
      ((NHWC_BASES as readonly string[]).includes(base) || qbase) &&
      rank(x) === 4 &&
      !(n.opType === 'MaxPool' && n.outputs.length > 1 && n.outputs[1]) &&
      n.inputs.slice(1).every((i, j) => !i || g.constants.has(i) || n.opType === 'Resize' || qbase || (base === 'FusedConv' && j === 2));
    if (spatial) {
      // A FusedConv's Sum (input 3, a residual of Y's shape) is read in Y's layout.
      n.inputs = [nhwcOf(x), ...n.inputs.slice(1).map((i, j) => (base === 'FusedConv' && j === 2 && i ? nhwcOf(i) : nchwOf(i)))];
      n.opType = `Nhwc${base}`;
      n.domain = 'qint8';
      n.outputs = n.outputs.slice(0, 1);
      nhwc.add(n.outputs[0]);
      out.push(n);
      rep.spatial++;
      continue;
    }
    if (n.domain === 'qint8' && n.opType === 'Lookup' && nhwc.has(x)) {
      // Elementwise through a table: runs in the input's layout (the table is not a tensor operand).
      nhwc.add(n.outputs[0]);
      out.push(n);
      rep.agnostic++;
      continue;
    }
    const qdata = QAGNOSTIC[`${n.domain}::${n.opType}`]?.(n).filter((i) => n.inputs[i]);
    if (qdata) {
      const dyn = qdata.map((i) => n.inputs[i]).filter((v) => !g.constants.has(v));
      const pads = n.opType === 'Pad' ? g.constants.get(n.inputs[1]) : undefined;
      const ok =
        dyn.some((v) => nhwc.has(v)) &&
        rank(n.outputs[0]) === 4 &&
        dyn.every((v) => rank(v) === 4 || rank(v) === 0) &&
        (n.opType !== 'Pad' || (pads !== undefined && pads.dims.length === 1 && pads.dims[0] === 8 && !n.inputs[3]));
      if (ok) {
        n.inputs = n.inputs.map((v, i) => {
          if (!v || !qdata.includes(i)) return v;
          if (g.constants.has(v)) return g.constants.get(v)!.dims.length === 0 ? v : permConst(v);
          return rank(v) === 4 ? nhwcOf(v) : v;
        });
        if (n.opType === 'QLinearConcat' || n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear') {
          const a = (n.attrs.axis as number | undefined) ?? 1;
          n.attrs = { ...n.attrs, axis: TO_NHWC.indexOf(a < 0 ? a + 4 : a) };
        }
        if (n.opType === 'Pad') {
          const p = toInts(pads!);
          const name = namer(`${n.inputs[1]}_nhwc`);
          g.constants.set(name, int64s([...TO_NHWC.map((a) => p[a]), ...TO_NHWC.map((a) => p[a + 4])]));
          n.inputs = [n.inputs[0], name, ...n.inputs.slice(2)];
        }
        nhwc.add(n.outputs[0]);
        out.push(n);
        rep.agnostic++;
        continue;
      }
    }
    const dyn4 = n.inputs.filter((i) => i && !g.constants.has(i) && rank(i) === 4);
    const anyNhwc = dyn4.some((i) => nhwc.has(i));
    const outRank = rank(n.outputs[0]);
    const others = n.inputs.filter((i) => i && !g.constants.has(i) && rank(i) !== 4);
    const ok =
      anyNhwc &&
      outRank === 4 &&
      n.outputs.length === 1 &&
      others.every((i) => rank(i) === 0) && // runtime scalars broadcast the same in any layout
      ((n.domain === '' && AGNOSTIC.has(n.opType)) || (n.opType === 'Concat' && n.domain === ''));
    if (ok) {
      n.inputs = n.inputs.map((i) => {
        if (!i) return i;
        if (g.constants.has(i)) return n.opType === 'Clip' || g.constants.get(i)!.dims.length === 0 ? i : permConst(i);
        return rank(i) === 4 ? nhwcOf(i) : i;
      });
      if (n.opType === 'Concat') {
        const a = n.attrs.axis as number;
        n.attrs = { ...n.attrs, axis: TO_NHWC.indexOf(a < 0 ? a + 4 : a) };
      }
      nhwc.add(n.outputs[0]);
      out.push(n);
      rep.agnostic++;
      continue;
    }
    n.inputs = n.inputs.map((i) => (i ? nchwOf(i) : i));
    out.push(n);
  }
  // Graph outputs keep their names and NCHW layout.
  for (const o of g.outputs) {
    if (!nhwc.has(o.name)) continue;
    const from = physical(o.name);
    const inner = namer(`${o.name}_nhwc`);
    for (const n of out) {
      n.outputs = n.outputs.map((v) => (v === o.name ? inner : v));
      n.inputs = n.inputs.map((v) => (v === o.name ? inner : v));
    }
    const target = from ? reshapeTarget(from, TO_NCHW) : undefined;
    if (target) {
      const shape = namer(`${o.name}_shape`);
      g.constants.set(shape, int64s(target));
      out.push({ name: namer(`${o.name}_reshape`), opType: 'Reshape', domain: '', inputs: [inner, shape], outputs: [o.name], attrs: {} });
      rep.reshapes++;
    } else {
      out.push({ name: namer(`${o.name}_transpose`), opType: 'Transpose', domain: '', inputs: [inner], outputs: [o.name], attrs: { perm: TO_NCHW } });
      rep.transposes++;
    }
  }
  g.nodes = out;
  g.sort();
  g.values.clear();
  inferShapes(g);
  g.validate();
  return rep;
}

/**
 * When `perm` only moves size-1 dims of `from` (the other dims keep their order), the Reshape
 * target that does the same (0 = copy a symbolic dim that stays in place); else undefined.
 */
function reshapeTarget(from: Shape, perm: number[]): number[] | undefined {
  const big = perm.filter((p) => from[p] !== 1);
  for (let i = 1; i < big.length; i++) if (big[i] < big[i - 1]) return undefined;
  const to = perm.map((p) => from[p]);
  const target: number[] = [];
  for (let i = 0; i < to.length; i++) {
    const d = to[i];
    if (typeof d === 'number') target.push(d);
    else if (from[i] === d) target.push(0);
    else return undefined;
  }
  return target;
}
