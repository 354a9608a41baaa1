// Models the UDP receive side of net/ipv4/udp.c (Linux 6.18): __udp4_lib_rcv() with its length
// and checksum checks, the socket lookup and its scoring, broadcast and multicast delivery to
// every matching socket, __udp_enqueue_schedule_skb()'s receive-buffer accounting by truesize and
// its pages charged against net.ipv4.udp_mem, sock_def_readable() waking a reader, the reader
// returning memory (udp_rmem_release()), and the /proc/net/udp view.

import { takeFirst } from "../base/arrays.ts";
import type { InetNet } from "./netns_ipv4.ts";
import { InputRangeError } from "../base/errors.ts";
import { inetBindCheck } from "./af_inet.ts";
import {
  ipHdr,
  kfreeSkbReason,
  PACKET_HOST,
  skbClone,
  type SkBuff,
  udpHdr,
} from "../core/skbuff.ts";
import type { SkbDropReason } from "../core/dropreason.ts";
import {
  skMemoryAllocatedSub,
  skMemRaiseAllocatedRecv,
  Sock,
  sockSetRcvbuf,
  TCP_STATES,
} from "../core/sock.ts";
import type { Cpu } from "../sim/cpu.ts";
import { csumFold, csumPartial, csumTcpudpNofold } from "../wire/checksum.ts";
import { inNtoa, IpHdr, IPPROTO_UDP } from "../wire/ipv4.ts";
import type { NetDevice } from "../core/netdevice.ts";
import { UDP_HLEN, UdpHdr } from "../wire/udp.ts";
import { icmpSend } from "./icmp.ts";
import { ipRouteOutput, type Rtable } from "./route.ts";

/** Packets at most this long have their checksum verified at once (CHECKSUM_BREAK). */
export const CHECKSUM_BREAK = 76;

// udp_lib_checksum_complete(): the checksum over pseudo-header and datagram, once; a good one
// is remembered on the skb (csum_valid), so recvmsg does not sum it again.
function udpChecksumComplete(skb: SkBuff): boolean {
  if (skb.csumValid) return true;
  const uh = udpHdr(skb);
  if (uh.check === 0) return true; // no checksum sent (RFC 768)
  const iph = ipHdr(skb);
  const th = skb.transportHeader;
  const pseudo = csumTcpudpNofold(iph.saddr, iph.daddr, uh.len, IPPROTO_UDP, 0);
  skb.csumValid = csumFold(csumPartial(skb.head, pseudo, th, th + uh.len)) === 0;
  return skb.csumValid;
}

/**
 * Closes a UDP socket (udp_lib_close() → udp_lib_unhash()): it leaves the socket table, its
 * queued datagrams freed unread.
 * @param host the host
 * @param sk the socket
 */
export function udpClose(host: InetNet, sk: Sock): void {
  const socks = host.ipv4.udpSockets;
  const i = socks.indexOf(sk);
  if (i >= 0) socks.splice(i, 1);
  // udp_destruct_common(): what the queue held and the deficit go back, then the forward
  // allocation (sk_mem_reclaim_final())
  if (sk.rcvTstamp) host.netstampNeeded--; // sock_disable_timestamp() as the socket goes
  const held = sk.receiveQueue.reduce((n, q) => n + q.truesize, 0) + sk.forwardDeficit;
  udpMemReduce(host, host.sim.cpus[0].id, (held + sk.forwardAlloc) >> PAGE_SHIFT);
  sk.forwardAlloc = sk.forwardDeficit = sk.readerQueueLen = 0;
  for (const q of sk.receiveQueue.splice(0)) {
    sk.rmemAlloc -= q.truesize;
    host.sim.ledger.end({
      skb: q.id,
      kind: "dropped",
      reason: "SOCKET_CLOSE",
      where: "udp_destroy_sock",
      t: host.sim.now,
    });
  }
}

/**
 * What a poll of a UDP socket reports, as udp_poll() → datagram_poll(): readable with a datagram
 * queued, and always writable (EPOLLIN 0x1, EPOLLOUT 0x4).
 * @param sk the socket
 * @returns EPOLL* bits
 */
export function udpPoll(sk: Sock): number {
  return (sk.receiveQueue.length ? 0x1 : 0) | 0x4;
}

