// Float32 kernels: the math approximations against libm (float64) over dense grids, and every
// ISA's kernels against the scalar reference, bit for bit (NaN payloads excepted).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/cpu.h"
#include "../runtime/f32_kernels.h"

using namespace qint8;

namespace {

float fromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

bool sameFloat(float a, float b) { return (std::isnan(a) && std::isnan(b)) || bitsOf(a) == bitsOf(b); }

// The first index where two float arrays differ (NaN == NaN), or -1.
long firstDiff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (!sameFloat(a[i], b[i])) return static_cast<long>(i);
  return -1;
}

std::string diffMsg(const char* what, Isa isa, long i, const std::vector<float>& want, const std::vector<float>& got,
                    const std::vector<float>* in = nullptr) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s %s: index %ld x=%.9g ref=%.9g got=%.9g", what, isaName(isa), i,
                in ? (*in)[static_cast<size_t>(i)] : 0.0, want[static_cast<size_t>(i)], got[static_cast<size_t>(i)]);
  return buf;
}

std::vector<Isa> simdIsas() {
  std::vector<Isa> v;
  for (int i = 1; i < kIsaCount; ++i)
    if (isaSupported(static_cast<Isa>(i))) v.push_back(static_cast<Isa>(i));
  return v;
}

// Error of a float result in units in the last place of the correctly rounded float result.
double ulpErr(float got, double want) {
  if (std::isnan(want)) return std::isnan(got) ? 0.0 : 1e30;
  const float wf = static_cast<float>(want);
  if (std::isinf(wf)) {
    if (std::isinf(got) && (got > 0) == (wf > 0)) return 0.0;
    // want above FLT_MAX: measure against FLT_MAX's spacing.
    return std::fabs(static_cast<double>(got) - want) / std::ldexp(1.0, 104);
  }
  if (std::isnan(got) || std::isinf(got)) return 1e30;
  int e = want == 0 ? -126 : std::ilogb(std::fabs(static_cast<double>(wf)));
  if (e < -126) e = -126;
  return std::fabs(static_cast<double>(got) - want) / std::ldexp(1.0, e - 23);
}

// Every finite float (both signs) with a bit-pattern stride, plus special values.
std::vector<float> denseGrid(uint32_t stride, float lo, float hi) {
  std::vector<float> v;
  for (uint64_t u = 0; u < 0x7f800000u; u += stride) {
    const float p = fromBits(static_cast<uint32_t>(u)), n = -p;
    if (p >= lo && p <= hi) v.push_back(p);
    if (n >= lo && n <= hi) v.push_back(n);
  }
  return v;
}

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> specials() {
  return {0.f, -0.f, kInf, -kInf, kNaN, 1e-45f, -1e-45f, 1.17549435e-38f, -1.17549435e-38f, 3.4028235e38f, -3.4028235e38f,
          0.5f, -0.5f, 1.f, -1.f, 1.5f, 2.5f, -2.5f, 88.7228f, 88.73f, -87.33f, -103.9f, -104.f, -105.f, 89.f, 100.f,
          3.9375f, -3.9375f, 0.9999999f, 1.0000001f, 9.f, -9.f, 1e-20f, -1e-20f};
}

struct MathCase {
  const char* name;
  UnaryOp op;
  double (*ref)(double);
  float lo, hi;
  double maxUlp;     // asserted bound (measured + margin)
  double maxRelTiny;  // for results below 1e-30 where ulp counts are meaningless (0 = none)
};

double refExp(double x) { return std::exp(x); }
double refLog(double x) { return std::log(x); }
double refErf(double x) { return std::erf(x); }
double refTanh(double x) { return std::tanh(x); }
double refSigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
double refSoftplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// Runs one unary op of an ISA over x.
std::vector<float> runUnary(Isa isa, UnaryOp op, const std::vector<float>& x, UnaryParams p = {}) {
  std::vector<float> y(x.size());
  f32Kernels(isa).unary(op, p, x.data(), y.data(), x.size());
  return y;
}

}  // namespace

