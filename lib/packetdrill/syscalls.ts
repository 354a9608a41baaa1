// The system calls of a packetdrill run (gtests/net/packetdrill/run_system_call.c) on the kit's
// TCP sockets, one handler per call in a table: socket, bind, listen, accept, connect,
// setsockopt/getsockopt (the options the receive side has), read/recv/recvfrom/recvmsg (with
// TCP_CM_INQ), write (only as it fails after SHUT_WR), shutdown, ioctl SIOCINQ/FIONREAD, fcntl
// O_NONBLOCK, poll, epoll_create/epoll_ctl/epoll_wait, close. A call that would block waits
// on the socket's wait queue, woken as sock_def_readable() wakes a reader.

import type { Host } from "../init/main.ts";
import { tcpListen, tcpV4Connect } from "../ipv4/tcp_ipv4.ts";
import { TCP_FIN_TIMEOUT_MAX_S, tcpSetKeepalive, tcpSetKeepidle } from "../ipv4/tcp_timer.ts";
import { udpClose, udpConnect, udpRecvmsg, udpSocket } from "../ipv4/udp.ts";
import { type Sock, sockSetRcvbuf, TCP_STATES } from "../core/sock.ts";
import {
  ECONNRESET,
  EPIPE,
  ETIMEDOUT,
  tcpClose,
  tcpInq,
  tcpInqHint,
  tcpRecvmsg,
  tcpSetQuickack,
  tcpSetRcvlowat,
  tcpShutdown,
} from "../ipv4/tcp.ts";
import type { Cpu } from "../sim/cpu.ts";
import type { Expr, SyscallSpec } from "./script.ts";
import { epollEvents, EpollInstance, pollEventsText, sockPoll } from "./epoll.ts";

/** A file descriptor the script opened: a TCP socket, or an epoll instance. */
export interface ScriptFd {
  /** The listening socket after listen(). */
  listener: Sock | null;
  /** The connection after accept() or connect(). */
  sk: Sock | null;
  /** O_NONBLOCK is set. */
  nonblock: boolean;
  /** connect() was called and has not yet returned its outcome. */
  connecting?: boolean;
  /** TCP_INQ is set: reads return a TCP_CM_INQ control message. */
  inq?: boolean;
  /** TCP_NODELAY is set (it changes only how data is sent, which the kit does not model). */
  nodelay?: boolean;
  /** SO_RCVBUF given before listen() or connect() made the kernel socket. */
  rcvbuf?: number;
  /** SO_RCVLOWAT given before the kernel socket existed. */
  rcvlowat?: number;
  /** TCP_USER_TIMEOUT given before the kernel socket existed, ms. */
  userTimeout?: number;
  /** TCP_MAXSEG given before the kernel socket existed. */
  userMss?: number;
  /** TCP_DEFER_ACCEPT given before listen(), as SYN-ACK timeouts. */
  deferAccept?: number;
  /** SO_LINGER's time given before the kernel socket existed (null: off). */
  lingerTime?: number | null;
  /** TCP_LINGER2 given before the kernel socket existed, jiffies as linger2 holds it. */
  linger2?: number;
  /** SO_KEEPALIVE and TCP_KEEPIDLE/KEEPINTVL/KEEPCNT given before the kernel socket existed. */
  keepalive?: { open: boolean; time: number; intvl: number; probes: number };
  /** For an epoll_create() descriptor, the instance. */
  epoll?: EpollInstance;
  /** A UDP socket (SOCK_DGRAM): bind() makes its kernel socket. */
  udp?: boolean;
}

/** What the system calls work on. */
export interface SyscallContext {
  /** The host. */
  host: Host;
  /** The CPU the calls run on. */
  cpu: Cpu;
  /** The script's descriptors. */
  fds: Map<number, ScriptFd>;
  /** The port bind() gives (packetdrill's default, 8080). */
  bindPort: number;
  /** Where connect(..., ...) goes: packetdrill's remote address and port. */
  remote: { addr: number; port: number };
}

/** A call's outcome: its return value and errno (and what it wrote back), or that it blocks. */
export type SyscallOutcome =
  | { result: number; errno: string | null; out?: string | null }
  | "blocked";

// include/uapi/asm-generic/errno-base.h and errno.h: what the kit's calls can fail with
const ERRNO: Record<string, [number, string]> = {
  ENOENT: [2, "No such file or directory"],
  EBADF: [9, "Bad file descriptor"],
  EAGAIN: [11, "Resource temporarily unavailable"],
  EINVAL: [22, "Invalid argument"],
  EPIPE: [32, "Broken pipe"],
  ENOPROTOOPT: [92, "Protocol not available"],
  ENETUNREACH: [101, "Network is unreachable"],
  ECONNRESET: [104, "Connection reset by peer"],
  EISCONN: [106, "Transport endpoint is already connected"],
  ENOTCONN: [107, "Transport endpoint is not connected"],
  ETIMEDOUT: [110, "Connection timed out"],
  ECONNREFUSED: [111, "Connection refused"],
  EALREADY: [114, "Operation already in progress"],
  EINPROGRESS: [115, "Operation now in progress"],
};