/**
 * Connects a bound UDP socket, as ip4_datagram_connect(): the peer is remembered (the socket
 * now takes only its datagrams and scores higher in lookups), and a socket bound to any address
 * takes the route's source address as its own.
 * @param host the host
 * @param sk the socket
 * @param addr the peer's address, host order
 * @param port the peer's port
 * @returns 0, or -101 (-ENETUNREACH) when no route leads to the peer
 */
export function udpConnect(host: InetNet, sk: Sock, addr: number, port: number): number {
  const out = ipRouteOutput(host, addr);
  if (!out) return -101;
  if (!sk.rcvSaddr) sk.rcvSaddr = out.saddr;
  sk.daddr = addr;
  sk.dport = port;
  sk.state = TCP_STATES.ESTABLISHED;
  return 0;
}

/** Where a UDP socket is bound and to whom it is connected. */
export interface UdpBind {
  /** Local address, host order (0: any). */
  addr: number;
  /** Local port. */
  port: number;
  /** Peer address and port of a connected socket. */
  remote?: { addr: number; port: number };
  /** SO_TIMESTAMPNS: reads report each datagram's receive time. */
  timestamp?: boolean;
  /** SO_RCVBUF value, if set. */
  rcvbuf?: number;
  /** SO_REUSEPORT. */
  reuseport?: boolean;
  /** SO_BINDTODEVICE ifindex. */
  boundDevIf?: number;
  /** IP_FREEBIND: bind to an address the host does not have. */
  freebind?: boolean;
}

/**
 * Creates, binds and maybe connects a UDP socket (socket(), bind() with SO_REUSEADDR,
 * connect()): sk_rcvbuf starts at net.core.rmem_default, SO_BUSY_POLL at net.core.busy_read;
 * connecting a wildcard-bound socket binds it to the route's source address.
 * @param host the host
 * @param b address, port, peer, buffer
 * @returns the socket
 * @throws {RangeError} for an address the host does not have (EADDRNOTAVAIL) or a bad port
 * @example
 * ```ts
 * import { createHost, inAton, udpSocket } from "@rxpath/rxpath";
 * import { procNetUdp } from "@rxpath/rxpath/proc";
 * const host = createHost();
 * udpSocket(host, { addr: inAton("127.0.0.1"), port: 53, rcvbuf: 4096 });
 * console.log(procNetUdp(host).text);
 * ```
 */
export function udpSocket(host: InetNet, b: UdpBind): Sock {
  inetBindCheck(host, "UDP", b.addr, b.port, b.freebind ?? false);
  if (
    b.remote && (!Number.isInteger(b.remote.port) || b.remote.port < 1 || b.remote.port > 65535)
  ) {
    throw new InputRangeError(`Cannot connect UDP socket to port ${b.remote.port}: 1 to 65535`);
  }
  // ip4_datagram_connect(): a socket bound to any address takes, on connect(), the source
  // address the route to the peer would use as its bound address.
  const addr = b.addr || (b.remote ? ipRouteOutput(host, b.remote.addr)?.saddr ?? 0 : 0);
  const sk = new Sock({
    protocol: IPPROTO_UDP,
    rcvSaddr: addr,
    num: b.port,
    daddr: b.remote?.addr,
    dport: b.remote?.port,
    rcvbuf: host.sysctl["net.core.rmem_default"],
    boundDevIf: b.boundDevIf,
    reuseport: b.reuseport,
    ino: ++host.ipv4.lastIno,
  });
  if (b.rcvbuf !== undefined) sockSetRcvbuf(sk, b.rcvbuf, host.sysctl["net.core.rmem_max"]);
  // udp_lib_init_sock(), and udp_lib_setsockopt() after SO_RCVBUF
  sk.forwardThreshold = sk.rcvbuf >> 2;
  if (b.timestamp) {
    sk.rcvTstamp = true;
    host.netstampNeeded++; // sock_enable_timestamp() → net_enable_timestamp()
  }
  sk.sndbuf = host.sysctl["net.core.wmem_default"]; // sock_init_data()
  sk.llUsec = host.sysctl["net.core.busy_read"];
  // udp_lib_get_port() adds at the head of the port's slots: the newest socket is seen first.
  host.ipv4.udpSockets.unshift(sk);
  return sk;
}

