// Replay cases in the categories the replay is judged on: each is a scenario
// (../shared/scenario-format.md) and the frames arriving on its ingress. record_replay.ts runs
// them through the machine's own kernel (replay_oracle.py) and keeps the answers.
import { buildFrame, type FrameSpec } from "../../lib/wire/build.ts";
import { MIX } from "../bench/scale.ts";
import { IP_MF } from "../../lib/wire/ipv4.ts";
import { csumFold, csumPartial } from "../../lib/wire/checksum.ts";

/** A replay case: the scenario as JSON and the frames. */
export interface ReplayCase {
  /** The scenario, as it would be written to a file. */
  scenario: Record<string, unknown>;
  /** Frames arriving on the ingress interface, in order. */
  frames: Uint8Array[];
  /** Time between frames, ns, when the default (400 ms) will not do. */
  gapNs?: bigint;
}

const PEER = "10.1.0.7";
const HOST = "10.1.0.2";

/** The format's own example host: two interfaces, forwarding on, strict rp_filter on eth0. */
export const BASE_SCENARIO = {
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
    { proto: "tcp", local: "0.0.0.0:80" },
  ],
};

function udp(
  dport: number,
  o: { saddr?: string; daddr?: string; sport?: number; payload?: number } & Partial<FrameSpec> = {},
): Uint8Array {
  return buildFrame({
    eth: o.eth,
    ipv4: { saddr: o.saddr ?? PEER, daddr: o.daddr ?? HOST, ...o.ipv4 },
    udp: { source: o.sport ?? 6000, dest: dport, ...o.udp },
    payload: o.payload ?? 32,
    pad: o.pad,
  });
}

function icmp(type: number, o: { saddr?: string; daddr?: string } & Partial<FrameSpec> = {}) {
  return buildFrame({
    eth: o.eth,
    ipv4: { saddr: o.saddr ?? PEER, daddr: o.daddr ?? HOST, ...o.ipv4 },
    icmp: { type, id: 0x1234, sequence: 1, ...o.icmp },
    payload: o.payload ?? 56,
    pad: o.pad,
  });
}

function tcp(dport: number, flags: string, o: Partial<FrameSpec> = {}): Uint8Array {
  return buildFrame({
    eth: o.eth,
    ipv4: { saddr: PEER, daddr: HOST, ...o.ipv4 },
    tcp: { source: 40000, dest: dport, seq: 1000, flags, options: { mss: 1460 }, ...o.tcp },
  });
}

// IP options a reply echoes: record-route with room for two addresses, for one, and full; a
// timestamp with room for three times, for two address-time pairs, and prespecified (ours, then
// the peer's); a record-route whose last slot is too short to echo; no-ops; two at once
const ECHOED_OPTIONS: Record<string, Uint8Array> = {
  rr2: Uint8Array.of(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0),
  rr1: Uint8Array.of(7, 7, 4, 0, 0, 0, 0),
  rrFull: Uint8Array.of(7, 7, 8, 1, 2, 3, 4),
  ts0: Uint8Array.of(68, 16, 5, 0, ...new Array(12).fill(0)),
  ts1: Uint8Array.of(68, 20, 5, 1, ...new Array(16).fill(0)),
  ts3: Uint8Array.of(68, 20, 5, 3, 10, 1, 0, 2, 0, 0, 0, 0, 10, 1, 0, 7, 0, 0, 0, 0),
  rrShort: Uint8Array.of(7, 9, 4, 0, 0, 0, 0, 0, 0),
  nops: Uint8Array.of(1, 1, 1, 1),
  rrTs: Uint8Array.of(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 68, 16, 5, 0, ...new Array(12).fill(0)),
};

// the link-layer group of 224.0.0.1 (ip_eth_mc_map())
const ALL_HOSTS_MAC = { dst: "01:00:5e:00:00:01" };

function with_(changes: Record<string, unknown>): Record<string, unknown> {
  return { ...BASE_SCENARIO, ...changes };
}

/** A UDP datagram of `len` payload bytes cut into fragments of `size` bytes of IP payload. */
function fragments(
  id: number,
  len: number,
  size: number,
  dport = 5000,
  o: { firstOptions?: Uint8Array; oneCut?: boolean } = {},
): Uint8Array[] {
  const whole = udp(dport, { payload: len, ipv4: { id, fragOff: 0 } as never, pad: false });
  const ipPayload = whole.subarray(34);
  const out: Uint8Array[] = [];
  // every `size` bytes, or with `oneCut` the first `size` and the rest
  for (let off = 0, end = size; off < ipPayload.length; off = end, end += o.oneCut ? 65536 : size) {
    const more = end < ipPayload.length;
    out.push(buildFrame({
      ipv4: {
        saddr: PEER,
        daddr: HOST,
        id,
        protocol: 17,
        fragOff: (more ? IP_MF : 0) | (off / 8),
        options: off ? undefined : o.firstOptions,
      },
      payload: ipPayload.subarray(off, end),
    }));
  }
  return out;
}

/** A frame sent to another destination, its IPv4 header checksum made good again. */
function retarget(frame: Uint8Array, daddr: number[]): Uint8Array {
  const g = frame.slice();
  g.set(daddr, 30);
  g[24] = g[25] = 0;
  const c = csumFold(csumPartial(g, 0, 14, 34));
  g[24] = c >> 8;
  g[25] = c & 255;
  return g;
}

/** An ARP packet from the wire, its bytes changed where `patch` says (offset from the frame). */
function arpFrame(
  o: { op?: number; src?: string; dst?: string; sip: string; tip: string },
  patch: Record<number, number> = {},
): Uint8Array {
  const f = buildFrame({
    eth: { src: o.src, dst: o.dst },
    arp: { op: o.op, sip: o.sip, tip: o.tip },
  });
  for (const [at, v] of Object.entries(patch)) f[Number(at)] = v;
  return f;
}