// Accuracy of the approximations (reference kernels) against libm in float64. Bounds: the
// measured maximum over the grid rounded up (the measured values are printed; see
// docs/ARCHITECTURE.md "Float32 ops"). The grids step through float bit patterns, so every
// binade is covered evenly.
TEST(f32_math_accuracy_vs_libm) {
  // Measured maxima on these grids (every 509th float bit pattern, 4.2 - 4.4 M points each):
  // exp 0.963, log 0.802, erf 0.838, tanh 0.887, sigmoid 2.115, softplus 2.480 ulp. The bounds
  // leave a small margin above them.
  const MathCase cases[] = {
      {"exp", UnaryOp::kExp, refExp, -104.f, 89.f, 1.0, 0},
      {"log", UnaryOp::kLog, refLog, 0.f, 3.4e38f, 1.0, 0},
      {"erf", UnaryOp::kErf, refErf, -10.f, 10.f, 1.5, 0},
      {"tanh", UnaryOp::kTanh, refTanh, -20.f, 20.f, 1.5, 0},
      {"sigmoid", UnaryOp::kSigmoid, refSigmoid, -104.f, 30.f, 2.5, 0},
      {"softplus", UnaryOp::kSoftplus, refSoftplus, -100.f, 100.f, 3.0, 0},
  };
  for (const MathCase& c : cases) {
    std::vector<float> x = denseGrid(509, c.lo, c.hi);
    const std::vector<float> y = runUnary(Isa::kScalar, c.op, x);
    double worst = 0;
    float at = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double e = ulpErr(y[i], c.ref(static_cast<double>(x[i])));
      if (e > worst) {
        worst = e;
        at = x[i];
      }
    }
    std::printf("  %-8s max error %.3f ulp (at x = %.9g) over %zu points in [%g, %g]\n", c.name, worst, at, x.size(), c.lo, c.hi);
    char msg[160];
    std::snprintf(msg, sizeof msg, "%s: %.3f ulp at x = %.9g exceeds the bound %.2f", c.name, worst, at, c.maxUlp);
    CHECK_MSG(worst <= c.maxUlp, msg);
  }
  // Elu (alpha 1) = expm1 for x < 0: the expm1 form has no cancellation near 0.
  {
    const std::vector<float> x = denseGrid(509, -104.f, 0.f);
    const std::vector<float> y = runUnary(Isa::kScalar, UnaryOp::kElu, x, UnaryParams{1.f, 0.f});
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, ulpErr(y[i], std::expm1(static_cast<double>(x[i]))));
    std::printf("  %-8s max error %.3f ulp over %zu points in [-104, 0]\n", "expm1", worst, x.size());
    CHECK(worst <= 1.5);
  }
  // Special values.
  const std::vector<float> sp = {0.f, -0.f, kInf, -kInf, kNaN, 1e-45f, -1.f};
  const std::vector<float> e = runUnary(Isa::kScalar, UnaryOp::kExp, sp);
  CHECK(e[0] == 1.f && e[1] == 1.f && std::isinf(e[2]) && e[3] == 0.f && std::isnan(e[4]) && e[5] == 1.f);
  const std::vector<float> l = runUnary(Isa::kScalar, UnaryOp::kLog, sp);
  CHECK(std::isinf(l[0]) && l[0] < 0 && std::isinf(l[1]) && l[1] < 0 && std::isinf(l[2]) && l[2] > 0 && std::isnan(l[3]) &&
        std::isnan(l[4]) && std::fabs(l[5] - -103.278931f) < 1e-4f && std::isnan(l[6]));
  const std::vector<float> er = runUnary(Isa::kScalar, UnaryOp::kErf, sp);
  CHECK(er[0] == 0.f && std::signbit(er[1]) && er[2] == 1.f && er[3] == -1.f && std::isnan(er[4]));
  const std::vector<float> th = runUnary(Isa::kScalar, UnaryOp::kTanh, sp);
  CHECK(th[0] == 0.f && std::signbit(th[1]) && th[2] == 1.f && th[3] == -1.f && std::isnan(th[4]));
  const std::vector<float> sg = runUnary(Isa::kScalar, UnaryOp::kSigmoid, sp);
  CHECK(sg[0] == 0.5f && sg[2] == 1.f && sg[3] == 0.f && std::isnan(sg[4]));
}