// compute_score(): -1 excludes; 2 for an IPv4 socket, +4 for each of peer address, peer port
// and bound device that match, +1 when the socket last ran on this CPU.
function computeScore(
  sk: Sock,
  saddr: number,
  sport: number,
  daddr: number,
  dport: number,
  dif: number,
  cpu: number,
) {
  if (sk.num !== dport || sk.rcvSaddr !== daddr) return -1;
  let score = 2;
  if (sk.daddr) {
    if (sk.daddr !== saddr) return -1;
    score += 4;
  }
  if (sk.dport) {
    if (sk.dport !== sport) return -1;
    score += 4;
  }
  if (sk.boundDevIf) {
    if (sk.boundDevIf !== dif) return -1;
    score += 4;
  }
  if (sk.incomingCpu === cpu) score++;
  return score;
}

/**
 * Finds the socket for a datagram, as __udp4_lib_lookup(): first among sockets bound to the
 * destination address, and only if none matches among wildcard ones; the best score wins (on a
 * tie the newest socket); a reuseport group answers with one member chosen by the flow hash.
 * @param host the host
 * @param saddr source, host order
 * @param sport source port
 * @param daddr destination, host order
 * @param dport destination port
 * @param dif input ifindex
 * @param cpu the CPU
 * @param hash the flow hash, for reuseport groups
 * @returns the socket, or null
 */
export function __udp4LibLookup(
  host: InetNet,
  saddr: number,
  sport: number,
  daddr: number,
  dport: number,
  dif: number,
  cpu: number,
  hash = 0,
): Sock | null {
  // the socket bound to the address, then one bound to any (INADDR_ANY)
  for (let addr = daddr, pass = 0; pass < 2; addr = 0, pass++) {
    let best: Sock | null = null;
    let badness = 0;
    for (const sk of host.ipv4.udpSockets) {
      if (sk.rcvSaddr !== addr) continue;
      const score = computeScore(sk, saddr, sport, addr, dport, dif, cpu);
      if (score > badness) {
        best = sk;
        badness = score;
      }
    }
    if (best?.reuseport && best.state !== TCP_STATES.ESTABLISHED) {
      // reuseport_select_sock(): reciprocal_scale(hash, group size) over the group in bind order
      const group = host.ipv4.udpSockets.filter((s) =>
        s.reuseport && s.num === best!.num && s.rcvSaddr === best!.rcvSaddr && !s.daddr
      ).reverse();
      best = group[Math.floor((hash >>> 0) * group.length / 2 ** 32)];
    }
    if (best) return best;
  }
  return null;
}

/**
 * Takes an ICMP error about a datagram the host sent, as udp_err() → __udp4_lib_err(): the socket
 * that sent what the error quotes is looked up (bound to its source, connected to its
 * destination or not); with none, the error is counted in Icmp InErrors. What an error does to
 * a socket found (sk_err, IP_RECVERR queues) is not modelled: sockets are never read here.
 * @param host the host
 * @param cpu the CPU
 * @param skb the ICMP error (its device is the one it came in on)
 * @param quoted the header it quotes and at least 8 bytes after it
 */
export function udpErr(host: InetNet, cpu: Cpu, skb: SkBuff, quoted: Uint8Array): void {
  host.sim.enterFn(cpu, "__udp4_lib_err", skb.id);
  const iph = new IpHdr(quoted, 0);
  const uh = new UdpHdr(quoted, iph.ihl * 4);
  const dev = skb.dev as NetDevice;
  const sk = __udp4LibLookup(host, iph.daddr, uh.dest, iph.saddr, uh.source, dev.ifindex, cpu.id);
  if (!sk) host.mib.icmp.InErrors++;
  host.sim.exitFn(cpu, "__udp4_lib_err", skb.id);
}

/**
 * Finds the connected socket a unicast datagram is for before its route is looked up, as
 * udp_v4_early_demux() → __udp4_lib_demux_lookup(): the first socket bound to the datagram's
 * address and port must be connected to its source (address and port) and bound to no other
 * device. The socket goes with the skb (skb->sk), and the route its last datagram took
 * (sk_rx_dst) becomes this one's, so ip_rcv_finish_core() looks none up.
 * @param host the host
 * @param cpu the CPU
 * @param skb the datagram, its network and transport headers set
 */
