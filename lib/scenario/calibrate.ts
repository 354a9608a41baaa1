// rxpath calibrate: the receive path's costs measured on this machine's own kernel, the way
// issue 11 measured the defaults — a host and a "wire" network namespace joined by veth pairs,
// frames sent one at a time from the wire side by a packet socket, and the time between two
// tracepoints on the frame's path read from a private tracefs instance. Each workload enables
// only the events that bound its stages, so the events' own cost stays small and is measured
// too (the `tracepoint` cost). Needs root, iproute2, iptables, ethtool and python3.

import { InputRangeError } from "../base/errors.ts";
import { type CostName, DEFAULT_COSTS } from "../sim/cost.ts";
import { buildFrame } from "../wire/build.ts";

/** One measured cost: the value, and how it was measured. */
export interface MeasuredCost {
  /** Nanoseconds: the interquartile mean of the samples, less the events' own cost. */
  ns: number;
  /** The samples' first and third quartiles, ns, as measured. */
  iqr: [number, number];
  /** Samples taken. */
  n: number;
  /** The tracepoints the time runs between, and what is subtracted. */
  method: string;
}

/** A cost profile: measured costs and where they come from. `--costs FILE` reads one. */
export interface CostProfile {
  /** The kernel release measured (uname -r). */
  kernel: string;
  /** The CPU model (/proc/cpuinfo). */
  cpu: string;
  /** When it was measured, ISO 8601. */
  date: string;
  /** How. */
  method: string;
  /** The costs measured, by the kit's step names. */
  costs: Partial<Record<CostName, MeasuredCost>>;
}

/**
 * The overrides a cost profile gives a simulation (`createHost({ costs })`): its measured ns,
 * rounded, by step. Unknown steps and bad values are errors that name them.
 * @param profile a profile, as JSON text or parsed
 * @param where where it was read from, for errors
 * @returns ns by step name
 * @example
 * ```ts
 * import { costOverrides } from "@rxpath/rxpath";
 * const profile = { costs: { vethXmit: { ns: 812.4 } } };
 * console.log(costOverrides(JSON.stringify(profile), "p.json")); // { vethXmit: 812 }
 * ```
 */
export function costOverrides(profile: string | unknown, where: string): Record<string, number> {
  let p: unknown = profile;
  if (typeof profile === "string") {
    try {
      p = JSON.parse(profile);
    } catch (e) {
      throw new InputRangeError(`Cannot read cost profile ${where}: ${(e as Error).message}`);
    }
  }
  const costs = (p as { costs?: unknown })?.costs;
  if (typeof costs !== "object" || costs === null || Array.isArray(costs)) {
    throw new InputRangeError(`Cannot read cost profile ${where}: no "costs" object`);
  }
  const out: Record<string, number> = {};
  for (const [name, c] of Object.entries(costs)) {
    if (!(name in DEFAULT_COSTS)) {
      throw new InputRangeError(
        `Cannot read cost profile ${where}: costs.${name} is not a step the kit charges (known: ${
          Object.keys(DEFAULT_COSTS).join(", ")
        })`,
      );
    }
    const ns = (c as { ns?: unknown })?.ns;
    if (typeof ns !== "number" || !Number.isFinite(ns) || ns < 0) {
      throw new InputRangeError(
        `Cannot read cost profile ${where}: costs.${name}.ns must be a non-negative number`,
      );
    }
    out[name] = Math.round(ns);
  }
  return out;
}

/** One frame's events as a trace file shows them: name, time in ns, and the body. */
export interface TimedEvent {
  /** The event's name. */
  event: string;
  /** Its timestamp, ns. */
  t: number;
  /** Its body. */
  body: string;
}

/**
 * Reads the events of a tracefs `trace` or `trace_pipe` text, comment lines skipped. Times are
 * seconds with microseconds, or, with the x86-tsc trace clock, TSC cycles, which `tscHz` turns
 * into time.
 * @param text the text
 * @param tscHz the TSC's rate, for a trace in cycles
 * @returns the events, in order
 * @example
 * ```ts
 * import { parseTraceText } from "@rxpath/rxpath";
 * const line = "  python3-7179    [000] ..s1.  4235.890619: netif_receive_skb: dev=eth0 skbaddr=000000004c771242 len=84";
 * console.log(parseTraceText(line)[0].event); // "netif_receive_skb"
 * ```
 */
