// Models net/ipv4/tcp_ipv4.c and the passive open of tcp_input.c and tcp_minisocks.c (Linux
// 6.18): tcp_v4_rcv()'s checks and lookup (established 4-tuple, request sock, listener); a
// listener answers a SYN with a SYN-ACK carrying the options the SYN offered and keeps a
// request sock (tcp_conn_request()); the handshake's last ACK makes an established child
// (tcp_check_req()) with the windows tcp_init_buffer_space() sets; a segment for no socket
// gets a RST (tcp_v4_send_reset()). Established connections are tcp_input.ts's.

import { InputRangeError } from "../base/errors.ts";
import type { InetNet } from "./netns_ipv4.ts";
import { inetBindCheck } from "./af_inet.ts";
import {
  consumeSkb,
  ipHdr,
  kfreeSkbReason,
  PACKET_HOST,
  type ReplyOptions,
  type SkBuff,
  tcpHdr,
} from "../core/skbuff.ts";
import { ipOptionsEcho } from "./ip_options.ts";
import type { SkbDropReason } from "../core/dropreason.ts";
import {
  skRxQueueSet,
  Sock,
  sockSetRcvbuf,
  TCP_STATES,
  type TcpRequestSock,
  type TcpSockState,
} from "../core/sock.ts";
import type { Cpu } from "../sim/cpu.ts";
import { csumFold, csumPartial, csumTcpudpNofold } from "../wire/checksum.ts";
import { inNtoa, IpHdr, IPPROTO_TCP } from "../wire/ipv4.ts";
import {
  TCP_FLAGS,
  TCP_HLEN,
  TcpHdr,
  TCPOPT_NOP,
  TCPOPT_SACK_PERM,
  TCPOPT_TIMESTAMP,
  tcpParseOptions,
} from "../wire/tcp.ts";
import { ipRouteOutput, type Rtable } from "./route.ts";
import { jiffies, modTimer } from "../kernel/timer.ts";
import {
  __tcpOowRateLimited,
  after,
  before,
  newTcpState,
  tcpAckUpdateRtt,
  tcpInitBufferSpace,
  tcpInitialRcvMss,
  tcpInitMetrics,
  tcpOowRateLimited,
  tcpParseMss,
  tcpRcvEstablished,
  tcpRcvSynRecv,
  tcpRcvSynsentStateProcess,
  tcpReceiveWindow,
  type TcpSegment,
  tcpSegsIn,
  tcpSyncMss,
} from "./tcp_input.ts";
import { tcpTimewaitStateProcess } from "./tcp_minisocks.ts";
import {
  inetTwskDeschedulePut,
  tcpKeepaliveTimeWhen,
  tcpResetKeepaliveTimer,
} from "./tcp_timer.ts";
import {
  inetCskRouteReq,
  TCP_DEFAULT_SCALING_RATIO,
  TCP_MAX_WSCALE,
  TCP_MSS_DEFAULT,
  TCP_RTO_MAX_MS,
  tcpAdvmss,
  tcpClockMs,
  tcpConnect,
  tcpSelectInitialWindow,
  tcpSendSynack,
  tcpTransmit,
  tcpWinFromSpace,
} from "./tcp_output.ts";
import { sockDefReadable } from "./udp.ts";
import {
  cookieTimestampDecode,
  cookieV4Check,
  cookieV4InitSequence,
  secureTcpTsOff,
} from "./syncookies.ts";

/**
 * Makes a listening TCP socket (socket(), bind() with SO_REUSEADDR, listen()). SO_REUSEADDR
 * does not let two listeners share a port when their addresses overlap (the same address, or
 * either is the wildcard): inet_csk_bind_conflict() refuses the bind.
 * @param host the host
 * @param addr local address, host order (0: any)
 * @param port local port
 * @param backlog listen()'s backlog: at most this many, plus one, connections wait for accept()
 *   (inet_listen() caps it at net.core.somaxconn)
 * @param opts options set on the socket before listen()
 * @returns the socket
 * @throws {RangeError} EADDRINUSE when a listener holds the port on an overlapping address
 * @example
 * ```ts
 * import { createHost, tcpListen, TCP_STATES } from "@rxpath/rxpath";
 * const host = createHost();
 * console.log(tcpListen(host, 0, 80).state === TCP_STATES.LISTEN); // true
 * ```
 */
export function tcpListen(
  host: InetNet,
  addr: number,
  port: number,
  backlog = host.sysctl["net.core.somaxconn"],
  opts: TcpSocketOptions = {},
): Sock {
  inetBindCheck(host, "TCP", addr, port, false);
  const clash = host.ipv4.tcpSockets.find((sk) =>
    sk.state === TCP_STATES.LISTEN && sk.num === port &&
    (sk.rcvSaddr === addr || sk.rcvSaddr === 0 || addr === 0)
  );
  if (clash) {
    throw new InputRangeError(`Cannot bind TCP port ${port}: Address already in use (EADDRINUSE)`);
  }
  // tcp_init_sock(): a TCP socket's buffer is tcp_rmem[1], not rmem_default
  const sk = tcpSock(host, { addr, port }, null, TCP_STATES.LISTEN, host.ipv4.tcpRmem[1]);
  sk.maxAckBacklog = Math.max(0, Math.min(backlog, host.sysctl["net.core.somaxconn"]));
  if (opts.rcvbuf !== undefined) sockSetRcvbuf(sk, opts.rcvbuf, host.sysctl["net.core.rmem_max"]);
  return sk;
}

/** Socket options set before listen() or connect(), as a program sets them on its socket. */
export interface TcpSocketOptions {
  /** SO_RCVBUF's value (doubled and locked, as sock_setsockopt() does). */
  rcvbuf?: number;
  /** TCP_MAXSEG: the most MSS announced and taken from the peer. */
  userMss?: number;
}

// sk_acceptq_is_full(): more children wait than the backlog allows
function acceptqIsFull(sk: Sock): boolean {
  return sk.acceptQueue.length > sk.maxAckBacklog;
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
  sk.sndbuf = host.ipv4.tcpWmem[1]; // tcp_init_sock()
  host.ipv4.tcpSockets.push(sk);
  if (state === TCP_STATES.ESTABLISHED) host.mib.tcp.CurrEstab++;
  // sk_backlog_rcv: what release_sock() does with each segment the backlog kept
  sk.backlogRcv = (cpu, skb) => {
    const verdict = tcpV4DoRcv(host, cpu, sk, skb, parse(skb));
    if (verdict === "consumed") consumeSkb(host.sim, skb, "tcp_v4_do_rcv");
    else if (verdict !== "held") kfreeSkbReason(host.sim, skb, verdict, "tcp_v4_do_rcv");
  };
  return sk;
}

type Seg = TcpSegment;

