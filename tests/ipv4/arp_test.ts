// ARP rules no recorded case reaches, held to net/ipv4/arp.c and net/ipv4/fib_frontend.c of 6.18.
import assert from "node:assert/strict";
import { runNeighbours } from "../../lib/experiments/neigh.ts";
import { createHost } from "../../lib/init/main.ts";
import { registerEtherdev } from "../../lib/core/netdevice.ts";
import { inetAddrTypeDevTable } from "../../lib/ipv4/fib.ts";
import { arpTbl } from "../../lib/ipv4/arp.ts";
import { neighCreate, NUD_NOARP } from "../../lib/core/neighbour.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { decodeFrame } from "../../lib/wire/decode.ts";
import { inAton } from "../../lib/wire/ipv4.ts";
import { macToString } from "../../lib/wire/ethernet.ts";

Deno.test("__inet_dev_addr_type(): 0.0.0.0 and 255.255.255.255 are broadcast, 224/4 multicast, with no lookup", () => {
  const host = createHost();
  assert.equal(inetAddrTypeDevTable(host, 0), "broadcast");
  assert.equal(inetAddrTypeDevTable(host, 0xffffffff), "broadcast");
  assert.equal(inetAddrTypeDevTable(host, inAton("239.1.2.3")), "multicast");
});

Deno.test("arp_constructor(): a multicast neighbour needs no ARP, its MAC 01:00:5e and the group's low 23 bits (ip_eth_mc_map())", () => {
  const host = createHost();
  const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
  const n = neighCreate(host, undefined, arpTbl(host), dev, inAton("239.129.2.3"))!;
  assert.equal(n.nudState, NUD_NOARP);
  assert.equal(macToString(n.ha), "01:00:5e:01:02:03");
});

Deno.test("arp_solicit(): arp_announce past 2 falls to the switch's default, case 0 — the waiting packet's own source", () => {
  const ping = buildFrame({
    eth: { dst: "02:00:00:00:00:02" },
    ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.3" },
    icmp: { type: 8 },
    payload: 56,
  });
  const request = (announce: number) => {
    const r = runNeighbours({
      interface: {
        name: "eth0",
        mac: "02:00:00:00:00:02",
        addrs: ["10.1.0.2/24", "10.1.0.3/24"],
        mtu: 1500,
      },
      sysctl: { "net.ipv4.conf.eth0.arp_announce": announce },
      frames: [{ t: 0, frame: ping }],
      answer: {},
      snapshots: [],
      end: 0.1,
    });
    const f = Uint8Array.from(r.sent[0].frame.match(/../g)!, (x) => parseInt(x, 16));
    return decodeFrame(f).arp!.sip;
  };
  assert.equal(request(0), "10.1.0.3");
  assert.equal(request(2), "10.1.0.2");
  assert.equal(request(3), "10.1.0.3");
});
