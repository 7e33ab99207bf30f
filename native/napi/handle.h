// qint8 binding — shared pieces for op handles: a type-tagged ObjectWrap around a
// std::shared_ptr<Op> (release() drops the handle's reference; calls in flight keep their own),
// and an AsyncWorker that runs a call off the event loop and resolves a Promise.
#pragma once
#include <napi.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "module.h"

namespace qint8napi {

// Traits give each handle type its op type, JS class name, factory name (for messages), a unique
// type tag, and addAccessors(props), which adds getters with
//   props.push_back(H::template InstanceAccessor<&H::template Get<&Traits::someGetter>>("name"))
// where someGetter(const Op* opOrNull, Napi::Env) returns the value.
template <typename Traits>
class OpHandle : public Napi::ObjectWrap<OpHandle<Traits>> {
 public:
  using Op = typename Traits::Op;
  using Base = Napi::ObjectWrap<OpHandle<Traits>>;

  static void Register(Napi::Env env) {
    std::vector<typename Base::PropertyDescriptor> props = {
        Base::template InstanceMethod<&OpHandle::Release>("release"),
        Base::template InstanceAccessor<&OpHandle::Released>("released"),
    };
    Traits::addAccessors(props);
    state(env).ctors[Traits::kName] = Napi::Persistent(Base::DefineClass(env, Traits::kName, props));
  }

  explicit OpHandle(const Napi::CallbackInfo& info) : Base(info) { info.This().As<Napi::Object>().TypeTag(&Traits::kTag); }

  // A new JS handle owning op.
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<Op> op) {
    Napi::Object obj = state(env).ctors[Traits::kName].New({});
    OpHandle::Unwrap(obj)->op_ = std::move(op);
    return obj;
  }

  // The op behind a JS value, or a TypeError (not a handle of this kind, or released).
  static std::shared_ptr<Op> From(Napi::Env env, const Napi::Value& v) {
    if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&Traits::kTag))
      throwType(env, std::string("expected a handle returned by ") + Traits::kFactory + "()");
    OpHandle* self = OpHandle::Unwrap(v.As<Napi::Object>());
    if (!self->op_) throwType(env, std::string(Traits::kWhat) + " handle was released");
    return self->op_;
  }

  // Accessor adapter: a JS getter calling F(op or null when released, env).
  template <Napi::Value (*F)(const Op*, Napi::Env)>
  Napi::Value Get(const Napi::CallbackInfo& info) {
    return F(op_.get(), info.Env());
  }

 private:
  Napi::Value Release(const Napi::CallbackInfo& info) {
    op_.reset();
    return info.Env().Undefined();
  }
  Napi::Value Released(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !op_); }

  std::shared_ptr<Op> op_;
};

// Runs `work` on libuv's pool (which hands it to qint8's thread pool) and resolves with
// `result`. The given values (the call's buffers) are kept alive until the promise settles.
class CallWorker : public Napi::AsyncWorker {
 public:
  CallWorker(Napi::Env env, const char* name, std::function<void()> work, Napi::Value result,
             std::initializer_list<Napi::Value> keepAlive)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)) {
    result_ = Napi::Persistent(result);
    for (const Napi::Value& v : keepAlive) keep_.push_back(Napi::Persistent(v));
  }

  // Queues the work; returns the promise. The worker deletes itself when done.
  static Napi::Promise Start(Napi::Env env, const char* name, std::function<void()> work, Napi::Value result,
                             std::initializer_list<Napi::Value> keepAlive) {
    auto* w = new CallWorker(env, name, std::move(work), result, keepAlive);
    Napi::Promise p = w->deferred_.Promise();
    w->Queue();
    return p;
  }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(result_.Value()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> work_;
  Napi::Reference<Napi::Value> result_;
  std::vector<Napi::Reference<Napi::Value>> keep_;
};

}  // namespace qint8napi
