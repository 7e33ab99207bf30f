// qint8 — helpers shared by the aarch64 kernel folders (neon, neondot, i8mm).
//
// Included by ISA translation units, each compiled with its own -march: everything here is a POD
// or has internal linkage (static inline), so every folder gets its own copy and the linker can
// never hand a dotprod-compiled helper to a CPU without dotprod.
//
// The output stage is the numerics contract of qint8/requant.h, lane by lane:
//   requantized: v = float(acc) * M (scvtf, fmul; never fmla), v = clamp(v, lo - zp, hi - zp),
//                y = roundHalfEven(v) + zp (fcvtns: round to nearest, ties to even)
//   dequantized: y = float(acc) * scale + bias (fmul, then fadd; the +0.0f is kept when there is
//                no bias, because -0.0f + 0.0f is +0.0f in the reference)
// The clamp uses fmaxnm / fminnm: for a quiet NaN they return the other operand, so NaN becomes
// lo - zp exactly like the reference's `v > lo ? v : lo` (x86 MAXPS semantics). A NaN reaching
// the clamp is always quiet (it comes out of an arithmetic instruction). For numbers the two agree
// up to the sign of a zero, which does not survive the rounding to an integer.
#pragma once
#include <arm_neon.h>

#include <cstring>

#include "qint8/common.h"
#include "qint8/gemm.h"

namespace qint8 {
namespace armk {

// Output-stage parameters of the (up to 8) columns of one packed panel, copied once per panel:
// the last panel's missing columns get neutral values instead of reads past the caller's arrays.
struct ColParams {
  int32_t bias[8];   // bias32[n] plus the kernel's own per-column correction
  int32_t zw[8];     // weight zero points (asymmetric weights only)
  float scale[8];
  float biasF[8];    // f32 stage: the float bias, or +0.0f
};

// cols = columns per panel (4 or 8); corr (may be null) is added to bias32 column by column.
static inline void loadColParams(const GemmEpilogue& ep, int n0, int nvalid, int cols, const int32_t* corr,
                                 ColParams* cp) {
  const int v = nvalid < cols ? nvalid : cols;
  for (int j = 0; j < 8; ++j) {
    const bool in = j < v;
    const int32_t b = (in && ep.bias32) ? ep.bias32[n0 + j] : 0;
    const int32_t c = (in && corr) ? corr[j] : 0;
    // Wrapping add, like the int32 accumulator of the reference.
    cp->bias[j] = static_cast<int32_t>(static_cast<uint32_t>(b) + static_cast<uint32_t>(c));
    cp->zw[j] = (in && ep.weightZeroPoint) ? ep.weightZeroPoint[n0 + j] : 0;
    cp->scale[j] = (in && ep.scale) ? ep.scale[n0 + j] : 0.0f;
    cp->biasF[j] = (in && ep.biasF) ? ep.biasF[n0 + j] : 0.0f;
  }
}

// Constants of the requantizing stage.
struct RequantConsts {
  float32x4_t lo, hi;  // lo - zp, hi - zp
  int32x4_t zp;
};

static inline RequantConsts requantConsts(const GemmEpilogue& ep) {
  RequantConsts r;
  r.lo = vdupq_n_f32(static_cast<float>(ep.lo - ep.zeroPoint));
  r.hi = vdupq_n_f32(static_cast<float>(ep.hi - ep.zeroPoint));
  r.zp = vdupq_n_s32(ep.zeroPoint);
  return r;
}

static QINT8_ALWAYS_INLINE int32x4_t requant4(int32x4_t acc, float32x4_t scale, const RequantConsts& rc) {
  float32x4_t f = vmulq_f32(vcvtq_f32_s32(acc), scale);
  f = vminnmq_f32(vmaxnmq_f32(f, rc.lo), rc.hi);
  return vaddq_s32(vcvtnq_s32_f32(f), rc.zp);
}

// Low bytes of two int32x4 (values already inside the uint8 or int8 range).
static QINT8_ALWAYS_INLINE uint8x8_t narrow8(int32x4_t a, int32x4_t b) {
  const int16x8_t h = vcombine_s16(vmovn_s32(a), vmovn_s32(b));
  return vreinterpret_u8_s8(vmovn_s16(h));
}

static inline void storeBytes(uint8_t* dst, uint8x8_t v, int valid) {
  if (valid >= 8) {
    vst1_u8(dst, v);
  } else if (valid > 0) {
    uint8_t tmp[8];
    vst1_u8(tmp, v);
    std::memcpy(dst, tmp, static_cast<size_t>(valid));
  }
}

static inline void storeWords(void* dst, int32x4_t v, int valid) {
  if (valid >= 4) {
    vst1q_s32(static_cast<int32_t*>(dst), v);
  } else if (valid > 0) {
    int32_t tmp[4];
    vst1q_s32(tmp, v);
    std::memcpy(dst, tmp, static_cast<size_t>(valid) * 4);
  }
}

// One row of NV x 4 columns (acc0 = columns 0..3, acc1 = columns 4..7): adds the column bias,
// subtracts rowsum * zW for asymmetric weights, runs the output stage and stores the `nvalid`
// valid columns at `c`.
template <GemmOut OUT, bool WZP, int NV>
static QINT8_ALWAYS_INLINE void storeRow(int32x4_t acc0, int32x4_t acc1, const ColParams& cp,
                                         const RequantConsts& rc, int32_t rowsum, uint8_t* c, int nvalid) {
  acc0 = vaddq_s32(acc0, vld1q_s32(cp.bias));
  if (NV > 1) acc1 = vaddq_s32(acc1, vld1q_s32(cp.bias + 4));
  if constexpr (WZP) {
    const int32x4_t rs = vdupq_n_s32(rowsum);
    acc0 = vsubq_s32(acc0, vmulq_s32(rs, vld1q_s32(cp.zw)));
    if (NV > 1) acc1 = vsubq_s32(acc1, vmulq_s32(rs, vld1q_s32(cp.zw + 4)));
  }
  if constexpr (OUT == GemmOut::kS32) {
    storeWords(c, acc0, nvalid);
    if (NV > 1) storeWords(c + 16, acc1, nvalid - 4);
  } else if constexpr (OUT == GemmOut::kF32) {
    const float32x4_t f0 = vaddq_f32(vmulq_f32(vcvtq_f32_s32(acc0), vld1q_f32(cp.scale)), vld1q_f32(cp.biasF));
    storeWords(c, vreinterpretq_s32_f32(f0), nvalid);
    if (NV > 1) {
      const float32x4_t f1 =
          vaddq_f32(vmulq_f32(vcvtq_f32_s32(acc1), vld1q_f32(cp.scale + 4)), vld1q_f32(cp.biasF + 4));
      storeWords(c + 16, vreinterpretq_s32_f32(f1), nvalid - 4);
    }
  } else {
    const int32x4_t q0 = requant4(acc0, vld1q_f32(cp.scale), rc);
    const int32x4_t q1 = NV > 1 ? requant4(acc1, vld1q_f32(cp.scale + 4), rc) : q0;
    const uint8x8_t b = narrow8(q0, q1);
    storeBytes(c, b, nvalid < 4 * NV ? nvalid : 4 * NV);
  }
}

// ---- byte <-> wider lanes, shared by the elementwise kernels ----

// Low / high 8 bytes of v as int16 lanes: uint8 (S = false, zero-extended) or int8 (sign-extended).
template <bool S>
static QINT8_ALWAYS_INLINE int16x8_t widenLo16(uint8x16_t v) {
  if constexpr (S) return vmovl_s8(vget_low_s8(vreinterpretq_s8_u8(v)));
  else return vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(v)));
}
template <bool S>
static QINT8_ALWAYS_INLINE int16x8_t widenHi16(uint8x16_t v) {
  if constexpr (S) return vmovl_high_s8(vreinterpretq_s8_u8(v));
  else return vreinterpretq_s16_u16(vmovl_high_u8(v));
}

