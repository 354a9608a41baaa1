// Qdiscs held to Linux 6.18 (tests/golden/linux-6.18/qdisc/, recorded by
// tests/oracle/record_neigh.ts from tests/oracle/qdisc_cases.ts): the wire sends each burst
// back to back, and the kit's host gets the frames at the times the kernel's did. It must send
// the same frames in the same order (IP ID and header checksum masked: the kernel's IDs are
// random) within a millisecond of the kernel (a shaper's watchdog hrtimer and the NET_TX
// softirq it raises), print the same `tc -s qdisc show` at every snapshot — sent, dropped,
// overlimits, requeues, backlog — and count the same drops (QDISC_*) and /proc/net/snmp
// counters (OutDiscards for a reply its qdisc dropped).
import assert from "node:assert/strict";
import { runNeighbours } from "../../lib/experiments/neigh.ts";
import { neighRun } from "../oracle/neigh_cases.ts";
import { sysfsRead } from "../../lib/proc/sysfs.ts";

const dir = new URL("../golden/linux-6.18/qdisc/", import.meta.url).pathname;
const TOLERANCE_S = 0.001;

// IP ID and header checksum masked, and in a TCP segment (a SYN-ACK) the sequence number and
// checksum: the kernel draws its initial sequence numbers at random
function masked(frame: string): string {
  if (frame.slice(24, 28) !== "0800") return frame;
  const ip = frame.slice(0, 36) + "0000" + frame.slice(40, 48) + "0000" + frame.slice(52);
  if (frame.slice(46, 48) !== "06") return ip;
  return ip.slice(0, 76) + "00000000" + ip.slice(84, 100) + "0000" + ip.slice(104);
}

const REASONS: Record<string, string> = {
  tbf_burst:
    "tbf passes a bucket's worth at once, queues up to its limit in bytes, drops the rest (QDISC_DROP, OutDiscards) and sends one per refill as its watchdog fires",
  tbf_burst_too_small: "a packet larger than tbf's burst is dropped at enqueue",
  tbf_latency: "tc turns a latency into a byte limit: rate × latency + burst",
  tbf_two_bursts: "the bucket refills while idle: a second burst passes at once like the first",
  pfifo_fast_bands:
    "forwards take their band from TOS (rt_tos2priority()), band 0 leaves first, a full band drops QDISC_OVERLIMIT",
  pfifo_child: "pfifo below tbf holds its limit in packets; tbf counts the child's drops",
  xps_cpus:
    "XPS sends a CPU's replies by the queue whose xps_cpus has it: mq's child for tx-1 counts them all",
  xps_forward: "XPS maps the forwarding CPU whatever queue the packet came in on",
  mq_graft:
    "a qdisc grafted on one of mq's queues (mq_graft()) shapes that queue alone; tc lists mq's children by its qdisc hash",
  tbf_peakrate:
    "a peak rate paces the burst itself: replies leave at the peak rate while the bucket lasts, then at the rate",
  xps_rxqs:
    "a SYN-ACK leaves by the queue xps_rxqs maps its SYN's receive queue to, before the CPU's xps_cpus",
  xps_rxqs_queue1:
    "a SYN recorded on receive queue 1 gets its SYN-ACK sent by the queue xps_rxqs maps queue 1 to",
};

type Snap = { t: number; lines: string[]; done?: number };

for (const file of [...Deno.readDirSync(dir)].map((e) => e.name).sort()) {
  const name = file.replace(/\.json$/, "");
  const { case: c, kernel } = JSON.parse(Deno.readTextFileSync(`${dir}${file}`));
  Deno.test(`qdisc ${name}: ${REASONS[name]}, as on Linux 6.18`, () => {
    // the recording is sound: no frame left while tc was reading the qdisc
    for (const s of kernel.tc as Snap[]) {
      const moved = kernel.sent.filter((f: { t: number }) => f.t > s.t && f.t < s.done!);
      assert.deepEqual(moved, [], `a frame left during the snapshot at ${s.t} s`);
    }
    const frames = c.frames.map((f: { frame: string }, i: number) => ({ ...f, t: kernel.in[i] }));
    const kit = runNeighbours(neighRun({ ...c, frames }));
    assert.deepEqual(
      kit.sent.map((s) => masked(s.frame)),
      kernel.sent.map((s: { frame: string }) => masked(s.frame)),
    );
    kit.sent.forEach((s, i) => {
      const want = kernel.sent[i].t;
      assert.ok(
        Math.abs(s.t - want) <= TOLERANCE_S,
        `frame ${i} sent at ${s.t} s, kernel ${want} s`,
      );
    });
    assert.deepEqual(kit.tc, (kernel.tc as Snap[]).map(({ t, lines }) => ({ t, lines })));
    assert.deepEqual(kit.drops, kernel.drops);
    assert.deepEqual(kit.counters, kernel.counters);
    for (const path of c.read ?? []) {
      assert.equal(sysfsRead(kit.host, path), kernel.sysfs[path], path);
    }
  });
}
