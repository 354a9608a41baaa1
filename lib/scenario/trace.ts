// rxpath trace: each frame of a pcap sent into a host set up from a scenario, on its own, and
// the call chain it took through the modelled kernel on every CPU, as ftrace's function_graph
// tracer prints it — or the kernel's tracepoint events for it, as trace_pipe prints them.

import { decodeFrame } from "../wire/decode.ts";
import type { PcapRecord } from "../wire/pcap.ts";
import type { Scenario } from "./scenario.ts";
import { type ScenarioHost, scenarioHost } from "./replay.ts";
import type { TraceEvent } from "../sim/trace.ts";
import { tracePipeLine } from "../sim/tracepoints.ts";
import { InputRangeError } from "../base/errors.ts";

// Frames are injected at least this far apart, so each is handled completely before the next.
const TRACE_GAP_NS = 1_000_000;
// veth frames closer in the capture keep their gaps down to this (a cold frame takes ~50 µs).
const MIN_GAP_NS = 100_000;

/** Options of {@linkcode traceFrames} and {@linkcode traceEvents}. */
export interface TraceOptions {
  /**
   * The ingress NIC: `virtio` (virtio-net, the default: IRQ, NAPI, GRO) or `veth` (the replay's
   * reference host: every interface a veth whose peer sends the frames; netif_rx and the backlog).
   */
  nic?: "virtio" | "veth";
  /** CPUs the ingress queue's RPS steers to (queues/rx-N/rps_cpus); none by default. */
  rpsCpus?: number[];
  /** The events enabled, as in tracefs: each hit costs its time; default all the kit emits. */
  events?: readonly string[];
  /** Cost overrides, ns per step (a calibration profile's, say). */
  costs?: Partial<Record<string, number>>;
  /** Only the calls of this function, with what they call, in the graphs: an excerpt. */
  root?: string;
  /** Called with the host before the first frame: for what a scenario cannot say, say a reader. */
  onHost?: (host: ScenarioHost) => void;
}

/** The tracepoints the kit emits, by name (the recorder's set). */
export const TRACEPOINTS: readonly string[] = [
  "softirq_raise",
  "softirq_entry",
  "softirq_exit",
  "netif_rx",
  "netif_receive_skb",
  "net_dev_queue",
  "qdisc_enqueue",
  "qdisc_dequeue",
  "net_dev_start_xmit",
  "net_dev_xmit",
  "napi_poll",
  "fib_table_lookup",
  "icmp_send",
  "kfree_skb",
  "consume_skb",
  "sock_rcvqueue_full",
  "udp_fail_queue_rcv_skb",
  "tcp_send_reset",
  "tcp_retransmit_synack",
  "neigh_create",
  "neigh_update",
  "neigh_update_done",
  "neigh_event_send_done",
  "neigh_cleanup_and_release",
];

/** One frame's run: its number and what the kernel did for it. */
export interface FrameTrace {
  /** Index in the pcap. */
  frame: number;
  /** The tracepoint hits, in order. */
  events: TraceEvent[];
  /** The function graph on every CPU that ran for it. */
  graphs: string[];
}

/**
 * Sends each frame into a host set up from the scenario — a virtio-net NIC 1 ms apart, or the
 * veth peer at the capture's times (at least 1 ms apart) — and gives what each did: its
 * tracepoint events and the function graph on every CPU that ran for it, of one and the same
 * run.
 * @param scenario the host
 * @param records the frames
 * @param options the NIC, RPS CPUs
 * @returns per frame, its events and graphs
 * @example
 * ```ts
 * import { buildFrame, loadScenario, pcapRecords, traceEvents, tracepointBody } from "@rxpath/rxpath";
 * const scenario = loadScenario({
 *   ingress: "eth0",
 *   interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }],
 * });
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" }, udp: { source: 4000, dest: 53 } });
 * const [run] = traceEvents(scenario, pcapRecords([frame], 0n), { nic: "veth" });
 * const drop = run.events.find((e) => e.event === "kfree_skb")!;
 * console.log(tracepointBody(drop).endsWith("reason: NO_SOCKET")); // true
 * ```
 */
export function traceEvents(
  scenario: Scenario,
  records: Iterable<PcapRecord>,
  options: TraceOptions = {},
): FrameTrace[] {
  const runs: FrameTrace[] = [];
  traceStream(scenario, records, options, (run) => runs.push(run));
  return runs;
}

/**
 * Does what {@linkcode traceEvents} does, handing each frame's run over as soon as it is done
 * and then forgetting its trace: frames are read one ahead, so a capture of any length costs
 * the memory of one frame's trace.
 * @param scenario the host
 * @param records the frames, read one at a time
 * @param options the NIC, RPS CPUs, events, costs, excerpt root, host hook
 * @param emit told each frame's run, with its record, in order
 */
