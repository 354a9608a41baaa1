// The qdisc cases: the neighbour oracle's host (eth0, 10.1.0.2/24, a veth) with a shaper on
// eth0 so that its replies and forwards queue: tbf as the bottleneck (rate, burst, limit),
// sometimes with pfifo_fast grafted below it. Bursts of echo requests (or packets to forward
// back out of eth0) arrive back to back; the wire records what leaves and when, and `tc -s
// qdisc` between departures. neigh_oracle.py runs each on a real kernel; the kit is held to the
// recordings by tests/sched/qdisc_oracle_test.ts.
import { buildFrame } from "../../lib/wire/build.ts";
import { HOST_MAC, type NeighCase, PEER_MAC, ping } from "./neigh_cases.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

// the peer and a second host on the link are known (no ARP), so nothing but the qdisc decides
const PERMANENT = [
  ["neigh", "replace", "10.1.0.7", "lladdr", PEER_MAC, "nud", "permanent", "dev", "eth0"],
  [
    "neigh",
    "replace",
    "10.1.0.8",
    "lladdr",
    "02:00:00:00:00:08",
    "nud",
    "permanent",
    "dev",
    "eth0",
  ],
];

const base = {
  interface: { name: "eth0", mac: HOST_MAC, addrs: ["10.1.0.2/24"], mtu: 1500 },
  sysctl: {},
  answer: {},
  ip: PERMANENT,
};

const tbf = (
  ...opts: string[]
) => ["replace", "dev", "eth0", "root", "handle", "1:", "tbf", ...opts];

// n echo requests of `payload` bytes, back to back at time t
const burst = (t: number, n: number, payload = 1000) =>
  Array.from({ length: n }, (_, i) => ping(t, i + 1, "10.1.0.7", payload));

// a packet from the peer to 10.1.0.8 through the host (forwarded back out of eth0), with a TOS
function forward(t: number, seq: number, tos: number) {
  return {
    t,
    frame: hex(buildFrame({
      eth: { src: PEER_MAC, dst: HOST_MAC },
      ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.8", tos },
      udp: { source: 4000 + seq, dest: 9 },
      payload: 1000,
    })),
  };
}

const FORWARDING = {
  "net.ipv4.ip_forward": 1,
  "net.ipv4.conf.all.send_redirects": 0,
  "net.ipv4.conf.eth0.send_redirects": 0,
};

