// Models net/ipv4/icmp.c (Linux 6.18): icmp_rcv() with the handler table icmp_pointers[], the
// echo and timestamp replies (icmp_reply()), and __icmp_send() for the errors the receive path
// raises (port and protocol unreachable, time exceeded, fragmentation needed, redirect), with
// its rules — never about broadcasts, multicasts, non-first fragments or ICMP errors — and both
// rate limits: the global credit (icmp_msgs_per_sec, icmp_msgs_burst) and the per-destination
// token bucket of inet_peer (icmp_ratelimit, icmp_ratemask).

import { NET_XMIT_CN } from "../sched/sch_generic.ts";
import type { InetNet } from "./netns_ipv4.ts";
import {
  consumeSkb,
  icmpHdr,
  ipHdr,
  kfreeSkbReason,
  PACKET_HOST,
  type ReplyOptions,
  type SkBuff,
} from "../core/skbuff.ts";
import type { SkbDropReason } from "../core/dropreason.ts";
import type { Cpu } from "../sim/cpu.ts";
import { csumFold, csumPartial } from "../wire/checksum.ts";
import { allocBytes, copyBytes } from "../wire/copy_bytes.ts";
import {
  inetDsfieldToDscp,
  inNtoa,
  IP_OFFSET,
  IpHdr,
  ipIsFragment,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV4_HLEN,
} from "../wire/ipv4.ts";
import { UdpHdr } from "../wire/udp.ts";
import { ICMP_ECHOREPLY, ICMP_HLEN, ICMP_TIMESTAMPREPLY, IcmpHdr } from "../wire/icmp.ts";
import { ipLocalOut, type OutRoute } from "./ip_output.ts";
import type { InetPeer } from "./netns_ipv4.ts";
import { ipRouteInputNoref, ipRouteOutput, type Rtable } from "./route.ts";
import { fibComputeSpecDst, FLOWI_FLAG_ANYSRC, inetAddrTypeDevTable } from "./fib.ts";
import { icmpMsgInc } from "./snmp.ts";
import { inetCurrentTimestamp, ipOptionsEcho } from "./ip_options.ts";

/** The highest ICMP type the kernel knows (NR_ICMP_TYPES). */
export const NR_ICMP_TYPES = 18;
/** Extended echo request, RFC 8335 PROBE (ICMP_EXT_ECHO). */
export const ICMP_EXT_ECHO = 42;

// icmp_pointers[].error: the types that are error messages (never answered with an error).
const ICMP_ERROR_TYPES = new Set([1, 2, 3, 4, 5, 6, 7, 11, 12]);

/**
 * The inet_peer entry of an address, made on first use with rate_last 60 s in the past
 * (inet_getpeer()), so a new peer starts with a full bucket.
 * @param host the host
 * @param addr the address, host order
 * @returns the entry
 */
export function inetGetpeer(host: InetNet, addr: number): InetPeer {
  let p = host.ipv4.peers.get(addr);
  if (!p) {
    p = { rateTokens: 0, rateLast: host.softirqs.jiffies - 60 * host.hz, nRedirects: 0 };
    host.ipv4.peers.set(addr, p);
  }
  return p;
}

/**
 * The token bucket of inet_peer_xrlim_allow(): tokens grow by elapsed jiffies up to
 * XRLIM_BURST_FACTOR (6) times the timeout; a message costs one timeout's worth.
 * @param host the host
 * @param peer the peer
 * @param timeout jiffies per message
 * @returns whether a message may go
 */
export function inetPeerXrlimAllow(host: InetNet, peer: InetPeer, timeout: number): boolean {
  const now = host.softirqs.jiffies;
  let token = peer.rateTokens + now - peer.rateLast;
  peer.rateLast = now;
  if (token > 6 * timeout) token = 6 * timeout;
  let rc = false;
  if (token >= timeout) {
    token -= timeout;
    rc = true;
  }
  peer.rateTokens = token;
  return rc;
}

