// Records what the model runs, named after the kernel functions it models, and prints it the
// way ftrace's function_graph tracer does (kernel/trace/trace_functions_graph.c), with the
// absolute time and the CPU context in front.

/** The three contexts a CPU runs kernel code in. */
export type Context = "hardirq" | "softirq" | "task";

/** One trace record: a function entered or left on a CPU, possibly for one skb. */
export interface TraceRecord {
  /** Virtual time in ns. */
  t: number;
  /** CPU id. */
  cpu: number;
  /** Context the CPU was in. */
  ctx: Context;
  /** The kernel function's exact symbol, such as `net_rx_action`. */
  fn: string;
  /** "entry" or "exit". */
  kind: "entry" | "exit";
  /** Nesting depth on this CPU when entered. */
  depth: number;
  /** The skb this call works on, if one. */
  skb?: number;
}

/** One hit of a kernel tracepoint (TRACE_EVENT), with the fields its TP_printk prints. */
export interface TraceEvent {
  /** Virtual time in ns. */
  t: number;
  /** CPU id. */
  cpu: number;
  /** Context the CPU was in. */
  ctx: Context;
  /** The task on the CPU (comm), interrupted or not; `<idle>` for none. */
  task: string;
  /** Bottom halves were disabled beyond the context (the `b` of trace_pipe's flags). */
  bhOff: boolean;
  /** Interrupts were disabled (the `d`, or `D` with bottom halves off too). */
  irqsOff: boolean;
  /** The preempt count's depth, trace_pipe's fourth flag. */
  preemptDepth: number;
  /** The event's name, such as `netif_receive_skb`. */
  event: string;
  /** The fields, named as the event's TP_STRUCT__entry names them. */
  fields: Record<string, string | number>;
}

/** Which records {@linkcode Tracer.functionGraph} prints. */
export interface GraphFilter {
  /** Only this CPU. */
  cpu?: number;
  /** Only calls on this skb: one packet's path. */
  skb?: number;
  /** Only records at or after this time, ns. */
  from?: number;
  /** Only records before this time, ns. */
  to?: number;
  /** Only the calls of this function and everything they call: an excerpt of the graph. */
  root?: string;
  /** With `root`: only its first this many calls. */
  calls?: number;
}

/**
 * Collects entry and exit records per CPU and renders them as a call graph.
 *
 * @example
 * ```ts
 * import { Tracer } from "@rxpath/rxpath";
 * const t = new Tracer();
 * t.enter(0, 0, "softirq", "net_rx_action");
 * t.enter(100, 0, "softirq", "napi_poll", 1);
 * t.exit(600, 0, "softirq", "napi_poll", 1);
 * t.exit(900, 0, "softirq", "net_rx_action");
 * console.log(t.functionGraph());
 * ```
 */
export class Tracer {
  /** False stops recording (for speed); entries and exits are then ignored. */
  enabled = true;
  /** Every record, in the order made. */
  readonly records: TraceRecord[] = [];
  /** Every tracepoint hit, in the order made. */
  readonly events: TraceEvent[] = [];
  /**
   * A tracing session's enabled events, as tracefs's `events/.../enable`: only these are
   * recorded, and each hit costs CPU time as it does in the kernel. Null (the default) records
   * every event for free, as the kit's own record.
   */
  session: ReadonlySet<string> | null = null;
  #depth = new Map<number, number>();
  // false once a record came earlier than the one before (only a caller's own times can)
  #inOrder = true;

  /**
   * Records that `fn` was entered.
   * @param t time in ns
   * @param cpu CPU id
   * @param ctx context on that CPU
   * @param fn the kernel symbol
   * @param skb the skb id, if the call is about one skb
   */
  enter(t: number, cpu: number, ctx: Context, fn: string, skb?: number): void {
    if (!this.enabled) return;
    const depth = this.#depth.get(cpu) ?? 0;
    if (t < (this.records.at(-1)?.t ?? t)) this.#inOrder = false;
    this.records.push({ t, cpu, ctx, fn, kind: "entry", depth, skb });
    this.#depth.set(cpu, depth + 1);
  }

