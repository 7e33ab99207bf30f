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

/**
 * Residual fusion: Add(Conv(x), r), optionally followed by an activation (as above), becomes one
 * qint8.FusedConv with r as a fourth input "Sum" (bias input 2 left empty when absent) and
 * activation = the activation or 'None': y = act((conv + bias) + r), the unfused graph's order of
 * operations (float addition is commutative bit for bit, so Add(r, conv) is the same). Only a
 * plain 2-D Conv (4-D X, constant W and B, no activation of its own) whose output feeds nothing
 * but this Add, with both Add operands of one float32 shape (no broadcasting: equal dims, a
 * symbolic dim only against the same symbol; the engine op re-checks the shapes at run time). The fused
 * node takes the Add's place in the node order (r is computed by then). Returns the count fused.
 */
export function fuseResidualAdd(g: Graph): number {
  const producers = g.producers();
  const consumers = g.consumers();
  const position = new Map<Node, number>(g.nodes.map((n, i) => [n, i]));
  const shapeOf = (v: string) => g.info(v).shape;
  const plans = new Map<Node, { conv: Node; act?: Node; params: number[]; other: string }>();
  const taken = new Set<Node>();
  for (const add of g.nodes) {
    if (add.domain !== '' || add.opType !== 'Add' || add.inputs.length !== 2 || add.inputs[0] === add.inputs[1]) continue;
    const y = add.outputs[0];
    if (g.info(y).dtype !== 'float32') continue;
    const sa = shapeOf(add.inputs[0]);
    const sb = shapeOf(add.inputs[1]);
    if (!sa || !sb || sa.length !== 4 || sb.length !== 4 || sa.some((d, i) => d !== sb[i])) continue;
    let best: { conv: Node; other: string } | undefined;
    for (const i of [0, 1]) {
      const v = add.inputs[i];
      const other = add.inputs[1 - i];
      const p = producers.get(v);
      if (!p || p.domain !== '' || p.opType !== 'Conv' || taken.has(p)) continue;
      if ((consumers.get(v) ?? []).length !== 1 || g.isOutput(v)) continue;
      if (g.constants.has(other) || g.info(other).dtype !== 'float32') continue;
      if (!p.inputs[1] || !g.constants.has(p.inputs[1]) || (p.inputs[2] && !g.constants.has(p.inputs[2]))) continue;
      if (p.inputs.length > 3) continue;
      // Of two candidate convs, the later one (its output is the younger value).
      if (!best || position.get(p)! > position.get(best.conv)!) best = { conv: p, other };
    }
    if (!best) continue;
    let act: Node | undefined;
    let ps: number[] = [];
    const next = consumers.get(y) ?? [];
    if (next.length === 1 && !g.isOutput(y) && next[0].domain === '' && next[0].inputs[0] === y) {
      const a = next[0];
      const p = ['Relu', 'Clip', 'LeakyRelu', 'HardSigmoid', 'HardSwish'].includes(a.opType) ? params(g, a) : undefined;
      if (p) {
        act = a;
        ps = p;
      }
    }
    taken.add(best.conv);
    plans.set(add, { conv: best.conv, act, params: ps, other: best.other });
  }
  if (plans.size === 0) return 0;
  const drop = new Set<Node>();
  for (const [add, pl] of plans) {
    const p = pl.conv;
    const inputs = p.inputs.slice();
    while (inputs.length < 3) inputs.push('');
    g.values.delete(p.outputs[0]);
    p.inputs = [...inputs, pl.other];
    p.opType = 'FusedConv';
    p.domain = 'qint8';
    p.attrs = { ...p.attrs, activation: pl.act ? pl.act.opType : 'None', activation_params: pl.params };
    if (pl.act) {
      g.values.delete(add.outputs[0]);
      p.outputs = [pl.act.outputs[0]];
      drop.add(pl.act);
    } else {
      p.outputs = [add.outputs[0]];
    }
  }
  const moved = new Set([...plans.values()].map((pl) => pl.conv));
  const out: Node[] = [];
  for (const n of g.nodes) {
    if (moved.has(n) || drop.has(n)) continue;
    const pl = plans.get(n);
    out.push(pl ? pl.conv : n);
  }
  g.nodes = out;
  return plans.size;
}

/**
 * Expansion + depthwise fusion, after the layout pass: a channels-last 1x1 expansion conv
 * (qint8.NhwcConv / NhwcFusedConv: 1x1 weights, one group, stride 1, no padding, constant weights
 * and bias, no Sum) whose output feeds nothing but a channels-last depthwise conv (group = its
 * channels = the expansion's outputs, constant weights and bias, no Sum) becomes one
 * qint8.NhwcExpandDepthwise node, which the engine runs band by band so the expanded tensor stays
 * in cache (the inverted-residual blocks of MobileNetV2/V3). Same numerics: each conv computes
 * what it computed before. Returns the count fused.
 */
export function fuseExpandDepthwise(g: Graph): number {
  const producers = g.producers();
  const consumers = g.consumers();
  const isConv = (n: Node) => n.domain === 'qint8' && (n.opType === 'NhwcConv' || n.opType === 'NhwcFusedConv');
  const constOrAbsent = (v: string | undefined) => !v || g.constants.has(v);
  const noSum = (n: Node) => n.inputs.length <= 3 || !n.inputs[3];
  const allEq = (v: unknown, x: number) => v === undefined || (Array.isArray(v) && v.every((e) => e === x));
  const drop = new Set<Node>();
  let fused = 0;
  for (const d of g.nodes) {
    if (!isConv(d) || !noSum(d) || drop.has(d)) continue;
    const w2 = d.inputs[1] ? g.constants.get(d.inputs[1]) : undefined;
    if (!w2 || w2.dtype !== 'float32' || w2.dims.length !== 4 || w2.dims[1] !== 1 || !constOrAbsent(d.inputs[2])) continue;
    const cexp = w2.dims[0];
    if (cexp < 2 || ((d.attrs.group as number | undefined) ?? 1) !== cexp) continue;
    const mid = d.inputs[0];
    const e = producers.get(mid);
    if (!e || !isConv(e) || !noSum(e) || (consumers.get(mid) ?? []).length !== 1 || g.isOutput(mid)) continue;
    if (g.info(mid).dtype !== 'float32') continue;
    const w1 = e.inputs[1] ? g.constants.get(e.inputs[1]) : undefined;
    if (!w1 || w1.dtype !== 'float32' || w1.dims.length !== 4 || w1.dims[0] !== cexp || w1.dims[2] !== 1 || w1.dims[3] !== 1) continue;
    if (!constOrAbsent(e.inputs[2]) || ((e.attrs.group as number | undefined) ?? 1) !== 1) continue;
    if (!allEq(e.attrs.strides, 1) || !allEq(e.attrs.pads, 0)) continue;
    d.inputs = [e.inputs[0], e.inputs[1], d.inputs[1], e.inputs[2] ?? '', d.inputs[2] ?? ''];
    d.opType = 'NhwcExpandDepthwise';
    d.attrs = {
      ...d.attrs,
      activation: (d.attrs.activation as string | undefined) ?? 'None',
      activation_params: (d.attrs.activation_params as number[] | undefined) ?? [],
      expand_activation: (e.attrs.activation as string | undefined) ?? 'None',
      expand_activation_params: (e.attrs.activation_params as number[] | undefined) ?? [],
    };
    g.values.delete(mid);
    drop.add(e);
    fused++;
  }
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  return fused;
}
