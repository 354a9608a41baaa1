// Builds frames byte by byte with correct checksums: Ethernet II (optionally 802.1Q tagged),
// IPv4 (RFC 791) with options, and UDP (RFC 768), TCP (RFC 9293) or ICMP (RFC 792) on top.
// Any field can be overridden, so tests can make the broken frames the kernel must drop.

import { InputRangeError, InputSyntaxError, quoteValue } from "../base/errors.ts";
import { csumFold, csumPartial, csumTcpudpNofold } from "./checksum.ts";
import {
  ETH_HLEN,
  ETH_P_8021Q,
  ETH_P_ARP,
  ETH_P_IP,
  ETH_ZLEN,
  macAton,
  VLAN_HLEN,
} from "./ethernet.ts";
import { ICMP_HLEN } from "./icmp.ts";
import { inAton, IP_DF, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_HLEN } from "./ipv4.ts";
import {
  TCP_FLAGS,
  TCP_HLEN,
  TCPOPT_MSS,
  TCPOPT_NOP,
  TCPOPT_SACK_PERM,
  TCPOPT_TIMESTAMP,
  TCPOPT_WINDOW,
} from "./tcp.ts";
import { UDP_HLEN } from "./udp.ts";

/** Ethernet fields of a frame to build; addresses as `aa:bb:cc:dd:ee:ff`. */
export interface EthSpec {
  /** Destination MAC, default 02:00:00:00:00:02. */
  dst?: string;
  /** Source MAC, default 02:00:00:00:00:01. */
  src?: string;
  /** Ethertype, default ETH_P_IP. */
  type?: number;
  /** An 802.1Q tag with this VLAN id (0-4095) goes before the ethertype. */
  vlan?: number;
}

/** IPv4 fields of a frame to build; omitted ones take the values Linux sends. */
export interface Ipv4Spec {
  /** Source address, dotted quad. */
  saddr: string;
  /** Destination address, dotted quad. */
  daddr: string;
  /** Time to live, default 64 (net.ipv4.ip_default_ttl). */
  ttl?: number;
  /** Type of service byte, default 0. */
  tos?: number;
  /** Identification, default 0. */
  id?: number;
  /** Flags and fragment offset, default IP_DF as Linux sets with path MTU discovery on. */
  fragOff?: number;
  /** Protocol number; default from the transport given. */
  protocol?: number;
  /** Option bytes; padded with zeros (end of options) to a multiple of four. */
  options?: Uint8Array;
  /** Override: header length in words. */
  ihl?: number;
  /** Override: version nibble. */
  version?: number;
  /** Override: total length. */
  totLen?: number;
  /** Override: header checksum. */
  check?: number;
}

/** UDP fields of a frame to build. */
export interface UdpSpec {
  /** Source port. */
  source: number;
  /** Destination port. */
  dest: number;
  /** Override: length field. */
  len?: number;
  /** Override: checksum (0 means "none", which RFC 768 allows). */
  check?: number;
}

/** TCP options to encode in the order Linux writes them (tcp_options_write). */
export interface TcpOptionsSpec {
  /** Maximum segment size. */
  mss?: number;
  /** SACK permitted. */
  sackPerm?: boolean;
  /** Timestamps: [TSval, TSecr]. */
  timestamp?: [number, number];
  /** Window scale shift. */
  wscale?: number;
}

/** TCP fields of a frame to build. */
export interface TcpSpec {
  /** Source port. */
  source: number;
  /** Destination port. */
  dest: number;
  /** Sequence number, default 0. */
  seq?: number;
  /** Acknowledgement number, default 0. */
  ackSeq?: number;
  /** Flags as letters F S R P A U E C (e.g. "SA", "PA"), or the flag byte; default "A". */
  flags?: string | number;
  /** Window, default 64240. */
  window?: number;
  /** Urgent pointer, default 0. */
  urgPtr?: number;
  /** Options to encode, or raw option bytes (padded with EOL to a multiple of four). */
  options?: TcpOptionsSpec | Uint8Array;
  /** Override: data offset in words. */
  doff?: number;
  /** Override: checksum. */
  check?: number;
}

/** ICMP fields of a frame to build. */
export interface IcmpSpec {
  /** Message type (ICMP_ECHO ...). */
  type: number;
  /** Message code, default 0. */
  code?: number;
  /** Echo identifier, default 0. */
  id?: number;
  /** Echo sequence, default 0. */
  sequence?: number;
  /** Override: checksum. */
  checksum?: number;
}

