import assert from "node:assert/strict";
import { loadScenario } from "../../lib/scenario/scenario.ts";

// The example of shared/scenario-format.md.
const example = {
  ingress: "eth0",
  interfaces: [
    { name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 },
    { name: "eth1", mac: "02:00:00:00:01:02", addrs: ["10.2.0.2/24"], mtu: 1500 },
  ],
  routes: [
    { dst: "10.9.0.0/16", via: "10.2.0.1", dev: "eth1" },
    { dst: "0.0.0.0/0", via: "10.1.0.1", dev: "eth0" },
  ],
  sysctl: {
    "net.ipv4.ip_forward": 1,
    "net.ipv4.conf.all.rp_filter": 0,
    "net.ipv4.conf.eth0.rp_filter": 1,
    "net.core.rmem_default": 212992,
  },
  filter: [
    { chain: "INPUT", proto: "udp", src: "10.1.0.9/32", dport: 7000, target: "DROP" },
    { chain: "FORWARD", proto: "icmp", target: "DROP" },
  ],
  policies: { INPUT: "ACCEPT", FORWARD: "ACCEPT" },
  sockets: [
    { proto: "udp", local: "0.0.0.0:5000" },
    { proto: "udp", local: "10.1.0.2:5001", rcvbuf: 4608 },
    { proto: "udp", local: "10.1.0.2:5002", remote: "10.1.0.7:6000" },
  ],
};

Deno.test("loadScenario() reads the format's own example", () => {
  const s = loadScenario(example);
  assert.equal(s.ingress, "eth0");
  assert.deepEqual(s.interfaces[1].addrs[0], { addr: 0x0a020002, len: 24, text: "10.2.0.2/24" });
  assert.equal(s.routes[0].via, 0x0a020001);
  assert.deepEqual(s.filter[0], {
    chain: "INPUT",
    proto: 17,
    src: { addr: 0x0a010009, len: 32, text: "10.1.0.9/32" },
    dport: 7000,
    target: "DROP",
  });
  assert.deepEqual(s.sockets[2].remote, { addr: 0x0a010007, port: 6000 });
  assert.equal(s.sysctl["net.ipv4.conf.eth0.rp_filter"], 1);
});

