// Convolution and ConvTranspose: every ISA (and thread count) bit-exact with the reference
// (conv2dReference, straight from the definition).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "qint8/conv.h"
#include "qint8/cpu.h"
#include "qint8/threadpool.h"
#include "../runtime/dwconv_kernels.h"

using namespace qint8;

namespace {

struct ConvCase {
  bool transposed;
  int n, h, w, cin, cout, kh, kw, groups, sh, sw, dh, dw, pt, pl, pb, pr;
  AutoPad autoPad;
  int oph, opw;
  DType in, out;
  bool perChannel, bias, asym, relu, clip;
  bool extremes;  // weights in {-128, 127}, activations at the type's ends
};

std::string describe(const ConvCase& c) {
  char b[400];
  std::snprintf(b, sizeof b,
                "%s n=%d h=%d w=%d cin=%d cout=%d k=%dx%d g=%d s=%d,%d d=%d,%d pad=%d,%d,%d,%d auto=%d op=%d,%d in=%s out=%s pc=%d bias=%d asym=%d relu=%d clip=%d",
                c.transposed ? "ConvT" : "Conv", c.n, c.h, c.w, c.cin, c.cout, c.kh, c.kw, c.groups, c.sh, c.sw, c.dh, c.dw,
                c.pt, c.pl, c.pb, c.pr, static_cast<int>(c.autoPad), c.oph, c.opw, dtypeName(c.in), dtypeName(c.out),
                c.perChannel, c.bias, c.asym, c.relu, c.clip);
  return b;
}

void runConvCase(const ConvCase& cc, uint64_t seed) {
  qt::Rng rng(seed);
  Conv2dConfig c;
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
  const size_t wsize = static_cast<size_t>(cc.cout) * (cc.cin / cc.groups) * cc.kh * cc.kw;
  std::vector<int8_t> w(wsize);
  for (auto& v : w) v = cc.extremes ? static_cast<int8_t>(rng.next() % 2 ? 127 : -128) : static_cast<int8_t>(rng.next());
  std::vector<float> ws(cc.perChannel ? cc.cout : 1);
  for (auto& v : ws) v = rng.uniformf(0.002f, 0.02f);
  std::vector<int32_t> wz(cc.cout);
  for (auto& v : wz) v = rng.uniform(-20, 20);
  std::vector<float> bias(cc.cout);
  for (auto& v : bias) v = rng.uniformf(-3, 3);
  c.weight = w.data();
  c.weightScale = ws.data();
  c.weightScaleCount = static_cast<int>(ws.size());
  if (cc.asym) {
    c.weightZeroPoint = wz.data();
    c.weightZeroPointCount = cc.cout;
  }
  if (cc.bias) c.bias = bias.data();
  c.inputType = cc.in;
  c.input.scale = rng.uniformf(0.01f, 0.05f);
  c.input.zeroPoint = cc.in == DType::kU8 ? rng.uniform(0, 255) : rng.uniform(-128, 127);
  c.outputType = cc.out;
  if (cc.out == DType::kU8 || cc.out == DType::kS8) {
    c.output.scale = rng.uniformf(0.05f, 0.3f);
    c.output.zeroPoint = cc.out == DType::kU8 ? rng.uniform(0, 255) : rng.uniform(-128, 127);
    c.relu = cc.relu;
    c.hasClip = cc.clip;
    c.clipMin = -1.0f;
    c.clipMax = 6.0f;
  }
  std::vector<uint8_t> x(static_cast<size_t>(cc.n) * cc.h * cc.w * cc.cin);
  for (auto& v : x) v = cc.extremes ? static_cast<uint8_t>(rng.next() % 2 ? 0x7F : 0x80) ^ (cc.in == DType::kU8 ? 0x80 : 0)
                                    : static_cast<uint8_t>(rng.next());

  c.isa = Isa::kScalar;
  ConvGeometry g;
  try {
    g = convGeometry(c, cc.n, cc.h, cc.w);
  } catch (const std::invalid_argument& e) {
    qt::fail(__FILE__, __LINE__, describe(cc) + ": " + e.what());
    return;
  }
  const size_t ob = (cc.out == DType::kU8 || cc.out == DType::kS8) ? 1 : 4;
  const size_t ysize = static_cast<size_t>(cc.n) * g.oh * g.ow * cc.cout * ob;
  std::vector<uint8_t> want(ysize, 0xAB);
  conv2dReference(c, x.data(), cc.n, cc.h, cc.w, want.data());
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (!isaSupported(isa)) continue;
    c.isa = isa;
    // Every path that can run this layer on this ISA (automatic choice first; a forced path that
    // does not apply falls back to one already checked).
    std::vector<std::string> seen;
    for (ConvAlgorithm algo : {ConvAlgorithm::kAuto, ConvAlgorithm::kIndirect, ConvAlgorithm::kIm2col, ConvAlgorithm::kGemm}) {
      c.algorithm = algo;
      auto conv = Conv2d::create(c);
      const std::string name = conv->algorithm();
      if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
      seen.push_back(name);
      // Depthwise layers run the depthwise kernels of the tier (or of the tier it falls back to);
      // every other layer runs on the tier's GEMM kernels.
      const bool dw = name == "depthwise";
      qt::covered(dw ? qt::tierLabel("dwconv", isaName(isa), isaName(dwKernels(isa).isa))
                     : std::string("conv/") + isaName(isa));
      for (int threads : {1, 2}) {
        std::vector<uint8_t> got(ysize, 0xCD);
        conv->run(x.data(), cc.n, cc.h, cc.w, got.data(), threads);
        if (got != want) {
          size_t at = 0;
          while (got[at] == want[at]) ++at;
          qt::fail(__FILE__, __LINE__, describe(cc) + " isa=" + isaName(isa) + " algo=" + name +
                                           " threads=" + std::to_string(threads) + " first mismatch at byte " +
                                           std::to_string(at) + " of " + std::to_string(ysize));
          return;
        }
      }
    }
    c.algorithm = ConvAlgorithm::kAuto;
  }
}

