// Models the parts of net/ipv4/tcp_output.c (Linux 6.18) a receiver uses: the windows it
// offers (tcp_select_initial_window(), __tcp_select_window(), tcp_select_window()), the
// options it writes (tcp_synack_options(), tcp_established_options(), tcp_options_write()),
// and the segments it sends without data: SYN-ACKs, ACKs (tcp_send_ack()) and delayed ACKs
// (tcp_send_delayed_ack(), tcp_delack_timer()).

import { NET_XMIT_CN } from "../sched/sch_generic.ts";
import type { InetNet } from "./netns_ipv4.ts";
import { cookieInitTimestamp } from "./syncookies.ts";
import { type Sock, TCP_STATES, type TcpRequestSock, type TcpSockState } from "../core/sock.ts";
import { CHECKSUM_NONE, CHECKSUM_PARTIAL, type ReplyOptions, type SkBuff } from "../core/skbuff.ts";
import { ipOptionsEcho } from "./ip_options.ts";
import type { Cpu } from "../sim/cpu.ts";
import { csumFold, csumPartial, csumTcpudpNofold } from "../wire/checksum.ts";
import { allocBytes } from "../wire/copy_bytes.ts";
import { INET_ECN_MASK, inetDsfieldToDscp, IPPROTO_TCP } from "../wire/ipv4.ts";
import {
  TCP_FLAGS,
  TCP_HLEN,
  TcpHdr,
  TCPOPT_MSS,
  TCPOPT_NOP,
  TCPOPT_SACK,
  TCPOPT_SACK_PERM,
  TCPOPT_TIMESTAMP,
  TCPOPT_WINDOW,
} from "../wire/tcp.ts";
import { ipLocalOut } from "./ip_output.ts";
import { ipRouteOutput } from "./route.ts";
import { jiffies, modTimer } from "../kernel/timer.ts";

/** include/net/tcp.h: TCP_MAX_WSCALE. */
export const TCP_MAX_WSCALE = 14;
/** include/net/tcp.h: TCP_MSS_DEFAULT, the MSS assumed when a SYN gives none. */
export const TCP_MSS_DEFAULT = 536;
/**
 * include/net/tcp.h: TCP_DELACK_MIN and TCP_ATO_MIN, HZ/25 jiffies (40 ms).
 * @param hz the host's HZ
 * @returns jiffies
 */
export function tcpAtoMin(hz: number): number {
  return Math.floor(hz / 25);
}

/**
 * include/net/tcp.h: TCP_DELACK_MAX and TCP_RTO_MIN, HZ/5 jiffies (200 ms).
 * @param hz the host's HZ
 * @returns jiffies
 */
export function tcpDelackMax(hz: number): number {
  return Math.floor(hz / 5);
}
/**
 * tcp_delack_max(): the longest a delayed ACK waits, TCP_DELACK_MAX but a jiffy below the
 * minimum RTO (TCP_RTO_MIN, the same 200 ms), so 49 jiffies at HZ 250.
 * @param hz the host's HZ
 * @returns jiffies
 */
export function tcpDelackMaxOfSock(hz: number): number {
  return Math.min(tcpDelackMax(hz), Math.max(tcpDelackMax(hz), 2) - 1);
}

/** include/net/tcp.h: TCP_RTO_MIN (200 ms) in µs, the least variance an RTO adds. */
export const TCP_RTO_MIN_US = 200_000;
/** include/net/tcp.h: TCP_TIMEOUT_INIT (1 s) in µs, mdev and rttvar before any sample. */
export const TCP_TIMEOUT_INIT_US = 1_000_000;
/** include/net/tcp.h: TCP_TIMEOUT_FALLBACK (3 s) in µs, once established without a sample. */
export const TCP_TIMEOUT_FALLBACK_US = 3_000_000;
/** include/net/tcp.h: TCP_RTO_MAX (120 s) in ms, the longest retransmission timeout. */
export const TCP_RTO_MAX_MS = 120_000;
/** include/net/tcp.h: TCP_INFINITE_SSTHRESH, snd_ssthresh before any loss. */
export const TCP_INFINITE_SSTHRESH = 0x7fffffff;
/** include/net/tcp.h: TCP_CA_Open, the congestion state of a connection with no loss. */
export const TCP_CA_OPEN = 0;
/** include/net/tcp.h: TCP_CA_Recovery, fast recovery. */
export const TCP_CA_RECOVERY = 3;
/** include/net/tcp.h: TCP_CA_Loss, loss recovery after a retransmission timeout. */
export const TCP_CA_LOSS = 4;
/** include/net/tcp.h: TCPCB_SACKED_RETRANS, a retransmission in flight. */
export const TCPCB_SACKED_RETRANS = 0x02;
/** include/net/tcp.h: TCPCB_LOST, marked lost. */
export const TCPCB_LOST = 0x04;
/** include/net/tcp.h: TCPCB_EVER_RETRANS, sent more than once. */
export const TCPCB_EVER_RETRANS = 0x80;
/** include/net/tcp.h: TCP_INIT_CWND, the congestion window a connection starts with. */
export const TCP_INIT_CWND = 10;
/** include/net/tcp.h: TCP_MAX_QUICKACKS. */
export const TCP_MAX_QUICKACKS = 16;
// include/net/tcp.h: TCP_RMEM_TO_WIN_SCALE and TCP_DEFAULT_SCALING_RATIO (50 %)
const TCP_RMEM_TO_WIN_SCALE = 8;
/** The scaling ratio a socket starts with: a window of half the buffer. */
export const TCP_DEFAULT_SCALING_RATIO = 1 << (TCP_RMEM_TO_WIN_SCALE - 1);

