// deno task book: executes every chapter headless and renders the HTML book into book/.
// With --inplace the chapters in notebooks/ are refreshed too (what gets committed).

import { pathDiagramSvg } from "./path.ts";
import {
  chapterPaths,
  executeNotebook,
  exportHtml,
  notebookProblems,
  readNotebook,
} from "./nbtools.ts";

const inplace = Deno.args.includes("--inplace");

// nbconvert stamps each cell with when it ran; the committed chapters leave that out, so that
// re-running them (their outputs are deterministic) changes nothing.
function dropExecutionTimes(path: string): void {
  const nb = JSON.parse(Deno.readTextFileSync(path));
  for (const cell of nb.cells) delete cell.metadata?.execution;
  Deno.writeTextFileSync(path, JSON.stringify(nb, null, 1) + "\n");
}
const root = new URL("..", import.meta.url).pathname;
const outDir = root + "book";
Deno.mkdirSync(outDir, { recursive: true });

const chapters = chapterPaths();
const entries: string[] = [];
for (const path of chapters) {
  const name = path.split("/").pop()!;
  console.log(`executing ${name}`);
  await executeNotebook(path, inplace ? null : outDir);
  const executed = inplace ? path : `${outDir}/${name}`;
  if (inplace) dropExecutionTimes(path);
  const problems = notebookProblems(readNotebook(executed));
  if (problems.length > 0) throw new Error(`${name}:\n${problems.join("\n")}`);
  await exportHtml(executed, outDir);
  const html = name.replace(/\.ipynb$/, ".html");
  const title = readNotebook(executed).cells.find((c) => c.cell_type === "markdown");
  const heading = (Array.isArray(title?.source) ? title.source.join("") : title?.source ?? name)
    .split("\n")[0].replace(/^#+\s*/, "");
  entries.push(`<li><a href="${html}">${heading}</a></li>`);
}
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
console.log(`book written to ${outDir}/index.html (${chapters.length} chapters)`);
