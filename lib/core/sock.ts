// Models the protocol registry of net/core/sock.c (Linux 6.18): struct proto, proto_register()
// and the proto_list that /proc/net/protocols walks.

import type { Host } from "../host.ts";

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
export function protoRegister(host: Host, prot: Proto, allocSlab: boolean): void {
  if (host.protoList.some((p) => p.name === prot.name)) {
    throw new RangeError(`Cannot register protocol ${prot.name}: already registered`);
  }
  host.enterFn("proto_register");
  prot.slab = allocSlab;
  host.protoList.unshift(prot);
  host.exitFn("proto_register");
}
