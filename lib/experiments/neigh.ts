// Chapter 12's neighbour runs: a host with one veth that resolves its neighbours with ARP, and
// peers on the wire that send frames, answer ARP requests for their addresses (or do not), and
// see what the host sends — the run tests/oracle/neigh_oracle.py makes on a real kernel.

import { createHost } from "../init/main.ts";
import { Veth } from "../drivers/veth.ts";
import { inetAddAddr } from "../ipv4/devinet.ts";
import { buildFrame } from "../wire/build.ts";
import { decodeFrame } from "../wire/decode.ts";
import { arpCacheStats, ipNeighShow, procNetArp } from "../proc/neigh.ts";
import { parseCidr } from "../scenario/scenario.ts";
import type { Host } from "../init/main.ts";
import { snmpNonZero } from "../ipv4/snmp.ts";
import { ipNeighReplace } from "../ipv4/arp.ts";
import { devSetTxQueueLen } from "../core/dev.ts";
import { tc } from "../sched/sch_api.ts";
import { tcpListen } from "../ipv4/tcp_ipv4.ts";
import { netifSetXpsQueue } from "../core/dev_xmit.ts";
import type { NetDevice } from "../core/netdevice.ts";
import { sysfsWrite } from "../proc/sysfs.ts";
import { InputRangeError } from "../base/errors.ts";
import { macAton } from "../wire/ethernet.ts";
import { NUD_BY_NAME } from "../core/neighbour.ts";

/** What {@linkcode runNeighbours} runs: the host's interface, its settings and the wire's part. */
export interface NeighRun {
  /** The host's one interface. */
  interface: { name: string; mac: string; addrs: string[]; mtu: number };
  /** sysctls set on the host (net.ipv4.neigh.eth0.retrans_time_ms ..., net.core.default_qdisc). */
  sysctl: Record<string, number | string>;
  /**
   * `ip` commands run first, as argument lists: `neigh replace ADDR lladdr MAC nud STATE dev
   * DEV` and `link set DEV txqueuelen N`.
   */
  ip?: string[][];
  /** `tc qdisc` commands then run on the host, as argument lists after `tc qdisc`. */
  qdisc?: string[][];
  /** Transmit queues of the interface (`ip link add … numtxqueues N`), all in use. */
  numTxQueues?: number;
  /** /sys/class/net files written last, as `echo VALUE > PATH` (xps_cpus, byte_queue_limits). */
  sysfs?: [string, string][];
  /** The CPU the wire sends from (so the host's softirq work runs there), default 0. */
  wireCpu?: number;
  /** The wire end's transmit queues (`peer name w0 numtxqueues N`), all in use; default 1. */
  wireNumTxQueues?: number;
  /**
   * The wire end's files written, as `echo VALUE > PATH` there: `/sys/class/net/w0/queues/tx-N/
   * xps_cpus`, which picks the queue the wire's frames leave by, and so arrive by.
   */
  wireSysfs?: [string, string][];
  /** TCP ports the host listens on, on any address (listen(128)). */
  listen?: number[];
  /** Frames the wire sends, at seconds from the start, as bytes or hex. */
  frames: { t: number; frame: Uint8Array | string }[];
  /** Peers that answer ARP requests for their address: MAC, delay in seconds, how many times. */
  answer: Record<string, { mac: string; delay: number; count?: number }>;
  /** When to read the host's neighbour table, seconds. */
  snapshots: number[];
  /** When the run ends, seconds. */
  end: number;
}

/** What the run shows, as neigh_oracle.py records it of a kernel. */
export interface NeighRunResult {
  /** Frames the host sent on the wire, with their time in seconds. */
  sent: { t: number; frame: string }[];
  /** `ip neigh show dev DEV` at each snapshot. */
  neigh: { t: number; lines: string[] }[];
  /** `ip -s neigh show dev DEV` at each snapshot. */
  stats: { t: number; lines: string[] }[];
  /** `tc -s qdisc show dev DEV` at each snapshot, when the run set a qdisc. */
  tc?: { t: number; lines: string[] }[];
  /** /proc/net/arp at the end, its lines. */
  arp: string[];
  /** Nonzero Ip, Icmp and IcmpMsg counters of /proc/net/snmp. */
  counters: Record<string, Record<string, number>>;
  /** The drop reasons of packets that waited for a neighbour (NEIGH_*) or a qdisc dropped, in order. */
  drops: string[];
  /**
   * What the run added to each /proc/net/stat/arp_cache column ({@linkcode arpCacheStats}):
   * entries made, refused and collected.
   */
  arpCache: Record<string, number>;
  /**
   * The entries made (or refused) and removed, in order, as their neigh_create and
   * neigh_cleanup_and_release tracepoints show them: device, key, gc_entries, created,
   * gc_exempt; device, key, state.
   */
  table: string[];
  /** The host after the run. */
  host: Host;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const bytes = (h: string) => Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16));

