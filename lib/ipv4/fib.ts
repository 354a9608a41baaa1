// Models the IPv4 FIB of net/ipv4/fib_*.c (Linux 6.18) as a learner sees it with `ip route`:
// the local (255) and main (254) tables, looked up in the order of the default rules (0: local,
// 32766: main, 32767: default) with longest-prefix match; route types; fib_add_ifaddr()'s
// local, connected and broadcast routes; and fib_validate_source(), the reverse-path check.

import { InputRangeError } from "../base/errors.ts";
import type { InetNet } from "./netns_ipv4.ts";
import type { NetDevice } from "../core/netdevice.ts";
import type { Cpu } from "../sim/cpu.ts";
import type { NetdevNotifier } from "../core/net_namespace.ts";
import { inetDsfieldToDscp, inNtoa, IPPROTO_TCP, IPPROTO_UDP } from "../wire/ipv4.ts";
import {
  inDevConf,
  inDevGet,
  inetMakeMask,
  inetSelectAddr,
  type InIfaddr,
  isLocalAddress,
} from "./devinet.ts";
import { ipHdr, type SkBuff } from "../core/skbuff.ts";

/** Route types (enum rtn_type) the kit models. */
export type RouteType =
  | "unicast"
  | "local"
  | "broadcast"
  | "multicast"
  | "unreachable"
  | "blackhole"
  | "prohibit";

/** Route scopes (enum rt_scope_t): universe 0, link 253, host 254. */
export const RT_SCOPE = { universe: 0, link: 253, host: 254 } as const;

/** One route (a fib_alias with its fib_info). */
export interface FibRoute {
  /** Destination prefix, host order. */
  dst: number;
  /** Prefix length. */
  len: number;
  /** Route type. */
  type: RouteType;
  /** Egress device (none for unreachable, blackhole, prohibit). */
  dev: NetDevice | null;
  /** Gateway, host order, or 0 for a direct route. */
  gw: number;
  /** Scope. */
  scope: number;
  /** Preferred source address, or 0. */
  prefsrc: number;
  /** Who added it: "kernel" for address routes, "boot" for `ip route add`. */
  proto: "kernel" | "boot";
  /** Metric (priority). */
  metric: number;
}

/** A routing table (struct fib_table). */
export interface FibTable {
  /** Table id: 255 local, 254 main. */
  id: number;
  /** Routes, in insertion order. */
  routes: FibRoute[];
}

/** The result of a lookup (struct fib_result). */
export interface FibResult {
  /** The route matched. */
  route: FibRoute;
  /** The table it is in. */
  table: number;
}

/** The error a lookup returns for each route type that is not a path (fib_props[].error). */
export const FIB_TYPE_ERROR: Partial<Record<RouteType, number>> = {
  unreachable: -113, // -EHOSTUNREACH
  blackhole: -22, // -EINVAL
  prohibit: -13, // -EACCES
};

/** -ENETUNREACH: no route matched in any table. */
export const ENETUNREACH: number = -101;

/** Makes the local and main tables, as fib_net_init() → ip_fib_net_init(). */
export function newFibTables(): { local: FibTable; main: FibTable } {
  return { local: { id: 255, routes: [] }, main: { id: 254, routes: [] } };
}

function matches(r: FibRoute, daddr: number): boolean {
  return ((daddr ^ r.dst) & inetMakeMask(r.len)) === 0;
}

/**
 * Looks up one table, as fib_table_lookup(): the longest prefix that covers the address, then
 * the lowest metric, then the first added.
 * @param table the table
 * @param daddr the destination, host order
 * @param oif restrict to routes out of this device (ifindex), or 0
 * @returns the route, or undefined
 */
export function fibTableLookup(table: FibTable, daddr: number, oif = 0): FibRoute | undefined {
  let best: FibRoute | undefined;
  for (const r of table.routes) {
    if (!matches(r, daddr)) continue;
    if (oif && r.dev && r.dev.ifindex !== oif) continue;
    if (!best || r.len > best.len || (r.len === best.len && r.metric < best.metric)) best = r;
  }
  return best;
}

/** The flow a lookup is made for (struct flowi4), besides its destination and output device. */
export interface Flowi4 {
  /** Input device index: the receiving device's, or LOOPBACK_IFINDEX (1) for output routes. */
  iif: number;
  /** IP protocol, or 0. */
  proto: number;
  /** Source address, host order, or 0. */
  saddr: number;
  /** Source port, or 0. */
  sport: number;
  /** Destination port, or 0. */
  dport: number;
  /** The DSCP bits of the TOS byte (flowi4_dscp, printed as a dsfield). */
  tos: number;
  /** FLOWI_FLAG_* bits. */
  flags: number;
}

