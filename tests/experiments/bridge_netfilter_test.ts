// The chapter experiments of the L2 hand-off and netfilter, as library functions.
import assert from "node:assert/strict";
import { runBridge } from "../../lib/experiments/bridge.ts";
import { ruleWalkCost } from "../../lib/experiments/netfilter.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { ETH_P_ARP } from "../../lib/wire/ethernet.ts";

const [A, B, C] = ["02:aa:00:00:00:0a", "02:bb:00:00:00:0b", "02:cc:00:00:00:0c"];

Deno.test("runBridge(): an unknown destination floods, a learned one goes to its port only (br_fdb_update)", () => {
  const run = runBridge(3, [
    { port: 0, src: A, dst: B },
    { port: 1, src: B, dst: A },
    { port: 2, src: C, dst: "ff:ff:ff:ff:ff:ff", type: ETH_P_ARP },
    { port: 0, src: A, dst: "02:00:00:00:0b:00" },
  ]);
  assert.deepEqual(run.steps.map((s) => s["sent out of"]), [
    "veth2, veth3", // B unknown: flooded to every other port
    "veth1", // A was learned on veth1
    "veth1, veth2", // a broadcast floods, and goes up to br0 too
    "-", // to br0's own address: passed up, sent out of no port
  ]);
  assert.deepEqual(
    run.fdb.filter((e) => e.port !== "(local)").map((e) => `${e.mac} ${e.port}`).sort(),
    [`${A} veth1`, `${B} veth2`, `${C} veth3`],
  );
});

Deno.test("ruleWalkCost(): every non-matching rule before the ACCEPT costs softirq time (ipt_do_table walks them)", () => {
  const scenario = {
    ingress: "eth0",
    interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }],
    filter: [{ chain: "INPUT", proto: "udp", dport: 53, target: "ACCEPT" }],
    sockets: [{ proto: "udp", local: "0.0.0.0:53" }],
  };
  const frame = buildFrame({
    ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
    udp: { source: 4000, dest: 53 },
    payload: 40,
  });
  const rows = ruleWalkCost(scenario, frame, [0, 100, 200], 200);
  assert.deepEqual(rows.map((r) => r.rules), [0, 100, 200]);
  const [r0, r100, r200] = rows.map((r) => r.nsPerPacket);
  assert.ok(r100 > r0 && r200 > r100);
  // the cost grows by the same amount per rule (cost.ts's iptRule; each rule's cost is rounded
  // to the ns on a CPU a little cold from the gaps between packets)
  assert.ok(Math.abs((r200 - r100) - (r100 - r0)) < 0.01 * (r100 - r0));
});