export function udpV4EarlyDemux(host: InetNet, cpu: Cpu, skb: SkBuff): void {
  if (skb.pktType !== PACKET_HOST) return;
  const iph = ipHdr(skb);
  if (skb.networkHeader + iph.totLen - skb.transportHeader < UDP_HLEN) return;
  const uh = udpHdr(skb);
  const dif = skb.dev?.ifindex ?? 0;
  host.sim.enterFn(cpu, "udp_v4_early_demux", skb.id);
  // only the first socket of the address and port's hash chain is looked at
  let first: Sock | undefined;
  for (const s of host.ipv4.udpSockets) {
    if (s.rcvSaddr === iph.daddr && s.num === uh.dest) {
      first = s;
      break;
    }
  }
  if (
    first && first.daddr === iph.saddr && first.dport === uh.source &&
    (!first.boundDevIf || first.boundDevIf === dif)
  ) {
    skb.sk = first;
    if (first.rxDst) skb.dst = first.rxDst;
  }
  host.sim.exitFn(cpu, "udp_v4_early_demux", skb.id);
}

/**
 * Wakes what waits on a socket, as sock_def_readable(): every task asleep in recvmsg.
 * @param host the host
 * @param cpu the CPU doing the wakeup
 * @param sk the socket
 */
export function sockDefReadable(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.enterFn(cpu, "sock_def_readable");
  if (sk.waiters.length > 0) {
    for (const w of sk.waiters.splice(0)) {
      if (w.wake()) cpu.chargeLater(host.sim.costs.ns.wakeup);
    }
  }
  host.sim.exitFn(cpu, "sock_def_readable");
}

// The receive buffer is full (ENOMEM).
const ENOMEM = 12;
// Socket memory is counted in pages (SK_MEM_QUANTUM).
const PAGE_SHIFT = 12;

// __sk_mem_reduce_allocated() for UDP.
function udpMemReduce(host: InetNet, cpu: number, pages: number): void {
  if (pages > 0) skMemoryAllocatedSub(host, host.ipv4.udpProt!, cpu, pages);
}

// udp_rmem_schedule() → __sk_mem_schedule(): what sk_forward_alloc lacks for `size` bytes is
// asked of udp_mem in whole pages; refused, the forward allocation is taken back.
function udpRmemSchedule(host: InetNet, cpu: Cpu, sk: Sock, size: number): boolean {
  const delta = size - sk.forwardAlloc;
  if (delta <= 0) return true;
  const amt = (delta + (1 << PAGE_SHIFT) - 1) >> PAGE_SHIFT;
  sk.forwardAlloc += amt << PAGE_SHIFT;
  const rmem0 = host.sysctl["net.ipv4.udp_rmem_min"];
  if (skMemRaiseAllocatedRecv(host, host.ipv4.udpProt!, cpu.id, sk, amt, rmem0)) return true;
  sk.forwardAlloc -= amt << PAGE_SHIFT;
  return false;
}

/**
 * Queues a datagram on a socket, as __udp_enqueue_schedule_skb() in 6.18: the skb is charged
 * its truesize; when that would take sk_rmem_alloc past sk_rcvbuf the datagram is refused —
 * except that an empty queue takes one datagram whatever its size — with -ENOMEM, and sk_drops
 * counts it (the caller drops it). The pages sk_forward_alloc lacks are asked of udp_mem; refused,
 * the datagram is dropped here with PROTO_MEM, sk_drops counting it and — 6.18's batched
 * enqueue has no SNMP update for it — no Udp counter. A queued one wakes the reader.
 * @param host the host
 * @param cpu the CPU
 * @param sk the socket
 * @param skb the datagram
 * @returns 0 when queued or dropped for memory, else -ENOMEM
 */
export function __udpEnqueueScheduleSkb(host: InetNet, cpu: Cpu, sk: Sock, skb: SkBuff): number {
  host.sim.enterFn(cpu, "__udp_enqueue_schedule_skb", skb.id);
  cpu.chargeLater(host.sim.costs.ns.sockQueue);
  const size = skb.truesize;
  let rc = 0;
  if (sk.rmemAlloc + size > sk.rcvbuf && sk.rmemAlloc > 0) {
    sk.drops++;
    rc = -ENOMEM;
  } else if (!udpRmemSchedule(host, cpu, sk, size)) {
    sk.drops++; // numa_drop_add()
    kfreeSkbReason(host.sim, skb, "PROTO_MEM", "__udp_enqueue_schedule_skb");
  } else {
    sk.forwardAlloc -= size;
    sk.rmemAlloc += size;
    sk.incomingCpu = cpu.id;
    sk.receiveQueue.push({
      id: skb.id,
      truesize: size,
      len: udpHdr(skb).len - UDP_HLEN,
      arrived: skb.hwtstamp || skb.born,
      tstamp: skb.tstamp,
    });
    sockDefReadable(host, cpu, sk);
  }
  host.sim.exitFn(cpu, "__udp_enqueue_schedule_skb", skb.id);
  return rc;
}

