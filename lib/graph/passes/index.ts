// The standard pass pipeline. Each pass mutates the graph in place and returns how much it did.
import type { Graph } from '../ir';
import { inferShapes } from '../infer';
import { foldConvAffine } from './affine';
import { foldBatchNorm } from './batchnorm';
import { eliminateDeadCode, removeIdentity } from './cleanup';
import { fuseDynamicConv } from './dynconv';
import { foldConstants } from './fold';
import { fuseActivations, fuseResidualAdd } from './fuse';
import { fuseHardSwish } from './hardswish';
import { fuseLayerNorm } from './layernorm';

export { foldConvAffine } from './affine';
export { foldBatchNorm } from './batchnorm';
export { eliminateDeadCode, removeIdentity } from './cleanup';
export { fuseDynamicConv } from './dynconv';
export { foldConstants } from './fold';
export type { FoldOptions } from './fold';
export { fuseActivations, fuseExpandDepthwise, fuseResidualAdd } from './fuse';
export { fuseHardSwish } from './hardswish';
export { fuseLayerNorm } from './layernorm';

export interface OptimizeOptions {
  /** Fold BatchNormalization into Conv/ConvTranspose/Gemm (default true). */
  foldBatchNorm?: boolean;
  /** Fold Mul / Div / Add / Sub by per-channel constants into the preceding Conv (default true). */
  foldAffine?: boolean;
  /** Fuse Relu/Clip/LeakyRelu/HardSigmoid/HardSwish into Conv/Gemm, and a residual Add (+ activation) into the Conv before it (default true). */
  fuseActivations?: boolean;
  /** Recognise decomposed HardSwish (x * Clip(x + 3, 0, 6) / 6 and variants) as HardSwish (default true). */
  fuseHardSwish?: boolean;
  /** Recognise decomposed layer norms (ReduceMean/Sub/Pow/Sqrt/Div) as LayerNormalization (default true). */
  fuseLayerNorm?: boolean;
  /** Fuse DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul [-> Add] [-> Relu / Clip] into qint8.DynamicQuantizeConv (default true). */
  fuseDynamicConv?: boolean;
}

export interface OptimizeReport {
  identity: number;
  folded: number;
  batchNorm: number;
  affine: number;
  fused: number;
  /** Residual Adds (with their activation, if any) fused into a Conv. */
  residual: number;
  hardSwish: number;
  layerNorm: number;
  /** Dynamic-quantization conv sequences fused. */
  dynamicConv: number;
  dead: number;
}

/**
 * Runs: Identity/Dropout removal, constant folding, BatchNormalization folding, per-channel affine folding into Conv, HardSwish recognition, residual Add and activation fusion,
 * layer-norm recognition, dead-code elimination, then shape inference again. Returns what each pass did.
 */
export function optimize(g: Graph, opts: OptimizeOptions = {}): OptimizeReport {
  const r: OptimizeReport = { identity: 0, folded: 0, batchNorm: 0, affine: 0, fused: 0, residual: 0, hardSwish: 0, layerNorm: 0, dynamicConv: 0, dead: 0 };
  r.identity = removeIdentity(g);
  r.folded = foldConstants(g);
  r.dead += eliminateDeadCode(g);
  if (opts.fuseDynamicConv !== false) r.dynamicConv = fuseDynamicConv(g);
  if (opts.foldBatchNorm !== false) r.batchNorm = foldBatchNorm(g);
  if (opts.foldAffine !== false) r.affine = foldConvAffine(g);
  if (opts.fuseHardSwish !== false) r.hardSwish = fuseHardSwish(g);
  if (opts.fuseActivations !== false) {
    r.residual = fuseResidualAdd(g);
    r.fused = fuseActivations(g);
  }
  if (opts.fuseLayerNorm !== false) r.layerNorm = fuseLayerNorm(g);
  r.dead += eliminateDeadCode(g);
  inferShapes(g);
  g.validate();
  return r;
}
export { planLayout } from './layout';
export type { LayoutReport } from './layout';
