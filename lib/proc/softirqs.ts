// Models fs/proc/softirqs.c (Linux 6.18): /proc/softirqs.

import type { Net } from "../core/net_namespace.ts";
import { SOFTIRQ_TO_NAME } from "../kernel/softirq.ts";
import { tableView, TextView } from "../viz/display.ts";

/**
 * /proc/softirqs: 20 spaces and "CPU%-8d" per CPU, then a row per vector, "%12s:" and
 * " %10u" per CPU: how many times each vector ran on each CPU.
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, procSoftirqs } from "@rxpath/rxpath";
 * console.log(procSoftirqs(createHost()).text);
 * ```
 */
export function procSoftirqs(host: Net): TextView {
  const cpus = host.sim.cpus;
  const head = " ".repeat(20) + cpus.map((c) => `CPU${String(c.id).padEnd(8)}`).join("");
  const rows = SOFTIRQ_TO_NAME.map((name, nr) =>
    `${name.padStart(12)}:` +
    cpus.map((c) => " " + String(host.softirqs.counts[c.id][nr]).padStart(10)).join("")
  );
  return new TextView("/proc/softirqs", [head, ...rows].join("\n") + "\n");
}

/**
 * The softirq vectors (softirq_vec) as a table: number, name, and the handler open_softirq()
 * installed, if any.
 * @param host the host
 * @returns the table view
 * @example
 * ```ts
 * import { createHost, softirqVecView } from "@rxpath/rxpath";
 * console.log(softirqVecView(createHost()).text);
 * ```
 */
export function softirqVecView(host: Net): TextView {
  return tableView(
    "softirq_vec",
    SOFTIRQ_TO_NAME.map((name, nr) => ({ nr, name, action: host.softirqs.vec[nr]?.name ?? "-" })),
  );
}