// include/uapi/asm-generic/fcntl.h, socket.h, include/uapi/linux/tcp.h
const O_RDWR = 2;
const O_NONBLOCK = 0o4000;
// include/linux/socket.h: a call that does not wait, whatever the descriptor's mode
const MSG_DONTWAIT = 0x40;
// include/linux/socket.h: read without taking
const MSG_PEEK = 2;
const SYMBOLS: Record<string, number> = {
  O_RDWR,
  O_NONBLOCK,
  MSG_DONTWAIT,
  MSG_PEEK,
  F_GETFL: 3,
  F_SETFL: 4,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  SOL_SOCKET: 1,
  SOL_TCP: 6,
  IPPROTO_TCP: 6,
};

/**
 * An integer a script writes: a number, a known symbol, or symbols or-ed together; `[n]` is n.
 * @param e the expression
 * @returns its value, or null
 */
export function intValue(e: Expr | undefined): number | null {
  if (!e) return null;
  if (e.kind === "int") return e.value;
  if (e.kind === "word") return SYMBOLS[e.word] ?? epollEvents(e.word);
  if (e.kind === "or") {
    const a = intValue(e.left), b = intValue(e.right);
    return a === null || b === null ? null : a | b;
  }
  if (e.kind === "array" && e.items.length === 1) return intValue(e.items[0]);
  return null;
}

const word = (e: Expr | undefined) => e?.kind === "word" ? e.word : null;
const ok = (result: number) => ({ result, errno: null });
const fail = (errno: string) => ({ result: -1, errno });

interface Handler {
  // what in the call the kit does not model, checked before the script runs
  check?: (sc: SyscallSpec) => string | null;
  run: (ctx: SyscallContext, sc: SyscallSpec, fd: ScriptFd | undefined) => SyscallOutcome;
}

// setsockopt/getsockopt names the kit acts on, by level
const SOCKOPTS = new Set([
  "SO_REUSEADDR",
  "SO_ERROR",
  "SO_RCVBUF",
  "SO_RCVLOWAT",
  "TCP_INQ",
  "TCP_MAXSEG",
  "TCP_NODELAY",
  "TCP_QUICKACK",
  "TCP_USER_TIMEOUT",
  "SO_KEEPALIVE",
  "TCP_KEEPIDLE",
  "TCP_KEEPINTVL",
  "TCP_KEEPCNT",
  "TCP_LINGER2",
  "TCP_DEFER_ACCEPT",
]);

// include/net/tcp.h: MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT
const KEEPALIVE_MAX: Record<string, number> = {
  TCP_KEEPIDLE: 32767,
  TCP_KEEPINTVL: 32767,
  TCP_KEEPCNT: 127,
};

