// Models the IPv4 output path of net/ipv4/ip_output.c (Linux 6.18) for packets the receive path
// sends on: forwarded ones and the host's own ICMP and TCP replies. ip_local_out() counts
// OutRequests and runs NF_INET_LOCAL_OUT; ip_output() runs NF_INET_POST_ROUTING;
// ip_finish_output() fragments what exceeds the MTU (ip_do_fragment(): FragOKs, FragCreates);
// ip_finish_output2() resolves the neighbour and hands the frame to the device (OutTransmits).

import type { InetNet } from "./netns_ipv4.ts";
import type { NetDevice } from "../core/netdevice.ts";
import {
  allocSkb,
  allocSkbLinear,
  allocSkbSize,
  CHECKSUM_NONE,
  CHECKSUM_UNNECESSARY,
  ipHdr,
  kfreeSkbReason,
  PACKET_LOOPBACK,
  type ReplyOptions,
  SKB_TRUESIZE,
  skbClone,
  skbForwarded,
  type SkBuff,
  traceConsumeSkb,
} from "../core/skbuff.ts";
import type { Cpu } from "../sim/cpu.ts";
import { csumFold, csumPartial } from "../wire/checksum.ts";
import { allocBytes, copyBytes } from "../wire/copy_bytes.ts";
import { ETH_P_IP } from "../wire/ethernet.ts";
import { IP_DF, IP_MF, IP_OFFSET, IpHdr, IPV4_HLEN } from "../wire/ipv4.ts";
import { nfHook } from "../netfilter/core.ts";
import { txSkb } from "../core/dev_xmit.ts";
import { neighOutput } from "../core/neighbour.ts";
import { NET_XMIT_DROP } from "../sched/sch_generic.ts";
import { arpAssumeResolved, ipNeighGw4 } from "./arp.ts";
import { LOCAL_BROADCAST_OUTPUT_ROUTE, LOCAL_OUTPUT_ROUTE } from "./route.ts";
import { netifRx } from "../core/netif_receive.ts";
import { inetCurrentTimestamp, ipOptionsBuild } from "./ip_options.ts";

const EPERM = 1;
const ENOBUFS = 105;

// LL_RESERVED_SPACE() of an Ethernet device (and of a TUN one): the 14-byte header rounded up
// to 16
const LL_RESERVED = 16;

/** Where a packet leaves: device and next hop (the parts of a dst_entry output uses). */
export interface OutRoute {
  /** Egress device. */
  dev: NetDevice;
  /** Next hop address, host order (the destination itself for a direct route). */
  nexthop: number;
  /** RTCF_BROADCAST | RTCF_LOCAL: to a broadcast address of the host's own, which it also
   * receives (ip_mc_output()). */
  broadcast?: boolean;
}

/**
 * Hands a datagram to its neighbour, as ip_finish_output2(): OutTransmits counted, then
 * neigh_output() — the cached header for a connected neighbour, resolution otherwise — which
 * puts the link-layer header in front and calls dev_queue_xmit(). A device without a
 * link-layer header (a TUN device) takes the datagram as it is (neigh_direct_output()).
 * @param host the host
 * @param cpu the CPU
 * @param ipPacket the IP datagram
 * @param route device and next hop
 * @param meta what the datagram's skb carries on: the memory it is charged for (truesize),
 *   CHECKSUM_PARTIAL when the device completes the transport checksum, the queueing priority a
 *   qdisc reads, the receive queue recorded on a forwarded packet (queue_mapping), and the
 *   sending socket's receive queue (skb->sk's, for XPS)
 * @returns neigh_output()'s code, and the id of the skb a qdisc dropped, if it did
 */
