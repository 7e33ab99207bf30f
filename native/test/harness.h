// qint8 — minimal C++ test harness (no external dependency): TEST(name) registers a function,
// CHECK* record failures with file:line, main() runs every test and exits non-zero on failure.
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace qt {

struct Test {
  const char* name;
  std::function<void()> fn;
};
std::vector<Test>& registry();
int& failures();
void fail(const char* file, int line, const std::string& msg);
// Counts comparisons per label (e.g. "gemm/neondot"); main() prints the totals, so every run
// shows which kernel tiers it actually compared against the reference.
void covered(const std::string& label);

// Label of a comparison for covered(): "family/tier", or "family/tier->ran" when the tier runs
// another tier's kernels (a family without kernels of its own for the tier falls back).
inline std::string tierLabel(const std::string& family, const char* tier, const char* ran) {
  return family + "/" + tier + (std::string(tier) == ran ? std::string() : std::string("->") + ran);
}

struct Registrar {
  Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

// Deterministic xorshift64* generator.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  int uniform(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1)); }
  float uniformf(float lo, float hi) { return lo + (hi - lo) * static_cast<float>((next() >> 40) * (1.0 / (1ull << 24))); }
};

}  // namespace qt

#define QT_CAT2(a, b) a##b
#define QT_CAT(a, b) QT_CAT2(a, b)
#define TEST(name)                                                   \
  static void QT_CAT(test_, name)();                                 \
  static qt::Registrar QT_CAT(reg_, name)(#name, QT_CAT(test_, name)); \
  static void QT_CAT(test_, name)()

#define CHECK(cond)                                       \
  do {                                                    \
    if (!(cond)) qt::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_MSG(cond, msg)                              \
  do {                                                    \
    if (!(cond)) qt::fail(__FILE__, __LINE__, (msg));     \
  } while (0)
