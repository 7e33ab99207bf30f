// qint8 — the float32 kernels, written once over a vector-traits type S and instantiated by
// the reference (S1 below, one lane) and by each ISA (kernels/x86/*/f32_*.cc). Because every
// ISA runs the same sequence of IEEE operations (explicit fused multiply-adds where written,
// std::fma in the reference), all of them are bit-exact with the reference.
//
// Include this file INSIDE an anonymous namespace, after <cmath>, <cstring>, <cstdint>,
// <cstddef> and <limits> (and the intrinsics header of the unit): every instantiation then has
// internal linkage and is compiled with that unit's flags only (see docs/ARCHITECTURE.md,
// "ISA translation units"). It includes nothing itself.
//
// Traits interface (S1 is the executable definition of each operation's semantics):
//   W                          lanes per vector; V (float lanes), I (int32 lanes), M (lane mask)
//   load/store, loadN/storeN   full and partial (first n lanes; loadN fills the others)
//   set1, set1i, add, sub, mul, div, sqrt
//   fma(a, b, c) = a * b + c   and   fnma(a, b, c) = c - a * b, each with one rounding
//   maxp(a, b) = a > b ? a : b,  minp(a, b) = a < b ? a : b   (x86 MAXPS / MINPS semantics)
//   abs, neg, orSign (|a| with b's sign bit or-ed in), roundEven, floor, ceil, trunc
//   lt, le, gt, ge, eq (ordered), isnan, mand, mor, select(m, a, b) = m ? a : b, firstN(n)
//   cvtInt (round to nearest even; NaN / out of range -> INT32_MIN, as CVTPS2DQ), cvtFloat,
//   iadd, isub (wrapping), sll/sra/srl<k>, iand, ior, asFloat, asInt (bit casts)
//   storeMask/storeMaskN (bytes 0/1), loadMask/loadMaskN (byte != 0)
//   permDown(v, span)          lane l gets lane l + span, for span = W/2, W/4, ..., 1 (other
//                              lanes unspecified); lane0(v) = lane 0
//   any(m)                     true if any lane is set (used only to skip work whose lanes are
//                              all discarded: results never depend on it)
//   scale2(p, n)               p * 2^n for integral n in [-150, 128] with one rounding (AVX-512:
//                              VSCALEFPS; elsewhere two exact-then-rounding multiplies)

// The math helpers are force-inlined: called from many kernels, GCC would otherwise keep them
// out of line in some units, reloading every constant per call and serialising the loops.
#define QINT8_F32_INLINE static inline __attribute__((always_inline))
// Loop drivers inline everything they call (the per-element lambdas and the math beneath).
#define QINT8_F32_FLATTEN __attribute__((flatten))

static inline float f32FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
static inline uint32_t f32Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

struct S1 {
  static constexpr int W = 1;
  using V = float;
  using I = int32_t;
  using M = bool;
  static V load(const float* p) { return *p; }
  static void store(float* p, V v) { *p = v; }
  static V loadN(const float* p, size_t n, float fill) { return n ? *p : fill; }
  static void storeN(float* p, V v, size_t n) {
    if (n) *p = v;
  }
  static V set1(float v) { return v; }
  static I set1i(int32_t v) { return v; }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V div(V a, V b) { return a / b; }
  static V sqrt(V a) { return std::sqrt(a); }
  static V fma(V a, V b, V c) { return std::fma(a, b, c); }
  static V fnma(V a, V b, V c) { return std::fma(-a, b, c); }
  static V maxp(V a, V b) { return a > b ? a : b; }
  static V minp(V a, V b) { return a < b ? a : b; }
  static V abs(V a) { return f32FromBits(f32Bits(a) & 0x7fffffffu); }
  static V neg(V a) { return f32FromBits(f32Bits(a) ^ 0x80000000u); }
  static V orSign(V mag, V s) { return f32FromBits(f32Bits(mag) | (f32Bits(s) & 0x80000000u)); }
  static V roundEven(V a) { return std::nearbyint(a); }
  static V floor(V a) { return std::floor(a); }
  static V ceil(V a) { return std::ceil(a); }
  static V trunc(V a) { return std::trunc(a); }
  static M lt(V a, V b) { return a < b; }
  static M le(V a, V b) { return a <= b; }
  static M gt(V a, V b) { return a > b; }
  static M ge(V a, V b) { return a >= b; }
  static M eq(V a, V b) { return a == b; }
  static M isnan(V a) { return a != a; }
  static M mand(M a, M b) { return a && b; }
  static M mor(M a, M b) { return a || b; }
  static M firstN(size_t n) { return n > 0; }
  static bool any(M m) { return m; }
  static V permDown(V v, int) { return v; }
  static float lane0(V v) { return v; }
  static V select(M m, V a, V b) { return m ? a : b; }
  static I cvtInt(V a) {
    if (!(a >= -2147483648.f && a < 2147483648.f)) return std::numeric_limits<int32_t>::min();
    return static_cast<int32_t>(std::nearbyint(a));
  }
  static V scale2(V p, V n);
  static V cvtFloat(I i) { return static_cast<float>(i); }
  static I iadd(I a, I b) { return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b)); }
  static I isub(I a, I b) { return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b)); }
  template <int k>
  static I sll(I a) {
    return static_cast<int32_t>(static_cast<uint32_t>(a) << k);
  }
  template <int k>
  static I sra(I a) {
    return a >> k;  // arithmetic on every compiler we build with (defined behaviour from C++20)
  }
  static I iand(I a, I b) { return a & b; }
  static I ior(I a, I b) { return a | b; }
  static V asFloat(I i) { return f32FromBits(static_cast<uint32_t>(i)); }
  static I asInt(V v) { return static_cast<int32_t>(f32Bits(v)); }
  static void storeMask(uint8_t* p, M m) { *p = m ? 1 : 0; }
  static void storeMaskN(uint8_t* p, M m, size_t n) {
    if (n) *p = m ? 1 : 0;
  }
  static M loadMask(const uint8_t* p) { return *p != 0; }
  static M loadMaskN(const uint8_t* p, size_t n) { return n && *p != 0; }
};

// ---------------------------------------------------------------------------------------------
// Math approximations. Coefficients: scripts/fit-f32-math.py (minimax, Lawson), rounded to
// float32. Accuracy against libm (float64) is measured by native/test/test_f32_math.cc and
// reported in docs/ARCHITECTURE.md ("Float32 ops").

