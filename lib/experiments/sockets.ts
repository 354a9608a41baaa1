// The socket end of the receive path as an experiment: a UDP flow at a steady rate into one
// socket on a host with a virtio-net NIC, read by a task that spends some time on each datagram
// and waits for the next in one of four ways: blocking in recvfrom() (or recvmmsg()), the same
// with busy polling (net.core.busy_read), non-blocking recvfrom() calls in a loop (EAGAIN while
// the queue is empty), or epoll_wait() then non-blocking reads until EAGAIN. It measures what
// reaches the reader, what the receive buffer refuses (SOCKET_RCVBUFF), how long a datagram
// waits from the NIC to the reader, the system calls and wakeups, and where the CPU time goes.

import { napiBusyLoop } from "../core/dev.ts";
import { Task, type TaskBody } from "../sim/cpu.ts";
import { buildFrame } from "../wire/build.ts";
import { udpRecvmsg } from "../ipv4/udp.ts";
import { loadScenario } from "../scenario/scenario.ts";
import { scenarioHost } from "../scenario/replay.ts";
import { percentile } from "./rx.ts";

/** What {@linkcode runSocketReader} sets up. */
export interface SocketReaderExperiment {
  /** Datagrams per second arriving. */
  pps: number;
  /** How long the flow lasts, ns. */
  durationNs: number;
  /** UDP payload bytes, default 64. */
  payload?: number;
  /** CPU time the application spends on each datagram after reading it, ns. */
  workNs: number;
  /** SO_RCVBUF asked for, bytes; default: net.core.rmem_default. */
  rcvbuf?: number;
  /** Datagrams per system call: 1 is recvfrom(), more is recvmmsg() with that vlen. */
  batch?: number;
  /** CPU the reader runs on (the NIC's interrupt goes to CPU 0), default 0. */
  readerCpu?: number;
  /** net.core.busy_read, µs: poll the NIC from recvmsg() before sleeping; default 0. */
  busyReadUs?: number;
  /**
   * How the reader waits: `blocking` recvfrom() (the default), `nonblocking` recvfrom() in a
   * loop, or `epoll`: epoll_wait() on the socket, then non-blocking reads until EAGAIN.
   */
  mode?: "blocking" | "nonblocking" | "epoll";
  /** Seed, default 1. */
  seed?: number;
}

/** What {@linkcode runSocketReader} measured. */
export interface SocketReaderResult {
  /** Datagrams sent. */
  sent: number;
  /** Datagrams the reader got. */
  read: number;
  /** Datagrams the receive buffer refused (sk_drops, UdpRcvbufErrors). */
  rcvbufDrops: number;
  /** Times the reader was woken by sock_def_readable(). */
  wakeups: number;
  /** System calls the reader made. */
  syscalls: number;
  /** Of those, reads that found the queue empty and returned EAGAIN. */
  eagain: number;
  /** NIC arrival to the reader's return from the system call, ns: 50th and 99th percentile. */
  latencyNs: { p50: number; p99: number };
  /** Every datagram's latency, ns, in the order read. */
  latenciesNs: number[];
  /** The socket's sk_rmem_alloc over time: [ns, bytes]. */
  rmem: [number, number][];
  /** CPU time of each CPU by context, ns. */
  cpuTime: { cpu: number; user: number; system: number; softirq: number; irq: number }[];
}

/**
 * Runs the experiment.
 * @param exp rate, duration, reader's work, buffer, batch, CPU, busy polling
 * @returns counts, latency percentiles, buffer occupancy, CPU time
 * @example
 * ```ts
 * import { runSocketReader } from "@rxpath/rxpath";
 * const r = runSocketReader({ pps: 100_000, durationNs: 2_000_000, workNs: 2_000 });
 * console.log(r.sent, r.read + r.rcvbufDrops <= r.sent); // 200 true
 * ```
 */
