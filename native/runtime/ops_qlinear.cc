// qint8 — engine ops for quantized convolution and matrix multiplication, adapters from the op
// interface to Conv2d and Linear (weights packed at creation):
//   qint8::QLinearConvNhwc   QLinearConv's inputs and attributes on NHWC activations, plus a fused
//                            activation (activation = "Relu" | "Clip" with clip_min / clip_max)
//   qint8::ConvIntegerNhwc   ConvInteger on NHWC activations
//   qint8::DynamicQuantizeConvNhwc  DynamicQuantizeLinear -> ConvInteger -> float output stage
//                            (x_scale * w_scale[c], bias, Relu / Clip) on NHWC float activations
//   QLinearMatMul            ONNX semantics (A [..., M, K] x constant B [K, N]), plus an optional
//                            int32 bias input 8 and a fused activation as above
//   MatMulInteger            ONNX semantics (constant B)
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "qint8/conv.h"
#include "qint8/dynquant.h"
#include "qint8/quantize.h"
#include "qint8/threadpool.h"
#include "qint8/structural.h"
#include "qint8/linear.h"
#include "qint8/op.h"
#include "f32_kernels.h"

namespace qint8 {
namespace {

[[noreturn]] void bad(const std::string& m) { throw std::invalid_argument(m); }

const TensorView& constInput(const OpContext& c, size_t i, const char* what) {
  if (i >= c.constants.size() || !c.constants[i].data) bad(std::string(what) + " must be a constant (initializer)");
  return c.constants[i];
}

DType qtypeOf(ElemType t, const char* what) {
  if (t == ElemType::kU8) return DType::kU8;
  if (t == ElemType::kS8) return DType::kS8;
  bad(std::string(what) + " must be uint8 or int8");
}

float scalarF32(const TensorView& t, const char* what) {
  if (t.type != ElemType::kF32 || t.shape.numel() != 1) bad(std::string(what) + " must be a float32 scalar");
  return *t.as<const float>();
}

int32_t zeroPointOf(const TensorView& t, const char* what) {
  if (t.shape.numel() != 1) bad(std::string(what) + " must be a scalar");
  if (t.type == ElemType::kU8) return *t.as<const uint8_t>();
  if (t.type == ElemType::kS8) return *t.as<const int8_t>();
  bad(std::string(what) + " must be uint8 or int8");
}

// Per-channel (or per-tensor) int8 weight zero points; uint8 weights are turned into int8 by the
// caller (w - 128, zp - 128).
std::vector<int32_t> weightZeroPoints(const TensorView& t, bool wasUint8) {
  std::vector<int32_t> z(static_cast<size_t>(t.shape.numel()));
  for (size_t i = 0; i < z.size(); ++i)
    z[i] = wasUint8 ? static_cast<int32_t>(t.as<const uint8_t>()[i]) - 128 : t.as<const int8_t>()[i];
  return z;
}

// Weights as int8: uint8 weights (legal in QLinearConv / QLinearMatMul / *Integer) shift by 128.
std::vector<int8_t> weightsS8(const TensorView& w) {
  std::vector<int8_t> v(static_cast<size_t>(w.shape.numel()));
  if (w.type == ElemType::kS8) std::memcpy(v.data(), w.data, v.size());
  else if (w.type == ElemType::kU8)
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int8_t>(static_cast<int32_t>(w.as<const uint8_t>()[i]) - 128);
  else bad("weights must be uint8 or int8");
  return v;
}

void fusedActivation(const Attrs& a, bool* relu, bool* hasClip, float* lo, float* hi) {
  const std::string act = a.getString("activation", "");
  *relu = act == "Relu";
  *hasClip = act == "Clip";
  *lo = static_cast<float>(a.getFloat("clip_min", -INFINITY));
  *hi = static_cast<float>(a.getFloat("clip_max", INFINITY));
  if (!act.empty() && act != "Relu" && act != "Clip") bad("fused activation must be Relu or Clip, got " + act);
}

// Conv attributes (ONNX names) into a config; pads are [top, left, bottom, right].
void convAttrs(const Attrs& a, Conv2dConfig& c, int kh, int kw) {
  const auto ks = a.getInts("kernel_shape", {kh, kw});
  if (ks.size() != 2 || ks[0] != kh || ks[1] != kw) bad("kernel_shape does not match the weights");
  const auto strides = a.getInts("strides", {1, 1});
  const auto dil = a.getInts("dilations", {1, 1});
  const auto pads = a.getInts("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4) bad("2-D convolution attributes expected");
  c.strideH = static_cast<int>(strides[0]);
  c.strideW = static_cast<int>(strides[1]);
  c.dilationH = static_cast<int>(dil[0]);
  c.dilationW = static_cast<int>(dil[1]);
  c.padTop = static_cast<int>(pads[0]);
  c.padLeft = static_cast<int>(pads[1]);
  c.padBottom = static_cast<int>(pads[2]);
  c.padRight = static_cast<int>(pads[3]);
  c.groups = static_cast<int>(a.getInt("group", 1));
  const std::string ap = a.getString("auto_pad", "NOTSET");
  c.autoPad = ap == "SAME_UPPER" ? AutoPad::kSameUpper : ap == "SAME_LOWER" ? AutoPad::kSameLower : ap == "VALID" ? AutoPad::kValid : AutoPad::kNotSet;
}

// A config from 4-D ONNX conv weights [cout][cin/groups][kh][kw] and the node's attributes (the
// weight data and the quantization fields are the caller's).
Conv2dConfig convFromWeights(const OpContext& ctx, const TensorView& w, const char* notFourD) {
  if (w.shape.rank != 4) bad(notFourD);
  Conv2dConfig c;
  c.isa = ctx.isa;
  c.cout = static_cast<int>(w.shape[0]);
  c.kh = static_cast<int>(w.shape[2]);
  c.kw = static_cast<int>(w.shape[3]);
  convAttrs(ctx.attrs, c, c.kh, c.kw);
  c.cin = static_cast<int>(w.shape[1]) * c.groups;
  return c;
}

// Activations NHWC: checks x and y shapes against the conv's geometry.
void checkNhwc(const Conv2d& conv, const TensorView& x, const TensorView& y, int* n, int* h, int* w) {
  if (x.shape.rank != 4 || y.shape.rank != 4) bad("NHWC activations must be 4-D");
  const Conv2dConfig& c = conv.config();
  if (x.shape[3] != c.cin) bad("input channels " + std::to_string(x.shape[3]) + " != " + std::to_string(c.cin));
  *n = static_cast<int>(x.shape[0]);
  *h = static_cast<int>(x.shape[1]);
  *w = static_cast<int>(x.shape[2]);
  const ConvGeometry g = conv.geometry(*n, *h, *w);
  if (y.shape[0] != *n || y.shape[1] != g.oh || y.shape[2] != g.ow || y.shape[3] != c.cout)
    bad("output shape " + y.shape.str() + " does not match the convolution");
}

class ConvOp : public Op {
 public:
  explicit ConvOp(std::unique_ptr<Conv2d> c) : conv_(std::move(c)) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    int n, h, w;
    checkNhwc(*conv_, in[0], out[0], &n, &h, &w);
    conv_->run(in[0].data, n, h, w, out[0].data, maxThreads);
  }

 private:
  std::unique_ptr<Conv2d> conv_;
};

// QLinearConv inputs: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, [B]
std::unique_ptr<Op> makeQLinearConvNhwc(const OpContext& ctx) {
  const TensorView& w = constInput(ctx, 3, "w");
  Conv2dConfig c = convFromWeights(ctx, w, "QLinearConv weights must be 4-D (2-D convolution)");
  const std::vector<int8_t> ws8 = weightsS8(w);
  c.weight = ws8.data();
  const TensorView& xs = constInput(ctx, 1, "x_scale");
  const TensorView& xz = constInput(ctx, 2, "x_zero_point");
  c.inputType = qtypeOf(xz.type, "x_zero_point");
  c.input.scale = scalarF32(xs, "x_scale");
  c.input.zeroPoint = zeroPointOf(xz, "x_zero_point");
  const TensorView& wsc = constInput(ctx, 4, "w_scale");
  if (wsc.type != ElemType::kF32) bad("w_scale must be float32");
  c.weightScale = wsc.as<const float>();
  c.weightScaleCount = static_cast<int>(wsc.shape.numel());
  std::vector<int32_t> wzp;
  if (ctx.inputPresent.size() > 5 && ctx.inputPresent[5]) {
    wzp = weightZeroPoints(constInput(ctx, 5, "w_zero_point"), w.type == ElemType::kU8);
  } else if (w.type == ElemType::kU8) {
    bad("uint8 weights need a w_zero_point");
  }
  if (!wzp.empty()) {
    c.weightZeroPoint = wzp.data();
    c.weightZeroPointCount = static_cast<int>(wzp.size());
  }
  const TensorView& ys = constInput(ctx, 6, "y_scale");
  const TensorView& yz = constInput(ctx, 7, "y_zero_point");
  c.outputType = qtypeOf(yz.type, "y_zero_point");
  c.output.scale = scalarF32(ys, "y_scale");
  c.output.zeroPoint = zeroPointOf(yz, "y_zero_point");
  if (ctx.inputPresent.size() > 8 && ctx.inputPresent[8]) {
    const TensorView& b = constInput(ctx, 8, "B");
    if (b.type != ElemType::kS32 || b.shape.numel() != c.cout) bad("B must be int32 with one entry per output channel");
    c.biasQ = b.as<const int32_t>();
  }
  fusedActivation(ctx.attrs, &c.relu, &c.hasClip, &c.clipMin, &c.clipMax);
  return std::make_unique<ConvOp>(Conv2d::create(c));
}

float runtimeScale(const TensorView& t) {
  if (t.type != ElemType::kF32 || t.shape.numel() != 1) bad("the input scale must be a float32 scalar");
  return *t.as<const float>();
}

int32_t runtimeZeroPoint(const TensorView& t, DType want) {
  if (t.shape.numel() != 1) bad("the input zero point must be a scalar");
  if (t.type == ElemType::kU8 && want == DType::kU8) return *t.as<const uint8_t>();
  if (t.type == ElemType::kS8 && want == DType::kS8) return *t.as<const int8_t>();
  bad(std::string("the input zero point must be ") + dtypeName(want) + " like the input");
}

// The geometry of a convolution run on an input padded into scratch: the conv itself is created
// without pads (and with input zero point 0), the caller pads the input with the call's zero point.
struct PaddedInput {
  int n, h, w, hp, wp, pt, pl, pb, pr;
  ConvGeometry g;
  bool any() const { return pt + pl + pb + pr != 0; }
};

PaddedInput paddedInput(const Conv2dConfig& geo, const TensorView& x) {
  if (x.shape.rank != 4) bad("NHWC activations must be 4-D");
  if (x.shape[3] != geo.cin) bad("input channels " + std::to_string(x.shape[3]) + " != " + std::to_string(geo.cin));
  PaddedInput p;
  p.n = static_cast<int>(x.shape[0]);
  p.h = static_cast<int>(x.shape[1]);
  p.w = static_cast<int>(x.shape[2]);
  p.g = convGeometry(geo, p.n, p.h, p.w);
  p.pt = p.g.padTop;
  p.pl = p.g.padLeft;
  const int ekh = (geo.kh - 1) * geo.dilationH + 1, ekw = (geo.kw - 1) * geo.dilationW + 1;
  p.pb = std::max(0, (p.g.oh - 1) * geo.strideH + ekh - p.h - p.pt);
  p.pr = std::max(0, (p.g.ow - 1) * geo.strideW + ekw - p.w - p.pl);
  p.hp = p.h + p.pt + p.pb;
  p.wp = p.w + p.pl + p.pr;
  return p;
}

void checkOutput(const PaddedInput& p, const Conv2dConfig& geo, const TensorView& y) {
  if (y.shape.rank != 4 || y.shape[0] != p.n || y.shape[1] != p.g.oh || y.shape[2] != p.g.ow || y.shape[3] != geo.cout)
    bad("output shape " + y.shape.str() + " does not match the convolution");
}

constexpr size_t kScratchAlign = 64;
size_t alignUp(size_t b) { return (b + kScratchAlign - 1) / kScratchAlign * kScratchAlign; }

// Splits `pixels` rows of work into tasks of about 16K elements for the pool.
template <typename F>
void forPixelBlocks(size_t pixels, int cout, int maxThreads, F&& f) {
  const size_t total = pixels * static_cast<size_t>(cout);
  const size_t tasks = std::max<size_t>(1, std::min<size_t>(pixels, total / 16384));
  const size_t per = (pixels + tasks - 1) / tasks;
  if (tasks == 1) {
    f(0, pixels);
    return;
  }
  ThreadPool::global().parallelFor(
      static_cast<int>(tasks),
      [&](int t, int) {
        const size_t b = static_cast<size_t>(t) * per;
        if (b < pixels) f(b, std::min(pixels, b + per));
      },
      maxThreads);
}

// A convolution created without pads and with input zero point 0, for inputs whose zero point is
// known per call only: the input is padded with the call's zero point (so padded taps are
// x - zx = 0), and -zx * sum(w - zw) per output channel is taken off the int32 result:
// sum((x - zx) * (w - zw)) exactly (int32 wrap-around, as the GEMM).
struct ZeroPointConv {
  std::unique_ptr<Conv2d> conv;
  Conv2dConfig geo;            // the node's geometry (pads, auto_pad, strides); weights not referenced
  std::vector<int32_t> wsum;   // sum(w - zw) per output channel

