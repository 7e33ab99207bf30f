// qint8 binding entry point: creates the per-environment state and runs every registered module
// (napi/*.cc). Context-aware: each Node environment (main thread, each worker) gets its own.
#include <napi.h>

#include <vector>

#include "module.h"

namespace qint8napi {

namespace {
struct Entry {
  const char* name;
  ModuleInit init;
};
std::vector<Entry>& registry() {
  static std::vector<Entry> r;
  return r;
}
}  // namespace

ModuleRegistrar::ModuleRegistrar(const char* name, ModuleInit init) { registry().push_back({name, init}); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonState());
  for (const Entry& e : registry()) e.init(env, exports);
  return exports;
}

}  // namespace qint8napi

using qint8napi::Init;
NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
