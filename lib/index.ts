// qint8 — fast int8 inference and quantization for Node.js.
import { conv2d, conv2dAsync, packConv2d } from './ops/conv';
import { linear, linearAsync, packLinear } from './ops/linear';
import { dequantize, quantize } from './quant/quantize';
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
export { quantize, dequantize } from './quant/quantize';
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
  quantize,
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
export { optimize, foldConstants, foldBatchNorm, fuseActivations, fuseLayerNorm, removeIdentity, eliminateDeadCode, planLayout } from './graph/passes';
export type { OptimizeOptions, OptimizeReport, LayoutReport } from './graph/passes';
export { importModel, loadModel, OnnxImportError } from './onnx/import';
export type { ImportOptions } from './onnx/import';
export { exportModel } from './onnx/export';
export type { ExportOptions } from './onnx/export';
export { getOp, listOps } from './onnx/registry';
export { materializeRecipe } from './onnx/recipe';
export type { Recipe } from './onnx/recipe';
