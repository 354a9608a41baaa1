// One receive experiment in a call: a booted host, a virtio-net NIC, traffic on the wire,
// optional competing user tasks or a busy-polling reader, run for a while and summed up —
// what the chapters sweep and plot. Nothing here is kernel code; it only drives and reads it.

import { createHost, type Host } from "../init/main.ts";
import { VirtioNet, type VirtioNetOptions } from "../drivers/virtio_net.ts";
import type { Coalesce } from "../drivers/virtio_net_device.ts";
import { devSetThreaded, napiBusyLoop } from "../core/dev.ts";
import { rpsRecordSockFlow } from "../core/netif_receive.ts";
import { consumeSkb } from "../core/skbuff.ts";
import { NET_RX_SOFTIRQ } from "../kernel/softirq.ts";
import { Task } from "../sim/cpu.ts";
import type { SkbHolder } from "../sim/ledger.ts";
import { generateTraffic, type TrafficSpec } from "../traffic/generator.ts";

/** What {@linkcode runRx} sets up. */
export interface RxExperiment {
  /** Seed, default 1. */
  seed?: number;
  /** CPUs, default 1. */
  cpus?: number;
  /** CONFIG_HZ, default 250. */
  hz?: number;
  /** NIC options (queues, ring size, ...). */
  nic?: VirtioNetOptions;
  /** Interrupt coalescing (ethtool -C). */
  coalesce?: Partial<Coalesce>;
  /** sysctls, such as net.core.netdev_budget. */
  sysctl?: Record<string, number | string>;
  /** Cost overrides, ns. */
  costs?: Record<string, number>;
  /** /sys/class/net/DEV/napi_defer_hard_irqs. */
  napiDeferHardIrqs?: number;
  /** /sys/class/net/DEV/gro_flush_timeout, ns. */
  groFlushTimeout?: number;
  /** /sys/class/net/DEV/threaded: each queue's NAPI is polled by its own kthread, not NET_RX. */
  threaded?: boolean;
  /**
   * ethtool -N DEV rx-flow-hash, by flow type, such as `{ udp4: "sd" }`. receive-hashing is
   * turned on first (ethtool -K DEV rxhash on): only then does the driver send the hash types.
   */
  rxFlowHash?: Record<string, string>;
  /** smp_affinity of each queue's vector, by queue. */
  irqAffinity?: number[][];
  /** The traffic: one spec, or several whose frames are merged in time order (phases of load). */
  traffic: TrafficSpec | TrafficSpec[];
  /** How long to run, ns. */
  durationNs: number;
  /** CPUs that each run a CPU-bound user task (a competing application). */
  userTasksOn?: number[];
  /** A reader task that busy-polls one queue from a CPU, until the run ends. */
  busyPoll?: { cpu: number; queue: number };
  /** Timeline bin, ns; default durationNs / 50. */
  binNs?: number;
  /** Keep trace records (memory grows with the run), default false. */
  trace?: boolean;
  /**
   * Run the whole modelled path — GRO, RPS/RFS, the L2 hand-off — instead of stopping at
   * napi_gro_receive(); latency is then measured where __netif_receive_skb_core() starts.
   */
  fullStack?: boolean;
  /** RPS and RFS on queue rx-0 (implies fullStack): rps_cpus, rps_flow_cnt, rps_sock_flow_entries. */
  rps?: { cpus: number[]; flowCnt?: number; sockFlowEntries?: number };
  /** With RFS: the CPU each flow's reader runs on, by flow index (cycled). */
  readers?: number[];
}

/** CPU time of one CPU over the run, ns, split as /proc/stat does and by softirq origin. */
export interface CpuTimeRow {
  /** CPU id. */
  cpu: number;
  /** User tasks. */
  user: number;
  /** System time (busy polling, kernel threads). */
  system: number;
  /** Hard interrupts. */
  irq: number;
  /** Softirqs run at irq exit. */
  softirqIrqExit: number;
  /** Softirqs run by ksoftirqd. */
  softirqKsoftirqd: number;
  /** Softirqs run at local_bh_enable. */
  softirqBhEnable: number;
  /** Idle. */
  idle: number;
}

/** One timeline bin: what happened between t and t + binNs. */
export interface TimelineRow {
  /** Bin start, ns. */
  t: number;
  /** Interrupts the NIC raised. */
  interrupts: number;
  /** Packets handed up. */
  packets: number;
  /** NET_RX softirq runs. */
  netRxRuns: number;
  /** Softirq time in ksoftirqd, ns. */
  ksoftirqdNs: number;
  /** Softirq time at irq exit, ns. */
  irqExitNs: number;
}