/** The local table's id, RT_TABLE_LOCAL. */
export const RT_TABLE_LOCAL = 255;
/** The main table's id, RT_TABLE_MAIN. */
export const RT_TABLE_MAIN = 254;
/** The loopback device's index, LOOPBACK_IFINDEX. */
export const LOOPBACK_IFINDEX = 1;
// fib_table_lookup() finding nothing in a table
const EAGAIN = -11;

/**
 * Looks up a destination, as fib_lookup() with the default rules: the local table, then main.
 * Traced on a CPU, the lookup shows as fib_table_lookup with the kernel's tracepoint, which
 * prints the flow it was made for.
 * @param host the host
 * @param daddr the destination, host order
 * @param oif restrict to this output device (ifindex), or 0
 * @param cpu the CPU, to trace the lookup on
 * @param flow the rest of the flow, for the tracepoint
 * @param tbId the table the tracepoint names: main, or local for inet_addr_type()'s lookups
 * @returns the result, or an errno: ENETUNREACH when nothing matched, or the route type's own
 *   error (unreachable, blackhole, prohibit)
 * @example
 * ```ts
 * import { createHost, fibLookup, inAton, inetAddAddr, registerEtherdev } from "@rxpath/rxpath";
 * const host = createHost();
 * inetAddAddr(host, registerEtherdev(host, "eth0", "02:00:00:00:00:02"), inAton("10.0.0.2"), 24);
 * const local = fibLookup(host, inAton("10.0.0.2"));
 * const here = fibLookup(host, inAton("10.0.0.9"));
 * console.log(typeof local === "object" && local.table, typeof here === "object" && here.route.type); // 255 "unicast": RT_TABLE_LOCAL, then main
 * console.log(fibLookup(host, inAton("8.8.8.8"))); // -101: ENETUNREACH, no default route
 * ```
 */
export function fibLookup(
  host: InetNet,
  daddr: number,
  oif = 0,
  cpu?: Cpu,
  flow: Partial<Flowi4> = {},
  tbId = RT_TABLE_MAIN,
): FibResult | number {
  // One fib_table_lookup(): with no custom rules 6.18 keeps local and main in one trie
  // (fib_lookup() → fib_get_table(RT_TABLE_MAIN)), whose routes say which table they belong to.
  if (!cpu) return fibLookupTables(host, daddr, oif);
  host.sim.enterFn(cpu, "fib_table_lookup");
  cpu.chargeLater(host.sim.costs.ns.fibTableLookup);
  const res = fibLookupTables(host, daddr, oif);
  if (host.sim.trace.enabled) { // an untraced run makes no closure for the event
    host.sim.tracepoint(
      cpu,
      "fib_table_lookup",
      () => fibTableLookupFields(res, daddr, oif, flow, tbId),
    );
  }
  host.sim.exitFn(cpu, "fib_table_lookup");
  return res;
}

// The fields of the fib_table_lookup tracepoint (include/trace/events/fib.h): the flow, then
// the nexthop's device and gateway, or "-" and the error.
function fibTableLookupFields(
  res: FibResult | number,
  daddr: number,
  oif: number,
  flow: Partial<Flowi4>,
  tbId: number,
): Record<string, string | number> {
  const found = typeof res === "object";
  const ports = flow.proto === IPPROTO_TCP || flow.proto === IPPROTO_UDP;
  return {
    tb_id: tbId,
    oif,
    iif: flow.iif ?? 0,
    proto: flow.proto ?? 0,
    src: inNtoa(flow.saddr ?? 0),
    // the ports are shown for TCP and UDP flows only
    sport: ports ? flow.sport ?? 0 : 0,
    dst: inNtoa(daddr),
    dport: ports ? flow.dport ?? 0 : 0,
    tos: flow.tos ?? 0,
    scope: 0,
    flags: flow.flags ?? 0,
    name: found ? res.route.dev?.name ?? "-" : "-",
    gw4: inNtoa(found ? res.route.gw : 0),
    gw6: "::",
    // fib_table_lookup() returns -EAGAIN for no match (fib_lookup() makes it ENETUNREACH)
    err: found ? 0 : res === ENETUNREACH ? EAGAIN : res,
  };
}

