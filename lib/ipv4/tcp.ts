// Models the socket side of net/ipv4/tcp.c (Linux 6.18): tcp_recvmsg() copying bytes out of
// the receive queue, freeing what it has read and uncharging it, then tcp_cleanup_rbuf()
// sending an ACK when the window can open by half or more; tcp_poll(), tcp_inq();
// tcp_shutdown() and tcp_close(): a FIN, or a reset when unread data is thrown away.

import type { InetNet } from "./netns_ipv4.ts";
import {
  lockSock,
  releaseSock,
  skWmemQueue,
  type Sock,
  sockRfree,
  TCP_STATES,
} from "../core/sock.ts";
import type { Cpu } from "../sim/cpu.ts";
import { tcpEpollinReady } from "./tcp_input.ts";
import { sockDefReadable } from "./udp.ts";
import {
  __tcpSelectWindow,
  TCP_INIT_CWND,
  tcpAdvmss,
  tcpDelackMaxOfSock,
  tcpRto,
  tcpSendAck,
  tcpSendActiveReset,
} from "./tcp_output.ts";
import { jiffies } from "../kernel/timer.ts";
import { tcpRcvbufGrow } from "./tcp_input.ts";
import { tcpPacketsOut, tcpPushPendingFrames, tcpWriteQueuePurge } from "./tcp_timer.ts";

/** -EAGAIN: nothing to read yet (a blocking reader sleeps in sk_wait_data()). */
export const EAGAIN = 11;
/** -ECONNRESET: the peer reset the connection. */
export const ECONNRESET = 104;
/** -EPIPE: the peer reset a connection it had finished sending on (CLOSE_WAIT). */
export const EPIPE = 32;
/** -ENOTCONN: the socket is not connected. */
export const ENOTCONN = 107;
/** -ETIMEDOUT: the connection gave up retransmitting (tcp_write_err()). */
export const ETIMEDOUT = 110;

/**
 * Reads up to `len` bytes, as recvfrom() → __sys_recvfrom() → sock_recvmsg() →
 * inet_recvmsg() → tcp_recvmsg() → tcp_recvmsg_locked(): nothing until min(SO_RCVLOWAT, len)
 * bytes are there (or the end of the stream); each piece is copied (skb_copy_datagram_iter())
 * and measured (tcp_rcv_space_adjust()); whole skbs are freed as they are used up
 * (tcp_eat_recv_skb(), the ledger's "delivered"), a partly read one stays with its offset;
 * then tcp_cleanup_rbuf(); all under lock_sock(), so release_sock() then takes what the backlog
 * gathered meanwhile. A blocking reader that finds nothing goes to sleep in sk_wait_data()
 * (the caller sleeps on the socket's wait queue until sock_def_readable() wakes it).
 * @param host the host
 * @param cpu the CPU the reader runs on
 * @param sk an established socket
 * @param len the buffer size
 * @param nonblock O_NONBLOCK or MSG_DONTWAIT: return -EAGAIN rather than wait
 * @param peek MSG_PEEK: copy from copied_seq on without taking anything (a peek_seq of its own)
 * @returns bytes read; 0 at end of stream; -EAGAIN when nothing is there yet; -ECONNRESET
 *   after a reset; -ETIMEDOUT after the retransmissions gave up
 */
export function tcpRecvmsg(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  len: number,
  nonblock = false,
  peek = false,
): number {
  const sim = host.sim;
  const calls = ["__sys_recvfrom", "sock_recvmsg", "inet_recvmsg", "tcp_recvmsg"];
  for (const fn of calls) sim.enterFn(cpu, fn);
  const held = sk.ownedByUser;
  lockSock(sk);
  let released = false;
  try {
    return sim.traced(cpu, "tcp_recvmsg_locked", () => {
      const n = recvmsg(host, cpu, sk, len, peek);
      // sk_wait_data() → sk_wait_event(): the socket is released (its backlog processed) for
      // the sleep that follows
      if (n === -EAGAIN && !nonblock && !held) {
        sim.traced(cpu, "sk_wait_data", () => releaseSock(host, cpu, sk));
        released = true;
      }
      return n;
    });
  } finally {
    if (!held && !released) releaseSock(host, cpu, sk);
    for (const fn of calls.reverse()) sim.exitFn(cpu, fn);
  }
}

