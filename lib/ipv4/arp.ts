// Models net/ipv4/arp.c (Linux 6.18): arp_init() sets up the ARP neighbour table (arp_tbl) and
// registers the ARP packet handler; arp_rcv() → arp_process() answers requests for the host's
// addresses and learns from what it hears (neigh_update()); arp_solicit() asks for an address
// while a neighbour resolves; arp_error_report() reports packets nobody answered for.

import type { InetNet } from "./netns_ipv4.ts";
import { devAddPack } from "../core/dev.ts";
import {
  __neighLookup,
  NEIGH_UPDATE_F_ADMIN,
  NEIGH_UPDATE_F_OVERRIDE,
  type Neighbour,
  neighCreate,
  neighLookup,
  neighLookupNoref,
  type NeighParms,
  neighParms,
  neighRandReachTime,
  type NeighTable,
  neighTableInit,
  neighUpdate,
  NUD_NOARP,
  NUD_NONE,
  NUD_PERMANENT,
  NUD_REACHABLE,
  NUD_STALE,
  pneighEnqueue,
} from "../core/neighbour.ts";
import {
  allocSkbLinear,
  consumeSkb,
  kfreeSkbReason,
  PACKET_HOST,
  PACKET_LOOPBACK,
  PACKET_OTHERHOST,
  type SkBuff,
} from "../core/skbuff.ts";
import { ETH_HLEN, ETH_P_ARP, ETH_P_IP } from "../wire/ethernet.ts";
import { PF_INET } from "../core/socket.ts";
import type { Cpu } from "../sim/cpu.ts";
import { jiffies } from "../kernel/timer.ts";
import type { NetDevice } from "../core/netdevice.ts";
import { devQueueXmit } from "../core/dev_xmit.ts";
import { inDevConf, inDevGet, type InDevice, inetAddrOnlink, inetSelectAddr } from "./devinet.ts";
import { IpHdr } from "../wire/ipv4.ts";
import { inetAddrTypeDevTable } from "./fib.ts";
import { ipRouteInputNoref, ipRouteOutput, type Rtable, UNICAST_OUTPUT_ROUTE } from "./route.ts";
import type { CtlTable } from "../core/sysctl_net.ts";
import { INT_MAX } from "../core/sysctl_net.ts";
import { InputRangeError } from "../base/errors.ts";
import { icmpSend } from "./icmp.ts";
import { ICMP_DEST_UNREACH, ICMP_HOST_UNREACH } from "../wire/icmp.ts";

/** ARPOP_REQUEST (include/uapi/linux/if_arp.h). */
export const ARPOP_REQUEST = 1;
/** ARPOP_REPLY. */
export const ARPOP_REPLY = 2;
/** ARPHRD_ETHER: the hardware type of an Ethernet device. */
export const ARPHRD_ETHER = 1;
// ARPHRD_IEEE802: Ethernet devices take it too (arp_process())
const ARPHRD_IEEE802 = 6;
/** Bytes of an ARP packet for Ethernet and IPv4 (arp_hdr_len()): header, two MACs, two addresses. */
export const ARP_HLEN = 28;

const SK_WMEM_MAX = 212992; // net/core/sock.c: sysctl_wmem_max's default, unres_qlen_bytes's

/**
 * arp_tbl's default settings (net/ipv4/arp.c), in jiffies at `hz`; reachable_time drawn from
 * the base (neigh_parms_alloc() → neigh_rand_reach_time()).
 * @param host the host
 * @returns the settings
 */
export function arpDefaultParms(host: InetNet): NeighParms {
  const hz = host.hz;
  return {
    baseReachableTime: 30 * hz,
    reachableTime: neighRandReachTime(host, 30 * hz),
    retransTime: hz,
    delayProbeTime: 5 * hz,
    ucastProbes: 3,
    mcastProbes: 3,
    mcastReprobes: 0,
    appProbes: 0,
    queueLenBytes: SK_WMEM_MAX,
    locktime: hz,
    proxyDelay: Math.floor(8 * hz / 10),
    proxyQlen: 64,
    gcStaletime: 60 * hz,
  };
}

