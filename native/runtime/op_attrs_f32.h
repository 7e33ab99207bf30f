// qint8 — attribute parsing shared by the float32 engine ops (runtime code, not for ISA files).
#pragma once
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "qint8/activation.h"
#include "qint8/conv.h"  // AutoPad
#include "qint8/op.h"

namespace qint8 {
namespace f32ops {

[[noreturn]] inline void fail(const std::string& op, const std::string& msg) { throw std::invalid_argument(op + ": " + msg); }

// A list attribute given as floats or (when every value is integral) ints.
inline std::vector<double> numbers(const Attrs& a, const std::string& key) {
  if (!a.has(key)) return {};
  const Attr& at = a.map.at(key);
  if (at.kind == Attr::kFloats) return at.floats;
  if (at.kind == Attr::kInts) return std::vector<double>(at.ints.begin(), at.ints.end());
  if (at.kind == Attr::kFloat) return {at.f};
  if (at.kind == Attr::kInt) return {static_cast<double>(at.i)};
  throw std::invalid_argument("attribute '" + key + "' must be a list of numbers");
}

// activation (string: Relu | Clip | LeakyRelu | HardSigmoid | HardSwish; absent or "" = none) and
// activation_params (Clip [min, max], LeakyRelu [alpha], HardSigmoid [alpha, beta]), as the
// onnx-import fusion pass writes them (onnxruntime's FusedConv convention).
inline Activation activation(const Attrs& a, const std::string& op) {
  Activation act;
  const std::string name = a.getString("activation", "");
  const std::vector<double> p = numbers(a, "activation_params");
  size_t need = 0;
  if (name.empty() || name == "None" || name == "Identity") {
    act.kind = ActKind::kNone;
  } else if (name == "Relu") {
    act.kind = ActKind::kRelu;
  } else if (name == "Clip") {
    act.kind = ActKind::kClip;
    need = 2;
  } else if (name == "LeakyRelu") {
    act.kind = ActKind::kLeakyRelu;
    need = 1;
  } else if (name == "HardSigmoid") {
    act.kind = ActKind::kHardSigmoid;
    need = 2;
  } else if (name == "HardSwish") {
    act.kind = ActKind::kHardSwish;
  } else {
    fail(op, "activation '" + name + "' is not one of Relu, Clip, LeakyRelu, HardSigmoid, HardSwish");
  }
  if (p.size() != need)
    fail(op, "activation " + (name.empty() ? std::string("none") : name) + " takes " + std::to_string(need) +
                 " activation_params, got " + std::to_string(p.size()));
  if (need > 0) act.p0 = static_cast<float>(p[0]);
  if (need > 1) act.p1 = static_cast<float>(p[1]);
  if (act.kind == ActKind::kClip && (std::isnan(act.p0) || std::isnan(act.p1))) fail(op, "Clip bounds must not be NaN");
  return act;
}

inline AutoPad autoPad(const Attrs& a, const std::string& op) {
  const std::string s = a.getString("auto_pad", "NOTSET");
  if (s == "NOTSET" || s.empty()) return AutoPad::kNotSet;
  if (s == "SAME_UPPER") return AutoPad::kSameUpper;
  if (s == "SAME_LOWER") return AutoPad::kSameLower;
  if (s == "VALID") return AutoPad::kValid;
  fail(op, "auto_pad '" + s + "' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID");
}

// Spatial attributes of a 1-D or 2-D window op, as 2-D (a 1-D op gets height 1).
struct Window {
  int kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int pt = 0, pl = 0, pb = 0, pr = 0;
};

inline int toInt(int64_t v, const std::string& op, const char* what) {
  if (v < 0 || v > (1 << 24)) fail(op, std::string(what) + " out of range: " + std::to_string(v));
  return static_cast<int>(v);
}

// spatial: 1 or 2. kernel: the kernel sizes when known from the weights (empty: from kernel_shape).
inline Window window(const Attrs& a, int spatial, const std::vector<int64_t>& kernel, const std::string& op) {
  Window wd;
  std::vector<int64_t> k = a.getInts("kernel_shape", kernel);
  if (static_cast<int>(k.size()) != spatial) fail(op, "kernel_shape must have " + std::to_string(spatial) + " entries");
  if (!kernel.empty() && k != kernel) fail(op, "kernel_shape does not match the weights");
  const std::vector<int64_t> one(spatial, 1);
  const std::vector<int64_t> s = a.getInts("strides", one), d = a.getInts("dilations", one);
  const std::vector<int64_t> p = a.getInts("pads", std::vector<int64_t>(2 * spatial, 0));
  if (static_cast<int>(s.size()) != spatial) fail(op, "strides must have " + std::to_string(spatial) + " entries");
  if (static_cast<int>(d.size()) != spatial) fail(op, "dilations must have " + std::to_string(spatial) + " entries");
  if (static_cast<int>(p.size()) != 2 * spatial) fail(op, "pads must have " + std::to_string(2 * spatial) + " entries");
  for (int64_t v : k)
    if (v < 1) fail(op, "kernel_shape entries must be >= 1");
  for (int64_t v : s)
    if (v < 1) fail(op, "strides must be >= 1");
  for (int64_t v : d)
    if (v < 1) fail(op, "dilations must be >= 1");
  for (int64_t v : p)
    if (v < 0) fail(op, "pads must be >= 0");
  if (spatial == 2) {
    wd.kh = toInt(k[0], op, "kernel_shape");
    wd.kw = toInt(k[1], op, "kernel_shape");
    wd.sh = toInt(s[0], op, "strides");
    wd.sw = toInt(s[1], op, "strides");
    wd.dh = toInt(d[0], op, "dilations");
    wd.dw = toInt(d[1], op, "dilations");
    wd.pt = toInt(p[0], op, "pads");
    wd.pl = toInt(p[1], op, "pads");
    wd.pb = toInt(p[2], op, "pads");
    wd.pr = toInt(p[3], op, "pads");
  } else {
    wd.kw = toInt(k[0], op, "kernel_shape");
    wd.sw = toInt(s[0], op, "strides");
    wd.dw = toInt(d[0], op, "dilations");
    wd.pl = toInt(p[0], op, "pads");
    wd.pr = toInt(p[1], op, "pads");
  }
  return wd;
}

inline void requireF32(const TensorView& t, const std::string& op, const char* what) {
  if (t.type != ElemType::kF32) fail(op, std::string(what) + " must be float32");
}

inline void requireShape(const TensorView& t, const Shape& want, const std::string& op, const char* what) {
  if (t.shape != want) fail(op, std::string(what) + " has shape " + t.shape.str() + ", expected " + want.str());
}

}  // namespace f32ops
}  // namespace qint8
