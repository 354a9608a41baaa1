import assert from "node:assert/strict";
import {
  cdf,
  Chart,
  heatmap,
  histogram,
  labelledBars,
  renderSvg,
  stackedBars,
  timeSeries,
} from "../../lib/viz/charts.ts";
import { $display, show, tableView, TextView } from "../../lib/viz/display.ts";

const rows = Array.from(
  { length: 20 },
  (_, i) => ({
    t: i,
    cpu: `cpu${i % 2}`,
    ctx: i % 3 ? "softirq" : "irq",
    us: (i * 7) % 13,
    q: i % 4,
  }),
);
const specs = {
  timeSeries: timeSeries(rows, "t", "us", { title: "ts" }, "cpu"),
  stackedBars: stackedBars(rows, "cpu", "us", { title: "bars" }, "ctx"),
  histogram: histogram(rows, "us", { title: "hist" }),
  cdf: cdf(rows, "us", { title: "cdf" }, "cpu"),
  heatmap: heatmap(rows, "t", "q", "us", { title: "heat" }),
  labelledBars: labelledBars(rows.slice(1), "t", "us", { title: "labelled" }, {
    color: "cpu",
    log: true,
  }),
};

for (const [name, spec] of Object.entries(specs)) {
  Deno.test(`${name}() compiles as Vega-Lite v5 and renders an SVG with marks`, async () => {
    assert.equal(spec.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
    const svg = await renderSvg(spec);
    assert.match(svg, /^<svg[^>]*>/);
    assert.match(svg, /class="mark-(line|rect|symbol)/);
    assert.match(svg, new RegExp(String(spec.title)));
  });
}

Deno.test("stackedBars() with an x domain draws an axis label for categories without rows", async () => {
  const svg = await renderSvg(
    stackedBars([{ bucket: 6, n: 1 }], "bucket", "n", { title: "b" }, undefined, [0, 6, 15]),
  );
  assert.match(svg, />15<\/text>/);
});

Deno.test("Chart shows one bundle: Vega-Lite v5 spec, SVG, PNG (what an untrusted notebook may show) and text, and no text/html", async () => {
  const chart = new Chart(specs.stackedBars);
  const bundle = await chart[$display]();
  assert.deepEqual(Object.keys(bundle).sort(), [
    "application/vnd.vegalite.v5+json",
    "image/png",
    "image/svg+xml",
    "text/plain",
  ]);
  assert.equal(bundle["text/plain"], "<Chart: bars>");
  // a PNG as big as the SVG says, its text drawn (not an empty picture)
  const png = Uint8Array.from(atob(bundle["image/png"] as string), (c) => c.charCodeAt(0));
  assert.deepEqual([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(""), "PNG");
  const view = new DataView(png.buffer);
  const svgSize = /width="(\d+)" height="(\d+)"/.exec(bundle["image/svg+xml"] as string)!;
  assert.deepEqual([view.getUint32(16), view.getUint32(20)], [
    Number(svgSize[1]),
    Number(svgSize[2]),
  ]);
  assert.ok(png.length > 5000, `${png.length} bytes`);
});

Deno.test("show() sends raw MIME bundles in order, then waits for the kernel to flush", async () => {
  const sent: [unknown, unknown][] = [];
  const start = performance.now();
  await show({ display: (b, o) => sent.push([b, o]) }, new TextView("t", "hello"), 42);
  assert.ok(performance.now() - start >= 90);
  assert.deepEqual(sent.map(([, o]) => o), [{ raw: true }, { raw: true }]);
  assert.equal((sent[0][0] as Record<string, string>)["text/plain"], "hello");
  assert.equal((sent[1][0] as Record<string, string>)["text/plain"], "42");
});

Deno.test("tableView() right-aligns numbers and left-aligns text", () => {
  assert.equal(
    tableView("x", [{ nr: 3, name: "NET_RX" }, { nr: 10, name: "RCU" }]).text,
    "nr  name\n 3  NET_RX\n10  RCU\n",
  );
});

Deno.test("TextView escapes HTML in its html form", () => {
  const b = new TextView("a<b", "<x>")[$display]();
  assert.equal(b["text/html"], '<pre title="a&lt;b">&lt;x&gt;</pre>');
});

Deno.test("labelledBars() writes every label in full and each bar's value, on a log scale from 0.5", async () => {
  const long = "routing: IP_INADDRERRORS, a label longer than Vega's default limit";
  const svg = await renderSvg(
    labelledBars([{ what: long, n: 1 }, { what: "ring", n: 568 }], "what", "n", {
      title: "drops",
    }, { log: true }),
  );
  assert.ok(svg.includes(`>${long}</text>`));
  assert.match(svg, />568<\/text>/);
});
