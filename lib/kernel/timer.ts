// Models the timer wheel of kernel/time/timer.c (Linux 6.18): when a timer_list armed for
// `expires` (jiffies) fires. calc_wheel_index() files it in a level by how far away it is —
// level n holds timers up to 63 << 3n jiffies ahead, in buckets 8^n jiffies wide — and
// calc_index() rounds the expiry up to the next bucket boundary, one unit past it, so a timer
// never fires early: a delayed ACK armed for 10 jiffies fires 11 ticks on, a one-second
// retransmission timer up to 8 ticks late.

// LVL_CLK_SHIFT and LVL_DEPTH (HZ > 100)
const LVL_CLK_SHIFT = 3;
const LVL_DEPTH = 9;
const LVL_SIZE = 64;
// WHEEL_TIMEOUT_CUTOFF, LVL_START(LVL_DEPTH): what the wheel can hold; a timer further away is
// filed at WHEEL_TIMEOUT_MAX, the cutoff less the last level's granularity
const WHEEL_TIMEOUT_CUTOFF = (LVL_SIZE - 1) * 2 ** ((LVL_DEPTH - 1) * LVL_CLK_SHIFT);
const WHEEL_TIMEOUT_MAX = WHEEL_TIMEOUT_CUTOFF - 2 ** ((LVL_DEPTH - 1) * LVL_CLK_SHIFT);

/**
 * The tick a timer fires at, as calc_wheel_index() files it.
 * @param clk the timer base's clock now, jiffies
 * @param expires when the timer is due, jiffies
 * @returns the jiffy its bucket expires at
 * @example
 * ```ts
 * import { timerWheelExpiry } from "@rxpath/rxpath";
 * console.log(timerWheelExpiry(1000, 1010), timerWheelExpiry(1000, 1250)); // 1011 1256
 * ```
 */
export function timerWheelExpiry(clk: number, expires: number): number {
  const delta = expires - clk;
  if (delta < 0) return clk;
  // "force expire obscene large timeouts to expire at the capacity limit of the wheel"
  return roundUp(
    delta >= WHEEL_TIMEOUT_CUTOFF ? clk + WHEEL_TIMEOUT_MAX : expires,
    wheelLevel(delta),
  );
}

// calc_wheel_index()'s choice of level for a timer `delta` jiffies ahead: the first whose
// LVL_START(lvl + 1) it is below, else the last
function wheelLevel(delta: number): number {
  let lvl = 0;
  while (lvl < LVL_DEPTH - 1 && delta >= (LVL_SIZE - 1) << (lvl * LVL_CLK_SHIFT)) lvl++;
  return lvl;
}

/**
 * The latest a timer armed `delta` jiffies ahead can fire, whatever the clock: its delay, capped
 * at WHEEL_TIMEOUT_MAX, and one granularity unit of the level it is filed in.
 * @param delta the delay, jiffies
 * @returns jiffies from now
 * @example
 * ```ts
 * import { timerWheelLatest } from "@rxpath/rxpath";
 * console.log(timerWheelLatest(10), timerWheelLatest(250)); // 11 258
 * ```
 */
export function timerWheelLatest(delta: number): number {
  return Math.min(delta, WHEEL_TIMEOUT_MAX) + 2 ** (wheelLevel(delta) * LVL_CLK_SHIFT);
}

// calc_index(): one granularity unit past the expiry, at the level's granularity
function roundUp(expires: number, lvl: number): number {
  const shift = lvl * LVL_CLK_SHIFT;
  return (Math.floor(expires / 2 ** shift) + 1) * 2 ** shift;
}

/** What a kernel timer needs of its host: the clock and HZ. */
export interface TimerHost {
  /** The simulation, for the clock and the event queue. */
  sim: { readonly now: number; at(t: number, fn: () => void): void };
  /** Ticks per second (CONFIG_HZ). */
  hz: number;
}

/**
 * The tick count now (jiffies): the clock TCP's timestamps of receipt and sending read.
 * @param host the clock and HZ
 * @returns jiffies since the simulation began
 */
export function jiffies(host: TimerHost): number {
  return Math.floor(host.sim.now * host.hz / 1e9);
}

/**
 * Arms a timer_list `jiffies` ticks from now (mod_timer(timer, jiffies + delay)), firing on the
 * tick the wheel gives it.
 * @param host the clock and HZ
 * @param jiffies the delay, jiffies
 * @param fn what the timer does
 * @returns when it fires, ns
 */
export function modTimer(host: TimerHost, jiffies: number, fn: () => void): number {
  const jiffy = 1e9 / host.hz;
  const now = Math.floor(host.sim.now / jiffy);
  const at = Math.round(timerWheelExpiry(now, now + jiffies) * jiffy);
  host.sim.at(at, fn);
  return at;
}
