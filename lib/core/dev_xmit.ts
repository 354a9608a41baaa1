// Models the transmit entry of net/core/dev.c (Linux 6.18): __dev_queue_xmit() picks the
// transmit queue and hands the packet to its qdisc (__dev_xmit_skb()), or, on a device without
// a queue (noqueue: veth, loopback), straight to dev_hard_start_xmit() → xmit_one() →
// netdev_start_xmit() → the driver's ndo_start_xmit, with the net_dev_queue, qdisc_enqueue,
// net_dev_start_xmit and net_dev_xmit tracepoints.

import type { Cpu } from "../sim/cpu.ts";
import type { Net } from "./net_namespace.ts";
import type { NetDevice, NetdevQueue } from "./netdevice.ts";
import { kfreeSkbReason, SkBuff } from "./skbuff.ts";
import { netDevTemplate } from "./netif_receive.ts";
import { ETH_HLEN, ETH_P_8021Q, EthHdr } from "../wire/ethernet.ts";
import { InputRangeError } from "../base/errors.ts";
import {
  __qdiscRun,
  freeDropped,
  NET_XMIT_SUCCESS,
  netifSchedule,
  type Qdisc,
  qdiscRun,
  qdiscRunBegin,
  qdiscRunEnd,
  schDirectXmit,
} from "../sched/sch_generic.ts";

/** ndo_start_xmit's "sent" (NETDEV_TX_OK). */
export const NETDEV_TX_OK = 0;
/** ndo_start_xmit's "no room: give it back" (NETDEV_TX_BUSY). */
export const NETDEV_TX_BUSY = 0x10;
/** __dev_queue_xmit()'s answer for a device that cannot send (-ENETDOWN). */
export const ENETDOWN: number = -100;

/**
 * dev_xmit_complete(): the driver took the packet (sent it or dropped it itself).
 * @param rc the driver's code
 */
export function devXmitComplete(rc: number): boolean {
  return rc < 0x0f; // NET_XMIT_MASK
}

/**
 * Sends an skb out of a device, as dev_queue_xmit(): the transmit queue's qdisc takes it
 * (__dev_xmit_skb()), or a queueless device's driver at once. The skb's data starts at its
 * Ethernet header; its network and transport headers are set when known. A device whose driver
 * the kit does not model takes the skb as sent.
 * @param host the host
 * @param cpu the CPU
 * @param dev the device
 * @param skb the skb
 * @returns NET_XMIT_SUCCESS (0), NET_XMIT_DROP (1) or NET_XMIT_CN (2) from a qdisc, the
 *   driver's code on a queueless device, or -ENETDOWN
 * @example
 * ```ts
 * import { buildFrame, createHost, devQueueXmit, registerEtherdev, SkBuff } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth1", "02:00:00:00:00:09");
 * const frame = buildFrame({ ipv4: { saddr: "10.0.0.9", daddr: "10.0.0.1" }, udp: { source: 1, dest: 2 } });
 * console.log(devQueueXmit(host, host.sim.cpus[0], dev, new SkBuff(0, frame, 0, dev))); // 0
 * ```
 */
export function devQueueXmit(host: Net, cpu: Cpu, dev: NetDevice, skb: SkBuff): number {
  const sim = host.sim;
  sim.enterFn(cpu, "__dev_queue_xmit", skb.id);
  skb.dev = dev;
  // __dev_queue_xmit() runs under rcu_read_lock_bh(): bottom halves off
  const rc = sim.holding(cpu, { bh: 1 }, () => {
    const txq = netdevCorePickTx(host, cpu, dev, skb);
    const q = txq.qdisc;
    sim.tracepoint(cpu, "net_dev_queue", netDevTemplate, skb);
    if (!q.queueless) return __devXmitSkb(host, cpu, skb, q, dev, txq);
    if (dev.up && !txq.stopped) {
      const { ret } = devHardStartXmit(host, cpu, [skb], dev, txq);
      if (devXmitComplete(ret)) return ret;
    }
    // a queueless device that is down, or asks to queue: the packet is lost
    dev.stats.tx_dropped++;
    kfreeSkbReason(sim, skb, "NOT_SPECIFIED", "__dev_queue_xmit");
    return ENETDOWN;
  });
  sim.exitFn(cpu, "__dev_queue_xmit", skb.id);
  return rc;
}

