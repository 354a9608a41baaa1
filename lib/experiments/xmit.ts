// Chapter 12's transmit runs: a router that forwards from a fast veth (eth1) out of a slower
// virtio-net link (eth0), so packets queue on the way out — in eth0's qdisc, then in its send
// ring as far as BQL lets them. Flows carry a TOS each (pfifo_fast's band); the run reports
// when each packet left, the qdisc's and BQL's state over time, and the softirqs and
// interrupts the way out cost. Nothing here is kernel code; it only drives and reads it.

import { createHost, type Host } from "../init/main.ts";
import { Veth } from "../drivers/veth.ts";
import { VirtioNet } from "../drivers/virtio_net.ts";
import { inetAddAddr } from "../ipv4/devinet.ts";
import { buildFrame } from "../wire/build.ts";
import { inAton } from "../wire/ipv4.ts";
import { devSetTxQueueLen } from "../core/dev.ts";
import { tc } from "../sched/sch_api.ts";
import { DQL_MAX_LIMIT } from "../kernel/dynamic_queue_limits.ts";
import { NET_RX_SOFTIRQ, NET_TX_SOFTIRQ } from "../kernel/softirq.ts";
import { InputRangeError } from "../base/errors.ts";
import { backlogHolders } from "./rx.ts";

/** One flow of a transmit run: equal packets at a constant rate. */
export interface XmitFlow {
  /** The IP header's TOS byte (0x10 lowdelay → pfifo_fast band 0, 0x08 throughput → band 2). */
  tos: number;
  /** UDP payload bytes per packet. */
  size: number;
  /** Packets per second. */
  pps: number;
  /** How many packets. */
  count: number;
  /** When the first arrives, ns; default 0. */
  startNs?: number;
}

/** What {@linkcode runXmit} sets up. */
export interface XmitRun {
  /** eth0's link speed, Gbit/s. */
  linkGbps: number;
  /** BQL on (the default), or off: limit_min raised to limit_max, as `echo max > limit_min`. */
  bql?: boolean;
  /** eth0's root qdisc, as the arguments after `tc qdisc replace dev eth0 root`; default
   * pfifo_fast, the default qdisc. */
  qdisc?: string[];
  /** eth0's txqueuelen, default 1000. */
  txqueuelen?: number;
  /** eth0's send ring (ethtool -G tx), default 256. */
  ringSize?: number;
  /** The flows. */
  flows: XmitFlow[];
  /** How long to run, ns. */
  durationNs: number;
  /** Sampling period of the state over time, ns; default durationNs / 100. */
  binNs?: number;
}

/** One packet of a transmit run. */
export interface XmitPacket {
  /** Its flow's index. */
  flow: number;
  /** Its number in the flow. */
  seq: number;
  /** When it reached the router, ns. */
  inAt: number;
  /** When it left eth0, ns, or null if it never did (dropped, or still queued at the end). */
  outAt: number | null;
}

/** What {@linkcode runXmit} reports. */
export interface XmitResult {
  /** Every packet, in arrival order. */
  packets: XmitPacket[];
  /** The state over time: packets in the qdisc, packets and bytes in the ring, BQL's limit. */
  samples: {
    t: number;
    qdiscPackets: number;
    ringPackets: number;
    inflightBytes: number;
    bqlLimit: number;
  }[];
  /** `tc -s qdisc show dev eth0` at the end. */
  tc: string;
  /** NET_TX and NET_RX softirq runs, all CPUs (/proc/softirqs). */
  softirqs: { NET_TX: number; NET_RX: number };
  /** eth0's transmit interrupts (virtio0-output.0) and receive ones. */
  interrupts: { tx: number; rx: number };
  /** Times the driver stopped the queue (ring nearly full) and woke it. */
  stops: number;
  /** Wakes of the stopped queue. */
  wakes: number;
  /** Bytes on eth0's wire. */
  wireBytes: number;
  /** The host after the run. */
  host: Host;
  /** Its virtio-net NIC, eth0. */
  nic: VirtioNet;
}

/**
 * Forwards the flows through a router out of a slow virtio-net link and watches the way out.
 * @param run the link, BQL, qdisc, flows and duration
 * @returns per-packet times, the qdisc and BQL over time, softirqs and interrupts
 * @example
 * ```ts
 * import { runXmit } from "@rxpath/rxpath";
 * const r = runXmit({
 *   linkGbps: 0.1,
 *   flows: [{ tos: 0, size: 1000, pps: 20_000, count: 200 }],
 *   durationNs: 30_000_000,
 * });
 * console.log(r.packets.every((p) => p.outAt !== null), r.softirqs.NET_TX > 0); // true true
 * ```
 */
