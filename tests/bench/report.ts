// Prints simulated packets per wall-clock second for the flood, and the ratio to the bare loop
// measured in the same run, so the figure means something on a noisy machine.
import { bareLoop, FLOOD_PACKETS, simulateFlood } from "./flood.ts";

function medianMs(fn: () => unknown, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

simulateFlood(); // warm up the JIT
const sim = medianMs(simulateFlood, 7);
const bare = medianMs(bareLoop, 101);
const pps = (ms: number) => Math.round(FLOOD_PACKETS / (ms / 1000));
console.log(
  `UDP flood through NIC, NAPI and IPv4 input, 1 CPU: ${FLOOD_PACKETS} packets in ${
    sim.toFixed(1)
  } ms (median of 7)`,
);
console.log(`  simulated packets per wall-clock second: ${pps(sim).toLocaleString("en")}`);
console.log(
  `  bare loop over the same frames:          ${pps(bare).toLocaleString("en")} per second`,
);
console.log(`  ratio: the simulation is ${(sim / bare).toFixed(0)}x the bare loop's time`);
