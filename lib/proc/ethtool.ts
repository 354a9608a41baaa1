// ethtool(8) views of a device, in the output format of ethtool 6.1 (Debian 12), checked against
// a virtio-net device on Linux 6.18 (tests/golden/linux-6.18/ethtool): -S statistics in the
// order virtnet_get_strings() gives them, -g rings, -l channels, -c coalescing, -x RSS, -k
// features.

import { InputRangeError } from "../base/errors.ts";
import { RX_FLOW_TYPES, type VirtioNet } from "../drivers/virtio_net.ts";
import { TextView } from "../viz/display.ts";

const RQ_STATS = ["drops", "xdp_packets", "xdp_tx", "xdp_redirects", "xdp_drops", "kicks"] as const;
const SQ_STATS = ["xdp_tx", "xdp_tx_drops", "kicks", "tx_timeouts"] as const;
const RX_HW_BASIC = ["packets", "bytes", "notifications", "interrupts"] as const;

/**
 * `ethtool -S DEV`: totals (rx, then tx), then per receive queue, then per transmit queue;
 * with device statistics, the `rx_hw_` basic counters follow each rx group. The transmit
 * counters are the send queues' (kicks; no XDP, no transmit timeouts here).
 * @param nic the device
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, ethtoolS, VirtioNet } from "@rxpath/rxpath";
 * console.log(ethtoolS(new VirtioNet(createHost())).text);
 * ```
 */
export function ethtoolS(nic: VirtioNet): TextView {
  const queues = nic.rq.slice(0, nic.currQueuePairs);
  const rows: [string, number][] = [];
  const rxGroup = (prefix: string, pick: (s: string) => number, hw: (s: string) => number) => {
    for (const s of RQ_STATS) rows.push([`${prefix}_${s}`, pick(s)]);
    if (nic.device.deviceStats) {
      for (const s of RX_HW_BASIC) rows.push([`${prefix}_hw_${s}`, hw(s)]);
    }
  };
  const sum = (f: (i: number) => number) => queues.reduce((a, _, i) => a + f(i), 0);
  const rqStat = (i: number, s: string) => nic.rq[i].stats[s as keyof typeof nic.rq[0]["stats"]];
  const hwStat = (i: number, s: string) => nic.rq[i].vq.hw[s as keyof typeof nic.rq[0]["vq"]["hw"]];
  rxGroup("rx", (s) => sum((i) => rqStat(i, s)), (s) => sum((i) => hwStat(i, s)));
  const sqStat = (i: number, s: string) =>
    s === "kicks"
      ? nic.tx.sq[i].stats.kicks
      : s === "tx_timeouts"
      ? nic.tx.sq[i].stats.tx_timeouts
      : 0;
  for (const s of SQ_STATS) rows.push([`tx_${s}`, sum((i) => sqStat(i, s))]);
  queues.forEach((_, i) => rxGroup(`rx${i}`, (s) => rqStat(i, s), (s) => hwStat(i, s)));
  queues.forEach((_, i) => SQ_STATS.forEach((s) => rows.push([`tx${i}_${s}`, sqStat(i, s)])));
  const text = ["NIC statistics:", ...rows.map(([k, v]) => `     ${k}: ${v}`)].join("\n") + "\n";
  return new TextView(`ethtool -S ${nic.dev.name}`, text);
}

/**
 * `ethtool -g DEV`: ring sizes, maximum and current (virtio: the virtqueue sizes).
 * @param nic the device
 * @returns the text view
 */
export function ethtoolG(nic: VirtioNet): TextView {
  const block = (
    rx: number,
  ) => [`RX:\t\t${rx}`, "RX Mini:\tn/a", "RX Jumbo:\tn/a", `TX:\t\t${nic.device.maxRingSize}`];
  const text = [
    `Ring parameters for ${nic.dev.name}:`,
    "Pre-set maximums:",
    ...block(nic.device.maxRingSize),
    "Current hardware settings:",
    ...block(nic.ringSize),
    "RX Buf Len:\t\tn/a",
    "CQE Size:\t\tn/a",
    "TX Push:\toff",
    "TCP data split:\tn/a",
  ].join("\n") + "\n";
  return new TextView(`ethtool -g ${nic.dev.name}`, text);
}

/**
 * `ethtool -l DEV`: channels; virtio-net has combined channels (queue pairs) only.
 * @param nic the device
 * @returns the text view
 */
export function ethtoolL(nic: VirtioNet): TextView {
  const block = (n: number) => ["RX:\t\tn/a", "TX:\t\tn/a", "Other:\t\tn/a", `Combined:\t${n}`];
  const text = [
    `Channel parameters for ${nic.dev.name}:`,
    "Pre-set maximums:",
    ...block(nic.device.maxQueuePairs),
    "Current hardware settings:",
    ...block(nic.currQueuePairs),
  ].join("\n") + "\n";
  return new TextView(`ethtool -l ${nic.dev.name}`, text);
}