/**
 * Runs a host that resolves with ARP against peers on a veth's far side: the wire sends the
 * frames at their times, answers each ARP request for an address it owns (after its delay, up
 * to its count), and records what the host sends.
 * @param run the interface, sysctls, frames, answers, snapshots and end
 * @param seed the seed (reachable_time is drawn from it)
 * @returns what was sent, the neighbour table at each snapshot (plain and with statistics),
 *   /proc/net/arp at the end, counters and drops
 * @example
 * ```ts
 * import { buildFrame, runNeighbours } from "@rxpath/rxpath";
 * const ping = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" }, icmp: { type: 8 }, payload: 56 });
 * const r = runNeighbours({
 *   interface: { name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 },
 *   sysctl: {}, frames: [{ t: 0, frame: ping }], answer: {}, snapshots: [0.5], end: 4,
 * });
 * console.log(r.neigh[0].lines, r.sent.length, r.drops); // [ "10.1.0.7 INCOMPLETE " ] 3 [ "NEIGH_FAILED" ]
 * ```
 */
export function runNeighbours(run: NeighRun, seed = 1): NeighRunResult {
  // the reference machine's two CPUs: a veth has a transmit queue for each
  const host = createHost({ cpus: 2, seed, trace: true });
  host.ipv4.arpResolve = true;
  const itf = run.interface;
  const veth = new Veth(host, itf.name, itf.mac, "w0", run.numTxQueues, run.wireNumTxQueues);
  veth.dev.groEnabled = false;
  for (const a of itf.addrs) {
    const c = parseCidr(a, `interface.addrs`);
    inetAddAddr(host, veth.dev, c.addr, c.len);
  }
  // arp_tbl's machine-wide settings first, as the reference setup makes them
  const sysctls = Object.entries(run.sysctl);
  for (const [name, value] of sysctls.filter(([n]) => machineWide(n))) {
    host.setSysctl(name, value);
  }
  for (const args of run.ip ?? []) ipCommand(host, args);
  for (const [name, value] of sysctls.filter(([n]) => !machineWide(n))) {
    host.setSysctl(name, value);
  }
  for (const args of run.qdisc ?? []) tc(host, ["qdisc", ...args]);
  for (const [path, value] of run.sysfs ?? []) sysfsWrite(host, path, value);
  for (const [path, value] of run.wireSysfs ?? []) wireSysfsWrite(veth.peer, path, value);
  for (const port of run.listen ?? []) tcpListen(host, 0, port, 128);
  const before = arpCacheStats(host);
  const events = host.sim.trace.events.length;
  const cpu = host.sim.cpus[run.wireCpu ?? 0];
  // the run's clock: the setup above stands SETUP_WAIT_S before its start
  const at = (t: number) => Math.round((t + SETUP_WAIT_S) * 1e9);
  const send = (t: number, frame: Uint8Array) => host.sim.at(at(t), () => veth.xmit(cpu, [frame]));
  const left = new Map(Object.entries(run.answer).map(([ip, a]) => [ip, a.count ?? Infinity]));
  const sent: NeighRunResult["sent"] = [];
  host.devXmitTap = (dev, frame) => {
    if (dev !== veth.dev) return;
    const t = host.sim.now / 1e9 - SETUP_WAIT_S;
    sent.push({ t, frame: hex(frame) });
    // a peer owning the requested address answers the asker
    const req = decodeFrame(frame).arp;
    const answer = req?.op === 1 ? run.answer[req.tip] : undefined;
    if (!req || !answer || !(left.get(req.tip)! > 0)) return;
    left.set(req.tip, left.get(req.tip)! - 1);
    const arp = { op: 2, sha: answer.mac, sip: req.tip, tha: req.sha, tip: req.sip };
    send(t + answer.delay, buildFrame({ eth: { src: answer.mac, dst: req.sha }, arp }));
  };
  veth.dev.recordTransmitted = false;
  for (const f of run.frames) {
    send(f.t, typeof f.frame === "string" ? bytes(f.frame) : f.frame);
  }
  const neigh: NeighRunResult["neigh"] = [];
  const stats: NeighRunResult["stats"] = [];
  const lines = (stats: boolean) =>
    ipNeighShow(host, itf.name, stats).text.split("\n").filter((l) => l);
  const tcLines: { t: number; lines: string[] }[] = [];
  for (const t of run.snapshots) {
    host.sim.at(at(t), () => {
      neigh.push({ t, lines: lines(false) });
      stats.push({ t, lines: lines(true) });
      const shown = tc(host, ["-s", "qdisc", "show", "dev", itf.name]);
      tcLines.push({ t, lines: shown.split("\n").filter((l) => l).map((l) => l.trimEnd()) });
    });
  }
  host.sim.run(at(run.end));
  // /proc/net/snmp's Ip, Icmp and IcmpMsg lines, as the oracle reads them
  const { Ip: { Forwarding: _f, DefaultTTL: _t, ...ip }, Icmp, IcmpMsg } = snmpNonZero(host);
  const counters = { Ip: ip, Icmp, ...(IcmpMsg ? { IcmpMsg } : {}) };
  const drops = host.sim.ledger.fates.filter((f) => /^(NEIGH|QDISC)_/.test(f.reason ?? ""))
    .map((f) => f.reason!);
  const arp = procNetArp(host).text.split("\n").filter((l) => l);
  const after = arpCacheStats(host);
  const arpCache = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
  const table = host.sim.trace.events.slice(events).filter((e) => TABLE_EVENTS.includes(e.event))
    .map((e) =>
      [e.event, ...TABLE_FIELDS.filter((k) => k in e.fields).map((k) => `${k} ${e.fields[k]}`)]
        .join(" ")
    );
  return {
    sent,
    neigh,
    stats,
    ...(run.qdisc ? { tc: tcLines } : {}),
    arp,
    counters,
    drops,
    arpCache,
    table,
    host,
  };
}

