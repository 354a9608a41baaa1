// Models `netstat -s` (net-tools 2.10, statistics.c): /proc/net/snmp then /proc/net/netstat read
// line pair by line pair, each counter worded by net-tools' tables — found by bsearch() with
// strcmp() in tables that are not quite sorted ("Forwarding" comes before "ForwDatagrams"),
// so some counters fall to the plain `Name: value` form — and indented by the state the last
// printed line left, which carries from one group into the next.

import type { InetNet } from "../ipv4/netns_ipv4.ts";
import { procNetNetstat, procNetSnmp } from "./snmp.ts";
import { TextView } from "../viz/display.ts";

// An entry of a table: the counter, its wording (%d the value, %s a word), how it prints
type Entry = [title: string, out: string, type: string];

// statistics.c's tables, in its order (the one bsearch() reads)
const TABLES: Record<string, Entry[]> = {
  Ip: [
    ["DefaultTTL", "Default TTL is %d", "number|static"],
    ["Forwarding", "Forwarding is %s", "i_forward|static"],
    ["ForwDatagrams", "%d forwarded", "number"],
    ["FragCreates", "%d fragments created", "opt_number"],
    ["FragFails", "%d outgoing packets failed fragmentation", "opt_number"],
    ["FragOKs", "%d outgoing packets fragmented ok", "opt_number"],
    ["InAddrErrors", "%d with invalid addresses", "opt_number"],
    ["InDelivers", "%d incoming packets delivered", "number"],
    ["InDiscards", "%d incoming packets discarded", "number"],
    ["InHdrErrors", "%d with invalid headers", "opt_number"],
    ["InReceives", "%d total packets received", "number"],
    ["InUnknownProtos", "%d with unknown protocol", "opt_number"],
    ["OutDiscards", "%d outgoing packets dropped", "opt_number"],
    ["OutNoRoutes", "%d dropped because of missing route", "opt_number"],
    ["OutRequests", "%d requests sent out", "number"],
    ["ReasmFails", "%d packet reassemblies failed", "opt_number"],
    ["ReasmOKs", "%d packets reassembled ok", "opt_number"],
    ["ReasmReqds", "%d reassemblies required", "opt_number"],
    ["ReasmTimeout", "%d fragments dropped after timeout", "opt_number"],
  ],
  Icmp: [
    ["InAddrMaskReps", "address mask replies: %d", "i_inp_icmp|title"],
    ["InAddrMasks", "address mask request: %d", "i_inp_icmp|title"],
    ["InDestUnreachs", "destination unreachable: %d", "i_inp_icmp|title"],
    ["InEchoReps", "echo replies: %d", "i_inp_icmp|title"],
    ["InEchos", "echo requests: %d", "i_inp_icmp|title"],
    ["InErrors", "%d input ICMP message failed", "number"],
    ["InMsgs", "%d ICMP messages received", "number"],
    ["InParmProbs", "wrong parameters: %d", "i_inp_icmp|title"],
    ["InRedirects", "redirects: %d", "i_inp_icmp|title"],
    ["InSrcQuenchs", "source quenches: %d", "i_inp_icmp|title"],
    ["InTimeExcds", "timeout in transit: %d", "i_inp_icmp|title"],
    ["InTimestampReps", "timestamp reply: %d", "i_inp_icmp|title"],
    ["InTimestamps", "timestamp request: %d", "i_inp_icmp|title"],
    ["OutAddrMaskReps", "address mask replies: %d", "i_outp_icmp|title"],
    ["OutAddrMasks", "address mask requests: %d", "i_outp_icmp|title"],
    ["OutDestUnreachs", "destination unreachable: %d", "i_outp_icmp|title"],
    ["OutEchoReps", "echo replies: %d", "i_outp_icmp|title"],
    ["OutEchos", "echo requests: %d", "i_outp_icmp|title"],
    ["OutErrors", "%d ICMP messages failed", "number"],
    ["OutMsgs", "%d ICMP messages sent", "number"],
    ["OutParmProbs", "wrong parameters: %d", "i_outp_icmp|title"],
    ["OutRedirects", "redirect: %d", "i_outp_icmp|title"],
    ["OutSrcQuenchs", "source quench: %d", "i_outp_icmp|title"],
    ["OutTimeExcds", "time exceeded: %d", "i_outp_icmp|title"],
    ["OutTimestampReps", "timestamp replies: %d", "i_outp_icmp|title"],
    ["OutTimestamps", "timestamp requests: %d", "i_outp_icmp|title"],
  ],
  Tcp: [
    ["ActiveOpens", "%d active connection openings", "number"],
    ["AttemptFails", "%d failed connection attempts", "number"],
    ["CurrEstab", "%d connections established", "number"],
    ["EstabResets", "%d connection resets received", "number"],
    ["InErrs", "%d bad segments received", "number"],
    ["InSegs", "%d segments received", "number"],
    ["MaxConn", "", "number"],
    ["OutRsts", "%d resets sent", "number"],
    ["OutSegs", "%d segments sent out", "number"],
    ["PassiveOpens", "%d passive connection openings", "number"],
    ["RetransSegs", "%d segments retransmitted", "number"],
    ["RtoAlgorithm", "RTO algorithm is %s", "i_rto_alg|static"],
    ["RtoMax", "", "number"],
    ["RtoMin", "", "number"],
  ],
  Udp: [
    ["InDatagrams", "%d packets received", "number"],
    ["InErrors", "%d packet receive errors", "number"],
    ["NoPorts", "%d packets to unknown port received", "number"],
    ["OutDatagrams", "%d packets sent", "number"],
    ["RcvbufErrors", "%d receive buffer errors", "number"],
    ["SndbufErrors", "%d send buffer errors", "number"],
  ],
  TcpExt: [
    ["DelayedACKLocked", "%d delayed acks further delayed because of locked socket", "opt_number"],
    ["DelayedACKLost", "Quick ack mode was activated %d times", "opt_number"],
    ["DelayedACKs", "%d delayed acks sent", "opt_number"],
    ["EmbryonicRsts", "%d resets received for embryonic SYN_RECV sockets", "opt_number"],
    ["ListenDrops", "%d SYNs to LISTEN sockets dropped", "opt_number"],
    ["ListenOverflows", "%d times the listen queue of a socket overflowed", "opt_number"],
    ["LockDroppedIcmps", "%d ICMP packets dropped because socket was locked", "opt_number"],
    [
      "OfoPruned",
      "%d packets dropped from out-of-order queue because of socket buffer overrun",
      "opt_number",
    ],
    ["OutOfWindowIcmps", "%d ICMP packets dropped because they were out-of-window", "opt_number"],
    ["PAWSActive", "%d active connections rejected because of time stamp", "opt_number"],
    [
      "PAWSEstab",
      "%d packets rejected in established connections because of timestamp",
      "opt_number",
    ],
    ["PAWSPassive", "%d passive connections rejected because of time stamp", "opt_number"],
    [
      "PruneCalled",
      "%d packets pruned from receive queue because of socket buffer overrun",
      "opt_number",
    ],
    ["RcvPruned", "%d packets pruned from receive queue", "opt_number"],
    ["SockMallocOOM", "Ran %d times out of system memory during packet sending", "opt_number"],
    ["SyncookiesFailed", "%d invalid SYN cookies received", "opt_number"],
    ["SyncookiesRecv", "%d SYN cookies received", "opt_number"],
    ["SyncookiesSent", "%d SYN cookies sent", "opt_number"],
    ["TCPAbortFailed", "%d times unable to send RST due to no memory", "opt_number"],
    ["TCPAbortOnClose", "%d connections reset due to early user close", "opt_number"],
    ["TCPAbortOnData", "%d connections reset due to unexpected data", "opt_number"],
    ["TCPAbortOnLinger", "%d connections aborted after user close in linger timeout", "opt_number"],
    ["TCPAbortOnMemory", "%d connections aborted due to memory pressure", "opt_number"],
    ["TCPAbortOnSyn", "%d connections reset due to unexpected SYN", "opt_number"],
    ["TCPAbortOnTimeout", "%d connections aborted due to timeout", "opt_number"],
    ["TCPDirectCopyFromBacklog", "%d bytes directly in process context from backlog", "opt_number"],
    [
      "TCPDirectCopyFromPrequeue",
      "%d bytes directly received in process context from prequeue",
      "opt_number",
    ],
    ["TCPDSACKOfoRecv", "%d DSACKs for out of order packets received", "opt_number"],
    ["TCPDSACKOfoSent", "%d DSACKs sent for out of order packets", "opt_number"],
    ["TCPDSACKOldSent", "%d DSACKs sent for old packets", "opt_number"],
    ["TCPDSACKRecv", "%d DSACKs received", "opt_number"],
    ["TCPDSackUndo", "%d congestion window recovered without slow start using DSACK", "opt_number"],
    ["TCPDSACKUndo", "%d congestion windows recovered without slow start by DSACK", "opt_number"],
    ["TCPFACKReorder", "Detected reordering %d times using FACK", "opt_number"],
    ["TCPFastRetrans", "%d fast retransmits", "opt_number"],
    ["TCPForwardRetrans", "%d forward retransmits", "opt_number"],
    ["TCPFullUndo", "%d congestion windows fully recovered without slow start", "opt_number"],
    ["TCPHPAcks", "%d predicted acknowledgments", "opt_number"],
    ["TCPHPHits", "%d packet headers predicted", "number"],
    ["TCPHPHitsToUser", "%d packet headers predicted and directly queued to user", "opt_number"],
    ["TCPLossFailures", "%d timeouts in loss state", "opt_number"],
    ["TCPLoss", "%d TCP data loss events", "opt_number"],
    [
      "TCPLossUndo",
      "%d congestion windows recovered without slow start after partial ack",
      "opt_number",
    ],
    ["TCPLostRetransmits", "%d retransmits lost", "opt_number"],
    ["TCPMemoryPressures", "TCP ran low on memory %d times", "opt_number"],
    [
      "TCPPartialUndo",
      "%d congestion windows partially recovered using Hoe heuristic",
      "opt_number",
    ],
    ["TCPPrequeued", "%d packets directly queued to recvmsg prequeue", "opt_number"],
    ["TCPPrequeueDropped", "%d packets dropped from prequeue", "opt_number"],
    ["TCPPureAcks", "%d acknowledgments not containing data payload received", "opt_number"],
    [
      "TCPRcvCollapsed",
      "%d packets collapsed in receive queue due to low socket buffer",
      "opt_number",
    ],
    ["TCPRenoFailures", "%d timeouts after reno fast retransmit", "opt_number"],
    ["TCPRenoRecoveryFailed", "%d reno fast retransmits failed", "opt_number"],
    ["TCPRenoRecoveryFail", "%d classic Reno fast retransmits failed", "opt_number"],
    ["TCPRenoRecovery", "%d times recovered from packet loss due to fast retransmit", "opt_number"],
    ["TCPRenoReorder", "Detected reordering %d times using reno fast retransmit", "opt_number"],
    ["TCPSackFailures", "%d timeouts after SACK recovery", "opt_number"],
    ["TCPSackRecoveryFail", "%d SACK retransmits failed", "opt_number"],
    [
      "TCPSackRecovery",
      "%d times recovered from packet loss by selective acknowledgements",
      "opt_number",
    ],
    ["TCPSACKReneging", "%d bad SACK blocks received", "opt_number"],
    ["TCPSACKReorder", "Detected reordering %d times using SACK", "opt_number"],
    [
      "TCPSchedulerFailed",
      "%d times receiver scheduled too late for direct processing",
      "opt_number",
    ],
    ["TCPSlowStartRetrans", "%d retransmits in slow start", "opt_number"],
    ["TCPTimeouts", "%d other TCP timeouts", "opt_number"],
    ["TCPTSReorder", "Detected reordering %d times using time stamp", "opt_number"],
    ["TWKilled", "%d TCP sockets finished time wait in slow timer", "opt_number"],
    ["TW", "%d TCP sockets finished time wait in fast timer", "opt_number"],
    ["TWRecycled", "%d time wait sockets recycled by time stamp", "opt_number"],
  ],
};

