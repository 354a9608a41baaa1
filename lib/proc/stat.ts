// Models the cpu lines of fs/proc/stat.c (Linux 6.18): time per CPU in USER_HZ ticks.

import type { Net } from "../core/net_namespace.ts";
import { TextView } from "../viz/display.ts";

/** Ticks per second of /proc/stat times (USER_HZ). */
export const USER_HZ = 100;

/**
 * The cpu lines of /proc/stat: "cpu  " with the sums, then "cpuN" per CPU, each with user,
 * nice, system, idle, iowait, irq, softirq, steal, guest and guest_nice in USER_HZ ticks
 * (nsec_to_clock_t(), which truncates). Softirqs that ksoftirqd ran count as softirq time,
 * as irqtime_account_process_tick() (kernel/sched/cputime.c) accounts them.
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, procStat } from "@rxpath/rxpath";
 * console.log(procStat(createHost({ cpus: 1 })).text); // cpu  0 0 0 0 0 0 0 0 0 0 ...
 * ```
 */
export function procStat(host: Net): TextView {
  const tick = 1e9 / USER_HZ;
  const fields = host.sim.cpus.map((
    c,
  ) => [c.time.user, 0, c.time.system, c.idle, 0, c.time.irq, c.time.softirq, 0, 0, 0]);
  const sum = fields.reduce((a, f) => a.map((v, i) => v + f[i]), new Array(10).fill(0));
  const line = (label: string, f: number[]) =>
    label + f.map((ns) => " " + Math.floor(ns / tick)).join("");
  return new TextView(
    "/proc/stat",
    [line("cpu ", sum), ...fields.map((f, i) => line(`cpu${i}`, f))].join("\n") + "\n",
  );
}
