// The cold CPU, held to Linux 6.18. The recorded cases send one frame every 0.4 s or more, so
// the kernel runs each on a cold CPU (tests/golden/linux-6.18/trace_timing.json: five runs per
// frame); the kit's cold factor is the one that brings most of them within ±30% of the
// kernel's median, and how fast a CPU cools is the recorded cold sweep's
// (tests/golden/linux-6.18/calibrate/cold.json). Both defaults must be those fits, and the kit's
// time for a frame — netif_receive_skb to its last napi_poll, events enabled as recorded — must
// be within ±30% of the kernel's median for at least as many frames as the kernel's own runs
// agree on (every run within ±30% of their median).
import assert from "node:assert/strict";
import { readPcap } from "../../lib/wire/pcap.ts";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import { traceEvents } from "../../lib/scenario/trace.ts";
import { coldDecayFromSweep, coldScaleFrom } from "../../lib/scenario/calibrate.ts";
import { DEFAULT_COSTS } from "../../lib/sim/cost.ts";

const golden = new URL("../golden/linux-6.18/", import.meta.url).pathname;
const timing: Record<string, (number | null)[][]> = JSON.parse(
  Deno.readTextFileSync(`${golden}trace_timing.json`),
);

// Per frame with three runs or more: the kernel's median and the kit's time, µs.
function frames(costs?: Record<string, number>): { kernel: number; kit: number; agree: boolean }[] {
  return Object.entries(timing).flatMap(([name, perFrame]) => {
    const scenario = loadScenario(
      JSON.parse(Deno.readTextFileSync(`${golden}replay/${name}.json`)),
    );
    const records = readPcap(Deno.readFileSync(`${golden}replay/${name}.pcap`)).records;
    const runs = traceEvents(scenario, records, { nic: "veth", costs });
    return perFrame.flatMap((times, i) => {
      const xs = times.filter((t): t is number => t !== null).sort((a, b) => a - b);
      const ev = runs[i].events;
      const a = ev.findIndex((e) => e.event === "netif_receive_skb");
      const b = ev.findLastIndex((e) => e.event === "napi_poll");
      if (xs.length < 3 || a < 0 || b < a) return [];
      const kernel = xs[xs.length >> 1];
      return [{
        kernel,
        kit: (ev[b].t - ev[a].t) / 1000,
        agree: xs.every((x) => Math.abs(x - kernel) <= 0.3 * kernel),
      }];
    });
  });
}

Deno.test("cold CPU: the default factor and decay are the fits to Linux 6.18's recordings", () => {
  const warm = frames({ coldScale: 0 });
  const { factor } = coldScaleFrom(warm.map((f) => [f.kernel, f.kit]));
  assert.equal(DEFAULT_COSTS.coldScale.ns, Math.round((factor - 1) * 1000));
  const sweep = JSON.parse(Deno.readTextFileSync(`${golden}calibrate/cold.json`));
  assert.equal(DEFAULT_COSTS.coldDecay.ns, coldDecayFromSweep(sweep).tauNs);
});

Deno.test("cold CPU: each recorded frame's time is the kernel's within ±30% as often as the kernel's own runs agree", () => {
  const all = frames();
  const within = all.filter((f) => Math.abs(f.kit - f.kernel) <= 0.3 * f.kernel).length;
  const agree = all.filter((f) => f.agree).length;
  assert.ok(
    within >= agree,
    `kit within ±30%: ${within} of ${all.length}; kernel runs agree: ${agree}`,
  );
});
