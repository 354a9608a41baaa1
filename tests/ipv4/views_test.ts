// The kit's views of a host after a replay against what the same host on Linux 6.18.44 showed
// (tests/golden/linux-6.18/views/, written by replay_oracle.py with RXR_VIEWS after replaying
// the netfilter_rules case).
import assert from "node:assert/strict";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import { runReplay } from "../../lib/scenario/replay.ts";
import { readPcap } from "../../lib/wire/pcap.ts";
import { ipRouteShow } from "../../lib/proc/route.ts";
import { procNetSnmp } from "../../lib/proc/snmp.ts";
import { procNetUdp } from "../../lib/proc/udp.ts";
import { iptablesList } from "../../lib/proc/iptables.ts";

const golden = (name: string) =>
  Deno.readTextFileSync(new URL(`../golden/linux-6.18/${name}`, import.meta.url));
const replayDir = "../golden/linux-6.18/replay/";
const scenarioText = Deno.readTextFileSync(
  new URL(`${replayDir}netfilter_rules.json`, import.meta.url),
);
const { host } = runReplay(
  loadScenario(JSON.parse(scenarioText)),
  readPcap(Deno.readFileSync(new URL(`${replayDir}netfilter_rules.pcap`, import.meta.url)))
    .records,
).host;

Deno.test("ip route show table local: the local and broadcast routes addresses bring, lo's too", () => {
  assert.equal(ipRouteShow(host, "local").text, golden("views/ip_route_local.txt"));
});

Deno.test("ip route show table main: connected routes from the addresses, then the scenario's", () => {
  assert.equal(ipRouteShow(host, "main").text, golden("views/ip_route_main.txt"));
});

Deno.test("/proc/net/snmp reads as the kernel's, line for line, after the same frames", () => {
  assert.equal(procNetSnmp(host).text, golden("views/proc_net_snmp.txt"));
});

Deno.test("iptables -L -v -x -n: policies, rule counters and numeric protocols as iptables-nft prints", () => {
  assert.equal(iptablesList(host).text, golden("views/iptables_filter.txt"));
});

Deno.test("/proc/net/udp: rx_queue counts truesize, state 01 for a connected socket (slot, inode, pointer aside)", () => {
  const mask = (t: string) =>
    t.split("\n").map((l) =>
      l.replace(/^ *\d+:/, "N:").replace(/ \d+ 2 [0-9a-f]{16} /, " INODE 2 PTR ").trimEnd()
    ).filter(Boolean).sort();
  for (const l of procNetUdp(host).text.split("\n").filter(Boolean)) assert.equal(l.length, 127);
  assert.deepEqual(mask(procNetUdp(host).text), mask(golden("views/proc_net_udp.txt")));
});
