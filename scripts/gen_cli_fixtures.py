#!/usr/bin/env python3
"""Golden values for the CLI's file readers (lib/cli/image.ts, lib/cli/npy.ts), from Pillow and NumPy.

Writes test/fixtures/cli_golden.json:
  resize: for each case, a deterministic 8-bit input plane and Pillow's BILINEAR resize of it in
          mode 'F' (float32 pixels, so Pillow does not round to 8 bits between its passes; it
          stores the horizontal pass in float32, qint8 in double);
  gray:   RGB pixels and Pillow's convert('L') of them (ITU-R 601-2 luma in fixed point);
  npy:    np.save bytes (base64) of small arrays of each dtype, a version 2.0 file, and files
          the reader must refuse (Fortran order, big-endian).
Run once: python3 scripts/gen_image_fixtures.py (tests need no Python).
"""
import base64
import io
import json
import os

import numpy as np
import PIL
from PIL import Image

CASES = [  # (in_h, in_w, out_h, out_w)
    (4, 4, 8, 8),  # enlarge 2x: plain half-pixel bilinear
    (5, 7, 3, 4),  # shrink by non-integer factors: widened triangle filter
    (28, 28, 14, 14),  # shrink 2x
    (30, 40, 28, 28),  # mixed: slight shrink, aspect change
    (6, 6, 6, 6),  # same size
    (3, 9, 7, 2),  # enlarge one axis, shrink the other
]


def plane(h, w, seed):
    x = np.uint32(seed) | np.uint32(1)
    out = np.empty(h * w, dtype=np.uint8)
    for i in range(h * w):
        x ^= (x << np.uint32(13)) & np.uint32(0xFFFFFFFF)
        x ^= x >> np.uint32(17)
        x ^= (x << np.uint32(5)) & np.uint32(0xFFFFFFFF)
        out[i] = int(x) >> 24
    return out.reshape(h, w)


def main():
    resize = []
    for i, (h, w, oh, ow) in enumerate(CASES):
        src = plane(h, w, 1000 + i)
        img = Image.fromarray(src.astype(np.float32), mode="F")
        res = np.asarray(img.resize((ow, oh), Image.BILINEAR), dtype=np.float32)
        resize.append({"in": [h, w], "out": [oh, ow], "src": src.ravel().tolist(), "pil": [float(v) for v in res.ravel()]})
    rgb = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [12, 200, 99], [128, 128, 128], [1, 2, 3], [250, 17, 130]], dtype=np.uint8)
    gray = np.asarray(Image.fromarray(rgb.reshape(1, -1, 3), mode="RGB").convert("L")).ravel()
    npy = []
    arrays = [
        ("float32", np.arange(6, dtype=np.float32).reshape(2, 3) / np.float32(7), {}),
        ("float64", np.array([0.1, -2.5, 1e300], dtype=np.float64), {}),
        ("uint8", np.array([0, 1, 254, 255], dtype=np.uint8).reshape(1, 1, 2, 2), {}),
        ("int8", np.array([-128, -1, 0, 127], dtype=np.int8), {}),
        ("int32", np.array([[-(2**31), 2**31 - 1]], dtype=np.int32), {}),
        ("int64", np.array(-(2**40) + 3, dtype=np.int64), {}),
        ("float32", np.zeros((0, 4), dtype=np.float32), {}),
        ("float32", np.arange(4, dtype=np.float32).reshape(2, 2), {"version": [2, 0]}),
        ("float32", np.asfortranarray(np.arange(4, dtype=np.float32).reshape(2, 2)), {"fortran": True}),
        ("float32", np.arange(3, dtype=">f4"), {"bigEndian": True}),
    ]
    for dtype, a, extra in arrays:
        f = io.BytesIO()
        if "version" in extra:
            np.lib.format.write_array(f, a, version=tuple(extra["version"]))
        else:
            np.save(f, a)
        npy.append({"dtype": dtype, "shape": list(a.shape), "values": [float(v) if dtype.startswith("float") else int(v) for v in np.ascontiguousarray(a).ravel()], "bytes": base64.b64encode(f.getvalue()).decode(), **extra})
    out = {"pillow": PIL.__version__, "numpy": np.__version__, "resize": resize, "gray": {"rgb": rgb.tolist(), "L": gray.tolist()}, "npy": npy}
    path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "cli_golden.json")
    with open(path, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