// netdev_core_pick_tx(): queue 0 when one queue is in use; else netdev_pick_tx(): the XPS map
// of the sending CPU (skb->sender_cpu) when one is set, or skb_tx_hash(): a forwarded packet
// keeps the number of the queue it came in on (folded into the device's count), any other goes
// by its flow hash (reciprocal_scale()). The choice is written into skb->queue_mapping
// (skb_set_queue_mapping()), where the driver reads it.
function netdevCorePickTx(host: Net, cpu: Cpu, dev: NetDevice, skb: SkBuff): NetdevQueue {
  const n = dev.realNumTxQueues;
  return host.sim.traced(cpu, "netdev_core_pick_tx", () => {
    let index = 0;
    if (n > 1) {
      index = host.sim.traced(cpu, "netdev_pick_tx", () => {
        const xps = getXpsQueue(dev, cpu, skb);
        if (xps >= 0) return xps;
        return skb.queueMapping ? (skb.queueMapping - 1) % n : reciprocalScale(skb.hash, n);
      }, skb.id);
    }
    skb.queueMapping = index;
    return dev.tx[index];
  }, skb.id);
}

// reciprocal_scale(): a 32-bit value scaled into [0, n)
function reciprocalScale(v: number, n: number): number {
  return Number((BigInt(v >>> 0) * BigInt(n)) >> 32n);
}

// get_xps_queue() → __get_xps_queue_idx() (one traffic class): the sending CPU's map — its one
// queue, or one of several by the flow hash; -1 without a map or for a queue not in use
function getXpsQueue(dev: NetDevice, cpu: Cpu, skb: SkBuff): number {
  let q = -1;
  // the sending socket's receive queue first (sk_rx_queue_get()), then the sending CPU's
  if (dev.xpsRxqs && skb.skRxQueue >= 0) q = xpsQueueIdx(dev, dev.xpsRxqs[skb.skRxQueue], skb);
  if (q < 0 && dev.xpsCpus) q = xpsQueueIdx(dev, dev.xpsCpus[cpu.id], skb);
  return q;
}

// __get_xps_queue_idx(): a map's one queue, or one of its queues by the flow hash; none when
// it is empty or names a queue not in use
function xpsQueueIdx(dev: NetDevice, map: number[] | undefined, skb: SkBuff): number {
  if (!map?.length) return -1;
  const q = map.length === 1 ? map[0] : map[reciprocalScale(skb.hash, map.length)];
  return q < dev.realNumTxQueues ? q : -1;
}

// __dev_xmit_skb(): an empty work-conserving qdisc not running elsewhere lets the packet go to
// the driver at once (bypass, counted as sent by the qdisc); otherwise it is enqueued and the
// qdisc run. Dropped packets are freed after, with the reason the qdisc gave (QDISC_DROP unless
// it said more).
function __devXmitSkb(
  host: Net,
  cpu: Cpu,
  skb: SkBuff,
  q: Qdisc,
  dev: NetDevice,
  txq: NetdevQueue,
): number {
  {
    skb.dropReason = "QDISC_DROP"; // tcf_set_drop_reason()
    const toFree: SkBuff[] = [];
    let rc = NET_XMIT_SUCCESS;
    // nolock_qdisc_is_empty() reads the MISSED and DRAINING bits; a locked qdisc its qlen
    const empty = q.nolock ? !q.missed && !q.draining : q.qstats.qlen === 0;
    // a locked qdisc is worked on under its root lock (spin_lock(root_lock)); a lockless one
    // runs under its seqlock once qdisc_run_begin() took it
    host.sim.holding(cpu, { preempt: q.nolock ? 0 : 1 }, () => {
      if (q.canBypass && empty && qdiscRunBegin(q)) {
        q.bstats.bytes += skb.len;
        q.bstats.packets++;
        host.sim.holding(cpu, { preempt: q.nolock ? 1 : 0 }, () => {
          const sent = schDirectXmit(host, cpu, [skb], q, dev, txq);
          if (sent && (!q.nolock || q.missed || q.draining)) __qdiscRun(host, cpu, q);
        });
        qdiscRunEnd(host, cpu, q);
      } else {
        rc = devQdiscEnqueue(host, cpu, skb, q, toFree);
        qdiscRun(host, cpu, q);
      }
    });
    freeDropped(host, toFree);
    return rc;
  }
}

