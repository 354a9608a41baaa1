// Models init/main.c (Linux 6.18): do_initcalls() runs the initcall levels in order; within a
// level, in link order. Only the networking initcalls of the receive path are modelled.

import { neighInit } from "../core/neighbour.ts";
import { netDevInit } from "../core/dev.ts";
import { inetInit, ipv4OffloadInit } from "../ipv4/af_inet.ts";
import { inet6Init } from "../ipv6/af_inet6.ts";
import type { Host } from "../host.ts";

/** One initcall: its level (include/linux/init.h) and the function. */
export interface Initcall {
  /** Level name: early, core, postcore, arch, subsys, fs, device, late. */
  level: string;
  /** The function's symbol. */
  name: string;
  /** What it does to the host. */
  fn: (host: Host) => void;
}

/**
 * The networking initcalls, in the order the kernel runs them: early_initcall(spawn_ksoftirqd)
 * (kernel/softirq.c), subsys_initcall(net_dev_init) and subsys_initcall(neigh_init) (dev.o is
 * linked before neighbour.o in net/core/Makefile), fs_initcall(inet_init) (net/ipv4/af_inet.c),
 * module_init(inet6_init) (net/ipv6/af_inet6.c, a device initcall when built in).
 */
export const NET_INITCALLS: readonly Initcall[] = [
  { level: "early", name: "spawn_ksoftirqd", fn: (h) => h.softirqs.spawnKsoftirqd() },
  { level: "subsys", name: "net_dev_init", fn: netDevInit },
  { level: "subsys", name: "neigh_init", fn: neighInit },
  { level: "fs", name: "ipv4_offload_init", fn: ipv4OffloadInit },
  { level: "fs", name: "inet_init", fn: inetInit },
  { level: "device", name: "inet6_init", fn: inet6Init },
];

/**
 * Boots a host's networking: runs every initcall in order, as do_pre_smp_initcalls() (early)
 * and do_initcalls() (the rest) do.
 * @param host an unbooted host
 * @throws {Error} when the host was booted already
 */
export function doInitcalls(host: Host): void {
  if (host.booted) throw new Error(`Cannot boot the host: it is booted already`);
  host.enterFn("kernel_init");
  for (const call of NET_INITCALLS) {
    host.enterFn("do_one_initcall");
    call.fn(host);
    host.exitFn("do_one_initcall");
  }
  host.exitFn("kernel_init");
  host.booted = true;
}

/**
 * What each initcall called, counted from the boot trace: how many times each function ran
 * directly or indirectly inside each initcall.
 * @param host a booted host whose tracer was on during boot
 * @returns rows of initcall, function and count, in boot order
 * @example
 * ```ts
 * import { createHost, initcallCalls } from "@rxpath/rxpath";
 * console.log(initcallCalls(createHost()).filter((r) => r.initcall === "inet_init"));
 * ```
 */
export function initcallCalls(host: Host): { initcall: string; function: string; calls: number }[] {
  const names = new Set(NET_INITCALLS.map((c) => c.name));
  const rows = new Map<string, { initcall: string; function: string; calls: number }>();
  let current: string | null = null;
  for (const r of host.sim.trace.records) {
    if (r.kind !== "entry") {
      if (r.fn === current) current = null;
      continue;
    }
    if (names.has(r.fn)) {
      current = r.fn;
      continue;
    }
    if (current === null) continue;
    const key = `${current}/${r.fn}`;
    const row = rows.get(key) ?? { initcall: current, function: r.fn, calls: 0 };
    row.calls++;
    rows.set(key, row);
  }
  return [...rows.values()];
}
