// qint8 — elementwise engine ops with ONNX semantics: Add / Sub / Mul / Div / Pow / PRelu, the
// variadic Max / Min / Sum / Mean, comparisons, And / Or / Xor / Not, Where (numpy broadcasting
// throughout, runtime/fops_common.h) and the unary activations and math functions.
//
// float32 runs on the F32 kernel tables (every ISA bit-exact with the reference); the other
// element types ONNX allows (int32 / int64 / uint8 / int8 / float64 / bool, used by shape
// arithmetic in real models) run on the scalar templates below: integer add / sub / mul wrap,
// integer division truncates (a zero divisor is an error, INT_MIN / -1 wraps), integer Pow is
// (T) pow(double, double) with out-of-range results mapped to the type's minimum (what
// onnxruntime gets on x86).
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

// ---- scalar semantics of the non-float32 types --------------------------------------------

template <class T>
T wrapAdd(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return a + b;
  }
}
template <class T>
T wrapSub(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
  } else {
    return a - b;
  }
}
template <class T>
T wrapMul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) * static_cast<U>(b)));
  } else {
    return a * b;
  }
}
template <class T>
T truncDiv(T a, T b) {  // b != 0 checked before
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    if (b == -1) return wrapSub<T>(T(0), a);
  }
  return a / b;
}
template <class T>
T wrapNeg(T a) {
  return wrapSub<T>(T(0), a);
}
// double -> integer as x86's truncating conversion: NaN and out-of-range values give the
// integer indefinite value (the minimum of int32 / int64; narrower types take the low bits of
// the int32 conversion).
template <class T>
T castFromDouble(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else if constexpr (sizeof(T) == 8) {
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return std::numeric_limits<int64_t>::min();
    return static_cast<T>(static_cast<int64_t>(v));
  } else {
    int32_t i;
    if (!(v > -2147483649.0 && v < 2147483648.0))
      i = std::numeric_limits<int32_t>::min();
    else
      i = static_cast<int32_t>(v);
    return static_cast<T>(static_cast<uint32_t>(i));
  }
}

template <class F>
auto dispatchNumeric(const char* op, ElemType t, F&& f) {
  switch (t) {
    case ElemType::kF32: return f(float{});
    case ElemType::kF64: return f(double{});
    case ElemType::kS32: return f(int32_t{});
    case ElemType::kS64: return f(int64_t{});
    case ElemType::kU8: return f(uint8_t{});
    case ElemType::kS8: return f(int8_t{});
    case ElemType::kBool: break;
  }
  fail(std::string(op) + ": element type " + typeName(t) + " is not supported");
}

template <class T, class F>
void runGeneric(const T* a, const T* b, T* y, size_t n, int mode, F f) {
  if (mode == kBcastVV) {
    for (size_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
  } else if (mode == kBcastVS) {
    const T bv = *b;
    for (size_t i = 0; i < n; ++i) y[i] = f(a[i], bv);
  } else {
    const T av = *a;
    for (size_t i = 0; i < n; ++i) y[i] = f(av, b[i]);
  }
}

template <class T, class R, class F>
void cmpGeneric(const T* a, const T* b, R* y, size_t n, int mode, F f) {
  if (mode == kBcastVV) {
    for (size_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]) ? 1 : 0;
  } else if (mode == kBcastVS) {
    const T bv = *b;
    for (size_t i = 0; i < n; ++i) y[i] = f(a[i], bv) ? 1 : 0;
  } else {
    const T av = *a;
    for (size_t i = 0; i < n; ++i) y[i] = f(av, b[i]) ? 1 : 0;
  }
}

// Runs kernel(a, b, y, len, mode) over the broadcast runs of Y (esA / esB / esY: element sizes).
template <class K>
void broadcast2(const char* op, const TensorView& A, const TensorView& B, const TensorView& Y, size_t esA, size_t esB,
                size_t esY, size_t grain, int maxThreads, K&& kernel) {
  const Bcast bc = makeBcast(op, Y.shape, {&A.shape, &B.shape});
  if (bc.total == 0) return;
  const uint8_t* pa = static_cast<const uint8_t*>(A.data);
  const uint8_t* pb = static_cast<const uint8_t*>(B.data);
  uint8_t* py = static_cast<uint8_t*>(Y.data);
  const bool va = bc.innerVec(0), vb = bc.innerVec(1);
  const int mode = va && vb ? kBcastVV : va ? kBcastVS : kBcastSV;
  parallelRange(static_cast<size_t>(bc.total), grain, maxThreads, [&](size_t s, size_t e) {
    forEachRun(bc, static_cast<int64_t>(s), static_cast<int64_t>(e), [&](const int64_t* off, int64_t pos, int64_t len) {
      const uint8_t* a = pa + off[0] * esA;
      const uint8_t* b = pb + off[1] * esB;
      uint8_t* y = py + pos * esY;
      if (va || vb) {
        kernel(a, b, y, static_cast<size_t>(len), mode);
      } else {
        kernel(a, b, y, size_t{1}, static_cast<int>(kBcastVV));
        fillElems(y, y, static_cast<size_t>(len), esY);
      }
    });
  });
}