// A plain layer: n images of h x w, cin -> cout channels, k x k kernel at stride s with "same"
// symmetric pads k / 2, one group, u8 in and out, per-channel weights, a real bias.
ConvCase layerCase(int n, int h, int w, int cin, int cout, int k, int s) {
  ConvCase cc{};
  cc.n = n;
  cc.h = h;
  cc.w = w;
  cc.cin = cin;
  cc.cout = cout;
  cc.kh = cc.kw = k;
  cc.sh = cc.sw = s;
  cc.dh = cc.dw = 1;
  cc.groups = 1;
  cc.pt = cc.pl = cc.pb = cc.pr = k / 2;
  cc.in = DType::kU8;
  cc.out = DType::kU8;
  cc.perChannel = true;
  cc.bias = true;
  return cc;
}

// Pads up to the whole (dilated) kernel on each side (more than its half width), the bottom /
// right pad raised where the kernel would not fit the padded input.
void randomPads(ConvCase& cc, qt::Rng& r) {
  const int ekh = (cc.kh - 1) * cc.dh + 1, ekw = (cc.kw - 1) * cc.dw + 1;
  cc.pt = r.uniform(0, ekh);
  cc.pb = r.uniform(0, ekh);
  cc.pl = r.uniform(0, ekw);
  cc.pr = r.uniform(0, ekw);
  if (cc.h + cc.pt + cc.pb < ekh) cc.pb = ekh - cc.h - cc.pt;
  if (cc.w + cc.pl + cc.pr < ekw) cc.pr = ekw - cc.w - cc.pl;
}

}  // namespace

TEST(conv_reference_small_case_by_hand) {
  // 1 image 3x3x1, 2x2 kernel of ones, stride 1, no pad, zero points 0, scales 1, s32 output.
  Conv2dConfig c;
  c.cin = c.cout = 1;
  c.kh = c.kw = 2;
  std::vector<int8_t> w = {1, 1, 1, 1};
  float one = 1.0f;
  c.weight = w.data();
  c.weightScale = &one;
  c.weightScaleCount = 1;
  c.outputType = DType::kS32;
  std::vector<uint8_t> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<int32_t> y(4);
  conv2dReference(c, x.data(), 1, 3, 3, y.data());
  CHECK(y[0] == 12 && y[1] == 16 && y[2] == 24 && y[3] == 28);
}

TEST(conv_every_isa_matches_reference_random) {
  qt::Rng r(2024);
  const DType outs[] = {DType::kU8, DType::kS8, DType::kF32, DType::kS32};
  for (int it = 0; it < 90; ++it) {
    ConvCase cc{};
    cc.transposed = false;
    cc.n = r.uniform(1, 2);
    cc.h = r.uniform(1, 13);
    cc.w = r.uniform(1, 13);
    const int kind = it % 6;  // 0: generic, 1: grouped, 2: depthwise, 3: depthwise multiplier, 4: 1x1, 5: big channels
    cc.kh = kind == 4 ? 1 : r.uniform(1, 5);
    cc.kw = kind == 4 ? 1 : r.uniform(1, 5);
    cc.groups = 1;
    cc.cin = r.uniform(1, 20);
    cc.cout = r.uniform(1, 70);
    if (kind == 1) {
      cc.groups = r.uniform(2, 4);
      cc.cin = cc.groups * r.uniform(1, 6);
      cc.cout = cc.groups * r.uniform(1, 9);
    } else if (kind == 2) {
      cc.cin = cc.cout = cc.groups = r.uniform(2, 80);
    } else if (kind == 3) {
      cc.cin = cc.groups = r.uniform(2, 9);
      cc.cout = cc.cin * 2;
    } else if (kind == 5) {
      cc.cin = r.uniform(30, 140);
      cc.cout = r.uniform(40, 140);
    }
    cc.sh = kind == 4 ? 1 : r.uniform(1, 3);
    cc.sw = kind == 4 ? 1 : r.uniform(1, 3);
    cc.dh = r.uniform(1, 2);
    cc.dw = r.uniform(1, 2);
    const int ekh = (cc.kh - 1) * cc.dh + 1, ekw = (cc.kw - 1) * cc.dw + 1;
    cc.autoPad = it % 11 == 0 ? AutoPad::kSameUpper : it % 13 == 0 ? AutoPad::kSameLower : AutoPad::kNotSet;
    if (kind != 4) {
      cc.pt = r.uniform(0, ekh);  // up to the whole kernel: more than the half width
      cc.pb = r.uniform(0, ekh);
      cc.pl = r.uniform(0, ekw);
      cc.pr = r.uniform(0, ekw);
    }
    if (cc.h + cc.pt + cc.pb < ekh) cc.pb = ekh - cc.h - cc.pt;
    if (cc.w + cc.pl + cc.pr < ekw) cc.pr = ekw - cc.w - cc.pl;
    cc.in = it % 5 == 1 ? DType::kS8 : DType::kU8;
    cc.out = outs[it % 4];
    cc.perChannel = it % 2 == 0;
    cc.bias = it % 3 != 0;
    cc.asym = it % 9 == 4;
    cc.relu = it % 7 == 3;
    cc.clip = it % 10 == 6;
    if (cc.out == DType::kS32 && cc.bias) cc.bias = false;  // s32 adds no real bias
    runConvCase(cc, 100 + it);
  }
}

TEST(conv_indirect_paths_match_reference_random) {
  // Layers the implicit-GEMM path takes (cin/groups a multiple of 4, symmetric weights): output
  // channel counts around the panel widths (16..64 and the 64 + tail split), groups, strides,
  // dilations, pads up to the whole kernel, 1x1 inputs, batches, every output type.
  qt::Rng r(4242);
  const DType outs[] = {DType::kU8, DType::kS8, DType::kF32, DType::kS32};
  const int couts[] = {1, 5, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 80, 96, 113, 128, 130, 200};
  for (int it = 0; it < 60; ++it) {
    ConvCase cc{};
    cc.n = r.uniform(1, 3);
    cc.h = it % 10 == 7 ? 1 : r.uniform(1, 11);
    cc.w = it % 10 == 7 ? 1 : r.uniform(1, 11);
    cc.groups = it % 7 == 3 ? r.uniform(2, 3) : 1;
    cc.cin = cc.groups * 4 * r.uniform(1, it % 5 == 0 ? 40 : 8);
    cc.cout = cc.groups * couts[it % (sizeof couts / sizeof couts[0])];
    cc.kh = r.uniform(1, 5);
    cc.kw = r.uniform(1, 5);
    cc.sh = r.uniform(1, 3);
    cc.sw = r.uniform(1, 3);
    cc.dh = r.uniform(1, 2);
    cc.dw = r.uniform(1, 3);
    randomPads(cc, r);
    cc.autoPad = it % 17 == 5 ? AutoPad::kSameUpper : AutoPad::kNotSet;
    cc.in = it % 3 == 1 ? DType::kS8 : DType::kU8;
    cc.out = outs[(it / 2) % 4];
    cc.perChannel = it % 4 != 1;
    cc.bias = cc.out != DType::kS32 && it % 5 != 2;
    cc.relu = it % 6 == 1;
    cc.clip = it % 8 == 5;
    runConvCase(cc, 3000 + it);
  }
}