/**
 * The window a buffer of `space` bytes allows, as __tcp_win_from_space(): the part of the
 * memory that is payload, at `scalingRatio`/256.
 * @param scalingRatio skb->len over truesize, in 1/256
 * @param space buffer bytes
 * @returns window bytes
 */
export function tcpWinFromSpace(scalingRatio: number, space: number): number {
  return Math.floor(space * scalingRatio / 2 ** TCP_RMEM_TO_WIN_SCALE);
}

/**
 * The first window and the scale, as tcp_select_initial_window(): the space rounded down to a
 * multiple of the MSS; the shift that lets the largest buffer the host allows
 * (max(tcp_rmem[2], rmem_max)) be advertised, at most 14.
 * @param host the host (tcp_rmem, rmem_max)
 * @param space the socket's full space (tcp_full_space())
 * @param mss the segment size the window is counted in
 * @param wscaleOk the peer offered window scaling
 * @param clamp a window clamp set already (SO_RCVBUF's full space), or 0
 * @returns the window, the window clamp and our shift
 */
export function tcpSelectInitialWindow(
  host: InetNet,
  space: number,
  mss: number,
  wscaleOk: boolean,
  clamp = 0,
): { rcvWnd: number; windowClamp: number; rcvWscale: number } {
  // no clamp set: the largest window a scale can express
  let windowClamp = clamp || 65535 * 2 ** TCP_MAX_WSCALE;
  space = Math.min(windowClamp, Math.max(space, 0));
  if (space > mss) space = Math.floor(space / mss) * mss;
  const rcvWnd = space; // tcp_workaround_signed_windows is 0
  let rcvWscale = 0;
  if (wscaleOk) {
    const most = Math.min(
      Math.max(space, host.ipv4.tcpRmem[2], host.sysctl["net.core.rmem_max"]),
      windowClamp,
    );
    rcvWscale = Math.max(0, Math.min(Math.floor(Math.log2(most)) - 15, TCP_MAX_WSCALE));
  }
  windowClamp = Math.min(65535 * 2 ** rcvWscale, windowClamp);
  return { rcvWnd, windowClamp, rcvWscale };
}

/**
 * The window free now, as __tcp_select_window() without window shrinking
 * (tcp_shrink_window 0): the buffer's free space as a window, no more than rcv_ssthresh;
 * rounded up to the scale, or, unscaled, to a multiple of the peer's MSS.
 * @param sk the socket
 * @returns the window, bytes
 */
export function __tcpSelectWindow(sk: Sock): number {
  const tp = sk.tcp!;
  let mss = tp.rcvMss;
  let freeSpace = tcpWinFromSpace(tp.scalingRatio, sk.rcvbuf - sk.rmemAlloc);
  const allowedSpace = tcpWinFromSpace(tp.scalingRatio, sk.rcvbuf);
  const fullSpace = Math.min(tp.windowClamp, allowedSpace);
  if (mss > fullSpace) {
    mss = fullSpace;
    if (mss <= 0) return 0;
  }
  if (freeSpace < fullSpace >> 1) {
    tp.quick = 0;
    freeSpace = Math.floor(freeSpace / 2 ** tp.rcvWscale) * 2 ** tp.rcvWscale;
    if (freeSpace < allowedSpace >> 4 || freeSpace < mss) return 0;
  }
  if (freeSpace > tp.rcvSsthresh) freeSpace = tp.rcvSsthresh;
  if (tp.rcvWscale) return Math.ceil(freeSpace / 2 ** tp.rcvWscale) * 2 ** tp.rcvWscale;
  let window = tp.rcvWnd;
  if (window <= freeSpace - mss || window > freeSpace) window = Math.floor(freeSpace / mss) * mss;
  else if (mss === fullSpace && freeSpace > window + (fullSpace >> 1)) window = freeSpace;
  return window;
}