  // c: the node's full configuration (weights, zero points, pads). Input zero point and pads are
  // dropped for the conv that runs.
  explicit ZeroPointConv(Conv2dConfig c) {
    wsum.assign(static_cast<size_t>(c.cout), 0);
    const size_t per = static_cast<size_t>(c.kh) * c.kw * (c.cin / c.groups);
    for (int oc = 0; oc < c.cout; ++oc) {
      const int32_t z = c.weightZeroPoint ? c.weightZeroPoint[c.weightZeroPointCount == 1 ? 0 : oc] : 0;
      int64_t sum = 0;
      for (size_t i = 0; i < per; ++i) sum += static_cast<int32_t>(c.weight[oc * per + i]) - z;
      wsum[oc] = static_cast<int32_t>(sum);
    }
    geo = c;
    geo.weight = nullptr;
    geo.weightScale = nullptr;
    geo.weightZeroPoint = nullptr;
    geo.bias = nullptr;
    geo.biasQ = nullptr;
    c.padTop = c.padLeft = c.padBottom = c.padRight = 0;
    c.autoPad = AutoPad::kNotSet;
    c.input.zeroPoint = 0;
    c.input.scale = 1.0f;
    const float one = 1.0f;
    c.weightScale = &one;
    c.weightScaleCount = 1;
    c.bias = nullptr;
    c.biasQ = nullptr;
    c.outputType = DType::kS32;
    c.relu = c.hasClip = false;
    conv = Conv2d::create(c);
  }
  // Bytes of the padded input (0 when the conv has no pads and the input can be used as it is).
  size_t paddedBytes(const PaddedInput& p) const { return static_cast<size_t>(p.n) * p.hp * p.wp * geo.cin; }
  // corr[c] = zx * wsum[c] (mod 2^32).
  void corrections(int32_t zx, uint32_t* corr) const {
    for (int c = 0; c < geo.cout; ++c) corr[c] = static_cast<uint32_t>(zx) * static_cast<uint32_t>(wsum[c]);
  }
};

// ConvInteger with a runtime x zero point (dynamically quantized models: DynamicQuantizeLinear
// feeds it).
class ConvIntegerDynamicOp : public Op {
 public:
  ConvIntegerDynamicOp(std::unique_ptr<ZeroPointConv> zc, int zpIdx) : zc_(std::move(zc)), zpIdx_(zpIdx) {}

