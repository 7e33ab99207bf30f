// Resize (every ISA's bilinear kernel and the driver against the reference), Pad and Concat.
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/cpu.h"
#include "qint8/resize.h"
#include "qint8/structural.h"
#include "../runtime/resize_kernels.h"

using namespace qint8;

TEST(resize_bilinear_every_isa_matches_reference) {
  qt::Rng r(31);
  const ResizeKernelTable& ref = *resizeKernelsRef();
  for (int isaI = 1; isaI < kIsaCount; ++isaI) {
    const Isa isa = static_cast<Isa>(isaI);
    if (!isaSupported(isa)) continue;
    const ResizeKernelTable& kt = resizeKernels(isa);
    const std::string label = qt::tierLabel("resize", isaName(isa), isaName(kt.isa));
    for (bool s : {false, true})
      for (size_t c : {1, 5, 8, 15, 16, 17, 33, 64, 100})
        for (int32_t lx : {0, 1, 1024, 2047, 2048})
          for (int32_t ly : {0, 777, 2048}) {
            qt::covered(label);
            std::vector<uint8_t> p[4];
            for (auto& v : p) {
              v.resize(c);
              for (auto& b : v) b = static_cast<uint8_t>(r.next());
            }
            std::vector<uint8_t> want(c), got(c);
            ref.bilinear(p[0].data(), p[1].data(), p[2].data(), p[3].data(), c, lx, ly, s, want.data());
            kt.bilinear(p[0].data(), p[1].data(), p[2].data(), p[3].data(), c, lx, ly, s, got.data());
            CHECK_MSG(want == got, std::string("bilinear ") + isaName(isa) + " c=" + std::to_string(c));
          }
    // The type's extremes in every corner (the largest products), and exact halves before the shift.
    for (bool s : {false, true})
      for (int32_t lx : {1, 512, 1024, 2047})
        for (int32_t ly : {1, 1024, 1536, 2047}) {
          qt::covered(label);
          const uint8_t vals[] = {0x00, 0xFF, 0x80, 0x7F, 0x01};
          const size_t c = 5 * 5 * 5 * 5;  // every combination of the four corners
          std::vector<uint8_t> p[4];
          for (int k = 0; k < 4; ++k) {
            p[k].resize(c);
            for (size_t j = 0; j < c; ++j) {
              size_t d = j;
              for (int m = 0; m < k; ++m) d /= 5;
              p[k][j] = vals[d % 5];
            }
          }
          std::vector<uint8_t> want(c), got(c);
          ref.bilinear(p[0].data(), p[1].data(), p[2].data(), p[3].data(), c, lx, ly, s, want.data());
          kt.bilinear(p[0].data(), p[1].data(), p[2].data(), p[3].data(), c, lx, ly, s, got.data());
          CHECK_MSG(want == got, std::string("bilinear extremes ") + isaName(isa));
        }
    for (int trial = 0; trial < 40; ++trial) {
      ResizeParams p;
      p.n = r.uniform(1, 2), p.h = r.uniform(1, 12), p.w = r.uniform(1, 12), p.c = r.uniform(1, 70);
      p.oh = r.uniform(1, 30), p.ow = r.uniform(1, 30);
      p.scaleH = static_cast<float>(p.oh) / static_cast<float>(p.h);
      p.scaleW = static_cast<float>(p.ow) / static_cast<float>(p.w);
      p.mode = static_cast<ResizeMode>(trial % 2);
      p.coord = static_cast<ResizeCoord>(trial % 5);
      p.nearest = static_cast<ResizeNearest>(trial % 4);
      std::vector<uint8_t> x(static_cast<size_t>(p.n * p.h * p.w * p.c));
      for (auto& v : x) v = static_cast<uint8_t>(r.next());
      std::vector<uint8_t> want(static_cast<size_t>(p.n * p.oh * p.ow * p.c)), got(want.size());
      for (DType t : {DType::kU8, DType::kS8}) {
        resize2d(Isa::kScalar, p, t, x.data(), want.data());
        resize2d(isa, p, t, x.data(), got.data());
        qt::covered(label);
        CHECK_MSG(want == got, std::string("resize2d ") + isaName(isa) + " trial " + std::to_string(trial));
      }
    }
  }
}

TEST(resize_linear_is_exact_at_integer_coordinates) {
  // Upsampling by 1 (asymmetric) reproduces the input exactly.
  ResizeParams p;
  p.h = 3, p.w = 4, p.c = 2, p.oh = 3, p.ow = 4;
  p.mode = ResizeMode::kLinear;
  p.coord = ResizeCoord::kAsymmetric;
  std::vector<uint8_t> x(24), y(24);
  for (int i = 0; i < 24; ++i) x[i] = static_cast<uint8_t>(i * 11);
  resize2d(Isa::kScalar, p, DType::kU8, x.data(), y.data());
  CHECK(x == y);
}

