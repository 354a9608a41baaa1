import assert from "node:assert/strict";
import { buildFrame } from "../../lib/wire/build.ts";
import {
  ETH_HLEN,
  ETH_P_8021Q,
  ETH_P_IP,
  ETH_ZLEN,
  EthHdr,
  macAton,
} from "../../lib/wire/ethernet.ts";
import {
  inAton,
  inNtoa,
  IP_DF,
  IpHdr,
  ipIsFragment,
  IPPROTO_TCP,
  IPPROTO_UDP,
} from "../../lib/wire/ipv4.ts";
import { UdpHdr } from "../../lib/wire/udp.ts";
import { TcpHdr, tcpParseOptions } from "../../lib/wire/tcp.ts";
import { ICMP_ECHO, IcmpHdr } from "../../lib/wire/icmp.ts";
import { decodeFrame } from "../../lib/wire/decode.ts";

Deno.test("buildFrame() fills Ethernet, IPv4 and UDP fields that the getters read back", () => {
  const f = buildFrame({
    eth: { src: "02:00:00:00:00:0a", dst: "02:00:00:00:00:0b" },
    ipv4: { saddr: "10.1.0.9", daddr: "10.1.0.2", ttl: 17, tos: 0x10, id: 0x1234 },
    udp: { source: 4000, dest: 5000 },
    payload: 100,
  });
  const eth = new EthHdr(f, 0);
  assert.deepEqual([...eth.hDest], [...macAton("02:00:00:00:00:0b")]);
  assert.equal(eth.hProto, ETH_P_IP);
  const ip = new IpHdr(f, ETH_HLEN);
  assert.deepEqual(
    [ip.version, ip.ihl, ip.tos, ip.totLen, ip.id, ip.fragOff, ip.ttl, ip.protocol],
    [4, 5, 0x10, 20 + 8 + 100, 0x1234, IP_DF, 17, IPPROTO_UDP],
  );
  assert.equal(inNtoa(ip.saddr), "10.1.0.9");
  const udp = new UdpHdr(f, 34);
  assert.deepEqual([udp.source, udp.dest, udp.len], [4000, 5000, 108]);
  const d = decodeFrame(f);
  assert.deepEqual(d.problems, []);
  assert.equal(d.ipv4?.checksumOk, true);
  assert.equal(d.udp?.checksumOk, true);
});

Deno.test("buildFrame() pads a short frame to ETH_ZLEN (60) and IPv4 tot_len excludes the pad", () => {
  const f = buildFrame({
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    udp: { source: 1, dest: 2 },
  });
  assert.equal(f.length, ETH_ZLEN);
  assert.equal(new IpHdr(f, ETH_HLEN).totLen, 28);
  assert.equal(
    buildFrame({
      ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
      udp: { source: 1, dest: 2 },
      pad: false,
    }).length,
    42,
  );
});

Deno.test("buildFrame() sends a computed UDP checksum of zero as 0xffff (RFC 768)", () => {
  // Search a payload byte that makes the sum come out zero, then check the field.
  for (let b = 0; b < 0x10000; b++) {
    const payload = new Uint8Array([b >> 8, b & 0xff]);
    const f = buildFrame({
      ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
      udp: { source: 1, dest: 2 },
      payload,
    });
    const check = new UdpHdr(f, 34).check;
    if (check === 0xffff) {
      assert.equal(decodeFrame(f).udp?.checksumOk, true);
      return;
    }
    assert.notEqual(check, 0);
  }
  assert.fail("no payload gave a zero checksum");
});

