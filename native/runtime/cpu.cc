// qint8 — CPU feature detection (cpuid/xgetbv on x86-64, getauxval on aarch64) and ISA choice.
#include "qint8/cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__x86_64__) || defined(_M_X64)
#define QINT8_X86 1
#include <cpuid.h>
#elif defined(__aarch64__)
#define QINT8_ARM64 1
#if defined(__linux__)
#include <sys/auxv.h>
#endif
#endif

namespace qint8 {

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512Vnni: return "avx512vnni";
    case Isa::kNeon: return "neon";
    case Isa::kNeonDot: return "neondot";
    case Isa::kI8mm: return "i8mm";
  }
  return "unknown";
}

bool parseIsa(const char* name, Isa* out) {
  for (int i = 0; i < kIsaCount; ++i) {
    if (std::strcmp(name, isaName(static_cast<Isa>(i))) == 0) {
      *out = static_cast<Isa>(i);
      return true;
    }
  }
  return false;
}

namespace {

#if QINT8_X86
void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}
uint64_t xgetbv0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#if QINT8_X86
  f.arch = "x64";
  unsigned r[4];
  cpuid(0, 0, r);
  const unsigned maxLeaf = r[0];
  char vendor[13];
  std::memcpy(vendor + 0, &r[1], 4);
  std::memcpy(vendor + 4, &r[3], 4);
  std::memcpy(vendor + 8, &r[2], 4);
  vendor[12] = 0;
  f.vendor = vendor;
  cpuid(0x80000000u, 0, r);
  if (r[0] >= 0x80000004u) {
    char brand[49];
    for (unsigned i = 0; i < 3; ++i) {
      cpuid(0x80000002u + i, 0, r);
      std::memcpy(brand + 16 * i, r, 16);
    }
    brand[48] = 0;
    const char* b = brand;
    while (*b == ' ') ++b;
    f.brand = b;
  }
  cpuid(1, 0, r);
  const bool osxsave = (r[2] >> 27) & 1;
  f.sse41 = (r[2] >> 19) & 1;
  f.fma = (r[2] >> 12) & 1;
  f.avx = (r[2] >> 28) & 1;
  f.f16c = (r[2] >> 29) & 1;
  if (osxsave) {
    const uint64_t xcr0 = xgetbv0();
    f.osAvx = (xcr0 & 0x6) == 0x6;
    f.osAvx512 = f.osAvx && (xcr0 & 0xe0) == 0xe0;
  }
  if (maxLeaf >= 7) {
    cpuid(7, 0, r);
    f.avx2 = (r[1] >> 5) & 1;
    f.avx512f = (r[1] >> 16) & 1;
    f.avx512dq = (r[1] >> 17) & 1;
    f.avx512bw = (r[1] >> 30) & 1;
    f.avx512vl = (r[1] >> 31) & 1;
    f.avx512vnni = (r[2] >> 11) & 1;
    f.avx512vbmi = (r[2] >> 1) & 1;
    const unsigned maxSub = r[0];
    if (maxSub >= 1) {
      cpuid(7, 1, r);
      f.avxvnni = (r[0] >> 4) & 1;
    }
  }
  if (!f.osAvx) f.avx = f.avx2 = f.fma = f.f16c = f.avxvnni = false;
  if (!f.osAvx512) f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = f.avx512vnni = f.avx512vbmi = false;
#elif QINT8_ARM64
  f.arch = "arm64";
  f.neon = true;  // mandatory on AArch64
#if defined(__linux__)
  const unsigned long hw = getauxval(AT_HWCAP);
  const unsigned long hw2 = getauxval(AT_HWCAP2);
  f.dotprod = (hw >> 20) & 1;   // HWCAP_ASIMDDP
  f.i8mm = (hw2 >> 13) & 1;     // HWCAP2_I8MM
#endif
#endif
  return f;
}

std::mutex gIsaMutex;
std::atomic<int> gActiveIsa{-1};
std::string gIsaEnvError;

}  // namespace

const CpuFeatures& cpuFeatures() {
  static const CpuFeatures f = detect();
  return f;
}

bool isaSupported(Isa isa) {
  const CpuFeatures& f = cpuFeatures();
  switch (isa) {
    case Isa::kScalar: return true;
#if QINT8_X86
    case Isa::kAvx2: return f.avx2 && f.fma;
    case Isa::kAvx512Vnni: return f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni;
#endif
#if QINT8_ARM64
    case Isa::kNeon: return f.neon;
    case Isa::kNeonDot: return f.neon && f.dotprod;
    case Isa::kI8mm: return f.neon && f.dotprod && f.i8mm;
#endif
    default: return false;
  }
}

Isa bestIsa() {
  static const Isa order[] = {Isa::kAvx512Vnni, Isa::kAvx2, Isa::kI8mm, Isa::kNeonDot, Isa::kNeon};
  for (Isa isa : order)
    if (isaSupported(isa)) return isa;
  return Isa::kScalar;
}

Isa activeIsa() {
  int v = gActiveIsa.load(std::memory_order_acquire);
  if (v >= 0) return static_cast<Isa>(v);
  std::lock_guard<std::mutex> lock(gIsaMutex);
  v = gActiveIsa.load(std::memory_order_relaxed);
  if (v >= 0) return static_cast<Isa>(v);
  Isa chosen = bestIsa();
  const char* env = std::getenv("QINT8_ISA");
  if (env && *env) {
    Isa requested;
    if (!parseIsa(env, &requested)) {
      gIsaEnvError = std::string("QINT8_ISA=") + env +
                     " is not an ISA name (scalar, avx2, avx512vnni, neon, neondot, i8mm)";
    } else if (!isaSupported(requested)) {
      gIsaEnvError = std::string("QINT8_ISA=") + env + " is not supported by this CPU";
    } else {
      chosen = requested;
    }
  }
  gActiveIsa.store(static_cast<int>(chosen), std::memory_order_release);
  return chosen;
}

const std::string& isaEnvError() {
  activeIsa();
  return gIsaEnvError;
}

bool setActiveIsa(Isa isa) {
  if (!isaSupported(isa)) return false;
  activeIsa();  // resolve the environment first so a later call cannot overwrite this choice
  gActiveIsa.store(static_cast<int>(isa), std::memory_order_release);
  return true;
}

}  // namespace qint8
