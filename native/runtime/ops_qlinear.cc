// qint8 — engine ops for quantized convolution and matrix multiplication, adapters from the op
// interface to Conv2d and Linear (weights packed at creation):
//   qint8::QLinearConvNhwc   QLinearConv's inputs and attributes on NHWC activations, plus a fused
//                            activation (activation = "Relu" | "Clip" with clip_min / clip_max)
//   qint8::ConvIntegerNhwc   ConvInteger on NHWC activations
//   QLinearMatMul            ONNX semantics (A [..., M, K] x constant B [K, N]), plus an optional
//                            int32 bias input 8 and a fused activation as above
//   MatMulInteger            ONNX semantics (constant B)
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "qint8/conv.h"
#include "qint8/linear.h"
#include "qint8/op.h"

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
  if (w.shape.rank != 4) bad("QLinearConv weights must be 4-D (2-D convolution)");
  Conv2dConfig c;
  c.isa = ctx.isa;
  c.cout = static_cast<int>(w.shape[0]);
  c.kh = static_cast<int>(w.shape[2]);
  c.kw = static_cast<int>(w.shape[3]);
  convAttrs(ctx.attrs, c, c.kh, c.kw);
  c.cin = static_cast<int>(w.shape[1]) * c.groups;
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

// ConvInteger inputs: x, w, [x_zero_point], [w_zero_point] -> int32
std::unique_ptr<Op> makeConvIntegerNhwc(const OpContext& ctx) {
  const TensorView& w = constInput(ctx, 1, "w");
  if (w.shape.rank != 4) bad("ConvInteger weights must be 4-D (2-D convolution)");
  Conv2dConfig c;
  c.isa = ctx.isa;
  c.cout = static_cast<int>(w.shape[0]);
  c.kh = static_cast<int>(w.shape[2]);
  c.kw = static_cast<int>(w.shape[3]);
  convAttrs(ctx.attrs, c, c.kh, c.kw);
  c.cin = static_cast<int>(w.shape[1]) * c.groups;
  const std::vector<int8_t> ws8 = weightsS8(w);
  c.weight = ws8.data();
  const float one = 1.0f;
  c.weightScale = &one;
  c.weightScaleCount = 1;
  c.input.scale = 1.0f;
  if (ctx.inputPresent.size() > 2 && ctx.inputPresent[2]) {
    const TensorView& xz = constInput(ctx, 2, "x_zero_point");
    c.inputType = qtypeOf(xz.type, "x_zero_point");
    c.input.zeroPoint = zeroPointOf(xz, "x_zero_point");
  }
  std::vector<int32_t> wzp;
  if (ctx.inputPresent.size() > 3 && ctx.inputPresent[3]) wzp = weightZeroPoints(constInput(ctx, 3, "w_zero_point"), w.type == ElemType::kU8);
  else if (w.type == ElemType::kU8) wzp.assign(1, -128);  // uint8 weights with zero point 0
  if (!wzp.empty()) {
    c.weightZeroPoint = wzp.data();
    c.weightZeroPointCount = static_cast<int>(wzp.size());
  }
  c.outputType = DType::kS32;
  return std::make_unique<ConvOp>(Conv2d::create(c));
}

// A [..., M, K] x constant B. B [K, N]: one layer on prod(...) * M rows. B [b..., K, N]: one layer
// per batch slice of B, and A's batch dims must equal B's (numpy broadcasting of A over a 2-D B
// is the first case).
class MatMulOp : public Op {
 public:
  explicit MatMulOp(std::vector<std::unique_ptr<Linear>> l) : lins_(std::move(l)) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
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
    const size_t ai = (a.type == ElemType::kF32 ? 4 : 1), oi = elemSize(out[0].type);
    for (int64_t b = 0; b < batches; ++b)
      lins_[b]->run(static_cast<const uint8_t*>(a.data) + b * m * k * ai, static_cast<int>(m), static_cast<size_t>(k),
                    static_cast<uint8_t*>(out[0].data) + b * m * n * oi, static_cast<size_t>(n), nullptr, maxThreads);
  }

 private:
  std::vector<std::unique_ptr<Linear>> lins_;
};

