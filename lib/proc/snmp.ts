// Models net/ipv4/proc.c (Linux 6.18): snmp_seq_show() printing /proc/net/snmp's IPv4 groups,
// netstat_seq_show() printing /proc/net/netstat, and what nstat makes of both.

import type { InetNet } from "../ipv4/netns_ipv4.ts";
import { MPTCPEXT_MIB_FIELDS, snmpGroups, UDP_MIB_FIELDS } from "../ipv4/snmp.ts";
import { TextView } from "../viz/display.ts";

/**
 * Renders /proc/net/snmp's IPv4 groups (UdpLite included, as the file has it): for each group
 * a line of names and a line of values. IcmpMsg appears only when some type was counted.
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, procNetSnmp } from "@rxpath/rxpath";
 * console.log(procNetSnmp(createHost()).text.split("\n")[0].slice(0, 30)); // "Ip: Forwarding DefaultTTL InRe"
 * ```
 */
export function procNetSnmp(host: InetNet): TextView {
  const g = snmpGroups(host);
  const lines: string[] = [];
  const put = (name: string, rec: Record<string, number>) => {
    lines.push(`${name}: ${Object.keys(rec).join(" ")}`);
    lines.push(`${name}: ${Object.values(rec).join(" ")}`);
  };
  put("Ip", g.Ip);
  put("Icmp", g.Icmp);
  if (Object.keys(g.IcmpMsg).length) put("IcmpMsg", g.IcmpMsg);
  put("Tcp", g.Tcp);
  put("Udp", g.Udp);
  put("UdpLite", Object.fromEntries(UDP_MIB_FIELDS.map((f) => [f, 0]))); // no UDP-Lite sockets
  return new TextView("/proc/net/snmp", lines.join("\n") + "\n");
}

/**
 * Renders /proc/net/netstat as netstat_seq_show() does: TcpExt, IpExt and MPTcpExt, each a line
 * of names and a line of values (MPTcpExt all zero: the kit has no MPTCP).
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, procNetNetstat } from "@rxpath/rxpath";
 * console.log(procNetNetstat(createHost()).text.split("\n")[0].slice(0, 26)); // "TcpExt: SyncookiesSent Syn"
 * ```
 */
export function procNetNetstat(host: InetNet): TextView {
  const m = host.mib;
  const lines: string[] = [];
  const put = (name: string, rec: Record<string, number>) => {
    lines.push(`${name}: ${Object.keys(rec).join(" ")}`);
    lines.push(`${name}: ${Object.values(rec).join(" ")}`);
  };
  put("TcpExt", m.tcpExt);
  put("IpExt", m.ipExt);
  put("MPTcpExt", Object.fromEntries(MPTCPEXT_MIB_FIELDS.map((f) => [f, 0])));
  return new TextView("/proc/net/netstat", lines.join("\n") + "\n");
}

/** The counters nstat reads, by nstat's name (group and field joined, such as `TcpExtDelayedACKs`). */
export type NstatCounters = Record<string, number>;

/**
 * Reads /proc/net/snmp and /proc/net/netstat as nstat does: every counter under its group's
 * name and its own, `IpInReceives`, `TcpExtDelayedACKs`.
 * @param host the host
 * @returns the counters
 */
export function nstatCounters(host: InetNet): NstatCounters {
  const out: NstatCounters = {};
  for (const view of [procNetSnmp(host), procNetNetstat(host)]) {
    const lines = view.text.trim().split("\n");
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const [group, ...names] = lines[i].split(" ");
      const values = lines[i + 1].split(" ").slice(1);
      names.forEach((n, j) => out[group.slice(0, -1) + n] = Number(values[j]));
    }
  }
  return out;
}

/**
 * What `nstat` prints between two readings: each counter that changed, with its increase, as
 * `#kernel` then `name value rate` lines (the rate over the interval, one decimal), the columns
 * as iproute2's nstat lays them out.
 * @param before the earlier reading ({@linkcode nstatCounters})
 * @param after the later one
 * @param intervalNs the time between them, for the rate column; 0 prints 0.0
 * @returns the text view
 */
export function nstat(before: NstatCounters, after: NstatCounters, intervalNs = 0): TextView {
  const lines = ["#kernel"];
  for (const [name, value] of Object.entries(after)) {
    const delta = value - (before[name] ?? 0);
    if (!delta) continue;
    const rate = intervalNs ? delta / (intervalNs / 1e9) : 0;
    // misc/nstat.c: "%-32s%-16llu%6.1f"
    lines.push(`${name.padEnd(32)}${String(delta).padEnd(16)}${rate.toFixed(1).padStart(6)}`);
  }
  return new TextView("nstat", lines.join("\n") + "\n");
}
