// qint8 — convolution driver: configuration checks, geometry, algorithm choice, and the runs.
//
//  - "gemm": 1x1, stride 1, no padding: the GEMM runs on the NHWC activations in place
//    (a group reads its channel slice with lda = cin).
//  - "indirect": implicit GEMM (conv_kernels.h) where the ISA has such kernels, the weights are
//    symmetric and cin/groups is a multiple of 4: the kernels read the NHWC input through an
//    indirection buffer (a pointer per output pixel and kernel position, built per block of
//    output pixels; padding points at a row of zero points), so nothing is copied.
//  - "im2col": the general case. Output pixels are processed in blocks; each block's im2col rows
//    (kernel position major, then channel) are gathered into a per-thread scratch buffer that
//    stays in cache, and the GEMM kernels run on it. Small problems gather all rows once and let
//    the GEMM split the output channels across threads instead.
//  - "depthwise": groups == cin == cout: dedicated kernels (dwconv_kernels.h).
//  - "transpose": ConvTranspose as a GEMM from input pixels to (kernel position, output channel)
//    columns, gathered into output pixels (col2im) in bands of output rows, then the output stage.
#include "qint8/conv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "qint8/cpu.h"
#include "qint8/gemm.h"
#include "qint8/requant.h"
#include "qint8/threadpool.h"
#include "aligned.h"
#include "conv_kernels.h"
#include "dispatch.h"
#include "dwconv_kernels.h"

