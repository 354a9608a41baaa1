// Models kernel/softirq.c (Linux 6.18): softirq_vec and open_softirq(), raise_softirq(),
// handle_softirqs() with its restart and time limits, wakeup_softirqd() and the per-CPU
// ksoftirqd threads that spawn_ksoftirqd() starts.

import { InputRangeError } from "../base/errors.ts";
import type { Cpu, SoftirqEntry, Work } from "../sim/cpu.ts";
import { Task } from "../sim/cpu.ts";
import type { Sim } from "../sim/sim.ts";

/** Softirq vector numbers, include/linux/interrupt.h. */
export const HI_SOFTIRQ = 0;
/** Timer wheel expiry. */
export const TIMER_SOFTIRQ = 1;
/** Transmit completion and qdisc runs. */
export const NET_TX_SOFTIRQ = 2;
/** Receive processing: net_rx_action(). */
export const NET_RX_SOFTIRQ = 3;
/** Block I/O completion. */
export const BLOCK_SOFTIRQ = 4;
/** irq_poll. */
export const IRQ_POLL_SOFTIRQ = 5;
/** Tasklets. */
export const TASKLET_SOFTIRQ = 6;
/** Scheduler load balancing. */
export const SCHED_SOFTIRQ = 7;
/** High-resolution timers (unused on most configs). */
export const HRTIMER_SOFTIRQ = 8;
/** RCU callbacks. */
export const RCU_SOFTIRQ = 9;
/** Number of vectors (NR_SOFTIRQS). */
export const NR_SOFTIRQS = 10;
/** Vector names as /proc/softirqs prints them (softirq_to_name). */
export const SOFTIRQ_TO_NAME = [
  "HI",
  "TIMER",
  "NET_TX",
  "NET_RX",
  "BLOCK",
  "IRQ_POLL",
  "TASKLET",
  "SCHED",
  "HRTIMER",
  "RCU",
] as const;
/** Passes over the pending vectors before handing over to ksoftirqd (MAX_SOFTIRQ_RESTART). */
export const MAX_SOFTIRQ_RESTART = 10;
/** Time handle_softirqs() may keep restarting, ms (MAX_SOFTIRQ_TIME = msecs_to_jiffies(2)). */
export const MAX_SOFTIRQ_TIME_MS = 2;

/** A registered softirq handler (struct softirq_action) with the symbol it traces as. */
export interface SoftirqAction {
  /** The handler's symbol, such as `net_rx_action`. */
  name: string;
  /** The handler: runs on a CPU in softirq context. */
  action: (cpu: Cpu) => Work;
}

/**
 * The softirq engine of one host: vectors, per-CPU pending bits and counts, and ksoftirqd.
 * The CPUs ask it what to run at irq exit, local_bh_enable and in ksoftirqd.
 *
 * @example
 * ```ts
 * import { NET_RX_SOFTIRQ, Sim, Softirqs } from "@rxpath/rxpath";
 * const sim = new Sim({ cpus: 1 });
 * const softirqs = new Softirqs(sim, 250);
 * softirqs.spawnKsoftirqd();
 * softirqs.openSoftirq(NET_RX_SOFTIRQ, { name: "net_rx_action", action: function* () { yield 500; } });
 * sim.cpus[0].raiseIrq("virtio0-input.0", function* () {
 *   yield 1000;
 *   softirqs.raiseSoftirqIrqoff(sim.cpus[0], NET_RX_SOFTIRQ);
 * });
 * sim.run(10_000);
 * console.log(softirqs.counts[0][NET_RX_SOFTIRQ]); // 1: it ran at irq exit
 * ```
 */
export class Softirqs {
  /** The handlers by vector (softirq_vec). */
  readonly vec: (SoftirqAction | null)[] = new Array(NR_SOFTIRQS).fill(null);
  /** Pending bits per CPU (irq_stat.__softirq_pending). */
  readonly pendingBits: number[];
  /** Runs per CPU per vector, as /proc/softirqs counts them (kstat_incr_softirqs_this_cpu). */
  readonly counts: number[][];
  /** ksoftirqd/N per CPU, once spawned. */
  readonly ksoftirqd: Task[] = [];
  /** Passes of handle_softirqs() that ended by waking ksoftirqd, per CPU. */
  readonly handoffs: number[];
  readonly #sim: Sim;
  readonly #tickNs: number;
  readonly #maxSoftirqJiffies: number; // MAX_SOFTIRQ_TIME in jiffies

  /**
   * Makes the engine and plugs it into every CPU of the simulation.
   * @param sim the simulation
   * @param hz the kernel's tick rate (CONFIG_HZ); jiffies advance every 1e9/hz ns
   */
  constructor(sim: Sim, hz: number) {
    if (![100, 250, 300, 1000].includes(hz)) {
      throw new InputRangeError(`Cannot use HZ ${hz}: CONFIG_HZ is one of 100, 250, 300, 1000`);
    }
    this.#sim = sim;
    this.#tickNs = 1e9 / hz;
    // msecs_to_jiffies() rounds up: 2 ms is 1 jiffy at HZ 250, so the deadline is the next tick.
    this.#maxSoftirqJiffies = Math.ceil((MAX_SOFTIRQ_TIME_MS * 1e6) / this.#tickNs);
    const n = sim.cpus.length;
    this.pendingBits = new Array(n).fill(0);
    this.counts = Array.from({ length: n }, () => new Array(NR_SOFTIRQS).fill(0));
    this.handoffs = new Array(n).fill(0);
    for (const cpu of sim.cpus) {
      cpu.bottomHalves = {
        pending: (c) => this.pendingBits[c.id] !== 0,
        run: (c, from) => this.handleSoftirqs(c, from),
      };
    }
  }

