// qint8 — data-movement engine ops with ONNX semantics, any element type: Transpose, Concat,
// Split, Slice, Gather, GatherElements, Pad, Expand, Tile, Cast / CastLike, Reshape, Flatten,
// Squeeze, Unsqueeze, Identity, Dropout (inference), Range, ConstantOfShape, Shape, Size,
// DepthToSpace, SpaceToDepth. All exact (copies); inputs that describe shapes, axes or indices
// are read at run time (int64, or int32 where ONNX allows it) and checked; indices out of
// range are errors.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "fops_movement.h"

namespace qint8 {
namespace {

using namespace fops;

// ---- Transpose ----------------------------------------------------------------------------

class TransposeOp : public Op {
 public:
  explicit TransposeOp(const OpContext& c) : isa_(c.isa) {
    if (c.attrs.has("perm")) {
      perm_ = c.attrs.getInts("perm");
      hasPerm_ = true;
    }
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs("Transpose", in, 1, 1);
    expectOutputs("Transpose", out, 1);
    const TensorView& X = in[0];
    expectSameType("Transpose", "output", out[0], X);
    const int r = X.shape.rank;
    int perm[kMaxRank];
    if (hasPerm_) {
      if (static_cast<int>(perm_.size()) != r)
        fail("Transpose: perm has " + std::to_string(perm_.size()) + " entries, the input has rank " + std::to_string(r));
      bool seen[kMaxRank] = {false};
      for (int q = 0; q < r; ++q) {
        const int p = normAxis("Transpose", perm_[q], r, "perm entry");
        if (seen[p]) fail("Transpose: perm repeats axis " + std::to_string(p));
        seen[p] = true;
        perm[q] = p;
      }
    } else {
      for (int q = 0; q < r; ++q) perm[q] = r - 1 - q;
    }
    Shape want;
    want.rank = r;
    for (int q = 0; q < r; ++q) want.d[q] = X.shape.d[perm[q]];
    expectShape("Transpose", "output", out[0].shape, want);
    transposeAny(f32Kernels(isa_), X.data, X.shape, perm, elemSize(X.type), out[0].data, maxThreads);
  }

 private:
  Isa isa_;
  std::vector<int64_t> perm_;
  bool hasPerm_ = false;
};

std::unique_ptr<Op> makeTranspose(const OpContext& c) { return std::make_unique<TransposeOp>(c); }

// ---- Concat / Split -----------------------------------------------------------------------

class ConcatOp : public Op {
 public:
  explicit ConcatOp(const OpContext& c) : axis_(c.attrs.getInt("axis")) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    if (in.empty()) fail("Concat: needs at least one input");
    expectOutputs("Concat", out, 1);
    const TensorView& Y = out[0];
    const int r = Y.shape.rank;
    if (r == 0) fail("Concat: inputs must have rank >= 1");
    const int ax = normAxis("Concat", axis_, r);
    int64_t sum = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const TensorView& t = in[i];
      if (!t.data && t.shape.numel() != 0) fail("Concat: input " + std::to_string(i) + " is required");
      expectSameType("Concat", ("input " + std::to_string(i)).c_str(), t, Y);
      if (t.shape.rank != r) fail("Concat: input " + std::to_string(i) + " has rank " + std::to_string(t.shape.rank) + ", expected " + std::to_string(r));
      for (int d = 0; d < r; ++d)
        if (d != ax && t.shape.d[d] != Y.shape.d[d])
          fail("Concat: input " + std::to_string(i) + " " + t.shape.str() + " does not match the output " + Y.shape.str() + " outside the axis");
      sum += t.shape.d[ax];
    }
    if (sum != Y.shape.d[ax]) fail("Concat: the inputs' axis sizes add up to " + std::to_string(sum) + ", the output has " + std::to_string(Y.shape.d[ax]));
    size_t outer = 1, inner = 1;
    for (int d = 0; d < ax; ++d) outer *= static_cast<size_t>(Y.shape.d[d]);
    for (int d = ax + 1; d < r; ++d) inner *= static_cast<size_t>(Y.shape.d[d]);
    const size_t es = elemSize(Y.type), rowOut = static_cast<size_t>(Y.shape.d[ax]) * inner * es;
    CopyJobs jobs;
    for (size_t o = 0; o < outer; ++o) {
      size_t off = 0;
      for (const TensorView& t : in) {
        const size_t bytes = static_cast<size_t>(t.shape.d[ax]) * inner * es;
        if (bytes) jobs.add(static_cast<uint8_t*>(Y.data) + o * rowOut + off, static_cast<const uint8_t*>(t.data) + o * bytes, bytes);
        off += bytes;
      }
    }
    jobs.run(maxThreads);
  }

 private:
  int64_t axis_;
};

std::unique_ptr<Op> makeConcat(const OpContext& c) { return std::make_unique<ConcatOp>(c); }

