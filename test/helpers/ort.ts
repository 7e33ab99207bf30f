// onnxruntime-node runs of whole models (float32 / int64 feeds), 1 thread, all optimisations off
// so that onnxruntime's own fusions do not change what is compared.
import * as ort from 'onnxruntime-node';
import type { Feed } from './models';

export async function session(model: Uint8Array, optimize = false): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: optimize ? 'all' : 'disabled' });
}

export async function run(s: ort.InferenceSession, feeds: Record<string, Feed>): Promise<Record<string, ort.Tensor>> {
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor(v.data instanceof BigInt64Array ? 'int64' : 'float32', v.data, v.dims);
  return s.run(f);
}

/** Largest |a - b| / max(|b|) over the tensor (relative to the reference's scale). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): { rel: number; maxAbs: number; scale: number } {
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { rel: scale > 0 ? maxAbs / scale : maxAbs, maxAbs, scale };
}
