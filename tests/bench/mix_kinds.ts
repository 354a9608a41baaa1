// What each kind of frame in the mixed replay costs: the kinds replayed one at a time through
// replayStream() in this process, from memory (no pcap file, no output lines), so the figures
// are the model's own, against the frame delivered to a socket.
import { buildFrame } from "../../lib/wire/build.ts";
import { type PcapRecord, pcapRecords } from "../../lib/wire/pcap.ts";
import { replayStream } from "../../lib/scenario/replay.ts";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import { MIX, MIX_SCENARIO_PATH } from "./scale.ts";

/** Frames per measured replay. */
export const KIND_FRAMES = 20_000;

// Rounds over all the replays, interleaved so that each sees the same machine; the median
// counts. Two measurements in a row still differed by up to 8 % for a kind (measured): compare
// kinds within one report, not across reports.
const ROUNDS = 9;

/** One kind's cost. */
export interface KindCost {
  /** What the host does with the frame. */
  kind: string;
  /** Wall time per frame, µs (median of the rounds). */
  us: number;
}

/**
 * Replays each kind of the mix alone, then the mix itself, and reports the wall time per frame.
 * @returns one entry per kind, in the mix's order, then `the mix` for the nine in turn
 */
export function measureMixKinds(): KindCost[] {
  const json = JSON.parse(Deno.readTextFileSync(MIX_SCENARIO_PATH));
  const captures = MIX.map((m) => {
    const frame = buildFrame(m.spec);
    return { kind: m.kind, records: capture(() => frame) };
  });
  const mixFrames = MIX.map((m) => buildFrame(m.spec));
  captures.push({
    kind: "the mix (the nine in turn)",
    records: capture((i) => mixFrames[i % mixFrames.length]),
  });
  const times: number[][] = captures.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    captures.forEach((c, k) => {
      const scenario = loadScenario(json);
      const t0 = performance.now();
      replayStream(scenario, c.records, () => {});
      times[k].push((performance.now() - t0) * 1000 / KIND_FRAMES);
    });
  }
  return captures.map((c, k) => ({
    kind: c.kind,
    us: times[k].sort((a, b) => a - b)[ROUNDS >> 1],
  }));
}

// KIND_FRAMES records 2 µs apart, as the scale cases' captures.
function capture(frame: (i: number) => Uint8Array): PcapRecord[] {
  return pcapRecords(Array.from({ length: KIND_FRAMES }, (_, i) => frame(i)), 2_000n);
}