class SplitOp : public Op {
 public:
  explicit SplitOp(const OpContext& c) : axis_(c.attrs.getInt("axis", 0)) {
    if (c.attrs.has("split")) {
      split_ = c.attrs.getInts("split");
      hasSplitAttr_ = true;
    }
    numOutputs_ = c.attrs.getInt("num_outputs", 0);
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs("Split", in, 1, 2);
    if (out.empty()) fail("Split: needs at least one output");
    const TensorView& X = in[0];
    const int r = X.shape.rank;
    const int ax = normAxis("Split", axis_, r);
    const int64_t dim = X.shape.d[ax];
    SmallInts sizes;
    if (hasSplitAttr_) {
      sizes = split_;
    } else if (present(in, 1) && in[1].shape.numel() > 0) {
      sizes = intsOf("Split", "split", in[1]);
    } else {
      const int64_t n = static_cast<int64_t>(out.size());
      if (numOutputs_ != 0 && numOutputs_ != n)
        fail("Split: num_outputs is " + std::to_string(numOutputs_) + " but the node has " + std::to_string(n) + " outputs");
      const int64_t each = (dim + n - 1) / n;  // opset 18: the last chunk may be smaller
      if (numOutputs_ == 0 && dim % n != 0)
        fail("Split: axis size " + std::to_string(dim) + " does not divide into " + std::to_string(n) + " equal parts");
      for (int64_t i = 0; i < n; ++i) sizes.push_back(std::max<int64_t>(0, std::min(each, dim - i * each)));
    }
    if (sizes.size() != out.size())
      fail("Split: " + std::to_string(sizes.size()) + " split sizes for " + std::to_string(out.size()) + " outputs");
    int64_t sum = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] < 0) fail("Split: split sizes must be >= 0");
      Shape want = X.shape;
      want.d[ax] = sizes[i];
      expectSameType("Split", ("output " + std::to_string(i)).c_str(), out[i], X);
      expectShape("Split", ("output " + std::to_string(i)).c_str(), out[i].shape, want);
      sum += sizes[i];
    }
    if (sum != dim) fail("Split: split sizes add up to " + std::to_string(sum) + ", the axis has " + std::to_string(dim));
    size_t outer = 1, inner = 1;
    for (int d = 0; d < ax; ++d) outer *= static_cast<size_t>(X.shape.d[d]);
    for (int d = ax + 1; d < r; ++d) inner *= static_cast<size_t>(X.shape.d[d]);
    const size_t es = elemSize(X.type), rowIn = static_cast<size_t>(dim) * inner * es;
    CopyJobs jobs;
    for (size_t o = 0; o < outer; ++o) {
      size_t off = 0;
      for (size_t i = 0; i < out.size(); ++i) {
        const size_t bytes = static_cast<size_t>(sizes[i]) * inner * es;
        if (bytes) jobs.add(static_cast<uint8_t*>(out[i].data) + o * bytes, static_cast<const uint8_t*>(X.data) + o * rowIn + off, bytes);
        off += bytes;
      }
    }
    jobs.run(maxThreads);
  }

 private:
  int64_t axis_;
  std::vector<int64_t> split_;
  bool hasSplitAttr_ = false;
  int64_t numOutputs_ = 0;
};

std::unique_ptr<Op> makeSplit(const OpContext& c) { return std::make_unique<SplitOp>(c); }

// ---- strided N-d copy (Slice) ---------------------------------------------------------------

// dst (contiguous, dims) = src[start[d] + i * step[d]] with src strides st.
void stridedCopy(const uint8_t* src, const int64_t* st, const int64_t* start, const int64_t* step, const Shape& dims, size_t es,
                 uint8_t* dst, int maxThreads) {
  const int r = dims.rank;
  const size_t total = static_cast<size_t>(dims.numel());
  if (total == 0) return;
  if (r == 0) {
    std::memcpy(dst, src, es);
    return;
  }
  int64_t base = 0;
  for (int d = 0; d < r; ++d) base += start[d] * st[d];
  const size_t inner = static_cast<size_t>(dims.d[r - 1]);
  const int64_t innerStep = step[r - 1] * st[r - 1];
  const size_t rows = total / inner;
  parallelRange(rows, std::max<size_t>(1, kGrainCheap / inner), maxThreads, [&](size_t b, size_t e) {
    for (size_t t = b; t < e; ++t) {
      size_t rem = t;
      int64_t off = base;
      for (int d = r - 2; d >= 0; --d) {
        const int64_t c = static_cast<int64_t>(rem % static_cast<size_t>(dims.d[d]));
        rem /= static_cast<size_t>(dims.d[d]);
        off += c * step[d] * st[d];
      }
      uint8_t* o = dst + t * inner * es;
      const uint8_t* s = src + off * static_cast<int64_t>(es);
      if (innerStep == 1) {
        std::memcpy(o, s, inner * es);
      } else {
        for (size_t i = 0; i < inner; ++i) std::memcpy(o + i * es, s + static_cast<int64_t>(i) * innerStep * static_cast<int64_t>(es), es);
      }
    }
  });
}

