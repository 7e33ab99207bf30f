// onnxruntime-node, the float / int8 reference the demo and `qint8 bench` compare against. It is a
// devDependency: loaded only when present, with the few calls used here typed locally.

export interface OrtTensor {
  type: string;
  data: ArrayLike<number | bigint>;
  dims: readonly number[];
}

export interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtModule {
  InferenceSession: { create(model: string | Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: ArrayBufferView, dims: readonly number[]) => OrtTensor;
  env: { versions?: { common?: string } };
}

export const ORT_MISSING = 'onnxruntime-node is not installed, so there is nothing to compare with (npm install onnxruntime-node to compare)';

/** onnxruntime-node when installed, else undefined. */
export function loadOnnxruntime(): OrtModule | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('onnxruntime-node') as OrtModule;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

export function ortVersion(ort: OrtModule): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return ort.env?.versions?.common ?? '?';
  }
}

/**
 * Session options matching a qint8 session for timing: `threads` intra-op threads, sequential
 * execution, and spinning off (idle workers sleep instead of busy-waiting on a shared machine).
 */
export function ortOptions(threads: number): Record<string, unknown> {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}
