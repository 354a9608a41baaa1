// fq_codel held to the kernel's own code: net/sched/sch_fq_codel.c and include/net/codel*.h,
// built in user space and run on a link's operations (tests/golden/linux-6.18/fq_codel.json,
// recorded by tests/oracle/record_fq_codel.ts; this machine's 6.18 kernel has no fq_codel to
// run). After every enqueue and dequeue the kit's FqCodelQdisc gives the same answer (the
// enqueue's code, the packet dequeued), holds the same packets and bytes, has dropped the same
// packets — by CoDel at dequeue, or from the fattest flow past the limit or memory limit — and
// counts the same drop_overlimit, new_flow_count, maxpacket and ECN marks (CoDel marks an
// ECN-capable packet CE instead of dropping it).
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { registerEtherdev } from "../../lib/core/netdevice.ts";
import { allocSkb } from "../../lib/core/skbuff.ts";
import { devQueueXmit, txSkb } from "../../lib/core/dev_xmit.ts";
import { tc } from "../../lib/sched/sch_api.ts";
import { FqCodelQdisc, inetEcnSetCe } from "../../lib/sched/sch_fq_codel.ts";
import { IpHdr } from "../../lib/wire/ipv4.ts";
import { csumFold, csumPartial } from "../../lib/wire/checksum.ts";
import type { SkBuff } from "../../lib/core/skbuff.ts";
import { buildFrame } from "../../lib/wire/build.ts";

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
  assert.ok(all.some((s: number[]) => s[7] > 0), "and its ECN marks");
  for (const c of cases as { seed: number; ops: string[]; states: unknown[][] }[]) {
    await t.step(`sequence ${c.seed}`, () => {
      const host = createHost();
      const dev = registerEtherdev(host, "eth1", "02:00:00:00:00:09");
      let q = new FqCodelQdisc(dev, dev.tx[0]);
      const ids = new Map<SkBuff, number>();
      const frame = new Uint8Array(60); // not IPv4: never ECN-capable
      // an IPv4 packet with ECT(0), which INET_ECN_set_ce() marks
      const ect = buildFrame({
        ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", tos: 2 },
        payload: 20,
      });
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
        if (name === "e" || name === "E") {
          const [id, hash, len, truesize] = args;
          const skb = allocSkb(host.sim, name === "E" ? ect.slice() : frame, dev);
          skb.networkHeader = 14;
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
          q.ecnMark,
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

Deno.test("INET_ECN_set_ce(): ECT(0) and ECT(1) become CE with the header checksum mended; Not-ECT is left alone", () => {
  const host = createHost();
  const dev = registerEtherdev(host, "eth1", "02:00:00:00:00:09");
  const mark = (tos: number) => {
    const skb = allocSkb(
      host.sim,
      buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", tos }, payload: 8 }),
      dev,
    );
    skb.networkHeader = 14;
    const marked = inetEcnSetCe(skb);
    const iph = new IpHdr(skb.head, 14);
    const sum = csumFold(csumPartial(skb.head, 0, 14, 34));
    return { marked, ecn: iph.tos & 3, checksumOk: sum === 0 };
  };
  assert.deepEqual(mark(0x02), { marked: true, ecn: 3, checksumOk: true }); // ECT(0)
  assert.deepEqual(mark(0x01), { marked: true, ecn: 3, checksumOk: true }); // ECT(1)
  assert.deepEqual(mark(0x03), { marked: true, ecn: 3, checksumOk: true }); // CE already
  assert.deepEqual(mark(0x10), { marked: false, ecn: 0, checksumOk: true }); // Not-ECT
});

Deno.test("fq_codel below tbf: its drops leave tbf's counts (qdisc_tree_reduce_backlog()), and tbf peeks through fq_codel_peek()", () => {
  const host = createHost();
  const dev = registerEtherdev(host, "eth1", "02:00:00:00:00:09");
  tc(host, "qdisc replace dev eth1 root handle 1: tbf rate 1mbit burst 1600 limit 100000");
  tc(host, "qdisc add dev eth1 parent 1:1 handle 10: fq_codel limit 4");
  const frame = buildFrame({
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    udp: { source: 1, dest: 2 },
    payload: 1000,
  });
  for (let i = 0; i < 10; i++) {
    host.sim.at(i, () => devQueueXmit(host, host.sim.cpus[0], dev, txSkb(host, frame, dev)));
  }
  host.sim.run(5_000);
  const root = dev.qdisc!;
  const child = dev.qdiscHash[0];
  // one sent at once; past its limit of 4 fq_codel dropped half the flow's backlog at a time:
  // tbf's counts are its child's, and every packet is sent, held or dropped
  assert.deepEqual(
    [root.bstats.packets, root.qstats.qlen, root.qstats.drops],
    [1, child.qstats.qlen, child.qstats.drops],
  );
  assert.ok(child.qstats.drops > 0);
  assert.equal(root.bstats.packets + child.qstats.qlen + child.qstats.drops, 10);
  host.sim.run(200_000_000);
  assert.deepEqual([root.qstats.qlen, child.qstats.qlen], [0, 0]);
  assert.equal(root.bstats.packets + root.qstats.drops, 10);
});
