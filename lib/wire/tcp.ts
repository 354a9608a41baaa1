// Models include/uapi/linux/tcp.h and include/net/tcp.h (Linux 6.18): struct tcphdr, its flags
// and the options tcp_parse_options() understands.

import { HeaderBytes } from "./header_bytes.ts";

/** Length of a TCP header without options (sizeof(struct tcphdr)). */
export const TCP_HLEN = 20;
/** End of option list (TCPOPT_EOL). */
export const TCPOPT_EOL = 0;
/** Padding (TCPOPT_NOP). */
export const TCPOPT_NOP = 1;
/** Maximum segment size (TCPOPT_MSS). */
export const TCPOPT_MSS = 2;
/** Window scale (TCPOPT_WINDOW). */
export const TCPOPT_WINDOW = 3;
/** SACK permitted (TCPOPT_SACK_PERM). */
export const TCPOPT_SACK_PERM = 4;
/** SACK blocks (TCPOPT_SACK). */
export const TCPOPT_SACK = 5;
/** Timestamps (TCPOPT_TIMESTAMP). */
export const TCPOPT_TIMESTAMP = 8;
/** Length of the MSS option (TCPOLEN_MSS). */
export const TCPOLEN_MSS = 4;
/** Length of the timestamp option (TCPOLEN_TIMESTAMP). */
export const TCPOLEN_TIMESTAMP = 10;

/** TCP flag bits as they sit in byte 13 of the header (TCPHDR_FIN ... TCPHDR_CWR). */
export const TCP_FLAGS = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** FIN in the flag word (TCP_FLAG_FIN, include/net/tcp.h; host order here). */
export const TCP_FLAG_FIN = 0x00010000;
/** PSH in the flag word (TCP_FLAG_PSH). */
export const TCP_FLAG_PSH = 0x00080000;

/** One TCP option as found on the wire. */
export interface TcpOption {
  /** Option kind (TCPOPT_*). */
  kind: number;
  /** Bytes of the option after kind and length. */
  data: Uint8Array;
}

/** The options of a segment, parsed; `problem` says where parsing stopped early. */
export interface TcpOptions {
  /** Every option in order, NOP and EOL included. */
  list: TcpOption[];
  /** TSval and TSecr when a well-formed timestamp option is present. */
  timestamp?: { tsval: number; tsecr: number };
  /** MSS when present. */
  mss?: number;
  /** Window scale shift when present. */
  wscale?: number;
  /** What made parsing stop, with the byte offset inside the options. */
  problem?: { offset: number; what: string };
}

/**
 * A view over a TCP header; getters named after struct tcphdr fields.
 *
 * @example
 * ```ts
 * import { buildFrame, TcpHdr } from "@rxpath/rxpath";
 * const f = buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, tcp: { source: 1, dest: 80, flags: "S", seq: 100 } });
 * console.log(new TcpHdr(f, 34).syn); // true
 * ```
 */
