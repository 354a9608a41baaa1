import assert from "node:assert/strict";
import { main } from "../lib/cli.ts";
import { buildFrame } from "../lib/wire/build.ts";
import { writePcap } from "../lib/wire/pcap.ts";
import { ICMP_ECHO } from "../lib/wire/icmp.ts";

function run(args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  const code = main(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

// Writes a scenario and frames to a temporary folder, runs `fn` with their paths, cleans up.
async function withFiles(
  scenario: unknown,
  frames: Uint8Array[],
  fn: (scenarioPath: string, pcapPath: string) => void,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/s.json`,
      typeof scenario === "string" ? scenario : JSON.stringify(scenario),
    );
    await Deno.writeFile(
      `${dir}/f.pcap`,
      writePcap(frames.map((data) => ({ tsNs: 0n, data, origLen: data.length }))),
    );
    fn(`${dir}/s.json`, `${dir}/f.pcap`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const eth0 = (addr = "10.1.0.2/24") => ({
  name: "eth0",
  mac: "02:00:00:00:00:02",
  addrs: [addr],
  mtu: 1500,
});

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

Deno.test("rxpath rss --json prints Microsoft's verification hashes and the queue", () => {
  const { code, out } = run([
    "rss",
    "--src",
    "66.9.149.187",
    "--dst",
    "161.142.100.80",
    "--sport",
    "2794",
    "--dport",
    "1766",
    "--queues",
    "4",
    "--json",
  ]);
  assert.equal(code, 0);
  // 0x51ccc178 & 127 = 120, and entry 120 of the default table is 120 % 4 = 0
  assert.deepEqual(JSON.parse(out[0]), {
    hash_ip: "0x323e8fc2",
    hash_ip_ports: "0x51ccc178",
    queue: 0,
  });
  assert.equal(out[0], '{"hash_ip": "0x323e8fc2", "hash_ip_ports": "0x51ccc178", "queue": 0}');
});

Deno.test("rxpath rss without ports hashes addresses only and picks the queue from that", () => {
  const { out } = run([
    "rss",
    "--src",
    "3ffe:2501:200:1fff::7",
    "--dst",
    "3ffe:2501:200:3::1",
    "--queues",
    "3",
    "--json",
  ]);
  // 0x2cc18cd5 & 127 = 85, 85 % 3 = 1
  assert.deepEqual(JSON.parse(out[0]), { hash_ip: "0x2cc18cd5", queue: 1 });
});

Deno.test("rxpath rss takes a key in ethtool's colon form and rejects half a port pair", () => {
  const key =
    "6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa";
  assert.equal(
    JSON.parse(
      run(["rss", "--src", "66.9.149.187", "--dst", "161.142.100.80", "--key", key, "--json"])
        .out[0],
    ).hash_ip,
    "0x323e8fc2",
  );
  const { code, err } = run(["rss", "--src", "1.1.1.1", "--dst", "2.2.2.2", "--sport", "1"]);
  assert.equal(code, 2);
  assert.match(err[0], /both --sport and --dport/);
  assert.match(
    run(["rss", "--src", "1.1.1.1", "--dst", "2.2.2.2", "--key", "6d5a"]).err[0],
    /8 bytes with a 2-byte key: it needs 12/,
  );
});

Deno.test("rxpath trace prints each frame's call chain down to the socket, with CPU, context and time", async () => {
  const scenario = {
    ingress: "eth0",
    interfaces: [eth0()],
    sockets: [{ proto: "udp", local: "0.0.0.0:5000" }],
  };
  const frames = [
    buildFrame({
      ipv4: { saddr: "10.1.0.9", daddr: "10.1.0.2" },
      udp: { source: 1, dest: 5000 },
    }),
    buildFrame({ ipv4: { saddr: "10.1.0.9", daddr: "10.1.0.2" }, icmp: { type: ICMP_ECHO } }),
  ];
  await withFiles(scenario, frames, (scn, pcap) => {
    const { code, out } = run(["trace", scn, pcap]);
    assert.equal(code, 0);
    const text = out.join("\n");
    assert.match(text, /# frame 0: 60 bytes, 10\.1\.0\.9 > 10\.1\.0\.2 proto 17/);
    const chain = out[2].split("\n").filter((l) => !l.startsWith("#")).map((l) =>
      l.split("|").at(-1)!.trim()
    );
    assert.deepEqual(chain.slice(0, 54), [
      "common_interrupt() {",
      "__common_interrupt() {",
      "handle_edge_irq() {",
      "handle_irq_event() {",
      "vring_interrupt() {",
      "skb_recv_done() {",
      "__napi_schedule() {",
      "__raise_softirq_irqoff();",
      "} /* __napi_schedule */",
      "} /* skb_recv_done */",
      "} /* vring_interrupt */",
      "} /* handle_irq_event */",
      "} /* handle_edge_irq */",
      "} /* __common_interrupt */",
      "irq_exit_rcu() {",
      "__irq_exit_rcu() {",
      "__do_softirq() {",
      "handle_softirqs() {",
      "net_rx_action() {",
      "__napi_poll() {",
      "virtnet_poll() {",
      "netif_tx_wake_queue();", // virtnet_poll_cleantx(), inlined, wakes the paired send queue
      "receive_buf() {",
      "virtnet_receive_done() {",
      "eth_type_trans();",
      "gro_receive_skb() {",
      "dev_gro_receive();",
      "} /* gro_receive_skb */",
      "} /* virtnet_receive_done */",
      "} /* receive_buf */",
      "napi_complete_done() {",
      "netif_receive_skb_list_internal() {",
      "__netif_receive_skb_list_core() {",
      "__netif_receive_skb_core();",
      "ip_list_rcv() {",
      "ip_rcv_core();",
      "ip_sublist_rcv() {",
      "ip_rcv_finish_core() {",
      "udp_v4_early_demux();",
      "ip_route_input_noref() {",
      "ip_route_input_slow() {",
      "fib_table_lookup();",
      "fib_validate_source();",
      "} /* ip_route_input_slow */",
      "} /* ip_route_input_noref */",
      "} /* ip_rcv_finish_core */",
      "ip_local_deliver() {",
      "ip_local_deliver_finish() {",
      "ip_protocol_deliver_rcu() {",
      "udp_rcv() {",
      "__udp4_lib_rcv() {",
      "__udp4_lib_lookup();",
      "udp_unicast_rcv_skb() {",
      "udp_queue_rcv_skb() {",
    ]);
    assert.match(out[2], / {3}0\.001000\d+ \| {3}0\) {2}hardirq/);
    assert.equal(out.filter((l) => l.startsWith("\n# frame")).length, 2);
  });
});

Deno.test("rxpath trace names a bad scenario field and exits 2", async () => {
  await withFiles({ ingress: "eth0", interfaces: [eth0("10.1.0.2/99")] }, [], (scn, pcap) => {
    const { code, err } = run(["trace", scn, pcap]);
    assert.equal(code, 2);
    assert.match(err[0], /interfaces\[0\]\.addrs\[0\] "10\.1\.0\.2\/99" is not a CIDR/);
  });
  await withFiles("{ not json", [], (scn, pcap) => {
    assert.match(run(["trace", scn, pcap]).err[0], /Cannot read scenario .*s\.json/);
  });
});

Deno.test("rxpath trace --rps-cpus shows the RPS hand-over: enqueue_to_backlog, the IPI, process_backlog", async () => {
  const f = buildFrame({
    eth: { dst: "02:00:00:00:00:02" },
    ipv4: { saddr: "10.1.0.9", daddr: "10.1.0.2" },
    udp: { source: 1, dest: 5000 },
  });
  await withFiles({ ingress: "eth0", interfaces: [eth0()] }, [f], (scn, pcap) => {
    const { code, out } = run(["trace", scn, pcap, "--rps-cpus", "1"]);
    assert.equal(code, 0);
    const text = out.join("\n");
    for (
      const fn of [
        "dev_gro_receive",
        "netif_receive_skb_list_internal",
        "enqueue_to_backlog",
        "smp_call_function_single_async",
        "rps_trigger_softirq",
        "process_backlog",
        "__netif_receive_skb_core",
        "ip_rcv",
      ]
    ) {
      assert.match(text, new RegExp(`${fn}\\(\\)`), fn);
    }
    assert.match(text, /\| {3}1\) {2}softirq .*process_backlog/);
  });
});

Deno.test("rxpath trace --nic veth --events prints each frame's tracepoints as trace_pipe does, the kernel's events in its order", () => {
  const dir = new URL("./golden/linux-6.18/", import.meta.url).pathname;
  const { code, out } = run([
    "trace",
    `${dir}replay/icmp_echo.json`,
    `${dir}replay/icmp_echo.pcap`,
    "--nic",
    "veth",
    "--events",
  ]);
  assert.equal(code, 0);
  // the lines a grep over `trace-cmd` output would find, in the same shape: frame 0 is an echo
  // request whose reply goes back out to the wire peer, which drops it as not its own
  const names = (lines: string[]) =>
    lines.slice(1, lines.indexOf("# frame 1"))
      .map((l) => /^ +\S+-\d+ +\[\d{3}\] [.bdDhs0-9]{5} +\d+\.\d{6}: (\w+): /.exec(l)?.[1])
      .filter((e) => e && !/^softirq_/.test(e));
  const kernel = Deno.readTextFileSync(`${dir}trace/icmp_echo.txt`).split("\n");
  assert.equal(out[0], "# frame 0");
  assert.deepEqual(names(out), names(kernel));
  assert.match(out.join("\n"), /kfree_skb: .* location=ip_rcv_core\+0x0\/0x0 reason: OTHERHOST/);
  assert.equal(out.filter((l) => l.startsWith("# frame ")).length, 7);
});

Deno.test("rxpath trace rejects a NIC it does not model, naming the option", () => {
  const dir = new URL("./golden/linux-6.18/replay/", import.meta.url).pathname;
  const { code, err } = run([
    "trace",
    `${dir}icmp_echo.json`,
    `${dir}icmp_echo.pcap`,
    "--nic",
    "e1000",
  ]);
  assert.equal(code, 2);
  assert.match(err[0], /Cannot read option --nic: "e1000" is not virtio or veth/);
});

Deno.test("rxpath trace --costs takes a calibration profile, and names a step the kit does not charge", async () => {
  const dir = new URL("./golden/linux-6.18/", import.meta.url).pathname;
  const args = [`${dir}replay/icmp_echo.json`, `${dir}replay/icmp_echo.pcap`, "--nic", "veth"];
  const base = run(["trace", ...args]).out.join("\n");
  const profile = await Deno.makeTempFile({ suffix: ".json" });
  try {
    Deno.writeTextFileSync(
      profile,
      JSON.stringify({ costs: { ipRcv: { ns: 50_000 }, coldScale: { ns: 0 } } }),
    );
    const slow = run(["trace", ...args, "--costs", profile]);
    assert.equal(slow.code, 0);
    // the same calls, one of them 50 us long now
    assert.notEqual(slow.out.join("\n"), base);
    assert.match(slow.out.join("\n"), /5\d\.\d{3} us +\| +} \/\* ip_rcv_core \*\//);
    Deno.writeTextFileSync(profile, JSON.stringify({ costs: { warp: { ns: 1 } } }));
    const bad = run(["trace", ...args, "--costs", profile]);
    assert.equal(bad.code, 2);
    assert.match(bad.err[0], /costs\.warp is not a step the kit charges/);
  } finally {
    Deno.removeSync(profile);
  }
});

Deno.test("rxpath calibrate refuses a frame count it cannot measure with, before touching the host", () => {
  const { code, err } = run(["calibrate", "--frames", "5"]);
  assert.equal(code, 2);
  assert.match(err[0], /--frames/);
});

Deno.test("rxpath replay --json prints the format's lines: one per frame, then the summary", () => {
  const dir = new URL("./golden/linux-6.18/replay/", import.meta.url).pathname;
  const { code, out } = run([
    "replay",
    `${dir}forwarding_and_ttl.json`,
    `${dir}forwarding_and_ttl.pcap`,
    "--json",
  ]);
  assert.equal(code, 0);
  const kernel = Deno.readTextFileSync(`${dir}forwarding_and_ttl.jsonl`).trim().split("\n");
  // the same text as the kernel-side tool prints, line for line (IcmpMsg is always present)
  assert.deepEqual(out.slice(0, -1), kernel.slice(0, -1));
  assert.deepEqual(JSON.parse(out.at(-1)!).rules, JSON.parse(kernel.at(-1)!).rules);
});

Deno.test("rxpath replay without --json reads as a table for a person", () => {
  const dir = new URL("./golden/linux-6.18/replay/", import.meta.url).pathname;
  const { code, out } = run(["replay", `${dir}netfilter_rules.json`, `${dir}netfilter_rules.pcap`]);
  assert.equal(code, 0);
  const text = out.join("\n");
  assert.match(text, /^frame +fate +where \/ reason +reply/);
  assert.match(text, /4 +delivered +socket 3 \(tcp 0\.0\.0\.0:80\) +tcp syn-ack/);
  assert.match(text, /0: INPUT -> DROP: 1 packets, 60 bytes/);
});

Deno.test("rxpath replay --show prints the host's views after the replay, as the host printed them", () => {
  const dir = new URL("./golden/linux-6.18/", import.meta.url).pathname;
  const replay = `${dir}replay/netfilter_rules`;
  const { code, out } = run(["replay", `${replay}.json`, `${replay}.pcap`, "--show", "dev,link"]);
  assert.equal(code, 0);
  const text = out.join("\n");
  const dev = Deno.readTextFileSync(`${dir}views/proc_net_dev.txt`).trimEnd();
  assert.ok(text.includes(`==> cat /proc/net/dev <==\n${dev}\n==> ip -s -s link <==`));
  const bad = run(["replay", `${replay}.json`, `${replay}.pcap`, "--show", "dev,meminfo"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err.join("\n"), /no view "meminfo" \(views: interrupts, softirqs/);
});

Deno.test("rxpath replay names the scenario's unknown field, bad CIDR or unknown sysctl, and exits 2", async () => {
  const bad = [
    [
      { ingress: "eth0", interfaces: [eth0()], colour: "red" },
      /colour is not a field of the format/,
    ],
    [
      { ingress: "eth0", interfaces: [eth0("10.1.0.300/24")] },
      /interfaces\[0\]\.addrs\[0\] "10\.1\.0\.300"/,
    ],
    [
      { ingress: "eth0", interfaces: [eth0()], sysctl: { "net.ipv4.no_such": 1 } },
      /"net\.ipv4\.no_such" is not a sysctl of Linux 6\.18/,
    ],
    [{
      ingress: "eth0",
      interfaces: [eth0()],
      routes: [{ dst: "10.9.0.0/16", via: "10.7.0.1", dev: "eth0" }],
    }, /routes\[0\].*Nexthop has invalid gateway/],
  ] as const;
  for (const [scenario, message] of bad) {
    await withFiles(scenario, [], (scn, pcap) => {
      const { code, err } = run(["replay", scn, pcap]);
      assert.equal(code, 2);
      assert.match(err[0], message);
    });
  }
});

Deno.test("rxpath replay reports a broken pcap as an error, not a crash", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/s.json`,
      JSON.stringify({ ingress: "eth0", interfaces: [eth0()] }),
    );
    await Deno.writeFile(`${dir}/f.pcap`, new Uint8Array([1, 2, 3]));
    const { code, err } = run(["replay", `${dir}/s.json`, `${dir}/f.pcap`]);
    assert.equal(code, 2);
    assert.match(err[0], /pcap/i);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rxpath trace reads a capture from a pipe, which cannot be read twice, as from a file", async () => {
  const dir = new URL("./golden/linux-6.18/replay/", import.meta.url).pathname;
  const cli = new URL("../lib/cli.ts", import.meta.url).pathname;
  const args = (pcap: string) => ["run", "-A", cli, "trace", `${dir}icmp_echo.json`, pcap];
  const child = new Deno.Command(Deno.execPath(), {
    args: args("/dev/stdin"),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(Deno.readFileSync(`${dir}icmp_echo.pcap`));
  await writer.close();
  const piped = await child.output();
  assert.equal(new TextDecoder().decode(piped.stderr), "");
  const fromFile = run(["trace", `${dir}icmp_echo.json`, `${dir}icmp_echo.pcap`]).out.join("\n");
  assert.equal(new TextDecoder().decode(piped.stdout), fromFile + "\n");
});

Deno.test("rxpath packetdrill is silent with exit 0 when a script matches, as packetdrill is", () => {
  const r = run([
    "packetdrill",
    new URL("./oracle/packetdrill/upstream/tcp/blocking/blocking-read.pkt", import.meta.url)
      .pathname,
  ]);
  assert.deepEqual([r.code, r.out, r.err], [0, [], []]);
});

Deno.test("rxpath packetdrill prints packetdrill's message and exits 1 at the first mismatch", () => {
  const script = new URL("./oracle/packetdrill/rxpath/wrong-wscale-expected.pkt", import.meta.url)
    .pathname;
  const r = run(["packetdrill", script, "--tolerance_usecs=10000"]);
  assert.equal(r.code, 1);
  assert.match(r.err[0], /^wrong-wscale-expected\.pkt:8: error handling packet: bad value/);
  assert.match(r.err[0], /\nactual packet: .* <mss 1460,nop,nop,sackOK,nop,wscale 10>$/);
});

Deno.test("rxpath packetdrill prints what the script's %{ }% code prints, and reports a failed assertion as packetdrill does", () => {
  const dir = Deno.makeTempDirSync();
  const script = `${dir}/info.pkt`;
  Deno.writeTextFileSync(
    script,
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n" +
      "+0 listen(3, 5) = 0\n+0 %{ print(tcpi_state, tcpi_sacked) }%\n" +
      "+0 %{ assert tcpi_unacked == 1, 'unacked %d' % tcpi_unacked }%\n",
  );
  const r = run(["packetdrill", script]);
  Deno.removeSync(dir, { recursive: true });
  assert.deepEqual([r.code, r.out], [1, ["10 5"]]);
  assert.match(r.err[0], /^info\.pkt:5: error in Python code\n/);
  assert.match(r.err[0], /\nAssertionError: unacked 0\ninfo\.pkt: error executing code: /);
});

Deno.test("rxpath packetdrill takes ksft_runner.sh's command line: --mss, addresses, -D defines", () => {
  const dir = new URL("./oracle/packetdrill/selftests/", import.meta.url).pathname;
  const args = Deno.readTextFileSync(`${dir}args`).split("\n").filter(Boolean);
  const r = run(["packetdrill", `${dir}tcp_rcv_big_endseq.pkt`, ...args]);
  assert.deepEqual([r.code, r.out, r.err], [0, [], []]);
  const badMask = run(["packetdrill", `${dir}tcp_rcv_big_endseq.pkt`, "--netmask_ip=255.0.255.0"]);
  assert.equal(badMask.code, 2);
  assert.match(badMask.err[0], /bad --netmask_ip: 255\.0\.255\.0/);
  const badDefine = run(["packetdrill", `${dir}tcp_rcv_big_endseq.pkt`, "-D", "NOVALUE"]);
  assert.equal(badDefine.code, 2);
  assert.match(badDefine.err[0], /-D: "NOVALUE" is not NAME=VALUE/);
});

Deno.test("rxpath packetdrill runs nstat | grep commands at their time; one that finds nothing ends the run as packetdrill's does", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = new URL(
      "./oracle/packetdrill/selftests/tcp_rcv_big_endseq.pkt",
      import.meta.url,
    );
    const text = Deno.readTextFileSync(script).replace('" 3 "', '" 4 "');
    await Deno.writeTextFile(`${dir}/endseq.pkt`, text);
    await Deno.copyFile(
      new URL("./oracle/packetdrill/selftests/defaults.sh", import.meta.url),
      `${dir}/defaults.sh`,
    );
    const r = run(["packetdrill", `${dir}/endseq.pkt`]);
    assert.equal(r.code, 1);
    assert.equal(
      r.err[0],
      'endseq.pkt:44: error executing `nstat | grep TcpExtBeyondWindow | grep -q " 4 "` command: non-zero status 1',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rxpath packetdrill refuses what it does not model and bad options with exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/w.pkt`,
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 write(3, ..., 10) = 10\n",
    );
    const refused = run(["packetdrill", `${dir}/w.pkt`]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.err[0],
      /w\.pkt:2: the kit cannot run this script: the write\(\) system call/,
    );
    const bad = run(["packetdrill", `${dir}/w.pkt`, "--tolerance_usecs=soon"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err[0], /--tolerance_usecs: "soon" is not a whole number/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