namespace qint8 {

const DwKernelTable& dwKernels(Isa isa) {
  static const IsaTables<DwKernelTable> tables = {
      dwKernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      dwKernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      dwKernelsAvx512(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_NEON)
      dwKernelsNeon(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_NEONDOT)
      dwKernelsNeonDot(),
#else
      nullptr,
#endif
      nullptr,  // i8mm: falls back to neondot (usdot would only save the flip outside the loop)
  };
  return selectTable(isa, tables, "depthwise conv");
}

const Col2imKernelTable& col2imKernels(Isa isa) {
  static const IsaTables<Col2imKernelTable> tables = {
      col2imKernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      col2imKernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      col2imKernelsAvx512(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_NEON)
      col2imKernelsNeon(),
#else
      nullptr,
#endif
      nullptr, nullptr,  // neondot, i8mm: the NEON kernel (no dot products here)
  };
  return selectTable(isa, tables, "col2im");
}

namespace {

[[noreturn]] void bad(const std::string& m) { throw std::invalid_argument(m); }

thread_local Scratch tIm2col;
thread_local Scratch tCols;
thread_local Scratch tAcc;
thread_local Scratch tInd;

enum class Algo { kGemm, kIm2col, kIndirect, kDepthwise, kTranspose };

// Largest whole-layer indirection buffer a conv keeps between runs (two per layer at most).
constexpr size_t kIndCacheBytes = size_t{1} << 20;

const IgemmKernelTable* igemmKernels(Isa isa) {
#if defined(QINT8_HAVE_AVX512VNNI)
  if (isa == Isa::kAvx512Vnni && isaSupported(isa)) return igemmKernelsAvx512Vnni();
#endif
  (void)isa;
  return nullptr;
}

size_t elemBytes(DType t) { return (t == DType::kU8 || t == DType::kS8) ? 1 : 4; }

}  // namespace

void validateConv2dConfig(const Conv2dConfig& c) {
  auto pos = [](int v, const char* name) {
    if (v <= 0) bad(std::string(name) + " must be >= 1, got " + std::to_string(v));
  };
  pos(c.cin, "cin");
  pos(c.cout, "cout");
  pos(c.kh, "kernel height");
  pos(c.kw, "kernel width");
  pos(c.groups, "groups");
  pos(c.strideH, "stride");
  pos(c.strideW, "stride");
  pos(c.dilationH, "dilation");
  pos(c.dilationW, "dilation");
  if (c.cin % c.groups || c.cout % c.groups)
    bad("cin (" + std::to_string(c.cin) + ") and cout (" + std::to_string(c.cout) + ") must be divisible by groups (" +
        std::to_string(c.groups) + ")");
  if (c.padTop < 0 || c.padLeft < 0 || c.padBottom < 0 || c.padRight < 0) bad("pads must be >= 0");
  if (c.outputPaddingH < 0 || c.outputPaddingW < 0) bad("output padding must be >= 0");
  if (!c.transposed && (c.outputPaddingH || c.outputPaddingW)) bad("output padding applies to ConvTranspose only");
  if (c.transposed && (c.outputPaddingH >= std::max(c.strideH, c.dilationH) || c.outputPaddingW >= std::max(c.strideW, c.dilationW)))
    bad("output padding must be smaller than the stride or the dilation");
  if (!c.weight) bad("weight is required");
  if (c.inputType != DType::kU8 && c.inputType != DType::kS8) bad("input dtype must be uint8 or int8");
  const int64_t ksize = static_cast<int64_t>(c.kh) * c.kw * (c.cin / c.groups);
  if (ksize > (1 << 24)) bad("kernel too large");
}

ConvGeometry convGeometry(const Conv2dConfig& c, int n, int h, int w) {
  if (n <= 0 || h <= 0 || w <= 0) bad("input dimensions must be >= 1");
  ConvGeometry g;
  g.n = n;
  g.h = h;
  g.w = w;
  const int ekh = (c.kh - 1) * c.dilationH + 1, ekw = (c.kw - 1) * c.dilationW + 1;  // effective kernel
  int pt = c.padTop, pl = c.padLeft, pb = c.padBottom, pr = c.padRight;
  if (!c.transposed) {
    if (c.autoPad == AutoPad::kValid) pt = pl = pb = pr = 0;
    if (c.autoPad == AutoPad::kSameUpper || c.autoPad == AutoPad::kSameLower) {
      const int ohs = (h + c.strideH - 1) / c.strideH, ows = (w + c.strideW - 1) / c.strideW;
      const int th = std::max(0, (ohs - 1) * c.strideH + ekh - h), tw = std::max(0, (ows - 1) * c.strideW + ekw - w);
      const bool upper = c.autoPad == AutoPad::kSameUpper;
      pt = upper ? th / 2 : th - th / 2;
      pb = th - pt;
      pl = upper ? tw / 2 : tw - tw / 2;
      pr = tw - pl;
    }
    const int64_t oh = (static_cast<int64_t>(h) + pt + pb - ekh) / c.strideH + 1;
    const int64_t ow = (static_cast<int64_t>(w) + pl + pr - ekw) / c.strideW + 1;
    if (static_cast<int64_t>(h) + pt + pb < ekh || static_cast<int64_t>(w) + pl + pr < ekw || oh <= 0 || ow <= 0)
      bad("the kernel (" + std::to_string(ekh) + "x" + std::to_string(ekw) + " with dilation) does not fit the padded " +
          std::to_string(h) + "x" + std::to_string(w) + " input");
    g.oh = static_cast<int>(oh);
    g.ow = static_cast<int>(ow);
  } else {
    // ONNX ConvTranspose: out = stride * (in - 1) + output_padding + ((k - 1) * dilation + 1) - pads.
    if (c.autoPad == AutoPad::kValid) pt = pl = pb = pr = 0;
    if (c.autoPad == AutoPad::kSameUpper || c.autoPad == AutoPad::kSameLower) {
      const int64_t ohs = static_cast<int64_t>(h) * c.strideH, ows = static_cast<int64_t>(w) * c.strideW;
      const int64_t th = std::max<int64_t>(0, static_cast<int64_t>(c.strideH) * (h - 1) + c.outputPaddingH + ekh - ohs);
      const int64_t tw = std::max<int64_t>(0, static_cast<int64_t>(c.strideW) * (w - 1) + c.outputPaddingW + ekw - ows);
      const bool upper = c.autoPad == AutoPad::kSameUpper;
      pt = static_cast<int>(upper ? th / 2 : th - th / 2);
      pb = static_cast<int>(th - pt);
      pl = static_cast<int>(upper ? tw / 2 : tw - tw / 2);
      pr = static_cast<int>(tw - pl);
    }
    const int64_t oh = static_cast<int64_t>(c.strideH) * (h - 1) + c.outputPaddingH + ekh - pt - pb;
    const int64_t ow = static_cast<int64_t>(c.strideW) * (w - 1) + c.outputPaddingW + ekw - pl - pr;
    if (oh <= 0 || ow <= 0) bad("the pads leave an empty ConvTranspose output");
    g.oh = static_cast<int>(oh);
    g.ow = static_cast<int>(ow);
  }
  if (static_cast<int64_t>(g.oh) * g.ow * n > (INT64_C(1) << 40)) bad("output too large");
  g.padTop = pt;
  g.padLeft = pl;
  return g;
}

struct Conv2d::Impl {
  Algo algo = Algo::kIm2col;
  int kp = 1;  // kernel positions
  int cinG = 0, coutG = 0;
  int32_t zxU8 = 0;  // input zero point in the u8 domain (int8 activations are flipped)
  // kIm2col: bytes per gathered row. kp * cinG, rounded up to 16 when it is not a multiple of 4
  // (the GEMM's K tail is slow: 6272 x 32 x 9 ran at half the speed of K = 16); the extra bytes
  // hold the input zero point and meet zero weights, so they add exactly nothing.
  int rowStride = 0;
  // kGemm / kIm2col: one GEMM layer per group ([coutG] x [kp * cinG], kernel position major).
  // kTranspose: one per group ([kp * coutG] x [cinG], int32 output).
  std::vector<std::unique_ptr<Linear>> gemms;
  // kDepthwise
  const DwKernelTable* dw = nullptr;
  std::unique_ptr<uint8_t, void (*)(void*)> dwBuf{nullptr, alignedFree};
  int dwNoOverflow = -1;  // dwNoOverflow() of the layer's arrays, computed once (DwConvArgs::noOverflow)
  // kTranspose: tDirect when kernel == stride (no pads, dilation or output padding, one group):
  // every output pixel takes exactly one kernel position, so gemms[ky] ([kw * cout] x [cin],
  // column kx * cout + co) writes output row iy * sh + ky directly, output stage included.
  // Otherwise the per-group GEMMs produce int32 columns that c2i gathers (col2im).
  bool tDirect = false;
  const Col2imKernelTable* c2i = nullptr;
  std::vector<int32_t> bias32;       // kDepthwise: -zx * sum(w) + biasQ; kTranspose: biasQ
  std::vector<float> scale, biasF;   // per channel
  int32_t lo = 0, hi = 0;
  // kIndirect: every group's panels (panelsPerGroup each), packed one after the other, and the
  // per-column output-stage arrays in panel order (16 * nv entries per panel, zero padded).
  struct Panel {
    size_t off;     // byte offset of the packed panel
    size_t col;     // index of its first entry in igBias / igScale / igBiasF
    int n0, nv;     // first output channel within the group, width in 16-column vectors
    bool permuted;  // packed in igemmPermutedColumn order
  };
  const IgemmKernelTable* ig = nullptr;
  std::vector<Panel> panels;
  int panelsPerGroup = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> igBuf{nullptr, alignedFree};
  std::unique_ptr<uint8_t, void (*)(void*)> zeroRow{nullptr, alignedFree};  // cin bytes of zx
  std::vector<int32_t> igBias;
  std::vector<float> igScale, igBiasF;
  // kIndirect on a row-packed input (rowPack): layers with few input channels (cin % 4 != 0, one
  // group). Each input row is first rewritten, per output column, as the kw taps of that column
  // side by side (kw * cin bytes, zero point outside the image, padded to rowCin, a multiple of 4,
  // with zero points); the conv is then a kh x 1 conv with rowCin input channels over those rows,
  // which the implicit-GEMM kernels run (K = kh * rowCin instead of an im2col row of kh * kw *
  // cin bytes padded to 16, and no per-pixel gather). rowCfg is that kh x 1 conv's configuration.
  bool rowPack = false;
  int rowCin = 0;
  Conv2dConfig rowCfg{};
  // kIndirect: the indirection buffers of the last two (input pointer, n, h, w) this layer ran
  // on, whole-layer, when at most kIndCacheBytes. The buffer depends on nothing else (pointers
  // into the input and to zeroRow), so a plan that runs from the same arena reuses it instead of
  // rebuilding M * kp pointers per run (for small layers that cost as much as the kernel).
  struct IndEntry {
    const uint8_t* x = nullptr;
    int n = 0, h = 0, w = 0;
    std::shared_ptr<const uint8_t*[]> ind;
  };
  mutable std::mutex indMu;
  mutable IndEntry indCache[2];
  mutable int indVictim = 0;
};

Conv2d::~Conv2d() = default;

const char* Conv2d::algorithm() const {
  switch (impl_->algo) {
    case Algo::kGemm: return "gemm";
    case Algo::kIm2col: return "im2col";
    case Algo::kIndirect: return impl_->rowPack ? "indirect-rows" : "indirect";
    case Algo::kDepthwise: return "depthwise";
    case Algo::kTranspose: return "transpose";
  }
  return "?";
}

size_t Conv2d::packedBytes() const {
  size_t b = 0;
  for (auto& l : impl_->gemms) b += l->packedBytes();
  if (impl_->algo == Algo::kDepthwise) b += impl_->dw->packedBytes(cfg_.kh, cfg_.kw, cfg_.cout);
  if (impl_->algo == Algo::kIndirect)
    for (auto& p : impl_->panels) b += impl_->ig->panelBytes(p.nv, impl_->kp * impl_->cinG);
  return b;
}

std::unique_ptr<Conv2d> Conv2d::create(const Conv2dConfig& c) {
  validateConv2dConfig(c);
  std::unique_ptr<Conv2d> conv(new Conv2d());
  conv->cfg_ = c;
  conv->impl_.reset(new Impl());
  Impl& im = *conv->impl_;
  im.kp = c.kh * c.kw;
  im.cinG = c.cin / c.groups;
  im.coutG = c.cout / c.groups;
  im.zxU8 = c.inputType == DType::kS8 ? c.input.zeroPoint + 128 : c.input.zeroPoint;
  const int kp = im.kp, cinG = im.cinG, coutG = im.coutG;

  // The common part of a group's GEMM configuration (per-tensor weight qparams; the callers
  // point per-channel arrays at the group's slice).
  auto groupConfig = [&](int n, int k, const int8_t* w) {
    LinearConfig l;
    l.isa = c.isa;
    l.n = n;
    l.k = k;
    l.weight = w;
    l.inputType = c.inputType;
    l.input = c.input;
    l.weightScale = c.weightScale;
    l.weightScaleCount = 1;
    if (c.weightZeroPoint && c.weightZeroPointCount == 1) {
      l.weightZeroPoint = c.weightZeroPoint;
      l.weightZeroPointCount = 1;
    }
    return l;
  };
  // The layer's output stage (type, parameters, fused ReLU / clip), for GEMMs that write it.
  auto setOutputStage = [&](LinearConfig& l) {
    l.outputType = c.outputType;
    l.output = c.output;
    l.relu = c.relu;
    l.hasClip = c.hasClip;
    l.clipMin = c.clipMin;
    l.clipMax = c.clipMax;
  };

  if (c.weightScaleCount != 1 && c.weightScaleCount != c.cout)
    bad("weightScale must have 1 or cout (" + std::to_string(c.cout) + ") entries, got " + std::to_string(c.weightScaleCount));
  if (c.weightZeroPoint && c.weightZeroPointCount != 1 && c.weightZeroPointCount != c.cout)
    bad("weightZeroPoint must have 1 or cout entries");

  const bool depthwise = !c.transposed && c.groups == c.cin && c.cout == c.cin && c.groups > 1;
  bool asym = false;
  if (c.weightZeroPoint)
    for (int j = 0; j < c.weightZeroPointCount; ++j) asym |= c.weightZeroPoint[j] != 0;

  const bool noPads = c.autoPad != AutoPad::kNotSet || (c.padTop == 0 && c.padLeft == 0 && c.padBottom == 0 && c.padRight == 0);
  if (c.transposed && c.groups == 1 && c.kh == c.strideH && c.kw == c.strideW && c.dilationH == 1 && c.dilationW == 1 &&
      c.outputPaddingH == 0 && c.outputPaddingW == 0 && noPads) {
    // With kernel == stride the SAME pads are 0 as well (stride * in - out = 0).
    im.algo = Algo::kTranspose;
    im.tDirect = true;
    const int nCols = c.kw * c.cout;
    std::vector<int8_t> wk(static_cast<size_t>(nCols) * c.cin);
    std::vector<float> scol(nCols), bcol(c.bias ? nCols : 0);
    std::vector<int32_t> bqcol(c.biasQ ? nCols : 0), zcol(c.weightZeroPoint ? nCols : 0);
    for (int kx = 0; kx < c.kw; ++kx)
      for (int co = 0; co < c.cout; ++co) {
        const int j = kx * c.cout + co;
        scol[j] = c.weightScale[c.weightScaleCount == 1 ? 0 : co];
        if (c.bias) bcol[j] = c.bias[co];
        if (c.biasQ) bqcol[j] = c.biasQ[co];
        if (c.weightZeroPoint) zcol[j] = c.weightZeroPoint[c.weightZeroPointCount == 1 ? 0 : co];
      }
    for (int ky = 0; ky < c.kh; ++ky) {
      for (int kx = 0; kx < c.kw; ++kx)
        for (int co = 0; co < c.cout; ++co)
          for (int ci = 0; ci < c.cin; ++ci)
            wk[(static_cast<size_t>(kx) * c.cout + co) * c.cin + ci] = c.weight[(static_cast<size_t>(ci) * c.cout + co) * kp + ky * c.kw + kx];
      LinearConfig l = groupConfig(nCols, c.cin, wk.data());
      l.weightScale = scol.data();
      l.weightScaleCount = nCols;
      l.weightZeroPoint = c.weightZeroPoint ? zcol.data() : nullptr;
      l.weightZeroPointCount = c.weightZeroPoint ? nCols : 0;
      l.bias = c.bias ? bcol.data() : nullptr;
      l.biasQ = c.biasQ ? bqcol.data() : nullptr;
      setOutputStage(l);
      im.gemms.push_back(Linear::create(l));
    }
    // The checks of the output stage below apply too (the arrays they build go unused).
  } else if (c.transposed) {
    im.algo = Algo::kTranspose;
    im.c2i = &col2imKernels(c.isa);
    // Group g's GEMM: columns (kernel position t, output channel cg) -> row t * coutG + cg,
    // weights W[g*cinG + ci][cg][ky][kx] (ONNX ConvTranspose layout [cin][cout/groups][kh][kw]).
    std::vector<int8_t> wg(static_cast<size_t>(kp) * coutG * cinG);
    const float one = 1.0f;  // the GEMM produces raw int32 sums; scales apply after the gather
    for (int grp = 0; grp < c.groups; ++grp) {
      for (int t = 0; t < kp; ++t)
        for (int cg = 0; cg < coutG; ++cg)
          for (int ci = 0; ci < cinG; ++ci)
            wg[(static_cast<size_t>(t) * coutG + cg) * cinG + ci] =
                c.weight[((static_cast<size_t>(grp) * cinG + ci) * coutG + cg) * kp + t];
      LinearConfig l = groupConfig(kp * coutG, cinG, wg.data());
      l.weightScale = &one;
      std::vector<int32_t> zcol;
      if (asym) {
        zcol.resize(static_cast<size_t>(kp) * coutG);
        for (int t = 0; t < kp; ++t)
          for (int cg = 0; cg < coutG; ++cg) {
            const int co = grp * coutG + cg;
            zcol[static_cast<size_t>(t) * coutG + cg] = c.weightZeroPoint[c.weightZeroPointCount == 1 ? 0 : co];
          }
        l.weightZeroPoint = zcol.data();
        l.weightZeroPointCount = static_cast<int>(zcol.size());
      } else {
        l.weightZeroPoint = nullptr;
        l.weightZeroPointCount = 0;
      }
      l.outputType = DType::kS32;
      im.gemms.push_back(Linear::create(l));
    }
  } else if (depthwise && !asym) {
    im.algo = Algo::kDepthwise;
    // The SIMD kernels keep one transformed row per kernel row (at most 64).
    im.dw = c.kh <= 64 ? &dwKernels(c.isa) : dwKernelsRef();
    const size_t pb = im.dw->packedBytes(c.kh, c.kw, c.cout);
    im.dwBuf.reset(static_cast<uint8_t*>(alignedAlloc(pb)));
    im.dw->pack(c.weight, c.kh, c.kw, c.cout, im.dwBuf.get());
  } else {
    const bool oneByOne = c.kh == 1 && c.kw == 1 && c.strideH == 1 && c.strideW == 1 && c.autoPad != AutoPad::kSameLower &&
                          c.autoPad != AutoPad::kSameUpper && c.padTop == 0 && c.padLeft == 0 && c.padBottom == 0 &&
                          c.padRight == 0;
    const int rowCin = (c.kw * c.cin + 3) / 4 * 4;
    const bool rowPack = (c.algorithm == ConvAlgorithm::kAuto || c.algorithm == ConvAlgorithm::kIndirect) && !oneByOne &&
                         !asym && c.groups == 1 && cinG % 4 != 0 && rowCin <= 128 && igemmKernels(c.isa) != nullptr;
    const IgemmKernelTable* ig = asym || (cinG % 4 && !rowPack) ? nullptr : igemmKernels(c.isa);
    if (c.algorithm == ConvAlgorithm::kIm2col) im.algo = Algo::kIm2col;
    else if (c.algorithm == ConvAlgorithm::kGemm && oneByOne) im.algo = Algo::kGemm;
    else if (ig) im.algo = Algo::kIndirect;
    else im.algo = oneByOne ? Algo::kGemm : Algo::kIm2col;
    // Group g's GEMM weights: [coutG][kp * cinG], kernel position major (the im2col row order);
    // im2col rows may be padded (rowStride), with zero weights in the extra columns.
    const int kRow = kp * cinG;
    im.rowStride = im.algo == Algo::kIm2col && kRow % 4 ? (kRow + 15) / 16 * 16 : kRow;
    const int kw_ = im.algo == Algo::kIm2col ? im.rowStride : kRow;
    std::vector<int8_t> wg(static_cast<size_t>(coutG) * kw_, 0);
    auto groupWeights = [&](int grp) {
      for (int cg = 0; cg < coutG; ++cg)
        for (int t = 0; t < kp; ++t)
          for (int ci = 0; ci < cinG; ++ci)
            wg[static_cast<size_t>(cg) * kw_ + static_cast<size_t>(t) * cinG + ci] =
                c.weight[((static_cast<size_t>(grp) * coutG + cg) * cinG + ci) * kp + t];
    };
    if (im.algo == Algo::kIndirect && rowPack) {
      // Row-packed weights: [cout][kh][rowCin], tap (ky, kx, ci) at ky * rowCin + kx * cin + ci,
      // zeros in the padding bytes.
      im.rowPack = true;
      im.rowCin = rowCin;
      im.kp = c.kh;
      im.cinG = rowCin;
      im.rowCfg = c;
      im.rowCfg.kw = 1;
      im.rowCfg.strideW = 1;
      im.rowCfg.dilationW = 1;
      im.rowCfg.padLeft = im.rowCfg.padRight = 0;
      im.rowCfg.cin = rowCin;
      wg.assign(static_cast<size_t>(coutG) * c.kh * rowCin, 0);
    }
    if (im.algo == Algo::kIndirect) {
      // Panels of 64 columns, then one narrower panel for the rest (16, 32 or 48 columns).
      // Requantized outputs use the pack-friendly column order in full-width panels.
      im.ig = ig;
      const bool requantOut = c.outputType == DType::kU8 || c.outputType == DType::kS8;
      const int k = im.kp * im.cinG;
      size_t off = 0, col = 0;
      for (int grp = 0; grp < c.groups; ++grp)
        for (int n0 = 0; n0 < coutG; n0 += 64) {
          const int nv = std::min(4, (coutG - n0 + 15) / 16);
          im.panels.push_back({off, col, n0, nv, nv == 4 && requantOut});
          off += (ig->panelBytes(nv, k) + kAlign - 1) / kAlign * kAlign;
          col += static_cast<size_t>(16) * nv;
        }
      im.panelsPerGroup = static_cast<int>(im.panels.size()) / c.groups;
      im.igBuf.reset(static_cast<uint8_t*>(alignedAlloc(off)));
      for (int grp = 0; grp < c.groups; ++grp) {
        if (im.rowPack) {
          for (int cg = 0; cg < coutG; ++cg)
            for (int ky = 0; ky < c.kh; ++ky)
              for (int kx = 0; kx < c.kw; ++kx)
                for (int ci = 0; ci < c.cin; ++ci)
                  wg[(static_cast<size_t>(cg) * c.kh + ky) * rowCin + static_cast<size_t>(kx) * c.cin + ci] =
                      c.weight[(static_cast<size_t>(cg) * c.cin + ci) * kp + ky * c.kw + kx];
        } else {
          groupWeights(grp);
        }
        for (int p = 0; p < im.panelsPerGroup; ++p) {
          const Impl::Panel& pn = im.panels[static_cast<size_t>(grp) * im.panelsPerGroup + p];
          ig->packPanel(wg.data(), coutG, k, pn.n0, pn.nv, pn.permuted, im.igBuf.get() + pn.off);
        }
      }
      const size_t zeroBytes = static_cast<size_t>(std::max(c.cin, im.rowPack ? rowCin : 0));
      im.zeroRow.reset(static_cast<uint8_t*>(alignedAlloc(zeroBytes)));
      std::memset(im.zeroRow.get(), im.zxU8, zeroBytes);
    }
    for (int grp = 0; grp < c.groups && im.algo != Algo::kIndirect; ++grp) {
      groupWeights(grp);
      LinearConfig l = groupConfig(coutG, kw_, wg.data());
      if (c.weightScaleCount != 1) {
        l.weightScale = c.weightScale + grp * coutG;
        l.weightScaleCount = coutG;
      }
      if (c.weightZeroPoint && c.weightZeroPointCount != 1) {
        l.weightZeroPoint = c.weightZeroPoint + grp * coutG;
        l.weightZeroPointCount = coutG;
      }
      if (c.bias) l.bias = c.bias + grp * coutG;
      if (c.biasQ) l.biasQ = c.biasQ + grp * coutG;
      setOutputStage(l);
      im.gemms.push_back(Linear::create(l));
    }
    if (im.algo != Algo::kIndirect) return conv;
  }

  // Indirect, depthwise and transpose apply the output stage themselves: per-channel arrays.
  const bool requant = c.outputType == DType::kU8 || c.outputType == DType::kS8;
  if (requant) {
    if (!(std::isfinite(c.output.scale) && c.output.scale > 0)) bad("output.scale must be a finite number > 0");
    if (c.output.zeroPoint < qmin(c.outputType) || c.output.zeroPoint > qmax(c.outputType))
      bad("output.zeroPoint is outside the output type's range");
    if (c.hasClip && !(c.clipMin <= c.clipMax)) bad("clip min must be <= clip max");
    fusedClampBounds(c.outputType, c.output, c.relu, c.hasClip, c.clipMin, c.clipMax, &im.lo, &im.hi);
  } else if (c.relu || c.hasClip) {
    bad("relu/clip fuse into a requantized (uint8/int8) output only");
  }
  if (!(std::isfinite(c.input.scale) && c.input.scale > 0)) bad("input.scale must be a finite number > 0");
  if (c.input.zeroPoint < qmin(c.inputType) || c.input.zeroPoint > qmax(c.inputType))
    bad("input.zeroPoint is outside the input type's range");
  if (c.bias && c.biasQ) bad("give either a real bias or a quantized bias, not both");
  im.bias32.assign(c.cout, 0);
  im.scale.assign(c.cout, 1.0f);
  for (int j = 0; j < c.cout; ++j) {
    const float sw = c.weightScale[c.weightScaleCount == 1 ? 0 : j];
    if (!(std::isfinite(sw) && sw > 0)) bad("weightScale[" + std::to_string(j) + "] must be a finite number > 0");
    const float sxw = c.input.scale * sw;
    im.scale[j] = requant ? sxw / c.output.scale : sxw;
    int32_t bq = 0;
    if (c.biasQ) bq = c.biasQ[j];
    else if (c.bias && requant) bq = quantizeBias(c.bias[j], c.input.scale, sw);
    im.bias32[j] = bq;
  }
  if (c.bias && c.outputType == DType::kF32) im.biasF.assign(c.bias, c.bias + c.cout);
  if (im.algo == Algo::kDepthwise || im.algo == Algo::kIndirect) {
    // Fold the input zero point: acc = sum(x * w) - zx * sum(w) + biasQ (wrapping like the
    // int32 accumulator).
    const size_t perOut = static_cast<size_t>(kp) * cinG;
    for (int j = 0; j < c.cout; ++j) {
      int64_t s = 0;
      for (size_t t = 0; t < perOut; ++t) s += c.weight[static_cast<size_t>(j) * perOut + t];
      im.bias32[j] = static_cast<int32_t>(static_cast<uint32_t>(static_cast<int64_t>(im.bias32[j]) - static_cast<int64_t>(im.zxU8) * s));
    }
  }
  if (im.algo == Algo::kDepthwise) {
    // The requantization bound depends only on the layer: checked here, not per call.
    DwConvArgs t{};
    t.c = c.cout;
    t.kh = c.kh;
    t.kw = c.kw;
    t.ep.bias32 = im.bias32.data();
    t.ep.scale = im.scale.data();
    im.dwNoOverflow = dwNoOverflow(t) ? 1 : 0;
  }
  if (im.algo == Algo::kIndirect) {
    // The per-column arrays in panel order.
    const size_t cols = im.panels.back().col + static_cast<size_t>(16) * im.panels.back().nv;
    im.igBias.assign(cols, 0);
    im.igScale.assign(cols, 0.0f);
    if (!im.biasF.empty()) im.igBiasF.assign(cols, 0.0f);
    for (size_t p = 0; p < im.panels.size(); ++p) {
      const Impl::Panel& pn = im.panels[p];
      const int grp = static_cast<int>(p) / im.panelsPerGroup;
      for (int s = 0; s < 16 * pn.nv; ++s) {
        const int cg = pn.n0 + (pn.permuted ? igemmPermutedColumn(s) : s);
        if (cg >= coutG) continue;
        const int co = grp * coutG + cg;
        im.igBias[pn.col + s] = im.bias32[co];
        im.igScale[pn.col + s] = im.scale[co];
        if (!im.igBiasF.empty()) im.igBiasF[pn.col + s] = im.biasF[co];
      }
    }
  }
  return conv;
}

namespace {

// Copies n bytes in 16-byte pieces (inlined; memcpy calls cost more than the copy for the
// 16-256 byte runs of an im2col row).
inline void copyRun(uint8_t* d, const uint8_t* s, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) std::memcpy(d + i, s + i, 16);
  for (; i < n; ++i) d[i] = s[i];
}

// Output pixel m (image b, row oy, column ox) of a conv's output, found once with divisions and
// then stepped in row-major order: the gathers visit millions of pixels in sequence (small-channel
// convs gather millions of short rows, where two divisions per row cost more than the copy).
struct OutputPixel {
  const ConvGeometry& g;
  int b, oy, ox;
  OutputPixel(const ConvGeometry& geo, int64_t m) : g(geo) {
    const int64_t perImage = static_cast<int64_t>(g.oh) * g.ow;
    b = static_cast<int>(m / perImage);
    const int rem = static_cast<int>(m % perImage);
    oy = rem / g.ow;
    ox = rem % g.ow;
  }
  void next() {
    if (++ox == g.ow) {
      ox = 0;
      if (++oy == g.oh) {
        oy = 0;
        ++b;
      }
    }
  }
};

// Gathers im2col rows [m0, m0 + rows) of group `grp` into dst (rows x kp*cinG, u8; int8
// activations flipped to u8), padding with the input zero point. With no dilation along x and
// one group, a kernel row's taps are one contiguous run of kw * cin bytes.
void im2colRows(const Conv2dConfig& c, const ConvGeometry& g, int grp, int cinG, int32_t zxU8, const uint8_t* x,
                int64_t m0, int rows, size_t rowStride, uint8_t* dst) {
  const int kp = c.kh * c.kw;
  const size_t rowLen = static_cast<size_t>(kp) * cinG;
  const bool flip = c.inputType == DType::kS8;
  OutputPixel px(g, m0);
  for (int r = 0; r < rows; ++r, px.next()) {
    const int b = px.b, oy = px.oy, ox = px.ox;
    uint8_t* d = dst + r * rowStride;
    if (rowStride > rowLen) std::memset(d + rowLen, zxU8, rowStride - rowLen);
    const int ix0 = ox * c.strideW - g.padLeft;
    const bool rowRun = !flip && c.groups == 1 && c.dilationW == 1 && ix0 >= 0 && ix0 + c.kw <= g.w;
    for (int ky = 0; ky < c.kh; ++ky) {
      const int iy = oy * c.strideH - g.padTop + ky * c.dilationH;
      if (rowRun && iy >= 0 && iy < g.h) {
        const size_t len = static_cast<size_t>(c.kw) * cinG;
        const uint8_t* s = x + ((static_cast<size_t>(b) * g.h + iy) * g.w + ix0) * c.cin;
        if (len <= 16) {
          for (size_t i = 0; i < len; ++i) d[i] = s[i];
        } else {
          copyRun(d, s, len);
        }
        d += len;
        continue;
      }
      for (int kx = 0; kx < c.kw; ++kx, d += cinG) {
        const int ix = ox * c.strideW - g.padLeft + kx * c.dilationW;
        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) {
          std::memset(d, zxU8, static_cast<size_t>(cinG));
          continue;
        }
        const uint8_t* s = x + ((static_cast<size_t>(b) * g.h + iy) * g.w + ix) * c.cin + static_cast<size_t>(grp) * cinG;
        if (flip)
          for (int ci = 0; ci < cinG; ++ci) d[ci] = s[ci] ^ 0x80;
        else
          copyRun(d, s, static_cast<size_t>(cinG));
      }
    }
  }
}

