// Constant evaluation (what constant folding computes at compile time) against onnxruntime,
// bit for bit: every foldable op on constant inputs, folded by us, equals onnxruntime running the
// unfolded graph.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../lib/graph/builder';
import { type Tensor, makeTensor } from '../lib/graph/tensor';
import { foldConstants } from '../lib/graph/passes';
import { exportModel } from '../lib/onnx/export';
import { session } from './helpers/ort';
import { rng } from './helpers/onnx';

const r = rng(99);
const f = (dims: number[], lo = -4, hi = 4) => makeTensor('float32', dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r.float(lo, hi)));
const i64 = (v: number[], dims = [v.length]) => makeTensor('int64', dims, v.map((x) => BigInt(x)) as unknown as number[]);
const i32 = (v: number[], dims = [v.length]) => makeTensor('int32', dims, v);
const scalar = (dtype: 'float32' | 'int64' | 'int32', v: number) => makeTensor(dtype, [], dtype === 'int64' ? ([BigInt(v)] as unknown as number[]) : [v]);

type Case = [string, (b: GraphBuilder) => string];
const cases: Case[] = [
  ['Add/Sub/Mul/Div float', (b) => b.op('Div', [b.op('Mul', [b.op('Sub', [b.op('Add', [b.constant('a', f([2, 3])), b.constant('c', f([3]))]), b.constant('d', f([2, 1]))]), b.constant('e', f([1, 3]))]), b.constant('g', f([2, 3], 0.5, 3))])],
  ['Div int64 truncates toward zero', (b) => b.op('Div', [b.constant('a', i64([7, -7, 9, -9, 0])), b.constant('c', i64([2, 2, -4, -4, 3]))])],
  ['Mul int32 wraps', (b) => b.op('Mul', [b.constant('a', i32([65536, -3, 2147483647])), b.constant('c', i32([65536, 5, 2]))])],
  ['Sqrt/Abs/Neg/Relu', (b) => b.op('Relu', [b.op('Neg', [b.op('Sqrt', [b.op('Abs', [b.constant('a', f([7]))])])])])],
  ['Max/Min variadic', (b) => b.op('Min', [b.op('Max', [b.constant('a', f([4])), b.constant('c', f([1])), b.constant('d', f([2, 4]))]), b.constant('e', f([4]))])],
  ['Clip', (b) => b.op('Clip', [b.constant('a', f([9])), b.constant('lo', scalar('float32', -1)), b.constant('hi', scalar('float32', 0.5))])],
  ['Equal/Less/Greater/And/Not/Where', (b) => {
    const a = b.constant('a', i64([1, 2, 3, 4]));
    const c = b.constant('c', i64([4, 2, 1, 4]));
    const m = b.op('And', [b.op('Not', [b.op('Less', [a, c])]), b.op('Not', [b.op('Equal', [a, c])])]);
    return b.op('Where', [b.op('Greater', [a, c]), b.op('Cast', [m], { to: 7 }), c]);
  }],
  ['Cast float -> int32 (truncation), int64 -> float, float -> bool', (b) => b.op('Add', [b.op('Cast', [b.op('Cast', [b.constant('a', f([6], -100, 100))], { to: 6 })], { to: 1 }), b.op('Cast', [b.op('Cast', [b.constant('c', f([6]))], { to: 9 })], { to: 1 })])],
  ['Concat/Split/Slice (negative step)', (b) => {
    const [p, q] = b.opN('Split', [b.constant('a', f([4, 6])), b.int64('sp', [2, 4])], { axis: 1 }, { numOutputs: 2 });
    const s = b.op('Slice', [q, b.int64('st', [-1, 3]), b.int64('en', [-100, 0]), b.int64('ax', [0, 1]), b.int64('stp', [-1, -1])]);
    return b.op('Concat', [p, s], { axis: 1 });
  }],
  ['Slice with step -2 and clamped ends', (b) => b.op('Slice', [b.constant('a', f([7, 5])), b.int64('st', [100, 0]), b.int64('en', [-100, 9]), b.int64('ax', [0, 1]), b.int64('stp', [-2, 2])])],
  ['Gather (negative indices, 2-D indices)', (b) => b.op('Gather', [b.constant('a', f([5, 3])), b.constant('i', i64([-1, 0, 2, -5], [2, 2]))], { axis: 0 })],
  ['Reshape/Flatten/Transpose/Squeeze/Unsqueeze', (b) => {
    const t = b.op('Transpose', [b.op('Reshape', [b.constant('a', f([2, 3, 4])), b.int64('shape', [0, -1, 2])])], { perm: [2, 0, 1] });
    return b.op('Flatten', [b.op('Squeeze', [b.op('Unsqueeze', [t, b.int64('u', [1, -1])]), b.int64('s', [1])])], { axis: 2 });
  }],
  ['Expand/Tile', (b) => b.op('Tile', [b.op('Expand', [b.constant('a', f([3, 1])), b.int64('shape', [2, 3, 4])]), b.int64('rep', [1, 2, 1])])],
  ['ConstantOfShape/Range int64 and float', (b) => {
    const k = b.op('ConstantOfShape', [b.int64('shape', [2, 3])], { value: makeTensor('float32', [1], [1.5]) });
    const ri = b.op('Cast', [b.op('Range', [b.constant('s', scalar('int64', -3)), b.constant('l', scalar('int64', 7)), b.constant('d', scalar('int64', 4))])], { to: 1 });
    const rf = b.op('Range', [b.constant('sf', scalar('float32', 0.1)), b.constant('lf', scalar('float32', 0.95)), b.constant('df', scalar('float32', 0.3))]);
    return b.op('Add', [b.op('Add', [k, b.op('Slice', [ri, b.int64('z', [0]), b.int64('t', [3])])]), rf]);
  }],
  ['Identity/Shape of a constant', (b) => b.op('Shape', [b.op('Identity', [b.constant('a', f([2, 5, 1]))])])],
];

describe('constant evaluation equals onnxruntime bit for bit', () => {
  for (const [name, build] of cases)
    it(name, async () => {
      const b = new GraphBuilder('g');
      b.output(build(b), 'y');
      const g = b.build();
      const s = await session(exportModel(g));
      const ref = (await s.run({})).y;
      const nodes = g.nodes.length;
      expect(foldConstants(g)).toBe(nodes);
      const t = g.constants.get('y') as Tensor;
      expect(t.dims).toEqual(ref.dims.map(Number));
      const ours = Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v : v));
      const theirs = Array.from(ref.data as ArrayLike<number | bigint>);
      expect(ours.map(String)).toEqual(theirs.map(String));
    });
});
