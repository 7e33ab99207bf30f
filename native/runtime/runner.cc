// Runner threads: see include/qint8/runner.h.
#include "qint8/runner.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define QINT8_RUNNER_PAUSE() _mm_pause()
#else
#define QINT8_RUNNER_PAUSE() __asm__ __volatile__("yield")
#endif

namespace qint8 {

struct Runner::Impl {
  struct Job {
    std::function<void()> work, done;
  };
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<Job> queue;                     // guarded by mutex
  std::atomic<int> queued{0};                // queue.size(), readable without the lock
  int threads = 0;                           // started runners
  int idle = 0;                              // runners spinning or sleeping, guarded by mutex
  int spinners = 0;                          // runners spinning, guarded by mutex
  std::atomic<int> spinMicros{250};

  // Counts this runner idle (and as the spinner if no other runner spins and nothing is queued),
  // then runs the previous job's `done`, then takes the next job, spinning for it first if it
  // counted as the spinner. Holds `lock` on entry and on return.
  //
  // `done` runs only once this runner is available: it typically wakes the thread that submits
  // the next job, and that thread may preempt this one on its core (a woken thread goes to the
  // waker's core when the others are busy). Were this runner still counted busy then, the next
  // submit would wake a sleeping runner while this one, resumed later, spun beside it and the
  // run's own threads on too few cores (seen as a 2-thread run of the classifier taking 0.8-1.9
  // ms through run() against 0.7 on the calling thread, 4 runners taking turns).
  Job next(std::unique_lock<std::mutex>& lock, std::function<void()>& done) {
    ++idle;
    const int us = spinMicros.load(std::memory_order_relaxed);
    const bool spin = queue.empty() && spinners == 0 && us > 0;
    if (spin) ++spinners;
    if (done || spin) {
      lock.unlock();
      if (done) {
        done();
        done = nullptr;
      }
      if (spin) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
        int iter = 0;
        while (queued.load(std::memory_order_acquire) == 0) {
          QINT8_RUNNER_PAUSE();
          if (++iter == 64) {
            iter = 0;
            if (std::chrono::steady_clock::now() >= until) break;
            // The thread that will submit the next job (or that polls for this one's end) may be
            // queued on this core.
            std::this_thread::yield();
          }
        }
      }
      lock.lock();
      if (spin) --spinners;
    }
    // submit() notifies only when no runner spins; it reads `spinners` under the lock, so a
    // runner that stops spinning either finds the job here or is notified.
    cv.wait(lock, [&] { return !queue.empty(); });
    --idle;
    Job job = std::move(queue.front());
    queue.pop_front();
    queued.store(static_cast<int>(queue.size()), std::memory_order_release);
    return job;
  }

  void loop() {
    std::unique_lock<std::mutex> lock(mutex);
    std::function<void()> done;
    for (;;) {
      Job job = next(lock, done);
      lock.unlock();
      job.work();
      job.work = nullptr;  // release what the work holds before idling
      done = std::move(job.done);
      lock.lock();
    }
  }
};

Runner::Runner() : impl_(new Impl) {}

Runner& Runner::global() {
  // Never destroyed: runner threads may still sleep in the condition variable at exit.
  static Runner* r = new Runner;
  return *r;
}

void Runner::submit(std::function<void()> job) { submit(std::move(job), nullptr); }

void Runner::submit(std::function<void()> work, std::function<void()> done) {
  Impl& s = *impl_;
  bool wake = false, start = false;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.queue.push_back({std::move(work), std::move(done)});
    s.queued.store(static_cast<int>(s.queue.size()), std::memory_order_release);
    // Idle runners beyond the queued jobs take them; otherwise start one if allowed.
    if (s.idle >= static_cast<int>(s.queue.size())) {
      wake = s.spinners == 0 || static_cast<int>(s.queue.size()) > 1;
    } else if (s.threads < kMaxThreads) {
      ++s.threads;
      start = true;
    }
  }
  if (wake) s.cv.notify_one();
  if (start) std::thread([&s] { s.loop(); }).detach();
}

void Runner::setSpinMicros(int us) { impl_->spinMicros.store(us < 0 ? 0 : us); }
int Runner::spinMicros() const { return impl_->spinMicros.load(); }
int Runner::threads() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->threads;
}

}  // namespace qint8
