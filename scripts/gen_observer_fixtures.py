#!/usr/bin/env python3
"""Golden vectors for qint8's observers and calibrators (test/fixtures/observers.json).

Runs PyTorch's observers (torch.ao.quantization) and onnxruntime's calibrators
(onnxruntime.quantization.calibrate) on deterministic data and records, per case, the observer
state (running min/max, histogram range and digest, searched range) and the reference scale and
zero point. The tests regenerate the same data in TypeScript from the specs stored here (see
test/helpers/fixture-data.ts): a xorshift32 generator whose values are built with +, -, *, /
and sqrt only (IEEE double, identical in Python and JavaScript) and rounded once to float32, so
the file stays small and needs no stored tensors.

Usage: python3 scripts/gen_observer_fixtures.py   (torch 2.x, onnxruntime, onnx, numpy)
"""
import json
import math
import os
import sys
import tempfile
import warnings

import numpy as np
import onnx
import onnxruntime
import torch
from onnx import TensorProto, helper
from onnxruntime.quantization import calibrate as ortcal
from onnxruntime.quantization.quant_utils import compute_scale_zp
from torch.ao.quantization import observer as tobs
from torch.ao.quantization import qconfig as tqc

warnings.filterwarnings("ignore")
SQRT3 = math.sqrt(3.0)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "observers.json")


# ---------------------------------------------------------------- deterministic data (mirrored in TS)
class Rng:
    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFF or 1

    def next(self):
        x = self.s
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.s = x
        return x

    def u(self):  # [0, 1), multiples of 2^-24
        return (self.next() >> 8) / 16777216.0


def gen(spec):
    """One batch from its spec, as float32 numpy (shape spec['shape'] or [n])."""
    shape = spec.get("shape", [spec.get("n", 1)])
    n = int(np.prod(shape))
    r = Rng(spec.get("seed", 1))
    d = spec["dist"]
    p = spec.get("p", {})
    out = np.empty(n, dtype=np.float32)
    for i in range(n):
        if d == "uniform":
            v = p["lo"] + (p["hi"] - p["lo"]) * r.u()
        elif d in ("gauss", "relu"):
            s = r.u() + r.u() + r.u() + r.u()
            v = p["mu"] + p["sigma"] * ((s - 2.0) * SQRT3)
            if d == "relu" and v < 0:
                v = 0.0
        elif d == "pareto":
            v = p["scale"] * (1.0 / (1.0 - 0.999 * r.u()) - 1.0) + p["shift"]
        elif d == "const":
            v = p["value"]
        else:
            raise ValueError(d)
        out[i] = np.float32(v)
    for i, v in spec.get("outliers", []):
        out[i] = np.float32(v)
    out = out.reshape(shape)
    for axis, idx in spec.get("zero", []):
        sl = [slice(None)] * len(shape)
        sl[axis] = idx
        out[tuple(sl)] = 0
    return out


def gauss(n, seed, mu=0.0, sigma=1.0, **kw):
    return {"dist": "gauss", "n": n, "seed": seed, "p": {"mu": mu, "sigma": sigma}, **kw}


DATA = {
    "gauss": [gauss(4096, 1), gauss(4096, 2), gauss(4096, 3)],
    "outliers": [gauss(4096, 4, 0.2, 0.5), gauss(4096, 5, 0.2, 0.5, outliers=[[17, 30.0], [900, -22.5], [3001, 41.0]]),
                 gauss(4096, 6, 0.2, 0.5)],
    "grow": [gauss(3000, 7, 0.0, 0.5), gauss(3000, 8, 0.1, 1.0), gauss(3000, 9, 0.0, 2.0), gauss(3000, 10, -0.3, 4.0)],
    "shrink": [gauss(3000, 11, 0.0, 4.0), gauss(3000, 12, 0.0, 2.0), gauss(3000, 13, 0.2, 1.0)],
    "skewed": [{"dist": "pareto", "n": 4096, "seed": s, "p": {"scale": 0.05, "shift": -0.1}} for s in (14, 15, 16)],
    "positive": [{"dist": "uniform", "n": 2048, "seed": s, "p": {"lo": 0.5, "hi": 3.0}} for s in (17, 18)],
    "relu": [{"dist": "relu", "n": 4096, "seed": s, "p": {"mu": 0.3, "sigma": 1.0}} for s in (19, 20)],
    "negative": [{"dist": "uniform", "n": 2048, "seed": 21, "p": {"lo": -2.0, "hi": -0.1}}],
    "const": [{"dist": "const", "n": 100, "p": {"value": 0.7}}, {"dist": "const", "n": 50, "p": {"value": 0.7}}],
    "zeros": [{"dist": "const", "n": 64, "p": {"value": 0.0}}],
    "single": [{"dist": "const", "n": 1, "p": {"value": 1.25}}],
    "mixed": [gauss(1000, 22, 0.5, 1.0), gauss(3000, 23, 0.0, 0.25), gauss(17, 24, 1.0, 3.0)],
    # A constant first batch, then a wider one (HistogramObserver's min == max merge branch), and
    # zeros first (onnxruntime's threshold-0 merge branch).
    "const_then": [{"dist": "const", "n": 100, "p": {"value": 0.7}}, gauss(2000, 30, 0.5, 1.0)],
    "zeros_then": [{"dist": "const", "n": 2000, "p": {"value": 0.0}}, gauss(2000, 31, 0.0, 1.0)],
    "w2d": [gauss(0, 25, 0.0, 0.1, shape=[8, 32], zero=[[0, 3]])],
    "w2d_two": [gauss(0, 26, 0.0, 0.1, shape=[8, 32], zero=[[0, 3]]),
                gauss(0, 27, 0.05, 0.2, shape=[8, 32], zero=[[0, 3]])],
    "w3d": [gauss(0, 28, 0.1, 0.3, shape=[4, 6, 5], zero=[[1, 2]])],
}
for batches in DATA.values():
    for b in batches:
        if "shape" in b:
            b.pop("n", None)


