// A connection's timers (net/ipv4/tcp_timer.c and the parts of tcp_output.c and tcp_input.c
// they drive). The retransmission timer: the only segment the kit's connections send that takes
// sequence space after the handshake is the FIN, so what is in flight is that FIN. It goes when
// the peer's window has room for it; while the window is shut the timer sends zero-window
// probes. A SACK connection first sends it again as a tail-loss probe; the RTO then sends it
// again, entering loss recovery (TCP_CA_Loss, cwnd 1) and doubling the timeout each time. The
// keepalive timer probes an idle connection (SO_KEEPALIVE).
import type { InetNet } from "./netns_ipv4.ts";
import { skWmemFree, type Sock, TCP_STATES } from "../core/sock.ts";
import type { Cpu } from "../sim/cpu.ts";
import { TCP_FLAGS } from "../wire/tcp.ts";
import { jiffies, modTimer } from "../kernel/timer.ts";
import { sockDefReadable } from "./udp.ts";
import {
  TCP_CA_LOSS,
  TCP_CA_OPEN,
  TCP_CA_RECOVERY,
  TCP_RTO_MAX_MS,
  TCP_RTO_MIN_US,
  TCPCB_EVER_RETRANS,
  TCPCB_LOST,
  TCPCB_SACKED_RETRANS,
  tcpClockMs,
  tcpEstablishedOptions,
  tcpRto,
  tcpSelectWindow,
  tcpSendActiveReset,
  tcpTransmitSkb,
} from "./tcp_output.ts";

/**
 * Segments sent and not yet acknowledged (packets_out): our FIN while its ACK is missing.
 * @param sk the connection
 * @returns 1 or 0
 */
export function tcpPacketsOut(sk: Sock): number {
  const tp = sk.tcp!;
  return tp.finSentAt >= 0 && tp.sndUna !== tp.sndNxt && sk.state !== TCP_STATES.CLOSE ? 1 : 0;
}

const usecsToJiffies = (host: InetNet, us: number) => Math.ceil(us * host.hz / 1e6);

// tcp_rto_delta_us(): how far in the future the RTO of the oldest segment in flight lies, µs
function tcpRtoDeltaUs(host: InetNet, sk: Sock): number {
  const tp = sk.tcp!;
  const rtoTimeUs = tp.finSentAt / 1000 + tcpRto(host, tp) * 1e6 / host.hz;
  return Math.round(rtoTimeUs - host.sim.now / 1000);
}

// tcp_reset_xmit_timer() → inet_csk_reset_xmit_timer(): the one timer, set to fire `when`
// jiffies from now (at most TCP_RTO_MAX) for what `pending` names; a FIN takes no pacing time
function tcpResetXmitTimer(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  pending: "retrans" | "loss_probe" | "probe0",
  when: number,
): void {
  const tp = sk.tcp!;
  const delay = Math.min(when, usecsToJiffies(host, TCP_RTO_MAX_MS * 1000));
  const armed = { pending, timeout: jiffies(host) + delay };
  tp.xmitTimer = armed;
  modTimer(host, delay, () => {
    if (tp.xmitTimer === armed) tcpWriteTimer(host, cpu, sk);
  });
}

/**
 * Restarts the retransmission timer, as tcp_rearm_rto(): off with nothing in flight; else the
 * RTO from now, or what is left of it when a loss probe was pending.
 * @param host the host
 * @param cpu the CPU
 * @param sk the connection
 */
export function tcpRearmRto(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "tcp_rearm_rto", () => {
    const tp = sk.tcp!;
    if (!tcpPacketsOut(sk)) {
      tp.xmitTimer = null; // inet_csk_clear_xmit_timer()
      return;
    }
    let rto = tcpRto(host, tp);
    if (tp.xmitTimer?.pending === "loss_probe") {
      rto = usecsToJiffies(host, Math.max(tcpRtoDeltaUs(host, sk), 1));
    }
    tcpResetXmitTimer(host, cpu, sk, "retrans", rto);
  });
}

/**
 * Schedules a tail-loss probe, as tcp_schedule_loss_probe(): only for a SACK connection in the
 * Open state with something in flight and tcp_early_retrans 3 or 4; in 2·srtt plus TCP_RTO_MIN,
 * 1 s with no RTT sample — or when the RTO would fire, if sooner.
 * @param host the host
 * @param cpu the CPU
 * @param sk the connection
 * @param advancingRto the RTO is about to restart from now (an ACK just came)
 * @returns whether the probe was scheduled
 */
