// qint8 — Resize (ONNX, opsets 11-19 attributes) and qint8::ResizeNhwc (the same op on a
// channels-last tensor). Modes: nearest (any rank, any element type; nearest_mode
// round_prefer_floor / round_prefer_ceil / floor / ceil) and linear (float32; 2-D, or 4-D with
// two scales of 1: [1, 1, h, w] = NCHW, [1, h, w, 1] = NHWC). Coordinate transformations:
// half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn,
// tf_crop_and_resize (roi + extrapolation_value). Scales come from the scales input or, with
// sizes, as output / input in float32 (keep_aspect_ratio_policy and axes honoured).
//
// The float arithmetic of every coordinate and weight follows onnxruntime's CPU Resize step by
// step (float32, no FMA: this file is compiled without FMA flags and with -ffp-contract=off),
// so outputs match it bit for bit where its kernels are the ones below (checked by the tests).
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fops_common.h"

namespace qint8 {
namespace {

using namespace fops;

enum class Coord { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNn, kTfCropAndResize };
enum class Nearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };
enum class Policy { kStretch, kNotLarger, kNotSmaller };

float originalCoord(Coord m, float x, float scale, float lenResized, float lenOriginal, float roiStart, float roiEnd) {
  switch (m) {
    case Coord::kAsymmetric: return x / scale;
    case Coord::kPytorchHalfPixel: return lenResized > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case Coord::kTfHalfPixelForNn: return (x + 0.5f) / scale;
    case Coord::kAlignCorners: return lenResized == 1 ? 0.f : x * (lenOriginal - 1) / (lenResized - 1);
    case Coord::kTfCropAndResize: {
      const double o = lenResized > 1 ? roiStart * (lenOriginal - 1) + (x * (roiEnd - roiStart) * (lenOriginal - 1)) / (lenResized - 1)
                                      : 0.5 * (roiStart + roiEnd) * (lenOriginal - 1);
      return static_cast<float>(o);
    }
    case Coord::kHalfPixel: break;
  }
  return ((x + 0.5f) / scale) - 0.5f;
}

int64_t nearestPixel(Nearest m, float x) {
  switch (m) {
    case Nearest::kRoundPreferCeil: return static_cast<int64_t>(std::round(x));
    case Nearest::kFloor: return static_cast<int64_t>(std::floor(x));
    case Nearest::kCeil: return static_cast<int64_t>(std::ceil(x));
    case Nearest::kRoundPreferFloor: break;
  }
  if (x == static_cast<float>(static_cast<int64_t>(x)) + 0.5f) return static_cast<int64_t>(std::floor(x));
  return static_cast<int64_t>(std::round(x));
}

class ResizeOp : public Op {
 public:
  ResizeOp(const OpContext& c, bool nhwc) : nhwc_(nhwc), name_(nhwc ? "ResizeNhwc" : "Resize") {
    const std::string mode = c.attrs.getString("mode", "nearest");
    if (mode == "nearest")
      linear_ = false;
    else if (mode == "linear")
      linear_ = true;
    else
      fail(std::string(name_) + ": mode '" + mode + "' is not supported (nearest, linear)");
    const std::string ct = c.attrs.getString("coordinate_transformation_mode", "half_pixel");
    if (ct == "half_pixel")
      coord_ = Coord::kHalfPixel;
    else if (ct == "pytorch_half_pixel")
      coord_ = Coord::kPytorchHalfPixel;
    else if (ct == "align_corners")
      coord_ = Coord::kAlignCorners;
    else if (ct == "asymmetric")
      coord_ = Coord::kAsymmetric;
    else if (ct == "tf_half_pixel_for_nn")
      coord_ = Coord::kTfHalfPixelForNn;
    else if (ct == "tf_crop_and_resize")
      coord_ = Coord::kTfCropAndResize;
    else
      fail(std::string(name_) + ": coordinate_transformation_mode '" + ct + "' is not supported");
    const std::string nm = c.attrs.getString("nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor")
      nearest_ = Nearest::kRoundPreferFloor;
    else if (nm == "round_prefer_ceil")
      nearest_ = Nearest::kRoundPreferCeil;
    else if (nm == "floor")
      nearest_ = Nearest::kFloor;
    else if (nm == "ceil")
      nearest_ = Nearest::kCeil;
    else
      fail(std::string(name_) + ": nearest_mode '" + nm + "' is not supported");
    const std::string pol = c.attrs.getString("keep_aspect_ratio_policy", "stretch");
    if (pol == "stretch")
      policy_ = Policy::kStretch;
    else if (pol == "not_larger")
      policy_ = Policy::kNotLarger;
    else if (pol == "not_smaller")
      policy_ = Policy::kNotSmaller;
    else
      fail(std::string(name_) + ": keep_aspect_ratio_policy '" + pol + "' is not supported");
    if (c.attrs.getInt("antialias", 0) != 0) fail(std::string(name_) + ": antialias is not supported");
    if (c.attrs.getInt("exclude_outside", 0) != 0) fail(std::string(name_) + ": exclude_outside applies to cubic mode only");
    extrapolation_ = static_cast<float>(c.attrs.getFloat("extrapolation_value", 0.0));
    axes_ = c.attrs.getInts("axes");
  }

  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs(name_, in, 1, 4);
    expectOutputs(name_, out, 1);
    const TensorView& X = in[0];
    const TensorView& Y = out[0];
    expectSameType(name_, "output", Y, X);
    const int r = X.shape.rank;
    if (r == 0) fail(std::string(name_) + ": the input must have rank >= 1");
    if (Y.shape.rank != r) fail(std::string(name_) + ": the output rank differs from the input rank");
    std::vector<int> axes;
    for (int64_t a : axes_) axes.push_back(normAxis(name_, a, r, "axes entry"));
    if (axes.empty())
      for (int d = 0; d < r; ++d) axes.push_back(d);
    if (nhwc_) {
      if (r < 3) fail(std::string(name_) + ": the input must have rank >= 3, got " + X.shape.str());
      for (int& a : axes) a = a == 0 ? 0 : a == 1 ? r - 1 : a - 1;
    }
    // roi (per axis start, end), default [0, 1].
    std::vector<float> roiStart(r, 0.f), roiEnd(r, 1.f);
    if (coord_ == Coord::kTfCropAndResize) {
      if (!present(in, 1) || in[1].shape.numel() == 0) fail(std::string(name_) + ": tf_crop_and_resize needs the roi input");
      expectType(name_, "roi", in[1], ElemType::kF32);
      const int64_t n = in[1].shape.numel();
      if (n != 2 * static_cast<int64_t>(axes.size())) fail(std::string(name_) + ": roi must hold 2 values per resized axis");
      const float* roi = in[1].as<const float>();
      for (size_t i = 0; i < axes.size(); ++i) {
        roiStart[axes[i]] = roi[i];
        roiEnd[axes[i]] = roi[i + axes.size()];
      }
    }
    std::vector<float> scale(r, 1.f);
    const bool hasScales = present(in, 2) && in[2].shape.numel() > 0;
    const bool hasSizes = present(in, 3) && in[3].shape.numel() > 0;
    if (hasScales == hasSizes) fail(std::string(name_) + ": exactly one of scales and sizes must be given");
    Shape want = X.shape;
    if (hasScales) {
      expectType(name_, "scales", in[2], ElemType::kF32);
      if (in[2].shape.numel() != static_cast<int64_t>(axes.size()))
        fail(std::string(name_) + ": scales has " + std::to_string(in[2].shape.numel()) + " values, expected " + std::to_string(axes.size()));
      for (size_t i = 0; i < axes.size(); ++i) {
        const float s = in[2].as<const float>()[i];
        if (!(s > 0.f)) fail(std::string(name_) + ": scales must be > 0");
        scale[axes[i]] = s;
      }
      for (int d = 0; d < r; ++d) want.d[d] = static_cast<int64_t>(scale[d] * static_cast<float>(X.shape.d[d]));
    } else {
      const SmallInts sizes = intsOf(name_, "sizes", in[3]);
      if (sizes.size() != axes.size())
        fail(std::string(name_) + ": sizes has " + std::to_string(sizes.size()) + " values, expected " + std::to_string(axes.size()));
      for (size_t i = 0; i < axes.size(); ++i) want.d[axes[i]] = sizes[i];
      for (int d = 0; d < r; ++d) {
        if (X.shape.d[d] == 0) {
          if (want.d[d] != 0) fail(std::string(name_) + ": cannot resize an empty axis to a non-empty one");
          scale[d] = 1.f;
        } else {
          scale[d] = static_cast<float>(want.d[d]) / static_cast<float>(X.shape.d[d]);
        }
      }
      if (policy_ != Policy::kStretch) {
        float s = policy_ == Policy::kNotLarger ? std::numeric_limits<float>::max() : std::numeric_limits<float>::min();
        for (int d : axes) s = policy_ == Policy::kNotLarger ? std::min(s, scale[d]) : std::max(s, scale[d]);
        for (int d = 0; d < r; ++d) {
          const bool on = std::find(axes.begin(), axes.end(), d) != axes.end();
          scale[d] = on ? s : 1.f;
          want.d[d] = on ? static_cast<int64_t>(std::round(s * static_cast<float>(X.shape.d[d]))) : X.shape.d[d];
        }
      }
    }
    expectShape(name_, "output", Y.shape, want);
    if (Y.shape.numel() == 0) return;
    if (!linear_) {
      nearestAny(X, Y, scale, roiStart, roiEnd, maxThreads);
      return;
    }
    expectType(name_, "input", X, ElemType::kF32);
    // Linear: 2-D, or 4-D with the scales of two axes 1.
    int hAx, wAx;
    bool channelsLast;
    if (r == 2) {
      hAx = 0;
      wAx = 1;
      channelsLast = false;
    } else if (r == 4 && !nhwc_ && scale[0] == 1.f && scale[1] == 1.f) {
      hAx = 2;
      wAx = 3;
      channelsLast = false;
    } else if (r == 4 && scale[0] == 1.f && scale[3] == 1.f) {
      hAx = 1;
      wAx = 2;
      channelsLast = true;
    } else {
      fail(std::string(name_) + (nhwc_ ? ": linear mode supports 4-D inputs with scales [1, 1, h, w] (NCHW order)"
                                       : ": linear mode supports 2-D inputs and 4-D inputs with scales [1, 1, h, w] or [1, h, w, 1]"));
    }
    bilinear(X, Y, hAx, wAx, channelsLast, scale, roiStart, roiEnd, maxThreads);
  }