TEST(pad_modes) {
  const uint8_t x[6] = {1, 2, 3, 4, 5, 6};  // 2 x 3
  uint8_t y[4 * 7];
  pad({2, 3}, {1, 2}, {1, 2}, PadMode::kConstant, 9, x, y);
  const uint8_t c[] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 9, 9, 9, 9, 4, 5, 6, 9, 9, 9, 9, 9, 9, 9, 9, 9};
  CHECK(std::memcmp(y, c, sizeof(c)) == 0);
  pad({2, 3}, {1, 2}, {1, 2}, PadMode::kEdge, 0, x, y);
  const uint8_t e[] = {1, 1, 1, 2, 3, 3, 3, 1, 1, 1, 2, 3, 3, 3, 4, 4, 4, 5, 6, 6, 6, 4, 4, 4, 5, 6, 6, 6};
  CHECK(std::memcmp(y, e, sizeof(e)) == 0);
  pad({2, 3}, {1, 2}, {1, 2}, PadMode::kReflect, 0, x, y);
  const uint8_t rf[] = {6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1};
  CHECK(std::memcmp(y, rf, sizeof(rf)) == 0);
  bool threw = false;
  try {
    pad({2, 3}, {0, 3}, {0, 0}, PadMode::kReflect, 0, x, y);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
  // Threaded path (> 1M output bytes) against one thread.
  std::vector<uint8_t> big(3 * 1000 * 301), a((3 + 2) * (1000 + 3) * (301 + 5)), b(a.size());
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  pad({3, 1000, 301}, {1, 1, 2}, {1, 2, 3}, PadMode::kReflect, 0, big.data(), a.data(), 1);
  pad({3, 1000, 301}, {1, 1, 2}, {1, 2, 3}, PadMode::kReflect, 0, big.data(), b.data());
  CHECK(a == b);
}

TEST(concat_copies_and_requantizes) {
  const uint8_t a[4] = {10, 20, 30, 40}, b[2] = {100, 200};
  ConcatInput ia{a, {2, 2}, {0.5f, 0}}, ib{b, {2, 1}, {1.0f, 100}};
  uint8_t y[6];
  concat(Isa::kScalar, {ia, ib}, 1, DType::kU8, {0.5f, 0}, y);
  // b requantized: (100 - 100) * 1 / 0.5 = 0, (200 - 100) / 0.5 = 200.
  const uint8_t want[] = {10, 20, 0, 30, 40, 200};
  CHECK(std::memcmp(y, want, 6) == 0);
  bool threw = false;
  try {
    concat(Isa::kScalar, {ia, ConcatInput{b, {1, 2}, {1.f, 0}}}, 1, DType::kU8, {0.5f, 0}, y);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
}

TEST(concat_and_resize_threaded_paths_match_one_thread) {
  qt::Rng r(9);
  std::vector<uint8_t> a(8 * 100000), b(8 * 50000);
  for (auto& v : a) v = static_cast<uint8_t>(r.next());
  for (auto& v : b) v = static_cast<uint8_t>(r.next());
  for (int isaI = 0; isaI < kIsaCount; ++isaI) {
    const Isa isa = static_cast<Isa>(isaI);
    if (!isaSupported(isa)) continue;
    std::vector<uint8_t> one(a.size() + b.size()), many(one.size());
    const std::vector<ConcatInput> in = {{a.data(), {8, 100000}, {0.1f, 3}}, {b.data(), {8, 50000}, {0.05f, 7}}};
    concat(isa, in, 1, DType::kU8, {0.1f, 3}, one.data(), 1);
    concat(isa, in, 1, DType::kU8, {0.1f, 3}, many.data());
    CHECK_MSG(one == many, std::string("concat threads ") + isaName(isa));
    ResizeParams p;
    p.h = p.w = 64, p.c = 128, p.oh = p.ow = 128, p.scaleH = p.scaleW = 2.f;
    std::vector<uint8_t> x(64 * 64 * 128), y1(128 * 128 * 128), y2(y1.size());
    for (auto& v : x) v = static_cast<uint8_t>(r.next());
    for (ResizeMode m : {ResizeMode::kNearest, ResizeMode::kLinear}) {
      p.mode = m;
      resize2d(Isa::kScalar, p, DType::kU8, x.data(), y1.data(), 1);
      resize2d(isa, p, DType::kU8, x.data(), y2.data());
      CHECK_MSG(y1 == y2, std::string("resize threads ") + isaName(isa));
    }
  }
}
