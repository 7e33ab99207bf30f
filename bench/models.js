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

module.exports = { buildQLinearMatMul };
