// Every input answered: bad files, bad command lines, values Linux refuses and values the kit
// cannot hold are one clear error naming what and where, never a stack trace or a wrong answer;
// what Linux accepts, the kit accepts.
import assert from "node:assert/strict";
import { EXIT_BUG, EXIT_INPUT, main } from "../lib/cli.ts";
import { isInputError, quoteValue } from "../lib/base/errors.ts";
import { loadScenario } from "../lib/scenario/scenario.ts";
import { replay, scenarioHost } from "../lib/scenario/replay.ts";
import { buildFrame } from "../lib/wire/build.ts";
import { pcapRecords, readPcap, writePcap } from "../lib/wire/pcap.ts";
import { createHost } from "../lib/init/main.ts";
import { registerEtherdev } from "../lib/core/netdevice.ts";
import { inetAddAddr } from "../lib/ipv4/devinet.ts";
import { udpSocket } from "../lib/ipv4/udp.ts";
import { tcpListen } from "../lib/ipv4/tcp_ipv4.ts";
import { inAton } from "../lib/wire/ipv4.ts";
import { Sim } from "../lib/sim/sim.ts";
import { iptAppend } from "../lib/netfilter/ip_tables.ts";

function run(args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  const code = main(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

const eth0 = { name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 };
const base = { ingress: "eth0", interfaces: [eth0] };
const udp = (dest = 53) =>
  buildFrame({
    eth: { dst: "02:00:00:00:00:02" },
    ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
    udp: { source: 4000, dest },
  });

Deno.test("I/O: a directory, a missing file or /proc/self/mem is one line naming the path and the system's reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string[], RegExp][] = [
      [["decode", dir], new RegExp(`Cannot read pcap file ${dir}: it is a directory$`)],
      [["replay", dir, dir], new RegExp(`Cannot read scenario ${dir}: it is a directory$`)],
      [["decode", `${dir}/none.pcap`], /none\.pcap: No such file or directory \(os error 2\)$/],
      [["gro", "/proc/self/mem"], /\/proc\/self\/mem: Input\/output error \(os error 5\)$/],
    ];
    for (const [args, message] of cases) {
      const { code, err } = run(args);
      assert.equal(code, EXIT_INPUT, args.join(" "));
      assert.equal(err.length, 1);
      assert.match(err[0], message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decode reads a pcap as a stream: /dev/zero fails at byte 0 at once; a cut record fails after the frames before it", async () => {
  const zero = run(["decode", "/dev/zero"]);
  assert.equal(zero.code, EXIT_INPUT);
  assert.match(zero.err[0], /Cannot read pcap magic at byte 0: found 0x00000000/);
  const f = udp(5000);
  const whole = writePcap([0n, 1n, 2n].map((tsNs) => ({ tsNs, data: f, origLen: f.length })));
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    Deno.writeFileSync(path, whole.subarray(0, whole.length - 10));
    const cut = run(["decode", path]);
    assert.equal(cut.code, EXIT_INPUT);
    assert.deepEqual(cut.out.map((l) => l.split(":")[0]), ["0", "1"]);
    assert.match(
      cut.err[0],
      /record 2 data at byte 192: caplen 60 runs past the end of the file \(50 bytes left\)/,
    );
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("CLI: --help and -h print a command's usage and exit 0; no command prints usage and exits 2", () => {
  for (const cmd of ["decode", "boot", "rss", "trace", "gro", "replay"]) {
    for (const flag of ["--help", "-h"]) {
      const { code, out } = run([cmd, flag]);
      assert.equal(code, 0);
      assert.match(out[0], new RegExp(`^usage: rxpath ${cmd}`));
    }
  }
  const none = run([]);
  assert.equal(none.code, EXIT_INPUT);
  assert.match(none.err[0], /^usage: rxpath <command>/);
});

Deno.test("CLI: extra and repeated arguments are errors, not ignored", () => {
  const cases: [string[], RegExp][] = [
    [["decode", "a.pcap", "b.pcap"], /give FRAMES\.pcap, and "b\.pcap" is one too many/],
    [["boot", "extra"], /boot: it takes no arguments, and "extra" is one too many/],
    [["decode", "--json", "--json", "a.pcap"], /option --json given twice/],
    [["boot", "--cpus", "1", "--cpus", "2"], /option --cpus given twice/],
    [["replay", "only.json"], /give SCENARIO\.json and FRAMES\.pcap$/],
  ];
  for (const [args, message] of cases) {
    const { code, err } = run(args);
    assert.equal(code, EXIT_INPUT, args.join(" "));
    assert.match(err[0], message);
  }
});

Deno.test("CLI: a fault of the kit is reported as a bug with its stack, exit 70, not as bad input", () => {
  const err: string[] = [];
  const code = main(["boot"], () => {
    throw new TypeError("Cannot read properties of undefined");
  }, (l) => err.push(l));
  assert.equal(code, EXIT_BUG);
  assert.match(err[0], /internal error, a bug in rxpath/);
  assert.match(err[1], /TypeError: Cannot read properties of undefined\n\s+at /);
  assert.equal(isInputError(new TypeError("x")), false);
});

Deno.test("CLI: --json writes strings as they are, commas and all", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const scenario = {
      ingress: "e,1",
      interfaces: [{ ...eth0, name: "e,1" }],
      sockets: [{ proto: "udp", local: "0.0.0.0:53" }],
    };
    await Deno.writeTextFile(`${dir}/s.json`, JSON.stringify(scenario));
    await Deno.writeFile(`${dir}/f.pcap`, writePcap(pcapRecords([udp(9)], 0n)));
    const { code, out } = run(["replay", `${dir}/s.json`, `${dir}/f.pcap`, "--json"]);
    assert.equal(code, 0);
    assert.equal(
      out[0],
      '{"frame": 0, "fate": "dropped", "reason": "NO_SOCKET", "reply": "icmp port-unreachable"}',
    );
    const ifaces = {
      ...scenario,
      interfaces: [{ ...eth0, name: "e,1" }, {
        ...eth0,
        name: "x",
        mac: "02:00:00:00:00:03",
        addrs: ["10.2.0.2/24"],
      }],
      routes: [{ dst: "10.9.0.0/16", via: "10.2.0.1", dev: "x" }],
      sysctl: { "net.ipv4.ip_forward": 1 },
    };
    await Deno.writeTextFile(`${dir}/s.json`, JSON.stringify(ifaces));
    const fwd = buildFrame({
      eth: { dst: "02:00:00:00:00:02" },
      ipv4: { saddr: "10.1.0.7", daddr: "10.9.0.1" },
      udp: { source: 1, dest: 2 },
    });
    await Deno.writeFile(`${dir}/f.pcap`, writePcap(pcapRecords([fwd], 0n)));
    assert.equal(
      run(["replay", `${dir}/s.json`, `${dir}/f.pcap`, "--json"]).out[0],
      '{"frame": 0, "fate": "forwarded", "dev": "x"}',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a UTF-8 byte order mark before a scenario is accepted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/s.json`, "\uFEFF" + JSON.stringify(base));
    await Deno.writeFile(`${dir}/f.pcap`, writePcap(pcapRecords([udp()], 0n)));
    assert.equal(run(["replay", `${dir}/s.json`, `${dir}/f.pcap`, "--json"]).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("error messages quote a bad value in at most 80 characters", () => {
  const huge: [unknown, RegExp][] = [
    [{ ...base, routes: "x".repeat(1_000_000) }, /routes must be an array, found "x{70,}…$/],
    [{ ...base, interfaces: [{ ...eth0, mtu: new Array(8_000_000).fill(7) }] }, /mtu must be/],
  ];
  for (const [json, message] of huge) {
    assert.throws(() => loadScenario(json), (e: Error) => {
      assert.match(e.message, message);
      assert.ok(e.message.length < 200, `${e.message.length} characters`);
      return true;
    });
  }
  assert.equal(quoteValue(new Array(1000).fill(1)).length, 80);
});

Deno.test("scenario: what Linux refuses, the kit refuses, naming the field", () => {
  const bad: [unknown, RegExp][] = [
    [
      { ...base, ingress: "lo" },
      /ingress "lo": frames from a capture arrive on an Ethernet interface/,
    ],
    [
      { ...base, ingress: "", interfaces: [{ ...eth0, name: "" }] },
      /interfaces\[0\]\.name "" is not an interface name: it is empty/,
    ],
    [
      { ...base, ingress: "abcdefghijklmnop", interfaces: [{ ...eth0, name: "abcdefghijklmnop" }] },
      /is 16 bytes long, at most 15/,
    ],
    [{ ...base, ingress: "a/b", interfaces: [{ ...eth0, name: "a/b" }] }, /contains '\/'/],
    [{ ...base, ingress: "a:b", interfaces: [{ ...eth0, name: "a:b" }] }, /contains ':'/],
    [{ ...base, ingress: "a b", interfaces: [{ ...eth0, name: "a b" }] }, /contains white space/],
    [
      { ...base, interfaces: [{ ...eth0, mac: "01:00:5e:00:00:01" }] },
      /mac "01:00:5e:00:00:01" is not a unicast address/,
    ],
    [{ ...base, interfaces: [{ ...eth0, mac: "ff:ff:ff:ff:ff:ff" }] }, /is not a unicast address/],
    [{ ...base, interfaces: [{ ...eth0, mac: "00:00:00:00:00:00" }] }, /is not a unicast address/],
    [
      { ...base, filter: [{ chain: "OUTPUT", in: "eth0", target: "DROP" }] },
      /filter\[0\]\.in cannot be used in OUTPUT/,
    ],
    [
      { ...base, sockets: [{ proto: "tcp", local: "0.0.0.0:80", remote: "10.1.0.7:4000" }] },
      /sockets\[0\]\.remote cannot be given for tcp/,
    ],
  ];
  for (const [json, message] of bad) {
    assert.throws(() => loadScenario(json), (e: Error) => {
      assert.ok(isInputError(e), e.message);
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("scenario: a socket bound to an address the host lacks is EADDRNOTAVAIL unless ip_nonlocal_bind", () => {
  const s = { ...base, sockets: [{ proto: "udp", local: "10.9.9.9:53" }] };
  assert.throws(
    () => scenarioHost(loadScenario(s)),
    /sockets\[0\]: Cannot bind UDP socket to 10\.9\.9\.9:53: the host has no such address \(EADDRNOTAVAIL\)/,
  );
  const tcp = { ...base, sockets: [{ proto: "tcp", local: "10.9.9.9:80" }] };
  assert.throws(() => scenarioHost(loadScenario(tcp)), /EADDRNOTAVAIL/);
  const nonlocal = { ...s, sysctl: { "net.ipv4.ip_nonlocal_bind": 1 } };
  assert.equal(scenarioHost(loadScenario(nonlocal)).sockets.length, 1);
  // the subnet broadcast, 255.255.255.255, multicast and lo's 127/8 are the host's to bind
  for (const local of ["10.1.0.255:53", "255.255.255.255:53", "224.0.0.251:5353", "127.0.0.9:53"]) {
    assert.equal(
      scenarioHost(loadScenario({ ...base, sockets: [{ proto: "udp", local }] })).sockets.length,
      1,
    );
  }
});

Deno.test("scenario: per-device sysctls of a device with dots in its name, written with dots or slashes", () => {
  const vlan = { ...eth0, name: "eth0.100", mac: "02:00:00:00:00:03", addrs: ["10.2.0.2/24"] };
  for (const name of ["net.ipv4.conf.eth0.100.rp_filter", "net.ipv4.conf.eth0/100.rp_filter"]) {
    const s = loadScenario({ ...base, interfaces: [eth0, vlan], sysctl: { [name]: 2 } });
    assert.deepEqual(Object.keys(s.sysctl), ["net.ipv4.conf.eth0.100.rp_filter"]);
    const host = scenarioHost(s).host;
    const dev = host.devices.find((d) => d.name === "eth0.100")!;
    assert.equal(host.ipv4.inDevices.get(dev.ifindex)!.cnf.rp_filter, 2);
  }
});

Deno.test("pcap: snaplen 0, libpcap's 'no limit', is accepted", () => {
  const bytes = writePcap(pcapRecords([udp()], 0n));
  new DataView(bytes.buffer).setUint32(16, 0, true);
  assert.equal(readPcap(bytes).records.length, 1);
});

Deno.test("replay: a capture spanning 200 days replays exactly, quiet gaps shortened", () => {
  const day = 86_400_000_000_000n;
  const records = [udp(), udp(), udp(9)].map((data, i) => ({
    tsNs: BigInt(i) * 100n * day,
    data,
    origLen: data.length,
  }));
  const lines = replay(
    loadScenario({ ...base, sockets: [{ proto: "udp", local: "0.0.0.0:53" }] }),
    records,
  );
  assert.deepEqual(lines.slice(0, 3).map((l) => "fate" in l ? l.fate : ""), [
    "delivered",
    "delivered",
    "dropped",
  ]);
});

Deno.test("sysctl: ipfrag_time takes what proc_dointvec_jiffies takes, INT_MAX / HZ seconds", () => {
  const host = createHost();
  host.setSysctl("net.ipv4.ipfrag_time", Math.floor(0x7fffffff / 250));
  assert.throws(
    () => host.setSysctl("net.ipv4.ipfrag_time", Math.floor(0x7fffffff / 250) + 1),
    /from 0 to 8589934/,
  );
  const records = pcapRecords([
    buildFrame({
      eth: { dst: "02:00:00:00:00:02" },
      ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2", fragOff: 0x2000 },
      udp: { source: 1, dest: 2 },
      payload: 16,
    }),
  ], 0n);
  const big = loadScenario({ ...base, sysctl: { "net.ipv4.ipfrag_time": 8589934 } });
  assert.equal((replay(big, records)[0] as { reason?: string }).reason, "FRAG_REASM_TIMEOUT");
});

Deno.test("library: impossible settings are clear errors, not silent wraps", () => {
  const host = createHost();
  const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
  inetAddAddr(host, dev, inAton("10.1.0.2"), 24);
  const cases: [() => unknown, RegExp][] = [
    [() => new Sim({ sliceNs: 0 }), /time slice of 0 ns: at least 1 ns/],
    [() => new Sim({ sliceNs: -5 }), /time slice of -5 ns/],
    [() => new Sim({ seed: NaN }), /seed a random source with null/],
    [() => new Sim({ seed: "7" as unknown as number }), /seed a random source with "7"/],
    [() => new Sim({ seed: 1e300 }), /seed a random source with 1e\+300/],
    [() => udpSocket(host, { addr: 0, port: -1 }), /a port is 0 to 65535/],
    [() => udpSocket(host, { addr: 0, port: 70000 }), /a port is 0 to 65535/],
    [() => tcpListen(host, 0, 70000), /a port is 0 to 65535/],
    [() => inetAddAddr(host, dev, inAton("10.3.0.2"), 40), /prefix length 40: 0 to 32/],
    [
      () => registerEtherdev(host, "eth1", "02:00:00:00:00:09", -1),
      /MTU -1: must be from 68 to 65535/,
    ],
    [
      () => registerEtherdev(host, "eth2", "01:00:00:00:00:09"),
      /not a unicast address \(EADDRNOTAVAIL\)/,
    ],
    [
      () => writePcap([{ tsNs: 2n ** 32n * 1_000_000_000n, data: udp(), origLen: 60 }]),
      /not from 0 to 2\^32 s/,
    ],
    [
      () =>
        buildFrame({
          ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
          udp: { source: 70000, dest: 1 },
        }),
      /udp\.source 70000 does not fit its 16-bit field/,
    ],
    [
      () =>
        buildFrame({
          ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
          udp: { source: 1, dest: 1 },
          payload: 70000,
        }),
      /payload 70000 is not 0 to 65535 bytes/,
    ],
    [
      () =>
        buildFrame({
          ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
          udp: { source: 1, dest: 1 },
          payload: 65530,
        }),
      /datagram of 65558 bytes does not fit tot_len/,
    ],
    [
      () => iptAppend(host, "filter", "OUTPUT", { in: "eth0", target: "DROP" }),
      /-i cannot be used in OUTPUT/,
    ],
    [
      () => iptAppend(host, "filter", "INPUT", { out: "eth0", target: "DROP" }),
      /-o cannot be used in INPUT/,
    ],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (e: Error) => {
      assert.ok(isInputError(e), `${e.name}: ${e.message}`);
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("replayStream(): lines come as frames settle, so a reader that stops stops the replay", async () => {
  const { replayStream } = await import("../lib/scenario/replay.ts");
  const s = loadScenario({ ...base, sockets: [{ proto: "udp", local: "0.0.0.0:53" }] });
  const records = pcapRecords(new Array(1000).fill(udp()), 1_000_000n);
  let furthest = 0; // the last frame the replay took up
  const watched = new Proxy(records, {
    get(target, key, receiver) {
      if (typeof key === "string" && /^\d+$/.test(key)) furthest = Math.max(furthest, Number(key));
      return Reflect.get(target, key, receiver);
    },
  });
  const seen: unknown[] = [];
  assert.throws(() =>
    replayStream(s, watched, (l) => {
      seen.push(l);
      if (seen.length === 3) throw new Error("reader gone");
    }), /reader gone/);
  assert.equal(seen.length, 3);
  assert.ok(furthest < 5, `the replay had gone on to frame ${furthest}`);
  // the same replay to the end gives the same first lines
  const all = replay(s, records);
  assert.deepEqual(seen, all.slice(0, 3));
});

Deno.test("replayStream(): frames are read as the replay reaches them and forgotten once out", async () => {
  // a stream of 20k frames is taken one at a time (never read ahead), and what the replay keeps
  // after it does not grow with the capture: no per-frame fates, no device log of every reply
  const { replayStream } = await import("../lib/scenario/replay.ts");
  const s = loadScenario({ ...base, sockets: [{ proto: "udp", local: "0.0.0.0:53" }] });
  const frames = [udp(53), udp(54)]; // delivered, and NO_SOCKET with a port unreachable
  let read = 0;
  const stream = function* () {
    for (let i = 0; i < 20_000; i++) {
      read++;
      yield { tsNs: BigInt(i) * 1_000_000n, data: frames[i % 2], origLen: frames[i % 2].length };
    }
  };
  let lines = 0;
  const { host } = replayStream(s, stream(), () => {
    lines++;
    assert.ok(read <= lines + 1, `frame ${read - 1} read before frame ${lines - 1} was out`);
  });
  assert.equal(lines, 20_001);
  assert.equal(host.sim.ledger.fates.length, 0);
  assert.ok(host.devices.every((d) => d.transmitted.length === 0));
  assert.ok(host.mib.icmp.OutMsgs > 0); // the replies were sent, and seen through devXmitTap
});