class SliceOp : public Op {
 public:
  explicit SliceOp(const OpContext& c) {
    if (c.attrs.has("starts")) {  // opset < 10
      attrForm_ = true;
      starts_ = c.attrs.getInts("starts");
      ends_ = c.attrs.getInts("ends");
      axes_ = c.attrs.getInts("axes");
    }
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs("Slice", in, attrForm_ ? 1 : 3, attrForm_ ? 1 : 5);
    expectOutputs("Slice", out, 1);
    const TensorView& X = in[0];
    expectSameType("Slice", "output", out[0], X);
    SmallInts starts = starts_, ends = ends_, axes = axes_, steps;
    if (!attrForm_) {
      starts = intsOf("Slice", "starts", in[1]);
      ends = intsOf("Slice", "ends", in[2]);
      if (present(in, 3)) axes = intsOf("Slice", "axes", in[3]);
      if (present(in, 4)) steps = intsOf("Slice", "steps", in[4]);
    }
    const int r = X.shape.rank;
    if (starts.size() != ends.size()) fail("Slice: starts and ends have different lengths");
    if (axes.empty())
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (axes.size() != starts.size() || steps.size() != starts.size())
      fail("Slice: starts, ends, axes and steps must have the same length");
    int64_t start[kMaxRank], step[kMaxRank];
    Shape want = X.shape;
    bool seen[kMaxRank] = {false};
    for (int d = 0; d < r; ++d) {
      start[d] = 0;
      step[d] = 1;
    }
    for (size_t i = 0; i < starts.size(); ++i) {
      const int ax = normAxis("Slice", axes[i], r, "axes entry");
      if (seen[ax]) fail("Slice: axis " + std::to_string(ax) + " is repeated");
      seen[ax] = true;
      const int64_t dim = X.shape.d[ax], s = steps[i];
      if (s == 0) fail("Slice: steps must not be 0");
      int64_t b = starts[i], e = ends[i];
      if (b < 0) b += dim;
      if (e < 0) e += dim;
      int64_t count;
      if (s > 0) {
        b = std::clamp<int64_t>(b, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        count = e > b ? (e - b + s - 1) / s : 0;
      } else {
        b = std::clamp<int64_t>(b, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        count = b > e ? (b - e + (-s) - 1) / (-s) : 0;
      }
      start[ax] = count ? b : 0;
      step[ax] = s;
      want.d[ax] = count;
    }
    expectShape("Slice", "output", out[0].shape, want);
    int64_t st[kMaxRank];
    stridesOf(X.shape, st);
    stridedCopy(static_cast<const uint8_t*>(X.data), st, start, step, want, elemSize(X.type), static_cast<uint8_t*>(out[0].data), maxThreads);
  }

 private:
  bool attrForm_ = false;
  std::vector<int64_t> starts_, ends_, axes_;
};

std::unique_ptr<Op> makeSlice(const OpContext& c) { return std::make_unique<SliceOp>(c); }

// ---- Gather / GatherElements ----------------------------------------------------------------

class GatherOp : public Op {
 public:
  explicit GatherOp(const OpContext& c) : axis_(c.attrs.getInt("axis", 0)) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs("Gather", in, 2, 2);
    expectOutputs("Gather", out, 1);
    const TensorView& X = in[0];
    const TensorView& I = in[1];
    expectSameType("Gather", "output", out[0], X);
    const int r = X.shape.rank;
    if (r == 0) fail("Gather: data must have rank >= 1");
    const int ax = normAxis("Gather", axis_, r);
    Shape want;
    for (int d = 0; d < ax; ++d) want.d[want.rank++] = X.shape.d[d];
    if (want.rank + I.shape.rank + (r - ax - 1) > kMaxRank) fail("Gather: output rank above 8");
    for (int d = 0; d < I.shape.rank; ++d) want.d[want.rank++] = I.shape.d[d];
    for (int d = ax + 1; d < r; ++d) want.d[want.rank++] = X.shape.d[d];
    expectShape("Gather", "output", out[0].shape, want);
    // Indices read in place (int64 or int32), checked first, so a run allocates nothing.
    if (I.type != ElemType::kS64 && I.type != ElemType::kS32) fail(std::string("Gather: indices must be int64 or int32, got ") + typeName(I.type));
    const bool i64 = I.type == ElemType::kS64;
    const int64_t* i64p = i64 ? I.as<const int64_t>() : nullptr;
    const int32_t* i32p = i64 ? nullptr : I.as<const int32_t>();
    const int64_t dim = X.shape.d[ax];
    auto fixedAt = [&](size_t k) {
      const int64_t v = i64 ? i64p[k] : i32p[k];
      return v < 0 ? v + dim : v;
    };
    const size_t nIdx = static_cast<size_t>(I.shape.numel());
    for (size_t k = 0; k < nIdx; ++k) {
      const int64_t v = fixedAt(k);
      if (v < 0 || v >= dim)
        fail("Gather: index " + std::to_string(i64 ? i64p[k] : i32p[k]) + " is out of range for axis " + std::to_string(ax) + " of size " + std::to_string(dim));
    }
    size_t outer = 1, inner = 1;
    for (int d = 0; d < ax; ++d) outer *= static_cast<size_t>(X.shape.d[d]);
    for (int d = ax + 1; d < r; ++d) inner *= static_cast<size_t>(X.shape.d[d]);
    const size_t es = elemSize(X.type), blk = inner * es;
    const uint8_t* x = static_cast<const uint8_t*>(X.data);
    uint8_t* y = static_cast<uint8_t*>(out[0].data);
    parallelRange(outer * nIdx, std::max<size_t>(1, (kGrainCheap * 4) / std::max<size_t>(blk, 1)), maxThreads, [&](size_t b, size_t e) {
      for (size_t t = b; t < e; ++t) {
        const size_t o = t / nIdx, k = t % nIdx;
        std::memcpy(y + t * blk, x + (o * static_cast<size_t>(dim) + static_cast<size_t>(fixedAt(k))) * blk, blk);
      }
    });
  }

 private:
  int64_t axis_;
};

std::unique_ptr<Op> makeGather(const OpContext& c) { return std::make_unique<GatherOp>(c); }

class GatherElementsOp : public Op {
 public:
  explicit GatherElementsOp(const OpContext& c) : axis_(c.attrs.getInt("axis", 0)) {}
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs("GatherElements", in, 2, 2);
    expectOutputs("GatherElements", out, 1);
    const TensorView& X = in[0];
    const TensorView& I = in[1];
    expectSameType("GatherElements", "output", out[0], X);
    const int r = X.shape.rank;
    if (I.shape.rank != r) fail("GatherElements: indices must have the data's rank " + std::to_string(r));
    const int ax = normAxis("GatherElements", axis_, r);
    for (int d = 0; d < r; ++d)
      if (d != ax && I.shape.d[d] > X.shape.d[d])
        fail("GatherElements: indices shape " + I.shape.str() + " exceeds the data shape " + X.shape.str());
    expectShape("GatherElements", "output", out[0].shape, I.shape);
    const SmallInts idx = intsOf("GatherElements", "indices", I);
    const int64_t dim = X.shape.d[ax];
    for (int64_t v : idx)
      if (v < -dim || v >= dim)
        fail("GatherElements: index " + std::to_string(v) + " is out of range for axis " + std::to_string(ax) + " of size " + std::to_string(dim));
    int64_t st[kMaxRank];
    stridesOf(X.shape, st);
    const size_t es = elemSize(X.type), total = idx.size();
    const uint8_t* x = static_cast<const uint8_t*>(X.data);
    uint8_t* y = static_cast<uint8_t*>(out[0].data);
    const Shape is = I.shape;
    parallelRange(total, kGrainCheap, maxThreads, [&](size_t b, size_t e) {
      for (size_t t = b; t < e; ++t) {
        size_t rem = t;
        int64_t off = 0;
        for (int d = r - 1; d >= 0; --d) {
          const int64_t c = static_cast<int64_t>(rem % static_cast<size_t>(is.d[d]));
          rem /= static_cast<size_t>(is.d[d]);
          if (d == ax) {
            const int64_t v = idx[t];
            off += (v < 0 ? v + dim : v) * st[d];
          } else {
            off += c * st[d];
          }
        }
        std::memcpy(y + t * es, x + off * static_cast<int64_t>(es), es);
      }
    });
  }

 private:
  int64_t axis_;
};

std::unique_ptr<Op> makeGatherElements(const OpContext& c) { return std::make_unique<GatherElementsOp>(c); }

