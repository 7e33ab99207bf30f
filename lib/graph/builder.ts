// A small builder for graphs written in code:
//
//   const b = new GraphBuilder('mlp');
//   const x = b.input('x', 'float32', ['batch', 784]);
//   const w = b.constant('w', makeTensor('float32', [10, 784], weights));
//   const y = b.op('Gemm', [x, w], { transB: 1 });
//   b.output(b.op('Relu', [y]), 'probs');
//   const g = b.build();            // checked and shape-inferred
//
// Ops are checked against the registry (op name, arity, attribute names and types) as they are
// added; build() sorts, validates and infers shapes, so a bad graph fails before anything runs.
import { type AttrValue, type Node, type Shape, Graph, GraphError } from './ir';
import { type DType, type Tensor, makeTensor } from './tensor';
import { inferShapes } from './infer';
import { arity, getOp } from '../onnx/registry';

const KIND_CHECK: Record<string, (v: AttrValue) => boolean> = {
  int: (v) => typeof v === 'number' && Number.isInteger(v),
  float: (v) => typeof v === 'number',
  string: (v) => typeof v === 'string',
  ints: (v) => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x)),
  floats: (v) => Array.isArray(v) && v.every((x) => typeof x === 'number'),
  strings: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  tensor: (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && 'dims' in v,
};

export interface OpOptions {
  /** Node name (default `<opType>_<n>`). */
  name?: string;
  /** Output names (default derived from the node name). */
  outputs?: string[];
  /** Number of outputs (default 1, or outputs.length). */
  numOutputs?: number;
  /** Domain ('' for ONNX, 'qint8' for internal ops); default ''. */
  domain?: string;
}

export class GraphBuilder {
  private g: Graph;
  private n = 0;
  private used = new Set<string>();

  constructor(name = 'graph') {
    this.g = new Graph(name);
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new GraphError(`name '${name}' is already used in this graph`);
    this.used.add(name);
    return name;
  }

  private auto(base: string): string {
    let s = base;
    while (this.used.has(s)) s = `${base}_${++this.n}`;
    return this.claim(s);
  }

  /** Declares a runtime input; dims are numbers or symbols ('batch'). */
  input(name: string, dtype: DType, shape: Shape): string {
    this.g.inputs.push({ name: this.claim(name), dtype, shape: shape.slice() });
    return name;
  }

  /** Adds a constant (weights, shape tensors, ...). */
  constant(name: string, t: Tensor): string {
    this.g.constants.set(this.claim(name), t);
    return name;
  }

  /** Shorthand for a 1-D int64 constant (axes, shapes, pads). */
  int64(name: string, values: number[]): string {
    return this.constant(name, makeTensor('int64', [values.length], values.map((v) => BigInt(v)) as unknown as number[]));
  }

  /** Adds a single-output node; returns its output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: OpOptions = {}): string {
    return this.opN(opType, inputs, attrs, { numOutputs: 1, ...opts })[0];
  }

  /** Adds a node with several outputs; returns their names. */
  opN(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: OpOptions = {}): string[] {
    const domain = opts.domain ?? '';
    const spec = getOp(opType, domain);
    if (!spec) throw new GraphError(`unknown op ${domain ? domain + '.' : ''}${opType}`);
    const [minIn, maxIn] = arity(spec.inputs);
    if (inputs.length < minIn || inputs.length > maxIn) throw new GraphError(`${opType} takes ${minIn === maxIn ? minIn : `${minIn} to ${maxIn}`} inputs, got ${inputs.length}`);
    for (const [k, v] of Object.entries(attrs)) {
      const a = spec.attrs[k];
      if (!a) throw new GraphError(`${opType} has no attribute '${k}' (has: ${Object.keys(spec.attrs).join(', ') || 'none'})`);
      if (!KIND_CHECK[a.type](v)) throw new GraphError(`${opType} attribute '${k}' must be of type ${a.type}`);
    }
    const name = opts.name ? this.claim(opts.name) : this.auto(`${opType}_${this.g.nodes.length}`);
    const count = opts.outputs?.length ?? opts.numOutputs ?? 1;
    const outputs = opts.outputs ? opts.outputs.map((o) => this.claim(o)) : Array.from({ length: count }, (_, i) => this.auto(count === 1 ? `${name}_out` : `${name}_out${i}`));
    const node: Node = { name, opType, domain, inputs: inputs.slice(), outputs, attrs: { ...attrs } };
    this.g.nodes.push(node);
    return outputs;
  }

  /**
   * Marks a value as a graph output, optionally under a new name: a node output is renamed in
   * place; an input or constant gets an Identity node.
   */
  output(value: string, name?: string): string {
    if (name && name !== value) {
      const p = this.g.nodes.find((n) => n.outputs.includes(value));
      if (p && !this.g.isOutput(value)) {
        this.claim(name);
        p.outputs = p.outputs.map((o) => (o === value ? name : o));
        this.g.replaceUses(value, name);
        this.used.delete(value);
        value = name;
      } else value = this.op('Identity', [value], {}, { outputs: [name] });
    }
    this.g.outputs.push({ name: value });
    return value;
  }

  /** Sorts, validates and infers shapes; the builder must not be used afterwards. */
  build(): Graph {
    const g = this.g;
    g.sort();
    g.validate();
    inferShapes(g);
    return g;
  }
}
