// Models routing of net/ipv4/route.c (Linux 6.18) — input routing: ip_route_input_noref() →
// ip_route_input_rcu() → ip_route_input_slow() and __mkroute_input(). It decides what happens
// to a packet — local delivery (RTCF_LOCAL), broadcast or multicast input, forwarding, or
// ip_error() — and finds martians on the way, each with the kernel's drop reason; and the output
// route the host's own replies take (ip_route_output_key()).

import type { InetNet } from "./netns_ipv4.ts";
import type { NetDevice } from "../core/netdevice.ts";
import type { Cpu } from "../sim/cpu.ts";
import type { SkbDropReason } from "../core/dropreason.ts";
import { ipHdr, type SkBuff } from "../core/skbuff.ts";
import { inetDsfieldToDscp, IPPROTO_IGMP } from "../wire/ipv4.ts";
import { inDevConf, inDevGet, inetAddrOnlink, inetSelectAddr } from "./devinet.ts";
import type { OutRoute } from "./ip_output.ts";
import {
  fibLookup,
  type FibRoute,
  fibValidateSource,
  type Flowi4,
  LOOPBACK_IFINDEX,
} from "./fib.ts";

/** What a packet's route says to do next (dst.input). */
export type DstInput = "ip_local_deliver" | "ip_forward" | "ip_error";

/** An input route (struct rtable): where the packet goes and how it was classified. */
export interface Rtable {
  /** The function the packet goes to (dst_input()). */
  input: DstInput;
  /** Route type: unicast (forward), local, broadcast, multicast, unreachable. */
  type: "unicast" | "local" | "broadcast" | "multicast" | "unreachable";
  /** RTCF_LOCAL: for this host. */
  local: boolean;
  /** RTCF_BROADCAST. */
  broadcast: boolean;
  /** RTCF_MULTICAST. */
  multicast: boolean;
  /** IPSKB_DOREDIRECT: a forward back out of the input device to an on-link source. */
  doRedirect: boolean;
  /** For ip_error: the errno (positive: EHOSTUNREACH 113, ENETUNREACH 101, EACCES 13, EINVAL 22). */
  error: number;
  /** For local input and a forward: the FIB route, whose nexthop caches the dst they share. */
  fib: FibRoute | null;
}

const IGMP_ALL_HOSTS = 0xe0000001; // 224.0.0.1, joined by every IPv4 device (ip_mc_up())

/** True for 0.0.0.0, as ipv4_is_zeronet() tests since 5.3 (0/8 is no longer martian). */
const isZero = (a: number) => a === 0;
const isLbcast = (a: number) => a === 0xffffffff;
const isMulticast = (a: number) => (a >>> 28) === 0xe;
const isLoopback = (a: number) => (a >>> 24) === 127;
/** ipv4_is_local_multicast(): 224.0.0.0/24, never forwarded. */
const isLocalMulticast = (a: number) => (a >>> 8) === 0xe00000;

// A route, every field set in one literal (one made per packet: no spread of optional fields)
function rt(
  input: DstInput,
  type: Rtable["type"],
  fib: FibRoute | null = null,
  error = 0,
  doRedirect = false,
): Rtable {
  return {
    input,
    type,
    local: input === "ip_local_deliver",
    broadcast: type === "broadcast",
    multicast: type === "multicast",
    doRedirect,
    error,
    fib,
  };
}

/** The route a packet to one of the host's own addresses goes out by (RTCF_LOCAL): round lo. */
export const LOCAL_OUTPUT_ROUTE: Rtable = rt("ip_local_deliver", "local");
/** The route a broadcast to one of the host's own subnets goes out by (RTCF_BROADCAST |
 * RTCF_LOCAL): its copy looped back is delivered locally (__mkroute_output(): ip_mc_output). */
export const LOCAL_BROADCAST_OUTPUT_ROUTE: Rtable = rt("ip_local_deliver", "broadcast");
/** skb_rtable() of a packet on its way out to another host: unicast, not RTCF_LOCAL. */
export const UNICAST_OUTPUT_ROUTE: Rtable = rt("ip_forward", "unicast");

