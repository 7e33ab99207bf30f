// qint8 — NEON QuantizeLinear / DequantizeLinear (armv8-a). Bit-exact with kernels/ref:
//   quantize:   fdiv (float32 division, as the reference; not a reciprocal multiply), clamp with
//               fmaxnm/fminnm to [qmin - zp, qmax - zp] (a NaN quotient gives qmin - zp, see
//               arm_common.h), fcvtns (round to nearest, ties to even), + zp, narrow.
//   dequantize: widen, - zp in int32, scvtf, fmul.
// The dotprod and i8mm tiers have nothing faster to offer here and fall back to this table.
#include <arm_neon.h>

#include <cstring>

#include "../../../runtime/elt_kernels.h"

namespace qint8 {
namespace {

struct QConsts {
  float32x4_t scale, lo, hi;
  int32x4_t zp;
};

static QINT8_ALWAYS_INLINE int32x4_t quant4(float32x4_t x, const QConsts& k) {
  float32x4_t v = vdivq_f32(x, k.scale);
  v = vminnmq_f32(vmaxnmq_f32(v, k.lo), k.hi);
  return vaddq_s32(vcvtnq_s32_f32(v), k.zp);
}

// 16 floats -> 16 bytes (values already inside the output type's range).
static QINT8_ALWAYS_INLINE uint8x16_t quant16(const float* x, const QConsts& k) {
  const int32x4_t q0 = quant4(vld1q_f32(x), k), q1 = quant4(vld1q_f32(x + 4), k);
  const int32x4_t q2 = quant4(vld1q_f32(x + 8), k), q3 = quant4(vld1q_f32(x + 12), k);
  const int16x8_t h0 = vcombine_s16(vmovn_s32(q0), vmovn_s32(q1));
  const int16x8_t h1 = vcombine_s16(vmovn_s32(q2), vmovn_s32(q3));
  return vreinterpretq_u8_s8(vcombine_s8(vmovn_s16(h0), vmovn_s16(h1)));
}

static inline QConsts perTensor(float scale, int32_t zp, bool isSigned) {
  const int32_t qlo = isSigned ? -128 : 0, qhi = isSigned ? 127 : 255;
  return {vdupq_n_f32(scale), vdupq_n_f32(static_cast<float>(qlo - zp)), vdupq_n_f32(static_cast<float>(qhi - zp)),
          vdupq_n_s32(zp)};
}

void quantize(const float* x, size_t n, float scale, int32_t zp, bool isSigned, void* y) {
  const QConsts k = perTensor(scale, zp, isSigned);
  uint8_t* out = static_cast<uint8_t*>(y);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) vst1q_u8(out + i, quant16(x + i, k));
  if (i < n) {
    float tmp[16] = {0};
    uint8_t b[16];
    std::memcpy(tmp, x + i, (n - i) * sizeof(float));
    vst1q_u8(b, quant16(tmp, k));
    std::memcpy(out + i, b, n - i);
  }
}

// 8 bytes (u8 or s8) -> 8 floats.
static QINT8_ALWAYS_INLINE void dequant8(const uint8_t* p, bool isSigned, int32x4_t zp0, int32x4_t zp1,
                                         float32x4_t s0, float32x4_t s1, float* y) {
  int16x8_t w;
  if (isSigned) w = vmovl_s8(vld1_s8(reinterpret_cast<const int8_t*>(p)));
  else w = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(p)));
  const int32x4_t lo = vsubq_s32(vmovl_s16(vget_low_s16(w)), zp0);
  const int32x4_t hi = vsubq_s32(vmovl_high_s16(w), zp1);
  vst1q_f32(y, vmulq_f32(vcvtq_f32_s32(lo), s0));
  vst1q_f32(y + 4, vmulq_f32(vcvtq_f32_s32(hi), s1));
}

void dequantize(const void* q, size_t n, float scale, int32_t zp, bool isSigned, float* y) {
  const float32x4_t vs = vdupq_n_f32(scale);
  const int32x4_t vz = vdupq_n_s32(zp);
  const uint8_t* in = static_cast<const uint8_t*>(q);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) dequant8(in + i, isSigned, vz, vz, vs, vs, y + i);
  if (i < n) {
    uint8_t tb[8] = {0};
    float tf[8];
    std::memcpy(tb, in + i, n - i);
    dequant8(tb, isSigned, vz, vz, vs, vs, tf);
    std::memcpy(y + i, tf, (n - i) * sizeof(float));
  }
}

