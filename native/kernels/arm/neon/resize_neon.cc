// qint8 — NEON int8 bilinear resize (armv8-a), bit-exact with kernels/ref/resize_ref.cc: the same
// int32 arithmetic per lane.
//   top = (2048 - lx) * p00 + lx * p01:  smull + smlal by element on int16 lanes (|p| <= 255,
//         weights <= 2048: exact in int32, |top| <= 2048 * 255)
//   v   = (2048 - ly) * top + ly * bot:  mul + mla in int32 (|v| <= 2^11 * 2^11 * 255 < 2^31)
//   out = (v + 2^21) >> 22:              srshr #22 (a rounding shift: exactly (v + 2^21) >> 22)
// 16 channels per step; the channel tail goes through zero-padded buffers. The dotprod and i8mm
// tiers fall back to this table.
#include <arm_neon.h>

#include <cstring>

#include "../../../runtime/resize_kernels.h"
#include "../arm_common.h"

namespace qint8 {
namespace {

using armk::lowBytes;
using armk::lowHalves;
using armk::storeBytes16;
using armk::widenHi16;
using armk::widenLo16;

struct Weights {
  int16x4_t wx;  // lane 0: 2048 - lx, lane 1: lx
  int32x4_t wy0, wy1;
};

// 4 lanes: the horizontal blend of a (left) and b (right), then the vertical blend and the shift.
static QINT8_ALWAYS_INLINE int32x4_t blend4(int16x4_t a0, int16x4_t a1, int16x4_t b0, int16x4_t b1, const Weights& w) {
  const int32x4_t top = vmlal_lane_s16(vmull_lane_s16(a0, w.wx, 0), a1, w.wx, 1);
  const int32x4_t bot = vmlal_lane_s16(vmull_lane_s16(b0, w.wx, 0), b1, w.wx, 1);
  return vrshrq_n_s32(vmlaq_s32(vmulq_s32(top, w.wy0), bot, w.wy1), 22);
}

template <bool S>
static QINT8_ALWAYS_INLINE uint8x16_t bilinear16(const uint8_t* p00, const uint8_t* p01, const uint8_t* p10,
                                                 const uint8_t* p11, const Weights& w) {
  const uint8x16_t a = vld1q_u8(p00), b = vld1q_u8(p01), c = vld1q_u8(p10), d = vld1q_u8(p11);
  const int16x8_t a0 = widenLo16<S>(a), a1 = widenHi16<S>(a), b0 = widenLo16<S>(b), b1 = widenHi16<S>(b);
  const int16x8_t c0 = widenLo16<S>(c), c1 = widenHi16<S>(c), d0 = widenLo16<S>(d), d1 = widenHi16<S>(d);
  const int32x4_t r0 = blend4(vget_low_s16(a0), vget_low_s16(b0), vget_low_s16(c0), vget_low_s16(d0), w);
  const int32x4_t r1 = blend4(vget_high_s16(a0), vget_high_s16(b0), vget_high_s16(c0), vget_high_s16(d0), w);
  const int32x4_t r2 = blend4(vget_low_s16(a1), vget_low_s16(b1), vget_low_s16(c1), vget_low_s16(d1), w);
  const int32x4_t r3 = blend4(vget_high_s16(a1), vget_high_s16(b1), vget_high_s16(c1), vget_high_s16(d1), w);
  return lowBytes(lowHalves(r0, r1), lowHalves(r2, r3));
}

template <bool S>
void bilinearT(const uint8_t* p00, const uint8_t* p01, const uint8_t* p10, const uint8_t* p11, size_t c, int32_t lx,
               int32_t ly, uint8_t* out) {
  const int16_t wxv[4] = {static_cast<int16_t>(2048 - lx), static_cast<int16_t>(lx), 0, 0};
  const Weights w{vld1_s16(wxv), vdupq_n_s32(2048 - ly), vdupq_n_s32(ly)};
  size_t j = 0;
  for (; j + 16 <= c; j += 16) vst1q_u8(out + j, bilinear16<S>(p00 + j, p01 + j, p10 + j, p11 + j, w));
  if (j < c) {
    const size_t n = c - j;
    uint8_t t[4][16] = {};
    std::memcpy(t[0], p00 + j, n);
    std::memcpy(t[1], p01 + j, n);
    std::memcpy(t[2], p10 + j, n);
    std::memcpy(t[3], p11 + j, n);
    storeBytes16(out + j, bilinear16<S>(t[0], t[1], t[2], t[3], w), n);
  }
}

void bilinear(const uint8_t* p00, const uint8_t* p01, const uint8_t* p10, const uint8_t* p11, size_t c, int32_t lx,
              int32_t ly, bool s, uint8_t* out) {
  if (s) bilinearT<true>(p00, p01, p10, p11, c, lx, ly, out);
  else bilinearT<false>(p00, p01, p10, p11, c, lx, ly, out);
}

const ResizeKernelTable kNeon = {Isa::kNeon, bilinear};

}  // namespace

const ResizeKernelTable* resizeKernelsNeon() { return &kNeon; }

}  // namespace qint8