// tcp_receive_window(): what is left of the window last advertised
function tcpReceiveWindow(tp: TcpSockState, rcvNxt: number): number {
  const win = tp.rcvWup + tp.rcvWnd - rcvNxt;
  return win < 0 ? 0 : win;
}

/**
 * The window field of a segment, as tcp_select_window(): never less than what is left of the
 * window already offered (a zero it wanted counts TCPWantZeroWindowAdv); remembered as rcv_wnd
 * at rcv_nxt; shifted by our scale. A zero window turns the fast path off
 * (TCPToZeroWindowAdv); the first window after one counts TCPFromZeroWindowAdv.
 * @param host the host
 * @param sk the socket
 * @returns the 16-bit field
 */
export function tcpSelectWindow(host: InetNet, sk: Sock): number {
  const tp = sk.tcp!;
  const oldWin = tp.rcvWnd;
  const curWin = tcpReceiveWindow(tp, sk.rcvNxt);
  let newWin = __tcpSelectWindow(sk);
  if (newWin < curWin) {
    if (newWin === 0) host.mib.tcpExt.TCPWantZeroWindowAdv++;
    newWin = Math.ceil(curWin / 2 ** tp.rcvWscale) * 2 ** tp.rcvWscale;
  }
  tp.rcvWnd = newWin;
  tp.rcvWup = sk.rcvNxt;
  newWin = Math.floor(Math.min(newWin, 65535 * 2 ** tp.rcvWscale) / 2 ** tp.rcvWscale);
  if (newWin === 0) {
    tp.predFlags = 0;
    if (oldWin) host.mib.tcpExt.TCPToZeroWindowAdv++;
  } else if (oldWin === 0) host.mib.tcpExt.TCPFromZeroWindowAdv++;
  return newWin;
}

/** The TCP clock in ms, as tcp_time_stamp_ms(): the timestamp option's unit. */
/**
 * The millisecond clock TCP timestamps count (tcp_clock_ms(), before the connection's offset).
 * @param host the host
 * @returns ms
 */
export function tcpClockMs(host: InetNet): number {
  return Math.floor(host.sim.now / 1e6);
}

function u32(n: number): number {
  return n >>> 0;
}

// tcp_options_write(): MSS; SACK_PERM and TS together, or TS after two NOPs, or SACK_PERM after
// two NOPs; window scale after a NOP; SACK blocks after two NOPs.
function writeOptions(o: {
  mss?: number;
  ts?: { val: number; ecr: number };
  sackPerm?: boolean;
  wscale?: number;
  sacks?: [number, number][];
}): number[] {
  const out: number[] = [];
  const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  if (o.mss !== undefined) out.push(TCPOPT_MSS, 4, o.mss >> 8, o.mss & 255);
  if (o.ts) {
    if (o.sackPerm) out.push(TCPOPT_SACK_PERM, 2);
    else out.push(TCPOPT_NOP, TCPOPT_NOP);
    out.push(TCPOPT_TIMESTAMP, 10, ...be32(o.ts.val), ...be32(o.ts.ecr));
  } else if (o.sackPerm) out.push(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK_PERM, 2);
  if (o.wscale !== undefined) out.push(TCPOPT_NOP, TCPOPT_WINDOW, 3, o.wscale);
  if (o.sacks?.length) {
    out.push(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK, 2 + 8 * o.sacks.length);
    for (const [a, b] of o.sacks) out.push(...be32(a), ...be32(b));
  }
  return out;
}

/** The addresses of a segment we send: ours first. */
export interface TcpFlow {
  /** Our address, host order. */
  saddr: number;
  /** Our port. */
  sport: number;
  /** The peer's address, host order. */
  daddr: number;
  /** The peer's port. */
  dport: number;
  /**
   * The receive queue of the socket or request sending (sk_rx_queue_get()), which XPS by
   * receive queue reads; -1 or absent for none (a reset from no socket).
   */
  rxQueue?: number;
}

