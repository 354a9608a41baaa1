// Models net/sched/sch_fifo.c (Linux 6.18): pfifo (a limit in packets) and bfifo (in bytes),
// the tail-drop queues a shaper such as tbf hangs below itself.

import { takeFirst } from "../base/arrays.ts";
import type { Net } from "../core/net_namespace.ts";
import type { NetDevice, NetdevQueue } from "../core/netdevice.ts";
import type { SkBuff } from "../core/skbuff.ts";
import { NET_XMIT_SUCCESS, Qdisc, qdiscDrop, qdiscPktLen } from "./sch_generic.ts";
import { formatSize } from "./tc_units.ts";

/** psched_mtu(): the largest frame the device sends, its MTU and link-layer header. */
export function pschedMtu(dev: NetDevice): number {
  return dev.mtu + dev.hardHeaderLen;
}

/**
 * pfifo or bfifo: one FIFO with a tail-drop limit in packets (pfifo) or bytes (bfifo). Without
 * a limit given, __fifo_init() takes txqueuelen packets, or txqueuelen × psched_mtu() bytes.
 */
export class FifoQdisc extends Qdisc {
  /** The queue. */
  readonly q: SkBuff[] = [];
  /** Its ops: pfifo_enqueue or bfifo_enqueue, qdisc_dequeue_head. */
  readonly symbols: { enqueue: string; dequeue: string };
  /** The limit, packets or bytes (sch->limit). */
  limit: number;

  /**
   * Makes one, as __fifo_init(); CAN_BYPASS when a packet fits (limit ≥ 1, or ≥ psched_mtu()).
   * @param kind pfifo or bfifo
   * @param dev the device
   * @param devQueue its transmit queue
   * @param limit the limit, or undefined for the default
   */
  constructor(
    readonly kind: "pfifo" | "bfifo",
    dev: NetDevice,
    devQueue: NetdevQueue,
    limit?: number,
  ) {
    super(dev, devQueue);
    this.symbols = { enqueue: `${kind}_enqueue`, dequeue: "qdisc_dequeue_head" };
    this.limit = limit ?? dev.txQueueLen * (kind === "bfifo" ? pschedMtu(dev) : 1);
    this.canBypass = kind === "bfifo" ? this.limit >= pschedMtu(dev) : this.limit >= 1;
  }

  /** pfifo_enqueue() / bfifo_enqueue(): at the tail, or dropped over the limit. */
  enqueue(_host: Net, _cpu: unknown, skb: SkBuff, toFree: SkBuff[]): number {
    const fits = this.kind === "bfifo"
      ? this.qstats.backlog + qdiscPktLen(skb) <= this.limit
      : this.qstats.qlen < this.limit;
    if (!fits) return qdiscDrop(this, skb, toFree);
    this.q.push(skb);
    this.qstats.qlen++;
    this.qstats.backlog += qdiscPktLen(skb);
    return NET_XMIT_SUCCESS;
  }

  /** qdisc_dequeue_head(). */
  dequeue(): SkBuff | null {
    const skb = takeFirst(this.q);
    if (!skb) return null;
    this.qstats.qlen--;
    this.qstats.backlog -= qdiscPktLen(skb);
    this.bstats.bytes += qdiscPktLen(skb);
    this.bstats.packets++;
    return skb;
  }

  /** qdisc_peek_head(). */
  peek(): SkBuff | null {
    return this.q[0] ?? null;
  }

  /** The queue's skbs too. */
  override heldSkbs(): SkBuff[] {
    return [...super.heldSkbs(), ...this.q];
  }

  /** fifo_dump(): the limit. */
  options(): string {
    return this.kind === "pfifo" ? `limit ${this.limit}p` : `limit ${formatSize(this.limit)}`;
  }
}
