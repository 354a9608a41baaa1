// Models include/linux/skbuff.h and net/core/skbuff.c (Linux 6.18): struct sk_buff with the
// fields the receive path reads, its allocation size (truesize) and its two ways to end,
// consume_skb() and kfree_skb_reason().

import type { Sim } from "../sim/sim.ts";
import type { Cpu } from "../sim/cpu.ts";
import { emptyArray } from "../base/arrays.ts";
import type { SkbDropReason } from "./dropreason.ts";
import { copyBytes } from "../wire/copy_bytes.ts";
import { EthHdr } from "../wire/ethernet.ts";
import { IpHdr } from "../wire/ipv4.ts";
import { UdpHdr } from "../wire/udp.ts";
import { TcpHdr } from "../wire/tcp.ts";
import { IcmpHdr } from "../wire/icmp.ts";

/** To us (PACKET_HOST), from include/uapi/linux/if_packet.h. */
export const PACKET_HOST = 0;
/** To all (PACKET_BROADCAST). */
export const PACKET_BROADCAST = 1;
/** To a group (PACKET_MULTICAST). */
export const PACKET_MULTICAST = 2;
/** To someone else (PACKET_OTHERHOST). */
export const PACKET_OTHERHOST = 3;
/** Sent by us (PACKET_OUTGOING). */
export const PACKET_OUTGOING = 4;
/** Looped back (PACKET_LOOPBACK). */
export const PACKET_LOOPBACK = 5;

/** The device gave no checksum help (CHECKSUM_NONE). */
export const CHECKSUM_NONE = 0;
/** The device verified the checksum (CHECKSUM_UNNECESSARY). */
export const CHECKSUM_UNNECESSARY = 1;
/** The device summed the whole packet (CHECKSUM_COMPLETE). */
export const CHECKSUM_COMPLETE = 2;
/** The checksum is still to be filled in (CHECKSUM_PARTIAL). */
export const CHECKSUM_PARTIAL = 3;

/** GSO type: TCP over IPv4 (SKB_GSO_TCPV4). */
export const SKB_GSO_TCPV4 = 1 << 0;
/** GSO type: from an untrusted source (SKB_GSO_DODGY). */
export const SKB_GSO_DODGY = 1 << 1;
/** GSO type: TCP with ECN CWR set (SKB_GSO_TCP_ECN). */
export const SKB_GSO_TCP_ECN = 1 << 2;
/** GSO type: IPv4 ID fixed, not incrementing (SKB_GSO_TCP_FIXEDID). */
export const SKB_GSO_TCP_FIXEDID = 1 << 3;

/** The GRO control block (struct napi_gro_cb, in skb->cb while GRO holds the skb). */
export interface NapiGroCb {
  /** Bytes of the packet GRO has pulled past skb->data (the GRO offset). */
  offset: number;
  /** Must not be held: hand it up as it is. */
  flush: number;
  /** Segments in this skb. */
  count: number;
  /** The held skb is of the same flow as the one arriving (set per arrival). */
  sameFlow: boolean;
  /** Its data was moved into another skb, which now carries it. */
  free: boolean;
  /** Transport protocol, set by inet_gro_receive(). */
  proto: number;
  /** jiffies when GRO started holding it. */
  age: number;
  /** The IPv4 ID is fixed, not incrementing (set at the second segment). */
  ipFixedId: boolean;
  /** The held skb this one's data went into, once merged. */
  mergedInto: SkBuff | null;
}

/** L1 cache line on x86-64 (SMP_CACHE_BYTES), the unit SKB_DATA_ALIGN rounds to. */
export const SMP_CACHE_BYTES = 64;
// Read from the running kernel's BTF (bpftool btf dump file /sys/kernel/btf/vmlinux).
/** sizeof(struct sk_buff) on x86-64 Linux 6.18. */
export const SIZEOF_SK_BUFF = 224;
/** sizeof(struct skb_shared_info) on x86-64 Linux 6.18. */
export const SIZEOF_SKB_SHARED_INFO = 320;

