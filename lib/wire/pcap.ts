// Reads and writes the classic libpcap file format (pcap-savefile(5); the IETF draft
// "PCAP Capture File Format"): a 24-byte file header, then records of 16-byte header + data.
// Both byte orders, microsecond (0xa1b2c3d4) and nanosecond (0xa1b23c4d) magic, link type
// Ethernet. Every error names the byte offset where the file went wrong.

import { InputRangeError, InputSyntaxError } from "../base/errors.ts";
/** Link type of Ethernet frames (LINKTYPE_ETHERNET). */
export const LINKTYPE_ETHERNET = 1;
/** Magic of a microsecond-resolution file. */
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
/** Magic of a nanosecond-resolution file. */
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** Length of the file header. */
export const PCAP_FILE_HEADER_LEN = 24;
/** Length of a record header. */
export const PCAP_RECORD_HEADER_LEN = 16;

/** One captured frame. */
export interface PcapRecord {
  /** Capture time in nanoseconds since the epoch (or since the start of a simulation). */
  tsNs: bigint;
  /** The captured bytes (caplen of them). */
  data: Uint8Array;
  /** Length of the frame on the wire; more than data.length when the capture was cut. */
  origLen: number;
}

/** A whole capture file. */
export interface PcapFile {
  /** "usec" or "nsec", from the magic. */
  resolution: "usec" | "nsec";
  /** True when the file was written big-endian. */
  bigEndian: boolean;
  /** Largest caplen the file allows. */
  snaplen: number;
  /** Link type; the kit reads only LINKTYPE_ETHERNET. */
  linktype: number;
  /** The frames in file order. */
  records: PcapRecord[];
}

/** A source of bytes, as Deno.FsFile.readSync: fills `p`, returns the bytes read or null at the end. */
export interface ByteSource {
  /**
   * Reads the next bytes.
   * @param p where to put them
   * @returns how many were read, or null at the end
   */
  readSync(p: Uint8Array): number | null;
}

/**
 * A byte source over bytes in memory.
 * @param bytes the bytes
 * @returns a source that gives them in order
 */
export function bytesSource(bytes: Uint8Array): ByteSource {
  let at = 0;
  return {
    readSync(p: Uint8Array): number | null {
      if (at >= bytes.length) return null;
      const n = Math.min(p.length, bytes.length - at);
      p.set(bytes.subarray(at, at + n));
      at += n;
      return n;
    },
  };
}

// A record larger than this with no snaplen to bound it is not a frame (and would not fit).
const MAX_CAPLEN = 1 << 28;

/**
 * Reads a classic pcap file as a stream: the header when made, then one record at a time, so a
 * capture of any size costs the memory of one record; an error names the byte where the file
 * went wrong, when the reading gets there.
 *
 * @example
 * ```ts
 * import { buildFrame, bytesSource, PcapReader, writePcap } from "@rxpath/rxpath";
 * const frame = buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, payload: 8 });
 * const reader = new PcapReader(bytesSource(writePcap([{ tsNs: 5n, data: frame, origLen: frame.length }])));
 * for (const r of reader.records()) console.log(reader.resolution, r.tsNs); // nsec 5n
 * ```
 */
export class PcapReader {
  /** "usec" or "nsec", from the magic. */
  readonly resolution: "usec" | "nsec";
  /** True when the file was written big-endian. */
  readonly bigEndian: boolean;
  /** Largest caplen the file allows (0: no limit). */
  readonly snaplen: number;
  /** Link type; the kit reads only LINKTYPE_ETHERNET. */
  readonly linktype: number;
  readonly #src: ByteSource;
  #buf = new Uint8Array(1 << 16);
  #start = 0; // first unread byte in #buf
  #end = 0; // one past the last byte read into #buf
  #offset = 0; // file offset of #buf[#start]
  #eof = false;

