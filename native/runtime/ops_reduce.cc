// qint8 — reduction engine ops with ONNX semantics: ReduceSum / Mean / Max / Min / Prod / L1 /
// L2 / SumSquare / LogSum / LogSumExp (axes as attribute or as input, keepdims,
// noop_with_empty_axes) and ArgMax / ArgMin (axis, keepdims, select_last_index).
//
// float32: after dropping size-1 dims and merging neighbours, the reduced / kept pattern is
// K R (each row reduced with the 64-lane order of the kernels, rows in parallel; rows longer
// than kReduceBlock are reduced per block and the blocks combined in order), R K or K R K
// (column reductions: each output accumulates its rows in order, columns in parallel), or
// anything else, which is first transposed to K R. The order never depends on the thread count
// or the ISA, so every ISA gives the reference's bits. Other element types: a scalar loop.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "fops_common.h"

namespace qint8 {
namespace {

using namespace fops;

enum class Red { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };
const char* const kRedNames[] = {"ReduceSum", "ReduceMean",      "ReduceMax",    "ReduceMin",    "ReduceProd",
                                 "ReduceL1",  "ReduceL2",        "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"};

ReduceOp kernelOpOf(Red r) {
  switch (r) {
    case Red::kSum:
    case Red::kMean:
    case Red::kLogSum: return ReduceOp::kSum;
    case Red::kMax:
    case Red::kLogSumExp: return ReduceOp::kMax;  // first pass
    case Red::kMin: return ReduceOp::kMin;
    case Red::kProd: return ReduceOp::kProd;
    case Red::kL1: return ReduceOp::kSumAbs;
    case Red::kL2:
    case Red::kSumSquare: return ReduceOp::kSumSquare;
  }
  return ReduceOp::kSum;
}

float initOf(ReduceOp op) {
  switch (op) {
    case ReduceOp::kMax: return -std::numeric_limits<float>::infinity();
    case ReduceOp::kMin: return std::numeric_limits<float>::infinity();
    case ReduceOp::kProd: return 1.f;
    default: return 0.f;
  }
}

// The scalar combine of two partial results (the same operations as the kernels' lane fold).
float combine(ReduceOp op, float a, float b) {
  switch (op) {
    case ReduceOp::kMax: return a != a ? a : (a > b ? a : b);
    case ReduceOp::kMin: return a != a ? a : (a < b ? a : b);
    case ReduceOp::kProd: return a * b;
    default: return a + b;
  }
}

// The segments of a reduction after dropping size-1 dims and merging neighbours.
struct Segs {
  std::vector<int64_t> size;
  std::vector<bool> red;
};

Segs segmentsOf(const Shape& s, const std::vector<bool>& reduced) {
  Segs g;
  for (int d = 0; d < s.rank; ++d) {
    if (s.d[d] == 1) continue;
    if (!g.size.empty() && g.red.back() == reduced[d]) {
      g.size.back() *= s.d[d];
    } else {
      g.size.push_back(s.d[d]);
      g.red.push_back(reduced[d]);
    }
  }
  return g;
}

// Reduces rows of a K x R matrix (x contiguous): y[o] = reduce(x[o, :]) with a per-row shift.
void reduceRowsKR(const F32KernelTable& kt, ReduceOp op, const float* x, size_t rows, size_t n, const float* shift, float* y,
                  int maxThreads) {
  if (n <= kReduceBlock) {
    const size_t grain = std::max<size_t>(1, kGrainCheap / std::max<size_t>(n, 1));
    parallelRange(rows, grain, maxThreads, [&](size_t b, size_t e) {
      for (size_t o = b; o < e; ++o) y[o] = kt.reduceRow(op, x + o * n, n, shift ? shift[o] : 0.f);
    });
    return;
  }
  const size_t blocks = (n + kReduceBlock - 1) / kReduceBlock;
  std::vector<float> part(rows * blocks);
  parallelRange(rows * blocks, 1, maxThreads, [&](size_t b, size_t e) {
    for (size_t t = b; t < e; ++t) {
      const size_t o = t / blocks, k = t % blocks;
      const size_t len = std::min(kReduceBlock, n - k * kReduceBlock);
      part[t] = kt.reduceRow(op, x + o * n + k * kReduceBlock, len, shift ? shift[o] : 0.f);
    }
  });
  for (size_t o = 0; o < rows; ++o) {
    float r = part[o * blocks];
    for (size_t k = 1; k < blocks; ++k) r = combine(op, r, part[o * blocks + k]);
    y[o] = r;
  }
}

// y[o, j] = reduce over r of x[o, r, j]; columns split over threads. y holds the initial values.
void reduceColsKRK(const F32KernelTable& kt, ReduceOp op, const float* x, size_t outer, size_t r, size_t k,
                   const float* shift, float* y, int maxThreads) {
  constexpr size_t kChunk = 256;
  const size_t chunks = (k + kChunk - 1) / kChunk;
  const size_t perTask = std::max<size_t>(1, kGrainCheap / std::max<size_t>(r * std::min(k, kChunk), 1));
  parallelRange(outer * chunks, perTask, maxThreads, [&](size_t b, size_t e) {
    for (size_t t = b; t < e; ++t) {
      const size_t o = t / chunks, c = (t % chunks) * kChunk;
      const size_t w = std::min(kChunk, k - c);
      kt.reduceCols(op, x + o * r * k + c, r, w, k, shift ? shift + o * k + c : nullptr, y + o * k + c);
    }
  });
}

void transposeToKR(const float* x, const Shape& s, const std::vector<bool>& reduced, float* dst) {
  // perm: kept axes first, then reduced axes, each in order.
  int perm[kMaxRank], np = 0;
  for (int d = 0; d < s.rank; ++d)
    if (!reduced[d]) perm[np++] = d;
  for (int d = 0; d < s.rank; ++d)
    if (reduced[d]) perm[np++] = d;
  int64_t st[kMaxRank];
  stridesOf(s, st);
  int64_t dims[kMaxRank], pst[kMaxRank];
  for (int i = 0; i < s.rank; ++i) {
    dims[i] = s.d[perm[i]];
    pst[i] = st[perm[i]];
  }
  const int64_t total = s.numel();
  int64_t coord[kMaxRank] = {0};
  int64_t off = 0;
  for (int64_t i = 0; i < total; ++i) {
    dst[i] = x[off];
    for (int d = s.rank - 1; d >= 0; --d) {
      ++coord[d];
      off += pst[d];
      if (coord[d] < dims[d]) break;
      off -= dims[d] * pst[d];
      coord[d] = 0;
    }
  }
}

// Reduces X (float32) over the reduced axes into y (numel = kept count): pass 1 with `op`.
void reduceF32(const F32KernelTable& kt, ReduceOp op, const float* x, const Shape& s, const std::vector<bool>& reduced,
               const float* shift, float* y, size_t outCount, int maxThreads, std::vector<float>& tmp) {
  const Segs g = segmentsOf(s, reduced);
  std::string pat;
  for (bool r : g.red) pat += r ? 'R' : 'K';
  const size_t total = static_cast<size_t>(s.numel());
  if (total == 0) {
    for (size_t i = 0; i < outCount; ++i) y[i] = initOf(op);
    return;
  }
  if (pat.empty() || pat == "K") {  // every reduced dim has size 1
    reduceRowsKR(kt, op, x, total, 1, shift, y, maxThreads);
  } else if (pat == "R") {
    reduceRowsKR(kt, op, x, 1, total, shift, y, maxThreads);
  } else if (pat == "KR") {
    reduceRowsKR(kt, op, x, static_cast<size_t>(g.size[0]), static_cast<size_t>(g.size[1]), shift, y, maxThreads);
  } else if (pat == "RK" || pat == "KRK") {
    const size_t outer = pat == "RK" ? 1 : static_cast<size_t>(g.size[0]);
    const size_t r = static_cast<size_t>(g.size[pat == "RK" ? 0 : 1]), k = static_cast<size_t>(g.size.back());
    for (size_t i = 0; i < outCount; ++i) y[i] = initOf(op);
    reduceColsKRK(kt, op, x, outer, r, k, shift, y, maxThreads);
  } else {
    tmp.resize(total);
    transposeToKR(x, s, reduced, tmp.data());
    reduceRowsKR(kt, op, tmp.data(), outCount, total / outCount, shift, y, maxThreads);
  }
}

template <class T>
T redInit(Red r) {
  switch (r) {
    case Red::kMax: return std::numeric_limits<T>::lowest();
    case Red::kMin: return std::numeric_limits<T>::max();
    case Red::kProd: return T(1);
    default: return T(0);
  }
}

// Integer / float64 reductions: one scalar pass in input order. With `expShift` (float64
// LogSumExp's second pass), accumulates exp(x - expShift[o]).
template <class T>
void reduceGeneric(Red kind, const T* x, const Shape& s, const std::vector<bool>& reduced, T* y, size_t outCount,
                   const T* expShift = nullptr) {
  for (size_t i = 0; i < outCount; ++i) y[i] = redInit<T>(kind);
  int64_t ost[kMaxRank];
  {
    int64_t acc = 1;
    for (int d = s.rank - 1; d >= 0; --d) {
      ost[d] = reduced[d] ? 0 : acc;
      if (!reduced[d]) acc *= s.d[d];
    }
  }
  const int64_t total = s.numel();
  int64_t coord[kMaxRank] = {0};
  int64_t o = 0;
  using A = typename std::conditional_t<std::is_integral_v<T>, std::make_unsigned<T>, std::common_type<T>>::type;
  for (int64_t i = 0; i < total; ++i) {
    const T v = x[i];
    T& a = y[o];
    bool done = false;
    if constexpr (std::is_floating_point_v<T>) {
      if (expShift) {
        a += std::exp(v - expShift[o]);
        done = true;
      }
    }
    if (!done) switch (kind) {
      case Red::kMax: a = v > a ? v : a; break;
      case Red::kMin: a = v < a ? v : a; break;
      case Red::kProd: a = static_cast<T>(static_cast<A>(a) * static_cast<A>(v)); break;
      case Red::kL1: a = static_cast<T>(static_cast<A>(a) + static_cast<A>(v < T(0) ? T(0) - v : v)); break;
      case Red::kSumSquare: a = static_cast<T>(static_cast<A>(a) + static_cast<A>(v) * static_cast<A>(v)); break;
      default: a = static_cast<T>(static_cast<A>(a) + static_cast<A>(v)); break;
    }
    for (int d = s.rank - 1; d >= 0; --d) {
      ++coord[d];
      o += ost[d];
      if (coord[d] < s.d[d]) break;
      o -= s.d[d] * ost[d];
      coord[d] = 0;
    }
  }
  if (kind == Red::kMean) {
    const int64_t n = outCount ? total / static_cast<int64_t>(outCount) : 0;
    for (size_t i = 0; i < outCount; ++i) y[i] = n ? static_cast<T>(y[i] / static_cast<T>(n)) : T(0);
  }
}

class ReduceOpImpl : public Op {
 public:
  ReduceOpImpl(const OpContext& c, Red kind) : isa_(c.isa), kind_(kind), name_(kRedNames[static_cast<int>(kind)]) {
    keepdims_ = c.attrs.getInt("keepdims", 1) != 0;
    noopEmpty_ = c.attrs.getInt("noop_with_empty_axes", 0) != 0;
    if (c.attrs.has("axes")) {
      attrAxes_ = c.attrs.getInts("axes");
      hasAttrAxes_ = true;
    }
  }

  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs(name_, in, 1, 2);
    expectOutputs(name_, out, 1);
    const TensorView& X = in[0];
    const TensorView& Y = out[0];
    expectSameType(name_, "output", Y, X);
    SmallInts axes = attrAxes_;
    if (!hasAttrAxes_ && present(in, 1)) axes = intsOf(name_, "axes", in[1]);
    const int r = X.shape.rank;
    std::vector<bool> reduced(static_cast<size_t>(r), false);
    if (axes.empty()) {
      if (noopEmpty_) {
        expectShape(name_, "output", Y.shape, X.shape);
        parallelCopy(Y.data, X.data, X.bytes(), maxThreads);
        return;
      }
      reduced.assign(static_cast<size_t>(r), true);
    } else {
      for (int64_t a : axes) reduced[static_cast<size_t>(normAxis(name_, a, r, "axes entry"))] = true;
    }
    Shape want;
    for (int d = 0; d < r; ++d) {
      if (!reduced[d])
        want.d[want.rank++] = X.shape.d[d];
      else if (keepdims_)
        want.d[want.rank++] = 1;
    }
    expectShape(name_, "output", Y.shape, want);
    const size_t outCount = static_cast<size_t>(want.numel());
    int64_t count = 1;
    for (int d = 0; d < r; ++d)
      if (reduced[d]) count *= X.shape.d[d];

