// Models the GRO half of net/ipv4/tcp_offload.c (Linux 6.18): tcp4_gro_receive() verifies the
// checksum and pulls the header, tcp_gro_lookup() finds the held skb of the same ports, and
// tcp_gro_receive() applies TCP's rules for merging — flags, ack, options, IP header
// (gro_receive_network_flush), segment size and sequence — then tcp4_gro_complete() makes the
// merged skb a GSO packet.

import type { InetNet } from "./netns_ipv4.ts";
import { csumFold, csumPartial, csumTcpudpNofold } from "../wire/checksum.ts";
import { IPPROTO_TCP } from "../wire/ipv4.ts";
import { TCP_FLAGS, TCP_HLEN } from "../wire/tcp.ts";
import { inetGroFlush, skbGroLen, skbGroReceive } from "../core/gro.ts";
import {
  CHECKSUM_NONE,
  CHECKSUM_PARTIAL,
  SKB_GSO_TCP_ECN,
  SKB_GSO_TCP_FIXEDID,
  SKB_GSO_TCPV4,
  type SkBuff,
} from "../core/skbuff.ts";

// The flag word (tcp_flag_word()) bits of the flags byte, as TCP_FLAG_* compare them.
const F = TCP_FLAGS;

function tcpOff(skb: SkBuff): number {
  return skb.transportHeader;
}

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
  const thlen = (skb.head[off + 12] >> 4) * 4;
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
  const nh = skb.networkHeader;
  const v = new DataView(skb.head.buffer, skb.head.byteOffset);
  const saddr = v.getUint32(nh + 12), daddr = v.getUint32(nh + 16);
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
  const h = skb.head;
  const len = skbGroLen(skb);
  const flags = h[th + 13];
  let mss = 1;
  let flush = 1;
  let pp: SkBuff | null = null;
  skb.transportHeader = th;
  const p = tcpGroLookup(head, skb, th);
  if (p) {
    const th2 = tcpOff(p);
    const h2 = p.head;
    // tcp_flag_word(): data offset, reserved bits, flags (but FIN and PSH) and window must
    // match, and a CWR segment never merges. Measured on 6.18 (tests/golden/linux-6.18/gro,
    // flags_cwr*): a held skb with CWR takes no more segments either, unlike 6.12's code,
    // which left CWR out of the comparison.
    flush = flags & F.CWR;
    flush |= h[th + 12] ^ h2[th2 + 12];
    flush |= (flags ^ h2[th2 + 13]) & ~(F.FIN | F.PSH) & 0xff;
    flush |= (h[th + 14] ^ h2[th2 + 14]) | (h[th + 15] ^ h2[th2 + 15]);
    for (let i = 8; i < 12; i++) flush |= h[th + i] ^ h2[th2 + i]; // ack_seq
    for (let i = TCP_HLEN; i < thlen; i++) flush |= h[th + i] ^ h2[th2 + i]; // every option byte
    flush |= inetGroFlush(
      h.subarray(skb.networkHeader, skb.networkHeader + 20),
      h2.subarray(p.networkHeader, p.networkHeader + 20),
      p,
    );
    mss = p.gsoSize;
    flush |= Number(len - 1 >= mss);
    const seq2 = new DataView(h2.buffer, h2.byteOffset).getUint32(th2 + 4);
    const seq = new DataView(h.buffer, h.byteOffset).getUint32(th + 4);
    flush |= ((seq2 + skbGroLen(p)) >>> 0) ^ seq;
    if (flush || skbGroReceive(p, skb)) {
      mss = 1;
    } else {
      h2[th2 + 13] |= flags & (F.FIN | F.PSH); // the held skb carries FIN/PSH on
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
function tcpGroLookup(head: SkBuff[], skb: SkBuff, th: number): SkBuff | null {
  for (const p of head) {
    const pcb = p.groCb!;
    if (!pcb.sameFlow) continue;
    const th2 = tcpOff(p);
    let diff = 0;
    for (let i = 0; i < 4; i++) diff |= skb.head[th + i] ^ p.head[th2 + i];
    if (diff) {
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
  const v = new DataView(skb.head.buffer, skb.head.byteOffset);
  const nh = skb.networkHeader;
  const th = skb.data + thoff;
  const sum = csumTcpudpNofold(
    v.getUint32(nh + 12),
    v.getUint32(nh + 16),
    skb.len - thoff,
    IPPROTO_TCP,
    0,
  );
  v.setUint16(th + 16, ~csumFold(sum) & 0xffff); // ~tcp_v4_check(len, saddr, daddr, 0)
  skb.gsoType |= SKB_GSO_TCPV4 | (skb.groCb!.ipFixedId ? SKB_GSO_TCP_FIXEDID : 0);
  skb.ipSummed = CHECKSUM_PARTIAL;
  skb.gsoSegs = skb.groCb!.count;
  if (skb.head[th + 13] & F.CWR) skb.gsoType |= SKB_GSO_TCP_ECN;
}