// Indirection rows [m0, m0 + rows): for each output pixel, kp pointers (kernel row major) to
// the input pixel each tap reads, or to `zero` (the input zero point) where the tap falls in the
// padding.
void buildIndirection(const Conv2dConfig& c, const ConvGeometry& g, const uint8_t* x, const uint8_t* zero, int64_t m0,
                      int rows, const uint8_t** ind) {
  const size_t rowBytes = static_cast<size_t>(g.w) * c.cin;
  OutputPixel px(g, m0);
  for (int r = 0; r < rows; ++r, px.next()) {
    const int b = px.b, oy = px.oy, ox = px.ox;
    const uint8_t* img = x + static_cast<size_t>(b) * g.h * rowBytes;
    const int iy0 = oy * c.strideH - g.padTop, ix0 = ox * c.strideW - g.padLeft;
    for (int ky = 0; ky < c.kh; ++ky) {
      const int iy = iy0 + ky * c.dilationH;
      if (iy < 0 || iy >= g.h) {
        for (int kx = 0; kx < c.kw; ++kx) *ind++ = zero;
        continue;
      }
      const uint8_t* row = img + static_cast<size_t>(iy) * rowBytes;
      for (int kx = 0; kx < c.kw; ++kx) {
        const int ix = ix0 + kx * c.dilationW;
        *ind++ = (ix >= 0 && ix < g.w) ? row + static_cast<size_t>(ix) * c.cin : zero;
      }
    }
  }
}

