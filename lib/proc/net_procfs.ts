// Models net/core/net-procfs.c (Linux 6.18): /proc/net/ptype (ptype_seq_show) and
// /proc/net/softnet_stat (softnet_seq_show).

import type { Net } from "../core/net_namespace.ts";
import { ETH_P_ALL } from "../wire/ethernet.ts";
import { TextView } from "../viz/display.ts";

/**
 * /proc/net/ptype: taps bound to devices, then global taps, then ptype_base bucket by bucket,
 * each list newest first; "%04x" of the type (or "ALL "), the device, the handler's symbol.
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, procNetPtype } from "@rxpath/rxpath";
 * console.log(procNetPtype(createHost()).text);
 * ```
 */
export function procNetPtype(host: Net): TextView {
  const rows = [
    ...host.devices.flatMap((d) => d.ptypeAll.map((pt) => ({ pt, dev: d.name }))),
    ...host.ptype.all.map((pt) => ({ pt, dev: "" })),
    ...host.ptype.base.flat().map((pt) => ({ pt, dev: pt.dev?.name ?? "" })),
  ];
  const lines = rows.map(({ pt, dev }) => {
    const type = pt.type === ETH_P_ALL ? "ALL " : pt.type.toString(16).padStart(4, "0");
    return `${type} ${dev.padEnd(8)} ${pt.name}`;
  });
  return new TextView("/proc/net/ptype", ["Type Device      Function", ...lines].join("\n") + "\n");
}

/**
 * /proc/net/softnet_stat: one line per CPU of fifteen %08x fields — processed, dropped,
 * time_squeeze, six zeros (old fastroute and cpu_collision), received_rps, flow_limit_count,
 * backlog length, CPU id, input_pkt_queue length, process_queue length.
 * @param host the host
 * @returns the text view
 * @example
 * ```ts
 * import { createHost, procNetSoftnetStat } from "@rxpath/rxpath";
 * console.log(procNetSoftnetStat(createHost({ cpus: 1 })).text);
 * ```
 */
export function procNetSoftnetStat(host: Net): TextView {
  const hex = (v: number) => (v >>> 0).toString(16).padStart(8, "0");
  const lines = host.softnetData.map((sd) => {
    const input = sd.inputPktQueue.length;
    const proc = sd.processQueue.length;
    return [
      sd.processed,
      sd.dropped,
      sd.timeSqueeze,
      0,
      0,
      0,
      0,
      0,
      0,
      sd.receivedRps,
      sd.flowLimit?.count ?? 0, // flow_limit_count: fl->count
      input + proc,
      sd.cpu,
      input,
      proc,
    ].map(hex).join(" ");
  });
  return new TextView("/proc/net/softnet_stat", lines.map((l) => l + "\n").join(""));
}

/**
 * The ptype_base hash table as rows: one per registered handler, with its bucket
 * (`type & PTYPE_HASH_MASK`) and its position in the bucket's list (0 is searched first).
 * @param host the host
 * @returns rows of bucket, position, type and handler
 * @example
 * ```ts
 * import { createHost, ptypeBaseRows } from "@rxpath/rxpath";
 * console.log(ptypeBaseRows(createHost()));
 * ```
 */
export function ptypeBaseRows(
  host: Net,
): { bucket: number; position: number; type: string; handler: string }[] {
  return host.ptype.base.flatMap((list, bucket) =>
    list.map((pt, position) => ({
      bucket,
      position,
      type: "0x" + pt.type.toString(16).padStart(4, "0"),
      handler: pt.name,
    }))
  );
}