/**
 * Initialises ARP, as arp_init() called from inet_init(): neigh_table_init(arp_tbl), then
 * dev_add_pack(&arp_packet_type).
 * @param host the host being booted
 */
export function arpInit(host: InetNet): void {
  host.sim.enterFn(host.bootCpu, "arp_init");
  const tbl = neighTableInit(host, {
    index: 0,
    id: "arp_cache",
    family: PF_INET,
    constructor: (cpu, n) => arpConstructor(host, cpu, n),
    ops: {
      solicit: (cpu, n, skb) => arpSolicit(host, cpu, n, skb),
      errorReport: (cpu, _n, skb) => arpErrorReport(host, cpu, skb),
    },
    parms: arpDefaultParms(host),
    proxyRedo: (cpu, skb) => parpRedo(host, cpu, skb),
    isMulticast,
    // arp_tbl's collection settings, machine-wide
    gcInterval: 30 * host.hz,
    gcThresh1: 128,
    gcThresh2: 512,
    gcThresh3: 1024,
  });
  devAddPack(host, {
    type: ETH_P_ARP,
    dev: null,
    name: "arp_rcv",
    func: function* (skb, _dev, _pt, cpu) {
      const on = cpu ?? host.sim.cpus[0];
      host.sim.traced(on, "arp_rcv", () => arpRcv(host, on, skb), skb.id);
    },
  });
  host.registerNetSysctl(neighSysctlTable(host, tbl.parms));
  host.registerNetSysctl(neighGcSysctlTable(host, tbl));
  host.sim.exitFn(host.bootCpu, "arp_init");
}

/**
 * ARP's neighbour table (neigh_tables[NEIGH_ARP_TABLE]).
 * @param host the host
 * @returns arp_tbl
 */
export function arpTbl(host: InetNet): NeighTable {
  return host.neighTables[0];
}

// arp_constructor(): a device without a link-layer header (tun) or with IFF_NOARP (lo) needs no
// resolution; nor does a multicast or broadcast address, whose MAC follows from it
function arpConstructor(host: InetNet, cpu: Cpu | undefined, n: Neighbour): void {
  host.sim.traced(cpu, "arp_constructor", () => construct(host, cpu, n));
}

function construct(host: InetNet, cpu: Cpu | undefined, n: Neighbour): void {
  // one entry, keyed 0.0.0.0, serves every next hop of a loopback or point-to-point device (a
  // TUN device, the kit's only one without a link-layer header)
  n.primaryKey = arpKey(n.dev, n.primaryKey);
  const type = inetAddrTypeDevTable(host, n.primaryKey, cpu);
  n.type = ({ unicast: 1, local: 2, broadcast: 3, multicast: 5 } as Record<string, number>)[type] ??
    1;
  if (!n.dev.hardHeaderLen) {
    n.nudState = NUD_NOARP;
    n.output = "neigh_direct_output";
  } else if (type === "multicast") {
    // arp_mc_map() → ip_eth_mc_map(): 01:00:5e and the group's low 23 bits
    const a = n.primaryKey;
    n.nudState = NUD_NOARP;
    n.ha = new Uint8Array([0x01, 0x00, 0x5e, (a >>> 16) & 0x7f, (a >>> 8) & 255, a & 255]);
  } else if (n.dev.loopback) {
    n.nudState = NUD_NOARP;
    n.ha = n.dev.devAddr.slice();
  } else if (type === "broadcast") {
    n.nudState = NUD_NOARP;
    n.ha = new Uint8Array(6).fill(0xff);
  }
}

// how long before the first frame the reference setup's entries are made, at least (seconds)
const BEFORE_THE_RUN_S = 60;

/**
 * The kit's stand-in for a peer given beforehand with `ip neigh replace ADDR lladdr
 * 02:fe:A:B:C:D nud permanent dev DEV` — its MAC 02:fe followed by its IPv4 address — when the
 * host does not resolve ({@linkcode NetnsIpv4.arpResolve} false): the scenario format takes
 * every on-link peer as resolved, and the reference setup (tests/oracle/replay_oracle.py) makes
 * such an entry for every peer the frames name. Made without a trace, as before the run. A
 * broadcast or multicast address is no peer, nor the loopback device's one entry: the first
 * packet to it makes its entry, NOARP, as ip_neigh_gw4() does, traced when a CPU is given.
 * @param host the host
 * @param dev the device
 * @param addr the peer's address, host order
 * @param cpu the CPU a packet to it is sent on, if one is
 * @returns its entry, the one there already if any; undefined when a full table had no room
 */