void checkBroadcastOutput(const char* op, const TensorView& a, const TensorView& b, const TensorView& y) {
  Shape want;
  try {
    want = broadcastShapes(a.shape, b.shape);
  } catch (const std::invalid_argument&) {
    fail(std::string(op) + ": input shapes " + a.shape.str() + " and " + b.shape.str() + " do not broadcast");
  }
  expectShape(op, "output", y.shape, want);
}

// ---- binary arithmetic -----------------------------------------------------------------

enum class Arith { kAdd, kSub, kMul, kDiv, kMax, kMin, kPRelu };

BinaryOp kernelOp(Arith a) {
  switch (a) {
    case Arith::kAdd: return BinaryOp::kAdd;
    case Arith::kSub: return BinaryOp::kSub;
    case Arith::kMul: return BinaryOp::kMul;
    case Arith::kDiv: return BinaryOp::kDiv;
    case Arith::kMax: return BinaryOp::kMax;
    case Arith::kMin: return BinaryOp::kMin;
    case Arith::kPRelu: return BinaryOp::kPRelu;
  }
  return BinaryOp::kAdd;
}

template <class T>
void arithGeneric(Arith op, const T* a, const T* b, T* y, size_t n, int mode) {
  switch (op) {
    case Arith::kAdd: return runGeneric<T>(a, b, y, n, mode, [](T p, T q) { return wrapAdd<T>(p, q); });
    case Arith::kSub: return runGeneric<T>(a, b, y, n, mode, [](T p, T q) { return wrapSub<T>(p, q); });
    case Arith::kMul: return runGeneric<T>(a, b, y, n, mode, [](T p, T q) { return wrapMul<T>(p, q); });
    case Arith::kDiv: return runGeneric<T>(a, b, y, n, mode, [](T p, T q) { return truncDiv<T>(p, q); });
    case Arith::kMax: {
      // NaN propagates; equal operands give the second one, with the operands of a scalar-first
      // run swapped (the float32 kernels' rule).
      auto f = [](T p, T q) {
        if constexpr (std::is_floating_point_v<T>)
          if (p != p) return p;
        return p > q ? p : q;
      };
      if (mode == kBcastSV) return runGeneric<T>(a, b, y, n, mode, [&](T p, T q) { return f(q, p); });
      return runGeneric<T>(a, b, y, n, mode, f);
    }
    case Arith::kMin: {
      auto f = [](T p, T q) {
        if constexpr (std::is_floating_point_v<T>)
          if (p != p) return p;
        return p < q ? p : q;
      };
      if (mode == kBcastSV) return runGeneric<T>(a, b, y, n, mode, [&](T p, T q) { return f(q, p); });
      return runGeneric<T>(a, b, y, n, mode, f);
    }
    case Arith::kPRelu: return runGeneric<T>(a, b, y, n, mode, [](T p, T q) { return p < T(0) ? wrapMul<T>(p, q) : p; });
  }
}

// y = a op b with broadcasting, any numeric type (a and b of y's type). a may alias y.
void arithApply(const char* op, Isa isa, Arith ar, const TensorView& A, const TensorView& B, const TensorView& Y,
                int maxThreads) {
  const size_t es = elemSize(Y.type);
  if (Y.type == ElemType::kF32) {
    const F32KernelTable& kt = f32Kernels(isa);
    const BinaryOp bop = kernelOp(ar);
    broadcast2(op, A, B, Y, es, es, es, kGrainCheap, maxThreads, [&](const uint8_t* a, const uint8_t* b, uint8_t* y, size_t n, int mode) {
      kt.binary(bop, reinterpret_cast<const float*>(a), reinterpret_cast<const float*>(b), reinterpret_cast<float*>(y), n, mode);
    });
    return;
  }
  dispatchNumeric(op, Y.type, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T>) {
      if (ar == Arith::kDiv) {
        const T* b = B.as<const T>();
        for (int64_t i = 0, n = B.shape.numel(); i < n; ++i)
          if (b[i] == 0) fail(std::string(op) + ": integer division by zero");
      }
    }
    broadcast2(op, A, B, Y, es, es, es, kGrainCheap, maxThreads, [&](const uint8_t* a, const uint8_t* b, uint8_t* y, size_t n, int mode) {
      arithGeneric<T>(ar, reinterpret_cast<const T*>(a), reinterpret_cast<const T*>(b), reinterpret_cast<T*>(y), n, mode);
    });
  });
}