/**
 * The bytes a UDP socket has queued, as /proc/net/udp's rx_queue and ss's Recv-Q show them
 * (udp_rqueue_get()): sk_rmem_alloc less what was read and not yet returned (the forward deficit).
 * @param sk the socket
 * @returns bytes
 */
export function udpRqueueGet(sk: Sock): number {
  return sk.rmemAlloc - sk.forwardDeficit;
}

/**
 * Returns a read datagram's memory, as udp_rmem_release() with partial set (udp_skb_destructor()):
 * the bytes add to the socket's forward deficit, and while that is below forward_threshold
 * (sk_rcvbuf / 4) and the reader still has datagrams it took over, nothing is returned — not even
 * to sk_rmem_alloc. Otherwise the deficit leaves sk_rmem_alloc, sk_forward_alloc keeps less than
 * a page of it, the whole pages go back to udp_mem, and the reader takes over the receive queue.
 * @param host the host
 * @param cpu the reader's CPU
 * @param sk the socket
 * @param size the datagram's truesize
 */
export function udpRmemRelease(host: InetNet, cpu: number, sk: Sock, size: number): void {
  sk.forwardDeficit += size;
  const deficit = sk.forwardDeficit;
  if (deficit < sk.forwardThreshold && sk.readerQueueLen > 0) return;
  sk.forwardDeficit = 0;
  const amt = (deficit + sk.forwardAlloc - 1) & ~((1 << PAGE_SHIFT) - 1);
  sk.forwardAlloc += deficit - amt;
  udpMemReduce(host, cpu, amt >> PAGE_SHIFT);
  sk.rmemAlloc -= deficit;
  sk.readerQueueLen = sk.receiveQueue.length; // skb_queue_splice_tail_init()
}

// udp_queue_rcv_skb() → udp_queue_rcv_one_skb() → __udp_queue_rcv_skb() (inlined): the skb
// ends in the socket's queue (counted as delivered when read) or, refused, as a drop there:
// RcvbufErrors and InErrors, the udp_fail_queue_rcv_skb event, SOCKET_RCVBUFF.
function udpQueueRcvSkb(host: InetNet, cpu: Cpu, sk: Sock, skb: SkBuff): void {
  host.sim.enterFn(cpu, "udp_queue_rcv_skb", skb.id);
  host.sim.enterFn(cpu, "udp_queue_rcv_one_skb", skb.id);
  const rc = __udpEnqueueScheduleSkb(host, cpu, sk, skb);
  if (rc < 0) {
    host.mib.udp.RcvbufErrors++;
    host.mib.udp.InErrors++;
    const iph = ipHdr(skb), uh = udpHdr(skb);
    host.sim.tracepoint(cpu, "udp_fail_queue_rcv_skb", () => ({
      rc,
      family: "AF_INET",
      saddr: inNtoa(iph.saddr),
      sport: uh.source,
      daddr: inNtoa(iph.daddr),
      dport: uh.dest,
    }));
    kfreeSkbReason(host.sim, skb, "SOCKET_RCVBUFF", "udp_queue_rcv_one_skb");
  }
  host.sim.exitFn(cpu, "udp_queue_rcv_one_skb", skb.id);
  host.sim.exitFn(cpu, "udp_queue_rcv_skb", skb.id);
}

/**
 * Receives a UDP datagram, as udp_rcv() → __udp4_lib_rcv(): a header that does not fit, or a
 * length field beyond the packet or below 8, is PKT_TOO_SMALL (InErrors); a datagram of at most
 * CHECKSUM_BREAK bytes has its checksum checked now (UDP_CSUM, InCsumErrors); broadcasts and
 * multicasts go to every matching socket (none: IgnoredMulti); else the lookup's socket, or —
 * after checking the checksum — NoPorts, an ICMP port unreachable and NO_SOCKET.
 * @param host the host
 * @param cpu the CPU
 * @param skb the datagram, transport header set
 * @param rt its input route
 * @example
 * ```ts
 * import { allocSkb, buildFrame, createHost, ethTypeTrans, inAton, inetAddAddr, ipRouteInputNoref, registerEtherdev, type Rtable, udpRcv, udpSocket } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 4000, dest: 53 } });
 * const skb = allocSkb(host.sim, frame, dev);
 * skb.protocol = ethTypeTrans(skb, dev);
 * skb.networkHeader = skb.data;
 * skb.transportHeader = skb.data + 20;
 * const rt = ipRouteInputNoref(host, inAton("10.0.0.2"), inAton("10.0.0.1"), 17, dev) as Rtable;
 * const sk = udpSocket(host, { addr: 0, port: 53 });
 * udpRcv(host, host.sim.cpus[0], skb, rt); // __udp4_lib_lookup finds sk; queued by truesize
 * console.log(sk.receiveQueue.length, sk.rmemAlloc); // 1 768
 * ```
 */
