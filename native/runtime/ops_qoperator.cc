// qint8 — engine ops for QOperator ONNX models (quantized operators with their quantization
// parameters as inputs), adapters from the op interface to the int8 op families:
//   com.microsoft.QLinearAdd / QLinearMul      binary family (numpy broadcasting); QLinearAdd takes an
//                                               internal attribute activation = "Relu" (fused ReLU)
//   com.microsoft.QLinearSigmoid / QLinearLeakyRelu
//                                              lut family: the 256-entry table is built at creation
//                                              from the constant qparams (both input types when the
//                                              zero points are omitted, picked per call)
//   com.microsoft.QLinearConcat                structural concat (requantizing inputs whose
//                                              qparams differ from the output's)
//   com.microsoft.QLinearAveragePool           pool family; channels_last = 1 (the layout pass's
//                                              NHWC twin lowers here with channels_last = 1)
//   com.microsoft.QLinearGlobalAveragePool     pool family; channels_last = 1, or 0 ([N, C, ...]
//                                              reduced as N*C rows of one channel)
//   DynamicQuantizeLinear                      dynquant family (uint8, scale, zero point)
//   qint8.QMaxPoolNhwc / QResizeNhwc           MaxPool / Resize on uint8 / int8 NHWC tensors
//   qint8.QPad                                 Pad on uint8 / int8 tensors (any layout)
// Quantization parameters must be constants (initializers), except where noted.
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "qint8/binary.h"
#include "qint8/dynquant.h"
#include "qint8/lut.h"
#include "qint8/op.h"
#include "qint8/pool.h"
#include "qint8/resize.h"
#include "qint8/structural.h"

namespace qint8 {
namespace {

[[noreturn]] void bad(const std::string& m) { throw std::invalid_argument(m); }

bool present(const OpContext& c, size_t i) { return c.inputPresent.size() > i && c.inputPresent[i]; }

const TensorView& constInput(const OpContext& c, size_t i, const std::string& what) {
  if (!present(c, i) || !c.constants[i].data) bad(what + " must be a constant (initializer)");
  return c.constants[i];
}

float scaleOf(const OpContext& c, size_t i, const std::string& what) {
  const TensorView& t = constInput(c, i, what);
  if (t.type != ElemType::kF32 || t.shape.numel() != 1) bad(what + " must be a float32 scalar");
  const float s = *t.as<const float>();
  if (!(std::isfinite(s) && s > 0)) bad(what + " must be a finite number > 0");
  return s;
}

// An optional zero point: absent gives 0 (of the input's type, known only per call), present must
// be a constant uint8 / int8 scalar. *type is set when present.
int32_t zeroPointOf(const OpContext& c, size_t i, const std::string& what, ElemType* type) {
  if (!present(c, i)) return 0;
  const TensorView& t = constInput(c, i, what);
  if (t.shape.numel() != 1) bad(what + " must be a scalar");
  if (t.type == ElemType::kU8) {
    *type = ElemType::kU8;
    return *t.as<const uint8_t>();
  }
  if (t.type == ElemType::kS8) {
    *type = ElemType::kS8;
    return *t.as<const int8_t>();
  }
  bad(what + " must be uint8 or int8");
}

DType qtype(ElemType t, const char* what) {
  if (t == ElemType::kU8) return DType::kU8;
  if (t == ElemType::kS8) return DType::kS8;
  bad(std::string(what) + " must be uint8 or int8");
}

// The element type from the zero points given (all must agree), else from the descriptor of input
// `x`, else unknown (kF32 marks "decided per call").
ElemType declaredType(const OpContext& c, const std::vector<ElemType>& zps, size_t x) {
  ElemType t = ElemType::kF32;
  for (ElemType z : zps) {
    if (z == ElemType::kF32) continue;
    if (t != ElemType::kF32 && t != z) bad("zero points must all have the same type");
    t = z;
  }
  if (t == ElemType::kF32 && present(c, x) && (c.constants[x].type == ElemType::kU8 || c.constants[x].type == ElemType::kS8))
    t = c.constants[x].type;
  return t;
}

void checkType(const TensorView& t, ElemType want, const char* what) {
  if (t.type != ElemType::kU8 && t.type != ElemType::kS8) bad(std::string(what) + " must be uint8 or int8");
  if (want != ElemType::kF32 && t.type != want) bad(std::string(what) + " must have its zero point's type");
}

std::vector<int64_t> dimsOf(const Shape& s) { return std::vector<int64_t>(s.d, s.d + s.rank); }

// ---------------------------------------------------------------------------------------------
// QLinearAdd / QLinearMul: A, A_scale, A_zp?, B, B_scale, B_zp?, C_scale, C_zp?

class BinaryOpImpl : public Op {
 public:
  BinaryOpImpl(Isa isa, BinaryConfig cfg, ElemType type) : isa_(isa), cfg_(cfg), type_(type) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    checkType(in[0], type_, "A");
    if (in[3].type != in[0].type) bad("B must have A's type");
    if (out[0].type != in[0].type) bad("C must have A's type");
    BinaryConfig cfg = cfg_;
    cfg.type = in[0].type == ElemType::kS8 ? DType::kS8 : DType::kU8;
    if (type_ == ElemType::kF32) checkBinaryConfig(cfg);
    const std::vector<int64_t> a = dimsOf(in[0].shape), b = dimsOf(in[3].shape);
    if (broadcastShape(a, b) != dimsOf(out[0].shape)) bad("output shape " + out[0].shape.str() + " is not the broadcast of the inputs");
    qlinearBinary(isa_, cfg, in[0].data, a, in[3].data, b, out[0].data, maxThreads);
  }

