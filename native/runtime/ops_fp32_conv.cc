// qint8 — float32 engine ops qint8::ConvNhwc and qint8::ConvTransposeNhwc: ONNX Conv /
// ConvTranspose on channels-last activations (X [N, H, W, C] -> Y [N, OH, OW, C'], or the 1-D
// forms [N, L, C]), weights in ONNX layout as constant input 1, optional bias input 2 (constant
// or not), optional input 3 "Sum" (a residual of Y's shape, added after the bias and before the
// activation: a fused Conv -> Add -> activation, lib/graph/passes/fuse.ts), plus the fused
// activation attributes (activation, activation_params).
//
// qint8::ExpandDepthwiseNhwc: an expansion Conv (1x1, stride 1, unpadded, one group) whose only
// consumer is a depthwise Conv (lib/graph/passes/fuse.ts fuseExpandDepthwise), run band by band
// so the expanded tensor stays in cache (conv_f32.h runExpandDepthwise). Inputs X, W1, W2, B1?,
// B2? (all but X constant); the depthwise conv's attributes, its activation in activation /
// activation_params and the expansion's in expand_activation / expand_activation_params.
#include <memory>
#include <vector>

#include "qint8/conv_f32.h"
#include "qint8/op.h"
#include "op_attrs_f32.h"

