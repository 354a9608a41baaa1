// Models IPv4 input of net/ipv4/ip_input.c (Linux 6.18): ip_rcv() → ip_rcv_core()'s header checks
// in the kernel's order, each with its counter and drop reason; NF_INET_PRE_ROUTING;
// ip_rcv_finish() → ip_rcv_finish_core() routing the packet; dst_input() to ip_local_deliver()
// (reassembly, NF_INET_LOCAL_IN, ip_protocol_deliver_rcu() through inet_protos), ip_forward()
// or ip_error().

import { emptyArray } from "../base/arrays.ts";
import type { InetNet } from "./netns_ipv4.ts";
import type { NetDevice } from "../core/netdevice.ts";
import type { PacketHandler } from "../core/dev.ts";
import {
  ipHdr,
  kfreeSkbReason,
  PACKET_BROADCAST,
  PACKET_MULTICAST,
  PACKET_OTHERHOST,
  type SkBuff,
} from "../core/skbuff.ts";
import type { Cpu } from "../sim/cpu.ts";
import { csumFold, csumPartial } from "../wire/checksum.ts";
import {
  INET_ECN_MASK,
  inetDsfieldToDscp,
  ipIsFragment,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV4_HLEN,
} from "../wire/ipv4.ts";
import { nfHook, nfHookList } from "../netfilter/core.ts";
import { inDevConf, inDevGet } from "./devinet.ts";
import { icmpSend, inetGetpeer } from "./icmp.ts";
import { ipDefrag } from "./ip_fragment.ts";
import { ipForward } from "./ip_forward.ts";
import { inetCurrentTimestamp, ipOptionsCompile, ipOptionsFill } from "./ip_options.ts";
import { fibComputeSpecDst, inetAddrTypeDevTable } from "./fib.ts";
import { ipRouteInputNoref, ipRouteUseHint, type Rtable, sameDst } from "./route.ts";
import { udpV4EarlyDemux } from "./udp.ts";
import { tcpV4EarlyDemux } from "./tcp_ipv4.ts";

/**
 * The IPv4 packet handler on ptype_base, ip_rcv(): ip_rcv_core(), then NF_INET_PRE_ROUTING,
 * then ip_rcv_finish().
 * @param host the host
 * @param cpu the CPU
 * @param skb the packet, data at the IP header
 * @param dev the input device
 * @example
 * ```ts
 * import { allocSkb, buildFrame, createHost, ethTypeTrans, inAton, inetAddAddr, ipRcv, registerEtherdev, udpSocket } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 4000, dest: 53 } });
 * const skb = allocSkb(host.sim, frame, dev);
 * skb.protocol = ethTypeTrans(skb, dev);
 * const sk = udpSocket(host, { addr: 0, port: 53 });
 * ipRcv(host, host.sim.cpus[0], skb, dev); // ip_rcv_core, PRE_ROUTING, routing, LOCAL_IN, udp_rcv
 * console.log(sk.receiveQueue.length, host.mib.ip.InDelivers); // 1 1
 * ```
 */
export function ipRcv(host: InetNet, cpu: Cpu, skb: SkBuff, dev: NetDevice): void {
  if (dev.otherNamespace) return ipRcvWireSide(host, cpu, skb);
  if (!ipRcvCore(host, cpu, skb)) return;
  const verdict = nfHook(host, skb, { hook: "PRE_ROUTING", in: dev, out: null, cpu });
  if (verdict === "NF_ACCEPT") ipRcvFinish(host, cpu, skb, dev);
}