const HANDLERS: Record<string, Handler> = {
  socket: {
    check: (sc) => {
      const type = word(sc.args[1]), proto = word(sc.args[2]);
      if (type === "SOCK_STREAM" && proto === "IPPROTO_TCP") return null;
      if (type === "SOCK_DGRAM" && proto === "IPPROTO_UDP") return null;
      return "only TCP (SOCK_STREAM) and UDP (SOCK_DGRAM) sockets are modelled";
    },
    run: (ctx, sc) => {
      const want = intValue(sc.result) ?? -1;
      const udp = word(sc.args[1]) === "SOCK_DGRAM";
      ctx.fds.set(want, { listener: null, sk: null, nonblock: false, udp });
      return ok(want);
    },
  },
  bind: {
    run: (ctx, _sc, fd) => {
      if (!fd) return fail("EBADF");
      if (fd.udp && !fd.sk) {
        fd.sk = udpSocket(ctx.host, { addr: 0, port: ctx.bindPort, rcvbuf: fd.rcvbuf });
      }
      return ok(0);
    },
  },
  listen: {
    run: (ctx, sc, fd) => {
      if (!fd) return fail("EBADF");
      fd.listener = tcpListen(ctx.host, 0, ctx.bindPort, intValue(sc.args[1]) ?? 0, {
        rcvbuf: fd.rcvbuf,
      });
      applyEarlyOptions(ctx, fd, fd.listener);
      return ok(0);
    },
  },
  accept: {
    run: (ctx, sc, fd) => {
      const listener = fd?.listener;
      if (!listener) return fail(fd ? "EINVAL" : "EBADF");
      const child = listener.acceptQueue.shift();
      if (!child) return fd.nonblock ? fail("EAGAIN") : "blocked";
      ctx.fds.set(intValue(sc.result) ?? -1, { listener: null, sk: child, nonblock: false });
      return ok(intValue(sc.result) ?? -1);
    },
  },
  connect: {
    run: (ctx, _sc, fd) => {
      if (!fd) return fail("EBADF");
      if (!fd.udp) return connect(ctx, fd);
      // inet_dgram_connect(): an unbound socket is bound to an ephemeral port first
      fd.sk ??= udpSocket(ctx.host, {
        addr: 0,
        port: 32768 + ctx.host.sim.rng.nextU32() % (60999 - 32768 + 1),
        rcvbuf: fd.rcvbuf,
      });
      const rc = udpConnect(ctx.host, fd.sk, ctx.remote.addr, ctx.remote.port);
      return rc < 0 ? fail("ENETUNREACH") : ok(0);
    },
  },
  setsockopt: {
    check: (sc) => {
      if (word(sc.args[2]) === "SO_LINGER") {
        const l = linger(sc);
        if (!l) return "SO_LINGER takes {onoff=N, linger=N} here";
        return l.onoff && l.linger
          ? "SO_LINGER with a linger time (a close() that waits for its FIN's ACK) is not modelled"
          : null;
      }
      return SOCKOPTS.has(word(sc.args[2]) ?? "") && word(sc.args[2]) !== "SO_ERROR"
        ? null
        : `setsockopt ${word(sc.args[2]) ?? "?"} is not modelled`;
    },
    run: (ctx, sc, fd) => {
      if (!fd) return fail("EBADF");
      const val = intValue(sc.args[3]) ?? 0;
      const sk = fd.sk ?? fd.listener;
      switch (word(sc.args[2])) {
        case "TCP_INQ":
          fd.inq = val !== 0;
          break;
        case "TCP_NODELAY":
          fd.nodelay = val !== 0;
          break;
        case "SO_RCVBUF":
          if (sk) sockSetRcvbuf(sk, val, ctx.host.sysctl["net.core.rmem_max"]);
          else fd.rcvbuf = val;
          break;
        case "SO_RCVLOWAT":
          if (val < 0) return fail("EINVAL");
          if (sk) tcpSetRcvlowat(ctx.host, ctx.cpu, sk, val);
          else fd.rcvlowat = val;
          break;
        case "TCP_QUICKACK":
          if (sk) tcpSetQuickack(ctx.host, ctx.cpu, sk, val);
          break;
        case "TCP_DEFER_ACCEPT": {
          // do_tcp_setsockopt(): seconds as the SYN-ACK timeouts that cover them
          const retrans = secsToRetrans(val);
          if (sk) sk.deferAccept = retrans;
          else fd.deferAccept = retrans;
          break;
        }
        case "TCP_MAXSEG":
          // do_tcp_setsockopt(): 0, or TCP_MIN_MSS to MAX_TCP_WINDOW; it bounds the MSS the
          // next SYN or SYN-ACK announces and takes, not a connection's present one
          if (val && (val < 88 || val > 32767)) return fail("EINVAL");
          if (sk) sk.userMss = val;
          else fd.userMss = val;
          break;
        case "TCP_USER_TIMEOUT":
          // tcp_sock_set_user_timeout(): any non-negative number of ms
          if (val < 0) return fail("EINVAL");
          if (sk) sk.userTimeout = val;
          else fd.userTimeout = val;
          break;
        case "SO_KEEPALIVE":
        case "TCP_KEEPIDLE":
        case "TCP_KEEPINTVL":
        case "TCP_KEEPCNT": {
          // do_tcp_setsockopt(): 1 to the maximum, else EINVAL
          const name = word(sc.args[2])!;
          if (name !== "SO_KEEPALIVE" && (val < 1 || val > KEEPALIVE_MAX[name])) {
            return fail("EINVAL");
          }
          const k = fd.keepalive ??= { open: false, time: 0, intvl: 0, probes: 0 };
          if (name === "SO_KEEPALIVE") k.open = val !== 0;
          else {k[
              name === "TCP_KEEPIDLE" ? "time" : name === "TCP_KEEPINTVL" ? "intvl" : "probes"
            ] = val;}
          if (!sk) break;
          if (name === "SO_KEEPALIVE") tcpSetKeepalive(ctx.host, ctx.cpu, sk, val !== 0);
          else if (name === "TCP_KEEPIDLE") tcpSetKeepidle(ctx.host, ctx.cpu, sk, val);
          else sk.keepalive[name === "TCP_KEEPINTVL" ? "intvl" : "probes"] = val;
          break;
        }
        case "TCP_LINGER2": {
          // do_tcp_setsockopt(): negative is -1 (reset at once), else seconds within
          // TCP_FIN_TIMEOUT_MAX, as jiffies
          const hz = ctx.host.hz;
          const v = val < 0 ? -1 : Math.min(val, TCP_FIN_TIMEOUT_MAX_S) * hz;
          if (sk) sk.linger2 = v;
          else fd.linger2 = v;
          break;
        }
        case "SO_LINGER": {
          // sk_setsockopt(): SOCK_LINGER on with its time, or off
          const l = linger(sc)!;
          const time = l.onoff ? l.linger : null;
          if (sk) sk.lingerTime = time;
          else fd.lingerTime = time;
          break;
        }
      }
      return ok(0);
    },
  },
  getsockopt: {
    check: (sc) =>
      SOCKOPTS.has(word(sc.args[2]) ?? "")
        ? null
        : `getsockopt ${word(sc.args[2]) ?? "?"} is not modelled`,
    run: (ctx, sc, fd) => {
      if (!fd) return fail("EBADF");
      const tp = fd.sk?.tcp;
      switch (word(sc.args[2])) {
        case "SO_ERROR": {
          // sock_error(): the pending error, cleared as it is read
          const error = tp?.error ?? null;
          if (tp) tp.error = null;
          return { result: 0, errno: null, out: String(error ? ERRNO[error][0] : 0) };
        }
        case "TCP_INQ":
          return { result: 0, errno: null, out: String(fd.inq ? 1 : 0) };
        case "TCP_DEFER_ACCEPT": {
          const retrans = (fd.sk ?? fd.listener)?.deferAccept ?? fd.deferAccept ?? 0;
          return { result: 0, errno: null, out: String(retransToSecs(retrans)) };
        }
        case "TCP_MAXSEG": {
          // do_tcp_getsockopt(): mss_cache (TCP_MSS_DEFAULT before a connection), but TCP_MAXSEG
          // itself for a closed or listening socket that has one
          const sk = fd.sk ?? fd.listener;
          const userMss = sk ? sk.userMss : fd.userMss ?? 0;
          const closed = !sk || sk.state === TCP_STATES.CLOSE || sk.state === TCP_STATES.LISTEN;
          const val = userMss && closed ? userMss : tp?.mssCache ?? 536;
          return { result: 0, errno: null, out: String(val) };
        }
        case "TCP_NODELAY":
          return { result: 0, errno: null, out: String(fd.nodelay ? 1 : 0) };
        case "TCP_QUICKACK":
          return { result: 0, errno: null, out: String(tp && !tp.pingpong ? 1 : 0) };
        case "SO_RCVBUF": {
          const sk = fd.sk ?? fd.listener;
          const pending = fd.rcvbuf === undefined
            ? ctx.host.ipv4.tcpRmem[1] // tcp_init_sock()
            : Math.max(2 * Math.min(fd.rcvbuf, ctx.host.sysctl["net.core.rmem_max"]), 2304);
          return { result: 0, errno: null, out: String(sk ? sk.rcvbuf : pending) };
        }
        case "SO_RCVLOWAT":
          return { result: 0, errno: null, out: String((fd.sk ?? fd.listener)?.rcvlowat ?? 1) };
        case "TCP_USER_TIMEOUT": {
          const sk = fd.sk ?? fd.listener;
          return { result: 0, errno: null, out: String(sk ? sk.userTimeout : fd.userTimeout ?? 0) };
        }
        case "TCP_LINGER2": {
          // do_tcp_getsockopt(): seconds, tcp_fin_timeout for 0, -1 as it is
          const v = (fd.sk ?? fd.listener)?.linger2 ?? fd.linger2 ?? 0;
          const secs = v < 0 ? -1 : v / ctx.host.hz || ctx.host.sysctl["net.ipv4.tcp_fin_timeout"];
          return { result: 0, errno: null, out: String(secs) };
        }
        case "SO_KEEPALIVE": {
          const open = (fd.sk ?? fd.listener)?.keepOpen ?? fd.keepalive?.open ?? false;
          return { result: 0, errno: null, out: String(open ? 1 : 0) };
        }
        case "TCP_KEEPIDLE":
        case "TCP_KEEPINTVL":
        case "TCP_KEEPCNT": {
          // do_tcp_getsockopt(): the socket's value, else the sysctl's
          const name = word(sc.args[2])!;
          const field = name === "TCP_KEEPIDLE"
            ? "time"
            : name === "TCP_KEEPINTVL"
            ? "intvl"
            : "probes";
          const sysctl = {
            time: "tcp_keepalive_time",
            intvl: "tcp_keepalive_intvl",
            probes: "tcp_keepalive_probes",
          }[field];
          const v = (fd.sk ?? fd.listener)?.keepalive[field] || fd.keepalive?.[field] ||
            ctx.host.sysctl[`net.ipv4.${sysctl}`];
          return { result: 0, errno: null, out: String(v) };
        }
      }
      return fail("ENOPROTOOPT");
    },
  },
  read: { run: (ctx, sc, fd) => recv(ctx, fd, intValue(sc.args[2]) ?? 0) },
  recv: {
    check: recvFlags(3),
    run: (ctx, sc, fd) => recv(ctx, fd, intValue(sc.args[2]) ?? 0, readFlags(sc, 3)),
  },
  recvfrom: {
    check: recvFlags(3),
    run: (ctx, sc, fd) => recv(ctx, fd, intValue(sc.args[2]) ?? 0, readFlags(sc, 3)),
  },
  recvmsg: {
    check: (sc) =>
      recvFlags(2)(sc) ?? (iovLength(sc) === null ? "recvmsg takes one iovec here" : null),
    run: (ctx, sc, fd) => {
      const r = recv(ctx, fd, iovLength(sc)!, readFlags(sc, 2));
      if (r === "blocked" || r.result < 0 || !fd?.inq || !fd.sk?.tcp) return r;
      return { ...r, out: String(tcpInqHint(fd.sk)) };
    },
  },
  write: {
    check: (sc) =>
      intValue(sc.result) === -1 && sc.errno === "EPIPE"
        ? null
        : "the write() system call is not modelled (sending data): only a write failing with EPIPE",
    run: (_ctx, _sc, fd) => {
      if (!fd?.sk?.tcp) return fail(fd ? "EPIPE" : "EBADF");
      return fd.sk.tcp.sendShutdown || fd.sk.state === TCP_STATES.CLOSE
        ? fail("EPIPE")
        : fail("EAGAIN");
    },
  },
  shutdown: {
    run: (ctx, sc, fd) => {
      if (!fd?.sk) return fail(fd ? "ENOTCONN" : "EBADF");
      const how = intValue(sc.args[1]);
      if (how === null || how < 0 || how > 2) return fail("EINVAL");
      const rc = tcpShutdown(ctx.host, ctx.cpu, fd.sk, { read: how !== 1, write: how !== 0 });
      return rc < 0 ? fail("ENOTCONN") : ok(0);
    },
  },
  ioctl: {
    check: (sc) =>
      ["SIOCINQ", "FIONREAD"].includes(word(sc.args[1]) ?? "")
        ? null
        : `ioctl ${word(sc.args[1]) ?? "?"} is not modelled`,
    run: (_ctx, _sc, fd) => {
      // udp_ioctl(SIOCINQ): the payload of the next datagram, 0 with none
      if (fd?.udp) return { result: 0, errno: null, out: String(fd.sk?.receiveQueue[0]?.len ?? 0) };
      if (!fd?.sk?.tcp) return fail(fd ? "EINVAL" : "EBADF");
      return { result: 0, errno: null, out: String(tcpInq(fd.sk)) };
    },
  },
  fcntl: {
    check: (sc) =>
      ["F_GETFL", "F_SETFL"].includes(word(sc.args[1]) ?? "")
        ? null
        : `fcntl ${word(sc.args[1]) ?? "?"} is not modelled`,
    run: (_ctx, sc, fd) => {
      if (!fd) return fail("EBADF");
      if (word(sc.args[1]) === "F_GETFL") return ok(O_RDWR | (fd.nonblock ? O_NONBLOCK : 0));
      fd.nonblock = ((intValue(sc.args[2]) ?? 0) & O_NONBLOCK) !== 0;
      return ok(0);
    },
  },
  poll: {
    check: (sc) =>
      sc.args[0]?.kind === "array" && sc.args[0].items.every((i) => i.kind === "struct")
        ? null
        : "poll takes an array of pollfd structs here",
    run: (ctx, sc) => {
      const items = sc.args[0].kind === "array" ? sc.args[0].items : [];
      const timeout = intValue(sc.args[2]) ?? 0;
      let ready = 0;
      const revents: string[] = [];
      for (const item of items) {
        const f = (name: string) =>
          item.kind === "struct" ? item.fields.find((x) => x.name === name)?.value : undefined;
        const fd = ctx.fds.get(intValue(f("fd")) ?? -1);
        const sk = fd?.sk ?? fd?.listener;
        // POLLERR and POLLHUP are always reported (sock_poll())
        const mask = sk ? sockPoll(sk) & ((intValue(f("events")) ?? 0) | 0x18) : 0;
        if (mask) ready++;
        revents.push(pollEventsText(mask));
      }
      if (!ready && timeout !== 0) return "blocked";
      return { result: ready, errno: null, out: revents.join(",") };
    },
  },
  epoll_create: {
    run: (ctx, sc) => {
      const want = intValue(sc.result) ?? -1;
      ctx.fds.set(want, { listener: null, sk: null, nonblock: false, epoll: new EpollInstance() });
      return ok(want);
    },
  },
  epoll_ctl: {
    check: (sc) =>
      ["EPOLL_CTL_ADD", "EPOLL_CTL_MOD", "EPOLL_CTL_DEL"].includes(word(sc.args[1]) ?? "")
        ? null
        : "epoll_ctl takes EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL",
    run: (ctx, sc, fd) => {
      const ep = fd?.epoll;
      const target = ctx.fds.get(intValue(sc.args[2]) ?? -1);
      const sk = target?.sk ?? target?.listener;
      if (!ep || !sk) return fail("EBADF");
      const ev = sc.args[3];
      const events = ev?.kind === "struct"
        ? intValue(ev.fields.find((x) => x.name === "events")?.value) ?? 0
        : 0;
      return ep.ctl(word(sc.args[1])!, intValue(sc.args[2])!, sk, events) ? ok(0) : fail("EINVAL");
    },
  },
  epoll_wait: {
    run: (_ctx, sc, fd) => {
      const ep = fd?.epoll;
      if (!ep) return fail("EINVAL");
      const ready = ep.wait(intValue(sc.args[2]) ?? 1);
      if (!ready.length && (intValue(sc.args[3]) ?? 0) !== 0) return "blocked";
      return { result: ready.length, errno: null, out: ready.join(",") };
    },
  },
  close: {
    run: (ctx, sc, fd) => {
      if (!fd) return fail("EBADF");
      if (fd.udp && fd.sk) udpClose(ctx.host, fd.sk);
      else if (fd.sk) tcpClose(ctx.host, ctx.cpu, fd.sk);
      if (fd.listener) tcpClose(ctx.host, ctx.cpu, fd.listener);
      ctx.fds.delete(intValue(sc.args[0])!);
      return ok(0);
    },
  },
};

