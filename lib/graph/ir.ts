// The graph IR: what ONNX import produces, what the passes rewrite, what a plan compiler walks.
//
//   Graph   name, inputs (runtime feeds), outputs, nodes (topologically ordered), constants
//           (initializers and folded values, by name), values (dtype + shape of every value)
//   Node    opType + domain ('' = ONNX, 'qint8' = internal ops such as FusedConv), input and
//           output value names ('' = an omitted optional input), attrs as plain JS values
//   Value   a name; its ValueInfo holds dtype and shape, where a dim is a number (known) or a
//           string (a symbol such as 'batch', bound from the feeds at run time)
//
// Every op is in canonical form: one attribute/input layout per op whatever opset the model was
// written in (see lib/onnx/registry.ts for each op's form and lib/onnx/import.ts for the
// normalisation of older opsets). Attribute types (int / float / string / ...) come from the op's
// registry entry, so attrs are plain numbers, arrays, strings and Tensors.
import { type DType, type Tensor, formatShape } from './tensor';

export type Dim = number | string;
export type Shape = Dim[];

/** Attribute values: ints and floats are numbers (the registry says which), tensors are Tensors. */
export type AttrValue = number | string | number[] | string[] | Tensor;

export interface ValueInfo {
  name: string;
  /** Undefined until inference runs, or when it cannot be known. */
  dtype?: DType;
  /** Undefined = unknown rank. Dims are numbers or symbols. */
  shape?: Shape;
}

export interface Node {
  /** Unique within the graph (the importer names unnamed nodes `<opType>_<index>`). */
  name: string;
  opType: string;
  /** '' for the ONNX default domain, 'qint8' for internal ops. */
  domain: string;
  /** Value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export class GraphError extends Error {
  override name = 'GraphError';
}

export class Graph {
  name: string;
  /** Runtime inputs (feeds), in model order. Initializers are not listed here. */
  inputs: ValueInfo[] = [];
  outputs: ValueInfo[] = [];
  /** Topologically ordered. */
  nodes: Node[] = [];
  /** Constant values by name: initializers, Constant nodes, folded results. */
  constants = new Map<string, Tensor>();
  /** dtype/shape of every value known so far (inputs, outputs, node outputs, constants). */
  values = new Map<string, ValueInfo>();
  /** The default-domain opset the model was imported from (informational: nodes are canonical). */
  opset = 21;
  /** Free-form metadata (producer name, model doc, ...). */
  meta: Record<string, string> = {};

  constructor(name = 'graph') {
    this.name = name;
  }

  /** The ValueInfo of a value (constants report their own dtype and dims). */
  info(name: string): ValueInfo {
    const c = this.constants.get(name);
    if (c) return { name, dtype: c.dtype, shape: c.dims.slice() };
    return this.values.get(name) ?? { name };
  }

  isConstant(name: string): boolean {
    return this.constants.has(name);
  }

  /** Map from value name to the node producing it. */
  producers(): Map<string, Node> {
    const m = new Map<string, Node>();
    for (const n of this.nodes) for (const o of n.outputs) if (o) m.set(o, n);
    return m;
  }

  /** Map from value name to the nodes reading it (a node reading a value twice is listed twice). */
  consumers(): Map<string, Node[]> {
    const m = new Map<string, Node[]>();
    for (const n of this.nodes)
      for (const i of n.inputs) {
        if (!i) continue;
        let l = m.get(i);
        if (!l) m.set(i, (l = []));
        l.push(n);
      }
    return m;
  }

  isOutput(name: string): boolean {
    return this.outputs.some((o) => o.name === name);
  }

  /** A value name not used anywhere in the graph, derived from `base`. */
  freshName(base: string): string {
    const used = this.allNames();
    if (!used.has(base)) return base;
    for (let i = 1; ; i++) if (!used.has(`${base}_${i}`)) return `${base}_${i}`;
  }

  private allNames(): Set<string> {
    const s = new Set<string>();
    for (const v of this.inputs) s.add(v.name);
    for (const k of this.constants.keys()) s.add(k);
    for (const k of this.values.keys()) s.add(k);
    for (const n of this.nodes) {
      s.add(n.name);
      for (const o of n.outputs) s.add(o);
      for (const i of n.inputs) s.add(i);
    }
    return s;
  }

  /** Names a set of new values/nodes at once (cheaper than freshName in a loop). */
  namer(): (base: string) => string {
    const used = this.allNames();
    return (base: string) => {
      let n = base;
      for (let i = 1; used.has(n); i++) n = `${base}_${i}`;
      used.add(n);
      return n;
    };
  }

  /** Replaces every read of `from` by `to` (node inputs and graph outputs keep their order). */
  replaceUses(from: string, to: string): void {
    for (const n of this.nodes) for (let i = 0; i < n.inputs.length; i++) if (n.inputs[i] === from) n.inputs[i] = to;
  }

