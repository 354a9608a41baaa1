// A CPU with the kernel's three contexts and the rules between them:
// - a hard interrupt preempts softirq and task code; hardirq handlers do not nest (IRQs stay off
//   while one runs, kernel/irq/handle.c:handle_irq_event), so a second one waits for the first;
// - softirqs run at irq exit (kernel/softirq.c:irq_exit_rcu -> invoke_softirq), at
//   local_bh_enable (__local_bh_enable_ip -> do_softirq) and in ksoftirqd, never nested inside
//   each other (in_interrupt() is true while one runs);
// - tasks take turns on a per-CPU run queue.
// Code runs as generators: yielding a number of nanoseconds charges that much CPU time to the
// current context before the generator continues. What the bottom halves are is the kernel
// layer's business (lib/kernel/softirq.ts); this file only knows when they may run.

import { takeFirst } from "../base/arrays.ts";
import { InputRangeError, quoteValue } from "../base/errors.ts";
import type { EventQueue, SimEvent } from "./events.ts";
import type { Context } from "./trace.ts";

// chargeLater()'s refusal, out of the method itself, which V8 inlines at every charge
function badCharge(ns: number): never {
  throw new InputRangeError(`Cannot charge ${ns} ns: CPU time must be a non-negative integer`);
}

/** Code of a hardirq handler or a softirq run: yields ns of CPU time. */
export type Work = Generator<number, void, void>;

/** Something a task can ask the CPU for besides running for some time. */
export type TaskOp =
  | { op: "sleep" }
  | { op: "system"; ns: number }
  | { op: "local_bh_disable" }
  | { op: "local_bh_enable" }
  | { op: "do_softirq" }
  | { op: "cond_resched" };

/** A task's body: yields ns of CPU time (user time for a user task) or a {@linkcode TaskOp}. */
export type TaskBody = Generator<number | TaskOp, void, void>;

/** Where softirq processing starts, as kernel/softirq.c distinguishes it. */
export type SoftirqEntry = "irq_exit" | "local_bh_enable" | "ksoftirqd";

/** The kernel layer's softirq engine, as the CPU sees it. */
export interface BottomHalves {
  /** True when this CPU has softirqs pending (local_softirq_pending()). */
  pending(cpu: Cpu): boolean;
  /** The code that runs pending softirqs (handle_softirqs()). */
  run(cpu: Cpu, from: SoftirqEntry): Work;
}

/** CPU time per class, in ns, split as /proc/stat splits it. */
export interface CpuTime {
  /** User-mode task time. */
  user: number;
  /** Kernel-mode task time (system calls, kernel threads other than ksoftirqd's softirqs). */
  system: number;
  /** Hard interrupt handlers. */
  irq: number;
  /** Softirq handlers, wherever they ran (irq exit, local_bh_enable, ksoftirqd). */
  softirq: number;
}

type Charge = keyof CpuTime;

interface Frame {
  ctx: Context;
  work: Work | TaskBody;
  ending?: boolean;
  task?: Task;
  billTo?: Task;
  charge: Charge;
  remaining: number;
  since: number;
  event?: SimEvent;
  name: string;
  onIrqExit?: () => void;
  // called when the code returns, before the time it charged at its very end is spent
  onDone?: () => void;
}

/** Options of a {@linkcode Task}. */
export interface TaskOptions {
  /** Kernel thread (its time is system time) rather than a user task. */
  kthread?: boolean;
}

/**
 * A schedulable task pinned to one CPU: a user reader or a kernel thread such as ksoftirqd.
 *
 * @example
 * ```ts
 * import { Cpu, EventQueue, Task } from "@rxpath/rxpath";
 * const q = new EventQueue();
 * const cpu = new Cpu(0, q);
 * const t = new Task("reader", function* () { yield 1000; }(), { kthread: false });
 * cpu.addTask(t);
 * q.runUntil(10_000);
 * console.log(cpu.time.user); // 1000
 * ```
 */