// ---- Pad ----------------------------------------------------------------------------------

class PadOp : public Op {
 public:
  explicit PadOp(const OpContext& c) {
    mode_ = c.attrs.getString("mode", "constant");
    if (mode_ != "constant" && mode_ != "reflect" && mode_ != "edge" && mode_ != "wrap")
      fail("Pad: mode must be constant, reflect, edge or wrap, got '" + mode_ + "'");
    if (c.attrs.has("pads")) {  // opset < 11
      attrForm_ = true;
      pads_ = c.attrs.getInts("pads");
      value_ = c.attrs.getFloat("value", 0.0);
    }
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs("Pad", in, attrForm_ ? 1 : 2, attrForm_ ? 1 : 4);
    expectOutputs("Pad", out, 1);
    const TensorView& X = in[0];
    expectSameType("Pad", "output", out[0], X);
    const int r = X.shape.rank;
    SmallInts pads = attrForm_ ? SmallInts(pads_) : intsOf("Pad", "pads", in[1]);
    SmallInts axes;
    if (!attrForm_ && present(in, 3)) axes = intsOf("Pad", "axes", in[3]);
    if (axes.empty())
      for (int d = 0; d < r; ++d) axes.push_back(d);
    if (pads.size() != 2 * axes.size())
      fail("Pad: pads has " + std::to_string(pads.size()) + " values, expected " + std::to_string(2 * axes.size()));
    int64_t begin[kMaxRank] = {0}, end[kMaxRank] = {0};
    for (size_t i = 0; i < axes.size(); ++i) {
      const int ax = normAxis("Pad", axes[i], r, "axes entry");
      begin[ax] = pads[i];
      end[ax] = pads[i + axes.size()];
    }
    Shape want = X.shape;
    for (int d = 0; d < r; ++d) {
      want.d[d] = X.shape.d[d] + begin[d] + end[d];
      if (want.d[d] < 0) fail("Pad: negative pads remove more than axis " + std::to_string(d) + " holds");
      if (mode_ != "constant" && X.shape.d[d] == 0 && want.d[d] > 0)
        fail("Pad: mode " + mode_ + " cannot pad an empty axis");
    }
    expectShape("Pad", "output", out[0].shape, want);
    const size_t es = elemSize(X.type);
    // The fill value as bytes of the element type.
    uint8_t fill[8] = {0};
    if (mode_ == "constant") {
      if (!attrForm_ && present(in, 2) && in[2].shape.numel() > 0) {
        if (in[2].type != X.type) fail("Pad: constant_value must have the data's type");
        std::memcpy(fill, in[2].data, es);
      } else if (attrForm_) {
        storeAs(X.type, value_, fill);
      }
    }
    const int64_t total = want.numel();
    if (total == 0) return;
    if (r == 0) {
      std::memcpy(out[0].data, X.data, es);
      return;
    }
    // Per-axis source index of each output index (-1: the constant).
    std::vector<std::vector<int64_t>> map(static_cast<size_t>(r));
    for (int d = 0; d < r; ++d) {
      const int64_t n = X.shape.d[d];
      map[d].resize(static_cast<size_t>(want.d[d]));
      for (int64_t o = 0; o < want.d[d]; ++o) {
        int64_t j = o - begin[d];
        if (j < 0 || j >= n) {
          if (mode_ == "constant") {
            j = -1;
          } else if (mode_ == "edge") {
            j = j < 0 ? 0 : n - 1;
          } else if (mode_ == "wrap") {
            j = ((j % n) + n) % n;
          } else if (n == 1) {
            j = 0;
          } else {
            const int64_t period = 2 * (n - 1);
            j = ((j % period) + period) % period;
            if (j >= n) j = period - j;
          }
        }
        map[d][static_cast<size_t>(o)] = j;
      }
    }
    int64_t st[kMaxRank];
    stridesOf(X.shape, st);
    const size_t inner = static_cast<size_t>(want.d[r - 1]);
    const size_t rows = static_cast<size_t>(total) / inner;
    const std::vector<int64_t>& lm = map[r - 1];
    // The run of the last axis that is a plain copy: output [lo, hi) <- input [lo - begin, ...).
    const int64_t lo = std::max<int64_t>(0, begin[r - 1]);
    const int64_t hi = std::min<int64_t>(want.d[r - 1], begin[r - 1] + X.shape.d[r - 1]);
    const uint8_t* x = static_cast<const uint8_t*>(X.data);
    uint8_t* y = static_cast<uint8_t*>(out[0].data);
    parallelRange(rows, std::max<size_t>(1, kGrainCheap / inner), maxThreads, [&](size_t b, size_t e) {
      for (size_t t = b; t < e; ++t) {
        size_t rem = t;
        int64_t off = 0;
        bool constRow = false;
        for (int d = r - 2; d >= 0; --d) {
          const int64_t c = static_cast<int64_t>(rem % static_cast<size_t>(want.d[d]));
          rem /= static_cast<size_t>(want.d[d]);
          const int64_t j = map[d][static_cast<size_t>(c)];
          if (j < 0) constRow = true;
          off += j * st[d];
        }
        uint8_t* o = y + t * inner * es;
        if (constRow) {
          fillElems(o, fill, inner, es);
          continue;
        }
        const uint8_t* src = x + off * static_cast<int64_t>(es);
        for (int64_t i = 0; i < lo && i < static_cast<int64_t>(inner); ++i) {
          const int64_t j = lm[static_cast<size_t>(i)];
          std::memcpy(o + i * es, j < 0 ? fill : src + j * static_cast<int64_t>(es), es);
        }
        if (hi > lo) std::memcpy(o + lo * es, src + (lo - begin[r - 1]) * static_cast<int64_t>(es), static_cast<size_t>(hi - lo) * es);
        for (int64_t i = std::max(hi, lo); i < static_cast<int64_t>(inner); ++i) {
          const int64_t j = lm[static_cast<size_t>(i)];
          std::memcpy(o + i * es, j < 0 ? fill : src + j * static_cast<int64_t>(es), es);
        }
      }
    });
  }