TEST(conv_row_packed_paths_match_reference_random) {
  // Layers with few input channels (cin % 4 != 0, one group, symmetric weights): the indirect
  // path over row-packed input (Impl::rowPack) where the ISA has implicit-GEMM kernels. Kernel
  // widths up to 7 (rows of kw * cin bytes padded to a multiple of 4), strides, dilations, pads up
  // to the whole kernel, 1-pixel images, batches, int8 inputs, every output type.
  qt::Rng r(7117);
  const DType outs[] = {DType::kU8, DType::kS8, DType::kF32, DType::kS32};
  for (int it = 0; it < 48; ++it) {
    ConvCase cc{};
    cc.n = r.uniform(1, 3);
    cc.h = it % 12 == 5 ? 1 : r.uniform(1, 17);
    cc.w = it % 12 == 7 ? 1 : r.uniform(1, 17);
    cc.groups = 1;
    do cc.cin = r.uniform(1, 11);
    while (cc.cin % 4 == 0);
    cc.cout = r.uniform(1, 80);
    cc.kh = r.uniform(1, 7);
    cc.kw = r.uniform(it % 3 == 0 ? 1 : 2, 7);
    cc.sh = r.uniform(1, 3);
    cc.sw = r.uniform(1, 3);
    cc.dh = r.uniform(1, 2);
    cc.dw = r.uniform(1, 2);
    randomPads(cc, r);
    cc.autoPad = it % 13 == 4 ? AutoPad::kSameUpper : AutoPad::kNotSet;
    cc.in = it % 4 == 1 ? DType::kS8 : DType::kU8;
    cc.out = outs[it % 4];
    cc.perChannel = it % 3 != 1;
    cc.bias = cc.out != DType::kS32 && it % 5 != 2;
    cc.relu = it % 6 == 1;
    cc.clip = it % 8 == 5;
    runConvCase(cc, 9000 + it);
  }
  // The first layers of the bundled Fashion-MNIST CNN and of MobileNet-style stems.
  const int layers[][6] = {{28, 28, 1, 32, 3, 1}, {33, 31, 3, 32, 3, 2}, {30, 30, 3, 64, 7, 2}, {24, 24, 2, 16, 5, 1}};
  uint64_t seed = 9900;
  for (auto& L : layers) {
    ConvCase cc = layerCase(2, L[0], L[1], L[2], L[3], L[4], L[5]);
    cc.relu = true;
    runConvCase(cc, ++seed);
  }
  // Images narrower than the kernel (no interior column: every tap run is partly padding).
  for (int w : {1, 2}) {
    ConvCase cc = layerCase(2, 5, w, 3, 9, 3, 1);
    cc.pl = 0;
    cc.pr = 3 - w;
    runConvCase(cc, ++seed);
  }
}

TEST(conv_indirection_cache_inputs_shapes_and_threads) {
  // The indirect paths keep whole-layer indirection buffers keyed by (input pointer, shape): runs
  // that alternate three input buffers and two shapes (more keys than the cache holds), from two
  // threads at once, must each equal the reference for their own input.
  for (int cin : {3, 16}) {  // row-packed and plain indirect
    Conv2dConfig c;
    c.cin = cin;
    c.cout = 24;
    c.kh = c.kw = 3;
    c.padTop = c.padLeft = c.padBottom = c.padRight = 1;
    qt::Rng rng(cin);
    std::vector<int8_t> w(static_cast<size_t>(c.cout) * cin * 9);
    for (auto& v : w) v = static_cast<int8_t>(rng.next());
    const float ws = 0.01f;
    c.weight = w.data();
    c.weightScale = &ws;
    c.weightScaleCount = 1;
    c.input = {0.02f, 7};
    c.outputType = DType::kU8;
    c.output = {0.2f, 3};
    const int shapes[2][2] = {{9, 11}, {6, 5}};
    std::vector<std::vector<uint8_t>> xs(3, std::vector<uint8_t>(static_cast<size_t>(2) * 9 * 11 * cin));
    for (auto& x : xs)
      for (auto& v : x) v = static_cast<uint8_t>(rng.next());
    std::vector<std::vector<uint8_t>> want(6);
    c.isa = Isa::kScalar;
    for (int i = 0; i < 6; ++i) {
      const int hh = shapes[i % 2][0], ww = shapes[i % 2][1];
      const ConvGeometry g = convGeometry(c, 2, hh, ww);
      want[i].resize(static_cast<size_t>(2) * g.oh * g.ow * c.cout);
      conv2dReference(c, xs[i / 2].data(), 2, hh, ww, want[i].data());
    }
    for (int i = 0; i < kIsaCount; ++i) {
      c.isa = static_cast<Isa>(i);
      if (!isaSupported(c.isa)) continue;
      auto conv = Conv2d::create(c);
      std::atomic<int> bad{0};
      auto worker = [&](int seed) {
        for (int it = 0; it < 60; ++it) {
          const int k = (it * 5 + seed) % 6;
          std::vector<uint8_t> got(want[k].size());
          conv->run(xs[k / 2].data(), 2, shapes[k % 2][0], shapes[k % 2][1], got.data(), 1);
          if (got != want[k]) ++bad;
        }
      };
      std::thread t1(worker, 0), t2(worker, 1);
      t1.join();
      t2.join();
      CHECK_MSG(bad.load() == 0, std::string("indirection cache ") + conv->algorithm() + " " + isaName(c.isa) + " cin=" + std::to_string(cin));
    }
  }
}

