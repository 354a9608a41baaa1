// Models the receive side of net/ipv4/ip_options.c (Linux 6.18): ip_options_compile() checks a
// received header's options and ip_rcv_options() acts on the result — a malformed option is a
// parameter problem (InHdrErrors, IP_INHDR, ICMP type 12 pointing at the bad byte), and a source
// route is dropped unless accept_source_route allows it; record-route and timestamp options get
// this hop's address and time, and a forward's own address (ip_forward_options()).

import { ipHdr, type SkBuff } from "../core/skbuff.ts";
import { IPV4_HLEN } from "../wire/ipv4.ts";
import { csumFold, csumPartial } from "../wire/checksum.ts";
import type { InetNet } from "./netns_ipv4.ts";
import type { Cpu } from "../sim/cpu.ts";
import type { OutRoute } from "./ip_output.ts";
import { ipRtGetSource } from "./route.ts";

/** Option types (IPOPT_*). */
const IPOPT = { END: 0, NOOP: 1, RR: 7, TIMESTAMP: 68, LSRR: 131, SSRR: 137, RA: 148 } as const;

/** What ip_options_compile() found. */
export interface IpOptionsResult {
  /** Offset from the IP header of the byte at fault, or -1 when the options are sound. */
  ppPtr: number;
  /** A loose or strict source route is present (opt->srr). */
  srr: boolean;
  /** Offset from the IP header of the record-route option, or -1 (opt->rr). */
  rr: number;
  /** Offset from the IP header of the timestamp option, or -1 (opt->ts). */
  ts: number;
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
  let rr = -1, ts = -1;
  const fault = (at: number): IpOptionsResult => ({
    ppPtr: IPV4_HLEN + at,
    srr: seen.has(IPOPT.LSRR),
    rr,
    ts,
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
        rr = IPV4_HLEN + p;
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
        ts = IPV4_HLEN + p;
        break;
      }
      case IPOPT.RA:
        if (optlen < 4) return fault(p + 1);
        break;
    }
    l -= optlen;
    p += optlen;
  }
  return { ppPtr: -1, srr: seen.has(IPOPT.LSRR), rr, ts };
}

/**
 * The time an option records, inet_current_timestamp(): ms since midnight UTC, which the kit
 * takes from its clock (the run starts at midnight).
 * @param host the simulation's owner
 * @param host.sim the simulation
 * @returns ms since midnight
 */
export function inetCurrentTimestamp(host: { sim: { now: number } }): number {
  return Math.floor(host.sim.now / 1e6) % 86_400_000;
}

/** What the options left to fill as the packet is forwarded (IPCB(skb)->opt's *_needaddr). */
export interface IpOptionsFill {
  /** Offset from the IP header of a record-route option that wants this hop's address, or -1. */
  rr: number;
  /** Offset from the IP header of a timestamp option that wants this hop's address, or -1. */
  ts: number;
  /** Bytes of the header were written (opt->is_changed): a forward recomputes the checksum. */
  changed: boolean;
}

/**
 * Fills in what a received packet's record-route and timestamp options ask of this hop, as
 * ip_options_compile() does once the packet has a route: the address it was received on
 * (`specDst()`, fib_compute_spec_dst()) into a record-route slot, the time in ms since midnight
 * UTC (inet_current_timestamp()) into a timestamp slot — with the address for flag 1, only if
 * the prespecified address is local for flag 3 — each advancing its pointer; a full timestamp
 * option counts an overflow instead. A forward fills the addresses again from its own route.
 * @param skb the packet, its options sound (ipOptionsCompile())
 * @param found where ipOptionsCompile() found the options
 * @param specDst the address to record, looked up when first asked
 * @param nowMs the time, ms since midnight UTC
 * @param isLocal whether an address is one of the host's (inet_addr_type() == RTN_LOCAL)
 * @returns the slots a forward fills with its own address
 */
export function ipOptionsFill(
  skb: SkBuff,
  found: IpOptionsResult,
  specDst: () => number,
  nowMs: number,
  isLocal: (addr: number) => boolean,
): IpOptionsFill {
  const h = skb.head;
  const nh = skb.networkHeader;
  const be32 = (at: number, v: number) =>
    new DataView(h.buffer, h.byteOffset).setUint32(at, v >>> 0);
  const fill: IpOptionsFill = { rr: -1, ts: -1, changed: false };
  if (found.rr >= 0) {
    const o = nh + found.rr;
    if (h[o + 2] <= h[o + 1]) {
      be32(o + h[o + 2] - 1, specDst());
      h[o + 2] += 4;
      fill.rr = found.rr;
      fill.changed = true;
    }
  }
  if (found.ts >= 0) {
    const o = nh + found.ts;
    const [optlen, ptr, flag] = [h[o + 1], h[o + 2], h[o + 3] & 0xf];
    if (ptr > optlen) {
      if (h[o + 3] >> 4 !== 15) h[o + 3] += 0x10; // the overflow count
      fill.changed = true;
    } else if (flag === 0) {
      be32(o + ptr - 1, nowMs);
      h[o + 2] += 4;
      fill.changed = true;
    } else if (flag === 1) {
      be32(o + ptr - 1, specDst());
      be32(o + ptr + 3, nowMs);
      h[o + 2] += 8;
      fill.ts = found.ts;
      fill.changed = true;
    } else if (flag === 3) {
      const addr = new DataView(h.buffer, h.byteOffset).getUint32(o + ptr - 1);
      if (isLocal(addr)) {
        be32(o + ptr + 3, nowMs);
        h[o + 2] += 8;
        fill.changed = true;
      }
    }
  }
  return fill;
}

/**
 * Writes a forward's own address into the options that want it, as ip_forward_options(): the
 * record-route slot just filled and a timestamp option's address, each from
 * ip_rt_get_source(), then, the header having changed, its checksum (ip_send_check()).
 * @param host the host
 * @param cpu the CPU
 * @param skb the forwarded packet
 * @param out its output route
 */
export function ipForwardOptions(host: InetNet, cpu: Cpu, skb: SkBuff, out: OutRoute): void {
  const opt = skb.ipOpt;
  if (!opt) return;
  const h = skb.head;
  const nh = skb.networkHeader;
  const view = new DataView(h.buffer, h.byteOffset);
  if (opt.rr >= 0) {
    view.setUint32(nh + opt.rr + h[nh + opt.rr + 2] - 5, ipRtGetSource(host, cpu, skb, out) >>> 0);
  }
  if (opt.ts >= 0) {
    view.setUint32(nh + opt.ts + h[nh + opt.ts + 2] - 9, ipRtGetSource(host, cpu, skb, out) >>> 0);
  }
  const iph = ipHdr(skb);
  iph.check = 0;
  iph.check = csumFold(csumPartial(h, 0, nh, nh + iph.ihl * 4));
  skb.ipOpt = null;
}
