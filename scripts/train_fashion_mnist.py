#!/usr/bin/env python3
"""Trains a small CNN on Fashion-MNIST and exports it to ONNX (opset 13).

Data: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/*.gz, idx format).
Writes (committed):
  test/fixtures/models/fashion_mnist_cnn.onnx     the float model (input 'image' [N,1,28,28] float32
                                                  in [0, 1], output 'logits' [N,10])
  test/fixtures/models/fashion_mnist_calib.bin    calibration subset: 200 training images, uint8
                                                  (200*784 bytes, row-major 28x28), then 200 labels (uint8)
  test/fixtures/models/fashion_mnist_cnn.json     accuracy and provenance

The architecture is conv-bn-relu blocks + max pool + global average pool + linear: the shape that
quantizes well (per-channel int8 weights, uint8 activations after ReLU). Deterministic: fixed seed,
one thread. Usage: python3 scripts/train_fashion_mnist.py [--epochs 6]
"""
import argparse, gzip, json, os, struct, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = os.environ.get('FASHION_MNIST_DIR', '/usr/share/datasets/fashion-mnist')
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'models')


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack('>I', data[:4])
    ndim = magic & 0xff
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())
        self.b1 = block(1, 32)
        self.b2 = block(32, 32)
        self.b3 = block(32, 64)
        self.b4 = block(64, 64)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.b1(x)
        x = F.max_pool2d(self.b2(x), 2)   # 14x14
        x = self.b3(x)
        x = F.max_pool2d(self.b4(x), 2)   # 7x7
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--epochs', type=int, default=6)
    args = ap.parse_args()
    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(int(os.environ.get('THREADS', '1')))

    xtr = read_idx(os.path.join(DATA, 'train-images-idx3-ubyte.gz'))
    ytr = read_idx(os.path.join(DATA, 'train-labels-idx1-ubyte.gz'))
    xte = read_idx(os.path.join(DATA, 't10k-images-idx3-ubyte.gz'))
    yte = read_idx(os.path.join(DATA, 't10k-labels-idx1-ubyte.gz'))
    to_t = lambda x: torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    Xtr, Ytr, Xte, Yte = to_t(xtr), torch.from_numpy(ytr.astype(np.int64)), to_t(xte), torch.from_numpy(yte.astype(np.int64))

    net = Net()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = args.epochs * (len(Xtr) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=4e-3, total_steps=steps)
    t0 = time.time()
    for ep in range(args.epochs):
        net.train()
        perm = torch.randperm(len(Xtr))
        for i in range(len(Xtr) // 128):
            idx = perm[i * 128:(i + 1) * 128]
            xb = Xtr[idx]
            if True:  # random horizontal flip (clothes are left-right symmetric)
                flip = torch.rand(len(xb)) < 0.5
                xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(net(xb), Ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        acc = evaluate(net, Xte, Yte)
        print(f'epoch {ep + 1}: loss {loss.item():.4f} test accuracy {acc * 100:.2f}% ({time.time() - t0:.0f}s)', flush=True)
    acc = evaluate(net, Xte, Yte)
    if acc < 0.90:
        sys.exit(f'test accuracy {acc:.4f} < 0.90')

    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, 'fashion_mnist_cnn.onnx')
    net.eval()
    torch.onnx.export(net, (Xte[:1],), path, input_names=['image'], output_names=['logits'],
                      opset_version=13, dynamo=False, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL,
                      dynamic_axes={'image': {0: 'batch'}, 'logits': {0: 'batch'}})

    # Accuracy of the exported model on onnxruntime (the float reference the int8 work compares to).
    import onnxruntime as ort
    s = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    correct = 0
    for i in range(0, len(Xte), 500):
        out = s.run(None, {'image': Xte[i:i + 500].numpy()})[0]
        correct += int((out.argmax(1) == yte[i:i + 500]).sum())
    ort_acc = correct / len(Xte)

    # Calibration subset: the first 20 training images of each class (200 in all), in class order.
    sel = np.concatenate([np.nonzero(ytr == c)[0][:20] for c in range(10)])
    with open(os.path.join(OUT, 'fashion_mnist_calib.bin'), 'wb') as f:
        f.write(xtr[sel].astype(np.uint8).tobytes())
        f.write(ytr[sel].astype(np.uint8).tobytes())
    meta = {
        'model': 'fashion_mnist_cnn.onnx',
        'input': {'name': 'image', 'shape': ['batch', 1, 28, 28], 'dtype': 'float32', 'scale': 'pixel / 255'},
        'output': {'name': 'logits', 'shape': ['batch', 10]},
        'opset': 13,
        'epochs': args.epochs,
        'torch': torch.__version__,
        'test_accuracy_torch': round(acc, 4),
        'test_accuracy_onnxruntime': round(ort_acc, 4),
        'test_images': int(len(Xte)),
        'calibration': {'file': 'fashion_mnist_calib.bin', 'count': int(len(sel)), 'layout': '200x28x28 uint8 images, then 200 uint8 labels',
                        'source': 'first 20 training images of each class, classes 0..9 in order'},
    }
    with open(os.path.join(OUT, 'fashion_mnist_cnn.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')
    print(json.dumps(meta))


def evaluate(net, X, Y):
    net.eval()
    with torch.no_grad():
        correct = sum(int((net(X[i:i + 1000]).argmax(1) == Y[i:i + 1000]).sum()) for i in range(0, len(X), 1000))
    return correct / len(X)


if __name__ == '__main__':
    main()