export function runSocketReader(exp: SocketReaderExperiment): SocketReaderResult {
  const readerCpu = exp.readerCpu ?? 0;
  const scenario = loadScenario({
    ingress: "eth0",
    interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }],
    sysctl: { "net.core.busy_read": exp.busyReadUs ?? 0 },
    sockets: [{
      proto: "udp",
      local: "0.0.0.0:5000",
      ...(exp.rcvbuf ? { rcvbuf: exp.rcvbuf } : {}),
    }],
  });
  const { host, inject, sockets, nic } = scenarioHost(scenario, {
    nic: "virtio",
    cpus: Math.max(2, readerCpu + 1),
    seed: exp.seed ?? 1,
  });
  const sim = host.sim;
  const sk = sockets[0];
  const frame = buildFrame({
    ipv4: { saddr: "10.1.0.7", daddr: "10.1.0.2" },
    udp: { source: 6000, dest: 5000 },
    payload: exp.payload ?? 64,
  });
  const gap = 1e9 / exp.pps;
  const sent = Math.floor(exp.durationNs / gap);
  for (let i = 0; i < sent; i++) sim.at(Math.round(i * gap), () => inject(frame));
  const latencies: number[] = [];
  const rmem: [number, number][] = [];
  let syscalls = 0;
  let eagain = 0;
  const batch = exp.batch ?? 1;
  const mode = exp.mode ?? "blocking";
  const napi = nic!.rq[0].napi;
  const cpu = sim.cpus[readerCpu];
  const reader = new Task("reader", readerBody());
  // One system call's entry and exit, or the same work when a sleeping call resumes (counted
  // once: it is the same call); the kit charges epoll_wait() as a recvmsg()
  let resumed = false;
  const syscall = () => {
    if (!resumed) syscalls++;
    resumed = false;
    return { op: "system", ns: host.sim.costs.ns.recvmsg } as const;
  };
  function* readBatch(): TaskBody {
    for (let n = 0; n < batch && sk.receiveQueue.length; n++) {
      const got = udpRecvmsg(host, sk, cpu)!;
      latencies.push(sim.now - got.arrived);
      yield exp.workNs; // the application's own work, user time
    }
  }
  function* readerBody(): TaskBody {
    for (;;) {
      if (mode === "epoll") {
        // epoll_wait(): asleep on the socket's wait queue until ep_poll_callback() wakes it
        yield syscall();
        if (sk.receiveQueue.length === 0) {
          sk.waiters.push(reader);
          yield { op: "sleep" };
          resumed = true;
          continue;
        }
        // then read until EAGAIN (edge- or level-triggered alike)
        for (;;) {
          yield syscall();
          if (!sk.receiveQueue.length) break;
          yield* readBatch();
        }
        eagain++;
        continue;
      }
      yield syscall();
      if (sk.receiveQueue.length === 0 && sk.llUsec > 0) {
        // sk_busy_loop(): poll the NIC this socket's packets come from, up to busy_read µs
        const end = sim.now + sk.llUsec * 1000;
        yield* napiBusyLoop(host, cpu, napi, () => sk.receiveQueue.length > 0 || sim.now >= end);
      }
      if (sk.receiveQueue.length === 0) {
        if (mode === "nonblocking") {
          eagain++; // MSG_DONTWAIT: -EAGAIN, and the loop asks again
          continue;
        }
        // __skb_wait_for_more_packets(): asleep until sock_def_readable() wakes it
        sk.waiters.push(reader);
        yield { op: "sleep" };
        resumed = true;
        continue;
      }
      yield* readBatch();
    }
  }
  cpu.addTask(reader);
  const bin = Math.max(exp.durationNs / 100, 1000);
  for (let t = 0; t <= exp.durationNs; t += bin) sim.at(t, () => rmem.push([t, sk.rmemAlloc]));
  sim.run(exp.durationNs + 1_000_000);
  return {
    sent,
    read: latencies.length,
    rcvbufDrops: sk.drops,
    wakeups: reader.wakeups,
    syscalls,
    eagain,
    latencyNs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    latenciesNs: latencies,
    rmem,
    cpuTime: sim.cpus.map((c) => ({ cpu: c.id, ...c.time })),
  };
}