  /** Sorts nodes topologically (stable for an already sorted graph); throws on a cycle. */
  sort(): void {
    const avail = new Set<string>(['']);
    for (const v of this.inputs) avail.add(v.name);
    for (const k of this.constants.keys()) avail.add(k);
    const out: Node[] = [];
    let pending = this.nodes;
    while (pending.length) {
      const next: Node[] = [];
      for (const n of pending) {
        if (n.inputs.every((i) => avail.has(i))) {
          out.push(n);
          for (const o of n.outputs) if (o) avail.add(o);
        } else next.push(n);
      }
      if (next.length === pending.length) {
        const n = next[0];
        const missing = n.inputs.filter((i) => !avail.has(i));
        throw new GraphError(`node ${n.name} (${n.opType}) reads ${missing.map((m) => `'${m}'`).join(', ')}, which no node, input or initializer defines (or the graph has a cycle)`);
      }
      pending = next;
    }
    this.nodes = out;
  }

  /**
   * Structural checks: every read value is defined exactly once, node names are unique, the
   * outputs are defined. Throws GraphError naming the value or node.
   */
  validate(): void {
    const defined = new Map<string, string>();
    const def = (v: string, by: string) => {
      if (defined.has(v)) throw new GraphError(`value '${v}' is defined twice (${defined.get(v)} and ${by})`);
      defined.set(v, by);
    };
    for (const v of this.inputs) def(v.name, 'graph input');
    for (const k of this.constants.keys()) def(k, 'constant');
    const names = new Set<string>();
    for (const n of this.nodes) {
      if (names.has(n.name)) throw new GraphError(`two nodes are named '${n.name}'`);
      names.add(n.name);
      for (const i of n.inputs)
        if (i && !defined.has(i))
          throw new GraphError(`node ${n.name} (${n.opType}) reads '${i}', which is not defined before it (missing input or initializer?)`);
      for (const o of n.outputs) if (o) def(o, `node ${n.name}`);
    }
    for (const o of this.outputs)
      if (!defined.has(o.name)) throw new GraphError(`graph output '${o.name}' is not produced by any node, input or constant`);
  }

  /** A deep copy of the structure (constant tensors are shared: passes replace, never mutate them). */
  clone(): Graph {
    const g = new Graph(this.name);
    g.opset = this.opset;
    g.meta = { ...this.meta };
    g.inputs = this.inputs.map((v) => copyInfo(v));
    g.outputs = this.outputs.map((v) => copyInfo(v));
    g.nodes = this.nodes.map((n) => ({
      ...n,
      inputs: n.inputs.slice(),
      outputs: n.outputs.slice(),
      attrs: Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [k, Array.isArray(v) ? v.slice() : v])) as Record<string, AttrValue>,
    }));
    g.constants = new Map(this.constants);
    g.values = new Map([...this.values].map(([k, v]) => [k, copyInfo(v)]));
    return g;
  }

  /**
   * Live range of every non-constant value in node order, for arena planning: `def` is the index
   * of the producing node (-1 for graph inputs), `lastUse` the index of the last node reading it
   * (nodes.length for graph outputs, which outlive the run). A buffer can be reused once the
   * node at `lastUse` has run.
   */
  liveRanges(): Map<string, { def: number; lastUse: number }> {
    const r = new Map<string, { def: number; lastUse: number }>();
    for (const v of this.inputs) r.set(v.name, { def: -1, lastUse: -1 });
    this.nodes.forEach((n, i) => {
      for (const x of n.inputs) {
        const e = x ? r.get(x) : undefined;
        if (e) e.lastUse = i;
      }
      for (const o of n.outputs) if (o) r.set(o, { def: i, lastUse: i });
    });
    for (const o of this.outputs) {
      const e = r.get(o.name);
      if (e) e.lastUse = this.nodes.length;
    }
    return r;
  }

  /** A readable listing, one node per line, with shapes where known. */
  toString(): string {
    const fmt = (v: string) => {
      if (!v) return '-';
      const i = this.info(v);
      return `${v}:${i.dtype ?? '?'}${formatShape(i.shape)}${this.constants.has(v) ? '(const)' : ''}`;
    };
    const lines = [`graph ${this.name} (${this.inputs.map((v) => fmt(v.name)).join(', ')}) -> (${this.outputs.map((v) => fmt(v.name)).join(', ')})`];
    for (const n of this.nodes) {
      const attrs = Object.entries(n.attrs)
        .map(([k, v]) => `${k}=${typeof v === 'object' && !Array.isArray(v) ? `tensor${formatShape(v.dims)}` : JSON.stringify(v)}`)
        .join(' ');
      lines.push(`  ${n.outputs.map(fmt).join(', ')} = ${n.domain ? n.domain + '.' : ''}${n.opType}(${n.inputs.map((i) => i || '-').join(', ')})${attrs ? ' ' + attrs : ''}`);
    }
    return lines.join('\n');
  }
}

function copyInfo(v: ValueInfo): ValueInfo {
  return { name: v.name, dtype: v.dtype, shape: v.shape?.slice() };
}