  size_t scratchBytes(const std::vector<TensorView>& in, const std::vector<TensorView>&) const override {
    const PaddedInput p = paddedInput(zc_->geo, in[0]);
    return (p.any() ? alignUp(zc_->paddedBytes(p)) : 0) + static_cast<size_t>(zc_->geo.cout) * sizeof(uint32_t);
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void* scratch, int maxThreads) const override {
    const Conv2dConfig& geo = zc_->geo;
    const PaddedInput p = paddedInput(geo, in[0]);
    const bool s8 = geo.inputType == DType::kS8;
    if (in[0].type != (s8 ? ElemType::kS8 : ElemType::kU8)) bad(std::string("x must be ") + dtypeName(geo.inputType));
    const int32_t zx = in[zpIdx_].data ? runtimeZeroPoint(in[zpIdx_], geo.inputType) : 0;
    checkOutput(p, geo, out[0]);
    const void* x = in[0].data;
    uint8_t* sc = static_cast<uint8_t*>(scratch);
    if (p.any()) {
      pad({p.n, p.h, p.w, geo.cin}, {0, p.pt, p.pl, 0}, {0, p.pb, p.pr, 0}, PadMode::kConstant,
          static_cast<uint8_t>(zx & 0xff), x, sc, maxThreads);
      x = sc;
      sc += alignUp(zc_->paddedBytes(p));
    }
    zc_->conv->run(x, p.n, p.hp, p.wp, out[0].data, maxThreads);
    if (zx == 0) return;
    uint32_t* corr = reinterpret_cast<uint32_t*>(sc);
    zc_->corrections(zx, corr);
    uint32_t* o = static_cast<uint32_t*>(out[0].data);
    const int cout = geo.cout;
    forPixelBlocks(static_cast<size_t>(p.n) * p.g.oh * p.g.ow, cout, maxThreads, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        uint32_t* r = o + i * cout;
        for (int c = 0; c < cout; ++c) r[c] -= corr[c];
      }
    });
  }

 private:
  std::unique_ptr<ZeroPointConv> zc_;
  int zpIdx_;
};

// ConvInteger inputs: x, w, [x_zero_point], [w_zero_point] -> int32
std::unique_ptr<Op> makeConvIntegerNhwc(const OpContext& ctx) {
  const TensorView& w = constInput(ctx, 1, "w");
  Conv2dConfig c = convFromWeights(ctx, w, "ConvInteger weights must be 4-D (2-D convolution)");
  const std::vector<int8_t> ws8 = weightsS8(w);
  c.weight = ws8.data();
  const float one = 1.0f;
  c.weightScale = &one;
  c.weightScaleCount = 1;
  c.input.scale = 1.0f;
  const bool hasZp = ctx.inputPresent.size() > 2 && ctx.inputPresent[2];
  const bool dynamicZp = hasZp && !ctx.constants[2].data;
  if (hasZp && !dynamicZp) {
    const TensorView& xz = constInput(ctx, 2, "x_zero_point");
    c.inputType = qtypeOf(xz.type, "x_zero_point");
    c.input.zeroPoint = zeroPointOf(xz, "x_zero_point");
  } else {
    const ElemType t = hasZp && ctx.constants[2].type == ElemType::kS8 ? ElemType::kS8 : ctx.constants[0].type;
    c.inputType = t == ElemType::kS8 ? DType::kS8 : DType::kU8;
  }
  std::vector<int32_t> wzp;
  if (ctx.inputPresent.size() > 3 && ctx.inputPresent[3]) wzp = weightZeroPoints(constInput(ctx, 3, "w_zero_point"), w.type == ElemType::kU8);
  else if (w.type == ElemType::kU8) wzp.assign(1, -128);  // uint8 weights with zero point 0
  if (!wzp.empty()) {
    if (wzp.size() != 1 && static_cast<int>(wzp.size()) != c.cout) bad("w_zero_point must be a scalar or have one entry per output channel");
    c.weightZeroPoint = wzp.data();
    c.weightZeroPointCount = static_cast<int>(wzp.size());
  }
  c.outputType = DType::kS32;
  if (!dynamicZp) return std::make_unique<ConvOp>(Conv2d::create(c));
  return std::make_unique<ConvIntegerDynamicOp>(std::make_unique<ZeroPointConv>(c), 2);
}

