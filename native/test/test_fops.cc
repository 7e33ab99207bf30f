// Float32 / data-movement engine ops through the op registry: broadcasting, transposes and
// reductions against naive definitions, and every op's result identical across ISAs and thread
// counts (the drivers never let the split of work change the order of operations).
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/cpu.h"
#include "qint8/op.h"
#include "qint8/threadpool.h"
#include "../runtime/fops_common.h"

using namespace qint8;

namespace {

struct Buf {
  ElemType type = ElemType::kF32;
  Shape shape;
  std::vector<uint8_t> bytes;
  TensorView view() {
    TensorView v;
    v.type = type;
    v.shape = shape;
    v.data = bytes.empty() ? nullptr : bytes.data();
    return v;
  }
  float* f() { return reinterpret_cast<float*>(bytes.data()); }
};

Buf make(ElemType t, const Shape& s) {
  Buf b;
  b.type = t;
  b.shape = s;
  b.bytes.assign(static_cast<size_t>(s.numel()) * elemSize(t) + 1, 0);  // +1: never a null pointer
  return b;
}

Buf randomF32(const Shape& s, qt::Rng& rng, float lo = -4.f, float hi = 4.f) {
  Buf b = make(ElemType::kF32, s);
  for (int64_t i = 0; i < s.numel(); ++i) b.f()[i] = rng.uniformf(lo, hi);
  return b;
}

Buf ints64(const std::vector<int64_t>& v) {
  Buf b = make(ElemType::kS64, Shape{static_cast<int64_t>(v.size())});
  std::memcpy(b.bytes.data(), v.data(), v.size() * 8);
  return b;
}

std::vector<Isa> allIsas() {
  std::vector<Isa> v;
  for (int i = 0; i < kIsaCount; ++i)
    if (isaSupported(static_cast<Isa>(i))) v.push_back(static_cast<Isa>(i));
  return v;
}

// Runs op (domain, name, attrs) on inputs with each ISA and with 1 thread / the whole pool;
// checks all runs are bitwise identical; returns the reference (scalar, 1 thread) outputs.
std::vector<Buf> runAll(const std::string& name, const Attrs& attrs, std::vector<Buf>& ins, std::vector<Buf> outs,
                        const std::string& domain = "") {
  std::vector<Buf> ref;
  bool first = true;
  for (Isa isa : allIsas())
    for (int threads : {1, 0}) {
      OpContext ctx;
      ctx.isa = isa;
      ctx.attrs = attrs;
      std::vector<TensorView> iv;
      for (Buf& b : ins) {
        iv.push_back(b.view());
        ctx.constants.push_back(TensorView{});
        ctx.inputPresent.push_back(true);
      }
      std::unique_ptr<Op> op = createOp(domain, name, ctx);
      std::vector<Buf> o = outs;
      std::vector<TensorView> ov;
      for (Buf& b : o) {
        std::fill(b.bytes.begin(), b.bytes.end(), 0xA5);
        ov.push_back(b.view());
      }
      op->run(iv, ov, nullptr, threads);
      if (first) {
        ref = o;
        first = false;
        continue;
      }
      for (size_t k = 0; k < o.size(); ++k)
        CHECK_MSG(o[k].bytes == ref[k].bytes,
                  name + ": " + isaName(isa) + " with " + std::to_string(threads) + " threads differs from scalar / 1 thread");
    }
  return ref;
}

Attrs attrsOf(std::initializer_list<std::pair<const char*, int64_t>> ints) {
  Attrs a;
  for (auto& kv : ints) {
    Attr x;
    x.kind = Attr::kInt;
    x.i = kv.second;
    a.map[kv.first] = x;
  }
  return a;
}
void setInts(Attrs& a, const char* k, const std::vector<int64_t>& v) {
  Attr x;
  x.kind = Attr::kInts;
  x.ints = v;
  a.map[k] = x;
}
void setString(Attrs& a, const char* k, const std::string& v) {
  Attr x;
  x.kind = Attr::kString;
  x.s = v;
  a.map[k] = x;
}

// Index of element `flat` of `out` in a broadcast input of shape `in`.
int64_t bcastIndex(const Shape& out, const Shape& in, int64_t flat) {
  int64_t idx = 0, mul = 1;
  for (int d = out.rank - 1; d >= 0; --d) {
    const int64_t c = flat % out.d[d];
    flat /= out.d[d];
    const int id = d - (out.rank - in.rank);
    if (id < 0) continue;
    if (in.d[id] != 1) idx += c * mul;
    mul *= in.d[id];
  }
  return idx;
}

}  // namespace