/** The cases, by name. */
export const REPLAY_CASES: Record<string, ReplayCase> = {
  // arp_filter on eth0: a request for eth1's address is answered when the route back to the
  // asker leaves by eth0, not when it leaves by eth1 (ArpFilter counted); rp_filter off, so
  // that the second asker's request is routed at all
  arp_filter: {
    scenario: with_({
      sysctl: {
        ...BASE_SCENARIO.sysctl,
        "net.ipv4.conf.eth0.rp_filter": 0,
        "net.ipv4.conf.eth0.arp_filter": 1,
      },
    }),
    frames: [
      arpFrame({ sip: PEER, tip: "10.2.0.2" }),
      arpFrame({ sip: "10.9.0.5", tip: "10.2.0.2" }),
      arpFrame({ sip: "10.9.0.5", tip: HOST }),
    ],
  },
  // proxy_arp on eth0 (forwarding on): a request sent to the host for an address it routes out
  // of eth1 is answered with eth0's MAC; one for its own segment is not (that would be
  // proxy_arp_pvlan's), nor a self-probe from an address strict rp_filter refuses
  proxy_arp: {
    scenario: with_({
      sysctl: { ...BASE_SCENARIO.sysctl, "net.ipv4.conf.eth0.proxy_arp": 1 },
    }),
    frames: [
      arpFrame({ dst: "02:00:00:00:00:02", sip: PEER, tip: "10.9.0.1" }),
      arpFrame({ dst: "02:00:00:00:00:02", sip: PEER, tip: "10.2.0.9" }),
      arpFrame({ dst: "02:00:00:00:00:02", sip: PEER, tip: "10.1.0.8" }),
      arpFrame({ dst: "02:00:00:00:00:02", sip: "10.9.0.1", tip: "10.9.0.1" }),
    ],
  },
  // ARP that arp_rcv() or arp_process() refuses or ignores, and requests for addresses of
  // another interface (answered: the host owns them) and of a routed network (not: no proxy ARP)
  arp_odds: {
    scenario: BASE_SCENARIO,
    frames: [
      arpFrame({ sip: PEER, tip: HOST }).slice(0, 34),
      arpFrame({ sip: PEER, tip: HOST }, { 18: 8 }),
      arpFrame({ op: 3, sip: PEER, tip: HOST }),
      arpFrame({ sip: PEER, tip: HOST }, { 15: 6 }),
      arpFrame({ sip: PEER, tip: "224.0.0.1" }),
      arpFrame({ sip: PEER, tip: "127.0.0.1" }),
      arpFrame({ sip: PEER, tip: PEER }),
      arpFrame({ sip: PEER, tip: "10.2.0.2" }),
      arpFrame({ sip: PEER, tip: "10.9.0.1" }),
      arpFrame({ dst: "02:00:00:00:09:09", sip: PEER, tip: HOST }),
      arpFrame({ sip: PEER, tip: HOST }, { 16: 0x86, 17: 0xdd }),
    ],
  },
  // The host resolves with ARP: entries given STALE, REACHABLE and PERMANENT are used at once (the
  // STALE one goes DELAY); a peer with none gets a broadcast request and its reply waits until an
  // ARP reply among the frames gives the address; a request from a new peer is answered and
  // teaches the host its address, which the reply to its datagram then uses.
  neighbour_states: {
    scenario: with_({
      neighbours: {
        arp: true,
        entries: [
          { dev: "eth0", addr: "10.1.0.7", mac: "02:00:00:00:00:07", state: "stale" },
          { dev: "eth0", addr: "10.1.0.8", mac: "02:00:00:00:00:08", state: "reachable" },
          { dev: "eth0", addr: "10.1.0.9", mac: "02:00:00:00:00:09" },
        ],
      },
    }),
    frames: [
      icmp(8, { saddr: "10.1.0.7" }),
      icmp(8, { saddr: "10.1.0.8" }),
      icmp(8, { saddr: "10.1.0.9" }),
      icmp(8, { saddr: "10.1.0.6" }),
      buildFrame({
        eth: { src: "02:00:00:00:00:06", dst: "02:00:00:00:00:02" },
        arp: { op: 2, sip: "10.1.0.6", tip: "10.1.0.2", tha: "02:00:00:00:00:02" },
      }),
      buildFrame({ eth: { src: "02:00:00:00:00:05" }, arp: { sip: "10.1.0.5", tip: "10.1.0.2" } }),
      udp(5002, { saddr: "10.1.0.5", sport: 6001 }),
    ],
  },
  ip_header_errors: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000),
      udp(5000, { ipv4: { version: 6 } as never }),
      udp(5000, { ipv4: { ihl: 4 } as never }),
      udp(5000, { ipv4: { check: 0x1234 } as never }),
      udp(5000, { ipv4: { totLen: 200 } as never }),
      udp(5000, { ipv4: { totLen: 16 } as never }),
      udp(5000, { ipv4: { ihl: 15 } as never }),
      buildFrame({ eth: { type: 0x0800 }, payload: 12, pad: false }),
      udp(5000, { ipv4: { fragOff: 0 } as never }),
    ],
  },
  udp_checksums_and_lengths: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000, { udp: { check: 0x1234 } as never }),
      udp(5000, { udp: { check: 0 } as never }),
      udp(5000, { udp: { len: 100 } as never }),
      udp(5000, { udp: { len: 4 } as never }),
      udp(5003),
      udp(5003, { udp: { check: 0x1234 } as never }),
      udp(5000, { payload: 0 }),
    ],
  },
  otherhost_and_l2: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000, { eth: { dst: "02:00:00:00:00:99" } }),
      udp(5000, { eth: { dst: "ff:ff:ff:ff:ff:ff" } }),
      udp(5000, { eth: { dst: "01:00:5e:00:00:fb" }, daddr: "224.0.0.251" }),
      udp(5000, { eth: { dst: "01:00:5e:00:00:01" } }),
      buildFrame({ eth: { type: 0x86dd }, payload: 40 }),
    ],
  },
  broadcasts: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000, { eth: { dst: "ff:ff:ff:ff:ff:ff" }, daddr: "255.255.255.255" }),
      udp(5000, { eth: { dst: "ff:ff:ff:ff:ff:ff" }, daddr: "10.1.0.255" }),
      udp(5009, { eth: { dst: "ff:ff:ff:ff:ff:ff" }, daddr: "10.1.0.255" }),
      udp(5001, { eth: { dst: "ff:ff:ff:ff:ff:ff" }, daddr: "10.1.0.255" }),
      icmp(8, { eth: { dst: "ff:ff:ff:ff:ff:ff" }, daddr: "10.1.0.255" }),
      icmp(8, { eth: { dst: "ff:ff:ff:ff:ff:ff" }, daddr: "255.255.255.255" }),
      udp(5000, { daddr: "10.2.0.255" }),
      udp(5000, { eth: { dst: "ff:ff:ff:ff:ff:ff" }, daddr: "10.1.0.0" }),
    ],
  },
  broadcast_echo_answered: {
    scenario: with_({
      sysctl: { ...BASE_SCENARIO.sysctl, "net.ipv4.icmp_echo_ignore_broadcasts": 0 },
    }),
    frames: [icmp(8, { eth: { dst: "ff:ff:ff:ff:ff:ff" }, daddr: "10.1.0.255" })],
  },
  forwarding_and_ttl: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000, { daddr: "10.9.1.1" }),
      udp(5000, { daddr: "10.9.1.1", ipv4: { ttl: 1 } as never }),
      udp(5000, { daddr: "10.9.1.1", ipv4: { ttl: 2 } as never }),
      udp(5000, { daddr: "10.9.1.1", ipv4: { ttl: 0 } as never }),
      icmp(8, { daddr: "10.9.1.1" }),
      udp(5000, { daddr: "10.2.0.9" }),
      udp(5000, { daddr: "10.2.0.2" }),
      udp(5000, { daddr: "8.8.8.8" }),
      udp(5000, { daddr: "10.9.1.1", ipv4: { ttl: 1 } as never, udp: { check: 0x1234 } as never }),
    ],
  },
  // eth1 shaped by tbf (a 1400-byte bucket, refilled between frames), eth0 with pfifo_fast: a
  // forward within the burst passes (qdisc_enqueue, qdisc_dequeue), one larger than the burst is
  // dropped at tbf_enqueue (QDISC_DROP); replies out of eth0 bypass the empty pfifo_fast
  qdiscs_out: {
    scenario: with_({
      interfaces: [
        { ...BASE_SCENARIO.interfaces[0], qdisc: "pfifo_fast", txqueuelen: 100 },
        { ...BASE_SCENARIO.interfaces[1], qdisc: "tbf rate 1mbit burst 1400 limit 3000" },
      ],
    }),
    frames: [
      udp(5000, { daddr: "10.9.1.1", payload: 1000 }),
      udp(5000, { daddr: "10.9.1.1", payload: 1300 }),
      udp(5000, { daddr: "10.9.1.1", payload: 1450 }),
      icmp(8),
      udp(7),
    ],
  },
  // work-conserving qdiscs that lock (pfifo, bfifo): an empty one lets each packet bypass it
  // under its root lock, which is let go while the driver has the packet
  qdiscs_bypass: {
    scenario: with_({
      interfaces: [
        { ...BASE_SCENARIO.interfaces[0], qdisc: "pfifo limit 10" },
        { ...BASE_SCENARIO.interfaces[1], qdisc: "bfifo limit 3000", txqueuelen: 10 },
      ],
    }),
    frames: [
      udp(5000, { daddr: "10.9.1.1", payload: 1000 }),
      icmp(8),
      tcp(80, "S"),
      udp(7),
    ],
  },
  forward_too_big: {
    scenario: with_({
      interfaces: [
        BASE_SCENARIO.interfaces[0],
        { name: "eth1", mac: "02:00:00:00:01:02", addrs: ["10.2.0.2/24"], mtu: 1000 },
      ],
    }),
    frames: [
      udp(5000, { daddr: "10.9.1.1", payload: 1200 }),
      udp(5000, { daddr: "10.9.1.1", payload: 1200, ipv4: { fragOff: 0 } as never }),
      udp(5000, { daddr: "10.9.1.1", payload: 900 }),
    ],
  },
  // An echo reply longer than the way back's MTU leaves in fragments: ip_append_data() built it
  // as a frag_list, which ip_do_fragment()'s fast path sends as it is (no copy, nothing freed).
  fragmented_replies: {
    scenario: with_({
      sysctl: {},
      interfaces: [
        BASE_SCENARIO.interfaces[0],
        { name: "eth1", mac: "02:00:00:00:01:02", addrs: ["10.2.0.2/24"], mtu: 576 },
      ],
    }),
    frames: [
      icmp(8, { saddr: "10.9.9.9", payload: 1300 }),
      icmp(8, { saddr: "10.9.9.9", payload: 548 }),
      icmp(8, { saddr: "10.9.9.9", payload: 549 }),
      udp(9999, { saddr: "10.9.9.9", payload: 1300 }),
      icmp(8, { saddr: "10.2.0.7", payload: 1400 }),
    ],
  },
  forwarding_off: {
    scenario: with_({ sysctl: { "net.ipv4.ip_forward": 0 } }),
    frames: [
      udp(5000, { daddr: "10.9.1.1" }),
      udp(5000, { daddr: "10.9.1.1", ipv4: { ttl: 1 } as never }),
    ],
  },
  // Forwarding per device, in the order given: ip_forward and conf.all.forwarding written with
  // the value they have change nothing (devinet_sysctl_forward()), so eth0 and eth1 forward.
  forwarding_per_device: {
    scenario: with_({
      sysctl: {
        "net.ipv4.conf.eth0.forwarding": 1,
        "net.ipv4.ip_forward": 0,
        "net.ipv4.conf.eth1.forwarding": 1,
        "net.ipv4.conf.all.forwarding": 0,
      },
    }),
    frames: [
      udp(5000, { daddr: "10.9.1.1" }),
      udp(5000, { daddr: "10.1.0.9" }),
      udp(5000, { daddr: "192.168.1.1" }),
    ],
  },
  // No route back to the source (no default route, no reverse-path filter): a RST or an ACK
  // through ip_send_unicast_reply() is counted though it cannot go; a SYN-ACK's route is looked
  // up first, and its failure counts OutNoRoutes (inet_csk_route_req()); ICMP counts neither.
  no_route_back: {
    scenario: with_({ sysctl: {}, routes: [] }),
    frames: [
      tcp(81, "A", {
        ipv4: { saddr: "192.168.5.5", daddr: HOST },
        tcp: { source: 4000, dest: 81, ackSeq: 2 },
      }),
      tcp(81, "S", {
        ipv4: { saddr: "192.168.5.5", daddr: HOST },
        tcp: { source: 4001, dest: 81 },
      }),
      tcp(80, "S", {
        ipv4: { saddr: "192.168.5.5", daddr: HOST },
        tcp: { source: 4002, dest: 80 },
      }),
      icmp(8, { saddr: "192.168.5.5", payload: 8 }),
      udp(9999, { saddr: "192.168.5.5", payload: 8 }),
    ],
  },
  no_route: {
    scenario: with_({ routes: [{ dst: "10.9.0.0/16", via: "10.2.0.1", dev: "eth1" }] }),
    frames: [udp(5000, { daddr: "8.8.8.8" }), udp(5000, { daddr: "10.9.3.3" })],
  },
  unreachable_routes: {
    scenario: with_({
      routes: [
        { dst: "10.9.0.0/16", via: "10.2.0.1", dev: "eth1" },
        { dst: "0.0.0.0/0", via: "10.1.0.1", dev: "eth0" },
      ],
    }),
    frames: [udp(5000, { daddr: "10.2.0.2", ipv4: { ttl: 1 } as never })],
  },
  netfilter_rules: {
    scenario: with_({
      filter: [
        { chain: "INPUT", proto: "udp", src: "10.1.0.9/32", dport: 7000, target: "DROP" },
        { chain: "INPUT", proto: "tcp", dport: 80, in: "eth0", target: "ACCEPT" },
        { chain: "INPUT", proto: "icmp", target: "DROP" },
        { chain: "INPUT", proto: "udp", sport: 6001, target: "ACCEPT" },
        { chain: "FORWARD", proto: "udp", dst: "10.9.0.0/16", target: "DROP" },
        { chain: "FORWARD", proto: 17, target: "ACCEPT" },
      ],
      policies: { INPUT: "DROP", FORWARD: "ACCEPT" },
    }),
    frames: [
      udp(7000, { saddr: "10.1.0.9" }),
      udp(7000, { saddr: "10.1.0.8" }),
      udp(5000, { sport: 6001 }),
      udp(5000, { sport: 6001, payload: 100 }),
      tcp(80, "S"),
      icmp(8),
      udp(5000, { daddr: "10.9.1.1" }),
      udp(5000, { daddr: "8.8.8.8" }),
      udp(5000),
      udp(5003, { sport: 6001 }),
    ],
  },
  rp_filter: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000, { saddr: "10.9.1.1" }),
      udp(5000, { saddr: "10.2.0.9" }),
      udp(5000, { saddr: "8.8.4.4" }),
      udp(5000, { saddr: "10.9.1.1", daddr: "10.2.0.2" }),
      udp(5000, { saddr: "10.9.1.1", daddr: "8.8.8.8" }),
    ],
  },
  rp_filter_loose: {
    scenario: with_({
      sysctl: { "net.ipv4.ip_forward": 1, "net.ipv4.conf.all.rp_filter": 2 },
      routes: [{ dst: "10.9.0.0/16", via: "10.2.0.1", dev: "eth1" }],
    }),
    frames: [
      udp(5000, { saddr: "10.9.1.1" }),
      udp(5000, { saddr: "8.8.4.4" }),
      udp(5000, { saddr: "10.2.0.9" }),
    ],
  },
  martians: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000, { saddr: "127.0.0.1" }),
      udp(5000, { saddr: "0.0.0.0" }),
      udp(5000, { saddr: "224.0.0.5" }),
      udp(5000, { saddr: "255.255.255.255" }),
      udp(5000, { saddr: "10.1.0.2" }),
      udp(5000, { daddr: "127.0.0.1" }),
      udp(5000, { daddr: "0.1.2.3" }),
      udp(5000, { saddr: "0.0.0.0", daddr: "255.255.255.255", eth: { dst: "ff:ff:ff:ff:ff:ff" } }),
      udp(5000, { saddr: "10.1.0.255" }),
      udp(5000, { daddr: "240.0.0.1" }),
    ],
  },
  // With no reverse-path filter a subnet's broadcast address passes as a source: the answer goes
  // to a broadcast route, whose ip_mc_output() also loops a copy back in (PACKET_LOOPBACK).
  broadcast_sources: {
    scenario: with_({
      sysctl: {},
      filter: [
        { chain: "INPUT", proto: "icmp", target: "ACCEPT" },
        { chain: "INPUT", proto: "tcp", sport: 80, target: "ACCEPT" },
        { chain: "OUTPUT", proto: "icmp", target: "ACCEPT" },
      ],
    }),
    // the SYNs last and close together: their SYN-ACKs' retransmissions (1 s on) fall after the
    // capture's end, not on the recording's slower clock within it
    gapNs: 100_000_000n,
    frames: [
      icmp(8, { saddr: "10.1.0.255" }),
      udp(9999, { saddr: "10.1.0.255" }),
      tcp(81, "A", {
        ipv4: { saddr: "10.1.0.255", daddr: HOST },
        tcp: { source: 40002, dest: 81, ackSeq: 9 },
      }),
      udp(5000, { saddr: "10.1.0.255" }),
      icmp(8, { saddr: "10.2.0.255" }),
      icmp(13, { saddr: "10.1.0.255", daddr: "10.2.0.2", payload: 12 }),
      tcp(80, "S", { ipv4: { saddr: "10.1.0.255", daddr: HOST } }),
      tcp(80, "S", {
        ipv4: { saddr: "10.2.0.255", daddr: HOST },
        tcp: { source: 40003, dest: 80 },
      }),
    ],
  },
  // ip_mc_validate_source()'s reasons for a packet to a joined group (224.0.0.1): 0.0.0.0 may
  // send to a link-local group; any other source is checked as a unicast one would be.
  multicast_sources: {
    scenario: with_({ sysctl: { "net.ipv4.conf.all.rp_filter": 1 } }),
    frames: [
      ...[
        PEER,
        "10.1.0.255",
        "10.2.0.2",
        "10.9.9.9",
        "10.2.0.7",
        "0.0.0.0",
        "127.0.0.1",
        "224.0.0.5",
        "255.255.255.255",
        HOST,
      ].map((saddr) => udp(5000, { saddr, daddr: "224.0.0.1", eth: ALL_HOSTS_MAC })),
      icmp(8, { saddr: "0.0.0.0", daddr: "224.0.0.1", eth: ALL_HOSTS_MAC }),
      icmp(8, { daddr: "224.0.0.1", eth: ALL_HOSTS_MAC }),
      udp(5000, { daddr: "224.0.0.2", eth: { dst: "01:00:5e:00:00:02" } }),
    ],
  },
  // icmp_timestamp() needs only the originate timestamp (4 bytes after the header); icmp_rcv()
  // counts an echo with a code and an address-mask request, and answers neither with an error.
  icmp_timestamp_lengths: {
    scenario: BASE_SCENARIO,
    frames: [
      ...[0, 3, 4, 11, 12, 40].map((payload, i) =>
        icmp(13, { icmp: { type: 13, code: i === 4 ? 7 : 0, sequence: i }, payload, pad: false })
      ),
      icmp(8, { icmp: { type: 8, code: 9 }, payload: 0, pad: false }),
      icmp(17, { payload: 4 }),
      icmp(14, { payload: 12 }),
    ],
  },
  // Replies echo the record-route and timestamp options as this hop left them, with room for
  // their own entry (__ip_options_echo(), ip_options_build()); an option with a slot too short
  // for it gets no reply at all. RSTs take the segment's TOS. The SYNs go last: their SYN-ACKs'
  // retransmissions fall after the capture.
  ip_options_echoed: {
    scenario: with_({ filter: [{ chain: "INPUT", proto: "udp", dport: 7, target: "DROP" }] }),
    frames: [
      ...Object.values(ECHOED_OPTIONS).flatMap((options, i) => [
        icmp(8, { ipv4: { saddr: PEER, daddr: HOST, options, tos: 0x10 }, payload: 16 }),
        udp(9999, { ipv4: { saddr: PEER, daddr: HOST, options } as never, payload: 16 }),
        tcp(81, "A", {
          ipv4: { saddr: PEER, daddr: HOST, options, tos: 0x11 },
          tcp: { source: 41000 + i, dest: 81, seq: 5, ackSeq: 9 },
        }),
      ]),
      udp(5000, {
        daddr: "10.9.1.1",
        ipv4: { options: ECHOED_OPTIONS.ts1, ttl: 1 } as never,
        payload: 8,
      }),
      icmp(13, { ipv4: { saddr: PEER, daddr: HOST, options: ECHOED_OPTIONS.ts0 }, payload: 12 }),
      tcp(80, "S", { ipv4: { saddr: PEER, daddr: HOST, options: ECHOED_OPTIONS.rr2 } }),
      tcp(80, "S", {
        ipv4: { saddr: PEER, daddr: HOST, options: ECHOED_OPTIONS.ts3 },
        tcp: { source: 40001, dest: 80 },
      }),
    ],
  },
  // icmp_reply() is limited as errors are when icmp_ratemask names the reply's type (echo and
  // timestamp replies here): the destination's bucket holds six, then one a second
  // (icmp_ratelimit); another destination has its own; the global credit never runs out here.
  echo_reply_limits: {
    scenario: with_({
      sysctl: {
        "net.ipv4.icmp_ratemask": (1 << 0) | (1 << 14),
        "net.ipv4.icmp_msgs_per_sec": 10000,
        "net.ipv4.icmp_msgs_burst": 10000,
        "net.ipv4.icmp_ratelimit": 1000,
      },
    }),
    frames: [
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((sequence) =>
        icmp(sequence === 5 ? 13 : 8, { icmp: { sequence } as never, payload: 12 })
      ),
      icmp(8, { saddr: "10.1.0.8", payload: 8 }),
      udp(9999, { payload: 8 }),
    ],
  },
  // An ICMP error goes to the err_handler of the protocol it quotes (icmp_socket_deliver()):
  // UDP's and TCP's count Icmp InErrors when no socket sent what it quotes (a listener is not
  // looked up); less than 8 bytes after the quoted header is InErrors too; a reassembly timeout
  // and unreachable codes past 15 go no further.
  icmp_errors_quoting: {
    scenario: BASE_SCENARIO,
    frames: (() => {
      // what the host would have sent: its IP header and 8 bytes after it
      const sent = (l4: Partial<FrameSpec>, n = 28) =>
        buildFrame({ ipv4: { saddr: HOST, daddr: PEER }, ...l4, payload: 0, pad: false })
          .subarray(14, 14 + n);
      const udpFrom = (sport: number) => sent({ udp: { source: sport, dest: 9 } });
      const err = (type: number, code: number, quoted: Uint8Array) =>
        icmp(type, { icmp: { type, code, id: 0, sequence: 0 }, payload: quoted } as never);
      return [
        err(3, 3, udpFrom(5000)),
        err(3, 3, udpFrom(7777)),
        err(3, 3, udpFrom(5001)),
        err(3, 1, sent({ tcp: { source: 80, dest: 4000, seq: 1, flags: "A" } })),
        err(3, 3, udpFrom(7777).subarray(0, 24)),
        err(11, 0, udpFrom(7777)),
        err(11, 1, udpFrom(7777)),
        err(3, 16, udpFrom(7777)),
        err(12, 0, udpFrom(7777)),
        err(3, 4, udpFrom(7777)),
        err(3, 2, sent({ icmp: { type: 8, id: 1, sequence: 1 } })),
        err(4, 0, udpFrom(7777)),
      ];
    })(),
  },
  // From one of its own addresses (accept_local): every answer goes round lo, back into the
  // host — a protocol and a port unreachable (their own quotes find no socket: InErrors), an echo
  // reply, a RST — and nothing leaves it.
  replies_to_own_address: {
    scenario: with_({ sysctl: { "net.ipv4.conf.eth0.accept_local": 1 } }),
    frames: [
      udp(5000, { saddr: "10.2.0.2", ipv4: { protocol: 200 } as never }),
      udp(9999, { saddr: "10.2.0.2", payload: 8 }),
      icmp(8, { saddr: "10.2.0.2", payload: 8 }),
      tcp(81, "A", {
        ipv4: { saddr: "10.2.0.2", daddr: HOST },
        tcp: { source: 40000, dest: 81, ackSeq: 2 },
      }),
      udp(5000, { saddr: "10.2.0.2", payload: 8 }),
    ],
  },
  martians_route_localnet: {
    scenario: with_({ sysctl: { "net.ipv4.conf.all.route_localnet": 1 } }),
    frames: [udp(5000, { saddr: "127.0.0.1" }), udp(5000, { daddr: "127.0.0.1" })],
  },
  icmp_echo: {
    scenario: BASE_SCENARIO,
    frames: [
      icmp(8),
      icmp(8, { icmp: { checksum: 0x1234 } as never }),
      icmp(0),
      icmp(13),
      icmp(3, { icmp: { code: 3 } as never }),
      icmp(8, { daddr: "10.2.0.2" }),
      icmp(42),
    ],
  },
  icmp_echo_ignored: {
    scenario: with_({ sysctl: { "net.ipv4.icmp_echo_ignore_all": 1 } }),
    frames: [icmp(8)],
  },
  unknown_protocols: {
    scenario: BASE_SCENARIO,
    frames: [
      buildFrame({ ipv4: { saddr: PEER, daddr: HOST, protocol: 200 }, payload: 20 }),
      buildFrame({ ipv4: { saddr: PEER, daddr: HOST, protocol: 47 }, payload: 20 }),
      buildFrame({ ipv4: { saddr: PEER, daddr: HOST, protocol: 2 }, payload: 8 }),
      buildFrame({
        ipv4: { saddr: PEER, daddr: "10.1.0.255", protocol: 200 },
        eth: { dst: "ff:ff:ff:ff:ff:ff" },
        payload: 20,
      }),
    ],
  },
  rcvbuf_overflow: {
    scenario: BASE_SCENARIO,
    frames: [
      ...Array.from({ length: 6 }, () => udp(5001, { payload: 1000 })),
      ...Array.from({ length: 6 }, () => udp(5001, { payload: 10 })),
      udp(5001, { payload: 1400 }),
    ],
  },
  rcvbuf_sizes: {
    scenario: with_({
      sockets: [
        { proto: "udp", local: "0.0.0.0:5000", rcvbuf: 1 },
        { proto: "udp", local: "0.0.0.0:5001", rcvbuf: 3000 },
        { proto: "udp", local: "0.0.0.0:5002", rcvbuf: 100000000 },
      ],
    }),
    frames: [
      ...Array.from({ length: 4 }, () => udp(5000, { payload: 200 })),
      ...Array.from({ length: 6 }, () => udp(5001, { payload: 500 })),
      ...Array.from({ length: 6 }, () => udp(5002, { payload: 1400 })),
    ],
  },
  tcp_syn: {
    scenario: BASE_SCENARIO,
    frames: [
      tcp(80, "S"),
      tcp(81, "S"),
      tcp(81, "A", { tcp: { ackSeq: 5555 } as never }),
      tcp(81, "R"),
      tcp(81, "SA", { tcp: { ackSeq: 5555 } as never }),
      tcp(80, "S", { tcp: { check: 0x1234 } as never }),
      tcp(80, "A", { tcp: { ackSeq: 5555 } as never }),
      tcp(80, "R"),
      tcp(81, "FA", { tcp: { ackSeq: 5555 } as never }),
      tcp(80, "S", {
        ipv4: { saddr: PEER, daddr: "10.1.0.255" },
        eth: { dst: "ff:ff:ff:ff:ff:ff" },
      }),
      tcp(80, "SF"),
    ],
  },
  // a SYN sent again while its request waits: tcp_check_req() answers a retransmitted SYN with
  // the SYN-ACK again, at most once per tcp_invalid_ratelimit (500 ms; tcp_oow_rate_limited(),
  // TCPACKSkippedSynRecv), and each SYN-ACK it sends restarts the request's timer
  syn_retransmitted: {
    scenario: BASE_SCENARIO,
    frames: Array.from({ length: 8 }, () => tcp(80, "S")),
  },
  // the same SYN every 25 s while its SYN-ACK timer runs (1, 3, 7, 15 s...): each answered SYN
  // restarts the timer at the request's current timeout, so the request outlives the 63 s the
  // retries alone would give it, and the last SYN finds it still waiting
  syn_retransmitted_slow: {
    scenario: BASE_SCENARIO,
    frames: Array.from({ length: 4 }, () => tcp(80, "S")),
    gapNs: 25_000_000_000n,
  },
  // segments to a request sock that carry no good ACK (its SYN-ACK's sequence is not known
  // ahead): out of its window, the same again within tcp_invalid_ratelimit, a RST in the window
  // but not at rcv_nxt, a RST at rcv_nxt; on a new request a bare in-sequence segment and a SYN
  // in the window; on a third a RST whose ACK is wrong
  synrecv_window: {
    scenario: BASE_SCENARIO,
    frames: [
      tcp(80, "S"),
      tcp(80, "P", { tcp: { seq: 900_000 } as never }),
      tcp(80, "P", { tcp: { seq: 900_000 } as never }),
      tcp(80, "R", { tcp: { seq: 1005 } as never }),
      tcp(80, "R", { tcp: { seq: 1001 } as never }),
      tcp(80, "S"),
      tcp(80, "", { tcp: { seq: 1001 } as never }),
      tcp(80, "S", { tcp: { seq: 1003 } as never }),
      tcp(80, "S"),
      tcp(80, "RA", { tcp: { seq: 1001, ackSeq: 5555 } as never }),
    ],
  },
  // flag sets no handshake sends, to a listener (no request waits) and to a closed port
  tcp_flag_sets: {
    scenario: BASE_SCENARIO,
    frames: [
      ...["A", "F", "P", "R", "RA", "SA", "SR", "", "FPU", "SU"].map((f) =>
        tcp(80, f, { tcp: { source: 41000, ackSeq: f.includes("A") ? 777 : 0 } as never })
      ),
      ...["F", "P", "FA", "", "SR", "R"].map((f) =>
        tcp(81, f, { tcp: { source: 41000, ackSeq: f.includes("A") ? 99 : 0 } as never })
      ),
    ],
  },
  // ICMP types the host answers, ignores or takes as errors: timestamp, address mask, source
  // quench, an unknown type, an echo with a bad checksum, short or long, with a code, an echo
  // reply and a port unreachable nobody asked for
  icmp_types: {
    scenario: BASE_SCENARIO,
    frames: [
      icmp(13, { payload: 12 }),
      icmp(17, { payload: 4 }),
      icmp(4),
      icmp(99),
      icmp(8, { icmp: { checksum: 1 } as never }),
      icmp(8, { payload: 0 }),
      icmp(8, { payload: 1400 }),
      icmp(8, { icmp: { code: 5 } as never }),
      icmp(0),
      icmp(3, { icmp: { code: 3 } as never, payload: 28 }),
    ],
  },
  // forwards back out of the ingress (a redirect each), TTL 1 for a fragment and for an ICMP
  // error, DF too big for nothing (1400 fits eth1), broadcasts of other subnets, multicast
  forward_odds: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(53, { daddr: "8.8.8.8" }),
      udp(53, { daddr: "8.8.8.8" }),
      udp(53, { daddr: "8.8.4.4" }),
      udp(53, { daddr: "8.8.8.8", ipv4: { ttl: 1 } as never }),
      icmp(8, { daddr: "8.8.8.8" }),
      icmp(3, { daddr: "10.9.1.1", icmp: { code: 1 } as never, ipv4: { ttl: 1 } as never }),
      udp(53, { daddr: "10.9.1.1", ipv4: { ttl: 1, fragOff: 0x2000 } as never }),
      udp(53, { daddr: "10.9.1.1", ipv4: { ttl: 1, fragOff: 10 } as never }),
      udp(53, { daddr: "10.9.1.1", payload: 1400, ipv4: { fragOff: 0x4000 } as never }),
      udp(53, { daddr: "10.2.0.255" }),
      udp(53, { daddr: "10.9.255.255" }),
      udp(53, { daddr: "224.1.2.3" }),
    ],
  },
  // the bench's mixed replay (tests/bench/scale.ts), its nine frames four times over: each kind
  // again after 3.6 s — the same SYN to its request, the same errors to the same peer
  bench_mix: {
    scenario: BASE_SCENARIO,
    frames: Array.from({ length: 36 }, (_, i) => buildFrame(MIX[i % MIX.length].spec)),
  },
  // net.core.somaxconn 4 caps listen(128): the SYN queue is full once five requests wait, and
  // later SYNs get a cookie SYN-ACK; an ACK echoing no cookie of ours gets a reset
  syn_flood_cookies: {
    scenario: with_({ sysctl: { ...BASE_SCENARIO.sysctl, "net.core.somaxconn": 4 } }),
    frames: [
      ...Array.from({ length: 8 }, (_, i) => tcp(80, "S", { tcp: { source: 40001 + i } as never })),
      tcp(80, "A", { tcp: { source: 40008, seq: 1001, ackSeq: 5555 } as never }),
    ],
  },
  // the same flood with tcp_syncookies 0: SYNs beyond the full queue are dropped unanswered
  syn_flood_no_cookies: {
    scenario: with_({
      sysctl: { ...BASE_SCENARIO.sysctl, "net.core.somaxconn": 4, "net.ipv4.tcp_syncookies": 0 },
    }),
    frames: [
      ...Array.from({ length: 8 }, (_, i) => tcp(80, "S", { tcp: { source: 40001 + i } as never })),
      tcp(80, "A", { tcp: { source: 40008, seq: 1001, ackSeq: 5555 } as never }),
    ],
  },
  // without cookies the last quarter of tcp_max_syn_backlog (8) is kept for proven peers: a SYN
  // finding seven requests waiting is dropped though listen(128) would take more
  syn_backlog_last_quarter: {
    scenario: with_({
      sysctl: {
        ...BASE_SCENARIO.sysctl,
        "net.ipv4.tcp_syncookies": 0,
        "net.ipv4.tcp_max_syn_backlog": 8,
      },
    }),
    frames: Array.from(
      { length: 9 },
      (_, i) => tcp(80, "S", { tcp: { source: 40001 + i } as never }),
    ),
  },
  fragments: {
    scenario: BASE_SCENARIO,
    frames: [
      ...fragments(0x101, 1000, 512),
      ...(() => {
        const f = fragments(0x102, 1200, 400); // 400, 400, 400 and 8 bytes
        return [f[3], f[0], f[2], f[1]];
      })(),
      fragments(0x103, 1000, 512)[0],
      ...fragments(0x104, 1000, 512, 5003),
    ],
  },
  // Reassembly for local delivery copies a fragment into the head's tailroom while it fits
  // (inet_frag_reasm_finish(), skb_try_coalesce()): behind a 130-byte first fragment the peer's
  // packet_snd() left 124 bytes. A coalesced datagram is charged only its head's truesize, so a
  // small receive buffer takes twice as many; the first fragment's IP options are the
  // datagram's (skb_morph()), which the port unreachable echoes.
  fragments_coalesced: {
    scenario: BASE_SCENARIO,
    frames: [
      ...[104, 124, 125, 160].flatMap((second, i) =>
        fragments(0x401 + i, 88 + second, 96, 9999, { oneCut: true })
      ),
      ...Array.from({ length: 14 }, (_, i) => fragments(0x410 + i, 112, 96, 5001)).flat(),
      ...fragments(0x420, 192, 96, 9999, { firstOptions: ECHOED_OPTIONS.rr2, oneCut: true }),
    ],
  },
  // a datagram completes, then its last fragment comes again: a new queue that only times out,
  // on its timer's wheel bucket (up to 2 s after ipfrag_time), with no ICMP (no first fragment)
  fragment_again_after_reassembly: {
    scenario: BASE_SCENARIO,
    frames: [...fragments(0x301, 50, 24), fragments(0x301, 50, 24)[2]],
  },
  // a datagram completes, then its first fragment comes again under the same ID: the new queue
  // expires, and its time exceeded quotes a header the first frame had too
  fragment_id_again: {
    scenario: BASE_SCENARIO,
    frames: [...fragments(0x302, 50, 24), fragments(0x302, 50, 24)[0]],
  },
  // a first fragment that never completes, a whole datagram, then a first fragment under that
  // datagram's ID that never completes either: each queue's time exceeded answers its own
  // fragment, though the second also quotes the whole datagram's addresses and ID
  fragment_expiry_quotes: {
    scenario: BASE_SCENARIO,
    frames: [
      fragments(0x401, 50, 24)[0],
      udp(5000, { ipv4: { id: 0x402 } as never }),
      fragments(0x402, 50, 24)[0],
    ],
  },
  // fragments 40 s apart: the first one's queue expires between frames (a time exceeded no
  // frame's window sees), the last one's after the capture (no first fragment: no ICMP)
  fragments_expire_between: {
    scenario: BASE_SCENARIO,
    frames: [fragments(0x501, 40, 24)[0], fragments(0x501, 40, 24)[1], udp(5000)],
    gapNs: 40_000_000_000n,
  },
  fragments_trailing: {
    scenario: BASE_SCENARIO,
    frames: [fragments(0x201, 1000, 512)[1], fragments(0x202, 1000, 512)[0]],
  },
  socket_lookup: {
    scenario: with_({
      sockets: [
        { proto: "udp", local: "0.0.0.0:5000" },
        { proto: "udp", local: "10.1.0.2:5000" },
        { proto: "udp", local: "10.1.0.2:5000", remote: "10.1.0.7:6000" },
        { proto: "udp", local: "0.0.0.0:5001", remote: "10.1.0.8:6000" },
        { proto: "udp", local: "10.2.0.2:5002" },
      ],
    }),
    frames: [
      udp(5000, { sport: 6000 }),
      udp(5000, { sport: 6001 }),
      udp(5000, { saddr: "10.1.0.8" }),
      udp(5000, { daddr: "10.2.0.2" }),
      udp(5001, { saddr: "10.1.0.8" }),
      udp(5001, { saddr: "10.1.0.9" }),
      udp(5002, { daddr: "10.2.0.2" }),
      udp(5002),
      udp(5000, { eth: { dst: "ff:ff:ff:ff:ff:ff" }, daddr: "10.1.0.255" }),
    ],
  },

  format_example: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000),
      udp(5001, { saddr: "10.1.0.9" }),
      udp(5002, { sport: 6000 }),
      udp(5002, { sport: 6001 }),
      udp(7000, { saddr: "10.1.0.9" }),
      icmp(8, { daddr: "10.9.3.3" }),
      udp(5000, { daddr: "10.9.3.3" }),
      tcp(80, "S", { tcp: { source: 41000 } as never }),
      icmp(8),
    ],
  },
  multicast_all_hosts: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000, { eth: { dst: "01:00:5e:00:00:01" }, daddr: "224.0.0.1" }),
      udp(5009, { eth: { dst: "01:00:5e:00:00:01" }, daddr: "224.0.0.1" }),
      icmp(8, { eth: { dst: "01:00:5e:00:00:01" }, daddr: "224.0.0.1" }),
      udp(5000, { eth: { dst: "01:00:5e:00:00:02" }, daddr: "224.0.0.2" }),
    ],
  },
  reuseaddr_twins: {
    scenario: with_({
      sockets: [
        { proto: "udp", local: "0.0.0.0:5000" },
        { proto: "udp", local: "0.0.0.0:5000" },
        { proto: "udp", local: "10.1.0.2:5001" },
        { proto: "udp", local: "10.1.0.2:5001" },
      ],
    }),
    frames: [
      udp(5000),
      udp(5000, { sport: 7000 }),
      udp(5001),
      udp(5001, { saddr: "10.1.0.8" }),
      udp(5000, { eth: { dst: "ff:ff:ff:ff:ff:ff" }, daddr: "10.1.0.255" }),
    ],
  },
  icmp_error_pacing: {
    // 430 ms apart, each error's token check is at least 128 ms from the threshold (HZ 250,
    // icmp_ratelimit 1 s), so the real host's timing jitter cannot tip it
    gapNs: 430_000_000n,
    scenario: BASE_SCENARIO,
    frames: Array.from({ length: 14 }, (_, i) => udp(6000 + i)),
  },
  ip_options_and_lengths: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000, { ipv4: { options: new Uint8Array([1, 1, 1, 0]) } as never }),
      icmp(8, { ipv4: { options: new Uint8Array([1, 1, 1, 1]) } as never }),
      udp(5000, { udp: { len: 20 } as never }),
      udp(5000, { payload: 0, pad: false }),
      udp(5000, { ipv4: { tos: 0x03 } as never }),
    ],
  },
  forward_details: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000, { daddr: "10.2.0.0" }),
      udp(5000, { daddr: "10.2.0.255", eth: { dst: "ff:ff:ff:ff:ff:ff" } }),
      // to 10.9.1.1: forwarded fragment by fragment, never reassembled
      ...fragments(0x301, 1000, 512).map((f) => retarget(f, [10, 9, 1, 1])),
      udp(5000, { saddr: "10.2.0.255" }),
      udp(5000, { daddr: "10.9.1.1", ipv4: { ttl: 2, fragOff: 0 } as never, payload: 1400 }),
    ],
  },
  tcp_listeners: {
    scenario: with_({
      sockets: [
        { proto: "tcp", local: "10.1.0.2:80" },
        { proto: "tcp", local: "0.0.0.0:8080" },
        { proto: "tcp", local: "10.2.0.2:443" },
      ],
    }),
    frames: [
      tcp(80, "S"),
      tcp(80, "S", {
        ipv4: { saddr: PEER, daddr: "10.2.0.2" } as never,
        tcp: { source: 41001 } as never,
      }),
      tcp(8080, "S", {
        ipv4: { saddr: PEER, daddr: "10.2.0.2" } as never,
        tcp: { source: 41006 } as never,
      }),
      tcp(443, "S", {
        ipv4: { saddr: PEER, daddr: "10.2.0.2" } as never,
        tcp: { source: 41002 } as never,
      }),
      tcp(443, "S", { tcp: { source: 41003 } as never }),
      tcp(80, "SE", { tcp: { source: 41004 } as never }),
      tcp(80, "S", { tcp: { source: 41005, doff: 4 } as never }),
    ],
  },
  fragment_overlaps: {
    scenario: BASE_SCENARIO,
    frames: (() => {
      const f = fragments(0x401, 1000, 512);
      const g = fragments(0x402, 1000, 256);
      const dup = fragments(0x403, 1000, 512);
      return [f[0], f[0], f[1], g[0], g[1], fragments(0x402, 1000, 512)[0], dup[1], dup[0]];
    })(),
  },
  fragment_overlap_kills: {
    scenario: BASE_SCENARIO,
    frames: (() => {
      const a = fragments(0x501, 1000, 512);
      const b = fragments(0x501, 1000, 384); // 384..768 starts inside 0..512 and runs past it
      return [a[0], b[1], fragments(0x502, 1000, 512)[1]];
    })(),
  },
  udp_checksum_break: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000, { payload: 100, udp: { check: 0x1234 } as never }),
      udp(5003, { payload: 100, udp: { check: 0x1234 } as never }),
      udp(5000, { payload: 68, udp: { check: 0x1234 } as never }),
      udp(5000, { payload: 69, udp: { check: 0x1234 } as never }),
    ],
  },
  ip_options_bad: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000, { ipv4: { options: new Uint8Array([0x55, 1, 0, 0]) } as never }),
      udp(5000, { ipv4: { options: new Uint8Array([0x55, 9, 0, 0]) } as never }),
      udp(5000, { ipv4: { options: new Uint8Array([0x55, 4, 0, 0]) } as never }),
      udp(5000, { ipv4: { options: new Uint8Array([7, 7, 4, 0, 0, 0, 0, 0]) } as never }),
      udp(5000, { ipv4: { options: new Uint8Array([131, 7, 4, 10, 1, 0, 1, 0]) } as never }),
      udp(5000, { ipv4: { options: new Uint8Array([148, 4, 0, 0]) } as never }),
      udp(5000, {
        ipv4: { options: new Uint8Array([68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0]) } as never,
      }),
      udp(5000, {
        daddr: "10.9.1.1",
        ipv4: { options: new Uint8Array([7, 7, 4, 0, 0, 0, 0, 0]) } as never,
      }),
      udp(5000, { ipv4: { options: new Uint8Array([7, 2, 4, 0]) } as never }),
    ],
  },
  output_rules: {
    scenario: with_({
      filter: [
        { chain: "OUTPUT", proto: "icmp", target: "DROP" },
        { chain: "OUTPUT", proto: "tcp", target: "ACCEPT" },
        { chain: "FORWARD", proto: "udp", in: "eth0", dport: 9, target: "DROP" },
      ],
      policies: { OUTPUT: "ACCEPT", FORWARD: "ACCEPT" },
    }),
    frames: [
      udp(5009),
      icmp(8),
      tcp(80, "S"),
      tcp(81, "S", { tcp: { source: 40001 } as never }),
      udp(9, { daddr: "10.9.1.1" }),
      udp(10, { daddr: "10.9.1.1" }),
      udp(10, { daddr: "10.9.1.1", ipv4: { ttl: 1 } as never }),
    ],
  },
  no_redirects: {
    scenario: with_({
      sysctl: {
        ...BASE_SCENARIO.sysctl,
        "net.ipv4.conf.all.send_redirects": 0,
        "net.ipv4.conf.eth0.send_redirects": 0,
      },
    }),
    frames: [udp(5000, { daddr: "8.8.8.8" }), udp(5009), udp(5000, { daddr: "8.8.4.4" })],
  },
  l2_odds: {
    scenario: BASE_SCENARIO,
    frames: [
      udp(5000, { eth: { vlan: 5 } }),
      udp(5000, { eth: { vlan: 0 } }),
      buildFrame({ eth: { type: 0x88b5 }, payload: 46 }),
      buildFrame({
        eth: { dst: "ff:ff:ff:ff:ff:ff", type: 0x0806 },
        payload: new Uint8Array([
          0,
          1,
          8,
          0,
          6,
          4,
          0,
          1,
          2,
          0,
          0,
          0,
          0,
          1,
          10,
          1,
          0,
          7,
          0,
          0,
          0,
          0,
          0,
          0,
          10,
          1,
          0,
          2,
        ]),
      }),
      udp(5000, { eth: { src: "02:00:00:00:00:02" } }),
    ],
  },
  // IN_DEV_ORCONF: conf.all.drop_unicast_in_l2_multicast set, the device's not.
  drop_unicast_l2_all: {
    scenario: with_({
      sysctl: { ...BASE_SCENARIO.sysctl, "net.ipv4.conf.all.drop_unicast_in_l2_multicast": 1 },
    }),
    frames: [
      udp(5000, { eth: { dst: "ff:ff:ff:ff:ff:ff" } }),
      udp(5000, { eth: { dst: "01:00:5e:00:00:01" } }),
      udp(5000),
    ],
  },
  // The way back to 10.9.0.5 is eth1: the replies leave by eth1, not by the ingress.
  replies_by_route: {
    scenario: with_({
      sysctl: {
        ...BASE_SCENARIO.sysctl,
        "net.ipv4.conf.all.rp_filter": 0,
        "net.ipv4.conf.eth0.rp_filter": 0,
      },
    }),
    frames: [
      icmp(8, { saddr: "10.9.0.5" }),
      udp(5009, { saddr: "10.9.0.5" }),
      buildFrame({
        ipv4: { saddr: "10.9.0.5", daddr: HOST },
        tcp: { source: 40000, dest: 81, seq: 1000, flags: "S", options: { mss: 1460 } },
      }),
      udp(5000, { saddr: "10.9.0.5" }),
    ],
  },
  // Early demux: a datagram for a connected socket is matched to it in ip_rcv_finish_core()
  // (udp_v4_early_demux()), and from the second one on takes the route the socket cached
  // (sk_rx_dst) — no fib_table_lookup; one from another port, or for an unconnected socket,
  // is routed as usual
  udp_early_demux: {
    scenario: with_({
      sockets: [
        { proto: "udp", local: "0.0.0.0:5000" },
        { proto: "udp", local: "10.1.0.2:5002", remote: "10.1.0.7:6000" },
      ],
    }),
    frames: [
      udp(5002, { sport: 6000 }),
      udp(5002, { sport: 6000 }),
      udp(5000, { sport: 6000 }),
      udp(5002, { sport: 6000 }),
      udp(5002, { sport: 6001 }),
    ],
  },
  // the same with net.ipv4.ip_early_demux 0: every datagram is routed
  udp_early_demux_off: {
    scenario: with_({
      sysctl: { ...BASE_SCENARIO.sysctl, "net.ipv4.ip_early_demux": 0 },
      sockets: [
        { proto: "udp", local: "0.0.0.0:5000" },
        { proto: "udp", local: "10.1.0.2:5002", remote: "10.1.0.7:6000" },
      ],
    }),
    frames: [udp(5002, { sport: 6000 }), udp(5002, { sport: 6000 })],
  },
};