 private:
  Isa isa_;
  BinaryConfig cfg_;
  ElemType type_;
};

std::unique_ptr<Op> makeBinary(const OpContext& c, BinaryOp op) {
  BinaryConfig cfg;
  cfg.op = op;
  ElemType za = ElemType::kF32, zb = ElemType::kF32, zc = ElemType::kF32;
  cfg.a = {scaleOf(c, 1, "A_scale"), zeroPointOf(c, 2, "A_zero_point", &za)};
  cfg.b = {scaleOf(c, 4, "B_scale"), zeroPointOf(c, 5, "B_zero_point", &zb)};
  cfg.c = {scaleOf(c, 6, "C_scale"), zeroPointOf(c, 7, "C_zero_point", &zc)};
  // qint8's QDQ fusion folds a following Relu into QLinearAdd (attribute activation = "Relu").
  const std::string act = c.attrs.getString("activation", "");
  if (!act.empty() && (act != "Relu" || op != BinaryOp::kAdd)) bad("fused activation of QLinearAdd must be Relu, got " + act);
  cfg.relu = act == "Relu";
  const ElemType t = declaredType(c, {za, zb, zc}, 0);
  if (t != ElemType::kF32) {
    cfg.type = qtype(t, "A");
    checkBinaryConfig(cfg);
  }
  return std::make_unique<BinaryOpImpl>(c.isa, cfg, t);
}

std::unique_ptr<Op> makeQLinearAdd(const OpContext& c) { return makeBinary(c, BinaryOp::kAdd); }
std::unique_ptr<Op> makeQLinearMul(const OpContext& c) { return makeBinary(c, BinaryOp::kMul); }

// ---------------------------------------------------------------------------------------------
// QLinearSigmoid / QLinearLeakyRelu: X, X_scale, X_zp?, Y_scale, Y_zp? (table per input type)

class TableOp : public Op {
 public:
  TableOp(Isa isa, ElemType type) : isa_(isa), type_(type) {}
  uint8_t tables[2][256];  // [0] uint8, [1] int8
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    checkType(in[0], type_, "X");
    if (out[0].type != in[0].type) bad("Y must have X's type");
    if (out[0].shape.numel() != in[0].shape.numel()) bad("Y must have X's shape");
    applyLookupTable(isa_, tables[in[0].type == ElemType::kS8 ? 1 : 0], in[0].as<const uint8_t>(),
                     static_cast<size_t>(in[0].shape.numel()), out[0].as<uint8_t>(), maxThreads);
  }
  int inplaceInput(int) const override { return 0; }

