// Counts malloc / calloc / realloc calls of a process and prints the total at exit, to check
// what a run allocates: run the same script with N and 2N runs and take the difference / N.
// Build: gcc -O2 -shared -fPIC -o /tmp/malloc-count.so scripts/malloc-count.c
// Use:   LD_PRELOAD=/tmp/malloc-count.so node script.js   (prints 'MALLOCS <count>' on stderr)
// Measured this way in docs/ARCHITECTURE.md ("Float engine performance": per-run allocation).
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static atomic_long n;
void *malloc(size_t s) { atomic_fetch_add_explicit(&n, 1, memory_order_relaxed); return __libc_malloc(s); }
void *calloc(size_t a, size_t b) { atomic_fetch_add_explicit(&n, 1, memory_order_relaxed); return __libc_calloc(a, b); }
void *realloc(void *p, size_t s) { atomic_fetch_add_explicit(&n, 1, memory_order_relaxed); return __libc_realloc(p, s); }
__attribute__((destructor)) static void report(void) { char b[64]; int k = snprintf(b, sizeof b, "MALLOCS %ld\n", (long)n); write(2, b, k); }
