// The kit's default costs are the ones measured on Linux 6.18 (tests/golden/linux-6.18/
// calibrate/): the analysis of the recorded traces gives the recorded profile, and every step
// it measures has that value and that provenance in DEFAULT_COSTS.
import assert from "node:assert/strict";
import {
  costOverrides,
  costsFromCalibration,
  interquartileMean,
  parseTraceText,
  spans,
} from "../../lib/scenario/calibrate.ts";
import { DEFAULT_COSTS } from "../../lib/sim/cost.ts";

const dir = new URL("../golden/linux-6.18/calibrate/", import.meta.url).pathname;
const traces = JSON.parse(Deno.readTextFileSync(`${dir}traces.json`));
const profile = JSON.parse(Deno.readTextFileSync(`${dir}profile.json`));

Deno.test("calibration: the recorded traces give the recorded profile", () => {
  assert.deepEqual(
    JSON.parse(JSON.stringify(costsFromCalibration(traces))),
    profile.costs,
  );
});

Deno.test("calibration: every measured step's default is the measured value, with its provenance", () => {
  for (const [step, c] of Object.entries(profile.costs) as [string, { ns: number }][]) {
    const d = DEFAULT_COSTS[step as keyof typeof DEFAULT_COSTS];
    assert.equal(d.ns, Math.round(c.ns), step);
    assert.match(d.basis, new RegExp(`^measured on ${profile.kernel}`), step);
  }
});

Deno.test("calibration: a TSC-clock trace reads in ns; spans pair each start with the next end", () => {
  const text = [
    "  python3-1  [000] b.... 2096000000: net_dev_queue: dev=w0 skbaddr=0 len=60",
    "  python3-1  [000] b.... 2096000524: net_dev_start_xmit: dev=w0 queue_mapping=0",
    "  python3-1  [000] b.... 2096002096: net_dev_queue: dev=w0 skbaddr=0 len=60",
    "  python3-1  [000] b.... 2096003144: net_dev_start_xmit: dev=w0 queue_mapping=0",
  ].join("\n");
  const events = parseTraceText(text, 2.096e9);
  assert.equal(events[0].t, 1e9);
  assert.deepEqual(
    spans(events, { event: "net_dev_queue" }, { event: "net_dev_start_xmit" }).map(Math.round),
    [250, 500],
  );
  assert.throws(() => parseTraceText(text), /without the TSC's rate/);
});

Deno.test("calibration: the interquartile mean leaves the scheduler's outliers out", () => {
  assert.deepEqual(interquartileMean([1, 2, 2, 3, 3, 3, 100, 2]), { mean: 2.5, q1: 2, q3: 3 });
});

Deno.test("a cost profile gives overrides, and names a step the kit does not charge or a bad value", () => {
  assert.deepEqual(costOverrides({ costs: { wakeup: { ns: 1234.6 } } }, "p.json"), {
    wakeup: 1235,
  });
  assert.throws(
    () => costOverrides({ costs: { warp: { ns: 1 } } }, "p.json"),
    /costs\.warp is not a step/,
  );
  assert.throws(() => costOverrides({ costs: { wakeup: { ns: -1 } } }, "p.json"), /non-negative/);
  assert.throws(() => costOverrides("{", "p.json"), /Cannot read cost profile p\.json/);
  assert.throws(() => costOverrides({}, "p.json"), /no "costs" object/);
});
