// Models net/sched/sch_fq_codel.c and include/net/codel_impl.h (Linux 6.18): fq_codel hashes
// each packet to one of 1024 flows, serves new flows before old ones by deficit round robin
// (a quantum of psched_mtu() bytes each), and runs CoDel on each flow: once a flow's packets
// have waited longer than target (5 ms) for a whole interval (100 ms), it drops (or, for an
// ECN-capable packet, marks CE) at intervals shrinking as interval / sqrt(count). Past its limit
// (10240 packets) or memory_limit it drops from the fattest flow, half its backlog at most
// drop_batch_size packets at a time. Times are CoDel's: nanoseconds >> 10.

import type { Cpu } from "../sim/cpu.ts";
import type { Net } from "../core/net_namespace.ts";
import type { NetDevice, NetdevQueue } from "../core/netdevice.ts";
import { kfreeSkbReason, type SkBuff } from "../core/skbuff.ts";
import {
  NET_XMIT_CN,
  NET_XMIT_SUCCESS,
  Qdisc,
  qdiscPktLen,
  qdiscTreeReduceBacklog,
} from "./sch_generic.ts";
import { pschedMtu } from "./sch_fifo.ts";
import { formatSize, formatTime } from "./tc_units.ts";
import { csumFold, csumPartial } from "../wire/checksum.ts";
import { skbGetHash } from "../core/netif_receive.ts";

const CODEL_SHIFT = 10;
const REC_INV_SQRT_BITS = 16;
const REC_INV_SQRT_SHIFT = 32 - REC_INV_SQRT_BITS;
const FQ_CODEL_QUANTUM_MAX = 1 << 20;
const u32 = (x: number) => x >>> 0;
// codel_time_after(a, b): (s32)(a - b) > 0
const after = (a: number, b: number) => ((a - b) | 0) > 0;
const afterEq = (a: number, b: number) => ((a - b) | 0) >= 0;
const reciprocalScale = (v: number, n: number) => Number((BigInt(u32(v)) * BigInt(u32(n))) >> 32n);

/** codel_vars: one flow's CoDel state (times in CoDel's units, ns >> 10). */
export interface CodelVars {
  /** Packets dropped (or marked) in this dropping state, and before it (count). */
  count: number;
  /** count when the last dropping state began (lastcount). */
  lastcount: number;
  /** In the dropping state. */
  dropping: boolean;
  /** 1/sqrt(count) in Q0.16 (rec_inv_sqrt). */
  recInvSqrt: number;
  /** When the head's delay, above target since, allows a drop (first_above_time); 0: not above. */
  firstAboveTime: number;
  /** When the next drop is due (drop_next). */
  dropNext: number;
  /** The last head's time in the queue (ldelay). */
  ldelay: number;
}

/** One of fq_codel's flows (struct fq_codel_flow). */
export interface FqCodelFlow {
  /** Its index, the hash scaled to the flow count. */
  index: number;
  /** Its packets, head first. */
  q: SkBuff[];
  /** Their bytes (q->backlogs[idx]). */
  backlog: number;
  /** Bytes it may still send this round (deficit). */
  deficit: number;
  /** Its CoDel state. */
  cvars: CodelVars;
  /** On new_flows or old_flows (flowchain not empty). */
  listed: boolean;
}

/** fq_codel's settings as tc gives them (tc qdisc … fq_codel [limit N] [flows N] …). */
export interface FqCodelOptions {
  /** Packets it holds at most, default 10240. */
  limit?: number;
  /** Flows hashed to, default 1024. */
  flows?: number;
  /** CoDel's target delay, ns, default 5 ms. */
  target?: number;
  /** CoDel's interval, ns, default 100 ms. */
  interval?: number;
  /** Bytes a flow may send per round, default psched_mtu(). */
  quantum?: number;
  /** Mark ECN-capable packets instead of dropping them, default on. */
  ecn?: boolean;
  /** Bytes of skbs (truesize) it holds at most, default 32 MB. */
  memoryLimit?: number;
  /** Packets dropped at most at once past the limit, default 64. */
  dropBatch?: number;
}