// icmpv4_mask_allow(): types outside icmp_ratemask and PMTU messages are never limited.
function maskAllow(host: InetNet, type: number, code: number): boolean {
  if (type > NR_ICMP_TYPES) return true;
  if (type === 3 && code === 4) return true;
  return ((1 << type) & host.sysctl["net.ipv4.icmp_ratemask"]) === 0;
}

// icmp_global_allow(): yes while credit is left; else a refill for the time since the last one
// (icmp_msgs_per_sec a second, a second's worth at most, up to icmp_msgs_burst) — none before
// HZ / 50 jiffies have passed, and none of less than one message — which, made, is a yes.
function globalAllow(host: InetNet): boolean {
  const ip4 = host.ipv4;
  if (ip4.icmpGlobalCredit > 0) return true;
  const now = host.softirqs.jiffies;
  const delta = Math.min(now - ip4.icmpGlobalStamp, host.hz);
  if (delta < Math.floor(host.hz / 50)) return false;
  const incr = Math.floor(host.sysctl["net.ipv4.icmp_msgs_per_sec"] * delta / host.hz);
  if (!incr) return false;
  ip4.icmpGlobalStamp = now;
  ip4.icmpGlobalCredit = Math.min(
    ip4.icmpGlobalCredit + incr,
    host.sysctl["net.ipv4.icmp_msgs_burst"],
  );
  return true;
}

// icmp_global_consume(): a message sent under the global limit spends get_random_u32_below(3)
// credits — 0, 1 or 2 — which the kit takes at their mean, 1 (the credit may go below zero)
function globalConsume(host: InetNet): void {
  host.ipv4.icmpGlobalCredit--;
}

// icmpv4_global_allow(): a type outside icmp_ratemask goes, unlimited; another goes while the
// global credit lasts (then the per-destination limit applies to it), or is counted in
// OutRateLimitGlobal. Returns whether that limit applies, or null for no message.
function icmpv4GlobalAllow(host: InetNet, type: number, code: number): boolean | null {
  if (maskAllow(host, type, code)) return false;
  if (globalAllow(host)) return true;
  host.mib.icmp.OutRateLimitGlobal++;
  return null;
}

// icmpv4_xrlim_allow(): the destination's token bucket (icmp_ratelimit), when the limit applies
// and the message does not go out by the loopback device; a refusal counts OutRateLimitHost, a
// message let through spends global credit.
function icmpv4XrlimAllow(
  host: InetNet,
  route: OutRoute,
  daddr: number,
  applyLimit: boolean,
): boolean {
  if (!applyLimit) return true;
  const timeout = msToJiffies(host, host.sysctl["net.ipv4.icmp_ratelimit"]);
  if (route.dev.loopback || inetPeerXrlimAllow(host, inetGetpeer(host, daddr), timeout)) {
    globalConsume(host);
    return true;
  }
  host.mib.icmp.OutRateLimitHost++;
  return false;
}

// icmp_socket_deliver(): the quoted header and 8 bytes after it must be there (else InErrors),
// then the quoted protocol's err_handler, if it has one, takes the error.
function icmpSocketDeliver(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  body: Uint8Array,
  quoted: IpHdr,
): void {
  host.sim.enterFn(cpu, "icmp_socket_deliver", skb.id);
  const err = host.inetProtos[quoted.protocol]?.errHandler;
  if (body.length < quoted.ihl * 4 + 8) host.mib.icmp.InErrors++;
  else if (err) host.sim.traced(cpu, err.name, () => err.fn(cpu, skb, body), skb.id);
  host.sim.exitFn(cpu, "icmp_socket_deliver", skb.id);
}

function msToJiffies(host: InetNet, ms: number): number {
  return Math.ceil((ms * host.hz) / 1000);
}

