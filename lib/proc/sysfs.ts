// The transmit files of /sys/class/net/DEV (net/core/net-sysfs.c, Linux 6.18): tx_queue_len,
// and per transmit queue queues/tx-N/xps_cpus, xps_rxqs and byte_queue_limits/*, read and written as the
// kernel's show and store functions do.

import type { Net } from "../core/net_namespace.ts";
import type { NetDevice } from "../core/netdevice.ts";
import { devStatistic } from "./link.ts";
import { devSetTxQueueLen } from "../core/dev.ts";
import { netifSetXpsQueue } from "../core/dev_xmit.ts";
import { DQL_MAX_LIMIT } from "../kernel/dynamic_queue_limits.ts";
import { InputRangeError } from "../base/errors.ts";

// /sys/class/net/DEV/FILE or /sys/class/net/DEV/queues/tx-N/FILE...
function locate(host: Net, path: string): { dev: NetDevice; queue: number | null; file: string } {
  const m = /^\/sys\/class\/net\/([^/]+)\/(?:queues\/tx-(\d+)\/)?(.+)$/.exec(path);
  const dev = m && host.devices.find((d) => d.name === m[1]);
  if (!m || !dev) throw new InputRangeError(`${path}: No such file or directory`);
  const queue = m[2] === undefined ? null : Number(m[2]);
  if (queue !== null && queue >= dev.numTxQueues) {
    throw new InputRangeError(`${path}: No such file or directory`);
  }
  return { dev, queue, file: m[3] };
}

const HZ_MS = (host: Net) => 1000 / host.hz;

// netdev_uses_bql(): a device that locks for itself (LLTX) or has no queue (IFF_NO_QUEUE) —
// veth, lo, tun — gets no byte_queue_limits directory
function noBql(dev: NetDevice, path: string): void {
  if (dev.lltx || dev.noQueue) throw new InputRangeError(`${path}: No such file or directory`);
}

/**
 * Reads a file of /sys/class/net, as `cat` shows it: `tx_queue_len`, `statistics/*` (the
 * device's counters, {@linkcode devGetStats}),
 * `queues/tx-N/xps_cpus` (a hex CPU mask), `xps_rxqs` (a hex mask of receive queues),
 * `queues/tx-N/byte_queue_limits/` `limit`,
 * `limit_max`, `limit_min`, `hold_time` (ms), `inflight`, `stall_thrs`, `stall_cnt`, `stall_max`.
 * @param host the host
 * @param path the file's path
 * @returns its text, with the newline
 * @throws {RangeError} for a file the kit does not have (ENOENT)
 * @example
 * ```ts
 * import { createHost, sysfsRead, VirtioNet } from "@rxpath/rxpath";
 * const host = createHost();
 * new VirtioNet(host, { name: "eth0" });
 * console.log(sysfsRead(host, "/sys/class/net/eth0/queues/tx-0/byte_queue_limits/limit_max"));
 * // 1879048192
 * ```
 */
export function sysfsRead(host: Net, path: string): string {
  const { dev, queue, file } = locate(host, path);
  if (queue === null) {
    if (file === "tx_queue_len") return `${dev.txQueueLen}\n`;
    if (file.startsWith("statistics/")) return devStatistic(dev, file.slice("statistics/".length));
    throw new InputRangeError(`${path}: No such file or directory`);
  }
  const txq = dev.tx[queue];
  const dql = txq.dql;
  if (file.startsWith("byte_queue_limits/")) noBql(dev, path);
  switch (file) {
    case "xps_cpus":
    case "xps_rxqs":
      if (dev.numTxQueues < 2) throw new InputRangeError(`${path}: No such file or directory`);
      return `${(file === "xps_cpus" ? txq.xpsCpus : txq.xpsRxqs).toString(16)}\n`;
    case "byte_queue_limits/limit":
      return `${dql.limit}\n`;
    case "byte_queue_limits/limit_max":
      return `${dql.maxLimit}\n`;
    case "byte_queue_limits/limit_min":
      return `${dql.minLimit}\n`;
    case "byte_queue_limits/hold_time":
      return `${Math.round(dql.slackHoldTime * HZ_MS(host))}\n`;
    case "byte_queue_limits/inflight":
      return `${dql.inflight}\n`;
    case "byte_queue_limits/stall_thrs":
    case "byte_queue_limits/stall_cnt":
    case "byte_queue_limits/stall_max":
      return "0\n"; // stall detection is off (stall_thrs 0) and not modelled
  }
  throw new InputRangeError(`${path}: No such file or directory`);
}

/**
 * Writes a transmit file of /sys/class/net, as `echo VALUE > FILE` does: `tx_queue_len`,
 * `queues/tx-N/xps_cpus` (a hex CPU mask; multiqueue devices only), `xps_rxqs` (a hex mask of
 * receive queues, within num_rx_queues), and
 * `byte_queue_limits/limit_max`, `limit_min` (bytes, or `max`: DQL_MAX_LIMIT) and `hold_time`
 * (ms, kept in jiffies).
 * @param host the host
 * @param path the file's path
 * @param value what is written
 * @throws {RangeError} for a file the kit does not have or cannot write, or a bad value (EINVAL)
 */
export function sysfsWrite(host: Net, path: string, value: string): void {
  const { dev, queue, file } = locate(host, path);
  const v = value.trim();
  const uint = () => {
    if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) {
      throw new InputRangeError(`${path}: ${JSON.stringify(value)}: Invalid argument`);
    }
    return Number(v);
  };
  if (queue === null) {
    if (file !== "tx_queue_len") throw new InputRangeError(`${path}: not writable here`);
    devSetTxQueueLen(host, dev, uint());
    return;
  }
  const dql = dev.tx[queue].dql;
  if (file.startsWith("byte_queue_limits/")) noBql(dev, path);
  // bql_set(): "max" or a number up to DQL_MAX_LIMIT
  const limit = () => {
    const n = v === "max" ? DQL_MAX_LIMIT : uint();
    if (n > DQL_MAX_LIMIT) throw new InputRangeError(`${path}: ${v}: Invalid argument`);
    return n;
  };
  switch (file) {
    case "xps_cpus":
    case "xps_rxqs": {
      if (!/^[0-9a-f,]+$/i.test(v)) {
        throw new InputRangeError(`${path}: ${JSON.stringify(value)}: Invalid argument`);
      }
      const type = file === "xps_cpus" ? "cpus" : "rxqs";
      netifSetXpsQueue(dev, queue, parseInt(v.replaceAll(",", ""), 16), type);
      return;
    }
    case "byte_queue_limits/limit_max":
      dql.maxLimit = limit();
      return;
    case "byte_queue_limits/limit_min":
      dql.minLimit = limit();
      return;
    case "byte_queue_limits/hold_time":
      dql.slackHoldTime = Math.ceil(uint() / HZ_MS(host)); // msecs_to_jiffies()
      return;
  }
  throw new InputRangeError(`${path}: not writable here`);
}
