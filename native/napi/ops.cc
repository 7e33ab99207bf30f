// Binding: generic access to registered engine ops (createOp / runOp / registeredOps), used by
// the tests of individual ops and by tools; the plan executor calls the same registry natively.
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "handle.h"
#include "module.h"
#include "qint8/op.h"
#include "tensor_args.h"
#include "../runtime/aligned.h"

using namespace qint8;

namespace qint8napi {
namespace {

struct EngineOp {
  std::unique_ptr<Op> op;
};

struct OpTraits {
  using Op = EngineOp;
  static constexpr const char* kName = "EngineOp";
  static constexpr const char* kFactory = "createOp";
  static constexpr const char* kWhat = "engine op";
  static constexpr napi_type_tag kTag = {0x71696e7438ULL, 0x456e674f70000001ULL};
  template <typename Props>
  static void addAccessors(Props&) {}
};
using OpHandleT = OpHandle<OpTraits>;

// createOp(domain, name, attrs, inputs: ({type, shape, data} | null | {type, shape} (non-constant) | undefined (omitted))[], isa?)
Napi::Value CreateOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string domain = stringArg(info, 0, "domain");
  const std::string name = stringArg(info, 1, "name");
  OpContext ctx;
  ctx.attrs = attrsArg(env, info[2]);
  if (!info[3].IsArray()) throwType(env, "inputs must be an array");
  Napi::Array ins = info[3].As<Napi::Array>();
  for (uint32_t i = 0; i < ins.Length(); ++i) {
    Napi::Value v = ins.Get(i);
    TensorView t;
    const bool present = opInputArg(env, v, ("inputs[" + std::to_string(i) + "]").c_str(), &t);
    ctx.constants.push_back(t);
    ctx.inputPresent.push_back(present);
  }
  ctx.isa = isaArg(info, 4);
  auto op = guard(env, [&] { return createOp(domain, name, ctx); });
  auto holder = std::make_shared<EngineOp>();
  holder->op = std::move(op);
  return OpHandleT::Wrap(env, holder);
}

thread_local Scratch tOpScratch;

// runOp(handle, inputs: ({type, shape, data} | undefined)[], outputs: {type, shape, data}[], maxThreads?)
Napi::Value RunOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto h = OpHandleT::From(env, info[0]);
  if (!info[1].IsArray() || !info[2].IsArray()) throwType(env, "inputs and outputs must be arrays");
  Napi::Array ins = info[1].As<Napi::Array>(), outs = info[2].As<Napi::Array>();
  std::vector<TensorView> in, out;
  for (uint32_t i = 0; i < ins.Length(); ++i) {
    Napi::Value v = ins.Get(i);
    in.push_back(v.IsUndefined() || v.IsNull() ? TensorView{} : tensorArg(env, v, ("inputs[" + std::to_string(i) + "]").c_str()));
  }
  for (uint32_t i = 0; i < outs.Length(); ++i) out.push_back(tensorArg(env, outs.Get(i), ("outputs[" + std::to_string(i) + "]").c_str()));
  const int maxThreads = info.Length() > 3 && !info[3].IsUndefined() ? static_cast<int>(intArg(info, 3, "maxThreads", 0, 1024)) : 0;
  guard(env, [&] {
    const size_t sb = h->op->scratchBytes(in, out);
    h->op->run(in, out, sb ? tOpScratch.get(sb) : nullptr, maxThreads);
  });
  return env.Undefined();
}

Napi::Value RegisteredOps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto ops = registeredOps();
  Napi::Array a = Napi::Array::New(env, ops.size());
  for (size_t i = 0; i < ops.size(); ++i) a.Set(static_cast<uint32_t>(i), ops[i].first.empty() ? ops[i].second : ops[i].first + "::" + ops[i].second);
  return a;
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(ops) {
  using namespace qint8napi;
  OpHandleT::Register(env);
  exportFunction(env, exports, "createOp", CreateOp);
  exportFunction(env, exports, "runOp", RunOp);
  exportFunction(env, exports, "registeredOps", RegisteredOps);
}
