import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import {
  cookieInitTimestamp,
  cookieTimestampDecode,
  cookieV4Check,
  cookieV4InitSequence,
} from "../../lib/ipv4/syncookies.ts";

const FLOW = { saddr: 0xc0000201, daddr: 0xc0a80002, sport: 40000, dport: 8080 };

Deno.test("a SYN cookie encodes the peer's MSS rounded down to msstab (536, 1300, 1440, 1460)", () => {
  const host = createHost();
  for (
    const [offered, kept] of [[1000, 536], [1300, 1300], [1452, 1440], [9000, 1460], [100, 536]]
  ) {
    const { isn, mss } = cookieV4InitSequence(host, FLOW, 1000, offered);
    assert.equal(mss, kept);
    assert.equal(cookieV4Check(host, FLOW, 1001, isn + 1), kept);
  }
});

Deno.test("a SYN cookie is good for two minute periods, for its own flow and sequence only", () => {
  const host = createHost();
  const { isn } = cookieV4InitSequence(host, FLOW, 1000, 1460);
  host.sim.run(61e9); // the next minute: count differs by one
  assert.equal(cookieV4Check(host, FLOW, 1001, isn + 1), 1460);
  assert.equal(cookieV4Check(host, { ...FLOW, sport: 40001 }, 1001, isn + 1), 0);
  assert.equal(cookieV4Check(host, FLOW, 2001, isn + 1), 0);
  host.sim.run(121e9); // MAX_SYNCOOKIE_AGE periods later
  assert.equal(cookieV4Check(host, FLOW, 1001, isn + 1), 0);
});

Deno.test("a cookie's TS val keeps the SYN's options in its low six bits, never ahead of the clock", () => {
  const host = createHost();
  const o = { wscaleOk: true, sndWscale: 7, sackOk: true, ecnOk: false };
  const ts = cookieInitTimestamp(1_000_000, o);
  assert.ok(ts <= 1_000_000 && 1_000_000 - ts < 64);
  assert.deepEqual(cookieTimestampDecode(host, ts), o);
  // no window scaling: the scale field all ones
  const none = cookieInitTimestamp(1_000_000, { ...o, wscaleOk: false, sndWscale: 0 });
  assert.equal(none & 0xf, 0xf);
  assert.deepEqual(cookieTimestampDecode(host, none), { ...o, wscaleOk: false, sndWscale: 0 });
  // with timestamps turned off since, the cookie's options cannot be trusted
  host.sysctl["net.ipv4.tcp_timestamps"] = 0;
  assert.equal(cookieTimestampDecode(host, ts), null);
});