class ArithOp : public Op {
 public:
  ArithOp(const OpContext& c, Arith ar, const char* name) : isa_(c.isa), ar_(ar), name_(name) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs(name_, in, 2, 2);
    expectOutputs(name_, out, 1);
    expectSameType(name_, "input 1", in[1], in[0]);
    expectSameType(name_, "output", out[0], in[0]);
    if (in[0].type == ElemType::kBool) fail(std::string(name_) + ": bool inputs are not supported");
    if (ar_ == Arith::kPRelu) {
      // slope broadcasts to X (unidirectional); the output has X's shape.
      expectShape(name_, "output", out[0].shape, in[0].shape);
    } else {
      checkBroadcastOutput(name_, in[0], in[1], out[0]);
    }
    arithApply(name_, isa_, ar_, in[0], in[1], out[0], maxThreads);
  }
  int inplaceInput(int o) const override { return o == 0 ? 0 : -1; }

 private:
  Isa isa_;
  Arith ar_;
  const char* name_;
};

template <Arith A>
std::unique_ptr<Op> makeArith(const OpContext& c) {
  static const char* names[] = {"Add", "Sub", "Mul", "Div", "Max", "Min", "PRelu"};
  return std::make_unique<ArithOp>(c, A, names[static_cast<int>(A)]);
}

// ---- variadic Max / Min / Sum / Mean ---------------------------------------------------

enum class Variadic { kMax, kMin, kSum, kMean };

class VariadicOp : public Op {
 public:
  VariadicOp(const OpContext& c, Variadic v, const char* name) : isa_(c.isa), v_(v), name_(name) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    if (in.empty()) fail(std::string(name_) + ": needs at least one input");
    expectOutputs(name_, out, 1);
    Shape want = in[0].shape;
    for (size_t i = 0; i < in.size(); ++i) {
      if (!in[i].data && in[i].shape.numel() != 0) fail(std::string(name_) + ": input " + std::to_string(i) + " is required");
      expectSameType(name_, ("input " + std::to_string(i)).c_str(), in[i], in[0]);
      try {
        want = broadcastShapes(want, in[i].shape);
      } catch (const std::invalid_argument&) {
        fail(std::string(name_) + ": input shapes do not broadcast");
      }
    }
    const TensorView& Y = out[0];
    expectSameType(name_, "output", Y, in[0]);
    expectShape(name_, "output", Y.shape, want);
    if ((v_ == Variadic::kSum || v_ == Variadic::kMean) && Y.type != ElemType::kF32 && Y.type != ElemType::kF64)
      fail(std::string(name_) + ": element type " + typeName(Y.type) + " is not supported (float32 / float64)");
    if (in[0].type == ElemType::kBool) fail(std::string(name_) + ": bool inputs are not supported");
    const Arith ar = v_ == Variadic::kMax ? Arith::kMax : v_ == Variadic::kMin ? Arith::kMin : Arith::kAdd;
    if (in.size() == 1) {
      expandInto(in[0], Y, maxThreads);
    } else {
      arithApply(name_, isa_, ar, in[0], in[1], Y, maxThreads);
      for (size_t i = 2; i < in.size(); ++i) arithApply(name_, isa_, ar, Y, in[i], Y, maxThreads);
    }
    if (v_ == Variadic::kMean) {  // the sum times 1 / n (onnxruntime's order)
      if (Y.type == ElemType::kF32) {
        const float inv = 1.f / static_cast<float>(in.size());
        const F32KernelTable& kt = f32Kernels(isa_);
        const size_t total = static_cast<size_t>(Y.shape.numel());
        float* y = Y.as<float>();
        parallelRange(total, kGrainCheap, maxThreads, [&](size_t b, size_t e) { kt.binary(BinaryOp::kMul, y + b, &inv, y + b, e - b, kBcastVS); });
      } else {
        double* y = Y.as<double>();
        const double inv = 1.0 / static_cast<double>(in.size());
        for (int64_t i = 0, t = Y.shape.numel(); i < t; ++i) y[i] *= inv;
      }
    }
  }

  static void expandInto(const TensorView& X, const TensorView& Y, int maxThreads) {
    const size_t es = elemSize(Y.type);
    if (X.shape == Y.shape) {
      parallelCopy(Y.data, X.data, Y.bytes(), maxThreads);
      return;
    }
    const Bcast bc = makeBcast("Expand", Y.shape, {&X.shape});
    const uint8_t* px = static_cast<const uint8_t*>(X.data);
    uint8_t* py = static_cast<uint8_t*>(Y.data);
    parallelRange(static_cast<size_t>(bc.total), kGrainCheap, maxThreads, [&](size_t s, size_t e) {
      forEachRun(bc, static_cast<int64_t>(s), static_cast<int64_t>(e), [&](const int64_t* off, int64_t pos, int64_t len) {
        if (bc.innerVec(0))
          std::memcpy(py + pos * es, px + off[0] * es, static_cast<size_t>(len) * es);
        else
          fillElems(py + pos * es, px + off[0] * es, static_cast<size_t>(len), es);
      });
    });
  }

 private:
  Isa isa_;
  Variadic v_;
  const char* name_;
};

