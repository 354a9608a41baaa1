// Records which qdiscs a device gets as it opens under each net.core.default_qdisc: the write's
// outcome, then `tc qdisc show` of a single-queue TUN device (t0), a multiqueue one (t1: mq,
// its one queue in use), and t1 once `tc` replaces its root with mq (mq_init() makes the
// children). default_qdisc is machine-wide: it is put back after. Run as root:
//   deno run -A tests/oracle/record_default_qdisc.ts
// fq_codel is left out: this machine's kernel is built without it (CONFIG_NET_SCH_FQ_CODEL).
import { DEFAULT_QDISC_VALUES } from "./tc_cases.ts";

const NS = "rxdq";
const dec = new TextDecoder();
const sh = (args: string[], check = true) => {
  const out = new Deno.Command(args[0], { args: args.slice(1) }).outputSync();
  if (check && !out.success) throw new Error(`${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
};
const inNs = (args: string[]) => sh(["ip", "netns", "exec", NS, ...args]).stdout;
const saved = sh(["sysctl", "-n", "net.core.default_qdisc"]).stdout.trim();
const steps = [];
try {
  for (const value of DEFAULT_QDISC_VALUES) {
    const write = sh(["sysctl", "-w", `net.core.default_qdisc=${value}`], false);
    sh(["ip", "netns", "del", NS], false);
    sh(["ip", "netns", "add", NS]);
    inNs(["ip", "tuntap", "add", "dev", "t0", "mode", "tun"]);
    inNs(["ip", "tuntap", "add", "dev", "t1", "mode", "tun", "multi_queue"]);
    inNs(["ip", "link", "set", "t0", "up"]);
    inNs(["ip", "link", "set", "t1", "up"]);
    const t0 = inNs(["tc", "qdisc", "show", "dev", "t0"]);
    const t1 = inNs(["tc", "qdisc", "show", "dev", "t1"]);
    const mq = sh([
      "ip",
      "netns",
      "exec",
      NS,
      "tc",
      "qdisc",
      "replace",
      "dev",
      "t1",
      "root",
      "handle",
      "1:",
      "mq",
    ], false);
    const t1mq = inNs(["tc", "qdisc", "show", "dev", "t1"]);
    steps.push({
      value,
      write: write.ok ? "ok" : write.stderr.trim(),
      t0,
      t1,
      mq: mq.ok ? "ok" : mq.stderr.trim(),
      t1mq,
    });
    sh(["ip", "netns", "del", NS]);
  }
} finally {
  sh(["sysctl", "-qw", `net.core.default_qdisc=${saved}`]);
  sh(["ip", "netns", "del", NS], false);
}
const file = new URL("../golden/linux-6.18/default_qdisc.json", import.meta.url).pathname;
Deno.writeTextFileSync(file, JSON.stringify(steps, null, 1) + "\n");
console.log(JSON.stringify(steps, null, 1));