/** The system calls the kit runs. */
export const SYSCALLS: ReadonlySet<string> = new Set(Object.keys(HANDLERS));

// net/ipv4/tcp.c: TCP_TIMEOUT_INIT and TCP_RTO_MAX in seconds, for TCP_DEFER_ACCEPT's count
const DEFER_TIMEOUT_S = 1;
const DEFER_RTO_MAX_S = 120;

// secs_to_retrans(): how many SYN-ACK timeouts (1 s, doubling, at most 120 s) cover `seconds`
function secsToRetrans(seconds: number): number {
  if (seconds <= 0) return 0;
  let timeout = DEFER_TIMEOUT_S, period = timeout, res = 1;
  while (seconds > period && res < 255) {
    res++;
    timeout = Math.min(timeout * 2, DEFER_RTO_MAX_S);
    period += timeout;
  }
  return res;
}

// retrans_to_secs(): the seconds that many SYN-ACK timeouts last
function retransToSecs(retrans: number): number {
  let timeout = DEFER_TIMEOUT_S, period = retrans > 0 ? timeout : 0;
  for (let n = retrans; --n > 0;) {
    timeout = Math.min(timeout * 2, DEFER_RTO_MAX_S);
    period += timeout;
  }
  return period;
}

// struct linger as a script gives it: {onoff=N, linger=N} (l_onoff, l_linger)
function linger(sc: SyscallSpec): { onoff: number; linger: number } | null {
  const arg = sc.args[3];
  if (arg?.kind !== "struct") return null;
  const field = (name: string) =>
    intValue(arg.fields.find((f) => f.name === name || f.name === `l_${name}`)?.value);
  const onoff = field("onoff"), time = field("linger");
  return onoff === null || time === null ? null : { onoff, linger: time };
}

