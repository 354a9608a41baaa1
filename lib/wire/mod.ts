// The wire formats: byte views, builders, the frame decoder and pcap files.
export * from "./checksum.ts";
export * from "./ethernet.ts";
export * from "./ipv4.ts";
export * from "./udp.ts";
export * from "./tcp.ts";
export * from "./icmp.ts";
export * from "./build.ts";
export * from "./decode.ts";
export * from "./pcap.ts";
