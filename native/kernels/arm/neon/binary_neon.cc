// qint8 — NEON kernels of the quantized binary ops (armv8-a), bit-exact with
// kernels/ref/binary_ref.cc:
//   add: the reference's two FMAs are fmla (vfmaq_f32: one rounding, like std::fma), in the same
//        order: t = fma(b, rb, fixed), v = fma(a, ra, t); then fmaxnm / fminnm to [lo, hi]
//        (a NaN could only come out of the arithmetic, so it is quiet and fmaxnm returns lo, the
//        reference's `v > lo ? v : lo`), fcvtns (round to nearest, ties to even), narrow.
//   mul: (a - za) * (b - zb) exactly: both factors in int16 (|x - z| <= 383), smull / smull2 into
//        int32; scvtf, fmul by m, then fadd zc (two roundings, no fmla), clamp, fcvtns, narrow.
// 16 elements per step; the tail goes through zero-padded buffers. The dotprod and i8mm tiers
// have nothing to add here (no dot products) and fall back to this table.
#include <arm_neon.h>

#include <cstring>

#include "../../../runtime/binary_kernels.h"
#include "../arm_common.h"

namespace qint8 {
namespace {

using armk::lowBytes;
using armk::lowHalves;
using armk::widenHi16;
using armk::widenLo16;

// Runs body(a, b, c) on 16-element blocks; the tail goes through zero-padded buffers.
template <typename Body>
static inline void blocks16(const uint8_t* a, const uint8_t* b, size_t n, uint8_t* c, Body body) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) body(a + i, b ? b + i : nullptr, c + i);
  if (i < n) {
    uint8_t ta[16] = {0}, tb[16] = {0}, tc[16];
    std::memcpy(ta, a + i, n - i);
    if (b) std::memcpy(tb, b + i, n - i);
    body(ta, b ? tb : nullptr, tc);
    std::memcpy(c + i, tc, n - i);
  }
}

static QINT8_ALWAYS_INLINE float32x4_t lo4(int16x8_t h) { return vcvtq_f32_s32(vmovl_s16(vget_low_s16(h))); }
static QINT8_ALWAYS_INLINE float32x4_t hi4(int16x8_t h) { return vcvtq_f32_s32(vmovl_high_s16(h)); }

struct Bounds {
  float32x4_t lo, hi;
};

static QINT8_ALWAYS_INLINE int32x4_t finish4(float32x4_t v, const Bounds& k) {
  return vcvtnq_s32_f32(vminnmq_f32(vmaxnmq_f32(v, k.lo), k.hi));
}

// Four int32x4 inside the byte type's range -> 16 bytes in order.
static QINT8_ALWAYS_INLINE uint8x16_t bytes16(int32x4_t r0, int32x4_t r1, int32x4_t r2, int32x4_t r3) {
  return lowBytes(lowHalves(r0, r1), lowHalves(r2, r3));
}

template <bool S>
void addVVT(const uint8_t* a, const uint8_t* b, size_t n, const AddKernelParams& p, uint8_t* c) {
  const float32x4_t ra = vdupq_n_f32(p.ra), rb = vdupq_n_f32(p.rb), fx = vdupq_n_f32(p.fixed);
  const Bounds k{vdupq_n_f32(p.lo), vdupq_n_f32(p.hi)};
  blocks16(a, b, n, c, [&](const uint8_t* pa, const uint8_t* pb, uint8_t* pc) {
    const uint8x16_t va = vld1q_u8(pa), vb = vld1q_u8(pb);
    const int16x8_t a0 = widenLo16<S>(va), a1 = widenHi16<S>(va);
    const int16x8_t b0 = widenLo16<S>(vb), b1 = widenHi16<S>(vb);
    const int32x4_t r0 = finish4(vfmaq_f32(vfmaq_f32(fx, lo4(b0), rb), lo4(a0), ra), k);
    const int32x4_t r1 = finish4(vfmaq_f32(vfmaq_f32(fx, hi4(b0), rb), hi4(a0), ra), k);
    const int32x4_t r2 = finish4(vfmaq_f32(vfmaq_f32(fx, lo4(b1), rb), lo4(a1), ra), k);
    const int32x4_t r3 = finish4(vfmaq_f32(vfmaq_f32(fx, hi4(b1), rb), hi4(a1), ra), k);
    vst1q_u8(pc, bytes16(r0, r1, r2, r3));
  });
}

template <bool S>
void addVST(const uint8_t* a, size_t n, const AddKernelParams& p, uint8_t* c) {
  const float32x4_t ra = vdupq_n_f32(p.ra), fx = vdupq_n_f32(p.fixed);
  const Bounds k{vdupq_n_f32(p.lo), vdupq_n_f32(p.hi)};
  blocks16(a, nullptr, n, c, [&](const uint8_t* pa, const uint8_t*, uint8_t* pc) {
    const uint8x16_t va = vld1q_u8(pa);
    const int16x8_t a0 = widenLo16<S>(va), a1 = widenHi16<S>(va);
    const int32x4_t r0 = finish4(vfmaq_f32(fx, lo4(a0), ra), k);
    const int32x4_t r1 = finish4(vfmaq_f32(fx, hi4(a0), ra), k);
    const int32x4_t r2 = finish4(vfmaq_f32(fx, lo4(a1), ra), k);
    const int32x4_t r3 = finish4(vfmaq_f32(fx, hi4(a1), ra), k);
    vst1q_u8(pc, bytes16(r0, r1, r2, r3));
  });
}

