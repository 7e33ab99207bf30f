// qint8 — the plan executor: a model (ops created once, constants copied once) and plans (one
// per concrete input-shape signature: the op sequence with every value's place and shape, and
// the arena size). A run binds the caller's input and output buffers, takes an arena from the
// plan's pool (concurrent runs each get their own; no allocation once warm) and runs the ops in
// order, each op parallelised internally on the thread pool.
#pragma once
#include <cstddef>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "qint8/op.h"
#include "qint8/tensor.h"

namespace qint8 {

class Model {
 public:
  // Takes ownership of an op; returns its index.
  int addOp(std::unique_ptr<Op> op, std::string label);
  // Copies a constant tensor (64-byte aligned); returns its index.
  int addConstant(const TensorView& t);
  const Op& op(int i) const { return *ops_.at(static_cast<size_t>(i)); }
  const std::string& label(int i) const { return labels_.at(static_cast<size_t>(i)); }
  const TensorView& constant(int i) const { return constants_.at(static_cast<size_t>(i)); }
  size_t opCount() const { return ops_.size(); }
  size_t constantCount() const { return constants_.size(); }
  size_t constantBytes() const { return constantBytes_; }
  ~Model();

 private:
  std::vector<std::unique_ptr<Op>> ops_;
  std::vector<std::string> labels_;
  std::vector<TensorView> constants_;
  size_t constantBytes_ = 0;
};

// Where a value lives during a run.
struct PlanValue {
  enum Kind { kArena = 0, kInput = 1, kOutput = 2, kConstant = 3 } kind = kArena;
  int index = 0;       // input / output / constant index
  size_t offset = 0;   // arena byte offset (kArena); for the other kinds, a byte offset into that buffer (views)
  ElemType type = ElemType::kF32;
  Shape shape;
};

struct PlanStep {
  int op = 0;
  std::vector<int> inputs;   // value indices; -1 = omitted optional input
  std::vector<int> outputs;  // value indices; -1 = omitted optional output
};

class Plan {
 public:
  // Checks every index and offset (values must fit the arena; arena values must not overlap
  // while both are live is the compiler's contract and is not re-derived here), and sizes the
  // shared scratch region from each op's scratchBytes for these shapes.
  Plan(std::shared_ptr<const Model> model, std::vector<PlanValue> values, std::vector<PlanStep> steps,
       size_t arenaBytes, int inputCount, int outputCount);
  ~Plan();

  // inputs/outputs: one pointer per graph input/output (sizes are the caller's contract, checked
  // by the binding). maxThreads: 0 = the whole pool. Throws what an op throws; the step's label
  // is prefixed to the message.
  void run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs, int maxThreads = 0) const;

  // Bytes of graph input / output i the plan reads / writes (the caller's buffers must match).
  size_t inputBytes(int i) const { return inputBytes_.at(static_cast<size_t>(i)); }
  size_t outputBytes(int i) const { return outputBytes_.at(static_cast<size_t>(i)); }
  size_t arenaBytes() const { return arenaBytes_; }
  size_t scratchBytes() const { return scratchBytes_; }
  const std::vector<PlanValue>& values() const { return values_; }
  int inputCount() const { return inputCount_; }
  int outputCount() const { return outputCount_; }
  size_t stepCount() const { return steps_.size(); }
  // Wall nanoseconds of the last run that completed (UINT64_MAX before the first). The binding
  // uses it to run tiny plans on the calling thread instead of paying the async hop.
  uint64_t lastRunNs() const { return lastRunNs_.load(std::memory_order_relaxed); }

  // Opt-in per-step profile (wall time of each step's run(), summed over runs; concurrent runs
  // add atomically). Off by default: a run then reads no clock.
  void setProfiling(bool on) const { profiling_.store(on, std::memory_order_relaxed); }
  bool profiling() const { return profiling_.load(std::memory_order_relaxed); }
  // Nanoseconds per step (wall, then the calling thread's CPU time: the op's whole cost at one
  // thread, and unaffected by preemption on a loaded machine) and the number of profiled runs;
  // reset zeroes them.
  std::vector<uint64_t> profile(uint64_t* runs, bool reset, std::vector<uint64_t>* cpuNs = nullptr) const;

 private:
  struct Arena;
  Arena* acquire() const;
  void release(Arena* a) const;

  std::shared_ptr<const Model> model_;
  std::vector<PlanValue> values_;
  std::vector<PlanStep> steps_;
  size_t arenaBytes_ = 0, scratchBytes_ = 0;
  std::vector<size_t> inputBytes_, outputBytes_;
  int inputCount_ = 0, outputCount_ = 0;
  mutable std::mutex poolMutex_;
  mutable std::vector<Arena*> free_;
  mutable std::vector<Arena*> all_;
  mutable std::atomic<bool> profiling_{false};
  mutable std::unique_ptr<std::atomic<uint64_t>[]> profNs_, profCpuNs_;
  mutable std::atomic<uint64_t> profRuns_{0};
  mutable std::atomic<uint64_t> lastRunNs_{UINT64_MAX};
};

}  // namespace qint8