    if (X.type == ElemType::kF32) {
      runF32(X, reduced, Y.as<float>(), outCount, count, maxThreads);
      return;
    }
    if ((kind_ == Red::kL2 || kind_ == Red::kLogSum || kind_ == Red::kLogSumExp) && X.type != ElemType::kF64)
      fail(std::string(name_) + ": element type " + typeName(X.type) + " is not supported (float32, float64)");
    switch (X.type) {
      case ElemType::kS32: return reduceGeneric(kind_, X.as<const int32_t>(), X.shape, reduced, Y.as<int32_t>(), outCount);
      case ElemType::kS64: return reduceGeneric(kind_, X.as<const int64_t>(), X.shape, reduced, Y.as<int64_t>(), outCount);
      case ElemType::kU8: return reduceGeneric(kind_, X.as<const uint8_t>(), X.shape, reduced, Y.as<uint8_t>(), outCount);
      case ElemType::kS8: return reduceGeneric(kind_, X.as<const int8_t>(), X.shape, reduced, Y.as<int8_t>(), outCount);
      case ElemType::kF64: {
        double* y = Y.as<double>();
        const double* x = X.as<const double>();
        if (kind_ == Red::kLogSumExp) {
          reduceGeneric(Red::kMax, x, X.shape, reduced, y, outCount);
          std::vector<double> mx(y, y + outCount);
          for (size_t i = 0; i < outCount; ++i) y[i] = 0;
          reduceGeneric(Red::kSum, x, X.shape, reduced, y, outCount, mx.data());
          for (size_t i = 0; i < outCount; ++i) y[i] = std::isfinite(mx[i]) ? mx[i] + std::log(y[i]) : mx[i];
          return;
        }
        reduceGeneric(kind_ == Red::kL2 ? Red::kSumSquare : kind_ == Red::kLogSum ? Red::kSum : kind_, x, X.shape, reduced, y, outCount);
        if (kind_ == Red::kL2)
          for (size_t i = 0; i < outCount; ++i) y[i] = std::sqrt(y[i]);
        if (kind_ == Red::kLogSum)
          for (size_t i = 0; i < outCount; ++i) y[i] = std::log(y[i]);
        return;
      }
      default: fail(std::string(name_) + ": element type " + typeName(X.type) + " is not supported");
    }
  }

