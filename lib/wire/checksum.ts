// Models lib/checksum.c and include/net/checksum.h (Linux 6.18): the Internet checksum of
// RFC 1071 and the TCP/UDP pseudo-header sum (csum_tcpudp_magic).

/**
 * Adds bytes to a 32-bit running one's-complement sum, as csum_partial() does.
 *
 * The sum is kept unfolded so that pieces (pseudo-header, header, payload) can be added in any
 * order; fold it with {@linkcode csumFold} at the end.
 *
 * @param buf the bytes to sum
 * @param sum the running sum to add to
 * @param start the first byte, default 0
 * @param end one past the last byte, default the end of `buf`
 * @returns the new running sum
 * @example
 * ```ts
 * import { csumFold, csumPartial } from "@rxpath/rxpath";
 * console.log(csumFold(csumPartial(new Uint8Array([0x45, 0x00]), 0))); // 0xbaff
 * ```
 */
export function csumPartial(buf: Uint8Array, sum: number, start = 0, end = buf.length): number {
  let s = sum;
  let i = start;
  for (; i + 1 < end; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (i < end) s += buf[i] << 8; // an odd byte is padded with a zero byte (RFC 1071 4.1)
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * Folds a running sum to 16 bits and complements it, as csum_fold() does.
 *
 * @param sum a running sum from {@linkcode csumPartial}
 * @returns the 16-bit checksum field value
 * @example
 * ```ts
 * import { csumFold } from "@rxpath/rxpath";
 * console.log(csumFold(0xffff)); // 0
 * ```
 */
export function csumFold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/**
 * Sums the IPv4 pseudo-header that TCP and UDP checksums cover (RFC 768, RFC 9293 3.1).
 *
 * @param saddr source address as a 32-bit number
 * @param daddr destination address as a 32-bit number
 * @param len the transport length (header and data)
 * @param proto the IP protocol number
 * @param sum a running sum to add to
 * @returns the running sum, as csum_tcpudp_nofold() leaves it
 * @example
 * ```ts
 * import { csumTcpudpNofold, inAton, IPPROTO_UDP } from "@rxpath/rxpath";
 * csumTcpudpNofold(inAton("10.0.0.1"), inAton("10.0.0.2"), 8, IPPROTO_UDP, 0);
 * ```
 */
export function csumTcpudpNofold(
  saddr: number,
  daddr: number,
  len: number,
  proto: number,
  sum: number,
): number {
  let s = sum + (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) +
    proto + len;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}
