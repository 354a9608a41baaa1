// rxpath trace: each frame of a pcap sent into a host set up from a scenario, on its own, and
// the call chain it took through the modelled kernel on every CPU, as ftrace's function_graph
// tracer prints it.

import { decodeFrame } from "../wire/decode.ts";
import type { PcapRecord } from "../wire/pcap.ts";
import type { Scenario } from "./scenario.ts";
import { scenarioHost } from "./replay.ts";

// Frames are injected this far apart, so each is handled completely before the next.
const TRACE_GAP_NS = 1_000_000;

/** Options of {@linkcode traceFrames}. */
export interface TraceOptions {
  /** CPUs the ingress queue's RPS steers to (queues/rx-0/rps_cpus); none by default. */
  rpsCpus?: number[];
}

/**
 * Sends each frame into a virtio-net NIC of a host set up from the scenario, 1 ms apart, and
 * gives the function graph of what each did on every CPU that ran for it.
 * @param scenario the host
 * @param records the frames
 * @param options RPS CPUs
 * @returns the text, a line each: a header, then per frame `# frame N` and its graphs
 * @example
 * ```ts
 * import { buildFrame, loadScenario, pcapRecords, traceFrames } from "@rxpath/rxpath";
 * const scenario = loadScenario({
 *   ingress: "eth0",
 *   interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }],
 *   sockets: [{ proto: "udp", local: "0.0.0.0:53" }],
 * });
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" }, udp: { source: 4000, dest: 53 } });
 * const lines = traceFrames(scenario, pcapRecords([frame], 0n));
 * console.log(lines.some((l) => l.includes("udp_rcv"))); // true
 * ```
 */
export function traceFrames(
  scenario: Scenario,
  records: PcapRecord[],
  options: TraceOptions = {},
): string[] {
  const rpsCpus = options.rpsCpus ?? [];
  const { host, ingress, inject } = scenarioHost(scenario, {
    nic: "virtio",
    cpus: Math.max(1, ...rpsCpus.map((c) => c + 1)),
    rpsCpus,
  });
  const out = [
    `# ${records.length} frame(s) into ${ingress.name}, a virtio-net NIC: IRQ, softirq, NAPI, GRO, RPS, L2 hand-off, IPv4, netfilter, routing, sockets`,
  ];
  records.forEach((r, i) => {
    const t = (i + 1) * TRACE_GAP_NS;
    host.sim.at(t, () => inject(r.data));
    host.sim.run(t + TRACE_GAP_NS - 1);
    const d = decodeFrame(r.data);
    const what = d.ipv4
      ? `${d.ipv4.saddr} > ${d.ipv4.daddr} proto ${d.ipv4.protocol}`
      : `ethertype 0x${(d.eth?.type ?? 0).toString(16).padStart(4, "0")}`;
    out.push(`\n# frame ${i}: ${r.data.length} bytes, ${what}`);
    for (const cpu of host.sim.cpus) {
      const graph = host.sim.trace.functionGraph({ cpu: cpu.id, from: t, to: t + TRACE_GAP_NS });
      if (graph.split("\n").length > 2) out.push(graph);
    }
  });
  return out;
}