// ip_rcv() in the namespace of a veth's peer, as the reference host's wire side is: no address,
// no route and forwarding off. It counts in its own MIB, not the host's; a packet for no other
// host finds no FIB table to look in (none is made before a first route, so no
// fib_table_lookup) and ends in ip_error() as EHOSTUNREACH, IP_INADDRERRORS.
function ipRcvWireSide(host: InetNet, cpu: Cpu, skb: SkBuff): void {
  const sim = host.sim;
  sim.enterFn(cpu, "ip_rcv_core", skb.id);
  cpu.chargeLater(sim.costs.ns.ipRcv);
  const dropped = otherHostDropped(host, skb);
  sim.exitFn(cpu, "ip_rcv_core", skb.id);
  if (dropped) return;
  sim.enterFn(cpu, "ip_rcv_finish", skb.id);
  const routing = ["ip_rcv_finish_core", "ip_route_input_noref", "ip_route_input_slow"];
  for (const fn of routing) sim.enterFn(cpu, fn, skb.id);
  for (const fn of routing.reverse()) sim.exitFn(cpu, fn, skb.id);
  sim.enterFn(cpu, "ip_error", skb.id);
  kfreeSkbReason(sim, skb, "IP_INADDRERRORS", "ip_error");
  sim.exitFn(cpu, "ip_error", skb.id);
  sim.exitFn(cpu, "ip_rcv_finish", skb.id);
}

// ip_rcv_core()'s first check: a frame for another host is dropped, counted only in the
// device's rx_otherhost_dropped
function otherHostDropped(host: InetNet, skb: SkBuff): boolean {
  if (skb.pktType !== PACKET_OTHERHOST) return false;
  if (skb.dev) (skb.dev as NetDevice).stats.rx_otherhost_dropped++;
  kfreeSkbReason(host.sim, skb, "OTHERHOST", "ip_rcv_core");
  return true;
}

/**
 * The IPv4 list handler on ptype_base, ip_list_rcv(), for the runs of skbs that
 * __netif_receive_skb_list_core() gathers: ip_rcv_core() on every packet first, then the
 * survivors, in runs by input device, through ip_sublist_rcv().
 * @param host the host
 * @param cpu the CPU
 * @param skbs the packets, data at the IP header
 * @example
 * ```ts
 * import { allocSkb, buildFrame, createHost, ethTypeTrans, inAton, inetAddAddr, ipListRcv, registerEtherdev, udpSocket } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * const sk = udpSocket(host, { addr: 0, port: 53 });
 * const skbs = [4000, 4001].map((source) => {
 *   const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source, dest: 53 } });
 *   const skb = allocSkb(host.sim, frame, dev);
 *   skb.protocol = ethTypeTrans(skb, dev);
 *   return skb;
 * });
 * ipListRcv(host, host.sim.cpus[0], skbs); // the second is routed by the first's route (the hint)
 * console.log(sk.receiveQueue.length); // 2
 * ```
 */
export function ipListRcv(host: InetNet, cpu: Cpu, skbs: SkBuff[]): void {
  host.sim.enterFn(cpu, "ip_list_rcv");
  let sublist: SkBuff[] = [];
  let currDev: NetDevice | null = null;
  for (const skb of skbs) {
    if (!ipRcvCore(host, cpu, skb)) continue;
    const dev = skb.dev as NetDevice;
    if (dev !== currDev) {
      if (currDev) ipSublistRcv(host, cpu, sublist, currDev);
      sublist = [];
      currDev = dev;
    }
    sublist.push(skb);
  }
  if (currDev) ipSublistRcv(host, cpu, sublist, currDev);
  host.sim.exitFn(cpu, "ip_list_rcv");
}

// ip_sublist_rcv(): NF_HOOK_LIST(PRE_ROUTING) on the run, then ip_list_rcv_finish() (inlined).
function ipSublistRcv(host: InetNet, cpu: Cpu, skbs: SkBuff[], dev: NetDevice): void {
  host.sim.enterFn(cpu, "ip_sublist_rcv");
  const accepted = nfHookList(host, skbs, { hook: "PRE_ROUTING", in: dev, out: null, cpu });
  ipListRcvFinish(host, cpu, accepted);
  host.sim.exitFn(cpu, "ip_sublist_rcv");
}

