// Decodes a frame layer by layer for people and tools (the CLI, tests, notebooks), the way a
// protocol analyser does: every field it can read, and every problem with its byte offset.
// It never throws, whatever the bytes; the receive path itself checks headers with the
// kernel's own rules and drop reasons instead.

import { csumFold, csumPartial, csumTcpudpNofold } from "./checksum.ts";
import {
  ETH_HLEN,
  ETH_P_8021AD,
  ETH_P_8021Q,
  ETH_P_ARP,
  ETH_P_IP,
  macToString,
  VLAN_HLEN,
} from "./ethernet.ts";
import { ICMP_HLEN, IcmpHdr } from "./icmp.ts";
import {
  inNtoa,
  IP_MF,
  IP_OFFSET,
  IpHdr,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV4_HLEN,
} from "./ipv4.ts";
import { TCP_HLEN, TcpHdr, type TcpOptions, tcpParseOptions } from "./tcp.ts";
import { UDP_HLEN, UdpHdr } from "./udp.ts";

/** Something wrong in a frame: the layer, the byte offset from the frame start, and what. */
export interface FrameProblem {
  /** Which header: "eth", "vlan", "ipv4", "udp", "tcp" or "icmp". */
  layer: string;
  /** Byte offset from the start of the frame. */
  offset: number;
  /** What is wrong, in words. */
  what: string;
}

/** The fields of a decoded frame; a layer is present when its header could be read. */
export interface DecodedFrame {
  /** Frame length in bytes. */
  length: number;
  /** Ethernet header. */
  eth?: { dst: string; src: string; type: number; vlans: number[] };
  /** IPv4 header, with where it starts and whether its checksum holds. */
  ipv4?: {
    offset: number;
    ihl: number;
    tos: number;
    totLen: number;
    id: number;
    df: boolean;
    mf: boolean;
    fragOffset: number;
    ttl: number;
    protocol: number;
    saddr: string;
    daddr: string;
    optionsLength: number;
    checksumOk: boolean;
  };
  /** An ARP packet for Ethernet and IPv4 (op 1 request, 2 reply), with where it starts. */
  arp?: { offset: number; op: number; sha: string; sip: string; tha: string; tip: string };
  /** UDP header. */
  udp?: { offset: number; source: number; dest: number; len: number; checksumOk: boolean };
  /** TCP header and options. */
  tcp?: {
    offset: number;
    source: number;
    dest: number;
    seq: number;
    ackSeq: number;
    flags: string;
    window: number;
    options: TcpOptions;
    checksumOk: boolean;
  };
  /** ICMP header. */
  icmp?: {
    offset: number;
    type: number;
    code: number;
    id: number;
    sequence: number;
    checksumOk: boolean;
  };
  /** Where the transport payload starts and how long it is (IP total length decides). */
  payload?: { offset: number; length: number };
  /** Everything found wrong, in frame order. */
  problems: FrameProblem[];
}

function flagLetters(t: TcpHdr): string {
  const names: [boolean, string][] = [
    [t.cwr, "C"],
    [t.ece, "E"],
    [t.urg, "U"],
    [t.ack, "A"],
    [t.psh, "P"],
    [t.rst, "R"],
    [t.syn, "S"],
    [t.fin, "F"],
  ];
  return names.filter(([on]) => on).map(([, l]) => l).join("");
}

/**
 * Decodes an Ethernet frame: Ethernet II, up to two VLAN tags, IPv4 with options, and UDP, TCP
 * or ICMP, checking lengths and checksums. Never throws: what cannot be read is a problem.
 *
 * @param frame the frame bytes from the destination MAC on
 * @returns the fields found and the problems, each with its byte offset
 * @example
 * ```ts
 * import { buildFrame, decodeFrame } from "@rxpath/rxpath";
 * const d = decodeFrame(buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 1, dest: 2 } }));
 * console.log(d.udp?.checksumOk, d.problems); // true []
 * ```
 */
