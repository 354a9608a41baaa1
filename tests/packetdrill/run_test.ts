import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { runPacketdrill } from "../../lib/packetdrill/run.ts";
import {
  argsAsOptions,
  corpusArgs,
  corpusScripts,
  nonZeroCounters,
  PACKETDRILL_CORPUS,
  type PacketdrillRecord,
  readTcpInfoProbe,
  withTcpInfoProbe,
} from "../oracle/packetdrill_corpus.ts";
import { procNetNetstat, procNetSnmp } from "../../lib/proc/snmp.ts";

const record: { kernel: string; scripts: Record<string, PacketdrillRecord> } = JSON.parse(
  Deno.readTextFileSync(
    new URL("../golden/linux-6.18/packetdrill/record.json", import.meta.url),
  ),
);

function run(name: string) {
  const path = join(PACKETDRILL_CORPUS, name);
  return runPacketdrill(Deno.readTextFileSync(path), name.split("/").pop()!, {
    ...argsAsOptions(corpusArgs(path)),
    readFile: (file) => Deno.readTextFileSync(join(dirname(path), file)),
  });
}

// What must agree in a failure: the line and the message (for Python, the exception raised
// too). Times differ between a machine and the simulation, and the errno packetdrill prints
// after a call that succeeded is whatever an earlier call left behind.
function firstLine(error: string): string {
  const lines = error.split("\n");
  const raised = lines[0].endsWith("error in Python code")
    ? lines.find((l) => /^\w+Error\b/.test(l))
    : undefined;
  return (raised ? `${lines[0]} ${raised}` : lines[0])
    .replace(/at [0-9.]+ sec but happened at [0-9.]+ sec/, "at T sec but happened at T sec");
}

Deno.test("every corpus script has a record of what Linux 6.18 did with it", () => {
  const names = corpusScripts().map((p) => p.slice(PACKETDRILL_CORPUS.length));
  assert.deepEqual(names, Object.keys(record.scripts).sort());
  assert.match(record.kernel, /^6\.18\./);
});

Deno.test("packetdrill scripts end on the simulated host as on Linux 6.18", async (t) => {
  for (const [name, kernel] of Object.entries(record.scripts)) {
    await t.step(`${name}: ${kernel.pass ? "passes" : "fails"} as on the kernel`, () => {
      const kit = run(name);
      if (kernel.pass) assert.equal(kit.error, null);
      else assert.equal(firstLine(kit.error ?? "(the kit passed)"), firstLine(kernel.error!));
    });
  }
});

Deno.test("after each script that passes, every counter of /proc/net/snmp and /proc/net/netstat is as on Linux 6.18", async (t) => {
  for (const [name, kernel] of Object.entries(record.scripts)) {
    if (!kernel.counters) continue;
    await t.step(name, () => {
      const { host } = run(name);
      const kit = nonZeroCounters(procNetSnmp(host).text + procNetNetstat(host).text);
      assert.deepEqual(kit, kernel.counters);
    });
  }
});

// Times the kit cannot share with a kernel: packetdrill's own processing adds a millisecond or
// two to an RTT, its delays add up over a long script (5 %), and jiffies differ in phase
const TCP_INFO_TIMES: Record<string, number> = {
  tcpi_rtt: 2000,
  tcpi_rttvar: 1000,
  tcpi_min_rtt: 2000,
  tcpi_rcv_rtt: 2000,
  tcpi_rto: 4000,
  tcpi_last_data_sent: 4,
  tcpi_last_data_recv: 4,
  tcpi_last_ack_recv: 4,
};
// Fields of a script the kernel's run decides by its own clock or by a race, each with why
const TCP_INFO_CLOCK_BOUND: Record<string, { fields: string[]; why: string }> = {
  "rxpath/syncookie-ts.pkt": {
    fields: ["tcpi_rtt", "tcpi_rttvar", "tcpi_min_rtt", "tcpi_rto", "tcpi_rcv_rtt"],
    why: "a cookie's TS val replaces the clock's low six bits, so the echo's age depends on them",
  },
  "rxpath/maxseg-syncookie.pkt": {
    fields: ["tcpi_rtt", "tcpi_rttvar", "tcpi_min_rtt", "tcpi_rto", "tcpi_rcv_rtt"],
    why: "a cookie's TS val replaces the clock's low six bits, so the echo's age depends on them",
  },
  "rxpath/rcvlowat.pkt": {
    fields: ["SK_MEMINFO_RMEM_ALLOC", "SK_MEMINFO_FWD_ALLOC"],
    why: "the snapshot races the blocking read woken at the same instant: its copy may be done",
  },
  "selftests/tcp_rcv_big_endseq.pkt": {
    fields: ["tcpi_last_data_sent", "tcpi_last_data_recv", "tcpi_last_ack_recv", "tcpi_rcv_rtt"],
    why: "its first line runs nstat, whose wall time (~12 ms) every later relative time carries",
  },
};

