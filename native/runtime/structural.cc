// qint8 — Pad and Concat on N-D byte tensors.
#include "qint8/structural.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "qint8/lut.h"
#include "qint8/threadpool.h"

namespace qint8 {

namespace {

[[noreturn]] void bad(const std::string& m) { throw std::invalid_argument(m); }

struct PadJob {
  int rank;
  const int64_t* in;
  const int64_t* out;
  const int64_t* begin;
  const int64_t* inStride;  // elements
  PadMode mode;
  uint8_t value;
};

// Source index on an axis for output index o, or -1 for the constant fill.
inline int64_t srcIndex(const PadJob& j, int a, int64_t o) {
  const int64_t n = j.in[a];
  int64_t i = o - j.begin[a];
  if (i >= 0 && i < n) return i;
  switch (j.mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return i < 0 ? 0 : n - 1;
    case PadMode::kReflect:
    default: return i < 0 ? -i : 2 * (n - 1) - i;  // pads < n keep this inside [0, n)
  }
}

// Output rows [r0, r1) (a row: one index of every axis but the last).
void padRows(const PadJob& j, int64_t r0, int64_t r1, const uint8_t* X, uint8_t* Y) {
  const int last = j.rank - 1;
  const int64_t n = j.in[last], b = j.begin[last], outN = j.out[last];
  for (int64_t r = r0; r < r1; ++r) {
    uint8_t* dst = Y + r * outN;
    int64_t rem = r, src = 0;
    bool fill = false;
    for (int a = last - 1; a >= 0; --a) {
      const int64_t o = rem % j.out[a];
      rem /= j.out[a];
      const int64_t i = srcIndex(j, a, o);
      if (i < 0) {
        fill = true;
        break;
      }
      src += i * j.inStride[a];
    }
    if (fill || n == 0) {
      std::memset(dst, j.value, static_cast<size_t>(outN));
      continue;
    }
    const uint8_t* s = X + src;
    std::memcpy(dst + b, s, static_cast<size_t>(n));
    for (int64_t o = 0; o < b; ++o) {
      const int64_t i = srcIndex(j, last, o);
      dst[o] = i < 0 ? j.value : s[i];
    }
    for (int64_t o = b + n; o < outN; ++o) {
      const int64_t i = srcIndex(j, last, o);
      dst[o] = i < 0 ? j.value : s[i];
    }
  }
}

}  // namespace

void pad(const std::vector<int64_t>& shape, const std::vector<int64_t>& begin, const std::vector<int64_t>& end,
         PadMode mode, uint8_t value, const void* x, void* y, int maxThreads) {
  const int rank = static_cast<int>(shape.size());
  if (rank < 1 || rank > kMaxPadRank) bad("pad supports ranks 1 to " + std::to_string(kMaxPadRank));
  if (static_cast<int>(begin.size()) != rank || static_cast<int>(end.size()) != rank)
    bad("pads must have one begin and one end entry per axis");
  if (static_cast<int>(mode) < 0 || static_cast<int>(mode) > 2) bad("unknown pad mode");
  int64_t in[kMaxPadRank] = {0}, out[kMaxPadRank] = {0}, is[kMaxPadRank] = {0};
  int64_t total = 1, totalIn = 1;
  for (int a = 0; a < rank; ++a) {
    if (shape[a] < 0) bad("shape[" + std::to_string(a) + "] is negative");
    if (begin[a] < 0 || end[a] < 0) bad("pads along axis " + std::to_string(a) + " must be >= 0");
    if (mode == PadMode::kReflect && (begin[a] > 0 || end[a] > 0) && (begin[a] >= shape[a] || end[a] >= shape[a]))
      bad("reflect pads along axis " + std::to_string(a) + " must be smaller than its size (" + std::to_string(shape[a]) + ")");
    if (mode == PadMode::kEdge && (begin[a] > 0 || end[a] > 0) && shape[a] == 0)
      bad("edge padding of the empty axis " + std::to_string(a));
    in[a] = shape[a];
    out[a] = shape[a] + begin[a] + end[a];
    total *= out[a];
    totalIn *= in[a];
  }
  if (total == 0) return;
  is[rank - 1] = 1;
  for (int a = rank - 2; a >= 0; --a) is[a] = is[a + 1] * in[a + 1];
  const PadJob job{rank, in, out, begin.data(), is, mode, value};
  const uint8_t* X = static_cast<const uint8_t*>(x);
  uint8_t* Y = static_cast<uint8_t*>(y);
  const int64_t rows = total / out[rank - 1];
  if (totalIn == 0) {  // constant fill of an empty input
    std::memset(Y, value, static_cast<size_t>(total));
    return;
  }
  // Tasks of about 50 us of copying (waking a pool thread does not pay off for less).
  const int64_t grain = std::max<int64_t>(1, (1 << 20) / out[rank - 1]);
  const int64_t tasks = (rows + grain - 1) / grain;
  if (tasks <= 1) {
    padRows(job, 0, rows, X, Y);
    return;
  }
  ThreadPool::global().parallelFor(
      static_cast<int>(tasks), [&](int t, int) { padRows(job, t * grain, std::min(rows, (t + 1) * grain), X, Y); },
      maxThreads);
}

void concat(Isa isa, const std::vector<ConcatInput>& inputs, int axis, DType type, const QParams& out, void* y,
            int maxThreads) {
  if (type != DType::kU8 && type != DType::kS8) bad("dtype must be uint8 or int8");
  if (inputs.empty()) bad("concat needs at least one input");
  const int rank = static_cast<int>(inputs[0].shape.size());
  if (rank < 1) bad("concat inputs must have rank >= 1");
  if (axis < 0 || axis >= rank) bad("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  if (!(std::isfinite(out.scale) && out.scale > 0)) bad("output.scale must be a finite number > 0");
  if (out.zeroPoint < qmin(type) || out.zeroPoint > qmax(type)) bad("output.zeroPoint is outside the type's range");
  int64_t outer = 1, inner = 1, axisTotal = 0;
  for (int a = 0; a < axis; ++a) outer *= inputs[0].shape[a];
  for (int a = axis + 1; a < rank; ++a) inner *= inputs[0].shape[a];
  std::vector<int64_t> block(inputs.size());
  std::vector<uint8_t> tables;
  std::vector<int> tableOf(inputs.size(), -1);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ConcatInput& in = inputs[i];
    if (static_cast<int>(in.shape.size()) != rank)
      bad("input " + std::to_string(i) + " has rank " + std::to_string(in.shape.size()) + ", input 0 has " + std::to_string(rank));
    for (int a = 0; a < rank; ++a)
      if (a != axis && in.shape[a] != inputs[0].shape[a])
        bad("input " + std::to_string(i) + " differs from input 0 on axis " + std::to_string(a) + " (" +
            std::to_string(in.shape[a]) + " vs " + std::to_string(inputs[0].shape[a]) + ")");
    if (!(std::isfinite(in.q.scale) && in.q.scale > 0)) bad("input " + std::to_string(i) + " scale must be a finite number > 0");
    if (in.q.zeroPoint < qmin(type) || in.q.zeroPoint > qmax(type))
      bad("input " + std::to_string(i) + " zero point is outside the type's range");
    block[i] = in.shape[axis] * inner;
    axisTotal += in.shape[axis];
    if (!(in.q.scale == out.scale && in.q.zeroPoint == out.zeroPoint)) {
      tableOf[i] = static_cast<int>(tables.size() / 256);
      tables.resize(tables.size() + 256);
      buildLookupTable(UnaryFn::kIdentity, {}, type, in.q, type, out, tables.data() + tables.size() - 256);
    }
  }
  const int64_t outBlock = axisTotal * inner;
  uint8_t* Y = static_cast<uint8_t*>(y);
  auto runOuter = [&](int64_t o0, int64_t o1, int threads) {
    for (int64_t o = o0; o < o1; ++o) {
      int64_t off = 0;
      for (size_t i = 0; i < inputs.size(); ++i) {
        const uint8_t* src = static_cast<const uint8_t*>(inputs[i].data) + o * block[i];
        uint8_t* dst = Y + o * outBlock + off;
        if (tableOf[i] < 0)
          std::memcpy(dst, src, static_cast<size_t>(block[i]));
        else
          applyLookupTable(isa, tables.data() + 256 * tableOf[i], src, static_cast<size_t>(block[i]), dst, threads);
        off += block[i];
      }
    }
  };
  const int64_t total = outer * outBlock;
  if (total == 0) return;
  if (outer < 2 || total < (1 << 20)) {
    runOuter(0, outer, maxThreads);  // a single block may still thread inside the lookup
    return;
  }
  const int64_t grain = std::max<int64_t>(1, (1 << 19) / std::max<int64_t>(1, outBlock));
  const int64_t tasks = (outer + grain - 1) / grain;
  ThreadPool::global().parallelFor(
      static_cast<int>(tasks), [&](int t, int) { runOuter(t * grain, std::min(outer, (t + 1) * grain), 1); },
      maxThreads);
}

}  // namespace qint8
