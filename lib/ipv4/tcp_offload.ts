// Models the GRO half of net/ipv4/tcp_offload.c (Linux 6.18): tcp4_gro_receive() verifies the
// checksum and pulls the header, tcp_gro_lookup() finds the held skb of the same ports, and
// tcp_gro_receive() applies TCP's rules for merging — flags, ack, options, IP header
// (gro_receive_network_flush), segment size and sequence — then tcp4_gro_complete() makes the
// merged skb a GSO packet.

import type { InetNet } from "./netns_ipv4.ts";
import { csumFold, csumPartial, csumTcpudpNofold } from "../wire/checksum.ts";
import { IPPROTO_TCP } from "../wire/ipv4.ts";
import { TCP_FLAG_FIN, TCP_FLAG_PSH, TCP_FLAGS, TCP_HLEN, TcpHdr } from "../wire/tcp.ts";
import { inetGroFlush, skbGroLen, skbGroReceive } from "../core/gro.ts";
import {
  CHECKSUM_NONE,
  CHECKSUM_PARTIAL,
  ipHdr,
  SKB_GSO_TCP_ECN,
  SKB_GSO_TCP_FIXEDID,
  SKB_GSO_TCPV4,
  type SkBuff,
  tcpHdr,
} from "../core/skbuff.ts";

const F = TCP_FLAGS;

/**
 * TCP's gro_receive for IPv4, tcp4_gro_receive(): with the skb not already marked to flush,
 * verify the TCP checksum in software (the device gave no help: CHECKSUM_NONE), then pull the
 * header and look for a merge.
 * @param host the host
 * @param head the bucket's held skbs
 * @param skb the new skb, IPv4 header pulled
 * @returns a held skb to complete now, or null
 */
export function tcp4GroReceive(host: InetNet, head: SkBuff[], skb: SkBuff): SkBuff | null {
  const cb = skb.groCb!;
  if (!cb.flush && skb.ipSummed === CHECKSUM_NONE && !tcpChecksumOk(skb)) {
    cb.flush = 1;
    return null;
  }
  const off = skb.data + cb.offset;
  if (skbGroLen(skb) < TCP_HLEN) {
    cb.flush = 1;
    return null;
  }
  const thlen = new TcpHdr(skb.head, off).doff * 4;
  if (thlen < TCP_HLEN || skbGroLen(skb) < thlen) {
    cb.flush = 1;
    return null;
  }
  cb.offset += thlen; // tcp_gro_pull_header()
  return tcpGroReceive(host, head, skb, off, thlen);
}

// skb_gro_checksum_validate() with inet_gro_compute_pseudo(): the sum over the pseudo-header
// and the rest of the packet as GRO sees it must fold to zero.
function tcpChecksumOk(skb: SkBuff): boolean {
  const { saddr, daddr } = ipHdr(skb);
  const start = skb.data + skb.groCb!.offset;
  const len = skbGroLen(skb);
  return csumFold(
    csumPartial(skb.head, csumTcpudpNofold(saddr, daddr, len, IPPROTO_TCP, 0), start, start + len),
  ) === 0;
}

/**
 * The TCP merge decision, tcp_gro_receive(): a held skb of the same ports (tcp_gro_lookup())
 * takes the segment only if CWR is clear, the flags other than CWR/FIN/PSH, the ack and every
 * option byte match, the IP headers agree (inet_gro_flush()), the segment is no larger than
 * the first (mss) and its sequence follows on. A segment smaller than mss, or with URG, PSH,
 * RST, SYN or FIN, ends the merge: the held skb is completed.
 * @param host the host
 * @param head the bucket's held skbs
 * @param skb the new skb
 * @param th offset of its TCP header in skb.head
 * @param thlen TCP header length
 * @returns a held skb to complete now, or null
 */