// Slice `b` of a constant B [..., K, N] as the linear layer's N x K weights.
std::vector<int8_t> transposeB(const TensorView& b, int64_t slice, int* n, int* k) {
  if (b.shape.rank < 2) bad("B must be at least 2-D");
  *k = static_cast<int>(b.shape[b.shape.rank - 2]);
  *n = static_cast<int>(b.shape[b.shape.rank - 1]);
  const std::vector<int8_t> s8 = weightsS8(b);
  const size_t base = static_cast<size_t>(slice) * *k * *n;
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

// QLinearMatMul inputs: a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp, [bias (qint8 extension)]
std::unique_ptr<Op> makeQLinearMatMul(const OpContext& ctx) {
  const TensorView& b = constInput(ctx, 3, "b");
  std::vector<std::unique_ptr<Linear>> lins;
  for (int64_t slice = 0; slice < batchesOf(b); ++slice) {
  LinearConfig l;
  l.isa = ctx.isa;
  const std::vector<int8_t> w = transposeB(b, slice, &l.n, &l.k);
  l.weight = w.data();
  const TensorView& as = constInput(ctx, 1, "a_scale");
  const TensorView& az = constInput(ctx, 2, "a_zero_point");
  l.inputType = qtypeOf(az.type, "a_zero_point");
  l.input.scale = scalarF32(as, "a_scale");
  l.input.zeroPoint = zeroPointOf(az, "a_zero_point");
  const TensorView& bs = constInput(ctx, 4, "b_scale");
  if (bs.type != ElemType::kF32) bad("b_scale must be float32");
  l.weightScale = bs.as<const float>() + perColumn(bs, l.n, batchesOf(b), slice, &l.weightScaleCount, "b_scale");
  const TensorView& bz = constInput(ctx, 5, "b_zero_point");
  int zcount = 0;
  const int64_t zoff = perColumn(bz, l.n, batchesOf(b), slice, &zcount, "b_zero_point");
  const std::vector<int32_t> zall = weightZeroPoints(bz, b.type == ElemType::kU8);
  const std::vector<int32_t> wzp(zall.begin() + zoff, zall.begin() + zoff + zcount);
  l.weightZeroPoint = wzp.data();
  l.weightZeroPointCount = zcount;
  const TensorView& ys = constInput(ctx, 6, "y_scale");
  const TensorView& yz = constInput(ctx, 7, "y_zero_point");
  l.outputType = qtypeOf(yz.type, "y_zero_point");
  l.output.scale = scalarF32(ys, "y_scale");
  l.output.zeroPoint = zeroPointOf(yz, "y_zero_point");
  if (ctx.inputPresent.size() > 8 && ctx.inputPresent[8]) {
    const TensorView& bias = constInput(ctx, 8, "bias");
    if (bias.type != ElemType::kS32 || bias.shape.numel() != l.n) bad("bias must be int32 with one entry per column");
    l.biasQ = bias.as<const int32_t>();
  }
  fusedActivation(ctx.attrs, &l.relu, &l.hasClip, &l.clipMin, &l.clipMax);
  lins.push_back(Linear::create(l));
  }
  return std::make_unique<MatMulOp>(std::move(lins));
}

// MatMulInteger inputs: a, b, [a_zero_point], [b_zero_point] -> int32
std::unique_ptr<Op> makeMatMulInteger(const OpContext& ctx) {
  const TensorView& b = constInput(ctx, 1, "b");
  std::vector<std::unique_ptr<Linear>> lins;
  for (int64_t slice = 0; slice < batchesOf(b); ++slice) {
  LinearConfig l;
  l.isa = ctx.isa;
  const std::vector<int8_t> w = transposeB(b, slice, &l.n, &l.k);
  l.weight = w.data();
  const float one = 1.0f;
  l.weightScale = &one;
  l.weightScaleCount = 1;
  l.input.scale = 1.0f;
  if (ctx.inputPresent.size() > 2 && ctx.inputPresent[2]) {
    const TensorView& az = constInput(ctx, 2, "a_zero_point");
    l.inputType = qtypeOf(az.type, "a_zero_point");
    l.input.zeroPoint = zeroPointOf(az, "a_zero_point");
  }
  std::vector<int32_t> wzp;
  if (ctx.inputPresent.size() > 3 && ctx.inputPresent[3]) {
    const TensorView& bz = constInput(ctx, 3, "b_zero_point");
    int zcount = 0;
    const int64_t zoff = perColumn(bz, l.n, batchesOf(b), slice, &zcount, "b_zero_point");
    const std::vector<int32_t> zall = weightZeroPoints(bz, b.type == ElemType::kU8);
    wzp.assign(zall.begin() + zoff, zall.begin() + zoff + zcount);
  } else if (b.type == ElemType::kU8) {
    wzp.assign(1, -128);
  }
  if (!wzp.empty()) {
    l.weightZeroPoint = wzp.data();
    l.weightZeroPointCount = static_cast<int>(wzp.size());
  }
  l.outputType = DType::kS32;
  lins.push_back(Linear::create(l));
  }
  return std::make_unique<MatMulOp>(std::move(lins));
}

}  // namespace

QINT8_REGISTER_OP("qint8", "QLinearConvNhwc", makeQLinearConvNhwc);
QINT8_REGISTER_OP("qint8", "ConvIntegerNhwc", makeConvIntegerNhwc);
QINT8_REGISTER_OP("", "QLinearMatMul", makeQLinearMatMul);
QINT8_REGISTER_OP("", "MatMulInteger", makeMatMulInteger);

}  // namespace qint8
