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
import { ipLinkShow, procNetDev, STATISTICS_FILES } from "../../lib/proc/link.ts";
import { sysfsRead } from "../../lib/proc/sysfs.ts";
import { ssUdp } from "../../lib/proc/ss.ts";
import { netstatS } from "../../lib/proc/netstat.ts";

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

Deno.test("netstat -s: net-tools' words for each counter, its histograms, and Name: value where its tables miss one", () => {
  assert.equal(netstatS(host).text, golden("views/netstat_s.txt"));
});

Deno.test("/proc/net/dev: each device's receive and transmit counters in dev_seq_printf_stats()'s columns", () => {
  assert.equal(procNetDev(host).text, golden("views/proc_net_dev.txt"));
});

Deno.test("ip -s -s link: flags, qdisc, state, the veth's peer and its namespace, counters in columns sized to the widest, carrier changes", () => {
  assert.equal(
    ipLinkShow(host, { stats: 2, peerNetns: "rxr_wire" }).text,
    golden("views/ip_s_s_link.txt"),
  );
});

Deno.test("/sys/class/net/eth0/statistics/*: every file, each the device's counter", () => {
  const recorded = golden("views/sys_class_net_eth0_statistics.txt").trim().split("\n").sort();
  const kit = STATISTICS_FILES.map((f) => {
    const path = `/sys/class/net/eth0/statistics/${f}`;
    return `${path}:${sysfsRead(host, path).trim()}`;
  }).sort();
  assert.deepEqual(kit, recorded);
});

Deno.test("ss -u -a -m: UNCONN or ESTAB, Recv-Q the queued datagrams' truesize, skmem as sk_get_meminfo() has it", () => {
  // f, sk_forward_alloc: UDP schedules its receive memory in pages (udp_rmem_schedule()) and
  // gives it back in batches as it is read (udp_rmem_release()), which the kit does not model
  const words = (t: string) =>
    t.trimEnd().split("\n").map((l) => l.trim().replace(/,f\d+,/, ",f*,").split(/\s+/));
  assert.deepEqual(words(ssUdp(host).text), words(golden("views/ss_uam.txt")));
});

// more replays with their devices' counters recorded: a frame to another host's MAC on a
// promiscuous device (rx_otherhost_dropped, ip's "otherhost" column) and one no protocol takes
// (rx_dropped)
for (const name of ["otherhost_and_l2", "l2_odds"]) {
  Deno.test(`/proc/net/dev, ip -s -s link and netstat -s after the ${name} replay, as the host printed them`, () => {
    const replay = new URL(`${replayDir}${name}`, import.meta.url).pathname;
    const after = runReplay(
      loadScenario(JSON.parse(Deno.readTextFileSync(`${replay}.json`))),
      readPcap(Deno.readFileSync(`${replay}.pcap`)).records,
    ).host.host;
    assert.equal(procNetDev(after).text, golden(`views/${name}/proc_net_dev.txt`));
    assert.equal(netstatS(after).text, golden(`views/${name}/netstat_s.txt`));
    assert.equal(
      ipLinkShow(after, { stats: 2, peerNetns: "rxr_wire" }).text,
      golden(`views/${name}/ip_s_s_link.txt`),
    );
  });
}
