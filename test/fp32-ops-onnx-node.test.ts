// ONNX's own backend node tests (libonnx-testdata, ONNX 1.12: opsets up to 17) for every float32 /
// data-movement op the engine registers: each single-op test runs as a registered qint8 op on
// every ISA this CPU has and must reproduce the expected outputs. Integer / bool outputs and the
// ops that only move or select data must match exactly; float results of arithmetic are held to
// ONNX's own backend-test tolerance (rtol 1e-3, atol 1e-7: the expected values come from numpy in
// float64 or float32, whose transcendental functions and summation orders differ from ours).
// Excluded cases are listed below with the reason.
import { describe, expect, it } from 'vitest';
import { registeredOps } from '../lib/engine/ops';
import { cpuInfo } from '../lib';
import { NODE_DIR, type NodeTest, listNodeTests, loadNodeTest, runNodeTest } from './helpers/onnx-node-tests';

// Ops of other families registered in the same registry (tested by their own suites).
const OTHER_FAMILIES = new Set(['QuantizeLinear', 'DequantizeLinear']);

// Results that must be bit-exact: data movement, selection, comparisons, logic, and IEEE
// arithmetic that numpy computes with the same single rounding.
const EXACT_OPS = new Set([
  'Abs', 'Add', 'And', 'ArgMax', 'ArgMin', 'Cast', 'CastLike', 'Ceil', 'Clip', 'Concat', 'ConstantOfShape', 'DepthToSpace',
  'Div', 'Dropout', 'Equal', 'Expand', 'Flatten', 'Floor', 'Gather', 'GatherElements', 'Greater', 'GreaterOrEqual',
  'Identity', 'LeakyRelu', 'Less', 'LessOrEqual', 'Max', 'Min', 'Mul', 'Neg', 'Not', 'Or', 'PRelu', 'Pad', 'Range',
  'Reciprocal', 'ReduceMax', 'ReduceMin', 'Relu', 'Reshape', 'Round', 'Shape', 'Sign', 'Size', 'Slice', 'SpaceToDepth',
  'Split', 'Sqrt', 'Squeeze', 'Sub', 'ThresholdedRelu', 'Tile', 'Transpose', 'Unsqueeze', 'Where', 'Xor',
]);

// Test name (or prefix ending in '*') -> why it is not run. Everything else that targets a
// registered op must pass.
const EXCLUDED: Record<string, string> = {
  'test_cast_FLOAT_to_FLOAT16': 'float16 is not an engine element type',
  'test_cast_FLOAT16_to_*': 'float16 is not an engine element type',
  'test_cast_*BFLOAT16*': 'bfloat16 is not an engine element type',
  'test_cast_*STRING*': 'strings are not an engine element type',
  'test_castlike_*FLOAT16*': 'float16 is not an engine element type',
  'test_castlike_*BFLOAT16*': 'bfloat16 is not an engine element type',
  'test_castlike_*STRING*': 'strings are not an engine element type',
  'test_resize_*cubic*': 'cubic interpolation is not implemented (nearest and linear are)',
  'test_resize_downsample_scales_linear_align_corners':
    'ONNX 1.12 computes align_corners with the fractional output length scale * length (2.4); the spec and onnxruntime use the output size (2): we give onnxruntime\'s [1, 4]',
  'test_batchnorm_*training_mode': 'training-mode BatchNormalization (batch statistics, running-mean outputs) is not an inference op',
  'test_training_dropout': 'training-mode Dropout with ratio > 0 is random (inference only; rejected with an error)',
  'test_training_dropout_default': 'training-mode Dropout with ratio > 0 is random (inference only; rejected with an error)',
  'test_training_dropout_default_mask': 'training-mode Dropout with ratio > 0 is random (inference only; rejected with an error)',
  'test_training_dropout_mask': 'training-mode Dropout with ratio > 0 is random (inference only; rejected with an error)',
};

