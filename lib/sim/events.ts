// The discrete-event core: a virtual clock in integer nanoseconds and an event queue ordered
// by time, then by the order events were scheduled, so equal times run first-in first-out.

import { InputRangeError } from "../base/errors.ts";
/** A scheduled event; keep it to cancel the event before it fires. */
export interface SimEvent {
  /** When it fires, in ns of virtual time. */
  readonly at: number;
  /** Tie-breaker: events at the same time fire in the order they were scheduled. */
  readonly seq: number;
  /** What it does when it fires. */
  readonly fn: () => void;
  /** Set by {@linkcode EventQueue.cancel}. */
  cancelled: boolean;
}

/**
 * A binary min-heap of events keyed on (at, seq), which makes the order stable for equal times.
 *
 * @example
 * ```ts
 * import { EventQueue } from "@rxpath/rxpath";
 * const q = new EventQueue();
 * q.schedule(5, () => console.log("b"));
 * q.schedule(5, () => console.log("c"));
 * q.schedule(1, () => console.log("a"));
 * q.runUntil(10); // a b c
 * ```
 */
export class EventQueue {
  #heap: SimEvent[] = [];
  #seq = 0;
  #now = 0;

  /** The virtual time in ns: the time of the event running or last run. */
  get now(): number {
    return this.#now;
  }

  /** How many events wait, cancelled ones included until they reach the top. */
  get size(): number {
    return this.#heap.length;
  }

  /**
   * Schedules `fn` at absolute time `at`.
   * @param at time in ns, an integer not before now
   * @param fn what to do
   * @returns the event, for cancelling
   */
  schedule(at: number, fn: () => void): SimEvent {
    if (!Number.isSafeInteger(at) || at < this.#now) {
      throw new InputRangeError(
        `Cannot schedule an event at ${at} ns: time must be an integer not before now (${this.#now} ns)`,
      );
    }
    const ev: SimEvent = { at, seq: this.#seq++, fn, cancelled: false };
    const h = this.#heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
    return ev;
  }

  /**
   * Cancels an event that has not fired yet; cancelling twice or after it fired does nothing.
   * @param ev the event
   */
  cancel(ev: SimEvent): void {
    ev.cancelled = true;
  }

  /**
   * Runs events in order while the next one is at or before `until`, then sets now to `until`.
   * @param until the time to stop at, in ns
   * @param maxEvents a bound on events run, so a runaway model ends with an error, not a hang
   * @returns how many events ran
   */
  runUntil(until: number, maxEvents = 50_000_000): number {
    let n = 0;
    while (this.#heap.length > 0 && this.#heap[0].at <= until) {
      const ev = this.#pop();
      if (ev.cancelled) continue;
      this.#now = ev.at;
      ev.fn();
      if (++n > maxEvents) {
        throw new Error(
          `BUG: more than ${maxEvents} events before ${until} ns; the model does not settle`,
        );
      }
    }
    if (until > this.#now && Number.isFinite(until)) this.#now = until;
    return n;
  }

  #pop(): SimEvent {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
