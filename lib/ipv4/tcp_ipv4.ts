// Models the TCP receive side of net/ipv4/tcp_ipv4.c, tcp_input.c and tcp_minisocks.c
// (Linux 6.18), small but real: tcp_v4_rcv()'s checks and lookup (established 4-tuple, request
// sock, listener); a listener answers a SYN with a SYN-ACK and keeps a request sock
// (tcp_conn_request()); the handshake's last ACK makes an established child
// (tcp_check_req()); a segment for no socket gets a RST (tcp_v4_send_reset()); an established
// connection queues in-order data and holds out-of-order data (tcp_rcv_established() →
// tcp_data_queue()), waking the reader. Timers (SYN-ACK retransmission, delayed ACK) and the
// ACKs a receiver sends are not modelled.

import { InputRangeError } from "../base/errors.ts";
import type { InetNet } from "./netns_ipv4.ts";
import { inetBindCheck } from "./af_inet.ts";
import {
  CHECKSUM_NONE,
  CHECKSUM_PARTIAL,
  consumeSkb,
  ipHdr,
  kfreeSkbReason,
  PACKET_HOST,
  type SkBuff,
  tcpHdr,
} from "../core/skbuff.ts";
import type { SkbDropReason } from "../core/dropreason.ts";
import { Sock, TCP_STATES } from "../core/sock.ts";
import type { Cpu } from "../sim/cpu.ts";
import { csumFold, csumPartial, csumTcpudpNofold } from "../wire/checksum.ts";
import { inNtoa, IPPROTO_TCP } from "../wire/ipv4.ts";
import { TCP_FLAGS, TCP_HLEN, TcpHdr, TCPOLEN_MSS, TCPOPT_MSS } from "../wire/tcp.ts";
import { ipRouteOutput } from "./route.ts";
import { ipLocalOut } from "./ip_output.ts";
import type { Rtable } from "./route.ts";
import { sockDefReadable } from "./udp.ts";

/**
 * Makes a listening TCP socket (socket(), bind() with SO_REUSEADDR, listen()). SO_REUSEADDR
 * does not let two listeners share a port when their addresses overlap (the same address, or
 * either is the wildcard): inet_csk_bind_conflict() refuses the bind.
 * @param host the host
 * @param addr local address, host order (0: any)
 * @param port local port
 * @returns the socket
 * @throws {RangeError} EADDRINUSE when a listener holds the port on an overlapping address
 * @example
 * ```ts
 * import { createHost, tcpListen, TCP_STATES } from "@rxpath/rxpath";
 * const host = createHost();
 * console.log(tcpListen(host, 0, 80).state === TCP_STATES.LISTEN); // true
 * ```
 */
export function tcpListen(host: InetNet, addr: number, port: number): Sock {
  inetBindCheck(host, "TCP", addr, port, false);
  const clash = host.ipv4.tcpSockets.find((sk) =>
    sk.state === TCP_STATES.LISTEN && sk.num === port &&
    (sk.rcvSaddr === addr || sk.rcvSaddr === 0 || addr === 0)
  );
  if (clash) {
    throw new InputRangeError(`Cannot bind TCP port ${port}: Address already in use (EADDRINUSE)`);
  }
  return tcpSock(
    host,
    { addr, port },
    null,
    TCP_STATES.LISTEN,
    host.sysctl["net.core.rmem_default"],
  );
}

// A TCP socket in the host's table (inet_hash() / inet_ehash_nolisten()).
function tcpSock(
  host: InetNet,
  local: { addr: number; port: number },
  remote: { addr: number; port: number } | null,
  state: number,
  rcvbuf: number,
): Sock {
  const sk = new Sock({
    protocol: IPPROTO_TCP,
    rcvSaddr: local.addr,
    num: local.port,
    daddr: remote?.addr,
    dport: remote?.port,
    state,
    rcvbuf,
    ino: ++host.ipv4.lastIno,
  });
  host.ipv4.tcpSockets.push(sk);
  if (state === TCP_STATES.ESTABLISHED) host.mib.tcp.CurrEstab++;
  return sk;
}

interface Seg {
  saddr: number;
  daddr: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  doff: number;
  dataLen: number;
}

// What tcp_v4_rcv() reads of a segment once (the addresses, and what tcp_v4_fill_cb() puts in
// TCP_SKB_CB: seq, ack_seq, flags), doff in bytes.
function parse(skb: SkBuff): Seg {
  const iph = ipHdr(skb);
  const th = tcpHdr(skb);
  const doff = th.doff * 4;
  return {
    saddr: iph.saddr,
    daddr: iph.daddr,
    sport: th.source,
    dport: th.dest,
    seq: th.seq,
    ack: th.ackSeq,
    flags: th.flagByte,
    doff,
    dataLen: skb.networkHeader + iph.totLen - skb.transportHeader - doff,
  };
}

