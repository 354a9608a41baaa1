// Models IPv4 reassembly of net/ipv4/ip_fragment.c and net/ipv4/inet_fragment.c (Linux 6.18):
// ip_defrag() files each fragment in the queue of its (saddr, daddr, id, protocol); a queue with
// its first and last fragments and no holes becomes one datagram (ip_frag_reasm(), ReasmOKs).
// Overlapping fragments kill the queue (ReasmOverlaps, ReasmFails); a queue still incomplete when
// its timer (net.ipv4.ipfrag_time, 30 s) fires is freed by ip_expire() with
// FRAG_REASM_TIMEOUT (ReasmTimeout, ReasmFails), and an ICMP time exceeded (fragment reassembly)
// goes back when the first fragment had come.

import type { InetNet } from "./netns_ipv4.ts";
import { consumeSkb, ipHdr, kfreeSkbReason, SkBuff, traceConsumeSkb } from "../core/skbuff.ts";
import type { Cpu } from "../sim/cpu.ts";
import { IP_MF, IP_OFFSET, IpHdr } from "../wire/ipv4.ts";
import { icmpSend } from "./icmp.ts";
import { modTimer } from "../kernel/timer.ts";
import type { Rtable } from "./route.ts";

/** A reassembly queue (struct ipq). */
export interface Ipq {
  /** Key: saddr/daddr/id/protocol. */
  key: string;
  /** Fragments held, by offset: [offset, end, skb]. */
  fragments: { offset: number; end: number; skb: SkBuff }[];
  /** Datagram length once the last fragment came (q.len), else the highest end seen. */
  len: number;
  /** INET_FRAG_FIRST_IN, INET_FRAG_LAST_IN. */
  firstIn: boolean;
  /** The last fragment has come. */
  lastIn: boolean;
  /** Bytes of payload held (q.meat). */
  meat: number;
  /** The route of the first fragment, to send ICMP on expiry. */
  rt: Rtable;
  /** The CPU to run the timer on. */
  cpu: Cpu;
  /** Set once the queue is finished (INET_FRAG_COMPLETE). */
  complete: boolean;
  /** End of the fragment that is last in offset order (fragments_tail's end). */
  lastArrivedEnd: number;
  /** When its timer fires, ns: ipfrag_time on, on the timer wheel's bucket. */
  expires: number;
}

// ip4_frag_match(): a queue is one (saddr, daddr, id, protocol)
function fragKey(iph: IpHdr): string {
  return `${iph.saddr}/${iph.daddr}/${iph.id}/${iph.protocol}`;
}

// inet_frag_kill(): the queue is complete and unlinked; its fragments wait for the last reference.
function inetFragKill(host: InetNet, q: Ipq): void {
  q.complete = true;
  host.ipv4.frags.delete(q.key);
}

// inet_frag_kill(), then inet_frag_destroy() → inet_frag_rbtree_purge() once the last reference
// goes: the held fragments are freed as drops (FRAG_REASM_TIMEOUT) when the timer killed the
// queue — the first fragment by ip_expire() itself — and with consume_skb() (no drop reported,
// as a 6.18 host's skb:kfree_skb shows none) when a bad fragment did.
function killQueue(host: InetNet, q: Ipq, timedOut: boolean) {
  inetFragKill(host, q);
  for (const f of q.fragments) {
    if (!timedOut) consumeSkb(host.sim, f.skb, "inet_frag_rbtree_purge");
    else {
      const where = q.firstIn && f === q.fragments[0] ? "ip_expire" : "inet_frag_rbtree_purge";
      kfreeSkbReason(host.sim, f.skb, "FRAG_REASM_TIMEOUT", where);
    }
  }
  q.fragments.length = 0;
}

/**
 * The reassembly timer's handler, ip_expire(): ReasmFails and ReasmTimeout; an ICMP time
 * exceeded (code 1) about the first fragment, if it came; every fragment freed with
 * FRAG_REASM_TIMEOUT.
 * @param host the host
 * @param q the queue
 */
function ipExpire(host: InetNet, q: Ipq): void {
  if (q.complete) return;
  host.mib.ip.ReasmFails++;
  host.mib.ip.ReasmTimeout++;
  const first = q.fragments.find((f) => f.offset === 0);
  if (q.firstIn && first) icmpSend(host, q.cpu, first.skb, q.rt, 11, 1, 0);
  killQueue(host, q, true);
}

