// ONNX import: ModelProto bytes (or a file path) -> Graph in canonical form, shapes inferred.
//
// Everything is checked before anything runs: a malformed or truncated file, an unsupported
// opset, an unknown op (named with its node), an attribute of the wrong type, a negative or
// absurd dimension, tensor data of the wrong size, external data outside the model's folder, a
// missing input or initializer, a type mismatch. Each is an OnnxImportError (or a GraphError from
// inference) naming what is wrong.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeModelProto } from './proto';
import { type AttrValue, type Node, type ValueInfo, Graph, GraphError } from '../graph/ir';
import { type DType, type Tensor, BYTES, CTOR, dtypeFromOnnx, int64s, makeTensor, numel, onnxTypeName } from '../graph/tensor';
import { type AttrSpec, type NormalizeCtx, MAX_OPSET, MIN_OPSET, constantValue, getOp } from './registry';
import { InferState, inferNode, reconcileOutputs } from '../graph/infer';

/** Domains whose ops a model may use: ONNX, and com.microsoft's quantized operators (QOperator models). */
const IMPORT_DOMAINS = new Set(['', 'com.microsoft']);

export class OnnxImportError extends GraphError {
  override name = 'OnnxImportError';
}

export interface ImportOptions {
  /**
   * Folder that external data files are resolved in (and confined to). Defaults to the model
   * file's folder when importing from a path; required for bytes with external data.
   */
  baseDir?: string;
  /** Largest dim accepted anywhere (default 2^31 - 1). */
  maxDim?: number;
  /** Largest element count of one initializer (default 2^31). */
  maxElements?: number;
}

/** Reads and imports an ONNX model file. */
export function loadModel(file: string, opts: ImportOptions = {}): Graph {
  if (typeof file !== 'string') throw new TypeError(`file must be a string path, got ${typeof file}`);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new OnnxImportError(`cannot read ONNX model '${file}': ${(e as Error).message}`);
  }
  return importModel(bytes, { baseDir: path.dirname(path.resolve(file)), ...opts });
}

// ---------------------------------------------------------------------------------------------
// protobuf -> plain values

interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

function isLong(v: unknown): v is LongLike {
  return typeof v === 'object' && v !== null && 'low' in v && 'high' in v;
}

function toBig(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (isLong(v)) {
    const b = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
    return v.unsigned ? b : BigInt.asIntN(64, b);
  }
  if (typeof v === 'string') return BigInt(v);
  return 0n;
}

/** An int64 field as a JS number, clamped to +-2^53 (INT64_MAX as a Slice end means "to the end"). */
function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  const b = toBig(v);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  if (b > max) return Number.MAX_SAFE_INTEGER;
  if (b < -max) return -Number.MAX_SAFE_INTEGER;
  return Number(b);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const str = (b: unknown): string => (typeof b === 'string' ? b : b instanceof Uint8Array ? utf8.decode(b) : '');

// Message shapes as decoded (fields absent when unset).
interface PTensor {
  name?: string;
  dims?: unknown[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: unknown[];
  doubleData?: number[];
  uint64Data?: unknown[];
  stringData?: Uint8Array[];
  rawData?: Uint8Array;
  dataLocation?: number;
  externalData?: { key?: string; value?: string }[];
  segment?: unknown;
}
interface PAttr {
  name?: string;
  type?: number;
  f?: number;
  i?: unknown;
  s?: Uint8Array;
  t?: PTensor;
  g?: unknown;
  floats?: number[];
  ints?: unknown[];
  strings?: Uint8Array[];
  tensors?: PTensor[];
  graphs?: unknown[];
  sparseTensor?: unknown;
  refAttrName?: string;
}
interface PNode {
  name?: string;
  opType?: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: PAttr[];
}
interface PValueInfo {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: unknown; dimParam?: string }[] } }; sequenceType?: unknown; mapType?: unknown; optionalType?: unknown; sparseTensorType?: unknown };
}
interface PGraph {
  name?: string;
  node?: PNode[];
  initializer?: PTensor[];
  sparseInitializer?: unknown[];
  input?: PValueInfo[];
  output?: PValueInfo[];
  valueInfo?: PValueInfo[];
}
interface PModel {
  irVersion?: unknown;
  opsetImport?: { domain?: string; version?: unknown }[];
  producerName?: string;
  producerVersion?: string;
  graph?: PGraph;
  functions?: unknown[];
}