function tcpInfoDiffers(script: string, field: string, kit: number, kernel: number): boolean {
  if (TCP_INFO_CLOCK_BOUND[script]?.fields.includes(field)) return false;
  const slack = field in TCP_INFO_TIMES
    ? Math.max(TCP_INFO_TIMES[field], Math.abs(kernel) * 0.05)
    : 0;
  return Math.abs(kit - kernel) > slack;
}

// The kernel's times for a socket never established count from its boot (lsndtime 0)
const SINCE_BOOT_MS = 1e6;

Deno.test("after each script that passes, the socket under test's TCP_INFO and SO_MEMINFO are as on Linux 6.18", async (t) => {
  for (const [name, kernel] of Object.entries(record.scripts)) {
    if (!kernel.tcpInfo) continue;
    const bound = TCP_INFO_CLOCK_BOUND[name];
    await t.step(bound ? `${name} (not ${bound.fields.join(", ")}: ${bound.why})` : name, () => {
      const path = join(PACKETDRILL_CORPUS, name);
      const r = runPacketdrill(withTcpInfoProbe(Deno.readTextFileSync(path)), name, {
        ...argsAsOptions(corpusArgs(path)),
        readFile: (file) => Deno.readTextFileSync(join(dirname(path), file)),
      });
      if (kernel.tcpInfo!.tcpi_last_data_sent > SINCE_BOOT_MS) {
        assert.match(r.error ?? "", /does not model TCP_INFO of a socket never established/);
        return;
      }
      assert.equal(r.error, null);
      const kit = readTcpInfoProbe(r.output)!;
      const off = Object.entries(kernel.tcpInfo!)
        .filter(([field, value]) => tcpInfoDiffers(name, field, kit[field], value))
        .map(([field, value]) => `${field}: kit ${kit[field]}, kernel ${value}`);
      assert.deepEqual(off, []);
    });
  }
});

Deno.test("a mismatch is reported as packetdrill reports it: the line, the script's packet and the one sent", () => {
  const r = run("rxpath/wrong-wscale-expected.pkt");
  assert.equal(r.ok, false);
  const [head, script, actual] = r.error!.split("\n");
  assert.equal(
    head,
    "wrong-wscale-expected.pkt:8: error handling packet: bad value in outbound TCP option (kind=3): expected: wscale 7 actual: wscale 10",
  );
  assert.match(
    script,
    /^script packet: +0\.\d{6} S\. 0:0\(0\) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>$/,
  );
  assert.match(
    actual,
    /^actual packet: +0\.\d{6} S\. 0:0\(0\) ack 1 win 64240 <mss 1460,nop,nop,sackOK,nop,wscale 10>$/,
  );
});

