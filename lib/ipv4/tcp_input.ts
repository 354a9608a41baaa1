// Models the receive half of net/ipv4/tcp_input.c (Linux 6.18) for a connection:
// tcp_rcv_established()'s header-prediction fast path (pred_flags, sk_forward_alloc) and its slow
// path — tcp_validate_incoming() (PAWS, tcp_sequence(), RST and SYN handling with challenge
// ACKs), tcp_ack() (old and unsent ACKs, the peer's window, our SYN or FIN acknowledged) —,
// tcp_data_queue() with tcp_queue_rcv()'s coalescing into the tail skb, the out-of-order queue,
// SACK and D-SACK blocks, tcp_fin(), tcp_event_data_recv() (tcp_measure_rcv_mss() with the
// scaling ratio, the delayed-ACK engine's ato, tcp_grow_window()) and __tcp_ack_snd_check(): an
// ACK at once in quick-ack mode, for more than one full segment when the window would not
// shrink, for a hole and when it fills; else the delayed-ACK timer. Receive memory is scheduled
// in pages (sk_rmem_schedule()); when the queues outgrow the buffer, tcp_prune_queue() collapses
// them (tcp_collapse(), tcp_collapse_ofo_queue()) and then drops held segments or the new one.

import { jiffies } from "../kernel/timer.ts";
import type { InetNet } from "./netns_ipv4.ts";
import {
  allocSkbSize,
  consumeSkb,
  SIZEOF_SK_BUFF,
  SIZEOF_SKB_SHARED_INFO,
  SKB_TRUESIZE,
  skbDataAlign,
  type SkBuff,
} from "../core/skbuff.ts";
import type { SkbDropReason } from "../core/dropreason.ts";
import {
  inetSkRxDstSet,
  type OfoSkb,
  skbSetOwnerR,
  skRmemSchedule,
  skRxQueueSet,
  skWmemFree,
  type Sock,
  SOCK_MIN_RCVBUF,
  sockRfree,
  TCP_STATES,
  type TcpSockState,
} from "../core/sock.ts";
import type { Cpu } from "../sim/cpu.ts";
import type { RbNode } from "../core/rbtree.ts";
import { TCP_FLAGS, TCP_HLEN, TCPOPT_NOP, TCPOPT_TIMESTAMP, type TcpOptions } from "../wire/tcp.ts";
import { sockDefReadable } from "./udp.ts";
import {
  __tcpSelectWindow,
  TCP_CA_LOSS,
  TCP_CA_OPEN,
  TCP_CA_RECOVERY,
  TCP_DEFAULT_SCALING_RATIO,
  TCP_INFINITE_SSTHRESH,
  TCP_INIT_CWND,
  TCP_MAX_QUICKACKS,
  TCP_MSS_DEFAULT,
  TCP_RTO_MIN_US,
  TCP_TIMEOUT_FALLBACK_US,
  TCP_TIMEOUT_INIT_US,
  tcpAdvmss,
  tcpAtoMin,
  TCPCB_EVER_RETRANS,
  TCPCB_LOST,
  TCPCB_SACKED_RETRANS,
  tcpClockMs,
  tcpDelackMax,
  tcpResetDelackTimer,
  tcpResetSynTimer,
  tcpRto,
  tcpSendAck,
  tcpSendDelayedAck,
  tcpWinFromSpace,
} from "./tcp_output.ts";
import {
  TCP_TIMEWAIT_LEN_S,
  tcpAckProbe,
  tcpDone,
  tcpFinTime,
  tcpKeepaliveTimeWhen,
  tcpPushPendingFrames,
  tcpRearmRto,
  tcpResetKeepaliveTimer,
  tcpScheduleLossProbe,
  tcpSetCaState,
  tcpTimeWait,
  tcpWriteQueuePurge,
} from "./tcp_timer.ts";

/** What tcp_v4_rcv() reads of a segment once: the addresses and TCP_SKB_CB(). */
export interface TcpSegment {
  /** The options, parsed (tcp_parse_options()). */
  options: TcpOptions;
  /** Source address, host order. */
  saddr: number;
  /** Destination address, host order. */
  daddr: number;
  /** Source port. */
  sport: number;
  /** Destination port. */
  dport: number;
  /** Sequence number. */
  seq: number;
  /** Acknowledgment number. */
  ack: number;
  /** The flag byte. */
  flags: number;
  /** Header length, bytes. */
  doff: number;
  /** The window field, unscaled. */
  window: number;
  /** Payload bytes. */
  dataLen: number;
}

/**
 * What became of a segment TCP took: dropped for a reason, consumed, held in a queue, or to be
 * answered with a reset (tcp_v4_do_rcv()'s reset: label) and dropped for the reason given.
 */
export type TcpVerdict = SkbDropReason | "consumed" | "held" | { reset: SkbDropReason };

/**
 * Sequence comparison modulo 2^32, as before() in include/net/tcp.h.
 * @param a a sequence number
 * @param b another
 * @returns a comes before b
 */
export const before = (a: number, b: number): boolean => ((a - b) | 0) < 0;
/**
 * Sequence comparison modulo 2^32, as after().
 * @param a a sequence number
 * @param b another
 * @returns a comes after b
 */
export const after = (a: number, b: number): boolean => before(b, a);

// include/net/tcp.h: TCP_MIN_MSS
const TCP_MIN_MSS = 88;

// include/net/tcp.h: TCP_TIMEOUT_MIN, the shortest TCP timer, jiffies
const TCP_TIMEOUT_MIN = 2;
// include/net/tcp.h: NOP, NOP, timestamp
const TCPOLEN_TSTAMP_ALIGNED = 12;
// tcp_sk_init(): tcp_comp_sack_nr and tcp_comp_sack_delay_ns (1 ms)

/**
 * A connection's TCP state as it starts (tcp_init_sock() and what tcp_connect_init() or
 * tcp_create_openreq_child() set): the windows chosen for it, no options agreed yet.
 * @param o our ISN, rcv_nxt, the initial window, clamp and scale, and advmss
 * @returns the state
 */
export function newTcpState(o: {
  iss: number;
  rcvNxt: number;
  rcvWnd: number;
  windowClamp: number;
  rcvWscale: number;
  advmss: number;
}): TcpSockState {
  return {
    iss: o.iss,
    sndNxt: (o.iss + 1) >>> 0,
    rcvWnd: o.rcvWnd,
    rcvWup: o.rcvNxt,
    windowClamp: o.windowClamp,
    rcvSsthresh: o.rcvWnd,
    rcvWscale: o.rcvWscale,
    sndWscale: 0,
    advmss: o.advmss,
    rcvMss: TCP_MSS_DEFAULT,
    mssCache: TCP_MSS_DEFAULT,
    mssClamp: TCP_MSS_DEFAULT,
    maxWindow: 0,
    quick: 0,
    pingpong: false,
    ato: 0,
    srttUs8: 0,
    mdevUs: TCP_TIMEOUT_INIT_US,
    mdevMaxUs: 0,
    rttvarUs: TCP_TIMEOUT_INIT_US,
    rttSeq: 0,
    minRttUs: 0xffffffff,
    finSentAt: -1,
    synSentAt: 0,
    synTimer: null,
    ackPending: { sched: false, now: false, timer: false, pushed: false, pushed2: false },
    lrcvtime: 0,
    lastSegSize: 0,
    tcpHeaderLen: 20,
    rcvqSpace: 0,
    rcvqStart: { seq: o.rcvNxt, time: 0 },
    mstamp: 0,
    dsack: null,
    error: null,
    delackTimeout: -1,
    tstampOk: false,
    tsRecent: 0,
    tsOffset: 0,
    sackOk: false,
    wscaleOk: false,
    ecnOk: false,
    selectiveAcks: [],
    dupAckCounter: 0,
    compressedAckRcvNxt: 0,
    compressedAck: 0,
    compressedAckAt: -1,
    rcvRttUs8: 0,
    rcvRttEst: { seq: 0, time: 0 },
    rcvRttLastTsecr: 0,
    rcvTsecr: 0,
    copiedSeq: o.rcvNxt,
    finReceived: false,
    recvShutdown: false,
    sendShutdown: false,
    scalingRatio: TCP_DEFAULT_SCALING_RATIO,
    sndUna: (o.iss + 1) >>> 0,
    sndWnd: 0,
    sndWl1: 0,
    predFlags: 0,
    bytesAcked: 0,
    dead: false,
    timeWait: false,
    segsIn: 0,
    dataSegsIn: 0,
    segsOut: 0,
    bytesReceived: 0,
    rcvOoopack: 0,
    rcvTstamp: 0,
    lsndtime: 0,
    delivered: 0,
    sndCwnd: TCP_INIT_CWND,
    lastOowAckTime: 0,
    totalRetrans: 0,
    caState: TCP_CA_OPEN,
    retransmits: 0,
    backoff: 0,
    rtoDoublings: 0,
    xmitTimer: null,
    finQueued: false,
    probesOut: 0,
    probesTstamp: 0,
    keepaliveTimer: null,
    twTimer: null,
    finSacked: 0,
    retransOut: 0,
    lostOut: 0,
    highSeq: 0,
    tlpHighSeq: 0,
    tlpRetrans: false,
    retransStamp: 0,
    undoMarker: 0,
    undoRetrans: 0,
    sndSsthresh: TCP_INFINITE_SSTHRESH,
    priorCwnd: 0,
    priorSsthresh: 0,
    bbr: { priorCwnd: 0, prevCaState: TCP_CA_OPEN },
    transferInit: false,
  };
}

/**
 * The peer's MSS as a SYN or SYN-ACK gives it, as tcp_parse_options(): its MSS option, within
 * TCP_MAXSEG; without the option (or with 0) the clamp stays as it was.
 * @param optMss the MSS option's value, if the segment has one
 * @param userMss the socket's TCP_MAXSEG, 0 for none
 * @param clamp the clamp before the segment (TCP_MSS_DEFAULT, or TCP_MAXSEG for a connect())
 * @returns rx_opt.mss_clamp
 */
export function tcpParseMss(optMss: number | undefined, userMss: number, clamp: number): number {
  if (!optMss) return clamp;
  return userMss && userMss < optMss ? userMss : optMss;
}

/**
 * The first guess of the peer's segment size, as tcp_initialize_rcv_mss() after
 * tcp_sync_mss() has set mss_cache: the smallest of our advmss, mss_cache, half the window and
 * 536, at least 88.
 * @param host the host (net.ipv4.tcp_min_snd_mss)
 * @param tp the connection
 * @param peerMss the MSS the peer announced (mss_cache's bound)
 * @returns rcv_mss
 */
export function tcpInitialRcvMss(host: InetNet, tp: TcpSockState, peerMss: number): number {
  tp.mssClamp = peerMss;
  tcpSyncMss(host, tp);
  const hint = Math.min(tp.advmss, tp.mssCache, Math.floor(tp.rcvWnd / 2), TCP_MSS_DEFAULT);
  return Math.max(hint, TCP_MIN_MSS);
}

/**
 * Sets the segment size we send, as tcp_sync_mss(): the peer's MSS within the path MTU's, at
 * least net.ipv4.tcp_min_snd_mss (__tcp_mtu_to_mss()), less the options every segment carries
 * (the timestamp: tcp_header_len), then at most
 * half the largest window the peer offered (all of it when that is below 536:
 * tcp_bound_to_half_wnd()), never below 68 bytes with the headers.
 * @param host the host (net.ipv4.tcp_min_snd_mss)
 * @param tp the connection (mss_clamp, max_window, tcp_header_len)
 */
export function tcpSyncMss(host: InetNet, tp: TcpSockState): void {
  const minSndMss = host.sysctl["net.ipv4.tcp_min_snd_mss"];
  let mss = Math.max(Math.min(tp.mssClamp, tcpAdvmss()), minSndMss) - (tp.tcpHeaderLen - TCP_HLEN);
  const cutoff = tp.maxWindow > TCP_MSS_DEFAULT ? tp.maxWindow >> 1 : tp.maxWindow;
  if (cutoff && mss > cutoff) mss = Math.max(cutoff, 68 - tp.tcpHeaderLen);
  tp.mssCache = mss;
}

// include/net/tcp.h: MAX_TCP_HEADER, L1_CACHE_ALIGN(128 + MAX_HEADER): 192 on the reference
// host (seen: a peer MSS of 1536 keeps per_mss at 2048 + 256, 1537 doubles it)
const MAX_TCP_HEADER = 192;

// tcp_sndbuf_expand(): room for the congestion control's share of windows (bbr 3, else 2) of
// ten segments (TCP_INIT_CWND, or cwnd, or reordering + 1), each skb's head a power of two
// holding the MSS and the largest headers, with its struct sk_buff; within tcp_wmem[2]
function tcpSndbufExpand(host: InetNet, sk: Sock, tp: TcpSockState): void {
  const head = Math.max(tp.mssClamp, tp.mssCache) + MAX_TCP_HEADER +
    skbDataAlign(SIZEOF_SKB_SHARED_INFO);
  const perMss = 2 ** Math.ceil(Math.log2(head)) + skbDataAlign(SIZEOF_SK_BUFF);
  const nrSegs = Math.max(TCP_INIT_CWND, tp.sndCwnd, 3 + 1);
  const sndmem = (host.ipv4.tcpCongestionControl === "bbr" ? 3 : 2) * nrSegs * perMss;
  if (sk.sndbuf < sndmem) sk.sndbuf = Math.min(sndmem, host.ipv4.tcpWmem[2]);
}

