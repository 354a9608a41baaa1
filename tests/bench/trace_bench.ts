// deno bench: `rxpath trace` over 1k and 10k frames; linear tracing makes the second about ten
// times the first (each frame's graph is found by binary search in the time-ordered records).
import { loadScenario } from "../../lib/scenario/scenario.ts";
import { traceFrames } from "../../lib/scenario/trace.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { pcapRecords } from "../../lib/wire/pcap.ts";

const scenario = loadScenario({
  ingress: "eth0",
  interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }],
  sockets: [{ proto: "udp", local: "0.0.0.0:5000" }],
});
const frame = buildFrame({
  eth: { dst: "02:00:00:00:00:02" },
  ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
  udp: { source: 6000, dest: 5000 },
  payload: 32,
});

Deno.bench("trace 1k frames", { group: "trace", baseline: true }, () => {
  traceFrames(scenario, pcapRecords(new Array(1_000).fill(frame), 0n));
});

Deno.bench("trace 10k frames", { group: "trace" }, () => {
  traceFrames(scenario, pcapRecords(new Array(10_000).fill(frame), 0n));
});
