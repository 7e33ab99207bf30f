// qint8 — selection of the float32 kernel table for an ISA.
#include "dispatch.h"
#include "f32_kernels.h"

namespace qint8 {

const F32KernelTable& f32Kernels(Isa isa) {
  static const IsaTables<F32KernelTable> tables = {
      f32KernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      f32KernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      f32KernelsAvx512(),
#else
      nullptr,
#endif
      nullptr, nullptr, nullptr,  // neon, neondot, i8mm
  };
  return selectTable(isa, tables, "float32 ops");
}

}  // namespace qint8
