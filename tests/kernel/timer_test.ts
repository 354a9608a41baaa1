// The timer wheel of kernel/time/timer.c: calc_wheel_index() files a timer at a level by how far
// away it is and calc_index() rounds its expiry up to one unit of that level's granularity.
import assert from "node:assert/strict";
import { timerWheelExpiry, timerWheelLatest } from "../../lib/kernel/timer.ts";

Deno.test("calc_index(): a timer fires one granularity unit past its expiry — 10 jiffies on level 0 at 11, 250 on level 1 (8 wide) at 256", () => {
  assert.equal(timerWheelExpiry(1000, 1010), 1011);
  assert.equal(timerWheelExpiry(1000, 1250), 1256);
});

Deno.test("calc_wheel_index(): a timer further away than WHEEL_TIMEOUT_CUTOFF (63 << 24 jiffies) is filed at WHEEL_TIMEOUT_MAX", () => {
  // WHEEL_TIMEOUT_MAX = 63 << 24 less 8^8, rounded up on the last level (2^24 wide)
  assert.equal(timerWheelExpiry(0, 2_000_000_000), 63 * 2 ** 24);
  assert.equal(timerWheelExpiry(0, 63 * 2 ** 24 - 1), 63 * 2 ** 24);
});

Deno.test("timerWheelLatest(): no clock phase makes a timer fire later, and some makes it fire that late", () => {
  for (const delta of [0, 1, 10, 62, 63, 250, 503, 504, 7500, 32_255, 32_256, 2_000_000, 2e9]) {
    const latest = timerWheelLatest(delta);
    let worst = 0;
    for (let clk = 0; clk < 4096; clk++) {
      worst = Math.max(worst, timerWheelExpiry(clk * 37, clk * 37 + delta) - clk * 37);
    }
    assert.ok(worst <= latest, `${delta}: fired ${worst} jiffies on, past ${latest}`);
    if (delta < 32_256) assert.equal(worst, latest, `${delta}: no phase reaches ${latest}`);
  }
});
