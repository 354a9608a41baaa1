// The neighbour cases: a host (eth0, 10.1.0.2/24) whose replies need an address it must resolve
// with ARP, and peers on the wire that answer or do not. neigh_oracle.py runs each on a real
// kernel; tests/ipv4/neigh_oracle_test.ts holds the kit to the recordings.
import { buildFrame } from "../../lib/wire/build.ts";
import type { NeighRun } from "../../lib/experiments/neigh.ts";

/** A case as neigh_oracle.py takes it, frames as hex. */
export interface NeighCase {
  /** The host's one interface. */
  interface: { name: string; mac: string; addrs: string[]; mtu: number };
  /** sysctls set in the host namespace. */
  sysctl: Record<string, number | string>;
  /** `ip` commands run first in the host namespace (a permanent neighbour, a txqueuelen). */
  ip?: string[][];
  /** `tc qdisc` commands then set up eth0's queueing (after `tc qdisc`). */
  qdisc?: string[][];
  /** eth0's transmit queues (`ip link add … numtxqueues N`), all in use. */
  numtxqueues?: number;
  /** /sys/class/net files written after the qdiscs: [path, value]. */
  sysfs?: [string, string][];
  /** The CPU the wire sends from (`taskset -c`), where the host's softirq work runs. */
  wire_cpu?: number;
  /** /sys/class/net files read at the end. */
  read?: string[];
  /** TCP ports the host listens on. */
  listen?: number[];
  /** The wire end's transmit queues (`peer name w0 numtxqueues N`). */
  wire_numtxqueues?: number;
  /** /sys/class/net/w0 files written in the wire's namespace: [path, value]. */
  wire_sysfs?: [string, string][];
  /** Frames the wire sends, at seconds from the start. */
  frames: { t: number; frame: string }[];
  /** Peers that answer ARP requests for their address: MAC, delay in seconds, how many times. */
  answer: Record<string, { mac: string; delay: number; count?: number }>;
  /** When to read the host's neighbour table, seconds. */
  snapshots: number[];
  /** When the run ends, seconds. */
  end: number;
}

/** A recorded case as runNeighbours takes it: the wire's fields under the kit's names. */
export function neighRun(c: NeighCase): NeighRun {
  return {
    ...c,
    numTxQueues: c.numtxqueues,
    wireCpu: c.wire_cpu,
    wireNumTxQueues: c.wire_numtxqueues,
    wireSysfs: c.wire_sysfs,
  };
}

/** The host's MAC. */
export const HOST_MAC = "02:00:00:00:00:02";
/** The peer's MAC, 10.1.0.7 on the wire. */
export const PEER_MAC = "02:00:00:00:00:01";
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** An echo request from a peer on the link, as a case frame at time t. */
export function ping(t: number, seq: number, saddr = "10.1.0.7", payload = 56, daddr = "10.1.0.2") {
  return {
    t,
    frame: hex(buildFrame({
      eth: { src: PEER_MAC, dst: HOST_MAC },
      ipv4: { saddr, daddr },
      icmp: { type: 8, id: 7, sequence: seq },
      payload,
    })),
  };
}

// an ARP packet from the wire
function arp(
  t: number,
  o: { op?: number; src?: string; dst?: string; sip: string; tip: string; tha?: string },
) {
  return {
    t,
    frame: hex(buildFrame({
      eth: { src: o.src ?? PEER_MAC, dst: o.dst ?? "ff:ff:ff:ff:ff:ff" },
      arp: { op: o.op, sha: o.src ?? PEER_MAC, sip: o.sip, tip: o.tip, tha: o.tha },
    })),
  };
}

// `ip neigh replace ADDR lladdr MAC nud STATE dev eth0`, as a case's ip command
const neighReplace = (addr: string, mac: string, state: string) => [
  "neigh",
  "replace",
  addr,
  "lladdr",
  mac,
  "nud",
  state,
  "dev",
  "eth0",
];

const base = {
  interface: { name: "eth0", mac: HOST_MAC, addrs: ["10.1.0.2/24"], mtu: 1500 },
  sysctl: {},
  answer: {},
};

