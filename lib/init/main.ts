// Models init/main.c (Linux 6.18): a host is made (its struct net with every layer's state) and
// booted by do_initcalls(), which runs the initcall levels in order; within a level, in link
// order. Only the networking initcalls of the receive path are modelled.

import { neighInit } from "../core/neighbour.ts";
import { netDevInit } from "../core/dev.ts";
import { loopbackNetInit } from "../drivers/loopback.ts";
import { Net, type NetOptions } from "../core/net_namespace.ts";
import type { NetOffload } from "../core/gro.ts";
import { inetInit, ipv4OffloadInit } from "../ipv4/af_inet.ts";
import { NetnsIpv4 } from "../ipv4/netns_ipv4.ts";
import { Mib } from "../ipv4/snmp.ts";
import type { NetProtocol } from "../ipv4/protocol.ts";
import { ipv4SysctlTable } from "../ipv4/sysctl_net_ipv4.ts";
import { inet6Init } from "../ipv6/af_inet6.ts";
import { NF_INET_HOOKS, type NfHookOps, type NfInetHook } from "../netfilter/core.ts";
import type { IptTable, IptTableName } from "../netfilter/ip_tables.ts";

/** Options of {@linkcode createHost}. */
export interface HostOptions extends NetOptions {
  /** Sysctl overrides by name. */
  sysctl?: Partial<Record<string, number | string>>;
}

/**
 * A whole host: the namespace's core state (struct net) with every layer's own — netfilter's
 * hooks and tables, IPv4's netns_ipv4, MIBs and protocol tables. Most users call
 * {@linkcode createHost}, which also boots it.
 *
 * @example
 * ```ts
 * import { Host } from "@rxpath/rxpath";
 * const host = new Host({ cpus: 2 });
 * console.log(host.booted, host.sysctl["net.core.netdev_budget"]); // false 300
 * ```
 */
export class Host extends Net {
  /** IPv4 transport GRO offloads by protocol number (inet_offloads[]). */
  readonly inetOffloads: (NetOffload | null)[] = new Array(256).fill(null);
  /** IPv4 protocol handlers by protocol number (inet_protos[MAX_INET_PROTOS]). */
  readonly inetProtos: (NetProtocol | null)[] = new Array(256).fill(null);
  /** IPv4 state of the host's network namespace (struct netns_ipv4). */
  readonly ipv4: NetnsIpv4 = new NetnsIpv4();
  /** SNMP counters (net->mib). */
  readonly mib: Mib = new Mib();
  /** Netfilter's IPv4 hook entries, per hook, in priority order (net->nf.hooks_ipv4). */
  readonly nfHooks: Record<NfInetHook, NfHookOps[]> = Object.fromEntries(
    NF_INET_HOOKS.map((h) => [h, []]),
  ) as unknown as Record<NfInetHook, NfHookOps[]>;
  /** iptables tables loaded, by name. */
  readonly iptables: Map<IptTableName, IptTable> = new Map();

  /**
   * Makes an unbooted host with every modelled sysctl registered, then applies the overrides.
   * @param options CPUs, seed, HZ, sysctls, costs
   * @throws {RangeError} for an unknown sysctl or an impossible value
   */
  constructor(options: HostOptions = {}) {
    super(options);
    this.registerNetSysctl(ipv4SysctlTable(this));
    for (const [name, value] of Object.entries(options.sysctl ?? {})) this.setSysctl(name, value!);
  }
}

/**
 * Makes a host and boots its networking, as the kernel's initcalls do: ksoftirqd, net_dev_init,
 * neigh_init, inet_init. The result has the registration tables a learner can print.
 * @param options CPUs, seed, HZ, sysctls, costs
 * @returns the booted host
 * @example
 * ```ts
 * import { createHost, procNetPtype } from "@rxpath/rxpath";
 * const host = createHost({ cpus: 2 });
 * console.log(procNetPtype(host).text);
 * ```
 */
export function createHost(options: HostOptions = {}): Host {
  const host = new Host(options);
  doInitcalls(host);
  return host;
}

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
  {
    level: "subsys",
    name: "net_dev_init",
    fn: (h) => {
      netDevInit(h);
      loopbackNetInit(h);
    },
  },
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
  const { sim, bootCpu } = host;
  sim.enterFn(bootCpu, "kernel_init");
  for (const call of NET_INITCALLS) {
    sim.enterFn(bootCpu, "do_one_initcall");
    call.fn(host);
    sim.exitFn(bootCpu, "do_one_initcall");
  }
  sim.exitFn(bootCpu, "kernel_init");
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
 * console.log(initcallCalls(createHost({ trace: true })).filter((r) => r.initcall === "inet_init"));
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
