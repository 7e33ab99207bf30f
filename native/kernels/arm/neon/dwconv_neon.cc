// qint8 — depthwise convolution, plain NEON (armv8-a): int16 operands, smlal / smlal2 (exact).
//
// The input is uint8 (the driver flips int8 activations), the weights int8: every product
// x * w lies in [-32640, 32385] and is formed exactly by `smlal vAcc.4s, vX.4h, vW.4h` from int16
// operands, straight into int32. Nothing can overflow, for any input or weight (no int16 pair
// sums, unlike the NEON GEMM), and no zero-point correction is needed.
//
// As in the x86 kernels, each input row is transformed once into T: one entry per padded column
// x (from -padL), holding the 16 channels of the channel block widened to int16 (32 bytes; the
// zero point outside the image). The tap (ky, kx) of output column ox then reads
// T_ky[ox * stride + kx * dilation] without bounds checks, and the widening is paid once per
// input pixel instead of once per tap. Rows of T live in a ring of KH slots (slot
// (iy / dilation) mod KH) and are reused by the next output rows.
//
// Channels go in blocks of 16 (four int32x4 accumulators per output pixel, natural order); two
// output pixels are computed together, so one weight load (16 int16) feeds 8 smlal(2):
// per tap, 1 weight load + 2 input loads + 8 multiply-accumulates for 32 MACs.
#include <arm_neon.h>

#include <cstring>

#include "../../../runtime/dwconv_kernels.h"
#include "../arm_common.h"

namespace qint8 {
namespace {

using armk::lowBytes;
using armk::lowHalves;

constexpr int kBlock = 16;
constexpr size_t kEntry = 32;  // bytes per T entry: 16 int16

static inline int blocks(int c) { return (c + kBlock - 1) / kBlock; }

size_t packedBytes(int kh, int kw, int c) { return static_cast<size_t>(blocks(c)) * kh * kw * kBlock * 2; }

// [c][kh][kw] int8 -> [block][ky][kx][16] int16 (zero for channels past c).
void pack(const int8_t* w, int kh, int kw, int c, void* dst) {
  int16_t* d = static_cast<int16_t*>(dst);
  for (int b = 0; b < blocks(c); ++b)
    for (int t = 0; t < kh * kw; ++t)
      for (int l = 0; l < kBlock; ++l) {
        const int ch = b * kBlock + l;
        *d++ = ch < c ? w[static_cast<size_t>(ch) * kh * kw + t] : 0;
      }
}

// Entries of a transformed row: every column ox * sw - padL + kx * dw that an output reads.
static inline int tWidth(const DwConvArgs& a) { return (a.ow - 1) * a.sw + (a.kw - 1) * a.dw + 1; }

size_t scratchBytes(const DwConvArgs& a) { return static_cast<size_t>(a.kh + 1) * tWidth(a) * kEntry; }

// Transforms input row iy of channel block b into T (tw entries).
static void transformRow(const DwConvArgs& a, int b, int iy, uint8_t* T, int tw) {
  const int16x8_t zx = vdupq_n_s16(static_cast<int16_t>(a.zx));
  const int valid = a.c - b * kBlock;
  const uint8_t* row = a.x + static_cast<size_t>(iy) * a.w * a.c + b * kBlock;
  for (int e = 0; e < tw; ++e) {
    const int ix = e - a.padL;
    int16_t* d = reinterpret_cast<int16_t*>(T + static_cast<size_t>(e) * kEntry);
    if (ix < 0 || ix >= a.w) {
      vst1q_s16(d, zx);
      vst1q_s16(d + 8, zx);
      continue;
    }
    const uint8_t* p = row + static_cast<size_t>(ix) * a.c;
    uint8x16_t v;
    if (valid >= kBlock) {
      v = vld1q_u8(p);
    } else {
      uint8_t t[16] = {0};
      std::memcpy(t, p, static_cast<size_t>(valid));
      v = vld1q_u8(t);
    }
    vst1q_s16(d, vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(v))));
    vst1q_s16(d + 8, vreinterpretq_s16_u16(vmovl_high_u8(v)));
  }
}

// Per-channel output-stage parameters of one block (16 lanes, neutral past c).
struct BlockParams {
  int32_t bias[16];
  float scale[16];
  float biasF[16];
};

static inline void blockParams(const GemmEpilogue& ep, int c, int b, BlockParams* p) {
  for (int l = 0; l < kBlock; ++l) {
    const int ch = b * kBlock + l;
    const bool in = ch < c;
    p->bias[l] = in && ep.bias32 ? ep.bias32[ch] : 0;
    p->scale[l] = in && ep.scale ? ep.scale[ch] : 0.0f;
    p->biasF[l] = in && ep.biasF ? ep.biasF[ch] : 0.0f;
  }
}

