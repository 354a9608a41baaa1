/**
 * The rxpath command line: `deno task rxpath <command> ...`.
 *
 * - `decode FRAMES.pcap [--json]`: every frame's layers and problems, with byte offsets.
 * - `boot [--cpus N] [--hz HZ]`: boot a host and print its /proc views.
 * - `rss --src A --dst B [--sport P --dport Q] [--key HEX] [--queues N] [--json]`: the RSS
 *   Toeplitz hash of a flow and the RX queue it selects.
 * - `trace SCENARIO.json FRAMES.pcap [--rps-cpus LIST]`: each frame's path through the modelled
 *   kernel, as an ftrace function_graph call chain with CPU, context and time.
 * - `gro FRAMES.pcap [--json] [--gro off]`: what GRO hands to the stack when all frames reach
 *   one NAPI poll of a veth, one skb a line.
 * - `replay SCENARIO.json FRAMES.pcap [--json]`: what a host set up from the scenario does with
 *   every frame (../shared/scenario-format.md), then its SNMP and rule counters.
 *
 * @example
 * ```ts
 * import { main } from "@rxpath/rxpath/cli";
 * main(["boot", "--cpus", "1"]);
 * ```
 *
 * @module
 */

import { decodeFrame } from "./wire/decode.ts";
import { readPcap } from "./wire/pcap.ts";
import { createHost } from "./init/main.ts";
import { procNetProtocols } from "./proc/protocols.ts";
import { procNetPtype, procNetSoftnetStat } from "./proc/net_procfs.ts";
import { procSoftirqs } from "./proc/softirqs.ts";
import { loadScenario } from "./scenario/scenario.ts";
import { runGro } from "./experiments/gro.ts";
import { replay } from "./scenario/replay.ts";
import { replayTable } from "./scenario/replay_table.ts";
import { traceFrames } from "./scenario/trace.ts";
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
  trace SCENARIO.json FRAMES.pcap [--rps-cpus LIST]
                                each frame's call chain through the modelled kernel, in
                                ftrace function_graph style with CPU, context and time;
                                --rps-cpus 1,2 steers the ingress queue's packets (RPS)
  gro FRAMES.pcap [--json] [--gro on|off]
                                the skbs GRO hands to the stack when the frames reach one
                                NAPI poll of a veth (no hash, no checksum offload, weight 64)
  replay SCENARIO.json FRAMES.pcap [--json]
                                each frame's fate (delivered, forwarded, dropped with the
                                kernel's reason) and reply on a host set up from the scenario,
                                then the /proc/net/snmp and iptables rule counters`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) {
    throw new SyntaxError(`Cannot read option ${name}: it needs a value`);
  }
  return v;
}

function integer(args: string[], name: string): number | undefined {
  const v = option(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) {
    throw new SyntaxError(`Cannot read option ${name}: "${v}" is not a whole number`);
  }
  return Number(v);
}

function checkOptions(args: string[], known: string[]): void {
  for (const a of args) {
    if (a.startsWith("--") && !known.includes(a)) {
      throw new SyntaxError(`Cannot run: unknown option ${a}`);
    }
  }
}

function decode(args: string[], out: (line: string) => void): void {
  checkOptions(args, ["--json"]);
  const path = args.find((a) => !a.startsWith("--"));
  if (!path) throw new SyntaxError("Cannot decode: no pcap file given");
  const file = readPcap(Deno.readFileSync(path));
  file.records.forEach((r, i) => {
    const d = decodeFrame(r.data);
    if (args.includes("--json")) {
      out(JSON.stringify({ frame: i, ...d }));
      return;
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
      : "";
    const eth = d.eth
      ? `${d.eth.src} > ${d.eth.dst} type 0x${d.eth.type.toString(16).padStart(4, "0")}`
      : "";
    out(`${i}: ${d.length} bytes ${[eth, l3, l4].filter(Boolean).join(", ")}`);
    for (const p of d.problems) out(`    ${p.layer} at byte ${p.offset}: ${p.what}`);
  });
}

function boot(args: string[], out: (line: string) => void): void {
  checkOptions(args, ["--cpus", "--hz"]);
  const host = createHost({ cpus: integer(args, "--cpus"), hz: integer(args, "--hz") });
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
}

function rss(args: string[], out: (line: string) => void): void {
  checkOptions(args, ["--src", "--dst", "--sport", "--dport", "--key", "--queues", "--json"]);
  const src = option(args, "--src"), dst = option(args, "--dst");
  if (!src || !dst) throw new SyntaxError("Cannot hash: --src and --dst are both needed");
  const sport = integer(args, "--sport"), dport = integer(args, "--dport");
  if ((sport === undefined) !== (dport === undefined)) {
    throw new SyntaxError("Cannot hash ports: give both --sport and --dport, or neither");
  }
  const keyText = option(args, "--key");
  const key = keyText === undefined ? MS_RSS_KEY : parseRssKey(keyText);
  const queues = integer(args, "--queues") ?? 1;
  const hashIp = toeplitzHash(key, rssInput(src, dst));
  const hashPorts = sport === undefined
    ? undefined
    : toeplitzHash(key, rssInput(src, dst, [sport, dport!]));
  // A NIC hashes TCP/UDP flows on the 4-tuple and everything else on addresses only.
  const queue = rssQueue(rxfhIndirDefault(RSS_INDIR_SIZE, queues), hashPorts ?? hashIp);
  const hex = (h: number) => "0x" + h.toString(16).padStart(8, "0");
  if (args.includes("--json")) {
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
}

function trace(args: string[], out: (line: string) => void): void {
  checkOptions(args, ["--rps-cpus"]);
  const rpsText = option(args, "--rps-cpus");
  const rpsCpus = rpsText === undefined ? [] : rpsText.split(",").map((c) => {
    if (!/^\d+$/.test(c)) {
      throw new SyntaxError(
        `Cannot read option --rps-cpus: "${rpsText}" is not a list of CPU numbers`,
      );
    }
    return Number(c);
  });
  const [scenarioPath, pcapPath, extra] = args.filter((a, i) =>
    !a.startsWith("--") && args[i - 1] !== "--rps-cpus"
  );
  if (!scenarioPath || !pcapPath || extra) {
    throw new SyntaxError("Cannot trace: give SCENARIO.json and FRAMES.pcap");
  }
  const scenario = readScenario(scenarioPath);
  const records = readPcap(Deno.readFileSync(pcapPath)).records;
  for (const line of traceFrames(scenario, records, { rpsCpus })) out(line);
}

function readScenario(path: string) {
  let json: unknown;
  try {
    json = JSON.parse(Deno.readTextFileSync(path));
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new SyntaxError(`Cannot read scenario ${path}: ${e.message}`);
    }
    throw e;
  }
  return loadScenario(json);
}

function replayCommand(args: string[], out: (line: string) => void): void {
  checkOptions(args, ["--json"]);
  const [scenarioPath, pcapPath, extra] = args.filter((a) => !a.startsWith("--"));
  if (!scenarioPath || !pcapPath || extra) {
    throw new SyntaxError("Cannot replay: give SCENARIO.json and FRAMES.pcap");
  }
  const scenario = readScenario(scenarioPath);
  const lines = replay(scenario, readPcap(Deno.readFileSync(pcapPath)).records);
  if (args.includes("--json")) {
    for (const l of lines) out(jsonLine(l));
    return;
  }
  out(replayTable(scenario, lines));
}

function gro(args: string[], out: (line: string) => void): void {
  checkOptions(args, ["--json", "--gro"]);
  const setting = option(args, "--gro") ?? "on";
  if (setting !== "on" && setting !== "off") {
    throw new SyntaxError(`Cannot read option --gro: "${setting}" is not on or off`);
  }
  const path = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--gro");
  if (!path) throw new SyntaxError("Cannot run gro: no pcap file given");
  const frames = readPcap(Deno.readFileSync(path)).records.map((r) => r.data);
  for (const line of runGro(frames, { gro: setting === "on" })) {
    if (args.includes("--json")) out(jsonLine(line));
    else {
      out(
        `frames ${
          line.frames.join(",")
        }: ip_len ${line.ip_len}, payload ${line.payload}, segs ${line.segs}, gso_size ${line.gso_size}`,
      );
    }
  }
}

// JSON as Python's json.dumps writes it ("a": 1, [1, 2]), the layout the issue texts and the
// kernel-side tools use.
function jsonLine(v: unknown): string {
  return JSON.stringify(v).replace(/":/g, '": ').replace(/,(?=["\d\[{-])/g, ", ");
}

/**
 * Runs one command line; errors in the input are reported on stderr with exit code 2.
 * @param args the arguments after the program name
 * @param out where output lines go, default stdout
 * @param err where error messages go, default stderr
 * @returns the exit code: 0 on success, 2 on bad input
 */
export function main(
  args: string[],
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): number {
  const [command, ...rest] = args;
  try {
    if (command === "decode") decode(rest, out);
    else if (command === "boot") boot(rest, out);
    else if (command === "rss") rss(rest, out);
    else if (command === "trace") trace(rest, out);
    else if (command === "gro") gro(rest, out);
    else if (command === "replay") replayCommand(rest, out);
    else if (command === undefined || command === "help" || command === "--help") out(USAGE);
    else throw new SyntaxError(`Cannot run "${command}": unknown command\n${USAGE}`);
    return 0;
  } catch (e) {
    if (
      e instanceof SyntaxError || e instanceof RangeError || e instanceof TypeError ||
      e instanceof Deno.errors.NotFound
    ) {
      err(`rxpath: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(main(Deno.args));