def batches(name):
    return [gen(s) for s in DATA[name]]


def digest(x):
    """Checksums of a histogram: sum and sum of index * count (exact in float64 for these counts)."""
    v = np.asarray(x, dtype=np.float64).ravel()
    return [float(v.sum()), float((v * np.arange(v.size)).sum())]


def bits_digest(x):
    """Exact checksums of a float32 array's bit patterns (the data generator's self-check)."""
    b = np.frombuffer(np.ascontiguousarray(x, dtype="<f4").tobytes(), dtype="<u4").astype(np.int64)
    i = np.arange(b.size, dtype=np.int64)
    return [int(b.sum()), int(((b % 65521) * (i % 65521)).sum())]


# ---------------------------------------------------------------- PyTorch observers
DT = {"quint8": torch.quint8, "qint8": torch.qint8}
QS = {
    "per_tensor_affine": torch.per_tensor_affine,
    "per_tensor_symmetric": torch.per_tensor_symmetric,
    "per_channel_affine": torch.per_channel_affine,
    "per_channel_symmetric": torch.per_channel_symmetric,
}
ARGMAP = {"dtype": "dtype", "qscheme": "qscheme", "reduceRange": "reduce_range", "quantMin": "quant_min",
          "quantMax": "quant_max", "eps": "eps", "averagingConstant": "averaging_constant", "chAxis": "ch_axis",
          "bins": "bins"}


def torch_args(args):
    out = {}
    for k, v in args.items():
        if k == "dtype":
            v = DT[v]
        elif k == "qscheme":
            v = QS[v]
        out[ARGMAP[k]] = v
    return out


def tolist(t):
    """Floats of a tensor; +-Inf (an observer that saw nothing) as None (JSON has no Infinity)."""
    return [float(v) if math.isfinite(v) else None for v in t.detach().reshape(-1).tolist()]


def run_torch(cls, args, data):
    obs = getattr(tobs, cls)(**torch_args(args))
    for b in (batches(data) if data else []):
        obs(torch.from_numpy(b))
    case = {"observer": cls, "args": args, "data": data}
    if hasattr(obs, "min_val"):
        case["state"] = {"min": tolist(obs.min_val), "max": tolist(obs.max_val)}
    if cls == "HistogramObserver" and data:
        case["state"]["histogram"] = digest(obs.histogram.numpy())
        lo, hi = obs._non_linear_param_search()
        case["search"] = [float(lo), float(hi)]
    scale, zp = obs.calculate_qparams()
    case["scale"] = tolist(scale)
    case["zeroPoint"] = [int(v) for v in zp.reshape(-1).tolist()]
    return case


TENSOR_SETS = ["gauss", "outliers", "grow", "shrink", "skewed", "positive", "relu", "negative", "const", "zeros",
               "single", "mixed", "const_then", "zeros_then"]
TORCH_CASES = []


def add(cls, args, datas):
    for d in datas:
        TORCH_CASES.append((cls, args, d))


