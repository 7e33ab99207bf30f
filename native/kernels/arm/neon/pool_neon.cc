// qint8 — NEON int8 pool kernels (armv8-a), bit-exact with kernels/ref/pool_ref.cc:
//   maxRows:    umax / smax on 16 channels per register, 64 channels per pass over the rows.
//   avgRows:    the reference's float operations per lane in the same order: x - zx in int16
//               (|x - zx| <= 383), sxtl, scvtf, fmul by sx, fadd into the running sum (no fmla);
//               then fdiv by count, fdiv by sy, fadd zy, fmaxnm / fminnm to [lo, hi] (a NaN comes
//               out of arithmetic, so it is quiet and gives lo, like the reference), fcvtns.
//   sumRows:    uaddw / saddw of 16 bytes into two 16-bit partial sums per row (8 channels per
//               instruction), widened into the int32 sums every 256 rows (256 * 255 <= 65535,
//               256 * -128 >= -32768: the 16-bit partial sums never wrap).
//   requantRow: the output stage of qint8/requant.h (scvtf, fmul, clamp, fcvtns, + zp).
// Channel tails go through padded stack buffers. The dotprod and i8mm tiers fall back to this table.
#include <arm_neon.h>

#include <cstring>

#include "../../../runtime/pool_kernels.h"
#include "../arm_common.h"