// how long before the first frame the setup's commands ran, at least (neigh_oracle.py's wait)
const SETUP_WAIT_S = 0.5;
// the machine-wide sysctls, arp_tbl's own and the default qdisc, which the reference setup
// makes before the rest
const MACHINE_WIDE = ["net.ipv4.neigh.default.gc_", "net.core.default_qdisc"];
const machineWide = (name: string) => MACHINE_WIDE.some((p) => name.startsWith(p));

// the tracepoints and fields neigh_oracle.py keeps of entries made and removed
const TABLE_EVENTS = ["neigh_create", "neigh_cleanup_and_release"];
const TABLE_FIELDS = ["dev", "primary_key4", "entries", "created", "gc_exempt", "nud_state"];

// The wire end's sysfs writes: only its queues' xps_cpus
function wireSysfsWrite(w0: NetDevice, path: string, value: string): void {
  const m = new RegExp(`^/sys/class/net/${w0.name}/queues/tx-(\\d+)/xps_cpus$`).exec(path);
  if (!m || !/^[0-9a-f]+$/i.test(value.trim())) {
    throw new InputRangeError(
      `wire sysfs ${path} = ${JSON.stringify(value)}: only a hex mask in ` +
        `/sys/class/net/${w0.name}/queues/tx-N/xps_cpus is modelled`,
    );
  }
  netifSetXpsQueue(w0, Number(m[1]), parseInt(value.trim(), 16));
}

// The `ip` commands a run may start with: a neighbour entry, a device's txqueuelen
function ipCommand(host: Host, args: string[]): void {
  const [obj, verb, ...rest] = args;
  const opt = (name: string) => {
    const i = rest.indexOf(name);
    if (i < 0 || rest[i + 1] === undefined) {
      throw new InputRangeError(`ip ${args.join(" ")}: "${name}" and its value are needed`);
    }
    return rest[i + 1];
  };
  if (obj === "neigh" && verb === "replace") {
    const state = NUD_BY_NAME[opt("nud") as keyof typeof NUD_BY_NAME];
    if (state === undefined) throw new InputRangeError(`ip ${args.join(" ")}: unknown nud state`);
    const addr = parseCidr(`${rest[0]}/32`, "ip neigh").addr;
    ipNeighReplace(host, opt("dev"), addr, macAton(opt("lladdr")), state);
    return;
  }
  if (obj === "link" && verb === "set") {
    const name = rest[0] === "dev" ? rest[1] : rest[0];
    const dev = host.devices.find((d) => d.name === name);
    if (!dev) throw new InputRangeError(`ip ${args.join(" ")}: Cannot find device "${name}"`);
    devSetTxQueueLen(host, dev, Number(opt("txqueuelen")));
    return;
  }
  throw new InputRangeError(
    `ip ${args.join(" ")}: only "neigh replace" and "link set DEV txqueuelen N" are modelled`,
  );
}