// qint8::DynamicQuantizeConvNhwc: DynamicQuantizeLinear(x) -> ConvInteger(xq, w, x_zp) ->
// Cast(float) -> Mul(x_scale * w_scale[c]) [-> Add(B[c])] [-> activation] in one op, on NHWC
// float activations. Inputs: X (float32 NHWC), W (int8 [Cout][Cin/group][kH][kW], symmetric),
// W_scale (float32, 1 or Cout entries), B (optional float32, Cout). Attributes: the Conv ones,
// activation (Relu, Clip, LeakyRelu, HardSigmoid, HardSwish), activation_params (as qint8.FusedConv).
// Per call: min/max of x, DynamicQuantizeLinear's scale and zero point, x quantized into
// zero-point-padded scratch, the int8 convolution (int32), then in place over the output
// y = act((float(acc - zx * sum(w[c])) * (sx * sw[c])) + B[c]) with the unfused ops' roundings
// (the Mul, then the Add; no FMA); the activation (Relu, Clip, LeakyRelu, HardSigmoid, HardSwish) is
// the float engine's kernel for that op.
class DynamicQuantizeConvOp : public Op {
 public:
  DynamicQuantizeConvOp(std::unique_ptr<ZeroPointConv> zc, Isa isa, std::vector<float> ws, std::vector<float> bias, bool hasAct, UnaryOp act,
                        UnaryParams actParams)
      : zc_(std::move(zc)), isa_(isa), ws_(std::move(ws)), bias_(std::move(bias)), hasAct_(hasAct), act_(act), actParams_(actParams) {}

  size_t scratchBytes(const std::vector<TensorView>& in, const std::vector<TensorView>&) const override {
    const PaddedInput p = paddedInput(zc_->geo, in[0]);
    return alignUp(zc_->paddedBytes(p)) + static_cast<size_t>(zc_->geo.cout) * (sizeof(float) + sizeof(uint32_t));
  }

  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void* scratch, int maxThreads) const override {
    const Conv2dConfig& geo = zc_->geo;
    const TensorView& xv = in[0];
    if (xv.type != ElemType::kF32) bad("X must be float32");
    const PaddedInput p = paddedInput(geo, xv);
    const TensorView& yv = out[0];
    checkOutput(p, geo, yv);
    if (yv.type != ElemType::kF32) bad("Y must be float32");
    const float* x = xv.as<const float>();
    const size_t total = static_cast<size_t>(xv.shape.numel());
    float mn, mx;
    minMax(isa_, x, total, &mn, &mx, maxThreads);
    const QParams q = dynamicQParams(mn, mx);
    uint8_t* xq = static_cast<uint8_t*>(scratch);
    const int cin = geo.cin;
    const uint8_t zx = static_cast<uint8_t>(q.zeroPoint);
    if (!p.any()) {
      quantizeLinear(isa_, x, 1, 1, total, &q.scale, &q.zeroPoint, DType::kU8, xq, maxThreads);
    } else {
      // One task per block of padded rows: zero-point rows above and below the image, the image
      // rows quantized between zero-point borders.
      const size_t rowIn = static_cast<size_t>(p.w) * cin, rowOut = static_cast<size_t>(p.wp) * cin;
      const size_t left = static_cast<size_t>(p.pl) * cin, right = static_cast<size_t>(p.pr) * cin;
      const int rows = p.n * p.hp;
      auto row = [&](int r) {
        const int img = r / p.hp, yy = r % p.hp - p.pt;
        uint8_t* d = xq + static_cast<size_t>(r) * rowOut;
        if (yy < 0 || yy >= p.h) {
          std::memset(d, zx, rowOut);
          return;
        }
        if (left) std::memset(d, zx, left);
        quantizeLinear(isa_, x + (static_cast<size_t>(img) * p.h + yy) * rowIn, 1, 1, rowIn, &q.scale, &q.zeroPoint, DType::kU8, d + left, 1);
        if (right) std::memset(d + left + rowIn, zx, right);
      };
      const size_t perTask = std::max<size_t>(1, 16384 / std::max<size_t>(1, rowOut));
      const int tasks = static_cast<int>((static_cast<size_t>(rows) + perTask - 1) / perTask);
      if (tasks <= 1) {
        for (int r = 0; r < rows; ++r) row(r);
      } else {
        ThreadPool::global().parallelFor(
            tasks,
            [&](int t, int) {
              const int e = static_cast<int>(std::min(static_cast<size_t>(rows), (t + 1) * perTask));
              for (int r = static_cast<int>(t * perTask); r < e; ++r) row(r);
            },
            maxThreads);
      }
    }
    // The int32 sums go to the output buffer (same element size), then turn into floats in place,
    // a block of pixels at a time, with the activation applied to the block while it is in cache
    // (the float engine's own kernel for that op, so the result is the unfused op's).
    zc_->conv->run(xq, p.n, p.hp, p.wp, yv.data, maxThreads);
    const int cout = geo.cout;
    uint8_t* sc = xq + alignUp(zc_->paddedBytes(p));
    float* s = reinterpret_cast<float*>(sc);
    uint32_t* corr = reinterpret_cast<uint32_t*>(sc + static_cast<size_t>(cout) * sizeof(float));
    for (int c = 0; c < cout; ++c) s[c] = q.scale * ws_[ws_.size() == 1 ? 0 : c];
    zc_->corrections(q.zeroPoint, corr);
    const float* b = bias_.empty() ? nullptr : bias_.data();
    unsigned char* y = static_cast<unsigned char*>(yv.data);
    const F32KernelTable* kt = hasAct_ ? &f32Kernels(isa_) : nullptr;
    forPixelBlocks(static_cast<size_t>(p.n) * p.g.oh * p.g.ow, cout, maxThreads, [&](size_t bg, size_t e) {
      for (size_t i = bg; i < e; ++i) {
        unsigned char* r = y + i * cout * sizeof(float);
        if (b) outputRow<true>(r, s, corr, b, cout);
        else outputRow<false>(r, s, corr, nullptr, cout);
      }
      if (kt) {
        float* f = reinterpret_cast<float*>(y + bg * cout * sizeof(float));
        kt->unary(act_, actParams_, f, f, (e - bg) * static_cast<size_t>(cout));
      }
    });
  }

 private:
  // One output pixel in place: int32 sums in, floats out (memcpy keeps the type punning defined;
  // the compiler turns it into vector loads and stores). Cast, Mul, then Add: two roundings.
  template <bool kBias>
  static inline void outputRow(unsigned char* r, const float* s, const uint32_t* corr, const float* b, int cout) {
    for (int c = 0; c < cout; ++c) {
      uint32_t a;
      std::memcpy(&a, r + c * sizeof(float), sizeof a);
      float v = static_cast<float>(static_cast<int32_t>(a - corr[c])) * s[c];
      if (kBias) v = v + b[c];
      std::memcpy(r + c * sizeof(float), &v, sizeof v);
    }
  }

  std::unique_ptr<ZeroPointConv> zc_;
  Isa isa_;
  std::vector<float> ws_, bias_;
  bool hasAct_;
  UnaryOp act_;
  UnaryParams actParams_;
};