 private:
  Isa isa_;
  ElemType type_;
};

std::unique_ptr<Op> makeTable(const OpContext& c, UnaryFn fn, UnaryParams p) {
  ElemType zx = ElemType::kF32, zy = ElemType::kF32;
  const QParams x{scaleOf(c, 1, "X_scale"), zeroPointOf(c, 2, "X_zero_point", &zx)};
  const QParams y{scaleOf(c, 3, "Y_scale"), zeroPointOf(c, 4, "Y_zero_point", &zy)};
  const ElemType t = declaredType(c, {zx, zy}, 0);
  auto op = std::make_unique<TableOp>(c.isa, t);
  for (int s = 0; s < 2; ++s) {
    const DType d = s ? DType::kS8 : DType::kU8;
    if (t != ElemType::kF32 && (t == ElemType::kS8) != (s == 1)) continue;
    buildLookupTable(fn, p, d, x, d, y, op->tables[s]);
  }
  return op;
}

std::unique_ptr<Op> makeQLinearSigmoid(const OpContext& c) { return makeTable(c, UnaryFn::kSigmoid, {}); }
std::unique_ptr<Op> makeQLinearLeakyRelu(const OpContext& c) {
  UnaryParams p;
  p.alpha = static_cast<float>(c.attrs.getFloat("alpha", 0.009999999776482582));
  return makeTable(c, UnaryFn::kLeakyRelu, p);
}

// ---------------------------------------------------------------------------------------------
// QLinearConcat: Y_scale, Y_zp, then (X_i, X_i_scale, X_i_zp) triplets; attribute axis.

class ConcatOp : public Op {
 public:
  ConcatOp(Isa isa, int64_t axis, QParams out, ElemType type, std::vector<QParams> q)
      : isa_(isa), axis_(axis), out_(out), type_(type), q_(std::move(q)) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    if (out[0].type != type_) bad("Y must have Y_zero_point's type");
    std::vector<ConcatInput> ins(q_.size());
    const int rank = out[0].shape.rank;
    for (size_t i = 0; i < q_.size(); ++i) {
      const TensorView& x = in[2 + 3 * i];
      if (x.type != type_) bad("input " + std::to_string(i) + " must have Y's type");
      ins[i].data = x.data;
      ins[i].shape = dimsOf(x.shape);
      ins[i].q = q_[i];
    }
    const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (axis < 0 || axis >= rank) bad("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
    concat(isa_, ins, static_cast<int>(axis), type_ == ElemType::kS8 ? DType::kS8 : DType::kU8, out_, out[0].data, maxThreads);
  }

 private:
  Isa isa_;
  int64_t axis_;
  QParams out_;
  ElemType type_;
  std::vector<QParams> q_;
};

std::unique_ptr<Op> makeQLinearConcat(const OpContext& c) {
  const size_t n = c.inputPresent.size();
  if (n < 5 || (n - 2) % 3 != 0) bad("QLinearConcat takes Y_scale, Y_zero_point and (X, X_scale, X_zero_point) triplets");
  ElemType t = ElemType::kF32;
  const QParams out{scaleOf(c, 0, "Y_scale"), zeroPointOf(c, 1, "Y_zero_point", &t)};
  if (t == ElemType::kF32) bad("Y_zero_point is required");
  std::vector<QParams> q;
  for (size_t i = 2; i < n; i += 3) {
    const std::string k = std::to_string((i - 2) / 3);
    ElemType zt = ElemType::kF32;
    q.push_back({scaleOf(c, i + 1, "the scale of input " + k), zeroPointOf(c, i + 2, "the zero point of input " + k, &zt)});
    if (!present(c, i + 2)) bad("the zero point of input " + k + " is required");
    if (zt != t) bad("the zero point of input " + k + " must have Y_zero_point's type");
  }
  return std::make_unique<ConcatOp>(c.isa, c.attrs.getInt("axis"), out, t, std::move(q));
}

