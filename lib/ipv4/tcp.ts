// Models the reader's side of net/ipv4/tcp.c (Linux 6.18): tcp_recvmsg() copying bytes out of
// the receive queue, freeing what it has read and uncharging it, then tcp_cleanup_rbuf()
// sending an ACK when the window can open by half or more; and tcp_close(): a FIN, or a reset
// when unread data is thrown away.

import type { InetNet } from "./netns_ipv4.ts";
import { type Sock, TCP_STATES } from "../core/sock.ts";
import type { Cpu } from "../sim/cpu.ts";
import { TCP_FLAGS } from "../wire/tcp.ts";
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

/**
 * Reads up to `len` bytes, as tcp_recvmsg(): whole skbs are freed as they are used up
 * (tcp_eat_recv_skb(), the ledger's "delivered"), a partly read one stays with its offset;
 * then tcp_cleanup_rbuf().
 * @param host the host
 * @param cpu the CPU the reader runs on
 * @param sk an established socket
 * @param len the buffer size
 * @returns bytes read; 0 at end of stream; -EAGAIN when nothing is there yet; -ECONNRESET
 *   after a reset
 */
export function tcpRecvmsg(host: InetNet, cpu: Cpu, sk: Sock, len: number): number {
  const tp = sk.tcp!;
  let copied = 0;
  while (copied < len && sk.receiveQueue.length) {
    const q = sk.receiveQueue[0];
    const take = Math.min(len - copied, q.len);
    copied += take;
    q.len -= take;
    if (q.len === 0) {
      sk.receiveQueue.shift();
      sk.rmemAlloc -= q.truesize;
      host.sim.ledger.end({ skb: q.id, kind: "delivered", where: "tcp_recvmsg", t: host.sim.now });
    }
  }
  tp.copiedSeq = (tp.copiedSeq + copied) >>> 0;
  tcpCleanupRbuf(host, cpu, sk, copied);
  if (copied) return copied;
  if (tp.error === "ECONNRESET") return -ECONNRESET;
  return tp.finReceived ? 0 : -EAGAIN;
}

// __tcp_cleanup_rbuf(): after a read, an owed ACK goes if more than one segment is
// unacknowledged, or if the read emptied the buffer after a small ("pushed") segment (twice
// pushed, or once outside pingpong mode); else an ACK goes when the window on offer is at most
// half the clamp and the free space would at least double it (a window update)
function tcpCleanupRbuf(host: InetNet, cpu: Cpu, sk: Sock, copied: number): void {
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
 * Closes a socket, as tcp_close(): a listener stops listening; a connection with unread data
 * sends a reset (TCPAbortOnClose); else a FIN goes out (tcp_send_fin()) and the socket leaves
 * the established state.
 * @param host the host
 * @param cpu the CPU
 * @param sk the socket
 */
export function tcpClose(host: InetNet, cpu: Cpu, sk: Sock): void {
  const socks = host.ipv4.tcpSockets;
  if (sk.state === TCP_STATES.CLOSE) return; // reset already: nothing to send
  if (sk.state === TCP_STATES.LISTEN || !sk.tcp) {
    socks.splice(socks.indexOf(sk), 1);
    return;
  }
  const tp = sk.tcp;
  const unread = sk.receiveQueue.some((q) => q.len > 0);
  const flow = { saddr: sk.rcvSaddr, sport: sk.num, daddr: sk.daddr, dport: sk.dport };
  const window = tcpSelectWindow(sk);
  tcpTransmit(host, cpu, flow, {
    seq: tp.sndNxt,
    ack: sk.rcvNxt,
    flags: unread ? TCP_FLAGS.RST | TCP_FLAGS.ACK : TCP_FLAGS.FIN | TCP_FLAGS.ACK,
    window,
    options: tcpEstablishedOptions(host, sk),
  }, false);
  if (sk.state === TCP_STATES.ESTABLISHED || sk.state === TCP_STATES.CLOSE_WAIT) {
    host.mib.tcp.CurrEstab--;
  }
  if (unread) {
    host.mib.tcp.EstabResets++;
    sk.state = TCP_STATES.CLOSE;
    socks.splice(socks.indexOf(sk), 1);
    return;
  }
  tp.sndNxt = (tp.sndNxt + 1) >>> 0;
  // tcp_close_state(): ESTABLISHED → FIN_WAIT1, CLOSE_WAIT → LAST_ACK
  sk.state = sk.state === TCP_STATES.CLOSE_WAIT ? TCP_STATES.LAST_ACK : TCP_STATES.FIN_WAIT1;
}
