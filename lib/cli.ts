/**
 * The rxpath command line: `deno task rxpath <command> ...`.
 *
 * - `decode FRAMES.pcap [--json]`: every frame's layers and problems, with byte offsets.
 * - `boot [--cpus N] [--hz HZ]`: boot a host and print its /proc views.
 * - `rss --src A --dst B [--sport P --dport Q] [--key HEX] [--queues N] [--json]`: the RSS
 *   Toeplitz hash of a flow and the RX queue it selects.
 * - `trace SCENARIO.json FRAMES.pcap [--nic virtio|veth] [--rps-cpus LIST] [--events]
 *   [--costs FILE]`: each frame's path through the modelled kernel, as an ftrace function_graph
 *   call chain with CPU, context and time, or as the kernel's tracepoint events in trace_pipe's
 *   text; costs from a calibration profile.
 * - `calibrate [--frames N] [--out FILE]` (root): the receive path's costs measured on this
 *   machine's kernel, written as a profile for `--costs`.
 * - `gro FRAMES.pcap [--json] [--gro on|off] [--mtu N]`: what GRO hands to the stack when the
 *   frames reach a veth's NAPI polls, a ring's worth at a time, one skb a line.
 * - `replay SCENARIO.json FRAMES.pcap [--json]`: what a host set up from the scenario does with
 *   every frame (../shared/scenario-format.md), then its SNMP and rule counters.
 * - `packetdrill SCRIPT.pkt [--tolerance_usecs=N] [--tcp_ts_tick_usecs=N] [--ip_version=ipv4]
 *   [--mss=N] [--local_ip=A] [--remote_ip=A] [--gateway_ip=A] [--netmask_ip=M] [-D NAME=VALUE]...`:
 *   runs a packetdrill script against a simulated host as packetdrill runs it against a kernel;
 *   silent and exit 0 when every event matches, else packetdrill's message and exit 1.
 *
 * @example
 * ```ts
 * import { main } from "@rxpath/rxpath/cli";
 * main(["boot", "--cpus", "1"]);
 * ```
 *
 * @module
 */

import { InputRangeError, InputSyntaxError, isInputError, quoteValue } from "./base/errors.ts";
import { decodeFrame } from "./wire/decode.ts";
import { PcapReader, type PcapRecord } from "./wire/pcap.ts";
import { createHost } from "./init/main.ts";
import { procNetProtocols } from "./proc/protocols.ts";
import { procNetPtype, procNetSoftnetStat } from "./proc/net_procfs.ts";
import { procSoftirqs } from "./proc/softirqs.ts";
import { loadScenario } from "./scenario/scenario.ts";
import { groStream } from "./experiments/gro.ts";
import {
  type ReplayLine,
  replayStream,
  type ReplaySummary,
  type ScenarioHost,
} from "./scenario/replay.ts";
import { HOST_VIEWS } from "./proc/views.ts";
import { ReplayTable } from "./scenario/replay_table.ts";
import { traceText } from "./scenario/trace.ts";
import { calibrate, costOverrides } from "./scenario/calibrate.ts";
import { runPacketdrill } from "./packetdrill/run.ts";
import {
  MS_RSS_KEY,
  parseRssKey,
  rssInput,
  rssQueue,
  rxfhIndirDefault,
  toeplitzHash,
} from "./drivers/rss.ts";

// QEMU's virtio-net device reports an indirection table of 128 entries
// (hw/net/virtio-net.c: VIRTIO_NET_RSS_MAX_TABLE_LEN).
const RSS_INDIR_SIZE = 128;