// GELU (both forms) against float64. erf form: ulp error where no tail is involved
// (x >= -1.19); between -5.57 and -1.19 the result is 0.5 x erfc(|x| / sqrt 2) from the erfc
// tail approximations, whose relative error is a few 1e-6 (float32 Horner rounding of small
// values); below, 0 (|gelu| < 1e-7). tanh form: x sigmoid(2z), z = 0.798 (x + 0.0447 x^3):
// the float32 rounding of z (relative 2^-23 or so) is amplified by |2z| in sigmoid for x << 0,
// so the bound there is relative error <= 2^-21 * max(1, |2z|).
TEST(f32_gelu_accuracy) {
  const std::vector<float> x = denseGrid(2039, -20.f, 20.f);
  {
    const std::vector<float> y = runUnary(Isa::kScalar, UnaryOp::kGeluErf, x);
    double worstUlp = 0, worstRel = 0, worstAbs = 0;
    float at = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double v = x[i];
      const double ref = 0.5 * v * std::erfc(-v / std::sqrt(2.0));
      if (v >= -1.19) {
        const double e = ulpErr(y[i], ref);
        if (e > worstUlp) {
          worstUlp = e;
          at = x[i];
        }
      } else if (v >= -5.5) {
        worstRel = std::max(worstRel, std::fabs(y[i] - ref) / std::fabs(ref));
      } else {
        worstAbs = std::max(worstAbs, std::fabs(y[i] - ref));
      }
    }
    std::printf("  gelu(erf)  max error %.3f ulp (at x = %.9g) for x >= -1.19, relative %.3g on [-5.5, -1.19), |error| %.3g below\n",
                worstUlp, at, worstRel, worstAbs);
    CHECK(worstUlp <= 3.0);
    CHECK(worstRel <= 4e-6);
    CHECK(worstAbs < 1e-7);
  }
  {
    const std::vector<float> y = runUnary(Isa::kScalar, UnaryOp::kGeluTanh, x);
    double worst = 0;
    float at = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double v = x[i];
      const double z = 0.7978845608028654 * (v + 0.044715 * v * v * v);
      const double ref = v / (1 + std::exp(-2 * z));  // = 0.5 v (1 + tanh z), without cancellation
      if (std::fabs(ref) < 1e-30) continue;
      const double rel = std::fabs(y[i] - ref) / std::fabs(ref) / std::max(1.0, std::fabs(2 * z));
      if (rel > worst) {
        worst = rel;
        at = x[i];
      }
    }
    std::printf("  gelu(tanh) max relative error / max(1, |2z|) %.3g (at x = %.9g)\n", worst, at);
    CHECK(worst <= std::ldexp(1.0, -21));
  }
}

// Every ISA's unary kernels equal the reference over a grid, special values and every tail
// length.
TEST(f32_unary_every_isa_matches_reference) {
  std::vector<float> x = denseGrid(40009, -200.f, 200.f);
  for (float s : specials()) x.push_back(s);
  qt::Rng rng(7);
  for (int i = 0; i < 3000; ++i) x.push_back(rng.uniformf(-12.f, 12.f));
  struct U {
    UnaryOp op;
    UnaryParams p;
  };
  std::vector<U> ops;
  for (int k = 0; k < static_cast<int>(UnaryOp::kCount); ++k) ops.push_back({static_cast<UnaryOp>(k), {}});
  for (U& u : ops) {
    switch (u.op) {
      case UnaryOp::kClip: u.p = {-1.5f, 2.25f}; break;
      case UnaryOp::kLeakyRelu: u.p = {0.01f, 0.f}; break;
      case UnaryOp::kHardSigmoid: u.p = {0.2f, 0.5f}; break;
      case UnaryOp::kAffine: u.p = {1.7f, -0.3f}; break;
      case UnaryOp::kElu:
      case UnaryOp::kCelu: u.p = {1.3f, 0.f}; break;
      case UnaryOp::kSelu: u.p = {1.6732632f, 1.0507010f}; break;
      case UnaryOp::kThresholdedRelu: u.p = {0.7f, 0.f}; break;
      default: break;
    }
  }
  for (Isa isa : simdIsas())
    for (const U& u : ops) {
      const std::vector<float> want = runUnary(Isa::kScalar, u.op, x, u.p), got = runUnary(isa, u.op, x, u.p);
      const long d = firstDiff(want, got);
      CHECK_MSG(d < 0, diffMsg(("unary " + std::to_string(static_cast<int>(u.op))).c_str(), isa, d, want, got, &x));
      // Tails: every length up to 40 at an unaligned offset.
      for (size_t n = 0; n <= 40; ++n) {
        std::vector<float> w2(n + 1, 7.f), g2(n + 1, 7.f);
        f32Kernels(Isa::kScalar).unary(u.op, u.p, x.data() + 3, w2.data(), n);
        f32Kernels(isa).unary(u.op, u.p, x.data() + 3, g2.data(), n);
        CHECK_MSG(firstDiff(w2, g2) < 0, std::string("unary tail ") + isaName(isa) + " n=" + std::to_string(n));
      }
    }
}

