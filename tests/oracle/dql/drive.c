// Runs the kernel's own lib/dynamic_queue_limits.c (Linux source, unmodified) on a list of
// operations read from stdin, one per line: "j N" sets jiffies, "q N" dql_queued(), "c N"
// dql_completed(), "r" dql_reset(), "min N" / "max N" / "hold N" set the limits and hold time.
// After each operation it prints the fields the kit models as one JSON array per line.
#define __KERNEL__
#include "shim.h"
#include <linux/dynamic_queue_limits.h>
unsigned long jiffies = 0;
#include DQL_C /* the kernel source file, given on the command line */
int main(void) {
  struct dql d; memset(&d, 0, sizeof d);
  dql_init(&d, 250);
  char op[16]; unsigned long n;
  while (scanf("%15s", op) == 1) {
    if (!strcmp(op, "r")) dql_reset(&d);
    else {
      if (scanf("%lu", &n) != 1) return 1;
      if (!strcmp(op, "j")) jiffies = n;
      else if (!strcmp(op, "q")) dql_queued(&d, n);
      else if (!strcmp(op, "c")) dql_completed(&d, n);
      else if (!strcmp(op, "min")) d.min_limit = n;
      else if (!strcmp(op, "max")) d.max_limit = n;
      else if (!strcmp(op, "hold")) d.slack_hold_time = n;
      else return 1;
    }
    printf("[%u,%u,%u,%d,%u,%u,%u]\n", d.limit, d.adj_limit, d.num_queued, dql_avail(&d),
           d.num_completed, d.prev_ovlimit, d.lowest_slack);
  }
  return 0;
}
