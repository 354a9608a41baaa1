// Receive-side scaling as a NIC computes it: the Toeplitz hash of Microsoft's RSS
// specification (the same function tools/testing/selftests/net/toeplitz.c checks), over
// (saddr, daddr[, sport, dport]) in network order, and the indirection table that maps the
// hash to an RX queue, filled by default as ethtool_rxfh_indir_default() (include/linux/ethtool.h).

import { InputRangeError, InputSyntaxError } from "../base/errors.ts";
import { inAton } from "../wire/ipv4.ts";

/** Microsoft's RSS verification key, also Intel 82599's and DPDK's default. */
export const MS_RSS_KEY: Uint8Array = new Uint8Array([
  0x6d,
  0x5a,
  0x56,
  0xda,
  0x25,
  0x5b,
  0x0e,
  0xc2,
  0x41,
  0x67,
  0x25,
  0x3d,
  0x43,
  0xa3,
  0x8f,
  0xb0,
  0xd0,
  0xca,
  0x2b,
  0xcb,
  0xae,
  0x7b,
  0x30,
  0xb4,
  0x77,
  0xcb,
  0x2d,
  0xa3,
  0x80,
  0x30,
  0xf2,
  0x0c,
  0x6a,
  0x42,
  0xb7,
  0x3b,
  0xbe,
  0xac,
  0x01,
  0xfa,
]);

/**
 * The Toeplitz hash: for every set bit of the input, most significant bit of byte 0 first, XOR
 * in the 32 key bits that start at that bit's position.
 * @param key the secret key; at least 4 bytes longer than the input
 * @param input the bytes to hash
 * @returns the 32-bit hash, unsigned
 * @throws {RangeError} when the key is too short for the input
 * @example
 * ```ts
 * import { inAton, MS_RSS_KEY, rssInput, toeplitzHash } from "@rxpath/rxpath";
 * const h = toeplitzHash(MS_RSS_KEY, rssInput("66.9.149.187", "161.142.100.80"));
 * console.log(h.toString(16)); // "323e8fc2", Microsoft's first IPv4 vector
 * ```
 */
export function toeplitzHash(key: Uint8Array, input: Uint8Array): number {
  if (key.length < input.length + 4) {
    throw new InputRangeError(
      `Cannot hash ${input.length} bytes with a ${key.length}-byte key: it needs ${
        input.length + 4
      }`,
    );
  }
  let result = 0;
  let window = ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0;
  for (let i = 0; i < input.length; i++) {
    const next = key[i + 4];
    for (let bit = 7; bit >= 0; bit--) {
      if ((input[i] >> bit) & 1) result = (result ^ window) >>> 0;
      window = ((window << 1) | ((next >> bit) & 1)) >>> 0;
    }
  }
  return result;
}

/**
 * Parses an IPv6 address in the text forms of RFC 4291 2.2 (with "::" and an embedded IPv4
 * tail).
 * @param text such as `3ffe:2501:200:3::1`
 * @returns 16 bytes
 * @throws {SyntaxError} when it is not an IPv6 address
 * @example
 * ```ts
 * import { in6Pton } from "@rxpath/rxpath";
 * console.log(in6Pton("ff02::1")[15]); // 1
 * ```
 */
