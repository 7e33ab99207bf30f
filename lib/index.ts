// qint8 — fast int8 inference and quantization for Node.js.
import { conv2d, conv2dAsync, packConv2d } from './ops/conv';
import { linear, linearAsync, packLinear } from './ops/linear';
import { type QuantizeParams, dequantize, quantize as quantizeTensor } from './quant/quantize';
import { type ModelInput, type QuantizeOptions, QuantizedModel, quantizeModel } from './quant/flow';
import { Graph } from './graph/ir';
import { add, mul } from './ops/binary';
import { applyLookupTable, lookupTable, unary } from './ops/lut';
import { averagePool2d, globalAveragePool, maxPool2d } from './ops/pool';
import { resize } from './ops/resize';
import { concat, pad } from './ops/structural';
import { dynamicQuantize } from './ops/dynquant';

export { PackedLinear, packLinear, linear, linearAsync } from './ops/linear';
export type { PackLinearOptions, LinearOptions, LinearInput, LinearOutput, LinearOutputDType } from './ops/linear';
export { PackedConv2d, packConv2d, conv2d, conv2dAsync } from './ops/conv';
export type { PackConv2dOptions, Conv2dOptions, Padding } from './ops/conv';
export { computeQParams, roundHalfEven } from './quant/qparams';
export type { QParams, ChannelQParams, QParamsOptions, QScheme, QuantType } from './quant/qparams';
export { dequantize } from './quant/quantize';
export type { QuantizeParams } from './quant/quantize';
export { resolveQParamsOptions } from './quant/qparams';
export type { ResolvedQParamsOptions } from './quant/qparams';
export * from './quant/observers';
export * from './quant/calibrators';
export { createObserver, observerFromJSON, OBSERVER_KINDS } from './quant/registry';
export type { ObserverSpec } from './quant/registry';
export { qconfig, autoBackend, BACKENDS } from './quant/qconfig';
export type { Backend, QConfig, QConfigOptions } from './quant/qconfig';
export { tensorMinMax, channelMinMax, accumulateHistogram } from './quant/observe';
export type { ObserverInput, TensorLike, NonFiniteCounts, MinMaxResult, ChannelMinMaxResult, BinRule, HistogramOptions, HistogramResult } from './quant/observe';
export { cpuInfo, configure, measurePeakGops, defaultThreads } from './runtime';
export { measurePeakGflops } from './ops/fp32';
export type { CpuInfo, ConfigureOptions, IsaName } from './runtime';
export type { QuantDType } from './check';
export { add, mul, broadcastShape } from './ops/binary';
export type { BinaryOutput } from './ops/binary';
export type { QuantTensor, QuantOutput, OpOptions } from './ops/qtensor';
export { LookupTable, lookupTable, applyLookupTable, unary, UNARY_FUNCTIONS } from './ops/lut';
export type { UnaryFunction, UnaryOutput, UnaryParams, TableQParams } from './ops/lut';
export { maxPool2d, averagePool2d, globalAveragePool, pool2dOutputShape } from './ops/pool';
export type { Pool2dParams, AveragePool2dParams, AutoPadMode, NhwcTensor } from './ops/pool';
export { resize, resizeOutputShape } from './ops/resize';
export type { ResizeParams, ResizeMode, CoordinateTransformationMode, NearestMode } from './ops/resize';
export { pad, padOutputShape, concat } from './ops/structural';
export type { PadParams, PadMode, PadTensor } from './ops/structural';
export { dynamicQuantize } from './ops/dynquant';
export type { DynamicQuantized } from './ops/dynquant';

/** The kernel-level API (names used by external benchmarks; keep them stable). */
export const ops = {
  packLinear,
  linear,
  linearAsync,
  packConv2d,
  conv2d,
  conv2dAsync,
  quantize: quantizeTensor,
  dequantize,
  add,
  mul,
  lookupTable,
  applyLookupTable,
  unary,
  maxPool2d,
  averagePool2d,
  globalAveragePool,
  resize,
  pad,
  concat,
  dynamicQuantize,
};

/**
 * quantize(x, params[, out]): a float32 tensor to uint8 / int8 (affine or symmetric, per tensor
 * or per channel) — the same function as ops.quantize.
 * quantize(model, options): a float ONNX model (path, bytes or Graph) to a QuantizedModel,
 * static (calibrated on options.data) or dynamic.
 */
export function quantize(x: Float32Array, params: QuantizeParams, out?: Uint8Array | Int8Array): Uint8Array | Int8Array;
export function quantize(model: ModelInput, options?: QuantizeOptions): Promise<QuantizedModel>;
export function quantize(a: Float32Array | ModelInput, b?: QuantizeParams | QuantizeOptions, c?: Uint8Array | Int8Array): Uint8Array | Int8Array | Promise<QuantizedModel> {
  if (typeof a === 'string' || a instanceof Uint8Array || a instanceof ArrayBuffer || a instanceof Graph) return quantizeModel(a, b as QuantizeOptions | undefined);
  return quantizeTensor(a, b as QuantizeParams, c);
}

// Model quantization: prepare / calibrate / convert, dynamic mode, simulation, reports.
export { prepare, simulate, quantizeModel, PreparedModel, QuantizedModel, CALIBRATION_METHODS } from './quant/flow';
export type { ModelInput, Feeds, CalibrationMethod, CalibrationOptions, PrepareOptions, QuantizeOptions, TensorQuantInfo, WeightQuantInfo, QuantReport } from './quant/flow';
export { planQuantization, buildQdqGraph } from './quant/plan';
export type { QuantPlan, QuantPoint, Role, WeightUse } from './quant/plan';
export { fuseQdq, foldQdqConstants, hasQdq } from './graph/passes/qdq';
export type { QdqReport } from './graph/passes/qdq';

// Sessions (onnxruntime's shape) on the native graph engine.
export { InferenceSession } from './session';
export type { SessionOptions, ValueMetadata, FetchesType } from './session';
export { Tensor } from './tensor';
export { registerOrtBackend, installAsOnnxRuntime, onnxruntimeCompat, qint8Backend } from './ort';
export type { TensorType, TensorDataType } from './tensor';

// ONNX import / export and the graph IR.
export { Graph, GraphError } from './graph/ir';
export type { Node, ValueInfo, Dim, Shape, AttrValue } from './graph/ir';
export { GraphBuilder } from './graph/builder';
export type { OpOptions as GraphOpOptions } from './graph/builder';
export { makeTensor } from './graph/tensor';
export type { Tensor as GraphTensor, DType, TensorData as GraphTensorData } from './graph/tensor';
export { inferShapes, bindShapes } from './graph/infer';
export { optimize, foldConstants, foldBatchNorm, fuseActivations, fuseHardSwish, fuseLayerNorm, removeIdentity, eliminateDeadCode, planLayout } from './graph/passes';
export type { OptimizeOptions, OptimizeReport, LayoutReport } from './graph/passes';
export { importModel, loadModel, OnnxImportError } from './onnx/import';
export type { ImportOptions } from './onnx/import';
export { exportModel } from './onnx/export';
export type { ExportOptions } from './onnx/export';
export { getOp, listOps } from './onnx/registry';
export { materializeRecipe } from './onnx/recipe';
export type { Recipe } from './onnx/recipe';
