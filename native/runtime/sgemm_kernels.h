// qint8 — internal interface between the SGEMM driver and the per-ISA float32 kernels.
// Included by ISA translation units: PODs and declarations only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/activation.h"
#include "qint8/common.h"
#include "qint8/sgemm.h"

namespace qint8 {

// One K chunk of one block: rows [0, m), panels [panelBegin, panelEnd).
struct SgemmTileArgs {
  // Row i's runs for this chunk: rows[i * rowStride + s] + segOff for s in [0, nseg), each segLen
  // floats long (the chunk's depth is nseg * segLen).
  const float* const* rows;
  size_t rowStride;
  int m;
  int nseg;
  size_t segOff;
  int segLen;
  // Packed B: panel p at b + p * panelStride; panel p has width w(p) = min(nr, roundUp(n - p*nr, vl))
  // floats per k, and the chunk starts at depth kOff (b + p * panelStride + kOff * w(p)).
  const float* b;
  size_t panelStride;
  size_t kOff;
  int panelBegin, panelEnd;
  int n;                    // valid columns of C in total (from column 0)
  float* c;                 // row 0, column 0
  size_t ldc;
  bool accumulate;          // false: the chain starts at +0; true: it continues the sums in C
  bool final;               // apply the epilogue after this chunk
  const SgemmEpilogue* ep;  // bias indexed from column 0, sum from row 0 / column 0 of c
  // Packed B to prefetch into L2 while this call runs (what the next call reads), spread over the
  // row tiles: prefetchFloats floats from prefetch (null / 0: none). Set by the driver only for
  // calls of one panel, and only read by kernels whose table sets prefetchesB.
  const float* prefetch;
  size_t prefetchFloats;
};

struct SgemmKernelTable {
  Isa isa;
  int nr;  // columns per panel
  int vl;  // vector width in floats (panel widths are multiples of it)
  int mr;  // rows per micro-tile
  void (*tile)(const SgemmTileArgs& t);
  // Epilogue on an m x n block (bias indexed from the block's first column; sum, when not null,
  // an m x n block with leading dimension ldsum).
  void (*epilogue)(float* c, size_t ldc, int m, int n, const float* bias, float alpha, const float* sum, size_t ldsum,
                   const Activation& act);
  // Register-only FMA loop: runs `iters` iterations, returns the floating-point operations done.
  double (*peakLoop)(long iters);
  // The tile kernel honours SgemmTileArgs::prefetch; the driver then runs a block whose A stays
  // in L2 panel by panel (every K chunk of a panel before the next panel, B read in order and
  // prefetched one chunk ahead) rather than chunk by chunk.
  bool prefetchesB;
};

const SgemmKernelTable* sgemmKernelsRef();
const SgemmKernelTable* sgemmKernelsAvx2();
const SgemmKernelTable* sgemmKernelsAvx512();
// The table for `isa` or its fallback tier's (runtime/dispatch.h); throws if the CPU lacks `isa`.
const SgemmKernelTable& sgemmTable(Isa isa);

// Panel width of panel p (see SgemmTileArgs).
static inline int sgemmPanelWidth(int nr, int vl, int n, int p) {
  const int rem = n - p * nr;
  if (rem >= nr) return nr;
  return (rem + vl - 1) / vl * vl;
}

}  // namespace qint8
