// qint8 — the float32 activations of activation.h on ymm registers (bit-exact with
// applyActivation). Included only by files of this ISA folder: static inline code only.
#pragma once
#include <immintrin.h>

#include "qint8/activation.h"

namespace qint8 {
namespace {

struct ActConsts256 {
  __m256 p0, p1, zero, one, hsA, hsB;
  explicit ActConsts256(const Activation& a)
      : p0(_mm256_set1_ps(a.p0)),
        p1(_mm256_set1_ps(a.p1)),
        zero(_mm256_setzero_ps()),
        one(_mm256_set1_ps(1.0f)),
        hsA(_mm256_set1_ps(kHardSwishAlpha)),
        hsB(_mm256_set1_ps(kHardSwishBeta)) {}
};

template <ActKind K>
static QINT8_ALWAYS_INLINE __m256 act256(__m256 v, const ActConsts256& k) {
  if constexpr (K == ActKind::kRelu) {
    return _mm256_max_ps(k.zero, v);
  } else if constexpr (K == ActKind::kClip) {
    return _mm256_min_ps(k.p1, _mm256_max_ps(k.p0, v));
  } else if constexpr (K == ActKind::kLeakyRelu) {
    const __m256 ge = _mm256_cmp_ps(v, k.zero, _CMP_GE_OQ);
    return _mm256_blendv_ps(_mm256_mul_ps(v, k.p0), v, ge);
  } else if constexpr (K == ActKind::kHardSigmoid) {
    const __m256 t = _mm256_add_ps(_mm256_mul_ps(v, k.p0), k.p1);
    return _mm256_min_ps(k.one, _mm256_max_ps(k.zero, t));
  } else if constexpr (K == ActKind::kHardSwish) {
    const __m256 t = _mm256_add_ps(_mm256_mul_ps(v, k.hsA), k.hsB);
    return _mm256_mul_ps(v, _mm256_min_ps(k.one, _mm256_max_ps(k.zero, t)));
  } else {
    return v;
  }
}

static QINT8_ALWAYS_INLINE __m256 act256(ActKind kind, __m256 v, const ActConsts256& k) {
  switch (kind) {
    case ActKind::kNone: return v;
    case ActKind::kRelu: return act256<ActKind::kRelu>(v, k);
    case ActKind::kClip: return act256<ActKind::kClip>(v, k);
    case ActKind::kLeakyRelu: return act256<ActKind::kLeakyRelu>(v, k);
    case ActKind::kHardSigmoid: return act256<ActKind::kHardSigmoid>(v, k);
    case ActKind::kHardSwish: return act256<ActKind::kHardSwish>(v, k);
  }
  return v;
}

static inline __m256i laneMask256(int valid) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), idx);
}

}  // namespace
}  // namespace qint8