const USAGE = `usage: rxpath <command> [options]
commands:
  decode FRAMES.pcap [--json]   decode every frame, naming problems by byte offset
  boot [--cpus N] [--hz HZ]     boot a host and print /proc/net/ptype, /proc/net/protocols,
                                /proc/softirqs and /proc/net/softnet_stat
  rss --src A --dst B [--sport P --dport Q] [--key HEX] [--queues N] [--json]
                                Toeplitz hash of the flow (key default: Microsoft's) and the
                                queue of a ${RSS_INDIR_SIZE}-entry default indirection table (N default 1)
  trace SCENARIO.json FRAMES.pcap [--nic virtio|veth] [--rps-cpus LIST] [--events] [--costs FILE]
                                each frame's call chain through the modelled kernel, in
                                ftrace function_graph style with CPU, context and time;
                                --nic veth sends from a veth peer, as replay's reference
                                host does (default virtio-net); --rps-cpus 1,2 steers the
                                ingress queue's packets (RPS); --events prints the kernel's
                                tracepoint events instead, as trace_pipe does; --costs
                                takes a profile from rxpath calibrate
  calibrate [--frames N] [--out FILE]
                                (root) measure the receive path's costs on this machine's
                                kernel from tracepoints over veth; --out writes the profile
  gro FRAMES.pcap [--json] [--gro on|off] [--mtu N]
                                the skbs GRO hands to the stack when the frames reach the
                                NAPI polls of a veth (no hash, no checksum offload, weight
                                64, MTU 65535 unless --mtu), a 256-frame ring at a time
  replay SCENARIO.json FRAMES.pcap [--json]
                                each frame's fate (delivered, forwarded, dropped with the
                                kernel's reason) and reply on a host set up from the scenario,
                                then the /proc/net/snmp and iptables rule counters
  packetdrill SCRIPT.pkt [--tolerance_usecs=N] [--tcp_ts_tick_usecs=N] [--ip_version=ipv4]
              [--mss=N] [--local_ip=A] [--remote_ip=A] [--gateway_ip=A] [--netmask_ip=M]
              [--tolerance_percent=N] [--bind_port=N] [--connect_port=N]
              [--tcp_ts_ecr_scaled] [-D NAME=VALUE]...
                                run a packetdrill script against a simulated host (tun0,
                                packetdrill's addresses); silent on success, else
                                packetdrill's message for the first mismatch and exit 1`;

/** A command: its arguments, options, usage line and what it does. */
interface Command {
  /** Positional arguments, by name. */
  args: string[];
  /** Options: a name, whether it takes a value, and whether it may come more than once. */
  options: Record<string, { value: boolean; repeat?: boolean }>;
  /** The usage text, as USAGE shows it. */
  usage: string;
  /** Runs it with the parsed arguments; returns an exit code other than 0 when it fails. */
  run: (a: Parsed, out: (line: string) => void, err: (line: string) => void) => number | void;
}

// A command line that does not fit its command: the message, then the command's usage.
class UsageError extends InputSyntaxError {
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}

// packetdrill's options the CLI passes on by name, each with a value the runner checks
const PACKETDRILL_PASSED_OPTIONS = [
  "mss",
  "local_ip",
  "remote_ip",
  "gateway_ip",
  "netmask_ip",
  "tolerance_percent",
  "bind_port",
  "connect_port",
];

/** A parsed command line: positional arguments and options by name. */
interface Parsed {
  positional: string[];
  options: Map<string, string | true>;
}

// Splits a command's arguments: every option at most once, values where they are needed, the
// positional arguments exactly as many as the command takes.
function parse(name: string, cmd: Command, args: string[]): Parsed {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    if (!a.startsWith("-") || a === "-") {
      positional.push(a);
      continue;
    }
    // --name=value, as packetdrill's options are written
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) {
      args = [...args.slice(0, i), a.slice(0, eq), a.slice(eq + 1), ...args.slice(i + 1)];
      a = args[i];
    }
    const spec = cmd.options[a];
    if (!spec) throw new UsageError(`Cannot run ${name}: unknown option ${a}`, cmd.usage);
    if (options.has(a) && !spec.repeat) {
      throw new InputSyntaxError(`Cannot run ${name}: option ${a} given twice`);
    }
    if (!spec.value) {
      options.set(a, true);
      continue;
    }
    const v = args[++i];
    if (v === undefined || v.startsWith("--")) {
      throw new InputSyntaxError(`Cannot read option ${a}: it needs a value`);
    }
    // a repeated option keeps every value, a line each
    const before = options.get(a);
    options.set(a, typeof before === "string" ? `${before}\n${v}` : v);
  }
  if (positional.length !== cmd.args.length) {
    const what = cmd.args.length ? `give ${cmd.args.join(" and ")}` : "it takes no arguments";
    const found = positional.length > cmd.args.length
      ? `, and ${quoteValue(positional[cmd.args.length])} is one too many`
      : "";
    throw new UsageError(`Cannot run ${name}: ${what}${found}`, cmd.usage);
  }
  return { positional, options };
}

