// The replay's result for a person: a table of frames, then the counters and rule counters.

import type { ReplayLine, ReplaySummary } from "./replay.ts";
import type { Scenario } from "./scenario.ts";

/** A replay line as a table row: fate, where it went or why it was dropped, the reply. */
export interface ReplayRow {
  /** Frame index. */
  frame: number;
  /** delivered, forwarded or dropped. */
  fate: string;
  /** The socket index (or "kernel"), the egress device, or the drop reason. */
  detail: string;
  /** What the host sent back, or "". */
  reply: string;
}

/**
 * Turns a replay's frame lines into uniform rows for a table.
 * @param lines the replay's lines (the summary is left out)
 * @returns one row per frame
 */
export function replayRows(lines: readonly (ReplayLine | ReplaySummary)[]): ReplayRow[] {
  return lines.filter((l): l is ReplayLine => !("summary" in l)).map((l) => ({
    frame: l.frame,
    fate: l.fate,
    detail: "socket" in l
      ? (l.socket === null ? "kernel" : `socket ${l.socket}`)
      : "dev" in l
      ? `out ${l.dev}`
      : l.reason,
    reply: l.reply ?? "",
  }));
}

/**
 * Formats a replay as text: one row per frame (fate, where, reply), then the non-zero SNMP
 * counters by group and each filter rule's packets and bytes.
 * @param scenario the scenario replayed
 * @param lines the replay's lines
 * @returns the text
 */
export function replayTable(scenario: Scenario, lines: (ReplayLine | ReplaySummary)[]): string {
  const rows = replayRows(lines).map((r) => {
    const sock = /^socket (\d+)$/.exec(r.detail);
    const where = sock ? `${r.detail} (${sockName(scenario, Number(sock[1]))})` : r.detail;
    return [String(r.frame), r.fate, where, r.reply];
  });
  const head = ["frame", "fate", "where / reason", "reply"];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const fmt = (r: string[]) => r.map((x, c) => x.padEnd(widths[c])).join("  ").trimEnd();
  const out = [fmt(head), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)];
  const summary = lines.find((l): l is ReplaySummary => "summary" in l)!;
  out.push("", "counters (/proc/net/snmp, non-zero):");
  for (const [group, fields] of Object.entries(summary.counters)) {
    const f = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(", ");
    out.push(`  ${group}: ${f || "-"}`);
  }
  if (summary.rules.length) {
    out.push("", "filter rules (iptables -L -v -x):");
    summary.rules.forEach((r, i) => {
      const rule = scenario.filter[i];
      out.push(`  ${i}: ${rule.chain} -> ${rule.target}: ${r.pkts} packets, ${r.bytes} bytes`);
    });
  }
  return out.join("\n");
}

function sockName(s: Scenario, i: number): string {
  const sk = s.sockets[i];
  const ep = (e: { addr: number; port: number }) =>
    `${e.addr >>> 24}.${(e.addr >>> 16) & 255}.${(e.addr >>> 8) & 255}.${e.addr & 255}:${e.port}`;
  return `${sk.proto} ${ep(sk.local)}${sk.remote ? ` -> ${ep(sk.remote)}` : ""}`;
}
