// qint8 — float32 kernels, scalar reference: the generic kernels (kernels/f32_impl.h) on one
// lane. This is the executable spec every ISA's kernels are tested against, bit for bit.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "../../runtime/f32_kernels.h"

namespace qint8 {
namespace {

#include "../f32_impl.h"

// Scalar blocked transpose (the reference; ISAs replace it with register transposes).
static void transpose32Scalar(const uint32_t* src, size_t rows, size_t cols, size_t ldSrc, uint32_t* dst,
                              size_t ldDst) {
  constexpr size_t B = 16;
  for (size_t r0 = 0; r0 < rows; r0 += B)
    for (size_t c0 = 0; c0 < cols; c0 += B) {
      const size_t r1 = r0 + B < rows ? r0 + B : rows, c1 = c0 + B < cols ? c0 + B : cols;
      for (size_t c = c0; c < c1; ++c)
        for (size_t r = r0; r < r1; ++r) dst[c * ldDst + r] = src[r * ldSrc + c];
    }
}


using E = F32Entries<S1>;
const F32KernelTable kRef = {Isa::kScalar,     E::unary,        E::binary,    E::compare,   E::where32,
                             E::reduceRow,     E::reduceCols,   E::softmaxRow, E::softmaxCols, E::moments,
                             E::normalizeRow,  E::affineRow,    E::affineCols, transpose32Scalar};

}  // namespace

const F32KernelTable* f32KernelsRef() { return &kRef; }

}  // namespace qint8
