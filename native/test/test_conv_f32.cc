// Float32 Conv / ConvTranspose (NHWC): every ISA tier, algorithm and thread count equals the
// reference (convF32Reference) bit for bit. The kernels keep the reference's order of operations
// (one FMA chain per output over the taps in (ky, kx, ci) order, padding taps multiplying zeros;
// for ConvTranspose, per-tap FMA chains added in (ky, kx) order), so no tolerance is needed.
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/conv_f32.h"
#include "qint8/cpu.h"

using namespace qint8;

namespace {

struct Case {
  bool transposed;
  int n, h, w, cin, cout, kh, kw, groups, sh, sw, dh, dw, pt, pl, pb, pr;
  AutoPad autoPad;
  int oph, opw, osh, osw;
  bool bias;
  ActKind act;
};

std::string describe(const Case& c) {
  char b[400];
  std::snprintf(b, sizeof b, "%s n=%d h=%d w=%d cin=%d cout=%d k=%dx%d g=%d s=%d,%d d=%d,%d pad=%d,%d,%d,%d auto=%d op=%d,%d os=%d,%d bias=%d act=%d",
                c.transposed ? "ConvT" : "Conv", c.n, c.h, c.w, c.cin, c.cout, c.kh, c.kw, c.groups, c.sh, c.sw, c.dh, c.dw, c.pt,
                c.pl, c.pb, c.pr, static_cast<int>(c.autoPad), c.oph, c.opw, c.osh, c.osw, c.bias, static_cast<int>(c.act));
  return b;
}

bool sameBits(float a, float b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

void runCase(const Case& cc, uint64_t seed) {
  qt::Rng rng(seed);
  ConvF32Config c;
  c.transposed = cc.transposed;
  c.cin = cc.cin;
  c.cout = cc.cout;
  c.kh = cc.kh;
  c.kw = cc.kw;
  c.groups = cc.groups;
  c.strideH = cc.sh;
  c.strideW = cc.sw;
  c.dilationH = cc.dh;
  c.dilationW = cc.dw;
  c.padTop = cc.pt;
  c.padLeft = cc.pl;
  c.padBottom = cc.pb;
  c.padRight = cc.pr;
  c.autoPad = cc.autoPad;
  c.outputPaddingH = cc.oph;
  c.outputPaddingW = cc.opw;
  c.outputShapeH = cc.osh;
  c.outputShapeW = cc.osw;
  c.act.kind = cc.act;
  if (cc.act == ActKind::kClip) {
    c.act.p0 = -0.25f;
    c.act.p1 = 0.5f;
  } else if (cc.act == ActKind::kLeakyRelu) {
    c.act.p0 = 0.125f;
  } else if (cc.act == ActKind::kHardSigmoid) {
    c.act.p0 = 0.3f;
    c.act.p1 = 0.4f;
  }
  const size_t wsize = cc.transposed ? static_cast<size_t>(cc.cin) * (cc.cout / cc.groups) * cc.kh * cc.kw
                                     : static_cast<size_t>(cc.cout) * (cc.cin / cc.groups) * cc.kh * cc.kw;
  std::vector<float> w(wsize), bias(cc.cout);
  for (auto& v : w) v = rng.uniformf(-1, 1);
  for (auto& v : bias) v = rng.uniformf(-1, 1);
  c.weight = w.data();
  c.bias = cc.bias ? bias.data() : nullptr;
  std::vector<float> x(static_cast<size_t>(cc.n) * cc.h * cc.w * cc.cin);
  for (auto& v : x) v = rng.uniformf(-1, 1);
  if (x.size() > 10) {
    x[1] = -0.0f;
    x[x.size() / 2] = std::numeric_limits<float>::infinity();
  }

  ConvF32Geometry g;
  try {
    g = convF32Geometry(c, cc.n, cc.h, cc.w);
  } catch (const std::invalid_argument& e) {
    qt::fail(__FILE__, __LINE__, describe(cc) + ": " + e.what());
    return;
  }
  const size_t ysize = static_cast<size_t>(cc.n) * g.oh * g.ow * cc.cout;
  std::vector<float> want(ysize, 7.0f);
  convF32Reference(c, x.data(), cc.n, cc.h, cc.w, want.data());
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (!isaSupported(isa)) continue;
    c.isa = isa;
    auto conv = ConvF32::create(c);
    for (int threads : {1, 2}) {
      std::vector<float> got(ysize, 9.0f);
      conv->run(x.data(), cc.n, cc.h, cc.w, got.data(), nullptr, threads);
      for (size_t at = 0; at < ysize; ++at)
        if (!sameBits(got[at], want[at])) {
          char m[200];
          std::snprintf(m, sizeof m, " isa=%s algo=%s threads=%d: first mismatch at %zu of %zu: got %.9g want %.9g", isaName(isa),
                        conv->algorithm(), threads, at, ysize, got[at], want[at]);
          qt::fail(__FILE__, __LINE__, describe(cc) + m);
          return;
        }
    }
    {  // a residual sum: y = act((conv + bias) + sum), the unfused Conv -> Add -> activation
      ConvF32Config c3 = c;
      c3.act = Activation{};
      std::vector<float> plain(ysize), sum(ysize), want3(ysize);
      convF32Reference(c3, x.data(), cc.n, cc.h, cc.w, plain.data());
      for (auto& v : sum) v = rng.uniformf(-1, 1);
      if (ysize > 4) sum[3] = -std::numeric_limits<float>::infinity();
      for (size_t at = 0; at < ysize; ++at) want3[at] = applyActivation(c.act, plain[at] + sum[at]);
      for (int threads : {1, 2}) {
        std::vector<float> got(ysize, 9.0f);
        conv->run(x.data(), cc.n, cc.h, cc.w, got.data(), nullptr, threads, sum.data());
        for (size_t at = 0; at < ysize; ++at)
          if (!sameBits(got[at], want3[at])) {
            char m[200];
            std::snprintf(m, sizeof m, " sum isa=%s algo=%s threads=%d: first mismatch at %zu of %zu: got %.9g want %.9g", isaName(isa),
                          conv->algorithm(), threads, at, ysize, got[at], want3[at]);
            qt::fail(__FILE__, __LINE__, describe(cc) + m);
            return;
          }
      }
    }
    if (cc.bias) {  // a run-time bias replaces the configured one
      std::vector<float> got(ysize), want2(ysize);
      std::vector<float> bias2(cc.cout);
      for (auto& v : bias2) v = rng.uniformf(-2, 2);
      ConvF32Config c2 = c;
      c2.bias = bias2.data();
      convF32Reference(c2, x.data(), cc.n, cc.h, cc.w, want2.data());
      conv->run(x.data(), cc.n, cc.h, cc.w, got.data(), bias2.data(), 2);
      for (size_t at = 0; at < ysize; ++at)
        if (!sameBits(got[at], want2[at])) {
          qt::fail(__FILE__, __LINE__, describe(cc) + " run-time bias isa=" + isaName(isa));
          return;
        }
    }
  }
}

constexpr AutoPad NS = AutoPad::kNotSet;

}  // namespace

