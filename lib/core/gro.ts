// Models net/core/gro.c and include/net/gro.h (Linux 6.18): generic receive offload. NAPI hands
// each skb to napi_gro_receive(); dev_gro_receive() looks for a held skb of the same flow in
// one of GRO_HASH_BUCKETS buckets (by skb hash) and lets the protocol callbacks
// (inet_gro_receive -> tcp4_gro_receive) decide to merge, to hold, or to flush. Completed and
// unmergeable skbs queue on napi->rx_list and go up in batches of gro_normal_batch.

import type { Net } from "./net_namespace.ts";
import type { Cpu } from "../sim/cpu.ts";
import type { Napi } from "./dev.ts";
import { napiSkbMerged, type SkBuff } from "./skbuff.ts";
import { IP_DF, type IpHdr } from "../wire/ipv4.ts";
import { ETH_HLEN } from "../wire/ethernet.ts";
import { netifReceiveSkbListInternal } from "./netif_receive.ts";

/** Buckets of held skbs per NAPI instance (GRO_HASH_BUCKETS). */
export const GRO_HASH_BUCKETS = 8;
/** Held skbs per bucket before the oldest is completed (MAX_GRO_SKBS). */
export const MAX_GRO_SKBS = 8;
/** Largest packet GRO builds for IPv4 (GRO_LEGACY_MAX_SIZE, the default gro_max_size). */
export const GRO_LEGACY_MAX_SIZE = 65536;

/** dev_gro_receive()'s verdicts (enum gro_result). */
export type GroResult =
  | "GRO_MERGED"
  | "GRO_MERGED_FREE"
  | "GRO_HELD"
  | "GRO_NORMAL"
  | "GRO_CONSUMED";

/** A link-layer offload (struct packet_offload) on offload_base. */
export interface PacketOffload {
  /** Ethertype, host order. */
  type: number;
  /** Symbol of gro_receive. */
  name: string;
  /** Looks for a held skb to merge with; returns one to complete now, or null. */
  groReceive: (host: Net, head: SkBuff[], skb: SkBuff) => SkBuff | null;
  /** Fixes headers of a merged skb before it goes up. */
  groComplete: (host: Net, skb: SkBuff, nhoff: number) => void;
}

/** A transport offload (struct net_offload) in inet_offloads[]. */
export interface NetOffload {
  /** Symbol of gro_receive. */
  name: string;
  /** As PacketOffload.groReceive, one layer up. */
  groReceive: (host: Net, head: SkBuff[], skb: SkBuff) => SkBuff | null;
  /** As PacketOffload.groComplete, one layer up. */
  groComplete: (host: Net, skb: SkBuff, thoff: number) => void;
}

/** The GRO state of one NAPI instance: buckets of held skbs and the batch going up. */
export interface GroState {
  /** Held skbs per bucket, youngest first (napi->gro_hash[].list). */
  hash: SkBuff[][];
  /** Completed and normal skbs waiting to go up (napi->rx_list). */
  rxList: SkBuff[];
  /** Segments in rx_list (napi->rx_count). */
  rxCount: number;
}

/**
 * Makes the empty GRO state of a NAPI instance (init_gro_hash()).
 * @returns eight empty buckets and an empty batch
 */
export function initGroHash(): GroState {
  return { hash: Array.from({ length: GRO_HASH_BUCKETS }, () => []), rxList: [], rxCount: 0 };
}

/**
 * Registers a link-layer offload, as dev_add_offload().
 * @param host the host
 * @param po the offload
 */
export function devAddOffload(host: Net, po: PacketOffload): void {
  host.sim.enterFn(host.bootCpu, "dev_add_offload");
  host.offloadBase.unshift(po);
  host.sim.exitFn(host.bootCpu, "dev_add_offload");
}

/** Bytes GRO has not yet pulled (skb_gro_len()). */
export function skbGroLen(skb: SkBuff): number {
  return skb.len - skb.groCb!.offset;
}

/**
 * Gives an skb to GRO, as napi_gro_receive(): merged skbs end here, held ones stay in the
 * NAPI's buckets, and the rest go on the batch to the stack.
 * @param host the host
 * @param cpu the CPU polling
 * @param napi the NAPI instance
 * @param skb the received skb, MAC header pulled
 * @returns the verdict
 * @example
 * ```ts
 * import { buildFrame, runGro } from "@rxpath/rxpath";
 * // runGro() puts frames through a veth's NAPI poll: napi_gro_receive() → dev_gro_receive()
 * const seg = (seq: number) =>
 *   buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, tcp: { source: 1, dest: 2, seq, flags: "A" }, payload: 1000 });
 * console.log(runGro([seg(1), seg(1001), seg(2001)])); // one skb of 3 segments
 * ```
 */
