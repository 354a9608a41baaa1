// rxpath gro's receiver takes any number of frames: a ring's worth (VETH_RING_SIZE) at a time,
// each batch once the polls have drained the one before, none left out; its MTU is 65535 (the
// reference receiver's) unless told otherwise.
import assert from "node:assert/strict";
import { runGro } from "../../lib/experiments/gro.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { VETH_RING_SIZE } from "../../lib/drivers/veth.ts";

const udp = (i: number, payload = 18) =>
  buildFrame({
    eth: { dst: "02:00:00:00:00:02" },
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", id: i },
    udp: { source: 4000, dest: 5000 },
    payload,
  });
const seg = (i: number) =>
  buildFrame({
    eth: { dst: "02:00:00:00:00:02" },
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", id: i },
    tcp: { source: 1, dest: 2, seq: 1000 + i * 100, flags: "A" },
    payload: 100,
  });

Deno.test("gro: frames beyond a ring's worth arrive in later batches, every one handed up once", () => {
  const n = 2 * VETH_RING_SIZE + 88;
  const lines = runGro(Array.from({ length: n }, (_, i) => udp(i)));
  assert.deepEqual(lines.flatMap((l) => l.frames), Array.from({ length: n }, (_, i) => i));
});

Deno.test("gro: a flow's segments merge within a batch, never across a ring's refill", () => {
  const n = 2 * VETH_RING_SIZE;
  const lines = runGro(Array.from({ length: n }, (_, i) => seg(i)));
  assert.deepEqual(lines.flatMap((l) => l.frames), Array.from({ length: n }, (_, i) => i));
  assert.ok(
    lines.every((l) =>
      Math.min(...l.frames) >= VETH_RING_SIZE || Math.max(...l.frames) < VETH_RING_SIZE
    ),
  );
  assert.ok(lines.length < n / 8); // they did merge
});

Deno.test("gro: the receiver's MTU is 65535 unless set: a 9000-byte frame passes, or is dropped at 1500", () => {
  const jumbo = udp(0, 9000);
  assert.deepEqual(runGro([jumbo]).map((l) => l.ip_len), [9028]);
  assert.deepEqual(runGro([jumbo], { mtu: 1500 }), []);
});

Deno.test("groStream(): frames are read a ring at a time, lines handed over as skbs go up", async () => {
  const { groStream } = await import("../../lib/experiments/gro.ts");
  let read = 0;
  const frames = function* () {
    for (let i = 0; i < 3 * VETH_RING_SIZE; i++) {
      read++;
      yield seg(i);
    }
  };
  const lines: number[][] = [];
  groStream(frames(), {}, (line) => {
    lines.push(line.frames);
    // nothing past the ring being polled has been read
    assert.ok(read <= Math.ceil((line.frames.at(-1)! + 1) / VETH_RING_SIZE) * VETH_RING_SIZE);
  });
  assert.deepEqual(lines.flat(), Array.from({ length: 3 * VETH_RING_SIZE }, (_, i) => i));
  const all = runGro(Array.from({ length: 3 * VETH_RING_SIZE }, (_, i) => seg(i)));
  assert.deepEqual(lines, all.map((l) => l.frames));
});
