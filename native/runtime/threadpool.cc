// qint8 — process-wide thread pool (see threadpool.h for the contract).
#include "qint8/threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define QINT8_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define QINT8_PAUSE() __asm__ __volatile__("yield")
#else
#define QINT8_PAUSE() ((void)0)
#endif

namespace qint8 {

namespace {
thread_local bool tInRegion = false;

// The CPUs this process may run on (what Node's os.availableParallelism() reports).
int defaultThreads() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}
}  // namespace

struct ThreadPool::Impl {
  // Serialises parallel regions and resizes.
  std::mutex regionMutex;

  // Current job, published by bumping `generation`.
  std::atomic<uint64_t> generation{0};
  // The region's gate: (generation << 32) | kOpen | workers inside. A worker enters (reads the
  // job's fields, claims tasks) only by a CAS that finds the gate open for the generation it woke
  // for; the caller ends the region by a CAS from "open, nobody inside" to "closed". So the region
  // ends as soon as its tasks are all claimed (the caller drains every range) and finished (no
  // worker inside), without waiting for workers that never woke up; a late worker finds the gate
  // closed or tagged with another generation and never reads this or the next job's fields.
  static constexpr uint64_t kOpen = UINT64_C(1) << 31;
  std::atomic<uint64_t> gate{0};
  // Task ranges, one per participant (cache-line padded): participant p starts on its own
  // contiguous range, so the same thread handles the same tasks from call to call (its caches
  // keep its part of the operands), and steals from the others' ranges when it runs dry.
  struct alignas(64) Range {
    std::atomic<int> next{0};
    int end = 0;
  };
  std::vector<Range> ranges;
  int nTasks = 0;
  int participants = 1;
  TaskFn fn = nullptr;
  void* ctx = nullptr;

  // Sleeping workers.
  std::mutex sleepMutex;
  std::condition_variable sleepCv;
  int sleepers = 0;
  std::atomic<int> sleeping{0};  // sleepers, readable without the lock (a hint for prewake)
  uint64_t wakeups = 0;          // prewake() count, guarded by sleepMutex
  bool stop = false;

  std::vector<std::thread> workers;
  std::atomic<int> spinMicros{50};
  int size = 1;

  // `seen` is the generation current when the worker was created: a job published before the
  // thread got to run is then still seen as new.
  void worker(int index, uint64_t seen) {
    tInRegion = true;  // nested regions inside tasks run serially
    for (;;) {
      if (!waitForJob(seen)) return;
      seen = generation.load(std::memory_order_acquire);
      if (!enter(seen)) continue;
      if (index < participants) work(index);
      gate.fetch_sub(1, std::memory_order_release);
    }
  }

  // Enters the region of generation `gen` if its gate is still open.
  bool enter(uint64_t gen) {
    uint64_t g = gate.load(std::memory_order_relaxed);
    for (;;) {
      if ((g >> 32) != (gen & 0xFFFFFFFFu) || !(g & kOpen)) return false;
      if (gate.compare_exchange_weak(g, g + 1, std::memory_order_acquire, std::memory_order_relaxed)) return true;
    }
  }

  // Returns false when the pool is stopping. A prewake() while asleep sends the worker back to
  // spinning for a region.
  bool waitForJob(uint64_t seen) {
    for (;;) {
      const auto spinFor = std::chrono::microseconds(spinMicros.load(std::memory_order_relaxed));
      if (spinFor.count() > 0) {
        const auto until = std::chrono::steady_clock::now() + spinFor;
        int iter = 0;
        while (generation.load(std::memory_order_acquire) == seen) {
          QINT8_PAUSE();
          if (++iter == 64) {
            iter = 0;
            if (std::chrono::steady_clock::now() >= until) break;
          }
        }
      }
      std::unique_lock<std::mutex> lock(sleepMutex);
      const uint64_t w = wakeups;
      ++sleepers;
      sleeping.store(sleepers, std::memory_order_relaxed);
      sleepCv.wait(lock, [&] { return stop || generation.load(std::memory_order_acquire) != seen || wakeups != w; });
      --sleepers;
      sleeping.store(sleepers, std::memory_order_relaxed);
      if (stop) return false;
      if (generation.load(std::memory_order_acquire) != seen) return true;
    }
  }

  void drain(Range& r, int thread) {
    for (;;) {
      const int t = r.next.fetch_add(1, std::memory_order_relaxed);
      if (t >= r.end) break;
      fn(ctx, t, thread);
    }
  }

