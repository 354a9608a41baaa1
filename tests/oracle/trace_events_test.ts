// rxpath's tracepoint events against Linux 6.18's: for every recorded case
// (tests/golden/linux-6.18/trace/, recorded by trace_oracle.py over veth), each frame's events
// as `rxpath trace --nic veth --events` makes them must be the kernel's, event by event, every
// field but pointers and code offsets. The frames listed below are the kit's known differences,
// each with its reason; they must still differ, so that the list stays true.
import assert from "node:assert/strict";
import { firstDifference, modelled, recorded, TRACE_CASES } from "./trace_events.ts";

const KNOWN_DIFFERENCES: Record<string, Record<number, string>> = {};

for (const name of TRACE_CASES) {
  Deno.test(`tracepoints ${name}: each frame's events are Linux 6.18's, in its order`, () => {
    const want = recorded(name);
    const got = modelled(name);
    assert.equal(got.length, want.length, "frames");
    want.forEach((events, i) => {
      const at = firstDifference(events, got[i]);
      const known = KNOWN_DIFFERENCES[name]?.[i];
      if (known) {
        assert.notEqual(at, -1, `frame ${i} now matches: take it off the known differences`);
        return;
      }
      assert.equal(
        at,
        -1,
        `frame ${i}, event ${at}:\n  kernel: ${events[at] ?? "(none)"}\n  kit:    ${
          got[i][at] ?? "(none)"
        }`,
      );
    });
  });
}