// ---------------------------------------------------------------------------------------------
// Pools.

AutoPad autoPadOf(const Attrs& a) {
  const std::string s = a.getString("auto_pad", "NOTSET");
  if (s == "NOTSET") return AutoPad::kNotSet;
  if (s == "VALID") return AutoPad::kValid;
  if (s == "SAME_UPPER") return AutoPad::kSameUpper;
  if (s == "SAME_LOWER") return AutoPad::kSameLower;
  bad("unknown auto_pad '" + s + "'");
}

// 2-D pooling attributes (ONNX names; pads [top, left, bottom, right]).
Pool2dParams poolParams(const Attrs& a, bool dilations) {
  Pool2dParams p;
  const auto k = a.getInts("kernel_shape");
  if (k.size() != 2) bad("kernel_shape must have 2 entries (2-D pooling)");
  const auto s = a.getInts("strides", {1, 1});
  const auto d = a.getInts("dilations", {1, 1});
  const auto pads = a.getInts("pads", {0, 0, 0, 0});
  if (s.size() != 2 || d.size() != 2 || pads.size() != 4) bad("2-D pooling attributes expected");
  if (!dilations && (d[0] != 1 || d[1] != 1)) bad("dilations are not supported here");
  p.kh = k[0];
  p.kw = k[1];
  p.sh = s[0];
  p.sw = s[1];
  p.dh = d[0];
  p.dw = d[1];
  p.padTop = pads[0];
  p.padLeft = pads[1];
  p.padBottom = pads[2];
  p.padRight = pads[3];
  p.autoPad = autoPadOf(a);
  p.ceilMode = a.getInt("ceil_mode", 0) != 0;
  p.countIncludePad = a.getInt("count_include_pad", 0) != 0;
  return p;
}

void nhwcInto(Pool2dParams& p, const TensorView& x, const TensorView& y) {
  if (x.shape.rank != 4 || y.shape.rank != 4) bad("NHWC pooling takes 4-D tensors");
  p.n = x.shape[0];
  p.h = x.shape[1];
  p.w = x.shape[2];
  p.c = x.shape[3];
  const Pool2dPlan pl = planPool2d(p);
  if (y.shape[0] != p.n || y.shape[1] != pl.oh || y.shape[2] != pl.ow || y.shape[3] != p.c)
    bad("output shape " + y.shape.str() + " does not match the pooling of " + x.shape.str());
}

class MaxPoolOp : public Op {
 public:
  MaxPoolOp(Isa isa, Pool2dParams p) : isa_(isa), p_(p) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    checkType(in[0], ElemType::kF32, "X");
    if (out[0].type != in[0].type) bad("Y must have X's type");
    Pool2dParams p = p_;
    nhwcInto(p, in[0], out[0]);
    maxPool2d(isa_, p, in[0].type == ElemType::kS8 ? DType::kS8 : DType::kU8, in[0].data, out[0].data, maxThreads);
  }

 private:
  Isa isa_;
  Pool2dParams p_;
};

std::unique_ptr<Op> makeQMaxPoolNhwc(const OpContext& c) {
  if (c.attrs.getInt("storage_order", 0) != 0) bad("storage_order must be 0");
  return std::make_unique<MaxPoolOp>(c.isa, poolParams(c.attrs, true));
}

struct PoolQ {
  QParams x, y;
  ElemType type;
};

PoolQ poolQParams(const OpContext& c) {
  PoolQ q;
  ElemType zx = ElemType::kF32, zy = ElemType::kF32;
  q.x = {scaleOf(c, 1, "x_scale"), zeroPointOf(c, 2, "x_zero_point", &zx)};
  q.y = {scaleOf(c, 3, "y_scale"), zeroPointOf(c, 4, "y_zero_point", &zy)};
  q.type = declaredType(c, {zx, zy}, 0);
  return q;
}

