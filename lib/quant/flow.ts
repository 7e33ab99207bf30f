// The quantization flow on whole models:
//   prepare(model, options)       imports and optimises the float model, plans which ops run in
//                                 int8 (lib/quant/plan.ts) and attaches an observer to every
//                                 quantized activation;
//   prepared.observe(feeds) /     runs the float model (natively) and feeds the observers;
//   prepared.calibrate(data)
//   prepared.convert()            computes the parameters and writes the QDQ graph: a
//                                 QuantizedModel that InferenceSession runs in int8 (the QDQ
//                                 fusion pass, lib/graph/passes/qdq.ts) and save() writes as
//                                 QDQ ONNX.
//   quantizeModel(model, options) all of it in one call (static), or dynamic quantization.
import * as fs from 'node:fs';
import { isObject, typeName } from '../check';
import { type Graph, GraphError, type Node } from '../graph/ir';
import { inferShapes } from '../graph/infer';
import { type Tensor as GraphTensor, makeTensor, numel } from '../graph/tensor';
import { eliminateDeadCode, optimize, removeIdentity } from '../graph/passes';
import { exportModel } from '../onnx/export';
import { importModel, loadModel } from '../onnx/import';
import { InferenceSession, type SessionOptions } from '../session';
import { Tensor } from '../tensor';
import type { ChannelQParamsResult, Observer, TensorQParams } from './observers';
import { type QuantPlan, type WeightQParams, type WeightUse, buildQdqGraph, planQuantization } from './plan';
import { type Backend, type QConfig, qconfig as presetQConfig } from './qconfig';
import { type ObserverSpec, createObserver } from './registry';

export type ModelInput = string | Uint8Array | ArrayBuffer | Graph;
export type Feeds = Record<string, Tensor | { type: string; data: unknown; dims: readonly number[] }>;
export type CalibrationMethod = 'minmax' | 'moving_average_minmax' | 'histogram' | 'entropy' | 'mse' | 'percentile';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'moving_average_minmax', 'histogram', 'entropy', 'mse', 'percentile'];

const METHOD_OBSERVER: Record<CalibrationMethod, ObserverSpec['observer']> = {
  minmax: 'MinMaxObserver',
  moving_average_minmax: 'MovingAverageMinMaxObserver',
  histogram: 'HistogramObserver',
  entropy: 'EntropyCalibrator',
  mse: 'MseCalibrator',
  percentile: 'PercentileCalibrator',
};

export interface CalibrationOptions {
  /** How activation ranges are chosen (default: the backend preset's, PyTorch's HistogramObserver). */
  method?: CalibrationMethod;
  /** Further options of the method's observer (e.g. percentile: 99.99, bins: 2048, variant: 'onnxruntime'). */
  [option: string]: unknown;
}

export interface PrepareOptions {
  /** Preset (PyTorch's defaults); 'auto' picks one for this CPU. Default 'auto'. */
  backend?: Backend | 'auto';
  /** A full configuration (overrides backend). */
  qconfig?: QConfig;
  calibration?: CalibrationOptions;
  /** Node names or op types to keep in float. */
  exclude?: readonly string[];
  /** Per-channel weights (default: the preset's; qnnpack is per tensor). */
  perChannel?: boolean;
}

export interface QuantizeOptions extends PrepareOptions {
  mode?: 'static' | 'dynamic';
  /** Calibration feeds (static mode): an Iterable or AsyncIterable of input name -> Tensor. */
  data?: Iterable<Feeds> | AsyncIterable<Feeds>;
  /** Called after each calibration sample with (done, total if known). */
  onProgress?: (done: number, total?: number) => void;
  /** Dynamic mode: quantize depthwise convolutions too (default false; docs/ACCURACY.md). */
  depthwise?: boolean;
}

/** Parameters and statistics of one quantized activation. */
export interface TensorQuantInfo {
  name: string;
  scale: number;
  zeroPoint: number;
  dtype: 'uint8' | 'int8';
  /** The range the observer chose, and the range the parameters represent. */
  min: number;
  max: number;
  representable: [number, number];
  observer: string;
  /** The tensor whose parameters it shares (order-only ops), or itself. */
  sharedWith?: string;
  fixed?: boolean;
  warnings?: string[];
}

export interface QuantReport {
  mode: 'static' | 'dynamic';
  backend: string;
  samples: number;
  /** SQNR (dB) of each model output, int8 against float; null when they are identical. */
  outputs: { name: string; sqnr: number | null }[];
  /** Every quantized activation: parameters, clipped fraction of the float values, SQNR (dB). */
  tensors: (TensorQuantInfo & { clipped: number | null; sqnr: number | null })[];
  weights: WeightQuantInfo[];
}

