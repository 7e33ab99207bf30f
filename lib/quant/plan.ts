// Static quantization of a float graph: which ops run in int8, which float tensors are quantized
// (and which share parameters), and the QDQ graph that convert() writes.
//
// Roles (decided in node order):
//   compute   Conv (2-D, constant weights), Gemm (constant B, alpha 1, transA 0), MatMul (constant
//             2-D right side): the input is quantized, weights per channel (or per tensor), bias
//             int32 at x_scale * w_scale, the output quantized after a following Relu / Clip
//             when that is its only reader (the activation is fused, as in PyTorch's fused modules:
//             one observer after the activation).
//   int8      Add / Mul (when an input is already quantized; Add + Relu fused the same way),
//             AveragePool / GlobalAveragePool, Concat, and table ops (Sigmoid, Tanh, HardSigmoid,
//             HardSwish, LeakyRelu, Gelu, Elu, Exp, Softplus, Mish, Relu, Clip) whose input is
//             already quantized: inputs and output quantized. Sigmoid / Tanh / HardSigmoid outputs
//             get PyTorch's fixed parameters (1/256 and 0; 2/256 and 128; 1/256 and 0).
//   shared    order-only ops (MaxPool, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Slice,
//             Gather, Split, Expand, Tile, DepthToSpace, SpaceToDepth, nearest Resize, Identity)
//             whose input is quantized: the output has the input's parameters (no observer).
//   float     everything else, and excluded nodes: float, with a DequantizeLinear only where it
//             reads a tensor an int8 op produced.
// Ops that do not need int8 inputs (pools, tables, shared ops) only run in int8 when their input
// is already quantized: a float producer feeding them would otherwise add a boundary for nothing.
import type { Graph, Node } from '../graph/ir';
import { inferShapes } from '../graph/infer';
import { eliminateDeadCode } from '../graph/passes/cleanup';
import { type Tensor, getNum, makeTensor, numel } from '../graph/tensor';

export type Role = 'compute' | 'int8' | 'shared' | 'fused' | 'float';

export interface PlanOptions {
  /** Node names and op types kept in float. */
  exclude?: readonly string[];
}

/** A quantized float tensor. */
export interface QuantPoint {
  tensor: string;
  /** The tensor whose parameters it uses (itself unless it is a shared op's output). */
  root: string;
  /** Fixed parameters (PyTorch's FixedQParams ops); else an observer decides. */
  fixed?: { scale: number; zeroPoint: number };
  /** Produced by an int8 op (so float readers read its dequantized value). */
  int8Producer: boolean;
}

export interface WeightUse {
  node: Node;
  /** Input index of the weight / of the bias (-1: none). */
  weight: number;
  bias: number;
  /** Channel axis of the weight for per-channel quantization (output channels). */
  axis: number;
  /** The Add node that carries a MatMul's bias (its constant operand is the bias). */
  biasAdd?: Node;
}

export interface QuantPlan {
  roles: Map<Node, Role>;
  points: Map<string, QuantPoint>;
  /** Root tensors that need an observer, in node order. */
  observed: string[];
  weights: WeightUse[];
  /** Constant operands of int8 Add / Mul (quantized per tensor). */
  constOperands: Set<string>;
}

const SHARED = new Set([
  'MaxPool', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'Slice', 'Gather', 'Split', 'Expand', 'Tile',
  'DepthToSpace', 'SpaceToDepth', 'Resize',
]);
const TABLE = new Set(['Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Gelu', 'Elu', 'Exp', 'Softplus', 'Mish', 'Relu', 'Clip']);
/** PyTorch's fixed output parameters (torch.ao.quantization's FixedQParams for quint8). */
const FIXED: Record<string, { scale: number; zeroPoint: number }> = {
  Sigmoid: { scale: 1 / 256, zeroPoint: 0 },
  HardSigmoid: { scale: 1 / 256, zeroPoint: 0 },
  Tanh: { scale: 2 / 256, zeroPoint: 128 },
};

function constClip(g: Graph, n: Node): boolean {
  return (!n.inputs[1] || g.constants.has(n.inputs[1])) && (!n.inputs[2] || g.constants.has(n.inputs[2]));
}