 private:
  static void storeAs(ElemType t, double v, uint8_t* p) {
    switch (t) {
      case ElemType::kF32: {
        const float f = static_cast<float>(v);
        std::memcpy(p, &f, 4);
        break;
      }
      case ElemType::kF64: std::memcpy(p, &v, 8); break;
      case ElemType::kS32: {
        const int32_t i = static_cast<int32_t>(v);
        std::memcpy(p, &i, 4);
        break;
      }
      case ElemType::kS64: {
        const int64_t i = static_cast<int64_t>(v);
        std::memcpy(p, &i, 8);
        break;
      }
      case ElemType::kU8: *p = static_cast<uint8_t>(v); break;
      case ElemType::kS8: *p = static_cast<uint8_t>(static_cast<int8_t>(v)); break;
      case ElemType::kBool: *p = v != 0; break;
    }
  }

  std::string mode_;
  bool attrForm_ = false;
  std::vector<int64_t> pads_;
  double value_ = 0;
};

std::unique_ptr<Op> makePad(const OpContext& c) { return std::make_unique<PadOp>(c); }

// ---- Expand / Tile ------------------------------------------------------------------------

class ExpandOp : public Op {
 public:
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs("Expand", in, 2, 2);
    expectOutputs("Expand", out, 1);
    expectSameType("Expand", "output", out[0], in[0]);
    const Shape target = shapeOfDims(intsOf("Expand", "shape", in[1]));
    Shape want;
    try {
      want = broadcastShapes(in[0].shape, target);
    } catch (const std::invalid_argument&) {
      fail("Expand: input " + in[0].shape.str() + " does not broadcast with shape " + target.str());
    }
    expectShape("Expand", "output", out[0].shape, want);
    expandCopy("Expand", in[0], out[0], maxThreads);
  }
};

std::unique_ptr<Op> makeExpand(const OpContext&) { return std::make_unique<ExpandOp>(); }

class TileOp : public Op {
 public:
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs("Tile", in, 2, 2);
    expectOutputs("Tile", out, 1);
    const TensorView& X = in[0];
    expectSameType("Tile", "output", out[0], X);
    const SmallInts rep = intsOf("Tile", "repeats", in[1]);
    const int r = X.shape.rank;
    if (static_cast<int>(rep.size()) != r)
      fail("Tile: repeats has " + std::to_string(rep.size()) + " values, the input has rank " + std::to_string(r));
    Shape want = X.shape;
    for (int d = 0; d < r; ++d) {
      if (rep[d] < 0) fail("Tile: repeats must be >= 0");
      want.d[d] = X.shape.d[d] * rep[d];
    }
    expectShape("Tile", "output", out[0].shape, want);
    const int64_t total = want.numel();
    if (total == 0) return;
    if (r == 0) {
      std::memcpy(out[0].data, X.data, elemSize(X.type));
      return;
    }
    const size_t es = elemSize(X.type);
    int64_t st[kMaxRank];
    stridesOf(X.shape, st);
    const size_t inner = static_cast<size_t>(want.d[r - 1]), xin = static_cast<size_t>(X.shape.d[r - 1]);
    const size_t rows = static_cast<size_t>(total) / inner;
    const uint8_t* x = static_cast<const uint8_t*>(X.data);
    uint8_t* y = static_cast<uint8_t*>(out[0].data);
    parallelRange(rows, std::max<size_t>(1, kGrainCheap / inner), maxThreads, [&](size_t b, size_t e) {
      for (size_t t = b; t < e; ++t) {
        size_t rem = t;
        int64_t off = 0;
        for (int d = r - 2; d >= 0; --d) {
          const int64_t c = static_cast<int64_t>(rem % static_cast<size_t>(want.d[d]));
          rem /= static_cast<size_t>(want.d[d]);
          off += (c % X.shape.d[d]) * st[d];
        }
        uint8_t* o = y + t * inner * es;
        for (size_t k = 0; k < inner; k += xin) std::memcpy(o + k * es, x + off * static_cast<int64_t>(es), xin * es);
      }
    });
  }
};

std::unique_ptr<Op> makeTile(const OpContext&) { return std::make_unique<TileOp>(); }

// ---- Cast ---------------------------------------------------------------------------------

// ONNX TensorProto data type codes.
bool elemOfOnnx(int64_t code, ElemType* t) {
  switch (code) {
    case 1: *t = ElemType::kF32; return true;
    case 2: *t = ElemType::kU8; return true;
    case 3: *t = ElemType::kS8; return true;
    case 6: *t = ElemType::kS32; return true;
    case 7: *t = ElemType::kS64; return true;
    case 9: *t = ElemType::kBool; return true;
    case 11: *t = ElemType::kF64; return true;
    default: return false;
  }
}

// Float -> integer as onnxruntime on x86 (a truncating conversion whose NaN / out-of-range
// result is the integer indefinite value): int64 from the 64-bit conversion, every narrower
// type the low bits of the 32-bit conversion.
template <class D>
D floatToInt(double v) {
  if constexpr (sizeof(D) == 8) {
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return std::numeric_limits<int64_t>::min();
    return static_cast<D>(v);
  } else {
    int32_t i = std::numeric_limits<int32_t>::min();
    if (v > -2147483649.0 && v < 2147483648.0) i = static_cast<int32_t>(v);
    return static_cast<D>(static_cast<uint32_t>(i));
  }
}

template <class S, class D>
void castLoop(const S* x, D* y, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const S v = x[i];
    if constexpr (std::is_same_v<D, bool>) {
      y[i] = v != S(0);
    } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
      y[i] = floatToInt<D>(static_cast<double>(v));
    } else if constexpr (std::is_integral_v<S> && std::is_integral_v<D>) {
      using U = std::make_unsigned_t<D>;
      y[i] = static_cast<D>(static_cast<U>(v));  // two's complement truncation / extension
    } else {
      y[i] = static_cast<D>(v);
    }
  }
}

template <class F>
void dispatchAll(ElemType t, F&& f) {
  switch (t) {
    case ElemType::kF32: return f(float{});
    case ElemType::kF64: return f(double{});
    case ElemType::kS32: return f(int32_t{});
    case ElemType::kS64: return f(int64_t{});
    case ElemType::kU8: return f(uint8_t{});
    case ElemType::kS8: return f(int8_t{});
    case ElemType::kBool: return f(bool{});
  }
}

