// Runs a packetdrill script against a simulated host the way packetdrill runs it against a
// kernel (gtests/net/packetdrill/run.c): the host has packetdrill's addresses — a local one in
// 192.168.0.0/16 and the remote 192.0.2.1 behind the gateway 192.168.0.1 — on a device named
// tun0 with MTU 1500. Events run in script order at their script times: inbound packets are
// injected; each outbound packet the script expects is the next one the host sent, compared
// with it (packet.ts); system calls run (syscalls.ts), a blocking one in the background as
// packetdrill's syscall thread runs it, its return time checked when it returns; a %{ }%
// snippet snapshots the socket under test's TCP_INFO and SO_MEMINFO, and the snippets run after
// the script (code.ts). The first mismatch ends the run with packetdrill's message. What the
// kit does not model is refused before anything runs, naming the line.

import { InputRangeError } from "../base/errors.ts";
import { createHost, type Host } from "../init/main.ts";
import { Tun } from "../drivers/tun.ts";
import { inetAddAddr } from "../ipv4/devinet.ts";
import { fibAddRoute } from "../ipv4/fib.ts";
import { type Cpu, Task, type TaskBody } from "../sim/cpu.ts";
import { inAton } from "../wire/ipv4.ts";
import { buildFrame } from "../wire/build.ts";
import { ETH_HLEN, ETH_P_ALL } from "../wire/ethernet.ts";
import { devAddPack } from "../core/dev.ts";
import { consumeSkb, type SkBuff } from "../core/skbuff.ts";
import { type NstatCounters, nstatCounters } from "../proc/snmp.ts";
import {
  compareTcp,
  type ConnectionMap,
  inboundPacket,
  liveTcpPacket,
  packetText,
  scriptTsVal,
  toScript,
} from "./packet.ts";
import {
  type EventTime,
  parsePacketdrill,
  type Script,
  type ScriptEvent,
  type SyscallSpec,
  type TcpOptionSpec,
  type TcpPacketSpec,
  type UdpPacketSpec,
} from "./script.ts";
import { checkCode, type CodeFragment, codeSnapshot, executeCode } from "./code.ts";
import type { Statement } from "./python.ts";
import {
  checkSyscall,
  invokeSyscall,
  type SyscallContext,
  syscallTimeoutNs,
  unsupported,
  waitQueuesOf,
  withoutWaiting,
} from "./syscalls.ts";

/** Options of a run, as packetdrill's command line gives them (they override the script's). */
export interface PacketdrillOptions {
  /** --tolerance_usecs: how far a packet or a return may be from its script time, µs. */
  toleranceUsecs?: number;
  /** --tcp_ts_tick_usecs: check outbound TS val at this clock rate, µs per tick (0: don't). */
  tcpTsTickUsecs?: number;
  /** --ip_version: only ipv4 is modelled. */
  ipVersion?: string;
  /**
   * Other options of packetdrill's command line by name without dashes, such as `mss`,
   * `local_ip`, `remote_ip`, `gateway_ip`, `netmask_ip`: checked as the script's option lines.
   */
  options?: Record<string, string>;
  /** -D NAME=VALUE: symbols replaced by their values wherever the script names them. */
  defines?: Record<string, string>;
  /** Reads a file a backquoted command runs (`../common/defaults.sh`), relative to the script. */
  readFile?: (path: string) => string;
  /** Record the function graph and tracepoints of the run (host.sim.trace), default false. */
  trace?: boolean;
}

/** How a run ended. */
export interface PacketdrillResult {
  /** Every event matched. */
  ok: boolean;
  /** packetdrill's message for the first mismatch, as it prints it, or null. */
  error: string | null;
  /** Sysctls the script set that the kit does not model (send side, congestion control...). */
  ignoredSysctls: string[];
  /** The segments that went in and came out, in script numbers, as the run saw them. */
  log: PacketdrillLogEntry[];
  /** What the script's %{ }% code printed, line by line. */
  output: string[];
  /** The simulated host after the run: its counters, sockets and trace. */
  host: Host;
}

/** One segment of a run. */
export interface PacketdrillLogEntry {
  /** When, µs from the script's start. */
  usecs: number;
  /** `<` into the host, `>` out of it. */
  direction: "<" | ">";
  /** The segment, as packetdrill prints it. */
  text: string;
  /** The script line it answers. */
  line: number;
}

// run_system_call.c: await_idle_thread()'s MAX_WAIT_SECS
const AWAIT_IDLE_USECS = 1_000_000;

// config.c: packetdrill's defaults
const DEFAULT_TOLERANCE_USECS = 4000;
const TOLERANCE_PERCENT = 12.5;
const LOCAL_IP = "192.168.0.2";
const REMOTE_IP = "192.0.2.1";
const GATEWAY_IP = "192.168.0.1";
// config.c: bind(..., ...) binds live_bind_port, connect(..., ...) goes to live_connect_port
const BIND_PORT = 8080;
const CONNECT_PORT = 8080;
const FIRST_REMOTE_PORT = 45000;
// sniff_outbound_live_packet(): how long after its time an expected packet may still come
const SNIFF_TIMEOUT_USECS = 2_000_000;
// The options of config.c the kit takes, each with how to read its value
const OPTIONS: Record<
  string,
  "usecs" | "percent" | "ip" | "port" | "flag" | "version" | "mss" | "netmask"
> = {
  tolerance_usecs: "usecs",
  tolerance_percent: "percent",
  tcp_ts_tick_usecs: "usecs",
  tcp_ts_ecr_scaled: "flag",
  ip_version: "version",
  local_ip: "ip",
  remote_ip: "ip",
  bind_port: "port",
  connect_port: "port",
  gateway_ip: "ip",
  netmask_ip: "netmask",
  mss: "mss",
};

