import assert from "node:assert/strict";
import { percentile, runRx } from "../../lib/experiments/rx.ts";
import type { Flow } from "../../lib/traffic/generator.ts";

const flows = (n: number): Flow[] =>
  Array.from(
    { length: n },
    (_, i) => ({
      proto: "udp",
      saddr: "10.0.0.1",
      daddr: "10.0.0.2",
      sport: 4000 + i,
      dport: 5000,
    }),
  );

Deno.test("runRx: light load is handled at irq exit, one interrupt per packet, nothing dropped", () => {
  const r = runRx({
    traffic: {
      flows: flows(1),
      size: 128,
      rate: { kind: "constant", pps: 10_000 },
      untilNs: 9_999_999,
    },
    durationNs: 10_000_000,
  });
  assert.equal(r.offered, 100);
  assert.equal(r.handedUp, 100);
  assert.equal(r.interrupts, 100);
  assert.equal(r.dropOverruns, 0);
  assert.equal(r.ksoftirqdWakeups, 0);
  // wire 0.13 us + DMA 0.5 + IRQ 1 + softirq entry 0.01 (measured on 6.18) + receive_buf 0.4 +
  // hand-off 0.3, and three calls no step covers at 0.01 each (one is virtnet_poll_cleantx()'s
  // netif_tx_wake_queue()) = 2.36 us; the CPU's work takes 2.9% more after 0.1 ms idle between
  // packets (1 + coldScale (1 - exp(-0.1 ms / coldDecay))): 2.41
  assert.equal(percentile(r.latenciesNs, 50), 2408);
});

Deno.test("runRx: overload hands softirq work to ksoftirqd, which shares the CPU with the application", () => {
  const r = runRx({
    traffic: {
      flows: flows(8),
      size: 128,
      rate: { kind: "poisson", pps: 200_000 },
      untilNs: 20_000_000,
    },
    durationNs: 20_000_000,
    userTasksOn: [0],
  });
  const c = r.cpuTime[0];
  assert.ok(r.ksoftirqdWakeups >= 1);
  assert.ok(c.softirqKsoftirqd > c.softirqIrqExit, "most softirq time moves to ksoftirqd");
  assert.ok(r.dropOverruns > 0, "the ring overflows while ksoftirqd waits for its turn");
  // ksoftirqd and the application alternate in 1.5 ms slices: about half each
  assert.ok(
    Math.abs(c.user - c.softirqKsoftirqd) / 20_000_000 < 0.1,
    `user ${c.user} ksoftirqd ${c.softirqKsoftirqd}`,
  );
});

Deno.test("runRx: several queues on one CPU exhaust netdev_budget and count time_squeeze", () => {
  const r = runRx({
    nic: { maxQueuePairs: 4 },
    cpus: 4,
    irqAffinity: [[0], [0], [0], [0]],
    traffic: {
      flows: flows(64),
      size: 128,
      rate: { kind: "poisson", pps: 40_000 },
      untilNs: 10_000_000,
    },
    durationNs: 10_000_000,
    sysctl: { "net.core.netdev_budget": 100 },
  });
  assert.ok(r.timeSqueeze > 0);
  assert.equal(r.cpuTime.slice(1).every((c) => c.irq === 0), true);
});

Deno.test("runRx: a busy-polling reader takes the packets with no interrupts at all", () => {
  const r = runRx({
    traffic: {
      flows: flows(1),
      size: 128,
      rate: { kind: "constant", pps: 100_000 },
      untilNs: 4_999_999,
    },
    durationNs: 5_000_000,
    busyPoll: { cpu: 0, queue: 0 },
  });
  assert.equal(r.interrupts, 0);
  assert.equal(r.handedUp, r.offered);
  assert.ok(r.cpuTime[0].system > 4_000_000, "the poller spins in system time");
});

Deno.test("runRx: phases of load merge in time order and the timeline bins them", () => {
  const r = runRx({
    traffic: [
      { flows: flows(1), size: 128, rate: { kind: "constant", pps: 10_000 }, untilNs: 1_000_000 },
      {
        flows: flows(1),
        size: 128,
        rate: { kind: "constant", pps: 10_000 },
        startNs: 2_000_000,
        untilNs: 3_000_000,
      },
    ],
    durationNs: 4_000_000,
    binNs: 1_000_000,
  });
  // 11 frames per phase (0 to 1 ms inclusive): the last of each lands in the next bin
  assert.deepEqual(r.timeline.map((b) => b.packets), [10, 1, 10, 1]);
  assert.equal(percentile([], 50), 0);
});

Deno.test("runRx: four queues polled at once on four CPUs — the skb each is handing up when the run ends is accounted for, not lost", () => {
  const flows = Array.from({ length: 16 }, (_, i) => ({
    proto: "udp" as const,
    saddr: "10.0.0.1",
    daddr: "10.0.0.2",
    sport: 20000 + 13 * i,
    dport: 5000,
  }));
  const r = runRx({
    cpus: 4,
    nic: { maxQueuePairs: 4 },
    irqAffinity: [[0], [1], [2], [3]],
    traffic: { flows, size: 128, rate: { kind: "constant", pps: 1_000_000 }, untilNs: 2_000_000 },
    durationNs: 2_000_000,
  });
  assert.ok(r.dropOverruns > 0, "the queues are overrun, so every CPU is polling at the end");
  assert.ok(r.cpuTime.every((c) => c.softirqIrqExit + c.softirqKsoftirqd > 0));
});
