// Tasks that tests put on a CPU to hold it in a known state.
import { Task } from "../../lib/sim/cpu.ts";

/**
 * A task that keeps bottom halves disabled for `ns`: softirqs raised on its CPU meanwhile wait
 * (irq exit finds in_interrupt() true) until its local_bh_enable().
 * @param ns how long, in ns
 * @returns the task, to add to a CPU
 */
export function bhOffTask(ns: number): Task {
  return new Task(
    "bh-off",
    function* () {
      yield { op: "local_bh_disable" } as const;
      yield ns;
      yield { op: "local_bh_enable" } as const;
    }(),
  );
}