// A receive call's flags: none, MSG_DONTWAIT, MSG_PEEK (the others are not modelled)
function recvFlags(index: number): (sc: SyscallSpec) => string | null {
  return (sc) => {
    if (!sc.args[index]) return null;
    const flags = intValue(sc.args[index]);
    return flags === null || (flags & ~(MSG_DONTWAIT | MSG_PEEK)) !== 0
      ? `${sc.name} flags other than MSG_DONTWAIT and MSG_PEEK are not modelled`
      : null;
  };
}

function readFlags(sc: SyscallSpec, index: number): { dontwait: boolean; peek: boolean } {
  const flags = intValue(sc.args[index]) ?? 0;
  return { dontwait: (flags & MSG_DONTWAIT) !== 0, peek: (flags & MSG_PEEK) !== 0 };
}

// recvmsg's msghdr: msg_iov(1)=[{..., N}]
function iovLength(sc: SyscallSpec): number | null {
  const msg = sc.args[1];
  if (msg?.kind !== "struct") return null;
  const iov = msg.fields.find((f) => f.name.startsWith("msg_iov"))?.value;
  if (iov?.kind !== "array" || iov.items.length !== 1 || iov.items[0].kind !== "struct") {
    return null;
  }
  const fields = iov.items[0].fields;
  return intValue(fields[fields.length - 1]?.value);
}