export function parseTraceText(text: string, tscHz?: number): TimedEvent[] {
  const out: TimedEvent[] = [];
  for (const line of text.split("\n")) {
    const m = /^.*?\[\d+\]\s+\S+\s+(\d+)(?:\.(\d{6}))?: (\w+): (.*)$/.exec(line);
    if (!m) continue;
    let t: number;
    if (m[2] !== undefined) t = Number(m[1]) * 1e9 + Number(m[2]) * 1e3;
    else if (tscHz) t = (Number(m[1]) / tscHz) * 1e9;
    else throw new InputRangeError("Cannot read a trace in TSC cycles without the TSC's rate");
    out.push({ event: m[3], t, body: m[4] });
  }
  return out;
}

/** An event a span starts or ends at: its name, and what its body must show. */
export interface EventMatch {
  /** The event's name. */
  event: string;
  /** A pattern its body must match. */
  body?: RegExp;
}

/**
 * The time from each occurrence of one event to the next occurrence of another, ns: one
 * sample per frame, each taken within the frame's own run of events.
 * @param events the events, in order
 * @param from where a sample starts: event name and an optional body match
 * @param to where it ends
 * @returns the samples
 */
export function spans(
  events: TimedEvent[],
  from: EventMatch,
  to: EventMatch,
): number[] {
  const out: number[] = [];
  let start = -1;
  for (const e of events) {
    if (e.event === from.event && (!from.body || from.body.test(e.body))) start = e.t;
    else if (start >= 0 && e.event === to.event && (!to.body || to.body.test(e.body))) {
      out.push(e.t - start);
      start = -1;
    }
  }
  return out;
}

/**
 * The interquartile mean and the quartiles of samples: the middle half averaged, which is
 * robust to the scheduler's outliers and, over many samples, finer than the trace clock's
 * microsecond.
 * @param samples the samples
 * @returns mean of the middle half, first and third quartiles
 * @example
 * ```ts
 * import { interquartileMean } from "@rxpath/rxpath";
 * console.log(interquartileMean([1, 2, 2, 3, 3, 3, 100, 2])); // { mean: 2.5, q1: 2, q3: 3 }
 * ```
 */
export function interquartileMean(samples: number[]): { mean: number; q1: number; q3: number } {
  if (samples.length === 0) throw new RangeError("no samples");
  const s = [...samples].sort((a, b) => a - b);
  const lo = Math.floor(s.length / 4), hi = Math.max(lo + 1, Math.ceil((s.length * 3) / 4));
  const mid = s.slice(lo, hi);
  return {
    mean: mid.reduce((a, b) => a + b, 0) / mid.length,
    q1: s[lo],
    q3: s[Math.min(s.length - 1, hi - 1)],
  };
}

// ---- The measurement run (root) ----------------------------------------------------------

const HOST = "rxcal_host", WIRE = "rxcal_wire";
const TRACEFS = "/sys/kernel/tracing";
const INSTANCE = `${TRACEFS}/instances/rxpath_calibrate`;
const PEER_MAC = "02:00:00:00:00:01";

// The sender: one packet socket on the wire peer sending COUNT frames GAP_US apart, cycling
// through the frames it is given.
// It names itself in the instance's set_event_pid first, so the events recorded are those that
// ran in its context: on a veth the whole receive runs there, in the softirq that
// local_bh_enable() runs after each send.
const SENDER = `
import os, socket, sys, time
dev, n, gap, frame, pidfile = sys.argv[1:6]
open(pidfile, "w").write(str(os.getpid()))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
s.bind((dev, 0))
frames = [bytes.fromhex(f) for f in frame.split(",")]
for i in range(int(n)):
    s.send(frames[i % len(frames)])
    time.sleep(int(gap) / 1e6)
`;

// Receivers on the host: UDP 5000 with a reader blocked in recv(), 5001 never read (a big
// buffer), 5002 never read with the smallest buffer (full after one datagram).
const SOCKETS = `
import socket, sys, threading
def sock(port, rcvbuf):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind(("0.0.0.0", port))
    return s
r = sock(5000, 1 << 20)
idle = sock(5001, 1 << 20)
full = sock(5002, 1)
def drain():
    while True:
        r.recv(2048)
threading.Thread(target=drain, daemon=True).start()
sys.stdin.read()
`;