/**
 * Routes a received packet, as ip_route_input_noref(): multicast first (only groups the host
 * joined are taken; every device is in 224.0.0.1), then ip_route_input_slow(): martian sources
 * (multicast, limited broadcast, 0.0.0.0, 127/8 without route_localnet) and destinations,
 * limited broadcast input, the FIB lookup, local input with the reverse-path check, forwarding
 * (when the device forwards) or ip_error() for no route.
 * @param host the host
 * @param daddr destination, host order
 * @param saddr source, host order
 * @param protocol IP protocol (multicast input of IGMP accepts a zero source)
 * @param dev the input device
 * @param cpu the CPU, to trace the calls on
 * @param dscp the DSCP bits of the packet's TOS, which the lookups carry
 * @returns the route, or the reason to drop the packet
 * @example
 * ```ts
 * import { createHost, inAton, inetAddAddr, ipRouteInputNoref, registerEtherdev } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * const rt = ipRouteInputNoref(host, inAton("10.0.0.2"), inAton("10.0.0.1"), 17, dev);
 * console.log(typeof rt === "object" && rt.input); // "ip_local_deliver"
 * console.log(ipRouteInputNoref(host, inAton("10.0.0.2"), inAton("127.0.0.1"), 17, dev)); // "IP_LOCALNET": a 127/8 source is a martian
 * ```
 */
export function ipRouteInputNoref(
  host: InetNet,
  daddr: number,
  saddr: number,
  protocol: number,
  dev: NetDevice,
  cpu?: Cpu,
  dscp = 0,
): Rtable | SkbDropReason {
  if (cpu) host.sim.enterFn(cpu, "ip_route_input_noref");
  const r = ipRouteInputRcu(host, daddr, saddr, protocol, dev, cpu, dscp);
  if (cpu) host.sim.exitFn(cpu, "ip_route_input_noref");
  return r;
}

// ip_route_input_rcu(): a joined multicast group, else ip_route_input_slow().
function ipRouteInputRcu(
  host: InetNet,
  daddr: number,
  saddr: number,
  protocol: number,
  dev: NetDevice,
  cpu: Cpu | undefined,
  dscp: number,
): Rtable | SkbDropReason {
  const inDev = inDevGet(host, dev);
  if (!inDev) return "NOT_SPECIFIED";
  if (isMulticast(daddr)) {
    // ip_route_input_rcu(): ip_check_mc_rcu() — only a joined group is ours.
    if (daddr !== IGMP_ALL_HOSTS) return "NOT_SPECIFIED";
    // ip_mc_validate_source(), whose drop reason ip_route_input_mc() returns: 0.0.0.0 may send
    // to a link-local group (224.0.0.0/24, the only kind joined here) or IGMP
    if (isMulticast(saddr) || isLbcast(saddr)) return "IP_INVALID_SOURCE";
    if (isLoopback(saddr) && !inDevConf(host, inDev, "route_localnet")) return "IP_LOCALNET";
    if (isZero(saddr)) {
      if (!isLocalMulticast(daddr) && protocol !== IPPROTO_IGMP) return "IP_INVALID_SOURCE";
    } else {
      const v = fibValidateSource(host, saddr, 0, dev, cpu, { tos: dscp });
      if (typeof v === "string") return v;
    }
    return rt("ip_local_deliver", "multicast");
  }
  if (cpu) host.sim.enterFn(cpu, "ip_route_input_slow");
  const r = ipRouteInputSlow(host, daddr, saddr, dev, cpu, dscp);
  if (cpu) host.sim.exitFn(cpu, "ip_route_input_slow");
  return r;
}

/**
 * Routes a packet by the route of the one before it with the same destination and TOS, as
 * ip_route_use_hint() does for ip_list_rcv_finish() instead of a FIB lookup: the martian source
 * checks of ip_route_input_slow(), the reverse-path check for local input only, then the
 * hint's dst — without the IPSKB_DOREDIRECT that __mkroute_input() would have set.
 * @param host the host
 * @param hint the route of the hint packet
 * @param saddr source, host order
 * @param dev the input device
 * @param cpu the CPU, to trace the calls on
 * @param flow the packet's destination and DSCP, which the reverse-path lookups carry
 * @returns the route, or the reason to drop the packet
 */