 private:
  void runF32(const TensorView& X, const std::vector<bool>& reduced, float* y, size_t outCount, int64_t count,
              int maxThreads) const {
    const F32KernelTable& kt = f32Kernels(isa_);
    const float* x = X.as<const float>();
    std::vector<float> tmp;
    const ReduceOp op = kernelOpOf(kind_);
    reduceF32(kt, op, x, X.shape, reduced, nullptr, y, outCount, maxThreads, tmp);
    switch (kind_) {
      case Red::kMean: {
        const float n = static_cast<float>(count);
        for (size_t i = 0; i < outCount; ++i) y[i] = y[i] / n;
        break;
      }
      case Red::kL2:
        for (size_t i = 0; i < outCount; ++i) y[i] = std::sqrt(y[i]);
        break;
      case Red::kLogSum:
        for (size_t i = 0; i < outCount; ++i) y[i] = std::log(y[i]);
        break;
      case Red::kLogSumExp: {
        // y holds the maxima; sum e^(x - max) with that shift, then max + log(sum).
        std::vector<float> mx(y, y + outCount);
        reduceF32(kt, ReduceOp::kSumExp, x, X.shape, reduced, mx.data(), y, outCount, maxThreads, tmp);
        for (size_t i = 0; i < outCount; ++i) y[i] = std::isfinite(mx[i]) ? mx[i] + std::log(y[i]) : mx[i];
        break;
      }
      default: break;
    }
  }