// ip_list_rcv_finish(): route each packet — by the hint, the first packet of the current dst,
// when destination and TOS match (ip_can_use_hint()) — and pass each run of packets with one dst
// to dst_input() (ip_sublist_rcv_finish(), inlined). No hint after a limited broadcast or a
// 0.0.0.0 → 0.0.0.0 packet (ip_extract_route_hint(); the kit has no policy rules or multipath).
function ipListRcvFinish(host: InetNet, cpu: Cpu, skbs: SkBuff[]): void {
  // the run of packets with one dst, and each one's route
  const sublist: SkBuff[] = [], routes: Rtable[] = [];
  let currDst: Rtable | null = null;
  let hint: SkBuff | null = null;
  for (const skb of skbs) {
    const iph = ipHdr(skb);
    const byHint = hint !== null && currDst !== null && ipHdr(hint).daddr === iph.daddr &&
      ipHdr(hint).tos === iph.tos;
    const route = ipRcvFinishCore(host, cpu, skb, skb.dev as NetDevice, byHint ? currDst : null);
    if (!route) continue;
    if (!byHint && (currDst === null || !sameDst(route, currDst))) {
      const lbcast = iph.daddr === 0xffffffff || (iph.daddr === 0 && iph.saddr === 0);
      hint = lbcast ? null : skb;
      ipSublistRcvFinish(host, cpu, sublist, routes);
      currDst = route;
    }
    sublist.push(skb);
    routes.push(route);
  }
  ipSublistRcvFinish(host, cpu, sublist, routes);
}

// ip_sublist_rcv_finish(), inlined: dst_input() for each packet of the run, which then ends.
function ipSublistRcvFinish(host: InetNet, cpu: Cpu, skbs: SkBuff[], routes: Rtable[]): void {
  for (let i = 0; i < skbs.length; i++) dstInput(host, cpu, skbs[i], routes[i]);
  emptyArray(skbs);
  emptyArray(routes);
}

/**
 * The header checks of ip_rcv_core(), in order: a frame for another host (OTHERHOST, the
 * device's rx_otherhost_dropped, no MIB); InReceives and InOctets; a header that cannot be
 * pulled, ihl under 5 or a version other than 4 (IP_INHDR, InHdrErrors); the ECN counters; the
 * whole header must be there (IP_INHDR); the header checksum (IP_CSUM, InCsumErrors and
 * InHdrErrors); a packet shorter than tot_len (PKT_TOO_SMALL, InTruncatedPkts); tot_len under
 * the header length (IP_INHDR). The packet is then trimmed to tot_len (Ethernet padding).
 * @param host the host
 * @param cpu the CPU
 * @param skb the packet
 * @returns true when the packet goes on
 * @example
 * ```ts
 * import { allocSkb, buildFrame, createHost, ethTypeTrans, inAton, inetAddAddr, ipRcvCore, registerEtherdev } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 4000, dest: 53 } });
 * const skb = allocSkb(host.sim, frame, dev);
 * skb.protocol = ethTypeTrans(skb, dev);
 * skb.head[skb.data + 8] = 0x33; // a byte of the source address changed: the checksum fails
 * console.log(ipRcvCore(host, host.sim.cpus[0], skb), host.sim.ledger.fates[0].reason); // false IP_CSUM
 * ```
 */
export function ipRcvCore(host: InetNet, cpu: Cpu, skb: SkBuff): boolean {
  host.sim.enterFn(cpu, "ip_rcv_core", skb.id);
  cpu.chargeLater(host.sim.costs.ns.ipRcv);
  const ok = ipRcvCoreChecks(host, skb);
  host.sim.exitFn(cpu, "ip_rcv_core", skb.id);
  return ok;
}

// The MIB counter of each ECN codepoint (IP_ECN_* order).
const ECN_COUNTERS = ["InNoECTPkts", "InECT1Pkts", "InECT0Pkts", "InCEPkts"] as const;

// A header error: InHdrErrors and the drop.
function ipInhdrError(host: InetNet, skb: SkBuff, reason: "IP_INHDR" | "IP_CSUM"): false {
  host.mib.ip.InHdrErrors++;
  kfreeSkbReason(host.sim, skb, reason, "ip_rcv_core");
  return false;
}

