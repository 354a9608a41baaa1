// Models what a host shows of its devices' counters: /proc/net/dev (net/core/net-procfs.c:
// dev_seq_printf_stats()), `ip -s [-s] link show` (iproute2 6.1's print_linkinfo() and
// print_stats64()) and /sys/class/net/DEV/statistics/* (net/core/net-sysfs.c), each from
// dev_get_stats()'s struct rtnl_link_stats64.

import type { Net } from "../core/net_namespace.ts";
import type { NetDevice, RtnlLinkStats64 } from "../core/netdevice.ts";
import { macToString } from "../wire/ethernet.ts";
import { TextView } from "../viz/display.ts";
import { InputRangeError } from "../base/errors.ts";

/**
 * The counters of struct rtnl_link_stats64 the views print: the files of
 * /sys/class/net/DEV/statistics in the kernel's order (netstat_attrs), then rx_otherhost_dropped
 * (`ip -s -s link`'s "otherhost").
 */
export const LINK_STAT_NAMES = [
  "rx_packets",
  "tx_packets",
  "rx_bytes",
  "tx_bytes",
  "rx_errors",
  "tx_errors",
  "rx_dropped",
  "tx_dropped",
  "multicast",
  "collisions",
  "rx_length_errors",
  "rx_over_errors",
  "rx_crc_errors",
  "rx_frame_errors",
  "rx_fifo_errors",
  "rx_missed_errors",
  "tx_aborted_errors",
  "tx_carrier_errors",
  "tx_fifo_errors",
  "tx_heartbeat_errors",
  "tx_window_errors",
  "rx_compressed",
  "tx_compressed",
  "rx_nohandler",
  "rx_otherhost_dropped",
] as const;

/** A device's counters by their rtnl_link_stats64 names. */
export type LinkStats = Record<typeof LINK_STAT_NAMES[number], number>;

/** The files of /sys/class/net/DEV/statistics, in the kernel's attribute order. */
export const STATISTICS_FILES: readonly string[] = LINK_STAT_NAMES.slice(0, -1);

/**
 * A device's counters as dev_get_stats() reports them: the ones the kit keeps
 * ({@linkcode RtnlLinkStats64}), and zero for the errors no modelled driver reports (CRC,
 * frame, FIFO, collisions, compression).
 * @param dev the device
 * @returns every counter
 */
export function devGetStats(dev: NetDevice): LinkStats {
  const kept: RtnlLinkStats64 = dev.stats;
  const s = Object.fromEntries(LINK_STAT_NAMES.map((n) => [n, 0])) as LinkStats;
  return Object.assign(s, kept);
}

/**
 * /proc/net/dev as dev_seq_show() prints it: the two header lines, then a line per device in
 * registration order — receive bytes, packets, errors, drops (rx_dropped + rx_missed_errors),
 * FIFO, frame (length, over, CRC and frame errors), compressed, multicast; transmit bytes,
 * packets, errors, drops, FIFO, collisions, carrier (carrier, aborted, window and heartbeat
 * errors), compressed.
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, procNetDev } from "@rxpath/rxpath";
 * console.log(procNetDev(createHost()).text.split("\n")[2]);
 * // "    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0"
 * ```
 */
export function procNetDev(host: Net): TextView {
  const lines = [
    "Inter-|   Receive                                                |  Transmit",
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
  ];
  for (const dev of host.devices) {
    const s = devGetStats(dev);
    const cols: [number, number][] = [
      [s.rx_bytes, 7],
      [s.rx_packets, 7],
      [s.rx_errors, 4],
      [s.rx_dropped + s.rx_missed_errors, 4],
      [s.rx_fifo_errors, 4],
      [s.rx_length_errors + s.rx_over_errors + s.rx_crc_errors + s.rx_frame_errors, 5],
      [s.rx_compressed, 10],
      [s.multicast, 9],
      [s.tx_bytes, 8],
      [s.tx_packets, 7],
      [s.tx_errors, 4],
      [s.tx_dropped, 4],
      [s.tx_fifo_errors, 4],
      [s.collisions, 5],
      [
        s.tx_carrier_errors + s.tx_aborted_errors + s.tx_window_errors + s.tx_heartbeat_errors,
        7,
      ],
      [s.tx_compressed, 10],
    ];
    lines.push(
      `${dev.name.padStart(6)}: ${cols.map(([v, w]) => String(v).padStart(w)).join(" ")}`,
    );
  }
  return new TextView("/proc/net/dev", lines.join("\n") + "\n");
}

