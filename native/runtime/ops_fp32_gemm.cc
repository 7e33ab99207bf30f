// qint8 — float32 engine ops on SGEMM: MatMul and Gemm (ONNX semantics), and their fused forms
// qint8::FusedMatMul / qint8::FusedGemm carrying activation / activation_params (the attributes
// the onnx-import fusion pass writes).
//
//  - MatMul: numpy matmul: batch dimensions broadcast, a 1-D A is [1, K] (that dimension dropped
//    from the output), a 1-D B is [K, 1] (likewise). A constant B is packed once at creation (per
//    batch matrix when it is batched); a run-time B is packed per call into the op's scratch.
//  - Gemm: Y = act(alpha * A' · B' + beta * C) with A' = transA ? Aᵀ : A, B' likewise, C
//    unidirectionally broadcast to [M, N]. A C that is constant along the rows (a scalar, [N],
//    [1, N]) becomes the per-column bias of the SGEMM epilogue; an [M, 1] or [M, N] C is added by
//    a second epilogue pass over each row (same operations, same order).
#include <algorithm>
#include <cstring>
#include <array>
#include <memory>
#include <vector>

#include "qint8/op.h"
#include "qint8/sgemm.h"
#include "qint8/threadpool.h"
#include "op_attrs_f32.h"

namespace qint8 {
namespace {

using namespace f32ops;

size_t align64(size_t b) { return (b + 63) / 64 * 64; }

// Row-major index strides of `dims` (rank r) right-aligned against an output of rank outRank,
// with 0 for broadcast (size-1) dimensions.
std::array<int64_t, kMaxRank> broadcastStrides(const Shape& dims, int outRank) {
  std::array<int64_t, kMaxRank> st{};
  int64_t s = 1;
  for (int i = dims.rank - 1; i >= 0; --i) {
    const int o = outRank - (dims.rank - i);
    st[o] = dims[i] == 1 ? 0 : s;
    s *= dims[i];
  }
  return st;
}

Shape prefix(const Shape& s, int n) {
  Shape p;
  p.rank = n;
  for (int i = 0; i < n; ++i) p.d[i] = s[i];
  return p;
}

// Epilogue of an empty sum (K == 0): +0, then the epilogue.
void emptySum(Isa isa, float* y, int64_t m, int n, const SgemmEpilogue& ep) {
  std::fill(y, y + m * n, 0.0f);
  sgemmApplyEpilogue(isa, y, static_cast<size_t>(n), static_cast<int>(m), n, ep);
}

class MatMulOp : public Op {
 public:
  MatMulOp(const OpContext& c, const char* name, bool fused) : isa_(c.isa), name_(name) {
    if (fused) act_ = activation(c.attrs, name_);
    if (c.constants.size() != 2) fail(name_, "takes 2 inputs (A, B), got " + std::to_string(c.constants.size()));
    const TensorView& b = c.constants[1];
    if (!b.data) return;
    requireF32(b, name_, "B");
    if (b.shape.rank == 0) fail(name_, "B must have rank >= 1");
    bShape_ = b.shape;
    int64_t k, n;
    dims(b.shape, &k, &n);
    if (k <= 0 || n <= 0) return;  // empty: nothing to pack
    if (k > INT32_MAX || n > INT32_MAX) fail(name_, "B too large");
    const int64_t batches = b.shape.rank <= 2 ? 1 : prefix(b.shape, b.shape.rank - 2).numel();
    for (int64_t i = 0; i < batches; ++i)
      packed_.push_back(SgemmPackedB::pack(isa_, b.as<const float>() + i * k * n, b.shape.rank == 1 ? 1 : n, 1, static_cast<int>(k),
                                           static_cast<int>(n)));
  }

