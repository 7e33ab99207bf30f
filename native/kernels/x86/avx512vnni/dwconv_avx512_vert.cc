// qint8 — depthwise convolution 3x3, stride 1, no dilation, channels a multiple of 16, u8/s8
// output, AVX-512 VNNI: vertical interleave (dwconv_avx512.cc dispatches here).
//
// Output rows come in pairs (y, y + 1). They read the 4 input rows y - padT .. y - padT + 3
// (R0..R3; the zero point outside the image). The padded rows P_k (P_k byte i = input byte
// i - padL * c, the zero point outside the row) are interleaved bytewise into dwords
// [P0[i], P1[i], P2[i], P3[i]]: V, one transformed row for the pair. Output byte i of row y is
// then sum over kx of dot(V[i + kx * c], [w(0,kx), w(1,kx), w(2,kx), 0]) and of row y + 1
// sum over kx of dot(V[i + kx * c], [0, w(0,kx), w(1,kx), w(2,kx)]): one vpdpbusd per 16
// outputs, tap and row, and the horizontal taps are plain loads of V at byte offsets kx * c (no
// transform per tap). The transform costs 8 unpacks per 64 bytes of a row pair (4 per 64 outputs,
// against 8 per 64 outputs in the flat kernel, whose transformed rows are per tap).
//
// The interleave works in 128-bit lanes (unpacklo/hi_epi8, then _epi16): 64 bytes of P at 64b
// give 4 vectors, vector q holding bytes 64b + 16L + 4q + j in dword 4L + j (L the lane). Vector
// q goes to plane q at byte 64b, so plane q's 16-byte unit m holds the bytes 16m + 4q + j:
// shifting by c bytes of P (c a multiple of 16) is shifting by c bytes of the plane, and the taps
// of the output bytes held by accumulator q are the loads of plane q at 64b + kx * c. The packed
// weights and the per-channel arrays use that order (the flat kernel's, byteOf()) and the in-lane
// saturating packs restore the natural order.
//
// Output blocks come in P = c / gcd(c, 64) channel phases (block b has phase b mod P), each with
// its own 24 weight vectors (4 accumulators x 3 taps x 2 rows), used as memory operands.
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/dwconv_kernels.h"
#include "dwconv_avx512_common.h"

