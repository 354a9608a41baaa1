// Models net/core/neighbour.c (Linux 6.18): neigh_init() registers the rtnetlink handlers for
// neighbour messages; neigh_table_init() adds a protocol's table. A table holds neighbours
// (struct neighbour), each with its NUD state: the resolution state machine of
// __neigh_event_send(), neigh_timer_handler() and __neigh_update(), the packets waiting for an
// address (arp_queue), and the output functions neigh_output() picks between: the cached
// hardware header (neigh_hh_output()) for a connected entry, neigh_resolve_output() otherwise.
// A table's protocol gives what is its own (struct neigh_ops): how to build an entry
// (arp_constructor()), how to ask for an address (arp_solicit()), what to do with packets
// nobody answered for (arp_error_report()).

import type { Net } from "./net_namespace.ts";
import type { NetDevice } from "./netdevice.ts";
import type { Cpu } from "../sim/cpu.ts";
import { kfreeSkbReason, type SkBuff } from "./skbuff.ts";
import { devQueueXmit } from "./dev_xmit.ts";
import { jiffies, modTimer } from "../kernel/timer.ts";
import { inNtoa } from "../wire/ipv4.ts";

/** NUD_INCOMPLETE: a solicitation is out, no address yet (include/uapi/linux/neighbour.h). */
export const NUD_INCOMPLETE = 0x01;
/** NUD_REACHABLE: the address was confirmed within reachable_time. */
export const NUD_REACHABLE = 0x02;
/** NUD_STALE: an address, unconfirmed; used as it is until a packet goes. */
export const NUD_STALE = 0x04;
/** NUD_DELAY: a packet went to a stale address; waiting delay_first_probe_time for a confirmation. */
export const NUD_DELAY = 0x08;
/** NUD_PROBE: unicast solicitations to the known address. */
export const NUD_PROBE = 0x10;
/** NUD_FAILED: nobody answered. */
export const NUD_FAILED = 0x20;
/** NUD_NOARP: no resolution needed (a device without ARP, a broadcast or multicast address). */
export const NUD_NOARP = 0x40;
/** NUD_PERMANENT: set by the administrator (`ip neigh ... nud permanent`). */
export const NUD_PERMANENT = 0x80;
/** NUD_NONE: just created. */
export const NUD_NONE = 0x00;
/** States with a running timer (include/net/neighbour.h). */
/** The states an entry may be given by hand (`ip neigh replace … nud NAME`), by name. */
export const NUD_BY_NAME = {
  permanent: NUD_PERMANENT,
  noarp: NUD_NOARP,
  reachable: NUD_REACHABLE,
  stale: NUD_STALE,
} as const;
/** NUD states that run the entry's timer. */
export const NUD_IN_TIMER = NUD_INCOMPLETE | NUD_REACHABLE | NUD_DELAY | NUD_PROBE;
/** States with a usable address. */
export const NUD_VALID = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE |
  NUD_DELAY;
/** States whose address is trusted: neigh_output() uses the cached header. */
export const NUD_CONNECTED = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE;

/** NEIGH_UPDATE_F_OVERRIDE: a different address may replace the known one. */
export const NEIGH_UPDATE_F_OVERRIDE = 1 << 0;
/** NEIGH_UPDATE_F_WEAK_OVERRIDE: a different address makes a connected entry stale. */
export const NEIGH_UPDATE_F_WEAK_OVERRIDE = 1 << 1;
/** NEIGH_UPDATE_F_ADMIN: the administrator's update, which may change permanent entries. */
export const NEIGH_UPDATE_F_ADMIN = 1 << 7;

const STATE_NAMES: [number, string][] = [
  [NUD_INCOMPLETE, "incomplete"],
  [NUD_REACHABLE, "reachable"],
  [NUD_STALE, "stale"],
  [NUD_DELAY, "delay"],
  [NUD_PROBE, "probe"],
  [NUD_FAILED, "failed"],
  [NUD_NOARP, "noarp"],
  [NUD_PERMANENT, "permanent"],
];

/**
 * A state's name as the neigh tracepoints print it (neigh_state_str()) and, upper-cased, as
 * `ip neigh` shows it.
 * @param state NUD_* bits
 * @returns the name, "none" for NUD_NONE
 * @example
 * ```ts
 * import { NUD_REACHABLE, nudStateName } from "@rxpath/rxpath";
 * console.log(nudStateName(NUD_REACHABLE)); // "reachable"
 * ```
 */
export function nudStateName(state: number): string {
  return STATE_NAMES.find(([bit]) => bit === state)?.[1] ?? "none";
}

/**
 * A device's neighbour settings (struct neigh_parms), the net.ipv4.neigh.<dev>.* sysctls, in
 * jiffies where the kernel keeps jiffies.
 */
export interface NeighParms {
  /** base_reachable_time: reachable_time is drawn around it (30 s). */
  baseReachableTime: number;
  /** reachable_time: how long a confirmation lasts, between half and 1.5 times the base. */
  reachableTime: number;
  /** retrans_time: between solicitations (1 s). */
  retransTime: number;
  /** delay_first_probe_time: how long DELAY waits before probing (5 s). */
  delayProbeTime: number;
  /** ucast_solicit: unicast probes before FAILED (3). */
  ucastProbes: number;
  /** mcast_solicit: broadcast solicitations before FAILED (3). */
  mcastProbes: number;
  /** mcast_resolicit: broadcast solicitations after the unicast ones in PROBE (0). */
  mcastReprobes: number;
  /** app_solicit: solicitations left to a user-space daemon (0). */
  appProbes: number;
  /** unres_qlen_bytes: the bytes (truesize) of packets a neighbour holds while resolving. */
  queueLenBytes: number;
  /** locktime: how long an address stays before another reply may replace it (1 s). */
  locktime: number;
  /** proxy_delay: a proxied request is answered after a random delay below this (0.8 s). */
  proxyDelay: number;
  /** proxy_qlen: how many proxied requests may wait (64). */
  proxyQlen: number;
  /** gc_stale_time: how long an unused entry stays before the periodic collection takes it (60 s). */
  gcStaletime: number;
}

