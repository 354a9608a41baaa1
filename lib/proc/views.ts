// Every host view the kit renders, by a short name, with the command that prints the same thing
// on a real host: the one place the chapters and the CLI (`rxpath replay --show`) take them from.

import type { Host } from "../init/main.ts";
import { TextView } from "../viz/display.ts";
import { procInterrupts } from "./interrupts.ts";
import { procSoftirqs } from "./softirqs.ts";
import { procStat } from "./stat.ts";
import { procNetSoftnetStat } from "./net_procfs.ts";
import { ipLinkShow, procNetDev } from "./link.ts";
import { nstat, nstatCounters, procNetNetstat, procNetSnmp } from "./snmp.ts";
import { netstatS } from "./netstat.ts";
import { procNetUdp, sockstatUdp } from "./udp.ts";
import { ssTcp, ssUdp } from "./ss.ts";
import { ipNeighShow, procNetArp } from "./neigh.ts";
import { ipRouteShow } from "./route.ts";
import { iptablesList } from "./iptables.ts";
import { tc } from "../sched/sch_api.ts";

/** A view of a host: the command that shows it on a real host, and the kit's rendering. */
export interface HostView {
  /** What a user runs on a real host to see the same. */
  command: string;
  /** The kit's rendering, in that command's format. */
  render: (host: Host) => TextView;
}

/**
 * The host views by name: `interrupts`, `softirqs`, `stat`, `softnet_stat`, `dev`, `link`,
 * `snmp`, `netstat`, `nstat`, `netstat-s`, `udp`, `sockstat-udp`, `ss-u`, `ss-t`, `arp`, `neigh`,
 * `route`, `iptables`, `tc`.
 * @example
 * ```ts
 * import { createHost, HOST_VIEWS } from "@rxpath/rxpath";
 * const host = createHost();
 * console.log(HOST_VIEWS.dev.command); // cat /proc/net/dev
 * console.log(HOST_VIEWS.dev.render(host).text);
 * ```
 */
export const HOST_VIEWS: Readonly<Record<string, HostView>> = {
  interrupts: { command: "cat /proc/interrupts", render: procInterrupts },
  softirqs: { command: "cat /proc/softirqs", render: procSoftirqs },
  stat: { command: "cat /proc/stat", render: procStat },
  softnet_stat: { command: "cat /proc/net/softnet_stat", render: procNetSoftnetStat },
  dev: { command: "cat /proc/net/dev", render: procNetDev },
  link: { command: "ip -s -s link", render: (h) => ipLinkShow(h, { stats: 2 }) },
  snmp: { command: "cat /proc/net/snmp", render: procNetSnmp },
  netstat: { command: "cat /proc/net/netstat", render: procNetNetstat },
  nstat: { command: "nstat -a", render: (h) => nstat({}, nstatCounters(h)) },
  "netstat-s": { command: "netstat -s", render: netstatS },
  udp: { command: "cat /proc/net/udp", render: procNetUdp },
  "sockstat-udp": { command: "grep UDP: /proc/net/sockstat", render: sockstatUdp },
  "ss-u": { command: "ss -u -a -m", render: ssUdp },
  "ss-t": { command: "ss -tmin", render: ssTcp },
  arp: { command: "cat /proc/net/arp", render: procNetArp },
  neigh: { command: "ip -s neigh", render: (h) => ipNeighShow(h, undefined, true) },
  route: { command: "ip route show table main", render: (h) => ipRouteShow(h, "main") },
  iptables: { command: "iptables -L -v -x -n", render: (h) => iptablesList(h) },
  tc: {
    command: "tc -s qdisc show",
    render: (h) => new TextView("tc -s qdisc show", tc(h, "-s qdisc show")),
  },
};
