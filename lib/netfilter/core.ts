// Models the hook core of net/netfilter/core.c (Linux 6.18): per-hook arrays of hook entries
// sorted by priority (nf_register_net_hook() → nf_hook_entries_grow()), and nf_hook_slow(),
// which runs them in order until one drops or steals the packet.

import type { Net } from "../core/net_namespace.ts";
import type { IptTable, IptTableName } from "./ip_tables.ts";
import type { NetDevice } from "../core/netdevice.ts";
import { kfreeSkbReason, type SkBuff } from "../core/skbuff.ts";
import type { Cpu } from "../sim/cpu.ts";

/** The IPv4 hooks (enum nf_inet_hooks), by number. */
export const NF_INET_HOOKS = [
  "PRE_ROUTING",
  "LOCAL_IN",
  "FORWARD",
  "LOCAL_OUT",
  "POST_ROUTING",
] as const;

/** An IPv4 hook's name. */
export type NfInetHook = (typeof NF_INET_HOOKS)[number];

/** Priorities of the standard users of the IPv4 hooks (enum nf_ip_hook_priorities). */
export const NF_IP_PRI = {
  CONNTRACK_DEFRAG: -400,
  RAW: -300,
  SELINUX_FIRST: -225,
  CONNTRACK: -200,
  MANGLE: -150,
  NAT_DST: -100,
  FILTER: 0,
  SECURITY: 50,
  NAT_SRC: 100,
  SELINUX_LAST: 225,
  CONNTRACK_HELPER: 300,
  CONNTRACK_CONFIRM: 0x7fffffff,
} as const;

/** A namespace as netfilter sees it: struct net with its hooks (net->nf) and iptables tables. */
export interface NfNet extends Net {
  /** Netfilter's IPv4 hook entries, per hook, in priority order (net->nf.hooks_ipv4). */
  readonly nfHooks: Record<NfInetHook, NfHookOps[]>;
  /** iptables tables loaded, by name. */
  readonly iptables: Map<IptTableName, IptTable>;
}

/**
 * A hook's verdict: go on (NF_ACCEPT), the packet is dropped with -EPERM (NF_DROP), or the hook
 * took it (NF_STOLEN).
 */
export type NfVerdict = "NF_ACCEPT" | "NF_DROP" | "NF_STOLEN";

/**
 * What a hook function returns: a verdict, or NF_DROP_REASON — the hook freed the packet itself
 * with its drop reason, as nft_do_chain() does for a drop (NF_STOLEN with -EPERM).
 */
export type NfHookResult = NfVerdict | "NF_DROP_REASON";

/** What a hook function sees besides the skb (struct nf_hook_state). */
export interface NfHookState {
  /** The hook. */
  hook: NfInetHook;
  /** Input device, if any. */
  in: NetDevice | null;
  /** Output device, if any. */
  out: NetDevice | null;
  /** The CPU running it. */
  cpu: Cpu;
}

/** A registered hook function (struct nf_hook_ops). */
export interface NfHookOps {
  /** Its owner and symbol, such as `iptable_filter_hook`. */
  name: string;
  /** The hook it is on. */
  hook: NfInetHook;
  /** Priority: lower runs first. */
  priority: number;
  /** The function. */
  fn: (skb: SkBuff, state: NfHookState) => NfHookResult;
}

/**
 * Registers a hook function, as nf_register_net_hook(): it goes after every entry of lower or
 * equal priority, so the array stays sorted and earlier registrations win ties.
 * @param host the host
 * @param ops the hook function
 * @example
 * ```ts
 * import { createHost, iptTableLoad, nfHookTable, nfRegisterNetHook } from "@rxpath/rxpath";
 * const host = createHost();
 * iptTableLoad(host, "filter");
 * nfRegisterNetHook(host, { name: "early", hook: "LOCAL_IN", priority: -500, fn: () => "NF_ACCEPT" });
 * console.log(nfHookTable(host)); // [{ hook: "LOCAL_IN", priority: -500, name: "early" }]
 * ```
 */
export function nfRegisterNetHook(host: NfNet, ops: NfHookOps): void {
  const list = host.nfHooks[ops.hook];
  const at = list.findIndex((e) => e.priority > ops.priority);
  list.splice(at < 0 ? list.length : at, 0, ops);
}

