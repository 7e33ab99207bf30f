// The graph compiler: an engine-ready Graph (optimised, layout planned) becomes a native model
// (one native op per node, created once with its constant inputs: weights are packed here) and,
// per input-shape signature, a native plan (every value's place: graph input / output buffer,
// constant, or an offset in a reused arena; the op sequence). Running a plan is one native call.
import { type Graph, GraphError, type Node } from '../graph/ir';
import { bindShapes } from '../graph/infer';
import { BYTES, type DType, type Tensor, numel } from '../graph/tensor';
import { getOp } from '../onnx/registry';
import type { IsaName } from '../runtime';
import { type AttrValue, type ElemTypeName, type OpTensor, type RuntimeInput, type TensorData } from './ops';
import { EngineModel, EnginePlan, type PlanStepSpec, type PlanValueSpec } from './plan';

/** IR element types the engine runs; others are a compile error naming the value. */
const ENGINE_TYPES: Partial<Record<DType, ElemTypeName>> = {
  float32: 'float32',
  uint8: 'uint8',
  int8: 'int8',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  float64: 'float64',
};

export function elemTypeOf(d: DType | undefined, what: string): ElemTypeName {
  const t = d ? ENGINE_TYPES[d] : undefined;
  if (!t) throw new GraphError(`${what} has element type ${d ?? 'unknown'}, which the engine does not run`);
  return t;
}

export function opTensor(t: Tensor, what: string): OpTensor {
  return { type: elemTypeOf(t.dtype, what), shape: t.dims, data: t.data as TensorData };
}

/** Where a graph node runs natively. Internal IR ops map to the engine's names. */
export interface Lowering {
  domain: string;
  name: string;
  /** Extra or renamed attributes (default: the node's own). */
  attrs?: (n: Node) => Record<string, unknown>;
}

const LOWER = new Map<string, Lowering>([
  // Channels-last twins planned by lib/graph/passes/layout.ts.
  ['qint8::NhwcConv', { domain: 'qint8', name: 'ConvNhwc' }],
  ['qint8::NhwcFusedConv', { domain: 'qint8', name: 'ConvNhwc' }],
  ['qint8::NhwcConvTranspose', { domain: 'qint8', name: 'ConvTransposeNhwc' }],
  ['qint8::NhwcExpandDepthwise', { domain: 'qint8', name: 'ExpandDepthwiseNhwc' }],
  ['qint8::NhwcMaxPool', { domain: 'qint8', name: 'MaxPoolNhwc' }],
  ['qint8::NhwcAveragePool', { domain: 'qint8', name: 'AveragePoolNhwc' }],
  ['qint8::NhwcGlobalAveragePool', { domain: 'qint8', name: 'GlobalAveragePoolNhwc' }],
  ['qint8::NhwcInstanceNormalization', { domain: 'qint8', name: 'InstanceNormalizationNhwc' }],
  ['qint8::NhwcResize', { domain: 'qint8', name: 'ResizeNhwc' }],
  ['qint8::NhwcBatchNormalization', { domain: 'qint8', name: 'BatchNormalizationNhwc' }],
  ['qint8::FusedGemm', { domain: 'qint8', name: 'FusedGemm' }],
  ['qint8::FusedConv', { domain: 'qint8', name: 'FusedConv' }],
]);

// QOperator models (quantized operators): channels-last twins of the quantized spatial ops.
LOWER.set('qint8::NhwcQLinearConv', { domain: 'qint8', name: 'QLinearConvNhwc' });
LOWER.set('qint8::NhwcConvInteger', { domain: 'qint8', name: 'ConvIntegerNhwc' });
LOWER.set('qint8::NhwcDynamicQuantizeConv', { domain: 'qint8', name: 'DynamicQuantizeConvNhwc' });
LOWER.set('qint8::NhwcQLinearAveragePool', { domain: 'com.microsoft', name: 'QLinearAveragePool', attrs: () => ({ channels_last: 1 }) });
LOWER.set('qint8::NhwcQLinearGlobalAveragePool', { domain: 'com.microsoft', name: 'QLinearGlobalAveragePool', attrs: () => ({ channels_last: 1 }) });

