// Models the socket side of net/ipv4/tcp.c (Linux 6.18): tcp_recvmsg() copying bytes out of
// the receive queue, freeing what it has read and uncharging it, then tcp_cleanup_rbuf()
// sending an ACK when the window can open by half or more; tcp_poll(), tcp_inq();
// tcp_shutdown() and tcp_close(): a FIN, or a reset when unread data is thrown away.

import type { InetNet } from "./netns_ipv4.ts";
import { lockSock, releaseSock, type Sock, sockRfree, TCP_STATES } from "../core/sock.ts";
import type { Cpu } from "../sim/cpu.ts";
import { TCP_FLAGS } from "../wire/tcp.ts";
import { tcpEpollinReady } from "./tcp_input.ts";
import { sockDefReadable } from "./udp.ts";
import {
  __tcpSelectWindow,
  tcpEstablishedOptions,
  tcpSelectWindow,
  tcpSendAck,
  tcpTransmit,
} from "./tcp_output.ts";

/** -EAGAIN: nothing to read yet (a blocking reader sleeps in sk_wait_data()). */
export const EAGAIN = 11;
/** -ECONNRESET: the peer reset the connection. */
export const ECONNRESET = 104;
/** -ENOTCONN: the socket is not connected. */
export const ENOTCONN = 107;

/**
 * Reads up to `len` bytes, as tcp_recvmsg(): nothing until min(SO_RCVLOWAT, len) bytes are
 * there (or the end of the stream); whole skbs are freed as they are used up
 * (tcp_eat_recv_skb(), the ledger's "delivered"), a partly read one stays with its offset;
 * then tcp_cleanup_rbuf(); all under lock_sock(), so release_sock() then takes what the backlog
 * gathered meanwhile.
 * @param host the host
 * @param cpu the CPU the reader runs on
 * @param sk an established socket
 * @param len the buffer size
 * @returns bytes read; 0 at end of stream; -EAGAIN when nothing is there yet; -ECONNRESET
 *   after a reset
 */
export function tcpRecvmsg(host: InetNet, cpu: Cpu, sk: Sock, len: number): number {
  return host.sim.traced(cpu, "tcp_recvmsg", () => {
    const held = sk.ownedByUser;
    lockSock(sk);
    try {
      return recvmsg(host, cpu, sk, len);
    } finally {
      if (!held) releaseSock(host, cpu, sk);
    }
  });
}

function recvmsg(host: InetNet, cpu: Cpu, sk: Sock, len: number): number {
  const tp = sk.tcp!;
  // sock_rcvlowat(): a reader returns once it has min(SO_RCVLOWAT, len) bytes, or at the end
  const target = Math.min(sk.rcvlowat, len);
  const avail = (sk.rcvNxt - tp.copiedSeq - (tp.finReceived ? 1 : 0)) | 0;
  const done = tp.finReceived || tp.recvShutdown || tp.error;
  if (avail < target && !done && !tcpEpollinReady(sk, sk.rcvlowat)) return -EAGAIN;
  let copied = 0;
  while (copied < len && sk.receiveQueue.length) {
    const q = sk.receiveQueue[0];
    const take = Math.min(len - copied, q.len);
    copied += take;
    q.len -= take;
    q.offset = (q.offset ?? 0) + take;
    if (q.len === 0) {
      sk.receiveQueue.shift();
      sockRfree(sk, q.truesize);
      host.sim.ledger.end({ skb: q.id, kind: "delivered", where: "tcp_recvmsg", t: host.sim.now });
    }
  }
  tp.copiedSeq = (tp.copiedSeq + copied) >>> 0;
  if (copied) tcpRcvSpaceAdjust(host, sk);
  tcpCleanupRbuf(host, cpu, sk, copied);
  if (copied) return copied;
  if (tp.error === "ECONNRESET") return -ECONNRESET;
  return tp.finReceived || tp.recvShutdown ? 0 : -EAGAIN;
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
  const flow = { saddr: sk.rcvSaddr, sport: sk.num, daddr: sk.daddr, dport: sk.dport };
  tcpTransmit(host, cpu, flow, {
    seq: tp.sndNxt,
    ack: sk.rcvNxt,
    flags: TCP_FLAGS.FIN | TCP_FLAGS.ACK,
    window: tcpSelectWindow(host, sk),
    options: tcpEstablishedOptions(host, sk),
  }, false);
  tp.sndNxt = (tp.sndNxt + 1) >>> 0;
  host.mib.tcpExt.TCPOrigDataSent++; // tcp_event_new_data_sent()
  tp.sendShutdown = true;
  host.mib.tcp.CurrEstab--;
  sk.state = next;
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
  // __tcp_close(): both directions shut (SHUTDOWN_MASK), the socket orphaned (sock_orphan());
  // data that still comes is refused
  tp.recvShutdown = true;
  tp.dead = true;
  tcpSendFin(host, cpu, sk);
}

