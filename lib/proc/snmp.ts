// Models net/ipv4/proc.c (Linux 6.18): snmp_seq_show() printing /proc/net/snmp's IPv4 groups.

import type { InetNet } from "../ipv4/netns_ipv4.ts";
import { snmpGroups, UDP_MIB_FIELDS } from "../ipv4/snmp.ts";
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
