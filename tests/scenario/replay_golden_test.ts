// Every recorded replay case (tests/golden/linux-6.18/replay/, made by
// tests/oracle/record_replay.ts on a Linux 6.18.44 host) replayed through the kit must match
// the real kernel frame by frame and counter by counter.
import assert from "node:assert/strict";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import { replay } from "../../lib/scenario/replay.ts";
import { readPcap } from "../../lib/wire/pcap.ts";

const dir = new URL("../golden/linux-6.18/replay/", import.meta.url).pathname;
const cases = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".jsonl"))
  .map((e) => e.name.replace(/\.jsonl$/, "")).sort();

function normalise(line: Record<string, unknown>): Record<string, unknown> {
  if (!line.summary) return line;
  // /proc/net/snmp has no IcmpMsg lines until some type is counted; the kit always reports it
  const counters = { IcmpMsg: {}, ...(line.counters as Record<string, unknown>) };
  return { ...line, counters };
}

for (const name of cases) {
  Deno.test(`replay ${name}: the kit does what Linux 6.18 did with every frame`, () => {
    const scenario = loadScenario(JSON.parse(Deno.readTextFileSync(`${dir}${name}.json`)));
    const records = readPcap(Deno.readFileSync(`${dir}${name}.pcap`)).records;
    const kernel = Deno.readTextFileSync(`${dir}${name}.jsonl`).trim().split("\n").map((l) =>
      normalise(JSON.parse(l))
    );
    const kit = replay(scenario, records).map((l) => normalise(JSON.parse(JSON.stringify(l))));
    assert.deepEqual(kit, kernel);
  });
}
