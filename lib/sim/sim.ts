// One simulation: the virtual clock and event queue, the seeded random source, the CPUs, the
// cost table, the tracer and the skb ledger, shared by every component of a run.

import { InputRangeError } from "../base/errors.ts";
import { CostModel } from "./cost.ts";
import { Cpu } from "./cpu.ts";
import { EventQueue } from "./events.ts";
import { SkbLedger } from "./ledger.ts";
import { Rng } from "./rng.ts";
import { type Context, Tracer } from "./trace.ts";

/** Options of a {@linkcode Sim}. */
export interface SimOptions {
  /** Number of CPUs, default 2. */
  cpus?: number;
  /** Seed of the random source, default 1. */
  seed?: number;
  /** Cost overrides, ns per step. */
  costs?: Partial<Record<string, number>>;
  /** Record the function graph and tracepoints, default false: a run records only what a reader
   * asks for (functionGraph(), traceEvents()), so a long run costs no memory per call. */
  trace?: boolean;
  /** Scheduler time slice, ns. */
  sliceNs?: number;
}

// The context a trace record names: the idle loop runs as a task.
function traceContext(cpu: Cpu): Context {
  const ctx = cpu.context;
  return ctx === "idle" ? "task" : ctx;
}

/**
 * A simulation run: everything a model component needs to take time and make choices.
 *
 * @example
 * ```ts
 * import { Sim } from "@rxpath/rxpath";
 * const sim = new Sim({ cpus: 2, seed: 7 });
 * sim.after(1000, () => console.log(sim.now)); // 1000
 * sim.run(5000);
 * ```
 */
export class Sim {
  readonly #running: { cpu?: Cpu } = {};
  readonly #callNs: number;
  /** The event queue and clock. */
  readonly events: EventQueue = new EventQueue();
  /** The seeded random source. */
  readonly rng: Rng;
  /** The CPUs, by id. */
  readonly cpus: Cpu[];
  /** The cost table. */
  readonly costs: CostModel;
  /** The tracer. */
  readonly trace: Tracer = new Tracer();
  /** The skb ledger. */
  readonly ledger: SkbLedger = new SkbLedger();

  /**
   * Builds a simulation.
   * @param options CPUs, seed, costs, tracing
   * @throws {RangeError} for an impossible CPU count or a bad cost override
   */
  constructor(options: SimOptions = {}) {
    const n = options.cpus ?? 2;
    if (!Number.isInteger(n) || n < 1 || n > 64) {
      throw new InputRangeError(
        `Cannot build a simulation with ${n} CPUs: the count must be an integer from 1 to 64`,
      );
    }
    this.rng = new Rng(options.seed ?? 1);
    this.costs = new CostModel(options.costs);
    this.#callNs = this.costs.ns.call;
    const scale = this.costs.ns.coldScale / 1000, decay = this.costs.ns.coldDecay;
    const coldFactor = scale > 0 && decay > 0
      ? (idleNs: number) => 1 + scale * (1 - Math.exp(-idleNs / decay))
      : null;
    this.trace.enabled = options.trace ?? false;
    this.cpus = Array.from({ length: n }, (_, i) =>
      new Cpu(i, this.events, {
        running: this.#running,
        sliceNs: options.sliceNs,
        contextSwitchNs: this.costs.ns.contextSwitch,
      }));
    for (const cpu of this.cpus) cpu.coldFactor = coldFactor;
  }

  /** The CPU whose code is executing right now (smp_processor_id()), if any. */
  get runningCpu(): Cpu | undefined {
    return this.#running.cpu;
  }

  /** Virtual time now, ns. */
  get now(): number {
    return this.events.now;
  }

  /**
   * Traces entry into a kernel function on a CPU, in the CPU's current context.
   * @param cpu the CPU
   * @param fn the kernel symbol
   * @param skb the skb id, if the call is about one
   */
  enterFn(cpu: Cpu, fn: string, skb?: number): void {
    cpu.callEntered();
    if (this.trace.enabled) this.#traceEnter(cpu, fn, skb);
  }