/**
 * Rounds up to a cache line, as SKB_DATA_ALIGN().
 * @param x bytes
 * @returns bytes rounded up to SMP_CACHE_BYTES
 * @example
 * ```ts
 * import { skbDataAlign } from "@rxpath/rxpath";
 * console.log(skbDataAlign(100)); // 128
 * ```
 */
export function skbDataAlign(x: number): number {
  return Math.ceil(x / SMP_CACHE_BYTES) * SMP_CACHE_BYTES;
}

/**
 * The memory an skb with `x` bytes of buffer is charged for, as SKB_TRUESIZE(): the buffer plus
 * the aligned struct sk_buff and struct skb_shared_info.
 * @param x buffer bytes
 * @returns truesize in bytes
 * @example
 * ```ts
 * import { SKB_TRUESIZE } from "@rxpath/rxpath";
 * console.log(SKB_TRUESIZE(256)); // 832: rmem_default is 256 of these (net/core/sock.c)
 * ```
 */
export function SKB_TRUESIZE(x: number): number {
  return x + skbDataAlign(SIZEOF_SK_BUFF) + skbDataAlign(SIZEOF_SKB_SHARED_INFO);
}

// mm/slab_common.c: kmalloc_size_roundup() rounds to the kmalloc caches 8..8192 (with the 96
// and 192 byte caches); larger buffers come from the page allocator in powers of two pages.
function kmallocSizeRoundup(size: number): number {
  if (size <= 96 && size > 64) return 96;
  if (size <= 192 && size > 128) return 192;
  let c = 8;
  while (c < size) c *= 2;
  return c;
}

/** The header views an skb keeps, each with the buffer and offset it was made for. */
export interface SkbHeaderViews {
  /** The IPv4 header view ipHdr() made. */
  ip: IpHdr | null;
  /** The buffer it views. */
  ipHead: Uint8Array | null;
  /** Its offset there. */
  ipOff: number;
  /** The UDP header view udpHdr() made. */
  udp: UdpHdr | null;
  /** The buffer it views. */
  udpHead: Uint8Array | null;
  /** Its offset there. */
  udpOff: number;
}

/** The device an skb came in on, as far as an skb needs to know it. */
export interface SkbDevice {
  /** Interface name, such as `eth0`. */
  readonly name: string;
  /** Interface index. */
  readonly ifindex: number;
}

/**
 * IPCB(skb)->opt as ip_options_compile() leaves it on a received packet: where its
 * record-route and timestamp options are and what they asked of this hop, which a forward
 * fills in again (ip_forward_options()) and a reply echoes (__ip_options_echo()).
 */
export interface IpOptions {
  /** Bytes of options in the header (opt->optlen). */
  optlen: number;
  /** Offset from the IP header of the record-route option, or -1 (opt->rr). */
  rr: number;
  /** It had room for this hop's address (opt->rr_needaddr). */
  rrNeedaddr: boolean;
  /** Offset from the IP header of the timestamp option, or -1 (opt->ts). */
  ts: number;
  /** It wanted this hop's address (flag 1, opt->ts_needaddr). */
  tsNeedaddr: boolean;
  /** It wanted this hop's time (opt->ts_needtime). */
  tsNeedtime: boolean;
  /** Bytes of the header were written (opt->is_changed): a forward recomputes the checksum. */
  changed: boolean;
}

/**
 * The IPv4 options a reply carries (struct ip_options, as __ip_options_echo() makes them for a
 * reply and a request sock keeps them for its SYN-ACK, ireq_opt).
 */
export interface ReplyOptions {
  /** The option bytes, padded with END to a multiple of 4. */
  data: Uint8Array;
  /** Offset from the IP header of the record-route option, or -1. */
  rr: number;
  /** The reply's own address goes in (opt->rr_needaddr). */
  rrNeedaddr: boolean;
  /** Offset from the IP header of the timestamp option, or -1. */
  ts: number;
  /** The reply's own address goes in (opt->ts_needaddr). */
  tsNeedaddr: boolean;
  /** The time goes in (opt->ts_needtime). */
  tsNeedtime: boolean;
}

