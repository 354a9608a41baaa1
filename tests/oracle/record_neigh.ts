// Records what the machine's own kernel does with every neighbour case and qdisc case
// (neigh_oracle.py, as root): tests/golden/linux-6.18/neigh/NAME.json and qdisc/NAME.json, the
// case and the kernel's run. Run on a Linux 6.18 machine, otherwise idle (the wire's timing is
// wall-clock):
//   deno run -A tests/oracle/record_neigh.ts [NAME...]
import { NEIGH_CASES } from "./neigh_cases.ts";
import { QDISC_CASES } from "./qdisc_cases.ts";

const golden = new URL("../golden/linux-6.18/", import.meta.url).pathname;
const oracle = new URL("./neigh_oracle.py", import.meta.url).pathname;
const all = { ...NEIGH_CASES, ...QDISC_CASES };
for (const name of Deno.args.length ? Deno.args : Object.keys(all)) {
  if (!(name in all)) throw new Error(`no case ${name}`);
  const dir = `${golden}${name in QDISC_CASES ? "qdisc" : "neigh"}/`;
  Deno.mkdirSync(dir, { recursive: true });
  const casePath = `${dir}${name}.case.json`;
  Deno.writeTextFileSync(casePath, JSON.stringify(all[name], null, 1) + "\n");
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
    JSON.stringify({ case: all[name], kernel: run }, null, 2) + "\n",
  );
  console.log(name, JSON.stringify(run.neigh), run.drops, run.sent.length);
}
