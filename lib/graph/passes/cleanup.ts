// Cleanup passes: Identity/Dropout removal and dead-code elimination.
import type { Graph, Node } from '../ir';
import { getOp } from '../../onnx/registry';

/**
 * Removes Identity nodes and inference-mode Dropout nodes (whose mask output is unused): readers
 * of the output read the input instead. When the output is a graph output, the producer of the
 * input is renamed to produce it (if it can be), else the node stays. Returns the count removed.
 */
export function removeIdentity(g: Graph): number {
  let removed = 0;
  const producers = g.producers();
  const keep: Node[] = [];
  const drop = new Set<Node>();
  for (const n of g.nodes) {
    const isDropout = n.opType === 'Dropout' && n.domain === '';
    if (!((n.opType === 'Identity' && n.domain === '') || isDropout)) continue;
    if (isDropout && n.outputs[1] && g.consumers().has(n.outputs[1])) continue;
    if (isDropout && n.outputs[1] && g.isOutput(n.outputs[1])) continue;
    const src = n.inputs[0];
    const out = n.outputs[0];
    if (!g.isOutput(out)) {
      g.replaceUses(out, src);
      drop.add(n);
      removed++;
      continue;
    }
    // out is a graph output: rename src to out when src is a plain intermediate value.
    const p = producers.get(src);
    if (!p || g.isOutput(src) || g.inputs.some((v) => v.name === src)) continue;
    p.outputs = p.outputs.map((o) => (o === src ? out : o));
    g.replaceUses(src, out);
    const info = g.values.get(src);
    if (info) g.values.set(out, { ...info, name: out });
    g.values.delete(src);
    producers.set(out, p);
    drop.add(n);
    removed++;
  }
  for (const n of g.nodes) if (!drop.has(n)) keep.push(n);
  g.nodes = keep;
  return removed;
}

/**
 * Removes nodes none of whose outputs is read or is a graph output, and constants nothing reads.
 * Returns the number of nodes removed.
 */
export function eliminateDeadCode(g: Graph): number {
  const live = new Set(g.outputs.map((o) => o.name));
  const keep: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (n.outputs.some((o) => o && live.has(o))) {
      keep.push(n);
      for (const x of n.inputs) if (x) live.add(x);
    }
  }
  const removed = g.nodes.length - keep.length;
  g.nodes = keep.reverse();
  // Outputs nobody reads (e.g. an unused MaxPool Indices) become omitted outputs, unless the op
  // declares them required (DynamicQuantizeLinear's y_scale).
  const required = (n: Node, i: number) => {
    const outs = getOp(n.opType, n.domain)?.outputs;
    const o = outs ? outs[Math.min(i, outs.length - 1)] : undefined;
    return o !== undefined && !o.endsWith('?') && !o.startsWith('...');
  };
  for (const n of g.nodes)
    for (let i = 1; i < n.outputs.length; i++) if (n.outputs[i] && !live.has(n.outputs[i]) && !required(n, i)) {
      g.values.delete(n.outputs[i]);
      n.outputs[i] = '';
    }
  for (const n of g.nodes) while (n.outputs.length > 1 && n.outputs[n.outputs.length - 1] === '') n.outputs.pop();
  for (const k of [...g.constants.keys()]) if (!live.has(k)) g.constants.delete(k);
  for (const k of [...g.values.keys()]) if (!live.has(k) && !g.nodes.some((n) => n.outputs.includes(k))) g.values.delete(k);
  return removed;
}