template <Variadic V>
std::unique_ptr<Op> makeVariadic(const OpContext& c) {
  static const char* names[] = {"Max", "Min", "Sum", "Mean"};
  return std::make_unique<VariadicOp>(c, V, names[static_cast<int>(V)]);
}

// ---- Pow -------------------------------------------------------------------------------

// onnxruntime's Pow: a scalar exponent of exactly 2 or 3 is x * x or x * x * x; otherwise
// std::pow (powf for float32 ^ float32; pow in double for integer exponents or bases).
template <class T, class E>
void powRun(const T* a, const E* b, T* y, size_t n, int mode, const F32KernelTable* kt) {
  auto one = [](T x, E e) -> T {
    if constexpr (std::is_same_v<T, float> && std::is_same_v<E, float>)
      return std::pow(x, e);
    else
      return castFromDouble<T>(std::pow(static_cast<double>(x), static_cast<double>(e)));
  };
  if (mode == kBcastVS) {
    const E e = *b;
    if (e == E(2) || e == E(3)) {
      if constexpr (std::is_same_v<T, float>) {
        kt->binary(BinaryOp::kMul, a, a, y, n, kBcastVV);
        if (e == E(3)) kt->binary(BinaryOp::kMul, y, a, y, n, kBcastVV);
      } else {
        for (size_t i = 0; i < n; ++i) y[i] = e == E(2) ? wrapMul<T>(a[i], a[i]) : wrapMul<T>(wrapMul<T>(a[i], a[i]), a[i]);
      }
      return;
    }
    for (size_t i = 0; i < n; ++i) y[i] = one(a[i], e);
  } else if (mode == kBcastSV) {
    const T x = *a;
    for (size_t i = 0; i < n; ++i) y[i] = one(x, b[i]);
  } else {
    for (size_t i = 0; i < n; ++i) y[i] = one(a[i], b[i]);
  }
}

class PowOp : public Op {
 public:
  explicit PowOp(const OpContext& c) : isa_(c.isa) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs("Pow", in, 2, 2);
    expectOutputs("Pow", out, 1);
    expectSameType("Pow", "output", out[0], in[0]);
    checkBroadcastOutput("Pow", in[0], in[1], out[0]);
    const ElemType bt = in[0].type, et = in[1].type;
    if (bt != ElemType::kF32 && bt != ElemType::kF64 && bt != ElemType::kS32 && bt != ElemType::kS64)
      fail(std::string("Pow: base type ") + typeName(bt) + " is not supported");
    const F32KernelTable* kt = &f32Kernels(isa_);
    dispatchNumeric("Pow", bt, [&](auto tb) {
      using T = decltype(tb);
      dispatchNumeric("Pow", et, [&](auto te) {
        using E = decltype(te);
        broadcast2("Pow", in[0], in[1], out[0], sizeof(T), sizeof(E), sizeof(T), kGrainMath, maxThreads,
                   [&](const uint8_t* a, const uint8_t* b, uint8_t* y, size_t n, int mode) {
                     if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int32_t> ||
                                   std::is_same_v<T, int64_t>)
                       powRun<T, E>(reinterpret_cast<const T*>(a), reinterpret_cast<const E*>(b), reinterpret_cast<T*>(y), n, mode, kt);
                   });
      });
    });
  }
  int inplaceInput(int o) const override { return o == 0 ? 0 : -1; }

 private:
  Isa isa_;
};

std::unique_ptr<Op> makePow(const OpContext& c) { return std::make_unique<PowOp>(c); }

// ---- comparisons and logic ----------------------------------------------------------------

