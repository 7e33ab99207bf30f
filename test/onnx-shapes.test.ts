// Shape and type inference checked against real executions:
//  1. ONNX's backend node tests (Debian libonnx-testdata): every model that imports gets its
//     output dims and types inferred from the test inputs' dims and compared with the expected outputs;
//     every model that does not import must fail for a documented reason.
//  2. Real models (PaddleOCR, torchvision, BERT-style, Fashion-MNIST CNN): every intermediate
//     value is made a model output and run on onnxruntime-node; the dims onnxruntime produces must
//     equal our inferred dims for the same feeds, and the symbolic (unbound) inference must agree
//     with them wherever it claims a number.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importModel, loadModel } from '../lib/onnx/import';
import { exportModel } from '../lib/onnx/export';
import { allConcrete, bindShapes, shapesAgree } from '../lib/graph/infer';
import { ModelProto, TensorProto } from '../lib/onnx/proto';
import { listOps } from '../lib/onnx/registry';
import { dtypeFromOnnx } from '../lib/graph/tensor';
import { REAL_MODELS } from './helpers/models';
import { run, session } from './helpers/ort';

const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';

// Why a backend node test may not import. Anything else is a failure.
const EXCLUSIONS: [RegExp, string][] = [
  [/^unsupported op (\S+) in node/, 'op not in the registry (not claimed)'],
  [/^opset [1-8] is not supported/, 'model written for opset < 9 (the issue covers 9 to 21)'],
  [/imports no default-domain/, 'training-only domain (ai.onnx.preview.training)'],
  [/only tensor types are supported/, 'sequence / optional types (no tensor-only engine supports them)'],
  [/element type STRING is not supported/, 'string tensors'],
  [/training_mode must be a constant false|training outputs \(running mean\/var\)/, 'training-mode Dropout / BatchNormalization'],
  [/MaxPool\): input 0 .* must be a float tensor, got uint8/, 'uint8 MaxPool: the float engine has float pooling only (int8 pooling comes with the int8 op set)'],
  [/Resize\): mode 'cubic' is not supported/, 'cubic Resize (the issue asks for nearest and linear)'],
];
// Test data that contradicts the model's own declared input shape ('like' is declared [3, 4],
// the test feeds [1]); onnxruntime rejects these feeds as well.
const BAD_DATA = new Set(['test_castlike_BFLOAT16_to_FLOAT_expanded', 'test_castlike_FLOAT_to_BFLOAT16_expanded']);

// Ops whose ONNX definition did not change between the opset a node test was written for (1-8)
// and opset 9.
const SAME_IN_9 = new Set(['And', 'Not', 'GlobalAveragePool', 'InstanceNormalization']);

function retarget(file: string): Uint8Array | undefined {
  const m = ModelProto.decode(fs.readFileSync(file)) as unknown as { opsetImport: { domain?: string; version: unknown }[]; graph: { node: { opType: string }[] } };
  const def = m.opsetImport.find((o) => !o.domain);
  if (!def || Number(def.version) >= 9 || !m.graph.node.every((n) => SAME_IN_9.has(n.opType))) return undefined;
  def.version = 9;
  return ModelProto.encode(m as never).finish();
}

function pbType(file: string): number {
  return (TensorProto.decode(fs.readFileSync(file)) as unknown as { dataType: number }).dataType;
}

function pbDims(file: string): number[] {
  return (TensorProto.decode(fs.readFileSync(file)) as unknown as { dims: unknown[] }).dims.map(Number);
}