/**
 * The kit's sk_buff: the frame bytes and the metadata the stack attaches, named as in
 * include/linux/skbuff.h. Offsets are into `head`.
 *
 * @example
 * ```ts
 * import { allocSkb, buildFrame, Sim } from "@rxpath/rxpath";
 * const sim = new Sim();
 * const skb = allocSkb(sim, buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 1, dest: 2 } }));
 * console.log(skb.len, skb.truesize); // 60 768
 * ```
 */
export class SkBuff {
  /** Identity in the run's ledger and trace. */
  readonly id: number;
  /** The buffer: the frame starts at offset 0 (headroom is not modelled); reassembly replaces it
   * with the joined datagram. */
  head: Uint8Array;
  /** Offset of the current data start: it moves forward as headers are pulled. */
  data = 0;
  /** Bytes from `data` to the end of the packet. */
  len: number;
  /** Offset of the MAC header, or -1 while unset (skb_mac_header_was_set()). */
  macHeader: number = -1;
  /** Offset of the network header, or -1 while unset. */
  networkHeader: number = -1;
  /** Offset of the transport header, or -1 while unset. */
  transportHeader: number = -1;
  /** Memory charged for this skb: buffer and metadata (see SKB_TRUESIZE). */
  truesize: number;
  /** Buffer bytes after the packet that a copy may still fill (skb_tailroom()). */
  tailroom = 0;
  /**
   * sk_buffs sharing this one's data (skb_shinfo()->dataref): more than 1 while a clone lives,
   * such as the one a packet socket holds until its reader takes it (skb_cloned()).
   */
  dataref = 1;
  /** The ethertype, host order, once eth_type_trans() set it (skb->protocol). */
  protocol = 0;
  /** Who the frame is for (PACKET_HOST ...), set by eth_type_trans(). */
  pktType: number = PACKET_HOST;
  /** An 802.1Q tag taken off the packet (skb_vlan_tag_present()), with its TCI. */
  vlanTci: number | null = null;
  /** Flow hash from the NIC (RSS) or the stack; 0 means none. */
  hash = 0;
  /** True when `hash` covers the L4 ports (skb->l4_hash). */
  l4Hash = false;
  /** What the device did about checksums (CHECKSUM_NONE ...). */
  ipSummed: number = CHECKSUM_NONE;
  /** The receiving device. */
  dev: SkbDevice | null;
  /** RX queue index + 1, or 0 when unrecorded (skb_record_rx_queue()). */
  queueMapping = 0;
  /**
   * The receive queue of the socket sending it (sk_rx_queue_get(skb->sk)), or -1: XPS by
   * receive queue reads it.
   */
  skRxQueue: number = -1;
  /** The queueing priority (skb->priority): pfifo_fast's band; ip_forward() sets it from TOS. */
  priority = 0;
  /** Why a qdisc dropped it, kept in the qdisc's control block (tcf_set_drop_reason()). */
  dropReason: SkbDropReason | null = null;
  /**
   * Receive timestamp in ns of virtual time (skb->tstamp): 0 until net_timestamp_check() stamps
   * it, which it does only while some socket asks for timestamps (netstamp_needed_key).
   */
  tstamp = 0;
  /** When the skb was made, ns: the kit's own record (no kernel field), for latencies. */
  born = 0;
  /** When the frame reached the NIC, ns, as a hardware timestamp records it (skb_hwtstamps()). */
  hwtstamp = 0;
  /**
   * Payload pieces added after the head (page frags and frag_list, as GRO appends them); null
   * until the first (most skbs have none: no list made for them).
   */
  frags: Uint8Array[] | null = null;
  /** Segment size of a GSO/GRO packet; 0 for an ordinary one (skb_shinfo()->gso_size). */
  gsoSize = 0;
  /** Segments a GSO/GRO packet stands for (gso_segs). */
  gsoSegs = 0;
  /** SKB_GSO_* bits (gso_type). */
  gsoType = 0;
  /** The GRO control block while GRO looks at the skb (NAPI_GRO_CB()). */
  groCb: NapiGroCb | null = null;
  /**
   * The route attached to it (skb_dst()), when a layer routed it before it arrived: a packet the
   * host sent itself comes back through lo with its output route, so input takes that one and
   * looks up none. Its type is the routing layer's.
   */
  dst: object | null = null;
  /**
   * The socket early demux found for it (skb->sk), which the transport takes instead of looking
   * one up (skb_steal_sock()).
   */
  sk: object | null = null;
  /** References held (skb->users): deliver_skb() adds one per extra handler; the last free ends it. */
  users = 1;
  /** The hash was computed by the stack, not reported by the NIC (skb->sw_hash). */
  swHash = false;
  /** The transport checksum was verified in software (skb->csum_valid): not summed twice. */
  csumValid = false;
  /**
   * ids of the skbs GRO merged into this one, itself first, or null when GRO merged nothing into
   * it: the kit's record for learners.
   */
  mergedIds: number[] | null = null;
  /**
   * skbs chained after this one (skb_shinfo()->frag_list), as reassembly leaves them; null for
   * none.
   */
  fragList: SkBuff[] | null = null;
  /** IPCB(skb)->opt of a received packet with IPv4 options, as they were compiled. */
  ipOpt: IpOptions | null = null;
  /** The header views ipHdr() and udpHdr() last made, with the head and offset they view. */
  readonly views: SkbHeaderViews = {
    ip: null,
    ipHead: null,
    ipOff: -1,
    udp: null,
    udpHead: null,
    udpOff: -1,
  };

