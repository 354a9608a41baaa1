// Models what `sysctl -a` prints of the registered net.* entries (fs/proc/proc_sysctl.c reads
// each entry's data through its handler): name = value, sorted by name as sysctl(8) walks
// /proc/sys, per-device entries for all, default (where the namespace has them) and every
// device.

import type { Net } from "../core/net_namespace.ts";
import { TextView } from "../viz/display.ts";

/**
 * The modelled sysctls and their values, as `sysctl -a` prints them.
 * @param net the namespace
 * @returns the text view, a `name = value` line per entry
 * @example
 * ```ts
 * import { createHost, sysctlA } from "@rxpath/rxpath";
 * console.log(sysctlA(createHost()).text.split("\n")[0]); // net.core.busy_read = 0
 * ```
 */
export function sysctlA(net: Net): TextView {
  const lines: string[] = [];
  for (const e of net.sysctlTables) {
    if (!("value" in e)) {
      lines.push(`${e.procname} = ${e.read()}`);
      continue;
    }
    if (!e.perDevice) {
      lines.push(`${e.procname} = ${net.sysctl[e.procname]}`);
      continue;
    }
    const devices = net.devices.map((d) => d.name);
    for (const which of e.devicesOnly ? devices : ["all", "default", ...devices]) {
      // /proc/sys writes a dot in a device name as a slash (eth0.100 is eth0/100)
      lines.push(`${e.procname.replace("<dev>", which)} = ${e.read!(which)}`);
    }
  }
  return new TextView("sysctl -a", lines.sort().join("\n") + "\n");
}
