// Records what the machine's own kernel does with every GRO case: writes each case as a pcap
// and its outcome (gro_oracle.py, as root) next to it in tests/golden/linux-6.18/gro/.
// Run on a Linux 6.18 machine: deno run -A tests/oracle/record_gro.ts [NAME...]
import { writePcap } from "../../lib/wire/pcap.ts";
import { GRO_CASES } from "./gro_cases.ts";

const dir = new URL("../golden/linux-6.18/gro/", import.meta.url).pathname;
const oracle = new URL("./gro_oracle.py", import.meta.url).pathname;
Deno.mkdirSync(dir, { recursive: true });
const release = new TextDecoder().decode(
  new Deno.Command("uname", { args: ["-r"], stdout: "piped" }).outputSync().stdout,
).trim();
const names = Deno.args.length ? Deno.args : Object.keys(GRO_CASES);
for (const name of names) {
  const frames = GRO_CASES[name];
  const pcap = `${dir}${name}.pcap`;
  Deno.writeFileSync(
    pcap,
    writePcap(frames.map((data) => ({ tsNs: 0n, data, origLen: data.length }))),
  );
  const out = new Deno.Command("python3", {
    args: [oracle, pcap],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!out.success) throw new Error(`${name}: ${new TextDecoder().decode(out.stderr)}`);
  Deno.writeTextFileSync(`${dir}${name}.jsonl`, new TextDecoder().decode(out.stdout));
  console.log(`${name}: ${new TextDecoder().decode(out.stdout).trim().split("\n").length} skb(s)`);
}
Deno.writeTextFileSync(`${dir}KERNEL`, `${release}\n`);
