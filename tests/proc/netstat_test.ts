import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { nstat, nstatCounters, procNetNetstat } from "../../lib/proc/snmp.ts";
import { runPacketdrill } from "../../lib/packetdrill/run.ts";

Deno.test("/proc/net/netstat has Linux 6.18's groups and field counts: TcpExt 135, IpExt 18, MPTcpExt 76", () => {
  const lines = procNetNetstat(createHost()).text.trim().split("\n");
  assert.deepEqual(
    lines.map((l) => `${l.split(" ")[0]}${l.split(" ").length - 1}`),
    ["TcpExt:135", "TcpExt:135", "IpExt:18", "IpExt:18", "MPTcpExt:76", "MPTcpExt:76"],
  );
  assert.match(lines[0], /^TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts/);
});

Deno.test("nstat prints what changed, in iproute2's columns: a hole counted in TcpExtTCPOFOQueue", () => {
  const before = nstatCounters(createHost());
  const r = runPacketdrill(
    Deno.readTextFileSync(
      new URL("../oracle/packetdrill/rxpath/two-holes-sack.pkt", import.meta.url),
    ),
    "two-holes-sack.pkt",
  );
  const text = nstat(before, nstatCounters(r.host)).text;
  assert.equal(text.split("\n")[0], "#kernel");
  assert.ok(text.includes("TcpExtTCPOFOQueue               2                  0.0\n"), text);
  assert.ok(text.includes("TcpPassiveOpens                 1                  0.0\n"), text);
  assert.ok(!text.includes("TcpExtDelayedACKs"), "an unchanged counter is not printed");
});