namespace qint8 {

// Declared here, defined below; dwconv_avx512.cc dispatches.
bool dwVertFits(const DwConvArgs& a);
size_t dwVertPackedBytes(int c);
void dwVertPack(const int8_t* w, int c, void* dst);
size_t dwVertScratchBytes(const DwConvArgs& a);
void dwVertRun(const DwConvArgs& a);

namespace {

struct VGeo {
  int P, PA, NWo, NBv, rowOut;
  size_t plane;  // bytes per plane
};

static inline VGeo vgeo(const DwConvArgs& a) {
  VGeo g;
  g.P = phases(a.c);
  g.rowOut = a.ow * a.c;
  g.NWo = (g.rowOut + 63) / 64;
  g.PA = g.P < g.NWo ? g.P : g.NWo;
  // Taps of the last output block read plane bytes up to 64 * NWo - 1 + 2c.
  g.NBv = (64 * g.NWo + 2 * a.c + 63) / 64;
  g.plane = static_cast<size_t>(g.NBv) * 64;
  return g;
}

#define DWV_RN (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

// The byte interleave of 64 bytes of the 4 rows into the 4 planes at offset o.
static QINT8_ALWAYS_INLINE void interleave4(__m512i v0, __m512i v1, __m512i v2, __m512i v3, uint8_t* V, size_t plane,
                                            size_t o) {
  const __m512i lo01 = _mm512_unpacklo_epi8(v0, v1), hi01 = _mm512_unpackhi_epi8(v0, v1);
  const __m512i lo23 = _mm512_unpacklo_epi8(v2, v3), hi23 = _mm512_unpackhi_epi8(v2, v3);
  _mm512_store_si512(V + o, _mm512_unpacklo_epi16(lo01, lo23));
  _mm512_store_si512(V + plane + o, _mm512_unpackhi_epi16(lo01, lo23));
  _mm512_store_si512(V + 2 * plane + o, _mm512_unpacklo_epi16(hi01, hi23));
  _mm512_store_si512(V + 3 * plane + o, _mm512_unpackhi_epi16(hi01, hi23));
}

// The 4 input rows of a row pair, for the transform.
struct Pair {
  const uint8_t* rows[4];  // nullptr: outside the image (the zero point)
  int iLo, iHi;            // blocks [iLo, iHi) are 4 plain loads
  int64_t W, padBytes;     // bytes per input row; padL * c
};

// Block b of V (64 bytes of each padded row, interleaved into the 4 planes).
static QINT8_ALWAYS_INLINE void transformBlock(const Pair& t, int b, uint8_t* V, size_t plane, __m512i zx) {
  const int64_t s = static_cast<int64_t>(b) * 64 - t.padBytes;  // input byte of the block's first byte
  const size_t o = static_cast<size_t>(b) * 64;
  if (b >= t.iLo && b < t.iHi) {
    interleave4(_mm512_loadu_si512(t.rows[0] + s), _mm512_loadu_si512(t.rows[1] + s), _mm512_loadu_si512(t.rows[2] + s),
                _mm512_loadu_si512(t.rows[3] + s), V, plane, o);
    return;
  }
  const int l0 = s < 0 ? static_cast<int>(-s < 64 ? -s : 64) : 0;
  const int l1 = t.W - s >= 64 ? 64 : t.W - s <= 0 ? 0 : static_cast<int>(t.W - s);
  const __mmask64 m = l1 > l0 ? byteMask(l1) & ~byteMask(l0) : 0;
  __m512i v[4];
  for (int k = 0; k < 4; ++k)
    v[k] = t.rows[k] && m ? _mm512_mask_loadu_epi8(zx, m, reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(t.rows[k]) + static_cast<uintptr_t>(s)))
                          : zx;
  interleave4(v[0], v[1], v[2], v[3], V, plane, o);
}

// Convert, scale and round accumulators of q = 2H, 2H + 1, pack them to int16 with + zp.
template <bool NOMIN>
static QINT8_ALWAYS_INLINE __m512i halfStage(__m512i x0, __m512i x1, __m512 s0, __m512 s1, __m512 fhi, __m512i zp16) {
  __m512i q0, q1;
  if (NOMIN) {
    q0 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(_mm512_cvt_roundepi32_ps(x0, DWV_RN), s0), DWV_RN);
    q1 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(_mm512_cvt_roundepi32_ps(x1, DWV_RN), s1), DWV_RN);
  } else {
    q0 = _mm512_cvt_roundps_epi32(_mm512_min_ps(fhi, _mm512_mul_ps(_mm512_cvt_roundepi32_ps(x0, DWV_RN), s0)), DWV_RN);
    q1 = _mm512_cvt_roundps_epi32(_mm512_min_ps(fhi, _mm512_mul_ps(_mm512_cvt_roundepi32_ps(x1, DWV_RN), s1)), DWV_RN);
  }
  return _mm512_adds_epi16(_mm512_packs_epi32(q0, q1), zp16);
}