// dev_qdisc_enqueue(): the qdisc's enqueue, traced by qdisc_enqueue when it took the packet
function devQdiscEnqueue(
  host: Net,
  cpu: Cpu,
  skb: SkBuff,
  q: Qdisc,
  toFree: SkBuff[],
): number {
  const rc = host.sim.traced(cpu, "dev_qdisc_enqueue", () => {
    return host.sim.traced(cpu, q.symbols.enqueue, () => q.enqueue(host, cpu, skb, toFree), skb.id);
  }, skb.id);
  if (rc === NET_XMIT_SUCCESS) {
    host.sim.tracepoint(cpu, "qdisc_enqueue", () => ({
      ifindex: q.dev.ifindex,
      handle: q.handle,
      parent: q.parent,
      skbaddr: skb.id,
    }));
  }
  return rc;
}

/**
 * dev_hard_start_xmit() under HARD_TX_LOCK (the queue's transmit lock, unless the driver takes
 * its own: NETIF_F_LLTX): hands packets to the driver one by one (xmit_one()), stopping at one
 * it refuses or when the driver stops the queue with more to send.
 * @param host the host
 * @param cpu the CPU
 * @param skbs the packets, in order
 * @param dev the device
 * @param txq the transmit queue
 * @returns the packets not sent, and the last driver code (NETDEV_TX_BUSY when stopped)
 */
export function devHardStartXmit(
  host: Net,
  cpu: Cpu,
  skbs: SkBuff[],
  dev: NetDevice,
  txq: NetdevQueue,
): { left: SkBuff[]; ret: number } {
  // the driver's queue lock (HARD_TX_LOCK()), which an LLTX driver does without
  const sim = host.sim;
  return sim.holding(cpu, dev.lltx ? NOTHING_HELD : QUEUE_LOCK_HELD, () => {
    sim.enterFn(cpu, "dev_hard_start_xmit", skbs[0].id);
    let left = NO_SKBS, ret = NETDEV_TX_OK;
    for (let i = 0; i < skbs.length; i++) {
      ret = xmitOne(host, cpu, skbs[i], dev, txq, i + 1 < skbs.length);
      if (!devXmitComplete(ret)) {
        left = skbs.slice(i);
        break;
      }
      if (txq.drvXoff && i + 1 < skbs.length) {
        left = skbs.slice(i + 1);
        ret = NETDEV_TX_BUSY;
        break;
      }
    }
    sim.exitFn(cpu, "dev_hard_start_xmit", skbs[0].id);
    return { left, ret };
  });
}

const NOTHING_HELD = { preempt: 0 };
const QUEUE_LOCK_HELD = { preempt: 1 };

// what dev_hard_start_xmit() leaves when it sent everything: never changed, so shared
const NO_SKBS: SkBuff[] = [];

