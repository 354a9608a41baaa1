// Models the sysctl registry of net/sysctl_net.c and kernel/sysctl.c (Linux 6.18): each subsystem
// registers a table of entries (struct ctl_table: procname, data, extra1/extra2 bounds, a
// proc_handler), and a write goes through the entry's bounds and handler.

/** A sysctl entry (struct ctl_table), as a subsystem registers it. */
export interface CtlTable {
  /** The full name, dots for slashes; `<dev>` stands for a device, `all` or `default`. */
  procname: string;
  /** The kernel's default (the initial value of the entry's data). */
  value: number;
  /** Smallest value the handler takes (extra1 of proc_dointvec_minmax, INT_MIN for plain ints). */
  min: number;
  /** Largest value the handler takes (extra2, INT_MAX for plain ints). */
  max: number;
  /** Where the entry and its handler are in the kernel, `file:function`. */
  source: string;
  /** One entry per device (net.ipv4.conf.<dev>.*) rather than one value. */
  perDevice?: boolean;
  /**
   * Per device only, with no `all` or `default` (net.ipv4.neigh.<dev>.*: the default set is
   * the initial namespace's alone).
   */
  devicesOnly?: boolean;
  /** A further check of the handler's, returning what is wrong with a value. */
  check?: (value: number) => string | undefined;
  /** What a write does besides storing the value; `which` is the `<dev>` part. */
  handler?: (value: number, which?: string) => void;
  /** Reads a per-device entry's value for `all`, `default` or a device (its data). */
  read?: (which: string) => number;
}

/**
 * A text entry (a proc_dostring handler of its own), such as net.core.default_qdisc: one value
 * for the machine, read and written as a name.
 */
export interface CtlStringTable {
  /** The full name, dots for slashes. */
  procname: string;
  /** The kernel's default text. */
  text: string;
  /** Where the entry and its handler are in the kernel, `file:function`. */
  source: string;
  /** The value now, as a read prints it. */
  read: () => string;
  /** What a write does: takes the value, or throws the error the handler returns. */
  write: (value: string) => void;
  /** Never per device. */
  perDevice?: undefined;
}

/** A registered entry, numeric or text. */
export type CtlEntry = CtlTable | CtlStringTable;

/** Smallest int a plain proc_dointvec entry takes (INT_MIN). */
export const INT_MIN: number = -0x80000000;
/** Largest int (INT_MAX). */
export const INT_MAX: number = 0x7fffffff;

/**
 * Finds the entry a sysctl name writes: a global entry by its name, or a per-device entry whose
 * `<dev>` part matches any non-empty name (device names may contain dots, as eth0.100).
 * @param tables the registered entries
 * @param name such as `net.core.netdev_budget` or `net.ipv4.conf.eth0.rp_filter`
 * @returns the entry and the `<dev>` part, or undefined when none matches
 * @example
 * ```ts
 * import { createHost, sysctlTableLookup } from "@rxpath/rxpath";
 * const host = createHost();
 * console.log(sysctlTableLookup(host.sysctlTables, "net.ipv4.conf.all.rp_filter")?.dev); // "all"
 * ```
 */
export function sysctlTableLookup(
  tables: readonly CtlEntry[],
  name: string,
): { entry: CtlEntry; dev?: string } | undefined {
  for (const entry of tables) {
    if (!entry.perDevice) {
      if (entry.procname === name) return { entry };
      continue;
    }
    const [prefix, suffix] = entry.procname.split("<dev>");
    if (
      name.length > prefix.length + suffix.length && name.startsWith(prefix) &&
      name.endsWith(suffix)
    ) {
      return { entry, dev: name.slice(prefix.length, name.length - suffix.length) };
    }
  }
  return undefined;
}
