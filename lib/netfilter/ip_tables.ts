// Models the iptables tables of net/ipv4/netfilter/ (iptable_raw, iptable_mangle, iptable_nat,
// iptable_filter, iptable_security; Linux 6.18) and the rule walk — ipt_do_table(), or with
// iptables-nft nft_do_chain(), which the traces name: each table sits on its hooks
// at its priority; a packet walks the built-in chain's rules in order, jumping into user chains
// and RETURNing from them; the first ACCEPT or DROP decides, the chain policy otherwise. Every
// rule that matches counts the packet and its bytes (the IP datagram's length), as
// `iptables -L -v -x` reports.

import { InputRangeError } from "../base/errors.ts";
import type { NfNet } from "./core.ts";
import { ipHdr, kfreeSkbReason, type SkBuff } from "../core/skbuff.ts";
import { IP_OFFSET } from "../wire/ipv4.ts";
import {
  NF_IP_PRI,
  type NfHookResult,
  type NfHookState,
  type NfInetHook,
  nfRegisterNetHook,
} from "./core.ts";

/** The iptables tables. */
export type IptTableName = "raw" | "mangle" | "nat" | "filter" | "security";

/** A rule's matches and target (one `iptables -A` line). */
export interface IptRule {
  /** Protocol number, or undefined for all. */
  proto?: number;
  /** Source prefix [address host order, length]. */
  src?: [number, number];
  /** Destination prefix. */
  dst?: [number, number];
  /** Source port (UDP/TCP). */
  sport?: number;
  /** Destination port (UDP/TCP). */
  dport?: number;
  /** Input interface name. */
  in?: string;
  /** Output interface name. */
  out?: string;
  /** ACCEPT, DROP, RETURN, or a user chain's name to jump to. */
  target: string;
  /** Packets that matched. */
  pkts: number;
  /** Bytes of the packets that matched. */
  bytes: number;
}

/** A chain: built-in ones have a policy and count the packets it decided. */
export interface IptChain {
  /** Name. */
  name: string;
  /** The hook of a built-in chain, null for a user chain. */
  hook: NfInetHook | null;
  /** True once the built-in chain is on its hook. */
  hooked: boolean;
  /** Policy of a built-in chain, null for a user chain. */
  policy: "ACCEPT" | "DROP" | null;
  /** Packets the policy decided. */
  policyPkts: number;
  /** Their bytes. */
  policyBytes: number;
  /** Rules in order. */
  rules: IptRule[];
}

/** A table with its chains. */
export interface IptTable {
  /** Name. */
  name: IptTableName;
  /** Chains by name, built-in ones first. */
  chains: Map<string, IptChain>;
}

// Built-in chains (valid_hooks) and priorities of each table (iptable_*.c).
const TABLES: Record<IptTableName, { priority: number; hooks: NfInetHook[] }> = {
  raw: { priority: NF_IP_PRI.RAW, hooks: ["PRE_ROUTING", "LOCAL_OUT"] },
  mangle: {
    priority: NF_IP_PRI.MANGLE,
    hooks: ["PRE_ROUTING", "LOCAL_IN", "FORWARD", "LOCAL_OUT", "POST_ROUTING"],
  },
  nat: {
    priority: NF_IP_PRI.NAT_DST,
    hooks: ["PRE_ROUTING", "LOCAL_IN", "LOCAL_OUT", "POST_ROUTING"],
  },
  filter: { priority: NF_IP_PRI.FILTER, hooks: ["LOCAL_IN", "FORWARD", "LOCAL_OUT"] },
  security: { priority: NF_IP_PRI.SECURITY, hooks: ["LOCAL_IN", "FORWARD", "LOCAL_OUT"] },
};

// The chain name of each hook, as iptables names them.
const CHAIN_OF: Record<NfInetHook, string> = {
  PRE_ROUTING: "PREROUTING",
  LOCAL_IN: "INPUT",
  FORWARD: "FORWARD",
  LOCAL_OUT: "OUTPUT",
  POST_ROUTING: "POSTROUTING",
};

// iptable_nat's SNAT side runs at NF_IP_PRI_NAT_SRC on LOCAL_IN and POST_ROUTING.
function natPriority(hook: NfInetHook): number {
  return hook === "LOCAL_IN" || hook === "POST_ROUTING" ? NF_IP_PRI.NAT_SRC : NF_IP_PRI.NAT_DST;
}