/** A neighbour's protocol-specific operations (struct neigh_ops). */
export interface NeighOps {
  /** Sends a solicitation (arp_solicit()); `skb` is the newest packet waiting, if any. */
  solicit(cpu: Cpu, n: Neighbour, skb: SkBuff | null): void;
  /** Reports a packet nobody answered for and frees it (arp_error_report()). */
  errorReport(cpu: Cpu, n: Neighbour, skb: SkBuff): void;
}

/** A neighbour table (struct neigh_table), such as ARP's arp_tbl. */
export interface NeighTable {
  /** Index in neigh_tables (NEIGH_ARP_TABLE = 0, NEIGH_ND_TABLE = 1). */
  index: number;
  /** Table name (tbl->id), such as `arp_cache`. */
  id: string;
  /** Address family. */
  family: number;
  /** The entries, by device and address (tbl->nht). */
  entries: Map<string, Neighbour>;
  /** Builds a new entry (tbl->constructor, arp_constructor()). */
  constructor: (cpu: Cpu | undefined, n: Neighbour) => void;
  /** The protocol's operations. */
  ops: NeighOps;
  /** The settings new devices start from (tbl->parms: net.ipv4.neigh.default.*). */
  parms: NeighParms;
  /** Each device's own settings, by ifindex (in_dev->arp_parms, on tbl->parms_list). */
  devParms: Map<number, NeighParms>;
  /** The counters of /proc/net/stat/arp_cache (struct neigh_statistics). */
  stats: NeighStatistics;
  /** Requests answered for another host after a delay (proxy_queue), each with its due jiffy. */
  proxyQueue: { skb: SkBuff; due: number; parms: NeighParms }[];
  /** When the proxy timer is due, ns, or -1 (proxy_timer). */
  proxyTimerAt: number;
  /** Runs a proxied request again when its time comes (tbl->proxy_redo, parp_redo()). */
  proxyRedo: (cpu: Cpu, skb: SkBuff) => void;
  /** Whether an address is multicast, an entry forced collection always takes (is_multicast). */
  isMulticast: (addr: number) => boolean;
  /** gc_thresh1: below this many entries the periodic collection takes none (128). */
  gcThresh1: number;
  /** gc_thresh2: past this many, making an entry first collects, at most every 5 s (512). */
  gcThresh2: number;
  /** gc_thresh3: past this many, an entry is made only if a collection frees room (1024). */
  gcThresh3: number;
  /** gc_interval, jiffies (30 s): shown and settable; no collection in 6.18 reads it. */
  gcInterval: number;
  /**
   * The entries collection may take, oldest first (gc_list; its size is gc_entries): all but
   * the administrator's permanent ones.
   */
  gcList: Set<Neighbour>;
  /** Jiffies of the last forced collection that looked at every entry (last_flush). */
  lastFlush: number;
  /** Jiffies of the last new reachable_time draw for every device (last_rand). */
  lastRand: number;
  /** log2 of the hash table's buckets (nht->hash_shift): 3 at first, one more as it doubles. */
  hashShift: number;
}

/** The counters of /proc/net/stat/arp_cache (struct neigh_statistics). */
export interface NeighStatistics {
  /** Entries made (allocs). */
  allocs: number;
  /** Lookups (lookups) and the ones that found an entry (hits). */
  lookups: number;
  /** Lookups that found an entry. */
  hits: number;
  /** Resolutions that failed (res_failed). */
  res_failed: number;
  /** Packets dropped from a full arp_queue (unres_discards). */
  unres_discards: number;
  /** Entries freed (destroys). */
  destroys: number;
  /** Times the hash table doubled (hash_grows). */
  hash_grows: number;
  /** Runs of the periodic collection (periodic_gc_runs). */
  periodic_gc_runs: number;
  /** Runs of the forced collection (forced_gc_runs). */
  forced_gc_runs: number;
  /** Entries not made because the table was full (table_fulls). */
  table_fulls: number;
}

/** A neighbour (struct neighbour): one address on one device and what is known of it. */
export interface Neighbour {
  /** The table it is in. */
  tbl: NeighTable;
  /** The device. */
  dev: NetDevice;
  /** The protocol address (primary_key), host order for IPv4. */
  primaryKey: number;
  /** Hardware address (ha); zeros until known. */
  ha: Uint8Array;
  /** NUD_* state (nud_state). */
  nudState: number;
  /** The route type of the address (type: RTN_UNICAST 1, RTN_BROADCAST 3...). */
  type: number;
  /** Jiffies of the last state or address change (updated). */
  updated: number;
  /** Jiffies of the last packet sent through it by neigh_resolve_output() (used). */
  used: number;
  /** Jiffies of the last confirmation (confirmed). */
  confirmed: number;
  /** Solicitations sent in this round (probes). */
  probes: number;
  /** Packets waiting for the address (arp_queue). */
  arpQueue: SkBuff[];
  /** Their truesize (arp_queue_len_bytes). */
  arpQueueLenBytes: number;
  /** The cached hardware header (hh_cache), empty until neigh_hh_init(). */
  hh: Uint8Array;
  /** The output function for an unconnected entry: resolving, or direct for NOARP devices. */
  output: "neigh_resolve_output" | "neigh_direct_output";
  /** The settings it was made with (parms). */
  parms: NeighParms;
  /** When its timer is due, ns, or -1 (timer). */
  timerAt: number;
}

// the entries' key: device and address
const key = (dev: NetDevice, addr: number) => `${dev.ifindex}/${addr >>> 0}`;

/**
 * Registers the neighbour rtnetlink handlers, as neigh_init() (a subsys_initcall): what
 * `ip neigh` talks to.
 * @param host the host being booted
 */
