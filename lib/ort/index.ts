// Drop-in for code written against onnxruntime:
//  - registerOrtBackend(ort) registers qint8 as an onnxruntime-common backend, so
//    ort.InferenceSession.create(model, { executionProviders: ['qint8'] }) runs on qint8;
//  - installAsOnnxRuntime() sets globalThis[Symbol.for('onnxruntime')] to an onnxruntime-shaped
//    module (InferenceSession, Tensor, env), which transformers.js picks up before importing
//    onnxruntime itself.
import { InferenceSession, type SessionOptions } from '../session';
import { Tensor, type TensorType } from '../tensor';
import { typeName } from '../check';

/** The part of an onnxruntime tensor the handler reads. */
interface OrtTensorLike {
  type: string;
  data: unknown;
  dims: readonly number[];
}

/** onnxruntime-common's InferenceSessionHandler, implemented on a qint8 session. */
export class Qint8SessionHandler {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: InferenceSession['inputMetadata'];
  readonly outputMetadata: InferenceSession['outputMetadata'];
  constructor(private readonly session: InferenceSession) {
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
    this.inputMetadata = session.inputMetadata;
    this.outputMetadata = session.outputMetadata;
  }

  async run(feeds: Record<string, OrtTensorLike>, fetches: Record<string, OrtTensorLike | null>, _options?: unknown): Promise<Record<string, OrtTensorLike>> {
    const mine: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(feeds)) mine[k] = t instanceof Tensor ? t : new Tensor(t.type as TensorType, t.data as never, t.dims);
    const names = Object.keys(fetches ?? {});
    const out = await this.session.run(mine, names.length ? names : undefined);
    // onnxruntime-common wraps plain {type, data, dims} results into its own Tensor class.
    const res: Record<string, OrtTensorLike> = {};
    for (const [k, t] of Object.entries(out)) res[k] = { type: t.type, data: t.data, dims: t.dims.slice() };
    return res;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }

  startProfiling(): void {}
  endProfiling(): void {}
}

/** The backend object onnxruntime-common's registerBackend() takes. */
export const qint8Backend = {
  async init(_name?: string): Promise<void> {},
  async createInferenceSessionHandler(uriOrBuffer: string | Uint8Array, options?: Record<string, unknown>): Promise<Qint8SessionHandler> {
    const opts: SessionOptions = {};
    if (options && typeof options.intraOpNumThreads === 'number') opts.intraOpNumThreads = options.intraOpNumThreads;
    if (options && typeof options.graphOptimizationLevel === 'string') opts.graphOptimizationLevel = options.graphOptimizationLevel as SessionOptions['graphOptimizationLevel'];
    return new Qint8SessionHandler(await InferenceSession.create(uriOrBuffer, opts));
  },
};

interface OrtModuleLike {
  registerBackend(name: string, backend: unknown, priority: number): void;
}

/**
 * Registers qint8 with an onnxruntime module (onnxruntime-node, -web or -common: they share
 * onnxruntime-common's registry). Pass the module your code imports, so both use one registry.
 * Priority below onnxruntime's own CPU backend by default: qint8 runs when asked for by name
 * (executionProviders: ['qint8']).
 */
export function registerOrtBackend(ort: OrtModuleLike, opts: { name?: string; priority?: number } = {}): void {
  if (!ort || typeof ort.registerBackend !== 'function')
    throw new TypeError(`registerOrtBackend needs an onnxruntime module (with registerBackend), got ${typeName(ort)}`);
  ort.registerBackend(opts.name ?? 'qint8', qint8Backend, opts.priority ?? -1);
}

/** An onnxruntime-shaped module backed by qint8. */
export const onnxruntimeCompat = Object.freeze({
  InferenceSession,
  Tensor,
  env: { versions: { qint8: require('../../package.json').version as string }, logLevel: 'warning' as const },
});

/** Makes transformers.js (and any code that looks there) use qint8 as its onnxruntime. */
export function installAsOnnxRuntime(): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = onnxruntimeCompat;
}