TEST(conv_every_isa_matches_reference_layers) {
  // Shapes like the benchmark's layers, smaller spatially so the reference stays quick.
  const int layers[][6] = {
      // h, w, cin, cout, k, stride
      {14, 14, 64, 64, 3, 1}, {9, 9, 128, 96, 3, 2}, {7, 7, 256, 256, 3, 1}, {12, 12, 64, 256, 1, 1},
      {20, 20, 3, 32, 3, 2},  {5, 5, 512, 64, 3, 1},
  };
  uint64_t seed = 500;
  for (auto& L : layers) {
    ConvCase cc = layerCase(1, L[0], L[1], L[2], L[3], L[4], L[5]);
    cc.relu = seed % 2 == 0;
    runConvCase(cc, ++seed);
  }
  // Depthwise layers: 3x3 and 5x5, stride 1 and 2, channel counts around the vector widths.
  for (int k : {3, 5})
    for (int s : {1, 2})
      for (int ch : {1, 7, 16, 32, 33, 64, 65, 144}) {
        if (ch == 1) continue;
        ConvCase cc{};
        cc.n = 1;
        cc.h = 11;
        cc.w = 13;
        cc.cin = cc.cout = cc.groups = ch;
        cc.kh = cc.kw = k;
        cc.sh = cc.sw = s;
        cc.dh = cc.dw = 1;
        cc.pt = cc.pl = cc.pb = cc.pr = k / 2;
        cc.in = DType::kU8;
        cc.out = seed % 3 == 0 ? DType::kS8 : DType::kU8;
        cc.perChannel = true;
        cc.bias = true;
        cc.relu = seed % 2 == 0;
        cc.clip = seed % 5 == 0;
        runConvCase(cc, ++seed);
      }
}

TEST(depthwise_wide_rows_match_reference) {
  // Rows wider than one strip of the AVX-512 kernel's windows (several strips per row), channel
  // counts with many phases (c / gcd(c, 64)), dilation with stride, batches, every output type.
  qt::Rng r(8080);
  const DType outs[] = {DType::kU8, DType::kS8, DType::kF32, DType::kS32};
  const int chans[] = {3, 24, 40, 96, 120, 960};
  for (int it = 0; it < 18; ++it) {
    ConvCase cc{};
    cc.n = 1 + it % 2;
    cc.h = r.uniform(3, 7);
    cc.w = it % 6 == 5 ? r.uniform(3, 9) : r.uniform(40, 90);
    cc.cin = cc.cout = cc.groups = chans[it % 6];
    cc.kh = cc.kw = it % 3 == 2 ? 5 : 3;
    if (it % 7 == 3) cc.kw = 7;  // two tap groups plus a partial one
    cc.sh = cc.sw = 1 + (it / 2) % 2;
    cc.dh = cc.dw = it % 5 == 4 ? 2 : 1;
    const int ekh = (cc.kh - 1) * cc.dh + 1, ekw = (cc.kw - 1) * cc.dw + 1;
    cc.pt = ekh / 2;
    cc.pb = ekh / 2;
    cc.pl = it % 4 == 1 ? ekw - 1 : ekw / 2;  // more than the half width on one side
    cc.pr = ekw / 2;
    if (cc.h + cc.pt + cc.pb < ekh) cc.pb = ekh - cc.h - cc.pt;
    cc.in = it % 4 == 2 ? DType::kS8 : DType::kU8;
    cc.out = outs[it % 4];
    cc.perChannel = it % 3 != 1;
    cc.bias = cc.out != DType::kS32;
    cc.relu = it % 4 == 0;
    cc.clip = it % 8 == 4;
    runConvCase(cc, 8100 + it);
  }
}

TEST(depthwise_every_isa_matches_reference_geometries) {
  // Kernel widths around the tap groups of the dot-product kernels (4 taps per sdot / vpdpbusd,
  // 2 per vpmaddwd), dilations up to 3, strides up to 3, channel counts around the 16-channel
  // blocks, both activation types, every output stage, and extreme values (weights -128 / 127,
  // activations at both ends of the type) against the reference.
  const int kernels[][2] = {{1, 1}, {3, 3}, {5, 5}, {7, 7}, {1, 9}, {9, 1}, {2, 6}, {3, 8}};
  const DType outs[] = {DType::kU8, DType::kS8, DType::kF32, DType::kS32};
  uint64_t seed = 3000;
  int it = 0;
  for (const auto& k : kernels)
    for (int ch : {3, 16, 17, 40})
      for (int variant = 0; variant < 2; ++variant, ++it) {
        ConvCase cc{};
        cc.n = 1;
        cc.kh = k[0];
        cc.kw = k[1];
        cc.cin = cc.cout = cc.groups = ch;
        cc.sh = 1 + it % 3;
        cc.sw = 1 + (it / 3) % 3;
        cc.dh = 1 + (it / 2) % 3;
        cc.dw = 1 + (it / 5) % 3;
        const int ekh = (cc.kh - 1) * cc.dh + 1, ekw = (cc.kw - 1) * cc.dw + 1;
        cc.h = ekh + it % 5;
        cc.w = ekw + (it * 7) % 6;
        cc.pt = it % 2 ? ekh / 2 : 0;
        cc.pb = it % 3 ? ekh - 1 : 0;
        cc.pl = it % 4 ? ekw - 1 : ekw / 2;
        cc.pr = it % 5 ? ekw / 2 : 0;
        cc.in = variant ? DType::kS8 : DType::kU8;
        cc.out = outs[it % 4];
        cc.perChannel = it % 3 != 1;
        cc.bias = cc.out != DType::kS32 && it % 2 == 0;
        cc.relu = (cc.out == DType::kU8 || cc.out == DType::kS8) && it % 5 == 2;
        cc.extremes = variant == 1 || it % 4 == 0;
        runConvCase(cc, ++seed);
      }
}

