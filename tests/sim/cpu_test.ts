import assert from "node:assert/strict";
import { Cpu, Task } from "../../lib/sim/cpu.ts";
import { EventQueue } from "../../lib/sim/events.ts";

function setup() {
  const q = new EventQueue();
  const cpu = new Cpu(0, q);
  const log: [number, string][] = [];
  return { q, cpu, log, note: (what: string) => log.push([q.now, what]) };
}

Deno.test("Cpu: a hardirq preempts a task, which ends later by the handler's time", () => {
  const { q, cpu, log, note } = setup();
  cpu.addTask(
    new Task(
      "reader",
      function* () {
        note("task start");
        yield 10_000;
        note("task end");
      }(),
    ),
  );
  q.schedule(3000, () =>
    cpu.raiseIrq("eth0", function* () {
      note("irq");
      yield 1000;
      note("irq end");
    }));
  q.runUntil(20_000);
  assert.deepEqual(log, [[0, "task start"], [3000, "irq"], [4000, "irq end"], [
    11_000,
    "task end",
  ]]);
  assert.deepEqual(cpu.time, { user: 10_000, system: 0, irq: 1000, softirq: 0 });
  assert.equal(cpu.idle, 9000);
});

Deno.test("Cpu: hardirq handlers do not nest; a second one waits for the first", () => {
  const { q, cpu, log, note } = setup();
  const handler = (name: string) =>
    function* () {
      note(`${name} start`);
      yield 1000;
      note(`${name} end`);
    };
  q.schedule(0, () => cpu.raiseIrq("a", handler("a")));
  q.schedule(500, () => cpu.raiseIrq("b", handler("b")));
  q.runUntil(5000);
  assert.deepEqual(log, [[0, "a start"], [1000, "a end"], [1000, "b start"], [2000, "b end"]]);
  assert.equal(cpu.irqCount, 2);
});

Deno.test("Cpu: two tasks share the CPU in 1.5 ms slices (sched_base_slice for 2 CPUs)", () => {
  const { q, cpu } = setup();
  const spin = () =>
    function* () {
      for (;;) yield 100_000;
    }();
  const a = new Task("a", spin()), b = new Task("b", spin());
  cpu.addTask(a);
  cpu.addTask(b);
  q.runUntil(30_000_000);
  assert.equal(a.runtime, 15_000_000);
  assert.equal(b.runtime, 15_000_000);
  assert.equal(cpu.contextSwitches, 21); // 20 slices, and the 21st begins at 30 ms
});

Deno.test("Cpu: user, system, irq, softirq and idle add up to the elapsed time", () => {
  const { q, cpu } = setup();
  cpu.addTask(
    new Task(
      "reader",
      function* () {
        yield 2000;
        yield { op: "system", ns: 3000 } as const;
      }(),
    ),
  );
  q.schedule(1000, () =>
    cpu.raiseIrq("x", function* () {
      yield 700;
    }));
  q.runUntil(100_000);
  const t = cpu.time;
  assert.deepEqual(t, { user: 2000, system: 3000, irq: 700, softirq: 0 });
  assert.equal(t.user + t.system + t.irq + t.softirq + cpu.idle, 100_000);
});

Deno.test("Cpu: a task that sleeps runs again when woken", () => {
  const { q, cpu, log, note } = setup();
  const t = new Task(
    "reader",
    function* () {
      yield { op: "sleep" } as const;
      note("woken");
    }(),
  );
  cpu.addTask(t);
  q.schedule(5000, () => t.wake());
  q.runUntil(10_000);
  assert.deepEqual(log, [[5000, "woken"]]);
  assert.equal(t.state, "exited");
  assert.equal(t.wakeups, 1);
});

Deno.test("Cpu: CPU time must be a non-negative integer", () => {
  const { cpu } = setup();
  const bad = new Task(
    "bad",
    function* () {
      yield 1.5;
    }(),
  );
  assert.throws(() => cpu.addTask(bad), {
    name: "RangeError",
    message: /Cannot run bad for 1.5 ns/,
  });
});

