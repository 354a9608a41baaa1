// The scale cases of `deno task bench`: captures of 100k and 1M frames written to a temporary
// directory, each case run by the CLI in a child process that reports its wall time and peak
// RSS, and a 5 GB pcap streamed through a FIFO.
import { buildFrame, type FrameSpec } from "../../lib/wire/build.ts";
import { PCAP_RECORD_HEADER_LEN, pcapRecords, writePcap } from "../../lib/wire/pcap.ts";
import { ICMP_ECHO } from "../../lib/wire/icmp.ts";

const HERE = new URL(".", import.meta.url).pathname;
const MAC = "02:00:00:00:00:02";

/** The one-socket host of the UDP replays: eth0 10.1.0.2/24, a UDP socket on port 5000. */
export const UDP_SCENARIO = {
  ingress: "eth0",
  interfaces: [{ name: "eth0", mac: MAC, addrs: ["10.1.0.2/24"], mtu: 1500 }],
  sockets: [{ proto: "udp", local: "0.0.0.0:5000" }],
};

const udp = (dest: number, saddr = "10.1.0.7"): FrameSpec => ({
  eth: { dst: MAC },
  ipv4: { saddr, daddr: "10.1.0.2" },
  udp: { source: 6000, dest },
  payload: 32,
});

/** The mix, one frame of each kind in turn, on the scenario-format example host
 * (../shared/scenario-format.md), named by what the host does with it. The SYN is the same each
 * time: its request answers it again at most once per tcp_invalid_ratelimit. Linux 6.18's fates
 * for four rounds of it are replay case bench_mix (tests/golden/linux-6.18/replay/). */
export const MIX: { kind: string; spec: FrameSpec }[] = [
  { kind: "delivered to a UDP socket", spec: udp(5000) },
  { kind: "dropped by an INPUT rule", spec: udp(7000, "10.1.0.9") },
  { kind: "no socket: port unreachable", spec: udp(9999) },
  {
    kind: "echo request: echo reply",
    spec: {
      eth: { dst: MAC },
      ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
      icmp: { type: ICMP_ECHO, id: 7, sequence: 1 },
      payload: 32,
    },
  },
  {
    kind: "forwarded",
    spec: {
      eth: { dst: MAC },
      ipv4: { saddr: "10.1.0.7", daddr: "10.9.1.1" },
      udp: { source: 1, dest: 2 },
    },
  },
  {
    kind: "TTL 1 to forward: time exceeded",
    spec: {
      eth: { dst: MAC },
      ipv4: { saddr: "10.1.0.7", daddr: "10.9.1.1", ttl: 1 },
      udp: { source: 1, dest: 2 },
    },
  },
  {
    kind: "bad IP checksum",
    spec: { ...udp(5000), ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2", check: 1 } },
  },
  {
    kind: "SYN to a listener, again: SYN-ACK per 500 ms",
    spec: {
      eth: { dst: MAC },
      ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
      tcp: { source: 40000, dest: 80, flags: "S", seq: 1 },
    },
  },
  {
    kind: "SYN to a closed port: RST",
    spec: {
      eth: { dst: MAC },
      ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
      tcp: { source: 40001, dest: 81, flags: "S", seq: 1 },
    },
  },
];

/** The scenario the mixed replays run on. */
export const MIX_SCENARIO_PATH = `${HERE}../golden/linux-6.18/replay/format_example.json`;

/** A temporary directory with the captures and scenarios the cases read. */
export function writeFixtures(): string {
  const dir = Deno.makeTempDirSync({ prefix: "rxpath-bench-" });
  Deno.writeTextFileSync(`${dir}/udp.json`, JSON.stringify(UDP_SCENARIO));
  Deno.copyFileSync(MIX_SCENARIO_PATH, `${dir}/mix.json`);
  const udpFrame = buildFrame(udp(5000));
  const mixFrames = MIX.map((m) => buildFrame(m.spec));
  for (const n of [10_000, 100_000, 1_000_000]) {
    writeFrames(`${dir}/udp-${n}.pcap`, n, () => udpFrame);
    writeFrames(`${dir}/mix-${n}.pcap`, n, (i) => mixFrames[i % mixFrames.length]);
  }
  const segment = (i: number) =>
    buildFrame({
      eth: { dst: MAC },
      ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2", id: i & 0xffff },
      tcp: { source: 40000, dest: 80, flags: "A", seq: 1 + i * 100 },
      payload: 100,
    });
  writeFrames(`${dir}/tcp-1000000.pcap`, 1_000_000, segment);
  return dir;
}

// A pcap of n frames 2 us apart, written 10k records at a time.
function writeFrames(path: string, n: number, frame: (i: number) => Uint8Array): void {
  const file = Deno.openSync(path, { write: true, create: true, truncate: true });
  for (let i = 0; i < n; i += 10_000) {
    const records = pcapRecords(
      Array.from({ length: Math.min(10_000, n - i) }, (_, k) => frame(i + k)),
      2_000n,
    ).map((r, k) => ({ ...r, tsNs: BigInt(i + k) * 2_000n }));
    const bytes = writePcap(records);
    file.writeSync(i === 0 ? bytes : bytes.subarray(24));
  }
  file.close();
}

/** What a case's child process reports. */
export interface CaseResult {
  /** Wall time of the command, ms. */
  ms: number;
  /** Peak resident memory of the process (VmHWM), MB. */
  peakMB: number;
  /** Lines the command printed. */
  lines: number;
  /** Its exit code. */
  code: number;
  /** Its error message, for a run that failed. */
  error: string;
}

/**
 * Runs one CLI command in a child process and reports its time and peak memory.
 * @param args the command line after `rxpath`
 * @returns what the child measured
 */
export async function runCase(args: string[]): Promise<CaseResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${HERE}scale_child.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!text.startsWith("{")) {
    throw new Error(`rxpath ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text);
}

/** Bytes in the streamed capture: 5 GB. */
export const STREAM_BYTES = 5_000_000_000;

/**
 * Decodes a 5 GB capture of 9014-byte frames that never touches the disk: the bench writes it
 * into a FIFO while `rxpath decode` reads it.
 * @returns what the reading child measured
 */
export async function streamCase(): Promise<CaseResult> {
  const dir = Deno.makeTempDirSync({ prefix: "rxpath-fifo-" });
  const fifo = `${dir}/5GB.pcap`;
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  const child = runCase(["decode", fifo]);
  const frame = buildFrame({
    eth: { dst: MAC },
    ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
    udp: { source: 1, dest: 2 },
    payload: 9014 - 42,
  });
  const chunk = writePcap(pcapRecords(new Array(100).fill(frame), 1_000n)).subarray(24);
  const file = await Deno.open(fifo, { write: true });
  await file.write(writePcap([]));
  const perChunk = 100 * (PCAP_RECORD_HEADER_LEN + frame.length);
  for (let sent = 0; sent + perChunk <= STREAM_BYTES; sent += perChunk) {
    for (let off = 0; off < chunk.length;) off += await file.write(chunk.subarray(off));
  }
  file.close();
  const result = await child;
  Deno.removeSync(dir, { recursive: true });
  return result;
}
