import assert from "node:assert/strict";
import { Tracer } from "../../lib/sim/trace.ts";

function sample(): Tracer {
  const t = new Tracer();
  t.enter(1000, 0, "softirq", "net_rx_action");
  t.enter(1200, 0, "softirq", "napi_poll");
  t.enter(1300, 0, "softirq", "napi_gro_receive", 7);
  t.exit(1800, 0, "softirq", "napi_gro_receive", 7);
  t.exit(2500, 0, "softirq", "napi_poll");
  t.exit(3000, 0, "softirq", "net_rx_action");
  return t;
}

Deno.test("Tracer.functionGraph() prints calls with children as braces and leaves with ;", () => {
  assert.equal(
    sample().functionGraph(),
    [
      "#      TIME    |  CPU  CONTEXT  DURATION      |  FUNCTION CALLS",
      "#       |      |   |   |          |   |       |   |   |   |   |",
      "   0.000001000 |   0)  softirq                |  net_rx_action() {",
      "   0.000001200 |   0)  softirq                |    napi_poll() {",
      "   0.000001300 |   0)  softirq    0.500 us    |      napi_gro_receive();",
      "   0.000002500 |   0)  softirq    1.300 us    |    } /* napi_poll */",
      "   0.000003000 |   0)  softirq    2.000 us    |  } /* net_rx_action */",
    ].join("\n"),
  );
});

Deno.test("Tracer.functionGraph({ skb }) shows one packet's calls from their own depth", () => {
  const lines = sample().functionGraph({ skb: 7 }).split("\n").slice(2);
  assert.deepEqual(lines, ["   0.000001300 |   0)  softirq    0.500 us    |  napi_gro_receive();"]);
});

Deno.test("Tracer.functionGraph({ from }) leaves out what happened before", () => {
  const t = sample();
  t.enter(5000, 0, "hardirq", "handle_edge_irq");
  t.exit(6000, 0, "hardirq", "handle_edge_irq");
  assert.deepEqual(t.functionGraph({ from: 4000 }).split("\n").slice(2), [
    "   0.000005000 |   0)  hardirq    1.000 us    |  handle_edge_irq();",
  ]);
});

Deno.test("Tracer.exit() without an open call is a bug in the model", () => {
  assert.throws(() => new Tracer().exit(0, 0, "task", "ip_rcv"), /BUG: trace exit from ip_rcv/);
});

Deno.test("Tracer records nothing when disabled", () => {
  const t = new Tracer();
  t.enabled = false;
  t.enter(0, 0, "task", "x");
  assert.equal(t.records.length, 0);
});

Deno.test("Tracer.functionGraph(): a time window prints what a full scan would, records in order or not", () => {
  for (const inOrder of [true, false]) {
    const t = new Tracer();
    const times = inOrder ? [0, 10, 20, 30, 40, 50] : [0, 10, 5, 30, 40, 50];
    t.enter(times[0], 0, "softirq", "net_rx_action");
    t.enter(times[1], 0, "softirq", "napi_poll");
    t.exit(times[2], 0, "softirq", "napi_poll");
    t.enter(times[3], 0, "softirq", "ip_rcv");
    t.exit(times[4], 0, "softirq", "ip_rcv");
    t.exit(times[5], 0, "softirq", "net_rx_action");
    const window = t.functionGraph({ from: 10, to: 45 });
    const brute = new Tracer();
    for (const r of t.records.filter((r) => r.t >= 10 && r.t < 45)) brute.records.push(r);
    assert.equal(window, brute.functionGraph());
  }
});

Deno.test("Tracer.forgetBefore() drops what came before, and the graph after it is unchanged", () => {
  const t = new Tracer();
  t.enter(0, 0, "softirq", "net_rx_action");
  t.exit(500, 0, "softirq", "net_rx_action");
  t.tracepoint({
    t: 100,
    cpu: 0,
    ctx: "softirq",
    task: "<idle>",
    bhOff: false,
    irqsOff: false,
    preemptDepth: 1,
    event: "napi_poll",
    fields: {},
  });
  t.enter(1000, 0, "softirq", "net_rx_action");
  t.exit(1600, 0, "softirq", "net_rx_action");
  const later = t.functionGraph({ from: 1000 });
  t.forgetBefore(1000);
  assert.equal(t.records.length, 2);
  assert.equal(t.events.length, 0);
  assert.equal(t.functionGraph(), later);
});

Deno.test("perfScriptLine() prints a drop as perf script printed one on Linux 6.18: comm, pid, [cpu], seconds, skb:kfree_skb, the body with location as symbol+offset", async () => {
  const { perfScriptLine } = await import("../../lib/sim/tracepoints.ts");
  const recorded = Deno.readTextFileSync(
    new URL("../golden/linux-6.18/perf_script_kfree_skb.txt", import.meta.url),
  ).split("\n")[0];
  // the recorded drop: python3 (pid 17371) on CPU 0 sent a datagram to a port nobody bound
  const line = perfScriptLine({
    t: 75620_595417_000,
    cpu: 0,
    ctx: "softirq",
    task: "python3",
    bhOff: true,
    irqsOff: false,
    preemptDepth: 1,
    event: "kfree_skb",
    fields: {
      skbaddr: 1,
      rx_sk: 0,
      protocol: 2048,
      location: "__udp4_lib_rcv",
      reason: "NO_SOCKET",
    },
  }, 17371);
  // the skb's address and the call's offset are the machine's own
  const mask = (l: string) =>
    l.replace(/skbaddr=\S+/, "skbaddr=A").replace(/\+0x[0-9a-f]+ /, "+0xOFF ");
  assert.equal(mask(line), mask(recorded));
});