// Sysctls of the sending side (congestion control, loss recovery, pacing, send buffers) and of
// Fast Open, which scripts and defaults.sh set but which change nothing a receiver does that
// the kit models; any other sysctl the kit does not model refuses the script
const SEND_SIDE_SYSCTLS = new Set([
  "net.ipv4.tcp_autocorking",
  "net.ipv4.tcp_early_retrans",
  "net.ipv4.tcp_ecn_option",
  "net.ipv4.tcp_fack",
  "net.ipv4.tcp_fastopen",
  "net.ipv4.tcp_fastopen_key",
  "net.ipv4.tcp_frto",
  "net.ipv4.tcp_limit_output_bytes",
  "net.ipv4.tcp_min_tso_segs",
  "net.ipv4.tcp_notsent_lowat",
  "net.ipv4.tcp_pacing_ca_ratio",
  "net.ipv4.tcp_pacing_ss_ratio",
  "net.ipv4.tcp_recovery",
  "net.ipv4.tcp_reordering",
  "net.ipv4.tcp_slow_start_after_idle",
  "net.ipv4.tcp_thin_linear_timeouts",
  "net.ipv4.tcp_tso_win_divisor",
]);

// The calls on a UDP socket after which packetdrill still addresses its datagrams as the kit does
const UDP_CALLS = new Set(["bind", "connect", "read", "recv", "recvfrom", "ioctl", "close"]);

/** The settings of a run (packetdrill's struct config), from the script and the command line. */
interface RunConfig {
  toleranceUsecs: number;
  tolerancePercent: number;
  tsTick: number;
  tsEcrScaled: boolean;
  localIp: string;
  remoteIp: string;
  bindPort: number;
  connectPort: number;
  gatewayIp: string;
  prefixLen: number;
  /** --mss: inbound TCP segments longer than this are written as GSO packets of it (0: none). */
  mss: number;
}

/**
 * Runs a packetdrill script on a simulated host.
 * @param source the script
 * @param path its name, for messages
 * @param options packetdrill's command-line options
 * @returns success, or packetdrill's message for the first mismatch
 * @throws {SyntaxError} for a script packetdrill would not parse, naming the line
 * @throws {RangeError} naming the line of what the kit does not model, before anything runs
 * @example
 * ```ts
 * import { runPacketdrill } from "@rxpath/rxpath";
 * const r = runPacketdrill(`
 * 0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
 * +0  bind(3, ..., ...) = 0
 * +0  listen(3, 1) = 0
 * +0  < S 0:0(0) win 8192
 * +0  > S. 0:0(0) ack 1 win 64240 <mss 1460>
 * `, "syn.pkt");
 * console.log(r.ok); // true
 * ```
 */
export function runPacketdrill(
  source: string,
  path: string,
  options: PacketdrillOptions = {},
): PacketdrillResult {
  return new PacketdrillRun(
    parsePacketdrill(applyDefines(source, options.defines ?? {}), path),
    path,
    options,
  ).run();
}

// -D NAME=VALUE: each whole-word NAME of the script becomes VALUE
function applyDefines(source: string, defines: Record<string, string>): string {
  let out = source;
  for (const [name, value] of Object.entries(defines)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new InputRangeError(`bad -D ${name}=${value}: not a symbol name`);
    }
    out = out.replace(new RegExp(`\\b${name}\\b`, "g"), value);
  }
  return out;
}

interface Pending {
  event: ScriptEvent;
  sc: SyscallSpec;
  expectedEnd: number;
  start: number;
  done: { result: number; errno: string | null; out?: string | null; usecs: number } | null;
}