TEST(conv_f32_every_isa_equals_reference) {
  const Case cases[] = {
      // gemm (1x1), indirect, im2col
      {false, 1, 7, 9, 16, 24, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, NS, 0, 0, 0, 0, true, ActKind::kRelu},
      {false, 2, 5, 6, 40, 70, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, NS, 0, 0, 0, 0, false, ActKind::kNone},
      {false, 1, 9, 11, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, true, ActKind::kNone},
      {false, 2, 10, 7, 13, 21, 3, 3, 1, 2, 2, 1, 1, 1, 0, 1, 2, NS, 0, 0, 0, 0, true, ActKind::kClip},
      {false, 1, 12, 12, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, true, ActKind::kHardSwish},
      {false, 1, 8, 8, 3, 16, 7, 7, 1, 2, 2, 1, 1, 3, 3, 3, 3, NS, 0, 0, 0, 0, true, ActKind::kLeakyRelu},
      {false, 1, 16, 16, 3, 32, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, true, ActKind::kHardSigmoid},
      {false, 1, 11, 9, 12, 18, 3, 2, 3, 1, 2, 2, 1, 2, 0, 2, 1, NS, 0, 0, 0, 0, true, ActKind::kRelu},
      {false, 1, 9, 9, 16, 32, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, NS, 0, 0, 0, 0, true, ActKind::kNone},   // strided 1x1
      {false, 1, 6, 7, 24, 40, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0, AutoPad::kSameUpper, 0, 0, 0, 0, true, ActKind::kNone},
      {false, 1, 6, 7, 24, 40, 4, 4, 1, 2, 2, 1, 1, 0, 0, 0, 0, AutoPad::kSameLower, 0, 0, 0, 0, false, ActKind::kNone},
      {false, 1, 7, 8, 20, 12, 2, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0, AutoPad::kValid, 0, 0, 0, 0, true, ActKind::kNone},
      // few input channels (direct kernels on AVX-512): 1-4 channels, cout 8 / 24 / 80 / 144
      // (channel tails, 1-4 blocks per pass, two passes), borders on every side, wide rows (full
      // tiles of interior pixels), dilation, SAME, batches
      {false, 2, 9, 40, 3, 24, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, true, ActKind::kClip},
      {false, 1, 11, 37, 1, 8, 5, 5, 1, 1, 1, 1, 1, 2, 3, 1, 4, NS, 0, 0, 0, 0, false, ActKind::kNone},
      {false, 1, 10, 33, 2, 80, 3, 3, 1, 1, 2, 2, 1, 2, 2, 2, 2, NS, 0, 0, 0, 0, true, ActKind::kRelu},
      {false, 2, 12, 50, 4, 144, 3, 2, 1, 1, 1, 1, 3, 0, 3, 1, 0, NS, 0, 0, 0, 0, true, ActKind::kHardSwish},
      {false, 1, 19, 45, 3, 64, 7, 7, 1, 2, 2, 1, 1, 3, 3, 3, 3, NS, 0, 0, 0, 0, true, ActKind::kRelu},
      {false, 1, 13, 29, 3, 48, 3, 3, 1, 2, 2, 1, 1, 0, 0, 0, 0, AutoPad::kSameUpper, 0, 0, 0, 0, true, ActKind::kNone},
      {false, 1, 3, 70, 7, 32, 4, 4, 1, 1, 1, 1, 1, 1, 0, 1, 0, NS, 0, 0, 0, 0, true, ActKind::kNone},   // every row crosses the padding
      // direct, 4 blocks of 16 output channels (6-pixel tiles and 1..5-pixel short tiles): 7x7 s2
      // stems of widths 13..24 (interior runs of every length mod 6, both borders), 1-5 input
      // channels, dilation 2 (per-tap border gather), 80 channels (4 + 1 blocks)
      {false, 1, 13, 13, 3, 64, 7, 7, 1, 2, 2, 1, 1, 3, 3, 3, 3, NS, 0, 0, 0, 0, true, ActKind::kRelu},
      {false, 1, 9, 20, 1, 64, 7, 7, 1, 2, 2, 1, 1, 3, 3, 3, 3, NS, 0, 0, 0, 0, true, ActKind::kNone},
      {false, 1, 8, 22, 5, 64, 7, 7, 1, 2, 2, 1, 1, 3, 3, 3, 3, NS, 0, 0, 0, 0, false, ActKind::kRelu},
      {false, 1, 11, 24, 3, 80, 7, 7, 1, 2, 2, 1, 1, 3, 2, 3, 1, NS, 0, 0, 0, 0, true, ActKind::kClip},
      {false, 2, 10, 17, 2, 64, 3, 3, 1, 1, 1, 2, 2, 2, 2, 2, 2, NS, 0, 0, 0, 0, true, ActKind::kNone},
      {false, 1, 12, 31, 3, 64, 5, 5, 1, 1, 1, 1, 1, 2, 2, 2, 2, NS, 0, 0, 0, 0, true, ActKind::kRelu},
      // deep K (chunked): 3x3 x 128 in = 1152
      {false, 1, 6, 6, 128, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, true, ActKind::kRelu},
      {false, 1, 4, 5, 600, 33, 1, 2, 1, 1, 1, 1, 1, 0, 1, 0, 0, NS, 0, 0, 0, 0, true, ActKind::kNone},
      {false, 1, 4, 4, 256, 200, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, true, ActKind::kRelu},  // B > 1 MB: K chunks
      // B > 1 MB and a small A: panel by panel with B prefetched (AVX-512); 25 pixels (4 tiles of 6 +
      // 1), a 2-column last panel, K = 2700 (not a multiple of the chunk)
      {false, 1, 5, 5, 300, 130, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, true, ActKind::kRelu},
      // grouped (not depthwise), depthwise with multiplier 2 (grouped path)
      {false, 1, 8, 9, 32, 48, 3, 3, 4, 1, 1, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, true, ActKind::kRelu},
      {false, 1, 7, 7, 8, 16, 3, 3, 8, 1, 1, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, true, ActKind::kNone},
      // depthwise: 3x3 / 5x5, stride 1 / 2, channel tails, dilation, odd kernels, wide rows
      {false, 1, 15, 13, 24, 24, 3, 3, 24, 1, 1, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, true, ActKind::kRelu},
      {false, 2, 16, 16, 40, 40, 5, 5, 40, 2, 2, 1, 1, 2, 2, 2, 2, NS, 0, 0, 0, 0, true, ActKind::kHardSwish},
      {false, 1, 14, 30, 33, 33, 3, 3, 33, 2, 2, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, false, ActKind::kNone},
      {false, 1, 20, 27, 7, 7, 5, 5, 7, 1, 1, 1, 1, 2, 2, 2, 2, NS, 0, 0, 0, 0, true, ActKind::kClip},
      {false, 1, 12, 21, 17, 17, 3, 3, 17, 1, 1, 2, 2, 2, 2, 2, 2, NS, 0, 0, 0, 0, true, ActKind::kLeakyRelu},
      {false, 1, 9, 25, 64, 64, 3, 3, 64, 1, 1, 1, 1, 0, 0, 0, 0, NS, 0, 0, 0, 0, true, ActKind::kNone},
      {false, 1, 10, 19, 9, 9, 7, 7, 9, 1, 2, 1, 1, 3, 3, 3, 3, NS, 0, 0, 0, 0, true, ActKind::kHardSigmoid},
      {false, 1, 11, 23, 16, 16, 3, 1, 16, 1, 1, 1, 1, 1, 0, 1, 0, NS, 0, 0, 0, 0, true, ActKind::kNone},
      {false, 1, 6, 6, 32, 32, 3, 3, 32, 1, 1, 1, 1, 0, 0, 0, 0, AutoPad::kSameUpper, 0, 0, 0, 0, true, ActKind::kRelu},
      {false, 1, 3, 3, 16, 16, 5, 5, 16, 1, 1, 1, 1, 2, 2, 2, 2, NS, 0, 0, 0, 0, true, ActKind::kNone},  // all edge
      // ConvTranspose
      {true, 1, 5, 6, 8, 6, 2, 2, 1, 2, 2, 1, 1, 0, 0, 0, 0, NS, 0, 0, 0, 0, true, ActKind::kNone},
      {true, 1, 4, 4, 6, 10, 4, 4, 1, 2, 2, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, true, ActKind::kRelu},
      {true, 2, 5, 3, 4, 6, 3, 3, 2, 2, 1, 1, 1, 1, 0, 1, 2, NS, 1, 0, 0, 0, true, ActKind::kClip},
      {true, 1, 3, 7, 5, 7, 3, 2, 1, 3, 2, 1, 1, 0, 1, 2, 0, NS, 2, 1, 0, 0, false, ActKind::kNone},
      {true, 1, 4, 5, 16, 40, 3, 3, 1, 2, 2, 2, 1, 0, 0, 0, 0, NS, 1, 1, 0, 0, true, ActKind::kLeakyRelu},
      {true, 1, 5, 5, 8, 8, 3, 3, 1, 2, 2, 1, 1, 0, 0, 0, 0, AutoPad::kSameUpper, 1, 1, 0, 0, true, ActKind::kNone},
      {true, 1, 5, 5, 8, 8, 4, 4, 1, 2, 2, 1, 1, 0, 0, 0, 0, AutoPad::kSameLower, 0, 0, 0, 0, true, ActKind::kNone},
      {true, 1, 4, 4, 8, 8, 3, 3, 1, 2, 2, 1, 1, 0, 0, 0, 0, NS, 0, 0, 8, 9, true, ActKind::kNone},
      {true, 1, 6, 6, 64, 32, 2, 2, 1, 2, 2, 1, 1, 0, 0, 0, 0, NS, 0, 0, 0, 0, true, ActKind::kRelu},
      {true, 1, 3, 4, 12, 12, 3, 3, 12, 1, 1, 1, 1, 1, 1, 1, 1, NS, 0, 0, 0, 0, true, ActKind::kNone},  // depthwise transpose
  };
  uint64_t seed = 1;
  for (const Case& c : cases) runCase(c, seed++);
}

