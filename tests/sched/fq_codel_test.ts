// fq_codel held to the kernel's own code: net/sched/sch_fq_codel.c and include/net/codel*.h,
// built in user space and run on a link's operations (tests/golden/linux-6.18/fq_codel.json,
// recorded by tests/oracle/record_fq_codel.ts; this machine's 6.18 kernel has no fq_codel to
// run). After every enqueue and dequeue the kit's FqCodelQdisc gives the same answer (the
// enqueue's code, the packet dequeued), holds the same packets and bytes, has dropped the same
// packets — by CoDel at dequeue, or from the fattest flow past the limit or memory limit — and
// counts the same drop_overlimit, new_flow_count and maxpacket.
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { registerEtherdev } from "../../lib/core/netdevice.ts";
import { allocSkb } from "../../lib/core/skbuff.ts";
import { FqCodelQdisc } from "../../lib/sched/sch_fq_codel.ts";
import type { SkBuff } from "../../lib/core/skbuff.ts";

const { fields, cases } = JSON.parse(
  Deno.readTextFileSync(new URL("../golden/linux-6.18/fq_codel.json", import.meta.url)),
);

Deno.test("fq_codel: flows by hash, deficit round robin, CoDel's drops and the fat flow's drops past the limit, as the kernel's code runs them", async (t) => {
  const all = cases.flatMap((c: { states: number[][] }) => c.states);
  assert.ok(all.some((s: number[]) => s[4] > 0), "the recordings reach the limit");
  assert.ok(
    cases.some((c: { states: number[][] }) => c.states.at(-1)![3] > c.states.at(-1)![4]),
    "and CoDel's own drops",
  );
  for (const c of cases as { seed: number; ops: string[]; states: unknown[][] }[]) {
    await t.step(`sequence ${c.seed}`, () => {
      const host = createHost();
      const dev = registerEtherdev(host, "eth1", "02:00:00:00:00:09");
      let q = new FqCodelQdisc(dev, dev.tx[0]);
      const ids = new Map<SkBuff, number>();
      const frame = new Uint8Array(60); // not IPv4: never ECN-capable, as the recording's skbs
      let freed: number[] = [];
      const byId = new Map<number, number>(); // the skb's ledger id → the recording's
      host.sim.ledger.onEnd = (f) => {
        if (f.kind === "dropped") freed.push(byId.get(f.skb)!);
      };
      const cpu = host.sim.cpus[0];
      let i = 0;
      let now = 0;
      const settings: Record<string, number> = {};
      for (const op of c.ops) {
        const [name, ...args] = op.split(" ").map((x, k) => (k ? Number(x) : x)) as [
          string,
          ...number[],
        ];
        if (name === "t") {
          now = args[0];
          host.sim.run(now);
          continue;
        }
        if (name === "L" || name === "M" || name === "Q") {
          settings[name] = args[0];
          q = new FqCodelQdisc(dev, dev.tx[0], {
            limit: settings.L,
            memoryLimit: settings.M,
            quantum: settings.Q,
          });
          continue;
        }
        freed = [];
        let result: number;
        if (name === "e") {
          const [id, hash, len, truesize] = args;
          const skb = allocSkb(host.sim, frame, dev);
          skb.hash = hash;
          skb.len = len;
          skb.truesize = truesize;
          ids.set(skb, id);
          byId.set(skb.id, id);
          const toFree: SkBuff[] = [];
          result = q.enqueue(host, cpu, skb, toFree);
          freed.push(...toFree.map((s) => ids.get(s)!));
        } else {
          const skb = q.dequeue(host);
          result = skb ? ids.get(skb)! : -1;
        }
        const kit = [
          result,
          q.qstats.qlen,
          q.qstats.backlog,
          q.qstats.drops,
          q.dropOverlimit,
          q.newFlowCount,
          q.maxpacket,
          freed,
        ];
        assert.deepEqual(
          Object.fromEntries(fields.map((f: string, k: number) => [f, kit[k]])),
          Object.fromEntries(fields.map((f: string, k: number) => [f, c.states[i][k]])),
          `after op ${i} (${op}) at ${now} ns`,
        );
        i++;
      }
    });
  }
});
