// qint8 — normalization engine ops (float32, ONNX semantics): Softmax / LogSoftmax (opset 13:
// one axis), LayerNormalization (with the optional Mean / InvStdDev outputs),
// InstanceNormalization (NCHW) and qint8::InstanceNormalizationNhwc (channels last),
// BatchNormalization (inference form).
//
// Statistics: mean = sum / n and var = sum((x - mean)^2) / n, two passes in the kernels'
// 64-lane order (rows) or in row order (columns, the channels-last form);
// invStd = 1 / sqrt(var + epsilon) in float32.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "fops_common.h"

namespace qint8 {
namespace {

using namespace fops;

class SoftmaxOp : public Op {
 public:
  SoftmaxOp(const OpContext& c, bool log) : isa_(c.isa), log_(log), name_(log ? "LogSoftmax" : "Softmax") {
    axis_ = c.attrs.getInt("axis", -1);
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs(name_, in, 1, 1);
    expectOutputs(name_, out, 1);
    const TensorView& X = in[0];
    expectType(name_, "input", X, ElemType::kF32);
    expectType(name_, "output", out[0], ElemType::kF32);
    expectShape(name_, "output", out[0].shape, X.shape);
    if (X.shape.rank == 0) fail(std::string(name_) + ": the input must have rank >= 1");
    const int ax = normAxis(name_, axis_, X.shape.rank);
    size_t outer = 1, inner = 1;
    for (int d = 0; d < ax; ++d) outer *= static_cast<size_t>(X.shape.d[d]);
    for (int d = ax + 1; d < X.shape.rank; ++d) inner *= static_cast<size_t>(X.shape.d[d]);
    const size_t n = static_cast<size_t>(X.shape.d[ax]);
    if (outer * n * inner == 0) return;
    const F32KernelTable& kt = f32Kernels(isa_);
    const float* x = X.as<const float>();
    float* y = out[0].as<float>();
    if (inner == 1) {
      const size_t grain = std::max<size_t>(1, kGrainMath / n);
      parallelRange(outer, grain, maxThreads, [&](size_t b, size_t e) {
        for (size_t o = b; o < e; ++o) kt.softmaxRow(x + o * n, y + o * n, n, log_);
      });
      return;
    }
    // Tasks: (outer, column chunk of at most 256 columns; the per-column statistics live on
    // the task's stack).
    constexpr size_t kChunk = 256;
    const size_t chunks = (inner + kChunk - 1) / kChunk;
    const size_t grain = std::max<size_t>(1, kGrainMath / (n * std::min(inner, kChunk)));
    parallelRange(outer * chunks, grain, maxThreads, [&](size_t b, size_t e) {
      float stats[2 * kChunk];
      for (size_t t = b; t < e; ++t) {
        const size_t o = t / chunks, c = (t % chunks) * kChunk;
        const size_t w = std::min(kChunk, inner - c);
        kt.softmaxCols(x + o * n * inner + c, y + o * n * inner + c, n, w, inner, log_, stats);
      }
    });
  }
  int inplaceInput(int o) const override { return o == 0 ? 0 : -1; }

