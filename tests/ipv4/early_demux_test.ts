// Early demux against Linux 6.18 (tests/golden/linux-6.18/tcp_early_demux.json, recorded by
// tests/oracle/tcp_early_demux_oracle.py): a client connects to a listener and sends three data
// segments; per segment, the input route lookups the host made (fib_table_lookup with iif eth0).
// With tcp_early_demux the established connection's segments take its cached route from the
// second data segment on; without it, every segment is routed. (UDP's is held to the trace
// recordings udp_early_demux and udp_early_demux_off.)
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { Veth } from "../../lib/drivers/veth.ts";
import { inetAddAddr } from "../../lib/ipv4/devinet.ts";
import { tcpListen } from "../../lib/ipv4/tcp_ipv4.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { decodeFrame } from "../../lib/wire/decode.ts";
import { inAton } from "../../lib/wire/ipv4.ts";

const recorded: { on: number[]; off: number[] } = JSON.parse(
  Deno.readTextFileSync(new URL("../golden/linux-6.18/tcp_early_demux.json", import.meta.url)),
);

function lookupsPerSegment(earlyDemux: number): number[] {
  const host = createHost({ trace: true, sysctl: { "net.ipv4.tcp_early_demux": earlyDemux } });
  const veth = new Veth(host, "eth0", "02:00:00:00:00:02");
  inetAddAddr(host, veth.dev, inAton("10.1.0.2"), 24);
  tcpListen(host, inAton("10.1.0.2"), 80, 8);
  let serverSeq = 0;
  host.devXmitTap = (_dev, frame) => {
    const tcp = decodeFrame(frame).tcp;
    if (tcp?.flags.includes("S") && tcp.flags.includes("A")) serverSeq = tcp.seq;
  };
  const segment = (seq: number, flags: string, payload = 0) =>
    buildFrame({
      eth: { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" },
      ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
      tcp: { source: 40000, dest: 80, seq, ackSeq: flags === "S" ? 0 : serverSeq + 1, flags },
      payload,
    });
  const counts: number[] = [];
  const cpu = host.sim.cpus[0];
  const sends: [string, number, number][] = [
    ["S", 1000, 0],
    ["A", 1001, 0],
    ["PA", 1001, 10],
    ["PA", 1011, 10],
    ["PA", 1021, 10],
  ];
  sends.forEach(([flags, seq, len], i) => {
    host.sim.at((i + 1) * 1_000_000, () => {
      const before = host.sim.trace.events.length;
      veth.xmit(cpu, [segment(seq, flags, len)]);
      host.sim.at(host.sim.now + 500_000, () => {
        counts.push(
          host.sim.trace.events.slice(before).filter((e) =>
            e.event === "fib_table_lookup" && e.fields.iif === veth.dev.ifindex &&
            e.fields.src === "10.1.0.7" && e.fields.dst === "10.1.0.2"
          ).length,
        );
      });
    });
  });
  host.sim.run(10_000_000);
  return counts;
}

Deno.test("tcp_early_demux: a connection's segments take its cached input route from the second data segment on, as on Linux 6.18", () => {
  assert.deepEqual(lookupsPerSegment(1), recorded.on.slice(0, 5));
});

Deno.test("tcp_early_demux 0: every segment is routed, as on Linux 6.18", () => {
  assert.deepEqual(lookupsPerSegment(0), recorded.off.slice(0, 5));
});