class CompareOp : public Op {
 public:
  CompareOp(const OpContext& c, CmpOp op, const char* name) : isa_(c.isa), op_(op), name_(name) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs(name_, in, 2, 2);
    expectOutputs(name_, out, 1);
    expectSameType(name_, "input 1", in[1], in[0]);
    expectType(name_, "output", out[0], ElemType::kBool);
    checkBroadcastOutput(name_, in[0], in[1], out[0]);
    const ElemType t = in[0].type;
    if (t == ElemType::kF32) {
      const F32KernelTable& kt = f32Kernels(isa_);
      broadcast2(name_, in[0], in[1], out[0], 4, 4, 1, kGrainCheap, maxThreads, [&](const uint8_t* a, const uint8_t* b, uint8_t* y, size_t n, int mode) {
        kt.compare(op_, reinterpret_cast<const float*>(a), reinterpret_cast<const float*>(b), y, n, mode);
      });
      return;
    }
    if (t == ElemType::kBool && op_ != CmpOp::kEq) fail(std::string(name_) + ": bool inputs are not supported");
    auto body = [&](auto tag) {
      using T = decltype(tag);
      broadcast2(name_, in[0], in[1], out[0], sizeof(T), sizeof(T), 1, kGrainCheap, maxThreads,
                 [&](const uint8_t* a, const uint8_t* b, uint8_t* y, size_t n, int mode) {
                   const T* pa = reinterpret_cast<const T*>(a);
                   const T* pb = reinterpret_cast<const T*>(b);
                   switch (op_) {
                     case CmpOp::kEq: return cmpGeneric(pa, pb, y, n, mode, [](T p, T q) { return p == q; });
                     case CmpOp::kLt: return cmpGeneric(pa, pb, y, n, mode, [](T p, T q) { return p < q; });
                     case CmpOp::kGt: return cmpGeneric(pa, pb, y, n, mode, [](T p, T q) { return p > q; });
                     case CmpOp::kLe: return cmpGeneric(pa, pb, y, n, mode, [](T p, T q) { return p <= q; });
                     case CmpOp::kGe: return cmpGeneric(pa, pb, y, n, mode, [](T p, T q) { return p >= q; });
                     case CmpOp::kCount: break;
                   }
                 });
    };
    if (t == ElemType::kBool)
      body(uint8_t{});
    else
      dispatchNumeric(name_, t, body);
  }

 private:
  Isa isa_;
  CmpOp op_;
  const char* name_;
};

template <CmpOp C>
std::unique_ptr<Op> makeCompare(const OpContext& c) {
  static const char* names[] = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"};
  return std::make_unique<CompareOp>(c, C, names[static_cast<int>(C)]);
}

enum class Logic { kAnd, kOr, kXor };

class LogicOp : public Op {
 public:
  LogicOp(Logic l, const char* name) : l_(l), name_(name) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs(name_, in, 2, 2);
    expectOutputs(name_, out, 1);
    expectType(name_, "input 0", in[0], ElemType::kBool);
    expectType(name_, "input 1", in[1], ElemType::kBool);
    expectType(name_, "output", out[0], ElemType::kBool);
    checkBroadcastOutput(name_, in[0], in[1], out[0]);
    broadcast2(name_, in[0], in[1], out[0], 1, 1, 1, kGrainCheap, maxThreads, [&](const uint8_t* a, const uint8_t* b, uint8_t* y, size_t n, int mode) {
      switch (l_) {
        case Logic::kAnd: return cmpGeneric(a, b, y, n, mode, [](uint8_t p, uint8_t q) { return p != 0 && q != 0; });
        case Logic::kOr: return cmpGeneric(a, b, y, n, mode, [](uint8_t p, uint8_t q) { return p != 0 || q != 0; });
        case Logic::kXor: return cmpGeneric(a, b, y, n, mode, [](uint8_t p, uint8_t q) { return (p != 0) != (q != 0); });
      }
    });
  }
  int inplaceInput(int o) const override { return o == 0 ? 0 : -1; }

 private:
  Logic l_;
  const char* name_;
};

template <Logic L>
std::unique_ptr<Op> makeLogic(const OpContext&) {
  static const char* names[] = {"And", "Or", "Xor"};
  return std::make_unique<LogicOp>(L, names[static_cast<int>(L)]);
}

class NotOp : public Op {
 public:
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs("Not", in, 1, 1);
    expectOutputs("Not", out, 1);
    expectType("Not", "input", in[0], ElemType::kBool);
    expectType("Not", "output", out[0], ElemType::kBool);
    expectShape("Not", "output", out[0].shape, in[0].shape);
    const uint8_t* x = in[0].as<const uint8_t>();
    uint8_t* y = out[0].as<uint8_t>();
    parallelRange(static_cast<size_t>(in[0].shape.numel()), kGrainCheap, maxThreads, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) y[i] = x[i] ? 0 : 1;
    });
  }
  int inplaceInput(int o) const override { return o == 0 ? 0 : -1; }
};

