import assert from "node:assert/strict";
import { Task } from "../../lib/sim/cpu.ts";
import { Sim } from "../../lib/sim/sim.ts";
import {
  MAX_SOFTIRQ_RESTART,
  NET_RX_SOFTIRQ,
  Softirqs,
  TIMER_SOFTIRQ,
} from "../../lib/kernel/softirq.ts";

function setup(handlerNs: number, reraise: boolean, trace = false) {
  const sim = new Sim({
    cpus: 1,
    trace,
    costs: { softirqEntry: 0, contextSwitch: 0, call: 0, coldScale: 0 },
  });
  const softirqs = new Softirqs(sim, 250);
  softirqs.spawnKsoftirqd();
  const cpu = sim.cpus[0];
  const runs: [number, string][] = [];
  softirqs.openSoftirq(NET_RX_SOFTIRQ, {
    name: "net_rx_action",
    action: function* (c) {
      runs.push([sim.now, c.currentTask?.name ?? "irq"]);
      yield handlerNs;
      if (reraise) softirqs.raiseSoftirqIrqoff(c, NET_RX_SOFTIRQ);
    },
  });
  const irq = (at: number) =>
    sim.at(at, () =>
      cpu.raiseIrq("eth0", function* () {
        yield 1000;
        softirqs.raiseSoftirqIrqoff(cpu, NET_RX_SOFTIRQ);
      }));
  return { sim, softirqs, cpu, runs, irq };
}

Deno.test("a softirq raised in a hardirq runs at irq exit on the same CPU", () => {
  const { sim, softirqs, cpu, runs, irq } = setup(500, false);
  irq(2000);
  sim.run(10_000);
  assert.deepEqual(runs, [[3000, "irq"]]);
  assert.equal(softirqs.counts[0][NET_RX_SOFTIRQ], 1);
  assert.deepEqual(cpu.time, { user: 0, system: 0, irq: 1000, softirq: 500 });
  assert.equal(softirqs.ksoftirqd[0].wakeups, 0);
});

Deno.test("a hardirq during a softirq does not run softirqs at its exit (in_interrupt); the restart loop does", () => {
  const { sim, softirqs, runs, irq } = setup(5000, false);
  irq(0); // softirq runs 1000..6000
  irq(2000); // interrupts it; raises NET_RX again
  sim.run(100_000);
  assert.deepEqual(runs, [[1000, "irq"], [7000, "irq"]]); // second pass of the same __do_softirq
  assert.equal(softirqs.counts[0][NET_RX_SOFTIRQ], 2);
});

Deno.test("a softirq raised from task context wakes ksoftirqd to run it", () => {
  const { sim, softirqs, cpu, runs } = setup(500, false);
  cpu.addTask(
    new Task(
      "reader",
      function* () {
        yield 1000;
        softirqs.raiseSoftirqIrqoff(cpu, NET_RX_SOFTIRQ);
        yield 1000;
      }(),
    ),
  );
  sim.run(100_000);
  assert.equal(softirqs.ksoftirqd[0].wakeups, 1);
  assert.deepEqual(runs, [[2000, "ksoftirqd/0"]]);
});

Deno.test("local_bh_enable() runs the softirqs raised while bottom halves were off", () => {
  const { sim, cpu, runs, irq } = setup(500, false);
  cpu.addTask(
    new Task(
      "reader",
      function* () {
        yield { op: "local_bh_disable" } as const;
        yield 5000;
        yield { op: "local_bh_enable" } as const;
        yield 1000;
      }(),
    ),
  );
  irq(1000); // irq exit finds bottom halves disabled: nothing runs then
  sim.run(100_000);
  assert.deepEqual(runs, [[6000, "reader"]]);
});

Deno.test(`handle_softirqs() makes at most MAX_SOFTIRQ_RESTART (${MAX_SOFTIRQ_RESTART}) passes, then wakes ksoftirqd`, () => {
  const { sim, softirqs, runs, irq } = setup(10_000, true);
  irq(0);
  sim.run(2_000_000);
  const atIrqExit = runs.filter(([, who]) => who === "irq");
  assert.equal(atIrqExit.length, MAX_SOFTIRQ_RESTART);
  assert.equal(softirqs.handoffs[0] >= 1, true);
  assert.equal(runs[MAX_SOFTIRQ_RESTART][1], "ksoftirqd/0");
});

Deno.test("handle_softirqs() stops restarting at the MAX_SOFTIRQ_TIME deadline (next jiffy at HZ 250)", () => {
  // 2 ms rounds up to one 4 ms jiffy; passes of 1.5 ms from t=1 us: the third ends past 4 ms.
  const { sim, runs, irq } = setup(1_500_000, true);
  irq(0);
  sim.run(4_600_000);
  assert.deepEqual(runs.filter(([, who]) => who === "irq").map(([t]) => t), [
    1000,
    1_501_000,
    3_001_000,
  ]);
});

Deno.test("handle_softirqs() stops restarting when a task waits for the CPU (need_resched)", () => {
  const { sim, softirqs, cpu, runs } = setup(10_000, true);
  const reader = new Task(
    "reader",
    function* () {
      yield { op: "sleep" } as const;
      yield 1000;
    }(),
  );
  cpu.addTask(reader);
  softirqs.openSoftirq(TIMER_SOFTIRQ, {
    name: "run_timer_softirq",
    action: function* () {
      reader.wake();
    },
  });
  sim.at(0, () =>
    cpu.raiseIrq("eth0", function* () {
      softirqs.raiseSoftirqIrqoff(cpu, TIMER_SOFTIRQ);
      softirqs.raiseSoftirqIrqoff(cpu, NET_RX_SOFTIRQ);
    }));
  sim.run(15_000);
  // one pass, then the reader runs (10 to 11 us) before ksoftirqd takes the rest
  assert.deepEqual(runs.slice(0, 2), [[0, "irq"], [11_000, "ksoftirqd/0"]]);
  assert.equal(softirqs.handoffs[0], 1);
  assert.equal(softirqs.ksoftirqd[0].wakeups, 1);
});

Deno.test("the same seed gives the same trace, record for record", () => {
  const trace = () => {
    const { sim, irq } = setup(3000, false, true);
    for (let i = 0; i < 50; i++) irq(Math.floor(sim.rng.exponential(10_000)) + i * 20_000);
    sim.run(2_000_000);
    assert.ok(sim.trace.records.length > 100);
    return JSON.stringify(sim.trace.records);
  };
  assert.equal(trace(), trace());
});

Deno.test("Softirqs rejects a HZ the kernel cannot be built with", () => {
  assert.throws(() => new Softirqs(new Sim(), 200), { name: "RangeError", message: /HZ 200/ });
});

Deno.test("irq exit ends after the softirqs it ran (irq_exit_rcu → __do_softirq), in their context; at once without any", () => {
  const { sim, softirqs, cpu } = setup(500, false);
  const exits: [number, string][] = [];
  const onIrqExit = () => exits.push([sim.now + cpu.pendingCharge, cpu.context]);
  sim.at(0, () =>
    cpu.raiseIrq("eth0", function* () {
      yield 1000;
      softirqs.raiseSoftirqIrqoff(cpu, NET_RX_SOFTIRQ);
    }, onIrqExit));
  sim.at(5000, () =>
    cpu.raiseIrq("eth0", function* () {
      yield 1000;
    }, onIrqExit));
  sim.run(100_000);
  assert.deepEqual(exits, [[1500, "softirq"], [6000, "hardirq"]]);
});
