// Replays a pcap through a host set up from a scenario (../shared/scenario-format.md): the
// frames arrive one at a time on the ingress veth (GRO off, CHECKSUM_NONE, no hash — the
// reference host's setup), each handled completely before the next, and the result is what the
// host did with every frame in the kernel's vocabulary, then its SNMP counters and rule counters.

import { InputRangeError } from "../base/errors.ts";
import { emptyArray } from "../base/arrays.ts";
import { createHost, type Host } from "../init/main.ts";
import { type NetDevice, registerEtherdev } from "../core/netdevice.ts";
import { type Sock, TCP_STATES } from "../core/sock.ts";
import type { SkBuff } from "../core/skbuff.ts";
import { Veth } from "../drivers/veth.ts";
import { devSetMtu, devSetTxQueueLen } from "../core/dev.ts";
import { VirtioNet } from "../drivers/virtio_net.ts";
import { inetAddAddr } from "../ipv4/devinet.ts";
import { fibAddRoute } from "../ipv4/fib.ts";
import { type SnmpNonZero, snmpNonZero } from "../ipv4/snmp.ts";
import { reqskTimeout, tcpListen } from "../ipv4/tcp_ipv4.ts";
import { timerWheelLatest } from "../kernel/timer.ts";

// scenario-format.md, the reference host: TCP listeners use listen(128)
const SCENARIO_LISTEN_BACKLOG = 128;
import { udpSocket } from "../ipv4/udp.ts";
import { iptAppend, type IptRule, iptSetPolicy, iptTableLoad } from "../netfilter/ip_tables.ts";
import type { PcapRecord } from "../wire/pcap.ts";
import type { Fate } from "../sim/ledger.ts";
import { ETH_HLEN } from "../wire/ethernet.ts";
import { IpHdr, IPPROTO_ICMP, IPPROTO_TCP } from "../wire/ipv4.ts";
import { IcmpHdr } from "../wire/icmp.ts";
import { TcpHdr } from "../wire/tcp.ts";
import { type Scenario, splitSysctlName } from "./scenario.ts";
import { NET_SYSCTL_DEFAULTS } from "./sysctl_defaults.ts";
import { ipNeighReplace } from "../ipv4/arp.ts";
import { NUD_BY_NAME } from "../core/neighbour.ts";
import { tc } from "../sched/sch_api.ts";

/** A host built from a scenario. */
export interface ScenarioHost {
  /** The host. */
  host: Host;
  /** The ingress device. */
  ingress: NetDevice;
  /** Hands one frame to the ingress as its peer or the wire would, at the current time; a veth
   * ingress tells `onSkb` the skb it made. */
  inject(frame: Uint8Array, onSkb?: (skb: SkBuff) => void): void;
  /** Hands one frame to the ingress as {@linkcode ScenarioHost.inject} does, at time `t` ns, as
   * an event of the sending CPU's own (`Cpu.startAt()`): the steps of the send that nothing can
   * interrupt take no events of their own. */
  injectAt(t: number, frame: Uint8Array, onSkb?: (skb: SkBuff) => void): void;
  /** The scenario's sockets, in its order. */
  sockets: Sock[];
  /** The scenario's filter rules, in its order. */
  rules: IptRule[];
  /** The ingress NIC, when it is a virtio-net one. */
  nic?: VirtioNet;
}

/** Options of {@linkcode scenarioHost}. */
export interface ScenarioHostOptions {
  /** The ingress: "veth" (the reference host, default) or "virtio" (a NIC with an IRQ). */
  nic?: "veth" | "virtio";
  /** CPUs, default 1. */
  cpus?: number;
  /** RPS CPUs of the ingress queue. */
  rpsCpus?: number[];
  /** Seed of the run. */
  seed?: number;
  /** Cost overrides, ns per step. */
  costs?: Partial<Record<string, number>>;
  /** Record the function graph and tracepoints (default false): `rxpath trace` turns it on. */
  trace?: boolean;
}