struct OutConsts {
  float32x4_t lo, hi;  // lo - zp, hi - zp
  int16x8_t zp;
};

// The output stage of 16 channels (acc0..3 = channels 0-3, 4-7, 8-11, 12-15) stored at out.
template <GemmOut OUT>
static QINT8_ALWAYS_INLINE void store16(int32x4_t acc0, int32x4_t acc1, int32x4_t acc2, int32x4_t acc3,
                                        const BlockParams& bp, const OutConsts& k, uint8_t* out, int valid) {
  if constexpr (OUT == GemmOut::kU8 || OUT == GemmOut::kS8) {
    auto q4 = [&](int32x4_t acc, int i) {
      const float32x4_t f = vmulq_f32(vcvtq_f32_s32(acc), vld1q_f32(bp.scale + 4 * i));
      return vcvtnq_s32_f32(vminnmq_f32(vmaxnmq_f32(f, k.lo), k.hi));
    };
    // Rounded values lie in [lo - zp, hi - zp]: the zero point is added in int16, exactly.
    const int16x8_t h0 = vaddq_s16(lowHalves(q4(acc0, 0), q4(acc1, 1)), k.zp);
    const int16x8_t h1 = vaddq_s16(lowHalves(q4(acc2, 2), q4(acc3, 3)), k.zp);
    const uint8x16_t bytes = lowBytes(h0, h1);
    if (valid >= kBlock) vst1q_u8(out, bytes);
    else armk::storeBytes16(out, bytes, static_cast<size_t>(valid));
  } else {
    int32x4_t v[4] = {acc0, acc1, acc2, acc3};
    if constexpr (OUT == GemmOut::kF32)
      for (int i = 0; i < 4; ++i)
        v[i] = vreinterpretq_s32_f32(
            vaddq_f32(vmulq_f32(vcvtq_f32_s32(v[i]), vld1q_f32(bp.scale + 4 * i)), vld1q_f32(bp.biasF + 4 * i)));
    int32_t t[16];
    for (int i = 0; i < 4; ++i) vst1q_s32(t + 4 * i, v[i]);
    std::memcpy(out, t, static_cast<size_t>(valid < kBlock ? valid : kBlock) * 4);
  }
}