/**
 * The address a received packet was sent to, as this host would answer from it,
 * fib_compute_spec_dst(): its destination when that is a local unicast address, else the
 * preferred source of the route back to the sender (looked up as from the loopback device), or
 * an address of the input device.
 * @param host the host
 * @param cpu the CPU, to trace the lookup on
 * @param skb the packet (network header set)
 * @param localUnicast its route delivers it locally, not as a broadcast or multicast
 * @returns the address, host order
 */
export function fibComputeSpecDst(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  localUnicast: boolean,
): number {
  const iph = ipHdr(skb);
  return host.sim.traced(cpu, "fib_compute_spec_dst", () => {
    if (localUnicast) return iph.daddr;
    if (iph.saddr !== 0) {
      const res = fibLookup(host, iph.saddr, 0, cpu, {
        iif: LOOPBACK_IFINDEX,
        tos: inetDsfieldToDscp(iph.tos),
      });
      if (typeof res === "object" && res.route.dev) {
        return res.route.prefsrc || inetSelectAddr(host, res.route.dev, res.route.gw || iph.saddr);
      }
    }
    return inetSelectAddr(host, skb.dev as NetDevice, iph.saddr);
  }, skb.id);
}

/** A flow whose source need not be a local address (FLOWI_FLAG_ANYSRC). */
export const FLOWI_FLAG_ANYSRC = 0x01;

/**
 * The type of route an address has in the local table, as inet_addr_type_dev_table(): 0.0.0.0
 * and the limited broadcast are broadcast and 224/4 multicast without a lookup
 * (__inet_dev_addr_type()); any other takes one lookup in RT_TABLE_LOCAL (which, with no custom
 * rules, shares the main table's trie).
 * @param host the host
 * @param addr the address, host order
 * @param cpu the CPU, to trace the lookup on
 * @returns the route type, or "unicast" when nothing matched (RTN_UNICAST)
 */
export function inetAddrTypeDevTable(host: InetNet, addr: number, cpu?: Cpu): RouteType {
  return host.sim.traced(
    cpu,
    "inet_addr_type_dev_table",
    () =>
      host.sim.traced(cpu, "__inet_dev_addr_type", () => {
        // 0.0.0.0 and 255.255.255.255 are broadcast, 224/4 multicast, with no lookup
        if (addr === 0 || addr >>> 0 === 0xffffffff) return "broadcast";
        if (addr >>> 28 === 0xe) return "multicast";
        const res = fibLookup(host, addr, 0, cpu, {}, RT_TABLE_LOCAL);
        return typeof res === "object" ? res.route.type : "unicast";
      }),
  );
}

function fibLookupTables(host: InetNet, daddr: number, oif: number): FibResult | number {
  const { local, main } = host.ipv4.fib;
  let table = local;
  let route = fibTableLookup(local, daddr, oif);
  if (!route) {
    table = main;
    route = fibTableLookup(main, daddr, oif);
  }
  if (!route) return ENETUNREACH;
  // a path, or the error of a type that is not one (read by name only then: one read by every
  // type went megamorphic)
  const type = route.type;
  const error = type === "unicast" || type === "local" ? undefined : FIB_TYPE_ERROR[type];
  return error ?? { route, table: table.id };
}

function fibMagic(
  host: InetNet,
  type: RouteType,
  dst: number,
  len: number,
  dev: NetDevice,
  src: number,
) {
  // fib_magic(): types other than unicast go to the local table; host routes get scope host,
  // local ones too, the rest scope link.
  const table = type === "unicast" ? host.ipv4.fib.main : host.ipv4.fib.local;
  const scope = type === "local" ? RT_SCOPE.host : RT_SCOPE.link;
  // fib_table_insert(): the same route again is EEXIST, which fib_magic() ignores
  const same = table.routes.some((r) =>
    r.dst === dst && r.len === len && r.type === type && r.dev === dev && r.prefsrc === src
  );
  if (same) return;
  table.routes.push({
    dst,
    len,
    type,
    dev,
    gw: 0,
    scope,
    prefsrc: src,
    proto: "kernel",
    metric: 0,
  });
}

/**
 * Hooks the FIB to device events, as ip_fib_init() registering fib_netdev_notifier: a device
 * going down takes every route through it away (fib_disable_ip(): fib_sync_down_dev() and
 * fib_flush()); coming up, its addresses bring their routes back (fib_add_ifaddr()).
 * @param host the host being booted
 */
