// qint8 — reference col2im sum + output stage of ConvTranspose (the spec of the SIMD versions).
#include "qint8/requant.h"
#include "../../runtime/conv_kernels.h"

namespace qint8 {
namespace {

void refSumStage(const int32_t* const* rows, int nrows, int n, const GemmEpilogue& ep, void* out) {
  for (int j = 0; j < n; ++j) {
    uint32_t s = static_cast<uint32_t>(ep.bias32 ? ep.bias32[j] : 0);  // wraps like the accumulator
    for (int r = 0; r < nrows; ++r) s += static_cast<uint32_t>(rows[r][j]);
    const int32_t acc = static_cast<int32_t>(s);
    switch (ep.kind) {
      case GemmOut::kU8:
        static_cast<uint8_t*>(out)[j] = static_cast<uint8_t>(requantize(acc, ep.scale[j], ep.zeroPoint, ep.lo, ep.hi));
        break;
      case GemmOut::kS8:
        static_cast<int8_t*>(out)[j] = static_cast<int8_t>(requantize(acc, ep.scale[j], ep.zeroPoint, ep.lo, ep.hi));
        break;
      case GemmOut::kF32:
        static_cast<float*>(out)[j] = dequantizeAcc(acc, ep.scale[j], ep.biasF ? ep.biasF[j] : 0.0f);
        break;
      case GemmOut::kS32:
        static_cast<int32_t*>(out)[j] = acc;
        break;
    }
  }
}

const Col2imKernelTable kTable = {Isa::kScalar, refSumStage};

}  // namespace

const Col2imKernelTable* col2imKernelsRef() { return &kTable; }

}  // namespace qint8