namespace f32c {
// ln 2 split for Cody-Waite reduction: kLn2Hi has 16 significant bits, so n * kLn2Hi is exact
// for |n| <= 256 and x - n * kLn2Hi is exact (Sterbenz) near the reduction point.
static inline float ln2Hi() { return f32FromBits(0x3f317200u); }  // 0.693145751953125
static inline float ln2Lo() { return f32FromBits(0x35bfbe8eu); }  // 1.42860677e-06
static inline float log2e() { return f32FromBits(0x3fb8aa3bu); }  // 1.44269502
}  // namespace f32c

template <class S>
QINT8_F32_INLINE typename S::V hornerBits(typename S::V x, const uint32_t* c, int n) {
  // c[0] + c[1] x + ... + c[n-1] x^(n-1), highest degree first, one fma per step.
  typename S::V p = S::set1(f32FromBits(c[n - 1]));
  for (int i = n - 2; i >= 0; --i) p = S::fma(p, x, S::set1(f32FromBits(c[i])));
  return p;
}

// 2^n for n in [-126, 127].
template <class S>
QINT8_F32_INLINE typename S::V pow2i(typename S::I n) {
  return S::asFloat(S::template sll<23>(S::iadd(n, S::set1i(127))));
}

// p * 2^n (n integral, |n| <= 150, or NaN with p NaN) as 2^(n/2) * 2^(n - n/2): the first
// product is exact, so the result is rounded once (also for subnormal results).
template <class S>
QINT8_F32_INLINE typename S::V scale2Mul(typename S::V p, typename S::V n) {
  const typename S::I ni = S::cvtInt(n);
  const typename S::I n1 = S::template sra<1>(ni);
  const typename S::I n2 = S::isub(ni, n1);
  return S::mul(S::mul(p, pow2i<S>(n1)), pow2i<S>(n2));
}

// e^x for x in [-104, 89] or NaN (callers clamp): n = round(x log2 e) as one fused
// multiply-add with 1.5 * 2^23 (which rounds to an integer in the same step) and a subtraction,
// r = x - n ln2 (two fma steps), e^r = 1 + r + r^2 (c2 + c3 r + ... + c6 r^4) evaluated as one
// Horner chain, scaled by 2^n with a single rounding (results down to the smallest subnormal
// and up to overflow).
template <class S>
QINT8_F32_INLINE typename S::V expCore(typename S::V x) {
  using V = typename S::V;
  static const uint32_t kP[] = {0x3f800000u, 0x3f800000u, 0x3efffffeu, 0x3e2aaa49u,
                                0x3d2aac79u, 0x3c091ceau, 0x3ab51226u};
  const V magic = S::set1(12582912.f);  // 1.5 * 2^23
  const V n = S::sub(S::fma(x, S::set1(f32c::log2e()), magic), magic);
  V r = S::fnma(n, S::set1(f32c::ln2Hi()), x);
  r = S::fnma(n, S::set1(f32c::ln2Lo()), r);
  return S::scale2(hornerBits<S>(r, kP, 7), n);
}

inline S1::V S1::scale2(V p, V n) { return scale2Mul<S1>(p, n); }

// Clamps x to [lo, hi], NaN stays NaN (maxp/minp return their second operand for NaN).
template <class S>
QINT8_F32_INLINE typename S::V clampNanProp(typename S::V x, float lo, float hi) {
  return S::minp(S::set1(hi), S::maxp(S::set1(lo), x));
}

template <class S>
QINT8_F32_INLINE typename S::V expV(typename S::V x) {
  // e^-104 is below half the smallest subnormal; e^89 overflows.
  return expCore<S>(clampNanProp<S>(x, -104.f, 89.f));
}

// e^x - 1: for |x| < ln2 / 2 the reduction is the identity (n = 0), and r + r^2 P(r) is expm1
// without the cancellation of e^x - 1; elsewhere e^x - 1 loses no accuracy.
template <class S>
QINT8_F32_INLINE typename S::V expm1V(typename S::V x) {
  using V = typename S::V;
  static const uint32_t kP[] = {0x3efffffeu, 0x3e2aaa49u, 0x3d2aac79u, 0x3c091ceau, 0x3ab51226u};
  const V small = S::fma(hornerBits<S>(x, kP, 5), S::mul(x, x), x);
  const V big = S::sub(expV<S>(x), S::set1(1.f));
  return S::select(S::lt(S::abs(x), S::set1(0.34657359f)), small, big);
}

// log x: x = 2^e m with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact),
// log(1 + f) = f - f^2/2 + f^3 P(f) (degree-7 P), plus e ln2 in two parts.
template <class S>
QINT8_F32_INLINE typename S::V logV(typename S::V x) {
  using V = typename S::V;
  using I = typename S::I;
  static const uint32_t kP[] = {0x3eaaaaaau, 0xbe800113u, 0x3e4cd004u, 0xbe2a3922u,
                                0x3e116d0eu, 0xbe06c2a1u, 0x3e02adb6u, 0xbd9c5ac1u};
  const auto sub = S::lt(x, S::set1(f32FromBits(0x00800000u)));  // below FLT_MIN (incl. <= 0)
  const V xs = S::select(sub, S::mul(x, S::set1(8388608.f)), x);  // subnormals * 2^23
  const I bits = S::asInt(xs);
  V ef = S::cvtFloat(S::isub(S::template sra<23>(S::iand(bits, S::set1i(0x7fffffff))), S::set1i(127)));
  ef = S::select(sub, S::sub(ef, S::set1(23.f)), ef);
  V m = S::asFloat(S::ior(S::iand(bits, S::set1i(0x007fffff)), S::set1i(0x3f800000)));
  const auto big = S::gt(m, S::set1(1.41421354f));
  m = S::select(big, S::mul(m, S::set1(0.5f)), m);
  ef = S::select(big, S::add(ef, S::set1(1.f)), ef);
  const V f = S::sub(m, S::set1(1.f));
  const V z = S::mul(f, f);
  V y = S::mul(S::mul(z, f), hornerBits<S>(f, kP, 8));
  y = S::fma(ef, S::set1(f32c::ln2Lo()), y);
  y = S::fnma(S::set1(0.5f), z, y);
  V r = S::add(f, y);
  r = S::fma(ef, S::set1(f32c::ln2Hi()), r);
  const float inf = std::numeric_limits<float>::infinity();
  r = S::select(S::eq(x, S::set1(0.f)), S::set1(-inf), r);
  r = S::select(S::lt(x, S::set1(0.f)), S::set1(std::numeric_limits<float>::quiet_NaN()), r);
  r = S::select(S::eq(x, S::set1(inf)), S::set1(inf), r);
  return S::select(S::isnan(x), x, r);
}