export function udpRcv(host: InetNet, cpu: Cpu, skb: SkBuff, rt: Rtable): void {
  host.sim.enterFn(cpu, "udp_rcv", skb.id);
  host.sim.enterFn(cpu, "__udp4_lib_rcv", skb.id);
  cpu.chargeLater(host.sim.costs.ns.transport);
  const reason = udpRcvReason(host, cpu, skb, rt);
  if (reason) kfreeSkbReason(host.sim, skb, reason, "__udp4_lib_rcv");
  host.sim.exitFn(cpu, "__udp4_lib_rcv", skb.id);
  host.sim.exitFn(cpu, "udp_rcv", skb.id);
}

function udpRcvReason(host: InetNet, cpu: Cpu, skb: SkBuff, rt: Rtable): SkbDropReason | null {
  const mib = host.mib.udp;
  const iph = ipHdr(skb);
  const th = skb.transportHeader;
  const ipEnd = skb.networkHeader + iph.totLen;
  if (ipEnd - th < UDP_HLEN) { // pskb_may_pull(skb, sizeof(struct udphdr))
    mib.InErrors++;
    return "NOT_SPECIFIED";
  }
  const uh = udpHdr(skb);
  const ulen = uh.len;
  if (ulen > ipEnd - th || ulen < UDP_HLEN) {
    mib.InErrors++;
    return "PKT_TOO_SMALL";
  }
  // udp4_csum_init() → __skb_checksum_validate(): short datagrams are verified at once.
  if (ulen <= CHECKSUM_BREAK && !udpChecksumComplete(skb)) {
    mib.InCsumErrors++;
    mib.InErrors++;
    return "UDP_CSUM";
  }
  const { saddr, daddr } = iph;
  const { source: sport, dest: dport } = uh;
  const dif = skb.dev?.ifindex ?? 0;
  // skb_steal_sock(): the socket early demux found; its route is cached for the next packet
  // (udp_sk_rx_dst_set())
  const stolen = skb.sk as Sock | null;
  if (stolen) {
    skb.sk = null;
    if (stolen.rxDst !== rt) {
      host.sim.traced(cpu, "udp_sk_rx_dst_set", () => {
        stolen.rxDst = rt;
      }, skb.id);
    }
    host.sim.enterFn(cpu, "udp_unicast_rcv_skb", skb.id);
    udpQueueRcvSkb(host, cpu, stolen, skb);
    host.sim.exitFn(cpu, "udp_unicast_rcv_skb", skb.id);
    return null;
  }
  if (rt.broadcast || rt.multicast) {
    return udpMcastDeliver(host, cpu, skb, saddr, sport, daddr, dport, dif);
  }
  host.sim.enterFn(cpu, "__udp4_lib_lookup", skb.id); // via __udp4_lib_lookup_skb(), inlined
  const sk = __udp4LibLookup(host, saddr, sport, daddr, dport, dif, cpu.id, skb.hash);
  host.sim.exitFn(cpu, "__udp4_lib_lookup", skb.id);
  if (sk) {
    host.sim.enterFn(cpu, "udp_unicast_rcv_skb", skb.id);
    udpQueueRcvSkb(host, cpu, sk, skb);
    host.sim.exitFn(cpu, "udp_unicast_rcv_skb", skb.id);
    return null;
  }
  if (!udpChecksumComplete(skb)) {
    mib.InCsumErrors++;
    mib.InErrors++;
    return "UDP_CSUM";
  }
  mib.NoPorts++;
  icmpSend(host, cpu, skb, rt, 3, 3, 0);
  return "NO_SOCKET";
}

