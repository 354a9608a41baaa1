// Models inet_init() of net/ipv4/af_inet.c (Linux 6.18), the fs_initcall that brings up IPv4:
// proto_register() of TCP, UDP, RAW and PING, sock_register(&inet_family_ops),
// inet_add_protocol() of ICMP, UDP, TCP and IGMP, arp_init(), udplite4_register(), and
// dev_add_pack(&ip_packet_type). Handlers of layers later chapters model are counting sinks.

import type { InetNet } from "./netns_ipv4.ts";
import { devAddPack } from "../core/dev.ts";
import { InputRangeError } from "../base/errors.ts";
import { type Proto, PROTO_METHODS, protoRegister } from "../core/sock.ts";
import { PF_INET, sockRegister } from "../core/socket.ts";
import { ETH_P_IP } from "../wire/ethernet.ts";
import {
  inNtoa,
  IP_DF,
  IpHdr,
  ipIsFragment,
  IPPROTO_ICMP,
  IPPROTO_IGMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV4_HLEN,
} from "../wire/ipv4.ts";
import { csumFold, csumPartial } from "../wire/checksum.ts";
import { devAddOffload, skbGroLen } from "../core/gro.ts";
import type { SkBuff } from "../core/skbuff.ts";
import { tcp4GroComplete, tcp4GroReceive } from "./tcp_offload.ts";
import { arpInit } from "./arp.ts";
import { inetAddProtocol, type NetProtocol } from "./protocol.ts";
import { icmpRcv, icmpSend } from "./icmp.ts";
import { ipListRcv, ipPacketHandler } from "./ip_input.ts";
import { devinetInit } from "./devinet.ts";
import { fibTableLookup, ipFibInit } from "./fib.ts";
import { tcpV4Err, tcpV4Rcv } from "./tcp_ipv4.ts";
import { udpErr, udpRcv } from "./udp.ts";
import { consumeSkb, ipHdr, kfreeSkbReason } from "../core/skbuff.ts";
import type { Cpu } from "../sim/cpu.ts";
import type { Rtable } from "./route.ts";

/** Smallest IGMP message: the 8-byte header (IGMP_MINLEN, include/uapi/linux/igmp.h). */
const IGMP_MINLEN = 8;

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
    perCpuFwAlloc: [],
    sysctlMem: null,
    memoryPressure: pressure ? false : null,
    inuse: 0,
    slab: false,
    methods,
  };
}

/**
 * Checks a local address a socket binds to, as __inet_bind() does with
 * inet_addr_valid_or_nonlocal(): the wildcard, an address of the host (RTN_LOCAL), a broadcast
 * (RTN_BROADCAST) or a multicast address is taken; any other only with
 * net.ipv4.ip_nonlocal_bind or IP_FREEBIND.
 * @param host the host
 * @param proto "UDP" or "TCP", for the message
 * @param addr the address, host order
 * @param port the port
 * @param freebind IP_FREEBIND is set on the socket
 * @throws {RangeError} EADDRNOTAVAIL for an address the host does not have, or a port that is
 *   not 0 to 65535
 * @example
 * ```ts
 * import { createHost, inAton, inetBindCheck } from "@rxpath/rxpath";
 * const host = createHost();
 * inetBindCheck(host, "UDP", inAton("127.0.0.1"), 53, false); // fine: lo's address
 * try {
 *   inetBindCheck(host, "UDP", inAton("192.0.2.1"), 53, false);
 * } catch (e) {
 *   console.log((e as Error).message); // ... (EADDRNOTAVAIL) ...
 * }
 * ```
 */
export function inetBindCheck(
  host: InetNet,
  proto: string,
  addr: number,
  port: number,
  freebind: boolean,
): void {
  const where = `${proto} socket to ${inNtoa(addr)}:${port}`;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputRangeError(`Cannot bind ${where}: a port is 0 to 65535`);
  }
  if (addr === 0 || (addr >>> 28) === 0xe || addr === 0xffffffff) return;
  const type = fibTableLookup(host.ipv4.fib.local, addr)?.type;
  if (type === "local" || type === "broadcast") return;
  if (freebind || host.sysctl["net.ipv4.ip_nonlocal_bind"]) return;
  throw new InputRangeError(
    `Cannot bind ${where}: the host has no such address (EADDRNOTAVAIL); net.ipv4.ip_nonlocal_bind or IP_FREEBIND would allow it`,
  );
}