/**
 * Makes a table, as the first `iptables -t TABLE` does: its built-in chains with policy ACCEPT.
 * As with iptables-nft (the reference host's backend), a built-in chain is put on its hook only
 * when it is first used — a rule appended or a policy set — so an untouched chain costs nothing
 * and counts nothing; iptables-legacy would hook them all at once.
 * @param host the host
 * @param name the table
 * @returns the table (the one there already, if any)
 */
export function iptTableLoad(host: NfNet, name: IptTableName): IptTable {
  const have = host.iptables.get(name);
  if (have) return have;
  const table: IptTable = { name, chains: new Map() };
  for (const hook of TABLES[name].hooks) {
    const chain = CHAIN_OF[hook];
    table.chains.set(chain, {
      name: chain,
      hook,
      hooked: false,
      policy: "ACCEPT",
      policyPkts: 0,
      policyBytes: 0,
      rules: [],
    });
  }
  host.iptables.set(name, table);
  return table;
}

// nft_chain_builtin_init(): the base chain is registered on its hook at the table's priority.
function hookChain(host: NfNet, table: IptTable, chain: IptChain): void {
  if (chain.hooked || !chain.hook) return;
  chain.hooked = true;
  const hook = chain.hook;
  nfRegisterNetHook(host, {
    name: `iptable_${table.name}_hook`,
    hook,
    priority: table.name === "nat" ? natPriority(hook) : TABLES[table.name].priority,
    fn: (skb, state) => iptDoTable(host, table, chain.name, skb, state),
  });
}

/**
 * Appends a rule to a chain, as `iptables -t TABLE -A CHAIN ...`; a jump target must be a user
 * chain of the table.
 * @param host the host
 * @param table the table name
 * @param chain the chain name
 * @param rule matches and target
 * @throws {RangeError} for an unknown chain or target
 * @example
 * ```ts
 * import { createHost, iptAppend } from "@rxpath/rxpath";
 * import { iptablesList } from "@rxpath/rxpath/proc";
 * const host = createHost();
 * iptAppend(host, "filter", "INPUT", { proto: 17, dport: 53, target: "DROP" }); // iptables -A INPUT -p udp --dport 53 -j DROP
 * console.log(iptablesList(host).text);
 * ```
 */
export function iptAppend(
  host: NfNet,
  table: IptTableName,
  chain: string,
  rule: Omit<IptRule, "pkts" | "bytes">,
): void {
  // iptables' own checks: no input device on the way out, no output device on the way in
  if (rule.in !== undefined && (chain === "OUTPUT" || chain === "POSTROUTING")) {
    throw new InputRangeError(`Cannot append to ${table} ${chain}: -i cannot be used in ${chain}`);
  }
  if (rule.out !== undefined && (chain === "INPUT" || chain === "PREROUTING")) {
    throw new InputRangeError(`Cannot append to ${table} ${chain}: -o cannot be used in ${chain}`);
  }
  const t = iptTableLoad(host, table);
  const c = t.chains.get(chain);
  if (!c) throw new InputRangeError(`Cannot append to ${table} ${chain}: no such chain`);
  if (!["ACCEPT", "DROP", "RETURN"].includes(rule.target) && !t.chains.has(rule.target)) {
    throw new InputRangeError(
      `Cannot append to ${table} ${chain}: no target or chain ${rule.target}`,
    );
  }
  if (
    (rule.sport !== undefined || rule.dport !== undefined) && rule.proto !== 6 && rule.proto !== 17
  ) {
    throw new InputRangeError(`Cannot append to ${table} ${chain}: ports need proto tcp or udp`);
  }
  c.rules.push({ ...rule, pkts: 0, bytes: 0 });
  hookChain(host, t, c);
}

/**
 * Makes a user chain, as `iptables -N`.
 * @param host the host
 * @param table the table
 * @param name the chain name
 * @throws {RangeError} when the chain exists
 */
export function iptNewChain(host: NfNet, table: IptTableName, name: string): void {
  const t = iptTableLoad(host, table);
  if (t.chains.has(name)) {
    throw new InputRangeError(`Cannot create chain ${name}: Chain already exists`);
  }
  t.chains.set(name, {
    name,
    hook: null,
    hooked: false,
    policy: null,
    policyPkts: 0,
    policyBytes: 0,
    rules: [],
  });
}

/**
 * Sets a built-in chain's policy, as `iptables -P`.
 * @param host the host
 * @param table the table
 * @param chain the chain
 * @param policy ACCEPT or DROP
 * @throws {RangeError} for a user chain or an unknown one
 */
