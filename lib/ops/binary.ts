// Quantized elementwise add / mul with numpy broadcasting and fused ReLU (com.microsoft
// QLinearAdd / QLinearMul semantics, bit-exact with onnxruntime on x86).
import { opsNative as native } from './native-ops';
import {
  type OpOptions,
  type QArray,
  type QuantOutput,
  type QuantTensor,
  checkBool,
  checkOptions,
  checkOutputQ,
  checkShape,
  checkTensor,
  dtypeCode,
  isaOf,
  outBuffer,
  shapeSize,
} from './qtensor';

export interface BinaryOutput extends QuantOutput {
  /** Fused ReLU: outputs below the zero point are raised to it. */
  relu?: boolean;
}

/** The numpy broadcast of two shapes; throws a RangeError naming the axis when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const sa = checkShape(a, 'a.shape');
  const sb = checkShape(b, 'b.shape');
  const r = Math.max(sa.length, sb.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = i < r - sa.length ? 1 : sa[i - (r - sa.length)];
    const db = i < r - sb.length ? 1 : sb[i - (r - sb.length)];
    if (da !== db && da !== 1 && db !== 1)
      throw new RangeError(`shapes [${sa.join(', ')}] and [${sb.join(', ')}] do not broadcast (axis ${i}: ${da} vs ${db})`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

function binary(op: 0 | 1, a: QuantTensor, b: QuantTensor, output: BinaryOutput, options?: OpOptions): QArray {
  const ta = checkTensor(a, 'a');
  const tb = checkTensor(b, 'b', ta.dtype);
  const o = checkOutputQ(output, 'output', ta.dtype);
  const relu = checkBool(o.relu, 'output.relu');
  const opts = checkOptions(options);
  const shape = broadcastShape(ta.shape, tb.shape);
  const out = outBuffer(opts, ta.dtype, shapeSize(shape));
  return native().binary(
    op,
    dtypeCode(ta.dtype),
    ta.data,
    ta.shape,
    tb.data,
    tb.shape,
    ta.scale,
    ta.zeroPoint,
    tb.scale,
    tb.zeroPoint,
    o.scale,
    o.zeroPoint,
    relu,
    out,
    isaOf(opts),
  );
}

/**
 * c = a + b in the quantized domain (QLinearAdd): broadcast shape of a and b, a's dtype.
 * Rounds like onnxruntime's x86 kernel (see docs/ARCHITECTURE.md, "int8 op set").
 */
export function add(a: QuantTensor, b: QuantTensor, output: BinaryOutput, options?: OpOptions): QArray {
  return binary(0, a, b, output, options);
}

/** c = a * b in the quantized domain (QLinearMul), with broadcasting. */
export function mul(a: QuantTensor, b: QuantTensor, output: BinaryOutput, options?: OpOptions): QArray {
  return binary(1, a, b, output, options);
}