/**
 * Sends a segment without data, as tcp_transmit_skb() → ip_queue_xmit() (OutSegs, OutRsts),
 * the checksum left to the device for a SYN-ACK or a socket's segment, made here for a reply
 * from no full socket (ip_send_unicast_reply()).
 * @param host the host
 * @param cpu the CPU
 * @param flow our address and port, the peer's
 * @param seg sequence, acknowledgment, flags, window field and option bytes; a retransmission
 * of a SYN is not counted in OutSegs (__tcp_transmit_skb() counts only new sequence space and
 * segments that take none); `reply` for what tcp_v4_send_reset() and tcp_v4_send_ack() send
 * for no full socket through ip_send_unicast_reply(), its checksum made here, counted whether
 * it goes out or not; such a reply's `tos` (arg->tos) and the segment it `answers`, whose IP
 * options it echoes (__ip_options_echo(): nothing goes out when it cannot); a SYN-ACK's saved
 * `ipOptions`
 * @param bhOff sent with bottom halves off, as from softirq context
 * @param dst the route, when the caller looked it up; else tcpTransmit() does
 */
export function tcpTransmit(
  host: InetNet,
  cpu: Cpu,
  flow: TcpFlow,
  seg: {
    seq: number;
    ack: number;
    flags: number;
    window: number;
    options: number[];
    retransmit?: boolean;
    reply?: boolean;
    tos?: number;
    answers?: SkBuff;
    ipOptions?: ReplyOptions;
  },
  bhOff = true,
  dst?: RouteReq,
): void {
  host.sim.holding(cpu, { bh: bhOff ? 1 : 0 }, () => {
    // tcp_v4_send_reset() and tcp_v4_send_ack() count what ip_send_unicast_reply() may not send
    if (seg.reply) countSegment(host, seg);
    const options = seg.answers ? ipOptionsEcho(host, cpu, seg.answers) : seg.ipOptions;
    if (options === null) return;
    const tos = seg.tos ?? 0;
    const out = dst ?? ipRouteOutput(host, flow.daddr, cpu, {
      proto: IPPROTO_TCP,
      saddr: flow.saddr,
      sport: flow.sport,
      dport: flow.dport,
      tos: inetDsfieldToDscp(tos),
    });
    if (!out) return;
    const len = TCP_HLEN + seg.options.length;
    const t = allocBytes(len);
    const th = new TcpHdr(t, 0);
    th.source = flow.sport;
    th.dest = flow.dport;
    th.seq = u32(seg.seq);
    th.ackSeq = u32(seg.ack);
    th.doff = len / 4;
    th.flagByte = seg.flags;
    th.window = seg.window;
    t.set(seg.options, TCP_HLEN);
    th.check = csumFold(
      csumPartial(t, csumTcpudpNofold(flow.saddr, flow.daddr, len, IPPROTO_TCP, 0), 0, len),
    );
    if (!seg.reply) countSegment(host, seg);
    const fromSocket = !seg.reply;
    const rc = ipLocalOut(host, cpu, {
      saddr: flow.saddr,
      daddr: flow.daddr,
      protocol: IPPROTO_TCP,
      tos: tos & ~INET_ECN_MASK,
      df: true,
      payload: t,
      ipSummed: fromSocket ? CHECKSUM_PARTIAL : CHECKSUM_NONE,
      rxQueue: flow.rxQueue,
      options,
    }, out.route);
    // ip_send_unicast_reply() → ip_send_skb(): a reset's failure is an output discard; a
    // socket's segment (ip_queue_xmit(), ip_build_and_send_pkt()) counts none
    if (!fromSocket && rc !== 0 && rc !== NET_XMIT_CN) host.mib.ip.OutDiscards++;
  });
}

// OutSegs for a segment but a retransmitted SYN or SYN-ACK, and OutRsts for a reset
function countSegment(host: InetNet, seg: { flags: number; retransmit?: boolean }): void {
  if (!seg.retransmit) host.mib.tcp.OutSegs++;
  if (seg.flags & TCP_FLAGS.RST) host.mib.tcp.OutRsts++;
}

/**
 * Sends a segment of a connection, as tcp_transmit_skb(): counted in the socket's segs_out,
 * from its address and port to the peer's; one carrying an ACK — a FIN, a probe, a reset too —
 * is an ACK sent (tcp_event_ack_sent()).
 * @param host the host
 * @param cpu the CPU
 * @param sk the connection
 * @param seg as tcpTransmit() takes it
 * @param bhOff sent with bottom halves off, as from softirq context
 */
export function tcpTransmitSkb(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  seg: Parameters<typeof tcpTransmit>[3],
  bhOff = true,
): void {
  if (sk.tcp) sk.tcp.segsOut++;
  tcpTransmit(
    host,
    cpu,
    { saddr: sk.rcvSaddr, sport: sk.num, daddr: sk.daddr, dport: sk.dport, rxQueue: sk.rxQueue },
    seg,
    bhOff,
  );
  if (sk.tcp && seg.flags & TCP_FLAGS.ACK) tcpEventAckSent(host, sk.tcp);
}