/**
 * Lowerings chosen by the element type of input 0 (int8 kernels for ops whose float and int8
 * implementations are separate native ops), keyed `domain::opType@dtype`; checked first.
 */
const LOWER_BY_TYPE = new Map<string, Lowering>();
for (const t of ['uint8', 'int8']) {
  LOWER_BY_TYPE.set(`qint8::NhwcMaxPool@${t}`, { domain: 'qint8', name: 'QMaxPoolNhwc' });
  LOWER_BY_TYPE.set(`qint8::NhwcResize@${t}`, { domain: 'qint8', name: 'QResizeNhwc' });
  LOWER_BY_TYPE.set(`::Pad@${t}`, { domain: 'qint8', name: 'QPad' });
}

/** Adds or replaces a lowering (op families register theirs). */
export function registerLowering(domain: string, opType: string, l: Lowering): void {
  LOWER.set(`${domain}::${opType}`, l);
}

function lowering(n: Node, g?: Graph): Lowering {
  const t = g && n.inputs[0] ? g.info(n.inputs[0]).dtype : undefined;
  return (t && LOWER_BY_TYPE.get(`${n.domain}::${n.opType}@${t}`)) ?? LOWER.get(`${n.domain}::${n.opType}`) ?? { domain: n.domain, name: n.opType };
}

/** Node attributes encoded for the native side, with float-typed values marked as floats. */
function encodeAttrs(n: Node, extra?: Record<string, unknown>): Record<string, AttrValue> {
  const spec = getOp(n.opType, n.domain);
  const out: Record<string, AttrValue> = {};
  const all: Record<string, unknown> = { ...n.attrs, ...(extra ?? {}) };
  for (const [k, v] of Object.entries(all)) {
    if (v === undefined) continue;
    const type = spec?.attrs[k]?.type;
    if (type === 'float' && typeof v === 'number') out[k] = { kind: 'float', value: v };
    else if (type === 'floats' && Array.isArray(v)) out[k] = { kind: 'floats', value: v as number[] };
    else if (type === 'strings') throw new GraphError(`node ${n.name} (${n.opType}): string-list attribute '${k}' is not supported by the engine`);
    else if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'dims' in (v as object))
      out[k] = { kind: 'tensor', value: opTensor(v as Tensor, `attribute '${k}' of node ${n.name}`) };
    else out[k] = v as AttrValue;
  }
  // activation_params of the fused ops are floats even when integral (Clip [0, 6]).
  if (Array.isArray(all.activation_params)) out.activation_params = { kind: 'floats', value: all.activation_params as number[] };
  return out;
}

interface CompiledPlan {
  plan: EnginePlan;
  /** Shape signature (the plan cache key). */
  key: string;
  /** The node of each plan step (for profiles). */
  nodes: { name: string; opType: string }[];
  outputShapes: number[][];
  /** Graph outputs the plan does not write (constants or graph inputs), copied in JS. */
  passthrough: Map<number, { from: 'input' | 'constant'; index: number; name: string }>;
}

export interface CompileOptions {
  isa?: IsaName;
  /** Most plans (input-shape signatures) kept; the least recently used is released. Default 16. */
  maxPlans?: number;
  /** Time every step of every run (CompiledGraph.profile()). */
  profiling?: boolean;
}

/** Per-node time over the profiled runs of one plan (one input-shape signature). */
export interface NodeProfile {
  node: string;
  opType: string;
  /** Input-shape signature of the plan, e.g. '1x3x224x224'. */
  shapes: string;
  runs: number;
  /** Total wall milliseconds over the runs, and per run. */
  totalMs: number;
  meanMs: number;
  /**
   * CPU milliseconds of the thread that ran the plan, per run: the whole cost of a one-thread
   * run, and not inflated by preemption on a loaded machine (pool workers are not counted).
   */
  cpuMeanMs: number;
}

function sameShapes(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}

