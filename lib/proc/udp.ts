// Models udp4_seq_show() of net/ipv4/udp.c (Linux 6.18): /proc/net/udp, a row per socket.

import type { InetNet } from "../ipv4/netns_ipv4.ts";
import { udpRqueueGet } from "../ipv4/udp.ts";
import { TextView } from "../viz/display.ts";

function hexAddr(addr: number, port: number): string {
  // %08X of the raw __be32 as a little-endian u32, then the port
  const le = ((addr & 255) << 24 | ((addr >>> 8) & 255) << 16 | ((addr >>> 16) & 255) << 8 |
    (addr >>> 24)) >>> 0;
  return `${le.toString(16).toUpperCase().padStart(8, "0")}:${
    port.toString(16).toUpperCase().padStart(4, "0")
  }`;
}

/**
 * Renders /proc/net/udp as udp4_seg_show() prints it: one row per socket with its rx_queue
 * (sk_rmem_alloc) and drops (sk_drops), lines padded to 127 characters.
 * @param host the host
 * @returns the text view
 */
export function procNetUdp(host: InetNet): TextView {
  const head =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops";
  const rows = [...host.ipv4.udpSockets].sort((a, b) => a.num - b.num).map((sk, i) => {
    const row = `${String(i).padStart(5)}: ${hexAddr(sk.rcvSaddr, sk.num)} ${
      hexAddr(sk.daddr, sk.dport)
    } ${sk.state.toString(16).toUpperCase().padStart(2, "0")} ${"0".padStart(8, "0")}:${
      udpRqueueGet(sk).toString(16).toUpperCase().padStart(8, "0")
    } 00:00000000 00000000 ${String(0).padStart(5)} ${
      String(0).padStart(8)
    } ${sk.ino} 2 0000000000000000 ${sk.drops}`;
    return row.padEnd(127);
  });
  return new TextView("/proc/net/udp", [head.padEnd(127), ...rows].join("\n") + "\n");
}

/**
 * The UDP line of /proc/net/sockstat, as sockstat_seq_show() prints it (what
 * `grep UDP: /proc/net/sockstat` shows): the UDP sockets of the namespace, and the pages UDP has
 * charged — the count net.ipv4.udp_mem limits, which moves only when a CPU's reserve of
 * net.core.mem_pcpu_rsv pages is added to it.
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, udpSocket } from "@rxpath/rxpath";
 * import { sockstatUdp } from "@rxpath/rxpath/proc";
 * const host = createHost();
 * udpSocket(host, { addr: 0, port: 53 });
 * console.log(sockstatUdp(host).text); // UDP: inuse 1 mem 0
 * ```
 */
export function sockstatUdp(host: InetNet): TextView {
  return new TextView(
    "grep UDP: /proc/net/sockstat",
    `UDP: inuse ${host.ipv4.udpSockets.length} mem ${host.ipv4.udpProt?.memoryAllocated ?? 0}\n`,
  );
}