export class Task {
  /** Name as ps shows it (comm), such as `ksoftirqd/0`. */
  readonly name: string;
  /** Kernel thread or user task. */
  readonly kthread: boolean;
  /** Scheduling state. */
  state: "runnable" | "running" | "sleeping" | "exited" = "runnable";
  /** CPU time this task used, in ns (softirqs it ran included). */
  runtime = 0;
  /** How many times it was woken from sleep. */
  wakeups = 0;
  /** Depth of local_bh_disable() nesting. */
  bhDisabled = 0;
  /** The CPU it is pinned to, set by {@linkcode Cpu.addTask}. */
  cpu?: Cpu;
  /** The task's code. */
  readonly body: TaskBody;

  /**
   * Makes a task; it runs once added to a CPU.
   * @param name the task's name
   * @param body its code
   * @param options kernel thread or user task
   */
  constructor(name: string, body: TaskBody, options: TaskOptions = {}) {
    this.name = name;
    this.body = body;
    this.kthread = options.kthread ?? false;
  }

  /**
   * Wakes the task if it sleeps (try_to_wake_up()); returns whether it was asleep.
   * @returns true when the task was sleeping and is now runnable
   */
  wake(): boolean {
    if (this.state !== "sleeping") return false;
    this.state = "runnable";
    this.wakeups++;
    this.cpu!.enqueue(this);
    return true;
  }
}

/** Options of a {@linkcode Cpu}. */
export interface CpuOptions {
  /** Time slice of the task scheduler, ns; default 1.5 ms (see below). */
  sliceNs?: number;
  /** Cost of switching between two tasks, ns, charged as system time; default 0. */
  contextSwitchNs?: number;
  /** Shared with the simulation: which CPU's code is executing right now. */
  running?: { cpu?: Cpu };
}

// what a frame's code gives once it has returned and only its last charge is left to spend
const FRAME_ENDED: IteratorReturnResult<void> = { done: true, value: undefined };

// kernel/sched/fair.c: sysctl_sched_base_slice is 0.75 ms scaled by 1 + ilog2(ncpus)
// (update_sysctl, SCHED_TUNABLESCALING_LOG); on the 2-CPU machines this kit targets, 1.5 ms.
const DEFAULT_SLICE_NS = 1_500_000;

/**
 * One CPU: runs hardirq, softirq and task code by the kernel's preemption rules and accounts
 * its time per context.
 *
 * @example
 * ```ts
 * import { Cpu, EventQueue } from "@rxpath/rxpath";
 * const q = new EventQueue();
 * const cpu = new Cpu(0, q);
 * cpu.raiseIrq("virtio0-input.0", function* () { yield 800; });
 * q.runUntil(1000);
 * console.log(cpu.time.irq); // 800
 * ```
 */
export class Cpu {
  /** CPU number. */
  readonly id: number;
  /**
   * What the running code holds beyond its context, as trace_pipe's flags show it: extra
   * local_bh_disable() depth (rcu_read_lock_bh(), icmp_xmit_lock()), spinlocks taken (the
   * preempt count), and irqs-off sections (spin_lock_irqsave()).
   */
  readonly held: { bh: number; preempt: number; irqsOff: number } = {
    bh: 0,
    preempt: 0,
    irqsOff: 0,
  };
  /** Told when the CPU leaves idle for work: NO_HZ_IDLE restarts its tick then. */
  onIdleExit?: (cpu: Cpu) => void;
  /**
   * The cold-CPU model: the factor on every cost of a busy period that began after `idleNs` of
   * idle (caches, TLBs and predictors gone cold, a virtual CPU woken from halt); null for none.
   */
  coldFactor: ((idleNs: number) => number) | null = null;
  #idleSince = 0;
  #factor = 1;
  /** The softirq engine; without one, irq exit and local_bh_enable run nothing. */
  bottomHalves?: BottomHalves;
  /** CPU time used per class, ns. */
  readonly time: CpuTime = { user: 0, system: 0, irq: 0, softirq: 0 };
  /** Softirq time by where it ran: "irq_exit", "do_softirq" (local_bh_enable), "run_ksoftirqd". */
  readonly softirqTimeBy: Record<string, number> = { irq_exit: 0, do_softirq: 0, run_ksoftirqd: 0 };
  /** Hard interrupts handled. */
  irqCount = 0;
  /** Context switches between tasks. */
  contextSwitches = 0;
  readonly #q: EventQueue;
  readonly #slice: number;
  readonly #switchCost: number;
  #stack: Frame[] = [];
  #pendingIrqs: { name: string; handler: () => Work; onIrqExit?: () => void }[] = [];
  #runqueue: Task[] = [];
  #lastTask?: Task;
  #sliceUsed = 0;
  #looping = false;
  // the running loop began at this CPU's own event: nothing else waits on the call stack
  #ownEvent = false;
  // startAt()'s code is running: the loop it would start waits until it returns (#startWanted)
  #starting = false;
  #startWanted = false;
  #debt = 0;
  // When the last traced call began (virtual time with pending charges) while no call has
  // returned since, else -1
  #callAt = -1;
  #running: { cpu?: Cpu };

