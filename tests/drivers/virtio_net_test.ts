import assert from "node:assert/strict";
import { bhOffTask } from "../helpers/tasks.ts";
import { createHost } from "../../lib/init/main.ts";
import { VirtioNet } from "../../lib/drivers/virtio_net.ts";
import { Task } from "../../lib/sim/cpu.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { generateTraffic } from "../../lib/traffic/generator.ts";
import { napiBusyLoop } from "../../lib/core/dev.ts";
import { PACKET_BROADCAST, PACKET_HOST, PACKET_OTHERHOST } from "../../lib/core/skbuff.ts";
import { NET_RX_SOFTIRQ } from "../../lib/kernel/softirq.ts";

const udp = (sport = 1000, extra: Partial<{ dst: string }> = {}) =>
  buildFrame({
    eth: { dst: extra.dst },
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    udp: { source: sport, dest: 9 },
    payload: 18,
  });

function setup(options: ConstructorParameters<typeof VirtioNet>[1] = {}, cpus = 1) {
  const host = createHost({ cpus, trace: true });
  const nic = new VirtioNet(host, options);
  nic.open();
  const inject = (frames: Uint8Array[], gapNs: number, start = 0) =>
    frames.forEach((f, i) => host.sim.at(start + i * gapNs, () => nic.receive(f)));
  const check = () => host.sim.ledger.check([]);
  return { host, nic, inject, check, q: nic.rq[0] };
}

// When each hard interrupt started, from the trace.
const irqTimes = (host: ReturnType<typeof createHost>) =>
  host.sim.trace.records.filter((r) => r.fn === "handle_edge_irq" && r.kind === "entry").map((r) =>
    r.t
  );

Deno.test("virtio-net: one frame raises one interrupt, is polled and handed up, and the ring is refilled", () => {
  const { host, nic, inject, check, q } = setup();
  inject([udp()], 0);
  host.sim.run(1_000_000);
  assert.equal(q.irq!.counts[0], 1);
  assert.equal(q.stats.packets, 1);
  assert.equal(host.softirqs.counts[0][NET_RX_SOFTIRQ], 1);
  assert.equal(q.vq.posted, nic.ringSize - 1); // one free slot is not worth a refill (< 64/2)
  assert.equal(q.napi.state.sched, false);
  assert.equal(q.vq.callbacksEnabled, true);
  // handed up to IPv4, which has no address to deliver it to (ip_error())
  assert.deepEqual(host.sim.ledger.summary(), { "dropped:IP_INADDRERRORS": 1 });
  check();
});

Deno.test("virtio-net: the vector stays quiet while NAPI is scheduled and speaks again after napi_complete_done", () => {
  const { host, inject, q } = setup();
  // 100 frames 100 ns apart arrive while the first poll runs: one interrupt takes them all
  inject(Array.from({ length: 100 }, (_, i) => udp(1000 + i)), 100);
  host.sim.run(1_000_000);
  assert.equal(q.stats.packets, 100);
  assert.equal(q.vq.hw.interrupts, 1);
  assert.equal(q.irq!.counts[0], 1);
  // after completion, the next frame interrupts again
  inject([udp()], 0, 2_000_000);
  host.sim.run(3_000_000);
  assert.equal(q.vq.hw.interrupts, 2);
});

Deno.test("virtio-net: a frame that finds no posted buffer is dropped and counted (rx_drop_overruns)", () => {
  const { host, nic, inject, q } = setup({ ringSize: 64 });
  assert.equal(nic.ringSize, 64);
  const cpu = host.sim.cpus[0];
  // a task keeps bottom halves off for 1 ms: NAPI cannot poll, so the ring fills up
  cpu.addTask(
    bhOffTask(1_000_000),
  );
  inject(Array.from({ length: 100 }, (_, i) => udp(i)), 1000);
  host.sim.run(5_000_000);
  assert.equal(q.vq.hw.dropOverruns, 36);
  assert.equal(q.stats.packets, 64);
  host.sim.ledger.check([]);
});

Deno.test("virtio-net: rx-frames coalescing fires the interrupt at the Nth frame", () => {
  const { host, nic, inject, q } = setup();
  nic.setCoalesce({ rxUsecs: 1000, rxFrames: 8 });
  inject(Array.from({ length: 8 }, (_, i) => udp(i)), 10_000);
  host.sim.run(1_000_000);
  // frame 8 starts at 70 us and lands 0.067 us (wire) + 0.5 us (DMA) later
  assert.deepEqual(irqTimes(host), [70_567]);
  assert.equal(q.stats.packets, 8);
});

Deno.test("virtio-net: rx-usecs coalescing fires when the first frame has waited rx-usecs", () => {
  const { host, nic, inject, q } = setup();
  nic.setCoalesce({ rxUsecs: 50, rxFrames: 64 });
  inject(Array.from({ length: 3 }, (_, i) => udp(i)), 10_000);
  host.sim.run(1_000_000);
  assert.deepEqual(irqTimes(host), [567 + 50_000]);
  assert.equal(q.vq.hw.interrupts, 1);
  assert.throws(() => nic.setCoalesce({ rxFrames: 0 }), /rx-frames to 0/);
});

Deno.test("virtio-net: napi_defer_hard_irqs with gro_flush_timeout polls from a timer instead of the IRQ", () => {
  const { host, nic, inject, q } = setup();
  nic.dev.napiDeferHardIrqs = 2;
  nic.dev.groFlushTimeout = 20_000;
  // frames every 10 us for 200 us: after the first IRQ, the watchdog keeps polling
  inject(Array.from({ length: 20 }, (_, i) => udp(i)), 10_000);
  host.sim.run(2_000_000);
  assert.equal(q.stats.packets, 20);
  assert.equal(q.vq.hw.interrupts, 1);
  assert.ok(host.irqs.localTimer[0] >= 9, `LOC ${host.irqs.localTimer[0]}`);
  // once two empty polls in a row exhaust the deferral, the IRQ is enabled again
  assert.equal(q.vq.callbacksEnabled, true);
  assert.equal(q.napi.state.sched, false);
});