export function arpAssumeResolved(
  host: InetNet,
  dev: NetDevice,
  addr: number,
  cpu?: Cpu,
): Neighbour | undefined {
  const tbl = arpTbl(host);
  const known = neighLookupNoref(tbl, dev, arpKey(dev, addr));
  if (known) return known;
  // the loopback device's one entry, too, is made by the first packet out of it
  if (cpu && dev.loopback) return neighCreate(host, cpu, tbl, dev, addr, true);
  if (cpu && dev.hardHeaderLen) {
    const type = inetAddrTypeDevTable(host, addr);
    if (type === "broadcast" || type === "multicast") {
      return neighCreate(host, cpu, tbl, dev, addr, false);
    }
  }
  const n = neighCreate(host, undefined, tbl, dev, addr, true)!;
  if (n.nudState === NUD_NONE) {
    const mac = new Uint8Array([0x02, 0xfe, addr >>> 24, addr >>> 16, addr >>> 8, addr]);
    neighUpdate(host, undefined, n, mac, NUD_PERMANENT, NEIGH_UPDATE_F_ADMIN);
    // made before the run, as the setup makes it: its locktime long over
    n.updated = n.confirmed = n.used = -BEFORE_THE_RUN_S * host.hz;
  }
  return n;
}

/**
 * Sets a neighbour the way `ip neigh replace ADDR lladdr MAC nud STATE dev DEV` does (neigh_add()
 * → __neigh_update() with NEIGH_UPDATE_F_ADMIN): PERMANENT and NOARP entries stay as given;
 * a REACHABLE one counts as confirmed now and expires after reachable_time; a STALE one is
 * used as it is until a packet makes it DELAY.
 * @param host the host
 * @param dev the device's name
 * @param addr the neighbour's IPv4 address, host order
 * @param mac its MAC address, six bytes
 * @param state NUD_PERMANENT (the default), NUD_NOARP, NUD_REACHABLE or NUD_STALE
 * @throws {RangeError} when the host has no such device, or a full table has no room
 * @example
 * ```ts
 * import { createHost, inAton, ipNeighReplace, macAton, NUD_STALE, registerEtherdev } from "@rxpath/rxpath";
 * const host = createHost();
 * registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * ipNeighReplace(host, "eth0", inAton("10.1.0.7"), macAton("02:00:00:00:00:07"), NUD_STALE);
 * ```
 */
export function ipNeighReplace(
  host: InetNet,
  dev: string,
  addr: number,
  mac: Uint8Array,
  state = NUD_PERMANENT,
): void {
  const device = host.devices.find((d) => d.name === dev);
  if (!device) throw new InputRangeError(`Cannot add neighbour on ${dev}: no device ${dev}`);
  const tbl = arpTbl(host);
  const n = neighLookup(tbl, device, addr) ??
    neighCreate(host, undefined, tbl, device, addr, (state & NUD_PERMANENT) !== 0);
  // neigh_add(): a full table refuses a new entry (ENOBUFS)
  if (!n) throw new InputRangeError("RTNETLINK answers: No buffer space available");
  neighUpdate(host, undefined, n, mac, state, NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_ADMIN);
}

/**
 * The next hop's entry for a datagram on its way out (ip_neigh_gw4()): found without counting
 * (__ipv4_neigh_lookup_noref(), under the 0.0.0.0 key on a loopback or point-to-point device),
 * or made (__neigh_create(), exempt from collection on a loopback device).
 * @param host the host
 * @param cpu the CPU
 * @param dev the device out
 * @param addr the next hop, host order
 * @returns the entry, or undefined when a full table had no room for it
 */
export function ipNeighGw4(
  host: InetNet,
  cpu: Cpu,
  dev: NetDevice,
  addr: number,
): Neighbour | undefined {
  const tbl = arpTbl(host);
  return neighLookupNoref(tbl, dev, arpKey(dev, addr)) ??
    neighCreate(host, cpu, tbl, dev, addr, dev.loopback);
}

