import assert from "node:assert/strict";
import { bhOffTask } from "../helpers/tasks.ts";
import { createHost, type HostOptions } from "../../lib/init/main.ts";
import { VirtioNet } from "../../lib/drivers/virtio_net.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { devAddPack } from "../../lib/core/dev.ts";
import { rpsRecordSockFlow } from "../../lib/core/netif_receive.ts";
import { PacketSocket } from "../../lib/packet/af_packet.ts";
import { readPcap } from "../../lib/wire/pcap.ts";
import { ETH_P_ALL } from "../../lib/wire/ethernet.ts";

const udp = (sport: number, type?: number) =>
  buildFrame({
    eth: { dst: "02:00:00:00:00:02", type },
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    udp: { source: sport, dest: 9 },
    payload: 18,
  });

// One queue, its IRQ on CPU 0, the NIC reporting its RSS hash (receive-hashing on).
function setup(options: HostOptions = {}) {
  const host = createHost({ cpus: 4, ...options });
  const nic = new VirtioNet(host, { maxQueuePairs: 1 });
  nic.setFeature("receive-hashing", true);
  nic.open();
  const send = (frames: Uint8Array[], gap = 2_000, start = 0) =>
    frames.forEach((f, i) => host.sim.at(start + i * gap, () => nic.receive(f)));
  return { host, nic, send, processed: () => host.softnetData.map((sd) => sd.processed) };
}

Deno.test("RPS: get_rps_cpu() picks rps_cpus[reciprocal_scale(hash, len)] and the target CPU does the work", () => {
  const { host, nic, send, processed } = setup();
  host.setRpsCpus(nic.dev, 0, [1, 2, 3]);
  const frames = Array.from({ length: 30 }, (_, i) => udp(1000 + i));
  send(frames);
  host.sim.run(10_000_000);
  const expected = [0, 0, 0, 0];
  for (const f of frames) {
    const hash = nic.device.rssHash(f).hash;
    expected[[1, 2, 3][Math.floor((hash * 3) / 2 ** 32)]]++;
  }
  assert.deepEqual(processed(), expected);
  assert.equal(expected[0], 0);
  // each batch to another CPU is announced by one IPI, counted as received_rps and CAL there
  for (const cpu of [1, 2, 3]) {
    assert.equal(host.softnetData[cpu].receivedRps, host.irqs.callFunction[cpu]);
    assert.ok(host.softnetData[cpu].receivedRps > 0);
  }
  host.sim.ledger.check([]);
});

Deno.test("RPS off: the CPU that polled the NIC does the L2 work (softnet_stat processed)", () => {
  const { host, send, processed } = setup();
  send(Array.from({ length: 10 }, (_, i) => udp(i)));
  host.sim.run(10_000_000);
  assert.deepEqual(processed(), [10, 0, 0, 0]);
});

Deno.test("enqueue_to_backlog() drops above netdev_max_backlog: CPU_BACKLOG, dropped on the target, rx_dropped", () => {
  const { host, nic, send } = setup({ sysctl: { "net.core.netdev_max_backlog": 10 } });
  host.setRpsCpus(nic.dev, 0, [1]);
  // CPU 1 keeps bottom halves off for 2 ms, so its backlog only fills
  host.sim.cpus[1].addTask(
    bhOffTask(2_000_000),
  );
  send(Array.from({ length: 30 }, (_, i) => udp(i)), 1_000, 10_000);
  host.sim.run(10_000_000);
  // qlen may reach max_backlog + 1: "qlen <= max_backlog" still queues
  assert.equal(host.softnetData[1].dropped, 30 - 11);
  assert.equal(nic.dev.stats.rx_dropped, 19);
  assert.equal(host.sim.ledger.summary()["dropped:CPU_BACKLOG"], 19);
  assert.equal(host.softnetData[1].processed, 11);
});

Deno.test("skb_flow_limit(): past half the backlog, a flow with most of the last 128 packets is dropped", () => {
  const { host, nic, send } = setup({ sysctl: { "net.core.flow_limit_cpu_bitmap": 0b0001 } });
  host.setRpsCpus(nic.dev, 0, [1]);
  host.sim.cpus[1].addTask(
    bhOffTask(5_000_000),
  );
  // 4 of every 5 packets are one flow; the backlog (netdev_max_backlog 1000) never fills
  const frames = Array.from({ length: 700 }, (_, i) => (i % 5 === 4 ? udp(2000 + i) : udp(7)));
  send(frames, 1_000, 10_000);
  host.sim.run(20_000_000);
  // the limit is the enqueuing CPU's (CPU 0, in the bitmap); it counts from qlen 500 on
  const limited = host.softnetData[0].flowLimit!.count;
  assert.ok(limited > 0);
  assert.equal(host.softnetData[1].dropped, limited);
  assert.equal(host.sim.ledger.summary()["dropped:CPU_BACKLOG"], limited);
  const dropped = host.sim.ledger.fates.filter((f) => f.reason === "CPU_BACKLOG").length;
  assert.equal(host.softnetData[1].processed + dropped, 700);
});