/**
 * Files a fragment, as ip_defrag(): ReasmReqds counts it. When it completes its datagram, the
 * fragments are joined into this skb (the others end as merged into it) and the datagram is
 * returned; otherwise the fragment is held (or dropped) and null returned.
 * @param host the host
 * @param cpu the CPU
 * @param skb the fragment (its network header set, trimmed to tot_len)
 * @param route its input route
 * @returns the whole datagram, or null
 */
export function ipDefrag(host: InetNet, cpu: Cpu, skb: SkBuff, route: Rtable): SkBuff | null {
  host.sim.enterFn(cpu, "ip_defrag", skb.id);
  host.mib.ip.ReasmReqds++;
  const iph = ipHdr(skb);
  const fo = iph.fragOff;
  const offset = (fo & IP_OFFSET) * 8;
  const end = offset + iph.totLen - iph.ihl * 4;
  const key = fragKey(iph);
  let q = host.ipv4.frags.get(key);
  if (!q) {
    q = {
      key,
      fragments: [],
      len: 0,
      firstIn: false,
      lastIn: false,
      meat: 0,
      rt: route,
      cpu,
      complete: false,
      lastArrivedEnd: 0,
      expires: 0,
    };
    host.ipv4.frags.set(key, q);
    const queue = q;
    // inet_frag_create(): mod_timer(&q->timer, jiffies + fqdir->timeout), a timer_list, so the
    // expiry lands on its wheel bucket: up to 2 s after the 30 s at HZ 250 (level 3)
    q.expires = modTimer(
      host,
      host.sysctl["net.ipv4.ipfrag_time"] * host.hz,
      () => ipExpire(host, queue),
    );
  }
  // ip_frag_queue() runs under the queue's spinlock
  const queue = q;
  const result = host.sim.holding(
    cpu,
    { preempt: 1 },
    () => ipFragQueue(host, cpu, queue, skb, offset, end, (fo & IP_MF) !== 0),
  );
  if (queue.complete && queue.fragments.length) killQueue(host, queue, false); // ipq_put()
  host.sim.exitFn(cpu, "ip_defrag", skb.id);
  return result;
}

// ip_frag_queue(): length checks, then inet_frag_queue_insert(); complete → ip_frag_reasm().
// A fragment the queue cannot take kills the queue (ReasmFails): the fragment itself is freed
// with NOT_SPECIFIED, the held ones consumed when the queue goes.
function ipFragQueue(
  host: InetNet,
  cpu: Cpu,
  q: Ipq,
  skb: SkBuff,
  offset: number,
  end: number,
  more: boolean,
): SkBuff | null {
  const discard = (overlap: boolean) => {
    if (overlap) host.mib.ipExt.ReasmOverlaps++;
    host.mib.ip.ReasmFails++;
    // ip_frag_queue() (inlined) unlinks the queue (inet_frag_kill()) and frees the fragment;
    // ip_defrag()'s ipq_put(), past the lock, frees the held ones
    inetFragKill(host, q);
    kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "ip_defrag");
    return null;
  };
  if (!more) {
    // The last fragment fixes the length; one that contradicts it is corrupt.
    if (end < q.len || (q.lastIn && end !== q.len)) return discard(false);
    q.lastIn = true;
    q.len = end;
  } else {
    if (end & 7) end &= ~7; // non-last fragments carry multiples of 8 bytes
    if (end > q.len) {
      if (q.lastIn) return discard(false);
      q.len = end;
    }
  }
  const verdict = inetFragQueueInsert(q, offset, end);
  if (verdict === "IPFRAG_DUP") {
    kfreeSkbReason(host.sim, skb, "DUP_FRAG", "ip_defrag"); // ip_frag_queue(), inlined
    return null;
  }
  if (verdict === "IPFRAG_OVERLAP") return discard(true);
  q.fragments.push({ offset, end, skb });
  q.fragments.sort((a, b) => a.offset - b.offset);
  q.meat += end - offset;
  if (offset === 0) q.firstIn = true;
  if (!(q.firstIn && q.lastIn && q.meat === q.len)) return null;
  return ipFragReasm(host, cpu, q, skb);
}

