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

/**
 * The ARP table as `ip neigh show` prints it, or `ip neigh show dev DEV` (the device left out of
 * each line): address, device, the MAC of an entry that has one, the state — each line ending
 * in a space, as iproute2 prints it. The kernel dumps its hash buckets in order, a random order
 * for a learner; the kit lists entries as they were made.
 * @param host the host
 * @param dev only this device's entries
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, inAton, ipNeighReplace, ipNeighShow, macAton, registerEtherdev } from "@rxpath/rxpath";
 * const host = createHost();
 * registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * ipNeighReplace(host, "eth0", inAton("10.1.0.7"), macAton("02:00:00:00:00:07"));
 * console.log(ipNeighShow(host).text); // 10.1.0.7 dev eth0 lladdr 02:00:00:00:00:07 PERMANENT
 * ```
 */
export function ipNeighShow(host: InetNet, dev?: string): TextView {
  const lines = entries(host).filter((n) => !dev || n.dev.name === dev).map((n) =>
    `${inNtoa(n.primaryKey)} ${dev ? "" : `dev ${n.dev.name} `}${
      n.nudState & NUD_VALID && n.dev.hardHeaderLen ? `lladdr ${macToString(n.ha)} ` : ""
    }${nudStateName(n.nudState).toUpperCase()} `
  );
  return new TextView(`ip neigh show${dev ? ` dev ${dev}` : ""}`, lines.join("\n") + "\n");
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
  return [...arpTbl(host).entries!.values()];
}
