// Binding: engine models and plans (createModel, modelAddOp, modelAddConstant, createPlan,
// runPlan, runPlanAsync). The compiler in lib/engine builds them; a run is one native call (sync)
// or one async hop (runPlanAsync), never a call per op.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "args.h"
#include "handle.h"
#include "module.h"
#include "qint8/plan.h"
#include "qint8/runner.h"
#include "tensor_args.h"

#if defined(__linux__)
#include <sched.h>
#endif

using namespace qint8;

namespace qint8napi {
namespace {

// A model under construction; frozen when its first plan is made (plans read it concurrently).
struct ModelBox {
  std::shared_ptr<Model> model = std::make_shared<Model>();
  bool frozen = false;
};

struct ModelTraits {
  using Op = ModelBox;
  static constexpr const char* kName = "EngineModel";
  static constexpr const char* kFactory = "createModel";
  static constexpr const char* kWhat = "engine model";
  static constexpr napi_type_tag kTag = {0x71696e7438ULL, 0x4d6f64656c000001ULL};
  template <typename Props>
  static void addAccessors(Props& p) {
    using H = OpHandle<ModelTraits>;
    p.push_back(H::template InstanceAccessor<&H::template Get<&constantBytes>>("constantBytes"));
    p.push_back(H::template InstanceAccessor<&H::template Get<&opCount>>("opCount"));
  }
  static Napi::Value constantBytes(const ModelBox* m, Napi::Env env) {
    return Napi::Number::New(env, m ? static_cast<double>(m->model->constantBytes()) : 0);
  }
  static Napi::Value opCount(const ModelBox* m, Napi::Env env) {
    return Napi::Number::New(env, m ? static_cast<double>(m->model->opCount()) : 0);
  }
};
using ModelHandle = OpHandle<ModelTraits>;

struct PlanTraits {
  using Op = Plan;
  static constexpr const char* kName = "EnginePlan";
  static constexpr const char* kFactory = "createPlan";
  static constexpr const char* kWhat = "engine plan";
  static constexpr napi_type_tag kTag = {0x71696e7438ULL, 0x506c616e00000001ULL};
  template <typename Props>
  static void addAccessors(Props& p) {
    using H = OpHandle<PlanTraits>;
    p.push_back(H::template InstanceAccessor<&H::template Get<&arenaBytes>>("arenaBytes"));
    p.push_back(H::template InstanceAccessor<&H::template Get<&scratchBytes>>("scratchBytes"));
  }
  static Napi::Value arenaBytes(const Plan* p, Napi::Env env) {
    return Napi::Number::New(env, p ? static_cast<double>(p->arenaBytes()) : 0);
  }
  static Napi::Value scratchBytes(const Plan* p, Napi::Env env) {
    return Napi::Number::New(env, p ? static_cast<double>(p->scratchBytes()) : 0);
  }
};
using PlanHandle = OpHandle<PlanTraits>;

Napi::Value CreateModel(const Napi::CallbackInfo& info) { return ModelHandle::Wrap(info.Env(), std::make_shared<ModelBox>()); }

std::shared_ptr<ModelBox> mutableModel(Napi::Env env, const Napi::Value& v) {
  auto m = ModelHandle::From(env, v);
  if (m->frozen) throwType(env, "the engine model already has plans; add ops and constants before creating plans");
  return m;
}

// modelAddOp(model, domain, name, attrs, inputs, isa?, label?) -> op index
Napi::Value ModelAddOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto m = mutableModel(env, info[0]);
  const std::string domain = stringArg(info, 1, "domain");
  const std::string name = stringArg(info, 2, "name");
  OpContext ctx;
  ctx.attrs = attrsArg(env, info[3]);
  if (!info[4].IsArray()) throwType(env, "inputs must be an array");
  Napi::Array ins = info[4].As<Napi::Array>();
  for (uint32_t i = 0; i < ins.Length(); ++i) {
    Napi::Value v = ins.Get(i);
    TensorView t;
    const bool present = opInputArg(env, v, ("inputs[" + std::to_string(i) + "]").c_str(), &t);
    ctx.constants.push_back(t);
    ctx.inputPresent.push_back(present);
  }
  ctx.isa = isaArg(info, 5);
  const std::string label = info.Length() > 6 && info[6].IsString() ? info[6].As<Napi::String>().Utf8Value() : domain + "::" + name;
  auto op = guard(env, [&] { return createOp(domain, name, ctx); });
  return Napi::Number::New(env, m->model->addOp(std::move(op), label));
}

// modelAddConstant(model, {type, shape, data}) -> constant index
Napi::Value ModelAddConstant(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto m = mutableModel(env, info[0]);
  const TensorView t = tensorArg(env, info[1], "constant");
  return Napi::Number::New(env, m->model->addConstant(t));
}

int intProp(Napi::Env env, const Napi::Object& o, const char* k, const std::string& where) {
  Napi::Value v = o.Get(k);
  if (!v.IsNumber()) throwType(env, where + "." + k + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

// createPlan(model, values: {kind, index, offset, type, shape}[], steps: {op, inputs, outputs}[],
//            arenaBytes, inputCount, outputCount)
Napi::Value CreatePlan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto box = ModelHandle::From(env, info[0]);
  if (!info[1].IsArray() || !info[2].IsArray()) throwType(env, "values and steps must be arrays");
  std::vector<PlanValue> values;
  Napi::Array va = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < va.Length(); ++i) {
    const std::string where = "values[" + std::to_string(i) + "]";
    if (!va.Get(i).IsObject()) throwType(env, where + " must be an object");
    Napi::Object o = va.Get(i).As<Napi::Object>();
    PlanValue v;
    const int kind = intProp(env, o, "kind", where);
    if (kind < 0 || kind > 3) throwRange(env, where + ".kind must be 0..3");
    v.kind = static_cast<PlanValue::Kind>(kind);
    v.index = intProp(env, o, "index", where);
    const Napi::Value off = o.Get("offset");
    if (!off.IsNumber() || off.As<Napi::Number>().DoubleValue() < 0) throwType(env, where + ".offset must be a non-negative number");
    v.offset = static_cast<size_t>(off.As<Napi::Number>().DoubleValue());
    const int type = intProp(env, o, "type", where);
    if (type < 0 || type > 6) throwRange(env, where + ".type is not an element type code");
    v.type = static_cast<ElemType>(type);
    v.shape = shapeArg(env, o.Get("shape"), where.c_str());
    values.push_back(v);
  }
  std::vector<PlanStep> steps;
  Napi::Array sa = info[2].As<Napi::Array>();
  for (uint32_t i = 0; i < sa.Length(); ++i) {
    const std::string where = "steps[" + std::to_string(i) + "]";
    Napi::Object o = sa.Get(i).As<Napi::Object>();
    PlanStep st;
    st.op = intProp(env, o, "op", where);
    for (const char* key : {"inputs", "outputs"}) {
      Napi::Value a = o.Get(key);
      if (!a.IsArray()) throwType(env, where + "." + key + " must be an array");
      Napi::Array arr = a.As<Napi::Array>();
      auto& dst = std::string(key) == "inputs" ? st.inputs : st.outputs;
      for (uint32_t j = 0; j < arr.Length(); ++j) dst.push_back(arr.Get(j).As<Napi::Number>().Int32Value());
    }
    steps.push_back(std::move(st));
  }
  const double arena = numberArg(info, 3, "arenaBytes");
  if (!(arena >= 0) || arena > 1e13) throwRange(env, "arenaBytes must be >= 0");
  const int inputCount = static_cast<int>(intArg(info, 4, "inputCount", 0, 1 << 20));
  const int outputCount = static_cast<int>(intArg(info, 5, "outputCount", 0, 1 << 20));
  box->frozen = true;
  std::shared_ptr<const Model> model = box->model;
  auto plan = guard(env, [&] {
    return std::make_shared<Plan>(model, std::move(values), std::move(steps), static_cast<size_t>(arena), inputCount, outputCount);
  });
  return PlanHandle::Wrap(env, plan);
}

size_t typedArrayElementSize(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array: return 1;
    case napi_int16_array:
    case napi_uint16_array: return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array: return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array: return 8;
    default: return 0;  // a type this build does not know: the length check fails with a clear message
  }
}