export function napiGroReceive(host: Net, cpu: Cpu, napi: Napi, skb: SkBuff): GroResult {
  // napi_gro_receive() is a static inline over gro_receive_skb() since 6.17
  host.sim.enterFn(cpu, "gro_receive_skb", skb.id);
  host.sim.enterFn(cpu, "dev_gro_receive", skb.id);
  cpu.chargeLater(host.sim.costs.ns.napiGroReceive);
  const ret = devGroReceive(host, cpu, napi, skb);
  host.sim.exitFn(cpu, "dev_gro_receive", skb.id);
  // napi_skb_finish(): a merged skb's data lives on in the held one
  if (ret === "GRO_NORMAL") groNormalOne(host, cpu, napi, skb, 1);
  else if (ret === "GRO_MERGED" || ret === "GRO_MERGED_FREE") {
    napiSkbMerged(host.sim, skb, skb.groCb!.mergedInto!);
  }
  host.sim.exitFn(cpu, "gro_receive_skb", skb.id);
  return ret;
}

function devGroReceive(host: Net, cpu: Cpu, napi: Napi, skb: SkBuff): GroResult {
  const bucket = skb.hash & (GRO_HASH_BUCKETS - 1);
  const list = napi.gro.hash[bucket];
  // netif_elide_gro(): GRO off (ethtool -K gro off) hands everything up as it is.
  if (!napi.dev.groEnabled) return groNormal(skb);
  groListPrepare(list, skb);
  const ptype = offloadByType(host, skb.protocol);
  if (!ptype) return groNormal(skb);
  skb.networkHeader = skb.data;
  skb.groCb = {
    offset: 0,
    flush: 0,
    count: 1,
    sameFlow: false,
    free: false,
    proto: 0,
    age: 0,
    ipFixedId: false,
    mergedInto: null,
  };
  const pp = ptype.groReceive(host, list, skb);
  const cb = skb.groCb;
  const ret: GroResult = cb.free ? "GRO_MERGED_FREE" : "GRO_MERGED";
  if (pp) {
    list.splice(list.indexOf(pp), 1);
    napiGroComplete(host, cpu, napi, pp);
  }
  if (cb.sameFlow) return ret;
  if (cb.flush) return "GRO_NORMAL";
  if (list.length >= MAX_GRO_SKBS) napiGroComplete(host, cpu, napi, list.pop()!); // gro_flush_oldest()
  cb.age = host.softirqs.jiffies;
  skb.gsoSize = skbGroLen(skb);
  list.unshift(skb);
  return "GRO_HELD";
}

function groNormal(skb: SkBuff): GroResult {
  skb.groCb = null;
  return "GRO_NORMAL";
}

// gro_list_prepare(): a held skb can be of the new skb's flow only with the same hash,
// device and MAC header (compare_ether_header()).
function groListPrepare(list: SkBuff[], skb: SkBuff): void {
  for (const p of list) {
    p.groCb!.sameFlow = p.hash === skb.hash && p.dev === skb.dev && sameEtherHeader(p, skb);
  }
}

// compare_ether_header(): the 14 bytes at both MAC headers are equal.
function sameEtherHeader(p: SkBuff, skb: SkBuff): boolean {
  for (let i = 0; i < ETH_HLEN; i++) {
    if (p.head[p.macHeader + i] !== skb.head[skb.macHeader + i]) return false;
  }
  return true;
}

// The offload registered for an ethertype (gro_find_receive_by_type()).
function offloadByType(host: Net, type: number): PacketOffload | undefined {
  for (const po of host.offloadBase) if (po.type === type) return po;
  return undefined;
}

/**
 * Appends skb's payload to the held skb p, as skb_gro_receive(): refused (E2BIG) when p would
 * reach gro_max_size (64 KB) or skb must be flushed.
 * @param p the held skb
 * @param skb the new segment, headers pulled
 * @returns 0, or -7 (E2BIG) when refused
 */
export function skbGroReceive(p: SkBuff, skb: SkBuff): number {
  const len = skbGroLen(skb);
  if (p.len + len >= GRO_LEGACY_MAX_SIZE || skb.groCb!.flush) return -7;
  const payload = skb.head.subarray(skb.data + skb.groCb!.offset, skb.data + skb.len);
  (p.frags ??= []).push(payload);
  p.len += len;
  p.truesize += skb.truesize;
  p.groCb!.count += skb.groCb!.count;
  p.mergedIds ??= [p.id];
  if (skb.mergedIds) p.mergedIds.push(...skb.mergedIds);
  else p.mergedIds.push(skb.id);
  skb.groCb!.free = true;
  skb.groCb!.sameFlow = true;
  skb.groCb!.mergedInto = p;
  return 0;
}