/**
 * Builds a host from a scenario in the reference host's order: interfaces (lo has
 * 127.0.0.1/8), addresses with the routes they imply, main-table routes, sysctls, filter rules
 * and policies, sockets.
 * @param scenario a loaded scenario
 * @param options ingress kind, CPUs, RPS, seed, costs
 * @returns the host and handles on its parts
 * @throws {RangeError} for a route, rule or sysctl the kernel (or the kit) refuses, naming it
 * @example
 * ```ts
 * import { buildFrame, loadScenario, scenarioHost } from "@rxpath/rxpath";
 * const { host, inject, sockets } = scenarioHost(loadScenario({
 *   ingress: "eth0",
 *   interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }],
 *   sockets: [{ proto: "udp", local: "0.0.0.0:53" }],
 * }));
 * inject(buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" }, udp: { source: 4000, dest: 53 } }));
 * host.sim.run(1_000_000);
 * console.log(sockets[0].receiveQueue.length); // 1
 * ```
 */
export function scenarioHost(scenario: Scenario, options: ScenarioHostOptions = {}): ScenarioHost {
  const host = createHost({
    cpus: options.cpus ?? 1,
    seed: options.seed,
    costs: options.costs,
    trace: options.trace,
  });
  const devs = new Map<string, NetDevice>();
  let inject: ScenarioHost["inject"] = () => {};
  // the CPU the ingress's peer sends from (a virtio NIC's frames come off the wire, on no CPU)
  const sender = host.sim.cpus[0];
  let virtio: VirtioNet | undefined;
  scenario.interfaces.forEach((itf, i) => {
    let dev: NetDevice;
    if (options.nic === "virtio") {
      if (itf.name !== scenario.ingress) dev = registerEtherdev(host, itf.name, itf.mac, itf.mtu);
      else {
        const nic = new VirtioNet(host, { name: itf.name, mac: itf.mac, mtu: itf.mtu, rss: false });
        nic.open();
        virtio = nic;
        dev = nic.dev;
        inject = (frame) => nic.receive(frame);
      }
    } else {
      // the reference host: every interface a veth whose peer, wN, is in the wire namespace
      const veth = new Veth(host, itf.name, itf.mac, `w${i}`);
      dev = veth.dev;
      devSetMtu(host, dev, itf.mtu);
      veth.peer.mtu = itf.mtu;
      dev.groEnabled = false; // a veth's default: GRO only when asked for (or with XDP)
      if (itf.name === scenario.ingress) {
        inject = (frame, onSkb) => veth.xmit(sender, [frame], onSkb);
      }
    }
    devs.set(itf.name, dev);
    for (const a of itf.addrs) inetAddAddr(host, dev, a.addr, a.len);
    // `ip link set DEV txqueuelen N`, then `tc qdisc replace dev DEV root …`
    try {
      if (itf.txqueuelen !== null) devSetTxQueueLen(host, dev, itf.txqueuelen);
      if (itf.qdisc) tc(host, ["qdisc", "replace", "dev", itf.name, "root", ...itf.qdisc]);
    } catch (e) {
      throw new InputRangeError(
        `Cannot set up scenario: interfaces[${i}]: ${(e as Error).message}`,
      );
    }
  });
  if (options.rpsCpus?.length) host.setRpsCpus(devs.get(scenario.ingress)!, 0, options.rpsCpus);
  scenario.routes.forEach((r, i) => {
    try {
      fibAddRoute(host, { dst: r.dst.addr, len: r.dst.len, dev: devs.get(r.dev), gw: r.via ?? 0 });
    } catch (e) {
      throw new InputRangeError(`Cannot set up scenario: routes[${i}]: ${(e as Error).message}`);
    }
  });
  // the neighbour table as `ip neigh replace` leaves it, then whether the rest is resolved
  host.ipv4.arpResolve = scenario.neighbours.arp;
  for (const n of scenario.neighbours.entries) {
    ipNeighReplace(host, n.dev, n.addr, n.mac, NUD_BY_NAME[n.state]);
  }
  for (const [name, value] of Object.entries(scenario.sysctl)) {
    if (!host.modelsSysctl(name)) {
      // A sysctl the kit does not act on may be given at the kernel's default, which changes
      // nothing; any other value would be silently ignored, so it is an error.
      const { generic } = splitSysctlName(name, [...devs.keys(), "lo"]);
      const dflt = NET_SYSCTL_DEFAULTS[name] ?? NET_SYSCTL_DEFAULTS[generic];
      if (dflt === value) continue;
      throw new InputRangeError(
        `Cannot set up scenario: sysctl "${name}" = ${value} is not modelled by rxpath${
          dflt === undefined ? "" : ` (only its default, ${dflt}, can be given)`
        }`,
      );
    }
    try {
      host.setSysctl(name, value);
    } catch (e) {
      throw new InputRangeError(
        `Cannot set up scenario: sysctl "${name}": ${(e as Error).message}`,
      );
    }
  }
  const rules: IptRule[] = [];
  if (scenario.filter.length || Object.keys(scenario.policies).length) iptTableLoad(host, "filter");
  for (const r of scenario.filter) {
    iptAppend(host, "filter", r.chain, {
      proto: r.proto,
      src: r.src && [r.src.addr, r.src.len],
      dst: r.dst && [r.dst.addr, r.dst.len],
      sport: r.sport,
      dport: r.dport,
      in: r.in,
      target: r.target,
    });
    const chain = host.iptables.get("filter")!.chains.get(r.chain)!;
    rules.push(chain.rules[chain.rules.length - 1]);
  }
  for (const [chain, policy] of Object.entries(scenario.policies)) {
    iptSetPolicy(host, "filter", chain, policy!);
  }
  const sockets = scenario.sockets.map((s, i) => {
    try {
      return s.proto === "udp"
        ? udpSocket(host, {
          addr: s.local.addr,
          port: s.local.port,
          remote: s.remote,
          rcvbuf: s.rcvbuf,
        })
        : tcpListen(host, s.local.addr, s.local.port, SCENARIO_LISTEN_BACKLOG);
    } catch (e) {
      throw new InputRangeError(`Cannot set up scenario: sockets[${i}]: ${(e as Error).message}`);
    }
  });
  const injectAt: ScenarioHost["injectAt"] = (t, frame, onSkb) =>
    sender.startAt(t, () => inject(frame, onSkb));
  return {
    host,
    ingress: devs.get(scenario.ingress)!,
    inject,
    injectAt,
    sockets,
    rules,
    nic: virtio,
  };
}

