// qint8 — float32 GEMM: the reference (the spec, sgemmReference) and the scalar tier's kernels.
// Both accumulate with std::fma in increasing k from +0, so every tier can be compared with them
// bit for bit.
#include <cmath>

#include "../../runtime/sgemm_kernels.h"

namespace qint8 {
namespace {

constexpr int kNR = 16;
constexpr int kMR = 4;

static inline float epilogueOne(float v, size_t j, const float* bias, float alpha, const float* sum, const Activation& act) {
  if (alpha != 1.0f) v = v * alpha;
  if (bias) v = v + bias[j];
  if (sum) v = v + sum[j];
  return applyActivation(act, v);
}

void refEpilogue(float* c, size_t ldc, int m, int n, const float* bias, float alpha, const float* sum, size_t ldsum,
                 const Activation& act) {
  if (alpha == 1.0f && !bias && !sum && act.kind == ActKind::kNone) return;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j)
      c[i * ldc + j] = epilogueOne(c[i * ldc + j], j, bias, alpha, sum ? sum + i * ldsum : nullptr, act);
}

void refTile(const SgemmTileArgs& t) {
  for (int p = t.panelBegin; p < t.panelEnd; ++p) {
    const int w = sgemmPanelWidth(kNR, 1, t.n, p);
    const int n0 = p * kNR;
    const float* bp = t.b + p * t.panelStride + t.kOff * static_cast<size_t>(w);
    for (int i = 0; i < t.m; ++i) {
      float* crow = t.c + i * t.ldc + n0;
      for (int j = 0; j < w; ++j) {
        float acc = t.accumulate ? crow[j] : 0.0f;
        const float* bj = bp + j;
        for (int s = 0; s < t.nseg; ++s) {
          const float* a = t.rows[i * t.rowStride + s] + t.segOff;
          for (int kk = 0; kk < t.segLen; ++kk, bj += w) acc = std::fma(a[kk], *bj, acc);
        }
        crow[j] = acc;
      }
      if (t.final)
        refEpilogue(crow, t.ldc, 1, w, t.ep->bias ? t.ep->bias + n0 : nullptr, t.ep->alpha,
                    t.ep->sum ? t.ep->sum + i * t.ep->ldsum + n0 : nullptr, t.ep->ldsum, t.ep->act);
    }
  }
}

double refPeakLoop(long iters) {
  float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  volatile float xv = 1.0001f, yv = 0.9999f;
  const float x = xv, y = yv;
  for (long i = 0; i < iters; ++i) {
    a0 = std::fma(x, y, a0);
    a1 = std::fma(x, y, a1);
    a2 = std::fma(x, y, a2);
    a3 = std::fma(x, y, a3);
    a4 = std::fma(x, y, a4);
    a5 = std::fma(x, y, a5);
    a6 = std::fma(x, y, a6);
    a7 = std::fma(x, y, a7);
  }
  volatile float sink = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
  (void)sink;
  return static_cast<double>(iters) * 8 * 2;
}

const SgemmKernelTable kRef = {Isa::kScalar, kNR, 1, kMR, refTile, refEpilogue, refPeakLoop, false};

}  // namespace

const SgemmKernelTable* sgemmKernelsRef() { return &kRef; }

void sgemmReference(const float* a, ptrdiff_t sam, ptrdiff_t sak, const float* b, ptrdiff_t sbk, ptrdiff_t sbn, int m,
                    int n, int k, float* c, size_t ldc, const SgemmEpilogue& ep) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int kk = 0; kk < k; ++kk) acc = std::fma(a[i * sam + kk * sak], b[kk * sbk + j * sbn], acc);
      c[i * ldc + j] = epilogueOne(acc, static_cast<size_t>(j), ep.bias, ep.alpha, ep.sum ? ep.sum + i * ep.ldsum : nullptr, ep.act);
    }
}

}  // namespace qint8