function recvmsg(host: InetNet, cpu: Cpu, sk: Sock, len: number, peek: boolean): number {
  const tp = sk.tcp!;
  // sock_rcvlowat(): a reader returns once it has min(SO_RCVLOWAT, len) bytes, or at the end
  const target = Math.min(sk.rcvlowat, len);
  const avail = (sk.rcvNxt - tp.copiedSeq - (tp.finReceived ? 1 : 0)) | 0;
  const done = tp.finReceived || tp.recvShutdown || tp.error;
  if (avail < target && !done && !tcpEpollinReady(sk, sk.rcvlowat)) return -EAGAIN;
  let copied = 0;
  // MSG_PEEK: the pieces are copied and measured, none eaten, copied_seq left where it is
  for (const q of peek ? sk.receiveQueue : []) {
    if (copied >= len) break;
    copied += Math.min(len - copied, q.len);
    host.sim.traced(cpu, "skb_copy_datagram_iter", () => {});
    host.sim.traced(cpu, "tcp_rcv_space_adjust", () => tcpRcvSpaceAdjust(host, cpu, sk));
  }
  while (!peek && copied < len && sk.receiveQueue.length) {
    const q = sk.receiveQueue[0];
    const take = Math.min(len - copied, q.len);
    copied += take;
    q.len -= take;
    q.offset = (q.offset ?? 0) + take;
    tp.copiedSeq = (tp.copiedSeq + take) >>> 0;
    host.sim.traced(cpu, "skb_copy_datagram_iter", () => {});
    if (q.len === 0) {
      sk.receiveQueue.shift();
      sockRfree(sk, q.truesize);
      host.sim.ledger.end({ skb: q.id, kind: "delivered", where: "tcp_recvmsg", t: host.sim.now });
    }
    // 6.18 measures the reader after every piece it copies (seen: one tcp_rcv_space_adjust
    // event per piece, a partly read skb included)
    host.sim.traced(cpu, "tcp_rcv_space_adjust", () => tcpRcvSpaceAdjust(host, cpu, sk));
  }
  tcpCleanupRbuf(host, cpu, sk, copied);
  if (copied) return copied;
  // tcp_recvmsg_locked(): the peer's FIN (SOCK_DONE) first, then the error — reported once:
  // sock_error() clears it — then RCV_SHUTDOWN
  if (tp.finReceived) return 0;
  const error = tp.error;
  if (error === "ECONNRESET" || error === "EPIPE" || error === "ETIMEDOUT") {
    tp.error = null;
    return error === "ECONNRESET" ? -ECONNRESET : error === "EPIPE" ? -EPIPE : -ETIMEDOUT;
  }
  return tp.recvShutdown ? 0 : -EAGAIN;
}

// __tcp_cleanup_rbuf(): after a read, an owed ACK goes if more than one segment is
// unacknowledged, or if the read emptied the buffer after a small ("pushed") segment (twice
// pushed, or once outside pingpong mode); else an ACK goes when the window on offer is at most
// half the clamp and the free space would at least double it (a window update)
function tcpCleanupRbuf(host: InetNet, cpu: Cpu, sk: Sock, copied: number): void {
  host.sim.traced(cpu, "__tcp_cleanup_rbuf", () => cleanupRbuf(host, cpu, sk, copied));
}