TEST(depthwise_3x3_stride1_every_isa_matches_reference) {
  // 3x3 at stride 1 without dilation: on AVX-512 the vertical-interleave kernel
  // (dwconv_avx512_vert.cc) for channel counts that are multiples of 16 with u8/s8 output (two
  // output rows per pass, a single row at the end of an odd band), the flat kernel otherwise.
  // Channels 1..70 (odd and even) and 96, 144, 160, 960; widths 1..9 and wide rows; pads 0..2 on
  // each side; both activation types, every output stage, ReLU and Clip, per-tensor and
  // per-channel, extreme values; 1 and 2 threads (bands of odd and even heights).
  const DType outs[] = {DType::kU8, DType::kS8, DType::kU8, DType::kS8, DType::kF32, DType::kS32};
  std::vector<int> chans;
  for (int ch = 1; ch <= 70; ++ch) chans.push_back(ch);
  for (int ch : {96, 144, 160, 960}) chans.push_back(ch);
  qt::Rng r(9090);
  int it = 0;
  for (int ch : chans)
    for (int rep = 0; rep < (ch % 16 == 0 ? 4 : 1); ++rep, ++it) {
      ConvCase cc{};
      cc.n = 1 + (it % 7 == 3);
      cc.kh = cc.kw = 3;
      cc.cin = cc.cout = cc.groups = ch;
      cc.sh = cc.sw = cc.dh = cc.dw = 1;
      cc.pt = r.uniform(0, 2);
      cc.pb = r.uniform(0, 2);
      cc.pl = r.uniform(0, 2);
      cc.pr = r.uniform(0, 2);
      cc.h = std::max(1, 3 - cc.pt - cc.pb) + r.uniform(0, 7);
      const int wMin = std::max(1, 3 - cc.pl - cc.pr);
      cc.w = it % 3 == 2 ? wMin + r.uniform(20, 70) : wMin + r.uniform(0, 8);
      if (ch >= 144) cc.w = wMin + r.uniform(0, 9);
      cc.in = it % 2 ? DType::kS8 : DType::kU8;
      cc.out = outs[it % 6];
      cc.perChannel = it % 3 != 1;
      cc.bias = cc.out != DType::kS32 && it % 4 != 3;
      const bool req = cc.out == DType::kU8 || cc.out == DType::kS8;
      cc.relu = req && it % 5 == 2;
      cc.clip = req && it % 7 == 4;
      cc.extremes = it % 4 == 0;
      runConvCase(cc, 50000 + it);
    }
}

TEST(convtranspose_every_isa_matches_reference) {
  qt::Rng r(77);
  const DType outs[] = {DType::kU8, DType::kS8, DType::kF32, DType::kS32};
  for (int it = 0; it < 40; ++it) {
    ConvCase cc{};
    cc.transposed = true;
    cc.n = r.uniform(1, 2);
    cc.h = r.uniform(1, 9);
    cc.w = r.uniform(1, 9);
    cc.groups = it % 5 == 2 ? 2 : 1;
    cc.cin = cc.groups * r.uniform(1, 12);
    cc.cout = cc.groups * r.uniform(1, 20);
    cc.kh = r.uniform(1, 4);
    cc.kw = r.uniform(1, 4);
    cc.sh = r.uniform(1, 3);
    cc.sw = r.uniform(1, 3);
    cc.dh = it % 4 == 3 ? 2 : 1;
    cc.dw = it % 6 == 5 ? 2 : 1;
    cc.pt = r.uniform(0, cc.kh - 1);
    cc.pl = r.uniform(0, cc.kw - 1);
    cc.pb = r.uniform(0, cc.kh - 1);
    cc.pr = r.uniform(0, cc.kw - 1);
    cc.oph = r.uniform(0, std::max(cc.sh, cc.dh) - 1);
    cc.opw = r.uniform(0, std::max(cc.sw, cc.dw) - 1);
    cc.autoPad = it % 9 == 0 ? AutoPad::kSameUpper : AutoPad::kNotSet;
    // Keep the output non-empty: stride*(in-1) + output_padding + effective kernel > pads.
    if (cc.sh * (cc.h - 1) + cc.oph + (cc.kh - 1) * cc.dh + 1 <= cc.pt + cc.pb) cc.pt = cc.pb = 0;
    if (cc.sw * (cc.w - 1) + cc.opw + (cc.kw - 1) * cc.dw + 1 <= cc.pl + cc.pr) cc.pl = cc.pr = 0;
    cc.in = it % 4 == 1 ? DType::kS8 : DType::kU8;
    cc.out = outs[it % 4];
    cc.perChannel = it % 2 == 0;
    cc.bias = cc.out != DType::kS32 && it % 3 != 0;
    cc.asym = it % 7 == 2;
    cc.relu = it % 5 == 0;
    runConvCase(cc, 900 + it);
  }
  // The usual decoder upsampling: 2x2 stride 2 and 4x4 stride 2 pad 1.
  for (int k : {2, 4}) {
    ConvCase cc{};
    cc.transposed = true;
    cc.n = 1;
    cc.h = 10;
    cc.w = 12;
    cc.cin = 48;
    cc.cout = 24;
    cc.groups = 1;
    cc.kh = cc.kw = k;
    cc.sh = cc.sw = 2;
    cc.dh = cc.dw = 1;
    cc.pt = cc.pl = cc.pb = cc.pr = k == 4 ? 1 : 0;
    cc.in = DType::kU8;
    cc.out = DType::kU8;
    cc.perChannel = true;
    cc.bias = true;
    runConvCase(cc, 1000 + k);
  }
}

