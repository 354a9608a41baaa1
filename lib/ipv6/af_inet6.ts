// Models the one part of net/ipv6/af_inet6.c (Linux 6.18) the kit needs: inet6_init() puts
// ipv6_rcv() on ptype_base (ipv6_packet_init()). The kit models IPv4 only, so its hosts run with
// IPv6 disabled (net.ipv6.conf.all.disable_ipv6 = 1, as the reference host's links are), where
// ipv6_rcv() drops every packet with SKB_DROP_REASON_IPV6DISABLED.

import type { Net } from "../core/net_namespace.ts";
import { devAddPack } from "../core/dev.ts";
import { kfreeSkbReason } from "../core/skbuff.ts";
import { ETH_P_IPV6 } from "../wire/ethernet.ts";

/**
 * Brings up the kit's IPv6, as inet6_init() (a module_init, so a device initcall when built
 * in): the ETH_P_IPV6 handler.
 * @param host the host being booted
 */
export function inet6Init(host: Net): void {
  host.sim.enterFn(host.bootCpu, "inet6_init");
  devAddPack(host, {
    type: ETH_P_IPV6,
    dev: null,
    name: "ipv6_rcv",
    func: function* (skb) {
      kfreeSkbReason(host.sim, skb, "IPV6DISABLED", "ip6_rcv_core");
    },
  });
  host.sim.exitFn(host.bootCpu, "inet6_init");
}
