// Models the receive side of net/ipv4/ip_options.c (Linux 6.18): ip_options_compile() checks a
// received header's options and ip_rcv_options() acts on the result — a malformed option is a
// parameter problem (InHdrErrors, IP_INHDR, ICMP type 12 pointing at the bad byte), and a source
// route is dropped unless accept_source_route allows it; record-route and timestamp options get
// this hop's address and time, and a forward's own address (ip_forward_options()).

import { ipHdr, type IpOptions, type ReplyOptions, type SkBuff } from "../core/skbuff.ts";
import { IPV4_HLEN } from "../wire/ipv4.ts";
import { csumFold, csumPartial } from "../wire/checksum.ts";
import type { InetNet } from "./netns_ipv4.ts";
import type { Cpu } from "../sim/cpu.ts";
import type { OutRoute } from "./ip_output.ts";
import { ipRtGetSource } from "./route.ts";
import { inetAddrTypeDevTable } from "./fib.ts";

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

/**
 * Fills in what a received packet's record-route and timestamp options ask of this hop, as
 * ip_options_compile() does once the packet has a route: the address it was received on
 * (`specDst()`, fib_compute_spec_dst()) into a record-route slot, the time in ms since midnight
 * UTC (inet_current_timestamp()) into a timestamp slot — with the address for flag 1, only if
 * the prespecified address is not a unicast one of another host for flag 3 — each advancing its
 * pointer; a full timestamp option counts an overflow instead. A forward fills the addresses
 * again from its own route. On options found faulty, what came before the fault is filled, as
 * ip_options_compile() fills as it goes.
 * @param skb the packet (ipOptionsCompile() run on it)
 * @param found where ipOptionsCompile() found the options
 * @param specDst the address to record, looked up when first asked
 * @param nowMs the time, ms since midnight UTC
 * @param isUnicast whether an address is another host's (inet_addr_type() == RTN_UNICAST)
 * @returns IPCB(skb)->opt
 */
export function ipOptionsFill(
  skb: SkBuff,
  found: IpOptionsResult,
  specDst: () => number,
  nowMs: number,
  isUnicast: (addr: number) => boolean,
): IpOptions {
  const h = skb.head;
  const nh = skb.networkHeader;
  const be32 = (at: number, v: number) =>
    new DataView(h.buffer, h.byteOffset).setUint32(at, v >>> 0);
  const fill: IpOptions = {
    optlen: ipHdr(skb).ihl * 4 - IPV4_HLEN,
    rr: found.rr,
    rrNeedaddr: false,
    ts: found.ts,
    tsNeedaddr: false,
    tsNeedtime: false,
    changed: false,
  };
  if (found.rr >= 0) {
    const o = nh + found.rr;
    if (h[o + 2] <= h[o + 1]) {
      be32(o + h[o + 2] - 1, specDst());
      h[o + 2] += 4;
      fill.rrNeedaddr = true;
      fill.changed = true;
    }
  }
  if (found.ts >= 0) {
    const o = nh + found.ts;
    const [optlen, ptr, flag] = [h[o + 1], h[o + 2], h[o + 3] & 0xf];
    if (ptr > optlen) {
      if (flag !== 3 && h[o + 3] >> 4 !== 15) {
        h[o + 3] += 0x10; // the overflow count
        fill.changed = true;
      }
    } else if (flag === 0) {
      be32(o + ptr - 1, nowMs);
      h[o + 2] += 4;
      fill.tsNeedtime = true;
      fill.changed = true;
    } else if (flag === 1) {
      be32(o + ptr - 1, specDst());
      be32(o + ptr + 3, nowMs);
      h[o + 2] += 8;
      fill.tsNeedaddr = fill.tsNeedtime = true;
      fill.changed = true;
    } else if (flag === 3) {
      const addr = new DataView(h.buffer, h.byteOffset).getUint32(o + ptr - 1);
      if (!isUnicast(addr)) {
        be32(o + ptr + 3, nowMs);
        h[o + 2] += 8;
        fill.tsNeedtime = true;
        fill.changed = true;
      }
    }
  }
  return fill;
}

const NO_OPTIONS = new Uint8Array(0);

/**
 * The options a reply to a received packet carries, as __ip_options_echo(): its record-route
 * and timestamp options as this hop left them, each with room for the reply's own entry if it
 * asked for one; none when it had none of these. A record-route or timestamp option with a
 * slot too short for that entry makes the echo fail: no reply is sent at all (-EINVAL).
 * @param host the host
 * @param cpu the CPU, to trace the address-type lookup a prespecified timestamp slot needs
 * @param skb the received packet, its options compiled (skb.ipOpt)
 * @returns the reply's options, or null when there is to be no reply
 */
