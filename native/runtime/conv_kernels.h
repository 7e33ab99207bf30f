// qint8 — internal interface of the implicit-GEMM ("igemm") convolution kernels: the GEMM's
// A operand is read through an indirection buffer (one pointer per output pixel and kernel
// position) straight from the NHWC input, so no im2col copy is made. Included by ISA
// translation units: PODs, declarations and static inline helpers only.
//
//   C[i][j] = stage( bias32[j] + sum_t sum_c ind[i][t][aOffset + c] * W[j][t][c] )
//
// The weights of one group are [n][kp][cinG] (kernel-position major, like the im2col rows),
// packed in panels of 16 * nv columns. cinG must be a multiple of 4 (a 4-byte group of A never
// straddles two kernel positions); padding taps point at a row holding the input zero point.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"
#include "qint8/gemm.h"

namespace qint8 {

// The pack-friendly column order of a 64-column panel (nv == 4): packed column slot s holds
// logical column igemmPermutedColumn(s). With it, accumulator q of a row holds columns
// 16L + 4q + j in dword 4L + j (L the 128-bit lane), and the in-lane saturating packs
// (packssdw, packuswb/packsswb) of the 4 accumulators give the 64 bytes in natural order.
// The map swaps the lane index and the accumulator index, so it is its own inverse.
static inline int igemmPermutedColumn(int s) {
  const int q = s / 16, lane = (s % 16) / 4, j = s % 4;
  return 16 * lane + 4 * q + j;
}

struct IgemmArgs {
  const uint8_t* const* ind;  // row i, kernel position t: ind[i * kp + t] (+ aOffset) -> cinG bytes
  size_t aOffset;             // added to every pointer (a group's channel offset)
  int m;                      // rows (output pixels)
  int kp;                     // kernel positions
  int cinG;                   // bytes per kernel position, a multiple of 4
  const uint8_t* b;           // this panel's packed weights
  int nv;                     // panel width in 16-column vectors (1..4)
  int nvalid;                 // valid columns of the panel (1..16 * nv)
  bool permuted;              // packed in igemmPermutedColumn order (nv == 4, u8/s8 output only)
  uint8_t* c;                 // output row 0, the panel's column 0 (element type by ep.kind)
  size_t ldcBytes;            // bytes between output rows
  GemmEpilogue ep;            // arrays start at the panel's column 0, in the panel's column order,
                              // 16 * nv readable entries; weightZeroPoint unused (symmetric only)
};

struct IgemmKernelTable {
  Isa isa;
  // Rows per micro-tile for a panel of nv vectors.
  int (*mr)(int nv);
  // Packed bytes of one panel of nv vectors at depth k (= kp * cinG).
  size_t (*panelBytes)(int nv, int k);
  // Packs columns [n0, n0 + 16 * nv) of w (n x k row-major; missing columns are zero).
  void (*packPanel)(const int8_t* w, int n, int k, int n0, int nv, bool permuted, uint8_t* dst);
  // All rows of one panel.
  void (*run)(const IgemmArgs& a);
};

const IgemmKernelTable* igemmKernelsAvx512Vnni();

}  // namespace qint8

namespace qint8 {

// ConvTranspose's gather ("col2im") and output stage for one output pixel:
//   out[j] = stage(bias32[j] + sum_r rows[r][j]),  j < n
// (int32 sums wrap like the accumulator; stage by ep.kind with per-column scale / biasF, as
// GemmEpilogue; weightZeroPoint unused). nrows may be 0.
struct Col2imKernelTable {
  Isa isa;
  void (*sumStage)(const int32_t* const* rows, int nrows, int n, const GemmEpilogue& ep, void* out);
};

const Col2imKernelTable* col2imKernelsRef();
const Col2imKernelTable* col2imKernelsAvx2();
const Col2imKernelTable* col2imKernelsAvx512();
const Col2imKernelTable* col2imKernelsNeon();
const Col2imKernelTable& col2imKernels(Isa isa);

}  // namespace qint8
