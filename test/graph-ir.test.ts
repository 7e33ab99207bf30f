// The IR itself: the builder (checks as ops are added), structural validation, symbolic dims,
// export of built graphs (run on onnxruntime), and the supported-op table being current.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../lib/graph/builder';
import { Graph, GraphError } from '../lib/graph/ir';
import { addDims, divDims, mulDims, prodDims, substDim } from '../lib/graph/dims';
import { makeTensor } from '../lib/graph/tensor';
import { bindShapes, inferShapes } from '../lib/graph/infer';
import { exportModel } from '../lib/onnx/export';
import { importModel } from '../lib/onnx/import';
import { getOp, listOps } from '../lib/onnx/registry';
import { run, session } from './helpers/ort';

describe('GraphBuilder', () => {
  it('builds, infers and exports a small MLP that onnxruntime runs', async () => {
    const b = new GraphBuilder('mlp');
    const x = b.input('x', 'float32', ['batch', 4]);
    const w = b.constant('w', makeTensor('float32', [3, 4], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, -1]));
    const h = b.op('Gemm', [x, w, b.constant('c', makeTensor('float32', [3], [0.5, -0.5, 0]))], { transB: 1 });
    b.output(b.op('Relu', [h]), 'y');
    const g = b.build();
    expect(g.info('y')).toEqual({ name: 'y', dtype: 'float32', shape: ['batch', 3] });
    expect(g.toString()).toContain('y:float32[batch, 3] = Relu(');
    const r = await run(await session(exportModel(g)), { x: { data: new Float32Array([1, 2, 3, 4, -1, -2, -3, -4]), dims: [2, 4] } });
    expect(Array.from(r.y.data as Float32Array)).toEqual([1.5, 1.5, 0, 0, 0, 1]);
    // Round trip through ONNX bytes gives the same graph structure.
    const back = importModel(exportModel(g));
    expect(back.nodes.map((n) => n.opType)).toEqual(['Gemm', 'Relu']);
    expect(back.info('y').shape).toEqual(['batch', 3]);
  });

  it('checks op names, arity, attribute names and types as ops are added', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 2]);
    expect(() => b.op('Frobnicate', [x])).toThrow(/unknown op Frobnicate/);
    expect(() => b.op('Add', [x])).toThrow(/Add takes 2 inputs, got 1/);
    expect(() => b.op('Relu', [x], { alpha: 1 })).toThrow(/Relu has no attribute 'alpha'/);
    expect(() => b.op('Flatten', [x], { axis: 0.5 })).toThrow(/attribute 'axis' must be of type int/);
    expect(() => b.op('Transpose', [x], { perm: 'yes' })).toThrow(/must be of type ints/);
    expect(() => b.input('x', 'float32', [1])).toThrow(/name 'x' is already used/);
  });

  it('build() fails on missing values, bad shapes and cycles, naming the node', () => {
    const b1 = new GraphBuilder();
    const x1 = b1.input('x', 'float32', [2, 3]);
    b1.output(b1.op('Add', [x1, 'ghost'], {}, { name: 'adder' }));
    expect(() => b1.build()).toThrow(/node adder \(Add\) reads 'ghost'/);
    const b2 = new GraphBuilder();
    const x2 = b2.input('x', 'float32', [2, 3]);
    b2.output(b2.op('MatMul', [x2, x2], {}, { name: 'mm' }));
    expect(() => b2.build()).toThrow(/node mm \(MatMul\): inner dimensions differ: \[2, 3\] x \[2, 3\]/);
    const b3 = new GraphBuilder();
    const x3 = b3.input('x', 'float32', [2]);
    b3.op('Add', [x3, 'b'], {}, { outputs: ['a'] });
    b3.op('Relu', ['a'], {}, { outputs: ['b'] });
    b3.output('b');
    expect(() => b3.build()).toThrow(/graph has a cycle|which no node, input or initializer defines/);
    const b4 = new GraphBuilder();
    const x4 = b4.input('x', 'float32', [1, 3, 4, 4]);
    b4.output(b4.op('Conv', [x4, b4.constant('w', makeTensor('float32', [2, 3, 5, 5]))], {}, { name: 'c' }));
    expect(() => b4.build()).toThrow(/node c \(Conv\): kernel extent 5 is larger than the padded input 4/);
  });

  it('validate() catches double definitions and undefined outputs', () => {
    const g = new Graph('g');
    g.inputs.push({ name: 'x', dtype: 'float32', shape: [1] });
    g.nodes.push({ name: 'n', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['x'], attrs: {} });
    expect(() => g.validate()).toThrow(/value 'x' is defined twice/);
    g.nodes = [];
    g.outputs.push({ name: 'nowhere' });
    expect(() => g.validate()).toThrow(/graph output 'nowhere' is not produced/);
  });

  it('liveRanges() gives definition and last use in node order', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2]);
    const a = b.op('Relu', [x]);
    const c = b.op('Neg', [a]);
    const d = b.op('Add', [a, c]);
    b.output(b.op('Abs', [d]), 'y');
    const r = b.build().liveRanges();
    expect(r.get('x')).toEqual({ def: -1, lastUse: 0 });
    expect(r.get(a)).toEqual({ def: 0, lastUse: 2 });
    expect(r.get(c)).toEqual({ def: 1, lastUse: 2 });
    expect(r.get(d)).toEqual({ def: 2, lastUse: 3 });
    expect(r.get('y')).toEqual({ def: 3, lastUse: 4 });
  });

  it('clone() is deep for structure', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2]);
    b.output(b.op('Relu', [x]));
    const g = b.build();
    const c = g.clone();
    c.nodes[0].inputs[0] = 'other';
    c.inputs[0].shape![0] = 7;
    expect(g.nodes[0].inputs[0]).toBe('x');
    expect(g.inputs[0].shape).toEqual([2]);
  });
});