export function in6Pton(text: string): Uint8Array {
  const fail = () =>
    new InputSyntaxError(`Cannot parse IPv6 address: "${text}" is not RFC 4291 text`);
  let groups: string[];
  const halves = text.split("::");
  if (halves.length > 2) throw fail();
  const split = (s: string) => (s === "" ? [] : s.split(":"));
  const expand = (parts: string[]) =>
    parts.flatMap((p) => {
      if (!p.includes(".")) return [p];
      const v4 = inAton(p);
      return [(v4 >>> 16).toString(16), (v4 & 0xffff).toString(16)];
    });
  if (halves.length === 2) {
    const head = expand(split(halves[0])), tail = expand(split(halves[1]));
    if (head.length + tail.length > 7) throw fail();
    groups = [...head, ...new Array(8 - head.length - tail.length).fill("0"), ...tail];
  } else {
    groups = expand(split(text));
  }
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw fail();
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

function addrBytes(addr: string): Uint8Array {
  if (addr.includes(":")) return in6Pton(addr);
  const v = inAton(addr);
  return new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
}

/**
 * Lays out the RSS hash input in network order: source address, destination address, then
 * source and destination ports when given (TCP and UDP 4-tuples).
 * @param saddr source address, IPv4 or IPv6 text
 * @param daddr destination address of the same family
 * @param ports [sport, dport], or none for the 2-tuple
 * @returns the input bytes: 8 or 12 for IPv4, 32 or 36 for IPv6
 * @throws {SyntaxError} for a malformed address
 * @throws {RangeError} for mixed families or a port outside 0-65535
 * @example
 * ```ts
 * import { rssInput } from "@rxpath/rxpath";
 * console.log(rssInput("10.0.0.1", "10.0.0.2", [1000, 80]).length); // 12
 * ```
 */
export function rssInput(saddr: string, daddr: string, ports?: [number, number]): Uint8Array {
  const s = addrBytes(saddr), d = addrBytes(daddr);
  if (s.length !== d.length) {
    throw new InputRangeError(`Cannot hash ${saddr} with ${daddr}: the address families differ`);
  }
  const out = new Uint8Array(s.length * 2 + (ports ? 4 : 0));
  out.set(s, 0);
  out.set(d, s.length);
  if (ports) {
    ports.forEach((p, i) => {
      if (!Number.isInteger(p) || p < 0 || p > 65535) {
        throw new InputRangeError(`Cannot hash port ${p}: ports are 0 to 65535`);
      }
      out[s.length * 2 + 2 * i] = p >> 8;
      out[s.length * 2 + 2 * i + 1] = p & 0xff;
    });
  }
  return out;
}

/**
 * The default indirection table: entry i sends to queue i % queues, as
 * ethtool_rxfh_indir_default().
 * @param size table size, a power of two
 * @param queues RX queues in use
 * @returns the table
 * @throws {RangeError} for a size that is not a power of two or no queues
 * @example
 * ```ts
 * import { rxfhIndirDefault } from "@rxpath/rxpath";
 * console.log(rxfhIndirDefault(8, 3)); // [0, 1, 2, 0, 1, 2, 0, 1]
 * ```
 */
export function rxfhIndirDefault(size: number, queues: number): number[] {
  if (!Number.isInteger(size) || size < 1 || (size & (size - 1)) !== 0) {
    throw new InputRangeError(
      `Cannot make an indirection table of ${size} entries: size must be a power of two`,
    );
  }
  if (!Number.isInteger(queues) || queues < 1) {
    throw new InputRangeError(`Cannot spread over ${queues} queues: need at least 1`);
  }
  return Array.from({ length: size }, (_, i) => i % queues);
}

/**
 * The RX queue a hash selects: indir[hash & (size - 1)].
 * @param indir the indirection table
 * @param hash the RSS hash
 * @returns the queue index
 * @example
 * ```ts
 * import { rssQueue, rxfhIndirDefault } from "@rxpath/rxpath";
 * console.log(rssQueue(rxfhIndirDefault(128, 4), 0x51ccc178)); // 0
 * ```
 */
export function rssQueue(indir: readonly number[], hash: number): number {
  return indir[hash & (indir.length - 1)];
}

/**
 * Parses an RSS key written as hex, with or without colons (ethtool -x prints `6d:5a:...`).
 * @param text the key
 * @returns the key bytes
 * @throws {SyntaxError} when the text is not whole hex bytes
 * @example
 * ```ts
 * import { parseRssKey } from "@rxpath/rxpath";
 * console.log(parseRssKey("6d:5a:56:da").length); // 4
 * ```
 */
export function parseRssKey(text: string): Uint8Array {
  const hex = text.replace(/:/g, "");
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new InputSyntaxError(`Cannot parse RSS key: "${text}" is not whole hex bytes`);
  }
  return new Uint8Array(hex.match(/../g)!.map((b) => parseInt(b, 16)));
}
