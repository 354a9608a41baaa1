// A seeded pseudo-random generator: xoshiro128** (Blackman and Vigna, 2018) seeded through
// splitmix32, so one seed gives one sequence on every machine and every run.

import { InputRangeError, quoteValue } from "../base/errors.ts";
/**
 * A deterministic random source; every random choice in the kit takes one of these.
 *
 * @example
 * ```ts
 * import { Rng } from "@rxpath/rxpath";
 * const a = new Rng(42), b = new Rng(42);
 * console.log(a.nextU32() === b.nextU32()); // true
 * ```
 */
export class Rng {
  #s: Uint32Array;
  /**
   * Seeds the four state words from one number with splitmix32.
   * @param seed any integer
   */
  constructor(seed: number) {
    if (typeof seed !== "number" || !Number.isSafeInteger(seed)) {
      throw new InputRangeError(
        `Cannot seed a random source with ${quoteValue(seed)}: a seed is an integer`,
      );
    }
    this.#s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /**
   * The next 32 random bits.
   * @returns an unsigned 32-bit integer
   */
  nextU32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /**
   * A uniform float in [0, 1) with 32 bits of randomness.
   * @returns the float
   */
  float(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /**
   * A uniform integer in [0, n).
   * @param n the bound, a positive integer
   * @returns the integer
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new InputRangeError(
        `Cannot draw an integer below ${n}: bound must be a positive integer`,
      );
    }
    return Math.floor(this.float() * n);
  }

  /**
   * An exponentially distributed value, the gap between arrivals of a Poisson process.
   * @param mean the mean of the distribution
   * @returns a non-negative float
   */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
