// The header views write what they read: a header built through the setters has the bytes
// wire/build.ts makes for the same fields, and the skb accessors view the skb's own bytes.
import assert from "node:assert/strict";
import { buildFrame } from "../../lib/wire/build.ts";
import { ETH_HLEN, EthHdr, VlanHdr } from "../../lib/wire/ethernet.ts";
import { IP_DF, IpHdr, IPPROTO_UDP, IPV4_HLEN } from "../../lib/wire/ipv4.ts";
import { UDP_HLEN, UdpHdr } from "../../lib/wire/udp.ts";
import { TCP_FLAGS, TCP_HLEN, TcpHdr } from "../../lib/wire/tcp.ts";
import { ICMP_HLEN, IcmpHdr } from "../../lib/wire/icmp.ts";
import { allocSkb, ipHdr, udpHdr } from "../../lib/core/skbuff.ts";
import { Sim } from "../../lib/sim/sim.ts";

Deno.test("IpHdr and UdpHdr setters write the bytes buildFrame() writes for the same fields", () => {
  const frame = buildFrame({
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", ttl: 9, id: 77, tos: 4, fragOff: IP_DF },
    udp: { source: 1000, dest: 53 },
    payload: 4,
  });
  const made = new Uint8Array(frame.length);
  made.set(frame.subarray(0, ETH_HLEN));
  const iph = new IpHdr(made, ETH_HLEN), want = new IpHdr(frame, ETH_HLEN);
  iph.setVersionIhl(4, 5);
  iph.tos = want.tos;
  iph.totLen = want.totLen;
  iph.id = want.id;
  iph.fragOff = want.fragOff;
  iph.ttl = want.ttl;
  iph.protocol = IPPROTO_UDP;
  iph.check = want.check;
  iph.saddr = want.saddr;
  iph.daddr = want.daddr;
  const th = ETH_HLEN + IPV4_HLEN;
  const uh = new UdpHdr(made, th), wantUh = new UdpHdr(frame, th);
  uh.source = wantUh.source;
  uh.dest = wantUh.dest;
  uh.len = wantUh.len;
  uh.check = wantUh.check;
  made.set(frame.subarray(th + UDP_HLEN), th + UDP_HLEN);
  assert.deepEqual(made, frame);
});

Deno.test("TcpHdr, IcmpHdr and EthHdr setters round-trip through their getters", () => {
  const t = new TcpHdr(new Uint8Array(TCP_HLEN), 0);
  t.seq = 0xfffffffe;
  t.doff = 6;
  t.flagByte = TCP_FLAGS.SYN | TCP_FLAGS.ACK;
  t.window = 64240;
  assert.deepEqual([t.seq, t.doff, t.syn, t.ack, t.window], [0xfffffffe, 6, true, true, 64240]);
  assert.equal(t.flagWord, (6 << 28) | (0x12 << 16) | 64240);
  const i = new IcmpHdr(new Uint8Array(ICMP_HLEN), 0);
  i.un = 0x01020304;
  assert.deepEqual([i.id, i.sequence], [0x0102, 0x0304]);
  const e = new EthHdr(new Uint8Array(ETH_HLEN), 0);
  e.hProto = 0x86dd;
  assert.equal(e.hProto, 0x86dd);
  assert.equal(new VlanHdr(new Uint8Array([0, 5, 8, 0]), 0).hVlanEncapsulatedProto, 0x0800);
});

Deno.test("ipHdr() and udpHdr() view the skb's bytes at its network and transport headers", () => {
  const skb = allocSkb(
    new Sim(),
    buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 1, dest: 2 } }),
  );
  skb.networkHeader = ETH_HLEN;
  skb.transportHeader = ETH_HLEN + IPV4_HLEN;
  ipHdr(skb).ttl = 3;
  assert.equal(skb.head[ETH_HLEN + 8], 3);
  assert.equal(udpHdr(skb).dest, 2);
});

Deno.test("header views refuse bytes outside their header, as a DataView over it would", async () => {
  const { IpHdr } = await import("../../lib/wire/ipv4.ts");
  const { UdpHdr } = await import("../../lib/wire/udp.ts");
  const { HeaderBytes } = await import("../../lib/wire/header_bytes.ts");
  const frame = buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, payload: 0 });
  assert.throws(() => new UdpHdr(frame, frame.length - 4), RangeError); // 4 of its 8 bytes
  assert.throws(() => new IpHdr(frame, frame.length + 1), RangeError);
  const short = new IpHdr(frame.subarray(0, ETH_HLEN + 12), ETH_HLEN); // cut before the addresses
  assert.equal(short.ttl, 64);
  assert.throws(() => short.saddr, RangeError);
  const h = new HeaderBytes(new Uint8Array(8), 2, 4);
  h.setUint32(0, 0x1_0a00_0001); // modulo 2^32, as DataView.setUint32
  assert.equal(h.getUint32(0), 0x0a00_0001);
  h.setUint16(2, -1);
  assert.equal(h.getUint16(2), 0xffff);
  assert.throws(() => h.getUint8(4), RangeError);
});

Deno.test("copyBytes(): a copy the caller owns, apart from the original and other copies", async () => {
  const { copyBytes } = await import("../../lib/wire/copy_bytes.ts");
  const a = Uint8Array.of(1, 2, 3), b = Uint8Array.of(4, 5);
  const ca = copyBytes(a), cb = copyBytes(b);
  a[0] = 9;
  ca[1] = 7;
  assert.deepEqual([...ca], [1, 7, 3]);
  assert.deepEqual([...cb], [4, 5]);
  const big = new Uint8Array(10_000).fill(3);
  assert.deepEqual(copyBytes(big), big);
  // many copies fill block after block, each still intact
  const copies = Array.from({ length: 2000 }, (_, i) => copyBytes(Uint8Array.of(i & 255, i >> 8)));
  assert.ok(copies.every((c, i) => c[0] === (i & 255) && c[1] === i >> 8));
});
