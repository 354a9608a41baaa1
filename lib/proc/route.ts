// Models what `ip route show table local|main` (iproute2) prints of the FIB: the routes the
// kernel dumps for RTM_GETROUTE (net/ipv4/fib_trie.c: fib_table_dump), one a line.

import type { InetNet } from "../ipv4/netns_ipv4.ts";
import { inNtoa } from "../wire/ipv4.ts";
import { TextView } from "../viz/display.ts";

const SCOPE_NAMES: Record<number, string> = { 253: "link", 254: "host" };

/**
 * Prints a table as `ip route show table local|main` does: sorted by prefix (the trie's
 * order), one route per line; `proto boot`, iproute2's default, is not shown.
 * @param host the host
 * @param table "local" or "main"
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, ipRouteShow } from "@rxpath/rxpath";
 * console.log(ipRouteShow(createHost(), "local").text);
 * ```
 */
export function ipRouteShow(host: InetNet, table: "local" | "main"): TextView {
  const routes = [...host.ipv4.fib[table].routes].sort((a, b) =>
    a.dst - b.dst || a.len - b.len || a.metric - b.metric
  );
  const lines = routes.map((r) => {
    const dst = r.len === 0
      ? "default"
      : r.len === 32
      ? inNtoa(r.dst)
      : `${inNtoa(r.dst)}/${r.len}`;
    const parts = [r.type === "unicast" ? dst : `${r.type} ${dst}`];
    if (r.gw) parts.push(`via ${inNtoa(r.gw)}`);
    if (r.dev) parts.push(`dev ${r.dev.name}`);
    if (r.proto === "kernel") parts.push("proto kernel");
    if (r.scope in SCOPE_NAMES) parts.push(`scope ${SCOPE_NAMES[r.scope]}`);
    if (r.prefsrc) parts.push(`src ${inNtoa(r.prefsrc)}`);
    if (r.metric) parts.push(`metric ${r.metric}`);
    return parts.join(" ") + " "; // iproute2 ends each route with a space
  });
  return new TextView(
    `ip route show table ${table}`,
    lines.join("\n") + (lines.length ? "\n" : ""),
  );
}