export function ipOptionsEcho(host: InetNet, cpu: Cpu, skb: SkBuff): ReplyOptions | null {
  const sopt = skb.ipOpt;
  const dopt: ReplyOptions = {
    data: NO_OPTIONS,
    rr: -1,
    rrNeedaddr: false,
    ts: -1,
    tsNeedaddr: false,
    tsNeedtime: false,
  };
  if (!sopt?.optlen || (sopt.rr < 0 && sopt.ts < 0)) return dopt;
  const h = skb.head;
  const sptr = skb.networkHeader;
  const out: number[] = [];
  if (sopt.rr >= 0) {
    const [optlen, soffset] = [h[sptr + sopt.rr + 1], h[sptr + sopt.rr + 2]];
    dopt.rr = IPV4_HLEN + out.length;
    const d = out.length;
    out.push(...h.subarray(sptr + sopt.rr, sptr + sopt.rr + optlen));
    if (sopt.rrNeedaddr && soffset <= optlen) {
      if (soffset + 3 > optlen) return null;
      out[d + 2] = soffset + 4;
      dopt.rrNeedaddr = true;
    }
  }
  if (sopt.ts >= 0) {
    const [optlen, ptr] = [h[sptr + sopt.ts + 1], h[sptr + sopt.ts + 2]];
    let soffset = ptr;
    dopt.ts = IPV4_HLEN + out.length;
    const d = out.length;
    out.push(...h.subarray(sptr + sopt.ts, sptr + sopt.ts + optlen));
    if (soffset <= optlen) {
      if (sopt.tsNeedaddr) {
        if (soffset + 3 > optlen) return null;
        dopt.tsNeedaddr = true;
        soffset += 4;
      }
      if (sopt.tsNeedtime) {
        if (soffset + 3 > optlen) return null;
        if ((out[d + 3] & 0xf) !== 3) {
          dopt.tsNeedtime = true;
          soffset += 4;
        } else if (soffset + 7 <= optlen) {
          // a prespecified slot: the time only if its address is not another host's
          const at = d + soffset - 1;
          const addr =
            ((out[at] << 24) | (out[at + 1] << 16) | (out[at + 2] << 8) | out[at + 3]) >>>
            0;
          if (inetAddrTypeDevTable(host, addr, cpu) !== "unicast") {
            dopt.tsNeedtime = true;
            soffset += 8;
          }
        }
      }
      out[d + 2] = soffset;
    }
  }
  while (out.length & 3) out.push(IPOPT.END);
  dopt.data = Uint8Array.from(out);
  return dopt;
}

/**
 * Writes a reply's options into its header, as ip_options_build(): the echoed bytes after the
 * fixed header, then the reply's own address (ip_rt_get_source() of an output route: its source)
 * and the time into the slots the echo left for them.
 * @param pkt the reply datagram, its header long enough for the options
 * @param opt the options
 * @param saddr the reply's source address
 * @param nowMs the time, ms since midnight UTC
 */
export function ipOptionsBuild(
  pkt: Uint8Array,
  opt: ReplyOptions,
  saddr: number,
  nowMs: number,
): void {
  pkt.set(opt.data, IPV4_HLEN);
  const view = new DataView(pkt.buffer, pkt.byteOffset);
  if (opt.rrNeedaddr) view.setUint32(opt.rr + pkt[opt.rr + 2] - 5, saddr >>> 0);
  if (opt.tsNeedaddr) view.setUint32(opt.ts + pkt[opt.ts + 2] - 9, saddr >>> 0);
  if (opt.tsNeedtime) view.setUint32(opt.ts + pkt[opt.ts + 2] - 5, nowMs >>> 0);
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
  if (!opt?.optlen) return;
  const h = skb.head;
  const nh = skb.networkHeader;
  const view = new DataView(h.buffer, h.byteOffset);
  if (opt.rrNeedaddr) {
    view.setUint32(nh + opt.rr + h[nh + opt.rr + 2] - 5, ipRtGetSource(host, cpu, skb, out) >>> 0);
    opt.changed = true;
  }
  if (opt.tsNeedaddr) {
    view.setUint32(nh + opt.ts + h[nh + opt.ts + 2] - 9, ipRtGetSource(host, cpu, skb, out) >>> 0);
    opt.changed = true;
  }
  if (!opt.changed) return;
  opt.changed = false;
  const iph = ipHdr(skb);
  iph.check = 0;
  iph.check = csumFold(csumPartial(h, 0, nh, nh + iph.ihl * 4));
}