export function traceStream(
  scenario: Scenario,
  records: Iterable<PcapRecord>,
  options: TraceOptions,
  emit: (run: FrameTrace, record: PcapRecord) => void,
): void {
  const rpsCpus = options.rpsCpus ?? [];
  const nic = options.nic ?? "virtio";
  const sh = scenarioHost(scenario, {
    nic,
    cpus: Math.max(1, ...rpsCpus.map((c) => c + 1)),
    rpsCpus,
    costs: options.costs,
    trace: true,
  });
  const { host, injectAt } = sh;
  for (const e of options.events ?? []) {
    if (!TRACEPOINTS.includes(e)) {
      throw new InputRangeError(
        `Cannot enable event ${e}: the kit emits ${TRACEPOINTS.join(", ")}`,
      );
    }
  }
  const trace = host.sim.trace;
  trace.session = new Set(options.events ?? TRACEPOINTS);
  options.onHost?.(sh);
  const it = records[Symbol.iterator]();
  let next = it.next();
  if (next.done) return;
  const base = next.value.tsNs;
  // virtio: 1 ms apart; veth: at the capture's times from 1 ms on, as the recorder sends them,
  // at least MIN_GAP_NS apart; a frame's window lasts 1 ms, or until the next one starts
  const startOf = (r: PcapRecord, i: number, before: number) =>
    nic === "veth"
      ? Math.max(before + MIN_GAP_NS, TRACE_GAP_NS + Number(r.tsNs - base))
      : (i + 1) * TRACE_GAP_NS;
  let from = startOf(next.value, 0, -Infinity);
  for (let i = 0; !next.done; i++) {
    const r = next.value;
    next = it.next();
    const nextStart = next.done ? Infinity : startOf(next.value, i + 1, from);
    // the frame's own work: what later timers do (a SYN-ACK sent again) is not the frame's
    const to = Math.min(nextStart, from + TRACE_GAP_NS);
    injectAt(from, r.data);
    host.sim.run(to - 1);
    const graphs = host.sim.cpus
      .map((cpu) => trace.functionGraph({ cpu: cpu.id, from, to, root: options.root }))
      .filter((g) => g.split("\n").length > 2);
    emit({ frame: i, events: trace.eventsBetween(from, to), graphs }, r);
    trace.forgetBefore(to);
    from = nextStart;
  }
}

/**
 * The text of {@linkcode traceEvents}: a header, then per frame `# frame N` and its function
 * graphs, or with `showEvents` its tracepoint events as trace_pipe prints them. Only a run that
 * shows the events enables them (unless `events` says otherwise), so only it pays their cost.
 * @param scenario the host
 * @param records the frames
 * @param options the NIC, RPS CPUs, events enabled, costs, and whether to print the events
 * @returns the lines
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
  options: TraceOptions & { showEvents?: boolean } = {},
): string[] {
  const lines: string[] = [];
  traceText(scenario, records, records.length, options, (line) => lines.push(line));
  return lines;
}

/**
 * Does what {@linkcode traceFrames} does, a frame at a time: each frame's lines go out when it
 * is done, and its trace is forgotten.
 * @param scenario the host
 * @param records the frames, read one at a time
 * @param count how many there are, for the header
 * @param options the NIC, RPS CPUs, events enabled, costs, and whether to print the events
 * @param out told every line
 */
export function traceText(
  scenario: Scenario,
  records: Iterable<PcapRecord>,
  count: number,
  options: TraceOptions & { showEvents?: boolean },
  out: (line: string) => void,
): void {
  // only a run that shows the events enables them, and pays what enabled tracepoints cost
  const runOptions = {
    ...options,
    events: options.events ?? (options.showEvents ? undefined : []),
  };
  if (options.showEvents) {
    traceStream(scenario, records, runOptions, (run) => {
      out(`# frame ${run.frame}`);
      for (const e of run.events) out(tracePipeLine(e));
    });
    return;
  }
  const nic = options.nic === "veth"
    ? "a veth its peer sends to: netif_rx, the backlog"
    : "a virtio-net NIC: IRQ, softirq, NAPI, GRO, RPS";
  out(
    `# ${count} frame(s) into ${scenario.ingress}, ${nic}, L2 hand-off, IPv4, netfilter, routing, sockets`,
  );
  traceStream(scenario, records, runOptions, (run, record) => {
    const d = decodeFrame(record.data);
    const about = d.ipv4
      ? `${d.ipv4.saddr} > ${d.ipv4.daddr} proto ${d.ipv4.protocol}`
      : `ethertype 0x${(d.eth?.type ?? 0).toString(16).padStart(4, "0")}`;
    out(`\n# frame ${run.frame}: ${record.data.length} bytes, ${about}`);
    for (const g of run.graphs) out(g);
  });
}
