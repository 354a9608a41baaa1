// A test NIC stand-in shared by tests and benches.
import type { Host } from "../../lib/init/main.ts";
import { napiCompleteDone, netifNapiAdd } from "../../lib/core/dev.ts";
import { NetDevice } from "../../lib/core/netdevice.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { allocSkb } from "../../lib/core/skbuff.ts";
import { countingSink } from "../../lib/core/sink.ts";

// A NAPI instance with a queue of `backlog` received skbs, each costing `ns` to hand up to a
// counting sink; it completes when the queue runs dry. `holder` lets the ledger find the
// skbs still queued.
export function queueDevice(host: Host, backlog: number, ns = 1000) {
  const cpu = host.sim.cpus[0];
  const frame = buildFrame({
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    udp: { source: 1, dest: 2 },
  });
  const queue = Array.from({ length: backlog }, () => allocSkb(host.sim, frame));
  const handUp = countingSink(host, "netif_receive_skb");
  const dev = new NetDevice({ name: "test0", ifindex: 2, mtu: 1500, devAddr: new Uint8Array(6) });
  const napi = netifNapiAdd("test_poll", dev, function* (n, budget) {
    let work = 0;
    while (work < budget && queue.length > 0) {
      yield ns;
      yield* handUp(queue.shift()!);
      work++;
    }
    if (work < budget) napiCompleteDone(host, cpu, n, work);
    return work;
  });
  const holder = { name: "test ring", skbIds: () => queue.map((skb) => skb.id) };
  return { napi, cpu, left: () => queue.length, holder };
}
