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
  // the running runUntil(): how far it goes, and its events and advances against their bound
  #until = -Infinity;
  #steps = 0;
  #maxSteps = 0;

  /** The virtual time in ns: the time of the event running or last run. */
  get now(): number {
    return this.#now;
  }

  /** The time of the next event to run, ns, or null when none waits. */
  get nextAt(): number | null {
    const h = this.#heap;
    while (h.length > 0 && h[0].cancelled) this.#pop();
    return h.length > 0 ? h[0].at : null;
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
    if (!Number.isSafeInteger(at) || at < this.#now) badTime(at, this.#now);
    const ev: SimEvent = { at, seq: this.#seq++, fn, cancelled: false };
    this.#push(ev);
    return ev;
  }

  /**
   * Schedules one event per item of a time-ordered sequence, as if each were scheduled now in
   * turn (so ties with other events fire in that order), but reads the sequence lazily: only the
   * next item waits in the queue, so a million arrivals take one slot of it, not a million.
   * @param items the items, in order of their times
   * @param timeOf an item's time in ns: an integer, not before now nor before the item before
   * @param fn what to do with an item at its time
   * @throws {RangeError} when an item's time is not an integer or goes back, naming the item
   */
  scheduleEach<T>(items: Iterable<T>, timeOf: (item: T) => number, fn: (item: T) => void): void {
    // an array is read by index, as its iterator would read it, with no result object per item
    const array = Array.isArray(items) ? items as T[] : null;
    const it = array ? null : items[Symbol.iterator]();
    // one sequence number for all: only one item waits at a time, and every event scheduled
    // later, at the same time, comes after it as it would after the whole batch
    let index = 0, item: T;
    // one event serves every item: it waits again, at the next item's time, each time it fires
    const cursor: { at: number; seq: number; fn: () => void; cancelled: boolean } = {
      at: this.#now,
      seq: this.#seq++,
      fn: () => {
        const current = item;
        pull();
        fn(current);
      },
      cancelled: false,
    };
    const pull = () => {
      let next: T;
      if (array) {
        if (index >= array.length) return;
        next = array[index];
      } else {
        const r = it!.next();
        if (r.done) return;
        next = r.value;
      }
      const at = timeOf(next);
      if (!Number.isSafeInteger(at) || at < cursor.at) {
        throw new InputRangeError(
          `Cannot schedule item ${index} at ${at} ns: times must be integers in order (the one before is at ${cursor.at} ns)`,
        );
      }
      index++;
      item = next;
      cursor.at = at;
      this.#push(cursor);
    };
    pull();
  }

  #push(ev: SimEvent): void {
    const h = this.#heap;
    let i = h.length;
    h.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p];
      if (!before(ev, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = ev;
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
    const outerUntil = this.#until, outerSteps = this.#steps, outerMax = this.#maxSteps;
    this.#until = until;
    this.#steps = 0;
    this.#maxSteps = maxEvents;
    try {
      let n = 0;
      while (this.#heap.length > 0 && this.#heap[0].at <= until) {
        const ev = this.#pop();
        if (ev.cancelled) continue;
        this.#now = ev.at;
        ev.fn();
        n++;
        this.#count();
      }
      if (until > this.#now && Number.isFinite(until)) this.#now = until;
      return n;
    } finally {
      this.#until = outerUntil;
      this.#steps = outerSteps;
      this.#maxSteps = outerMax;
    }
  }

  /**
   * Moves the clock straight to `t` when nothing else would happen first: no event waits at or
   * before `t` and the running {@linkcode EventQueue.runUntil} reaches `t`. It is what an event
   * scheduled now at `t` would do on firing next, without queueing one — how a CPU spends the
   * time of a step that nothing can interrupt.
   * @param t the time, not before now
   * @returns whether the clock moved; if not, schedule an event instead
   */
  advanceTo(t: number): boolean {
    if (t > this.#until) return false;
    const h = this.#heap;
    while (h.length > 0 && h[0].cancelled) this.#pop();
    if (h.length > 0 && h[0].at <= t) return false;
    this.#count();
    this.#now = t;
    return true;
  }

  // Counts one event or advance of the running runUntil() against its bound.
  #count(): void {
    if (++this.#steps > this.#maxSteps) {
      throw new Error(
        `BUG: more than ${this.#maxSteps} events before ${this.#until} ns; the model does not settle`,
      );
    }
  }

  #pop(): SimEvent {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && before(h[r], h[l]) ? r : l;
        if (!before(h[m], last)) break;
        h[i] = h[m];
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}

// schedule()'s refusal, out of the method, which V8 inlines where events are made
function badTime(at: number, now: number): never {
  throw new InputRangeError(
    `Cannot schedule an event at ${at} ns: time must be an integer not before now (${now} ns)`,
  );
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