  /**
   * Records that `fn` returned; it must be the innermost open call on that CPU.
   * @param t time in ns
   * @param cpu CPU id
   * @param ctx context on that CPU
   * @param fn the kernel symbol
   * @param skb the skb id, if the call is about one skb
   */
  exit(t: number, cpu: number, ctx: Context, fn: string, skb?: number): void {
    if (!this.enabled) return;
    const depth = (this.#depth.get(cpu) ?? 0) - 1;
    if (depth < 0) throw new Error(`BUG: trace exit from ${fn} on CPU ${cpu} with no open call`);
    this.#depth.set(cpu, depth);
    if (t < (this.records.at(-1)?.t ?? t)) this.#inOrder = false;
    this.records.push({ t, cpu, ctx, fn, kind: "exit", depth, skb });
  }

  /**
   * Records a tracepoint hit, as a trace_<event>() call in the kernel does.
   * @param e the event
   */
  tracepoint(e: TraceEvent): void {
    if (this.enabled) this.events.push(e);
  }

  /**
   * Drops the records and events made before time `t`, once they have been read: a long traced
   * run that prints as it goes (rxpath trace, frame by frame) keeps only what is still to come.
   * Records kept out of time order stay, as nothing can say which are old.
   * @param t the time, ns
   */
  forgetBefore(t: number): void {
    if (this.#inOrder) this.records.splice(0, firstAtOrAfter(this.records, t));
    this.events.splice(0, firstAtOrAfter(this.events, t));
  }

  /**
   * The tracepoint hits in a time window, in the order they happened.
   * @param from first time, ns
   * @param to end time (excluded), ns
   * @returns the events
   */
  eventsBetween(from: number, to: number): TraceEvent[] {
    const out: TraceEvent[] = [];
    for (let i = firstAtOrAfter(this.events, from); i < this.events.length; i++) {
      if (this.events[i].t >= to) break;
      out.push(this.events[i]);
    }
    return out;
  }

  /**
   * Prints the records as ftrace's function_graph does with funcgraph-abstime: time, CPU,
   * duration and the indented call, `func() {` ... `}` for calls with children, `func();` for
   * leaves. The context stands after the CPU.
   * @param filter one CPU, one skb, a time window; default everything
   * @returns the text, one line per call or closing brace
   */
  functionGraph(filter: GraphFilter = {}): string {
    // Records are made in time order, so a time window is found by binary search: printing
    // one frame's graph after each of n frames costs O(n log n), not O(n^2).
    const all = this.records;
    const ordered = this.#inOrder;
    const first = filter.from === undefined || !ordered ? 0 : firstAtOrAfter(all, filter.from);
    const last = filter.to === undefined || !ordered ? all.length : firstAtOrAfter(all, filter.to);
    const recs: TraceRecord[] = [];
    for (let i = first; i < last; i++) {
      const r = all[i];
      if (
        (filter.cpu === undefined || r.cpu === filter.cpu) &&
        (filter.skb === undefined || r.skb === filter.skb) &&
        (filter.from === undefined || r.t >= filter.from) &&
        (filter.to === undefined || r.t < filter.to)
      ) recs.push(r);
    }
    const shown = filter.root ? subtrees(recs, filter.root, filter.calls ?? Infinity) : recs;
    const base = shown.reduce((m, r) => Math.min(m, r.depth), Infinity);
    const lines = [
      `#${"TIME".padStart(10).padEnd(13)} |  CPU  ${"CONTEXT".padEnd(8)} ${
        "DURATION".padEnd(13)
      } |  FUNCTION CALLS`,
      `#${"|".padStart(8).padEnd(13)} |   |   ${"|".padEnd(8)} ${
        "  |   |".padEnd(13)
      } |   |   |   |   |`,
    ];
    const exits = new Map<number, number>();
    const starts = new Map<number, number>();
    const open: number[] = [];
    shown.forEach((r, i) => {
      if (r.kind === "entry") open.push(i);
      else if (open.length > 0) {
        const start = open.pop()!;
        exits.set(start, i);
        starts.set(i, start);
      }
    });
    shown.forEach((r, i) => {
      const indent = "  ".repeat(r.depth - base);
      const head = `${(r.t / 1e9).toFixed(9).padStart(14)} | ${String(r.cpu).padStart(3)})  ${
        r.ctx.padEnd(8)
      }`;
      if (r.kind === "entry") {
        const j = exits.get(i);
        if (j === i + 1) {
          lines.push(`${head} ${duration(shown[j].t - r.t)} |  ${indent}${r.fn}();`);
        } else {
          lines.push(`${head} ${" ".repeat(13)} |  ${indent}${r.fn}() {`);
        }
      } else if (shown[i - 1]?.kind !== "entry" || shown[i - 1].fn !== r.fn) {
        const start = starts.get(i);
        const d = start === undefined ? " ".repeat(13) : duration(r.t - shown[start].t);
        lines.push(`${head} ${d} |  ${indent}} /* ${r.fn} */`);
      }
    });
    return lines.join("\n");
  }
}

// function_graph prints "%7.3f us" style durations in a 13-column field.
function duration(ns: number): string {
  return `${(ns / 1000).toFixed(3)} us`.padStart(10).padEnd(13);
}

// The records of the first `calls` calls of `root` with what they called, per CPU: from its
// entry to the exit at the same depth.
function subtrees(recs: TraceRecord[], root: string, calls: number): TraceRecord[] {
  const open = new Map<number, number>(); // CPU → depth of the root call being copied
  let started = 0;
  return recs.filter((r) => {
    const depth = open.get(r.cpu);
    if (depth === undefined) {
      if (r.kind !== "entry" || r.fn !== root || started >= calls) return false;
      started++;
      open.set(r.cpu, r.depth);
      return true;
    }
    if (r.kind === "exit" && r.depth === depth) open.delete(r.cpu);
    return true;
  });
}

// The index of the first of time-ordered records at or after time t.
function firstAtOrAfter(records: readonly { t: number }[], t: number): number {
  let lo = 0, hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (records[mid].t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
