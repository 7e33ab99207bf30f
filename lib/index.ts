// qint8 — fast int8 inference and quantization for Node.js.
import { conv2d, conv2dAsync, packConv2d } from './ops/conv';
import { linear, linearAsync, packLinear } from './ops/linear';
import { dequantize, quantize } from './quant/quantize';

export { PackedLinear, packLinear, linear, linearAsync } from './ops/linear';
export type { PackLinearOptions, LinearOptions, LinearInput, LinearOutput, LinearOutputDType } from './ops/linear';
export { PackedConv2d, packConv2d, conv2d, conv2dAsync } from './ops/conv';
export type { PackConv2dOptions, Conv2dOptions, Padding } from './ops/conv';
export { computeQParams, roundHalfEven } from './quant/qparams';
export type { QParams, ChannelQParams, QParamsOptions, QScheme, QuantType } from './quant/qparams';
export { quantize, dequantize } from './quant/quantize';
export type { QuantizeParams } from './quant/quantize';
export { cpuInfo, configure, measurePeakGops, defaultThreads } from './runtime';
export { measurePeakGflops } from './ops/fp32';
export type { CpuInfo, ConfigureOptions, IsaName } from './runtime';
export type { QuantDType } from './check';

/** The kernel-level API (names used by external benchmarks; keep them stable). */
export const ops = { packLinear, linear, linearAsync, packConv2d, conv2d, conv2dAsync, quantize, dequantize };
