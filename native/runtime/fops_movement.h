// qint8 — data-movement helpers shared by the engine ops (any element size): a general
// transpose (collapsed to contiguous runs or batched 2-D tile transposes), strided N-d copies,
// and parallel copy lists.
#pragma once
#include <cstring>
#include <vector>

#include "fops_common.h"

namespace qint8 {
namespace fops {

// transpose2d of elements T with R <= 4 rows (an NCHW -> NHWC image of 1-4 channels): one output
// pixel per step, so the writes are sequential and no tiling is needed (the tiled paths wrote
// each destination line R times with a stride: ResNet-18's 3 x 224 x 224 float input, 0.20-0.24
// -> 0.13-0.14 ms).
template <typename T, int R>
inline void transposeFewRows(const uint8_t* src, size_t cols, size_t ldSrc, uint8_t* dst, size_t ldDst) {
  const T* s = reinterpret_cast<const T*>(src);
  T* d0 = reinterpret_cast<T*>(dst);
  for (size_t c = 0; c < cols; ++c) {
    T* d = d0 + c * ldDst;
    for (int r = 0; r < R; ++r) d[r] = s[static_cast<size_t>(r) * ldSrc + c];
  }
}

// Returns false when rows is not 1-4.
template <typename T>
inline bool transposeFewRows(const uint8_t* src, size_t rows, size_t cols, size_t ldSrc, uint8_t* dst, size_t ldDst) {
  switch (rows) {
    case 1: transposeFewRows<T, 1>(src, cols, ldSrc, dst, ldDst); return true;
    case 2: transposeFewRows<T, 2>(src, cols, ldSrc, dst, ldDst); return true;
    case 3: transposeFewRows<T, 3>(src, cols, ldSrc, dst, ldDst); return true;
    case 4: transposeFewRows<T, 4>(src, cols, ldSrc, dst, ldDst); return true;
    default: return false;
  }
}

// Copies `rows` x `cols` elements of size es: dst[c * ldDst + r] = src[r * ldSrc + c].
inline void transpose2d(const F32KernelTable& kt, const uint8_t* src, size_t rows, size_t cols, size_t ldSrc, uint8_t* dst,
                        size_t ldDst, size_t es) {
  switch (es) {
    case 4:
      if (transposeFewRows<uint32_t>(src, rows, cols, ldSrc, dst, ldDst)) return;
      kt.transpose32(reinterpret_cast<const uint32_t*>(src), rows, cols, ldSrc, reinterpret_cast<uint32_t*>(dst), ldDst);
      return;
    case 8: {
      if (transposeFewRows<uint64_t>(src, rows, cols, ldSrc, dst, ldDst)) return;
      const uint64_t* s = reinterpret_cast<const uint64_t*>(src);
      uint64_t* d = reinterpret_cast<uint64_t*>(dst);
      for (size_t r0 = 0; r0 < rows; r0 += 16)
        for (size_t c0 = 0; c0 < cols; c0 += 16)
          for (size_t c = c0; c < std::min(cols, c0 + 16); ++c)
            for (size_t r = r0; r < std::min(rows, r0 + 16); ++r) d[c * ldDst + r] = s[r * ldSrc + c];
      return;
    }
    case 2: {
      if (transposeFewRows<uint16_t>(src, rows, cols, ldSrc, dst, ldDst)) return;
      const uint16_t* s = reinterpret_cast<const uint16_t*>(src);
      uint16_t* d = reinterpret_cast<uint16_t*>(dst);
      for (size_t r0 = 0; r0 < rows; r0 += 32)
        for (size_t c0 = 0; c0 < cols; c0 += 32)
          for (size_t c = c0; c < std::min(cols, c0 + 32); ++c)
            for (size_t r = r0; r < std::min(rows, r0 + 32); ++r) d[c * ldDst + r] = s[r * ldSrc + c];
      return;
    }
    default:
      if (transposeFewRows<uint8_t>(src, rows, cols, ldSrc, dst, ldDst)) return;
      for (size_t r0 = 0; r0 < rows; r0 += 64)
        for (size_t c0 = 0; c0 < cols; c0 += 64)
          for (size_t c = c0; c < std::min(cols, c0 + 64); ++c)
            for (size_t r = r0; r < std::min(rows, r0 + 64); ++r) dst[c * ldDst + r] = src[r * ldSrc + c];
      return;
  }
}

// dst = transpose(src, perm): output axis q is input axis perm[q]. Size-1 axes are dropped and
// input axes that stay adjacent are merged; then either the innermost axis stays innermost
// (contiguous runs are copied) or each 2-D plane (the input's innermost axis x the output's
// innermost axis) is a tile transpose (register tiles for 32-bit elements).
inline void transposeAny(const F32KernelTable& kt, const void* srcv, const Shape& in, const int* perm, size_t es,
                         void* dstv, int maxThreads) {
  const uint8_t* src = static_cast<const uint8_t*>(srcv);
  uint8_t* dst = static_cast<uint8_t*>(dstv);
  const size_t total = static_cast<size_t>(in.numel());
  if (total == 0) return;
  // 1. drop size-1 axes.
  int newIdx[kMaxRank];
  int64_t D1[kMaxRank];
  int r1 = 0;
  for (int i = 0; i < in.rank; ++i) {
    if (in.d[i] == 1) {
      newIdx[i] = -1;
    } else {
      newIdx[i] = r1;
      D1[r1++] = in.d[i];
    }
  }
  int P1[kMaxRank], np = 0;
  for (int q = 0; q < in.rank; ++q)
    if (newIdx[perm[q]] >= 0) P1[np++] = newIdx[perm[q]];
  // 2. merge input axes that are consecutive in the output order.
  int groupOf[kMaxRank];  // input axis (r1 space) -> group id
  int gStartOut[kMaxRank], ng = 0;
  for (int q = 0; q < r1; ++q) {
    if (q > 0 && P1[q] == P1[q - 1] + 1) {
      groupOf[P1[q]] = groupOf[P1[q - 1]];
    } else {
      gStartOut[ng] = q;
      groupOf[P1[q]] = ng++;
    }
  }
  (void)gStartOut;
  // groups in input order -> new input axis index
  int gInIdx[kMaxRank];
  int64_t D[kMaxRank];
  int r = 0;
  for (int i = 0; i < r1; ++i) {
    if (i > 0 && groupOf[i] == groupOf[i - 1]) {
      D[r - 1] *= D1[i];
    } else {
      gInIdx[groupOf[i]] = r;
      D[r++] = D1[i];
    }
  }
  int P[kMaxRank];
  {
    int k = 0;
    for (int q = 0; q < r1; ++q)
      if (q == 0 || P1[q] != P1[q - 1] + 1) P[k++] = gInIdx[groupOf[P1[q]]];
  }
  if (r <= 1) {
    parallelCopy(dst, src, total * es, maxThreads);
    return;
  }
  int64_t stIn[kMaxRank], stOut[kMaxRank], Dout[kMaxRank];
  {
    int64_t acc = 1;
    for (int i = r - 1; i >= 0; --i) {
      stIn[i] = acc;
      acc *= D[i];
    }
    for (int q = 0; q < r; ++q) Dout[q] = D[P[q]];
    acc = 1;
    for (int q = r - 1; q >= 0; --q) {
      stOut[q] = acc;
      acc *= Dout[q];
    }
  }
  if (P[r - 1] == r - 1) {
    // Runs of the innermost axis.
    const size_t run = static_cast<size_t>(D[r - 1]);
    const size_t runs = total / run;
    parallelRange(runs, std::max<size_t>(1, kGrainCheap / run), maxThreads, [&](size_t b, size_t e) {
      for (size_t t = b; t < e; ++t) {
        // output coordinates of run t over output axes 0..r-2
        size_t rem = t;
        int64_t off = 0;
        for (int q = r - 2; q >= 0; --q) {
          const int64_t c = static_cast<int64_t>(rem % static_cast<size_t>(Dout[q]));
          rem /= static_cast<size_t>(Dout[q]);
          off += c * stIn[P[q]];
        }
        std::memcpy(dst + t * run * es, src + off * es, run * es);
      }
    });
    return;
  }
  // 2-D planes: rows along input axis a = P[r-1] (output innermost), cols along the input's
  // innermost axis (output position qc).
  const int a = P[r - 1];
  int qc = 0;
  for (int q = 0; q < r; ++q)
    if (P[q] == r - 1) qc = q;
  const size_t rows = static_cast<size_t>(D[a]), cols = static_cast<size_t>(D[r - 1]);
  const size_t ldSrc = static_cast<size_t>(stIn[a]), ldDst = static_cast<size_t>(stOut[qc]);
  // Other output axes (not qc, not r-1) form the batch.
  int bq[kMaxRank], nb = 0;
  for (int q = 0; q < r - 1; ++q)
    if (q != qc) bq[nb++] = q;
  size_t batch = 1;
  for (int i = 0; i < nb; ++i) batch *= static_cast<size_t>(Dout[bq[i]]);
  // Split each plane's rows into chunks so that a single large plane still uses the pool.
  const size_t rowChunk = std::max<size_t>(8, (kGrainCheap / std::max<size_t>(cols, 1) + 7) & ~size_t{7});
  const size_t chunks = (rows + rowChunk - 1) / rowChunk;
  const size_t perTask = std::max<size_t>(1, kGrainCheap / std::max<size_t>(std::min(rows, rowChunk) * cols, 1));
  parallelRange(batch * chunks, perTask, maxThreads, [&](size_t b, size_t e) {
    for (size_t t = b; t < e; ++t) {
      size_t rem = t / chunks;
      const size_t r0 = (t % chunks) * rowChunk, nr = std::min(rowChunk, rows - r0);
      int64_t offIn = 0, offOut = 0;
      for (int i = nb - 1; i >= 0; --i) {
        const int q = bq[i];
        const int64_t c = static_cast<int64_t>(rem % static_cast<size_t>(Dout[q]));
        rem /= static_cast<size_t>(Dout[q]);
        offIn += c * stIn[P[q]];
        offOut += c * stOut[q];
      }
      transpose2d(kt, src + (offIn + static_cast<int64_t>(r0 * ldSrc)) * es, nr, cols, ldSrc, dst + (offOut + static_cast<int64_t>(r0)) * es,
                  ldDst, es);
    }
  });
}

// A list of memcpy jobs run on the pool (large jobs split in 1 MB pieces). The list lives in a
// per-thread buffer that keeps its capacity, so a steady run allocates nothing (one CopyJobs at
// a time per thread).
struct CopyJobs {
  struct Job {
    uint8_t* dst;
    const uint8_t* src;
    size_t bytes;
  };
  std::vector<Job>& jobs;
  CopyJobs() : jobs(buffer()) { jobs.clear(); }
  CopyJobs(const CopyJobs&) = delete;
  CopyJobs& operator=(const CopyJobs&) = delete;
  static std::vector<Job>& buffer() {
    static thread_local std::vector<Job> b;
    return b;
  }
  void add(void* dst, const void* src, size_t bytes) {
    constexpr size_t kPiece = size_t{1} << 20;
    uint8_t* d = static_cast<uint8_t*>(dst);
    const uint8_t* s = static_cast<const uint8_t*>(src);
    while (bytes > kPiece) {
      jobs.push_back({d, s, kPiece});
      d += kPiece;
      s += kPiece;
      bytes -= kPiece;
    }
    if (bytes) jobs.push_back({d, s, bytes});
  }
  void run(int maxThreads) const {
    size_t total = 0;
    for (const Job& j : jobs) total += j.bytes;
    const size_t per = std::max<size_t>(1, jobs.size() * (size_t{1} << 17) / std::max<size_t>(total, 1));
    parallelRange(jobs.size(), per, maxThreads, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) std::memcpy(jobs[i].dst, jobs[i].src, jobs[i].bytes);
    });
  }
};

// Broadcast copy of x into y (Expand): contiguous runs copied, repeated values filled.
inline void expandCopy(const char* op, const TensorView& X, const TensorView& Y, int maxThreads) {
  const size_t es = elemSize(Y.type);
  if (X.shape == Y.shape) {
    parallelCopy(Y.data, X.data, Y.bytes(), maxThreads);
    return;
  }
  const Bcast bc = makeBcast(op, Y.shape, {&X.shape});
  if (bc.total == 0) return;
  const uint8_t* px = static_cast<const uint8_t*>(X.data);
  uint8_t* py = static_cast<uint8_t*>(Y.data);
  parallelRange(static_cast<size_t>(bc.total), kGrainCheap, maxThreads, [&](size_t s, size_t e) {
    forEachRun(bc, static_cast<int64_t>(s), static_cast<int64_t>(e), [&](const int64_t* off, int64_t pos, int64_t len) {
      if (bc.innerVec(0))
        std::memcpy(py + pos * es, px + off[0] * es, static_cast<size_t>(len) * es);
      else
        fillElems(py + pos * es, px + off[0] * es, static_cast<size_t>(len), es);
    });
  });
}

}  // namespace fops
}  // namespace qint8