  /**
   * Makes a CPU on an event queue.
   * @param id the CPU number
   * @param queue the simulation's event queue
   * @param options scheduler settings
   */
  constructor(id: number, queue: EventQueue, options: CpuOptions = {}) {
    this.id = id;
    this.#q = queue;
    this.#slice = options.sliceNs ?? DEFAULT_SLICE_NS;
    // a slice of no time would let a task run forever without the clock moving
    if (!Number.isSafeInteger(this.#slice) || this.#slice < 1) {
      throw new InputRangeError(
        `Cannot make CPU ${id} with a time slice of ${
          quoteValue(options.sliceNs)
        } ns: at least 1 ns`,
      );
    }
    this.#switchCost = options.contextSwitchNs ?? 0;
    this.#running = options.running ?? {};
  }

  /** The context running now, or "idle". */
  get context(): Context | "idle" {
    const stack = this.#stack;
    return stack.length ? stack[stack.length - 1].ctx : "idle";
  }

  /** CPU time charged by synchronous code (chargeLater()) and not yet spent, ns. */
  get pendingCharge(): number {
    return this.#debt;
  }

  /** Nothing runs and nothing waits to run: the CPU sits in its idle loop. */
  get isIdle(): boolean {
    return this.#stack.length === 0 && this.#runqueue.length === 0;
  }

  /** The task whose context is on the CPU (possibly interrupted), if any. */
  get currentTask(): Task | undefined {
    return this.#stack[0]?.task;
  }

  /** Idle time in ns up to now: the time not charged to any class. */
  get idle(): number {
    const t = this.time;
    return this.#q.now - t.user - t.system - t.irq - t.softirq - this.#inFlight();
  }

  /**
   * Charges CPU time from code that runs without yielding (a chain of kernel calls made inside
   * one step): the time is added to the running context's next step, or to the end of its
   * current code.
   * @param ns CPU time, a non-negative integer
   */
  chargeLater(ns: number): void {
    if (!Number.isSafeInteger(ns) || ns < 0) badCharge(ns);
    this.#debt += this.#scaled(ns);
  }

  /**
   * Spends `ns` and the time charged so far at once, as the running hardirq or softirq code
   * yielding `ns` would, when nothing can happen before they end: no interrupt waits and no
   * event falls within them. Saves the step — a resume of every generator the code is nested
   * in. Written `if (!cpu.spendNow(ns)) yield ns;`.
   * @param ns CPU time, a non-negative integer
   * @returns false, with nothing spent, when something could happen first: the code must yield
   *   `ns` instead
   */
  spendNow(ns: number): boolean {
    const top = this.#top();
    if (
      !this.#ownEvent || this.#pendingIrqs.length > 0 || !top || top.ctx === "task" ||
      top.remaining > 0 || top.ending || !Number.isSafeInteger(ns) || ns < 0
    ) {
      return false;
    }
    const total = this.#scaled(ns) + this.#debt;
    if (total === 0) return true;
    if (!this.#q.advanceTo(this.#q.now + total)) return false;
    top.remaining = total;
    this.#debt = 0;
    this.#spent(top);
    return true;
  }

  /**
   * Notes that a traced kernel call begins here (`Sim.enterFn()`).
   */
  callEntered(): void {
    this.#callAt = this.#q.now + this.#debt;
  }

  /**
   * Notes that a traced kernel call returns (`Sim.exitFn()`): a call that took no time
   * is charged `floorNs`. Only a call that made none (a leaf: the last entry is its own) can
   * have, as each call it made took at least the floor.
   * @param floorNs the least time a call takes
   */
  callReturned(floorNs: number): void {
    const at = this.#callAt;
    if (at < 0) return; // a call that made calls: each of them took the floor at least
    this.#callAt = -1;
    if (at === this.#q.now + this.#debt) this.#chargeFloor(floorNs);
  }

  // A leaf call took no time: it takes the floor, unless nothing runs (setup code outside any
  // context). Out of callReturned(), which V8 inlines at every traced call.
  #chargeFloor(floorNs: number): void {
    if (this.#stack.length > 0) this.chargeLater(floorNs);
  }

  /**
   * Tells whether a waiting task should get the CPU (need_resched()): one is queued and the CPU
   * idles or the running task used up its slice. Simplified: no wakeup preemption by vruntime.
   * @returns true when softirq processing should stop restarting and yield
   */
  needResched(): boolean {
    if (this.#runqueue.length === 0) return false;
    return this.currentTask === undefined || this.#sliceUsed >= this.#slice;
  }

  /**
   * Tells whether softirqs may not start here now: in hardirq or softirq context, or in a task
   * that disabled bottom halves (include/linux/preempt.h: in_interrupt()).
   * @returns true when softirqs must wait
   */
  inInterrupt(): boolean {
    return this.#inInterrupt(this.#stack.length);
  }

  // in_interrupt() as the bottom `depth` frames of the stack see it
  #inInterrupt(depth: number): boolean {
    const stack = this.#stack;
    for (let i = 0; i < depth; i++) if (stack[i].ctx !== "task") return true;
    return (this.currentTask?.bhDisabled ?? 0) > 0;
  }

  /**
   * Delivers a hard interrupt to this CPU: it preempts anything but another hardirq, which it
   * waits for. After the handler, irq exit runs pending softirqs unless in_interrupt().
   * @param name the interrupt's action name, such as `virtio0-input.0`
   * @param handler the handler's code
   * @param onIrqExit called when irq exit is over: at once in hardirq context, or after the
   *   softirqs it ran, in theirs (a tracer closes the interrupt's entry functions there)
   */
  raiseIrq(name: string, handler: () => Work, onIrqExit?: () => void): void {
    if (this.#stack.length === 0 && !this.#looping) this.#idleExit();
    this.#pendingIrqs.push({ name, handler, onIrqExit });
    if (this.#looping || this.context === "hardirq") return;
    this.#preemptTop();
    this.#start();
  }

  /**
   * Runs `fn` at time `t` as an event of this CPU's own: the work it starts here (a task it adds,
   * an interrupt it raises) runs once `fn` returns, at the same time, and steps that nothing can
   * interrupt spend their time at once, as in any step's end, not each at an event of its own.
   * For code that ends by starting work here, such as handing a sender task its frame.
   * @param t the time, ns
   * @param fn the code: nothing it does after starting work here may depend on that work
   */
  startAt(t: number, fn: () => void): void {
    this.#q.schedule(t, () => {
      let wanted = false;
      this.#starting = true;
      try {
        fn();
      } finally {
        this.#starting = false;
        wanted = this.#startWanted;
        this.#startWanted = false;
      }
      if (wanted) this.#ownLoop();
    });
  }

  // Runs the loop for work just started here, or, inside startAt()'s code, once that returns.
  #start(): void {
    if (this.#starting) this.#startWanted = true;
    else this.#loop();
  }

  /**
   * Puts a task on this CPU's run queue, pinning it here.
   * @param task the task
   */
  addTask(task: Task): void {
    task.cpu = this;
    if (task.state === "runnable") this.enqueue(task);
  }

  /**
   * Queues a runnable task and, if the CPU idles, runs it.
   * @param task the task, already runnable and pinned here
   */
  enqueue(task: Task): void {
    if (this.#stack.length === 0 && !this.#looping) this.#idleExit();
    this.#runqueue.push(task);
    if (!this.#looping && this.#stack.length === 0) this.#start();
  }

  // Leaving idle: this busy period's costs take the cold factor of the idle time behind it.
  #idleExit(): void {
    this.#factor = this.coldFactor?.(this.#q.now - this.#idleSince) ?? 1;
    this.onIdleExit?.(this);
  }

  // A cost as this busy period pays it.
  #scaled(ns: number): number {
    return this.#factor === 1 ? ns : Math.round(ns * this.#factor);
  }

  #inFlight(): number {
    const top = this.#top();
    return top?.event ? this.#q.now - top.since : 0;
  }

  #push(ctx: Context, work: Work | TaskBody, charge: Charge, name: string, task?: Task): Frame {
    // every field set from the start: frames all share one shape, which V8 reads fastest
    const f: Frame = {
      ctx,
      work,
      ending: false,
      task,
      billTo: undefined,
      charge,
      remaining: 0,
      since: this.#q.now,
      event: undefined,
      name,
      onIrqExit: undefined,
      onDone: undefined,
    };
    this.#stack.push(f);
    return f;
  }

  // The frame running now, if any.
  #top(): Frame | undefined {
    const stack = this.#stack;
    return stack.length > 0 ? stack[stack.length - 1] : undefined;
  }