describe('ONNX backend node tests: inferred output dims equal the expected outputs', () => {
  it('every importable test matches; every other one is excluded for a documented reason', () => {
    expect(fs.existsSync(NODE_TESTS), `${NODE_TESTS} is missing: apt-get install libonnx-testdata`).toBe(true);
    const tests = fs.readdirSync(NODE_TESTS).sort();
    let imported = 0;
    let matched = 0;
    const excluded = new Map<string, string[]>();
    const failures: string[] = [];
    const covered = new Set<string>();
    const retargeted: string[] = [];
    for (const t of tests) {
      let g;
      try {
        g = loadModel(path.join(NODE_TESTS, t, 'model.onnx'));
      } catch (e) {
        // Single-op tests written for opset 1-8 of ops whose definition is the same in opset 9
        // are checked at opset 9 (otherwise these ops would have no node test at all).
        const bytes = retarget(path.join(NODE_TESTS, t, 'model.onnx'));
        if (bytes) {
          g = importModel(bytes);
          retargeted.push(t);
        }
      }
      if (!g) try {
        g = loadModel(path.join(NODE_TESTS, t, 'model.onnx'));
      } catch (e) {
        const msg = (e as Error).message;
        const hit = EXCLUSIONS.find(([re]) => re.test(msg));
        if (!hit) failures.push(`${t}: import failed: ${msg}`);
        else {
          const key = hit[1] + (hit[1].startsWith('op not') ? `: ${msg.match(hit[0])![1]}` : '');
          excluded.set(key, [...(excluded.get(key) ?? []), t]);
        }
        continue;
      }
      imported++;
      if (BAD_DATA.has(t)) continue;
      for (const n of g.nodes) covered.add(n.opType);
      for (const ds of fs.readdirSync(path.join(NODE_TESTS, t)).filter((d) => d.startsWith('test_data_set_'))) {
        const dir = path.join(NODE_TESTS, t, ds);
        const files = fs.readdirSync(dir);
        const idx = (p: string) => files.filter((f) => f.startsWith(p)).sort((a, b) => parseInt(a.slice(p.length)) - parseInt(b.slice(p.length)));
        const ins = idx('input_');
        const outs = idx('output_');
        const feeds: Record<string, number[]> = {};
        g.inputs.forEach((v, i) => (feeds[v.name] = pbDims(path.join(dir, ins[i]))));
        try {
          const { graph } = bindShapes(g, feeds);
          graph.outputs.forEach((o, i) => {
            const want = pbDims(path.join(dir, outs[i]));
            const got = graph.info(o.name).shape;
            if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`${t}/${ds}: output ${o.name} inferred [${got}] expected [${want}]`);
            const wantType = dtypeFromOnnx(pbType(path.join(dir, outs[i])));
            // onnx 1.12's test generator stored bfloat16 expected outputs as uint16 bits.
            const bf16AsU16 = wantType === 'uint16' && graph.info(o.name).dtype === 'bfloat16';
            if (graph.info(o.name).dtype !== wantType && !bf16AsU16) failures.push(`${t}/${ds}: output ${o.name} inferred ${graph.info(o.name).dtype}, expected ${wantType}`);
          });
          if (!failures.some((f) => f.startsWith(`${t}/`))) matched++;
        } catch (e) {
          failures.push(`${t}/${ds}: ${(e as Error).message}`);
        }
      }
    }
    const summary = [...excluded].map(([k, v]) => `  ${v.length} ${k}`).sort();
    console.log(`node tests: ${tests.length} models, ${imported} imported (${retargeted.length} retargeted to opset 9: ${retargeted.join(' ')}), ${matched} matched, ${BAD_DATA.size} with contradictory test data\nexcluded:\n${summary.join('\n')}`);
    expect(failures).toEqual([]);
    expect(imported).toBeGreaterThanOrEqual(350);
    // Every registered standard op is exercised by at least one node test, except those the
    // node tests of this libonnx-testdata version do not contain in opset >= 9.
    const missing = listOps()
      .filter((s) => s.domain === '' && !covered.has(s.opType))
      .map((s) => s.opType);
    expect(missing.sort()).toEqual(['Constant', 'Upsample']); // Constant is folded at import; Upsample is imported as Resize
  });
});

describe('real models: every intermediate dim equals onnxruntime\'s', () => {
  for (const m of REAL_MODELS)
    it(m.name, async () => {
      const g = importModel(m.bytes(), { baseDir: m.file ? path.dirname(m.file) : undefined });
      // All node outputs become model outputs, so onnxruntime reports every dim.
      const probe = g.clone();
      probe.outputs = [];
      for (const n of probe.nodes) for (const o of n.outputs) if (o) probe.outputs.push({ name: o });
      const s = await session(exportModel(probe, { shapes: false }));
      let values = 0;
      for (const feeds of m.feeds) {
        const dims = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.dims]));
        const { graph, env } = bindShapes(g, dims);
        expect(allConcrete(graph)).toBe(true);
        const res = await run(s, feeds);
        for (const o of probe.outputs) {
          const want = res[o.name].dims.map(Number);
          expect(graph.info(o.name).shape, `${o.name} (bound)`).toEqual(want);
          expect(shapesAgree(g.info(o.name).shape, want, env), `${o.name} symbolic ${JSON.stringify(g.info(o.name).shape)} vs ${want}`).toBe(true);
          const t = res[o.name].type;
          expect(graph.info(o.name).dtype, o.name).toBe(t === 'float32' ? 'float32' : t);
          values++;
        }
      }
      expect(values).toBeGreaterThan(0);
    });
});