TEST(fops_broadcast_patterns_match_naive) {
  qt::Rng rng(3);
  const std::vector<std::pair<Shape, Shape>> cases = {
      {Shape{70000}, Shape{70000}},        {Shape{2, 3, 40, 50}, Shape{}},      {Shape{}, Shape{3, 33}},
      {Shape{64, 300}, Shape{300}},        {Shape{300, 64}, Shape{300, 1}},     {Shape{2, 32, 17, 9}, Shape{1, 32, 1, 1}},
      {Shape{5, 1, 7}, Shape{1, 6, 1}},    {Shape{4, 1}, Shape{1, 5}},          {Shape{3, 1, 1}, Shape{3, 1, 1}},
      {Shape{1, 8, 1, 16}, Shape{2, 1, 3, 1}}, {Shape{0, 5}, Shape{5}},         {Shape{2, 3, 4}, Shape{2, 1, 4}},
  };
  const char* names[] = {"Add", "Sub", "Mul", "Div", "Max", "Min"};
  for (const auto& c : cases) {
    const Shape out = broadcastShapes(c.first, c.second);
    for (const char* name : names) {
      std::vector<Buf> ins = {randomF32(c.first, rng), randomF32(c.second, rng, 0.5f, 3.f)};
      const std::vector<Buf> o = runAll(name, Attrs{}, ins, {make(ElemType::kF32, out)});
      bool ok = true;
      for (int64_t i = 0; i < out.numel(); ++i) {
        const float a = ins[0].f()[bcastIndex(out, c.first, i)], b = ins[1].f()[bcastIndex(out, c.second, i)];
        float want = 0;
        switch (name[0] == 'M' ? (name[1] == 'u' ? 'm' : name[1]) : name[0]) {
          case 'A': want = a + b; break;
          case 'S': want = a - b; break;
          case 'm': want = a * b; break;
          case 'D': want = a / b; break;
          case 'a': want = a > b ? a : b; break;
          case 'i': want = a < b ? a : b; break;
        }
        ok &= reinterpret_cast<const float*>(o[0].bytes.data())[i] == want;
      }
      CHECK_MSG(ok, std::string(name) + " " + c.first.str() + " x " + c.second.str());
    }
    // Where with a third broadcast shape.
    Buf cond = make(ElemType::kBool, c.second);
    for (int64_t i = 0; i < c.second.numel(); ++i) cond.bytes[i] = rng.next() & 1;
    std::vector<Buf> ins = {cond, randomF32(c.first, rng), randomF32(Shape{1}, rng)};
    const Shape wout = broadcastShapes(out, Shape{1});
    const std::vector<Buf> o = runAll("Where", Attrs{}, ins, {make(ElemType::kF32, wout)});
    bool ok = true;
    for (int64_t i = 0; i < wout.numel(); ++i) {
      const float want = ins[0].bytes[bcastIndex(wout, c.second, i)] ? ins[1].f()[bcastIndex(wout, c.first, i)] : ins[2].f()[0];
      ok &= reinterpret_cast<const float*>(o[0].bytes.data())[i] == want;
    }
    CHECK_MSG(ok, "Where " + c.first.str() + " x " + c.second.str());
  }
}

TEST(fops_transpose_matches_naive) {
  qt::Rng rng(4);
  struct Case {
    Shape s;
    std::vector<int64_t> perm;
  };
  const std::vector<Case> cases = {
      {Shape{1, 64, 56, 56}, {0, 2, 3, 1}}, {Shape{2, 28, 28, 96}, {0, 3, 1, 2}}, {Shape{3, 4, 5}, {2, 0, 1}},
      {Shape{7, 1, 9}, {2, 1, 0}},          {Shape{2, 3, 4, 5, 6}, {4, 2, 0, 3, 1}}, {Shape{300, 17}, {1, 0}},
      {Shape{2, 8, 12, 64}, {0, 2, 1, 3}},  {Shape{5, 6}, {0, 1}},                   {Shape{1, 1, 1}, {2, 0, 1}},
      // NCHW -> NHWC images of 1 to 5 channels (the few-rows byte transposes).
      {Shape{2, 1, 7, 9}, {0, 2, 3, 1}},    {Shape{1, 2, 5, 11}, {0, 2, 3, 1}},     {Shape{2, 3, 48, 19}, {0, 2, 3, 1}},
      {Shape{1, 4, 6, 6}, {0, 2, 3, 1}},    {Shape{3, 5, 4, 7}, {0, 2, 3, 1}},
  };
  for (const Case& c : cases)
    for (ElemType t : {ElemType::kF32, ElemType::kS64, ElemType::kU8}) {
      const size_t es = elemSize(t);
      Buf x = make(t, c.s);
      for (size_t i = 0; i < x.bytes.size(); ++i) x.bytes[i] = static_cast<uint8_t>(rng.next());
      Shape out;
      out.rank = c.s.rank;
      for (int q = 0; q < out.rank; ++q) out.d[q] = c.s.d[c.perm[q]];
      Attrs a;
      setInts(a, "perm", c.perm);
      std::vector<Buf> ins = {x};
      const std::vector<Buf> o = runAll("Transpose", a, ins, {make(t, out)});
      int64_t stIn[kMaxRank];
      {
        int64_t acc = 1;
        for (int d = c.s.rank - 1; d >= 0; --d) {
          stIn[d] = acc;
          acc *= c.s.d[d];
        }
      }
      bool ok = true;
      for (int64_t i = 0; i < out.numel(); ++i) {
        int64_t rem = i, src = 0;
        for (int q = out.rank - 1; q >= 0; --q) {
          src += (rem % out.d[q]) * stIn[c.perm[q]];
          rem /= out.d[q];
        }
        ok &= std::memcmp(o[0].bytes.data() + i * es, x.bytes.data() + src * es, es) == 0;
      }
      CHECK_MSG(ok, "Transpose " + c.s.str());
    }
}

