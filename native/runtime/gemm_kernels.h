// qint8 — internal interface between the GEMM driver and the per-ISA kernels.
// Included by ISA translation units: PODs and declarations only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"
#include "qint8/gemm.h"

namespace qint8 {

// One block of work: rows [0, m) of `a`, packed panels [panelBegin, panelEnd).
struct GemmTileArgs {
  const uint8_t* a;      // row 0 of the block (u8, or ISA-specific widened copy)
  size_t lda;            // in elements of `a`
  int m;
  int k;
  const uint8_t* b;      // packed weights, panel 0
  size_t panelStride;    // bytes per packed panel
  int panelBegin, panelEnd;
  int n;                 // total valid columns (tail masking of the last panel)
  uint8_t* c;            // row 0 of the block, column 0
  size_t ldcBytes;       // bytes between rows of C
  GemmEpilogue ep;       // per-column arrays start at column 0
  const int32_t* rowsum; // [m] row sums of A (asymmetric weights only)
  // Scratch for partial sums when the kernel splits K (partialBytes(m, panels, k) bytes; may
  // be null when that is 0).
  int32_t* partial;
};

struct GemmKernelTable {
  Isa isa;
  int nr;           // columns per packed panel
  int mr;           // rows per micro-tile
  // Packed bytes of one panel for depth k.
  size_t (*panelBytes)(int k);
  // Packs columns [n0, n0 + nr) of w (missing columns and k padding are zero) into dst.
  void (*packPanel)(const int8_t* w, int n, int k, int n0, uint8_t* dst);
  // Computes the block.
  void (*tile)(const GemmTileArgs& args);
  // Scratch bytes `tile` needs for a block of m rows and `panels` panels at depth k (0: none).
  size_t (*partialBytes)(int m, int panels, int k);
  // If non-null, A must first be transformed (e.g. widened, flipped to int8, row pairs
  // interleaved) by prepareA into a scratch buffer of prepareABytes(m, k) bytes; `tile` then
  // receives that buffer with lda = prepareALd(k) (in the kernel's own element type), and a block
  // starting at an even row r at byte offset r * prepareABytes(2, k) / 2.
  size_t (*prepareABytes)(int m, int k);
  size_t (*prepareALd)(int k);
  void (*prepareA)(const uint8_t* a, size_t lda, bool aSigned, int m, int k, void* dst);
  // Peak loop: runs `iters` iterations of a register-only dot-product loop; returns MACs done.
  double (*peakLoop)(long iters);
};

const GemmKernelTable* gemmKernelsRef();
const GemmKernelTable* gemmKernelsAvx2();
const GemmKernelTable* gemmKernelsAvx512Vnni();
const GemmKernelTable* gemmKernelsNeon();
const GemmKernelTable* gemmKernelsNeonDot();
const GemmKernelTable* gemmKernelsI8mm();

}  // namespace qint8
