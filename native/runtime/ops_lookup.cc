// qint8 — engine op qint8::Lookup: y[i] = table[byte(x[i])], a 256-entry table built at compile
// time (lib/graph/passes/qdq.ts builds it for a "dequantize -> unary op -> quantize" chain or a
// requantization). Any layout; the output may share the input's memory.
#include <cstring>
#include <stdexcept>

#include "qint8/lut.h"
#include "qint8/op.h"

namespace qint8 {
namespace {

class LookupOp : public Op {
 public:
  explicit LookupOp(const OpContext& c) : isa_(c.isa) {
    if (c.constants.size() < 2 || !c.constants[1].data) throw std::invalid_argument("table must be a constant (initializer)");
    const TensorView& t = c.constants[1];
    if ((t.type != ElemType::kU8 && t.type != ElemType::kS8) || t.shape.numel() != 256)
      throw std::invalid_argument("table must be 256 uint8 or int8 entries");
    std::memcpy(table_, t.data, 256);
    outType_ = t.type;
  }
  void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void*, int maxThreads) const override {
    const TensorView& x = in[0];
    if (x.type != ElemType::kU8 && x.type != ElemType::kS8) throw std::invalid_argument("Lookup input must be uint8 or int8");
    if (out[0].type != outType_) throw std::invalid_argument("Lookup output type must be the table's");
    if (out[0].shape.numel() != x.shape.numel()) throw std::invalid_argument("Lookup output must have the input's size");
    applyLookupTable(isa_, table_, static_cast<const uint8_t*>(x.data), static_cast<size_t>(x.shape.numel()), static_cast<uint8_t*>(out[0].data),
                     maxThreads);
  }
  int inplaceInput(int outputIndex) const override { return outputIndex == 0 ? 0 : -1; }

 private:
  Isa isa_;
  ElemType outType_;
  uint8_t table_[256];
};

std::unique_ptr<Op> makeLookup(const OpContext& c) { return std::make_unique<LookupOp>(c); }

}  // namespace

QINT8_REGISTER_OP("qint8", "Lookup", makeLookup);

}  // namespace qint8