std::unique_ptr<Op> makeNot(const OpContext&) { return std::make_unique<NotOp>(); }

// ---- Where ------------------------------------------------------------------------------

template <class T>
void whereGeneric(const uint8_t* c, const T* x, const T* y, T* out, size_t n, int scalars) {
  const bool cs = scalars & 1, xs = scalars & 2, ys = scalars & 4;
  for (size_t i = 0; i < n; ++i) out[i] = c[cs ? 0 : i] ? x[xs ? 0 : i] : y[ys ? 0 : i];
}

class WhereOp : public Op {
 public:
  explicit WhereOp(const OpContext& c) : isa_(c.isa) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs("Where", in, 3, 3);
    expectOutputs("Where", out, 1);
    expectType("Where", "condition", in[0], ElemType::kBool);
    expectSameType("Where", "Y", in[2], in[1]);
    expectSameType("Where", "output", out[0], in[1]);
    Shape want;
    try {
      want = broadcastShapes(broadcastShapes(in[0].shape, in[1].shape), in[2].shape);
    } catch (const std::invalid_argument&) {
      fail("Where: input shapes " + in[0].shape.str() + ", " + in[1].shape.str() + ", " + in[2].shape.str() + " do not broadcast");
    }
    expectShape("Where", "output", out[0].shape, want);
    const Bcast bc = makeBcast("Where", out[0].shape, {&in[0].shape, &in[1].shape, &in[2].shape});
    const size_t es = elemSize(out[0].type);
    const uint8_t* pc = in[0].as<const uint8_t>();
    const uint8_t* px = in[1].as<const uint8_t>();
    const uint8_t* py = in[2].as<const uint8_t>();
    uint8_t* po = out[0].as<uint8_t>();
    const int scal = (bc.innerVec(0) ? 0 : 1) | (bc.innerVec(1) ? 0 : 2) | (bc.innerVec(2) ? 0 : 4);
    const F32KernelTable& kt = f32Kernels(isa_);
    parallelRange(static_cast<size_t>(bc.total), kGrainCheap, maxThreads, [&](size_t s, size_t e) {
      forEachRun(bc, static_cast<int64_t>(s), static_cast<int64_t>(e), [&](const int64_t* off, int64_t pos, int64_t len) {
        const uint8_t* c = pc + off[0];
        const uint8_t* x = px + off[1] * es;
        const uint8_t* y = py + off[2] * es;
        uint8_t* o = po + pos * es;
        const size_t n = static_cast<size_t>(len);
        switch (es) {
          case 4:
            kt.where32(c, reinterpret_cast<const uint32_t*>(x), reinterpret_cast<const uint32_t*>(y), reinterpret_cast<uint32_t*>(o), n, scal);
            break;
          case 8:
            whereGeneric(c, reinterpret_cast<const uint64_t*>(x), reinterpret_cast<const uint64_t*>(y), reinterpret_cast<uint64_t*>(o), n, scal);
            break;
          default:
            whereGeneric(c, x, y, o, n, scal);
            break;
        }
      });
    });
  }

 private:
  Isa isa_;
};

std::unique_ptr<Op> makeWhere(const OpContext& c) { return std::make_unique<WhereOp>(c); }

// ---- unary -------------------------------------------------------------------------------

template <class T>
void unaryInt(UnaryOp op, const T* x, T* y, size_t n, T lo, T hi) {
  for (size_t i = 0; i < n; ++i) {
    const T v = x[i];
    switch (op) {
      case UnaryOp::kRelu: y[i] = v < T(0) ? T(0) : v; break;
      case UnaryOp::kNeg: y[i] = wrapNeg<T>(v); break;
      case UnaryOp::kAbs: y[i] = v < T(0) ? wrapNeg<T>(v) : v; break;
      case UnaryOp::kSign: y[i] = v > T(0) ? T(1) : v < T(0) ? T(-1) : T(0); break;
      case UnaryOp::kClip: y[i] = v < lo ? lo : (v > hi ? hi : v); break;
      default: y[i] = v; break;
    }
  }
}