class AvgPoolOp : public Op {
 public:
  AvgPoolOp(Isa isa, Pool2dParams p, PoolQ q) : isa_(isa), p_(p), q_(q) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    checkType(in[0], q_.type, "X");
    if (out[0].type != in[0].type) bad("Y must have X's type");
    Pool2dParams p = p_;
    nhwcInto(p, in[0], out[0]);
    averagePool2d(isa_, p, in[0].type == ElemType::kS8 ? DType::kS8 : DType::kU8, q_.x, q_.y, in[0].data, out[0].data, maxThreads);
  }

 private:
  Isa isa_;
  Pool2dParams p_;
  PoolQ q_;
};

std::unique_ptr<Op> makeQLinearAveragePool(const OpContext& c) {
  if (c.attrs.getInt("channels_last", 0) != 1)
    bad("QLinearAveragePool runs channels-last (channels_last = 1; the layout pass converts 4-D NCHW nodes)");
  return std::make_unique<AvgPoolOp>(c.isa, poolParams(c.attrs, false), poolQParams(c));
}

class GlobalAvgPoolOp : public Op {
 public:
  GlobalAvgPoolOp(Isa isa, bool channelsLast, PoolQ q) : isa_(isa), channelsLast_(channelsLast), q_(q) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    const TensorView& x = in[0];
    checkType(x, q_.type, "X");
    if (out[0].type != x.type) bad("Y must have X's type");
    if (x.shape.rank < 3) bad("X must have at least one spatial dim");
    const int64_t n = x.shape[0];
    const int64_t c = channelsLast_ ? x.shape[x.shape.rank - 1] : x.shape[1];
    const int64_t hw = (n * c) != 0 ? x.shape.numel() / (n * c) : 0;
    if (out[0].shape.numel() != n * c) bad("output shape " + out[0].shape.str() + " does not match");
    const DType t = x.type == ElemType::kS8 ? DType::kS8 : DType::kU8;
    if (channelsLast_) globalAveragePool(isa_, n, hw, c, t, q_.x, q_.y, x.data, out[0].data, maxThreads);
    else globalAveragePool(isa_, n * c, hw, 1, t, q_.x, q_.y, x.data, out[0].data, maxThreads);
  }

 private:
  Isa isa_;
  bool channelsLast_;
  PoolQ q_;
};

std::unique_ptr<Op> makeQLinearGlobalAveragePool(const OpContext& c) {
  return std::make_unique<GlobalAvgPoolOp>(c.isa, c.attrs.getInt("channels_last", 0) != 0, poolQParams(c));
}

// ---------------------------------------------------------------------------------------------
// Resize (uint8 / int8, NHWC): X, roi?, scales?, sizes? (parameters in ONNX NCHW order).

class ResizeOp : public Op {
 public:
  ResizeOp(Isa isa, ResizeParams p) : isa_(isa), p_(p) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    const TensorView& x = in[0];
    const TensorView& y = out[0];
    checkType(x, ElemType::kF32, "X");
    if (y.type != x.type) bad("Y must have X's type");
    if (x.shape.rank != 4 || y.shape.rank != 4) bad("NHWC resize takes 4-D tensors");
    if (y.shape[0] != x.shape[0] || y.shape[3] != x.shape[3]) bad("only H and W can be resized");
    ResizeParams p = p_;
    p.n = x.shape[0];
    p.h = x.shape[1];
    p.w = x.shape[2];
    p.c = x.shape[3];
    p.oh = y.shape[1];
    p.ow = y.shape[2];
    const TensorView* scales = in.size() > 2 && in[2].data && in[2].shape.numel() > 0 ? &in[2] : nullptr;
    if (scales) {
      if (scales->type != ElemType::kF32 || scales->shape.numel() != 4) bad("scales must be 4 float32 values");
      const float* s = scales->as<const float>();
      if (s[0] != 1.f || s[1] != 1.f) bad("only H and W can be resized");
      p.scaleH = s[2];
      p.scaleW = s[3];
    } else {
      p.scaleH = static_cast<float>(p.oh) / static_cast<float>(p.h);
      p.scaleW = static_cast<float>(p.ow) / static_cast<float>(p.w);
    }
    resize2d(isa_, p, x.type == ElemType::kS8 ? DType::kS8 : DType::kU8, x.data, y.data, maxThreads);
  }

 private:
  Isa isa_;
  ResizeParams p_;
};