TEST(f32_binary_compare_where_every_isa_matches_reference) {
  qt::Rng rng(11);
  const size_t n = 1037;
  std::vector<float> a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = rng.uniformf(-5.f, 5.f);
    b[i] = rng.uniformf(-5.f, 5.f);
  }
  const std::vector<float> sp = specials();
  for (size_t i = 0; i < sp.size(); ++i) {
    a[i * 7] = sp[i];
    b[i * 5 + 1] = sp[(i * 3) % sp.size()];
    b[i * 11 + 2] = a[i * 11 + 2];  // equal operands
  }
  std::vector<uint8_t> c(n);
  for (size_t i = 0; i < n; ++i) c[i] = (rng.next() & 3) == 0 ? 0 : static_cast<uint8_t>(rng.next() & 0xff);
  for (Isa isa : simdIsas()) {
    for (int op = 0; op < static_cast<int>(BinaryOp::kCount); ++op)
      for (int mode = 0; mode < 3; ++mode)
        for (size_t len : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{15}, size_t{16}, size_t{17}, size_t{33}, n - 5}) {
          std::vector<float> want(len + 1, 3.f), got(len + 1, 3.f);
          f32Kernels(Isa::kScalar).binary(static_cast<BinaryOp>(op), a.data() + 2, b.data() + 5, want.data(), len, mode);
          f32Kernels(isa).binary(static_cast<BinaryOp>(op), a.data() + 2, b.data() + 5, got.data(), len, mode);
          const long d = firstDiff(want, got);
          CHECK_MSG(d < 0, diffMsg(("binary op " + std::to_string(op) + " mode " + std::to_string(mode)).c_str(), isa, d, want, got));
        }
    for (int op = 0; op < static_cast<int>(CmpOp::kCount); ++op)
      for (int mode = 0; mode < 3; ++mode)
        for (size_t len : {size_t{0}, size_t{1}, size_t{7}, size_t{9}, size_t{16}, size_t{31}, n - 5}) {
          std::vector<uint8_t> want(len + 1, 9), got(len + 1, 9);
          f32Kernels(Isa::kScalar).compare(static_cast<CmpOp>(op), a.data() + 1, b.data(), want.data(), len, mode);
          f32Kernels(isa).compare(static_cast<CmpOp>(op), a.data() + 1, b.data(), got.data(), len, mode);
          CHECK_MSG(want == got, std::string("compare ") + isaName(isa) + " op " + std::to_string(op) + " mode " +
                                     std::to_string(mode) + " len " + std::to_string(len));
        }
    for (int sc = 0; sc < 8; ++sc)
      for (size_t len : {size_t{0}, size_t{1}, size_t{5}, size_t{8}, size_t{16}, size_t{23}, n - 5}) {
        std::vector<float> want(len + 1, 4.f), got(len + 1, 4.f);
        const uint32_t* xa = reinterpret_cast<const uint32_t*>(a.data());
        const uint32_t* xb = reinterpret_cast<const uint32_t*>(b.data());
        f32Kernels(Isa::kScalar).where32(c.data() + 3, xa, xb, reinterpret_cast<uint32_t*>(want.data()), len, sc);
        f32Kernels(isa).where32(c.data() + 3, xa, xb, reinterpret_cast<uint32_t*>(got.data()), len, sc);
        // Where copies bit patterns: compare bits exactly, NaN payloads included.
        CHECK_MSG(std::memcmp(want.data(), got.data(), want.size() * 4) == 0,
                  std::string("where32 ") + isaName(isa) + " scalars " + std::to_string(sc) + " len " + std::to_string(len));
      }
  }
  // Reference semantics: Max / Min propagate NaN and return the second operand for +0 / -0.
  float y[4];
  const float p[4] = {kNaN, 1.f, 0.f, -0.f}, q[4] = {1.f, kNaN, -0.f, 0.f};
  f32Kernels(Isa::kScalar).binary(BinaryOp::kMax, p, q, y, 4, kBcastVV);
  CHECK(std::isnan(y[0]) && std::isnan(y[1]) && std::signbit(y[2]) && !std::signbit(y[3]));
  f32Kernels(Isa::kScalar).binary(BinaryOp::kMin, p, q, y, 4, kBcastVV);
  CHECK(std::isnan(y[0]) && std::isnan(y[1]) && std::signbit(y[2]) && !std::signbit(y[3]));
}