// enum State's indents: number and opt_number 4, the ICMP histograms 8 under their title
const INDENT: Record<string, number> = {
  number: 4,
  opt_number: 4,
  i_forward: 4,
  i_inp_icmp: 8,
  i_outp_icmp: 8,
  i_rto_alg: 0,
};
const TITLE: Record<string, string> = {
  i_inp_icmp: "ICMP input histogram:",
  i_outp_icmp: "ICMP output histogram:",
};

// glibc's bsearch() with strcmp() (byte order)
function bsearch(table: Entry[], key: string): Entry | undefined {
  let l = 0, u = table.length;
  while (l < u) {
    const i = (l + u) >> 1;
    const c = key < table[i][0] ? -1 : key > table[i][0] ? 1 : 0;
    if (c < 0) u = i;
    else if (c > 0) l = i + 1;
    else return table[i];
  }
  return undefined;
}

/**
 * `netstat -s` as net-tools 2.10 prints it from the host's /proc/net/snmp and /proc/net/netstat:
 * a title per group, each counter in net-tools' words ("10 total packets received"), the ICMP
 * types under their histograms, counters net-tools has no words for as `Name: value` when not
 * zero.
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, netstatS } from "@rxpath/rxpath";
 * console.log(netstatS(createHost()).text.split("\n").slice(0, 3).join("\n"));
 * // Ip:
 * //     Forwarding: 2
 * //     0 total packets received
 * ```
 */
