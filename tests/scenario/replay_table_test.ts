// The replay table of rxpath replay (without --json): any number of frames, rows kept compact.
import assert from "node:assert/strict";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import { ReplayTable, replayTable } from "../../lib/scenario/replay_table.ts";
import type { ReplayLine } from "../../lib/scenario/replay.ts";

const scenario = loadScenario({
  ingress: "eth0",
  interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }],
  sockets: [{ proto: "udp", local: "0.0.0.0:53" }],
});
const line = (frame: number): ReplayLine =>
  frame % 3
    ? { frame, fate: "delivered", socket: 0 }
    : { frame, fate: "dropped", reason: "NO_SOCKET", reply: "icmp port-unreachable" };

Deno.test("ReplayTable prints a million-frame replay (its widths were once a 1M-argument spread)", () => {
  const table = new ReplayTable(scenario);
  for (let i = 0; i < 1_000_000; i++) table.add(line(i));
  table.add({ summary: true, counters: snmpEmpty(), rules: [] });
  let rows = 0, last = "";
  for (const l of table.lines()) {
    if (/^\d/.test(l)) rows++, last = l;
  }
  assert.equal(rows, 1_000_000);
  assert.equal(last, "999999  dropped    NO_SOCKET                  icmp port-unreachable");
});

Deno.test("ReplayTable gives the same text as replayTable() over the same lines", () => {
  const lines = Array.from({ length: 12 }, (_, i) => line(i));
  const table = new ReplayTable(scenario);
  for (const l of lines) table.add(l);
  assert.equal([...table.lines()].join("\n"), replayTable(scenario, lines));
  assert.match(replayTable(scenario, lines), /^1 +delivered +socket 0 \(udp 0\.0\.0\.0:53\)$/m);
});

Deno.test("ReplayTable refuses a frame out of order, naming the one expected", () => {
  const table = new ReplayTable(scenario);
  table.add(line(0));
  assert.throws(() => table.add(line(2)), {
    name: "RangeError",
    message: "Cannot add frame 2 to the replay table: frame 1 comes next",
  });
});

function snmpEmpty() {
  return { Ip: {}, Icmp: {}, IcmpMsg: {}, Tcp: {}, Udp: {} };
}
