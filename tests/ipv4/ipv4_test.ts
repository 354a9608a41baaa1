// IPv4 input, routing, netfilter, UDP, ICMP and TCP, each behaviour with the reason the kernel
// has for it. The replay goldens (tests/scenario/replay_golden_test.ts) check the same paths
// against a real 6.18 kernel; these tests name the rules one by one.
import assert from "node:assert/strict";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import {
  replay,
  type ReplayLine,
  type ReplaySummary,
  scenarioHost,
} from "../../lib/scenario/replay.ts";
import { buildFrame, type FrameSpec } from "../../lib/wire/build.ts";
import { pcapRecords } from "../../lib/wire/pcap.ts";
import { IP_MF } from "../../lib/wire/ipv4.ts";
import { inAton } from "../../lib/wire/ipv4.ts";
import { fibLookup } from "../../lib/ipv4/fib.ts";
import { iptablesList } from "../../lib/proc/iptables.ts";
import {
  iptAppend,
  iptNewChain,
  iptSetPolicy,
  iptTableLoad,
} from "../../lib/netfilter/ip_tables.ts";
import { nfHookTable } from "../../lib/netfilter/core.ts";
import { createHost } from "../../lib/init/main.ts";
import { registerEtherdev } from "../../lib/core/netdevice.ts";
import { inetAddAddr } from "../../lib/ipv4/devinet.ts";
import { __udp4LibLookup, udpRecvmsg, udpSocket } from "../../lib/ipv4/udp.ts";
import { allocSkb } from "../../lib/core/skbuff.ts";
import { ethTypeTrans } from "../../lib/ethernet/eth.ts";
import { ipRcv } from "../../lib/ipv4/ip_input.ts";
import { Sock, sockSetRcvbuf } from "../../lib/core/sock.ts";
import { tcpEstablished } from "../../lib/ipv4/tcp_ipv4.ts";
import { ipNeighReplace } from "../../lib/ipv4/arp.ts";

const BASE = {
  ingress: "eth0",
  interfaces: [
    { name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 },
    { name: "eth1", mac: "02:00:00:00:01:02", addrs: ["10.2.0.2/24"], mtu: 1500 },
  ],
  routes: [{ dst: "10.9.0.0/16", via: "10.2.0.1", dev: "eth1" }],
  sockets: [{ proto: "udp", local: "0.0.0.0:5000" }],
};

function run(changes: Record<string, unknown>, frames: Uint8Array[]) {
  const lines = replay(
    loadScenario({ ...BASE, ...changes }),
    pcapRecords(frames, 400_000_000n),
  );
  return {
    frames: lines.slice(0, -1) as ReplayLine[],
    summary: lines.at(-1) as ReplaySummary,
  };
}

const udp = (o: Partial<FrameSpec> & { dport?: number } = {}) =>
  buildFrame({
    eth: o.eth,
    ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2", ...o.ipv4 },
    udp: { source: 6000, dest: o.dport ?? 5000, ...o.udp },
    payload: o.payload ?? 32,
  });

