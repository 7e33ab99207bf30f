// qint8 — engine ops QuantizeLinear / DequantizeLinear (ONNX semantics, any layout): adapters
// from the op interface to quantizeLinear / dequantizeLinear.
#include <stdexcept>
#include <vector>

#include "qint8/op.h"
#include "qint8/quantize.h"

namespace qint8 {
namespace {

// scale / zero point of input 1 / 2 as per-channel arrays along `axis` of x's shape.
struct QuantLayout {
  size_t outer = 1, channels = 1, inner = 1;
  std::vector<float> scale;
  std::vector<int32_t> zeroPoint;
};

QuantLayout layoutOf(const std::vector<TensorView>& in, int64_t axisAttr, ElemType qtype) {
  const TensorView& x = in[0];
  const TensorView& s = in[1];
  if (s.type != ElemType::kF32) throw std::invalid_argument("scale must be float32");
  QuantLayout l;
  const int64_t n = s.shape.numel();
  l.scale.assign(s.as<const float>(), s.as<const float>() + n);
  l.zeroPoint.assign(n, 0);
  if (in.size() > 2 && in[2].data) {
    const TensorView& z = in[2];
    if (z.shape.numel() != n) throw std::invalid_argument("zero point and scale must have the same shape");
    if (z.type != qtype) throw std::invalid_argument("zero point type must match the quantized type");
    for (int64_t i = 0; i < n; ++i)
      l.zeroPoint[i] = qtype == ElemType::kS8 ? z.as<const int8_t>()[i] : z.as<const uint8_t>()[i];
  }
  if (s.shape.rank == 0 || n == 1) {
    l.inner = static_cast<size_t>(x.shape.numel());
    return l;
  }
  if (s.shape.rank != 1) throw std::invalid_argument("scale must be a scalar or 1-D");
  const int64_t axis = axisAttr < 0 ? axisAttr + x.shape.rank : axisAttr;
  if (axis < 0 || axis >= x.shape.rank) throw std::invalid_argument("axis out of range");
  if (x.shape[static_cast<int>(axis)] != n) throw std::invalid_argument("scale length does not match x's axis");
  for (int i = 0; i < axis; ++i) l.outer *= static_cast<size_t>(x.shape[i]);
  l.channels = static_cast<size_t>(n);
  for (int i = static_cast<int>(axis) + 1; i < x.shape.rank; ++i) l.inner *= static_cast<size_t>(x.shape[i]);
  return l;
}

DType dtypeOf(ElemType t) {
  if (t == ElemType::kU8) return DType::kU8;
  if (t == ElemType::kS8) return DType::kS8;
  throw std::invalid_argument("quantized type must be uint8 or int8");
}

class QuantizeLinearOp : public Op {
 public:
  explicit QuantizeLinearOp(const OpContext& c) : isa_(c.isa), axis_(c.attrs.getInt("axis", 1)) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    if (in[0].type != ElemType::kF32) throw std::invalid_argument("QuantizeLinear input must be float32");
    const QuantLayout l = layoutOf(in, axis_, out[0].type);
    quantizeLinear(isa_, in[0].as<const float>(), l.outer, l.channels, l.inner, l.scale.data(), l.zeroPoint.data(),
                   dtypeOf(out[0].type), out[0].data, maxThreads);
  }

 private:
  Isa isa_;
  int64_t axis_;
};

class DequantizeLinearOp : public Op {
 public:
  explicit DequantizeLinearOp(const OpContext& c) : isa_(c.isa), axis_(c.attrs.getInt("axis", 1)) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    if (out[0].type != ElemType::kF32) throw std::invalid_argument("DequantizeLinear output must be float32");
    if (in[0].type == ElemType::kS32) return runInt32(in, out);
    const QuantLayout l = layoutOf(in, axis_, in[0].type);
    dequantizeLinear(isa_, in[0].data, l.outer, l.channels, l.inner, l.scale.data(), l.zeroPoint.data(), dtypeOf(in[0].type),
                     out[0].as<float>(), maxThreads);
  }

 private:
  // int32 (a QDQ model's bias that was not fused): y = float(x - zp) * scale, zero point int32.
  void runInt32(const std::vector<TensorView>& in, const std::vector<TensorView>& out) const {
    const TensorView& x = in[0];
    const TensorView& s = in[1];
    const int64_t n = s.shape.numel();
    const int64_t axis = axis_ < 0 ? axis_ + x.shape.rank : axis_;
    size_t inner = 1, channels = 1;
    if (n > 1) {
      if (axis < 0 || axis >= x.shape.rank || x.shape[static_cast<int>(axis)] != n) throw std::invalid_argument("scale does not match x's axis");
      channels = static_cast<size_t>(n);
      for (int i = static_cast<int>(axis) + 1; i < x.shape.rank; ++i) inner *= static_cast<size_t>(x.shape[i]);
    }
    const bool hasZp = in.size() > 2 && in[2].data;
    if (hasZp && in[2].type != ElemType::kS32) throw std::invalid_argument("an int32 input needs an int32 zero point");
    const size_t total = static_cast<size_t>(x.shape.numel());
    for (size_t i = 0; i < total; ++i) {
      const size_t c = n > 1 ? (i / inner) % channels : 0;
      const int32_t zp = hasZp ? in[2].as<const int32_t>()[c] : 0;
      out[0].as<float>()[i] = static_cast<float>(static_cast<int64_t>(x.as<const int32_t>()[i]) - zp) * s.as<const float>()[c];
    }
  }

  Isa isa_;
  int64_t axis_;
};

std::unique_ptr<Op> makeQuantize(const OpContext& c) { return std::make_unique<QuantizeLinearOp>(c); }
std::unique_ptr<Op> makeDequantize(const OpContext& c) { return std::make_unique<DequantizeLinearOp>(c); }

}  // namespace

QINT8_REGISTER_OP("", "QuantizeLinear", makeQuantize);
QINT8_REGISTER_OP("", "DequantizeLinear", makeDequantize);

}  // namespace qint8