/**
 * Sizes the buffers, as tcp_init_buffer_space(): the send buffer grows for the first windows
 * (tcp_sndbuf_expand()); the window clamp at most the receive buffer's full space, less
 * net.ipv4.tcp_app_win's share (1/2^tcp_app_win of it; 31 by default: none, 0: no clamp at all)
 * and one segment kept in reserve; rcv_ssthresh within the clamp; the reader's first share at
 * most ten segments (TCP_INIT_CWND).
 * @param host the host (clock, sysctls)
 * @param tp the connection
 * @param sk its socket (sk_rcvbuf, sk_sndbuf)
 */
export function tcpInitBufferSpace(host: InetNet, tp: TcpSockState, sk: Sock): void {
  tcpSndbufExpand(host, sk, tp);
  const appWin = host.sysctl["net.ipv4.tcp_app_win"];
  const advmss = tp.advmss;
  tp.rcvqStart = { seq: tp.copiedSeq, time: host.sim.now };
  const maxwin = tcpWinFromSpace(TCP_DEFAULT_SCALING_RATIO, sk.rcvbuf);
  if (tp.windowClamp >= maxwin) {
    tp.windowClamp = maxwin;
    if (appWin && maxwin > 4 * advmss) {
      tp.windowClamp = Math.max(maxwin - Math.floor(maxwin / 2 ** appWin), 4 * advmss);
    }
  }
  if (tp.windowClamp > 2 * advmss && tp.windowClamp + advmss > maxwin) {
    tp.windowClamp = Math.max(2 * advmss, maxwin - advmss); // force reservation of one segment
  }
  tp.rcvSsthresh = Math.min(tp.rcvSsthresh, tp.windowClamp);
  tp.rcvqSpace = Math.min(tp.rcvSsthresh, tp.rcvWnd, TCP_INIT_CWND * advmss);
}

/**
 * Receives a segment on a connecting socket, as tcp_rcv_synsent_state_process(): an ACK of
 * anything but our SYN is answered with a reset; a RST with a good ACK refuses the connection
 * (ECONNREFUSED); a SYN-ACK completes it — the options the peer answered agreed, rcv_nxt after
 * its SYN, tcp_finish_connect() (ESTABLISHED, tcp_init_buffer_space()), the RTT of the
 * handshake, the connecting task woken — and is acknowledged at once (tcp_send_ack()).
 * @param host the host
 * @param cpu the CPU
 * @param sk the socket, in SYN_SENT
 * @param skb the segment
 * @param s what tcp_v4_rcv() read of it
 * @returns a drop reason, "consumed", or a reset to send with its reason
 */
export function tcpRcvSynsentStateProcess(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  skb: SkBuff,
  s: TcpSegment,
): SkbDropReason | "consumed" | { reset: SkbDropReason } {
  host.sim.enterFn(cpu, "tcp_rcv_state_process", skb.id);
  try {
    const tp = sk.tcp!;
    const ack = (s.flags & TCP_FLAGS.ACK) !== 0;
    if (!ack) {
      // a RST without ACK is ignored; a bare SYN (a simultaneous open) is not modelled
      return s.flags & TCP_FLAGS.RST ? "TCP_RESET" : "TCP_FLAGS";
    }
    if (s.ack !== tp.sndNxt) {
      // a reset for it; the SYN goes again soon (TCP_TIMEOUT_MIN, 2 jiffies) unless it already
      // went again: the reset or FIN the peer answered our SYN with may have been lost
      if (tp.synTimer?.retransmits === 0) tcpResetSynTimer(host, cpu, sk, TCP_TIMEOUT_MIN);
      return { reset: "TCP_INVALID_ACK_SEQUENCE" };
    }
    if (s.flags & TCP_FLAGS.RST) {
      tp.error = "ECONNREFUSED";
      host.mib.tcp.AttemptFails++;
      tcpDone(host, sk);
      sockDefReadable(host, cpu, sk);
      return "consumed"; // tcp_reset(), then __kfree_skb(): no drop reason (seen on 6.18)
    }
    if (!(s.flags & TCP_FLAGS.SYN)) return "TCP_FLAGS";
    // tcp_ack(sk, skb, FLAG_SLOWPATH): the SYN acknowledged (TCPDelivered), the peer's window
    // unscaled as a SYN's is
    tcpAck(host, cpu, sk, tp, s, true);
    const o = s.options;
    const sysctl = host.sysctl;
    sk.rcvNxt = (s.seq + 1) >>> 0;
    tp.rcvWup = sk.rcvNxt;
    tp.copiedSeq = sk.rcvNxt;
    tp.wscaleOk = o.wscale !== undefined && sysctl["net.ipv4.tcp_window_scaling"] === 1;
    // tcp_ecn_rcv_synack(): our SYN asked for ECN (tcp_ecn 1) and the SYN-ACK has ECE alone
    tp.ecnOk = sysctl["net.ipv4.tcp_ecn"] === 1 &&
      (s.flags & (TCP_FLAGS.ECE | TCP_FLAGS.CWR)) === TCP_FLAGS.ECE;
    if (tp.wscaleOk) {
      tp.sndWscale = Math.min(o.wscale!, 14);
    } else {
      tp.sndWscale = tp.rcvWscale = 0;
      tp.windowClamp = Math.min(tp.windowClamp, 65535);
    }
    tp.sackOk = sysctl["net.ipv4.tcp_sack"] === 1 && o.list.some((x) => x.kind === 4);
    if (o.timestamp && sysctl["net.ipv4.tcp_timestamps"] > 0) {
      tp.tstampOk = true;
      tp.tcpHeaderLen = 32;
      tp.advmss -= 12;
      tp.tsRecent = o.timestamp.tsval;
      tp.rcvTsecr = o.timestamp.tsecr;
    } else tp.tcpHeaderLen = 20;
    tp.rcvMss = tcpInitialRcvMss(host, tp, tcpParseMss(o.mss, sk.userMss, tp.mssClamp));
    // tcp_finish_connect() → tcp_init_transfer()
    host.sim.enterFn(cpu, "tcp_finish_connect", skb.id);
    sk.state = TCP_STATES.ESTABLISHED;
    inetSkRxDstSet(sk, skb);
    tp.lsndtime = jiffies(host); // no cwnd restart on the first data
    tp.lrcvtime = tp.lsndtime;
    tcpInitMetrics(tp);
    // tcp_init_transfer(): a SYN sent more than twice in a loss episode leaves cwnd at 1
    tp.sndCwnd = tp.totalRetrans > 1 && tp.undoMarker ? 1 : TCP_INIT_CWND;
    host.mib.tcp.CurrEstab++;
    tcpInitBufferSpace(host, tp, sk);
    // tcp_finish_connect(): SO_KEEPALIVE's timer starts with the connection
    if (sk.keepOpen) tcpResetKeepaliveTimer(host, cpu, sk, tcpKeepaliveTimeWhen(host, sk));
    // the fast path waits for the first scaled window when the peer scales (tp.predFlags 0)
    if (!tp.sndWscale) tcpFastPathOn(tp, tp.sndWnd);
    else tp.predFlags = 0;
    sockDefReadable(host, cpu, sk); // sk_state_change(): the connecting task wakes
    host.sim.exitFn(cpu, "tcp_finish_connect", skb.id);
    if (sk.deferAccept || tp.pingpong) {
      // TCP_DEFER_ACCEPT or pingpong mode: the handshake's ACK waits to ride on data, the
      // delayed-ACK timer sending it alone after TCP_DELACK_MAX
      tcpEnterQuickackMode(host, tp);
      tcpResetDelackTimer(host, cpu, sk, tcpDelackMax(host.hz));
      return "consumed";
    }
    tcpSendAck(host, cpu, sk);
    return "consumed";
  } finally {
    host.sim.exitFn(cpu, "tcp_rcv_state_process", skb.id);
  }
}

/**
 * Receives a segment on a connection. An ESTABLISHED one takes it as tcp_rcv_established():
 * first header prediction — a segment with the header word pred_flags expects (ACK alone, PSH
 * aside, the window unchanged), at rcv_nxt, acknowledging nothing unsent, its timestamp not
 * older, is a pure ACK for tcp_ack() or, when memory is already scheduled for it
 * (sk_forward_alloc), data queued at once (TCPHPHits); anything else takes the slow path: the
 * checks of tcp_validate_incoming(), tcp_ack(), the timestamp to echo, tcp_data_queue() and the
 * ACK check. The states after a FIN go through tcp_rcv_state_process()'s same steps, an ACK of
 * our FIN moving the state on.
 * @param host the host
 * @param cpu the CPU
 * @param sk the connection
 * @param skb the segment
 * @param s what tcp_v4_rcv() read of it
 * @returns a drop reason, "consumed", "held" when queued, or a reset for tcp_v4_do_rcv() to
 *   send with the reason it drops the segment for
 */
export function tcpRcvEstablished(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  skb: SkBuff,
  s: TcpSegment,
): TcpVerdict {
  const established = sk.state === TCP_STATES.ESTABLISHED;
  const fn = established ? "tcp_rcv_established" : "tcp_rcv_state_process";
  host.sim.enterFn(cpu, fn, skb.id);
  try {
    const tp = sk.tcp;
    if (!tp) return s.flags & TCP_FLAGS.RST ? "TCP_RESET" : tcpDataQueue(host, cpu, sk, skb, s);
    tp.mstamp = host.sim.now; // tcp_mstamp_refresh()
    // the input route is cached on the first segment the connection takes here: a passive
    // open's child, though tcp_v4_syn_recv_sock() also calls inet_sk_rx_dst_set(), still has
    // its first data segment routed on Linux 6.18 (recorded: tcp_early_demux.json)
    if (established && !sk.rxDst) inetSkRxDstSet(sk, skb);
    // tcp_fast_parse_options(): a segment without a timestamp leaves the last echo in place
    const ts = s.options.timestamp;
    if (tp.tstampOk && ts) tp.rcvTsecr = ts.tsecr;
    let validate = true;
    if (established) {
      const fast = tcpFastPath(host, cpu, sk, tp, skb, s);
      if (fast !== "slow_path" && fast !== "step5") return fast;
      validate = fast === "slow_path";
    }
    return tcpSlowPath(host, cpu, sk, tp, skb, s, validate);
  } finally {
    host.sim.exitFn(cpu, fn, skb.id);
  }
}

// The header word of a segment as header prediction compares it (tcp_flag_word() & TCP_HP_BITS):
// data offset, flags but PSH, window
function tcpFlagWord(s: TcpSegment): number {
  return (((s.doff / 4) << 28) | ((s.flags & ~TCP_FLAGS.PSH & 0xff) << 16) | s.window) >>> 0;
}

// __tcp_fast_path_on(): segments with our header length, ACK alone and this window field take
// the fast path
function tcpFastPathOn(tp: TcpSockState, window = tp.sndWnd >>> tp.sndWscale): void {
  tp.predFlags = ((tp.tcpHeaderLen << 26) | (TCP_FLAGS.ACK << 16) | window) >>> 0;
}

// tcp_fast_path_check(): the fast path again once nothing is held out of order, the window is
// open and the buffer not full
function tcpFastPathCheck(sk: Sock, tp: TcpSockState): void {
  if (!sk.outOfOrder.size && tp.rcvWnd && sk.rmemAlloc < sk.rcvbuf) tcpFastPathOn(tp);
}

