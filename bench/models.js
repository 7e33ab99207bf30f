// Single-op ONNX models for the peers in the benches (built with the library's own protobuf
// module from dist/).
'use strict';
const { encodeModel, DataType } = require('../dist/onnx/proto');

function raw(a) {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
function t(name, data, dims, dataType) {
  return { name, dims, dataType, rawData: raw(data) };
}
function vi(name, elemType, dims) {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

/** QLinearMatMul equivalent of a packLinear config (weights N x K become B = K x N). */
function buildQLinearMatMul(m, n, k, w, cfg) {
  const b = new Int8Array(n * k);
  for (let j = 0; j < n; j++) for (let kk = 0; kk < k; kk++) b[kk * n + j] = w[j * k + kk];
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'qlinearmatmul',
      node: [{ opType: 'QLinearMatMul', input: ['a', 'as', 'az', 'b', 'bs', 'bz', 'ys', 'yz'], output: ['y'] }],
      initializer: [
        t('as', new Float32Array([cfg.input.scale]), [], DataType.FLOAT),
        t('az', new Uint8Array([cfg.input.zeroPoint]), [], DataType.UINT8),
        t('b', b, [k, n], DataType.INT8),
        t('bs', new Float32Array([cfg.weightScale]), [], DataType.FLOAT),
        t('bz', new Int8Array([0]), [], DataType.INT8),
        t('ys', new Float32Array([cfg.output.scale]), [], DataType.FLOAT),
        t('yz', new Uint8Array([cfg.output.zeroPoint]), [], DataType.UINT8),
      ],
      input: [vi('a', DataType.UINT8, [m, k])],
      output: [vi('y', DataType.UINT8, [m, n])],
    },
  });
}

function attrInts(name, ints) {
  return { name, type: 7, ints };
}
function attrInt(name, i) {
  return { name, type: 2, i };
}

/**
 * `count` QLinearConv nodes in series (count > 1 needs cin == cout), uint8 activations, int8
 * per-channel weights, int32 bias. channelsLast: com.microsoft QLinearConv with channels_last=1
 * (onnxruntime's NHWC kernel, no layout transposes), input/output NHWC.
 */
function buildQLinearConv({ h, w, cin, cout, k, groups, pad, stride, count = 1, channelsLast = false }, weights, q) {
  const nodes = [];
  const inits = [
    t('xs', new Float32Array([q.input.scale]), [], DataType.FLOAT),
    t('xz', new Uint8Array([q.input.zeroPoint]), [], DataType.UINT8),
    t('w', weights, [cout, cin / groups, k, k], DataType.INT8),
    t('ws', q.weightScale, [cout], DataType.FLOAT),
    t('wz', new Int8Array(cout), [cout], DataType.INT8),
    t('ys', new Float32Array([q.output.scale]), [], DataType.FLOAT),
    t('yz', new Uint8Array([q.output.zeroPoint]), [], DataType.UINT8),
    t('b', q.biasQ, [cout], DataType.INT32),
  ];
  let prev = 'x';
  for (let i = 0; i < count; i++) {
    const out = i === count - 1 ? 'y' : `y${i}`;
    const attribute = [attrInts('kernel_shape', [k, k]), attrInts('strides', [stride, stride]), attrInts('pads', [pad, pad, pad, pad]), attrInt('group', groups)];
    if (channelsLast) attribute.push(attrInt('channels_last', 1));
    nodes.push({ opType: 'QLinearConv', domain: channelsLast ? 'com.microsoft' : '', input: [prev, 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], output: [out], attribute });
    prev = out;
  }
  const opset = [{ domain: '', version: 13 }];
  if (channelsLast) opset.push({ domain: 'com.microsoft', version: 1 });
  const inDims = channelsLast ? [1, h, w, cin] : [1, cin, h, w];
  return encodeModel({
    irVersion: 8,
    opsetImport: opset,
    graph: { name: 'qlinearconv', node: nodes, initializer: inits, input: [vi('x', DataType.UINT8, inDims)], output: [{ name: 'y', type: { tensorType: { elemType: DataType.UINT8 } } }] },
  });
}

/**
 * What onnxruntime runs for an int8 ConvTranspose (it registers no QLinearConvTranspose on the CPU
 * EP of onnxruntime-node 1.30): the QDQ form, DequantizeLinear -> float ConvTranspose ->
 * QuantizeLinear, NCHW, with the weights and bias already dequantized (as its constant folding
 * of the weight DequantizeLinear would leave them). weights: [cin][cout][k][k] int8.
 */
function buildQdqConvTranspose({ h, w, cin, cout, k, pad, stride }, weights, q) {
  const wf = new Float32Array(weights.length);
  const per = k * k;
  for (let i = 0; i < weights.length; i++) wf[i] = weights[i] * q.weightScale[Math.floor(i / per) % cout];
  const bf = Float32Array.from(q.biasQ, (b, j) => b * q.input.scale * q.weightScale[j]);
  const attribute = [attrInts('kernel_shape', [k, k]), attrInts('strides', [stride, stride]), attrInts('pads', [pad, pad, pad, pad])];
  const oh = stride * (h - 1) + k - 2 * pad, ow = stride * (w - 1) + k - 2 * pad;
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'qdq-convtranspose',
      node: [
        { opType: 'DequantizeLinear', input: ['x', 'xs', 'xz'], output: ['xf'] },
        { opType: 'ConvTranspose', input: ['xf', 'wf', 'bf'], output: ['yf'], attribute },
        { opType: 'QuantizeLinear', input: ['yf', 'ys', 'yz'], output: ['y'] },
      ],
      initializer: [
        t('xs', new Float32Array([q.input.scale]), [], DataType.FLOAT),
        t('xz', new Uint8Array([q.input.zeroPoint]), [], DataType.UINT8),
        t('wf', wf, [cin, cout, k, k], DataType.FLOAT),
        t('bf', bf, [cout], DataType.FLOAT),
        t('ys', new Float32Array([q.output.scale]), [], DataType.FLOAT),
        t('yz', new Uint8Array([q.output.zeroPoint]), [], DataType.UINT8),
      ],
      input: [vi('x', DataType.UINT8, [1, cin, h, w])],
      output: [vi('y', DataType.UINT8, [1, cout, oh, ow])],
    },
  });
}

module.exports = { buildQLinearMatMul, buildQLinearConv, buildQdqConvTranspose };