/** The cases, by name. */
export const NEIGH_CASES: Record<string, NeighCase> = {
  // the reply waits in arp_queue for the ARP exchange; the next goes at once (REACHABLE)
  resolved: {
    ...base,
    frames: [ping(0, 1), ping(0.5, 2)],
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.001 } },
    snapshots: [0.2, 0.8],
    end: 1,
  },
  // nobody answers: three broadcast requests a second apart, then FAILED; both held replies
  // dropped (NEIGH_FAILED) with a host unreachable each; a later reply starts over
  unanswered: {
    ...base,
    frames: [ping(0, 1), ping(0.2, 2), ping(3.6, 3)],
    snapshots: [0.5, 3.4, 3.8],
    end: 4,
  },
  // a small unres_qlen_bytes: the oldest held replies make room for the newest
  queue_full: {
    ...base,
    sysctl: { "net.ipv4.neigh.eth0.unres_qlen_bytes": 2000 },
    frames: [0, 0.01, 0.02, 0.03, 0.04].map((t, i) => ping(t, i + 1)),
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.3 } },
    snapshots: [0.5],
    end: 0.6,
  },
  // REACHABLE lasts reachable_time (2-6 s of a 4 s base), then STALE (no packet within
  // delay_first_probe_time of the expiry); a reply to a stale neighbour goes at once and starts
  // DELAY; a second later, PROBE: a unicast request, answered, back to REACHABLE
  stale_delay_probe: {
    ...base,
    sysctl: {
      "net.ipv4.neigh.eth0.base_reachable_time_ms": 4000,
      "net.ipv4.neigh.eth0.delay_first_probe_time": 1,
    },
    frames: [ping(0, 1), ping(6.5, 2)],
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.001 } },
    snapshots: [1, 6.3, 6.7, 8.2],
    end: 9,
  },
  // PROBE with nobody answering: ucast_solicit (3) unicast requests a second apart, then FAILED
  probe_fails: {
    ...base,
    sysctl: {
      "net.ipv4.neigh.eth0.base_reachable_time_ms": 4000,
      "net.ipv4.neigh.eth0.delay_first_probe_time": 1,
    },
    frames: [ping(0, 1), ping(6.5, 2)],
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.001, count: 1 } },
    snapshots: [6.3, 7, 8, 11],
    end: 11.2,
  },
  // requests for the host's address are answered and teach it the asker (STALE); one for
  // another address, a gratuitous ARP and an unsolicited reply teach it nothing (arp_accept 0);
  // a probe from 0.0.0.0 is answered to the asker's MAC
  requests: {
    ...base,
    frames: [
      arp(0, { src: "02:00:00:00:00:09", sip: "10.1.0.9", tip: "10.1.0.2" }),
      arp(0.1, { sip: "10.1.0.7", tip: "10.1.0.99" }),
      arp(0.2, { src: "02:00:00:00:00:08", sip: "10.1.0.8", tip: "10.1.0.8" }),
      arp(0.3, {
        op: 2,
        src: "02:00:00:00:00:06",
        dst: HOST_MAC,
        sip: "10.1.0.6",
        tip: "10.1.0.2",
      }),
      arp(0.4, { src: "02:00:00:00:00:05", sip: "0.0.0.0", tip: "10.1.0.2" }),
      ping(0.5, 1, "10.1.0.9"),
    ],
    snapshots: [0.45, 0.7],
    end: 0.8,
  },
  // arp_ignore 8: no request is answered, but the reply to a ping still resolves
  arp_ignore: {
    ...base,
    sysctl: { "net.ipv4.conf.eth0.arp_ignore": 8 },
    frames: [arp(0, { sip: "10.1.0.7", tip: "10.1.0.2" }), ping(0.2, 1)],
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.001 } },
    snapshots: [0.1, 0.4],
    end: 0.5,
  },
  // a forward to an on-link peer nobody answers for: the host redirects the sender, holds the
  // packet, and when the peer's entry fails sends the sender a host unreachable
  forward_unresolved: {
    ...base,
    sysctl: { "net.ipv4.ip_forward": 1 },
    frames: [ping(0, 1, "10.1.0.7", 56, "10.1.0.8")],
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.001 } },
    snapshots: [0.5, 3.5],
    end: 3.6,
  },
  // mcast_solicit 0 (and app_solicit 0): no solicitation at all, the entry FAILED at once and the
  // reply dropped (NEIGH_FAILED) with no unreachable
  no_solicit: {
    ...base,
    sysctl: { "net.ipv4.neigh.eth0.mcast_solicit": 0 },
    frames: [ping(0, 1), ping(0.3, 2)],
    snapshots: [0.1, 0.5],
    end: 0.6,
  },
  // a gratuitous ARP with a new MAC replaces a resolved neighbour's address (STALE); the next
  // reply goes to the new MAC
  gratuitous_update: {
    ...base,
    frames: [
      ping(0, 1),
      arp(0.5, { src: "02:00:00:00:00:0b", sip: "10.1.0.7", tip: "10.1.0.7" }),
      ping(0.7, 2),
    ],
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.001 } },
    snapshots: [0.6, 0.8],
    end: 0.9,
  },
  // a reply with another MAC within locktime (1 s) of the last update is ignored; after it, a
  // unicast reply replaces the address (REACHABLE), a broadcast one only makes it STALE
  locktime: {
    ...base,
    frames: [
      ping(0, 1),
      arp(0.3, {
        op: 2,
        src: "02:00:00:00:00:0b",
        dst: HOST_MAC,
        sip: "10.1.0.7",
        tip: "10.1.0.2",
      }),
      arp(1.5, {
        op: 2,
        src: "02:00:00:00:00:0c",
        dst: HOST_MAC,
        sip: "10.1.0.7",
        tip: "10.1.0.2",
      }),
      arp(3, { op: 2, src: "02:00:00:00:00:0d", sip: "10.1.0.7", tip: "10.1.0.2" }),
    ],
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.001 } },
    snapshots: [0.4, 1.6, 3.1],
    end: 3.2,
  },
  // a request from a known neighbour with a new MAC: answered to the new MAC, which the entry
  // takes (STALE)
  request_new_mac: {
    ...base,
    frames: [
      ping(0, 1),
      arp(0.5, { src: "02:00:00:00:00:0b", sip: "10.1.0.7", tip: "10.1.0.2" }),
      ping(0.7, 2),
    ],
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.001 } },
    snapshots: [0.6, 0.8],
    end: 0.9,
  },
  // unres_qlen counts packets of SKB_TRUESIZE(1514) (2090 bytes): 1 holds two small replies
  unres_qlen: {
    ...base,
    sysctl: { "net.ipv4.neigh.eth0.unres_qlen": 1 },
    frames: [0, 0.01, 0.02, 0.03, 0.04].map((t, i) => ping(t, i + 1)),
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.3 } },
    snapshots: [0.5],
    end: 0.6,
  },
  // arp_accept 1: a gratuitous ARP and an unsolicited reply make entries
  arp_accept: {
    ...base,
    sysctl: { "net.ipv4.conf.eth0.arp_accept": 1 },
    frames: [
      arp(0, { src: "02:00:00:00:00:08", sip: "10.1.0.8", tip: "10.1.0.8" }),
      arp(0.1, {
        op: 2,
        src: "02:00:00:00:00:06",
        dst: HOST_MAC,
        sip: "10.1.0.6",
        tip: "10.1.0.2",
      }),
    ],
    snapshots: [0.2],
    end: 0.3,
  },
  // a reply from a secondary address: arp_announce 0 asks from that address, 2 from the primary
  announce_secondary: {
    ...base,
    interface: { ...base.interface, addrs: ["10.1.0.2/24", "10.1.0.3/24"] },
    frames: [ping(0, 1, "10.1.0.7", 56, "10.1.0.3")],
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.001 } },
    snapshots: [0.1],
    end: 0.2,
  },
  announce_primary: {
    ...base,
    interface: { ...base.interface, addrs: ["10.1.0.2/24", "10.1.0.3/24"] },
    sysctl: { "net.ipv4.conf.eth0.arp_announce": 2 },
    frames: [ping(0, 1, "10.1.0.7", 56, "10.1.0.3")],
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.001 } },
    snapshots: [0.1],
    end: 0.2,
  },
  // arp_announce 3 is no case of arp_solicit()'s switch: it acts as 0
  announce_past_two: {
    ...base,
    interface: { ...base.interface, addrs: ["10.1.0.2/24", "10.1.0.3/24"] },
    sysctl: { "net.ipv4.conf.eth0.arp_announce": 3 },
    frames: [ping(0, 1, "10.1.0.7", 56, "10.1.0.3")],
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.001 } },
    snapshots: [0.1],
    end: 0.2,
  },
  // arp_ignore 2: a request is answered only when the asker is in the target address's subnet
  arp_ignore_subnet: {
    ...base,
    sysctl: { "net.ipv4.conf.eth0.arp_ignore": 2 },
    frames: [
      arp(0, { sip: "10.1.0.7", tip: "10.1.0.2" }),
      arp(0.1, { src: "02:00:00:00:00:0b", sip: "10.2.0.7", tip: "10.1.0.2" }),
    ],
    snapshots: [0.2],
    end: 0.3,
  },
  // the peer asks first while its entry is INCOMPLETE: the host answers, learns its MAC (STALE)
  // and the held reply goes out at once, the entry now DELAY
  peer_asks_first: {
    ...base,
    frames: [ping(0, 1), arp(0.3, { sip: "10.1.0.7", tip: "10.1.0.2" })],
    snapshots: [0.2, 0.5],
    end: 0.6,
  },
  // retrans_time_ms 300 and mcast_solicit 5: five broadcast requests 300 ms apart, then FAILED
  unanswered_fast: {
    ...base,
    sysctl: {
      "net.ipv4.neigh.eth0.retrans_time_ms": 300,
      "net.ipv4.neigh.eth0.mcast_solicit": 5,
    },
    frames: [ping(0, 1)],
    snapshots: [1, 1.8],
    end: 2,
  },
  // PROBE with ucast_solicit 1 and mcast_resolicit 2: one unicast request, then two broadcast
  // ones, then FAILED
  probe_resolicit: {
    ...base,
    sysctl: {
      "net.ipv4.neigh.eth0.base_reachable_time_ms": 4000,
      "net.ipv4.neigh.eth0.delay_first_probe_time": 1,
      "net.ipv4.neigh.eth0.ucast_solicit": 1,
      "net.ipv4.neigh.eth0.mcast_resolicit": 2,
    },
    frames: [ping(0, 1), ping(6.5, 2)],
    answer: { "10.1.0.7": { mac: PEER_MAC, delay: 0.001, count: 1 } },
    snapshots: [7, 9.8],
    end: 10,
  },
  // proxy_arp_pvlan on a forwarding host answers for other hosts of the segment with its own
  // MAC; with proxy_delay 0, a broadcast request is answered at once
  proxy_pvlan: {
    ...base,
    sysctl: {
      "net.ipv4.ip_forward": 1,
      "net.ipv4.conf.eth0.proxy_arp_pvlan": 1,
      "net.ipv4.neigh.eth0.proxy_delay": 0,
    },
    frames: [
      arp(0, { sip: "10.1.0.7", tip: "10.1.0.8" }),
      arp(0.1, { sip: "10.1.0.7", tip: "10.1.0.7" }),
    ],
    snapshots: [0.2],
    end: 0.3,
  },
  // with the default proxy_delay (80: 0.8 s), a broadcast request waits a random time below it
  // in the proxy queue (pneigh_enqueue()) before it is answered; one sent to the host's own MAC
  // is answered at once
  proxy_delayed: {
    ...base,
    sysctl: { "net.ipv4.ip_forward": 1, "net.ipv4.conf.eth0.proxy_arp_pvlan": 1 },
    frames: [
      arp(0, { sip: "10.1.0.7", tip: "10.1.0.8" }),
      arp(1, { dst: HOST_MAC, sip: "10.1.0.7", tip: "10.1.0.9" }),
    ],
    snapshots: [1.1],
    end: 1.2,
  },
  // gc_thresh2 2 and gc_thresh3 4 (machine-wide): past gc_thresh2 a new entry first runs a
  // forced collection (at most every 5 s), past gc_thresh3 one must free room. Three unanswered
  // peers go FAILED (their host unreachables make a NOARP entry for lo); the next new peer's
  // entry pushes out the three failed ones, a later one the NOARP one; with only entries whose
  // timers run left, the table is full: the reply to .33 is dropped NEIGH_CREATEFAIL
  // (OutDiscards) and .34's request goes unanswered
  gc_forced: {
    ...base,
    sysctl: {
      "net.ipv4.neigh.default.gc_thresh2": 2,
      "net.ipv4.neigh.default.gc_thresh3": 4,
    },
    frames: [
      // a tenth of a second apart: their retransmission timers never share a wheel bucket
      ping(0, 1, "10.1.0.11"),
      ping(0.1, 1, "10.1.0.12"),
      ping(0.2, 1, "10.1.0.13"),
      ping(4, 1, "10.1.0.21"),
      ping(4.1, 1, "10.1.0.22"),
      ping(4.5, 1, "10.1.0.31"),
      ping(4.6, 1, "10.1.0.32"),
      ping(4.7, 1, "10.1.0.33"),
      arp(5, { src: "02:00:00:00:00:34", sip: "10.1.0.34", tip: "10.1.0.2" }),
    ],
    answer: Object.fromEntries(
      ["21", "22", "31", "32", "33"].map((h) => [`10.1.0.${h}`, { mac: PEER_MAC, delay: 0.001 }]),
    ),
    snapshots: [3.5, 4.3, 4.65, 5.5],
    end: 6,
  },
  // gc_thresh2 1 (machine-wide): every new entry may run a forced collection, but not within 5 s
  // of the last one. It takes a STALE entry last updated 5 s ago or more, leaves one whose DELAY
  // timer runs, and a STALE entry learnt from a request a second before; the next entry, a
  // second later, runs none
  gc_forced_stale: {
    ...base,
    sysctl: { "net.ipv4.neigh.default.gc_thresh2": 1 },
    ip: [
      neighReplace("10.1.0.51", "02:00:00:00:00:51", "stale"),
      neighReplace("10.1.0.52", "02:00:00:00:00:52", "stale"),
    ],
    frames: [
      ping(3, 1, "10.1.0.52"),
      arp(4, { src: "02:00:00:00:00:55", sip: "10.1.0.55", tip: "10.1.0.2" }),
      ping(5, 1, "10.1.0.53"),
      ping(6, 1, "10.1.0.54"),
    ],
    answer: Object.fromEntries(
      ["53", "54"].map((h) => [`10.1.0.${h}`, { mac: PEER_MAC, delay: 0.001 }]),
    ),
    snapshots: [3.5, 5.5, 6.5],
    end: 7,
  },
  // gc_thresh1 3 (machine-wide): the periodic collection (every 15 s, half arp_tbl's
  // base_reachable_time) removes the entries without a timer that failed or went unused for
  // eth0's gc_stale_time (2 s); a permanent entry and a REACHABLE one (reachable_time drawn from
  // 120 s) stay
  gc_periodic: {
    ...base,
    sysctl: {
      "net.ipv4.neigh.default.gc_thresh1": 3,
      "net.ipv4.neigh.eth0.gc_stale_time": 2,
      "net.ipv4.neigh.eth0.base_reachable_time_ms": 120000,
    },
    ip: [
      neighReplace("10.1.0.41", "02:00:00:00:00:41", "stale"),
      neighReplace("10.1.0.42", "02:00:00:00:00:42", "stale"),
      neighReplace("10.1.0.43", "02:00:00:00:00:43", "permanent"),
    ],
    frames: [ping(0, 1, "10.1.0.45"), ping(0, 1, "10.1.0.46")],
    answer: { "10.1.0.45": { mac: PEER_MAC, delay: 0.001 } },
    snapshots: [0.5, 47],
    end: 48,
  },
};
