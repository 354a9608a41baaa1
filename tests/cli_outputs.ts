// The CLI's outputs on every golden input: `boot`, and `replay --json`, the replay table, `trace`
// and `decode` for each recorded replay case, `gro --json` for each recorded GRO case. Refactors must leave them
// byte-identical; tests/cli_outputs_test.ts holds the kit to tests/golden/cli/, and
// `deno run -A tests/cli_outputs.ts` records them again after a deliberate change.
import { main } from "../lib/cli.ts";

const golden = new URL("./golden/linux-6.18/", import.meta.url).pathname;

/** The output files, by name, with the command lines that make them. */
export function cliRuns(): { name: string; args: string[] }[] {
  const names = (dir: string, ext: string) =>
    [...Deno.readDirSync(`${golden}${dir}`)].filter((e) => e.name.endsWith(ext))
      .map((e) => e.name.slice(0, -ext.length)).sort();
  const runs: { name: string; args: string[] }[] = [
    { name: "boot/cpus2.txt", args: ["boot", "--cpus", "2"] },
  ];
  for (const c of names("replay", ".json")) {
    const files = [`${golden}replay/${c}.json`, `${golden}replay/${c}.pcap`];
    runs.push({ name: `replay/${c}.jsonl`, args: ["replay", ...files, "--json"] });
    runs.push({ name: `replay/${c}.txt`, args: ["replay", ...files] });
    runs.push({ name: `trace/${c}.txt`, args: ["trace", ...files] });
    runs.push({ name: `decode/${c}.txt`, args: ["decode", files[1]] });
  }
  for (const c of names("gro", ".pcap")) {
    runs.push({ name: `gro/${c}.jsonl`, args: ["gro", `${golden}gro/${c}.pcap`, "--json"] });
  }
  return runs;
}

/**
 * Runs one command line as the CLI does and returns what it printed.
 * @param args the command line
 * @returns stdout, a line each, with a final newline
 */
export function cliOutput(args: string[]): string {
  const lines: string[] = [];
  const code = main(args, (l) => lines.push(l), (l) => lines.push(`stderr: ${l}`));
  return lines.join("\n") + `\nexit ${code}\n`;
}

if (import.meta.main) {
  const out = new URL("./golden/cli/", import.meta.url).pathname;
  for (const { name, args } of cliRuns()) {
    Deno.mkdirSync(`${out}${name.split("/")[0]}`, { recursive: true });
    Deno.writeTextFileSync(`${out}${name}`, cliOutput(args));
  }
}