 private:
  void nearestAny(const TensorView& X, const TensorView& Y, const std::vector<float>& scale, const std::vector<float>& roiStart,
                  const std::vector<float>& roiEnd, int maxThreads) const {
    const int r = X.shape.rank;
    const bool extrap = coord_ == Coord::kTfCropAndResize;
    std::vector<std::vector<int64_t>> map(static_cast<size_t>(r));
    for (int d = 0; d < r; ++d) {
      const int64_t lenIn = X.shape.d[d], lenOut = Y.shape.d[d];
      map[d].resize(static_cast<size_t>(lenOut));
      for (int64_t o = 0; o < lenOut; ++o) {
        if (scale[d] == 1.f) {
          map[d][o] = o;
          continue;
        }
        const float orig = originalCoord(coord_, static_cast<float>(o), scale[d], static_cast<float>(lenOut),
                                         static_cast<float>(lenIn), roiStart[d], roiEnd[d]);
        if (extrap && (orig < 0 || orig > static_cast<float>(lenIn - 1))) {
          map[d][o] = -1;
          continue;
        }
        int64_t i = nearestPixel(nearest_, orig);
        if (i >= lenIn) i = lenIn - 1;
        if (i < 0) i = 0;
        map[d][o] = i;
      }
    }
    const size_t es = elemSize(X.type);
    uint8_t fill[8] = {0};
    if (extrap) storeFill(X.type, fill);
    int64_t st[kMaxRank];
    stridesOf(X.shape, st);
    const size_t inner = static_cast<size_t>(Y.shape.d[r - 1]);
    const size_t rows = static_cast<size_t>(Y.shape.numel()) / inner;
    const std::vector<int64_t>& lm = map[r - 1];
    const uint8_t* x = static_cast<const uint8_t*>(X.data);
    uint8_t* y = static_cast<uint8_t*>(Y.data);
    parallelRange(rows, std::max<size_t>(1, kGrainCheap / inner), maxThreads, [&](size_t b, size_t e) {
      for (size_t t = b; t < e; ++t) {
        size_t rem = t;
        int64_t off = 0;
        bool outside = false;
        for (int d = r - 2; d >= 0; --d) {
          const size_t c = rem % static_cast<size_t>(Y.shape.d[d]);
          rem /= static_cast<size_t>(Y.shape.d[d]);
          const int64_t j = map[d][c];
          if (j < 0) outside = true;
          off += j * st[d];
        }
        uint8_t* o = y + t * inner * es;
        if (outside) {
          fillElems(o, fill, inner, es);
          continue;
        }
        const uint8_t* src = x + off * static_cast<int64_t>(es);
        switch (es) {
          case 4: {
            const uint32_t* s4 = reinterpret_cast<const uint32_t*>(src);
            uint32_t* o4 = reinterpret_cast<uint32_t*>(o);
            uint32_t f;
            std::memcpy(&f, fill, 4);
            for (size_t i = 0; i < inner; ++i) o4[i] = lm[i] < 0 ? f : s4[lm[i]];
            break;
          }
          default:
            for (size_t i = 0; i < inner; ++i) std::memcpy(o + i * es, lm[i] < 0 ? fill : src + lm[i] * static_cast<int64_t>(es), es);
            break;
        }
      }
    });
  }

