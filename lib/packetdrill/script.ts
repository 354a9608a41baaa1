// Reads packetdrill scripts (google/packetdrill: gtests/net/packetdrill/lexer.l and parser.y):
// option lines, backquoted shell commands, and timed events — packets in (`<`) and expected
// out (`>`), and system calls with their expected results. The grammar is packetdrill's; what
// the kit cannot run is refused later, by the runner, naming the line.

import { InputSyntaxError } from "../base/errors.ts";

/** When an event happens, as packetdrill's event_time rule reads it. */
export interface EventTime {
  /** `0.1` absolute, `+0.1` relative, `*` any time, `a~b` / `+a~+b` ranges (outbound only). */
  kind: "absolute" | "relative" | "any" | "absolute_range" | "relative_range";
  /** The time, µs. */
  usecs: number;
  /** For a range, its end, µs. */
  endUsecs?: number;
}

/** A TCP option as a script writes it. */
export type TcpOptionSpec =
  | { kind: "nop" }
  | { kind: "eol" }
  | { kind: "mss"; value: number }
  | { kind: "wscale"; value: number }
  | { kind: "sackOK" }
  | { kind: "sack"; blocks: [number, number][] }
  | { kind: "TS"; val: number; ecr: number };

/** A TCP segment in a script: `< S 0:0(0) win 32792 <mss 1000,wscale 7>`. */
export interface TcpPacketSpec {
  /** The transport. */
  proto: "tcp";
  /** `<` into the host, `>` expected out of it. */
  direction: "inbound" | "outbound";
  /** The flag letters (F S R P E W U), "." for ACK included. */
  flags: string;
  /** Sequence number, relative to the sender's initial one. */
  seq: number;
  /** Payload bytes. */
  len: number;
  /** Acknowledgment number, or null when the script gives none. */
  ack: number | null;
  /** Window, or null when the script gives none (not checked outbound). */
  win: number | null;
  /** Options, or null for `<...>` (not checked). */
  options: TcpOptionSpec[] | null;
  /** What the packet says that the kit does not model (IP fields, ports, urg, Fast Open...). */
  unmodelled: string[];
}

/** A UDP datagram in a script: `< udp (100)`. */
export interface UdpPacketSpec {
  /** The transport. */
  proto: "udp";
  /** Into or out of the host. */
  direction: "inbound" | "outbound";
  /** Payload bytes. */
  len: number;
  /** What the packet says that the kit does not model. */
  unmodelled: string[];
}

/** An ICMP message in a script: `> icmp unreachable port_unreachable [...]`. */
export interface IcmpPacketSpec {
  /** The transport. */
  proto: "icmp";
  /** Into or out of the host. */
  direction: "inbound" | "outbound";
  /** Its type's name, such as `unreachable` or `echo_request`. */
  type: string;
  /** Its code's name, if given. */
  code: string | null;
  /** What the packet says that the kit does not model. */
  unmodelled: string[];
}

/** A packet event's packet. */
export type PacketSpec = TcpPacketSpec | UdpPacketSpec | IcmpPacketSpec;

/** A system call's argument or result, as parser.y's expression rule reads it. */
export type Expr =
  | { kind: "ellipsis" }
  | { kind: "int"; value: number }
  | { kind: "word"; word: string }
  | { kind: "string"; value: string }
  | { kind: "array"; items: Expr[] }
  | { kind: "struct"; fields: { name: string; value: Expr }[] }
  | { kind: "or"; left: Expr; right: Expr };

/** A system call in a script: `read(4, ..., 1000) = 1000`. */
export interface SyscallSpec {
  /** The call's name. */
  name: string;
  /** Its arguments. */
  args: Expr[];
  /** The result expected. */
  result: Expr;
  /** The errno expected with a -1 result, such as `EAGAIN`. */
  errno: string | null;
  /** For a call that blocks (`+0...0.1 read(...)`), the time it returns by, µs. */
  endUsecs: number | null;
}

/** One timed line of a script. */
export type ScriptEvent =
  & { line: number; time: EventTime }
  & (
    | { type: "packet"; packet: PacketSpec }
    | { type: "syscall"; syscall: SyscallSpec }
    | { type: "command"; command: string }
    | { type: "code"; code: string }
  );

