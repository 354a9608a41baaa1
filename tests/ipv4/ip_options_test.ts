// Record-route and timestamp options as Linux 6.18 fills them (ip_options_compile() with a
// route, then ip_forward_options()); the recorded case is tests/golden/linux-6.18/trace/
// ip_options_bad.txt frame 7, whose lookups the tracepoint test holds the kit to.
import assert from "node:assert/strict";
import { buildFrame } from "../../lib/wire/build.ts";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import { scenarioHost } from "../../lib/scenario/replay.ts";
import { csumFold, csumPartial } from "../../lib/wire/checksum.ts";
import { ETH_HLEN } from "../../lib/wire/ethernet.ts";

const scenario = loadScenario({
  ingress: "eth0",
  interfaces: [
    { name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 },
    { name: "eth1", mac: "02:00:00:00:01:02", addrs: ["10.2.0.2/24"], mtu: 1500 },
  ],
  routes: [{ dst: "10.9.0.0/16", via: "10.2.0.1", dev: "eth1" }],
  sysctl: { "net.ipv4.ip_forward": 1 },
});

// A frame with the given options from 10.1.0.7, sent in and forwarded out of eth1.
function forward(options: number[]): Uint8Array {
  const sh = scenarioHost(scenario);
  const eth1 = sh.host.devices.find((d) => d.name === "eth1")!;
  sh.host.sim.at(1000, () =>
    sh.inject(buildFrame({
      eth: { dst: "02:00:00:00:00:02" },
      ipv4: { saddr: "10.1.0.7", daddr: "10.9.1.1", options: new Uint8Array(options) },
      udp: { source: 6000, dest: 5000 },
    })));
  sh.host.sim.run(1_000_000);
  assert.equal(eth1.transmitted.length, 1);
  return eth1.transmitted[0].frame;
}

Deno.test("record-route: a forward records its outgoing address and moves the pointer, checksum kept", () => {
  const out = forward([7, 7, 4, 0, 0, 0, 0, 0]);
  const opt = out.subarray(ETH_HLEN + 20, ETH_HLEN + 28);
  assert.deepEqual([...opt], [7, 7, 8, 10, 2, 0, 2, 0]); // 10.2.0.2, eth1's address
  assert.equal(csumFold(csumPartial(out, 0, ETH_HLEN, ETH_HLEN + 28)), 0);
});

Deno.test("timestamp (flag 0): a forward records its time, ms since midnight UTC, and moves the pointer", () => {
  const out = forward([68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const ts = new DataView(out.buffer, out.byteOffset + ETH_HLEN + 20);
  assert.equal(ts.getUint8(2), 9);
  assert.equal(ts.getUint32(4), 0); // 1 us after midnight is 0 ms
  assert.equal(csumFold(csumPartial(out, 0, ETH_HLEN, ETH_HLEN + 32)), 0);
});

Deno.test("timestamp (flag 1): the address and the time, the address being the outgoing one", () => {
  const out = forward([68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  const opt = out.subarray(ETH_HLEN + 20, ETH_HLEN + 32);
  assert.equal(opt[2], 13);
  assert.deepEqual([...opt.subarray(4, 8)], [10, 2, 0, 2]);
});

Deno.test("a full timestamp option counts an overflow instead", () => {
  const out = forward([68, 8, 9, 0, 0, 0, 0, 0]);
  assert.equal(out[ETH_HLEN + 20 + 3] >> 4, 1);
});
