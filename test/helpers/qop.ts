// Single-op QOperator models: run the same model bytes on onnxruntime-node and on qint8's
// InferenceSession (every ISA of this CPU) and compare every output bit for bit.
import { expect } from 'vitest';
import { InferenceSession, type LayoutReport, Tensor, cpuInfo, optimize, planLayout } from '../../lib';
import { exportModel } from '../../lib/onnx/export';
import { importModel } from '../../lib/onnx/import';
import { registeredOps } from '../../lib/engine/ops';
import { type TypedData, bytesOf, firstDiff, runOrt } from './onnx';

export const isas = cpuInfo().supportedIsas;

/**
 * The NCHW single-op models of the spatial ops need the layout pass's Transpose / Reshape, which
 * are float-engine data-movement ops (merged from the float-op branch); until they are
 * registered those tests are skipped with this reason.
 */
export const hasLayoutOps = (() => {
  const r = registeredOps();
  return r.includes('Transpose') && r.includes('Reshape');
})();
export const hasFloatOps = (() => {
  const r = registeredOps();
  return ['Transpose', 'Reshape', 'Flatten', 'Cast', 'Mul', 'Add', 'Relu', 'qint8::MaxPoolNhwc', 'qint8::GlobalAveragePoolNhwc'].every((o) => r.includes(o));
})();

const typeOf = (d: TypedData) =>
  d instanceof Float32Array ? 'float32' : d instanceof Uint8Array ? 'uint8' : d instanceof Int8Array ? 'int8' : d instanceof Int32Array ? 'int32' : 'int64';

export type Feeds = Record<string, { data: TypedData; dims: number[] }>;

export interface CompareResult {
  /** Outputs of onnxruntime by name. */
  want: Record<string, { data: TypedData; dims: readonly number[]; type: string }>;
}

/**
 * Runs `model` on onnxruntime and on qint8 (each ISA), asserts identical outputs (dims, type,
 * bytes); `lsb` allows a documented bound instead for the named integer outputs.
 */
export async function compareWithOrt(model: Uint8Array, feeds: Feeds, lsb: Record<string, number> = {}): Promise<CompareResult> {
  const want = await runOrt(model, feeds);
  const f: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new Tensor(typeOf(v.data) as 'float32', v.data as Float32Array, v.dims);
  for (const isa of isas) {
    const s = await InferenceSession.create(model, { isa });
    const got = await s.run(f);
    for (const [k, w] of Object.entries(want)) {
      expect(got[k].dims, `${k} dims (${isa})`).toEqual(w.dims);
      expect(got[k].type, `${k} type (${isa})`).toBe(w.type);
      const a = got[k].data as TypedData;
      const b = w.data as TypedData;
      if (lsb[k] !== undefined) {
        let worst = 0;
        for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(Number(a[i]) - Number(b[i])));
        expect(worst, `${k} (${isa}): largest difference in LSB`).toBeLessThanOrEqual(lsb[k]);
      } else {
        const i = firstDiff(bytesOf(a), bytesOf(b));
        expect(i, `${k} (${isa}): first differing byte ${i}`).toBe(-1);
      }
    }
    await s.release();
  }
  const out: CompareResult['want'] = {};
  for (const [k, w] of Object.entries(want)) out[k] = { data: w.data as TypedData, dims: w.dims, type: w.type };
  return { want: out };
}

/**
 * The layout pass's plan for `model`, exported (channels-last twins as Transpose -> Op ->
 * Transpose, layout-agnostic ops as planned) and run on onnxruntime, must give onnxruntime's
 * outputs for the original model bit for bit. Returns the layout report.
 */
export async function checkPlannedOnOrt(model: Uint8Array, feeds: Feeds): Promise<LayoutReport> {
  const want = await runOrt(model, feeds);
  const g = importModel(model);
  // The HardSwish recognition replaces x * Clip(x + 3, 0, 6) / 6 by one HardSwish, which rounds
  // differently from the decomposed form; this check is about the layout plan, so keep the form.
  optimize(g, { fuseHardSwish: false });
  const rep = planLayout(g);
  const got = await runOrt(exportModel(g), feeds);
  for (const [k, w] of Object.entries(want)) {
    expect(got[k].dims, k).toEqual(w.dims);
    expect(firstDiff(bytesOf(got[k].data as TypedData), bytesOf(w.data as TypedData)), `${k}: planned graph on onnxruntime`).toBe(-1);
  }
  return rep;
}
