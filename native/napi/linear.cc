// Binding: packed linear layers (packLinear, linear, linearAsync).
#include <memory>
#include <string>

#include "args.h"
#include "module.h"
#include "qint8/linear.h"

using namespace qint8;

namespace qint8napi {
namespace {

// Tags objects created by this addon so a handle can be checked before it is unwrapped.
const napi_type_tag kLinearTag = {0x71696e7438ULL, 0x4c696e6561720001ULL};

// A packed linear layer. release() drops this handle's reference; work already queued keeps the
// layer alive until it finishes.
class PackedLinear : public Napi::ObjectWrap<PackedLinear> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PackedLinear",
                       {
                           InstanceMethod<&PackedLinear::Release>("release"),
                           InstanceAccessor<&PackedLinear::Released>("released"),
                           InstanceAccessor<&PackedLinear::N>("n"),
                           InstanceAccessor<&PackedLinear::K>("k"),
                           InstanceAccessor<&PackedLinear::IsaName>("isa"),
                           InstanceAccessor<&PackedLinear::PackedBytes>("packedBytes"),
                           InstanceAccessor<&PackedLinear::InputType>("inputType"),
                           InstanceAccessor<&PackedLinear::OutputType>("outputType"),
                       });
  }

  explicit PackedLinear(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PackedLinear>(info) {
    info.This().As<Napi::Object>().TypeTag(&kLinearTag);
  }

  void Set(std::shared_ptr<Linear> op) { op_ = std::move(op); }

  // The layer, or a JS error if the handle is not a PackedLinear or was released.
  static std::shared_ptr<Linear> From(Napi::Env env, const Napi::Value& v) {
    if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kLinearTag))
      throwType(env, "packed must be a handle returned by packLinear()");
    PackedLinear* self = PackedLinear::Unwrap(v.As<Napi::Object>());
    if (!self->op_) throwType(env, "packed linear handle was released");
    return self->op_;
  }

 private:
  Napi::Value Release(const Napi::CallbackInfo& info) {
    op_.reset();
    return info.Env().Undefined();
  }
  Napi::Value Released(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !op_); }
  Napi::Value N(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), op_ ? op_->n() : 0); }
  Napi::Value K(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), op_ ? op_->k() : 0); }
  Napi::Value IsaName(const Napi::CallbackInfo& info) {
    return op_ ? Napi::String::New(info.Env(), isaName(op_->isa())) : info.Env().Null();
  }
  Napi::Value PackedBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), op_ ? static_cast<double>(op_->packedBytes()) : 0);
  }
  Napi::Value InputType(const Napi::CallbackInfo& info) {
    return op_ ? Napi::String::New(info.Env(), dtypeName(op_->inputType())) : info.Env().Null();
  }
  Napi::Value OutputType(const Napi::CallbackInfo& info) {
    return op_ ? Napi::String::New(info.Env(), dtypeName(op_->outputType())) : info.Env().Null();
  }

  std::shared_ptr<Linear> op_;
};

// Checked buffers of one linear() call.
struct LinearCall {
  std::shared_ptr<Linear> op;
  const void* x = nullptr;
  void* y = nullptr;
  int m = 0;
  bool override = false;
  QParams input;
};

// linear(packed, x, m, out, inScale?, inZeroPoint?)
LinearCall parseLinearCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LinearCall c;
  c.op = PackedLinear::From(env, info[0]);
  const ArrayView x = typedArrayArg(info, 1, arrayTypeOf(c.op->inputType()), "x");
  c.m = static_cast<int>(intArg(info, 2, "m", 1, INT32_MAX));
  const ArrayView y = typedArrayArg(info, 3, arrayTypeOf(c.op->outputType()), "out");
  if (x.length != static_cast<size_t>(c.m) * c.op->k())
    throwRange(env, "x has " + std::to_string(x.length) + " elements, expected m*k = " +
                        std::to_string(static_cast<size_t>(c.m) * c.op->k()));
  if (y.length != static_cast<size_t>(c.m) * c.op->n())
    throwRange(env, "out has " + std::to_string(y.length) + " elements, expected m*n = " +
                        std::to_string(static_cast<size_t>(c.m) * c.op->n()));
  c.x = x.data;
  c.y = y.data;
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    c.override = true;
    c.input.scale = static_cast<float>(numberArg(info, 4, "input.scale"));
    c.input.zeroPoint = static_cast<int32_t>(intArg(info, 5, "input.zeroPoint", -128, 255));
  }
  return c;
}

void runLinear(const LinearCall& c) {
  c.op->run(c.x, c.m, c.op->k(), c.y, c.op->n(), c.override ? &c.input : nullptr);
}

