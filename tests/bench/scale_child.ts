// Runs one rxpath command with its output counted, not printed, then reports on stdout the wall
// time, the process's peak resident memory (VmHWM in /proc/self/status), the exit code and the
// error message as JSON.
import { main } from "../../lib/cli.ts";

let lines = 0;
let error = "";
const t0 = performance.now();
const code = main(Deno.args, () => lines++, (e) => error ||= e);
const ms = performance.now() - t0;
const hwm = Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+) kB/)![1];
console.log(JSON.stringify({
  ms: Math.round(ms),
  peakMB: Math.round(Number(hwm) / 1024),
  lines,
  code,
  error,
}));
