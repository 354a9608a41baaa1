// Vega-Lite (v5) spec builders for what the chapters plot, and the Chart that shows a spec in
// a notebook as the interactive chart plus an SVG rendering made headless with vega, and a PNG
// of it drawn with resvg.

import * as vega from "vega";
import { compile } from "vega-lite";
import { createRequire } from "node:module";
import { $display, type MimeBundle } from "./display.ts";

/** A Vega-Lite v5 specification, as JSON. */
export type VegaLiteSpec = Record<string, unknown>;

/** One data row of a chart. */
export type Row = Record<string, string | number | boolean | null>;

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/** Labels shared by the builders. */
export interface ChartText {
  /** Chart title. */
  title: string;
  /** Axis title of x, default the field name. */
  xTitle?: string;
  /** Axis title of y, default the field name. */
  yTitle?: string;
  /** A log x scale, for a sweep over orders of magnitude (its values above 0). */
  xLog?: boolean;
  /** A field whose value is written beside each point: the setting of a trade-off curve. */
  label?: string;
}

// Series colours: twenty distinct ones (Vega's default has ten, and repeats them), and a
// legend that never cuts an entry
const PALETTE = { scale: { scheme: "tableau20" }, legend: { labelLimit: 0 } };

function base(title: string, data: Row[]): VegaLiteSpec {
  return { $schema: SCHEMA, title, width: 480, height: 240, data: { values: data } };
}

/**
 * A line chart over time or any quantitative x, one line per `color` value.
 * @param data rows
 * @param x the x field
 * @param y the y field
 * @param text title and axis titles
 * @param color field that splits lines
 * @returns the spec
 * @example
 * ```ts
 * import { timeSeries } from "@rxpath/rxpath";
 * const spec = timeSeries([{ t: 0, pps: 1 }, { t: 1, pps: 3 }], "t", "pps", { title: "rate" });
 * ```
 */
export function timeSeries(
  data: Row[],
  x: string,
  y: string,
  text: ChartText,
  color?: string,
): VegaLiteSpec {
  const line = { mark: { type: "line", point: data.length <= 60 } };
  return {
    ...base(text.title, data),
    encoding: {
      x: {
        field: x,
        type: "quantitative",
        title: text.xTitle ?? x,
        ...(text.xLog ? { scale: { type: "log" } } : {}),
      },
      y: { field: y, type: "quantitative", title: text.yTitle ?? y },
      ...(color ? { color: { field: color, type: "nominal", ...PALETTE } } : {}),
    },
    ...(text.label
      ? {
        layer: [
          line,
          {
            mark: { type: "text", align: "left", dx: 5, dy: -6, fontSize: 10 },
            encoding: { text: { field: text.label } },
          },
        ],
      }
      : line),
  };
}

/**
 * Bars per category (such as a CPU), stacked by a second field (such as a context).
 * @param data rows
 * @param x the category field
 * @param y the quantitative field
 * @param text title and axis titles
 * @param stack field whose values stack, if any
 * @param xDomain every category to show on x, in order, even those without rows
 * @returns the spec
 * @example
 * ```ts
 * import { stackedBars } from "@rxpath/rxpath";
 * stackedBars([{ cpu: "cpu0", ctx: "irq", ms: 1 }], "cpu", "ms", { title: "CPU time" }, "ctx");
 * ```
 */
export function stackedBars(
  data: Row[],
  x: string,
  y: string,
  text: ChartText,
  stack?: string,
  xDomain?: (string | number)[],
): VegaLiteSpec {
  const scale = xDomain ? { scale: { domain: xDomain } } : {};
  return {
    ...base(text.title, data),
    mark: "bar",
    encoding: {
      x: {
        field: x,
        type: "nominal",
        title: text.xTitle ?? x,
        sort: null,
        axis: { labelLimit: 0 },
        ...scale,
      },
      y: { field: y, type: "quantitative", title: text.yTitle ?? y, stack: stack ? "zero" : null },
      ...(stack ? { color: { field: stack, type: "nominal", sort: null, ...PALETTE } } : {}),
    },
  };
}

