// qint8 — depthwise convolution, dot product (armv8.2-a+dotprod): sdot plays vpdpbusd's role.
//
// `sdot vAcc.4s, vX.16b, vW.16b` adds, per int32 lane, the dot product of 4 adjacent int8 pairs.
// As in the AVX-512 kernel, each input row is transformed once into T, where every channel holds
// 4 bytes: the pixels at x, x + d, x + 2d, x + 3d of that row (d the dilation; the zero point
// outside the image). One sdot of T[ox * stride - padL + 4 * j * d] with the packed weights
// (taps 4j..4j+3 of a kernel row, zero past the kernel width) adds 4 taps for 4 channels.
// The interleave is one st4 of the four pixel vectors: channel l's 4 bytes land at 4l..4l+3, so
// accumulator q holds channels 4q..4q+3 and everything stays in natural channel order.
//
// sdot is int8 x int8; the activations are uint8. As for the GEMM (docs/ARM.md), they are flipped
// to int8 while transforming (a' = x ^ 0x80 = x - 128) and each channel gets its correction back:
//   sum x * w = sum a' * w + 128 * sum w
// with 128 * sum(w) computed at pack time (stored after the weights) and added to the bias. Each
// sdot lane adds four products of magnitude <= 128 * 128 into int32: exact (mod 2^32, like the
// reference's int32 accumulator), for every input and weight.
//
// Channels go in blocks of 16 (4 accumulators); two output pixels are computed together, so per
// kernel row and tap group one 64-byte weight load and two 64-byte input loads feed 8 sdot
// (128 MACs, 64 per pixel). The i8mm tier falls back to this kernel: usdot would take the uint8
// activations as they are and save the flip (one eor per 16 transformed bytes, outside the
// multiply loop) and the correction (once per block), nothing in the loop itself.
#include <arm_neon.h>

#include <cstring>

#include "../../../runtime/dwconv_kernels.h"
#include "../arm_common.h"

namespace qint8 {
namespace {

using armk::lowBytes;
using armk::lowHalves;

constexpr int kBlock = 16;
constexpr size_t kEntry = 64;  // bytes per T entry: 16 channels x 4 taps

static inline int blocks(int c) { return (c + kBlock - 1) / kBlock; }
static inline int groups4(int kw) { return (kw + 3) / 4; }

// acc += dot4(x, w) lane by lane. Through inline asm, like the GEMM kernels' multiply-accumulates.
#define QINT8_SDOT16(acc, x, w) __asm__("sdot %0.4s, %1.16b, %2.16b" : "+w"(acc) : "w"(x), "w"(w))

static inline size_t weightBytes(int kh, int kw, int c) {
  return static_cast<size_t>(blocks(c)) * kh * groups4(kw) * kEntry;
}

size_t packedBytes(int kh, int kw, int c) {
  return weightBytes(kh, kw, c) + static_cast<size_t>(blocks(c)) * kBlock * sizeof(int32_t);
}

// [c][kh][kw] int8 -> [block][ky][j][16 channels][4 taps] int8 (zero past the kernel width and
// past c), then int32 corr[blocks * 16] = 128 * sum of the channel's weights.
void pack(const int8_t* w, int kh, int kw, int c, void* dst) {
  int8_t* d = static_cast<int8_t*>(dst);
  const int J = groups4(kw);
  for (int b = 0; b < blocks(c); ++b)
    for (int ky = 0; ky < kh; ++ky)
      for (int j = 0; j < J; ++j)
        for (int l = 0; l < kBlock; ++l)
          for (int t = 0; t < 4; ++t) {
            const int ch = b * kBlock + l, kx = 4 * j + t;
            *d++ = (ch < c && kx < kw) ? w[(static_cast<size_t>(ch) * kh + ky) * kw + kx] : 0;
          }
  int32_t* corr = reinterpret_cast<int32_t*>(static_cast<uint8_t*>(dst) + weightBytes(kh, kw, c));
  for (int ch = 0; ch < blocks(c) * kBlock; ++ch) {
    int64_t s = 0;
    if (ch < c)
      for (int t = 0; t < kh * kw; ++t) s += w[static_cast<size_t>(ch) * kh * kw + t];
    corr[ch] = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(s * 128)));  // wraps like int32 sums
  }
}

// Entries of a transformed row: bases ox * sw - padL + 4 * j * dw for every output column and group.
static inline int tWidth(const DwConvArgs& a) { return (a.ow - 1) * a.sw + 4 * (groups4(a.kw) - 1) * a.dw + 1; }

size_t scratchBytes(const DwConvArgs& a) { return static_cast<size_t>(a.kh + 1) * tWidth(a) * kEntry; }

// Transforms input row iy of channel block b into T (tw entries of 64 bytes), flipped to int8.
static void transformRow(const DwConvArgs& a, int b, int iy, uint8_t* T, int tw) {
  const uint8x16_t flip = vdupq_n_u8(0x80);
  const uint8x16_t zx = vdupq_n_u8(static_cast<uint8_t>(a.zx ^ 0x80));
  const int valid = a.c - b * kBlock;
  const uint8_t* row = a.x + static_cast<size_t>(iy) * a.w * a.c + b * kBlock;
  auto pixel = [&](int ix) {
    if (ix < 0 || ix >= a.w) return zx;
    const uint8_t* p = row + static_cast<size_t>(ix) * a.c;
    if (valid >= kBlock) return veorq_u8(vld1q_u8(p), flip);
    uint8_t t[16] = {0};
    std::memcpy(t, p, static_cast<size_t>(valid));
    return veorq_u8(vld1q_u8(t), flip);
  };
  for (int e = 0; e < tw; ++e) {
    const int x0 = e - a.padL;
    uint8x16x4_t v;
    v.val[0] = pixel(x0);
    v.val[1] = pixel(x0 + a.dw);
    v.val[2] = pixel(x0 + 2 * a.dw);
    v.val[3] = pixel(x0 + 3 * a.dw);
    vst4q_u8(T + static_cast<size_t>(e) * kEntry, v);
  }
}

