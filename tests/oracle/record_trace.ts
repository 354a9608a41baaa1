// Records the tracepoint events the machine's own kernel emits for every replay case
// (trace_oracle.py, as root): tests/golden/linux-6.18/trace/NAME.txt, a `# frame N` line then the
// frame's events as trace_pipe prints them. The scenarios and pcaps are the replay cases'
// (tests/golden/linux-6.18/replay/). Run on a Linux 6.18 machine:
//   deno run -A tests/oracle/record_trace.ts [NAME...]
const replayDir = new URL("../golden/linux-6.18/replay/", import.meta.url).pathname;
const dir = new URL("../golden/linux-6.18/trace/", import.meta.url).pathname;
const oracle = new URL("./trace_oracle.py", import.meta.url).pathname;
Deno.mkdirSync(dir, { recursive: true });
const names = Deno.args.length ? Deno.args : [...Deno.readDirSync(replayDir)]
  .filter((e) => e.name.endsWith(".pcap")).map((e) => e.name.slice(0, -5)).sort();
for (const name of names) {
  const out = new Deno.Command("python3", {
    args: [oracle, `${replayDir}${name}.json`, `${replayDir}${name}.pcap`],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!out.success) throw new Error(`${name}: ${new TextDecoder().decode(out.stderr)}`);
  Deno.writeTextFileSync(`${dir}${name}.txt`, new TextDecoder().decode(out.stdout));
  console.log(`${name}: ${new TextDecoder().decode(out.stdout).split("\n").length} lines`);
}
const release = new TextDecoder().decode(
  new Deno.Command("uname", { args: ["-r"], stdout: "piped" }).outputSync().stdout,
).trim();
Deno.writeTextFileSync(`${dir}KERNEL`, `${release}\n`);
