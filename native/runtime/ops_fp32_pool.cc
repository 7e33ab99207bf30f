// qint8 — float32 engine ops on channels-last activations ([N, H, W, C], or [N, L, C]):
// qint8::MaxPoolNhwc, qint8::AveragePoolNhwc (ONNX attributes: kernel_shape, strides, pads,
// dilations, ceil_mode, auto_pad, count_include_pad), qint8::GlobalAveragePoolNhwc and
// qint8::GlobalMaxPoolNhwc ([N, 1, 1, C] out). MaxPool's optional Indices output is not provided.
#include <memory>
#include <vector>

#include "qint8/op.h"
#include "qint8/pool_f32.h"
#include "op_attrs_f32.h"

namespace qint8 {
namespace {

using namespace f32ops;

class PoolNhwcOp : public Op {
 public:
  PoolNhwcOp(const OpContext& c, const char* name, PoolKind kind, bool global) : name_(name) {
    cfg_.isa = c.isa;
    cfg_.kind = kind;
    cfg_.global = global;
    if (c.constants.size() != 1) fail(name_, "takes 1 input");
    if (global) return;
    const std::vector<int64_t> k = c.attrs.getInts("kernel_shape", {});
    if (k.size() != 1 && k.size() != 2) fail(name_, "kernel_shape must have 1 or 2 entries (a 1-D or 2-D pool)");
    spatial_ = static_cast<int>(k.size());
    const Window wd = window(c.attrs, spatial_, {}, name_);
    cfg_.kh = wd.kh;
    cfg_.kw = wd.kw;
    cfg_.strideH = wd.sh;
    cfg_.strideW = wd.sw;
    cfg_.dilationH = wd.dh;
    cfg_.dilationW = wd.dw;
    cfg_.padTop = wd.pt;
    cfg_.padLeft = wd.pl;
    cfg_.padBottom = wd.pb;
    cfg_.padRight = wd.pr;
    cfg_.autoPad = autoPad(c.attrs, name_);
    cfg_.ceilMode = c.attrs.getInt("ceil_mode", 0) != 0;
    if (kind == PoolKind::kAverage) cfg_.countIncludePad = c.attrs.getInt("count_include_pad", 0) != 0;
    if (kind == PoolKind::kMax && c.attrs.getInt("storage_order", 0) != 0)
      fail(name_, "storage_order applies to the Indices output, which is not provided");
    validatePoolF32Config(cfg_);
  }

  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    if (in.size() != 1) fail(name_, "takes 1 input");
    if (out.size() != 1) fail(name_, "has 1 output (MaxPool's Indices output is not provided)");
    const TensorView& X = in[0];
    const TensorView& Y = out[0];
    requireF32(X, name_, "X");
    requireF32(Y, name_, "Y");
    const int rank = X.shape.rank;
    if (cfg_.global ? (rank < 3 || rank > 4) : rank != spatial_ + 2)
      fail(name_, "X must be " + std::string(cfg_.global ? "3-D or 4-D" : spatial_ == 2 ? "4-D (N, H, W, C)" : "3-D (N, L, C)") + ", got " + X.shape.str());
    for (int i = 0; i < rank; ++i)
      if (X.shape[i] > (1 << 30)) fail(name_, "X too large");
    const int n = static_cast<int>(X.shape[0]), c = static_cast<int>(X.shape[rank - 1]);
    const int h = rank == 4 ? static_cast<int>(X.shape[1]) : 1, w = static_cast<int>(X.shape[rank - 2]);
    Shape want;
    if (cfg_.global) {
      want = rank == 4 ? Shape{n, 1, 1, c} : Shape{n, 1, c};
    } else {
      const PoolF32Geometry g = poolF32Geometry(cfg_, h, w);
      want = rank == 4 ? Shape{n, g.oh, g.ow, c} : Shape{n, g.ow, c};
    }
    requireShape(Y, want, name_, "Y");
    if (n == 0 || c == 0) return;
    if (h == 0 || w == 0) fail(name_, "X has an empty spatial dimension");
    poolF32(cfg_, X.as<const float>(), n, h, w, c, Y.as<float>(), maxThreads);
  }

 private:
  std::string name_;
  int spatial_ = 2;
  PoolF32Config cfg_;
};

std::unique_ptr<Op> makeMaxPool(const OpContext& c) { return std::make_unique<PoolNhwcOp>(c, "MaxPoolNhwc", PoolKind::kMax, false); }
std::unique_ptr<Op> makeAvgPool(const OpContext& c) { return std::make_unique<PoolNhwcOp>(c, "AveragePoolNhwc", PoolKind::kAverage, false); }
std::unique_ptr<Op> makeGlobalAvg(const OpContext& c) { return std::make_unique<PoolNhwcOp>(c, "GlobalAveragePoolNhwc", PoolKind::kAverage, true); }
std::unique_ptr<Op> makeGlobalMax(const OpContext& c) { return std::make_unique<PoolNhwcOp>(c, "GlobalMaxPoolNhwc", PoolKind::kMax, true); }

}  // namespace

QINT8_REGISTER_OP("qint8", "MaxPoolNhwc", makeMaxPool);
QINT8_REGISTER_OP("qint8", "AveragePoolNhwc", makeAvgPool);
QINT8_REGISTER_OP("qint8", "GlobalAveragePoolNhwc", makeGlobalAvg);
QINT8_REGISTER_OP("qint8", "GlobalMaxPoolNhwc", makeGlobalMax);

}  // namespace qint8