export function neighInit(host: Net): void {
  host.sim.enterFn(host.bootCpu, "neigh_init");
  const handlers: RtnlHandler[] = [
    { msgtype: "RTM_NEWNEIGH", doit: "neigh_add", dumpit: null },
    { msgtype: "RTM_DELNEIGH", doit: "neigh_delete", dumpit: null },
    { msgtype: "RTM_GETNEIGH", doit: "neigh_get", dumpit: "neigh_dump_info" },
    { msgtype: "RTM_GETNEIGHTBL", doit: null, dumpit: "neightbl_dump_info" },
    { msgtype: "RTM_SETNEIGHTBL", doit: "neightbl_set", dumpit: null },
  ];
  // rtnl_register_many(neigh_rtnl_msg_handlers): one call for the table (6.12+)
  host.sim.enterFn(host.bootCpu, "__rtnl_register_many");
  host.rtnlHandlers.push(...handlers);
  host.sim.exitFn(host.bootCpu, "__rtnl_register_many");
  host.sim.exitFn(host.bootCpu, "neigh_init");
}

/** An rtnetlink handler registration (rtnl_register()). */
export interface RtnlHandler {
  /** Message type name, such as `RTM_NEWNEIGH`. */
  msgtype: string;
  /** doit handler's symbol, or null. */
  doit: string | null;
  /** dumpit handler's symbol, or null. */
  dumpit: string | null;
}

/** What a protocol gives neigh_table_init(): the static part of its table (arp_tbl's fields). */
export type NeighTableDef = Pick<
  NeighTable,
  | "index"
  | "id"
  | "family"
  | "constructor"
  | "ops"
  | "parms"
  | "proxyRedo"
  | "isMulticast"
  | "gcThresh1"
  | "gcThresh2"
  | "gcThresh3"
  | "gcInterval"
>;

/**
 * Adds a neighbour table, as neigh_table_init(): the protocol's definition, with an empty hash
 * of entries, no device settings yet, zeroed statistics and an idle proxy queue; its periodic
 * collection first runs after the table's reachable_time, then every half base_reachable_time.
 * @param host the host
 * @param def the protocol's part
 * @returns the table, in neigh_tables
 */
export function neighTableInit(host: Net, def: NeighTableDef): NeighTable {
  host.sim.enterFn(host.bootCpu, "neigh_table_init");
  const now = jiffies(host);
  const table: NeighTable = {
    ...def,
    entries: new Map(),
    devParms: new Map(),
    stats: {
      allocs: 0,
      destroys: 0,
      hash_grows: 0,
      lookups: 0,
      hits: 0,
      res_failed: 0,
      periodic_gc_runs: 0,
      forced_gc_runs: 0,
      unres_discards: 0,
      table_fulls: 0,
    },
    proxyQueue: [],
    proxyTimerAt: -1,
    gcList: new Set(),
    // last_flush is the table's birth, and a forced collection waits 5 s past it; the kit's
    // runs start at boot but stand for a host up long since, as the recordings' machine is
    lastFlush: now - 5 * host.hz - 1,
    lastRand: now + def.parms.reachableTime * 20,
    hashShift: 3, // neigh_hash_alloc(3)
  };
  host.neighTables[table.index] = table;
  queueGcWork(host, table, def.parms.reachableTime);
  host.sim.exitFn(host.bootCpu, "neigh_table_init");
  return table;
}

/**
 * A device's settings (neigh_parms_alloc() on first use): a copy of the table's default, with
 * its own reachable_time drawn.
 * @param host the host
 * @param tbl the table
 * @param dev the device
 * @returns the device's settings, which its sysctls change
 */
export function neighParms(host: Net, tbl: NeighTable, dev: { ifindex: number }): NeighParms {
  let p = tbl.devParms.get(dev.ifindex);
  if (!p) {
    p = { ...tbl.parms };
    p.reachableTime = neighRandReachTime(host, p.baseReachableTime);
    tbl.devParms.set(dev.ifindex, p);
  }
  return p;
}

/**
 * neigh_rand_reach_time(): a reachable_time drawn between half and 1.5 times the base, so that
 * neighbours do not all expire together.
 * @param host the host, for its random source
 * @param base base_reachable_time, jiffies
 * @returns jiffies
 */
export function neighRandReachTime(host: Net, base: number): number {
  return base ? Math.floor(host.sim.rng.float() * base) + (base >> 1) : 0;
}

/**
 * Finds a neighbour (neigh_lookup()).
 * @param tbl the table
 * @param dev the device
 * @param addr the address, host order
 * @returns the entry, or undefined
 */
export function neighLookup(tbl: NeighTable, dev: NetDevice, addr: number): Neighbour | undefined {
  tbl.stats.lookups++;
  const n = tbl.entries.get(key(dev, addr));
  if (n) tbl.stats.hits++;
  return n;
}

/**
 * Finds a neighbour without counting the lookup (___neigh_lookup_noref()), as the way out does.
 * @param tbl the table
 * @param dev the device
 * @param addr the address, host order
 * @returns the entry, or undefined
 */
export function neighLookupNoref(
  tbl: NeighTable,
  dev: NetDevice,
  addr: number,
): Neighbour | undefined {
  return tbl.entries.get(key(dev, addr));
}

/**
 * Makes a neighbour (___neigh_create()): NUD_NONE, its settings the device's, then the table's
 * constructor (arp_constructor(): NOARP for a device without ARP or a broadcast address). An
 * entry not exempt from collection counts against gc_thresh2 and gc_thresh3 (neigh_alloc()):
 * past them a forced collection runs first, and with the table still full nothing is made. The
 * neigh_create tracepoint reports either outcome.
 * @param host the host
 * @param cpu the CPU, or undefined for the administrator's (`ip neigh add`), untraced
 * @param tbl the table
 * @param dev the device
 * @param addr the address, host order
 * @param exemptFromGc made permanent by the administrator: never collected nor counted
 * @returns the entry, in the table, or undefined when the table is full
 */