// Per-channel output-stage parameters of one block (16 lanes, neutral past c).
struct BlockParams {
  int32_t bias[16];  // bias32 + 128 * sum(w), wrapping like the int32 accumulator
  float scale[16];
  float biasF[16];
};

static inline void blockParams(const GemmEpilogue& ep, const int32_t* corr, int c, int b, BlockParams* p) {
  for (int l = 0; l < kBlock; ++l) {
    const int ch = b * kBlock + l;
    const bool in = ch < c;
    const int32_t bias = in && ep.bias32 ? ep.bias32[ch] : 0;
    p->bias[l] = static_cast<int32_t>(static_cast<uint32_t>(bias) + static_cast<uint32_t>(corr[ch]));
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
  const int J = groups4(a.kw);
  const int tw = tWidth(a);
  uint8_t* scratch = static_cast<uint8_t*>(a.scratch);
  uint8_t* zeroRow = scratch + static_cast<size_t>(a.kh) * tw * kEntry;
  const size_t ob = (OUT == GemmOut::kU8 || OUT == GemmOut::kS8) ? 1 : 4;
  const GemmEpilogue& ep = a.ep;
  const OutConsts k{vdupq_n_f32(static_cast<float>(ep.lo - ep.zeroPoint)),
                    vdupq_n_f32(static_cast<float>(ep.hi - ep.zeroPoint)),
                    vdupq_n_s16(static_cast<int16_t>(ep.zeroPoint))};
  const int8_t* wAll = static_cast<const int8_t*>(a.weights);
  const int32_t* corr = reinterpret_cast<const int32_t*>(wAll + weightBytes(a.kh, a.kw, a.c));
  const size_t xStep = static_cast<size_t>(a.sw) * kEntry;      // between two output columns
  const size_t jStep = static_cast<size_t>(4 * a.dw) * kEntry;  // between two tap groups

  // The all-zero-point row (flipped) stands for input rows above and below the image.
  {
    const uint8x16_t zx = vdupq_n_u8(static_cast<uint8_t>(a.zx ^ 0x80));
    for (int e = 0; e < tw * 4; ++e) vst1q_u8(zeroRow + static_cast<size_t>(e) * 16, zx);
  }
  for (int b = 0; b < blocks(a.c); ++b) {
    BlockParams bp;
    blockParams(ep, corr, a.c, b, &bp);
    const int32x4_t bias0 = vld1q_s32(bp.bias), bias1 = vld1q_s32(bp.bias + 4);
    const int32x4_t bias2 = vld1q_s32(bp.bias + 8), bias3 = vld1q_s32(bp.bias + 12);
    const int8_t* wb = wAll + static_cast<size_t>(b) * a.kh * J * kEntry;
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
        const int8_t* wk = wb;
        for (int ky = 0; ky < a.kh; ++ky) {
          const uint8_t* t = rows[ky] + static_cast<size_t>(ox) * xStep;
          for (int j = 0; j < J; ++j, t += jStep, wk += kEntry) {
            const int8x16x4_t w = vld1q_s8_x4(wk);
            const int8x16x4_t x0 = vld1q_s8_x4(reinterpret_cast<const int8_t*>(t));
            const int8x16x4_t x1 = vld1q_s8_x4(reinterpret_cast<const int8_t*>(t + xStep));
            QINT8_SDOT16(c00, x0.val[0], w.val[0]);
            QINT8_SDOT16(c01, x0.val[1], w.val[1]);
            QINT8_SDOT16(c02, x0.val[2], w.val[2]);
            QINT8_SDOT16(c03, x0.val[3], w.val[3]);
            QINT8_SDOT16(c10, x1.val[0], w.val[0]);
            QINT8_SDOT16(c11, x1.val[1], w.val[1]);
            QINT8_SDOT16(c12, x1.val[2], w.val[2]);
            QINT8_SDOT16(c13, x1.val[3], w.val[3]);
          }
        }
        store16<OUT>(c00, c01, c02, c03, bp, k, outRow + static_cast<size_t>(ox) * outStep, valid);
        store16<OUT>(c10, c11, c12, c13, bp, k, outRow + static_cast<size_t>(ox + 1) * outStep, valid);
      }
      for (; ox < a.ow; ++ox) {
        int32x4_t c00 = bias0, c01 = bias1, c02 = bias2, c03 = bias3;
        const int8_t* wk = wb;
        for (int ky = 0; ky < a.kh; ++ky) {
          const uint8_t* t = rows[ky] + static_cast<size_t>(ox) * xStep;
          for (int j = 0; j < J; ++j, t += jStep, wk += kEntry) {
            const int8x16x4_t w = vld1q_s8_x4(wk);
            const int8x16x4_t x0 = vld1q_s8_x4(reinterpret_cast<const int8_t*>(t));
            QINT8_SDOT16(c00, x0.val[0], w.val[0]);
            QINT8_SDOT16(c01, x0.val[1], w.val[1]);
            QINT8_SDOT16(c02, x0.val[2], w.val[2]);
            QINT8_SDOT16(c03, x0.val[3], w.val[3]);
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

const DwKernelTable kNeonDot = {Isa::kNeonDot, packedBytes, pack, scratchBytes, run};

}  // namespace

const DwKernelTable* dwKernelsNeonDot() { return &kNeonDot; }

}  // namespace qint8