class UnaryOpImpl : public Op {
 public:
  UnaryOpImpl(const OpContext& c, UnaryOp u, const char* name) : isa_(c.isa), u_(u), name_(name) {
    switch (u) {
      case UnaryOp::kLeakyRelu: p_.a = static_cast<float>(c.attrs.getFloat("alpha", 0.01)); break;
      case UnaryOp::kHardSigmoid:
        p_.a = static_cast<float>(c.attrs.getFloat("alpha", 0.2));
        p_.b = static_cast<float>(c.attrs.getFloat("beta", 0.5));
        break;
      case UnaryOp::kElu:
      case UnaryOp::kCelu:
      case UnaryOp::kThresholdedRelu: p_.a = static_cast<float>(c.attrs.getFloat("alpha", 1.0)); break;
      case UnaryOp::kSelu:
        p_.a = static_cast<float>(c.attrs.getFloat("alpha", 1.67326319217681884765625));
        p_.b = static_cast<float>(c.attrs.getFloat("gamma", 1.05070102214813232421875));
        break;
      case UnaryOp::kGeluErf: {
        const std::string a = c.attrs.getString("approximate", "none");
        if (a == "tanh")
          u_ = UnaryOp::kGeluTanh;
        else if (a != "none")
          fail("Gelu: approximate must be 'none' or 'tanh', got '" + a + "'");
        break;
      }
      default: break;
    }
    if (u_ == UnaryOp::kCelu && p_.a == 0.f) fail("Celu: alpha must not be 0");
  }

  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    const bool clip = u_ == UnaryOp::kClip;
    expectInputs(name_, in, 1, clip ? 3 : 1);
    expectOutputs(name_, out, 1);
    expectSameType(name_, "output", out[0], in[0]);
    expectShape(name_, "output", out[0].shape, in[0].shape);
    const size_t n = static_cast<size_t>(in[0].shape.numel());
    const ElemType t = in[0].type;
    if (t == ElemType::kF32) {
      UnaryParams p = p_;
      if (clip) {  // absent bounds: numeric_limits lowest() / max() (the ONNX defaults)
        p.a = std::numeric_limits<float>::lowest();
        p.b = std::numeric_limits<float>::max();
        if (present(in, 1)) p.a = boundOf<float>(in[1], "min");
        if (present(in, 2)) p.b = boundOf<float>(in[2], "max");
      }
      const F32KernelTable& kt = f32Kernels(isa_);
      const float* x = in[0].as<const float>();
      float* y = out[0].as<float>();
      const bool cheap = u_ <= UnaryOp::kSign || u_ == UnaryOp::kClip || u_ == UnaryOp::kLeakyRelu ||
                         u_ == UnaryOp::kHardSigmoid || u_ == UnaryOp::kHardSwish || u_ == UnaryOp::kAffine ||
                         u_ == UnaryOp::kThresholdedRelu;
      parallelRange(n, cheap ? kGrainCheap : kGrainMath, maxThreads, [&](size_t b, size_t e) { kt.unary(u_, p, x + b, y + b, e - b); });
      return;
    }
    const bool intOk = u_ == UnaryOp::kRelu || u_ == UnaryOp::kNeg || u_ == UnaryOp::kAbs || u_ == UnaryOp::kSign || clip;
    if (!intOk || t == ElemType::kBool || t == ElemType::kF64)
      fail(std::string(name_) + ": element type " + typeName(t) + " is not supported");
    dispatchNumeric(name_, t, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_integral_v<T>) {
        T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
        if (clip && present(in, 1)) lo = boundOf<T>(in[1], "min");
        if (clip && present(in, 2)) hi = boundOf<T>(in[2], "max");
        const T* x = in[0].as<const T>();
        T* y = out[0].as<T>();
        parallelRange(n, kGrainCheap, maxThreads, [&](size_t b, size_t e) { unaryInt<T>(u_, x + b, y + b, e - b, lo, hi); });
      }
    });
  }
  int inplaceInput(int o) const override { return o == 0 ? 0 : -1; }

 private:
  template <class T>
  T boundOf(const TensorView& t, const char* what) const {
    if (t.shape.numel() != 1) fail(std::string(name_) + ": " + what + " must be a scalar, got shape " + t.shape.str());
    if (!t.data) fail(std::string(name_) + ": " + what + " has no data");
    if (elemSize(t.type) != sizeof(T) || t.type == ElemType::kBool)
      fail(std::string(name_) + ": " + what + " must have the input's type");
    return *t.as<const T>();
  }

  Isa isa_;
  UnaryOp u_;
  const char* name_;
  UnaryParams p_;
};

template <UnaryOp U>
std::unique_ptr<Op> makeUnary(const OpContext& c) {
  static const char* names[] = {"Relu",    "Neg",       "Abs",         "Sqrt",      "Reciprocal", "Floor", "Ceil",
                                "Round",   "Sign",      "Exp",         "Log",       "Erf",        "Tanh",  "Sigmoid",
                                "Softplus", "Clip",     "LeakyRelu",   "HardSigmoid", "HardSwish", "Gelu", "Gelu",
                                "Affine",  "Softsign",  "Elu",         "Selu",      "Celu",       "ThresholdedRelu"};
  return std::make_unique<UnaryOpImpl>(c, U, names[static_cast<int>(U)]);
}

}  // namespace

