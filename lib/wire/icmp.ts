// Models include/uapi/linux/icmp.h (Linux 6.18): struct icmphdr and the message types.

import { HeaderBytes } from "./header_bytes.ts";

/** Length of an ICMP header (sizeof(struct icmphdr)). */
export const ICMP_HLEN = 8;
/** Echo reply (ICMP_ECHOREPLY). */
export const ICMP_ECHOREPLY = 0;
/** Destination unreachable (ICMP_DEST_UNREACH). */
export const ICMP_DEST_UNREACH = 3;
/** Redirect (ICMP_REDIRECT). */
export const ICMP_REDIRECT = 5;
/** Echo request (ICMP_ECHO). */
export const ICMP_ECHO = 8;
/** Time exceeded (ICMP_TIME_EXCEEDED). */
export const ICMP_TIME_EXCEEDED = 11;
/** Parameter problem (ICMP_PARAMETERPROB). */
export const ICMP_PARAMETERPROB = 12;
/** Timestamp request (ICMP_TIMESTAMP). */
export const ICMP_TIMESTAMP = 13;
/** Timestamp reply (ICMP_TIMESTAMPREPLY). */
export const ICMP_TIMESTAMPREPLY = 14;
/** Destination unreachable code: network unreachable (ICMP_NET_UNREACH). */
export const ICMP_NET_UNREACH = 0;
/** Destination unreachable code: host unreachable (ICMP_HOST_UNREACH). */
export const ICMP_HOST_UNREACH = 1;
/** Destination unreachable code: protocol unreachable (ICMP_PROT_UNREACH). */
export const ICMP_PROT_UNREACH = 2;
/** Destination unreachable code: port unreachable (ICMP_PORT_UNREACH). */
export const ICMP_PORT_UNREACH = 3;
/** Destination unreachable code: fragmentation needed and DF set (ICMP_FRAG_NEEDED). */
export const ICMP_FRAG_NEEDED = 4;
/** Time exceeded code: TTL expired in transit (ICMP_EXC_TTL). */
export const ICMP_EXC_TTL = 0;

/**
 * A view over an ICMP header; getters named after struct icmphdr fields.
 *
 * @example
 * ```ts
 * import { buildFrame, ICMP_ECHO, IcmpHdr } from "@rxpath/rxpath";
 * const f = buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, icmp: { type: ICMP_ECHO, id: 7, sequence: 1 } });
 * console.log(new IcmpHdr(f, 34).type); // 8
 * ```
 */
export class IcmpHdr extends HeaderBytes {
  /**
   * Views the header at `off`; the caller has checked that ICMP_HLEN bytes are there.
   * @param buf the frame
   * @param off where the header starts
   */
  constructor(buf: Uint8Array, off: number) {
    super(buf, off, ICMP_HLEN);
  }
  /** Message type. */
  get type(): number {
    return this.getUint8(0);
  }
  set type(v: number) {
    this.setUint8(0, v);
  }
  /** Message code. */
  get code(): number {
    return this.getUint8(1);
  }
  set code(v: number) {
    this.setUint8(1, v);
  }
  /** Checksum over the whole ICMP message. */
  get checksum(): number {
    return this.getUint16(2);
  }
  set checksum(v: number) {
    this.setUint16(2, v);
  }
  /** Echo identifier (un.echo.id). */
  get id(): number {
    return this.getUint16(4);
  }
  set id(v: number) {
    this.setUint16(4, v);
  }
  /** Echo sequence number (un.echo.sequence). */
  get sequence(): number {
    return this.getUint16(6);
  }
  set sequence(v: number) {
    this.setUint16(6, v);
  }
  /** The second word as one number (un.gateway; the pointer, MTU or unused word of errors). */
  get un(): number {
    return this.getUint32(4);
  }
  set un(v: number) {
    this.setUint32(4, v >>> 0);
  }
}