// tcp_rcv_established()'s fast path; "slow_path" and "step5" name where the slow path takes over
function tcpFastPath(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  tp: TcpSockState,
  skb: SkBuff,
  s: TcpSegment,
): SkbDropReason | "consumed" | "held" | "slow_path" | "step5" {
  if (tcpFlagWord(s) !== tp.predFlags || s.seq !== sk.rcvNxt || after(s.ack, tp.sndNxt)) {
    return "slow_path";
  }
  const ts = s.options.timestamp;
  if (tp.tcpHeaderLen === TCP_HLEN + TCPOLEN_TSTAMP_ALIGNED) {
    // tcp_parse_aligned_timestamp(): NOP, NOP, timestamp; an older TS val is PAWS's to judge
    const [a, b, c] = s.options.list;
    const aligned = a?.kind === TCPOPT_NOP && b?.kind === TCPOPT_NOP &&
      c?.kind === TCPOPT_TIMESTAMP;
    if (!aligned || !ts || ((ts.tsval - tp.tsRecent) | 0) < 0) return "slow_path";
  }
  // tcp_store_ts_recent(): seq is rcv_nxt, so at or before rcv_wup only when they are equal
  const storeTsRecent = () => {
    if (ts && tp.tstampOk && sk.rcvNxt === tp.rcvWup) tp.tsRecent = ts.tsval;
  };
  if (s.dataLen === 0) {
    storeTsRecent();
    tcpAck(host, cpu, sk, tp, s, false);
    if (ts) tp.rcvRttLastTsecr = ts.tsecr;
    tcpPushPendingFrames(host, cpu, sk); // tcp_data_snd_check()
    return "consumed";
  }
  // 6.18: data past the window goes through tcp_validate_incoming()
  if (after((s.seq + s.dataLen) >>> 0, (sk.rcvNxt + tcpReceiveWindow(tp, sk.rcvNxt)) >>> 0)) {
    return "slow_path";
  }
  if (skb.truesize > sk.forwardAlloc) return "step5";
  storeTsRecent();
  if (ts) tcpRcvRttMeasureTs(host, sk, tp, s);
  host.mib.tcpExt.TCPHPHits++;
  const verdict = tcpQueueRcv(host, cpu, sk, skb, s.dataLen, (s.seq + s.dataLen) >>> 0);
  host.sim.traced(
    cpu,
    "tcp_event_data_recv",
    () => tcpEventDataRecv(host, cpu, sk, tp, skb, s),
    skb.id,
  );
  let ackCheck = true;
  if (s.ack !== tp.sndUna) {
    tcpAck(host, cpu, sk, tp, s, false);
    tcpPushPendingFrames(host, cpu, sk); // tcp_data_snd_check()
    ackCheck = tp.ackPending.sched;
  } else tp.sndWl1 = s.seq; // tcp_update_wl()
  if (ackCheck) host.sim.traced(cpu, "__tcp_ack_snd_check", () => tcpAckSndCheck(host, cpu, sk));
  tcpDataReady(host, cpu, sk, tp);
  return verdict;
}

// The slow path: tcp_validate_incoming() (skipped from step 5, where the fast path found data it
// had no memory scheduled for), tcp_ack(), the timestamp, tcp_data_queue(), the ACK check
function tcpSlowPath(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  tp: TcpSockState,
  skb: SkBuff,
  s: TcpSegment,
  validate: boolean,
): TcpVerdict {
  const established = sk.state === TCP_STATES.ESTABLISHED;
  if (validate) {
    if (!(s.flags & (TCP_FLAGS.ACK | TCP_FLAGS.RST | TCP_FLAGS.SYN))) return "TCP_FLAGS";
    const invalid = host.sim.traced(
      cpu,
      "tcp_validate_incoming",
      () => tcpValidateIncoming(host, cpu, sk, tp, s),
      skb.id,
    );
    if (invalid) return invalid;
  }
  const refused = tcpAck(host, cpu, sk, tp, s, true, !established);
  if (refused) {
    // tcp_rcv_state_process(): an ACK refused while closing is answered with a challenge ACK
    if (!established) tcpSendChallengeAck(host, cpu, sk);
    return refused;
  }
  const abort = tcpAckOfFin(host, cpu, sk, tp, s);
  if (abort) return abort;
  // our FIN acknowledged in LAST_ACK (done), CLOSING (TIME_WAIT) or by an orphan's peer (a
  // timewait sock in FIN_WAIT2): the segment is consumed, nothing more of it is looked at
  if (sk.state === TCP_STATES.CLOSE || sk.state === TCP_STATES.TIME_WAIT || tp.timeWait) {
    return "consumed";
  }
  // tcp_rcv_state_process() step 7: after the peer's FIN, data from rcv_nxt on is not taken;
  // once reading is shut (the peer's FIN, shutdown(SHUT_RD), close(): RCV_SHUTDOWN), new data
  // resets the connection (TCPAbortOnData)
  if (!established) {
    const fin = s.flags & TCP_FLAGS.FIN ? 1 : 0;
    const closing = sk.state === TCP_STATES.CLOSE_WAIT || sk.state === TCP_STATES.CLOSING ||
      sk.state === TCP_STATES.LAST_ACK;
    if (closing && !before(s.seq, sk.rcvNxt)) return "NOT_SPECIFIED";
    const newData = s.dataLen + fin > 0 && after((s.seq + s.dataLen) >>> 0, sk.rcvNxt);
    if ((tp.recvShutdown || tp.finReceived) && newData) {
      host.mib.tcpExt.TCPAbortOnData++;
      tcpReset(host, cpu, sk);
      return { reset: "TCP_ABORT_ON_DATA" };
    }
  }
  // tcp_replace_ts_recent(): a segment at or before rcv_wup carries the TSval to echo
  if (tp.tstampOk && s.options.timestamp && !after(s.seq, tp.rcvWup)) {
    tp.tsRecent = s.options.timestamp.tsval;
  }
  // the receiver's RTT from the echo is tcp_rcv_established()'s: tcp_rcv_state_process(), which
  // takes the other states, measures none
  if (tp.tstampOk && established) tcpRcvRttMeasureTs(host, sk, tp, s);
  // tcp_data_queue() frees a segment that takes no sequence space
  const verdict = s.dataLen === 0 && !(s.flags & TCP_FLAGS.FIN)
    ? "consumed"
    : tcpDataQueue(host, cpu, sk, skb, s);
  if (sk.state !== TCP_STATES.CLOSE) tcpPushPendingFrames(host, cpu, sk); // tcp_data_snd_check()
  if (sk.state !== TCP_STATES.CLOSE && tp.ackPending.sched) {
    host.sim.traced(cpu, "__tcp_ack_snd_check", () => tcpAckSndCheck(host, cpu, sk));
  }
  return verdict;
}

// tcp_ack(): an ACK older than snd_una is ignored, unless older than all we ever had
// acknowledged (RFC 5961 5.2: a challenge ACK, TCP_TOO_OLD_ACK); one for data never sent is
// dropped with a challenge ACK too (TCP_ACK_UNSENT_DATA, 6.18). In the fast path an ACK that moves snd_una is counted
// TCPHPAcks; otherwise a segment without data is a pure ACK (TCPPureAcks) and may update the
// peer's window (tcp_ack_update_window()). Our SYN or FIN newly acknowledged counts
// TCPDelivered. Returns a drop reason, or null.
function tcpAck(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  tp: TcpSockState,
  s: TcpSegment,
  slowPath: boolean,
  noChallengeAck = false,
): SkbDropReason | null {
  return host.sim.traced(cpu, "tcp_ack", () => ack(host, cpu, sk, tp, s, slowPath, noChallengeAck));
}

function ack(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  tp: TcpSockState,
  s: TcpSegment,
  slowPath: boolean,
  noChallengeAck: boolean,
): SkbDropReason | null {
  const prior = tp.sndUna;
  if (before(s.ack, prior)) {
    if (before(s.ack, (prior - tp.bytesAcked) >>> 0)) {
      if (!noChallengeAck) tcpSendChallengeAck(host, cpu, sk);
      return "TCP_TOO_OLD_ACK";
    }
    return null;
  }
  if (after(s.ack, tp.sndNxt)) {
    if (!noChallengeAck) tcpSendChallengeAck(host, cpu, sk);
    return "TCP_ACK_UNSENT_DATA";
  }
  tp.rcvTstamp = jiffies(host);
  tp.probesOut = 0; // an acceptable ACK answers the zero-window probes
  const advanced = after(s.ack, prior);
  const packetsOut = after(tp.sndNxt, prior);
  if (!slowPath && advanced) {
    tp.sndWl1 = s.seq;
    tcpSndUnaUpdate(tp, s.ack);
    host.mib.tcpExt.TCPHPAcks++;
  } else {
    // seq == end_seq: no data, no SYN, no FIN
    if (s.dataLen === 0 && !(s.flags & (TCP_FLAGS.SYN | TCP_FLAGS.FIN))) {
      host.mib.tcpExt.TCPPureAcks++;
    }
    tcpAckUpdateWindow(host, sk, tp, s);
  }
  if (advanced) tp.retransmits = 0;
  if (packetsOut && advanced) {
    // tcp_clean_rtx_queue() (inlined): our SYN or FIN leaves the queue, delivered; its RTT by
    // send time unless it went more than once (Karn), else by the timestamp echoed
    const everRetrans = sk.state === TCP_STATES.SYN_SENT
      ? tp.totalRetrans > 0
      : (tp.finSacked & TCPCB_EVER_RETRANS) !== 0;
    if (tp.finSacked & TCPCB_SACKED_RETRANS) tp.retransOut--;
    if (tp.finSacked & TCPCB_LOST) tp.lostOut--;
    tp.finSacked = 0;
    tp.delivered++;
    host.mib.tcpExt.TCPDelivered++;
    const sentAt = everRetrans
      ? -1
      : sk.state === TCP_STATES.SYN_SENT
      ? tp.synSentAt
      : tp.finSentAt;
    const tsecr = tp.tstampOk || sk.state === TCP_STATES.SYN_SENT
      ? s.options.timestamp?.tsecr
      : undefined;
    tcpAckUpdateRtt(
      host,
      cpu,
      tp,
      sentAt >= 0 ? Math.round((host.sim.now - sentAt) / 1000) : null,
      tsecr,
    );
    if (tp.caState === TCP_CA_LOSS) tcpFastretransAlert(host, cpu, sk, tp, s);
    // tcp_set_xmit_timer(): nothing is left in flight for a probe, so the timer stops
    if (!tcpScheduleLossProbe(host, cpu, sk, true)) tcpRearmRto(host, cpu, sk);
    tcpCongControl(host, cpu, tp, 1);
  } else if (!packetsOut) tcpAckProbe(host, cpu, sk); // no_queue: nothing was in flight
  return null;
}

// tcp_fastretrans_alert() in TCP_CA_Loss → tcp_process_loss() (inlined): the ACK of all that was
// in flight at the timeout ends recovery. An undo first (tcp_try_undo_loss()): the timestamp
// echoed predates the first retransmission, so the original got through and the timeout was
// spurious (TCPLossUndo); else tcp_try_undo_recovery(). Either way a connection without SACK
// holds TCP_CA_Loss until an ACK goes beyond high_seq (tcp_is_non_sack_preventing_reopen()).
// F-RTO has nothing to decide: no new data went after the timeout.
function tcpFastretransAlert(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  tp: TcpSockState,
  s: TcpSegment,
): void {
  host.sim.traced(cpu, "tcp_fastretrans_alert", () => {
    const undone = host.sim.traced(cpu, "tcp_try_undo_loss", () => {
      if (!tcpMayUndo(sk, tp, s)) return false;
      tcpUndoCwndReduction(host, cpu, tp, true);
      host.mib.tcpExt.TCPLossUndo++;
      tp.retransmits = 0;
      if (!tcpNonSackPreventingReopen(tp) && tp.sackOk) tcpSetCaState(host, cpu, tp, TCP_CA_OPEN);
      return true;
    });
    if (undone || before(tp.sndUna, tp.highSeq)) return;
    host.sim.traced(cpu, "tcp_try_undo_recovery", () => {
      if (tcpMayUndo(sk, tp, s)) {
        tcpUndoCwndReduction(host, cpu, tp, false);
        host.mib.tcpExt.TCPLossUndo++;
      }
      if (!tcpNonSackPreventingReopen(tp)) tcpSetCaState(host, cpu, tp, TCP_CA_OPEN);
    });
    // tcp_try_to_open(): nothing was sent again that is still out
    if (tp.caState === TCP_CA_OPEN) tp.retransStamp = 0;
  });
}

// tcp_may_undo(): recovery began (undo_marker) and either no retransmission is still owed an
// answer or the packet was merely delayed (tcp_packet_delayed(): the echoed timestamp predates
// the first retransmission — without one, only a SACK connection past high_seq)
function tcpMayUndo(sk: Sock, tp: TcpSockState, s: TcpSegment): boolean {
  if (!tp.undoMarker) return false;
  if (!tp.undoRetrans) return true;
  const tsecr = tp.tstampOk ? s.options.timestamp?.tsecr : undefined;
  if (tp.retransStamp) return !!tsecr && before((tsecr - tp.tsOffset) >>> 0, tp.retransStamp);
  if (!tp.sackOk && !before(tp.sndUna, tp.highSeq)) return false;
  return sk.state !== TCP_STATES.SYN_SENT;
}

// tcp_is_non_sack_preventing_reopen(): without SACK, recovery holds until an ACK beyond
// high_seq (RFC 2582); nothing sent again is out, so retrans_stamp is cleared
function tcpNonSackPreventingReopen(tp: TcpSockState): boolean {
  if (tp.sndUna !== tp.highSeq || tp.sackOk) return false;
  if (!tp.retransOut) tp.retransStamp = 0;
  return true;
}

// tcp_undo_cwnd_reduction(): the congestion control's undo_cwnd (bbr_undo_cwnd() keeps cwnd,
// tcp_reno_undo_cwnd() — reno's and cubic's — takes back prior_cwnd) and ssthresh restored
function tcpUndoCwndReduction(
  host: InetNet,
  cpu: Cpu,
  tp: TcpSockState,
  unmarkLoss: boolean,
): void {
  host.sim.traced(cpu, "tcp_undo_cwnd_reduction", () => {
    if (unmarkLoss) tp.lostOut = 0;
    if (tp.priorSsthresh) {
      const bbr = host.ipv4.tcpCongestionControl === "bbr";
      tp.sndCwnd = host.sim.traced(
        cpu,
        bbr ? "bbr_undo_cwnd" : "tcp_reno_undo_cwnd",
        () => bbr ? tp.sndCwnd : Math.max(tp.sndCwnd, tp.priorCwnd),
      );
      if (tp.priorSsthresh > tp.sndSsthresh) tp.sndSsthresh = tp.priorSsthresh;
    }
    tp.undoMarker = 0;
  });
}