// erf x: |x| < 0.84375: x + x Q(x^2) (degree 6, Q ~ erf(x) / x - 1, so the last step adds a
// small correction to x); 0.84375 <= |x| < 3.9375: 1 - erfc(|x|) with erfc from erfcTail;
// beyond: +-1 (erfc < 2^-26 there, so erf rounds to 1).
// erfcTail(a), a in [0.84375, 3.9375]: below 2 a degree-11 polynomial of erfc in a - 1.421875;
// from 2 on e^R(a - 2.96875) with a degree-7 R ~ log erfc (relative accuracy for small erfc).
// Centred variables keep the Horner terms small.
static const uint32_t kErfSmall[] = {0x3e0375d4u, 0xbec093a3u, 0x3de71759u, 0xbcdc0f20u,
                                     0x3baab7b5u, 0xba5853ddu, 0x38ba25f9u};
static const uint32_t kErfcMid[] = {0x3d35a0e6u, 0xbe19036eu, 0x3e5990e1u, 0xbe1b3adfu, 0x3d1758e1u, 0x3cc86754u,
                                    0xbcafb476u, 0x3b3cb3ccu, 0x3b6a8894u, 0xbad8d1f5u, 0xb947e747u, 0x3986eac3u};
static const uint32_t kErfcFar[] = {0xc128638eu, 0xc0c7ce58u, 0xbf74e9b5u, 0xbbf87f82u,
                                    0x3ab6558cu, 0xb984fdc7u, 0x38442e43u, 0xb7015f82u};

template <class S>
QINT8_F32_INLINE typename S::V erfcTail(typename S::V a) {
  using V = typename S::V;
  // Lanes below 0.84375 are never used; the polynomial of a range no lane falls in is skipped.
  const auto isMid = S::lt(a, S::set1(2.f));
  V mid = S::set1(0.f), far = S::set1(0.f);
  if (S::any(isMid)) {
    const V tm = S::sub(clampNanProp<S>(a, 0.84375f, 2.f), S::set1(1.421875f));
    mid = hornerBits<S>(tm, kErfcMid, 12);
  }
  if (S::any(S::ge(a, S::set1(2.f))) || S::any(S::isnan(a))) {
    const V tf = S::sub(clampNanProp<S>(a, 2.f, 3.9375f), S::set1(2.96875f));
    far = expCore<S>(hornerBits<S>(tf, kErfcFar, 8));
  }
  return S::select(isMid, mid, far);
}

// erf(|x|) for |x| < 0.84375 (the small range).
template <class S>
QINT8_F32_INLINE typename S::V erfSmall(typename S::V ax) {
  return S::fma(ax, hornerBits<S>(S::mul(ax, ax), kErfSmall, 7), ax);
}

template <class S>
QINT8_F32_INLINE typename S::V erfV(typename S::V x) {
  using V = typename S::V;
  const V ax = S::abs(x);
  const auto big = S::ge(ax, S::set1(0.84375f));
  V r = erfSmall<S>(ax);
  if (S::any(big)) {
    V b = S::sub(S::set1(1.f), erfcTail<S>(ax));
    b = S::select(S::ge(ax, S::set1(3.9375f)), S::set1(1.f), b);
    r = S::select(big, b, r);
  }
  return S::orSign(r, x);
}

// tanh x: |x| < 1: x + x^3 P(x^2) (degree 6); else 1 - 2 / (e^(2|x|) + 1), |x| clamped to 9.5
// (beyond 13 ln 2 = 9.01, tanh rounds to 1, and so does the formula).
template <class S>
QINT8_F32_INLINE typename S::V tanhV(typename S::V x) {
  using V = typename S::V;
  static const uint32_t kP[] = {0xbeaaaa9eu, 0x3e0885f1u, 0xbd5cb111u, 0x3cb004c9u,
                                0xbc023063u, 0x3b16d27eu, 0xb9bbee9eu};
  const V ax = S::abs(x);
  const V t = S::mul(ax, ax);
  const V small = S::fma(S::mul(t, ax), hornerBits<S>(t, kP, 7), ax);
  const V xb = S::minp(S::set1(9.5f), ax);
  const V e = expCore<S>(S::add(xb, xb));
  const V big = S::sub(S::set1(1.f), S::div(S::set1(2.f), S::add(e, S::set1(1.f))));
  return S::orSign(S::select(S::ge(ax, S::set1(1.f)), big, small), x);
}

// sigmoid x = (x >= 0 ? 1 : e) / (1 + e), e = e^-|x| (no overflow, accurate for x << 0).
template <class S>
QINT8_F32_INLINE typename S::V sigmoidV(typename S::V x) {
  const typename S::V e = expV<S>(S::neg(S::abs(x)));
  const typename S::V num = S::select(S::ge(x, S::set1(0.f)), S::set1(1.f), e);
  return S::div(num, S::add(S::set1(1.f), e));
}

// softplus x = max(x, 0) + log1p(e^-|x|); log1p(u) = log(1 + u) * u / ((1 + u) - 1).
template <class S>
QINT8_F32_INLINE typename S::V softplusV(typename S::V x) {
  using V = typename S::V;
  const V e = expV<S>(S::neg(S::abs(x)));
  const V w = S::add(S::set1(1.f), e);
  const V d = S::sub(w, S::set1(1.f));
  const V lp = S::select(S::eq(d, S::set1(0.f)), e, S::mul(logV<S>(w), S::div(e, d)));
  return S::add(S::maxp(S::set1(0.f), x), lp);
}

// GELU, 0.5 x (1 + erf(x / sqrt 2)). Where x / sqrt 2 <= -0.84375, 1 + erf(.) = erfc(|.|) is
// taken from erfc directly instead of cancelling 1 against erf (0 below -3.9375 sqrt 2 = -5.57,
// where |gelu| < 1e-7).
template <class S>
QINT8_F32_INLINE typename S::V geluErfV(typename S::V x) {
  using V = typename S::V;
  const V u = S::mul(x, S::set1(0.70710678118654752f));
  const V au = S::abs(u);
  // 1 + erf(u): small |u|: 1 + erf; u >= 0.84375: 2 - erfc(u); u <= -0.84375: erfc(|u|).
  const auto big = S::ge(au, S::set1(0.84375f));
  V p = S::add(S::set1(1.f), S::orSign(erfSmall<S>(au), u));
  if (S::any(big)) {
    V t = erfcTail<S>(au);
    t = S::select(S::ge(au, S::set1(3.9375f)), S::set1(0.f), t);
    const V hi = S::sub(S::set1(1.f), t);
    p = S::select(big, S::select(S::lt(u, S::set1(0.f)), t, S::add(S::set1(1.f), hi)), p);
  }
  return S::mul(S::mul(S::set1(0.5f), x), p);
}