function ipFinishOutput2(
  host: InetNet,
  cpu: Cpu,
  ipPacket: Uint8Array,
  route: OutRoute,
  meta: Pick<SkBuff, "truesize" | "ipSummed" | "priority" | "queueMapping" | "skRxQueue">,
): XmitResult {
  host.sim.enterFn(cpu, "ip_finish_output2");
  const hlen = route.dev.hardHeaderLen;
  const buf = allocBytes(hlen + ipPacket.length);
  buf.set(ipPacket, hlen);
  // ip_finish_output2(): IP_UPD_PO_STATS(IPSTATS_MIB_OUT), packets and octets after fragmenting
  host.mib.ip.OutTransmits++;
  host.mib.ipExt.OutOctets += ipPacket.length;
  // An skb the ledger follows only where a driver takes it on (a veth's peer receives it).
  const skb = route.dev.ndoStartXmit
    ? allocSkb(host.sim, buf, route.dev)
    : txSkb(host, buf, route.dev);
  skb.truesize = meta.truesize; // the datagram's own skb's, which an arp_queue counts
  skb.data = hlen;
  skb.len = ipPacket.length;
  skb.protocol = ETH_P_IP;
  skb.ipSummed = meta.ipSummed;
  skb.priority = meta.priority;
  skb.queueMapping = meta.queueMapping;
  skb.skRxQueue = meta.skRxQueue;
  skb.networkHeader = hlen;
  skb.transportHeader = hlen + new IpHdr(buf, hlen).ihl * 4;
  // to one of the host's own addresses: the route, RTCF_LOCAL, goes round with it (skb_dst())
  if (route.dev.loopback) skb.dst = LOCAL_OUTPUT_ROUTE;
  // ip_neigh_gw4(): the next hop's entry, or a new one (__neigh_create()) — taken as resolved
  // already by a host that does not resolve
  const n = host.ipv4.arpResolve
    ? ipNeighGw4(host, cpu, route.dev, route.nexthop)
    : arpAssumeResolved(host, route.dev, route.nexthop, cpu);
  let rc: number;
  if (n) rc = neighOutput(host, cpu, n, skb);
  else {
    // a full table made no entry: "No header cache and no neighbour!", -ENOBUFS
    kfreeSkbReason(host.sim, skb, "NEIGH_CREATEFAIL", "ip_finish_output2");
    rc = -ENOBUFS;
  }
  host.sim.exitFn(cpu, "ip_finish_output2");
  return { rc, dropped: rc === NET_XMIT_DROP || rc < 0 ? skb.id : null };
}

/**
 * What sending a datagram came to: the transmit's code, the skb the way out dropped it in, if
 * any, and whether the datagram's own skb is freed already (a fragment refused).
 */
interface XmitResult {
  rc: number;
  dropped: number | null;
  freed?: boolean;
}

// ip_send_check(): the header checksum over the header's ihl words, the check field zero
function ipSendCheck(pkt: Uint8Array, iph: IpHdr): void {
  iph.check = 0;
  iph.check = csumFold(csumPartial(pkt, 0, 0, iph.ihl * 4));
}

/**
 * Sends a datagram on after POST_ROUTING, as ip_finish_output(): within the MTU it goes out
 * whole; larger, it is cut into fragments of at most the MTU with payloads in multiples of 8
 * (ip_do_fragment()), each counted in FragCreates, the datagram in FragOKs.
 * @param host the host
 * @param cpu the CPU
 * @param skb the datagram's skb
 * @param pkt the datagram
 * @param route device and next hop
 * @param own the host's own datagram, not a forwarded one: ip_do_fragment()'s fast path
 * @returns the transmit's code and drop (ip_do_fragment() stops at no error of a fragment: 0)
 */
function ipFinishOutput(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  pkt: Uint8Array,
  route: OutRoute,
  own: boolean,
): XmitResult {
  const mtu = route.dev.mtu;
  if (pkt.length <= mtu) return ipFinishOutput2(host, cpu, pkt, route, skb);
  host.sim.enterFn(cpu, "ip_do_fragment", skb.id);
  const iph = new IpHdr(pkt, 0);
  const ihl = iph.ihl * 4;
  const fragOff = iph.fragOff;
  const step = (mtu - ihl) & ~7;
  const body = pkt.subarray(ihl);
  const base = (fragOff & IP_OFFSET) * 8;
  for (let off = 0; off < body.length; off += step) {
    const part = body.subarray(off, off + step);
    const more = off + step < body.length || (fragOff & IP_MF) !== 0;
    const frag = allocBytes(ihl + part.length);
    frag.set(pkt.subarray(0, ihl));
    frag.set(part, ihl);
    const fiph = new IpHdr(frag, 0);
    fiph.totLen = frag.length;
    fiph.fragOff = ((base + off) / 8) | (more ? IP_MF : 0);
    ipSendCheck(frag, fiph);
    // alloc_skb(len + hlen + LL_RESERVED_SPACE(dev)) for each fragment
    // ip_copy_metadata(): the priority goes with each fragment's new skb
    const r = ipFinishOutput2(host, cpu, frag, route, {
      truesize: SKB_TRUESIZE(allocSkbSize(frag.length + LL_RESERVED)),
      ipSummed: CHECKSUM_NONE,
      priority: skb.priority,
      queueMapping: 0,
      skRxQueue: skb.skRxQueue,
    });
    // a fragment the way out refused (any code but 0) ends the datagram: FragFails, the rest
    // unsent
    if (r.rc !== 0) {
      host.mib.ip.FragFails++;
      kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "ip_do_fragment");
      host.sim.exitFn(cpu, "ip_do_fragment", skb.id);
      return { rc: r.rc, dropped: null, freed: true };
    }
    host.mib.ip.FragCreates++;
  }
  host.mib.ip.FragOKs++;
  // the slow path copies into new skbs and frees the datagram's; the host's own datagram,
  // built by ip_append_data() as a frag_list of fragment-sized skbs, goes out as they are
  if (!own) traceConsumeSkb(host.sim, cpu, skb, "ip_do_fragment");
  host.sim.exitFn(cpu, "ip_do_fragment", skb.id);
  return { rc: 0, dropped: null };
}