  /**
   * Reads and checks the file header.
   * @param src the file's bytes
   * @throws {SyntaxError} for a short or unknown header, naming byte 0 or 4
   * @throws {RangeError} for a link type other than Ethernet
   */
  constructor(src: ByteSource) {
    this.#src = src;
    const have = this.#need(PCAP_FILE_HEADER_LEN);
    if (have < PCAP_FILE_HEADER_LEN) {
      throw new InputSyntaxError(
        `Cannot read pcap file header at byte 0: file is ${have} bytes, the header needs ${PCAP_FILE_HEADER_LEN}`,
      );
    }
    const dv = this.#view();
    const be = dv.getUint32(0, false);
    const le = dv.getUint32(0, true);
    let littleEndian: boolean;
    if (be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC) {
      littleEndian = false;
      this.resolution = be === PCAP_MAGIC_NSEC ? "nsec" : "usec";
    } else if (le === PCAP_MAGIC_USEC || le === PCAP_MAGIC_NSEC) {
      littleEndian = true;
      this.resolution = le === PCAP_MAGIC_NSEC ? "nsec" : "usec";
    } else {
      const hex = Array.from(
        this.#buf.subarray(this.#start, this.#start + 4),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
      throw new InputSyntaxError(
        `Cannot read pcap magic at byte 0: found 0x${hex}, not a classic pcap file`,
      );
    }
    this.bigEndian = !littleEndian;
    const major = dv.getUint16(4, littleEndian);
    if (major !== 2) {
      throw new InputSyntaxError(
        `Cannot read pcap version at byte 4: major version ${major}, expected 2`,
      );
    }
    this.snaplen = dv.getUint32(16, littleEndian);
    // The upper bits of the link-type field carry FCS information (pcap-savefile(5)).
    this.linktype = dv.getUint32(20, littleEndian) & 0x0fffffff;
    if (this.linktype !== LINKTYPE_ETHERNET) {
      throw new InputRangeError(
        `Cannot read pcap link type at byte 20: type ${this.linktype}, only Ethernet (1) is supported`,
      );
    }
    this.#consume(PCAP_FILE_HEADER_LEN);
  }

  /**
   * The records, one at a time, in file order.
   * @returns a generator of records, each with bytes of its own: a view on a buffer the reader
   *   never writes to again
   * @throws {SyntaxError} naming the byte offset, for a record header cut short, a record longer
   *   than the file, caplen above snaplen or above the wire length, a bad timestamp
   */
  *records(): Generator<PcapRecord, void, void> {
    const le = !this.bigEndian;
    const limit = this.resolution === "nsec" ? 1_000_000_000 : 1_000_000;
    // the records of one second share its start in ns, made once (BigInt arithmetic is slow)
    let sec = -1, secNs = 0n;
    for (let n = 0;; n++) {
      const off = this.#offset;
      const have = this.#need(PCAP_RECORD_HEADER_LEN);
      if (have === 0) return;
      if (have < PCAP_RECORD_HEADER_LEN) {
        throw new InputSyntaxError(
          `Cannot read pcap record ${n} header at byte ${off}: ${have} bytes left, the header needs ${PCAP_RECORD_HEADER_LEN}`,
        );
      }
      const recordSec = this.#u32(0, le);
      const frac = this.#u32(4, le);
      const caplen = this.#u32(8, le);
      const origLen = this.#u32(12, le);
      if (frac >= limit) {
        throw new InputSyntaxError(
          `Cannot read pcap record ${n} timestamp at byte ${
            off + 4
          }: fraction ${frac} is not below ${limit}`,
        );
      }
      // snaplen 0 is what libpcap writes for "no limit"
      if (this.snaplen !== 0 && caplen > this.snaplen) {
        throw new InputSyntaxError(
          `Cannot read pcap record ${n} at byte ${
            off + 8
          }: caplen ${caplen} exceeds snaplen ${this.snaplen}`,
        );
      }
      if (caplen > origLen) {
        throw new InputSyntaxError(
          `Cannot read pcap record ${n} at byte ${
            off + 8
          }: caplen ${caplen} exceeds wire length ${origLen}`,
        );
      }
      if (caplen > MAX_CAPLEN) {
        throw new InputSyntaxError(
          `Cannot read pcap record ${n} at byte ${
            off + 8
          }: caplen ${caplen} is larger than any frame (at most ${MAX_CAPLEN})`,
        );
      }
      this.#consume(PCAP_RECORD_HEADER_LEN);
      const start = this.#offset;
      const left = this.#need(caplen);
      if (left < caplen) {
        throw new InputSyntaxError(
          `Cannot read pcap record ${n} data at byte ${start}: caplen ${caplen} runs past the end of the file (${left} bytes left)`,
        );
      }
      // bytes of its own: the reader never writes to what it has read again
      const data = this.#buf.subarray(this.#start, this.#start + caplen);
      this.#consume(caplen);
      const ns = this.resolution === "nsec" ? frac : frac * 1000;
      if (recordSec !== sec) secNs = BigInt(sec = recordSec) * 1_000_000_000n;
      yield { tsNs: secNs + BigInt(ns), data, origLen };
    }
  }

  // The unread bytes as a DataView.
  #view(): DataView {
    return new DataView(
      this.#buf.buffer,
      this.#buf.byteOffset + this.#start,
      this.#end - this.#start,
    );
  }