// One half of every output block of a row pair: accumulators q = 2H, 2H + 1 of rows y and y + 1,
// walked phase by phase so that the half's 12 weight vectors stay in registers. H = 0 leaves the
// int16 halves in buf (2 x 64 bytes per block); H = 1 finishes the bytes.
template <bool NOMIN, int H>
static void halfPass(uint8_t* V, size_t plane, int c, const int8_t* wAll, const uint8_t* arrays, int P, int PA, int NWo,
                     int rowOut, uint8_t* buf, uint8_t* out0, bool two, __m512 fhi, __m512i zp16, __m512i lo8, __m512i hi8, bool s8,
                     const Pair* fuse, int NBv, __m512i zx) {
  // fuse (H = 0): the row pair's transform, run in phase 0's loop LAG blocks ahead of the blocks it
  // computes (P blocks per step; the rest after that loop), so that it overlaps the compute.
  const int LAG = (2 * c) / 64 + 3;
  uint8_t* Vw = V;
  int nextT = 0;  // the next block to transform
  if (H == 0 && fuse)
    for (; nextT < LAG && nextT < NBv; ++nextT) transformBlock(*fuse, nextT, Vw, plane, zx);
  const uint8_t* V0 = V + (2 * H) * plane;
  const uint8_t* V1 = V0 + plane;
  for (int ph = 0; ph < PA; ++ph) {
    const int8_t* wp = wAll + static_cast<size_t>(ph) * 1536 + (2 * H) * 384;
    const __m512i w00 = _mm512_load_si512(wp), w01 = _mm512_load_si512(wp + 64);
    const __m512i w10 = _mm512_load_si512(wp + 128), w11 = _mm512_load_si512(wp + 192);
    const __m512i w20 = _mm512_load_si512(wp + 256), w21 = _mm512_load_si512(wp + 320);
    const __m512i v00 = _mm512_load_si512(wp + 384), v01 = _mm512_load_si512(wp + 448);
    const __m512i v10 = _mm512_load_si512(wp + 512), v11 = _mm512_load_si512(wp + 576);
    const __m512i v20 = _mm512_load_si512(wp + 640), v21 = _mm512_load_si512(wp + 704);
    const uint8_t* arr = arrays + static_cast<size_t>(ph) * 512;
    const __m512i bias0 = _mm512_load_si512(arr + (2 * H) * 64), bias1 = _mm512_load_si512(arr + (2 * H + 1) * 64);
    const __m512 s0 = _mm512_load_ps(arr + 256 + (2 * H) * 64), s1 = _mm512_load_ps(arr + 256 + (2 * H + 1) * 64);
    for (int b = ph; b < NWo; b += P) {
      const size_t o = static_cast<size_t>(b) * 64;
      if (H == 0 && fuse && ph == 0)
        for (; nextT < b + LAG + P && nextT < NBv; ++nextT) transformBlock(*fuse, nextT, Vw, plane, zx);
      __m512i a0 = bias0, a1 = bias1, b0 = bias0, b1 = bias1;
      {
        const __m512i t0 = _mm512_load_si512(V0 + o), t1 = _mm512_loadu_si512(V0 + o + c), t2 = _mm512_loadu_si512(V0 + o + 2 * c);
        dpbusd(a0, t0, w00);
        dpbusd(b0, t0, w01);
        dpbusd(a0, t1, w10);
        dpbusd(b0, t1, w11);
        dpbusd(a0, t2, w20);
        dpbusd(b0, t2, w21);
      }
      {
        const __m512i t0 = _mm512_load_si512(V1 + o), t1 = _mm512_loadu_si512(V1 + o + c), t2 = _mm512_loadu_si512(V1 + o + 2 * c);
        dpbusd(a1, t0, v00);
        dpbusd(b1, t0, v01);
        dpbusd(a1, t1, v10);
        dpbusd(b1, t1, v11);
        dpbusd(a1, t2, v20);
        dpbusd(b1, t2, v21);
      }
      const __m512i pa = halfStage<NOMIN>(a0, a1, s0, s1, fhi, zp16);
      const __m512i pb = halfStage<NOMIN>(b0, b1, s0, s1, fhi, zp16);
      uint8_t* bp = buf + 2 * o;
      if (H == 0) {
        _mm512_store_si512(bp, pa);
        _mm512_store_si512(bp + 64, pb);
      } else {
        __m512i ya, yb;
        if (NOMIN) {
          ya = s8 ? _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(_mm512_load_si512(bp), pa), lo8), hi8)
                  : _mm512_min_epu8(_mm512_max_epu8(_mm512_packus_epi16(_mm512_load_si512(bp), pa), lo8), hi8);
          yb = s8 ? _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(_mm512_load_si512(bp + 64), pb), lo8), hi8)
                  : _mm512_min_epu8(_mm512_max_epu8(_mm512_packus_epi16(_mm512_load_si512(bp + 64), pb), lo8), hi8);
        } else {
          ya = s8 ? _mm512_max_epi8(_mm512_packs_epi16(_mm512_load_si512(bp), pa), lo8)
                  : _mm512_max_epu8(_mm512_packus_epi16(_mm512_load_si512(bp), pa), lo8);
          yb = s8 ? _mm512_max_epi8(_mm512_packs_epi16(_mm512_load_si512(bp + 64), pb), lo8)
                  : _mm512_max_epu8(_mm512_packus_epi16(_mm512_load_si512(bp + 64), pb), lo8);
        }
        const int valid = rowOut - static_cast<int>(o);
        if (valid >= 64) {
          _mm512_storeu_si512(out0 + o, ya);
          if (two) _mm512_storeu_si512(out0 + rowOut + o, yb);
        } else {
          _mm512_mask_storeu_epi8(out0 + o, byteMask(valid), ya);
          if (two) _mm512_mask_storeu_epi8(out0 + rowOut + o, byteMask(valid), yb);
        }
      }
    }
    if (H == 0 && fuse && ph == 0)
      for (; nextT < NBv; ++nextT) transformBlock(*fuse, nextT, Vw, plane, zx);
  }
}

