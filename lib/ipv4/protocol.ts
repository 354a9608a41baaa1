// Models net/ipv4/protocol.c (Linux 6.18): inet_protos[], the table ip_local_deliver_finish()
// dispatches on by IP protocol number, and inet_add_protocol().

import { InputRangeError } from "../base/errors.ts";
import type { InetNet } from "./netns_ipv4.ts";
import type { SkBuff } from "../core/skbuff.ts";
import type { Cpu } from "../sim/cpu.ts";
import type { Rtable } from "./route.ts";

/** Entries in inet_protos (MAX_INET_PROTOS). */
export const MAX_INET_PROTOS = 256;

/** An IPv4 protocol handler (struct net_protocol). */
export interface NetProtocol {
  /** The handler's symbol, such as `udp_rcv`. */
  name: string;
  /** The handler, given the packet with its input route (skb_rtable()). */
  handler: (cpu: Cpu, skb: SkBuff, rt: Rtable) => void;
  /**
   * The error handler (err_handler), by its symbol: given an ICMP error and the header it quotes
   * (one this protocol sent) with at least 8 bytes after it.
   */
  errHandler?: { name: string; fn: (cpu: Cpu, skb: SkBuff, quoted: Uint8Array) => void };
}

/**
 * Registers a protocol handler, as inet_add_protocol(): the slot must be empty (the kernel
 * uses cmpxchg, so the first registration wins).
 * @param host the host
 * @param prot the handler
 * @param protocol the IP protocol number
 * @returns 0, or -1 when the slot is taken
 */
export function inetAddProtocol(host: InetNet, prot: NetProtocol, protocol: number): number {
  if (!Number.isInteger(protocol) || protocol < 0 || protocol >= MAX_INET_PROTOS) {
    throw new InputRangeError(`Cannot add IP protocol ${protocol}: number must be from 0 to 255`);
  }
  if (host.inetProtos[protocol]) return -1;
  host.sim.enterFn(host.bootCpu, "inet_add_protocol");
  host.inetProtos[protocol] = prot;
  host.sim.exitFn(host.bootCpu, "inet_add_protocol");
  return 0;
}