/**
 * One of /sys/class/net/DEV/statistics/* (netstat_show()): the counter, and a newline.
 * @param dev the device
 * @param name the file, such as `rx_dropped`
 * @returns its text
 * @throws {RangeError} for a file the directory does not have
 */
export function devStatistic(dev: NetDevice, name: string): string {
  if (!STATISTICS_FILES.includes(name)) {
    throw new InputRangeError(
      `/sys/class/net/${dev.name}/statistics/${name}: No such file or directory`,
    );
  }
  return `${devGetStats(dev)[name as keyof LinkStats]}\n`;
}

/** Options of {@linkcode ipLinkShow}. */
export interface IpLinkOptions {
  /** The device to show; all of them when absent. */
  dev?: string;
  /** 1 for `ip -s link`, 2 for `ip -s -s link` (the error columns too); 0 for none. */
  stats?: 0 | 1 | 2;
  /** The name of the namespace a veth's peer is in, as `ip netns` knows it (`link-netns`). */
  peerNetns?: string;
}

/**
 * `ip [-s [-s]] link show [dev DEV]` as iproute2 6.1 prints it: index, name (`@ifN` and the
 * peer's namespace for a veth), flags, MTU, qdisc, state, txqueuelen, the link address, then with
 * `-s` the counters in columns as wide as their widest number (size_columns()), and with `-s -s`
 * the error counters and carrier changes (transns).
 * @param host the host
 * @param o device, statistics level, the peer namespace's name
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, ipLinkShow } from "@rxpath/rxpath";
 * console.log(ipLinkShow(createHost(), { stats: 2 }).text);
 * ```
 */
export function ipLinkShow(host: Net, o: IpLinkOptions = {}): TextView {
  const devs = o.dev ? host.devices.filter((d) => d.name === o.dev) : host.devices;
  if (o.dev && !devs.length) {
    throw new InputRangeError(`Device "${o.dev}" does not exist.`);
  }
  const out: string[] = [];
  for (const dev of devs) {
    out.push(linkLine(dev));
    out.push(`    ${linkAddress(dev, o.peerNetns)}`);
    if (o.stats) out.push(...stats64(devGetStats(dev), o.stats, carrierChanges(dev)));
  }
  const title = `ip${o.stats ? " -s".repeat(o.stats) : ""} link show${
    o.dev ? ` dev ${o.dev}` : ""
  }`;
  return new TextView(title, out.join("\n") + "\n");
}

// print_linkinfo()'s first line: index, name (a veth's peer index), flags, mtu, qdisc, operstate
function linkLine(dev: NetDevice): string {
  const peer = dev.peerIfindex ? `@if${dev.peerIfindex}` : "";
  const flags = dev.loopback
    ? "LOOPBACK,UP,LOWER_UP"
    : dev.hardHeaderLen
    ? "BROADCAST,MULTICAST,UP,LOWER_UP"
    : "POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP";
  // IF_OPER_UNKNOWN for devices that never report an operational state (lo, a TUN device)
  const state = dev.loopback || !dev.hardHeaderLen ? "UNKNOWN" : "UP";
  return `${dev.ifindex}: ${dev.name}${peer}: <${flags}> mtu ${dev.mtu} qdisc ${
    dev.qdisc?.kind ?? "noop"
  } state ${state} mode DEFAULT group default qlen ${dev.txQueueLen}`;
}