std::unique_ptr<Op> makeQResizeNhwc(const OpContext& c) {
  const Attrs& a = c.attrs;
  ResizeParams p;
  const std::string mode = a.getString("mode", "nearest");
  if (mode == "nearest") p.mode = ResizeMode::kNearest;
  else if (mode == "linear") p.mode = ResizeMode::kLinear;
  else bad("int8 Resize supports modes nearest and linear, got '" + mode + "'");
  const std::string ct = a.getString("coordinate_transformation_mode", "half_pixel");
  if (ct == "half_pixel") p.coord = ResizeCoord::kHalfPixel;
  else if (ct == "asymmetric") p.coord = ResizeCoord::kAsymmetric;
  else if (ct == "align_corners") p.coord = ResizeCoord::kAlignCorners;
  else if (ct == "pytorch_half_pixel") p.coord = ResizeCoord::kPytorchHalfPixel;
  else if (ct == "tf_half_pixel_for_nn") p.coord = ResizeCoord::kTfHalfPixelForNN;
  else bad("int8 Resize does not support coordinate_transformation_mode '" + ct + "'");
  const std::string nm = a.getString("nearest_mode", "round_prefer_floor");
  if (nm == "round_prefer_floor") p.nearest = ResizeNearest::kRoundPreferFloor;
  else if (nm == "round_prefer_ceil") p.nearest = ResizeNearest::kRoundPreferCeil;
  else if (nm == "floor") p.nearest = ResizeNearest::kFloor;
  else if (nm == "ceil") p.nearest = ResizeNearest::kCeil;
  else bad("unknown nearest_mode '" + nm + "'");
  if (a.getInt("antialias", 0) != 0) bad("int8 Resize does not support antialias");
  if (a.getString("keep_aspect_ratio_policy", "stretch") != "stretch") bad("int8 Resize supports keep_aspect_ratio_policy 'stretch' only");
  if (a.has("axes")) bad("int8 Resize does not support the axes attribute");
  return std::make_unique<ResizeOp>(c.isa, p);
}

// ---------------------------------------------------------------------------------------------
// Pad (uint8 / int8): data, pads (constant), constant_value? (constant), axes? (not supported).

class PadOp : public Op {
 public:
  PadOp(PadMode mode, std::vector<int64_t> pads, bool hasValue, uint8_t value)
      : mode_(mode), pads_(std::move(pads)), hasValue_(hasValue), value_(value) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    const TensorView& x = in[0];
    checkType(x, ElemType::kF32, "data");
    if (out[0].type != x.type) bad("output must have the input's type");
    const int rank = x.shape.rank;
    if (static_cast<int>(pads_.size()) != 2 * rank) bad("pads must have 2 * rank entries");
    std::vector<int64_t> b(pads_.begin(), pads_.begin() + rank), e(pads_.begin() + rank, pads_.end());
    for (int i = 0; i < rank; ++i)
      if (out[0].shape[i] != x.shape[i] + b[i] + e[i]) bad("output shape " + out[0].shape.str() + " does not match the pads");
    pad(dimsOf(x.shape), b, e, mode_, hasValue_ ? value_ : 0, x.data, out[0].data, maxThreads);
  }

 private:
  PadMode mode_;
  std::vector<int64_t> pads_;
  bool hasValue_;
  uint8_t value_;
};