export function decodeFrame(frame: Uint8Array): DecodedFrame {
  const out: DecodedFrame = { length: frame.length, problems: [] };
  const problem = (layer: string, offset: number, what: string) => {
    out.problems.push({ layer, offset, what });
    return out;
  };
  if (frame.length < ETH_HLEN) {
    return problem(
      "eth",
      0,
      `frame of ${frame.length} bytes is shorter than the ${ETH_HLEN}-byte Ethernet header`,
    );
  }
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.length);
  let off = 12;
  let type = dv.getUint16(off);
  const vlans: number[] = [];
  while (type === ETH_P_8021Q || type === ETH_P_8021AD) {
    if (off + 2 + VLAN_HLEN > frame.length) {
      out.eth = {
        dst: macToString(frame.subarray(0, 6)),
        src: macToString(frame.subarray(6, 12)),
        type,
        vlans,
      };
      return problem("vlan", off, `VLAN tag needs ${VLAN_HLEN} bytes, ${frame.length - off} left`);
    }
    vlans.push(dv.getUint16(off + 2) & 0x0fff);
    off += VLAN_HLEN;
    type = dv.getUint16(off);
  }
  out.eth = {
    dst: macToString(frame.subarray(0, 6)),
    src: macToString(frame.subarray(6, 12)),
    type,
    vlans,
  };
  const ipo = off + 2;
  if (type === ETH_P_ARP) return decodeArp(out, frame, dv, ipo, problem);
  if (type !== ETH_P_IP) return out;

  if (frame.length - ipo < IPV4_HLEN) {
    return problem("ipv4", ipo, `IPv4 header needs ${IPV4_HLEN} bytes, ${frame.length - ipo} left`);
  }
  const iph = new IpHdr(frame, ipo);
  if (iph.version !== 4) return problem("ipv4", ipo, `version is ${iph.version}, not 4`);
  if (iph.ihl < 5) return problem("ipv4", ipo, `ihl is ${iph.ihl}, less than 5`);
  const hl = iph.ihl * 4;
  if (ipo + hl > frame.length) {
    return problem("ipv4", ipo, `ihl ${iph.ihl} needs ${hl} bytes, ${frame.length - ipo} left`);
  }
  const checksumOk = csumFold(csumPartial(frame, 0, ipo, ipo + hl)) === 0;
  out.ipv4 = {
    offset: ipo,
    ihl: iph.ihl,
    tos: iph.tos,
    totLen: iph.totLen,
    id: iph.id,
    df: (iph.fragOff & 0x4000) !== 0,
    mf: (iph.fragOff & IP_MF) !== 0,
    fragOffset: (iph.fragOff & IP_OFFSET) * 8,
    ttl: iph.ttl,
    protocol: iph.protocol,
    saddr: inNtoa(iph.saddr),
    daddr: inNtoa(iph.daddr),
    optionsLength: hl - IPV4_HLEN,
    checksumOk,
  };
  if (!checksumOk) {
    problem(
      "ipv4",
      ipo + 10,
      `header checksum 0x${iph.check.toString(16).padStart(4, "0")} is wrong`,
    );
  }
  if (iph.totLen < hl) {
    return problem("ipv4", ipo + 2, `total length ${iph.totLen} is less than the header's ${hl}`);
  }
  if (ipo + iph.totLen > frame.length) {
    return problem(
      "ipv4",
      ipo + 2,
      `total length ${iph.totLen} exceeds the ${frame.length - ipo} bytes present`,
    );
  }
  const lo = ipo + hl;
  const end = ipo + iph.totLen;
  if ((iph.fragOff & IP_OFFSET) !== 0) {
    out.payload = { offset: lo, length: end - lo };
    return out; // a later fragment has no transport header
  }
  const l4len = end - lo;
  const pseudo = csumTcpudpNofold(iph.saddr, iph.daddr, l4len, iph.protocol, 0);
  const fragmented = (iph.fragOff & IP_MF) !== 0;
  if (iph.protocol === IPPROTO_UDP) {
    if (l4len < UDP_HLEN) {
      return problem("udp", lo, `UDP header needs ${UDP_HLEN} bytes, ${l4len} left`);
    }
    const uh = new UdpHdr(frame, lo);
    const ok = uh.check === 0 || fragmented || csumFold(csumPartial(frame, pseudo, lo, end)) === 0;
    out.udp = { offset: lo, source: uh.source, dest: uh.dest, len: uh.len, checksumOk: ok };
    if (uh.len < UDP_HLEN || uh.len > l4len) {
      problem(
        "udp",
        lo + 4,
        `length ${uh.len} does not fit the ${l4len} bytes the IP header gives`,
      );
    }
    if (!ok) {
      problem("udp", lo + 6, `checksum 0x${uh.check.toString(16).padStart(4, "0")} is wrong`);
    }
    out.payload = { offset: lo + UDP_HLEN, length: l4len - UDP_HLEN };
  } else if (iph.protocol === IPPROTO_TCP) {
    if (l4len < TCP_HLEN) {
      return problem("tcp", lo, `TCP header needs ${TCP_HLEN} bytes, ${l4len} left`);
    }
    const th = new TcpHdr(frame, lo);
    if (th.doff < 5 || th.doff * 4 > l4len) {
      return problem(
        "tcp",
        lo + 12,
        `data offset ${th.doff} does not fit the ${l4len} bytes present`,
      );
    }
    const ok = fragmented || csumFold(csumPartial(frame, pseudo, lo, end)) === 0;
    const options = tcpParseOptions(th.optionBytes);
    out.tcp = {
      offset: lo,
      source: th.source,
      dest: th.dest,
      seq: th.seq,
      ackSeq: th.ackSeq,
      flags: flagLetters(th),
      window: th.window,
      options,
      checksumOk: ok,
    };
    if (options.problem) {
      problem("tcp", lo + TCP_HLEN + options.problem.offset, options.problem.what);
    }
    if (!ok) {
      problem("tcp", lo + 16, `checksum 0x${th.check.toString(16).padStart(4, "0")} is wrong`);
    }
    out.payload = { offset: lo + th.doff * 4, length: l4len - th.doff * 4 };
  } else if (iph.protocol === IPPROTO_ICMP) {
    if (l4len < ICMP_HLEN) {
      return problem("icmp", lo, `ICMP header needs ${ICMP_HLEN} bytes, ${l4len} left`);
    }
    const ic = new IcmpHdr(frame, lo);
    const ok = fragmented || csumFold(csumPartial(frame, 0, lo, end)) === 0;
    out.icmp = {
      offset: lo,
      type: ic.type,
      code: ic.code,
      id: ic.id,
      sequence: ic.sequence,
      checksumOk: ok,
    };
    if (!ok) {
      problem("icmp", lo + 2, `checksum 0x${ic.checksum.toString(16).padStart(4, "0")} is wrong`);
    }
    out.payload = { offset: lo + ICMP_HLEN, length: l4len - ICMP_HLEN };
  } else {
    out.payload = { offset: lo, length: l4len };
  }
  return out;
}