// tcp_event_ack_sent(): what the compressed-SACK timer held back is counted (TCPAckCompressed),
// a quick ACK is used up (tcp_dec_quickack_mode()) and the delayed-ACK timer stopped, nothing
// owed any more (inet_csk_clear_xmit_timer(ICSK_TIME_DACK))
function tcpEventAckSent(host: InetNet, tp: TcpSockState): void {
  if (tp.compressedAck) {
    host.mib.tcpExt.TCPAckCompressed += tp.compressedAck - 1;
    tp.compressedAck = 0;
    tp.compressedAckAt = -1;
  }
  if (tp.quick) {
    const pkts = tp.ackPending.sched ? 1 : 0;
    if (pkts >= tp.quick) {
      tp.quick = 0;
      tp.ato = tcpAtoMin(host.hz);
    } else tp.quick -= pkts;
  }
  tp.ackPending = { sched: false, now: false, timer: false, pushed: false, pushed2: false };
  tp.delackTimeout = -1;
}

/**
 * Resets a connection from our side, as tcp_send_active_reset(): a RST with our next sequence
 * number, acknowledging what came; a connection in ESTABLISHED or CLOSE_WAIT leaves it as a
 * reset one (tcp_set_state(): EstabResets) — unless the caller closes it itself.
 * @param host the host
 * @param cpu the CPU
 * @param sk the connection
 * @param closing count the state change here (false: the caller's tcp_done() does)
 */
export function tcpSendActiveReset(host: InetNet, cpu: Cpu, sk: Sock, closing = true): void {
  const tp = sk.tcp!;
  tcpTransmitSkb(
    host,
    cpu,
    sk,
    {
      seq: tp.sndNxt,
      ack: sk.rcvNxt,
      flags: TCP_FLAGS.RST | TCP_FLAGS.ACK,
      window: tcpSelectWindow(host, sk),
      options: tcpEstablishedOptions(host, sk),
    },
    false,
  );
  if (closing && (sk.state === TCP_STATES.ESTABLISHED || sk.state === TCP_STATES.CLOSE_WAIT)) {
    host.mib.tcp.EstabResets++;
    host.mib.tcp.CurrEstab--;
  }
}

/**
 * Sends a request sock's SYN-ACK, as tcp_v4_send_synack() → tcp_make_synack(): the window
 * unscaled (at most 65535) and the options tcp_synack_options() chose — MSS always, then
 * SACK-permitted, timestamps and window scale as the SYN offered them.
 * @param host the host
 * @param cpu the CPU
 * @param req the request sock
 * @param listener the listener (its port, its TCP_MAXSEG bounding the MSS announced)
 * @param dst the route tcp_conn_request() found for the first SYN-ACK; a retransmission has
 *   none and looks it up (inet_csk_route_req()), sending nothing without one
 * @returns whether it went: false without a route
 */
export function tcpSendSynack(
  host: InetNet,
  cpu: Cpu,
  req: TcpRequestSock,
  listener: Sock,
  dst?: RouteReq,
): boolean {
  const advmss = tcpAdvmss(listener.userMss);
  const sport = listener.num;
  host.sim.enterFn(cpu, "tcp_v4_send_synack");
  const flow = {
    saddr: req.daddr,
    sport,
    daddr: req.saddr,
    dport: req.sport,
    rxQueue: req.rxQueue,
  };
  const route = dst ?? inetCskRouteReq(host, cpu, flow);
  if (!route) {
    host.sim.exitFn(cpu, "tcp_v4_send_synack");
    return false;
  }
  tcpTransmit(
    host,
    cpu,
    flow,
    {
      seq: req.iss,
      ack: req.irs + 1,
      // tcp_ecn_make_synack(): ECE grants the ECN the SYN asked for
      flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK | (req.ecnOk ? TCP_FLAGS.ECE : 0),
      // ip_build_and_send_pkt(): the SYN's options (ireq_opt)
      ipOptions: req.ireqOpt ?? undefined,
      window: Math.min(req.rcvWnd, 65535),
      options: writeOptions({
        mss: advmss,
        sackPerm: req.sackOk,
        // a cookie's TS val carries the options in its low bits (cookie_init_timestamp())
        ts: req.tstampOk
          ? {
            val: u32(
              (req.syncookie ? cookieInitTimestamp(tcpClockMs(host), req) : tcpClockMs(host)) +
                req.tsOffset,
            ),
            ecr: req.tsRecent,
          }
          : undefined,
        wscale: req.wscaleOk ? req.rcvWscale : undefined,
      }),
    },
    false,
    route,
  );
  host.sim.exitFn(cpu, "tcp_v4_send_synack");
  return true;
}

