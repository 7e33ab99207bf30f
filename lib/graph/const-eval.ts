// Compile-time evaluation of ops on constant tensors (constant folding). Runs once per model, not
// per inference. Only ops whose result is exactly defined are evaluated here (IEEE +, -, *, /,
// sqrt in the tensor's own precision, comparisons, integer and data-movement ops), so a folded
// constant is bit-identical to what any correct engine would compute at run time; transcendental
// ops (Exp, Erf, Tanh, ...) are left to the engine.
import { type DType, type Tensor, type TensorData, CTOR, getNum, isBig, makeTensor, numel, setElem } from './tensor';

export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** Numpy-style broadcast of concrete shapes; undefined when incompatible. */
export function broadcastConcrete(shapes: readonly (readonly number[])[]): number[] | undefined {
  const r = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(r).fill(1);
  for (const s of shapes)
    for (let i = 0; i < s.length; i++) {
      const j = r - s.length + i;
      const d = s[i];
      if (out[j] === 1) out[j] = d;
      else if (d !== 1 && d !== out[j]) return undefined;
    }
  return out;
}

/** For each output index, the flat index into an input of shape `dims` broadcast to `out`. */
function broadcastIndex(dims: readonly number[], out: readonly number[]): Int32Array | null {
  const n = numel(out);
  if (dims.length === out.length && dims.every((d, i) => d === out[i])) return null;
  const idx = new Int32Array(n);
  const r = out.length;
  const st = strides(dims);
  const ost = strides(out);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = 0;
    for (let a = 0; a < r; a++) {
      const c = Math.floor(rem / ost[a]);
      rem -= c * ost[a];
      const ia = a - (r - dims.length);
      if (ia >= 0 && dims[ia] !== 1) off += c * st[ia];
    }
    idx[i] = off;
  }
  return idx;
}

type Scalar = number | bigint;

/** Elementwise op over broadcast inputs; `fn` gets raw element values (bigint for int64). */
export function elementwise(inputs: readonly Tensor[], outType: DType, fn: (...v: Scalar[]) => Scalar): Tensor {
  const out = broadcastConcrete(inputs.map((t) => t.dims));
  if (!out) throw new RangeError(`cannot broadcast ${inputs.map((t) => `[${t.dims}]`).join(' and ')}`);
  const n = numel(out);
  const res = makeTensor(outType, out);
  const idx = inputs.map((t) => broadcastIndex(t.dims, out));
  const vals = new Array<Scalar>(inputs.length);
  const read = inputs.map((t) => (t.dtype === 'float16' || t.dtype === 'bfloat16' ? (i: number) => getNum(t, i) : (i: number) => t.data[i]));
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) {
      const m = idx[k];
      vals[k] = read[k](m ? m[i] : i);
    }
    setElem(res.data, outType, i, fn(...vals));
  }
  return res;
}

/** Rounds an arithmetic result to the tensor type (float32 rounding, integer wrap-around). */
export function rounder(d: DType): (v: number) => number {
  if (d === 'float32') return Math.fround;
  return (v) => v;
}

/** a op b for numeric tensors of one dtype, exact in that dtype (or undefined if not exact). */
export function arith(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: Tensor, b: Tensor): Tensor | undefined {
  const d = a.dtype;
  if (d !== b.dtype) return undefined;
  if (isBig(d)) {
    const f = {
      Add: (x: bigint, y: bigint) => x + y,
      Sub: (x: bigint, y: bigint) => x - y,
      Mul: (x: bigint, y: bigint) => x * y,
      Div: (x: bigint, y: bigint) => (y === 0n ? 0n : x / y),
    }[op];
    if (op === 'Div' && hasZero(b)) return undefined;
    const t = elementwise([a, b], d, (x, y) => f(x as bigint, y as bigint));
    // Wrap to 64 bits like the hardware would.
    const w = t.data as BigInt64Array;
    for (let i = 0; i < w.length; i++) w[i] = d === 'int64' ? BigInt.asIntN(64, w[i]) : BigInt.asUintN(64, w[i]);
    return t;
  }
  if (d === 'float32' || d === 'float64') {
    // A float32 +, -, *, / computed in double and rounded once to float32 is the correctly rounded
    // float32 result (double has more than 2 * 24 + 2 significand bits).
    const f = {
      Add: (x: number, y: number) => x + y,
      Sub: (x: number, y: number) => x - y,
      Mul: (x: number, y: number) => x * y,
      Div: (x: number, y: number) => x / y,
    }[op];
    return elementwise([a, b], d, (x, y) => f(x as number, y as number));
  }
  if (d === 'int32' || d === 'int8' || d === 'uint8' || d === 'int16' || d === 'uint16' || d === 'uint32') {
    if (op === 'Div' && hasZero(b)) return undefined;
    const f = {
      Add: (x: number, y: number) => x + y,
      Sub: (x: number, y: number) => x - y,
      Mul: (x: number, y: number) => (d === 'int32' || d === 'uint32' ? Math.imul(x, y) : x * y),
      Div: (x: number, y: number) => Math.trunc(x / y),
    }[op];
    return elementwise([a, b], d, (x, y) => f(x as number, y as number)); // typed-array store wraps
  }
  return undefined;
}

