import assert from "node:assert/strict";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import { replayStream } from "../../lib/scenario/replay.ts";
import { buildFrame } from "../../lib/wire/build.ts";

const MAC = "02:00:00:00:00:02";
const scenario = loadScenario({
  ingress: "eth0",
  interfaces: [{ name: "eth0", mac: MAC, addrs: ["10.1.0.2/24"], mtu: 1500 }],
});
const frame = buildFrame({
  eth: { dst: MAC },
  ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
  udp: { source: 1, dest: 2 },
});
const WINDOW = 1_000_000; // replay.ts: FRAME_WINDOW_NS
// replay.ts: idleNs by default: the six SYN-ACK timers (1 + 2 + ... + 32 s) at their latest on
// the timer wheel, 16,470 jiffies at HZ 250, rounded up to 66 s, and 1 s
const IDLE = 67_000_000_000n;

// The replay's clock by its definition, in exact arithmetic: a frame is at its timestamp less
// the first's and less what every quiet gap longer than IDLE was shortened by, and never before
// the window of the frame before it has ended.
function lastFrameTime(stamps: bigint[]): number {
  let t = 0, shift = 0n;
  stamps.forEach((ts, i) => {
    const gap = i === 0 ? 0n : ts - stamps[i - 1];
    if (gap > IDLE) shift += gap - IDLE;
    t = Math.max(i === 0 ? 0 : t + WINDOW, Number(ts - stamps[0] - shift));
  });
  return t;
}

Deno.test("replay's clock: every frame's time is exact, whatever the timestamps do", () => {
  const s = 1_000_000_000n, far = 1n << 60n;
  const captures: bigint[][] = [
    [0n, 5n * s, 5n * s + 7n, 9n * s], // small steps: the time steps on from the last frame's
    [0n, 100n * s, 101n * s, 1000n * s + 3n], // quiet gaps past IDLE are shortened to it
    [0n, 20n * s, 1n, 2n * s, 30n * s], // time going back, then on
    [far, 0n, far + 3n * s, 2n * far + 5n, 2n * far + 9n * s], // back by more than a double holds
    [0n, -far, -far + 7n * s, 13n * s + 1n, 50n * s], // far below the first, then back above it
  ];
  for (const stamps of captures) {
    const sh = replayStream(
      scenario,
      stamps.map((tsNs) => ({ tsNs, data: frame, origLen: frame.length })),
      () => {},
    );
    assert.equal(sh.host.sim.now - WINDOW, lastFrameTime(stamps), `timestamps ${stamps}`);
  }
});