// DynamicQuantizeConvNhwc inputs: X, W, W_scale, [B]
std::unique_ptr<Op> makeDynamicQuantizeConvNhwc(const OpContext& ctx) {
  const TensorView& w = constInput(ctx, 1, "W");
  if (w.shape.rank != 4) bad("W must be 4-D (2-D convolution)");
  if (w.type != ElemType::kS8) bad("W must be int8 (symmetric)");
  Conv2dConfig c = convFromWeights(ctx, w, "W must be 4-D (2-D convolution)");
  c.weight = w.as<const int8_t>();
  c.inputType = DType::kU8;
  const TensorView& ws = constInput(ctx, 2, "W_scale");
  if (ws.type != ElemType::kF32 || (ws.shape.numel() != 1 && ws.shape.numel() != c.cout))
    bad("W_scale must be float32 with 1 or Cout (" + std::to_string(c.cout) + ") entries");
  std::vector<float> scales(ws.as<const float>(), ws.as<const float>() + ws.shape.numel());
  std::vector<float> bias;
  if (ctx.inputPresent.size() > 3 && ctx.inputPresent[3]) {
    const TensorView& b = constInput(ctx, 3, "B");
    if (b.type != ElemType::kF32 || b.shape.numel() != c.cout) bad("B must be float32 with Cout (" + std::to_string(c.cout) + ") entries");
    bias.assign(b.as<const float>(), b.as<const float>() + c.cout);
  }
  // The activation, as the float engine's unary op of that name computes it.
  const std::string act = ctx.attrs.getString("activation", "");
  const auto prm = ctx.attrs.getFloats("activation_params", {});
  UnaryOp op = UnaryOp::kRelu;
  UnaryParams up;
  size_t need = 0;
  if (act == "Relu") op = UnaryOp::kRelu;
  else if (act == "Clip") op = UnaryOp::kClip, need = 2;
  else if (act == "LeakyRelu") op = UnaryOp::kLeakyRelu, need = 1;
  else if (act == "HardSigmoid") op = UnaryOp::kHardSigmoid, need = 2;
  else if (act == "HardSwish") op = UnaryOp::kHardSwish;
  else if (!act.empty() && act != "None") bad("activation must be Relu, Clip, LeakyRelu, HardSigmoid or HardSwish, got " + act);
  const bool hasAct = !act.empty() && act != "None";
  if (hasAct && prm.size() != need) bad(act + " takes " + std::to_string(need) + " activation_params, got " + std::to_string(prm.size()));
  if (need >= 1) up.a = static_cast<float>(prm[0]);
  if (need >= 2) up.b = static_cast<float>(prm[1]);
  return std::make_unique<DynamicQuantizeConvOp>(std::make_unique<ZeroPointConv>(c), ctx.isa, std::move(scales), std::move(bias), hasAct, op, up);
}

// Where a product's input (A) quantization parameters come from.
struct InputQ {
  enum Kind { kStatic = 0, kRuntime = 1, kDynamic = 2 } kind = kStatic;
  int scaleIdx = -1, zpIdx = -1;  // kRuntime: node inputs holding them (-1: the pack-time value)
  float alpha = 1.f;              // QGemm: the input scale becomes alpha * a_scale
  QParams base;                   // pack-time values
};

// A [..., M, K] x constant B. B [K, N]: one layer on prod(...) * M rows. B [b..., K, N]: one layer
// per batch slice of B, and A's batch dims must equal B's (numpy broadcasting of A over a 2-D B
// is the first case). A's quantization parameters are the pack-time ones, runtime inputs
// (MatMulInteger / MatMulIntegerToFloat fed by DynamicQuantizeLinear), or computed per call from
// float A (DynamicQuantizeMatMul: DynamicQuantizeLinear's arithmetic into scratch).
class MatMulOp : public Op {
 public:
  MatMulOp(std::vector<std::unique_ptr<Linear>> l, Isa isa, InputQ q) : lins_(std::move(l)), isa_(isa), q_(q) {}
  size_t scratchBytes(const std::vector<TensorView>& in, const std::vector<TensorView>&) const override {
    return q_.kind == InputQ::kDynamic ? static_cast<size_t>(in[0].shape.numel()) : 0;
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void* scratch, int maxThreads) const override {
    const TensorView& a = in[0];
    const Linear& l0 = *lins_[0];
    const int64_t k = l0.k(), n = l0.n();
    if (a.shape.rank < 1 || a.shape[a.shape.rank - 1] != k) bad("A's last dimension must be K = " + std::to_string(k));
    const int64_t rows = a.shape.numel() / k;
    if (out[0].shape.numel() != rows * n) bad("output shape " + out[0].shape.str() + " does not match the product");
    if (rows > INT32_MAX) bad("too many rows");
    const int64_t batches = static_cast<int64_t>(lins_.size());
    if (rows % batches) bad("A's batch dimensions do not match B's");
    const int64_t m = rows / batches;
    const void* adata = a.data;
    QParams q = q_.base;
    const QParams* qp = nullptr;
    if (q_.kind == InputQ::kDynamic) {
      if (a.type != ElemType::kF32) bad("A must be float32");
      q = dynamicQuantizeLinear(isa_, a.as<const float>(), static_cast<size_t>(a.shape.numel()), static_cast<uint8_t*>(scratch), maxThreads);
      adata = scratch;
      qp = &q;
    } else {
      const ElemType want = l0.inputType() == DType::kS8 ? ElemType::kS8 : ElemType::kU8;
      if (a.type != want) bad(std::string("A must be ") + dtypeName(l0.inputType()));
      if (q_.kind == InputQ::kRuntime) {
        if (q_.scaleIdx >= 0) q.scale = q_.alpha * runtimeScale(in[q_.scaleIdx]);
        if (q_.zpIdx >= 0 && in[q_.zpIdx].data) q.zeroPoint = runtimeZeroPoint(in[q_.zpIdx], l0.inputType());
        qp = &q;
      }
    }
    const size_t oi = elemSize(out[0].type);
    for (int64_t b = 0; b < batches; ++b)
      lins_[b]->run(static_cast<const uint8_t*>(adata) + b * m * k, static_cast<int>(m), static_cast<size_t>(k),
                    static_cast<uint8_t*>(out[0].data) + b * m * n * oi, static_cast<size_t>(n), qp, maxThreads);
  }

 private:
  std::vector<std::unique_ptr<Linear>> lins_;
  Isa isa_;
  InputQ q_;
};

// Slice `slice` of a constant B [..., K, N] (or [N, K] with transB) as the layer's N x K weights.
std::vector<int8_t> weightsNK(const TensorView& b, bool transB, int64_t slice, int* n, int* k) {
  if (b.shape.rank < 2) bad("B must be at least 2-D");
  *k = static_cast<int>(b.shape[b.shape.rank - (transB ? 1 : 2)]);
  *n = static_cast<int>(b.shape[b.shape.rank - (transB ? 2 : 1)]);
  const std::vector<int8_t> s8 = weightsS8(b);
  const size_t base = static_cast<size_t>(slice) * *k * *n;
  if (transB) return std::vector<int8_t>(s8.begin() + base, s8.begin() + base + static_cast<size_t>(*k) * *n);
  std::vector<int8_t> t(static_cast<size_t>(*k) * *n);
  for (int kk = 0; kk < *k; ++kk)
    for (int j = 0; j < *n; ++j) t[static_cast<size_t>(j) * *k + kk] = s8[base + static_cast<size_t>(kk) * *n + j];
  return t;
}

