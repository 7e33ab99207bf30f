// Unary int8 ops as 256-entry lookup tables built from the input and output qparams:
// table[b] = quantize(f(dequantize(b))). sigmoid and leakyRelu follow onnxruntime's
// QLinearSigmoid / QLinearLeakyRelu float arithmetic to the bit; the other built-in functions are
// evaluated in float64 and rounded to float32 before quantization.
import { type QuantDType, checkDType, checkObject, checkScale, checkZeroPoint, isObject, typeName } from '../check';
import { opsNative as native } from './native-ops';
import {
  type OpOptions,
  type QArray,
  type QuantTensor,
  checkOptions,
  checkTensor,
  dtypeCode,
  dtypeOf,
  isaOf,
  outBuffer,
} from './qtensor';

export type UnaryFunction =
  | 'identity'
  | 'sigmoid'
  | 'leakyRelu'
  | 'hardSigmoid'
  | 'hardSwish'
  | 'tanh'
  | 'gelu'
  | 'geluTanh'
  | 'silu'
  | 'exp'
  | 'elu'
  | 'softplus'
  | 'mish'
  | 'relu'
  | 'clip'
  | 'sigmoidExact';

// Codes of native/include/qint8/lut.h (UnaryFn) and default (alpha, beta).
const FN: Record<UnaryFunction, [number, number, number]> = {
  identity: [0, 0, 0],
  sigmoid: [1, 0, 0],
  leakyRelu: [2, 0.01, 0],
  hardSigmoid: [3, 0.2, 0.5],
  hardSwish: [4, 0, 0],
  tanh: [5, 0, 0],
  gelu: [6, 0, 0],
  geluTanh: [7, 0, 0],
  silu: [8, 0, 0],
  exp: [9, 0, 0],
  elu: [10, 1, 0],
  softplus: [11, 0, 0],
  mish: [12, 0, 0],
  relu: [13, 0, 0],
  clip: [14, -Infinity, Infinity],
  sigmoidExact: [15, 0, 0],
};
export const UNARY_FUNCTIONS = Object.keys(FN) as UnaryFunction[];

export interface TableQParams {
  scale: number;
  zeroPoint: number;
  dtype?: QuantDType;
}

export interface UnaryParams {
  /** leakyRelu slope (0.01), hardSigmoid slope (0.2), elu alpha (1), clip minimum (-Infinity). */
  alpha?: number;
  /** hardSigmoid offset (0.5), clip maximum (+Infinity). */
  beta?: number;
}

/** A 256-entry table mapping every input byte to an output byte. */
export class LookupTable {
  /** table[b]: the output byte for input byte b (an int8 input -1 is byte 255). */
  readonly table: Uint8Array;
  readonly inputDtype: QuantDType;
  readonly outputDtype: QuantDType;
  constructor(table: Uint8Array, inputDtype: QuantDType, outputDtype: QuantDType) {
    if (!(table instanceof Uint8Array) || table.length !== 256) throw new TypeError('table must be a Uint8Array of 256 entries');
    this.table = table;
    this.inputDtype = checkDType(inputDtype, 'inputDtype', 'uint8');
    this.outputDtype = checkDType(outputDtype, 'outputDtype', 'uint8');
  }
}

function checkTableQ(v: unknown, name: string, fallback: QuantDType): { scale: number; zeroPoint: number; dtype: QuantDType } {
  const o = checkObject(v, name);
  const dtype = checkDType(o.dtype, `${name}.dtype`, fallback);
  return { scale: checkScale(o.scale, `${name}.scale`), zeroPoint: checkZeroPoint(o.zeroPoint, `${name}.zeroPoint`, dtype), dtype };
}

function checkParams(fn: UnaryFunction, p: unknown): [number, number] {
  const [, a0, b0] = FN[fn];
  if (p === undefined) return [a0, b0];
  if (!isObject(p)) throw new TypeError(`params must be an object, got ${typeName(p)}`);
  const pick = (v: unknown, name: string, d: number) => {
    if (v === undefined) return d;
    if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${name} must be a number, got ${String(v)}`);
    return v;
  };
  const alpha = pick(p.alpha, 'alpha', a0);
  const beta = pick(p.beta, 'beta', b0);
  if (fn === 'clip' && alpha > beta) throw new RangeError(`clip minimum (alpha ${alpha}) > maximum (beta ${beta})`);
  return [alpha, beta];
}

/**
 * Builds the table of f from the input and output qparams. f is a built-in function name or a JS
 * function of one real number (called 256 times; its results are rounded to float32, NaN
 * quantizes to the type minimum).
 */
export function lookupTable(
  fn: UnaryFunction | ((x: number) => number),
  input: TableQParams,
  output: TableQParams,
  params?: UnaryParams,
): LookupTable {
  const i = checkTableQ(input, 'input', 'uint8');
  const o = checkTableQ(output, 'output', i.dtype);
  if (typeof fn === 'function') {
    if (params !== undefined) throw new TypeError('params apply to built-in functions only');
    const x = native().lutInputs(dtypeCode(i.dtype), i.scale, i.zeroPoint);
    const y = new Float32Array(256);
    for (let k = 0; k < 256; k++) {
      const v = fn(x[k]);
      if (typeof v !== 'number') throw new TypeError(`the table function returned ${typeName(v)} for ${x[k]}, expected a number`);
      y[k] = v;
    }
    return new LookupTable(native().lutQuantize(y, dtypeCode(o.dtype), o.scale, o.zeroPoint), i.dtype, o.dtype);
  }
  if (typeof fn !== 'string' || !(fn in FN))
    throw new TypeError(`fn must be a function or one of ${UNARY_FUNCTIONS.join(', ')}, got ${String(fn)}`);
  const [alpha, beta] = checkParams(fn, params);
  const table = native().lutBuild(FN[fn][0], alpha, beta, dtypeCode(i.dtype), i.scale, i.zeroPoint, dtypeCode(o.dtype), o.scale, o.zeroPoint);
  return new LookupTable(table, i.dtype, o.dtype);
}

/** y[i] = table[x[i]]: x has the table's input dtype, y its output dtype. */
export function applyLookupTable(x: QArray, table: LookupTable, options?: OpOptions): QArray {
  if (!(table instanceof LookupTable)) throw new TypeError(`table must be a LookupTable from lookupTable(), got ${typeName(table)}`);
  const dt = dtypeOf(x, 'x');
  if (dt !== table.inputDtype) throw new TypeError(`x is ${dt}, the table expects ${table.inputDtype}`);
  const opts = checkOptions(options);
  const out = outBuffer(opts, table.outputDtype, x.length);
  return native().lutApply(table.table, x, out, isaOf(opts));
}

export interface UnaryOutput {
  scale: number;
  zeroPoint: number;
  /** Default: the input's dtype. */
  dtype?: QuantDType;
}

/** y = quantize(f(dequantize(x))) through a 256-entry table (built for this call). */
export function unary(
  x: QuantTensor,
  fn: UnaryFunction | ((x: number) => number),
  output: UnaryOutput,
  options?: OpOptions & UnaryParams,
): QArray {
  const t = checkTensor(x, 'x');
  const opts = checkOptions(options) as OpOptions & UnaryParams;
  const params = typeof fn === 'function' ? undefined : { alpha: opts.alpha, beta: opts.beta };
  const table = lookupTable(fn, { scale: t.scale, zeroPoint: t.zeroPoint, dtype: t.dtype }, { dtype: t.dtype, ...checkObject(output, 'output') } as TableQParams, params);
  return applyLookupTable(t.data, table, { out: opts.out, isa: opts.isa });
}