export function tcpScheduleLossProbe(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  advancingRto: boolean,
): boolean {
  return host.sim.traced(cpu, "tcp_schedule_loss_probe", () => {
    const tp = sk.tcp!;
    const earlyRetrans = host.sysctl["net.ipv4.tcp_early_retrans"];
    if (
      (earlyRetrans !== 3 && earlyRetrans !== 4) || !tcpPacketsOut(sk) || !tp.sackOk ||
      tp.caState !== TCP_CA_OPEN
    ) return false;
    let timeout = host.hz; // TCP_TIMEOUT_INIT
    // with one segment out (always, here: the FIN) the peer may delay its ACK: TCP_RTO_MIN more
    if (tp.srttUs8) timeout = usecsToJiffies(host, (tp.srttUs8 >> 2) + TCP_RTO_MIN_US);
    const rtoDeltaUs = advancingRto ? tcpRto(host, tp) * 1e6 / host.hz : tcpRtoDeltaUs(host, sk);
    if (rtoDeltaUs > 0) timeout = Math.min(timeout, usecsToJiffies(host, rtoDeltaUs));
    tcpResetXmitTimer(host, cpu, sk, "loss_probe", timeout);
    return true;
  });
}

/**
 * Sends what waits in the write queue — the FIN — as __tcp_push_pending_frames() →
 * tcp_write_xmit(): if the peer's window has room for it (tcp_snd_wnd_test()) it goes, the RTO
 * starting with it in flight (tcp_event_new_data_sent()) before a tail-loss probe may take the
 * timer's place; else, with nothing in flight and no timer pending, the zero-window probe timer
 * starts (tcp_check_probe_timer()).
 * @param host the host
 * @param cpu the CPU
 * @param sk the connection
 */
export function tcpPushPendingFrames(host: InetNet, cpu: Cpu, sk: Sock): void {
  const tp = sk.tcp!;
  if (!tp.finQueued) return;
  host.sim.traced(cpu, "__tcp_push_pending_frames", () => {
    const sent = host.sim.traced(cpu, "tcp_write_xmit", () => {
      if (!tcpSndWndTest(tp)) return false;
      tcpTransmitFin(host, cpu, sk);
      tcpScheduleLossProbe(host, cpu, sk, false);
      return true;
    });
    if (!sent && !tcpPacketsOut(sk) && !tp.xmitTimer) {
      tcpResetXmitTimer(host, cpu, sk, "probe0", tcpProbe0Base(host, tp));
    }
  });
}

// tcp_snd_wnd_test(): the FIN's sequence number must fit the window — end_seq not after
// snd_una + snd_wnd, modulo 2^32
function tcpSndWndTest(tp: NonNullable<Sock["tcp"]>): boolean {
  return ((tp.sndNxt + 1 - (tp.sndUna + tp.sndWnd)) | 0) <= 0;
}

// tcp_transmit_skb() of the queued FIN, then tcp_event_new_data_sent(): snd_nxt moves past it
// and, nothing having been in flight, the RTO starts
function tcpTransmitFin(host: InetNet, cpu: Cpu, sk: Sock): void {
  const tp = sk.tcp!;
  tcpTransmitSkb(host, cpu, sk, {
    seq: tp.sndNxt,
    ack: sk.rcvNxt,
    flags: TCP_FLAGS.FIN | TCP_FLAGS.ACK,
    window: tcpSelectWindow(host, sk),
    options: tcpEstablishedOptions(host, sk),
  }, false);
  tp.finQueued = false;
  host.sim.traced(cpu, "tcp_event_new_data_sent", () => {
    tp.sndNxt = (tp.sndNxt + 1) >>> 0;
    tp.finSentAt = host.sim.now;
    host.mib.tcpExt.TCPOrigDataSent++;
    tcpRearmRto(host, cpu, sk);
  });
}

// tcp_probe0_base(): the RTO, at least TCP_RTO_MIN
function tcpProbe0Base(host: InetNet, tp: NonNullable<Sock["tcp"]>): number {
  return Math.max(tcpRto(host, tp), usecsToJiffies(host, TCP_RTO_MIN_US));
}

// tcp_probe0_when(): the base doubled by each probe (icsk_backoff, at most
// ilog2(TCP_RTO_MAX / TCP_RTO_MIN) + 1 times), within TCP_RTO_MAX
function tcpProbe0When(host: InetNet, tp: NonNullable<Sock["tcp"]>): number {
  const maxShift = Math.floor(Math.log2(TCP_RTO_MAX_MS * 1000 / TCP_RTO_MIN_US)) + 1;
  const when = tcpProbe0Base(host, tp) * 2 ** Math.min(tp.backoff, maxShift);
  return Math.min(when, usecsToJiffies(host, TCP_RTO_MAX_MS * 1000));
}

/**
 * What an acceptable ACK does to the zero-window probing, as tcp_ack_probe(): a window with
 * room for the queued FIN stops the probes (the backoff is reset; tcp_data_snd_check() then
 * sends the FIN); a window still shut restarts the probe timer from now.
 * @param host the host
 * @param cpu the CPU
 * @param sk the connection
 */