/** One frame's line of a replay. */
export type ReplayLine =
  & { frame: number }
  & (
    | { fate: "delivered"; socket: number | null }
    | { fate: "forwarded"; dev: string }
    | { fate: "dropped"; reason: string }
  )
  & { reply?: string };

/** The summary line of a replay. */
export interface ReplaySummary {
  /** Always true. */
  summary: true;
  /** Non-zero /proc/net/snmp fields after the replay. */
  counters: SnmpNonZero;
  /** Packet and byte counters of each filter rule, in the scenario's order. */
  rules: { pkts: number; bytes: number }[];
}

/**
 * Names what the host sent back, as the replay output does: `icmp echo-reply`,
 * `icmp port-unreachable`, `tcp syn-ack`, `tcp rst`, ...
 * @param frame an Ethernet frame carrying IPv4
 * @returns the name
 */
export function replyName(frame: Uint8Array): string {
  const iph = new IpHdr(frame, ETH_HLEN);
  const th = ETH_HLEN + iph.ihl * 4;
  if (iph.protocol === IPPROTO_ICMP) {
    const { type: t, code: c } = new IcmpHdr(frame, th);
    const unreach = [
      "net-unreachable",
      "host-unreachable",
      "protocol-unreachable",
      "port-unreachable",
      "frag-needed",
    ];
    const names: Record<number, string> = {
      0: "echo-reply",
      5: "redirect",
      11: "time-exceeded",
      12: "parameter-problem",
      14: "timestamp-reply",
    };
    if (t === 3 && c === 13) return "icmp admin-prohibited"; // ICMP_PKT_FILTERED
    if (t === 3) return `icmp ${unreach[c] ?? `dest-unreachable code ${c}`}`;
    return `icmp ${names[t] ?? `type-${t}`}`;
  }
  if (iph.protocol === IPPROTO_TCP) {
    const tcph = new TcpHdr(frame, th);
    if (tcph.rst) return "tcp rst";
    if (tcph.syn && tcph.ack) return "tcp syn-ack";
    return "tcp";
  }
  return `proto ${iph.protocol}`;
}

