// qint8 — model and plan executor.
#include "qint8/plan.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstring>
#include <stdexcept>

#include "aligned.h"
#include "qint8/threadpool.h"

namespace qint8 {

namespace {
uint64_t threadCpuNs() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
#endif
  return 0;
}
}  // namespace

Model::~Model() {
  for (auto& c : constants_) alignedFree(c.data);
}

int Model::addOp(std::unique_ptr<Op> op, std::string label) {
  ops_.push_back(std::move(op));
  labels_.push_back(std::move(label));
  return static_cast<int>(ops_.size() - 1);
}

int Model::addConstant(const TensorView& t) {
  TensorView c = t;
  const size_t bytes = t.bytes();
  c.data = alignedAlloc(bytes == 0 ? kAlign : bytes);
  if (bytes) std::memcpy(c.data, t.data, bytes);
  constants_.push_back(c);
  constantBytes_ += bytes;
  return static_cast<int>(constants_.size() - 1);
}

// Per-run state: the arena and the views handed to the ops (rebuilt per run from offsets).
struct Plan::Arena {
  void* base = nullptr;
  std::vector<TensorView> views;                // one per plan value
  std::vector<std::vector<TensorView>> ins, outs;  // per step
  ~Arena() { alignedFree(base); }
};

Plan::Plan(std::shared_ptr<const Model> model, std::vector<PlanValue> values, std::vector<PlanStep> steps,
           size_t arenaBytes, int inputCount, int outputCount)
    : model_(std::move(model)),
      values_(std::move(values)),
      steps_(std::move(steps)),
      arenaBytes_((arenaBytes + kAlign - 1) / kAlign * kAlign),
      inputCount_(inputCount),
      outputCount_(outputCount) {
  const int nv = static_cast<int>(values_.size());
  inputBytes_.assign(static_cast<size_t>(std::max(0, inputCount_)), 0);
  outputBytes_.assign(static_cast<size_t>(std::max(0, outputCount_)), 0);
  for (size_t i = 0; i < values_.size(); ++i) {
    const PlanValue& v = values_[i];
    const size_t bytes = static_cast<size_t>(v.shape.numel()) * elemSize(v.type);
    switch (v.kind) {
      case PlanValue::kArena:
        if (v.offset + bytes > arenaBytes_) throw std::invalid_argument("plan value " + std::to_string(i) + " exceeds the arena");
        break;
      case PlanValue::kInput:
        if (v.index < 0 || v.index >= inputCount_) throw std::invalid_argument("plan value " + std::to_string(i) + ": bad input index");
        inputBytes_[v.index] = std::max(inputBytes_[v.index], v.offset + bytes);
        break;
      case PlanValue::kOutput:
        if (v.index < 0 || v.index >= outputCount_) throw std::invalid_argument("plan value " + std::to_string(i) + ": bad output index");
        outputBytes_[v.index] = std::max(outputBytes_[v.index], v.offset + bytes);
        break;
      case PlanValue::kConstant: {
        if (v.index < 0 || static_cast<size_t>(v.index) >= model_->constantCount())
          throw std::invalid_argument("plan value " + std::to_string(i) + ": bad constant index");
        const TensorView& c = model_->constant(v.index);
        if (v.offset + bytes > c.bytes()) throw std::invalid_argument("plan value " + std::to_string(i) + " exceeds its constant");
        break;
      }
    }
  }
  std::vector<TensorView> in, out;
  for (size_t s = 0; s < steps_.size(); ++s) {
    const PlanStep& st = steps_[s];
    if (st.op < 0 || static_cast<size_t>(st.op) >= model_->opCount()) throw std::invalid_argument("plan step " + std::to_string(s) + ": bad op index");
    in.clear();
    out.clear();
    for (int v : st.inputs) {
      if (v < -1 || v >= nv) throw std::invalid_argument("plan step " + std::to_string(s) + ": bad input value");
      TensorView t;
      if (v >= 0) {
        t.type = values_[v].type;
        t.shape = values_[v].shape;
      }
      in.push_back(t);
    }
    for (int v : st.outputs) {
      if (v < -1 || v >= nv) throw std::invalid_argument("plan step " + std::to_string(s) + ": bad output value");
      TensorView t;  // -1: an omitted optional output (data stays null)
      if (v >= 0) {
        t.type = values_[v].type;
        t.shape = values_[v].shape;
      }
      out.push_back(t);
    }
    scratchBytes_ = std::max(scratchBytes_, model_->op(st.op).scratchBytes(in, out));
  }
  scratchBytes_ = (scratchBytes_ + kAlign - 1) / kAlign * kAlign;
  profNs_.reset(new std::atomic<uint64_t>[steps_.size() + 1]);
  profCpuNs_.reset(new std::atomic<uint64_t>[steps_.size() + 1]);
  for (size_t s = 0; s <= steps_.size(); ++s) {
    profNs_[s].store(0, std::memory_order_relaxed);
    profCpuNs_[s].store(0, std::memory_order_relaxed);
  }
}