export interface WeightQuantInfo {
  node: string;
  weight: string;
  perChannel: boolean;
  channels: number;
  bias: boolean;
}

function loadFloat(model: ModelInput): Graph {
  if (typeof model === 'string') return loadModel(model);
  if (model instanceof Uint8Array) return importModel(model);
  if (model instanceof ArrayBuffer) return importModel(new Uint8Array(model));
  if (isObject(model) && typeof (model as Graph).clone === 'function' && Array.isArray((model as Graph).nodes)) return (model as Graph).clone();
  throw new TypeError(`model must be an ONNX file path, ONNX bytes (Uint8Array / ArrayBuffer) or a Graph, got ${typeName(model)}`);
}

function resolveQConfig(opts: PrepareOptions, dynamic: boolean): QConfig {
  if (opts.qconfig !== undefined) {
    if (!isObject(opts.qconfig) || !isObject(opts.qconfig.activation) || !isObject(opts.qconfig.weight))
      throw new TypeError('qconfig must be a QConfig (from qconfig())');
    return opts.qconfig;
  }
  return presetQConfig(opts.backend ?? 'auto', { dynamic });
}

function activationSpec(qc: QConfig, cal: CalibrationOptions | undefined): ObserverSpec {
  if (cal === undefined) return { ...qc.activation };
  const { method, ...rest } = cal;
  if (method === undefined) return { ...qc.activation, ...rest };
  if (!CALIBRATION_METHODS.includes(method)) throw new TypeError(`calibration.method must be one of ${CALIBRATION_METHODS.join(', ')}, got ${String(method)}`);
  const a = qc.activation as Record<string, unknown>;
  const spec: ObserverSpec = { observer: METHOD_OBSERVER[method] };
  // 'entropy' is onnxruntime's entropy calibration unless another variant is asked for: TensorRT's
  // search on the |x| histogram locks onto the spikes that constant regions of an image leave
  // after a conv + ReLU (every background pixel gives relu(bias) per channel) and picks ranges
  // far inside the data (Fashion-MNIST CNN: 79% top-1 against 93% float; onnxruntime's: 93%).
  if (method === 'entropy') spec.variant = 'onnxruntime';
  for (const k of ['dtype', 'qscheme', 'reduceRange']) if (a[k] !== undefined) spec[k] = a[k];
  Object.assign(spec, rest);
  return spec;
}

function weightSpec(qc: QConfig, perChannel: boolean | undefined, axis: number): ObserverSpec {
  const w = qc.weight as Record<string, unknown>;
  const isPerChannel = perChannel ?? String(w.qscheme ?? '').startsWith('per_channel');
  const dtype = w.dtype ?? 'qint8';
  if (isPerChannel) {
    const qscheme = String(w.qscheme ?? 'per_channel_symmetric').replace('per_tensor', 'per_channel');
    const spec: ObserverSpec = { observer: 'PerChannelMinMaxObserver', dtype, qscheme, chAxis: axis };
    if (w.reduceRange !== undefined) spec.reduceRange = w.reduceRange;
    return spec;
  }
  const qscheme = String(w.qscheme ?? 'per_tensor_symmetric').replace('per_channel', 'per_tensor');
  const spec: ObserverSpec = { observer: 'MinMaxObserver', dtype, qscheme };
  if (w.reduceRange !== undefined) spec.reduceRange = w.reduceRange;
  return spec;
}

const f32 = Math.fround;

/** Arrays, generators and other (async) iterables of feeds; not strings or typed arrays. */
function isIterableLike(v: unknown): v is Iterable<Feeds> | AsyncIterable<Feeds> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !ArrayBuffer.isView(v) &&
    (Symbol.iterator in v || Symbol.asyncIterator in v)
  );
}
function rne(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Quantizes a float weight with an observer's parameters (per channel along `axis` or per tensor). */
function quantizeWeight(w: GraphTensor, q: TensorQParams | ChannelQParamsResult, axis: number): WeightQParams {
  const dtype = q.dtype === 'quint8' ? 'uint8' : 'int8';
  const [qmin, qmax] = dtype === 'uint8' ? [0, 255] : [-128, 127];
  const x = w.data as Float32Array;
  const perChannel = typeof q.scale !== 'number';
  const scale = perChannel ? Float32Array.from(q.scale as Float32Array) : Float32Array.of(q.scale as number);
  const zeroPoint = perChannel ? Int32Array.from(q.zeroPoint as Int32Array) : Int32Array.of(q.zeroPoint as number);
  const inner = perChannel ? numel(w.dims.slice(axis + 1)) : x.length;
  const channels = perChannel ? w.dims[axis] : 1;
  const data = dtype === 'uint8' ? new Uint8Array(x.length) : new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = perChannel ? Math.floor(i / inner) % channels : 0;
    const v = f32(x[i] / scale[c]);
    data[i] = Number.isNaN(v) ? qmin : Math.min(qmax, Math.max(qmin, rne(Math.min(Math.max(v, qmin - zeroPoint[c]), qmax - zeroPoint[c])) + zeroPoint[c]));
  }
  return { dtype, scale, zeroPoint, data };
}