// __udp4_lib_mcast_deliver(): a clone to each matching socket but the first, the skb itself to
// the first (the newest); none matching → IgnoredMulti and a plain kfree_skb().
function udpMcastDeliver(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  saddr: number,
  sport: number,
  daddr: number,
  dport: number,
  dif: number,
): SkbDropReason | null {
  const socks = host.ipv4.udpSockets.filter((sk) =>
    sk.num === dport && !(sk.daddr && sk.daddr !== saddr) && !(sk.dport && sk.dport !== sport) &&
    !(sk.rcvSaddr && sk.rcvSaddr !== daddr) && !(sk.boundDevIf && sk.boundDevIf !== dif)
  );
  if (socks.length === 0) {
    host.mib.udp.IgnoredMulti++;
    return "NOT_SPECIFIED";
  }
  for (const sk of socks.slice(1)) udpQueueRcvSkb(host, cpu, sk, skbClone(host.sim, skb));
  udpQueueRcvSkb(host, cpu, socks[0], skb);
  return null;
}

/**
 * Takes the oldest datagram off a socket's queue, as udp_recvmsg() does once the data is
 * copied: the memory is uncharged and InDatagrams counted; the skb ends delivered. With the
 * reader's CPU given, the call graph shows the way a read takes: __sys_recvfrom() →
 * sock_recvmsg() → inet_recvmsg() → udp_recvmsg() → __skb_recv_udp() →
 * __skb_try_recv_from_queue(), then skb_copy_datagram_iter() and the skb's free.
 * @param host the host
 * @param sk the socket
 * @param cpu the CPU the reading task runs on, for the call graph
 * @param peek MSG_PEEK: the datagram is copied but stays queued, not counted
 * @returns the datagram's payload length and arrival time — with SO_TIMESTAMPNS also its receive
 *   timestamp (sock_recv_timestamp(): skb->tstamp, or the time of the read when none was taken)
 *   — or null when the queue is empty
 * @example
 * ```ts
 * import { allocSkb, buildFrame, createHost, ethTypeTrans, inAton, inetAddAddr, ipRcv, registerEtherdev, udpRecvmsg, udpSocket } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 4000, dest: 53 } });
 * const skb = allocSkb(host.sim, frame, dev);
 * skb.protocol = ethTypeTrans(skb, dev);
 * const sk = udpSocket(host, { addr: 0, port: 53 });
 * ipRcv(host, host.sim.cpus[0], skb, dev);
 * console.log(udpRecvmsg(host, sk), host.mib.udp.InDatagrams); // { len: 0, arrived: 0 } 1
 * ```
 */
export function udpRecvmsg(
  host: InetNet,
  sk: Sock,
  cpu?: Cpu,
  peek = false,
): { len: number; arrived: number; tstamp?: number } | null {
  const take = () => {
    // __skb_recv_udp(): the reader's queue, refilled from the receive queue when it runs dry
    if (sk.readerQueueLen === 0) sk.readerQueueLen = sk.receiveQueue.length;
    const q = peek ? sk.receiveQueue[0] : takeFirst(sk.receiveQueue);
    if (!q) return null;
    // sock_recv_timestamp(): skb->tstamp, or now when none was taken
    const got = sk.rcvTstamp
      ? {
        len: q.len,
        arrived: q.arrived,
        tstamp: q.tstamp || host.sim.now + (cpu?.pendingCharge ?? 0),
      }
      : { len: q.len, arrived: q.arrived };
    if (peek) return got;
    sk.readerQueueLen--;
    udpRmemRelease(host, cpu?.id ?? 0, sk, q.truesize);
    host.mib.udp.InDatagrams++;
    host.sim.ledger.end({ skb: q.id, kind: "delivered", where: "udp_recvmsg", t: host.sim.now });
    return got;
  };
  if (!cpu) return take();
  const sim = host.sim;
  const calls = ["__sys_recvfrom", "sock_recvmsg", "inet_recvmsg", "udp_recvmsg"];
  for (const fn of calls) sim.enterFn(cpu, fn);
  const got = sim.traced(
    cpu,
    "__skb_recv_udp",
    () => sim.traced(cpu, "__skb_try_recv_from_queue", take),
  );
  if (got) sim.traced(cpu, "skb_copy_datagram_iter", () => {});
  for (const fn of calls.reverse()) sim.exitFn(cpu, fn);
  return got;
}
