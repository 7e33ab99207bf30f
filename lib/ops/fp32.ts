// Float32 kernel helpers. The float32 ops themselves (MatMul, Gemm, ConvNhwc, pools, ...) are
// engine ops: create and run them with lib/engine/ops (createOp / runOp).
import { native } from '../native';
import { type IsaName, checkIsa } from '../runtime';

interface NativeFp32 {
  measureFmaPeakGflops(isa: string, ms: number): number;
  cpuInfo(): { activeIsa: string };
}

/**
 * Peak float32 FMA rate of one core on `isa` (GFLOPS, 2 flops per lane per FMA), measured now by a
 * register-only loop of independent vfmadd231ps (zmm on avx512vnni, ymm on avx2).
 */
export function measurePeakGflops(isa?: IsaName, ms = 20): number {
  const b = native() as unknown as NativeFp32;
  if (typeof ms !== 'number' || !(ms > 0 && ms <= 10000)) throw new RangeError(`ms must be in (0, 10000], got ${String(ms)}`);
  return b.measureFmaPeakGflops(isa === undefined ? b.cpuInfo().activeIsa : checkIsa(isa), ms);
}
