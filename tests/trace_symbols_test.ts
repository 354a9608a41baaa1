// The kit's traces name only functions the reference Linux 6.18 kernel has as symbols of their
// own (tests/golden/linux-6.18/kallsyms_text.txt, from /proc/kallsyms): an inlined function
// such as napi_poll() or virtnet_receive() shows in no function_graph and so in none of ours.
import assert from "node:assert/strict";
import { cliOutput, cliRuns } from "./cli_outputs.ts";
import { createHost } from "../lib/init/main.ts";

import { VirtioNet } from "../lib/drivers/virtio_net.ts";
const symbols = new Set(
  Deno.readTextFileSync(new URL("./golden/linux-6.18/kallsyms_text.txt", import.meta.url))
    .split("\n").filter((l) => l && !l.startsWith("#")),
);

// Handlers the kit registers under the kernel's names, and kit-only names of its own.
const called = (graph: string) =>
  [...graph.matchAll(/\|\s+(\S+)\(\)(?: \{|;)$/gm)].map((m) => m[1]);

Deno.test("every function in rxpath trace's graphs on the golden inputs is a 6.18 symbol", () => {
  const names = new Set<string>();
  for (const { args } of cliRuns().filter((r) => r.args[0] === "trace")) {
    for (const n of called(cliOutput(args))) names.add(n);
  }
  assert.ok(names.size > 20);
  assert.deepEqual([...names].filter((n) => !symbols.has(n)).sort(), []);
});

Deno.test("every function traced at boot, driver probe and ifup is a 6.18 symbol", () => {
  const host = createHost({ cpus: 2, trace: true });
  new VirtioNet(host, { maxQueuePairs: 2 }).open(); // virtnet_probe, then ip link set eth0 up
  const names = new Set(host.sim.trace.records.map((r) => r.fn));
  for (const fn of ["spawn_ksoftirqd", "inet_init", "virtnet_probe", "virtnet_open"]) {
    assert.ok(names.has(fn), fn);
  }
  assert.deepEqual([...names].filter((n) => !symbols.has(n)).sort(), []);
});

Deno.test("every function traced on the replay's veth path is a 6.18 symbol", async () => {
  const { traceEvents } = await import("../lib/scenario/trace.ts");
  const { loadScenario } = await import("../lib/scenario/scenario.ts");
  const { readPcap } = await import("../lib/wire/pcap.ts");
  const dir = new URL("./golden/linux-6.18/replay/", import.meta.url).pathname;
  const names = new Set<string>();
  for (const e of Deno.readDirSync(dir)) {
    if (!e.name.endsWith(".json")) continue;
    const scenario = loadScenario(JSON.parse(Deno.readTextFileSync(`${dir}${e.name}`)));
    const pcap = readPcap(Deno.readFileSync(`${dir}${e.name.replace(/json$/, "pcap")}`));
    for (const run of traceEvents(scenario, pcap.records, { nic: "veth" })) {
      for (const g of run.graphs) for (const m of g.matchAll(/ ([\w.]+)\(\)/g)) names.add(m[1]);
    }
  }
  assert.ok(names.has("veth_xmit") && names.has("__netif_receive_skb_one_core"));
  assert.deepEqual([...names].filter((n) => !symbols.has(n)).sort(), []);
});

Deno.test("every function traced in the neighbour and qdisc recordings' runs is a 6.18 symbol", async () => {
  const { runNeighbours } = await import("../lib/experiments/neigh.ts");
  const { neighRun } = await import("./oracle/neigh_cases.ts");
  const names = new Set<string>();
  for (const kind of ["neigh", "qdisc"]) {
    const dir = new URL(`./golden/linux-6.18/${kind}/`, import.meta.url).pathname;
    for (const e of Deno.readDirSync(dir)) {
      const c = JSON.parse(Deno.readTextFileSync(`${dir}${e.name}`)).case;
      const run = runNeighbours(neighRun(c));
      for (const r of run.host.sim.trace.records) names.add(r.fn);
    }
  }
  // the collections and the entries' removal ran
  for (const fn of ["neigh_periodic_work", "neigh_remove_one", "neigh_cleanup_and_release"]) {
    assert.ok(names.has(fn), fn);
  }
  assert.deepEqual([...names].filter((n) => !symbols.has(n)).sort(), []);
});