export function tcpGroReceive(
  host: InetNet,
  head: SkBuff[],
  skb: SkBuff,
  th: number,
  thlen: number,
): SkBuff | null {
  const cb = skb.groCb!;
  const len = skbGroLen(skb);
  skb.transportHeader = th;
  const tcph = tcpHdr(skb);
  const flags = tcph.flagByte;
  let mss = 1;
  let flush = 1;
  let pp: SkBuff | null = null;
  const p = tcpGroLookup(head, skb);
  if (p) {
    const th2 = tcpHdr(p);
    // tcp_flag_word(): data offset, reserved bits, flags (but FIN and PSH) and window must
    // match, and a CWR segment never merges. Measured on 6.18 (tests/golden/linux-6.18/gro,
    // flags_cwr*): a held skb with CWR takes no more segments either, unlike 6.12's code,
    // which left CWR out of the comparison.
    flush = flags & F.CWR;
    flush |= (tcph.flagWord ^ th2.flagWord) & ~(TCP_FLAG_FIN | TCP_FLAG_PSH);
    flush |= tcph.ackSeq ^ th2.ackSeq;
    const opts = tcph.optionBytes, opts2 = th2.optionBytes;
    for (let i = 0; i < thlen - TCP_HLEN; i++) flush |= opts[i] ^ opts2[i]; // every option byte
    flush |= inetGroFlush(ipHdr(skb), ipHdr(p), p);
    mss = p.gsoSize;
    // (len - 1) >= mss with len unsigned: a segment without payload (a pure ACK, a bare FIN)
    // wraps to 0xffffffff and flushes the held skb instead of joining it
    flush |= Number(((len - 1) >>> 0) >= mss);
    flush |= ((th2.seq + skbGroLen(p)) >>> 0) ^ tcph.seq;
    if (flush || skbGroReceive(p, skb)) {
      mss = 1;
    } else {
      th2.flagByte |= flags & (F.FIN | F.PSH); // the held skb carries FIN/PSH on
    }
  }
  // out_check_final: a segment smaller than mss, or with URG/PSH/RST/SYN/FIN, ends the flow.
  flush = Number(len < mss) | (flags & (F.URG | F.PSH | F.RST | F.SYN | F.FIN));
  if (p && (!cb.sameFlow || flush)) pp = p;
  cb.flush |= Number(flush !== 0);
  void host;
  return pp;
}

// tcp_gro_lookup(): the first held skb still of the same flow whose ports match.
function tcpGroLookup(head: SkBuff[], skb: SkBuff): SkBuff | null {
  const th = tcpHdr(skb);
  for (const p of head) {
    const pcb = p.groCb!;
    if (!pcb.sameFlow) continue;
    const th2 = tcpHdr(p);
    if ((th.source ^ th2.source) | (th.dest ^ th2.dest)) {
      pcb.sameFlow = false;
      continue;
    }
    return p;
  }
  return null;
}

/**
 * Makes a merged skb a GSO packet, tcp4_gro_complete() -> tcp_gro_complete(): the TCP checksum
 * field gets the pseudo-header sum for later offload (CHECKSUM_PARTIAL), gso_type TCPV4 (with
 * FIXEDID when the IPv4 ID stayed fixed, ECN when CWR was set), gso_segs the segment count.
 * @param _host the host
 * @param skb the merged skb
 * @param thoff offset of the TCP header from skb.data
 */
export function tcp4GroComplete(_host: InetNet, skb: SkBuff, thoff: number): void {
  const iph = ipHdr(skb);
  const th = new TcpHdr(skb.head, skb.data + thoff);
  const sum = csumTcpudpNofold(iph.saddr, iph.daddr, skb.len - thoff, IPPROTO_TCP, 0);
  th.check = ~csumFold(sum) & 0xffff; // ~tcp_v4_check(len, saddr, daddr, 0)
  skb.gsoType |= SKB_GSO_TCPV4 | (skb.groCb!.ipFixedId ? SKB_GSO_TCP_FIXEDID : 0);
  skb.ipSummed = CHECKSUM_PARTIAL;
  skb.gsoSegs = skb.groCb!.count;
  if (th.cwr) skb.gsoType |= SKB_GSO_TCP_ECN;
}