// codel_Newton_step(): one Newton step of 1/sqrt(count) in Q0.16
function newtonStep(v: CodelVars): void {
  const invsqrt = BigInt(u32(v.recInvSqrt << REC_INV_SQRT_SHIFT));
  const invsqrt2 = (invsqrt * invsqrt) >> 32n;
  let val = (3n << 32n) - BigInt(v.count) * invsqrt2;
  val = BigInt.asUintN(64, val) >> 2n;
  val = (val * invsqrt) >> BigInt(32 - 2 + 1);
  v.recInvSqrt = Number(BigInt.asUintN(64, val) >> BigInt(REC_INV_SQRT_SHIFT)) & 0xffff;
}

// codel_control_law(): t + interval / sqrt(count)
function controlLaw(t: number, interval: number, recInvSqrt: number): number {
  return u32(t + reciprocalScale(interval, u32(recInvSqrt << REC_INV_SQRT_SHIFT)));
}

/**
 * INET_ECN_set_ce() for IPv4: an ECN-capable packet (ECT(0) or ECT(1)) gets CE, its header
 * checksum mended; returns whether it is marked (a Not-ECT one is not).
 * @param skb the packet, its data at the Ethernet header
 * @returns true when the packet carries CE now
 */
export function inetEcnSetCe(skb: SkBuff): boolean {
  const nh = skb.networkHeader >= 0 ? skb.networkHeader : skb.data + 14;
  const h = skb.head;
  if (nh + 20 > h.length || h[nh] >> 4 !== 4) return false;
  const ecn = (h[nh + 1] + 1) & 3; // IP_ECN_set_ce(): Not-ECT → 1, ECT(1) → 2, ECT(0) → 3, CE → 0
  if (!(ecn & 2)) return !ecn;
  h[nh + 1] |= 3;
  h[nh + 10] = h[nh + 11] = 0;
  const check = csumFold(csumPartial(h, 0, nh, nh + (h[nh] & 15) * 4));
  h[nh + 10] = check >> 8;
  h[nh + 11] = check & 255;
  return true;
}

/**
 * fq_codel: flow queueing with CoDel, the default qdisc of many distributions
 * (net.core.default_qdisc = fq_codel).
 */
export class FqCodelQdisc extends Qdisc {
  /** The kind. */
  readonly kind = "fq_codel";
  /** Its ops. */
  readonly symbols = { enqueue: "fq_codel_enqueue", dequeue: "fq_codel_dequeue" };
  /** Packets it holds at most (sch->limit). */
  readonly limit: number;
  /** Bytes a flow sends per round (quantum). */
  readonly quantum: number;
  /** CoDel's target, CoDel time. */
  readonly target: number;
  /** CoDel's interval, CoDel time. */
  readonly interval: number;
  /** Mark ECN instead of dropping. */
  readonly ecn: boolean;
  /** Bytes of skbs it may hold (memory_limit). */
  readonly memoryLimit: number;
  /** Packets dropped at once past the limit (drop_batch_size). */
  readonly dropBatch: number;
  /** The MTU CoDel does not drop below (cparams.mtu): a flow with one packet or less queued. */
  readonly mtu: number;
  /** The flows (q->flows). */
  readonly flows: FqCodelFlow[];
  /** Flows with packets that have not had their first quantum (new_flows), in order. */
  readonly newFlows: FqCodelFlow[] = [];
  /** The other active flows (old_flows), in order. */
  readonly oldFlows: FqCodelFlow[] = [];
  /** Bytes of skbs held (memory_usage). */
  memoryUsage = 0;
  /** Packets dropped past the limit (drop_overlimit). */
  dropOverlimit = 0;
  /** Of those, dropped past memory_limit (drop_overmemory). */
  dropOvermemory = 0;
  /** Flows that became active (new_flow_count). */
  newFlowCount = 0;
  /** The largest packet seen (maxpacket). */
  maxpacket = 0;
  /** Packets CoDel marked CE instead of dropping (ecn_mark). */
  ecnMark = 0;
  readonly #enqueuedAt = new Map<SkBuff, number>();
  readonly #memUsage = new Map<SkBuff, number>();
  #dropCount = 0;
  #dropLen = 0;