// Reductions use one order for all ISAs (64 interleaved partial results, folded as a tree), so
// they are exact too; the reference itself is checked against a float64 sum with a bound of
// n * 2^-24 * sum|x| (the worst case of any summation order).
TEST(f32_reductions_every_isa_matches_reference) {
  qt::Rng rng(5);
  std::vector<float> x(70000);
  for (float& v : x) v = rng.uniformf(-3.f, 3.f);
  const size_t lens[] = {0, 1, 2, 15, 16, 17, 63, 64, 65, 100, 127, 128, 129, 768, 1000, 4099, 65536};
  for (int op = 0; op < static_cast<int>(ReduceOp::kCount); ++op)
    for (size_t len : lens) {
      const float shift = op == static_cast<int>(ReduceOp::kSumSquare) || op == static_cast<int>(ReduceOp::kSumExp) ? 0.37f : 0.f;
      const float* px = x.data() + 1;
      const float want = f32Kernels(Isa::kScalar).reduceRow(static_cast<ReduceOp>(op), px, len, shift);
      for (Isa isa : simdIsas()) {
        const float got = f32Kernels(isa).reduceRow(static_cast<ReduceOp>(op), px, len, shift);
        char msg[160];
        std::snprintf(msg, sizeof msg, "reduceRow op %d len %zu %s: ref %.9g got %.9g", op, len, isaName(isa), want, got);
        CHECK_MSG(sameFloat(want, got), msg);
      }
      if (op == static_cast<int>(ReduceOp::kSum) && len > 0) {
        double s = 0, sa = 0;
        for (size_t i = 0; i < len; ++i) {
          s += px[i];
          sa += std::fabs(px[i]);
        }
        CHECK(std::fabs(want - s) <= static_cast<double>(len) * std::ldexp(1.0, -24) * sa);
      }
    }
  // Columns.
  for (int op = 0; op < static_cast<int>(ReduceOp::kCount); ++op)
    for (size_t cols : {size_t{1}, size_t{5}, size_t{16}, size_t{33}, size_t{64}, size_t{100}}) {
      const size_t rows = 37, ld = cols + 3;
      std::vector<float> shift(cols);
      for (float& s : shift) s = rng.uniformf(-1.f, 1.f);
      std::vector<float> want(cols, 0.5f), got;
      f32Kernels(Isa::kScalar).reduceCols(static_cast<ReduceOp>(op), x.data(), rows, cols, ld, shift.data(), want.data());
      for (Isa isa : simdIsas()) {
        got.assign(cols, 0.5f);
        f32Kernels(isa).reduceCols(static_cast<ReduceOp>(op), x.data(), rows, cols, ld, shift.data(), got.data());
        CHECK_MSG(firstDiff(want, got) < 0, std::string("reduceCols ") + isaName(isa) + " op " + std::to_string(op) + " cols " + std::to_string(cols));
      }
    }
}