const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export class CompiledGraph {
  readonly graph: Graph;
  readonly model = new EngineModel();
  readonly inputTypes: ElemTypeName[];
  readonly outputTypes: ElemTypeName[];
  private readonly opIndex = new Map<string, number>();
  private readonly constIndex = new Map<string, number>();
  private readonly plans = new Map<string, CompiledPlan>();
  private readonly maxPlans: number;
  private readonly profiling: boolean;
  /** The plan of the last run and its input shapes (copied). */
  private last: { shapes: number[][]; plan: CompiledPlan } | undefined;
  private released = false;

  constructor(graph: Graph, opts: CompileOptions = {}) {
    this.graph = graph;
    this.maxPlans = opts.maxPlans ?? 16;
    this.profiling = opts.profiling ?? false;
    this.inputTypes = graph.inputs.map((v) => elemTypeOf(v.dtype, `input '${v.name}'`));
    this.outputTypes = graph.outputs.map((v) => elemTypeOf(graph.info(v.name).dtype, `output '${v.name}'`));
    for (const n of graph.nodes) {
      const l = lowering(n, graph);
      const inputs = n.inputs.map((name): OpTensor | RuntimeInput | null | undefined => {
        if (!name) return undefined;
        const c = graph.constants.get(name);
        if (c) return opTensor(c, `constant '${name}' (input of node ${n.name})`);
        const d = graph.info(name).dtype;
        const type = d ? ENGINE_TYPES[d] : undefined;
        return type ? { type, runtime: true } : null;
      });
      try {
        this.opIndex.set(n.name, this.model.addOp(l.domain, l.name, encodeAttrs(n, l.attrs?.(n)), inputs, opts.isa, `node ${n.name} (${n.opType})`));
      } catch (e) {
        throw new GraphError(`node ${n.name} (${n.domain ? n.domain + '.' : ''}${n.opType}): ${(e as Error).message}`);
      }
      for (const name of n.inputs) {
        const c = name ? graph.constants.get(name) : undefined;
        if (c && !this.constIndex.has(name)) this.constIndex.set(name, this.model.addConstant(opTensor(c, `constant '${name}'`)));
      }
    }
    for (const o of graph.outputs) {
      const c = graph.constants.get(o.name);
      if (c && !this.constIndex.has(o.name)) this.constIndex.set(o.name, this.model.addConstant(opTensor(c, `constant '${o.name}'`)));
    }
  }

  /** The plan for these input shapes (built on first use, then cached). */
  planFor(shapes: readonly (readonly number[])[]): CompiledPlan {
    if (this.released) throw new TypeError('the compiled graph was released');
    // Fast path: the same shapes as the last run (no key string, no map reordering).
    const last = this.last;
    if (last && sameShapes(last.shapes, shapes)) return last.plan;
    const key = shapes.map((s) => s.join('x')).join(';');
    const hit = this.plans.get(key);
    if (hit) {
      this.plans.delete(key);
      this.plans.set(key, hit); // most recently used last
      this.last = { shapes: shapes.map((s) => [...s]), plan: hit };
      return hit;
    }
    const feeds: Record<string, readonly number[]> = {};
    this.graph.inputs.forEach((v, i) => (feeds[v.name] = shapes[i]));
    const { graph: bound } = bindShapes(this.graph, feeds);
    const p = this.build(bound, key);
    if (this.profiling) p.plan.setProfiling(true);
    this.plans.set(key, p);
    while (this.plans.size > this.maxPlans) {
      const [oldest, old] = this.plans.entries().next().value as [string, CompiledPlan];
      old.plan.release();
      this.plans.delete(oldest);
    }
    this.last = { shapes: shapes.map((s) => [...s]), plan: p };
    return p;
  }

  private build(g: Graph, key: string): CompiledPlan {
    const values: PlanValueSpec[] = [];
    const index = new Map<string, number>();
    const concrete = (name: string): number[] => {
      const s = g.info(name).shape;
      if (!s || !s.every((d) => typeof d === 'number')) throw new GraphError(`value '${name}' has no concrete shape (${JSON.stringify(s)})`);
      return s as number[];
    };
    const inputIdx = new Map(g.inputs.map((v, i) => [v.name, i]));
    const outputIdx = new Map<string, number>();
    const passthrough: CompiledPlan['passthrough'] = new Map();
    g.outputs.forEach((o, j) => {
      if (inputIdx.has(o.name)) passthrough.set(j, { from: 'input', index: inputIdx.get(o.name)!, name: o.name });
      else if (g.constants.has(o.name)) passthrough.set(j, { from: 'constant', index: this.constIndex.get(o.name)!, name: o.name });
      else if (!outputIdx.has(o.name)) outputIdx.set(o.name, j);
    });

    // Arena values: live ranges over the node order, then greedy placement by size (largest
    // first, lowest offset not overlapping a placed value whose range intersects).
    const live = g.liveRanges();
    const arena: { name: string; bytes: number; def: number; lastUse: number; offset: number }[] = [];
    const add = (name: string): number => {
      let i = index.get(name);
      if (i !== undefined) return i;
      const info = g.info(name);
      const type = elemTypeOf(info.dtype, `value '${name}'`);
      const shape = concrete(name);
      const v: PlanValueSpec = { kind: 'arena', index: 0, offset: 0, type, shape };
      if (inputIdx.has(name)) Object.assign(v, { kind: 'input', index: inputIdx.get(name) });
      else if (outputIdx.has(name)) Object.assign(v, { kind: 'output', index: outputIdx.get(name) });
      else if (g.constants.has(name)) Object.assign(v, { kind: 'constant', index: this.constIndex.get(name) });
      else {
        const r = live.get(name) ?? { def: 0, lastUse: 0 };
        arena.push({ name, bytes: align(numel(shape) * BYTES[info.dtype!]), def: r.def, lastUse: Math.max(r.def, r.lastUse), offset: 0 });
      }
      i = values.length;
      values.push(v);
      index.set(name, i);
      return i;
    };
    const steps: PlanStepSpec[] = g.nodes.map((n) => ({
      op: this.opIndex.get(n.name)!,
      inputs: n.inputs.map((x) => (x ? add(x) : -1)),
      outputs: n.outputs.map((o) => (o ? add(o) : -1)),
    }));
    const placed: typeof arena = [];
    let arenaBytes = 0;
    for (const v of [...arena].sort((a, b) => b.bytes - a.bytes || a.def - b.def)) {
      const clashes = placed.filter((p) => p.def <= v.lastUse && v.def <= p.lastUse).sort((a, b) => a.offset - b.offset);
      let offset = 0;
      for (const p of clashes) {
        if (offset + v.bytes <= p.offset) break;
        offset = Math.max(offset, p.offset + p.bytes);
      }
      v.offset = offset;
      placed.push(v);
      arenaBytes = Math.max(arenaBytes, offset + v.bytes);
      values[index.get(v.name)!].offset = offset;
    }
    const plan = new EnginePlan(this.model, values, steps, arenaBytes, g.inputs.length, g.outputs.length);
    const nodes = g.nodes.map((n) => ({ name: n.name, opType: (n.domain ? n.domain + '.' : '') + n.opType }));
    return { plan, key, nodes, outputShapes: g.outputs.map((o) => concrete(o.name)), passthrough };
  }

  /**
   * Per-node times of the cached plans (profiling on; empty otherwise), slowest first.
   * reset: zero the counters after reading.
   */
  profile(reset = false): NodeProfile[] {
    const rows: NodeProfile[] = [];
    if (!this.profiling) return rows;
    for (const p of this.plans.values()) {
      const { runs, ns, cpuNs } = p.plan.profile(reset);
      if (!runs) continue;
      p.nodes.forEach((n, i) =>
        rows.push({ node: n.name, opType: n.opType, shapes: p.key, runs, totalMs: ns[i] / 1e6, meanMs: ns[i] / 1e6 / runs, cpuMeanMs: cpuNs[i] / 1e6 / runs }),
      );
    }
    return rows.sort((a, b) => b.totalMs - a.totalMs);
  }

  release(): void {
    for (const p of this.plans.values()) p.plan.release();
    this.plans.clear();
    this.last = undefined;
    this.model.release();
    this.released = true;
  }
}
