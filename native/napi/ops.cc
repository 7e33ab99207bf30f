// Binding: generic access to registered engine ops (createOp / runOp / registeredOps), used by
// the tests of individual ops and by tools; the plan executor calls the same registry natively.
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "handle.h"
#include "module.h"
#include "qint8/op.h"
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

// Element type codes shared with lib/engine/ops.ts (ElemType).
napi_typedarray_type arrayTypeOfElem(ElemType t) {
  switch (t) {
    case ElemType::kF32: return napi_float32_array;
    case ElemType::kU8: return napi_uint8_array;
    case ElemType::kS8: return napi_int8_array;
    case ElemType::kS32: return napi_int32_array;
    case ElemType::kS64: return napi_bigint64_array;
    case ElemType::kBool: return napi_uint8_array;
    case ElemType::kF64: return napi_float64_array;
  }
  return napi_uint8_array;
}

Shape shapeArg(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throwType(env, std::string(what) + ".shape must be an array");
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() > static_cast<uint32_t>(kMaxRank)) throwRange(env, std::string(what) + ": rank above 8");
  Shape s;
  s.rank = static_cast<int>(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value d = a.Get(i);
    if (!d.IsNumber()) throwType(env, std::string(what) + ".shape entries must be numbers");
    const double x = d.As<Napi::Number>().DoubleValue();
    if (!(x >= 0) || x != static_cast<double>(static_cast<int64_t>(x)) || x > 1e12)
      throwRange(env, std::string(what) + ".shape entries must be non-negative integers");
    s.d[i] = static_cast<int64_t>(x);
  }
  return s;
}

// {type: code, shape: number[], data: TypedArray} -> view (data checked against type and shape).
TensorView tensorArg(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsObject()) throwType(env, std::string(what) + " must be {type, shape, data}");
  Napi::Object o = v.As<Napi::Object>();
  TensorView t;
  const Napi::Value tv = o.Get("type");
  if (!tv.IsNumber()) throwType(env, std::string(what) + ".type must be an element type code");
  const int code = tv.As<Napi::Number>().Int32Value();
  if (code < 0 || code > 6) throwRange(env, std::string(what) + ".type is not an element type code");
  t.type = static_cast<ElemType>(code);
  t.shape = shapeArg(env, o.Get("shape"), what);
  const Napi::Value dv = o.Get("data");
  if (!dv.IsTypedArray()) throwType(env, std::string(what) + ".data must be a TypedArray");
  Napi::TypedArray ta = dv.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != arrayTypeOfElem(t.type)) throwType(env, std::string(what) + ".data has the wrong TypedArray type");
  if (ta.ElementLength() != static_cast<size_t>(t.shape.numel()))
    throwRange(env, std::string(what) + ".data has " + std::to_string(ta.ElementLength()) + " elements, shape " + t.shape.str() +
                        " needs " + std::to_string(t.shape.numel()));
  t.data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return t;
}

Attrs attrsArg(Napi::Env env, const Napi::Value& v) {
  Attrs attrs;
  if (v.IsUndefined() || v.IsNull()) return attrs;
  if (!v.IsObject()) throwType(env, "attrs must be an object");
  Napi::Object o = v.As<Napi::Object>();
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value x = o.Get(k);
    Attr a;
    if (x.IsObject() && !x.IsArray() && !x.IsTypedArray() && x.As<Napi::Object>().Has("kind")) {
      // {kind: 'int' | 'float' | 'ints' | 'floats', value} disambiguates integral floats.
      Napi::Object w = x.As<Napi::Object>();
      const std::string kind = w.Get("kind").As<Napi::String>().Utf8Value();
      Napi::Value val = w.Get("value");
      if (kind == "float") {
        a.kind = Attr::kFloat;
        a.f = val.As<Napi::Number>().DoubleValue();
      } else if (kind == "floats") {
        a.kind = Attr::kFloats;
        Napi::Array arr = val.As<Napi::Array>();
        for (uint32_t j = 0; j < arr.Length(); ++j) a.floats.push_back(arr.Get(j).As<Napi::Number>().DoubleValue());
      } else if (kind == "tensor") {
        const TensorView t = tensorArg(env, val, ("attribute " + k).c_str());
        a.kind = Attr::kTensor;
        a.tensorType = t.type;
        a.tensorShape = t.shape;
        a.tensorData.assign(static_cast<uint8_t*>(t.data), static_cast<uint8_t*>(t.data) + t.bytes());
      } else {
        throwRange(env, "attribute '" + k + "': unknown kind '" + kind + "'");
      }
    } else if (x.IsNumber()) {
      const double d = x.As<Napi::Number>().DoubleValue();
      if (d == static_cast<double>(static_cast<int64_t>(d))) {
        a.kind = Attr::kInt;
        a.i = static_cast<int64_t>(d);
      } else {
        a.kind = Attr::kFloat;
        a.f = d;
      }
    } else if (x.IsString()) {
      a.kind = Attr::kString;
      a.s = x.As<Napi::String>().Utf8Value();
    } else if (x.IsArray()) {
      Napi::Array arr = x.As<Napi::Array>();
      bool allInt = true;
      std::vector<double> vals;
      for (uint32_t j = 0; j < arr.Length(); ++j) {
        Napi::Value e = arr.Get(j);
        if (!e.IsNumber()) throwType(env, "attribute '" + k + "' must hold numbers");
        const double d = e.As<Napi::Number>().DoubleValue();
        allInt &= d == static_cast<double>(static_cast<int64_t>(d));
        vals.push_back(d);
      }
      if (allInt) {
        a.kind = Attr::kInts;
        for (double d : vals) a.ints.push_back(static_cast<int64_t>(d));
      } else {
        a.kind = Attr::kFloats;
        a.floats = vals;
      }
    } else {
      throwType(env, "attribute '" + k + "' has an unsupported type");
    }
    attrs.map[k] = std::move(a);
  }
  return attrs;
}

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
    bool present = true;
    if (v.IsUndefined()) {
      present = false;
    } else if (!v.IsNull() && v.As<Napi::Object>().Has("data")) {
      t = tensorArg(env, v, ("inputs[" + std::to_string(i) + "]").c_str());
    }
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