struct PlanCall {
  std::shared_ptr<Plan> plan;
  std::vector<const void*> inputs;
  std::vector<void*> outputs;
  int maxThreads = 0;
};

// runPlan(plan, inputs: TypedArray[], outputs: TypedArray[], maxThreads?)
PlanCall parsePlanCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlanCall c;
  c.plan = PlanHandle::From(env, info[0]);
  if (!info[1].IsArray() || !info[2].IsArray()) throwType(env, "inputs and outputs must be arrays");
  Napi::Array ins = info[1].As<Napi::Array>(), outs = info[2].As<Napi::Array>();
  if (static_cast<int>(ins.Length()) != c.plan->inputCount() || static_cast<int>(outs.Length()) != c.plan->outputCount())
    throwRange(env, "the plan takes " + std::to_string(c.plan->inputCount()) + " inputs and " + std::to_string(c.plan->outputCount()) + " outputs");
  // One napi_get_typedarray_info per array (data pointer and length at once); the argument's
  // name is only formatted for an error.
  auto bytesOf = [&](const Napi::Value& v, const char* what, uint32_t i, size_t want) -> void* {
    auto name = [&] { return std::string(what) + "[" + std::to_string(i) + "]"; };
    if (!v.IsTypedArray()) throwType(env, name() + " must be a TypedArray");
    napi_typedarray_type type;
    size_t length = 0, offset = 0;
    void* data = nullptr;
    napi_value buffer;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, &offset) != napi_ok) throwType(env, name() + " must be a TypedArray");
    const size_t bytes = length * typedArrayElementSize(type);
    if (bytes != want) throwRange(env, name() + " has " + std::to_string(bytes) + " bytes, the plan needs " + std::to_string(want));
    return data;  // napi_get_typedarray_info's data already includes the byte offset
  };
  c.inputs.reserve(ins.Length());
  c.outputs.reserve(outs.Length());
  for (uint32_t i = 0; i < ins.Length(); ++i) c.inputs.push_back(bytesOf(ins.Get(i), "inputs", i, c.plan->inputBytes(static_cast<int>(i))));
  for (uint32_t i = 0; i < outs.Length(); ++i) c.outputs.push_back(bytesOf(outs.Get(i), "outputs", i, c.plan->outputBytes(static_cast<int>(i))));
  if (info.Length() > 3 && !info[3].IsUndefined()) c.maxThreads = static_cast<int>(intArg(info, 3, "maxThreads", 0, 1024));
  return c;
}

