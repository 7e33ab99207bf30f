// Symbolic dimension arithmetic for shape inference.
//
// A Dim is a number or a string. A string is a product of atoms and an integer coefficient in a
// canonical spelling: 'batch', 'batch*seq', '12*batch*seq'. Atoms are names (from the model's
// dim_params or made up by inference for unknowable dims) or parenthesised sums such as
// '(seq+1)', which are treated as opaque. Products and exact quotients of products simplify
// (batch*seq*768 / (batch*seq) = 768); anything else becomes a new opaque atom. That covers what
// exported graphs do with shapes: Flatten, Reshape with -1, Concat of Shape slices.

import type { Dim } from './ir';

interface Mono {
  c: number;
  atoms: string[];
}

function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === sep && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function mono(d: Dim): Mono {
  if (typeof d === 'number') return { c: d, atoms: [] };
  let c = 1;
  const atoms: string[] = [];
  for (const p of splitTop(d, '*')) {
    if (/^-?\d+$/.test(p)) c *= Number(p);
    else atoms.push(p);
  }
  atoms.sort();
  return { c, atoms };
}

function fromMono(m: Mono): Dim {
  if (m.c === 0) return 0;
  if (m.atoms.length === 0) return m.c;
  return (m.c === 1 ? [] : [String(m.c)]).concat(m.atoms).join('*');
}

export function isKnown(d: Dim | undefined): d is number {
  return typeof d === 'number';
}

export function mulDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  const x = mono(a);
  const y = mono(b);
  return fromMono({ c: x.c * y.c, atoms: x.atoms.concat(y.atoms).sort() });
}

export function prodDims(ds: readonly Dim[]): Dim {
  let p: Dim = 1;
  for (const d of ds) p = mulDims(p, d);
  return p;
}

/** a / b when it is exact; undefined otherwise. */
export function divDims(a: Dim, b: Dim): Dim | undefined {
  if (typeof a === 'number' && typeof b === 'number') return b !== 0 && a % b === 0 ? a / b : undefined;
  const x = mono(a);
  const y = mono(b);
  if (y.c === 0 || x.c % y.c !== 0) return undefined;
  const atoms = x.atoms.slice();
  for (const t of y.atoms) {
    const i = atoms.indexOf(t);
    if (i < 0) return undefined;
    atoms.splice(i, 1);
  }
  return fromMono({ c: x.c / y.c, atoms });
}

function wrap(d: Dim): string {
  return typeof d === 'string' && (d.includes('*') || d.includes('+') || d.includes('-')) && !/^\(.*\)$/.test(d) ? `(${d})` : String(d);
}

export function addDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  if (a === b) return mulDims(2, a);
  return `(${wrap(a)}+${wrap(b)})`;
}

export function subDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (b === 0) return a;
  if (a === b) return 0;
  return `(${wrap(a)}-${wrap(b)})`;
}

/** floor(a / b) for an arbitrary quotient (opaque when it does not simplify). */
export function floorDivDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return Math.floor(a / b);
  if (b === 1) return a;
  return divDims(a, b) ?? `(${wrap(a)}/${wrap(b)})`;
}

export function sameDim(a: Dim | undefined, b: Dim | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  const x = mono(a);
  const y = mono(b);
  return x.c === y.c && x.atoms.join('*') === y.atoms.join('*');
}

/** Replaces every atom bound in `env` and simplifies; returns a number when fully bound. */
export function substDim(d: Dim, env: ReadonlyMap<string, number>): Dim {
  if (typeof d === 'number') return d;
  const m = mono(d);
  let out: Dim = m.c;
  for (const a of m.atoms) {
    const v = env.get(a);
    if (v !== undefined) out = mulDims(out, v);
    else if (/^\(.*\)$/.test(a)) out = mulDims(out, substExpr(a.slice(1, -1), env));
    else out = mulDims(out, a);
  }
  return out;
}

function substExpr(e: string, env: ReadonlyMap<string, number>): Dim {
  for (const [op, f] of [
    ['+', addDims],
    ['-', subDims],
    ['/', floorDivDims],
  ] as const) {
    const parts = splitTop(e, op);
    if (parts.length === 2) return f(substDim(unwrap(parts[0]), env), substDim(unwrap(parts[1]), env));
  }
  // A product in parentheses.
  return splitTop(e, '*').length > 1 ? substDim(e, env) : `(${e})`;
}

function unwrap(s: string): Dim {
  return /^-?\d+$/.test(s) ? Number(s) : s;
}