export function neighCreate(
  host: Net,
  cpu: Cpu | undefined,
  tbl: NeighTable,
  dev: NetDevice,
  addr: number,
  exemptFromGc = false,
): Neighbour | undefined {
  const create = () => {
    const n = neighAlloc(host, cpu, tbl, dev, exemptFromGc);
    neighCreateTrace(host, cpu, tbl, dev, addr, n !== undefined, exemptFromGc);
    if (!n) return undefined;
    n.primaryKey = addr >>> 0;
    tbl.constructor(cpu, n);
    // the table doubles when it holds more entries than buckets (neigh_hash_grow())
    if (tbl.entries.size + 1 > 1 << tbl.hashShift) {
      tbl.hashShift++;
      tbl.stats.hash_grows++;
    }
    tbl.entries.set(key(dev, n.primaryKey), n);
    if (!exemptFromGc) tbl.gcList.add(n);
    return n;
  };
  if (!cpu) return create();
  return host.sim.traced(
    cpu,
    "__neigh_create",
    () => host.sim.traced(cpu, "___neigh_create", create),
  );
}

// neigh_alloc(): room made (or not) under the thresholds, then a fresh entry; `pending` is
// this entry in gc_entries while it is being made
function neighAlloc(
  host: Net,
  cpu: Cpu | undefined,
  tbl: NeighTable,
  dev: NetDevice,
  exemptFromGc: boolean,
): Neighbour | undefined {
  const now = jiffies(host);
  if (!exemptFromGc) {
    const entries = tbl.gcList.size;
    if (
      entries >= tbl.gcThresh3 ||
      (entries >= tbl.gcThresh2 && now > tbl.lastFlush + 5 * host.hz)
    ) {
      if (!neighForcedGc(host, cpu, tbl, entries + 1) && entries >= tbl.gcThresh3) {
        // net_info_ratelimited("%s: neighbor table overflow!")
        tbl.stats.table_fulls++;
        return undefined;
      }
    }
  }
  const parms = neighParms(host, tbl, dev);
  tbl.stats.allocs++;
  return {
    tbl,
    dev,
    primaryKey: 0,
    ha: new Uint8Array(dev.hardHeaderLen ? 6 : 0),
    nudState: NUD_NONE,
    type: 1,
    // neigh_alloc(): updated = used = now; confirmed long past, so nothing counts as confirmed
    updated: now,
    used: now,
    confirmed: now - (parms.baseReachableTime << 1),
    probes: 0,
    arpQueue: [],
    arpQueueLenBytes: 0,
    hh: new Uint8Array(0),
    output: "neigh_resolve_output",
    parms,
    timerAt: -1,
  };
}

// trace_neigh_create(), after neigh_alloc() and before the key is copied in: entries is
// gc_entries with this entry counted if it was made
function neighCreateTrace(
  host: Net,
  cpu: Cpu | undefined,
  tbl: NeighTable,
  dev: NetDevice,
  addr: number,
  created: boolean,
  exemptFromGc: boolean,
): void {
  if (!cpu) return;
  host.sim.tracepoint(cpu, "neigh_create", () => ({
    family: tbl.family,
    dev: dev.name,
    entries: tbl.gcList.size + (created && !exemptFromGc ? 1 : 0),
    primary_key4: inNtoa(addr >>> 0),
    created: created ? 1 : 0,
    gc_exempt: exemptFromGc ? 1 : 0,
  }));
}

/**
 * __neigh_lookup(): the entry, or with `creat` a new one.
 * @param host the host
 * @param cpu the CPU
 * @param tbl the table
 * @param dev the device
 * @param addr the address, host order
 * @param creat make one when there is none
 * @returns the entry, or undefined
 */
export function __neighLookup(
  host: Net,
  cpu: Cpu,
  tbl: NeighTable,
  dev: NetDevice,
  addr: number,
  creat: boolean,
): Neighbour | undefined {
  const n = neighLookup(tbl, dev, addr);
  if (n || !creat) return n;
  return neighCreate(host, cpu, tbl, dev, addr);
}

// neigh_add_timer(): the entry's timer, due at `when` jiffies; an entry confirmed since it was
// last used counts as used then
function neighAddTimer(host: Net, cpu: Cpu, n: Neighbour, when: number): void {
  if (n.used < n.confirmed) n.used = n.confirmed;
  const at = modTimer(host, Math.max(0, when - jiffies(host)), () => {
    if (n.timerAt !== at) return;
    n.timerAt = -1;
    host.sim.traced(cpu, "neigh_timer_handler", () => neighTimerHandler(host, cpu, n));
  });
  n.timerAt = at;
}

// neigh_del_timer()
function neighDelTimer(n: Neighbour): void {
  n.timerAt = -1;
}

// a step traced on the CPU that runs it, or run untraced for the administrator's (no CPU)
function step<T>(host: Net, cpu: Cpu | undefined, fn: string, body: () => T): T {
  return cpu ? host.sim.traced(cpu, fn, body) : body();
}

// neigh_forced_gc() (static, inlined into neigh_alloc(): no function of its own in a graph):
// the entries no one holds (no timer pending) that failed, need no resolution, are multicast or
// were last updated 5 s ago or more go, oldest first, until gc_entries is back to gc_thresh2;
// a walk that ends sets last_flush
function neighForcedGc(
  host: Net,
  cpu: Cpu | undefined,
  tbl: NeighTable,
  gcEntries: number,
): number {
  const maxClean = gcEntries - tbl.gcThresh2;
  const now = jiffies(host);
  const tref = now - 5 * host.hz;
  let shrunk = 0;
  tbl.stats.forced_gc_runs++;
  for (const n of [...tbl.gcList]) {
    if (n.timerAt >= 0) continue;
    const remove = n.nudState === NUD_FAILED || n.nudState === NUD_NOARP ||
      tbl.isMulticast(n.primaryKey) || n.updated < tref || n.updated > now;
    if (remove) {
      step(host, cpu, "neigh_remove_one", () => neighDel(host, cpu, n));
      shrunk++;
    }
    if (shrunk >= maxClean) break;
  }
  tbl.lastFlush = now;
  return shrunk;
}