// The scenario's TCP listener a frame's destination address and port reach, or null
function tcpListenerIndex(sockets: Sock[], frame: Uint8Array): number | null {
  const iph = new IpHdr(frame, ETH_HLEN);
  const dport = new TcpHdr(frame, ETH_HLEN + iph.ihl * 4).dest;
  const i = sockets.findIndex((s) =>
    s.state === TCP_STATES.LISTEN && s.num === dport &&
    (s.rcvSaddr === 0 || s.rcvSaddr === iph.daddr)
  );
  return i < 0 ? null : i;
}

/**
 * True when a frame the host sent answers a received one: addressed to its source, and an ICMP
 * error quoting it, an echo or timestamp reply with its identifier, or a TCP segment back
 * between its ports — not, say, a SYN-ACK retransmitted for an earlier SYN.
 * @param sent the frame sent
 * @param got the frame received
 * @returns whether it is a reply to it
 */
export function answers(sent: Uint8Array, got: Uint8Array): boolean {
  if (sent.length < 34 || got.length < 34) return false;
  if (!sameBytes(sent, 30, got, 26, 4)) return false; // to the sender
  if (sameBytes(sent, 26, got, 26, 8)) return false; // a forward of the frame itself
  const body = 14 + (sent[14] & 15) * 4;
  const gotL4 = 14 + (got[14] & 15) * 4;
  if (sent[23] === 1) {
    const type = sent[body];
    if (type === 3 || type === 4 || type === 5 || type === 11 || type === 12) {
      // quotes its header
      return sameBytes(sent, body + 8 + 12, got, 26, 8) &&
        sameBytes(sent, body + 8 + 4, got, 18, 2);
    }
    // same identifier and sequence
    return got[23] === 1 && sameBytes(sent, body + 4, got, gotL4 + 4, 4);
  }
  if (sent[23] === 6) {
    return got[23] === 6 && sameBytes(sent, body, got, gotL4 + 2, 2) &&
      sameBytes(sent, body + 2, got, gotL4, 2);
  }
  return true;
}

// The n bytes of a at i are those of b at j, as far as a goes.
function sameBytes(a: Uint8Array, i: number, b: Uint8Array, j: number, n: number): boolean {
  for (let k = 0; k < n && i + k < a.length; k++) if (a[i + k] !== b[j + k]) return false;
  return true;
}

// the most negative gap a double holds exactly
const MIN_SAFE_NS = BigInt(Number.MIN_SAFE_INTEGER);

const FRAME_WINDOW_NS = 1_000_000; // a frame is handled well within 1 ms of virtual time

