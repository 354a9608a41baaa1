// ethtool rx-flow-hash on virtio-net. The driver's answers (virtnet_set_hashflow()) and ethtool's
// printout are held to Linux 6.18 on the reference machine's virtio device, which offers no RSS
// (tests/golden/linux-6.18/rx_flow_hash.json, recorded by tests/oracle/rx_flow_hash_oracle.py).
// With RSS the same rules decide which hash types the device gets; where the flows then land is
// the device's Toeplitz hash over the fields those types name (virtio 1.2 5.1.6.4.3.1).
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { VirtioNet } from "../../lib/drivers/virtio_net.ts";
import { ethtoolNRxFlowHash } from "../../lib/proc/ethtool.ts";
import { buildFrame } from "../../lib/wire/build.ts";

const recorded: { args: string; out: string; ok: boolean }[] = JSON.parse(
  Deno.readTextFileSync(new URL("../golden/linux-6.18/rx_flow_hash.json", import.meta.url)),
);

// what the kit prints for one rx-flow-hash command line, DEV for the device
function ethtool(nic: VirtioNet, args: string): { out: string; ok: boolean } {
  const [op, , , flow, fields] = args.split(" ");
  if (op === "-n") return { out: ethtoolNRxFlowHash(nic, flow).text, ok: true };
  try {
    nic.setRxFlowHash(flow, fields);
    return { out: "", ok: true };
  } catch (e) {
    const m = /^(Cannot change RX network flow hashing options: [A-Za-z ]+?)( \(|$)/.exec(
      (e as Error).message,
    );
    return { out: (m?.[1] ?? (e as Error).message) + "\n", ok: false };
  }
}

for (const r of recorded.filter((r) => r.args.includes("rx-flow-hash"))) {
  Deno.test(`ethtool ${r.args} on a virtio device without RSS answers as Linux 6.18 does`, () => {
    const nic = new VirtioNet(createHost(), { name: "DEV", rss: false });
    assert.deepEqual(ethtool(nic, r.args), { out: r.out, ok: r.ok });
  });
}

Deno.test("rx-flow-hash with RSS: udp4 sd hashes UDP on addresses only, so one host's flows share a queue; sdfn spreads them again", () => {
  const host = createHost({ cpus: 4 });
  const nic = new VirtioNet(host, { maxQueuePairs: 4 });
  nic.open();
  const queueOf = (sport: number) => {
    const frame = buildFrame({
      ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
      udp: { source: sport, dest: 5000 },
      payload: 18,
    });
    const { hash, classified } = nic.device.rssHash(frame);
    return classified ? nic.device.indir[hash & (nic.device.indir.length - 1)] : 0;
  };
  const spread = () => new Set(Array.from({ length: 32 }, (_, i) => queueOf(40000 + i))).size;
  assert.equal(ethtoolNRxFlowHash(nic, "udp4").text.split("\n")[1], "IP SA");
  assert.equal(spread(), 4);
  nic.setFeature("receive-hashing", true);
  nic.setRxFlowHash("udp4", "sd");
  assert.equal(
    ethtoolNRxFlowHash(nic, "udp4").text,
    "UDP over IPV4 flows use these fields for computing Hash flow key:\nIP SA\nIP DA\n\n",
  );
  assert.equal(spread(), 1);
  nic.setRxFlowHash("udp4", "sdfn");
  assert.equal(spread(), 4);
  nic.setRxFlowHash("udp4", "r"); // no IPv4 type left: UDP is not hashed, all go to queue 0
  assert.equal(ethtoolNRxFlowHash(nic, "tcp4").text.split("\n")[1], "IP SA"); // TCPv4 kept
  assert.deepEqual(new Set(Array.from({ length: 8 }, (_, i) => queueOf(i + 1))), new Set([0]));
});

Deno.test("rx-flow-hash reaches the device only while receive-hashing is on; turning receive-hashing off stops the hashing (VIRTIO_NET_HASH_REPORT_NONE)", () => {
  const nic = new VirtioNet(createHost(), { maxQueuePairs: 2 });
  const before = nic.device.hashTypes;
  nic.setRxFlowHash("udp4", "sd");
  assert.equal(nic.device.hashTypes, before, "receive-hashing off: saved, not sent");
  assert.equal(nic.rxFlowHash("udp4"), "sd");
  nic.setFeature("receive-hashing", true);
  assert.notEqual(nic.device.hashTypes, before);
  nic.setFeature("receive-hashing", false);
  assert.equal(nic.device.hashTypes, 0);
});

Deno.test("rx-flow-hash: a flow or letter ethtool does not know is a command-line error", () => {
  const nic = new VirtioNet(createHost(), {});
  assert.throws(() => nic.setRxFlowHash("udp5", "sd"), /bad command line argument/);
  assert.throws(() => nic.setRxFlowHash("udp4", "sdx"), /bad command line argument/);
  assert.throws(() => ethtoolNRxFlowHash(nic, "gre4"), /bad command line argument/);
});

Deno.test("ntuple steering on virtio-net: ntuple-filters is fixed off, so turning it on and inserting a rule fail, as on Linux 6.18", () => {
  const nic = new VirtioNet(createHost(), { name: "DEV" });
  const on = recorded.find((r) => r.args === "-K DEV ntuple on")!;
  const rule = recorded.find((r) => r.args.startsWith("-N DEV flow-type"))!;
  assert.equal(on.ok, false);
  assert.throws(() => nic.setFeature("ntuple-filters", true), /fixed off/);
  // ethtool asks for the rule count first (ETHTOOL_GRXCLSRLCNT); virtnet_get_rxnfc() has none
  assert.match(rule.out, /Cannot get RX class rule count: Operation not supported/);
  assert.deepEqual(nic.features.get("ntuple-filters"), { on: false, fixed: true, child: false });
});
