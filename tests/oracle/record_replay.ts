// Records what the machine's own kernel does with every replay case: writes each case's
// scenario and pcap, and its replay (replay_oracle.py, as root), to
// tests/golden/linux-6.18/replay/. Run on a Linux 6.18 machine:
//   deno run -A tests/oracle/record_replay.ts [NAME...]
import { pcapRecords, writePcap } from "../../lib/wire/pcap.ts";
import { REPLAY_CASES } from "./replay_cases.ts";

const dir = new URL("../golden/linux-6.18/replay/", import.meta.url).pathname;
const oracle = new URL("./replay_oracle.py", import.meta.url).pathname;
Deno.mkdirSync(dir, { recursive: true });
// Frames 400 ms apart: longer than the oracle takes over one, so both sides see the same times.
const FRAME_GAP_NS = 400_000_000n;
const names = Deno.args.length ? Deno.args : Object.keys(REPLAY_CASES);
for (const name of names) {
  const { scenario, frames, gapNs = FRAME_GAP_NS } = REPLAY_CASES[name];
  Deno.writeTextFileSync(`${dir}${name}.json`, JSON.stringify(scenario, null, 2) + "\n");
  Deno.writeFileSync(
    `${dir}${name}.pcap`,
    writePcap(
      pcapRecords(frames, gapNs),
    ),
  );
  const out = new Deno.Command("python3", {
    args: [oracle, `${dir}${name}.json`, `${dir}${name}.pcap`],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!out.success) throw new Error(`${name}: ${new TextDecoder().decode(out.stderr)}`);
  Deno.writeTextFileSync(`${dir}${name}.jsonl`, new TextDecoder().decode(out.stdout));
  console.log(`${name}:\n${new TextDecoder().decode(out.stdout)}`);
}