function ipRcvCoreChecks(host: InetNet, skb: SkBuff): boolean {
  const ip = host.mib.ip;
  if (otherHostDropped(host, skb)) return false;
  ip.InReceives++;
  host.mib.ipExt.InOctets += skb.len;
  skb.networkHeader = skb.data; // skb_reset_network_header()
  // pskb_may_pull(skb, sizeof(struct iphdr))
  if (skb.len < IPV4_HLEN) return ipInhdrError(host, skb, "IP_INHDR");
  const iph = ipHdr(skb);
  if (iph.ihl < 5 || iph.version !== 4) return ipInhdrError(host, skb, "IP_INHDR");
  host.mib.ipExt[ECN_COUNTERS[iph.tos & INET_ECN_MASK]]++;
  if (skb.len < iph.ihl * 4) return ipInhdrError(host, skb, "IP_INHDR");
  const nh = skb.networkHeader;
  if (csumFold(csumPartial(skb.head, 0, nh, nh + iph.ihl * 4)) !== 0) {
    host.mib.ipExt.InCsumErrors++;
    return ipInhdrError(host, skb, "IP_CSUM");
  }
  const len = iph.totLen;
  if (skb.len < len) {
    host.mib.ipExt.InTruncatedPkts++;
    kfreeSkbReason(host.sim, skb, "PKT_TOO_SMALL", "ip_rcv_core");
    return false;
  }
  if (len < iph.ihl * 4) return ipInhdrError(host, skb, "IP_INHDR");
  // pskb_trim_rcsum(): drop the link layer's padding, which a linear skb has as tailroom again
  if (skb.tailroom > 0 && !skb.frags) skb.tailroom += skb.len - len;
  skb.len = len;
  skb.transportHeader = nh + iph.ihl * 4;
  return true;
}

/**
 * Routes the packet and sends it on, as ip_rcv_finish() → ip_rcv_finish_core(): the input
 * route (or its drop reason); InMcastPkts/InBcastPkts; a unicast packet that came in a link-layer
 * broadcast or multicast frame is dropped with drop_unicast_in_l2_multicast; then dst_input().
 * @param host the host
 * @param cpu the CPU
 * @param skb the packet
 * @param dev the input device
 */
export function ipRcvFinish(host: InetNet, cpu: Cpu, skb: SkBuff, dev: NetDevice): void {
  host.sim.enterFn(cpu, "ip_rcv_finish", skb.id);
  const route = ipRcvFinishCore(host, cpu, skb, dev);
  if (route) dstInput(host, cpu, skb, route);
  host.sim.exitFn(cpu, "ip_rcv_finish", skb.id);
}

// ip_rcv_finish_core(): the input route (by the hint's, when the list path has one) and its
// checks; the route, or null once dropped.
function ipRcvFinishCore(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  dev: NetDevice,
  hint: Rtable | null = null,
): Rtable | null {
  host.sim.enterFn(cpu, "ip_rcv_finish_core", skb.id);
  const iph = ipHdr(skb);
  const dscp = inetDsfieldToDscp(iph.tos); // ip4h_dscp()
  // early demux: the socket of an established flow, and the route its last packet took
  if (
    !hint && !skb.dst && !skb.sk && host.sysctl["net.ipv4.ip_early_demux"] && !ipIsFragment(iph)
  ) {
    if (iph.protocol === IPPROTO_TCP && host.sysctl["net.ipv4.tcp_early_demux"]) {
      tcpV4EarlyDemux(host, cpu, skb);
    } else if (iph.protocol === IPPROTO_UDP && host.sysctl["net.ipv4.udp_early_demux"]) {
      udpV4EarlyDemux(host, cpu, skb);
    }
  }
  // skb_valid_dst(): a packet looped back keeps the route it went out by, an early-demuxed one
  // its socket's
  const route = skb.dst
    ? skb.dst as Rtable
    : hint
    ? ipRouteUseHint(host, hint, iph.saddr, dev, cpu, { daddr: iph.daddr, tos: dscp })
    : ipRouteInputNoref(host, iph.daddr, iph.saddr, iph.protocol, dev, cpu, dscp);
  let ok: Rtable | null = null;
  if (typeof route === "string") {
    // drop_error: the reverse-path filter's -EXDEV is counted (LINUX_MIB_IPRPFILTER)
    if (route === "IP_RPFILTER") host.mib.tcpExt.IPReversePathFilter++;
    kfreeSkbReason(host.sim, skb, route, "ip_rcv_finish_core");
  } else if (iph.ihl > 5 && !ipRcvOptions(host, cpu, skb, route)) {
    // dropped by ip_rcv_options()
  } else if (route.multicast) {
    host.mib.ipExt.InMcastPkts++;
    host.mib.ipExt.InMcastOctets += skb.len;
    ok = route;
  } else if (route.broadcast) {
    host.mib.ipExt.InBcastPkts++;
    host.mib.ipExt.InBcastOctets += skb.len;
    ok = route;
  } else if (
    (skb.pktType === PACKET_BROADCAST || skb.pktType === PACKET_MULTICAST) &&
    inDevConf(host, inDevGet(host, dev)!, "drop_unicast_in_l2_multicast")
  ) {
    kfreeSkbReason(host.sim, skb, "UNICAST_IN_L2_MULTICAST", "ip_rcv_finish_core");
  } else {
    ok = route;
  }
  host.sim.exitFn(cpu, "ip_rcv_finish_core", skb.id);
  return ok;
}

