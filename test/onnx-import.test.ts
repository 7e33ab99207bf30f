// ONNX import: clear errors before anything runs, old opset forms normalised to the canonical one
// (checked on onnxruntime: the original model and our re-export must give identical outputs),
// initializers / Constant nodes / external data, dynamic dims.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxImportError, importModel, loadModel } from '../lib/onnx/import';
import { exportModel } from '../lib/onnx/export';
import { bindShapes } from '../lib/graph/infer';
import { GraphError } from '../lib/graph/ir';
import { ModelProto } from '../lib/onnx/proto';
import { DataType, attrFloat, attrInt, attrInts, buildModel, rng, runOrt, tensor } from './helpers/onnx';

const OCR = path.join(__dirname, '..', 'node_modules', '@gutenye', 'ocr-models', 'assets');
const FLOAT = DataType.FLOAT;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qint8-import-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const relu = (opset = 13) =>
  buildModel({ nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }], inputs: [{ name: 'x', type: FLOAT, dims: [2, 3] }], outputs: [{ name: 'y', type: FLOAT }], opset });

function randomF32(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.float(-3, 3);
  return a;
}

/** Re-encodes a model after editing its decoded object. */
function edit(bytes: Uint8Array, f: (m: Record<string, any>) => void): Uint8Array {
  const m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Array }) as Record<string, any>;
  f(m);
  const fix = (t: any) => t && t.rawData && (t.rawData = Uint8Array.from(t.rawData));
  for (const t of m.graph.initializer ?? []) fix(t);
  for (const n of m.graph.node ?? []) for (const a of n.attribute ?? []) {
    fix(a.t);
    if (a.s) a.s = Uint8Array.from(a.s);
  }
  return ModelProto.encode(ModelProto.fromObject(m)).finish();
}