namespace qint8 {
namespace {

using armk::lowBytes;
using armk::lowHalves;
using armk::storeBytes16;
using armk::widenHi16;
using armk::widenLo16;

template <bool S>
static QINT8_ALWAYS_INLINE uint8x16_t vmax(uint8x16_t a, uint8x16_t b) {
  if constexpr (S) return vreinterpretq_u8_s8(vmaxq_s8(vreinterpretq_s8_u8(a), vreinterpretq_s8_u8(b)));
  else return vmaxq_u8(a, b);
}

template <bool S>
void maxRowsT(const uint8_t* const* rows, size_t k, size_t c, uint8_t* out) {
  const uint8x16_t init = vdupq_n_u8(S ? 0x80 : 0);
  size_t j = 0;
  for (; j + 64 <= c; j += 64) {
    uint8x16_t a0 = init, a1 = init, a2 = init, a3 = init;
    for (size_t r = 0; r < k; ++r) {
      const uint8x16x4_t v = vld1q_u8_x4(rows[r] + j);
      a0 = vmax<S>(a0, v.val[0]);
      a1 = vmax<S>(a1, v.val[1]);
      a2 = vmax<S>(a2, v.val[2]);
      a3 = vmax<S>(a3, v.val[3]);
    }
    vst1q_u8_x4(out + j, uint8x16x4_t{{a0, a1, a2, a3}});
  }
  for (; j + 16 <= c; j += 16) {
    uint8x16_t a = init;
    for (size_t r = 0; r < k; ++r) a = vmax<S>(a, vld1q_u8(rows[r] + j));
    vst1q_u8(out + j, a);
  }
  if (j < c) {
    const size_t w = c - j;
    uint8x16_t a = init;
    for (size_t r = 0; r < k; ++r) {
      uint8_t t[16] = {0};
      std::memcpy(t, rows[r] + j, w);
      a = vmax<S>(a, vld1q_u8(t));
    }
    storeBytes16(out + j, a, w);
  }
}

void maxRows(const uint8_t* const* rows, size_t k, size_t c, bool s, uint8_t* out) {
  if (s) maxRowsT<true>(rows, k, c, out);
  else maxRowsT<false>(rows, k, c, out);
}

struct AvgConsts {
  float32x4_t sx, count, sy, zy, lo, hi;
  int16x8_t zx;
};

static QINT8_ALWAYS_INLINE float32x4_t avgTerm(int16x4_t d, const AvgConsts& k) {
  return vmulq_f32(k.sx, vcvtq_f32_s32(vmovl_s16(d)));
}

static QINT8_ALWAYS_INLINE int32x4_t avgFinish(float32x4_t sum, const AvgConsts& k) {
  const float32x4_t y = vdivq_f32(sum, k.count);
  const float32x4_t v = vaddq_f32(vdivq_f32(y, k.sy), k.zy);
  return vcvtnq_s32_f32(vminnmq_f32(vmaxnmq_f32(v, k.lo), k.hi));
}

// 16 channels starting at column j of every row (src(r) gives the 16 bytes of row r).
template <bool S, typename Src>
static QINT8_ALWAYS_INLINE uint8x16_t avg16(size_t k, const AvgConsts& c, Src src) {
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
  for (size_t r = 0; r < k; ++r) {
    const uint8x16_t v = src(r);
    const int16x8_t d0 = vsubq_s16(widenLo16<S>(v), c.zx), d1 = vsubq_s16(widenHi16<S>(v), c.zx);
    s0 = vaddq_f32(s0, avgTerm(vget_low_s16(d0), c));
    s1 = vaddq_f32(s1, avgTerm(vget_high_s16(d0), c));
    s2 = vaddq_f32(s2, avgTerm(vget_low_s16(d1), c));
    s3 = vaddq_f32(s3, avgTerm(vget_high_s16(d1), c));
  }
  return lowBytes(lowHalves(avgFinish(s0, c), avgFinish(s1, c)), lowHalves(avgFinish(s2, c), avgFinish(s3, c)));
}

template <bool S>
void avgRowsT(const uint8_t* const* rows, size_t k, size_t c, const AvgPoolParams& p, uint8_t* out) {
  const AvgConsts kc{vdupq_n_f32(p.sx), vdupq_n_f32(p.count), vdupq_n_f32(p.sy), vdupq_n_f32(p.zy),
                     vdupq_n_f32(p.lo), vdupq_n_f32(p.hi),   vdupq_n_s16(static_cast<int16_t>(p.zx))};
  size_t j = 0;
  for (; j + 16 <= c; j += 16) vst1q_u8(out + j, avg16<S>(k, kc, [&](size_t r) { return vld1q_u8(rows[r] + j); }));
  if (j < c) {
    const size_t w = c - j;
    const uint8x16_t v = avg16<S>(k, kc, [&](size_t r) {
      uint8_t t[16] = {0};
      std::memcpy(t, rows[r] + j, w);
      return vld1q_u8(t);
    });
    storeBytes16(out + j, v, w);
  }
}

void avgRows(const uint8_t* const* rows, size_t k, size_t c, const AvgPoolParams& p, bool s, uint8_t* out) {
  if (s) avgRowsT<true>(rows, k, c, p, out);
  else avgRowsT<false>(rows, k, c, p, out);
}

// 16-bit partial sums of up to 256 rows: uint16 lanes for uint8 input, int16 lanes for int8.
template <bool S>
struct Partial;
template <>
struct Partial<false> {
  using T = uint16x8_t;
  static QINT8_ALWAYS_INLINE T zero() { return vdupq_n_u16(0); }
  static QINT8_ALWAYS_INLINE T addLo(T acc, uint8x16_t v) { return vaddw_u8(acc, vget_low_u8(v)); }
  static QINT8_ALWAYS_INLINE T addHi(T acc, uint8x16_t v) { return vaddw_high_u8(acc, v); }
  // The partial sums added into int32 sums (lo: lanes 0-3, hi: lanes 4-7).
  static QINT8_ALWAYS_INLINE void flush(T h, int32x4_t& lo, int32x4_t& hi) {
    lo = vreinterpretq_s32_u32(vaddw_u16(vreinterpretq_u32_s32(lo), vget_low_u16(h)));
    hi = vreinterpretq_s32_u32(vaddw_high_u16(vreinterpretq_u32_s32(hi), h));
  }
};
template <>
struct Partial<true> {
  using T = int16x8_t;
  static QINT8_ALWAYS_INLINE T zero() { return vdupq_n_s16(0); }
  static QINT8_ALWAYS_INLINE T addLo(T acc, uint8x16_t v) { return vaddw_s8(acc, vget_low_s8(vreinterpretq_s8_u8(v))); }
  static QINT8_ALWAYS_INLINE T addHi(T acc, uint8x16_t v) { return vaddw_high_s8(acc, vreinterpretq_s8_u8(v)); }
  static QINT8_ALWAYS_INLINE void flush(T h, int32x4_t& lo, int32x4_t& hi) {
    lo = vaddw_s16(lo, vget_low_s16(h));
    hi = vaddw_high_s16(hi, h);
  }
};

constexpr size_t kChunk = 256;  // rows per 16-bit partial sum

// Sums 32 channels (TWO) or 16 over `rows` rows of stride `stride`, starting at q.
template <bool S, bool TWO>
static inline void sumBlock(const uint8_t* q, size_t rows, size_t stride, int32_t* acc) {
  using P = Partial<S>;
  int32x4_t s0 = vdupq_n_s32(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (size_t r0 = 0; r0 < rows; r0 += kChunk) {
    const size_t r1 = rows - r0 < kChunk ? rows : r0 + kChunk;
    typename P::T h0 = P::zero(), h1 = h0, h2 = h0, h3 = h0;
    for (size_t r = r0; r < r1; ++r, q += stride) {
      const uint8x16_t v0 = vld1q_u8(q);
      h0 = P::addLo(h0, v0);
      h1 = P::addHi(h1, v0);
      if constexpr (TWO) {
        const uint8x16_t v1 = vld1q_u8(q + 16);
        h2 = P::addLo(h2, v1);
        h3 = P::addHi(h3, v1);
      }
    }
    P::flush(h0, s0, s1);
    P::flush(h1, s2, s3);
    if constexpr (TWO) {
      P::flush(h2, s4, s5);
      P::flush(h3, s6, s7);
    }
  }
  vst1q_s32(acc, s0);
  vst1q_s32(acc + 4, s1);
  vst1q_s32(acc + 8, s2);
  vst1q_s32(acc + 12, s3);
  if constexpr (TWO) {
    vst1q_s32(acc + 16, s4);
    vst1q_s32(acc + 20, s5);
    vst1q_s32(acc + 24, s6);
    vst1q_s32(acc + 28, s7);
  }
}

template <bool S>
void sumRowsT(const uint8_t* x, size_t rows, size_t stride, size_t c, int32_t* acc) {
  using P = Partial<S>;
  size_t j = 0;
  for (; j + 32 <= c; j += 32) sumBlock<S, true>(x + j, rows, stride, acc + j);
  for (; j + 16 <= c; j += 16) sumBlock<S, false>(x + j, rows, stride, acc + j);
  if (j < c) {
    // Fewer than 16 channels left: each row's bytes through a padded buffer.
    const size_t w = c - j;
    int32x4_t s0 = vdupq_n_s32(0), s1 = s0, s2 = s0, s3 = s0;
    const uint8_t* q = x + j;
    for (size_t r0 = 0; r0 < rows; r0 += kChunk) {
      const size_t r1 = rows - r0 < kChunk ? rows : r0 + kChunk;
      typename P::T h0 = P::zero(), h1 = h0;
      for (size_t r = r0; r < r1; ++r, q += stride) {
        uint8_t t[16] = {0};
        std::memcpy(t, q, w);
        const uint8x16_t v = vld1q_u8(t);
        h0 = P::addLo(h0, v);
        h1 = P::addHi(h1, v);
      }
      P::flush(h0, s0, s1);
      P::flush(h1, s2, s3);
    }
    int32_t t[16];
    vst1q_s32(t, s0);
    vst1q_s32(t + 4, s1);
    vst1q_s32(t + 8, s2);
    vst1q_s32(t + 12, s3);
    std::memcpy(acc + j, t, w * sizeof(int32_t));
  }
}

void sumRows(const uint8_t* x, size_t rows, size_t stride, size_t c, bool s, int32_t* acc) {
  if (s) sumRowsT<true>(x, rows, stride, c, acc);
  else sumRowsT<false>(x, rows, stride, c, acc);
}

void requantRow(const int32_t* acc, size_t c, int32_t bias, float scale, int32_t zp, int32_t lo, int32_t hi,
                uint8_t* out) {
  const int32x4_t vb = vdupq_n_s32(bias);
  const int16x8_t vz = vdupq_n_s16(static_cast<int16_t>(zp));
  const float32x4_t vs = vdupq_n_f32(scale);
  const float32x4_t vlo = vdupq_n_f32(static_cast<float>(lo - zp)), vhi = vdupq_n_f32(static_cast<float>(hi - zp));
  auto q4 = [&](int32x4_t a) {
    const float32x4_t v = vmulq_f32(vcvtq_f32_s32(vaddq_s32(a, vb)), vs);
    return vcvtnq_s32_f32(vminnmq_f32(vmaxnmq_f32(v, vlo), vhi));
  };
  // (round(v) lies in [lo - zp, hi - zp], so adding zp in int16 is exact.)
  auto q16 = [&](const int32_t* a) {
    const int16x8_t h0 = vaddq_s16(lowHalves(q4(vld1q_s32(a)), q4(vld1q_s32(a + 4))), vz);
    const int16x8_t h1 = vaddq_s16(lowHalves(q4(vld1q_s32(a + 8)), q4(vld1q_s32(a + 12))), vz);
    return lowBytes(h0, h1);
  };
  size_t j = 0;
  for (; j + 16 <= c; j += 16) vst1q_u8(out + j, q16(acc + j));
  if (j < c) {
    int32_t t[16] = {0};
    std::memcpy(t, acc + j, (c - j) * sizeof(int32_t));
    storeBytes16(out + j, q16(t), c - j);
  }
}

const PoolKernelTable kNeon = {Isa::kNeon, maxRows, avgRows, sumRows, requantRow};

}  // namespace

const PoolKernelTable* poolKernelsNeon() { return &kNeon; }

}  // namespace qint8