/**
 * Replays frames through a scenario's host, one at a time at their capture times (relative to
 * the first; never before the previous one is done), and reports every frame's fate — delivered
 * (to which socket, or null when the kernel consumed it itself), forwarded (out of which
 * device) or dropped (with the drop reason) — with the first reply the host sent, then the
 * counters. A fragment takes the fate of the datagram it ends up in; fragments still held after
 * the last frame wait out net.ipv4.ipfrag_time.
 * @param scenario a loaded scenario
 * @param records the frames, as read from a pcap
 * @returns one line per frame, then the summary
 * @example
 * ```ts
 * import { buildFrame, loadScenario, pcapRecords, replay } from "@rxpath/rxpath";
 * const scenario = loadScenario({
 *   ingress: "eth0",
 *   interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }],
 *   sockets: [{ proto: "udp", local: "0.0.0.0:53" }],
 * });
 * const to = (dest: number) => buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" }, udp: { source: 4000, dest } });
 * for (const line of replay(scenario, pcapRecords([to(53), to(54)], 1_000_000n))) console.log(line);
 * // delivered to socket 0; dropped NO_SOCKET with an ICMP port unreachable; then the counters
 * ```
 */
export function replay(
  scenario: Scenario,
  records: Iterable<PcapRecord>,
): (ReplayLine | ReplaySummary)[] {
  return runReplay(scenario, records).lines;
}

/**
 * Replays frames as {@linkcode replay} does and also returns the host, for its /proc views.
 * @param scenario a loaded scenario
 * @param records the frames
 * @returns the lines and the host they came from
 */
export function runReplay(
  scenario: Scenario,
  records: Iterable<PcapRecord>,
): { lines: (ReplayLine | ReplaySummary)[]; host: ScenarioHost } {
  const lines: (ReplayLine | ReplaySummary)[] = [];
  const host = replayStream(scenario, records, (l) => lines.push(l));
  return { lines, host };
}

// A frame whose line is not out yet.
interface PendingFrame {
  index: number;
  data: Uint8Array;
  // its skb's id, once the ingress made one
  skb: number;
  // the socket whose queue grew in its window, if one did
  socket: number | null;
  // what the host sent in its window: sent[from - sentBase] up to sent[to - sentBase]
  from: number;
  to: number;
}

/**
 * Replays frames as {@linkcode replay} does, handing each frame's line over as soon as its fate
 * is settled — at once for most frames, when its datagram completes or times out for a held
 * fragment — then the summary. Frames are read as the replay reaches them and forgotten once
 * their line is out, so a capture of any length costs the same memory (the ledger keeps no
 * fates), and a reader that stops early stops the replay.
 * @param scenario a loaded scenario
 * @param records the frames, read one at a time
 * @param emit told every line, in frame order, then the summary
 * @returns the host, after the replay
 */