std::unique_ptr<Op> makeQPad(const OpContext& c) {
  const std::string m = c.attrs.getString("mode", "constant");
  PadMode mode;
  if (m == "constant") mode = PadMode::kConstant;
  else if (m == "reflect") mode = PadMode::kReflect;
  else if (m == "edge") mode = PadMode::kEdge;
  else bad("int8 Pad supports modes constant, reflect and edge, got '" + m + "'");
  const TensorView& p = constInput(c, 1, "pads");
  if (p.type != ElemType::kS64) bad("pads must be int64");
  std::vector<int64_t> pads(p.as<const int64_t>(), p.as<const int64_t>() + p.shape.numel());
  for (int64_t v : pads)
    if (v < 0) bad("int8 Pad takes pads >= 0");
  if (present(c, 3)) bad("int8 Pad does not support the axes input");
  bool hasValue = false;
  uint8_t value = 0;
  if (present(c, 2)) {
    const TensorView& v = constInput(c, 2, "constant_value");
    if (v.shape.numel() != 1 || (v.type != ElemType::kU8 && v.type != ElemType::kS8)) bad("constant_value must be a uint8 / int8 scalar");
    hasValue = true;
    value = *v.as<const uint8_t>();
  }
  return std::make_unique<PadOp>(mode, std::move(pads), hasValue, value);
}

// ---------------------------------------------------------------------------------------------
// DynamicQuantizeLinear: x (float32) -> y (uint8), y_scale, y_zero_point.

class DynamicQuantizeOp : public Op {
 public:
  explicit DynamicQuantizeOp(Isa isa) : isa_(isa) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    if (in[0].type != ElemType::kF32) bad("x must be float32");
    if (out[0].type != ElemType::kU8 || out[0].shape.numel() != in[0].shape.numel()) bad("y must be uint8 with x's shape");
    const QParams q = dynamicQuantizeLinear(isa_, in[0].as<const float>(), static_cast<size_t>(in[0].shape.numel()),
                                            out[0].as<uint8_t>(), maxThreads);
    if (out.size() > 1 && out[1].data) {
      if (out[1].type != ElemType::kF32 || out[1].shape.numel() != 1) bad("y_scale must be a float32 scalar");
      *out[1].as<float>() = q.scale;
    }
    if (out.size() > 2 && out[2].data) {
      if (out[2].type != ElemType::kU8 || out[2].shape.numel() != 1) bad("y_zero_point must be a uint8 scalar");
      *out[2].as<uint8_t>() = static_cast<uint8_t>(q.zeroPoint);
    }
  }

 private:
  Isa isa_;
};

std::unique_ptr<Op> makeDynamicQuantizeLinear(const OpContext& c) { return std::make_unique<DynamicQuantizeOp>(c.isa); }

}  // namespace

QINT8_REGISTER_OP("com.microsoft", "QLinearAdd", makeQLinearAdd);
QINT8_REGISTER_OP("com.microsoft", "QLinearMul", makeQLinearMul);
QINT8_REGISTER_OP("com.microsoft", "QLinearSigmoid", makeQLinearSigmoid);
QINT8_REGISTER_OP("com.microsoft", "QLinearLeakyRelu", makeQLinearLeakyRelu);
QINT8_REGISTER_OP("com.microsoft", "QLinearConcat", makeQLinearConcat);
QINT8_REGISTER_OP("com.microsoft", "QLinearAveragePool", makeQLinearAveragePool);
QINT8_REGISTER_OP("com.microsoft", "QLinearGlobalAveragePool", makeQLinearGlobalAveragePool);
QINT8_REGISTER_OP("", "DynamicQuantizeLinear", makeDynamicQuantizeLinear);
QINT8_REGISTER_OP("qint8", "QMaxPoolNhwc", makeQMaxPoolNhwc);
QINT8_REGISTER_OP("qint8", "QResizeNhwc", makeQResizeNhwc);
QINT8_REGISTER_OP("qint8", "QPad", makeQPad);

}  // namespace qint8