  size_t scratchBytes(const std::vector<TensorView>& in, const std::vector<TensorView>&) const override {
    if (bShape_.rank || in.size() < 2 || in[1].shape.rank == 0) return 0;
    int64_t k, n;
    dims(in[1].shape, &k, &n);
    if (k <= 0 || n <= 0) return 0;
    const int64_t batches = in[1].shape.rank <= 2 ? 1 : prefix(in[1].shape, in[1].shape.rank - 2).numel();
    return static_cast<size_t>(batches) * align64(sgemmPackedBytes(isa_, static_cast<int>(k), static_cast<int>(n)));
  }

  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void* scratch, int maxThreads) const override {
    if (in.size() != 2 || out.size() != 1) fail(name_, "takes 2 inputs and 1 output");
    const TensorView& A = in[0];
    const TensorView& Y = out[0];
    requireF32(A, name_, "A");
    requireF32(Y, name_, "Y");
    const bool constB = bShape_.rank > 0;
    const Shape bs = constB ? bShape_ : in[1].shape;
    if (!constB) requireF32(in[1], name_, "B");
    if (A.shape.rank == 0 || bs.rank == 0) fail(name_, "inputs must have rank >= 1");
    const bool aVec = A.shape.rank == 1, bVec = bs.rank == 1;
    const int64_t M = aVec ? 1 : A.shape[A.shape.rank - 2], K = A.shape[A.shape.rank - 1];
    int64_t kb, N;
    dims(bs, &kb, &N);
    if (K != kb) fail(name_, "A " + A.shape.str() + " and B " + bs.str() + " do not multiply (inner dimensions differ)");
    const Shape aBatch = prefix(A.shape, aVec ? 0 : A.shape.rank - 2), bBatch = prefix(bs, bVec ? 0 : bs.rank - 2);
    const Shape oBatch = broadcastShapes(aBatch, bBatch);
    Shape want = oBatch;
    if (!aVec) want.d[want.rank++] = M;
    if (!bVec) want.d[want.rank++] = N;
    requireShape(Y, want, name_, "Y");
    if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) fail(name_, "dimensions too large");
    const int64_t nOut = oBatch.numel();
    if (nOut == 0 || M == 0 || N == 0) return;
    float* y = Y.as<float>();
    SgemmEpilogue ep;
    ep.act = act_;
    if (K == 0) return emptySum(isa_, y, nOut * M, static_cast<int>(N), ep);
    const float* a = A.as<const float>();

    // B views: constant (packed at creation) or packed now into scratch (views differing only in
    // their data pointer; nothing allocated per run).
    const int64_t nb = bBatch.numel();
    SgemmPacked runtimeView;
    size_t pb = 0;
    if (!constB) {
      pb = align64(sgemmPackedBytes(isa_, static_cast<int>(K), static_cast<int>(N)));
      const float* b = in[1].as<const float>();
      for (int64_t i = 0; i < nb; ++i)
        runtimeView = sgemmPackInto(isa_, b + i * K * N, bVec ? 1 : N, 1, static_cast<int>(K), static_cast<int>(N),
                                    static_cast<uint8_t*>(scratch) + static_cast<size_t>(i) * pb);
    }
    auto view = [&](int64_t i) {
      if (constB) return packed_[i]->view();
      SgemmPacked v = runtimeView;
      v.data = reinterpret_cast<const float*>(static_cast<const uint8_t*>(scratch) + static_cast<size_t>(i) * pb);
      return v;
    };
    const int64_t na = aBatch.numel();
    if (nb == 1 && na * M <= INT32_MAX) {
      // B is not batched: all of A's batches are rows of one GEMM.
      sgemm(view(0), a, static_cast<size_t>(K), static_cast<int>(na * M), y, static_cast<size_t>(N), ep, maxThreads);
      return;
    }
    const std::array<int64_t, kMaxRank> as = broadcastStrides(aBatch, oBatch.rank), bsd = broadcastStrides(bBatch, oBatch.rank);
    auto one = [&](int64_t i, int threads) {
      int64_t ai = 0, bi = 0, rem = i;
      for (int d = oBatch.rank - 1; d >= 0; --d) {
        const int64_t digit = rem % oBatch[d];
        rem /= oBatch[d];
        ai += digit * as[d];
        bi += digit * bsd[d];
      }
      sgemm(view(bi), a + ai * M * K, static_cast<size_t>(K), static_cast<int>(M), y + i * M * N, static_cast<size_t>(N), ep, threads);
    };
    ThreadPool& pool = ThreadPool::global();
    int threads = pool.numThreads();
    if (maxThreads > 0) threads = std::min(threads, maxThreads);
    // Small matrices, many of them (attention heads): one task per matrix.
    if (threads > 1 && nOut >= 2 * threads && static_cast<double>(M) * N * K < 4e6 && nOut <= INT32_MAX) {
      pool.parallelFor(static_cast<int>(nOut), [&](int t, int) { one(t, 1); }, threads);
    } else {
      for (int64_t i = 0; i < nOut; ++i) one(i, maxThreads);
    }
  }

