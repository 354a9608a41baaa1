// The book's picture of the whole path (notebooks/path.ts): a box for every chapter and a
// chapter for every box, the committed figure what the generator draws, chapter 0 linking each.
import assert from "node:assert/strict";
import { pathDiagramSvg, RECEIVE_PATH } from "../notebooks/path.ts";
import { chapterPaths, readNotebook } from "../notebooks/nbtools.ts";

Deno.test("the receive-path figure has a box linking to every chapter, and is up to date", () => {
  const chapters = chapterPaths().map((p) => p.split("/").pop()!.replace(/\.ipynb$/, ""));
  assert.deepEqual(RECEIVE_PATH.map((s) => s.chapter), chapters);
  const svg = pathDiagramSvg(".ipynb");
  for (const c of chapters) assert.ok(svg.includes(`href="${c}.ipynb"`), c);
  const committed = Deno.readTextFileSync(
    new URL("../notebooks/figures/receive-path.svg", import.meta.url),
  );
  assert.equal(committed, svg, "run deno run -A notebooks/path.ts");
});

Deno.test("chapter 0 shows the figure and links every chapter beside its functions", () => {
  const boot = readNotebook(chapterPaths()[0]).cells.map((c) =>
    Array.isArray(c.source) ? c.source.join("") : c.source
  ).join("\n");
  assert.ok(boot.includes("](figures/receive-path.svg)"));
  for (const s of RECEIVE_PATH) {
    assert.ok(boot.includes(`[${s.title}](${s.chapter}.ipynb)`), s.chapter);
    for (const f of s.functions.filter((x) => !x.includes(" "))) {
      assert.ok(boot.includes(`\`${f}\``), `${s.chapter}: ${f}`);
    }
  }
});
