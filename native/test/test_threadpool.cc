// Thread pool: a parallel region ends when its tasks are all claimed and finished, without
// waiting for workers that never woke up (threadpool.cc's gate). These tests run many short
// regions back to back, with sleeping and spinning workers, uneven task lengths and several
// calling threads, and check that every task of every region runs exactly once, with its own
// region's function and context (a late worker reading the next region's fields, or running a
// task of a finished region, would show up as a wrong count or a wrong tag).
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "harness.h"
#include "qint8/threadpool.h"

using namespace qint8;

namespace {

void runRegions(ThreadPool& pool, int regions, uint64_t seed, std::atomic<int>& wrong, std::atomic<int>& missed) {
  qt::Rng r(seed);
  std::vector<std::atomic<int>> hits(64);
  std::vector<std::atomic<int>> tags(64);
  for (int i = 0; i < regions; ++i) {
    const int tasks = r.uniform(1, 24);
    const int maxThreads = r.uniform(0, 3);
    const int slow = r.uniform(0, 40);  // sometimes one task spins a little
    for (int t = 0; t < tasks; ++t) {
      hits[t].store(0, std::memory_order_relaxed);
      tags[t].store(-1, std::memory_order_relaxed);
    }
    pool.parallelFor(
        tasks,
        [&, i, tasks, slow](int t, int) {
          if (t < 0 || t >= tasks) {
            wrong.fetch_add(1);
            return;
          }
          if (t == slow) {
            volatile int spin = 0;
            for (int k = 0; k < 2000; ++k) spin = spin + k;
          }
          hits[t].fetch_add(1, std::memory_order_relaxed);
          tags[t].store(i, std::memory_order_relaxed);
        },
        maxThreads);
    // Right after the region returns, every task has run exactly once, tagged with this region.
    for (int t = 0; t < tasks; ++t)
      if (hits[t].load(std::memory_order_relaxed) != 1 || tags[t].load(std::memory_order_relaxed) != i) missed.fetch_add(1);
  }
}

}  // namespace

TEST(threadpool_many_short_regions) {
  ThreadPool& pool = ThreadPool::global();
  const int spin0 = pool.spinMicros();
  for (int size : {2, 3, 4}) {
    pool.setNumThreads(size);
    for (int spin : {0, 50}) {  // 0: workers sleep between regions (late wake-ups), 50: they spin
      pool.setSpinMicros(spin);
      std::atomic<int> wrong{0}, missed{0};
      runRegions(pool, spin ? 20000 : 3000, static_cast<uint64_t>(size * 10 + spin), wrong, missed);
      CHECK_MSG(wrong.load() == 0, "a task index outside its region");
      CHECK_MSG(missed.load() == 0, "a task not run exactly once by its own region");
    }
  }
  pool.setSpinMicros(spin0);
  pool.setNumThreads(2);
}

TEST(threadpool_regions_from_several_threads) {
  // Regions from different calling threads are serialised; each still sees only its own tasks.
  ThreadPool& pool = ThreadPool::global();
  pool.setNumThreads(3);
  std::atomic<int> wrong{0}, missed{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&, c] { runRegions(pool, 3000, static_cast<uint64_t>(100 + c), wrong, missed); });
  for (auto& t : callers) t.join();
  CHECK_MSG(wrong.load() == 0, "a task index outside its region");
  CHECK_MSG(missed.load() == 0, "a task not run exactly once by its own region");
  pool.setNumThreads(2);
}

TEST(threadpool_prewake_between_regions) {
  // prewake() sends sleeping workers back to spinning; regions started before, during or after
  // that (and prewakes from other threads at the same time) still run every task once, and a
  // worker woken without a region goes back to sleep (the pool keeps working afterwards).
  ThreadPool& pool = ThreadPool::global();
  const int spin0 = pool.spinMicros();
  pool.setNumThreads(3);
  for (int spin : {0, 20}) {
    pool.setSpinMicros(spin);
    std::atomic<bool> done{false};
    std::thread waker([&] {
      while (!done.load()) {
        pool.prewake();
        std::this_thread::sleep_for(std::chrono::microseconds(30));
      }
    });
    qt::Rng r(static_cast<uint64_t>(spin + 5));
    std::atomic<int> wrong{0}, missed{0};
    for (int k = 0; k < 300; ++k) {
      if (r.uniform(0, 2) == 0) std::this_thread::sleep_for(std::chrono::microseconds(r.uniform(0, 200)));
      pool.prewake(r.uniform(0, 2));
      runRegions(pool, 5, static_cast<uint64_t>(k * 7 + spin), wrong, missed);
    }
    done.store(true);
    waker.join();
    CHECK_MSG(wrong.load() == 0, "a task index outside its region");
    CHECK_MSG(missed.load() == 0, "a task not run exactly once by its own region");
  }
  pool.setSpinMicros(spin0);
  pool.setNumThreads(2);
}