// GELU, tanh form: 0.5 x (1 + tanh z) with z = sqrt(2 / pi) (x + 0.044715 x^3), evaluated as
// x * sigmoid(2 z) (the same function; no cancellation for x << 0).
template <class S>
QINT8_F32_INLINE typename S::V geluTanhV(typename S::V x) {
  using V = typename S::V;
  const V x3 = S::mul(S::mul(x, x), x);
  const V z = S::mul(S::set1(0.79788456080286536f), S::add(x, S::mul(S::set1(0.044715f), x3)));
  return S::mul(x, sigmoidV<S>(S::add(z, z)));
}

// ---------------------------------------------------------------------------------------------
// Elementwise loops.

template <class S, class F>
QINT8_F32_FLATTEN static inline void mapN(const float* x, float* y, size_t n, F f) {
  size_t i = 0;
  for (; i + 2 * S::W <= n; i += 2 * S::W) {
    const typename S::V a = f(S::load(x + i)), b = f(S::load(x + i + S::W));
    S::store(y + i, a);
    S::store(y + i + S::W, b);
  }
  for (; i + S::W <= n; i += S::W) S::store(y + i, f(S::load(x + i)));
  if (i < n) S::storeN(y + i, f(S::loadN(x + i, n - i, 0.f)), n - i);
}

template <class S>
static void unaryT(UnaryOp op, const UnaryParams& prm, const float* x, float* y, size_t n) {
  using V = typename S::V;
  const V pa = S::set1(prm.a), pb = S::set1(prm.b);
  const V zero = S::set1(0.f), one = S::set1(1.f);
  switch (op) {
    case UnaryOp::kRelu: return mapN<S>(x, y, n, [&](V v) { return S::maxp(zero, v); });
    case UnaryOp::kNeg: return mapN<S>(x, y, n, [&](V v) { return S::neg(v); });
    case UnaryOp::kAbs: return mapN<S>(x, y, n, [&](V v) { return S::abs(v); });
    case UnaryOp::kSqrt: return mapN<S>(x, y, n, [&](V v) { return S::sqrt(v); });
    case UnaryOp::kReciprocal: return mapN<S>(x, y, n, [&](V v) { return S::div(one, v); });
    case UnaryOp::kFloor: return mapN<S>(x, y, n, [&](V v) { return S::floor(v); });
    case UnaryOp::kCeil: return mapN<S>(x, y, n, [&](V v) { return S::ceil(v); });
    case UnaryOp::kRound: return mapN<S>(x, y, n, [&](V v) { return S::roundEven(v); });
    case UnaryOp::kSign:
      return mapN<S>(x, y, n, [&](V v) {
        // NaN stays NaN; -0 gives +0 (x + 0).
        return S::select(S::gt(v, zero), one, S::select(S::lt(v, zero), S::set1(-1.f), S::add(v, zero)));
      });
    case UnaryOp::kExp: return mapN<S>(x, y, n, [&](V v) { return expV<S>(v); });
    case UnaryOp::kLog: return mapN<S>(x, y, n, [&](V v) { return logV<S>(v); });
    case UnaryOp::kErf: return mapN<S>(x, y, n, [&](V v) { return erfV<S>(v); });
    case UnaryOp::kTanh: return mapN<S>(x, y, n, [&](V v) { return tanhV<S>(v); });
    case UnaryOp::kSigmoid: return mapN<S>(x, y, n, [&](V v) { return sigmoidV<S>(v); });
    case UnaryOp::kSoftplus: return mapN<S>(x, y, n, [&](V v) { return softplusV<S>(v); });
    case UnaryOp::kClip: return mapN<S>(x, y, n, [&](V v) { return S::minp(pb, S::maxp(pa, v)); });
    case UnaryOp::kLeakyRelu:
      return mapN<S>(x, y, n, [&](V v) { return S::select(S::ge(v, zero), v, S::mul(pa, v)); });
    case UnaryOp::kHardSigmoid:
      return mapN<S>(x, y, n, [&](V v) { return S::maxp(zero, S::minp(one, S::add(S::mul(pa, v), pb))); });
    case UnaryOp::kHardSwish: {
      const V a6 = S::set1(1.f / 6.f), half = S::set1(0.5f);
      return mapN<S>(x, y, n, [&](V v) { return S::mul(v, S::maxp(zero, S::minp(one, S::add(S::mul(a6, v), half)))); });
    }
    case UnaryOp::kGeluErf: return mapN<S>(x, y, n, [&](V v) { return geluErfV<S>(v); });
    case UnaryOp::kGeluTanh: return mapN<S>(x, y, n, [&](V v) { return geluTanhV<S>(v); });
    case UnaryOp::kAffine: return mapN<S>(x, y, n, [&](V v) { return S::add(S::mul(v, pa), pb); });
    case UnaryOp::kSoftsign: return mapN<S>(x, y, n, [&](V v) { return S::div(v, S::add(one, S::abs(v))); });
    case UnaryOp::kElu:
      return mapN<S>(x, y, n, [&](V v) { return S::select(S::ge(v, zero), v, S::mul(pa, expm1V<S>(v))); });
    case UnaryOp::kSelu:
      // gamma * (max(x, 0) + min(alpha * (e^x - 1), 0)), e^x - 1 as expm1
      return mapN<S>(x, y, n, [&](V v) {
        return S::mul(pb, S::add(S::maxp(zero, v), S::minp(zero, S::mul(pa, expm1V<S>(v)))));
      });
    case UnaryOp::kCelu:
      // max(0, x) + min(0, alpha * (e^(x / alpha) - 1)), e^. - 1 as expm1
      return mapN<S>(x, y, n, [&](V v) {
        return S::add(S::maxp(zero, v), S::minp(zero, S::mul(pa, expm1V<S>(S::div(v, pa)))));
      });
    case UnaryOp::kThresholdedRelu:
      return mapN<S>(x, y, n, [&](V v) { return S::select(S::gt(v, pa), v, zero); });
    case UnaryOp::kCount: break;
  }
}