// ip_rcv_options(): a malformed option is InHdrErrors and a parameter problem back (IP_INHDR); a
// source route is dropped, as IN_DEV_SOURCE_ROUTE (accept_source_route, all and device) is off
// by default — the kit takes that sysctl only at its default.
function ipRcvOptions(host: InetNet, cpu: Cpu, skb: SkBuff, route: Rtable): boolean {
  const found = ipOptionsCompile(skb);
  // the route is known (skb_rtable()): record-route and timestamp get this hop's address and
  // time as the options are compiled — up to a fault, whose parameter problem echoes them
  skb.ipOpt = ipOptionsFill(
    skb,
    found,
    () => fibComputeSpecDst(host, cpu, skb, route.local && !route.broadcast && !route.multicast),
    inetCurrentTimestamp(host),
    (addr) => inetAddrTypeDevTable(host, addr, cpu) === "unicast",
  );
  if (found.ppPtr >= 0) {
    host.mib.ip.InHdrErrors++;
    icmpSend(host, cpu, skb, route, 12, 0, (found.ppPtr << 24) >>> 0);
    kfreeSkbReason(host.sim, skb, "IP_INHDR", "ip_rcv_finish_core"); // ip_rcv_options(), inlined
    return false;
  }
  if (found.srr) {
    kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "ip_rcv_finish_core"); // ip_rcv_options(), inlined
    return false;
  }
  return true;
}

function dstInput(host: InetNet, cpu: Cpu, skb: SkBuff, route: Rtable): void {
  if (route.input === "ip_local_deliver") ipLocalDeliver(host, cpu, skb, route);
  else if (route.input === "ip_forward") ipForward(host, cpu, skb, route);
  else ipError(host, cpu, skb, route);
}

/**
 * Delivers a packet addressed to the host, as ip_local_deliver(): fragments go to ip_defrag()
 * first, and only a whole datagram goes on, through NF_INET_LOCAL_IN to
 * ip_local_deliver_finish().
 * @param host the host
 * @param cpu the CPU
 * @param skb the packet
 * @param route its input route
 */
export function ipLocalDeliver(host: InetNet, cpu: Cpu, skb: SkBuff, route: Rtable): void {
  host.sim.enterFn(cpu, "ip_local_deliver", skb.id);
  let whole: SkBuff | null = skb;
  if (ipIsFragment(ipHdr(skb))) whole = ipDefrag(host, cpu, skb, route);
  if (whole) {
    const verdict = nfHook(host, whole, {
      hook: "LOCAL_IN",
      in: whole.dev as NetDevice,
      out: null,
      cpu,
    });
    if (verdict === "NF_ACCEPT") ipLocalDeliverFinish(host, cpu, whole, route);
  }
  host.sim.exitFn(cpu, "ip_local_deliver", skb.id);
}