 private:
  static void dims(const Shape& b, int64_t* k, int64_t* n) {
    if (b.rank == 1) {
      *k = b[0];
      *n = 1;
    } else {
      *k = b[b.rank - 2];
      *n = b[b.rank - 1];
    }
  }

  Isa isa_;
  std::string name_;
  Activation act_;
  Shape bShape_;  // rank 0: B is not constant
  std::vector<std::unique_ptr<SgemmPackedB>> packed_;
};

class GemmOp : public Op {
 public:
  GemmOp(const OpContext& c, const char* name, bool fused) : isa_(c.isa), name_(name) {
    if (fused) act_ = activation(c.attrs, name_);
    alpha_ = static_cast<float>(c.attrs.getFloat("alpha", 1.0));
    beta_ = static_cast<float>(c.attrs.getFloat("beta", 1.0));
    transA_ = c.attrs.getInt("transA", 0) != 0;
    transB_ = c.attrs.getInt("transB", 0) != 0;
    if (c.constants.size() != 2 && c.constants.size() != 3) fail(name_, "takes 2 or 3 inputs (A, B, C)");
    const TensorView& b = c.constants[1];
    if (!b.data) return;
    requireF32(b, name_, "B");
    if (b.shape.rank != 2) fail(name_, "B must be 2-D, got " + b.shape.str());
    bShape_ = b.shape;
    const int64_t k = transB_ ? b.shape[1] : b.shape[0], n = transB_ ? b.shape[0] : b.shape[1];
    if (k <= 0 || n <= 0) return;
    if (k > INT32_MAX || n > INT32_MAX) fail(name_, "B too large");
    packed_ = SgemmPackedB::pack(isa_, b.as<const float>(), transB_ ? 1 : n, transB_ ? k : 1, static_cast<int>(k), static_cast<int>(n));
  }

