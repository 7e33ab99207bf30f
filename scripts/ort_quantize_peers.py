#!/usr/bin/env python3
"""onnxruntime's own int8 models of the three accuracy models (the peers scripts/accuracy.js and
bench/models-int8.js compare qint8 with), made with onnxruntime.quantization from pip on the same
calibration data qint8 calibrates on:

  fashion   test/fixtures/models/fashion_mnist_cnn.onnx; calibration: the 200 images of
            test/fixtures/models/fashion_mnist_calib.bin (pixel / 255), one image per sample
  cls       PaddleOCR ch_ppocr_mobile_v2.0_cls_infer.onnx; calibration: the 100 `calib` lines of
            models-cache/ocr-lines (scripts/render_text_lines.py), upright and turned (200 images),
            one per sample, [1, 3, 48, 192]
  rec       PaddleOCR ch_PP-OCRv4_rec_infer.onnx; calibration: the 100 upright `calib` lines, one
            per sample, [1, 3, 48, W] (W >= 320, per line)

For each model:
  0. PaddleOCR's models are opset 9; QDQ with per-channel weights needs opset 13 (DequantizeLinear's
     axis) and quantize_static does not upgrade the model itself (its output fails to load with
     "Unrecognized attribute: axis for operator DequantizeLinear"), so they are first converted with
     onnx.version_converter.convert_version(model, 13) (checked: outputs identical on onnxruntime);
  1. quant_pre_process (onnxruntime.quantization.shape_inference: symbolic shape inference, ONNX
     shape inference and onnxruntime's basic graph optimisation, which folds BatchNormalization
     into Conv), as onnxruntime's quantization docs recommend before quantize_static;
     -> models-cache/peers/<model>.pre.onnx
  2. quantize_static(QuantFormat.QDQ, per_channel=True, activation_type=QUInt8,
     weight_type=QInt8, calibrate_method = MinMax | Entropy | Percentile, everything else at
     its default) -> models-cache/peers/<model>.ort_qdq_<method>.onnx
  3. the recognizer also: quantize_dynamic(weight_type=QInt8, defaults otherwise: per_channel
     False, every op type it supports) -> models-cache/peers/rec.ort_dynamic.onnx

models-cache/peers/settings.json records the versions, the exact arguments, the time each step took
and, as a sanity check, each peer model's agreement with the float model on onnxruntime.

Usage: python3 scripts/ort_quantize_peers.py [--models fashion,cls,rec] [--methods MinMax,Entropy,Percentile]
(run scripts/render_text_lines.py first).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import version_converter
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_dynamic, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
ASSETS = os.path.join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets')
FIXTURES = os.path.join(ROOT, 'test', 'fixtures', 'models')
CACHE = os.path.join(ROOT, 'models-cache')
LINES = os.path.join(CACHE, 'ocr-lines')
OUT = os.path.join(CACHE, 'peers')

MODELS = {
    'fashion': os.path.join(FIXTURES, 'fashion_mnist_cnn.onnx'),
    'cls': os.path.join(ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    'rec': os.path.join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx'),
}
METHODS = {'MinMax': CalibrationMethod.MinMax, 'Entropy': CalibrationMethod.Entropy, 'Percentile': CalibrationMethod.Percentile}


def fashion_calib():
    raw = open(os.path.join(FIXTURES, 'fashion_mnist_calib.bin'), 'rb').read()
    x = np.frombuffer(raw[:200 * 784], dtype=np.uint8).reshape(200, 1, 1, 28, 28).astype(np.float32) / np.float32(255)
    return [{'image': x[i]} for i in range(200)]


def ocr_input(buf, off, w, pad_to):
    """PaddleOCR's normalisation: (x / 255 - 0.5) / 0.5 in float32, channel-first, 0-padded right."""
    a = buf[off:off + 48 * w * 3].reshape(48, w, 3).astype(np.float32).transpose(2, 0, 1) / np.float32(255)
    a -= np.float32(0.5)
    a /= np.float32(0.5)
    out = np.zeros((1, 3, 48, pad_to), np.float32)
    out[0, :, :, :w] = a
    return out


def ocr_calib(kind):
    manifest = json.load(open(os.path.join(LINES, 'lines.json'), encoding='utf8'))
    buf = np.fromfile(os.path.join(LINES, f'{kind}.bin'), np.uint8)
    feeds = []
    for e in manifest['images']:
        if e['split'] != 'calib' or kind not in e:
            continue
        pad = 192 if kind == 'cls' else e['rec']['padTo']
        feeds.append({'x': ocr_input(buf, e[kind]['offset'], e[kind]['width'], pad)})
    return feeds


class Reader(CalibrationDataReader):
    def __init__(self, feeds):
        self.feeds = feeds
        self.it = iter(feeds)

    def get_next(self):
        return next(self.it, None)

    def rewind(self):
        self.it = iter(self.feeds)