TEST(f32_softmax_norm_affine_transpose_every_isa_matches_reference) {
  qt::Rng rng(9);
  std::vector<float> x(40000);
  for (float& v : x) v = rng.uniformf(-8.f, 8.f);
  x[5] = -kInf;
  for (Isa isa : simdIsas()) {
    for (bool log : {false, true})
      for (size_t n : {size_t{1}, size_t{3}, size_t{16}, size_t{17}, size_t{100}, size_t{768}, size_t{1000}}) {
        std::vector<float> want(n), got(n);
        f32Kernels(Isa::kScalar).softmaxRow(x.data(), want.data(), n, log);
        f32Kernels(isa).softmaxRow(x.data(), got.data(), n, log);
        CHECK_MSG(firstDiff(want, got) < 0, std::string("softmaxRow ") + isaName(isa) + " n " + std::to_string(n));
        const size_t cols = n % 37 + 1, ld = cols + 2;
        std::vector<float> w2(n * ld, 1.f), g2(n * ld, 1.f), scr(2 * cols);
        f32Kernels(Isa::kScalar).softmaxCols(x.data(), w2.data(), n, cols, ld, log, scr.data());
        f32Kernels(isa).softmaxCols(x.data(), g2.data(), n, cols, ld, log, scr.data());
        CHECK_MSG(firstDiff(w2, g2) < 0, std::string("softmaxCols ") + isaName(isa) + " n " + std::to_string(n));
      }
    for (size_t n : {size_t{1}, size_t{7}, size_t{64}, size_t{65}, size_t{768}, size_t{3000}}) {
      float mw, vw, mg, vg;
      f32Kernels(Isa::kScalar).moments(x.data() + 6, n, &mw, &vw);
      f32Kernels(isa).moments(x.data() + 6, n, &mg, &vg);
      CHECK_MSG(sameFloat(mw, mg) && sameFloat(vw, vg), std::string("moments ") + isaName(isa) + " n " + std::to_string(n));
      std::vector<float> want(n), got(n);
      f32Kernels(Isa::kScalar).normalizeRow(x.data() + 6, x.data() + 100, x.data() + 9000, mw, 0.7f, want.data(), n);
      f32Kernels(isa).normalizeRow(x.data() + 6, x.data() + 100, x.data() + 9000, mw, 0.7f, got.data(), n);
      CHECK_MSG(firstDiff(want, got) < 0, std::string("normalizeRow ") + isaName(isa));
      f32Kernels(Isa::kScalar).affineRow(x.data() + 6, 0.3f, 1.7f, -0.2f, want.data(), n);
      f32Kernels(isa).affineRow(x.data() + 6, 0.3f, 1.7f, -0.2f, got.data(), n);
      CHECK_MSG(firstDiff(want, got) < 0, std::string("affineRow ") + isaName(isa));
      const size_t cols = n % 29 + 1, rows = n / cols;
      std::vector<float> w3(rows * cols), g3(rows * cols);
      f32Kernels(Isa::kScalar).affineCols(x.data(), x.data() + 20000, x.data() + 21000, x.data() + 22000, w3.data(), rows, cols);
      f32Kernels(isa).affineCols(x.data(), x.data() + 20000, x.data() + 21000, x.data() + 22000, g3.data(), rows, cols);
      CHECK_MSG(firstDiff(w3, g3) < 0, std::string("affineCols ") + isaName(isa));
    }
    for (size_t rows : {size_t{1}, size_t{7}, size_t{8}, size_t{19}, size_t{64}, size_t{130}})
      for (size_t cols : {size_t{1}, size_t{8}, size_t{9}, size_t{33}, size_t{70}}) {
        const size_t ldS = cols + 1, ldD = rows + 2;
        std::vector<uint32_t> src(rows * ldS), want(cols * ldD, 0), got(cols * ldD, 0);
        for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint32_t>(rng.next());
        f32Kernels(Isa::kScalar).transpose32(src.data(), rows, cols, ldS, want.data(), ldD);
        f32Kernels(isa).transpose32(src.data(), rows, cols, ldS, got.data(), ldD);
        CHECK_MSG(want == got, std::string("transpose32 ") + isaName(isa));
        bool ok = true;
        for (size_t r = 0; r < rows; ++r)
          for (size_t c = 0; c < cols; ++c) ok &= want[c * ldD + r] == src[r * ldS + c];
        CHECK(ok);
      }
  }
}