// xmit_one(): the taps see the frame (dev_queue_xmit_nit()), then the driver has it, told
// whether more follow at once (netdev_xmit_more())
function xmitOne(
  host: Net,
  cpu: Cpu,
  skb: SkBuff,
  dev: NetDevice,
  txq: NetdevQueue,
  more: boolean,
): number {
  const sim = host.sim;
  if (host.devices.includes(dev)) {
    devXmitRecord(host, dev, skb.head.subarray(skb.data, skb.data + skb.len));
  }
  const len = skb.len; // net_dev_xmit prints the length from before the driver had the skb
  if (sim.trace.enabled) sim.tracepoint(cpu, "net_dev_start_xmit", () => netDevStartXmit(skb, txq));
  const rc = dev.ndoStartXmit?.(skb, cpu, more) ?? NETDEV_TX_OK; // netdev_start_xmit(), inline
  if (sim.trace.enabled) {
    sim.tracepoint(cpu, "net_dev_xmit", () => ({ name: dev.name, skbaddr: skb.id, len, rc }));
  }
  if (rc === NETDEV_TX_OK) {
    // each driver counts what it sent (veth_xmit(), virtio's start_xmit()): here in one place
    dev.stats.tx_packets++;
    dev.stats.tx_bytes += len;
    txq.txPackets++;
    txq.txBytes += len;
  }
  return rc;
}

// The fields of net_dev_start_xmit (include/trace/events/net.h): offsets from the MAC header,
// a transport offset only when one was set.
function netDevStartXmit(skb: SkBuff, txq: NetdevQueue): Record<string, string | number> {
  const proto = skb.len >= ETH_HLEN ? new EthHdr(skb.head, skb.data).hProto : 0;
  return {
    name: skb.dev!.name,
    queue_mapping: txq.index,
    skbaddr: skb.id,
    vlan_tagged: 0,
    vlan_proto: 0,
    vlan_tci: 0,
    protocol: skb.protocol || proto,
    ip_summed: skb.ipSummed,
    len: skb.len,
    data_len: skb.dataLen,
    network_offset: skb.networkHeader < 0
      ? (proto === ETH_P_8021Q ? ETH_HLEN + 4 : ETH_HLEN)
      : skb.networkHeader - skb.data,
    transport_offset_valid: skb.transportHeader < 0 ? 0 : 1,
    transport_offset: skb.transportHeader < 0 ? 0 : skb.transportHeader - skb.data,
    tx_flags: 0,
    gso_size: skb.gsoSize,
    gso_segs: skb.gsoSegs,
    gso_type: skb.gsoType,
  };
}

/**
 * Notes a frame the host's stack sends out of one of its devices: kept on the device
 * ({@linkcode NetDevice.transmitted}, when it records) and told to the host's tap (a replay's).
 * @param host the host
 * @param dev the device
 * @param frame the frame, from its link-layer header
 */
export function devXmitRecord(host: Net, dev: NetDevice, frame: Uint8Array): void {
  if (dev.recordTransmitted) dev.transmitted.push({ t: host.sim.now, frame });
  host.devXmitTap?.(dev, frame);
}

/**
 * An skb for a frame the stack built to send (a reply, a forward's copy), not followed by the
 * skb ledger: its id is negative so that it never names a received skb.
 * @param host the host
 * @param frame the frame, from its Ethernet header
 * @param dev the device it leaves by
 * @returns the skb (CHECKSUM_NONE, headers unset: the caller sets them)
 */
export function txSkb(host: Net, frame: Uint8Array, dev: NetDevice): SkBuff {
  return new SkBuff(-host.sim.ledger.nextId, frame, 0, dev);
}

/**
 * netif_tx_stop_queue(): the driver has no room for another packet; the qdisc holds packets
 * until the queue is woken.
 * @param txq the transmit queue
 */
export function netifTxStopQueue(txq: NetdevQueue): void {
  if (!txq.drvXoff) txq.stops++;
  txq.drvXoff = true;
}

/**
 * netif_tx_wake_queue(): the driver has room again; a stopped queue's qdisc is scheduled on
 * NET_TX to send what it holds.
 * @param host the host
 * @param cpu the CPU
 * @param txq the transmit queue
 */
export function netifTxWakeQueue(host: Net, cpu: Cpu, txq: NetdevQueue): void {
  host.sim.traced(cpu, "netif_tx_wake_queue", () => {
    if (!txq.drvXoff) return;
    txq.drvXoff = false;
    txq.wakes++;
    netifSchedule(host, cpu, txq.qdisc);
  });
}

