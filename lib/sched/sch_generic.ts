// Models net/sched/sch_generic.c and sch_api.c (Linux 6.18): struct Qdisc and its statistics,
// the generic transmit loop (__qdisc_run → qdisc_restart → dequeue_skb → sch_direct_xmit),
// requeueing, __netif_schedule() onto the NET_TX softirq, the qdisc watchdog, noqueue and
// pfifo_fast, and the default qdiscs a device gets when it opens (attach_default_qdiscs()).

import { takeFirst } from "../base/arrays.ts";
import type { Cpu, Work } from "../sim/cpu.ts";
import type { Net } from "../core/net_namespace.ts";
import type { NetDevice, NetdevQueue } from "../core/netdevice.ts";
import { kfreeSkbReason, type SkBuff } from "../core/skbuff.ts";
import type { SkbDropReason } from "../core/dropreason.ts";
import { devHardStartXmit, devXmitComplete, NETDEV_TX_BUSY } from "../core/dev_xmit.ts";
import { NET_TX_SOFTIRQ } from "../kernel/softirq.ts";

/** The qdisc took the packet (NET_XMIT_SUCCESS). */
export const NET_XMIT_SUCCESS = 0;
/** The qdisc dropped the packet (NET_XMIT_DROP). */
export const NET_XMIT_DROP = 1;
/** The qdisc took it but dropped another: congestion (NET_XMIT_CN). */
export const NET_XMIT_CN = 2;
/** The handle of the root (TC_H_ROOT), a qdisc's parent when it hangs on the device. */
export const TC_H_ROOT = 0xffffffff;
/** The highest skb->priority a priomap maps (TC_PRIO_MAX). */
export const TC_PRIO_MAX = 15;
/** pfifo_fast's band for each priority (sch_default_prio2band). */
export const SCH_DEFAULT_PRIO2BAND: readonly number[] = [
  1,
  2,
  2,
  2,
  1,
  2,
  0,
  0,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
  1,
];

/** Byte and packet counters (struct gnet_stats_basic_sync). */
export interface QdiscBstats {
  /** Bytes sent. */
  bytes: number;
  /** Packets sent. */
  packets: number;
}

/** Queue counters (struct gnet_stats_queue), as `tc -s qdisc` prints them. */
export interface QdiscQstats {
  /** Packets queued. */
  qlen: number;
  /** Bytes queued. */
  backlog: number;
  /** Packets dropped. */
  drops: number;
  /** Packets the driver refused and the qdisc took back (dev_requeue_skb()). */
  requeues: number;
  /** Times the qdisc held a packet back over its limit (a shaper's throttle, say). */
  overlimits: number;
}

/**
 * A queueing discipline (struct Qdisc): its place in the tree, its counters, the skbs the
 * driver handed back (gso_skb), and its state bits. Each kind of qdisc fills in enqueue and
 * dequeue as its Qdisc_ops do.
 */
export abstract class Qdisc {
  /** The kind, as `tc` names it (ops->id). */
  abstract readonly kind: string;
  /** The kernel functions its enqueue and dequeue are (ops->enqueue, ops->dequeue). */
  abstract readonly symbols: { enqueue: string; dequeue: string };
  /** Its handle, major:minor in one number; 0 for a default qdisc. */
  handle = 0;
  /** Its parent's class, or TC_H_ROOT. */
  parent: number = TC_H_ROOT;
  /** References, as `tc qdisc` prints them for a root. */
  refcnt = 1;
  /** TCQ_F_CAN_BYPASS: an empty work-conserving queue lets a packet go straight to the driver. */
  canBypass = false;
  /** TCQ_F_NOLOCK: runs under its seqlock, not the root lock (pfifo_fast). */
  nolock = false;
  /** TCQ_F_ONETXQUEUE: the only qdisc of a single-queue device, so it may dequeue in bulk. */
  oneTxQueue = false;
  /** Bytes and packets it sent. */
  readonly bstats: QdiscBstats = { bytes: 0, packets: 0 };
  /** Its queue counters. */
  readonly qstats: QdiscQstats = { qlen: 0, backlog: 0, drops: 0, requeues: 0, overlimits: 0 };
  /** skbs the driver refused, sent first next time (q->gso_skb). */
  readonly gsoSkb: SkBuff[] = [];
  /** A packet dequeued in a bulk for another transmit queue, sent next (q->skb_bad_txq). */
  skbBadTxq: SkBuff | null = null;
  /** __QDISC_STATE_SCHED: on a CPU's output_queue, waiting for net_tx_action(). */
  scheduled = false;
  /** __QDISC_STATE2_RUNNING, or the seqlock held: one CPU dequeues at a time. */
  running = false;
  /** __QDISC_STATE_MISSED: someone could not run it while another did; run it again. */
  missed = false;
  /** __QDISC_STATE_DRAINING: packets left in it while the driver's queue is stopped. */
  draining = false;
  /** The qdisc it hangs below, whose counts include its packets (tbf's child); null for a root
   * or a child that keeps its own (mq's: TCQ_F_NOPARENT). */
  parentQdisc: Qdisc | null = null;
  /** When the watchdog hrtimer fires (qdisc_watchdog), ns, or -1. */
  watchdogAt: number = -1;

