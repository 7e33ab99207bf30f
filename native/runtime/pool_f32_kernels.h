// qint8 — internal interface of the float32 pooling kernels (NHWC). Included by ISA translation
// units: PODs, declarations and static inline helpers only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"

namespace qint8 {

// The max step of pool_f32.h: a NaN input wins, else the larger value.
static inline float poolMax(float m, float x) {
  const float t = x > m ? x : m;
  return x != x ? x : t;
}

struct PoolF32Args {
  const float* x;  // one image, NHWC
  int h, w, c;
  int kh, kw, sh, sw, dh, dw;
  int padT, padL, padB, padR;
  int oh, ow;
  bool max;               // else average
  bool countIncludePad;   // average divisor
  float* y;               // one image, NHWC
  int oyBegin, oyEnd;     // output rows to produce
};

struct PoolF32KernelTable {
  Isa isa;
  void (*run)(const PoolF32Args& a);
  // Global pooling of one image over channels [c0, c1): x is hw pixels of c channels.
  void (*global)(const float* x, size_t hw, int c, int c0, int c1, bool max, float* y);
};

const PoolF32KernelTable* poolF32KernelsRef();
const PoolF32KernelTable* poolF32KernelsAvx2();
const PoolF32KernelTable* poolF32KernelsAvx512();

// Taps of window (oy, ox) along one axis: the first window position and whether tap t is inside.
static inline int poolCount(int start, int k, int d, int size, int padEnd, bool includePad) {
  int n = 0;
  for (int t = 0; t < k; ++t) {
    const int p = start + t * d;
    if (includePad ? (p < size + padEnd) : (p >= 0 && p < size)) ++n;
  }
  return n;
}

}  // namespace qint8