/** ARP fields of a frame to build: Ethernet and IPv4 addresses (RFC 826). */
export interface ArpSpec {
  /** Operation: 1 request (ARPOP_REQUEST), 2 reply; default 1. */
  op?: number;
  /** Sender hardware address, default the frame's source. */
  sha?: string;
  /** Sender protocol address. */
  sip: string;
  /** Target hardware address, default zeros. */
  tha?: string;
  /** Target protocol address. */
  tip: string;
}

/** Everything {@linkcode buildFrame} needs: layers from the wire up, then the payload. */
export interface FrameSpec {
  /** Ethernet header fields. */
  eth?: EthSpec;
  /** IPv4 header fields; without it the payload follows the Ethernet header directly. */
  ipv4?: Ipv4Spec;
  /** A UDP header on top of IPv4. */
  udp?: UdpSpec;
  /** A TCP header on top of IPv4. */
  tcp?: TcpSpec;
  /** An ICMP header on top of IPv4. */
  icmp?: IcmpSpec;
  /** An ARP packet instead of IPv4: ethertype 0x0806, broadcast unless `eth.dst` says. */
  arp?: ArpSpec;
  /** Payload bytes, or a byte count filled with a repeating pattern. */
  payload?: Uint8Array | number;
  /** Pad short frames to ETH_ZLEN (60) as an Ethernet sender must; default true. */
  pad?: boolean;
}

// an ARP packet for Ethernet and IPv4: hardware type 1, protocol 0x0800, sizes 6 and 4
function arpBytes(a: ArpSpec, src?: string): Uint8Array {
  const b = new Uint8Array(28);
  const v = new DataView(b.buffer);
  v.setUint16(0, 1);
  v.setUint16(2, ETH_P_IP);
  b[4] = 6;
  b[5] = 4;
  v.setUint16(6, a.op ?? 1);
  b.set(macAton(a.sha ?? src ?? "02:00:00:00:00:01"), 8);
  v.setUint32(14, inAton(a.sip));
  if (a.tha) b.set(macAton(a.tha), 18);
  v.setUint32(24, inAton(a.tip));
  return b;
}

function tcpFlagByte(flags: string | number): number {
  if (typeof flags === "number") return flags & 0xff;
  const letters: Record<string, number> = {
    F: TCP_FLAGS.FIN,
    S: TCP_FLAGS.SYN,
    R: TCP_FLAGS.RST,
    P: TCP_FLAGS.PSH,
    A: TCP_FLAGS.ACK,
    U: TCP_FLAGS.URG,
    E: TCP_FLAGS.ECE,
    C: TCP_FLAGS.CWR,
  };
  let byte = 0;
  for (const ch of flags) {
    if (!(ch in letters)) {
      throw new InputSyntaxError(
        `Cannot build TCP flags: "${ch}" in "${flags}" is not one of FSRPAUEC`,
      );
    }
    byte |= letters[ch];
  }
  return byte;
}

function padTo4(bytes: number[] | Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  out.set(bytes);
  return out;
}

/**
 * Encodes TCP options in the layout tcp_options_write() uses: MSS, then SACK_PERM with
 * timestamps (or NOP NOP before timestamps), then NOP and window scale.
 *
 * @param o the options wanted
 * @returns option bytes, a multiple of four long
 * @example
 * ```ts
 * import { tcpOptionsBytes } from "@rxpath/rxpath";
 * console.log(tcpOptionsBytes({ timestamp: [1, 0] }).length); // 12
 * ```
 */
export function tcpOptionsBytes(o: TcpOptionsSpec): Uint8Array {
  const b: number[] = [];
  const u32 = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  if (o.mss !== undefined) b.push(TCPOPT_MSS, 4, o.mss >> 8, o.mss & 255);
  if (o.timestamp) {
    b.push(...(o.sackPerm ? [TCPOPT_SACK_PERM, 2] : [TCPOPT_NOP, TCPOPT_NOP]));
    b.push(TCPOPT_TIMESTAMP, 10, ...u32(o.timestamp[0]), ...u32(o.timestamp[1]));
  } else if (o.sackPerm) {
    b.push(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK_PERM, 2);
  }
  if (o.wscale !== undefined) b.push(TCPOPT_NOP, TCPOPT_WINDOW, 3, o.wscale);
  return padTo4(b);
}