  /** The jiffies counter now: ticks since the simulation started. */
  get jiffies(): number {
    return Math.floor(this.#sim.now / this.#tickNs);
  }

  /**
   * Registers a vector's handler, as open_softirq().
   * @param nr the vector
   * @param action the handler
   */
  openSoftirq(nr: number, action: SoftirqAction): void {
    this.#sim.enterFn(this.#sim.cpus[0], "open_softirq");
    this.vec[nr] = action;
    this.#sim.exitFn(this.#sim.cpus[0], "open_softirq");
  }

  /**
   * Marks a vector pending on a CPU, as raise_softirq_irqoff(): in interrupt context it runs at
   * the next irq exit; from task context ksoftirqd is woken to run it.
   * @param cpu the CPU, which must be the caller's
   * @param nr the vector
   */
  raiseSoftirqIrqoff(cpu: Cpu, nr: number): void {
    this.__raiseSoftirqIrqoff(cpu, nr);
    if (!cpu.inInterrupt()) this.wakeupSoftirqd(cpu);
  }

  /**
   * Marks a vector pending without waking anyone, as __raise_softirq_irqoff(): for callers
   * that know softirqs will be run soon anyway, such as net_rx_action() re-raising NET_RX.
   * @param cpu the CPU
   * @param nr the vector
   */
  __raiseSoftirqIrqoff(cpu: Cpu, nr: number): void {
    this.#sim.tracepoint(cpu, "softirq_raise", softirqFields, nr);
    this.pendingBits[cpu.id] |= 1 << nr;
  }

  /**
   * Wakes ksoftirqd on a CPU (wakeup_softirqd()).
   * @param cpu the CPU
   */
  wakeupSoftirqd(cpu: Cpu): void {
    this.ksoftirqd[cpu.id]?.wake();
  }

  /**
   * Runs the pending vectors, lowest number first, as handle_softirqs(): restarts while more
   * get raised, until MAX_SOFTIRQ_RESTART passes, the MAX_SOFTIRQ_TIME jiffies deadline, or a
   * task waiting to run (need_resched()); then leaves the rest to ksoftirqd.
   * @param cpu the CPU
   * @param from where softirq processing was entered
   * @returns the code to run in softirq context
   */
  *handleSoftirqs(cpu: Cpu, from: SoftirqEntry): Work {
    const sim = this.#sim;
    // irq exit and local_bh_enable enter through __do_softirq(), ksoftirqd through
    // run_ksoftirqd(); both run handle_softirqs() (6.8+)
    const fn = from === "ksoftirqd" ? "run_ksoftirqd" : "__do_softirq";
    sim.enterFn(cpu, fn);
    sim.enterFn(cpu, "handle_softirqs");
    if (!cpu.spendNow(sim.costs.ns.softirqEntry)) yield sim.costs.ns.softirqEntry;
    const end = this.jiffies + this.#maxSoftirqJiffies;
    let maxRestart = MAX_SOFTIRQ_RESTART;
    for (;;) {
      let pending = this.pendingBits[cpu.id];
      this.pendingBits[cpu.id] = 0;
      for (let nr = 0; pending !== 0; nr++, pending >>>= 1) {
        if ((pending & 1) === 0) continue;
        this.counts[cpu.id][nr]++;
        const h = this.vec[nr];
        if (!h) continue; // raised without a handler: the kernel would call NULL; we skip it
        sim.tracepoint(cpu, "softirq_entry", softirqFields, nr);
        sim.enterFn(cpu, h.name);
        yield* h.action(cpu);
        // time the handler charged without yielding is spent before the restart check
        if (!cpu.spendNow(0)) yield 0;
        sim.exitFn(cpu, h.name);
        sim.tracepoint(cpu, "softirq_exit", softirqFields, nr);
      }
      if (this.pendingBits[cpu.id] === 0) break;
      if (this.jiffies < end && !cpu.needResched() && --maxRestart > 0) continue;
      this.handoffs[cpu.id]++;
      this.wakeupSoftirqd(cpu);
      break;
    }
    sim.exitFn(cpu, "handle_softirqs");
    sim.exitFn(cpu, fn);
  }

  /**
   * Starts ksoftirqd/N on every CPU, as spawn_ksoftirqd() (an early_initcall) does through
   * smpboot_register_percpu_thread(): each sleeps until woken, then runs run_ksoftirqd() while
   * softirqs are pending, with cond_resched() between passes.
   */
  spawnKsoftirqd(): void {
    const sim = this.#sim;
    sim.enterFn(sim.cpus[0], "spawn_ksoftirqd");
    for (const cpu of sim.cpus) {
      const pending = this.pendingBits;
      const body = function* () {
        for (;;) {
          if (pending[cpu.id] === 0) {
            yield { op: "sleep" } as const;
            continue;
          }
          yield { op: "do_softirq" } as const;
          yield { op: "cond_resched" } as const;
        }
      };
      const task = new Task(`ksoftirqd/${cpu.id}`, body(), { kthread: true });
      task.state = "sleeping";
      cpu.addTask(task);
      this.ksoftirqd[cpu.id] = task;
    }
    sim.exitFn(sim.cpus[0], "spawn_ksoftirqd");
  }
}

// The fields of the softirq_raise, softirq_entry and softirq_exit events.
function softirqFields(nr: number): Record<string, string | number> {
  return { vec: nr, action: SOFTIRQ_TO_NAME[nr] };
}
