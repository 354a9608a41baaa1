// Every chapter: its cells are formatted as deno fmt formats the library, they type-check, it
// executes headless on the Deno kernel with no error and every chart keeping its SVG and its PNG
// (what an untrusted notebook shows), and its HTML export still draws the charts.
import assert from "node:assert/strict";
import {
  cellsAsModule,
  chapterPaths,
  embeddedSvgs,
  executeNotebook,
  exportHtml,
  notebookProblems,
  readNotebook,
  unformattedCells,
} from "../notebooks/nbtools.ts";

const root = new URL("..", import.meta.url).pathname;

for (const path of chapterPaths()) {
  const name = path.split("/").pop()!;
  Deno.test(`notebook ${name}`, async (t) => {
    const nb = readNotebook(path);
    const charts = nb.cells.reduce((n, c) => n + (c.metadata.rxpath?.charts ?? 0), 0);
    const work = await Deno.makeTempDir({ prefix: "rxpath-nb-" });
    // inside the project, so that deno.json's imports resolve "@rxpath/rxpath"
    const checkDir = `${root}.tmp`;
    try {
      await t.step("its code cells are formatted like the library, lines at most 100", async () => {
        assert.deepEqual(await unformattedCells(nb), []);
      });
      await t.step("its code cells type-check", async () => {
        await Deno.mkdir(checkDir, { recursive: true });
        const module = `${checkDir}/${name.replace(/\.ipynb$/, "")}_cells.ts`;
        await Deno.writeTextFile(module, cellsAsModule(nb));
        const out = await new Deno.Command("deno", { args: ["check", module], stderr: "piped" })
          .output();
        assert.ok(out.success, new TextDecoder().decode(out.stderr));
      });
      await t.step("it executes headless, every chart keeping its SVG and PNG", async () => {
        await executeNotebook(path, work);
        assert.deepEqual(notebookProblems(readNotebook(`${work}/${name}`)), []);
      });
      await t.step("its HTML export embeds every chart as an SVG that draws", async () => {
        await exportHtml(`${work}/${name}`, work);
        const svgs = embeddedSvgs(
          await Deno.readTextFile(`${work}/${name.replace(/\.ipynb$/, ".html")}`),
        );
        assert.equal(svgs.length, charts);
        for (const svg of svgs) {
          assert.match(svg, /^<svg[^>]*>/);
          assert.match(svg, /<path[^>]* d="M/); // marks and axes drawn, not an empty shell
        }
      });
    } finally {
      await Deno.remove(work, { recursive: true });
      await Deno.remove(checkDir, { recursive: true }).catch(() => {});
    }
  });
}
