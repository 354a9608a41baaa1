// Formats every chapter's code cells as deno fmt formats the library (lineWidth 100), in place:
// `deno run -A notebooks/fmt.ts`. The notebook tests check that they stay so.
import { cellSource, chapterPaths, formatCell, readNotebook } from "./nbtools.ts";

for (const path of chapterPaths()) {
  const nb = readNotebook(path);
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    const formatted = await formatCell(cellSource(cell));
    cell.source = formatted.split(/(?<=\n)/);
  }
  await Deno.writeTextFile(path, JSON.stringify(nb, null, 1) + "\n");
}