// the key an entry for `addr` has: 0.0.0.0 on a loopback or point-to-point device
// (arp_constructor(), __ipv4_neigh_lookup_noref())
function arpKey(dev: NetDevice, addr: number): number {
  return dev.loopback || !dev.hardHeaderLen ? 0 : addr;
}

/**
 * Makes and sends an ARP packet, as arp_send_dst() → arp_create() → arp_xmit(): the Ethernet
 * header to `destHw` (broadcast when null), the ARP header for Ethernet and IPv4, the target's
 * hardware address zero when not given. NF_ARP_OUT has no rules in the kit (no arptables).
 * @param host the host
 * @param cpu the CPU
 * @param op ARPOP_REQUEST or ARPOP_REPLY
 * @param destIp the target protocol address, host order
 * @param dev the device
 * @param srcIp the sender protocol address, host order
 * @param destHw the frame's destination, or null for broadcast
 * @param targetHw the target hardware address in the packet, or null for zeros
 */
export function arpSend(
  host: InetNet,
  cpu: Cpu,
  op: number,
  destIp: number,
  dev: NetDevice,
  srcIp: number,
  destHw: Uint8Array | null,
  targetHw: Uint8Array | null,
): void {
  host.sim.traced(cpu, "arp_send_dst", () => {
    const frame = new Uint8Array(ETH_HLEN + ARP_HLEN);
    frame.set(destHw ?? new Uint8Array(6).fill(0xff), 0);
    frame.set(dev.devAddr, 6);
    const v = new DataView(frame.buffer);
    v.setUint16(12, ETH_P_ARP);
    v.setUint16(14, ARPHRD_ETHER);
    v.setUint16(16, ETH_P_IP);
    frame[18] = 6;
    frame[19] = 4;
    v.setUint16(20, op);
    frame.set(dev.devAddr, 22);
    v.setUint32(28, srcIp >>> 0);
    if (targetHw) frame.set(targetHw, 32);
    v.setUint32(38, destIp >>> 0);
    // arp_create(): alloc_skb(arp_hdr_len + LL_RESERVED_SPACE + tailroom), then the header pushed
    const skb = allocSkbLinear(host.sim, frame, 16);
    skb.protocol = ETH_P_ARP;
    skb.networkHeader = ETH_HLEN;
    host.sim.traced(cpu, "arp_xmit", () => {
      host.sim.traced(cpu, "arp_xmit_finish", () => {
        devQueueXmit(host, cpu, dev, skb);
      }, skb.id);
    }, skb.id);
  });
}

/**
 * The ARP handler of ptype_base, arp_rcv(): frames for another host, looped back, or on a
 * device without ARP are consumed unread; a header for another hardware or protocol address
 * size is dropped; the rest go (through NF_ARP_IN, with no arptables rules) to arp_process().
 * @param host the host
 * @param cpu the CPU
 * @param skb the frame, its data at the ARP header
 */
export function arpRcv(host: InetNet, cpu: Cpu, skb: SkBuff): void {
  const dev = skb.dev as NetDevice;
  if (
    !dev.hardHeaderLen || dev.loopback || skb.pktType === PACKET_OTHERHOST ||
    skb.pktType === PACKET_LOOPBACK
  ) {
    return consumeSkb(host.sim, skb, "arp_rcv");
  }
  if (skb.len < ARP_HLEN) return kfreeSkbReason(host.sim, skb, "PKT_TOO_SMALL", "arp_rcv");
  const b = skb.head, at = skb.data;
  if (b[at + 4] !== 6 || b[at + 5] !== 4) {
    return kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "arp_rcv");
  }
  host.sim.traced(cpu, "arp_process", () => arpProcess(host, cpu, skb), skb.id);
}

// arp_filter(): no answer when the route back to the asker leaves by another device (ArpFilter)
function arpFilter(host: InetNet, cpu: Cpu, sip: number, tip: number, dev: NetDevice): boolean {
  const back = ipRouteOutput(host, sip, cpu, { saddr: tip });
  if (!back) return true;
  if (back.route.dev === dev) return false;
  host.mib.tcpExt.ArpFilter++;
  return true;
}