template <GemmOut OUT>
static void runImpl(const DwConvArgs& a) {
  const int tw = tWidth(a);
  uint8_t* scratch = static_cast<uint8_t*>(a.scratch);
  uint8_t* zeroRow = scratch + static_cast<size_t>(a.kh) * tw * kEntry;
  const size_t ob = (OUT == GemmOut::kU8 || OUT == GemmOut::kS8) ? 1 : 4;
  const GemmEpilogue& ep = a.ep;
  const OutConsts k{vdupq_n_f32(static_cast<float>(ep.lo - ep.zeroPoint)),
                    vdupq_n_f32(static_cast<float>(ep.hi - ep.zeroPoint)),
                    vdupq_n_s16(static_cast<int16_t>(ep.zeroPoint))};
  const int16_t* wAll = static_cast<const int16_t*>(a.weights);
  const int taps = a.kh * a.kw;
  const size_t xStep = static_cast<size_t>(a.sw) * kEntry;  // between two output columns
  const size_t kxStep = static_cast<size_t>(a.dw) * kEntry;  // between two taps of a kernel row

  // The all-zero-point row stands for input rows above and below the image.
  {
    const int16x8_t zx = vdupq_n_s16(static_cast<int16_t>(a.zx));
    int16_t* z = reinterpret_cast<int16_t*>(zeroRow);
    for (int e = 0; e < tw * 2; ++e) vst1q_s16(z + 8 * e, zx);
  }
  for (int b = 0; b < blocks(a.c); ++b) {
    BlockParams bp;
    blockParams(ep, a.c, b, &bp);
    const int32x4_t bias0 = vld1q_s32(bp.bias), bias1 = vld1q_s32(bp.bias + 4);
    const int32x4_t bias2 = vld1q_s32(bp.bias + 8), bias3 = vld1q_s32(bp.bias + 12);
    const int16_t* wb = wAll + static_cast<size_t>(b) * taps * kBlock;
    const int valid = a.c - b * kBlock;

    // Ring of transformed rows: row iy lives in slot (iy / dh) mod kh, so the kh rows one output
    // row reads (iy0 + ky * dh) never share a slot; ringRow[slot] remembers which row is there.
    int ringRow[64];
    for (int i = 0; i < a.kh && i < 64; ++i) ringRow[i] = -1;
    const uint8_t* rows[64];

    for (int oy = a.oyBegin; oy < a.oyEnd; ++oy) {
      for (int ky = 0; ky < a.kh; ++ky) {
        const int iy = oy * a.sh - a.padT + ky * a.dh;
        if (iy < 0 || iy >= a.h) {
          rows[ky] = zeroRow;
          continue;
        }
        const int slot = (iy / a.dh) % a.kh;
        uint8_t* T = scratch + static_cast<size_t>(slot) * tw * kEntry;
        if (ringRow[slot] != iy) {
          transformRow(a, b, iy, T, tw);
          ringRow[slot] = iy;
        }
        rows[ky] = T;
      }
      uint8_t* outRow = a.y + (static_cast<size_t>(oy) * a.ow * a.c + static_cast<size_t>(b) * kBlock) * ob;
      const size_t outStep = static_cast<size_t>(a.c) * ob;
      int ox = 0;
      // Two output columns per step: each weight load feeds both.
      for (; ox + 2 <= a.ow; ox += 2) {
        int32x4_t c00 = bias0, c01 = bias1, c02 = bias2, c03 = bias3;
        int32x4_t c10 = bias0, c11 = bias1, c12 = bias2, c13 = bias3;
        const int16_t* wk = wb;
        for (int ky = 0; ky < a.kh; ++ky) {
          const uint8_t* t = rows[ky] + static_cast<size_t>(ox) * xStep;
          for (int kx = 0; kx < a.kw; ++kx, t += kxStep, wk += kBlock) {
            const int16x8_t w0 = vld1q_s16(wk), w1 = vld1q_s16(wk + 8);
            const int16_t* p0 = reinterpret_cast<const int16_t*>(t);
            const int16_t* p1 = reinterpret_cast<const int16_t*>(t + xStep);
            const int16x8_t x00 = vld1q_s16(p0), x01 = vld1q_s16(p0 + 8);
            const int16x8_t x10 = vld1q_s16(p1), x11 = vld1q_s16(p1 + 8);
            c00 = vmlal_s16(c00, vget_low_s16(x00), vget_low_s16(w0));
            c01 = vmlal_high_s16(c01, x00, w0);
            c02 = vmlal_s16(c02, vget_low_s16(x01), vget_low_s16(w1));
            c03 = vmlal_high_s16(c03, x01, w1);
            c10 = vmlal_s16(c10, vget_low_s16(x10), vget_low_s16(w0));
            c11 = vmlal_high_s16(c11, x10, w0);
            c12 = vmlal_s16(c12, vget_low_s16(x11), vget_low_s16(w1));
            c13 = vmlal_high_s16(c13, x11, w1);
          }
        }
        store16<OUT>(c00, c01, c02, c03, bp, k, outRow + static_cast<size_t>(ox) * outStep, valid);
        store16<OUT>(c10, c11, c12, c13, bp, k, outRow + static_cast<size_t>(ox + 1) * outStep, valid);
      }
      for (; ox < a.ow; ++ox) {
        int32x4_t c00 = bias0, c01 = bias1, c02 = bias2, c03 = bias3;
        const int16_t* wk = wb;
        for (int ky = 0; ky < a.kh; ++ky) {
          const uint8_t* t = rows[ky] + static_cast<size_t>(ox) * xStep;
          for (int kx = 0; kx < a.kw; ++kx, t += kxStep, wk += kBlock) {
            const int16x8_t w0 = vld1q_s16(wk), w1 = vld1q_s16(wk + 8);
            const int16_t* p0 = reinterpret_cast<const int16_t*>(t);
            const int16x8_t x00 = vld1q_s16(p0), x01 = vld1q_s16(p0 + 8);
            c00 = vmlal_s16(c00, vget_low_s16(x00), vget_low_s16(w0));
            c01 = vmlal_high_s16(c01, x00, w0);
            c02 = vmlal_s16(c02, vget_low_s16(x01), vget_low_s16(w1));
            c03 = vmlal_high_s16(c03, x01, w1);
          }
        }
        store16<OUT>(c00, c01, c02, c03, bp, k, outRow + static_cast<size_t>(ox) * outStep, valid);
      }
    }
  }
}

void run(const DwConvArgs& a) {
  switch (a.ep.kind) {
    case GemmOut::kU8: runImpl<GemmOut::kU8>(a); break;
    case GemmOut::kS8: runImpl<GemmOut::kS8>(a); break;
    case GemmOut::kF32: runImpl<GemmOut::kF32>(a); break;
    case GemmOut::kS32: runImpl<GemmOut::kS32>(a); break;
  }
}

const DwKernelTable kNeon = {Isa::kNeon, packedBytes, pack, scratchBytes, run};

}  // namespace

const DwKernelTable* dwKernelsNeon() { return &kNeon; }

}  // namespace qint8