export function tcpAckProbe(host: InetNet, cpu: Cpu, sk: Sock): void {
  const tp = sk.tcp!;
  if (!tp.finQueued) return;
  if (tcpSndWndTest(tp)) {
    tp.backoff = 0;
    tp.probesTstamp = 0;
    if (tp.xmitTimer?.pending === "probe0") tp.xmitTimer = null;
  } else {
    const when = tcpClampProbe0ToUserTimeout(host, sk, tcpProbe0When(host, tp));
    tcpResetXmitTimer(host, cpu, sk, "probe0", when);
  }
}

// tcp_probe_timer(): nothing to probe for once the FIN went; past tcp_retries2 unanswered
// probes — for an orphan, tcp_orphan_retries, or at once when the probe timeout reached
// TCP_RTO_MAX — the connection fails (tcp_write_err()); else another probe
function tcpProbeTimer(host: InetNet, cpu: Cpu, sk: Sock): void {
  const tp = sk.tcp!;
  if (tcpPacketsOut(sk) || !tp.finQueued) {
    tp.probesOut = 0;
    tp.probesTstamp = 0;
    return;
  }
  // TCP_USER_TIMEOUT bounds the probing from its first probe
  if (!tp.probesTstamp) tp.probesTstamp = jiffies(host);
  else if (
    sk.userTimeout &&
    jiffies(host) - tp.probesTstamp >= usecsToJiffies(host, sk.userTimeout * 1000)
  ) return tcpWriteErr(host, cpu, sk);
  let maxProbes = host.sysctl["net.ipv4.tcp_retries2"];
  if (tp.dead) {
    const rtoMax = usecsToJiffies(host, TCP_RTO_MAX_MS * 1000);
    const alive = Math.min(tcpRto(host, tp) * 2 ** tp.backoff, rtoMax) < rtoMax;
    maxProbes = host.sysctl["net.ipv4.tcp_orphan_retries"] || (alive ? 8 : 0);
    if (!alive && tp.backoff >= maxProbes) return tcpWriteErr(host, cpu, sk);
  }
  if (tp.probesOut >= maxProbes) return tcpWriteErr(host, cpu, sk);
  tcpSendProbe0(host, cpu, sk);
}

// tcp_send_probe0() → tcp_write_wakeup(): the FIN if the window now has room for it (then no
// more probes), else a probe: an ACK one below snd_una that the peer must answer
// (tcp_xmit_probe_skb(), TCPWinProbe); each probe doubles the next one's wait
function tcpSendProbe0(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "tcp_send_probe0", () => {
    const tp = sk.tcp!;
    tcpWriteWakeup(host, cpu, sk, "TCPWinProbe");
    if (tcpPacketsOut(sk) || !tp.finQueued) {
      tp.probesOut = 0;
      tp.backoff = 0;
      tp.probesTstamp = 0;
      return;
    }
    tp.probesOut++;
    if (tp.backoff < host.sysctl["net.ipv4.tcp_retries2"]) tp.backoff++;
    const when = tcpClampProbe0ToUserTimeout(host, sk, tcpProbe0When(host, tp));
    tcpResetXmitTimer(host, cpu, sk, "probe0", when);
  });
}

// tcp_write_wakeup(): the queued FIN if the window now has room for it, else a probe — an ACK
// one below snd_una that the peer must answer (tcp_xmit_probe_skb(), counted under `mib`)
function tcpWriteWakeup(
  host: InetNet,
  cpu: Cpu,
  sk: Sock,
  mib: "TCPWinProbe" | "TCPKeepAlive",
): void {
  const tp = sk.tcp!;
  host.sim.traced(cpu, "tcp_write_wakeup", () => {
    if (tp.finQueued && tcpSndWndTest(tp)) return tcpTransmitFin(host, cpu, sk);
    host.sim.traced(cpu, "tcp_xmit_probe_skb", () => {
      host.mib.tcpExt[mib]++;
      tcpTransmitSkb(host, cpu, sk, {
        seq: (tp.sndUna - 1) >>> 0,
        ack: sk.rcvNxt,
        flags: TCP_FLAGS.ACK,
        window: tcpSelectWindow(host, sk),
        options: tcpEstablishedOptions(host, sk),
      });
    });
  });
}

/**
 * The keepalive idle time, jiffies (keepalive_time_when()): TCP_KEEPIDLE, else
 * tcp_keepalive_time.
 * @param host the host (sysctls, HZ)
 * @param sk the socket
 * @returns jiffies
 */
export function tcpKeepaliveTimeWhen(host: InetNet, sk: Sock): number {
  return (sk.keepalive.time || host.sysctl["net.ipv4.tcp_keepalive_time"]) * host.hz;
}