// requests queued by pneigh_enqueue() (NEIGH_CB(skb)->flags & LOCALLY_ENQUEUED)
const PROXIED = new WeakSet<SkBuff>();

// parp_redo(): a delayed proxied request is processed again, now answered
function parpRedo(host: InetNet, cpu: Cpu, skb: SkBuff): void {
  host.sim.traced(cpu, "parp_redo", () => {
    host.sim.traced(cpu, "arp_process", () => arpProcess(host, cpu, skb), skb.id);
  }, skb.id);
}

// arp_fwd_proxy(): proxy_arp on the receiving device, the route out of another one (medium_id,
// which the kit does not model, at its default 0: any other device)
function arpFwdProxy(host: InetNet, inDev: InDevice, dev: NetDevice, rt: Rtable): boolean {
  return rt.fib?.dev !== dev && inDevConf(host, inDev, "proxy_arp") !== 0;
}

// arp_fwd_pvlan(): proxy_arp_pvlan answers for other hosts of the same segment, but not a
// host's probe for its own address
function arpFwdPvlan(
  host: InetNet,
  inDev: InDevice,
  dev: NetDevice,
  rt: Rtable,
  sip: number,
  tip: number,
): boolean {
  if (rt.fib?.dev !== dev || sip === tip) return false;
  return inDevConf(host, inDev, "proxy_arp_pvlan") !== 0;
}

// the sender's entry: a host that does not resolve has one for every peer (arpAssumeResolved())
function senderEntry(
  host: InetNet,
  cpu: Cpu,
  dev: NetDevice,
  sip: number,
  creat: boolean,
): Neighbour | undefined {
  if (!host.ipv4.arpResolve) return arpAssumeResolved(host, dev, sip);
  return __neighLookup(host, cpu, arpTbl(host), dev, sip, creat);
}

// the fields of a received ARP packet
function arpFields(skb: SkBuff) {
  const v = new DataView(skb.head.buffer, skb.head.byteOffset + skb.data, ARP_HLEN);
  const b = skb.head.subarray(skb.data, skb.data + ARP_HLEN);
  return {
    hrd: v.getUint16(0),
    pro: v.getUint16(2),
    op: v.getUint16(6),
    sha: b.slice(8, 14),
    sip: v.getUint32(14),
    tha: b.slice(18, 24),
    tip: v.getUint32(24),
  };
}

const isMulticast = (a: number) => (a >>> 28) === 0xe;
const isLoopback = (a: number) => (a >>> 24) === 127;

/**
 * arp_process(): a request for one of the host's addresses is answered (unless arp_ignore says
 * not) and teaches the host the sender's address (neigh_event_ns(): a STALE entry); a reply, or
 * a request from a neighbour the host already has, updates that entry — REACHABLE for a reply
 * to this host, STALE otherwise — replacing its address only after locktime or for a
 * gratuitous ARP. Nothing is created from a reply unless arp_accept asks.
 * @param host the host
 * @param cpu the CPU
 * @param skb the frame, its data at the ARP header
 */
