// Models what a host shows of its ARP table: `ip neigh show [dev DEV]` (iproute2's print_neigh()
// over an RTM_GETNEIGH dump) and /proc/net/arp (net/ipv4/arp.c: arp_seq_show()).

import type { InetNet } from "../ipv4/netns_ipv4.ts";
import { arpTbl } from "../ipv4/arp.ts";
import {
  type Neighbour,
  NUD_NOARP,
  NUD_PERMANENT,
  NUD_VALID,
  nudStateName,
} from "../core/neighbour.ts";
import { macToString } from "../wire/ethernet.ts";
import { inNtoa } from "../wire/ipv4.ts";
import { TextView } from "../viz/display.ts";
import { jiffies } from "../kernel/timer.ts";

/**
 * The ARP table as `ip neigh show` prints it, or `ip neigh show dev DEV` (the device left out of
 * each line): address, device, the MAC of an entry that has one, the state — each line ending
 * in a space, as iproute2 prints it. With `stats`, as `ip -s neigh` prints it: the references
 * beyond the table's (` ref N`, when any: a pending timer holds one), then `used A/B/C` — seconds
 * since the entry was last used by the slow path, confirmed and updated (NDA_CACHEINFO) — and the
 * probes of the current round, in iproute2's spacing. The kernel dumps its hash buckets in
 * order, a random order for a learner; the kit lists entries as they were made.
 * @param host the host
 * @param dev only this device's entries
 * @param stats print `ip -s neigh`'s statistics
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, inAton, ipNeighReplace, ipNeighShow, macAton, registerEtherdev } from "@rxpath/rxpath";
 * const host = createHost();
 * registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * ipNeighReplace(host, "eth0", inAton("10.1.0.7"), macAton("02:00:00:00:00:07"));
 * console.log(ipNeighShow(host).text); // 10.1.0.7 dev eth0 lladdr 02:00:00:00:00:07 PERMANENT
 * console.log(ipNeighShow(host, "eth0", true).text); // 10.1.0.7 lladdr 02:00:00:00:00:07  used 0/0/0probes 0 PERMANENT
 * ```
 */
export function ipNeighShow(host: InetNet, dev?: string, stats = false): TextView {
  const now = jiffies(host);
  // jiffies_to_clock_t() in NDA_CACHEINFO, then iproute2's division by USER_HZ
  const age = (j: number) => Math.floor((now - j) / host.hz);
  const lines = entries(host).filter((n) => !dev || n.dev.name === dev).map((n) => {
    const ll = n.nudState & NUD_VALID && n.dev.hardHeaderLen ? `lladdr ${macToString(n.ha)} ` : "";
    const refs = n.timerAt >= 0 ? 1 : 0;
    const cache = stats
      ? `${refs ? ` ref ${refs}` : ""} used ${age(n.used)}/${age(n.confirmed)}/${
        age(n.updated)
      }probes ${n.probes} `
      : "";
    return `${inNtoa(n.primaryKey)} ${dev ? "" : `dev ${n.dev.name} `}${ll}${cache}${
      nudStateName(n.nudState).toUpperCase()
    } `;
  });
  const title = `ip${stats ? " -s" : ""} neigh show${dev ? ` dev ${dev}` : ""}`;
  return new TextView(title, lines.join("\n") + "\n");
}

/**
 * /proc/net/arp as arp_seq_show() prints it: IP address, hardware type (1, Ethernet), flags
 * (ATF_COM 0x2 for an entry with an address, with ATF_PERM 0x4 for a permanent one), the MAC,
 * mask `*`, device; NOARP entries (lo, broadcasts) are left out.
 * @param host the host
 * @returns the text view
 */
export function procNetArp(host: InetNet): TextView {
  const lines = ["IP address       HW type     Flags       HW address            Mask     Device"];
  for (const n of entries(host)) {
    if (n.nudState === NUD_NOARP) continue;
    const flags = n.nudState & NUD_PERMANENT ? 0x6 : n.nudState & NUD_VALID ? 0x2 : 0;
    lines.push(
      `${inNtoa(n.primaryKey).padEnd(16)} 0x${"1".padEnd(10)}0x${flags.toString(16).padEnd(10)}${
        macToString(n.ha).padEnd(17)
      }     ${"*".padEnd(8)} ${n.dev.name}`,
    );
  }
  return new TextView("/proc/net/arp", lines.join("\n") + "\n");
}

function entries(host: InetNet): Neighbour[] {
  return [...arpTbl(host).entries.values()];
}

/**
 * The ARP table's counters as /proc/net/stat/arp_cache names its columns (neigh_stat_seq_show()),
 * summed over the CPUs as `ip -s ntable` sums them: entries is the table's size now. rcv_probes_*
 * count only IPv6's neighbour discovery, so they stay 0 here.
 * @param host the host
 * @returns each column's value
 * @example
 * ```ts
 * import { arpCacheStats, createHost } from "@rxpath/rxpath";
 * console.log(arpCacheStats(createHost()).table_fulls); // 0
 * ```
 */
export function arpCacheStats(host: InetNet): Record<string, number> {
  const tbl = arpTbl(host);
  const s = tbl.stats;
  return {
    entries: tbl.entries.size,
    allocs: s.allocs,
    destroys: s.destroys,
    hash_grows: s.hash_grows,
    lookups: s.lookups,
    hits: s.hits,
    res_failed: s.res_failed,
    rcv_probes_mcast: 0,
    rcv_probes_ucast: 0,
    periodic_gc_runs: s.periodic_gc_runs,
    forced_gc_runs: s.forced_gc_runs,
    unresolved_discards: s.unres_discards,
    table_fulls: s.table_fulls,
  };
}
