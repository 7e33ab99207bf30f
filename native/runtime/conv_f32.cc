// qint8 — float32 convolution driver: configuration checks, geometry, algorithm choice, runs.
//
//  - "gemm": 1x1, stride 1, no padding: SGEMM on the NHWC activations in place (a group reads its
//    channel slice with lda = cin).
//  - "indirect": the general case. Output pixels go in blocks; for each block a table of row
//    pointers (one per output pixel and kernel tap, pointing at the input pixel's channel slice,
//    or at a zero run for taps in the padding) feeds the SGEMM kernels directly: no im2col copy.
//  - "im2col": the same with the rows gathered into a cache-sized block first, for convs with few
//    input channels per group (the first layer's 3 channels would make the per-tap runs too short
//    for the indirect kernels).
//  - "direct": few input channels, one group, AVX-512: each output pixel's taps are read in place
//    and broadcast against 16-channel weight vectors (convdirect_f32_kernels.h); no gather copy,
//    no short-K GEMM. Same numerics (one FMA chain over the taps in (ky, kx, ci) order).
//  - "depthwise": groups == cin == cout: dedicated kernels (dwconv_f32_kernels.h).
//  - "transpose": ConvTranspose as SGEMM from input pixels to (tap, output channel) columns, then
//    gathered into output pixels (col2im) in bands of output rows, then bias and activation.
#include "qint8/conv_f32.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "qint8/cpu.h"
#include "qint8/sgemm.h"
#include "qint8/threadpool.h"
#include "aligned.h"
#include "dispatch.h"
#include "convdirect_f32_kernels.h"
#include "dwconv_f32_kernels.h"