  // The 32-bit number at `at` in the unread bytes, in the file's byte order.
  #u32(at: number, littleEndian: boolean): number {
    const b = this.#buf, o = this.#start + at;
    return littleEndian
      ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
      : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }

  #consume(n: number): void {
    this.#start += n;
    this.#offset += n;
  }

  // Reads until n bytes are unread or the file ends; returns how many are unread.
  #need(n: number): number {
    if (this.#end - this.#start >= n || this.#eof) return Math.min(n, this.#end - this.#start);
    if (n > this.#buf.length) {
      const grown = new Uint8Array(Math.max(n, this.#buf.length * 2));
      grown.set(this.#buf.subarray(this.#start, this.#end));
      this.#end -= this.#start;
      this.#start = 0;
      this.#buf = grown;
    } else if (this.#start + n > this.#buf.length) {
      // a new buffer, not the front of this one: the records read so far are views on it
      const next = new Uint8Array(this.#buf.length);
      next.set(this.#buf.subarray(this.#start, this.#end));
      this.#end -= this.#start;
      this.#start = 0;
      this.#buf = next;
    }
    while (this.#end - this.#start < n) {
      const got = this.#src.readSync(this.#buf.subarray(this.#end));
      if (got === null || got === 0) {
        this.#eof = true;
        break;
      }
      this.#end += got;
    }
    return Math.min(n, this.#end - this.#start);
  }
}

/**
 * Parses a classic pcap file in memory (see {@linkcode PcapReader} to stream one).
 *
 * @param bytes the whole file
 * @returns the header fields and the records
 * @throws {SyntaxError} naming the byte offset, for a short or unknown header, a record header
 *   cut short, a record longer than the file, caplen above snaplen or above the wire length
 * @throws {RangeError} for a link type other than Ethernet
 * @example
 * ```ts
 * import { buildFrame, readPcap, writePcap } from "@rxpath/rxpath";
 * const frame = buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 1, dest: 2 } });
 * const file = readPcap(writePcap([{ tsNs: 0n, data: frame, origLen: frame.length }]));
 * console.log(file.records.length); // 1
 * ```
 */
export function readPcap(bytes: Uint8Array): PcapFile {
  const reader = new PcapReader(bytesSource(bytes));
  const { resolution, bigEndian, snaplen, linktype } = reader;
  return { resolution, bigEndian, snaplen, linktype, records: [...reader.records()] };
}

/**
 * Makes pcap records of frames sent at a steady pace, the first at time 0.
 * @param frames the frames, in order
 * @param gapNs time between two frames, ns
 * @returns one record per frame, captured whole
 * @example
 * ```ts
 * import { buildFrame, pcapRecords, writePcap } from "@rxpath/rxpath";
 * const frame = buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, payload: 8 });
 * const records = pcapRecords([frame, frame], 1_000_000n);
 * console.log(records[1].tsNs, writePcap(records).length); // 1000000n 148
 * ```
 */
export function pcapRecords(frames: Uint8Array[], gapNs: bigint): PcapRecord[] {
  return frames.map((data, i) => ({ tsNs: BigInt(i) * gapNs, data, origLen: data.length }));
}

/** Options of {@linkcode writePcap}. */
export interface WritePcapOptions {
  /** Timestamp resolution, default "nsec" (the simulation clock counts nanoseconds). */
  resolution?: "usec" | "nsec";
  /** Write big-endian instead of little-endian. */
  bigEndian?: boolean;
  /** Snapshot length written in the header, default 262144 as tcpdump uses. */
  snaplen?: number;
}

/**
 * Writes records as a classic pcap file of link type Ethernet.
 *
 * @param records the frames to write, in order
 * @param options resolution, byte order and snaplen
 * @returns the file bytes
 * @throws {RangeError} when a record is longer than the snaplen or has a negative timestamp
 * @example
 * ```ts
 * import { writePcap } from "@rxpath/rxpath";
 * console.log(writePcap([]).length); // 24
 * ```
 */
export function writePcap(records: PcapRecord[], options: WritePcapOptions = {}): Uint8Array {
  const nsec = (options.resolution ?? "nsec") === "nsec";
  const le = !options.bigEndian;
  const snaplen = options.snaplen ?? 262144;
  const total = records.reduce(
    (a, r) => a + PCAP_RECORD_HEADER_LEN + r.data.length,
    PCAP_FILE_HEADER_LEN,
  );
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, nsec ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, le);
  dv.setUint16(4, 2, le);
  dv.setUint16(6, 4, le);
  dv.setUint32(16, snaplen, le);
  dv.setUint32(20, LINKTYPE_ETHERNET, le);
  let off = PCAP_FILE_HEADER_LEN;
  records.forEach((r, i) => {
    if (r.data.length > snaplen) {
      throw new InputRangeError(
        `Cannot write pcap record ${i}: ${r.data.length} bytes exceed snaplen ${snaplen}`,
      );
    }
    if (r.tsNs < 0n || r.tsNs >= 2n ** 32n * 1_000_000_000n) {
      throw new InputRangeError(
        `Cannot write pcap record ${i}: timestamp ${r.tsNs} ns is not from 0 to 2^32 s, what a pcap record's 32-bit seconds hold`,
      );
    }
    const sec = r.tsNs / 1_000_000_000n;
    const ns = r.tsNs % 1_000_000_000n;
    dv.setUint32(off, Number(sec), le);
    dv.setUint32(off + 4, Number(nsec ? ns : ns / 1000n), le);
    dv.setUint32(off + 8, r.data.length, le);
    dv.setUint32(off + 12, Math.max(r.origLen, r.data.length), le);
    out.set(r.data, off + PCAP_RECORD_HEADER_LEN);
    off += PCAP_RECORD_HEADER_LEN + r.data.length;
  });
  return out;
}