export function netstatS(host: InetNet): TextView {
  const out: string[] = [];
  let state = "number";
  const pad = (n: number) => " ".repeat(n);
  for (const view of [procNetSnmp(host), procNetNetstat(host)]) {
    const lines = view.text.split("\n").filter((l) => l);
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const [group, ...names] = lines[i].split(/\s+/);
      const values = lines[i + 1].split(/\s+/).slice(1);
      const title = group.slice(0, -1);
      out.push(`${title}:`);
      const table = TABLES[title];
      if (table) state = "number"; // newtable(): a known group starts afresh
      names.forEach((name, k) => {
        const val = Number(values[k]);
        const ent = table && bsearch(table, name);
        if (!ent) {
          // "try our best"
          if (val) out.push(`${pad(INDENT[state])}${name}: ${val}`);
          return;
        }
        let [, fmt, type] = ent;
        if (type.endsWith("|static")) return; // static configuration: netstat -s leaves it out
        if (fmt === "") return;
        if (type.endsWith("|title")) {
          type = type.slice(0, -"|title".length);
          if (state !== type) out.push(`${pad(INDENT[state])}${TITLE[type]}`);
        }
        const text = (type === "opt_number" || type.startsWith("i_")) && !val
          ? ""
          : fmt.replace("%d", String(val));
        if (text) out.push(`${pad(INDENT[type])}${text}`);
        state = type;
      });
    }
  }
  return new TextView("netstat -s", out.join("\n") + "\n");
}