 private:
  Isa isa_;
  bool log_;
  const char* name_;
  int64_t axis_;
};

std::unique_ptr<Op> makeSoftmax(const OpContext& c) { return std::make_unique<SoftmaxOp>(c, false); }
std::unique_ptr<Op> makeLogSoftmax(const OpContext& c) { return std::make_unique<SoftmaxOp>(c, true); }

// A per-feature parameter (scale / bias) of `n` values: exactly n, or one value repeated.
const float* paramVec(const char* op, const char* what, const TensorView& t, size_t n, std::vector<float>& buf) {
  expectType(op, what, t, ElemType::kF32);
  const size_t k = static_cast<size_t>(t.shape.numel());
  if (k == n) return t.as<const float>();
  if (k == 1) {
    buf.assign(n, *t.as<const float>());
    return buf.data();
  }
  fail(std::string(op) + ": " + what + " has " + std::to_string(k) + " values, expected " + std::to_string(n));
}

class LayerNormOp : public Op {
 public:
  explicit LayerNormOp(const OpContext& c) : isa_(c.isa) {
    axis_ = c.attrs.getInt("axis", -1);
    eps_ = static_cast<float>(c.attrs.getFloat("epsilon", 1e-5));
    const int64_t stash = c.attrs.getInt("stash_type", 1);
    if (stash != 1) fail("LayerNormalization: stash_type " + std::to_string(stash) + " is not supported (1 = float32)");
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    const char* op = "LayerNormalization";
    expectInputs(op, in, 2, 3);
    expectOutputs(op, out, 1);
    const TensorView& X = in[0];
    expectType(op, "X", X, ElemType::kF32);
    expectType(op, "Y", out[0], ElemType::kF32);
    expectShape(op, "Y", out[0].shape, X.shape);
    const int ax = normAxis(op, axis_, X.shape.rank);
    size_t rows = 1, n = 1;
    for (int d = 0; d < ax; ++d) rows *= static_cast<size_t>(X.shape.d[d]);
    for (int d = ax; d < X.shape.rank; ++d) n *= static_cast<size_t>(X.shape.d[d]);
    std::vector<float> sb, bb;
    const float* scale = paramVec(op, "Scale", in[1], n, sb);
    const float* bias = present(in, 2) ? paramVec(op, "B", in[2], n, bb) : nullptr;
    Shape statShape = X.shape;
    for (int d = ax; d < statShape.rank; ++d) statShape.d[d] = 1;
    float* meanOut = nullptr;
    float* invOut = nullptr;
    if (out.size() > 1 && out[1].data) {
      expectType(op, "Mean", out[1], ElemType::kF32);
      expectShape(op, "Mean", out[1].shape, statShape);
      meanOut = out[1].as<float>();
    }
    if (out.size() > 2 && out[2].data) {
      expectType(op, "InvStdDev", out[2], ElemType::kF32);
      expectShape(op, "InvStdDev", out[2].shape, statShape);
      invOut = out[2].as<float>();
    }
    if (rows * n == 0) return;
    const F32KernelTable& kt = f32Kernels(isa_);
    const float* x = X.as<const float>();
    float* y = out[0].as<float>();
    const float eps = eps_;
    parallelRange(rows, std::max<size_t>(1, kGrainCheap / n), maxThreads, [&](size_t b, size_t e) {
      for (size_t r = b; r < e; ++r) {
        float mean, var;
        kt.moments(x + r * n, n, &mean, &var);
        const float inv = 1.f / std::sqrt(var + eps);
        kt.normalizeRow(x + r * n, scale, bias, mean, inv, y + r * n, n);
        if (meanOut) meanOut[r] = mean;
        if (invOut) invOut[r] = inv;
      }
    });
  }
  int inplaceInput(int o) const override { return o == 0 ? 0 : -1; }