function value(a: Parsed, name: string): string | undefined {
  const v = a.options.get(name);
  return v === true ? undefined : v;
}

function integer(a: Parsed, name: string, min = 0, max = 0x7fffffff): number | undefined {
  const v = value(a, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new InputSyntaxError(
      `Cannot read option ${name}: ${quoteValue(v)} is not a whole number from ${min} to ${max}`,
    );
  }
  return Number(v);
}

/**
 * Reads a file the user named, refusing what is not one: a directory is named as such, and a
 * read that fails (no such file, no permission, an I/O error) is an input error with the path
 * and the system's reason.
 * @param path the path
 * @param what what the file should be, for the message
 * @returns the bytes
 */
function readInput(path: string, what: string): Uint8Array {
  try {
    if (Deno.statSync(path).isDirectory) {
      throw new InputRangeError(`Cannot read ${what} ${path}: it is a directory`);
    }
    return Deno.readFileSync(path);
  } catch (e) {
    if (isInputError(e)) throw e;
    throw new InputRangeError(`Cannot read ${what} ${path}: ${systemReason(e)}`);
  }
}

// The system's words for an I/O failure, without Deno's "readfile '/x'" suffix.
function systemReason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/: (readfile|stat|open) '.*'$/, "");
}

function readScenario(path: string) {
  // a UTF-8 byte order mark at the start is allowed, as most JSON readers allow it
  const text = new TextDecoder().decode(readInput(path, "scenario")).replace(/^\uFEFF/, "");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputSyntaxError(`Cannot read scenario ${path}: ${(e as Error).message}`);
  }
  return loadScenario(json);
}

// Whether a path names a regular file, which can be read more than once (a FIFO cannot).
function isRegularFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false; // streamFrames() says why it cannot be read
  }
}

// The records of a pcap file read as a stream: a capture of any size costs one record's memory,
// and an error comes when the reading reaches its byte.
function* streamFrames(path: string): Generator<PcapRecord, void, void> {
  let file: Deno.FsFile;
  try {
    if (Deno.statSync(path).isDirectory) {
      throw new InputRangeError(`Cannot read pcap file ${path}: it is a directory`);
    }
    file = Deno.openSync(path);
  } catch (e) {
    if (isInputError(e)) throw e;
    throw new InputRangeError(`Cannot read pcap file ${path}: ${systemReason(e)}`);
  }
  const source = {
    readSync(p: Uint8Array): number | null {
      try {
        return file.readSync(p);
      } catch (e) {
        throw new InputRangeError(`Cannot read pcap file ${path}: ${systemReason(e)}`);
      }
    },
  };
  try {
    yield* new PcapReader(source).records();
  } finally {
    file.close();
  }
}

// JSON as Python's json.dumps writes it ("a": 1, [1, 2]), the layout the issue texts and the
// kernel-side tools use; strings are written as JSON.stringify writes them, never changed.
function jsonLine(v: unknown): string {
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (typeof v === "string") return stringText(v);
  if (Array.isArray(v)) {
    let text = "[";
    for (let i = 0; i < v.length; i++) {
      if (i) text += ", ";
      text += v[i] === undefined ? "null" : jsonLine(v[i]);
    }
    return text + "]";
  }
  if (v !== null && typeof v === "object") {
    let text = "{";
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined) continue;
      if (text.length > 1) text += ", ";
      text += keyText(k) + jsonLine(x);
    }
    return text + "}";
  }
  return JSON.stringify(v);
}

// A replay line as jsonLine() writes it, made field by field in the format's order: a replay
// writes a line per frame, and jsonLine()'s walk over the keys took about 3 % of its time.
function replayLineText(l: ReplayLine | ReplaySummary): string {
  if ("summary" in l) return jsonLine(l);
  const end = l.reply === undefined ? "}" : `, "reply": ${stringText(l.reply)}}`;
  // the fate says which field follows (replayStream() pairs them so)
  switch (l.fate) {
    case "delivered":
      return `{"frame": ${l.frame}, "fate": "delivered", "socket": ${l.socket ?? "null"}${end}`;
    case "forwarded":
      return `{"frame": ${l.frame}, "fate": "forwarded", "dev": ${stringText(l.dev)}${end}`;
    case "dropped":
      return `{"frame": ${l.frame}, "fate": "dropped", "reason": ${stringText(l.reason)}${end}`;
  }
}

