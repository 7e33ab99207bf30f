// InferenceSession with onnxruntime's shape: create(), inputNames / outputNames / metadata,
// run() (one async hop per inference, off the event loop), runSync() (for worker threads),
// release(). A model is imported once, optimised (constant folding, BatchNorm folding,
// activation fusion), laid out channels-last, and compiled into native ops; each new input-shape
// signature gets a native plan, cached.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkSize, isObject, typeName } from './check';
import { CompiledGraph, type NodeProfile } from './engine/compile';
import type { TensorData as OpData } from './engine/ops';
import { Graph } from './graph/ir';
import { inferShapes } from './graph/infer';
import { fuseExpandDepthwise, optimize, planLayout, removeIdentity } from './graph/passes';
import { foldQdqConstants, fuseQdq, hasQdq } from './graph/passes/qdq';
import type { DType } from './graph/tensor';
import { type ImportOptions, OnnxImportError, importModel, loadModel } from './onnx/import';
import { EnginePlan, type RunTicket } from './engine/plan';
import { native } from './native';
import { type IsaName, checkIsa, defaultThreads } from './runtime';
import { Tensor, type TensorType } from './tensor';

export interface SessionOptions {
  /** Threads one run may use (default: the whole process-wide pool; capped at its size). */
  intraOpNumThreads?: number;
  /** Accepted for compatibility: ops run one after another, each parallel inside. */
  interOpNumThreads?: number;
  /**
   * 'disabled' skips constant folding, BatchNorm folding and activation fusion (the channels-last
   * layout is always planned: the engine's spatial kernels are NHWC). Default 'all'.
   */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  /** Accepted for compatibility ('cpu', 'qint8'); qint8 always runs on the CPU. */
  executionProviders?: readonly unknown[];
  /** Kernel tier (default: the active ISA). */
  isa?: IsaName;
  /** Plans kept per session (one per input-shape signature). Default 16. */
  maxPlans?: number;
  /**
   * QDQ models (QuantizeLinear / DequantizeLinear around float ops): 'fuse' (default) runs them
   * as int8 ops (lib/graph/passes/qdq.ts); 'simulate' runs the float ops with the Q/DQ pairs as
   * written (fake quantization).
   */
  qdq?: 'fuse' | 'simulate';
  /** Folder of external data files when the model is given as bytes. */
  externalDataDir?: string;
  /**
   * Time every node of every run (read with profile()); also switched on for every session by the
   * environment variable QINT8_PROFILE=1. Off by default (a run then reads no clock).
   */
  enableProfiling?: boolean;
  /**
   * run() executes a plan whose previous run took at most this many microseconds on the calling
   * thread and returns a settled promise: for such a plan the async hop (a runner thread woken,
   * then the event loop) costs the event loop more than the run itself. Default 10; 0 = always hop;
   * Infinity = every run on the calling thread (what onnxruntime-node 1.30's run() does: a
   * setImmediate, then a synchronous run that blocks the event loop).
   */
  inlineRunMicros?: number;
  /**
   * Every other run() goes to one of qint8's runner threads (which spin for the next run, like the
   * pool's threads, before they sleep). A plan whose last run took at most this many microseconds
   * is then polled for its end on the event loop (setImmediate; other callbacks keep running
   * between polls, and each poll yields the core to a thread waiting for it) instead of the loop
   * sleeping until the runner wakes it, when a core is free for that: the run's threads plus the
   * runs already polling are fewer than the cores. On a VM whose idle vCPUs halt, waking a sleeping thread costs ~30 us or more;
   * polling costs the event loop's thread CPU time for the run's duration. A run still going
   * after twice this bound plus 100 us is then waited for. Default 1000; 0 = never poll.
   */
  pollRunMicros?: number;
  [other: string]: unknown;
}

export interface ValueMetadata {
  name: string;
  isTensor: true;
  type: TensorType;
  /** Dims: numbers, or names of symbolic dims bound at run time. */
  shape: (number | string)[];
}

export type FetchesType = readonly string[] | Record<string, Tensor | null>;

const TENSOR_TYPE: Partial<Record<DType, TensorType>> = {
  float32: 'float32',
  float64: 'float64',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  bool: 'bool',
  float16: 'float16',
};

const DATA_CTOR: Record<string, new (n: number) => OpData> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

