// qint8 — float32 GEMM (SGEMM) with a fused epilogue.
//
//   C[i][j] = act( alpha * sum_k A[i][k] * B[k][j]  + bias[j]  + S[i][j] )
//
// Numerics (the same on every ISA, bit for bit): the sum is one chain of fused multiply-adds in
// increasing k, starting from +0 (acc = fma(A[i][k], B[k][j], acc)); then, in this order and only
// when present, acc * alpha (skipped when alpha == 1), + bias[j], + S[i][j] (a residual "sum"
// input, e.g. a fused Conv + Add), the activation (activation.h).
// A K split (cache blocking) stores the running sum in C and continues the same chain, so it
// changes nothing. sgemmReference() is that definition as plain loops.
//
// B is packed once per ISA (constant weights) or per call into scratch (sgemmPackInto): panels of
// nr columns, k-major inside a panel (nr floats per k; the last panel is narrowed to a multiple of
// the vector width and zero-padded). A is read in place through row pointers, which also lets a
// convolution feed its input pixels directly (sgemmIndirect: each row of A is a list of
// equal-length segments, e.g. one per kernel tap, no im2col copy).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "qint8/activation.h"
#include "qint8/common.h"

namespace qint8 {

struct SgemmEpilogue {
  float alpha = 1.0f;           // multiplies the sum (skipped when 1)
  const float* bias = nullptr;  // per output column, indexed from the first column of C (may be null)
  const float* sum = nullptr;   // S: an m x n matrix added after the bias (may be null), element
  size_t ldsum = 0;             //   (i, j) at sum[i * ldsum + j], indexed like C
  Activation act;
};

// A packed B: what the kernels read.
struct SgemmPacked {
  Isa isa = Isa::kScalar;
  int k = 0, n = 0;
  int nr = 1;               // columns per panel
  size_t panelStride = 0;   // floats between panels (k * nr)
  const float* data = nullptr;
};

// Bytes sgemmPackInto() writes for a k x n matrix on `isa` (throws if the ISA has no kernels here).
size_t sgemmPackedBytes(Isa isa, int k, int n);
// Packs B (element (kk, j) at b[kk * strideK + j * strideN]: strideN = 1 for row-major K x N,
// strideK = 1 for a transposed N x K) into dst (64-byte aligned, sgemmPackedBytes bytes).
SgemmPacked sgemmPackInto(Isa isa, const float* b, ptrdiff_t strideK, ptrdiff_t strideN, int k, int n, void* dst);

// Owns a packed B.
class SgemmPackedB {
 public:
  static std::unique_ptr<SgemmPackedB> pack(Isa isa, const float* b, ptrdiff_t strideK, ptrdiff_t strideN, int k, int n);
  ~SgemmPackedB();
  const SgemmPacked& view() const { return view_; }
  size_t bytes() const { return bytes_; }

 private:
  SgemmPackedB() = default;
  SgemmPacked view_;
  void* mem_ = nullptr;
  size_t bytes_ = 0;
};

// C (m x b.n, leading dimension ldc) = epilogue(A (m x b.k, leading dimension lda) · B).
// maxThreads: 0 = the whole pool.
void sgemm(const SgemmPacked& b, const float* a, size_t lda, int m, float* c, size_t ldc, const SgemmEpilogue& ep,
           int maxThreads = 0);

// Indirect A, single-threaded (the caller splits the work): row r of A is the concatenation of
// `segments` runs of segLen floats, run s at rows[r * segments + s] (segments * segLen == b.k).
// Computes columns [col0, col1) of C (col0 a multiple of b.nr) for rows [0, m).
void sgemmIndirect(const SgemmPacked& b, const float* const* rows, int segments, int segLen, int m, int col0, int col1,
                   float* c, size_t ldc, const SgemmEpilogue& ep);

// Applies the epilogue (alpha, bias, sum, activation) to an m x n block of C in place, on `isa`.
void sgemmApplyEpilogue(Isa isa, float* c, size_t ldc, int m, int n, const SgemmEpilogue& ep);

// The spec, straight from the definition: element (i, kk) of A at a[i * sam + kk * sak], (kk, j)
// of B at b[kk * sbk + j * sbn].
void sgemmReference(const float* a, ptrdiff_t sam, ptrdiff_t sak, const float* b, ptrdiff_t sbk, ptrdiff_t sbn, int m,
                    int n, int k, float* c, size_t ldc, const SgemmEpilogue& ep);

// Rows per micro-tile and columns per panel of an ISA's kernels (for callers that block work).
int sgemmMr(Isa isa);
int sgemmNr(Isa isa);
// Depth of the K chunks the kernels run for a k x n B (k itself when it is not split).
int sgemmChunkDepth(Isa isa, int64_t k, int64_t n);
// Row-block size for m rows cut in blocks of at most mc (a multiple of mr, mc <= m): as many
// blocks as mc gives, of about equal size (rounded up to a multiple of mr), so that no short last
// block streams all of B again for a few rows. 392 rows (ResNet-18's 7x7 layers at batch 8) in
// blocks of 384 left an 8-row block (1 thread, same-process A/B, CPU time: 3x3 7x7 512 -> 512 at
// batch 8 17.9 -> 15.8 ms, the 14 -> 7 stride-2 layer 9.0 -> 8.2 ms).
inline int64_t sgemmEvenRowBlock(int64_t m, int64_t mc, int64_t mr) {
  const int64_t blocks = (m + mc - 1) / mc;
  const int64_t even = ((m + blocks - 1) / blocks + mr - 1) / mr * mr;
  return even < m ? even : m;
}

// Float32 FMA peak of one core on `isa`, GFLOPS (2 per lane per FMA), from a register-only loop
// of independent vfmadd231ps (zmm on avx512vnni, ymm on avx2; scalar: fmaf) run for ~ms.
double measureFmaPeakGflops(Isa isa, double ms);

}  // namespace qint8