  /**
   * Wraps bytes in a new skb; use {@linkcode allocSkb} to register it in a simulation.
   * @param id ledger id
   * @param head the frame bytes
   * @param truesize memory charged
   * @param dev receiving device
   */
  constructor(id: number, head: Uint8Array, truesize: number, dev: SkbDevice | null) {
    this.id = id;
    this.head = head;
    this.len = head.length;
    this.truesize = truesize;
    this.dev = dev;
  }

  /** The bytes from `data` on, the frags included. */
  get bytes(): Uint8Array {
    const headLen = this.len - this.dataLen;
    if (!this.frags) return this.head.subarray(this.data, this.data + headLen);
    const out = new Uint8Array(this.len);
    out.set(this.head.subarray(this.data, this.data + headLen));
    let off = headLen;
    for (const f of this.frags) {
      out.set(f, off);
      off += f.length;
    }
    return out;
  }

  /** Bytes held in frags rather than the head (skb->data_len). */
  get dataLen(): number {
    return this.frags?.reduce((a, f) => a + f.length, 0) ?? 0;
  }

  /**
   * Records the receive queue, as skb_record_rx_queue(): stored as queue + 1.
   * @param rxQueue queue index
   */
  recordRxQueue(rxQueue: number): void {
    this.queueMapping = rxQueue + 1;
  }
}

/**
 * The Ethernet header at skb's MAC header, as eth_hdr() (include/linux/if_ether.h).
 * @param skb the skb; its MAC header is set
 * @returns a view over the bytes, nothing copied
 * @example
 * ```ts
 * import { allocSkb, buildFrame, ethHdr, Sim } from "@rxpath/rxpath";
 * const skb = allocSkb(new Sim(), buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, payload: 4 }));
 * skb.macHeader = 0;
 * console.log(ethHdr(skb).hProto.toString(16)); // "800"
 * ```
 */
export function ethHdr(skb: SkBuff): EthHdr {
  return new EthHdr(skb.head, skb.macHeader);
}

/**
 * The IPv4 header at skb's network header, as ip_hdr() (include/linux/ip.h): read `iph.totLen`
 * where the kernel reads `iph->tot_len`.
 * @param skb the skb; its network header is set and IPV4_HLEN bytes are there
 * @returns a view over the bytes, nothing copied
 * @example
 * ```ts
 * import { allocSkb, buildFrame, ETH_HLEN, ipHdr, Sim } from "@rxpath/rxpath";
 * const skb = allocSkb(new Sim(), buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", ttl: 9 }, payload: 4 }));
 * skb.networkHeader = ETH_HLEN;
 * console.log(ipHdr(skb).ttl); // 9
 * ```
 */
