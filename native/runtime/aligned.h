// qint8 — aligned allocation and a reusable per-thread scratch buffer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "qint8/common.h"

namespace qint8 {

inline void* alignedAlloc(size_t bytes, size_t align = kAlign) {
  if (bytes == 0) bytes = align;
  bytes = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, bytes);
  if (!p) throw std::bad_alloc();
  return p;
}
inline void alignedFree(void* p) { std::free(p); }

// Grows to the largest size requested and keeps it: no allocation once warm.
class Scratch {
 public:
  ~Scratch() { alignedFree(p_); }
  void* get(size_t bytes) {
    if (bytes > cap_) {
      alignedFree(p_);
      p_ = nullptr;
      cap_ = 0;
      p_ = alignedAlloc(bytes);
      cap_ = bytes;
    }
    return p_;
  }

 private:
  void* p_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace qint8
