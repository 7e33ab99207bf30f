// qint8 — depthwise convolution, AVX-512 VNNI: flat 64-byte windows.
//
// An NHWC output row is a flat array of ow * c bytes. It is produced in windows of 64 bytes,
// whatever the channel count: byte b of a window is output pixel (q + b) / c, channel
// (q + b) % c, where q is the window's offset in the row. Tap kx of that byte reads input pixel
// s * ox - padL + kx * d (s the stride, d the dilation) of some input row. Writing the padded
// input row as P (P[i] = pixel i - padL, the zero point outside the image) and kx * d = s * u + r
// (0 <= r < s), that pixel is D_r[ox + u] with D_r[i] = P[s * i + r]: the row decimated by the
// stride. In bytes, the tap of every byte of the window is at offset q + u * c of D_r: one
// 64-byte load per tap and window, for any channel count, stride or dilation.
//
// vpdpbusd sums 4 adjacent bytes, a depthwise conv sums taps per channel: the loads of 4 taps
// (a tap group j: taps 4j..4j+3 of a kernel row, zero weights beyond the kernel width) are
// interleaved into T (4 zmm = 64 bytes x 4 taps). Each input row is decimated and transformed
// once, for every window of the output row, into a ring of KH slots (slot (iy / dh) mod KH), and
// reused by the next output rows. Per window and kernel row, one vpdpbusd per 16 bytes adds 4
// taps.
//
// Loop order: strips of SW windows (the ring of a strip stays in L1), each walked down the band's
// output rows; per output row, one tight loop transforms the new input rows for the strip's
// windows, then another computes and stores the strip's windows (per-window work is then a few
// scalar instructions around the vector code).
//
// The byte interleave works inside 128-bit lanes, so accumulator q (q = 0..3) holds window bytes
// 16L + 4q + j in dword 4L + j (L = lane). The packed weights and the per-channel arrays use the
// same order, and the in-lane saturating packs put the bytes back in natural order.
//
// The channel of a window byte depends on q mod c: windows come in P = c / gcd(c, 64) phases
// (one for c = 16, 32, 64; 15 for c = 960; c for odd c), each with its own packed weights
// (P x KH x J x 256 bytes) and per-channel arrays (built per call for the phases a row uses).
//
// With AVX512_VBMI (DwConvArgs::vbmi, from the CPU's features), a window whose taps all lie within
// 128 bytes of its first tap (one tap group, (kw - 1) * dilation * c <= 64: at stride 1 with
// kw = 3, c <= 32; at stride 2 only c = 64 with kw <= 2) is transformed by 4 vpermt2b of two
// loads instead of 8 unpacks of kw loads. When no
// requantization product can reach 2^30 (a per-call bound on |bias32| + kh * kw * 255 * 128
// times the scale), the float upper clamp (4 vminps per window) becomes one byte min after the
// packs; the result is the same (see the stage).
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/dwconv_kernels.h"
#include "dwconv_avx512_common.h"

