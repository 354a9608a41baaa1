// Models gtests/net/packetdrill/code.c: at a %{ }% event packetdrill reads TCP_INFO and
// SO_MEMINFO of the socket under test (run_code_event()); after the run it writes each snapshot
// as assignments, then the snippet, into one file that python3 runs (code_execute()). Here the
// snapshot comes from tcp_get_info() and sk_get_meminfo(), and python.ts runs the snippets.

import type { Host } from "../init/main.ts";
import { skGetMeminfo, type SkMeminfo, type Sock, TCP_STATES } from "../core/sock.ts";
import { TCP_INFO_FIELDS, tcpGetInfo, type TcpInfo } from "../ipv4/tcp.ts";
import {
  namesRead,
  parsePython,
  PythonError,
  type PyValue,
  runPython,
  type Statement,
} from "./python.ts";

// write_symbols(): the names every snapshot defines
const SYMBOLS: Record<string, number> = {
  TCP_ESTABLISHED: TCP_STATES.ESTABLISHED,
  TCP_SYN_SENT: TCP_STATES.SYN_SENT,
  TCP_SYN_RECV: 3,
  TCP_FIN_WAIT1: TCP_STATES.FIN_WAIT1,
  TCP_FIN_WAIT2: TCP_STATES.FIN_WAIT2,
  TCP_TIME_WAIT: TCP_STATES.TIME_WAIT,
  TCP_CLOSE: TCP_STATES.CLOSE,
  TCP_CLOSE_WAIT: TCP_STATES.CLOSE_WAIT,
  TCP_LAST_ACK: TCP_STATES.LAST_ACK,
  TCP_LISTEN: TCP_STATES.LISTEN,
  TCP_CLOSING: TCP_STATES.CLOSING,
  TCP_CA_Open: 0,
  TCP_CA_Disorder: 1,
  TCP_CA_CWR: 2,
  TCP_CA_Recovery: 3,
  TCP_CA_Loss: 4,
  TCPI_OPT_TIMESTAMPS: 1,
  TCPI_OPT_SACK: 2,
  TCPI_OPT_WSCALE: 4,
  TCPI_OPT_ECN: 8,
  TCPI_OPT_ECN_SEEN: 16,
  TCPI_OPT_SYN_DATA: 32,
  TCPI_OPT_USEC_TS: 64,
  TCPI_OPT_TFO_CHILD: 128,
};

// write_so_meminfo(): the SO_MEMINFO entries, by the kit's names
const MEMINFO: Record<string, keyof SkMeminfo> = {
  SK_MEMINFO_RMEM_ALLOC: "rmemAlloc",
  SK_MEMINFO_RCVBUF: "rcvbuf",
  SK_MEMINFO_SNDBUF: "sndbuf",
  SK_MEMINFO_FWD_ALLOC: "fwdAlloc",
  SK_MEMINFO_WMEM_QUEUED: "wmemQueued",
  SK_MEMINFO_BACKLOG: "backlog",
  SK_MEMINFO_DROPS: "drops",
};

// tcpiRcvMss → tcpi_rcv_mss: the struct's own spelling
function pythonName(field: keyof TcpInfo): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const TCP_INFO_NAMES = new Map(TCP_INFO_FIELDS.map((f) => [pythonName(f), f]));

// What packetdrill's file defines that the kit does not: other tcp_info and SO_MEMINFO fields,
// and TCP_CC_INFO's (BBR, DCTCP, Vegas)
const UNMODELLED = /^(tcpi_\w+|SK_MEMINFO_\w+|bbr_\w+|dctcp_\w+|tcpv_\w+|tcp_rtt|tcp_minrtt)$/;

/**
 * Parses a snippet and checks that it reads only what the kit's snapshot holds.
 * @param code the text between %{ and }%
 * @returns its statements, or why the kit cannot run it
 */
export function checkCode(code: string): Statement[] | string {
  let statements: Statement[];
  try {
    statements = parsePython(code);
  } catch (e) {
    return `%{ }% code: ${(e as Error).message}`;
  }
  for (const name of namesRead(statements)) {
    if (UNMODELLED.test(name) && !TCP_INFO_NAMES.has(name) && !(name in MEMINFO)) {
      return `${name} is not modelled`;
    }
  }
  return statements;
}

/**
 * What a snippet sees: the socket's tcp_info and SO_MEMINFO as packetdrill writes them.
 * @param host the host
 * @param sk the socket under test
 * @returns the names and values, or null when the kit cannot tell (a TCP socket neither
 *   listening nor connected)
 */
export function codeSnapshot(host: Host, sk: Sock): Map<string, PyValue> | null {
  const info = tcpGetInfo(host, sk);
  if (!info) return null;
  const vars = new Map<string, PyValue>();
  for (const [name, value] of Object.entries(SYMBOLS)) vars.set(name, BigInt(value));
  for (const [name, field] of TCP_INFO_NAMES) vars.set(name, BigInt(info[field]));
  const mem = skGetMeminfo(sk);
  // SO_MEMINFO is an array of u32: a forward allocation gone below zero reads as 2^32 - n
  for (const [name, field] of Object.entries(MEMINFO)) vars.set(name, BigInt(mem[field] >>> 0));
  return vars;
}

/** A snippet with what it saw, in the order the script ran them. */
export interface CodeFragment {
  /** Its line in the script. */
  line: number;
  /** Its statements. */
  statements: Statement[];
  /** The snapshot taken at its time. */
  vars: Map<string, PyValue>;
}

/**
 * Runs the snippets after the run, as code_execute() runs python3 on them: each snapshot's
 * values, then its snippet, all in one namespace.
 * @param fragments the snippets with their snapshots
 * @param path the script's name, for messages
 * @returns what print() wrote, and packetdrill's message when Python raised
 */
export function executeCode(
  fragments: CodeFragment[],
  path: string,
): { output: string[]; error: string | null } {
  const output: string[] = [];
  const scope = new Map<string, PyValue | PyValue[]>();
  for (const f of fragments) {
    for (const [name, value] of f.vars) scope.set(name, value);
    try {
      runPython(f.statements, scope, (line) => output.push(line));
    } catch (e) {
      if (!(e instanceof PythonError)) throw e;
      // the preamble's excepthook names the snippet's line, then python3's traceback
      const error = `${path}:${f.line}: error in Python code\n` +
        `Traceback (most recent call last):\n    ${e.statement}\n${e.message}\n` +
        `${path}: error executing code: 'python3' returned non-zero status 1\n`;
      return { output, error };
    }
  }
  return { output, error: null };
}
