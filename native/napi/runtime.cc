// Binding: CPU report, ISA selection, thread pool settings, peak measurement.
#include "args.h"
#include "module.h"
#include "qint8/cpu.h"
#include "qint8/gemm.h"
#include "qint8/runner.h"
#include "qint8/threadpool.h"

using namespace qint8;

namespace qint8napi {
namespace {

Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CpuFeatures& f = cpuFeatures();
  Napi::Object o = Napi::Object::New(env);
  o.Set("arch", f.arch);
  o.Set("vendor", f.vendor);
  o.Set("brand", f.brand);
  Napi::Object feat = Napi::Object::New(env);
  feat.Set("sse41", f.sse41);
  feat.Set("avx", f.avx);
  feat.Set("avx2", f.avx2);
  feat.Set("fma", f.fma);
  feat.Set("f16c", f.f16c);
  feat.Set("avx512f", f.avx512f);
  feat.Set("avx512bw", f.avx512bw);
  feat.Set("avx512vl", f.avx512vl);
  feat.Set("avx512dq", f.avx512dq);
  feat.Set("avx512vnni", f.avx512vnni);
  feat.Set("avx512vbmi", f.avx512vbmi);
  feat.Set("avxvnni", f.avxvnni);
  feat.Set("neon", f.neon);
  feat.Set("dotprod", f.dotprod);
  feat.Set("i8mm", f.i8mm);
  o.Set("features", feat);
  Napi::Array isas = Napi::Array::New(env);
  uint32_t n = 0;
  for (int i = 0; i < kIsaCount; ++i)
    if (isaSupported(static_cast<Isa>(i))) isas.Set(n++, isaName(static_cast<Isa>(i)));
  o.Set("supportedIsas", isas);
  o.Set("bestIsa", isaName(bestIsa()));
  o.Set("activeIsa", isaName(activeIsa()));
  o.Set("isaEnvError", isaEnvError());
  o.Set("threads", ThreadPool::global().numThreads());
  return o;
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  setActiveIsa(isaArg(info, 0));
  return Napi::String::New(info.Env(), isaName(activeIsa()));
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  ThreadPool::global().setNumThreads(static_cast<int>(intArg(info, 0, "threads", 1, 1024)));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ThreadPool::global().numThreads());
}

Napi::Value SetSpinMicros(const Napi::CallbackInfo& info) {
  const int us = static_cast<int>(intArg(info, 0, "spinMicros", 0, 1000000));
  ThreadPool::global().setSpinMicros(us);
  return info.Env().Undefined();
}

Napi::Value SetRunnerSpinMicros(const Napi::CallbackInfo& info) {
  Runner::global().setSpinMicros(static_cast<int>(intArg(info, 0, "runnerSpinMicros", 0, 1000000)));
  return info.Env().Undefined();
}

Napi::Value MeasurePeak(const Napi::CallbackInfo& info) {
  const Isa isa = isaArg(info, 0);
  const double ms = numberArg(info, 1, "ms");
  if (!(ms > 0 && ms <= 10000)) throwRange(info.Env(), "ms must be in (0, 10000]");
  return Napi::Number::New(info.Env(), measurePeakGops(isa, ms));
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(runtime) {
  using namespace qint8napi;
  exportFunction(env, exports, "cpuInfo", CpuInfo);
  exportFunction(env, exports, "setIsa", SetIsa);
  exportFunction(env, exports, "setNumThreads", SetNumThreads);
  exportFunction(env, exports, "getNumThreads", GetNumThreads);
  exportFunction(env, exports, "setSpinMicros", SetSpinMicros);
  exportFunction(env, exports, "setRunnerSpinMicros", SetRunnerSpinMicros);
  exportFunction(env, exports, "measurePeakGops", MeasurePeak);
}