// the periodic collection's next run, `delay` jiffies on (queue_delayed_work() of gc_work)
function queueGcWork(host: Net, tbl: NeighTable, delay: number): void {
  modTimer(host, delay, () => {
    host.sim.traced(host.bootCpu, "neigh_periodic_work", () => neighPeriodicWork(host, tbl));
  });
}

/**
 * neigh_periodic_work(), every half base_reachable_time of the table's own settings: every
 * 300 s each device draws a new reachable_time; with gc_thresh1 entries or more, each entry with
 * no timer pending that failed or went unused for its gc_stale_time is removed.
 * @param host the host
 * @param tbl the table
 */
export function neighPeriodicWork(host: Net, tbl: NeighTable): void {
  const now = jiffies(host);
  tbl.stats.periodic_gc_runs++;
  if (now > tbl.lastRand + 300 * host.hz) {
    tbl.lastRand = now;
    for (const p of [tbl.parms, ...tbl.devParms.values()]) {
      p.reachableTime = neighRandReachTime(host, p.baseReachableTime);
    }
  }
  if (tbl.entries.size >= tbl.gcThresh1) {
    for (const n of [...tbl.entries.values()]) {
      if (n.nudState & (NUD_PERMANENT | NUD_IN_TIMER)) continue;
      if (n.used < n.confirmed && n.confirmed <= now) n.used = n.confirmed;
      if (
        n.timerAt < 0 &&
        (n.nudState === NUD_FAILED || now < n.used || now >= n.used + n.parms.gcStaletime)
      ) {
        neighDel(host, host.bootCpu, n);
      }
    }
  }
  queueGcWork(host, tbl, tbl.parms.baseReachableTime >> 1);
}

// neigh_del() → neigh_mark_dead(), out of the hash and gc_list, then
// neigh_cleanup_and_release(): RTM_DELNEIGH to no listener, and the last reference dropped
// (neigh_destroy())
function neighDel(host: Net, cpu: Cpu | undefined, n: Neighbour): void {
  const tbl = n.tbl;
  tbl.entries.delete(key(n.dev, n.primaryKey));
  tbl.gcList.delete(n);
  step(host, cpu, "neigh_cleanup_and_release", () => {
    if (cpu) {
      host.sim.tracepoint(cpu, "neigh_cleanup_and_release", () => ({
        ...neighFields(host, n, 0),
        dead: 1,
        err: 0,
      }));
      neighUpdateNotify(host, cpu);
    }
    step(host, cpu, "neigh_destroy", () => {
      tbl.stats.destroys++;
    });
  });
}

// neigh_update_gc_list(): an entry made or unmade permanent leaves or joins the collection's
// list, at its tail
function neighUpdateGcList(n: Neighbour): void {
  if (!n.tbl.entries.has(key(n.dev, n.primaryKey))) return;
  if (n.nudState & NUD_PERMANENT) n.tbl.gcList.delete(n);
  else if (!n.tbl.gcList.has(n)) n.tbl.gcList.add(n);
}

// neigh_max_probes(): how many solicitations a round sends before FAILED
function neighMaxProbes(n: Neighbour): number {
  const p = n.parms;
  return p.ucastProbes + p.appProbes +
    (n.nudState & NUD_PROBE ? p.mcastReprobes : p.mcastProbes);
}

// max(retrans_time, HZ/100): the next solicitation
function retransWhen(host: Net, n: Neighbour): number {
  return jiffies(host) + Math.max(n.parms.retransTime, Math.floor(host.hz / 100));
}

// neigh_probe(): a solicitation carrying a clone of the newest waiting packet, freed after it
// (inlined: its consume_skb() reports the caller)
function neighProbe(host: Net, cpu: Cpu, n: Neighbour, caller: string): void {
  const newest = n.arpQueue.at(-1) ?? null;
  n.tbl.ops.solicit(cpu, n, newest);
  n.probes++;
  if (!newest) return;
  const clone = -host.sim.ledger.nextId;
  host.sim.traced(cpu, "consume_skb", () => {
    host.sim.tracepoint(cpu, "consume_skb", () => ({ skbaddr: clone, location: caller }));
  });
}

// neigh_invalidate(): each waiting packet is reported and dropped
function neighInvalidate(host: Net, cpu: Cpu, n: Neighbour): void {
  host.sim.traced(cpu, "neigh_invalidate", () => {
    n.tbl.stats.res_failed++;
    n.updated = jiffies(host);
    while (n.nudState === NUD_FAILED && n.arpQueue.length) {
      n.tbl.ops.errorReport(cpu, n, n.arpQueue.shift()!);
    }
    n.arpQueue.length = 0;
    n.arpQueueLenBytes = 0;
  });
}

/**
 * neigh_timer_handler(): REACHABLE past reachable_time goes to DELAY if a packet went lately,
 * else STALE; DELAY confirmed meanwhile goes back to REACHABLE, else to PROBE; INCOMPLETE and
 * PROBE solicit again every retrans_time until neigh_max_probes(), then FAILED.
 * @param host the host
 * @param cpu the CPU the timer runs on
 * @param n the neighbour
 */
