/**
 * Frames as bytes: header views named after the kernel's struct fields (IpHdr, UdpHdr, ...),
 * a frame builder with real checksums, a decoder that names problems by byte offset, and
 * classic pcap files that tshark and Wireshark open. Imports nothing else of the kit.
 *
 * @example
 * ```ts
 * import { buildFrame, decodeFrame, pcapRecords, writePcap } from "@rxpath/rxpath/wire";
 * const frame = buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 1, dest: 2 } });
 * console.log(decodeFrame(frame).udp?.dest, writePcap(pcapRecords([frame], 0n)).length); // 2 100
 * ```
 *
 * @module
 */
export * from "./checksum.ts";
export * from "./header_bytes.ts";
export * from "./copy_bytes.ts";
export * from "./ethernet.ts";
export * from "./ipv4.ts";
export * from "./udp.ts";
export * from "./tcp.ts";
export * from "./icmp.ts";
export * from "./build.ts";
export * from "./decode.ts";
export * from "./pcap.ts";