function arpProcess(host: InetNet, cpu: Cpu, skb: SkBuff): void {
  const dev = skb.dev as NetDevice;
  const inDev = inDevGet(host, dev);
  const drop = () => kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "arp_process");
  // the wire's end of a veth: its namespace has no address and so no routing table yet
  // (fib_main is made with the first route): a request is routed nowhere, nothing is learnt
  if (!host.devices.includes(dev)) return consumeSkb(host.sim, skb, "arp_process");
  if (!inDev) return drop();
  const a = arpFields(skb);
  if ((a.hrd !== ARPHRD_ETHER && a.hrd !== ARPHRD_IEEE802) || a.pro !== ETH_P_IP) return drop();
  if (a.op !== ARPOP_REPLY && a.op !== ARPOP_REQUEST) return drop();
  if (isMulticast(a.tip) || (!inDevConf(host, inDev, "route_localnet") && isLoopback(a.tip))) {
    return drop();
  }
  if (a.sip === a.tip && inDevConf(host, inDev, "drop_gratuitous_arp")) return drop();
  if (a.sip === 0) {
    // a probe from 0.0.0.0 (duplicate address detection): answered to the asker's MAC, nothing
    // learnt
    if (
      a.op === ARPOP_REQUEST && inetAddrTypeDevTable(host, a.tip, cpu) === "local" &&
      !arpIgnore(host, inDev, a.sip, a.tip)
    ) {
      arpSend(host, cpu, ARPOP_REPLY, a.sip, dev, a.tip, a.sha, a.sha);
    }
    return consumeSkb(host.sim, skb, "arp_process");
  }
  // neigh_event_ns(): the sender's entry, made if need be, told its address (STALE); false
  // when a full table has no room for it
  const learnSender = () =>
    host.sim.traced(cpu, "neigh_event_ns", () => {
      const n = senderEntry(host, cpu, dev, a.sip, true);
      if (n) neighUpdate(host, cpu, n, a.sha, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE);
      return n !== undefined;
    });
  if (a.op === ARPOP_REQUEST) {
    const rt = ipRouteInputNoref(host, a.tip, a.sip, 0, dev, cpu);
    if (typeof rt === "object" && rt.type === "local") {
      const dontSend = arpIgnore(host, inDev, a.sip, a.tip) ||
        (inDevConf(host, inDev, "arp_filter") !== 0 && arpFilter(host, cpu, a.sip, a.tip, dev));
      // no entry for the asker, no answer
      if (!dontSend && learnSender()) {
        arpSend(host, cpu, ARPOP_REPLY, a.sip, dev, a.tip, a.sha, a.sha);
      }
      return consumeSkb(host.sim, skb, "arp_process");
    }
    // a request for a host this one forwards to: proxy ARP answers with this host's MAC, at
    // once for a request sent to it or already delayed, else after proxy_delay's random wait
    if (
      typeof rt === "object" && rt.type === "unicast" && inDevConf(host, inDev, "forwarding") &&
      (arpFwdProxy(host, inDev, dev, rt) || arpFwdPvlan(host, inDev, dev, rt, a.sip, a.tip))
    ) {
      learnSender();
      const tbl = arpTbl(host);
      const parms = neighParms(host, tbl, dev);
      if (PROXIED.has(skb) || skb.pktType === PACKET_HOST || parms.proxyDelay === 0) {
        arpSend(host, cpu, ARPOP_REPLY, a.sip, dev, a.tip, a.sha, a.sha);
        return consumeSkb(host.sim, skb, "arp_process");
      }
      PROXIED.add(skb);
      return pneighEnqueue(host, cpu, tbl, parms, skb);
    }
  }
  let n = senderEntry(host, cpu, dev, a.sip, false);
  const accept = arpAccept(host, inDev, a.sip);
  let isGarp = false;
  if (n || accept) isGarp = arpIsGarp(host, a, cpu);
  if (accept && !n && (isGarp || (a.op === ARPOP_REPLY && isUnicast(host, a.sip, cpu)))) {
    n = __neighLookup(host, cpu, arpTbl(host), dev, a.sip, true);
  }
  if (n) {
    const override = jiffies(host) > n.updated + n.parms.locktime || isGarp;
    // a broadcast reply or a request does not prove the neighbour reachable
    const state = a.op === ARPOP_REPLY && skb.pktType === PACKET_HOST ? NUD_REACHABLE : NUD_STALE;
    neighUpdate(host, cpu, n, a.sha, state, override ? NEIGH_UPDATE_F_OVERRIDE : 0);
  }
  consumeSkb(host.sim, skb, "arp_process");
}

function isUnicast(host: InetNet, addr: number, cpu: Cpu): boolean {
  return inetAddrTypeDevTable(host, addr, cpu) === "unicast";
}

// arp_is_garp(): sender and target the same unicast address (and, for a reply, the same MAC)
function arpIsGarp(host: InetNet, a: ReturnType<typeof arpFields>, cpu: Cpu): boolean {
  let garp = a.sip === a.tip;
  if (garp && a.op === ARPOP_REPLY) garp = a.tha.every((x, i) => x === a.sha[i]);
  return garp && isUnicast(host, a.sip, cpu);
}