export function neighTimerHandler(host: Net, cpu: Cpu, n: Neighbour): void {
  const state = n.nudState;
  const now = jiffies(host);
  let next = now + host.hz;
  if (!(state & NUD_IN_TIMER)) return;
  const p = n.parms;
  // RTM_NEWNEIGH goes out for every change but REACHABLE to DELAY
  let notify = false;
  if (state & NUD_REACHABLE) {
    if (now <= n.confirmed + p.reachableTime) {
      next = n.confirmed + p.reachableTime;
    } else if (now <= n.used + p.delayProbeTime) {
      n.nudState = NUD_DELAY;
      n.updated = now;
      next = now + p.delayProbeTime;
    } else {
      n.nudState = NUD_STALE;
      n.updated = now;
      notify = true;
    }
  } else if (state & NUD_DELAY) {
    notify = true;
    if (now <= n.confirmed + p.delayProbeTime) {
      n.nudState = NUD_REACHABLE;
      n.updated = now;
      next = n.confirmed + p.reachableTime;
    } else {
      n.nudState = NUD_PROBE;
      n.updated = now;
      n.probes = 0;
      next = retransWhen(host, n);
    }
  } else {
    next = retransWhen(host, n); // NUD_PROBE | NUD_INCOMPLETE
  }
  if (n.nudState & (NUD_INCOMPLETE | NUD_PROBE) && n.probes >= neighMaxProbes(n)) {
    n.nudState = NUD_FAILED;
    neighInvalidate(host, cpu, n);
    neighUpdateNotify(host, cpu);
    return;
  }
  if (n.nudState & NUD_IN_TIMER) {
    neighAddTimer(host, cpu, n, Math.max(next, now + Math.floor(host.hz / 100)));
  }
  if (n.nudState & (NUD_INCOMPLETE | NUD_PROBE)) neighProbe(host, cpu, n, "neigh_timer_handler");
  if (notify) neighUpdateNotify(host, cpu);
}

/**
 * neigh_event_send() → __neigh_event_send(): a packet wants the neighbour's address. It marks
 * the entry used; an entry with no address starts resolving (INCOMPLETE, the first
 * solicitation now) and a stale one is given delay_first_probe_time (DELAY). While INCOMPLETE
 * the packet waits in arp_queue, the oldest dropped (NEIGH_QUEUEFULL) while the queue's
 * truesize would pass unres_qlen_bytes.
 * @param host the host
 * @param cpu the CPU
 * @param n the neighbour
 * @param skb the packet
 * @returns true when the packet was taken (queued or dropped), false when it may go now
 */
export function neighEventSend(host: Net, cpu: Cpu, n: Neighbour, skb: SkBuff): boolean {
  const now = jiffies(host);
  n.used = now;
  if (n.nudState & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE)) return false;
  return host.sim.traced(cpu, "__neigh_event_send", () => {
    const p = n.parms;
    let immediateProbe = false;
    if (!(n.nudState & (NUD_STALE | NUD_INCOMPLETE))) {
      if (p.mcastProbes + p.appProbes === 0) {
        n.nudState = NUD_FAILED;
        n.updated = now;
        kfreeSkbReason(host.sim, skb, "NEIGH_FAILED", "__neigh_event_send");
        return true;
      }
      n.probes = p.ucastProbes;
      neighDelTimer(n);
      n.nudState = NUD_INCOMPLETE;
      n.updated = now;
      immediateProbe = true;
      neighAddTimer(host, cpu, n, retransWhen(host, n));
    } else if (n.nudState & NUD_STALE) {
      neighDelTimer(n);
      n.nudState = NUD_DELAY;
      n.updated = now;
      neighAddTimer(host, cpu, n, now + p.delayProbeTime);
    }
    let taken = false;
    if (n.nudState === NUD_INCOMPLETE) {
      while (n.arpQueueLenBytes + skb.truesize > p.queueLenBytes && n.arpQueue.length) {
        const old = n.arpQueue.shift()!;
        n.arpQueueLenBytes -= old.truesize;
        kfreeSkbReason(host.sim, old, "NEIGH_QUEUEFULL", "__neigh_event_send");
        n.tbl.stats.unres_discards++;
      }
      n.arpQueue.push(skb);
      n.arpQueueLenBytes += skb.truesize;
      taken = true;
    }
    if (immediateProbe) neighProbe(host, cpu, n, "__neigh_event_send");
    // ip_finish_output2()'s lookup holds no reference (__ipv4_neigh_lookup_noref())
    host.sim.tracepoint(cpu, "neigh_event_send_done", () => ({
      ...neighFields(host, n, 0),
      err: taken ? 1 : 0,
    }));
    return taken;
  });
}

/**
 * neigh_update() → __neigh_update(): what a reply or the administrator says of a neighbour.
 * Permanent and NOARP entries change only for the administrator; a new address replaces a
 * known one only with NEIGH_UPDATE_F_OVERRIDE; a connected state records the confirmation.
 * An entry that becomes valid sends the packets that waited for it.
 * @param host the host
 * @param cpu the CPU, or undefined for the administrator's update, untraced
 * @param n the neighbour
 * @param lladdr the hardware address given, or null
 * @param newState the NUD_* state proposed
 * @param flags NEIGH_UPDATE_F_* bits
 * @returns 0, or -EPERM (-1) / -EINVAL (-22) when refused
 */
export function neighUpdate(
  host: Net,
  cpu: Cpu | undefined,
  n: Neighbour,
  lladdr: Uint8Array | null,
  newState: number,
  flags: number,
): number {
  const old = n.nudState;
  const err = cpu
    ? host.sim.traced(
      cpu,
      "neigh_update",
      () => neighUpdateTraced(host, cpu, n, lladdr, newState, flags),
    )
    : update(host, undefined, n, lladdr, newState, flags);
  // a change to or from PERMANENT moves the entry on or off gc_list (neigh_update_gc_list())
  if ((old ^ n.nudState) & NUD_PERMANENT) neighUpdateGcList(n);
  return err;
}