int64_t batchesOf(const TensorView& b) { return b.shape.numel() / (b.shape[b.shape.rank - 2] * b.shape[b.shape.rank - 1]); }

// Per-column B parameters: a scalar, one entry per column ([N], [1, N]), or one per column of
// each batch slice ([b..., 1, N]). Returns the offset of slice `slice`'s entries and their count.
int64_t perColumn(const TensorView& t, int n, int64_t batches, int64_t slice, int* count, const char* what) {
  const int64_t c = t.shape.numel();
  if (c == 1) {
    *count = 1;
    return 0;
  }
  *count = n;
  if (c == n) return 0;
  if (c == batches * n) return slice * n;
  bad(std::string(what) + " must be a scalar or have one entry per column of B");
}

// The constant-B side of a product: B, its scale (null: 1) and zero point (null: none), the
// input / output stage; one Linear per batch slice of B.
struct ProductSpec {
  const TensorView* b = nullptr;
  bool transB = false;
  const TensorView* bScale = nullptr;
  const TensorView* bZeroPoint = nullptr;
  const int32_t* biasQ = nullptr;  // n entries
  const float* biasF = nullptr;    // n entries (float output)
  LinearConfig base;               // isa, input / output stage, fused activation
};

std::vector<std::unique_ptr<Linear>> buildLayers(const ProductSpec& p) {
  const TensorView& b = *p.b;
  if (b.type != ElemType::kU8 && b.type != ElemType::kS8) bad("B must be uint8 or int8");
  const int64_t batches = p.transB ? 1 : batchesOf(b);
  if (p.transB && b.shape.rank != 2) bad("a transposed B must be 2-D");
  std::vector<std::unique_ptr<Linear>> lins;
  const float one = 1.0f;
  for (int64_t slice = 0; slice < batches; ++slice) {
    LinearConfig l = p.base;
    const std::vector<int8_t> w = weightsNK(b, p.transB, slice, &l.n, &l.k);
    l.weight = w.data();
    if (p.bScale) {
      if (p.bScale->type != ElemType::kF32) bad("b_scale must be float32");
      l.weightScale = p.bScale->as<const float>() + perColumn(*p.bScale, l.n, batches, slice, &l.weightScaleCount, "b_scale");
    } else {
      l.weightScale = &one;
      l.weightScaleCount = 1;
    }
    std::vector<int32_t> wzp;
    if (p.bZeroPoint) {
      if (p.bZeroPoint->type != b.type) bad("b_zero_point must have B's type");
      int zcount = 0;
      const int64_t zoff = perColumn(*p.bZeroPoint, l.n, batches, slice, &zcount, "b_zero_point");
      const std::vector<int32_t> zall = weightZeroPoints(*p.bZeroPoint, b.type == ElemType::kU8);
      wzp.assign(zall.begin() + zoff, zall.begin() + zoff + zcount);
    } else if (b.type == ElemType::kU8) {
      wzp.assign(1, -128);  // uint8 weights with zero point 0
    }
    if (!wzp.empty()) {
      l.weightZeroPoint = wzp.data();
      l.weightZeroPointCount = static_cast<int>(wzp.size());
    }
    l.biasQ = p.biasQ;
    l.bias = p.biasF;
    lins.push_back(Linear::create(l));
  }
  return lins;
}

bool present(const OpContext& c, size_t i) { return c.inputPresent.size() > i && c.inputPresent[i]; }
bool isConst(const OpContext& c, size_t i) { return present(c, i) && c.constants[i].data; }

// The type of a runtime quantized input from its descriptor (or its zero point's), default uint8.
DType runtimeQType(const OpContext& c, std::initializer_list<size_t> idx) {
  for (size_t i : idx)
    if (present(c, i)) {
      if (c.constants[i].type == ElemType::kS8) return DType::kS8;
      if (c.constants[i].type == ElemType::kU8) return DType::kU8;
    }
  return DType::kU8;
}