export function ipRouteUseHint(
  host: InetNet,
  hint: Rtable,
  saddr: number,
  dev: NetDevice,
  cpu: Cpu,
  flow: { daddr: number; tos: number },
): Rtable | SkbDropReason {
  host.sim.enterFn(cpu, "ip_route_use_hint");
  const inDev = inDevGet(host, dev);
  // skb_dst_copy(): the hint's dst itself, less its redirect (__mkroute_input() sets it per skb)
  let r: Rtable | SkbDropReason = hint.doRedirect ? { ...hint, doRedirect: false } : hint;
  if (!inDev) r = "NOT_SPECIFIED";
  else if (isMulticast(saddr) || isLbcast(saddr) || isZero(saddr)) r = "IP_INVALID_SOURCE";
  else if (isLoopback(saddr) && !inDevConf(host, inDev, "route_localnet")) r = "IP_LOCALNET";
  else if (hint.type === "local") {
    const v = fibValidateSource(host, saddr, 0, dev, cpu, flow);
    if (typeof v === "string") r = v;
  }
  host.sim.exitFn(cpu, "ip_route_use_hint");
  return r;
}

/**
 * True when two lookups gave the same dst, as ip_list_rcv_finish() compares them: one FIB
 * route's cached input dst (local input, a forward); broadcast, multicast and error routes are
 * made afresh by every lookup.
 * @param a a route
 * @param b another
 * @returns whether they are one dst
 */
export function sameDst(a: Rtable, b: Rtable): boolean {
  return a === b || (a.fib !== null && a.fib === b.fib && a.input === b.input);
}

// ip_route_input_slow(): martians, broadcasts, the FIB lookup, and local input, forwarding or
// ip_error() by what it finds.
function ipRouteInputSlow(
  host: InetNet,
  daddr: number,
  saddr: number,
  dev: NetDevice,
  cpu: Cpu | undefined,
  dscp: number,
): Rtable | SkbDropReason {
  const inDev = inDevGet(host, dev)!;
  const flow = { daddr, tos: dscp };
  if (isMulticast(saddr) || isLbcast(saddr)) return "IP_INVALID_SOURCE";
  if (isLbcast(daddr) || (saddr === 0 && daddr === 0)) {
    return brdInput(host, saddr, dev, cpu, dscp);
  }
  if (isZero(saddr)) return "IP_INVALID_SOURCE";
  if (isZero(daddr)) return "IP_INVALID_DEST";
  if (isLoopback(daddr)) {
    if (!inDevConf(host, inDev, "route_localnet")) return "IP_LOCALNET";
  } else if (isLoopback(saddr)) {
    if (!inDevConf(host, inDev, "route_localnet")) return "IP_LOCALNET";
  }
  const forwarding = inDevConf(host, inDev, "forwarding") !== 0;
  const res = fibLookup(host, daddr, 0, cpu, { iif: dev.ifindex, saddr, tos: dscp });
  if (typeof res === "number") {
    // no_route: ip_error() with EHOSTUNREACH when the device does not forward
    const err = forwarding ? -res : 113;
    return rt("ip_error", "unreachable", null, err);
  }
  const r = res.route;
  if (r.type === "broadcast") {
    if (inDevConf(host, inDev, "bc_forwarding")) {
      return mkrouteInput(host, r, saddr, dev, cpu, flow);
    }
    return brdInput(host, saddr, dev, cpu, dscp);
  }
  if (r.type === "local") {
    const v = fibValidateSource(host, saddr, 0, dev, cpu, flow);
    if (typeof v === "string") return v;
    return rt("ip_local_deliver", "local", r);
  }
  if (!forwarding) return rt("ip_error", "unreachable", null, 113);
  if (r.type !== "unicast") return "IP_INVALID_DEST";
  return mkrouteInput(host, r, saddr, dev, cpu, flow);
}

// ip_route_input_slow()'s brd_input: the source is validated for no particular destination.
function brdInput(
  host: InetNet,
  saddr: number,
  dev: NetDevice,
  cpu: Cpu | undefined,
  dscp: number,
): Rtable | SkbDropReason {
  if (!isZero(saddr)) {
    const v = fibValidateSource(host, saddr, 0, dev, cpu, { tos: dscp });
    if (typeof v === "string") return v;
  }
  return rt("ip_local_deliver", "broadcast");
}

