// Records a calibration run of the machine's own kernel (root): the traces of every workload
// rxpath calibrate sends (tests/golden/linux-6.18/calibrate/traces.json, with the TSC's rate)
// and the profile measured from them (profile.json), the provenance of the kit's default costs
// (lib/sim/cost.ts). Run on a Linux 6.18 machine:
//   deno run -A tests/oracle/record_calibration.ts [FRAMES]
import { calibrationProfile, recordCalibration } from "../../lib/scenario/calibrate.ts";

const dir = new URL("../golden/linux-6.18/calibrate/", import.meta.url).pathname;
Deno.mkdirSync(dir, { recursive: true });
const count = Number(Deno.args[0] ?? 300);
const traces = recordCalibration(count);
const profile = calibrationProfile(traces, count);
Deno.writeTextFileSync(`${dir}traces.json`, JSON.stringify(traces) + "\n");
Deno.writeTextFileSync(`${dir}profile.json`, JSON.stringify(profile, null, 2) + "\n");
for (const [step, c] of Object.entries(profile.costs)) console.log(step, Math.round(c!.ns));