  size_t scratchBytes(const std::vector<TensorView>& in, const std::vector<TensorView>& out) const override {
    if (in.size() < 2 || out.empty() || in[0].shape.rank != 2 || out[0].shape.rank != 2) return 0;
    const int64_t m = out[0].shape[0], n = out[0].shape[1];
    const int64_t k = transA_ ? in[0].shape[0] : in[0].shape[1];
    size_t bytes = 0;
    if (!bShape_.rank && k > 0 && n > 0 && k <= INT32_MAX && n <= INT32_MAX)
      bytes += align64(sgemmPackedBytes(isa_, static_cast<int>(k), static_cast<int>(n)));
    if (transA_) bytes += align64(sizeof(float) * static_cast<size_t>(m * k));
    bytes += 2 * align64(sizeof(float) * static_cast<size_t>(n));  // bias vector, one row of beta * C
    return bytes;
  }

  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void* scratch, int maxThreads) const override {
    if (in.size() < 2 || in.size() > 3 || out.size() != 1) fail(name_, "takes 2 or 3 inputs and 1 output");
    const TensorView& A = in[0];
    const TensorView& Y = out[0];
    requireF32(A, name_, "A");
    requireF32(Y, name_, "Y");
    if (A.shape.rank != 2) fail(name_, "A must be 2-D, got " + A.shape.str());
    const bool constB = bShape_.rank > 0;
    const Shape bs = constB ? bShape_ : in[1].shape;
    if (!constB) requireF32(in[1], name_, "B");
    if (bs.rank != 2) fail(name_, "B must be 2-D, got " + bs.str());
    const int64_t M = transA_ ? A.shape[1] : A.shape[0], K = transA_ ? A.shape[0] : A.shape[1];
    const int64_t kb = transB_ ? bs[1] : bs[0], N = transB_ ? bs[0] : bs[1];
    if (K != kb) fail(name_, "A " + A.shape.str() + " and B " + bs.str() + " do not multiply with transA=" + std::to_string(transA_) +
                                 ", transB=" + std::to_string(transB_));
    requireShape(Y, Shape{M, N}, name_, "Y");
    if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) fail(name_, "dimensions too large");
    if (M == 0 || N == 0) return;
    uint8_t* sp = static_cast<uint8_t*>(scratch);
    auto take = [&](size_t bytes) {
      uint8_t* p = sp;
      sp += align64(bytes);
      return p;
    };

    // C: none, per column (bias), or per row / per element (second pass).
    const TensorView* C = in.size() == 3 && in[2].data && beta_ != 0.0f ? &in[2] : nullptr;
    int64_t cm = 1, cn = 1;
    if (C) {
      requireF32(*C, name_, "C");
      if (C->shape.rank > 2) fail(name_, "C must have rank <= 2, got " + C->shape.str());
      cm = C->shape.rank == 2 ? C->shape[0] : 1;
      cn = C->shape.rank >= 1 ? C->shape[C->shape.rank - 1] : 1;
      if ((cm != 1 && cm != M) || (cn != 1 && cn != N))
        fail(name_, "C " + C->shape.str() + " does not broadcast to [" + std::to_string(M) + ", " + std::to_string(N) + "]");
    }
    const bool matrixC = C && cm != 1;
    SgemmEpilogue ep;
    ep.alpha = alpha_;
    float* bias = reinterpret_cast<float*>(take(sizeof(float) * N));
    float* row = reinterpret_cast<float*>(take(sizeof(float) * N));
    const float* c = C ? C->as<const float>() : nullptr;
    auto betaC = [&](int64_t i, float* dst) {
      for (int64_t j = 0; j < N; ++j) {
        const float v = c[i * cn + (cn == 1 ? 0 : j)];
        dst[j] = beta_ == 1.0f ? v : beta_ * v;
      }
    };
    if (C && !matrixC) {
      betaC(0, bias);
      ep.bias = bias;
    }
    if (!matrixC) ep.act = act_;

    float* y = Y.as<float>();
    if (K == 0) {
      emptySum(isa_, y, M, static_cast<int>(N), ep);
    } else {
      SgemmPacked bv;
      if (constB) {
        bv = packed_->view();
      } else {
        uint8_t* pb = take(sgemmPackedBytes(isa_, static_cast<int>(K), static_cast<int>(N)));
        bv = sgemmPackInto(isa_, in[1].as<const float>(), transB_ ? 1 : N, transB_ ? K : 1, static_cast<int>(K), static_cast<int>(N), pb);
      }
      const float* a = A.as<const float>();
      if (transA_) {
        float* at = reinterpret_cast<float*>(take(sizeof(float) * M * K));
        for (int64_t kk = 0; kk < K; ++kk)
          for (int64_t i = 0; i < M; ++i) at[i * K + kk] = a[kk * M + i];
        a = at;
      }
      sgemm(bv, a, static_cast<size_t>(K), static_cast<int>(M), y, static_cast<size_t>(N), ep, maxThreads);
    }
    if (matrixC) {
      SgemmEpilogue rest;
      rest.bias = row;
      rest.act = act_;
      for (int64_t i = 0; i < M; ++i) {
        betaC(i, row);
        sgemmApplyEpilogue(isa_, y + i * N, static_cast<size_t>(N), 1, static_cast<int>(N), rest);
      }
    }
  }

 private:
  Isa isa_;
  std::string name_;
  Activation act_;
  float alpha_ = 1.0f, beta_ = 1.0f;
  bool transA_ = false, transB_ = false;
  Shape bShape_;
  std::unique_ptr<SgemmPackedB> packed_;
};

std::unique_ptr<Op> makeMatMul(const OpContext& c) { return std::make_unique<MatMulOp>(c, "MatMul", false); }
std::unique_ptr<Op> makeFusedMatMul(const OpContext& c) { return std::make_unique<MatMulOp>(c, "FusedMatMul", true); }
std::unique_ptr<Op> makeGemm(const OpContext& c) { return std::make_unique<GemmOp>(c, "Gemm", false); }
std::unique_ptr<Op> makeFusedGemm(const OpContext& c) { return std::make_unique<GemmOp>(c, "FusedGemm", true); }

}  // namespace

QINT8_REGISTER_OP("", "MatMul", makeMatMul);
QINT8_REGISTER_OP("qint8", "FusedMatMul", makeFusedMatMul);
QINT8_REGISTER_OP("", "Gemm", makeGemm);
QINT8_REGISTER_OP("qint8", "FusedGemm", makeFusedGemm);

}  // namespace qint8
