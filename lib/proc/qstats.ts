// The per-queue statistics of the netdev netlink family (Documentation/netlink/specs/netdev.yaml,
// qstats-get), as `ynl --family netdev --dump qstats-get` reports them for a virtio-net device
// that has device statistics: what the driver and the device counted on each RX queue.

import type { VirtioNet } from "../drivers/virtio_net.ts";
import { tableView, type TextView } from "../viz/display.ts";

/**
 * Per-queue RX counters by their netlink names: rx-packets and rx-bytes (driver), and the
 * device's rx-hw-drop-overruns (frames that found no posted buffer).
 * @param nic the device
 * @returns a table view
 * @example
 * ```ts
 * import { createHost, netdevQstats, VirtioNet } from "@rxpath/rxpath";
 * console.log(netdevQstats(new VirtioNet(createHost())).text);
 * ```
 */
export function netdevQstats(nic: VirtioNet): TextView {
  return tableView(
    `qstats of ${nic.dev.name}`,
    nic.rq.slice(0, nic.currQueuePairs).map((q) => ({
      ifindex: nic.dev.ifindex,
      "queue-id": q.index,
      "rx-packets": q.stats.packets,
      "rx-bytes": q.stats.bytes,
      "rx-hw-drop-overruns": q.vq.hw.dropOverruns,
    })),
  );
}