Q8S = {"dtype": "qint8", "qscheme": "per_tensor_symmetric"}
add("MinMaxObserver", {}, TENSOR_SETS + [None])
add("MinMaxObserver", Q8S, ["gauss", "outliers", "positive", "zeros", "single"])
add("MinMaxObserver", {"reduceRange": True}, ["gauss", "skewed"])
add("MinMaxObserver", {"dtype": "qint8"}, ["gauss", "positive"])
add("MinMaxObserver", {"dtype": "qint8", "reduceRange": True}, ["gauss"])
add("MinMaxObserver", {"quantMin": 0, "quantMax": 127}, ["gauss"])
add("MinMaxObserver", {"quantMin": 0, "quantMax": 127, "reduceRange": True}, ["gauss"])
add("MinMaxObserver", {"qscheme": "per_tensor_symmetric"}, ["gauss", "positive"])
add("MinMaxObserver", {"qscheme": "per_tensor_symmetric", "quantMin": 0, "quantMax": 127}, ["gauss"])
add("MinMaxObserver", {**Q8S, "quantMin": -127, "quantMax": 127}, ["gauss"])
add("MinMaxObserver", {"eps": 1e-3}, ["zeros", "const"])
add("MovingAverageMinMaxObserver", {}, ["gauss", "grow", "shrink", "mixed", "outliers", None])
add("MovingAverageMinMaxObserver", {"averagingConstant": 0.5}, ["grow"])
add("MovingAverageMinMaxObserver", Q8S, ["grow"])
add("PerChannelMinMaxObserver", {"dtype": "qint8", "qscheme": "per_channel_symmetric"}, ["w2d", "w2d_two", None])
add("PerChannelMinMaxObserver", {}, ["w2d"])
add("PerChannelMinMaxObserver", {"dtype": "qint8"}, ["w2d_two"])
add("PerChannelMinMaxObserver", {"chAxis": 1}, ["w3d"])
add("PerChannelMinMaxObserver", {"chAxis": 1, "dtype": "qint8", "qscheme": "per_channel_symmetric"}, ["w3d"])
add("PerChannelMinMaxObserver", {"chAxis": 2, "reduceRange": True}, ["w3d"])
add("MovingAveragePerChannelMinMaxObserver", {}, ["w2d_two"])
add("MovingAveragePerChannelMinMaxObserver", {"dtype": "qint8", "qscheme": "per_channel_symmetric"}, ["w2d_two"])
add("HistogramObserver", {}, TENSOR_SETS + [None])
add("HistogramObserver", {"reduceRange": True}, ["gauss", "outliers", "grow"])
add("HistogramObserver", Q8S, ["gauss", "skewed", "grow"])
add("HistogramObserver", {"bins": 256}, ["gauss", "grow"])
add("HistogramObserver", {"quantMin": 0, "quantMax": 127}, ["gauss"])


def fixed_cases():
    out = []
    for scale, zp in ((1.0 / 256.0, 0), (2.0 / 256.0, 128)):
        obs = tobs.FixedQParamsObserver(scale=scale, zero_point=zp)
        obs(torch.from_numpy(batches("gauss")[0]))
        s, z = obs.calculate_qparams()
        out.append({"observer": "FixedQParamsObserver", "args": {"scale": scale, "zeroPoint": zp},
                    "data": "gauss", "scale": tolist(s), "zeroPoint": [int(v) for v in z.tolist()]})
    return out


# ---------------------------------------------------------------- backend presets (get_default_qconfig)
def preset_cases():
    out = []
    for backend in ("fbgemm", "x86", "qnnpack", "onednn"):
        qc = tqc.get_default_qconfig(backend)
        for act_data in ("gauss", "outliers", "relu"):
            a = qc.activation()
            for b in batches(act_data):
                a(torch.from_numpy(b))
            s, z = a.calculate_qparams()
            w = qc.weight()
            for b in batches("w2d"):
                w(torch.from_numpy(b))
            ws, wz = w.calculate_qparams()
            out.append({"backend": backend, "activationData": act_data, "weightData": "w2d",
                        "activation": {"observer": type(a).__name__, "reduceRange": bool(a.reduce_range),
                                       "quantMin": a.quant_min, "quantMax": a.quant_max,
                                       "scale": tolist(s), "zeroPoint": [int(v) for v in z.tolist()]},
                        "weight": {"observer": type(w).__name__, "qscheme": str(w.qscheme).split(".")[-1],
                                   "scale": tolist(ws), "zeroPoint": [int(v) for v in wz.reshape(-1).tolist()]}})
    for name, qc in (("dynamic", tqc.default_dynamic_qconfig), ("per_channel_dynamic", tqc.per_channel_dynamic_qconfig)):
        a = qc.activation()
        w = qc.weight()
        for b in batches("w2d"):
            w(torch.from_numpy(b))
        ws, wz = w.calculate_qparams()
        out.append({"backend": name, "weightData": "w2d",
                    "activation": {"observer": type(a).__name__, "dtype": str(a.dtype).split(".")[-1],
                                   "quantMin": a.quant_min, "quantMax": a.quant_max, "isDynamic": bool(a.is_dynamic)},
                    "weight": {"observer": type(w).__name__, "qscheme": str(w.qscheme).split(".")[-1],
                               "scale": tolist(ws), "zeroPoint": [int(v) for v in wz.reshape(-1).tolist()]}})
    return out