  Isa isa_;
  Red kind_;
  const char* name_;
  bool keepdims_ = true, noopEmpty_ = false, hasAttrAxes_ = false;
  std::vector<int64_t> attrAxes_;
};

template <Red R>
std::unique_ptr<Op> makeReduce(const OpContext& c) {
  return std::make_unique<ReduceOpImpl>(c, R);
}

// ---- ArgMax / ArgMin ------------------------------------------------------------------------

template <class T>
void argReduce(const T* x, size_t outer, size_t n, size_t inner, bool isMax, bool last, int64_t* y, int maxThreads) {
  parallelRange(outer * inner, std::max<size_t>(1, kGrainCheap / std::max<size_t>(n, 1)), maxThreads, [&](size_t b, size_t e) {
    for (size_t t = b; t < e; ++t) {
      const size_t o = t / inner, j = t % inner;
      const T* p = x + o * n * inner + j;
      T best = p[0];
      int64_t bi = 0;
      for (size_t i = 1; i < n; ++i) {
        const T v = p[i * inner];
        const bool better = isMax ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
        if (better) {
          best = v;
          bi = static_cast<int64_t>(i);
        }
      }
      y[t] = bi;
    }
  });
}

class ArgOp : public Op {
 public:
  ArgOp(const OpContext& c, bool isMax) : isMax_(isMax), name_(isMax ? "ArgMax" : "ArgMin") {
    axis_ = c.attrs.getInt("axis", 0);
    keepdims_ = c.attrs.getInt("keepdims", 1) != 0;
    last_ = c.attrs.getInt("select_last_index", 0) != 0;
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs(name_, in, 1, 1);
    expectOutputs(name_, out, 1);
    const TensorView& X = in[0];
    expectType(name_, "output", out[0], ElemType::kS64);
    const int r = X.shape.rank;
    const int ax = normAxis(name_, axis_, r);
    Shape want;
    size_t outer = 1, inner = 1;
    for (int d = 0; d < r; ++d) {
      if (d < ax) outer *= static_cast<size_t>(X.shape.d[d]);
      if (d > ax) inner *= static_cast<size_t>(X.shape.d[d]);
      if (d != ax)
        want.d[want.rank++] = X.shape.d[d];
      else if (keepdims_)
        want.d[want.rank++] = 1;
    }
    expectShape(name_, "output", out[0].shape, want);
    const size_t n = static_cast<size_t>(X.shape.d[ax]);
    if (n == 0) fail(std::string(name_) + ": the reduced axis is empty");
    int64_t* y = out[0].as<int64_t>();
    switch (X.type) {
      case ElemType::kF32: return argReduce(X.as<const float>(), outer, n, inner, isMax_, last_, y, maxThreads);
      case ElemType::kF64: return argReduce(X.as<const double>(), outer, n, inner, isMax_, last_, y, maxThreads);
      case ElemType::kS32: return argReduce(X.as<const int32_t>(), outer, n, inner, isMax_, last_, y, maxThreads);
      case ElemType::kS64: return argReduce(X.as<const int64_t>(), outer, n, inner, isMax_, last_, y, maxThreads);
      case ElemType::kU8: return argReduce(X.as<const uint8_t>(), outer, n, inner, isMax_, last_, y, maxThreads);
      case ElemType::kS8: return argReduce(X.as<const int8_t>(), outer, n, inner, isMax_, last_, y, maxThreads);
      default: fail(std::string(name_) + ": element type " + typeName(X.type) + " is not supported");
    }
  }