// net/ipv4/tcp_bbr.c: bbr_cwnd_min_target
const BBR_CWND_MIN_TARGET = 4;

// tcp_cong_control(): bbr_main() → bbr_set_cwnd(): leaving recovery takes back the cwnd saved
// at the loss; then, while fewer than TCP_INIT_CWND segments were delivered (always, for the
// kit's connections), cwnd grows by what was acknowledged, at least 4 (bbr_cwnd_min_target).
// Reno and cubic grow it only in slow start and when cwnd limited the sender
// (tcp_is_cwnd_limited(): cwnd below twice the most ever in flight, one).
function tcpCongControl(host: InetNet, cpu: Cpu, tp: TcpSockState, acked: number): void {
  if (host.ipv4.tcpCongestionControl === "bbr") {
    host.sim.traced(cpu, "bbr_main", () => {
      let cwnd = tp.sndCwnd;
      if (tp.bbr.prevCaState >= TCP_CA_RECOVERY && tp.caState < TCP_CA_RECOVERY) {
        cwnd = Math.max(cwnd, tp.bbr.priorCwnd);
      }
      tp.bbr.prevCaState = tp.caState;
      tp.sndCwnd = Math.max(cwnd + acked, BBR_CWND_MIN_TARGET);
    });
    return;
  }
  if (tp.sndCwnd >= tp.sndSsthresh || tp.sndCwnd >= 2) return;
  const cc = host.ipv4.tcpCongestionControl;
  host.sim.traced(cpu, cc === "cubic" ? "cubictcp_cong_avoid" : "tcp_reno_cong_avoid", () => {
    tp.sndCwnd = Math.min(tp.sndCwnd + acked, tp.sndSsthresh); // tcp_slow_start()
  });
}

/**
 * Takes an RTT sample, as tcp_ack_update_rtt(): the time from sending what an ACK acknowledged
 * (null when it went more than once, or a cookie stood for it), else the age of the timestamp
 * the ACK echoes, in ms; then the smallest RTT (tcp_update_rtt_min()) and the estimator.
 * @param host the host (clock)
 * @param cpu the CPU
 * @param tp the connection
 * @param seqRttUs the sample from the send time, µs, or null
 * @param tsecr the TS ecr the ACK carried, if any
 */
export function tcpAckUpdateRtt(
  host: InetNet,
  cpu: Cpu,
  tp: TcpSockState,
  seqRttUs: number | null,
  tsecr: number | undefined,
): void {
  let m = seqRttUs;
  if (m === null && tsecr) {
    const delta = (tcpClockMs(host) - ((tsecr - tp.tsOffset) >>> 0)) | 0;
    if (delta >= 0) m = Math.max(1, delta) * 1000;
  }
  if (m === null) return;
  const sample = m;
  host.sim.traced(cpu, "tcp_ack_update_rtt", () => {
    tp.minRttUs = Math.min(tp.minRttUs, sample || 1);
    host.sim.traced(cpu, "tcp_rtt_estimator", () => tcpRttEstimator(tp, sample));
    // tcp_set_rto() sets icsk_rto afresh; RFC 6298: a valid sample resets the backoff
    tp.rtoDoublings = 0;
    tp.backoff = 0;
  });
}

// tcp_rtt_estimator(): Jacobson's estimator in fixed point: srtt moves by an eighth of the
// error, mdev by a quarter; rttvar, what the RTO adds, is at least TCP_RTO_MIN and decays once
// a window of data (rtt_seq) is acknowledged. The first sample sets srtt to it and mdev to twice.
function tcpRttEstimator(tp: TcpSockState, mrttUs: number): void {
  let m = mrttUs;
  let srtt = tp.srttUs8;
  if (srtt !== 0) {
    m -= srtt >> 3;
    srtt += m;
    if (m < 0) {
      m = -m - (tp.mdevUs >> 2);
      if (m > 0) m >>= 3;
    } else m -= tp.mdevUs >> 2;
    tp.mdevUs += m;
    if (tp.mdevUs > tp.mdevMaxUs) {
      tp.mdevMaxUs = tp.mdevUs;
      if (tp.mdevMaxUs > tp.rttvarUs) tp.rttvarUs = tp.mdevMaxUs;
    }
    if (after(tp.sndUna, tp.rttSeq)) {
      if (tp.mdevMaxUs < tp.rttvarUs) tp.rttvarUs -= (tp.rttvarUs - tp.mdevMaxUs) >> 2;
      tp.rttSeq = tp.sndNxt;
      tp.mdevMaxUs = TCP_RTO_MIN_US;
    }
  } else {
    srtt = m * 8;
    tp.mdevUs = m * 2;
    tp.rttvarUs = Math.max(tp.mdevUs, TCP_RTO_MIN_US);
    tp.mdevMaxUs = tp.rttvarUs;
    tp.rttSeq = tp.sndNxt;
  }
  tp.srttUs8 = Math.max(1, srtt);
}

/**
 * What tcp_init_transfer() → tcp_init_metrics() leaves for the RTO: with no RTT sample from the
 * handshake (its SYN or SYN-ACK sent again, or a cookie), TCP_TIMEOUT_FALLBACK (3 s) as the
 * deviation, so the RTO (tcpRto()) and tcpi_rttvar follow from it.
 * @param tp the connection, just established
 */
export function tcpInitMetrics(tp: TcpSockState): void {
  tp.transferInit = true;
  if (tp.srttUs8) return;
  tp.mdevUs = tp.mdevMaxUs = tp.rttvarUs = TCP_TIMEOUT_FALLBACK_US;
}

/**
 * Counts a segment a connection takes, as tcp_segs_in(): a GSO packet by its segments, those
 * with data also in data_segs_in.
 * @param tp the connection
 * @param skb the segment
 * @param s its header
 */
export function tcpSegsIn(tp: TcpSockState, skb: SkBuff, s: TcpSegment): void {
  const segs = Math.max(1, skb.gsoSegs);
  tp.segsIn += segs;
  if (s.dataLen > 0) tp.dataSegsIn += segs;
}

// tcp_rcv_nxt_update(): what rcv_nxt moves by is counted received (bytes_received)
function tcpRcvNxtUpdate(sk: Sock, seq: number): void {
  if (sk.tcp) sk.tcp.bytesReceived += (seq - sk.rcvNxt) >>> 0;
  sk.rcvNxt = seq;
}

// tcp_snd_una_update()
function tcpSndUnaUpdate(tp: TcpSockState, ack: number): void {
  tp.bytesAcked += (ack - tp.sndUna) >>> 0;
  tp.sndUna = ack;
}

// tcp_ack_update_window(): a newer segment (tcp_may_update_window()) sets the peer's window;
// a changed window turns the fast path off and on again with the new value
function tcpAckUpdateWindow(host: InetNet, sk: Sock, tp: TcpSockState, s: TcpSegment): void {
  const nwin = s.flags & TCP_FLAGS.SYN ? s.window : s.window * 2 ** tp.sndWscale;
  const mayUpdate = after(s.ack, tp.sndUna) || after(s.seq, tp.sndWl1) ||
    (s.seq === tp.sndWl1 && (nwin > tp.sndWnd || !nwin));
  if (mayUpdate) {
    tp.sndWl1 = s.seq;
    if (nwin > tp.maxWindow) {
      tp.maxWindow = nwin;
      tcpSyncMss(host, tp);
    }
    if (tp.sndWnd !== nwin) {
      tp.sndWnd = nwin;
      tp.predFlags = 0;
      tcpFastPathCheck(sk, tp);
    }
  }
  tcpSndUnaUpdate(tp, s.ack);
}

/**
 * Takes the ACK that completes a passive open on the new child, as tcp_child_process() →
 * tcp_rcv_state_process() in TCP_SYN_RECV: tcp_ack() (a pure ACK counts TCPPureAcks), then
 * snd_una, the peer's window and the fast path set as the connection becomes ESTABLISHED, and
 * any data the ACK carries queued (tcp_data_queue()).
 * @param host the host
 * @param cpu the CPU
 * @param sk the child
 * @param skb the segment
 * @param s what tcp_v4_rcv() read of it
 * @returns a drop reason, "consumed", or "held" when queued
 */
export function tcpRcvSynRecv(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  skb: SkBuff,
  s: TcpSegment,
): SkbDropReason | "consumed" | "held" {
  tcpSegsIn(sk.tcp!, skb, s); // tcp_child_process()
  skRxQueueSet(sk, skb); // tcp_child_process(): sk_mark_napi_id_set()
  host.sim.enterFn(cpu, "tcp_rcv_state_process", skb.id);
  try {
    const tp = sk.tcp!;
    tp.mstamp = host.sim.now;
    tcpAck(host, cpu, sk, tp, s, true, true);
    tp.sndUna = s.ack;
    tp.sndWnd = s.window * 2 ** tp.sndWscale;
    tp.sndWl1 = s.seq; // tcp_init_wl()
    tcpFastPathOn(tp);
    if (s.dataLen === 0 && !(s.flags & TCP_FLAGS.FIN)) return "consumed";
    const verdict = tcpDataQueue(host, cpu, sk, skb, s);
    if (tp.ackPending.sched) {
      host.sim.traced(cpu, "__tcp_ack_snd_check", () => tcpAckSndCheck(host, cpu, sk));
    }
    return verdict;
  } finally {
    host.sim.exitFn(cpu, "tcp_rcv_state_process", skb.id);
  }
}

// tcp_validate_incoming(): PAWS (tcp_paws_discard()), the sequence window (tcp_sequence(), a
// duplicate ACK for what falls outside), a RST (exactly at rcv_nxt: the connection is reset;
// elsewhere in the window: a challenge ACK), a SYN (a challenge ACK)
function tcpValidateIncoming(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  tp: TcpSockState,
  s: TcpSegment,
): SkbDropReason | "consumed" | null {
  const rst = (s.flags & TCP_FLAGS.RST) !== 0;
  const ts = s.options.timestamp;
  if (tp.tstampOk && ts && !rst && ((tp.tsRecent - ts.tsval) | 0) > 1) {
    host.mib.tcpExt.PAWSEstab++;
    if (!tcpOowRateLimited(host, s, "TCPACKSkippedPAWS", tp)) tcpSendDupack(host, cpu, sk, tp, s);
    return "TCP_RFC7323_PAWS";
  }
  // tcp_sequence() (6.18): data ending past the window is refused unless the queue is empty; a
  // FIN may stick out of it (some stacks send FINs into a shut window: checked later, in
  // tcp_data_queue())
  const fin = s.flags & TCP_FLAGS.FIN ? 1 : 0;
  const endSeq = (s.seq + s.dataLen + fin) >>> 0;
  const limit = (sk.rcvNxt + tcpReceiveWindow(tp, sk.rcvNxt)) >>> 0;
  let seqReason: SkbDropReason | null = null;
  if (before(endSeq, tp.rcvWup)) seqReason = "TCP_OLD_SEQUENCE";
  else if (after(endSeq, limit) && after((endSeq - fin) >>> 0, limit)) {
    if (after(s.seq, limit)) seqReason = "TCP_INVALID_SEQUENCE";
    else if (sk.receiveQueue.length) seqReason = "TCP_INVALID_END_SEQUENCE";
  }
  if (seqReason) {
    if (!rst) {
      if (s.flags & TCP_FLAGS.SYN) return tcpSynChallenge(host, cpu, sk);
      if (seqReason !== "TCP_OLD_SEQUENCE") host.mib.tcpExt.BeyondWindow++;
      if (!tcpOowRateLimited(host, s, "TCPACKSkippedSeq", tp)) tcpSendDupack(host, cpu, sk, tp, s);
    }
    return seqReason;
  }
  if (rst) {
    if (s.seq === sk.rcvNxt) {
      // tcp_reset(), then __kfree_skb(): the RST is consumed, no drop (seen on 6.18)
      tcpReset(host, cpu, sk);
      return "consumed";
    }
    tcpSendChallengeAck(host, cpu, sk);
    return "TCP_RESET";
  }
  if (s.flags & TCP_FLAGS.SYN) return tcpSynChallenge(host, cpu, sk);
  return null;
}

/** The TcpExt counters of ACKs to segments out of window that a rate limit held back. */
export type OowAckSkipped =
  | "TCPACKSkippedSynRecv"
  | "TCPACKSkippedPAWS"
  | "TCPACKSkippedSeq"
  | "TCPACKSkippedFinWait2"
  | "TCPACKSkippedTimeWait"
  | "TCPACKSkippedChallenge";