function cleanupRbuf(host: InetNet, cpu: Cpu, sk: Sock, copied: number): void {
  const tp = sk.tcp!;
  let timeToAck = false;
  if (tp.ackPending.sched) {
    const unacked = (sk.rcvNxt - tp.rcvWup) >>> 0;
    const pushed = tp.ackPending.pushed2 || (tp.ackPending.pushed && !tp.pingpong);
    timeToAck = unacked > tp.rcvMss || (copied > 0 && pushed && sk.rmemAlloc === 0);
  }
  if (copied > 0 && !timeToAck && !tp.finReceived) {
    const rcvWindowNow = Math.max(0, (tp.rcvWup + tp.rcvWnd - sk.rcvNxt) | 0);
    if (2 * rcvWindowNow <= tp.windowClamp) {
      const newWindow = __tcpSelectWindow(sk);
      if (newWindow && newWindow >= 2 * rcvWindowNow) timeToAck = true;
    }
  }
  if (timeToAck) tcpSendAck(host, cpu, sk);
}

/**
 * The truesize of the skb tcp_send_fin() allocates for a FIN alone (tcp_stream_alloc_skb()),
 * 832 bytes: seen on 6.18 as SK_MEMINFO_WMEM_QUEUED while only the FIN is unacknowledged.
 */
export const TCP_FIN_TRUESIZE = 832;

// tcp_send_fin() after tcp_close_state(): ESTABLISHED → FIN_WAIT1, CLOSE_WAIT → LAST_ACK;
// states that sent their FIN already send nothing more
function tcpSendFin(host: InetNet, cpu: Cpu, sk: Sock): void {
  const next = sk.state === TCP_STATES.ESTABLISHED
    ? TCP_STATES.FIN_WAIT1
    : sk.state === TCP_STATES.CLOSE_WAIT
    ? TCP_STATES.LAST_ACK
    : null;
  if (next === null) return;
  host.sim.enterFn(cpu, "tcp_send_fin");
  const tp = sk.tcp!;
  tp.sendShutdown = true;
  host.mib.tcp.CurrEstab--;
  sk.state = next;
  skWmemQueue(sk, TCP_FIN_TRUESIZE); // until its ACK frees it
  // tcp_queue_skb(), then __tcp_push_pending_frames(): the FIN goes if the peer's window has
  // room for it, else it waits for the window to open
  tp.finQueued = true;
  tcpPushPendingFrames(host, cpu, sk);
  host.sim.exitFn(cpu, "tcp_send_fin");
}

/**
 * Shuts a connection down, as tcp_shutdown() and the socket layer's RCV_SHUTDOWN: the read side
 * (SHUT_RD) makes reads of an empty queue return 0 — data still arriving is taken and read; the
 * write side (SHUT_WR) sends the FIN.
 * @param host the host
 * @param cpu the CPU
 * @param sk the socket
 * @param how which sides: read, write or both
 * @returns 0, or -ENOTCONN for a socket that is not connected
 */
export function tcpShutdown(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  how: { read: boolean; write: boolean },
): number {
  if (!sk.tcp || sk.state === TCP_STATES.LISTEN || sk.state === TCP_STATES.CLOSE) {
    return -ENOTCONN;
  }
  host.sim.enterFn(cpu, "tcp_shutdown");
  if (how.read) sk.tcp.recvShutdown = true;
  if (how.write) tcpSendFin(host, cpu, sk);
  host.sim.exitFn(cpu, "tcp_shutdown");
  return 0;
}

/**
 * Closes a socket, as tcp_close(): a listener stops listening, a connecting socket just closes;
 * a connection with unread data sends a reset (TCPAbortOnClose); else a FIN goes out
 * (tcp_send_fin()) unless one went already; the connection lives on until its FIN is acked.
 * @param host the host
 * @param cpu the CPU
 * @param sk the socket
 */
export function tcpClose(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "tcp_close", () => close(host, cpu, sk));
}

