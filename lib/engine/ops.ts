// Direct access to the engine's registered native ops, one op at a time (tests, tools). The graph
// engine creates and runs the same ops through the plan executor.
import { native } from '../native';
import type { IsaName } from '../runtime';

/** Element type codes (native/include/qint8/tensor.h ElemType). */
export const ElemType = { float32: 0, uint8: 1, int8: 2, int32: 3, int64: 4, bool: 5, float64: 6 } as const;
export type ElemTypeName = keyof typeof ElemType;

export type TensorData = Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array | Float64Array;

export interface OpTensor {
  type: ElemTypeName;
  shape: readonly number[];
  data: TensorData;
}

/** A runtime (non-constant) input whose element type is known when the op is created. */
export interface RuntimeInput {
  type: ElemTypeName;
  runtime: true;
}

/** Attribute values: numbers (integral -> int), number arrays, strings, or explicit kinds. */
export type AttrValue =
  | number
  | string
  | readonly number[]
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'tensor'; value: OpTensor };

interface NativeOps {
  createOp(domain: string, name: string, attrs: Record<string, unknown>, inputs: unknown[], isa?: string): object;
  runOp(op: object, inputs: unknown[], outputs: unknown[], maxThreads?: number): void;
  registeredOps(): string[];
}

const ops = (): NativeOps => native() as unknown as NativeOps;

function encode(t: OpTensor | RuntimeInput | undefined | null): unknown {
  if (t === undefined || t === null) return t;
  if ('runtime' in t) return { type: ElemType[t.type] };
  return { type: ElemType[t.type], shape: t.shape, data: t.data };
}

function encodeAttrs(attrs: Record<string, AttrValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { kind?: string }).kind === 'tensor')
      out[k] = { kind: 'tensor', value: encode((v as { value: OpTensor }).value) };
    else out[k] = v;
  }
  return out;
}

export class EngineOp {
  /** @internal */ readonly handle: object;
  readonly domain: string;
  readonly name: string;
  /** @internal */ constructor(handle: object, domain: string, name: string) {
    this.handle = handle;
    this.domain = domain;
    this.name = name;
  }
  /** Runs the op; outputs must be allocated with their final shapes. */
  run(inputs: (OpTensor | undefined)[], outputs: OpTensor[], maxThreads?: number): void {
    ops().runOp(this.handle, inputs.map(encode), outputs.map(encode), maxThreads);
  }
}

/**
 * Creates a native op. inputs: one entry per node input — the tensor if it is constant (weights
 * are packed now), null (or {type, runtime: true} when its element type is known) if it is a
 * runtime input, undefined if the optional input is omitted.
 */
export function createOp(
  domain: string,
  name: string,
  attrs: Record<string, AttrValue>,
  inputs: (OpTensor | RuntimeInput | null | undefined)[],
  isa?: IsaName,
): EngineOp {
  return new EngineOp(ops().createOp(domain, name, encodeAttrs(attrs), inputs.map(encode), isa), domain, name);
}

export function registeredOps(): string[] {
  return ops().registeredOps();
}