 private:
  bool isMax_;
  const char* name_;
  int64_t axis_ = 0;
  bool keepdims_ = true, last_ = false;
};

std::unique_ptr<Op> makeArgMax(const OpContext& c) { return std::make_unique<ArgOp>(c, true); }
std::unique_ptr<Op> makeArgMin(const OpContext& c) { return std::make_unique<ArgOp>(c, false); }

}  // namespace

QINT8_REGISTER_OP("", "ReduceSum", makeReduce<Red::kSum>);
QINT8_REGISTER_OP("", "ReduceMean", makeReduce<Red::kMean>);
QINT8_REGISTER_OP("", "ReduceMax", makeReduce<Red::kMax>);
QINT8_REGISTER_OP("", "ReduceMin", makeReduce<Red::kMin>);
QINT8_REGISTER_OP("", "ReduceProd", makeReduce<Red::kProd>);
QINT8_REGISTER_OP("", "ReduceL1", makeReduce<Red::kL1>);
QINT8_REGISTER_OP("", "ReduceL2", makeReduce<Red::kL2>);
QINT8_REGISTER_OP("", "ReduceSumSquare", makeReduce<Red::kSumSquare>);
QINT8_REGISTER_OP("", "ReduceLogSum", makeReduce<Red::kLogSum>);
QINT8_REGISTER_OP("", "ReduceLogSumExp", makeReduce<Red::kLogSumExp>);
QINT8_REGISTER_OP("", "ArgMax", makeArgMax);
QINT8_REGISTER_OP("", "ArgMin", makeArgMin);

}  // namespace qint8
