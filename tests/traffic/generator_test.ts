import assert from "node:assert/strict";
import { type Flow, generateTraffic, type TrafficSpec } from "../../lib/traffic/generator.ts";
import { wireTimeNs } from "../../lib/wire/ethernet.ts";
import { Rng } from "../../lib/sim/rng.ts";
import { decodeFrame } from "../../lib/wire/decode.ts";

const udp: Flow = { proto: "udp", saddr: "10.0.0.1", daddr: "10.0.0.2", sport: 4000, dport: 5000 };
const tcp: Flow = { proto: "tcp", saddr: "10.0.0.3", daddr: "10.0.0.2", sport: 40000, dport: 80 };

Deno.test("wireTimeNs() of a 60-byte frame at 10 Gbit/s is 67.2 ns: 14.88 Mpps line rate", () => {
  assert.equal(wireTimeNs(60, 10), 67.2);
});

Deno.test("generateTraffic() spaces constant-rate frames evenly and builds valid frames of the size", () => {
  const a = generateTraffic({
    flows: [udp],
    size: 128,
    rate: { kind: "constant", pps: 250_000 },
    count: 5,
  }, new Rng(1));
  assert.deepEqual(a.map((x) => x.t), [0, 4000, 8000, 12000, 16000]);
  for (const x of a) {
    assert.equal(x.frame.length, 128);
    assert.deepEqual(decodeFrame(x.frame).problems, []);
  }
});

Deno.test("generateTraffic() merges flows in time order and advances each TCP flow's sequence", () => {
  const a = generateTraffic({
    flows: [udp, tcp],
    size: 100,
    rate: { kind: "constant", pps: 1e6 },
    count: 6,
  }, new Rng(1));
  assert.deepEqual(a.map((x) => [x.t, x.flow]), [[0, 0], [0, 1], [1000, 0], [1000, 1], [2000, 0], [
    2000,
    1,
  ]]);
  const seqs = a.filter((x) => x.flow === 1).map((x) => decodeFrame(x.frame).tcp!.seq);
  assert.deepEqual(seqs, [1, 47, 93]); // 100 - 14 - 20 - 20 = 46 payload bytes each
});

Deno.test("generateTraffic() Poisson arrivals average the rate (within 3% over 20k frames)", () => {
  const a = generateTraffic({
    flows: [udp],
    size: 64,
    rate: { kind: "poisson", pps: 1e6 },
    count: 20_000,
  }, new Rng(9));
  const mean = a.at(-1)!.t / (a.length - 1);
  assert.ok(Math.abs(mean - 1000) < 30, `mean gap ${mean}`);
});

Deno.test("generateTraffic() bursts send back-to-back at line rate, then wait for the period", () => {
  const a = generateTraffic({
    flows: [udp],
    size: 60,
    rate: { kind: "burst", burst: 3, periodNs: 10_000, linkGbps: 10 },
    count: 6,
  }, new Rng(1));
  assert.deepEqual(a.map((x) => x.t), [0, 67, 134, 10_000, 10_067, 10_134]);
});

Deno.test("generateTraffic() is the same for the same seed", () => {
  const spec: TrafficSpec = {
    flows: [udp, tcp],
    size: { min: 64, max: 1514 },
    rate: { kind: "poisson", pps: 1e5 },
    count: 200,
  };
  const a = generateTraffic(spec, new Rng(5)), b = generateTraffic(spec, new Rng(5));
  assert.deepEqual(a, b);
});

Deno.test("generateTraffic() rejects specs that are impossible or never end, saying which", () => {
  assert.throws(
    () =>
      generateTraffic({ flows: [udp], size: 64, rate: { kind: "constant", pps: 1 } }, new Rng(1)),
    /never ends/,
  );
  assert.throws(
    () =>
      generateTraffic(
        { flows: [tcp], size: 40, rate: { kind: "constant", pps: 1 }, count: 1 },
        new Rng(1),
      ),
    /40 bytes for flow 0: tcp needs 54/,
  );
  assert.throws(
    () =>
      generateTraffic(
        { flows: [udp], size: 64, rate: { kind: "poisson", pps: 0 }, count: 1 },
        new Rng(1),
      ),
    /rate must be positive/,
  );
  assert.throws(
    () =>
      generateTraffic(
        { flows: [], size: 64, rate: { kind: "poisson", pps: 1 }, count: 1 },
        new Rng(1),
      ),
    /no flows/,
  );
});

Deno.test("generateTraffic(): each frame is byte for byte what buildFrame() makes of its fields", async () => {
  // frames come from per-flow templates with the IPv4 ID and TCP sequence written in and the
  // checksums made again: the result must not differ from building each frame from scratch
  const { buildFrame } = await import("../../lib/wire/build.ts");
  const frames = generateTraffic({
    flows: [udp, tcp, { ...tcp, sport: 40001, saddr: "192.168.255.254" }],
    size: { min: 54, max: 1514 },
    rate: { kind: "poisson", pps: 100_000 },
    count: 3000,
  }, new Rng(9));
  const sent = [0, 0, 0], seq = [1, 1, 1];
  for (const a of frames) {
    const flow = [udp, tcp, { ...tcp, sport: 40001, saddr: "192.168.255.254" }][a.flow];
    const l4 = flow.proto === "tcp" ? 20 : 8;
    const payload = a.frame.length >= 60 ? decodeFrame(a.frame).ipv4!.totLen - 20 - l4 : 0;
    const ipv4 = { saddr: flow.saddr, daddr: flow.daddr, id: sent[a.flow]++ & 0xffff };
    const expected = flow.proto === "tcp"
      ? buildFrame({
        ipv4,
        tcp: { source: flow.sport, dest: flow.dport, seq: seq[a.flow], flags: "A" },
        payload,
      })
      : buildFrame({ ipv4, udp: { source: flow.sport, dest: flow.dport }, payload });
    seq[a.flow] = (seq[a.flow] + payload) >>> 0;
    assert.deepEqual(a.frame, expected);
  }
});
