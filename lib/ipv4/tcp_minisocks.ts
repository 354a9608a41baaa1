// A connection after tcp_time_wait() (net/ipv4/tcp_minisocks.c): the kernel frees the full
// socket and leaves a timewait sock holding what the connection still has to answer for —
// rcv_nxt, snd_nxt, the window, the last timestamp. The kit keeps the closed connection's
// socket in that role: a segment for it changes nothing of the full socket's counters.
import type { InetNet } from "./netns_ipv4.ts";
import { type Sock, TCP_STATES } from "../core/sock.ts";
import type { SkbDropReason } from "../core/dropreason.ts";
import { TCP_FLAGS } from "../wire/tcp.ts";
import {
  after,
  before,
  tcpOowRateLimited,
  tcpReceiveWindow,
  type TcpSegment,
} from "./tcp_input.ts";
import { inetTwskDeschedulePut, inetTwskReschedule } from "./tcp_timer.ts";

/**
 * What tcp_timewait_state_process() tells tcp_v4_rcv() to do (enum tcp_tw_status): nothing, an
 * ACK, a reset, or a new connection from the listener with the ISN given; and the reason the
 * segment is then freed with.
 */
export type TcpTwStatus =
  | { status: "success" | "ack" | "rst"; reason: SkbDropReason }
  | { status: "syn"; isn: number };

/**
 * The answer of a timewait sock to a segment, as tcp_timewait_state_process(). While the orphan
 * waits for the peer's FIN (substate FIN_WAIT2): out of window, an ACK (rate limited:
 * TCPACKSkippedFinWait2); a RST ends it; a SYN or new data is answered with a reset; the FIN
 * makes it a true TIME_WAIT and is acknowledged. In TIME_WAIT: a bare ACK or RST at rcv_nxt is
 * taken (a RST ends it unless tcp_rfc1337); a SYN beyond rcv_nxt, or with a newer timestamp,
 * may open a new connection with an ISN past the old one's; everything else — PAWS-rejected
 * (PAWSTimewait) or out of window — gets an ACK (rate limited: TCPACKSkippedTimeWait).
 * @param host the host
 * @param sk the connection, in TIME_WAIT or an orphan's FIN_WAIT2
 * @param s the segment
 * @returns what to do with it
 */
export function tcpTimewaitStateProcess(host: InetNet, sk: Sock, s: TcpSegment): TcpTwStatus {
  const tp = sk.tcp!;
  const rcvNxt = sk.rcvNxt;
  const rst = (s.flags & TCP_FLAGS.RST) !== 0;
  const syn = (s.flags & TCP_FLAGS.SYN) !== 0;
  const fin = (s.flags & TCP_FLAGS.FIN) !== 0;
  const ack = (s.flags & TCP_FLAGS.ACK) !== 0;
  const endSeq = (s.seq + s.dataLen + (syn ? 1 : 0) + (fin ? 1 : 0)) >>> 0;
  // tcp_paws_reject(): a timestamp older than the last one (tw_ts_recent); a RST only within MSL
  const ts = tp.tstampOk ? s.options.timestamp : undefined;
  const pawsReject = !!ts && !!tp.tsRecent && ((tp.tsRecent - ts.tsval) | 0) > 0 && !rst;
  const reason: SkbDropReason = "NOT_SPECIFIED";
  const ackOrSkip = (
    mib: "TCPACKSkippedFinWait2" | "TCPACKSkippedTimeWait",
    why: SkbDropReason = reason,
  ): TcpTwStatus => ({
    status: tcpOowRateLimited(host, s, mib, tp) ? "success" : "ack",
    reason: why,
  });
  if (sk.state === TCP_STATES.FIN_WAIT2) {
    const window = tcpReceiveWindow(tp, rcvNxt);
    if (pawsReject || !tcpInWindow(s.seq, endSeq, rcvNxt, (rcvNxt + window) >>> 0)) {
      return ackOrSkip("TCPACKSkippedFinWait2");
    }
    if (rst) return tcpTwKill(host, sk);
    if (syn && !before(s.seq, rcvNxt)) return { status: "rst", reason };
    if (!ack || !after(endSeq, rcvNxt) || endSeq === s.seq) return { status: "success", reason };
    // new data after a half-duplex close is reset; the FIN makes a true TIME_WAIT
    if (!fin || endSeq !== ((rcvNxt + 1) >>> 0)) return { status: "rst", reason };
    sk.state = TCP_STATES.TIME_WAIT;
    sk.rcvNxt = endSeq;
    if (ts) tp.tsRecent = ts.tsval;
    inetTwskReschedule(host, sk);
    return { status: "ack", reason };
  }
  if (!pawsReject && s.seq === rcvNxt && (s.seq === endSeq || rst)) {
    // in window: only a RST or a bare ACK; a RST assassinates the TIME_WAIT (RFC 1337)
    if (rst && !host.sysctl["net.ipv4.tcp_rfc1337"]) return tcpTwKill(host, sk);
    if (!rst) inetTwskReschedule(host, sk);
    if (ts) tp.tsRecent = ts.tsval;
    return { status: "success", reason };
  }
  if (
    syn && !rst && !ack && !pawsReject &&
    (after(s.seq, rcvNxt) || (!!ts && ((tp.tsRecent - ts.tsval) | 0) < 0))
  ) {
    return { status: "syn", isn: ((tp.sndNxt + 65535 + 2) >>> 0) || 1 };
  }
  const why: SkbDropReason = pawsReject ? "TCP_RFC7323_TW_PAWS" : reason;
  if (pawsReject) host.mib.tcpExt.PAWSTimewait++;
  if (rst) return { status: "success", reason: why };
  if (pawsReject || ack) inetTwskReschedule(host, sk); // the TIME_WAIT starts over
  return ackOrSkip("TCPACKSkippedTimeWait", why);
}

// tcp_in_window(): the segment starts at the window, overlaps it, or is empty at its right edge
function tcpInWindow(seq: number, endSeq: number, sWin: number, eWin: number): boolean {
  if (seq === sWin) return true;
  if (after(endSeq, sWin) && before(seq, eWin)) return true;
  return seq === eWin && seq === endSeq;
}

function tcpTwKill(host: InetNet, sk: Sock): TcpTwStatus {
  inetTwskDeschedulePut(host, sk);
  return { status: "success", reason: "NOT_SPECIFIED" };
}