// The states as the tcp events print them (show_tcp_state_name()).
const TCP_STATE_NAMES: Record<number, string> = {
  [TCP_STATES.ESTABLISHED]: "TCP_ESTABLISHED",
  [TCP_STATES.CLOSE]: "TCP_CLOSE",
  [TCP_STATES.LISTEN]: "TCP_LISTEN",
};

const before = (a: number, b: number) => ((a - b) | 0) < 0;
const after = (a: number, b: number) => before(b, a);

// tcp_v4_send_reset() / tcp_v4_send_synack(): a segment back to the sender (OutSegs). A reset
// and a listener's first SYN-ACK go with bottom halves off, as the 6.18 trace shows them; a
// SYN-ACK sent again by tcp_rtx_synack() does not.
function tcpSend(
  host: InetNet,
  cpu: Cpu,
  s: Seg,
  seq: number,
  ack: number,
  flags: number,
  mss: boolean,
  bhOff = true,
) {
  host.sim.holding(cpu, { bh: bhOff ? 1 : 0 }, () => {
    const out = ipRouteOutput(host, s.saddr, cpu, {
      proto: IPPROTO_TCP,
      saddr: s.daddr,
      sport: s.dport,
      dport: s.sport,
    });
    if (!out) return;
    const len = mss ? TCP_HLEN + TCPOLEN_MSS : TCP_HLEN;
    const t = new Uint8Array(len);
    const th = new TcpHdr(t, 0);
    th.source = s.dport;
    th.dest = s.sport;
    th.seq = seq;
    th.ackSeq = ack;
    th.doff = len / 4;
    th.flagByte = flags;
    th.window = flags & TCP_FLAGS.RST ? 0 : 64240;
    if (mss) t.set([TCPOPT_MSS, TCPOLEN_MSS, 1460 >> 8, 1460 & 255], TCP_HLEN); // MSS 1460
    th.check = csumFold(
      csumPartial(t, csumTcpudpNofold(s.daddr, s.saddr, len, IPPROTO_TCP, 0), 0, len),
    );
    host.mib.tcp.OutSegs++;
    if (flags & TCP_FLAGS.RST) host.mib.tcp.OutRsts++;
    ipLocalOut(host, cpu, {
      saddr: s.daddr,
      daddr: s.saddr,
      protocol: IPPROTO_TCP,
      tos: 0,
      df: true,
      payload: t,
      // tcp_v4_send_synack() leaves the checksum to the device; ip_send_unicast_reply() does not
      ipSummed: flags & TCP_FLAGS.SYN ? CHECKSUM_PARTIAL : CHECKSUM_NONE,
    }, out.route);
  });
}

// tcp_v4_send_reset(): never for a RST, only for packets to a local address (or to a socket
// found); seq from the ACK field, or an ACK of everything the segment occupied. The
// tcp_send_reset event names the socket, if one, and the reason.
function sendReset(
  host: InetNet,
  cpu: Cpu,
  s: Seg,
  rt: Rtable,
  skb: SkBuff,
  reason: SkbDropReason,
  sk: Sock | null = null,
): void {
  if (s.flags & TCP_FLAGS.RST || (!sk && rt.type !== "local")) return;
  host.sim.tracepoint(cpu, "tcp_send_reset", () => ({
    skbaddr: skb.id,
    skaddr: sk?.ino ?? 0,
    // from the socket when there is one, else from the segment, turned around
    saddr: inNtoa(sk ? sk.rcvSaddr : s.daddr),
    sport: sk ? sk.num : s.dport,
    daddr: inNtoa(sk ? sk.daddr : s.saddr),
    dport: sk ? sk.dport : s.sport,
    state: sk ? TCP_STATE_NAMES[sk.state] : "UNKNOWN",
    reason,
  }));
  if (s.flags & TCP_FLAGS.ACK) tcpSend(host, cpu, s, s.ack, 0, TCP_FLAGS.RST, false);
  else {
    const len = s.dataLen + (s.flags & TCP_FLAGS.SYN ? 1 : 0) + (s.flags & TCP_FLAGS.FIN ? 1 : 0);
    tcpSend(host, cpu, s, 0, s.seq + len, TCP_FLAGS.RST | TCP_FLAGS.ACK, false);
  }
}

