// Loader for ONNX's own backend node tests (Debian package libonnx-testdata: one folder per test
// under data/node/, model.onnx plus test_data_set_*/input_*.pb / output_*.pb TensorProtos).
// Decodes the model's single node (op type, attributes, opset) and every data set into typed
// arrays. The data root is $QINT8_ONNX_TESTDATA or /usr/share/libonnx-testdata/data.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataType, ModelProto, TensorProto } from '../../lib/onnx/proto';

export const TESTDATA_ROOT = process.env.QINT8_ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data';
export const NODE_DIR = path.join(TESTDATA_ROOT, 'node');

export type TensorData = Float32Array | Float64Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

export interface TestTensor {
  name: string;
  dims: number[];
  dataType: number;
  data: TensorData;
}

export type AttrValue = number | number[] | string | Uint8Array | TestTensor;

export interface NodeTest {
  name: string;
  opType: string;
  domain: string;
  opset: number;
  attrs: Record<string, AttrValue>;
  /** Node input names (an empty string is an omitted optional input). */
  nodeInputs: string[];
  /** Graph input names, in the order of the input_*.pb files. */
  graphInputs: string[];
  /** Values of Constant nodes feeding the operator, by output name. */
  constants: Record<string, TestTensor>;
  sets: { inputs: TestTensor[]; outputs: TestTensor[] }[];
}

/** Whether the package data is present; under CI=true its absence is an error, not a skip. */
export function testdataAvailable(): boolean {
  const ok = fs.existsSync(NODE_DIR);
  if (!ok && process.env.CI === 'true')
    throw new Error(
      `ONNX backend test data not found at ${NODE_DIR}: install the Debian package libonnx-testdata ` +
        '(.ci/run does) or set QINT8_ONNX_TESTDATA to its data folder',
    );
  return ok;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v as bigint | { toString(): string }));

/** Decodes one serialized TensorProto into a typed array of its element type. */
export function decodeTensor(bytes: Uint8Array): TestTensor {
  const m = TensorProto.decode(bytes) as unknown as {
    name?: string;
    dims?: unknown[];
    dataType?: number;
    rawData?: Uint8Array;
    floatData?: number[];
    int32Data?: number[];
    int64Data?: unknown[];
    doubleData?: number[];
  };
  const dims = (m.dims ?? []).map(num);
  const count = dims.reduce((a, b) => a * b, 1);
  const dt = m.dataType ?? 0;
  const raw = m.rawData && m.rawData.length > 0 ? m.rawData : undefined;
  const fromRaw = <T>(ctor: { new (b: ArrayBuffer, o: number, n: number): T; BYTES_PER_ELEMENT: number }): T => {
    const copy = new Uint8Array(raw!.length);
    copy.set(raw!);
    return new ctor(copy.buffer, 0, raw!.length / ctor.BYTES_PER_ELEMENT);
  };
  let data: TensorData;
  switch (dt) {
    case DataType.FLOAT:
      data = raw ? fromRaw(Float32Array) : Float32Array.from(m.floatData ?? []);
      break;
    case DataType.DOUBLE:
      data = raw ? fromRaw(Float64Array) : Float64Array.from(m.doubleData ?? []);
      break;
    case DataType.UINT8:
      data = raw ? fromRaw(Uint8Array) : Uint8Array.from(m.int32Data ?? []);
      break;
    case DataType.INT8:
      data = raw ? fromRaw(Int8Array) : Int8Array.from(m.int32Data ?? []);
      break;
    case DataType.INT32:
      data = raw ? fromRaw(Int32Array) : Int32Array.from(m.int32Data ?? []);
      break;
    case DataType.INT64:
      data = raw ? fromRaw(BigInt64Array) : BigInt64Array.from((m.int64Data ?? []).map((v) => BigInt(String(v))));
      break;
    default:
      throw new Error(`tensor ${m.name ?? ''}: data type ${dt} is not supported by this loader`);
  }
  if (data.length !== count) throw new Error(`tensor ${m.name ?? ''}: ${data.length} elements for dims [${dims.join(', ')}]`);
  return { name: m.name ?? '', dims, dataType: dt, data };
}

function readSet(dir: string, prefix: string): TestTensor[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)));
  return files.map((f) => decodeTensor(fs.readFileSync(path.join(dir, f))));
}

/**
 * Loads test `name` (e.g. 'test_maxpool_2d_uint8'). The model must hold one operator node, plus
 * optionally Constant nodes (their values are returned in `constants`). With `dataOnly` (for the
 * *_expanded tests, whose graphs are an op's function body) the nodes are not inspected.
 */
export function loadNodeTest(name: string, opts: { dataOnly?: boolean } = {}): NodeTest {
  const dir = path.join(NODE_DIR, name);
  const model = ModelProto.toObject(ModelProto.decode(fs.readFileSync(path.join(dir, 'model.onnx'))), {
    longs: Number,
    defaults: true,
  }) as {
    opsetImport: { domain: string; version: number }[];
    graph: {
      node: { opType: string; domain: string; input: string[]; output: string[]; attribute: Record<string, unknown>[] }[];
      input: { name: string }[];
    };
  };
  const sets = fs
    .readdirSync(dir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort()
    .map((d) => ({ inputs: readSet(path.join(dir, d), 'input_'), outputs: readSet(path.join(dir, d), 'output_') }));
  const graphInputs = model.graph.input.map((i) => i.name);
  const constants: Record<string, TestTensor> = {};
  const ops = model.graph.node.filter((n) => n.opType !== 'Constant');
  if (opts.dataOnly)
    return { name, opType: '', domain: '', opset: 0, attrs: {}, nodeInputs: [], graphInputs, constants, sets };
  if (ops.length !== 1) throw new Error(`${name}: expected one operator node, got ${ops.length}`);
  for (const c of model.graph.node.filter((n) => n.opType === 'Constant')) {
    const v = c.attribute.find((a) => a.name === 'value');
    if (!v || !v.t) throw new Error(`${name}: Constant node without a tensor value`);
    const bytes = TensorProto.encode(TensorProto.fromObject(v.t as Record<string, unknown>)).finish();
    constants[c.output[0]] = decodeTensor(bytes);
  }
  const node = ops[0];
  const opset = model.opsetImport.find((o) => (o.domain ?? '') === (node.domain ?? ''))?.version ?? 0;
  const attrs: Record<string, AttrValue> = {};
  for (const a of node.attribute) {
    const n = a.name as string;
    switch (a.type as number) {
      case 1: attrs[n] = a.f as number; break;
      case 2: attrs[n] = num(a.i); break;
      case 3: attrs[n] = new TextDecoder().decode(a.s as Uint8Array); break;
      case 6: attrs[n] = (a.floats as number[]).slice(); break;
      case 7: attrs[n] = (a.ints as unknown[]).map(num); break;
      default: throw new Error(`${name}: attribute ${n} has type ${String(a.type)}, not handled by this loader`);
    }
  }
  return { name, opType: node.opType, domain: node.domain ?? '', opset, attrs, nodeInputs: node.input, graphInputs, constants, sets };
}

/** Names of the node tests present whose name matches. */
export function listNodeTests(match: RegExp): string[] {
  if (!fs.existsSync(NODE_DIR)) return [];
  return fs.readdirSync(NODE_DIR).filter((d) => match.test(d)).sort();
}