namespace qint8 {

const DwF32KernelTable& dwF32Kernels(Isa isa) {
  static const IsaTables<DwF32KernelTable> tables = {
      dwF32KernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      dwF32KernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      dwF32KernelsAvx512(),
#else
      nullptr,
#endif
      nullptr, nullptr, nullptr,  // neon, neondot, i8mm
  };
  return selectTable(isa, tables, "float depthwise conv");
}

namespace {

[[noreturn]] void bad(const std::string& m) { throw std::invalid_argument(m); }

// Input channels per group below which the rows are gathered (im2col) rather than read through
// the pointer table. The indirect kernels reload their row pointers per tap, which costs more
// than a copy when a tap is only a few floats long (the gather copies a kernel row's kw * cin
// contiguous floats at once). Measured (1 thread, AVX-512, same-run): 224x224x3 -> 32 3x3 s2:
// im2col 40 GFLOPS, indirect 28; 7x7 s2 -> 64: 99 vs 71; 16 channels: a tie; 24 and more: the
// indirect path is 10-20% faster.
#ifndef QINT8_CONVF32_IM2COL_BELOW
#define QINT8_CONVF32_IM2COL_BELOW 8
#endif
constexpr int kIm2colBelow = QINT8_CONVF32_IM2COL_BELOW;
// Convs that would take the im2col path run on the direct kernels where the ISA has them
// (0 disables, for comparisons). Measured: see docs/ARCHITECTURE.md, "Float engine".
#ifndef QINT8_CONVF32_DIRECT
#define QINT8_CONVF32_DIRECT 1
#endif
// Bytes of A (rows x chunk depth) per block of output pixels.
#ifndef QINT8_CONVF32_ABLOCK
#define QINT8_CONVF32_ABLOCK (192 * 1024)
#endif
constexpr size_t kABlockBytes = QINT8_CONVF32_ABLOCK;

// The window fields the depthwise and direct kernels' argument structs share.
template <typename Args>
void setWindow(Args& a, const ConvF32Config& c, const ConvF32Geometry& g, int h, int w) {
  a.h = h;
  a.w = w;
  a.kh = c.kh;
  a.kw = c.kw;
  a.sh = c.strideH;
  a.sw = c.strideW;
  a.dh = c.dilationH;
  a.dw = c.dilationW;
  a.padT = g.padTop;
  a.padL = g.padLeft;
  a.oh = g.oh;
  a.ow = g.ow;
}

// Output rows per task for kernels that run bands of rows per image: about 4 tasks per thread.
int bandRows(int oh, int n, int threads) {
  return std::max(1, std::min(oh, static_cast<int>((static_cast<int64_t>(oh) * n + 4 * threads - 1) / (4 * threads))));
}

thread_local Scratch tRows;
thread_local Scratch tCols;
thread_local Scratch tZero;

enum class Algo { kGemm, kIndirect, kIm2col, kDirect, kDepthwise, kTranspose };

}  // namespace

void validateConvF32Config(const ConvF32Config& c) {
  auto pos = [](int v, const char* name) {
    if (v <= 0) bad(std::string(name) + " must be >= 1, got " + std::to_string(v));
  };
  pos(c.cin, "input channels");
  pos(c.cout, "output channels");
  pos(c.kh, "kernel height");
  pos(c.kw, "kernel width");
  pos(c.groups, "group");
  pos(c.strideH, "stride");
  pos(c.strideW, "stride");
  pos(c.dilationH, "dilation");
  pos(c.dilationW, "dilation");
  if (c.cin % c.groups || c.cout % c.groups)
    bad("input channels (" + std::to_string(c.cin) + ") and output channels (" + std::to_string(c.cout) +
        ") must be divisible by group (" + std::to_string(c.groups) + ")");
  if (c.padTop < 0 || c.padLeft < 0 || c.padBottom < 0 || c.padRight < 0) bad("pads must be >= 0");
  if (c.outputPaddingH < 0 || c.outputPaddingW < 0) bad("output_padding must be >= 0");
  if (c.outputShapeH < 0 || c.outputShapeW < 0) bad("output_shape must be >= 0");
  if (!c.transposed && (c.outputPaddingH || c.outputPaddingW || c.outputShapeH || c.outputShapeW))
    bad("output_padding / output_shape apply to ConvTranspose only");
  if (c.transposed && (c.outputPaddingH >= std::max(c.strideH, c.dilationH) || c.outputPaddingW >= std::max(c.strideW, c.dilationW)))
    bad("output_padding must be smaller than the stride or the dilation");
  if (!c.weight) bad("weight is required");
  const int64_t ksize = static_cast<int64_t>(c.kh) * c.kw * (c.transposed ? c.cout / c.groups : c.cin / c.groups);
  if (ksize > (1 << 24)) bad("kernel too large");
}

ConvF32Geometry convF32Geometry(const ConvF32Config& c, int n, int h, int w) {
  if (n <= 0 || h <= 0 || w <= 0) bad("input dimensions must be >= 1");
  ConvF32Geometry g;
  g.n = n;
  g.h = h;
  g.w = w;
  const int64_t ekh = static_cast<int64_t>(c.kh - 1) * c.dilationH + 1, ekw = static_cast<int64_t>(c.kw - 1) * c.dilationW + 1;
  int64_t pt = c.padTop, pl = c.padLeft, pb = c.padBottom, pr = c.padRight;
  int64_t oh, ow;
  if (!c.transposed) {
    if (c.autoPad == AutoPad::kValid) pt = pl = pb = pr = 0;
    if (c.autoPad == AutoPad::kSameUpper || c.autoPad == AutoPad::kSameLower) {
      const int64_t ohs = (h + c.strideH - 1) / c.strideH, ows = (w + c.strideW - 1) / c.strideW;
      const int64_t th = std::max<int64_t>(0, (ohs - 1) * c.strideH + ekh - h), tw = std::max<int64_t>(0, (ows - 1) * c.strideW + ekw - w);
      const bool upper = c.autoPad == AutoPad::kSameUpper;
      pt = upper ? th / 2 : th - th / 2;
      pb = th - pt;
      pl = upper ? tw / 2 : tw - tw / 2;
      pr = tw - pl;
    }
    if (h + pt + pb < ekh || w + pl + pr < ekw)
      bad("the kernel (" + std::to_string(ekh) + "x" + std::to_string(ekw) + " with dilation) does not fit the padded " +
          std::to_string(h) + "x" + std::to_string(w) + " input");
    oh = (h + pt + pb - ekh) / c.strideH + 1;
    ow = (w + pl + pr - ekw) / c.strideW + 1;
  } else {
    // ONNX ConvTranspose (onnxruntime 1.30 agrees, checked): natural size = stride * (in - 1) +
    // output_padding + ekernel; a total pad is split with the odd one at the end for SAME_UPPER
    // and at the start otherwise.
    const int64_t natH = static_cast<int64_t>(c.strideH) * (h - 1) + c.outputPaddingH + ekh;
    const int64_t natW = static_cast<int64_t>(c.strideW) * (w - 1) + c.outputPaddingW + ekw;
    const bool upper = c.autoPad == AutoPad::kSameUpper;
    auto split = [&](int64_t total, int64_t* head, int64_t* tail) {
      *head = upper ? total / 2 : total - total / 2;
      *tail = total - *head;
    };
    if (c.outputShapeH > 0 || c.outputShapeW > 0) {
      if (c.outputShapeH <= 0 || c.outputShapeW <= 0) bad("output_shape needs both spatial sizes");
      // Beyond stride - 1 extra rows/columns no input pixel could have produced the output
      // (onnxruntime rejects it too).
      if (c.outputShapeH > natH + c.strideH - 1 || c.outputShapeW > natW + c.strideW - 1)
        bad("output_shape (" + std::to_string(c.outputShapeH) + ", " + std::to_string(c.outputShapeW) +
            ") is larger than the input allows (" + std::to_string(natH + c.strideH - 1) + ", " + std::to_string(natW + c.strideW - 1) + ")");
      split(std::max<int64_t>(0, natH - c.outputShapeH), &pt, &pb);
      split(std::max<int64_t>(0, natW - c.outputShapeW), &pl, &pr);
      oh = c.outputShapeH;
      ow = c.outputShapeW;
    } else {
      if (c.autoPad == AutoPad::kValid) pt = pl = pb = pr = 0;
      if (c.autoPad == AutoPad::kSameUpper || c.autoPad == AutoPad::kSameLower) {
        split(std::max<int64_t>(0, natH - static_cast<int64_t>(h) * c.strideH), &pt, &pb);
        split(std::max<int64_t>(0, natW - static_cast<int64_t>(w) * c.strideW), &pl, &pr);
      }
      oh = natH - pt - pb;
      ow = natW - pl - pr;
    }
    if (oh <= 0 || ow <= 0) bad("the pads leave an empty ConvTranspose output");
  }
  if (oh > (1 << 30) || ow > (1 << 30) || oh * ow * n > (INT64_C(1) << 40)) bad("output too large");
  g.oh = static_cast<int>(oh);
  g.ow = static_cast<int>(ow);
  g.padTop = static_cast<int>(pt);
  g.padLeft = static_cast<int>(pl);
  g.padBottom = static_cast<int>(pb);
  g.padRight = static_cast<int>(pr);
  return g;
}

struct ConvF32::Impl {
  Algo algo = Algo::kIndirect;
  int kp = 1, cinG = 0, coutG = 0;
  std::vector<std::unique_ptr<SgemmPackedB>> packed;  // per group
  const DwF32KernelTable* dw = nullptr;
  const ConvDirectF32KernelTable* direct = nullptr;
  std::unique_ptr<float, void (*)(void*)> directW{nullptr, alignedFree};
  std::unique_ptr<float, void (*)(void*)> dwW{nullptr, alignedFree};
  std::unique_ptr<float, void (*)(void*)> zeros{nullptr, alignedFree};  // cinG zeros (padding taps)
  std::vector<float> bias;
};

ConvF32::~ConvF32() = default;

const char* ConvF32::algorithm() const {
  switch (impl_->algo) {
    case Algo::kGemm: return "gemm";
    case Algo::kIndirect: return "indirect";
    case Algo::kIm2col: return "im2col";
    case Algo::kDirect: return "direct";
    case Algo::kDepthwise: return "depthwise";
    case Algo::kTranspose: return "transpose";
  }
  return "?";
}

std::unique_ptr<ConvF32> ConvF32::create(const ConvF32Config& c) {
  validateConvF32Config(c);
  std::unique_ptr<ConvF32> conv(new ConvF32());
  conv->cfg_ = c;
  conv->cfg_.weight = nullptr;
  conv->cfg_.bias = nullptr;
  conv->impl_.reset(new Impl());
  Impl& im = *conv->impl_;
  im.kp = c.kh * c.kw;
  im.cinG = c.cin / c.groups;
  im.coutG = c.cout / c.groups;
  const int kp = im.kp, cinG = im.cinG, coutG = im.coutG;
  if (c.bias) im.bias.assign(c.bias, c.bias + c.cout);

  if (c.transposed) {
    im.algo = Algo::kTranspose;
    // Group g: B[ci][t * coutG + cg] = W[g*cinG + ci][cg][ky][kx] (ONNX [cin][cout/g][kh][kw]).
    const int n = kp * coutG;
    std::vector<float> b(static_cast<size_t>(cinG) * n);
    for (int grp = 0; grp < c.groups; ++grp) {
      for (int ci = 0; ci < cinG; ++ci)
        for (int cg = 0; cg < coutG; ++cg)
          for (int t = 0; t < kp; ++t)
            b[static_cast<size_t>(ci) * n + static_cast<size_t>(t) * coutG + cg] =
                c.weight[((static_cast<size_t>(grp) * cinG + ci) * coutG + cg) * kp + t];
      im.packed.push_back(SgemmPackedB::pack(c.isa, b.data(), n, 1, cinG, n));
    }
    return conv;
  }
  const bool depthwise = c.groups == c.cin && c.cout == c.cin && c.groups > 1;
  if (depthwise) {
    im.algo = Algo::kDepthwise;
    im.dw = &dwF32Kernels(c.isa);
    if (c.kh > im.dw->maxKh) im.dw = dwF32KernelsRef();
    im.dwW.reset(static_cast<float*>(alignedAlloc(sizeof(float) * im.dw->packedFloats(c.kh, c.kw, c.cout))));
    im.dw->pack(c.weight, c.kh, c.kw, c.cout, im.dwW.get());
    return conv;
  }
  const bool oneByOne = c.kh == 1 && c.kw == 1 && c.strideH == 1 && c.strideW == 1 &&
                        (c.autoPad != AutoPad::kNotSet || (c.padTop == 0 && c.padLeft == 0 && c.padBottom == 0 && c.padRight == 0));
  im.algo = oneByOne ? Algo::kGemm : cinG < kIm2colBelow ? Algo::kIm2col : Algo::kIndirect;
#if defined(QINT8_HAVE_AVX512VNNI)
  if (QINT8_CONVF32_DIRECT && im.algo == Algo::kIm2col && c.groups == 1 && c.isa == Isa::kAvx512Vnni &&
      static_cast<int64_t>(kp) * cinG <= kConvDirectMaxTaps) {
    // Weights [ceil(cout / 16)][taps][16], taps in (ky, kx, ci) order, zeros past cout.
    im.algo = Algo::kDirect;
    im.direct = convDirectF32KernelsAvx512();
    const int taps = kp * cinG, blocks = (c.cout + 15) / 16;
    const size_t floats = static_cast<size_t>(blocks) * taps * 16;
    im.directW.reset(static_cast<float*>(alignedAlloc(sizeof(float) * floats)));
    float* d = im.directW.get();
    std::memset(d, 0, sizeof(float) * floats);
    for (int co = 0; co < c.cout; ++co)
      for (int ci = 0; ci < cinG; ++ci)
        for (int t = 0; t < kp; ++t)
          d[(static_cast<size_t>(co / 16) * taps + static_cast<size_t>(t) * cinG + ci) * 16 + co % 16] =
              c.weight[(static_cast<size_t>(co) * cinG + ci) * kp + t];
    return conv;
  }
#endif
  // Group g: B[t * cinG + ci][cg] = W[g*coutG + cg][ci][ky][kx] (kernel tap major: the row order
  // of the pointer table and of im2col).
  const int k = kp * cinG;
  std::vector<float> b(static_cast<size_t>(k) * coutG);
  for (int grp = 0; grp < c.groups; ++grp) {
    for (int cg = 0; cg < coutG; ++cg)
      for (int ci = 0; ci < cinG; ++ci)
        for (int t = 0; t < kp; ++t)
          b[(static_cast<size_t>(t) * cinG + ci) * coutG + cg] = c.weight[((static_cast<size_t>(grp) * coutG + cg) * cinG + ci) * kp + t];
    im.packed.push_back(SgemmPackedB::pack(c.isa, b.data(), coutG, 1, k, coutG));
  }
  im.zeros.reset(static_cast<float*>(alignedAlloc(sizeof(float) * static_cast<size_t>(cinG))));
  std::memset(im.zeros.get(), 0, sizeof(float) * static_cast<size_t>(cinG));
  return conv;
}

void ConvF32::run(const float* x, int n, int h, int w, float* y, const float* biasIn, int maxThreads, const float* sum) const {
  const ConvF32Config& c = cfg_;
  const Impl& im = *impl_;
  const ConvF32Geometry g = geometry(n, h, w);
  const float* bias = biasIn ? biasIn : (im.bias.empty() ? nullptr : im.bias.data());
  const int kp = im.kp, cinG = im.cinG, coutG = im.coutG;
  const int64_t M = static_cast<int64_t>(n) * g.oh * g.ow;
  ThreadPool& pool = ThreadPool::global();
  int threads = pool.numThreads();
  if (maxThreads > 0) threads = std::min(threads, maxThreads);
  // Epilogue of group grp for the output block starting at output pixel m0 (the sum is indexed
  // like y).
  auto groupEp = [&](int grp, int64_t m0) {
    SgemmEpilogue ep;
    ep.bias = bias ? bias + static_cast<size_t>(grp) * coutG : nullptr;
    ep.act = c.act;
    if (sum) {
      ep.sum = sum + static_cast<size_t>(m0) * c.cout + static_cast<size_t>(grp) * coutG;
      ep.ldsum = static_cast<size_t>(c.cout);
    }
    return ep;
  };

  switch (im.algo) {
    case Algo::kGemm: {
      if (M > (INT64_C(1) << 31) - 1) bad("too many output pixels");
      for (int grp = 0; grp < c.groups; ++grp)
        sgemm(im.packed[grp]->view(), x + static_cast<size_t>(grp) * cinG, c.cin, static_cast<int>(M),
              y + static_cast<size_t>(grp) * coutG, c.cout, groupEp(grp, 0), maxThreads);
      return;
    }
    case Algo::kIndirect:
    case Algo::kIm2col: {
      const bool gather = im.algo == Algo::kIm2col;
      const int64_t K = static_cast<int64_t>(kp) * cinG;
      const Isa isa = im.packed[0]->view().isa;
      const int mr = sgemmMr(isa), nr = sgemmNr(isa);
      const double macs = static_cast<double>(M) * K * c.cout;
      if (macs < (1 << 16)) threads = 1;
      // Blocks of output pixels sized so that the block's A (rows x chunk depth) stays in L2.
      const int64_t depth = sgemmChunkDepth(isa, K, coutG);
      int64_t mc = std::max<int64_t>(mr, static_cast<int64_t>(kABlockBytes / (depth * sizeof(float))) / mr * mr);
      if (threads > 1) {
        const int64_t perTask = (M * c.groups + 4 * threads - 1) / (4 * threads);
        mc = std::min(mc, std::max<int64_t>(mr, (perTask + mr - 1) / mr * mr));
      }
      mc = sgemmEvenRowBlock(M, std::min(mc, M), mr);
      const int64_t mBlocks = (M + mc - 1) / mc;
      const int panels = (coutG + nr - 1) / nr;
      int pg = panels;
      if (threads > 1 && mBlocks * c.groups < 4 * threads) {
        const int64_t want = 4 * threads;
        pg = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(panels, (panels * mBlocks * c.groups + want - 1) / want / (mBlocks * c.groups))));
      }
      const int pGroups = (panels + pg - 1) / pg;
      const int64_t tasks = mBlocks * c.groups * pGroups;
      if (tasks > (INT64_C(1) << 31) - 1) bad("too many output pixels");
      const int64_t perImage = static_cast<int64_t>(g.oh) * g.ow;
      // Task order as SGEMM's: block-major while a group's packed weights stay in L2, else
      // panel-group-major (each thread keeps its own output channels' weights).
      const bool panelMajor = im.packed[0]->bytes() > (1u << 20);
      auto runTask = [&](int t, int) {
        int pgi, grp;
        int64_t mb;
        if (panelMajor) {
          mb = t % mBlocks;
          grp = static_cast<int>((t / mBlocks) % c.groups);
          pgi = static_cast<int>(t / mBlocks / c.groups);
        } else {
          pgi = t % pGroups;
          grp = (t / pGroups) % c.groups;
          mb = t / pGroups / c.groups;
        }
        const int64_t m0 = mb * mc;
        const int rowsN = static_cast<int>(std::min(mc, M - m0));
        const float** rows;
        int segs, segLen;
        if (!gather) {
          rows = static_cast<const float**>(tRows.get(sizeof(float*) * static_cast<size_t>(rowsN) * kp));
          segs = kp;
          segLen = cinG;
        } else {
          rows = static_cast<const float**>(tRows.get(sizeof(float*) * static_cast<size_t>(rowsN)));
          segs = 1;
          segLen = static_cast<int>(K);
        }
        float* buf = gather ? static_cast<float*>(tCols.get(sizeof(float) * static_cast<size_t>(rowsN) * K)) : nullptr;
        for (int r = 0; r < rowsN; ++r) {
          const int64_t m = m0 + r;
          const int b = static_cast<int>(m / perImage);
          const int rem = static_cast<int>(m % perImage);
          const int oy = rem / g.ow, ox = rem % g.ow;
          const float* img = x + static_cast<size_t>(b) * h * w * c.cin + static_cast<size_t>(grp) * cinG;
          float* dst = gather ? buf + static_cast<size_t>(r) * K : nullptr;
          if (gather) rows[r] = dst;
          const int ix0 = ox * c.strideW - g.padLeft;
          const bool rowRun = gather && c.groups == 1 && c.dilationW == 1 && ix0 >= 0 && ix0 + c.kw <= w;
          for (int ky = 0; ky < c.kh; ++ky) {
            const int iy = oy * c.strideH - g.padTop + ky * c.dilationH;
            if (rowRun && iy >= 0 && iy < h) {
              // The kernel row's taps are one contiguous run of kw * cin floats.
              std::memcpy(dst, img + (static_cast<size_t>(iy) * w + ix0) * c.cin, sizeof(float) * c.kw * cinG);
              dst += static_cast<size_t>(c.kw) * cinG;
              continue;
            }
            for (int kx = 0; kx < c.kw; ++kx) {
              const int ix = ox * c.strideW - g.padLeft + kx * c.dilationW;
              const bool in = iy >= 0 && iy < h && ix >= 0 && ix < w;
              const float* src = in ? img + (static_cast<size_t>(iy) * w + ix) * c.cin : im.zeros.get();
              if (gather) {
                std::memcpy(dst, src, sizeof(float) * cinG);
                dst += cinG;
              } else {
                rows[static_cast<size_t>(r) * kp + ky * c.kw + kx] = src;
              }
            }
          }
        }
        const int col0 = pgi * pg * nr, col1 = std::min(coutG, (pgi * pg + pg) * nr);
        sgemmIndirect(im.packed[grp]->view(), rows, segs, segLen, rowsN, col0, col1,
                      y + static_cast<size_t>(m0) * c.cout + static_cast<size_t>(grp) * coutG, c.cout, groupEp(grp, m0));
      };
      if (threads <= 1 || tasks <= 1) {
        for (int t = 0; t < static_cast<int>(tasks); ++t) runTask(t, 0);
      } else {
        pool.parallelFor(static_cast<int>(tasks), runTask, threads);
      }
      return;
    }
    case Algo::kDirect: {
      ConvDirectF32Args base{};
      setWindow(base, c, g, h, w);
      base.cin = c.cin;
      base.cout = c.cout;
      base.weights = im.directW.get();
      const double macs = static_cast<double>(M) * c.cout * kp * cinG;
      if (macs < (1 << 16)) threads = 1;
      const int band = bandRows(g.oh, n, threads);
      const int bandsPerImage = (g.oh + band - 1) / band;
      const size_t imgIn = static_cast<size_t>(h) * w * c.cin, imgOut = static_cast<size_t>(g.oh) * g.ow * c.cout;
      auto runTask = [&](int t, int) {
        ConvDirectF32Args a = base;
        const int b = t / bandsPerImage;
        a.x = x + b * imgIn;
        a.y = y + b * imgOut;
        const int oy0 = (t % bandsPerImage) * band, oy1 = std::min(g.oh, oy0 + band);
        // A row at a time, so the epilogue reads the sums from L1.
        for (int oy = oy0; oy < oy1; ++oy) {
          a.oyBegin = oy;
          a.oyEnd = oy + 1;
          im.direct->run(a);
          const int64_t m0 = (static_cast<int64_t>(b) * g.oh + oy) * g.ow;
          sgemmApplyEpilogue(c.isa, y + static_cast<size_t>(m0) * c.cout, c.cout, g.ow, c.cout, groupEp(0, m0));
        }
      };
      const int tasks = n * bandsPerImage;
      if (threads <= 1 || tasks <= 1) {
        for (int t = 0; t < tasks; ++t) runTask(t, 0);
      } else {
        pool.parallelFor(tasks, runTask, threads);
      }
      return;
    }
    case Algo::kDepthwise: {
      float* zeroRow = static_cast<float*>(tZero.get(sizeof(float) * static_cast<size_t>(w) * c.cin));
      std::memset(zeroRow, 0, sizeof(float) * static_cast<size_t>(w) * c.cin);
      DwF32Args base{};
      setWindow(base, c, g, h, w);
      base.c = c.cin;
      base.weights = im.dwW.get();
      base.bias = bias;
      base.act = c.act;
      if (sum) base.act = Activation{};  // applied with the sum after each band
      base.zeroRow = zeroRow;
      const double macs = static_cast<double>(M) * c.cout * kp;
      if (macs < (1 << 15)) threads = 1;
      const int band = bandRows(g.oh, n, threads);
      const int bandsPerImage = (g.oh + band - 1) / band;
      const size_t imgIn = static_cast<size_t>(h) * w * c.cin, imgOut = static_cast<size_t>(g.oh) * g.ow * c.cout;
      auto runTask = [&](int t, int) {
        DwF32Args a = base;
        const int b = t / bandsPerImage;
        a.x = x + b * imgIn;
        a.y = y + b * imgOut;
        a.oyBegin = (t % bandsPerImage) * band;
        a.oyEnd = std::min(g.oh, a.oyBegin + band);
        im.dw->run(a);
        if (sum) {
          const int64_t m0 = static_cast<int64_t>(b) * g.oh * g.ow + static_cast<int64_t>(a.oyBegin) * g.ow;
          SgemmEpilogue ep = groupEp(0, m0);
          ep.bias = nullptr;  // added by the kernel
          sgemmApplyEpilogue(c.isa, y + static_cast<size_t>(m0) * c.cout, c.cout, (a.oyEnd - a.oyBegin) * g.ow, c.cout, ep);
        }
      };
      const int tasks = n * bandsPerImage;
      if (threads <= 1 || tasks <= 1) {
        for (int t = 0; t < tasks; ++t) runTask(t, 0);
      } else {
        pool.parallelFor(tasks, runTask, threads);
      }
      return;
    }
    case Algo::kTranspose: {
      const Isa isa = im.packed[0]->view().isa;
      const size_t colW = static_cast<size_t>(kp) * coutG;  // GEMM columns per input pixel
      const int64_t ekh = static_cast<int64_t>(c.kh - 1) * c.dilationH + 1;
      // Bands of output rows; each band runs the GEMM on the input rows that reach it. Bands of
      // about 1 MB of columns, at least 4 per thread when the image allows.
      const size_t rowCols = static_cast<size_t>(w) * colW * sizeof(float);  // one input row
      int band = std::max(1, static_cast<int>((1 << 20) / std::max<size_t>(1, rowCols)) * c.strideH);
      band = std::min(band, std::max(c.strideH, (g.oh * n + 4 * threads - 1) / (4 * threads)));
      band = std::max(1, std::min(band, g.oh));
      const int bandsPerImage = (g.oh + band - 1) / band;
      const int tasks = n * bandsPerImage * c.groups;
      const double macs = static_cast<double>(n) * h * w * c.cin * colW;
      if (macs < (1 << 16)) threads = 1;
      auto runTask = [&](int t, int) {
        const int grp = t % c.groups;
        const int bi = (t / c.groups) % bandsPerImage;
        const int b = t / c.groups / bandsPerImage;
        const int oy0 = bi * band, oy1 = std::min(g.oh, oy0 + band);
        // Input rows iy with oy = iy * s - pad + ky * d in [oy0, oy1) for some ky.
        int64_t lo = oy0 + g.padTop - (ekh - 1);
        int64_t iy0 = lo >= 0 ? (lo + c.strideH - 1) / c.strideH : -((-lo) / c.strideH);
        iy0 = std::max<int64_t>(0, iy0);
        const int64_t iy1 = std::min<int64_t>(h, (oy1 - 1 + g.padTop) / c.strideH + 1);
        const int rowsIn = static_cast<int>(std::max<int64_t>(0, iy1 - iy0)) * w;
        float* cols = static_cast<float*>(tCols.get(sizeof(float) * std::max<size_t>(1, static_cast<size_t>(rowsIn) * colW)));
        SgemmEpilogue none;
        if (rowsIn > 0)
          sgemm(im.packed[grp]->view(), x + (static_cast<size_t>(b) * h + iy0) * w * c.cin + static_cast<size_t>(grp) * cinG, c.cin,
                rowsIn, cols, colW, none, 1);
        for (int oy = oy0; oy < oy1; ++oy) {
          float* yrow = y + ((static_cast<size_t>(b) * g.oh + oy) * g.ow) * c.cout + static_cast<size_t>(grp) * coutG;
          for (int ox = 0; ox < g.ow; ++ox) {
            float* acc = yrow + static_cast<size_t>(ox) * c.cout;
            for (int cg = 0; cg < coutG; ++cg) acc[cg] = 0.0f;
            for (int ky = 0; ky < c.kh; ++ky) {
              const int ty = oy + g.padTop - ky * c.dilationH;
              if (ty < 0 || ty % c.strideH) continue;
              const int iy = ty / c.strideH;
              if (iy < iy0 || iy >= iy1) continue;
              for (int kx = 0; kx < c.kw; ++kx) {
                const int tx = ox + g.padLeft - kx * c.dilationW;
                if (tx < 0 || tx % c.strideW) continue;
                const int ix = tx / c.strideW;
                if (ix >= w) continue;
                const float* col = cols + (static_cast<size_t>(iy - iy0) * w + ix) * colW + static_cast<size_t>(ky * c.kw + kx) * coutG;
                for (int cg = 0; cg < coutG; ++cg) acc[cg] = acc[cg] + col[cg];
              }
            }
          }
          SgemmEpilogue ep = groupEp(grp, (static_cast<int64_t>(b) * g.oh + oy) * g.ow);
          sgemmApplyEpilogue(isa, yrow, c.cout, g.ow, coutG, ep);
        }
      };
      if (threads <= 1 || tasks <= 1) {
        for (int t = 0; t < tasks; ++t) runTask(t, 0);
      } else {
        pool.parallelFor(tasks, runTask, threads);
      }
      return;
    }
  }
}

