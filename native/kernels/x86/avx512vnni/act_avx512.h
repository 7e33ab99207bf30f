// qint8 — the float32 activations of activation.h on zmm registers (bit-exact with
// applyActivation). Included only by files of this ISA folder: static inline code only.
#pragma once
#include <immintrin.h>

#include "qint8/activation.h"

namespace qint8 {
namespace {

struct ActConsts512 {
  __m512 p0, p1, zero, one, hsA, hsB;
  explicit ActConsts512(const Activation& a)
      : p0(_mm512_set1_ps(a.p0)),
        p1(_mm512_set1_ps(a.p1)),
        zero(_mm512_setzero_ps()),
        one(_mm512_set1_ps(1.0f)),
        hsA(_mm512_set1_ps(kHardSwishAlpha)),
        hsB(_mm512_set1_ps(kHardSwishBeta)) {}
};

template <ActKind K>
static QINT8_ALWAYS_INLINE __m512 act512(__m512 v, const ActConsts512& k) {
  if constexpr (K == ActKind::kRelu) {
    return _mm512_max_ps(k.zero, v);
  } else if constexpr (K == ActKind::kClip) {
    return _mm512_min_ps(k.p1, _mm512_max_ps(k.p0, v));
  } else if constexpr (K == ActKind::kLeakyRelu) {
    const __mmask16 ge = _mm512_cmp_ps_mask(v, k.zero, _CMP_GE_OQ);
    return _mm512_mask_blend_ps(ge, _mm512_mul_ps(v, k.p0), v);
  } else if constexpr (K == ActKind::kHardSigmoid) {
    const __m512 t = _mm512_add_ps(_mm512_mul_ps(v, k.p0), k.p1);
    return _mm512_min_ps(k.one, _mm512_max_ps(k.zero, t));
  } else if constexpr (K == ActKind::kHardSwish) {
    const __m512 t = _mm512_add_ps(_mm512_mul_ps(v, k.hsA), k.hsB);
    return _mm512_mul_ps(v, _mm512_min_ps(k.one, _mm512_max_ps(k.zero, t)));
  } else {
    return v;
  }
}

// Runtime dispatch (a predictable branch per vector).
static QINT8_ALWAYS_INLINE __m512 act512(ActKind kind, __m512 v, const ActConsts512& k) {
  switch (kind) {
    case ActKind::kNone: return v;
    case ActKind::kRelu: return act512<ActKind::kRelu>(v, k);
    case ActKind::kClip: return act512<ActKind::kClip>(v, k);
    case ActKind::kLeakyRelu: return act512<ActKind::kLeakyRelu>(v, k);
    case ActKind::kHardSigmoid: return act512<ActKind::kHardSigmoid>(v, k);
    case ActKind::kHardSwish: return act512<ActKind::kHardSwish>(v, k);
  }
  return v;
}

}  // namespace
}  // namespace qint8
