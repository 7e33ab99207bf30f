// qint8 — GEMM driver: kernel selection, packing, blocking and threading.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include "qint8/cpu.h"
#include "qint8/gemm.h"
#include "qint8/threadpool.h"
#include "aligned.h"
#include "dispatch.h"
#include "gemm_kernels.h"

namespace qint8 {
namespace {

// Weights up to this size stay in L2 while a thread sweeps its rows (Ice Lake / Zen 4: 1-2 MB
// of L2 per core, leaving room for the block of A).
constexpr size_t kRowMajorMaxWeightBytes = 640 * 1024;
// Bytes of A per row block in row-block-major order.
constexpr size_t kABlockBytes = 192 * 1024;


// GEMM has its own kernels on every tier (packed layouts differ), so there is no fallback:
// packing for a tier selects exactly that tier's kernels.
const GemmKernelTable& kernelsOrThrow(Isa isa) {
  static const IsaTables<GemmKernelTable> tables = {
      gemmKernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      gemmKernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      gemmKernelsAvx512Vnni(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_NEON)
      gemmKernelsNeon(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_NEONDOT)
      gemmKernelsNeonDot(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_I8MM)
      gemmKernelsI8mm(),
#else
      nullptr,
#endif
  };
  const GemmKernelTable& t = selectTable(isa, tables, "gemm");
  if (t.isa != isa) throw std::invalid_argument(std::string("no GEMM kernels for ISA '") + isaName(isa) + "' in this build");
  return t;
}

size_t outElemBytes(GemmOut kind) { return (kind == GemmOut::kU8 || kind == GemmOut::kS8) ? 1 : 4; }

thread_local Scratch tScratchA;
thread_local Scratch tScratchRowsum;
thread_local Scratch tScratchPartial;

}  // namespace

PackedWeights::~PackedWeights() {
  alignedFree(data_);
  alignedFree(colsum_);
}

std::unique_ptr<PackedWeights> packWeights(Isa isa, const int8_t* w, int n, int k) {
  if (n <= 0 || k <= 0) throw std::invalid_argument("packWeights: n and k must be positive");
  const GemmKernelTable& kt = kernelsOrThrow(isa);
  std::unique_ptr<PackedWeights> p(new PackedWeights());
  p->isa_ = isa;
  p->n_ = n;
  p->k_ = k;
  p->nr_ = kt.nr;
  p->panelStride_ = (kt.panelBytes(k) + kAlign - 1) / kAlign * kAlign;
  const int panels = (n + kt.nr - 1) / kt.nr;
  p->bytes_ = p->panelStride_ * static_cast<size_t>(panels);
  p->data_ = static_cast<uint8_t*>(alignedAlloc(p->bytes_));
  std::memset(p->data_, 0, p->bytes_);
  for (int q = 0; q < panels; ++q) kt.packPanel(w, n, k, q * kt.nr, p->data_ + static_cast<size_t>(q) * p->panelStride_);
  p->colsum_ = static_cast<int32_t*>(alignedAlloc(sizeof(int32_t) * static_cast<size_t>(n)));
  for (int j = 0; j < n; ++j) {
    int32_t s = 0;
    const int8_t* row = w + static_cast<size_t>(j) * k;
    for (int kk = 0; kk < k; ++kk) s += row[kk];
    p->colsum_[j] = s;
  }
  return p;
}

void foldBias32(const PackedWeights& w, const int32_t* biasQ, int32_t zA, const int32_t* zW, int32_t* out) {
  const int32_t* cs = w.columnSums();
  const int64_t k = w.k();
  for (int j = 0; j < w.n(); ++j) {
    int64_t v = (biasQ ? biasQ[j] : 0) - static_cast<int64_t>(zA) * cs[j];
    if (zW) v += k * zA * zW[j];
    out[j] = static_cast<int32_t>(v);  // wraps like the int32 accumulator would
  }
}

void gemm(const PackedWeights& w, const void* aIn, size_t lda, bool aSigned, int m, void* c, size_t ldc,
          const GemmEpilogue& ep, int maxThreads) {
  if (m <= 0) return;
  const GemmKernelTable& kt = kernelsOrThrow(w.isa());
  const int n = w.n(), k = w.k();
  const uint8_t* a = static_cast<const uint8_t*>(aIn);

  // Operand A as the kernels want it.
  size_t ldaK = lda;
  if (kt.prepareA) {
    void* buf = tScratchA.get(kt.prepareABytes(m, k));
    kt.prepareA(a, lda, aSigned, m, k, buf);
    a = static_cast<const uint8_t*>(buf);
    ldaK = kt.prepareALd(k);
  } else if (aSigned) {
    uint8_t* buf = static_cast<uint8_t*>(tScratchA.get(static_cast<size_t>(m) * k));
    for (int i = 0; i < m; ++i) {
      const uint8_t* src = a + static_cast<size_t>(i) * lda;
      uint8_t* d = buf + static_cast<size_t>(i) * k;
      for (int kk = 0; kk < k; ++kk) d[kk] = src[kk] ^ 0x80;
    }
    a = buf;
    ldaK = static_cast<size_t>(k);
  }

  const int32_t* rowsum = nullptr;
  if (ep.weightZeroPoint) {
    int32_t* rs = static_cast<int32_t*>(tScratchRowsum.get(sizeof(int32_t) * static_cast<size_t>(m)));
    const uint8_t* src = static_cast<const uint8_t*>(aIn);
    const uint8_t f = aSigned ? 0x80 : 0;
    for (int i = 0; i < m; ++i) {
      int32_t s = 0;
      const uint8_t* row = src + static_cast<size_t>(i) * lda;
      for (int kk = 0; kk < k; ++kk) s += static_cast<uint8_t>(row[kk] ^ f);
      rs[i] = s;
    }
    rowsum = rs;
  }

  const size_t ob = outElemBytes(ep.kind);
  const size_t ldcBytes = ldc * ob;
  const int panels = (n + kt.nr - 1) / kt.nr;
  // Bytes between rows of the operand the kernel reads. A prepared layout may interleave rows in
  // pairs (i8mm), so the stride is taken from a two-row buffer and row blocks start at even rows.
  const size_t aRowBytes = kt.prepareA ? kt.prepareABytes(2, k) / 2 : ldaK;

  // Blocking. Tasks are (row block, panel group) pairs, and the pool hands each thread a
  // contiguous run of them, so the loop order decides which operand stays in cache:
  //  - W small enough to stay in L2 (the usual conv / small-N case): row-block-major. Each
  //    thread sweeps its rows once while all of W stays resident; row blocks are sized so a block
  //    of A stays in L2 too.
  //  - W larger than L2: panel-group-major. Each thread keeps its own columns of W and streams A.
  ThreadPool& pool = ThreadPool::global();
  int threads = pool.numThreads();
  if (maxThreads > 0) threads = std::min(threads, maxThreads);
  const double macs = static_cast<double>(m) * n * k;
  if (macs < 1 << 17) threads = 1;  // below ~0.5 us of work, waking a thread costs more

  const bool rowMajor = w.packedBytes() <= kRowMajorMaxWeightBytes && static_cast<size_t>(m) * aRowBytes > kABlockBytes;
  const int mr = kt.mr;
  int mc = m;
  if (rowMajor) {
    mc = std::max(mr, static_cast<int>(kABlockBytes / aRowBytes) / mr * mr);
    if (threads > 1) {
      const int perTask = (m + 4 * threads - 1) / (4 * threads);
      mc = std::min(mc, std::max(mr, (perTask + mr - 1) / mr * mr));
    }
    mc = std::min(mc, m);
  }
  if (kt.prepareA && mc < m) mc = (mc + 1) & ~1;  // prepared rows may be interleaved in pairs
  const int mBlocks = (m + mc - 1) / mc;
  int pg = panels;
  if (threads > 1 && mBlocks < 4 * threads) {
    // Too few row blocks to share: split the columns as well.
    const int want = threads * 4;
    pg = std::max(1, (panels * mBlocks + want - 1) / want / mBlocks);
    pg = std::max(1, std::min(pg, panels));
  }
  const int pGroups = (panels + pg - 1) / pg;
  const int tasks = pGroups * mBlocks;

  GemmTileArgs base{};
  base.lda = ldaK;
  base.k = k;
  base.b = w.data();
  base.panelStride = w.panelStride();
  base.n = n;
  base.ep = ep;
  base.ldcBytes = ldcBytes;

  auto runTask = [&](int t, int /*thread*/) {
    const int pgIdx = rowMajor ? t % pGroups : t / mBlocks;
    const int mb = rowMajor ? t / pGroups : t % mBlocks;
    GemmTileArgs args = base;
    const int r0 = mb * mc;
    args.m = std::min(mc, m - r0);
    args.a = a + static_cast<size_t>(r0) * aRowBytes;
    args.c = static_cast<uint8_t*>(c) + static_cast<size_t>(r0) * ldcBytes;
    args.rowsum = rowsum ? rowsum + r0 : nullptr;
    args.panelBegin = pgIdx * pg;
    args.panelEnd = std::min(panels, args.panelBegin + pg);
    const size_t pb = kt.partialBytes ? kt.partialBytes(args.m, args.panelEnd - args.panelBegin, k) : 0;
    args.partial = pb ? static_cast<int32_t*>(tScratchPartial.get(pb)) : nullptr;
    kt.tile(args);
  };
  if (threads <= 1 || tasks <= 1) {
    for (int t = 0; t < tasks; ++t) runTask(t, 0);
  } else {
    pool.parallelFor(tasks, runTask, threads);
  }
}

double measurePeakGops(Isa isa, double ms) {
  const GemmKernelTable& kt = kernelsOrThrow(isa);
  using clock = std::chrono::steady_clock;
  // Calibrate the iteration count to ~ms, then keep the best of several runs.
  long iters = 1 << 16;
  for (;;) {
    const auto t0 = clock::now();
    kt.peakLoop(iters);
    const double s = std::chrono::duration<double>(clock::now() - t0).count();
    if (s > ms * 1e-3 / 8 || iters > (1L << 40)) {
      iters = static_cast<long>(iters * (ms * 1e-3 / 5) / std::max(s, 1e-9)) + 1;
      break;
    }
    iters *= 4;
  }
  double best = 0;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = clock::now();
    const double macs = kt.peakLoop(iters);
    const double s = std::chrono::duration<double>(clock::now() - t0).count();
    best = std::max(best, 2.0 * macs / s / 1e9);
  }
  return best;
}

}  // namespace qint8
