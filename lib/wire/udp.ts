// Models include/uapi/linux/udp.h (Linux 6.18): struct udphdr.

import { HeaderBytes } from "./header_bytes.ts";

/** Length of a UDP header (sizeof(struct udphdr)). */
export const UDP_HLEN = 8;

/**
 * A view over a UDP header; getters named after struct udphdr fields.
 *
 * @example
 * ```ts
 * import { buildFrame, UdpHdr } from "@rxpath/rxpath";
 * const f = buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 5, dest: 53 } });
 * console.log(new UdpHdr(f, 34).dest); // 53
 * ```
 */
export class UdpHdr extends HeaderBytes {
  /**
   * Views the header at `off`; the caller has checked that UDP_HLEN bytes are there.
   * @param buf the frame
   * @param off where the header starts
   */
  constructor(buf: Uint8Array, off: number) {
    super(buf, off, UDP_HLEN);
  }
  /** Source port. */
  get source(): number {
    return this.getUint16(0);
  }
  set source(v: number) {
    this.setUint16(0, v);
  }
  /** Destination port. */
  get dest(): number {
    return this.getUint16(2);
  }
  set dest(v: number) {
    this.setUint16(2, v);
  }
  /** Length of header and data. */
  get len(): number {
    return this.getUint16(4);
  }
  set len(v: number) {
    this.setUint16(4, v);
  }
  /** Checksum as found; 0 means the sender computed none (RFC 768). */
  get check(): number {
    return this.getUint16(6);
  }
  set check(v: number) {
    this.setUint16(6, v);
  }
}