/**
 * Whether an ACK to a segment out of window must wait, as tcp_oow_rate_limited(): never for a
 * segment that takes sequence space (data or FIN) without SYN, not part of an ACK loop; else as
 * {@linkcode __tcpOowRateLimited}.
 * @param host the host (clock, sysctl, MIB)
 * @param s the segment
 * @param mib the TcpExt counter of skipped ACKs
 * @param holder what keeps last_oow_ack_time: the connection, its timewait sock, or a request
 * @returns true when no ACK goes now
 */
export function tcpOowRateLimited(
  host: InetNet,
  s: TcpSegment,
  mib: OowAckSkipped,
  holder: { lastOowAckTime: number },
): boolean {
  if ((s.dataLen > 0 || s.flags & TCP_FLAGS.FIN) && !(s.flags & TCP_FLAGS.SYN)) return false;
  return __tcpOowRateLimited(host, mib, holder);
}

/**
 * One ACK per tcp_invalid_ratelimit (500 ms) per holder, those skipped counted under `mib`, as
 * __tcp_oow_rate_limited().
 * @param host the host (clock, sysctl, MIB)
 * @param mib the TcpExt counter of skipped ACKs
 * @param holder what keeps last_oow_ack_time (0: no ACK yet)
 * @returns true when no ACK goes now
 */
export function __tcpOowRateLimited(
  host: InetNet,
  mib: OowAckSkipped,
  holder: { lastOowAckTime: number },
): boolean {
  const now = jiffies(host);
  const limit = Math.floor(host.sysctl["net.ipv4.tcp_invalid_ratelimit"] * host.hz / 1000);
  if (holder.lastOowAckTime) {
    const elapsed = (now - holder.lastOowAckTime) | 0;
    if (elapsed >= 0 && elapsed < limit) {
      host.mib.tcpExt[mib]++;
      return true;
    }
  }
  holder.lastOowAckTime = now;
  return false;
}

/**
 * What is left of the window last advertised, as tcp_receive_window().
 * @param tp the connection
 * @param rcvNxt the next sequence number expected
 * @returns bytes, at least 0
 */
export function tcpReceiveWindow(tp: TcpSockState, rcvNxt: number): number {
  const win = (tp.rcvWup + tp.rcvWnd - rcvNxt) | 0;
  return win < 0 ? 0 : win;
}

// A SYN on a connection: TCPSYNChallenge (and, from tcp_rcv_established(), Tcp InErrs), a
// challenge ACK, dropped as TCP_INVALID_SYN
function tcpSynChallenge(host: InetNet, cpu: Cpu, sk: Sock): SkbDropReason {
  if (sk.state === TCP_STATES.ESTABLISHED) host.mib.tcp.InErrs++;
  host.mib.tcpExt.TCPSYNChallenge++;
  tcpSendChallengeAck(host, cpu, sk);
  return "TCP_INVALID_SYN";
}

// tcp_send_challenge_ack(): TCPChallengeACK and an ACK (the per-socket rate limit never bites
// a script's pace)
function tcpSendChallengeAck(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.enterFn(cpu, "tcp_send_challenge_ack");
  host.mib.tcpExt.TCPChallengeACK++;
  tcpSendAck(host, cpu, sk);
  host.sim.exitFn(cpu, "tcp_send_challenge_ack");
}

// tcp_send_dupack(): data already received is a lost ACK (DelayedACKLost, quick-ack mode,
// a D-SACK block); an ACK goes at once
function tcpSendDupack(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  tp: TcpSockState,
  s: TcpSegment,
): void {
  host.sim.enterFn(cpu, "tcp_send_dupack");
  const endSeq = (s.seq + s.dataLen) >>> 0;
  if (s.dataLen && before(s.seq, sk.rcvNxt)) {
    host.mib.tcpExt.DelayedACKLost++;
    tcpEnterQuickackMode(host, tp);
    tcpDsackSet(host, sk, s.seq, endSeq);
  }
  tcpSendAck(host, cpu, sk);
  host.sim.exitFn(cpu, "tcp_send_dupack");
}

// tcp_reset(): the peer reset the connection: the reader sees ECONNRESET, the socket is done
function tcpReset(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "tcp_reset", () => reset(host, cpu, sk));
}

function reset(host: InetNet, cpu: Cpu, sk: Sock): void {
  if (sk.state === TCP_STATES.ESTABLISHED || sk.state === TCP_STATES.CLOSE_WAIT) {
    host.mib.tcp.EstabResets++;
    host.mib.tcp.CurrEstab--;
  }
  // the error a reader or writer gets: the peer had finished sending in CLOSE_WAIT (EPIPE)
  sk.tcp!.error = sk.state === TCP_STATES.CLOSE_WAIT ? "EPIPE" : "ECONNRESET";
  tcpWriteQueuePurge(host, cpu, sk);
  tcpDone(host, sk);
  sockDefReadable(host, cpu, sk); // sk_error_report()
}

// tcp_rcv_state_process() for a socket that sent its FIN: its ACK moves FIN_WAIT1 on to
// FIN_WAIT2 — an orphan with TCP_LINGER2 negative is done and reset (TCPAbortOnData), one with a
// wait up to TCP_TIMEWAIT_LEN becomes a timewait sock in FIN_WAIT2, a longer one keeps its
// socket until the keepalive timer hands it over — CLOSING to TIME_WAIT, and LAST_ACK to the
// end of the connection
function tcpAckOfFin(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  tp: TcpSockState,
  s: TcpSegment,
): { reset: SkbDropReason } | null {
  // snd_una must reach write_seq: a FIN still queued is not acknowledged yet
  if (s.ack !== tp.sndNxt || tp.finQueued) return null;
  // tcp_clean_rtx_queue(): the FIN's skb is freed (tcp_wmem_free_skb())
  if (sk.wmemQueued) skWmemFree(sk, sk.wmemQueued);
  if (sk.state === TCP_STATES.FIN_WAIT1) {
    sk.state = TCP_STATES.FIN_WAIT2;
    if (!tp.dead) return null;
    if (sk.linger2 < 0) {
      tcpDone(host, sk);
      host.mib.tcpExt.TCPAbortOnData++;
      return { reset: "TCP_ABORT_ON_DATA" };
    }
    if (s.dataLen || s.flags & TCP_FLAGS.FIN) return null;
    const tmo = tcpFinTime(host, sk);
    const twLen = TCP_TIMEWAIT_LEN_S * host.hz;
    if (tmo > twLen) tcpResetKeepaliveTimer(host, cpu, sk, tmo - twLen);
    else tcpTimeWait(host, sk, "FIN_WAIT2", tmo);
  } else if (sk.state === TCP_STATES.CLOSING) {
    tcpTimeWait(host, sk, "TIME_WAIT", 0); // both FINs are acknowledged
  } else if (sk.state === TCP_STATES.LAST_ACK) tcpDone(host, sk);
  return null;
}

// tcp_dsack_set(): the first block of the next ACK names the duplicate (TCPDSACKOldSent for
// data before rcv_nxt, TCPDSACKOfoSent for data held out of order)
function tcpDsackSet(host: InetNet, sk: Sock, seq: number, endSeq: number): void {
  if (!sk.tcp?.sackOk || !host.sysctl["net.ipv4.tcp_dsack"]) return;
  if (before(seq, sk.rcvNxt)) host.mib.tcpExt.TCPDSACKOldSent++;
  else host.mib.tcpExt.TCPDSACKOfoSent++;
  sk.tcp!.dsack = [seq, endSeq];
}

// tcp_dsack_extend(): a first duplicate sets the D-SACK block; a later one joins it only when
// they overlap or touch (tcp_sack_extend())
function tcpDsackExtend(host: InetNet, sk: Sock, seq: number, endSeq: number): void {
  const d = sk.tcp!.dsack;
  if (!d) return tcpDsackSet(host, sk, seq, endSeq);
  if (after(seq, d[1]) || after(d[0], endSeq)) return;
  if (before(seq, d[0])) d[0] = seq;
  if (after(endSeq, d[1])) d[1] = endSeq;
}

// tcp_data_queue(): in-order data joins the receive queue (tcp_queue_rcv()), then any held
// segments it makes contiguous (tcp_ofo_queue()) — an ACK goes at once when the hole is
// filled — and the reader is woken; data wholly before rcv_nxt is a duplicate (TCP_OLD_DATA:
// quick-ack mode and a D-SACK); data beyond rcv_nxt waits in the out-of-order queue
// (tcp_data_queue_ofo()).
function tcpDataQueue(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  skb: SkBuff,
  s: TcpSegment,
): SkbDropReason | "held" {
  host.sim.enterFn(cpu, "tcp_data_queue", skb.id);
  const tp = sk.tcp;
  const fin = (s.flags & TCP_FLAGS.FIN) !== 0;
  const endSeq = (s.seq + s.dataLen + (fin ? 1 : 0)) >>> 0;
  let verdict: SkbDropReason | "held" = "held";
  if (tp) tp.dsack = null;
  if (s.seq === sk.rcvNxt || (tp && before(s.seq, sk.rcvNxt) && after(endSeq, sk.rcvNxt))) {
    // a partial packet, seq < rcv_nxt < end_seq: its head is a duplicate (D-SACK), the rest new
    if (tp && s.seq !== sk.rcvNxt) tcpDsackSet(host, sk, s.seq, sk.rcvNxt);
    const len = (endSeq - sk.rcvNxt - (fin ? 1 : 0)) >>> 0;
    if (tp && tcpReceiveWindow(tp, sk.rcvNxt) === 0 && !(len === 0 && fin)) {
      // a closed window takes nothing but a bare FIN (TCPZeroWindowDrop)
      host.mib.tcpExt.TCPZeroWindowDrop++;
      tcpEnterQuickackMode(host, tp);
      host.sim.exitFn(cpu, "tcp_data_queue", skb.id);
      return "TCP_ZEROWINDOW";
    }
    // an empty queue takes the segment whatever its size (sk_forced_mem_schedule()), with no
    // immediate ACK (a too big segment into an empty queue is ACKed late on 6.18); with data
    // queued and no memory even after pruning, a zero-window ACK at once and the segment is
    // dropped (TCPRcvQDrop, PROTO_MEM) — a bare FIN is taken anyway
    if (tp && sk.receiveQueue.length && !tcpTryRmemSchedule(host, cpu, sk, tp, s)) {
      tp.ackPending.nomem = true;
      tp.ackPending.now = true;
      tp.ackPending.sched = true;
      tcpDataReady(host, cpu, sk, tp);
      if (len) {
        host.mib.tcpExt.TCPRcvQDrop++;
        host.sim.exitFn(cpu, "tcp_data_queue", skb.id);
        return "PROTO_MEM";
      }
    }
    skRmemSchedule(sk, skb.truesize);
    verdict = tcpQueueRcv(host, cpu, sk, skb, len, endSeq, fin);
    if (tp && s.dataLen) {
      host.sim.traced(
        cpu,
        "tcp_event_data_recv",
        () => tcpEventDataRecv(host, cpu, sk, tp, skb, s),
        skb.id,
      );
    }
    if (tp && fin) host.sim.traced(cpu, "tcp_fin", () => tcpFin(host, cpu, sk, tp));
    if (sk.outOfOrder.size) {
      host.sim.traced(cpu, "tcp_ofo_queue", () => tcpOfoQueue(host, cpu, sk));
      if (tp && sk.outOfOrder.size === 0) tp.ackPending.now = true;
    }
    if (tp) tp.selectiveAcks = tp.selectiveAcks.filter(([start]) => after(start, sk.rcvNxt));
    if (tp) tcpFastPathCheck(sk, tp);
    if (tp) tcpDataReady(host, cpu, sk, tp);
    else sockDefReadable(host, cpu, sk);
  } else if (!after(endSeq, sk.rcvNxt)) {
    // a retransmission of what was received: an immediate ACK with a D-SACK
    host.mib.tcpExt.DelayedACKLost++;
    if (tp) {
      tcpDsackSet(host, sk, s.seq, endSeq);
      tcpEnterQuickackMode(host, tp);
    }
    verdict = "TCP_OLD_DATA";
  } else if (tp && !before(s.seq, (sk.rcvNxt + tcpReceiveWindow(tp, sk.rcvNxt)) >>> 0)) {
    tcpEnterQuickackMode(host, tp); // out of window, such as a zero-window probe
    verdict = "TCP_OVERWINDOW";
  } else {
    verdict = host.sim.traced(
      cpu,
      "tcp_data_queue_ofo",
      () => tcpDataQueueOfo(host, cpu, sk, skb, s, endSeq),
      skb.id,
    );
  }
  host.sim.exitFn(cpu, "tcp_data_queue", skb.id);
  return verdict;
}

// tcp_can_ingest() (6.18): the queues may take a segment while what they hold (sk_rmem_alloc)
// and its payload (skb->len, not its truesize) stay within sk_rcvbuf — seen on 6.18: 2304 held
// takes 700 more in a 4200-byte buffer, 4608 held takes no 700 more in a 4608-byte one
function tcpCanIngest(sk: Sock, s: TcpSegment): boolean {
  return sk.rmemAlloc + s.dataLen <= sk.rcvbuf;
}