 private:
  Isa isa_;
  int64_t axis_;
  float eps_;
};

std::unique_ptr<Op> makeLayerNorm(const OpContext& c) { return std::make_unique<LayerNormOp>(c); }

class InstanceNormOp : public Op {
 public:
  InstanceNormOp(const OpContext& c, bool nhwc) : isa_(c.isa), nhwc_(nhwc) {
    eps_ = static_cast<float>(c.attrs.getFloat("epsilon", 1e-5));
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    const char* op = nhwc_ ? "InstanceNormalizationNhwc" : "InstanceNormalization";
    expectInputs(op, in, 3, 3);
    expectOutputs(op, out, 1);
    const TensorView& X = in[0];
    expectType(op, "input", X, ElemType::kF32);
    expectType(op, "output", out[0], ElemType::kF32);
    expectShape(op, "output", out[0].shape, X.shape);
    if (X.shape.rank < 3) fail(std::string(op) + ": the input must have rank >= 3, got " + X.shape.str());
    const size_t N = static_cast<size_t>(X.shape.d[0]);
    const size_t C = static_cast<size_t>(X.shape.d[nhwc_ ? X.shape.rank - 1 : 1]);
    size_t S = 1;
    for (int d = nhwc_ ? 1 : 2; d < (nhwc_ ? X.shape.rank - 1 : X.shape.rank); ++d) S *= static_cast<size_t>(X.shape.d[d]);
    std::vector<float> sb, bb;
    const float* scale = paramVec(op, "scale", in[1], C, sb);
    const float* bias = paramVec(op, "B", in[2], C, bb);
    if (N * C * S == 0) return;
    const F32KernelTable& kt = f32Kernels(isa_);
    const float* x = X.as<const float>();
    float* y = out[0].as<float>();
    const float eps = eps_;
    if (!nhwc_) {
      parallelRange(N * C, std::max<size_t>(1, kGrainCheap / S), maxThreads, [&](size_t b, size_t e) {
        for (size_t r = b; r < e; ++r) {
          const size_t c = r % C;
          float mean, var;
          kt.moments(x + r * S, S, &mean, &var);
          const float a = scale[c] * (1.f / std::sqrt(var + eps));
          kt.affineRow(x + r * S, mean, a, bias[c], y + r * S, S);
        }
      });
      return;
    }
    // Channels last: per image, column statistics over the S rows, then one affine pass.
    std::vector<float> mean(N * C, 0.f), var(N * C, 0.f), a(N * C);
    constexpr size_t kChunk = 256;
    const size_t chunks = (C + kChunk - 1) / kChunk;
    const size_t grain = std::max<size_t>(1, kGrainCheap / (S * std::min(C, kChunk)));
    const float fs = static_cast<float>(S);
    parallelRange(N * chunks, grain, maxThreads, [&](size_t b, size_t e) {
      for (size_t t = b; t < e; ++t) {
        const size_t n = t / chunks, c0 = (t % chunks) * kChunk, w = std::min(kChunk, C - c0);
        const float* px = x + n * S * C + c0;
        float* m = mean.data() + n * C + c0;
        float* v = var.data() + n * C + c0;
        kt.reduceCols(ReduceOp::kSum, px, S, w, C, nullptr, m);
        for (size_t j = 0; j < w; ++j) m[j] = m[j] / fs;
        kt.reduceCols(ReduceOp::kSumSquare, px, S, w, C, m, v);
        for (size_t j = 0; j < w; ++j) a[n * C + c0 + j] = scale[c0 + j] * (1.f / std::sqrt(v[j] / fs + eps));
      }
    });
    const size_t rowGrain = std::max<size_t>(1, kGrainCheap / C);
    parallelRange(N * S, rowGrain, maxThreads, [&](size_t b, size_t e) {
      for (size_t r = b; r < e;) {
        const size_t n = r / S, end = std::min(e, (n + 1) * S);
        kt.affineCols(x + r * C, mean.data() + n * C, a.data() + n * C, bias, y + r * C, end - r, C);
        r = end;
      }
    });
  }
  int inplaceInput(int o) const override { return o == 0 ? 0 : -1; }

