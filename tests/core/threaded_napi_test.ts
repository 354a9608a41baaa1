// Threaded NAPI against Linux 6.18 (tests/golden/linux-6.18/threaded_napi.json, recorded by
// tests/oracle/threaded_napi_oracle.py): a sender on CPU 0 sends bursts of UDP datagrams over a
// veth whose receiving end polls with NAPI (GRO on). With /sys/class/net/eth0/threaded 0 each
// poll runs in the NET_RX softirq the sender's local_bh_enable() runs; with 1 every poll runs in
// the kthread napi/eth0-ID, never in NET_RX, on the CPU that idles. Which datagrams one threaded
// poll takes depends on timing, so that case is held to its totals and contexts.
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { Veth } from "../../lib/drivers/veth.ts";
import { devSetThreaded } from "../../lib/core/dev.ts";
import { inetAddAddr } from "../../lib/ipv4/devinet.ts";
import { udpSocket } from "../../lib/ipv4/udp.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { inAton } from "../../lib/wire/ipv4.ts";

type Poll = [string, number, number, number, boolean];
interface Run {
  bursts: number[];
  polls: Poll[];
  threads: string[];
}
const recorded: {
  off: Run;
  on: Run;
  writes: { write: string; error: string | null; reads: string; threads: number }[];
} = JSON.parse(
  Deno.readTextFileSync(new URL("../golden/linux-6.18/threaded_napi.json", import.meta.url)),
);

function veth() {
  const host = createHost({ cpus: 2, trace: true });
  const v = new Veth(host, "eth0", "02:00:00:00:00:02");
  v.dev.groEnabled = true; // ethtool -K eth0 gro on: veth polls with NAPI
  inetAddAddr(host, v.dev, inAton("10.1.0.2"), 24);
  udpSocket(host, { addr: inAton("10.1.0.2"), port: 9000, rcvbuf: 4 << 20 });
  return { host, v };
}

// The bursts as the sender sent them: one sendto() per datagram, 50 ms between bursts.
function polls(threaded: number, bursts: number[]): { polls: Poll[]; threads: string[] } {
  const { host, v } = veth();
  devSetThreaded(host, v.dev, threaded);
  const frame = buildFrame({
    eth: { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" },
    ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
    udp: { source: 40000, dest: 9000 },
    payload: 100,
  });
  let t = 1_000_000;
  for (const burst of bursts) {
    for (let i = 0; i < burst; i++) {
      host.sim.at(t, () => v.xmit(host.sim.cpus[0], [frame]));
      t += 20_000;
    }
    t += 50_000_000;
  }
  host.sim.run(t);
  const out: Poll[] = [];
  const netRx = new Map<number, string>();
  for (const e of host.sim.trace.events) {
    if (e.event === "softirq_entry" && e.fields.vec === 3) netRx.set(e.cpu, e.task);
    if (e.event !== "napi_poll" || e.fields.dev_name !== "eth0") continue;
    const task = /^napi\/eth0-\d+$/.test(e.task)
      ? "napi/eth0-<id>"
      : e.task.startsWith("ksoftirqd/")
      ? "ksoftirqd"
      : "sender";
    const inNetRx = netRx.get(e.cpu) === e.task && e.ctx === "softirq";
    netRx.delete(e.cpu);
    out.push([task, e.cpu, Number(e.fields.work), Number(e.fields.budget), inNetRx]);
  }
  const threads = v.dev.napiList.flatMap((n) => n.thread ? [n.thread.name] : [])
    .map((name) => name.replace(/-\d+$/, "-<id>"));
  return { polls: out, threads };
}

Deno.test("threaded 0: every NAPI poll runs in NET_RX, in the sender's local_bh_enable(), one datagram each, as on Linux 6.18", () => {
  const got = polls(0, recorded.off.bursts);
  assert.deepEqual(got.polls, recorded.off.polls);
  assert.deepEqual(got.threads, recorded.off.threads);
});

Deno.test("threaded 1: every NAPI poll runs in the kthread napi/eth0-ID, never in NET_RX, first on the idle CPU, all datagrams taken, as on Linux 6.18", () => {
  const got = polls(1, recorded.on.bursts);
  assert.deepEqual(got.threads, recorded.on.threads);
  const kinds = (
    ps: Poll[],
  ) => [...new Set(ps.map(([task, , , budget, netRx]) => `${task} ${budget} ${netRx}`))];
  assert.deepEqual(kinds(got.polls), kinds(recorded.on.polls));
  const total = (ps: Poll[]) => ps.reduce((n, p) => n + p[2], 0);
  assert.equal(total(got.polls), total(recorded.on.polls));
  assert.equal(got.polls[0][1], recorded.on.polls[0][1], "the first poll's CPU");
});

Deno.test("writing /sys/class/net/DEV/threaded: 0 and 1 take, with a kthread while 1; 2 and 3 are EOPNOTSUPP, text is EINVAL, as on Linux 6.18", () => {
  const { host, v } = veth();
  const threads = () => v.dev.napiList.filter((n) => n.thread).length;
  for (const want of recorded.writes) {
    const value = want.write;
    const n = Number(value);
    let error: string | null = null;
    try {
      devSetThreaded(host, v.dev, value === "x" ? NaN : n);
    } catch (e) {
      error = /Operation not supported/.test(String(e))
        ? "Operation not supported"
        : /Invalid argument/.test(String(e))
        ? "Invalid argument"
        : String(e);
    }
    assert.equal(error, want.error, `writing ${value}`);
    assert.equal(v.dev.threaded ? "1" : "0", want.reads, `reading after ${value}`);
    assert.equal(threads(), want.threads, `threads after ${value}`);
  }
});
