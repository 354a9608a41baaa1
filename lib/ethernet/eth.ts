// Models net/ethernet/eth.c (Linux 6.18): eth_type_trans() classifies a received frame for its
// device — who it is for (pkt_type) and which protocol handler gets it (skb->protocol) — and
// pulls the Ethernet header.

import type { NetDevice } from "../core/netdevice.ts";
import {
  PACKET_BROADCAST,
  PACKET_HOST,
  PACKET_MULTICAST,
  PACKET_OTHERHOST,
  type SkBuff,
} from "../core/skbuff.ts";
import {
  ETH_HLEN,
  ETH_P_802_3_MIN,
  EthHdr,
  isBroadcastEtherAddr,
  isMulticastEtherAddr,
} from "../wire/ethernet.ts";

/** Pseudo-protocol of raw 802.3 frames (ETH_P_802_3). */
export const ETH_P_802_3 = 0x0001;
/** Pseudo-protocol of 802.2 LLC frames (ETH_P_802_2). */
export const ETH_P_802_2 = 0x0004;

/**
 * Sets skb->dev, the MAC header and pkt_type, pulls ETH_HLEN and returns the protocol, as
 * eth_type_trans(): a destination other than the device's address is broadcast, multicast
 * or PACKET_OTHERHOST; a type below 0x0600 is an 802.3 length, so the frame is raw 802.3
 * (0xFFFF after the header, old IPX) or 802.2 LLC. The caller has checked len >= ETH_HLEN.
 * @param skb the received skb, data at the MAC header
 * @param dev the receiving device
 * @returns the protocol, host order, for skb->protocol
 * @example
 * ```ts
 * import { allocSkb, buildFrame, createHost, ethTypeTrans, NetDevice } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = new NetDevice({ name: "eth0", ifindex: 2, mtu: 1500, devAddr: new Uint8Array([2, 0, 0, 0, 0, 2]) });
 * const skb = allocSkb(host.sim, buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 1, dest: 2 } }));
 * console.log(ethTypeTrans(skb, dev).toString(16), skb.pktType); // "800" 0 (PACKET_HOST)
 * ```
 */
export function ethTypeTrans(skb: SkBuff, dev: NetDevice): number {
  skb.dev = dev;
  skb.macHeader = skb.data;
  const eth = new EthHdr(skb.head, skb.data);
  skb.data += ETH_HLEN;
  skb.len -= ETH_HLEN;
  if (etherAddrEqual(skb.head, skb.macHeader, dev.devAddr)) skb.pktType = PACKET_HOST;
  else if (isMulticastEtherAddr(eth.hDest)) {
    skb.pktType = isBroadcastEtherAddr(eth.hDest) ? PACKET_BROADCAST : PACKET_MULTICAST;
  } else skb.pktType = PACKET_OTHERHOST;
  const proto = eth.hProto;
  if (proto >= ETH_P_802_3_MIN) return proto;
  // *(unsigned short *)rawp == 0xFFFF: the raw 802.3 frames of old Novell IPX
  const sap = skb.len >= 2 ? (skb.head[skb.data] << 8) | skb.head[skb.data + 1] : -1;
  return sap === 0xffff ? ETH_P_802_3 : ETH_P_802_2;
}

// ether_addr_equal(): the six bytes at `off` of `buf` are `addr`.
function etherAddrEqual(buf: Uint8Array, off: number, addr: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (buf[off + i] !== addr[i]) return false;
  return true;
}