/**
 * Runs a hook, as NF_HOOK() → nf_hook() → nf_hook_slow(): each entry in priority order until
 * one says other than NF_ACCEPT; on NF_DROP nf_hook_slow() frees the packet with
 * SKB_DROP_REASON_NETFILTER_DROP. With no entries the packet passes straight on. Only on
 * NF_ACCEPT does the caller go on with the packet.
 * @param host the host
 * @param skb the packet
 * @param state hook, devices, CPU
 * @returns the verdict: NF_ACCEPT means call okfn
 * @example
 * ```ts
 * import { allocSkb, buildFrame, createHost, ethTypeTrans, inAton, inetAddAddr, nfHook, nfRegisterNetHook, registerEtherdev } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 4000, dest: 53 } });
 * const skb = allocSkb(host.sim, frame, dev);
 * skb.protocol = ethTypeTrans(skb, dev);
 * nfRegisterNetHook(host, { name: "my_hook", hook: "PRE_ROUTING", priority: 0, fn: () => "NF_DROP" });
 * skb.networkHeader = skb.data;
 * const cpu = host.sim.cpus[0];
 * console.log(nfHook(host, skb, { hook: "PRE_ROUTING", in: dev, out: null, cpu })); // "NF_DROP"
 * ```
 */
export function nfHook(host: NfNet, skb: SkBuff, state: NfHookState): NfVerdict {
  const list = hookEntries(host, state.hook);
  if (list.length === 0) return "NF_ACCEPT";
  host.sim.enterFn(state.cpu, "nf_hook_slow", skb.id);
  let verdict: NfVerdict = "NF_ACCEPT";
  for (const e of list) {
    const r = e.fn(skb, state);
    if (r === "NF_ACCEPT") continue;
    if (r === "NF_DROP") kfreeSkbReason(host.sim, skb, "NETFILTER_DROP", "nf_hook_slow");
    // NF_DROP_REASON: NF_STOLEN with -EPERM, which NF_DROP_GETERR() makes nf_hook_slow() return
    verdict = r === "NF_DROP_REASON" ? "NF_DROP" : r;
    break;
  }
  host.sim.exitFn(state.cpu, "nf_hook_slow", skb.id);
  return verdict;
}

// A hook's entries, by a named read per hook: one read by the hook's name for every hook went
// megamorphic in V8 (looked up twice per packet)
function hookEntries(host: NfNet, hook: NfInetHook): NfHookOps[] {
  const hooks = host.nfHooks;
  switch (hook) {
    case "PRE_ROUTING":
      return hooks.PRE_ROUTING;
    case "LOCAL_IN":
      return hooks.LOCAL_IN;
    case "FORWARD":
      return hooks.FORWARD;
    case "LOCAL_OUT":
      return hooks.LOCAL_OUT;
    case "POST_ROUTING":
      return hooks.POST_ROUTING;
  }
}

/**
 * A run of packets through one hook, as NF_HOOK_LIST(): nothing at all without hooks, else
 * nf_hook_slow_list() takes each packet through nf_hook_slow(), which frees the dropped ones
 * (NETFILTER_DROP); a stolen one is the hook's.
 * @param host the host
 * @param skbs the packets, in order
 * @param state where they are: hook, devices and the CPU running it
 * @returns the packets accepted, in order
 */
export function nfHookList(host: NfNet, skbs: SkBuff[], state: NfHookState): SkBuff[] {
  if (hookEntries(host, state.hook).length === 0) return skbs;
  host.sim.enterFn(state.cpu, "nf_hook_slow_list");
  const accepted = skbs.filter((skb) => nfHook(host, skb, state) === "NF_ACCEPT");
  host.sim.exitFn(state.cpu, "nf_hook_slow_list");
  return accepted;
}

/**
 * The hooks' registrations as a learner would list them: hook, priority, function.
 * @param host the host
 * @returns rows in hook and priority order
 */
export function nfHookTable(host: NfNet): { hook: NfInetHook; priority: number; name: string }[] {
  return NF_INET_HOOKS.flatMap((hook) =>
    host.nfHooks[hook].map((e) => ({ hook, priority: e.priority, name: e.name }))
  );
}
