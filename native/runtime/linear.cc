// qint8 — quantized linear layer: configuration checks, packing, output-stage precomputation.
#include "qint8/linear.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "qint8/cpu.h"
#include "qint8/requant.h"
#include "aligned.h"

namespace qint8 {

namespace {
// Per-thread scratch of run() with overridden input qparams: no allocation once warm.
thread_local std::vector<int32_t> tBiasQ;
thread_local std::vector<int32_t> tBias32;
thread_local std::vector<float> tScale;

[[noreturn]] void bad(const std::string& msg) { throw std::invalid_argument(msg); }

bool validScale(float s) { return std::isfinite(s) && s > 0.0f; }

void checkQParams(const char* what, const QParams& q, DType t) {
  if (!validScale(q.scale)) bad(std::string(what) + ".scale must be a finite number > 0");
  if (q.zeroPoint < qmin(t) || q.zeroPoint > qmax(t))
    bad(std::string(what) + ".zeroPoint " + std::to_string(q.zeroPoint) + " is outside the " + dtypeName(t) + " range [" +
        std::to_string(qmin(t)) + ", " + std::to_string(qmax(t)) + "]");
}

int32_t quantizeValue(float x, const QParams& q, DType t) {
  return quantizeOne(x, q.scale, q.zeroPoint, qmin(t), qmax(t));
}
}  // namespace

const char* dtypeName(DType t) {
  switch (t) {
    case DType::kU8: return "uint8";
    case DType::kS8: return "int8";
    case DType::kF32: return "float32";
    case DType::kS32: return "int32";
  }
  return "?";
}

void fusedClampBounds(DType t, const QParams& out, bool relu, bool hasClip, float clipMin, float clipMax, int32_t* lo,
                      int32_t* hi) {
  int32_t l = qmin(t), h = qmax(t);
  if (relu) l = std::max(l, out.zeroPoint);
  if (hasClip) {
    l = std::max(l, quantizeValue(clipMin, out, t));
    h = std::min(h, quantizeValue(clipMax, out, t));
  }
  *lo = l;
  *hi = h;
}

int32_t quantizeBias(float bias, float sx, float sw) {
  const float s = sx * sw;
  const double v = std::nearbyint(static_cast<double>(bias / s));  // float division, then RNE
  if (v >= 2147483647.0) return INT32_MAX;
  if (v <= -2147483648.0) return INT32_MIN;
  return static_cast<int32_t>(v);
}

std::unique_ptr<Linear> Linear::create(const LinearConfig& c) {
  if (c.n <= 0 || c.k <= 0) bad("n and k must be positive integers");
  if (!c.weight) bad("weight is required");
  if (!isaSupported(c.isa)) bad(std::string("ISA '") + isaName(c.isa) + "' is not supported by this CPU");
  if (c.weightScaleCount != 1 && c.weightScaleCount != c.n)
    bad("weightScale must have 1 or n (" + std::to_string(c.n) + ") entries, got " + std::to_string(c.weightScaleCount));
  for (int j = 0; j < c.weightScaleCount; ++j)
    if (!validScale(c.weightScale[j])) bad("weightScale[" + std::to_string(j) + "] must be a finite number > 0");
  if (c.weightZeroPoint) {
    if (c.weightZeroPointCount != 1 && c.weightZeroPointCount != c.n) bad("weightZeroPoint must have 1 or n entries");
    for (int j = 0; j < c.weightZeroPointCount; ++j)
      if (c.weightZeroPoint[j] < -128 || c.weightZeroPoint[j] > 127) bad("weightZeroPoint entries must be in [-128, 127]");
  }
  if (c.bias && c.biasQ) bad("give either a real bias or a quantized bias, not both");
  if (c.inputType != DType::kU8 && c.inputType != DType::kS8) bad("input dtype must be uint8 or int8");
  checkQParams("input", c.input, c.inputType);
  if (c.outputType == DType::kU8 || c.outputType == DType::kS8) {
    checkQParams("output", c.output, c.outputType);
    if (c.hasClip && !(c.clipMin <= c.clipMax)) bad("clip min must be <= clip max");
  } else if (c.relu || c.hasClip) {
    bad("relu/clip fuse into a requantized (uint8/int8) output only");
  }
  if (c.bias)
    for (int j = 0; j < c.n; ++j)
      if (!std::isfinite(c.bias[j])) bad("bias[" + std::to_string(j) + "] is not finite");

  std::unique_ptr<Linear> L(new Linear());
  L->n_ = c.n;
  L->k_ = c.k;
  L->inputType_ = c.inputType;
  L->outputType_ = c.outputType;
  L->input_ = c.input;
  L->output_ = c.output;
  L->packed_ = packWeights(c.isa, c.weight, c.n, c.k);
  L->wScale_.resize(c.n);
  for (int j = 0; j < c.n; ++j) L->wScale_[j] = c.weightScale[c.weightScaleCount == 1 ? 0 : j];
  if (c.weightZeroPoint) {
    L->wZp_.resize(c.n);
    bool any = false;
    for (int j = 0; j < c.n; ++j) any |= (L->wZp_[j] = c.weightZeroPoint[c.weightZeroPointCount == 1 ? 0 : j]) != 0;
    if (!any) L->wZp_.clear();
  }
  if (c.bias) L->biasF_.assign(c.bias, c.bias + c.n);
  if (c.biasQ) L->biasQ_.assign(c.biasQ, c.biasQ + c.n);
  if (c.outputType == DType::kU8 || c.outputType == DType::kS8)
    fusedClampBounds(c.outputType, c.output, c.relu, c.hasClip, c.clipMin, c.clipMax, &L->lo_, &L->hi_);
  L->bias32_.resize(c.n);
  L->stageScale_.resize(c.n);
  L->computeStage(c.input, L->bias32_.data(), L->stageScale_.data());
  if (c.outputType == DType::kF32 && !L->biasF_.empty()) L->stageBiasF_ = L->biasF_;
  return L;
}

// bias32 and per-column scale for input qparams `in`.
void Linear::computeStage(const QParams& in, int32_t* bias32, float* scale) const {
  const bool requant = outputType_ == DType::kU8 || outputType_ == DType::kS8;
  // Integer bias: given quantized, or quantized here (requantized outputs only; the f32 stage
  // adds the real bias in float, the s32 stage has no real bias to add).
  std::vector<int32_t>& bq = tBiasQ;
  const int32_t* biasQ = nullptr;
  if (!biasQ_.empty()) {
    biasQ = biasQ_.data();
  } else if (requant && !biasF_.empty()) {
    bq.resize(n_);
    for (int j = 0; j < n_; ++j) bq[j] = quantizeBias(biasF_[j], in.scale, wScale_[j]);
    biasQ = bq.data();
  }
  const int32_t zA = inputType_ == DType::kS8 ? in.zeroPoint + 128 : in.zeroPoint;
  foldBias32(*packed_, biasQ, zA, wZp_.empty() ? nullptr : wZp_.data(), bias32);
  for (int j = 0; j < n_; ++j) {
    const float sxw = in.scale * wScale_[j];
    scale[j] = requant ? sxw / output_.scale : sxw;
  }
}

GemmEpilogue Linear::epilogue() const {
  GemmEpilogue ep;
  ep.kind = static_cast<GemmOut>(outputType_);
  ep.zeroPoint = output_.zeroPoint;
  ep.lo = lo_;
  ep.hi = hi_;
  ep.weightZeroPoint = wZp_.empty() ? nullptr : wZp_.data();
  ep.biasF = stageBiasF_.empty() ? nullptr : stageBiasF_.data();
  ep.bias32 = bias32_.data();
  ep.scale = stageScale_.data();
  return ep;
}

void Linear::run(const void* x, int m, size_t ldx, void* y, size_t ldy, const QParams* input, int maxThreads) const {
  GemmEpilogue ep = epilogue();
  if (input && (input->scale != input_.scale || input->zeroPoint != input_.zeroPoint)) {
    checkQParams("input", *input, inputType_);
    std::vector<int32_t>& b32 = tBias32;
    std::vector<float>& sc = tScale;
    b32.resize(n_);
    sc.resize(n_);
    computeStage(*input, b32.data(), sc.data());
    ep.bias32 = b32.data();
    ep.scale = sc.data();
    gemm(*packed_, x, ldx, inputType_ == DType::kS8, m, y, ldy, ep, maxThreads);
    return;
  }
  gemm(*packed_, x, ldx, inputType_ == DType::kS8, m, y, ldy, ep, maxThreads);
}

}  // namespace qint8