const HANDSHAKE = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 10>
+.01 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
`;

Deno.test("a script using what the kit does not model is refused before it runs, naming the line", async (t) => {
  const cases: [string, string, RegExp][] = [
    [
      "sending data",
      `${HANDSHAKE}+0 write(4, ..., 100) = 100\n`,
      /x\.pkt:8: .*the write\(\) system call is not modelled/,
    ],
    [
      "a grep pattern the kit cannot read",
      `${HANDSHAKE}+0 \`nstat | grep -q "("\`\n`,
      /x\.pkt:8: .*the shell command `nstat \| grep -q "\("` is not modelled/,
    ],
    [
      "a shell command other than sysctl or nstat piped into grep",
      `${HANDSHAKE}+0 \`ss -tmi\`\n`,
      /x\.pkt:8: .*the shell command `ss -tmi` is not modelled/,
    ],
    [
      "a sysctl the kit does not model",
      `\`sysctl -q net.ipv4.tcp_max_tw_buckets=5\`\n${HANDSHAKE}`,
      /x\.pkt:1: .*sysctl net\.ipv4\.tcp_max_tw_buckets is not modelled/,
    ],
    [
      "a receive flag other than MSG_DONTWAIT and MSG_PEEK (MSG_WAITALL)",
      `${HANDSHAKE}+0 recv(4, ..., 1000, 256) = 0\n`,
      /x\.pkt:8: .*recv flags other than MSG_DONTWAIT and MSG_PEEK are not modelled/,
    ],
    [
      "SO_LINGER with a linger time (close() would wait)",
      `${HANDSHAKE}+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=5}, 8) = 0\n`,
      /x\.pkt:8: .*SO_LINGER with a linger time .* is not modelled/,
    ],
    [
      "a raw socket",
      "0 socket(..., SOCK_RAW, IPPROTO_ICMP) = 3\n",
      /x\.pkt:1: .*only TCP .* and UDP/,
    ],
    [
      "a UDP datagram after fcntl()",
      "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 bind(3, ..., ...) = 0\n" +
      "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 < udp (10)\n",
      /x\.pkt:4: .*a datagram after fcntl\(\) on the UDP socket \(line 3\)/,
    ],
    ["an ICMP packet", `${HANDSHAKE}+0 < icmp unreachable port_unreachable\n`, /x\.pkt:8: .*ICMP/],
    ["data in a SYN", "0 < S 0:10(10) win 100\n", /x\.pkt:1: .*TCP Fast Open/],
    [
      "a tcp_info field the kit does not model",
      `${HANDSHAKE}+0 %{ assert tcpi_pacing_rate > 0 }%\n`,
      /x\.pkt:8: .*tcpi_pacing_rate is not modelled/,
    ],
    [
      "Python beyond assertions, assignments and print",
      `${HANDSHAKE}+0 %{ import os }%\n`,
      /x\.pkt:8: .*'import' is not part of the Python the kit runs/,
    ],
    [
      "an indented line of Python",
      `${HANDSHAKE}+0 %{\n  assert tcpi_state == 1\n}%\n`,
      /x\.pkt:8: .*an indented line/,
    ],
    ["an option", `--mtu=9000\n${HANDSHAKE}`, /x\.pkt:0: .*option --mtu/],
    ["IPv6", `--ip_version=ipv6\n${HANDSHAKE}`, /only ipv4/],
    [
      "a shell command",
      "`ip link set tun0 mtu 9000`\n" + HANDSHAKE,
      /x\.pkt:1: .*`ip link set tun0 mtu 9000`/,
    ],
    [
      "a socket option",
      `${HANDSHAKE}+0 setsockopt(4, SOL_TCP, TCP_CORK, [1], 4) = 0\n`,
      /x\.pkt:8: .*TCP_CORK/,
    ],
    [
      "a simultaneous open",
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 connect(3, ..., ...) = 0\n" +
      "+0 > S 0:0(0) <...>\n+0 < S 0:0(0) win 1000\n",
      /x\.pkt:4: .*a SYN answering our SYN \(a simultaneous open/,
    ],
    [
      "shell operators beyond ;",
      `\`sysctl -q net.ipv4.tcp_sack=0 && sysctl -q net.ipv4.tcp_dsack=0\`\n${HANDSHAKE}`,
      /x\.pkt:1: .*the shell operators in `sysctl .*` are not modelled/,
    ],
  ];
  for (const [what, script, message] of cases) {
    await t.step(what, () => assert.throws(() => runPacketdrill(script, "x.pkt"), message));
  }
});

Deno.test("a blocking read returns when data arrives, its return time checked against the script's", () => {
  const ok =
    `${HANDSHAKE}+0...0.100 read(4, ..., 100) = 100\n+.1 < P. 1:101(100) ack 1 win 257\n+0 > . 1:1(0) ack 101\n`;
  assert.equal(runPacketdrill(ok, "x.pkt").error, null);
  const early = ok.replace("+0...0.100 read", "+0...0.050 read");
  assert.match(
    runPacketdrill(early, "x.pkt").error!,
    /^x\.pkt:8: timing error: expected system call return at 0\.0600\d\d sec but happened at 0\.1100\d\d sec; tolerance 0\.006250 sec/,
  );
});