function tcpChecksumOk(skb: SkBuff, s: Seg): boolean {
  const h = skb.head;
  const th = skb.transportHeader;
  const len = s.doff + s.dataLen;
  return csumFold(
    csumPartial(h, csumTcpudpNofold(s.saddr, s.daddr, len, IPPROTO_TCP, 0), th, th + len),
  ) === 0;
}

/**
 * Receives a TCP segment, as tcp_v4_rcv(): only PACKET_HOST; InSegs; a data offset under 5 words
 * is PKT_TOO_SMALL (InErrs); a bad checksum TCP_CSUM (InCsumErrors, InErrs). Then the socket:
 * established, request sock, listener — or none: a RST (unless it was one) and NO_SOCKET.
 * @param host the host
 * @param cpu the CPU
 * @param skb the segment, transport header set
 * @param rt its input route
 * @example
 * ```ts
 * import { allocSkb, buildFrame, createHost, ethTypeTrans, inAton, inetAddAddr, ipRouteInputNoref, registerEtherdev, tcpListen, tcpV4Rcv, type Rtable } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, tcp: { source: 4000, dest: 80, flags: "S" } });
 * const skb = allocSkb(host.sim, frame, dev);
 * skb.protocol = ethTypeTrans(skb, dev);
 * skb.networkHeader = skb.data;
 * skb.transportHeader = skb.data + 20;
 * const rt = ipRouteInputNoref(host, inAton("10.0.0.2"), inAton("10.0.0.1"), 6, dev) as Rtable;
 * tcpListen(host, 0, 80);
 * tcpV4Rcv(host, host.sim.cpus[0], skb, rt); // a SYN to a listener: a request sock and a SYN-ACK
 * console.log(dev.transmitted.length, host.mib.tcp.InSegs, host.mib.tcp.OutSegs); // 1 1 1
 * ```
 */
export function tcpV4Rcv(host: InetNet, cpu: Cpu, skb: SkBuff, rt: Rtable): void {
  host.sim.enterFn(cpu, "tcp_v4_rcv", skb.id);
  cpu.chargeLater(host.sim.costs.ns("transport"));
  const reason = tcpV4RcvReason(host, cpu, skb, rt);
  if (reason === "consumed") consumeSkb(host.sim, skb, "tcp_v4_rcv");
  else if (reason !== "held") kfreeSkbReason(host.sim, skb, reason, "tcp_v4_rcv");
  host.sim.exitFn(cpu, "tcp_v4_rcv", skb.id);
}

function tcpV4RcvReason(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  rt: Rtable,
): SkbDropReason | "consumed" | "held" {
  const mib = host.mib.tcp;
  if (skb.pktType !== PACKET_HOST) return "NOT_SPECIFIED";
  mib.InSegs++;
  const th = skb.transportHeader;
  const ipEnd = skb.networkHeader + ipHdr(skb).totLen;
  if (ipEnd - th < TCP_HLEN) return "NOT_SPECIFIED"; // pskb_may_pull(skb, sizeof(struct tcphdr))
  const s = parse(skb);
  if (s.doff < 20) {
    mib.InErrs++;
    return "PKT_TOO_SMALL";
  }
  if (th + s.doff > ipEnd) return "NOT_SPECIFIED";
  if (!tcpChecksumOk(skb, s)) {
    mib.InCsumErrors++;
    mib.InErrs++;
    return "TCP_CSUM";
  }
  const socks = host.ipv4.tcpSockets;
  // __inet_lookup_established(): the exact 4-tuple
  const est = socks.find((sk) =>
    sk.state === TCP_STATES.ESTABLISHED && sk.rcvSaddr === s.daddr && sk.num === s.dport &&
    sk.daddr === s.saddr && sk.dport === s.sport
  );
  if (est) return tcpRcvEstablished(host, cpu, est, skb, s);
  // __inet_lookup_listener(): a listener bound to the address beats a wildcard one
  const listener =
    socks.find((sk) =>
      sk.state === TCP_STATES.LISTEN && sk.num === s.dport && sk.rcvSaddr === s.daddr
    ) ??
      socks.find((sk) => sk.state === TCP_STATES.LISTEN && sk.num === s.dport && sk.rcvSaddr === 0);
  if (!listener) {
    sendReset(host, cpu, s, rt, skb, "NO_SOCKET");
    return "NO_SOCKET";
  }
  const req = listener.requests.find((r) =>
    r.saddr === s.saddr && r.sport === s.sport && r.daddr === s.daddr
  );
  if (req) return tcpCheckReq(host, cpu, listener, req, skb, s, rt);
  // tcp_v4_do_rcv() → tcp_rcv_state_process(), TCP_LISTEN: an ACK is refused by a reset from
  // tcp_v4_do_rcv(), which drops it; the rest end in tcp_rcv_state_process()
  if (s.flags & TCP_FLAGS.ACK) {
    sendReset(host, cpu, s, rt, skb, "TCP_FLAGS", listener);
    kfreeSkbReason(host.sim, skb, "TCP_FLAGS", "tcp_v4_do_rcv");
    return "held";
  }
  const drop = s.flags & TCP_FLAGS.RST
    ? "TCP_RESET"
    : !(s.flags & TCP_FLAGS.SYN) || s.flags & TCP_FLAGS.FIN
    ? "TCP_FLAGS"
    : null;
  if (drop) {
    kfreeSkbReason(host.sim, skb, drop, "tcp_rcv_state_process");
    return "held";
  }
  // tcp_conn_request(): a request sock, and the SYN-ACK (initial sequence from the run's Rng)
  const iss = host.sim.rng.nextU32();
  const request = { saddr: s.saddr, sport: s.sport, daddr: s.daddr, iss, irs: s.seq };
  listener.requests.push(request);
  tcpSend(host, cpu, s, iss, s.seq + 1, TCP_FLAGS.SYN | TCP_FLAGS.ACK, true);
  reqskTimer(host, cpu, listener, request, s, 0);
  consumeSkb(host.sim, skb, "tcp_rcv_state_process");
  return "held";
}