  void storeFill(ElemType t, uint8_t* p) const {
    const float v = extrapolation_;
    switch (t) {
      case ElemType::kF32: std::memcpy(p, &v, 4); break;
      case ElemType::kF64: {
        const double d = v;
        std::memcpy(p, &d, 8);
        break;
      }
      case ElemType::kS32: {
        const int32_t i = static_cast<int32_t>(v);
        std::memcpy(p, &i, 4);
        break;
      }
      case ElemType::kS64: {
        const int64_t i = static_cast<int64_t>(v);
        std::memcpy(p, &i, 8);
        break;
      }
      case ElemType::kU8: *p = static_cast<uint8_t>(v); break;
      case ElemType::kS8: *p = static_cast<uint8_t>(static_cast<int8_t>(v)); break;
      case ElemType::kBool: *p = v != 0; break;
    }
  }

  struct Axis1d {
    std::vector<int32_t> i1, i2;
    std::vector<float> d1, d2, orig;
  };

  Axis1d setupAxis(int64_t lenIn, int64_t lenOut, float scale, float rs, float re) const {
    Axis1d a;
    a.i1.resize(lenOut);
    a.i2.resize(lenOut);
    a.d1.resize(lenOut);
    a.d2.resize(lenOut);
    a.orig.resize(lenOut);
    for (int64_t o = 0; o < lenOut; ++o) {
      float v = scale == 1.f ? static_cast<float>(o)
                             : originalCoord(coord_, static_cast<float>(o), scale, static_cast<float>(lenOut), static_cast<float>(lenIn), rs, re);
      a.orig[o] = v;
      v = std::max(0.0f, std::min(v, static_cast<float>(lenIn - 1)));
      const int32_t i1 = std::min(static_cast<int32_t>(v), static_cast<int32_t>(lenIn - 1));
      const int32_t i2 = std::min(i1 + 1, static_cast<int32_t>(lenIn - 1));
      a.i1[o] = i1;
      a.i2[o] = i2;
      a.d1[o] = std::fabs(v - static_cast<float>(i1));
      a.d2[o] = std::fabs(v - static_cast<float>(i2));
      if (i1 == i2) {
        a.d1[o] = 0.5f;
        a.d2[o] = 0.5f;
      }
    }
    return a;
  }