// float(prod) * m, then + zc (two roundings), clamp, round.
static QINT8_ALWAYS_INLINE int32x4_t mulFinish(int32x4_t prod, float32x4_t m, float32x4_t zc, const Bounds& k) {
  return finish4(vaddq_f32(vmulq_f32(vcvtq_f32_s32(prod), m), zc), k);
}

template <bool S>
void mulVVT(const uint8_t* a, const uint8_t* b, size_t n, const MulKernelParams& p, uint8_t* c) {
  const int16x8_t za = vdupq_n_s16(static_cast<int16_t>(p.za)), zb = vdupq_n_s16(static_cast<int16_t>(p.zb));
  const float32x4_t m = vdupq_n_f32(p.m), zc = vdupq_n_f32(p.zc);
  const Bounds k{vdupq_n_f32(p.lo), vdupq_n_f32(p.hi)};
  blocks16(a, b, n, c, [&](const uint8_t* pa, const uint8_t* pb, uint8_t* pc) {
    const uint8x16_t va = vld1q_u8(pa), vb = vld1q_u8(pb);
    const int16x8_t x0 = vsubq_s16(widenLo16<S>(va), za), x1 = vsubq_s16(widenHi16<S>(va), za);
    const int16x8_t y0 = vsubq_s16(widenLo16<S>(vb), zb), y1 = vsubq_s16(widenHi16<S>(vb), zb);
    const int32x4_t r0 = mulFinish(vmull_s16(vget_low_s16(x0), vget_low_s16(y0)), m, zc, k);
    const int32x4_t r1 = mulFinish(vmull_high_s16(x0, y0), m, zc, k);
    const int32x4_t r2 = mulFinish(vmull_s16(vget_low_s16(x1), vget_low_s16(y1)), m, zc, k);
    const int32x4_t r3 = mulFinish(vmull_high_s16(x1, y1), m, zc, k);
    vst1q_u8(pc, bytes16(r0, r1, r2, r3));
  });
}

template <bool S>
void mulVST(const uint8_t* a, int32_t bz, size_t n, const MulKernelParams& p, uint8_t* c) {
  const int16x8_t za = vdupq_n_s16(static_cast<int16_t>(p.za)), y = vdupq_n_s16(static_cast<int16_t>(bz));
  const float32x4_t m = vdupq_n_f32(p.m), zc = vdupq_n_f32(p.zc);
  const Bounds k{vdupq_n_f32(p.lo), vdupq_n_f32(p.hi)};
  blocks16(a, nullptr, n, c, [&](const uint8_t* pa, const uint8_t*, uint8_t* pc) {
    const uint8x16_t va = vld1q_u8(pa);
    const int16x8_t x0 = vsubq_s16(widenLo16<S>(va), za), x1 = vsubq_s16(widenHi16<S>(va), za);
    const int32x4_t r0 = mulFinish(vmull_s16(vget_low_s16(x0), vget_low_s16(y)), m, zc, k);
    const int32x4_t r1 = mulFinish(vmull_high_s16(x0, y), m, zc, k);
    const int32x4_t r2 = mulFinish(vmull_s16(vget_low_s16(x1), vget_low_s16(y)), m, zc, k);
    const int32x4_t r3 = mulFinish(vmull_high_s16(x1, y), m, zc, k);
    vst1q_u8(pc, bytes16(r0, r1, r2, r3));
  });
}

void addVV(const void* a, const void* b, size_t n, const AddKernelParams& p, bool s, void* c) {
  const auto* pa = static_cast<const uint8_t*>(a);
  const auto* pb = static_cast<const uint8_t*>(b);
  auto* pc = static_cast<uint8_t*>(c);
  if (s) addVVT<true>(pa, pb, n, p, pc);
  else addVVT<false>(pa, pb, n, p, pc);
}

void addVS(const void* a, size_t n, const AddKernelParams& p, bool s, void* c) {
  const auto* pa = static_cast<const uint8_t*>(a);
  auto* pc = static_cast<uint8_t*>(c);
  if (s) addVST<true>(pa, n, p, pc);
  else addVST<false>(pa, n, p, pc);
}

// The int16 factors need |x - z| <= 32767: the zero points are the type's (binary_kernels.h), so
// |x - z| <= 383; anything else goes to the reference, which computes in int32.
static inline bool int16Safe(int32_t z) { return z >= -32000 && z <= 32000; }

void mulVV(const void* a, const void* b, size_t n, const MulKernelParams& p, bool s, void* c) {
  if (!int16Safe(p.za) || !int16Safe(p.zb)) return binaryKernelsRef()->mulVV(a, b, n, p, s, c);
  const auto* pa = static_cast<const uint8_t*>(a);
  const auto* pb = static_cast<const uint8_t*>(b);
  auto* pc = static_cast<uint8_t*>(c);
  if (s) mulVVT<true>(pa, pb, n, p, pc);
  else mulVVT<false>(pa, pb, n, p, pc);
}

void mulVS(const void* a, int32_t bz, size_t n, const MulKernelParams& p, bool s, void* c) {
  if (!int16Safe(p.za) || bz < -32767 || bz > 32767) return binaryKernelsRef()->mulVS(a, bz, n, p, s, c);
  const auto* pa = static_cast<const uint8_t*>(a);
  auto* pc = static_cast<uint8_t*>(c);
  if (s) mulVST<true>(pa, bz, n, p, pc);
  else mulVST<false>(pa, bz, n, p, pc);
}

const BinaryKernelTable kNeon = {Isa::kNeon, addVV, addVS, mulVV, mulVS};

}  // namespace

const BinaryKernelTable* binaryKernelsNeon() { return &kNeon; }

}  // namespace qint8
