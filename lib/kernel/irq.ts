// Models the generic IRQ layer of kernel/irq/ (Linux 6.18) as the receive path meets it: an
// irq_desc per MSI-X vector with its action name, per-CPU counts (kstat_irqs) and
// smp_affinity, and the flow handler that counts and calls the action (handle_edge_irq).

import { InputRangeError } from "../base/errors.ts";
import type { Cpu, Work } from "../sim/cpu.ts";
import type { Sim } from "../sim/sim.ts";

/** One interrupt line (struct irq_desc with its irqaction). */
export interface IrqDesc {
  /** Linux IRQ number. */
  readonly irq: number;
  /** Interrupt chip name, such as `PCI-MSIX-0000:00:03.0`. */
  readonly chip: string;
  /** Hardware IRQ number in the chip's domain: the MSI-X vector index. */
  readonly hwirq: number;
  /** Flow type name shown after the hwirq (`edge` for MSI-X). */
  readonly flow: string;
  /** The action's name (request_irq()'s name), such as `virtio0-input.0`. */
  readonly action: string;
  /** CPUs the interrupt may be delivered to (/proc/irq/N/smp_affinity). */
  affinity: number[];
  /** Interrupts handled per CPU (kstat_irqs). */
  readonly counts: number[];
  /** The action's handler, run in hardirq context; null for a vector that never fires. */
  readonly handler: ((cpu: Cpu) => Work) | null;
}

/** What {@linkcode IrqController.requestIrq} needs. */
export interface IrqRequest {
  /** Chip name. */
  chip: string;
  /** MSI-X vector index. */
  hwirq: number;
  /** Action name. */
  action: string;
  /** Initial affinity: CPU ids. */
  affinity: number[];
  /** The handler, or null for a vector that is registered but not modelled as firing. */
  handler: ((cpu: Cpu) => Work) | null;
}

/** First IRQ number for MSI vectors: on x86, 0-15 are legacy ISA and 16-23 IO-APIC pins. */
export const FIRST_DYNAMIC_IRQ = 24;

/**
 * The interrupt controller of a host: allocates IRQ numbers, routes each interrupt to one CPU
 * of its affinity mask and runs its handler there in hardirq context.
 *
 * @example
 * ```ts
 * import { createHost } from "@rxpath/rxpath";
 * const host = createHost({ cpus: 2 });
 * const d = host.irqs.requestIrq({ chip: "PCI-MSIX-0000:00:03.0", hwirq: 1, action: "virtio0-input.0", affinity: [1], handler: function* () { yield 500; } });
 * host.irqs.fire(d);
 * host.sim.run(10_000);
 * console.log(d.counts); // [0, 1]
 * ```
 */
export class IrqController {
  /** Every line, by registration order. */
  readonly descs: IrqDesc[] = [];
  /** Local timer interrupts per CPU that the kit models (hrtimer expiries): the LOC row. */
  readonly localTimer: number[];
  /** Function call IPIs per CPU (the CAL row): RPS and remote wakeups. */
  readonly callFunction: number[];
  readonly #sim: Sim;
  readonly #entryNs: () => number;

  /**
   * Makes the controller of a simulation.
   * @param sim the simulation
   * @param entryNs CPU time of interrupt entry and exit around a handler
   */
  constructor(sim: Sim, entryNs: () => number) {
    this.#sim = sim;
    this.#entryNs = entryNs;
    this.localTimer = new Array(sim.cpus.length).fill(0);
    this.callFunction = new Array(sim.cpus.length).fill(0);
  }

