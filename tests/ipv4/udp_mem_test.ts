// net.ipv4.udp_mem and udp_rmem_min against Linux 6.18 (tests/golden/linux-6.18/udp_mem.json,
// recorded by tests/oracle/udp_mem_oracle.py): a socket is sent datagrams one by one over a veth,
// and in one case read between bursts. After each datagram sent or read, its rx_queue and drops
// (/proc/net/udp) and the UDP pages the host has charged (sockstat's "UDP: mem") must be what
// the kernel's were; at the end the Udp counters that moved and the drop reasons.
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { Veth } from "../../lib/drivers/veth.ts";
import { inetAddAddr } from "../../lib/ipv4/devinet.ts";
import { udpClose, udpRecvmsg, udpRqueueGet, udpSocket } from "../../lib/ipv4/udp.ts";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import { scenarioHost } from "../../lib/scenario/replay.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { inAton } from "../../lib/wire/ipv4.ts";

interface Case {
  udp_mem: [number, number, number];
  udp_rmem_min: number;
  payload: number;
  script: ["send" | "read", number][];
  steps: [number, number, number][];
  snmp: Record<string, number>;
  reasons: Record<string, number>;
}
const recorded: Record<string, Case> = JSON.parse(
  Deno.readTextFileSync(new URL("../golden/linux-6.18/udp_mem.json", import.meta.url)),
);

function udpHost(c: { udp_mem: [number, number, number]; udp_rmem_min: number }) {
  const host = createHost({
    sysctl: { "net.ipv4.udp_rmem_min": c.udp_rmem_min, "net.ipv4.udp_mem": c.udp_mem.join(" ") },
  });
  const veth = new Veth(host, "eth0", "02:00:00:00:00:02");
  veth.dev.groEnabled = false; // a veth's default, as in the recording (ethtool -K eth0 gro off)
  inetAddAddr(host, veth.dev, inAton("10.1.0.2"), 24);
  const udp = host.protoList.find((p) => p.name === "UDP")!;
  // SO_RCVBUFFORCE of 8 MiB in the recording: the buffer never limits
  const sk = udpSocket(host, { addr: inAton("10.1.0.2"), port: 9000, rcvbuf: 4 << 20 });
  const send = (payload: number) => {
    const frame = buildFrame({
      eth: { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" },
      ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
      udp: { source: 40000, dest: 9000 },
      payload,
    });
    host.sim.at(host.sim.now + 1000, () => veth.xmit(host.sim.cpus[0], [frame]));
    host.sim.run(host.sim.now + 100_000);
  };
  return { host, sk, udp, send };
}

for (const [name, c] of Object.entries(recorded)) {
  Deno.test(`udp_mem ${c.udp_mem.join(" ")}, udp_rmem_min ${c.udp_rmem_min} (${name}): datagrams queue until the charged pages pass the limit, then drop PROTO_MEM with no Udp counter; read pages return through the CPU's reserve`, () => {
    const { host, sk, udp, send } = udpHost(c);
    const steps: [number, number, number][] = [];
    const drops: Record<string, number> = {};
    for (const [action, count] of c.script) {
      for (let i = 0; i < count; i++) {
        if (action === "send") send(c.payload);
        else if (!udpRecvmsg(host, sk)) break;
        steps.push([udpRqueueGet(sk), sk.drops, udp.memoryAllocated ?? 0]);
      }
    }
    for (const e of host.sim.ledger.fates) {
      if (e.kind === "dropped") {
        const key = `${e.where} ${e.reason}`;
        drops[key] = (drops[key] ?? 0) + 1;
      }
    }
    const firstDrop = c.steps.findIndex((s) => s[1] > 0);
    assert.deepEqual(steps[firstDrop], c.steps[firstDrop], `the first drop, datagram ${firstDrop}`);
    assert.deepEqual(steps, c.steps);
    assert.deepEqual(drops, c.reasons);
    const moved = Object.entries(host.mib.udp).filter(([, v]) => v !== 0);
    assert.deepEqual(Object.fromEntries(moved), c.snmp);
  });
}

Deno.test("udp_mem: the pages a reader frees go back — after reading everything and closing, the count is where it began", () => {
  const { sk, udp, send, host } = udpHost({ udp_mem: [0, 0, 0], udp_rmem_min: 4096 });
  for (let i = 0; i < 1300; i++) send(100);
  assert.equal(udp.memoryAllocated, 256);
  assert.ok(sk.drops > 0);
  while (udpRecvmsg(host, sk)) { /* drain */ }
  assert.equal(sk.rmemAlloc, 0);
  udpClose(host, sk);
  assert.equal((udp.memoryAllocated ?? 0) + (udp.perCpuFwAlloc[0] ?? 0), 0);
});

Deno.test("writing net.ipv4.udp_mem: the values given set in order, a fourth ignored, a bad one EINVAL after those before it, as on Linux 6.18", () => {
  const golden: {
    start: string;
    writes: { write: string; error: string | null; reads: string }[];
  } = JSON.parse(
    Deno.readTextFileSync(
      new URL("../golden/linux-6.18/udp_mem_writes.json", import.meta.url),
    ),
  );
  const host = createHost();
  for (const w of golden.writes) {
    host.setSysctl("net.ipv4.udp_mem", golden.start);
    let error: string | null = null;
    try {
      host.setSysctl("net.ipv4.udp_mem", w.write);
    } catch (e) {
      error = /Invalid argument/.test(String(e)) ? "Invalid argument" : String(e);
    }
    assert.deepEqual({ write: w.write, error, reads: host.ipv4.udpMem.join(" ") }, w);
  }
  assert.deepEqual(host.protoList.find((p) => p.name === "UDP")!.sysctlMem, host.ipv4.udpMem);
  assert.throws(() => host.setSysctl("net.ipv4.udp_mem", 5), /takes a name|text/);
});

Deno.test("a scenario's net.ipv4.udp_mem is page counts as text; a number or a bad count is an error naming it", () => {
  const base = {
    ingress: "eth0",
    interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }],
  };
  const ok = scenarioHost(loadScenario({ ...base, sysctl: { "net.ipv4.udp_mem": "100 150 200" } }));
  assert.deepEqual(ok.host.ipv4.udpMem, [100, 150, 200]);
  assert.throws(
    () => loadScenario({ ...base, sysctl: { "net.ipv4.udp_mem": 100 } }),
    /sysctl "net.ipv4.udp_mem"/,
  );
  assert.throws(
    () => scenarioHost(loadScenario({ ...base, sysctl: { "net.ipv4.udp_mem": "1 x" } })),
    /sysctl "net.ipv4.udp_mem".*Invalid argument/,
  );
});