Deno.test("ip_rcv_core: checks in order — version, ihl, checksum, length — each with its counter", () => {
  const { frames, summary } = run({}, [
    udp({ ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2", version: 5 } }),
    udp({ ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2", ihl: 4 } }),
    udp({ ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2", check: 1 } }),
    udp({ ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2", totLen: 1000 } }),
    udp({ ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2", totLen: 19 } }),
  ]);
  assert.deepEqual(frames.map((f) => "reason" in f && f.reason), [
    "IP_INHDR",
    "IP_INHDR",
    "IP_CSUM",
    "PKT_TOO_SMALL",
    "IP_INHDR",
  ]);
  // InTruncatedPkts and InCsumErrors are IpExt counters; /proc/net/snmp's Ip has the rest
  assert.deepEqual(summary.counters.Ip, {
    Forwarding: 2,
    DefaultTTL: 64,
    InReceives: 5,
    InHdrErrors: 4,
  });
});

Deno.test("ip_rcv_core: a frame for another host is dropped before any MIB counts it (OTHERHOST)", () => {
  const { frames, summary } = run({}, [udp({ eth: { dst: "02:00:00:00:00:99" } })]);
  assert.deepEqual(frames[0], { frame: 0, fate: "dropped", reason: "OTHERHOST" });
  assert.equal(summary.counters.Ip.InReceives, undefined);
});

Deno.test("routing: not local and forwarding off is ip_error with InAddrErrors, no ICMP", () => {
  const { frames, summary } = run({}, [udp({ ipv4: { saddr: "10.1.0.7", daddr: "10.9.0.1" } })]);
  assert.deepEqual(frames[0], { frame: 0, fate: "dropped", reason: "IP_INADDRERRORS" });
  assert.equal(summary.counters.Ip.InAddrErrors, 1);
});

Deno.test("routing: forwarding picks the longest prefix; TTL 1 is time exceeded with IP_INHDR", () => {
  const { frames, summary } = run({ sysctl: { "net.ipv4.ip_forward": 1 } }, [
    udp({ ipv4: { saddr: "10.1.0.7", daddr: "10.9.3.4" } }),
    udp({ ipv4: { saddr: "10.1.0.7", daddr: "10.9.3.4", ttl: 1 } }),
    udp({ ipv4: { saddr: "10.1.0.7", daddr: "8.8.8.8" } }),
  ]);
  assert.deepEqual(frames[0], { frame: 0, fate: "forwarded", dev: "eth1" });
  assert.deepEqual(frames[1], {
    frame: 1,
    fate: "dropped",
    reason: "IP_INHDR",
    reply: "icmp time-exceeded",
  });
  // no default route: ENETUNREACH, InNoRoutes, and a net unreachable back
  assert.deepEqual(frames[2], {
    frame: 2,
    fate: "dropped",
    reason: "IP_INNOROUTES",
    reply: "icmp net-unreachable",
  });
  assert.equal(summary.counters.Ip.ForwDatagrams, 1);
});

Deno.test("routing: the local table wins over main, so an address of another device is local", () => {
  const host = scenarioHost(loadScenario(BASE)).host;
  const res = fibLookup(host, inAton("10.2.0.2"));
  assert.ok(typeof res !== "number");
  assert.equal(res.table, 255);
  assert.equal(res.route.type, "local");
});

Deno.test("rp_filter: strict refuses a source routed out of another device, loose accepts it", () => {
  const frame = udp({ ipv4: { saddr: "10.9.1.1", daddr: "10.1.0.2" } });
  const strict = run({ sysctl: { "net.ipv4.conf.all.rp_filter": 1 } }, [frame]);
  const loose = run({ sysctl: { "net.ipv4.conf.all.rp_filter": 2 } }, [frame]);
  const off = run({}, [frame]);
  assert.deepEqual(strict.frames[0], { frame: 0, fate: "dropped", reason: "IP_RPFILTER" });
  assert.deepEqual(loose.frames[0], { frame: 0, fate: "delivered", socket: 0 });
  assert.deepEqual(off.frames[0], { frame: 0, fate: "delivered", socket: 0 });
});

Deno.test("martians: loopback, zero and multicast sources, loopback destinations, our own address", () => {
  const { frames } = run({}, [
    udp({ ipv4: { saddr: "127.0.0.1", daddr: "10.1.0.2" } }),
    udp({ ipv4: { saddr: "0.0.0.0", daddr: "10.1.0.2" } }),
    udp({ ipv4: { saddr: "239.1.1.1", daddr: "10.1.0.2" } }),
    udp({ ipv4: { saddr: "10.1.0.7", daddr: "127.0.0.1" } }),
    udp({ ipv4: { saddr: "10.1.0.2", daddr: "10.1.0.2" } }),
  ]);
  assert.deepEqual(frames.map((f) => "reason" in f && f.reason), [
    "IP_LOCALNET",
    "IP_INVALID_SOURCE",
    "IP_INVALID_SOURCE",
    "IP_LOCALNET",
    "IP_LOCAL_SOURCE",
  ]);
});

Deno.test("broadcasts: limited and subnet broadcasts reach wildcard sockets; no socket is IgnoredMulti", () => {
  const bc = { dst: "ff:ff:ff:ff:ff:ff" };
  const { frames, summary } = run({}, [
    udp({ eth: bc, ipv4: { saddr: "10.1.0.7", daddr: "255.255.255.255" } }),
    udp({ eth: bc, ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.255" } }),
    udp({ eth: bc, ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.255" }, dport: 9 }),
  ]);
  assert.deepEqual(frames.map((f) => f.fate), ["delivered", "delivered", "dropped"]);
  assert.equal(summary.counters.Udp.IgnoredMulti, 1);
});

Deno.test("netfilter: the tables sit on the hooks at their priorities, raw first, security last", () => {
  const host = createHost();
  for (const t of ["filter", "security", "raw", "mangle", "nat"] as const) {
    iptTableLoad(host, t);
    for (const c of host.iptables.get(t)!.chains.keys()) iptSetPolicy(host, t, c, "ACCEPT");
  }
  const at = (hook: string) => nfHookTable(host).filter((e) => e.hook === hook).map((e) => e.name);
  assert.deepEqual(at("PRE_ROUTING"), [
    "iptable_raw_hook",
    "iptable_mangle_hook",
    "iptable_nat_hook",
  ]);
  assert.deepEqual(at("LOCAL_IN"), [
    "iptable_mangle_hook",
    "iptable_filter_hook",
    "iptable_security_hook",
    "iptable_nat_hook",
  ]);
  assert.deepEqual(at("FORWARD"), [
    "iptable_mangle_hook",
    "iptable_filter_hook",
    "iptable_security_hook",
  ]);
});

Deno.test("netfilter: first matching rule decides, counters count every match, policy the rest", () => {
  const { frames, summary } = run({
    filter: [
      { chain: "INPUT", proto: "udp", dport: 5000, src: "10.1.0.9/32", target: "DROP" },
      { chain: "INPUT", proto: "udp", dport: 5000, target: "ACCEPT" },
    ],
    policies: { INPUT: "DROP" },
  }, [
    udp({ ipv4: { saddr: "10.1.0.9", daddr: "10.1.0.2" } }),
    udp(),
    udp({ dport: 5001 }),
  ]);
  assert.deepEqual(frames.map((f) => "reason" in f ? f.reason : f.fate), [
    "NETFILTER_DROP",
    "delivered",
    "NETFILTER_DROP",
  ]);
  assert.deepEqual(summary.rules, [{ pkts: 1, bytes: 60 }, { pkts: 1, bytes: 60 }]);
});

Deno.test("netfilter: a user chain is walked on a jump and left on RETURN", () => {
  const sh = scenarioHost(loadScenario(BASE));
  const host = sh.host;
  iptNewChain(host, "filter", "UDPIN");
  iptAppend(host, "filter", "INPUT", { proto: 17, target: "UDPIN" });
  iptAppend(host, "filter", "UDPIN", { proto: 17, dport: 5000, target: "RETURN" });
  iptAppend(host, "filter", "UDPIN", { proto: 17, target: "DROP" });
  iptAppend(host, "filter", "INPUT", { proto: 17, target: "ACCEPT" });
  host.sim.at(0, () => sh.inject(udp()));
  host.sim.at(1_000_000, () => sh.inject(udp({ dport: 5001 })));
  host.sim.run(2_000_000);
  assert.equal(host.sim.ledger.fates.at(-1)!.reason, "NETFILTER_DROP");
  const [jump, ret, drop, accept] = [
    ...host.iptables.get("filter")!.chains.get("INPUT")!.rules.slice(0, 1),
    ...host.iptables.get("filter")!.chains.get("UDPIN")!.rules,
    host.iptables.get("filter")!.chains.get("INPUT")!.rules[1],
  ];
  assert.deepEqual([jump.pkts, ret.pkts, drop.pkts, accept.pkts], [2, 1, 1, 1]);
  assert.match(iptablesList(host).text, /Chain UDPIN \(1 references\)/);
  assert.throws(
    () => iptAppend(host, "filter", "INPUT", { target: "nochain" }),
    /no target or chain/,
  );
});

Deno.test("UDP lookup: connected beats bound beats wildcard; an exact address hides wildcards", () => {
  const host = createHost();
  inetAddAddr(host, registerEtherdev(host, "eth0", "02:00:00:00:00:02"), inAton("10.1.0.2"), 24);
  const any = udpSocket(host, { addr: 0, port: 5000 });
  const bound = udpSocket(host, { addr: inAton("10.1.0.2"), port: 5000 });
  const conn = udpSocket(host, {
    addr: inAton("10.1.0.2"),
    port: 5000,
    remote: { addr: inAton("10.1.0.7"), port: 6000 },
  });
  const look = (saddr: string, sport: number, daddr = "10.1.0.2") =>
    __udp4LibLookup(host, inAton(saddr), sport, inAton(daddr), 5000, 2, 0);
  assert.equal(look("10.1.0.7", 6000), conn);
  assert.equal(look("10.1.0.7", 6001), bound);
  assert.equal(look("10.1.0.8", 6000, "10.3.0.1"), any);
});

Deno.test("UDP buffer: SO_RCVBUF is doubled, capped by rmem_max, at least 2304; truesize is charged", () => {
  const host = createHost();
  const rcvbuf = (val: number) => {
    const sk = new Sock({ protocol: 17, rcvSaddr: 0, num: 1, rcvbuf: 0, ino: 1 });
    sockSetRcvbuf(sk, val, host.sysctl["net.core.rmem_max"]);
    return sk.rcvbuf;
  };
  assert.equal(rcvbuf(4608), 9216);
  assert.equal(rcvbuf(1), 2304);
  assert.equal(rcvbuf(1e9), 2 * 4194304);
  // 1042-byte frames are charged 2304 bytes each: 4 fit in 9216, the rest are SOCKET_RCVBUFF
  const { frames, summary } = run({
    sockets: [{ proto: "udp", local: "0.0.0.0:5000", rcvbuf: 4608 }],
  }, [
    ...Array.from({ length: 6 }, () => udp({ payload: 1000 })),
  ]);
  assert.deepEqual(frames.map((f) => f.fate), [
    "delivered",
    "delivered",
    "delivered",
    "delivered",
    "dropped",
    "dropped",
  ]);
  assert.equal(summary.counters.Udp.RcvbufErrors, 2);
  assert.equal(summary.counters.Udp.InErrors, 2);
});

Deno.test("UDP: an empty queue takes one datagram whatever its size (6.18's at-least-one rule)", () => {
  const { frames } = run({ sockets: [{ proto: "udp", local: "0.0.0.0:5000", rcvbuf: 1 }] }, [
    udp({ payload: 1400 }),
    udp({ payload: 10 }),
  ]);
  assert.deepEqual(frames.map((f) => f.fate), ["delivered", "dropped"]);
});

Deno.test("TCP: SYN to a listener gets a SYN-ACK, to a closed port a RST; a RST gets nothing", () => {
  const tcp = (dport: number, flags: string) =>
    buildFrame({
      ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
      tcp: { source: 40000 + dport, dest: dport, seq: 1, flags },
    });
  const { frames, summary } = run({ sockets: [{ proto: "tcp", local: "0.0.0.0:80" }] }, [
    tcp(80, "S"),
    tcp(81, "S"),
    tcp(81, "R"),
    tcp(82, "A"),
  ]);
  assert.deepEqual(frames[0], { frame: 0, fate: "delivered", socket: 0, reply: "tcp syn-ack" });
  assert.deepEqual(frames[1], { frame: 1, fate: "dropped", reason: "NO_SOCKET", reply: "tcp rst" });
  assert.deepEqual(frames[2], { frame: 2, fate: "dropped", reason: "NO_SOCKET" });
  assert.deepEqual(frames[3], { frame: 3, fate: "dropped", reason: "NO_SOCKET", reply: "tcp rst" });
  assert.equal(summary.counters.Tcp.InSegs, 4);
  assert.equal(summary.counters.Tcp.OutRsts, 2);
  // the SYN-ACK went again after 1 s (TCP_TIMEOUT_INIT), during frame 3's time
  assert.equal(summary.counters.Tcp.RetransSegs, 1);
  assert.equal(summary.counters.Tcp.OutSegs, 4);
});

Deno.test("TCP: an established connection queues in-order data and holds out-of-order data", () => {
  const sh = scenarioHost(loadScenario(BASE));
  const sk = tcpEstablished(sh.host, { addr: inAton("10.1.0.2"), port: 80 }, {
    addr: inAton("10.1.0.7"),
    port: 4000,
  }, 1000);
  const seg = (seq: number) =>
    buildFrame({
      ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
      tcp: { source: 4000, dest: 80, seq, ackSeq: 1, flags: "PA" },
      payload: 100,
    });
  let t = 0;
  for (const seq of [1000, 1200, 1100]) {
    sh.host.sim.at(t, () => sh.inject(seg(seq)));
    t += 1_000_000;
    sh.host.sim.run(t);
    if (seq === 1200) {
      assert.equal(sk.receiveQueue.length, 1);
      assert.equal(sk.outOfOrder.size, 1); // 1200 waits for 1100
    }
  }
  // 1100 fills the hole, copied into the first skb's tailroom (tcp_try_coalesce(): 100 bytes
  // behind a 154-byte frame the peer's packet_snd() put 2 bytes into a 256-byte head); 1200
  // follows it in an skb of its own, the first being full
  assert.equal(sk.receiveQueue.length, 2);
  assert.deepEqual(sk.receiveQueue.map((skb) => skb.len), [200, 100]);
  assert.equal(sk.rcvNxt, 1300);
});

Deno.test("fragments: reassembled in any order; an overlap kills the queue (RFC 5722, ReasmFails)", () => {
  const whole = udp({
    payload: 1000,
    ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2", id: 7, fragOff: 0 },
  });
  const body = whole.subarray(34);
  const frag = (off: number, len: number, more: boolean, id = 7) =>
    buildFrame({
      ipv4: {
        saddr: "10.1.0.7",
        daddr: "10.1.0.2",
        id,
        protocol: 17,
        fragOff: (more ? IP_MF : 0) | (off / 8),
      },
      payload: body.subarray(off, off + len),
    });
  const { frames, summary } = run({}, [
    frag(512, 496, false),
    frag(0, 512, true),
    frag(0, 512, true, 8),
    frag(256, 512, true, 8),
  ]);
  assert.deepEqual(frames.map((f) => f.fate), ["delivered", "delivered", "delivered", "dropped"]);
  // the overlapping fragment is dropped; the one it condemned is freed with consume_skb(), no
  // drop reported (as the skb:kfree_skb tracepoint of a 6.18 host shows)
  assert.deepEqual(frames[2], { frame: 2, fate: "delivered", socket: null });
  assert.deepEqual(frames[3], { frame: 3, fate: "dropped", reason: "NOT_SPECIFIED" });
  assert.equal(summary.counters.Ip.ReasmOKs, 1);
  assert.equal(summary.counters.Ip.ReasmFails, 1);
});

Deno.test("ICMP: errors to one host are paced by icmp_ratelimit after a burst of 6 (inet_peer)", () => {
  const frames = Array.from({ length: 8 }, (_, i) => udp({ dport: 6000 + i }));
  const lines = replay(
    loadScenario(BASE),
    frames.map((data) => ({ tsNs: 0n, data, origLen: data.length })),
  );
  const replies = lines.filter((l) => "reply" in l && l.reply);
  assert.equal(replies.length, 6);
  assert.equal((lines.at(-1) as ReplaySummary).counters.Icmp.OutRateLimitHost, 2);
});

Deno.test("a sysctl rxpath does not model is accepted at its default and an error otherwise", () => {
  // tcp_max_tw_buckets 131072 is the default here: nothing to model
  scenarioHost(loadScenario({ ...BASE, sysctl: { "net.ipv4.tcp_max_tw_buckets": 131072 } }));
  scenarioHost(loadScenario({ ...BASE, sysctl: { "net.ipv4.conf.eth0.accept_source_route": 1 } }));
  assert.throws(
    () => scenarioHost(loadScenario({ ...BASE, sysctl: { "net.ipv4.tcp_max_tw_buckets": 30 } })),
    /sysctl "net\.ipv4\.tcp_max_tw_buckets" = 30 is not modelled by rxpath \(only its default, 131072/,
  );
});

Deno.test("a frame longer than the ingress MTU never reaches IP: the veth drops it (is_skb_forwardable)", () => {
  const { frames, summary } = run({}, [udp({ payload: 1600 })]);
  assert.deepEqual(frames[0], { frame: 0, fate: "dropped", reason: "NOT_SPECIFIED" });
  assert.equal(summary.counters.Ip.InReceives, undefined);
});

Deno.test("a neighbour entry (ip neigh ... nud permanent) gives a forward its destination MAC", () => {
  const sh = scenarioHost(loadScenario({ ...BASE, sysctl: { "net.ipv4.ip_forward": 1 } }));
  ipNeighReplace(sh.host, "eth1", inAton("10.2.0.1"), new Uint8Array([2, 0, 0, 0, 0x99, 1]));
  sh.host.sim.at(0, () => sh.inject(udp({ ipv4: { saddr: "10.1.0.7", daddr: "10.9.0.1" } })));
  sh.host.sim.run(1_000_000);
  const eth1 = sh.host.devices.find((d) => d.name === "eth1")!;
  assert.deepEqual([...eth1.transmitted[0].frame.subarray(0, 6)], [2, 0, 0, 0, 0x99, 1]);
  assert.equal(eth1.transmitted[0].frame[14 + 8], 63); // TTL decremented on the way
});

Deno.test("udp_recvmsg with MSG_PEEK copies the oldest datagram but leaves it queued and uncounted, as udp_recvmsg()'s peeking does", () => {
  const host = createHost();
  const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
  inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
  const sk = udpSocket(host, { addr: 0, port: 53 });
  for (const payload of [100, 200]) {
    const frame = buildFrame({
      eth: { dst: "02:00:00:00:00:02" },
      ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
      udp: { source: 4000, dest: 53 },
      payload,
    });
    const skb = allocSkb(host.sim, frame, dev);
    skb.protocol = ethTypeTrans(skb, dev);
    ipRcv(host, host.sim.cpus[0], skb, dev);
  }
  assert.equal(sk.receiveQueue.length, 2);
  const charged = sk.rmemAlloc;
  assert.equal(udpRecvmsg(host, sk, undefined, true)?.len, 100);
  assert.equal(udpRecvmsg(host, sk, undefined, true)?.len, 100);
  assert.equal(sk.receiveQueue.length, 2);
  assert.equal(sk.rmemAlloc, charged);
  assert.equal(host.mib.udp.InDatagrams, 0);
  assert.equal(udpRecvmsg(host, sk)?.len, 100);
  assert.equal(udpRecvmsg(host, sk, undefined, true)?.len, 200);
  assert.equal(host.mib.udp.InDatagrams, 1);
});

Deno.test("ICMP: at icmp_msgs_per_sec 1 an error a second goes (icmp_global_allow() refills whole messages, from no credit at first; each message spends its mean credit, 1)", () => {
  const { frames, summary } = run({ sysctl: { "net.ipv4.icmp_msgs_per_sec": 1 } }, [
    udp({ dport: 9999 }), // the first refill: one message's credit, spent
    udp({ dport: 9999 }), // 0.4 s: 100 jiffies make no whole message
    udp({ dport: 9999 }), // 0.8 s: nor 200
    udp({ dport: 9999 }), // 1.2 s: a second's worth (250) at most, one message
  ]);
  assert.deepEqual(frames.map((f) => f.reply ?? null), [
    "icmp port-unreachable",
    null,
    null,
    "icmp port-unreachable",
  ]);
  assert.equal(summary.counters.Icmp.OutRateLimitGlobal, 2);
});
