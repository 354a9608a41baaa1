// Copies of small byte strings (frames), cut from shared 64 KiB blocks as the kernel's page_frag
// allocator cuts skb heads from pages: a buffer of its own per frame costs a run a malloc and GC
// tracking for each of millions of frames.

const BLOCK = 65536;
let block = new Uint8Array(BLOCK);
let used = 0;

/**
 * A copy of `bytes` that the caller owns: a view on a shared block for up to 4 KiB (the block
 * lives while any copy in it does), a buffer of its own for more.
 * @param bytes what to copy
 * @returns the copy
 * @example
 * ```ts
 * import { copyBytes } from "@rxpath/rxpath/wire";
 * const a = Uint8Array.of(1, 2, 3);
 * const b = copyBytes(a);
 * a[0] = 9;
 * console.log(b[0]); // 1
 * ```
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.length > BLOCK / 16) return bytes.slice();
  const copy = allocBytes(bytes.length);
  copy.set(bytes);
  return copy;
}

/**
 * `n` zeroed bytes that the caller owns, cut like {@linkcode copyBytes}'s copies: a view on a
 * shared block for up to 4 KiB, a buffer of its own for more. A view starts at its block's
 * `byteOffset`, so a DataView over it must take `byteOffset` into account. In Deno a
 * `new Uint8Array(n)` costs about 0.3 us (measured), a view about 0.04 us.
 * @param n how many bytes
 * @returns the bytes, all 0
 * @example
 * ```ts
 * import { allocBytes } from "@rxpath/rxpath/wire";
 * console.log(allocBytes(4)); // Uint8Array(4) [ 0, 0, 0, 0 ]
 * ```
 */
export function allocBytes(n: number): Uint8Array {
  if (n > BLOCK / 16) return new Uint8Array(n);
  if (used + n > BLOCK) {
    block = new Uint8Array(BLOCK);
    used = 0;
  }
  // a block is never handed out twice: what is cut from it is still zero
  const bytes = block.subarray(used, used + n);
  used += n;
  return bytes;
}
