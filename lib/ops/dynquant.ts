// DynamicQuantizeLinear (ONNX, uint8) with onnxruntime's arithmetic: the range includes 0,
// scale = (max - min) / 255 (1 for an all-zero input), zeroPoint = round(clamp(-min / scale)),
// then QuantizeLinear. NaN inputs take no part in the range and quantize to 0.
import { checkArray } from '../check';
import { opsNative as native } from './native-ops';
import { type OpOptions, checkOptions, isaOf } from './qtensor';

export interface DynamicQuantized {
  data: Uint8Array;
  scale: number;
  zeroPoint: number;
}

export function dynamicQuantize(x: Float32Array, options?: OpOptions): DynamicQuantized {
  checkArray(x, 'x', 'Float32Array');
  const opts = checkOptions(options);
  const out = opts.out === undefined ? new Uint8Array(x.length) : checkArray(opts.out, 'out', 'Uint8Array', x.length);
  const [scale, zeroPoint] = native().dynamicQuantize(x, out, isaOf(opts));
  return { data: out, scale, zeroPoint };
}
