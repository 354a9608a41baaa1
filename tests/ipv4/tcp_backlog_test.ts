// The owner's backlog: net/ipv4/tcp_ipv4.c tcp_v4_rcv() → tcp_add_backlog() while a task holds
// the socket, net/core/sock.c release_sock() → __release_sock(), tcp_release_cb().
import assert from "node:assert/strict";
import { buildFrame } from "../../lib/wire/build.ts";
import { createHost } from "../../lib/init/main.ts";
import { inAton } from "../../lib/wire/ipv4.ts";
import { inetAddAddr } from "../../lib/ipv4/devinet.ts";
import { Tun } from "../../lib/drivers/tun.ts";
import { tcpListen } from "../../lib/ipv4/tcp_ipv4.ts";
import { lockSock, releaseSock } from "../../lib/core/sock.ts";
import { liveTcpPacket } from "../../lib/packetdrill/packet.ts";

// A host with a TUN device and an established connection; segments are written in as
// packetdrill writes them
function connection(rcvbuf?: number) {
  const host = createHost({ cpus: 1 });
  const tun = new Tun(host, "tun0");
  inetAddAddr(host, tun.dev, inAton("192.168.0.2"), 16);
  const listener = tcpListen(host, 0, 8080, 4, rcvbuf ? { rcvbuf } : {});
  const cpu = host.sim.cpus[0];
  const frame = (flags: string, seq: number, ack: number, payload = 0) =>
    buildFrame({
      ipv4: { saddr: "192.168.0.7", daddr: "192.168.0.2" },
      tcp: { source: 40000, dest: 8080, flags, seq, ackSeq: ack, window: 65535 },
      payload,
      pad: false,
    }).slice(14);
  const sent: string[] = [];
  // what the host sent since, as the ACK numbers relative to the peer's first byte
  const drain = () => {
    for (let r = tun.read(); r; r = tun.read()) {
      sent.push(`ack ${liveTcpPacket(r.packet, 0)!.ack - 1}`);
    }
  };
  const send = (flags: string, seq: number, payload = 0) => {
    tun.write(cpu, frame(flags, seq, isn + 1, payload));
    host.sim.run(host.sim.now + 100_000);
    drain();
  };
  tun.write(cpu, frame("S", 0, 0));
  host.sim.run(1_000_000);
  const isn = liveTcpPacket(tun.read()!.packet, 0)!.seq;
  send("A", 1);
  return { host, cpu, sk: listener.acceptQueue[0], send, sent, drain };
}

Deno.test("a segment for a socket a task holds waits on the backlog unanswered, and is taken at release_sock()", () => {
  const { host, cpu, sk, send, sent, drain } = connection();
  lockSock(sk);
  send("A", 1, 1000);
  assert.deepEqual(sent, []);
  assert.equal(sk.backlog.length, 1);
  assert.equal(sk.backlogLen, sk.backlog[0].truesize);
  assert.equal(sk.rcvNxt - sk.tcp!.copiedSeq, 0);
  releaseSock(host, cpu, sk);
  drain();
  assert.deepEqual(sent, ["ack 1000"]); // the first data: a quick ACK
  assert.equal(sk.backlog.length, 0);
  assert.equal(sk.backlogLen, 0);
  assert.equal(sk.rcvNxt - sk.tcp!.copiedSeq, 1000);
});

Deno.test("the backlog takes up to 2 × sk_rcvbuf + sk_sndbuf/2 + 64 KB with the receive queue; beyond, SOCKET_BACKLOG (TCPBacklogDrop)", () => {
  // SO_RCVBUF 2304: sk_rcvbuf 4608; sk_sndbuf 69120 (tcp_sndbuf_expand() under bbr: 3 × 10 ×
  // 2304, the SYN's MSS the default 536); limit 9216 + 34560 + 65536 = 109312 bytes of
  // truesize, so 1000-byte segments (truesize 2304) are queued while what is already there is
  // not above it: the 48th finds 47 × 2304 = 108288, the 49th 110592
  const { host, sk, send } = connection(2304);
  assert.equal(sk.sndbuf, 69120);
  lockSock(sk);
  const drops: string[] = [];
  host.sim.ledger.onEnd = (f) => {
    if (f.kind === "dropped") drops.push(f.reason!);
  };
  for (let i = 0; i < 50; i++) send("A", 1 + i * 1000, 1000);
  assert.equal(sk.backlog.length, 48);
  assert.equal(host.mib.tcpExt.TCPBacklogDrop, 2);
  assert.deepEqual(drops, ["SOCKET_BACKLOG", "SOCKET_BACKLOG"]);
});

Deno.test("small segments that continue the backlog's last one are copied into its room (TCPBacklogCoalesce) and acknowledged as one", () => {
  const { host, cpu, sk, send, sent, drain } = connection();
  lockSock(sk);
  for (let i = 0; i < 3; i++) send("PA", 1 + i * 10, 10);
  assert.equal(sk.backlog.length, 1);
  assert.equal(host.mib.tcpExt.TCPBacklogCoalesce, 2);
  releaseSock(host, cpu, sk);
  drain();
  assert.deepEqual(sent, ["ack 30"]);
  assert.equal(sk.rcvNxt - sk.tcp!.copiedSeq, 30);
});

Deno.test("a delayed ACK due while the socket is held waits for tcp_release_cb() (DelayedACKLocked)", () => {
  const { host, cpu, sk, send, sent, drain } = connection();
  // the sixteen quick ACKs used up, one small segment arms the delayed-ACK timer
  for (let i = 0; i < 16; i++) send("A", 1 + i * 1000, 1000);
  sent.length = 0;
  send("PA", 16001, 10);
  assert.deepEqual(sent, []);
  lockSock(sk);
  host.sim.run(host.sim.now + 500_000_000);
  assert.equal(host.mib.tcpExt.DelayedACKLocked, 1);
  assert.deepEqual(sent, []);
  releaseSock(host, cpu, sk);
  drain();
  assert.equal(host.mib.tcpExt.DelayedACKs, 1);
  assert.deepEqual(sent, ["ack 16010"]);
});