// keepalive_time_elapsed(): since data or an ACK last came
function keepaliveTimeElapsed(host: InetNet, tp: NonNullable<Sock["tcp"]>): number {
  const now = jiffies(host);
  return Math.min(now - tp.lrcvtime, now - tp.rcvTstamp);
}

/**
 * Arms the keepalive timer, as inet_csk_reset_keepalive_timer().
 * @param host the host
 * @param cpu the CPU the timer runs on
 * @param sk the connection
 * @param when jiffies from now
 */
export function tcpResetKeepaliveTimer(host: InetNet, cpu: Cpu, sk: Sock, when: number): void {
  const tp = sk.tcp!;
  const armed = {};
  tp.keepaliveTimer = armed;
  modTimer(host, when, () => {
    if (tp.keepaliveTimer === armed) tcpKeepaliveTimer(host, cpu, sk);
  });
}

/**
 * Turns SO_KEEPALIVE on or off, as tcp_set_keepalive(): on, a connection's keepalive timer
 * starts with the whole idle time; off, it stops.
 * @param host the host
 * @param cpu the CPU
 * @param sk the socket
 * @param on the option's value
 */
export function tcpSetKeepalive(host: InetNet, cpu: Cpu, sk: Sock, on: boolean): void {
  const open = sk.tcp && sk.state !== TCP_STATES.CLOSE && sk.state !== TCP_STATES.LISTEN;
  if (open && on && !sk.keepOpen) {
    tcpResetKeepaliveTimer(host, cpu, sk, tcpKeepaliveTimeWhen(host, sk));
  } else if (open && !on) sk.tcp!.keepaliveTimer = null; // inet_csk_delete_keepalive_timer()
  sk.keepOpen = on;
}

/**
 * Sets TCP_KEEPIDLE, as tcp_sock_set_keepidle_locked(): with keepalive on, the timer is re-armed
 * for what is left of the new idle time.
 * @param host the host
 * @param cpu the CPU
 * @param sk the socket
 * @param seconds the idle time, 1 to 32767
 */
export function tcpSetKeepidle(host: InetNet, cpu: Cpu, sk: Sock, seconds: number): void {
  sk.keepalive.time = seconds;
  if (!sk.keepOpen || !sk.tcp || sk.state === TCP_STATES.CLOSE) return;
  if (sk.state === TCP_STATES.LISTEN) return;
  const left = tcpKeepaliveTimeWhen(host, sk) - keepaliveTimeElapsed(host, sk.tcp);
  tcpResetKeepaliveTimer(host, cpu, sk, Math.max(left, 0));
}

// tcp_keepalive_timer(): held by its owner, it tries again in 50 ms; on an open connection with
// nothing in flight or queued, idle for the keepalive time, it sends a probe (TCPKeepAlive) every
// interval, and once keepalive_probes of them (or TCP_USER_TIMEOUT) went unanswered resets the
// connection and fails it (ETIMEDOUT)
function tcpKeepaliveTimer(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "tcp_keepalive_timer", () => {
    const tp = sk.tcp!;
    if (sk.ownedByUser) return tcpResetKeepaliveTimer(host, cpu, sk, Math.floor(host.hz / 20));
    const s = sk.state;
    // an orphan in FIN_WAIT2 with a longer TCP_LINGER2 than TIME_WAIT lasts: its socket waited
    // the difference, now a timewait sock waits the rest
    if (s === TCP_STATES.FIN_WAIT2 && tp.dead && !tp.timeWait) {
      const tmo = tcpFinTime(host, sk) - TCP_TIMEWAIT_LEN_S * host.hz;
      if (sk.linger2 >= 0 && tmo > 0) return tcpTimeWait(host, sk, "FIN_WAIT2", tmo);
      tcpSendActiveReset(host, cpu, sk);
      return tcpDone(host, sk);
    }
    if (!sk.keepOpen || s === TCP_STATES.CLOSE || s === TCP_STATES.SYN_SENT) return;
    if (s === TCP_STATES.LISTEN || s === TCP_STATES.TIME_WAIT || tp.timeWait) return;
    let when = tcpKeepaliveTimeWhen(host, sk);
    if (!tcpPacketsOut(sk) && !tp.finQueued) {
      const elapsed = keepaliveTimeElapsed(host, tp);
      if (elapsed >= when) {
        const probes = sk.keepalive.probes || host.sysctl["net.ipv4.tcp_keepalive_probes"];
        const ut = sk.userTimeout;
        if (
          (ut && elapsed >= usecsToJiffies(host, ut * 1000) && tp.probesOut > 0) ||
          (!ut && tp.probesOut >= probes)
        ) {
          tcpSendActiveReset(host, cpu, sk, false);
          return tcpWriteErr(host, cpu, sk);
        }
        tcpWriteWakeup(host, cpu, sk, "TCPKeepAlive");
        tp.probesOut++;
        when = (sk.keepalive.intvl || host.sysctl["net.ipv4.tcp_keepalive_intvl"]) * host.hz;
      } else when -= elapsed;
    }
    tcpResetKeepaliveTimer(host, cpu, sk, when);
  });
}