template <class S, class F>
QINT8_F32_FLATTEN static inline void zipN(const float* a, const float* b, float* y, size_t n, int mode, F f) {
  using V = typename S::V;
  size_t i = 0;
  if (mode == kBcastVV) {
    for (; i + S::W <= n; i += S::W) S::store(y + i, f(S::load(a + i), S::load(b + i)));
    if (i < n) S::storeN(y + i, f(S::loadN(a + i, n - i, 0.f), S::loadN(b + i, n - i, 1.f)), n - i);
  } else if (mode == kBcastVS) {
    const V vb = S::set1(*b);
    for (; i + S::W <= n; i += S::W) S::store(y + i, f(S::load(a + i), vb));
    if (i < n) S::storeN(y + i, f(S::loadN(a + i, n - i, 0.f), vb), n - i);
  } else {
    const V va = S::set1(*a);
    for (; i + S::W <= n; i += S::W) S::store(y + i, f(va, S::load(b + i)));
    if (i < n) S::storeN(y + i, f(va, S::loadN(b + i, n - i, 1.f)), n - i);
  }
}

// max / min that return NaN when either operand is NaN; for equal operands (+0 / -0) the
// second one (onnxruntime's Max / Min).
template <class S>
QINT8_F32_INLINE typename S::V maxNan(typename S::V a, typename S::V b) {
  return S::select(S::isnan(a), a, S::maxp(a, b));
}
template <class S>
QINT8_F32_INLINE typename S::V minNan(typename S::V a, typename S::V b) {
  return S::select(S::isnan(a), a, S::minp(a, b));
}

template <class S>
static void binaryT(BinaryOp op, const float* a, const float* b, float* y, size_t n, int mode) {
  using V = typename S::V;
  switch (op) {
    case BinaryOp::kAdd: return zipN<S>(a, b, y, n, mode, [](V p, V q) { return S::add(p, q); });
    case BinaryOp::kSub: return zipN<S>(a, b, y, n, mode, [](V p, V q) { return S::sub(p, q); });
    case BinaryOp::kMul: return zipN<S>(a, b, y, n, mode, [](V p, V q) { return S::mul(p, q); });
    case BinaryOp::kDiv: return zipN<S>(a, b, y, n, mode, [](V p, V q) { return S::div(p, q); });
    // With a scalar first operand onnxruntime evaluates max(b, a): equal operands (+0 / -0)
    // then give a.
    case BinaryOp::kMax:
      if (mode == kBcastSV) return zipN<S>(a, b, y, n, mode, [](V p, V q) { return maxNan<S>(q, p); });
      return zipN<S>(a, b, y, n, mode, [](V p, V q) { return maxNan<S>(p, q); });
    case BinaryOp::kMin:
      if (mode == kBcastSV) return zipN<S>(a, b, y, n, mode, [](V p, V q) { return minNan<S>(q, p); });
      return zipN<S>(a, b, y, n, mode, [](V p, V q) { return minNan<S>(p, q); });
    case BinaryOp::kPRelu: {  // x < 0 ? x * slope : x
      const V zero = S::set1(0.f);
      return zipN<S>(a, b, y, n, mode, [&](V p, V q) { return S::select(S::lt(p, zero), S::mul(p, q), p); });
    }
    case BinaryOp::kCount: break;
  }
}

template <class S, class F>
QINT8_F32_FLATTEN static inline void cmpN(const float* a, const float* b, uint8_t* y, size_t n, int mode, F f) {
  using V = typename S::V;
  size_t i = 0;
  if (mode == kBcastVV) {
    for (; i + S::W <= n; i += S::W) S::storeMask(y + i, f(S::load(a + i), S::load(b + i)));
    if (i < n) S::storeMaskN(y + i, f(S::loadN(a + i, n - i, 0.f), S::loadN(b + i, n - i, 0.f)), n - i);
  } else if (mode == kBcastVS) {
    const V vb = S::set1(*b);
    for (; i + S::W <= n; i += S::W) S::storeMask(y + i, f(S::load(a + i), vb));
    if (i < n) S::storeMaskN(y + i, f(S::loadN(a + i, n - i, 0.f), vb), n - i);
  } else {
    const V va = S::set1(*a);
    for (; i + S::W <= n; i += S::W) S::storeMask(y + i, f(va, S::load(b + i)));
    if (i < n) S::storeMaskN(y + i, f(va, S::loadN(b + i, n - i, 0.f)), n - i);
  }
}

template <class S>
static void compareT(CmpOp op, const float* a, const float* b, uint8_t* y, size_t n, int mode) {
  using V = typename S::V;
  switch (op) {
    case CmpOp::kEq: return cmpN<S>(a, b, y, n, mode, [](V p, V q) { return S::eq(p, q); });
    case CmpOp::kLt: return cmpN<S>(a, b, y, n, mode, [](V p, V q) { return S::lt(p, q); });
    case CmpOp::kGt: return cmpN<S>(a, b, y, n, mode, [](V p, V q) { return S::gt(p, q); });
    case CmpOp::kLe: return cmpN<S>(a, b, y, n, mode, [](V p, V q) { return S::le(p, q); });
    case CmpOp::kGe: return cmpN<S>(a, b, y, n, mode, [](V p, V q) { return S::ge(p, q); });
    case CmpOp::kCount: break;
  }
}