namespace qint8 {
namespace {

using namespace f32ops;

class ConvNhwcOp : public Op {
 public:
  ConvNhwcOp(const OpContext& c, bool transposed) : name_(transposed ? "ConvTransposeNhwc" : "ConvNhwc") {
    if (c.constants.size() < 2 || c.constants.size() > 4) fail(name_, "takes 2 to 4 inputs (X, W, B, Sum)");
    const TensorView& w = c.constants[1];
    if (!w.data) fail(name_, "the weights (input 1) must be a constant");
    requireF32(w, name_, "W");
    if (w.shape.rank != 3 && w.shape.rank != 4) fail(name_, "W must be 3-D or 4-D (ONNX layout), got " + w.shape.str());
    spatial_ = w.shape.rank - 2;
    std::vector<int64_t> kernel(w.shape.d + 2, w.shape.d + w.shape.rank);
    const Window wd = window(c.attrs, spatial_, kernel, name_);
    ConvF32Config cfg;
    cfg.isa = c.isa;
    cfg.transposed = transposed;
    const int64_t group = c.attrs.getInt("group", 1);
    if (group < 1 || group > (1 << 24)) fail(name_, "group must be >= 1");
    cfg.groups = static_cast<int>(group);
    if (w.shape[0] > (1 << 24) || w.shape[1] > (1 << 24)) fail(name_, "W too large");
    if (!transposed) {
      cfg.cout = static_cast<int>(w.shape[0]);
      cfg.cin = static_cast<int>(w.shape[1]) * cfg.groups;
    } else {
      cfg.cin = static_cast<int>(w.shape[0]);
      cfg.cout = static_cast<int>(w.shape[1]) * cfg.groups;
    }
    cfg.kh = wd.kh;
    cfg.kw = wd.kw;
    cfg.strideH = wd.sh;
    cfg.strideW = wd.sw;
    cfg.dilationH = wd.dh;
    cfg.dilationW = wd.dw;
    cfg.padTop = wd.pt;
    cfg.padLeft = wd.pl;
    cfg.padBottom = wd.pb;
    cfg.padRight = wd.pr;
    cfg.autoPad = autoPad(c.attrs, name_);
    if (transposed) {
      const std::vector<int64_t> op = c.attrs.getInts("output_padding", std::vector<int64_t>(spatial_, 0));
      if (static_cast<int>(op.size()) != spatial_) fail(name_, "output_padding must have " + std::to_string(spatial_) + " entries");
      for (int64_t v : op)
        if (v < 0 || v > (1 << 24)) fail(name_, "output_padding out of range");
      cfg.outputPaddingH = spatial_ == 2 ? static_cast<int>(op[0]) : 0;
      cfg.outputPaddingW = static_cast<int>(op[spatial_ - 1]);
      std::vector<int64_t> os = c.attrs.getInts("output_shape", {});
      if (!os.empty()) {
        // ONNX: the spatial sizes, or the whole (NCHW-ordered) output shape.
        if (static_cast<int>(os.size()) == spatial_ + 2) os.erase(os.begin(), os.begin() + 2);
        if (static_cast<int>(os.size()) != spatial_) fail(name_, "output_shape must have " + std::to_string(spatial_) + " spatial entries");
        for (int64_t v : os)
          if (v < 1 || v > (1 << 30)) fail(name_, "output_shape entries must be >= 1");
        cfg.outputShapeH = spatial_ == 2 ? static_cast<int>(os[0]) : 1;
        cfg.outputShapeW = static_cast<int>(os[spatial_ - 1]);
      }
    } else if (c.attrs.has("output_padding") || c.attrs.has("output_shape")) {
      fail(name_, "output_padding / output_shape apply to ConvTranspose only");
    }
    cfg.act = activation(c.attrs, name_);
    cfg.weight = w.as<const float>();
    if (c.constants.size() >= 3 && c.constants[2].data) {
      const TensorView& b = c.constants[2];
      requireF32(b, name_, "B");
      if (b.shape.rank != 1 || b.shape[0] != cfg.cout) fail(name_, "B must be 1-D with " + std::to_string(cfg.cout) + " entries, got " + b.shape.str());
      cfg.bias = b.as<const float>();
      constBias_ = true;
    }
    conv_ = ConvF32::create(cfg);
  }

  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    if (in.size() < 2 || in.size() > 4 || out.size() != 1) fail(name_, "takes 2 to 4 inputs and 1 output");
    const TensorView& X = in[0];
    const TensorView& Y = out[0];
    requireF32(X, name_, "X");
    requireF32(Y, name_, "Y");
    const ConvF32Config& cfg = conv_->config();
    if (X.shape.rank != spatial_ + 2)
      fail(name_, "X must be " + std::to_string(spatial_ + 2) + "-D (N, " + (spatial_ == 2 ? "H, W" : "L") + ", C), got " + X.shape.str());
    if (X.shape[X.shape.rank - 1] != cfg.cin)
      fail(name_, "X has " + std::to_string(X.shape[X.shape.rank - 1]) + " channels, the weights expect " + std::to_string(cfg.cin));
    for (int i = 0; i < X.shape.rank; ++i)
      if (X.shape[i] > (1 << 30)) fail(name_, "X too large");
    const int n = static_cast<int>(X.shape[0]);
    const int h = spatial_ == 2 ? static_cast<int>(X.shape[1]) : 1, w = static_cast<int>(X.shape[spatial_]);
    if (n == 0) return;
    const ConvF32Geometry g = conv_->geometry(n, h, w);
    const Shape want = spatial_ == 2 ? Shape{n, g.oh, g.ow, cfg.cout} : Shape{n, g.ow, cfg.cout};
    requireShape(Y, want, name_, "Y");
    const float* bias = nullptr;
    if (!constBias_ && in.size() >= 3 && in[2].data) {
      requireF32(in[2], name_, "B");
      if (in[2].shape.rank != 1 || in[2].shape[0] != cfg.cout) fail(name_, "B must be 1-D with " + std::to_string(cfg.cout) + " entries");
      bias = in[2].as<const float>();
    }
    const float* sum = nullptr;
    if (in.size() == 4 && in[3].data) {
      requireF32(in[3], name_, "Sum");
      requireShape(in[3], want, name_, "Sum");
      const float* s = in[3].as<const float>();
      const float* yp = Y.as<const float>();
      const size_t bytes = Y.bytes();
      if (reinterpret_cast<const char*>(s) < reinterpret_cast<const char*>(yp) + bytes &&
          reinterpret_cast<const char*>(yp) < reinterpret_cast<const char*>(s) + bytes)
        fail(name_, "Sum must not overlap Y");
      sum = s;
    }
    conv_->run(X.as<const float>(), n, h, w, Y.as<float>(), bias, maxThreads, sum);
  }

  const ConvF32& conv() const { return *conv_; }

