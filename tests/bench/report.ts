// `deno task bench`'s table: the UDP flood against a bare loop over the same frames (ratios taken
// in one run, so they mean something on a noisy machine), the flood's events and heap bytes per
// packet, and the scale cases — 1M-frame replays, a 1M-frame gro, a 100k-frame trace and a 5 GB
// pcap streamed — each in a child process that reports its wall time and peak RSS; then what
// each kind of the mixed replay's frames costs.
import { bareLoop, FLOOD_PACKETS, simulateFlood } from "./flood.ts";
import { type CaseResult, runCase, STREAM_BYTES, streamCase, writeFixtures } from "./scale.ts";
import { KIND_FRAMES, measureMixKinds } from "./mix_kinds.ts";

const HERE = new URL(".", import.meta.url).pathname;
const rows: string[][] = [["case", "measured", "target", "met"]];
const row = (what: string, measured: string, target: string, met?: boolean) =>
  rows.push([what, measured, target, met === undefined ? "" : met ? "yes" : "NO"]);
const fmt = (n: number) => Math.round(n).toLocaleString("en");
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(fn: () => unknown, repeat: number): number {
  const t0 = performance.now();
  for (let i = 0; i < repeat; i++) fn();
  return (performance.now() - t0) / repeat;
}

// The flood and the bare loop, interleaved so that both see the same machine, each measured once
// V8 has compiled it: the first three floods of a process run up to 3x slower (measured).
const { events } = simulateFlood();
for (let i = 0; i < 4; i++) simulateFlood();
for (let i = 0; i < 50; i++) bareLoop();
const simMs: number[] = [], bareMs: number[] = [];
for (let i = 0; i < 9; i++) {
  simMs.push(time(simulateFlood, 1));
  bareMs.push(time(bareLoop, 50));
}
const pps = FLOOD_PACKETS / (median(simMs) / 1000);
const barePps = FLOOD_PACKETS / (median(bareMs) / 1000);
row(
  "UDP flood end to end, 1 CPU, tracing off",
  `${fmt(pps)} packets/s`,
  ">= 500,000 packets/s",
  pps >= 500_000,
);
row(
  "  bare loop (Eth/IPv4/UDP parse + Map lookup)",
  `${fmt(barePps)} packets/s`,
  "",
);
row(
  "  ratio to the bare loop",
  `${(100 * pps / barePps).toFixed(2)} %`,
  ">= 3 %",
  pps / barePps >= 0.03,
);
row("  events per packet", (events / FLOOD_PACKETS).toFixed(2), "");

// Heap bytes per packet: a young generation so large that no collection runs while measuring.
const alloc = await new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    "--v8-flags=--min-semi-space-size=512,--max-semi-space-size=512,--trace-gc",
    `${HERE}alloc_child.ts`,
  ],
  stdout: "piped",
}).output();
const allocText = new TextDecoder().decode(alloc.stdout);
const measured = allocText.slice(
  allocText.indexOf("MEASURE-START"),
  allocText.indexOf("MEASURE-END"),
);
const bytes = JSON.parse(allocText.split("\n").find((l) => l.startsWith("{"))!).bytesPerPacket;
row(
  "  heap bytes allocated per packet",
  measured.includes("ms: ") ? "(a GC ran: not measured)" : fmt(bytes),
  "",
);

const dir = writeFixtures();
const cli = (...args: string[]) => runCase(args.map((a) => a.replace("@", `${dir}/`)));
const timed = (r: CaseResult) => `${(r.ms / 1000).toFixed(2)} s, ${r.peakMB} MB peak`;
// the median of three runs: one run's time moves by up to ±5 % on a shared VM, and a target is
// judged on the middle one
const medianRun = async (...args: string[]) => {
  const runs = [await cli(...args), await cli(...args), await cli(...args)];
  return runs.sort((a, b) => a.ms - b.ms)[1];
};
for (const kind of ["udp", "mix"]) {
  const small = await cli("replay", `@${kind}.json`, `@${kind}-100000.pcap`, "--json");
  const big = await medianRun("replay", `@${kind}.json`, `@${kind}-1000000.pcap`, "--json");
  const what = kind === "udp" ? "into one socket" : "mixed: drops, forwards, replies";
  row(`replay 100k frames, ${what}`, timed(small), "");
  row(
    `replay 1M frames, ${what} (median of 3)`,
    timed(big),
    "< 3 s, < 500 MB",
    big.ms < 3000 && big.peakMB < 500,
  );
  row("  1M / 100k", `${(big.ms / small.ms).toFixed(1)}x`, "<= 11x", big.ms / small.ms <= 11);
}
const gro = await cli("gro", "@tcp-1000000.pcap", "--json");
row(
  "gro 1M TCP segments",
  `${timed(gro)}, ${fmt(gro.lines)} skbs`,
  "every frame, < 500 MB",
  gro.peakMB < 500,
);
const trace10k = await cli("trace", "@udp.json", "@udp-10000.pcap", "--nic", "veth");
const trace100k = await cli("trace", "@udp.json", "@udp-100000.pcap", "--nic", "veth");
row("trace 10k frames", timed(trace10k), "");
row("trace 100k frames", timed(trace100k), "");
row(
  "  100k / 10k",
  `${(trace100k.ms / trace10k.ms).toFixed(1)}x`,
  "<= 11x (linear)",
  trace100k.ms / trace10k.ms <= 11,
);
Deno.removeSync(dir, { recursive: true });
const stream = await streamCase();
row(
  `decode a ${STREAM_BYTES / 1e9} GB pcap from a FIFO`,
  `${timed(stream)}, ${fmt(stream.lines)} lines`,
  "constant memory (< 500 MB)",
  stream.peakMB < 500,
);
const zero = await runCase(["decode", "/dev/zero"]);
row(
  "decode /dev/zero",
  `${timed(zero)}, exit ${zero.code} (below)`,
  "the error at byte 0, at once",
  zero.code === 2 && zero.error.includes("byte 0"),
);
printTable(rows);
console.log(`\ndecode /dev/zero said: ${zero.error}`);

// The mixed replay's frames by kind, for where its time goes.
const kinds = measureMixKinds();
const delivered = kinds[0].us;
console.log(
  `\nthe mixed replay's kinds, each replayed alone (${fmt(KIND_FRAMES)} frames from memory, no ` +
    "pcap, no lines; median of 9):",
);
printTable([
  ["kind", "us per frame", "to a delivered frame"],
  ...kinds.map((k) => [k.kind, k.us.toFixed(2), `${(k.us / delivered).toFixed(2)}x`]),
]);

function printTable(table: string[][]): void {
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  for (const r of table) console.log(r.map((x, c) => x.padEnd(widths[c])).join("  ").trimEnd());
}