function close(host: InetNet, cpu: Cpu, sk: Sock): void {
  const unhash = () => unhashSock(host, sk);
  if (sk.state === TCP_STATES.CLOSE) return; // reset already: nothing to send
  if (sk.state === TCP_STATES.LISTEN) {
    // inet_csk_listen_stop(): requests are dropped; each child not yet accepted is disconnected
    // (tcp_disconnect(): a reset, as tcp_need_reset() wants for its state)
    sk.requests.length = 0;
    for (const child of sk.acceptQueue.splice(0)) {
      if (child.tcp) tcpSendActiveReset(host, cpu, child);
      unhashSock(host, child);
    }
    return unhash();
  }
  // tcp_close_state(): SYN_SENT goes straight to CLOSE, sending nothing
  if (sk.state === TCP_STATES.SYN_SENT || !sk.tcp) return unhash();
  const tp = sk.tcp;
  if (sk.receiveQueue.some((q) => q.len > 0)) {
    // unread data: tcp_send_active_reset(), TCPAbortOnClose
    tcpSendActiveReset(host, cpu, sk);
    host.mib.tcpExt.TCPAbortOnClose++;
    return unhash();
  }
  if (sk.lingerTime === 0) {
    // SO_LINGER with no time: tcp_disconnect() aborts — a reset where tcp_need_reset() wants
    // one, or where a FIN is still queued in CLOSING or LAST_ACK — counted TCPAbortOnData
    const s = sk.state;
    const needReset = s === TCP_STATES.ESTABLISHED || s === TCP_STATES.CLOSE_WAIT ||
      s === TCP_STATES.FIN_WAIT1 || s === TCP_STATES.FIN_WAIT2 ||
      (tp.finQueued && (s === TCP_STATES.CLOSING || s === TCP_STATES.LAST_ACK));
    if (needReset) tcpSendActiveReset(host, cpu, sk);
    tcpWriteQueuePurge(host, cpu, sk);
    host.mib.tcpExt.TCPAbortOnData++;
    return unhash();
  }
  // __tcp_close(): both directions shut (SHUTDOWN_MASK), the socket orphaned (sock_orphan());
  // data that still comes is refused
  tp.recvShutdown = true;
  tp.dead = true;
  tcpSendFin(host, cpu, sk);
}

// The socket leaves the host's table, closed
function unhashSock(host: InetNet, sk: Sock): void {
  sk.state = TCP_STATES.CLOSE;
  const socks = host.ipv4.tcpSockets;
  const i = socks.indexOf(sk);
  if (i >= 0) socks.splice(i, 1);
}

// include/uapi/linux/eventpoll.h: the poll bits tcp_poll() reports
/** Data to read (EPOLLIN | EPOLLRDNORM in tcp_poll()). */
export const EPOLLIN = 0x001;
/** Room to write (EPOLLOUT | EPOLLWRNORM). */
export const EPOLLOUT = 0x004;
/** An error is pending. */
export const EPOLLERR = 0x008;
/** Both directions are shut (or the connection is closed). */
export const EPOLLHUP = 0x010;
/** The peer shut its sending side (a FIN came). */
export const EPOLLRDHUP = 0x2000;

/**
 * What a poll of the socket reports, as tcp_poll(): a listener is readable with a connection to
 * accept; a connection is readable with data (or at end of stream), writable once past SYN_SENT
 * — with room to write (the kit has no send queue to fill) or shut for writing, as tcp_poll()
 * reports both — hung up when both sides are shut or it is closed, in error after a reset.
 * @param sk the socket
 * @returns EPOLL* bits
 */
export function tcpPoll(sk: Sock): number {
  if (sk.state === TCP_STATES.LISTEN) return sk.acceptQueue.length ? EPOLLIN : 0;
  const tp = sk.tcp;
  if (!tp) return 0;
  let mask = 0;
  if (tp.error) mask |= EPOLLERR;
  const rcvShut = tp.finReceived || tp.recvShutdown;
  if ((tp.sendShutdown && rcvShut) || sk.state === TCP_STATES.CLOSE) mask |= EPOLLHUP;
  if (rcvShut) mask |= EPOLLIN | EPOLLRDHUP;
  if (sk.state === TCP_STATES.SYN_SENT) return mask;
  // tcp_stream_is_readable(): SO_RCVLOWAT's bytes (or the buffer nearly full)
  if (tcpEpollinReady(sk, sk.rcvlowat)) mask |= EPOLLIN;
  return mask | EPOLLOUT;
}