export function ipHdr(skb: SkBuff): IpHdr {
  // a view holds no bytes of its own: the one made for this head and offset serves again
  const v = skb.views;
  if (v.ip === null || v.ipHead !== skb.head || v.ipOff !== skb.networkHeader) {
    v.ip = new IpHdr(skb.head, skb.networkHeader);
    v.ipHead = skb.head;
    v.ipOff = skb.networkHeader;
  }
  return v.ip;
}

/**
 * The UDP header at skb's transport header, as udp_hdr() (include/linux/udp.h).
 * @param skb the skb; its transport header is set and UDP_HLEN bytes are there
 * @returns a view over the bytes, nothing copied
 */
export function udpHdr(skb: SkBuff): UdpHdr {
  const v = skb.views;
  if (v.udp === null || v.udpHead !== skb.head || v.udpOff !== skb.transportHeader) {
    v.udp = new UdpHdr(skb.head, skb.transportHeader);
    v.udpHead = skb.head;
    v.udpOff = skb.transportHeader;
  }
  return v.udp;
}

/**
 * The TCP header at skb's transport header, as tcp_hdr() (include/linux/tcp.h).
 * @param skb the skb; its transport header is set and TCP_HLEN bytes are there
 * @returns a view over the bytes, nothing copied
 */
export function tcpHdr(skb: SkBuff): TcpHdr {
  return new TcpHdr(skb.head, skb.transportHeader);
}

/**
 * The ICMP header at skb's transport header, as icmp_hdr() (include/linux/icmp.h).
 * @param skb the skb; its transport header is set and ICMP_HLEN bytes are there
 * @returns a view over the bytes, nothing copied
 */
export function icmpHdr(skb: SkBuff): IcmpHdr {
  return new IcmpHdr(skb.head, skb.transportHeader);
}

/**
 * Allocates an skb for a received frame, copying its bytes, and enters it in the simulation's
 * ledger. truesize is
 * what __alloc_skb() charges: the buffer rounded up to its kmalloc cache, plus metadata.
 * @param sim the simulation
 * @param frame the frame bytes
 * @param dev the receiving device, if any
 * @returns the skb, born now
 * @example
 * ```ts
 * import { allocSkb, Sim } from "@rxpath/rxpath";
 * const skb = allocSkb(new Sim(), new Uint8Array(1514));
 * console.log(skb.truesize); // 2304
 * ```
 */
export function allocSkb(sim: Sim, frame: Uint8Array, dev: SkbDevice | null = null): SkBuff {
  const shinfo = skbDataAlign(SIZEOF_SKB_SHARED_INFO);
  return bornSkb(sim, frame, kmallocSizeRoundup(skbDataAlign(frame.length) + shinfo) - shinfo, dev);
}

// SKB_SMALL_HEAD_CACHE_SIZE on x86-64 6.18: SKB_HEAD_ALIGN(MAX_TCP_HEADER) = 576, not a power
// of two, so heads that fit come from skb_small_head_cache (net/core/skbuff.c:kmalloc_reserve()).
const SKB_SMALL_HEAD_CACHE_SIZE = 576;

/**
 * Allocates a linear skb the way __alloc_skb() sizes it: `headroom` + the frame, rounded to a
 * cache line, plus skb_shared_info, from the small-head cache when that fits (576 bytes) or
 * else the kmalloc size class; truesize is SKB_TRUESIZE of what the buffer can hold. This is
 * how a packet socket's skb arrives through a veth (packet_snd() reserves
 * LL_RESERVED_SPACE = 16 bytes): measured on 6.18.44 as 832 bytes for frames up to 240 bytes,
 * 1280 up to 688, 2304 up to 1514 (tests/golden/linux-6.18/replay).
 * @param sim the simulation
 * @param frame the frame bytes
 * @param headroom bytes reserved before the frame
 * @param dev the receiving device, if any
 * @returns the skb, born now
 * @example
 * ```ts
 * import { allocSkbLinear, Sim } from "@rxpath/rxpath";
 * console.log(allocSkbLinear(new Sim(), new Uint8Array(60), 16).truesize); // 832
 * ```
 */