/**
 * One horizontal bar per row, labelled with its category in full and its value written at its
 * end; on a log scale when the values span orders of magnitude, coloured by a group field with
 * twenty distinct colours.
 * @param data rows, in the order to show them
 * @param label the category field (the y axis)
 * @param value the quantitative field (the x axis)
 * @param text title and axis titles
 * @param o `color`: the field that groups bars; `log`: a log x scale (values above 0)
 * @returns the spec
 * @example
 * ```ts
 * import { labelledBars } from "@rxpath/rxpath";
 * labelledBars([{ why: "NO_SOCKET", n: 3 }, { why: "CPU_BACKLOG", n: 290 }], "why", "n", {
 *   title: "drops",
 * }, { log: true });
 * ```
 */
export function labelledBars(
  data: Row[],
  label: string,
  value: string,
  text: ChartText,
  o: { color?: string; log?: boolean } = {},
): VegaLiteSpec {
  const top = Math.max(1, ...data.map((r) => Number(r[value]) || 0));
  return {
    ...base(text.title, data),
    height: { step: 18 },
    encoding: {
      y: {
        field: label,
        type: "nominal",
        sort: null,
        title: text.yTitle ?? label,
        axis: { labelLimit: 0 },
      },
      x: {
        field: value,
        type: "quantitative",
        title: text.xTitle ?? value,
        // room past the longest bar for its value; a log scale has no 0, so its bars start
        // from half the smallest count there can be
        scale: o.log
          ? { type: "log", domainMin: 0.5, domainMax: top * 4 }
          : { domainMax: top * 1.15 },
      },
    },
    layer: [
      {
        mark: "bar",
        encoding: o.color
          ? {
            ...(o.log ? { x2: { datum: 0.5 } } : {}),
            color: { field: o.color, type: "nominal", sort: null, ...PALETTE },
          }
          : o.log
          ? { x2: { datum: 0.5 } }
          : {},
      },
      { mark: { type: "text", align: "left", dx: 3 }, encoding: { text: { field: value } } },
    ],
  };
}

/**
 * A histogram of one quantitative field.
 * @param data rows
 * @param field the field to bin
 * @param text title and axis titles
 * @param maxbins bin count limit, default 40
 * @returns the spec
 * @example
 * ```ts
 * import { histogram } from "@rxpath/rxpath";
 * histogram([{ us: 3 }, { us: 5 }], "us", { title: "latency" });
 * ```
 */
export function histogram(data: Row[], field: string, text: ChartText, maxbins = 40): VegaLiteSpec {
  return {
    ...base(text.title, data),
    mark: "bar",
    encoding: {
      x: { field, type: "quantitative", bin: { maxbins }, title: text.xTitle ?? field },
      y: { aggregate: "count", type: "quantitative", title: text.yTitle ?? "count" },
    },
  };
}

/**
 * An empirical CDF of one field, one curve per `color` value.
 * @param data rows
 * @param field the field
 * @param text title and axis titles
 * @param color field that splits curves
 * @returns the spec
 * @example
 * ```ts
 * import { cdf } from "@rxpath/rxpath";
 * cdf([{ us: 3 }, { us: 5 }], "us", { title: "latency CDF" });
 * ```
 */
export function cdf(data: Row[], field: string, text: ChartText, color?: string): VegaLiteSpec {
  const groupby = color ? [color] : [];
  return {
    ...base(text.title, data),
    transform: [
      { sort: [{ field }], window: [{ op: "cume_dist", as: "fraction" }], groupby },
    ],
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: { field, type: "quantitative", title: text.xTitle ?? field },
      y: { field: "fraction", type: "quantitative", title: text.yTitle ?? "fraction ≤ x" },
      ...(color ? { color: { field: color, type: "nominal", ...PALETTE } } : {}),
    },
  };
}

/**
 * A heatmap: x and y categories (such as time bins and queues), colour by value.
 * @param data rows
 * @param x the x field (ordinal)
 * @param y the y field (ordinal)
 * @param value the quantitative field that colours the cell
 * @param text title and axis titles
 * @returns the spec
 * @example
 * ```ts
 * import { heatmap } from "@rxpath/rxpath";
 * heatmap([{ t: 0, queue: 0, depth: 5 }], "t", "queue", "depth", { title: "ring fill" });
 * ```
 */
export function heatmap(
  data: Row[],
  x: string,
  y: string,
  value: string,
  text: ChartText,
): VegaLiteSpec {
  return {
    ...base(text.title, data),
    mark: "rect",
    encoding: {
      // categories in the order the rows bring them (netfilter's hooks in packet order), not
      // sorted by name
      x: { field: x, type: "ordinal", title: text.xTitle ?? x, sort: null },
      y: { field: y, type: "ordinal", title: text.yTitle ?? y, sort: null },
      color: { field: value, type: "quantitative" },
    },
  };
}

