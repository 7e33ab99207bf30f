// Typed surface of the binding functions of the int8 op set (native/napi/{binary,lut,pool,resize,
// structural,dynquant}.cc). Kept apart from lib/native.ts so that op families land side by side.
import { type NativeDType, native } from '../native';

type QArray = Uint8Array | Int8Array;

export interface OpsBinding {
  binary<T extends QArray>(
    op: 0 | 1,
    dtype: NativeDType,
    a: QArray,
    aShape: number[],
    b: QArray,
    bShape: number[],
    aScale: number,
    aZeroPoint: number,
    bScale: number,
    bZeroPoint: number,
    cScale: number,
    cZeroPoint: number,
    relu: boolean,
    out: T,
    isa?: string,
  ): T;
  lutBuild(fn: number, alpha: number, beta: number, inType: NativeDType, inScale: number, inZeroPoint: number, outType: NativeDType, outScale: number, outZeroPoint: number): Uint8Array;
  lutInputs(inType: NativeDType, inScale: number, inZeroPoint: number): Float32Array;
  lutQuantize(values: Float32Array, outType: NativeDType, outScale: number, outZeroPoint: number): Uint8Array;
  lutApply<T extends QArray>(table: Uint8Array, x: QArray, out: T, isa?: string): T;
  poolPlan(geometry: number[]): [number, number, number, number, number, number];
  maxPool2d<T extends QArray>(dtype: NativeDType, x: QArray, geometry: number[], out: T, isa?: string): T;
  averagePool2d<T extends QArray>(
    dtype: NativeDType,
    x: QArray,
    geometry: number[],
    inScale: number,
    inZeroPoint: number,
    outScale: number,
    outZeroPoint: number,
    out: T,
    isa?: string,
  ): T;
  globalAveragePool<T extends QArray>(
    dtype: NativeDType,
    x: QArray,
    n: number,
    hw: number,
    c: number,
    inScale: number,
    inZeroPoint: number,
    outScale: number,
    outZeroPoint: number,
    out: T,
    isa?: string,
  ): T;
  resizeOutputSize(input: number, scale: number): number;
  resize2d<T extends QArray>(
    dtype: NativeDType,
    x: QArray,
    geometry: number[],
    scaleH: number,
    scaleW: number,
    mode: number,
    coord: number,
    nearest: number,
    out: T,
    isa?: string,
  ): T;
  pad<T extends QArray>(x: QArray, shape: number[], begin: number[], end: number[], mode: number, value: number, out: T): T;
  concat<T extends QArray>(
    dtype: NativeDType,
    inputs: { data: QArray; shape: number[]; scale: number; zeroPoint: number }[],
    axis: number,
    outScale: number,
    outZeroPoint: number,
    out: T,
    isa?: string,
  ): T;
  dynamicQuantize(x: Float32Array, out: Uint8Array, isa?: string): [number, number];
}

export function opsNative(): OpsBinding {
  return native() as unknown as OpsBinding;
}