  /**
   * Makes a qdisc on a transmit queue.
   * @param dev the device
   * @param devQueue the transmit queue it feeds (q->dev_queue)
   */
  constructor(readonly dev: NetDevice, readonly devQueue: NetdevQueue) {}

  /**
   * Queues a packet (ops->enqueue).
   * @param host the host
   * @param cpu the CPU
   * @param skb the packet
   * @param toFree where dropped skbs go, freed after the lock is let go
   * @returns NET_XMIT_SUCCESS, NET_XMIT_DROP or NET_XMIT_CN
   */
  abstract enqueue(host: Net, cpu: Cpu, skb: SkBuff, toFree: SkBuff[]): number;

  /**
   * Takes the next packet to send (ops->dequeue), or null.
   * @param host the host
   * @param cpu the CPU
   */
  abstract dequeue(host: Net, cpu: Cpu): SkBuff | null;

  /**
   * The next packet dequeue() would give, left queued (ops->peek).
   * @param host the host
   * @param cpu the CPU
   */
  abstract peek(host: Net, cpu: Cpu): SkBuff | null;

  /** Its settings, as `tc qdisc show` prints them after the handle and parent. */
  abstract options(): string;

  /**
   * ops->change_tx_queue_len: most qdiscs ignore a new txqueuelen.
   * @param _host the host
   * @param _len the new length
   */
  changeTxQueueLen(_host: Net, _len: number): void {}

  /** Every skb it holds: requeued, set aside, and queued in it or below it. */
  heldSkbs(): SkBuff[] {
    return [...this.gsoSkb, ...(this.skbBadTxq ? [this.skbBadTxq] : [])];
  }

  /** Its own statistics, as `tc -s` prints them below the backlog line (none by default). */
  xstats(): string {
    return "";
  }

  /** The counters `tc -s qdisc` prints for it (a qdisc's dump_stats). */
  dumpStats(): { bstats: QdiscBstats; qstats: QdiscQstats } {
    return { bstats: this.bstats, qstats: this.qstats };
  }

  /** True for noqueue: no enqueue at all, the packet goes to the driver at once. */
  get queueless(): boolean {
    return false;
  }
}

/**
 * qdisc_drop(): the packet joins the list freed after the lock, counted as a drop.
 * @param q the qdisc
 * @param skb the packet
 * @param toFree the list
 * @param reason the drop reason it is freed with (QDISC_DROP unless the qdisc says more)
 * @returns NET_XMIT_DROP
 */
export function qdiscDrop(
  q: Qdisc,
  skb: SkBuff,
  toFree: SkBuff[],
  reason: SkbDropReason = "QDISC_DROP",
): number {
  skb.dropReason = reason;
  toFree.push(skb);
  q.qstats.drops++;
  return NET_XMIT_DROP;
}

/**
 * qdisc_tree_reduce_backlog(): packets a child dropped by itself (not as the answer to an
 * enqueue) leave its ancestors' counts too, and count as their drops.
 * @param q the child
 * @param n packets
 * @param len bytes
 */