describe('symbolic dims', () => {
  it('products simplify, exact quotients cancel, sums stay opaque and substitute', () => {
    expect(mulDims('batch', 'seq')).toBe('batch*seq');
    expect(mulDims(2, mulDims('seq', 'batch'))).toBe('2*batch*seq');
    expect(divDims(prodDims(['batch', 'seq', 768]), prodDims(['batch', 'seq', 12]))).toBe(64);
    expect(divDims('batch', 'seq')).toBeUndefined();
    expect(divDims(10, 3)).toBeUndefined();
    const e = addDims(mulDims('h', 2), 1);
    expect(e).toBe('((2*h)+1)');
    expect(substDim(mulDims(e, 'w'), new Map([['h', 5], ['w', 3]]))).toBe(33);
  });

  it('Reshape with -1 over symbolic dims (the BERT head split) infers the last dim exactly', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['batch', 'seq', 768]);
    const s = b.op('Shape', [x]);
    const bs = b.op('Slice', [s, b.int64('a', [0]), b.int64('z', [2])]);
    const tgt = b.op('Concat', [bs, b.int64('heads', [12, -1])], { axis: 0 });
    b.output(b.op('Reshape', [x, tgt]), 'y');
    const g = b.build();
    expect(g.info('y').shape).toEqual(['batch', 'seq', 12, 64]);
    expect(bindShapes(g, { x: [2, 5, 768] }).graph.info('y').shape).toEqual([2, 5, 12, 64]);
  });

  it('reconciles declared output dims with inferred ones, and refuses contradictions', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['n', 4]);
    b.output(b.op('Relu', [x]), 'y');
    const g = b.build();
    g.outputs[0].shape = ['n', 5];
    expect(() => inferShapes(g)).toThrow(/graph output 'y' is declared with shape \[n, 5\] but computed as \[n, 4\]/);
  });
});

describe('registry and docs/OPS.md', () => {
  it('every op the issue lists is registered', () => {
    const issue = [
      'Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Exp', 'Log', 'Erf', 'Relu', 'Clip', 'LeakyRelu',
      'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Max', 'Min', 'Neg', 'Abs', 'Equal', 'Less', 'Greater', 'Where', 'Not', 'And', 'MaxPool',
      'AveragePool', 'GlobalAveragePool', 'ReduceMean', 'ReduceMax', 'ReduceSum', 'Softmax', 'LayerNormalization', 'InstanceNormalization',
      'Resize', 'Concat', 'Split', 'Slice', 'Gather', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Shape', 'Cast', 'Pad', 'Expand',
      'Tile', 'ConstantOfShape', 'Range',
    ];
    expect(issue.filter((op) => !getOp(op))).toEqual([]);
    expect(listOps().length).toBeGreaterThanOrEqual(issue.length);
  });

  it('docs/OPS.md is generated from the current registry', () => {
    const root = path.join(__dirname, '..');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
    expect(() => execFileSync('node', ['scripts/gen-op-table.js', '--check'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  });

  it('GraphError is what structural failures throw', () => {
    expect(new GraphError('x')).toBeInstanceOf(Error);
  });
});
