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

Deno.test("EventQueue.scheduleEach() fires items in the order scheduling them all at once would", () => {
  // Items tie with an event scheduled before them (it goes first) and one scheduled after them
  // (it goes after every item at that time), and with events items schedule at their own time.
  const order = (lazy: boolean) => {
    const q = new EventQueue();
    const log: string[] = [];
    q.schedule(5, () => log.push("before@5"));
    const items = [1, 5, 5, 9];
    const fire = (t: number, i: number) => {
      log.push(`item${i}@${t}`);
      q.schedule(q.now, () => log.push(`from-item${i}`));
    };
    if (lazy) q.scheduleEach(items.entries(), ([, t]) => t, ([i, t]) => fire(t, i));
    else items.forEach((t, i) => q.schedule(t, () => fire(t, i)));
    q.schedule(5, () => log.push("after@5"));
    q.runUntil(20);
    return log;
  };
  assert.deepEqual(order(true), order(false));
  assert.deepEqual(order(true).slice(0, 6), [
    "item0@1",
    "from-item0",
    "before@5",
    "item1@5",
    "item2@5",
    "after@5",
  ]);
});

Deno.test("EventQueue.scheduleEach() reads items as the clock reaches them, one in the queue", () => {
  const q = new EventQueue();
  let read = 0;
  const items = function* () {
    for (let t = 0; t < 1_000_000; t += 10) {
      read++;
      yield t;
    }
  };
  q.scheduleEach(items(), (t) => t, () => {});
  assert.equal(q.size, 1);
  q.runUntil(95);
  assert.equal(read, 11); // 0..90 fired, 100 waits
  assert.equal(q.size, 1);
});

Deno.test("EventQueue.scheduleEach() rejects an item whose time goes back, naming it", () => {
  const q = new EventQueue();
  q.scheduleEach([3, 8, 7], (t) => t, () => {});
  assert.throws(() => q.runUntil(10), {
    name: "RangeError",
    message: /item 2 at 7 ns: times must be integers in order \(the one before is at 8 ns\)/,
  });
});

Deno.test("EventQueue.advanceTo() moves the clock only when no event is due first", () => {
  const q = new EventQueue();
  const seen: boolean[] = [];
  q.schedule(10, () => {
    seen.push(q.advanceTo(20)); // the event at 20 was scheduled first: it must fire before
    seen.push(q.advanceTo(19)); // nothing due by 19
    seen.push(q.advanceTo(60)); // beyond runUntil's end
  });
  q.schedule(20, () => seen.push(q.now === 20));
  assert.equal(q.advanceTo(5), false); // not inside runUntil: no end to respect
  q.runUntil(50);
  assert.deepEqual(seen, [false, true, false, true]);
});

Deno.test("EventQueue.advanceTo() counts against runUntil's bound, so a runaway loop ends", () => {
  const q = new EventQueue();
  q.schedule(0, () => {
    while (q.advanceTo(q.now + 1));
  });
  assert.throws(() => q.runUntil(Infinity, 1000), /does not settle/);
});