describe('import errors (before anything runs)', () => {
  it('empty, garbage and truncated files', () => {
    expect(() => importModel(new Uint8Array(0))).toThrow(/empty/);
    const garbage = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 255);
    expect(() => importModel(garbage)).toThrow(OnnxImportError);
    const real = fs.readFileSync(path.join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'));
    for (const cut of [10, 1000, real.length >> 1, real.length - 3]) {
      expect(() => importModel(real.subarray(0, cut)), `cut at ${cut}`).toThrow(OnnxImportError);
    }
    expect(() => importModel(real.subarray(0, real.length >> 1))).toThrow(/malformed or truncated|not an ONNX model|no graph/);
    // A protobuf that is not a model.
    expect(() => importModel(new Uint8Array([0x08, 0x01]))).toThrow(/no graph/);
    expect(() => importModel('model.onnx' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => loadModel(path.join(tmp, 'missing.onnx'))).toThrow(/cannot read ONNX model/);
  });

  it('unsupported opsets', () => {
    expect(() => importModel(relu(8))).toThrow(/opset 8 is not supported \(qint8 reads opsets 9 to 21\)/);
    expect(() => importModel(relu(22))).toThrow(/opset 22 is not supported/);
    const noDefault = edit(relu(), (m) => (m.opsetImport = [{ domain: 'com.example', version: 1 }]));
    expect(() => importModel(noDefault)).toThrow(/no default-domain/);
  });

  it('unknown op names the op and its node', () => {
    const m = buildModel({
      nodes: [
        { opType: 'Relu', input: ['x'], output: ['t'], name: 'first' },
        { opType: 'Celu', input: ['t'], output: ['y'], name: 'my_celu' },
      ],
      inputs: [{ name: 'x', type: FLOAT, dims: [2] }],
      outputs: [{ name: 'y', type: FLOAT }],
    });
    expect(() => importModel(m)).toThrow(/unsupported op Celu in node 'my_celu' \(Celu\)/);
    const ms = buildModel({
      nodes: [{ opType: 'FusedConv', domain: 'com.microsoft', input: ['x'], output: ['y'], name: 'fc' }],
      inputs: [{ name: 'x', type: FLOAT, dims: [2] }],
      outputs: [{ name: 'y', type: FLOAT }],
      msOpset: 1,
    });
    expect(() => importModel(ms)).toThrow(/unsupported op com.microsoft.FusedConv in node 'fc'/);
    // An op newer than the model's opset.
    const hs = buildModel({ nodes: [{ opType: 'HardSwish', input: ['x'], output: ['y'], name: 'h' }], inputs: [{ name: 'x', type: FLOAT, dims: [2] }], outputs: [{ name: 'y', type: FLOAT }], opset: 13 });
    expect(() => importModel(hs)).toThrow(/HardSwish needs opset 14 or later, the model imports opset 13/);
  });

  it('attributes: unknown name, wrong type', () => {
    const unknown = buildModel({ nodes: [{ opType: 'Relu', input: ['x'], output: ['y'], name: 'r', attribute: [attrInt('slope', 2)] }], inputs: [{ name: 'x', type: FLOAT, dims: [2] }], outputs: [{ name: 'y', type: FLOAT }] });
    expect(() => importModel(unknown)).toThrow(/node 'r' \(Relu\): attribute 'slope' is not supported/);
    const wrong = buildModel({ nodes: [{ opType: 'Flatten', input: ['x'], output: ['y'], name: 'f', attribute: [attrFloat('axis', 1.5)] }], inputs: [{ name: 'x', type: FLOAT, dims: [2, 2] }], outputs: [{ name: 'y', type: FLOAT }] });
    expect(() => importModel(wrong)).toThrow(/attribute 'axis' must be of type int/);
  });

  it('negative and absurd dimensions', () => {
    const neg = buildModel({ nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }], inputs: [{ name: 'x', type: FLOAT, dims: [2, -3] }], outputs: [{ name: 'y', type: FLOAT }] });
    expect(() => importModel(neg)).toThrow(/graph input 'x' has a negative dimension -3/);
    const huge = buildModel({ nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }], inputs: [{ name: 'x', type: FLOAT, dims: [2, 2 ** 40] }], outputs: [{ name: 'y', type: FLOAT }] });
    expect(() => importModel(huge)).toThrow(/absurd dimension 1099511627776/);
    const w = tensor('w', new Float32Array(4), [2, 2]);
    const badInit = buildModel({ nodes: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }], inputs: [{ name: 'x', type: FLOAT, dims: [2, 2] }], outputs: [{ name: 'y', type: FLOAT }], initializers: [{ ...w, dims: [2, -2] }] });
    expect(() => importModel(badInit)).toThrow(/tensor 'w' has a negative dimension -2/);
    const bigInit = buildModel({ nodes: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }], inputs: [{ name: 'x', type: FLOAT, dims: [2, 2] }], outputs: [{ name: 'y', type: FLOAT }], initializers: [{ ...w, dims: [65536, 65536, 4] }] });
    expect(() => importModel(bigInit)).toThrow(/more than 2147483648 elements/);
    const short = buildModel({ nodes: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }], inputs: [{ name: 'x', type: FLOAT, dims: [2, 2] }], outputs: [{ name: 'y', type: FLOAT }], initializers: [{ ...w, dims: [2, 3] }] });
    expect(() => importModel(short)).toThrow(/tensor 'w': raw_data has 16 bytes, shape \[2, 3\] of float32 needs 24/);
  });

  it('missing input / initializer, type mismatch, shape mismatch, declared output type', () => {
    const missing = buildModel({ nodes: [{ opType: 'Add', input: ['x', 'nowhere'], output: ['y'], name: 'add' }], inputs: [{ name: 'x', type: FLOAT, dims: [2] }], outputs: [{ name: 'y', type: FLOAT }] });
    expect(() => importModel(missing)).toThrow(/node add \(Add\) reads 'nowhere', which no node, input or initializer defines/);
    const types = buildModel({
      nodes: [{ opType: 'Add', input: ['x', 'i'], output: ['y'], name: 'add' }],
      inputs: [{ name: 'x', type: FLOAT, dims: [2] }, { name: 'i', type: DataType.INT64, dims: [2] }],
      outputs: [{ name: 'y', type: FLOAT }],
    });
    expect(() => importModel(types)).toThrow(GraphError);
    expect(() => importModel(types)).toThrow(/node add \(Add\): input types differ: float32 and int64/);
    const shapes = buildModel({
      nodes: [{ opType: 'Add', input: ['x', 'z'], output: ['y'], name: 'add' }],
      inputs: [{ name: 'x', type: FLOAT, dims: [2, 3] }, { name: 'z', type: FLOAT, dims: [4] }],
      outputs: [{ name: 'y', type: FLOAT }],
    });
    expect(() => importModel(shapes)).toThrow(/node add \(Add\): cannot broadcast shapes \[2, 3\] and \[4\]/);
    const decl = buildModel({ nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }], inputs: [{ name: 'x', type: FLOAT, dims: [2] }], outputs: [{ name: 'y', type: DataType.INT32 }] });
    expect(() => importModel(decl)).toThrow(/graph output 'y' is declared int32 but computed as float32/);
    const conv = buildModel({
      nodes: [{ opType: 'Conv', input: ['x', 'w'], output: ['y'], name: 'c' }],
      inputs: [{ name: 'x', type: FLOAT, dims: [1, 3, 8, 8] }],
      outputs: [{ name: 'y', type: FLOAT }],
      initializers: [tensor('w', new Float32Array(4 * 2 * 9), [4, 2, 3, 3])],
    });
    expect(() => importModel(conv)).toThrow(/node c \(Conv\): input has 3 channels, weight expects 2 x group 1/);
  });

  it('string tensors, subgraphs and sequences are refused by name', () => {
    const str = buildModel({ nodes: [{ opType: 'Identity', input: ['x'], output: ['y'] }], inputs: [{ name: 'x', type: DataType.STRING, dims: [2] }], outputs: [{ name: 'y', type: DataType.STRING }] });
    expect(() => importModel(str)).toThrow(/graph input 'x': element type STRING is not supported/);
    const cond = edit(relu(), (m) => {
      m.graph.node.push({ opType: 'If', input: ['c'], output: ['z'], name: 'branch', attribute: [{ name: 'then_branch', type: 5, g: { name: 'b', node: [], output: [] } }] });
    });
    expect(() => importModel(cond)).toThrow(/unsupported op If in node 'branch'/);
  });
});

