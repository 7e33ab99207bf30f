#!/usr/bin/env python3
"""QOperator test fixtures: quantized ONNX models written by onnxruntime's own quantization tool.

Run once (onnxruntime 1.30 from pip); the tests need no Python. Writes to test/fixtures/models/:

  fashion_mnist_cnn.qop.onnx      quantize_static, QuantFormat.QOperator, per-channel int8 weights,
                                  uint8 activations (QLinearConv, MaxPool uint8,
                                  QLinearGlobalAveragePool, QGemm), calibrated (MinMax) on the first
                                  100 images of the committed calibration subset
  fashion_mnist_cnn.qop_s8.onnx   the same with int8 activations (activation_type=QInt8)
  fashion_mnist_cnn.dyn.onnx      quantize_dynamic (DynamicQuantizeLinear, ConvInteger,
                                  MatMulInteger, Cast / Mul / Add in float)
  ppocr_cls.qop.onnx              PaddleOCR's direction classifier (ch_ppocr_mobile_v2.0_cls) after
                                  onnxruntime's quant_pre_process (BatchNorm folded, constants as
                                  initializers), quantize_static QOperator per-channel; Softmax kept
                                  in float (QLinearSoftmax is not one of the ops qint8 runs);
                                  calibrated on 8 synthetic inputs (uniform in [-1, 1], the model's
                                  normalised pixel range, numpy RandomState(0)) - the fixture tests
                                  engine equivalence, not accuracy
  ppocr_cls.dyn.onnx              quantize_dynamic of the same preprocessed model

Usage: python3 scripts/make_qoperator_models.py
"""
import os
import tempfile

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
MODELS = os.path.join(ROOT, 'test', 'fixtures', 'models')
CLS = os.path.join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx')


class Reader(CalibrationDataReader):
    def __init__(self, name, batches):
        self.it = iter([{name: b} for b in batches])

    def get_next(self):
        return next(self.it, None)


def fashion():
    src = os.path.join(MODELS, 'fashion_mnist_cnn.onnx')
    raw = open(os.path.join(MODELS, 'fashion_mnist_calib.bin'), 'rb').read()
    imgs = np.frombuffer(raw[:200 * 784], np.uint8).reshape(200, 1, 28, 28).astype(np.float32) / 255
    batches = [imgs[i:i + 1] for i in range(100)]
    quantize_static(src, os.path.join(MODELS, 'fashion_mnist_cnn.qop.onnx'), Reader('image', batches),
                    quant_format=QuantFormat.QOperator, per_channel=True)
    quantize_static(src, os.path.join(MODELS, 'fashion_mnist_cnn.qop_s8.onnx'), Reader('image', batches),
                    quant_format=QuantFormat.QOperator, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    quantize_dynamic(src, os.path.join(MODELS, 'fashion_mnist_cnn.dyn.onnx'))


def ppocr_cls():
    with tempfile.TemporaryDirectory() as tmp:
        pre = os.path.join(tmp, 'cls_pre.onnx')
        quant_pre_process(CLS, pre)
        m = onnx.load(pre)
        name = m.graph.input[0].name
        softmax = [n.name for n in m.graph.node if n.op_type == 'Softmax']
        rs = np.random.RandomState(0)
        batches = [rs.uniform(-1, 1, (1, 3, 48, 192)).astype(np.float32) for _ in range(8)]
        quantize_static(pre, os.path.join(MODELS, 'ppocr_cls.qop.onnx'), Reader(name, batches),
                        quant_format=QuantFormat.QOperator, per_channel=True, nodes_to_exclude=softmax)
        quantize_dynamic(pre, os.path.join(MODELS, 'ppocr_cls.dyn.onnx'))


if __name__ == '__main__':
    fashion()
    ppocr_cls()
    for f in sorted(os.listdir(MODELS)):
        if '.qop' in f or '.dyn' in f:
            m = onnx.load(os.path.join(MODELS, f))
            ops = sorted({(n.domain + '.' if n.domain else '') + n.op_type for n in m.graph.node})
            print(f'{f}: {os.path.getsize(os.path.join(MODELS, f))} bytes, {len(m.graph.node)} nodes: {", ".join(ops)}')