// arp_accept(): 0 learns nothing new, 1 learns from gratuitous ARP and replies, 2 only for a
// sender in one of the device's subnets
function arpAccept(host: InetNet, inDev: InDevice, sip: number): boolean {
  switch (inDevConf(host, inDev, "arp_accept")) {
    case 1:
      return true;
    case 2:
      return inetAddrOnlink(inDev, sip, 0);
    default:
      return false;
  }
}

// arp_ignore(): 1 answers only for an address of the receiving device, 2 also wants the sender
// in its subnet, 3 not for host-scope addresses, 8 never (inet_confirm_addr())
function arpIgnore(host: InetNet, inDev: InDevice, sip: number, tip: number): boolean {
  switch (inDevConf(host, inDev, "arp_ignore")) {
    case 1:
      return !inDev.ifaList.some((f) => f.local === tip);
    case 2:
      return !inDev.ifaList.some((f) => f.local === tip && ((f.local ^ sip) & f.mask) === 0);
    case 3:
      return isLoopback(tip);
    case 8:
      return true;
    default:
      return false;
  }
}

// arp_solicit(): the source the waiting packet has when it is ours (arp_announce 0), else the
// device's best; unicast to the known address while probing, broadcast otherwise
function arpSolicit(
  host: InetNet,
  cpu: Cpu,
  n: Neighbour,
  skb: SkBuff | null,
): void {
  host.sim.traced(cpu, "arp_solicit", () => {
    const inDev = inDevGet(host, n.dev);
    if (!inDev) return;
    // the waiting packet's source when it is one of the host's addresses: always with
    // arp_announce 0 (and any value past 2), with 1 only if the target is on its subnet; else
    // inet_select_addr()'s choice
    let saddr = 0;
    const announce = inDevConf(host, inDev, "arp_announce");
    if (skb && announce !== 2) {
      const src = new IpHdr(skb.head, skb.networkHeader).saddr;
      if (
        inetAddrTypeDevTable(host, src, cpu) === "local" &&
        (announce !== 1 || inetAddrOnlink(inDev, n.primaryKey, src))
      ) saddr = src;
    }
    if (!saddr) saddr = inetSelectAddr(host, n.dev, n.primaryKey);
    let probes = n.probes - n.parms.ucastProbes;
    let destHw: Uint8Array | null = null;
    if (probes < 0) destHw = n.ha.slice();
    else {
      probes -= n.parms.appProbes;
      if (probes < 0) return; // neigh_app_ns(): a user-space daemon's turn
    }
    arpSend(host, cpu, ARPOP_REQUEST, n.primaryKey, n.dev, saddr, destHw, null);
  });
}

