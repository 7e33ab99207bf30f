// qint8 — the op interface of the graph engine.
//
// Every op the engine runs (float or int8) is a subclass of Op registered under a (domain, name)
// pair with QINT8_REGISTER_OP. The compiler (TypeScript) creates one instance per graph node from
// the node's attributes and its constant inputs (weights are packed once, here), then the plan
// executor calls run() with concrete input/output shapes (shape inference happened on the
// TypeScript side; run() validates what it relies on and throws std::invalid_argument otherwise).
//
// Names: standard ONNX ops with ONNX semantics register in domain "" under their ONNX name
// (e.g. "Softmax"); engine-internal variants (channels-last layouts, fused forms) register in
// domain "qint8" (e.g. "ConvNhwc").
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qint8/common.h"
#include "qint8/tensor.h"

namespace qint8 {

struct Attr {
  enum Kind { kInt, kFloat, kInts, kFloats, kString, kTensor } kind = kInt;
  int64_t i = 0;
  double f = 0;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::string s;
  // kTensor: owned copy of the data.
  ElemType tensorType = ElemType::kF32;
  Shape tensorShape;
  std::vector<uint8_t> tensorData;
};

class Attrs {
 public:
  std::map<std::string, Attr> map;

  bool has(const std::string& k) const { return map.count(k) != 0; }
  int64_t getInt(const std::string& k, int64_t dflt) const;
  int64_t getInt(const std::string& k) const;  // required
  double getFloat(const std::string& k, double dflt) const;
  std::vector<int64_t> getInts(const std::string& k, const std::vector<int64_t>& dflt = {}) const;
  std::vector<double> getFloats(const std::string& k, const std::vector<double>& dflt = {}) const;
  std::string getString(const std::string& k, const std::string& dflt) const;
  const Attr* tensor(const std::string& k) const;  // null if absent
};

// What an op is created with.
struct OpContext {
  Isa isa = Isa::kScalar;
  Attrs attrs;
  // One entry per node input: the tensor when the input is a constant, else an empty view
  // (data == nullptr, type/shape may still describe it when known). Views stay valid only
  // during create(); an op that needs the data later copies or packs it.
  std::vector<TensorView> constants;
  std::vector<bool> inputPresent;  // false for omitted optional inputs
};

class Op {
 public:
  virtual ~Op() = default;
  // Scratch bytes run() needs for these shapes (the executor provides them, 64-byte aligned).
  virtual size_t scratchBytes(const std::vector<TensorView>& in, const std::vector<TensorView>& out) const {
    (void)in;
    (void)out;
    return 0;
  }
  // in: one view per node input (data null for an omitted optional input); out: one per output,
  // with shapes and types already set and memory allocated. maxThreads: 0 = the whole pool.
  virtual void run(const std::vector<TensorView>& in, const std::vector<TensorView>& out, void* scratch,
                   int maxThreads) const = 0;
  // Output i may share input j's memory (elementwise in-place / reshape-like aliasing): -1 = no.
  virtual int inplaceInput(int outputIndex) const {
    (void)outputIndex;
    return -1;
  }
};

using OpFactory = std::unique_ptr<Op> (*)(const OpContext& ctx);

// Registers a factory (called from static initializers via QINT8_REGISTER_OP).
void registerOp(const char* domain, const char* name, OpFactory factory);
// Creates an op; throws std::invalid_argument for an unknown (domain, name) or a bad config.
std::unique_ptr<Op> createOp(const std::string& domain, const std::string& name, const OpContext& ctx);
// Registered (domain, name) pairs, sorted.
std::vector<std::pair<std::string, std::string>> registeredOps();

struct OpRegistrar {
  OpRegistrar(const char* domain, const char* name, OpFactory f) { registerOp(domain, name, f); }
};

}  // namespace qint8

#define QINT8_OP_CAT2(a, b) a##b
#define QINT8_OP_CAT(a, b) QINT8_OP_CAT2(a, b)
// QINT8_REGISTER_OP("", "Softmax", factoryFunction);
#define QINT8_REGISTER_OP(domain, name, factory) \
  static ::qint8::OpRegistrar QINT8_OP_CAT(qint8_op_reg_, __COUNTER__)(domain, name, factory)