void castTensor(const TensorView& X, const TensorView& Y, int maxThreads) {
  if (X.type == Y.type) {
    parallelCopy(Y.data, X.data, X.bytes(), maxThreads);
    return;
  }
  const size_t n = static_cast<size_t>(X.shape.numel());
  dispatchAll(X.type, [&](auto s) {
    using S = decltype(s);
    dispatchAll(Y.type, [&](auto d) {
      using D = decltype(d);
      if constexpr (std::is_same_v<S, bool>) {
        const uint8_t* x = X.as<const uint8_t>();
        D* y = reinterpret_cast<D*>(Y.data);
        parallelRange(n, kGrainCheap, maxThreads, [&](size_t b, size_t e) {
          for (size_t i = b; i < e; ++i) y[i] = static_cast<D>(x[i] != 0);
        });
      } else if constexpr (std::is_same_v<D, bool>) {
        const S* x = X.as<const S>();
        uint8_t* y = Y.as<uint8_t>();
        parallelRange(n, kGrainCheap, maxThreads, [&](size_t b, size_t e) {
          for (size_t i = b; i < e; ++i) y[i] = x[i] != S(0) ? 1 : 0;
        });
      } else {
        const S* x = X.as<const S>();
        D* y = Y.as<D>();
        parallelRange(n, kGrainCheap, maxThreads, [&](size_t b, size_t e) { castLoop(x + b, y + b, e - b); });
      }
    });
  });
}

class CastOp : public Op {
 public:
  CastOp(const OpContext& c, bool like) : like_(like) {
    if (!like) {
      const int64_t to = c.attrs.getInt("to");
      if (!elemOfOnnx(to, &to_)) fail("Cast: target type " + std::to_string(to) + " is not supported");
    }
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    const char* op = like_ ? "CastLike" : "Cast";
    expectInputs(op, in, like_ ? 2 : 1, like_ ? 2 : 1);
    expectOutputs(op, out, 1);
    const ElemType to = like_ ? in[1].type : to_;
    expectType(op, "output", out[0], to);
    expectShape(op, "output", out[0].shape, in[0].shape);
    castTensor(in[0], out[0], maxThreads);
  }

 private:
  bool like_;
  ElemType to_ = ElemType::kF32;
};

std::unique_ptr<Op> makeCast(const OpContext& c) { return std::make_unique<CastOp>(c, false); }
std::unique_ptr<Op> makeCastLike(const OpContext& c) { return std::make_unique<CastOp>(c, true); }

// ---- reshape-likes: copies unless the executor aliases output 0 with input 0 -----------------

enum class ReshapeKind { kReshape, kFlatten, kSqueeze, kUnsqueeze, kIdentity, kDropout };

class ReshapeLikeOp : public Op {
 public:
  ReshapeLikeOp(const OpContext& c, ReshapeKind k) : k_(k) {
    switch (k) {
      case ReshapeKind::kReshape: allowzero_ = c.attrs.getInt("allowzero", 0) != 0; break;
      case ReshapeKind::kFlatten: axis_ = c.attrs.getInt("axis", 1); break;
      case ReshapeKind::kSqueeze:
      case ReshapeKind::kUnsqueeze:
        if (c.attrs.has("axes")) {  // opset < 13
          axes_ = c.attrs.getInts("axes");
          attrAxes_ = true;
        }
        break;
      default: break;
    }
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    const char* op = name();
    if (in.empty() || (!in[0].data && in[0].shape.numel() != 0)) fail(std::string(op) + ": input 0 is required");
    expectOutputs(op, out, 1);
    const TensorView& X = in[0];
    expectSameType(op, "output", out[0], X);
    expectShape(op, "output", out[0].shape, expected(in));
    if (k_ == ReshapeKind::kDropout) {
      // Inference only: training_mode (input 2) must be false unless the ratio (input 1) is 0.
      const bool training = present(in, 2) && in[2].data && *static_cast<const uint8_t*>(in[2].data) != 0;
      double ratio = 0.5;
      if (present(in, 1) && in[1].data) {
        if (in[1].type == ElemType::kF32) ratio = *in[1].as<const float>();
        if (in[1].type == ElemType::kF64) ratio = *in[1].as<const double>();
      }
      if (training && ratio != 0) fail("Dropout: training_mode with a non-zero ratio is not supported (inference only)");
    }
    parallelCopy(out[0].data, X.data, X.bytes(), maxThreads);
    if (k_ == ReshapeKind::kDropout && out.size() > 1 && out[1].data) {
      expectType(op, "mask", out[1], ElemType::kBool);
      std::memset(out[1].data, 1, out[1].bytes());
    }
  }
  int inplaceInput(int o) const override { return o == 0 ? 0 : -1; }