/**
 * Renders a Vega-Lite spec to SVG text headless: vega-lite compiles it, vega draws it with no
 * browser and no canvas.
 * @param spec the spec
 * @returns the SVG document
 * @example
 * ```ts
 * import { renderSvg, timeSeries } from "@rxpath/rxpath";
 * const svg = await renderSvg(timeSeries([{ t: 0, v: 1 }], "t", "v", { title: "x" }));
 * console.log(svg.startsWith("<svg")); // true
 * ```
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const compiled = compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// The font the PNG's text is drawn with (the SVG names sans-serif): Debian's fonts-dejavu-core
const PNG_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
let resvg: Promise<{ Resvg: typeof import("@resvg/resvg-wasm").Resvg; font: Uint8Array }> | null =
  null;

// resvg's WebAssembly, loaded once, and the font
function loadResvg() {
  resvg ??= (async () => {
    const mod = await import("@resvg/resvg-wasm");
    const wasm = createRequire(import.meta.url).resolve("@resvg/resvg-wasm/index_bg.wasm");
    await mod.initWasm(await Deno.readFile(wasm));
    return { Resvg: mod.Resvg, font: await Deno.readFile(PNG_FONT) };
  })();
  return resvg;
}

/**
 * Renders a chart's SVG to PNG with resvg (WebAssembly), its text in DejaVu Sans: the picture
 * an untrusted notebook shows, which may show text, PNG and JPEG but no SVG.
 * @param svg the SVG document, as {@linkcode renderSvg} makes it
 * @returns the PNG's bytes
 * @throws {Error} when the font is missing (Debian's fonts-dejavu-core, which `.ci/setup` installs)
 * @example
 * ```ts
 * import { renderPng, renderSvg, timeSeries } from "@rxpath/rxpath";
 * const png = await renderPng(await renderSvg(timeSeries([{ t: 0, v: 1 }], "t", "v", { title: "x" })));
 * console.log(png.subarray(1, 4)); // the PNG signature's "PNG"
 * ```
 */
export async function renderPng(svg: string): Promise<Uint8Array> {
  let loaded;
  try {
    loaded = await loadResvg();
  } catch (e) {
    resvg = null;
    throw new Error(
      `Cannot draw a chart as PNG: ${
        (e as Error).message
      } (the font is Debian's fonts-dejavu-core)`,
    );
  }
  const { Resvg, font } = loaded;
  const r = new Resvg(svg, {
    font: { fontBuffers: [font], loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" },
  });
  try {
    return r.render().asPng();
  } finally {
    r.free();
  }
}

/**
 * A chart for a notebook: as a cell's value it shows as one MIME bundle with the Vega-Lite v5
 * spec, an SVG rendering of it (for viewers that do not run Vega, such as a repository page or
 * an HTML export), a PNG of the same (what an untrusted notebook shows: text, PNG and JPEG only)
 * and a short text line; no text/html, which exporters would prefer to the SVG.
 *
 * @example
 * ```ts
 * import { Chart, timeSeries } from "@rxpath/rxpath";
 * const chart = new Chart(timeSeries([{ t: 0, v: 1 }], "t", "v", { title: "demo" }));
 * const bundle = await chart.bundle();
 * console.log(Object.keys(bundle));
 * ```
 */
export class Chart {
  /** The Vega-Lite spec. */
  readonly spec: VegaLiteSpec;

  /**
   * Wraps a spec.
   * @param spec a Vega-Lite v5 spec
   */
  constructor(spec: VegaLiteSpec) {
    this.spec = spec;
  }

  /**
   * The MIME bundle: application/vnd.vegalite.v5+json, image/svg+xml, image/png (base64) and
   * text/plain.
   * @returns the bundle
   */
  async bundle(): Promise<MimeBundle> {
    const svg = await renderSvg(this.spec);
    return {
      "application/vnd.vegalite.v5+json": this.spec,
      "image/svg+xml": svg,
      "image/png": base64(await renderPng(svg)),
      "text/plain": `<Chart: ${String(this.spec.title ?? "untitled")}>`,
    };
  }

  /**
   * What the notebook shows for this chart.
   * @returns the bundle
   */
  [$display](): Promise<MimeBundle> {
    return this.bundle();
  }
}

// a PNG as a notebook's MIME bundle carries it: base64 text
function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}