TEST(convtranspose_paths_match_reference_random) {
  // Kernel == stride (the direct path: the GEMM writes the output pixels itself) and
  // overlapping kernels (col2im + output stage kernels) with output channel counts around the
  // vector widths (tails), groups, asymmetric weights, every output type, batches.
  qt::Rng r(31337);
  const DType outs[] = {DType::kU8, DType::kS8, DType::kF32, DType::kS32};
  const int couts[] = {1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 48};
  for (int it = 0; it < 36; ++it) {
    ConvCase cc{};
    cc.transposed = true;
    cc.n = r.uniform(1, 2);
    cc.h = r.uniform(1, 7);
    cc.w = r.uniform(1, 9);
    const bool direct = it % 2 == 0;
    cc.groups = !direct && it % 6 == 3 ? 2 : 1;
    cc.cin = cc.groups * r.uniform(1, 40);
    cc.cout = cc.groups * couts[it % (sizeof couts / sizeof couts[0])];
    cc.kh = r.uniform(1, 4);
    cc.kw = r.uniform(1, 4);
    cc.dh = cc.dw = 1;
    if (direct) {
      cc.sh = cc.kh;
      cc.sw = cc.kw;
      cc.autoPad = it % 8 == 2 ? AutoPad::kSameUpper : AutoPad::kNotSet;
    } else {
      cc.sh = r.uniform(1, 3);
      cc.sw = r.uniform(1, 3);
      cc.dh = it % 5 == 1 ? 2 : 1;
      cc.pt = r.uniform(0, cc.kh - 1);
      cc.pl = r.uniform(0, cc.kw - 1);
      cc.pb = r.uniform(0, cc.kh - 1);
      cc.pr = r.uniform(0, cc.kw - 1);
      cc.oph = r.uniform(0, std::max(cc.sh, cc.dh) - 1);
      cc.opw = r.uniform(0, cc.sw - 1);
      if (cc.sh * (cc.h - 1) + cc.oph + (cc.kh - 1) * cc.dh + 1 <= cc.pt + cc.pb) cc.pt = cc.pb = 0;
      if (cc.sw * (cc.w - 1) + cc.opw + cc.kw <= cc.pl + cc.pr) cc.pl = cc.pr = 0;
    }
    cc.in = it % 3 == 1 ? DType::kS8 : DType::kU8;
    cc.out = outs[(it / 2) % 4];
    cc.perChannel = it % 4 != 1;
    cc.bias = cc.out != DType::kS32 && it % 5 != 2;
    cc.asym = it % 7 == 4;
    cc.relu = it % 6 == 0;
    cc.clip = it % 9 == 3;
    runConvCase(cc, 7000 + it);
  }
}

TEST(conv_rejects_bad_configs) {
  Conv2dConfig c;
  std::vector<int8_t> w(9);
  float one = 1;
  c.cin = c.cout = 1;
  c.kh = c.kw = 3;
  c.weight = w.data();
  c.weightScale = &one;
  c.weightScaleCount = 1;
  auto throws = [](const Conv2dConfig& cfg) {
    try {
      Conv2d::create(cfg);
    } catch (const std::invalid_argument&) {
      return true;
    }
    return false;
  };
  CHECK(!throws(c));
  Conv2dConfig b = c;
  b.groups = 2;
  CHECK(throws(b));
  b = c;
  b.strideH = 0;
  CHECK(throws(b));
  b = c;
  b.padTop = -1;
  CHECK(throws(b));
  b = c;
  b.outputPaddingH = 1;
  CHECK(throws(b));
  b = c;
  b.weightScaleCount = 2;
  CHECK(throws(b));
  bool threw = false;
  try {
    convGeometry(c, 1, 2, 2);  // 3x3 kernel on a 2x2 input, no padding
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
}

namespace {

// One depthwise call on a kernel table directly (one image, every output row in one band or in
// two), with the epilogue's arrays given: lets a test pick DwConvArgs::vbmi and extreme scales.
std::vector<uint8_t> runDwTable(const DwKernelTable& t, DwConvArgs a, const std::vector<int8_t>& w, bool split) {
  std::vector<uint8_t> packed(t.packedBytes(a.kh, a.kw, a.c) + 64);
  void* pw = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(packed.data()) + 63) & ~static_cast<uintptr_t>(63));
  t.pack(w.data(), a.kh, a.kw, a.c, pw);
  a.weights = pw;
  const size_t ob = (a.ep.kind == GemmOut::kU8 || a.ep.kind == GemmOut::kS8) ? 1 : 4;
  std::vector<uint8_t> y(static_cast<size_t>(a.oh) * a.ow * a.c * ob, 0xCD);
  a.y = y.data();
  const int cut = split ? a.oh / 2 : a.oh;
  for (int part = 0; part < 2; ++part) {
    a.oyBegin = part ? cut : 0;
    a.oyEnd = part ? a.oh : cut;
    if (a.oyBegin >= a.oyEnd) continue;
    const size_t sb = t.scratchBytes(a);
    std::vector<uint8_t> scratch(sb + 64);
    a.scratch = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(scratch.data()) + 63) & ~static_cast<uintptr_t>(63));
    t.run(a);
  }
  return y;
}

}  // namespace

