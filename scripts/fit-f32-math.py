#!/usr/bin/env python3
"""Fits the polynomial coefficients of qint8's float32 math approximations (exp, log, erf, tanh)
and prints them as float32 hex literals for native/kernels/f32_impl.h.

Method: Lawson's iteratively reweighted least squares on a dense grid (converges to the minimax
polynomial for the weighted error), in float64 against mpmath references, then the coefficients
are rounded to float32 and the approximation is re-evaluated with float32 Horner steps (each
fma emulated in float64 and rounded once) to report the error the kernels will actually see.
The authoritative accuracy figures are the C++ tests (native/test/test_f32_math.cc), which
compare every ISA's kernels against libm in float64 over dense grids.

Run: python3 scripts/fit-f32-math.py   (needs numpy and mpmath; not needed by the library)
"""
import numpy as np
import mpmath as mp

mp.mp.dps = 40


def lawson(xs, target, weight, basis, iters=400):
    """Coefficients c minimising max_i |weight_i * (basis(x_i) @ c - target_i)|."""
    A = basis(xs) * weight[:, None]
    b = target * weight
    w = np.ones_like(xs) / len(xs)
    best = None
    for _ in range(iters):
        sw = np.sqrt(w)
        c, *_ = np.linalg.lstsq(A * sw[:, None], b * sw, rcond=None)
        e = np.abs(A @ c - b)
        m = e.max()
        if best is None or m < best[0]:
            best = (m, c)
        w = w * e
        s = w.sum()
        if s == 0:
            break
        w /= s
    return best[1], best[0]


def f32(v):
    return np.float32(v)


def fma32(a, b, c):
    return np.float32(np.float64(a) * np.float64(b) + np.float64(c))


def horner32(cs, x):
    """cs[0] + cs[1] x + ... evaluated in float32 with fma steps (highest degree first)."""
    p = np.float32(cs[-1])
    for c in reversed(cs[:-1]):
        p = fma32(p, x, np.float32(c))
    return p


def hexf(v):
    import struct
    return '0x%08x' % struct.unpack('<I', struct.pack('<f', float(v)))[0]


def show(name, cs):
    cs32 = [f32(c) for c in cs]
    print(f'// {name}: ' + ', '.join(f'{hexf(c)} /* {float(c):.9g} */' for c in cs32))
    return cs32


def cheb(a, b, n):
    k = np.arange(n)
    return np.sort((a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (k + 0.5) / n))


# exp(r) = 1 + r + r^2 * P(r), r in [-ln2/2, ln2/2]
def fit_exp(deg=4):
    h = float(mp.log(2)) / 2
    xs = cheb(-h, h, 4000)
    xs = xs[np.abs(xs) > 1e-6]
    g = np.array([float((mp.exp(mp.mpf(x)) - 1 - x) / (mp.mpf(x) ** 2)) for x in xs])
    wt = np.array([float(mp.mpf(x) ** 2 / mp.exp(x)) for x in xs])
    c, err = lawson(xs, g, wt, lambda x: np.vander(x, deg + 1, increasing=True))
    print(f'exp: P degree {deg}, weighted max rel error {err:.3g}')
    return show('exp P (r^0..)', c)


# log(1+f) = f - f^2/2 + f^3 * P(f), f in [sqrt(1/2)-1, sqrt(2)-1]
def fit_log(deg=6):
    lo, hi = float(mp.sqrt(0.5) - 1), float(mp.sqrt(2) - 1)
    xs = cheb(lo, hi, 4000)
    xs = xs[np.abs(xs) > 1e-5]
    g = np.array([float((mp.log1p(mp.mpf(x)) - x + mp.mpf(x) ** 2 / 2) / mp.mpf(x) ** 3) for x in xs])
    wt = np.array([float(mp.mpf(x) ** 3 / mp.log1p(mp.mpf(x))) for x in xs])
    c, err = lawson(xs, g, wt, lambda x: np.vander(x, deg + 1, increasing=True))
    print(f'log: P degree {deg}, weighted max rel error {err:.3g}')
    return show('log P (f^0..)', c)


# erf(x) = x * P(x^2), |x| <= 1
def fit_erf_small(deg=5, split=1.0):
    xs = cheb(1e-4, split, 3000)
    t = xs * xs
    g = np.array([float(mp.erf(mp.mpf(x)) / x) for x in xs])
    wt = np.array([float(x / mp.erf(mp.mpf(x))) for x in xs])
    c, err = lawson(t, g, wt, lambda v: np.vander(v, deg + 1, increasing=True))
    print(f'erf small: P degree {deg} in x^2, weighted max rel error {err:.3g}')
    return show('erf small P (t^0..)', c)


# erf(x) = 1 - exp(Q(x)), split <= x <= top; Q(x) = log(erfc(x)); error in erf units
def fit_erf_big(deg=9, split=1.0, top=3.9375):
    xs = cheb(split, top, 4000)
    g = np.array([float(mp.log(mp.erfc(mp.mpf(x)))) for x in xs])
    wt = np.array([float(mp.erfc(mp.mpf(x)) / mp.erf(mp.mpf(x))) for x in xs])
    c, err = lawson(xs, g, wt, lambda v: np.vander(v, deg + 1, increasing=True))
    print(f'erf big: Q degree {deg}, weighted max rel error of erf {err:.3g}')
    return show('erf big Q (x^0..)', c)


# tanh(x) = x + x^3 * P(x^2), |x| <= split
def fit_tanh(deg=6, split=1.0):
    xs = cheb(1e-3, split, 3000)
    t = xs * xs
    g = np.array([float((mp.tanh(mp.mpf(x)) - x) / mp.mpf(x) ** 3) for x in xs])
    wt = np.array([float(mp.mpf(x) ** 3 / mp.tanh(mp.mpf(x))) for x in xs])
    c, err = lawson(t, g, wt, lambda v: np.vander(v, deg + 1, increasing=True))
    print(f'tanh: P degree {deg} in x^2, weighted max rel error {err:.3g}')
    return show('tanh P (t^0..)', c)


if __name__ == '__main__':
    import sys
    fit_exp(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
    fit_log(int(sys.argv[2]) if len(sys.argv) > 2 else 6)
    fit_erf_small(int(sys.argv[3]) if len(sys.argv) > 3 else 5)
    fit_erf_big(int(sys.argv[4]) if len(sys.argv) > 4 else 9)
    fit_tanh(int(sys.argv[5]) if len(sys.argv) > 5 else 6)