 private:
  const char* name() const {
    static const char* n[] = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"};
    return n[static_cast<int>(k_)];
  }
  Shape expected(const std::vector<TensorView>& in) const {
    const char* op = name();
    const Shape& s = in[0].shape;
    switch (k_) {
      case ReshapeKind::kReshape: {
        if (in.size() < 2 || !present(in, 1)) fail("Reshape: the shape input is required");
        const SmallInts t = intsOf(op, "shape", in[1]);
        SmallInts d;
        d.resize(t.size());
        int infer = -1;
        int64_t known = 1;
        for (size_t i = 0; i < t.size(); ++i) {
          if (t[i] == -1) {
            if (infer >= 0) fail("Reshape: more than one -1 in the shape");
            infer = static_cast<int>(i);
            continue;
          }
          if (t[i] < -1) fail("Reshape: invalid dimension " + std::to_string(t[i]));
          if (t[i] == 0 && !allowzero_) {
            if (static_cast<int>(i) >= s.rank) fail("Reshape: a 0 in the shape refers to a missing input dimension");
            d[i] = s.d[i];
          } else {
            d[i] = t[i];
          }
          known *= d[i];
        }
        if (infer >= 0) {
          if (known == 0 || s.numel() % known != 0) fail("Reshape: cannot infer the -1 dimension of " + std::to_string(s.numel()) + " elements");
          d[infer] = s.numel() / known;
        }
        const Shape w = shapeOfDims(d);
        if (w.numel() != s.numel()) fail("Reshape: shape " + w.str() + " does not hold the input's " + std::to_string(s.numel()) + " elements");
        return w;
      }
      case ReshapeKind::kFlatten: {
        const int ax = axis_ == s.rank ? s.rank : normAxis(op, axis_, s.rank);
        int64_t a = 1, b = 1;
        for (int i = 0; i < s.rank; ++i) (i < ax ? a : b) *= s.d[i];
        return Shape{a, b};
      }
      case ReshapeKind::kSqueeze: {
        SmallInts axes = axes_;
        if (!attrAxes_ && present(in, 1)) axes = intsOf(op, "axes", in[1]);
        bool drop[kMaxRank] = {false};
        if (axes.empty()) {
          for (int i = 0; i < s.rank; ++i) drop[i] = s.d[i] == 1;
        } else {
          for (int64_t a : axes) {
            const int ax = normAxis(op, a, s.rank, "axes entry");
            if (s.d[ax] != 1) fail("Squeeze: axis " + std::to_string(ax) + " has size " + std::to_string(s.d[ax]) + ", not 1");
            drop[ax] = true;
          }
        }
        Shape w;
        for (int i = 0; i < s.rank; ++i)
          if (!drop[i]) w.d[w.rank++] = s.d[i];
        return w;
      }
      case ReshapeKind::kUnsqueeze: {
        SmallInts axes = axes_;
        if (!attrAxes_) {
          if (!present(in, 1)) fail("Unsqueeze: the axes input is required");
          axes = intsOf(op, "axes", in[1]);
        }
        const int r = s.rank + static_cast<int>(axes.size());
        if (r > kMaxRank) fail("Unsqueeze: rank above 8");
        bool ins[kMaxRank] = {false};
        for (int64_t a : axes) {
          const int ax = normAxis(op, a, r, "axes entry");
          if (ins[ax]) fail("Unsqueeze: axis " + std::to_string(ax) + " is repeated");
          ins[ax] = true;
        }
        Shape w;
        w.rank = r;
        for (int i = 0, j = 0; i < r; ++i) w.d[i] = ins[i] ? 1 : s.d[j++];
        return w;
      }
      default: return s;
    }
  }

  ReshapeKind k_;
  bool allowzero_ = false;
  int64_t axis_ = 1;
  std::vector<int64_t> axes_;
  bool attrAxes_ = false;
};

template <ReshapeKind K>
std::unique_ptr<Op> makeReshapeLike(const OpContext& c) {
  return std::make_unique<ReshapeLikeOp>(c, K);
}

// ---- Range / ConstantOfShape / Shape / Size ----------------------------------------------------

class RangeOp : public Op {
 public:
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int) const override {
    expectInputs("Range", in, 3, 3);
    expectOutputs("Range", out, 1);
    const ElemType t = in[0].type;
    for (int i = 1; i < 3; ++i) expectSameType("Range", i == 1 ? "limit" : "delta", in[i], in[0]);
    expectSameType("Range", "output", out[0], in[0]);
    for (int i = 0; i < 3; ++i)
      if (in[i].shape.numel() != 1) fail("Range: start, limit and delta must be scalars");
    auto body = [&](auto tag) {
      using T = decltype(tag);
      const T start = *in[0].as<const T>(), limit = *in[1].as<const T>(), delta = *in[2].as<const T>();
      if (delta == T(0)) fail("Range: delta must not be 0");
      const double cnt = std::ceil((static_cast<double>(limit) - static_cast<double>(start)) / static_cast<double>(delta));
      const int64_t n = cnt > 0 ? static_cast<int64_t>(cnt) : 0;
      expectShape("Range", "output", out[0].shape, Shape{n});
      // Accumulated as the ONNX function body (and onnxruntime) define it: v, v + d, ...
      T v = start;
      T* y = out[0].as<T>();
      for (int64_t i = 0; i < n; ++i) {
        y[i] = v;
        v = static_cast<T>(v + delta);
      }
    };
    switch (t) {
      case ElemType::kF32: return body(float{});
      case ElemType::kF64: return body(double{});
      case ElemType::kS32: return body(int32_t{});
      case ElemType::kS64: return body(int64_t{});
      default: fail(std::string("Range: element type ") + typeName(t) + " is not supported");
    }
  }
};

std::unique_ptr<Op> makeRange(const OpContext&) { return std::make_unique<RangeOp>(); }

class ConstantOfShapeOp : public Op {
 public:
  explicit ConstantOfShapeOp(const OpContext& c) {
    const Attr* v = c.attrs.tensor("value");
    if (v) {
      if (v->tensorShape.numel() != 1) fail("ConstantOfShape: value must hold one element");
      type_ = v->tensorType;
      std::memcpy(value_, v->tensorData.data(), elemSize(type_));
    }
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    expectInputs("ConstantOfShape", in, 1, 1);
    expectOutputs("ConstantOfShape", out, 1);
    expectType("ConstantOfShape", "output", out[0], type_);
    expectShape("ConstantOfShape", "output", out[0].shape, shapeOfDims(intsOf("ConstantOfShape", "input", in[0])));
    const size_t n = static_cast<size_t>(out[0].shape.numel()), es = elemSize(type_);
    uint8_t* y = static_cast<uint8_t*>(out[0].data);
    parallelRange(n, kGrainCheap * 4, maxThreads, [&](size_t b, size_t e) { fillElems(y + b * es, value_, e - b, es); });
  }

 private:
  ElemType type_ = ElemType::kF32;
  uint8_t value_[8] = {0};
};

std::unique_ptr<Op> makeConstantOfShape(const OpContext& c) { return std::make_unique<ConstantOfShapeOp>(c); }

