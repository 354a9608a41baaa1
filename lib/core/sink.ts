// Stands in for a handler of a layer the kit does not model yet: it takes the skb, counts it
// as delivered where the real handler would have started, and uses no CPU time. Chapters that
// model the layer register the real handler instead.

import type { Net } from "./net_namespace.ts";
import type { Work } from "../sim/cpu.ts";
import { consumeSkb, type SkBuff } from "./skbuff.ts";

/**
 * Makes a handler that consumes every skb as delivered to `name`.
 * @param host the host
 * @param name the symbol of the handler it stands in for, such as `ip_rcv`
 * @returns the handler
 * @example
 * ```ts
 * import { allocSkb, countingSink, createHost } from "@rxpath/rxpath";
 * const host = createHost();
 * const sink = countingSink(host, "ip_rcv");
 * sink(allocSkb(host.sim, new Uint8Array(60))).next();
 * console.log(host.sim.ledger.fates[0].where); // "ip_rcv"
 * ```
 */
export function countingSink(host: Net, name: string): (skb: SkBuff) => Work {
  return function* (skb: SkBuff): Work {
    consumeSkb(host.sim, skb, name);
  };
}
