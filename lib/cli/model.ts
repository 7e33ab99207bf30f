// Model files for the commands: read with a clear message for missing files and non-ONNX bytes;
// node counts of a (quantized) graph by where they compute.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Graph } from '../graph/ir';
import { inferShapes } from '../graph/infer';
import { hasQdq, fuseQdq } from '../graph/passes/qdq';
import { importModel } from '../onnx/import';
import { CliError } from './args';

/** The bytes of a file, or a CliError naming it. */
export function readFileChecked(file: string, what: string): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new CliError(`${what} ${file} does not exist`);
  }
  if (st.isDirectory()) throw new CliError(`${what} ${file} is a folder, not a file`);
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new CliError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

/** Imports an ONNX file (external data resolved next to it). */
export function loadGraphFile(file: string): { graph: Graph; bytes: number } {
  const bytes = readFileChecked(file, 'model');
  try {
    return { graph: importModel(bytes, { baseDir: path.dirname(path.resolve(file)) }), bytes: bytes.length };
  } catch (e) {
    throw new CliError(`${file}: ${(e as Error).message}`);
  }
}

/** Checks that the folder of an output file exists (before any long work). */
export function checkWritable(file: string, flag: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new CliError(`${flag} ${file}: folder ${dir} does not exist`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new CliError(`${flag} ${file} is a folder`);
}

export interface OpCounts {
  /** Nodes reading or writing int8 / uint8 tensors (QLinearConv, QLinearMatMul, int8 pools, ...). */
  int8: Map<string, number>;
  /** Nodes computing in float. */
  float: Map<string, number>;
  /** QuantizeLinear / DequantizeLinear left at the int8 regions' borders. */
  qdq: number;
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/**
 * Where each node of a model computes once the QDQ pairs are fused (what InferenceSession runs,
 * before its layout pass): int8 when it reads or writes an 8-bit integer tensor, else float.
 */
export function countOps(graph: Graph): OpCounts {
  const g = graph.clone();
  if (hasQdq(g)) fuseQdq(g);
  inferShapes(g);
  const r: OpCounts = { int8: new Map(), float: new Map(), qdq: 0 };
  const dtypeOf = (v: string) => (g.constants.get(v)?.dtype ?? g.info(v).dtype) as string | undefined;
  for (const n of g.nodes) {
    if ((n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear') && n.domain === '') {
      r.qdq++;
      continue;
    }
    const eight = [...n.inputs, ...n.outputs].some((v) => v !== '' && (dtypeOf(v) === 'int8' || dtypeOf(v) === 'uint8'));
    bump(eight ? r.int8 : r.float, n.opType);
  }
  return r;
}

export function describeCounts(m: Map<string, number>): string {
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  if (!total) return '0';
  const parts = [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, v]) => (v > 1 ? `${v} ${k}` : k));
  return `${total} (${parts.join(', ')})`;
}