Deno.test("RFS: a flow follows its reader's CPU, but only once its queued packets are dequeued", () => {
  const { host, nic, send } = setup({ sysctl: { "net.core.rps_sock_flow_entries": 4096 } });
  host.setRpsCpus(nic.dev, 0, [1]);
  host.setRpsFlowCnt(nic.dev, 0, 256);
  const frame = udp(5555);
  const hash = nic.device.rssHash(frame).hash;
  rpsRecordSockFlow(host, hash, 3); // the reader ran on CPU 3
  send([frame, frame, frame]);
  host.sim.run(1_000_000);
  assert.equal(host.softnetData[3].processed, 3);
  // CPU 3 stops dequeuing for 1 ms; two packets queue there; then the reader moves to CPU 2
  host.sim.cpus[3].addTask(
    bhOffTask(1_000_000),
  );
  send([frame, frame], 2_000, 1_100_000);
  host.sim.at(1_200_000, () => rpsRecordSockFlow(host, hash, 2));
  send([frame], 0, 1_300_000); // not drained on CPU 3 yet: stays there, in order
  host.sim.run(1_500_000);
  assert.equal(host.softnetData[3].inputPktQueue.length, 3);
  host.sim.run(3_000_000);
  assert.equal(host.softnetData[3].processed, 6);
  send([frame], 0, 3_000_000); // drained: now the flow moves to CPU 2
  host.sim.run(4_000_000);
  assert.equal(host.softnetData[2].processed, 1);
});

Deno.test("__netif_receive_skb_core(): taps first, then the ethertype handler; the last one owns the skb", () => {
  const { host, send } = setup();
  const order: string[] = [];
  const tap = (name: string) => ({
    type: ETH_P_ALL,
    dev: null,
    name,
    func: function* (skb: { id: number; users: number }) {
      order.push(`${name}:${skb.users}`);
      host.sim.ledger.end; // taps only look
      skb.users--;
    },
  });
  devAddPack(host, tap("tap_a") as never);
  devAddPack(host, tap("tap_b") as never);
  send([udp(1)]);
  host.sim.run(1_000_000);
  // ptype_all is newest first: tap_b, tap_a; each got an extra reference (deliver_skb)
  assert.deepEqual(order, ["tap_b:2", "tap_a:2"]);
  // ended once, by ip_rcv's path: the host has no address, so ip_error() drops it
  assert.deepEqual(host.sim.ledger.summary(), { "dropped:IP_INADDRERRORS": 1 });
  assert.equal(host.sim.ledger.fates[0].where, "ip_error");
});

Deno.test("__netif_receive_skb_core(): no handler for the ethertype drops UNHANDLED_PROTO and counts rx_dropped", () => {
  const { host, nic, send } = setup();
  send([udp(1, 0x88b6)]);
  host.sim.run(1_000_000);
  assert.deepEqual(host.sim.ledger.summary(), { "dropped:UNHANDLED_PROTO": 1 });
  assert.equal(nic.dev.stats.rx_dropped, 1);
});

Deno.test("a packet socket takes an unknown ethertype as its last handler: consumed, not dropped", () => {
  const { host, send } = setup();
  const tcpdump = new PacketSocket(host, null);
  send([udp(1, 0x88b6)]);
  host.sim.run(1_000_000);
  assert.deepEqual(host.sim.ledger.summary(), { delivered: 1 });
  assert.equal(tcpdump.records.length, 1);
});

Deno.test("a packet socket captures what GRO made: one 64 KB-class packet, readable as pcap", () => {
  const host = createHost({ cpus: 1 });
  const nic = new VirtioNet(host);
  nic.setCoalesce({ rxUsecs: 1000, rxFrames: 40 }); // one interrupt: all 40 frames in one poll
  nic.open();
  const tcpdump = new PacketSocket(host, nic.dev);
  let seq = 1;
  for (let i = 0; i < 40; i++) {
    const f = buildFrame({
      eth: { dst: "02:00:00:00:00:02" },
      ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", id: i },
      tcp: { source: 1, dest: 2, seq, flags: "A" },
      payload: 1448,
    });
    seq += 1448;
    host.sim.at(0, () => nic.receive(f));
  }
  host.sim.run(10_000_000);
  const file = readPcap(tcpdump.pcap());
  assert.equal(file.records.length, 1);
  assert.equal(file.records[0].data.length, 14 + 40 + 40 * 1448);
  host.sim.ledger.check([]);
});

Deno.test("process_backlog splices a backlog of any length netdev_max_backlog allows", async () => {
  // skb_queue_splice_tail_init() of 150k skbs once overflowed the call stack (a spread push)
  const { createHost } = await import("../../lib/init/main.ts");
  const { Veth } = await import("../../lib/drivers/veth.ts");
  const { buildFrame } = await import("../../lib/wire/build.ts");
  const host = createHost({ cpus: 1 });
  host.setSysctl("net.core.netdev_max_backlog", 200_000);
  const veth = new Veth(host, "veth1", "02:00:00:00:00:02");
  veth.dev.groEnabled = false; // netif_rx() into the backlog, not the veth's own ring
  const frame = buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, payload: 4 });
  host.sim.at(0, () => veth.xmit(host.sim.cpus[0], new Array(150_000).fill(frame)));
  host.sim.run(10_000_000_000);
  assert.equal(host.softnetData[0].processed, 150_000);
  assert.equal(host.softnetData[0].dropped, 0);
});