/**
 * `ethtool -c DEV`: coalescing; virtio-net supports rx/tx usecs and frames only.
 * @param nic the device
 * @returns the text view
 */
export function ethtoolC(nic: VirtioNet): TextView {
  const na = (names: string[]) => names.map((n) => `${n}: n/a`);
  const text = [
    `Coalesce parameters for ${nic.dev.name}:`,
    "Adaptive RX: off  TX: n/a",
    ...na(["stats-block-usecs", "sample-interval", "pkt-rate-low", "pkt-rate-high"]),
    "",
    `rx-usecs: ${nic.device.coalesce.rxUsecs}`,
    `rx-frames: ${nic.device.coalesce.rxFrames}`,
    ...na(["rx-usecs-irq", "rx-frames-irq"]),
    "",
    "tx-usecs: 0",
    "tx-frames: 1",
    ...na(["tx-usecs-irq", "tx-frames-irq"]),
    "",
    ...na(["rx-usecs-low", "rx-frame-low", "tx-usecs-low", "tx-frame-low"]),
    "",
    ...na(["rx-usecs-high", "rx-frame-high", "tx-usecs-high", "tx-frame-high"]),
    "",
    "CQE mode RX: n/a  TX: n/a",
    "",
  ].join("\n") + "\n";
  return new TextView(`ethtool -c ${nic.dev.name}`, text);
}

/**
 * `ethtool -x DEV`: the RSS indirection table (8 entries a row, "%5u: " then " %5u"), the key
 * as colon-separated hex, and the hash function; "Operation not supported" without RSS.
 * @param nic the device
 * @returns the text view
 */
export function ethtoolX(nic: VirtioNet): TextView {
  const lines = [
    `RX flow hash indirection table for ${nic.dev.name} with ${nic.currQueuePairs} RX ring(s):`,
  ];
  if (!nic.device.rss) {
    lines.push("Operation not supported", "RSS hash key:", "Operation not supported");
  } else {
    for (let i = 0; i < nic.device.indir.length; i += 8) {
      lines.push(
        `${String(i).padStart(5)}: ` +
          nic.device.indir.slice(i, i + 8).map((q) => ` ${String(q).padStart(5)}`).join(""),
      );
    }
    lines.push(
      "RSS hash key:",
      Array.from(nic.device.rssKey, (b) => b.toString(16).padStart(2, "0")).join(":"),
    );
  }
  lines.push("RSS hash function:", "    toeplitz: on", "    xor: off", "    crc32: off");
  return new TextView(`ethtool -x ${nic.dev.name}`, lines.join("\n") + "\n");
}

/**
 * `ethtool -k DEV`: every feature with on/off and [fixed] for those that cannot change.
 * @param nic the device
 * @returns the text view
 */
export function ethtoolK(nic: VirtioNet): TextView {
  const lines = [`Features for ${nic.dev.name}:`];
  for (const [name, f] of nic.features) {
    lines.push(`${f.child ? "\t" : ""}${name}: ${f.on ? "on" : "off"}${f.fixed ? " [fixed]" : ""}`);
  }
  return new TextView(`ethtool -k ${nic.dev.name}`, lines.join("\n") + "\n");
}

// unparse_rxfhashopts() of ethtool 6.1: one line per field hashed.
const RXH_FIELD_LINES: Readonly<Record<string, string>> = {
  s: "IP SA",
  d: "IP DA",
  f: "L4 bytes 0 & 1 [TCP/UDP src port]",
  n: "L4 bytes 2 & 3 [TCP/UDP dst port]",
};

/**
 * `ethtool -n DEV rx-flow-hash FLOW`: the fields the flow type is hashed on, as ethtool 6.1's
 * dump_rxfhash() prints them — a line each, then a blank line — or `None`.
 * @param nic the device
 * @param flow tcp4, udp4, sctp4, or their IPv6 names
 * @returns the text view
 * @throws {RangeError} for a flow ethtool does not name
 */
export function ethtoolNRxFlowHash(nic: VirtioNet, flow: string): TextView {
  const head = RX_FLOW_TYPES[flow];
  if (!head) {
    throw new InputRangeError(
      `ethtool -n ${nic.dev.name} rx-flow-hash ${flow}: bad command line argument(s)`,
    );
  }
  const fields = nic.rxFlowHash(flow);
  const body = fields ? [...fields].map((c) => RXH_FIELD_LINES[c] + "\n").join("") : "None";
  return new TextView(
    `ethtool -n ${nic.dev.name} rx-flow-hash ${flow}`,
    `${head} use these fields for computing Hash flow key:\n${body}\n`,
  );
}
