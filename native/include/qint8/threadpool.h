// qint8 — one process-wide thread pool. The calling thread takes part in the work, so a pool of
// size T runs T-1 worker threads. Parallel regions from different threads are serialised (one
// region at a time keeps the pool from oversubscribing the cores, including when the callers are
// libuv's workers). A parallel region started inside another runs serially on its thread.
#pragma once
#include <cstdint>
#include <type_traits>

namespace qint8 {

using TaskFn = void (*)(void* ctx, int task, int thread);

class ThreadPool {
 public:
  static ThreadPool& global();

  // Total participants, caller included. n >= 1.
  void setNumThreads(int n);
  int numThreads() const;
  // How long an idle worker spins before it sleeps (microseconds). Spinning makes back-to-back
  // calls cheap; sleeping frees the core. Default 50.
  void setSpinMicros(int us);
  int spinMicros() const;

  // Wakes sleeping workers so that they spin for the next region: a caller that will start
  // regions soon (a plan run) hides the wake-up behind its own work. Cheap when none sleeps.
  void prewake(int maxThreads = 0);

  // Runs fn(ctx, t, thread) for every t in [0, nTasks), each exactly once. Participant p (0 is
  // the caller) starts on the p-th contiguous slice of the tasks, in order, then steals what is
  // left of the others' slices: the same thread gets the same tasks from call to call when the
  // cores are evenly loaded. `thread` is in [0, numThreads()) and unique among concurrent
  // invocations. maxThreads limits the participants for this call (0 = all).
  void run(int nTasks, TaskFn fn, void* ctx, int maxThreads = 0);

  template <typename F>
  void parallelFor(int nTasks, F&& f, int maxThreads = 0) {
    using Fn = std::remove_reference_t<F>;
    run(nTasks, [](void* c, int t, int th) { (*static_cast<Fn*>(c))(t, th); }, const_cast<void*>(static_cast<const void*>(&f)), maxThreads);
  }

  ~ThreadPool();

 private:
  ThreadPool();
  struct Impl;
  Impl* impl_;
};

}  // namespace qint8