QINT8_REGISTER_OP("", "Add", makeArith<Arith::kAdd>);
QINT8_REGISTER_OP("", "Sub", makeArith<Arith::kSub>);
QINT8_REGISTER_OP("", "Mul", makeArith<Arith::kMul>);
QINT8_REGISTER_OP("", "Div", makeArith<Arith::kDiv>);
QINT8_REGISTER_OP("", "PRelu", makeArith<Arith::kPRelu>);
QINT8_REGISTER_OP("", "Max", makeVariadic<Variadic::kMax>);
QINT8_REGISTER_OP("", "Min", makeVariadic<Variadic::kMin>);
QINT8_REGISTER_OP("", "Sum", makeVariadic<Variadic::kSum>);
QINT8_REGISTER_OP("", "Mean", makeVariadic<Variadic::kMean>);
QINT8_REGISTER_OP("", "Pow", makePow);
QINT8_REGISTER_OP("", "Equal", makeCompare<CmpOp::kEq>);
QINT8_REGISTER_OP("", "Less", makeCompare<CmpOp::kLt>);
QINT8_REGISTER_OP("", "Greater", makeCompare<CmpOp::kGt>);
QINT8_REGISTER_OP("", "LessOrEqual", makeCompare<CmpOp::kLe>);
QINT8_REGISTER_OP("", "GreaterOrEqual", makeCompare<CmpOp::kGe>);
QINT8_REGISTER_OP("", "And", makeLogic<Logic::kAnd>);
QINT8_REGISTER_OP("", "Or", makeLogic<Logic::kOr>);
QINT8_REGISTER_OP("", "Xor", makeLogic<Logic::kXor>);
QINT8_REGISTER_OP("", "Not", makeNot);
QINT8_REGISTER_OP("", "Where", makeWhere);
QINT8_REGISTER_OP("", "Relu", makeUnary<UnaryOp::kRelu>);
QINT8_REGISTER_OP("", "Neg", makeUnary<UnaryOp::kNeg>);
QINT8_REGISTER_OP("", "Abs", makeUnary<UnaryOp::kAbs>);
QINT8_REGISTER_OP("", "Sqrt", makeUnary<UnaryOp::kSqrt>);
QINT8_REGISTER_OP("", "Reciprocal", makeUnary<UnaryOp::kReciprocal>);
QINT8_REGISTER_OP("", "Floor", makeUnary<UnaryOp::kFloor>);
QINT8_REGISTER_OP("", "Ceil", makeUnary<UnaryOp::kCeil>);
QINT8_REGISTER_OP("", "Round", makeUnary<UnaryOp::kRound>);
QINT8_REGISTER_OP("", "Sign", makeUnary<UnaryOp::kSign>);
QINT8_REGISTER_OP("", "Exp", makeUnary<UnaryOp::kExp>);
QINT8_REGISTER_OP("", "Log", makeUnary<UnaryOp::kLog>);
QINT8_REGISTER_OP("", "Erf", makeUnary<UnaryOp::kErf>);
QINT8_REGISTER_OP("", "Tanh", makeUnary<UnaryOp::kTanh>);
QINT8_REGISTER_OP("", "Sigmoid", makeUnary<UnaryOp::kSigmoid>);
QINT8_REGISTER_OP("", "Softplus", makeUnary<UnaryOp::kSoftplus>);
QINT8_REGISTER_OP("", "Clip", makeUnary<UnaryOp::kClip>);
QINT8_REGISTER_OP("", "LeakyRelu", makeUnary<UnaryOp::kLeakyRelu>);
QINT8_REGISTER_OP("", "HardSigmoid", makeUnary<UnaryOp::kHardSigmoid>);
QINT8_REGISTER_OP("", "HardSwish", makeUnary<UnaryOp::kHardSwish>);
QINT8_REGISTER_OP("", "Gelu", makeUnary<UnaryOp::kGeluErf>);
QINT8_REGISTER_OP("", "Softsign", makeUnary<UnaryOp::kSoftsign>);
QINT8_REGISTER_OP("", "Elu", makeUnary<UnaryOp::kElu>);
QINT8_REGISTER_OP("", "Selu", makeUnary<UnaryOp::kSelu>);
QINT8_REGISTER_OP("", "Celu", makeUnary<UnaryOp::kCelu>);
QINT8_REGISTER_OP("", "ThresholdedRelu", makeUnary<UnaryOp::kThresholdedRelu>);

}  // namespace qint8
