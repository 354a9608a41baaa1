// Models net/sched/sch_mq.c (Linux 6.18): the root of a multiqueue device. mq queues nothing
// itself; it gives each transmit queue its own default qdisc (handle 0, parent :N) and reports
// their sums.

import type { NetDevice } from "../core/netdevice.ts";
import { type QdiscBstats, type QdiscQstats, QueuelessQdisc } from "./sch_generic.ts";

/** mq: one child qdisc per transmit queue; its counters are theirs added up (mq_dump()). */
export class MqQdisc extends QueuelessQdisc {
  /** The kind. */
  readonly kind = "mq";

  /**
   * Makes one on a multiqueue device (mq_init()); the children are the queues' qdiscs.
   * @param dev the device
   */
  constructor(dev: NetDevice) {
    super(dev, dev.tx[0]);
  }

  /** mq_dump(): the children's counters added up. */
  override dumpStats(): { bstats: QdiscBstats; qstats: QdiscQstats } {
    const bstats = { bytes: 0, packets: 0 };
    const qstats = { qlen: 0, backlog: 0, drops: 0, requeues: 0, overlimits: 0 };
    for (const q of this.dev.tx.map((txq) => txq.qdiscSleeping)) {
      bstats.bytes += q.bstats.bytes;
      bstats.packets += q.bstats.packets;
      for (const k of Object.keys(qstats) as (keyof QdiscQstats)[]) qstats[k] += q.qstats[k];
    }
    return { bstats, qstats };
  }
}