// Low 16 bits of every int32 lane of a, then of b (one uzp1; lanes already inside int16).
static QINT8_ALWAYS_INLINE int16x8_t lowHalves(int32x4_t a, int32x4_t b) {
  return vuzp1q_s16(vreinterpretq_s16_s32(a), vreinterpretq_s16_s32(b));
}
// Low byte of every int16 lane of a, then of b (one uzp1; lanes already inside the byte type).
static QINT8_ALWAYS_INLINE uint8x16_t lowBytes(int16x8_t a, int16x8_t b) {
  return vuzp1q_u8(vreinterpretq_u8_s16(a), vreinterpretq_u8_s16(b));
}

// Stores the first n (< 16) bytes of v.
static inline void storeBytes16(uint8_t* dst, uint8x16_t v, size_t n) {
  uint8_t tmp[16];
  vst1q_u8(tmp, v);
  std::memcpy(dst, tmp, n);
}

// Copies rows of A (u8, or s8 when aSigned) into rows of `ld` bytes, XOR-ing every byte with
// `flip` and zero-filling columns k..ld-1 (the packed weights are zero there too).
static inline void copyRowsPadded(const uint8_t* a, size_t lda, int m, int k, size_t ld, uint8_t flip, uint8_t* dst) {
  const uint8x16_t vf = vdupq_n_u8(flip);
  for (int i = 0; i < m; ++i) {
    const uint8_t* src = a + static_cast<size_t>(i) * lda;
    uint8_t* d = dst + static_cast<size_t>(i) * ld;
    int kk = 0;
    for (; kk + 16 <= k; kk += 16) vst1q_u8(d + kk, veorq_u8(vld1q_u8(src + kk), vf));
    for (; kk < k; ++kk) d[kk] = static_cast<uint8_t>(src[kk] ^ flip);
    std::memset(d + k, 0, ld - static_cast<size_t>(k));
  }
}

}  // namespace armk
}  // namespace qint8
