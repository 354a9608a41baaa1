// Models lib/dynamic_queue_limits.c (Linux 6.18), the byte queue limit (BQL) of a transmit
// queue: the driver counts bytes it queues (dql_queued()) and bytes the device has sent
// (dql_completed()); the limit grows when the queue ran dry while held back, and shrinks by the
// slack the queue never needed over a hold time. Counts are u32 and wrap as the kernel's do.
// Stall detection (stall_thrs, 0 by default) is not modelled.

/** The most a single dql_queued() may count (DQL_MAX_OBJECT, UINT_MAX / 16). */
export const DQL_MAX_OBJECT: number = Math.floor(0xffffffff / 16);
/** The highest limit (DQL_MAX_LIMIT): limit_max's default. */
export const DQL_MAX_LIMIT: number = Math.floor(0xffffffff / 2) - DQL_MAX_OBJECT;
const UINT_MAX = 0xffffffff;

const u32 = (x: number) => x >>> 0;
// POSDIFF(A, B): A - B when positive as an int, else 0
const posdiff = (a: number, b: number) => ((a - b) | 0) > 0 ? u32(a - b) : 0;
// AFTER_EQ(A, B)
const afterEq = (a: number, b: number) => ((a - b) | 0) >= 0;

/**
 * struct dql: one transmit queue's byte queue limit, as
 * /sys/class/net/DEV/queues/tx-N/byte_queue_limits shows it.
 *
 * @example
 * ```ts
 * import { Dql } from "@rxpath/rxpath";
 * const dql = new Dql(250, () => 0);
 * dql.queued(1514); // the queue ran over its limit of 0 ...
 * dql.completed(1514); // ... and emptied: the limit grows by what was over
 * console.log(dql.limit, dql.avail()); // 1514 1514
 * ```
 */
export class Dql {
  /** Bytes queued so far (num_queued). */
  numQueued = 0;
  /** What the driver may queue up to (adj_limit = limit + num_completed). */
  adjLimit = 0;
  /** The size of the last dql_queued() (last_obj_cnt). */
  lastObjCnt = 0;
  /** The current limit, bytes (limit). */
  limit = 0;
  /** Bytes completed so far (num_completed). */
  numCompleted = 0;
  /** Over-limit bytes at the previous completion (prev_ovlimit). */
  prevOvlimit = 0;
  /** num_queued at the previous completion (prev_num_queued). */
  prevNumQueued = 0;
  /** last_obj_cnt at the previous completion (prev_last_obj_cnt). */
  prevLastObjCnt = 0;
  /** The least slack seen in this hold period (lowest_slack). */
  lowestSlack: number = UINT_MAX;
  /** When the hold period began, jiffies (slack_start_time). */
  slackStartTime = 0;
  /** The highest limit (limit_max). */
  maxLimit: number = DQL_MAX_LIMIT;
  /** The lowest limit (limit_min). */
  minLimit = 0;
  /** How long slack must last before the limit shrinks, jiffies (slack_hold_time; hold_time in ms in sysfs). */
  slackHoldTime: number;
  readonly #jiffies: () => number;

  /**
   * Makes one, as dql_init(): limits 0 … DQL_MAX_LIMIT, then dql_reset().
   * @param holdTime slack_hold_time in jiffies (netdev_init_one_queue() gives HZ: one second)
   * @param jiffies the clock, in jiffies
   */
  constructor(holdTime: number, jiffies: () => number) {
    this.slackHoldTime = holdTime;
    this.#jiffies = jiffies;
    this.reset();
  }

  /** dql_reset(): counts back to zero, limit to limit_min (adj_limit is left as it was). */
  reset(): void {
    this.limit = this.minLimit;
    this.numQueued = 0;
    this.numCompleted = 0;
    this.lastObjCnt = 0;
    this.prevNumQueued = 0;
    this.prevLastObjCnt = 0;
    this.prevOvlimit = 0;
    this.lowestSlack = UINT_MAX;
    this.slackStartTime = this.#jiffies();
  }

  /**
   * dql_queued(): the driver queued `count` bytes to the device.
   * @param count bytes
   */
  queued(count: number): void {
    if (count > DQL_MAX_OBJECT) return; // WARN_ON_ONCE
    this.lastObjCnt = count;
    this.numQueued = u32(this.numQueued + count);
  }

  /** dql_avail(): bytes the driver may still queue, negative when over the limit. */
  avail(): number {
    return (this.adjLimit - this.numQueued) | 0;
  }

  /** Bytes queued and not completed (inflight in sysfs). */
  get inflight(): number {
    return u32(this.numQueued - this.numCompleted);
  }

  /**
   * dql_completed(): the device sent `count` bytes; the limit is recomputed.
   * @param count bytes
   */
  completed(count: number): void {
    const numQueued = this.numQueued;
    if (count > u32(numQueued - this.numCompleted)) {
      throw new Error(`BUG: dql_completed(${count}) with ${this.inflight} in flight`);
    }
    const completed = u32(this.numCompleted + count);
    let limit = this.limit;
    let ovlimit = posdiff(u32(numQueued - this.numCompleted), limit);
    const inprogress = u32(numQueued - completed);
    const prevInprogress = u32(this.prevNumQueued - this.numCompleted);
    const allPrevCompleted = afterEq(completed, this.prevNumQueued);
    if ((ovlimit && !inprogress) || (this.prevOvlimit && allPrevCompleted)) {
      // the queue starved while held back: grow by what was over and what came since
      limit = u32(limit + posdiff(completed, this.prevNumQueued) + this.prevOvlimit);
      this.slackStartTime = this.#jiffies();
      this.lowestSlack = UINT_MAX;
    } else if (inprogress && prevInprogress && !allPrevCompleted) {
      // bytes that sat queued for a whole completion interval were more than needed
      let slack = posdiff(
        u32(limit + this.prevOvlimit),
        u32(2 * u32(completed - this.numCompleted)),
      );
      const slackLastObjs = this.prevOvlimit ? posdiff(this.prevLastObjCnt, this.prevOvlimit) : 0;
      slack = Math.max(slack, slackLastObjs);
      if (slack < this.lowestSlack) this.lowestSlack = slack;
      const now = this.#jiffies();
      if (((this.slackStartTime + this.slackHoldTime - now) | 0) < 0) { // time_after()
        limit = posdiff(limit, this.lowestSlack);
        this.slackStartTime = now;
        this.lowestSlack = UINT_MAX;
      }
    }
    limit = Math.min(Math.max(limit, this.minLimit), this.maxLimit);
    if (limit !== this.limit) {
      this.limit = limit;
      ovlimit = 0;
    }
    this.adjLimit = u32(limit + completed);
    this.prevOvlimit = ovlimit;
    this.prevLastObjCnt = this.lastObjCnt;
    this.numCompleted = completed;
    this.prevNumQueued = numQueued;
  }
}