Napi::Value RunPlan(const Napi::CallbackInfo& info) {
  PlanCall c = parsePlanCall(info);
  guard(info.Env(), [&] { c.plan->run(c.inputs, c.outputs, c.maxThreads); });
  return info.Env().Undefined();
}

// Off-thread runs go to qint8's runner threads (qint8/runner.h), not to libuv's pool. The caller
// either polls the run's ticket (runTicketState) or waits for it (runTicketWait, or runPlanAsync's
// promise): the runner then settles the promise through one thread-safe function per environment,
// referenced only while a run is awaited so that it never keeps the loop alive on its own. The
// environment's teardown (a worker's exit) waits for its runs in flight, since they write into its
// arrays.
struct RunContext {
  napi_threadsafe_function tsfn = nullptr;
  int waiting = 0;  // JS thread only: awaited runs not yet settled
  std::mutex mutex;
  std::condition_variable idle;
  int inFlight = 0;  // runs started and not finished, guarded by mutex

  void started() {
    std::lock_guard<std::mutex> lock(mutex);
    ++inFlight;
  }
  void finished() {
    std::lock_guard<std::mutex> lock(mutex);
    if (--inFlight == 0) idle.notify_all();
  }
};

// The core the calling thread runs on, or -1 where the platform does not say (polls then always
// yield while a run goes).
int currentCpu() {
#if defined(__linux__)
  return sched_getcpu();
#else
  return -1;
#endif
}