// tcp_write_timer(): the timer fired; with the socket held by its owner the work waits for
// release_sock() (TCP_WRITE_TIMER_DEFERRED, run by tcp_release_cb())
function tcpWriteTimer(host: InetNet, cpu: Cpu, sk: Sock): void {
  const armed = sk.tcp!.xmitTimer;
  const handler = () => {
    if (sk.tcp!.xmitTimer === armed) tcpWriteTimerHandler(host, cpu, sk);
  };
  host.sim.traced(cpu, "tcp_write_timer", () => {
    if (!sk.ownedByUser) return handler();
    if (!sk.deferred.includes(handler)) sk.deferred.push(handler);
  });
}

// tcp_write_timer_handler(): nothing for a closed socket; else the pending event
function tcpWriteTimerHandler(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "tcp_write_timer_handler", () => {
    const tp = sk.tcp!;
    if (sk.state === TCP_STATES.CLOSE || sk.state === TCP_STATES.LISTEN || !tp.xmitTimer) return;
    if (tp.xmitTimer.pending === "loss_probe") return tcpSendLossProbe(host, cpu, sk);
    const probe0 = tp.xmitTimer.pending === "probe0";
    tp.xmitTimer = null;
    if (probe0) tcpProbeTimer(host, cpu, sk);
    else tcpRetransmitTimer(host, cpu, sk);
  });
}

// tcp_send_loss_probe(): at most one probe per episode (tlp_high_seq); with no new data to send
// it is the last segment in flight sent again (TCPLossProbes); the RTO restarts from now.
function tcpSendLossProbe(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "tcp_send_loss_probe", () => {
    const tp = sk.tcp!;
    if (!tp.tlpHighSeq) {
      tp.tlpRetrans = false;
      __tcpRetransmitSkb(host, cpu, sk);
      tp.tlpRetrans = true;
      tp.tlpHighSeq = tp.sndNxt;
      host.mib.tcpExt.TCPLossProbes++;
      tp.xmitTimer = null; // icsk_pending = 0: tcp_rearm_rto() counts from now
    }
    tcpRearmRto(host, cpu, sk);
  });
}

// __tcp_retransmit_skb(): the FIN again with the clock's timestamp, not new data (not in
// OutSegs): RetransSegs, total_retrans; the skb is marked TCPCB_EVER_RETRANS (Karn: its ACK is no
// RTT sample by send time)
function __tcpRetransmitSkb(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "__tcp_retransmit_skb", () => {
    const tp = sk.tcp!;
    tcpTransmitSkb(host, cpu, sk, {
      seq: (tp.sndNxt - 1) >>> 0,
      ack: sk.rcvNxt,
      flags: TCP_FLAGS.FIN | TCP_FLAGS.ACK,
      window: tcpSelectWindow(host, sk),
      options: tcpEstablishedOptions(host, sk),
      retransmit: true,
    });
    tp.finSentAt = host.sim.now;
    tp.finSacked |= TCPCB_EVER_RETRANS;
    host.mib.tcp.RetransSegs++;
    tp.totalRetrans++;
  });
}

// tcp_retransmit_skb(): the retransmission counted in flight (TCPCB_SACKED_RETRANS,
// retrans_out); the first of a recovery stamps retrans_stamp; undo_retrans counts it
function tcpRetransmitSkb(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "tcp_retransmit_skb", () => {
    const tp = sk.tcp!;
    __tcpRetransmitSkb(host, cpu, sk);
    tp.finSacked |= TCPCB_SACKED_RETRANS;
    tp.retransOut++;
    if (!tp.retransStamp) tp.retransStamp = tcpClockMs(host);
    tp.undoRetrans = Math.max(tp.undoRetrans, 0) + 1;
  });
}

// tcp_retransmit_timer(): the RTO ran out (TCPTimeouts): give up past the retry limit; else
// enter loss recovery, count the timeout (icsk_retransmits), send the FIN again and double the
// timeout (icsk_backoff). The zero-window probe path is not modelled: the kit sends its FIN
// whatever the peer's window.
function tcpRetransmitTimer(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "tcp_retransmit_timer", () => {
    const tp = sk.tcp!;
    if (!tcpPacketsOut(sk)) return;
    host.mib.tcpExt.TCPTimeouts++;
    if (tcpWriteTimeout(host, cpu, sk)) return;
    if (tp.retransmits === 0 && tp.caState === TCP_CA_LOSS) host.mib.tcpExt.TCPLossFailures++;
    tcpEnterLoss(host, cpu, sk);
    tp.retransmits++; // tcp_update_rto_stats()
    tcpRetransmitSkb(host, cpu, sk);
    tp.backoff++;
    tp.rtoDoublings++; // icsk_rto = min(icsk_rto << 1, TCP_RTO_MAX)
    tcpResetXmitTimer(host, cpu, sk, "retrans", tcpClampRtoToUserTimeout(host, sk));
  });
}

