// The generic transmit loop as net/sched/sch_generic.c runs it, on cases the recordings do
// not reach: a root qdisc shared by the queues of a multiqueue device sends each packet by its
// own queue (skb_get_tx_queue()), setting aside one for another queue met in a bulk
// (skb_bad_txq); the quota of one run is dev_tx_weight packets, the rest goes to NET_TX.
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { registerEtherdev } from "../../lib/core/netdevice.ts";
import { devQueueXmit, NETDEV_TX_OK, netifSetXpsQueue, txSkb } from "../../lib/core/dev_xmit.ts";
import { tc } from "../../lib/sched/sch_api.ts";
import { netifSchedule } from "../../lib/sched/sch_generic.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { NET_TX_SOFTIRQ } from "../../lib/kernel/softirq.ts";

const frame = buildFrame({
  ipv4: { saddr: "10.0.0.9", daddr: "10.0.0.1" },
  udp: { source: 1, dest: 2 },
  payload: 100,
});

function twoQueueHost() {
  const host = createHost({ cpus: 2 });
  const dev = registerEtherdev(host, "eth1", "02:00:00:00:00:09", 1500, (d) => {
    d.numTxQueues = d.realNumTxQueues = 2;
  });
  const sent: number[] = [];
  dev.ndoStartXmit = (skb) => {
    sent.push(skb.queueMapping);
    return NETDEV_TX_OK;
  };
  return { host, dev, sent };
}

Deno.test("a shared root qdisc sends each packet by its own queue; one for another queue met in a bulk waits as skb_bad_txq", () => {
  const { host, dev, sent } = twoQueueHost();
  netifSetXpsQueue(dev, 0, 0b01);
  netifSetXpsQueue(dev, 1, 0b10);
  // both queues stopped: packets from CPU 0 (tx-0) and CPU 1 (tx-1) wait in one pfifo
  tc(host, "qdisc replace dev eth1 root handle 1: pfifo limit 100");
  dev.tx[0].drvXoff = dev.tx[1].drvXoff = true;
  const order = [0, 1, 1, 0, 0, 1];
  order.forEach((c, i) =>
    host.sim.at(i, () => devQueueXmit(host, host.sim.cpus[c], dev, txSkb(host, frame, dev)))
  );
  host.sim.at(100, () => {
    dev.tx[0].drvXoff = dev.tx[1].drvXoff = false;
    netifSchedule(host, host.sim.cpus[0], dev.qdisc!);
  });
  host.sim.run(10_000_000);
  // in order, each by the queue its CPU maps to: a bulk stops at a packet for another queue
  assert.deepEqual(sent, order);
  assert.equal(dev.tx[0].txPackets, 3);
  assert.equal(dev.tx[1].txPackets, 3);
  assert.equal(dev.qdisc!.qstats.requeues, 1); // the first, bypassing into a stopped queue
});

Deno.test("one qdisc run sends at most dev_tx_weight packets; NET_TX sends the rest", () => {
  const { host, dev, sent } = twoQueueHost();
  host.setSysctl("net.core.dev_weight", 4);
  // pfifo with a stopped queue fills; waking it lets one run send 4, then NET_TX the rest
  tc(host, "qdisc replace dev eth1 root handle 1: pfifo limit 100");
  dev.tx[0].drvXoff = true;
  for (let i = 0; i < 10; i++) {
    host.sim.at(i, () => devQueueXmit(host, host.sim.cpus[0], dev, txSkb(host, frame, dev)));
  }
  host.sim.at(100, () => {
    dev.tx[0].drvXoff = false;
    netifSchedule(host, host.sim.cpus[0], dev.qdisc!);
  });
  host.sim.run(10_000_000);
  assert.equal(sent.length, 10);
  // the wake's run and the rescheduled ones: 4 + 4 + 2
  assert.equal(host.softirqs.counts[0][NET_TX_SOFTIRQ], 3);
});