// arp_error_report() → dst_link_failure() → ipv4_link_failure(): a host unreachable to the
// packet's source, then the packet dropped
function arpErrorReport(host: InetNet, cpu: Cpu, skb: SkBuff): void {
  host.sim.traced(cpu, "arp_error_report", () => {
    host.sim.traced(cpu, "ipv4_link_failure", () => {
      icmpSend(host, cpu, skb, UNICAST_OUTPUT_ROUTE, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
    }, skb.id);
    kfreeSkbReason(host.sim, skb, "NEIGH_FAILED", "arp_error_report");
  }, skb.id);
}

// The net.ipv4.neigh.<dev>.* entries the kit models (neigh_sysctl_register()), with the unit
// each handler converts from: ms, seconds (proc_dointvec_jiffies), USER_HZ ticks (userhz) or
// packets of SKB_TRUESIZE(ETH_FRAME_LEN) (unres_qlen)
const NEIGH_SYSCTLS: [string, keyof NeighParms, "ms" | "s" | "userhz" | "n" | "pkts"][] = [
  ["base_reachable_time_ms", "baseReachableTime", "ms"],
  ["retrans_time_ms", "retransTime", "ms"],
  ["delay_first_probe_time", "delayProbeTime", "s"],
  ["ucast_solicit", "ucastProbes", "n"],
  ["mcast_solicit", "mcastProbes", "n"],
  ["mcast_resolicit", "mcastReprobes", "n"],
  ["app_solicit", "appProbes", "n"],
  ["unres_qlen_bytes", "queueLenBytes", "n"],
  ["unres_qlen", "queueLenBytes", "pkts"],
  ["locktime", "locktime", "userhz"],
  ["proxy_delay", "proxyDelay", "userhz"],
  ["proxy_qlen", "proxyQlen", "n"],
  ["gc_stale_time", "gcStaletime", "s"],
];

// SKB_TRUESIZE(ETH_FRAME_LEN): 1514 + the aligned sk_buff (256) and skb_shared_info (320)
const TRUESIZE_ETH_FRAME = 2090;

function toJiffies(host: InetNet, unit: string, v: number): number {
  if (unit === "ms") return Math.ceil(v * host.hz / 1000); // msecs_to_jiffies()
  if (unit === "s") return v * host.hz;
  if (unit === "userhz") return Math.floor(v * host.hz / 100); // clock_t_to_jiffies()
  if (unit === "pkts") return v * TRUESIZE_ETH_FRAME;
  return v;
}

function fromJiffies(host: InetNet, unit: string, j: number): number {
  if (unit === "ms") return Math.floor(j * 1000 / host.hz);
  if (unit === "s") return Math.floor(j / host.hz);
  if (unit === "userhz") return Math.floor(j * 100 / host.hz);
  if (unit === "pkts") return Math.floor(j / TRUESIZE_ETH_FRAME);
  return j;
}

/**
 * The net.ipv4.neigh.<dev>.* entries (neigh_sysctl_register()), one set per device as a
 * network namespace has them; a device's settings start as arp_tbl's defaults.
 * base_reachable_time draws a new reachable_time (neigh_proc_base_reachable_time()).
 * @param host the host
 * @param dflt arp_tbl's defaults
 * @returns the entries
 */
export function neighSysctlTable(host: InetNet, dflt: NeighParms): CtlTable[] {
  return NEIGH_SYSCTLS.map(([name, field, unit]): CtlTable => ({
    procname: `net.ipv4.neigh.<dev>.${name}`,
    value: fromJiffies(host, unit, dflt[field]),
    min: 0,
    max: INT_MAX,
    source: "net/core/neighbour.c:neigh_sysctl_register",
    perDevice: true,
    devicesOnly: true,
    handler: (value: number, which?: string) => {
      const p = parmsOf(host, which!, `net.ipv4.neigh.${which}.${name}`);
      p[field] = toJiffies(host, unit, value);
      if (field === "baseReachableTime") p.reachableTime = neighRandReachTime(host, p[field]);
    },
    read: (which: string) =>
      fromJiffies(host, unit, parmsOf(host, which, `net.ipv4.neigh.${which}.${name}`)[field]),
  }));
}

/**
 * arp_tbl's collection settings, net.ipv4.neigh.default.gc_thresh1..3 and gc_interval
 * (neigh_sysctl_register() points them at the table itself): one table serves every network
 * namespace, so only the initial one has them, and the kit's host, a machine of its own, does.
 * @param host the host
 * @param tbl arp_tbl
 * @returns the entries
 */
export function neighGcSysctlTable(host: InetNet, tbl: NeighTable): CtlTable[] {
  const source = "net/core/neighbour.c:neigh_sysctl_register";
  const thresh = (n: 1 | 2 | 3): CtlTable => ({
    procname: `net.ipv4.neigh.default.gc_thresh${n}`,
    value: tbl[`gcThresh${n}`],
    min: 0,
    max: INT_MAX,
    source,
    handler: (value: number) => {
      tbl[`gcThresh${n}`] = value;
    },
  });
  return [
    thresh(1),
    thresh(2),
    thresh(3),
    {
      procname: "net.ipv4.neigh.default.gc_interval",
      value: Math.floor(tbl.gcInterval / host.hz),
      min: 0,
      max: INT_MAX,
      source,
      handler: (value: number) => {
        tbl.gcInterval = value * host.hz;
      },
    },
  ];
}

function parmsOf(host: InetNet, which: string, name: string): NeighParms {
  const dev = host.devices.find((d) => d.name === which);
  if (!dev) throw new InputRangeError(`Cannot set sysctl ${name}: no device ${which}`);
  return neighParms(host, arpTbl(host), dev);
}