describe('corrupted models never crash the importer', () => {
  it('1000 random byte flips / truncations of real and node-test models: every failure is an OnnxImportError or GraphError', () => {
    const node = '/usr/share/libonnx-testdata/data/node';
    const sources = [fs.readFileSync(path.join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'))];
    for (const t of ['test_conv_with_strides_padding', 'test_slice', 'test_resize_upsample_scales_linear', 'test_reshape_negative_dim', 'test_gemm_all_attributes'])
      sources.push(fs.readFileSync(path.join(node, t, 'model.onnx')));
    const r = rng(2024);
    const other: string[] = [];
    let failed = 0;
    for (let i = 0; i < 1000; i++) {
      const src = sources[i % sources.length];
      const b = Buffer.from(src);
      const span = i % sources.length === 0 ? 200000 : b.length; // the classifier's weights start past 200 KB
      for (let k = r.int(1, 3); k > 0; k--) b[r.int(0, Math.min(span, b.length) - 1)] = r.int(0, 255);
      const bytes = i % 5 === 0 ? b.subarray(0, r.int(0, b.length - 1)) : b;
      try {
        importModel(bytes);
      } catch (e) {
        failed++;
        if (!(e instanceof GraphError)) other.push(`${(e as Error).constructor.name}: ${(e as Error).message}`);
      }
    }
    expect(other).toEqual([]);
    expect(failed).toBeGreaterThan(300); // the corruption does reach the structure
  });
});

describe('external data', () => {
  const w = new Float32Array([1, 2, 3, 4, 5, 6]);
  const model = (location: string, extra: { key: string; value: string }[] = []) =>
    buildModel({
      nodes: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
      inputs: [{ name: 'x', type: FLOAT, dims: [2, 3] }],
      outputs: [{ name: 'y', type: FLOAT }],
      initializers: [{ name: 'w', dims: [2, 3], dataType: FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: location }, ...extra] }],
    });
  const dir = path.join(tmp, 'model');
  const outside = path.join(tmp, 'secret.bin');
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  const payload = new Uint8Array(8 + w.byteLength);
  payload.set(new Uint8Array(w.buffer), 8);
  fs.writeFileSync(path.join(dir, 'sub', 'weights.bin'), payload);
  fs.writeFileSync(outside, payload);
  fs.symlinkSync(outside, path.join(dir, 'link.bin'));
  fs.symlinkSync(tmp, path.join(dir, 'up'));

  it('reads data inside the model folder (offset, length)', async () => {
    const bytes = model('sub/weights.bin', [{ key: 'offset', value: '8' }, { key: 'length', value: String(w.byteLength) }]);
    fs.writeFileSync(path.join(dir, 'm.onnx'), bytes);
    const g = loadModel(path.join(dir, 'm.onnx'));
    expect(Array.from(g.constants.get('w')!.data as Float32Array)).toEqual(Array.from(w));
    // Same bytes on onnxruntime (which resolves the file relative to the model path too).
    const x = randomF32(6, 1);
    const ref = await runOrtFile(path.join(dir, 'm.onnx'), { x: { data: x, dims: [2, 3] } });
    const ours = await runOrt(exportModel(g), { x: { data: x, dims: [2, 3] } });
    expect(Array.from(ours.y.data as Float32Array)).toEqual(Array.from(ref.y.data as Float32Array));
  });

  it('refuses locations outside the folder: .., absolute, symlinks', () => {
    const cases: [string, RegExp][] = [
      ['../secret.bin', /points outside the model's folder/],
      ['sub/../../secret.bin', /points outside the model's folder/],
      [outside, /must be a relative path inside the model's folder/],
      ['link.bin', /points outside the model's folder \(resolves to/],
      ['up/secret.bin', /points outside the model's folder/],
      ['../does-not-exist.bin', /points outside the model's folder/],
    ];
    for (const [loc, re] of cases) {
      fs.writeFileSync(path.join(dir, 'bad.onnx'), model(loc, [{ key: 'offset', value: '8' }]));
      expect(() => loadModel(path.join(dir, 'bad.onnx')), loc).toThrow(re);
    }
  });

  it('missing file, short file, bad offset, bytes without baseDir', () => {
    fs.writeFileSync(path.join(dir, 'bad.onnx'), model('nope.bin'));
    expect(() => loadModel(path.join(dir, 'bad.onnx'))).toThrow(/external data file 'nope.bin' cannot be opened/);
    fs.writeFileSync(path.join(dir, 'bad.onnx'), model('sub/weights.bin', [{ key: 'offset', value: '16' }]));
    expect(() => loadModel(path.join(dir, 'bad.onnx'))).toThrow(/has 32 bytes, the tensor needs bytes 16 to 40/);
    fs.writeFileSync(path.join(dir, 'bad.onnx'), model('sub/weights.bin', [{ key: 'offset', value: '-4' }]));
    expect(() => loadModel(path.join(dir, 'bad.onnx'))).toThrow(/offset '-4' is not a valid byte offset/);
    fs.writeFileSync(path.join(dir, 'bad.onnx'), model('sub/weights.bin', [{ key: 'length', value: '8' }]));
    expect(() => loadModel(path.join(dir, 'bad.onnx'))).toThrow(/length 8 differs from the 24 bytes/);
    expect(() => importModel(model('sub/weights.bin'))).toThrow(/pass options.baseDir/);
    expect(importModel(model('sub/weights.bin', [{ key: 'offset', value: '8' }]), { baseDir: dir }).constants.get('w')!.dims).toEqual([2, 3]);
  });
});

async function runOrtFile(file: string, feeds: Record<string, { data: Float32Array; dims: number[] }>) {
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
  const f: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor('float32', v.data, v.dims);
  return s.run(f);
}

describe('initializers, Constant nodes, int64 data', () => {
  it('Constant nodes become graph constants; int64 is BigInt64Array', () => {
    const m = buildModel({
      nodes: [
        { opType: 'Constant', input: [], output: ['shape'], attribute: [{ name: 'value', type: 4, t: tensor('', new BigInt64Array([3n, -1n]), [2]) }] },
        { opType: 'Constant', input: [], output: ['k'], attribute: [{ name: 'value_float', type: 1, f: 0.5 }] },
        { opType: 'Reshape', input: ['x', 'shape'], output: ['r'] },
        { opType: 'Mul', input: ['r', 'k'], output: ['y'] },
      ],
      inputs: [{ name: 'x', type: FLOAT, dims: [2, 3, 2] }],
      outputs: [{ name: 'y', type: FLOAT }],
      opset: 13,
    });
    const g = importModel(m);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Reshape', 'Mul']);
    expect(g.constants.get('shape')!.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(g.constants.get('shape')!.data as BigInt64Array)).toEqual([3n, -1n]);
    expect(g.constants.get('k')!.dims).toEqual([]);
    expect(g.info('y').shape).toEqual([3, 4]);
  });

  it('typed data fields (float_data, int64_data, int32_data for int8) decode like raw_data', () => {
    const m = buildModel({
      nodes: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }, { opType: 'Cast', input: ['q'], output: ['qq'], attribute: [attrInt('to', DataType.INT64)] }, { opType: 'Add', input: ['qq', 'i'], output: ['z'] }],
      inputs: [{ name: 'x', type: FLOAT, dims: [3] }, { name: 'q', type: DataType.INT8, dims: [2] }],
      outputs: [{ name: 'y', type: FLOAT }, { name: 'z', type: DataType.INT64 }],
      initializers: [
        { name: 'w', dims: [3], dataType: FLOAT, floatData: [1.5, -2, 3.25] },
        { name: 'i', dims: [2], dataType: DataType.INT64, int64Data: [-7, 9007199254740993 as unknown as number] },
      ],
    });
    const g = importModel(m);
    expect(Array.from(g.constants.get('w')!.data as Float32Array)).toEqual([1.5, -2, 3.25]);
    expect(g.constants.get('i')!.data[0]).toBe(-7n);
  });

  it('IR < 4 models list initializers as inputs: they are constants, not feeds', () => {
    const m = edit(
      buildModel({ nodes: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }], inputs: [{ name: 'x', type: FLOAT, dims: [2] }], outputs: [{ name: 'y', type: FLOAT }], initializers: [tensor('w', new Float32Array([1, 2]), [2])] }),
      (o) => o.graph.input.push({ name: 'w', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimValue: 2 }] } } } }),
    );
    const g = importModel(m);
    expect(g.inputs.map((v) => v.name)).toEqual(['x']);
  });
});