/** A request's route, as {@linkcode inetCskRouteReq} finds it. */
export type RouteReq = NonNullable<ReturnType<typeof ipRouteOutput>>;

/**
 * The route a request sock's SYN-ACK takes, inet_csk_route_req() → ip_route_output_flow(): to
 * the peer, from the address the SYN came to, for the SYN's ports.
 * @param host the host
 * @param cpu the CPU
 * @param flow our address and port, the peer's
 * @returns the route, or null when the peer cannot be reached (no SYN-ACK then; OutNoRoutes)
 */
export function inetCskRouteReq(host: InetNet, cpu: Cpu, flow: TcpFlow): RouteReq | null {
  return host.sim.traced(cpu, "inet_csk_route_req", () => {
    const route = ipRouteOutput(host, flow.daddr, cpu, {
      proto: IPPROTO_TCP,
      saddr: flow.saddr,
      sport: flow.sport,
      dport: flow.dport,
    });
    if (!route) host.mib.ip.OutNoRoutes++; // no_route: IPSTATS_MIB_OUTNOROUTES
    return route;
  });
}

/**
 * Sends a connecting socket's SYN, as tcp_transmit_skb() with tcp_syn_options(): the window
 * unscaled, MSS, then the options the sysctls offer — SACK-permitted, a timestamp with no echo,
 * window scale.
 * @param host the host
 * @param cpu the CPU
 * @param sk the socket, in SYN_SENT
 * @param retransmit sent again by the retransmission timer
 */
export function tcpSendSyn(host: InetNet, cpu: Cpu, sk: Sock, retransmit = false): void {
  const tp = sk.tcp!;
  const sysctl = host.sysctl;
  // tcp_ecn_send_syn(): with tcp_ecn 1 the SYN asks for ECN (ECE and CWR)
  const ecn = sysctl["net.ipv4.tcp_ecn"] === 1 ? TCP_FLAGS.ECE | TCP_FLAGS.CWR : 0;
  if (retransmit) tp.totalRetrans++; // tcp_retransmit_skb()
  tcpTransmitSkb(host, cpu, sk, {
    seq: tp.iss,
    ack: 0,
    flags: TCP_FLAGS.SYN | ecn,
    window: Math.min(tp.rcvWnd, 65535),
    options: writeOptions({
      mss: tp.advmss, // tcp_advertise_mss()
      sackPerm: sysctl["net.ipv4.tcp_sack"] === 1,
      ts: sysctl["net.ipv4.tcp_timestamps"] > 0
        ? { val: u32(tcpClockMs(host) + tp.tsOffset), ecr: 0 }
        : undefined,
      wscale: sysctl["net.ipv4.tcp_window_scaling"] === 1 ? tp.rcvWscale : undefined,
    }),
    retransmit,
  }, false);
}

/**
 * Sends the SYN and arms the retransmission timer, as tcp_connect(): an unanswered SYN goes
 * again when icsk_rto (1 s) runs out (tcp_retransmit_timer(): TCPTimeouts; tcp_write_timeout()
 * picks a new flow hash, TcpTimeoutRehash; tcp_enter_loss() marks the SYN lost, counting
 * TCPLostRetransmit when it had been sent again; tcp_retransmit_skb(): RetransSegs,
 * TCPSynRetrans); the timeout doubles only once more than tcp_syn_linear_timeouts (4) have run
 * out; after tcp_syn_retries (6) plus those 4 retransmissions the next timeout fails the
 * connection (tcp_write_timeout(): ETIMEDOUT).
 * @param host the host
 * @param cpu the CPU
 * @param sk the socket, in SYN_SENT
 * @param onTimeout told when the connection gives up
 */
export function tcpConnect(host: InetNet, cpu: Cpu, sk: Sock, onTimeout: () => void): void {
  tcpSendSyn(host, cpu, sk);
  // tcp_timeout_init(): TCP_TIMEOUT_INIT
  sk.tcp!.synTimer = { retransmits: 0, rto: host.hz, gen: 0, onTimeout };
  tcpResetSynTimer(host, cpu, sk, host.hz);
}

