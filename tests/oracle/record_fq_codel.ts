// Records what the kernel's own fq_codel does: net/sched/sch_fq_codel.c (its flows, from
// struct fq_codel_flow to fq_codel_peek()) and include/net/codel*.h, taken unmodified from the
// Linux source (Debian's linux-source-6.12), built in user space around
// tests/oracle/fq_codel/drive.c — this machine's 6.18 kernel is built without fq_codel, so the
// qdisc cannot be run in it. The operation lists are a link's: flows sending at times, the
// link dequeueing at its pace, the limit and memory limit set low at times to reach the drops.
// Writes tests/golden/linux-6.18/fq_codel.json. Needs gcc:
//   deno run -A tests/oracle/record_fq_codel.ts [/usr/src/linux-source-6.12]
import { Rng } from "../../lib/sim/rng.ts";
import { buildDriver, drive } from "./kernel_code.ts";

const src = Deno.args[0] ?? "/usr/src/linux-source-6.12";
const here = new URL("./fq_codel/", import.meta.url).pathname;
const tmp = Deno.makeTempDirSync();
for (
  const h of [
    "linux/types.h",
    "linux/ktime.h",
    "linux/skbuff.h",
    "net/inet_ecn.h",
    "net/pkt_sched.h",
  ]
) {
  Deno.mkdirSync(`${tmp}/${h.split("/")[0]}`, { recursive: true });
  Deno.writeTextFileSync(`${tmp}/${h}`, `#include "${here}shim.h"\n`);
}
for (const h of ["codel.h", "codel_impl.h", "codel_qdisc.h"]) {
  Deno.copyFileSync(`${src}/include/net/${h}`, `${tmp}/net/${h}`);
}
// the flows' code: from struct fq_codel_flow to the end of fq_codel_peek()
const lines = Deno.readTextFileSync(`${src}/net/sched/sch_fq_codel.c`).split("\n");
const first = lines.findIndex((l) => l.startsWith("struct fq_codel_flow {"));
const peek = lines.findIndex((l) => l.startsWith("static struct sk_buff *fq_codel_peek("));
const last = lines.findIndex((l, i) => i > peek && l === "}");
Deno.writeTextFileSync(`${tmp}/fq_part.c`, lines.slice(first, last + 1).join("\n") + "\n");
buildDriver(tmp, `${here}drive.c`, [`-I${here}`, `-DFQ_PART="${tmp}/fq_part.c"`]);

// flows sending packets at random times, the link taking one every `gap` ns
function sequence(seed: number): string[] {
  const rng = new Rng(seed);
  const flows = Array.from({ length: 2 + (seed % 4) }, () => rng.nextU32());
  const gap = [120_000, 400_000, 1_200_000][seed % 3]; // a dequeue every 0.12 to 1.2 ms
  const ops: string[] = [];
  if (seed % 5 === 3) ops.push("L 60");
  if (seed % 5 === 4) ops.push("M 100000");
  if (seed % 4 === 2) ops.push("Q 300");
  let t = 0;
  let next = 0;
  let id = 0;
  for (let i = 0; i < 800; i++) {
    t += Math.floor(rng.float() * gap * 0.9);
    while (next <= t) {
      ops.push(`t ${next}`, "d");
      next += gap;
    }
    ops.push(`t ${t}`);
    const f = Math.floor(rng.float() * flows.length);
    const len = f === 0 ? 1514 : 64 + Math.floor(rng.float() * 1400);
    // ECN-capable packets, which CoDel marks instead of dropping: every flow's in sequence 7,
    // the second flow's in sequence 8
    const op = seed === 7 || (seed === 8 && f === 1) ? "E" : "e";
    ops.push(`${op} ${++id} ${flows[f]} ${len} ${len > 700 ? 2304 : 1280}`);
  }
  for (let i = 0; i < 200; i++) ops.push(`t ${(next += gap)}`, "d");
  return ops;
}

const cases = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => {
  const ops = sequence(seed);
  return { seed, ops, states: drive<number[]>(tmp, ops) };
});
Deno.writeTextFileSync(
  new URL("../golden/linux-6.18/fq_codel.json", import.meta.url).pathname,
  JSON.stringify({
    fields: [
      "result",
      "qlen",
      "backlog",
      "drops",
      "drop_overlimit",
      "new_flow_count",
      "maxpacket",
      "freed",
    ],
    cases,
  }) + "\n",
);
Deno.removeSync(tmp, { recursive: true });
for (const c of cases) {
  const s = c.states as number[][];
  const end = s[s.length - 1];
  console.log(
    c.seed,
    "drops",
    end[3],
    "overlimit",
    end[4],
    "ecn_mark",
    end[7],
    "ops",
    c.ops.length,
  );
}
