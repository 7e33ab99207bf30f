// qint8 — runner threads for work handed off the JavaScript thread (the session's async runs). A
// job goes to an idle runner; after a job a runner spins for the next one before it sleeps, so
// back-to-back runs skip waking a sleeping thread, which on a VM whose idle vCPUs halt costs
// ~30 us. At most one runner spins at a time (yielding its core
// every few microseconds); the others sleep. Default spin 250 us.
#pragma once
#include <functional>

namespace qint8 {

class Runner {
 public:
  static Runner& global();
  // Queues `job`; it runs on a runner thread (started when none is idle, at most kMaxThreads;
  // beyond that jobs wait in order). job must not throw.
  void submit(std::function<void()> job);
  // Queues `work`; after it, the runner makes itself available for the next job (idle, spinning
  // if no other runner spins) and then calls `done`, so a job submitted from `done`, or by a thread
  // `done` wakes, goes to this runner without waking another. Neither may throw; `done` may be
  // empty.
  void submit(std::function<void()> work, std::function<void()> done);
  void setSpinMicros(int us);
  int spinMicros() const;
  // Runner threads started so far (for tests).
  int threads() const;
  static constexpr int kMaxThreads = 4;

 private:
  Runner();
  struct Impl;
  Impl* impl_;
};

}  // namespace qint8
