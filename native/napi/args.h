// qint8 binding — JS value conversion helpers. No math here: only checks and conversions.
#pragma once
#include <napi.h>

#include <stdexcept>

#include <cmath>
#include <string>

#include "qint8/cpu.h"
#include "qint8/linear.h"

namespace qint8napi {

[[noreturn]] inline void throwType(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
[[noreturn]] inline void throwRange(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

inline const char* typedArrayName(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    default: return "TypedArray";
  }
}

struct ArrayView {
  void* data = nullptr;
  size_t length = 0;  // elements
};

// The typed array at info[i] of type `want` (or an empty view when optional and null/undefined).
inline ArrayView typedArrayArg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type want, const char* name,
                               bool optional = false) {
  Napi::Env env = info.Env();
  Napi::Value v = info[i];
  if (optional && (v.IsNull() || v.IsUndefined())) return {};
  if (!v.IsTypedArray()) throwType(env, std::string(name) + " must be a " + typedArrayName(want));
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != want)
    throwType(env, std::string(name) + " must be a " + typedArrayName(want) + ", got " + typedArrayName(ta.TypedArrayType()));
  ArrayView view;
  view.length = ta.ElementLength();
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  view.data = static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset();
  return view;
}

inline double numberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throwType(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

// A non-negative integer within [lo, hi].
inline int64_t intArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo, int64_t hi) {
  const double d = numberArg(info, i, name);
  if (!std::isfinite(d) || d != std::floor(d)) throwType(info.Env(), std::string(name) + " must be an integer");
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
    throwRange(info.Env(), std::string(name) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int64_t>(d);
}

inline std::string stringArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsString()) throwType(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

// info[i] as an ISA name (undefined/null: the active ISA); unknown or unsupported is a RangeError.
inline qint8::Isa isaArg(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsUndefined() || info[i].IsNull()) return qint8::activeIsa();
  const std::string name = stringArg(info, i, "isa");
  qint8::Isa isa;
  if (!qint8::parseIsa(name.c_str(), &isa))
    throwRange(info.Env(), "unknown ISA '" + name + "' (expected scalar, avx2, avx512vnni, neon, neondot or i8mm)");
  if (!qint8::isaSupported(isa)) throwRange(info.Env(), "ISA '" + name + "' is not supported by this CPU");
  return isa;
}

// DType codes shared with lib/native.ts: 0 uint8, 1 int8, 2 float32, 3 int32.
inline qint8::DType dtypeArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return static_cast<qint8::DType>(intArg(info, i, name, 0, 3));
}

inline napi_typedarray_type arrayTypeOf(qint8::DType t) {
  switch (t) {
    case qint8::DType::kU8: return napi_uint8_array;
    case qint8::DType::kS8: return napi_int8_array;
    case qint8::DType::kF32: return napi_float32_array;
    case qint8::DType::kS32: return napi_int32_array;
  }
  return napi_uint8_array;
}

// Runs f, turning std::invalid_argument from the core into a JS RangeError.
template <typename F>
inline auto guard(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    throwRange(env, e.what());
  }
}

}  // namespace qint8napi