// ---------------------------------------------------------------------------------------------

class Importer {
  readonly maxDim: number;
  readonly maxElements: number;
  private files = new Map<string, number>();
  private baseReal?: string;

  constructor(private readonly opts: ImportOptions) {
    this.maxDim = opts.maxDim ?? 2 ** 31 - 1;
    this.maxElements = opts.maxElements ?? 2 ** 31;
  }

  fail(msg: string): never {
    throw new OnnxImportError(msg);
  }

  close(): void {
    for (const fd of this.files.values()) fs.closeSync(fd);
    this.files.clear();
  }

  dim(v: unknown, what: string): number {
    const b = toBig(v);
    if (b < 0n) this.fail(`${what} has a negative dimension ${b}`);
    if (b > BigInt(this.maxDim)) this.fail(`${what} has an absurd dimension ${b} (limit ${this.maxDim})`);
    return Number(b);
  }

  tensor(t: PTensor, what: string): Tensor {
    const name = t.name ? `tensor '${t.name}'` : what;
    const code = t.dataType ?? 0;
    const dtype = dtypeFromOnnx(code);
    if (!dtype) this.fail(`${name}: element type ${onnxTypeName(code)} is not supported`);
    if (t.segment) this.fail(`${name}: segmented tensors are not supported`);
    const dims = (t.dims ?? []).map((d) => this.dim(d, name));
    let n = 1;
    for (const d of dims) {
      n *= d;
      if (n > this.maxElements) this.fail(`${name}: shape [${dims.join(', ')}] has more than ${this.maxElements} elements`);
    }
    const bytes = n * BYTES[dtype];
    if (t.dataLocation === 1) return { dtype, dims, data: this.external(t, name, dtype, n, bytes) };
    if (t.rawData && t.rawData.length) {
      if (t.rawData.length !== bytes) this.fail(`${name}: raw_data has ${t.rawData.length} bytes, shape [${dims.join(', ')}] of ${dtype} needs ${bytes}`);
      const data = new CTOR[dtype](n);
      new Uint8Array(data.buffer).set(t.rawData);
      return { dtype, dims, data };
    }
    let src: ArrayLike<number> | ArrayLike<bigint> | undefined;
    let field = '';
    switch (dtype) {
      case 'float32':
        [src, field] = [t.floatData, 'float_data'];
        break;
      case 'float64':
        [src, field] = [t.doubleData, 'double_data'];
        break;
      case 'int64':
        [src, field] = [(t.int64Data ?? []).map(toBig), 'int64_data'];
        break;
      case 'uint32':
      case 'uint64':
        [src, field] = [(t.uint64Data ?? []).map((v) => (dtype === 'uint64' ? BigInt.asUintN(64, toBig(v)) : Number(toBig(v)))) as ArrayLike<number>, 'uint64_data'];
        break;
      default:
        [src, field] = [t.int32Data, 'int32_data'];
    }
    const len = src?.length ?? 0;
    if (len !== n) this.fail(`${name}: ${field} has ${len} values, shape [${dims.join(', ')}] needs ${n}`);
    if (n === 0) return makeTensor(dtype, dims);
    if (dtype === 'float16' || dtype === 'bfloat16') return { dtype, dims, data: Uint16Array.from(src as ArrayLike<number>) };
    return makeTensor(dtype, dims, src as ArrayLike<number>);
  }