describe('old opset forms are normalised (onnxruntime agrees, bit for bit)', () => {
  const X = [1, 3, 4, 6];
  const xs = randomF32(72, 7);
  const cases: { name: string; opset: number; nodes: any[]; out: string; check: (g: ReturnType<typeof importModel>) => void; dims?: number[]; extraInits?: any[] }[] = [
    {
      name: 'Clip min/max attributes (opset 9)',
      opset: 9,
      nodes: [{ opType: 'Clip', input: ['x'], output: ['y'], attribute: [attrFloat('min', -0.5), attrFloat('max', 1.25)] }],
      out: 'y',
      check: (g) => expect(g.nodes[0].inputs.length).toBe(3),
    },
    {
      name: 'Clip with max only (opset 10)',
      opset: 10,
      nodes: [{ opType: 'Clip', input: ['x'], output: ['y'], attribute: [attrFloat('max', 0.75)] }],
      out: 'y',
      check: (g) => expect(g.nodes[0].inputs).toEqual(['x', '', expect.any(String)]),
    },
    {
      name: 'Slice starts/ends/axes attributes (opset 9), INT64_MAX end',
      opset: 9,
      nodes: [{ opType: 'Slice', input: ['x'], output: ['y'], attribute: [attrInts('starts', [1, -5]), attrInts('ends', [3, 9223372036854775807 as unknown as number]), attrInts('axes', [1, 3])] }],
      out: 'y',
      check: (g) => expect(g.info('y').shape).toEqual([1, 2, 4, 5]),
    },
    {
      name: 'Squeeze / Unsqueeze axes attributes (opset 11)',
      opset: 11,
      nodes: [
        { opType: 'Unsqueeze', input: ['x'], output: ['u'], attribute: [attrInts('axes', [0, -1])] },
        { opType: 'Squeeze', input: ['u'], output: ['y'], attribute: [attrInts('axes', [0, 1])] },
      ],
      out: 'y',
      check: (g) => expect(g.info('y').shape).toEqual([3, 4, 6, 1]),
    },
    {
      name: 'Pad pads/value attributes (opset 10), reflect mode too',
      opset: 10,
      nodes: [
        { opType: 'Pad', input: ['x'], output: ['p'], attribute: [attrInts('pads', [0, 0, 1, 2, 0, 1, 0, 1]), attrFloat('value', 2.5)] },
        { opType: 'Pad', input: ['p'], output: ['y'], attribute: [attrInts('pads', [0, 0, 1, 1, 0, 0, 1, 1]), { name: 'mode', type: 3, s: new TextEncoder().encode('reflect') }] },
      ],
      out: 'y',
      check: (g) => expect(g.info('y').shape).toEqual([1, 4, 7, 11]),
    },
    {
      name: 'ReduceMean / ReduceSum axes attributes (opset 12)',
      opset: 12,
      nodes: [
        { opType: 'ReduceMean', input: ['x'], output: ['m'], attribute: [attrInts('axes', [2]), attrInt('keepdims', 1)] },
        { opType: 'ReduceSum', input: ['m'], output: ['y'], attribute: [attrInts('axes', [-1]), attrInt('keepdims', 0)] },
      ],
      out: 'y',
      check: (g) => expect(g.info('y').shape).toEqual([1, 3, 1]),
    },
    {
      name: 'ReduceMax without axes (opset 13) reduces everything',
      opset: 13,
      nodes: [{ opType: 'ReduceMax', input: ['x'], output: ['y'], attribute: [attrInt('keepdims', 0)] }],
      out: 'y',
      check: (g) => expect(g.info('y').shape).toEqual([]),
    },
    {
      name: 'Split split attribute (opset 11) and equal split (opset 13)',
      opset: 11,
      nodes: [
        { opType: 'Split', input: ['x'], output: ['a', 'b'], attribute: [attrInt('axis', 3), attrInts('split', [2, 4])] },
        { opType: 'Split', input: ['b'], output: ['c', 'd'], attribute: [attrInt('axis', 3)] },
        { opType: 'Concat', input: ['a', 'a'], output: ['aa'], attribute: [attrInt('axis', 1)] },
        { opType: 'Add', input: ['aa', 'aa'], output: ['y'] },
      ],
      out: 'y',
      check: (g) => {
        expect(g.info('y').shape).toEqual([1, 6, 4, 2]);
        expect(g.info('d').shape).toEqual([1, 3, 4, 2]);
        const uneven = buildModel({ nodes: [{ opType: 'Split', input: ['x'], output: ['p', 'q'], attribute: [attrInt('axis', 1)], name: 'sp' }], inputs: [{ name: 'x', type: FLOAT, dims: X }], outputs: [{ name: 'p', type: FLOAT }], opset: 13 });
        expect(() => importModel(uneven)).toThrow(/node 'sp' \(Split\): cannot split dim 3 into 2 equal parts/);
      },
    },
    {
      name: 'Softmax (opset 11) on a 4-D input with axis 1: flatten semantics',
      opset: 11,
      nodes: [{ opType: 'Softmax', input: ['x'], output: ['y'], attribute: [attrInt('axis', 1)] }],
      out: 'y',
      check: (g) => expect(g.nodes.map((n) => n.opType)).toEqual(['Shape', 'Flatten', 'Softmax', 'Reshape']),
    },
    {
      name: 'Softmax (opset 11) with axis = last stays one node',
      opset: 11,
      nodes: [{ opType: 'Softmax', input: ['x'], output: ['y'], attribute: [attrInt('axis', 3)] }],
      out: 'y',
      check: (g) => expect(g.nodes.map((n) => `${n.opType}:${n.attrs.axis}`)).toEqual(['Softmax:-1']),
    },
    {
      name: 'Upsample (opset 9) nearest',
      opset: 9,
      nodes: [{ opType: 'Upsample', input: ['x', 's'], output: ['y'], attribute: [{ name: 'mode', type: 3, s: new TextEncoder().encode('nearest') }] }],
      extraInits: [tensor('s', new Float32Array([1, 1, 2, 1.5]), [4])],
      out: 'y',
      check: (g) => {
        expect(g.nodes[0].opType).toBe('Resize');
        expect(g.info('y').shape).toEqual([1, 3, 8, 9]);
      },
    },
    {
      name: 'Resize (opset 10) linear',
      opset: 10,
      nodes: [{ opType: 'Resize', input: ['x', 's'], output: ['y'], attribute: [{ name: 'mode', type: 3, s: new TextEncoder().encode('linear') }] }],
      extraInits: [tensor('s', new Float32Array([1, 1, 2, 2]), [4])],
      out: 'y',
      check: (g) => expect(g.nodes[0].attrs.coordinate_transformation_mode).toBe('asymmetric'),
    },
    {
      name: 'Dropout ratio attribute (opset 10) and mask output',
      opset: 10,
      nodes: [{ opType: 'Dropout', input: ['x'], output: ['y', 'mask'], attribute: [attrFloat('ratio', 0.3)] }],
      out: 'y',
      check: (g) => expect(g.nodes[0].attrs.ratio).toBeUndefined(),
    },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const m = buildModel({ nodes: c.nodes, inputs: [{ name: 'x', type: FLOAT, dims: X }], outputs: [{ name: c.out, type: FLOAT }], opset: c.opset, initializers: c.extraInits });
      const g = importModel(m);
      c.check(g);
      const feeds = { x: { data: xs, dims: X } };
      const ref = await runOrt(m, feeds);
      const got = await runOrt(exportModel(g), feeds);
      expect(got[c.out].dims).toEqual(ref[c.out].dims);
      expect(Array.from(got[c.out].data as Float32Array)).toEqual(Array.from(ref[c.out].data as Float32Array));
      expect(g.info(c.out).shape).toEqual(ref[c.out].dims.map(Number));
    });
});

