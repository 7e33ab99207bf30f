// qint8 — scalar reference of the int8 pool kernels (the spec; see qint8/pool.h).
#include <algorithm>

#include "qint8/requant.h"
#include "../../runtime/pool_kernels.h"

namespace qint8 {
namespace {

inline int32_t val(const uint8_t* p, size_t j, bool s) { return s ? static_cast<int8_t>(p[j]) : p[j]; }

void refMaxRows(const uint8_t* const* rows, size_t k, size_t c, bool s, uint8_t* out) {
  for (size_t j = 0; j < c; ++j) {
    int32_t m = s ? -128 : 0;
    for (size_t r = 0; r < k; ++r) m = std::max(m, val(rows[r], j, s));
    out[j] = static_cast<uint8_t>(m);
  }
}

void refAvgRows(const uint8_t* const* rows, size_t k, size_t c, const AvgPoolParams& p, bool s, uint8_t* out) {
  for (size_t j = 0; j < c; ++j) {
    float sum = 0.0f;
    for (size_t r = 0; r < k; ++r) sum += p.sx * static_cast<float>(val(rows[r], j, s) - p.zx);
    const float y = sum / p.count;
    const float v = y / p.sy + p.zy;
    out[j] = static_cast<uint8_t>(static_cast<int32_t>(roundHalfEven(clampF(v, p.lo, p.hi))));
  }
}

void refSumRows(const uint8_t* x, size_t rows, size_t stride, size_t c, bool s, int32_t* acc) {
  for (size_t j = 0; j < c; ++j) acc[j] = 0;
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < c; ++j) acc[j] += val(x + r * stride, j, s);
}

void refRequantRow(const int32_t* acc, size_t c, int32_t bias, float scale, int32_t zp, int32_t lo, int32_t hi,
                   uint8_t* out) {
  for (size_t j = 0; j < c; ++j) out[j] = static_cast<uint8_t>(requantize(acc[j] + bias, scale, zp, lo, hi));
}

const PoolKernelTable kRef = {Isa::kScalar, refMaxRows, refAvgRows, refSumRows, refRequantRow};

}  // namespace

const PoolKernelTable* poolKernelsRef() { return &kRef; }

}  // namespace qint8