class PacketdrillRun {
  readonly #script: Script;
  readonly #path: string;
  readonly #host: Host;
  readonly #cpu: Cpu;
  readonly #config: RunConfig;
  readonly #ignoredSysctls: string[] = [];
  // The actions of each timed backquoted command, run at its time
  readonly #commands = new Map<ScriptEvent, CommandAction[]>();
  // nstat's history file: the counters its last run without -s left, or none yet
  #nstatHistory: NstatCounters | null = null;
  readonly #ctx: SyscallContext;
  readonly #tun: Tun;
  // Inbound skbs whose clone packetdrill's sniffing socket still holds, with when they came
  readonly #sniffed: { skb: SkBuff; t: number }[] = [];
  // packetdrill's socket_under_test: the connection script packets go to; a listening socket
  // (or none) makes the next inbound packet start a child on a new remote port
  #conn: ConnectionMap | null = null;
  #listening = false;
  #lastEventUsecs = 0;
  #nextRemotePort = FIRST_REMOTE_PORT;
  // the UDP socket under test: the descriptor of the last SOCK_DGRAM socket()
  #udpFd: number | null = null;
  #pending: Pending | null = null;
  readonly #log: PacketdrillLogEntry[] = [];
  // socket_under_test's descriptor: undefined before any socket, null for a connection the
  // script's SYN started and accept() has not yet returned
  #socketUnderTest: number | null | undefined = undefined;
  // Each %{ }% snippet's statements, and what each saw when it ran
  readonly #code = new Map<ScriptEvent, Statement[]>();
  readonly #fragments: CodeFragment[] = [];
  readonly #output: string[] = [];
  // A semantic error of the script (packetdrill finds it parsing), or an init command that
  // failed (a sysctl the kernel refused): reported when the run starts, the first one found
  #initFailure: { line: number | null; text: string } | null = null;
  // errno as packetdrill's threads leave it: a call that succeeds does not reset it, and its
  // messages print it — the main thread starts with ENOENT from packetdrill's own start-up,
  // the syscall thread (calls with `...`) with 0 (both seen on 6.18 runs)
  readonly #errno: { main: string | null; thread: string | null } = {
    main: "ENOENT",
    thread: null,
  };
  // what set_sysctls.py last wrote into /tmp/sysctl_restore_${PPID}.sh, or null before
  #sysctlRestore: { name: string; value: string }[] | null = null;

  constructor(script: Script, path: string, options: PacketdrillOptions) {
    this.#script = script;
    this.#path = path;
    this.#config = this.#readConfig(script.options, options);
    const udpFds = new Set<number>();
    let udpSpoiled: { line: number; what: string } | null = null;
    // a TCP connect() not yet answered by a SYN-ACK, to refuse a crossing SYN
    let connecting = false;
    for (const e of script.events) {
      if (e.type === "syscall" && ["socket", "listen", "close"].includes(e.syscall.name)) {
        connecting = false;
      }
      if (e.type === "syscall" && e.syscall.name === "connect") connecting = true;
      if (e.type === "packet" && e.packet.proto === "tcp" && e.packet.direction === "inbound") {
        const flags = e.packet.flags;
        if (connecting && flags.includes("S") && !flags.includes(".")) {
          this.#refuse(
            e.line,
            "a SYN answering our SYN (a simultaneous open, tcp_rcv_synsent_state_process()'s SYN_RECV) is not modelled",
          );
        }
        if (flags.includes("S") && flags.includes(".")) connecting = false;
      }
      if (e.type === "syscall" && e.syscall.name === "socket" && e.syscall.result.kind === "int") {
        const dgram = e.syscall.args[1]?.kind === "word" && e.syscall.args[1].word === "SOCK_DGRAM";
        if (dgram) udpFds.add(e.syscall.result.value);
        else udpFds.delete(e.syscall.result.value);
        udpSpoiled = null;
      }
      const fd = e.type === "syscall" ? e.syscall.args[0] : undefined;
      if (e.type === "syscall" && fd?.kind === "int" && udpFds.has(fd.value)) {
        const sc = e.syscall;
        if (sc.endUsecs !== null || !UDP_CALLS.has(sc.name)) {
          udpSpoiled ??= {
            line: e.line,
            what: sc.endUsecs !== null ? "a blocking call" : `${sc.name}()`,
          };
        }
      }
      // Seen on 6.18: after a blocking call, fcntl() or setsockopt() on a UDP socket, packetdrill
      // sends the script's datagrams to 0.0.0.0:0, which the kit does not reproduce
      if (e.type === "packet" && e.packet.proto === "udp" && udpSpoiled) {
        this.#refuse(
          e.line,
          `a datagram after ${udpSpoiled.what} on the UDP socket (line ${udpSpoiled.line}) is not modelled`,
        );
      }
      if (e.type === "code") {
        const code = checkCode(e.code);
        if (typeof code === "string") this.#refuse(e.line, code);
        this.#code.set(e, code);
      }
      if (e.type === "packet" && e.packet.proto === "icmp") {
        this.#refuse(e.line, "ICMP packets are not modelled yet");
      }
      if (e.type === "packet" && e.packet.proto === "udp" && e.packet.direction === "outbound") {
        this.#refuse(e.line, "an outbound UDP datagram needs sending data, which is not modelled");
      }
      if (e.type === "packet" && e.packet.unmodelled.length) {
        this.#refuse(e.line, `${e.packet.unmodelled.join(", ")} in a packet is not modelled`);
      }
      const p = e.type === "packet" ? e.packet : null;
      // tcp_options.c: a script packet's options must fill whole 32-bit words
      const excess = p?.proto === "tcp" && p.options ? optionsLength(p.options) % 4 : 0;
      if (excess) {
        this.#initFailure ??= {
          line: e.line,
          text:
            `semantic error: TCP options are not padded correctly to ensure TCP header is a multiple of 4 bytes: ${excess} excess bytes`,
        };
      }
      if (p?.proto === "tcp" && p.direction === "inbound" && p.flags.includes("S") && p.len) {
        this.#refuse(e.line, "data in a SYN (TCP Fast Open) is not modelled");
      }
      const why = e.type === "syscall" ? unsupported(e.syscall) : null;
      if (why) this.#refuse(e.line, why);
    }
    this.#host = createHost({ cpus: 1, trace: options.trace ?? false });
    this.#cpu = this.#host.sim.cpus[0];
    // init commands run now; a timed command's actions are checked now and run at its time (a
    // sysctl it sets is tried on a scratch host, so a value the kernel refuses is refused here)
    let scratch: Host | null = null;
    for (const c of script.initCommands) {
      const actions = this.#commandActions(c.command, c.line, options.readFile);
      const status = this.#runCommand(actions, this.#host, c.line);
      // run_init_commands(): named neither by line nor by text
      if (status) {
        this.#initFailure ??= {
          line: null,
          text: `error executing init command: non-zero status ${status}`,
        };
      }
    }
    for (const e of script.events) {
      if (e.type !== "command") continue;
      const actions = this.#commandActions(e.command, e.line, options.readFile);
      for (const a of actions) {
        const settings = a.kind === "sysctl" ? [a] : a.kind === "setSysctls" ? a.settings : [];
        for (const v of settings) this.#trySysctl(scratch ??= createHost({ cpus: 1 }), v, e.line);
      }
      this.#commands.set(e, actions);
    }
    // config.c and netdev.c: the local address on tun0 in a /16, the remote one behind the
    // gateway (or, for addresses of the script's own, a route straight out of tun0)
    const cfg = this.#config;
    this.#tun = new Tun(this.#host, "tun0");
    // netdev.c: packetdrill sniffs tun0 with an unfiltered ETH_P_ALL packet socket. packet_rcv()
    // clones each inbound skb into its queue; the clone lives until packetdrill reads its socket
    // while waiting for an outbound packet, and while it lives the skb's data is shared: TCP
    // copies no later segment into it (skb_try_coalesce() refuses a cloned skb).
    const sniffed = this.#sniffed;
    const host = this.#host;
    devAddPack(host, {
      type: ETH_P_ALL,
      dev: this.#tun.dev,
      name: "packet_rcv",
      func: function* (skb: SkBuff) {
        skb.dataref++;
        sniffed.push({ skb, t: host.sim.now });
        consumeSkb(host.sim, skb, "packet_rcv");
      },
    });
    const local = inAton(cfg.localIp);
    inetAddAddr(this.#host, this.#tun.dev, local, cfg.prefixLen);
    const remote = inAton(cfg.remoteIp);
    const mask = cfg.prefixLen ? (0xffffffff << (32 - cfg.prefixLen)) >>> 0 : 0;
    const gateway = inAton(cfg.gatewayIp);
    const viaGateway = ((local & mask) >>> 0) === ((gateway & mask) >>> 0);
    fibAddRoute(this.#host, {
      dst: viaGateway ? (remote & 0xffffff00) >>> 0 : remote,
      len: viaGateway ? 24 : 32,
      dev: this.#tun.dev,
      gw: viaGateway ? gateway : undefined,
    });
    this.#ctx = {
      host: this.#host,
      cpu: this.#cpu,
      fds: new Map(),
      bindPort: cfg.bindPort,
      remote: { addr: remote, port: cfg.connectPort },
    };
  }

  // parse_script_options() and the command line: each option checked as config.c checks it
  #readConfig(script: Map<string, string>, cli: PacketdrillOptions): RunConfig {
    const given = new Map(script);
    if (cli.toleranceUsecs !== undefined) given.set("tolerance_usecs", String(cli.toleranceUsecs));
    if (cli.tcpTsTickUsecs !== undefined) {
      given.set("tcp_ts_tick_usecs", String(cli.tcpTsTickUsecs));
    }
    if (cli.ipVersion !== undefined) given.set("ip_version", cli.ipVersion);
    for (const [name, value] of Object.entries(cli.options ?? {})) given.set(name, value);
    const cfg: RunConfig = {
      toleranceUsecs: DEFAULT_TOLERANCE_USECS,
      tolerancePercent: TOLERANCE_PERCENT,
      tsTick: 0,
      tsEcrScaled: false,
      localIp: LOCAL_IP,
      remoteIp: REMOTE_IP,
      bindPort: BIND_PORT,
      connectPort: CONNECT_PORT,
      gatewayIp: GATEWAY_IP,
      prefixLen: 16,
      mss: 0,
    };
    for (const [name, value] of given) {
      const kind = OPTIONS[name];
      if (!kind) this.#refuse(0, `option --${name} is not modelled`);
      const bad = () => this.#refuse(0, `bad --${name}: ${value}`);
      const n = Number(value);
      switch (kind) {
        case "usecs":
          if (!/^\d+$/.test(value)) bad();
          if (name === "tolerance_usecs") cfg.toleranceUsecs = n;
          else cfg.tsTick = n;
          break;
        case "percent":
          if (!(n >= 0 && n <= 100)) bad();
          cfg.tolerancePercent = n;
          break;
        case "flag":
          cfg.tsEcrScaled = true;
          break;
        case "version":
          if (value !== "ipv4") this.#refuse(0, `--ip_version=${value}: only ipv4 is modelled`);
          break;
        case "ip":
          if (!/^(\d{1,3})(\.\d{1,3}){3}$/.test(value) || value.split(".").some((b) => +b > 255)) {
            this.#refuse(0, `bad --${name}: ${value} (only IPv4 addresses are modelled)`);
          }
          if (name === "local_ip") cfg.localIp = value;
          else if (name === "gateway_ip") cfg.gatewayIp = value;
          else cfg.remoteIp = value;
          break;
        case "netmask": {
          const mask = value.split(".").map(Number);
          const bits = mask.map((b) => b.toString(2).padStart(8, "0")).join("");
          if (mask.length !== 4 || mask.some((b) => !(b >= 0 && b <= 255)) || /01/.test(bits)) {
            bad();
          }
          cfg.prefixLen = bits.indexOf("0") < 0 ? 32 : bits.indexOf("0");
          break;
        }
        case "mss":
          // config.c: atoi(), and a value not above zero is an error
          if (!/^\d+$/.test(value) || n <= 0) bad();
          cfg.mss = n;
          break;
        case "port":
          if (!/^\d+$/.test(value) || n < 1 || n > 65535) bad();
          if (name === "bind_port") cfg.bindPort = n;
          else cfg.connectPort = n;
          break;
      }
    }
    return cfg;
  }

  run(): PacketdrillResult {
    if (this.#initFailure) return this.#fail(this.#initFailure.line, this.#initFailure.text);
    let prev: ScriptEvent | null = null;
    for (const e of this.#script.events) {
      // adjust_relative_event_times(): an inbound packet after an inbound packet counts from
      // its script time, anything else from now
      const anchored = isInbound(prev) && isInbound(e);
      const time = eventTimes(e.time, anchored ? this.#lastEventUsecs : this.#nowUsecs());
      const error = this.#runEvent(e, time);
      if (error) return this.#fail(error.line ?? e.line, error.text);
      prev = e;
    }
    // syscalls_free() → await_idle_thread(): a call still blocked has a second to return, and
    // is then checked as any other
    const blocked = this.#pending;
    if (blocked && !blocked.done) this.#runUntilReturned(blocked);
    if (blocked && !blocked.done) {
      return this.#fail(
        blocked.event.line,
        "runtime error: exiting while a blocking system call is in progress",
      );
    }
    const late = this.#pendingError();
    if (late) return this.#fail(late.line, late.text);
    // code_execute(): the snippets run once the script is done
    const code = executeCode(this.#fragments, this.#path);
    this.#output.push(...code.output);
    return this.#result(code.error);
  }

  #runEvent(
    e: ScriptEvent,
    time: { at: number; end: number },
  ): { text: string; line?: number } | null {
    if (e.type === "packet" && e.packet.proto === "udp") {
      return this.#inboundUdp(e.packet, time, e.line);
    }
    if (e.type === "packet") {
      const p = e.packet as TcpPacketSpec;
      return p.direction === "inbound"
        ? this.#inbound(p, time, e.line)
        : this.#outbound(e, p, time);
    }
    if (e.type === "syscall") return this.#syscall(e, e.syscall, time);
    this.#runTo(time.at);
    const late = this.#pendingError();
    if (late) return late;
    if (e.type === "code") return this.#codeEvent(e);
    if (e.type !== "command") return null;
    // run_command_event(): a command that exits non-zero ends the run
    const status = this.#runCommand(this.#commands.get(e) ?? [], this.#host, e.line);
    if (!status) return null;
    return { text: `error executing \`${e.command}\` command: non-zero status ${status}` };
  }

  // Runs a command's actions in order, as sh -c does: each runs whatever the one before did;
  // the exit status is the last one's — sysctl's and echo's 1 for a value refused, grep's 1
  // for no line matched, the shell's 127 for a script not there
  #runCommand(actions: CommandAction[], host: Host, line: number): number {
    let status = 0;
    for (const a of actions) {
      if (a.kind === "nstat") status = this.#nstatPipeline(a.stages);
      else if (a.kind === "sysctl") status = this.#trySysctl(host, a, line) ? 0 : 1;
      else if (a.kind === "setSysctls") {
        // set_sysctls.py: the old values go to the restore script, then each is echoed into
        // its file (a refused value fails only that echo: the script still exits 0)
        this.#sysctlRestore = a.settings.map((v) => ({
          name: v.name,
          value: sysctlValue(host, v.name),
        }));
        for (const v of a.settings) this.#trySysctl(host, v, line);
        status = 0;
      } else {
        // /tmp/sysctl_restore_${PPID}.sh: missing until set_sysctls.py has written it
        status = this.#sysctlRestore === null ? 127 : 0;
        for (const v of this.#sysctlRestore ?? []) this.#trySysctl(host, v, line);
      }
      if (a.statusIgnored) status = 0;
    }
    return status;
  }

  // run_code_event(): TCP_INFO and SO_MEMINFO of the socket under test, kept for the end
  #codeEvent(e: ScriptEvent): { text: string } | null {
    const fd = this.#socketUnderTest;
    if (fd === undefined) return { text: "runtime error in code: no socket to use for code" };
    const sfd = fd === null ? undefined : this.#ctx.fds.get(fd);
    const sk = sfd?.udp ? null : sfd?.sk ?? sfd?.listener ?? null;
    if (!sk) return { text: "runtime error in code: can't find getsockopt to get TCP info" };
    const vars = codeSnapshot(this.#host, sk);
    if (!vars) {
      return {
        text:
          "runtime error in code: the kit does not model TCP_INFO of a socket never established",
      };
    }
    this.#fragments.push({ line: e.line, statements: this.#code.get(e)!, vars });
    return null;
  }

  // A sysctl a command sets, on `host`; a value the kit's tables refuse refuses the script;
  // false when the kernel would refuse it
  #trySysctl(host: Host, a: { name: string; value: string }, line: number): boolean {
    try {
      return this.#setSysctl(a.name, a.value, host);
    } catch (e) {
      this.#refuse(line, (e as Error).message);
    }
  }

  // `nstat [-n -s -a -z]` piped into `grep [-q -v] PATTERN` stages, as the shell runs them:
  // nstat prints the counters that moved since its history (all since boot without one, every
  // one with -z, absolute with -a) and keeps the new values unless -s; -n prints nothing. The
  // exit status is the last stage's: grep's is 1 when no line matched.
  #nstatPipeline(stages: string[][]): number {
    const [nstatArgs, ...greps] = stages;
    const flags = nstatArgs.slice(1).join("");
    const now = nstatCounters(this.#host);
    const base = flags.includes("a") ? null : this.#nstatHistory;
    let lines = flags.includes("n") ? [] : ["#kernel"];
    if (!flags.includes("n")) {
      for (const [name, value] of Object.entries(now)) {
        const delta = value - (base?.[name] ?? 0);
        if (!delta && !flags.includes("z")) continue;
        lines.push(`${name.padEnd(32)}${String(delta).padEnd(16)}${"0.0".padStart(6)}`);
      }
    }
    if (!flags.includes("s")) this.#nstatHistory = now;
    let status = 0;
    for (const g of greps) {
      const opts = g.slice(1, -1).join("");
      const pattern = new RegExp(g[g.length - 1]);
      lines = lines.filter((l) => pattern.test(l) !== opts.includes("v"));
      status = lines.length ? 0 : 1;
      if (opts.includes("q")) lines = [];
    }
    return status;
  }

  // A datagram for the UDP socket under test. packetdrill learns the peer's address and port
  // from connect() but never the socket's own: datagrams go from 0.0.0.0:0 to 0.0.0.0:0 before
  // (TTL 255, ID 0), which Linux takes as a broadcast no socket wants (IgnoredMulti), and from
  // the peer to 0.0.0.0:0 after, a martian destination (IP_INVALID_DEST) — seen on 6.18.
  #inboundUdp(p: UdpPacketSpec, time: { at: number }, line: number) {
    this.#runTo(time.at);
    const late = this.#pendingError();
    if (late) return late;
    const sk = this.#udpFd === null ? null : this.#ctx.fds.get(this.#udpFd)?.sk ?? null;
    const connected = !!sk?.dport;
    const packet = buildFrame({
      ipv4: {
        saddr: connected ? this.#config.remoteIp : "0.0.0.0",
        daddr: "0.0.0.0",
        ttl: 255,
        id: 0,
      },
      udp: { source: connected ? sk!.dport : 0, dest: 0 },
      payload: p.len,
      pad: false,
    }).slice(ETH_HLEN);
    this.#log.push({ usecs: time.at, direction: "<", text: `udp (${p.len})`, line });
    this.#tun.write(this.#cpu, packet);
    this.#settle();
    this.#lastEventUsecs = time.at;
    return null;
  }

  #inbound(p: TcpPacketSpec, time: { at: number }, line: number) {
    this.#runTo(time.at);
    const late = this.#pendingError();
    if (late) return late;
    // a SYN with no ACK starts the next connection on a new remote port
    // handle_listen_for_script_packet(): a child for a listening socket (or no socket at all),
    // the peer's ISN from its SYN; do_inbound_script_packet(): a connect()'s from the SYN-ACK
    if (!this.#conn || this.#listening) {
      this.#conn = newConnection(this.#nextRemotePort++, this.#config.bindPort);
      this.#socketUnderTest = null;
      this.#conn.remoteIsn = p.seq;
      this.#listening = false;
    } else if (p.flags.includes("S") && p.flags.includes(".") && !this.#conn.synAcked) {
      this.#conn.remoteIsn = p.seq;
      this.#conn.synAcked = true;
    }
    const made = inboundPacket(p, this.#conn, {
      remote: this.#config.remoteIp,
      local: this.#config.localIp,
      tsEcrScaled: this.#config.tsEcrScaled,
    });
    if ("error" in made) return { text: `error handling packet: ${made.error}` };
    this.#log.push({ usecs: time.at, direction: "<", text: packetText(p), line });
    // netdev.c: with --mss a TCP segment goes in with a virtio_net_hdr asking for GSO of that
    // size, which virtio_net_hdr_to_skb() keeps only for a payload longer than it
    const gsoSize = this.#config.mss && p.len > this.#config.mss ? this.#config.mss : 0;
    this.#tun.write(this.#cpu, made.packet, gsoSize);
    this.#settle();
    this.#lastEventUsecs = time.at;
    return null;
  }

  // packet_socket_receive() up to the outbound packet: the clones queued before it are freed
  #readSniffed(until: number) {
    while (this.#sniffed.length && this.#sniffed[0].t <= until) {
      this.#sniffed.shift()!.skb.dataref--;
    }
  }

  #outbound(e: ScriptEvent, p: TcpPacketSpec, time: { at: number; end: number }) {
    const deadline = Math.max(time.at, Number.isFinite(time.end) ? time.end : time.at) +
      SNIFF_TIMEOUT_USECS;
    let live: ReturnType<typeof liveTcpPacket> = null;
    for (;;) {
      while (!this.#tun.txRing.length && this.#nowUsecs() < deadline) {
        this.#runTo(Math.min(deadline, this.#nextEventUsecs()));
      }
      const late = this.#pendingError();
      if (late) return late;
      const out = this.#tun.read();
      if (out) this.#readSniffed(out.tstamp);
      live = out ? liveTcpPacket(out.packet, out.tstamp / 1000) : null;
      // sniff_outbound_live_packet(): only the socket under test's packets count; another's —
      // a connection closed before, say — is passed over
      if (!live || !this.#conn || live.dport === this.#conn.remotePort) break;
    }
    if (!live) return { text: "error handling packet: Timed out waiting for packet" };
    if (!this.#conn) return { text: "error handling packet: no matching socket for script packet" };
    if (p.flags.includes("S") && this.#conn.scriptLocalIsn === null) {
      this.#conn.scriptLocalIsn = p.seq;
      this.#conn.liveLocalIsn = live.seq;
      this.#conn.localPort ??= live.sport; // a connect()'s SYN names its port
    }
    const rel = toScript(live, this.#conn);
    const mismatch = compareTcp(p, rel, this.#conn, this.#config) ??
      verifyTime(
        e.time,
        time,
        live.usecs,
        this.#lastEventUsecs,
        this.#config,
        "outbound packet",
      );
    const shown = packetText(scriptTsVal(rel, this.#conn));
    this.#log.push({ usecs: live.usecs, direction: ">", text: shown, line: e.line });
    if (mismatch) {
      return {
        text: `error handling packet: ${mismatch}\nscript packet: ${secs(time.at)} ${
          packetText(p)
        }\nactual packet: ${secs(live.usecs)} ${shown}`,
      };
    }
    this.#lastEventUsecs = time.at;
    return null;
  }

  #syscall(e: ScriptEvent, sc: SyscallSpec, time: { at: number }) {
    this.#runTo(time.at);
    // await_idle_thread(): a call waits up to a second for a blocked one to return; a blocking
    // one still finding it blocked fails, a non-blocking one goes ahead
    const blocked = this.#pending;
    if (blocked && !blocked.done) this.#runUntilReturned(blocked);
    const late = this.#pendingError();
    if (late) return late;
    if (this.#pending && sc.endUsecs !== null) {
      return {
        text:
          `runtime error in ${sc.name} call: blocking system call while another blocking system call is already in progress`,
      };
    }
    // invoke_system_call() → wait_for_event(): the call's start, late after a wait, checked
    const start = verifyTime(
      e.time,
      { at: time.at, end: time.at },
      this.#nowUsecs(),
      this.#lastEventUsecs,
      this.#config,
      "system call start",
    );
    if (start) return { text: start };
    // socket() makes a new socket under test; listen() makes it listen; connect() starts its
    // connection, to packetdrill's remote port
    if (sc.name === "socket") this.#conn = null;
    if (sc.name === "socket" && sc.result.kind === "int") this.#socketUnderTest = sc.result.value;
    if (sc.name === "socket" && sc.args[1]?.kind === "word" && sc.args[1].word === "SOCK_DGRAM") {
      this.#udpFd = sc.result.kind === "int" ? sc.result.value : null;
    }
    if (sc.name === "listen") this.#listening = true;
    if (sc.name === "connect") this.#conn = newConnection(this.#config.connectPort, null);
    const outcome = invokeSyscall(this.#ctx, sc);
    // run_system_call.c: a call with `...end` may block; its end time counts from the same offset
    const expectedEnd = sc.endUsecs === null
      ? time.at
      : sc.endUsecs + (e.time.kind === "relative" ? time.at - e.time.usecs : 0);
    if (outcome === "blocked") {
      if (sc.endUsecs === null) {
        return {
          text:
            `runtime error in ${sc.name} call: the call blocked, and the script expects it to return at once`,
        };
      }
      const pending: Pending = { event: e, sc, expectedEnd, start: time.at, done: null };
      this.#pending = pending;
      this.#waitOn(pending);
      this.#lastEventUsecs = time.at;
      return null;
    }
    const error = checkSyscall(sc, this.#withErrno(sc, outcome));
    if (error) return { text: `runtime error in ${sc.name} call: ${error}` };
    // run_syscall_accept(): the connection under test gets its descriptor
    if (sc.name === "accept" && this.#socketUnderTest === null && outcome.result >= 0) {
      this.#socketUnderTest = outcome.result;
    }
    if (sc.endUsecs !== null) {
      const timing = verifyTime(
        e.time,
        { at: expectedEnd, end: expectedEnd },
        this.#nowUsecs(),
        time.at,
        this.#config,
        "system call return",
      );
      if (timing) return { text: timing };
    }
    this.#lastEventUsecs = time.at;
    return null;
  }

  // A blocked call is packetdrill's syscall thread: a task that sleeps on its sockets' wait
  // queues and, woken by sock_def_readable(), runs once the softirq that woke it is done and
  // tries the call again; a poll() or epoll_wait() with a timeout is also woken by its hrtimer
  // and then returns what it finds, nothing ready being 0.
  #waitOn(pending: Pending): void {
    const ctx = this.#ctx;
    const sim = this.#host.sim;
    let timedOut = false;
    const body = function* (): TaskBody {
      for (;;) {
        const socks = waitQueuesOf(ctx, pending.sc);
        if (!socks.length && !timedOut) return;
        for (const sk of socks) sk.waiters.push(task);
        yield { op: "sleep" };
        const outcome = invokeSyscall(ctx, timedOut ? withoutWaiting(pending.sc) : pending.sc);
        if (outcome !== "blocked") {
          pending.done = { ...outcome, usecs: sim.now / 1000 };
          return;
        }
      }
    };
    const task = new Task(pending.sc.name, body());
    this.#cpu.addTask(task);
    const timeout = syscallTimeoutNs(pending.sc);
    if (timeout !== null) {
      sim.at(sim.now + timeout, () => {
        timedOut = true;
        task.wake();
      });
    }
  }

  // A call's outcome with the errno its thread holds after it: its own, or the one left before
  #withErrno(
    sc: SyscallSpec,
    outcome: { result: number; errno: string | null; out?: string | null },
  ): { result: number; errno: string | null; out?: string | null } {
    const thread = sc.endUsecs === null ? "main" : "thread";
    if (outcome.errno) this.#errno[thread] = outcome.errno;
    return { ...outcome, errno: this.#errno[thread] };
  }

  // await_idle_thread(): the simulation runs, event by event, until the blocked call returns or
  // a second has passed
  #runUntilReturned(pending: Pending): void {
    const sim = this.#host.sim;
    const limit = sim.now + AWAIT_IDLE_USECS * 1000;
    while (!pending.done && sim.now < limit) {
      const next = sim.events.nextAt;
      sim.run(next === null || next > limit ? limit : next);
    }
  }

  // A blocked call that has returned: its result and its return time, checked.
  #pendingError(): { text: string; line: number } | null {
    const p = this.#pending;
    if (!p?.done) return null;
    this.#pending = null;
    const error = checkSyscall(p.sc, this.#withErrno(p.sc, p.done));
    if (error) return { line: p.event.line, text: `runtime error in ${p.sc.name} call: ${error}` };
    const timing = verifyTime(
      p.event.time,
      { at: p.expectedEnd, end: p.expectedEnd },
      p.done.usecs,
      p.start,
      this.#config,
      "system call return",
    );
    return timing ? { line: p.event.line, text: timing } : null;
  }

  // packetdrill's write() to tun returns once the kernel has taken the packet in: the CPU runs
  // until it idles before the next event
  #settle(): void {
    for (let i = 0; i < 10_000 && !this.#cpu.isIdle; i++) {
      this.#host.sim.run(this.#host.sim.now + 1000);
    }
  }

  #nowUsecs(): number {
    return this.#host.sim.now / 1000;
  }

  // The next moment anything can happen: a millisecond on, or sooner
  #nextEventUsecs(): number {
    return this.#nowUsecs() + 1000;
  }

  #runTo(usecs: number): void {
    if (usecs > this.#nowUsecs()) this.#host.sim.run(Math.round(usecs * 1000));
  }

  #fail(line: number | null, text: string): PacketdrillResult {
    return this.#result(`${this.#path}${line === null ? "" : `:${line}`}: ${text}\n`);
  }

  #result(error: string | null): PacketdrillResult {
    return {
      ok: error === null,
      error,
      ignoredSysctls: this.#ignoredSysctls,
      log: this.#log,
      output: this.#output,
      host: this.#host,
    };
  }

  #refuse(line: number, what: string): never {
    throw new InputRangeError(`${this.#path}:${line}: the kit cannot run this script: ${what}`);
  }

  // Sets a sysctl as sysctl(8) does; false when the kernel refuses the value (sysctl fails)
  #setSysctl(name: string, value: string, host: Host = this.#host): boolean {
    const numbers = value.split(/\s+/).map(shellNumber);
    if (name === "net.ipv4.tcp_rmem" && numbers.length === 3) {
      host.ipv4.tcpRmem = numbers as [number, number, number];
    } else if (name === "net.ipv4.tcp_wmem" && numbers.length === 3) {
      host.ipv4.tcpWmem = numbers as [number, number, number];
    } else if (name === "net.ipv4.tcp_congestion_control") {
      // tcp_set_default_congestion_control(): outside the initial namespace only those of
      // tcp_allowed_congestion_control (reno and the default, bbr, on the reference host);
      // cubic is EPERM there, an unknown name ENOENT: sysctl fails and nothing changes
      if (value !== "bbr" && value !== "reno") return false;
      host.ipv4.tcpCongestionControl = value;
    } else if (name in host.sysctl && numbers.length === 1) host.setSysctl(name, numbers[0]);
    else if (SEND_SIDE_SYSCTLS.has(name)) this.#ignoredSysctls.push(name);
    else throw new InputRangeError(`sysctl ${name} is not modelled`);
    return true;
  }

  // A backquoted command's actions, one per shell command (lines, `;`): `sysctl -q name=value
  // ...`, `echo value > /proc/sys/...`, `set_sysctls.py /proc/sys/...=value ...` and the restore
  // script it writes, `nstat` piped into `grep`, comments, a script file read the same way, and
  // the two setup lines of packetdrill's defaults.sh that change nothing the kit models
  // (flushing tcp_metrics, a pfifo qdisc on tun0); anything else is refused. Only the last
  // command's status is the command's (a script it runs goes on past a failing line).
  #commandActions(
    command: string,
    line: number,
    readFile?: (path: string) => string,
    sourced = false,
  ): CommandAction[] {
    const out: CommandAction[] = [];
    const texts = command.replace(/\\\n/g, " ").split("\n").flatMap((raw) =>
      splitCommands(raw.replace(/(^|\s)#.*$/, ""))
    ).map((t) => t.trim()).filter((t) => t && !t.startsWith("#!"));
    for (const [i, text] of texts.entries()) {
      const statusIgnored = sourced || i < texts.length - 1;
      if (/&&|\|\|/.test(text)) {
        this.#refuse(line, `the shell operators in \`${text}\` are not modelled`);
      }
      if (/^[^\s]+\.sh$/.test(text) && !/sysctl_restore_/.test(text)) {
        if (!readFile) this.#refuse(line, `the script file ${text} cannot be read`);
        out.push(...this.#commandActions(readFile(text), line, readFile, true));
        continue;
      }
      const m = /^sysctl\s+((?:-[qew]\s+)*)(.*?)(\s*>\s*\/dev\/null.*)?$/.exec(text);
      if (m) {
        for (const a of m[2].matchAll(/([a-z0-9_.\/]+)=("[^"]*"|\S+)/g)) {
          out.push({ kind: "sysctl", ...sysctlSetting(a[1], a[2]), statusIgnored });
        }
        continue;
      }
      const echo = /^echo\s+("[^"]*"|'[^']*'|\S+)\s*>\s*\/proc\/sys\/(\S+)$/.exec(text);
      if (echo) {
        out.push({ kind: "sysctl", ...sysctlSetting(echo[2], echo[1]), statusIgnored });
        continue;
      }
      const set = /^(\S*\/)?set_sysctls\.py\s+(.*)$/.exec(text);
      if (set) {
        const settings = [...set[2].matchAll(/\/proc\/sys\/([^=\s]+)=("[^"]*"|'[^']*'|\S+)/g)]
          .map((a) => sysctlSetting(a[1], a[2]));
        out.push({ kind: "setSysctls", settings, statusIgnored });
        continue;
      }
      if (/^\/tmp\/sysctl_restore_\$\{?PPID\}?\.sh$/.test(text)) {
        out.push({ kind: "restoreSysctls", statusIgnored });
        continue;
      }
      if (/^(ip tcp_metrics flush|tc qdisc add dev tun0 root pfifo)/.test(text)) continue;
      const stages = text.split("|").map(shellWords);
      const nstatOk = stages[0][0] === "nstat" &&
        stages[0].slice(1).every((f) => /^-[nsaz]+$/.test(f));
      const grepOk = stages.slice(1).every((g) =>
        g[0] === "grep" && g.length >= 2 && g.slice(1, -1).every((f) => /^-[qvE]+$/.test(f)) &&
        isPattern(g[g.length - 1])
      );
      if (nstatOk && grepOk) {
        out.push({ kind: "nstat", stages, statusIgnored });
        continue;
      }
      this.#refuse(line, `the shell command \`${text}\` is not modelled`);
    }
    return out;
  }
}

// A sysctl as a command names it: dotted or as its path under /proc/sys, quotes off the value
function sysctlSetting(name: string, value: string): { name: string; value: string } {
  return { name: name.replaceAll("/", "."), value: value.replace(/["']/g, "").trim() };
}

// A sysctl's value as reading its /proc/sys file gives it
function sysctlValue(host: Host, name: string): string {
  if (name === "net.ipv4.tcp_rmem") return host.ipv4.tcpRmem.join("\t");
  if (name === "net.ipv4.tcp_wmem") return host.ipv4.tcpWmem.join("\t");
  if (name === "net.ipv4.tcp_congestion_control") return host.ipv4.tcpCongestionControl;
  return String(host.sysctl[name] ?? "");
}

// A shell line's commands, split at `;` outside quotes
function splitCommands(text: string): string[] {
  const out = [""];
  let quote = "";
  for (const c of text) {
    if (quote) quote = c === quote ? "" : quote;
    else if (c === '"' || c === "'") quote = c;
    else if (c === ";") {
      out.push("");
      continue;
    }
    out[out.length - 1] += c;
  }
  return out;
}

// The bytes of a script packet's TCP options (TCPOLEN_*)
function optionsLength(options: TcpOptionSpec[]): number {
  const bytes = { nop: 1, eol: 1, mss: 4, wscale: 3, sackOK: 2, TS: 10 };
  return options.reduce(
    (n, o) => n + (o.kind === "sack" ? 2 + 8 * o.blocks.length : bytes[o.kind]),
    0,
  );
}

/**
 * What one shell command of a backquoted command does: set a sysctl, set some as
 * set_sysctls.py does or put them back as its restore script does, or run nstat into grep.
 * `statusIgnored`: its exit status is not the command's (not the last one, or in a script the
 * command runs).
 */
type CommandAction =
  & { statusIgnored: boolean }
  & (
    | { kind: "sysctl"; name: string; value: string }
    | { kind: "setSysctls"; settings: { name: string; value: string }[] }
    | { kind: "restoreSysctls" }
    | { kind: "nstat"; stages: string[][] }
  );

// Whether grep's pattern is one the kit can match (a regular expression JavaScript reads too)
function isPattern(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

// A shell command's words, single and double quotes taken off
function shellWords(text: string): string[] {
  return [...text.trim().matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

function newConnection(remotePort: number, localPort: number | null): ConnectionMap {
  return {
    scriptLocalIsn: null,
    liveLocalIsn: null,
    remoteIsn: 0,
    remotePort,
    localPort,
    tsValMap: new Map(),
    firstTsVal: null,
  };
}

function isInbound(e: ScriptEvent | null): boolean {
  return e?.type === "packet" && e.packet.direction === "inbound";
}

// A number as a shell writes it: 42, 0x70403, or $((15*1024*1024))
function shellNumber(text: string): number {
  const m = /^\$\(\((.*)\)\)$/.exec(text);
  if (m) return m[1].split("*").reduce((a, b) => a * Number(b), 1);
  return Number(text);
}

function secs(usecs: number): string {
  return (usecs / 1e6).toFixed(6).padStart(9);
}

// adjust_relative_event_times(): an event's time, µs from the script's start
function eventTimes(t: EventTime, offset: number): { at: number; end: number } {
  switch (t.kind) {
    case "absolute":
      return { at: t.usecs, end: t.usecs };
    case "relative":
      return { at: offset + t.usecs, end: offset + t.usecs };
    case "any":
      return { at: offset, end: Infinity };
    case "absolute_range":
      return { at: t.usecs, end: t.endUsecs! };
    case "relative_range":
      return { at: offset + t.usecs, end: offset + t.endUsecs! };
  }
}

// verify_time(): within the tolerance, widened to 12.5 % of the time since the last event
function verifyTime(
  t: EventTime,
  time: { at: number; end: number },
  actual: number,
  last: number,
  cfg: { toleranceUsecs: number; tolerancePercent: number },
  what: string,
): string | null {
  if (t.kind === "any") return null;
  const tolerance = Math.max(
    cfg.toleranceUsecs,
    Math.floor(cfg.tolerancePercent / 100 * (time.at - last)),
  );
  const s = (u: number) => (u / 1e6).toFixed(6);
  if (t.kind === "absolute_range" || t.kind === "relative_range") {
    if (actual < time.at - tolerance || actual > time.end + tolerance) {
      return `timing error: expected ${what} in time range ${s(time.at)}~${
        s(time.end)
      } sec but happened at ${s(actual)} sec`;
    }
    return null;
  }
  if (actual < time.at - tolerance || actual > time.at + tolerance) {
    return `timing error: expected ${what} at ${s(time.at)} sec but happened at ${
      s(actual)
    } sec; tolerance ${s(tolerance)} sec`;
  }
  return null;
}