TEST(conv_f32_random_shapes_every_isa_equals_reference) {
  qt::Rng r(77);
  for (int it = 0; it < 60; ++it) {
    Case c{};
    c.transposed = r.uniform(0, 4) == 0;
    c.n = r.uniform(1, 2);
    c.h = r.uniform(1, 13);
    c.w = r.uniform(1, 13);
    const int mode = r.uniform(0, 2);  // 0 dense, 1 grouped, 2 depthwise
    c.groups = mode == 0 ? 1 : mode == 1 ? r.uniform(2, 3) : r.uniform(1, 40);
    const int cinG = mode == 2 ? 1 : r.uniform(1, 20), coutG = mode == 2 ? 1 : r.uniform(1, 40);
    c.cin = cinG * c.groups;
    c.cout = coutG * c.groups;
    c.kh = r.uniform(1, 5);
    c.kw = r.uniform(1, 5);
    c.sh = r.uniform(1, 3);
    c.sw = r.uniform(1, 3);
    c.dh = r.uniform(1, 2);
    c.dw = r.uniform(1, 2);
    const int ekh = (c.kh - 1) * c.dh + 1, ekw = (c.kw - 1) * c.dw + 1;
    c.pt = r.uniform(0, c.kh - 1);
    c.pb = r.uniform(0, c.kh - 1);
    c.pl = r.uniform(0, c.kw - 1);
    c.pr = r.uniform(0, c.kw - 1);
    if (!c.transposed) {
      if (c.h + c.pt + c.pb < ekh) c.h = ekh;
      if (c.w + c.pl + c.pr < ekw) c.w = ekw;
    } else {
      c.oph = r.uniform(0, std::max(c.sh, c.dh) - 1);
      c.opw = r.uniform(0, std::max(c.sw, c.dw) - 1);
      while (c.sh * (c.h - 1) + c.oph + ekh - c.pt - c.pb <= 0) ++c.h;
      while (c.sw * (c.w - 1) + c.opw + ekw - c.pl - c.pr <= 0) ++c.w;
    }
    c.autoPad = AutoPad::kNotSet;
    c.bias = r.uniform(0, 1) == 1;
    c.act = static_cast<ActKind>(r.uniform(0, 5));
    runCase(c, 1000 + it);
  }
}

