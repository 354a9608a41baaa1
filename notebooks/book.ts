// deno task book: executes every chapter headless and renders the HTML book into book/.
// With --inplace the chapters in notebooks/ are refreshed too (what gets committed); chapter
// numbers after it (`deno task book --inplace 07 13`) refresh only those.

import { pathDiagramSvg } from "./path.ts";
import {
  cellSource,
  chapterPaths,
  executeNotebook,
  exportHtml,
  notebookProblems,
  readNotebook,
} from "./nbtools.ts";

// nbconvert stamps each cell with when it ran; the committed chapters leave that out, so that
// re-running them (their outputs are deterministic) changes nothing.
function dropExecutionTimes(path: string): void {
  const nb = JSON.parse(Deno.readTextFileSync(path));
  for (const cell of nb.cells) delete cell.metadata?.execution;
  Deno.writeTextFileSync(path, JSON.stringify(nb, null, 1) + "\n");
}

/** A chapter's title: its first markdown cell's first line, without the #s. */
function chapterTitle(path: string): string {
  const first = readNotebook(path).cells.find((c) => c.cell_type === "markdown");
  return (first ? cellSource(first) : path).split("\n")[0].replace(/^#+\s*/, "");
}

/** The bar at the top and the bottom of a chapter page: contents, previous, next. */
function navBar(pages: string[], titles: string[], i: number): string {
  const link = (j: number, rel: string, arrow: string) =>
    j >= 0 && j < pages.length
      ? `<a rel="${rel}" href="${pages[j]}">${arrow} ${titles[j]}</a>`
      : "<span></span>";
  return `<nav class="rxpath-nav" style="display:flex;justify-content:space-between;gap:1em;` +
    `padding:0.5em 1em;font-family:sans-serif">${link(i - 1, "prev", "←")}` +
    `<a rel="contents" href="index.html">Contents</a>${link(i + 1, "next", "→")}</nav>`;
}

/**
 * Renders executed chapters into the HTML book: one page per chapter with a bar to the contents
 * and the chapters either side, the chapters' links to each other pointing at their pages, and
 * index.html with the figure of the whole path.
 * @param executed the executed .ipynb files, in chapter order
 * @param outDir where the pages go
 */
export async function renderBook(executed: string[], outDir: string): Promise<void> {
  const pages = executed.map((p) => p.split("/").pop()!.replace(/\.ipynb$/, ".html"));
  const titles = executed.map(chapterTitle);
  for (const [i, path] of executed.entries()) {
    await exportHtml(path, outDir);
    const file = `${outDir}/${pages[i]}`;
    const nav = navBar(pages, titles, i);
    const html = Deno.readTextFileSync(file)
      // a chapter's markdown links name the notebooks; in the book they go to the pages
      .replace(/href="(\d\d-[a-z0-9-]+)\.ipynb(#[^"]*)?"/g, 'href="$1.html$2"')
      .replace(/<body([^>]*)>/, `<body$1>\n${nav}`)
      .replace("</body>", `${nav}\n</body>`);
    Deno.writeTextFileSync(file, html);
  }
  const entries = pages.map((p, i) => `<li><a href="${p}">${titles[i]}</a></li>`);
  Deno.writeTextFileSync(
    `${outDir}/index.html`,
    `<!doctype html><meta charset="utf-8"><title>rxpath: the Linux receive path</title>
<h1>rxpath: the Linux receive path, chapter by chapter</h1>
${pathDiagramSvg(".html")}
<ol start="0">
${entries.join("\n")}
</ol>
`,
  );
}

if (import.meta.main) {
  const inplace = Deno.args.includes("--inplace");
  const outDir = new URL("../book", import.meta.url).pathname;
  Deno.mkdirSync(outDir, { recursive: true });
  const only = Deno.args.filter((a) => /^\d\d$/.test(a));
  const executed: string[] = [];
  for (const path of chapterPaths()) {
    const name = path.split("/").pop()!;
    if (only.length && !only.includes(name.slice(0, 2))) {
      executed.push(path);
      continue;
    }
    console.log(`executing ${name}`);
    await executeNotebook(path, inplace ? null : outDir);
    const done = inplace ? path : `${outDir}/${name}`;
    if (inplace) dropExecutionTimes(path);
    const problems = notebookProblems(readNotebook(done));
    if (problems.length > 0) throw new Error(`${name}:\n${problems.join("\n")}`);
    executed.push(done);
  }
  await renderBook(executed, outDir);
  console.log(`book written to ${outDir}/index.html (${executed.length} chapters)`);
}