export function qdiscTreeReduceBacklog(q: Qdisc, n: number, len: number): void {
  for (let p = q.parentQdisc; p; p = p.parentQdisc) {
    p.qstats.qlen -= n;
    p.qstats.backlog -= len;
    p.qstats.drops += Math.max(n, 0);
  }
}

/** qdisc_pkt_len(): the length a qdisc counts, the skb's from its link-layer header. */
export function qdiscPktLen(skb: SkBuff): number {
  return skb.len;
}

/**
 * A qdisc with no queue of its own: noqueue (nothing queues at all) and mq (each transmit
 * queue's own qdisc takes the packets). Nothing is ever dequeued from it.
 */
export abstract class QueuelessQdisc extends Qdisc {
  /** It has neither. */
  readonly symbols = { enqueue: "", dequeue: "" };

  /** Nothing enqueues here: the caller must not ask. */
  enqueue(): number {
    throw new Error(`BUG: enqueue on ${this.kind}`);
  }

  /** Nothing is ever queued. */
  dequeue(): null {
    return null;
  }

  /** Nothing is ever queued. */
  peek(): null {
    return null;
  }

  /** It prints no settings. */
  options(): string {
    return "";
  }
}

/**
 * noqueue: the default of virtual devices (IFF_NO_QUEUE: veth, loopback, dummy); it has no
 * enqueue, so __dev_queue_xmit() hands each packet straight to the driver.
 */
export class NoqueueQdisc extends QueuelessQdisc {
  /** The kind. */
  readonly kind = "noqueue";

  /** No enqueue: the device has no queue. */
  override get queueless(): boolean {
    return true;
  }
}

/**
 * pfifo_fast: three FIFO bands picked by skb->priority through the priomap; band 0 is emptied
 * first. Each band is a ring of tx_queue_len packets (pfifo_fast_init()), and a full band drops
 * (pfifo_fast_enqueue(): QDISC_OVERLIMIT since 6.18).
 */
export class PfifoFastQdisc extends Qdisc {
  /** The kind. */
  readonly kind = "pfifo_fast";
  /** Its ops. */
  readonly symbols = { enqueue: "pfifo_fast_enqueue", dequeue: "pfifo_fast_dequeue" };
  /** The bands (priv->q). */
  readonly bands: SkBuff[][] = [[], [], []];
  /** Packets each band holds (its skb_array's size): the device's tx_queue_len. */
  bandLimit: number;

  /**
   * Makes one, as pfifo_fast_init().
   * @param dev the device
   * @param devQueue its transmit queue
   */
  constructor(dev: NetDevice, devQueue: NetdevQueue) {
    super(dev, devQueue);
    if (dev.txQueueLen < 1) {
      throw new RangeError(`Cannot make pfifo_fast on ${dev.name}: txqueuelen 0 (EINVAL)`);
    }
    this.bandLimit = dev.txQueueLen;
    this.nolock = true; // static_flags TCQ_F_NOLOCK | TCQ_F_CPUSTATS
    this.canBypass = true;
  }

  /** pfifo_fast_enqueue(): into the priority's band, or dropped when the band is full. */
  enqueue(_host: Net, _cpu: Cpu, skb: SkBuff, toFree: SkBuff[]): number {
    const band = this.bands[SCH_DEFAULT_PRIO2BAND[skb.priority & TC_PRIO_MAX]];
    if (band.length >= this.bandLimit) return qdiscDrop(this, skb, toFree, "QDISC_OVERLIMIT");
    band.push(skb);
    this.qstats.qlen++;
    this.qstats.backlog += qdiscPktLen(skb);
    return NET_XMIT_SUCCESS;
  }

  /**
   * pfifo_fast_dequeue(): the head of the first band with packets; finding none, it clears
   * MISSED and DRAINING (the queue is empty now).
   */
  dequeue(): SkBuff | null {
    for (const band of this.bands) {
      const skb = takeFirst(band);
      if (!skb) continue;
      this.qstats.qlen--;
      this.qstats.backlog -= qdiscPktLen(skb);
      this.bstats.bytes += qdiscPktLen(skb);
      this.bstats.packets++;
      return skb;
    }
    this.missed = this.draining = false;
    return null;
  }