Deno.test("buildFrame() writes TCP options as tcp_options_write() lays them out", () => {
  const f = buildFrame({
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    tcp: {
      source: 40000,
      dest: 80,
      seq: 0xfffffff0,
      ackSeq: 7,
      flags: "SA",
      options: { mss: 1460, sackPerm: true, timestamp: [100, 200], wscale: 7 },
    },
  });
  const th = new TcpHdr(f, 34);
  assert.equal(th.doff, 10); // 20 + MSS 4 + SACK_PERM/TS 12 + NOP WSCALE 4
  assert.deepEqual([th.syn, th.ack, th.fin, th.rst, th.psh], [true, true, false, false, false]);
  assert.equal(th.seq, 0xfffffff0);
  assert.deepEqual([...th.optionBytes.subarray(0, 8)], [2, 4, 0x05, 0xb4, 4, 2, 8, 10]);
  const o = tcpParseOptions(th.optionBytes);
  assert.deepEqual([o.mss, o.wscale, o.timestamp], [1460, 7, { tsval: 100, tsecr: 200 }]);
  assert.equal(o.problem, undefined);
  assert.equal(decodeFrame(f).tcp?.checksumOk, true);
});

Deno.test("buildFrame() puts data-segment timestamps after two NOPs (NOP NOP TS, 12 bytes)", () => {
  const f = buildFrame({
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    tcp: { source: 1, dest: 2, options: { timestamp: [1, 2] } },
    payload: 10,
  });
  assert.deepEqual([...new TcpHdr(f, 34).optionBytes.subarray(0, 4)], [1, 1, 8, 10]);
});

Deno.test("buildFrame() builds an ICMP echo whose checksum covers the whole message", () => {
  const f = buildFrame({
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    icmp: { type: ICMP_ECHO, id: 0x42, sequence: 3 },
    payload: 56,
  });
  const ic = new IcmpHdr(f, 34);
  assert.deepEqual([ic.type, ic.code, ic.id, ic.sequence], [8, 0, 0x42, 3]);
  assert.equal(decodeFrame(f).icmp?.checksumOk, true);
});

Deno.test("buildFrame() inserts an 802.1Q tag before the ethertype", () => {
  const f = buildFrame({
    eth: { vlan: 100 },
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    udp: { source: 1, dest: 2 },
  });
  assert.equal(new EthHdr(f, 0).hProto, ETH_P_8021Q);
  const d = decodeFrame(f);
  assert.deepEqual(d.eth?.vlans, [100]);
  assert.equal(d.ipv4?.offset, 18);
  assert.deepEqual(d.problems, []);
});

Deno.test("buildFrame() pads IPv4 options to 4 bytes and counts them in ihl", () => {
  const f = buildFrame({
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", options: new Uint8Array([7, 3, 4]) },
    udp: { source: 1, dest: 2 },
  });
  const ip = new IpHdr(f, ETH_HLEN);
  assert.equal(ip.ihl, 6);
  assert.deepEqual([...ip.options], [7, 3, 4, 0]);
  assert.equal(decodeFrame(f).ipv4?.checksumOk, true);
});

Deno.test("ipIsFragment() is true for MF or a non-zero offset, false for DF alone", () => {
  const frag = (fragOff: number) =>
    ipIsFragment(
      new IpHdr(
        buildFrame({
          ipv4: { saddr: "1.1.1.1", daddr: "2.2.2.2", fragOff, protocol: IPPROTO_TCP },
          payload: 8,
        }),
        ETH_HLEN,
      ),
    );
  assert.equal(frag(0x2000), true);
  assert.equal(frag(0x0001), true);
  assert.equal(frag(IP_DF), false);
});

Deno.test("inAton() rejects text that is not four bytes, naming it", () => {
  assert.equal(inAton("255.255.255.255"), 0xffffffff);
  assert.throws(() => inAton("10.0.0.256"), { name: "SyntaxError", message: /"10\.0\.0\.256"/ });
  assert.throws(() => inAton("10.0.0"), SyntaxError);
  assert.throws(() => macAton("02:00:00"), SyntaxError);
});

Deno.test("buildFrame() rejects an unknown TCP flag letter", () => {
  assert.throws(
    () =>
      buildFrame({
        ipv4: { saddr: "1.1.1.1", daddr: "2.2.2.2" },
        tcp: { source: 1, dest: 2, flags: "SX" },
      }),
    { name: "SyntaxError", message: /"X"/ },
  );
});
