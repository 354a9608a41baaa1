// The periodic tick (kernel/time/tick-sched.c, NO_HZ_IDLE): a busy CPU takes a local timer
// interrupt every jiffy and runs pending softirqs at its irq exit; an idle CPU has no tick.
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { Task } from "../../lib/sim/cpu.ts";
import { procInterrupts } from "../../lib/proc/interrupts.ts";

Deno.test("tick: a CPU running a task takes LOC every jiffy (4 ms at HZ 250), an idle one none", () => {
  const host = createHost({ cpus: 2 });
  const cpu0 = host.sim.cpus[0];
  cpu0.addTask(
    new Task(
      "app",
      (function* () {
        yield 20_000_000; // 20 ms of user time
      })(),
    ),
  );
  host.sim.run(40_000_000);
  // ticks at 4, 8, 12, 16 and 20 ms: the ticks' own time pushes the task's end past 20 ms;
  // at 24 ms the CPU idles and its tick stops
  assert.deepEqual(host.irqs.localTimer, [5, 0]);
  assert.match(procInterrupts(host).text, /^\s*LOC:\s+5\s+0\s+Local timer interrupts$/m);
});

Deno.test("tick: a softirq pending while a task runs is run at the tick's irq exit (invoke_softirq, 6.5+)", () => {
  const host = createHost({ cpus: 1 });
  const cpu = host.sim.cpus[0];
  let ran = 0;
  host.softirqs.openSoftirq(7, {
    name: "test_action",
    action: function* () {
      ran++;
      yield 1000;
    },
  });
  cpu.addTask(
    new Task(
      "app",
      (function* () {
        yield 1_000_000;
        host.softirqs.__raiseSoftirqIrqoff(cpu, 7); // pending, and no one woken
        yield 9_000_000;
      })(),
    ),
  );
  host.sim.run(3_999_999);
  assert.equal(ran, 0);
  host.sim.run(5_000_000);
  assert.equal(ran, 1);
  assert.ok(cpu.softirqTimeBy.irq_exit >= 1000);
});