function neighUpdateTraced(
  host: Net,
  cpu: Cpu,
  n: Neighbour,
  lladdr: Uint8Array | null,
  newState: number,
  flags: number,
): number {
  return host.sim.traced(cpu, "__neigh_update", () => {
    // the caller holds a reference of its own (neigh_event_ns(), __neigh_lookup())
    host.sim.tracepoint(cpu, "neigh_update", () => ({
      ...neighFields(host, n, 1),
      new_lladdr: hex(lladdr ?? n.ha),
      new_state: neighStateStr(newState),
      update_flags: flags,
      pid: 0,
    }));
    const err = update(host, cpu, n, lladdr, newState, flags);
    host.sim.tracepoint(cpu, "neigh_update_done", () => ({ ...neighFields(host, n, 1), err }));
    return err;
  });
}

// The fields the neigh tracepoints share (include/trace/events/neigh.h): the table's reference,
// the timer's while it is pending, and those `held` by the caller
function neighFields(host: Net, n: Neighbour, held: number): Record<string, string | number> {
  return {
    family: n.tbl.family,
    dev: n.dev.name,
    lladdr: hex(n.ha),
    flags: 0,
    nud_state: neighStateStr(n.nudState),
    type: n.type,
    dead: 0,
    refcnt: 1 + held + (n.timerAt >= 0 ? 1 : 0),
    primary_key4: inNtoa(n.primaryKey),
    confirmed: initialJiffies(host) + n.confirmed,
    updated: initialJiffies(host) + n.updated,
    used: initialJiffies(host) + n.used,
  };
}

// neigh_state_str(): __print_symbolic() of the states, a value with no name in hex
function neighStateStr(state: number): string {
  return STATE_NAMES.some(([bit]) => bit === state)
    ? nudStateName(state)
    : `0x${state.toString(16)}`;
}

// INITIAL_JIFFIES: the kernel's jiffies start 300 s short of wrapping 32 bits, which the
// tracepoints print from
function initialJiffies(host: Net): number {
  return 2 ** 32 - 300 * host.hz;
}

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

// __neigh_update()'s body; `cpu` undefined for the administrator's update, which traces nothing
function update(
  host: Net,
  cpu: Cpu | undefined,
  n: Neighbour,
  lladdr: Uint8Array | null,
  state: number,
  flags: number,
): number {
  const on = cpu ?? host.bootCpu;
  const old = n.nudState;
  const now = jiffies(host);
  if (!(flags & NEIGH_UPDATE_F_ADMIN) && old & (NUD_NOARP | NUD_PERMANENT)) return -1;
  if (!(state & NUD_VALID)) {
    neighDelTimer(n);
    n.nudState = state;
    let notify = (old & NUD_VALID) !== 0;
    if (old & (NUD_INCOMPLETE | NUD_PROBE) && state & NUD_FAILED) {
      neighInvalidate(host, on, n);
      notify = true;
    }
    if (notify && cpu) neighUpdateNotify(host, cpu);
    return 0;
  }
  let addr = lladdr;
  if (!addr) {
    if (!(old & NUD_VALID)) return -22;
    addr = n.ha;
  }
  const sameAddr = addr === n.ha || (old & NUD_VALID && sameBytes(addr, n.ha));
  if (state & NUD_CONNECTED) n.confirmed = now;
  if (old & NUD_VALID) {
    if (!sameAddr && !(flags & NEIGH_UPDATE_F_OVERRIDE)) {
      if (!(flags & NEIGH_UPDATE_F_WEAK_OVERRIDE) || !(old & NUD_CONNECTED)) return 0;
      addr = n.ha;
      state = NUD_STALE;
    } else if (sameAddr && state === NUD_STALE && !(flags & NEIGH_UPDATE_F_ADMIN)) {
      state = old; // a stale hint of the same address leaves the state as it is
    }
  }
  const changedAddr = !(old & NUD_VALID && sameBytes(addr, n.ha));
  if (state !== old || changedAddr) n.updated = now;
  if (state !== old) {
    neighDelTimer(n);
    if (state & NUD_PROBE) n.probes = 0;
    if (state & NUD_IN_TIMER) {
      neighAddTimer(host, on, n, now + (state & NUD_REACHABLE ? n.parms.reachableTime : 0));
    }
    n.nudState = state;
  }
  if (changedAddr) {
    n.ha = addr.slice();
    n.hh = new Uint8Array(0); // neigh_update_hhs(): the cached header is made again
    if (!(state & NUD_CONNECTED)) n.confirmed = now - (n.parms.baseReachableTime << 1);
  }
  if (state !== old && !(old & NUD_VALID)) {
    // the packets that waited go out through the entry's output now
    while (n.nudState & NUD_VALID && n.arpQueue.length) {
      const skb = n.arpQueue.shift()!;
      neighResolveOutput(host, on, n, skb);
    }
    n.arpQueue.length = 0;
    n.arpQueueLenBytes = 0;
  }
  if ((state !== old || changedAddr) && cpu) neighUpdateNotify(host, cpu);
  return 0;
}