  #account(f: Frame, ns: number): void {
    // a store per class: one keyed store for all four went megamorphic in V8
    const t = this.time;
    switch (f.charge) {
      case "user":
        t.user += ns;
        break;
      case "system":
        t.system += ns;
        break;
      case "irq":
        t.irq += ns;
        break;
      case "softirq":
        t.softirq += ns;
    }
    if (f.ctx === "softirq") {
      // a store per entry too: one store by the entry's name went megamorphic
      const by = this.softirqTimeBy;
      switch (f.name) {
        case "irq_exit":
          by.irq_exit += ns;
          break;
        case "do_softirq":
          by.do_softirq += ns;
          break;
        case "run_ksoftirqd":
          by.run_ksoftirqd += ns;
      }
    }
    const task = f.task ?? f.billTo;
    if (!task) return;
    task.runtime += ns;
    this.#sliceUsed += ns;
  }

  #preemptTop(): void {
    const top = this.#top();
    if (!top?.event) return;
    this.#q.cancel(top.event);
    top.event = undefined;
    const elapsed = this.#q.now - top.since;
    this.#account(top, elapsed);
    top.remaining -= elapsed;
  }

  // The event that ends the running frame's step: a preemption cancels it, so when it fires the
  // frame that scheduled it is still on top.
  readonly #stepEnd = () => {
    this.#spent(this.#top()!);
    this.#ownLoop();
  };

  // The loop, run at an event of this CPU's own: nothing else waits on the call stack, so steps
  // nothing can interrupt may spend their time at once.
  #ownLoop(): void {
    this.#ownEvent = true;
    try {
      this.#loop();
    } finally {
      this.#ownEvent = false;
    }
  }

  #loop(): void {
    this.#looping = true;
    try {
      while (this.#stepOnce());
    } finally {
      this.#looping = false;
    }
  }

  // One decision; returns false once an event is scheduled or the CPU idles.
  #stepOnce(): boolean {
    const top = this.#top();
    if (this.#pendingIrqs.length > 0 && top?.ctx !== "hardirq") {
      const irq = takeFirst(this.#pendingIrqs)!;
      this.irqCount++;
      this.#push("hardirq", irq.handler(), "irq", irq.name).onIrqExit = irq.onIrqExit;
      return true;
    }
    if (!top) return this.#schedule();
    if (top.remaining > 0) {
      const end = this.#q.now + top.remaining;
      // nothing can happen before the step ends: spend its time at once, no event needed
      // (only in a loop this CPU's own event started: code that called in from outside, such
      // as a timer sending a packet, goes on at the time it was called when the loop returns)
      if (this.#ownEvent && this.#pendingIrqs.length === 0 && this.#q.advanceTo(end)) {
        this.#spent(top);
        return true;
      }
      top.since = this.#q.now;
      top.event = this.#q.schedule(end, this.#stepEnd);
      return false;
    }
    let r: IteratorResult<number | TaskOp, void | number>;
    if (top.ending) r = FRAME_ENDED;
    else {
      // smp_processor_id() for the code that runs now; a nested CPU loop (an IPI) restores it
      const running = this.#running;
      const before = running.cpu;
      running.cpu = this;
      try {
        r = top.work.next();
      } finally {
        running.cpu = before;
      }
      if (r.done) top.onDone?.();
    }
    if (r.done) {
      if (this.#debt > 0) {
        // Time charged by synchronous code at the very end: run it in this frame's context.
        top.remaining = this.#debt;
        this.#debt = 0;
        top.ending = true;
        return true;
      }
      if (top.ctx === "hardirq") this.#irqExit(top);
      else {
        this.#stack.pop();
        if (top.task) top.task.state = "exited";
      }
      return true;
    }
    const v = r.value;
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v) || v < 0) {
        throw new InputRangeError(
          `Cannot run ${top.name} for ${v} ns: CPU time must be a non-negative integer`,
        );
      }
      top.charge = top.ctx === "task" ? (top.task!.kthread ? "system" : "user") : top.charge;
      top.remaining = this.#scaled(v) + this.#debt;
      this.#debt = 0;
      return true;
    }
    return this.#taskOp(top, v);
  }

  #taskOp(top: Frame, v: TaskOp): boolean {
    const task = top.task;
    if (!task) throw new Error(`BUG: ${top.name} in ${top.ctx} context asked for ${v.op}`);
    switch (v.op) {
      case "sleep":
        this.#stack.pop();
        task.state = "sleeping";
        return true;
      case "system":
        top.charge = "system";
        top.remaining = this.#scaled(v.ns);
        return true;
      case "local_bh_disable":
        task.bhDisabled++;
        return true;
      case "local_bh_enable":
        if (--task.bhDisabled < 0) {
          throw new Error(`BUG: ${task.name} enabled bottom halves more than it disabled them`);
        }
        if (task.bhDisabled === 0 && this.bottomHalves?.pending(this)) {
          this.#push(
            "softirq",
            this.bottomHalves.run(this, "local_bh_enable"),
            "softirq",
            "do_softirq",
          );
        }
        return true;
      case "do_softirq":
        if (this.bottomHalves?.pending(this)) {
          const run = this.bottomHalves.run(this, "ksoftirqd");
          // ksoftirqd's own runtime includes the softirqs it ran
          this.#push("softirq", run, "softirq", "run_ksoftirqd").billTo = task;
        }
        return true;
      case "cond_resched":
        if (this.needResched()) this.#requeueCurrent();
        return true;
    }
  }

  // The step of frame f has run its time.
  #spent(f: Frame): void {
    f.event = undefined;
    this.#account(f, f.remaining);
    f.remaining = 0;
    if (
      f.task && this.#stack.length === 1 && this.#sliceUsed >= this.#slice &&
      this.#runqueue.length > 0
    ) {
      this.#requeueCurrent(); // the slice ran out and someone waits: scheduler_tick -> resched_curr
    }
  }

  #requeueCurrent(): void {
    const f = this.#stack.pop()!;
    f.task!.state = "runnable";
    this.#runqueue.push(f.task!);
  }

  // irq_exit_rcu -> invoke_softirq: pending softirqs run unless the interrupt landed in softirq
  // context or a bh-disabled section.
  #irqExit(f: Frame): void {
    const runSoftirqs = this.bottomHalves?.pending(this) &&
      !this.#inInterrupt(this.#stack.length - 1);
    if (!runSoftirqs) f.onIrqExit?.();
    this.#stack.pop();
    if (!runSoftirqs) return;
    const run = this.bottomHalves!.run(this, "irq_exit");
    this.#push("softirq", run, "softirq", "irq_exit").onDone = f.onIrqExit;
  }

  #schedule(): boolean {
    const next = takeFirst(this.#runqueue);
    if (!next) {
      this.#idleSince = this.#q.now;
      return false;
    }
    next.state = "running";
    if (next !== this.#lastTask) {
      this.contextSwitches++;
      this.#sliceUsed = 0;
    } else if (this.#sliceUsed >= this.#slice) {
      this.#sliceUsed = 0;
    }
    const f = this.#push("task", next.body, next.kthread ? "system" : "user", next.name, next);
    if (next !== this.#lastTask && this.#lastTask !== undefined && this.#switchCost > 0) {
      f.charge = "system";
      f.remaining = this.#scaled(this.#switchCost);
    }
    this.#lastTask = next;
    return true;
  }
}