// icmp_push_reply(): ip_append_data() → __ip_append_data() copies the message in
// (icmp_glue_bits()), the checksum is set, and ip_push_pending_frames() sends it: __ip_make_skb()
// builds the datagram and counts OutMsgs and OutType<n> (icmp_out_count()) with the flow's
// fl4_icmp_type, since the ICMP socket is SOCK_RAW: __icmp_send() sets it to the type sent,
// icmp_reply() leaves it 0 — so an echo or a timestamp reply both count as OutType0
// (OutEchoReps), as a 6.18 host shows; ip_send_skb() → ip_local_out(). The ICMP socket does not
// set DF (icmp_sk_init(): IP_PMTUDISC_DONT).
function icmpPush(
  host: InetNet,
  cpu: Cpu,
  out: { route: OutRoute; saddr: number },
  daddr: number,
  tos: number,
  icmp: Uint8Array,
  countedType: number,
  options: ReplyOptions,
): void {
  const sim = host.sim;
  sim.enterFn(cpu, "icmp_push_reply");
  sim.enterFn(cpu, "ip_append_data");
  sim.enterFn(cpu, "__ip_append_data");
  sim.enterFn(cpu, "icmp_glue_bits");
  sim.exitFn(cpu, "icmp_glue_bits");
  sim.exitFn(cpu, "__ip_append_data");
  sim.exitFn(cpu, "ip_append_data");
  const icmph = new IcmpHdr(icmp, 0);
  icmph.checksum = 0;
  icmph.checksum = csumFold(csumPartial(icmp, 0, 0, icmp.length));
  sim.enterFn(cpu, "ip_push_pending_frames");
  sim.enterFn(cpu, "__ip_make_skb");
  host.mib.icmp.OutMsgs++;
  icmpMsgInc(host, "out", countedType);
  sim.exitFn(cpu, "__ip_make_skb");
  sim.enterFn(cpu, "ip_send_skb");
  const rc = ipLocalOut(host, cpu, {
    saddr: out.saddr,
    daddr,
    protocol: IPPROTO_ICMP,
    tos,
    df: false,
    payload: icmp,
    options,
  }, out.route);
  // ip_send_skb(): any failure is an output discard — a netfilter drop, no neighbour entry, a
  // qdisc's drop (net_xmit_errno(): NET_XMIT_CN is no error)
  if (rc !== 0 && rc !== NET_XMIT_CN) host.mib.ip.OutDiscards++;
  sim.exitFn(cpu, "ip_send_skb");
  sim.exitFn(cpu, "ip_push_pending_frames");
  sim.exitFn(cpu, "icmp_push_reply");
}

/**
 * Sends an ICMP error about a received packet, as __icmp_send(). Nothing goes out about a packet
 * that came as link-layer or IP broadcast or multicast, about a fragment other than the first,
 * or about an ICMP error; the global and per-destination limits apply to the types in
 * icmp_ratemask (counted in OutRateLimitGlobal / OutRateLimitHost when they bite). The message
 * quotes the original datagram up to 576 bytes in all.
 * @param host the host
 * @param cpu the CPU
 * @param skb the packet the error is about (network header set)
 * @param rt its input route
 * @param type ICMP type
 * @param code ICMP code
 * @param info the rest-of-header word (MTU for frag-needed, gateway for a redirect)
 */