def agreement(float_path, peer_path, feeds, kind):
    """Fraction of samples whose argmax (per time step for rec: the whole argmax sequence) equals the float model's."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    f = ort.InferenceSession(float_path, so, providers=['CPUExecutionProvider'])
    q = ort.InferenceSession(peer_path, so, providers=['CPUExecutionProvider'])
    same = 0
    for feed in feeds:
        a = f.run(None, feed)[0].argmax(-1)
        b = q.run(None, feed)[0].argmax(-1)
        same += int(np.array_equal(a, b))
    return same / len(feeds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--models', default='fashion,cls,rec')
    ap.add_argument('--methods', default='MinMax,Entropy,Percentile')
    ap.add_argument('--flush', type=int, default=8,
                    help="extra_options CalibMaxIntermediateOutputs for the recognizer (0: not set)")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    settings_path = os.path.join(OUT, 'settings.json')
    settings = json.load(open(settings_path)) if os.path.exists(settings_path) else {}
    settings.update({'onnxruntime': ort.__version__, 'onnx': onnx.__version__, 'numpy': np.__version__})
    settings.setdefault('models', {})
    for name in args.models.split(','):
        src = MODELS[name]
        feeds = fashion_calib() if name == 'fashion' else ocr_calib(name)
        rec = {'source': os.path.relpath(src, ROOT), 'calibration_samples': len(feeds), 'outputs': {}}
        pre = os.path.join(OUT, f'{name}.pre.onnx')
        t = time.time()
        model = onnx.load(src)
        opset = next(o.version for o in model.opset_import if o.domain in ('', 'ai.onnx'))
        if opset < 13:
            model = version_converter.convert_version(model, 13)
            rec['opset_converted'] = f'{opset} -> 13 (onnx.version_converter.convert_version)'
        quant_pre_process(model, pre)
        rec['pre_process'] = {'call': 'quant_pre_process(model, output)', 'seconds': round(time.time() - t, 1)}
        print(f'{name}: pre-processed in {time.time() - t:.1f} s', flush=True)
        # The recognizer's calibration keeps every intermediate tensor of every sample in memory.
        # CalibMaxIntermediateOutputs makes onnxruntime's MinMax calibrater fold them into its
        # ranges every `flush` samples (exact for MinMax). flush must not divide the sample count:
        # onnxruntime 1.30 raises "No data is collected." when the last flush leaves its list
        # empty. Its Entropy / Percentile calibrater (HistogramCalibrater) ignores the option and
        # keeps all 100 lines' tensors (18-20 GB here, stopped), and its collect_value needs equal
        # shapes across samples (np.asarray of the list), which variable-width lines are not: so
        # run the recognizer with --methods MinMax (docs/ACCURACY.md).
        extra = {'CalibMaxIntermediateOutputs': args.flush} if name == 'rec' and args.flush > 0 else {}
        for m in args.methods.split(','):
            out = os.path.join(OUT, f'{name}.ort_qdq_{m.lower()}.onnx')
            t = time.time()
            quantize_static(pre, out, Reader(feeds), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=METHODS[m],
                            extra_options=extra)
            secs = time.time() - t
            ag = agreement(src, out, feeds, name)
            rec['outputs'][f'qdq_{m.lower()}'] = {
                'file': os.path.relpath(out, ROOT),
                'call': f'quantize_static(pre, out, reader, quant_format=QuantFormat.QDQ, per_channel=True, '
                        f'activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.{m}'
                        + (f', extra_options={extra}' if extra else '') + ')',
                'seconds': round(secs, 1),
                'calibration_argmax_agreement_with_float': ag,
            }
            print(f'{name}: {m} in {secs:.1f} s, argmax agreement with float on the calibration set {ag:.4f}', flush=True)
        if name == 'rec':
            out = os.path.join(OUT, f'{name}.ort_dynamic.onnx')
            t = time.time()
            quantize_dynamic(pre, out, weight_type=QuantType.QInt8)
            ag = agreement(src, out, feeds, name)
            rec['outputs']['dynamic'] = {'file': os.path.relpath(out, ROOT), 'call': 'quantize_dynamic(pre, out, weight_type=QuantType.QInt8)',
                                         'seconds': round(time.time() - t, 1), 'calibration_argmax_agreement_with_float': ag}
            print(f'{name}: dynamic, argmax agreement with float on the calibration set {ag:.4f}', flush=True)
        # Methods not run this time keep their earlier record.
        prev = settings['models'].get(name, {}).get('outputs', {})
        rec['outputs'] = {**prev, **rec['outputs']}
        settings['models'][name] = rec
        with open(settings_path, 'w') as f:
            json.dump(settings, f, indent=1)
    print(f'wrote {settings_path}')


if __name__ == '__main__':
    main()
