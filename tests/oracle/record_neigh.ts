// Records what the machine's own kernel does with every neighbour case (neigh_oracle.py, as
// root): tests/golden/linux-6.18/neigh/NAME.json, the case and the kernel's run. Run on a Linux
// 6.18 machine, otherwise idle (the wire's timing is wall-clock):
//   deno run -A tests/oracle/record_neigh.ts [NAME...]
import { NEIGH_CASES } from "./neigh_cases.ts";

const dir = new URL("../golden/linux-6.18/neigh/", import.meta.url).pathname;
const oracle = new URL("./neigh_oracle.py", import.meta.url).pathname;
Deno.mkdirSync(dir, { recursive: true });
for (const name of Deno.args.length ? Deno.args : Object.keys(NEIGH_CASES)) {
  const casePath = `${dir}${name}.case.json`;
  Deno.writeTextFileSync(casePath, JSON.stringify(NEIGH_CASES[name], null, 1) + "\n");
  const out = new Deno.Command("python3", {
    args: [oracle, casePath],
    stdout: "piped",
    stderr: "piped",
  })
    .outputSync();
  if (!out.success) throw new Error(`${name}: ${new TextDecoder().decode(out.stderr)}`);
  const run = JSON.parse(new TextDecoder().decode(out.stdout));
  Deno.removeSync(casePath);
  Deno.writeTextFileSync(
    `${dir}${name}.json`,
    JSON.stringify({ case: NEIGH_CASES[name], kernel: run }, null, 2) + "\n",
  );
  console.log(name, JSON.stringify(run.neigh), run.drops, run.sent.length);
}
