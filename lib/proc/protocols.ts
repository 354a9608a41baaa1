// Models proto_seq_show() of net/core/sock.c (Linux 6.18): /proc/net/protocols.

import type { Net } from "../core/net_namespace.ts";
import { PROTO_METHODS } from "../core/sock.ts";
import { TextView } from "../viz/display.ts";

/**
 * /proc/net/protocols: proto_list newest first, with size, sockets in use, memory, pressure,
 * max header, slab, module and y/n for each method, in the kernel's column widths.
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, procNetProtocols } from "@rxpath/rxpath";
 * console.log(procNetProtocols(createHost()).text);
 * ```
 */
export function procNetProtocols(host: Net): TextView {
  const header =
    `${"protocol".padEnd(9)} ${"size".padEnd(4)} ${"sockets".padEnd(8)} ${"memory".padEnd(6)} ` +
    `${"press".padEnd(5)} ${"maxhdr".padEnd(7)} ${"slab".padEnd(4)} ${"module".padEnd(10)} ` +
    "cl co di ac io in de sh ss gs se re bi br ha uh gp em";
  const rows = host.protoList.map((p) => {
    const press = p.memoryPressure === null ? "NI" : p.memoryPressure ? "yes" : "no";
    const methods = PROTO_METHODS.map((m) => (p.methods.has(m) ? "y" : "n").padStart(2)).join(" ");
    return `${p.name.padEnd(9)} ${String(p.objSize).padStart(4)} ${String(p.inuse).padStart(6)}  ` +
      `${String(p.memoryAllocated ?? -1).padStart(6)}   ${press.padEnd(3)} ${
        String(p.maxHeader).padStart(6)
      }   ` +
      `${(p.slab ? "yes" : "no").padEnd(3)}  ${"kernel".padEnd(10)} ${methods}`;
  });
  return new TextView("/proc/net/protocols", [header, ...rows].join("\n") + "\n");
}
