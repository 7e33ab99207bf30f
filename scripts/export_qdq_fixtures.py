#!/usr/bin/env python3
"""Pre-quantized QDQ fixtures of the Fashion-MNIST CNN, written the two ways users bring them:

  test/fixtures/models/fashion_mnist_cnn.ort_qdq.onnx
      onnxruntime.quantization.quantize_static(QuantFormat.QDQ, per_channel=True, MinMax,
      uint8 activations, int8 weights) on the committed float model and its 200-image calibration
      subset.
  test/fixtures/models/fashion_mnist_cnn.qat_qdq.onnx
      PyTorch eager-mode QAT (x86 qconfig, fused Conv+ReLU, one short fine-tuning pass on the
      training set from the float model's weights), exported with torch.onnx.export: its
      FakeQuantize modules become QuantizeLinear/DequantizeLinear pairs.
  test/fixtures/models/fashion_mnist_cnn.qdq.json
      provenance and accuracies (float, the two QDQ models on onnxruntime) on the 10k test set.

Deterministic (fixed seeds, one thread). Needs torch, onnx, onnxruntime and Debian's
dataset-fashion-mnist. Usage: python3 scripts/export_qdq_fixtures.py [--qat-steps 300]
"""
import argparse, gzip, json, os, struct
import numpy as np
import onnx
from onnx import numpy_helper
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, CalibrationMethod, quantize_static
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = os.environ.get('FASHION_MNIST_DIR', '/usr/share/datasets/fashion-mnist')
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'models')
FLOAT = os.path.join(OUT, 'fashion_mnist_cnn.onnx')


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack('>I', data[:4])
    ndim = magic & 0xff
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def calib_images():
    raw = open(os.path.join(OUT, 'fashion_mnist_calib.bin'), 'rb').read()
    return np.frombuffer(raw[:200 * 784], dtype=np.uint8).reshape(200, 1, 28, 28).astype(np.float32) / 255.0


class Reader(CalibrationDataReader):
    def __init__(self, x):
        self.it = iter([{'image': x[i:i + 1]} for i in range(len(x))])

    def get_next(self):
        return next(self.it, None)


def ort_accuracy(path, X, Y):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])
    correct = 0
    for i in range(0, len(X), 500):
        correct += int((s.run(None, {'image': X[i:i + 500]})[0].argmax(1) == Y[i:i + 500]).sum())
    return correct / len(X)


class QatNet(nn.Module):
    """The float model's graph after BatchNorm folding: conv(+bias)-relu blocks, pools, linear."""

    def __init__(self):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.dequant = torch.ao.quantization.DeQuantStub()
        chans = [(1, 32), (32, 32), (32, 64), (64, 64)]
        self.convs = nn.ModuleList([nn.Conv2d(a, b, 3, padding=1) for a, b in chans])
        self.relus = nn.ModuleList([nn.ReLU() for _ in chans])
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.quant(x)
        x = self.relus[0](self.convs[0](x))
        x = F.max_pool2d(self.relus[1](self.convs[1](x)), 2)
        x = self.relus[2](self.convs[2](x))
        x = F.max_pool2d(self.relus[3](self.convs[3](x)), 2)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.dequant(self.fc(x))


