// Loader for ONNX's backend node tests (Debian package libonnx-testdata: data/node/<test>/
// model.onnx + test_data_set_*/{input,output}_*.pb), decoded with lib/onnx/proto.ts, and a runner
// that executes a test's operator as a registered qint8 engine op.
//
// A test is "single-op" when its graph has exactly one node besides Constant nodes (whose values
// become constant inputs); the *_expanded variants (an op's function body as a multi-node graph)
// are reported as such. The data root is $QINT8_ONNX_TESTDATA or /usr/share/libonnx-testdata/data.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelProto, TensorProto } from '../../lib/onnx/proto';
import { type AttrValue, type ElemTypeName, type OpTensor, type TensorData, createOp } from '../../lib/engine/ops';

export const TESTDATA_ROOT = process.env.QINT8_ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data';
export const NODE_DIR = path.join(TESTDATA_ROOT, 'node');

/** ONNX TensorProto data type -> engine element type (undefined: not an engine type). */
export function elemTypeOfOnnx(code: number): ElemTypeName | undefined {
  return ({ 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64' } as Record<number, ElemTypeName>)[code];
}

export interface NodeTensor {
  name: string;
  onnxType: number;
  dims: number[];
  /** Undefined when the element type is not an engine type (e.g. float16, string). */
  tensor?: OpTensor;
}

export interface NodeTest {
  name: string;
  dir: string;
  opType: string;
  domain: string;
  opset: number;
  /** Non-Constant nodes in the graph (1 for a single-op test). */
  nodeCount: number;
  attrs: Record<string, AttrValue>;
  /** Attribute kinds the engine cannot take (graphs, strings lists, ...), by name. */
  unsupportedAttrs: string[];
  /** Per node input: a graph input name, a constant, or '' when omitted. */
  inputs: { name: string; constant?: NodeTensor }[];
  outputs: string[];
  sets: { inputs: Record<string, NodeTensor>; outputs: NodeTensor[] }[];
}

type Obj = Record<string, unknown>;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const clampInt = (v: unknown): number => {
  const n = Number(v as string);
  return n > MAX_SAFE ? MAX_SAFE : n < -MAX_SAFE ? -MAX_SAFE : n;
};

function bytesOf(u: unknown): Uint8Array | undefined {
  if (!u) return undefined;
  const b = u as Uint8Array;
  return b.byteLength === 0 ? undefined : b;
}

/** Decodes a TensorProto object (from toObject with longs as strings). */
export function decodeTensor(t: Obj): NodeTensor {
  const onnxType = Number(t.dataType ?? 0);
  const dims = ((t.dims as unknown[]) ?? []).map(clampInt);
  const n = dims.reduce((a, b) => a * b, 1);
  const type = elemTypeOfOnnx(onnxType);
  const out: NodeTensor = { name: String(t.name ?? ''), onnxType, dims };
  if (!type) return out;
  const raw = bytesOf(t.rawData);
  let data: TensorData;
  const copyRaw = <T extends TensorData>(C: { new (b: ArrayBuffer): T }, es: number): T => {
    const buf = new ArrayBuffer(n * es);
    new Uint8Array(buf).set(raw!.subarray(0, n * es));
    return new C(buf);
  };
  switch (type) {
    case 'float32':
      data = raw ? copyRaw(Float32Array, 4) : Float32Array.from((t.floatData as number[]) ?? []);
      break;
    case 'float64':
      data = raw ? copyRaw(Float64Array, 8) : Float64Array.from((t.doubleData as number[]) ?? []);
      break;
    case 'int64':
      data = raw ? copyRaw(BigInt64Array, 8) : BigInt64Array.from(((t.int64Data as string[]) ?? []).map((s) => BigInt(s)));
      break;
    case 'int32':
      data = raw ? copyRaw(Int32Array, 4) : Int32Array.from((t.int32Data as number[]) ?? []);
      break;
    case 'int8':
      data = raw ? copyRaw(Int8Array, 1) : Int8Array.from((t.int32Data as number[]) ?? []);
      break;
    default:  // uint8, bool
      data = raw ? copyRaw(Uint8Array, 1) : Uint8Array.from((t.int32Data as number[]) ?? []);
      break;
  }
  if (data.length !== n) throw new Error(`tensor ${String(t.name)}: ${data.length} values for dims [${dims.join(', ')}]`);
  out.tensor = { type, shape: dims, data };
  return out;
}

/** Reads a TensorProto file; a file that is not a tensor (sequence / optional values) gives a
 * NodeTensor without data and onnxType -1. */
function readTensorFile(file: string): NodeTensor {
  try {
    const msg = TensorProto.decode(fs.readFileSync(file));
    return decodeTensor(TensorProto.toObject(msg, { longs: String, bytes: Uint8Array }) as Obj);
  } catch {
    return { name: '', onnxType: -1, dims: [] };
  }
}

function decodeAttr(a: Obj, test: NodeTest): void {
  const name = String(a.name);
  switch (Number(a.type)) {
    case 1:
      test.attrs[name] = { kind: 'float', value: Number(a.f ?? 0) };
      break;
    case 2:
      test.attrs[name] = clampInt(a.i ?? 0);
      break;
    case 3:
      test.attrs[name] = Buffer.from((a.s as Uint8Array) ?? new Uint8Array()).toString('utf8');
      break;
    case 4: {
      const t = decodeTensor(a.t as Obj);
      if (t.tensor) test.attrs[name] = { kind: 'tensor', value: t.tensor };
      else test.unsupportedAttrs.push(name);
      break;
    }
    case 6:
      test.attrs[name] = { kind: 'floats', value: ((a.floats as number[]) ?? []).map(Number) };
      break;
    case 7:
      test.attrs[name] = ((a.ints as unknown[]) ?? []).map(clampInt);
      break;
    default:
      test.unsupportedAttrs.push(name);
  }
}

/**
 * Loads one test folder; with `want`, returns undefined without reading the data sets when the
 * operator (op type, domain; Constant nodes aside) is not wanted.
 */
export function loadNodeTest(name: string, want?: (opType: string, domain: string) => boolean): NodeTest | undefined {
  const dir = path.join(NODE_DIR, name);
  const model = ModelProto.toObject(ModelProto.decode(fs.readFileSync(path.join(dir, 'model.onnx'))), {
    longs: String,
    bytes: Uint8Array,
  }) as Obj;
  const graph = model.graph as Obj;
  const nodes = (graph.node as Obj[]) ?? [];
  const constants: Record<string, NodeTensor> = {};
  for (const init of (graph.initializer as Obj[]) ?? []) {
    const t = decodeTensor(init);
    constants[t.name] = t;
  }
  const ops = nodes.filter((n) => n.opType !== 'Constant');
  for (const n of nodes)
    if (n.opType === 'Constant') {
      const v = ((n.attribute as Obj[]) ?? []).find((a) => a.name === 'value');
      if (v?.t) constants[((n.output as string[]) ?? [])[0]] = decodeTensor(v.t as Obj);
    }
  const node = ops[0] ?? nodes[0];
  const domain = String(node.domain ?? '');
  if (want && !want(String(node.opType), domain === 'ai.onnx' ? '' : domain)) return undefined;
  const opsets = (model.opsetImport as Obj[]) ?? [];
  const opset = clampInt(opsets.find((o) => String(o.domain ?? '') === (domain === 'ai.onnx' ? '' : domain))?.version ?? 0);
  const test: NodeTest = {
    name,
    dir,
    opType: String(node.opType),
    domain: domain === 'ai.onnx' ? '' : domain,
    opset,
    nodeCount: ops.length,
    attrs: {},
    unsupportedAttrs: [],
    inputs: ((node.input as string[]) ?? []).map((n) => ({ name: n, constant: constants[n] })),
    outputs: (node.output as string[]) ?? [],
    sets: [],
  };
  for (const a of (node.attribute as Obj[]) ?? []) decodeAttr(a, test);
  const graphInputs = ((graph.input as Obj[]) ?? []).map((v) => String(v.name)).filter((n) => !(n in constants));
  const graphOutputs = ((graph.output as Obj[]) ?? []).map((v) => String(v.name));
  for (const d of fs.readdirSync(dir).filter((f) => f.startsWith('test_data_set_')).sort()) {
    const inputs: Record<string, NodeTensor> = {};
    const outputs: NodeTensor[] = [];
    graphInputs.forEach((gi, k) => {
      const f = path.join(dir, d, `input_${k}.pb`);
      if (fs.existsSync(f)) inputs[gi] = { ...readTensorFile(f), name: gi };
    });
    graphOutputs.forEach((go, k) => {
      const f = path.join(dir, d, `output_${k}.pb`);
      if (fs.existsSync(f)) outputs.push({ ...readTensorFile(f), name: go });
    });
    test.sets.push({ inputs, outputs });
  }
  return test;
}

export function listNodeTests(): string[] {
  if (!fs.existsSync(NODE_DIR)) return [];
  return fs.readdirSync(NODE_DIR).filter((d) => fs.existsSync(path.join(NODE_DIR, d, 'model.onnx'))).sort();
}

function allocate(t: NodeTensor): OpTensor {
  const type = elemTypeOfOnnx(t.onnxType)!;
  const n = t.dims.reduce((a, b) => a * b, 1);
  const C = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array }[
    type
  ];
  return { type, shape: t.dims, data: new C(n) };
}

/**
 * Runs the test's operator (data set k) as a qint8 engine op. Output shapes and types are the
 * expected outputs' (shape inference is the compiler's job, not the op's). Constant inputs are
 * passed to createOp as constants too.
 */
export function runNodeTest(test: NodeTest, k: number, isa?: Parameters<typeof createOp>[4]): OpTensor[] {
  const set = test.sets[k];
  const ins = test.inputs.map((i) => {
    if (i.name === '') return undefined;
    const t = i.constant ?? set.inputs[i.name];
    if (!t) throw new Error(`${test.name}: no value for input '${i.name}'`);
    if (!t.tensor) throw new Error(`${test.name}: input '${i.name}' has an unsupported element type ${t.onnxType}`);
    return t.tensor;
  });
  const op = createOp(
    test.domain,
    test.opType,
    test.attrs,
    test.inputs.map((i, j) => (i.name === '' ? undefined : i.constant ? ins[j] : null)),
    isa,
  );
  const outs = set.outputs.map(allocate);
  op.run(ins, outs);
  return outs;
}
