// The replay's result for a person: a table of frames, then the counters and rule counters.

import { InputRangeError } from "../base/errors.ts";
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
export function replayTable(
  scenario: Scenario,
  lines: Iterable<ReplayLine | ReplaySummary>,
): string {
  const table = new ReplayTable(scenario);
  for (const l of lines) table.add(l);
  return [...table.lines()].join("\n");
}

/**
 * The replay table built as the lines come: a frame's row is kept as the number of its distinct
 * (fate, where, reply) — four bytes a frame — so a replay of millions of frames prints as a table
 * without holding its lines.
 *
 * @example
 * ```ts
 * import { buildFrame, loadScenario, pcapRecords, replayStream, ReplayTable } from "@rxpath/rxpath";
 * const scenario = loadScenario({ ingress: "eth0", interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }] });
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" }, udp: { source: 4000, dest: 53 } });
 * const table = new ReplayTable(scenario);
 * replayStream(scenario, pcapRecords([frame], 0n), (line) => table.add(line));
 * for (const line of table.lines()) console.log(line); // frame 0: dropped NO_SOCKET, icmp port-unreachable
 * ```
 */
export class ReplayTable {
  readonly #scenario: Scenario;
  readonly #kinds: string[][] = [];
  readonly #kindOf = new Map<string, number>();
  #rows = new Uint32Array(1024);
  #count = 0;
  #summary: ReplaySummary | null = null;

  /**
   * Starts a table for a replay of the scenario.
   * @param scenario the scenario replayed
   */
  constructor(scenario: Scenario) {
    this.#scenario = scenario;
  }

  /**
   * Takes the next line of the replay: a frame's, in order, or the summary.
   * @param line the line
   */
  add(line: ReplayLine | ReplaySummary): void {
    if ("summary" in line) {
      this.#summary = line;
      return;
    }
    const [row] = replayRows([line]);
    if (row.frame !== this.#count) {
      throw new InputRangeError(
        `Cannot add frame ${row.frame} to the replay table: frame ${this.#count} comes next`,
      );
    }
    const sock = /^socket (\d+)$/.exec(row.detail);
    const where = sock
      ? `${row.detail} (${sockName(this.#scenario, Number(sock[1]))})`
      : row.detail;
    const cells = [row.fate, where, row.reply];
    const key = cells.join("\0");
    let kind = this.#kindOf.get(key);
    if (kind === undefined) {
      kind = this.#kinds.push(cells) - 1;
      this.#kindOf.set(key, kind);
    }
    if (this.#count === this.#rows.length) {
      const grown = new Uint32Array(this.#rows.length * 2);
      grown.set(this.#rows);
      this.#rows = grown;
    }
    this.#rows[this.#count++] = kind;
  }

  /**
   * The table's lines: the header, a row per frame, the counters and the rule counters.
   * @returns the lines, one at a time
   */
  *lines(): Generator<string, void, void> {
    const head = ["frame", "fate", "where / reason", "reply"];
    const widths = head.map((h) => h.length);
    widths[0] = Math.max(widths[0], String(Math.max(0, this.#count - 1)).length);
    for (const cells of this.#kinds) {
      cells.forEach((x, c) => widths[c + 1] = Math.max(widths[c + 1], x.length));
    }
    const fmt = (r: string[]) => r.map((x, c) => x.padEnd(widths[c])).join("  ").trimEnd();
    yield fmt(head);
    yield fmt(widths.map((w) => "-".repeat(w)));
    for (let i = 0; i < this.#count; i++) yield fmt([String(i), ...this.#kinds[this.#rows[i]]]);
    const summary = this.#summary;
    if (!summary) return;
    yield "";
    yield "counters (/proc/net/snmp, non-zero):";
    for (const [group, fields] of Object.entries(summary.counters)) {
      const f = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(", ");
      yield `  ${group}: ${f || "-"}`;
    }
    if (summary.rules.length) {
      yield "";
      yield "filter rules (iptables -L -v -x):";
      for (const [i, r] of summary.rules.entries()) {
        const rule = this.#scenario.filter[i];
        yield `  ${i}: ${rule.chain} -> ${rule.target}: ${r.pkts} packets, ${r.bytes} bytes`;
      }
    }
  }
}

function sockName(s: Scenario, i: number): string {
  const sk = s.sockets[i];
  const ep = (e: { addr: number; port: number }) =>
    `${e.addr >>> 24}.${(e.addr >>> 16) & 255}.${(e.addr >>> 8) & 255}.${e.addr & 255}:${e.port}`;
  return `${sk.proto} ${ep(sk.local)}${sk.remote ? ` -> ${ep(sk.remote)}` : ""}`;
}