TEST(depthwise_3x3_vertical_kernel_stages_match_reference) {
  // The AVX-512 vertical-interleave kernel's two requantizations (the byte clamp when no product
  // can reach 2^30, the float clamp otherwise: large, infinite and NaN scales), fused clip bounds,
  // and bands of every parity (one output row per band, odd and even cuts), against the reference
  // kernel, on the kernel table directly; channel counts with 1, 3, 5, 9 and 15 phases.
  const DwKernelTable& ref = *dwKernelsRef();
  const int chans[] = {16, 32, 48, 64, 80, 96, 144, 192, 960};
  qt::Rng r(5151);
  int checked = 0;
  for (int it = 0; it < 108; ++it) {
    DwConvArgs a{};
    a.c = chans[it % 9];
    a.kh = a.kw = 3;
    a.sh = a.sw = a.dh = a.dw = 1;
    a.padT = r.uniform(0, 2);
    a.padL = r.uniform(0, 2);
    const int padB = r.uniform(0, 2), padR = r.uniform(0, 2);
    a.h = std::max(1, 3 - a.padT - padB) + r.uniform(0, 6);
    a.w = std::max(1, 3 - a.padL - padR) + (a.c >= 144 ? r.uniform(0, 8) : r.uniform(0, 40));
    a.oh = a.h + a.padT + padB - 2;
    a.ow = a.w + a.padL + padR - 2;
    a.zx = r.uniform(0, 255);
    std::vector<uint8_t> x(static_cast<size_t>(a.h) * a.w * a.c);
    const bool extremes = it % 4 == 1;
    for (auto& v : x) v = extremes ? (r.next() % 2 ? 255 : 0) : static_cast<uint8_t>(r.next());
    std::vector<int8_t> w(static_cast<size_t>(a.c) * 9);
    for (auto& v : w) v = extremes ? static_cast<int8_t>(r.next() % 2 ? 127 : -128) : static_cast<int8_t>(r.next());
    std::vector<int32_t> bias(a.c);
    std::vector<float> scale(a.c);
    const int scaleKind = (it / 2) % 6;  // 0-2 ordinary, 3 large (no bound), 4 one infinite, 5 one NaN
    for (int ch = 0; ch < a.c; ++ch) {
      bias[ch] = r.uniform(-30000, 30000);
      scale[ch] = scaleKind == 3 ? r.uniformf(100.0f, 1e6f) : r.uniformf(1e-4f, 0.02f);
    }
    if (scaleKind == 4) scale[r.uniform(0, a.c - 1)] = (it % 4 < 2 ? 1.0f : -1.0f) * INFINITY;
    if (scaleKind == 5) scale[r.uniform(0, a.c - 1)] = NAN;
    a.x = x.data();
    const bool s8 = it % 2 == 1;
    a.ep.kind = s8 ? GemmOut::kS8 : GemmOut::kU8;
    a.ep.bias32 = bias.data();
    a.ep.scale = scale.data();
    a.ep.zeroPoint = s8 ? r.uniform(-128, 127) : r.uniform(0, 255);
    a.ep.lo = s8 ? -128 : 0;
    a.ep.hi = s8 ? 127 : 255;
    if (it % 3 == 1) {  // fused clip bounds inside the type's range
      a.ep.lo = std::max(a.ep.lo, a.ep.zeroPoint - r.uniform(0, 20));
      a.ep.hi = std::min(a.ep.hi, a.ep.zeroPoint + r.uniform(0, 60));
    }
    const std::vector<uint8_t> want = runDwTable(ref, a, w, false);
    for (int i = 0; i < kIsaCount; ++i) {
      const Isa isa = static_cast<Isa>(i);
      if (isa == Isa::kScalar || !isaSupported(isa)) continue;
      const DwKernelTable& t = dwKernels(isa);
      if (t.isa == Isa::kScalar) continue;
      for (int split = 0; split < 2; ++split) {
        const std::vector<uint8_t> got = runDwTable(t, a, w, split == 1);
        ++checked;
        if (got != want) {
          size_t at = 0;
          while (got[at] == want[at]) ++at;
          qt::fail(__FILE__, __LINE__,
                   std::string("depthwise 3x3 ") + isaName(isa) + " c=" + std::to_string(a.c) + " hw=" + std::to_string(a.h) +
                       "x" + std::to_string(a.w) + " pad=" + std::to_string(a.padT) + "," + std::to_string(a.padL) + "," +
                       std::to_string(padB) + "," + std::to_string(padR) + " scales=" + std::to_string(scaleKind) +
                       " s8=" + std::to_string(s8) + " split=" + std::to_string(split) + ": first mismatch at byte " +
                       std::to_string(at) + " of " + std::to_string(want.size()));
          return;
        }
      }
    }
  }
  CHECK(checked > 0 || !isaSupported(Isa::kAvx2));
}

TEST(depthwise_requantization_bound_per_layer_matches_reference) {
  // Conv2d checks dwNoOverflow() once per layer (DwConvArgs::noOverflow) instead of per call: a
  // layer whose products can reach 2^30 (output scale tiny, or one channel's weight scale huge)
  // must still take the float clamp on every ISA, on repeated calls, and one that cannot the byte
  // clamp. 3x3 stride 1 (vertical kernel for c % 16 == 0), 3x3 stride 2 and 5x5 (flat / blocked /
  // AVX2 kernels), u8 and s8 outputs, against the reference.
  qt::Rng r(6262);
  const int chans[] = {7, 16, 32, 48, 144};
  int it = 0;
  for (int ch : chans)
    for (int kind = 0; kind < 3; ++kind)  // 0 ordinary, 1 tiny output scale, 2 one huge weight scale
      for (int shape = 0; shape < 3; ++shape, ++it) {
        Conv2dConfig c;
        c.cin = c.cout = c.groups = ch;
        c.kh = c.kw = shape == 2 ? 5 : 3;
        c.strideH = c.strideW = shape == 1 ? 2 : 1;
        c.padTop = c.padLeft = c.padBottom = c.padRight = c.kh / 2;
        std::vector<int8_t> w(static_cast<size_t>(ch) * c.kh * c.kw);
        for (auto& v : w) v = static_cast<int8_t>(r.next());
        std::vector<float> ws(ch);
        for (auto& v : ws) v = r.uniformf(0.002f, 0.02f);
        if (kind == 2) ws[r.uniform(0, ch - 1)] = 1e5f;
        std::vector<int32_t> bq(ch);
        for (auto& v : bq) v = r.uniform(-3000, 3000);
        c.weight = w.data();
        c.weightScale = ws.data();
        c.weightScaleCount = ch;
        c.biasQ = bq.data();
        c.inputType = it % 2 ? DType::kS8 : DType::kU8;
        c.input.scale = 0.02f;
        c.input.zeroPoint = c.inputType == DType::kU8 ? r.uniform(0, 255) : r.uniform(-128, 127);
        c.outputType = it % 4 < 2 ? DType::kU8 : DType::kS8;
        c.output.scale = kind == 1 ? 1e-8f : 0.1f;
        c.output.zeroPoint = c.outputType == DType::kU8 ? r.uniform(0, 255) : r.uniform(-128, 127);
        const int h = r.uniform(3, 9), wd = r.uniform(3, 40);
        std::vector<uint8_t> x(static_cast<size_t>(h) * wd * ch);
        for (auto& v : x) v = static_cast<uint8_t>(r.next());
        c.isa = Isa::kScalar;
        const ConvGeometry g = convGeometry(c, 1, h, wd);
        std::vector<uint8_t> want(static_cast<size_t>(g.oh) * g.ow * ch);
        conv2dReference(c, x.data(), 1, h, wd, want.data());
        for (int i = 0; i < kIsaCount; ++i) {
          const Isa isa = static_cast<Isa>(i);
          if (!isaSupported(isa)) continue;
          c.isa = isa;
          auto conv = Conv2d::create(c);
          CHECK(std::string(conv->algorithm()) == "depthwise");
          for (int call = 0; call < 2; ++call) {
            std::vector<uint8_t> got(want.size(), 0xCD);
            conv->run(x.data(), 1, h, wd, got.data(), 1 + call);
            CHECK_MSG(got == want, std::string("depthwise requant bound ") + isaName(isa) + " c=" + std::to_string(ch) +
                                       " kind=" + std::to_string(kind) + " shape=" + std::to_string(shape) +
                                       " call=" + std::to_string(call));
          }
        }
      }
}