/** The quantization plan of an optimised float graph (activations not fused into convs). */
export function planQuantization(g: Graph, opts: PlanOptions = {}): QuantPlan {
  const exclude = new Set(opts.exclude ?? []);
  const consumers = g.consumers();
  const roles = new Map<Node, Role>();
  const points = new Map<string, QuantPoint>();
  const observed: string[] = [];
  const weights: WeightUse[] = [];
  const constOperands = new Set<string>();
  const isF32 = (v: string) => g.info(v).dtype === 'float32';
  const rank = (v: string) => g.info(v).shape?.length;
  const quantize = (v: string, int8Producer: boolean, fixed?: { scale: number; zeroPoint: number }) => {
    const p = points.get(v);
    if (p) {
      if (int8Producer) p.int8Producer = true;
      return;
    }
    points.set(v, { tensor: v, root: v, int8Producer, fixed });
    if (!fixed) observed.push(v);
  };
  /** The output point of n: after a Relu / Clip that is its only reader (fused), else its output. */
  const outputPoint = (n: Node, acts: readonly string[]): string => {
    const y = n.outputs[0];
    const rs = consumers.get(y) ?? [];
    const a = rs[0];
    if (rs.length === 1 && !g.isOutput(y) && a.domain === '' && acts.includes(a.opType) && !exclude.has(a.name) && !exclude.has(a.opType)) {
      if (a.opType !== 'Clip' || constClip(g, a)) {
        roles.set(a, 'fused');
        return a.outputs[0];
      }
    }
    return y;
  };

  for (const n of g.nodes) {
    if (roles.has(n)) continue; // fused activation
    const float = () => roles.set(n, 'float');
    if (n.domain !== '' || exclude.has(n.name) || exclude.has(n.opType) || !n.outputs[0] || !isF32(n.outputs[0])) {
      float();
      continue;
    }
    const x = n.inputs[0];
    const quantizedIn = (v: string) => !!v && points.has(v);
    switch (n.opType) {
      case 'Conv': {
        const w = g.constants.get(n.inputs[1]);
        const b = n.inputs[2] ? g.constants.get(n.inputs[2]) : undefined;
        if (rank(x) !== 4 || !w || w.dtype !== 'float32' || w.dims.length !== 4 || g.constants.has(x) || (n.inputs[2] && !b)) {
          float();
          break;
        }
        roles.set(n, 'compute');
        quantize(x, false);
        weights.push({ node: n, weight: 1, bias: n.inputs[2] ? 2 : -1, axis: 0 });
        quantize(outputPoint(n, ['Relu', 'Clip']), true);
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        const w = g.constants.get(n.inputs[1]);
        const gemm = n.opType === 'Gemm';
        const ok =
          !!w && w.dtype === 'float32' && w.dims.length === 2 && !g.constants.has(x) && (rank(x) ?? 0) >= 2 &&
          (!gemm || (rank(x) === 2 && ((n.attrs.transA as number) ?? 0) === 0 && ((n.attrs.alpha as number) ?? 1) === 1 &&
            (!n.inputs[2] || (((n.attrs.beta as number) ?? 1) === 1 && g.constants.has(n.inputs[2]) && numel(g.constants.get(n.inputs[2])!.dims) === (((n.attrs.transB as number) ?? 0) ? w.dims[0] : w.dims[1])))));
        if (!ok) {
          float();
          break;
        }
        roles.set(n, 'compute');
        quantize(x, false);
        const transB = gemm && ((n.attrs.transB as number) ?? 0) !== 0;
        const N = transB ? w!.dims[0] : w!.dims[1];
        const use: WeightUse = { node: n, weight: 1, bias: gemm && n.inputs[2] ? 2 : -1, axis: transB ? 0 : 1 };
        let head: Node = n;
        if (!gemm) {
          // MatMul + Add(constant [N]) carries a bias.
          const rs = consumers.get(n.outputs[0]) ?? [];
          const add = rs[0];
          if (rs.length === 1 && add.opType === 'Add' && add.domain === '' && !g.isOutput(n.outputs[0]) && !exclude.has(add.name)) {
            const other = add.inputs[0] === n.outputs[0] ? add.inputs[1] : add.inputs[0];
            const c = g.constants.get(other);
            if (c && c.dtype === 'float32' && numel(c.dims) === N && c.dims[c.dims.length - 1] === N) {
              use.biasAdd = add;
              use.bias = add.inputs.indexOf(other);
              roles.set(add, 'fused');
              head = add;
            }
          }
        }
        weights.push(use);
        quantize(outputPoint(head, ['Relu', 'Clip']), true);
        break;
      }
      case 'Add':
      case 'Mul': {
        const ins = n.inputs;
        if (ins.some((v) => !isF32(v)) || !ins.some(quantizedIn) || ins.every((v) => g.constants.has(v))) {
          float();
          break;
        }
        roles.set(n, 'int8');
        for (const v of ins) {
          if (g.constants.has(v)) constOperands.add(v);
          quantize(v, false);
        }
        quantize(outputPoint(n, n.opType === 'Add' ? ['Relu'] : []), true);
        break;
      }
      case 'AveragePool':
      case 'GlobalAveragePool':
        if (!quantizedIn(x) || rank(x) !== 4) {
          float();
          break;
        }
        roles.set(n, 'int8');
        quantize(n.outputs[0], true);
        break;
      case 'Concat':
        if (!n.inputs.some(quantizedIn) || n.inputs.some((v) => !isF32(v) || g.constants.has(v))) {
          float();
          break;
        }
        roles.set(n, 'int8');
        for (const v of n.inputs) quantize(v, false);
        quantize(n.outputs[0], true);
        break;
      default:
        if (TABLE.has(n.opType) && quantizedIn(x) && (n.opType !== 'Clip' || constClip(g, n))) {
          roles.set(n, 'int8');
          quantize(n.outputs[0], true, FIXED[n.opType]);
        } else if (SHARED.has(n.opType) && quantizedIn(x) && (n.opType !== 'Resize' || (n.attrs.mode ?? 'nearest') === 'nearest') &&
          !(n.opType === 'MaxPool' && n.outputs.length > 1 && n.outputs[1])) {
          roles.set(n, 'shared');
          const root = points.get(x)!.root;
          for (const o of n.outputs) if (o && !points.has(o)) points.set(o, { tensor: o, root, int8Producer: true });
        } else float();
    }
  }
  return { roles, points, observed, weights, constOperands };
}