export function runXmit(run: XmitRun): XmitResult {
  if (!(run.linkGbps > 0)) throw new InputRangeError(`runXmit: linkGbps must be above 0`);
  const host = createHost({ cpus: 1 });
  const nic = new VirtioNet(host, {
    name: "eth0",
    mac: "02:00:00:00:00:01",
    linkGbps: run.linkGbps,
  });
  nic.open();
  if (run.ringSize !== undefined) nic.setTxRingSize(run.ringSize);
  const veth = new Veth(host, "eth1", "02:00:00:00:01:01", "w1");
  veth.dev.groEnabled = false;
  inetAddAddr(host, nic.dev, inAton("10.1.0.1"), 24);
  inetAddAddr(host, veth.dev, inAton("10.2.0.1"), 24);
  host.setSysctl("net.ipv4.ip_forward", 1);
  if (run.txqueuelen !== undefined) devSetTxQueueLen(host, nic.dev, run.txqueuelen);
  if (run.qdisc) tc(host, ["qdisc", "replace", "dev", "eth0", "root", ...run.qdisc]);
  const txq = nic.dev.tx[0];
  const vq = nic.tx.sq[0].vq;
  if (run.bql === false) txq.dql.minLimit = DQL_MAX_LIMIT;

  const packets: XmitPacket[] = [];
  const index = new Map<string, XmitPacket>();
  let wireBytes = 0;
  nic.device.onWire = (frame) => {
    wireBytes += frame.length;
    const v = new DataView(frame.buffer, frame.byteOffset);
    const p = index.get(`${v.getUint16(34) - 10000}/${v.getUint32(42)}`);
    if (p) p.outAt = host.sim.now;
  };
  const cpu = host.sim.cpus[0];
  run.flows.forEach((f, flow) => {
    for (let seq = 0; seq < f.count; seq++) {
      const at = Math.round((f.startNs ?? 0) + (seq * 1e9) / f.pps);
      if (at >= run.durationNs) break;
      const payload = new Uint8Array(Math.max(4, f.size));
      new DataView(payload.buffer).setUint32(0, seq);
      const frame = buildFrame({
        eth: { src: "02:00:00:00:01:07", dst: "02:00:00:00:01:01" },
        ipv4: { saddr: "10.2.0.7", daddr: "10.1.0.9", tos: f.tos },
        udp: { source: 10000 + flow, dest: 9 },
        payload,
      });
      const p: XmitPacket = { flow, seq, inAt: at, outAt: null };
      packets.push(p);
      index.set(`${flow}/${seq}`, p);
      host.sim.at(at, () => veth.xmit(cpu, [frame]));
    }
  });
  packets.sort((a, b) => a.inAt - b.inAt);
  const samples: XmitResult["samples"] = [];
  const bin = run.binNs ?? run.durationNs / 100;
  for (let t = 0; t < run.durationNs; t += bin) {
    host.sim.at(Math.round(t), () =>
      samples.push({
        t: host.sim.now,
        qdiscPackets: nic.dev.qdisc!.dumpStats().qstats.qlen,
        ringPackets: vq.size - vq.numFree,
        inflightBytes: txq.dql.inflight,
        bqlLimit: txq.dql.limit,
      }));
  }
  host.sim.run(run.durationNs);
  // every skb is accounted for: ended, or in a backlog, the veth's ring, a qdisc or the NIC
  host.sim.ledger.check([...backlogHolders(host), veth.skbHolder(), nic.skbHolder()]);
  const sum = (nr: number) => host.softirqs.counts.reduce((a, c) => a + c[nr], 0);
  const irqSum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
  return {
    packets,
    samples,
    tc: tc(host, "-s qdisc show dev eth0"),
    softirqs: { NET_TX: sum(NET_TX_SOFTIRQ), NET_RX: sum(NET_RX_SOFTIRQ) },
    interrupts: {
      tx: irqSum(nic.tx.sq[0].irq!.counts),
      rx: irqSum(nic.rq[0].irq!.counts),
    },
    stops: txq.stops,
    wakes: txq.wakes,
    wireBytes,
    host,
    nic,
  };
}
