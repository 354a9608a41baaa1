// A UDP flood end to end on one CPU — virtio-net NIC, IRQ, softirq, NAPI, GRO, L2, IPv4 input,
// netfilter, UDP, socket enqueue — and a bare loop over the same frames: the two workloads
// `deno task bench` compares in one run.
import { createHost } from "../../lib/init/main.ts";
import { VirtioNet } from "../../lib/drivers/virtio_net.ts";
import { inetAddAddr } from "../../lib/ipv4/devinet.ts";
import { inAton, IPPROTO_UDP } from "../../lib/wire/ipv4.ts";
import { udpSocket } from "../../lib/ipv4/udp.ts";
import { iptAppend, iptTableLoad } from "../../lib/netfilter/ip_tables.ts";
import { generateTraffic } from "../../lib/traffic/generator.ts";
import { Rng } from "../../lib/sim/rng.ts";

/** Frames in one flood. */
export const FLOOD_PACKETS = 20_000;

const FLOWS = 16;

/** The flood: 64-byte UDP frames of 16 flows to port 9, 250k pps in all: one CPU keeps up. */
export const floodFrames = generateTraffic({
  flows: Array.from(
    { length: FLOWS },
    (_, i) => ({ proto: "udp", saddr: "10.0.0.1", daddr: "10.0.0.2", sport: 4000 + i, dport: 9 }),
  ),
  size: 64,
  rate: { kind: "constant", pps: 250_000 / FLOWS },
  count: FLOOD_PACKETS,
}, new Rng(1));

/** What the flood's run did, to check it did the whole path. */
export interface FloodResult {
  /** Packets the socket queued. */
  queued: number;
  /** Events the simulation ran. */
  events: number;
}

/** Simulates the flood with tracing off: the host has 10.0.0.2, an iptables INPUT rule that
 * accepts the flow, and a UDP socket on port 9 whose buffer holds the whole flood. */
export function simulateFlood(): FloodResult {
  const host = createHost({ cpus: 1 });
  host.setSysctl("net.core.rmem_max", 1 << 30);
  const nic = new VirtioNet(host);
  nic.open();
  inetAddAddr(host, nic.dev, inAton("10.0.0.2"), 24);
  iptTableLoad(host, "filter");
  iptAppend(host, "filter", "INPUT", { proto: IPPROTO_UDP, dport: 9, target: "ACCEPT" });
  const sk = udpSocket(host, { addr: 0, port: 9, rcvbuf: 1 << 30 });
  host.sim.atEach(floodFrames, (a) => a.t, (a) => nic.receive(a.frame));
  const events = host.sim.run(floodFrames.at(-1)!.t + 1_000_000);
  const queued = sk.receiveQueue.length;
  if (queued !== FLOOD_PACKETS) {
    throw new Error(`BUG: the socket queued ${queued} of ${FLOOD_PACKETS} packets`);
  }
  return { queued, events };
}

// The bare loop's socket table: (address, port) to a socket number, as a Map.
const sockets = new Map<number, number>([[(0x0a000002 * 65536) + 9, 0]]);

/** The fields the bare loop parses out of a frame. */
interface Parsed {
  ethertype: number;
  ihl: number;
  totLen: number;
  protocol: number;
  saddr: number;
  daddr: number;
  sport: number;
  dport: number;
  udpLen: number;
}

// Ethernet, then IPv4 (version, header length, total length, protocol, addresses), then UDP.
function parse(f: Uint8Array): Parsed | null {
  const ethertype = (f[12] << 8) | f[13];
  if (ethertype !== 0x0800 || f.length < 42 || f[14] >> 4 !== 4) return null;
  const ihl = (f[14] & 15) * 4;
  const u = 14 + ihl;
  return {
    ethertype,
    ihl,
    totLen: (f[16] << 8) | f[17],
    protocol: f[23],
    saddr: ((f[26] << 24) | (f[27] << 16) | (f[28] << 8) | f[29]) >>> 0,
    daddr: ((f[30] << 24) | (f[31] << 16) | (f[32] << 8) | f[33]) >>> 0,
    sport: (f[u] << 8) | f[u + 1],
    dport: (f[u + 2] << 8) | f[u + 3],
    udpLen: (f[u + 4] << 8) | f[u + 5],
  };
}

/** The bare loop: per frame, parse Ethernet, IPv4 and UDP and look the socket up in a Map. */
export function bareLoop(): number {
  let n = 0;
  for (const { frame } of floodFrames) {
    const p = parse(frame);
    if (p?.protocol === 17 && sockets.get(p.daddr * 65536 + p.dport) !== undefined) n++;
  }
  if (n !== FLOOD_PACKETS) throw new Error(`BUG: the bare loop found ${n} of ${FLOOD_PACKETS}`);
  return n;
}
