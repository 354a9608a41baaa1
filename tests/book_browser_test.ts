// The book as a reader meets it, in a real headless browser (Debian's chromium): the HTML book
// rendered from the committed chapters — every page loads, every chart is a visible image that
// draws something, no text runs out of its cell, and contents → chapter → next … navigation
// works; then every chapter opened straight from a clone in Jupyter Notebook 6.4, where it is
// untrusted and may show only text, PNG and JPEG: every chart shows as its PNG.
import assert from "node:assert/strict";
import { Browser } from "./helpers/browser.ts";
import { renderBook } from "../notebooks/book.ts";
import { chapterPaths, readNotebook } from "../notebooks/nbtools.ts";

const chapters = chapterPaths();
const names = chapters.map((p) => p.split("/").pop()!);
const charts = chapters.map((p) =>
  readNotebook(p).cells.reduce((n, c) => n + (c.metadata.rxpath?.charts ?? 0), 0)
);

// In the page: every chart <img> with its size, whether it shows, and how much of it is ink
// (pixels differing from the white page), read by drawing it on a canvas.
const CHART_IMAGES = `(async () => {
  const out = [];
  for (const img of document.querySelectorAll('img[alt="chart"], .output_png img')) {
    await img.decode().catch(() => {});
    const r = img.getBoundingClientRect();
    const s = getComputedStyle(img);
    const c = document.createElement("canvas");
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    let ink = 0;
    if (c.width > 0 && c.height > 0) {
      const g = c.getContext("2d");
      g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height);
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) ink++;
      ink /= c.width * c.height;
    }
    out.push({ width: r.width, height: r.height, natural: img.naturalWidth,
      shown: s.display !== "none" && s.visibility !== "hidden" && r.width > 0, ink });
  }
  return out;
})()`;

// In the page: text that does not fit its cell — running past the cell's right edge, held in a
// box of the cell that clips it or has to be scrolled sideways to read it, or preformatted text
// (a table, a /proc file) whose lines are too long for it and so wrap.
const OVERFLOWING_TEXT = `(() => {
  const bad = [];
  for (const cell of document.querySelectorAll(".jp-Cell")) {
    const edge = cell.getBoundingClientRect().right + 1;
    for (const pre of cell.querySelectorAll("pre")) {
      const wrap = pre.style.whiteSpace;
      pre.style.whiteSpace = "pre";
      if (pre.scrollWidth > pre.clientWidth + 1) bad.push(pre.textContent.trim().slice(0, 60));
      pre.style.whiteSpace = wrap;
    }
    for (const el of cell.querySelectorAll("*")) {
      const o = getComputedStyle(el).overflowX;
      if (o !== "visible" && el.scrollWidth > el.clientWidth + 1) {
        bad.push(el.textContent.trim().slice(0, 60));
      }
    }
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(t);
      if (t.textContent.trim() && range.getBoundingClientRect().right > edge) {
        bad.push(t.textContent.trim().slice(0, 60));
      }
    }
  }
  return bad;
})()`;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("the book in a headless browser", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "rxpath-book-" });
  const browser = await Browser.launch();
  try {
    await renderBook(chapters, dir);
    const pages = names.map((n) => n.replace(/\.ipynb$/, ".html"));

    await t.step(
      "the contents page links every chapter, from the list and the figure",
      async () => {
        await browser.goto(`file://${dir}/index.html`);
        const links = await browser.evaluate<string[]>(
          `[...document.querySelectorAll("ol a, svg a")].map((a) => a.getAttribute("href"))`,
        );
        assert.deepEqual([...new Set(links)].sort(), [...pages].sort());
      },
    );

    await t.step("contents → first chapter → next → … → last chapter → contents", async () => {
      await browser.evaluate(`document.querySelector('ol a[href="${pages[0]}"]').click()`);
      for (const page of [...pages, "index.html"]) {
        const here = await browser.waitFor(
          `location.pathname.endsWith("/${page}") && document.readyState === "complete"`,
          10_000,
        );
        assert.ok(here, `did not reach ${page}`);
        const next = page === pages.at(-1) ? "contents" : "next";
        if (page !== "index.html") {
          await browser.evaluate(`document.querySelector('a[rel="${next}"]').click()`);
        }
      }
    });

    for (const [i, page] of pages.entries()) {
      await t.step(
        `${page}: its ${charts[i]} charts draw, no text overflows, links lead to pages`,
        async () => {
          await browser.goto(`file://${dir}/${page}`);
          const images = await browser.evaluate<
            { width: number; height: number; natural: number; shown: boolean; ink: number }[]
          >(CHART_IMAGES);
          assert.equal(images.length, charts[i], "charts on the page");
          for (const [k, img] of images.entries()) {
            assert.ok(img.shown && img.natural > 0 && img.height > 50, `chart ${k}: not shown`);
            assert.ok(img.ink > 0.005, `chart ${k}: draws almost nothing (${img.ink})`);
          }
          assert.deepEqual(await browser.evaluate(OVERFLOWING_TEXT), []);
          const local = await browser.evaluate<string[]>(
            `[...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href"))
            .filter((h) => !/^(https?:|#|mailto:)/.test(h))`,
          );
          for (const href of local) {
            assert.ok([...pages, "index.html"].includes(href.split("#")[0]), `link ${href}`);
          }
        },
      );
    }
  } finally {
    await browser.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every chapter opened untrusted in Jupyter Notebook 6.4 shows its charts as PNGs", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "rxpath-untrusted-" });
  for (const p of chapters) await Deno.copyFile(p, `${dir}/${p.split("/").pop()}`);
  const port = freePort();
  // a fresh data directory has no record of these notebooks' signatures: they open untrusted
  const server = new Deno.Command("jupyter", {
    args: [
      "notebook",
      "--no-browser",
      "--allow-root",
      `--port=${port}`,
      "--NotebookApp.token=",
      "--NotebookApp.password=",
      `--notebook-dir=${dir}`,
    ],
    env: { JUPYTER_DATA_DIR: `${dir}/.data`, JUPYTER_RUNTIME_DIR: `${dir}/.runtime` },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const browser = await Browser.launch();
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let tries = 0;; tries++) {
      const up = await fetch(`${base}/api`).then((r) => r.body?.cancel().then(() => r.ok))
        .catch(() => false);
      if (up) break;
      if (tries > 100) throw new Error("jupyter notebook did not start");
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const [i, name] of names.entries()) {
      await t.step(`${name}: untrusted, and all ${charts[i]} charts show`, async () => {
        await browser.goto(`${base}/notebooks/${name}`);
        await browser.waitFor(`window.Jupyter?.notebook?._fully_loaded === true`);
        assert.equal(await browser.evaluate(`Jupyter.notebook.trusted`), false);
        const images = await browser.evaluate<
          { natural: number; shown: boolean; ink: number }[]
        >(CHART_IMAGES);
        assert.equal(images.length, charts[i], "PNG charts shown");
        for (const [k, img] of images.entries()) {
          assert.ok(img.shown && img.natural > 0, `chart ${k}: not shown`);
          assert.ok(img.ink > 0.005, `chart ${k}: draws almost nothing (${img.ink})`);
        }
        const placeholders = await browser.evaluate<number>(
          `[...document.querySelectorAll(".output_text pre")]
              .filter((p) => /^<Chart: /.test(p.textContent)).length`,
        );
        assert.equal(placeholders, 0, "a chart showing only its text");
      });
    }
  } finally {
    await browser.close();
    server.kill();
    await server.status;
    await Deno.remove(dir, { recursive: true });
  }
});