// What tcp_v4_rcv() reads of a segment once (the addresses, and what tcp_v4_fill_cb() puts in
// TCP_SKB_CB: seq, ack_seq, flags), doff in bytes.
function parse(skb: SkBuff): Seg {
  const iph = ipHdr(skb);
  const th = tcpHdr(skb);
  const doff = th.doff * 4;
  return {
    options: tcpParseOptions(th.optionBytes),
    saddr: iph.saddr,
    daddr: iph.daddr,
    sport: th.source,
    dport: th.dest,
    seq: th.seq,
    ack: th.ackSeq,
    flags: th.flagByte,
    window: th.window,
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

// tcp_v4_send_reset(): never for a RST, only for packets to a local address (or to a socket
// found); seq from the ACK field, or an ACK of everything the segment occupied. The
// tcp_send_reset event names the socket, if one, and the reason.
function sendReset(
  host: InetNet,
  cpu: Cpu,
  s: Seg,
  rt: Rtable | null,
  skb: SkBuff,
  reason: SkbDropReason | "TCP_TIMEWAIT_SOCKET" | "INVALID_SYN",
  sk: Sock | null = null,
): void {
  if (s.flags & TCP_FLAGS.RST || (!sk && rt?.type !== "local")) return;
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
  const flow = { saddr: s.daddr, sport: s.dport, daddr: s.saddr, dport: s.sport };
  const tos = ipHdr(skb).tos; // arg.tos
  if (s.flags & TCP_FLAGS.ACK) {
    tcpTransmit(host, cpu, flow, {
      seq: s.ack,
      ack: 0,
      flags: TCP_FLAGS.RST,
      window: 0,
      options: [],
      reply: true,
      tos,
      answers: skb,
    });
  } else {
    const len = s.dataLen + (s.flags & TCP_FLAGS.SYN ? 1 : 0) + (s.flags & TCP_FLAGS.FIN ? 1 : 0);
    tcpTransmit(host, cpu, flow, {
      seq: 0,
      ack: s.seq + len,
      flags: TCP_FLAGS.RST | TCP_FLAGS.ACK,
      window: 0,
      options: [],
      reply: true,
      tos,
      answers: skb,
    });
  }
}

// __inet_lookup_listener(): a listener bound to the address beats a wildcard one
function inetLookupListener(host: InetNet, s: Seg): Sock | undefined {
  const socks = host.ipv4.tcpSockets;
  return socks.find((sk) =>
    sk.state === TCP_STATES.LISTEN && sk.num === s.dport && sk.rcvSaddr === s.daddr
  ) ?? socks.find((sk) => sk.state === TCP_STATES.LISTEN && sk.num === s.dport && !sk.rcvSaddr);
}

// tcp_v4_timewait_ack() → tcp_v4_send_ack(): the timewait sock's ACK — snd_nxt, rcv_nxt, the
// window it kept, a timestamp echoing the last one; no SACK
function tcpV4TimewaitAck(host: InetNet, cpu: Cpu, sk: Sock, skb: SkBuff): void {
  const tp = sk.tcp!;
  tcpV4SendAck(
    host,
    cpu,
    { tos: 0, answers: skb }, // tw_tos: the socket's, which the kit leaves 0
    { saddr: sk.rcvSaddr, sport: sk.num, daddr: sk.daddr, dport: sk.dport },
    tp.sndNxt,
    sk.rcvNxt,
    tcpReceiveWindow(tp, sk.rcvNxt) >> (tp.wscaleOk ? tp.rcvWscale : 0),
    (tcpClockMs(host) + tp.tsOffset) >>> 0,
    tp.tstampOk ? tp.tsRecent : 0,
  );
}

// tcp_v4_send_ack(): a bare ACK for what has no full socket (a timewait sock, a request) —
// the sequence, acknowledgment and window given, and a timestamp when there is one to echo
function tcpV4SendAck(
  host: InetNet,
  cpu: Cpu,
  reply: { tos: number; answers: SkBuff },
  flow: { saddr: number; sport: number; daddr: number; dport: number },
  seq: number,
  ack: number,
  window: number,
  tsval: number,
  tsecr: number,
): void {
  host.sim.traced(cpu, "tcp_v4_send_ack", () => {
    tcpTransmit(host, cpu, flow, {
      seq,
      ack,
      flags: TCP_FLAGS.ACK,
      reply: true,
      ...reply,
      window,
      options: tsecr
        ? [TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TIMESTAMP, 10, ...u32Bytes(tsval), ...u32Bytes(tsecr)]
        : [],
    });
  });
}

const u32Bytes = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

function tcpChecksumOk(skb: SkBuff, s: Seg): boolean {
  const h = skb.head;
  const th = skb.transportHeader;
  const len = s.doff + s.dataLen;
  return csumFold(
    csumPartial(h, csumTcpudpNofold(s.saddr, s.daddr, len, IPPROTO_TCP, 0), th, th + len),
  ) === 0;
}

// __inet_lookup_established(): the exact 4-tuple, in any state a connection has
/**
 * Takes an ICMP error about a segment the host sent, as tcp_v4_err(): the connection, request
 * or timewait sock that sent what the error quotes is looked up (__inet_lookup_established(),
 * listeners not included); with none, the error is counted in Icmp InErrors. What an error does
 * to a sock found (a soft error, a request dropped) is not modelled.
 * @param host the host
 * @param _cpu the CPU
 * @param _skb the ICMP error
 * @param quoted the header it quotes and at least 8 bytes after it
 */
export function tcpV4Err(host: InetNet, _cpu: Cpu, _skb: SkBuff, quoted: Uint8Array): void {
  const iph = new IpHdr(quoted, 0);
  // only the first 8 bytes of the TCP header are quoted: the ports
  const th = iph.ihl * 4;
  const source = (quoted[th] << 8) | quoted[th + 1];
  const dest = (quoted[th + 2] << 8) | quoted[th + 3];
  // the sock whose local end is the quoted source
  const found = inetLookupEstablished(host, iph.daddr, dest, iph.saddr, source) ??
    host.ipv4.tcpSockets.find((l) =>
      l.state === TCP_STATES.LISTEN && l.num === source &&
      l.requests.some((r) => r.daddr === iph.saddr && r.saddr === iph.daddr && r.sport === dest)
    );
  if (!found) host.mib.icmp.InErrors++;
}

function inetLookupEstablished(
  host: InetNet,
  saddr: number,
  sport: number,
  daddr: number,
  dport: number,
): Sock | undefined {
  return host.ipv4.tcpSockets.find((sk) =>
    sk.state !== TCP_STATES.LISTEN && sk.state !== TCP_STATES.CLOSE &&
    sk.rcvSaddr === daddr && sk.num === dport && sk.daddr === saddr && sk.dport === sport
  );
}

/**
 * Finds the connection a segment is for before its route is looked up, as
 * tcp_v4_early_demux(): the socket goes with the skb, and a full socket's cached input route
 * (sk_rx_dst) becomes the segment's when it came in by the same device — so
 * ip_rcv_finish_core() looks none up.
 * @param host the host
 * @param cpu the CPU
 * @param skb the segment, its network and transport headers set
 */
export function tcpV4EarlyDemux(host: InetNet, cpu: Cpu, skb: SkBuff): void {
  if (skb.pktType !== PACKET_HOST) return;
  const iph = ipHdr(skb);
  if (skb.networkHeader + iph.totLen - skb.transportHeader < TCP_HLEN) return;
  const th = new TcpHdr(skb.head, skb.transportHeader);
  if (th.doff < 5) return;
  host.sim.traced(cpu, "tcp_v4_early_demux", () => {
    const sk = inetLookupEstablished(host, iph.saddr, th.source, iph.daddr, th.dest);
    if (!sk) return;
    skb.sk = sk;
    const full = sk.state !== TCP_STATES.TIME_WAIT && !sk.tcp?.timeWait; // sk_fullsock()
    if (full && sk.rxDst && sk.rxDstIfindex === (skb.dev?.ifindex ?? 0)) skb.dst = sk.rxDst;
  }, skb.id);
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
  // the socket early demux found is the one the lookup finds again (skb_steal_sock()); the
  // route is skb_dst(), which a connection caches (inet_sk_rx_dst_set())
  skb.sk = null;
  skb.dst = rt;
  cpu.chargeLater(host.sim.costs.ns.transport);
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
  const est = inetLookupEstablished(host, s.saddr, s.sport, s.daddr, s.dport);
  let twIsn = 0;
  if (est && (est.state === TCP_STATES.TIME_WAIT || est.tcp?.timeWait)) {
    // do_time_wait: after tcp_time_wait() the connection is a timewait sock
    const tw = host.sim.traced(
      cpu,
      "tcp_timewait_state_process",
      () => tcpTimewaitStateProcess(host, est, s),
      skb.id,
    );
    // a SYN the timewait sock lets through opens a new connection from a listener, if any (with
    // none it is acknowledged)
    const listener = tw.status === "syn" ? inetLookupListener(host, s) : undefined;
    if (tw.status === "syn" && listener) {
      inetTwskDeschedulePut(host, est);
      twIsn = tw.isn;
    } else {
      if (tw.status === "ack" || tw.status === "syn") tcpV4TimewaitAck(host, cpu, est, skb);
      if (tw.status === "rst") {
        sendReset(host, cpu, s, rt, skb, "TCP_TIMEWAIT_SOCKET", est);
        inetTwskDeschedulePut(host, est);
      }
      return tw.status === "syn" ? "NOT_SPECIFIED" : tw.reason;
    }
  } else if (est) {
    // tcp_segs_in(): every segment a full socket takes, the backlog's too
    if (est.tcp) tcpSegsIn(est.tcp, skb, s);
    const verdict = tcpEstablishedRcv(host, cpu, est, skb, s, rt);
    // tcp_drop_reason(), discard_and_relse: what the connection drops counts in sk_drops
    if (verdict !== "consumed" && verdict !== "held") est.drops += Math.max(1, skb.gsoSegs);
    return verdict;
  }
  const listener = inetLookupListener(host, s);
  if (!listener) {
    sendReset(host, cpu, s, rt, skb, "NO_SOCKET");
    return "NO_SOCKET";
  }
  const req = listener.requests.find((r) =>
    r.saddr === s.saddr && r.sport === s.sport && r.daddr === s.daddr
  );
  if (req) {
    return host.sim.traced(
      cpu,
      "tcp_check_req",
      () => tcpCheckReq(host, cpu, listener, req, skb, s, rt),
      skb.id,
    );
  }
  return host.sim.traced(
    cpu,
    "tcp_v4_do_rcv",
    () => tcpListenRcv(host, cpu, listener, skb, s, rt, twIsn),
    skb.id,
  );
}

// A segment for a full socket: a connecting one processes it at once; one a task holds
// (lock_sock()) gets it on its backlog; else tcp_v4_do_rcv()
function tcpEstablishedRcv(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  skb: SkBuff,
  s: Seg,
  rt: Rtable,
): SkbDropReason | "consumed" | "held" {
  if (sk.state === TCP_STATES.SYN_SENT) {
    const verdict = host.sim.traced(
      cpu,
      "tcp_v4_do_rcv",
      () => tcpRcvSynsentStateProcess(host, cpu, sk, skb, s),
      skb.id,
    );
    if (typeof verdict === "string") return verdict;
    // tcp_v4_do_rcv(): an unacceptable ACK is answered with a reset, and dropped
    sendReset(host, cpu, s, rt, skb, verdict.reset, sk);
    kfreeSkbReason(host.sim, skb, verdict.reset, "tcp_v4_do_rcv");
    return "held";
  }
  if (sk.ownedByUser) return tcpAddBacklog(host, cpu, sk, skb, s);
  return tcpV4DoRcv(host, cpu, sk, skb, s);
}

// tcp_v4_do_rcv() for a connection: tcp_rcv_established(), or tcp_rcv_state_process() in the
// states after a FIN
function tcpV4DoRcv(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  skb: SkBuff,
  s: Seg,
): SkbDropReason | "consumed" | "held" {
  return host.sim.traced(cpu, "tcp_v4_do_rcv", () => {
    if (sk.state === TCP_STATES.ESTABLISHED) {
      skRxQueueSet(sk, skb); // sk_mark_napi_id()
      // a cached input route for another device is dropped
      if (sk.rxDst && sk.rxDstIfindex !== (skb.dev?.ifindex ?? 0)) sk.rxDst = null;
    }
    const verdict = tcpRcvEstablished(host, cpu, sk, skb, s);
    if (typeof verdict === "string") return verdict;
    // reset: tcp_v4_send_reset(), then the segment is dropped
    sendReset(host, cpu, s, null, skb, verdict.reset, sk);
    kfreeSkbReason(host.sim, skb, verdict.reset, "tcp_v4_do_rcv");
    return "held";
  }, skb.id);
}

// tcp_add_backlog(): a segment that continues the backlog's last one — same flags but PSH and
// FIN, both ACKs, the same options — is copied into that skb's room (skb_try_coalesce(),
// TCPBacklogCoalesce), carrying its ACK and window; else it is queued if the backlog and the
// receive queue together stay within twice sk_rcvbuf, half sk_sndbuf and 64 KB
// (sk_add_backlog()); beyond that it is dropped (TCPBacklogDrop, SOCKET_BACKLOG).
function tcpAddBacklog(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  skb: SkBuff,
  s: Seg,
): SkbDropReason | "held" {
  return host.sim.traced(cpu, "tcp_add_backlog", () => {
    const tail = sk.backlog.at(-1);
    if (tail && backlogCoalesce(tail, skb, s)) {
      host.mib.tcpExt.TCPBacklogCoalesce++;
      consumeSkb(host.sim, skb, "tcp_add_backlog");
      return "held";
    }
    const limit = Math.min(2 * sk.rcvbuf + (sk.sndbuf >> 1) + 64 * 1024, 0xffffffff);
    if (sk.backlogLen + sk.rmemAlloc > limit) {
      host.mib.tcpExt.TCPBacklogDrop++;
      sk.drops++;
      return "SOCKET_BACKLOG";
    }
    sk.backlog.push(skb);
    sk.backlogLen += skb.truesize;
    return "held";
  }, skb.id);
}

// The coalescing test and copy of tcp_add_backlog(): the tail's bytes grow by the segment's
// payload, its header takes the newer ACK and window and the segment's flags
function backlogCoalesce(tail: SkBuff, skb: SkBuff, s: Seg): boolean {
  const t = parse(tail);
  const tailEnd = (t.seq + t.dataLen + (t.flags & TCP_FLAGS.FIN ? 1 : 0)) >>> 0;
  const other = TCP_FLAGS.SYN | TCP_FLAGS.RST | TCP_FLAGS.URG;
  const ecn = TCP_FLAGS.ECE | TCP_FLAGS.CWR;
  const sameOptions = t.doff === s.doff &&
    tail.head.subarray(tail.transportHeader + TCP_HLEN, tail.transportHeader + t.doff)
      .every((b, i) => b === skb.head[skb.transportHeader + TCP_HLEN + i]);
  if (
    tailEnd !== s.seq || ipHdr(tail).tos !== ipHdr(skb).tos || (t.flags | s.flags) & other ||
    !(t.flags & s.flags & TCP_FLAGS.ACK) || (t.flags ^ s.flags) & ecn || !sameOptions ||
    tail.dataref !== 1 || s.dataLen > tail.tailroom
  ) return false;
  const end = tail.transportHeader + t.doff + t.dataLen;
  const head = new Uint8Array(end + s.dataLen);
  head.set(tail.head.subarray(0, end));
  const from = skb.transportHeader + s.doff;
  head.set(skb.head.subarray(from, from + s.dataLen), end);
  tail.head = head;
  tail.len += s.dataLen;
  tail.tailroom -= s.dataLen;
  ipHdr(tail).totLen += s.dataLen;
  const th = tcpHdr(tail);
  if (!before(s.ack, t.ack)) {
    th.ackSeq = s.ack;
    th.window = s.window;
  }
  th.flagByte |= s.flags;
  return true;
}

// tcp_v4_do_rcv() → tcp_rcv_state_process(), TCP_LISTEN: an ACK may carry a SYN cookie
// (tcp_v4_cookie_check()); else it is refused by a reset from tcp_v4_do_rcv(), which drops it; a
// RST, a segment without SYN, or SYN+FIN is dropped in tcp_rcv_state_process(); a SYN goes to
// tcp_conn_request(), consumed there even when dropped, as tcp_rcv_state_process() frees every
// SYN conn_request took
function tcpListenRcv(
  host: InetNet,
  cpu: Cpu,
  listener: Sock,
  skb: SkBuff,
  s: Seg,
  rt: Rtable,
  twIsn = 0,
): SkbDropReason | "consumed" | "held" {
  if (s.flags & TCP_FLAGS.ACK) {
    const child = host.sim.traced(
      cpu,
      "cookie_v4_check",
      () => cookieCheck(host, cpu, listener, skb, s),
      skb.id,
    );
    if (child === null) return "NO_SOCKET";
    if (child) {
      return host.sim.traced(
        cpu,
        "tcp_child_process",
        () => tcpRcvSynRecv(host, cpu, child, skb, s),
        skb.id,
      );
    }
    sendReset(host, cpu, s, rt, skb, "TCP_FLAGS", listener);
    kfreeSkbReason(host.sim, skb, "TCP_FLAGS", "tcp_v4_do_rcv");
    return "held";
  }
  host.sim.traced(cpu, "tcp_rcv_state_process", () => {
    const drop = s.flags & TCP_FLAGS.RST
      ? "TCP_RESET"
      : !(s.flags & TCP_FLAGS.SYN) || s.flags & TCP_FLAGS.FIN
      ? "TCP_FLAGS"
      : null;
    if (drop) {
      kfreeSkbReason(host.sim, skb, drop, "tcp_rcv_state_process");
      return;
    }
    // conn_request runs with bottom halves off (local_bh_disable()): a SYN may come from the
    // socket's backlog, in task context
    host.sim.holding(cpu, { bh: 1 }, () =>
      host.sim.traced(
        cpu,
        "tcp_v4_conn_request",
        () =>
          host.sim.traced(
            cpu,
            "tcp_conn_request",
            () => tcpConnRequest(host, cpu, listener, s, skb, twIsn),
            skb.id,
          ),
        skb.id,
      ));
    consumeSkb(host.sim, skb, "tcp_rcv_state_process");
  }, skb.id);
  return "held";
}

// inet_csk_reqsk_queue_is_full(): more requests wait than the backlog allows
function reqskQueueIsFull(sk: Sock): boolean {
  return sk.requests.length > sk.maxAckBacklog;
}

// tcp_conn_request(): a full SYN queue (or tcp_syncookies 2) calls for a cookie
// (tcp_syn_flood_action(): TCPReqQFullDoCookies) or, with cookies off, a drop
// (TCPReqQFullDrop); a full accept queue drops the SYN (ListenOverflows); every drop counts
// ListenDrops (tcp_listendrop()). Without cookies the last quarter of tcp_max_syn_backlog is
// kept for peers proven alive, which the kit never has. Then a request sock with what the SYN
// offered and the sysctls allow (tcp_parse_options(), tcp_openreq_init(),
// tcp_openreq_init_rwin()), and its SYN-ACK; the initial sequence number and timestamp offset
// from the run's Rng. A cookie keeps no request: the SYN-ACK's sequence number is the cookie
// (SyncookiesSent), its options only those a timestamp can carry back.
// tcp_conn_request(): isn, when a SYN reopened a TIME_WAIT connection, is the ISN it chose (no
// SYN-backlog check then)
function tcpConnRequest(
  host: InetNet,
  cpu: Cpu,
  listener: Sock,
  s: Seg,
  skb: SkBuff,
  isn = 0,
): void {
  const sysctl = host.sysctl;
  const syncookies = sysctl["net.ipv4.tcp_syncookies"];
  const drop = () => {
    host.mib.tcpExt.ListenDrops++;
  };
  let wantCookie = false;
  if (syncookies === 2 || reqskQueueIsFull(listener)) {
    if (syncookies) {
      wantCookie = true;
      host.mib.tcpExt.TCPReqQFullDoCookies++;
    } else {
      host.mib.tcpExt.TCPReqQFullDrop++;
      return drop();
    }
  }
  if (acceptqIsFull(listener)) {
    host.mib.tcpExt.ListenOverflows++;
    return drop();
  }
  // route_req: the SYN-ACK's route, looked up before the last quarter's check asks whether the
  // peer is proven (tcp_peer_is_proven() reads the dst's metrics)
  // tcp_v4_init_req() first: the SYN's IP options saved for the SYN-ACK
  let ireqOpt: ReplyOptions | null = null;
  const dst = host.sim.traced(
    cpu,
    "tcp_v4_route_req",
    () => {
      ireqOpt = tcpV4SaveOptions(host, cpu, skb);
      return inetCskRouteReq(host, cpu, {
        saddr: s.daddr,
        sport: s.dport,
        daddr: s.saddr,
        dport: s.sport,
      });
    },
    skb.id,
  );
  if (!dst) return drop();
  const maxSynBacklog = sysctl["net.ipv4.tcp_max_syn_backlog"];
  if (
    !wantCookie && !isn && !syncookies &&
    maxSynBacklog - listener.requests.length < maxSynBacklog >> 2
  ) return drop();
  const o = s.options;
  const peerMss = tcpParseMss(o.mss, listener.userMss, TCP_MSS_DEFAULT);
  const tstampOk = o.timestamp !== undefined && sysctl["net.ipv4.tcp_timestamps"] > 0;
  // a cookie without a timestamp to carry them back keeps no options (tcp_clear_options())
  const keepOptions = !wantCookie || tstampOk;
  const sackPerm = keepOptions && o.list.some((x) => x.kind === TCPOPT_SACK_PERM);
  const wscaleOk = keepOptions && o.wscale !== undefined &&
    sysctl["net.ipv4.tcp_window_scaling"] === 1;
  const flow = { saddr: s.saddr, daddr: s.daddr, sport: s.sport, dport: s.dport };
  const cookie = wantCookie
    ? host.sim.traced(
      cpu,
      "cookie_v4_init_sequence",
      () => cookieV4InitSequence(host, flow, s.seq, peerMss),
      skb.id,
    )
    : null;
  const iss = cookie ? cookie.isn : isn || host.sim.rng.nextU32();
  const tsOffset = !tstampOk ? 0 : cookie ? secureTcpTsOff(host, flow) : host.sim.rng.nextU32();
  // tcp_openreq_init_rwin(): the listener's full space, counted in MSS less the timestamps
  const fullSpace = tcpWinFromSpace(TCP_DEFAULT_SCALING_RATIO, listener.rcvbuf);
  const win = tcpSelectInitialWindow(
    host,
    fullSpace,
    tcpAdvmss(listener.userMss) - (tstampOk ? 12 : 0),
    wscaleOk,
    listener.rcvbufLocked ? fullSpace : 0, // a smaller buffer the user set limits the window
  );
  const request = newRequest(host, {
    saddr: s.saddr,
    sport: s.sport,
    daddr: s.daddr,
    iss,
    irs: s.seq,
    mssClamp: cookie ? cookie.mss : peerMss,
    wscaleOk,
    sndWscale: wscaleOk ? Math.min(o.wscale!, TCP_MAX_WSCALE) : 0,
    rcvWscale: win.rcvWscale,
    sackOk: sackPerm && sysctl["net.ipv4.tcp_sack"] === 1,
    // tcp_ecn_create_request(): a SYN with ECE and CWR, not itself ECT-marked, and tcp_ecn on;
    // a cookie keeps it only in a timestamp
    ecnOk: (s.flags & (TCP_FLAGS.ECE | TCP_FLAGS.CWR)) === (TCP_FLAGS.ECE | TCP_FLAGS.CWR) &&
      (ipHdr(skb).tos & 3) === 0 && sysctl["net.ipv4.tcp_ecn"] > 0 && (!wantCookie || tstampOk),
    tstampOk,
    tsRecent: o.timestamp?.tsval ?? 0,
    tsOffset,
    rcvWnd: win.rcvWnd,
    windowClamp: win.windowClamp,
    syncookie: wantCookie,
    // sk_rx_queue_set(): -1 when the driver recorded none — where the kernel leaves the
    // request's mapping as its memory held (reqsk_alloc() clears only the transmit one)
    rxQueue: skb.queueMapping - 1,
    ireqOpt,
  });
  if (wantCookie) {
    // cookie_init_sequence() → tcp_synq_overflow(): the listener remembers a flood, at most
    // once a second
    const now = jiffies(host);
    if (listener.synqOverflowAt === null || now > listener.synqOverflowAt + host.hz) {
      listener.synqOverflowAt = now;
    }
    host.mib.tcpExt.SyncookiesSent++;
    tcpSendSynack(host, cpu, request, listener, dst);
    return;
  }
  listener.requests.push(request);
  tcpSendSynack(host, cpu, request, listener, dst);
  reqskTimer(host, cpu, listener, request, s, 0);
}

// tcp_v4_save_options(): the options a SYN carried, echoed as its SYN-ACKs will carry them;
// none when it had none, or when they cannot be echoed
function tcpV4SaveOptions(host: InetNet, cpu: Cpu, skb: SkBuff): ReplyOptions | null {
  const opt = ipOptionsEcho(host, cpu, skb);
  return opt?.data.length ? opt : null;
}

// inet_reqsk_alloc(): a request whose SYN-ACK goes now, not yet sent again, acknowledged nor timed
// out
function newRequest(
  host: InetNet,
  o: Omit<
    TcpRequestSock,
    "sentAt" | "retrans" | "acked" | "numTimeout" | "lastOowAckTime" | "timerDue"
  >,
): TcpRequestSock {
  return {
    ...o,
    sentAt: host.sim.now,
    retrans: 0,
    acked: false,
    numTimeout: 0,
    lastOowAckTime: 0,
    timerDue: 0,
  };
}

// cookie_v4_check(): with cookies on and a flood within two minutes (tcp_synq_no_recent_overflow()),
// an ACK that echoes a valid cookie (SyncookiesRecv; else SyncookiesFailed) rebuilds the request
// from it — the MSS from msstab, the options from the TS ecr (cookie_timestamp_decode()), the
// window chosen again for that MSS — and makes the child (tcp_get_cookie_sock()). Returns the
// child, null when it was dropped (a full accept queue), or undefined when the listener's own
// processing goes on (no cookie: a reset).
function cookieCheck(
  host: InetNet,
  cpu: Cpu,
  listener: Sock,
  skb: SkBuff,
  s: Seg,
): Sock | null | undefined {
  const sysctl = host.sysctl;
  if (!sysctl["net.ipv4.tcp_syncookies"] || s.flags & TCP_FLAGS.RST) return undefined;
  const last = listener.synqOverflowAt;
  const now = jiffies(host);
  if (last === null || now < last - host.hz || now > last + 120 * host.hz) return undefined;
  const flow = { saddr: s.saddr, daddr: s.daddr, sport: s.sport, dport: s.dport };
  const mss = cookieV4Check(host, flow, s.seq, s.ack);
  if (!mss) {
    host.mib.tcpExt.SyncookiesFailed++;
    return undefined;
  }
  host.mib.tcpExt.SyncookiesRecv++;
  const ts = s.options.timestamp;
  const tsOffset = ts?.tsecr ? secureTcpTsOff(host, flow) : 0;
  const o = cookieTimestampDecode(host, ts ? (ts.tsecr - tsOffset) >>> 0 : null);
  if (!o) return undefined;
  const fullSpace = tcpWinFromSpace(TCP_DEFAULT_SCALING_RATIO, listener.rcvbuf);
  const win = tcpSelectInitialWindow(
    host,
    fullSpace,
    mss,
    o.wscaleOk,
    listener.rcvbufLocked ? fullSpace : 0,
  );
  const req = newRequest(host, {
    saddr: s.saddr,
    sport: s.sport,
    daddr: s.daddr,
    iss: (s.ack - 1) >>> 0,
    irs: (s.seq - 1) >>> 0,
    mssClamp: mss,
    wscaleOk: o.wscaleOk,
    sndWscale: o.sndWscale,
    rcvWscale: win.rcvWscale,
    sackOk: o.sackOk,
    ecnOk: o.ecnOk && sysctl["net.ipv4.tcp_ecn"] > 0, // cookie_ecn_ok()
    tstampOk: ts !== undefined,
    tsRecent: ts?.tsval ?? 0,
    tsOffset,
    rcvWnd: win.rcvWnd,
    windowClamp: win.windowClamp,
    syncookie: true,
    rxQueue: -1,
    ireqOpt: tcpV4SaveOptions(host, cpu, skb),
  });
  return tcpV4SynRecvSock(host, cpu, listener, req, skb, s);
}

/**
 * A request sock's timeout after `numTimeout` expiries, as reqsk_timeout(req, TCP_RTO_MAX):
 * TCP_TIMEOUT_INIT (1 s) doubled each time, at most TCP_RTO_MAX.
 * @param hz ticks per second
 * @param numTimeout how often its timer has fired
 * @returns jiffies
 */
export function reqskTimeout(hz: number, numTimeout: number): number {
  return Math.min(2 ** numTimeout * hz, TCP_RTO_MAX_MS * hz / 1000);
}

// reqsk_timer_handler(): the SYN-ACK goes again after TCP_TIMEOUT_INIT (1 s), doubling each time
// up to TCP_RTO_MAX (reqsk_timeout()), net.ipv4.tcp_synack_retries (5) times; then the request
// sock is dropped. With TCP_DEFER_ACCEPT (syn_ack_recalc()) a request whose bare ACK came waits
// for data without sending, from the deferring's last timeout on sends again, and expires only
// once the deferring is over too. A timer_list: it fires on the wheel's bucket
// (timerWheelExpiry()), up to 32 ms late for 1 s. Arming it again moves it: the expiry it
// replaces does nothing (req.timerDue).
function reqskTimer(
  host: InetNet,
  cpu: Cpu,
  listener: Sock,
  req: TcpRequestSock,
  s: Seg,
  n: number,
) {
  const due = modTimer(host, reqskTimeout(host.hz, n), () => {
    if (req.timerDue !== due) return;
    const i = listener.requests.indexOf(req);
    if (i < 0) return;
    host.mib.tcpExt.TCPTimeouts++; // tcp_syn_ack_timeout()
    const defer = listener.deferAccept;
    const expire = n >= host.sysctl["net.ipv4.tcp_synack_retries"] && (!req.acked || n >= defer);
    if (expire) {
      listener.requests.splice(i, 1);
      return;
    }
    if (!defer || !req.acked || n >= defer - 1) tcpRtxSynack(host, cpu, listener, s, req);
    req.numTimeout = n + 1;
    reqskTimer(host, cpu, listener, req, s, n + 1);
  });
  req.timerDue = due;
}

// inet_rtx_syn_ack() → tcp_rtx_synack(): the SYN-ACK again; once it went, RetransSegs,
// TCPSynRetrans, the tcp_retransmit_synack event and num_retrans. Returns whether it went.
function tcpRtxSynack(
  host: InetNet,
  cpu: Cpu,
  listener: Sock,
  s: Seg,
  req: TcpRequestSock,
): boolean {
  if (!tcpSendSynack(host, cpu, req, listener)) return false;
  host.mib.tcp.RetransSegs++;
  host.mib.tcpExt.TCPSynRetrans++;
  req.retrans++;
  host.sim.tracepoint(cpu, "tcp_retransmit_synack", () => ({
    family: "AF_INET",
    sport: s.dport,
    dport: s.sport,
    saddr: inNtoa(s.daddr),
    daddr: inNtoa(s.saddr),
  }));
  return true;
}

// tcp_check_req(): a segment for a connection in SYN_RECV.
function tcpCheckReq(
  host: InetNet,
  cpu: Cpu,
  listener: Sock,
  req: TcpRequestSock,
  skb: SkBuff,
  s: Seg,
  rt: Rtable,
): SkbDropReason | "consumed" | "held" {
  const flg = s.flags & (TCP_FLAGS.RST | TCP_FLAGS.SYN | TCP_FLAGS.ACK);
  if (s.seq === req.irs && flg === TCP_FLAGS.SYN) {
    // a retransmitted SYN: the SYN-ACK again (inet_rtx_syn_ack(), RetransSegs), at most once per
    // tcp_invalid_ratelimit (TCPACKSkippedSynRecv); one sent restarts the request's timer
    // (mod_timer_pending() with reqsk_timeout())
    if (
      !tcpOowRateLimited(host, s, "TCPACKSkippedSynRecv", req) &&
      tcpRtxSynack(host, cpu, listener, s, req)
    ) {
      reqskTimer(host, cpu, listener, req, s, req.numTimeout);
    }
    return "NOT_SPECIFIED";
  }
  if (flg & TCP_FLAGS.ACK && !(flg & TCP_FLAGS.RST) && s.ack !== ((req.iss + 1) >>> 0)) {
    // tcp_check_req() hands a wrong ACK back to the listener, whose tcp_v4_do_rcv() resets
    // and drops it, as for any ACK to a listener; a RST is judged by its sequence alone
    sendReset(host, cpu, s, rt, skb, "TCP_FLAGS", listener);
    kfreeSkbReason(host.sim, skb, "TCP_FLAGS", "tcp_v4_do_rcv");
    return "held";
  }
  const rcvNxt = (req.irs + 1) >>> 0;
  const endSeq = (s.seq + s.dataLen + (s.flags & TCP_FLAGS.SYN ? 1 : 0) +
    (s.flags & TCP_FLAGS.FIN ? 1 : 0)) >>> 0;
  // tcp_synack_window(): the window the SYN-ACK offered, at most 65535
  if (!tcpInWindow(s.seq, endSeq, rcvNxt, (rcvNxt + Math.min(req.rcvWnd, 65535)) >>> 0)) {
    // out of window: an ACK (tcp_v4_reqsk_send_ack(); rate limited, TCPACKSkippedSynRecv)
    if (!(flg & TCP_FLAGS.RST) && !tcpOowRateLimited(host, s, "TCPACKSkippedSynRecv", req)) {
      tcpV4ReqskSendAck(host, cpu, listener, req, skb);
    }
    return "TCP_OVERWINDOW";
  }
  // a SYN at the peer's initial sequence is out of the window that starts after it: truncated
  const f = s.seq === req.irs ? flg & ~TCP_FLAGS.SYN : flg;
  if (f & TCP_FLAGS.RST && s.seq !== rcvNxt) {
    // RFC 5961 3.2: a RST in the window but not at rcv_nxt gets a challenge ACK
    tcpReqskSendChallengeAck(host, cpu, listener, req, skb);
    return "NOT_SPECIFIED";
  }
  if (f & (TCP_FLAGS.RST | TCP_FLAGS.SYN)) {
    // embryonic_reset: a SYN is answered with a reset (SK_RST_REASON_INVALID_SYN); the request
    // is unlinked (inet_csk_reqsk_queue_drop(): EmbryonicRsts); no drop reason is set
    host.mib.tcp.AttemptFails++;
    if (!(f & TCP_FLAGS.RST)) sendReset(host, cpu, s, rt, skb, "INVALID_SYN", listener);
    host.mib.tcpExt.EmbryonicRsts++;
    listener.requests.splice(listener.requests.indexOf(req), 1);
    return "NOT_SPECIFIED";
  }
  if (!(f & TCP_FLAGS.ACK)) return "NOT_SPECIFIED";
  // TCP_DEFER_ACCEPT: a bare ACK is dropped while the deferring lasts; the request, acked, waits
  if (req.numTimeout < listener.deferAccept && endSeq === rcvNxt) {
    req.acked = true;
    host.mib.tcpExt.TCPDeferAcceptDrop++;
    return "NOT_SPECIFIED";
  }
  // no room in the accept queue: the ACK is dropped and the request remembers it was acked
  // (tcp_abort_on_overflow 0); its SYN-ACK goes again on the timer
  const child = tcpV4SynRecvSock(host, cpu, listener, req, skb, s);
  if (!child) {
    req.acked = true;
    return "NOT_SPECIFIED";
  }
  listener.requests.splice(listener.requests.indexOf(req), 1);
  // tcp_child_process(): the child takes what the ACK carries
  return host.sim.traced(
    cpu,
    "tcp_child_process",
    () => tcpRcvSynRecv(host, cpu, child, skb, s),
    skb.id,
  );
}

// tcp_in_window() of tcp_minisocks.c: the segment starts at the window, overlaps it, or is an
// empty one at its right edge
function tcpInWindow(seq: number, endSeq: number, sWin: number, eWin: number): boolean {
  if (seq === sWin) return true;
  if (after(endSeq, sWin) && before(seq, eWin)) return true;
  return seq === eWin && seq === endSeq;
}

// tcp_reqsk_send_challenge_ack(): at most one ACK per tcp_invalid_ratelimit for the request
// (TCPACKSkippedChallenge), then TCPChallengeACK and the ACK (tcp_challenge_ack_limit is
// INT_MAX by default: no per-netns limit)
function tcpReqskSendChallengeAck(
  host: InetNet,
  cpu: Cpu,
  listener: Sock,
  req: TcpRequestSock,
  skb: SkBuff,
): void {
  host.sim.enterFn(cpu, "tcp_reqsk_send_challenge_ack");
  if (!__tcpOowRateLimited(host, "TCPACKSkippedChallenge", req)) {
    host.mib.tcpExt.TCPChallengeACK++;
    tcpV4ReqskSendAck(host, cpu, listener, req, skb);
  }
  host.sim.exitFn(cpu, "tcp_reqsk_send_challenge_ack");
}

// tcp_v4_reqsk_send_ack() → tcp_v4_send_ack(): the request's ACK — snt_isn + 1, rcv_nxt,
// tcp_synack_window() scaled by our shift, a timestamp echoing the SYN's when it had one
function tcpV4ReqskSendAck(
  host: InetNet,
  cpu: Cpu,
  listener: Sock,
  req: TcpRequestSock,
  skb: SkBuff,
): void {
  host.sim.enterFn(cpu, "tcp_v4_reqsk_send_ack");
  tcpV4SendAck(
    host,
    cpu,
    { tos: ipHdr(skb).tos, answers: skb },
    { saddr: req.daddr, sport: listener.num, daddr: req.saddr, dport: req.sport },
    (req.iss + 1) >>> 0,
    (req.irs + 1) >>> 0,
    Math.min(req.rcvWnd, 65535) >> req.rcvWscale,
    (tcpClockMs(host) + req.tsOffset) >>> 0,
    req.tsRecent,
  );
  host.sim.exitFn(cpu, "tcp_v4_reqsk_send_ack");
}

// tcp_v4_syn_recv_sock() → tcp_create_openreq_child(): with the accept queue full nothing is
// made (ListenOverflows, ListenDrops); else an established child with the request's windows and
// options joins the accept queue (PassiveOpens) and the listener's reader is woken
function tcpV4SynRecvSock(
  host: InetNet,
  cpu: Cpu,
  listener: Sock,
  req: TcpRequestSock,
  skb: SkBuff,
  s: Seg,
): Sock | null {
  if (acceptqIsFull(listener)) {
    host.mib.tcpExt.ListenOverflows++;
    host.mib.tcpExt.ListenDrops++;
    return null;
  }
  host.sim.enterFn(cpu, "tcp_v4_syn_recv_sock", skb.id);
  host.sim.enterFn(cpu, "tcp_create_openreq_child", skb.id);
  const child = tcpSock(
    host,
    { addr: s.daddr, port: s.dport },
    { addr: s.saddr, port: s.sport },
    TCP_STATES.ESTABLISHED,
    listener.rcvbuf,
  );
  child.rcvNxt = (req.irs + 1) >>> 0;
  // sk_clone_lock(): the child keeps the listener's buffer lock and SO_RCVLOWAT
  child.rcvbufLocked = listener.rcvbufLocked;
  child.rcvlowat = listener.rcvlowat;
  // inet_csk_clone_lock() copies icsk_user_timeout, SOCK_LINGER and sk_lingertime
  child.userTimeout = listener.userTimeout;
  child.lingerTime = listener.lingerTime;
  child.keepOpen = listener.keepOpen;
  child.linger2 = listener.linger2;
  child.userMss = listener.userMss;
  Object.assign(child.keepalive, listener.keepalive);
  child.tcp = tcpChildState(host, req, child, s.window * 2 ** req.sndWscale);
  // tcp_synack_rtt_meas(): the handshake's RTT, unless the SYN-ACK was sent again or a cookie
  // stood for the request (no snt_synack)
  const seqRtt = req.retrans || req.syncookie
    ? null
    : Math.round((host.sim.now - req.sentAt) / 1000);
  tcpAckUpdateRtt(host, cpu, child.tcp, seqRtt, s.options.timestamp?.tsecr);
  tcpInitMetrics(child.tcp); // tcp_init_transfer(), after tcp_synack_rtt_meas()
  if (req.tstampOk && s.options.timestamp) {
    child.tcp.tsRecent = s.options.timestamp.tsval;
    child.tcp.rcvTsecr = s.options.timestamp.tsecr;
  }
  // the SYN counted in (segs_in), the SYN-ACK's retransmissions, the SYN-ACK delivered
  // (tcp_rcv_state_process() in SYN_RECV), and the last send time
  child.tcp.segsIn = 1;
  child.tcp.totalRetrans = req.retrans;
  child.tcp.delivered = 1;
  child.tcp.lsndtime = jiffies(host);
  if (child.keepOpen) tcpResetKeepaliveTimer(host, cpu, child, tcpKeepaliveTimeWhen(host, child));
  host.sim.exitFn(cpu, "tcp_create_openreq_child", skb.id);
  host.sim.exitFn(cpu, "tcp_v4_syn_recv_sock", skb.id);
  listener.acceptQueue.push(child);
  host.mib.tcp.PassiveOpens++;
  sockDefReadable(host, cpu, listener); // tcp_child_process(): the listener's sk_data_ready()
  return child;
}

// tcp_create_openreq_child(): the child takes the request's windows and options, then
// tcp_init_transfer() → tcp_init_buffer_space()
function tcpChildState(
  host: InetNet,
  req: TcpRequestSock,
  child: Sock,
  ackWindow: number,
): TcpSockState {
  const tp = newTcpState({
    iss: req.iss,
    rcvNxt: child.rcvNxt,
    rcvWnd: req.rcvWnd,
    windowClamp: req.windowClamp,
    rcvWscale: req.rcvWscale,
    advmss: tcpAdvmss(child.userMss), // tcp_v4_syn_recv_sock(): within the listener's TCP_MAXSEG
  });
  tp.sndWscale = req.sndWscale;
  tp.sndWl1 = req.irs; // tcp_init_wl(newtp, treq->rcv_isn)
  tp.tstampOk = req.tstampOk;
  tp.tcpHeaderLen = 20 + (req.tstampOk ? 12 : 0);
  // tcp_rcv_state_process() in SYN_RECV: the timestamp option's room off advmss, before
  // tcp_init_transfer() sizes the buffer
  if (req.tstampOk) tp.advmss -= 12;
  tp.lrcvtime = jiffies(host);
  tp.tsRecent = req.tsRecent;
  tp.tsOffset = req.tsOffset;
  tp.sackOk = req.sackOk;
  tp.wscaleOk = req.wscaleOk;
  tp.ecnOk = req.ecnOk;
  // the ACK's window, scaled, is the largest the peer offered yet (max_window)
  tp.maxWindow = ackWindow;
  tp.rcvMss = tcpInitialRcvMss(host, tp, req.mssClamp);
  tcpInitBufferSpace(host, tp, child);
  return tp;
}

/**
 * Connects a TCP socket, as tcp_v4_connect(): the route gives the source address, an ephemeral
 * port comes from net.ipv4.ip_local_port_range, 32768–60999 (inet_hash_connect()), the ISN and
 * timestamp offset from the run's Rng; tcp_connect_init() chooses the window (tcp_rmem[1]'s
 * space, counted in whole MSS) and scale; the SYN goes (tcp_connect(), ActiveOpens).
 * @param host the host
 * @param cpu the CPU of the connecting task
 * @param daddr the peer's address, host order
 * @param dport the peer's port
 * @param opts options set on the socket before connect()
 * @returns the socket in SYN_SENT, or null when no route leads to the peer (ENETUNREACH)
 */
export function tcpV4Connect(
  host: InetNet,
  cpu: Cpu,
  daddr: number,
  dport: number,
  opts: TcpSocketOptions = {},
): Sock | null {
  const out = ipRouteOutput(host, daddr, cpu, { proto: IPPROTO_TCP, dport });
  if (!out) return null;
  const inUse = new Set(host.ipv4.tcpSockets.map((sk) => sk.num));
  let port = 32768 + (host.sim.rng.nextU32() % (60999 - 32768 + 1));
  while (inUse.has(port)) port = port === 60999 ? 32768 : port + 1;
  const sk = tcpSock(
    host,
    { addr: out.saddr, port },
    { addr: daddr, port: dport },
    TCP_STATES.SYN_SENT,
    host.ipv4.tcpRmem[1],
  );
  const sysctl = host.sysctl;
  if (opts.rcvbuf !== undefined) sockSetRcvbuf(sk, opts.rcvbuf, sysctl["net.core.rmem_max"]);
  sk.userMss = opts.userMss ?? 0;
  const fullSpace = tcpWinFromSpace(TCP_DEFAULT_SCALING_RATIO, sk.rcvbuf);
  const win = tcpSelectInitialWindow(
    host,
    fullSpace,
    tcpAdvmss(sk.userMss), // no timestamp is known yet (ts_recent_stamp): whole MSS
    sysctl["net.ipv4.tcp_window_scaling"] === 1,
    sk.rcvbufLocked ? fullSpace : 0,
  );
  const tp = newTcpState({
    iss: host.sim.rng.nextU32(),
    rcvNxt: 0,
    rcvWnd: win.rcvWnd,
    windowClamp: win.windowClamp,
    rcvWscale: win.rcvWscale,
    advmss: tcpAdvmss(sk.userMss),
  });
  tp.tsOffset = sysctl["net.ipv4.tcp_timestamps"] > 0 ? host.sim.rng.nextU32() : 0;
  tp.tcpHeaderLen = 20 + (sysctl["net.ipv4.tcp_timestamps"] > 0 ? 12 : 0);
  // tcp_connect_init(): TCP_MAXSEG is the clamp until the SYN-ACK tells the peer's MSS
  if (sk.userMss) tp.mssClamp = sk.userMss;
  tcpSyncMss(host, tp);
  tp.synSentAt = host.sim.now;
  tp.sndUna = tp.iss; // tcp_connect_init(): the SYN is outstanding
  sk.tcp = tp;
  host.mib.tcp.ActiveOpens++;
  host.sim.enterFn(cpu, "tcp_v4_connect");
  host.sim.enterFn(cpu, "tcp_connect");
  tcpConnect(host, cpu, sk, () => {
    // tcp_write_err(): the connection failed, ETIMEDOUT
    host.mib.tcp.AttemptFails++;
    tp.error = "ETIMEDOUT";
    sk.state = TCP_STATES.CLOSE;
    host.ipv4.tcpSockets.splice(host.ipv4.tcpSockets.indexOf(sk), 1);
    sockDefReadable(host, cpu, sk);
  });
  host.sim.exitFn(cpu, "tcp_connect");
  host.sim.exitFn(cpu, "tcp_v4_connect");
  return sk;
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