  // Kept out of enterFn() and exitFn(), which V8 inlines at every call: the smaller they are, the
  // more of the code around them it inlines too (each is called some 50 times per packet).
  #traceEnter(cpu: Cpu, fn: string, skb?: number): void {
    // Time that synchronous code charged before this call is spent before it (the CPU runs it
    // right after the step): the call really starts there.
    this.trace.enter(this.now + cpu.pendingCharge, cpu.id, traceContext(cpu), fn, skb);
  }

  #traceExit(cpu: Cpu, fn: string, skb?: number): void {
    this.trace.exit(this.now + cpu.pendingCharge, cpu.id, traceContext(cpu), fn, skb);
  }

  /**
   * Traces the return from a kernel function on a CPU.
   * @param cpu the CPU
   * @param fn the kernel symbol
   * @param skb the skb id, if the call is about one
   */
  exitFn(cpu: Cpu, fn: string, skb?: number): void {
    // A call that no step's cost covers still takes time: the floor calibration resolves.
    cpu.callReturned(this.#callNs);
    if (this.trace.enabled) this.#traceExit(cpu, fn, skb);
  }

  /**
   * Records a tracepoint hit on a CPU, in its current context, as trace_<event>() does.
   * @param cpu the CPU
   * @param event the event's name, such as `netif_receive_skb`
   * @param fields makes its fields, named as the event's TP_STRUCT__entry names them; called
   *   only when the event is recorded, so an untraced run builds none
   * @param arg what `fields` is called with: a module-level function and its argument build no
   *   closure per hit
   */
  tracepoint<A>(
    cpu: Cpu,
    event: string,
    fields: (arg: A) => Record<string, string | number>,
    arg?: A,
  ): void {
    if (this.trace.enabled) this.#tracepoint(cpu, event, fields, arg);
  }

  // A tracepoint hit while tracing: out of tracepoint(), which V8 inlines at every hit.
  #tracepoint<A>(
    cpu: Cpu,
    event: string,
    fields: (arg: A) => Record<string, string | number>,
    arg?: A,
  ): void {
    const session = this.trace.session;
    if (session && !session.has(event)) return;
    const ctx = cpu.context;
    const task = cpu.currentTask;
    this.trace.tracepoint({
      t: this.now + cpu.pendingCharge,
      cpu: cpu.id,
      ctx: ctx === "idle" ? "task" : ctx,
      task: task?.name ?? "<idle>",
      bhOff: (ctx === "task" && (task?.bhDisabled ?? 0) > 0) || cpu.held.bh > 0,
      irqsOff: ctx === "hardirq" || cpu.held.irqsOff > 0,
      // softirq and hard IRQ code run with a preempt count of one; locks add theirs
      preemptDepth: (ctx === "softirq" || ctx === "hardirq" ? 1 : 0) + cpu.held.preempt,
      event,
      fields: fields(arg as A),
    });
    // an enabled tracepoint writes its event into the ring buffer: that takes time
    // (fib_table_lookup's, with its strings and addresses, more than most)
    if (session) {
      cpu.chargeLater(
        this.costs.ns[event === "fib_table_lookup" ? "tracepointFibTableLookup" : "tracepoint"],
      );
    }
  }

  /**
   * Runs `body` holding a lock or with bottom halves or interrupts off, as trace_pipe's flags
   * then show: `bh` for local_bh_disable(), `preempt` for a spinlock, `irqsOff` for an
   * irqsave section.
   * @param cpu the CPU
   * @param what what is held
   * @param body the code
   * @returns what the body returns
   */
  holding<T>(cpu: Cpu, what: Partial<Cpu["held"]>, body: () => T): T {
    const h = cpu.held;
    h.bh += what.bh ?? 0;
    h.preempt += what.preempt ?? 0;
    h.irqsOff += what.irqsOff ?? 0;
    try {
      return body();
    } finally {
      h.bh -= what.bh ?? 0;
      h.preempt -= what.preempt ?? 0;
      h.irqsOff -= what.irqsOff ?? 0;
    }
  }

  /**
   * Runs `body` as one call of a kernel function: entry, the body, exit. Without a CPU the body
   * runs untraced (callers outside the receive path, such as a setup-time lookup).
   * @param cpu the CPU, or undefined for no trace
   * @param fn the kernel symbol
   * @param body the function's work
   * @param skb the skb id, if the call is about one
   * @returns what the body returns
   */
  traced<T>(cpu: Cpu | undefined, fn: string, body: () => T, skb?: number): T {
    if (!cpu) return body();
    this.enterFn(cpu, fn, skb);
    const r = body();
    this.exitFn(cpu, fn, skb);
    return r;
  }

  /**
   * Runs `fn` at absolute time `t` ns.
   * @param t the time
   * @param fn what to do
   */
  at(t: number, fn: () => void): void {
    this.events.schedule(t, fn);
  }

  /**
   * Runs `fn` for each item of a time-ordered sequence at the item's time, reading the sequence
   * as the clock reaches it ({@linkcode EventQueue.scheduleEach}): arrivals from a cursor, not a
   * queue of a million events.
   * @param items the items, in order of their times
   * @param timeOf an item's time, ns
   * @param fn what to do with an item at its time
   */
  atEach<T>(items: Iterable<T>, timeOf: (item: T) => number, fn: (item: T) => void): void {
    this.events.scheduleEach(items, timeOf, fn);
  }

  /**
   * Runs `fn` `dt` ns from now.
   * @param dt the delay
   * @param fn what to do
   */
  after(dt: number, fn: () => void): void {
    this.events.schedule(this.now + dt, fn);
  }

  /**
   * Advances the clock to `until` ns, running every event on the way.
   * @param until the end time
   * @returns events run
   */
  run(until: number): number {
    return this.events.runUntil(until);
  }
}