/**
 * The last steps of every IPv4 packet out, ip_output(): NF_INET_POST_ROUTING, then
 * ip_finish_output(). The skb ends as forwarded out of the device.
 * @param host the host
 * @param cpu the CPU
 * @param skb the packet (its network header is the datagram)
 * @param route device and next hop
 * @param inDev the device a forwarded packet came in on
 * @returns the transmit's code: NET_XMIT_DROP (1) when a qdisc dropped the packet, -ENOBUFS
 *   (-105) when a full neighbour table had no room for its next hop, else 0
 */
export function ipOutput(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  route: OutRoute,
  inDev: NetDevice | null,
): number {
  host.sim.enterFn(cpu, "ip_output", skb.id);
  const rc = postRoutingFinishOutput(host, cpu, skb, route, inDev);
  host.sim.exitFn(cpu, "ip_output", skb.id);
  return rc;
}

// NF_HOOK(POST_ROUTING, ..., ip_finish_output), the end of ip_output() and ip_mc_output()
function postRoutingFinishOutput(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  route: OutRoute,
  inDev: NetDevice | null,
): number {
  let rc = 0;
  const verdict = nfHook(host, skb, { hook: "POST_ROUTING", in: inDev, out: route.dev, cpu });
  if (verdict === "NF_ACCEPT") {
    const nh = skb.networkHeader;
    const datagram = copyBytes(skb.head.subarray(nh, nh + ipHdr(skb).totLen));
    const r = ipFinishOutput(host, cpu, skb, datagram, route, inDev === null);
    rc = r.rc;
    // the kit sent the datagram in an skb of its own: when the way out dropped that one, this
    // packet's life goes on into it, and ends with its drop
    if (r.dropped === null) {
      if (!r.freed) skbForwarded(host.sim, skb, route.dev.name);
    } else if (--skb.users === 0) {
      host.sim.ledger.end({
        skb: skb.id,
        kind: "merged",
        into: r.dropped,
        where: r.rc < 0 ? "ip_finish_output2" : "__dev_queue_xmit",
        t: host.sim.now,
      });
    }
  }
  return rc;
}

// ip_mc_output() for a broadcast route (only the host's own packets take one): a clone goes
// through POST_ROUTING to ip_mc_finish_output() and comes back in as the host's own broadcast,
// then the packet goes out as ip_output() sends it.
function ipMcOutput(host: InetNet, cpu: Cpu, skb: SkBuff, route: OutRoute): number {
  host.sim.enterFn(cpu, "ip_mc_output", skb.id);
  const clone = skbClone(host.sim, skb);
  if (
    nfHook(host, clone, { hook: "POST_ROUTING", in: null, out: route.dev, cpu }) === "NF_ACCEPT"
  ) {
    host.sim.enterFn(cpu, "ip_mc_finish_output", clone.id);
    // rt_dst_clone(): the route goes round with the copy, which ip_rcv() then keeps
    clone.dst = LOCAL_BROADCAST_OUTPUT_ROUTE;
    devLoopbackXmit(host, cpu, clone, route.dev);
    host.sim.exitFn(cpu, "ip_mc_finish_output", clone.id);
  }
  const rc = postRoutingFinishOutput(host, cpu, skb, route, null);
  host.sim.exitFn(cpu, "ip_mc_output", skb.id);
  return rc;
}