function loadGraph(model: unknown, opts: SessionOptions): Graph {
  const imp: ImportOptions = {};
  if (opts.externalDataDir !== undefined) imp.baseDir = String(opts.externalDataDir);
  if (typeof model === 'string') return loadModel(model, imp);
  if (model instanceof Uint8Array) return importModel(model, imp);
  if (model instanceof ArrayBuffer) return importModel(new Uint8Array(model), imp);
  if (model instanceof Graph) return model.clone();
  throw new TypeError(`model must be a file path, a Uint8Array / ArrayBuffer of ONNX bytes, or a Graph, got ${typeName(model)}`);
}

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  /** The engine graph (optimised, channels-last) that runs. */
  readonly graph: Graph;
  private readonly compiled: CompiledGraph;
  private readonly maxThreads: number;
  private readonly inlineNs: number;
  private readonly pollNs: number;
  private readonly inputIndex: Set<string>;
  private readonly outputIndex: Map<string, number>;
  private releasedFlag = false;

  private constructor(graph: Graph, opts: SessionOptions) {
    const level = opts.graphOptimizationLevel ?? 'all';
    if (!['disabled', 'basic', 'extended', 'layout', 'all'].includes(level))
      throw new TypeError(`graphOptimizationLevel must be 'disabled', 'basic', 'extended' or 'all', got ${String(level)}`);
    const isa = opts.isa === undefined ? undefined : checkIsa(opts.isa);
    this.maxThreads = opts.intraOpNumThreads === undefined || opts.intraOpNumThreads === 0 ? 0 : checkSize(opts.intraOpNumThreads, 'intraOpNumThreads');
    const inlineUs = opts.inlineRunMicros ?? 10;
    if (typeof inlineUs !== 'number' || !(inlineUs >= 0))
      throw new RangeError(`inlineRunMicros must be a number >= 0 (or Infinity), got ${String(inlineUs)}`);
    this.inlineNs = inlineUs * 1000;
    const pollUs = opts.pollRunMicros ?? 1000;
    if (typeof pollUs !== 'number' || !(pollUs >= 0 && pollUs <= 1e6))
      throw new RangeError(`pollRunMicros must be a number in [0, 1000000], got ${String(pollUs)}`);
    this.pollNs = pollUs * 1000;
    const meta = (name: string, dtype: DType | undefined, shape: (number | string)[] | undefined): ValueMetadata => ({
      name,
      isTensor: true,
      type: (dtype && TENSOR_TYPE[dtype]) ?? 'float32',
      shape: shape ?? [],
    });
    inferShapes(graph);
    this.inputNames = graph.inputs.map((v) => v.name);
    this.outputNames = graph.outputs.map((v) => v.name);
    this.inputIndex = new Set(this.inputNames);
    this.outputIndex = new Map(this.outputNames.map((n, j) => [n, j]));
    this.inputMetadata = graph.inputs.map((v) => meta(v.name, v.dtype, v.shape));
    this.outputMetadata = graph.outputs.map((v) => meta(v.name, graph.info(v.name).dtype, graph.info(v.name).shape));
    const qdq = opts.qdq ?? 'fuse';
    if (qdq !== 'fuse' && qdq !== 'simulate') throw new TypeError(`qdq must be 'fuse' or 'simulate', got ${String(qdq)}`);
    if (hasQdq(graph)) {
      removeIdentity(graph);
      if (qdq === 'fuse') fuseQdq(graph);
      else foldQdqConstants(graph);
    }
    if (level !== 'disabled') optimize(graph);
    planLayout(graph);
    if (level !== 'disabled') fuseExpandDepthwise(graph);
    inferShapes(graph);
    this.graph = graph;
    const profiling = opts.enableProfiling === undefined ? process.env.QINT8_PROFILE === '1' : opts.enableProfiling;
    if (typeof profiling !== 'boolean') throw new TypeError(`enableProfiling must be a boolean, got ${typeName(profiling)}`);
    this.compiled = new CompiledGraph(graph, { isa, maxPlans: opts.maxPlans, profiling });
  }

  /** Loads, optimises and compiles a model (path, ONNX bytes, or a Graph). */
  static async create(model: string | Uint8Array | ArrayBuffer | Graph, options: SessionOptions = {}): Promise<InferenceSession> {
    if (!isObject(options)) throw new TypeError(`options must be an object, got ${typeName(options)}`);
    if (typeof model !== 'string') return new InferenceSession(loadGraph(model, options), options);
    // Read the file without blocking the event loop, then import as loadModel would.
    let bytes: Uint8Array;
    try {
      bytes = await fs.promises.readFile(model);
    } catch (e) {
      throw new OnnxImportError(`cannot read ONNX model '${model}': ${(e as Error).message}`);
    }
    const baseDir = options.externalDataDir !== undefined ? String(options.externalDataDir) : path.dirname(path.resolve(model));
    return new InferenceSession(importModel(bytes, { baseDir }), options);
  }

  /** create() without the promise (worker threads, scripts). */
  static createSync(model: string | Uint8Array | ArrayBuffer | Graph, options: SessionOptions = {}): InferenceSession {
    if (!isObject(options)) throw new TypeError(`options must be an object, got ${typeName(options)}`);
    return new InferenceSession(loadGraph(model, options), options);
  }

  private prepare(feeds: unknown, fetches: unknown) {
    if (this.releasedFlag) throw new TypeError('the session was released');
    if (!isObject(feeds)) throw new TypeError(`feeds must be an object of input name -> Tensor, got ${typeName(feeds)}`);
    const inputs: OpData[] = [];
    const shapes: (readonly number[])[] = [];
    for (let i = 0; i < this.inputNames.length; i++) {
      const name = this.inputNames[i];
      const t = (feeds as Record<string, unknown>)[name];
      if (t === undefined) throw new TypeError(`input '${name}' is missing from the feeds (inputs: ${this.inputNames.join(', ')})`);
      if (!(t instanceof Tensor) && !isTensorLike(t)) throw new TypeError(`feed '${name}' must be a Tensor, got ${typeName(t)}`);
      const want = this.compiled.inputTypes[i];
      const type = (t as Tensor).type;
      if (type !== want) throw new TypeError(`input '${name}' must be a ${want} tensor, got ${type}`);
      inputs.push((t as Tensor).data as OpData);
      shapes.push((t as Tensor).dims); // read, never kept: planFor copies the shapes it caches
    }
    for (const k in feeds as object)
      if (!this.inputIndex.has(k)) throw new TypeError(`'${k}' is not an input of the model (inputs: ${this.inputNames.join(', ')})`);
    let wanted = this.outputNames as readonly string[];
    let preset: Record<string, Tensor | null> = {};
    if (Array.isArray(fetches)) {
      for (const f of fetches) if (!this.outputNames.includes(f)) throw new TypeError(`'${String(f)}' is not an output of the model (outputs: ${this.outputNames.join(', ')})`);
      wanted = fetches as string[];
    } else if (isObject(fetches) && Object.values(fetches).every((v) => v === null || v instanceof Tensor)) {
      for (const f of Object.keys(fetches)) if (!this.outputNames.includes(f)) throw new TypeError(`'${f}' is not an output of the model (outputs: ${this.outputNames.join(', ')})`);
      wanted = Object.keys(fetches);
      preset = fetches as Record<string, Tensor | null>;
    }
    let cp;
    try {
      cp = this.compiled.planFor(shapes);
    } catch (e) {
      throw new RangeError(`cannot run the model on inputs of shapes ${shapes.map((s) => `[${s.join(', ')}]`).join(', ')}: ${(e as Error).message}`);
    }
    const outputs: OpData[] = this.outputNames.map((name, j) => {
      const shape = cp.outputShapes[j];
      const type = this.compiled.outputTypes[j];
      const len = shape.reduce((a, b) => a * b, 1);
      const p = preset[name];
      if (p) {
        if (p.type !== type) throw new TypeError(`output '${name}' is ${type}, the fetch tensor is ${p.type}`);
        if (p.size !== len) throw new RangeError(`output '${name}' has ${len} elements, the fetch tensor ${p.size}`);
        return p.data as OpData;
      }
      return new DATA_CTOR[type](len);
    });
    for (const [j, pt] of cp.passthrough) {
      const src = pt.from === 'input' ? inputs[pt.index] : (this.graph.constants.get(pt.name)!.data as OpData);
      (outputs[j] as unknown as { set(a: ArrayLike<unknown>): void }).set(src as ArrayLike<unknown>);
    }
    // The plan does not write pass-through outputs (it expects empty buffers for them).
    const planOutputs = cp.passthrough.size ? outputs.map((o, j) => (cp.passthrough.has(j) ? new Uint8Array(0) : o)) : outputs;
    return { cp, inputs, outputs, planOutputs, wanted };
  }

  private result(cp: { outputShapes: number[][] }, outputs: OpData[], wanted: readonly string[]): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const name of wanted) {
      const j = this.outputIndex.get(name)!;
      out[name] = new Tensor(this.compiled.outputTypes[j] as TensorType, outputs[j] as never, cp.outputShapes[j]);
    }
    return out;
  }

  /**
   * Runs the model off the event loop (one async hop; a plan whose last run took at most
   * inlineRunMicros runs on the calling thread). fetches: output names or preallocated tensors.
   */
  async run(feeds: Record<string, Tensor>, fetches?: FetchesType | Record<string, unknown>, _options?: Record<string, unknown>): Promise<Record<string, Tensor>> {
    const p = this.prepare(feeds, fetches);
    const pollNs = this.pollNs > 0 && canPoll(this.maxThreads) ? this.pollNs : 0;
    const r = p.cp.plan.runAsync(p.inputs, p.planOutputs, this.maxThreads, this.inlineNs, pollNs);
    // p (the input and output arrays) stays referenced until the run has ended.
    if (r instanceof Promise) await r;
    else await pollRun(r, 2 * pollNs + 100_000);
    return this.result(p.cp, p.outputs, p.wanted);
  }

  /** Runs the model on the calling thread (for worker threads and scripts). */
  runSync(feeds: Record<string, Tensor>, fetches?: FetchesType): Record<string, Tensor> {
    const p = this.prepare(feeds, fetches);
    p.cp.plan.run(p.inputs, p.planOutputs, this.maxThreads);
    return this.result(p.cp, p.outputs, p.wanted);
  }

  async release(): Promise<void> {
    this.releaseSync();
  }

  releaseSync(): void {
    if (this.releasedFlag) return;
    this.releasedFlag = true;
    this.compiled.release();
  }

  /**
   * Per-node wall time summed over the runs since the plan was made (or the last reset), one row
   * per node and input-shape signature, slowest first; [] unless profiling is on
   * (enableProfiling or QINT8_PROFILE=1). Times include waiting for the thread pool.
   */
  profile(reset = false): NodeProfile[] {
    if (this.releasedFlag) throw new TypeError('the session was released');
    return this.compiled.profile(reset);
  }

  /** Ends profiling (onnxruntime API; the profile stays readable with profile()). */
  endProfiling(): void {}
}