/** What {@linkcode runRx} measured. */
export interface RxResult {
  /** The host, to read any other counter or view. */
  host: Host;
  /** The NIC. */
  nic: VirtioNet;
  /** Frames sent on the wire. */
  offered: number;
  /** Packets handed up by NAPI. */
  handedUp: number;
  /** Frames the device dropped for want of a posted buffer. */
  dropOverruns: number;
  /** NIC arrival to hand-off latency of every packet handed up, ns, in order. */
  latenciesNs: number[];
  /** Interrupts the NIC raised. */
  interrupts: number;
  /** NET_RX softirq runs over all CPUs. */
  netRxRuns: number;
  /** time_squeeze over all CPUs. */
  timeSqueeze: number;
  /** ksoftirqd wakeups over all CPUs. */
  ksoftirqdWakeups: number;
  /** CPU time per CPU. */
  cpuTime: CpuTimeRow[];
  /** Per-bin activity. */
  timeline: TimelineRow[];
  /** With fullStack: packets __netif_receive_skb_core() handled on each CPU. */
  handledOn: number[];
  /** With readers: the fraction of packets handled on their reader's CPU (cache locality). */
  locality: number;
}

/**
 * Runs a receive experiment and sums it up; every skb's fate is checked at the end.
 * @param exp the setup
 * @returns the measurements
 * @example
 * ```ts
 * import { runRx } from "@rxpath/rxpath";
 * const r = runRx({
 *   traffic: { flows: [{ proto: "udp", saddr: "10.0.0.1", daddr: "10.0.0.2", sport: 1, dport: 2 }], size: 64, rate: { kind: "constant", pps: 100_000 }, count: 100 },
 *   durationNs: 2_000_000,
 * });
 * console.log(r.handedUp, r.interrupts);
 * ```
 */
export function runRx(exp: RxExperiment): RxResult {
  const host = createHost({
    cpus: exp.cpus ?? 1,
    seed: exp.seed ?? 1,
    hz: exp.hz,
    sysctl: exp.sysctl,
    costs: exp.costs,
    trace: exp.trace,
  });
  const sim = host.sim;
  const latenciesNs: number[] = [];
  const fullStack = exp.fullStack || exp.rps !== undefined;
  const nic = new VirtioNet(host, {
    ...exp.nic,
    rxHandler: fullStack ? undefined : function* (skb) {
      yield sim.costs.ns.napiGroReceive; // what napi_gro_receive() would have cost
      latenciesNs.push(sim.now - skb.hwtstamp);
      consumeSkb(sim, skb, "napi_gro_receive");
    },
  });
  const handledOn = sim.cpus.map(() => 0);
  const readerOf = new Map<number, number>();
  let local = 0;
  if (fullStack) {
    host.netifReceiveSkbTap = (skb, cpu) => {
      handledOn[cpu.id]++;
      latenciesNs.push(sim.now + cpu.pendingCharge - skb.hwtstamp); // time charged so far counts
      if (readerOf.get(skb.hash) === cpu.id) local++;
    };
  }
  if (exp.rps) {
    host.setRpsCpus(nic.dev, 0, exp.rps.cpus);
    if (exp.rps.flowCnt) host.setRpsFlowCnt(nic.dev, 0, exp.rps.flowCnt);
    if (exp.rps.sockFlowEntries) {
      host.setSysctl("net.core.rps_sock_flow_entries", exp.rps.sockFlowEntries);
    }
  }
  if (exp.coalesce) nic.setCoalesce(exp.coalesce);
  nic.dev.napiDeferHardIrqs = exp.napiDeferHardIrqs ?? 0;
  nic.dev.groFlushTimeout = exp.groFlushTimeout ?? 0;
  if (exp.threaded) devSetThreaded(host, nic.dev, 1);
  if (exp.rxFlowHash) {
    nic.setFeature("receive-hashing", true);
    for (const [flow, fields] of Object.entries(exp.rxFlowHash)) nic.setRxFlowHash(flow, fields);
  }
  exp.irqAffinity?.forEach((cpus, q) => host.irqs.setAffinity(nic.rq[q].irq!, cpus));
  nic.open();
  for (const cpuId of exp.userTasksOn ?? []) {
    sim.cpus[cpuId].addTask(new Task(`app/${cpuId}`, spin()));
  }
  if (exp.busyPoll) {
    const cpu = sim.cpus[exp.busyPoll.cpu];
    const napi = nic.rq[exp.busyPoll.queue].napi;
    cpu.addTask(new Task("reader", napiBusyLoop(host, cpu, napi, () => sim.now >= exp.durationNs)));
  }
  const specs = Array.isArray(exp.traffic) ? exp.traffic : [exp.traffic];
  if (exp.readers) {
    // A reader per flow, recorded as its recvmsg() would (sock_rps_record_flow()); the NIC
    // reports its RSS hash so the flow's hash is known before the first packet.
    nic.setFeature("receive-hashing", true);
    specs.flatMap((spec) => spec.flows).forEach((flow, i) => {
      const probe = generateTraffic(
        { flows: [flow], size: 128, rate: { kind: "constant", pps: 1 }, count: 1 },
        sim.rng,
      )[0];
      const hash = nic.device.rssHash(probe.frame).hash;
      const cpu = exp.readers![i % exp.readers!.length];
      readerOf.set(hash, cpu);
      rpsRecordSockFlow(host, hash, cpu);
    });
  }
  const arrivals = specs.flatMap((spec) => generateTraffic(spec, sim.rng)).sort((a, b) =>
    a.t - b.t
  );
  sim.atEach(arrivals, (a) => a.t, (a) => nic.receive(a.frame));

  const binNs = exp.binNs ?? Math.max(1, Math.floor(exp.durationNs / 50));
  const timeline: TimelineRow[] = [];
  let last = snapshot(host, nic);
  for (let t = binNs; t <= exp.durationNs; t += binNs) {
    sim.at(t, () => {
      const now = snapshot(host, nic);
      timeline.push({
        t: t - binNs,
        interrupts: now.interrupts - last.interrupts,
        packets: now.packets - last.packets,
        netRxRuns: now.netRxRuns - last.netRxRuns,
        ksoftirqdNs: now.ksoftirqdNs - last.ksoftirqdNs,
        irqExitNs: now.irqExitNs - last.irqExitNs,
      });
      last = now;
    });
  }
  sim.run(exp.durationNs);
  sim.ledger.check([nic.skbHolder(), ...backlogHolders(host), ...groHolders(nic)]);

  const end = snapshot(host, nic);
  return {
    host,
    nic,
    offered: arrivals.filter((a) => a.t <= exp.durationNs).length,
    handedUp: end.packets,
    dropOverruns: nic.rq.reduce((a, q) => a + q.vq.hw.dropOverruns, 0),
    latenciesNs,
    interrupts: end.interrupts,
    netRxRuns: end.netRxRuns,
    timeSqueeze: host.softnetData.reduce((a, sd) => a + sd.timeSqueeze, 0),
    ksoftirqdWakeups: host.softirqs.ksoftirqd.reduce((a, t) => a + t.wakeups, 0),
    cpuTime: sim.cpus.map((c) => ({
      cpu: c.id,
      user: c.time.user,
      system: c.time.system,
      irq: c.time.irq,
      softirqIrqExit: c.softirqTimeBy.irq_exit,
      softirqKsoftirqd: c.softirqTimeBy.run_ksoftirqd,
      softirqBhEnable: c.softirqTimeBy.do_softirq,
      idle: c.idle,
    })),
    timeline,
    handledOn,
    locality: latenciesNs.length && readerOf.size ? local / latenciesNs.length : 0,
  };
}

