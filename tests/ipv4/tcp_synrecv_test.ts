// Segments to a request sock (SYN_RECV), on replay cases Linux 6.18 answered
// (tests/golden/linux-6.18/replay/) and the `netstat -s` it showed after each
// (tests/golden/linux-6.18/views/CASE/, replay_oracle.py with RXR_VIEWS).
import assert from "node:assert/strict";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import { runReplay } from "../../lib/scenario/replay.ts";
import { readPcap } from "../../lib/wire/pcap.ts";
import { netstatS } from "../../lib/proc/netstat.ts";

const golden = (path: string) => new URL(`../golden/linux-6.18/${path}`, import.meta.url);

function replayCase(name: string) {
  const scenario = loadScenario(JSON.parse(Deno.readTextFileSync(golden(`replay/${name}.json`))));
  const { records } = readPcap(Deno.readFileSync(golden(`replay/${name}.pcap`)));
  return runReplay(scenario, records).host.host;
}

Deno.test("tcp_check_req: a retransmitted SYN within tcp_invalid_ratelimit of the last answer gets no SYN-ACK: netstat -s as Linux's (TCPACKSkippedSynRecv 3)", () => {
  // eight SYNs 400 ms apart: the first makes the request, those after an answered one skipped
  const host = replayCase("syn_retransmitted");
  assert.equal(
    netstatS(host).text,
    Deno.readTextFileSync(golden("views/syn_retransmitted/netstat_s.txt")),
  );
});

Deno.test("tcp_check_req: an ACK out of the window (rate limited), a challenge ACK for a RST off rcv_nxt, embryonic resets: netstat -s as Linux's", () => {
  const host = replayCase("synrecv_window");
  assert.equal(
    netstatS(host).text,
    Deno.readTextFileSync(golden("views/synrecv_window/netstat_s.txt")),
  );
});

Deno.test("tcp_check_req: a SYN-ACK sent for a retransmitted SYN restarts the request's timer (mod_timer_pending)", () => {
  const host = replayCase("syn_retransmitted");
  // the last answer went at 2.8 s: the timer, 1 s (reqsk_timeout() with no timeouts yet), fires
  // after 3.8 s on the wheel's bucket, not at the 1 s and 3 s of the first SYN's schedule
  host.sim.run(3_799_000_000);
  assert.equal(host.mib.tcpExt.TCPTimeouts, 0);
  host.sim.run(3_900_000_000);
  assert.equal(host.mib.tcpExt.TCPTimeouts, 1);
  assert.equal(host.mib.tcpExt.TCPSynRetrans, 5);
});