namespace qint8 {

// The channel-block kernel (dwconv_avx512_blocked.cc): one transformed pixel serves every tap
// group of a kernel row, which is what kernels 5 or more taps wide need (two tap groups here cost
// two transforms per window). Measured on 5x5 layers of MobileNetV3: 70-72 GOPS there vs 59-60
// here; on 3x3 this kernel is 1.2-2.4x faster.
const DwKernelTable* dwKernelsAvx512Blocked();
// The vertical-interleave kernel for 3x3 stride 1 (dwconv_avx512_vert.cc); its weights follow
// this kernel's in the packed buffer (packed for every 3x3 with c a multiple of 16: the stride
// is not known when packing).
bool dwVertFits(const DwConvArgs& a);
size_t dwVertPackedBytes(int c);
void dwVertPack(const int8_t* w, int c, void* dst);
size_t dwVertScratchBytes(const DwConvArgs& a);
void dwVertRun(const DwConvArgs& a);

namespace {

static inline bool blocked(int kw) { return kw >= 5; }

static inline int groups4(int kw) { return (kw + 3) / 4; }
static inline __mmask16 dwordMask(int valid) {
  return valid >= 16 ? static_cast<__mmask16>(0xFFFF) : valid <= 0 ? 0 : static_cast<__mmask16>((1u << valid) - 1);
}

size_t packedBytes(int kh, int kw, int c) { return static_cast<size_t>(phases(c)) * kh * groups4(kw) * 256; }

void pack(const int8_t* w, int kh, int kw, int c, void* dst) {
  int8_t* d = static_cast<int8_t*>(dst);
  const int J = groups4(kw), P = phases(c);
  for (int ph = 0; ph < P; ++ph)
    for (int ky = 0; ky < kh; ++ky)
      for (int j = 0; j < J; ++j)
        for (int q = 0; q < 4; ++q)
          for (int di = 0; di < 16; ++di)
            for (int t = 0; t < 4; ++t) {
              const int ch = (ph * 64 + byteOf(q, di)) % c;
              const int kx = 4 * j + t;
              *d++ = kx < kw ? w[(static_cast<size_t>(ch) * kh + ky) * kw + kx] : 0;
            }
}

// Sizes of one call's buffers.
struct Geo {
  int J, P, NW, rowOut;   // tap groups, phases, windows per output row, bytes per output row
  int PA;                 // per-channel array sets built (min(P, NW))
  int maxSeg;             // load segments per tap and window
  int SW;                 // windows per strip
};

static inline Geo geo(const DwConvArgs& a) {
  Geo g;
  g.J = groups4(a.kw);
  g.P = phases(a.c);
  g.rowOut = a.ow * a.c;
  g.NW = (g.rowOut + 63) / 64;
  g.PA = g.P < g.NW ? g.P : g.NW;
  // A window covers 64 bytes of a decimated row: at most 64 / c + 2 pixels (stride 1: one
  // contiguous run of the input row).
  g.maxSeg = a.sw == 1 ? 1 : 64 / a.c + 2;
  // Strips of SW windows: the ring holds KH x SW transformed windows, about 32 KB (measured on
  // 112x112x32: 16 KB strips 55 GOPS, 32 KB 65, whole rows 65; per-row overhead is per strip).
  const int sw = 32768 / (a.kh * g.J * 256);
  g.SW = sw < 1 ? 1 : sw > g.NW ? g.NW : sw;
  return g;
}

// One contiguous piece of a tap's 64-byte window: lanes `mask` read input row bytes
// base + lane (base may lie outside the row: only the masked lanes are read).
struct Seg {
  int64_t base;
  uint64_t mask;
};

// Per window of a strip: the tap loads when each is one unmasked load, and the phase.
struct WinInfo {
  int64_t base[4];
  int simple;
  int perm;  // simple, and the taps' offsets from base[0] are the call's permute offsets
  int phase;
};

size_t scratchBytes(const DwConvArgs& a) {
  const Geo g = geo(a);
  // Ring (KH slots) + the zero-point slot, SW windows x J x 256 bytes each; per-channel arrays;
  // load recipes and window info of a strip; the ring schedule.
  const size_t bandRows = static_cast<size_t>(a.oyEnd - a.oyBegin);
  return static_cast<size_t>(a.kh + 1) * g.SW * g.J * 256 + static_cast<size_t>(g.PA) * 768 +
         static_cast<size_t>(g.SW) * (a.kw * (g.maxSeg * sizeof(Seg) + sizeof(int)) + sizeof(WinInfo)) +
         sizeof(int) * (bandRows + 1 + 3 * bandRows * a.kh) + 64;
}

// Load recipes of window wi for every tap kx: the window's bytes (output pixel ox, channel ch)
// read input pixel s * ox - padL + kx * d, channel ch, of the current row (zero point outside).
static void recipes(const DwConvArgs& a, const Geo& g, int wi, Seg* segs, int* counts) {
  const int64_t c = a.c;
  for (int kx = 0; kx < a.kw; ++kx) {
    Seg* sg = segs + static_cast<size_t>(kx) * g.maxSeg;
    int n = 0;
    const int off = kx * a.dw, r = off % a.sw, u = off / a.sw;
    const int64_t o = static_cast<int64_t>(wi) * 64 + static_cast<int64_t>(u) * c;  // byte of D_r
    for (int64_t b = o; b < o + 64;) {
      const int64_t i = b / c;  // pixel of D_r: input pixel s * i + r - padL
      const int64_t bEnd = (i + 1) * c < o + 64 ? (i + 1) * c : o + 64;
      const int64_t ix = static_cast<int64_t>(a.sw) * i + r - a.padL;
      if (ix >= 0 && ix < a.w) {
        const int64_t base = ix * c + (b - i * c) - (b - o);
        const int l0 = static_cast<int>(b - o), l1 = static_cast<int>(bEnd - o);
        const uint64_t m = (l1 >= 64 ? ~0ull : ((1ull << l1) - 1)) & ~((1ull << l0) - 1);
        if (n > 0 && sg[n - 1].base == base) sg[n - 1].mask |= m;  // contiguous with the last piece
        else sg[n++] = {base, m};
      }
      b = bEnd;
    }
    counts[kx] = n;
  }
}

// One tap's 64-byte window of the current input row (zero point where nothing is read).
static QINT8_ALWAYS_INLINE __m512i loadTap(uintptr_t row, const Seg* sg, int n, __m512i zx) {
  if (n == 1 && sg[0].mask == ~0ull) return _mm512_loadu_si512(reinterpret_cast<const void*>(row + static_cast<uintptr_t>(sg[0].base)));
  __m512i v = zx;
  for (int k = 0; k < n; ++k)
    v = _mm512_mask_loadu_epi8(v, sg[k].mask, reinterpret_cast<const void*>(row + static_cast<uintptr_t>(sg[k].base)));
  return v;
}

// The byte interleave of a window's 4 taps (in 128-bit lanes): 4 zmm at T, T + 64, T + 128,
// T + 192, where dword j of each holds the 4 taps' bytes of one channel.
static QINT8_ALWAYS_INLINE void storeInterleaved(__m512i v0, __m512i v1, __m512i v2, __m512i v3, uint8_t* T) {
  const __m512i lo01 = _mm512_unpacklo_epi8(v0, v1), hi01 = _mm512_unpackhi_epi8(v0, v1);
  const __m512i lo23 = _mm512_unpacklo_epi8(v2, v3), hi23 = _mm512_unpackhi_epi8(v2, v3);
  _mm512_store_si512(T, _mm512_unpacklo_epi16(lo01, lo23));
  _mm512_store_si512(T + 64, _mm512_unpackhi_epi16(lo01, lo23));
  _mm512_store_si512(T + 128, _mm512_unpacklo_epi16(hi01, hi23));
  _mm512_store_si512(T + 192, _mm512_unpackhi_epi16(hi01, hi23));
}

// T of input row iy for the current window: per tap group j, 4 zmm (64 bytes x 4 taps).
static QINT8_ALWAYS_INLINE void transform(const DwConvArgs& a, int J, int maxSeg, const Seg* segs, const int* counts,
                                          int iy, __m512i zx, uint8_t* T) {
  const uintptr_t row = reinterpret_cast<uintptr_t>(a.x) + static_cast<uintptr_t>(iy) * a.w * a.c;
  for (int j = 0; j < J; ++j, T += 256) {
    // Taps beyond the kernel width have zero weights: any bytes do.
    const int k0 = 4 * j;
    const __m512i v0 = loadTap(row, segs + static_cast<size_t>(k0) * maxSeg, counts[k0], zx);
    const __m512i v1 = k0 + 1 < a.kw ? loadTap(row, segs + static_cast<size_t>(k0 + 1) * maxSeg, counts[k0 + 1], zx) : zx;
    const __m512i v2 = k0 + 2 < a.kw ? loadTap(row, segs + static_cast<size_t>(k0 + 2) * maxSeg, counts[k0 + 2], zx) : zx;
    const __m512i v3 = k0 + 3 < a.kw ? loadTap(row, segs + static_cast<size_t>(k0 + 3) * maxSeg, counts[k0 + 3], zx) : zx;
    storeInterleaved(v0, v1, v2, v3, T);
  }
}

// The common case: every tap of the window is one contiguous, unmasked 64-byte load (stride 1
// away from the left/right image borders).
static QINT8_ALWAYS_INLINE void transformSimple(uintptr_t row, int kw, const int64_t* base, __m512i zx, uint8_t* T) {
  const __m512i v0 = _mm512_loadu_si512(reinterpret_cast<const void*>(row + static_cast<uintptr_t>(base[0])));
  const __m512i v1 = kw > 1 ? _mm512_loadu_si512(reinterpret_cast<const void*>(row + static_cast<uintptr_t>(base[1]))) : zx;
  const __m512i v2 = kw > 2 ? _mm512_loadu_si512(reinterpret_cast<const void*>(row + static_cast<uintptr_t>(base[2]))) : zx;
  const __m512i v3 = kw > 3 ? _mm512_loadu_si512(reinterpret_cast<const void*>(row + static_cast<uintptr_t>(base[3]))) : zx;
  storeInterleaved(v0, v1, v2, v3, T);
}

// vpermt2b (AVX512_VBMI; inline asm, so this file needs no VBMI compile flag and the caller
// decides at run time): byte i of the result is byte idx[i] & 127 of the 128 bytes lo:hi.
static QINT8_ALWAYS_INLINE __m512i permt2b(__m512i lo, __m512i idx, __m512i hi) {
  __asm__("vpermt2b %2, %1, %0" : "+v"(lo) : "v"(idx), "v"(hi));
  return lo;
}

// transformSimple with byte permutes: every tap of the window lies in the 128 bytes at base[0]
// (offsets 0 <= base[t] - base[0] <= 64), so T is 4 vpermt2b of two loads instead of 8
// unpacks of kw loads. The second load is masked to the bytes the taps use (the row may end
// there).
static QINT8_ALWAYS_INLINE void transformPerm(uintptr_t row, int64_t base0, __mmask64 hiMask, __m512i i0, __m512i i1,
                                              __m512i i2, __m512i i3, uint8_t* T) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(row + static_cast<uintptr_t>(base0));
  const __m512i lo = _mm512_loadu_si512(p);
  const __m512i hi = _mm512_maskz_loadu_epi8(hiMask, p + 64);
  _mm512_store_si512(T, permt2b(lo, i0, hi));
  _mm512_store_si512(T + 64, permt2b(lo, i1, hi));
  _mm512_store_si512(T + 128, permt2b(lo, i2, hi));
  _mm512_store_si512(T + 192, permt2b(lo, i3, hi));
}

// 128-bit lane transpose: out_L = [a0.L, a1.L, a2.L, a3.L] (window bytes 16L..16L+15 in order).
static inline void lanesToOrder(__m512i& a0, __m512i& a1, __m512i& a2, __m512i& a3) {
  const __m512i t0 = _mm512_shuffle_i32x4(a0, a1, 0x44), t1 = _mm512_shuffle_i32x4(a2, a3, 0x44);
  const __m512i t2 = _mm512_shuffle_i32x4(a0, a1, 0xEE), t3 = _mm512_shuffle_i32x4(a2, a3, 0xEE);
  a0 = _mm512_shuffle_i32x4(t0, t1, 0x88);
  a1 = _mm512_shuffle_i32x4(t0, t1, 0xDD);
  a2 = _mm512_shuffle_i32x4(t2, t3, 0x88);
  a3 = _mm512_shuffle_i32x4(t2, t3, 0xDD);
}

#define DW_RN (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

// REQ: u8/s8 output (else f32/s32). KH/JJ: kernel rows and tap groups, 0 = from the arguments.
// HOIST (KH = 3, JJ = 1, one phase): the 12 weight vectors and the scales stay in registers.
// NOMIN (REQ only): no float product can reach 2^30 in magnitude or be a NaN (checked per call,
// dwNoOverflow()), so the upper clamp moves after the rounding, onto the bytes (see the stage).
template <bool REQ, int KH, int JJ, bool HOIST, int KW = 0, bool NOMIN = false>
static void runImpl(const DwConvArgs& a) {
  const Geo g = geo(a);
  const int kh = KH ? KH : a.kh;
  const int J = JJ ? JJ : g.J;
  const int kw = a.kw, SW = g.SW;
  const GemmEpilogue& ep = a.ep;
  const size_t slot = static_cast<size_t>(J) * 256;        // one window of one transformed row
  const size_t ringSlot = static_cast<size_t>(SW) * slot;  // a row of the strip
  uint8_t* ring = static_cast<uint8_t*>(a.scratch);        // kh slots, then the zero-point slot
  uint8_t* arrays = ring + static_cast<size_t>(kh + 1) * ringSlot;  // per phase: bias32[64], scale[64], biasF[64]
  Seg* segs = reinterpret_cast<Seg*>(arrays + static_cast<size_t>(g.PA) * 768);
  WinInfo* info = reinterpret_cast<WinInfo*>(segs + static_cast<size_t>(SW) * kw * g.maxSeg);
  int* counts = reinterpret_cast<int*>(info + SW);

  for (int pa = 0; pa < g.PA; ++pa) {
    int32_t* bias = reinterpret_cast<int32_t*>(arrays + static_cast<size_t>(pa) * 768);
    float* scale = reinterpret_cast<float*>(bias + 64);
    float* biasF = scale + 64;
    for (int q = 0; q < 4; ++q)
      for (int di = 0; di < 16; ++di) {
        const int ch = (pa * 64 + byteOf(q, di)) % a.c;
        bias[16 * q + di] = ep.bias32 ? ep.bias32[ch] : 0;
        scale[16 * q + di] = ep.scale ? ep.scale[ch] : 0.0f;
        biasF[16 * q + di] = ep.biasF ? ep.biasF[ch] : 0.0f;
      }
  }
  const __m512i zx = _mm512_set1_epi8(static_cast<char>(a.zx));
  for (size_t i = 0; i < ringSlot; i += 64) _mm512_store_si512(ring + static_cast<size_t>(kh) * ringSlot + i, zx);

  // The ring's schedule, the same for every strip: before output row r of the band, transform
  // input rows newIy[e] into slots newSlot[e] (e in [newBegin[r], newBegin[r + 1])); row r then
  // reads kernel row ky from slot rowSlot[r * kh + ky] (kh = the zero-point slot).
  const int bandRows = a.oyEnd - a.oyBegin;
  int* newBegin = counts + static_cast<size_t>(SW) * kw;
  int* newIy = newBegin + bandRows + 1;
  int* newSlot = newIy + static_cast<size_t>(bandRows) * kh;
  int* rowSlot = newSlot + static_cast<size_t>(bandRows) * kh;
  {
    int ringRow[64];
    for (int i = 0; i < kh && i < 64; ++i) ringRow[i] = -1;
    int n = 0;
    for (int r = 0; r < bandRows; ++r) {
      newBegin[r] = n;
      const int oy = a.oyBegin + r;
      for (int ky = 0; ky < kh; ++ky) {
        const int iy = oy * a.sh - a.padT + ky * a.dh;
        if (iy < 0 || iy >= a.h) {
          rowSlot[r * kh + ky] = kh;
          continue;
        }
        const int sl = (iy / a.dh) % kh;  // distinct for the kh rows of one output row
        if (ringRow[sl] != iy) {
          ringRow[sl] = iy;
          newIy[n] = iy;
          newSlot[n++] = sl;
        }
        rowSlot[r * kh + ky] = sl;
      }
    }
    newBegin[bandRows] = n;
  }

  const size_t ob = REQ ? 1 : 4;
  const size_t rowStride = static_cast<size_t>(g.rowOut) * ob;
  const int8_t* wAll = static_cast<const int8_t*>(a.weights);
  const size_t wPhase = static_cast<size_t>(kh) * J * 256;
  const __m512 fhi = _mm512_set1_ps(static_cast<float>(ep.hi - ep.zeroPoint));
  const __m512i zp16 = _mm512_set1_epi16(static_cast<int16_t>(ep.zeroPoint));
  const __m512i lo8 = _mm512_set1_epi8(static_cast<char>(ep.lo));
  const __m512i hi8 = _mm512_set1_epi8(static_cast<char>(ep.hi));
  const bool s8 = ep.kind == GemmOut::kS8;
  const uintptr_t x0 = reinterpret_cast<uintptr_t>(a.x);
  const uintptr_t inRow = static_cast<uintptr_t>(a.w) * a.c;

  // With one phase, every window has the same weights and scales.
  __m512i w00, w01, w02, w03, w10, w11, w12, w13, w20, w21, w22, w23;
  __m512 hs0, hs1, hs2, hs3;
  if (HOIST) {
    w00 = _mm512_load_si512(wAll), w01 = _mm512_load_si512(wAll + 64);
    w02 = _mm512_load_si512(wAll + 128), w03 = _mm512_load_si512(wAll + 192);
    w10 = _mm512_load_si512(wAll + 256), w11 = _mm512_load_si512(wAll + 320);
    w12 = _mm512_load_si512(wAll + 384), w13 = _mm512_load_si512(wAll + 448);
    w20 = _mm512_load_si512(wAll + 512), w21 = _mm512_load_si512(wAll + 576);
    w22 = _mm512_load_si512(wAll + 640), w23 = _mm512_load_si512(wAll + 704);
    const float* sc = reinterpret_cast<const float*>(arrays + 256);
    hs0 = _mm512_load_ps(sc), hs1 = _mm512_load_ps(sc + 16), hs2 = _mm512_load_ps(sc + 32), hs3 = _mm512_load_ps(sc + 48);
  }

  // Byte-permute transform (AVX512_VBMI, one tap group): set from the first simple window whose
  // taps all lie within 128 bytes of its first tap; windows with the same tap offsets use it.
  alignas(64) uint8_t pidx[256] = {};
  int64_t pd[4] = {0, 0, 0, 0};
  bool permSet = false;
  __mmask64 hiMask = 0;

  // Strips of SW windows, each walked down the band's rows: the strip's transformed rows stay in
  // L1 while the kh output rows that read each of them are computed.
  for (int w0 = 0; w0 < g.NW; w0 += SW) {
    const int nw = SW < g.NW - w0 ? SW : g.NW - w0;
    for (int w = 0; w < nw; ++w) {
      Seg* sg = segs + static_cast<size_t>(w) * kw * g.maxSeg;
      int* cn = counts + static_cast<size_t>(w) * kw;
      recipes(a, g, w0 + w, sg, cn);
      WinInfo& wi = info[w];
      wi.phase = (w0 + w) % g.P;
      wi.simple = J == 1;
      for (int t = 0; t < 4; ++t) wi.base[t] = 0;
      for (int kx = 0; kx < kw && wi.simple; ++kx) {
        wi.simple = cn[kx] == 1 && sg[static_cast<size_t>(kx) * g.maxSeg].mask == ~0ull;
        wi.base[kx] = sg[static_cast<size_t>(kx) * g.maxSeg].base;
      }
      wi.perm = 0;
      if (wi.simple && a.vbmi) {
        bool fits = true;
        for (int kx = 0; kx < kw; ++kx) fits = fits && wi.base[kx] - wi.base[0] >= 0 && wi.base[kx] - wi.base[0] <= 64;
        if (fits && !permSet) {
          permSet = true;
          int64_t top = 0;
          for (int kx = 0; kx < kw; ++kx) {
            pd[kx] = wi.base[kx] - wi.base[0];
            top = pd[kx] > top ? pd[kx] : top;
          }
          hiMask = byteMask(static_cast<int>(top));
          // T byte 4 * di + t of vector q: tap t of window byte byteOf(q, di) (taps beyond the
          // kernel width have zero weights: tap 0's byte).
          for (int q = 0; q < 4; ++q)
            for (int di = 0; di < 16; ++di)
              for (int t = 0; t < 4; ++t) pidx[64 * q + 4 * di + t] = static_cast<uint8_t>(byteOf(q, di) + (t < kw ? pd[t] : 0));
        }
        if (fits) {
          wi.perm = 1;
          for (int kx = 0; kx < kw; ++kx) wi.perm = wi.perm && wi.base[kx] - wi.base[0] == pd[kx];
        }
      }
    }
    for (int r = 0; r < bandRows; ++r) {
      // The input rows this output row needs first, transformed for every window of the strip.
      for (int e = newBegin[r]; e < newBegin[r + 1]; ++e) {
        uint8_t* T = ring + static_cast<size_t>(newSlot[e]) * ringSlot;
        const uintptr_t row = x0 + static_cast<uintptr_t>(newIy[e]) * inRow;
        const __m512i pi0 = _mm512_load_si512(pidx), pi1 = _mm512_load_si512(pidx + 64);
        const __m512i pi2 = _mm512_load_si512(pidx + 128), pi3 = _mm512_load_si512(pidx + 192);
        for (int w = 0; w < nw; ++w, T += slot) {
          const WinInfo& wi = info[w];
          if (wi.perm) transformPerm(row, wi.base[0], hiMask, pi0, pi1, pi2, pi3, T);
          else if (wi.simple) transformSimple(row, KW ? KW : kw, wi.base, zx, T);
          else transform(a, J, g.maxSeg, segs + static_cast<size_t>(w) * kw * g.maxSeg, counts + static_cast<size_t>(w) * kw, newIy[e], zx, T);
        }
      }
      uint8_t* out = a.y + static_cast<size_t>(a.oyBegin + r) * rowStride + static_cast<size_t>(w0) * 64 * ob;
      const int* rs = rowSlot + static_cast<size_t>(r) * kh;
      int phase = w0 % g.P;
      int valid = g.rowOut - w0 * 64;
      for (int w = 0; w < nw; ++w, out += 64 * ob, valid -= 64) {
        const uint8_t* arr = arrays + static_cast<size_t>(phase) * 768;  // phase < PA: PA = min(P, NW)
        const size_t wo = static_cast<size_t>(w) * slot;
        __m512i acc0 = _mm512_load_si512(arr), acc1 = _mm512_load_si512(arr + 64);
        __m512i acc2 = _mm512_load_si512(arr + 128), acc3 = _mm512_load_si512(arr + 192);
        if (HOIST) {
          const uint8_t* t0 = ring + static_cast<size_t>(rs[0]) * ringSlot + wo;
          const uint8_t* t1 = ring + static_cast<size_t>(rs[1]) * ringSlot + wo;
          const uint8_t* t2 = ring + static_cast<size_t>(rs[2]) * ringSlot + wo;
          dpbusd(acc0, _mm512_load_si512(t0), w00);
          dpbusd(acc1, _mm512_load_si512(t0 + 64), w01);
          dpbusd(acc2, _mm512_load_si512(t0 + 128), w02);
          dpbusd(acc3, _mm512_load_si512(t0 + 192), w03);
          dpbusd(acc0, _mm512_load_si512(t1), w10);
          dpbusd(acc1, _mm512_load_si512(t1 + 64), w11);
          dpbusd(acc2, _mm512_load_si512(t1 + 128), w12);
          dpbusd(acc3, _mm512_load_si512(t1 + 192), w13);
          dpbusd(acc0, _mm512_load_si512(t2), w20);
          dpbusd(acc1, _mm512_load_si512(t2 + 64), w21);
          dpbusd(acc2, _mm512_load_si512(t2 + 128), w22);
          dpbusd(acc3, _mm512_load_si512(t2 + 192), w23);
        } else {
          const int8_t* wp = wAll + static_cast<size_t>(phase) * wPhase;
          for (int ky = 0; ky < kh; ++ky) {
            const uint8_t* tp = ring + static_cast<size_t>(rs[ky]) * ringSlot + wo;
            for (int j = 0; j < J; ++j, tp += 256, wp += 256) {
              dpbusd(acc0, _mm512_load_si512(tp), _mm512_load_si512(wp));
              dpbusd(acc1, _mm512_load_si512(tp + 64), _mm512_load_si512(wp + 64));
              dpbusd(acc2, _mm512_load_si512(tp + 128), _mm512_load_si512(wp + 128));
              dpbusd(acc3, _mm512_load_si512(tp + 192), _mm512_load_si512(wp + 192));
            }
          }
        }
        if (++phase == g.P) phase = 0;
        const float* sc = reinterpret_cast<const float*>(arr + 256);
        const __m512 sc0 = HOIST ? hs0 : _mm512_load_ps(sc), sc1 = HOIST ? hs1 : _mm512_load_ps(sc + 16);
        const __m512 sc2 = HOIST ? hs2 : _mm512_load_ps(sc + 32), sc3 = HOIST ? hs3 : _mm512_load_ps(sc + 48);
        if (REQ && NOMIN) {
          // No product reaches 2^30 or is a NaN: round first, then clamp to [lo, hi] on the bytes
          // (rounding is monotone and keeps the integers lo - zp, hi - zp, so this equals the
          // clamp-then-round contract; the saturations on the way are monotone too).
          const __m512i q0 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc0, DW_RN), sc0), DW_RN);
          const __m512i q1 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc1, DW_RN), sc1), DW_RN);
          const __m512i q2 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc2, DW_RN), sc2), DW_RN);
          const __m512i q3 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc3, DW_RN), sc3), DW_RN);
          const __m512i p01 = _mm512_adds_epi16(_mm512_packs_epi32(q0, q1), zp16);
          const __m512i p23 = _mm512_adds_epi16(_mm512_packs_epi32(q2, q3), zp16);
          const __m512i bytes = s8 ? _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(p01, p23), lo8), hi8)
                                   : _mm512_min_epu8(_mm512_max_epu8(_mm512_packus_epi16(p01, p23), lo8), hi8);
          if (valid >= 64) _mm512_storeu_si512(out, bytes);
          else _mm512_mask_storeu_epi8(out, byteMask(valid), bytes);
        } else if (REQ) {
          // As the igemm kernel's permuted stage: min(hi - zp, v) (a NaN gives INT_MIN, i.e. lo),
          // round, then saturating packs, + zp, and lo; equal to the clamp-then-round contract.
          const __m512i q0 = _mm512_cvt_roundps_epi32(_mm512_min_ps(fhi, _mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc0, DW_RN), sc0)), DW_RN);
          const __m512i q1 = _mm512_cvt_roundps_epi32(_mm512_min_ps(fhi, _mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc1, DW_RN), sc1)), DW_RN);
          const __m512i q2 = _mm512_cvt_roundps_epi32(_mm512_min_ps(fhi, _mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc2, DW_RN), sc2)), DW_RN);
          const __m512i q3 = _mm512_cvt_roundps_epi32(_mm512_min_ps(fhi, _mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc3, DW_RN), sc3)), DW_RN);
          const __m512i p01 = _mm512_adds_epi16(_mm512_packs_epi32(q0, q1), zp16);
          const __m512i p23 = _mm512_adds_epi16(_mm512_packs_epi32(q2, q3), zp16);
          const __m512i bytes = s8 ? _mm512_max_epi8(_mm512_packs_epi16(p01, p23), lo8)
                                   : _mm512_max_epu8(_mm512_packus_epi16(p01, p23), lo8);
          if (valid >= 64) _mm512_storeu_si512(out, bytes);
          else _mm512_mask_storeu_epi8(out, byteMask(valid), bytes);
        } else {
          if (ep.kind == GemmOut::kF32) {
            const float* bf = sc + 64;
            acc0 = _mm512_castps_si512(_mm512_add_ps(_mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc0, DW_RN), sc0), _mm512_load_ps(bf)));
            acc1 = _mm512_castps_si512(_mm512_add_ps(_mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc1, DW_RN), sc1), _mm512_load_ps(bf + 16)));
            acc2 = _mm512_castps_si512(_mm512_add_ps(_mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc2, DW_RN), sc2), _mm512_load_ps(bf + 32)));
            acc3 = _mm512_castps_si512(_mm512_add_ps(_mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc3, DW_RN), sc3), _mm512_load_ps(bf + 48)));
          }
          lanesToOrder(acc0, acc1, acc2, acc3);
          int32_t* o = reinterpret_cast<int32_t*>(out);
          _mm512_mask_storeu_epi32(o, dwordMask(valid), acc0);
          _mm512_mask_storeu_epi32(o + 16, dwordMask(valid - 16), acc1);
          _mm512_mask_storeu_epi32(o + 32, dwordMask(valid - 32), acc2);
          _mm512_mask_storeu_epi32(o + 48, dwordMask(valid - 48), acc3);
        }
      }
    }
  }
}
#undef DW_RN