const bad: [string, unknown, string, RegExp][] = [
  [
    "an unknown top-level field",
    { ...example, firewall: [] },
    "TypeError",
    /firewall is not a field/,
  ],
  [
    "an unknown interface field",
    { ...example, interfaces: [{ ...example.interfaces[0], speed: 10 }, example.interfaces[1]] },
    "TypeError",
    /interfaces\[0\]\.speed is not a field/,
  ],
  [
    "a bad CIDR",
    { ...example, routes: [{ dst: "10.9.0.0/33", dev: "eth1" }] },
    "SyntaxError",
    /routes\[0\]\.dst "10\.9\.0\.0\/33" is not a CIDR/,
  ],
  [
    "a bad address in a CIDR",
    { ...example, routes: [{ dst: "10.9.0.300/16", dev: "eth1" }] },
    "SyntaxError",
    /routes\[0\]\.dst "10\.9\.0\.300" is not four bytes/,
  ],
  [
    "an unknown sysctl",
    { ...example, sysctl: { "net.ipv4.ip_forwarding": 1 } },
    "RangeError",
    /sysctl "net\.ipv4\.ip_forwarding" is not a sysctl of Linux 6\.18/,
  ],
  [
    "a per-device sysctl for a device not in the scenario",
    { ...example, sysctl: { "net.ipv4.conf.eth9.rp_filter": 1 } },
    "RangeError",
    /net\.ipv4\.conf\.eth9\.rp_filter/,
  ],
  [
    "a route via an unknown device",
    { ...example, routes: [{ dst: "0.0.0.0/0", dev: "wlan0" }] },
    "RangeError",
    /routes\[0\]\.dev "wlan0" is not an interface/,
  ],
  [
    "an ingress not in the scenario",
    { ...example, ingress: "eth7" },
    "RangeError",
    /ingress "eth7"/,
  ],
  [
    "a bad chain",
    { ...example, filter: [{ chain: "PREROUTING", target: "DROP" }] },
    "RangeError",
    /filter\[0\]\.chain "PREROUTING"/,
  ],
  [
    "a port out of range",
    { ...example, filter: [{ chain: "INPUT", dport: 70000, target: "DROP" }] },
    "RangeError",
    /filter\[0\]\.dport must be an integer from 0 to 65535, found 70000/,
  ],
  [
    "a socket endpoint without a port",
    { ...example, sockets: [{ proto: "udp", local: "0.0.0.0" }] },
    "SyntaxError",
    /sockets\[0\]\.local "0\.0\.0\.0" is not address:port/,
  ],
  [
    "a bad MAC",
    { ...example, interfaces: [{ ...example.interfaces[0], mac: "02:00" }, example.interfaces[1]] },
    "SyntaxError",
    /interfaces\[0\]\.mac "02:00"/,
  ],
  [
    "sysctl that is not an object",
    { ...example, sysctl: null },
    "TypeError",
    /sysctl must be an object/,
  ],
  [
    "a neighbour state ip neigh cannot give an address to",
    {
      ...example,
      neighbours: {
        entries: [{ dev: "eth0", addr: "10.1.0.7", mac: "02:00:00:00:00:07", state: "incomplete" }],
      },
    },
    "RangeError",
    /neighbours\.entries\[0\]\.state "incomplete" is not permanent, noarp, reachable, stale/,
  ],
  [
    "a neighbour on an unknown device",
    {
      ...example,
      neighbours: { entries: [{ dev: "eth5", addr: "10.1.0.7", mac: "02:00:00:00:00:07" }] },
    },
    "RangeError",
    /neighbours\.entries\[0\]\.dev "eth5" is not an interface/,
  ],
  [
    "a neighbour with a bad MAC",
    { ...example, neighbours: { entries: [{ dev: "eth0", addr: "10.1.0.7", mac: "02:00:zz" }] } },
    "SyntaxError",
    /neighbours\.entries\[0\]\.mac "02:00:zz" is not a MAC address/,
  ],
  [
    "arp that is not a boolean",
    { ...example, neighbours: { arp: "yes" } },
    "TypeError",
    /neighbours\.arp must be true or false/,
  ],
  [
    "an unknown neighbours field",
    { ...example, neighbours: { resolve: true } },
    "TypeError",
    /neighbours\.resolve is not a field/,
  ],
  [
    "a qdisc the kit does not model",
    { ...example, interfaces: [{ ...example.interfaces[0], qdisc: "cake" }] },
    "RangeError",
    /interfaces\[0\]\.qdisc: qdisc kind "cake" is not modelled/,
  ],
  [
    "a tbf without its burst",
    { ...example, interfaces: [{ ...example.interfaces[0], qdisc: "tbf rate 1mbit limit 3000" }] },
    "RangeError",
    /interfaces\[0\]\.qdisc: tbf: "burst" is required/,
  ],
  [
    "a negative txqueuelen",
    { ...example, interfaces: [{ ...example.interfaces[0], txqueuelen: -1 }] },
    "RangeError",
    /interfaces\[0\]\.txqueuelen/,
  ],
];

for (const [name, json, error, message] of bad) {
  Deno.test(`loadScenario() rejects ${name}, naming the field`, () => {
    assert.throws(() => loadScenario(json), { name: error, message });
  });
}

Deno.test("traceStream(): each frame's run comes as it is done, and its trace is then forgotten", async () => {
  const { traceStream, traceEvents } = await import("../../lib/scenario/trace.ts");
  const { buildFrame } = await import("../../lib/wire/build.ts");
  const { pcapRecords } = await import("../../lib/wire/pcap.ts");
  const scenario = loadScenario({
    ingress: "eth0",
    interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }],
    sockets: [{ proto: "udp", local: "0.0.0.0:53" }],
  });
  const frame = buildFrame({
    eth: { dst: "02:00:00:00:00:02" },
    ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
    udp: { source: 4000, dest: 53 },
  });
  const records = pcapRecords(new Array(200).fill(frame), 1_000_000n);
  let kept = 0;
  const runs: unknown[] = [];
  traceStream(scenario, records, {
    nic: "veth",
    onHost: (sh) => {
      const trace = sh.host.sim.trace;
      const forget = trace.forgetBefore.bind(trace);
      trace.forgetBefore = (t) => {
        forget(t);
        kept = Math.max(kept, trace.records.length);
      };
    },
  }, (run) => runs.push(run));
  assert.equal(runs.length, 200);
  assert.ok(kept < 10, `${kept} records kept between frames`);
  assert.deepEqual(runs, traceEvents(scenario, records, { nic: "veth" }));
});