void flipSign(const uint8_t* x, size_t n, uint8_t* dst) {
  for (size_t i = 0; i < n; ++i) dst[i] = x[i] ^ 0x80;
}

// Row-packed input rows [r0, r1) (r = image * h + input row) for Impl::rowPack: for each output
// column ox, the kw taps (kx-major, cin bytes each) of input row r at columns
// ox * strideW - padLeft + kx * dilationW, the zero point outside the image, then zero points up to
// rowCin bytes. int8 activations are flipped to u8.
void rowPackRows(const Conv2dConfig& c, const ConvGeometry& g, int rowCin, uint8_t zx, const uint8_t* x, int64_t r0,
                 int64_t r1, uint8_t* t) {
  const bool flip = c.inputType == DType::kS8;
  const size_t run = static_cast<size_t>(c.kw) * c.cin;
  const uint8_t* xEnd = x + static_cast<size_t>(g.n) * g.h * g.w * c.cin;
  // Output columns whose taps all lie inside the image (contiguous when dilationW == 1).
  const int oxLo = std::min(g.ow, (g.padLeft + c.strideW - 1) / c.strideW);
  const int lastStart = g.w - c.kw + g.padLeft;  // ox * strideW may reach this
  const int oxHi = lastStart < 0 ? oxLo : std::max(oxLo, std::min(g.ow, lastStart / c.strideW + 1));
  // 16-byte copies with the padding bytes replaced by the zero point: keep[i] = 0xFF for i < run.
  const bool fast = !flip && c.dilationW == 1 && run <= 16;
  uint8_t keepB[16], fillB[16];
  for (int i = 0; i < 16; ++i) {
    keepB[i] = static_cast<size_t>(i) < run ? 0xFF : 0;
    fillB[i] = static_cast<size_t>(i) < run ? 0 : zx;
  }
  uint64_t keep[2], fill[2];  // the same bytes as two 64-bit words (any byte order)
  std::memcpy(keep, keepB, 16);
  std::memcpy(fill, fillB, 16);
  auto general = [&](const uint8_t* src, uint8_t* d, int ox) {
    const int ix0 = ox * c.strideW - g.padLeft;
    for (int kx = 0; kx < c.kw; ++kx) {
      const int ix = ix0 + kx * c.dilationW;
      uint8_t* dk = d + static_cast<size_t>(kx) * c.cin;
      if (ix < 0 || ix >= g.w) {
        std::memset(dk, zx, static_cast<size_t>(c.cin));
      } else {
        const uint8_t* sk = src + static_cast<size_t>(ix) * c.cin;
        for (int ci = 0; ci < c.cin; ++ci) dk[ci] = flip ? static_cast<uint8_t>(sk[ci] ^ 0x80) : sk[ci];
      }
    }
    for (size_t i = run; i < static_cast<size_t>(rowCin); ++i) d[i] = zx;
  };
  const size_t step = static_cast<size_t>(c.strideW) * c.cin;
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* src = x + static_cast<size_t>(r) * g.w * c.cin;
    uint8_t* const row = t + static_cast<size_t>(r) * g.ow * rowCin;
    uint8_t* const dEnd = row + static_cast<size_t>(g.ow) * rowCin;
    for (int ox = 0; ox < oxLo; ++ox) general(src, row + static_cast<size_t>(ox) * rowCin, ox);
    int ox = oxLo;
    if (fast) {
      // The 16 bytes written past a pixel's rowCin land in the next pixels' slots of this row
      // (written after it); the last pixels of the row, and reads past the input, go below.
      const uint8_t* s = src + static_cast<size_t>(oxLo * c.strideW - g.padLeft) * c.cin;
      uint8_t* d = row + static_cast<size_t>(oxLo) * rowCin;
      for (; ox < oxHi && d + 16 <= dEnd && s + 16 <= xEnd; ++ox, s += step, d += rowCin) {
        uint64_t v0, v1;
        std::memcpy(&v0, s, 8);
        std::memcpy(&v1, s + 8, 8);
        v0 = (v0 & keep[0]) | fill[0];
        v1 = (v1 & keep[1]) | fill[1];
        std::memcpy(d, &v0, 8);
        std::memcpy(d + 8, &v1, 8);
      }
    }
    for (; ox < g.ow; ++ox) general(src, row + static_cast<size_t>(ox) * rowCin, ox);
  }
}

}  // namespace