  /** pfifo_fast_peek(). */
  peek(): SkBuff | null {
    for (const band of this.bands) if (band.length) return band[0];
    return null;
  }

  /**
   * pfifo_fast_change_tx_queue_len(): each band's ring resized (skb_array_resize_multiple());
   * what no longer fits is freed.
   * @param host the host
   * @param len the new length
   */
  override changeTxQueueLen(host: Net, len: number): void {
    this.bandLimit = len;
    for (const band of this.bands) {
      for (const skb of band.splice(len)) {
        this.qstats.qlen--;
        this.qstats.backlog -= qdiscPktLen(skb);
        kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "__skb_array_destroy_skb");
      }
    }
  }

  /** The bands' skbs too. */
  override heldSkbs(): SkBuff[] {
    return [...super.heldSkbs(), ...this.bands.flat()];
  }

  /** pfifo_fast_dump(): bands and priomap. */
  options(): string {
    return `bands 3 priomap ${SCH_DEFAULT_PRIO2BAND.join(" ")}`;
  }
}

/**
 * __netif_schedule(): puts a root qdisc on this CPU's output_queue and raises NET_TX, whose
 * net_tx_action() runs it; a qdisc already scheduled stays where it is.
 * @param host the host
 * @param cpu the CPU
 * @param q the root qdisc
 */
export function netifSchedule(host: Net, cpu: Cpu, q: Qdisc): void {
  host.sim.traced(cpu, "__netif_schedule", () => {
    if (q.scheduled) return;
    q.scheduled = true;
    host.sim.traced(cpu, "__netif_reschedule", () => {
      host.softnetData[cpu.id].outputQueue.push(q);
      host.softirqs.raiseSoftirqIrqoff(cpu, NET_TX_SOFTIRQ);
    });
  });
}

/**
 * qdisc_run_begin(): takes the right to dequeue; a lockless qdisc that finds another CPU
 * running it sets MISSED so that CPU runs it again.
 * @param q the qdisc
 * @returns true when the caller may run it
 */
export function qdiscRunBegin(q: Qdisc): boolean {
  if (q.running) {
    if (q.nolock) q.missed = true;
    return false;
  }
  q.running = true;
  return true;
}

/**
 * qdisc_run_end(): lets go; a lockless qdisc with MISSED set is scheduled on NET_TX.
 * @param host the host
 * @param cpu the CPU
 * @param q the qdisc
 */
export function qdiscRunEnd(host: Net, cpu: Cpu, q: Qdisc): void {
  q.running = false;
  if (q.nolock && q.missed) netifSchedule(host, cpu, q);
}

// qdisc_maybe_clear_missed(): a stopped queue turns MISSED into DRAINING, so the qdisc is not
// rescheduled in vain until the driver wakes the queue
function qdiscMaybeClearMissed(q: Qdisc, txq: NetdevQueue): void {
  q.missed = false;
  if (!txq.stopped) q.missed = true;
  else q.draining = true;
}

/**
 * qdisc_run(): runs the qdisc if no one else does.
 * @param host the host
 * @param cpu the CPU
 * @param q the qdisc
 */
export function qdiscRun(host: Net, cpu: Cpu, q: Qdisc): void {
  if (!qdiscRunBegin(q)) return;
  // a lockless qdisc runs holding its seqlock (spin_trylock() in qdisc_run_begin())
  if (q.nolock) host.sim.holding(cpu, { preempt: 1 }, () => __qdiscRun(host, cpu, q));
  else __qdiscRun(host, cpu, q);
  qdiscRunEnd(host, cpu, q);
}

/**
 * __qdisc_run(): sends until the qdisc gives nothing or the driver refuses, at most
 * dev_tx_weight packets (net.core.dev_weight × dev_weight_tx_bias); past the quota the rest
 * waits for NET_TX (__netif_schedule(), or MISSED for a lockless qdisc).
 * @param host the host
 * @param cpu the CPU
 * @param q the qdisc
 */
