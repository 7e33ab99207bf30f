// qint8 — SGEMM driver: kernel selection, packing, K chunks, row blocks and threads.
#include "qint8/sgemm.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "qint8/cpu.h"
#include "qint8/threadpool.h"
#include "aligned.h"
#include "dispatch.h"
#include "sgemm_kernels.h"

namespace qint8 {
namespace {

// K chunks: when the packed B is larger than kSplitBytes (does not stay in L2), K is processed in
// chunks of kc = kPanelL1 / (panel bytes per k) (128 on AVX-512's 64-column panels, 512 on AVX2's
// 16): a panel's chunk stays in L1 while the row tiles sweep it, the block of A (rows x kc) stays
// in L2 while the panels sweep it, and B is read from L3 once per row block of many rows. The
// running sums wait in C between chunks. Measured on the 3x3 conv layers (1 thread, same-run
// comparisons): unsplit is best while B stays in L2 (K x N = 576 x 64, 1152 x 128: the 64-column
// panel streams from L2 fine), chunks of 128 win at 2304 x 256 (+15%) and 4608 x 512 (+35%).
#ifndef QINT8_SGEMM_PANEL_L1
#define QINT8_SGEMM_PANEL_L1 (32 * 1024)
#endif
#ifndef QINT8_SGEMM_SPLIT_BYTES
#define QINT8_SGEMM_SPLIT_BYTES (1024 * 1024)
#endif
constexpr int kPanelL1 = QINT8_SGEMM_PANEL_L1;
constexpr size_t kSplitBytes = QINT8_SGEMM_SPLIT_BYTES;
// Bytes of A (rows x chunk depth) per row block.
#ifndef QINT8_SGEMM_ABLOCK
#define QINT8_SGEMM_ABLOCK (192 * 1024)
#endif
constexpr size_t kABlockBytes = QINT8_SGEMM_ABLOCK;

int chunkDepth(const SgemmKernelTable& kt) { return std::max(16, kPanelL1 / (kt.nr * static_cast<int>(sizeof(float)))); }

size_t packedBytesOf(const SgemmKernelTable& kt, int64_t k, int64_t n) {
  return static_cast<size_t>((n + kt.nr - 1) / kt.nr) * static_cast<size_t>(k) * kt.nr * sizeof(float);
}

// The chunk depth for a k x n B (k when it is not split).
int depthFor(const SgemmKernelTable& kt, int64_t k, int64_t n) {
  const int kc = chunkDepth(kt);
  return k > kc && packedBytesOf(kt, k, n) > kSplitBytes ? kc : static_cast<int>(k);
}

thread_local Scratch tRows;

}  // namespace

const SgemmKernelTable& sgemmTable(Isa isa) {
  static const IsaTables<SgemmKernelTable> tables = {
      sgemmKernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      sgemmKernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      sgemmKernelsAvx512(),
#else
      nullptr,
#endif
      nullptr, nullptr, nullptr,  // neon, neondot, i8mm
  };
  return selectTable(isa, tables, "sgemm");
}

namespace {

// Runs one block (rows [0, m), panels [p0, p1)) through every K chunk, single-threaded: chunk by
// chunk, each chunk over all the panels. With `prefetch` and one panel, each kernel call prefetches
// the packed B that follows its chunk: the panel's next chunk, or after its last chunk (only when
// pfNext) the next panel's first (panels are contiguous, a full panel's K x nr floats apart, so
// that is where it starts); never past the end of the packed B.
void runChunks(const SgemmKernelTable& kt, const SgemmPacked& b, const float* const* rows, int segments, int segLen,
               int m, int p0, int p1, float* c, size_t ldc, const SgemmEpilogue& ep, bool prefetch, bool pfNext) {
  SgemmTileArgs t{};
  t.rowStride = static_cast<size_t>(segments);
  t.m = m;
  t.b = b.data;
  t.panelStride = b.panelStride;
  t.panelBegin = p0;
  t.panelEnd = p1;
  t.n = b.n;
  t.c = c;
  t.ldc = ldc;
  t.ep = &ep;
  const int64_t depth = static_cast<int64_t>(segments) * segLen;
  const int kKc = depthFor(kt, depth, b.n);
  const bool pfOn = prefetch && p1 == p0 + 1;
  const int w0 = sgemmPanelWidth(kt.nr, kt.vl, b.n, p0);
  auto setPf = [&](SgemmTileArgs& a, size_t kOff, int len, bool last) {
    if (!pfOn || (last && !pfNext)) {
      a.prefetch = nullptr;
      a.prefetchFloats = 0;
      return;
    }
    // The next chunk of this panel (at most what is left of it), or the next panel's first.
    const size_t next = kOff + static_cast<size_t>(len);
    const size_t depthNext = last ? static_cast<size_t>(len) : std::min(static_cast<size_t>(len), static_cast<size_t>(b.k) - next);
    a.prefetch = b.data + p0 * b.panelStride + next * static_cast<size_t>(w0);
    a.prefetchFloats = depthNext * w0;
  };
  if (depth <= kKc) {
    t.rows = rows;
    t.nseg = segments;
    t.segOff = 0;
    t.segLen = segLen;
    t.kOff = 0;
    t.accumulate = false;
    t.final = true;
    setPf(t, 0, static_cast<int>(depth), true);
    kt.tile(t);
    return;
  }
  if (segLen >= kKc) {
    // Long runs: split each into pieces of about kKc.
    const int pieces = (segLen + kKc - 1) / kKc;
    const int len = (segLen + pieces - 1) / pieces;
    bool first = true;
    for (int s = 0; s < segments; ++s)
      for (int off = 0; off < segLen; off += len) {
        t.rows = rows + s;
        t.nseg = 1;
        t.segOff = static_cast<size_t>(off);
        t.segLen = std::min(len, segLen - off);
        t.kOff = static_cast<size_t>(s) * segLen + off;
        t.accumulate = !first;
        t.final = s == segments - 1 && off + len >= segLen;
        setPf(t, t.kOff, t.segLen, t.final);
        kt.tile(t);
        first = false;
      }
    return;
  }
  // Short runs (conv taps of few channels): whole runs per chunk, spread evenly.
  const int chunks = (segments + std::max(1, kKc / segLen) - 1) / std::max(1, kKc / segLen);
  const int per = (segments + chunks - 1) / chunks;
  for (int s0 = 0; s0 < segments; s0 += per) {
    t.rows = rows + s0;
    t.nseg = std::min(per, segments - s0);
    t.segOff = 0;
    t.segLen = segLen;
    t.kOff = static_cast<size_t>(s0) * segLen;
    t.accumulate = s0 > 0;
    t.final = s0 + per >= segments;
    setPf(t, t.kOff, t.nseg * segLen, t.final);
    kt.tile(t);
  }
}

// Bytes of A (a block's rows x the whole K) up to which a block runs panel by panel when K is
// split and the kernels prefetch B: A then stays in L2 while the panels sweep it, B is read once in
// order, one chunk ahead of its use, and a panel's sums stay in L1 across the chunks. Measured (1
// thread, AVX-512, same-process interleaved, medians, CPU time): ResNet-18's 7x7 512 -> 512 3x3
// conv (A 49 x 4608) 2.54 -> 2.01 ms, 49 x 512 x 4608 GEMM 2.90 -> 2.30 ms, 512 x 1024 x 1024
// 11.6 -> 10.8 ms; 1536 x 1024 x 4096 (A blocks 384 x 4096 = 6.3 MB) lost 139 -> 148 ms, hence
// the bound.
#ifndef QINT8_SGEMM_PANEL_OUTER_BYTES
#define QINT8_SGEMM_PANEL_OUTER_BYTES (4u << 20)
#endif
constexpr size_t kPanelOuterBytes = QINT8_SGEMM_PANEL_OUTER_BYTES;

void runBlock(const SgemmKernelTable& kt, const SgemmPacked& b, const float* const* rows, int segments, int segLen,
              int m, int p0, int p1, float* c, size_t ldc, const SgemmEpilogue& ep) {
  const int64_t depth = static_cast<int64_t>(segments) * segLen;
  const bool split = depthFor(kt, depth, b.n) < depth;
  if (kt.prefetchesB && split && static_cast<size_t>(m) * static_cast<size_t>(depth) * sizeof(float) <= kPanelOuterBytes) {
    for (int p = p0; p < p1; ++p) runChunks(kt, b, rows, segments, segLen, m, p, p + 1, c, ldc, ep, true, p + 1 < p1);
    return;
  }
  runChunks(kt, b, rows, segments, segLen, m, p0, p1, c, ldc, ep, false, false);
}

}  // namespace

size_t sgemmPackedBytes(Isa isa, int k, int n) {
  if (k <= 0 || n <= 0) throw std::invalid_argument("sgemm: k and n must be positive");
  const SgemmKernelTable& kt = sgemmTable(isa);
  const size_t panels = static_cast<size_t>((n + kt.nr - 1) / kt.nr);
  return panels * static_cast<size_t>(k) * kt.nr * sizeof(float);
}

SgemmPacked sgemmPackInto(Isa isa, const float* b, ptrdiff_t strideK, ptrdiff_t strideN, int k, int n, void* dst) {
  if (k <= 0 || n <= 0) throw std::invalid_argument("sgemm: k and n must be positive");
  const SgemmKernelTable& kt = sgemmTable(isa);
  SgemmPacked v;
  v.isa = kt.isa;
  v.k = k;
  v.n = n;
  v.nr = kt.nr;
  v.panelStride = static_cast<size_t>(k) * kt.nr;
  v.data = static_cast<const float*>(dst);
  float* d = static_cast<float*>(dst);
  const int panels = (n + kt.nr - 1) / kt.nr;
  for (int p = 0; p < panels; ++p) {
    const int w = sgemmPanelWidth(kt.nr, kt.vl, n, p);
    const int n0 = p * kt.nr;
    const int valid = std::min(w, n - n0);
    float* dp = d + static_cast<size_t>(p) * v.panelStride;
    for (int kk = 0; kk < k; ++kk) {
      float* row = dp + static_cast<size_t>(kk) * w;
      const float* src = b + kk * strideK + n0 * strideN;
      if (strideN == 1) {
        std::memcpy(row, src, sizeof(float) * valid);
      } else {
        for (int j = 0; j < valid; ++j) row[j] = src[j * strideN];
      }
      for (int j = valid; j < w; ++j) row[j] = 0.0f;
    }
  }
  return v;
}

std::unique_ptr<SgemmPackedB> SgemmPackedB::pack(Isa isa, const float* b, ptrdiff_t strideK, ptrdiff_t strideN, int k,
                                                 int n) {
  std::unique_ptr<SgemmPackedB> p(new SgemmPackedB());
  p->bytes_ = sgemmPackedBytes(isa, k, n);
  p->mem_ = alignedAlloc(p->bytes_);
  p->view_ = sgemmPackInto(isa, b, strideK, strideN, k, n, p->mem_);
  return p;
}

SgemmPackedB::~SgemmPackedB() { alignedFree(mem_); }

int sgemmMr(Isa isa) { return sgemmTable(isa).mr; }
int sgemmChunkDepth(Isa isa, int64_t k, int64_t n) { return depthFor(sgemmTable(isa), k, n); }
int sgemmNr(Isa isa) { return sgemmTable(isa).nr; }

void sgemmApplyEpilogue(Isa isa, float* c, size_t ldc, int m, int n, const SgemmEpilogue& ep) {
  if (m <= 0 || n <= 0) return;
  sgemmTable(isa).epilogue(c, ldc, m, n, ep.bias, ep.alpha, ep.sum, ep.ldsum, ep.act);
}

void sgemmIndirect(const SgemmPacked& b, const float* const* rows, int segments, int segLen, int m, int col0, int col1,
                   float* c, size_t ldc, const SgemmEpilogue& ep) {
  if (m <= 0 || col1 <= col0) return;
  if (static_cast<int64_t>(segments) * segLen != b.k) throw std::invalid_argument("sgemmIndirect: segments * segLen != k");
  const SgemmKernelTable& kt = sgemmTable(b.isa);
  if (kt.isa != b.isa) throw std::logic_error("sgemm: packed for another ISA");
  if (col0 % kt.nr) throw std::invalid_argument("sgemmIndirect: col0 must be a multiple of nr");
  runBlock(kt, b, rows, segments, segLen, m, col0 / kt.nr, (std::min(col1, b.n) + kt.nr - 1) / kt.nr, c, ldc, ep);
}

void sgemm(const SgemmPacked& b, const float* a, size_t lda, int m, float* c, size_t ldc, const SgemmEpilogue& ep,
           int maxThreads) {
  if (m <= 0) return;
  const SgemmKernelTable& kt = sgemmTable(b.isa);
  if (kt.isa != b.isa) throw std::logic_error("sgemm: packed for another ISA");
  const int n = b.n, k = b.k;
  const int panels = (n + kt.nr - 1) / kt.nr;

  ThreadPool& pool = ThreadPool::global();
  int threads = pool.numThreads();
  if (maxThreads > 0) threads = std::min(threads, maxThreads);
  const double macs = static_cast<double>(m) * n * k;
  if (macs < (1 << 16)) threads = 1;  // below ~1 us of work, waking a thread costs more

  // Row blocks sized so that a block of A (rows x chunk depth) stays in L2.
  const int mr = kt.mr;
  const size_t chunk = static_cast<size_t>(depthFor(kt, k, n));
  int mc = std::max(mr, static_cast<int>(kABlockBytes / (chunk * sizeof(float))) / mr * mr);
  if (threads > 1) {
    const int perTask = (m + 4 * threads - 1) / (4 * threads);
    mc = std::min(mc, std::max(mr, (perTask + mr - 1) / mr * mr));
  }
  mc = static_cast<int>(sgemmEvenRowBlock(m, std::min(mc, m), mr));
  const int mBlocks = (m + mc - 1) / mc;
  int pg = panels;
  if (threads > 1 && mBlocks < 4 * threads) {
    const int want = 4 * threads;
    pg = std::max(1, std::min(panels, (panels * mBlocks + want - 1) / want / mBlocks));
  }
  const int pGroups = (panels + pg - 1) / pg;
  const int tasks = mBlocks * pGroups;

  // Task order (the pool hands each thread a contiguous run of tasks): row-block-major while B
  // stays in L2 (each thread sweeps its rows against all of B); panel-group-major when it does
  // not (each thread keeps its own columns of B and sweeps every row block against them).
#ifndef QINT8_SGEMM_PANEL_MAJOR
#define QINT8_SGEMM_PANEL_MAJOR 1
#endif
  const bool panelMajor = QINT8_SGEMM_PANEL_MAJOR && packedBytesOf(kt, k, n) > kSplitBytes;
  auto runTask = [&](int t, int) {
    const int mb = panelMajor ? t % mBlocks : t / pGroups, pgi = panelMajor ? t / mBlocks : t % pGroups;
    const int r0 = mb * mc;
    const int rowsN = std::min(mc, m - r0);
    const float** rows = static_cast<const float**>(tRows.get(sizeof(float*) * static_cast<size_t>(rowsN)));
    for (int i = 0; i < rowsN; ++i) rows[i] = a + static_cast<size_t>(r0 + i) * lda;
    const int p0 = pgi * pg, p1 = std::min(panels, p0 + pg);
    SgemmEpilogue epb = ep;
    if (ep.sum) epb.sum = ep.sum + static_cast<size_t>(r0) * ep.ldsum;
    runBlock(kt, b, rows, 1, k, rowsN, p0, p1, c + static_cast<size_t>(r0) * ldc, ldc, epb);
  };
  if (threads <= 1 || tasks <= 1) {
    for (int t = 0; t < tasks; ++t) runTask(t, 0);
  } else {
    pool.parallelFor(tasks, runTask, threads);
  }
}

double measureFmaPeakGflops(Isa isa, double ms) {
  const SgemmKernelTable& kt = sgemmTable(isa);
  using clock = std::chrono::steady_clock;
  long iters = 1 << 14;
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
    const double flops = kt.peakLoop(iters);
    const double s = std::chrono::duration<double>(clock::now() - t0).count();
    best = std::max(best, flops / s / 1e9);
  }
  return best;
}

}  // namespace qint8