/** A parsed script. */
export interface Script {
  /** The `--name=value` option lines before the events, by name. */
  options: Map<string, string>;
  /** Backquoted commands before the first event (packetdrill's init command). */
  initCommands: { line: number; command: string }[];
  /** The events, in order. */
  events: ScriptEvent[];
  /** Backquoted commands after the last event (packetdrill's cleanup command). */
  cleanupCommands: { line: number; command: string }[];
}

type TokenKind =
  | "int"
  | "float"
  | "word"
  | "string"
  | "backquoted"
  | "code"
  | "punct"
  | "ellipsis"
  | "eof";
interface Token {
  kind: TokenKind;
  text: string;
  line: number;
}

const PUNCT = new Set([..."<>:()[]{},=+*~|.-!/%&"]);

// lexer.l: comments are `//` to the end of the line and `/* */`; an option line is
// `--name=value` alone on its line.
function lex(source: string, path: string): { tokens: Token[]; options: Map<string, string> } {
  const tokens: Token[] = [];
  const options = new Map<string, string>();
  let i = 0, line = 1;
  const fail = (what: string): never => {
    throw new InputSyntaxError(`${path}:${line}: syntax error: ${what}`);
  };
  while (i < source.length) {
    const c = source[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") i++;
    else if (source.startsWith("//", i)) {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (source.startsWith("/*", i)) {
      const end = source.indexOf("*/", i + 2);
      if (end < 0) fail("unterminated /* comment");
      for (let j = i; j < end; j++) if (source[j] === "\n") line++;
      i = end + 2;
    } else if (source.startsWith("--", i) && /^--[a-z_]/.test(source.slice(i, i + 3))) {
      const end = source.indexOf("\n", i);
      const text = source.slice(i + 2, end < 0 ? source.length : end).replace(/\/\/.*$/, "")
        .trim();
      const eq = text.indexOf("=");
      options.set(eq < 0 ? text : text.slice(0, eq), eq < 0 ? "" : text.slice(eq + 1));
      i = end < 0 ? source.length : end;
    } else if (source.startsWith("%{", i)) {
      const end = source.indexOf("}%", i + 2);
      if (end < 0) fail("unterminated %{ code }%");
      const text = source.slice(i + 2, end);
      tokens.push({ kind: "code", text, line });
      for (const ch of text) if (ch === "\n") line++;
      i = end + 2;
    } else if (c === "`") {
      const end = source.indexOf("`", i + 1);
      if (end < 0) fail("unterminated backquoted command");
      const text = source.slice(i + 1, end);
      tokens.push({ kind: "backquoted", text, line });
      for (const ch of text) if (ch === "\n") line++;
      i = end + 1;
    } else if (c === '"') {
      const end = source.indexOf('"', i + 1);
      if (end < 0) fail("unterminated string");
      tokens.push({ kind: "string", text: source.slice(i + 1, end), line });
      i = end + 1;
    } else if (source.startsWith("...", i)) {
      tokens.push({ kind: "ellipsis", text: "...", line });
      i += 3;
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(source[i + 1] ?? ""))) {
      const m = /^(0x[0-9a-fA-F]+|[0-9]*\.[0-9]+|[0-9]+\.(?![.])[0-9]*|[0-9]+)/.exec(
        source.slice(i, i + 40),
      )!;
      const text = m[0];
      // an IPv4 address (a.b.c.d) is one word
      const ip = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/.exec(source.slice(i, i + 16));
      if (ip) {
        tokens.push({ kind: "word", text: ip[0], line });
        i += ip[0].length;
        continue;
      }
      tokens.push({ kind: text.includes(".") ? "float" : "int", text, line });
      i += text.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i, i + 200))!;
      tokens.push({ kind: "word", text: m[0], line });
      i += m[0].length;
    } else if (PUNCT.has(c)) {
      tokens.push({ kind: "punct", text: c, line });
      i++;
    } else fail(`unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: "eof", text: "end of file", line });
  return { tokens, options };
}

/**
 * Parses a packetdrill script.
 * @param source the script's text
 * @param path its name, for messages (`script.pkt:12: syntax error: ...`)
 * @returns options, initial commands and events
 * @throws {InputSyntaxError} naming the line of the first syntax error
 * @example
 * ```ts
 * import { parsePacketdrill } from "@rxpath/rxpath";
 * const s = parsePacketdrill("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1000", "x.pkt");
 * console.log(s.events.length, s.events[1].type); // 2 packet
 * ```
 */
export function parsePacketdrill(source: string, path: string): Script {
  const { tokens, options } = lex(source, path);
  const p = new Parser(tokens, path);
  const initCommands: Script["initCommands"] = [];
  while (p.peek().kind === "backquoted") {
    const t = p.next();
    initCommands.push({ line: t.line, command: t.text });
  }
  const events: ScriptEvent[] = [];
  const cleanupCommands: Script["cleanupCommands"] = [];
  while (p.peek().kind !== "eof") {
    if (p.peek().kind !== "backquoted") events.push(p.event());
    else {
      const t = p.next();
      cleanupCommands.push({ line: t.line, command: t.text });
      if (p.peek().kind !== "eof") {
        p.fail("expected the end of the script after the cleanup command");
      }
    }
  }
  return { options, initCommands, events, cleanupCommands };
}

class Parser {
  #tokens: Token[];
  #at = 0;
  #path: string;

  constructor(tokens: Token[], path: string) {
    this.#tokens = tokens;
    this.#path = path;
  }

  peek(ahead = 0): Token {
    return this.#tokens[Math.min(this.#at + ahead, this.#tokens.length - 1)];
  }

  next(): Token {
    const t = this.peek();
    if (t.kind !== "eof") this.#at++;
    return t;
  }

  fail(what: string, t = this.peek()): never {
    throw new InputSyntaxError(
      `${this.#path}:${t.line}: syntax error: ${what}, found ${JSON.stringify(t.text)}`,
    );
  }

  is(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return (t.kind === "punct" || t.kind === "word" || t.kind === "ellipsis") && t.text === text;
  }

  expect(text: string): Token {
    if (!this.is(text)) this.fail(`expected "${text}"`);
    return this.next();
  }

  integer(what: string, max = 0xffffffff): number {
    const t = this.peek();
    if (t.kind !== "int") this.fail(`expected ${what}`);
    this.next();
    const v = Number(t.text);
    if (v > max) this.fail(`${what} out of range`, t);
    return v;
  }

  // time: seconds as an integer or a float, in µs
  time(): number {
    const t = this.next();
    if (t.kind !== "int" && t.kind !== "float") this.fail("expected a time", t);
    return Math.round(Number(t.text) * 1e6);
  }

  event(): ScriptEvent {
    const line = this.peek().line;
    const time = this.eventTime();
    if (this.peek().kind === "backquoted") {
      return { line, time, type: "command", command: this.next().text };
    }
    if (this.peek().kind === "code") return { line, time, type: "code", code: this.next().text };
    if (this.is("<") || this.is(">")) return { line, time, type: "packet", packet: this.packet() };
    let endUsecs: number | null = null;
    if (this.peek().kind === "ellipsis") {
      this.next();
      endUsecs = this.time();
    }
    if (this.peek().kind === "word" && this.is("(", 1)) {
      return { line, time, type: "syscall", syscall: this.syscall(endUsecs) };
    }
    return this.fail("expected a packet, a system call or a command");
  }

  eventTime(): EventTime {
    if (this.is("*")) {
      this.next();
      return { kind: "any", usecs: 0 };
    }
    const relative = this.is("+");
    if (relative) this.next();
    const usecs = this.time();
    if (!this.is("~")) return { kind: relative ? "relative" : "absolute", usecs };
    this.next();
    if (relative) this.expect("+");
    const endUsecs = this.time();
    if (endUsecs < usecs) this.fail("time range is backwards");
    return { kind: relative ? "relative_range" : "absolute_range", usecs, endUsecs };
  }

  // The next token starts an event: a time on a new line
  atEventStart(): boolean {
    const t = this.peek();
    const prev = this.#tokens[this.#at - 1];
    if (!prev || t.line === prev.line) return false;
    return t.kind === "int" || t.kind === "float" || this.is("+") || this.is("*");
  }

  // A balanced ( ) or [ ] group, as text: IP info such as (tos 0x4) or [ect0]
  group(): string {
    const open = this.next().text;
    const close = open === "(" ? ")" : "]";
    const parts: string[] = [open];
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.kind === "eof") this.fail(`unterminated ${open}`, t);
      if (t.text === open) depth++;
      if (t.text === close) depth--;
      parts.push(t.text);
    }
    return parts.join(" ");
  }

  packet(): PacketSpec {
    const direction = this.next().text === "<" ? "inbound" : "outbound";
    const unmodelled: string[] = [];
    while (this.is("(") || this.is("[")) unmodelled.push(`IP fields ${this.group()}`);
    if (this.is("udp")) {
      this.next();
      this.expect("(");
      const len = this.integer("UDP payload size", 0xffff);
      this.expect(")");
      return { proto: "udp", direction, len, unmodelled };
    }
    if (this.is("icmp")) {
      this.next();
      const type = this.next().text;
      const code = this.peek().kind === "word" ? this.next().text : null;
      while (this.peek().kind !== "eof" && !this.atEventStart()) this.next();
      return { proto: "icmp", direction, type, code, unmodelled };
    }
    if (this.peek().kind === "int" && this.is(">", 1)) {
      const src = this.next().text;
      this.next();
      unmodelled.push(`explicit ports ${src}>${this.integer("destination port", 0xffff)}`);
    }
    const flags = this.flags();
    const seq = this.integer("TCP start sequence number");
    this.expect(":");
    const end = this.integer("TCP end sequence number");
    this.expect("(");
    const len = this.integer("TCP payload size", 0xffff);
    this.expect(")");
    if (end !== (seq + len) % 2 ** 32) {
      this.fail("inconsistent TCP sequence numbers and payload size");
    }
    let ack: number | null = null, win: number | null = null;
    if (this.is("ack")) {
      this.next();
      ack = this.integer("TCP ack sequence number");
    }
    if (this.is("win")) {
      this.next();
      win = this.integer("TCP window value", 0xffff);
    }
    if (this.is("urg")) {
      this.next();
      unmodelled.push(`an urgent pointer (urg ${this.integer("urg_ptr", 0xffff)})`);
    }
    let options: TcpOptionSpec[] | null = [];
    if (this.is("<")) {
      this.next();
      if (this.peek().kind === "ellipsis") {
        this.next();
        if (direction === "inbound") this.fail("<...> for TCP options only for outbound packets");
        options = null;
      } else {
        const add = () => {
          const o = this.tcpOption();
          if ("unmodelled" in o) unmodelled.push(o.unmodelled);
          else options!.push(o);
        };
        add();
        while (this.is(",")) {
          this.next();
          add();
        }
      }
      this.expect(">");
    }
    return { proto: "tcp", direction, flags, seq, len, ack, win, options, unmodelled };
  }

  // flags: WORD opt_ack_flag | '.' | '-'
  flags(): string {
    if (this.is("-")) {
      this.next();
      return "";
    }
    if (this.is(".")) {
      this.next();
      return ".";
    }
    const t = this.next();
    if (t.kind !== "word" || !/^[FSRPEWU]+$/.test(t.text)) this.fail("expected TCP flags", t);
    if (this.is(".")) {
      this.next();
      return t.text + ".";
    }
    return t.text;
  }

  tcpOption(): TcpOptionSpec | { unmodelled: string } {
    const t = this.next();
    switch (t.text) {
      case "FO":
      case "FOEXP":
      case "md5":
      case "AccECN": {
        // a Fast Open cookie, an MD5 signature, AccECN counters: read to the next , or >
        const words: string[] = [t.text];
        while (!this.is(",") && !this.is(">") && this.peek().kind !== "eof") {
          words.push(this.next().text);
        }
        return { unmodelled: `the TCP option ${words.join(" ")}` };
      }
      case "nop":
        return { kind: "nop" };
      case "eol":
        return { kind: "eol" };
      case "mss":
        return { kind: "mss", value: this.integer("mss value", 0xffff) };
      case "wscale":
        return { kind: "wscale", value: this.integer("window scale shift count", 255) };
      case "sackOK":
        return { kind: "sackOK" };
      case "sack": {
        const blocks: [number, number][] = [];
        while (this.peek().kind === "int") {
          const a = this.integer("SACK block start");
          this.expect(":");
          blocks.push([a, this.integer("SACK block end")]);
        }
        if (!blocks.length) this.fail("expected SACK blocks");
        return { kind: "sack", blocks };
      }
      case "TS": {
        if (!this.is("val")) this.fail('expected "val"');
        this.next();
        const val = this.integer("ts val");
        if (!this.is("ecr")) this.fail('expected "ecr"');
        this.next();
        return { kind: "TS", val, ecr: this.integer("ecr val") };
      }
    }
    return this.fail(
      "expected a TCP option (nop, eol, mss, wscale, sackOK, sack, TS, FO, FOEXP, md5)",
      t,
    );
  }

  syscall(endUsecs: number | null): SyscallSpec {
    const name = this.next().text;
    this.expect("(");
    const args: Expr[] = [];
    if (!this.is(")")) {
      args.push(this.expression());
      while (this.is(",")) {
        this.next();
        args.push(this.expression());
      }
    }
    this.expect(")");
    this.expect("=");
    const result = this.expression();
    let errno: string | null = null;
    if (this.peek().kind === "word" && /^E[A-Z0-9]+$/.test(this.peek().text)) {
      errno = this.next().text;
    }
    if (this.is("(")) this.note();
    return { name, args, result, errno, endUsecs };
  }

  // note: '(' anything ')', such as (Resource temporarily unavailable)
  note(): void {
    this.expect("(");
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.kind === "eof") this.fail("unterminated note", t);
      if (t.kind === "punct" && t.text === "(") depth++;
      if (t.kind === "punct" && t.text === ")") depth--;
    }
  }

  expression(): Expr {
    let e = this.primary();
    while (this.is("|")) {
      this.next();
      e = { kind: "or", left: e, right: this.primary() };
    }
    return e;
  }

  primary(): Expr {
    const t = this.peek();
    if (t.kind === "ellipsis") {
      this.next();
      return { kind: "ellipsis" };
    }
    if (t.kind === "int") {
      this.next();
      return { kind: "int", value: Number(t.text) };
    }
    if (this.is("-") && this.peek(1).kind === "int") {
      this.next();
      return { kind: "int", value: -Number(this.next().text) };
    }
    if (t.kind === "string") {
      this.next();
      if (this.peek().kind === "ellipsis") this.next();
      return { kind: "string", value: t.text };
    }
    if (t.kind === "word") {
      this.next();
      return { kind: "word", word: t.text };
    }
    if (this.is("[")) {
      this.next();
      const items: Expr[] = [];
      if (!this.is("]")) {
        items.push(this.expression());
        while (this.is(",")) {
          this.next();
          items.push(this.expression());
        }
      }
      this.expect("]");
      return { kind: "array", items };
    }
    if (this.is("{")) {
      this.next();
      const fields: { name: string; value: Expr }[] = [];
      while (!this.is("}")) {
        const named = this.peek().kind === "word" && (this.is("=", 1) || this.is("(", 1));
        if (!named) fields.push({ name: "", value: this.expression() }); // {..., 100}: positional
        else {
          let name = this.next().text;
          // msg_iov(1)=..., msg_name(...)=...: the count or ellipsis is part of the name
          if (this.is("(")) {
            this.next();
            name += `(${this.next().text})`;
            this.expect(")");
          }
          this.expect("=");
          fields.push({ name, value: this.expression() });
        }
        if (this.is(",")) this.next();
        else if (!this.is("}")) this.fail('expected "," or "}"');
      }
      this.expect("}");
      return { kind: "struct", fields };
    }
    return this.fail("expected an expression");
  }
}
