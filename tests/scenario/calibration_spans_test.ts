// The kit's time against Linux 6.18's: each calibration workload (lib/scenario/calibrate.ts) is
// run on the kit's host built from CALIBRATION_SCENARIO, with the same frames and the same
// events enabled (each costing what a tracepoint costs), and each kind of frame's time between
// the workload's bounding events must be within ±30% of the kernel's (interquartile means of
// tests/golden/linux-6.18/calibrate/traces.json). Kinds are told apart by the source address
// the input route's lookup shows. Spans under a microsecond are not compared: the events' own
// cost, which each event type splits differently around its timestamp, is most of them.
import assert from "node:assert/strict";
import {
  CALIBRATION_SCENARIO,
  calibrationWorkloads,
  type EventMatch,
  interquartileMean,
  parseTraceText,
  type TimedEvent,
} from "../../lib/scenario/calibrate.ts";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import type { ScenarioHost } from "../../lib/scenario/replay.ts";
import { traceEvents } from "../../lib/scenario/trace.ts";
import { tracepointBody } from "../../lib/sim/tracepoints.ts";
import { Task, type TaskBody } from "../../lib/sim/cpu.ts";
import { udpRecvmsg } from "../../lib/ipv4/udp.ts";
import { pcapRecords } from "../../lib/wire/pcap.ts";

const dir = new URL("../golden/linux-6.18/calibrate/", import.meta.url).pathname;
const recorded = JSON.parse(Deno.readTextFileSync(`${dir}traces.json`));
const FRAMES = 60;

const RX: EventMatch = { event: "netif_receive_skb" };
const POLL: EventMatch = { event: "napi_poll" };
const FIB: EventMatch = { event: "fib_table_lookup", body: / iif 2 / };
// Each workload's whole-frame span.
const SPANS: Record<string, [EventMatch, EventMatch]> = {
  xmit: [{ event: "net_dev_queue", body: /dev=w0 / }, RX],
  plain: [RX, POLL],
  traced: [RX, POLL],
  core: [RX, { event: "kfree_skb" }],
  deliver: [RX, POLL],
  rpf: [FIB, { event: "fib_table_lookup", body: / iif 1 / }],
  nft: [FIB, { event: "kfree_skb" }],
  forward: [FIB, { event: "net_dev_queue", body: /dev=eth1 / }],
};

// Each span's time, by the source (10.1.0.N) of the frame, as any event in it shows.
function spansByKind(events: TimedEvent[], [from, to]: [EventMatch, EventMatch]) {
  const out = new Map<string, number[]>();
  const is = (e: TimedEvent, m: EventMatch) =>
    e.event === m.event && (!m.body || m.body.test(e.body));
  let start = -1, kind = "-";
  for (const e of events) {
    if (is(e, from)) [start, kind] = [e.t, "-"];
    if (start < 0) continue;
    kind = / 10\.1\.0\.(\d+)\/0 -> /.exec(e.body)?.[1] ?? kind;
    if (is(e, to) && e.t > start) {
      out.set(kind, [...out.get(kind) ?? [], e.t - start]);
      start = -1;
    }
  }
  return out;
}

// A task blocked in recvfrom() on socket 0, as the calibration host's reader thread.
function reader(sh: ScenarioHost) {
  const sk = sh.sockets[0];
  const task = new Task("reader", body());
  function* body(): TaskBody {
    for (;;) {
      if (!udpRecvmsg(sh.host, sk)) {
        sk.waiters.push(task);
        yield { op: "sleep" };
      }
    }
  }
  sh.host.sim.cpus[0].addTask(task);
}

for (const w of calibrationWorkloads()) {
  Deno.test(`calibration ${w.name}: the kit's time for each kind of frame is within ±30% of Linux 6.18's`, () => {
    const names = w.events.map((e) => e.split("/")[1]);
    const span = SPANS[w.name.replace(/\d+$/, "")];
    const kernel = spansByKind(parseTraceText(recorded.traces[w.name], recorded.tscHz), span);
    const scenario = loadScenario({
      ...CALIBRATION_SCENARIO,
      sysctl: { ...CALIBRATION_SCENARIO.sysctl, ...w.sysctl },
      filter: (w.dropDports ?? []).map((dport) => ({
        chain: "INPUT",
        proto: "udp",
        dport,
        target: "DROP",
      })),
    });
    const frames = Array.from({ length: FRAMES }, (_, i) => w.frames[i % w.frames.length]);
    const runs = traceEvents(scenario, pcapRecords(frames, 300_000n), {
      nic: "veth",
      events: names,
      onHost: reader,
    });
    const kit = spansByKind(
      runs.flatMap((run) =>
        run.events.map((e) => ({ event: e.event, t: e.t, body: tracepointBody(e) }))
      ),
      span,
    );
    assert.deepEqual([...kit.keys()].sort(), [...kernel.keys()].sort(), "kinds of frames");
    for (const [kind, samples] of kernel) {
      const k = interquartileMean(samples).mean;
      const m = interquartileMean(kit.get(kind)!).mean;
      if (k < 1000) continue;
      assert.ok(
        Math.abs(m - k) <= 0.3 * k,
        `frames from 10.1.0.${kind}: kit ${Math.round(m)} ns, kernel ${Math.round(k)} ns`,
      );
    }
  });
}