// tcp_recvmsg() on the script's descriptor: bytes, 0 at the end, or block, EAGAIN, an error;
// udp_recvmsg() for a UDP one: the next datagram, cut to the buffer
function recv(
  ctx: SyscallContext,
  fd: ScriptFd | undefined,
  len: number,
  flags: { dontwait: boolean; peek: boolean } = { dontwait: false, peek: false },
): SyscallOutcome {
  if (!fd) return fail("EBADF");
  const nonblock = fd.nonblock || flags.dontwait;
  if (fd.udp) {
    if (!fd.sk) return nonblock ? fail("EAGAIN") : "blocked";
    const d = udpRecvmsg(ctx.host, fd.sk, undefined, flags.peek);
    if (d) return ok(Math.min(d.len, len));
    return nonblock ? fail("EAGAIN") : "blocked";
  }
  if (!fd.sk?.tcp) return fail("ENOTCONN");
  const n = tcpRecvmsg(ctx.host, ctx.cpu, fd.sk, len, nonblock, flags.peek);
  if (n >= 0) return ok(n);
  if (n === -ECONNRESET) return fail("ECONNRESET");
  if (n === -EPIPE) return fail("EPIPE");
  if (n === -ETIMEDOUT) return fail("ETIMEDOUT");
  return nonblock ? fail("EAGAIN") : "blocked";
}