export function __qdiscRun(host: Net, cpu: Cpu, q: Qdisc): void {
  host.sim.traced(cpu, "__qdisc_run", () => {
    let quota = host.devTxWeight;
    for (;;) {
      const r = qdiscRestart(host, cpu, q, quota);
      if (!r.more) break;
      quota -= r.packets;
      if (quota <= 0) {
        if (q.nolock) q.missed = true;
        else netifSchedule(host, cpu, q);
        break;
      }
    }
  });
}

/**
 * qdisc_restart(): dequeues a packet (or a bulk of them) and sends it.
 * @param host the host
 * @param cpu the CPU
 * @param q the qdisc
 * @param budget packets it may take
 * @returns whether to go on, and how many packets it took
 */
function qdiscRestart(
  host: Net,
  cpu: Cpu,
  q: Qdisc,
  budget: number,
): { more: boolean; packets: number } {
  const { skbs, packets } = dequeueSkb(host, cpu, q, budget);
  if (skbs.length === 0) return { more: false, packets };
  // skb_get_tx_queue(): the queue netdev_core_pick_tx() gave the packet (a root qdisc of a
  // multiqueue device feeds them all)
  const txq = q.dev.tx[skbs[0].queueMapping] ?? q.devQueue;
  return { more: schDirectXmit(host, cpu, skbs, q, q.dev, txq), packets };
}

// dequeue_skb(): a requeued packet first; else the qdisc's own, then more in bulk as far as
// the queue's byte limit lets (try_bulk_dequeue_skb(), BQL's dql_avail()), or up to 8 on a
// qdisc of a multiqueue device (try_bulk_dequeue_skb_slow()). qdisc_dequeue traces the result.
function dequeueSkb(
  host: Net,
  cpu: Cpu,
  q: Qdisc,
  budget: number,
): { skbs: SkBuff[]; packets: number } {
  const txq = q.devQueue;
  const skbs: SkBuff[] = [];
  let packets = 1;
  if (q.gsoSkb.length) {
    if (!txq.stopped) {
      const skb = q.gsoSkb.shift()!;
      q.qstats.qlen--;
      q.qstats.backlog -= qdiscPktLen(skb);
      skbs.push(skb);
    } else if (q.nolock) qdiscMaybeClearMissed(q, txq);
  } else {
    if (q.oneTxQueue && txq.stopped) {
      if (q.nolock) qdiscMaybeClearMissed(q, txq);
      return { skbs, packets };
    }
    // qdisc_dequeue_skb_bad_txq(): a packet set aside for another queue goes first, when that
    // queue can send (else nothing goes, untraced)
    let skb = q.skbBadTxq;
    if (skb) {
      if (q.dev.tx[skb.queueMapping].stopped) return { skbs, packets };
      q.skbBadTxq = null;
      q.qstats.qlen--;
      q.qstats.backlog -= qdiscPktLen(skb);
    } else skb = qdiscDequeue(host, cpu, q);
    if (skb) {
      skbs.push(skb);
      if (q.oneTxQueue) {
        let bytelimit = txq.dql.avail() - skb.len;
        let cnt = 0;
        while (bytelimit > 0) {
          const next = qdiscDequeue(host, cpu, q);
          if (!next) break;
          skbs.push(next);
          bytelimit -= next.len;
          if (++cnt >= budget) break;
        }
        packets += cnt;
      } else {
        let cnt = 0;
        do {
          const next = qdiscDequeue(host, cpu, q);
          if (!next) break;
          if (next.queueMapping !== skb.queueMapping) {
            // qdisc_enqueue_skb_bad_txq(): kept for the next dequeue_skb()
            q.skbBadTxq = next;
            q.qstats.qlen++;
            q.qstats.backlog += qdiscPktLen(next);
            break;
          }
          skbs.push(next);
        } while (++cnt < 8);
        packets += cnt;
      }
    }
  }
  host.sim.tracepoint(cpu, "qdisc_dequeue", () => ({
    ifindex: q.dev.ifindex,
    handle: q.handle,
    parent: q.parent,
    txq_state: txq.state,
    packets: skbs.length ? packets : 0,
    skbaddr: skbs[0]?.id ?? 0,
  }));
  return { skbs, packets };
}

