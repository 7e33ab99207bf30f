// Helpers for the float32 op tests: layouts, random data, and the tolerance used against
// onnxruntime.
//
// Why a tolerance: qint8 and onnxruntime add the same products in different orders (blocking,
// vector lanes) and with or without fused multiply-adds, so float32 results differ in the last
// bits. For s = sum_{k<K} a_k b_k and S = sum |a_k b_k|, u = 2^-24:
//  - worst case (Higham, "Accuracy and Stability of Numerical Algorithms", recursive summation):
//    any float32 evaluation, any order, with or without FMA, is within gamma_K * S of the exact
//    sum, gamma_K = K u / (1 - K u); two evaluations differ by at most 2 gamma_K S. Valid always,
//    but at K = 4608 it exceeds the size of one product term, so a dropped tap would pass.
//  - probabilistic (Higham & Mary, "A new approach to probabilistic rounding error analysis",
//    SIAM J. Sci. Comput. 2019): with rounding errors modelled as independent and mean-zero, the
//    error is within lambda sqrt(K) u S with probability >= 1 - 2K exp(-lambda^2 / 2). lambda = 8:
//    failure probability below 2K e^-32 (1e-10 at K = 4608) per element.
// The tolerance takes the smaller of the two for the pre-activation sum (K + 1 terms with the
// bias): 2 min(gamma_{K+1}, lambda sqrt(K+1) u) S. Measured differences stay below 3 u S (at
// K = 576 and 4608), 100x inside it, while a wrong tap, index or activation moves an output by
// O(|a_k b_k|). The fused activation is Lipschitz with constant L (1 for Relu / Clip,
// max(1, |alpha|) for LeakyRelu, |alpha| for HardSigmoid, 1.5 for HardSwish = x * hardsigmoid(x)
// on [-3, 3]) and rounds once or twice itself, so
//     |qint8 - ort| <= L * 2 min(gamma_{K+1}, 8 sqrt(K+1) u) * S + 4u * (|y| + c)
// with c = 1 for HardSigmoid / HardSwish (their internal constants are O(1)) and 0 otherwise.
// S is computed by onnxruntime itself on |inputs| (the same op with absolute values), so the test
// does not re-implement the op.
import { rng } from './onnx';

export const U = 2 ** -24;

export function gamma(k: number): number {
  return (k * U) / (1 - k * U);
}

/** The relative bound of the comment above for one evaluation of a K-term sum. */
export function sumBound(k: number): number {
  return Math.min(gamma(k), 8 * Math.sqrt(k) * U);
}

export type ActName = 'Relu' | 'Clip' | 'LeakyRelu' | 'HardSigmoid' | 'HardSwish';

export function lipschitz(act: ActName | undefined, params: number[] = []): { L: number; c: number } {
  switch (act) {
    case undefined:
    case 'Relu':
    case 'Clip':
      return { L: 1, c: 0 };
    case 'LeakyRelu':
      return { L: Math.max(1, Math.abs(params[0])), c: 0 };
    case 'HardSigmoid':
      return { L: Math.abs(params[0]), c: 1 };
    case 'HardSwish':
      return { L: 1.5, c: 1 };
  }
}

/**
 * Index and message of the first element outside the tolerance above, or null.
 * k: number of products per output; absSum: S per output element (same layout as got/want).
 */
export function checkClose(
  got: Float32Array,
  want: Float32Array,
  absSum: Float32Array,
  k: number,
  act?: ActName,
  params?: number[],
): string | null {
  if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
  const { L, c } = lipschitz(act, params);
  const g = 2 * sumBound(k + 1);
  for (let i = 0; i < got.length; i++) {
    const a = got[i], b = want[i];
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) && Number.isNaN(b)) continue;
      return `element ${i}: got ${a}, onnxruntime ${b}`;
    }
    if (a === b) continue;
    const tol = L * g * absSum[i] + 4 * U * (Math.max(Math.abs(a), Math.abs(b)) + c) + 1e-37;
    if (!(Math.abs(a - b) <= tol)) return `element ${i}: got ${a}, onnxruntime ${b}, |diff| ${Math.abs(a - b)} > tolerance ${tol}`;
  }
  return null;
}

export function randomF32(n: number, r: ReturnType<typeof rng>, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.float(lo, hi);
  return a;
}

export function abs(a: Float32Array): Float32Array {
  return a.map(Math.abs);
}

/** [n, h, w, c] -> [n, c, h, w]. */
export function nhwcToNchw(a: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++)
    out[((b * c + ch) * h + y) * w + x] = a[((b * h + y) * w + x) * c + ch];
  return out;
}

/** [n, c, h, w] -> [n, h, w, c]. */
export function nchwToNhwc(a: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
    out[((b * h + y) * w + x) * c + ch] = a[((b * c + ch) * h + y) * w + x];
  return out;
}
