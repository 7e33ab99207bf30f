// qint8 — col2im sum + output stage of ConvTranspose, NEON (armv8-a; the dotprod and i8mm tiers
// fall back to it: no dot products here). Same values as kernels/ref/col2im_ref.cc: int32 sums
// that wrap like the accumulator, then the output stage of qint8/requant.h lane by lane
// (armk::requant4: scvtf, fmul, fmaxnm / fminnm to [lo - zp, hi - zp], fcvtns, + zp; float
// output: fmul then fadd, never fmla). 8 columns per step; the tail goes through zeroed buffers.
#include <arm_neon.h>

#include <cstring>

#include "../../../runtime/conv_kernels.h"
#include "../arm_common.h"

namespace qint8 {
namespace {

void sumStage(const int32_t* const* rows, int nrows, int n, const GemmEpilogue& ep, void* out) {
  const armk::RequantConsts rc = armk::requantConsts(ep);
  const size_t ob = (ep.kind == GemmOut::kU8 || ep.kind == GemmOut::kS8) ? 1 : 4;
  for (int j = 0; j < n; j += 8) {
    const int cnt = n - j >= 8 ? 8 : n - j;
    int32_t tb[8] = {0}, ts[8] = {0};
    float tsc[8] = {0}, tbf[8] = {0};
    int32x4_t a0, a1;
    const float* sc = ep.scale ? ep.scale + j : nullptr;
    const float* bf = ep.biasF ? ep.biasF + j : nullptr;
    if (cnt == 8) {
      a0 = ep.bias32 ? vld1q_s32(ep.bias32 + j) : vdupq_n_s32(0);
      a1 = ep.bias32 ? vld1q_s32(ep.bias32 + j + 4) : vdupq_n_s32(0);
      for (int r = 0; r < nrows; ++r) {
        a0 = vaddq_s32(a0, vld1q_s32(rows[r] + j));
        a1 = vaddq_s32(a1, vld1q_s32(rows[r] + j + 4));
      }
    } else {
      if (ep.bias32) std::memcpy(tb, ep.bias32 + j, static_cast<size_t>(cnt) * 4);
      a0 = vld1q_s32(tb);
      a1 = vld1q_s32(tb + 4);
      for (int r = 0; r < nrows; ++r) {
        std::memcpy(ts, rows[r] + j, static_cast<size_t>(cnt) * 4);
        a0 = vaddq_s32(a0, vld1q_s32(ts));
        a1 = vaddq_s32(a1, vld1q_s32(ts + 4));
      }
      if (sc) std::memcpy(tsc, sc, static_cast<size_t>(cnt) * 4), sc = tsc;
      if (bf) std::memcpy(tbf, bf, static_cast<size_t>(cnt) * 4), bf = tbf;
    }
    uint8_t res[32];
    switch (ep.kind) {
      case GemmOut::kU8:
      case GemmOut::kS8: {
        const int32x4_t q0 = armk::requant4(a0, vld1q_f32(sc), rc);  // within [lo, hi]
        const int32x4_t q1 = armk::requant4(a1, vld1q_f32(sc + 4), rc);
        vst1_u8(res, armk::narrow8(q0, q1));
        break;
      }
      case GemmOut::kF32: {
        float32x4_t p0 = vmulq_f32(vcvtq_f32_s32(a0), vld1q_f32(sc));
        float32x4_t p1 = vmulq_f32(vcvtq_f32_s32(a1), vld1q_f32(sc + 4));
        if (bf) {
          p0 = vaddq_f32(p0, vld1q_f32(bf));
          p1 = vaddq_f32(p1, vld1q_f32(bf + 4));
        } else {
          p0 = vaddq_f32(p0, vdupq_n_f32(0.0f));
          p1 = vaddq_f32(p1, vdupq_n_f32(0.0f));
        }
        vst1q_f32(reinterpret_cast<float*>(res), p0);
        vst1q_f32(reinterpret_cast<float*>(res) + 4, p1);
        break;
      }
      case GemmOut::kS32:
        vst1q_s32(reinterpret_cast<int32_t*>(res), a0);
        vst1q_s32(reinterpret_cast<int32_t*>(res) + 4, a1);
        break;
    }
    std::memcpy(static_cast<uint8_t*>(out) + static_cast<size_t>(j) * ob, res, static_cast<size_t>(cnt) * ob);
  }
}

const Col2imKernelTable kTable = {Isa::kNeon, sumStage};

}  // namespace

const Col2imKernelTable* col2imKernelsNeon() { return &kTable; }

}  // namespace qint8
