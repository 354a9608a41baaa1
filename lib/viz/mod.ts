/**
 * Charts (Vega-Lite with an SVG rendering in the same output) and views for notebooks, and
 * `show()`, which displays them in the Deno kernel and waits for the output to flush.
 *
 * @example
 * ```ts
 * import { Chart, timeSeries } from "@rxpath/rxpath/viz";
 * const chart = new Chart(timeSeries([{ t: 0, v: 1 }, { t: 1, v: 2 }], "t", "v", {
 *   title: "v over t",
 *   xTitle: "t (s)",
 *   yTitle: "v (packets)",
 * }));
 * console.log(chart.spec.title); // "v over t"
 * ```
 *
 * @module
 */
export * from "./display.ts";
export * from "./charts.ts";
