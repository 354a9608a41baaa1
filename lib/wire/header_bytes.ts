// The bytes of one header inside a frame, read and written in network byte order straight from
// the frame: a DataView per header costs more to make than every read the stack does with it.

// A DataView's refusal of a read or write outside it; out of #at(), which V8 inlines at every
// header field read
function outOfBounds(): never {
  throw new RangeError("Offset is outside the bounds of the view");
}

/**
 * A bounded big-endian window on a frame, with DataView's read and write methods: what the
 * header views (IpHdr, UdpHdr, TcpHdr, IcmpHdr) keep. Reads and writes outside it throw a
 * RangeError, as a DataView's do.
 *
 * @example
 * ```ts
 * import { HeaderBytes } from "@rxpath/rxpath/wire";
 * const h = new HeaderBytes(Uint8Array.of(0, 0, 0x08, 0x00, 1), 2, 2);
 * console.log(h.getUint16(0).toString(16)); // "800"
 * ```
 */
export class HeaderBytes {
  readonly #buf: Uint8Array;
  readonly #off: number;
  readonly #len: number;

  /**
   * Views `len` bytes of `buf` from `off`.
   * @param buf the frame
   * @param off where the header starts
   * @param len how many bytes the view covers
   * @throws {RangeError} when the window does not lie inside the frame
   */
  constructor(buf: Uint8Array, off: number, len: number) {
    if (off < 0 || len < 0 || off + len > buf.length) {
      throw new RangeError(
        `Cannot view ${len} header bytes at offset ${off} of a ${buf.length}-byte frame`,
      );
    }
    this.#buf = buf;
    this.#off = off;
    this.#len = len;
  }

  #at(i: number, n: number): number {
    if (i < 0 || i + n > this.#len) outOfBounds();
    return this.#off + i;
  }

  /**
   * The byte at `i`.
   * @param i offset in the header
   * @returns the byte
   */
  getUint8(i: number): number {
    return this.#buf[this.#at(i, 1)];
  }

  /**
   * The big-endian 16-bit number at `i`.
   * @param i offset in the header
   * @returns the number
   */
  getUint16(i: number): number {
    const o = this.#at(i, 2), b = this.#buf;
    return (b[o] << 8) | b[o + 1];
  }

  /**
   * The big-endian unsigned 32-bit number at `i`.
   * @param i offset in the header
   * @returns the number
   */
  getUint32(i: number): number {
    const o = this.#at(i, 4), b = this.#buf;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }

  /**
   * Writes a byte at `i`.
   * @param i offset in the header
   * @param v the value, taken modulo 2^8
   */
  setUint8(i: number, v: number): void {
    this.#buf[this.#at(i, 1)] = v;
  }

  /**
   * Writes a big-endian 16-bit number at `i`.
   * @param i offset in the header
   * @param v the value, taken modulo 2^16
   */
  setUint16(i: number, v: number): void {
    const o = this.#at(i, 2), b = this.#buf;
    b[o] = v >>> 8;
    b[o + 1] = v;
  }

  /**
   * Writes a big-endian 32-bit number at `i`.
   * @param i offset in the header
   * @param v the value, taken modulo 2^32
   */
  setUint32(i: number, v: number): void {
    const o = this.#at(i, 4), b = this.#buf;
    b[o] = v >>> 24;
    b[o + 1] = v >>> 16;
    b[o + 2] = v >>> 8;
    b[o + 3] = v;
  }
}
