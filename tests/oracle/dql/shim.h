// The few kernel macros lib/dynamic_queue_limits.c needs, for building it in user space.
#ifndef SHIM_H
#define SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <stdbool.h>
#define BITS_PER_LONG 64
#define unlikely(x) (x)
#define likely(x) (x)
#define READ_ONCE(x) (x)
#define WRITE_ONCE(x, v) ((x) = (v))
#define smp_wmb()
#define smp_rmb()
#define barrier()
#define ____cacheline_aligned_in_smp
#define BUG_ON(c) do { if (c) { fprintf(stderr, "BUG\n"); exit(2); } } while (0)
#define WARN_ON_ONCE(c) (c)
#define EXPORT_SYMBOL(x)
#define BIT_MASK(nr) (1UL << ((nr) % BITS_PER_LONG))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define time_after(a, b) ((long)((b) - (a)) < 0)
#define time_after_eq(a, b) ((long)((a) - (b)) >= 0)
#define time_before(a, b) time_after(b, a)
#define time_before_eq(a, b) time_after_eq(b, a)
#define test_bit(nr, addr) ((addr)[(nr) / BITS_PER_LONG] >> ((nr) % BITS_PER_LONG) & 1)
#define trace_dql_stall_detected(...)
extern unsigned long jiffies;
#endif
