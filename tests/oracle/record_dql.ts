// Records what the kernel's own byte queue limit code does: lib/dynamic_queue_limits.c, taken
// unmodified from the Linux source (Debian's linux-source-6.12; the file is unchanged up to
// 6.18 in what the kit models — stall detection aside), built in user space around
// tests/oracle/dql/drive.c and run on operation lists a driver would make — bytes queued while
// the limit lets it, completions in batches, jiffies moving on, limits set by hand.
// Writes tests/golden/linux-6.18/dql.json. Needs gcc:
//   deno run -A tests/oracle/record_dql.ts [/usr/src/linux-source-6.12]
import { Rng } from "../../lib/sim/rng.ts";
import { buildDriver, drive } from "./kernel_code.ts";

const src = Deno.args[0] ?? "/usr/src/linux-source-6.12";
const here = new URL("./dql/", import.meta.url).pathname;
const tmp = Deno.makeTempDirSync();
// the kernel header, and shims for the headers it and the .c include
Deno.mkdirSync(`${tmp}/linux`, { recursive: true });
Deno.mkdirSync(`${tmp}/asm`);
Deno.mkdirSync(`${tmp}/trace/events`, { recursive: true });
for (const h of ["types", "kernel", "jiffies", "compiler", "export", "bitops"]) {
  Deno.writeTextFileSync(`${tmp}/linux/${h}.h`, `#include "${here}shim.h"\n`);
}
Deno.writeTextFileSync(`${tmp}/asm/bug.h`, `#include "${here}shim.h"\n`);
Deno.writeTextFileSync(`${tmp}/trace/events/napi.h`, `#include "${here}shim.h"\n`);
Deno.copyFileSync(
  `${src}/include/linux/dynamic_queue_limits.h`,
  `${tmp}/linux/dynamic_queue_limits.h`,
);
buildDriver(tmp, `${here}drive.c`, [`-DDQL_C="${src}/lib/dynamic_queue_limits.c"`]);

// A driver's life: packets of 60…1514 bytes queued while dql_avail() > 0 (a stopped queue
// waits), completions of what the device sent since the last interrupt, jiffies advancing
// 0…300 per step (HZ 250: the hold time of 250 passes now and then), sometimes a reset or
// limits by hand.
function sequence(seed: number, n: number): string[] {
  const rng = new Rng(seed);
  const ops: string[] = [];
  let avail = 0;
  let inflight: number[] = [];
  let jiffies = 0;
  if (seed % 3 === 1) ops.push(`min ${1514 * (1 + (seed % 4))}`);
  if (seed % 3 === 2) ops.push(`max ${3000 + 1000 * (seed % 5)}`, "hold 50");
  for (let i = 0; i < n; i++) {
    const r = rng.float();
    if (r < 0.5 && (avail > 0 || inflight.length === 0)) {
      const len = 60 + Math.floor(rng.float() * 1455);
      ops.push(`q ${len}`);
      inflight.push(len);
      avail -= len;
    } else if (r < 0.9 && inflight.length) {
      const k = 1 + Math.floor(rng.float() * inflight.length);
      ops.push(`c ${inflight.slice(0, k).reduce((a, b) => a + b, 0)}`);
      inflight = inflight.slice(k);
    } else if (r < 0.99) {
      jiffies += Math.floor(rng.float() * 300);
      ops.push(`j ${jiffies}`);
    } else {
      ops.push("r");
      inflight = [];
    }
    avail = drive<number[]>(tmp, ops).at(-1)![3]; // the driver reads dql_avail() back
  }
  return ops;
}

const cases = [1, 2, 3, 4, 5, 6].map((seed) => {
  const ops = sequence(seed, 300);
  return { seed, ops, states: drive<number[]>(tmp, ops) };
});
Deno.writeTextFileSync(
  new URL("../golden/linux-6.18/dql.json", import.meta.url).pathname,
  JSON.stringify({
    fields: [
      "limit",
      "adj_limit",
      "num_queued",
      "dql_avail",
      "num_completed",
      "prev_ovlimit",
      "lowest_slack",
    ],
    cases,
  }) + "\n",
);
Deno.removeSync(tmp, { recursive: true });
console.log(cases.map((c) => `${c.seed}: limit ${c.states[c.states.length - 1][0]}`).join(", "));
