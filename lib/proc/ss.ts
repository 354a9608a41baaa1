// Models what ss(8) (iproute2 6.1, misc/ss.c: tcp_show(), tcp_show_info(), tcp_stats_print())
// prints for `ss -tmin`: each TCP socket that is not listening, with its queues, and under it
// its memory (sk_get_meminfo()) and TCP_INFO (tcp_get_info()) as the kernel's inet_diag gives
// them. The congestion control's own block (bbr:(...)), pacing_rate and app_limited are not
// modelled and not shown; iproute2 6.1 names the timestamp and SACK options only with -o.

import type { InetNet } from "../ipv4/netns_ipv4.ts";
import { skGetMeminfo, type Sock, TCP_STATES } from "../core/sock.ts";
import { tcpGetInfo } from "../ipv4/tcp.ts";
import { udpRqueueGet } from "../ipv4/udp.ts";
import { inNtoa } from "../wire/ipv4.ts";
import { TextView } from "../viz/display.ts";

// misc/ss.c: sstate_name[]
const STATE_NAMES: Record<number, string> = {
  1: "ESTAB",
  2: "SYN-SENT",
  3: "SYN-RECV",
  4: "FIN-WAIT-1",
  5: "FIN-WAIT-2",
  6: "TIME-WAIT",
  7: "UNCONN",
  8: "CLOSE-WAIT",
  9: "LAST-ACK",
  10: "LISTEN",
  11: "CLOSING",
};

// printf's %g: six significant digits, no trailing zeros, an exponent (two digits at least)
// below 1e-4 and from 1e6 up
function g(x: number): string {
  if (x === 0) return "0";
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp >= -4 && exp < 6) return String(Number(x.toPrecision(6)));
  const [mant, e] = x.toExponential(5).split("e");
  const n = Number(e);
  return `${Number(mant)}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
}

/**
 * Renders `ss -tmin`: a row per TCP socket ss's default filter shows — not listening, not in
 * TIME_WAIT — (State, Recv-Q, Send-Q, the local and peer address and port), then a tab-indented
 * line — empty for a timewait sock in FIN_WAIT2, which has none — of `skmem:(r,rb,t,tb,f,w,o,bl,d)` and the
 * TCP_INFO fields in ss's words and order (wscale, rto, rtt/rttvar, ato, mss, pmtu, rcvmss,
 * advmss, cwnd, bytes_received, segs_out/in, send, lastsnd/rcv/ack, delivered, rcv_rtt,
 * rcv_space, rcv_ssthresh, minrtt, rcv_ooopack, snd_wnd…), times in ms.
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost } from "@rxpath/rxpath";
 * import { ssTcp } from "@rxpath/rxpath/proc";
 * console.log(ssTcp(createHost()).text); // the header: no connection yet
 * ```
 */
export function ssTcp(host: InetNet): TextView {
  const socks = host.ipv4.tcpSockets.filter((sk) =>
    sk.state !== TCP_STATES.LISTEN && sk.state !== TCP_STATES.CLOSE &&
    sk.state !== TCP_STATES.TIME_WAIT
  );
  const rows = socks.map((sk) => {
    const tp = sk.tcp;
    // inet_diag: rqueue = rcv_nxt - copied_seq, wqueue = write_seq - snd_una
    const recvQ = tp ? Math.max(0, (sk.rcvNxt - tp.copiedSeq) | 0) : 0;
    // write_seq - snd_una: a FIN still queued counts
    const sendQ = tp && sk.state !== TCP_STATES.SYN_SENT
      ? ((tp.sndNxt - tp.sndUna) >>> 0) + (tp.finQueued ? 1 : 0)
      : 0;
    // a timewait sock (inet_twsk_diag_fill()): its substate, empty queues, no memory or info
    const tw = !!tp?.timeWait;
    return {
      state: STATE_NAMES[sk.state],
      recvQ: String(tw ? 0 : recvQ),
      sendQ: String(tw ? 0 : sendQ),
      local: [inNtoa(sk.rcvSaddr), String(sk.num)],
      peer: [inNtoa(sk.daddr), String(sk.dport)],
      info: tw ? "    " : infoLine(host, sk),
    };
  });
  return ssTable("ss -tmin", rows);
}

