import assert from "node:assert/strict";
import { SkbLedger } from "../../lib/sim/ledger.ts";

Deno.test("SkbLedger.check() passes when every skb ended or is held", () => {
  const l = new SkbLedger();
  const a = l.born(), b = l.born(), c = l.born();
  l.end({ skb: a, kind: "delivered", where: "udp_rcv", t: 1 });
  l.end({ skb: b, kind: "dropped", reason: "NO_SOCKET", where: "__udp4_lib_rcv", t: 2 });
  l.check([{ name: "rx ring", skbIds: () => [c] }]);
  assert.deepEqual(l.summary(), { delivered: 1, "dropped:NO_SOCKET": 1 });
});

Deno.test("SkbLedger.check() finds an skb that vanished", () => {
  const l = new SkbLedger();
  l.born();
  assert.throws(() => l.check([]), /1 skb\(s\) neither ended nor queued: 1/);
});

Deno.test("SkbLedger finds an skb ended twice or held in two places", () => {
  const l = new SkbLedger();
  const a = l.born();
  l.end({ skb: a, kind: "delivered", where: "x", t: 0 });
  assert.throws(() => l.end({ skb: a, kind: "delivered", where: "y", t: 0 }), /ended twice/);
  const b = l.born();
  assert.throws(
    () => l.check([{ name: "q1", skbIds: () => [b] }, { name: "q2", skbIds: () => [b] }]),
    /both q1 and q2/,
  );
});

Deno.test("SkbLedger.onEnd is told each fate instead of the ledger keeping it", () => {
  const l = new SkbLedger();
  const told: number[] = [];
  l.onEnd = (f) => told.push(f.skb);
  const a = l.born(), b = l.born();
  l.end({ skb: b, kind: "dropped", reason: "NO_SOCKET", where: "udp_rcv", t: 1 });
  l.end({ skb: a, kind: "delivered", where: "udp_recvmsg", t: 2 });
  assert.deepEqual(told, [b, a]);
  assert.equal(l.fates.length, 0);
  assert.throws(() => l.end({ skb: a, kind: "delivered", where: "x", t: 3 }), /ended twice/);
});

Deno.test("SkbLedger keeps skbs apart across many thousands of lives, in any order of ending", () => {
  const l = new SkbLedger();
  const ids = Array.from({ length: 20_000 }, () => l.born());
  // end all but every 7777th, newest first, so whole pages empty and are let go
  const kept = ids.filter((id) => id % 7777 === 0);
  for (const id of ids.toReversed()) {
    if (id % 7777 !== 0) l.end({ skb: id, kind: "delivered", where: "udp_recvmsg", t: 0 });
  }
  assert.equal(l.alive, kept.length);
  assert.throws(() => l.end({ skb: 5, kind: "delivered", where: "x", t: 0 }), /ended twice/);
  assert.throws(() => l.check([]), /2 skb\(s\) neither ended nor queued: 7777, 15554/);
  l.check([{ name: "socket", skbIds: () => kept }]);
  assert.throws(() => l.end({ skb: 20_001, kind: "delivered", where: "x", t: 0 }), /never born/);
});
