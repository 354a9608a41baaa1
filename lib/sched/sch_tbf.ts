// Models net/sched/sch_tbf.c (Linux 6.18): the token bucket filter. Tokens are nanoseconds of
// transmission time at the rate, at most `buffer` (the burst's time); a packet leaves when the
// bucket holds its time, else the qdisc counts an overlimit and sets its watchdog for when it
// will. Packets wait in a bfifo child of `limit` bytes.

import type { Cpu } from "../sim/cpu.ts";
import type { Net } from "../core/net_namespace.ts";
import type { NetDevice, NetdevQueue } from "../core/netdevice.ts";
import type { SkBuff } from "../core/skbuff.ts";
import {
  NET_XMIT_SUCCESS,
  Qdisc,
  qdiscDrop,
  qdiscPktLen,
  qdiscWatchdogSchedule,
} from "./sch_generic.ts";
import { FifoQdisc } from "./sch_fifo.ts";
import { formatRate, formatSize, formatTime } from "./tc_units.ts";
import { InputRangeError } from "../base/errors.ts";

/**
 * struct psched_ratecfg: a rate as a multiply and shift that turn a length into nanoseconds
 * (psched_ratecfg_precompute()).
 */
export class PschedRatecfg {
  /** The rate, bytes per second. */
  readonly rateBytesPs: number;
  /** The multiplier. */
  readonly mult: number;
  /** The shift. */
  readonly shift: number;

  /**
   * Precomputes the rate: the largest shift whose multiplier, NSEC_PER_SEC << shift / rate,
   * still fits in 31 bits.
   * @param rateBytesPs bytes per second
   */
  constructor(rateBytesPs: number) {
    this.rateBytesPs = rateBytesPs;
    let mult = 1n;
    let shift = 0;
    const rate = BigInt(rateBytesPs);
    let factor = 1_000_000_000n;
    if (rate > 0n) {
      for (;;) {
        mult = factor / rate;
        if (mult & (1n << 31n) || factor & (1n << 63n)) break;
        factor <<= 1n;
        shift++;
      }
    }
    this.mult = Number(mult);
    this.shift = shift;
  }

  /**
   * psched_l2t_ns(): the time `len` bytes take at this rate, ns.
   * @param len bytes
   */
  l2t(len: number): number {
    return Number((BigInt(len) * BigInt(this.mult)) >> BigInt(this.shift));
  }
}

/** tbf's settings as `tc qdisc ... tbf rate R burst B limit L` gives them. */
export interface TbfOptions {
  /** The rate, bytes per second. */
  rate: number;
  /** The bucket's size, bytes (burst; TCA_TBF_BURST). */
  burst: number;
  /** Bytes that may wait (limit), the bfifo child's limit. */
  limit: number;
  /** A second, faster bucket that bounds the burst's own rate: peakrate, bytes per second. */
  peakrate?: number;
  /** The peak bucket's size, bytes (mtu or minburst; TCA_TBF_PBURST). */
  mtu?: number;
}

/**
 * tbf: a token bucket shaper with a bfifo below it.
 */
export class TbfQdisc extends Qdisc {
  /** The kind. */
  readonly kind = "tbf";
  /** Its ops. */
  readonly symbols = { enqueue: "tbf_enqueue", dequeue: "tbf_dequeue" };
  /** The child where packets wait (q->qdisc): a bfifo of `limit` bytes unless one is grafted. */
  child: Qdisc;
  /** Whether the child was grafted by tc (and so is listed), not made by tbf itself. */
  childGrafted = false;
  /** The rate (q->rate). */
  readonly rate: PschedRatecfg;
  /** The peak rate (q->peak), or null. */
  readonly peak: PschedRatecfg | null;
  /** The peak bucket, ns (q->mtu); 0 without a peak rate. */
  readonly mtu: number;
  /** Peak tokens, ns (q->ptokens). */
  ptokens: number;
  /** The bucket, ns (q->buffer). */
  readonly buffer: number;
  /** The largest packet it passes (q->max_size): the burst, or the peak bucket if smaller. */
  readonly maxSize: number;
  /** The bucket's size as given, bytes. */
  readonly burstBytes: number;
  /** The peak bucket's size as given, bytes (0 without a peak rate). */
  readonly mtuBytes: number;
  /** Bytes that may wait (q->limit). */
  readonly limit: number;
  /** Tokens, ns (q->tokens). */
  tokens: number;
  /** When tokens were last counted, ns (q->t_c). */
  tc: number;

