// Records the cold sweep (root): one UDP delivery sent ever further apart, 0.3 to 400 ms, on the
// machine's own kernel — how much longer a frame takes on a CPU that idled first
// (tests/golden/linux-6.18/calibrate/cold.json). Run on a Linux 6.18 machine, nothing else busy:
//   deno run -A tests/oracle/record_cold_sweep.ts
import { coldSweepWorkloads, recordCalibration } from "../../lib/scenario/calibrate.ts";

const path = new URL("../golden/linux-6.18/calibrate/cold.json", import.meta.url).pathname;
const traces = recordCalibration(100, coldSweepWorkloads());
Deno.writeTextFileSync(path, JSON.stringify(traces) + "\n");
new Deno.Command("deno", { args: ["fmt", path] }).outputSync();