/**
 * __netdev_tx_sent_queue(): BQL counts the bytes the driver queued to the device; past the
 * queue's limit the stack stops it (STACK_XOFF). With more packets coming (xmit_more) only the
 * bytes are counted and the driver kicks the device only if the queue is stopped.
 * @param txq the transmit queue
 * @param bytes the packet's length
 * @param more netdev_xmit_more(): the stack has more packets for the driver at once
 * @returns whether the driver should kick the device now
 */
export function netdevTxSentQueue(txq: NetdevQueue, bytes: number, more: boolean): boolean {
  txq.dql.queued(bytes);
  if (more) return txq.drvXoff;
  if (txq.dql.avail() < 0) txq.stackXoff = true;
  return true;
}

/**
 * netdev_tx_completed_queue(): the device sent `bytes`; BQL recomputes the limit, and a queue
 * it had stopped with room again is scheduled (netif_schedule_queue()).
 * @param host the host
 * @param cpu the CPU
 * @param txq the transmit queue
 * @param bytes bytes completed
 */
export function netdevTxCompletedQueue(host: Net, cpu: Cpu, txq: NetdevQueue, bytes: number): void {
  if (!bytes) return;
  txq.dql.completed(bytes);
  if (txq.dql.avail() < 0) return;
  if (!txq.stackXoff) return;
  txq.stackXoff = false;
  if (!txq.stopped) netifSchedule(host, cpu, txq.qdisc);
}

/**
 * netif_set_xps_queue() (`echo MASK > /sys/class/net/DEV/queues/tx-N/xps_cpus`, or
 * `xps_rxqs` with a mask of receive queues): each CPU or receive queue in the mask gets the
 * queue added to its map, at the end; each one not in it loses the queue (remove_xps_queue()
 * puts the map's last queue in its place).
 * @param dev the device, multiqueue
 * @param index the transmit queue
 * @param mask the CPUs or receive queues, one bit each
 * @param type XPS_CPUS ("cpus", the default) or XPS_RXQS ("rxqs")
 * @throws {RangeError} on a single-queue device (ENOENT), a queue it does not have, or a
 *   receive queue past num_rx_queues (EOVERFLOW)
 */
export function netifSetXpsQueue(
  dev: NetDevice,
  index: number,
  mask: number,
  type: "cpus" | "rxqs" = "cpus",
): void {
  if (dev.numTxQueues < 2) {
    throw new InputRangeError(
      `xps_${type} of ${dev.name}: a single-queue device has none (ENOENT)`,
    );
  }
  if (!(index >= 0 && index < dev.numTxQueues)) {
    throw new InputRangeError(`${dev.name} has no transmit queue tx-${index}`);
  }
  // bitmap_parse() into num_rx_queues bits: a higher one is out of range
  if (type === "rxqs" && dev.numRxQueues < 32 && mask >>> dev.numRxQueues !== 0) {
    throw new InputRangeError(
      `xps_rxqs of ${dev.name}: ${dev.numRxQueues} receive queues (Value too large for defined data type)`,
    );
  }
  const maps = (type === "cpus" ? dev.xpsCpus : dev.xpsRxqs) ?? [];
  const n = Math.max(maps.length, 32 - Math.clz32(mask));
  for (let id = 0; id < n; id++) {
    const map = maps[id] ?? (maps[id] = []);
    const pos = map.indexOf(index);
    if ((mask >> id) & 1) {
      if (pos < 0) map.push(index);
    } else if (pos >= 0) {
      map[pos] = map[map.length - 1];
      map.pop();
    }
  }
  const set = maps.some((m) => m.length) ? maps : null;
  if (type === "cpus") {
    dev.tx[index].xpsCpus = mask;
    dev.xpsCpus = set;
  } else {
    dev.tx[index].xpsRxqs = mask;
    dev.xpsRxqs = set;
  }
}