  void work(int thread) {
    drain(ranges[thread], thread);
    for (int i = 1; i < participants; ++i) drain(ranges[(thread + i) % participants], thread);
  }

  void start(int n) {
    size = n;
    stop = false;
    ranges = std::vector<Range>(static_cast<size_t>(n));
    const uint64_t gen = generation.load(std::memory_order_acquire);
    for (int i = 1; i < n; ++i) workers.emplace_back([this, i, gen] { worker(i, gen); });
  }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(sleepMutex);
      stop = true;
      generation.fetch_add(1, std::memory_order_acq_rel);
    }
    sleepCv.notify_all();
    for (auto& t : workers) t.join();
    workers.clear();
  }
};

ThreadPool::ThreadPool() : impl_(new Impl) { impl_->start(defaultThreads()); }

ThreadPool::~ThreadPool() {
  impl_->shutdown();
  delete impl_;
}

ThreadPool& ThreadPool::global() {
  // Intentionally leaked: worker threads must not be joined during static destruction, when
  // Node may already be tearing down.
  static ThreadPool* pool = new ThreadPool();
  return *pool;
}

void ThreadPool::setNumThreads(int n) {
  n = std::max(1, n);
  std::lock_guard<std::mutex> lock(impl_->regionMutex);
  if (n == impl_->size) return;
  impl_->shutdown();
  impl_->start(n);
}

int ThreadPool::numThreads() const { return impl_->size; }

void ThreadPool::setSpinMicros(int us) { impl_->spinMicros.store(std::max(0, us)); }
int ThreadPool::spinMicros() const { return impl_->spinMicros.load(); }

void ThreadPool::prewake(int maxThreads) {
  Impl& p = *impl_;
  if (tInRegion || maxThreads == 1 || p.size == 1 || p.sleeping.load(std::memory_order_relaxed) == 0) return;
  {
    std::lock_guard<std::mutex> lock(p.sleepMutex);
    ++p.wakeups;
  }
  p.sleepCv.notify_all();
}

void ThreadPool::run(int nTasks, TaskFn fn, void* ctx, int maxThreads) {
  if (nTasks <= 0) return;
  Impl& p = *impl_;
  if (tInRegion || nTasks == 1 || maxThreads == 1 || p.size == 1) {
    for (int t = 0; t < nTasks; ++t) fn(ctx, t, 0);
    return;
  }
  std::lock_guard<std::mutex> region(p.regionMutex);
  int participants = std::min(p.size, nTasks);
  if (maxThreads > 0) participants = std::min(participants, maxThreads);
  if (participants <= 1) {
    tInRegion = true;
    for (int t = 0; t < nTasks; ++t) fn(ctx, t, 0);
    tInRegion = false;
    return;
  }
  p.nTasks = nTasks;
  p.fn = fn;
  p.ctx = ctx;
  p.participants = participants;
  for (int i = 0; i < participants; ++i) {
    const int b = static_cast<int>(static_cast<int64_t>(nTasks) * i / participants);
    p.ranges[i].next.store(b, std::memory_order_relaxed);
    p.ranges[i].end = static_cast<int>(static_cast<int64_t>(nTasks) * (i + 1) / participants);
  }
  const uint64_t gen = p.generation.load(std::memory_order_relaxed) + 1;
  // The gate opens (release: the fields above) before the generation is published.
  p.gate.store(((gen & 0xFFFFFFFFu) << 32) | Impl::kOpen, std::memory_order_release);
  {
    // Publishing under sleepMutex closes the race with a worker that is about to sleep.
    std::lock_guard<std::mutex> lock(p.sleepMutex);
    p.generation.store(gen, std::memory_order_release);
  }
  p.sleepCv.notify_all();
  tInRegion = true;
  p.work(0);
  tInRegion = false;
  // Every task is claimed now (work() drained every range); close the gate once the workers
  // inside have finished theirs.
  const uint64_t open = ((gen & 0xFFFFFFFFu) << 32) | Impl::kOpen;
  int iter = 0;
  for (;;) {
    uint64_t expect = open;
    if (p.gate.compare_exchange_weak(expect, open & ~Impl::kOpen, std::memory_order_acq_rel, std::memory_order_relaxed)) break;
    QINT8_PAUSE();
    if (++iter > 4096) std::this_thread::yield();
  }
}

}  // namespace qint8
