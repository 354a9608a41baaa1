// The units tc (iproute2 6.1) reads and prints: rates, sizes and times, so the kit's `tc`
// takes the same arguments and prints the same text (tc/tc_util.c).

import { InputRangeError } from "../base/errors.ts";

const RATE_UNITS: Record<string, number> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  tbit: 1e12,
  kibit: 1024,
  mibit: 1024 ** 2,
  gibit: 1024 ** 3,
  bps: 8,
  kbps: 8e3,
  mbps: 8e6,
  gbps: 8e9,
  tbps: 8e12,
};

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  kbit: 1024 / 8,
  mbit: 1024 ** 2 / 8,
  gbit: 1024 ** 3 / 8,
};

const TIME_UNITS: Record<string, number> = {
  s: 1e9,
  sec: 1e9,
  secs: 1e9,
  ms: 1e6,
  msec: 1e6,
  msecs: 1e6,
  us: 1e3,
  usec: 1e3,
  usecs: 1e3,
  ns: 1,
};

function parse(text: string, units: Record<string, number>, bare: number, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/i.exec(text);
  const unit = m ? (m[2] === "" ? bare : units[m[2].toLowerCase()]) : undefined;
  if (!m || unit === undefined) {
    throw new InputRangeError(`tc: illegal ${what} ${JSON.stringify(text)}`);
  }
  return Math.round(Number(m[1]) * unit);
}

/**
 * get_rate(): a rate as tc reads it (a bare number is bits per second).
 * @param text such as `1mbit`, `100kbit`, `8mbps`
 * @returns bytes per second
 */
export function parseRate(text: string): number {
  return Math.floor(parse(text, RATE_UNITS, 1, "rate") / 8);
}

/**
 * get_size(): a size as tc reads it (a bare number is bytes; k, m, g are powers of 1024).
 * @param text such as `3000`, `10kb`, `32kbit`
 * @returns bytes
 */
export function parseSize(text: string): number {
  return parse(text, SIZE_UNITS, 1, "size");
}

/**
 * get_time(): a time as tc reads it (a bare number is microseconds).
 * @param text such as `50ms`
 * @returns nanoseconds
 */
export function parseTime(text: string): number {
  return parse(text, TIME_UNITS, 1e3, "time");
}

// C's %g with 3 significant digits
function g3(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/**
 * print_rate(): bits per second in the largest unit that divides it (1Mbit, 1500Kbit).
 * @param bytesPerSecond the rate
 */
export function formatRate(bytesPerSecond: number): string {
  let rate = bytesPerSecond * 8;
  const units = ["", "K", "M", "G", "T"];
  let i = 0;
  for (; i < units.length - 1; i++) {
    if (rate < 1000) break;
    if (rate % 1000 !== 0 && rate < 1e6) break;
    rate /= 1000;
  }
  return `${Math.round(rate)}${units[i]}bit`;
}

/**
 * print_size(): bytes, or Kb/Mb when a whole number of them is near enough.
 * @param bytes the size
 */
export function formatSize(bytes: number): string {
  const mb = 1024 * 1024;
  if (bytes >= mb && Math.abs(mb * Math.round(bytes / mb) - bytes) < 1024) {
    return `${Math.round(bytes / mb)}Mb`;
  }
  if (bytes >= 1024 && Math.abs(1024 * Math.round(bytes / 1024) - bytes) < 16) {
    return `${Math.round(bytes / 1024)}Kb`;
  }
  return `${bytes}b`;
}

/**
 * print_time(): microseconds as s, ms or us with three significant digits.
 * @param usecs the time, microseconds (a u32: truncated)
 */
export function formatTime(usecs: number): string {
  const t = Math.trunc(usecs) >>> 0;
  if (t >= 1e6) return `${g3(t / 1e6)}s`;
  if (t >= 1e3) return `${g3(t / 1e3)}ms`;
  return `${t}us`;
}