// QLinearMatMul / MatMulInteger with a runtime B (activation x activation products, as in
// quantized attention): B and every quantization parameter are read per call, and each batch
// slice of B that the call uses is packed per call (packing is O(K * N), the product O(M * K * N)).
// Batch dims broadcast as numpy's matmul does; 1-D A or B are promoted as in the ONNX definition.
class RuntimeMatMulOp : public Op {
 public:
  RuntimeMatMulOp(Isa isa, bool qlinear) : isa_(isa), qlinear_(qlinear) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    const TensorView& a = in[0];
    const TensorView& b = in[qlinear_ ? 3 : 1];
    if (a.shape.rank < 1 || b.shape.rank < 1) bad("A and B must have rank >= 1");
    // Promote 1-D operands: A [K] -> [1, K], B [K] -> [K, 1].
    Shape as = a.shape, bs = b.shape;
    if (as.rank == 1) as = Shape{1, as[0]};
    if (bs.rank == 1) bs = Shape{bs[0], 1};
    const int64_t m = as[as.rank - 2], k = as[as.rank - 1], kb = bs[bs.rank - 2], n = bs[bs.rank - 1];
    if (k != kb) bad("A's last dimension (" + std::to_string(k) + ") differs from B's second to last (" + std::to_string(kb) + ")");
    Shape ab, bb, ob;  // batch dims, right-aligned broadcasting
    ab.rank = as.rank - 2;
    bb.rank = bs.rank - 2;
    for (int i = 0; i < ab.rank; ++i) ab[i] = as[i];
    for (int i = 0; i < bb.rank; ++i) bb[i] = bs[i];
    ob = broadcastShapes(ab, bb);
    const int64_t batches = ob.numel();
    if (out[0].shape.numel() != batches * m * n) bad("output shape " + out[0].shape.str() + " does not match the product");
    if (m == 0 || n == 0 || batches == 0) return;
    if (k == 0) {
      if (out[0].type != ElemType::kS32) bad("an empty inner dimension is supported for int32 outputs only");
      std::memset(out[0].data, 0, out[0].bytes());  // the empty sum
      return;
    }
    if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) bad("matrix dimensions are too large");

    LinearConfig base;
    base.isa = isa_;
    std::vector<int32_t> zall;
    const TensorView* bScale = nullptr;
    const TensorView* bZp = nullptr;
    if (qlinear_) {
      base.inputType = qtypeOf(in[2].type, "a_zero_point");
      base.input = {scalarF32(in[1], "a_scale"), zeroPointOf(in[2], "a_zero_point")};
      bScale = &in[4];
      if (bScale->type != ElemType::kF32) bad("b_scale must be float32");
      bZp = &in[5];
      base.outputType = qtypeOf(in[7].type, "y_zero_point");
      base.output = {scalarF32(in[6], "y_scale"), zeroPointOf(in[7], "y_zero_point")};
    } else {
      base.input.scale = 1.0f;
      if (in.size() > 2 && in[2].data) {
        base.inputType = qtypeOf(in[2].type, "a_zero_point");
        base.input.zeroPoint = zeroPointOf(in[2], "a_zero_point");
      } else {
        base.inputType = a.type == ElemType::kS8 ? DType::kS8 : DType::kU8;
      }
      if (in.size() > 3 && in[3].data) bZp = &in[3];
      base.outputType = DType::kS32;
    }
    if (a.type != (base.inputType == DType::kS8 ? ElemType::kS8 : ElemType::kU8)) bad("A's type must match a_zero_point's");
    if (bZp && bZp->type != b.type) bad("b_zero_point must have B's type");
    if (bZp) zall = weightZeroPoints(*bZp, b.type == ElemType::kU8);
    const float one = 1.0f;
    const int64_t bBatches = bb.numel();
    std::vector<std::unique_ptr<Linear>> lins(static_cast<size_t>(bBatches));
    auto layer = [&](int64_t slice) -> const Linear& {
      std::unique_ptr<Linear>& l = lins[static_cast<size_t>(slice)];
      if (l) return *l;
      LinearConfig c = base;
      const int nn = static_cast<int>(n), kk = static_cast<int>(k);
      // The slice as N x K int8 (uint8 B shifts by 128, its zero points too).
      std::vector<int8_t> w(static_cast<size_t>(n * k));
      const uint8_t* src = static_cast<const uint8_t*>(b.data) + slice * k * n;
      const bool u8 = b.type == ElemType::kU8;
      if (!u8 && b.type != ElemType::kS8) bad("B must be uint8 or int8");
      for (int64_t r = 0; r < k; ++r)
        for (int64_t j = 0; j < n; ++j) {
          const uint8_t v = src[r * n + j];
          w[static_cast<size_t>(j * k + r)] = u8 ? static_cast<int8_t>(static_cast<int32_t>(v) - 128) : static_cast<int8_t>(v);
        }
      c.n = nn;
      c.k = kk;
      c.weight = w.data();
      if (bScale) c.weightScale = bScale->as<const float>() + perColumn(*bScale, nn, bBatches, slice, &c.weightScaleCount, "b_scale");
      else {
        c.weightScale = &one;
        c.weightScaleCount = 1;
      }
      std::vector<int32_t> wzp;
      if (bZp) {
        int zc = 0;
        const int64_t off = perColumn(*bZp, nn, bBatches, slice, &zc, "b_zero_point");
        wzp.assign(zall.begin() + off, zall.begin() + off + zc);
      } else if (b.type == ElemType::kU8) {
        wzp.assign(1, -128);
      }
      if (!wzp.empty()) {
        c.weightZeroPoint = wzp.data();
        c.weightZeroPointCount = static_cast<int>(wzp.size());
      }
      l = Linear::create(c);
      return *l;
    };
    // Batch index -> offsets of A's and B's slices (broadcast dims repeat).
    const size_t oi = elemSize(out[0].type);
    for (int64_t o = 0; o < batches; ++o) {
      int64_t rem = o, ai = 0, bi = 0, astride = 1, bstride = 1;
      for (int d = ob.rank - 1; d >= 0; --d) {
        const int64_t idx = rem % ob[d];
        rem /= ob[d];
        const int da = d - (ob.rank - ab.rank), db = d - (ob.rank - bb.rank);
        if (da >= 0) {
          if (ab[da] != 1) ai += idx * astride;
          astride *= ab[da];
        }
        if (db >= 0) {
          if (bb[db] != 1) bi += idx * bstride;
          bstride *= bb[db];
        }
      }
      layer(bi).run(static_cast<const uint8_t*>(a.data) + ai * m * k, static_cast<int>(m), static_cast<size_t>(k),
                    static_cast<uint8_t*>(out[0].data) + o * m * n * oi, static_cast<size_t>(n), nullptr, maxThreads);
    }
  }

 private:
  Isa isa_;
  bool qlinear_;
};

// QLinearMatMul inputs: a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp, [bias (qint8 extension)]
std::unique_ptr<Op> makeQLinearMatMul(const OpContext& ctx) {
  if (!isConst(ctx, 3)) return std::make_unique<RuntimeMatMulOp>(ctx.isa, true);
  ProductSpec p;
  p.b = &constInput(ctx, 3, "b");
  LinearConfig& l = p.base;
  l.isa = ctx.isa;
  const TensorView& as = constInput(ctx, 1, "a_scale");
  const TensorView& az = constInput(ctx, 2, "a_zero_point");
  l.inputType = qtypeOf(az.type, "a_zero_point");
  l.input.scale = scalarF32(as, "a_scale");
  l.input.zeroPoint = zeroPointOf(az, "a_zero_point");
  p.bScale = &constInput(ctx, 4, "b_scale");
  p.bZeroPoint = &constInput(ctx, 5, "b_zero_point");
  const TensorView& ys = constInput(ctx, 6, "y_scale");
  const TensorView& yz = constInput(ctx, 7, "y_zero_point");
  l.outputType = qtypeOf(yz.type, "y_zero_point");
  l.output.scale = scalarF32(ys, "y_scale");
  l.output.zeroPoint = zeroPointOf(yz, "y_zero_point");
  if (present(ctx, 8)) {
    const TensorView& bias = constInput(ctx, 8, "bias");
    const int64_t n = p.b->shape[p.b->shape.rank - 1];
    if (bias.type != ElemType::kS32 || bias.shape.numel() != n) bad("bias must be int32 with one entry per column");
    p.biasQ = bias.as<const int32_t>();
  }
  fusedActivation(ctx.attrs, &l.relu, &l.hasClip, &l.clipMin, &l.clipMax);
  return std::make_unique<MatMulOp>(buildLayers(p), ctx.isa, InputQ());
}

// A's zero point for the integer products: absent (0), constant, or a runtime input (the output
// of DynamicQuantizeLinear in dynamically quantized models).
void integerInput(const OpContext& ctx, size_t zpIdx, LinearConfig& l, InputQ& q) {
  l.input.scale = 1.0f;
  if (isConst(ctx, zpIdx)) {
    const TensorView& az = ctx.constants[zpIdx];
    l.inputType = qtypeOf(az.type, "a_zero_point");
    l.input.zeroPoint = zeroPointOf(az, "a_zero_point");
  } else {
    l.inputType = runtimeQType(ctx, {0, zpIdx});
    if (present(ctx, zpIdx)) {
      q.kind = InputQ::kRuntime;
      q.zpIdx = static_cast<int>(zpIdx);
    }
  }
}

// MatMulInteger inputs: a, b, [a_zero_point], [b_zero_point] -> int32
std::unique_ptr<Op> makeMatMulInteger(const OpContext& ctx) {
  if (!isConst(ctx, 1)) return std::make_unique<RuntimeMatMulOp>(ctx.isa, false);
  ProductSpec p;
  p.b = &constInput(ctx, 1, "b");
  if (present(ctx, 3)) p.bZeroPoint = &constInput(ctx, 3, "b_zero_point");
  LinearConfig& l = p.base;
  l.isa = ctx.isa;
  InputQ q;
  integerInput(ctx, 2, l, q);
  l.outputType = DType::kS32;
  q.base = l.input;
  return std::make_unique<MatMulOp>(buildLayers(p), ctx.isa, q);
}

