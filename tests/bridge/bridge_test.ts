import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { Bridge } from "../../lib/bridge/bridge.ts";
import { Veth } from "../../lib/drivers/veth.ts";
import { buildFrame } from "../../lib/wire/build.ts";

const frame = (src: string, dst: string) =>
  buildFrame({
    eth: { src, dst },
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    udp: { source: 1, dest: 2 },
  });

function setup() {
  const host = createHost({ cpus: 1 });
  const br = new Bridge(host, "br0", "02:00:00:00:0b:00");
  const p1 = new Veth(host, "veth1", "02:00:00:00:01:01");
  const p2 = new Veth(host, "veth2", "02:00:00:00:02:01");
  const p3 = new Veth(host, "veth3", "02:00:00:00:03:01");
  for (const p of [p1, p2, p3]) br.addPort(p.dev);
  const cpu = host.sim.cpus[0];
  let t = 0;
  const send = (port: Veth, f: Uint8Array) => host.sim.at(t += 10_000, () => port.xmit(cpu, [f]));
  return { host, br, p1, p2, p3, send };
}

Deno.test("bridge: unknown unicast floods every other port; the reply, now learned, goes out one port", () => {
  const { host, br, p1, p2, send } = setup();
  send(p1, frame("02:aa:00:00:00:01", "02:bb:00:00:00:01")); // A -> B, B unknown
  send(p2, frame("02:bb:00:00:00:01", "02:aa:00:00:00:01")); // B -> A, A learned on veth1
  host.sim.run(1_000_000);
  assert.deepEqual(Object.fromEntries(br.txFrames), { veth1: 1, veth2: 1, veth3: 1 });
  assert.equal(br.fdb.get("02:aa:00:00:00:01")!.port, p1.dev);
  assert.equal(br.fdb.get("02:bb:00:00:00:01")!.port, p2.dev);
  assert.deepEqual(host.sim.ledger.summary(), { forwarded: 3 });
});

Deno.test("bridge: a broadcast is flooded and also goes up through br0 to the protocol handler", () => {
  const { host, br, p1, send } = setup();
  const request = { sip: "10.0.0.1", tip: "10.0.0.9" };
  send(p1, buildFrame({ eth: { src: "02:aa:00:00:00:01" }, arp: request }));
  host.sim.run(1_000_000);
  assert.deepEqual(Object.fromEntries(br.txFrames), { veth1: 0, veth2: 1, veth3: 1 });
  // br0 has no address: arp_process() answers nothing and consumes the request
  const up = host.sim.ledger.fates.find((f) => f.kind === "delivered")!;
  assert.equal(up.where, "arp_process");
  // __netif_receive_skb_core ran twice for it: on veth1, then on br0
  assert.equal(host.softnetData[0].processed, 2);
});

Deno.test("bridge: a frame for the bridge's own address goes up, nowhere out", () => {
  const { host, br, p1, send } = setup();
  send(p1, frame("02:aa:00:00:00:01", "02:00:00:00:0b:00"));
  host.sim.run(1_000_000);
  assert.deepEqual(Object.fromEntries(br.txFrames), { veth1: 0, veth2: 0, veth3: 0 });
  // up into IPv4, where a host without addresses ends it in ip_error()
  assert.deepEqual(host.sim.ledger.summary(), { "dropped:IP_INADDRERRORS": 1 });
  assert.equal(host.sim.ledger.fates[0].where, "ip_error");
});

Deno.test("bridge: a station's frame back to its own port is dropped, not sent out", () => {
  const { host, br, p1, send } = setup();
  send(p1, frame("02:aa:00:00:00:01", "02:bb:00:00:00:01"));
  send(p1, frame("02:bb:00:00:00:01", "02:cc:00:00:00:01")); // B now learned on veth1
  send(p1, frame("02:aa:00:00:00:01", "02:bb:00:00:00:01")); // A -> B, both on veth1
  host.sim.run(1_000_000);
  assert.equal(host.sim.ledger.summary()["dropped:NOT_SPECIFIED"], 1);
  assert.throws(() => br.addPort(p1.dev), /already has an rx_handler/);
});