def load_float_weights(net):
    m = onnx.load(FLOAT)
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    convs = [n for n in m.graph.node if n.op_type == 'Conv']
    for conv, node in zip(net.convs, convs):
        conv.weight.data = torch.from_numpy(init[node.input[1]].copy())
        conv.bias.data = torch.from_numpy(init[node.input[2]].copy())
    gemm = [n for n in m.graph.node if n.op_type == 'Gemm'][0]
    net.fc.weight.data = torch.from_numpy(init[gemm.input[1]].copy())
    net.fc.bias.data = torch.from_numpy(init[gemm.input[2]].copy())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--qat-steps', type=int, default=300)
    args = ap.parse_args()
    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(1)
    xtr = read_idx(os.path.join(DATA, 'train-images-idx3-ubyte.gz'))
    ytr = read_idx(os.path.join(DATA, 'train-labels-idx1-ubyte.gz'))
    xte = read_idx(os.path.join(DATA, 't10k-images-idx3-ubyte.gz'))
    yte = read_idx(os.path.join(DATA, 't10k-labels-idx1-ubyte.gz'))
    Xte = (xte.astype(np.float32) / 255.0)[:, None]
    meta = {'float': {'model': 'fashion_mnist_cnn.onnx', 'test_accuracy_onnxruntime': round(ort_accuracy(FLOAT, Xte, yte), 4)}}

    # onnxruntime's own static QDQ quantization.
    ort_path = os.path.join(OUT, 'fashion_mnist_cnn.ort_qdq.onnx')
    quantize_static(FLOAT, ort_path, Reader(calib_images()), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax)
    meta['ort_qdq'] = {'model': os.path.basename(ort_path), 'tool': f'onnxruntime {ort.__version__} quantize_static',
                       'settings': 'QDQ, per_channel, QUInt8 activations, QInt8 weights, MinMax, 200 calibration images',
                       'test_accuracy_onnxruntime': round(ort_accuracy(ort_path, Xte, yte), 4)}

    # PyTorch QAT, exported to QDQ ONNX.
    net = QatNet()
    load_float_weights(net)
    net.train()
    # FakeQuantize modules that torch.onnx.export turns into QuantizeLinear/DequantizeLinear
    # (the fused FusedMovingAvgObsFakeQuantize of get_default_qat_qconfig('x86') has no ONNX
    # export, and the exporter accepts only the full 8-bit ranges, so no reduce_range).
    tq = torch.ao.quantization
    net.qconfig = tq.QConfig(
        activation=tq.FakeQuantize.with_args(observer=tq.MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=torch.quint8,
                                             qscheme=torch.per_tensor_affine),
        weight=tq.FakeQuantize.with_args(observer=tq.MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127,
                                         dtype=torch.qint8, qscheme=torch.per_channel_symmetric, ch_axis=0))
    for i in range(4):
        torch.ao.quantization.fuse_modules_qat(net, [[f'convs.{i}', f'relus.{i}']], inplace=True)
    torch.ao.quantization.prepare_qat(net, inplace=True)
    Xtr = torch.from_numpy(xtr.astype(np.float32) / 255.0).unsqueeze(1)
    Ytr = torch.from_numpy(ytr.astype(np.int64))
    opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
    perm = torch.randperm(len(Xtr))
    for step in range(args.qat_steps):
        idx = perm[step * 64:(step + 1) * 64]
        loss = F.cross_entropy(net(Xtr[idx]), Ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.apply(torch.ao.quantization.disable_observer)
    net.eval()
    qat_path = os.path.join(OUT, 'fashion_mnist_cnn.qat_qdq.onnx')
    torch.onnx.export(net, (torch.from_numpy(Xte[:1]),), qat_path, input_names=['image'], output_names=['logits'],
                      opset_version=13, dynamo=False, do_constant_folding=True,
                      dynamic_axes={'image': {0: 'batch'}, 'logits': {0: 'batch'}})
    meta['qat_qdq'] = {'model': os.path.basename(qat_path), 'tool': f'torch {torch.__version__} eager QAT + torch.onnx.export (opset 13)',
                       'settings': f"FakeQuantize: MovingAverageMinMax quint8 activations, per-channel symmetric qint8 weights; fused Conv+ReLU, {args.qat_steps} SGD steps of 64 images from the float weights",
                       'test_accuracy_onnxruntime': round(ort_accuracy(qat_path, Xte, yte), 4)}
    with open(os.path.join(OUT, 'fashion_mnist_cnn.qdq.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')
    print(json.dumps(meta, indent=1))


if __name__ == '__main__':
    main()
