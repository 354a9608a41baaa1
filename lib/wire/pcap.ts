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

/**
 * Parses a classic pcap file.
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
  if (bytes.length < PCAP_FILE_HEADER_LEN) {
    throw new InputSyntaxError(
      `Cannot read pcap file header at byte 0: file is ${bytes.length} bytes, the header needs ${PCAP_FILE_HEADER_LEN}`,
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const be = dv.getUint32(0, false);
  const le = dv.getUint32(0, true);
  let littleEndian: boolean;
  let resolution: "usec" | "nsec";
  if (be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC) {
    littleEndian = false;
    resolution = be === PCAP_MAGIC_NSEC ? "nsec" : "usec";
  } else if (le === PCAP_MAGIC_USEC || le === PCAP_MAGIC_NSEC) {
    littleEndian = true;
    resolution = le === PCAP_MAGIC_NSEC ? "nsec" : "usec";
  } else {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
    throw new InputSyntaxError(
      `Cannot read pcap magic at byte 0: found 0x${hex}, not a classic pcap file`,
    );
  }
  const major = dv.getUint16(4, littleEndian);
  if (major !== 2) {
    throw new InputSyntaxError(
      `Cannot read pcap version at byte 4: major version ${major}, expected 2`,
    );
  }
  const snaplen = dv.getUint32(16, littleEndian);
  // The upper bits of the link-type field carry FCS information (pcap-savefile(5)).
  const linktype = dv.getUint32(20, littleEndian) & 0x0fffffff;
  if (linktype !== LINKTYPE_ETHERNET) {
    throw new InputRangeError(
      `Cannot read pcap link type at byte 20: type ${linktype}, only Ethernet (1) is supported`,
    );
  }
  const records: PcapRecord[] = [];
  let off = PCAP_FILE_HEADER_LEN;
  while (off < bytes.length) {
    const n = records.length;
    if (bytes.length - off < PCAP_RECORD_HEADER_LEN) {
      throw new InputSyntaxError(
        `Cannot read pcap record ${n} header at byte ${off}: ${
          bytes.length - off
        } bytes left, the header needs ${PCAP_RECORD_HEADER_LEN}`,
      );
    }
    const sec = dv.getUint32(off, littleEndian);
    const frac = dv.getUint32(off + 4, littleEndian);
    const caplen = dv.getUint32(off + 8, littleEndian);
    const origLen = dv.getUint32(off + 12, littleEndian);
    const limit = resolution === "nsec" ? 1_000_000_000 : 1_000_000;
    if (frac >= limit) {
      throw new InputSyntaxError(
        `Cannot read pcap record ${n} timestamp at byte ${
          off + 4
        }: fraction ${frac} is not below ${limit}`,
      );
    }
    // snaplen 0 is what libpcap writes for "no limit"
    if (snaplen !== 0 && caplen > snaplen) {
      throw new InputSyntaxError(
        `Cannot read pcap record ${n} at byte ${
          off + 8
        }: caplen ${caplen} exceeds snaplen ${snaplen}`,
      );
    }
    if (caplen > origLen) {
      throw new InputSyntaxError(
        `Cannot read pcap record ${n} at byte ${
          off + 8
        }: caplen ${caplen} exceeds wire length ${origLen}`,
      );
    }
    const start = off + PCAP_RECORD_HEADER_LEN;
    if (start + caplen > bytes.length) {
      throw new InputSyntaxError(
        `Cannot read pcap record ${n} data at byte ${start}: caplen ${caplen} runs past the end of the file (${
          bytes.length - start
        } bytes left)`,
      );
    }
    const tsNs = BigInt(sec) * 1_000_000_000n + BigInt(resolution === "nsec" ? frac : frac * 1000);
    records.push({ tsNs, data: bytes.slice(start, start + caplen), origLen });
    off = start + caplen;
  }
  return { resolution, bigEndian: !littleEndian, snaplen, linktype, records };
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