class ShapeOp : public Op {
 public:
  explicit ShapeOp(const OpContext& c) : start_(c.attrs.getInt("start", 0)) {
    if (c.attrs.has("end")) {
      end_ = c.attrs.getInt("end");
      hasEnd_ = true;
    }
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int) const override {
    if (in.empty()) fail("Shape: needs one input");
    expectOutputs("Shape", out, 1);
    const int r = in[0].shape.rank;
    int64_t b = start_ < 0 ? start_ + r : start_, e = hasEnd_ ? (end_ < 0 ? end_ + r : end_) : r;
    b = std::clamp<int64_t>(b, 0, r);
    e = std::clamp<int64_t>(e, 0, r);
    const int64_t n = std::max<int64_t>(0, e - b);
    expectType("Shape", "output", out[0], ElemType::kS64);
    expectShape("Shape", "output", out[0].shape, Shape{n});
    for (int64_t i = 0; i < n; ++i) out[0].as<int64_t>()[i] = in[0].shape.d[b + i];
  }

 private:
  int64_t start_, end_ = 0;
  bool hasEnd_ = false;
};

std::unique_ptr<Op> makeShape(const OpContext& c) { return std::make_unique<ShapeOp>(c); }

class SizeOp : public Op {
 public:
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int) const override {
    if (in.empty()) fail("Size: needs one input");
    expectOutputs("Size", out, 1);
    expectType("Size", "output", out[0], ElemType::kS64);
    expectShape("Size", "output", out[0].shape, Shape{});
    *out[0].as<int64_t>() = in[0].shape.numel();
  }
};

std::unique_ptr<Op> makeSize(const OpContext&) { return std::make_unique<SizeOp>(); }

// ---- DepthToSpace / SpaceToDepth: a transpose of a 6-D view ---------------------------------

class DepthSpaceOp : public Op {
 public:
  DepthSpaceOp(const OpContext& c, bool toSpace) : isa_(c.isa), toSpace_(toSpace) {
    b_ = c.attrs.getInt("blocksize");
    if (b_ < 1) fail(std::string(toSpace ? "DepthToSpace" : "SpaceToDepth") + ": blocksize must be >= 1");
    if (toSpace) {
      const std::string m = c.attrs.getString("mode", "DCR");
      if (m != "DCR" && m != "CRD") fail("DepthToSpace: mode must be DCR or CRD, got '" + m + "'");
      crd_ = m == "CRD";
    }
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    const char* op = toSpace_ ? "DepthToSpace" : "SpaceToDepth";
    expectInputs(op, in, 1, 1);
    expectOutputs(op, out, 1);
    const TensorView& X = in[0];
    expectSameType(op, "output", out[0], X);
    if (X.shape.rank != 4) fail(std::string(op) + ": the input must be 4-D, got " + X.shape.str());
    const int64_t N = X.shape.d[0], C = X.shape.d[1], H = X.shape.d[2], W = X.shape.d[3], b = b_;
    Shape view;
    int perm[6];
    Shape want;
    if (toSpace_) {
      if (C % (b * b) != 0) fail("DepthToSpace: channels " + std::to_string(C) + " are not divisible by blocksize^2");
      const int64_t c = C / (b * b);
      want = Shape{N, c, H * b, W * b};
      if (crd_) {
        view = Shape{N, c, b, b, H, W};
        const int p[6] = {0, 1, 4, 2, 5, 3};
        std::copy(p, p + 6, perm);
      } else {
        view = Shape{N, b, b, c, H, W};
        const int p[6] = {0, 3, 4, 1, 5, 2};
        std::copy(p, p + 6, perm);
      }
    } else {
      if (H % b != 0 || W % b != 0) fail("SpaceToDepth: height and width must be divisible by the blocksize");
      want = Shape{N, C * b * b, H / b, W / b};
      view = Shape{N, C, H / b, b, W / b, b};
      const int p[6] = {0, 3, 5, 1, 2, 4};
      std::copy(p, p + 6, perm);
    }
    expectShape(op, "output", out[0].shape, want);
    transposeAny(f32Kernels(isa_), X.data, view, perm, elemSize(X.type), out[0].data, maxThreads);
  }

 private:
  Isa isa_;
  bool toSpace_;
  int64_t b_ = 1;
  bool crd_ = false;
};

std::unique_ptr<Op> makeDepthToSpace(const OpContext& c) { return std::make_unique<DepthSpaceOp>(c, true); }
std::unique_ptr<Op> makeSpaceToDepth(const OpContext& c) { return std::make_unique<DepthSpaceOp>(c, false); }

}  // namespace

QINT8_REGISTER_OP("", "Transpose", makeTranspose);
QINT8_REGISTER_OP("", "Concat", makeConcat);
QINT8_REGISTER_OP("", "Split", makeSplit);
QINT8_REGISTER_OP("", "Slice", makeSlice);
QINT8_REGISTER_OP("", "Gather", makeGather);
QINT8_REGISTER_OP("", "GatherElements", makeGatherElements);
QINT8_REGISTER_OP("", "Pad", makePad);
QINT8_REGISTER_OP("", "Expand", makeExpand);
QINT8_REGISTER_OP("", "Tile", makeTile);
QINT8_REGISTER_OP("", "Cast", makeCast);
QINT8_REGISTER_OP("", "CastLike", makeCastLike);
QINT8_REGISTER_OP("", "Reshape", makeReshapeLike<ReshapeKind::kReshape>);
QINT8_REGISTER_OP("", "Flatten", makeReshapeLike<ReshapeKind::kFlatten>);
QINT8_REGISTER_OP("", "Squeeze", makeReshapeLike<ReshapeKind::kSqueeze>);
QINT8_REGISTER_OP("", "Unsqueeze", makeReshapeLike<ReshapeKind::kUnsqueeze>);
QINT8_REGISTER_OP("", "Identity", makeReshapeLike<ReshapeKind::kIdentity>);
QINT8_REGISTER_OP("", "Dropout", makeReshapeLike<ReshapeKind::kDropout>);
QINT8_REGISTER_OP("", "Range", makeRange);
QINT8_REGISTER_OP("", "ConstantOfShape", makeConstantOfShape);
QINT8_REGISTER_OP("", "Shape", makeShape);
QINT8_REGISTER_OP("", "Size", makeSize);
QINT8_REGISTER_OP("", "DepthToSpace", makeDepthToSpace);
QINT8_REGISTER_OP("", "SpaceToDepth", makeSpaceToDepth);

}  // namespace qint8
