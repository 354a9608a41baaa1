import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import {
  devAddPack,
  devRemovePack,
  napiCompleteDone,
  napiSchedule,
  PTYPE_HASH_MASK,
} from "../../lib/core/dev.ts";
import { ETH_P_ALL, ETH_P_ARP, ETH_P_IP } from "../../lib/wire/ethernet.ts";
import { queueDevice } from "../helpers/queue_device.ts";
import { NET_RX_SOFTIRQ } from "../../lib/kernel/softirq.ts";

const noop = function* () {};

Deno.test("devAddPack() hashes by type & PTYPE_HASH_MASK and puts the newest first", () => {
  const host = createHost();
  assert.deepEqual(host.ptype.base[ETH_P_IP & PTYPE_HASH_MASK].map((p) => p.name), ["ip_rcv"]);
  assert.deepEqual(host.ptype.base[ETH_P_ARP & PTYPE_HASH_MASK].map((p) => p.name), ["arp_rcv"]);
  const mine = { type: 0x1800, dev: null, name: "mine_rcv", func: noop }; // 0x1800 & 15 = 0, IPv4's bucket
  devAddPack(host, mine);
  assert.deepEqual(host.ptype.base[0].map((p) => p.name), ["mine_rcv", "ip_rcv"]);
  devRemovePack(host, mine);
  assert.deepEqual(host.ptype.base[0].map((p) => p.name), ["ip_rcv"]);
  assert.throws(() => devRemovePack(host, mine), {
    name: "RangeError",
    message: /mine_rcv: it is not registered/,
  });
});

Deno.test("devAddPack() puts ETH_P_ALL taps on ptype_all, or on the device's own list", () => {
  const host = createHost();
  const lo = host.devices[0];
  devAddPack(host, { type: ETH_P_ALL, dev: null, name: "packet_rcv", func: noop });
  devAddPack(host, { type: ETH_P_ALL, dev: lo, name: "tpacket_rcv", func: noop });
  assert.deepEqual(host.ptype.all.map((p) => p.name), ["packet_rcv"]);
  assert.deepEqual(lo.ptypeAll.map((p) => p.name), ["tpacket_rcv"]);
});

Deno.test("net_rx_action() polls a busy instance once per run and raises NET_RX again (repoll)", () => {
  const host = createHost({
    cpus: 1,
    costs: { softirqEntry: 0, hardirq: 0, call: 0, coldScale: 0 },
  });
  const { napi, cpu, left, holder } = queueDevice(host, 1000, 100);
  host.sim.at(0, () =>
    cpu.raiseIrq("eth0", function* () {
      napiSchedule(host, cpu, napi);
    }));
  host.sim.run(10_000_000);
  assert.equal(left(), 0);
  assert.equal(napi.state.sched, false);
  // 1000 packets in polls of 64: 16 polls, one per net_rx_action run; 10 passes at irq exit
  // (MAX_SOFTIRQ_RESTART), the other 6 in ksoftirqd; a lone instance never exhausts 300
  assert.equal(host.softirqs.counts[0][NET_RX_SOFTIRQ], 16);
  assert.equal(host.softnetData[0].timeSqueeze, 0);
  assert.equal(host.softirqs.ksoftirqd[0].wakeups, 1);
  host.sim.ledger.check([holder]);
  assert.deepEqual(host.sim.ledger.summary(), { delivered: 1000 });
});

Deno.test("net_rx_action() stops at netdev_budget (300) across instances: time_squeeze++", () => {
  const host = createHost({
    cpus: 1,
    costs: { softirqEntry: 0, hardirq: 0, call: 0, coldScale: 0 },
  });
  const devices = Array.from({ length: 6 }, () => queueDevice(host, 1000, 100));
  const cpu = host.sim.cpus[0];
  host.sim.at(0, () =>
    cpu.raiseIrq("eth0", function* () {
      for (const d of devices) napiSchedule(host, cpu, d.napi);
    }));
  host.sim.run(32_000); // the first run: 5 polls of 64 = 320 packets (32 us), budget 300 - 320 <= 0
  assert.equal(host.softnetData[0].timeSqueeze, 1);
  assert.deepEqual(devices.map((d) => d.left()), [936, 936, 936, 936, 936, 1000]);
  // the next run starts with the one left unpolled, then the repolled ones in order
  host.sim.run(32_100);
  assert.deepEqual(devices.map((d) => d.left()), [936, 936, 936, 936, 936, 999]);
  host.sim.ledger.check(devices.map((d) => d.holder)); // 321 handed up, the rest still queued
});

Deno.test("net_rx_action() stops at netdev_budget_usecs (2 jiffies at HZ 250) and counts a time_squeeze", () => {
  const host = createHost({
    cpus: 1,
    costs: { softirqEntry: 0, hardirq: 0, call: 0, coldScale: 0 },
  });
  const { napi, cpu } = queueDevice(host, 400, 200_000); // 0.2 ms a packet: 64 take 12.8 ms
  host.sim.at(0, () =>
    cpu.raiseIrq("eth0", function* () {
      napiSchedule(host, cpu, napi);
    }));
  host.sim.run(13_000_000);
  // one poll of 64 packets (12.8 ms) passes the 8 ms limit: squeeze after the first poll
  assert.equal(host.softnetData[0].timeSqueeze, 1);
});

Deno.test("napi_schedule() on a scheduled instance only sets MISSED; completion then polls again", () => {
  const host = createHost({ cpus: 1 });
  const { napi, cpu } = queueDevice(host, 0);
  assert.equal(napiSchedule(host, cpu, napi), true);
  assert.equal(napiSchedule(host, cpu, napi), false);
  assert.equal(napi.state.missed, true);
  assert.equal(napiCompleteDone(host, cpu, napi, 0), false); // MISSED: rescheduled, IRQ stays off
  assert.equal(napi.state.sched, true);
  const idle = { ...napi, state: { ...napi.state, sched: false, missed: false } };
  assert.throws(
    () => napiCompleteDone(host, cpu, idle, 0),
    /BUG: napi_complete_done on test_poll while not scheduled/,
  );
});
