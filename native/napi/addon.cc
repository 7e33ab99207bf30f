// qint8 binding: JS values <-> qint8 core calls. Context-aware (per-environment state lives in
// the Addon instance), so the addon loads in worker_threads too.
#include <napi.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "args.h"
#include "qint8/cpu.h"
#include "qint8/gemm.h"
#include "qint8/linear.h"
#include "qint8/quantize.h"
#include "qint8/threadpool.h"

namespace qint8napi {

using namespace qint8;

// Tags objects created by this addon so a handle can be checked before it is unwrapped.
static const napi_type_tag kLinearTag = {0x71696e7438ULL, 0x4c696e6561720001ULL};

Isa isaArg(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsUndefined() || info[i].IsNull()) return activeIsa();
  const std::string name = stringArg(info, i, "isa");
  Isa isa;
  if (!parseIsa(name.c_str(), &isa))
    throwRange(info.Env(), "unknown ISA '" + name + "' (expected scalar, avx2, avx512vnni, neon, neondot or i8mm)");
  if (!isaSupported(isa)) throwRange(info.Env(), "ISA '" + name + "' is not supported by this CPU");
  return isa;
}

DType dtypeArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return static_cast<DType>(intArg(info, i, name, 0, 3));
}

// ---------------------------------------------------------------------------------------------
// PackedLinear: a packed linear layer. release() drops this handle's reference; work already
// queued keeps the layer alive until it finishes.
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

static napi_typedarray_type arrayTypeOf(DType t) {
  switch (t) {
    case DType::kU8: return napi_uint8_array;
    case DType::kS8: return napi_int8_array;
    case DType::kF32: return napi_float32_array;
    case DType::kS32: return napi_int32_array;
  }
  return napi_uint8_array;
}

// linear(packed, x, m, out, inScale?, inZeroPoint?)
static LinearCall parseLinearCall(const Napi::CallbackInfo& info) {
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

static void runLinear(const LinearCall& c) {
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

// ---------------------------------------------------------------------------------------------
class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    linearCtor_ = Napi::Persistent(PackedLinear::Define(env));
    DefineAddon(exports, {
                             InstanceMethod<&Addon::CpuInfo>("cpuInfo"),
                             InstanceMethod<&Addon::SetIsa>("setIsa"),
                             InstanceMethod<&Addon::SetNumThreads>("setNumThreads"),
                             InstanceMethod<&Addon::GetNumThreads>("getNumThreads"),
                             InstanceMethod<&Addon::SetSpinMicros>("setSpinMicros"),
                             InstanceMethod<&Addon::MeasurePeak>("measurePeakGops"),
                             InstanceMethod<&Addon::PackLinear>("packLinear"),
                             InstanceMethod<&Addon::LinearSync>("linear"),
                             InstanceMethod<&Addon::LinearAsync>("linearAsync"),
                             InstanceMethod<&Addon::Quantize>("quantize"),
                             InstanceMethod<&Addon::Dequantize>("dequantize"),
                         });
  }

 private:
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
    const Isa isa = isaArg(info, 0);
    setActiveIsa(isa);
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
    ThreadPool::global().setSpinMicros(static_cast<int>(intArg(info, 0, "spinMicros", 0, 1000000)));
    return info.Env().Undefined();
  }

  Napi::Value MeasurePeak(const Napi::CallbackInfo& info) {
    const Isa isa = isaArg(info, 0);
    const double ms = numberArg(info, 1, "ms");
    if (!(ms > 0 && ms <= 10000)) throwRange(info.Env(), "ms must be in (0, 10000]");
    return Napi::Number::New(info.Env(), measurePeakGops(isa, ms));
  }

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
    std::shared_ptr<Linear> op;
    try {
      op = Linear::create(c);
    } catch (const std::invalid_argument& e) {
      throwRange(env, e.what());
    }
    Napi::Object obj = linearCtor_.New({});
    PackedLinear::Unwrap(obj)->Set(std::move(op));
    return obj;
  }

  Napi::Value LinearSync(const Napi::CallbackInfo& info) {
    LinearCall c = parseLinearCall(info);
    try {
      runLinear(c);
    } catch (const std::invalid_argument& e) {
      throwRange(info.Env(), e.what());
    }
    return info[3];
  }

  Napi::Value LinearAsync(const Napi::CallbackInfo& info) {
    LinearCall c = parseLinearCall(info);
    auto* w = new LinearWorker(info.Env(), std::move(c), info[1], info[3]);
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  }

  // quantize(x: Float32Array, outer, channels, inner, scale: Float32Array, zp: Int32Array, dtype, out, isa?)
  Napi::Value Quantize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const ArrayView x = typedArrayArg(info, 0, napi_float32_array, "x");
    const size_t outer = static_cast<size_t>(intArg(info, 1, "outer", 0, INT64_C(1) << 50));
    const size_t ch = static_cast<size_t>(intArg(info, 2, "channels", 1, INT64_C(1) << 40));
    const size_t inner = static_cast<size_t>(intArg(info, 3, "inner", 0, INT64_C(1) << 50));
    const ArrayView sc = typedArrayArg(info, 4, napi_float32_array, "scale");
    const ArrayView zp = typedArrayArg(info, 5, napi_int32_array, "zeroPoint");
    const DType t = dtypeArg(info, 6, "dtype");
    if (t != DType::kU8 && t != DType::kS8) throwRange(env, "dtype must be uint8 or int8");
    const ArrayView y = typedArrayArg(info, 7, arrayTypeOf(t), "out");
    const Isa isa = isaArg(info, 8);
    if (x.length != outer * ch * inner || y.length != x.length) throwRange(env, "x/out lengths do not match the shape");
    if (sc.length != ch || zp.length != ch) throwRange(env, "scale/zeroPoint must have one entry per channel");
    quantizeLinear(isa, static_cast<const float*>(x.data), outer, ch, inner, static_cast<const float*>(sc.data),
                   static_cast<const int32_t*>(zp.data), t, y.data);
    return info[7];
  }

  // dequantize(q, outer, channels, inner, scale, zp, dtype, out: Float32Array, isa?)
  Napi::Value Dequantize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const DType t = dtypeArg(info, 6, "dtype");
    if (t != DType::kU8 && t != DType::kS8) throwRange(env, "dtype must be uint8 or int8");
    const ArrayView q = typedArrayArg(info, 0, arrayTypeOf(t), "q");
    const size_t outer = static_cast<size_t>(intArg(info, 1, "outer", 0, INT64_C(1) << 50));
    const size_t ch = static_cast<size_t>(intArg(info, 2, "channels", 1, INT64_C(1) << 40));
    const size_t inner = static_cast<size_t>(intArg(info, 3, "inner", 0, INT64_C(1) << 50));
    const ArrayView sc = typedArrayArg(info, 4, napi_float32_array, "scale");
    const ArrayView zp = typedArrayArg(info, 5, napi_int32_array, "zeroPoint");
    const ArrayView y = typedArrayArg(info, 7, napi_float32_array, "out");
    const Isa isa = isaArg(info, 8);
    if (q.length != outer * ch * inner || y.length != q.length) throwRange(env, "q/out lengths do not match the shape");
    if (sc.length != ch || zp.length != ch) throwRange(env, "scale/zeroPoint must have one entry per channel");
    dequantizeLinear(isa, q.data, outer, ch, inner, static_cast<const float*>(sc.data),
                     static_cast<const int32_t*>(zp.data), t, static_cast<float*>(y.data));
    return info[7];
  }

  Napi::FunctionReference linearCtor_;
};

}  // namespace qint8napi

using qint8napi::Addon;
NODE_API_ADDON(Addon)
