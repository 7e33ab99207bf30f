// The native model / plan objects (native/include/qint8/plan.h) seen from TypeScript: the
// graph compiler (lib/engine/compile.ts) fills a model with ops and constants once, then makes a
// plan per input-shape signature. Running a plan is one native call (or one async hop).
import { native } from '../native';
import type { IsaName } from '../runtime';
import { type AttrValue, ElemType, type ElemTypeName, type OpTensor, type RuntimeInput, type TensorData } from './ops';

export const ValueKind = { arena: 0, input: 1, output: 2, constant: 3 } as const;

export interface PlanValueSpec {
  kind: keyof typeof ValueKind;
  /** input / output / constant index (unused for arena values). */
  index: number;
  /** Byte offset in the arena, or into the input / output / constant buffer (views). */
  offset: number;
  type: ElemTypeName;
  shape: readonly number[];
}

export interface PlanStepSpec {
  op: number;
  /** Value indices; -1 for an omitted optional input. */
  inputs: number[];
  outputs: number[];
}

/** A run on a runner thread whose end the caller polls (EnginePlan.runAsync with pollNs). */
export type RunTicket = { readonly __runTicket: unique symbol };

interface NativePlanApi {
  createModel(): { readonly constantBytes: number; readonly opCount: number };
  modelAddOp(model: object, domain: string, name: string, attrs: Record<string, unknown>, inputs: unknown[], isa?: string, label?: string): number;
  modelAddConstant(model: object, t: unknown): number;
  createPlan(model: object, values: unknown[], steps: unknown[], arenaBytes: number, inputCount: number, outputCount: number): {
    readonly arenaBytes: number;
    readonly scratchBytes: number;
    release(): void;
  };
  runPlan(plan: object, inputs: TensorData[], outputs: TensorData[], maxThreads?: number): void;
  runPlanAsync(plan: object, inputs: TensorData[], outputs: TensorData[], maxThreads?: number, inlineNs?: number, pollNs?: number): Promise<TensorData[]> | RunTicket;
  runTicketState(ticket: RunTicket): number;
  runTicketWait(ticket: RunTicket): Promise<void>;
  planSetProfiling(plan: object, on: boolean): void;
  planProfile(plan: object, reset?: boolean): { runs: number; ns: Float64Array; cpuNs: Float64Array };
}

const api = (): NativePlanApi => native() as unknown as NativePlanApi;

function encodeTensor(t: OpTensor | RuntimeInput | null | undefined): unknown {
  if (t && 'runtime' in t) return { type: ElemType[t.type] };
  return t ? { type: ElemType[t.type], shape: t.shape, data: t.data } : t;
}

export class EngineModel {
  /** @internal */ readonly handle = api().createModel();

  /** Adds a native op; inputs as in createOp (tensor = constant, null = runtime, undefined = omitted). */
  addOp(domain: string, name: string, attrs: Record<string, AttrValue>, inputs: (OpTensor | RuntimeInput | null | undefined)[], isa?: IsaName, label?: string): number {
    const a: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(attrs)) {
      a[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { kind?: string }).kind === 'tensor'
        ? { kind: 'tensor', value: encodeTensor((v as { value: OpTensor }).value) }
        : v;
    }
    return api().modelAddOp(this.handle, domain, name, a, inputs.map(encodeTensor), isa, label);
  }

  addConstant(t: OpTensor): number {
    return api().modelAddConstant(this.handle, encodeTensor(t));
  }

  get constantBytes(): number {
    return this.handle.constantBytes;
  }

  /**
   * Drops this handle's reference to the native model (ops, packed weights, constants): freed
   * now unless a plan still holds it (plans keep their model alive, runs in flight their plan).
   */
  release(): void {
    (this.handle as unknown as { release(): void }).release();
  }
}

export class EnginePlan {
  /** @internal */ readonly handle: ReturnType<NativePlanApi['createPlan']>;
  constructor(model: EngineModel, values: PlanValueSpec[], steps: PlanStepSpec[], arenaBytes: number, inputCount: number, outputCount: number) {
    this.handle = api().createPlan(
      model.handle,
      values.map((v) => ({ kind: ValueKind[v.kind], index: v.index, offset: v.offset, type: ElemType[v.type], shape: v.shape })),
      steps,
      arenaBytes,
      inputCount,
      outputCount,
    );
  }
  get arenaBytes(): number {
    return this.handle.arenaBytes;
  }
  get scratchBytes(): number {
    return this.handle.scratchBytes;
  }
  /** maxThreads: 0 / undefined = the whole pool. */
  run(inputs: TensorData[], outputs: TensorData[], maxThreads?: number): void {
    api().runPlan(this.handle, inputs, outputs, maxThreads);
  }
  /**
   * Runs on a worker thread; a plan whose previous run took at most inlineNs nanoseconds runs on
   * the calling thread instead (the promise is then already settled). 0 / undefined: always hop.
   * With pollNs, a plan whose previous run took at most that long (and more than inlineNs) runs on
   * a runner thread and a ticket is returned instead of a promise: poll it with ticketState, and
   * keep `inputs` and `outputs` referenced until it reports the end.
   */
  runAsync(inputs: TensorData[], outputs: TensorData[], maxThreads?: number, inlineNs?: number, pollNs?: number): Promise<TensorData[]> | RunTicket {
    return api().runPlanAsync(this.handle, inputs, outputs, maxThreads, inlineNs, pollNs);
  }
  /** 0 while the ticket's run is going, 1 once it has ended; throws the run's error if it failed. */
  static ticketState(ticket: RunTicket): number {
    return api().runTicketState(ticket);
  }
  /** A promise settled when the ticket's run ends (at once if it has); rejects with its error. */
  static ticketWait(ticket: RunTicket): Promise<void> {
    return api().runTicketWait(ticket);
  }
  /** Opt-in per-step timing (off: a run reads no clock). */
  setProfiling(on: boolean): void {
    api().planSetProfiling(this.handle, on);
  }
  /** Nanoseconds per step summed over the profiled runs (wall; calling thread's CPU), and their count. */
  profile(reset = false): { runs: number; ns: Float64Array; cpuNs: Float64Array } {
    return api().planProfile(this.handle, reset);
  }
  release(): void {
    this.handle.release();
  }
}