function feedTensors(feeds: unknown): Record<string, Tensor> {
  if (!isObject(feeds)) throw new TypeError(`a calibration sample must be an object of input name -> Tensor, got ${typeName(feeds)}`);
  return feeds as Record<string, Tensor>;
}

/** A float model with observers attached (prepare()). */
export class PreparedModel {
  /** The optimised float graph the plan refers to. */
  readonly graph: Graph;
  readonly plan: QuantPlan;
  readonly qconfig: QConfig;
  /** One observer per quantized activation (root tensors). */
  readonly observers = new Map<string, Observer>();
  readonly activationSpec: ObserverSpec;
  private readonly perChannel: boolean | undefined;
  private session?: InferenceSession;
  /** Samples observed so far. */
  samples = 0;

  constructor(model: ModelInput, opts: PrepareOptions = {}) {
    if (!isObject(opts)) throw new TypeError(`options must be an object, got ${typeName(opts)}`);
    if (opts.exclude !== undefined && (!Array.isArray(opts.exclude) || opts.exclude.some((e) => typeof e !== 'string')))
      throw new TypeError('exclude must be an array of node names or op types');
    if (opts.perChannel !== undefined && typeof opts.perChannel !== 'boolean') throw new TypeError('perChannel must be a boolean');
    if (opts.calibration !== undefined && !isObject(opts.calibration)) throw new TypeError('calibration must be an object');
    this.qconfig = resolveQConfig(opts, false);
    this.perChannel = opts.perChannel;
    this.activationSpec = activationSpec(this.qconfig, opts.calibration);
    const g = loadFloat(model);
    if (g.nodes.some((n) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear' || n.opType.startsWith('QLinear')))
      throw new GraphError('the model is already quantized (it has QuantizeLinear / DequantizeLinear / QLinear ops): run it with InferenceSession directly');
    inferShapes(g);
    // Per-channel affine ops after a Conv stay unfolded here (they become tables or int8 ops):
    // folding them into the Conv before calibration cost accuracy on PP-OCRv4 rec in every method
    // measured (decoded-line agreement over 400 lines, unfolded vs folded: minmax 384 vs 378,
    // moving_average_minmax 394 vs 391, mse 393 vs 385, percentile 390 vs 389; docs/ACCURACY.md).
    optimize(g, { fuseActivations: false, foldAffine: false });
    this.graph = g;
    const known = new Set([...g.nodes.map((n) => n.name), ...g.nodes.map((n) => n.opType)]);
    const unknown = (opts.exclude ?? []).filter((e) => !known.has(e));
    if (unknown.length) throw new TypeError(`exclude names no node or op type of the model: ${unknown.join(', ')}`);
    this.plan = planQuantization(g, { exclude: opts.exclude });
    for (const t of this.plan.observed) if (!this.plan.constOperands.has(t)) this.observers.set(t, createObserver(this.activationSpec));
  }

  private calibrationSession(): InferenceSession {
    if (!this.session) {
      const g = this.graph.clone();
      for (const t of this.observers.keys()) if (!g.isOutput(t)) g.outputs.push({ name: t, dtype: 'float32', shape: g.info(t).shape });
      this.session = InferenceSession.createSync(g);
    }
    return this.session;
  }

  private record(out: Record<string, Tensor>): void {
    for (const [t, o] of this.observers) {
      const v = out[t];
      o.observe(v.data as Float32Array, v.dims);
    }
    this.samples++;
  }

  /** Runs the float model on one sample and feeds the observers (synchronous). */
  observe(feeds: Feeds): this {
    this.record(this.calibrationSession().runSync(feedTensors(feeds)));
    return this;
  }

  /** Runs every sample of `data` (Iterable or AsyncIterable), off the event loop. */
  async calibrate(data: Iterable<Feeds> | AsyncIterable<Feeds>, opts: { onProgress?: (done: number, total?: number) => void } = {}): Promise<this> {
    if (!isIterableLike(data))
      throw new TypeError(`data must be an Iterable or AsyncIterable of feeds, got ${typeName(data)}`);
    if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') throw new TypeError('onProgress must be a function');
    const total = Array.isArray(data) ? data.length : undefined;
    const s = this.calibrationSession();
    let done = 0;
    for await (const feeds of data as AsyncIterable<Feeds>) {
      this.record(await s.run(feedTensors(feeds)));
      done++;
      opts.onProgress?.(done, total); // (not ?.(++done): optional chaining would skip the increment)
    }
    return this;
  }

  /** Releases the calibration session (convert() does it too). */
  release(): void {
    this.session?.releaseSync();
    this.session = undefined;
  }

  /** The quantized model: parameters from the observers, QDQ graph. */
  convert(): QuantizedModel {
    if (this.observers.size && this.samples === 0) throw new TypeError('no calibration data was observed: call observe() or calibrate() before convert()');
    const params = new Map<string, TensorQuantInfo>();
    const paramsOf = (root: string): TensorQuantInfo => {
      let p = params.get(root);
      if (!p) {
        const point = this.plan.points.get(root)!;
        if (point.fixed) {
          const { scale, zeroPoint } = point.fixed;
          p = { name: root, scale, zeroPoint, dtype: 'uint8', min: (0 - zeroPoint) * scale, max: (255 - zeroPoint) * scale, representable: [(0 - zeroPoint) * scale, (255 - zeroPoint) * scale], observer: 'FixedQParams', fixed: true };
        } else if (this.plan.constOperands.has(root)) {
          const o = createObserver({ ...this.activationSpec, observer: 'MinMaxObserver' } as ObserverSpec);
          const c = this.graph.constants.get(root)!;
          o.observe(Float32Array.from(c.data as ArrayLike<number>), c.dims);
          p = info(root, o.calculateQParams() as TensorQParams, 'MinMaxObserver (constant)');
        } else {
          const o = this.observers.get(root)!;
          p = info(root, o.calculateQParams() as TensorQParams, o.kind);
        }
        params.set(root, p);
      }
      return p;
    };
    const weightsInfo: WeightQuantInfo[] = [];
    const weight = (use: WeightUse, w: GraphTensor): WeightQParams => {
      const o = createObserver(weightSpec(this.qconfig, this.perChannel, use.axis));
      o.observe(w.data as Float32Array, w.dims);
      const q = o.calculateQParams();
      const r = quantizeWeight(w, q, use.axis);
      weightsInfo.push({ node: use.node.name, weight: use.node.inputs[use.weight], perChannel: r.scale.length > 1 || typeof q.scale !== 'number', channels: r.scale.length, bias: use.bias >= 0 });
      return r;
    };
    const qNames = new Map<string, string>();
    const qdq = buildQdqGraph(this.graph, this.plan, paramsOf, weight, qNames);
    const tensors: TensorQuantInfo[] = [];
    for (const p of this.plan.points.values()) {
      const r = paramsOf(p.root);
      tensors.push(p.root === p.tensor ? r : { ...r, name: p.tensor, sharedWith: p.root });
    }
    this.release();
    return new QuantizedModel(qdq, 'static', this.qconfig, tensors, weightsInfo, this.graph, qNames);
  }
}

function info(name: string, q: TensorQParams, observer: string): TensorQuantInfo {
  const dtype = q.dtype === 'quint8' ? 'uint8' : 'int8';
  const [qmin, qmax] = dtype === 'uint8' ? [0, 255] : [-128, 127];
  const r: TensorQuantInfo = {
    name,
    scale: q.scale,
    zeroPoint: q.zeroPoint,
    dtype,
    min: q.min,
    max: q.max,
    representable: [f32((qmin - q.zeroPoint) * q.scale), f32((qmax - q.zeroPoint) * q.scale)],
    observer,
  };
  if (q.warnings.length) r.warnings = q.warnings.slice();
  return r;
}

/** A quantized model: its QDQ graph, the parameters chosen, and how to run and save it. */
export class QuantizedModel {
  constructor(
    /** The QDQ graph (what save() writes). */
    readonly graph: Graph,
    readonly mode: 'static' | 'dynamic',
    readonly qconfig: QConfig,
    /** Every quantized activation with its parameters. */
    readonly tensors: TensorQuantInfo[],
    readonly weights: WeightQuantInfo[],
    /** The optimised float graph it was made from. */
    readonly floatGraph: Graph,
    /** Quantized tensor -> its QuantizeLinear output in the QDQ graph. */
    private readonly qNames = new Map<string, string>(),
  ) {}

  /**
   * Runs the float model and the int8 model on `data` and reports, for every quantized
   * activation, its parameters, the fraction of float values outside the representable range
   * (clipped), and the SQNR of the int8 model's tensor against the float one (dB); and the SQNR
   * of each model output.
   */
  async report(data: Iterable<Feeds> | AsyncIterable<Feeds>, opts: { onProgress?: (done: number, total?: number) => void; sessionOptions?: SessionOptions } = {}): Promise<QuantReport> {
    if (!isIterableLike(data))
      throw new TypeError(`data must be an Iterable or AsyncIterable of feeds, got ${typeName(data)}`);
    const fg = this.floatGraph.clone();
    const qg = this.graph.clone();
    const tracked = this.tensors.filter((t) => this.qNames.has(t.name) && (fg.values.has(t.name) || fg.inputs.some((i) => i.name === t.name)));
    for (const t of tracked) {
      if (!fg.isOutput(t.name)) fg.outputs.push({ name: t.name, dtype: 'float32', shape: fg.info(t.name).shape });
      const q = this.qNames.get(t.name)!;
      if (!qg.isOutput(q)) qg.outputs.push({ name: q, dtype: t.dtype, shape: qg.info(q).shape });
    }
    const outputs = this.floatGraph.outputs.map((o) => o.name);
    const fs_ = InferenceSession.createSync(fg, opts.sessionOptions);
    const qs = InferenceSession.createSync(qg, opts.sessionOptions);
    const acc = new Map<string, { sig: number; noise: number; clipped: number; count: number }>();
    const add = (k: string, f: ArrayLike<number>, q: (i: number) => number, lo?: number, hi?: number) => {
      let a = acc.get(k);
      if (!a) acc.set(k, (a = { sig: 0, noise: 0, clipped: 0, count: 0 }));
      for (let i = 0; i < f.length; i++) {
        const x = f[i];
        const d = x - q(i);
        a.sig += x * x;
        a.noise += d * d;
        if (lo !== undefined && (x < lo || x > hi!)) a.clipped++;
      }
      a.count += f.length;
    };
    const total = Array.isArray(data) ? data.length : undefined;
    let done = 0;
    try {
      for await (const feeds of data as AsyncIterable<Feeds>) {
        const fr = await fs_.run(feedTensors(feeds));
        const qr = await qs.run(feedTensors(feeds));
        for (const t of tracked) {
          const f = fr[t.name].data as Float32Array;
          const q = qr[this.qNames.get(t.name)!].data as Uint8Array | Int8Array;
          add(t.name, f, (i) => f32((q[i] - t.zeroPoint) * t.scale), t.representable[0], t.representable[1]);
        }
        for (const o of outputs) {
          const f = fr[o].data as Float32Array;
          const q = qr[o].data as Float32Array;
          add(`output:${o}`, f, (i) => q[i]);
        }
        done++;
        opts.onProgress?.(done, total); // (not ?.(++done): optional chaining would skip the increment)
      }
    } finally {
      fs_.releaseSync();
      qs.releaseSync();
    }
    const sqnr = (a: { sig: number; noise: number }) => (a.noise === 0 ? null : 10 * Math.log10(a.sig / a.noise));
    return {
      mode: this.mode,
      backend: this.qconfig.backend,
      samples: done,
      outputs: outputs.map((o) => ({ name: o, sqnr: sqnr(acc.get(`output:${o}`) ?? { sig: 0, noise: 0 }) })),
      tensors: this.tensors.map((t) => {
        const a = acc.get(t.name);
        return { ...t, clipped: a && a.count ? a.clipped / a.count : null, sqnr: a ? sqnr(a) : null };
      }),
      weights: this.weights,
    };
  }

  /** QDQ ONNX bytes (standard ops; dynamic mode uses com.microsoft DynamicQuantizeMatMul). */
  toBytes(): Uint8Array {
    return exportModel(this.graph, { producerName: 'qint8' });
  }

  /** Writes the QDQ ONNX file. */
  async save(path: string): Promise<void> {
    if (typeof path !== 'string' || !path) throw new TypeError('path must be a non-empty string');
    await fs.promises.writeFile(path, this.toBytes());
  }

  saveSync(path: string): void {
    if (typeof path !== 'string' || !path) throw new TypeError('path must be a non-empty string');
    fs.writeFileSync(path, this.toBytes());
  }

  /** An InferenceSession running the model in int8. */
  createSession(options: SessionOptions = {}): Promise<InferenceSession> {
    return InferenceSession.create(this.graph, options);
  }

  createSessionSync(options: SessionOptions = {}): InferenceSession {
    return InferenceSession.createSync(this.graph, options);
  }

  /** A session running the float graph with fake quantization at every quantization point. */
  simulate(options: SessionOptions = {}): Promise<InferenceSession> {
    return InferenceSession.create(this.graph, { ...options, qdq: 'simulate' });
  }
}

/** prepare(): a float model with observers attached. */
export function prepare(model: ModelInput, options?: PrepareOptions): PreparedModel {
  return new PreparedModel(model, options);
}

/** A session that runs a QDQ model (or QuantizedModel) unfused: float ops with fake quantization. */
export function simulate(model: QuantizedModel | ModelInput, options: SessionOptions = {}): Promise<InferenceSession> {
  if (model instanceof QuantizedModel) return model.simulate(options);
  return InferenceSession.create(model as string, { ...options, qdq: 'simulate' });
}

// ---------------------------------------------------------------------------------- dynamic

/**
 * Dynamic quantization: MatMul / Gemm with constant weights become com.microsoft
 * DynamicQuantizeMatMul (int8 weights per output column, activations quantized per run to
 * uint8 from their own range, fp32 output + bias), which onnxruntime also runs.
 */
function quantizeDynamic(model: ModelInput, opts: QuantizeOptions): QuantizedModel {
  const qc = resolveQConfig(opts, true);
  const g = loadFloat(model);
  inferShapes(g);
  optimize(g, { fuseActivations: false });
  const floatGraph = g.clone();
  const exclude = new Set(opts.exclude ?? []);
  const known = new Set([...g.nodes.map((n) => n.name), ...g.nodes.map((n) => n.opType)]);
  const unknown = [...exclude].filter((e) => !known.has(e));
  if (unknown.length) throw new TypeError(`exclude names no node or op type of the model: ${unknown.join(', ')}`);
  const namer = g.namer();
  const consumers = g.consumers();
  const weightsInfo: WeightQuantInfo[] = [];
  const drop = new Set<string>();
  for (const n of g.nodes) {
    if (n.domain !== '' || (n.opType !== 'MatMul' && n.opType !== 'Gemm') || exclude.has(n.name) || exclude.has(n.opType)) continue;
    const w = g.constants.get(n.inputs[1]);
    const x = n.inputs[0];
    const gemm = n.opType === 'Gemm';
    if (!w || w.dtype !== 'float32' || w.dims.length !== 2 || g.constants.has(x) || g.info(x).dtype !== 'float32') continue;
    if (gemm && (((n.attrs.transA as number) ?? 0) !== 0 || ((n.attrs.alpha as number) ?? 1) !== 1 || (n.inputs[2] && ((n.attrs.beta as number) ?? 1) !== 1) || g.info(x).shape?.length !== 2)) continue;
    const transB = gemm && ((n.attrs.transB as number) ?? 0) !== 0;
    const [K, N] = transB ? [w.dims[1], w.dims[0]] : [w.dims[0], w.dims[1]];
    let bias: string | undefined = gemm && n.inputs[2] ? n.inputs[2] : undefined;
    if (bias) {
      const c = g.constants.get(bias);
      if (!c || c.dtype !== 'float32' || numel(c.dims) !== N) continue;
      if (c.dims.length !== 1) {
        bias = namer(`${bias}_1d`);
        g.constants.set(bias, makeTensor('float32', [N], c.data as Float32Array));
      }
    }
    let out = n.outputs[0];
    if (!gemm) {
      const rs = consumers.get(out) ?? [];
      const add = rs[0];
      if (rs.length === 1 && add.opType === 'Add' && add.domain === '' && !g.isOutput(out) && !exclude.has(add.name)) {
        const other = add.inputs[0] === out ? add.inputs[1] : add.inputs[0];
        const c = g.constants.get(other);
        if (c && c.dtype === 'float32' && numel(c.dims) === N && c.dims[c.dims.length - 1] === N) {
          bias = namer(`${other}_bias`);
          g.constants.set(bias, makeTensor('float32', [N], c.data as Float32Array));
          out = add.outputs[0];
          drop.add(add.name);
        }
      }
    }
    // Weights [K, N], per output column (axis 1) or per tensor.
    const wKN = transB ? transpose2d(w) : w;
    const o = createObserver(weightSpec(qc, opts.perChannel, 1));
    o.observe(wKN.data as Float32Array, wKN.dims);
    const q = quantizeWeight(wKN, o.calculateQParams(), 1);
    const base = n.inputs[1];
    const wq = namer(`${base}_quantized`);
    const ws = namer(`${base}_scale`);
    const wz = namer(`${base}_zero_point`);
    g.constants.set(wq, makeTensor(q.dtype, [K, N], q.data));
    g.constants.set(ws, makeTensor('float32', q.scale.length === 1 ? [] : [N], q.scale));
    g.constants.set(wz, makeTensor(q.dtype, q.zeroPoint.length === 1 ? [] : [N], q.zeroPoint));
    n.opType = 'DynamicQuantizeMatMul';
    n.domain = 'com.microsoft';
    n.inputs = [x, wq, ws, wz, ...(bias ? [bias] : [])];
    n.outputs = [out];
    n.attrs = {};
    weightsInfo.push({ node: n.name, weight: base, perChannel: q.scale.length > 1, channels: q.scale.length, bias: !!bias });
  }
  g.nodes = g.nodes.filter((n) => !drop.has(n.name));
  quantizeConvsDynamic(g, qc, opts, exclude, weightsInfo);
  removeIdentity(g);
  eliminateDeadCode(g); // the float weights the int8 copies replaced
  g.values.clear();
  inferShapes(g);
  g.validate();
  return new QuantizedModel(g, 'dynamic', qc, [], weightsInfo, floatGraph);
}

/**
 * Dynamic quantization of 2-D convolutions with constant float weights, in onnxruntime's
 * quantize_dynamic form (which onnxruntime runs and qint8 fuses into one op,
 * lib/graph/passes/dynconv.ts):
 *   DynamicQuantizeLinear(x) -> ConvInteger(xq, W uint8, x_zp, 128) -> Cast(float)
 *     -> Mul(x_scale * W_scale) -> Add(B)
 * with W int8 symmetric (stored as uint8 W + 128 with zero point 128) per output channel (W_scale [1, C, 1, 1]) or per tensor (scalar), B
 * [1, C, 1, 1]. One DynamicQuantizeLinear per input tensor. Depthwise convs stay float unless
 * opts.depthwise (docs/ACCURACY.md: on qint8 the per-run quantization costs more than the int8
 * kernel saves on them).
 */
function quantizeConvsDynamic(g: Graph, qc: QConfig, opts: QuantizeOptions, exclude: Set<string>, weightsInfo: WeightQuantInfo[]): void {
  const namer = g.namer();
  const dql = new Map<string, [string, string, string]>();
  const out: Node[] = [];
  for (const n of g.nodes) {
    const x = n.inputs[0];
    const w = n.opType === 'Conv' && n.domain === '' ? g.constants.get(n.inputs[1]) : undefined;
    const b = n.inputs[2] ? g.constants.get(n.inputs[2]) : undefined;
    const group = (n.attrs.group as number | undefined) ?? 1;
    const depthwise = w !== undefined && group > 1 && w.dims[1] === 1 && w.dims[0] === group;
    if (
      !w ||
      exclude.has(n.name) ||
      exclude.has(n.opType) ||
      w.dtype !== 'float32' ||
      w.dims.length !== 4 ||
      g.constants.has(x) ||
      g.info(x).dtype !== 'float32' ||
      g.info(x).shape?.length !== 4 ||
      (n.inputs[2] && (!b || b.dtype !== 'float32')) ||
      (depthwise && !opts.depthwise)
    ) {
      out.push(n);
      continue;
    }
    const cout = w.dims[0];
    // ConvInteger's weights here are symmetric int8 (zero point 0, as onnxruntime writes them).
    const spec = weightSpec(qc, opts.perChannel, 0);
    const o = createObserver({ ...spec, dtype: 'qint8', qscheme: String(spec.qscheme).replace('affine', 'symmetric') } as ObserverSpec);
    o.observe(w.data as Float32Array, w.dims);
    const q = quantizeWeight(w, o.calculateQParams(), 0);
    if (q.dtype !== 'int8' || q.zeroPoint.some((z) => z !== 0)) throw new TypeError('dynamic quantization of Conv needs symmetric int8 weights (qconfig.weight: qint8, *_symmetric)');
    let d = dql.get(x);
    if (!d) {
      d = [namer(`${x}_quantized`), namer(`${x}_scale`), namer(`${x}_zero_point`)];
      dql.set(x, d);
      out.push({ name: namer(`${x}_QuantizeLinear`), opType: 'DynamicQuantizeLinear', domain: '', inputs: [x], outputs: [...d], attrs: {} });
    }
    const base = n.inputs[1];
    const wq = namer(`${base}_quantized`);
    const ws = namer(`${base}_scale`);
    const wz = namer(`${base}_zero_point`);
    // Written as uint8 with zero point 128 (w + 128: the same integer sums): onnxruntime-node 1.30
    // runs ConvInteger with uint8 weights on its fast path and int8 weights on a slow one (the
    // recognizer, 1 thread: 26.3 vs 71.7 ms, float 34.9). qint8 reads it back as int8 (dynconv.ts).
    const wu8 = Uint8Array.from(q.data as Int8Array, (v) => v + 128);
    g.constants.set(wq, makeTensor('uint8', [...w.dims], wu8));
    g.constants.set(ws, makeTensor('float32', q.scale.length === 1 ? [] : [1, cout, 1, 1], q.scale));
    g.constants.set(wz, makeTensor('uint8', [], Uint8Array.of(128)));
    const scales = namer(`${n.name}_quant_scales_mul`);
    const acc = namer(`${n.name}_output_quantized`);
    const cast = namer(`${n.name}_output_quantized_cast`);
    const scaled = b ? namer(`${n.name}_quant_scaled_output`) : n.outputs[0];
    const { group: _g, ...convAttrs } = n.attrs;
    out.push({ name: namer(`${n.name}_quant_scales_mul`), opType: 'Mul', domain: '', inputs: [d[1], ws], outputs: [scales], attrs: {} });
    out.push({ name: namer(`${n.name}_quant`), opType: 'ConvInteger', domain: '', inputs: [d[0], wq, d[2], wz], outputs: [acc], attrs: { ...convAttrs, group } });
    out.push({ name: namer(`${n.name}_output_cast`), opType: 'Cast', domain: '', inputs: [acc], outputs: [cast], attrs: { to: 1 } });
    out.push({ name: namer(`${n.name}_output_scale_mul`), opType: 'Mul', domain: '', inputs: [cast, scales], outputs: [scaled], attrs: {} });
    if (b) {
      const bias = namer(`${n.inputs[2]}_reshaped`);
      g.constants.set(bias, makeTensor('float32', [1, cout, 1, 1], b.data as Float32Array));
      out.push({ name: namer(`${n.name}_bias_add`), opType: 'Add', domain: '', inputs: [scaled, bias], outputs: [n.outputs[0]], attrs: {} });
    }
    weightsInfo.push({ node: n.name, weight: base, perChannel: q.scale.length > 1, channels: q.scale.length, bias: !!b });
  }
  g.nodes = out;
}

function transpose2d(w: GraphTensor): GraphTensor {
  const [r, c] = w.dims;
  const s = w.data as Float32Array;
  const t = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = s[i * c + j];
  return makeTensor('float32', [c, r], t);
}

/**
 * Quantizes a float model in one call. Static (default): prepare, calibrate on `data`, convert.
 * Dynamic: weights int8 ahead of time, activations per run (no data needed).
 */
export async function quantizeModel(model: ModelInput, options: QuantizeOptions = {}): Promise<QuantizedModel> {
  if (!isObject(options)) throw new TypeError(`options must be an object, got ${typeName(options)}`);
  const mode = options.mode ?? 'static';
  if (mode !== 'static' && mode !== 'dynamic') throw new TypeError(`mode must be 'static' or 'dynamic', got ${String(mode)}`);
  if (options.depthwise !== undefined && typeof options.depthwise !== 'boolean') throw new TypeError(`depthwise must be a boolean, got ${typeName(options.depthwise)}`);
  if (mode === 'dynamic') {
    if (options.data !== undefined) throw new TypeError('dynamic quantization takes no calibration data');
    return quantizeDynamic(model, options);
  }
  const data = options.data as Iterable<Feeds> | AsyncIterable<Feeds> | undefined;
  if (data === undefined) throw new TypeError("static quantization needs calibration data: options.data (an Iterable or AsyncIterable of feeds); or use mode: 'dynamic'");
  const p = prepare(model, options);
  try {
    await p.calibrate(data, { onProgress: (options as QuantizeOptions).onProgress });
    return p.convert();
  } finally {
    p.release();
  }
}

