/**
 * What a host shows, in the formats a real host prints: /proc files, `ip route`, `ethtool`,
 * `ip neigh`, /proc/net/arp, `iptables -L`, `sysctl -a`, `ss -tmin`, the transmit files of
 * /sys/class/net. Every view is a {@linkcode TextView}.
 *
 * @example
 * ```ts
 * import { createHost } from "@rxpath/rxpath";
 * import { procNetPtype } from "@rxpath/rxpath/proc";
 * console.log(procNetPtype(createHost()).text);
 * ```
 *
 * @module
 */
export * from "./net_procfs.ts";
export * from "./protocols.ts";
export * from "./softirqs.ts";
export * from "./interrupts.ts";
export * from "./stat.ts";
export * from "./ethtool.ts";
export * from "./qstats.ts";
export * from "./sysctl.ts";
export * from "./route.ts";
export * from "./neigh.ts";
export * from "./snmp.ts";
export * from "./udp.ts";
export * from "./ss.ts";
export * from "./iptables.ts";
export * from "./sysfs.ts";
export * from "./link.ts";
export * from "./netstat.ts";
export * from "./views.ts";
export { TextView } from "../viz/display.ts";