// an ARP packet: hardware type, protocol, address sizes, op, then the two address pairs
function decodeArp(
  out: DecodedFrame,
  frame: Uint8Array,
  dv: DataView,
  at: number,
  problem: (layer: string, offset: number, what: string) => DecodedFrame,
): DecodedFrame {
  if (frame.length - at < ARP_LEN) {
    return problem("arp", at, `ARP packet needs ${ARP_LEN} bytes, ${frame.length - at} left`);
  }
  const hrd = dv.getUint16(at), pro = dv.getUint16(at + 2);
  if (hrd !== 1 || pro !== ETH_P_IP || frame[at + 4] !== 6 || frame[at + 5] !== 4) {
    return problem(
      "arp",
      at,
      `hardware type ${hrd}, protocol 0x${pro.toString(16).padStart(4, "0")}, address sizes ${
        frame[at + 4]
      }/${frame[at + 5]}: not Ethernet and IPv4 (1, 0x0800, 6/4)`,
    );
  }
  const ip = (o: number) => [...frame.subarray(o, o + 4)].join(".");
  out.arp = {
    offset: at,
    op: dv.getUint16(at + 6),
    sha: macToString(frame.subarray(at + 8, at + 14)),
    sip: ip(at + 14),
    tha: macToString(frame.subarray(at + 18, at + 24)),
    tip: ip(at + 24),
  };
  return out;
}

// an ARP packet for Ethernet and IPv4: 8 bytes of header, two MACs, two addresses
const ARP_LEN = 28;