// tcp_show_info(): skmem, then tcp_stats_print()'s fields, each only when not zero
function infoLine(host: InetNet, sk: Sock): string {
  const parts = [skmem(sk)];
  const i = tcpGetInfo(host, sk);
  if (!i) return parts[0];
  const add = (cond: unknown, text: string) => cond && parts.push(text);
  parts.push(host.ipv4.tcpCongestionControl);
  add(i.tcpiOptions & 4, `wscale:${i.tcpiSndWscale},${i.tcpiRcvWscale}`);
  add(i.tcpiRto, `rto:${g(i.tcpiRto / 1000)}`);
  add(i.tcpiBackoff, `backoff:${i.tcpiBackoff}`);
  add(i.tcpiRtt, `rtt:${g(i.tcpiRtt / 1000)}/${g(i.tcpiRttvar / 1000)}`);
  add(i.tcpiAto, `ato:${g(i.tcpiAto / 1000)}`);
  add(i.tcpiSndMss, `mss:${i.tcpiSndMss}`);
  add(i.tcpiPmtu, `pmtu:${i.tcpiPmtu}`);
  add(i.tcpiRcvMss, `rcvmss:${i.tcpiRcvMss}`);
  add(i.tcpiAdvmss, `advmss:${i.tcpiAdvmss}`);
  add(i.tcpiSndCwnd, `cwnd:${i.tcpiSndCwnd}`);
  add(i.tcpiSndSsthresh < 0xffff, `ssthresh:${i.tcpiSndSsthresh}`);
  add(i.tcpiBytesAcked, `bytes_acked:${i.tcpiBytesAcked}`);
  add(i.tcpiBytesReceived, `bytes_received:${i.tcpiBytesReceived}`);
  add(i.tcpiSegsOut, `segs_out:${i.tcpiSegsOut}`);
  add(i.tcpiSegsIn, `segs_in:${i.tcpiSegsIn}`);
  add(i.tcpiDataSegsOut, `data_segs_out:${i.tcpiDataSegsOut}`);
  add(i.tcpiDataSegsIn, `data_segs_in:${i.tcpiDataSegsIn}`);
  // -n: the rate unscaled (sprint_bw())
  add(
    i.tcpiRtt && i.tcpiSndCwnd,
    `send ${Math.round(i.tcpiSndCwnd * i.tcpiSndMss * 8e6 / i.tcpiRtt)}bps`,
  );
  add(i.tcpiLastDataSent, `lastsnd:${i.tcpiLastDataSent}`);
  add(i.tcpiLastDataRecv, `lastrcv:${i.tcpiLastDataRecv}`);
  add(i.tcpiLastAckRecv, `lastack:${i.tcpiLastAckRecv}`);
  add(i.tcpiDelivered, `delivered:${i.tcpiDelivered}`);
  add(i.tcpiUnacked, `unacked:${i.tcpiUnacked}`);
  add(i.tcpiRetrans || i.tcpiTotalRetrans, `retrans:${i.tcpiRetrans}/${i.tcpiTotalRetrans}`);
  add(i.tcpiLost, `lost:${i.tcpiLost}`);
  add(i.tcpiRcvRtt, `rcv_rtt:${g(i.tcpiRcvRtt / 1000)}`);
  add(i.tcpiRcvSpace, `rcv_space:${i.tcpiRcvSpace}`);
  add(i.tcpiRcvSsthresh, `rcv_ssthresh:${i.tcpiRcvSsthresh}`);
  add(i.tcpiMinRtt, `minrtt:${g(i.tcpiMinRtt / 1000)}`);
  add(i.tcpiRcvOoopack, `rcv_ooopack:${i.tcpiRcvOoopack}`);
  add(i.tcpiSndWnd, `snd_wnd:${i.tcpiSndWnd}`);
  return parts.join(" ");
}

/**
 * Renders `ss -u -a -m`: a row per UDP socket — UNCONN, or ESTAB once connected — with Recv-Q
 * (the memory its queued datagrams take, sk_rmem_alloc), Send-Q, the local and peer address and
 * port (`*` for no peer port), then its memory (`skmem:`), in the order the UDP hash dumps them
 * (by port).
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, udpSocket } from "@rxpath/rxpath";
 * import { ssUdp } from "@rxpath/rxpath/proc";
 * const host = createHost();
 * udpSocket(host, { addr: 0, port: 5000 });
 * console.log(ssUdp(host).text.split("\n")[1]); // UNCONN 0      0      0.0.0.0:5000 0.0.0.0:*
 * ```
 */
export function ssUdp(host: InetNet): TextView {
  const rows = [...host.ipv4.udpSockets].sort((a, b) => a.num - b.num).map((sk) => {
    return {
      state: STATE_NAMES[sk.state],
      recvQ: String(udpRqueueGet(sk)),
      sendQ: "0",
      local: [inNtoa(sk.rcvSaddr), String(sk.num)],
      peer: [inNtoa(sk.daddr), sk.dport ? String(sk.dport) : "*"],
      info: skmem(sk),
    };
  });
  return ssTable("ss -u -a -m", rows);
}

// print_skmeminfo(): the socket's memory as sk_get_meminfo() reports it
function skmem(sk: Sock): string {
  const m = skGetMeminfo(sk);
  return `skmem:(r${m.rmemAlloc},rb${m.rcvbuf},t0,tb${m.sndbuf},f${m.fwdAlloc},w${m.wmemQueued},o0,bl${m.backlog},d${m.drops})`;
}

/** A row of ss's table, and the line under it. */
interface SsRow {
  state: string;
  recvQ: string;
  sendQ: string;
  local: string[];
  peer: string[];
  info: string;
}

// ss's columns: State and the ports left-aligned, the addresses right-aligned, each as wide as
// its widest cell or heading; the queues six wide; the socket's details tab-indented below
function ssTable(title: string, rows: SsRow[]): TextView {
  const w = (head: string, cells: string[]) => Math.max(head.length, ...cells.map((c) => c.length));
  const ws = w("State", rows.map((r) => r.state));
  const wl = w("Local Address", rows.map((r) => r.local[0]));
  const wlp = w("Port", rows.map((r) => r.local[1]));
  const wp = w("Peer Address", rows.map((r) => r.peer[0]));
  const wpp = w("Port", rows.map((r) => r.peer[1]));
  const lines = [
    `${"State".padEnd(ws)} Recv-Q Send-Q ${"Local Address".padStart(wl)}:${"Port".padEnd(wlp)} ${
      "Peer Address".padStart(wp)
    }:${"Port".padEnd(wpp)}Process`,
  ];
  for (const r of rows) {
    lines.push(
      `${r.state.padEnd(ws)} ${r.recvQ.padEnd(6)} ${r.sendQ.padEnd(6)} ${r.local[0].padStart(wl)}:${
        r.local[1].padEnd(wlp)
      } ${r.peer[0].padStart(wp)}:${r.peer[1]}`,
    );
    lines.push(`\t ${r.info}`);
  }
  return new TextView(title, lines.join("\n") + "\n");
}
