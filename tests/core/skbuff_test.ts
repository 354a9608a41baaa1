// The skb itself: what an skb the stack merely passes on costs to make.
import assert from "node:assert/strict";
import { allocSkb } from "../../lib/core/skbuff.ts";
import { Sim } from "../../lib/sim/sim.ts";
import { buildFrame } from "../../lib/wire/build.ts";

Deno.test("an skb nothing was appended to makes no lists: no frags, no GRO merge, no frag_list", () => {
  const frame = buildFrame({
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    udp: { source: 1, dest: 2 },
    payload: 8,
  });
  const skb = allocSkb(new Sim(), frame);
  assert.equal(skb.frags, null);
  assert.equal(skb.mergedIds, null);
  assert.equal(skb.fragList, null);
  // skb->data_len is 0 and the bytes are the head's
  assert.equal(skb.dataLen, 0);
  assert.deepEqual(skb.bytes, frame);
});