// ------------------------------------------------------------------------------------ QDQ graph

export interface ActivationQParams {
  scale: number;
  zeroPoint: number;
  dtype: 'uint8' | 'int8';
}

export interface WeightQParams {
  dtype: 'uint8' | 'int8';
  scale: Float32Array;
  zeroPoint: Int32Array;
  /** Quantized values (same shape as the weight). */
  data: Uint8Array | Int8Array;
}

const f32 = Math.fround;
function rne(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Writes the QDQ graph: QuantizeLinear -> DequantizeLinear after every quantized tensor, weights
 * as int8 constants with a per-axis DequantizeLinear, biases as int32 at x_scale * w_scale.
 * `act(root)` gives a root tensor's parameters; `weight(use)` the quantized weight.
 */
export function buildQdqGraph(
  src: Graph,
  plan: QuantPlan,
  act: (root: string) => ActivationQParams,
  weight: (use: WeightUse, w: Tensor) => WeightQParams,
  /** Filled with the QuantizeLinear output of every quantized tensor. */
  qNames = new Map<string, string>(),
): Graph {
  const g = src.clone();
  const namer = g.namer();
  // Map nodes of the clone to the plan's roles (same order).
  const roleOf = new Map<Node, Role>();
  src.nodes.forEach((n, i) => roleOf.set(g.nodes[i], plan.roles.get(n) ?? 'float'));
  const cloneOf = new Map<Node, Node>();
  src.nodes.forEach((n, i) => cloneOf.set(n, g.nodes[i]));
  const paramConsts = new Map<string, [string, string]>();
  const qparamConsts = (root: string): [string, string] => {
    let c = paramConsts.get(root);
    if (!c) {
      const p = act(root);
      const s = namer(`${root}_scale`);
      const z = namer(`${root}_zero_point`);
      g.constants.set(s, makeTensor('float32', [], [p.scale]));
      g.constants.set(z, makeTensor(p.dtype, [], [p.zeroPoint]));
      paramConsts.set(root, (c = [s, z]));
    }
    return c;
  };

  // Weights and biases.
  for (const use of plan.weights) {
    const n = cloneOf.get(use.node)!;
    const wName = n.inputs[use.weight];
    const w = g.constants.get(wName)!;
    const q = weight(use, w);
    const wq = namer(`${wName}_quantized`);
    const ws = namer(`${wName}_scale`);
    const wz = namer(`${wName}_zero_point`);
    const perTensor = q.scale.length === 1;
    g.constants.set(wq, makeTensor(q.dtype, w.dims.slice(), q.data));
    g.constants.set(ws, makeTensor('float32', perTensor ? [] : [q.scale.length], q.scale));
    g.constants.set(wz, makeTensor(q.dtype, perTensor ? [] : [q.zeroPoint.length], q.zeroPoint));
    const wdq = namer(`${wName}_DequantizeLinear_Output`);
    g.nodes.push({ name: namer(`${wName}_DequantizeLinear`), opType: 'DequantizeLinear', domain: '', inputs: [wq, ws, wz], outputs: [wdq], attrs: perTensor ? {} : { axis: use.axis } });
    n.inputs[use.weight] = wdq;
    if (use.bias >= 0) {
      const holder = use.biasAdd ? cloneOf.get(use.biasAdd)! : n;
      const bName = holder.inputs[use.bias];
      const b = g.constants.get(bName)!;
      const xRoot = plan.points.get(use.node.inputs[0])!.root;
      const sx = act(xRoot).scale;
      const count = numel(b.dims);
      const bs = new Float32Array(count);
      const bq = new Int32Array(count);
      for (let c = 0; c < count; c++) {
        bs[c] = f32(f32(sx) * q.scale[perTensor ? 0 : c]);
        const r = rne(f32(getNum(b, c) / bs[c]));
        bq[c] = Math.max(-2147483648, Math.min(2147483647, r));
      }
      const bqn = namer(`${bName}_quantized`);
      const bsn = namer(`${bName}_quantized_scale`);
      const bzn = namer(`${bName}_quantized_zero_point`);
      g.constants.set(bqn, makeTensor('int32', b.dims.slice(), bq));
      g.constants.set(bsn, makeTensor('float32', [count], bs));
      g.constants.set(bzn, makeTensor('int32', [count], new Int32Array(count)));
      const bdq = namer(`${bName}_DequantizeLinear_Output`);
      g.nodes.push({ name: namer(`${bName}_DequantizeLinear`), opType: 'DequantizeLinear', domain: '', inputs: [bqn, bsn, bzn], outputs: [bdq], attrs: { axis: b.dims.length - 1 } });
      holder.inputs[use.bias] = bdq;
    }
  }

  // Activations: Q -> DQ after every quantized tensor.
  const consumers = g.consumers();
  for (const p of plan.points.values()) {
    const t = p.tensor;
    let [s, z] = qparamConsts(p.root);
    if (p.fixed) {
      const key = `fixed:${p.fixed.scale}:${p.fixed.zeroPoint}`;
      let c = paramConsts.get(key);
      if (!c) {
        const sn = namer('fixed_scale');
        const zn = namer('fixed_zero_point');
        g.constants.set(sn, makeTensor('float32', [], [p.fixed.scale]));
        g.constants.set(zn, makeTensor('uint8', [], [p.fixed.zeroPoint]));
        paramConsts.set(key, (c = [sn, zn]));
      }
      [s, z] = c;
    }
    const readers = (consumers.get(t) ?? []).filter((r) => {
      const role = roleOf.get(r) ?? 'float';
      return role !== 'float' && role !== 'fused' ? true : p.int8Producer;
    });
    const isOut = g.isOutput(t);
    if (!readers.length && !(isOut && p.int8Producer)) continue;
    let src = t;
    if (isOut && p.int8Producer) {
      // The graph output keeps its name: the producer writes <t>_QuantizeLinear_Input.
      src = namer(`${t}_QuantizeLinear_Input`);
      for (const n of g.nodes) n.outputs = n.outputs.map((o) => (o === t ? src : o));
      for (const n of g.nodes) if (n.inputs.includes(t) && !readers.includes(n)) n.inputs = n.inputs.map((i) => (i === t ? src : i));
      const info = g.values.get(t);
      if (info) g.values.set(src, { ...info, name: src });
    }
    const q = namer(`${t}_QuantizeLinear_Output`);
    qNames.set(t, q);
    const dq = isOut && p.int8Producer ? t : namer(`${t}_DequantizeLinear_Output`);
    if (plan.constOperands.has(t) && g.constants.has(t)) {
      // A constant operand: stored quantized.
      const c = g.constants.get(t)!;
      const ap = act(p.root);
      const [qmin, qmax] = ap.dtype === 'uint8' ? [0, 255] : [-128, 127];
      const data = ap.dtype === 'uint8' ? new Uint8Array(c.data.length) : new Int8Array(c.data.length);
      for (let i = 0; i < data.length; i++) data[i] = Math.min(qmax, Math.max(qmin, rne(f32(getNum(c, i) / f32(ap.scale))) + ap.zeroPoint));
      g.constants.set(q, makeTensor(ap.dtype, c.dims.slice(), data));
    } else {
      g.nodes.push({ name: namer(`${t}_QuantizeLinear`), opType: 'QuantizeLinear', domain: '', inputs: [src, s, z], outputs: [q], attrs: {} });
    }
    g.nodes.push({ name: namer(`${t}_DequantizeLinear`), opType: 'DequantizeLinear', domain: '', inputs: [q, s, z], outputs: [dq], attrs: {} });
    if (dq !== t) for (const r of readers) r.inputs = r.inputs.map((i) => (i === t ? dq : i));
  }
  g.sort();
  eliminateDeadCode(g);
  inferShapes(g);
  g.validate();
  return g;
}
