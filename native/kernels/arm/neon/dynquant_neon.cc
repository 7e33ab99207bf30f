// qint8 — NEON min/max reduction of DynamicQuantizeLinear (armv8-a), NaN ignored.
//
// The reference keeps lo = x < lo ? x : lo (and hi likewise), so any NaN, quiet or signaling, is
// skipped. fminnm / fmaxnm skip only quiet NaNs: for a signaling NaN they return the default NaN,
// which would then poison (and, as a quiet NaN, later reset) the running value. Each lane
// therefore does exactly the reference's select: fcmgt (false for every NaN) + bit. 16 floats per
// step in four independent lane sets, reduced lane by lane with the same select at the end.
// The dotprod and i8mm tiers fall back to this table.
#include <arm_neon.h>

#include "../../../runtime/dynquant_kernels.h"

namespace qint8 {
namespace {

// dst = m ? src : dst, lane by lane: one `bit` (through inline asm: with vbslq_f32, GCC 12 emitted
// bsl into the mask register and a mov back, 3 instructions instead of 2 per compare-select).
static QINT8_ALWAYS_INLINE void insertIf(float32x4_t& dst, float32x4_t src, uint32x4_t m) {
  __asm__("bit %0.16b, %1.16b, %2.16b" : "+w"(dst) : "w"(src), "w"(m));
}

static QINT8_ALWAYS_INLINE void step(float32x4_t x, float32x4_t& lo, float32x4_t& hi) {
  insertIf(lo, x, vcltq_f32(x, lo));
  insertIf(hi, x, vcgtq_f32(x, hi));
}

void minMax(const float* x, size_t n, float* mn, float* mx) {
  float32x4_t lo0 = vdupq_n_f32(*mn), lo1 = lo0, lo2 = lo0, lo3 = lo0;
  float32x4_t hi0 = vdupq_n_f32(*mx), hi1 = hi0, hi2 = hi0, hi3 = hi0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const float32x4x4_t v = vld1q_f32_x4(x + i);
    step(v.val[0], lo0, hi0);
    step(v.val[1], lo1, hi1);
    step(v.val[2], lo2, hi2);
    step(v.val[3], lo3, hi3);
  }
  // Lane sets merged with the same select (the running values hold no NaN unless *mn/*mx did).
  insertIf(lo0, lo1, vcltq_f32(lo1, lo0));
  insertIf(lo2, lo3, vcltq_f32(lo3, lo2));
  insertIf(lo0, lo2, vcltq_f32(lo2, lo0));
  insertIf(hi0, hi1, vcgtq_f32(hi1, hi0));
  insertIf(hi2, hi3, vcgtq_f32(hi3, hi2));
  insertIf(hi0, hi2, vcgtq_f32(hi2, hi0));
  float l[4], h[4];
  vst1q_f32(l, lo0);
  vst1q_f32(h, hi0);
  float lo = l[0], hi = h[0];
  for (int k = 1; k < 4; ++k) {
    lo = l[k] < lo ? l[k] : lo;
    hi = h[k] > hi ? h[k] : hi;
  }
  for (; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  *mn = lo;
  *mx = hi;
}

const DynQuantKernelTable kNeon = {Isa::kNeon, minMax};

}  // namespace

const DynQuantKernelTable* dynQuantKernelsNeon() { return &kNeon; }

}  // namespace qint8