# ---------------------------------------------------------------- onnxruntime calibrators
def identity_model(path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "id", [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, path)


class Reader(ortcal.CalibrationDataReader):
    def __init__(self, arrays):
        self.it = iter([{"x": a} for a in arrays])

    def get_next(self):
        return next(self.it, None)


def ort_qparams(lo, hi):
    """compute_scale_zp as onnxruntime's quantizer calls it, for the usual activation types."""
    lo = np.array(lo, dtype=np.float32)
    hi = np.array(hi, dtype=np.float32)
    res = {}
    for name, qmin, qmax, sym in (("uint8", 0, 255, False), ("int8sym", -127, 127, True),
                                  ("uint8reduced", 0, 127, False), ("int8reducedsym", -64, 64, True)):
        zp, sc = compute_scale_zp(lo, hi, np.array(qmin, dtype=np.int32), np.array(qmax, dtype=np.int32), sym)
        res[name] = {"scale": float(sc), "zeroPoint": int(zp)}
    return res


def run_ort(method, args, data, per_batch, tmp):
    model = os.path.join(tmp, "id.onnx")
    identity_model(model)
    aug = os.path.join(tmp, "aug.onnx")
    arrays = [b.reshape(-1) for b in batches(data)]
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        if method == "minmax":
            cal = ortcal.MinMaxCalibrater(model, augmented_model_path=aug, symmetric=args.get("symmetric", False))
        elif method == "entropy":
            cal = ortcal.EntropyCalibrater(model, augmented_model_path=aug, symmetric=args.get("symmetric", False),
                                           num_bins=args.get("numBins", 128),
                                           num_quantized_bins=args.get("numQuantizedBins", 128))
        elif method == "percentile":
            cal = ortcal.PercentileCalibrater(model, augmented_model_path=aug, symmetric=args.get("symmetric", True),
                                              num_bins=args.get("numBins", 2048),
                                              percentile=args.get("percentile", 99.999))
        cal.augment_graph()
        cal.create_inference_session()
        if per_batch:
            for a in arrays:
                cal.collect_data(Reader([a]))
        else:
            cal.collect_data(Reader(arrays))
        res = cal.compute_data()
    lo, hi = (np.asarray(v, dtype=np.float32).reshape(-1)[0] for v in res["x"].range_value)
    case = {"calibrator": method, "args": args, "data": data, "perBatch": per_batch,
            "range": [float(lo), float(hi)], "qparams": ort_qparams(lo, hi)}
    if method != "minmax":
        hist = cal.collector.histogram_dict["x"]
        case["histogram"] = {"bins": int(len(hist[0])), "counts": digest(hist[0]),
                             "edges": [float(hist[1][0]), float(hist[1][-1])]}
    return case


ORT_CASES = [
    ("minmax", {}, ["gauss", "outliers", "skewed", "positive", "negative", "zeros"], [True]),
    ("minmax", {"symmetric": True}, ["gauss", "skewed"], [True]),
    ("entropy", {}, ["gauss", "outliers", "grow", "shrink", "skewed", "relu", "positive", "zeros_then"], [True, False]),
    ("entropy", {"numBins": 512, "numQuantizedBins": 128}, ["gauss", "outliers"], [True]),
    ("entropy", {"numBins": 1024, "numQuantizedBins": 256}, ["grow"], [True]),
    ("percentile", {"symmetric": True, "percentile": 99.999}, ["gauss", "outliers", "grow", "shrink", "skewed",
                                                               "zeros_then"], [True, False]),
    ("percentile", {"symmetric": True, "percentile": 99.99, "numBins": 2048}, ["outliers", "relu"], [True]),
    ("percentile", {"symmetric": False, "percentile": 99.99}, ["gauss", "skewed", "positive", "grow", "outliers",
                                                                "zeros_then"], [True, False]),
    ("percentile", {"symmetric": False, "percentile": 99.9, "numBins": 512}, ["skewed"], [True]),
]


def main():
    torch.set_num_threads(1)
    fixture = {
        "meta": {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__, "numpy": np.__version__,
                 "generator": "scripts/gen_observer_fixtures.py"},
        "data": DATA,
        "dataDigest": {k: [bits_digest(b) for b in batches(k)] for k in DATA},
        "pytorch": [run_torch(c, a, d) for c, a, d in TORCH_CASES] + fixed_cases(),
        "presets": preset_cases(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        fixture["onnxruntime"] = [run_ort(m, a, d, pb, tmp) for m, a, ds, pbs in ORT_CASES for d in ds for pb in pbs]
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=None, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT}: {len(fixture['pytorch'])} PyTorch cases, {len(fixture['onnxruntime'])} onnxruntime cases, "
          f"{len(fixture['presets'])} presets, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    sys.exit(main())