/**
 * Brings up IPv4, as inet_init(): the protocol, family and handler registrations, in the
 * kernel's order.
 * @param host the host being booted
 */
export function inetInit(host: InetNet): void {
  host.sim.enterFn(host.bootCpu, "inet_init");
  protoRegister(host, proto("TCP", 2304, 192, true, true, "yyyyyyyyyyyynyyyyy"), true);
  const udp = proto("UDP", 1344, 0, true, false, "yyynyyynyyyynnyyyn");
  udp.sysctlMem = host.ipv4.udpMem; // udp_prot.sysctl_mem = sysctl_udp_mem
  protoRegister(host, udp, true);
  host.ipv4.udpProt = udp;
  protoRegister(host, proto("RAW", 1152, 0, false, false, "yyynyyynyyyyyyyynn"), true);
  protoRegister(host, proto("PING", 1016, 0, false, false, "yyynnynnyyyyyynyyn"), true);
  sockRegister(host, { family: PF_INET, create: "inet_create", name: "AF_INET" });
  const add = (
    name: string,
    num: number,
    handler: NetProtocol["handler"],
    errHandler?: NetProtocol["errHandler"],
  ) => {
    inetAddProtocol(host, { name, handler, errHandler }, num);
  };
  add("icmp_rcv", IPPROTO_ICMP, (cpu, skb, rt) => icmpRcv(host, cpu, skb, rt));
  add("udp_rcv", IPPROTO_UDP, (cpu, skb, rt) => udpRcv(host, cpu, skb, rt), {
    name: "udp_err",
    fn: (cpu, skb, quoted) => udpErr(host, cpu, skb, quoted),
  });
  add("tcp_v4_rcv", IPPROTO_TCP, (cpu, skb, rt) => tcpV4Rcv(host, cpu, skb, rt), {
    name: "tcp_v4_err",
    fn: (cpu, skb, quoted) => tcpV4Err(host, cpu, skb, quoted),
  });
  // CONFIG_IP_MULTICAST=y, as in distribution kernels
  add("igmp_rcv", IPPROTO_IGMP, (_cpu, skb) => igmpRcv(host, skb));
  arpInit(host);
  // udplite4_register(): proto_register(&udplite_prot, 1), inet_add_protocol(IPPROTO_UDPLITE)
  host.sim.enterFn(host.bootCpu, "udplite4_register");
  protoRegister(host, proto("UDP-Lite", 1344, 0, true, false, "yyynyyynyyyynnyyyn"), true);
  add("udplite_rcv", IPPROTO_UDPLITE, (cpu, skb, rt) => udpliteRcv(host, cpu, skb, rt));
  host.sim.exitFn(host.bootCpu, "udplite4_register");
  devAddPack(host, {
    type: ETH_P_IP,
    dev: null,
    name: "ip_rcv",
    func: ipPacketHandler(host),
    listFunc: (skbs, _pt, _origDev, cpu) => ipListRcv(host, cpu, skbs),
  });

  // ip_init() → ip_rt_init() → devinet_init(), ip_fib_init(): in_devices, 127.0.0.1/8 on lo,
  // and the FIB following devices up and down
  devinetInit(host);
  ipFibInit(host);
  host.sim.exitFn(host.bootCpu, "inet_init");
}

/**
 * IPv4's gro_receive, inet_gro_receive(): only a plain 20-byte header (0x45) of a protocol with
 * an offload, not a fragment and with a good checksum is a candidate; a total length that does
 * not match the bytes GRO sees (Ethernet padding, truncation) or flag bits other than DF mark the
 * skb to flush. Held skbs of another protocol or address pair stop being the same flow.
 * @param host the host
 * @param head the bucket's held skbs
 * @param skb the new skb
 * @returns a held skb to complete now, or null
 */