export function ipFibInit(host: InetNet): void {
  const nb: NetdevNotifier = {
    name: "fib_netdev_event",
    call: (event, dev) => {
      if (event === "NETDEV_DOWN") {
        for (const table of [host.ipv4.fib.local, host.ipv4.fib.main]) {
          table.routes = table.routes.filter((r) => r.dev !== dev);
        }
      } else if (event === "NETDEV_UP") {
        for (const ifa of inDevGet(host, dev)?.ifaList ?? []) fibAddIfaddr(host, dev, ifa);
      }
    },
  };
  host.registerNetdeviceNotifier(nb);
  for (const dev of host.devices) if (dev.up) nb.call("NETDEV_UP", dev);
}

/**
 * Adds the routes an address brings, as fib_add_ifaddr(): `local ADDR` in the local table; for
 * a primary address whose prefix is not all-zero, the connected subnet route in main (type local
 * on loopback, in the local table) and, below /31, `broadcast PREFIX|~MASK` in local.
 * @param host the host
 * @param dev the device
 * @param ifa the new address
 */
export function fibAddIfaddr(host: InetNet, dev: NetDevice, ifa: InIfaddr): void {
  const prefix = (ifa.local & ifa.mask) >>> 0;
  fibMagic(host, "local", ifa.local, 32, dev, ifa.local);
  if (prefix !== 0 && !ifa.secondary && (prefix !== ifa.local || ifa.prefixlen < 32)) {
    fibMagic(host, dev.loopback ? "local" : "unicast", prefix, ifa.prefixlen, dev, ifa.local);
    if (ifa.prefixlen < 31) {
      fibMagic(host, "broadcast", (prefix | ~ifa.mask) >>> 0, 32, dev, ifa.local);
    }
  }
}

/** A route to add, as `ip route add` takes it. */
export interface RouteSpec {
  /** Destination prefix, host order. */
  dst: number;
  /** Prefix length. */
  len: number;
  /** Type, default unicast. */
  type?: RouteType;
  /** Egress device, for unicast routes. */
  dev?: NetDevice;
  /** Gateway, host order, or 0/undefined for a direct route. */
  gw?: number;
  /** Metric, default 0. */
  metric?: number;
}

/**
 * Adds a main-table route, as `ip route add` (fib_table_insert() after fib_create_info()'s
 * checks): a gateway must be on-link through the device (fib_check_nh(): "Nexthop has invalid
 * gateway"); the same prefix, type and metric twice is EEXIST.
 * @param host the host
 * @param spec the route
 * @throws {RangeError} naming what is wrong
 * @example
 * ```ts
 * import { createHost, fibAddRoute, inAton, inetAddAddr, registerEtherdev } from "@rxpath/rxpath";
 * import { ipRouteShow } from "@rxpath/rxpath/proc";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * fibAddRoute(host, { dst: 0, len: 0, gw: inAton("10.0.0.1"), dev }); // ip route add default via 10.0.0.1
 * console.log(ipRouteShow(host, "main").text); // default via 10.0.0.1 dev eth0 ...
 * ```
 */
export function fibAddRoute(host: InetNet, spec: RouteSpec): void {
  const type = spec.type ?? "unicast";
  const text = `${inNtoa(spec.dst)}/${spec.len}`;
  if ((spec.dst & ~inetMakeMask(spec.len)) !== 0) {
    throw new InputRangeError(
      `Cannot add route ${text}: host bits are set (Invalid prefix for given prefix length)`,
    );
  }
  if (type === "unicast" && !spec.dev) {
    throw new InputRangeError(`Cannot add route ${text}: a unicast route needs a device`);
  }
  const gw = spec.gw ?? 0;
  if (gw) {
    const inDev = inDevGet(host, spec.dev!);
    const onlink = inDev?.ifaList.some((a) => ((a.local ^ gw) & a.mask) === 0);
    if (!onlink) {
      throw new InputRangeError(
        `Cannot add route ${text} via ${inNtoa(gw)} dev ${
          spec.dev!.name
        }: Nexthop has invalid gateway`,
      );
    }
  }
  const metric = spec.metric ?? 0;
  const main = host.ipv4.fib.main;
  if (main.routes.some((r) => r.dst === spec.dst && r.len === spec.len && r.metric === metric)) {
    throw new InputRangeError(`Cannot add route ${text}: File exists (EEXIST)`);
  }
  main.routes.push({
    dst: spec.dst,
    len: spec.len,
    type,
    dev: type === "unicast" ? spec.dev! : null,
    gw,
    scope: gw || type !== "unicast" ? RT_SCOPE.universe : RT_SCOPE.link,
    prefsrc: 0,
    proto: "boot",
    metric,
  });
}