function hasZero(t: Tensor): boolean {
  for (let i = 0; i < t.data.length; i++) if (Number(t.data[i]) === 0) return true;
  return false;
}

/** Moves data: out[i] = in[src(i)]. */
export function gatherFlat(t: Tensor, dims: number[], src: (i: number) => number): Tensor {
  const n = numel(dims);
  const data = new CTOR[t.dtype](n) as TensorData;
  const s = t.data as unknown as { [i: number]: Scalar };
  const d = data as unknown as { [i: number]: Scalar };
  for (let i = 0; i < n; i++) d[i] = s[src(i)];
  return { dtype: t.dtype, dims, data };
}

export function transposeTensor(t: Tensor, perm: readonly number[]): Tensor {
  const dims = perm.map((p) => t.dims[p]);
  const ist = strides(t.dims);
  const ost = strides(dims);
  const r = dims.length;
  return gatherFlat(t, dims, (i) => {
    let rem = i;
    let off = 0;
    for (let a = 0; a < r; a++) {
      const c = Math.floor(rem / ost[a]);
      rem -= c * ost[a];
      off += c * ist[perm[a]];
    }
    return off;
  });
}

/** Slices with already normalised (clamped) starts/ends/steps per axis of the full rank. */
export function sliceTensor(t: Tensor, starts: number[], steps: number[], dims: number[]): Tensor {
  const ist = strides(t.dims);
  const ost = strides(dims);
  const r = dims.length;
  return gatherFlat(t, dims, (i) => {
    let rem = i;
    let off = 0;
    for (let a = 0; a < r; a++) {
      const c = Math.floor(rem / ost[a]);
      rem -= c * ost[a];
      off += (starts[a] + c * steps[a]) * ist[a];
    }
    return off;
  });
}

export function concatTensors(ts: readonly Tensor[], axis: number): Tensor {
  const dims = ts[0].dims.slice();
  dims[axis] = ts.reduce((s, t) => s + t.dims[axis], 0);
  const outer = numel(dims.slice(0, axis));
  const res = makeTensor(ts[0].dtype, dims);
  const d = res.data as unknown as { [i: number]: Scalar };
  let off = 0;
  for (let o = 0; o < outer; o++)
    for (const t of ts) {
      const chunk = numel(t.dims.slice(axis));
      const s = t.data as unknown as { [i: number]: Scalar };
      for (let j = 0; j < chunk; j++) d[off++] = s[o * chunk + j];
    }
  return res;
}

export function castTensor(t: Tensor, to: DType): Tensor | undefined {
  if (t.dtype === to) return t;
  const n = t.data.length;
  const out = makeTensor(to, t.dims.slice());
  const toBig = isBig(to);
  for (let i = 0; i < n; i++) {
    const raw = t.data[i];
    let v: number | bigint;
    if (typeof raw === 'bigint') {
      if (toBig) v = to === 'int64' ? BigInt.asIntN(64, raw) : BigInt.asUintN(64, raw);
      else if (to === 'bool') v = raw !== 0n ? 1 : 0;
      else if (to === 'float32' || to === 'float64' || to === 'float16' || to === 'bfloat16') v = Number(raw);
      else v = Number(BigInt.asIntN(32, raw)); // typed-array store wraps further
    } else {
      const x = getNum(t, i);
      if (to === 'bool') v = x !== 0 ? 1 : 0;
      else if (to === 'float32' || to === 'float64' || to === 'float16' || to === 'bfloat16') v = x;
      else {
        // float -> int: truncation toward zero; out-of-range values are implementation-defined in
        // C++, so they are not folded.
        if (!Number.isFinite(x)) return undefined;
        const tr = Math.trunc(x);
        const lim = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535], int32: [-2147483648, 2147483647], uint32: [0, 4294967295], int64: [-(2 ** 63), 2 ** 63 - 1], uint64: [0, 2 ** 64 - 1] }[to as 'int8'];
        if (t.dtype !== 'bool' && (t.dtype.startsWith('float') || t.dtype === 'bfloat16') && (tr < lim[0] || tr > lim[1])) return undefined;
        v = toBig ? BigInt(tr) : tr;
      }
    }
    setElem(out.data, to, i, v);
  }
  return out;
}