export function __icmpSend(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  rt: Rtable,
  type: number,
  code: number,
  info: number,
): void {
  host.sim.enterFn(cpu, "__icmp_send", skb.id);
  try {
    if (rt.broadcast || rt.multicast || skb.pktType !== PACKET_HOST) return;
    const h = skb.head;
    const nh = skb.networkHeader;
    const iph = ipHdr(skb);
    if (iph.fragOff & IP_OFFSET) return;
    const ihl = iph.ihl * 4;
    if (ICMP_ERROR_TYPES.has(type) && iph.protocol === IPPROTO_ICMP) {
      // skb_header_pointer(): just the quoted icmphdr's type byte, if the packet has it
      const inner = h[nh + ihl];
      if (nh + ihl >= h.length || inner > NR_ICMP_TYPES || ICMP_ERROR_TYPES.has(inner)) return;
    }
    // local_bh_disable(), then icmp_xmit_lock()'s socket spinlock, for the rest
    host.sim.holding(cpu, { bh: 1, preempt: 1 }, () => {
      const saddr = iph.saddr;
      const applyLimit = icmpv4GlobalAllow(host, type, code);
      if (applyLimit === null) return;
      // Errors go with precedence "internetwork control" (IPTOS_PREC_INTERNETCONTROL).
      const tos = ICMP_ERROR_TYPES.has(type) ? (iph.tos & 0x1e) | 0xc0 : iph.tos;
      const options = ipOptionsEcho(host, cpu, skb);
      if (!options) return;
      // from the address it was sent to; from a forward, the source the route picks
      const out = icmpRouteLookup(host, cpu, skb, rt.local ? iph.daddr : 0, inetDsfieldToDscp(tos));
      if (!out) return;
      if (rt.local) out.saddr = iph.daddr;
      if (!icmpv4XrlimAllow(host, out.route, saddr, applyLimit)) return;
      const room = Math.min(576, out.route.dev.mtu) - IPV4_HLEN - options.data.length - ICMP_HLEN;
      const quote = h.subarray(nh, nh + Math.min(iph.totLen, room, h.length - nh));
      const icmp = allocBytes(ICMP_HLEN + quote.length);
      const icmph = new IcmpHdr(icmp, 0);
      icmph.type = type;
      icmph.code = code;
      icmph.un = info;
      icmp.set(quote, ICMP_HLEN);
      host.sim.tracepoint(cpu, "icmp_send", () => icmpSendFields(skb, type, code));
      icmpPush(host, cpu, out, saddr, tos, icmp, type, options);
    });
  } finally {
    host.sim.exitFn(cpu, "__icmp_send", skb.id);
  }
}

// icmp_route_lookup(): the route back to the packet's source (the one the error takes), then,
// with XFRM built in, the relookups it makes to see whether IPsec would route the error
// differently: inet_addr_type_dev_table() of the destination and of the packet's own
// destination, then the reversed flow's output route (when that address is local) or an output
// route and ip_route_input() as if the packet came back. With no xfrm policies the relookup ends
// in -ENOENT and the first route stands; the lookups are what the kernel spends and traces.
function icmpRouteLookup(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  saddr: number,
  dscp: number,
): ReturnType<typeof ipRouteOutput> {
  return host.sim.traced(cpu, "icmp_route_lookup", () => {
    const iph = ipHdr(skb);
    const out = ipRouteOutput(
      host,
      iph.saddr,
      cpu,
      { proto: IPPROTO_ICMP, saddr, tos: dscp },
      true,
    );
    if (out && inetAddrTypeDevTable(host, iph.saddr, cpu) !== "local") {
      icmpRelookup(host, cpu, skb, dscp);
    }
    return out;
  }, skb.id);
}

