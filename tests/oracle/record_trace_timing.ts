// Records how long Linux 6.18 takes for each frame of every trace case, over several runs of
// trace_oracle.py (as root): the time from the ingress netif_receive_skb to the frame's last
// napi_poll, µs, per run (null where a run shows neither). The frames go one at a time, 0.4 s
// or more apart, so each runs on a cold CPU: these are the times the cold-path criterion of
// issue 11 §3 compares against (tests/golden/linux-6.18/trace_timing.json).
//   deno run -A tests/oracle/record_trace_timing.ts [RUNS]
const golden = new URL("../golden/linux-6.18/", import.meta.url).pathname;
const oracle = new URL("./trace_oracle.py", import.meta.url).pathname;

/**
 * Each frame's time in one run's trace text.
 * @param text trace_oracle.py's output
 * @returns per frame, µs or null
 */
export function frameTimes(text: string): (number | null)[] {
  const frames: { event: string; t: number }[][] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("# frame ")) frames.push([]);
    else {
      const m = /\] \S+ +([\d.]+): (\w+): /.exec(line);
      if (m) frames.at(-1)?.push({ event: m[2], t: Number(m[1]) * 1e6 });
    }
  }
  return frames.map((f) => {
    const a = f.findIndex((e) => e.event === "netif_receive_skb");
    const b = f.findLastIndex((e) => e.event === "napi_poll");
    return a >= 0 && b > a ? Math.round(f[b].t - f[a].t) : null;
  });
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 5);
  const names = [...Deno.readDirSync(`${golden}replay`)].filter((e) => e.name.endsWith(".pcap"))
    .map((e) => e.name.slice(0, -5)).sort();
  const out: Record<string, (number | null)[][]> = {};
  for (let r = 0; r < runs; r++) {
    for (const name of names) {
      const res = new Deno.Command("python3", {
        args: [oracle, `${golden}replay/${name}.json`, `${golden}replay/${name}.pcap`],
        stdout: "piped",
        stderr: "piped",
      }).outputSync();
      if (!res.success) throw new Error(`${name}: ${new TextDecoder().decode(res.stderr)}`);
      frameTimes(new TextDecoder().decode(res.stdout)).forEach((t, i) => {
        ((out[name] ??= [])[i] ??= []).push(t);
      });
    }
  }
  const path = `${golden}trace_timing.json`;
  Deno.writeTextFileSync(path, JSON.stringify(out) + "\n");
  new Deno.Command("deno", { args: ["fmt", path] }).outputSync(); // the repository's JSON layout
}