// Where on 32-bit lanes: the float lanes are only loaded, blended and stored (no arithmetic),
// which keeps every bit pattern, so int32 data goes through the same code.
template <class S>
static void where32T(const uint8_t* c, const uint32_t* x, const uint32_t* y, uint32_t* out, size_t n, int scalars) {
  using V = typename S::V;
  const float* xf = reinterpret_cast<const float*>(x);
  const float* yf = reinterpret_cast<const float*>(y);
  float* of = reinterpret_cast<float*>(out);
  const bool cs = scalars & 1, xs = scalars & 2, ys = scalars & 4;
  const V vx = xs ? S::set1(xf[0]) : S::set1(0.f), vy = ys ? S::set1(yf[0]) : S::set1(0.f);
  const typename S::M mcAll = S::firstN(cs && c[0] ? S::W : 0);
  size_t i = 0;
  for (; i + S::W <= n; i += S::W) {
    const typename S::M m = cs ? mcAll : S::loadMask(c + i);
    S::store(of + i, S::select(m, xs ? vx : S::load(xf + i), ys ? vy : S::load(yf + i)));
  }
  if (i < n) {
    const size_t k = n - i;
    const typename S::M m = cs ? mcAll : S::loadMaskN(c + i, k);
    S::storeN(of + i, S::select(m, xs ? vx : S::loadN(xf + i, k, 0.f), ys ? vy : S::loadN(yf + i, k, 0.f)), k);
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions. One row is reduced into 64 interleaved partial results (element j goes to lane
// j mod 64), which are then folded as a tree: lane l combines with lane l + 32, then + 16, ...,
// then + 1. Every ISA keeps the 64 lanes in 64 / W vectors, so the order is the same for all.

struct RSum {
  static constexpr float init() { return 0.f; }
  template <class T>
  static typename T::V step(typename T::V acc, typename T::V x, typename T::V) {
    return T::add(acc, x);
  }
  template <class T>
  static typename T::V combine(typename T::V a, typename T::V b) {
    return T::add(a, b);
  }
};
struct RSumSquare {
  static constexpr float init() { return 0.f; }
  template <class T>
  static typename T::V step(typename T::V acc, typename T::V x, typename T::V s) {
    const typename T::V d = T::sub(x, s);
    return T::fma(d, d, acc);
  }
  template <class T>
  static typename T::V combine(typename T::V a, typename T::V b) {
    return T::add(a, b);
  }
};
struct RSumAbs {
  static constexpr float init() { return 0.f; }
  template <class T>
  static typename T::V step(typename T::V acc, typename T::V x, typename T::V) {
    return T::add(acc, T::abs(x));
  }
  template <class T>
  static typename T::V combine(typename T::V a, typename T::V b) {
    return T::add(a, b);
  }
};
struct RMax {
  static constexpr float init() { return -std::numeric_limits<float>::infinity(); }
  template <class T>
  static typename T::V step(typename T::V acc, typename T::V x, typename T::V) {
    return maxNan<T>(acc, x);
  }
  template <class T>
  static typename T::V combine(typename T::V a, typename T::V b) {
    return maxNan<T>(a, b);
  }
};
struct RMin {
  static constexpr float init() { return std::numeric_limits<float>::infinity(); }
  template <class T>
  static typename T::V step(typename T::V acc, typename T::V x, typename T::V) {
    return minNan<T>(acc, x);
  }
  template <class T>
  static typename T::V combine(typename T::V a, typename T::V b) {
    return minNan<T>(a, b);
  }
};
struct RProd {
  static constexpr float init() { return 1.f; }
  template <class T>
  static typename T::V step(typename T::V acc, typename T::V x, typename T::V) {
    return T::mul(acc, x);
  }
  template <class T>
  static typename T::V combine(typename T::V a, typename T::V b) {
    return T::mul(a, b);
  }
};
struct RSumExp {
  static constexpr float init() { return 0.f; }
  template <class T>
  static typename T::V step(typename T::V acc, typename T::V x, typename T::V s) {
    return T::add(acc, expV<T>(T::sub(x, s)));
  }
  template <class T>
  static typename T::V combine(typename T::V a, typename T::V b) {
    return T::add(a, b);
  }
};

// Folds the lanes of one vector in the tree order (lane l with lane l + W/2, then + W/4, ...,
// lower lane first) and returns lane 0.
template <class S, class R>
static inline float foldLanes(typename S::V v) {
#pragma GCC unroll 8
  for (int span = S::W / 2; span >= 1; span /= 2) v = R::template combine<S>(v, S::permDown(v, span));
  return S::lane0(v);
}

// Folds the K = 64 / W accumulators (acc[k] with acc[k + K/2], ...) and then the lanes.
template <class S, class R>
static inline float foldAcc(typename S::V* acc) {
  constexpr int K = 64 / S::W;
#pragma GCC unroll 8
  for (int span = K / 2; span >= 1; span /= 2) {
#pragma GCC unroll 8
    for (int k = 0; k < span; ++k) acc[k] = R::template combine<S>(acc[k], acc[k + span]);
  }
  return foldLanes<S, R>(acc[0]);
}

template <class S, class R>
QINT8_F32_FLATTEN static float reduceRowT(const float* x, size_t n, float shift) {
  using V = typename S::V;
  constexpr int K = 64 / S::W;
  V acc[K];
#pragma GCC unroll 8
  for (int k = 0; k < K; ++k) acc[k] = S::set1(R::init());
  const V vs = S::set1(shift);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) acc[k] = R::template step<S>(acc[k], S::load(x + i + k * S::W), vs);
  }
  if (i < n) {
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) {
      const size_t base = i + k * S::W;
      if (base >= n) break;
      const size_t cnt = n - base;
      if (cnt >= static_cast<size_t>(S::W))
        acc[k] = R::template step<S>(acc[k], S::load(x + base), vs);
      else
        acc[k] = S::select(S::firstN(cnt), R::template step<S>(acc[k], S::loadN(x + base, cnt, R::init()), vs), acc[k]);
    }
  }
  return foldAcc<S, R>(acc);
}

// A row of any length: blocks of kReduceBlock, combined in order.
template <class S, class R>
static float reduceLongT(const float* x, size_t n, float shift) {
  if (n <= kReduceBlock) return reduceRowT<S, R>(x, n, shift);
  float r = reduceRowT<S, R>(x, kReduceBlock, shift);
  for (size_t i = kReduceBlock; i < n; i += kReduceBlock)
    r = R::template combine<S1>(r, reduceRowT<S, R>(x + i, n - i < kReduceBlock ? n - i : kReduceBlock, shift));
  return r;
}

template <class S>
static float reduceRowDispatch(ReduceOp op, const float* x, size_t n, float shift) {
  switch (op) {
    case ReduceOp::kSum: return reduceRowT<S, RSum>(x, n, shift);
    case ReduceOp::kSumSquare: return reduceRowT<S, RSumSquare>(x, n, shift);
    case ReduceOp::kSumAbs: return reduceRowT<S, RSumAbs>(x, n, shift);
    case ReduceOp::kMax: return reduceRowT<S, RMax>(x, n, shift);
    case ReduceOp::kMin: return reduceRowT<S, RMin>(x, n, shift);
    case ReduceOp::kProd: return reduceRowT<S, RProd>(x, n, shift);
    case ReduceOp::kSumExp: return reduceRowT<S, RSumExp>(x, n, shift);
    case ReduceOp::kCount: break;
  }
  return 0.f;
}

