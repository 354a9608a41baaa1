// Models the address-family registry of net/socket.c (Linux 6.18): net_families[] and
// sock_register().

import type { Net } from "./net_namespace.ts";

/** Address family of IPv4 sockets (PF_INET). */
export const PF_INET = 2;
/** Number of address families (NPROTO = AF_MAX). */
export const NPROTO = 46;

/** An address family's socket constructor (struct net_proto_family). */
export interface NetProtoFamily {
  /** Family number (PF_INET ...). */
  family: number;
  /** The create function's symbol, such as `inet_create`. */
  create: string;
  /** Family name, as the boot log prints it (pf_family_names). */
  name: string;
}

/**
 * Registers an address family, as sock_register(): one per family number.
 * @param host the host
 * @param ops the family
 * @returns 0, or -17 (-EEXIST) when the family is taken, -105 (-ENOBUFS) when out of range
 */
export function sockRegister(host: Net, ops: NetProtoFamily): number {
  if (ops.family < 0 || ops.family >= NPROTO) return -105;
  if (host.netFamilies[ops.family]) return -17;
  host.sim.enterFn(host.bootCpu, "sock_register");
  host.netFamilies[ops.family] = ops;
  host.sim.exitFn(host.bootCpu, "sock_register");
  return 0;
}