// The options a script set before listen() or connect() made the kernel socket, on it now
function applyEarlyOptions(ctx: SyscallContext, fd: ScriptFd, sk: Sock): void {
  if (fd.rcvlowat !== undefined) tcpSetRcvlowat(ctx.host, ctx.cpu, sk, fd.rcvlowat);
  sk.userTimeout = fd.userTimeout ?? 0;
  sk.userMss = fd.userMss ?? 0;
  sk.deferAccept = fd.deferAccept ?? 0;
  sk.lingerTime = fd.lingerTime ?? null;
  sk.linger2 = fd.linger2 ?? 0;
  if (!fd.keepalive) return;
  const { open, time, intvl, probes } = fd.keepalive;
  sk.keepOpen = open;
  Object.assign(sk.keepalive, { time, intvl, probes });
}

// __inet_stream_connect(): the first call sends the SYN; a non-blocking one returns
// EINPROGRESS, a blocking one sleeps until the handshake ends; a socket that connected returns
// 0 (then EISCONN), one that failed its error
function connect(ctx: SyscallContext, fd: ScriptFd): SyscallOutcome {
  const sk = fd.sk;
  if (!sk) {
    fd.sk = tcpV4Connect(ctx.host, ctx.cpu, ctx.remote.addr, ctx.remote.port, {
      rcvbuf: fd.rcvbuf,
      userMss: fd.userMss,
    });
    if (!fd.sk) return fail("ENETUNREACH");
    applyEarlyOptions(ctx, fd, fd.sk);
    fd.connecting = true;
    return fd.nonblock ? fail("EINPROGRESS") : "blocked";
  }
  if (sk.state === TCP_STATES.SYN_SENT) return fd.nonblock ? fail("EALREADY") : "blocked";
  if (!fd.connecting) return fail("EISCONN");
  fd.connecting = false;
  const error = sk.tcp?.error;
  if (!error) return ok(0);
  sk.tcp!.error = null;
  return fail(error);
}

/**
 * Tells what in a call the kit does not model, before the script runs.
 * @param sc the call
 * @returns what is not modelled, or null
 */
export function unsupported(sc: SyscallSpec): string | null {
  const h = HANDLERS[sc.name];
  if (!h) return `the ${sc.name}() system call is not modelled`;
  return h.check?.(sc) ?? null;
}

/**
 * Runs a call once, as the kernel would at this moment.
 * @param ctx the host and the script's descriptors
 * @param sc the call
 * @returns the result and errno, or "blocked" when a blocking call must wait
 */
export function invokeSyscall(ctx: SyscallContext, sc: SyscallSpec): SyscallOutcome {
  const fdNum = intValue(sc.args[0]);
  return HANDLERS[sc.name].run(ctx, sc, fdNum === null ? undefined : ctx.fds.get(fdNum));
}