/** What fib_validate_source() concluded: a drop reason, or 1 when the source is reached
 * through a connected route of the input device (the redirect test uses it), else 0. */
export type SourceCheck = 0 | 1 | "IP_RPFILTER" | "IP_LOCAL_SOURCE" | "IP_INVALID_SOURCE";

/**
 * The reverse-path check, fib_validate_source() (6.18, returning drop reasons). Without
 * rp_filter, and unless the packet would leave by the device it came in on with redirects on,
 * only a source that is one of the host's addresses fails (accept_local lets it pass). Otherwise
 * __fib_validate_source() looks the source up as a destination: a local or broadcast answer
 * fails, a route through the input device passes; strict mode (1) fails any other, loose mode
 * (2) passes when a route through the input device exists at all, and finding no route fails
 * whenever rp_filter is on.
 * @param host the host
 * @param saddr source, host order
 * @param oif the device a forward would leave by (ifindex), or 0 for local input
 * @param dev the input device
 * @param cpu the CPU, to trace the calls on
 * @param flow the packet's destination (0 for broadcast input) and DSCP, for the trace
 * @returns a drop reason, or 0/1 as above
 */
export function fibValidateSource(
  host: InetNet,
  saddr: number,
  oif: number,
  dev: NetDevice,
  cpu?: Cpu,
  flow: { daddr?: number; tos?: number } = {},
): SourceCheck {
  if (cpu) host.sim.enterFn(cpu, "fib_validate_source");
  const inDev = inDevGet(host, dev)!;
  const rpf = inDevConf(host, inDev, "rp_filter");
  let r: SourceCheck;
  if (!rpf && (dev.ifindex !== oif || !inDevConf(host, inDev, "send_redirects"))) {
    // no reverse-path check and no redirect to decide: the local addresses alone answer
    r = inDevConf(host, inDev, "accept_local") || !isLocalAddress(host, saddr)
      ? 0
      : "IP_LOCAL_SOURCE";
  } else {
    r = host.sim.traced(
      cpu,
      "__fib_validate_source",
      () => __fibValidateSource(host, saddr, oif, dev, rpf, cpu, flow),
    );
  }
  if (cpu) host.sim.exitFn(cpu, "fib_validate_source");
  return r;
}

// fib_validate_source()'s slow path, __fib_validate_source(), when rp_filter or redirects need
// the reverse lookup; the fast path answers from the local addresses alone.
function __fibValidateSource(
  host: InetNet,
  saddr: number,
  oif: number,
  dev: NetDevice,
  rpf: number,
  cpu: Cpu | undefined,
  flow: { daddr?: number; tos?: number },
): SourceCheck {
  const inDev = inDevGet(host, dev)!;
  const acceptLocal = inDevConf(host, inDev, "accept_local");
  // the reverse flow: from the packet's destination, "in" by the output device or loopback
  const reverse = { iif: oif || LOOPBACK_IFINDEX, saddr: flow.daddr ?? 0, tos: flow.tos ?? 0 };
  const res = fibLookup(host, saddr, 0, cpu, reverse);
  if (typeof res === "number") return rpf ? "IP_RPFILTER" : 0;
  if (res.route.type !== "unicast") {
    if (res.route.type !== "local") return "IP_INVALID_SOURCE";
    if (!acceptLocal) return "IP_LOCAL_SOURCE";
  }
  // fib_info_nh_uses_dev(); the nexthop of a connected route has scope host (fib_check_nh()).
  const onlinkScope = (r: FibRoute) => (r.gw === 0 ? 1 : 0);
  if (res.route.dev?.ifindex === dev.ifindex) return onlinkScope(res.route);
  if (inDev.ifaList.length === 0) return rpf ? "IP_RPFILTER" : 0;
  if (rpf === 1) return "IP_RPFILTER";
  const again = fibLookup(host, saddr, dev.ifindex, cpu, reverse);
  return typeof again !== "number" && again.route.type === "unicast" ? onlinkScope(again.route) : 0;
}
