// The cost model: how much CPU time each modelled step takes, in one table. The kernel has no
// such table; these are the kit's assumptions, each with its basis, and every experiment can
// override them (`new Sim({ costs: { hardirq: 2000 } })`).

import { InputRangeError } from "../base/errors.ts";
/** One row of the cost table. */
export interface CostEntry {
  /** Nanoseconds of CPU time. */
  ns: number;
  /** Charged per packet or per call, or a parameter of the cold-CPU model. */
  per: "packet" | "call" | "model";
  /** Where the number comes from. */
  basis: string;
}

/** The steps the kit charges CPU time for. */
export type CostName = keyof typeof DEFAULT_COSTS;

/**
 * Default costs. The steps of the veth receive path are measured on Linux 6.18 (the profile in
 * tests/golden/linux-6.18/calibrate/, each basis naming its tracepoints, spread and sample
 * count); the rest — the IRQ, the virtio-net device and driver, GRO, the scheduler — are
 * estimates for a current x86-64 core, and their basis says so. `rxpath calibrate` measures a
 * profile on another machine.
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
    ns: 10,
    per: "call",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: softirq_entry (NET_RX) \u2192 netif_receive_skb: net_rx_action() to the backlog's skb; below resolution (8 ns measured), charged 10; IQR 240-280 ns, n 300",
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
    ns: 10,
    per: "packet",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: netif_receive_skb \u2192 kfree_skb for a frame no handler takes (UNHANDLED_PROTO); below resolution (-69 ns measured), charged 10; IQR 160-200 ns, n 300",
  },
  busyPollSpin: {
    ns: 100,
    per: "call",
    basis: "estimate: one empty pass of napi_busy_loop() (cpu_relax and the checks around it)",
  },
  ipRcv: {
    ns: 515,
    per: "packet",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: netif_receive_skb \u2192 fib_table_lookup (input route), less __netif_receive_skb_core() and the lookup: ip_rcv_core() to ip_route_input_noref(); IQR 741-1001 ns, n 100",
  },
  iptRule: {
    ns: 13,
    per: "call",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: fib_table_lookup \u2192 kfree_skb (nft_do_chain): a drop at rule 42 less one at rule 1, per rule; IQR 10-16 ns, n 150",
  },
  ipForward: {
    ns: 156,
    per: "packet",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: fib_table_lookup \u2192 net_dev_queue out of eth1: ip_forward() to the device; IQR 441-591 ns, n 300",
  },
  transport: {
    ns: 458,
    per: "packet",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: fib_table_lookup \u2192 udp_fail_queue_rcv_skb: ip_local_deliver() to a full socket's refusal; IQR 711-891 ns, n 98",
  },
  sockQueue: {
    ns: 70,
    per: "packet",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: fib_table_lookup \u2192 napi_poll for a socket nobody reads, less the full socket's refusal; IQR 741-1032 ns, n 100",
  },
  recvmsg: {
    ns: 1000,
    per: "packet",
    basis: "estimate: a recvfrom() system call copying one small datagram to user space",
  },
  coldScale: {
    ns: 8700,
    per: "model",
    basis: "per mille, the extra on every cost of a CPU fully cold (caches, TLBs and predictors " +
      "gone, a virtual CPU woken from halt): fitted to Linux 6.18.44 on the reference host (AMD " +
      "EPYC under Firecracker) — the kit's warm times ×9.7 bring 189 of 245 recorded frames, " +
      "each sent after 0.4 s or more of idle, within ±30% of the kernel's median of five runs " +
      "(tests/golden/linux-6.18/trace_timing.json)",
  },
  coldDecay: {
    ns: 31192473,
    per: "model",
    basis: "ns, how fast an idle CPU goes cold: the factor is 1 + coldScale (1 - exp(-idle / " +
      "coldDecay)), fitted to one UDP delivery sent 0.3, 3, 10, 30, 100 and 400 ms apart on the " +
      "reference host (ratios to the warm time 1, 3.4, 4.9, 13.3, 18.3, 19.7: " +
      "tests/golden/linux-6.18/calibrate/cold.json)",
  },
  call: {
    ns: 10,
    per: "call",
    basis: "the floor of what rxpath calibrate resolves on the reference host (the tracepoints' " +
      "spread is tens of ns): charged to a traced call no other step's cost covers, so no " +
      "function that works shows 0.000 us; the measured steps include their callees, so this " +
      "adds a few per cent to a packet",
  },
  tracepoint: {
    ns: 251,
    per: "call",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: net_dev_queue \u2192 net_dev_start_xmit on the peer's send: one event and the few instructions of xmit_one() between them; IQR 230-280 ns, n 300",
  },
  tracepointFibTableLookup: {
    ns: 337,
    per: "call",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: netif_receive_skb \u2192 napi_poll with fib_table_lookup enabled less without, three pairs of runs taking turns (the range is the pairs' differences); IQR 179-448 ns, n 900",
  },
  vethXmit: {
    ns: 10,
    per: "packet",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: net_dev_start_xmit \u2192 netif_rx: veth_xmit() up to __netif_rx(); below resolution (-29 ns measured), charged 10; IQR 210-240 ns, n 300",
  },
  fibTableLookup: {
    ns: 10,
    per: "call",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: fib_table_lookup \u2192 fib_table_lookup: the reverse-path check's lookup (rp_filter 1); below resolution (-122 ns measured), charged 10; IQR 190-240 ns, n 300",
  },
  nftDoChain: {
    ns: 316,
    per: "call",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: fib_table_lookup \u2192 kfree_skb (nft_do_chain) at the first rule, less the rule: the LOCAL_IN hook with ip_local_deliver() before it; IQR 611-731 ns, n 150",
  },
  wakeup: {
    ns: 1231,
    per: "call",
    basis:
      "measured on 6.18.44-fc-v782 (AMD EPYC, a Firecracker VM) by rxpath calibrate: fib_table_lookup \u2192 napi_poll for a socket with a reader blocked in recv(), less without; IQR 1953-2273 ns, n 100",
  },
} as const satisfies Record<string, CostEntry>;

/**
 * The cost table of one simulation: defaults with overrides.
 *
 * @example
 * ```ts
 * import { CostModel } from "@rxpath/rxpath";
 * const costs = new CostModel({ hardirq: 2500 });
 * console.log(costs.ns.hardirq, costs.ns.wakeup); // 2500 1231
 * ```
 */