// tcp_write_timeout() (inlined): each timeout picks a new flow hash (sk_rethink_txhash(),
// TcpTimeoutRehash); past tcp_retries2 timeouts' worth of time since the first retransmission —
// for an orphan, tcp_orphan_retries (0 means 8 while the RTO is below TCP_RTO_MAX) — or past
// TCP_USER_TIMEOUT when one is set, the connection fails with ETIMEDOUT (tcp_write_err():
// TCPAbortOnTimeout)
function tcpWriteTimeout(host: InetNet, cpu: Cpu, sk: Sock): boolean {
  const tp = sk.tcp!;
  let retryUntil = host.sysctl["net.ipv4.tcp_retries2"];
  if (tp.dead) {
    const alive = tcpRto(host, tp) < usecsToJiffies(host, TCP_RTO_MAX_MS * 1000);
    retryUntil = host.sysctl["net.ipv4.tcp_orphan_retries"] || (alive ? 8 : 0);
  }
  if (retransmitsTimedOut(host, tp, retryUntil, sk.userTimeout)) {
    tcpWriteErr(host, cpu, sk);
    return true;
  }
  host.mib.tcpExt.TcpTimeoutRehash++;
  return false;
}

// retransmits_timed_out(): the user timeout (ms), or else the time `boundary` timeouts take from
// TCP_RTO_MIN, doubling up to TCP_RTO_MAX then linear (tcp_model_timeout()), measured from
// retrans_stamp
function retransmitsTimedOut(
  host: InetNet,
  tp: NonNullable<Sock["tcp"]>,
  boundary: number,
  userTimeoutMs: number,
): boolean {
  if (!tp.retransmits) return false;
  let timeoutMs = userTimeoutMs;
  if (!timeoutMs) {
    const rtoBaseMs = TCP_RTO_MIN_US / 1000;
    const linearBackoffThresh = Math.floor(Math.log2(TCP_RTO_MAX_MS / rtoBaseMs));
    timeoutMs = boundary <= linearBackoffThresh
      ? ((2 << boundary) - 1) * rtoBaseMs
      : ((2 << linearBackoffThresh) - 1) * rtoBaseMs +
        (boundary - linearBackoffThresh) * TCP_RTO_MAX_MS;
  }
  return ((timeoutMs - (tcpClockMs(host) - tp.retransStamp)) | 0) <= 0;
}

// tcp_clamp_rto_to_user_timeout(): the next timeout no later than the user timeout's end (at
// once, a jiffy, once it has passed)
function tcpClampRtoToUserTimeout(host: InetNet, sk: Sock): number {
  const tp = sk.tcp!;
  if (!sk.userTimeout) return tcpRto(host, tp);
  const remaining = sk.userTimeout - (tcpClockMs(host) - tp.retransStamp);
  if (remaining <= 0) return 1;
  return Math.min(tcpRto(host, tp), usecsToJiffies(host, remaining * 1000));
}

// tcp_clamp_probe0_to_user_timeout(): a probe no later than the user timeout's end, counted
// from the first probe, but at least TCP_TIMEOUT_MIN (2 jiffies) away
function tcpClampProbe0ToUserTimeout(host: InetNet, sk: Sock, when: number): number {
  const tp = sk.tcp!;
  if (!sk.userTimeout || !tp.probesTstamp) return when;
  const elapsed = Math.max(0, jiffies(host) - tp.probesTstamp);
  const remaining = Math.max(usecsToJiffies(host, sk.userTimeout * 1000) - elapsed, 2);
  return Math.min(remaining, when);
}

// tcp_write_err() (inlined): the socket's error is ETIMEDOUT, told to whoever waits; the FIN's
// skb is freed (tcp_write_queue_purge()) and the connection is done (TCPAbortOnTimeout)
function tcpWriteErr(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.mib.tcpExt.TCPAbortOnTimeout++;
  sk.tcp!.error = "ETIMEDOUT";
  // tcp_done() → tcp_set_state(TCP_CLOSE): an open connection ends as a reset one
  if (sk.state === TCP_STATES.ESTABLISHED || sk.state === TCP_STATES.CLOSE_WAIT) {
    host.mib.tcp.EstabResets++;
    host.mib.tcp.CurrEstab--;
  }
  tcpWriteQueuePurge(host, cpu, sk);
  tcpDone(host, sk);
  sockDefReadable(host, cpu, sk); // sk_error_report()
}