/**
 * Arms the SYN's retransmission timer `jiffies` from now, as inet_csk_reset_xmit_timer(sk,
 * ICSK_TIME_RETRANS, ...) does in SYN_SENT (an earlier arming no longer fires). When it fires
 * the SYN goes again and the timeout doubles after net.ipv4.tcp_syn_linear_timeouts linear
 * ones; past tcp_syn_retries more the connection fails.
 * @param host the host
 * @param cpu the CPU
 * @param sk the connecting socket
 * @param jiffies the delay
 */
export function tcpResetSynTimer(host: InetNet, cpu: Cpu, sk: Sock, jiffies: number): void {
  const t = sk.tcp!.synTimer!;
  const gen = ++t.gen;
  modTimer(host, jiffies, () => {
    if (sk.state !== TCP_STATES.SYN_SENT || t.gen !== gen) return;
    const linear = host.sysctl["net.ipv4.tcp_syn_linear_timeouts"];
    const mib = host.mib.tcpExt;
    mib.TCPTimeouts++;
    if (t.retransmits >= host.sysctl["net.ipv4.tcp_syn_retries"] + linear) return t.onTimeout();
    mib.TcpTimeoutRehash++;
    if (t.retransmits) mib.TCPLostRetransmit++;
    else sk.tcp!.undoMarker = sk.tcp!.sndUna; // tcp_enter_loss() → tcp_init_undo()
    host.mib.tcp.RetransSegs++;
    mib.TCPSynRetrans++;
    tcpSendSyn(host, cpu, sk, true);
    // tcp_update_rto_stats() counts it (total_rto), then the backoff decision (TCP_RTO_MAX)
    t.retransmits++;
    if (t.retransmits > linear) t.rto = Math.min(t.rto * 2, 120 * host.hz);
    tcpResetSynTimer(host, cpu, sk, t.rto);
  });
}

/**
 * The MSS we advertise, as tcp_mss_clamp(tcp_dst_advmss()): the route's MTU (1500) less the
 * IPv4 and TCP headers, within the socket's TCP_MAXSEG.
 * @param userMss TCP_MAXSEG (rx_opt.user_mss), 0 for none
 * @returns 1460, or a smaller TCP_MAXSEG
 */
export function tcpAdvmss(userMss = 0): number {
  const mss = 1500 - 20 - TCP_HLEN;
  return userMss && userMss < mss ? userMss : mss;
}

/**
 * The options of a connection's segment, as tcp_established_options(): the timestamp echoing
 * the peer's last, then the SACK blocks, a D-SACK first (three fit beside a timestamp, four
 * without).
 * @param host the host (the TCP clock)
 * @param sk the connection
 * @returns the option bytes
 */
export function tcpEstablishedOptions(host: InetNet, sk: Sock): number[] {
  const tp = sk.tcp!;
  const blocks = tp.dsack ? [tp.dsack, ...tp.selectiveAcks] : tp.selectiveAcks;
  tp.dsack = null; // tcp_options_write(): a D-SACK is reported once
  return writeOptions({
    ts: tp.tstampOk ? { val: u32(tcpClockMs(host) + tp.tsOffset), ecr: tp.tsRecent } : undefined,
    sacks: tp.sackOk ? blocks.slice(0, tp.tstampOk ? 3 : 4) : undefined,
  });
}

/**
 * Sends an ACK now, as tcp_send_ack() → __tcp_send_ack(): the window from tcp_select_window(),
 * the timestamp echoing the peer's, the SACK blocks; then tcp_event_ack_sent(): a quick ACK is
 * used up (tcp_dec_quickack_mode()) and the delayed-ACK timer stopped.
 * @param host the host
 * @param cpu the CPU
 * @param sk the connection
 */
export function tcpSendAck(host: InetNet, cpu: Cpu, sk: Sock): void {
  const tp = sk.tcp!;
  host.sim.enterFn(cpu, "tcp_send_ack");
  host.sim.enterFn(cpu, "__tcp_send_ack");
  const window = tcpSelectWindow(host, sk);
  tcpTransmitSkb(host, cpu, sk, {
    seq: tp.sndNxt,
    ack: sk.rcvNxt,
    flags: TCP_FLAGS.ACK,
    window,
    options: tcpEstablishedOptions(host, sk),
  });
  host.sim.exitFn(cpu, "__tcp_send_ack");
  host.sim.exitFn(cpu, "tcp_send_ack");
}

/**
 * The retransmission timeout, jiffies (icsk_rto): as __tcp_set_rto() left it at the last RTT
 * sample — srtt plus a variance of at least TCP_RTO_MIN (200 ms); 1 s (TCP_TIMEOUT_INIT) before
 * any sample, 3 s (TCP_TIMEOUT_FALLBACK) for a connection established without one — doubled
 * by each timeout since, within TCP_RTO_MAX.
 * @param host the host (HZ)
 * @param tp the connection
 * @returns icsk_rto
 */
