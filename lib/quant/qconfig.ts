// Backend presets with PyTorch's defaults (torch.ao.quantization.get_default_qconfig and the
// dynamic qconfigs), as plain objects: copy one, change a field, then build the observers with
// createObserver(preset.activation) / createObserver(preset.weight).
import { isObject, typeName } from '../check';
import { type CpuInfo, cpuInfo } from '../runtime';
import type { ObserverSpec } from './registry';

export type Backend = 'fbgemm' | 'x86' | 'qnnpack' | 'onednn';
export const BACKENDS: readonly Backend[] = ['fbgemm', 'x86', 'qnnpack', 'onednn'];

export interface QConfig {
  /** The preset this came from ('auto' resolves to one of the four). */
  backend: Backend;
  /** 'static': activation ranges from calibration; 'dynamic': activations quantized per run. */
  mode: 'static' | 'dynamic';
  activation: ObserverSpec;
  weight: ObserverSpec;
  /** Why these choices (for 'auto': what was detected). */
  reason: string;
}

export interface QConfigOptions {
  /** The dynamic-quantization preset (PyTorch's default_dynamic_qconfig / per_channel_dynamic_qconfig). */
  dynamic?: boolean;
  /** 'auto' only: decide for this CPU report instead of this machine's (cpuInfo()). */
  cpu?: Pick<CpuInfo, 'arch' | 'features'>;
}

function perChannelWeight(): ObserverSpec {
  // default_per_channel_weight_observer
  return { observer: 'PerChannelMinMaxObserver', dtype: 'qint8', qscheme: 'per_channel_symmetric', chAxis: 0 };
}
function perTensorWeight(): ObserverSpec {
  // default_weight_observer
  return { observer: 'MinMaxObserver', dtype: 'qint8', qscheme: 'per_tensor_symmetric' };
}

const REASONS: Record<Backend, string> = {
  fbgemm:
    "PyTorch's fbgemm preset: HistogramObserver activations with reduce_range (7-bit: fbgemm's AVX2 vpmaddubsw saturates 16-bit pair sums), per-channel symmetric int8 weights",
  x86: "PyTorch's x86 preset: HistogramObserver activations with reduce_range (as fbgemm), per-channel symmetric int8 weights",
  qnnpack: "PyTorch's qnnpack preset (ARM): HistogramObserver activations on the full 8-bit range, per-tensor symmetric int8 weights",
  onednn: "PyTorch's onednn preset: HistogramObserver activations on the full 8-bit range (VNNI), per-channel symmetric int8 weights",
};

function preset(backend: Backend, dynamic: boolean, reduceRange: boolean, reason: string): QConfig {
  const weight = backend === 'qnnpack' ? perTensorWeight() : perChannelWeight();
  if (dynamic) {
    return {
      backend,
      mode: 'dynamic',
      // default_dynamic_quant_observer; PyTorch's dynamic linear on fbgemm/x86 quantizes the
      // activations with reduce_range at run time.
      activation: { observer: 'PlaceholderObserver', dtype: 'quint8', quantMin: 0, quantMax: 255, isDynamic: true, reduceRange },
      weight,
      reason: `${reason}; dynamic: activations quantized per run from their own range`,
    };
  }
  return {
    backend,
    mode: 'static',
    activation: { observer: 'HistogramObserver', dtype: 'quint8', qscheme: 'per_tensor_affine', reduceRange, bins: 2048 },
    weight,
    reason,
  };
}

/** Picks a preset for a CPU: ARM -> qnnpack; x86 -> x86 without reduce_range (see below). */
export function autoBackend(cpu: Pick<CpuInfo, 'arch' | 'features'>): { backend: Backend; reduceRange: boolean; reason: string } {
  if (cpu.arch === 'arm64' || cpu.arch === 'arm')
    return { backend: 'qnnpack', reduceRange: false, reason: `auto: ${cpu.arch} CPU -> qnnpack (PyTorch's ARM preset)` };
  const f = cpu.features ?? {};
  if (f.avx512vnni || f.avxvnni)
    return {
      backend: 'x86',
      reduceRange: false,
      reason: `auto: x86 with ${f.avx512vnni ? 'AVX-512 VNNI' : 'AVX-VNNI'} -> x86 without reduce_range (vpdpbusd accumulates u8 x s8 products in 32 bits, no saturation)`,
    };
  return {
    backend: 'x86',
    reduceRange: false,
    reason:
      "auto: x86 without VNNI -> x86 without reduce_range (qint8's AVX2 GEMM widens to 16 bits and is exact on the full 8-bit range; choose 'x86' or 'fbgemm' if the model will run on an engine that uses vpmaddubsw)",
  };
}

/**
 * The quantization preset of a backend, as a fresh plain object:
 *   qconfig('x86') / 'fbgemm': HistogramObserver activations with reduceRange, per-channel weights;
 *   qconfig('qnnpack'): full-range activations, per-tensor weights; 'onednn': full range, per-channel;
 *   qconfig('auto'): from this CPU (cpuInfo()), with the reason recorded;
 *   { dynamic: true }: the dynamic-quantization preset.
 */
export function qconfig(backend: Backend | 'auto' = 'x86', opts?: QConfigOptions): QConfig {
  if (opts !== undefined && !isObject(opts)) throw new TypeError(`options must be an object, got ${typeName(opts)}`);
  const o: QConfigOptions = opts ?? {};
  if (o.dynamic !== undefined && typeof o.dynamic !== 'boolean') throw new TypeError('dynamic must be a boolean');
  const dynamic = o.dynamic === true;
  if (backend === 'auto') {
    const a = autoBackend(o.cpu ?? cpuInfo());
    return preset(a.backend, dynamic, a.reduceRange, a.reason);
  }
  if (!BACKENDS.includes(backend)) throw new TypeError(`backend must be one of ${BACKENDS.join(', ')} or 'auto', got ${String(backend)}`);
  return preset(backend, dynamic, backend === 'fbgemm' || backend === 'x86', REASONS[backend]);
}