export function allocSkbLinear(
  sim: Sim,
  frame: Uint8Array,
  headroom: number,
  dev: SkbDevice | null = null,
): SkBuff {
  const size = allocSkbSize(headroom + frame.length);
  const skb = bornSkb(sim, frame, size, dev);
  skb.tailroom = size - headroom - frame.length;
  return skb;
}

/**
 * The buffer __alloc_skb() gives a head of `len` bytes, skb_shared_info aside: from the
 * small-head cache when that fits (576 bytes with skb_shared_info), else the kmalloc size class.
 * @param len bytes asked for
 * @returns bytes the head can hold
 * @example
 * ```ts
 * import { allocSkbSize } from "@rxpath/rxpath";
 * console.log(allocSkbSize(100), allocSkbSize(1000)); // 256 1728
 * ```
 */
export function allocSkbSize(len: number): number {
  const shinfo = skbDataAlign(SIZEOF_SKB_SHARED_INFO);
  const obj = skbDataAlign(len) + shinfo;
  return (obj <= SKB_SMALL_HEAD_CACHE_SIZE ? SKB_SMALL_HEAD_CACHE_SIZE : kmallocSizeRoundup(obj)) -
    shinfo;
}

// include/linux/mm.h: pages of 4 KB; alloc_skb_with_frags() starts at PAGE_ALLOC_COSTLY_ORDER
const PAGE_SIZE = 4096;
const PAGE_ALLOC_COSTLY_ORDER = 3;

/**
 * Allocates an skb whose first `linear` bytes sit in its head and the rest in page frags, as
 * sock_alloc_send_pskb() → alloc_skb_with_frags(): the head sized as __alloc_skb() sizes
 * `headroom` + `linear` bytes, then pages of the largest order up to 3 (32 KB) that the rest
 * fills at least one page of, each charged in full to truesize. Such an skb has no tailroom
 * (skb_tailroom() of a nonlinear skb). The kit keeps the bytes in `head`; truesize is the
 * kernel's.
 * @param sim the simulation
 * @param frame the frame bytes
 * @param headroom bytes reserved before the frame
 * @param linear bytes of the frame in the head
 * @param dev the receiving device, if any
 * @returns the skb, born now
 * @example
 * ```ts
 * import { allocSkbWithFrags, Sim } from "@rxpath/rxpath";
 * // a 10040-byte packet a TUN device takes: 3712 bytes in a 4 KB head, 6328 in an 8 KB page
 * console.log(allocSkbWithFrags(new Sim(), new Uint8Array(10040), 64, 3712).truesize); // 12544
 * ```
 */
export function allocSkbWithFrags(
  sim: Sim,
  frame: Uint8Array,
  headroom: number,
  linear: number,
  dev: SkbDevice | null = null,
): SkBuff {
  const size = allocSkbSize(headroom + linear);
  const skb = bornSkb(sim, frame, size, dev);
  let dataLen = frame.length - linear;
  let order = PAGE_ALLOC_COSTLY_ORDER;
  while (dataLen > 0) {
    const pageAligned = Math.ceil(dataLen / PAGE_SIZE) * PAGE_SIZE;
    while (order && pageAligned < PAGE_SIZE << order) order--;
    skb.truesize += PAGE_SIZE << order;
    dataLen -= Math.min(dataLen, PAGE_SIZE << order);
  }
  skb.tailroom = frame.length > linear ? 0 : size - headroom - linear;
  return skb;
}

// A new skb with a copy of the frame and `size` bytes of buffer, entered in the ledger. The
// buffer is the skb's own, as a DMA'd copy is: the stack rewrites headers in place.
function bornSkb(sim: Sim, frame: Uint8Array, size: number, dev: SkbDevice | null): SkBuff {
  const skb = new SkBuff(sim.ledger.born(), copyBytes(frame), SKB_TRUESIZE(size), dev);
  skb.born = sim.now;
  return skb;
}