// tcp_try_rmem_schedule(): room for the segment, pruning the queues when it does not fit
// (sk_rmem_schedule() never fails: the protocol's memory limits are not modelled)
function tcpTryRmemSchedule(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  tp: TcpSockState,
  s: TcpSegment,
): boolean {
  if (tcpCanIngest(sk, s)) return true;
  return host.sim.traced(cpu, "tcp_prune_queue", () => tcpPruneQueue(host, sk, tp, s)) === 0;
}

// tcp_prune_queue(): PruneCalled; the window clamped (tcp_clamp_window()); the receive queue
// collapsed into compact skbs (tcp_collapse()); then held segments dropped from the highest
// (tcp_prune_ofo_queue()); if none of it made room, RcvPruned and -1
function tcpPruneQueue(host: InetNet, sk: Sock, tp: TcpSockState, s: TcpSegment): number {
  if (!sk.rmemAlloc) return -1; // 6.18: nothing queued, nothing to prune
  host.mib.tcpExt.PruneCalled++;
  if (!tcpCanIngest(sk, s)) tcpClampWindow(host, sk, tp);
  if (tcpCanIngest(sk, s)) return 0;
  tcpCollapseOfoQueue(host, sk, tp);
  if (sk.receiveQueue.length) tcpCollapse(host, sk, tp);
  if (tcpCanIngest(sk, s)) return 0;
  tcpPruneOfoQueue(host, sk, tp, s);
  if (tcpCanIngest(sk, s)) return 0;
  host.mib.tcpExt.RcvPruned++;
  tp.predFlags = 0;
  return -1;
}

// tcp_clamp_window(): no more quick ACKs; an unlocked buffer grows to what is charged (up to
// tcp_rmem[2]); still over it, rcv_ssthresh drops to two segments
function tcpClampWindow(host: InetNet, sk: Sock, tp: TcpSockState): void {
  tp.quick = 0;
  const rmem2 = host.ipv4.tcpRmem[2];
  if (sk.rcvbuf < rmem2 && !sk.rcvbufLocked) sk.rcvbuf = Math.min(sk.rmemAlloc, rmem2);
  if (sk.rmemAlloc > sk.rcvbuf) tp.rcvSsthresh = Math.min(tp.windowClamp, 2 * tp.advmss);
}

// SKB_MAX_ORDER(0, 0): the most one page holds beside skb_shared_info
const SKB_MAX_ONE_PAGE = 4096 - 320;

// tcp_collapse() on the receive queue: from the first skb that wastes memory (its truesize as
// window more than its length) or was partly read, the data is copied into new skbs of up to a
// page each (alloc_skb(), charged), the old ones freed as they empty (TCPRcvCollapsed); an skb
// with the FIN ends it
function tcpCollapse(host: InetNet, sk: Sock, tp: TcpSockState): void {
  const q = sk.receiveQueue;
  let i = 0;
  for (; i < q.length; i++) {
    const e = q[i];
    if (e.fin) return;
    const offset = e.offset ?? 0;
    if (tcpWinFromSpace(tp.scalingRatio, e.truesize) > e.len + offset || offset > 0) break;
  }
  if (i === q.length) return;
  let end = i;
  let bytes = 0;
  while (end < q.length && !(end > i && q[end].fin)) bytes += q[end++].len;
  let left = q.slice(i).reduce((n, e) => n + e.len, 0);
  const made: typeof q = [];
  let src = i;
  while (bytes > 0) {
    const copy = Math.min(SKB_MAX_ONE_PAGE, left);
    const size = allocSkbSize(copy);
    const n = {
      id: host.sim.ledger.born(),
      truesize: SKB_TRUESIZE(size),
      len: 0,
      arrived: q[src].arrived,
      tailroom: size,
      buf: { dataref: 1 },
      fin: false,
    };
    made.push(n);
    skbSetOwnerR(sk, n.truesize);
    let room = copy;
    while (room > 0 && src < end) {
      const e = q[src];
      const take = Math.min(room, e.len);
      n.len += take;
      n.tailroom -= take;
      e.len -= take;
      room -= take;
      bytes -= take;
      left -= take;
      if (e.len === 0) {
        // tcp_collapse_one()
        sockRfree(sk, e.truesize);
        host.sim.ledger.end({
          skb: e.id,
          kind: "delivered",
          where: "tcp_collapse",
          t: host.sim.now,
        });
        host.mib.tcpExt.TCPRcvCollapsed++;
        src++;
      }
    }
    if (src >= end) break;
  }
  q.splice(i, src - i, ...made);
}

// tcp_collapse_ofo_queue(): each run of held segments without a gap is collapsed as tcp_collapse()
// does, unless it is a single skb of less than a page (tiny ranges are left, up to an eighth
// of the buffer in all)
function tcpCollapseOfoQueue(host: InetNet, sk: Sock, tp: TcpSockState): void {
  let sumTiny = 0;
  for (let i = 0; i < sk.outOfOrder.size;) {
    const q = sk.outOfOrder.values();
    let start = q[i].seq;
    let end = ofoEndSeq(q[i]);
    let rangeTruesize = q[i].truesize;
    let j = i + 1;
    for (; j < q.length; j++) {
      const e = q[j];
      const eEnd = ofoEndSeq(e);
      if (after(e.seq, end) || before(eEnd, start)) break;
      rangeTruesize += e.truesize;
      if (before(e.seq, start)) start = e.seq;
      if (after(eEnd, end)) end = eEnd;
    }
    if (rangeTruesize !== q[i].truesize || ((end - start) >>> 0) >= SKB_MAX_ONE_PAGE) {
      i += collapseHeld(host, sk, tp, i, j, start, end);
    } else {
      sumTiny += rangeTruesize;
      if (sumTiny > sk.rcvbuf >> 3) return;
      i = j;
    }
  }
}

// tcp_collapse() on held segments [from, to) covering [start, end): from the first that wastes
// memory, overlaps the next or starts before `start`, the data goes into new skbs of up to a
// page (charged, each put in the tree as tcp_rbtree_insert() does), the old ones freed as they
// are passed (tcp_collapse_one(): rb_erase(), TCPRcvCollapsed). Returns how many entries the
// range now has.
function collapseHeld(
  host: InetNet,
  sk: Sock,
  tp: TcpSockState,
  from: number,
  to: number,
  start: number,
  end: number,
): number {
  const tree = sk.outOfOrder;
  const q = tree.values();
  const freeOne = (o: OfoSkb) => {
    tree.erase(tree.nodeOf(o));
    sockRfree(sk, o.truesize);
    host.sim.ledger.end({ skb: o.id, kind: "delivered", where: "tcp_collapse", t: host.sim.now });
    host.mib.tcpExt.TCPRcvCollapsed++;
  };
  let k = from;
  const kept: OfoSkb[] = [];
  for (; k < to; k++) {
    const e = q[k];
    const eEnd = ofoEndSeq(e);
    if (!before(start, eEnd)) {
      freeOne(e); // no new bits
      continue;
    }
    const bloated = tcpWinFromSpace(tp.scalingRatio, e.truesize) > e.len;
    const next = k + 1 < to ? q[k + 1] : null;
    if (!e.fin && (bloated || before(e.seq, start))) break;
    if (next && eEnd !== next.seq) break;
    kept.push(e);
    start = eEnd;
  }
  // nothing worth collapsing, or it would start at a FIN: nothing is done
  if (k === to || q[k].fin) return kept.length + to - k;
  const made: OfoSkb[] = [];
  let src = k;
  while (src < to && !q[src].fin && before(start, end)) {
    const copy = Math.min(SKB_MAX_ONE_PAGE, (end - start) >>> 0);
    const size = allocSkbSize(copy);
    const n = {
      seq: start,
      len: 0,
      id: host.sim.ledger.born(),
      truesize: SKB_TRUESIZE(size),
      tailroom: size,
      buf: { dataref: 1 },
      segs: 1,
    };
    made.push(n);
    tree.insertBy(n, (a, b) => before(a.seq, b.seq));
    skbSetOwnerR(sk, n.truesize);
    let room = copy;
    while (room > 0 && src < to) {
      const e = q[src];
      const eEnd = (e.seq + e.len) >>> 0;
      const size = Math.min(room, (eEnd - start) | 0);
      if (size > 0) {
        n.len += size;
        n.tailroom -= size;
        room -= size;
        start = (start + size) >>> 0;
      }
      if (!before(start, eEnd)) {
        freeOne(e);
        src++;
        if (src < to && q[src].fin) break; // a FIN ends the collapse
      }
    }
  }
  return kept.length + made.length;
}

// A held segment's end_seq: its FIN counts
function ofoEndSeq(o: OfoSkb): number {
  return (o.seq + o.len + (o.fin ? 1 : 0)) >>> 0;
}

// tcp_prune_ofo_queue(): held segments go from the highest down (OfoPruned, TCP_OFO_QUEUE_PRUNE)
// an eighth of the buffer at a time until the segment fits, never one after where it lands; the
// SACK state is reset
function tcpPruneOfoQueue(host: InetNet, sk: Sock, tp: TcpSockState, s: TcpSegment): boolean {
  if (!sk.outOfOrder.size) return false;
  host.mib.tcpExt.OfoPruned++;
  let goal = sk.rcvbuf >> 3;
  let pruned = false;
  for (let n = sk.outOfOrder.last(); n; n = sk.outOfOrder.last()) {
    const o = n.value;
    if (after(s.seq, o.seq)) break;
    sk.outOfOrder.erase(n);
    pruned = true;
    goal -= o.truesize;
    sk.drops += o.segs; // tcp_drop_reason()
    sockRfree(sk, o.truesize);
    host.sim.ledger.end({
      skb: o.id,
      kind: "dropped",
      reason: "TCP_OFO_QUEUE_PRUNE",
      where: "tcp_prune_ofo_queue",
      t: host.sim.now,
    });
    if (!sk.outOfOrder.size || goal <= 0) {
      if (tcpCanIngest(sk, s)) break;
      goal = sk.rcvbuf >> 3;
    }
  }
  if (pruned && tp.sackOk) {
    tp.dsack = null;
    tp.selectiveAcks = [];
  }
  return pruned;
}

// tcp_queue_rcv(): in-order data is copied into the tail skb when it continues it and fits the
// room left in its buffer (tcp_try_coalesce() → skb_try_coalesce(): TCPRcvCoalesce, the skb
// freed), else queued and charged to the socket (skb_set_owner_r()); rcv_nxt moves to its end
function tcpQueueRcv(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  skb: SkBuff,
  len: number,
  endSeq: number,
  fin = false,
): "held" {
  host.sim.enterFn(cpu, "tcp_queue_rcv", skb.id);
  const tail = sk.receiveQueue.at(-1);
  // a partial segment (seq before rcv_nxt) does not continue the tail
  const continuesTail = ((endSeq - sk.rcvNxt) >>> 0) >= len;
  if (tail && continuesTail && canCoalesce(tail, len)) {
    tail.len += len;
    tail.tailroom = (tail.tailroom ?? 0) - len;
    if (fin) tail.fin = true;
    host.mib.tcpExt.TCPRcvCoalesce++;
    consumeSkb(host.sim, skb, "tcp_try_coalesce");
  } else {
    sk.receiveQueue.push({
      id: skb.id,
      truesize: skb.truesize,
      len,
      arrived: skb.hwtstamp || skb.born,
      tailroom: skb.tailroom,
      buf: skb,
      fin,
    });
    skbSetOwnerR(sk, skb.truesize);
  }
  tcpRcvNxtUpdate(sk, endSeq);
  host.sim.exitFn(cpu, "tcp_queue_rcv", skb.id);
  return "held";
}

// skb_try_coalesce(): an skb takes a copy of `len` more bytes when its data is its own (not
// cloned) and its buffer has the room
function canCoalesce(to: { tailroom?: number; buf?: { dataref: number } }, len: number): boolean {
  return (to.buf?.dataref ?? 1) === 1 && len <= (to.tailroom ?? 0);
}

// tcp_data_queue_ofo(): held by sequence (TCPOFOQueue), measured as in-order data is
// (tcp_measure_rcv_mss()); a segment wholly inside one held already is dropped (TCPOFOMerge, a
// D-SACK, TCP_OFOMERGE); the SACK blocks take it in (tcp_sack_new_ofo_skb()) and the window may
// grow for it (tcp_grow_window()); an ACK is owed
function tcpDataQueueOfo(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  skb: SkBuff,
  s: TcpSegment,
  endSeq: number,
): SkbDropReason | "held" {
  const tp = sk.tcp;
  if (tp && !tcpTryRmemSchedule(host, cpu, sk, tp, s)) {
    host.mib.tcpExt.TCPOFODrop++;
    return "PROTO_MEM";
  }
  skRmemSchedule(sk, skb.truesize);
  // 6.17 on: held segments measure rcv_mss and the scaling ratio too
  if (tp) tcpMeasureRcvMss(sk, tp, skb, s);
  host.mib.tcpExt.TCPOFOQueue++;
  if (tp) {
    tp.predFlags = 0;
    tp.ackPending.sched = true;
    tp.rcvOoopack += Math.max(1, skb.gsoSegs);
  }
  const verdict = ofoInsert(host, sk, skb, s, endSeq);
  // 6.18: room for the span held out of order, unless nobody has the socket yet (a child not
  // accepted) or any more (an orphan): tcp_rcvbuf_grow() with the share unchanged
  if (tp && !tp.dead && !host.ipv4.tcpSockets.some((l) => l.acceptQueue.includes(sk))) {
    tcpRcvbufGrow(host, cpu, sk, tp.rcvqSpace);
  }
  return verdict;
}