Deno.test("virtio-net: RSS spreads flows over queues by the indirection table, hashing the 4-tuple", () => {
  const { host, nic } = setup({ maxQueuePairs: 2 }, 2);
  const flows = Array.from({ length: 64 }, (_, i) => i);
  for (const sport of flows) host.sim.after(0, () => nic.receive(udp(2000 + sport)));
  host.sim.run(10_000_000);
  const perQueue = nic.rq.map((q) => q.stats.packets);
  assert.equal(perQueue[0] + perQueue[1], 64);
  const expected = [0, 0];
  for (const sport of flows) {
    expected[nic.device.indir[nic.device.rssHash(udp(2000 + sport)).hash & 127]]++;
  }
  assert.deepEqual(perQueue, expected);
  assert.ok(perQueue[0] > 0 && perQueue[1] > 0);
  // each queue's vector is on its own CPU (virtnet_set_affinity), so each CPU ran NET_RX
  assert.deepEqual(nic.rq.map((q) => q.irq!.affinity), [[0], [1]]);
  assert.ok(
    host.softirqs.counts[0][NET_RX_SOFTIRQ] > 0 && host.softirqs.counts[1][NET_RX_SOFTIRQ] > 0,
  );
});

Deno.test("virtio-net: ethtool -X steers every flow to the queues the table names", () => {
  const { host, nic } = setup({ maxQueuePairs: 2 }, 2);
  nic.setRxfh({ indir: new Array(128).fill(1) });
  for (let i = 0; i < 10; i++) host.sim.after(0, () => nic.receive(udp(3000 + i)));
  host.sim.run(10_000_000);
  assert.deepEqual(nic.rq.map((q) => q.stats.packets), [0, 10]);
  assert.throws(() => nic.setRxfh({ indir: new Array(128).fill(2) }), /queue 2 is not in use/);
  assert.throws(() => nic.setRxfh({ indir: [0] }), /128 entries, not 1/);
});

Deno.test("virtio-net: eth_type_trans sets pkt_type from the destination MAC", () => {
  const seen: number[] = [];
  const { host, inject } = setup({
    rxHandler: function* (skb) {
      seen.push(skb.pktType);
      host.sim.ledger.end({ skb: skb.id, kind: "delivered", where: "test", t: host.sim.now });
    },
  });
  inject(
    [udp(1), udp(2, { dst: "ff:ff:ff:ff:ff:ff" }), udp(3, { dst: "02:00:00:00:00:99" })],
    1000,
  );
  host.sim.run(1_000_000);
  assert.deepEqual(seen, [PACKET_HOST, PACKET_BROADCAST, PACKET_OTHERHOST]);
});

Deno.test("virtio-net: a frame shorter than an Ethernet header is a length error, not an skb", () => {
  const { host, nic, inject, q } = setup();
  inject([new Uint8Array(10)], 0);
  host.sim.run(1_000_000);
  assert.equal(nic.dev.stats.rx_length_errors, 1);
  assert.equal(q.stats.drops, 1);
  assert.equal(host.sim.ledger.fates.length, 0);
});

Deno.test("virtio-net: ethtool -G and -L reject what the device cannot do", () => {
  const { nic } = setup({ maxQueuePairs: 2 }, 2);
  assert.throws(() => nic.setRingSize(100), /100: size must be a power of two/);
  assert.throws(() => nic.setRingSize(512), /the device allows 1 to 256/);
  assert.throws(() => nic.setChannels(3), /1 to 2/);
  nic.setChannels(1);
  assert.deepEqual(new Set(nic.device.indir), new Set([0]));
});

Deno.test("napi_busy_loop: a busy-polling reader takes the packets itself, in task context", () => {
  const { host, nic, inject, q } = setup();
  const cpu = host.sim.cpus[0];
  const until = 500_000;
  cpu.addTask(new Task("reader", napiBusyLoop(host, cpu, q.napi, () => host.sim.now >= until)));
  inject(Array.from({ length: 50 }, (_, i) => udp(i)), 5_000, 1000);
  host.sim.run(2_000_000);
  assert.equal(q.stats.packets, 50);
  assert.equal(nic.rq[0].vq.hw.interrupts, 0); // the poller owned the queue: callbacks stayed off
  assert.ok(cpu.time.system > 0);
  assert.equal(q.napi.state.inBusyPoll, false);
  assert.equal(q.napi.state.sched, false); // busy_poll_stop's last poll completed NAPI
});

Deno.test("virtio-net: the same traffic and seed give the same counters and trace", () => {
  const run = () => {
    const { host, nic } = setup({ maxQueuePairs: 2 }, 2);
    const frames = generateTraffic({
      flows: Array.from(
        { length: 8 },
        (_, i) => ({
          proto: "udp" as const,
          saddr: "10.0.0.1",
          daddr: "10.0.0.2",
          sport: 5000 + i,
          dport: 53,
        }),
      ),
      size: { min: 64, max: 1500 },
      rate: { kind: "poisson", pps: 200_000 },
      count: 2000,
    }, host.sim.rng);
    for (const a of frames) host.sim.at(a.t, () => nic.receive(a.frame));
    host.sim.run(50_000_000);
    return JSON.stringify([
      nic.rq.map((q) => [q.stats, q.vq.hw]),
      host.sim.trace.records.length,
      host.sim.trace.records.slice(-50),
    ]);
  };
  assert.equal(run(), run());
});