// Every number must fit its header field: a port of 70000 is an error, never 70000 & 0xffff.
function checkFields(spec: FrameSpec): void {
  const bits: [string, object | undefined, Record<string, number>][] = [
    ["eth", spec.eth, { type: 16, vlan: 12 }],
    ["ipv4", spec.ipv4, {
      version: 4,
      ihl: 4,
      tos: 8,
      totLen: 16,
      id: 16,
      fragOff: 16,
      ttl: 8,
      protocol: 8,
      check: 16,
    }],
    ["udp", spec.udp, { source: 16, dest: 16, len: 16, check: 16 }],
    ["tcp", spec.tcp, {
      source: 16,
      dest: 16,
      seq: 32,
      ackSeq: 32,
      doff: 4,
      window: 16,
      urgPtr: 16,
      check: 16,
    }],
    ["icmp", spec.icmp, { type: 8, code: 8, id: 16, sequence: 16, checksum: 16 }],
    ["arp", spec.arp, { op: 16 }],
  ];
  for (const [layer, fields, widths] of bits) {
    for (const [name, width] of Object.entries(widths)) {
      const v = (fields as Record<string, unknown> | undefined)?.[name];
      if (v === undefined) continue;
      const max = 2 ** width - 1;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) {
        throw new InputRangeError(
          `Cannot build frame: ${layer}.${name} ${
            quoteValue(v)
          } does not fit its ${width}-bit field (0 to ${max})`,
        );
      }
    }
  }
  const p = spec.payload;
  if (typeof p === "number" && (!Number.isInteger(p) || p < 0 || p > 0xffff)) {
    throw new InputRangeError(
      `Cannot build frame: payload ${quoteValue(p)} is not 0 to 65535 bytes`,
    );
  }
}

function payloadBytes(p: Uint8Array | number | undefined): Uint8Array {
  if (p instanceof Uint8Array) return p;
  const out = new Uint8Array(p ?? 0);
  for (let i = 0; i < out.length; i++) out[i] = i & 0xff;
  return out;
}

function l4Header(spec: FrameSpec): { bytes: Uint8Array; proto: number } {
  if (spec.udp) return { bytes: new Uint8Array(UDP_HLEN), proto: IPPROTO_UDP };
  if (spec.tcp) {
    const t = spec.tcp;
    const opts = t.options instanceof Uint8Array
      ? padTo4(t.options)
      : tcpOptionsBytes(t.options ?? {});
    const bytes = new Uint8Array(TCP_HLEN + opts.length);
    bytes.set(opts, TCP_HLEN);
    return { bytes, proto: IPPROTO_TCP };
  }
  if (spec.icmp) return { bytes: new Uint8Array(ICMP_HLEN), proto: IPPROTO_ICMP };
  return { bytes: new Uint8Array(0), proto: spec.ipv4?.protocol ?? 0 };
}

/**
 * Builds a frame from a spec, filling lengths and checksums as a sending Linux host does.
 *
 * @param spec the layers and payload
 * @returns the frame bytes, starting at the destination MAC, without FCS
 * @example
 * ```ts
 * import { buildFrame } from "@rxpath/rxpath";
 * const frame = buildFrame({
 *   ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
 *   udp: { source: 4000, dest: 5000 },
 *   payload: 18,
 * });
 * console.log(frame.length); // 60
 * ```
 */