// The OFO queue's insertion, tcp_data_queue_ofo()'s walk down its red-black tree: the first
// segment starts the queue and the SACK list; one that continues the last held is coalesced
// into it; one past it goes after it; else the walk from the root, handling overlaps on the
// way — dropped when held already (TCPOFOMerge, a D-SACK), a D-SACK for a partial overlap (and
// on), taking the place of a held one with the same start — then merge_right: held segments
// it covers are dropped, one it overlaps is D-SACKed
function ofoInsert(
  host: InetNet,
  sk: Sock,
  skb: SkBuff,
  s: TcpSegment,
  endSeq: number,
): SkbDropReason | "held" {
  const tp = sk.tcp;
  const q = sk.outOfOrder;
  const entry: OfoSkb = {
    seq: s.seq,
    len: s.dataLen,
    id: skb.id,
    truesize: skb.truesize,
    tailroom: skb.tailroom,
    buf: skb,
    fin: (s.flags & TCP_FLAGS.FIN) !== 0,
    segs: Math.max(1, skb.gsoSegs),
  };
  // tcp_ooo_try_coalesce(): a segment that continues a held one is copied into its room
  const coalesce = (to: OfoSkb) => {
    if (to.fin || ofoEnd(to) !== s.seq || !canCoalesce(to, s.dataLen)) return false;
    to.len += s.dataLen;
    to.tailroom -= s.dataLen;
    to.segs += entry.segs;
    if (entry.fin) to.fin = true;
    host.mib.tcpExt.TCPRcvCoalesce++;
    // with SACK the window may grow for it (without, it stays to force duplicate ACKs)
    if (tp?.sackOk) tcpGrowWindow(host, sk, tp, skb, s.dataLen);
    consumeSkb(host.sim, skb, "tcp_data_queue_ofo");
    return true;
  };
  const last = q.last(); // ooo_last_skb
  if (!last) {
    q.insertColor(q.link(entry, null, true));
    if (tp?.sackOk) tp.selectiveAcks = [[s.seq, endSeq]]; // the initial SACK block
  } else {
    if (coalesce(last.value)) return ofoAddSack(sk, s.seq, endSeq);
    let parent: RbNode<OfoSkb> | null = last;
    let left = false;
    let node: RbNode<OfoSkb> | null = null;
    if (before(s.seq, ofoEnd(last.value))) {
      parent = null;
      for (let n = q.root; n;) {
        parent = n;
        const o = n.value;
        if (before(s.seq, o.seq)) {
          left = true;
          n = n.left;
          continue;
        }
        if (before(s.seq, ofoEnd(o))) {
          if (!after(endSeq, ofoEnd(o))) {
            // all the bits are present: dropped
            host.mib.tcpExt.TCPOFOMerge++;
            tcpDsackSet(host, sk, s.seq, endSeq);
            ofoAddSack(sk, s.seq, endSeq);
            return "TCP_OFOMERGE";
          }
          if (after(s.seq, o.seq)) tcpDsackSet(host, sk, s.seq, ofoEnd(o)); // partial overlap
          else {
            // the same start, more data: the segment takes the held one's place
            node = q.replace(n, entry);
            tcpDsackExtend(host, sk, o.seq, ofoEnd(o));
            ofoDrop(host, sk, o, "tcp_data_queue_ofo");
            break;
          }
        } else if (coalesce(o)) return ofoAddSack(sk, s.seq, endSeq);
        left = false;
        n = n.right;
      }
    }
    if (!node) {
      node = q.link(entry, parent, left);
      q.insertColor(node);
    }
    // merge_right: held segments the new one covers are dropped; one it overlaps is D-SACKed
    for (let next = q.next(node); next && after(endSeq, next.value.seq); next = q.next(node)) {
      const o = next.value;
      if (before(endSeq, ofoEnd(o))) {
        tcpDsackExtend(host, sk, o.seq, endSeq);
        break;
      }
      q.erase(next);
      tcpDsackExtend(host, sk, o.seq, ofoEnd(o));
      ofoDrop(host, sk, o, "tcp_data_queue_ofo");
    }
    ofoAddSack(sk, s.seq, endSeq);
  }
  // for a SACK flow the window may grow; without SACK it stays, to force duplicate ACKs
  if (tp?.sackOk) tcpGrowWindow(host, sk, tp, skb, s.dataLen);
  skbSetOwnerR(sk, skb.truesize);
  return "held";
}

// The end of a held segment's sequence space, its FIN included
function ofoEnd(o: OfoSkb): number {
  return (o.seq + o.len + (o.fin ? 1 : 0)) >>> 0;
}

// add_sack: tcp_sack_new_ofo_skb() for a SACK flow
function ofoAddSack(sk: Sock, seq: number, endSeq: number): "held" {
  if (sk.tcp?.sackOk) tcpSackNewOfoSkb(sk.tcp, seq, endSeq);
  return "held";
}

// A held segment a new one made redundant: dropped (TCPOFOMerge, TCP_OFOMERGE, sk_drops)
function ofoDrop(host: InetNet, sk: Sock, o: OfoSkb, where: string): void {
  host.mib.tcpExt.TCPOFOMerge++;
  sk.drops += o.segs;
  sockRfree(sk, o.truesize);
  host.sim.ledger.end({
    skb: o.id,
    kind: "dropped",
    reason: "TCP_OFOMERGE",
    where,
    t: host.sim.now,
  });
}

/**
 * Whether a reader waiting for `target` bytes may go on, as tcp_epollin_ready(): something is
 * there, and either as much as the target, or the buffer is nearly full (tcp_rmem_pressure(),
 * seven eighths), or the window left is no more than a segment.
 * @param sk the socket
 * @param target bytes wanted (sk_rcvlowat)
 * @returns true when readable
 */
export function tcpEpollinReady(sk: Sock, target: number): boolean {
  const tp = sk.tcp!;
  const avail = (sk.rcvNxt - tp.copiedSeq) | 0;
  if (avail <= 0) return false;
  const pressure = sk.rmemAlloc > sk.rcvbuf - (sk.rcvbuf >> 3);
  const window = Math.max(0, (tp.rcvWup + tp.rcvWnd - sk.rcvNxt) | 0);
  return avail >= target || pressure || window <= tp.rcvMss;
}

// tcp_data_ready(): the reader is woken once SO_RCVLOWAT's bytes are there, or at the end
function tcpDataReady(host: InetNet, cpu: Cpu, sk: Sock, tp: TcpSockState): void {
  host.sim.enterFn(cpu, "tcp_data_ready");
  if (tcpEpollinReady(sk, sk.rcvlowat) || tp.finReceived) sockDefReadable(host, cpu, sk);
  host.sim.exitFn(cpu, "tcp_data_ready");
}

// tcp_fin(): the peer is done sending: an ACK is owed, the socket moves to CLOSE_WAIT and to
// pingpong mode (no more quick ACKs) — or, having sent its own FIN, acknowledges at once (with
// the SACK blocks it still has: measured on 6.18) and moves to CLOSING or TIME_WAIT; a reader
// now sees the end of the stream. Then anything held beyond the FIN is dropped and the SACK
// state reset (tcp_sack_reset(): no D-SACK either)
function tcpFin(host: InetNet, cpu: Cpu, sk: Sock, tp: TcpSockState): void {
  tp.ackPending.sched = true;
  tp.finReceived = true;
  if (sk.state === TCP_STATES.ESTABLISHED) {
    sk.state = TCP_STATES.CLOSE_WAIT; // still counted in CurrEstab
    tp.pingpong = true;
  } else if (sk.state === TCP_STATES.FIN_WAIT1) {
    // a simultaneous close: the peer's FIN is acknowledged at once (its SACK blocks still
    // there), ours is not yet
    tcpSendAck(host, cpu, sk);
    sk.state = TCP_STATES.CLOSING;
  } else if (sk.state === TCP_STATES.FIN_WAIT2) {
    // the ACK at once, then tcp_time_wait() for the 60 s wait
    tcpSendAck(host, cpu, sk);
    tcpTimeWait(host, sk, "TIME_WAIT", 0);
  }
  // what is held after the FIN is dropped, and the SACK blocks with it (tcp_sack_reset())
  const held = sk.outOfOrder.values();
  sk.outOfOrder.clear(); // skb_rbtree_purge()
  for (const o of held) {
    sockRfree(sk, o.truesize);
    host.sim.ledger.end({
      skb: o.id,
      kind: "dropped",
      reason: "NOT_SPECIFIED",
      where: "tcp_fin",
      t: host.sim.now,
    });
  }
  if (tp.sackOk) {
    tp.dsack = null;
    tp.selectiveAcks = [];
  }
}

// tcp_ofo_queue(): held segments that now follow rcv_nxt join the receive queue, or the tail skb
// when they fit its room; those wholly
// covered already go (TCP_OFO_DROP)
function tcpOfoQueue(host: InetNet, cpu: Cpu, sk: Sock): void {
  // held data the new segment already brought is a duplicate: D-SACK it, up to where the
  // segment ended (dsack_high)
  const dsackHigh = sk.rcvNxt;
  for (let n = sk.outOfOrder.first(); n && !after(n.value.seq, sk.rcvNxt);) {
    const o = n.value;
    sk.outOfOrder.erase(n);
    n = sk.outOfOrder.first();
    const dataEnd = (o.seq + o.len) >>> 0;
    const end = (dataEnd + (o.fin ? 1 : 0)) >>> 0;
    if (sk.tcp?.sackOk && before(o.seq, dsackHigh)) {
      tcpDsackExtend(host, sk, o.seq, before(end, dsackHigh) ? end : dsackHigh);
    }
    const tail = sk.receiveQueue.at(-1);
    if (!after(end, sk.rcvNxt)) {
      // tcp_drop_reason(): counted in sk_drops
      sk.drops += o.segs;
      sockRfree(sk, o.truesize);
      host.sim.ledger.end({
        skb: o.id,
        kind: "dropped",
        reason: "TCP_OFO_DROP",
        where: "tcp_ofo_queue",
        t: host.sim.now,
      });
      continue;
    }
    if (tail && o.seq === sk.rcvNxt && canCoalesce(tail, o.len)) {
      // tcp_try_coalesce() into the tail; the held skb is freed, its charge released
      tail.len += o.len;
      tail.tailroom = (tail.tailroom ?? 0) - o.len;
      if (o.fin) tail.fin = true;
      host.mib.tcpExt.TCPRcvCoalesce++;
      sockRfree(sk, o.truesize);
      host.sim.ledger.end({
        skb: o.id,
        kind: "delivered",
        where: "tcp_ofo_queue",
        t: host.sim.now,
      });
      tcpRcvNxtUpdate(sk, end);
    } else {
      sk.receiveQueue.push({
        id: o.id,
        truesize: o.truesize,
        len: (dataEnd - sk.rcvNxt) >>> 0,
        arrived: host.sim.now,
        tailroom: o.tailroom,
        buf: o.buf,
        fin: o.fin,
      });
      tcpRcvNxtUpdate(sk, end);
    }
    // a held FIN ends the stream (tcp_fin() purges what is held after it)
    if (o.fin && sk.tcp) {
      const tp = sk.tcp;
      host.sim.traced(cpu, "tcp_fin", () => tcpFin(host, cpu, sk, tp));
      break;
    }
  }
}

// tcp_sack_new_ofo_skb(): a block the segment extends grows and moves first, taking in any other
// it now overlaps (tcp_sack_maybe_coalesce()); else a new block goes first (at most 4 kept)
function tcpSackNewOfoSkb(tp: TcpSockState, seq: number, endSeq: number): void {
  const blocks = tp.selectiveAcks;
  const i = blocks.findIndex(([a, b]) => !after(seq, b) && !after(a, endSeq));
  if (i >= 0) {
    const [a, b] = blocks.splice(i, 1)[0];
    const first: [number, number] = [before(seq, a) ? seq : a, after(endSeq, b) ? endSeq : b];
    for (let j = 0; j < blocks.length;) {
      const [c, d] = blocks[j];
      if (!after(c, first[1]) && !after(first[0], d)) {
        if (before(c, first[0])) first[0] = c;
        if (after(d, first[1])) first[1] = d;
        blocks.splice(j, 1);
      } else j++;
    }
    blocks.unshift(first);
  } else {
    blocks.unshift([seq, endSeq]);
    if (blocks.length > 4) blocks.pop();
  }
}

// tcp_incr_quickack(): up to `max` quick ACKs, one per two segments of the window
function tcpIncrQuickack(tp: TcpSockState, max: number): void {
  let quickacks = Math.floor(tp.rcvWnd / (2 * tp.rcvMss));
  if (quickacks === 0) quickacks = 2;
  quickacks = Math.min(quickacks, max);
  if (quickacks > tp.quick) tp.quick = quickacks;
}

