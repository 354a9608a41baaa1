// The kit's own error types. An input error says the user's input is wrong — a scenario field, a
// pcap, a command-line option, a setting the kernel would refuse — and names what and where; any
// other exception is a fault of the kit. They extend the built-in classes the message fits
// (RangeError for a value out of range, SyntaxError for unparsable text, TypeError for a wrong
// shape), so `instanceof RangeError` still holds.

const INPUT: unique symbol = Symbol("rxpath.input");

/**
 * A value out of the range the kernel (or the kit) accepts.
 *
 * @example
 * ```ts
 * import { InputRangeError, isInputError } from "@rxpath/rxpath";
 * const e = new InputRangeError("Cannot set MTU of eth0 to 40: must be from 68 to 65535");
 * console.log(e instanceof RangeError, isInputError(e)); // true true
 * ```
 */
export class InputRangeError extends RangeError {
  /** Marks the error as the user's. */
  readonly [INPUT] = true;
}

/** Text that cannot be parsed: an address, a key, JSON, an option. */
export class InputSyntaxError extends SyntaxError {
  /** Marks the error as the user's. */
  readonly [INPUT] = true;
}

/** A value of the wrong shape: a string where a number belongs, a missing field. */
export class InputTypeError extends TypeError {
  /** Marks the error as the user's. */
  readonly [INPUT] = true;
}

/**
 * Tells the user's mistakes from the kit's faults.
 * @param e anything thrown
 * @returns true for the kit's input errors
 * @example
 * ```ts
 * import { isInputError } from "@rxpath/rxpath";
 * console.log(isInputError(new TypeError("x is undefined"))); // false: a bug, not bad input
 * ```
 */
export function isInputError(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { [INPUT]?: boolean })[INPUT] === true;
}

/**
 * Quotes a value for an error message, at most 80 characters: a huge array or string from the
 * input must not become a huge message.
 * @param v any value
 * @returns JSON text, shortened with an ellipsis
 * @example
 * ```ts
 * import { quoteValue } from "@rxpath/rxpath";
 * console.log(quoteValue("x".repeat(200)).length); // 80
 * ```
 */
export function quoteValue(v: unknown): string {
  // a huge array or string is cut before it is written out whole
  const small = Array.isArray(v) && v.length > 40
    ? v.slice(0, 40)
    : typeof v === "string" && v.length > 200
    ? v.slice(0, 200)
    : v;
  let text: string;
  try {
    text = JSON.stringify(small) ?? String(small);
  } catch {
    text = String(small);
  }
  return text.length > 80 ? text.slice(0, 79) + "…" : text;
}