// neigh_update_notify() → __neigh_notify(): an RTM_NEWNEIGH message to RTNLGRP_NEIGH, which no
// one in the namespace listens to: netlink_broadcast() frees it
function neighUpdateNotify(host: Net, cpu: Cpu): void {
  host.sim.traced(cpu, "__neigh_notify", () => {
    const msg = -host.sim.ledger.nextId;
    host.sim.traced(cpu, "consume_skb", () => {
      host.sim.tracepoint(cpu, "consume_skb", () => ({
        skbaddr: msg,
        location: "netlink_broadcast_filtered",
      }));
    });
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// dev_hard_header() → eth_header(): the link-layer header in front of the datagram
function devHardHeader(
  host: Net,
  cpu: Cpu,
  skb: SkBuff,
  dev: NetDevice,
  daddr: Uint8Array,
  proto: number,
): void {
  host.sim.traced(cpu, "eth_header", () => ethHeader(skb, dev, daddr, proto), skb.id);
}

function ethHeader(skb: SkBuff, dev: NetDevice, daddr: Uint8Array, proto: number): void {
  skb.data -= dev.hardHeaderLen;
  skb.len += dev.hardHeaderLen;
  const h = skb.head;
  h.set(daddr, skb.data);
  h.set(dev.devAddr, skb.data + 6);
  h[skb.data + 12] = proto >> 8;
  h[skb.data + 13] = proto & 255;
}

// dev_queue_xmit() of a frame the host made
function xmit(host: Net, cpu: Cpu, dev: NetDevice, skb: SkBuff): number {
  return devQueueXmit(host, cpu, dev, skb);
}

/**
 * neigh_resolve_output(): the slow output, through neigh_event_send(); with the address known,
 * the header cache is filled (neigh_hh_init()) and the frame goes to dev_queue_xmit().
 * @param host the host
 * @param cpu the CPU
 * @param n the neighbour
 * @param skb the packet, its data at the network header, with room for the link header before
 * @returns dev_queue_xmit()'s code, or 0 for a packet left waiting in (or dropped from) arp_queue
 */
export function neighResolveOutput(host: Net, cpu: Cpu, n: Neighbour, skb: SkBuff): number {
  return host.sim.traced(cpu, "neigh_resolve_output", () => {
    if (neighEventSend(host, cpu, n, skb)) return 0;
    if (n.hh.length === 0) neighHhInit(host, cpu, n, skb.protocol);
    devHardHeader(host, cpu, skb, n.dev, n.ha, skb.protocol);
    return xmit(host, cpu, n.dev, skb);
  }, skb.id);
}

/**
 * neigh_hh_init() → eth_header_cache(): the Ethernet header for this neighbour, kept so that
 * later packets copy it whole (hh_cache).
 * @param host the host
 * @param cpu the CPU
 * @param n the neighbour
 * @param proto the ethertype
 */
export function neighHhInit(host: Net, cpu: Cpu, n: Neighbour, proto: number): void {
  // neigh_hh_init() is inline: the device's header_ops->cache builds the header
  host.sim.traced(cpu, "eth_header_cache", () => {
    const hh = new Uint8Array(n.dev.hardHeaderLen);
    hh.set(n.ha, 0);
    hh.set(n.dev.devAddr, 6);
    hh[12] = proto >> 8;
    hh[13] = proto & 255;
    n.hh = hh;
  });
}

/**
 * neigh_output(): a connected neighbour with a cached header takes the fast way,
 * neigh_hh_output() copying the header in front of the packet; any other goes through the
 * entry's output (neigh_resolve_output(), or neigh_direct_output() on a device without a
 * link-layer header).
 * @param host the host
 * @param cpu the CPU
 * @param n the neighbour
 * @param skb the packet, its data at the network header
 * @returns dev_queue_xmit()'s code (NET_XMIT_DROP when the qdisc dropped it), or 0
 */
export function neighOutput(host: Net, cpu: Cpu, n: Neighbour, skb: SkBuff): number {
  if (n.nudState & NUD_CONNECTED && n.hh.length) {
    host.sim.enterFn(cpu, "neigh_hh_output", skb.id);
    skb.data -= n.hh.length;
    skb.len += n.hh.length;
    skb.head.set(n.hh, skb.data);
    const rc = xmit(host, cpu, n.dev, skb);
    host.sim.exitFn(cpu, "neigh_hh_output", skb.id);
    return rc;
  }
  if (n.output === "neigh_direct_output") {
    host.sim.enterFn(cpu, "neigh_direct_output", skb.id);
    const rc = xmit(host, cpu, n.dev, skb);
    host.sim.exitFn(cpu, "neigh_direct_output", skb.id);
    return rc;
  }
  return neighResolveOutput(host, cpu, n, skb);
}

/**
 * pneigh_enqueue(): a request to answer for another host waits a random delay below
 * proxy_delay (neigh_proxy_delay()), so that the host it stands in for answers first if it can;
 * past proxy_qlen waiting ones it is dropped. The table's one proxy timer
 * (neigh_proxy_process()) runs each due request again through the protocol (parp_redo()).
 * @param host the host
 * @param cpu the CPU
 * @param tbl the table
 * @param parms the receiving device's settings
 * @param skb the request
 */
export function pneighEnqueue(
  host: Net,
  cpu: Cpu,
  tbl: NeighTable,
  parms: NeighParms,
  skb: SkBuff,
): void {
  host.sim.traced(cpu, "pneigh_enqueue", () => {
    const queue = tbl.proxyQueue;
    if (queue.filter((q) => q.parms === parms).length > parms.proxyQlen) {
      kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "pneigh_enqueue");
      return;
    }
    const now = jiffies(host);
    const due = now + (parms.proxyDelay ? Math.floor(host.sim.rng.float() * parms.proxyDelay) : 0);
    queue.push({ skb, due, parms });
    const earliest = Math.min(...queue.map((q) => q.due));
    proxyTimer(host, cpu, tbl, earliest - now);
  }, skb.id);
}

// mod_timer(&tbl->proxy_timer): one timer for the table, due at the earliest request
function proxyTimer(host: Net, cpu: Cpu, tbl: NeighTable, delay: number): void {
  const at = modTimer(host, Math.max(0, delay), () => {
    if (tbl.proxyTimerAt !== at) return;
    tbl.proxyTimerAt = -1;
    host.sim.traced(cpu, "neigh_proxy_process", () => neighProxyProcess(host, cpu, tbl));
  });
  tbl.proxyTimerAt = at;
}

// neigh_proxy_process(): due requests go back to the protocol, the timer re-armed for the rest
function neighProxyProcess(host: Net, cpu: Cpu, tbl: NeighTable): void {
  const now = jiffies(host);
  const queue = tbl.proxyQueue;
  const due = queue.filter((q) => q.due <= now);
  tbl.proxyQueue = queue.filter((q) => q.due > now);
  for (const q of due) tbl.proxyRedo(cpu, q.skb);
  if (tbl.proxyQueue.length) {
    proxyTimer(host, cpu, tbl, Math.min(...tbl.proxyQueue.map((q) => q.due)) - now);
  }
}