export function replayStream(
  scenario: Scenario,
  records: Iterable<PcapRecord>,
  emit: (line: ReplayLine | ReplaySummary) => void,
): ScenarioHost {
  const sh = scenarioHost(scenario);
  const { host, injectAt, sockets, rules } = sh;
  const sim = host.sim;
  // What the host sent since the oldest pending frame's window; sent[0] is send number sentBase.
  const sent: { dev: string; frame: Uint8Array }[] = [];
  // what came after the last window, by the frame it answers: nothing, until the end
  const noneLate = new Map<PendingFrame, (typeof sent)[number]>();
  let sentBase = 0;
  // what leaves the host: a reply to one of its own addresses goes round lo, unseen on the wire
  host.devXmitTap = (dev, frame) => {
    if (!dev.loopback) sent.push({ dev: dev.name, frame });
  };
  for (const dev of host.devices) dev.recordTransmitted = false;
  const pending: PendingFrame[] = [];
  let head = 0; // pending[head] is the oldest frame whose line is not out
  // The fates told since the lines last all went out, by skb id: ids are handed out in order,
  // so an array from the first id that can still matter (a Map's hashing cost more)
  const fates: Fate[] = [];
  let fateBase = 0; // fates[i] is skb fateBase + i's
  sim.ledger.onEnd = (f) => {
    if (f.skb >= fateBase) fates[f.skb - fateBase] = f;
  };
  const fateOf = (id: number): Fate | undefined =>
    id >= fateBase ? fates[id - fateBase] : undefined;
  const queued = sockets.map(() => 0);
  const activity = (s: Sock) =>
    s.receiveQueue.length + s.requests.length + s.acceptQueue.length + s.outOfOrder.size;
  // The fate a frame's skb ended in: its own, or that of the skb reassembly joined it into.
  const finalFate = (p: PendingFrame): { id: number; fate: Fate | undefined } => {
    let id = p.skb;
    let fate = fateOf(id);
    while (fate?.kind === "merged" && fate.into !== undefined) {
      id = fate.into;
      fate = fateOf(id);
    }
    return { id, fate };
  };
  // The first thing the host sent in the frame's window that answers it: a reply leaves by the
  // device the route back names, which need not be the ingress.
  const windowReply = (p: PendingFrame): (typeof sent)[number] | undefined => {
    for (let k = p.from - sentBase; k < p.to - sentBase; k++) {
      if (answers(sent[k].frame, p.data)) return sent[k];
    }
    return undefined;
  };
  // The line of a frame once its fate is settled; undefined while a fragment of it is held.
  // Frames from pending[from] on are the ones whose lines this flush may write.
  const settle = (
    p: PendingFrame,
    lateFor: Map<PendingFrame, (typeof sent)[number]>,
    from: number,
  ): ReplayLine | undefined => {
    const { id, fate } = finalFate(p);
    if (
      !fate && host.ipv4.frags.size &&
      [...host.ipv4.frags.values()].some((q) => q.fragments.some((f) => f.skb.id === id))
    ) {
      return undefined;
    }
    // the frame whose skb the fate ended in: this one, or the one reassembly joined it into
    const owner = id === p.skb ? p : pending.find((q, k) => k >= from && q.skb === id) ?? p;
    const reply = windowReply(p) ?? lateFor.get(p);
    let line: ReplayLine;
    if (!fate || fate.kind === "delivered") {
      line = { frame: p.index, fate: "delivered", socket: owner.socket };
    } else if (fate.kind === "forwarded") {
      line = { frame: p.index, fate: "forwarded", dev: fate.where };
    } else {
      line = { frame: p.index, fate: "dropped", reason: fate.reason ?? "NOT_SPECIFIED" };
    }
    if (reply) line.reply = replyName(reply.frame);
    // a SYN answered without a request kept (a SYN cookie) still went to its listener
    if ("socket" in line && line.socket === null && line.reply === "tcp syn-ack") {
      line.socket = tcpListenerIndex(sockets, p.data);
    }
    return line;
  };
  // What came after the last window (ip_expire()'s time exceeded) answers a frame it quotes that
  // had no reply of its own, one whose datagram timed out before any other: the queue that
  // expired is one of theirs, while an earlier datagram with the same ID and addresses may have
  // completed.
  const assignLate = (late: typeof sent) => {
    const lateFor = new Map<PendingFrame, (typeof sent)[number]>();
    for (const s of late) {
      let quoted: PendingFrame | undefined;
      for (let k = head; k < pending.length; k++) {
        const p = pending[k];
        if (lateFor.has(p) || !answers(s.frame, p.data) || windowReply(p)) continue;
        quoted ??= p;
        const { fate } = finalFate(p);
        if (fate?.kind === "dropped" && fate.reason === "FRAG_REASM_TIMEOUT") {
          quoted = p;
          break;
        }
      }
      if (quoted) lateFor.set(quoted, s);
    }
    return lateFor;
  };
  // Emits the lines that are settled, in order, then forgets what only they needed: frames of
  // one datagram settle in the same pass, so nothing later looks back past it.
  const flush = (lateFor: Map<PendingFrame, (typeof sent)[number]>) => {
    const first = head;
    while (head < pending.length) {
      const line = settle(pending[head], lateFor, first);
      if (!line) break;
      emit(line);
      head++;
    }
    if (head === pending.length) {
      emptyArray(pending);
      head = 0;
      fateBase += fates.length;
      emptyArray(fates);
      sentBase += sent.length;
      emptyArray(sent);
    } else if (head > 1024 && head * 2 > pending.length) {
      pending.splice(0, head);
      head = 0;
    }
  };
  // Nothing the kit models waits longer than this: a request sock gives up after its SYN-ACK
  // retries (1 + 2 + ... + 32 = 63 s for tcp_synack_retries 5), a reassembly queue after
  // ipfrag_time, each timer as late as the timer wheel may fire it; the ICMP and redirect token
  // buckets are full again within 21 s. A longer quiet gap in the capture is replayed as this
  // long, which changes no decision and keeps every time exact on the virtual clock (integer ns
  // up to 2^53, 104 days) whatever the capture spans.
  let synackJiffies = 0;
  for (let n = 0; n <= host.sysctl["net.ipv4.tcp_synack_retries"]; n++) {
    synackJiffies += timerWheelLatest(reqskTimeout(host.hz, n));
  }
  const fragJiffies = timerWheelLatest(host.sysctl["net.ipv4.ipfrag_time"] * host.hz);
  const idleNs = BigInt(Math.ceil(Math.max(synackJiffies, fragJiffies) / host.hz) + 1) *
    1_000_000_000n;
  const lastT = Number.MAX_SAFE_INTEGER - Number(idleNs) - 2 * FRAME_WINDOW_NS;
  let shift = 0n;
  let t = 0;
  let index = 0;
  let base = 0n, previous = 0n;
  // The frame's time since the first with quiet gaps shortened, tsNs - base - shift: a step on
  // from the last frame's while that is exact (a safe integer), as BigInt arithmetic cost a
  // replay 2 % of its time
  let frameT = 0;
  for (const r of records) {
    if (index === 0) base = previous = r.tsNs;
    const gap = r.tsNs - previous;
    previous = r.tsNs;
    if (gap > idleNs) shift += gap - idleNs;
    const step = gap > idleNs ? idleNs : gap;
    const next = frameT + Number(step);
    frameT = Number.isSafeInteger(frameT) && step >= MIN_SAFE_NS && Number.isSafeInteger(next)
      ? next
      : Number(r.tsNs - base - shift);
    t = Math.max(t, frameT);
    if (t > lastT) {
      throw new InputRangeError(
        `Cannot replay frame ${index}: with every quiet gap shortened to ${
          idleNs / 1_000_000_000n
        } s the capture still spans more than the 104 days the virtual clock holds`,
      );
    }
    // what happens before the frame (a timer's retransmission, say) is not its doing
    sim.run(t);
    for (let k = 0; k < sockets.length; k++) queued[k] = activity(sockets[k]);
    const p: PendingFrame = {
      index,
      data: r.data,
      skb: 0,
      socket: null,
      from: sentBase + sent.length,
      to: 0,
    };
    pending.push(p);
    injectAt(t, r.data, (skb) => p.skb = skb.id);
    sim.run(t + FRAME_WINDOW_NS);
    p.socket = null; // the first socket whose queues grew
    for (let k = 0; k < sockets.length && p.socket === null; k++) {
      if (activity(sockets[k]) > queued[k]) p.socket = k;
    }
    p.to = sentBase + sent.length;
    t += FRAME_WINDOW_NS;
    index++;
    flush(noneLate);
  }
  const lastWindowEnd = sentBase + sent.length;
  if (host.ipv4.frags.size) {
    let last = t;
    for (const q of host.ipv4.frags.values()) last = Math.max(last, q.expires);
    sim.run(last + FRAME_WINDOW_NS);
  }
  flush(assignLate(sent.slice(lastWindowEnd - sentBase)));
  emit({
    summary: true,
    counters: snmpNonZero(host),
    rules: rules.map((r) => ({ pkts: r.pkts, bytes: r.bytes })),
  });
  return sh;
}