/**
 * Empties the send side, as tcp_write_queue_purge(): our FIN's skb, if it waits for an ACK, is
 * freed, and nothing being in flight any more, the backoff is reset (icsk_backoff = 0; lost_out
 * and retrans_out keep their counts).
 * @param host the host
 * @param cpu the CPU
 * @param sk the connection
 */
export function tcpWriteQueuePurge(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "tcp_write_queue_purge", () => {
    if (sk.wmemQueued) skWmemFree(sk, sk.wmemQueued);
    sk.tcp!.backoff = 0;
  });
}

// include/net/tcp.h: TCP_TIMEWAIT_LEN (60 s), TCP_FIN_TIMEOUT_MAX (120 s)
/** TCP_TIMEWAIT_LEN, seconds: how long a TIME_WAIT lasts. */
export const TCP_TIMEWAIT_LEN_S = 60;
/** TCP_LINGER2's largest value, seconds (TCP_FIN_TIMEOUT_MAX). */
export const TCP_FIN_TIMEOUT_MAX_S = 120;

/**
 * How long an orphan waits in FIN_WAIT2, jiffies, as tcp_fin_time(): TCP_LINGER2, else
 * tcp_fin_timeout, but at least 3.5 RTOs.
 * @param host the host (sysctls, HZ)
 * @param sk the connection
 * @returns jiffies
 */
export function tcpFinTime(host: InetNet, sk: Sock): number {
  const rto = tcpRto(host, sk.tcp!);
  const fin = sk.linger2 || host.sysctl["net.ipv4.tcp_fin_timeout"] * host.hz;
  return Math.max(fin, (rto << 2) - (rto >> 1));
}

/**
 * Leaves the connection to a timewait sock, as tcp_time_wait(): in FIN_WAIT2 (an orphan waiting
 * for the peer's FIN) for `timeo` jiffies, or in TIME_WAIT for TCP_TIMEWAIT_LEN (60 s), at least
 * 3.5 RTOs either way; counted TW, or TWKilled for a wait of 4 s or less
 * (__inet_twsk_schedule()); when the time runs out the sock is gone.
 * @param host the host
 * @param sk the connection
 * @param state the timewait sock's substate
 * @param timeo jiffies, for FIN_WAIT2
 */
export function tcpTimeWait(
  host: InetNet,
  sk: Sock,
  state: "FIN_WAIT2" | "TIME_WAIT",
  timeo: number,
): void {
  const tp = sk.tcp!;
  const rto = tcpRto(host, tp);
  let t = Math.max(timeo, (rto << 2) - (rto >> 1));
  if (state === "TIME_WAIT") {
    t = TCP_TIMEWAIT_LEN_S * host.hz;
    sk.state = TCP_STATES.TIME_WAIT;
  } else {
    sk.state = TCP_STATES.FIN_WAIT2;
    tp.timeWait = true;
  }
  if (t <= 4 * host.hz) host.mib.tcpExt.TWKilled++;
  else host.mib.tcpExt.TW++;
  inetTwskReschedule(host, sk, t);
}

/**
 * Sets the timewait sock's timer afresh, as inet_twsk_reschedule(): it ends the sock when it
 * fires.
 * @param host the host
 * @param sk the connection, a timewait sock
 * @param timeo jiffies; TCP_TIMEWAIT_LEN by default
 */
export function inetTwskReschedule(
  host: InetNet,
  sk: Sock,
  timeo = TCP_TIMEWAIT_LEN_S * host.hz,
): void {
  const tp = sk.tcp!;
  const armed = {};
  tp.twTimer = armed;
  modTimer(host, timeo, () => {
    if (tp.twTimer === armed) inetTwskDeschedulePut(host, sk); // tw_timer_handler()
  });
}

/**
 * Ends a timewait sock, as inet_twsk_deschedule_put(): its 4-tuple is free.
 * @param host the host
 * @param sk the connection in TIME_WAIT
 */
export function inetTwskDeschedulePut(host: InetNet, sk: Sock): void {
  if (sk.tcp) sk.tcp.twTimer = null;
  sk.state = TCP_STATES.CLOSE;
  const socks = host.ipv4.tcpSockets;
  const i = socks.indexOf(sk);
  if (i >= 0) socks.splice(i, 1);
}

/**
 * Ends a connection, as tcp_done(): it is closed, both directions shut (SHUTDOWN_MASK), and
 * leaves the host's table.
 * @param host the host
 * @param sk the connection
 */