export function tcpRto(host: InetNet, tp: TcpSockState): number {
  // no sample: TCP_TIMEOUT_INIT, or TCP_TIMEOUT_FALLBACK after tcp_init_metrics(), which rttvar
  // holds in both cases; else usecs_to_jiffies(srtt + rttvar) (tcp_bound_rto())
  const us = tp.srttUs8 ? (tp.srttUs8 >> 3) + tp.rttvarUs : tp.rttvarUs;
  const rtoMax = TCP_RTO_MAX_MS * host.hz / 1000;
  return Math.min(Math.ceil(us * host.hz / 1e6) * 2 ** tp.rtoDoublings, rtoMax);
}

/**
 * Arms the delayed-ACK timer, as tcp_send_delayed_ack(): ato jiffies from now (0 before any
 * data, 10 — 40 ms — after; a longer ato bounded by 500 ms, or 200 ms in pingpong mode or after
 * a small segment), or sooner if a timer is already due sooner, or at once if that one is due
 * within a quarter of ato. The timer wheel fires it a tick after it is due or later
 * (timerWheelExpiry()); tcp_delack_timer_handler() then sends the ACK still owed
 * (DelayedACKs), doubling ato outside pingpong mode, leaving pingpong mode otherwise.
 * @param host the host
 * @param cpu the CPU the timer runs on
 * @param sk the connection
 */
export function tcpSendDelayedAck(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "tcp_send_delayed_ack", () => sendDelayedAck(host, cpu, sk));
}

function sendDelayedAck(host: InetNet, cpu: Cpu, sk: Sock): void {
  const tp = sk.tcp!;
  const now = jiffies(host);
  let ato = tp.ato;
  if (ato > tcpAtoMin(host.hz)) {
    let maxAto = tp.pingpong || tp.ackPending.pushed ? tcpDelackMax(host.hz) : host.hz >> 1;
    // an RTT estimate bounds it: usecs_to_jiffies(srtt), at least TCP_DELACK_MIN
    if (tp.srttUs8) {
      const rtt = Math.max(Math.ceil((tp.srttUs8 >> 3) * host.hz / 1e6), tcpAtoMin(host.hz));
      maxAto = Math.min(maxAto, rtt);
    }
    ato = Math.min(ato, maxAto);
  }
  ato = Math.min(ato, tcpDelackMaxOfSock(host.hz));
  let timeout = now + ato;
  if (tp.ackPending.timer && tp.delackTimeout >= 0) {
    if (tp.delackTimeout <= now + (ato >> 2)) {
      tcpSendAck(host, cpu, sk);
      return;
    }
    if (timeout >= tp.delackTimeout) timeout = tp.delackTimeout;
  }
  tcpResetDelackTimer(host, cpu, sk, timeout - now);
}

/**
 * inet_csk_reset_xmit_timer(sk, ICSK_TIME_DACK, when): an ACK is owed and the delayed-ACK timer
 * sends it `when` jiffies from now, unless one goes sooner.
 * @param host the host
 * @param cpu the CPU the timer runs on
 * @param sk the connection
 * @param when jiffies from now
 */
export function tcpResetDelackTimer(host: InetNet, cpu: Cpu, sk: Sock, when: number): void {
  const tp = sk.tcp!;
  const timeout = jiffies(host) + when;
  tp.ackPending.timer = true;
  tp.ackPending.sched = true;
  tp.delackTimeout = timeout;
  const handler = () => {
    if (tp.delackTimeout !== timeout || !tp.ackPending.sched) return;
    host.sim.traced(cpu, "tcp_delack_timer_handler", () => {
      if (!tp.pingpong) tp.ato = Math.min(tp.ato << 1, tcpRto(host, tp), tcpDelackMax(host.hz));
      else {
        tp.pingpong = false;
        tp.ato = tcpAtoMin(host.hz);
      }
      host.mib.tcpExt.DelayedACKs++;
      tcpSendAck(host, cpu, sk);
    });
  };
  modTimer(host, when, () => {
    if (tp.delackTimeout !== timeout || !tp.ackPending.sched) return;
    host.sim.traced(cpu, "tcp_delack_timer", () => {
      if (!sk.ownedByUser) return handler();
      // the socket is held: tcp_release_cb() runs the handler (TCP_DELACK_TIMER_DEFERRED)
      host.mib.tcpExt.DelayedACKLocked++;
      if (!sk.deferred.includes(handler)) sk.deferred.push(handler);
    });
  });
}