void run(const DwConvArgs& a) {
  const bool req = a.ep.kind == GemmOut::kU8 || a.ep.kind == GemmOut::kS8;
  const int J = groups4(a.kw);
  const bool one = phases(a.c) == 1;
#define DW_DISPATCH(R, N)                                                     \
  if (a.kh == 3 && a.kw == 3 && one) runImpl<R, 3, 1, true, 3, N>(a);         \
  else if (a.kh == 3 && a.kw == 3) runImpl<R, 3, 1, false, 3, N>(a);          \
  else if (a.kh == 3 && J == 1 && one) runImpl<R, 3, 1, true, 0, N>(a);       \
  else if (a.kh == 3 && J == 1) runImpl<R, 3, 1, false, 0, N>(a);             \
  else runImpl<R, 0, 0, false, 0, N>(a);
  if (!req) {
    DW_DISPATCH(false, false)
  } else if (dwNoOverflow(a)) {
    DW_DISPATCH(true, true)
  } else {
    DW_DISPATCH(true, false)
  }
#undef DW_DISPATCH
}

static inline bool vert3(int kh, int kw) { return kh == 3 && kw == 3; }
static inline bool useVert(const DwConvArgs& a) { return dwVertFits(a); }

size_t packedBytesAny(int kh, int kw, int c) {
  if (blocked(kw)) return dwKernelsAvx512Blocked()->packedBytes(kh, kw, c);
  return packedBytes(kh, kw, c) + (vert3(kh, kw) ? dwVertPackedBytes(c) : 0);
}
void packAny(const int8_t* w, int kh, int kw, int c, void* dst) {
  if (blocked(kw)) return dwKernelsAvx512Blocked()->pack(w, kh, kw, c, dst);
  pack(w, kh, kw, c, dst);
  if (vert3(kh, kw)) dwVertPack(w, c, static_cast<uint8_t*>(dst) + packedBytes(kh, kw, c));
}
size_t scratchBytesAny(const DwConvArgs& a) {
  if (blocked(a.kw)) return dwKernelsAvx512Blocked()->scratchBytes(a);
  return useVert(a) ? dwVertScratchBytes(a) : scratchBytes(a);
}
void runAny(const DwConvArgs& a) {
  if (blocked(a.kw)) return dwKernelsAvx512Blocked()->run(a);
  if (useVert(a)) {
    DwConvArgs v = a;
    v.weights = static_cast<const uint8_t*>(a.weights) + packedBytes(a.kh, a.kw, a.c);
    return dwVertRun(v);
  }
  run(a);
}

const DwKernelTable kTable = {Isa::kAvx512Vnni, packedBytesAny, packAny, scratchBytesAny, runAny};

}  // namespace

const DwKernelTable* dwKernelsAvx512() { return &kTable; }

}  // namespace qint8
