// Models include/uapi/linux/if_ether.h and if_vlan.h (Linux 6.18): the Ethernet II header,
// 802.1Q tags and the ethertypes the receive path dispatches on.

import { HeaderBytes } from "./header_bytes.ts";
import { InputSyntaxError } from "../base/errors.ts";

/** Length of an Ethernet II header (ETH_HLEN). */
export const ETH_HLEN = 14;
/** Length of an 802.1Q tag (VLAN_HLEN). */
export const VLAN_HLEN = 4;
/** Smallest frame without FCS that Ethernet carries (ETH_ZLEN). */
export const ETH_ZLEN = 60;
/** Ethertype of IPv4 (ETH_P_IP). */
export const ETH_P_IP = 0x0800;
/** Ethertype of ARP (ETH_P_ARP). */
export const ETH_P_ARP = 0x0806;
/** Ethertype of IPv6 (ETH_P_IPV6). */
export const ETH_P_IPV6 = 0x86dd;
/** Ethertype of an 802.1Q VLAN tag (ETH_P_8021Q). */
export const ETH_P_8021Q = 0x8100;
/** Ethertype of an 802.1ad service tag (ETH_P_8021AD). */
export const ETH_P_8021AD = 0x88a8;
/** Pseudo-type that packet taps register to see every frame (ETH_P_ALL). */
export const ETH_P_ALL = 0x0003;
/** Values below this are 802.3 lengths, not ethertypes (ETH_P_802_3_MIN). */
export const ETH_P_802_3_MIN = 0x0600;

/**
 * A view over an Ethernet II header in a frame; fields named as in struct ethhdr.
 *
 * @example
 * ```ts
 * import { buildFrame, EthHdr } from "@rxpath/rxpath";
 * const frame = buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 1, dest: 2 } });
 * console.log(new EthHdr(frame, 0).hProto.toString(16)); // "800"
 * ```
 */
export class EthHdr {
  #buf: Uint8Array;
  #off: number;
  /**
   * Views the header at `off`; the caller has checked that ETH_HLEN bytes are there.
   * @param buf the frame
   * @param off where the header starts
   */
  constructor(buf: Uint8Array, off: number) {
    this.#buf = buf;
    this.#off = off;
  }
  /** Destination MAC address bytes (h_dest). */
  get hDest(): Uint8Array {
    return this.#buf.subarray(this.#off, this.#off + 6);
  }
  /** Source MAC address bytes (h_source). */
  get hSource(): Uint8Array {
    return this.#buf.subarray(this.#off + 6, this.#off + 12);
  }
  /** The ethertype, host order (ntohs(h_proto)). */
  get hProto(): number {
    return (this.#buf[this.#off + 12] << 8) | this.#buf[this.#off + 13];
  }
  set hProto(v: number) {
    this.#buf[this.#off + 12] = v >> 8;
    this.#buf[this.#off + 13] = v & 255;
  }
}

/**
 * A view over an 802.1Q tag as it sits after the MAC addresses once eth_type_trans() has taken
 * the outer ethertype (struct vlan_hdr).
 *
 * @example
 * ```ts
 * import { VlanHdr } from "@rxpath/rxpath";
 * console.log(new VlanHdr(new Uint8Array([0x20, 0x05, 0x08, 0x00]), 0).hVlanTci); // 8197
 * ```
 */
export class VlanHdr extends HeaderBytes {
  /**
   * Views the tag at `off`; the caller has checked that VLAN_HLEN bytes are there.
   * @param buf the frame
   * @param off where the tag starts
   */
  constructor(buf: Uint8Array, off: number) {
    super(buf, off, VLAN_HLEN);
  }
  /** Priority, drop eligibility and VLAN ID (h_vlan_TCI). */
  get hVlanTci(): number {
    return this.getUint16(0);
  }
  /** The ethertype inside the tag (h_vlan_encapsulated_proto). */
  get hVlanEncapsulatedProto(): number {
    return this.getUint16(2);
  }
}

/**
 * Formats a MAC address as the kernel prints it (%pM): lower-case, colon-separated.
 *
 * @param mac six bytes
 * @returns text such as `02:00:00:00:00:01`
 * @example
 * ```ts
 * import { macToString } from "@rxpath/rxpath";
 * console.log(macToString(new Uint8Array([2, 0, 0, 0, 0, 1])));
 * ```
 */
export function macToString(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":");
}

/**
 * Parses a MAC address written as six colon-separated hex bytes.
 *
 * @param text such as `02:00:00:00:00:01`
 * @returns six bytes
 * @throws {SyntaxError} when the text is not a MAC address
 * @example
 * ```ts
 * import { macAton } from "@rxpath/rxpath";
 * console.log(macAton("ff:ff:ff:ff:ff:ff"));
 * ```
 */
export function macAton(text: string): Uint8Array {
  const parts = text.split(":");
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new InputSyntaxError(`Cannot parse MAC address: "${text}" is not six hex bytes`);
  }
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

/**
 * Tells whether a MAC address is multicast (the group bit), as is_multicast_ether_addr().
 *
 * @param mac six bytes
 * @returns true for multicast and broadcast addresses
 * @example
 * ```ts
 * import { isMulticastEtherAddr, macAton } from "@rxpath/rxpath";
 * console.log(isMulticastEtherAddr(macAton("01:00:5e:00:00:01"))); // true
 * ```
 */
export function isMulticastEtherAddr(mac: Uint8Array): boolean {
  return (mac[0] & 1) === 1;
}

/**
 * Tells whether a MAC address is ff:ff:ff:ff:ff:ff, as is_broadcast_ether_addr().
 *
 * @param mac six bytes
 * @returns true for the broadcast address
 * @example
 * ```ts
 * import { isBroadcastEtherAddr, macAton } from "@rxpath/rxpath";
 * console.log(isBroadcastEtherAddr(macAton("ff:ff:ff:ff:ff:ff"))); // true
 * ```
 */
export function isBroadcastEtherAddr(mac: Uint8Array): boolean {
  return mac.subarray(0, 6).every((b) => b === 0xff);
}

/**
 * Tells whether a MAC address may be a device's own, as is_valid_ether_addr(): not multicast
 * (broadcast included) and not all zero.
 *
 * @param mac six bytes
 * @returns true for a unicast, non-zero address
 * @example
 * ```ts
 * import { isValidEtherAddr, macAton } from "@rxpath/rxpath";
 * console.log(isValidEtherAddr(macAton("02:00:00:00:00:01")), isValidEtherAddr(macAton("01:00:5e:00:00:01"))); // true false
 * ```
 */
export function isValidEtherAddr(mac: Uint8Array): boolean {
  return !isMulticastEtherAddr(mac) && mac.some((b) => b !== 0);
}

// IEEE 802.3: 7-byte preamble + start delimiter, 4-byte FCS and a 12-byte inter-frame gap.
const WIRE_OVERHEAD = 8 + 4 + 12;

/**
 * Time a frame occupies a link, ns: its bytes plus preamble, FCS and inter-frame gap.
 * @param frameLen frame length without FCS
 * @param gbps link speed in Gbit/s
 * @returns ns on the wire
 * @example
 * ```ts
 * import { wireTimeNs } from "@rxpath/rxpath";
 * console.log(wireTimeNs(60, 10)); // 67.2: 14.88 Mpps is 10 Gbit/s line rate
 * ```
 */
export function wireTimeNs(frameLen: number, gbps: number): number {
  return ((frameLen + WIRE_OVERHEAD) * 8) / gbps;
}