/**
 * Bytes a reader can take, as tcp_inq() (SIOCINQ): rcv_nxt - copied_seq, less the FIN.
 * @param sk the socket
 * @returns bytes
 */
export function tcpInq(sk: Sock): number {
  const tp = sk.tcp!;
  const answ = (sk.rcvNxt - tp.copiedSeq) >>> 0;
  return answ && tp.finReceived ? answ - 1 : answ;
}

/**
 * The TCP_CM_INQ hint a read returns, as tcp_inq_hint(): bytes still queued, or 1 once the
 * queue is empty and the peer's FIN came.
 * @param sk the socket
 * @returns bytes
 */
export function tcpInqHint(sk: Sock): number {
  const tp = sk.tcp!;
  const inq = (sk.rcvNxt - tp.copiedSeq) >>> 0;
  return inq === 0 && tp.finReceived ? 1 : inq;
}

/**
 * Sets SO_RCVLOWAT, as tcp_set_rcvlowat(): at most half the buffer (locked) or half
 * tcp_rmem[2]; a reader waiting may now go on; an unlocked buffer grows to hold that much
 * window, the clamp with it.
 * @param host the host
 * @param cpu the CPU
 * @param sk the socket
 * @param val the value given
 */
export function tcpSetRcvlowat(host: InetNet, cpu: Cpu, sk: Sock, val: number): void {
  const cap = sk.rcvbufLocked ? sk.rcvbuf >> 1 : host.ipv4.tcpRmem[2] >> 1;
  sk.rcvlowat = Math.min(val, cap) || 1;
  const tp = sk.tcp;
  if (tp && tcpEpollinReady(sk, sk.rcvlowat)) sockDefReadable(host, cpu, sk);
  if (sk.rcvbufLocked || !tp) return;
  const space = Math.floor(sk.rcvlowat * 256 / tp.scalingRatio); // tcp_space_from_win()
  if (space > sk.rcvbuf) {
    sk.rcvbuf = space;
    if (tp.windowClamp && tp.windowClamp < sk.rcvlowat) tp.windowClamp = sk.rcvlowat;
  }
}

/**
 * Sets TCP_QUICKACK, as __tcp_sock_set_quickack(): 0 enters pingpong mode (ACKs wait); other
 * values leave it and, with an ACK owed, send it now as a read would (tcp_cleanup_rbuf()); an
 * even value enters pingpong mode again afterwards.
 * @param host the host
 * @param cpu the CPU
 * @param sk the connection
 * @param val the value given
 */
export function tcpSetQuickack(host: InetNet, cpu: Cpu, sk: Sock, val: number): void {
  const tp = sk.tcp;
  if (!tp) return;
  if (!val) {
    tp.pingpong = true;
    return;
  }
  tp.pingpong = false;
  const open = sk.state === TCP_STATES.ESTABLISHED || sk.state === TCP_STATES.CLOSE_WAIT;
  if (open && tp.ackPending.sched) {
    tp.ackPending.pushed = true;
    tcpCleanupRbuf(host, cpu, sk, 1);
    if (!(val & 1)) tp.pingpong = true;
  }
}

