// The packetdrill corpus: the kit's own receive-side scripts (rxpath/) and scripts of
// google/packetdrill (upstream/, GPL-2.0, see its README) that the kit runs, kept in their
// folders so `../common/defaults.sh` resolves as it does in packetdrill's tree.

import { TCP_INFO_FIELDS } from "../../lib/ipv4/tcp.ts";

/** The corpus folder. */
export const PACKETDRILL_CORPUS = new URL("./packetdrill/", import.meta.url).pathname;

/** What the kernel did with one script. */
export interface PacketdrillRecord {
  /** packetdrill exited 0. */
  pass: boolean;
  /** packetdrill's message from the line naming the script on, or null. */
  error: string | null;
  /** For a script that passed: the counters not zero after its last event, by nstat's names. */
  counters?: Record<string, number>;
  /**
   * For a script that passed with a socket under test still open: what a %{ }% snippet after
   * its last event sees (TCP_INFO and SO_MEMINFO), the fields the kit models.
   */
  tcpInfo?: Record<string, number>;
}

/** The names the probe prints: every tcp_info and SO_MEMINFO field the kit models. */
export const TCP_INFO_PROBE_NAMES: readonly string[] = [
  ...TCP_INFO_FIELDS.map((f) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)),
  "SK_MEMINFO_RMEM_ALLOC",
  "SK_MEMINFO_RCVBUF",
  "SK_MEMINFO_SNDBUF",
  "SK_MEMINFO_FWD_ALLOC",
  "SK_MEMINFO_WMEM_QUEUED",
  "SK_MEMINFO_BACKLOG",
  "SK_MEMINFO_DROPS",
];

/**
 * A script with one more event after its last: a snippet printing the probe's names, which
 * packetdrill's python3 and the kit's runner both run.
 * @param script the script's text
 * @returns the script with the probe
 */
export function withTcpInfoProbe(script: string): string {
  return `${script.trimEnd()}\n+0 %{ print("tcp_info", ${TCP_INFO_PROBE_NAMES.join(", ")}) }%\n`;
}

/**
 * Reads the probe's line out of what the run printed.
 * @param output the printed lines
 * @returns the values by name, or null when the probe printed nothing
 */
export function readTcpInfoProbe(output: string[]): Record<string, number> | null {
  const line = output.find((l) => l.startsWith("tcp_info "));
  if (!line) return null;
  const values = line.split(" ").slice(1).map(Number);
  return Object.fromEntries(TCP_INFO_PROBE_NAMES.map((n, i) => [n, values[i]]));
}

/**
 * Reads /proc/net/snmp and /proc/net/netstat text (a line of names, then a line of values, per
 * group) as nstat does, keeping the counters that are not zero.
 * @param text the files' text, one after the other
 * @returns counters by nstat's names, such as `TcpExtDelayedACKs`
 */
export function nonZeroCounters(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = text.trim().split("\n");
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [group, ...names] = lines[i].split(" ");
    const values = lines[i + 1].split(" ").slice(1);
    names.forEach((n, j) => {
      if (Number(values[j])) out[group.slice(0, -1) + n] = Number(values[j]);
    });
  }
  return out;
}

/**
 * The command-line words packetdrill gets for a script: those of an `args` file in its folder,
 * one a line (the kernel selftests' ksft_runner.sh options), or none.
 * @param script the script's path
 * @returns the words
 */
export function corpusArgs(script: string): string[] {
  try {
    const text = Deno.readTextFileSync(`${script.slice(0, script.lastIndexOf("/"))}/args`);
    return text.split("\n").map((w) => w.trim()).filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * The same words as the kit's runner takes them: `--name=value` options and `-D NAME=VALUE`
 * defines.
 * @param args the words
 * @returns options by name and defines
 */
export function argsAsOptions(
  args: string[],
): { options: Record<string, string>; defines: Record<string, string> } {
  const options: Record<string, string> = {};
  const defines: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "-D") {
      const [name, value] = args[++i].split("=");
      defines[name] = value;
    } else {
      const [name, value] = args[i].replace(/^--/, "").split("=");
      options[name] = value ?? "";
    }
  }
  return { options, defines };
}

/**
 * Every script of the corpus, sorted.
 * @returns absolute paths
 */
export function corpusScripts(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const path = `${dir}${e.name}`;
      if (e.isDirectory) walk(`${path}/`);
      else if (e.name.endsWith(".pkt")) out.push(path);
    }
  };
  walk(PACKETDRILL_CORPUS);
  return out.sort();
}