// The XFRM relookup of icmp_route_lookup(), which finds no policy and changes nothing.
function icmpRelookup(host: InetNet, cpu: Cpu, skb: SkBuff, dscp: number): void {
  const iph = ipHdr(skb);
  // xfrm_decode_session_reverse(): the packet's flow, turned around; the flow dissector reads
  // no ports of a fragment, the first one included (no FLOW_DISSECTOR_F_PARSE_1ST_FRAG)
  const th = skb.networkHeader + iph.ihl * 4;
  const ports = (iph.protocol === IPPROTO_TCP || iph.protocol === IPPROTO_UDP) &&
      !ipIsFragment(iph) && th + 4 <= skb.head.length
    ? new UdpHdr(skb.head, th)
    : null;
  const flow = {
    proto: iph.protocol,
    sport: ports?.source ?? 0,
    dport: ports?.dest ?? 0,
  };
  if (inetAddrTypeDevTable(host, iph.daddr, cpu) === "local") {
    // __ip_route_output_key(&fl4_dec)
    ipRouteOutput(host, iph.saddr, cpu, {
      oif: skb.dev!.ifindex,
      proto: flow.proto,
      saddr: iph.daddr,
      sport: flow.dport,
      dport: flow.sport,
      tos: inetDsfieldToDscp(iph.tos),
    }, true);
    return;
  }
  // ip_route_output_key(), then ip_route_input() as if the packet came back by that device
  const back = ipRouteOutput(host, iph.daddr, cpu, {
    ...flow,
    saddr: iph.saddr,
    flags: FLOWI_FLAG_ANYSRC,
  });
  if (back) {
    ipRouteInputNoref(host, iph.saddr, iph.daddr, iph.protocol, back.route.dev, cpu, dscp);
  }
}

// The fields of the icmp_send tracepoint: the packet's addresses, and its UDP ports and length
// when it is UDP.
function icmpSendFields(skb: SkBuff, type: number, code: number): Record<string, string | number> {
  const iph = ipHdr(skb);
  const th = skb.transportHeader;
  const udp = iph.protocol === IPPROTO_UDP && th >= 0 && th + 8 <= skb.head.length
    ? new UdpHdr(skb.head, th)
    : null;
  return {
    type,
    code,
    saddr: inNtoa(iph.saddr),
    sport: udp?.source ?? 0,
    daddr: inNtoa(iph.daddr),
    dport: udp?.dest ?? 0,
    ulen: udp?.len ?? 0,
    skbaddr: skb.id,
  };
}

/**
 * Sends an ICMP error about a received packet, as icmp_send(): the static inline of
 * include/net/icmp.h that the receive path calls, passing the packet's IP options on to
 * __icmp_send(), whose arguments it takes.
 * @param args host, CPU, the packet, its input route, ICMP type, code and rest-of-header word
 */
export function icmpSend(...args: Parameters<typeof __icmpSend>): void {
  __icmpSend(...args);
}

// icmp_reply(): answer an echo or timestamp request from the address it was sent to (or, for a
// broadcast, one of the input device's), with the request's TOS.
// The reply carries the request's record-route and timestamp options (ip_options_echo()); one
// it cannot echo gets no reply.
function icmpReply(host: InetNet, cpu: Cpu, skb: SkBuff, rt: Rtable, icmp: Uint8Array): void {
  host.sim.enterFn(cpu, "icmp_reply", skb.id);
  const options = ipOptionsEcho(host, cpu, skb);
  // bottom halves off for the global limit, then icmp_xmit_lock()'s socket spinlock: the
  // reply's type, not the request's, is what icmp_ratemask limits
  if (options) {
    host.sim.holding(cpu, { bh: 1 }, () => {
      const applyLimit = icmpv4GlobalAllow(host, icmp[0], icmp[1]);
      if (applyLimit === null) return;
      host.sim.holding(
        cpu,
        { preempt: 1 },
        () => icmpReplyLocked(host, cpu, skb, rt, icmp, options, applyLimit),
      );
    });
  }
  host.sim.exitFn(cpu, "icmp_reply", skb.id);
}

function icmpReplyLocked(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  rt: Rtable,
  icmp: Uint8Array,
  options: ReplyOptions,
  applyLimit: boolean,
): void {
  const iph = ipHdr(skb);
  const saddr = fibComputeSpecDst(host, cpu, skb, rt.local && !rt.broadcast && !rt.multicast);
  const out = ipRouteOutput(host, iph.saddr, cpu, {
    proto: IPPROTO_ICMP,
    saddr,
    tos: inetDsfieldToDscp(iph.tos),
  });
  if (out && icmpv4XrlimAllow(host, out.route, iph.saddr, applyLimit)) {
    out.saddr = saddr;
    icmpPush(host, cpu, out, iph.saddr, iph.tos, icmp, 0, options);
  }
}