// tcp_rcv_space_adjust(): once per receiver RTT (none before one is measured), if the reader
// copied more than its share, tcp_rcvbuf_grow() takes the new share. Times are from the last
// segment received (tcp_mstamp, not refreshed here).
function tcpRcvSpaceAdjust(host: InetNet, cpu: Cpu, sk: Sock): void {
  const tp = sk.tcp!;
  if (!tp.rcvRttUs8) return;
  const time = (tp.mstamp - tp.rcvqStart.time) / 1000;
  if (time < tp.rcvRttUs8 >> 3) return;
  const inq = (sk.rcvNxt - tp.copiedSeq) | 0;
  const copied = ((tp.copiedSeq - tp.rcvqStart.seq) | 0) - inq;
  if (copied > tp.rcvqSpace) tcpRcvbufGrow(host, cpu, sk, copied);
  tp.rcvqStart = { seq: tp.copiedSeq, time: tp.mstamp };
}
/**
 * struct tcp_info (include/uapi/linux/tcp.h) as getsockopt(TCP_INFO) fills it: the fields the
 * kit models. Times are µs (rto, ato, rtt, rttvar, rcv_rtt, min_rtt) or ms (last_*).
 */
export interface TcpInfo {
  /** sk_state (TCP_ESTABLISHED 1 … TCP_LISTEN 10). */
  tcpiState: number;
  /** Congestion state: TCP_CA_Open (0) for a receiver that sends no data. */
  tcpiCaState: number;
  /** TCPI_OPT_TIMESTAMPS 1, TCPI_OPT_SACK 2, TCPI_OPT_WSCALE 4, TCPI_OPT_ECN 8. */
  tcpiOptions: number;
  /** The peer's window scale shift. */
  tcpiSndWscale: number;
  /** Ours. */
  tcpiRcvWscale: number;
  /** icsk_rto, µs. */
  tcpiRto: number;
  /** The delayed-ACK timeout, µs (icsk_ack.ato, at most tcp_delack_max()). */
  tcpiAto: number;
  /** mss_cache. */
  tcpiSndMss: number;
  /** icsk_ack.rcv_mss: the peer's segment size as we guess it. */
  tcpiRcvMss: number;
  /** packets_out (a listener: children ready for accept()). */
  tcpiUnacked: number;
  /** sacked_out (a listener: its backlog). */
  tcpiSacked: number;
  /** lost_out. */
  tcpiLost: number;
  /** retrans_out. */
  tcpiRetrans: number;
  /** ms since data was last sent (lsndtime). */
  tcpiLastDataSent: number;
  /** ms since data last came (icsk_ack.lrcvtime). */
  tcpiLastDataRecv: number;
  /** ms since an ACK was last taken (rcv_tstamp). */
  tcpiLastAckRecv: number;
  /** The path MTU (icsk_pmtu_cookie). */
  tcpiPmtu: number;
  /** rcv_ssthresh: how far the window may grow now. */
  tcpiRcvSsthresh: number;
  /** The smoothed RTT, µs (srtt_us >> 3). */
  tcpiRtt: number;
  /** Its mean deviation, µs (mdev_us >> 2). */
  tcpiRttvar: number;
  /** snd_ssthresh: TCP_INFINITE_SSTHRESH until a loss. */
  tcpiSndSsthresh: number;
  /** The congestion window, segments. */
  tcpiSndCwnd: number;
  /** Timeouts since the peer last acknowledged something new (icsk_retransmits). */
  tcpiRetransmits: number;
  /** RTO doublings since the last RTT sample, or zero-window probes' doublings (icsk_backoff). */
  tcpiBackoff: number;
  /** Zero-window probes unanswered (icsk_probes_out). */
  tcpiProbes: number;
  /** The MSS we advertise (advmss). */
  tcpiAdvmss: number;
  /** The receiver's RTT estimate, µs (rcv_rtt_est.rtt_us >> 3). */
  tcpiRcvRtt: number;
  /** The reader's share of the window, bytes (rcvq_space.space). */
  tcpiRcvSpace: number;
  /** Retransmissions (total_retrans). */
  tcpiTotalRetrans: number;
  /** Bytes of ours acknowledged (bytes_acked). */
  tcpiBytesAcked: number;
  /** Sequence space received in order (bytes_received). */
  tcpiBytesReceived: number;
  /** Bytes written and not yet sent. */
  tcpiNotsentBytes: number;
  /** Segments sent (segs_out). */
  tcpiSegsOut: number;
  /** Segments received (segs_in). */
  tcpiSegsIn: number;
  /** Segments received with data (data_segs_in). */
  tcpiDataSegsIn: number;
  /** The smallest RTT seen, µs (~0 before any). */
  tcpiMinRtt: number;
  /** Segments sent with data (data_segs_out). */
  tcpiDataSegsOut: number;
  /** Our segments delivered (delivered). */
  tcpiDelivered: number;
  /** Of them, CE-marked. */
  tcpiDeliveredCe: number;
  /** Data bytes sent. */
  tcpiBytesSent: number;
  /** Data bytes sent again. */
  tcpiBytesRetrans: number;
  /** D-SACKed retransmissions. */
  tcpiDsackDups: number;
  /** Reorderings seen. */
  tcpiReordSeen: number;
  /** Segments that went out of order (rcv_ooopack). */
  tcpiRcvOoopack: number;
  /** The peer's window (snd_wnd). */
  tcpiSndWnd: number;
  /** Our window as last advertised (rcv_wnd). */
  tcpiRcvWnd: number;
}