Deno.test("sysctls set by the script change what the host does: no timestamps, no SACK, no window scaling", () => {
  const script =
    "`sysctl -q net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0`\n`sysctl -q net.ipv4.tcp_window_scaling=0`\n" +
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n" +
    "+0 < S 0:0(0) win 32792 <mss 1000,sackOK,TS val 1 ecr 0,nop,wscale 7>\n+0 > S. 0:0(0) ack 1 win 64240 <mss 1460>\n";
  assert.equal(runPacketdrill(script, "x.pkt").error, null);
});

Deno.test("a backquoted command's exit status is its last command's, as sh -c gives it: a refused sysctl before ; does not fail it", () => {
  const listen = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n";
  const command = (text: string) => `${listen}+0 \`${text}\`\n`;
  const cubic = "sysctl -q net.ipv4.tcp_congestion_control=cubic";
  const sack = "sysctl -q net.ipv4.tcp_sack=0";
  assert.equal(runPacketdrill(command(`${cubic}; ${sack}`), "x.pkt").error, null);
  assert.equal(
    runPacketdrill(command(`${sack}; ${cubic}`), "x.pkt").error,
    `x.pkt:2: error executing \`${sack}; ${cubic}\` command: non-zero status 1\n`,
  );
  // packetdrill names a failed init command by neither line nor text
  assert.equal(
    runPacketdrill(`\`${cubic}\`\n${listen}`, "x.pkt").error,
    "x.pkt: error executing init command: non-zero status 1\n",
  );
});

Deno.test("set_sysctls.py's restore script is missing until it has run: the shell's status 127", () => {
  const script =
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `/tmp/sysctl_restore_${PPID}.sh`\n";
  assert.equal(
    runPacketdrill(script, "x.pkt").error,
    "x.pkt:2: error executing `/tmp/sysctl_restore_${PPID}.sh` command: non-zero status 127\n",
  );
});

Deno.test("a connected UDP socket never sees the script's datagrams: packetdrill sends them from the peer to 0.0.0.0:0, a martian destination dropped as IP_INVALID_DEST (seen on 6.18)", () => {
  const r = runPacketdrill(
    "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 bind(3, ..., ...) = 0\n" +
      "+0 connect(3, ..., ...) = 0\n+0 < udp (500)\n+0 < udp (300)\n" +
      "+0 ioctl(3, SIOCINQ, [0]) = 0\n",
    "x.pkt",
  );
  assert.equal(r.error, null);
  assert.equal(r.host.mib.ip.InReceives, 2);
  assert.equal(r.host.mib.udp.InDatagrams, 0);
  assert.deepEqual(r.host.sim.ledger.summary(), { "dropped:IP_INVALID_DEST": 2 });
});

Deno.test("a blocking TCP read walks __sys_recvfrom → … → tcp_recvmsg_locked and sleeps in sk_wait_data, which releases the socket; woken, it copies each piece", () => {
  const r = runPacketdrill(
    `${HANDSHAKE}+0...0.010 read(4, ..., 1000) = 100\n+.01 < P. 1:101(100) ack 1 win 257\n` +
      "+0 > . 1:1(0) ack 101\n",
    "x.pkt",
    { trace: true },
  );
  assert.equal(r.error, null);
  const calls = r.host.sim.trace.records
    .filter((e) => e.kind === "entry" && e.ctx === "task")
    .map((e) => `${" ".repeat(e.depth)}${e.fn}`);
  const chain = (i: number) => calls.slice(i, i + 7);
  const sleep = calls.indexOf("     sk_wait_data");
  assert.deepEqual(chain(calls.indexOf("__sys_recvfrom")), [
    "__sys_recvfrom",
    " sock_recvmsg",
    "  inet_recvmsg",
    "   tcp_recvmsg",
    "    tcp_recvmsg_locked",
    "     sk_wait_data",
    "      release_sock",
  ]);
  assert.ok(sleep > 0);
  const woken = calls.indexOf("__sys_recvfrom", sleep);
  assert.deepEqual(chain(woken), [
    "__sys_recvfrom",
    " sock_recvmsg",
    "  inet_recvmsg",
    "   tcp_recvmsg",
    "    tcp_recvmsg_locked",
    "     skb_copy_datagram_iter",
    "     tcp_rcv_space_adjust",
  ]);
});