  /**
   * Allocates an IRQ and installs its action, as request_irq() after MSI-X allocation.
   * @param req chip, vector, name, affinity and handler
   * @returns the descriptor
   * @throws {RangeError} for an affinity naming no CPU or a missing one
   */
  requestIrq(req: IrqRequest): IrqDesc {
    const desc: IrqDesc = {
      irq: FIRST_DYNAMIC_IRQ + this.descs.length,
      chip: req.chip,
      hwirq: req.hwirq,
      flow: "edge",
      action: req.action,
      affinity: [],
      counts: new Array(this.#sim.cpus.length).fill(0),
      handler: req.handler,
    };
    this.setAffinity(desc, req.affinity);
    this.descs.push(desc);
    return desc;
  }

  /**
   * Sets an IRQ's affinity, as writing /proc/irq/N/smp_affinity_list.
   * @param desc the IRQ
   * @param cpus CPU ids
   * @throws {RangeError} when the list is empty or names a CPU that does not exist
   */
  setAffinity(desc: IrqDesc, cpus: number[]): void {
    const n = this.#sim.cpus.length;
    if (cpus.length === 0 || cpus.some((c) => !Number.isInteger(c) || c < 0 || c >= n)) {
      throw new InputRangeError(
        `Cannot set smp_affinity of IRQ ${desc.irq} to [${cpus.join(",")}]: CPUs are 0 to ${n - 1}`,
      );
    }
    desc.affinity = [...new Set(cpus)].sort((a, b) => a - b);
  }

  /**
   * Raises the interrupt: it is delivered to one CPU of its affinity mask (x86 programs each
   * MSI to a single target; the kit takes the lowest CPU of the mask) and handled there.
   * @param desc the IRQ
   */
  fire(desc: IrqDesc): void {
    const handler = desc.handler;
    if (!handler) throw new Error(`BUG: IRQ ${desc.irq} (${desc.action}) fired with no handler`);
    const cpu = this.#sim.cpus[desc.affinity[0]];
    const sim = this.#sim, entryNs = this.#entryNs;
    raiseIrqTraced(sim, cpu, desc.action, COMMON_INTERRUPT, () => {
      desc.counts[cpu.id]++; // kstat_incr_irqs_this_cpu() in handle_edge_irq()
      return handleEdgeIrq(sim, cpu, entryNs(), handler(cpu));
    });
  }

  /**
   * Runs code in hardirq context on a CPU from its local APIC timer, as an hrtimer expiry
   * does (counted in the LOC row).
   * @param cpu the CPU
   * @param name the timer function's symbol, such as `napi_watchdog`
   * @param fn what it does
   */
  timerInterrupt(cpu: Cpu, name: string, fn: (cpu: Cpu) => Work): void {
    const sim = this.#sim, entryNs = this.#entryNs, counts = this.localTimer;
    raiseIrqTraced(sim, cpu, "LOC", APIC_TIMER_INTERRUPT, () => {
      counts[cpu.id]++;
      return hrtimerInterrupt(sim, cpu, entryNs, name, fn);
    });
  }
}

// The entry functions of a device interrupt and of the local APIC timer.
const COMMON_INTERRUPT: [string, string] = ["common_interrupt", "__common_interrupt"];
const APIC_TIMER_INTERRUPT: [string, string] = [
  "sysvec_apic_timer_interrupt",
  "__sysvec_apic_timer_interrupt",
];

// Each interrupt runs one of these shared generator functions: a generator function made anew
// per interrupt costs V8 about a microsecond to start.

// handle_edge_irq() → handle_irq_event() → the action.
function* handleEdgeIrq(sim: Sim, cpu: Cpu, entryNs: number, action: Work): Work {
  sim.enterFn(cpu, "handle_edge_irq");
  sim.enterFn(cpu, "handle_irq_event"); // → __handle_irq_event_percpu() → the action
  if (!cpu.spendNow(entryNs)) yield entryNs;
  yield* action;
  // charged time is spent inside the handler, before irq exit
  if (!cpu.spendNow(0)) yield 0;
  sim.exitFn(cpu, "handle_irq_event");
  sim.exitFn(cpu, "handle_edge_irq");
}

// hrtimer_interrupt() → the timer's function.
function* hrtimerInterrupt(
  sim: Sim,
  cpu: Cpu,
  entryNs: () => number,
  name: string,
  fn: (cpu: Cpu) => Work,
): Work {
  sim.enterFn(cpu, "hrtimer_interrupt");
  yield entryNs();
  sim.enterFn(cpu, name);
  yield* fn(cpu);
  sim.exitFn(cpu, name);
  sim.exitFn(cpu, "hrtimer_interrupt");
}

// The entry functions around the handler, then irq_exit_rcu() → __irq_exit_rcu().
function* irqEntry(sim: Sim, cpu: Cpu, outer: string, inner: string, handler: Work): Work {
  sim.enterFn(cpu, outer);
  sim.enterFn(cpu, inner);
  yield* handler;
  // time the handler charged is spent before the entry function returns
  if (!cpu.spendNow(0)) yield 0;
  sim.exitFn(cpu, inner);
  sim.enterFn(cpu, "irq_exit_rcu");
  sim.enterFn(cpu, "__irq_exit_rcu");
}

/**
 * Delivers a hard interrupt as x86 enters and leaves one: the entry function and the one it
 * runs on the IRQ stack (`common_interrupt` → `__common_interrupt`) around the handler, then
 * irq_exit_rcu() → __irq_exit_rcu(), which stay open over the softirqs run at irq exit
 * (invoke_softirq(), inlined, calls __do_softirq() there).
 * @param sim the simulation, for the trace
 * @param cpu the CPU taking the interrupt
 * @param action the action name, such as `virtio0-input.0` or `LOC`
 * @param entry the outer and inner entry functions
 * @param handler what runs inside them
 */
export function raiseIrqTraced(
  sim: Sim,
  cpu: Cpu,
  action: string,
  entry: [outer: string, inner: string],
  handler: () => Work,
): void {
  const [outer, inner] = entry;
  cpu.raiseIrq(action, () => irqEntry(sim, cpu, outer, inner, handler()), () => {
    sim.exitFn(cpu, "__irq_exit_rcu");
    sim.exitFn(cpu, "irq_exit_rcu");
    sim.exitFn(cpu, outer);
  });
}
