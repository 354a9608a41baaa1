// Lower layers never import higher ones (lib/layers.ts), types included.
import assert from "node:assert/strict";
import { LAYERS } from "../lib/layers.ts";

const lib = new URL("../lib/", import.meta.url).pathname;

function layerOf(path: string): number {
  const folder = path.includes("/") ? path.split("/")[0] : ".";
  const i = LAYERS.findIndex((l) => l.includes(folder));
  if (i < 0) throw new Error(`lib/${path} is in no layer of lib/layers.ts`);
  return i;
}

function* tsFiles(dir: string, prefix = ""): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    if (e.isDirectory) yield* tsFiles(`${dir}${e.name}/`, `${prefix}${e.name}/`);
    else if (e.name.endsWith(".ts")) yield `${prefix}${e.name}`;
  }
}

/** Every relative import and re-export in a file's text, `import type` included, as lib/ paths. */
function importsIn(path: string, text: string): string[] {
  const specs = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"/gms)]
    .map((m) => m[1]);
  return specs.map((s) => new URL(s, `file://${lib}${path}`).pathname.slice(lib.length));
}

Deno.test("no file under lib/ imports from a layer above its own", () => {
  const upward: string[] = [];
  for (const file of tsFiles(lib)) {
    for (const dep of importsIn(file, Deno.readTextFileSync(`${lib}${file}`))) {
      if (layerOf(dep) > layerOf(file)) upward.push(`${file} -> ${dep}`);
    }
  }
  assert.deepEqual(upward, []);
});

Deno.test("the layer check sees upward type imports and re-exports over several lines", () => {
  const text =
    `import type {\n  Host,\n} from "../init/main.ts";\nexport * from "../proc/stat.ts";\n`;
  const deps = importsIn("core/dev.ts", text);
  assert.deepEqual(deps, ["init/main.ts", "proc/stat.ts"]);
  assert.ok(deps.every((d) => layerOf(d) > layerOf("core/dev.ts")));
});