/**
 * Frees an skb that was used as intended (consume_skb()): it counts as delivered.
 * @param sim the simulation
 * @param skb the skb
 * @param where the consumer, such as a socket or a counting sink
 * @example
 * ```ts
 * import { allocSkb, consumeSkb, Sim } from "@rxpath/rxpath";
 * const sim = new Sim();
 * consumeSkb(sim, allocSkb(sim, new Uint8Array(60)), "udp_recvmsg");
 * console.log(sim.ledger.fates[0].kind); // "delivered"
 * ```
 */
export function consumeSkb(sim: Sim, skb: SkBuff, where: string): void {
  const cpu = sim.runningCpu;
  if (cpu) sim.enterFn(cpu, "consume_skb", skb.id);
  if (--skb.users === 0) { // skb_unref(): another handler may still hold it
    if (cpu && sim.trace.enabled) { // an untraced run makes no closures for the events
      sim.tracepoint(cpu, "consume_skb", () => ({ skbaddr: skb.id, location: where }));
      for (const f of skb.fragList ?? []) {
        sim.tracepoint(cpu, "consume_skb", () => ({ skbaddr: f.id, location: "skb_release_data" }));
      }
    }
    sim.ledger.end({ skb: skb.id, kind: "delivered", where, t: sim.now });
  }
  if (cpu) sim.exitFn(cpu, "consume_skb", skb.id);
}

/**
 * Traces a consume_skb() whose skb lives on in the ledger under another fate: a reassembly's
 * head morphed into the skb that completed it, the original of a forward sent as fragments.
 * @param sim the simulation
 * @param cpu the CPU
 * @param skb the skb the kernel frees
 * @param where the function that frees it
 */
export function traceConsumeSkb(sim: Sim, cpu: Cpu, skb: SkBuff, where: string): void {
  sim.traced(cpu, "consume_skb", () => {
    sim.tracepoint(cpu, "consume_skb", () => ({ skbaddr: skb.id, location: where }));
  }, skb.id);
}

/**
 * Ends an skb whose data GRO moved into another skb (napi_skb_finish() with GRO_MERGED_FREE or
 * GRO_MERGED): its bytes travel on inside `into`.
 * @param sim the simulation
 * @param skb the merged skb
 * @param into the skb that now carries its data
 */
export function napiSkbMerged(sim: Sim, skb: SkBuff, into: SkBuff): void {
  sim.ledger.end({
    skb: skb.id,
    kind: "merged",
    where: `napi_gro_receive (into skb ${into.id})`,
    into: into.id,
    t: sim.now,
  });
}

/**
 * Drops an skb with a reason (kfree_skb_reason()), as the skb:kfree_skb tracepoint reports.
 * @param sim the simulation
 * @param skb the skb
 * @param reason the kernel's drop reason
 * @param where the function that dropped it
 * @example
 * ```ts
 * import { allocSkb, kfreeSkbReason, Sim } from "@rxpath/rxpath";
 * const sim = new Sim();
 * kfreeSkbReason(sim, allocSkb(sim, new Uint8Array(60)), "NO_SOCKET", "udp_rcv");
 * console.log(sim.ledger.fates[0]); // { skb: 1, kind: "dropped", reason: "NO_SOCKET", where: "udp_rcv", t: 0 }
 * ```
 */
export function kfreeSkbReason(sim: Sim, skb: SkBuff, reason: SkbDropReason, where: string): void {
  // kfree_skb_reason() is an inline over sk_skb_reason_drop(), which ftrace shows
  const cpu = sim.runningCpu;
  if (cpu) sim.enterFn(cpu, "sk_skb_reason_drop", skb.id);
  if (--skb.users === 0) { // skb_unref(): only the last reference's free is a drop
    if (cpu && sim.trace.enabled) { // an untraced run makes no closures for the events
      sim.tracepoint(cpu, "kfree_skb", () => ({
        skbaddr: skb.id,
        rx_sk: 0,
        protocol: skb.protocol,
        location: where,
        reason,
      }));
      // skb_release_data() frees the frag_list after the skb, with no reason of its own
      for (const f of skb.fragList ?? []) {
        sim.tracepoint(cpu, "kfree_skb", () => ({
          skbaddr: f.id,
          rx_sk: 0,
          protocol: f.protocol,
          location: "skb_release_data",
          reason: "NOT_SPECIFIED",
        }));
      }
    }
    sim.ledger.end({ skb: skb.id, kind: "dropped", reason, where, t: sim.now });
  }
  if (cpu) sim.exitFn(cpu, "sk_skb_reason_drop", skb.id);
}