// acc[j] = step(acc[j], x[r][j]) for r in order; 4 vectors of columns kept in registers.
template <class S, class R>
QINT8_F32_FLATTEN static void reduceColsT(const float* x, size_t rows, size_t cols, size_t ld, const float* shift, float* acc) {
  using V = typename S::V;
  constexpr size_t W = S::W;
  const V zero = S::set1(0.f);
  size_t j = 0;
  for (; j + 4 * W <= cols; j += 4 * W) {
    V a0 = S::load(acc + j), a1 = S::load(acc + j + W), a2 = S::load(acc + j + 2 * W), a3 = S::load(acc + j + 3 * W);
    const V s0 = shift ? S::load(shift + j) : zero, s1 = shift ? S::load(shift + j + W) : zero;
    const V s2 = shift ? S::load(shift + j + 2 * W) : zero, s3 = shift ? S::load(shift + j + 3 * W) : zero;
    const float* p = x + j;
    for (size_t r = 0; r < rows; ++r, p += ld) {
      a0 = R::template step<S>(a0, S::load(p), s0);
      a1 = R::template step<S>(a1, S::load(p + W), s1);
      a2 = R::template step<S>(a2, S::load(p + 2 * W), s2);
      a3 = R::template step<S>(a3, S::load(p + 3 * W), s3);
    }
    S::store(acc + j, a0);
    S::store(acc + j + W, a1);
    S::store(acc + j + 2 * W, a2);
    S::store(acc + j + 3 * W, a3);
  }
  for (; j < cols; j += W) {
    const size_t k = cols - j < W ? cols - j : W;
    V a = S::loadN(acc + j, k, 0.f);
    const V s = shift ? S::loadN(shift + j, k, 0.f) : zero;
    const float* p = x + j;
    for (size_t r = 0; r < rows; ++r, p += ld) a = R::template step<S>(a, S::loadN(p, k, 0.f), s);
    S::storeN(acc + j, a, k);
  }
}

template <class S>
static void reduceColsDispatch(ReduceOp op, const float* x, size_t rows, size_t cols, size_t ld, const float* shift,
                               float* acc) {
  switch (op) {
    case ReduceOp::kSum: return reduceColsT<S, RSum>(x, rows, cols, ld, shift, acc);
    case ReduceOp::kSumSquare: return reduceColsT<S, RSumSquare>(x, rows, cols, ld, shift, acc);
    case ReduceOp::kSumAbs: return reduceColsT<S, RSumAbs>(x, rows, cols, ld, shift, acc);
    case ReduceOp::kMax: return reduceColsT<S, RMax>(x, rows, cols, ld, shift, acc);
    case ReduceOp::kMin: return reduceColsT<S, RMin>(x, rows, cols, ld, shift, acc);
    case ReduceOp::kProd: return reduceColsT<S, RProd>(x, rows, cols, ld, shift, acc);
    case ReduceOp::kSumExp: return reduceColsT<S, RSumExp>(x, rows, cols, ld, shift, acc);
    case ReduceOp::kCount: break;
  }
}

// ---------------------------------------------------------------------------------------------
// Softmax / LogSoftmax. softmax: y = e^(x - max) * (1 / sum e^(x - max));
// log: y = (x - max) - log(sum e^(x - max)).

// y = e^(x - shift) stored, and the sum of the stored values in the 64-lane order (the same
// value reduceRowT<RSum> gives over y). n <= kReduceBlock.
template <class S>
QINT8_F32_FLATTEN static float expStoreSumT(const float* x, float* y, size_t n, float shift) {
  using V = typename S::V;
  constexpr int K = 64 / S::W;
  V acc[K];
#pragma GCC unroll 8
  for (int k = 0; k < K; ++k) acc[k] = S::set1(0.f);
  const V vs = S::set1(shift);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) {
      const V e = expV<S>(S::sub(S::load(x + i + k * S::W), vs));
      S::store(y + i + k * S::W, e);
      acc[k] = S::add(acc[k], e);
    }
  }
  if (i < n) {
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) {
      const size_t base = i + k * S::W;
      if (base >= n) break;
      const size_t cnt = n - base;
      if (cnt >= static_cast<size_t>(S::W)) {
        const V e = expV<S>(S::sub(S::load(x + base), vs));
        S::store(y + base, e);
        acc[k] = S::add(acc[k], e);
      } else {
        const V e = expV<S>(S::sub(S::loadN(x + base, cnt, 0.f), vs));
        S::storeN(y + base, e, cnt);
        acc[k] = S::select(S::firstN(cnt), S::add(acc[k], e), acc[k]);
      }
    }
  }
  return foldAcc<S, RSum>(acc);
}

// The maximum of a row, NaN not propagated (a NaN input makes the whole softmax row NaN through
// its exp anyway): MAXPS semantics, lane-parallel, the same for every ISA.
struct RMaxFast {
  static constexpr float init() { return -std::numeric_limits<float>::infinity(); }
  template <class T>
  static typename T::V step(typename T::V acc, typename T::V x, typename T::V) {
    return T::maxp(acc, x);
  }
  template <class T>
  static typename T::V combine(typename T::V a, typename T::V b) {
    return T::maxp(a, b);
  }
};

template <class S>
static void softmaxRowT(const float* x, float* y, size_t n, bool log) {
  using V = typename S::V;
  if (n == 0) return;
  const float mx = reduceLongT<S, RMaxFast>(x, n, 0.f);
  const V vm = S::set1(mx);
  if (log) {
    const float lse = logV<S1>(reduceLongT<S, RSumExp>(x, n, mx));
    const V vl = S::set1(lse);
    mapN<S>(x, y, n, [&](V v) { return S::sub(S::sub(v, vm), vl); });
    return;
  }
  float sum = expStoreSumT<S>(x, y, n < kReduceBlock ? n : kReduceBlock, mx);
  for (size_t i = kReduceBlock; i < n; i += kReduceBlock)
    sum = sum + expStoreSumT<S>(x + i, y + i, n - i < kReduceBlock ? n - i : kReduceBlock, mx);
  const V inv = S::set1(1.f / sum);
  mapN<S>(y, y, n, [&](V v) { return S::mul(v, inv); });
}

