import assert from "node:assert/strict";
import { runSocketReader } from "../../lib/experiments/sockets.ts";

Deno.test("a reader slower than the flow fills the receive buffer, then SOCKET_RCVBUFF drops", () => {
  const fast = runSocketReader({ pps: 100_000, durationNs: 10_000_000, workNs: 2_000 });
  const slow = runSocketReader({ pps: 100_000, durationNs: 10_000_000, workNs: 20_000 });
  assert.equal(fast.rcvbufDrops, 0);
  assert.equal(fast.read, fast.sent);
  assert.ok(slow.rcvbufDrops > 0);
  // everything sent is read, dropped, or still queued
  assert.ok(slow.read + slow.rcvbufDrops <= slow.sent);
  // the buffer runs full: rmem reaches within one datagram's truesize of sk_rcvbuf (212992)
  assert.ok(Math.max(...slow.rmem.map(([, b]) => b)) > 212992 - 832);
});

Deno.test("a smaller SO_RCVBUF drops sooner under the same overload", () => {
  const big = runSocketReader({ pps: 100_000, durationNs: 10_000_000, workNs: 12_000 });
  const small = runSocketReader({
    pps: 100_000,
    durationNs: 10_000_000,
    workNs: 12_000,
    rcvbuf: 8192,
  });
  assert.ok(small.rcvbufDrops > big.rcvbufDrops);
});

Deno.test("recvmmsg() reads a backlog in fewer system calls than recvfrom()", () => {
  const one = runSocketReader({ pps: 200_000, durationNs: 5_000_000, workNs: 3_000 });
  const many = runSocketReader({ pps: 200_000, durationNs: 5_000_000, workNs: 3_000, batch: 16 });
  assert.ok(many.syscalls < one.syscalls);
});

Deno.test("busy_read: the reader polls the NIC instead of sleeping — lower latency, more CPU", () => {
  const sleep = runSocketReader({ pps: 20_000, durationNs: 10_000_000, workNs: 1_000 });
  const busy = runSocketReader({
    pps: 20_000,
    durationNs: 10_000_000,
    workNs: 1_000,
    busyReadUs: 50,
  });
  assert.ok(sleep.wakeups > 0);
  assert.equal(busy.wakeups, 0); // sock_def_readable() finds nobody asleep
  assert.ok(busy.latencyNs.p50 < sleep.latencyNs.p50);
  const sys = (r: typeof busy) => r.cpuTime.reduce((a, c) => a + c.system, 0);
  assert.ok(sys(busy) > 5 * sys(sleep));
});

Deno.test("a blocking reader makes one call and takes one wakeup per datagram when they come one at a time", () => {
  const r = runSocketReader({ pps: 20_000, durationNs: 10_000_000, workNs: 1_000, readerCpu: 1 });
  assert.equal(r.read, 200);
  // the first call finds nothing and sleeps; each wakeup resumes it with a datagram
  assert.equal(r.syscalls, r.read + 1);
  assert.equal(r.wakeups, r.read);
  assert.equal(r.eagain, 0);
});

Deno.test("a non-blocking reader never sleeps: every call on an empty queue is an EAGAIN", () => {
  const r = runSocketReader({
    pps: 20_000,
    durationNs: 10_000_000,
    workNs: 1_000,
    readerCpu: 1,
    mode: "nonblocking",
  });
  assert.equal(r.read, 200);
  assert.equal(r.wakeups, 0);
  // every call read one or returned EAGAIN, but the one still going when the run ends
  assert.ok(r.syscalls - (r.read + r.eagain) <= 1);
  assert.ok(r.eagain > 10 * r.read);
});

Deno.test("an epoll reader makes three calls per datagram that comes alone: epoll_wait, the read, the EAGAIN", () => {
  const r = runSocketReader({
    pps: 20_000,
    durationNs: 10_000_000,
    workNs: 1_000,
    readerCpu: 1,
    mode: "epoll",
  });
  assert.equal(r.read, 200);
  assert.equal(r.wakeups, r.read);
  assert.equal(r.eagain, r.read);
  assert.equal(r.syscalls, 3 * r.read + 1);
});
