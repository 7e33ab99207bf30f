// ONNX's own backend node tests (Debian libonnx-testdata) for the convolution and matrix-product
// int8 ops: test_qlinearconv, test_convinteger_*, test_basic_convinteger, test_qlinearmatmul_2D /
// _3D, test_matmulinteger. All exact: the expected outputs are the ops' integer results. The
// tests feed every input at run time; qint8's engine ops pack weights and quantization
// parameters at creation, so the test passes those inputs as constants.
import { describe, expect, it } from 'vitest';
import { type OpTensor, createOp } from '../lib/engine/ops';
import { type TestTensor, loadNodeTest, testdataAvailable } from './helpers/onnx-testdata';

const available = testdataAvailable();
const suite = available ? describe : describe.skip;

const TYPE: Record<number, OpTensor['type']> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64' };
const asOp = (t: TestTensor): OpTensor => ({ type: TYPE[t.dataType], shape: t.dims, data: t.data as OpTensor['data'] });

function nchwToNhwc<T extends { length: number; [i: number]: number }>(x: T, [n, c, h, w]: number[]): T {
  const y = new (x.constructor as new (l: number) => T)(x.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) y[(b * h * w + i) * c + k] = x[(b * c + k) * h * w + i];
  return y;
}

suite('ONNX backend node tests: conv / matmul int8 ops', () => {
  for (const name of ['test_qlinearconv', 'test_convinteger_with_padding', 'test_convinteger_without_padding', 'test_basic_convinteger']) {
    it(name, () => {
      const t = loadNodeTest(name);
      const conv = t.opType === 'QLinearConv';
      for (const set of t.sets) {
        const x = set.inputs[0];
        const w = set.inputs[conv ? 3 : 1];
        const [n, c, h, wd] = x.dims;
        const kshape = [w.dims[2], w.dims[3]];
        const attrs: Record<string, number | number[]> = { kernel_shape: kshape };
        for (const k of ['pads', 'strides', 'dilations', 'group'] as const) if (t.attrs[k] !== undefined) attrs[k] = t.attrs[k] as number | number[];
        const op = createOp('qint8', conv ? 'QLinearConvNhwc' : 'ConvIntegerNhwc', attrs, [null, ...set.inputs.slice(1).map(asOp)]);
        const want = set.outputs[0];
        const [, oc, oh, ow] = want.dims;
        const y = new (want.data.constructor as new (l: number) => Uint8Array)(want.data.length);
        op.run([{ ...asOp(x), shape: [n, h, wd, c], data: nchwToNhwc(x.data as Uint8Array, x.dims) }], [{ type: TYPE[want.dataType], shape: [n, oh, ow, oc], data: y }]);
        expect(Array.from(y)).toEqual(Array.from(nchwToNhwc(want.data as Uint8Array, want.dims)));
      }
    });
  }

  for (const name of ['test_qlinearmatmul_2D', 'test_qlinearmatmul_3D', 'test_matmulinteger']) {
    it(name, () => {
      const t = loadNodeTest(name);
      const qlinear = t.opType === 'QLinearMatMul';
      for (const set of t.sets) {
        const op = createOp('', t.opType, {}, [null, ...set.inputs.slice(1).map(asOp)]);
        const want = set.outputs[0];
        const y = new (want.data.constructor as new (l: number) => Uint8Array)(want.data.length);
        op.run([asOp(set.inputs[0])], [{ type: TYPE[want.dataType], shape: want.dims, data: y }]);
        expect(Array.from(y), qlinear ? 'QLinearMatMul' : 'MatMulInteger').toEqual(Array.from(want.data as Uint8Array));
      }
    });
  }
});
