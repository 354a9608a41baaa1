// A SYN sent again to a request sock, on the case Linux 6.18 answered in
// tests/golden/linux-6.18/replay/syn_retransmitted.jsonl: eight SYNs 400 ms apart.
import assert from "node:assert/strict";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import { runReplay } from "../../lib/scenario/replay.ts";
import { bytesSource, PcapReader } from "../../lib/wire/pcap.ts";

const CASE = new URL("../golden/linux-6.18/replay/syn_retransmitted", import.meta.url).pathname;

function replayCase() {
  const scenario = loadScenario(JSON.parse(Deno.readTextFileSync(`${CASE}.json`)));
  const records = new PcapReader(bytesSource(Deno.readFileSync(`${CASE}.pcap`))).records();
  return runReplay(scenario, records).host.host;
}

Deno.test("tcp_check_req: a retransmitted SYN within tcp_invalid_ratelimit of the last answer gets no SYN-ACK (TCPACKSkippedSynRecv)", () => {
  const host = replayCase();
  // the first SYN made the request; of the seven sent again, those 400 ms after an answered one
  // are skipped (tcp_oow_rate_limited(): 500 ms), the others answered (tcp_rtx_synack())
  assert.equal(host.mib.tcpExt.TCPACKSkippedSynRecv, 3);
  assert.equal(host.mib.tcpExt.TCPSynRetrans, 4);
  assert.equal(host.mib.tcpExt.TCPTimeouts, 0);
});

Deno.test("tcp_check_req: a SYN-ACK sent for a retransmitted SYN restarts the request's timer (mod_timer_pending)", () => {
  const host = replayCase();
  // the last answer went at 2.8 s: the timer, 1 s (reqsk_timeout() with no timeouts yet), fires
  // after 3.8 s on the wheel's bucket, not at the 1 s and 3 s of the first SYN's schedule
  host.sim.run(3_799_000_000);
  assert.equal(host.mib.tcpExt.TCPTimeouts, 0);
  host.sim.run(3_900_000_000);
  assert.equal(host.mib.tcpExt.TCPTimeouts, 1);
  assert.equal(host.mib.tcpExt.TCPSynRetrans, 5);
});
