import assert from "node:assert/strict";
import { Rng } from "../../lib/sim/rng.ts";

Deno.test("Rng gives the same sequence for the same seed and another for another seed", () => {
  const draw = (seed: number) => {
    const r = new Rng(seed);
    return Array.from({ length: 100 }, () => r.nextU32());
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
});

Deno.test("Rng.int() stays in [0, n) and covers it", () => {
  const r = new Rng(1);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const v = r.int(10);
    assert.ok(v >= 0 && v < 10 && Number.isInteger(v));
    seen.add(v);
  }
  assert.equal(seen.size, 10);
  assert.throws(() => r.int(0), RangeError);
});

Deno.test("Rng.exponential() has the requested mean (within 3% over 100k draws)", () => {
  const r = new Rng(3);
  let sum = 0;
  for (let i = 0; i < 100_000; i++) sum += r.exponential(1000);
  assert.ok(Math.abs(sum / 100_000 - 1000) < 30, `mean ${sum / 100_000}`);
});