// Expansion 1x1 conv + depthwise conv run band by band (runExpandDepthwise) against the two convs
// run one after the other: same bits, with bands of 1-3 rows (the rows two bands share moved to
// the front of the buffer), one band per image, fewer images than threads (the unfused fallback),
// strides, dilation, 5x5, borders, and every ISA tier.
TEST(conv_f32_expand_depthwise_equals_two_convs) {
  struct E {
    int n, h, w, cin, cexp, k, s, d, pt, pl, pb, pr;
    bool bias;
    ActKind a1, a2;
  };
  const E cases[] = {
      {3, 17, 9, 8, 24, 3, 1, 1, 1, 1, 1, 1, true, ActKind::kClip, ActKind::kClip},
      {2, 16, 11, 5, 40, 3, 2, 1, 1, 1, 1, 1, true, ActKind::kRelu, ActKind::kRelu},
      {4, 15, 7, 16, 33, 5, 1, 1, 2, 2, 2, 2, false, ActKind::kHardSwish, ActKind::kNone},
      {2, 13, 10, 6, 20, 5, 2, 1, 2, 2, 1, 1, true, ActKind::kNone, ActKind::kHardSwish},
      {2, 12, 8, 4, 16, 3, 1, 2, 2, 2, 2, 2, true, ActKind::kRelu, ActKind::kLeakyRelu},
      {3, 9, 9, 7, 17, 3, 2, 1, 0, 0, 0, 0, true, ActKind::kClip, ActKind::kRelu},
      {1, 14, 6, 8, 24, 3, 1, 1, 1, 1, 1, 1, true, ActKind::kClip, ActKind::kClip},  // one image: unfused
      {2, 2, 5, 3, 16, 3, 1, 1, 4, 1, 4, 1, true, ActKind::kRelu, ActKind::kRelu},   // padding rows only in some bands
  };
  qt::Rng rng(1234);
  for (const E& ec : cases) {
    for (int i = 0; i < kIsaCount; ++i) {
      const Isa isa = static_cast<Isa>(i);
      if (!isaSupported(isa)) continue;
      ConvF32Config e, d;
      e.isa = d.isa = isa;
      e.cin = ec.cin;
      e.cout = ec.cexp;
      e.kh = e.kw = 1;
      d.cin = d.cout = d.groups = ec.cexp;
      d.kh = d.kw = ec.k;
      d.strideH = d.strideW = ec.s;
      d.dilationH = d.dilationW = ec.d;
      d.padTop = ec.pt;
      d.padLeft = ec.pl;
      d.padBottom = ec.pb;
      d.padRight = ec.pr;
      e.act.kind = ec.a1;
      d.act.kind = ec.a2;
      if (ec.a1 == ActKind::kClip) e.act.p0 = 0.0f, e.act.p1 = 0.75f;
      if (ec.a2 == ActKind::kClip) d.act.p0 = 0.0f, d.act.p1 = 0.75f;
      if (ec.a2 == ActKind::kLeakyRelu) d.act.p0 = 0.125f;
      std::vector<float> w1(static_cast<size_t>(ec.cexp) * ec.cin), w2(static_cast<size_t>(ec.cexp) * ec.k * ec.k), b1(ec.cexp), b2(ec.cexp);
      for (auto* v : {&w1, &w2, &b1, &b2})
        for (auto& f : *v) f = rng.uniformf(-1, 1);
      e.weight = w1.data();
      d.weight = w2.data();
      e.bias = ec.bias ? b1.data() : nullptr;
      d.bias = ec.bias ? b2.data() : nullptr;
      auto ce = ConvF32::create(e);
      auto cd = ConvF32::create(d);
      CHECK(canFuseExpandDepthwise(*ce, *cd));
      CHECK(!canFuseExpandDepthwise(*cd, *ce));
      std::vector<float> x(static_cast<size_t>(ec.n) * ec.h * ec.w * ec.cin);
      for (auto& v : x) v = rng.uniformf(-1, 1);
      const ConvF32Geometry g = cd->geometry(ec.n, ec.h, ec.w);
      const size_t ysize = static_cast<size_t>(ec.n) * g.oh * g.ow * ec.cexp;
      std::vector<float> mid(static_cast<size_t>(ec.n) * ec.h * ec.w * ec.cexp), want(ysize);
      ce->run(x.data(), ec.n, ec.h, ec.w, mid.data(), nullptr, 1);
      cd->run(mid.data(), ec.n, ec.h, ec.w, want.data(), nullptr, 1);
      const size_t row = sizeof(float) * ec.w * ec.cexp;
      for (size_t band : {size_t(0), row, 3 * row, 5 * row + 7})
        for (int threads : {1, 2}) {
          const size_t bytes = expandDepthwiseScratchBytes(*ce, *cd, ec.n, ec.h, ec.w, band);
          std::vector<float> scratch(bytes / sizeof(float) + 16, 5.0f);
          std::vector<float> got(ysize, 9.0f);
          runExpandDepthwise(*ce, *cd, x.data(), ec.n, ec.h, ec.w, got.data(), scratch.data(), bytes, threads, band);
          for (size_t at = 0; at < ysize; ++at)
            if (!sameBits(got[at], want[at])) {
              char m[240];
              std::snprintf(m, sizeof m, "expand+dw n=%d h=%d w=%d cin=%d cexp=%d k=%d s=%d d=%d isa=%s band=%zu threads=%d: mismatch at %zu: %.9g vs %.9g",
                            ec.n, ec.h, ec.w, ec.cin, ec.cexp, ec.k, ec.s, ec.d, isaName(isa), band, threads, at, got[at], want[at]);
              qt::fail(__FILE__, __LINE__, m);
              return;
            }
          if (bytes > 0) {
            bool threw = false;
            try {
              runExpandDepthwise(*ce, *cd, x.data(), ec.n, ec.h, ec.w, got.data(), scratch.data(), bytes - 1, threads, band);
            } catch (const std::invalid_argument&) {
              threw = true;
            }
            CHECK(threw);
          }
        }
    }
  }
}