class LinearWorker : public Napi::AsyncWorker {
 public:
  LinearWorker(Napi::Env env, LinearCall call, Napi::Value x, Napi::Value out)
      : Napi::AsyncWorker(env, "qint8.linearAsync"), deferred_(Napi::Promise::Deferred::New(env)), call_(std::move(call)) {
    // Keep the buffers alive until the work is done.
    x_ = Napi::Persistent(x);
    out_ = Napi::Persistent(out);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      runLinear(call_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(out_.Value()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  LinearCall call_;
  Napi::Reference<Napi::Value> x_, out_;
};

// packLinear(weight, n, k, isa, weightScale, weightZp|null, bias|null, biasQ|null,
//            inType, inScale, inZp, outType, outScale, outZp, relu, clipMin|NaN, clipMax|NaN)
Napi::Value PackLinear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LinearConfig c;
  const ArrayView w = typedArrayArg(info, 0, napi_int8_array, "weight");
  c.n = static_cast<int>(intArg(info, 1, "n", 1, INT32_MAX));
  c.k = static_cast<int>(intArg(info, 2, "k", 1, INT32_MAX));
  if (w.length != static_cast<size_t>(c.n) * c.k)
    throwRange(env, "weight has " + std::to_string(w.length) + " elements, expected n*k = " +
                        std::to_string(static_cast<size_t>(c.n) * c.k));
  c.weight = static_cast<const int8_t*>(w.data);
  c.isa = isaArg(info, 3);
  const ArrayView ws = typedArrayArg(info, 4, napi_float32_array, "weightScale");
  c.weightScale = static_cast<const float*>(ws.data);
  c.weightScaleCount = static_cast<int>(ws.length);
  const ArrayView wz = typedArrayArg(info, 5, napi_int32_array, "weightZeroPoint", true);
  c.weightZeroPoint = static_cast<const int32_t*>(wz.data);
  c.weightZeroPointCount = static_cast<int>(wz.length);
  const ArrayView b = typedArrayArg(info, 6, napi_float32_array, "bias", true);
  const ArrayView bq = typedArrayArg(info, 7, napi_int32_array, "bias", true);
  if (b.data && b.length != static_cast<size_t>(c.n)) throwRange(env, "bias must have n entries");
  if (bq.data && bq.length != static_cast<size_t>(c.n)) throwRange(env, "bias must have n entries");
  c.bias = static_cast<const float*>(b.data);
  c.biasQ = static_cast<const int32_t*>(bq.data);
  c.inputType = dtypeArg(info, 8, "input.dtype");
  c.input.scale = static_cast<float>(numberArg(info, 9, "input.scale"));
  c.input.zeroPoint = static_cast<int32_t>(intArg(info, 10, "input.zeroPoint", -128, 255));
  c.outputType = dtypeArg(info, 11, "output.dtype");
  c.output.scale = static_cast<float>(numberArg(info, 12, "output.scale"));
  c.output.zeroPoint = static_cast<int32_t>(intArg(info, 13, "output.zeroPoint", -128, 255));
  c.relu = info[14].ToBoolean();
  const double clipMin = numberArg(info, 15, "clip.min"), clipMax = numberArg(info, 16, "clip.max");
  c.hasClip = !std::isnan(clipMin) || !std::isnan(clipMax);
  c.clipMin = std::isnan(clipMin) ? -INFINITY : static_cast<float>(clipMin);
  c.clipMax = std::isnan(clipMax) ? INFINITY : static_cast<float>(clipMax);
  std::shared_ptr<Linear> op = guard(env, [&] { return std::shared_ptr<Linear>(Linear::create(c)); });
  Napi::Object obj = state(env).ctors["PackedLinear"].New({});
  PackedLinear::Unwrap(obj)->Set(std::move(op));
  return obj;
}

Napi::Value LinearSync(const Napi::CallbackInfo& info) {
  LinearCall c = parseLinearCall(info);
  guard(info.Env(), [&] { runLinear(c); });
  return info[3];
}

Napi::Value LinearAsync(const Napi::CallbackInfo& info) {
  LinearCall c = parseLinearCall(info);
  auto* w = new LinearWorker(info.Env(), std::move(c), info[1], info[3]);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(linear) {
  using namespace qint8napi;
  state(env).ctors["PackedLinear"] = Napi::Persistent(PackedLinear::Define(env));
  exportFunction(env, exports, "packLinear", PackLinear);
  exportFunction(env, exports, "linear", LinearSync);
  exportFunction(env, exports, "linearAsync", LinearAsync);
}