// tcp_enter_quickack_mode(): quick ACKs again, pingpong mode off, ato back to its minimum
function tcpEnterQuickackMode(host: InetNet, tp: TcpSockState): void {
  tcpIncrQuickack(tp, TCP_MAX_QUICKACKS);
  tp.pingpong = false;
  tp.ato = tcpAtoMin(host.hz);
  tp.ackPending.sched = true;
}

// tcp_set_window_clamp(): a lower clamp takes rcv_ssthresh down with it; a higher one lets
// it rise to the window offered
function tcpSetWindowClamp(tp: TcpSockState, val: number): void {
  const old = tp.windowClamp;
  const clamp = Math.max(SOCK_MIN_RCVBUF >> 1, val);
  if (clamp === old) return;
  tp.windowClamp = clamp;
  if (clamp < old) tp.rcvSsthresh = Math.min(tp.rcvSsthresh, clamp);
  else tp.rcvSsthresh = Math.max(Math.min(tp.rcvWnd, clamp), tp.rcvSsthresh);
}

// tcp_measure_rcv_mss(): a segment at least as large as rcv_mss sets it (and, when the size
// changes, the scaling ratio from its len/truesize, which resets the window clamp to the
// buffer's window); smaller ones count only if two in a row have the same size; a small
// segment marks the ACK "pushed"
function tcpMeasureRcvMss(sk: Sock, tp: TcpSockState, skb: SkBuff, s: TcpSegment): void {
  const lss = tp.lastSegSize;
  tp.lastSegSize = 0;
  // a GSO packet counts in its segment size (skb_shinfo()->gso_size ?: skb->len)
  let len = skb.gsoSize || s.dataLen;
  if (len >= tp.rcvMss) {
    if (len !== tp.rcvMss) {
      const old = tp.scalingRatio;
      tp.scalingRatio = Math.floor(s.dataLen * 256 / skb.truesize) || 1;
      if (old !== tp.scalingRatio) {
        tcpSetWindowClamp(tp, tcpWinFromSpace(tp.scalingRatio, sk.rcvbuf));
        if (tp.windowClamp < tp.rcvqSpace) tp.rcvqSpace = tp.windowClamp;
      }
    }
    tp.rcvMss = Math.min(len, tp.advmss);
    if (s.flags & TCP_FLAGS.PSH) tp.ackPending.pushed = true;
    return;
  }
  len += s.doff;
  const remnant = s.flags & (TCP_FLAGS.FIN | TCP_FLAGS.URG | TCP_FLAGS.SYN | TCP_FLAGS.PSH);
  if (len >= 536 + 20 || (len >= TCP_MIN_MSS + 20 && !remnant)) {
    len -= tp.tcpHeaderLen;
    tp.lastSegSize = len;
    if (len === lss) {
      tp.rcvMss = len;
      return;
    }
  }
  if (tp.ackPending.pushed) tp.ackPending.pushed2 = true;
  tp.ackPending.pushed = true;
}

// tcp_grow_window(): while the window is below its clamp and the buffer, a segment whose
// truesize the buffer can carry raises rcv_ssthresh by two segments (or twice its length);
// a quick ACK follows
function tcpGrowWindow(host: InetNet, sk: Sock, tp: TcpSockState, skb: SkBuff, len: number): void {
  const space = tcpWinFromSpace(tp.scalingRatio, sk.rcvbuf - sk.rmemAlloc);
  const room = Math.min(tp.windowClamp, space) - tp.rcvSsthresh;
  if (room <= 0) return;
  let incr: number;
  if (tcpWinFromSpace(tp.scalingRatio, skb.truesize) <= len) incr = 2 * tp.advmss;
  else {
    // __tcp_grow_window()
    let truesize = tcpWinFromSpace(tp.scalingRatio, skb.truesize) >> 1;
    let window = tcpWinFromSpace(tp.scalingRatio, host.ipv4.tcpRmem[2]) >> 1;
    incr = 0;
    while (tp.rcvSsthresh <= window) {
      if (truesize <= len) {
        incr = 2 * tp.rcvMss;
        break;
      }
      truesize >>= 1;
      window >>= 1;
    }
  }
  if (!incr) return;
  incr = Math.max(incr, 2 * len);
  tp.rcvSsthresh += Math.min(room, incr);
  tp.quick |= 1;
}

// tcp_rcv_rtt_update() (6.16 on): the receiver's RTT, µs << 3; a lower sample is taken at
// once; a higher one only from timestamps, and only with nothing unread, moving it by an
// eighth of the difference
function tcpRcvRttUpdate(sk: Sock, tp: TcpSockState, sampleUs: number, winDep: boolean): void {
  const old = tp.rcvRttUs8;
  const m = sampleUs * 8;
  if (old === 0 || m < old) tp.rcvRttUs8 = m;
  else if (!winDep && sk.rcvNxt === tp.copiedSeq) tp.rcvRttUs8 = old - (old >> 3) + sampleUs;
}

/**
 * Grows the receive buffer for a reader's new share, as tcp_rcvbuf_grow() (6.18): the share
 * becomes `newval`; unless autotuning is off (tcp_moderate_rcvbuf 0) or SO_RCVBUF locked the
 * buffer, room for twice the share (DRS is an RTT late), twice more in proportion to its growth
 * (slow start), and the span held out of order, up to tcp_rmem[2]; the window clamp follows.
 * @param host the host
 * @param cpu the CPU
 * @param sk the connection
 * @param newval the new share, bytes
 */
export function tcpRcvbufGrow(host: InetNet, cpu: Cpu, sk: Sock, newval: number): void {
  host.sim.traced(cpu, "tcp_rcvbuf_grow", () => rcvbufGrow(host, sk, newval));
}

function rcvbufGrow(host: InetNet, sk: Sock, newval: number): void {
  const tp = sk.tcp!;
  const oldval = tp.rcvqSpace;
  tp.rcvqSpace = newval;
  if (!host.sysctl["net.ipv4.tcp_moderate_rcvbuf"] || sk.rcvbufLocked) return;
  let rcvwin = newval * 2;
  rcvwin += 2 * Math.floor(rcvwin * (newval - oldval) / oldval);
  const last = sk.outOfOrder.values().reduce<number | null>(
    (m, o) => {
      const end = (o.seq + o.len + (o.fin ? 1 : 0)) >>> 0;
      return m === null || after(end, m) ? end : m;
    },
    null,
  );
  if (last !== null) rcvwin += (last - sk.rcvNxt) >>> 0;
  const rcvbuf = Math.min(Math.floor(rcvwin * 256 / tp.scalingRatio), host.ipv4.tcpRmem[2]);
  if (rcvbuf > sk.rcvbuf) {
    sk.rcvbuf = rcvbuf;
    tp.windowClamp = tcpWinFromSpace(tp.scalingRatio, rcvbuf);
  }
}

// tcp_rcv_rtt_measure(): the time a window's worth of data takes to come
function tcpRcvRttMeasure(host: InetNet, sk: Sock, tp: TcpSockState): void {
  const est = tp.rcvRttEst;
  if (est.time !== 0) {
    if (before(sk.rcvNxt, est.seq)) return;
    tcpRcvRttUpdate(
      sk,
      tp,
      Math.max(1, Math.round((host.sim.now - est.time) / 1000)),
      true,
    );
  }
  tp.rcvRttEst = { seq: (sk.rcvNxt + tp.rcvWnd) >>> 0, time: host.sim.now };
}

// tcp_rcv_rtt_measure_ts(): a full segment while the last echoed TS val of ours (rcv_tsecr,
// kept from an earlier segment if this one has none) was not used before gives a sample, in
// the timestamp's milliseconds; a zero sample is none (6.16)
function tcpRcvRttMeasureTs(host: InetNet, sk: Sock, tp: TcpSockState, s: TcpSegment): void {
  const tsecr = tp.rcvTsecr;
  if (tsecr === tp.rcvRttLastTsecr) return;
  tp.rcvRttLastTsecr = tsecr;
  if (s.dataLen < tp.rcvMss) return;
  const delta = (tcpClockMs(host) + tp.tsOffset - tsecr) | 0;
  if (delta > 0) tcpRcvRttUpdate(sk, tp, delta * 1000, false);
}

// tcp_event_data_recv(): an ACK is owed; tcp_measure_rcv_mss(); the first data starts the
// delayed-ACK engine in quick-ack mode, later data tunes ato to the gaps between segments
// (jiffies); a segment of 128 bytes or more may grow the window
function tcpEventDataRecv(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  tp: TcpSockState,
  skb: SkBuff,
  s: TcpSegment,
): void {
  tp.ackPending.sched = true;
  host.sim.traced(
    cpu,
    "tcp_measure_rcv_mss",
    () => tcpMeasureRcvMss(sk, tp, skb, s),
  );
  tcpRcvRttMeasure(host, sk, tp);
  const now = jiffies(host);
  const atoMin = tcpAtoMin(host.hz);
  const rto = tcpRto(host, tp);
  if (!tp.ato) {
    tcpIncrQuickack(tp, TCP_MAX_QUICKACKS);
    tp.ato = atoMin;
  } else {
    const m = now - tp.lrcvtime;
    if (m <= atoMin >> 1) tp.ato = (tp.ato >> 1) + (atoMin >> 1);
    else if (m < tp.ato) tp.ato = Math.min((tp.ato >> 1) + m, rto, tcpDelackMax(host.hz));
    else if (m > rto) tcpIncrQuickack(tp, TCP_MAX_QUICKACKS);
  }
  tp.lrcvtime = now;
  if (s.dataLen >= 128) {
    host.sim.traced(
      cpu,
      "tcp_grow_window",
      () => tcpGrowWindow(host, sk, tp, skb, s.dataLen),
    );
  }
}

// __tcp_ack_snd_check(): ACK now for more than one full-sized segment not yet acknowledged
// (when the window would not shrink), in quick-ack mode, or when asked to (ICSK_ACK_NOW); with
// nothing held out of order, arm the delayed ACK; with a hole, the first three duplicate ACKs
// go at once (dup_ack_counter), later ones wait for the compressed-SACK timer.
function tcpAckSndCheck(host: InetNet, cpu: Cpu, sk: Sock): void {
  const tp = sk.tcp!;
  if (!tp.ackPending.sched) return;
  const unacked = (sk.rcvNxt - tp.rcvWup) >>> 0;
  const rcvlowatMissed = ((sk.rcvNxt - tp.copiedSeq) >>> 0) < sk.rcvlowat;
  if (
    (unacked > tp.rcvMss && (rcvlowatMissed || __tcpSelectWindow(sk) >= tp.rcvWnd)) ||
    (tp.quick > 0 && !tp.pingpong) || tp.ackPending.now
  ) {
    tcpSendAck(host, cpu, sk);
    return;
  }
  if (sk.outOfOrder.size === 0) {
    tcpSendDelayedAck(host, cpu, sk);
    return;
  }
  if (!tp.sackOk) {
    tcpSendAck(host, cpu, sk);
    return;
  }
  if (tp.compressedAckRcvNxt !== sk.rcvNxt) {
    tp.compressedAckRcvNxt = sk.rcvNxt;
    tp.dupAckCounter = 0;
  }
  if (tp.dupAckCounter < 3) {
    tp.dupAckCounter++;
    tcpSendAck(host, cpu, sk);
    return;
  }
  tcpCompressAck(host, cpu, sk, tp);
}

// The rest of __tcp_ack_snd_check(): past tcp_comp_sack_nr (44) held back, send; else hold it
// for the compressed-SACK hrtimer — 5 % of the receiver's RTT, at most tcp_comp_sack_delay_ns
// (1 ms), firing at the end of its 100 µs of slack — and let it send the ACK
function tcpCompressAck(host: InetNet, cpu: Cpu, sk: Sock, tp: TcpSockState): void {
  if (tp.compressedAck >= host.sysctl["net.ipv4.tcp_comp_sack_nr"]) {
    tcpSendAck(host, cpu, sk);
    return;
  }
  tp.compressedAck++;
  if (tp.compressedAckAt >= 0) return;
  let rtt = tp.rcvRttUs8;
  if (tp.srttUs8 && tp.srttUs8 < rtt) rtt = tp.srttUs8;
  const sysctl = host.sysctl;
  const delay = Math.min(
    sysctl["net.ipv4.tcp_comp_sack_delay_ns"],
    Math.floor(rtt * (1000 >> 3) / 20),
  );
  // the hrtimer's range: a lone timer fires at its end, when the clock event programmed for its
  // hard expiry goes off
  const at = host.sim.now + delay + sysctl["net.ipv4.tcp_comp_sack_slack_ns"];
  tp.compressedAckAt = at;
  host.sim.at(at, () => {
    if (tp.compressedAckAt !== at) return;
    tp.compressedAckAt = -1;
    if (tp.compressedAck && sk.state !== TCP_STATES.CLOSE) tcpSendAck(host, cpu, sk);
  });
}