// include/uapi/linux/tcp.h, include/net/tcp.h
const TCPI_OPT_TIMESTAMPS = 1;
const TCPI_OPT_SACK = 2;
const TCPI_OPT_WSCALE = 4;
const TCPI_OPT_ECN = 8;
const IPV4_TCP_HEADERS = 40;

// A listener's tcp_info: tcp_get_info() clears the struct and fills few fields
const TCP_INFO_ZERO: Readonly<TcpInfo> = {
  tcpiState: 0,
  tcpiCaState: 0,
  tcpiOptions: 0,
  tcpiSndWscale: 0,
  tcpiRcvWscale: 0,
  tcpiRto: 0,
  tcpiAto: 0,
  tcpiSndMss: 0,
  tcpiRcvMss: 0,
  tcpiUnacked: 0,
  tcpiSacked: 0,
  tcpiLost: 0,
  tcpiRetrans: 0,
  tcpiLastDataSent: 0,
  tcpiLastDataRecv: 0,
  tcpiLastAckRecv: 0,
  tcpiPmtu: 0,
  tcpiRcvSsthresh: 0,
  tcpiRtt: 0,
  tcpiRttvar: 0,
  tcpiSndSsthresh: 0,
  tcpiSndCwnd: TCP_INIT_CWND,
  tcpiRetransmits: 0,
  tcpiBackoff: 0,
  tcpiProbes: 0,
  tcpiAdvmss: 0,
  tcpiRcvRtt: 0,
  tcpiRcvSpace: 0,
  tcpiTotalRetrans: 0,
  tcpiBytesAcked: 0,
  tcpiBytesReceived: 0,
  tcpiNotsentBytes: 0,
  tcpiSegsOut: 0,
  tcpiSegsIn: 0,
  tcpiDataSegsIn: 0,
  tcpiMinRtt: 0,
  tcpiDataSegsOut: 0,
  tcpiDelivered: 0,
  tcpiDeliveredCe: 0,
  tcpiBytesSent: 0,
  tcpiBytesRetrans: 0,
  tcpiDsackDups: 0,
  tcpiReordSeen: 0,
  tcpiRcvOoopack: 0,
  tcpiSndWnd: 0,
  tcpiRcvWnd: 0,
};

/** The fields of struct tcp_info the kit models, as TcpInfo names them. */
export const TCP_INFO_FIELDS: readonly (keyof TcpInfo)[] = Object.keys(
  TCP_INFO_ZERO,
) as (keyof TcpInfo)[];