// com.microsoft.MatMulIntegerToFloat inputs: a, b, a_scale, b_scale, [a_zero_point],
// [b_zero_point], [bias] -> float32: y = float(acc) * (a_scale * b_scale[n]) + bias[n]
// (onnxruntime's scale-bias output stage: multiply, then add).
std::unique_ptr<Op> makeMatMulIntegerToFloat(const OpContext& ctx) {
  ProductSpec p;
  p.b = &constInput(ctx, 1, "b");
  p.bScale = &constInput(ctx, 3, "b_scale");
  if (present(ctx, 5)) p.bZeroPoint = &constInput(ctx, 5, "b_zero_point");
  LinearConfig& l = p.base;
  l.isa = ctx.isa;
  InputQ q;
  integerInput(ctx, 4, l, q);
  if (isConst(ctx, 2)) {
    l.input.scale = scalarF32(ctx.constants[2], "a_scale");
  } else {
    q.kind = InputQ::kRuntime;
    q.scaleIdx = 2;
  }
  l.outputType = DType::kF32;
  if (present(ctx, 6)) {
    const TensorView& bias = constInput(ctx, 6, "bias");
    const int64_t n = p.b->shape[p.b->shape.rank - 1];
    if (bias.type != ElemType::kF32 || bias.shape.numel() != n) bad("bias must be float32 with one entry per column");
    p.biasF = bias.as<const float>();
  }
  q.base = l.input;
  return std::make_unique<MatMulOp>(buildLayers(p), ctx.isa, q);
}

// com.microsoft.DynamicQuantizeMatMul inputs: a (float32), b, b_scale, [b_zero_point], [bias]:
// A quantized per call as DynamicQuantizeLinear does (uint8), then MatMulIntegerToFloat.
std::unique_ptr<Op> makeDynamicQuantizeMatMul(const OpContext& ctx) {
  ProductSpec p;
  p.b = &constInput(ctx, 1, "b");
  p.bScale = &constInput(ctx, 2, "b_scale");
  if (present(ctx, 3)) p.bZeroPoint = &constInput(ctx, 3, "b_zero_point");
  LinearConfig& l = p.base;
  l.isa = ctx.isa;
  l.inputType = DType::kU8;
  l.outputType = DType::kF32;
  if (present(ctx, 4)) {
    const TensorView& bias = constInput(ctx, 4, "bias");
    const int64_t n = p.b->shape[p.b->shape.rank - 1];
    if (bias.type != ElemType::kF32 || bias.shape.numel() != n) bad("bias must be float32 with one entry per column");
    p.biasF = bias.as<const float>();
  }
  InputQ q;
  q.kind = InputQ::kDynamic;
  q.base = l.input;
  return std::make_unique<MatMulOp>(buildLayers(p), ctx.isa, q);
}

// com.microsoft.QGemm inputs: a, a_scale, a_zp, b, b_scale, b_zp, [C int32], [y_scale, y_zp];
// attributes alpha, transA (0 only), transB. Output scale (alpha * a_scale * b_scale[n]) / y_scale
// as onnxruntime evaluates it; without y_scale the output is float32 acc * (alpha * a_scale * b_scale[n]).
std::unique_ptr<Op> makeQGemm(const OpContext& ctx) {
  if (ctx.attrs.getInt("transA", 0) != 0) bad("QGemm with transA = 1 is not supported");
  ProductSpec p;
  p.b = &constInput(ctx, 3, "B");
  p.transB = ctx.attrs.getInt("transB", 0) != 0;
  if (p.b->shape.rank != 2) bad("QGemm's B must be 2-D");
  const int64_t n = p.b->shape[p.transB ? 0 : 1];
  p.bScale = &constInput(ctx, 4, "b_scale");
  p.bZeroPoint = &constInput(ctx, 5, "b_zero_point");
  LinearConfig& l = p.base;
  l.isa = ctx.isa;
  const float alpha = static_cast<float>(ctx.attrs.getFloat("alpha", 1.0));
  if (!(std::isfinite(alpha) && alpha > 0)) bad("QGemm's alpha must be a finite number > 0");
  const TensorView& az = constInput(ctx, 2, "a_zero_point");
  l.inputType = qtypeOf(az.type, "a_zero_point");
  l.input.zeroPoint = zeroPointOf(az, "a_zero_point");
  l.input.scale = alpha * scalarF32(constInput(ctx, 1, "a_scale"), "a_scale");
  std::vector<int32_t> c;
  if (present(ctx, 6)) {
    const TensorView& ct = constInput(ctx, 6, "C");
    if (ct.type != ElemType::kS32) bad("C must be int32");
    const int64_t cn = ct.shape.numel();
    const bool rowVector = ct.shape.rank <= 1 || (ct.shape.rank == 2 && ct.shape[0] == 1);
    if (!(cn == 1 || (cn == n && rowVector))) bad("C must be a scalar or have one entry per column (shape [N] or [1, N])");
    c.assign(static_cast<size_t>(n), 0);
    for (int64_t j = 0; j < n; ++j) c[j] = ct.as<const int32_t>()[cn == 1 ? 0 : j];
    p.biasQ = c.data();
  }
  if (present(ctx, 7)) {
    const TensorView& yz = constInput(ctx, 8, "y_zero_point");
    l.outputType = qtypeOf(yz.type, "y_zero_point");
    l.output.scale = scalarF32(constInput(ctx, 7, "y_scale"), "y_scale");
    l.output.zeroPoint = zeroPointOf(yz, "y_zero_point");
  } else {
    l.outputType = DType::kF32;
  }
  fusedActivation(ctx.attrs, &l.relu, &l.hasClip, &l.clipMin, &l.clipMax);
  return std::make_unique<MatMulOp>(buildLayers(p), ctx.isa, InputQ());
}

}  // namespace

QINT8_REGISTER_OP("qint8", "QLinearConvNhwc", makeQLinearConvNhwc);
QINT8_REGISTER_OP("qint8", "ConvIntegerNhwc", makeConvIntegerNhwc);
QINT8_REGISTER_OP("qint8", "DynamicQuantizeConvNhwc", makeDynamicQuantizeConvNhwc);
QINT8_REGISTER_OP("", "QLinearMatMul", makeQLinearMatMul);
QINT8_REGISTER_OP("", "MatMulInteger", makeMatMulInteger);
QINT8_REGISTER_OP("com.microsoft", "MatMulIntegerToFloat", makeMatMulIntegerToFloat);
QINT8_REGISTER_OP("com.microsoft", "DynamicQuantizeMatMul", makeDynamicQuantizeMatMul);
QINT8_REGISTER_OP("com.microsoft", "QGemm", makeQGemm);

}  // namespace qint8
