// Binding: the float32 kernels' process-level helpers (the ops themselves run through the engine
// op registry: createOp / runOp in ops.cc).
#include "args.h"
#include "module.h"
#include "qint8/sgemm.h"

using namespace qint8;

namespace qint8napi {
namespace {

// measureFmaPeakGflops(isa, ms): float32 FMA peak of one core, GFLOPS.
Napi::Value MeasureFmaPeak(const Napi::CallbackInfo& info) {
  const Isa isa = isaArg(info, 0);
  const double ms = numberArg(info, 1, "ms");
  if (!(ms > 0 && ms <= 10000)) throwRange(info.Env(), "ms must be in (0, 10000]");
  return Napi::Number::New(info.Env(), measureFmaPeakGflops(isa, ms));
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(fp32) {
  using namespace qint8napi;
  exportFunction(env, exports, "measureFmaPeakGflops", MeasureFmaPeak);
}