struct RunTicket {
  std::mutex mutex;
  int state = 0;  // 0 running, 1 done, 2 failed; guarded by mutex
  std::atomic<int> seen{0};  // state, readable without the lock (release after the run)
  std::atomic<int> runnerCpu{-1};  // the core the run started on (sched_getcpu), -1 before
  std::string error;
  int outcome = 1;  // runner thread: the work's result (1 or 2), announced by finish()
  std::shared_ptr<RunContext> context;
  bool awaited = false;  // set on the JS thread by waitTicket while the run goes; guarded by mutex
  // JS thread only.
  napi_deferred deferred = nullptr;
  napi_ref keep[2] = {nullptr, nullptr};  // the input and output arrays while the run goes

  // Runner thread: publishes the outcome and, if the run is awaited, hands the ticket to the JS thread.
  void finish(const std::shared_ptr<RunTicket>& self) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      state = outcome;
      seen.store(outcome, std::memory_order_release);
      if (awaited) {
        auto* data = new std::shared_ptr<RunTicket>(self);
        if (napi_call_threadsafe_function(context->tsfn, data, napi_tsfn_nonblocking) != napi_ok) delete data;  // closing: the environment is going
        napi_release_threadsafe_function(context->tsfn, napi_tsfn_release);
      }
    }
    context->finished();
  }
};

using TicketPtr = std::shared_ptr<RunTicket>;

// JS thread: settles an awaited ticket's promise (env is null when the environment is being torn down).
void settleTicket(napi_env env, napi_value, void* ctx, void* data) {
  std::unique_ptr<TicketPtr> held(static_cast<TicketPtr*>(data));
  if (!env) return;
  RunTicket& t = **held;
  for (napi_ref& r : t.keep)
    if (r) napi_delete_reference(env, r), r = nullptr;
  if (t.deferred) {
    Napi::Env e(env);
    Napi::HandleScope scope(e);
    if (t.state == 1) {
      napi_resolve_deferred(env, t.deferred, e.Undefined());
    } else {
      napi_reject_deferred(env, t.deferred, Napi::Error::New(e, t.error).Value());
    }
    t.deferred = nullptr;
  }
  auto* c = static_cast<RunContext*>(ctx);
  if (--c->waiting == 0) napi_unref_threadsafe_function(env, c->tsfn);
}

std::shared_ptr<RunContext> runContext(Napi::Env env) {
  AddonState& st = state(env);
  if (st.runContext) return std::static_pointer_cast<RunContext>(st.runContext);
  auto c = std::make_shared<RunContext>();
  Napi::String name = Napi::String::New(env, "qint8.runPlan");
  // Initial thread count 1, held by the environment for its lifetime; each awaited run acquires
  // one more for its runner, released after the call.
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, c.get(), settleTicket, &c->tsfn) != napi_ok)
    throw Napi::Error::New(env, "cannot create the run notifier");
  napi_unref_threadsafe_function(env, c->tsfn);
  // At teardown, wait for the runs in flight (they write into this environment's arrays).
  auto* hookRef = new std::shared_ptr<RunContext>(c);
  napi_add_env_cleanup_hook(
      env,
      [](void* arg) {
        std::unique_ptr<std::shared_ptr<RunContext>> ref(static_cast<std::shared_ptr<RunContext>*>(arg));
        RunContext& rc = **ref;
        std::unique_lock<std::mutex> lock(rc.mutex);
        rc.idle.wait(lock, [&] { return rc.inFlight == 0; });
      },
      hookRef);
  st.runContext = c;
  return c;
}