/**
 * Receives an ICMP message, as icmp_rcv(): InMsgs; a bad checksum is ICMP_CSUM
 * (InCsumErrors, InErrors); InType<n>; types above 18 other than PROBE are UNHANDLED_PROTO; to a
 * broadcast or multicast only echo, timestamp and address-mask requests are taken, and echo and
 * timestamp not at all with icmp_echo_ignore_broadcasts (INVALID_PROTO). Then the type's
 * handler: echo → reply (unless icmp_echo_ignore_all), timestamp → reply, echo reply → a ping
 * socket (none: NO_SOCKET), errors → the quoted protocol's error handler.
 * @param host the host
 * @param cpu the CPU
 * @param skb the packet, transport header set
 * @param rt its input route
 * @example
 * ```ts
 * import { allocSkb, buildFrame, createHost, ethTypeTrans, icmpRcv, inAton, inetAddAddr, ipRouteInputNoref, registerEtherdev, type Rtable } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, icmp: { type: 8, id: 1, sequence: 1 } });
 * const skb = allocSkb(host.sim, frame, dev);
 * skb.protocol = ethTypeTrans(skb, dev);
 * skb.networkHeader = skb.data;
 * skb.transportHeader = skb.data + 20;
 * const rt = ipRouteInputNoref(host, inAton("10.0.0.2"), inAton("10.0.0.1"), 1, dev) as Rtable;
 * icmpRcv(host, host.sim.cpus[0], skb, rt); // icmp_echo() → icmp_reply(): an echo reply goes out
 * console.log(host.mib.icmp.InMsgs, host.mib.icmp.OutMsgs, dev.transmitted.length); // 1 1 1
 * ```
 */
export function icmpRcv(host: InetNet, cpu: Cpu, skb: SkBuff, rt: Rtable): void {
  host.sim.enterFn(cpu, "icmp_rcv", skb.id);
  cpu.chargeLater(host.sim.costs.ns.transport);
  const reason = icmpRcvReason(host, cpu, skb, rt);
  if (reason === null) consumeSkb(host.sim, skb, "icmp_rcv");
  else if (reason !== "freed") kfreeSkbReason(host.sim, skb, reason, "icmp_rcv");
  host.sim.exitFn(cpu, "icmp_rcv", skb.id);
}

// What icmp_rcv()'s checks and the type's handler say: a drop reason, null when the message was
// used (consume_skb()), or "freed" when the handler freed it itself (ping_rcv()).
type IcmpVerdict = SkbDropReason | null | "freed";

function icmpRcvReason(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  rt: Rtable,
): IcmpVerdict {
  const mib = host.mib.icmp;
  mib.InMsgs++;
  const h = skb.head;
  const th = skb.transportHeader;
  const end = skb.networkHeader + ipHdr(skb).totLen;
  const len = end - th;
  // skb_checksum_simple_validate(): the sum over the whole message must fold to zero.
  if (csumFold(csumPartial(h, 0, th, end)) !== 0) {
    mib.InCsumErrors++;
    mib.InErrors++;
    return "ICMP_CSUM";
  }
  if (len < 8) {
    mib.InErrors++;
    return "NOT_SPECIFIED";
  }
  const type = icmpHdr(skb).type;
  icmpMsgInc(host, "in", type);
  if (type === ICMP_EXT_ECHO) { // icmp_echo(): PROBE off (icmp_echo_enable_probe 0)
    host.sim.enterFn(cpu, "icmp_echo", skb.id);
    host.sim.exitFn(cpu, "icmp_echo", skb.id);
    return null;
  }
  if (type > NR_ICMP_TYPES) {
    mib.InErrors++;
    return "UNHANDLED_PROTO";
  }
  if (rt.broadcast || rt.multicast) {
    if ((type === 8 || type === 13) && host.sysctl["net.ipv4.icmp_echo_ignore_broadcasts"]) {
      mib.InErrors++;
      return "INVALID_PROTO";
    }
    if (type !== 8 && type !== 13 && type !== 17 && type !== 18) {
      mib.InErrors++;
      return "INVALID_PROTO";
    }
  }
  const handler = ICMP_POINTERS[type];
  host.sim.enterFn(cpu, handler, skb.id);
  const reason = icmpHandle(host, cpu, skb, rt, type);
  host.sim.exitFn(cpu, handler, skb.id);
  return reason;
}