  // y = c11 * x11 + c21 * x21 + c12 * x12 + c22 * x22 with c11 = dx2 * dy2, c21 = dx1 * dy2,
  // c12 = dx2 * dy1, c22 = dx1 * dy1 (onnxruntime's bilinear weights and order).
  void bilinear(const TensorView& X, const TensorView& Y, int hAx, int wAx, bool channelsLast, const std::vector<float>& scale,
                const std::vector<float>& roiStart, const std::vector<float>& roiEnd, int maxThreads) const {
    const int64_t H = X.shape.d[hAx], W = X.shape.d[wAx], OH = Y.shape.d[hAx], OW = Y.shape.d[wAx];
    if (H > INT32_MAX || W > INT32_MAX) fail(std::string(name_) + ": the input is too large");
    const Axis1d ay = setupAxis(H, OH, scale[hAx], roiStart[hAx], roiEnd[hAx]);
    const Axis1d ax = setupAxis(W, OW, scale[wAx], roiStart[wAx], roiEnd[wAx]);
    const bool extrap = coord_ == Coord::kTfCropAndResize;
    const float ev = extrapolation_;
    const float* x = X.as<const float>();
    float* y = Y.as<float>();
    auto outsideY = [&](int64_t oy) { return extrap && (ay.orig[oy] < 0 || ay.orig[oy] > static_cast<float>(H - 1)); };
    auto outsideX = [&](int64_t ox) { return extrap && (ax.orig[ox] < 0 || ax.orig[ox] > static_cast<float>(W - 1)); };
    if (!channelsLast) {
      // planes = N * C (or 1 for 2-D); tasks over (plane, output row).
      const size_t planes = static_cast<size_t>(X.shape.numel() / (H * W));
      parallelRange(planes * static_cast<size_t>(OH), std::max<size_t>(1, kGrainCheap / static_cast<size_t>(OW)), maxThreads, [&](size_t b, size_t e) {
        for (size_t t = b; t < e; ++t) {
          const size_t p = t / static_cast<size_t>(OH);
          const int64_t oy = static_cast<int64_t>(t % static_cast<size_t>(OH));
          const float* xp = x + p * static_cast<size_t>(H * W);
          float* yr = y + p * static_cast<size_t>(OH * OW) + static_cast<size_t>(oy * OW);
          if (outsideY(oy)) {
            for (int64_t ox = 0; ox < OW; ++ox) yr[ox] = ev;
            continue;
          }
          const float* r1 = xp + static_cast<int64_t>(ay.i1[oy]) * W;
          const float* r2 = xp + static_cast<int64_t>(ay.i2[oy]) * W;
          const float dy1 = ay.d1[oy], dy2 = ay.d2[oy];
          for (int64_t ox = 0; ox < OW; ++ox) {
            if (outsideX(ox)) {
              yr[ox] = ev;
              continue;
            }
            const int32_t x1 = ax.i1[ox], x2 = ax.i2[ox];
            const float c11 = ax.d2[ox] * dy2, c21 = ax.d1[ox] * dy2, c12 = ax.d2[ox] * dy1, c22 = ax.d1[ox] * dy1;
            yr[ox] = c11 * r1[x1] + c21 * r1[x2] + c12 * r2[x1] + c22 * r2[x2];
          }
        }
      });
      return;
    }
    const int64_t N = X.shape.d[0], C = X.shape.d[3];
    parallelRange(static_cast<size_t>(N * OH), std::max<size_t>(1, kGrainCheap / static_cast<size_t>(OW * C)), maxThreads, [&](size_t b, size_t e) {
      for (size_t t = b; t < e; ++t) {
        const int64_t n = static_cast<int64_t>(t) / OH, oy = static_cast<int64_t>(t) % OH;
        const float* xn = x + n * H * W * C;
        float* yr = y + (n * OH + oy) * OW * C;
        const bool oyOut = outsideY(oy);
        const float* r1 = xn + static_cast<int64_t>(ay.i1[oy]) * W * C;
        const float* r2 = xn + static_cast<int64_t>(ay.i2[oy]) * W * C;
        const float dy1 = ay.d1[oy], dy2 = ay.d2[oy];
        for (int64_t ox = 0; ox < OW; ++ox) {
          float* yo = yr + ox * C;
          if (oyOut || outsideX(ox)) {
            for (int64_t c = 0; c < C; ++c) yo[c] = ev;
            continue;
          }
          const float* p11 = r1 + static_cast<int64_t>(ax.i1[ox]) * C;
          const float* p21 = r1 + static_cast<int64_t>(ax.i2[ox]) * C;
          const float* p12 = r2 + static_cast<int64_t>(ax.i1[ox]) * C;
          const float* p22 = r2 + static_cast<int64_t>(ax.i2[ox]) * C;
          const float c11 = ax.d2[ox] * dy2, c21 = ax.d1[ox] * dy2, c12 = ax.d2[ox] * dy1, c22 = ax.d1[ox] * dy1;
          for (int64_t c = 0; c < C; ++c) yo[c] = c11 * p11[c] + c21 * p21[c] + c12 * p12[c] + c22 * p22[c];
        }
      }
    });
  }

  bool nhwc_;
  const char* name_;
  bool linear_ = false;
  Coord coord_ = Coord::kHalfPixel;
  Nearest nearest_ = Nearest::kRoundPreferFloor;
  Policy policy_ = Policy::kStretch;
  float extrapolation_ = 0.f;
  std::vector<int64_t> axes_;
};

std::unique_ptr<Op> makeResize(const OpContext& c) { return std::make_unique<ResizeOp>(c, false); }
std::unique_ptr<Op> makeResizeNhwc(const OpContext& c) { return std::make_unique<ResizeOp>(c, true); }

}  // namespace

QINT8_REGISTER_OP("", "Resize", makeResize);
QINT8_REGISTER_OP("qint8", "ResizeNhwc", makeResizeNhwc);

}  // namespace qint8