/**
 * What getsockopt(TCP_INFO) reports, as tcp_get_info(): a listener only its state, congestion
 * window and queue (unacked: children ready, sacked: the backlog); a connection the whole
 * struct. For a socket never established (a new one, or one still in SYN_SENT) it returns
 * null: its times count from the kernel's boot, and its SYN's retransmission state is the
 * sending side's, neither of which the kit models.
 * @param host the host (clock, HZ)
 * @param sk the socket
 * @returns the fields, or null
 */
export function tcpGetInfo(host: InetNet, sk: Sock): TcpInfo | null {
  // a connection in TIME_WAIT left it to a timewait sock: tcp_done() closed the full one
  const state = sk.state === TCP_STATES.TIME_WAIT ? TCP_STATES.CLOSE : sk.state;
  const zero = { ...TCP_INFO_ZERO, tcpiState: state };
  if (sk.state === TCP_STATES.LISTEN) {
    return { ...zero, tcpiUnacked: sk.acceptQueue.length, tcpiSacked: sk.maxAckBacklog };
  }
  const tp = sk.tcp;
  if (!tp?.transferInit) return null;
  const usecs = (j: number) => Math.round(j * 1e6 / host.hz); // jiffies_to_usecs()
  const msecsAgo = (j: number) => Math.round((jiffies(host) - j) * 1000 / host.hz);
  return {
    ...zero,
    tcpiOptions: (tp.tstampOk ? TCPI_OPT_TIMESTAMPS : 0) | (tp.sackOk ? TCPI_OPT_SACK : 0) |
      (tp.wscaleOk ? TCPI_OPT_WSCALE : 0) | (tp.ecnOk ? TCPI_OPT_ECN : 0),
    tcpiSndWscale: tp.wscaleOk ? tp.sndWscale : 0,
    tcpiRcvWscale: tp.wscaleOk ? tp.rcvWscale : 0,
    tcpiRto: usecs(tcpRto(host, tp)),
    tcpiAto: usecs(Math.min(tp.ato, tcpDelackMaxOfSock(host.hz))),
    tcpiSndMss: tp.mssCache,
    tcpiRcvMss: tp.rcvMss,
    tcpiCaState: tp.caState,
    tcpiRetransmits: tp.retransmits,
    tcpiBackoff: tp.backoff,
    tcpiProbes: tp.probesOut,
    // write_seq - snd_nxt: the FIN while it waits for the window
    tcpiNotsentBytes: tp.finQueued ? 1 : 0,
    // packets_out: our FIN until its ACK, none once a reset purged the queue
    tcpiUnacked: tcpPacketsOut(sk),
    tcpiLost: tp.lostOut,
    tcpiRetrans: tp.retransOut,
    tcpiLastDataSent: msecsAgo(tp.lsndtime),
    tcpiLastDataRecv: msecsAgo(tp.lrcvtime),
    tcpiLastAckRecv: msecsAgo(tp.rcvTstamp),
    tcpiPmtu: tcpAdvmss() + IPV4_TCP_HEADERS,
    tcpiRcvSsthresh: tp.rcvSsthresh,
    tcpiRtt: tp.srttUs8 >> 3,
    tcpiRttvar: tp.mdevUs >> 2,
    tcpiMinRtt: tp.minRttUs,
    tcpiSndSsthresh: tp.sndSsthresh,
    tcpiSndCwnd: tp.sndCwnd,
    tcpiAdvmss: tp.advmss,
    tcpiRcvRtt: tp.rcvRttUs8 >> 3,
    tcpiRcvSpace: tp.rcvqSpace,
    tcpiTotalRetrans: tp.totalRetrans,
    tcpiBytesAcked: tp.bytesAcked,
    tcpiBytesReceived: tp.bytesReceived,
    tcpiSegsOut: tp.segsOut,
    tcpiSegsIn: tp.segsIn,
    tcpiDataSegsIn: tp.dataSegsIn,
    tcpiDelivered: tp.delivered,
    tcpiRcvOoopack: tp.rcvOoopack,
    tcpiSndWnd: tp.sndWnd,
    tcpiRcvWnd: tp.rcvWnd,
  };
}