// reqsk_timer_handler(): the SYN-ACK goes again after TCP_TIMEOUT_INIT (1 s), doubling each time,
// net.ipv4.tcp_synack_retries (5) times; then the request sock is dropped.
function reqskTimer(
  host: InetNet,
  cpu: Cpu,
  listener: Sock,
  req: Sock["requests"][number],
  s: Seg,
  n: number,
) {
  host.sim.after(2 ** n * 1e9, () => {
    const i = listener.requests.indexOf(req);
    if (i < 0) return;
    if (n >= 5) {
      listener.requests.splice(i, 1);
      return;
    }
    tcpRtxSynack(host, cpu, s, req);
    reqskTimer(host, cpu, listener, req, s, n + 1);
  });
}

// tcp_rtx_synack(): the SYN-ACK again (RetransSegs), then the tcp_retransmit_synack event.
function tcpRtxSynack(host: InetNet, cpu: Cpu, s: Seg, req: Sock["requests"][number]): void {
  host.mib.tcp.RetransSegs++;
  tcpSend(host, cpu, s, req.iss, req.irs + 1, TCP_FLAGS.SYN | TCP_FLAGS.ACK, true, false);
  host.sim.tracepoint(cpu, "tcp_retransmit_synack", () => ({
    family: "AF_INET",
    sport: s.dport,
    dport: s.sport,
    saddr: inNtoa(s.daddr),
    daddr: inNtoa(s.saddr),
  }));
}

// tcp_check_req(): a segment for a connection in SYN_RECV.
function tcpCheckReq(
  host: InetNet,
  cpu: Cpu,
  listener: Sock,
  req: Sock["requests"][number],
  skb: SkBuff,
  s: Seg,
  rt: Rtable,
): SkbDropReason | "consumed" | "held" {
  const flg = s.flags & (TCP_FLAGS.RST | TCP_FLAGS.SYN | TCP_FLAGS.ACK);
  if (s.seq === req.irs && flg === TCP_FLAGS.SYN) {
    // a retransmitted SYN: send the SYN-ACK again (inet_rtx_syn_ack(), RetransSegs)
    tcpRtxSynack(host, cpu, s, req);
    return "NOT_SPECIFIED";
  }
  if (flg & TCP_FLAGS.ACK && s.ack !== ((req.iss + 1) >>> 0)) {
    // tcp_check_req() hands a wrong ACK back to the listener, whose tcp_v4_do_rcv() resets
    // and drops it, as for any ACK to a listener
    sendReset(host, cpu, s, rt, skb, "TCP_FLAGS", listener);
    kfreeSkbReason(host.sim, skb, "TCP_FLAGS", "tcp_v4_do_rcv");
    return "held";
  }
  const rcvNxt = (req.irs + 1) >>> 0;
  const endSeq = s.seq + s.dataLen + (s.flags & TCP_FLAGS.SYN ? 1 : 0) +
    (s.flags & TCP_FLAGS.FIN ? 1 : 0);
  const inWindow = s.seq === rcvNxt || (after(endSeq, rcvNxt) && before(s.seq, rcvNxt + 64240));
  if (!inWindow) return "TCP_OVERWINDOW";
  if (flg & (TCP_FLAGS.RST | TCP_FLAGS.SYN)) {
    host.mib.tcp.AttemptFails++;
    listener.requests.splice(listener.requests.indexOf(req), 1);
    if (!(flg & TCP_FLAGS.RST)) sendReset(host, cpu, s, rt, skb, "TCP_FLAGS", listener);
    return flg & TCP_FLAGS.RST ? "TCP_RESET" : "TCP_FLAGS";
  }
  if (!(flg & TCP_FLAGS.ACK)) return "NOT_SPECIFIED";
  // The handshake completes: an established child joins the accept queue (PassiveOpens).
  listener.requests.splice(listener.requests.indexOf(req), 1);
  const child = tcpSock(
    host,
    { addr: s.daddr, port: s.dport },
    { addr: s.saddr, port: s.sport },
    TCP_STATES.ESTABLISHED,
    listener.rcvbuf,
  );
  child.rcvNxt = rcvNxt;
  listener.acceptQueue.push(child);
  host.mib.tcp.PassiveOpens++;
  if (s.dataLen) return tcpRcvEstablished(host, cpu, child, skb, s);
  return "consumed";
}

