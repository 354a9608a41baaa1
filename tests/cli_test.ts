import assert from "node:assert/strict";
import { main } from "../lib/cli.ts";
import { buildFrame } from "../lib/wire/build.ts";
import { writePcap } from "../lib/wire/pcap.ts";

function run(args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  const code = main(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

Deno.test("rxpath decode prints each frame and names problems by byte offset", async () => {
  const good = buildFrame({
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    udp: { source: 1, dest: 53 },
  });
  const bad = buildFrame({
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", check: 1 },
    udp: { source: 1, dest: 53 },
  });
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    await Deno.writeFile(
      path,
      writePcap([good, bad].map((data) => ({ tsNs: 0n, data, origLen: data.length }))),
    );
    const { code, out } = run(["decode", path]);
    assert.equal(code, 0);
    assert.match(out[0], /^0: 60 bytes .* 10\.0\.0\.1 > 10\.0\.0\.2 ttl 64 len 28, UDP 1 > 53$/);
    assert.equal(out[2], "    ipv4 at byte 24: header checksum 0x0001 is wrong");
    const json = run(["decode", path, "--json"]).out.map((l) => JSON.parse(l));
    assert.equal(json[1].problems[0].offset, 24);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("rxpath decode of a broken pcap exits 2 with the byte offset", async () => {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, new Uint8Array(30));
    const { code, err } = run(["decode", path]);
    assert.equal(code, 2);
    assert.deepEqual(err, [
      "rxpath: Cannot read pcap magic at byte 0: found 0x00000000, not a classic pcap file",
    ]);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("rxpath boot prints the /proc views of a booted host", () => {
  const { code, out } = run(["boot", "--cpus", "1", "--hz", "1000"]);
  assert.equal(code, 0);
  assert.deepEqual(out.filter((l) => l.startsWith("==>")), [
    "==> /proc/net/ptype <==",
    "==> /proc/net/protocols <==",
    "==> /proc/softirqs <==",
    "==> /proc/net/softnet_stat <==",
  ]);
});

Deno.test("rxpath rejects unknown commands and options and bad values with exit 2", () => {
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /"frobnicate": unknown command/],
    [["boot", "--cpu", "2"], /unknown option --cpu$/],
    [["boot", "--cpus", "two"], /--cpus: "two" is not a whole number/],
    [["boot", "--hz", "200"], /HZ 200/],
  ];
  for (const [args, message] of cases) {
    const { code, err } = run(args);
    assert.equal(code, 2);
    assert.match(err[0], message);
  }
});