template <bool NOMIN>
static void runImpl(const DwConvArgs& a) {
  const VGeo g = vgeo(a);
  const int c = a.c;
  const size_t plane = g.plane;
  uint8_t* V = static_cast<uint8_t*>(a.scratch);  // 4 planes
  uint8_t* arrays = V + 4 * plane;                // per phase: bias32[64], scale[64]
  const GemmEpilogue& ep = a.ep;
  for (int pa = 0; pa < g.PA; ++pa) {
    int32_t* bias = reinterpret_cast<int32_t*>(arrays + static_cast<size_t>(pa) * 512);
    float* scale = reinterpret_cast<float*>(bias + 64);
    for (int q = 0; q < 4; ++q)
      for (int di = 0; di < 16; ++di) {
        const int ch = (pa * 64 + byteOf(q, di)) % c;
        bias[16 * q + di] = ep.bias32 ? ep.bias32[ch] : 0;
        scale[16 * q + di] = ep.scale ? ep.scale[ch] : 0.0f;
      }
  }
  const __m512i zx = _mm512_set1_epi8(static_cast<char>(a.zx));
  const __m512 fhi = _mm512_set1_ps(static_cast<float>(ep.hi - ep.zeroPoint));
  const __m512i zp16 = _mm512_set1_epi16(static_cast<int16_t>(ep.zeroPoint));
  const __m512i lo8 = _mm512_set1_epi8(static_cast<char>(ep.lo));
  const __m512i hi8 = _mm512_set1_epi8(static_cast<char>(ep.hi));
  const bool s8 = ep.kind == GemmOut::kS8;
  const int8_t* wAll = static_cast<const int8_t*>(a.weights);
  const int64_t W = static_cast<int64_t>(a.w) * c;  // bytes per input row
  const int64_t padBytes = static_cast<int64_t>(a.padL) * c;
  // P blocks [bLo, bHi) read 64 bytes inside the input row (no mask).
  int bLo = static_cast<int>((padBytes + 63) / 64);
  int bHi = static_cast<int>((W + padBytes) / 64 - 1 + 1);  // 64b - padBytes + 64 <= W
  if (bHi > g.NBv) bHi = g.NBv;
  if (bLo > bHi) bLo = bHi;

  uint8_t* buf = arrays + static_cast<size_t>(g.PA) * 512;
  for (int y = a.oyBegin; y < a.oyEnd; y += 2) {
    const bool two = y + 1 < a.oyEnd;
    Pair t;
    bool all = true;
    for (int k = 0; k < 4; ++k) {
      const int iy = y - a.padT + k;
      const bool in = iy >= 0 && iy < a.h && (k < 3 || two);
      t.rows[k] = in ? a.x + static_cast<size_t>(iy) * W : nullptr;
      all = all && in;
    }
    t.iLo = all ? bLo : 0;
    t.iHi = all ? bHi : 0;
    t.W = W;
    t.padBytes = padBytes;
    uint8_t* o0 = a.y + static_cast<size_t>(y) * g.rowOut;
    halfPass<NOMIN, 0>(V, plane, c, wAll, arrays, g.P, g.PA, g.NWo, g.rowOut, buf, o0, two, fhi, zp16, lo8, hi8, s8, &t, g.NBv, zx);
    halfPass<NOMIN, 1>(V, plane, c, wAll, arrays, g.P, g.PA, g.NWo, g.rowOut, buf, o0, two, fhi, zp16, lo8, hi8, s8, nullptr, g.NBv, zx);
  }
}
#undef DWV_RN

}  // namespace

bool dwVertFits(const DwConvArgs& a) {
  return a.kh == 3 && a.kw == 3 && a.sh == 1 && a.sw == 1 && a.dh == 1 && a.dw == 1 && a.c % 16 == 0 &&
         (a.ep.kind == GemmOut::kU8 || a.ep.kind == GemmOut::kS8);
}

size_t dwVertPackedBytes(int c) { return c % 16 == 0 ? static_cast<size_t>(phases(c)) * 1536 : 0; }

// Per phase, accumulator q, tap kx, row r (0: y, 1: y + 1): 64 bytes, dword di byte t the weight
// of input row t of the pair for the channel of window byte byteOf(q, di).
void dwVertPack(const int8_t* w, int c, void* dst) {
  if (c % 16) return;
  int8_t* d = static_cast<int8_t*>(dst);
  for (int ph = 0; ph < phases(c); ++ph)
    for (int q = 0; q < 4; ++q)
      for (int kx = 0; kx < 3; ++kx)
        for (int r = 0; r < 2; ++r)
          for (int di = 0; di < 16; ++di)
            for (int t = 0; t < 4; ++t) {
              const int ch = (ph * 64 + byteOf(q, di)) % c;
              const int ky = t - r;
              *d++ = ky >= 0 && ky < 3 ? w[(static_cast<size_t>(ch) * 3 + ky) * 3 + kx] : 0;
            }
}

size_t dwVertScratchBytes(const DwConvArgs& a) {
  const VGeo g = vgeo(a);
  return 4 * g.plane + static_cast<size_t>(g.PA) * 512 + static_cast<size_t>(g.NWo) * 128 + 64;
}

void dwVertRun(const DwConvArgs& a) {
  if (dwNoOverflow(a)) runImpl<true>(a);
  else runImpl<false>(a);
}

}  // namespace qint8
