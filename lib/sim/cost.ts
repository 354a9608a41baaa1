// The cost model: how much CPU time each modelled step takes, in one table. The kernel has no
// such table; these are the kit's assumptions, each with its basis, and every experiment can
// override them (`new Sim({ costs: { hardirq: 2000 } })`).

import { InputRangeError } from "../base/errors.ts";
/** One row of the cost table. */
export interface CostEntry {
  /** Nanoseconds of CPU time. */
  ns: number;
  /** Charged per packet or per call. */
  per: "packet" | "call";
  /** Where the number comes from. */
  basis: string;
}

/** The steps the kit charges CPU time for. */
export type CostName = keyof typeof DEFAULT_COSTS;

/**
 * Default costs. They are order-of-magnitude estimates for a current x86-64 server core, not
 * measurements of a particular machine: charts show shapes and ratios, not absolute speeds.
 */
export const DEFAULT_COSTS = {
  hardirq: {
    ns: 1000,
    per: "call",
    basis: "estimate: IRQ entry, a short handler that masks the queue and schedules NAPI, irq_exit",
  },
  tick: {
    ns: 1000,
    per: "call",
    basis:
      "estimate: a local timer interrupt running tick_sched_timer() (update_process_times(), the scheduler tick)",
  },
  softirqEntry: {
    ns: 200,
    per: "call",
    basis: "estimate: handle_softirqs() bookkeeping around the vector handlers",
  },
  contextSwitch: {
    ns: 1500,
    per: "call",
    basis: "estimate: a task switch on one CPU is of the order of 1-2 us including cache effects",
  },
  nicDma: {
    ns: 500,
    per: "packet",
    basis:
      "estimate: the device writing one frame into a posted buffer and the used ring (PCIe or vhost copy)",
  },
  virtnetReceiveBuf: {
    ns: 400,
    per: "packet",
    basis: "estimate: receive_buf(): build the skb from the buffer, eth_type_trans(), stats",
  },
  virtnetRefill: {
    ns: 80,
    per: "packet",
    basis: "estimate: try_fill_recv() posting one receive buffer",
  },
  napiGroReceive: {
    ns: 300,
    per: "packet",
    basis: "estimate: dev_gro_receive() matching one skb against the held flows, charged there",
  },
  netifReceiveSkbCore: {
    ns: 150,
    per: "packet",
    basis: "estimate: __netif_receive_skb_core() walking taps and ptype lists for one skb",
  },
  busyPollSpin: {
    ns: 100,
    per: "call",
    basis: "estimate: one empty pass of napi_busy_loop() (cpu_relax and the checks around it)",
  },
  ipRcv: {
    ns: 150,
    per: "packet",
    basis:
      "estimate: ip_rcv_core()'s header checks, charged there on both the list and one-skb paths",
  },
  iptRule: {
    ns: 20,
    per: "call",
    basis: "estimate: one iptables rule's matches tested in ipt_do_table()",
  },
  ipForward: {
    ns: 300,
    per: "packet",
    basis: "estimate: ip_forward(), the output path and the neighbour hand-off to the device",
  },
  transport: {
    ns: 250,
    per: "packet",
    basis: "estimate: udp_rcv()/icmp_rcv()/tcp_v4_rcv() up to the socket lookup and checksum",
  },
  sockQueue: {
    ns: 150,
    per: "packet",
    basis: "estimate: __udp_enqueue_schedule_skb() charging the buffer and queueing the skb",
  },
  recvmsg: {
    ns: 1000,
    per: "packet",
    basis: "estimate: a recvfrom() system call copying one small datagram to user space",
  },
  wakeup: {
    ns: 500,
    per: "call",
    basis: "estimate: try_to_wake_up() of a task on the local run queue",
  },
} as const satisfies Record<string, CostEntry>;

/**
 * The cost table of one simulation: defaults with overrides.
 *
 * @example
 * ```ts
 * import { CostModel } from "@rxpath/rxpath";
 * const costs = new CostModel({ hardirq: 2500 });
 * console.log(costs.ns("hardirq"), costs.ns("wakeup")); // 2500 500
 * ```
 */
export class CostModel {
  #ns: Record<CostName, number>;

  /**
   * Makes the table from the defaults and overrides.
   * @param overrides ns per step, for the steps to change
   * @throws {RangeError} for an unknown step or a cost that is not a non-negative integer
   */
  constructor(overrides: Partial<Record<string, number>> = {}) {
    this.#ns = Object.fromEntries(
      Object.entries(DEFAULT_COSTS).map(([k, v]) => [k, v.ns]),
    ) as Record<CostName, number>;
    for (const [name, ns] of Object.entries(overrides)) {
      if (!(name in DEFAULT_COSTS)) {
        throw new InputRangeError(
          `Cannot set cost "${name}": no such step (known: ${
            Object.keys(DEFAULT_COSTS).join(", ")
          })`,
        );
      }
      if (!Number.isSafeInteger(ns) || ns! < 0) {
        throw new InputRangeError(
          `Cannot set cost "${name}" to ${ns}: ns must be a non-negative integer`,
        );
      }
      this.#ns[name as CostName] = ns!;
    }
  }

  /**
   * The cost of a step in this simulation.
   * @param name the step
   * @returns ns of CPU time
   */
  ns(name: CostName): number {
    return this.#ns[name];
  }

  /**
   * The whole table as rows, for printing in a notebook.
   * @returns one row per step with its value, default and basis
   */
  table(): { step: string; ns: number; default: number; per: string; basis: string }[] {
    return Object.entries(DEFAULT_COSTS).map(([step, d]) => ({
      step,
      ns: this.#ns[step as CostName],
      default: d.ns,
      per: d.per,
      basis: d.basis,
    }));
  }
}