// A key as jsonLine() writes it, with its colon: the few keys of the kit's lines, made once.
const KEY_TEXT = new Map<string, string>();
function keyText(k: string): string {
  let text = KEY_TEXT.get(k);
  if (text === undefined) KEY_TEXT.set(k, text = `${JSON.stringify(k)}: `);
  return text;
}

// A string value as JSON: the same few (fates, drop reasons, devices, replies) come back line
// after line, so up to 4096 are kept (then the table starts again).
const STRING_TEXT = new Map<string, string>();
function stringText(v: string): string {
  let text = STRING_TEXT.get(v);
  if (text === undefined) {
    if (STRING_TEXT.size >= 4096) STRING_TEXT.clear();
    STRING_TEXT.set(v, text = JSON.stringify(v));
  }
  return text;
}

const COMMANDS: Record<string, Command> = {
  decode: {
    args: ["FRAMES.pcap"],
    options: { "--json": { value: false } },
    usage: "usage: rxpath decode FRAMES.pcap [--json]",
    run: (a, out) => {
      let i = 0;
      for (const r of streamFrames(a.positional[0])) {
        const d = decodeFrame(r.data);
        if (a.options.has("--json")) {
          out(JSON.stringify({ frame: i++, ...d }));
          continue;
        }
        const l4 = d.udp
          ? `UDP ${d.udp.source} > ${d.udp.dest}`
          : d.tcp
          ? `TCP ${d.tcp.source} > ${d.tcp.dest} [${d.tcp.flags}] seq ${d.tcp.seq}`
          : d.icmp
          ? `ICMP type ${d.icmp.type} code ${d.icmp.code}`
          : "";
        const l3 = d.ipv4
          ? `${d.ipv4.saddr} > ${d.ipv4.daddr} ttl ${d.ipv4.ttl} len ${d.ipv4.totLen}`
          : d.arp
          ? d.arp.op === 1
            ? `ARP who-has ${d.arp.tip} tell ${d.arp.sip}`
            : `ARP ${d.arp.sip} is-at ${d.arp.sha}${d.arp.op === 2 ? "" : ` (op ${d.arp.op})`}`
          : "";
        const eth = d.eth
          ? `${d.eth.src} > ${d.eth.dst} type 0x${d.eth.type.toString(16).padStart(4, "0")}`
          : "";
        out(`${i++}: ${d.length} bytes ${[eth, l3, l4].filter(Boolean).join(", ")}`);
        for (const p of d.problems) out(`    ${p.layer} at byte ${p.offset}: ${p.what}`);
      }
    },
  },
  boot: {
    args: [],
    options: { "--cpus": { value: true }, "--hz": { value: true } },
    usage: "usage: rxpath boot [--cpus N] [--hz HZ]",
    run: (a, out) => {
      const host = createHost({
        cpus: integer(a, "--cpus"),
        hz: integer(a, "--hz"),
      });
      for (
        const view of [
          procNetPtype(host),
          procNetProtocols(host),
          procSoftirqs(host),
          procNetSoftnetStat(host),
        ]
      ) {
        out(`==> ${view.title} <==`);
        out(view.text.trimEnd());
      }
    },
  },
  rss: {
    args: [],
    options: Object.fromEntries(
      ["--src", "--dst", "--sport", "--dport", "--key", "--queues", "--json"].map((
        o,
      ) => [o, { value: o !== "--json" }]),
    ),
    usage:
      "usage: rxpath rss --src A --dst B [--sport P --dport Q] [--key HEX] [--queues N] [--json]",
    run: (a, out) => {
      const src = value(a, "--src"), dst = value(a, "--dst");
      if (!src || !dst) throw new InputSyntaxError("Cannot hash: --src and --dst are both needed");
      const sport = integer(a, "--sport", 0, 65535), dport = integer(a, "--dport", 0, 65535);
      if ((sport === undefined) !== (dport === undefined)) {
        throw new InputSyntaxError("Cannot hash ports: give both --sport and --dport, or neither");
      }
      const keyText = value(a, "--key");
      const key = keyText === undefined ? MS_RSS_KEY : parseRssKey(keyText);
      const queues = integer(a, "--queues", 1, RSS_INDIR_SIZE) ?? 1;
      const hashIp = toeplitzHash(key, rssInput(src, dst));
      const hashPorts = sport === undefined
        ? undefined
        : toeplitzHash(key, rssInput(src, dst, [sport, dport!]));
      // A NIC hashes TCP/UDP flows on the 4-tuple and everything else on addresses only.
      const queue = rssQueue(rxfhIndirDefault(RSS_INDIR_SIZE, queues), hashPorts ?? hashIp);
      const hex = (h: number) => "0x" + h.toString(16).padStart(8, "0");
      if (a.options.has("--json")) {
        out(
          jsonLine({
            hash_ip: hex(hashIp),
            ...(hashPorts === undefined ? {} : { hash_ip_ports: hex(hashPorts) }),
            queue,
          }),
        );
        return;
      }
      out(`hash over addresses:         ${hex(hashIp)}`);
      if (hashPorts !== undefined) out(`hash over addresses + ports: ${hex(hashPorts)}`);
      out(`queue: ${queue} of ${queues} (indir[hash & ${RSS_INDIR_SIZE - 1}], default table)`);
    },
  },
  trace: {
    args: ["SCENARIO.json", "FRAMES.pcap"],
    options: {
      "--rps-cpus": { value: true },
      "--nic": { value: true },
      "--events": { value: false },
      "--costs": { value: true },
    },
    usage:
      "usage: rxpath trace SCENARIO.json FRAMES.pcap [--nic virtio|veth] [--rps-cpus LIST] [--events] [--costs FILE]",
    run: (a, out) => {
      const nic = value(a, "--nic") ?? "virtio";
      if (nic !== "virtio" && nic !== "veth") {
        throw new InputSyntaxError(
          `Cannot read option --nic: ${quoteValue(nic)} is not virtio or veth`,
        );
      }
      const rpsText = value(a, "--rps-cpus");
      const rpsCpus = rpsText === undefined ? [] : rpsText.split(",").map((c) => {
        if (!/^\d+$/.test(c) || Number(c) > 63) {
          throw new InputSyntaxError(
            `Cannot read option --rps-cpus: ${quoteValue(rpsText)} is not a list of CPU numbers`,
          );
        }
        return Number(c);
      });
      const scenario = readScenario(a.positional[0]);
      // a first pass reads the whole capture, so a broken one fails before any output and the
      // header can say how many frames there are; the second streams them into the host. A
      // pipe cannot be read twice: its frames are kept from the first pass instead.
      const path = a.positional[1];
      let count = 0;
      const kept: PcapRecord[] | undefined = isRegularFile(path) ? undefined : [];
      for (const r of streamFrames(path)) {
        count++;
        kept?.push(r);
      }
      const showEvents = a.options.has("--events");
      const costsPath = value(a, "--costs");
      const costs = costsPath === undefined ? undefined : costOverrides(
        new TextDecoder().decode(readInput(costsPath, "cost profile")),
        costsPath,
      );
      traceText(
        scenario,
        kept ?? streamFrames(path),
        count,
        { nic, rpsCpus, showEvents, costs },
        out,
      );
    },
  },
  calibrate: {
    args: [],
    options: { "--frames": { value: true }, "--out": { value: true } },
    usage: "usage: rxpath calibrate [--frames N] [--out FILE]",
    run: (a, out) => {
      const profile = calibrate(integer(a, "--frames", 20, 100_000) ?? 400);
      out(`# ${profile.kernel} on ${profile.cpu}, ${profile.date}`);
      out(`# ${profile.method}`);
      out(
        `${"step".padEnd(20)} ${"ns".padStart(7)}  ${"IQR, ns".padEnd(15)} ${
          "n".padStart(5)
        }  method`,
      );
      for (const [step, c] of Object.entries(profile.costs)) {
        const iqr = `${Math.round(c!.iqr[0])}-${Math.round(c!.iqr[1])}`;
        out(
          `${step.padEnd(20)} ${String(Math.round(c!.ns)).padStart(7)}  ${iqr.padEnd(15)} ${
            String(c!.n).padStart(5)
          }  ${c!.method}`,
        );
      }
      const path = value(a, "--out");
      if (path) Deno.writeTextFileSync(path, JSON.stringify(profile, null, 2) + "\n");
    },
  },
  gro: {
    args: ["FRAMES.pcap"],
    options: { "--json": { value: false }, "--gro": { value: true }, "--mtu": { value: true } },
    usage: "usage: rxpath gro FRAMES.pcap [--json] [--gro on|off] [--mtu N]",
    run: (a, out) => {
      const setting = value(a, "--gro") ?? "on";
      if (setting !== "on" && setting !== "off") {
        throw new InputSyntaxError(
          `Cannot read option --gro: ${quoteValue(setting)} is not on or off`,
        );
      }
      const mtu = integer(a, "--mtu", 68, 65535);
      const frames = function* () {
        for (const r of streamFrames(a.positional[0])) yield r.data;
      };
      groStream(frames(), { gro: setting === "on", mtu }, (line) => {
        if (a.options.has("--json")) out(jsonLine(line));
        else {
          out(
            `frames ${
              line.frames.join(",")
            }: ip_len ${line.ip_len}, payload ${line.payload}, segs ${line.segs}, gso_size ${line.gso_size}`,
          );
        }
      });
    },
  },
  replay: {
    args: ["SCENARIO.json", "FRAMES.pcap"],
    options: { "--json": { value: false }, "--show": { value: true } },
    usage: `usage: rxpath replay SCENARIO.json FRAMES.pcap [--json] [--show VIEW[,VIEW...]]\n` +
      `  views: ${Object.keys(HOST_VIEWS).join(", ")}`,
    run: (a, out) => {
      const scenario = readScenario(a.positional[0]);
      const records = streamFrames(a.positional[1]);
      // the views to print after the replay, checked before it runs
      const shown = (value(a, "--show") ?? "").split(",").filter(Boolean).map((name) => {
        const view = HOST_VIEWS[name];
        if (!view) {
          throw new InputRangeError(
            `Cannot run replay: --show: no view ${quoteValue(name)} (views: ${
              Object.keys(HOST_VIEWS).join(", ")
            })`,
          );
        }
        return view;
      });
      let sh: ScenarioHost;
      if (a.options.has("--json")) {
        sh = replayStream(scenario, records, (l) => out(replayLineText(l)));
      } else {
        const table = new ReplayTable(scenario);
        sh = replayStream(scenario, records, (l) => table.add(l));
        for (const line of table.lines()) out(line);
      }
      for (const view of shown) {
        out(`==> ${view.command} <==`);
        out(view.render(sh.host).text.trimEnd());
      }
    },
  },
  packetdrill: {
    args: ["SCRIPT.pkt"],
    options: {
      "--tolerance_usecs": { value: true },
      "--tcp_ts_tick_usecs": { value: true },
      "--ip_version": { value: true },
      ...Object.fromEntries(PACKETDRILL_PASSED_OPTIONS.map((o) => [`--${o}`, { value: true }])),
      "--tcp_ts_ecr_scaled": { value: false },
      "-D": { value: true, repeat: true },
    },
    usage:
      "usage: rxpath packetdrill SCRIPT.pkt [--tolerance_usecs=N] [--tcp_ts_tick_usecs=N] [--ip_version=ipv4] [--mss=N] [--local_ip=A] [--remote_ip=A] [--gateway_ip=A] [--netmask_ip=M] [--tolerance_percent=N] [--bind_port=N] [--connect_port=N] [--tcp_ts_ecr_scaled] [-D NAME=VALUE]...",
    run: (a, out, err) => {
      const path = a.positional[0];
      const source = new TextDecoder().decode(readInput(path, "packetdrill script"));
      const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
      const r = runPacketdrill(source, path.slice(dir.length), {
        toleranceUsecs: integer(a, "--tolerance_usecs", 1),
        tcpTsTickUsecs: integer(a, "--tcp_ts_tick_usecs", 0),
        ipVersion: value(a, "--ip_version"),
        options: {
          ...Object.fromEntries(
            PACKETDRILL_PASSED_OPTIONS.flatMap((o) => {
              const v = value(a, `--${o}`);
              return v === undefined ? [] : [[o, v]];
            }),
          ),
          ...(a.options.has("--tcp_ts_ecr_scaled") ? { tcp_ts_ecr_scaled: "" } : {}),
        },
        defines: Object.fromEntries(
          (value(a, "-D")?.split("\n") ?? []).map((d) => {
            const eq = d.indexOf("=");
            if (eq <= 0) {
              throw new InputSyntaxError(
                `Cannot read option -D: ${quoteValue(d)} is not NAME=VALUE`,
              );
            }
            return [d.slice(0, eq), d.slice(eq + 1)];
          }),
        ),
        readFile: (file) =>
          new TextDecoder().decode(readInput(`${dir}${file}`, "file the script runs")),
      });
      // what the script's Python printed, as python3 prints it to packetdrill's stdout
      for (const line of r.output) out(line);
      if (r.ok) return 0;
      err(r.error!.trimEnd());
      return 1;
    },
  },
};

