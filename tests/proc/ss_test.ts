// ss -tmin against what ss(8) printed on Linux 6.18 after the same packetdrill scripts
// (tests/oracle/record_ss.ts).
import assert from "node:assert/strict";
import { runPacketdrill } from "../../lib/packetdrill/run.ts";
import { ssTcp } from "../../lib/proc/ss.ts";

const scripts = new URL("../oracle/ss/", import.meta.url).pathname;
const golden = new URL("../golden/linux-6.18/ss/", import.meta.url).pathname;

// What the kit leaves out (the congestion control's own block, pacing, app_limited, the busy
// time of sending), and the times since the last packet, which on the kernel include
// packetdrill's own delay before running ss
const UNMODELLED = /^(bbr:\(.*\)|app_limited|busy:.*|last(snd|rcv|ack):\d+)$/;
// Times a kernel run adds its own processing to: RTTs, the RTO, the rate derived from the RTT
const SLACK: Record<string, number> = { rtt: 2, minrtt: 2, rcv_rtt: 2, rto: 4, send: 0.05 };

function infoTokens(line: string): string[] {
  const words = line.trim().split(" ");
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === "pacing_rate") i++;
    else if (words[i] === "send") out.push(`send:${words[++i].replace("bps", "")}`);
    else if (!UNMODELLED.test(words[i])) out.push(words[i]);
  }
  return out;
}

function close(name: string, kit: string, kernel: string): boolean {
  if (kit === kernel) return true;
  const slack = SLACK[name];
  if (slack === undefined) return false;
  const a = kit.split("/").map(Number);
  const b = kernel.split("/").map(Number);
  return a.every((x, i) => Math.abs(x - b[i]) <= (slack < 1 ? slack * b[i] : slack));
}

Deno.test("ss -tmin shows a connection's queues, memory and TCP_INFO as ss does on Linux 6.18 — a timewait sock in FIN_WAIT2 with nothing more, TIME_WAIT not at all", async (t) => {
  for (const entry of Deno.readDirSync(scripts)) {
    if (!entry.name.endsWith(".pkt")) continue;
    await t.step(entry.name, () => {
      const r = runPacketdrill(Deno.readTextFileSync(scripts + entry.name), entry.name);
      assert.equal(r.error, null);
      const kit = ssTcp(r.host).text.trimEnd().split("\n");
      const kernel = Deno.readTextFileSync(golden + entry.name.replace(".pkt", ".txt"))
        .trimEnd().split("\n");
      assert.equal(kit.length, kernel.length);
      assert.deepEqual(kit[0].split(/\s+/), kernel[0].split(/\s+/));
      if (kernel.length === 1) return; // no socket ss's filter shows
      // the row: state, queues, the local port and the peer's address (packetdrill draws the
      // local address and the peer's port at random)
      const row = (l: string) => {
        const [state, recvQ, sendQ, local, peer] = l.split(/\s+/);
        return [state, recvQ, sendQ, local.split(":")[1], peer.split(":")[0]];
      };
      assert.deepEqual(row(kit[1]), row(kernel[1]));
      const a = infoTokens(kit[2] ?? ""); // a timewait sock's line is blank
      const b = infoTokens(kernel[2] ?? "");
      assert.deepEqual(a.map((w) => w.split(":")[0]), b.map((w) => w.split(":")[0]));
      const off = a.filter((w, i) => {
        const [name, value] = w.split(/:(.*)/);
        return !close(name, value, b[i].split(/:(.*)/)[1]);
      });
      assert.deepEqual(off, []);
    });
  }
});