/**
 * sch_direct_xmit(): hands the packets to the driver unless its queue is stopped; what the
 * driver refuses (NETDEV_TX_BUSY) goes back to the qdisc (dev_requeue_skb()).
 * @param host the host
 * @param cpu the CPU
 * @param skbs the packets, in order
 * @param q the qdisc they came from
 * @param dev the device
 * @param txq its transmit queue
 * @returns true when the qdisc may go on sending
 */
export function schDirectXmit(
  host: Net,
  cpu: Cpu,
  skbs: SkBuff[],
  q: Qdisc,
  dev: NetDevice,
  txq: NetdevQueue,
): boolean {
  return host.sim.traced(cpu, "sch_direct_xmit", () => {
    let left = skbs;
    let ret = NETDEV_TX_BUSY;
    // the root lock of a locked qdisc is let go while the driver has the packets
    host.sim.holding(cpu, { preempt: q.nolock ? 0 : -1 }, () => {
      if (!txq.stopped) ({ left, ret } = devHardStartXmit(host, cpu, skbs, dev, txq));
      else if (q.nolock) qdiscMaybeClearMissed(q, txq);
    });
    if (left.length && !devXmitComplete(ret)) {
      devRequeueSkb(host, cpu, left, q);
      return false;
    }
    return true;
  }, skbs[0].id);
}

// dev_requeue_skb(): the refused packets go to the front (gso_skb), counted as requeues; a
// lockless qdisc is marked MISSED, any other scheduled on NET_TX.
function devRequeueSkb(host: Net, cpu: Cpu, skbs: SkBuff[], q: Qdisc): void {
  for (const skb of skbs) {
    q.qstats.requeues++;
    q.qstats.backlog += qdiscPktLen(skb);
    q.qstats.qlen++;
  }
  q.gsoSkb.unshift(...skbs);
  if (q.nolock) q.missed = true;
  else netifSchedule(host, cpu, q);
}

// q->dequeue(), under the qdisc's own symbol
function qdiscDequeue(host: Net, cpu: Cpu, q: Qdisc): SkBuff | null {
  return host.sim.traced(cpu, q.symbols.dequeue, () => q.dequeue(host, cpu));
}

/**
 * Frees what a qdisc dropped, each with its reason (kfree_skb_list_reason()).
 * @param host the host
 * @param toFree the dropped skbs
 */
export function freeDropped(host: Net, toFree: SkBuff[]): void {
  for (const skb of toFree) {
    kfreeSkbReason(host.sim, skb, skb.dropReason ?? "QDISC_DROP", "__dev_queue_xmit");
  }
}

// qdisc_watchdog(): the root qdisc goes on NET_TX (one shared generator function: a new one per
// expiry would cost V8 a microsecond to start).
function* qdiscWatchdog(host: Net, cpu: Cpu, root: Qdisc): Work {
  netifSchedule(host, cpu, root);
  yield 0;
}

/**
 * qdisc_watchdog_schedule_ns(): arms the qdisc's hrtimer (pinned to this CPU) to schedule its
 * root on NET_TX at the given time; an armed timer moves unless it is due then already.
 * @param host the host
 * @param cpu the CPU
 * @param q the qdisc that waits
 * @param expires when, ns of the host's clock
 */
export function qdiscWatchdogSchedule(host: Net, cpu: Cpu, q: Qdisc, expires: number): void {
  if (q.watchdogAt === expires) return;
  q.watchdogAt = expires;
  const root = q.dev.tx[q.devQueue.index].qdisc;
  host.sim.at(Math.max(expires, host.sim.now), () => {
    if (q.watchdogAt !== expires) return;
    q.watchdogAt = -1;
    host.irqs.timerInterrupt(cpu, "qdisc_watchdog", (c) => qdiscWatchdog(host, c, root));
  });
}
