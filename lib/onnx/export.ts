// ONNX export: Graph -> ModelProto bytes with standard ONNX ops only (opset 21, IR 10).
// Internal ops are expanded back into standard ones (FusedConv -> Conv + activation, ...), so the
// result runs on onnxruntime: that is how the passes are validated, and the base the QDQ export
// builds on.
import { type AttrValue, type Graph, type Node, type ValueInfo, GraphError } from '../graph/ir';
import { type Tensor, ONNX_DTYPE, makeTensor, numel, tensorBytes } from '../graph/tensor';
import { type OnnxAttribute, type OnnxNode, type OnnxTensor, type OnnxValueInfo, encodeModel } from './proto';
import { MAX_OPSET, getOp } from './registry';

export interface ExportOptions {
  /** Include value_info for intermediate values (default false). */
  valueInfo?: boolean;
  producerName?: string;
  /** Declare input/output shapes (default true); false leaves them to the runtime. */
  shapes?: boolean;
}

const ATTR_CODE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;
const enc = new TextEncoder();

function tensorProto(name: string, t: Tensor): OnnxTensor {
  return { name, dims: t.dims.slice(), dataType: ONNX_DTYPE[t.dtype], rawData: tensorBytes(t).slice() };
}

function valueInfo(v: ValueInfo): OnnxValueInfo {
  const out: OnnxValueInfo = { name: v.name };
  if (v.dtype)
    out.type = {
      tensorType: {
        elemType: ONNX_DTYPE[v.dtype],
        shape: v.shape ? { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    };
  return out;
}

function attribute(node: Node, name: string, v: AttrValue): OnnxAttribute {
  const spec = getOp(node.opType, node.domain)?.attrs[name];
  if (!spec) throw new GraphError(`export: node ${node.name} (${node.opType}) has attribute '${name}' that the registry does not declare`);
  const a: OnnxAttribute & { type: number } = { name, type: ATTR_CODE[spec.type] };
  switch (spec.type) {
    case 'float':
      a.f = v as number;
      break;
    case 'int':
      a.i = v as number;
      break;
    case 'string':
      a.s = enc.encode(v as string);
      break;
    case 'tensor':
      a.t = tensorProto('', v as Tensor);
      break;
    case 'floats':
      a.floats = (v as number[]).slice();
      break;
    case 'ints':
      a.ints = (v as number[]).slice();
      break;
    case 'strings':
      a.strings = (v as string[]).map((s) => enc.encode(s));
      break;
  }
  return a;
}

/** Expands internal ops into standard ONNX nodes (plus constants they need). */
function standardNodes(g: Graph, n: Node, newConst: (base: string, t: Tensor) => string, fresh: (b: string) => string): Node[] {
  if (n.domain === '' || n.domain === 'com.microsoft') return [n];
  if (n.domain === 'qint8' && n.opType === 'NhwcExpandDepthwise') {
    // The two channels-last convs it fused (lib/graph/passes/fuse.ts fuseExpandDepthwise).
    const { activation, activation_params, expand_activation, expand_activation_params, ...convAttrs } = n.attrs;
    const [x, w1, w2, b1, b2] = n.inputs;
    const conv = (name: string, ins: string[], outs: string[], attrs: Node['attrs'], act: unknown, ps: unknown): Node =>
      act && act !== 'None'
        ? { name, opType: 'NhwcFusedConv', domain: 'qint8', inputs: ins, outputs: outs, attrs: { ...attrs, activation: act as string, activation_params: (ps as number[] | undefined) ?? [] } }
        : { name, opType: 'NhwcConv', domain: 'qint8', inputs: ins, outputs: outs, attrs };
    const mid = fresh(`${n.name}_expanded`);
    const e = conv(fresh(`${n.name}_expand`), [x, w1, ...(b1 ? [b1] : [])], [mid], {}, expand_activation, expand_activation_params);
    const d = conv(n.name, [mid, w2, ...(b2 ? [b2] : [])], n.outputs.slice(), convAttrs, activation, activation_params);
    return [...standardNodes(g, e, newConst, fresh), ...standardNodes(g, d, newConst, fresh)];
  }
  if (n.domain === 'qint8' && n.opType.startsWith('Nhwc')) {
    // Channels-last twin: transpose X to NCHW, run the op, transpose Y back.
    const base = n.opType.slice(4);
    const xin = fresh(`${n.inputs[0]}_to_nchw`);
    const yout = fresh(`${n.outputs[0]}_nchw`);
    const pre: Node = { name: fresh(`${n.name}_pre`), opType: 'Transpose', domain: '', inputs: [n.inputs[0]], outputs: [xin], attrs: { perm: [0, 3, 1, 2] } };
    const domain = base === 'FusedConv' || base === 'DynamicQuantizeConv' ? 'qint8' : getOp(base, '') ? '' : 'com.microsoft';
    const rest = n.inputs.slice(1);
    const sumPre: Node[] = [];
    if (base === 'FusedConv' && rest[2]) {
      // The residual Sum is channels-last too.
      const sin = fresh(`${rest[2]}_to_nchw`);
      sumPre.push({ name: fresh(`${n.name}_sum_pre`), opType: 'Transpose', domain: '', inputs: [rest[2]], outputs: [sin], attrs: { perm: [0, 3, 1, 2] } });
      rest[2] = sin;
    }
    const op: Node = { ...n, opType: base, domain, inputs: [xin, ...rest], outputs: [yout] };
    const post: Node = { name: fresh(`${n.name}_post`), opType: 'Transpose', domain: '', inputs: [yout], outputs: n.outputs.slice(), attrs: { perm: [0, 2, 3, 1] } };
    return [pre, ...sumPre, ...standardNodes(g, op, newConst, fresh), post];
  }
  if (n.domain === 'qint8' && (n.opType === 'FusedConv' || n.opType === 'FusedGemm')) {
    const { activation, activation_params, ...rest } = n.attrs;
    const sum = n.opType === 'FusedConv' ? n.inputs[3] : undefined;
    const ins = n.inputs.slice(0, n.opType === 'FusedConv' ? 3 : undefined);
    while (ins.length > 2 && ins[ins.length - 1] === '') ins.pop();
    const noAct = activation === 'None';
    const mid = fresh(`${n.outputs[0]}_pre`);
    const added = sum ? (noAct ? n.outputs[0] : fresh(`${n.outputs[0]}_sum`)) : mid;
    const base: Node = { name: n.name, opType: n.opType === 'FusedConv' ? 'Conv' : 'Gemm', domain: '', inputs: ins, outputs: [mid], attrs: rest };
    const nodes: Node[] = [base];
    if (sum) nodes.push({ name: fresh(`${n.name}_add`), opType: 'Add', domain: '', inputs: [mid, sum], outputs: [added], attrs: {} });
    if (noAct) return nodes;
    const p = (activation_params as number[] | undefined) ?? [];
    const act: Node = { name: fresh(`${n.name}_${activation}`), opType: activation as string, domain: '', inputs: [added], outputs: n.outputs.slice(), attrs: {} };
    const dt = g.info(n.outputs[0]).dtype ?? 'float32';
    if (activation === 'Clip') act.inputs.push(newConst(`${n.name}_min`, makeTensor(dt, [], [p[0]])), newConst(`${n.name}_max`, makeTensor(dt, [], [p[1]])));
    else if (activation === 'LeakyRelu') act.attrs = { alpha: p[0] };
    else if (activation === 'HardSigmoid') act.attrs = { alpha: p[0], beta: p[1] };
    return [...nodes, act];
  }
  if (n.domain === 'qint8' && n.opType === 'DynamicQuantizeConv') {
    // Back to the unfused form (onnxruntime's quantize_dynamic): the same arithmetic.
    const { activation, activation_params, ...convAttrs } = n.attrs;
    const [x, w, ws, b] = n.inputs;
    const wt = g.constants.get(w);
    const wst = g.constants.get(ws);
    if (!wt || !wst) throw new GraphError(`export: node ${n.name}: W and W_scale must be constants`);
    const cout = wt.dims[0];
    const perChannel = numel(wst.dims) !== 1;
    const wsc = newConst(`${ws}_nchw`, makeTensor('float32', perChannel ? [1, cout, 1, 1] : [], wst.data as Float32Array));
    const [xq, xs, xz] = [fresh(`${x}_quantized`), fresh(`${x}_scale`), fresh(`${x}_zero_point`)];
    const [sc, acc, fl] = [fresh(`${n.name}_scales`), fresh(`${n.name}_int32`), fresh(`${n.name}_float`)];
    const act = activation as string | undefined;
    const scaled = b || act ? fresh(`${n.name}_scaled`) : n.outputs[0];
    const biased = b && act ? fresh(`${n.name}_biased`) : b ? n.outputs[0] : scaled;
    const nodes: Node[] = [
      { name: fresh(`${n.name}_quantize`), opType: 'DynamicQuantizeLinear', domain: '', inputs: [x], outputs: [xq, xs, xz], attrs: {} },
      { name: fresh(`${n.name}_scales_mul`), opType: 'Mul', domain: '', inputs: [xs, wsc], outputs: [sc], attrs: {} },
      { name: n.name, opType: 'ConvInteger', domain: '', inputs: [xq, w, xz], outputs: [acc], attrs: convAttrs },
      { name: fresh(`${n.name}_cast`), opType: 'Cast', domain: '', inputs: [acc], outputs: [fl], attrs: { to: 1 } },
      { name: fresh(`${n.name}_scale_mul`), opType: 'Mul', domain: '', inputs: [fl, sc], outputs: [scaled], attrs: {} },
    ];
    if (b) {
      const bt = g.constants.get(b);
      if (!bt) throw new GraphError(`export: node ${n.name}: B must be a constant`);
      const bc = newConst(`${b}_nchw`, makeTensor('float32', [1, cout, 1, 1], bt.data as Float32Array));
      nodes.push({ name: fresh(`${n.name}_bias_add`), opType: 'Add', domain: '', inputs: [scaled, bc], outputs: [biased], attrs: {} });
    }
    if (act) {
      const a: Node = { name: fresh(`${n.name}_${act}`), opType: act, domain: '', inputs: [biased], outputs: n.outputs.slice(), attrs: {} };
      const p = (activation_params as number[] | undefined) ?? [];
      if (act === 'Clip') a.inputs.push(newConst(`${n.name}_min`, makeTensor('float32', [], [p[0]])), newConst(`${n.name}_max`, makeTensor('float32', [], [p[1]])));
      else if (act === 'LeakyRelu') a.attrs = { alpha: p[0] };
      else if (act === 'HardSigmoid') a.attrs = { alpha: p[0], beta: p[1] };
      nodes.push(a);
    }
    return nodes;
  }
  throw new GraphError(`export: node ${n.name} uses internal op ${n.domain}.${n.opType}, which has no standard ONNX form`);
}

/** Serialises a graph as an ONNX model (opset 21) that onnxruntime can run. */
export function exportModel(g: Graph, opts: ExportOptions = {}): Uint8Array {
  const inits: OnnxTensor[] = [];
  const extraConsts = new Map<string, Tensor>();
  const namer = g.namer();
  const newConst = (base: string, t: Tensor) => {
    const name = namer(base);
    extraConsts.set(name, t);
    return name;
  };
  const nodes: OnnxNode[] = [];
  for (const n of g.nodes)
    for (const s of standardNodes(g, n, newConst, namer)) {
      const spec = getOp(s.opType, s.domain);
      if (!spec) throw new GraphError(`export: node ${s.name} has unknown op ${s.opType}`);
      nodes.push({
        name: s.name,
        opType: s.opType,
        domain: s.domain,
        input: s.inputs.slice(),
        output: s.outputs.slice(),
        attribute: Object.entries(s.attrs)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => attribute(s, k, v)),
      });
    }
  for (const [k, t] of g.constants) inits.push(tensorProto(k, t));
  for (const [k, t] of extraConsts) inits.push(tensorProto(k, t));
  const inner = new Set<string>();
  if (opts.valueInfo) for (const n of g.nodes) for (const o of n.outputs) if (o && !g.isOutput(o)) inner.add(o);
  return encodeModel({
    irVersion: 10,
    // com.microsoft: the quantized contrib ops of QOperator models (opset 1).
    opsetImport: [{ domain: '', version: MAX_OPSET }, ...(nodes.some((n) => n.domain === 'com.microsoft') ? [{ domain: 'com.microsoft', version: 1 }] : [])],
    producerName: opts.producerName ?? 'qint8',
    graph: {
      name: g.name,
      node: nodes,
      initializer: inits,
      input: g.inputs.map((v) => valueInfo(opts.shapes === false ? { ...v, shape: undefined } : v)),
      output: g.outputs.map((o) =>
        valueInfo({ name: o.name, dtype: o.dtype ?? g.info(o.name).dtype, shape: opts.shapes === false ? undefined : (o.shape ?? g.info(o.name).shape) }),
      ),
      valueInfo: [...inner].map((v) => valueInfo(g.info(v))),
    },
  });
}