bool canFuseExpandDepthwise(const ConvF32& e, const ConvF32& d) {
  return e.impl_->algo == Algo::kGemm && e.cfg_.groups == 1 && d.impl_->algo == Algo::kDepthwise && d.cfg_.cin == e.cfg_.cout;
}

namespace {

struct ExpandDwPlan {
  bool fused = false;
  int bandRows = 0;     // depthwise output rows per band
  int capacityRows = 0; // expanded rows a band buffer holds
  size_t rowFloats = 0; // floats of one expanded row
  size_t perThread = 0; // bytes of one thread's band buffer (64-byte multiple)
  size_t bytes = 0;     // scratch bytes
};

ExpandDwPlan expandDwPlan(const ConvF32& e, const ConvF32& d, int n, int h, int w, size_t bandBytes) {
  const ConvF32Config& dc = d.config();
  const ConvF32Geometry g = d.geometry(n, h, w);
  ExpandDwPlan p;
  const int threads = ThreadPool::global().numThreads();
  p.rowFloats = static_cast<size_t>(w) * e.config().cout;
  const size_t rowBytes = p.rowFloats * sizeof(float);
  const int ekh = (dc.kh - 1) * dc.dilationH + 1;
  const size_t budget = bandBytes ? bandBytes : 384 * 1024;
  const int64_t rowsInBudget = static_cast<int64_t>(budget / std::max<size_t>(1, rowBytes));
  p.bandRows = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(g.oh, (rowsInBudget - ekh) / dc.strideH + 1)));
  p.capacityRows = std::min(h, (p.bandRows - 1) * dc.strideH + ekh);
  p.perThread = (static_cast<size_t>(p.capacityRows) * rowBytes + 63) / 64 * 64;
  const size_t fusedBytes = p.perThread * static_cast<size_t>(threads);
  const size_t wholeBytes = static_cast<size_t>(n) * h * rowBytes;
  p.fused = n >= threads;
  p.bytes = p.fused ? fusedBytes : std::max(fusedBytes, wholeBytes);
  return p;
}

}  // namespace