function excludedReason(test: NodeTest): string | undefined {
  const name = test.name;
  for (const set of test.sets)
    for (const t of [...Object.values(set.inputs), ...set.outputs])
      if (!t.tensor) return t.onnxType === -1 ? 'sequence / optional values are not engine tensors' : `element type ${t.onnxType} is not an engine element type`;
  for (const [k, v] of Object.entries(EXCLUDED)) {
    if (k === name) return v;
    if (k.includes('*')) {
      const re = new RegExp('^' + k.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
      if (re.test(name)) return v;
    }
  }
  return undefined;
}

function isaList(): ('scalar' | 'avx2' | 'avx512vnni')[] {
  const supported = cpuInfo().supportedIsas as string[];
  return (['scalar', 'avx2', 'avx512vnni'] as const).filter((i) => supported.includes(i));
}

function valuesOf(a: ArrayLike<number | bigint>): number[] {
  return Array.from(a as ArrayLike<number>, (v) => Number(v));
}

/** Compares one output; returns an error message or undefined. */
function compare(test: NodeTest, got: ArrayLike<number | bigint>, want: ArrayLike<number | bigint>, exact: boolean): string | undefined {
  if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
  const g = valuesOf(got);
  const w = valuesOf(want);
  for (let i = 0; i < w.length; i++) {
    const a = g[i];
    const b = w[i];
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (exact) {
      if (!Object.is(a, b) && !(a === 0 && b === 0)) return `index ${i}: got ${a}, expected ${b} (exact)`;
    } else if (!(Math.abs(a - b) <= 1e-7 + 1e-3 * Math.abs(b)) && a !== b) {
      return `index ${i}: got ${a}, expected ${b} (rtol 1e-3, atol 1e-7)`;
    }
  }
  return undefined;
}

const available = listNodeTests();
const registered = new Set(registeredOps());
const tests = available
  .map((n) => loadNodeTest(n, (op, domain) => domain === '' && registered.has(op) && !OTHER_FAMILIES.has(op)))
  .filter((t): t is NodeTest => t !== undefined);

describe('ONNX backend node tests (libonnx-testdata)', () => {
  it('finds the test data', () => {
    if (process.env.CI === 'true') expect(available.length, `no tests under ${NODE_DIR}`).toBeGreaterThan(0);
    if (available.length === 0) console.warn(`ONNX backend node tests not found under ${NODE_DIR}; install libonnx-testdata`);
  });

  const singles = tests.filter((t) => t.nodeCount === 1);
  const expanded = tests.filter((t) => t.nodeCount !== 1);
  const run = singles.filter((t) => !excludedReason(t));
  const skipped = singles.filter((t) => excludedReason(t));

  it.each(run.map((t) => [t.name, t] as const))('%s', (_name, test) => {
    const exact = EXACT_OPS.has(test.opType);
    for (const isa of isaList())
      for (let k = 0; k < test.sets.length; k++) {
        const outs = runNodeTest(test, k, isa);
        test.sets[k].outputs.forEach((want, j) => {
          const isFloat = want.onnxType === 1 || want.onnxType === 11;
          const err = compare(test, outs[j].data, want.tensor!.data, exact || !isFloat);
          expect(err, `${test.name} [${isa}] data set ${k} output ${j}`).toBeUndefined();
        });
      }
  });

  it('reports what ran and what was excluded', () => {
    const byOp = new Map<string, number>();
    for (const t of run) byOp.set(t.opType, (byOp.get(t.opType) ?? 0) + 1);
    console.log(
      `ONNX node tests: ${run.length} single-op tests run over ${byOp.size} ops on ${isaList().join(', ')}; ` +
        `${skipped.length} excluded; ${expanded.length} expanded (multi-node function bodies) not run`,
    );
    for (const t of skipped) console.log(`  excluded ${t.name}: ${excludedReason(t)}`);
    expect(run.length).toBeGreaterThan(0);
  });
});