  /**
   * Makes one, as fq_codel_init() (then fq_codel_change() with the options).
   * @param dev the device
   * @param devQueue its transmit queue
   * @param o the settings
   */
  constructor(dev: NetDevice, devQueue: NetdevQueue, o: FqCodelOptions = {}) {
    super(dev, devQueue);
    const mtu = Math.min(pschedMtu(dev), FQ_CODEL_QUANTUM_MAX);
    this.limit = o.limit ?? 10 * 1024;
    this.quantum = Math.max(256, Math.min(o.quantum ?? mtu, FQ_CODEL_QUANTUM_MAX));
    this.target = Math.floor((o.target ?? 5e6) / 1024);
    this.interval = Math.floor((o.interval ?? 100e6) / 1024);
    this.ecn = o.ecn ?? true;
    this.memoryLimit = o.memoryLimit ?? 32 << 20;
    this.dropBatch = o.dropBatch ?? 64;
    this.mtu = mtu;
    this.flows = Array.from({ length: o.flows ?? 1024 }, (_, index) => ({
      index,
      q: [],
      backlog: 0,
      deficit: 0,
      cvars: codelVars(),
      listed: false,
    }));
    this.canBypass = this.limit >= 1;
  }

  /**
   * fq_codel_enqueue(): the packet joins its flow (fq_codel_classify(): its hash scaled to the
   * flow count); a flow with nothing queued becomes a new flow with a fresh quantum. Past the
   * limit or memory_limit, fq_codel_drop() drops from the fattest flow: NET_XMIT_CN when that
   * was this packet's flow.
   */
  enqueue(host: Net, _cpu: Cpu, skb: SkBuff, toFree: SkBuff[]): number {
    const idx = reciprocalScale(skbGetHash(host, skb), this.flows.length); // fq_codel_hash()
    this.#enqueuedAt.set(skb, codelTime(host));
    const flow = this.flows[idx];
    flow.q.push(skb);
    flow.backlog += qdiscPktLen(skb);
    this.qstats.backlog += qdiscPktLen(skb);
    if (!flow.listed) {
      flow.listed = true;
      this.newFlows.push(flow);
      this.newFlowCount++;
      flow.deficit = this.quantum;
    }
    this.#memUsage.set(skb, skb.truesize);
    this.memoryUsage += skb.truesize;
    const memoryLimited = this.memoryUsage > this.memoryLimit;
    if (++this.qstats.qlen <= this.limit && !memoryLimited) return NET_XMIT_SUCCESS;
    const prevQlen = this.qstats.qlen;
    const prevBacklog = this.qstats.backlog;
    const pktLen = qdiscPktLen(skb);
    const dropped = this.#drop(toFree);
    const n = prevQlen - this.qstats.qlen;
    const len = prevBacklog - this.qstats.backlog;
    this.dropOverlimit += n;
    if (memoryLimited) this.dropOvermemory += n;
    // the parents never counted this packet when it was the one dropped (NET_XMIT_CN)
    if (dropped === idx) {
      qdiscTreeReduceBacklog(this, n - 1, len - pktLen);
      return NET_XMIT_CN;
    }
    qdiscTreeReduceBacklog(this, n, len);
    return NET_XMIT_SUCCESS;
  }