describe('dynamic dims', () => {
  it('symbols from dim_param carry through and bind from the feeds', () => {
    const g = loadModel(path.join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'));
    const [n, , h, w] = g.inputs[0].shape!;
    expect(typeof n).toBe('string');
    expect(typeof h).toBe('string');
    expect(typeof w).toBe('string');
    expect(g.outputs[0].shape).toEqual([n, 2]);
    const { graph, env } = bindShapes(g, { x: [3, 3, 48, 192] });
    expect(env.get(n as string)).toBe(3);
    expect(graph.info(graph.outputs[0].name).shape).toEqual([3, 2]);
    expect(() => bindShapes(g, { x: [3, 4, 48, 192] })).toThrow(/input 'x' dim 1 must be 3, got 4/);
    expect(() => bindShapes(g, { x: [3, 48, 192] })).toThrow(/input 'x' has rank 4/);
    expect(() => bindShapes(g, { x: [3, 3, 48, -1] })).toThrow(/must be a non-negative integer/);
    expect(() => bindShapes(g, { x: [1, 3, 48, 192], y: [1] })).toThrow(/'y' is not an input of the model/);
    expect(() => bindShapes(g, {})).toThrow(/no shape given for input 'x'/);
  });

  it('one symbol bound to two sizes is an error', () => {
    const m = buildModel({ nodes: [{ opType: 'Add', input: ['a', 'b'], output: ['y'] }], inputs: [{ name: 'a', type: FLOAT, dims: ['n', 4] }, { name: 'b', type: FLOAT, dims: ['n', 4] }], outputs: [{ name: 'y', type: FLOAT }] });
    const g = importModel(m);
    expect(g.info('y').shape).toEqual(['n', 4]);
    expect(() => bindShapes(g, { a: [2, 4], b: [3, 4] })).toThrow(/dim 'n' is 2 in one input and 3 in input 'b'/);
    expect(bindShapes(g, { a: [5, 4], b: [5, 4] }).graph.info('y').shape).toEqual([5, 4]);
  });
});
