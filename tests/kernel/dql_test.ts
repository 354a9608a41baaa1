// BQL's limit held to the kernel's own code: lib/dynamic_queue_limits.c built in user space and
// run on a driver's operations (tests/golden/linux-6.18/dql.json, recorded by
// tests/oracle/record_dql.ts). After every operation the kit's Dql has the same limit,
// adj_limit, num_queued, dql_avail(), num_completed, prev_ovlimit and lowest_slack.
import assert from "node:assert/strict";
import { Dql } from "../../lib/kernel/dynamic_queue_limits.ts";

const { fields, cases } = JSON.parse(
  Deno.readTextFileSync(new URL("../golden/linux-6.18/dql.json", import.meta.url)),
);

Deno.test("dql: the limit grows when the queue starved while held back and shrinks by the slack unused over the hold time, as the kernel's code computes", async (t) => {
  // the recordings do exercise both ways
  const states: number[][] = cases.flatMap((c: { states: number[][] }) => c.states);
  assert.ok(states.some((s, i) => i > 0 && s[0] > states[i - 1][0]), "a limit grew");
  assert.ok(states.some((s, i) => i > 0 && s[0] < states[i - 1][0] && s[0] > 0), "a limit shrank");
  for (const c of cases as { seed: number; ops: string[]; states: number[][] }[]) {
    await t.step(`sequence ${c.seed}`, () => {
      let jiffies = 0;
      const dql = new Dql(250, () => jiffies);
      c.ops.forEach((op, i) => {
        const [name, arg] = op.split(" ");
        const n = Number(arg);
        if (name === "j") jiffies = n;
        else if (name === "q") dql.queued(n);
        else if (name === "c") dql.completed(n);
        else if (name === "r") dql.reset();
        else if (name === "min") dql.minLimit = n;
        else if (name === "max") dql.maxLimit = n;
        else if (name === "hold") dql.slackHoldTime = n;
        const kit = [
          dql.limit,
          dql.adjLimit,
          dql.numQueued,
          dql.avail(),
          dql.numCompleted,
          dql.prevOvlimit,
          dql.lowestSlack,
        ];
        assert.deepEqual(
          Object.fromEntries(fields.map((f: string, k: number) => [f, kit[k]])),
          Object.fromEntries(fields.map((f: string, k: number) => [f, c.states[i][k]])),
          `after op ${i} (${op})`,
        );
      });
    });
  }
});