export function tcpDone(host: InetNet, sk: Sock): void {
  sk.state = TCP_STATES.CLOSE;
  if (sk.tcp) {
    sk.tcp.xmitTimer = null; // tcp_clear_xmit_timers()
    sk.tcp.sendShutdown = sk.tcp.recvShutdown = true; // sk_shutdown = SHUTDOWN_MASK
  }
  const socks = host.ipv4.tcpSockets;
  const i = socks.indexOf(sk);
  if (i >= 0) socks.splice(i, 1);
}

/**
 * Enters loss recovery after a timeout, as tcp_enter_loss(): the FIN in flight is marked lost
 * (tcp_mark_skb_lost(): a retransmission lost again counts TCPLostRetransmit); the congestion
 * control saves what an undo restores — once per episode — and sets ssthresh; cwnd drops to
 * what is in flight plus one; TCP_CA_Loss until what was in flight (high_seq) is acknowledged.
 * @param host the host
 * @param cpu the CPU
 * @param sk the connection
 */
export function tcpEnterLoss(host: InetNet, cpu: Cpu, sk: Sock): void {
  host.sim.traced(cpu, "tcp_enter_loss", () => {
    const tp = sk.tcp!;
    host.sim.traced(cpu, "tcp_mark_skb_lost", () => {
      if (tp.finSacked & TCPCB_LOST) {
        if (tp.finSacked & TCPCB_SACKED_RETRANS) {
          tp.finSacked &= ~TCPCB_SACKED_RETRANS;
          tp.retransOut--;
          host.mib.tcpExt.TCPLostRetransmit++;
        }
      } else {
        tp.lostOut++;
        tp.finSacked |= TCPCB_LOST;
      }
    });
    if (
      tp.caState === TCP_CA_OPEN || tp.highSeq === tp.sndUna ||
      (tp.caState === TCP_CA_LOSS && !tp.retransmits)
    ) {
      // tcp_current_ssthresh(): outside a cwnd reduction, at least 3/4 of cwnd
      tp.priorSsthresh = Math.max(tp.sndSsthresh, (tp.sndCwnd >> 1) + (tp.sndCwnd >> 2));
      tp.priorCwnd = tp.sndCwnd;
      tp.sndSsthresh = tcpCaSsthresh(host, cpu, tp);
      // tcp_init_undo(): the probe still in flight may yet prove the loss false
      tp.undoMarker = tp.sndUna;
      tp.undoRetrans = tp.retransOut + (tp.tlpHighSeq && tp.tlpRetrans ? 1 : 0) || -1;
    }
    // tcp_packets_in_flight(): packets_out − lost_out + retrans_out
    tp.sndCwnd = tcpPacketsOut(sk) - tp.lostOut + tp.retransOut + 1;
    tcpSetCaState(host, cpu, tp, TCP_CA_LOSS);
    tp.highSeq = tp.sndNxt;
    tp.tlpHighSeq = 0;
  });
}

// The congestion control's ssthresh op at a loss: bbr_ssthresh() saves cwnd (bbr_save_cwnd())
// and keeps ssthresh; tcp_reno_ssthresh() halves cwnd, cubic's bictcp_recalc_ssthresh() takes
// beta = 717/1024 of it, both at least 2
function tcpCaSsthresh(host: InetNet, cpu: Cpu, tp: NonNullable<Sock["tcp"]>): number {
  const cc = host.ipv4.tcpCongestionControl;
  if (cc === "bbr") {
    return host.sim.traced(cpu, "bbr_ssthresh", () => {
      tp.bbr.priorCwnd = tp.bbr.prevCaState < TCP_CA_RECOVERY
        ? tp.sndCwnd
        : Math.max(tp.bbr.priorCwnd, tp.sndCwnd);
      return tp.sndSsthresh;
    });
  }
  if (cc === "cubic") {
    return host.sim.traced(
      cpu,
      "cubictcp_recalc_ssthresh",
      () => Math.max(Math.floor(tp.sndCwnd * 717 / 1024), 2),
    );
  }
  return host.sim.traced(cpu, "tcp_reno_ssthresh", () => Math.max(tp.sndCwnd >> 1, 2));
}

/**
 * Sets the congestion state, as tcp_set_ca_state(): bbr_set_state() notes a loss (its
 * prev_ca_state becomes TCP_CA_Loss).
 * @param host the host
 * @param cpu the CPU
 * @param tp the connection
 * @param state the new icsk_ca_state
 */
export function tcpSetCaState(
  host: InetNet,
  cpu: Cpu,
  tp: NonNullable<Sock["tcp"]>,
  state: number,
): void {
  if (host.ipv4.tcpCongestionControl === "bbr") {
    host.sim.traced(cpu, "bbr_set_state", () => {
      if (state === TCP_CA_LOSS) tp.bbr.prevCaState = TCP_CA_LOSS;
    });
  }
  tp.caState = state;
}