/**
 * Ends an skb that was sent out of a device (forwarded, as by a bridge or ip_forward()).
 * @param sim the simulation
 * @param skb the skb
 * @param dev the egress device's name
 */
export function skbForwarded(sim: Sim, skb: SkBuff, dev: string): void {
  if (--skb.users > 0) return;
  sim.ledger.end({ skb: skb.id, kind: "forwarded", where: dev, t: sim.now });
}

/**
 * Makes a copy of an skb with its own life in the ledger, as skb_clone() gives another
 * sk_buff on the same data (the kit copies the bytes; the model never writes through both).
 * @param sim the simulation
 * @param skb the original
 * @returns the clone
 */
export function skbClone(sim: Sim, skb: SkBuff): SkBuff {
  const c = new SkBuff(sim.ledger.born(), skb.head.slice(), skb.truesize, skb.dev);
  for (
    const k of [
      "data",
      "len",
      "macHeader",
      "networkHeader",
      "transportHeader",
      "protocol",
      "pktType",
      "vlanTci",
      "hash",
      "l4Hash",
      "swHash",
      "ipSummed",
      "queueMapping",
      "skRxQueue",
      "priority",
      "tstamp",
      "born",
      "hwtstamp",
      "gsoSize",
      "gsoSegs",
      "gsoType",
      "csumValid",
    ] as const
  ) {
    (c as unknown as Record<string, unknown>)[k] = skb[k];
  }
  if (skb.frags) c.frags = [...skb.frags];
  return c;
}

/**
 * A queue of skbs, as struct sk_buff_head with its helpers (include/linux/skbuff.h): taking the
 * head and adding at the tail cost the same whatever the length, as the kernel's doubly linked
 * list does — a backlog of a million skbs drains in linear time.
 *
 * @example
 * ```ts
 * import { allocSkb, Sim, SkbQueue } from "@rxpath/rxpath";
 * const sim = new Sim();
 * const q = new SkbQueue();
 * q.queueTail(allocSkb(sim, new Uint8Array(60)));
 * q.queueTail(allocSkb(sim, new Uint8Array(60)));
 * console.log(q.length, q.dequeue()?.id, q.length); // 2 1 1
 * ```
 */
export class SkbQueue implements Iterable<SkBuff> {
  #items: (SkBuff | undefined)[] = [];
  #head = 0;

  /** skbs queued (skb_queue_len()). */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Adds an skb at the tail (__skb_queue_tail()).
   * @param skb the skb
   */
  queueTail(skb: SkBuff): void {
    this.#items.push(skb);
  }

  /**
   * Takes the skb at the head (__skb_dequeue()).
   * @returns the skb, or undefined when the queue is empty
   */
  dequeue(): SkBuff | undefined {
    if (this.#head === this.#items.length) return undefined;
    const skb = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    // the taken slots are dropped now and then, so memory follows what is queued
    if (this.#head === this.#items.length) {
      emptyArray(this.#items);
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return skb;
  }

  /**
   * Moves every skb of `list` to this queue's tail and leaves `list` empty
   * (skb_queue_splice_tail_init()).
   * @param list the queue to empty into this one
   */
  spliceTailInit(list: SkbQueue): void {
    const from = list.#items;
    for (let i = list.#head; i < from.length; i++) this.#items.push(from[i]);
    emptyArray(from);
    list.#head = 0;
  }

  /** The skbs from head to tail (skb_queue_walk()). */
  *[Symbol.iterator](): Iterator<SkBuff> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i]!;
  }
}
