// Real models end to end on the float engine: every REAL_MODELS entry (test/helpers/models.ts),
// every feed, qint8's InferenceSession against onnxruntime-node fp32 (its default graph
// optimisations, 1 thread), on the default ISA and on avx2 and scalar where this CPU has them.
//
// Measure: per output tensor, err = max_i |qint8_i - ort_i| / max(max_i |ort_i|, floor), and the
// bound is err <= 1e-4 (the issue's "1e-4 relative"). Why relative to the tensor's largest
// magnitude and not elementwise: the two engines sum in different orders and onnxruntime uses FMA
// where we use separate steps (and vice versa), so every element carries a rounding error of the
// order of u * sum|terms| of its dot products, which is set by the tensor's scale, not by the
// element's own value: an element that cancels to near zero has a large elementwise relative error
// on either engine. floor is 0 except for probability outputs (produced by Sigmoid or Softmax),
// where it is 1, i.e. the bound is absolute 1e-4 in probability units: onnxruntime's logistic is
// accurate to about 1.7e-7 absolute, not relative (docs/ARCHITECTURE.md, Float32 ops), and on
// these random inputs the PaddleOCR detector's map is 1e-8..4e-7 everywhere, where onnxruntime's
// value is up to 4.7x off the exact sigmoid of its own logits (measured) while ours is within
// 1e-7 relative. So a relative comparison there measures onnxruntime's approximation. To keep the
// information the saturated map loses, the input of such a final Sigmoid / Softmax (the logits)
// is fetched from both engines as an extra output and held to the relative bound (floor 0).
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor, cpuInfo } from '../lib';
import type { IsaName } from '../lib/runtime';
import type { Graph } from '../lib/graph/ir';
import { importModel } from '../lib/onnx/import';
import { exportModel } from '../lib/onnx/export';
import { type Feed, REAL_MODELS, type RealModel } from './helpers/models';

const BOUND = 1e-4;
const PROBABILITY_OPS = new Set(['Sigmoid', 'Softmax']);

/** The model as a Graph with the logits of final Sigmoid / Softmax outputs added as outputs. */
function withProbes(m: RealModel): { graph: Graph; floors: Map<string, number>; sigmoids: Map<string, string> } {
  const g = importModel(m.bytes(), { baseDir: m.file ? path.dirname(m.file) : undefined });
  const prod = g.producers();
  const floors = new Map<string, number>();
  const sigmoids = new Map<string, string>(); // sigmoid output -> its logits
  for (const o of [...g.outputs]) {
    const p = prod.get(o.name);
    floors.set(o.name, p && PROBABILITY_OPS.has(p.opType) ? 1 : 0);
    const logits = p && PROBABILITY_OPS.has(p.opType) ? p.inputs[0] : undefined;
    if (logits && !g.constants.has(logits) && !g.isOutput(logits)) {
      g.outputs.push({ name: logits });
      floors.set(logits, 0);
    }
    if (logits && p?.opType === 'Sigmoid') sigmoids.set(o.name, logits);
  }
  return { graph: g, floors, sigmoids };
}

function ortFeeds(feeds: Record<string, Feed>): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor(v.data instanceof BigInt64Array ? 'int64' : 'float32', v.data, v.dims);
  return f;
}
function qFeeds(feeds: Record<string, Feed>): Record<string, Tensor> {
  const f: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new Tensor(v.data instanceof BigInt64Array ? 'int64' : 'float32', v.data, v.dims);
  return f;
}

function err(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    const x = Math.abs(a[i] - b[i]);
    if (!(x <= d)) d = x; // NaN in either makes d NaN
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / Math.max(s, floor, Number.MIN_VALUE);
}

const supported = cpuInfo().supportedIsas;
const ISAS: (IsaName | undefined)[] = [undefined, ...(['avx2', 'scalar'] as IsaName[]).filter((i) => supported.includes(i) && i !== cpuInfo().activeIsa)];
// Models too slow for the scalar tier inside the time budget run their first feed only there.
const SCALAR_FIRST_FEED_ONLY = new Set(['resnet18', 'mobilenet_v2', 'paddleocr-rec']);

describe('real models: qint8 fp32 vs onnxruntime-node fp32 within 1e-4 relative', () => {
  for (const m of REAL_MODELS) {
    let ref: Promise<{ graph: Graph; floors: Map<string, number>; sigmoids: Map<string, string>; outs: Record<string, ort.Tensor>[] }> | undefined;
    const reference = () =>
      (ref ??= (async () => {
        const { graph, floors, sigmoids } = withProbes(m);
        const s = await ort.InferenceSession.create(exportModel(graph, { shapes: false }), { intraOpNumThreads: 1, interOpNumThreads: 1 });
        const outs = [];
        for (const f of m.feeds) outs.push(await s.run(ortFeeds(f)));
        await s.release();
        return { graph, floors, sigmoids, outs };
      })());
    for (const isa of ISAS)
      it(`${m.name} on ${isa ?? `the default ISA (${cpuInfo().activeIsa})`}`, async () => {
        const { graph, floors, sigmoids, outs } = await reference();
        const s = await InferenceSession.create(graph, isa ? { isa } : {});
        expect([...s.outputNames].sort()).toEqual([...floors.keys()].sort());
        const feeds = isa === 'scalar' && SCALAR_FIRST_FEED_ONLY.has(m.name) ? m.feeds.slice(0, 1) : m.feeds;
        const report: string[] = [];
        for (const [i, f] of feeds.entries()) {
          const got = await s.run(qFeeds(f));
          for (const name of s.outputNames) {
            const want = outs[i][name];
            expect(got[name].dims).toEqual([...want.dims]);
            const e = err(got[name].data as Float32Array, want.data as Float32Array, floors.get(name)!);
            report.push(`${name}[feed ${i}] ${e.toExponential(2)}`);
            expect(e, `${m.name} ${name} feed ${i}`).toBeLessThanOrEqual(BOUND);
          }
          // Our final Sigmoid is accurate relative to the exact function of our own logits (the
          // part of the detector's map the absolute floor above does not check).
          for (const [y, logits] of sigmoids) {
            const l = got[logits].data as Float32Array;
            const p = got[y].data as Float32Array;
            let worst = 0;
            for (let k = 0; k < l.length; k++) {
              const exact = 1 / (1 + Math.exp(-l[k]));
              worst = Math.max(worst, Math.abs(p[k] - exact) / exact);
            }
            expect(worst, `${m.name} ${y} vs exact sigmoid`).toBeLessThan(1e-6); // 2.1 ulp documented
          }
        }
        s.release();
        if (process.env.QINT8_TEST_VERBOSE) console.log(`${m.name} ${isa ?? 'default'}: ${report.join(', ')}`);
        expect(report.length).toBeGreaterThan(0);
      });
  }
});
