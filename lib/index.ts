// qint8 — fast int8 inference and quantization for Node.js.
import { linear, linearAsync, packLinear } from './ops/linear';
import { dequantize, quantize } from './quant/quantize';

export { PackedLinear, packLinear, linear, linearAsync } from './ops/linear';
export type { PackLinearOptions, LinearOptions, LinearInput, LinearOutput, LinearOutputDType } from './ops/linear';
export { computeQParams, roundHalfEven } from './quant/qparams';
export type { QParams, ChannelQParams, QParamsOptions, QScheme, QuantType } from './quant/qparams';
export { quantize, dequantize } from './quant/quantize';
export type { QuantizeParams } from './quant/quantize';
export { cpuInfo, configure, measurePeakGops, defaultThreads } from './runtime';
export type { CpuInfo, ConfigureOptions, IsaName } from './runtime';
export type { QuantDType } from './check';

/** The kernel-level API (names used by external benchmarks; keep them stable). */
export const ops = { packLinear, linear, linearAsync, quantize, dequantize };

// ONNX import / export and the graph IR (no execution yet).
export { Graph, GraphError } from './graph/ir';
export type { Node, ValueInfo, Dim, Shape, AttrValue } from './graph/ir';
export { GraphBuilder } from './graph/builder';
export type { OpOptions } from './graph/builder';
export { makeTensor } from './graph/tensor';
export type { Tensor, DType, TensorData } from './graph/tensor';
export { inferShapes, bindShapes } from './graph/infer';
export { optimize, foldConstants, foldBatchNorm, fuseActivations, fuseLayerNorm, removeIdentity, eliminateDeadCode, planLayout } from './graph/passes';
export type { OptimizeOptions, OptimizeReport, LayoutReport } from './graph/passes';
export { importModel, loadModel, OnnxImportError } from './onnx/import';
export type { ImportOptions } from './onnx/import';
export { exportModel } from './onnx/export';
export type { ExportOptions } from './onnx/export';
export { getOp, listOps } from './onnx/registry';
export { materializeRecipe } from './onnx/recipe';
export type { Recipe } from './onnx/recipe';