// dev_loopback_xmit() (net/core/dev.c): the packet, from its IP header, back in by netif_rx() on
// the device it goes out of, PACKET_LOOPBACK, a checksum never computed taken as verified.
function devLoopbackXmit(host: InetNet, cpu: Cpu, skb: SkBuff, dev: NetDevice): void {
  host.sim.enterFn(cpu, "dev_loopback_xmit", skb.id);
  skb.macHeader = skb.networkHeader;
  skb.len -= skb.networkHeader - skb.data;
  skb.data = skb.networkHeader;
  skb.dev = dev;
  skb.pktType = PACKET_LOOPBACK;
  if (skb.ipSummed === CHECKSUM_NONE) skb.ipSummed = CHECKSUM_UNNECESSARY;
  netifRx(host, cpu, skb);
  host.sim.exitFn(cpu, "dev_loopback_xmit", skb.id);
}

/** A datagram the host itself sends. */
export interface LocalPacket {
  /** Source address, host order. */
  saddr: number;
  /** Destination address, host order. */
  daddr: number;
  /** Protocol number. */
  protocol: number;
  /** TOS byte. */
  tos: number;
  /** Set DF (path MTU discovery). */
  df: boolean;
  /** The transport header and payload. */
  payload: Uint8Array;
  /** CHECKSUM_PARTIAL when the transport checksum is left to the device (a SYN-ACK's). */
  ipSummed?: number;
  /** The sending socket's receive queue (sk_rx_queue_get()), for XPS by receive queue. */
  rxQueue?: number;
  /** IP options a reply echoes (__ip_options_echo()), written by ip_options_build(). */
  options?: ReplyOptions;
}

/**
 * Sends a datagram the host made, as ip_local_out() → __ip_local_out(): the IP header is built
 * (TTL from ip_default_ttl, the next ID), OutRequests counted, NF_INET_LOCAL_OUT run, then
 * ip_output(). The caller counts a failure as an output discard (ip_send_skb()) or not.
 * @param host the host
 * @param cpu the CPU
 * @param p the datagram's fields
 * @param route device and next hop
 * @returns the transmit's code: -EPERM (-1) for a netfilter drop, NET_XMIT_DROP (1) when a
 *   qdisc dropped it, -ENOBUFS (-105) when no neighbour entry could be made, else 0
 */
export function ipLocalOut(host: InetNet, cpu: Cpu, p: LocalPacket, route: OutRoute): number {
  host.sim.enterFn(cpu, "ip_local_out");
  const optlen = p.options?.data.length ?? 0;
  const pkt = allocBytes(IPV4_HLEN + optlen + p.payload.length);
  const iph = new IpHdr(pkt, 0);
  iph.setVersionIhl(4, 5 + optlen / 4);
  iph.tos = p.tos;
  iph.totLen = pkt.length;
  iph.id = host.ipv4.ipIdent++ & 0xffff;
  iph.fragOff = p.df ? IP_DF : 0;
  iph.ttl = host.sysctl["net.ipv4.ip_default_ttl"];
  iph.protocol = p.protocol;
  iph.saddr = p.saddr;
  iph.daddr = p.daddr;
  if (optlen) ipOptionsBuild(pkt, p.options!, p.saddr, inetCurrentTimestamp(host));
  pkt.set(p.payload, IPV4_HLEN + optlen);
  ipSendCheck(pkt, iph);
  // __ip_append_data(): sock_alloc_send_skb(fraglen + hh_len + 15), hh_len the device's
  // LL_RESERVED_SPACE
  const skb = allocSkbLinear(host.sim, pkt, LL_RESERVED + 15);
  skb.networkHeader = 0;
  skb.protocol = ETH_P_IP; // __ip_local_out()
  skb.ipSummed = p.ipSummed ?? CHECKSUM_NONE;
  skb.skRxQueue = p.rxQueue ?? -1;
  host.mib.ip.OutRequests++;
  const verdict = nfHook(host, skb, { hook: "LOCAL_OUT", in: null, out: route.dev, cpu });
  let rc = 0;
  if (verdict === "NF_DROP") rc = -EPERM;
  else if (verdict === "NF_ACCEPT") {
    // dst_output(): the route's output function
    rc = route.broadcast
      ? ipMcOutput(host, cpu, skb, route)
      : ipOutput(host, cpu, skb, route, null);
  }
  host.sim.exitFn(cpu, "ip_local_out");
  return rc;
}
