// Models inet_init() of net/ipv4/af_inet.c (Linux 6.18), the fs_initcall that brings up IPv4:
// proto_register() of TCP, UDP, RAW and PING, sock_register(&inet_family_ops),
// inet_add_protocol() of ICMP, UDP, TCP and IGMP, arp_init(), udplite4_register(), and
// dev_add_pack(&ip_packet_type). Handlers of layers later chapters model are counting sinks.

import type { Host } from "../host.ts";
import { devAddPack } from "../core/dev.ts";
import { countingSink } from "../core/sink.ts";
import { type Proto, PROTO_METHODS, protoRegister } from "../core/sock.ts";
import { PF_INET, sockRegister } from "../core/socket.ts";
import { ETH_P_IP } from "../wire/ethernet.ts";
import { IPPROTO_ICMP, IPPROTO_IGMP, IPPROTO_TCP, IPPROTO_UDP } from "../wire/ipv4.ts";
import { arpInit } from "./arp.ts";
import { inetAddProtocol } from "./protocol.ts";

/** Protocol number of UDP-Lite (IPPROTO_UDPLITE). */
export const IPPROTO_UDPLITE = 136;

type Method = (typeof PROTO_METHODS)[number];

// Sizes, max_header and the implemented methods as /proc/net/protocols shows them on x86-64
// Linux 6.18.44 (tests/golden/linux-6.18/proc_net_protocols.txt): obj_size is sizeof(struct
// tcp_sock) etc., which depends on the build, so it is read off a real kernel.
function proto(
  name: string,
  objSize: number,
  maxHeader: number,
  accounted: boolean,
  pressure: boolean,
  flags: string,
): Proto {
  const methods = new Set<Method>(PROTO_METHODS.filter((_, i) => flags[i] === "y"));
  return {
    name,
    objSize,
    maxHeader,
    memoryAllocated: accounted ? 0 : null,
    memoryPressure: pressure ? false : null,
    inuse: 0,
    slab: false,
    methods,
  };
}

/**
 * Brings up IPv4, as inet_init(): the protocol, family and handler registrations, in the
 * kernel's order.
 * @param host the host being booted
 */
export function inetInit(host: Host): void {
  host.enterFn("inet_init");
  protoRegister(host, proto("TCP", 2304, 192, true, true, "yyyyyyyyyyyynyyyyy"), true);
  protoRegister(host, proto("UDP", 1344, 0, true, false, "yyynyyynyyyynnyyyn"), true);
  protoRegister(host, proto("RAW", 1152, 0, false, false, "yyynyyynyyyyyyyynn"), true);
  protoRegister(host, proto("PING", 1016, 0, false, false, "yyynnynnyyyyyynyyn"), true);
  sockRegister(host, { family: PF_INET, create: "inet_create", name: "AF_INET" });
  const add = (name: string, num: number) => {
    const handler = countingSink(host, name);
    inetAddProtocol(host, { name, handler }, num);
  };
  add("icmp_rcv", IPPROTO_ICMP);
  add("udp_rcv", IPPROTO_UDP);
  add("tcp_v4_rcv", IPPROTO_TCP);
  add("igmp_rcv", IPPROTO_IGMP); // CONFIG_IP_MULTICAST=y, as in distribution kernels
  arpInit(host);
  // udplite4_register(): proto_register(&udplite_prot, 1), inet_add_protocol(IPPROTO_UDPLITE)
  host.enterFn("udplite4_register");
  protoRegister(host, proto("UDP-Lite", 1344, 0, true, false, "yyynyyynyyyynnyyyn"), true);
  add("udplite_rcv", IPPROTO_UDPLITE);
  host.exitFn("udplite4_register");
  const ipRcv = countingSink(host, "ip_rcv");
  devAddPack(host, { type: ETH_P_IP, dev: null, name: "ip_rcv", func: (skb) => ipRcv(skb) });
  host.exitFn("inet_init");
}