// Runs being polled on the event loop. A run is polled only when a core is left for the polling
// thread besides the polled runs' threads: sharing a core with them (even yielding at each poll)
// slowed a model of many small parallel regions (docs/ARCHITECTURE.md, "Runner threads").
let pollingRuns = 0;
let cores = 0;

function canPoll(maxThreads: number): boolean {
  if (!cores) cores = defaultThreads();
  const pool = native().getNumThreads();
  const threads = maxThreads > 0 ? Math.min(maxThreads, pool) : pool;
  return threads + pollingRuns + 1 <= cores;
}

/**
 * Polls a runner-thread run every event-loop turn (setImmediate) for budgetNs, then waits for it
 * (the runner settles a promise through the loop: the core is released).
 * @internal exported for tests
 */
export function pollRun(ticket: RunTicket, budgetNs: number): Promise<void> {
  pollingRuns++;
  const until = performance.now() + budgetNs / 1e6;
  return new Promise<void>((resolve, reject) => {
    const step = (): void => {
      let state: number;
      try {
        state = EnginePlan.ticketState(ticket);
      } catch (e) {
        pollingRuns--;
        reject(e);
        return;
      }
      if (state === 0 && performance.now() < until) {
        setImmediate(step);
        return;
      }
      pollingRuns--;
      if (state !== 0) resolve();
      else EnginePlan.ticketWait(ticket).then(resolve, reject);
    };
    setImmediate(step);
  });
}

function isTensorLike(t: unknown): boolean {
  return isObject(t) && typeof (t as { type?: unknown }).type === 'string' && ArrayBuffer.isView((t as { data?: unknown }).data) && Array.isArray((t as { dims?: unknown }).dims);
}