template <class S>
static void softmaxColsT(const float* x, float* y, size_t n, size_t cols, size_t ld, bool log, float* scratch) {
  float* mx = scratch;
  float* sum = scratch + cols;
  for (size_t j = 0; j < cols; ++j) {
    mx[j] = RMax::init();
    sum[j] = 0.f;
  }
  reduceColsT<S, RMax>(x, n, cols, ld, nullptr, mx);
  if (log) {
    reduceColsT<S, RSumExp>(x, n, cols, ld, mx, sum);
    for (size_t j = 0; j < cols; ++j) sum[j] = logV<S1>(sum[j]);
    for (size_t r = 0; r < n; ++r) {
      const float* px = x + r * ld;
      float* py = y + r * ld;
      size_t j = 0;
      for (; j + S::W <= cols; j += S::W)
        S::store(py + j, S::sub(S::sub(S::load(px + j), S::load(mx + j)), S::load(sum + j)));
      if (j < cols) {
        const size_t k = cols - j;
        S::storeN(py + j, S::sub(S::sub(S::loadN(px + j, k, 0.f), S::loadN(mx + j, k, 0.f)), S::loadN(sum + j, k, 0.f)), k);
      }
    }
    return;
  }
  for (size_t r = 0; r < n; ++r) {
    const float* px = x + r * ld;
    float* py = y + r * ld;
    size_t j = 0;
    for (; j + S::W <= cols; j += S::W) S::store(py + j, expV<S>(S::sub(S::load(px + j), S::load(mx + j))));
    if (j < cols) {
      const size_t k = cols - j;
      S::storeN(py + j, expV<S>(S::sub(S::loadN(px + j, k, 0.f), S::loadN(mx + j, k, 0.f))), k);
    }
  }
  reduceColsT<S, RSum>(y, n, cols, ld, nullptr, sum);
  for (size_t j = 0; j < cols; ++j) sum[j] = 1.f / sum[j];
  for (size_t r = 0; r < n; ++r) {
    float* py = y + r * ld;
    size_t j = 0;
    for (; j + S::W <= cols; j += S::W) S::store(py + j, S::mul(S::load(py + j), S::load(sum + j)));
    if (j < cols) {
      const size_t k = cols - j;
      S::storeN(py + j, S::mul(S::loadN(py + j, k, 0.f), S::loadN(sum + j, k, 0.f)), k);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Normalization helpers.

template <class S>
static void momentsT(const float* x, size_t n, float* mean, float* var) {
  const float fn = static_cast<float>(n);
  const float m = reduceLongT<S, RSum>(x, n, 0.f) / fn;
  *mean = m;
  *var = reduceLongT<S, RSumSquare>(x, n, m) / fn;
}

template <class S>
static void normalizeRowT(const float* x, const float* scale, const float* bias, float mean, float invStd, float* y,
                          size_t n) {
  using V = typename S::V;
  const V vm = S::set1(mean), vi = S::set1(invStd);
  size_t i = 0;
  for (; i + S::W <= n; i += S::W) {
    V v = S::mul(S::mul(S::sub(S::load(x + i), vm), vi), S::load(scale + i));
    if (bias) v = S::add(v, S::load(bias + i));
    S::store(y + i, v);
  }
  if (i < n) {
    const size_t k = n - i;
    V v = S::mul(S::mul(S::sub(S::loadN(x + i, k, 0.f), vm), vi), S::loadN(scale + i, k, 0.f));
    if (bias) v = S::add(v, S::loadN(bias + i, k, 0.f));
    S::storeN(y + i, v, k);
  }
}

template <class S>
static void affineRowT(const float* x, float shift, float a, float b, float* y, size_t n) {
  using V = typename S::V;
  const V vs = S::set1(shift), va = S::set1(a), vb = S::set1(b);
  mapN<S>(x, y, n, [&](V v) { return S::add(S::mul(S::sub(v, vs), va), vb); });
}

template <class S>
static void affineColsT(const float* x, const float* shift, const float* a, const float* b, float* y, size_t rows,
                        size_t cols) {
  using V = typename S::V;
  const V zero = S::set1(0.f);
  for (size_t r = 0; r < rows; ++r) {
    const float* px = x + r * cols;
    float* py = y + r * cols;
    size_t j = 0;
    for (; j + S::W <= cols; j += S::W) {
      const V s = shift ? S::load(shift + j) : zero;
      S::store(py + j, S::add(S::mul(S::sub(S::load(px + j), s), S::load(a + j)), S::load(b + j)));
    }
    if (j < cols) {
      const size_t k = cols - j;
      const V s = shift ? S::loadN(shift + j, k, 0.f) : zero;
      S::storeN(py + j, S::add(S::mul(S::sub(S::loadN(px + j, k, 0.f), s), S::loadN(a + j, k, 0.f)), S::loadN(b + j, k, 0.f)), k);
    }
  }
}

// The table entries of one traits type.
template <class S>
struct F32Entries {
  static void unary(UnaryOp op, const UnaryParams& p, const float* x, float* y, size_t n) { unaryT<S>(op, p, x, y, n); }
  static void binary(BinaryOp op, const float* a, const float* b, float* y, size_t n, int mode) {
    binaryT<S>(op, a, b, y, n, mode);
  }
  static void compare(CmpOp op, const float* a, const float* b, uint8_t* y, size_t n, int mode) {
    compareT<S>(op, a, b, y, n, mode);
  }
  static void where32(const uint8_t* c, const uint32_t* x, const uint32_t* y, uint32_t* out, size_t n, int scalars) {
    where32T<S>(c, x, y, out, n, scalars);
  }
  static float reduceRow(ReduceOp op, const float* x, size_t n, float shift) {
    return reduceRowDispatch<S>(op, x, n, shift);
  }
  static void reduceCols(ReduceOp op, const float* x, size_t rows, size_t cols, size_t ld, const float* shift, float* acc) {
    reduceColsDispatch<S>(op, x, rows, cols, ld, shift, acc);
  }
  static void softmaxRow(const float* x, float* y, size_t n, bool log) { softmaxRowT<S>(x, y, n, log); }
  static void softmaxCols(const float* x, float* y, size_t n, size_t cols, size_t ld, bool log, float* scratch) {
    softmaxColsT<S>(x, y, n, cols, ld, log, scratch);
  }
  static void moments(const float* x, size_t n, float* mean, float* var) { momentsT<S>(x, n, mean, var); }
  static void normalizeRow(const float* x, const float* scale, const float* bias, float mean, float invStd, float* y,
                           size_t n) {
    normalizeRowT<S>(x, scale, bias, mean, invStd, y, n);
  }
  static void affineRow(const float* x, float shift, float a, float b, float* y, size_t n) {
    affineRowT<S>(x, shift, a, b, y, n);
  }
  static void affineCols(const float* x, const float* shift, const float* a, const float* b, float* y, size_t rows,
                         size_t cols) {
    affineColsT<S>(x, shift, a, b, y, rows, cols);
  }
};