std::vector<uint64_t> Plan::profile(uint64_t* runs, bool reset, std::vector<uint64_t>* cpuNs) const {
  std::vector<uint64_t> ns(steps_.size());
  if (cpuNs) cpuNs->assign(steps_.size(), 0);
  for (size_t s = 0; s < steps_.size(); ++s) {
    ns[s] = reset ? profNs_[s].exchange(0) : profNs_[s].load();
    const uint64_t c = reset ? profCpuNs_[s].exchange(0) : profCpuNs_[s].load();
    if (cpuNs) (*cpuNs)[s] = c;
  }
  if (runs) *runs = reset ? profRuns_.exchange(0) : profRuns_.load();
  return ns;
}

Plan::~Plan() {
  for (Arena* a : all_) delete a;
}

Plan::Arena* Plan::acquire() const {
  {
    std::lock_guard<std::mutex> lock(poolMutex_);
    if (!free_.empty()) {
      Arena* a = free_.back();
      free_.pop_back();
      return a;
    }
  }
  auto* a = new Arena();
  a->base = alignedAlloc(arenaBytes_ + scratchBytes_ + kAlign);
  a->views.resize(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) {
    a->views[i].type = values_[i].type;
    a->views[i].shape = values_[i].shape;
  }
  a->ins.resize(steps_.size());
  a->outs.resize(steps_.size());
  for (size_t s = 0; s < steps_.size(); ++s) {
    a->ins[s].resize(steps_[s].inputs.size());
    a->outs[s].resize(steps_[s].outputs.size());
  }
  std::lock_guard<std::mutex> lock(poolMutex_);
  all_.push_back(a);
  return a;
}

void Plan::release(Arena* a) const {
  std::lock_guard<std::mutex> lock(poolMutex_);
  free_.push_back(a);
}

void Plan::run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs, int maxThreads) const {
  if (static_cast<int>(inputs.size()) != inputCount_ || static_cast<int>(outputs.size()) != outputCount_)
    throw std::invalid_argument("wrong number of plan inputs/outputs");
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  // Sleeping pool workers wake while the first ops (often single-threaded) run.
  ThreadPool::global().prewake(maxThreads);
  Arena* a = acquire();
  struct Give {
    const Plan* p;
    Arena* a;
    ~Give() { p->release(a); }
  } give{this, a};
  uint8_t* base = static_cast<uint8_t*>(a->base);
  for (size_t i = 0; i < values_.size(); ++i) {
    const PlanValue& v = values_[i];
    uint8_t* p = nullptr;
    switch (v.kind) {
      case PlanValue::kArena: p = base + v.offset; break;
      case PlanValue::kInput: p = static_cast<uint8_t*>(const_cast<void*>(inputs[v.index])) + v.offset; break;
      case PlanValue::kOutput: p = static_cast<uint8_t*>(outputs[v.index]) + v.offset; break;
      case PlanValue::kConstant: p = static_cast<uint8_t*>(model_->constant(v.index).data) + v.offset; break;
    }
    a->views[i].data = p;
  }
  void* scratch = base + arenaBytes_;
  const bool prof = profiling_.load(std::memory_order_relaxed);
  Clock::time_point t0;
  uint64_t c0 = 0;
  for (size_t s = 0; s < steps_.size(); ++s) {
    const PlanStep& st = steps_[s];
    auto& in = a->ins[s];
    auto& out = a->outs[s];
    for (size_t j = 0; j < st.inputs.size(); ++j) in[j] = st.inputs[j] >= 0 ? a->views[st.inputs[j]] : TensorView{};
    for (size_t j = 0; j < st.outputs.size(); ++j) out[j] = st.outputs[j] >= 0 ? a->views[st.outputs[j]] : TensorView{};
    if (prof) {
      t0 = Clock::now();
      c0 = threadCpuNs();
    }
    try {
      model_->op(st.op).run(in, out, scratch, maxThreads);
    } catch (const std::exception& e) {
      throw std::invalid_argument(model_->label(st.op) + ": " + e.what());
    }
    if (prof) {
      profNs_[s].fetch_add(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count()),
                           std::memory_order_relaxed);
      profCpuNs_[s].fetch_add(threadCpuNs() - c0, std::memory_order_relaxed);
    }
  }
  if (prof) profRuns_.fetch_add(1, std::memory_order_relaxed);
  lastRunNs_.store(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()),
                   std::memory_order_relaxed);
}

}  // namespace qint8