 private:
  Isa isa_;
  bool nhwc_;
  float eps_;
};

std::unique_ptr<Op> makeInstanceNorm(const OpContext& c) { return std::make_unique<InstanceNormOp>(c, false); }
std::unique_ptr<Op> makeInstanceNormNhwc(const OpContext& c) { return std::make_unique<InstanceNormOp>(c, true); }

// Inference BatchNormalization: y = x * a[c] + b[c], a = scale / sqrt(var + eps) (as
// invStd * scale), b = B - mean * a, all in float32 (onnxruntime's order). The qint8 twin
// BatchNormalizationNhwc takes X / Y channels-last ([N, ..., C]) and the same parameters.
class BatchNormOp : public Op {
 public:
  BatchNormOp(const OpContext& c, bool nhwc) : isa_(c.isa), nhwc_(nhwc) {
    eps_ = static_cast<float>(c.attrs.getFloat("epsilon", 1e-5));
    if (c.attrs.getInt("training_mode", 0) != 0) fail("BatchNormalization: training_mode is not supported (inference only)");
    if (c.attrs.has("spatial") && c.attrs.getInt("spatial", 1) != 1)
      fail("BatchNormalization: spatial = 0 is not supported");
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    const char* op = nhwc_ ? "BatchNormalizationNhwc" : "BatchNormalization";
    expectInputs(op, in, 5, 5);
    expectOutputs(op, out, 1);
    const TensorView& X = in[0];
    expectType(op, "X", X, ElemType::kF32);
    expectType(op, "Y", out[0], ElemType::kF32);
    expectShape(op, "Y", out[0].shape, X.shape);
    if (X.shape.rank < 2) fail(std::string(op) + ": X must have rank >= 2, got " + X.shape.str());
    const size_t N = static_cast<size_t>(X.shape.d[0]), C = static_cast<size_t>(X.shape.d[nhwc_ ? X.shape.rank - 1 : 1]);
    size_t S = 1;
    for (int d = nhwc_ ? 1 : 2; d < (nhwc_ ? X.shape.rank - 1 : X.shape.rank); ++d) S *= static_cast<size_t>(X.shape.d[d]);
    std::vector<float> b1, b2, b3, b4;
    const float* scale = paramVec(op, "scale", in[1], C, b1);
    const float* B = paramVec(op, "B", in[2], C, b2);
    const float* mean = paramVec(op, "input_mean", in[3], C, b3);
    const float* var = paramVec(op, "input_var", in[4], C, b4);
    std::vector<float> a(C), b(C);
    for (size_t c = 0; c < C; ++c) {
      a[c] = (1.f / std::sqrt(var[c] + eps_)) * scale[c];
      b[c] = B[c] - mean[c] * a[c];
    }
    if (N * C * S == 0) return;
    const F32KernelTable& kt = f32Kernels(isa_);
    const float* x = X.as<const float>();
    float* y = out[0].as<float>();
    if (S == 1 || nhwc_) {  // rows of C channels
      const size_t rows = N * S;
      parallelRange(rows, std::max<size_t>(1, kGrainCheap / C), maxThreads,
                    [&](size_t s, size_t e) { kt.affineCols(x + s * C, nullptr, a.data(), b.data(), y + s * C, e - s, C); });
      return;
    }
    parallelRange(N * C, std::max<size_t>(1, kGrainCheap / S), maxThreads, [&](size_t s, size_t e) {
      for (size_t r = s; r < e; ++r) kt.affineRow(x + r * S, 0.f, a[r % C], b[r % C], y + r * S, S);
    });
  }
  int inplaceInput(int o) const override { return o == 0 ? 0 : -1; }

 private:
  Isa isa_;
  bool nhwc_;
  float eps_;
};

std::unique_ptr<Op> makeBatchNorm(const OpContext& c) { return std::make_unique<BatchNormOp>(c, false); }
std::unique_ptr<Op> makeBatchNormNhwc(const OpContext& c) { return std::make_unique<BatchNormOp>(c, true); }

}  // namespace

QINT8_REGISTER_OP("", "Softmax", makeSoftmax);
QINT8_REGISTER_OP("", "LogSoftmax", makeLogSoftmax);
QINT8_REGISTER_OP("", "LayerNormalization", makeLayerNorm);
QINT8_REGISTER_OP("", "InstanceNormalization", makeInstanceNorm);
QINT8_REGISTER_OP("qint8", "InstanceNormalizationNhwc", makeInstanceNormNhwc);
QINT8_REGISTER_OP("", "BatchNormalization", makeBatchNorm);
QINT8_REGISTER_OP("qint8", "BatchNormalizationNhwc", makeBatchNormNhwc);

}  // namespace qint8
