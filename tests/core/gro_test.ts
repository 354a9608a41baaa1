// GRO against a real Linux 6.18 kernel: every case of tests/oracle/gro_cases.ts, named after the
// rule it exercises, must hand the stack exactly the skbs the kernel handed it
// (tests/golden/linux-6.18/gro, recorded by tests/oracle/record_gro.ts).
import assert from "node:assert/strict";
import { runGro } from "../../lib/experiments/gro.ts";
import { readPcap } from "../../lib/wire/pcap.ts";
import { GRO_CASES } from "../oracle/gro_cases.ts";
import { main } from "../../lib/cli.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { createHost } from "../../lib/init/main.ts";
import { Veth } from "../../lib/drivers/veth.ts";
import { VirtioNet } from "../../lib/drivers/virtio_net.ts";

const dir = new URL("../golden/linux-6.18/gro/", import.meta.url);
const real = (name: string) =>
  Deno.readTextFileSync(new URL(`${name}.jsonl`, dir)).trim().split("\n").map((l) => JSON.parse(l));

for (const [name, frames] of Object.entries(GRO_CASES)) {
  Deno.test(`GRO ${name.replace(/_/g, " ")}: the skbs handed up match Linux 6.18`, () => {
    assert.deepEqual(runGro(frames), real(name));
  });
}

Deno.test("GRO cases are the frames recorded with them", () => {
  for (const [name, frames] of Object.entries(GRO_CASES)) {
    const recorded = readPcap(Deno.readFileSync(new URL(`${name}.pcap`, dir))).records.map((r) =>
      r.data
    );
    assert.deepEqual(recorded, frames, name);
  }
});

Deno.test("GRO off (ethtool -K gro off) hands every frame up as it came", () => {
  const lines = runGro(GRO_CASES.data_same_size, { gro: false });
  assert.deepEqual(lines.map((l) => [l.frames, l.segs, l.gso_size]), [[[0], 1, 0], [[1], 1, 0], [
    [2],
    1,
    0,
  ], [[3], 1, 0]]);
});

Deno.test("GRO builds a real 64 KB-class packet: merged bytes, fixed IPv4 length and checksum", () => {
  const [first] = runGro(GRO_CASES.large_64k_limit);
  assert.equal(first.frames.length, 45);
  assert.equal(first.ip_len, 20 + 20 + 45 * 1448);
});

Deno.test("rxpath gro --json prints one line per skb handed up", () => {
  const out: string[] = [];
  assert.equal(
    main(["gro", new URL("data_smaller_middle.pcap", dir).pathname, "--json"], (l) => out.push(l)),
    0,
  );
  assert.deepEqual(out.map((l) => JSON.parse(l)), real("data_smaller_middle"));
  assert.equal(
    out[0],
    '{"frames": [0, 1], "ip_len": 190, "payload": 150, "segs": 2, "gso_size": 100}',
  );
  const err: string[] = [];
  assert.equal(main(["gro", "x.pcap", "--gro", "maybe"], () => {}, (l) => err.push(l)), 2);
  assert.match(err[0], /"maybe" is not on or off/);
});

Deno.test("gro_normal_one() hands skbs up in batches of gro_normal_batch (8), the rest at napi_complete_done", () => {
  const host = createHost({ cpus: 1, trace: true });
  const veth = new Veth(host, "veth1", "02:00:00:00:00:02");
  const frames = Array.from(
    { length: 20 },
    (_, i) =>
      buildFrame({
        ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
        udp: { source: i, dest: 9 },
        payload: 100,
      }),
  );
  host.sim.at(0, () => veth.xmit(host.sim.cpus[0], frames));
  host.sim.run(1_000_000);
  const batches = host.sim.trace.records.filter((r) =>
    r.kind === "entry" && r.fn === "netif_receive_skb_list_internal"
  );
  assert.equal(batches.length, 3); // 8, 8, then the last 4 when the poll completes
  assert.equal(host.softnetData[0].processed, 20);
});

Deno.test("ethtool -K DEV gro off on the NIC clears NETIF_F_GRO", () => {
  const nic = new VirtioNet(createHost());
  nic.setFeature("generic-receive-offload", false);
  assert.equal(nic.dev.groEnabled, false);
});
