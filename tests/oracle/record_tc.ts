// Records what iproute2's tc prints on the machine's kernel for each step of TC_STEPS, on a veth
// in a scratch namespace: tests/golden/linux-6.18/tc_show.json. Run as root:
//   deno run -A tests/oracle/record_tc.ts
import { TC_STEPS } from "./tc_cases.ts";

const NS = "rxtc";
const run = (args: string[], check = true) => {
  const out = new Deno.Command("ip", { args: ["netns", "exec", NS, ...args] }).outputSync();
  if (check && !out.success) {
    throw new Error(`${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
};
new Deno.Command("ip", { args: ["netns", "del", NS] }).outputSync();
new Deno.Command("ip", { args: ["netns", "add", NS] }).outputSync();
try {
  // no IPv6 chatter: the counters move only for what the steps send (nothing)
  run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
  run(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
  run(["ip", "link", "add", "qa", "type", "veth", "peer", "name", "qb"]);
  run(["ip", "link", "set", "qa", "up"]);
  run(["ip", "link", "set", "qb", "up"]);
  const steps = TC_STEPS.map((cmd) => {
    if (cmd.length) run(cmd[0] === "link" ? ["ip", ...cmd] : ["tc", ...cmd]);
    return {
      cmd,
      show: run(["tc", "qdisc", "show", "dev", "qa"]),
      stats: run(["tc", "-s", "qdisc", "show", "dev", "qa"]),
    };
  });
  const file = new URL("../golden/linux-6.18/tc_show.json", import.meta.url).pathname;
  Deno.writeTextFileSync(file, JSON.stringify(steps, null, 1) + "\n");
  console.log(steps.map((s) => s.show).join(""));
} finally {
  new Deno.Command("ip", { args: ["netns", "del", NS] }).outputSync();
}
