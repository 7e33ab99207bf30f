// qint8 — structural int8 ops: Pad and Concat on N-D byte tensors (row-major). Pure data movement
// (memcpy / memset, which the C library vectorizes), except for Concat inputs whose qparams differ
// from the output's: those go through a requantization table (QLinearConcat semantics, using the
// ISA's lookup kernel).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "qint8/common.h"
#include "qint8/linear.h"

namespace qint8 {

enum class PadMode : int { kConstant = 0, kReflect = 1, kEdge = 2 };

constexpr int kMaxPadRank = 8;

// y (shape[i] + begin[i] + end[i] per axis) = pad(x). constant: the byte `value` (the zero point
// of the tensor for a zero pad); reflect: mirror without repeating the edge (pads < dim);
// edge: repeat the edge. Throws std::invalid_argument naming the axis for bad pads.
void pad(const std::vector<int64_t>& shape, const std::vector<int64_t>& begin, const std::vector<int64_t>& end,
         PadMode mode, uint8_t value, const void* x, void* y, int maxThreads = 0);

struct ConcatInput {
  const void* data = nullptr;
  std::vector<int64_t> shape;
  QParams q;
};

// Concatenation along `axis` (0 <= axis < rank); every input has the output's dtype. Inputs whose
// (scale, zeroPoint) equal the output's are copied, the others requantized by the table
// quantize(dequantize(x)). Throws std::invalid_argument for mismatched shapes or bad qparams.
void concat(Isa isa, const std::vector<ConcatInput>& inputs, int axis, DType type, const QParams& out, void* y,
            int maxThreads = 0);

}  // namespace qint8