  // fq_codel_drop(): half the fattest flow's backlog, at most drop_batch_size packets
  #drop(toFree: SkBuff[]): number {
    let maxbacklog = 0;
    let idx = 0;
    this.flows.forEach((f, i) => {
      if (f.backlog > maxbacklog) {
        maxbacklog = f.backlog;
        idx = i;
      }
    });
    const threshold = maxbacklog >> 1;
    const flow = this.flows[idx];
    let len = 0;
    let i = 0;
    do {
      const skb = flow.q.shift()!;
      len += qdiscPktLen(skb);
      this.memoryUsage -= this.#memUsage.get(skb)!;
      this.#forget(skb);
      skb.dropReason = "QDISC_OVERLIMIT";
      toFree.push(skb);
    } while (++i < this.dropBatch && len < threshold);
    flow.cvars.count = u32(flow.cvars.count + i);
    flow.backlog -= len;
    this.qstats.drops += i;
    this.qstats.backlog -= len;
    this.qstats.qlen -= i;
    return idx;
  }

  #forget(skb: SkBuff): void {
    this.#enqueuedAt.delete(skb);
    this.#memUsage.delete(skb);
  }

  // dequeue_func(): the flow's head; backlog is CoDel's to count
  #dequeueHead(flow: FqCodelFlow): SkBuff | null {
    const skb = flow.q.shift();
    if (!skb) return null;
    flow.backlog -= qdiscPktLen(skb);
    this.memoryUsage -= this.#memUsage.get(skb)!;
    this.qstats.qlen--;
    this.qstats.backlog -= qdiscPktLen(skb);
    return skb;
  }

  /**
   * fq_codel_dequeue() → __fq_codel_dequeue(): the first new flow, else the first old one; a
   * flow out of deficit gets another quantum and goes to the end of old_flows; the flow's head
   * goes through CoDel (codel_dequeue()), which may drop packets first. A new flow that runs
   * dry moves to old_flows if there are any (so old flows are not starved), else leaves.
   */
  dequeue(host: Net): SkBuff | null {
    // qdisc_dequeue_peeked(): a packet peek() took out goes first
    const peeked = this.gsoSkb.shift();
    if (peeked) {
      this.qstats.backlog -= qdiscPktLen(peeked);
      this.qstats.qlen--;
      return peeked;
    }
    return this.#dequeue(host);
  }

  // __fq_codel_dequeue(), then fq_codel_dequeue_drop(): CoDel's drops leave the parents' counts
  #dequeue(host: Net): SkBuff | null {
    const skb = this.#nextFlowPacket(host);
    if (this.#dropCount) {
      qdiscTreeReduceBacklog(this, this.#dropCount, this.#dropLen);
      this.#dropCount = this.#dropLen = 0;
    }
    return skb;
  }

  // __fq_codel_dequeue(): the flows in turn
  #nextFlowPacket(host: Net): SkBuff | null {
    for (;;) {
      const fromNew = this.newFlows.length > 0;
      const list = fromNew ? this.newFlows : this.oldFlows;
      if (list.length === 0) return null;
      const flow = list[0];
      if (flow.deficit <= 0) {
        flow.deficit += this.quantum;
        list.shift();
        this.oldFlows.push(flow);
        continue;
      }
      const skb = this.#codelDequeue(host, flow); // codel_dequeue(), inlined
      if (!skb) {
        list.shift();
        if (fromNew && this.oldFlows.length > 0) this.oldFlows.push(flow);
        else flow.listed = false;
        continue;
      }
      this.bstats.bytes += qdiscPktLen(skb);
      this.bstats.packets++;
      flow.deficit -= qdiscPktLen(skb);
      this.#forget(skb);
      return skb;
    }
  }

  // codel_should_drop(): the head waited past target, with more than an MTU queued behind it,
  // for a whole interval
  #shouldDrop(skb: SkBuff | null, v: CodelVars, now: number): boolean {
    if (!skb) {
      v.firstAboveTime = 0;
      return false;
    }
    const len = qdiscPktLen(skb);
    v.ldelay = u32(now - this.#enqueuedAt.get(skb)!);
    if (len > this.maxpacket) this.maxpacket = len;
    if (after(this.target, v.ldelay) || this.qstats.backlog <= this.mtu) {
      v.firstAboveTime = 0;
      return false;
    }
    if (v.firstAboveTime === 0) {
      v.firstAboveTime = u32(now + this.interval);
      return false;
    }
    return after(now, v.firstAboveTime);
  }

  // drop_func(): a CoDel drop, freed at once (QDISC_CONGESTED: an AQM's drop), counted in
  // cstats.drop_count and drop_len for the parents
  #codelDrop(host: Net, skb: SkBuff): void {
    this.#dropCount++;
    this.#dropLen += qdiscPktLen(skb);
    this.#forget(skb);
    this.qstats.drops++;
    kfreeSkbReason(host.sim, skb, "QDISC_CONGESTED", "fq_codel_dequeue");
  }

  // codel_dequeue(): the control law, as include/net/codel_impl.h runs it
  #codelDequeue(host: Net, flow: FqCodelFlow): SkBuff | null {
    const v = flow.cvars;
    let skb = this.#dequeueHead(flow);
    if (!skb) {
      v.firstAboveTime = 0;
      v.dropping = false;
      return null;
    }
    const now = codelTime(host);
    let drop = this.#shouldDrop(skb, v, now);
    if (v.dropping) {
      if (!drop) v.dropping = false;
      else if (afterEq(now, v.dropNext)) {
        while (v.dropping && afterEq(now, v.dropNext)) {
          v.count = u32(v.count + 1);
          newtonStep(v);
          if (this.ecn && inetEcnSetCe(skb!)) {
            this.ecnMark++;
            v.dropNext = controlLaw(v.dropNext, this.interval, v.recInvSqrt);
            return skb;
          }
          this.#codelDrop(host, skb!);
          skb = this.#dequeueHead(flow);
          if (!this.#shouldDrop(skb, v, now)) v.dropping = false;
          else v.dropNext = controlLaw(v.dropNext, this.interval, v.recInvSqrt);
        }
      }
    } else if (drop) {
      if (this.ecn && inetEcnSetCe(skb)) this.ecnMark++;
      else {
        this.#codelDrop(host, skb);
        skb = this.#dequeueHead(flow);
        drop = this.#shouldDrop(skb, v, now);
      }
      v.dropping = true;
      const delta = u32(v.count - v.lastcount);
      if (delta > 1 && after(16 * this.interval, u32(now - v.dropNext))) {
        v.count = delta;
        newtonStep(v);
      } else {
        v.count = 1;
        v.recInvSqrt = 0xffffffff >>> REC_INV_SQRT_SHIFT;
      }
      v.lastcount = v.count;
      v.dropNext = controlLaw(now, this.interval, v.recInvSqrt);
    }
    return skb;
  }

  /**
   * fq_codel_peek(): the packet dequeue() gives next — dequeued now, CoDel's drops and all, and
   * kept in gso_skb (still counted as queued) for the dequeue that follows.
   */
  peek(host: Net): SkBuff | null {
    if (this.gsoSkb.length) return this.gsoSkb[0];
    const skb = this.#dequeue(host);
    if (skb) {
      this.gsoSkb.push(skb);
      this.qstats.backlog += qdiscPktLen(skb);
      this.qstats.qlen++;
    }
    return skb;
  }

  /** Every skb it holds. */
  override heldSkbs(): SkBuff[] {
    return [...super.heldSkbs(), ...this.flows.flatMap((f) => f.q)];
  }

  /** fq_codel_dump_stats() as `tc -s` prints it, below the backlog line. */
  override xstats(): string {
    return `  maxpacket ${this.maxpacket} drop_overlimit ${this.dropOverlimit} new_flow_count ${this.newFlowCount} ecn_mark ${this.ecnMark}\n` +
      `  new_flows_len ${this.newFlows.length} old_flows_len ${this.oldFlows.length}\n`;
  }

  /** fq_codel_dump() as tc prints it. */
  options(): string {
    const ms = (t: number) => formatTime((t * 1024) / 1000);
    return `limit ${this.limit}p flows ${this.flows.length} quantum ${this.quantum} target ${
      ms(this.target)
    } interval ${ms(this.interval)} memory_limit ${formatSize(this.memoryLimit)} ${
      this.ecn ? "ecn " : ""
    }drop_batch ${this.dropBatch} `;
  }
}

function codelVars(): CodelVars {
  return {
    count: 0,
    lastcount: 0,
    dropping: false,
    recInvSqrt: 0,
    firstAboveTime: 0,
    dropNext: 0,
    ldelay: 0,
  };
}

// codel_get_time(): ns >> CODEL_SHIFT, as a u32
function codelTime(host: Net): number {
  return u32(Math.floor(host.sim.now / (1 << CODEL_SHIFT)));
}
