// Models the protocol registry of net/core/sock.c (Linux 6.18): struct proto, proto_register()
// and the proto_list that /proc/net/protocols walks.

import { InputRangeError } from "../base/errors.ts";
import type { Net } from "./net_namespace.ts";

/** The struct proto methods /proc/net/protocols reports, in its column order. */
export const PROTO_METHODS = [
  "close",
  "connect",
  "disconnect",
  "accept",
  "ioctl",
  "init",
  "destroy",
  "shutdown",
  "setsockopt",
  "getsockopt",
  "sendmsg",
  "recvmsg",
  "bind",
  "backlog_rcv",
  "hash",
  "unhash",
  "get_port",
  "enter_memory_pressure",
] as const;

/** A transport protocol's description (struct proto), as far as the kit uses it. */
export interface Proto {
  /** Name, such as `TCP`. */
  name: string;
  /** Size of its socket structure (obj_size), bytes. */
  objSize: number;
  /** Header room it reserves (max_header). */
  maxHeader: number;
  /** Pages charged to it (memory_allocated), or null when it keeps no account. */
  memoryAllocated: number | null;
  /** Memory pressure state, or null when not implemented ("NI"). */
  memoryPressure: boolean | null;
  /** Sockets in use (sock_prot_inuse_get()). */
  inuse: number;
  /** True when it has its own slab cache. */
  slab: boolean;
  /** The methods it implements. */
  methods: ReadonlySet<(typeof PROTO_METHODS)[number]>;
}

/**
 * Registers a transport protocol, as proto_register(): list_add() puts it at the head of
 * proto_list, so /proc/net/protocols lists the newest first.
 * @param host the host
 * @param prot the protocol
 * @param allocSlab whether it gets a slab cache of its own
 * @throws {RangeError} when the name is registered already
 */
export function protoRegister(host: Net, prot: Proto, allocSlab: boolean): void {
  if (host.protoList.some((p) => p.name === prot.name)) {
    throw new InputRangeError(`Cannot register protocol ${prot.name}: already registered`);
  }
  host.sim.enterFn(host.bootCpu, "proto_register");
  prot.slab = allocSlab;
  host.protoList.unshift(prot);
  host.sim.exitFn(host.bootCpu, "proto_register");
}

/** TCP states (include/net/tcp_states.h) the kit uses; UDP reuses ESTABLISHED and CLOSE. */
export const TCP_STATES = { ESTABLISHED: 1, CLOSE: 7, LISTEN: 10 } as const;

/** Options of a new {@linkcode Sock}. */
export interface SockOptions {
  /** IPPROTO_UDP or IPPROTO_TCP. */
  protocol: number;
  /** Bound address, host order; 0 for INADDR_ANY. */
  rcvSaddr: number;
  /** Bound port. */
  num: number;
  /** Connected peer address, host order, or 0. */
  daddr?: number;
  /** Connected peer port, or 0. */
  dport?: number;
  /** State; default CLOSE (unconnected UDP), ESTABLISHED for a connected one. */
  state?: number;
  /** sk_rcvbuf, bytes. */
  rcvbuf: number;
  /** Bound device (SO_BINDTODEVICE) ifindex, or 0. */
  boundDevIf?: number;
  /** SO_REUSEPORT. */
  reuseport?: boolean;
  /** Inode number, as /proc/net/udp shows it. */
  ino: number;
}

/**
 * A socket's receive side (struct sock): its addresses, receive queue and memory account, and
 * the tasks sleeping on it (sk_wq).
 *
 * @example
 * ```ts
 * import { Sock } from "@rxpath/rxpath";
 * const sk = new Sock({ protocol: 17, rcvSaddr: 0, num: 5000, rcvbuf: 212992, ino: 1 });
 * console.log(sk.rmemAlloc, sk.drops); // 0 0
 * ```
 */
export class Sock {
  /** IPPROTO_UDP or IPPROTO_TCP (sk_protocol). */
  readonly protocol: number;
  /** Bound address (inet_rcv_saddr). */
  rcvSaddr: number;
  /** Bound port (inet_num). */
  num: number;
  /** Peer address (inet_daddr). */
  daddr: number;
  /** Peer port (inet_dport). */
  dport: number;
  /** State (sk_state). */
  state: number;
  /** Receive buffer limit, bytes (sk_rcvbuf). */
  rcvbuf: number;
  /** Bound device, or 0 (sk_bound_dev_if). */
  boundDevIf: number;
  /** SO_REUSEPORT (sk_reuseport). */
  reuseport: boolean;
  /** Bytes charged for queued skbs (sk_rmem_alloc). */
  rmemAlloc = 0;
  /** Receive-buffer and other drops (sk_drops). */
  drops = 0;
  /** Queued skbs (sk_receive_queue), with the bytes each carries to the reader. */
  readonly receiveQueue: { id: number; truesize: number; len: number; arrived: number }[] = [];
  /** The CPU that last handled its packets (sk_incoming_cpu), or -1. */
  incomingCpu: number = -1;
  /** Tasks sleeping in recvmsg (the wait queue). */
  readonly waiters: { wake(): boolean }[] = [];
  /** Inode number. */
  readonly ino: number;
  /** SO_BUSY_POLL in µs (sk_ll_usec), from net.core.busy_read. */
  llUsec = 0;
  /** For a TCP socket: next sequence number expected (rcv_nxt). */
  rcvNxt = 0;
  /** For a TCP socket: out-of-order segments held (out_of_order_queue), by sequence. */
  readonly outOfOrder: { seq: number; len: number; id: number; truesize: number }[] = [];
  /** For a TCP listener: connections waiting in SYN_RECV (request socks). */
  readonly requests: { saddr: number; sport: number; daddr: number; iss: number; irs: number }[] =
    [];
  /** For a TCP listener: established children waiting for accept() (icsk_accept_queue). */
  readonly acceptQueue: Sock[] = [];

  /**
   * Makes a socket.
   * @param o addresses, buffer, inode
   */
  constructor(o: SockOptions) {
    this.protocol = o.protocol;
    this.rcvSaddr = o.rcvSaddr;
    this.num = o.num;
    this.daddr = o.daddr ?? 0;
    this.dport = o.dport ?? 0;
    this.state = o.state ?? (o.daddr ? TCP_STATES.ESTABLISHED : TCP_STATES.CLOSE);
    this.rcvbuf = o.rcvbuf;
    this.boundDevIf = o.boundDevIf ?? 0;
    this.reuseport = o.reuseport ?? false;
    this.ino = o.ino;
  }
}