export class CostModel {
  /**
   * The cost of each step in this simulation, ns of CPU time, as `costs.ns.ipRcv`: a property
   * each, so every place that reads one reads it at once (a method taking the name made V8 look
   * the name up on each of millions of calls).
   */
  readonly ns: Readonly<Record<CostName, number>>;

  /**
   * Makes the table from the defaults and overrides.
   * @param overrides ns per step, for the steps to change
   * @throws {RangeError} for an unknown step or a cost that is not a non-negative integer
   */
  constructor(overrides: Partial<Record<string, number>> = {}) {
    const ns = Object.fromEntries(
      Object.entries(DEFAULT_COSTS).map(([k, v]) => [k, v.ns]),
    ) as Record<CostName, number>;
    for (const [name, value] of Object.entries(overrides)) {
      if (!(name in DEFAULT_COSTS)) {
        throw new InputRangeError(
          `Cannot set cost "${name}": no such step (known: ${
            Object.keys(DEFAULT_COSTS).join(", ")
          })`,
        );
      }
      if (!Number.isSafeInteger(value) || value! < 0) {
        throw new InputRangeError(
          `Cannot set cost "${name}" to ${value}: ns must be a non-negative integer`,
        );
      }
      ns[name as CostName] = value!;
    }
    this.ns = Object.freeze(ns);
  }

  /**
   * The whole table as rows, for printing in a notebook.
   * @returns one row per step with its value, default and basis
   */
  table(): { step: string; ns: number; default: number; per: string; basis: string }[] {
    return Object.entries(DEFAULT_COSTS).map(([step, d]) => ({
      step,
      ns: this.ns[step as CostName],
      default: d.ns,
      per: d.per,
      basis: d.basis,
    }));
  }
}