export class TcpHdr extends HeaderBytes {
  #buf: Uint8Array;
  #off: number;
  /**
   * Views the header at `off`; the caller has checked that TCP_HLEN bytes are there.
   * @param buf the frame
   * @param off where the header starts
   */
  constructor(buf: Uint8Array, off: number) {
    super(buf, off, TCP_HLEN);
    this.#buf = buf;
    this.#off = off;
  }
  /** Source port. */
  get source(): number {
    return this.getUint16(0);
  }
  set source(v: number) {
    this.setUint16(0, v);
  }
  /** Destination port. */
  get dest(): number {
    return this.getUint16(2);
  }
  set dest(v: number) {
    this.setUint16(2, v);
  }
  /** Sequence number. */
  get seq(): number {
    return this.getUint32(4);
  }
  set seq(v: number) {
    this.setUint32(4, v >>> 0);
  }
  /** Acknowledgement number (ack_seq). */
  get ackSeq(): number {
    return this.getUint32(8);
  }
  set ackSeq(v: number) {
    this.setUint32(8, v >>> 0);
  }
  /** Data offset: header length in 32-bit words. */
  get doff(): number {
    return this.getUint8(12) >> 4;
  }
  set doff(v: number) {
    this.setUint8(12, (v << 4) | (this.getUint8(12) & 0x0f));
  }
  /** The eight flag bits of byte 13 (tcp_flag_byte()). */
  get flagByte(): number {
    return this.getUint8(13);
  }
  set flagByte(v: number) {
    this.setUint8(13, v);
  }
  /** Data offset, reserved bits, flags and window as one word (tcp_flag_word()). */
  get flagWord(): number {
    return this.getUint32(12);
  }
  /** FIN flag. */
  get fin(): boolean {
    return (this.flagByte & TCP_FLAGS.FIN) !== 0;
  }
  /** SYN flag. */
  get syn(): boolean {
    return (this.flagByte & TCP_FLAGS.SYN) !== 0;
  }
  /** RST flag. */
  get rst(): boolean {
    return (this.flagByte & TCP_FLAGS.RST) !== 0;
  }
  /** PSH flag. */
  get psh(): boolean {
    return (this.flagByte & TCP_FLAGS.PSH) !== 0;
  }
  /** ACK flag. */
  get ack(): boolean {
    return (this.flagByte & TCP_FLAGS.ACK) !== 0;
  }
  /** URG flag. */
  get urg(): boolean {
    return (this.flagByte & TCP_FLAGS.URG) !== 0;
  }
  /** ECE flag. */
  get ece(): boolean {
    return (this.flagByte & TCP_FLAGS.ECE) !== 0;
  }
  /** CWR flag. */
  get cwr(): boolean {
    return (this.flagByte & TCP_FLAGS.CWR) !== 0;
  }
  /** Receive window (unscaled). */
  get window(): number {
    return this.getUint16(14);
  }
  set window(v: number) {
    this.setUint16(14, v);
  }
  /** Checksum as found. */
  get check(): number {
    return this.getUint16(16);
  }
  set check(v: number) {
    this.setUint16(16, v);
  }
  /** Urgent pointer (urg_ptr). */
  get urgPtr(): number {
    return this.getUint16(18);
  }
  set urgPtr(v: number) {
    this.setUint16(18, v);
  }
  /** The option bytes between the fixed header and doff * 4. */
  get optionBytes(): Uint8Array {
    return this.#buf.subarray(this.#off + TCP_HLEN, this.#off + Math.max(this.doff, 5) * 4);
  }
}

/**
 * Parses TCP options the way tcp_parse_options() walks them: EOL ends, NOP is one byte, every
 * other option has a length byte of at least 2 that must fit. Never throws.
 *
 * @param bytes the option bytes (see {@linkcode TcpHdr.optionBytes})
 * @returns the options found and, if parsing stopped early, why and where
 * @example
 * ```ts
 * import { tcpParseOptions } from "@rxpath/rxpath";
 * const o = tcpParseOptions(new Uint8Array([1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 9]));
 * console.log(o.timestamp); // { tsval: 5, tsecr: 9 }
 * ```
 */
export function tcpParseOptions(bytes: Uint8Array): TcpOptions {
  const out: TcpOptions = { list: [] };
  let i = 0;
  while (i < bytes.length) {
    const kind = bytes[i];
    if (kind === TCPOPT_EOL) {
      out.list.push({ kind, data: bytes.subarray(i + 1, i + 1) });
      return out;
    }
    if (kind === TCPOPT_NOP) {
      out.list.push({ kind, data: bytes.subarray(i + 1, i + 1) });
      i++;
      continue;
    }
    if (i + 1 >= bytes.length) {
      out.problem = { offset: i, what: `option ${kind} has no length byte` };
      return out;
    }
    const len = bytes[i + 1];
    if (len < 2 || i + len > bytes.length) {
      out.problem = {
        offset: i,
        what: `option ${kind} has length ${len}, ${bytes.length - i} bytes left`,
      };
      return out;
    }
    const data = bytes.subarray(i + 2, i + len);
    out.list.push({ kind, data });
    const v = new DataView(data.buffer, data.byteOffset, data.length);
    if (kind === TCPOPT_TIMESTAMP && len === TCPOLEN_TIMESTAMP) {
      out.timestamp = { tsval: v.getUint32(0), tsecr: v.getUint32(4) };
    } else if (kind === TCPOPT_MSS && len === 4) {
      out.mss = v.getUint16(0);
    } else if (kind === TCPOPT_WINDOW && len === 3) {
      out.wscale = v.getUint8(0);
    }
    i += len;
  }
  return out;
}
