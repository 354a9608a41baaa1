// Models the periodic tick of kernel/time/tick-sched.c (Linux 6.18, CONFIG_NO_HZ_IDLE as Debian
// builds it): on a CPU with work, tick_sched_timer() fires every jiffy (1/HZ s, on jiffy
// boundaries) as a local timer interrupt, counted in the LOC row of /proc/interrupts; a CPU that
// goes idle stops its tick (tick_nohz_idle_stop_tick()) and starts it again when work arrives.
// Since 6.5 (the revert of "softirq: Let ksoftirqd do its job") the irq exit of every interrupt,
// the tick's included, runs pending softirqs even while ksoftirqd is awake (invoke_softirq()).

import type { Cpu, Work } from "../sim/cpu.ts";
import type { Sim } from "../sim/sim.ts";
import type { IrqController } from "./irq.ts";

/**
 * Starts the tick on every CPU of a machine: each CPU, whenever it leaves idle, gets
 * tick_sched_timer() at every jiffy boundary until it is idle at one.
 * @param sim the simulation
 * @param irqs the interrupt controller, which counts LOC
 * @param hz CONFIG_HZ
 * @example
 * ```ts
 * import { createHost } from "@rxpath/rxpath";
 * const host = createHost({ cpus: 1 }); // the tick runs from boot
 * host.sim.cpus[0].raiseIrq("demo", function* () { yield 10_000_000; }); // 10 ms in hardirq
 * host.sim.run(20_000_000);
 * console.log(host.irqs.localTimer[0]); // 2: the ticks at 4 and 8 ms, then the CPU idled
 * ```
 */
export function tickSchedInit(sim: Sim, irqs: IrqController, hz: number): void {
  const tickNs = 1e9 / hz;
  const armed = sim.cpus.map(() => false);
  const arm = (cpu: Cpu) => {
    if (armed[cpu.id]) return;
    armed[cpu.id] = true;
    const next = (Math.floor(sim.now / tickNs) + 1) * tickNs;
    sim.events.schedule(Math.round(next), () => {
      armed[cpu.id] = false;
      if (cpu.isIdle) return; // NO_HZ_IDLE: an idle CPU's tick stays stopped
      irqs.timerInterrupt(cpu, "tick_sched_timer", () => tickSchedTimer(sim));
      arm(cpu);
    });
  };
  for (const cpu of sim.cpus) cpu.onIdleExit = arm;
}

// tick_sched_timer(): the tick's work, one shared generator function (a new one per tick would
// cost V8 a microsecond to start).
function* tickSchedTimer(sim: Sim): Work {
  yield sim.costs.ns.tick;
}
