import assert from "node:assert/strict";
import { createHost, Host } from "../../lib/init/main.ts";
import { doInitcalls } from "../../lib/init/main.ts";
import { allocSkb, SKB_TRUESIZE } from "../../lib/core/skbuff.ts";
import { PF_INET } from "../../lib/core/socket.ts";
import { NET_RX_SOFTIRQ, NET_TX_SOFTIRQ } from "../../lib/kernel/softirq.ts";

Deno.test("createHost() runs the networking initcalls in the kernel's order", () => {
  const host = createHost({ trace: true });
  const initcalls = host.sim.trace.records
    .filter((r) => r.kind === "entry" && r.depth === 2)
    .map((r) => r.fn);
  assert.deepEqual(initcalls, [
    "spawn_ksoftirqd",
    "net_dev_init",
    "neigh_init",
    "ipv4_offload_init",
    "inet_init",
    "inet6_init",
  ]);
});

Deno.test("inet_init registers protocols newest-first, AF_INET, inet_protos and ip_rcv last", () => {
  const host = createHost({ trace: true });
  assert.deepEqual(host.protoList.map((p) => p.name), ["UDP-Lite", "PING", "RAW", "UDP", "TCP"]);
  assert.equal(host.netFamilies[PF_INET]?.create, "inet_create");
  assert.deepEqual(
    host.inetProtos.flatMap((p, nr) => (p ? [[nr, p.name]] : [])),
    [[1, "icmp_rcv"], [2, "igmp_rcv"], [6, "tcp_v4_rcv"], [17, "udp_rcv"], [136, "udplite_rcv"]],
  );
  const packs = host.sim.trace.records.filter((r) => r.kind === "entry" && r.fn === "dev_add_pack");
  // arp_init's, inet_init's ip_packet_type, then inet6_init's ipv6_packet_type
  assert.equal(packs.length, 3);
  assert.equal(host.neighTables[0].id, "arp_cache");
});

Deno.test("net_dev_init installs net_tx_action and net_rx_action and one softnet_data per CPU", () => {
  const host = createHost({ cpus: 3 });
  assert.equal(host.softirqs.vec[NET_TX_SOFTIRQ]?.name, "net_tx_action");
  assert.equal(host.softirqs.vec[NET_RX_SOFTIRQ]?.name, "net_rx_action");
  assert.deepEqual(host.softnetData.map((sd) => sd.cpu), [0, 1, 2]);
  assert.deepEqual(host.softirqs.ksoftirqd.map((t) => [t.name, t.state]), [
    ["ksoftirqd/0", "sleeping"],
    ["ksoftirqd/1", "sleeping"],
    ["ksoftirqd/2", "sleeping"],
  ]);
  assert.equal(host.devices[0].name, "lo");
});

Deno.test("Host takes netdev_budget_usecs = 2 * USEC_PER_SEC / HZ by default", () => {
  assert.equal(createHost({ hz: 250 }).sysctl["net.core.netdev_budget_usecs"], 8000);
  assert.equal(createHost({ hz: 1000 }).sysctl["net.core.netdev_budget_usecs"], 2000);
});

Deno.test("Host rejects an unknown sysctl and a value out of the kernel's range, naming them", () => {
  assert.throws(() => new Host({ sysctl: { "net.core.netdev_bugdet": 10 } }), {
    name: "RangeError",
    message: /net\.core\.netdev_bugdet: unknown name/,
  });
  assert.throws(() => new Host({ sysctl: { "net.core.dev_weight": 0 } }), {
    name: "RangeError",
    message: /dev_weight to 0: must be an integer from 1/,
  });
  assert.throws(() => new Host({ cpus: 0 }), { name: "RangeError", message: /0 CPUs/ });
});

Deno.test("Host takes the kernel's sysctl ranges: netdev_budget_usecs at least 2 jiffies, budget any int", () => {
  // measured on a 6.18 host at HZ 250: usecs 100 is rejected (EINVAL), netdev_budget 0 accepted
  assert.throws(() => new Host({ sysctl: { "net.core.netdev_budget_usecs": 100 } }), /from 8000/);
  assert.equal(
    new Host({ hz: 1000, sysctl: { "net.core.netdev_budget_usecs": 2000 } })
      .sysctl["net.core.netdev_budget_usecs"],
    2000,
  );
  assert.equal(
    new Host({ sysctl: { "net.core.netdev_budget": 0 } }).sysctl["net.core.netdev_budget"],
    0,
  );
});

Deno.test("doInitcalls() refuses to boot a host twice", () => {
  assert.throws(() => doInitcalls(createHost()), /booted already/);
});

Deno.test("allocSkb() charges truesize as __alloc_skb() does: kmalloc cache + sk_buff + shared info", () => {
  const sim = createHost().sim;
  // SKB_TRUESIZE(256) = 832 is the unit of rmem_default (212992 = 256 * 832, net/core/sock.c)
  assert.equal(SKB_TRUESIZE(256), 832);
  assert.equal(allocSkb(sim, new Uint8Array(60)).truesize, 768); // 64 + 320 -> 512-byte cache
  assert.equal(allocSkb(sim, new Uint8Array(1514)).truesize, 2304); // 1536 + 320 -> 2048
});

Deno.test("boot leaves no skb unaccounted", () => {
  const host = createHost();
  host.sim.ledger.check(
    host.softnetData.map((sd) => ({
      name: `cpu${sd.cpu} backlog`,
      skbIds: () => [...sd.inputPktQueue].map((s) => s.id),
    })),
  );
});