// What the script expects the call to write back, in the form invokeSyscall() reports it
function expectedOut(sc: SyscallSpec): { what: string; text: string } | null {
  const value = (e: Expr | undefined) => {
    const v = intValue(e);
    return v === null ? null : String(v);
  };
  switch (sc.name) {
    case "ioctl":
      return wrap("ioctl optval", value(sc.args[2]));
    case "getsockopt":
      return wrap("getsockopt optval", value(sc.args[3]));
    case "recvmsg": {
      const msg = sc.args[1];
      const control = msg?.kind === "struct"
        ? msg.fields.find((f) => f.name === "msg_control")?.value
        : undefined;
      const cmsg = control?.kind === "array" ? control.items[0] : undefined;
      const data = cmsg?.kind === "struct"
        ? cmsg.fields.find((f) => f.name === "cmsg_data")?.value
        : undefined;
      return wrap("cmsg_data", value(data));
    }
    case "poll": {
      const items = sc.args[0]?.kind === "array" ? sc.args[0].items : [];
      return wrap(
        "revents",
        items.map((item) => {
          const r = item.kind === "struct"
            ? item.fields.find((f) => f.name === "revents")?.value
            : undefined;
          return pollEventsText(intValue(r) ?? 0);
        }).join(","),
      );
    }
    case "epoll_wait": {
      const ev = sc.args[1];
      const events = ev?.kind === "struct"
        ? intValue(ev.fields.find((f) => f.name === "events")?.value)
        : null;
      const n = intValue(sc.result) ?? 0;
      return wrap("epoll_event", n > 0 && events !== null ? pollEventsText(events) : "");
    }
  }
  return null;
}

function wrap(what: string, text: string | null) {
  return text === null ? null : { what, text };
}

/**
 * Compares an outcome with the script's expectation, as end_syscall() and the calls' own
 * checks do: the result, the errno, then what the call wrote back (an ioctl's or getsockopt's
 * value, recvmsg's TCP_CM_INQ, poll's revents, epoll_wait's events).
 * @param sc the call
 * @param got its outcome
 * @returns null when it matches, else packetdrill's message
 */
export function checkSyscall(
  sc: SyscallSpec,
  got: { result: number; errno: string | null; out?: string | null },
): string | null {
  const want = intValue(sc.result);
  const errnoText = (e: string | null) => {
    const [n, text] = e ? ERRNO[e] ?? [0, e] : [0, "Success"];
    return `${n} (${text})`;
  };
  if (want !== null && got.result !== want) {
    return `Expected result ${want} but got ${got.result} with errno ${errnoText(got.errno)}`;
  }
  if (sc.errno && sc.errno !== got.errno) {
    return `Expected errno ${errnoText(sc.errno)} but got ${errnoText(got.errno)}`;
  }
  const out = expectedOut(sc);
  if (out && got.out != null && out.text !== got.out) {
    return `Bad ${out.what}: expected: ${out.text} actual: ${got.out}`;
  }
  return null;
}

/**
 * The sockets a blocked call sleeps on: the listener for accept(), each polled socket for
 * poll(), each watched one for epoll_wait() (ep_poll_callback() wakes it), else the socket.
 * @param ctx the run's descriptors
 * @param sc the call
 * @returns the sockets, none when the descriptor has none
 */
export function waitQueuesOf(ctx: SyscallContext, sc: SyscallSpec): Sock[] {
  const fd = ctx.fds.get(intValue(sc.args[0]) ?? -1);
  if (sc.name === "accept") return fd?.listener ? [fd.listener] : [];
  if (sc.name === "epoll_wait") return fd?.epoll?.sockets() ?? [];
  if (sc.name === "poll") {
    const items = sc.args[0].kind === "array" ? sc.args[0].items : [];
    return items.flatMap((item) => {
      const value = item.kind === "struct"
        ? item.fields.find((f) => f.name === "fd")?.value
        : undefined;
      const polled = ctx.fds.get(intValue(value) ?? -1);
      const sk = polled?.sk ?? polled?.listener;
      return sk ? [sk] : [];
    });
  }
  return fd?.sk ? [fd.sk] : [];
}

/**
 * How long a blocked poll() or epoll_wait() waits, ns: its timeout plus the slack its hrtimer
 * may fire within (select_estimate_accuracy(): a thousandth, at least timer_slack_ns 50 µs); null
 * for a call without a timeout or one that waits for ever (a negative one).
 * @param sc the call
 * @returns the wait, or null
 */
export function syscallTimeoutNs(sc: SyscallSpec): number | null {
  const ms = sc.name === "poll"
    ? intValue(sc.args[2])
    : sc.name === "epoll_wait"
    ? intValue(sc.args[3])
    : null;
  if (ms === null || ms < 0) return null;
  return ms * 1e6 + Math.min(Math.max(ms * 1e3, 50_000), 100_000_000);
}

/**
 * The same call with a timeout of 0: what a timed-out poll() or epoll_wait() returns.
 * @param sc the call
 * @returns the call, not waiting
 */
export function withoutWaiting(sc: SyscallSpec): SyscallSpec {
  const at = sc.name === "poll" ? 2 : 3;
  return { ...sc, args: sc.args.map((a, i) => (i === at ? { kind: "int", value: 0 } : a)) };
}