// Reductions over every axis pattern (K R, R K, K R K, R K R and mixed) against float64 sums,
// with the summation-order bound n * 2^-24 * sum |x|; max / min exactly.
TEST(fops_reductions_match_float64) {
  qt::Rng rng(6);
  const Shape s{3, 5, 4, 70};
  const std::vector<std::vector<int64_t>> axesList = {{3}, {0}, {1}, {1, 2}, {0, 3}, {0, 2}, {0, 1, 2, 3}, {2}, {-1, -3}};
  const char* names[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL2", "ReduceLogSumExp", "ReduceSumSquare", "ReduceL1"};
  for (const auto& axes : axesList)
    for (const char* name : names)
      for (int keep : {0, 1}) {
        std::vector<Buf> ins = {randomF32(s, rng), ints64(axes)};
        bool red[4] = {false};
        for (int64_t a : axes) red[a < 0 ? a + 4 : a] = true;
        Shape out;
        for (int d = 0; d < 4; ++d)
          if (!red[d])
            out.d[out.rank++] = s.d[d];
          else if (keep)
            out.d[out.rank++] = 1;
        Attrs at = attrsOf({{"keepdims", keep}});
        const std::vector<Buf> o = runAll(name, at, ins, {make(ElemType::kF32, out)});
        const float* y = reinterpret_cast<const float*>(o[0].bytes.data());
        // naive
        const int64_t n = out.numel();
        std::vector<double> sum(n, 0), sabs(n, 0), sq(n, 0), mx(n, -INFINITY), mn(n, INFINITY), cnt(n, 0);
        for (int64_t i = 0; i < s.numel(); ++i) {
          int64_t rem = i, o2 = 0, mul = 1;
          int64_t coord[4];
          for (int d = 3; d >= 0; --d) {
            coord[d] = rem % s.d[d];
            rem /= s.d[d];
          }
          for (int d = 3; d >= 0; --d)
            if (!red[d]) {
              o2 += coord[d] * mul;
              mul *= s.d[d];
            }
          const double v = ins[0].f()[i];
          sum[o2] += v;
          sabs[o2] += std::fabs(v);
          sq[o2] += v * v;
          mx[o2] = std::max(mx[o2], v);
          mn[o2] = std::min(mn[o2], v);
          cnt[o2] += 1;
        }
        bool ok = true;
        for (int64_t k = 0; k < n; ++k) {
          const double bound = cnt[k] * std::ldexp(1.0, -23) * sabs[k];
          const std::string nm = name;
          double want = 0, tol = bound;
          if (nm == "ReduceSum") want = sum[k];
          if (nm == "ReduceMean") {
            want = sum[k] / cnt[k];
            tol = bound / cnt[k] + std::ldexp(std::fabs(want), -23);
          }
          if (nm == "ReduceMax") want = mx[k], tol = 0;
          if (nm == "ReduceMin") want = mn[k], tol = 0;
          if (nm == "ReduceL1") want = sabs[k];
          if (nm == "ReduceSumSquare") want = sq[k], tol = cnt[k] * std::ldexp(1.0, -23) * sq[k];
          if (nm == "ReduceL2") want = std::sqrt(sq[k]), tol = cnt[k] * std::ldexp(1.0, -23) * want;
          if (nm == "ReduceLogSumExp") {
            double se = 0;
            // recompute from the max
            for (int64_t i = 0; i < s.numel(); ++i) {
              int64_t rem = i, o2 = 0, mul = 1;
              int64_t coord[4];
              for (int d = 3; d >= 0; --d) {
                coord[d] = rem % s.d[d];
                rem /= s.d[d];
              }
              for (int d = 3; d >= 0; --d)
                if (!red[d]) {
                  o2 += coord[d] * mul;
                  mul *= s.d[d];
                }
              if (o2 == k) se += std::exp(ins[0].f()[i] - mx[k]);
            }
            want = mx[k] + std::log(se);
            tol = 1e-5 * (1 + std::fabs(want));  // exp approximation (1 ulp) summed, then log
          }
          ok &= std::fabs(y[k] - want) <= tol;
        }
        CHECK_MSG(ok, std::string(name) + " axes size " + std::to_string(axes.size()) + " first " + std::to_string(axes[0]) +
                          " keepdims " + std::to_string(keep));
      }
}

// Everything else: same bits on every ISA and thread count (the math itself is covered by the
// kernel tests and by the vitest comparisons with onnxruntime).
TEST(fops_ops_identical_across_isas_and_threads) {
  qt::Rng rng(8);
  {
    std::vector<Buf> ins = {randomF32(Shape{4, 9, 1000}, rng)};
    for (const char* nm : {"Softmax", "LogSoftmax"})
      for (int64_t axis : {-1, 1, 0}) {
        std::vector<Buf> in2 = ins;
        runAll(nm, attrsOf({{"axis", axis}}), in2, {make(ElemType::kF32, Shape{4, 9, 1000})});
      }
  }
  {
    std::vector<Buf> ins = {randomF32(Shape{6, 128, 768}, rng), randomF32(Shape{768}, rng), randomF32(Shape{768}, rng)};
    runAll("LayerNormalization", Attrs{}, ins,
           {make(ElemType::kF32, Shape{6, 128, 768}), make(ElemType::kF32, Shape{6, 128, 1}), make(ElemType::kF32, Shape{6, 128, 1})});
  }
  {
    std::vector<Buf> ins = {randomF32(Shape{2, 24, 30, 31}, rng), randomF32(Shape{24}, rng), randomF32(Shape{24}, rng)};
    runAll("InstanceNormalization", Attrs{}, ins, {make(ElemType::kF32, Shape{2, 24, 30, 31})});
    std::vector<Buf> nh = {randomF32(Shape{2, 30, 31, 24}, rng), ins[1], ins[2]};
    runAll("InstanceNormalizationNhwc", Attrs{}, nh, {make(ElemType::kF32, Shape{2, 30, 31, 24})}, "qint8");
  }
  {
    Buf var = randomF32(Shape{24}, rng, 0.1f, 2.f);
    std::vector<Buf> ins = {randomF32(Shape{2, 24, 30, 31}, rng), randomF32(Shape{24}, rng), randomF32(Shape{24}, rng),
                            randomF32(Shape{24}, rng), var};
    runAll("BatchNormalization", Attrs{}, ins, {make(ElemType::kF32, Shape{2, 24, 30, 31})});
  }
  for (const char* nm : {"Exp", "Erf", "Tanh", "Sigmoid", "Gelu", "HardSwish", "Softplus", "Log", "Sqrt"}) {
    std::vector<Buf> ins = {randomF32(Shape{3, 50001}, rng, nm[0] == 'L' || nm[0] == 'S' ? 0.f : -6.f, 6.f)};
    runAll(nm, Attrs{}, ins, {make(ElemType::kF32, Shape{3, 50001})});
  }
  for (const char* mode : {"linear", "nearest"})
    for (const char* ct : {"half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel"}) {
      Attrs a;
      setString(a, "mode", mode);
      setString(a, "coordinate_transformation_mode", ct);
      Buf scales = make(ElemType::kF32, Shape{4});
      const float sc[4] = {1.f, 1.f, 2.f, 1.5f};
      std::memcpy(scales.bytes.data(), sc, 16);
      std::vector<Buf> ins = {randomF32(Shape{2, 8, 40, 41}, rng), Buf{}, scales};
      ins[1].type = ElemType::kF32;
      ins[1].shape = Shape{0};
      runAll("Resize", a, ins, {make(ElemType::kF32, Shape{2, 8, 80, 61})});
    }
}

TEST(fops_small_ints_inline_and_heap) {
  // Inline up to 16 values, heap beyond, back inline when shrunk; copies are deep.
  qint8::fops::SmallInts a;
  for (int64_t i = 0; i < 40; ++i) {
    a.push_back(i * 3 - 7);
    CHECK(a.size() == static_cast<size_t>(i + 1));
    for (int64_t j = 0; j <= i; ++j) CHECK(a[static_cast<size_t>(j)] == j * 3 - 7);
  }
  qint8::fops::SmallInts b = a;
  a[20] = 99;
  CHECK(b[20] == 53);
  a.resize(10);
  CHECK(a.size() == 10 && a[9] == 20 && a[0] == -7);
  std::vector<int64_t> v{1, 2, 3};
  b = v;
  CHECK(b.size() == 3 && b[2] == 3);
  b.assign(20, 5);
  int64_t sum = 0;
  for (int64_t x : b) sum += x;
  CHECK(sum == 100);
  a = b;
  CHECK(a.size() == 20 && a[19] == 5);
}
