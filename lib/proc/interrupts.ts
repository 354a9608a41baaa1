// Models show_interrupts() of kernel/irq/proc.c and arch_show_interrupts() of
// arch/x86/kernel/irq.c (Linux 6.18): /proc/interrupts.

import type { Net } from "../core/net_namespace.ts";
import { FIRST_DYNAMIC_IRQ } from "../kernel/irq.ts";
import { TextView } from "../viz/display.ts";

/**
 * /proc/interrupts: "%*s" of prec+8 spaces and "CPU%-8d" per CPU; a row per IRQ with
 * "%*d:", " %10u" per CPU, " %8s" chip, " %*lu" hwirq, "-%-8s" flow and "  " action; then the
 * x86 rows the kit models: LOC (local timer: hrtimers such as napi_watchdog) and CAL
 * (function call IPIs). 6.18 puts the space before each count, not after as 6.12 did.
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, procInterrupts, VirtioNet } from "@rxpath/rxpath";
 * const host = createHost();
 * new VirtioNet(host);
 * console.log(procInterrupts(host).text);
 * ```
 */
export function procInterrupts(host: Net): TextView {
  const irqs = host.irqs;
  const cpus = host.sim.cpus.map((c) => c.id);
  let prec = 3;
  for (let j = 1000; prec < 10 && j <= FIRST_DYNAMIC_IRQ + irqs.descs.length; prec++) j *= 10;
  const counts = (v: number[]) => cpus.map((c) => " " + String(v[c]).padStart(10)).join("");
  const lines = [" ".repeat(prec + 8) + cpus.map((c) => `CPU${String(c).padEnd(8)}`).join("")];
  for (const d of irqs.descs) {
    lines.push(
      `${String(d.irq).padStart(prec)}:${counts(d.counts)} ${d.chip.padStart(8)} ` +
        `${String(d.hwirq).padStart(prec)}-${d.flow.padEnd(8)}  ${d.action}`,
    );
  }
  lines.push(`${"LOC".padStart(prec)}:${counts(irqs.localTimer)}   Local timer interrupts`);
  lines.push(`${"CAL".padStart(prec)}:${counts(irqs.callFunction)}   Function call interrupts`);
  return new TextView("/proc/interrupts", lines.join("\n") + "\n");
}
