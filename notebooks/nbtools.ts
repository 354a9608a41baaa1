// Tools to run the chapters headless and check them: execute with Debian's nbconvert on the
// Deno kernel, export to HTML with the book template, extract code cells for type checking,
// and find what went wrong in an executed notebook (errors, charts that lost their SVG).

/** A notebook cell as stored in .ipynb (nbformat 4). */
export interface Cell {
  /** "code" or "markdown". */
  cell_type: string;
  /** Source lines or text. */
  source: string | string[];
  /** Cell metadata; chart cells carry `rxpath.charts`, the number of charts they show. */
  metadata: { rxpath?: { charts?: number } } & Record<string, unknown>;
  /** Outputs of a code cell. */
  outputs?: {
    output_type: string;
    data?: Record<string, unknown>;
    ename?: string;
    evalue?: string;
  }[];
}

/** A notebook as stored in .ipynb. */
export interface Notebook {
  /** The cells. */
  cells: Cell[];
}

const here = new URL(".", import.meta.url).pathname;

/** The chapters, in order: notebooks/NN-topic.ipynb. */
export function chapterPaths(): string[] {
  return [...Deno.readDirSync(here)]
    .filter((e) => /^\d\d-[\w-]+\.ipynb$/.test(e.name))
    .map((e) => here + e.name)
    .sort();
}

/** Source text of a cell. */
export function cellSource(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

// nbformat stores multi-line text as a list of lines.
function joined(v: unknown): string {
  return Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "";
}

/**
 * Reads a notebook file.
 * @param path the .ipynb
 * @returns the notebook
 */
export function readNotebook(path: string): Notebook {
  return JSON.parse(Deno.readTextFileSync(path));
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr);
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${err.slice(-4000)}`);
  }
}

/**
 * Executes a notebook headless on the Deno kernel with nbconvert; fails on any cell error.
 * @param path the .ipynb
 * @param outDir where the executed copy goes (same name), or null to execute in place
 */
export async function executeNotebook(path: string, outDir: string | null): Promise<void> {
  const args = [
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    "--ExecutePreprocessor.timeout=900",
    path,
  ];
  if (outDir) args.push("--output-dir", outDir);
  else args.push("--inplace");
  await run("jupyter", args);
}

/**
 * Exports an executed notebook to HTML with the book template, which embeds charts as
 * <img> data URIs (nbconvert 6.5 strips the drawing out of inline SVG).
 * @param path the executed .ipynb
 * @param outDir where the .html goes
 */
export async function exportHtml(path: string, outDir: string): Promise<void> {
  await run("jupyter", [
    "nbconvert",
    "--to",
    "html",
    // markdown's images (chapter 0's figure of the path) go into the page as data URIs
    "--embed-images",
    "--template",
    "rxpath",
    `--TemplateExporter.extra_template_basedirs=${here}template`,
    "--output-dir",
    outDir,
    path,
  ]);
}

/**
 * Lists what is wrong with an executed notebook: error outputs, code cells that should show
 * something and show nothing, chart cells with fewer SVG renderings than charts.
 * @param nb the executed notebook
 * @returns one message per problem, naming the cell
 */
export function notebookProblems(nb: Notebook): string[] {
  const problems: string[] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const outputs = cell.outputs ?? [];
    for (const o of outputs) {
      if (o.output_type === "error") problems.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
    if (/\bshow\(/.test(cellSource(cell)) && outputs.length === 0) {
      problems.push(`cell ${i}: calls show() but kept no output`);
    }
    const charts = cell.metadata.rxpath?.charts ?? 0;
    const svgs = outputs.filter((o) => /<svg[\s>]/.test(joined(o.data?.["image/svg+xml"]))).length;
    if (svgs < charts) {
      problems.push(`cell ${i}: shows ${charts} chart(s) but kept ${svgs} SVG rendering(s)`);
    }
    // the PNG an untrusted notebook shows: base64 of a PNG (its signature reads iVBORw0KGgo)
    const pngs = outputs.filter((o) => joined(o.data?.["image/png"]).startsWith("iVBORw0KGgo"))
      .length;
    if (pngs < charts) {
      problems.push(`cell ${i}: shows ${charts} chart(s) but kept ${pngs} PNG rendering(s)`);
    }
  });
  return problems;
}

/** Longest line a code cell may have: the library's deno fmt lineWidth. */
export const CELL_LINE_WIDTH = 100;

/**
 * Formats a code cell's source as `deno fmt` formats the library (lineWidth 100), without the
 * final newline a cell does not keep.
 * @param source the cell's code
 * @returns the formatted code
 */
export async function formatCell(source: string): Promise<string> {
  const child = new Deno.Command("deno", {
    args: ["fmt", "--ext", "ts", `--line-width=${CELL_LINE_WIDTH}`, "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(source));
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(`deno fmt failed:\n${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout).replace(/\n$/, "");
}

/**
 * Lists the code cells whose source is not as deno fmt writes it, or has a line longer than
 * {@linkcode CELL_LINE_WIDTH} (a long string deno fmt leaves alone).
 * @param nb the notebook
 * @returns one message per cell, naming it
 */
export async function unformattedCells(nb: Notebook): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, cell] of nb.cells.entries()) {
    if (cell.cell_type !== "code") continue;
    const src = cellSource(cell);
    if (await formatCell(src) !== src) problems.push(`cell ${i}: not formatted as deno fmt does`);
    const long = src.split("\n").filter((l) => l.length > CELL_LINE_WIDTH).length;
    if (long) problems.push(`cell ${i}: ${long} line(s) longer than ${CELL_LINE_WIDTH}`);
  }
  return problems;
}

/**
 * Turns a notebook's code cells into one TypeScript module, so `deno check` can type-check
 * them (it does not read .ipynb).
 * @param nb the notebook
 * @returns module source
 */
export function cellsAsModule(nb: Notebook): string {
  return nb.cells
    .filter((c) => c.cell_type === "code")
    .map((c, i) => `// cell ${i}\n${cellSource(c)}\n`)
    .join("\n") + "\nexport {};\n";
}

/**
 * The charts an exported HTML page embeds: the SVG text of every <img> data URI.
 * @param html the page
 * @returns decoded SVG documents
 */
export function embeddedSvgs(html: string): string[] {
  const re = /<img alt="chart" src="data:image\/svg\+xml;charset=utf-8,([^"]*)"/g;
  return [...html.matchAll(re)].map((m) => decodeURIComponent(m[1].replace(/&amp;/g, "&")));
}