  external(t: PTensor, name: string, dtype: DType, n: number, bytes: number): Tensor['data'] {
    const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const loc = kv.get('location');
    if (!loc) this.fail(`${name}: external data has no location`);
    if (this.opts.baseDir === undefined) this.fail(`${name}: the model keeps data in external file '${loc}'; import it from a path or pass options.baseDir`);
    if (!this.baseReal) {
      try {
        this.baseReal = fs.realpathSync(this.opts.baseDir);
      } catch (e) {
        this.fail(`baseDir '${this.opts.baseDir}' cannot be resolved: ${(e as Error).message}`);
      }
    }
    const base = this.baseReal;
    if (path.isAbsolute(loc) || loc.includes('\0')) this.fail(`${name}: external data location '${loc}' must be a relative path inside the model's folder`);
    const joined = path.resolve(base, loc);
    let real: string;
    try {
      real = fs.realpathSync(joined);
    } catch (e) {
      // Report escapes before existence, so '../x' is named as an escape even when absent.
      if (!inside(base, joined)) this.fail(`${name}: external data location '${loc}' points outside the model's folder`);
      this.fail(`${name}: external data file '${loc}' cannot be opened: ${(e as Error).message}`);
    }
    if (!inside(base, joined) || !inside(base, real)) this.fail(`${name}: external data location '${loc}' points outside the model's folder (resolves to ${real})`);
    const offset = kv.has('offset') ? Number(kv.get('offset')) : 0;
    const length = kv.has('length') ? Number(kv.get('length')) : bytes;
    if (!Number.isSafeInteger(offset) || offset < 0) this.fail(`${name}: external data offset '${kv.get('offset')}' is not a valid byte offset`);
    if (length !== bytes) this.fail(`${name}: external data length ${length} differs from the ${bytes} bytes its shape needs`);
    let fd = this.files.get(real);
    if (fd === undefined) {
      try {
        fd = fs.openSync(real, 'r');
      } catch (e) {
        this.fail(`${name}: external data file '${loc}' cannot be opened: ${(e as Error).message}`);
      }
      this.files.set(real, fd);
    }
    const size = fs.fstatSync(fd).size;
    if (!fs.fstatSync(fd).isFile()) this.fail(`${name}: external data '${loc}' is not a regular file`);
    if (offset + bytes > size) this.fail(`${name}: external data '${loc}' has ${size} bytes, the tensor needs bytes ${offset} to ${offset + bytes}`);
    const data = new CTOR[dtype](n);
    const view = new Uint8Array(data.buffer);
    let done = 0;
    while (done < bytes) {
      const r = fs.readSync(fd, view, done, bytes - done, offset + done);
      if (r <= 0) this.fail(`${name}: short read from '${loc}'`);
      done += r;
    }
    return data;
  }

  valueInfo(v: PValueInfo, what: string): ValueInfo {
    const name = v.name ?? '';
    if (!name) this.fail(`${what} has no name`);
    const ty = v.type;
    if (ty && (ty.sequenceType || ty.mapType || ty.optionalType || ty.sparseTensorType))
      this.fail(`${what} '${name}': only tensor types are supported (sequence/map/optional/sparse found)`);
    const tt = ty?.tensorType;
    const info: ValueInfo = { name };
    if (tt?.elemType) {
      const d = dtypeFromOnnx(tt.elemType);
      if (!d) this.fail(`${what} '${name}': element type ${onnxTypeName(tt.elemType)} is not supported`);
      info.dtype = d;
    }
    if (tt?.shape) {
      info.shape = (tt.shape.dim ?? []).map((d, i) => {
        if (d.dimParam) return d.dimParam;
        if (Object.prototype.hasOwnProperty.call(d, 'dimValue')) return this.dim(d.dimValue, `${what} '${name}'`);
        return `${name}_dim${i}`; // unknown and unnamed: a symbol of its own
      });
    }
    return info;
  }

  attr(a: PAttr, node: string): AttrValue | undefined {
    const name = a.name ?? '';
    if (a.refAttrName) this.fail(`node ${node}: attribute '${name}' references a function attribute, which is not supported`);
    switch (a.type) {
      case 1:
        return a.f ?? 0;
      case 2:
        return toNum(a.i);
      case 3:
        return str(a.s);
      case 4:
        return this.tensor(a.t ?? {}, `attribute '${name}' of node ${node}`);
      case 6:
        return (a.floats ?? []).slice();
      case 7:
        return (a.ints ?? []).map(toNum);
      case 8:
        return (a.strings ?? []).map(str);
      case 5:
      case 10:
        this.fail(`node ${node}: attribute '${name}' is a subgraph; control flow (If/Loop/Scan) is not supported`);
      // falls through (fail never returns)
      default:
        this.fail(`node ${node}: attribute '${name}' has unsupported type ${a.type ?? 'UNDEFINED'}`);
    }
  }
}

