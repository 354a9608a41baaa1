// The system calls of a packetdrill run (gtests/net/packetdrill/run_system_call.c) on the kit's
// sockets: socket, setsockopt SO_REUSEADDR, bind, listen, accept, read/recv/recvfrom, ioctl
// SIOCINQ/FIONREAD, fcntl F_GETFL/F_SETFL O_NONBLOCK, close. A call that would block waits on
// the socket's wait queue, woken as sock_def_readable() wakes a reader.

import type { Host } from "../init/main.ts";
import { tcpListen } from "../ipv4/tcp_ipv4.ts";
import { ECONNRESET, tcpClose, tcpRecvmsg } from "../ipv4/tcp.ts";
import type { Sock } from "../core/sock.ts";
import type { Cpu } from "../sim/cpu.ts";
import type { Expr, SyscallSpec } from "./script.ts";

/** A file descriptor the script opened. */
export interface ScriptFd {
  /** The listening socket after listen(). */
  listener: Sock | null;
  /** The connection after accept(). */
  sk: Sock | null;
  /** O_NONBLOCK is set. */
  nonblock: boolean;
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
}

/** The system calls the kit runs. */
export const SYSCALLS: ReadonlySet<string> = new Set([
  "socket",
  "setsockopt",
  "bind",
  "listen",
  "accept",
  "read",
  "recv",
  "recvfrom",
  "ioctl",
  "fcntl",
  "close",
]);

// include/uapi/asm-generic/errno-base.h and errno.h: what the kit's calls can fail with
const ERRNO: Record<string, [number, string]> = {
  EBADF: [9, "Bad file descriptor"],
  EAGAIN: [11, "Resource temporarily unavailable"],
  EINVAL: [22, "Invalid argument"],
  ECONNRESET: [104, "Connection reset by peer"],
  ENOTCONN: [107, "Transport endpoint is not connected"],
};

// include/uapi/asm-generic/fcntl.h
const O_RDWR = 2;
const O_NONBLOCK = 0o4000;
const SYMBOLS: Record<string, number> = { O_RDWR, O_NONBLOCK, F_GETFL: 3, F_SETFL: 4 };

/**
 * Tells what in a call the kit does not model, before the script runs.
 * @param sc the call
 * @returns what is not modelled, or null
 */
export function unsupported(sc: SyscallSpec): string | null {
  if (!SYSCALLS.has(sc.name)) return `the ${sc.name}() system call is not modelled`;
  const word = (e: Expr | undefined) => e?.kind === "word" ? e.word : null;
  if (
    sc.name === "socket" &&
    (word(sc.args[1]) !== "SOCK_STREAM" || word(sc.args[2]) !== "IPPROTO_TCP")
  ) {
    return "only TCP sockets (SOCK_STREAM, IPPROTO_TCP) are modelled";
  }
  if (sc.name === "setsockopt" && word(sc.args[2]) !== "SO_REUSEADDR") {
    return `setsockopt ${word(sc.args[2]) ?? "?"} is not modelled`;
  }
  if (sc.name === "ioctl" && !["SIOCINQ", "FIONREAD"].includes(word(sc.args[1]) ?? "")) {
    return `ioctl ${word(sc.args[1]) ?? "?"} is not modelled`;
  }
  if (sc.name === "fcntl" && !["F_GETFL", "F_SETFL"].includes(word(sc.args[1]) ?? "")) {
    return `fcntl ${word(sc.args[1]) ?? "?"} is not modelled`;
  }
  if (sc.name === "recv" || sc.name === "recvfrom") {
    const flags = sc.args[3];
    if (flags && !(flags.kind === "int" && flags.value === 0)) {
      return `${sc.name} flags are not modelled`;
    }
  }
  return null;
}

/**
 * An integer a script writes: a number, a known symbol, or symbols or-ed together.
 * @param e the expression
 * @returns its value, or null
 */
export function intValue(e: Expr | undefined): number | null {
  if (!e) return null;
  if (e.kind === "int") return e.value;
  if (e.kind === "word") return SYMBOLS[e.word] ?? null;
  if (e.kind === "or") {
    const a = intValue(e.left), b = intValue(e.right);
    return a === null || b === null ? null : a | b;
  }
  if (e.kind === "array" && e.items.length === 1) return intValue(e.items[0]);
  return null;
}