function linkAddress(dev: NetDevice, peerNetns?: string): string {
  if (dev.loopback) return "link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00";
  if (!dev.hardHeaderLen) return "link/none ";
  const netns = dev.peerIfindex ? ` link-netns${peerNetns ? ` ${peerNetns}` : "id 0"}` : "";
  return `link/ether ${macToString(dev.devAddr)} brd ff:ff:ff:ff:ff:ff${netns}`;
}

// carrier_up_count + carrier_down_count: an Ethernet device's carrier goes off as it is made
// and on as it opens; lo and a TUN device with its file attached never change it
function carrierChanges(dev: NetDevice): number {
  return dev.loopback || !dev.hardHeaderLen ? 0 : 2;
}

// print_stats64()'s text: the columns sized to the widest number of each (size_columns())
function stats64(s: LinkStats, level: 1 | 2, transns: number): string[] {
  const cols = ["*X errors:", "packets", "errors", "dropped", "heartbt", "overrun", "compressed"]
    .map((x) => x.length).concat(["otherhost".length]);
  const size = (...vals: number[]) =>
    vals.forEach((v, i) => cols[i] = Math.max(cols[i], String(v).length));
  const rx = [s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed_errors, s.multicast];
  const rxErrors = [
    s.rx_length_errors,
    s.rx_crc_errors,
    s.rx_frame_errors,
    s.rx_fifo_errors,
    s.rx_over_errors,
  ];
  const tx = [
    s.tx_bytes,
    s.tx_packets,
    s.tx_errors,
    s.tx_dropped,
    s.tx_carrier_errors,
    s.collisions,
  ];
  const txErrors = [
    s.tx_aborted_errors,
    s.tx_fifo_errors,
    s.tx_window_errors,
    s.tx_heartbeat_errors,
    transns,
  ];
  size(...rx, 0);
  if (level > 1) size(0, ...rxErrors, s.rx_nohandler, s.rx_otherhost_dropped);
  size(...tx, 0);
  // iproute2 sizes the TX error columns one place further right than it prints them
  if (level > 1) size(0, 0, ...txErrors);
  const num = (w: number, v: number) => `${String(v).padStart(w)} `;
  // a counters line under its heading: the first column's width counts "RX: " in
  const main = (dir: string, names: string[], vals: number[]) => [
    `    ${dir}: ${names.map((n, i) => n.padStart(i ? cols[i] : cols[0] - 4)).join(" ")} ${
      "".padStart(cols[6])
    }`,
    `    ${vals.map((v, i) => num(cols[i], v)).join("")}`,
  ];
  // an error line: its columns start at the second; RX's may add nohandler and otherhost
  const errors = (dir: string, names: string[], vals: number[], extra: [number, string][]) => [
    `    ${dir} errors:${"".padStart(cols[0] - 10)}${
      names.map((n, i) => ` ${n.padStart(cols[i + 1])}`).join("")
    }${extra.map(([i, n]) => ` ${n}`.padStart(cols[i] + 1)).join("")}`,
    `${"".padStart(cols[0] + 5)}${vals.map((v, i) => num(cols[i + 1], v)).join("")}${
      extra.map(([i]) => num(cols[i], i === 6 ? s.rx_nohandler : s.rx_otherhost_dropped)).join("")
    }`,
  ];
  const rxExtra: [number, string][] = [
    ...(s.rx_nohandler ? [[6, "nohandler"] as [number, string]] : []),
    ...(s.rx_otherhost_dropped ? [[7, "otherhost"] as [number, string]] : []),
  ];
  return [
    ...main("RX", ["bytes", "packets", "errors", "dropped", "missed", "mcast"], rx),
    ...(level > 1
      ? errors("RX", ["length", "crc", "frame", "fifo", "overrun"], rxErrors, rxExtra)
      : []),
    ...main("TX", ["bytes", "packets", "errors", "dropped", "carrier", "collsns"], tx),
    ...(level > 1
      ? errors("TX", ["aborted", "fifo", "window", "heartbt", "transns"], txErrors, [])
      : []),
  ];
}