function inside(base: string, p: string): boolean {
  const rel = path.relative(base, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

const ATTR_KIND: Record<AttrSpec['type'], (v: AttrValue) => boolean> = {
  int: (v) => typeof v === 'number' && Number.isInteger(v),
  float: (v) => typeof v === 'number',
  string: (v) => typeof v === 'string',
  ints: (v) => Array.isArray(v) && (v as unknown[]).every((x) => typeof x === 'number' && Number.isInteger(x)),
  floats: (v) => Array.isArray(v) && (v as unknown[]).every((x) => typeof x === 'number'),
  strings: (v) => Array.isArray(v) && (v as unknown[]).every((x) => typeof x === 'string'),
  tensor: (v) => typeof v === 'object' && !Array.isArray(v),
};

/**
 * Imports ONNX ModelProto bytes. Returns the graph in canonical form with inferred shapes; no
 * passes are applied (see lib/graph/passes).
 */
export function importModel(bytes: Uint8Array, opts: ImportOptions = {}): Graph {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`model must be a Uint8Array (or a path with loadModel), got ${bytes === null ? 'null' : typeof bytes}`);
  if (bytes.length === 0) throw new OnnxImportError('the ONNX model is empty (0 bytes)');
  let m: PModel;
  try {
    m = decodeModelProto(bytes) as unknown as PModel;
  } catch (e) {
    throw new OnnxImportError(`malformed or truncated ONNX model (${bytes.length} bytes): ${(e as Error).message}`);
  }
  const im = new Importer(opts);
  try {
    return build(m, im);
  } finally {
    im.close();
  }
}

function build(m: PModel, im: Importer): Graph {
  const pg = m.graph;
  if (!pg) im.fail('not an ONNX model: no graph (malformed file?)');
  const ir = toNum(m.irVersion ?? 0);
  if (ir < 3) im.fail(`not an ONNX model or an unsupported IR version (${ir}); qint8 reads IR 3 and later`);
  let opset: number | undefined;
  const domains = new Map<string, number>();
  for (const o of m.opsetImport ?? []) {
    const d = o.domain === 'ai.onnx' ? '' : (o.domain ?? '');
    domains.set(d, toNum(o.version ?? 0));
    if (d === '') opset = toNum(o.version ?? 0);
  }
  if (opset === undefined) im.fail('the model imports no default-domain (ai.onnx) opset');
  if (opset < MIN_OPSET || opset > MAX_OPSET) im.fail(`opset ${opset} is not supported (qint8 reads opsets ${MIN_OPSET} to ${MAX_OPSET})`);
  if ((m.functions ?? []).length) im.fail(`the model defines ${m.functions!.length} local functions, which are not supported`);
  if ((pg.sparseInitializer ?? []).length) im.fail('sparse initializers are not supported');

  const g = new Graph(pg.name || 'graph');
  g.opset = opset;
  g.meta.producer = [m.producerName, m.producerVersion].filter(Boolean).join(' ');
  g.meta.irVersion = String(ir);

  for (const t of pg.initializer ?? []) {
    const name = t.name ?? '';
    if (!name) im.fail('an initializer has no name');
    if (g.constants.has(name)) im.fail(`initializer '${name}' is defined twice`);
    g.constants.set(name, im.tensor(t, `initializer '${name}'`));
  }
  const seen = new Set<string>();
  for (const v of pg.input ?? []) {
    const info = im.valueInfo(v, 'graph input');
    if (seen.has(info.name)) im.fail(`graph input '${info.name}' is listed twice`);
    seen.add(info.name);
    const c = g.constants.get(info.name);
    if (c) {
      // IR < 4 lists initializers as inputs too; the initializer is the value.
      if (info.dtype && info.dtype !== c.dtype) im.fail(`graph input '${info.name}' is declared ${info.dtype} but its initializer is ${c.dtype}`);
      continue;
    }
    g.inputs.push(info);
  }
  for (const v of pg.output ?? []) g.outputs.push(im.valueInfo(v, 'graph output'));
  if (g.outputs.length === 0) im.fail('the graph has no outputs');

  // Nodes: registry lookup, attributes, names.
  const names = new Set<string>();
  const nodes: Node[] = [];
  (pg.node ?? []).forEach((pn, idx) => {
    const opType = pn.opType ?? '';
    const domain = pn.domain === 'ai.onnx' ? '' : (pn.domain ?? '');
    let name = pn.name || `${opType || 'node'}_${idx}`;
    if (names.has(name)) name = `${name}_${idx}`;
    names.add(name);
    const label = `node '${name}' (${domain ? domain + '.' : ''}${opType})`;
    if (!opType) im.fail(`node ${idx} ('${name}') has no op_type`);
    const spec = getOp(opType, domain);
    if (!spec || !IMPORT_DOMAINS.has(spec.domain)) im.fail(`unsupported op ${domain ? domain + '.' : ''}${opType} in ${label}: qint8 does not implement it (see docs/OPS.md)`);
    if (spec.domain === '' && opset < spec.since) im.fail(`${label}: ${opType} needs opset ${spec.since} or later, the model imports opset ${opset}`);
    if (spec.until !== undefined && opset > spec.until) im.fail(`${label}: ${opType} was removed after opset ${spec.until}, the model imports opset ${opset}`);
    const attrs: Record<string, AttrValue> = {};
    for (const a of pn.attribute ?? []) {
      const an = a.name ?? '';
      if (!an) im.fail(`${label} has an attribute without a name`);
      const v = im.attr(a, name);
      if (v !== undefined) attrs[an] = v;
    }
    nodes.push({ name, opType, domain, inputs: (pn.input ?? []).slice(), outputs: (pn.output ?? []).slice(), attrs });
  });

  // Constant nodes become graph constants.
  const rest: Node[] = [];
  for (const n of nodes) {
    if (n.opType !== 'Constant') {
      rest.push(n);
      continue;
    }
    for (const k of Object.keys(n.attrs))
      if (!['value', 'value_float', 'value_floats', 'value_int', 'value_ints'].includes(k))
        im.fail(`node '${n.name}' (Constant): attribute '${k}' is not supported (string and sparse constants are not)`);
    const t = constantValue(n);
    if (!t) im.fail(`node '${n.name}' (Constant) has no value`);
    if (n.outputs.length !== 1 || !n.outputs[0]) im.fail(`node '${n.name}' (Constant) must have one output`);
    if (g.constants.has(n.outputs[0])) im.fail(`value '${n.outputs[0]}' is defined twice (Constant node '${n.name}' and an initializer)`);
    g.constants.set(n.outputs[0], t);
  }
  g.nodes = rest;
  try {
    g.sort();
  } catch (e) {
    im.fail(`${(e as Error).message}`);
  }

  // Normalise each node to canonical form and infer, in order.
  const state = new InferState(g);
  for (const v of g.inputs) g.values.set(v.name, { ...v, shape: v.shape?.slice() });
  const order = g.nodes;
  g.nodes = [];
  const namer = g.namer();
  for (const n of order) names.add(n.name);
  for (const node of order) {
    const spec = getOp(node.opType, node.domain)!;
    if (spec.normalize) {
      const nctx: NormalizeCtx = {
        opset: opset!,
        int64: (values, isScalar) => {
          const name = namer(`${node.name}_const`);
          const t = int64s(values);
          g.constants.set(name, isScalar ? { ...t, dims: [] } : t);
          return name;
        },
        float: (value) => {
          const name = namer(`${node.name}_const`);
          g.constants.set(name, makeTensor(inputType(g, node) ?? 'float32', [], [value]));
          return name;
        },
        constant: (t, base) => {
          const name = namer(base ?? `${node.name}_const`);
          g.constants.set(name, t);
          return name;
        },
        shape: (v) => g.info(v).shape,
        node: (opType, inputs, attrs = {}, outputs = 1) => {
          const nn: Node = { name: namer(`${node.name}_${opType}`), opType, domain: '', inputs, outputs: [], attrs };
          for (let i = 0; i < outputs; i++) nn.outputs.push(namer(`${node.name}_${opType.toLowerCase()}_out`));
          g.nodes.push(nn);
          inferNode(g, nn, state);
          return nn.outputs;
        },
        fail: (msg) => im.fail(`node '${node.name}' (${node.opType}): ${msg}`),
      };
      spec.normalize(node, nctx);
    }
    const canon = getOp(node.opType, node.domain)!;
    for (const [k, v] of Object.entries(node.attrs)) {
      const a = canon.attrs[k];
      if (!a) im.fail(`node '${node.name}' (${node.opType}): attribute '${k}' is not supported (opset ${opset})`);
      if (a.type === 'float' && typeof v === 'number') continue;
      if (a.type === 'floats' && Array.isArray(v) && (v as unknown[]).every((x) => typeof x === 'number')) continue;
      if (!ATTR_KIND[a.type](v)) im.fail(`node '${node.name}' (${node.opType}): attribute '${k}' must be of type ${a.type}`);
    }
    g.nodes.push(node);
    inferNode(g, node, state);
  }
  reconcileOutputs(g);
  g.validate();
  for (const k of [...g.values.keys()]) if (g.constants.has(k)) g.values.delete(k);
  return g;
}

function inputType(g: Graph, node: Node): DType | undefined {
  return node.inputs[0] ? g.info(node.inputs[0]).dtype : undefined;
}

export { numel };