/** Exit code of a run whose input was wrong (usage, a bad file or value). */
export const EXIT_INPUT = 2;
/** Exit code of a run the kit itself failed: a bug, reported with its stack (EX_SOFTWARE). */
export const EXIT_BUG = 70;
/** Exit code of a run that could not write its output (EX_IOERR). */
export const EXIT_OUTPUT = 74;
/** Exit code when the reader of the output went away (128 + SIGPIPE, as a killed C tool). */
export const EXIT_PIPE = 141;

/** Thrown by an output function whose reader has gone: the run stops at once. */
export class OutputClosed extends Error {}

/** Thrown by an output function whose write failed (a full disk, /dev/full). */
export class OutputWriteError extends Error {}

/**
 * Runs one command line. A command's `--help` or `-h` prints its usage; no command prints the
 * whole usage and fails. Input errors are one line on `err` (exit 2); a failed write of the
 * output exits 74, a closed pipe 141 without a word; anything else is a bug in the kit, reported
 * with its stack (exit 70).
 * @param args the arguments after the program name
 * @param out where output lines go, default stdout
 * @param err where error messages go, default stderr
 * @returns the exit code
 */
export function main(
  args: string[],
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): number {
  const [name, ...rest] = args;
  try {
    if (name === undefined) {
      err(USAGE);
      return EXIT_INPUT;
    }
    if (name === "help" || name === "--help" || name === "-h") {
      if (rest.length) throw new InputSyntaxError(`Cannot run help: it takes no arguments`);
      out(USAGE);
      return 0;
    }
    const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!cmd) {
      throw new InputSyntaxError(`Cannot run ${quoteValue(name)}: unknown command\n${USAGE}`);
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      out(cmd.usage);
      return 0;
    }
    return cmd.run(parse(name, cmd, rest), out, err) ?? 0;
  } catch (e) {
    if (e instanceof OutputClosed) return EXIT_PIPE;
    if (isInputError(e)) {
      err(`rxpath: ${(e as Error).message}`);
      if (e instanceof UsageError) err(e.usage);
      return EXIT_INPUT;
    }
    if (e instanceof OutputWriteError) {
      err(`rxpath: cannot write the output: ${e.message}`);
      return EXIT_OUTPUT;
    }
    err(`rxpath: internal error, a bug in rxpath (please report it with this message):`);
    err(e instanceof Error ? e.stack ?? e.message : String(e));
    return EXIT_BUG;
  }
}

// Standard output in large writes; a reader that has gone (EPIPE) stops the run, any other write
// failure is reported as one line.
class StdoutLines {
  #chunks: string[] = [];
  #size = 0;
  #encoder = new TextEncoder();

  line(text: string): void {
    this.#chunks.push(text, "\n");
    this.#size += text.length + 1;
    if (this.#size >= 1 << 16) this.flush();
  }

  flush(): void {
    const bytes = this.#encoder.encode(this.#chunks.join(""));
    this.#chunks = [];
    this.#size = 0;
    try {
      for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
    } catch (e) {
      if (e instanceof Deno.errors.BrokenPipe) throw new OutputClosed("stdout closed");
      throw new OutputWriteError(systemReason(e));
    }
  }
}

if (import.meta.main) {
  const stdout = new StdoutLines();
  let code = main(Deno.args, (l) => stdout.line(l));
  try {
    stdout.flush();
  } catch (e) {
    if (e instanceof OutputClosed) code = EXIT_PIPE;
    else if (e instanceof OutputWriteError) {
      console.error(`rxpath: cannot write the output: ${e.message}`);
      code = EXIT_OUTPUT;
    } else throw e;
  }
  Deno.exit(code);
}
