// Runner threads (qint8/runner.h): every submitted job runs exactly once, whether the runners are
// spinning, sleeping or all busy (jobs then queue), with jobs submitted from several threads, and
// jobs may themselves use the thread pool. A lost wake-up (a job queued while the only spinning
// runner decides to sleep) would show up as a job that never runs: the test waits with a
// deadline and fails instead of hanging.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "harness.h"
#include "qint8/runner.h"
#include "qint8/threadpool.h"

using namespace qint8;

namespace {

bool waitFor(const std::atomic<int>& done, int want) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (done.load() < want) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return true;
}

void submitMany(int jobs, uint64_t seed, std::vector<std::atomic<int>>& hits, int base, std::atomic<int>& done) {
  qt::Rng r(seed);
  for (int j = 0; j < jobs; ++j) {
    const int work = r.uniform(0, 3);
    const int pause = r.uniform(0, 4);
    Runner::global().submit([&hits, &done, id = base + j, work] {
      if (work == 3) {
        // Some jobs use the pool, as a plan run does.
        std::atomic<int> tasks{0};
        ThreadPool::global().parallelFor(8, [&](int, int) { tasks.fetch_add(1); });
        if (tasks.load() != 8) hits[id].fetch_add(100);
      } else {
        volatile int spin = 0;
        for (int k = 0; k < work * 3000; ++k) spin = spin + k;
      }
      hits[id].fetch_add(1);
      done.fetch_add(1);
    });
    // Gaps shorter and longer than the spin, so the next job finds a spinning or a sleeping runner.
    if (pause == 1) std::this_thread::sleep_for(std::chrono::microseconds(20));
    if (pause == 2) std::this_thread::sleep_for(std::chrono::microseconds(300));
  }
}

}  // namespace

TEST(runner_every_job_runs_once) {
  const int oldSpin = Runner::global().spinMicros();
  for (int spin : {0, 50, 1000}) {
    Runner::global().setSpinMicros(spin);
    const int jobs = 600;
    std::vector<std::atomic<int>> hits(jobs);
    std::atomic<int> done{0};
    submitMany(jobs, 7 + spin, hits, 0, done);
    CHECK_MSG(waitFor(done, jobs), "a submitted job did not run (spin " + std::to_string(spin) + ")");
    for (int j = 0; j < jobs; ++j) CHECK_MSG(hits[j].load() == 1, "job " + std::to_string(j) + " ran " + std::to_string(hits[j].load()) + " times");
    // One job at a time, each waited for, after a gap shorter or longer than the spin: nothing
    // later can rescue a job whose wake-up was lost.
    qt::Rng r(spin + 1);
    for (int j = 0; j < 200; ++j) {
      std::this_thread::sleep_for(std::chrono::microseconds(r.uniform(0, 3) * 100));
      auto one = std::make_shared<std::atomic<int>>(0);  // outlives a job that runs too late
      Runner::global().submit([one] { one->fetch_add(1); });
      CHECK_MSG(waitFor(*one, 1), "a lone job did not run (spin " + std::to_string(spin) + ")");
    }
  }
  CHECK(Runner::global().threads() >= 1 && Runner::global().threads() <= Runner::kMaxThreads);
  Runner::global().setSpinMicros(oldSpin);
}

TEST(runner_jobs_from_several_threads) {
  const int perThread = 300, submitters = 3;
  std::vector<std::atomic<int>> hits(perThread * submitters);
  std::atomic<int> done{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < submitters; ++i) ts.emplace_back([&, i] { submitMany(perThread, 100 + i, hits, i * perThread, done); });
  for (auto& t : ts) t.join();
  CHECK_MSG(waitFor(done, perThread * submitters), "a submitted job did not run");
  for (size_t j = 0; j < hits.size(); ++j) CHECK_MSG(hits[j].load() == 1, "job " + std::to_string(j) + " ran " + std::to_string(hits[j].load()) + " times");
  CHECK(Runner::global().threads() <= Runner::kMaxThreads);
}

// submit(work, done): done runs once, after work, on the same runner, whether runners spin or not.
TEST(runner_done_runs_once_after_work) {
  const int oldSpin = Runner::global().spinMicros();
  for (int spin : {0, 1000}) {
    Runner::global().setSpinMicros(spin);
    const int jobs = 300;
    struct Rec {
      std::atomic<int> work{0}, done{0}, order{0};  // order: 1 if done saw work's effect
      std::atomic<bool> sameThread{false};
      std::thread::id worker;
    };
    std::vector<std::shared_ptr<Rec>> recs;
    std::atomic<int> finished{0};
    for (int j = 0; j < jobs; ++j) {
      auto r = std::make_shared<Rec>();
      recs.push_back(r);
      if (j % 7 == 3) {  // an empty done
        Runner::global().submit([r, &finished] { r->work.fetch_add(1), r->done.fetch_add(1), r->order.store(1), r->sameThread.store(true), finished.fetch_add(1); }, nullptr);
        continue;
      }
      Runner::global().submit([r] { r->worker = std::this_thread::get_id(), r->work.fetch_add(1); },
                              [r, &finished] {
                                r->order.store(r->work.load() == 1 ? 1 : 0);
                                r->sameThread.store(r->worker == std::this_thread::get_id());
                                r->done.fetch_add(1);
                                finished.fetch_add(1);
                              });
    }
    CHECK_MSG(waitFor(finished, jobs), "a job's done did not run (spin " + std::to_string(spin) + ")");
    for (int j = 0; j < jobs; ++j) {
      const Rec& r = *recs[j];
      CHECK_MSG(r.work.load() == 1 && r.done.load() == 1, "job " + std::to_string(j) + ": work ran " + std::to_string(r.work.load()) + ", done " + std::to_string(r.done.load()) + " times");
      CHECK_MSG(r.order.load() == 1 && r.sameThread.load(), "job " + std::to_string(j) + ": done before its work, or on another thread");
    }
  }
  Runner::global().setSpinMicros(oldSpin);
}

// A job submitted from the previous job's done (as the JS thread does when a run's end wakes it)
// goes to the runner that ran the previous job, which is already counted idle and spinning: no
// other runner is woken or started. Were done called while its runner still counted as busy,
// every chained job would go to another runner.
TEST(runner_job_submitted_from_done_stays_on_the_runner) {
  const int oldSpin = Runner::global().spinMicros();
  Runner::global().setSpinMicros(20000);
  struct Chain {
    std::atomic<int> left{60}, ran{0}, elsewhere{0};
    std::thread::id first;
    std::atomic<bool> haveFirst{false};
    std::function<void()> step;
  };
  auto ch = std::make_shared<Chain>();
  std::weak_ptr<Chain> weak = ch;
  ch->step = [weak] {
    auto c = weak.lock();
    if (!c) return;
    Runner::global().submit(
        [c] {
          if (!c->haveFirst.load()) c->first = std::this_thread::get_id(), c->haveFirst.store(true);
          else if (c->first != std::this_thread::get_id()) c->elsewhere.fetch_add(1);
          c->ran.fetch_add(1);
        },
        [c] {
          if (c->left.fetch_sub(1) > 1) c->step();
        });
  };
  ch->step();
  CHECK_MSG(waitFor(ch->ran, 60), "a chained job did not run");
  CHECK_MSG(ch->elsewhere.load() == 0, std::to_string(ch->elsewhere.load()) + " of 59 chained jobs ran on another runner than the first");
  Runner::global().setSpinMicros(oldSpin);
}