  /**
   * Makes one, as tbf_init() → tbf_change().
   * @param host the host, for the clock
   * @param dev the device
   * @param devQueue its transmit queue
   * @param o rate, burst and limit
   */
  constructor(host: Net, dev: NetDevice, devQueue: NetdevQueue, o: TbfOptions) {
    super(dev, devQueue);
    if (!(o.rate > 0)) throw new InputRangeError(`tbf on ${dev.name}: rate must be above 0`);
    if (!(o.burst > 0)) {
      throw new InputRangeError(`tbf on ${dev.name}: burst must be above 0 (EINVAL)`);
    }
    this.rate = new PschedRatecfg(o.rate);
    this.maxSize = o.burst;
    this.burstBytes = o.burst;
    this.buffer = this.rate.l2t(o.burst);
    this.peak = null;
    this.mtu = 0;
    this.mtuBytes = o.mtu ?? 0;
    if (o.peakrate !== undefined) {
      // tbf_change(): a peak rate must be above the rate; its bucket bounds the largest packet
      if (!(o.peakrate > o.rate)) {
        throw new InputRangeError(
          `tbf on ${dev.name}: peakrate must be above rate (EINVAL)`,
        );
      }
      if (!(o.mtu! > 0)) throw new InputRangeError(`tbf on ${dev.name}: peakrate needs mtu`);
      this.peak = new PschedRatecfg(o.peakrate);
      this.maxSize = Math.min(this.maxSize, o.mtu!);
      this.mtu = this.peak.l2t(o.mtu!);
    }
    this.ptokens = this.mtu;
    this.limit = o.limit;
    this.child = new FifoQdisc("bfifo", dev, devQueue, o.limit); // fifo_create_dflt(), invisible
    this.tokens = this.buffer;
    this.tc = host.sim.now;
  }

  /** tbf_enqueue(): a packet over the burst is dropped; else into the child. */
  enqueue(host: Net, cpu: Cpu, skb: SkBuff, toFree: SkBuff[]): number {
    const len = qdiscPktLen(skb);
    if (len > this.maxSize) return qdiscDrop(this, skb, toFree);
    const child = this.child;
    const ret = host.sim.traced(
      cpu,
      child.symbols.enqueue,
      () => child.enqueue(host, cpu, skb, toFree),
    );
    if (ret !== NET_XMIT_SUCCESS) {
      this.qstats.drops++; // net_xmit_drop_count(): a drop or congestion, never stolen here
      return ret;
    }
    this.qstats.backlog += len;
    this.qstats.qlen++;
    return NET_XMIT_SUCCESS;
  }

  /**
   * tbf_dequeue(): the head packet leaves if the bucket (topped up by the time since t_c, at
   * most buffer) holds its transmission time, and the peak bucket (at most mtu) its time at the
   * peak rate; else the watchdog is set for when both will.
   */
  dequeue(host: Net, cpu: Cpu): SkBuff | null {
    const skb = this.child.peek(host, cpu);
    if (!skb) return null;
    const len = qdiscPktLen(skb);
    const now = host.sim.now;
    let toks = Math.min(now - this.tc, this.buffer);
    let ptoks = 0;
    if (this.peak) ptoks = Math.min(toks + this.ptokens, this.mtu) - this.peak.l2t(len);
    toks += this.tokens;
    if (toks > this.buffer) toks = this.buffer;
    toks -= this.rate.l2t(len);
    if (toks >= 0 && ptoks >= 0) {
      host.sim.traced(cpu, this.child.symbols.dequeue, () => this.child.dequeue(host, cpu));
      this.tc = now;
      this.tokens = toks;
      this.ptokens = ptoks;
      this.qstats.backlog -= len;
      this.qstats.qlen--;
      this.bstats.bytes += len;
      this.bstats.packets++;
      return skb;
    }
    qdiscWatchdogSchedule(host, cpu, this, now + Math.max(-toks, -ptoks));
    this.qstats.overlimits++;
    return null;
  }

  /** The child's head. */
  peek(host: Net, cpu: Cpu): SkBuff | null {
    return this.child.peek(host, cpu);
  }

  /** The child's skbs too. */
  override heldSkbs(): SkBuff[] {
    return [...super.heldSkbs(), ...this.child.heldSkbs()];
  }

  /**
   * tbf_dump() as tc prints it: rate, burst, and the latency the limit allows (lat), or the
   * limit when that latency would be negative.
   */
  options(): string {
    let latencyUs = 1e6 * (this.limit / this.rate.rateBytesPs) - this.buffer / 1e3;
    let peak = "";
    if (this.peak) {
      // the latency the peak bucket allows, when longer
      const lat2 = 1e6 * (this.limit / this.peak.rateBytesPs) - this.mtu / 1e3;
      if (lat2 > latencyUs) latencyUs = lat2;
      peak = `peakrate ${formatRate(this.peak.rateBytesPs)} minburst ${formatSize(this.mtuBytes)} `;
    }
    const tail = latencyUs >= 0
      ? `lat ${formatTime(latencyUs)}`
      : `limit ${formatSize(this.limit)}`;
    return `rate ${formatRate(this.rate.rateBytesPs)} burst ${
      formatSize(this.burstBytes)
    } ${peak}${tail} `;
  }
}
