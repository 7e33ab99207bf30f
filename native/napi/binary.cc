// Binding: quantized add / mul with broadcasting (QLinearAdd / QLinearMul).
#include "module.h"
#include "ops_args.h"
#include "qint8/binary.h"

using namespace qint8;

namespace qint8napi {
namespace {

// binary(op: 0 add | 1 mul, dtype, a, aShape, b, bShape, aScale, aZp, bScale, bZp, cScale, cZp,
//        relu, out, isa?)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BinaryConfig cfg;
  cfg.op = static_cast<BinaryOp>(intArg(info, 0, "op", 0, 1));
  cfg.type = qTypeArg(info, 1, "dtype");
  const ArrayView a = qArrayArg(info, 2, cfg.type, "a");
  const std::vector<int64_t> aShape = intListArg(info, 3, "a.shape", 0, INT64_C(1) << 40, kMaxBinaryRank);
  const ArrayView b = qArrayArg(info, 4, cfg.type, "b");
  const std::vector<int64_t> bShape = intListArg(info, 5, "b.shape", 0, INT64_C(1) << 40, kMaxBinaryRank);
  cfg.a = qparamsArg(info, 6, "a");
  cfg.b = qparamsArg(info, 8, "b");
  cfg.c = qparamsArg(info, 10, "output");
  cfg.relu = info[12].ToBoolean();
  const ArrayView c = qArrayArg(info, 13, cfg.type, "out");
  const Isa isa = isaArg(info, 14);
  checkLength(env, a, shapeSize(aShape), "a");
  checkLength(env, b, shapeSize(bShape), "b");
  const std::vector<int64_t> outShape = guard(env, [&] { return broadcastShape(aShape, bShape); });
  checkLength(env, c, shapeSize(outShape), "out");
  guard(env, [&] { qlinearBinary(isa, cfg, a.data, aShape, b.data, bShape, c.data); });
  return info[13];
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(binary) {
  using namespace qint8napi;
  exportFunction(env, exports, "binary", Binary);
}
