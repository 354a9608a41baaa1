// Models include/uapi/linux/ip.h and include/uapi/linux/in.h (Linux 6.18): struct iphdr, its
// flags and options, and the protocol numbers.

import { HeaderBytes } from "./header_bytes.ts";
import { InputSyntaxError } from "../base/errors.ts";

/** Length of an IPv4 header without options (sizeof(struct iphdr)). */
export const IPV4_HLEN = 20;
/** Protocol number of ICMP (IPPROTO_ICMP). */
export const IPPROTO_ICMP = 1;
/** Protocol number of IGMP (IPPROTO_IGMP). */
export const IPPROTO_IGMP = 2;
/** Protocol number of TCP (IPPROTO_TCP). */
export const IPPROTO_TCP = 6;
/** Protocol number of UDP (IPPROTO_UDP). */
export const IPPROTO_UDP = 17;
/** Protocol number of GRE (IPPROTO_GRE). */
export const IPPROTO_GRE = 47;
/** The ECN bits of the TOS byte (INET_ECN_MASK, include/net/inet_ecn.h). */
export const INET_ECN_MASK = 3;
/** The "congestion experienced" flag bit in frag_off (IP_CE). */
export const IP_CE = 0x8000;
/** The "don't fragment" flag in frag_off (IP_DF). */
export const IP_DF = 0x4000;
/** The "more fragments" flag in frag_off (IP_MF). */
export const IP_MF = 0x2000;
/** The fragment offset bits of frag_off, in 8-byte units (IP_OFFSET). */
export const IP_OFFSET = 0x1fff;

/**
 * A view over an IPv4 header; getters named after struct iphdr fields, numbers in host order.
 *
 * @example
 * ```ts
 * import { buildFrame, ETH_HLEN, IpHdr } from "@rxpath/rxpath";
 * const frame = buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", ttl: 9 }, udp: { source: 1, dest: 2 } });
 * console.log(new IpHdr(frame, ETH_HLEN).ttl); // 9
 * ```
 */
export class IpHdr extends HeaderBytes {
  #buf: Uint8Array;
  #off: number;
  /**
   * Views the header at `off`; the caller has checked that IPV4_HLEN bytes are there.
   * @param buf the frame
   * @param off where the header starts
   */
  constructor(buf: Uint8Array, off: number) {
    super(buf, off, Math.min(60, buf.length - off));
    this.#buf = buf;
    this.#off = off;
  }
  /** IP version, 4 for IPv4. */
  get version(): number {
    return this.getUint8(0) >> 4;
  }
  /** Header length in 32-bit words. */
  get ihl(): number {
    return this.getUint8(0) & 0x0f;
  }
  /** Type of service byte: DSCP in the top six bits, ECN in the bottom two. */
  get tos(): number {
    return this.getUint8(1);
  }
  set tos(v: number) {
    this.setUint8(1, v);
  }
  /** Total length of the datagram: header and data. */
  get totLen(): number {
    return this.getUint16(2);
  }
  set totLen(v: number) {
    this.setUint16(2, v);
  }
  /** Identification, used to reassemble fragments. */
  get id(): number {
    return this.getUint16(4);
  }
  set id(v: number) {
    this.setUint16(4, v);
  }
  /** Flags (IP_CE, IP_DF, IP_MF) and fragment offset. */
  get fragOff(): number {
    return this.getUint16(6);
  }
  set fragOff(v: number) {
    this.setUint16(6, v);
  }
  /** Time to live. */
  get ttl(): number {
    return this.getUint8(8);
  }
  set ttl(v: number) {
    this.setUint8(8, v);
  }
  /** Transport protocol number. */
  get protocol(): number {
    return this.getUint8(9);
  }
  set protocol(v: number) {
    this.setUint8(9, v);
  }
  /** Header checksum as found. */
  get check(): number {
    return this.getUint16(10);
  }
  set check(v: number) {
    this.setUint16(10, v);
  }
  /** Source address as an unsigned 32-bit number. */
  get saddr(): number {
    return this.getUint32(12);
  }
  set saddr(v: number) {
    this.setUint32(12, v >>> 0);
  }
  /** Destination address as an unsigned 32-bit number. */
  get daddr(): number {
    return this.getUint32(16);
  }
  set daddr(v: number) {
    this.setUint32(16, v >>> 0);
  }
  /** The option bytes (empty when ihl is 5). */
  get options(): Uint8Array {
    return this.#buf.subarray(this.#off + IPV4_HLEN, this.#off + Math.max(this.ihl, 5) * 4);
  }
  /**
   * Sets version and header length together (the first byte).
   * @param version IP version
   * @param ihl header length in 32-bit words
   */
  setVersionIhl(version: number, ihl: number): void {
    this.setUint8(0, (version << 4) | ihl);
  }
}

/**
 * Tells whether a header's frag_off marks a fragment, as ip_is_fragment().
 *
 * @param iph the header
 * @returns true when MF is set or the offset is not zero
 * @example
 * ```ts
 * import { buildFrame, ETH_HLEN, IpHdr, ipIsFragment } from "@rxpath/rxpath";
 * const f = buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", fragOff: 0x2000 }, payload: 8 });
 * console.log(ipIsFragment(new IpHdr(f, ETH_HLEN))); // true
 * ```
 */
export function ipIsFragment(iph: IpHdr): boolean {
  return (iph.fragOff & (IP_MF | IP_OFFSET)) !== 0;
}

/**
 * Parses a dotted-quad IPv4 address into an unsigned 32-bit number, as inet_aton() for the
 * four-part form.
 *
 * @param text such as `10.0.0.1`
 * @returns the address in host order
 * @throws {SyntaxError} when the text is not four decimal bytes
 * @example
 * ```ts
 * import { inAton } from "@rxpath/rxpath";
 * console.log(inAton("10.0.0.1").toString(16)); // "a000001"
 * ```
 */
export function inAton(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new InputSyntaxError(`Cannot parse IPv4 address: "${text}" is not four bytes a.b.c.d`);
  }
  return parts.reduce((a, p) => a * 256 + Number(p), 0);
}

/** The DSCP bits of the TOS byte (INET_DSCP_MASK, include/net/inet_dscp.h). */
export const INET_DSCP_MASK = 0xfc;

/**
 * The DSCP of a TOS byte, as inet_dsfield_to_dscp() (and ip4h_dscp() of a header) takes it:
 * the ECN bits cleared; route lookups carry this.
 * @param tos the TOS byte (DS field)
 * @returns its DSCP bits, in place
 * @example
 * ```ts
 * import { inetDsfieldToDscp } from "@rxpath/rxpath/wire";
 * console.log(inetDsfieldToDscp(0xc3)); // 192
 * ```
 */
export function inetDsfieldToDscp(tos: number): number {
  return tos & INET_DSCP_MASK;
}

/**
 * Formats an IPv4 address as %pI4 does.
 *
 * @param addr the address in host order
 * @returns such as `10.0.0.1`
 * @example
 * ```ts
 * import { inNtoa } from "@rxpath/rxpath";
 * console.log(inNtoa(0x0a000001)); // "10.0.0.1"
 * ```
 */
export function inNtoa(addr: number): string {
  return [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255].join(".");
}