// Each traced function's callers in a run's call graph.
function callParents(records: readonly { kind: string; fn: string }[]): Map<string, Set<string>> {
  const parents = new Map<string, Set<string>>();
  const open: string[] = [];
  for (const e of records) {
    if (e.kind === "exit") {
      open.pop();
      continue;
    }
    if (!parents.has(e.fn)) parents.set(e.fn, new Set());
    if (open.length) parents.get(e.fn)!.add(open[open.length - 1]);
    open.push(e.fn);
  }
  return parents;
}

Deno.test("the call graph nests tcp_data_queue_ofo and tcp_ofo_queue under tcp_data_queue, tcp_rtt_estimator under tcp_ack → tcp_ack_update_rtt, tcp_rcvbuf_grow under tcp_data_queue_ofo, as the kernel does", () => {
  const r = runPacketdrill(
    `${HANDSHAKE}+0 < P. 1001:2001(1000) ack 1 win 257\n+0 > . 1:1(0) ack 1\n` +
      "+0 < P. 1:1001(1000) ack 1 win 257\n+0 > . 1:1(0) ack 2001\n" +
      "+0 shutdown(4, SHUT_WR) = 0\n+0 > F. 1:1(0) ack 2001\n+.01 < . 2001:2001(0) ack 2 win 257\n",
    "x.pkt",
    { trace: true },
  );
  assert.equal(r.error, null);
  const parents = callParents(r.host.sim.trace.records);
  assert.deepEqual([...parents.get("tcp_data_queue_ofo")!], ["tcp_data_queue"]);
  assert.deepEqual([...parents.get("tcp_ofo_queue")!], ["tcp_data_queue"]);
  assert.deepEqual([...parents.get("tcp_rcvbuf_grow")!], ["tcp_data_queue_ofo"]);
  assert.ok(parents.get("tcp_ack_update_rtt")!.has("tcp_ack"));
  assert.deepEqual([...parents.get("tcp_rtt_estimator")!], ["tcp_ack_update_rtt"]);
});

Deno.test("the call graph runs the FIN's tail-loss probe and RTO from the retransmission timer, tcp_write_timer → tcp_write_timer_handler, and the late ACK through tcp_fastretrans_alert, as the kernel does", () => {
  const sack = HANDSHAKE.replace(
    "<mss 1000,nop,wscale 7>",
    "<mss 1000,sackOK,nop,nop,nop,wscale 7>",
  )
    .replace("<mss 1460,nop,wscale 10>", "<mss 1460,nop,nop,sackOK,nop,wscale 10>");
  const r = runPacketdrill(
    `${sack}+0 shutdown(4, SHUT_WR) = 0\n+0 > F. 1:1(0) ack 1\n` +
      "+.212 > F. 1:1(0) ack 1\n+.212 > F. 1:1(0) ack 1\n+.05 < . 1:1(0) ack 2 win 257\n",
    "x.pkt",
    { trace: true },
  );
  assert.equal(r.error, null);
  const parents = callParents(r.host.sim.trace.records);
  const of = (fn: string) => [...parents.get(fn) ?? []].sort();
  assert.deepEqual(of("tcp_write_xmit"), ["__tcp_push_pending_frames"]);
  assert.deepEqual(of("tcp_schedule_loss_probe"), ["tcp_ack", "tcp_write_xmit"]);
  assert.deepEqual(of("tcp_write_timer_handler"), ["tcp_write_timer"]);
  assert.deepEqual(of("tcp_send_loss_probe"), ["tcp_write_timer_handler"]);
  assert.deepEqual(of("tcp_retransmit_timer"), ["tcp_write_timer_handler"]);
  assert.deepEqual(of("__tcp_retransmit_skb"), ["tcp_retransmit_skb", "tcp_send_loss_probe"]);
  assert.deepEqual(of("tcp_mark_skb_lost"), ["tcp_enter_loss"]);
  assert.deepEqual(of("bbr_ssthresh"), ["tcp_enter_loss"]);
  assert.deepEqual(of("tcp_try_undo_recovery"), ["tcp_fastretrans_alert"]);
  assert.deepEqual(of("tcp_fastretrans_alert"), ["tcp_ack"]);
  assert.deepEqual(of("bbr_main"), ["tcp_ack"]);
});