size_t expandDepthwiseScratchBytes(const ConvF32& e, const ConvF32& d, int n, int h, int w, size_t bandBytes) {
  if (!canFuseExpandDepthwise(e, d)) bad("expand + depthwise: not an expansion conv followed by a depthwise conv");
  return expandDwPlan(e, d, n, h, w, bandBytes).bytes;
}

void runExpandDepthwise(const ConvF32& e, const ConvF32& d, const float* x, int n, int h, int w, float* y, void* scratch,
                        size_t scratchBytes, int maxThreads, size_t bandBytes) {
  if (!canFuseExpandDepthwise(e, d)) bad("expand + depthwise: not an expansion conv followed by a depthwise conv");
  const ExpandDwPlan p = expandDwPlan(e, d, n, h, w, bandBytes);
  if (scratchBytes < p.bytes) bad("expand + depthwise: scratch too small");
  float* buf = static_cast<float*>(scratch);
  ThreadPool& pool = ThreadPool::global();
  int threads = pool.numThreads();
  if (maxThreads > 0) threads = std::min(threads, maxThreads);
  if (!p.fused || n < threads) {
    e.run(x, n, h, w, buf, nullptr, maxThreads);
    d.run(buf, n, h, w, y, nullptr, maxThreads);
    return;
  }
  const ConvF32Config& ec = e.cfg_;
  const ConvF32Config& dc = d.cfg_;
  const ConvF32::Impl& ei = *e.impl_;
  const ConvF32::Impl& di = *d.impl_;
  const ConvF32Geometry g = d.geometry(n, h, w);
  const int cexp = ec.cout;
  float* zeroRow = static_cast<float*>(tZero.get(sizeof(float) * p.rowFloats));
  std::memset(zeroRow, 0, sizeof(float) * p.rowFloats);
  SgemmEpilogue ep;
  ep.bias = ei.bias.empty() ? nullptr : ei.bias.data();
  ep.act = ec.act;
  DwF32Args base{};
  setWindow(base, dc, g, h, w);
  base.c = cexp;
  base.weights = di.dwW.get();
  base.bias = di.bias.empty() ? nullptr : di.bias.data();
  base.act = dc.act;
  base.zeroRow = zeroRow;
  const int ekh = (dc.kh - 1) * dc.dilationH + 1;
  const size_t imgIn = static_cast<size_t>(h) * w * ec.cin, imgOut = static_cast<size_t>(g.oh) * g.ow * cexp;
  auto runImage = [&](int b, int thread) {
    float* band = buf + p.perThread / sizeof(float) * static_cast<size_t>(thread);
    const float* xi = x + b * imgIn;
    int bufLo = 0, bufHi = 0;  // expanded rows [bufLo, bufHi) are at band[0 ..)
    DwF32Args a = base;
    a.y = y + b * imgOut;
    for (int oy0 = 0; oy0 < g.oh; oy0 += p.bandRows) {
      const int oy1 = std::min(g.oh, oy0 + p.bandRows);
      const int lo = std::max(0, oy0 * dc.strideH - g.padTop);
      const int hi = std::min(h, (oy1 - 1) * dc.strideH - g.padTop + ekh);
      if (hi <= lo) {  // every row this band reads is padding
        bufLo = bufHi = lo;
      } else if (lo > bufLo) {
        const int keep = std::max(0, bufHi - lo);
        if (keep > 0) std::memmove(band, band + static_cast<size_t>(lo - bufLo) * p.rowFloats, sizeof(float) * keep * p.rowFloats);
        bufLo = lo;
        bufHi = lo + keep;
      }
      if (hi > bufHi) {
        sgemm(ei.packed[0]->view(), xi + static_cast<size_t>(bufHi) * w * ec.cin, ec.cin, (hi - bufHi) * w,
              band + static_cast<size_t>(bufHi - bufLo) * p.rowFloats, cexp, ep, 1);
        bufHi = hi;
      }
      // The kernel reads rows [lo, hi) of a virtual image whose row bufLo is band[0].
      a.x = band - static_cast<ptrdiff_t>(bufLo) * static_cast<ptrdiff_t>(p.rowFloats);
      a.oyBegin = oy0;
      a.oyEnd = oy1;
      di.dw->run(a);
    }
  };
  if (threads <= 1) {
    for (int b = 0; b < n; ++b) runImage(b, 0);
  } else {
    pool.parallelFor(n, runImage, threads);
  }
}

}  // namespace qint8