// tcp_send_active_reset(): a RST with our next sequence number, acknowledging what came; the
// connection leaves ESTABLISHED or CLOSE_WAIT as a reset one (tcp_set_state(): EstabResets)
function tcpSendActiveReset(host: InetNet, cpu: Cpu, sk: Sock): void {
  const tp = sk.tcp!;
  tcpTransmit(
    host,
    cpu,
    { saddr: sk.rcvSaddr, sport: sk.num, daddr: sk.daddr, dport: sk.dport },
    {
      seq: tp.sndNxt,
      ack: sk.rcvNxt,
      flags: TCP_FLAGS.RST | TCP_FLAGS.ACK,
      window: tcpSelectWindow(host, sk),
      options: tcpEstablishedOptions(host, sk),
    },
    false,
  );
  if (sk.state === TCP_STATES.ESTABLISHED || sk.state === TCP_STATES.CLOSE_WAIT) {
    host.mib.tcp.EstabResets++;
    host.mib.tcp.CurrEstab--;
  }
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
 * accept; a connection is readable with data (or at end of stream), writable once established
 * and not shut for writing (the kit has no send queue to fill), hung up when both sides are
 * shut, in error after a reset.
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
  if (!tp.sendShutdown && sk.state !== TCP_STATES.CLOSE) mask |= EPOLLOUT;
  return mask;
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

// tcp_rcv_space_adjust(): once per receiver RTT, if the reader copied more than its share, the
// buffer grows (tcp_moderate_rcvbuf, unless SO_RCVBUF locked it) to hold twice that and 16
// segments, more while the rate grows, up to tcp_rmem[2], the window clamp following; the share
// becomes what was copied. Times are from the last segment received (tcp_mstamp).
function tcpRcvSpaceAdjust(host: InetNet, sk: Sock): void {
  const tp = sk.tcp!;
  if (!tp.rcvRttUs8) return;
  const time = (tp.mstamp - tp.rcvqStart.time) / 1000;
  if (time < tp.rcvRttUs8 >> 3) return;
  const inq = (sk.rcvNxt - tp.copiedSeq) | 0;
  const copied = ((tp.copiedSeq - tp.rcvqStart.seq) | 0) - inq;
  if (copied > tp.rcvqSpace) {
    if (host.sysctl["net.ipv4.tcp_moderate_rcvbuf"] && !sk.rcvbufLocked) {
      // room for twice what was copied and 16 segments, and as much again for each doubling of
      // the sender's rate beyond the last RTT's (slow start)
      let rcvwin = copied * 2 + 16 * tp.advmss;
      rcvwin += 2 * Math.floor(rcvwin * (copied - tp.rcvqSpace) / tp.rcvqSpace);
      const rcvbuf = Math.min(Math.floor(rcvwin * 256 / tp.scalingRatio), host.ipv4.tcpRmem[2]);
      if (rcvbuf > sk.rcvbuf) {
        sk.rcvbuf = rcvbuf;
        tp.windowClamp = Math.floor(rcvbuf * tp.scalingRatio / 256); // the clamp follows
      }
    }
    tp.rcvqSpace = copied;
  }
  tp.rcvqStart = { seq: tp.copiedSeq, time: tp.mstamp };
}