// JS thread: a promise for the ticket's end (settled at once if the run has ended).
Napi::Promise waitTicket(Napi::Env env, const TicketPtr& ticket, napi_value inputs, napi_value outputs) {
  RunTicket& t = *ticket;
  std::lock_guard<std::mutex> lock(t.mutex);
  if (t.state != 0) {
    auto settled = Napi::Promise::Deferred::New(env);
    if (t.state == 1) settled.Resolve(env.Undefined());
    else settled.Reject(Napi::Error::New(env, t.error).Value());
    return settled.Promise();
  }
  if (t.awaited) throw Napi::Error::New(env, "the run is already awaited");
  RunContext& c = *t.context;
  if (napi_acquire_threadsafe_function(c.tsfn) != napi_ok) throw Napi::Error::New(env, "the environment is shutting down");
  if (c.waiting++ == 0) napi_ref_threadsafe_function(env, c.tsfn);
  t.awaited = true;
  napi_value promise;
  napi_create_promise(env, &t.deferred, &promise);  // settled by settleTicket
  if (inputs) napi_create_reference(env, inputs, 1, &t.keep[0]);
  if (outputs) napi_create_reference(env, outputs, 1, &t.keep[1]);
  return Napi::Promise(env, promise);
}

// Queues the run on a runner thread and returns its ticket.
TicketPtr startRun(Napi::Env env, PlanCall c) {
  auto ticket = std::make_shared<RunTicket>();
  ticket->context = runContext(env);
  ticket->context->started();
  // The outcome is announced from `done`, after the runner has made itself available for the
  // next run (qint8/runner.h), so the run the caller submits on seeing it goes to this runner.
  Runner::global().submit(
      [c = std::move(c), ticket]() noexcept {
        ticket->runnerCpu.store(currentCpu(), std::memory_order_relaxed);
        try {
          c.plan->run(c.inputs, c.outputs, c.maxThreads);
        } catch (const std::exception& e) {
          ticket->error = e.what();
          ticket->outcome = 2;
        } catch (...) {
          ticket->error = "the run failed";
          ticket->outcome = 2;
        }
      },
      [ticket]() noexcept { ticket->finish(ticket); });
  return ticket;
}

Napi::Value ticketValue(Napi::Env env, TicketPtr ticket) {
  auto* held = new TicketPtr(std::move(ticket));
  return Napi::External<TicketPtr>::New(env, held, [](Napi::Env, TicketPtr* t) { delete t; });
}

const TicketPtr& ticketArg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) throwType(info.Env(), "ticket must come from runPlanAsync");
  return *info[0].As<Napi::External<TicketPtr>>().Data();
}

// runTicketState(ticket) -> 0 (running) or 1 (done); throws the run's error if it failed. While
// the run has not started, or runs on this thread's core, the caller yields the core: the runner
// may be queued behind it (the scheduler puts a woken runner on the waker's core when the other
// cores are busy, and would then give it the core only at the poller's next time slice, ms later).
// A runner on another core is not yielded to, so that the poller keeps its core under load.
Napi::Value RunTicketState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const RunTicket& t = *ticketArg(info);
  const int s = t.seen.load(std::memory_order_acquire);
  if (s == 2) throw Napi::Error::New(env, t.error);
  if (s == 0) {
    const int cpu = t.runnerCpu.load(std::memory_order_relaxed);
    if (cpu < 0 || cpu == currentCpu()) std::this_thread::yield();
  }
  return Napi::Number::New(env, s);
}

// runTicketWait(ticket) -> Promise<void>, settled when the run ends (the caller keeps the arrays).
Napi::Value RunTicketWait(const Napi::CallbackInfo& info) {
  return waitTicket(info.Env(), ticketArg(info), nullptr, nullptr);
}