// icmp_pointers[]: the handler of each type up to NR_ICMP_TYPES (18).
const ICMP_POINTERS = [
  "ping_rcv",
  "icmp_discard",
  "icmp_discard",
  "icmp_unreach",
  "icmp_unreach",
  "icmp_redirect",
  "icmp_discard",
  "icmp_discard",
  "icmp_echo",
  "icmp_discard",
  "icmp_discard",
  "icmp_unreach",
  "icmp_unreach",
  "icmp_timestamp",
  "icmp_discard",
  "icmp_discard",
  "icmp_discard",
  "icmp_discard",
  "icmp_discard",
];

// The handlers' work, by type.
function icmpHandle(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  rt: Rtable,
  type: number,
): IcmpVerdict {
  const mib = host.mib.icmp;
  const h = skb.head;
  const th = skb.transportHeader;
  const end = skb.networkHeader + ipHdr(skb).totLen;
  const len = end - th;
  const body = h.subarray(th + ICMP_HLEN, end);
  switch (type) {
    case 8: { // icmp_echo()
      if (host.sysctl["net.ipv4.icmp_echo_ignore_all"]) return null;
      const reply = copyBytes(h.subarray(th, end));
      new IcmpHdr(reply, 0).type = ICMP_ECHOREPLY;
      icmpReply(host, cpu, skb, rt, reply);
      return null;
    }
    case 13: { // icmp_timestamp(): originate echoed, receive and transmit = ms since midnight UTC
      // only the originate timestamp must be there: the reply is always three, code 0
      if (len < ICMP_HLEN + 4) {
        mib.InErrors++;
        return "PKT_TOO_SMALL";
      }
      const reply = new Uint8Array(ICMP_HLEN + 12);
      reply.set(h.subarray(th, th + ICMP_HLEN + 4));
      const rh = new IcmpHdr(reply, 0);
      rh.type = ICMP_TIMESTAMPREPLY;
      rh.code = 0;
      const ms = inetCurrentTimestamp(host);
      const times = new DataView(reply.buffer, ICMP_HLEN); // __be32 times[3]
      times.setUint32(4, ms);
      times.setUint32(8, ms);
      icmpReply(host, cpu, skb, rt, reply);
      return null;
    }
    case 0: // ping_rcv(): the kit has no ping sockets; 6.18 frees the reply there
      kfreeSkbReason(host.sim, skb, "NO_SOCKET", "ping_rcv");
      return "freed";
    case 3:
    case 4:
    case 11:
    case 12: { // icmp_unreach(): the quoted header must be readable and sane
      if (body.length < 20) {
        mib.InErrors++;
        return "PKT_TOO_SMALL";
      }
      const quoted = new IpHdr(body, 0);
      if (quoted.ihl < 5) {
        mib.InErrors++;
        return "IP_INHDR";
      }
      // unreachable codes past NR_ICMP_UNREACH and a reassembly timeout go no further
      const code = h[th + 1];
      if ((type === 3 && code > 15) || (type === 11 && code === 1)) return null;
      icmpSocketDeliver(host, cpu, skb, body, quoted);
      return null;
    }
    case 5: // icmp_redirect()
      if (body.length < 20) {
        mib.InErrors++;
        return "PKT_TOO_SMALL";
      }
      return null;
    default: // icmp_discard()
      return null;
  }
}