export function buildFrame(spec: FrameSpec): Uint8Array {
  checkFields(spec);
  const eth = spec.eth ?? {};
  const tagged = eth.vlan !== undefined;
  const l2len = ETH_HLEN + (tagged ? VLAN_HLEN : 0);
  if (spec.arp && spec.ipv4) {
    throw new InputRangeError("Cannot build frame: give arp or ipv4, not both");
  }
  const payload = spec.arp ? arpBytes(spec.arp, eth.src) : payloadBytes(spec.payload);
  const ipOpts = spec.ipv4?.options ? padTo4(spec.ipv4.options) : new Uint8Array(0);
  const iphl = spec.ipv4 ? IPV4_HLEN + ipOpts.length : 0;
  const l4 = spec.ipv4 ? l4Header(spec) : { bytes: new Uint8Array(0), proto: 0 };
  const l3len = iphl + l4.bytes.length + payload.length;
  if (spec.ipv4 && spec.ipv4.totLen === undefined && l3len > 0xffff) {
    throw new InputRangeError(
      `Cannot build frame: an IPv4 datagram of ${l3len} bytes does not fit tot_len (at most 65535)`,
    );
  }
  const wire = l2len + l3len;
  const frame = new Uint8Array(spec.pad === false ? wire : Math.max(wire, ETH_ZLEN));
  const v = new DataView(frame.buffer);

  frame.set(macAton(eth.dst ?? (spec.arp ? "ff:ff:ff:ff:ff:ff" : "02:00:00:00:00:02")), 0);
  frame.set(macAton(eth.src ?? "02:00:00:00:00:01"), 6);
  if (tagged) {
    v.setUint16(12, ETH_P_8021Q);
    v.setUint16(14, eth.vlan! & 0x0fff);
  }
  v.setUint16(l2len - 2, eth.type ?? (spec.ipv4 ? ETH_P_IP : spec.arp ? ETH_P_ARP : 0x88b5));
  if (!spec.ipv4) {
    frame.set(payload, l2len);
    return frame;
  }

  const ip = spec.ipv4;
  const ipo = l2len;
  const saddr = inAton(ip.saddr);
  const daddr = inAton(ip.daddr);
  v.setUint8(ipo, ((ip.version ?? 4) << 4) | (ip.ihl ?? iphl / 4));
  v.setUint8(ipo + 1, ip.tos ?? 0);
  v.setUint16(ipo + 2, ip.totLen ?? l3len);
  v.setUint16(ipo + 4, ip.id ?? 0);
  v.setUint16(ipo + 6, ip.fragOff ?? IP_DF);
  v.setUint8(ipo + 8, ip.ttl ?? 64);
  v.setUint8(ipo + 9, ip.protocol ?? l4.proto);
  v.setUint32(ipo + 12, saddr);
  v.setUint32(ipo + 16, daddr);
  frame.set(ipOpts, ipo + IPV4_HLEN);
  v.setUint16(ipo + 10, ip.check ?? csumFold(csumPartial(frame, 0, ipo, ipo + iphl)));

  const lo = ipo + iphl;
  frame.set(l4.bytes, lo);
  frame.set(payload, lo + l4.bytes.length);
  const l4len = l4.bytes.length + payload.length;
  const l4end = lo + l4len;
  if (spec.udp) {
    const u = spec.udp;
    v.setUint16(lo, u.source);
    v.setUint16(lo + 2, u.dest);
    v.setUint16(lo + 4, u.len ?? l4len);
    const sum = csumPartial(
      frame,
      csumTcpudpNofold(saddr, daddr, l4len, IPPROTO_UDP, 0),
      lo,
      l4end,
    );
    // RFC 768: a computed zero is sent as all ones, since zero means "no checksum".
    v.setUint16(lo + 6, u.check ?? (csumFold(sum) || 0xffff));
  } else if (spec.tcp) {
    const t = spec.tcp;
    v.setUint16(lo, t.source);
    v.setUint16(lo + 2, t.dest);
    v.setUint32(lo + 4, (t.seq ?? 0) >>> 0);
    v.setUint32(lo + 8, (t.ackSeq ?? 0) >>> 0);
    v.setUint8(lo + 12, (t.doff ?? l4.bytes.length / 4) << 4);
    v.setUint8(lo + 13, tcpFlagByte(t.flags ?? "A"));
    v.setUint16(lo + 14, t.window ?? 64240);
    v.setUint16(lo + 18, t.urgPtr ?? 0);
    const sum = csumPartial(
      frame,
      csumTcpudpNofold(saddr, daddr, l4len, IPPROTO_TCP, 0),
      lo,
      l4end,
    );
    v.setUint16(lo + 16, t.check ?? csumFold(sum));
  } else if (spec.icmp) {
    const c = spec.icmp;
    v.setUint8(lo, c.type);
    v.setUint8(lo + 1, c.code ?? 0);
    v.setUint16(lo + 4, c.id ?? 0);
    v.setUint16(lo + 6, c.sequence ?? 0);
    v.setUint16(lo + 2, c.checksum ?? csumFold(csumPartial(frame, 0, lo, l4end)));
  }
  return frame;
}