// Channel-last: rows x c, one (scale, zp) per column. Columns in strips of 16; a partial strip
// gets neutral parameters (scale 1, zp 0) for the missing columns, which are never stored.
void quantizeRows(const float* x, size_t rows, size_t c, const float* scale, const int32_t* zp, bool isSigned, void* y) {
  const float qlo = isSigned ? -128.f : 0.f, qhi = isSigned ? 127.f : 255.f;
  uint8_t* out = static_cast<uint8_t*>(y);
  for (size_t j = 0; j < c; j += 16) {
    const size_t w = c - j < 16 ? c - j : 16;
    float sc[16];
    int32_t z[16];
    for (size_t l = 0; l < 16; ++l) {
      sc[l] = l < w ? scale[j + l] : 1.0f;
      z[l] = l < w ? zp[j + l] : 0;
    }
    QConsts k[4];
    for (int v = 0; v < 4; ++v) {
      const int32x4_t vz = vld1q_s32(z + 4 * v);
      const float32x4_t fz = vcvtq_f32_s32(vz);
      k[v] = {vld1q_f32(sc + 4 * v), vsubq_f32(vdupq_n_f32(qlo), fz), vsubq_f32(vdupq_n_f32(qhi), fz), vz};
    }
    for (size_t r = 0; r < rows; ++r) {
      const float* src = x + r * c + j;
      float t[16];
      if (w < 16) {
        std::memset(t, 0, sizeof t);
        std::memcpy(t, src, w * sizeof(float));
        src = t;
      }
      const int32x4_t q0 = quant4(vld1q_f32(src), k[0]), q1 = quant4(vld1q_f32(src + 4), k[1]);
      const int32x4_t q2 = quant4(vld1q_f32(src + 8), k[2]), q3 = quant4(vld1q_f32(src + 12), k[3]);
      const int16x8_t h0 = vcombine_s16(vmovn_s32(q0), vmovn_s32(q1));
      const int16x8_t h1 = vcombine_s16(vmovn_s32(q2), vmovn_s32(q3));
      const uint8x16_t b = vreinterpretq_u8_s8(vcombine_s8(vmovn_s16(h0), vmovn_s16(h1)));
      if (w == 16) {
        vst1q_u8(out + r * c + j, b);
      } else {
        uint8_t tb[16];
        vst1q_u8(tb, b);
        std::memcpy(out + r * c + j, tb, w);
      }
    }
  }
}

void dequantizeRows(const void* q, size_t rows, size_t c, const float* scale, const int32_t* zp, bool isSigned, float* y) {
  const uint8_t* in = static_cast<const uint8_t*>(q);
  for (size_t j = 0; j < c; j += 8) {
    const size_t w = c - j < 8 ? c - j : 8;
    float sc[8];
    int32_t z[8];
    for (size_t l = 0; l < 8; ++l) {
      sc[l] = l < w ? scale[j + l] : 0.0f;
      z[l] = l < w ? zp[j + l] : 0;
    }
    const float32x4_t s0 = vld1q_f32(sc), s1 = vld1q_f32(sc + 4);
    const int32x4_t z0 = vld1q_s32(z), z1 = vld1q_s32(z + 4);
    for (size_t r = 0; r < rows; ++r) {
      const uint8_t* src = in + r * c + j;
      if (w == 8) {
        dequant8(src, isSigned, z0, z1, s0, s1, y + r * c + j);
      } else {
        uint8_t tb[8] = {0};
        float tf[8];
        std::memcpy(tb, src, w);
        dequant8(tb, isSigned, z0, z1, s0, s1, tf);
        std::memcpy(y + r * c + j, tf, w * sizeof(float));
      }
    }
  }
}

const EltKernelTable kNeon = {Isa::kNeon, quantize, dequantize, quantizeRows, dequantizeRows};

}  // namespace

const EltKernelTable* eltKernelsNeon() { return &kNeon; }

}  // namespace qint8