/**
 * Where a fragment goes in its queue, as inet_frag_queue_insert() (RFC 5722 with erratum
 * 3089): contiguous fragments form runs; past the last fragment's end it is appended, unless it
 * starts before that end (an overlap); otherwise a fragment wholly inside a run is a duplicate,
 * dropped alone, and any other overlap condemns the datagram.
 * @param q the queue
 * @param offset the fragment's first byte
 * @param end one past its last byte
 * @returns IPFRAG_OK, IPFRAG_DUP or IPFRAG_OVERLAP
 */
export function inetFragQueueInsert(
  q: Ipq,
  offset: number,
  end: number,
): "IPFRAG_OK" | "IPFRAG_DUP" | "IPFRAG_OVERLAP" {
  if (q.fragments.length === 0) {
    q.lastArrivedEnd = end;
    return "IPFRAG_OK";
  }
  const lastEnd = q.lastArrivedEnd;
  if (lastEnd < end) {
    q.lastArrivedEnd = end;
    return offset < lastEnd ? "IPFRAG_OVERLAP" : "IPFRAG_OK";
  }
  // the runs: maximal stretches of fragments each starting where the previous ended
  const runs: [number, number][] = [];
  for (const f of q.fragments) {
    const r = runs.at(-1);
    if (r && f.offset === r[1]) r[1] = f.end;
    else runs.push([f.offset, f.end]);
  }
  for (const [start, runEnd] of runs) {
    if (end <= start || offset >= runEnd) continue;
    return offset >= start && end <= runEnd ? "IPFRAG_DUP" : "IPFRAG_OVERLAP";
  }
  return "IPFRAG_OK";
}

// ip_frag_reasm(): the skb that completed the queue becomes the datagram (the kernel morphs it
// into the head, and inet_frag_reasm_prepare() frees the head's own sk_buff); the payloads are
// joined after the first fragment's header, tot_len and the fragment field rewritten, truesize
// summed, ReasmOKs counted.
function ipFragReasm(host: InetNet, cpu: Cpu, q: Ipq, last: SkBuff): SkBuff {
  const first = q.fragments[0].skb;
  if (first !== last) traceConsumeSkb(host.sim, cpu, first, "inet_frag_reasm_prepare");
  // inet_frag_reasm_finish() for local delivery (ip_frag_coalesce_ok()): fragments are copied
  // into the head's tailroom while they fit (skb_try_coalesce()) and freed with no event; from
  // the first that does not, the rest make the frag_list — the completing one as a clone of it
  let room = first.frags ? 0 : first.tailroom;
  const fragList: SkBuff[] = [];
  let truesize = first.truesize;
  for (const f of q.fragments.slice(1)) {
    const len = f.end - f.offset;
    if (!fragList.length && len <= room) {
      room -= len;
      continue;
    }
    truesize += f.skb.truesize;
    if (f.skb !== last) fragList.push(f.skb);
    else {
      const clone = new SkBuff(-host.sim.ledger.nextId, new Uint8Array(0), 0, last.dev);
      clone.protocol = last.protocol;
      fragList.push(clone);
    }
  }
  const fnh = first.networkHeader;
  const ihl = ipHdr(first).ihl * 4;
  const pkt = new Uint8Array(fnh + ihl + q.len);
  pkt.set(first.head.subarray(0, fnh + ihl));
  for (const f of q.fragments) {
    const s = f.skb;
    const sihl = ipHdr(s).ihl * 4;
    pkt.set(
      s.head.subarray(s.networkHeader + sihl, s.networkHeader + sihl + f.end - f.offset),
      fnh + ihl + f.offset,
    );
    if (s !== last) {
      host.sim.ledger.end({
        skb: s.id,
        kind: "merged",
        where: "ip_frag_reasm",
        into: last.id,
        t: host.sim.now,
      });
    }
  }
  const tot = ihl + q.len;
  const iph = new IpHdr(pkt, fnh);
  iph.totLen = tot;
  iph.fragOff = 0;
  const whole = last;
  // skb_morph() into the head's place: its IPCB, the options as compiled, goes with it
  whole.ipOpt = first.ipOpt;
  whole.head = pkt;
  whole.truesize = truesize;
  whole.tailroom = fragList.length ? 0 : room;
  whole.frags = null;
  (whole.fragList ??= []).push(...fragList);
  whole.networkHeader = fnh;
  whole.data = fnh;
  whole.len = tot;
  whole.transportHeader = fnh + ihl;
  q.complete = true;
  q.fragments.length = 0;
  host.ipv4.frags.delete(q.key);
  host.mib.ip.ReasmOKs++;
  return whole;
}
