// qint8 — the tensor description shared by the float engine's ops and the plan executor:
// contiguous row-major buffers described by an element type and a shape (rank <= kMaxRank).
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace qint8 {

constexpr int kMaxRank = 8;

// Element types the engine moves around. Bool is one byte (0 / 1), as ONNX stores it.
enum class ElemType : int { kF32 = 0, kU8 = 1, kS8 = 2, kS32 = 3, kS64 = 4, kBool = 5, kF64 = 6 };

static inline size_t elemSize(ElemType t) {
  switch (t) {
    case ElemType::kF32: return 4;
    case ElemType::kU8: return 1;
    case ElemType::kS8: return 1;
    case ElemType::kS32: return 4;
    case ElemType::kS64: return 8;
    case ElemType::kBool: return 1;
    case ElemType::kF64: return 8;
  }
  return 0;
}

struct Shape {
  int rank = 0;
  int64_t d[kMaxRank] = {0};

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) {
    if (dims.size() > kMaxRank) throw std::invalid_argument("rank above " + std::to_string(kMaxRank));
    for (int64_t v : dims) d[rank++] = v;
  }
  int64_t operator[](int i) const { return d[i]; }
  int64_t& operator[](int i) { return d[i]; }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= d[i];
    return n;
  }
  bool operator==(const Shape& o) const {
    if (rank != o.rank) return false;
    for (int i = 0; i < rank; ++i)
      if (d[i] != o.d[i]) return false;
    return true;
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const {
    std::string s = "[";
    for (int i = 0; i < rank; ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + "]";
  }
};

// A view of a contiguous tensor. Ops never own memory; the executor's arena or the caller does.
struct TensorView {
  ElemType type = ElemType::kF32;
  Shape shape;
  void* data = nullptr;

  template <typename T>
  T* as() const { return static_cast<T*>(data); }
  size_t bytes() const { return static_cast<size_t>(shape.numel()) * elemSize(type); }
};

// numpy / ONNX multidirectional broadcasting of a and b; throws std::invalid_argument if the
// shapes are incompatible.
static inline Shape broadcastShapes(const Shape& a, const Shape& b) {
  Shape out;
  out.rank = a.rank > b.rank ? a.rank : b.rank;
  for (int i = 0; i < out.rank; ++i) {
    const int ia = i - (out.rank - a.rank), ib = i - (out.rank - b.rank);
    const int64_t da = ia >= 0 ? a.d[ia] : 1, db = ib >= 0 ? b.d[ib] : 1;
    if (da != db && da != 1 && db != 1)
      throw std::invalid_argument("shapes " + a.str() + " and " + b.str() + " do not broadcast");
    out.d[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace qint8
