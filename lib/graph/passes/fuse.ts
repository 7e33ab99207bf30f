// Activation fusion: Conv/Gemm followed by Relu, Clip (constant bounds), LeakyRelu, HardSigmoid
// or HardSwish becomes one internal qint8.FusedConv / qint8.FusedGemm node with
// activation = <op> and activation_params = its parameters:
//   Relu []   Clip [min, max]   LeakyRelu [alpha]   HardSigmoid [alpha, beta]   HardSwish []
// The activation is applied to the conv/gemm result exactly as the separate op would (no change
// in numerics). A Clip bound that is absent is +-Infinity.
import type { Graph, Node } from '../ir';
import { getNum } from '../tensor';

function params(g: Graph, act: Node): number[] | undefined {
  switch (act.opType) {
    case 'Relu':
    case 'HardSwish':
      return [];
    case 'LeakyRelu':
      return [(act.attrs.alpha as number | undefined) ?? 0.01];
    case 'HardSigmoid':
      return [(act.attrs.alpha as number | undefined) ?? 0.2, (act.attrs.beta as number | undefined) ?? 0.5];
    case 'Clip': {
      const lo = act.inputs[1] ? g.constants.get(act.inputs[1]) : undefined;
      const hi = act.inputs[2] ? g.constants.get(act.inputs[2]) : undefined;
      if ((act.inputs[1] && !lo) || (act.inputs[2] && !hi)) return undefined;
      return [lo ? getNum(lo, 0) : -Infinity, hi ? getNum(hi, 0) : Infinity];
    }
  }
  return undefined;
}

/** Fuses activations into Conv/Gemm in place; returns the count fused. */
export function fuseActivations(g: Graph): number {
  const producers = g.producers();
  const consumers = g.consumers();
  const drop = new Set<Node>();
  let fused = 0;
  for (const act of g.nodes) {
    if (act.domain !== '' || !['Relu', 'Clip', 'LeakyRelu', 'HardSigmoid', 'HardSwish'].includes(act.opType)) continue;
    const x = act.inputs[0];
    const p = producers.get(x);
    if (!p || p.domain !== '' || (p.opType !== 'Conv' && p.opType !== 'Gemm')) continue;
    if ((consumers.get(x) ?? []).length !== 1 || g.isOutput(x)) continue;
    if (g.info(x).dtype !== 'float32') continue;
    const ps = params(g, act);
    if (!ps) continue;
    p.opType = p.opType === 'Conv' ? 'FusedConv' : 'FusedGemm';
    p.domain = 'qint8';
    p.attrs = { ...p.attrs, activation: act.opType, activation_params: ps };
    p.outputs = [act.outputs[0]];
    g.values.delete(x);
    drop.add(act);
    fused++;
  }
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  return fused;
}