/** A call's outcome: its return value and errno, or that it would block. */
export type SyscallOutcome = { result: number; errno: string | null; optval?: number } | "blocked";

/**
 * Runs a call once, as the kernel would at this moment.
 * @param ctx the host and the script's descriptors
 * @param sc the call
 * @returns the result and errno, or "blocked" when a blocking call must wait
 */
export function invokeSyscall(ctx: SyscallContext, sc: SyscallSpec): SyscallOutcome {
  const ok = (result: number) => ({ result, errno: null });
  const err = (errno: string) => ({ result: -1, errno });
  const fdNum = intValue(sc.args[0]);
  const fd = fdNum === null ? undefined : ctx.fds.get(fdNum);
  if (sc.name === "socket") {
    const want = intValue(sc.result) ?? -1;
    ctx.fds.set(want, { listener: null, sk: null, nonblock: false });
    return ok(want);
  }
  if (!fd) return err("EBADF");
  switch (sc.name) {
    case "setsockopt":
    case "bind":
      return ok(0);
    case "listen":
      fd.listener = tcpListen(ctx.host, 0, ctx.bindPort);
      return ok(0);
    case "accept": {
      const listener = fd.listener;
      if (!listener) return err("EINVAL");
      const child = listener.acceptQueue.shift();
      if (child) {
        const want = intValue(sc.result) ?? -1;
        ctx.fds.set(want, { listener: null, sk: child, nonblock: false });
        return ok(want);
      }
      return fd.nonblock ? err("EAGAIN") : "blocked";
    }
    case "read":
    case "recv":
    case "recvfrom": {
      if (!fd.sk?.tcp) return err("ENOTCONN");
      const n = tcpRecvmsg(ctx.host, ctx.cpu, fd.sk, intValue(sc.args[2]) ?? 0);
      if (n >= 0) return ok(n);
      if (n === -ECONNRESET) return err("ECONNRESET");
      return fd.nonblock ? err("EAGAIN") : "blocked";
    }
    case "ioctl": {
      // tcp_ioctl(SIOCINQ): bytes not yet read, less the FIN
      const sk = fd.sk;
      if (!sk?.tcp) return err("EINVAL");
      const answ = (sk.rcvNxt - sk.tcp.copiedSeq) >>> 0;
      return { result: 0, errno: null, optval: answ && sk.tcp.finReceived ? answ - 1 : answ };
    }
    case "fcntl": {
      if (sc.args[1]?.kind === "word" && sc.args[1].word === "F_GETFL") {
        return ok(O_RDWR | (fd.nonblock ? O_NONBLOCK : 0));
      }
      fd.nonblock = ((intValue(sc.args[2]) ?? 0) & O_NONBLOCK) !== 0;
      return ok(0);
    }
    case "close":
      if (fd.sk) tcpClose(ctx.host, ctx.cpu, fd.sk);
      if (fd.listener) tcpClose(ctx.host, ctx.cpu, fd.listener);
      ctx.fds.delete(fdNum!);
      return ok(0);
  }
  return err("EINVAL");
}

/**
 * Compares an outcome with the script's expectation, as end_syscall() does.
 * @param sc the call
 * @param got its outcome
 * @returns null when it matches, else packetdrill's message
 */
export function checkSyscall(
  sc: SyscallSpec,
  got: { result: number; errno: string | null; optval?: number },
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
  const optval = intValue(sc.args[2]);
  if (got.optval !== undefined && optval !== null && optval !== got.optval) {
    return `Bad ioctl optval: expected: ${optval} actual: ${got.optval}`;
  }
  return null;
}

/**
 * The socket a blocked call waits on: the listener for accept(), the connection for a read.
 * @param ctx the descriptors
 * @param sc the call
 * @returns the socket whose wait queue it sleeps on
 */
export function waitQueueOf(ctx: SyscallContext, sc: SyscallSpec): Sock | null {
  const fd = ctx.fds.get(intValue(sc.args[0]) ?? -1);
  return sc.name === "accept" ? fd?.listener ?? null : fd?.sk ?? null;
}
