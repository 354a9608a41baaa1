// /proc views against text read off a real x86-64 Linux 6.18.44 host (tests/golden/linux-6.18).
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { devAddPack } from "../../lib/core/dev.ts";
import { ETH_P_ALL } from "../../lib/wire/ethernet.ts";
import { procNetPtype, procNetSoftnetStat } from "../../lib/proc/net_procfs.ts";
import { procNetProtocols } from "../../lib/proc/protocols.ts";
import { procSoftirqs } from "../../lib/proc/softirqs.ts";
import { procStat, USER_HZ } from "../../lib/proc/stat.ts";

const golden = (name: string) =>
  Deno.readTextFileSync(new URL(`../golden/linux-6.18/${name}`, import.meta.url));
const noop = function* () {};

Deno.test("procNetPtype() matches /proc/net/ptype of a 6.18 host with the same handlers", () => {
  const host = createHost();
  // the real host also registered llc_rcv (LLC, type 0x0004)
  devAddPack(host, { type: 0x0004, dev: null, name: "llc_rcv", func: noop });
  assert.equal(procNetPtype(host).text, golden("proc_net_ptype.txt"));
});

Deno.test("procNetPtype() lists device taps, then global taps, then ptype_base, as 6.18 does", () => {
  const host = createHost();
  devAddPack(host, { type: 0x0004, dev: null, name: "llc_rcv", func: noop });
  // registered global first, device second: the listing order does not follow registration
  devAddPack(host, { type: ETH_P_ALL, dev: null, name: "tpacket_rcv", func: noop });
  devAddPack(host, { type: ETH_P_ALL, dev: host.devices[0], name: "tpacket_rcv", func: noop });
  assert.equal(procNetPtype(host).text, golden("proc_net_ptype_taps.txt"));
});

Deno.test("procNetProtocols() gives the 6.18 header and rows of UDP-Lite, PING, RAW, UDP and TCP", () => {
  const host = createHost();
  const tcp = host.protoList.find((p) => p.name === "TCP")!;
  tcp.inuse = 1; // the real host had one TCP socket and 75 pages charged to TCP
  tcp.memoryAllocated = 75;
  const real = golden("proc_net_protocols.txt").split("\n");
  const ours = procNetProtocols(host).text.split("\n");
  assert.equal(ours[0], real[0]);
  const names = ["UDP-Lite", "PING", "RAW", "UDP", "TCP"];
  assert.deepEqual(
    ours.slice(1, -1),
    real.filter((l) => names.includes(l.split(" ")[0])),
  );
});

Deno.test("procSoftirqs() prints the 6.18 layout: CPU%-8d heads and %12s: rows of %10u", () => {
  const real = golden("proc_softirqs.txt");
  const rows = real.trimEnd().split("\n").slice(1).map((l) =>
    l.split(":")[1].trim().split(/\s+/).map(Number)
  );
  const host = createHost({ cpus: 2 });
  rows.forEach((counts, nr) => counts.forEach((v, cpu) => (host.softirqs.counts[cpu][nr] = v)));
  assert.equal(procSoftirqs(host).text, real);
});

Deno.test("procNetSoftnetStat() prints the fifteen %08x fields of 6.18 in order", () => {
  const real = golden("proc_net_softnet_stat.txt");
  const host = createHost({ cpus: 2 });
  real.trimEnd().split("\n").forEach((line, cpu) => {
    const f = line.split(" ").map((h) => parseInt(h, 16));
    const sd = host.softnetData[cpu];
    [sd.processed, sd.dropped, sd.timeSqueeze, sd.receivedRps] = [f[0], f[1], f[2], f[9]];
    assert.equal(f[10], 0); // no flow limit table on the measured host
    assert.equal(f[12], cpu);
  });
  assert.equal(procNetSoftnetStat(host).text, real);
});

Deno.test("procStat() prints cpu lines as 6.18 does: 'cpu ' and 'cpuN' with ten USER_HZ fields", () => {
  const real = golden("proc_stat_head.txt").trimEnd().split("\n");
  const host = createHost({ cpus: 2 });
  host.sim.cpus[0].time.softirq = 8 * (1e9 / USER_HZ); // 80 ms: 8 ticks
  host.sim.run(1e9);
  const ours = procStat(host).text.trimEnd().split("\n");
  const shape = (l: string) => l.replace(/\d+/g, "N");
  assert.deepEqual(ours.map(shape), real.slice(0, 3).map(shape));
  assert.equal(ours[1], "cpu0 0 0 0 92 0 0 8 0 0 0");
});