// __mkroute_input(): validate the source against the output device; a forward back out of the
// input device to an on-link source earns the sender a redirect (IPSKB_DOREDIRECT).
function mkrouteInput(
  host: InetNet,
  r: FibRoute,
  saddr: number,
  dev: NetDevice,
  cpu: Cpu | undefined,
  flow: { daddr: number; tos: number },
): Rtable | SkbDropReason {
  const out = r.dev!;
  const v = fibValidateSource(host, saddr, out.ifindex, dev, cpu, flow);
  if (typeof v === "string") return v;
  const inDev = inDevGet(host, dev)!;
  const outDev = inDevGet(host, out)!;
  const doRedirect = out.ifindex === dev.ifindex && v === 1 &&
    inDevConf(host, outDev, "send_redirects") !== 0 &&
    (inDevConf(host, outDev, "shared_media") !== 0 || inetAddrOnlink(inDev, saddr, r.gw));
  return rt("ip_forward", "unicast", r, 0, doRedirect);
}

/**
 * The output route to an address (ip_route_output_key()): device and next hop from the FIB.
 * Traced, it runs as ip_route_output_flow() → ip_route_output_key_hash() →
 * ip_route_output_key_hash_rcu() → fib_table_lookup; `direct` starts at
 * ip_route_output_key_hash(), as callers of __ip_route_output_key() do.
 * @param host the host
 * @param daddr destination, host order
 * @param cpu the CPU, to trace the lookup on
 * @param flow the rest of the flow (protocol, source, ports, DSCP, output device)
 * @param direct entered at ip_route_output_key_hash() rather than ip_route_output_flow()
 * @returns the route and the source address the host would use, or null without a route
 */
export function ipRouteOutput(
  host: InetNet,
  daddr: number,
  cpu?: Cpu,
  flow: Partial<Flowi4> & { oif?: number } = {},
  direct = false,
): { route: OutRoute; saddr: number } | null {
  const lookup = () =>
    host.sim.traced(
      cpu,
      "ip_route_output_key_hash",
      () =>
        host.sim.traced(cpu, "ip_route_output_key_hash_rcu", () =>
          // the flow comes in by the loopback device (flowi4_iif = LOOPBACK_IFINDEX)
          fibLookup(host, daddr, flow.oif ?? 0, cpu, { ...flow, iif: LOOPBACK_IFINDEX })),
    );
  const res = direct ? lookup() : host.sim.traced(cpu, "ip_route_output_flow", lookup);
  if (typeof res === "number" || !res.route.dev) return null;
  const r = res.route;
  if (r.type !== "unicast" && r.type !== "local" && r.type !== "broadcast") return null;
  if (r.type === "local") {
    // ip_route_output_key_hash_rcu(): to one of the host's own addresses by the loopback
    // device, from that address unless the route prefers another
    const lo = host.devices.find((d) => d.loopback)!;
    return { route: { dev: lo, nexthop: daddr }, saddr: r.prefsrc || daddr };
  }
  const saddr = r.prefsrc || inetSelectAddr(host, r.dev!, daddr);
  // __mkroute_output(): a broadcast route is RTCF_BROADCAST | RTCF_LOCAL, output ip_mc_output
  const broadcast = r.type === "broadcast" && !r.dev!.loopback;
  return { route: { dev: r.dev!, nexthop: r.gw || daddr, broadcast }, saddr };
}

/**
 * The address a forward records in the options, ip_rt_get_source(): the preferred source of
 * the route the packet takes, looked up for its flow as it leaves (oif the output device, iif
 * the input one), or an address of the output device.
 * @param host the host
 * @param cpu the CPU, to trace the lookup on
 * @param skb the packet (network header set, input device known)
 * @param out its output route
 * @returns the address, host order
 */
export function ipRtGetSource(host: InetNet, cpu: Cpu, skb: SkBuff, out: OutRoute): number {
  return host.sim.traced(cpu, "ip_rt_get_source", () => ipRtGetSourceLookup(host, cpu, skb, out));
}

function ipRtGetSourceLookup(host: InetNet, cpu: Cpu, skb: SkBuff, out: OutRoute): number {
  const iph = ipHdr(skb);
  const res = fibLookup(host, iph.daddr, out.dev.ifindex, cpu, {
    iif: skb.dev?.ifindex ?? 0,
    saddr: iph.saddr,
    tos: inetDsfieldToDscp(iph.tos),
  });
  if (typeof res === "object" && res.route.dev) {
    return res.route.prefsrc || inetSelectAddr(host, res.route.dev, res.route.gw || iph.daddr);
  }
  return inetSelectAddr(host, out.dev, out.nexthop);
}
