// qint8 — shared machinery of the float32 / data-movement engine ops (runtime/ops_*.cc):
// argument checks, numpy broadcasting plans, and splitting work over the thread pool.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "qint8/op.h"
#include "qint8/tensor.h"
#include "qint8/threadpool.h"
#include "f32_kernels.h"

namespace qint8 {
namespace fops {

[[noreturn]] inline void fail(const std::string& msg) { throw std::invalid_argument(msg); }

inline const char* typeName(ElemType t) {
  switch (t) {
    case ElemType::kF32: return "float32";
    case ElemType::kU8: return "uint8";
    case ElemType::kS8: return "int8";
    case ElemType::kS32: return "int32";
    case ElemType::kS64: return "int64";
    case ElemType::kBool: return "bool";
    case ElemType::kF64: return "float64";
  }
  return "?";
}

// Elements per task: cheap elementwise work (one or two vector operations per element, about
// 20 us per task from L2) and transcendental work (tens of operations per element, 10-30 us).
// Below one grain the op stays on the calling thread: waking a sleeping worker costs several
// microseconds, and on a loaded machine (the shared 2-core VM this was measured on) a parallel
// region of a few microseconds can wait 100 us for a worker to be scheduled.
constexpr size_t kGrainCheap = size_t{1} << 17;
constexpr size_t kGrainMath = size_t{1} << 15;

// Runs fn(begin, end) over [0, n) in tasks of about `grain` items on the pool.
template <typename F>
inline void parallelRange(size_t n, size_t grain, int maxThreads, F&& fn) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  const size_t tasks = (n + grain - 1) / grain;
  if (tasks <= 1 || maxThreads == 1) {
    fn(size_t{0}, n);
    return;
  }
  const size_t per = (n + tasks - 1) / tasks;
  ThreadPool::global().parallelFor(
      static_cast<int>(tasks), [&](int t, int) { fn(t * per, std::min(n, (t + 1) * per)); }, maxThreads);
}

inline void expectInputs(const char* op, const std::vector<TensorView>& in, size_t lo, size_t hi) {
  if (in.size() < lo || in.size() > hi)
    fail(std::string(op) + ": expected " + std::to_string(lo) + (lo == hi ? "" : " to " + std::to_string(hi)) +
         " inputs, got " + std::to_string(in.size()));
  for (size_t i = 0; i < lo; ++i)
    if (!in[i].data && in[i].shape.numel() != 0) fail(std::string(op) + ": input " + std::to_string(i) + " is required");
}
inline void expectOutputs(const char* op, const std::vector<TensorView>& out, size_t n) {
  if (out.size() < n) fail(std::string(op) + ": expected " + std::to_string(n) + " outputs, got " + std::to_string(out.size()));
}
// An optional input is present when it has data, or is an empty tensor with a shape (an omitted
// input is a default view: no data, rank 0).
inline bool present(const std::vector<TensorView>& in, size_t i) {
  return i < in.size() && (in[i].data != nullptr || (in[i].shape.rank > 0 && in[i].shape.numel() == 0));
}
inline void expectType(const char* op, const char* what, const TensorView& t, ElemType want) {
  if (t.type != want) fail(std::string(op) + ": " + what + " must be " + typeName(want) + ", got " + typeName(t.type));
}
inline void expectSameType(const char* op, const char* what, const TensorView& t, const TensorView& ref) {
  if (t.type != ref.type)
    fail(std::string(op) + ": " + what + " must have the input's type " + typeName(ref.type) + ", got " + typeName(t.type));
}
inline void expectShape(const char* op, const char* what, const Shape& got, const Shape& want) {
  if (got != want) fail(std::string(op) + ": " + what + " has shape " + got.str() + ", expected " + want.str());
}

// Normalises a possibly negative axis against a rank.
inline int normAxis(const char* op, int64_t axis, int rank, const char* what = "axis") {
  if (axis < -rank || axis >= rank)
    fail(std::string(op) + ": " + what + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

// A short list of int64 (shapes, axes, pads, starts...) held inline up to kInline values, so that
// reading one on the run path allocates nothing (issue 5: no per-op allocation during run);
// longer lists go to the heap.
class SmallInts {
 public:
  static constexpr size_t kInline = 16;
  SmallInts() = default;
  SmallInts(const std::vector<int64_t>& v) { assign(v.data(), v.size()); }  // NOLINT: implicit on purpose
  SmallInts(const SmallInts& o) { assign(o.data(), o.size()); }
  SmallInts& operator=(const SmallInts& o) {
    if (this != &o) assign(o.data(), o.size());
    return *this;
  }
  SmallInts& operator=(const std::vector<int64_t>& v) {
    assign(v.data(), v.size());
    return *this;
  }
  void assign(const int64_t* p, size_t n) {
    resize(n);
    if (n) std::memmove(data(), p, n * sizeof(int64_t));
  }
  void assign(size_t n, int64_t v) {
    resize(n);
    std::fill(begin(), end(), v);
  }
  void resize(size_t n) {
    if (n > kInline) {
      if (n_ <= kInline) heap_.assign(inline_, inline_ + n_);
      heap_.resize(n);
    } else if (n_ > kInline) {
      std::copy(heap_.begin(), heap_.begin() + static_cast<ptrdiff_t>(n), inline_);
    }
    n_ = n;
  }
  void push_back(int64_t v) {
    resize(n_ + 1);
    data()[n_ - 1] = v;
  }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  int64_t* data() { return n_ > kInline ? heap_.data() : inline_; }
  const int64_t* data() const { return n_ > kInline ? heap_.data() : inline_; }
  int64_t& operator[](size_t i) { return data()[i]; }
  int64_t operator[](size_t i) const { return data()[i]; }
  int64_t* begin() { return data(); }
  int64_t* end() { return data() + n_; }
  const int64_t* begin() const { return data(); }
  const int64_t* end() const { return data() + n_; }

 private:
  int64_t inline_[kInline] = {};
  size_t n_ = 0;
  std::vector<int64_t> heap_;
};

// The values of an int32 / int64 tensor (shapes, axes, indices given as inputs).
inline SmallInts intsOf(const char* op, const char* what, const TensorView& t) {
  const int64_t n = t.shape.numel();
  SmallInts v;
  v.resize(static_cast<size_t>(n));
  if (t.type == ElemType::kS64) {
    if (n) std::memcpy(v.data(), t.data, static_cast<size_t>(n) * 8);
  } else if (t.type == ElemType::kS32) {
    for (int64_t i = 0; i < n; ++i) v[i] = t.as<const int32_t>()[i];
  } else {
    fail(std::string(op) + ": " + what + " must be int64 or int32, got " + typeName(t.type));
  }
  return v;
}

inline Shape shapeOfDims(const SmallInts& d) {
  if (d.size() > static_cast<size_t>(kMaxRank)) fail("rank above " + std::to_string(kMaxRank));
  Shape s;
  s.rank = static_cast<int>(d.size());
  for (int i = 0; i < s.rank; ++i) s.d[i] = d[i];
  return s;
}

// Row-major strides (elements) of a shape.
inline void stridesOf(const Shape& s, int64_t* st) {
  int64_t acc = 1;
  for (int i = s.rank - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= s.d[i];
  }
}

// ---- broadcasting ----------------------------------------------------------------------
// The output is walked as runs along its innermost (collapsed) dimension; in a run each input
// is either contiguous (stride 1) or one repeated value (stride 0). Dimensions of size 1 are
// dropped and neighbours whose strides line up for every input are merged, so "same shape",
// "scalar", "trailing vector" ([N, C] op [C]) and "column" ([N, M] op [N, 1]) all become one
// long run or a few long runs.
struct Bcast {
  int rank = 1;
  int nIn = 0;
  int64_t dims[kMaxRank] = {1};
  int64_t st[3][kMaxRank] = {{0}};
  int64_t total = 0;
  bool innerVec(int i) const { return st[i][rank - 1] != 0; }
};

inline Bcast makeBcast(const char* op, const Shape& out, std::initializer_list<const Shape*> ins) {
  Bcast b;
  b.nIn = static_cast<int>(ins.size());
  b.total = out.numel();
  const int r = out.rank;
  int64_t st[3][kMaxRank] = {{0}};
  int k = 0;
  for (const Shape* s : ins) {
    if (s->rank > r) fail(std::string(op) + ": input " + std::to_string(k) + " " + s->str() + " has a higher rank than the output " + out.str());
    int64_t own[kMaxRank];
    stridesOf(*s, own);
    for (int d = 0; d < r; ++d) {
      const int id = d - (r - s->rank);
      if (id < 0) {
        st[k][d] = 0;
      } else if (s->d[id] == out.d[d]) {
        st[k][d] = s->d[id] == 1 ? 0 : own[id];
      } else if (s->d[id] == 1) {
        st[k][d] = 0;
      } else {
        fail(std::string(op) + ": input " + std::to_string(k) + " " + s->str() + " does not broadcast to the output " + out.str());
      }
    }
    ++k;
  }
  int R = 0;
  for (int d = 0; d < r; ++d) {
    if (out.d[d] == 1) continue;
    bool merge = R > 0;
    for (int i = 0; i < b.nIn && merge; ++i) merge = st[i][d] * out.d[d] == b.st[i][R - 1];
    if (merge) {
      b.dims[R - 1] *= out.d[d];
      for (int i = 0; i < b.nIn; ++i) b.st[i][R - 1] = st[i][d];
    } else {
      b.dims[R] = out.d[d];
      for (int i = 0; i < b.nIn; ++i) b.st[i][R] = st[i][d];
      ++R;
    }
  }
  if (R == 0) {
    R = 1;
    b.dims[0] = 1;
    for (int i = 0; i < b.nIn; ++i) b.st[i][0] = 0;
  }
  b.rank = R;
  return b;
}

// Calls fn(off, pos, len) for the runs covering output elements [begin, end): off[i] is input
// i's element offset at output element pos; the run continues for len elements.
template <typename F>
inline void forEachRun(const Bcast& b, int64_t begin, int64_t end, F&& fn) {
  const int R = b.rank;
  const int64_t inner = b.dims[R - 1];
  int64_t coord[kMaxRank];
  int64_t rem = begin;
  for (int d = R - 1; d >= 0; --d) {
    coord[d] = rem % b.dims[d];
    rem /= b.dims[d];
  }
  int64_t off[3] = {0, 0, 0};
  for (int i = 0; i < b.nIn; ++i)
    for (int d = 0; d < R; ++d) off[i] += coord[d] * b.st[i][d];
  int64_t pos = begin;
  while (pos < end) {
    const int64_t len = std::min(inner - coord[R - 1], end - pos);
    fn(static_cast<const int64_t*>(off), pos, len);
    pos += len;
    coord[R - 1] += len;
    for (int i = 0; i < b.nIn; ++i) off[i] += len * b.st[i][R - 1];
    if (coord[R - 1] == inner) {
      for (int i = 0; i < b.nIn; ++i) off[i] -= inner * b.st[i][R - 1];
      coord[R - 1] = 0;
      for (int d = R - 2; d >= 0; --d) {
        ++coord[d];
        for (int i = 0; i < b.nIn; ++i) off[i] += b.st[i][d];
        if (coord[d] < b.dims[d]) break;
        for (int i = 0; i < b.nIn; ++i) off[i] -= b.dims[d] * b.st[i][d];
        coord[d] = 0;
      }
    }
  }
}

// Fills n elements of size es at dst with the element at src (src may be dst).
inline void fillElems(uint8_t* dst, const uint8_t* src, size_t n, size_t es) {
  if (n == 0) return;
  if (es == 4) {
    uint32_t v;
    std::memcpy(&v, src, 4);
    uint32_t* d = reinterpret_cast<uint32_t*>(dst);
    for (size_t i = 0; i < n; ++i) std::memcpy(d + i, &v, 4);
    return;
  }
  if (es == 1) {
    std::memset(dst, *src, n);
    return;
  }
  if (dst != src) std::memcpy(dst, src, es);
  size_t done = 1;
  while (done < n) {
    const size_t c = std::min(done, n - done);
    std::memcpy(dst + done * es, dst, c * es);
    done += c;
  }
}

// A parallel memcpy (large copies of identity-like ops).
inline void parallelCopy(void* dst, const void* src, size_t bytes, int maxThreads) {
  if (dst == src || bytes == 0) return;
  parallelRange(bytes, size_t{1} << 20, maxThreads, [&](size_t b, size_t e) {
    std::memcpy(static_cast<uint8_t*>(dst) + b, static_cast<const uint8_t*>(src) + b, e - b);
  });
}

}  // namespace fops
}  // namespace qint8
