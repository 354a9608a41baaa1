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
  const n = bytes.length;
  if (n > BLOCK / 16) return bytes.slice();
  if (used + n > BLOCK) {
    block = new Uint8Array(BLOCK);
    used = 0;
  }
  const copy = block.subarray(used, used + n);
  copy.set(bytes);
  used += n;
  return copy;
}