export function inetGroReceive(host: InetNet, head: SkBuff[], skb: SkBuff): SkBuff | null {
  const cb = skb.groCb!;
  const off = skb.data + cb.offset;
  let flush = 1;
  let pp: SkBuff | null = null;
  if (skbGroLen(skb) >= IPV4_HLEN) {
    // skb_gro_network_header(): the network header itself the first time round
    const iph = off === skb.networkHeader ? ipHdr(skb) : new IpHdr(skb.head, off);
    const ops = host.inetOffloads[iph.protocol];
    // *(u8 *)iph != 0x45: version 4 and no options, the only header GRO takes
    if (
      ops && iph.version === 4 && iph.ihl === 5 && !ipIsFragment(iph) &&
      csumFold(csumPartial(skb.head, 0, off, off + IPV4_HLEN)) === 0
    ) {
      cb.proto = iph.protocol;
      flush = ((iph.totLen ^ skbGroLen(skb)) | (iph.fragOff & ~IP_DF)) & 0xffff;
      for (const p of head) {
        if (!p.groCb!.sameFlow) continue;
        const iph2 = ipHdr(p);
        // protocol and addresses: the flow as IPv4 sees it
        const diff = (iph.protocol ^ iph2.protocol) | (iph.saddr ^ iph2.saddr) |
          (iph.daddr ^ iph2.daddr);
        if (diff) p.groCb!.sameFlow = false;
      }
      cb.flush |= flush;
      cb.offset += IPV4_HLEN;
      skb.transportHeader = skb.data + cb.offset;
      pp = ops.groReceive(host, head, skb);
    }
  }
  cb.flush |= flush; // skb_gro_flush_final()
  return pp;
}

/**
 * Fixes the IPv4 header of a merged skb, inet_gro_complete(): the total length becomes the
 * merged length (checksum updated, csum_replace2()), then the transport's gro_complete runs.
 * @param host the host
 * @param skb the merged skb
 * @param nhoff offset of the IPv4 header from skb.data
 */
export function inetGroComplete(host: InetNet, skb: SkBuff, nhoff: number): void {
  const off = skb.data + nhoff;
  const iph = new IpHdr(skb.head, off);
  iph.totLen = skb.len - nhoff;
  iph.check = 0;
  iph.check = csumFold(csumPartial(skb.head, 0, off, off + IPV4_HLEN));
  host.inetOffloads[iph.protocol]!.groComplete(host, skb, nhoff + IPV4_HLEN);
}

// udp4_gro_receive() with no socket asking for UDP GRO and no UDP forwarding or fraglist GRO
// on the device: "no GRO, be sure flush the current packet".
function udp4GroReceive(_host: InetNet, _head: SkBuff[], skb: SkBuff): SkBuff | null {
  skb.groCb!.flush = 1;
  return null;
}

/**
 * Registers IPv4's offloads, as ipv4_offload_init() (an fs_initcall that runs before
 * inet_init): UDP and TCP in inet_offloads[], and IPv4 on offload_base.
 * @param host the host being booted
 */
export function ipv4OffloadInit(host: InetNet): void {
  host.sim.enterFn(host.bootCpu, "ipv4_offload_init");
  host.inetOffloads[IPPROTO_UDP] = {
    name: "udp4_gro_receive",
    groReceive: (_net, head, skb) => udp4GroReceive(host, head, skb),
    groComplete: () => {},
  };
  host.inetOffloads[IPPROTO_TCP] = {
    name: "tcp4_gro_receive",
    groReceive: (_net, head, skb) => tcp4GroReceive(host, head, skb),
    groComplete: (_net, skb, thoff) => tcp4GroComplete(host, skb, thoff),
  };
  devAddOffload(host, {
    type: ETH_P_IP,
    name: "inet_gro_receive",
    groReceive: (_net, head, skb) => inetGroReceive(host, head, skb),
    groComplete: (_net, skb, nhoff) => inetGroComplete(host, skb, nhoff),
  });
  host.sim.exitFn(host.bootCpu, "ipv4_offload_init");
}

// igmp_rcv(): a message shorter than its 8-byte header or with a bad checksum is dropped; the
// kit keeps no group memberships beyond 224.0.0.1, so a good one is taken and consumed.
function igmpRcv(host: InetNet, skb: SkBuff): void {
  const end = skb.networkHeader + ipHdr(skb).totLen;
  const th = skb.transportHeader;
  if (end - th < IGMP_MINLEN || csumFold(csumPartial(skb.head, 0, th, end)) !== 0) {
    kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "igmp_rcv");
  } else {
    consumeSkb(host.sim, skb, "igmp_rcv");
  }
}

// udplite_rcv(): the kit has no UDP-Lite sockets, so a datagram finds none — NoPorts in the
// UdpLite MIB (not shown in the replay), a port unreachable and NO_SOCKET.
function udpliteRcv(host: InetNet, cpu: Cpu, skb: SkBuff, rt: Rtable): void {
  icmpSend(host, cpu, skb, rt, 3, 3, 0);
  kfreeSkbReason(host.sim, skb, "NO_SOCKET", "udplite_rcv");
}
