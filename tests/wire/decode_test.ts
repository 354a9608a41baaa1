import assert from "node:assert/strict";
import { buildFrame } from "../../lib/wire/build.ts";
import { decodeFrame } from "../../lib/wire/decode.ts";
import { Rng } from "../../lib/sim/rng.ts";

const udp = () =>
  buildFrame({
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    udp: { source: 1, dest: 2 },
    payload: 30,
  });

const cases: { name: string; frame: Uint8Array; layer: string; offset: number; what: RegExp }[] = [
  {
    name: "a frame shorter than an Ethernet header",
    frame: new Uint8Array(10),
    layer: "eth",
    offset: 0,
    what: /shorter/,
  },
  {
    name: "an IPv4 header cut short",
    frame: udp().slice(0, 30),
    layer: "ipv4",
    offset: 14,
    what: /needs 20 bytes, 16 left/,
  },
  {
    name: "version 6 in an IPv4 ethertype",
    frame: buildFrame({
      ipv4: { saddr: "1.1.1.1", daddr: "2.2.2.2", version: 6 },
      udp: { source: 1, dest: 2 },
    }),
    layer: "ipv4",
    offset: 14,
    what: /version is 6/,
  },
  {
    name: "ihl below 5",
    frame: buildFrame({
      ipv4: { saddr: "1.1.1.1", daddr: "2.2.2.2", ihl: 4 },
      udp: { source: 1, dest: 2 },
    }),
    layer: "ipv4",
    offset: 14,
    what: /ihl is 4/,
  },
  {
    name: "a wrong IPv4 header checksum",
    frame: buildFrame({
      ipv4: { saddr: "1.1.1.1", daddr: "2.2.2.2", check: 0x1234 },
      udp: { source: 1, dest: 2 },
    }),
    layer: "ipv4",
    offset: 24,
    what: /checksum 0x1234/,
  },
  {
    name: "tot_len past the frame",
    frame: buildFrame({
      ipv4: { saddr: "1.1.1.1", daddr: "2.2.2.2", totLen: 1000 },
      udp: { source: 1, dest: 2 },
    }),
    layer: "ipv4",
    offset: 16,
    what: /exceeds/,
  },
  {
    name: "a UDP length larger than the datagram",
    frame: buildFrame({
      ipv4: { saddr: "1.1.1.1", daddr: "2.2.2.2" },
      udp: { source: 1, dest: 2, len: 500 },
    }),
    layer: "udp",
    offset: 38,
    what: /length 500/,
  },
  {
    name: "a wrong UDP checksum",
    frame: buildFrame({
      ipv4: { saddr: "1.1.1.1", daddr: "2.2.2.2" },
      udp: { source: 1, dest: 2, check: 0xbeef },
    }),
    layer: "udp",
    offset: 40,
    what: /checksum 0xbeef/,
  },
  {
    name: "a TCP data offset past the segment",
    frame: buildFrame({
      ipv4: { saddr: "1.1.1.1", daddr: "2.2.2.2" },
      tcp: { source: 1, dest: 2, doff: 15 },
    }),
    layer: "tcp",
    offset: 46,
    what: /data offset 15/,
  },
  {
    name: "a TCP option whose length runs past the header",
    frame: buildFrame({
      ipv4: { saddr: "1.1.1.1", daddr: "2.2.2.2" },
      tcp: { source: 1, dest: 2, options: new Uint8Array([1, 8, 20, 0]) },
    }),
    layer: "tcp",
    offset: 55,
    what: /option 8 has length 20/,
  },
  {
    name: "a VLAN tag cut short",
    frame: new Uint8Array([...new Uint8Array(12), 0x81, 0x00, 0x00]),
    layer: "vlan",
    offset: 12,
    what: /VLAN tag/,
  },
];

for (const c of cases) {
  Deno.test(`decodeFrame() reports ${c.name} with its byte offset`, () => {
    const d = decodeFrame(c.frame);
    const p = d.problems.find((x) => x.layer === c.layer);
    assert.ok(p, `no ${c.layer} problem in ${JSON.stringify(d.problems)}`);
    assert.equal(p.offset, c.offset);
    assert.match(p.what, c.what);
  });
}

Deno.test("decodeFrame() accepts a UDP checksum of zero: the sender computed none (RFC 768)", () => {
  const d = decodeFrame(
    buildFrame({
      ipv4: { saddr: "1.1.1.1", daddr: "2.2.2.2" },
      udp: { source: 1, dest: 2, check: 0 },
    }),
  );
  assert.equal(d.udp?.checksumOk, true);
  assert.deepEqual(d.problems, []);
});

Deno.test("decodeFrame() never throws on hostile bytes: random frames and every truncation", () => {
  const rng = new Rng(2024);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 2000; i++) {
    const f = new Uint8Array(rng.int(80));
    for (let j = 0; j < f.length; j++) f[j] = rng.int(256);
    if (f.length > 14 && i % 2 === 0) [f[12], f[13], f[14]] = [0x08, 0x00, 0x40 | rng.int(16)];
    frames.push(f);
  }
  const good = buildFrame({
    ipv4: { saddr: "1.1.1.1", daddr: "2.2.2.2", options: new Uint8Array([1, 1, 1, 1]) },
    tcp: { source: 1, dest: 2, options: { mss: 1400, timestamp: [1, 2] } },
    payload: 20,
  });
  for (let n = 0; n <= good.length; n++) frames.push(good.slice(0, n));
  for (const f of frames) {
    const d = decodeFrame(f);
    for (const p of d.problems) {
      assert.ok(p.offset >= 0 && p.offset <= f.length, `offset ${p.offset} outside ${f.length}`);
    }
  }
});

Deno.test("decodeFrame() reads an ARP request as buildFrame() makes it: RFC 826 fields for Ethernet and IPv4", () => {
  const frame = buildFrame({
    eth: { src: "02:00:00:00:00:05" },
    arp: { sip: "10.1.0.5", tip: "10.1.0.2" },
  });
  assert.equal(frame.length, 60); // padded to ETH_ZLEN, as a sender must
  assert.deepEqual(decodeFrame(frame).arp, {
    offset: 14,
    op: 1,
    sha: "02:00:00:00:00:05",
    sip: "10.1.0.5",
    tha: "00:00:00:00:00:00",
    tip: "10.1.0.2",
  });
});

Deno.test("decodeFrame() names an ARP packet cut short or not for Ethernet and IPv4, by byte offset", () => {
  const frame = buildFrame({ arp: { sip: "10.1.0.5", tip: "10.1.0.2" } });
  assert.deepEqual(decodeFrame(frame.slice(0, 30)).problems, [
    { layer: "arp", offset: 14, what: "ARP packet needs 28 bytes, 16 left" },
  ]);
  const odd = frame.slice();
  odd[18] = 8; // ar_hln 8: arp_rcv() drops it (ar_hln != dev->addr_len)
  assert.match(decodeFrame(odd).problems[0].what, /address sizes 8\/4: not Ethernet and IPv4/);
});
