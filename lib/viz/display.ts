// How views and charts show themselves in the Deno Jupyter kernel: an object with a method
// under Symbol.for("Jupyter.display") is displayed by what that method returns, a MIME bundle.
// lib/ never touches Deno.jupyter, which throws outside the kernel.

/** The symbol the Deno Jupyter kernel looks for on a cell's value. */
export const $display: unique symbol = Symbol.for("Jupyter.display") as never;

/** A Jupyter MIME bundle: MIME type to content. */
export type MimeBundle = Record<string, unknown>;

/**
 * Escapes text for HTML.
 * @param text any text
 * @returns the text with &, <, > and " escaped
 * @example
 * ```ts
 * import { escapeHtml } from "@rxpath/rxpath";
 * console.log(escapeHtml("<ip_rcv>")); // "&lt;ip_rcv&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/**
 * A text view, such as a /proc file: prints as itself and shows as preformatted text.
 *
 * @example
 * ```ts
 * import { TextView } from "@rxpath/rxpath";
 * const v = new TextView("/proc/net/ptype", "Type Device      Function\n");
 * console.log(v.text);
 * ```
 */
export class TextView {
  /** What it is, such as `/proc/net/ptype`. */
  readonly title: string;
  /** The text, exactly as the kernel would print it. */
  readonly text: string;

  /**
   * Makes a view.
   * @param title what it is
   * @param text its content
   */
  constructor(title: string, text: string) {
    this.title = title;
    this.text = text;
  }

  /**
   * The text, so that `${view}` and console.log show the content.
   * @returns the text
   */
  toString(): string {
    return this.text;
  }

  /**
   * The MIME bundle the notebook shows.
   * @returns text/plain and text/html
   */
  [$display](): MimeBundle {
    return {
      "text/plain": this.text,
      "text/html": `<pre title="${escapeHtml(this.title)}">${escapeHtml(this.text)}</pre>`,
    };
  }
}

/**
 * Lays rows out as an aligned text table (numbers right-aligned), for showing data in a cell.
 * @param title what the table is
 * @param rows objects with the same keys
 * @returns a text view
 * @example
 * ```ts
 * import { tableView } from "@rxpath/rxpath";
 * console.log(tableView("protocols", [{ nr: 6, name: "tcp_v4_rcv" }]).text);
 * ```
 */
export function tableView(title: string, rows: readonly object[]): TextView {
  if (rows.length === 0) return new TextView(title, "(empty)\n");
  const recs = rows as readonly Record<string, unknown>[];
  const keys = Object.keys(recs[0]);
  const cells = recs.map((r) => keys.map((k) => String(r[k] ?? "")));
  const widths = keys.map((k) => k.length);
  for (const c of cells) c.forEach((x, i) => widths[i] = Math.max(widths[i], x.length));
  const numeric = keys.map((k) => recs.every((r) => typeof r[k] === "number"));
  const fmt = (vals: string[]) =>
    vals.map((v, i) => numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])).join("  ")
      .trimEnd();
  return new TextView(title, [fmt(keys), ...cells.map(fmt)].join("\n") + "\n");
}

/** Anything a notebook can show: a value with a display method, or a plain value. */
export type Displayable = { [$display](): MimeBundle | Promise<MimeBundle> } | unknown;

/** The part of the Deno kernel's `Deno.jupyter` that {@linkcode show} uses. */
export interface JupyterDisplay {
  /** Sends a display_data message; with `raw: true` the object is a MIME bundle. */
  display(obj: unknown, options?: { raw?: boolean }): unknown;
}

/** How long {@linkcode show} waits after displaying, ms. */
export const DISPLAY_FLUSH_MS = 100;

/**
 * Displays values in a Deno notebook cell and waits for the kernel to send them. The Deno
 * kernel can report a cell finished before its display messages leave, and nbconvert then
 * drops them; a short wait at the end of the cell lets them out. Pass `Deno.jupyter`: lib/
 * never names it, since it throws outside the kernel.
 * @param jupyter the kernel's `Deno.jupyter`
 * @param items views, charts or plain values, shown in order
 * @example
 * ```ts
 * import { show, TextView } from "@rxpath/rxpath";
 * const sent: unknown[] = [];
 * await show({ display: (b) => sent.push(b) }, new TextView("demo", "hello"));
 * console.log(sent.length); // 1
 * ```
 */
export async function show(jupyter: JupyterDisplay, ...items: Displayable[]): Promise<void> {
  for (const item of items) {
    const shower = (item as Record<symbol, unknown>)?.[$display];
    const bundle = typeof shower === "function"
      ? await (shower as () => MimeBundle | Promise<MimeBundle>).call(item)
      : { "text/plain": typeof item === "string" ? item : Deno.inspect(item) };
    await jupyter.display(bundle, { raw: true });
  }
  // Real time, not simulated time: this waits for the kernel's I/O, outside any simulation.
  await new Promise((resolve) => setTimeout(resolve, DISPLAY_FLUSH_MS));
}
