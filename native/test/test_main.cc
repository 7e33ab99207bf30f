#include <cstdlib>
#include <cstring>
#include <map>

#include "harness.h"
#include "qint8/cpu.h"

namespace qt {
std::vector<Test>& registry() {
  static std::vector<Test> r;
  return r;
}
int& failures() {
  static int f = 0;
  return f;
}
void fail(const char* file, int line, const std::string& msg) {
  if (++failures() <= 50) std::fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, msg.c_str());
}
static std::map<std::string, long>& coverage() {
  static std::map<std::string, long> c;
  return c;
}
void covered(const std::string& label) { ++coverage()[label]; }
}  // namespace qt

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : nullptr;
  const auto& f = qint8::cpuFeatures();
  std::printf("qint8 kernel tests on %s (%s); ISA tiers exercised:", f.brand.empty() ? f.arch : f.brand.c_str(), f.arch);
  for (int i = 0; i < qint8::kIsaCount; ++i)
    if (qint8::isaSupported(static_cast<qint8::Isa>(i))) std::printf(" %s", qint8::isaName(static_cast<qint8::Isa>(i)));
  std::printf("\n");
  const char* env = std::getenv("QINT8_ISA");
  std::printf("best tier: %s; active tier: %s (QINT8_ISA=%s)%s%s\n", qint8::isaName(qint8::bestIsa()),
              qint8::isaName(qint8::activeIsa()), env ? env : "", qint8::isaEnvError().empty() ? "" : "; ",
              qint8::isaEnvError().c_str());
  int run = 0, failedTests = 0;
  for (const auto& t : qt::registry()) {
    if (filter && !std::strstr(t.name, filter)) continue;
    const int before = qt::failures();
    t.fn();
    ++run;
    const bool ok = qt::failures() == before;
    if (!ok) ++failedTests;
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", t.name);
  }
  std::printf("compared against the reference:");
  for (const auto& kv : qt::coverage()) std::printf(" %s=%ld", kv.first.c_str(), kv.second);
  std::printf("\n%d tests, %d failed\n", run, failedTests);
  return failedTests == 0 ? 0 : 1;
}
