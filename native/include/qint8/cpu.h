// qint8 — CPU feature detection and ISA selection.
#pragma once
#include <string>

#include "qint8/common.h"

namespace qint8 {

struct CpuFeatures {
  const char* arch = "unknown";  // "x64" | "arm64" | ...
  std::string vendor;
  std::string brand;
  // x86
  bool sse41 = false, avx = false, avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false;
  bool avx512vbmi = false;  // byte permutes (vpermb/vpermi2b): optional fast paths inside the avx512vnni tier
  bool avxvnni = false;     // VEX-encoded VNNI (Alder Lake+); reported, no kernels yet
  bool osAvx = false;       // XCR0 enables ymm state
  bool osAvx512 = false;    // XCR0 enables opmask + zmm state
  // arm64
  bool neon = false, dotprod = false, i8mm = false;
};

// Detected once (cpuid/xgetbv on x86, getauxval on arm64).
const CpuFeatures& cpuFeatures();

// Can this CPU (and this build) run kernels of tier `isa`?
bool isaSupported(Isa isa);

// The best tier this CPU supports.
Isa bestIsa();

// Process-wide ISA used when a caller does not name one. Initialised from QINT8_ISA if set
// (an unsupported or unknown value is reported by isaEnvError()), else bestIsa().
Isa activeIsa();
// Empty when QINT8_ISA was accepted (or unset); else the reason it was ignored.
const std::string& isaEnvError();
// Returns false (and leaves the active ISA unchanged) if `isa` is unsupported here.
bool setActiveIsa(Isa isa);

}  // namespace qint8