Deno.test("Cpu: steps that nothing can interrupt take no queued event, with the same times", () => {
  // ten steps of 1 us, the first queued from outside, the other nine spent at once; a hardirq
  // due in the middle still preempts the step it falls in, at its time
  const run = (irqAt: number | null) => {
    const { q, cpu, log, note } = setup();
    q.schedule(0, () =>
      cpu.addTask(
        new Task(
          "worker",
          function* () {
            for (let i = 0; i < 10; i++) {
              yield 1000;
              note(`step ${i}`);
            }
          }(),
        ),
      ));
    if (irqAt !== null) {
      q.schedule(irqAt, () =>
        cpu.raiseIrq("eth0", function* () {
          note("irq");
          yield 500;
        }));
    }
    const events = q.runUntil(100_000);
    return { events, log, time: cpu.time };
  };
  const quiet = run(null);
  assert.equal(quiet.events, 2); // the start and the first step's end
  assert.deepEqual(quiet.log.map(([t]) => t), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => k * 1000));
  const interrupted = run(3500);
  assert.deepEqual(interrupted.log.slice(3, 5), [[3500, "irq"], [4500, "step 3"]]);
  assert.deepEqual(interrupted.log.at(-1), [10_500, "step 9"]);
  assert.deepEqual(interrupted.time, { user: 10_000, system: 0, irq: 500, softirq: 0 });
});

Deno.test("Cpu: code that calls a CPU's loop from outside goes on at the time it called", () => {
  // a timer sending a packet wakes a task synchronously: the timer's code after the call must
  // still see its own time, so the task's first step is queued, not spent at once
  const { q, cpu, log, note } = setup();
  q.schedule(100, () => {
    cpu.addTask(
      new Task(
        "woken",
        function* () {
          yield 1000;
          note("woken step 0");
          yield 1000;
          note("woken step 1");
        }(),
      ),
    );
    note("timer goes on");
  });
  q.runUntil(10_000);
  assert.deepEqual(log, [[100, "timer goes on"], [1100, "woken step 0"], [2100, "woken step 1"]]);
  assert.equal(cpu.time.user, 2000);
});

Deno.test("Cpu.spendNow: in its own step, hardirq code spends its time at once, as yielding it would", () => {
  const { q, cpu, log, note } = setup();
  const spent: boolean[] = [];
  const handler = (inline: boolean) =>
    function* () {
      yield 100; // the first step ends by an event: from then on the CPU runs its own loop
      cpu.chargeLater(200);
      if (inline) spent.push(cpu.spendNow(300));
      else yield 300;
      note("after");
      yield 50;
    };
  q.schedule(0, () => cpu.raiseIrq("a", handler(true)));
  q.schedule(10_000, () => cpu.raiseIrq("b", handler(false)));
  q.runUntil(20_000);
  assert.deepEqual(spent, [true]);
  assert.deepEqual(log, [[600, "after"], [10_600, "after"]]);
  assert.equal(cpu.time.irq, 2 * 650);
});

Deno.test("Cpu.spendNow: an event within the time, a waiting interrupt or task context make the code yield", () => {
  const { q, cpu, log, note } = setup();
  const answers: boolean[] = [];
  cpu.raiseIrq("a", function* () {
    yield 100;
    answers.push(cpu.spendNow(1000)); // the event at 500 falls within
    yield 1000;
    note("a end");
  });
  q.schedule(500, () => note("event"));
  q.schedule(5000, () => {
    cpu.raiseIrq("b", function* () {
      yield 100;
      cpu.raiseIrq("c", function* () {
        note("c");
      });
      answers.push(cpu.spendNow(10)); // c waits to run after b
      yield 10;
    });
  });
  cpu.addTask(
    new Task(
      "reader",
      function* () {
        yield 20_000;
        answers.push(cpu.spendNow(10));
      }(),
    ),
  );
  q.runUntil(50_000);
  assert.deepEqual(answers, [false, false, false]);
  assert.deepEqual(log, [[500, "event"], [1100, "a end"], [5110, "c"]]);
});

Deno.test("Cpu.startAt: work started at t runs at the times an event at t gives it, without an event per step", () => {
  const run = (start: (q: EventQueue, cpu: Cpu, fn: () => void) => void) => {
    const { q, cpu, log, note } = setup();
    const sender = () =>
      cpu.addTask(
        new Task(
          "sender",
          function* () {
            note("send");
            yield 300;
            cpu.raiseIrq("eth0", function* () {
              note("irq");
              yield 200;
            });
            yield 100;
            note("sent");
          }(),
        ),
      );
    start(q, cpu, sender);
    const events = q.runUntil(10_000);
    return { log, time: { ...cpu.time }, events };
  };
  const byEvent = run((q, _cpu, fn) => q.schedule(1000, fn));
  const own = run((_q, cpu, fn) => cpu.startAt(1000, fn));
  assert.deepEqual(own.log, byEvent.log);
  assert.deepEqual(own.log, [[1000, "send"], [1300, "irq"], [1600, "sent"]]);
  assert.deepEqual(own.time, byEvent.time);
  assert.deepEqual([byEvent.events, own.events], [2, 1]); // the first step took an event of its own
});