function sh(args: string[], ns?: string): string {
  const cmd = ns ? ["ip", "netns", "exec", ns, ...args] : args;
  const out = new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "piped" })
    .outputSync();
  if (!out.success) {
    throw new Error(`${cmd.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

function teardown(): void {
  for (const ns of [HOST, WIRE]) {
    new Deno.Command("ip", { args: ["netns", "del", ns], stderr: "null" }).outputSync();
  }
}

function setup(): void {
  teardown();
  sh(["ip", "netns", "add", HOST]);
  sh(["ip", "netns", "add", WIRE]);
  for (const ns of [HOST, WIRE]) {
    sh(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"], ns);
    sh(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"], ns);
  }
  sh(["ip", "link", "set", "lo", "up"], HOST);
  CALIBRATION_SCENARIO.interfaces.forEach(({ name, mac, addrs }, i) => {
    const peer = `w${i}`;
    sh([
      "ip",
      "link",
      "add",
      name,
      "netns",
      HOST,
      "type",
      "veth",
      "peer",
      "name",
      peer,
      "netns",
      WIRE,
    ]);
    sh(["ip", "link", "set", name, "address", mac, "up"], HOST);
    sh(["ip", "link", "set", peer, "up"], WIRE);
    sh(["ethtool", "-K", name, "rx", "off", "gro", "off"], HOST);
    sh(["ip", "addr", "add", addrs[0], "dev", name], HOST);
  });
  sh(
    ["ip", "neigh", "replace", "10.1.0.7", "lladdr", PEER_MAC, "nud", "permanent", "dev", "eth0"],
    HOST,
  );
  sh([
    "ip",
    "neigh",
    "replace",
    "10.2.0.9",
    "lladdr",
    "02:fe:00:00:00:09",
    "nud",
    "permanent",
    "dev",
    "eth1",
  ], HOST);
  sh(["sysctl", "-qw", "net.ipv4.ip_forward=1"], HOST);
}

function writeFile(path: string, text: string): void {
  Deno.writeTextFileSync(path, text);
}

/** A calibration workload: frames sent in turn, the events enabled, and host settings. */
export interface CalibrationWorkload {
  /** Its name, which the traces are filed under. */
  name: string;
  /** The frames, sent in turn. */
  frames: Uint8Array[];
  /** The events enabled, as tracefs names them (system/event). */
  events: string[];
  /** Sysctls set for it. */
  sysctl?: Record<string, number>;
  /** UDP destination ports an INPUT rule each drops, in order. */
  dropDports?: number[];
  /** The time between frames, µs (300 by default: the CPU stays warm). */
  gapUs?: number;
  /** Frames to send, when not the run's count (long gaps take few). */
  count?: number;
}

/** The gaps of the cold sweep, µs, with the frames sent at each: how a CPU cools as it idles. */
export const COLD_SWEEP: readonly (readonly [number, number])[] = [
  [300, 100],
  [3_000, 60],
  [10_000, 40],
  [30_000, 24],
  [100_000, 16],
  [400_000, 12],
];

/**
 * The cold sweep's workloads: one UDP delivery, ever further apart.
 * @returns the workloads, shortest gap first
 */
export function coldSweepWorkloads(): CalibrationWorkload[] {
  return COLD_SWEEP.map(([gapUs, count]) => ({
    name: `cold${gapUs}`,
    frames: [udp(8, 5001)],
    events: ["net/netif_receive_skb", "napi/napi_poll"],
    gapUs,
    count,
  }));
}

/**
 * The time over which an idle CPU goes cold, from a cold sweep's traces: each gap's
 * netif_receive_skb → napi_poll time over the shortest gap's, fitted by least squares as
 * 1 + k (1 - exp(-gap / tau)), k from the longest gap.
 * @param traces a sweep's traces ({@linkcode recordCalibration} with the sweep's workloads)
 * @returns tau in ns, and each gap's ratio
 */
export function coldDecayFromSweep(traces: CalibrationTraces): { tauNs: number; ratios: number[] } {
  const time = COLD_SWEEP.map(([gapUs]) => {
    const text = traces.traces[`cold${gapUs}`];
    if (text === undefined) throw new InputRangeError(`Cannot fit: no trace of cold${gapUs}`);
    const s = spans(
      parseTraceText(text, traces.tscHz),
      { event: "netif_receive_skb" },
      { event: "napi_poll" },
    );
    return interquartileMean(s).mean;
  });
  const ratios = time.map((t) => t / time[0]);
  const k = Math.max(0, ratios.at(-1)! - 1);
  let tauNs = 1e6, least = Infinity;
  for (let t = 1e5; t <= 1e10; t *= 1.02) {
    const err = COLD_SWEEP.reduce(
      (a, [gapUs], i) => a + (ratios[i] - 1 - k * (1 - Math.exp(-(gapUs * 1000) / t))) ** 2,
      0,
    );
    if (err < least) [least, tauNs] = [err, t];
  }
  return { tauNs: Math.round(tauNs), ratios };
}

/**
 * The calibration host in the scenario format (shared/scenario-format.md), for the kit's side
 * of a comparison: what {@linkcode recordCalibration} sets up with ip, iptables and sockets —
 * a reader blocked on UDP 5000, nobody reading 5001, and 5002 with the smallest buffer.
 */
export const CALIBRATION_SCENARIO = {
  ingress: "eth0",
  interfaces: [
    { name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 },
    { name: "eth1", mac: "02:00:00:00:01:02", addrs: ["10.2.0.2/24"], mtu: 1500 },
  ],
  sysctl: { "net.ipv4.ip_forward": 1 },
  sockets: [
    { proto: "udp", local: "0.0.0.0:5000", rcvbuf: 1 << 20 },
    { proto: "udp", local: "0.0.0.0:5001", rcvbuf: 1 << 20 },
    { proto: "udp", local: "0.0.0.0:5002", rcvbuf: 1 },
  ],
} as const;

// A UDP datagram from 10.1.0.N: the source tells the frames of one workload apart in the
// fib_table_lookup events.
const HOST_MAC = CALIBRATION_SCENARIO.interfaces[0].mac;
const udp = (from: number, dport: number, daddr = "10.1.0.2", dst = HOST_MAC) =>
  buildFrame({
    eth: { src: PEER_MAC, dst },
    ipv4: { saddr: `10.1.0.${from}`, daddr },
    udp: { source: 6000, dest: dport },
    payload: 18,
  });

/**
 * The calibration workloads. Quantities compared are measured in one run where they can be,
 * frames taking turns, so that the machine's drift between runs does not enter their
 * difference.
 * @returns the workloads, in the order they run
 */
export function calibrationWorkloads(): CalibrationWorkload[] {
  return [
    {
      name: "xmit",
      frames: [udp(7, 5001)],
      events: [
        "net/net_dev_queue",
        "net/net_dev_start_xmit",
        "net/netif_rx",
        "irq/softirq_entry",
        "net/netif_receive_skb",
      ],
    },
    // one more enabled event inside the same span, in runs taking turns: its cost
    ...[1, 2, 3].flatMap((i) => [
      {
        name: `plain${i}`,
        frames: [udp(8, 5001)],
        events: ["net/netif_receive_skb", "napi/napi_poll"],
      },
      {
        name: `traced${i}`,
        frames: [udp(8, 5001)],
        events: ["net/netif_receive_skb", "napi/napi_poll", "fib/fib_table_lookup"],
      },
    ]),
    {
      name: "core",
      frames: [buildFrame({ eth: { src: PEER_MAC, dst: HOST_MAC, type: 0x88b5 }, payload: 46 })],
      events: ["net/netif_receive_skb", "skb/kfree_skb"],
    },
    {
      name: "deliver",
      frames: [udp(7, 5000), udp(8, 5001), udp(9, 5002)],
      events: [
        "net/netif_receive_skb",
        "fib/fib_table_lookup",
        "udp/udp_fail_queue_rcv_skb",
        "napi/napi_poll",
      ],
    },
    {
      name: "rpf",
      frames: [udp(7, 5001)],
      events: ["fib/fib_table_lookup"],
      sysctl: { "net.ipv4.conf.eth0.rp_filter": 1 },
    },
    {
      name: "nft",
      frames: [udp(10, 6999), udp(11, 7000)],
      events: ["fib/fib_table_lookup", "skb/kfree_skb"],
      dropDports: [6999, ...Array.from({ length: 40 }, (_, k) => 7001 + k), 7000],
    },
    {
      name: "forward",
      frames: [udp(7, 5000, "10.2.0.9")],
      events: ["fib/fib_table_lookup", "net/net_dev_queue"],
    },
  ];
}

function runWorkload(w: CalibrationWorkload, runCount: number): string {
  const count = w.count ?? runCount;
  for (const [k, v] of Object.entries(w.sysctl ?? {})) sh(["sysctl", "-qw", `${k}=${v}`], HOST);
  sh(["iptables", "-F", "INPUT"], HOST);
  for (const dport of w.dropDports ?? []) {
    sh(["iptables", "-A", "INPUT", "-p", "udp", "--dport", String(dport), "-j", "DROP"], HOST);
  }
  // nothing is recorded until the sender names itself: the filter starts on this process
  writeFile(`${INSTANCE}/set_event_pid`, String(Deno.pid));
  for (const e of w.events) writeFile(`${INSTANCE}/events/${e}/enable`, "1");
  writeFile(`${INSTANCE}/trace`, "");
  const hex = w.frames.map((f) => Array.from(f, (b) => b.toString(16).padStart(2, "0")).join(""))
    .join(",");
  // nsenter, not `ip netns exec`, which would mount a /sys without tracefs for the sender
  sh([
    "nsenter",
    `--net=/run/netns/${WIRE}`,
    "python3",
    "-c",
    SENDER,
    "w0",
    String(count),
    String(w.gapUs ?? 300),
    hex,
    `${INSTANCE}/set_event_pid`,
  ]);
  const text = Deno.readTextFileSync(`${INSTANCE}/trace`);
  for (const e of w.events) writeFile(`${INSTANCE}/events/${e}/enable`, "0");
  for (const k of Object.keys(w.sysctl ?? {})) sh(["sysctl", "-qw", `${k}=0`], HOST);
  return text;
}

/** The traces of a calibration run, by workload name, as tracefs printed them. */
export interface CalibrationTraces {
  /** The TSC's rate, Hz: the traces' clock is x86-tsc, for nanoseconds the µs clock lacks. */
  tscHz: number;
  /** Each workload's trace. */
  traces: Record<string, string>;
}

// The TSC's rate from two trace_marker writes 300 ms apart on the monotonic clock.
function measureTscHz(): number {
  const mark = (label: string) => {
    const t = performance.now();
    writeFile(`${INSTANCE}/trace_marker`, label);
    return t;
  };
  writeFile(`${INSTANCE}/set_event_pid`, "");
  writeFile(`${INSTANCE}/trace`, "");
  const t0 = mark("rxpath-tsc-0");
  const until = t0 + 300;
  while (performance.now() < until) { /* spin: a sleep would add a wakeup's jitter */ }
  const t1 = mark("rxpath-tsc-1");
  const stamps = [
    ...Deno.readTextFileSync(`${INSTANCE}/trace`).matchAll(
      / (\d+): tracing_mark_write: rxpath-tsc-\d/g,
    ),
  ]
    .map((m) => Number(m[1]));
  if (stamps.length !== 2) throw new Error("the trace_marker writes were not recorded");
  return (stamps[1] - stamps[0]) / ((t1 - t0) / 1e3);
}

/**
 * Runs the calibration workloads on this machine's kernel (root): sets up the namespaces and
 * veth pairs, sends each workload's frame `count` times, and returns each workload's trace.
 * @param count frames per workload
 * @param workloads the workloads, the calibration's by default
 * @returns the traces
 */
export function recordCalibration(
  count = 400,
  workloads: CalibrationWorkload[] = calibrationWorkloads(),
): CalibrationTraces {
  if (Deno.uid?.() !== 0) {
    throw new InputRangeError("Cannot calibrate: it needs root (network namespaces, tracefs)");
  }
  if (!Number.isInteger(count) || count < 20 || count > 100_000) {
    throw new InputRangeError(`Cannot calibrate with ${count} frames: give 20 to 100000`);
  }
  setup();
  let socks: Deno.ChildProcess | undefined;
  try {
    socks = new Deno.Command("ip", {
      args: ["netns", "exec", HOST, "python3", "-c", SOCKETS],
      stdin: "piped",
      stdout: "null",
    }).spawn();
    for (let i = 0; !sh(["cat", "/proc/net/udp"], HOST).includes(":138A "); i++) {
      if (i > 200) throw new Error("the receiving sockets did not come up");
      sh(["sleep", "0.01"]);
    }
    try {
      Deno.mkdirSync(INSTANCE);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    writeFile(`${INSTANCE}/trace_clock`, "x86-tsc");
    const tscHz = measureTscHz();
    const traces: Record<string, string> = {};
    for (const w of workloads) traces[w.name] = runWorkload(w, count);
    return { tscHz, traces };
  } finally {
    socks?.kill();
    try {
      Deno.removeSync(INSTANCE);
    } catch {
      // an instance that was never made
    }
    teardown();
  }
}

// ---- From traces to costs ------------------------------------------------------------------

// What a step shorter than the trace's resolution is charged, ns: tracepoint times here carry
// a spread of tens of ns (the IQRs), so a step measured below that is not told from nothing.
const RESOLUTION_NS = 10;

// The input route's lookup of a frame from 10.1.0.N.
const fibFrom = (n: number): EventMatch => ({
  event: "fib_table_lookup",
  body: new RegExp(` iif 2 proto 0 10\\.1\\.0\\.${n}/0 `),
});

/**
 * The kit's costs from a calibration run's traces. Each is a time between two tracepoints,
 * less the cost of the event that starts it — a fib_table_lookup's measured by what enabling
 * it adds to a span, any other's between net_dev_queue and net_dev_start_xmit, which only
 * xmit_one()'s few instructions separate — less the costs measured for the steps inside.
 * @param traces the traces, by workload
 * @returns the costs measured
 */
export function costsFromCalibration(traces: CalibrationTraces): CostProfile["costs"] {
  const ev = (name: string) => {
    const t = traces.traces[name];
    if (t === undefined) throw new InputRangeError(`Cannot measure: no trace of workload ${name}`);
    return parseTraceText(t, traces.tscHz);
  };
  const span = (name: string, from: EventMatch, to: EventMatch) => {
    const samples = spans(ev(name), from, to);
    if (samples.length < 10) {
      throw new InputRangeError(
        `Cannot measure: workload ${name} gave ${samples.length} samples of ${from.event} → ${to.event}`,
      );
    }
    return { ...interquartileMean(samples), n: samples.length };
  };
  type Span = ReturnType<typeof span>;
  // A step whose time is within one event's cost of nothing is below what the method
  // resolves: it is given RESOLUTION_NS and says so.
  const cost = (m: Span, less: number, method: string): MeasuredCost => {
    const ns = m.mean - less;
    return {
      ns: ns < RESOLUTION_NS ? RESOLUTION_NS : ns,
      iqr: [m.q1, m.q3],
      n: m.n,
      method: ns < RESOLUTION_NS
        ? `${method}; below resolution (${Math.round(ns)} ns measured), charged ${RESOLUTION_NS}`
        : method,
    };
  };
  const RX: EventMatch = { event: "netif_receive_skb" };
  const POLL: EventMatch = { event: "napi_poll" };
  const FREE: EventMatch = { event: "kfree_skb" };
  const runs = [1, 2, 3].map((i) => ({
    plain: span(`plain${i}`, RX, POLL),
    traced: span(`traced${i}`, RX, POLL),
  }));
  const diffs = runs.map((r) => r.traced.mean - r.plain.mean);
  const eFib = diffs.reduce((a, d) => a + d, 0) / diffs.length;
  const tp = span("xmit", { event: "net_dev_queue" }, { event: "net_dev_start_xmit" });
  const e = tp.mean;
  const c: CostProfile["costs"] = {
    tracepoint: {
      ns: e,
      iqr: [tp.q1, tp.q3],
      n: tp.n,
      method: "net_dev_queue → net_dev_start_xmit on the peer's send: one event and the few " +
        "instructions of xmit_one() between them",
    },
    tracepointFibTableLookup: {
      ns: Math.max(0, eFib),
      iqr: [Math.min(...diffs), Math.max(...diffs)],
      n: runs.reduce((a, r) => a + Math.min(r.plain.n, r.traced.n), 0),
      method: "netif_receive_skb → napi_poll with fib_table_lookup enabled less without, three " +
        "pairs of runs taking turns (the range is the pairs' differences)",
    },
    vethXmit: cost(
      span("xmit", { event: "net_dev_start_xmit" }, { event: "netif_rx" }),
      e,
      "net_dev_start_xmit → netif_rx: veth_xmit() up to __netif_rx()",
    ),
    softirqEntry: cost(
      span("xmit", { event: "softirq_entry", body: /vec=3 / }, RX),
      e,
      "softirq_entry (NET_RX) → netif_receive_skb: net_rx_action() to the backlog's skb",
    ),
    netifReceiveSkbCore: cost(
      span("core", RX, FREE),
      e,
      "netif_receive_skb → kfree_skb for a frame no handler takes (UNHANDLED_PROTO)",
    ),
    fibTableLookup: cost(
      span("rpf", fibFrom(7), { event: "fib_table_lookup", body: / iif 1 / }),
      eFib,
      "fib_table_lookup → fib_table_lookup: the reverse-path check's lookup (rp_filter 1)",
    ),
  };
  const reader = span("deliver", fibFrom(7), POLL);
  const idle = span("deliver", fibFrom(8), POLL);
  const full = span("deliver", fibFrom(9), { event: "udp_fail_queue_rcv_skb" });
  c.ipRcv = cost(
    span("deliver", RX, fibFrom(8)),
    eFib + c.netifReceiveSkbCore!.ns + c.fibTableLookup!.ns,
    "netif_receive_skb → fib_table_lookup (input route), less __netif_receive_skb_core() and " +
      "the lookup: ip_rcv_core() to ip_route_input_noref()",
  );
  c.transport = cost(
    full,
    eFib,
    "fib_table_lookup → udp_fail_queue_rcv_skb: ip_local_deliver() to a full socket's refusal",
  );
  c.sockQueue = cost(
    idle,
    full.mean,
    "fib_table_lookup → napi_poll for a socket nobody reads, less the full socket's refusal",
  );
  c.wakeup = cost(
    reader,
    idle.mean,
    "fib_table_lookup → napi_poll for a socket with a reader blocked in recv(), less without",
  );
  const one = span("nft", fibFrom(10), FREE);
  const many = span("nft", fibFrom(11), FREE);
  c.iptRule = {
    ns: Math.max(0, (many.mean - one.mean) / 41),
    iqr: [(many.q1 - one.q3) / 41, (many.q3 - one.q1) / 41],
    n: Math.min(one.n, many.n),
    method: "fib_table_lookup → kfree_skb (nft_do_chain): a drop at rule 42 less one at rule 1, " +
      "per rule",
  };
  c.nftDoChain = cost(
    one,
    eFib + c.iptRule.ns,
    "fib_table_lookup → kfree_skb (nft_do_chain) at the first rule, less the rule: the LOCAL_IN " +
      "hook with ip_local_deliver() before it",
  );
  c.ipForward = cost(
    span("forward", fibFrom(7), { event: "net_dev_queue", body: /dev=eth1 / }),
    eFib,
    "fib_table_lookup → net_dev_queue out of eth1: ip_forward() to the device",
  );
  return c;
}

/**
 * The profile of a calibration run: its costs, with the kernel, CPU and method recorded.
 * @param traces the run's traces
 * @param count the frames per workload it sent
 * @returns the profile
 */
export function calibrationProfile(traces: CalibrationTraces, count: number): CostProfile {
  const cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
  return {
    kernel: sh(["uname", "-r"]).trim(),
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
    date: new Date().toISOString(),
    method: `rxpath calibrate: ${count} frames per workload over veth into a network namespace, ` +
      "times between tracepoints in a private tracefs instance (x86-tsc clock) filtered to the " +
      "sender, interquartile means",
    costs: costsFromCalibration(traces),
  };
}

/**
 * Measures the costs on this machine (root): {@linkcode recordCalibration}, then
 * {@linkcode calibrationProfile}.
 * @param count frames per workload
 * @returns the profile
 */
export function calibrate(count = 400): CostProfile {
  return calibrationProfile(recordCalibration(count), count);
}

/**
 * The cold CPU's factor from frames timed on a kernel whose CPU idled long before each: the
 * factor on the kit's warm times that brings most frames within ±30% of the kernel's median
 * (the smallest such factor, from 1 to 30 in steps of 0.05).
 * @param pairs per frame, the kernel's median time and the kit's warm time, in any one unit
 * @returns the factor, and how many frames it brings within ±30%
 * @example
 * ```ts
 * import { coldScaleFrom } from "@rxpath/rxpath";
 * console.log(coldScaleFrom([[20, 2], [33, 3], [9, 1]])); // { factor: 7.7, within: 3 }
 * ```
 */
export function coldScaleFrom(pairs: [number, number][]): { factor: number; within: number } {
  let best = { factor: 1, within: -1 };
  for (let i = 0; i <= 580; i++) {
    const factor = Math.round((1 + i * 0.05) * 100) / 100;
    const within = pairs.filter(([k, m]) => Math.abs(factor * m - k) <= 0.3 * k).length;
    if (within > best.within) best = { factor, within };
  }
  return best;
}