/**
 * Connects an established TCP socket directly, for experiments that start mid-connection: as if
 * a handshake with the peer had completed, expecting `rcvNxt` next.
 * @param host the host
 * @param local local address and port
 * @param remote peer address and port
 * @param rcvNxt the next sequence number expected
 * @returns the socket
 */
export function tcpEstablished(
  host: InetNet,
  local: { addr: number; port: number },
  remote: { addr: number; port: number },
  rcvNxt: number,
): Sock {
  const sk = tcpSock(
    host,
    local,
    remote,
    TCP_STATES.ESTABLISHED,
    host.sysctl["net.core.rmem_default"],
  );
  sk.rcvNxt = rcvNxt >>> 0;
  return sk;
}

// tcp_rcv_established() → tcp_data_queue(): in-order data joins the receive queue
// (tcp_queue_rcv()), then any held segments it makes contiguous (tcp_ofo_queue()), and the
// reader is woken; data beyond rcv_nxt waits in the out-of-order queue (tcp_data_queue_ofo());
// data wholly before rcv_nxt is a duplicate (TCP_OLD_DATA).
function tcpRcvEstablished(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  skb: SkBuff,
  s: Seg,
): SkbDropReason | "consumed" | "held" {
  host.sim.enterFn(cpu, "tcp_rcv_established", skb.id);
  try {
    if (s.flags & TCP_FLAGS.RST) return "TCP_RESET";
    if (s.dataLen === 0) return "consumed"; // a pure ACK is processed and freed
    host.sim.enterFn(cpu, "tcp_data_queue", skb.id);
    const endSeq = (s.seq + s.dataLen) >>> 0;
    let verdict: SkbDropReason | "held" = "held";
    if (!after(endSeq, sk.rcvNxt)) verdict = "TCP_OLD_DATA";
    else if (s.seq === sk.rcvNxt) {
      host.sim.enterFn(cpu, "tcp_queue_rcv", skb.id);
      sk.receiveQueue.push({
        id: skb.id,
        truesize: skb.truesize,
        len: s.dataLen,
        arrived: skb.hwtstamp || skb.tstamp,
      });
      sk.rmemAlloc += skb.truesize;
      sk.rcvNxt = endSeq;
      host.sim.exitFn(cpu, "tcp_queue_rcv", skb.id);
      sk.outOfOrder.sort((a, b) => ((a.seq - b.seq) | 0));
      while (sk.outOfOrder.length && !after(sk.outOfOrder[0].seq, sk.rcvNxt)) {
        const o = sk.outOfOrder.shift()!;
        const end = (o.seq + o.len) >>> 0;
        if (after(end, sk.rcvNxt)) {
          sk.receiveQueue.push({
            id: o.id,
            truesize: o.truesize,
            len: o.len,
            arrived: host.sim.now,
          });
          sk.rcvNxt = end;
        } else {
          sk.rmemAlloc -= o.truesize;
          host.sim.ledger.end({
            skb: o.id,
            kind: "dropped",
            reason: "TCP_OFOMERGE",
            where: "tcp_ofo_queue",
            t: host.sim.now,
          });
        }
      }
      sockDefReadable(host, cpu, sk);
      verdict = "held";
    } else {
      // tcp_data_queue_ofo(), inlined into tcp_data_queue()
      sk.outOfOrder.push({ seq: s.seq, len: s.dataLen, id: skb.id, truesize: skb.truesize });
      sk.rmemAlloc += skb.truesize;
      verdict = "held";
    }
    host.sim.exitFn(cpu, "tcp_data_queue", skb.id);
    return verdict;
  } finally {
    host.sim.exitFn(cpu, "tcp_rcv_established", skb.id);
  }
}