TEST(depthwise_kernels_with_and_without_vbmi_match_reference) {
  // The AVX-512 kernel's AVX512_VBMI transform (vpermt2b of two loads, used for windows whose
  // taps lie within 128 bytes: (kw - 1) * dilation * channels <= 64, e.g. 3x3 at stride 1 with up
  // to 32 channels)
  // and its requantization without the float upper clamp (used when no product can reach 2^30:
  // checked per call) against the reference kernel, with DwConvArgs::vbmi forced off and on (on
  // only where the CPU has VBMI), and with scales that keep or defeat the overflow bound (large,
  // infinite, NaN). Kernel widths 1-4 (one tap group), around the 128-byte limit of the permute.
  const DwKernelTable& ref = *dwKernelsRef();
  const DType outs[] = {DType::kU8, DType::kS8, DType::kF32, DType::kS32};
  qt::Rng r(4242);
  const int chans[] = {1, 3, 8, 16, 24, 31, 32, 33, 40, 64, 96};
  int checkedVbmi = 0, checkedPlain = 0;
  for (int it = 0; it < 132; ++it) {
    DwConvArgs a{};
    a.c = chans[it % 11];
    const int khs[] = {3, 1, 5, 2};
    a.kh = khs[(it / 11) % 4];
    a.kw = 1 + (it / 3) % 4;
    a.sh = 1 + (it % 5 == 4);
    a.sw = 1 + (it % 4 == 3);
    a.dh = 1 + (it % 6 == 5);
    a.dw = 1 + (it / 2) % 3 * (it % 3 == 0);
    const int ekh = (a.kh - 1) * a.dh + 1, ekw = (a.kw - 1) * a.dw + 1;
    a.h = ekh + r.uniform(0, 6);
    a.w = ekw + r.uniform(0, it % 2 ? 40 : 8);
    a.padT = r.uniform(0, ekh - 1);
    a.padL = it % 9 == 2 ? ekw - 1 : ekw / 2;  // more than half on the left sometimes
    const int padB = r.uniform(0, ekh - 1), padR = r.uniform(0, ekw - 1);
    a.oh = (a.h + a.padT + padB - ekh) / a.sh + 1;
    a.ow = (a.w + a.padL + padR - ekw) / a.sw + 1;
    a.zx = r.uniform(0, 255);
    std::vector<uint8_t> x(static_cast<size_t>(a.h) * a.w * a.c);
    const bool extremes = it % 4 == 1;
    for (auto& v : x) v = extremes ? (r.next() % 2 ? 255 : 0) : static_cast<uint8_t>(r.next());
    std::vector<int8_t> w(static_cast<size_t>(a.c) * a.kh * a.kw);
    for (auto& v : w) v = extremes ? static_cast<int8_t>(r.next() % 2 ? 127 : -128) : static_cast<int8_t>(r.next());
    std::vector<int32_t> bias(a.c);
    std::vector<float> scale(a.c), biasF(a.c);
    const int scaleKind = it % 8;  // 0-4 ordinary, 5 large (no bound), 6 one infinite, 7 one NaN
    for (int ch = 0; ch < a.c; ++ch) {
      bias[ch] = r.uniform(-30000, 30000);
      scale[ch] = scaleKind == 5 ? r.uniformf(100.0f, 1e6f) : r.uniformf(1e-4f, 0.02f);
      biasF[ch] = r.uniformf(-3, 3);
    }
    if (scaleKind == 6) scale[a.c / 2] = (it % 16 < 8 ? 1.0f : -1.0f) * INFINITY;
    if (scaleKind == 7) scale[a.c - 1] = NAN;
    a.x = x.data();
    a.ep.kind = static_cast<GemmOut>(outs[it % 4]);
    a.ep.bias32 = bias.data();
    a.ep.scale = scale.data();
    a.ep.biasF = biasF.data();
    const bool s8 = outs[it % 4] == DType::kS8;
    a.ep.zeroPoint = s8 ? r.uniform(-128, 127) : r.uniform(0, 255);
    a.ep.lo = s8 ? -128 : 0;
    a.ep.hi = s8 ? 127 : 255;
    if (it % 3 == 1) {  // fused clip bounds inside the type's range
      a.ep.lo = std::max(a.ep.lo, a.ep.zeroPoint - r.uniform(0, 20));
      a.ep.hi = std::min(a.ep.hi, a.ep.zeroPoint + r.uniform(0, 60));
    }
    if (scaleKind >= 6 && (a.ep.kind == GemmOut::kF32)) a.ep.kind = GemmOut::kU8;  // no inf/NaN floats to compare
    const std::vector<uint8_t> want = runDwTable(ref, a, w, false);
    for (int i = 0; i < kIsaCount; ++i) {
      const Isa isa = static_cast<Isa>(i);
      if (isa == Isa::kScalar || !isaSupported(isa)) continue;
      const DwKernelTable& t = dwKernels(isa);
      if (t.isa == Isa::kScalar) continue;
      for (int vb = 0; vb < 2; ++vb) {
        if (vb && !cpuFeatures().avx512vbmi) continue;
        a.vbmi = vb == 1;
        const std::vector<uint8_t> got = runDwTable(t, a, w, it % 2 == 1);
        (vb ? checkedVbmi : checkedPlain)++;
        if (got != want) {
          size_t at = 0;
          while (got[at] == want[at]) ++at;
          qt::fail(__FILE__, __LINE__,
                   std::string("depthwise ") + isaName(isa) + " vbmi=" + std::to_string(vb) + " c=" + std::to_string(a.c) +
                       " k=" + std::to_string(a.kh) + "x" + std::to_string(a.kw) + " s=" + std::to_string(a.sh) + "," +
                       std::to_string(a.sw) + " d=" + std::to_string(a.dh) + "," + std::to_string(a.dw) + " hw=" +
                       std::to_string(a.h) + "x" + std::to_string(a.w) + " scales=" + std::to_string(scaleKind) +
                       " out=" + std::to_string(static_cast<int>(a.ep.kind)) + ": first mismatch at byte " + std::to_string(at) +
                       " of " + std::to_string(want.size()));
          return;
        }
      }
    }
  }
  CHECK(checkedPlain > 0 || !isaSupported(Isa::kAvx2));
  if (cpuFeatures().avx512vbmi && isaSupported(Isa::kAvx512Vnni)) CHECK(checkedVbmi > 0);
}
