import assert from "node:assert/strict";
import { EventQueue } from "../../lib/sim/events.ts";

Deno.test("EventQueue runs events by time and equal times in scheduling order", () => {
  const q = new EventQueue();
  const log: string[] = [];
  for (const [t, name] of [[5, "b"], [1, "a"], [5, "c"], [3, "x"], [5, "d"]] as const) {
    q.schedule(t, () => log.push(`${q.now}:${name}`));
  }
  assert.equal(q.runUntil(10), 5);
  assert.deepEqual(log, ["1:a", "3:x", "5:b", "5:c", "5:d"]);
  assert.equal(q.now, 10);
});

Deno.test("EventQueue keeps FIFO order for events scheduled at the same time from an event", () => {
  const q = new EventQueue();
  const log: number[] = [];
  q.schedule(0, () => {
    for (let i = 0; i < 50; i++) q.schedule(7, () => log.push(i));
  });
  q.runUntil(7);
  assert.deepEqual(log, Array.from({ length: 50 }, (_, i) => i));
});

Deno.test("EventQueue.cancel() stops an event from firing", () => {
  const q = new EventQueue();
  let fired = false;
  const ev = q.schedule(2, () => (fired = true));
  q.cancel(ev);
  q.runUntil(5);
  assert.equal(fired, false);
});

Deno.test("EventQueue.schedule() rejects the past and non-integer times", () => {
  const q = new EventQueue();
  q.runUntil(100);
  assert.throws(() => q.schedule(50, () => {}), {
    name: "RangeError",
    message: /not before now \(100 ns\)/,
  });
  assert.throws(() => q.schedule(100.5, () => {}), RangeError);
});

Deno.test("EventQueue.runUntil() ends a model that never settles with an error, not a hang", () => {
  const q = new EventQueue();
  const again = () => q.schedule(q.now, again);
  q.schedule(0, again);
  assert.throws(() => q.runUntil(1, 1000), /does not settle/);
});
