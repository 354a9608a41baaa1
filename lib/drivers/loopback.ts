// Models drivers/net/loopback.c (Linux 6.18): what the host sends to itself goes out of lo and
// straight back in — loopback_xmit() runs eth_type_trans() and __netif_rx(), so the packet
// comes round through the backlog like any other.

import type { Net } from "../core/net_namespace.ts";
import { NETDEV_TX_OK } from "../core/dev_xmit.ts";
import { __netifRx } from "../core/netif_receive.ts";
import { ethTypeTrans } from "../ethernet/eth.ts";

/**
 * Gives lo its transmit, as loopback_net_init() registering loopback_ops: loopback_xmit()
 * hands each skb back to the stack (eth_type_trans(), __netif_rx()), counting it received.
 * @param host the host, lo registered
 */
export function loopbackNetInit(host: Net): void {
  const lo = host.devices.find((d) => d.loopback)!;
  lo.ndoStartXmit = (skb, cpu) => {
    host.sim.traced(cpu, "loopback_xmit", () => {
      const len = skb.len;
      skb.protocol = ethTypeTrans(skb, lo);
      lo.stats.rx_packets++;
      lo.stats.rx_bytes += len;
      __netifRx(host, cpu, skb);
    }, skb.id);
    return NETDEV_TX_OK;
  };
}