/**
 * Completes a held skb and queues it for the stack, as napi_gro_complete(): a lone segment
 * goes up as it came (gso_size 0); a merged one has its headers fixed by the protocol's
 * gro_complete (IPv4 total length, TCP GSO fields).
 * @param host the host
 * @param cpu the CPU
 * @param napi the NAPI instance
 * @param skb the held skb
 */
export function napiGroComplete(host: Net, cpu: Cpu, napi: Napi, skb: SkBuff): void {
  host.sim.enterFn(cpu, "gro_complete", skb.id); // napi_gro_complete() before 6.17
  if (skb.groCb!.count === 1) {
    skb.gsoSize = 0;
  } else {
    offloadByType(host, skb.protocol)!.groComplete(host, skb, 0);
  }
  host.sim.exitFn(cpu, "gro_complete", skb.id);
  groNormalOne(host, cpu, napi, skb, skb.groCb!.count);
}

/**
 * Completes held skbs, oldest first in each bucket, as __gro_flush() (napi_gro_flush() before
 * 6.17): all of them, or with `flushOld` only those held since an earlier jiffy.
 * @param host the host
 * @param cpu the CPU
 * @param napi the NAPI instance
 * @param flushOld keep what arrived in this jiffy
 */
export function napiGroFlush(host: Net, cpu: Cpu, napi: Napi, flushOld: boolean): void {
  host.sim.enterFn(cpu, "__gro_flush");
  const jiffies = host.softirqs.jiffies;
  for (const list of napi.gro.hash) {
    while (list.length > 0) {
      const oldest = list[list.length - 1];
      if (flushOld && oldest.groCb!.age === jiffies) break;
      list.pop();
      napiGroComplete(host, cpu, napi, oldest);
    }
  }
  host.sim.exitFn(cpu, "__gro_flush");
}

/** True when GRO holds skbs (napi->gro_bitmask != 0). */
export function napiGroHolds(napi: Napi): boolean {
  return napi.gro.hash.some((l) => l.length > 0);
}

/**
 * Queues an skb for the stack, as gro_normal_one(): the batch goes up once it holds
 * gro_normal_batch segments.
 * @param host the host
 * @param cpu the CPU
 * @param napi the NAPI instance
 * @param skb the skb
 * @param segs segments it stands for
 */
export function groNormalOne(host: Net, cpu: Cpu, napi: Napi, skb: SkBuff, segs: number): void {
  napi.gro.rxList.push(skb);
  napi.gro.rxCount += segs;
  if (napi.gro.rxCount >= host.sysctl["net.core.gro_normal_batch"]) groNormalList(host, cpu, napi);
}

/**
 * Passes the batch up, as gro_normal_list() -> netif_receive_skb_list_internal().
 * @param host the host
 * @param cpu the CPU
 * @param napi the NAPI instance
 */
export function groNormalList(host: Net, cpu: Cpu, napi: Napi): void {
  if (napi.gro.rxCount === 0) return;
  const batch = napi.gro.rxList;
  napi.gro.rxList = [];
  napi.gro.rxCount = 0;
  netifReceiveSkbListInternal(host, cpu, batch);
}

/**
 * Decides whether two IPv4 headers of one flow may be merged, as inet_gro_flush() in 6.18: TTL,
 * TOS and DF must match; the ID must follow the held skb's by its segment count, or stay fixed
 * if it already stayed fixed at the second segment (DF or not, since 6.18).
 * @param iph the new skb's IPv4 header
 * @param iph2 the held skb's IPv4 header
 * @param p the held skb
 * @returns non-zero to flush
 */
export function inetGroFlush(iph: IpHdr, iph2: IpHdr, p: SkBuff): number {
  const df = iph.fragOff & IP_DF, df2 = iph2.fragOff & IP_DF;
  if ((iph.ttl ^ iph2.ttl) | (iph.tos ^ iph2.tos) | (df ^ df2)) return 1;
  const ipidOffset = (iph.id - iph2.id) & 0xffff;
  const count = p.groCb!.count & 0xffff;
  if (count === 1 && ipidOffset === 0) p.groCb!.ipFixedId = true;
  return ipidOffset ^ (p.groCb!.ipFixedId ? 0 : count);
}