export function iptSetPolicy(
  host: NfNet,
  table: IptTableName,
  chain: string,
  policy: "ACCEPT" | "DROP",
): void {
  const t = iptTableLoad(host, table);
  const c = t.chains.get(chain);
  if (!c || c.policy === null) {
    throw new InputRangeError(`Cannot set policy of ${table} ${chain}: not a built-in chain`);
  }
  c.policy = policy;
  hookChain(host, t, c);
}

// xt_tcpudp's tcp_mt()/udp_mt(): skb_header_pointer() for the ports at the transport header,
// the source port in the high half; -1 when there are none.
function ports(skb: SkBuff): number {
  const iph = ipHdr(skb);
  const th = skb.networkHeader + iph.ihl * 4;
  // A fragment other than the first has no ports: port matches fail (xt_tcpudp: par->fragoff).
  if (iph.fragOff & IP_OFFSET || th + 4 > skb.head.length) return -1;
  const h = skb.head; // source, dest
  return ((h[th] << 24) | (h[th + 1] << 16) | (h[th + 2] << 8) | h[th + 3]) >>> 0;
}

const inPrefix = (a: number, p: [number, number]) =>
  p[1] === 0 || ((a ^ p[0]) >>> (32 - p[1])) === 0;

function ruleMatches(r: IptRule, skb: SkBuff, state: NfHookState): boolean {
  const iph = ipHdr(skb);
  if (r.proto !== undefined && iph.protocol !== r.proto) return false;
  if (r.src && !inPrefix(iph.saddr, r.src)) return false;
  if (r.dst && !inPrefix(iph.daddr, r.dst)) return false;
  if (r.in && state.in?.name !== r.in) return false;
  if (r.out && state.out?.name !== r.out) return false;
  if (r.sport !== undefined || r.dport !== undefined) {
    const p = ports(skb);
    if (p < 0) return false;
    if (r.sport !== undefined && p >>> 16 !== r.sport) return false;
    if (r.dport !== undefined && (p & 0xffff) !== r.dport) return false;
  }
  return true;
}

/**
 * Walks a built-in chain for one packet, as ipt_do_table(): user chains are entered on a jump
 * and left on RETURN or at their end; the packet's verdict is the first ACCEPT or DROP, else the
 * built-in chain's policy.
 * @param host the host
 * @param table the table
 * @param chainName the built-in chain of this hook
 * @param skb the packet
 * @param state hook, devices, CPU
 * @returns NF_ACCEPT or NF_DROP
 */
export function iptDoTable(
  host: NfNet,
  table: IptTable,
  chainName: string,
  skb: SkBuff,
  state: NfHookState,
): NfHookResult {
  // iptables-nft, the reference host's backend: the base chain's hook is nft_do_chain_ipv4()
  host.sim.enterFn(state.cpu, "nft_do_chain_ipv4", skb.id);
  host.sim.enterFn(state.cpu, "nft_do_chain", skb.id);
  state.cpu.chargeLater(host.sim.costs.ns.nftDoChain);
  const len = ipHdr(skb).totLen;
  const stack: { chain: IptChain; next: number }[] = [];
  let chain = table.chains.get(chainName)!;
  let i = 0;
  let verdict: "ACCEPT" | "DROP" | null = null;
  while (verdict === null) {
    if (i >= chain.rules.length) {
      const back = stack.pop();
      if (back) {
        ({ chain, next: i } = back);
        continue;
      }
      verdict = chain.policy ?? "ACCEPT";
      chain.policyPkts++;
      chain.policyBytes += len;
      break;
    }
    const r = chain.rules[i++];
    state.cpu.chargeLater(host.sim.costs.ns.iptRule);
    if (!ruleMatches(r, skb, state)) continue;
    r.pkts++;
    r.bytes += len;
    if (r.target === "ACCEPT" || r.target === "DROP") verdict = r.target;
    else if (r.target === "RETURN") {
      const back = stack.pop();
      if (!back) {
        verdict = chain.policy ?? "ACCEPT";
        break;
      }
      ({ chain, next: i } = back);
    } else {
      stack.push({ chain, next: i });
      chain = table.chains.get(r.target)!;
      i = 0;
    }
  }
  // nft_do_chain() frees a dropped packet itself: NF_DROP_REASON(skb, NETFILTER_DROP, EPERM)
  if (verdict === "DROP") kfreeSkbReason(host.sim, skb, "NETFILTER_DROP", "nft_do_chain");
  host.sim.exitFn(state.cpu, "nft_do_chain", skb.id);
  host.sim.exitFn(state.cpu, "nft_do_chain_ipv4", skb.id);
  return verdict === "DROP" ? "NF_DROP_REASON" : "NF_ACCEPT";
}