 private:
  std::string name_;
  int spatial_ = 2;
  bool constBias_ = false;
  std::unique_ptr<ConvF32> conv_;
};

class ExpandDepthwiseNhwcOp : public Op {
 public:
  explicit ExpandDepthwiseNhwcOp(const OpContext& c) {
    const std::string name = "ExpandDepthwiseNhwc";
    if (c.constants.size() != 5) fail(name, "takes 5 inputs (X, W1, W2, B1, B2)");
    for (int i : {1, 2})
      if (!c.constants[i].data) fail(name, "the weights (inputs 1 and 2) must be constants");
    for (int i : {3, 4})
      if (c.inputPresent.size() > static_cast<size_t>(i) && c.inputPresent[i] && !c.constants[i].data)
        fail(name, "the biases (inputs 3 and 4) must be constants");
    OpContext e;
    e.isa = c.isa;
    e.constants = {c.constants[0], c.constants[1], c.constants[3]};
    e.inputPresent = {true, true, c.constants[3].data != nullptr};
    if (c.attrs.has("expand_activation")) e.attrs.map["activation"] = c.attrs.map.at("expand_activation");
    if (c.attrs.has("expand_activation_params")) e.attrs.map["activation_params"] = c.attrs.map.at("expand_activation_params");
    OpContext d;
    d.isa = c.isa;
    d.attrs = c.attrs;
    d.attrs.map.erase("expand_activation");
    d.attrs.map.erase("expand_activation_params");
    d.constants = {TensorView{}, c.constants[2], c.constants[4]};
    d.inputPresent = {true, true, c.constants[4].data != nullptr};
    expand_ = std::make_unique<ConvNhwcOp>(e, false);
    dw_ = std::make_unique<ConvNhwcOp>(d, false);
    if (!canFuseExpandDepthwise(expand_->conv(), dw_->conv()))
      fail(name, "W1 must be a 1x1 expansion (stride 1, no padding, one group) and W2 a depthwise conv over its output");
  }

  size_t scratchBytes(const std::vector<TensorView>& in, const std::vector<TensorView>&) const override {
    const TensorView& X = in[0];
    if (X.shape.rank != 4) return 0;
    return expandDepthwiseScratchBytes(expand_->conv(), dw_->conv(), static_cast<int>(X.shape[0]), static_cast<int>(X.shape[1]),
                                       static_cast<int>(X.shape[2]));
  }

  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void* scratch, int maxThreads) const override {
    const std::string name = "ExpandDepthwiseNhwc";
    if (in.size() != 5 || out.size() != 1) fail(name, "takes 5 inputs and 1 output");
    const TensorView& X = in[0];
    const TensorView& Y = out[0];
    requireF32(X, name, "X");
    requireF32(Y, name, "Y");
    const ConvF32& e = expand_->conv();
    if (X.shape.rank != 4) fail(name, "X must be 4-D (N, H, W, C), got " + X.shape.str());
    if (X.shape[3] != e.config().cin) fail(name, "X has " + std::to_string(X.shape[3]) + " channels, W1 expects " + std::to_string(e.config().cin));
    for (int i = 0; i < 4; ++i)
      if (X.shape[i] > (1 << 30)) fail(name, "X too large");
    const int n = static_cast<int>(X.shape[0]), h = static_cast<int>(X.shape[1]), w = static_cast<int>(X.shape[2]);
    if (n == 0) return;
    const ConvF32Geometry g = dw_->conv().geometry(n, h, w);
    requireShape(Y, Shape{n, g.oh, g.ow, dw_->conv().config().cout}, name, "Y");
    runExpandDepthwise(e, dw_->conv(), X.as<const float>(), n, h, w, Y.as<float>(), scratch, scratchBytes(in, out), maxThreads);
  }

 private:
  std::unique_ptr<ConvNhwcOp> expand_, dw_;
};

std::unique_ptr<Op> makeExpandDepthwise(const OpContext& c) { return std::make_unique<ExpandDepthwiseNhwcOp>(c); }
std::unique_ptr<Op> makeConv(const OpContext& c) { return std::make_unique<ConvNhwcOp>(c, false); }
std::unique_ptr<Op> makeConvTranspose(const OpContext& c) { return std::make_unique<ConvNhwcOp>(c, true); }

}  // namespace

QINT8_REGISTER_OP("qint8", "ConvNhwc", makeConv);
QINT8_REGISTER_OP("qint8", "ConvTransposeNhwc", makeConvTranspose);
QINT8_REGISTER_OP("qint8", "ExpandDepthwiseNhwc", makeExpandDepthwise);

}  // namespace qint8