/**
 * The per-CPU backlogs (input_pkt_queue, process_queue) as holders of skbs, for the ledger's
 * check at the end of a run.
 * @param host the host
 * @returns one holder per CPU
 */
export function backlogHolders(host: Host): SkbHolder[] {
  return host.softnetData.map((sd) => ({
    name: `cpu${sd.cpu} backlog`,
    skbIds: () => [...sd.inputPktQueue, ...sd.processQueue].map((s) => s.id),
  }));
}

function groHolders(nic: VirtioNet) {
  return nic.rq.map((q) => ({
    name: `${q.napi.name} GRO`,
    skbIds: () => [...q.napi.gro.hash.flat(), ...q.napi.gro.rxList].map((s) => s.id),
  }));
}

function* spin(): Generator<number, void, void> {
  for (;;) yield 100_000;
}

function snapshot(host: Host, nic: VirtioNet) {
  const cpus = host.sim.cpus;
  return {
    interrupts: nic.rq.reduce((a, q) => a + q.vq.hw.interrupts, 0),
    packets: nic.rq.reduce((a, q) => a + q.stats.packets, 0),
    netRxRuns: host.softirqs.counts.reduce((a, c) => a + c[NET_RX_SOFTIRQ], 0),
    ksoftirqdNs: cpus.reduce((a, c) => a + c.softirqTimeBy.run_ksoftirqd, 0),
    irqExitNs: cpus.reduce((a, c) => a + c.softirqTimeBy.irq_exit, 0),
  };
}

/**
 * The p-th percentile of values (nearest rank), or 0 for none.
 * @param values numbers in any order
 * @param p percentile from 0 to 100
 * @returns the value at that rank
 * @example
 * ```ts
 * import { percentile } from "@rxpath/rxpath";
 * console.log(percentile([5, 1, 3, 2, 4], 50)); // 3
 * ```
 */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