/** The cases, by name. */
export const QDISC_CASES: Record<string, NeighCase> = {
  // 20 replies of 1042 bytes into tbf at 100 kbit/s with a 3000-byte bucket and 6000 bytes of
  // queue: two leave at once, the third when the bucket refills, five wait and leave one per
  // 83 ms as the watchdog fires; the other 13 are dropped
  tbf_burst: {
    ...base,
    qdisc: [tbf("rate", "100kbit", "burst", "3000", "limit", "6000")],
    frames: burst(0.01, 20),
    snapshots: [0.05, 0.14, 0.3, 0.55],
    end: 0.6,
  },
  // a bucket smaller than a reply: every reply is over max_size and dropped at enqueue
  tbf_burst_too_small: {
    ...base,
    qdisc: [tbf("rate", "1mbit", "burst", "1000", "limit", "10000")],
    frames: burst(0.01, 5),
    snapshots: [0.1],
    end: 0.2,
  },
  // the limit given as a latency: 50 ms at 100 kbit/s plus the 2000-byte burst
  tbf_latency: {
    ...base,
    qdisc: [tbf("rate", "100kbit", "burst", "2000", "latency", "50ms")],
    frames: burst(0.01, 6, 400),
    snapshots: [0.05, 0.2],
    end: 0.3,
  },
  // a second burst after the first drained: the bucket is full again by then
  tbf_two_bursts: {
    ...base,
    qdisc: [tbf("rate", "200kbit", "burst", "2500", "limit", "5000")],
    frames: [...burst(0.01, 6, 500), ...burst(0.4, 6, 500)],
    snapshots: [0.2, 0.35, 0.6],
    end: 0.7,
  },
  // forwards with three TOS values into pfifo_fast below tbf: band 0 (lowdelay, priority 6)
  // leaves first, band 2 (throughput, priority 2) last; a band holds txqueuelen packets
  pfifo_fast_bands: {
    ...base,
    sysctl: FORWARDING,
    ip: [...PERMANENT, ["link", "set", "eth0", "txqueuelen", "4"]],
    qdisc: [
      tbf("rate", "100kbit", "burst", "1100", "limit", "30000"),
      ["add", "dev", "eth0", "parent", "1:1", "handle", "10:", "pfifo_fast"],
    ],
    frames: [0x08, 0, 0x10, 0x08, 0, 0x10, 0x08, 0, 0x10, 0x08, 0, 0x10, 0x08, 0x10].map((tos, i) =>
      forward(0.01, i, tos)
    ),
    snapshots: [0.05, 0.2, 0.46],
    end: 1.2,
  },
  // pfifo below tbf: its limit is in packets
  pfifo_child: {
    ...base,
    qdisc: [
      tbf("rate", "100kbit", "burst", "1100", "limit", "30000"),
      ["add", "dev", "eth0", "parent", "1:1", "handle", "20:", "pfifo", "limit", "3"],
    ],
    frames: burst(0.01, 8),
    snapshots: [0.05, 0.2],
    end: 0.5,
  },
  // XPS: eth0 with two transmit queues under mq; CPU 0's packets go to tx-1 and CPU 1's to tx-0.
  // The wire sends from CPU 0, so the replies (made in softirq there) leave by tx-1: its
  // pfifo_fast counts them, tx-0's none. The queues' xps_cpus are read back at the end (a veth
  // has no byte_queue_limits: netdev_uses_bql() is false for LLTX and IFF_NO_QUEUE devices).
  xps_cpus: {
    ...base,
    numtxqueues: 2,
    qdisc: [["replace", "dev", "eth0", "root", "handle", "1:", "mq"]],
    sysfs: [
      ["/sys/class/net/eth0/queues/tx-0/xps_cpus", "2"],
      ["/sys/class/net/eth0/queues/tx-1/xps_cpus", "1"],
    ],
    wire_cpu: 0,
    frames: burst(0.01, 6, 100),
    snapshots: [0.1],
    end: 0.2,
    read: [
      "/sys/class/net/eth0/tx_queue_len",
      "/sys/class/net/eth0/queues/tx-0/xps_cpus",
      "/sys/class/net/eth0/queues/tx-1/xps_cpus",
    ],
  },
  // the same from CPU 1, with forwards: XPS maps the forwarding CPU, whatever queue the packet
  // came in on — all leave by tx-0
  xps_forward: {
    ...base,
    sysctl: FORWARDING,
    numtxqueues: 2,
    qdisc: [["replace", "dev", "eth0", "root", "handle", "1:", "mq"]],
    sysfs: [
      ["/sys/class/net/eth0/queues/tx-0/xps_cpus", "2"],
      ["/sys/class/net/eth0/queues/tx-1/xps_cpus", "1"],
    ],
    wire_cpu: 1,
    frames: [0, 0x10, 0x08, 0].map((tos, i) => forward(0.01 + i * 0.01, i, tos)),
    snapshots: [0.1],
    end: 0.2,
  },
  // a peak rate bounds the burst's own pace: replies leave one per 542 bytes at 1 Mbit/s while
  // the 5000-byte bucket lasts, then at the rate
  tbf_peakrate: {
    ...base,
    qdisc: [tbf(
      "rate",
      "200kbit",
      "burst",
      "5000",
      "limit",
      "20000",
      "peakrate",
      "1mbit",
      "mtu",
      "1600",
    )],
    frames: burst(0.01, 12, 500),
    snapshots: [0.3],
    end: 0.4,
  },
  // mq with a shaper grafted on one queue: CPU 0's replies take tx-1 (XPS), where tbf holds them
  // back; the other queue's pfifo stays idle. tc lists mq, then its hash: pfifo 10: and tbf 20:
  // in the order of their handles' buckets
  mq_graft: {
    ...base,
    numtxqueues: 2,
    qdisc: [
      ["replace", "dev", "eth0", "root", "handle", "1:", "mq"],
      ["add", "dev", "eth0", "parent", "1:1", "handle", "10:", "pfifo", "limit", "50"],
      [
        "replace",
        "dev",
        "eth0",
        "parent",
        "1:2",
        "handle",
        "20:",
        "tbf",
        "rate",
        "100kbit",
        "burst",
        "3000",
        "limit",
        "6000",
      ],
    ],
    sysfs: [
      ["/sys/class/net/eth0/queues/tx-0/xps_cpus", "2"],
      ["/sys/class/net/eth0/queues/tx-1/xps_cpus", "1"],
    ],
    wire_cpu: 0,
    frames: burst(0.01, 10),
    snapshots: [0.05, 0.14, 0.55],
    end: 0.6,
  },
  // XPS by receive queue: SYNs to a listener arrive by eth0's receive queue 0 (the wire sends
  // them from w0's tx-1, and a veth hands queue_mapping across as it is: recorded, one less), so
  // each request sock records queue 0 (sk_rx_queue_set()) and its SYN-ACK takes the queue
  // xps_rxqs maps it to, tx-1, before the sending CPU's xps_cpus (tx-0) is looked at
  xps_rxqs: {
    ...base,
    numtxqueues: 2,
    qdisc: [["replace", "dev", "eth0", "root", "handle", "1:", "mq"]],
    sysfs: [
      ["/sys/class/net/eth0/queues/tx-0/xps_cpus", "1"],
      ["/sys/class/net/eth0/queues/tx-1/xps_rxqs", "1"],
    ],
    wire_numtxqueues: 2,
    wire_sysfs: [
      ["/sys/class/net/w0/queues/tx-0/xps_cpus", "2"],
      ["/sys/class/net/w0/queues/tx-1/xps_cpus", "1"],
    ],
    wire_cpu: 0,
    listen: [80],
    frames: [0, 1, 2, 3].map((i) => syn(0.01 + i * 0.01, 1000 + i)),
    snapshots: [0.1],
    end: 0.2,
    read: [
      "/sys/class/net/eth0/queues/tx-0/xps_rxqs",
      "/sys/class/net/eth0/queues/tx-1/xps_rxqs",
    ],
  },
  // the SYNs leave the wire by w0's tx-2 and arrive recorded as receive queue 1, which
  // xps_rxqs maps to tx-0, while the CPU's xps_cpus names tx-1: the SYN-ACKs leave by tx-0.
  // (A SYN that came by w0's tx-0 has no receive queue recorded, and a request sock's
  // sk_rx_queue_mapping is then whatever its memory held before — reqsk_alloc() clears the tx
  // mapping only — so no case is made of it.)
  xps_rxqs_queue1: {
    ...base,
    numtxqueues: 2,
    qdisc: [["replace", "dev", "eth0", "root", "handle", "1:", "mq"]],
    sysfs: [
      ["/sys/class/net/eth0/queues/tx-0/xps_rxqs", "2"],
      ["/sys/class/net/eth0/queues/tx-1/xps_cpus", "1"],
    ],
    wire_numtxqueues: 3,
    wire_sysfs: [
      ["/sys/class/net/w0/queues/tx-0/xps_cpus", "2"],
      ["/sys/class/net/w0/queues/tx-2/xps_cpus", "1"],
    ],
    wire_cpu: 0,
    listen: [80],
    frames: [0, 1, 2, 3].map((i) => syn(0.01 + i * 0.01, 1000 + i)),
    snapshots: [0.1],
    end: 0.2,
  },
};

// a SYN from the peer to the host's port 80, with no options (the SYN-ACK then carries MSS alone)
function syn(t: number, sport: number) {
  return {
    t,
    frame: hex(buildFrame({
      eth: { src: PEER_MAC, dst: HOST_MAC },
      ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
      tcp: { source: sport, dest: 80, seq: 1000, flags: "S", window: 64240 },
    })),
  };
}
