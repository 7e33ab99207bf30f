// qint8 binding — module registry. Each napi/*.cc file registers the functions it exports with
// QINT8_NAPI_MODULE(name) { ... } and keeps per-environment state in AddonState (the addon is
// context-aware: one AddonState per Node environment, i.e. per worker thread).
#pragma once
#include <napi.h>

#include <map>
#include <memory>
#include <string>

namespace qint8napi {

struct AddonState {
  // Constructors of the ObjectWrap classes, by class name.
  std::map<std::string, Napi::FunctionReference> ctors;
  // plan.cc's RunContext (runs in flight on the runner threads; settles awaited runs), made on
  // first use.
  std::shared_ptr<void> runContext;
};

inline AddonState& state(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

using ModuleInit = void (*)(Napi::Env env, Napi::Object exports);

struct ModuleRegistrar {
  ModuleRegistrar(const char* name, ModuleInit init);
};

// Adds a JS function to exports.
inline void exportFunction(Napi::Env env, Napi::Object exports, const char* name, Napi::Function::Callback cb) {
  exports.Set(name, Napi::Function::New(env, cb, name));
}

}  // namespace qint8napi

#define QINT8_NAPI_CAT2(a, b) a##b
#define QINT8_NAPI_CAT(a, b) QINT8_NAPI_CAT2(a, b)
#define QINT8_NAPI_MODULE(name)                                                               \
  static void QINT8_NAPI_CAT(qint8_init_, name)(Napi::Env env, Napi::Object exports);        \
  static ::qint8napi::ModuleRegistrar QINT8_NAPI_CAT(qint8_reg_, name)(#name,                \
                                                                      QINT8_NAPI_CAT(qint8_init_, name)); \
  static void QINT8_NAPI_CAT(qint8_init_, name)(Napi::Env env, Napi::Object exports)
