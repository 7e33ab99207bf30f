// qint8 — quantized binary ops driver: configuration checks, numpy broadcasting decomposed into
// spans exactly as onnxruntime's Broadcaster does it, table dispatch and threads.
#include "qint8/binary.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "qint8/threadpool.h"
#include "binary_kernels.h"
#include "dispatch.h"

namespace qint8 {

const BinaryKernelTable& binaryKernels(Isa isa) {
  static const IsaTables<BinaryKernelTable> tables = {
      binaryKernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      binaryKernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      binaryKernelsAvx512(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_NEON)
      binaryKernelsNeon(),
#else
      nullptr,
#endif
      nullptr, nullptr,  // neondot, i8mm: no dot products here, they fall back to neon
  };
  return selectTable(isa, tables, "binary");
}

std::vector<int64_t> broadcastShape(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t r = std::max(a.size(), b.size());
  std::vector<int64_t> out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      throw std::invalid_argument("shapes do not broadcast: axis " + std::to_string(i) + " has sizes " +
                                  std::to_string(da) + " and " + std::to_string(db));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

void checkQ(const QParams& q, DType t, const char* name) {
  if (!(std::isfinite(q.scale) && q.scale > 0))
    throw std::invalid_argument(std::string(name) + ".scale must be a finite number > 0");
  if (q.zeroPoint < qmin(t) || q.zeroPoint > qmax(t))
    throw std::invalid_argument(std::string(name) + ".zeroPoint is outside the " + dtypeName(t) + " range");
}

// onnxruntime's Broadcaster (core/providers/cpu/math/element_wise_ops.h), reduced to what decides
// the numerics: the span size and which input is constant ("scalar") within a span.
struct OrtIter {
  std::vector<int64_t> deltas, counts;
  int64_t count = 1;
  void init(int64_t axis, int64_t largest) {
    deltas.push_back(axis > 1);
    counts.push_back(largest);
    count *= axis;
  }
  void append(int64_t axis, int64_t largest) {
    if (axis > 1) {
      if (deltas.back() <= 0) {
        deltas.push_back(count);
        counts.push_back(1);
      }
    } else if (deltas.back() > 0) {
      deltas.push_back(-count);
      counts.push_back(1);
    }
    counts.back() *= largest;
    count *= axis;
  }
};

struct SpanPlan {
  int64_t span = 1;
  bool aScalar = false, bScalar = false;
};

SpanPlan ortSpans(const std::vector<int64_t>& s1, const std::vector<int64_t>& s2) {
  OrtIter it1, it2;
  const size_t maxR = std::max(s1.size(), s2.size()), minR = std::min(s1.size(), s2.size());
  size_t i1 = s1.size(), i2 = s2.size();
  size_t index = 0;
  if (minR == 0) {
    if (s1.empty()) {
      if (s2.empty()) {
        it1.init(1, 1);
        it2.init(1, 1);
      } else {
        const int64_t axis = s2[--i2];
        it1.init(1, axis);
        it2.init(axis, axis);
      }
    } else {
      const int64_t axis = s1[--i1];
      it1.init(axis, axis);
      it2.init(1, axis);
    }
    ++index;
  }
  for (; index < minR; ++index) {
    const int64_t a1 = s1[--i1], a2 = s2[--i2];
    const int64_t largest = std::max(a1, a2);
    if (largest == 1 && index + 1 < minR) continue;
    it1.init(a1, largest);
    it2.init(a2, largest);
    ++index;
    break;
  }
  for (; index < minR; ++index) {
    const int64_t a1 = s1[--i1], a2 = s2[--i2];
    const int64_t largest = std::max(a1, a2);
    if (largest == 1) continue;
    it1.append(a1, largest);
    it2.append(a2, largest);
  }
  for (; index < maxR; ++index) {
    if (maxR == s2.size()) {
      const int64_t axis = s2[--i2];
      it1.append(1, axis);
      it2.append(axis, axis);
    } else {
      const int64_t axis = s1[--i1];
      it1.append(axis, axis);
      it2.append(1, axis);
    }
  }
  SpanPlan p;
  p.span = std::min(it1.counts.front(), it2.counts.front());
  p.aScalar = it1.deltas.front() == 0;
  p.bScalar = !p.aScalar && it2.deltas.front() == 0;
  return p;
}

// onnxruntime's fixed part of QLinearAdd, zC - (rA * zA + rB * zB), as its AVX2 kernel file is
// compiled (GCC contracts the first product and the sum into one FMA):
// zC - fma(rA, zA, rB * zB). Established against onnxruntime-node on exhaustive 256 x 256 input
// grids (test/binary.test.ts); the unfused and the other fused order both disagree there.
float addFixed(float ra, int32_t za, float rb, int32_t zb, int32_t zc) {
  const float pb = rb * static_cast<float>(zb);
  const float s = std::fma(ra, static_cast<float>(za), pb);
  return static_cast<float>(zc) - s;
}

}  // namespace

void checkBinaryConfig(const BinaryConfig& cfg) {
  if (cfg.type != DType::kU8 && cfg.type != DType::kS8) throw std::invalid_argument("dtype must be uint8 or int8");
  checkQ(cfg.a, cfg.type, "a");
  checkQ(cfg.b, cfg.type, "b");
  checkQ(cfg.c, cfg.type, "output");
  if (cfg.op == BinaryOp::kAdd) {
    const float ra = cfg.a.scale / cfg.c.scale, rb = cfg.b.scale / cfg.c.scale;
    if (!std::isfinite(ra) || !std::isfinite(rb))
      throw std::invalid_argument("input scale / output scale overflows float32");
  } else {
    const float m = cfg.a.scale * cfg.b.scale / cfg.c.scale;
    if (!std::isfinite(m)) throw std::invalid_argument("a.scale * b.scale / output.scale overflows float32");
  }
}

void qlinearBinary(Isa isa, const BinaryConfig& cfg, const void* a, const std::vector<int64_t>& aShape,
                   const void* b, const std::vector<int64_t>& bShape, void* c, int maxThreads) {
  checkBinaryConfig(cfg);
  if (aShape.size() > kMaxBinaryRank || bShape.size() > kMaxBinaryRank)
    throw std::invalid_argument("rank above " + std::to_string(kMaxBinaryRank) + " is not supported");
  for (int64_t d : aShape)
    if (d < 0) throw std::invalid_argument("a has a negative dimension");
  for (int64_t d : bShape)
    if (d < 0) throw std::invalid_argument("b has a negative dimension");
  const std::vector<int64_t> out = broadcastShape(aShape, bShape);
  int64_t total = 1;
  for (int64_t d : out) total *= d;
  if (total == 0) return;
  const BinaryKernelTable& kt = binaryKernels(isa);
  const bool s = cfg.type == DType::kS8;
  const int rank = static_cast<int>(out.size());

  // Element strides of a and b in the output's index space (0 on broadcast axes).
  int64_t sa[kMaxBinaryRank] = {0}, sb[kMaxBinaryRank] = {0}, dims[kMaxBinaryRank] = {0};
  {
    int64_t ra = 1, rb = 1;
    for (int i = rank - 1; i >= 0; --i) {
      dims[i] = out[i];
      const int ia = i - (rank - static_cast<int>(aShape.size()));
      const int ib = i - (rank - static_cast<int>(bShape.size()));
      const int64_t da = ia >= 0 ? aShape[ia] : 1, db = ib >= 0 ? bShape[ib] : 1;
      sa[i] = da == 1 ? 0 : ra;
      sb[i] = db == 1 ? 0 : rb;
      ra *= da;
      rb *= db;
    }
  }
  const SpanPlan plan = ortSpans(aShape, bShape);
  const int64_t span = plan.span;

  const int32_t lo = cfg.relu ? std::max(qmin(cfg.type), cfg.c.zeroPoint) : qmin(cfg.type);
  const float flo = static_cast<float>(lo), fhi = static_cast<float>(qmax(cfg.type));
  const uint8_t* A = static_cast<const uint8_t*>(a);
  const uint8_t* B = static_cast<const uint8_t*>(b);
  uint8_t* C = static_cast<uint8_t*>(c);
  auto value = [&](const uint8_t* p, int64_t off) -> int32_t {
    return s ? static_cast<int32_t>(static_cast<int8_t>(p[off])) : static_cast<int32_t>(p[off]);
  };

  // Kernel parameters per span kind (onnxruntime's roles: the vector operand is the kernel's A).
  const float rA = cfg.a.scale / cfg.c.scale, rB = cfg.b.scale / cfg.c.scale;
  AddKernelParams addGeneral{rA, rB, addFixed(rA, cfg.a.zeroPoint, rB, cfg.b.zeroPoint, cfg.c.zeroPoint), flo, fhi};
  // a scalar within a span: the kernel's A is b, its B is a.
  const float fixedBA = addFixed(rB, cfg.b.zeroPoint, rA, cfg.a.zeroPoint, cfg.c.zeroPoint);
  const float fixedAB = addGeneral.fixed;
  const float m = cfg.a.scale * cfg.b.scale / cfg.c.scale;
  MulKernelParams mulP{cfg.a.zeroPoint, cfg.b.zeroPoint, m, static_cast<float>(cfg.c.zeroPoint), flo, fhi};

  // Offsets in a and b of the first element of span k.
  auto spanOffsets = [&](int64_t k, int64_t* offA, int64_t* offB) {
    int64_t rem = k * span;
    *offA = *offB = 0;
    for (int i = rank - 1; i >= 0 && rem > 0; --i) {
      const int64_t idx = rem % dims[i];
      rem /= dims[i];
      *offA += idx * sa[i];
      *offB += idx * sb[i];
    }
  };
  auto vv = [&](const uint8_t* pa, const uint8_t* pb, size_t len, uint8_t* dst) {
    if (cfg.op == BinaryOp::kAdd) kt.addVV(pa, pb, len, addGeneral, s, dst);
    else kt.mulVV(pa, pb, len, mulP, s, dst);
  };
  // Vector-vector spans of up to 1024 elements where one operand runs on contiguously while the
  // other repeats the same span (a channel vector times an NHWC image, [N,H,W,C] x [N,1,1,C]): a
  // kernel call per span costs more than its elements, so the runs are merged and the repeating
  // span is tiled into a buffer (the kernels are elementwise: the same result element for element).
  constexpr int64_t kTile = 4096;
  // The axes outside a span: dims[0, outer); a span must be exactly the axes after them.
  int outer = rank;
  int64_t inner = 1;
  while (outer > 0 && inner < span) inner *= dims[--outer];
  const bool merge = !plan.aScalar && !plan.bScalar && span <= 1024 && total > span && inner == span;

  auto runMerged = [&](int64_t o0, int64_t o1) {
    alignas(64) uint8_t tile[kTile];
    // Odometer over the outer axes: offsets of span k, stepped one span at a time.
    int64_t idx[kMaxBinaryRank] = {0};
    int64_t k = o0 / span;
    const int64_t kEnd = o1 / span;
    int64_t offA = 0, offB = 0;
    {
      int64_t rem = k;
      for (int i = outer - 1; i >= 0; --i) {
        idx[i] = rem % dims[i];
        rem /= dims[i];
        offA += idx[i] * sa[i];
        offB += idx[i] * sb[i];
      }
    }
    auto step = [&]() {
      for (int i = outer - 1; i >= 0; --i) {
        offA += sa[i];
        offB += sb[i];
        if (++idx[i] < dims[i]) return;
        offA -= sa[i] * dims[i];
        offB -= sb[i] * dims[i];
        idx[i] = 0;
      }
    };
    while (k < kEnd) {
      const int64_t a0 = offA, b0 = offB;
      int64_t n = 1;
      step();
      // Extend the run while a continues and b repeats (or the other way round).
      const bool aRuns = k + 1 < kEnd && offA == a0 + span && offB == b0;
      const bool bRuns = !aRuns && k + 1 < kEnd && offB == b0 + span && offA == a0;
      if (aRuns || bRuns) {
        do {
          ++n;
          step();
        } while (k + n < kEnd && (aRuns ? (offA == a0 + n * span && offB == b0) : (offB == b0 + n * span && offA == a0)));
      }
      if (n == 1) {
        vv(A + a0, B + b0, static_cast<size_t>(span), C + k * span);
        ++k;
        continue;
      }
      const uint8_t* rep = aRuns ? B + b0 : A + a0;
      const int64_t per = kTile / span;  // spans per tile
      for (int64_t i = 0; i < std::min(per, n); ++i) std::memcpy(tile + i * span, rep, static_cast<size_t>(span));
      for (int64_t done = 0; done < n; done += per) {
        const int64_t m = std::min(per, n - done);
        const int64_t at = done * span;
        if (aRuns) vv(A + a0 + at, tile, static_cast<size_t>(m * span), C + k * span + at);
        else vv(tile, B + b0 + at, static_cast<size_t>(m * span), C + k * span + at);
      }
      k += n;
    }
  };

  auto runRange = [&](int64_t o0, int64_t o1) {
    int64_t o = o0;
    while (o < o1) {
      const int64_t k = o / span, j = o - k * span;
      const int64_t len = std::min(span - j, o1 - o);
      int64_t offA, offB;
      spanOffsets(k, &offA, &offB);
      uint8_t* dst = C + o;
      if (cfg.op == BinaryOp::kAdd) {
        if (plan.aScalar) {
          AddKernelParams p{rB, rA, 0.f, flo, fhi};
          p.fixed = std::fma(static_cast<float>(value(A, offA)), rA, fixedBA);
          kt.addVS(B + offB + j, static_cast<size_t>(len), p, s, dst);
        } else if (plan.bScalar) {
          AddKernelParams p{rA, rB, 0.f, flo, fhi};
          p.fixed = std::fma(static_cast<float>(value(B, offB)), rB, fixedAB);
          kt.addVS(A + offA + j, static_cast<size_t>(len), p, s, dst);
        } else {
          kt.addVV(A + offA + j, B + offB + j, static_cast<size_t>(len), addGeneral, s, dst);
        }
      } else {
        if (plan.aScalar) {
          MulKernelParams p = mulP;
          p.za = cfg.b.zeroPoint;
          kt.mulVS(B + offB + j, value(A, offA) - cfg.a.zeroPoint, static_cast<size_t>(len), p, s, dst);
        } else if (plan.bScalar) {
          kt.mulVS(A + offA + j, value(B, offB) - cfg.b.zeroPoint, static_cast<size_t>(len), mulP, s, dst);
        } else {
          kt.mulVV(A + offA + j, B + offB + j, static_cast<size_t>(len), mulP, s, dst);
        }
      }
      o += len;
    }
  };

  // About 50 us of work per task: waking a pool thread does not pay off for less.
  constexpr int64_t kGrain = 1 << 18;
  // The merged path's task ranges start on span boundaries.
  const int64_t grain = merge ? (kGrain + span - 1) / span * span : kGrain;
  const int64_t tasks = (total + grain - 1) / grain;
  auto run = [&](int64_t o0, int64_t o1) {
    if (merge) runMerged(o0, o1);
    else runRange(o0, o1);
  };
  if (tasks <= 1) {
    run(0, total);
    return;
  }
  ThreadPool::global().parallelFor(
      static_cast<int>(tasks), [&](int t, int) { run(t * grain, std::min(total, (t + 1) * grain)); }, maxThreads);
}

}  // namespace qint8
