// Models the receive side of net/ipv4/ip_options.c (Linux 6.18): ip_options_compile() checks a
// received header's options and ip_rcv_options() acts on the result — a malformed option is a
// parameter problem (InHdrErrors, IP_INHDR, ICMP type 12 pointing at the bad byte), and a source
// route is dropped unless accept_source_route allows it. Options are checked, not applied: the
// addresses and times record-route and timestamp would write are not filled in.

import { ipHdr, type SkBuff } from "../core/skbuff.ts";
import { IPV4_HLEN } from "../wire/ipv4.ts";

/** Option types (IPOPT_*). */
const IPOPT = { END: 0, NOOP: 1, RR: 7, TIMESTAMP: 68, LSRR: 131, SSRR: 137, RA: 148 } as const;

/** What ip_options_compile() found. */
export interface IpOptionsResult {
  /** Offset from the IP header of the byte at fault, or -1 when the options are sound. */
  ppPtr: number;
  /** A loose or strict source route is present (opt->srr). */
  srr: boolean;
}

/**
 * Checks the options of a received IPv4 header, as ip_options_compile() with an skb: END ends
 * the list, NOOP is one byte, every other option needs a length of at least 2 that fits; source
 * routes, record-route, timestamp and router-alert have their own minimum lengths and pointers,
 * and may appear once; options the kernel does not know are skipped.
 * @param skb the packet, its network header set
 * @returns the fault's offset (or -1) and whether a source route is present
 */
export function ipOptionsCompile(skb: SkBuff): IpOptionsResult {
  const opts = ipHdr(skb).options;
  let p = 0;
  let l = opts.length;
  const seen = new Set<number>();
  const fault = (at: number): IpOptionsResult => ({
    ppPtr: IPV4_HLEN + at,
    srr: seen.has(IPOPT.LSRR),
  });
  while (l > 0) {
    const optptr = opts.subarray(p); // the kernel's optptr: type, length, pointer, flags
    const type = optptr[0];
    if (type === IPOPT.END) break;
    if (type === IPOPT.NOOP) {
      p++;
      l--;
      continue;
    }
    if (l < 2) return fault(p);
    const optlen = optptr[1];
    if (optlen < 2 || optlen > l) return fault(p);
    const ptr = optptr[2];
    switch (type) {
      case IPOPT.SSRR:
      case IPOPT.LSRR:
        if (optlen < 3) return fault(p + 1);
        if (ptr < 4) return fault(p + 2);
        if (seen.has(IPOPT.LSRR)) return fault(p);
        seen.add(IPOPT.LSRR);
        break;
      case IPOPT.RR:
        if (seen.has(type)) return fault(p);
        if (optlen < 3) return fault(p + 1);
        if (ptr < 4) return fault(p + 2);
        if (ptr <= optlen && ptr + 3 > optlen) return fault(p + 2);
        seen.add(type);
        break;
      case IPOPT.TIMESTAMP: {
        if (seen.has(type)) return fault(p);
        if (optlen < 4) return fault(p + 1);
        if (ptr < 5) return fault(p + 2);
        const flag = optptr[3] & 0xf;
        if (ptr <= optlen) {
          if (ptr + 3 > optlen) return fault(p + 2);
          if ((flag === 1 || flag === 3) && ptr + 7 > optlen) return fault(p + 2);
        } else if (flag !== 3 && optptr[3] >> 4 === 15) return fault(p + 3); // overflow count full
        seen.add(type);
        break;
      }
      case IPOPT.RA:
        if (optlen < 4) return fault(p + 1);
        break;
    }
    l -= optlen;
    p += optlen;
  }
  return { ppPtr: -1, srr: seen.has(IPOPT.LSRR) };
}
