// Models the init side of net/ipv4/arp.c (Linux 6.18): arp_init() sets up the ARP neighbour
// table and registers the ARP packet handler.

import type { InetNet } from "./netns_ipv4.ts";
import { devAddPack } from "../core/dev.ts";
import { neighTableInit } from "../core/neighbour.ts";
import { countingSink } from "../core/sink.ts";
import { ETH_P_ARP } from "../wire/ethernet.ts";
import { PF_INET } from "../core/socket.ts";

/**
 * Initialises ARP, as arp_init() called from inet_init(): neigh_table_init(arp_tbl), then
 * dev_add_pack(&arp_packet_type). ARP is not modelled further: its handler counts frames.
 * @param host the host being booted
 */
export function arpInit(host: InetNet): void {
  host.sim.enterFn(host.bootCpu, "arp_init");
  neighTableInit(host, { index: 0, id: "arp_cache", family: PF_INET });
  const sink = countingSink(host, "arp_rcv");
  devAddPack(host, { type: ETH_P_ARP, dev: null, name: "arp_rcv", func: (skb) => sink(skb) });
  host.sim.exitFn(host.bootCpu, "arp_init");
}

/**
 * Adds a neighbour the way `ip neigh replace ADDR lladdr MAC nud permanent dev DEV` does: the
 * host then sends to ADDR out of DEV with that MAC. The kit models no ARP exchange; a neighbour
 * it was not told about counts as resolved to 02:fe followed by its IPv4 address.
 * @param host the host
 * @param dev the device's name
 * @param addr the neighbour's IPv4 address, host order
 * @param mac its MAC address, six bytes
 */
export function neighPermanent(host: InetNet, dev: string, addr: number, mac: Uint8Array): void {
  host.ipv4.neigh.set(`${dev}/${addr >>> 0}`, mac);
}