void Conv2d::run(const void* xIn, int n, int h, int w, void* y, int maxThreads) const {
  const Conv2dConfig& c = cfg_;
  const Impl& im = *impl_;
  const ConvGeometry g = geometry(n, h, w);
  const uint8_t* x = static_cast<const uint8_t*>(xIn);
  const int64_t M = static_cast<int64_t>(n) * g.oh * g.ow;
  const size_t ob = elemBytes(c.outputType);
  ThreadPool& pool = ThreadPool::global();
  int threads = pool.numThreads();
  if (maxThreads > 0) threads = std::min(threads, maxThreads);

  switch (im.algo) {
    case Algo::kGemm: {
      for (int grp = 0; grp < c.groups; ++grp) {
        const Linear& l = *im.gemms[grp];
        gemm(l.packed(), x + static_cast<size_t>(grp) * im.cinG, c.cin, c.inputType == DType::kS8, static_cast<int>(M),
             static_cast<uint8_t*>(y) + static_cast<size_t>(grp) * im.coutG * ob, c.cout, l.epilogue(), maxThreads);
      }
      return;
    }
    case Algo::kIm2col: {
      const size_t rowLen = static_cast<size_t>(im.rowStride);
      // Small problems: gather everything once, then split the output channels across threads.
      if (M * static_cast<int64_t>(rowLen) <= (1 << 20) || M < 64 * threads) {
        uint8_t* a = static_cast<uint8_t*>(tIm2col.get(static_cast<size_t>(M) * rowLen));
        for (int grp = 0; grp < c.groups; ++grp) {
          const int64_t chunk = std::max<int64_t>(1, (M + 4 * threads - 1) / (4 * threads));
          const int tasks = static_cast<int>((M + chunk - 1) / chunk);
          pool.parallelFor(
              tasks,
              [&](int t, int) {
                const int64_t m0 = t * chunk;
                im2colRows(c, g, grp, im.cinG, im.zxU8, x, m0, static_cast<int>(std::min(chunk, M - m0)), rowLen, a + m0 * rowLen);
              },
              threads);
          const Linear& l = *im.gemms[grp];
          gemm(l.packed(), a, rowLen, false, static_cast<int>(M),
               static_cast<uint8_t*>(y) + static_cast<size_t>(grp) * im.coutG * ob, c.cout, l.epilogue(), maxThreads);
        }
        return;
      }
      // Blocks of output pixels: each task gathers its rows into its own scratch and runs every
      // output channel on them, so the gathered block is used while it is in cache.
      const int64_t block = std::max<int64_t>(8, std::min<int64_t>(192, (64 * 1024) / static_cast<int64_t>(rowLen) / 8 * 8));
      const int64_t blocks = (M + block - 1) / block;
      pool.parallelFor(
          static_cast<int>(blocks * c.groups),
          [&](int t, int) {
            const int grp = static_cast<int>(t % c.groups);
            const int64_t m0 = (t / c.groups) * block;
            const int rows = static_cast<int>(std::min(block, M - m0));
            uint8_t* a = static_cast<uint8_t*>(tIm2col.get(static_cast<size_t>(block) * rowLen));
            im2colRows(c, g, grp, im.cinG, im.zxU8, x, m0, rows, rowLen, a);
            const Linear& l = *im.gemms[grp];
            gemm(l.packed(), a, rowLen, false, rows,
                 static_cast<uint8_t*>(y) + (static_cast<size_t>(m0) * c.cout + static_cast<size_t>(grp) * im.coutG) * ob,
                 c.cout, l.epilogue(), 1);
          },
          threads);
      return;
    }
    case Algo::kIndirect: {
      const size_t imgIn = static_cast<size_t>(h) * w * c.cin;
      const uint8_t* xs = x;
      // The configuration and geometry the indirection is built for (those of the kh x 1 conv
      // over the row-packed input when rowPack).
      const Conv2dConfig& ci = im.rowPack ? im.rowCfg : c;
      ConvGeometry gi = g;
      if (im.rowPack) {
        gi.w = g.ow;
        gi.padLeft = 0;
        const int64_t rows = static_cast<int64_t>(n) * h;
        const size_t rowBytes = static_cast<size_t>(g.ow) * im.rowCin;
        uint8_t* t = static_cast<uint8_t*>(tIm2col.get(static_cast<size_t>(rows) * rowBytes));
        const uint8_t zx = static_cast<uint8_t>(im.zxU8);
        if (threads <= 1 || static_cast<size_t>(rows) * rowBytes < (64u << 10)) {
          rowPackRows(c, g, im.rowCin, zx, x, 0, rows, t);
        } else {
          const int64_t chunk = (rows + 4 * threads - 1) / (4 * threads);
          pool.parallelFor(
              static_cast<int>((rows + chunk - 1) / chunk),
              [&](int task, int) { rowPackRows(c, g, im.rowCin, zx, x, task * chunk, std::min(rows, (task + 1) * chunk), t); },
              threads);
        }
        xs = t;
      } else if (c.inputType == DType::kS8) {
        uint8_t* fx = static_cast<uint8_t*>(tIm2col.get(imgIn * n));
        flipSign(x, imgIn * n, fx);
        xs = fx;
      }
      const int kp = im.kp;
      const int ppg = im.panelsPerGroup;
      // Row blocks (a multiple of every tile height), split further so that each thread gets
      // about 4 tasks; when there are too few rows, the panels are split as well.
      constexpr int kUnit = 24;
      int64_t mc = std::min<int64_t>(M, 192);
      if (threads > 1 && (M + mc - 1) / mc < 4 * threads)
        mc = std::max<int64_t>(kUnit, ((M + 4 * threads - 1) / (4 * threads) + kUnit - 1) / kUnit * kUnit);
      mc = std::min<int64_t>(mc, M);
      const int64_t mBlocks = (M + mc - 1) / mc;
      int pg = ppg;
      if (threads > 1 && mBlocks * c.groups < 4 * threads) {
        const int64_t want = 4 * threads;
        pg = static_cast<int>(std::max<int64_t>(1, (ppg * mBlocks * c.groups + want - 1) / want / (mBlocks * c.groups)));
        pg = std::max(1, std::min(pg, ppg));
      }
      const int pGroups = (ppg + pg - 1) / pg;
      const int64_t tasks = mBlocks * c.groups * pGroups;
      IgemmArgs base{};
      base.kp = kp;
      base.cinG = im.cinG;
      base.ldcBytes = static_cast<size_t>(c.cout) * ob;
      base.ep.kind = static_cast<GemmOut>(c.outputType);
      base.ep.zeroPoint = c.output.zeroPoint;
      base.ep.lo = im.lo;
      base.ep.hi = im.hi;
      // The whole layer's indirection, from the cache or built once here, when small enough;
      // otherwise each task builds its rows.
      std::shared_ptr<const uint8_t*[]> whole;
      const size_t indCount = static_cast<size_t>(M) * kp;
      if (indCount * sizeof(void*) <= kIndCacheBytes) {
        {
          std::lock_guard<std::mutex> lock(im.indMu);
          for (const Impl::IndEntry& e : im.indCache)
            if (e.ind && e.x == xs && e.n == n && e.h == h && e.w == w) whole = e.ind;
        }
        if (!whole) {
          whole.reset(new const uint8_t*[indCount]);
          buildIndirection(ci, gi, xs, im.zeroRow.get(), 0, static_cast<int>(M), whole.get());
          std::lock_guard<std::mutex> lock(im.indMu);
          im.indCache[im.indVictim] = {xs, n, h, w, whole};
          im.indVictim ^= 1;
        }
      }
      auto runTask = [&](int t, int) {
        const int pgi = static_cast<int>(t % pGroups);
        const int grp = static_cast<int>((t / pGroups) % c.groups);
        const int64_t m0 = t / pGroups / c.groups * mc;
        const int rows = static_cast<int>(std::min(mc, M - m0));
        const uint8_t* const* ind;
        if (whole) {
          ind = whole.get() + static_cast<size_t>(m0) * kp;
        } else {
          const uint8_t** own = static_cast<const uint8_t**>(tInd.get(static_cast<size_t>(rows) * kp * sizeof(void*)));
          buildIndirection(ci, gi, xs, im.zeroRow.get(), m0, rows, own);
          ind = own;
        }
        IgemmArgs a = base;
        a.ind = ind;
        a.aOffset = static_cast<size_t>(grp) * im.cinG;
        a.m = rows;
        for (int p = pgi * pg; p < std::min(ppg, (pgi + 1) * pg); ++p) {
          const Impl::Panel& pn = im.panels[static_cast<size_t>(grp) * ppg + p];
          a.b = im.igBuf.get() + pn.off;
          a.nv = pn.nv;
          a.nvalid = std::min(16 * pn.nv, im.coutG - pn.n0);
          a.permuted = pn.permuted;
          a.c = static_cast<uint8_t*>(y) + (static_cast<size_t>(m0) * c.cout + static_cast<size_t>(grp) * im.coutG + pn.n0) * ob;
          a.ep.bias32 = im.igBias.data() + pn.col;
          a.ep.scale = im.igScale.data() + pn.col;
          a.ep.biasF = im.igBiasF.empty() ? nullptr : im.igBiasF.data() + pn.col;
          im.ig->run(a);
        }
      };
      if (threads <= 1 || tasks <= 1) {
        for (int t = 0; t < static_cast<int>(tasks); ++t) runTask(t, 0);
      } else {
        pool.parallelFor(static_cast<int>(tasks), runTask, threads);
      }
      return;
    }
    case Algo::kDepthwise: {
      const bool flip = c.inputType == DType::kS8;
      const size_t imgIn = static_cast<size_t>(h) * w * c.cin, imgOut = static_cast<size_t>(g.oh) * g.ow * c.cout;
      const uint8_t* xs = x;
      if (flip) {
        uint8_t* fx = static_cast<uint8_t*>(tIm2col.get(imgIn * n));
        for (size_t i = 0; i < imgIn * n; ++i) fx[i] = x[i] ^ 0x80;
        xs = fx;
      }
      DwConvArgs base{};
      base.h = h;
      base.w = w;
      base.c = c.cin;
      base.kh = c.kh;
      base.kw = c.kw;
      base.sh = c.strideH;
      base.sw = c.strideW;
      base.dh = c.dilationH;
      base.dw = c.dilationW;
      base.padT = g.padTop;
      base.padL = g.padLeft;
      base.oh = g.oh;
      base.ow = g.ow;
      base.zx = im.zxU8;
      base.weights = im.dwBuf.get();
      base.vbmi = cpuFeatures().avx512vbmi;
      base.noOverflow = im.dwNoOverflow;
      base.ep.kind = static_cast<GemmOut>(c.outputType);
      base.ep.bias32 = im.bias32.data();
      base.ep.scale = im.scale.data();
      base.ep.biasF = im.biasF.empty() ? nullptr : im.biasF.data();
      base.ep.zeroPoint = c.output.zeroPoint;
      base.ep.lo = im.lo;
      base.ep.hi = im.hi;
      // Tasks: bands of output rows of each image. Every band re-transforms the kh - 1 input rows
      // above it, so bands stay tall: one per image on one thread, about two per thread otherwise.
      // Even band heights: the AVX-512 3x3 kernel computes output rows in pairs.
      const int perThread = threads > 1 ? 2 * threads : 1;
      int band = std::max(1, std::min(g.oh, (g.oh * n + perThread - 1) / perThread));
      if (band % 2 && band < g.oh) ++band;
      const int bandsPerImage = (g.oh + band - 1) / band;
      pool.parallelFor(
          n * bandsPerImage,
          [&](int t, int) {
            DwConvArgs a = base;
            const int b = t / bandsPerImage;
            a.x = xs + b * imgIn;
            a.y = static_cast<uint8_t*>(y) + b * imgOut * ob;
            a.oyBegin = (t % bandsPerImage) * band;
            a.oyEnd = std::min(g.oh, a.oyBegin + band);
            const size_t sb = im.dw->scratchBytes(a);
            a.scratch = sb ? tCols.get(sb) : nullptr;
            im.dw->run(a);
          },
          threads);
      return;
    }
    case Algo::kTranspose: {
      if (im.tDirect) {
        // Input row iy and kernel row ky give output row iy * sh + ky: input pixel ix writes
        // output pixels ix * sw .. ix * sw + kw - 1, i.e. kw * cout contiguous outputs.
        const int tasks = n * h * c.kh;
        pool.parallelFor(
            tasks,
            [&](int t, int) {
              const int ky = t % c.kh, iy = (t / c.kh) % h, b = t / c.kh / h;
              const Linear& l = *im.gemms[ky];
              const uint8_t* xr = x + (static_cast<size_t>(b) * h + iy) * w * c.cin;
              uint8_t* yr = static_cast<uint8_t*>(y) + ((static_cast<size_t>(b) * g.oh + iy * c.strideH + ky) * g.ow) * c.cout * ob;
              gemm(l.packed(), xr, c.cin, c.inputType == DType::kS8, w, yr, static_cast<size_t>(c.kw) * c.cout, l.epilogue(), 1);
            },
            threads);
        return;
      }
      // Bands of output rows; each band runs the GEMM on the input rows that reach it, then
      // gathers every output pixel's columns (col2im) and applies the output stage (c2i).
      const int kp = im.kp, coutG = im.coutG, cinG = im.cinG;
      const size_t colW = static_cast<size_t>(kp) * coutG;  // GEMM output columns per group
      const int ekh = (c.kh - 1) * c.dilationH + 1;
      const int band = std::max(1, std::min(g.oh, 4 * c.strideH));
      const int bandsPerImage = (g.oh + band - 1) / band;
      // Per output column ox: the (input column, kernel column) pairs that reach it.
      std::vector<int> xBegin(static_cast<size_t>(g.ow) + 1), xIx, xKx;
      for (int ox = 0; ox < g.ow; ++ox) {
        xBegin[ox] = static_cast<int>(xIx.size());
        for (int kx = 0; kx < c.kw; ++kx) {
          const int tx = ox + g.padLeft - kx * c.dilationW;
          if (tx < 0 || tx % c.strideW) continue;
          const int ix = tx / c.strideW;
          if (ix >= w) continue;
          xIx.push_back(ix);
          xKx.push_back(kx);
        }
      }
      xBegin[g.ow] = static_cast<int>(xIx.size());
      GemmEpilogue ep{};
      ep.kind = static_cast<GemmOut>(c.outputType);
      ep.zeroPoint = c.output.zeroPoint;
      ep.lo = im.lo;
      ep.hi = im.hi;
      pool.parallelFor(
          n * bandsPerImage * c.groups,
          [&](int t, int) {
            const int grp = t % c.groups;
            const int bi = (t / c.groups) % bandsPerImage;
            const int b = t / c.groups / bandsPerImage;
            const int oy0 = bi * band, oy1 = std::min(g.oh, oy0 + band);
            // Input rows iy with oy = iy*s - pad + ky*d in [oy0, oy1) for some ky.
            int iy0 = (oy0 + g.padTop - (ekh - 1) + c.strideH - 1);
            iy0 = iy0 >= 0 ? iy0 / c.strideH : -((-iy0) / c.strideH);
            iy0 = std::max(0, iy0);
            const int iy1 = std::min(h, (oy1 - 1 + g.padTop) / c.strideH + 1);
            const int rowsIn = std::max(0, iy1 - iy0) * w;
            int32_t* cols = static_cast<int32_t*>(tCols.get(std::max<size_t>(1, static_cast<size_t>(rowsIn) * colW * 4)));
            const Linear& l = *im.gemms[grp];
            const uint8_t* xb = x + (static_cast<size_t>(b) * h + iy0) * w * c.cin + static_cast<size_t>(grp) * cinG;
            if (rowsIn > 0) gemm(l.packed(), xb, c.cin, c.inputType == DType::kS8, rowsIn, cols, colW, l.epilogue(), 1);
            const int32_t** rows = static_cast<const int32_t**>(tAcc.get(static_cast<size_t>(kp) * sizeof(void*)));
            GemmEpilogue e = ep;
            e.bias32 = im.bias32.data() + static_cast<size_t>(grp) * coutG;
            e.scale = im.scale.data() + static_cast<size_t>(grp) * coutG;
            e.biasF = im.biasF.empty() ? nullptr : im.biasF.data() + static_cast<size_t>(grp) * coutG;
            std::vector<int> kys(c.kh), iys(c.kh);
            for (int oy = oy0; oy < oy1; ++oy) {
              // The kernel rows that reach this output row.
              int nky = 0;
              for (int ky = 0; ky < c.kh; ++ky) {
                const int ty = oy + g.padTop - ky * c.dilationH;
                if (ty < 0 || ty % c.strideH) continue;
                const int iy = ty / c.strideH;
                if (iy < iy0 || iy >= iy1) continue;
                kys[nky] = ky;
                iys[nky++] = iy;
              }
              uint8_t* yRow = static_cast<uint8_t*>(y) + ((static_cast<size_t>(b) * g.oh + oy) * g.ow * c.cout + static_cast<size_t>(grp) * coutG) * ob;
              for (int ox = 0; ox < g.ow; ++ox) {
                int nr = 0;
                for (int e2 = xBegin[ox]; e2 < xBegin[ox + 1]; ++e2)
                  for (int r = 0; r < nky; ++r)
                    rows[nr++] = cols + (static_cast<size_t>(iys[r] - iy0) * w + xIx[e2]) * colW +
                                 static_cast<size_t>(kys[r] * c.kw + xKx[e2]) * coutG;
                im.c2i->sumStage(rows, nr, coutG, e, yRow + static_cast<size_t>(ox) * c.cout * ob);
              }
            }
          },
          threads);
      return;
    }
  }
}

}  // namespace qint8
