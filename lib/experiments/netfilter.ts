// Chapter 8's rule walk: how much softirq time a packet costs as more non-matching rules stand
// before the one that accepts it — ipt_do_table() tests them one by one.

import { loadScenario } from "../scenario/scenario.ts";
import { scenarioHost } from "../scenario/replay.ts";

/**
 * Replays the same frame `packets` times into a host from `scenario` whose INPUT chain has n
 * non-matching UDP rules and then the scenario's own rules, for each n, and reports the
 * softirq time per packet on CPU 0.
 * @param scenario a scenario (the format of ../shared/scenario-format.md) whose rules accept the frame
 * @param frame the frame to send
 * @param ruleCounts the numbers of rules to put first
 * @param packets frames per point, 20 µs apart
 * @returns one row per count
 * @example
 * ```ts
 * import { buildFrame, ruleWalkCost } from "@rxpath/rxpath";
 * const scenario = {
 *   ingress: "eth0",
 *   interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }],
 *   filter: [{ chain: "INPUT", proto: "udp", dport: 53, target: "ACCEPT" }],
 *   sockets: [{ proto: "udp", local: "0.0.0.0:53" }],
 * };
 * const frame = buildFrame({ ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" }, udp: { source: 4000, dest: 53 } });
 * console.log(ruleWalkCost(scenario, frame, [0, 100], 100).map((r) => r.rules)); // [0, 100]
 * ```
 */
export function ruleWalkCost(
  scenario: Record<string, unknown>,
  frame: Uint8Array,
  ruleCounts: number[],
  packets = 2000,
): { rules: number; nsPerPacket: number }[] {
  const own = (scenario.filter ?? []) as Record<string, unknown>[];
  return ruleCounts.map((n) => {
    const filter = [
      ...Array.from(
        { length: n },
        (_, i) => ({ chain: "INPUT", proto: "udp", dport: 10000 + i, target: "DROP" }),
      ),
      ...own,
    ];
    const s = scenarioHost(loadScenario({ ...scenario, filter, policies: {} }));
    for (let i = 0; i < packets; i++) s.host.sim.at(i * 20_000, () => s.inject(frame));
    s.host.sim.run(packets * 20_000 + 1_000_000);
    return { rules: n, nsPerPacket: s.host.sim.cpus[0].time.softirq / packets };
  });
}
