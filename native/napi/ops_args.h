// qint8 binding — helpers shared by the int8 op-set modules (binary, lut, pool, resize,
// structural, dynquant): shapes, quantized buffers, qparams. No math.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "args.h"

namespace qint8napi {

// An array of non-negative safe integers (a shape, a list of pads...). Entries must lie in [lo, hi].
inline std::vector<int64_t> intListArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo,
                                       int64_t hi, size_t maxLen = 16) {
  Napi::Env env = info.Env();
  if (!info[i].IsArray()) throwType(env, std::string(name) + " must be an array of integers");
  Napi::Array a = info[i].As<Napi::Array>();
  if (a.Length() > maxLen) throwRange(env, std::string(name) + " has more than " + std::to_string(maxLen) + " entries");
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value v = a.Get(k);
    if (!v.IsNumber()) throwType(env, std::string(name) + "[" + std::to_string(k) + "] must be an integer");
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d != std::floor(d))
      throwType(env, std::string(name) + "[" + std::to_string(k) + "] must be an integer");
    if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
      throwRange(env, std::string(name) + "[" + std::to_string(k) + "] must be in [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "]");
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

inline int64_t shapeSize(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// A Uint8Array (dtype 0) or Int8Array (dtype 1) at info[i].
inline ArrayView qArrayArg(const Napi::CallbackInfo& info, size_t i, qint8::DType t, const char* name) {
  return typedArrayArg(info, i, arrayTypeOf(t), name);
}

// dtype argument restricted to uint8 / int8.
inline qint8::DType qTypeArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const qint8::DType t = dtypeArg(info, i, name);
  if (t != qint8::DType::kU8 && t != qint8::DType::kS8) throwRange(info.Env(), std::string(name) + " must be uint8 or int8");
  return t;
}

// (scale, zeroPoint) at info[i], info[i + 1].
inline qint8::QParams qparamsArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  qint8::QParams q;
  q.scale = static_cast<float>(numberArg(info, i, (std::string(name) + ".scale").c_str()));
  q.zeroPoint = static_cast<int32_t>(intArg(info, i + 1, (std::string(name) + ".zeroPoint").c_str(), -128, 255));
  return q;
}

inline void checkLength(Napi::Env env, const ArrayView& v, int64_t want, const char* name) {
  if (static_cast<int64_t>(v.length) != want)
    throwRange(env, std::string(name) + " has " + std::to_string(v.length) + " elements, expected " + std::to_string(want));
}

}  // namespace qint8napi