// runPlanAsync(plan, inputs, outputs, maxThreads?, inlineNs?, pollNs?) -> Promise<outputs> or a
// ticket. A plan whose last run took at most inlineNs nanoseconds runs here, on the calling
// thread, and the promise is returned settled: for such a plan the hop to a worker thread and back
// (waking a libuv thread, then the event loop) costs the event loop more than the run itself. One
// whose last run took at most pollNs goes to a runner thread and the caller gets a ticket to poll
// (no wake-up of the event loop at the end). Otherwise the run goes to a runner thread and the
// promise is settled from there.
Napi::Value RunPlanAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlanCall c = parsePlanCall(info);
  double inlineNs = 0;
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    if (!info[4].IsNumber()) throwType(env, "inlineNs must be a number");
    inlineNs = info[4].As<Napi::Number>().DoubleValue();
  }
  double pollNs = 0;
  if (info.Length() > 5 && !info[5].IsUndefined()) {
    if (!info[5].IsNumber()) throwType(env, "pollNs must be a number");
    pollNs = info[5].As<Napi::Number>().DoubleValue();
  }
  if (inlineNs > 0 && static_cast<double>(c.plan->lastRunNs()) <= inlineNs) {
    auto deferred = Napi::Promise::Deferred::New(env);
    try {
      c.plan->run(c.inputs, c.outputs, c.maxThreads);
      deferred.Resolve(info[2]);
    } catch (const std::exception& e) {
      deferred.Reject(Napi::Error::New(env, e.what()).Value());
    }
    return deferred.Promise();
  }
  const bool poll = pollNs > 0 && static_cast<double>(c.plan->lastRunNs()) <= pollNs;
  TicketPtr ticket = startRun(env, std::move(c));
  if (poll) return ticketValue(env, std::move(ticket));
  return waitTicket(env, ticket, info[1], info[2]);
}

// planSetProfiling(plan, on)
Napi::Value PlanSetProfiling(const Napi::CallbackInfo& info) {
  auto p = PlanHandle::From(info.Env(), info[0]);
  if (!info[1].IsBoolean()) throwType(info.Env(), "on must be a boolean");
  p->setProfiling(info[1].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

// planProfile(plan, reset?) -> { runs, ns, cpuNs: Float64Array (one per step: wall, calling thread's CPU) }
Napi::Value PlanProfile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto p = PlanHandle::From(env, info[0]);
  const bool reset = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
  uint64_t runs = 0;
  std::vector<uint64_t> cpu;
  const std::vector<uint64_t> ns = p->profile(&runs, reset, &cpu);
  Napi::Float64Array a = Napi::Float64Array::New(env, ns.size()), c = Napi::Float64Array::New(env, ns.size());
  for (size_t i = 0; i < ns.size(); ++i) {
    a[i] = static_cast<double>(ns[i]);
    c[i] = static_cast<double>(cpu[i]);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("runs", Napi::Number::New(env, static_cast<double>(runs)));
  o.Set("ns", a);
  o.Set("cpuNs", c);
  return o;
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(plan) {
  using namespace qint8napi;
  ModelHandle::Register(env);
  PlanHandle::Register(env);
  exportFunction(env, exports, "createModel", CreateModel);
  exportFunction(env, exports, "modelAddOp", ModelAddOp);
  exportFunction(env, exports, "modelAddConstant", ModelAddConstant);
  exportFunction(env, exports, "createPlan", CreatePlan);
  exportFunction(env, exports, "runPlan", RunPlan);
  exportFunction(env, exports, "runPlanAsync", RunPlanAsync);
  exportFunction(env, exports, "runTicketState", RunTicketState);
  exportFunction(env, exports, "runTicketWait", RunTicketWait);
  exportFunction(env, exports, "planSetProfiling", PlanSetProfiling);
  exportFunction(env, exports, "planProfile", PlanProfile);
}
