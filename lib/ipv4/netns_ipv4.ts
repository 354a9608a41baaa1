// Models struct netns_ipv4 (include/net/netns/ipv4.h, Linux 6.18) as far as the receive path
// reads it: the conf.all/default settings, each device's in_device, the FIB tables, the inet_peer
// entries that rate-limit ICMP, the reassembly queues, and the UDP and TCP socket tables.

import type { InDevice, Ipv4Devconf } from "./devinet.ts";
import { defaultDevconf } from "./devinet.ts";
import { type FibTable, newFibTables } from "./fib.ts";
import type { Ipq } from "./ip_fragment.ts";
import type { Proto, Sock } from "../core/sock.ts";
import type { NetOffload } from "../core/gro.ts";
import type { NfNet } from "../netfilter/core.ts";
import type { Mib } from "./snmp.ts";
import type { NetProtocol } from "./protocol.ts";

/**
 * A namespace as IPv4 sees it: the core's struct net with netfilter's state, and IPv4's own
 * (net->ipv4, net->mib) and the protocol tables inet_init() fills.
 */
export interface InetNet extends NfNet {
  /** IPv4 state of the namespace (struct netns_ipv4). */
  readonly ipv4: NetnsIpv4;
  /** SNMP counters (net->mib). */
  readonly mib: Mib;
  /** IPv4 protocol handlers by protocol number (inet_protos[MAX_INET_PROTOS]). */
  readonly inetProtos: (NetProtocol | null)[];
  /** IPv4 transport GRO offloads by protocol number (inet_offloads[]). */
  readonly inetOffloads: (NetOffload | null)[];
}

/** Per-source state of ICMP rate limiting and redirects (struct inet_peer). */
export interface InetPeer {
  /** Tokens, in jiffies (rate_tokens). */
  rateTokens: number;
  /** Jiffies of the last update (rate_last). */
  rateLast: number;
  /** Redirects sent since the last silence (n_redirects). */
  nRedirects: number;
}

/** A network namespace's IPv4 state. */
export class NetnsIpv4 {
  /** net.ipv4.conf.all.* (ipv4.devconf_all). */
  readonly devconfAll: Ipv4Devconf = defaultDevconf();
  /** net.ipv4.conf.default.* (ipv4.devconf_dflt). */
  readonly devconfDefault: Ipv4Devconf = defaultDevconf();
  /** Devices' IPv4 state by ifindex (dev->ip_ptr). */
  readonly inDevices: Map<number, InDevice> = new Map();
  /** Every address of the host's devices, as the inet_addr_lst hash holds them. */
  readonly inetAddrLst: Set<number> = new Set();
  /** The local and main routing tables. */
  readonly fib: { local: FibTable; main: FibTable } = newFibTables();
  /** inet_peer entries by address (ipv4.peers). */
  readonly peers: Map<number, InetPeer> = new Map();
  /**
   * Whether the host resolves neighbours with ARP (true) or, as the kit does unless asked,
   * takes every peer it sends to and has no entry for as a permanent neighbour
   * (arpAssumeResolved()).
   */
  arpResolve = false;
  /** Reassembly queues by key (ipv4.fqdir). */
  readonly frags: Map<string, Ipq> = new Map();
  /** UDP sockets, in bind order (udp_table). */
  readonly udpSockets: Sock[] = [];
  /** TCP sockets: listeners and established ones, in creation order (tcp_hashinfo). */
  readonly tcpSockets: Sock[] = [];
  /** The global ICMP credit (icmp_global_credit): none until first refilled. */
  icmpGlobalCredit = 0;
  /** When it was last refilled, jiffies (icmp_global_stamp): never yet. */
  icmpGlobalStamp: number = -Infinity;
  /** The next IP ID the host's own packets take (ip_idents, simplified to one counter). */
  ipIdent = 0;
  /**
   * net.ipv4.tcp_rmem (sysctl_tcp_rmem): min, default and max receive buffer of a TCP socket.
   * tcp_init() makes the max min(32 MB, half of free buffer memory) on 6.18 (6 MB before), so a
   * host with gigabytes shows 4096 131072 33554432, as this machine's 6.18 does.
   */
  tcpRmem: [number, number, number] = [4096, 131072, 33554432];
  /**
   * net.ipv4.tcp_wmem (sysctl_tcp_wmem): min, default and max send buffer of a TCP socket, as
   * a new namespace on the reference 6.18 host starts with them.
   */
  tcpWmem: [number, number, number] = [4096, 16384, 4194304];
  /**
   * net.ipv4.udp_mem (sysctl_udp_mem), pages: min, pressure, max. udp_init() makes them ¾L, L and
   * 1½L, L an eighth of free buffer memory: what the reference 6.18 machine (24 GiB) shows. One
   * set for the machine in the kernel; the kit's host is the machine. UDP's proto points here.
   */
  udpMem: [number, number, number] = [575796, 767731, 1151592];
  /** UDP's struct proto (udp_prot), once inet_init() registered it: its sockets' pages go there. */
  udpProt: Proto | null = null;
  /**
   * net.ipv4.tcp_congestion_control: a new namespace on the reference 6.18 host starts with
   * bbr (its kernel's default), whose sndbuf_expand() provisions three windows, not two.
   */
  tcpCongestionControl: "bbr" | "cubic" | "reno" = "bbr";
  /** The last socket inode number given out (get_next_ino()). */
  lastIno = 9999;
  /** The keys SYN cookies are made with (syncookie_secret), drawn at first use, or null. */
  syncookieSecret: [number, number] | null = null;
}
