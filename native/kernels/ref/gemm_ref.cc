// qint8 — scalar reference GEMM: the executable specification every ISA path must match.
#include <cstring>

#include "qint8/requant.h"
#include "../../runtime/gemm_kernels.h"

namespace qint8 {
namespace {

size_t refPanelBytes(int k) { return static_cast<size_t>(k); }

// One column per panel, stored as the original row of W.
void refPackPanel(const int8_t* w, int n, int k, int n0, uint8_t* dst) {
  if (n0 < n) std::memcpy(dst, w + static_cast<size_t>(n0) * k, static_cast<size_t>(k));
  else std::memset(dst, 0, static_cast<size_t>(k));
}

// Applies the output stage to one accumulator and stores it at `out`.
static inline void storeOne(const GemmEpilogue& ep, int j, int32_t acc, uint8_t* out) {
  switch (ep.kind) {
    case GemmOut::kU8:
      *out = static_cast<uint8_t>(requantize(acc, ep.scale[j], ep.zeroPoint, ep.lo, ep.hi));
      break;
    case GemmOut::kS8:
      *reinterpret_cast<int8_t*>(out) =
          static_cast<int8_t>(requantize(acc, ep.scale[j], ep.zeroPoint, ep.lo, ep.hi));
      break;
    case GemmOut::kF32: {
      const float v = dequantizeAcc(acc, ep.scale[j], ep.biasF ? ep.biasF[j] : 0.0f);
      std::memcpy(out, &v, sizeof v);
      break;
    }
    case GemmOut::kS32:
      std::memcpy(out, &acc, sizeof acc);
      break;
  }
}

static inline size_t outBytes(GemmOut kind) {
  return (kind == GemmOut::kU8 || kind == GemmOut::kS8) ? 1 : 4;
}

void refTile(const GemmTileArgs& t) {
  const size_t ob = outBytes(t.ep.kind);
  for (int p = t.panelBegin; p < t.panelEnd && p < t.n; ++p) {
    const int8_t* w = reinterpret_cast<const int8_t*>(t.b + static_cast<size_t>(p) * t.panelStride);
    for (int i = 0; i < t.m; ++i) {
      const uint8_t* a = t.a + static_cast<size_t>(i) * t.lda;
      int32_t acc = t.ep.bias32 ? t.ep.bias32[p] : 0;
      for (int kk = 0; kk < t.k; ++kk) acc += static_cast<int32_t>(a[kk]) * w[kk];
      if (t.ep.weightZeroPoint) acc -= t.rowsum[i] * t.ep.weightZeroPoint[p];
      storeOne(t.ep, p, acc, t.c + static_cast<size_t>(i) * t.ldcBytes + static_cast<size_t>(p) * ob);
    }
  }
}

double refPeak(long iters) {
  // A dependent-chain-free scalar multiply-accumulate loop: 8 independent accumulators.
  volatile int32_t seed = 3;
  int32_t a = seed, b = seed + 1;
  int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  for (long i = 0; i < iters; ++i) {
    s0 += a * b; s1 += a * (b + 1); s2 += (a + 1) * b; s3 += (a + 2) * b;
    s4 += a * (b + 2); s5 += (a + 3) * b; s6 += a * (b + 3); s7 += (a + 1) * (b + 1);
    __asm__ volatile("" : "+r"(s0), "+r"(s1), "+r"(s2), "+r"(s3), "+r"(s4), "+r"(s5), "+r"(s6), "+r"(s7));
  }
  seed = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
  return 8.0 * static_cast<double>(iters);
}

const GemmKernelTable kRef = {
    Isa::kScalar, 1, 1, refPanelBytes, refPackPanel, refTile, nullptr, nullptr, nullptr, nullptr, refPeak,
};

}  // namespace

const GemmKernelTable* gemmKernelsRef() { return &kRef; }

}  // namespace qint8
