// qint8 — NEON byte lookup in a 256-entry table (armv8-a): the table is held in 16 q registers as
// four 64-byte quarters; tbl on the first quarter (indices >= 64 give 0), then tbx on each next
// quarter with the index lowered by 64 (tbx leaves a byte alone when its index is >= 64, so each
// byte is written by exactly the quarter it falls in). 4 table lookups + 3 subtractions per 16
// bytes.
//
// The 64-byte main loop is one inline asm block with the table pinned in v16-v31: written with
// intrinsics (uint8x16x4_t tables), GCC 12 reloaded all four table quarters from memory in every
// iteration (4 extra ld1 of 64 bytes per 64 bytes of output, seen in the disassembly). The tail
// (< 64 bytes) uses the intrinsics. The dotprod and i8mm tiers fall back to this table.
#include <arm_neon.h>

#include <cstring>

#include "../../../runtime/lut_kernels.h"

namespace qint8 {
namespace {

struct Table {
  uint8x16x4_t q0, q1, q2, q3;
};

static QINT8_ALWAYS_INLINE uint8x16_t lookup16(const Table& t, uint8x16_t x) {
  const uint8x16_t k64 = vdupq_n_u8(64);
  uint8x16_t y = vqtbl4q_u8(t.q0, x);
  x = vsubq_u8(x, k64);
  y = vqtbx4q_u8(y, t.q1, x);
  x = vsubq_u8(x, k64);
  y = vqtbx4q_u8(y, t.q2, x);
  x = vsubq_u8(x, k64);
  return vqtbx4q_u8(y, t.q3, x);
}

// n64 (a multiple of 64, > 0) bytes. All 64 bytes of a step are loaded before any is stored: x and
// y may be the same buffer.
static void lookup64(const uint8_t* table, const uint8_t* x, size_t n64, uint8_t* y) {
  __asm__ volatile(
      "ld1 {v16.16b-v19.16b}, [%[t]], #64\n\t"
      "ld1 {v20.16b-v23.16b}, [%[t]], #64\n\t"
      "ld1 {v24.16b-v27.16b}, [%[t]], #64\n\t"
      "ld1 {v28.16b-v31.16b}, [%[t]]\n\t"
      "movi v8.16b, #64\n"
      "1:\n\t"
      "ld1 {v0.16b-v3.16b}, [%[x]], #64\n\t"
      "tbl v4.16b, {v16.16b-v19.16b}, v0.16b\n\t"
      "tbl v5.16b, {v16.16b-v19.16b}, v1.16b\n\t"
      "tbl v6.16b, {v16.16b-v19.16b}, v2.16b\n\t"
      "tbl v7.16b, {v16.16b-v19.16b}, v3.16b\n\t"
      "sub v0.16b, v0.16b, v8.16b\n\t"
      "sub v1.16b, v1.16b, v8.16b\n\t"
      "sub v2.16b, v2.16b, v8.16b\n\t"
      "sub v3.16b, v3.16b, v8.16b\n\t"
      "tbx v4.16b, {v20.16b-v23.16b}, v0.16b\n\t"
      "tbx v5.16b, {v20.16b-v23.16b}, v1.16b\n\t"
      "tbx v6.16b, {v20.16b-v23.16b}, v2.16b\n\t"
      "tbx v7.16b, {v20.16b-v23.16b}, v3.16b\n\t"
      "sub v0.16b, v0.16b, v8.16b\n\t"
      "sub v1.16b, v1.16b, v8.16b\n\t"
      "sub v2.16b, v2.16b, v8.16b\n\t"
      "sub v3.16b, v3.16b, v8.16b\n\t"
      "tbx v4.16b, {v24.16b-v27.16b}, v0.16b\n\t"
      "tbx v5.16b, {v24.16b-v27.16b}, v1.16b\n\t"
      "tbx v6.16b, {v24.16b-v27.16b}, v2.16b\n\t"
      "tbx v7.16b, {v24.16b-v27.16b}, v3.16b\n\t"
      "sub v0.16b, v0.16b, v8.16b\n\t"
      "sub v1.16b, v1.16b, v8.16b\n\t"
      "sub v2.16b, v2.16b, v8.16b\n\t"
      "sub v3.16b, v3.16b, v8.16b\n\t"
      "tbx v4.16b, {v28.16b-v31.16b}, v0.16b\n\t"
      "tbx v5.16b, {v28.16b-v31.16b}, v1.16b\n\t"
      "tbx v6.16b, {v28.16b-v31.16b}, v2.16b\n\t"
      "tbx v7.16b, {v28.16b-v31.16b}, v3.16b\n\t"
      "st1 {v4.16b-v7.16b}, [%[y]], #64\n\t"
      "subs %[n], %[n], #64\n\t"
      "b.ne 1b\n\t"
      : [t] "+r"(table), [x] "+r"(x), [y] "+r"(y), [n] "+r"(n64)
      :
      : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v16", "v17", "v18", "v19", "v20",
        "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
}

void lookup(const uint8_t* table, const uint8_t* x, size_t n, uint8_t* y) {
  size_t i = n & ~static_cast<size_t>(63);
  if (i) lookup64(table, x, i, y);
  if (i == n) return;
  const Table t{vld1q_u8_x4(table), vld1q_u8_x4(table + 64), vld1q_u8_x4(table + 128), vld1q_u8_x4(table + 192)};
  for (; i + 16 <= n; i += 16) vst1q_u8(y + i, lookup16(t, vld1q_u8(x + i)));
  if (i < n) {
    uint8_t tmp[16] = {0};
    std::memcpy(tmp, x + i, n - i);
    vst1q_u8(tmp, lookup16(t, vld1q_u8(tmp)));
    std::memcpy(y + i, tmp, n - i);
  }
}

const LutKernelTable kNeon = {Isa::kNeon, lookup, nullptr};

}  // namespace

const LutKernelTable* lutKernelsNeon() { return &kNeon; }

}  // namespace qint8