/**
 * Hands the datagram to its protocol, as ip_local_deliver_finish() → ip_protocol_deliver_rcu():
 * the inet_protos handler, counted in InDelivers whatever the handler then does; with no handler
 * (and no raw socket) InUnknownProtos, an ICMP protocol unreachable and IP_NOPROTO.
 * @param host the host
 * @param cpu the CPU
 * @param skb the datagram
 * @param route its input route
 */
export function ipLocalDeliverFinish(host: InetNet, cpu: Cpu, skb: SkBuff, route: Rtable): void {
  host.sim.enterFn(cpu, "ip_local_deliver_finish", skb.id);
  const ipprot = host.inetProtos[ipHdr(skb).protocol];
  if (ipprot) {
    host.sim.enterFn(cpu, "ip_protocol_deliver_rcu", skb.id);
    ipprot.handler(cpu, skb, route);
    host.sim.exitFn(cpu, "ip_protocol_deliver_rcu", skb.id);
    host.mib.ip.InDelivers++;
  } else {
    host.mib.ip.InUnknownProtos++;
    icmpSend(host, cpu, skb, route, 3, 2, 0);
    kfreeSkbReason(host.sim, skb, "IP_NOPROTO", "ip_local_deliver_finish");
  }
  host.sim.exitFn(cpu, "ip_local_deliver_finish", skb.id);
}

/**
 * The input of a packet with no route, ip_error(): on a device that does not forward, an
 * unreachable host counts InAddrErrors (IP_INADDRERRORS) and a missing route InNoRoutes
 * (IP_INNOROUTES), with no ICMP; on a forwarding device the sender gets a destination
 * unreachable (net for no route, host, or administratively prohibited), paced by a token bucket
 * per source (ip_rt_error_cost = HZ, ip_rt_error_burst = 5 * HZ) on the inet_peer.
 * @param host the host
 * @param cpu the CPU
 * @param skb the packet
 * @param route the unreachable route
 */
export function ipError(host: InetNet, cpu: Cpu, skb: SkBuff, route: Rtable): void {
  host.sim.enterFn(cpu, "ip_error", skb.id);
  const inDev = inDevGet(host, skb.dev!)!;
  let reason: "NOT_SPECIFIED" | "IP_INADDRERRORS" | "IP_INNOROUTES" = "NOT_SPECIFIED";
  if (!inDevConf(host, inDev, "forwarding")) {
    if (route.error === 113) {
      reason = "IP_INADDRERRORS";
      host.mib.ip.InAddrErrors++;
    } else if (route.error === 101) {
      reason = "IP_INNOROUTES";
      host.mib.ipExt.InNoRoutes++;
    }
  } else {
    const codes: Record<number, number> = { 113: 1, 101: 0, 13: 13 };
    const code = codes[route.error];
    if (route.error === 101) {
      reason = "IP_INNOROUTES";
      host.mib.ipExt.InNoRoutes++;
    }
    if (code !== undefined) {
      const peer = inetGetpeer(host, ipHdr(skb).saddr);
      const now = host.softirqs.jiffies;
      peer.rateTokens = Math.min(peer.rateTokens + now - peer.rateLast, 5 * host.hz);
      peer.rateLast = now;
      if (peer.rateTokens >= host.hz) {
        peer.rateTokens -= host.hz;
        icmpSend(host, cpu, skb, route, 3, code, 0);
      }
    }
  }
  kfreeSkbReason(host.sim, skb, reason, "ip_error");
  host.sim.exitFn(cpu, "ip_error", skb.id);
}

/**
 * Makes the ptype_base handler for ETH_P_IP: ip_rcv() on the CPU running the receive path.
 * @param host the host
 * @returns the handler
 */
export function ipPacketHandler(host: InetNet): PacketHandler {
  // ip_rcv() charges its time as it goes: a plain function, no generator per packet
  return (skb, dev, _pt, cpu) => ipRcv(host, cpu ?? host.sim.cpus[0], skb, dev);
}
