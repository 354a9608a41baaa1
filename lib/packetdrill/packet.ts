// The packet side of a packetdrill run (gtests/net/packetdrill/run_packet.c,
// packet_to_string.c, tcp_options_to_string.c): inbound script packets made into frames with
// the live sequence numbers, outbound live packets read back into script terms, compared
// field by field in packetdrill's order and printed as packetdrill prints them.

import { buildFrame } from "../wire/build.ts";
import { ETH_HLEN } from "../wire/ethernet.ts";
import { TcpHdr, tcpParseOptions } from "../wire/tcp.ts";
import type { TcpOptionSpec, TcpPacketSpec } from "./script.ts";

/** An outbound TCP segment as the host sent it, sequence numbers as on the wire. */
export interface LiveTcpPacket {
  /** When it left, µs from the script's start. */
  usecs: number;
  /** Source port. */
  sport: number;
  /** Destination port: the peer's, which names the connection. */
  dport: number;
  /** Flag letters, "." for ACK. */
  flags: string;
  /** Sequence number. */
  seq: number;
  /** Payload bytes. */
  len: number;
  /** Acknowledgment number. */
  ack: number;
  /** Window field. */
  win: number;
  /** Options in order. */
  options: TcpOptionSpec[];
}

/** What maps one connection's script numbers to live ones (struct socket in socket.h). */
export interface ConnectionMap {
  /** Our ISN in the script (the seq of the SYN or SYN-ACK it expects), once seen. */
  scriptLocalIsn: number | null;
  /** Our ISN on the wire, once seen. */
  liveLocalIsn: number | null;
  /** The peer's ISN, as its SYN (or SYN-ACK) gives it: the same in the script and live. */
  remoteIsn: number;
  /** For an active open, the SYN-ACK came (SOCKET_ACTIVE_SYN_ACKED). */
  synAcked?: boolean;
  /** The remote port this connection uses. */
  remotePort: number;
  /** Our port: bind()'s for a passive open, learned from the SYN for an active one. */
  localPort: number | null;
  /** Script TS val → live TS val, learned from outbound packets (ts_val_map). */
  tsValMap: Map<number, number>;
  /** The first outbound TS vals, script and live: live ones are read relative to them. */
  firstTsVal: { script: number; live: number } | null;
}

const FLAG_BITS: Record<string, number> = {
  F: 0x01,
  S: 0x02,
  R: 0x04,
  P: 0x08,
  U: 0x20,
  E: 0x40,
  W: 0x80,
  ".": 0x10,
};

/**
 * The flag byte of packetdrill's letters (E is ECE, W is CWR, "." is ACK).
 * @param flags the letters
 * @returns the byte
 */
export function flagByte(flags: string): number {
  return [...flags].reduce((b, c) => b | FLAG_BITS[c], 0);
}

// tcp_flags_to_string(): the letters in packetdrill's order, "." last
function flagLetters(b: number): string {
  let f = "";
  for (const c of "FSRPEWU") if (b & FLAG_BITS[c]) f += c;
  return b & FLAG_BITS["."] ? f + "." : f;
}

/**
 * An option as packetdrill prints it: `mss 1460`, `sack 1001:2001`, `TS val 5 ecr 0`.
 * @param o the option
 * @returns its text
 */
export function optionText(o: TcpOptionSpec): string {
  switch (o.kind) {
    case "nop":
    case "eol":
    case "sackOK":
      return o.kind;
    case "mss":
      return `mss ${o.value}`;
    case "wscale":
      return `wscale ${o.value}`;
    case "sack":
      return `sack ${o.blocks.map(([a, b]) => `${a}:${b}`).join(" ")}`;
    case "TS":
      return `TS val ${o.val} ecr ${o.ecr}`;
  }
}

// TCPOPT_* kinds, for packetdrill's "(kind=N)"
const OPTION_KIND: Record<TcpOptionSpec["kind"], number> = {
  eol: 0,
  nop: 1,
  mss: 2,
  wscale: 3,
  sackOK: 4,
  sack: 5,
  TS: 8,
};

/**
 * A segment as packet_to_string() prints it: `S. 0:0(0) ack 1 win 65535 <mss 1460,nop>`.
 * @param p flags, numbers, window (null: not given) and options (null: `<...>`)
 * @returns the text
 */
export function packetText(p: {
  flags: string;
  seq: number;
  len: number;
  ack: number | null;
  win: number | null;
  options: TcpOptionSpec[] | null;
}): string {
  const ack = p.ack !== null && p.flags.includes(".") ? ` ack ${p.ack}` : "";
  const win = p.win !== null ? ` win ${p.win}` : "";
  const opts = p.options === null
    ? " <...>"
    : p.options.length
    ? ` <${p.options.map(optionText).join(",")}>`
    : " ";
  return `${p.flags} ${p.seq}:${(p.seq + p.len) >>> 0}(${p.len})${ack}${win}${opts}`;
}

function be32(v: number): number[] {
  v >>>= 0;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

/**
 * The IP packet of an inbound script segment, as map_inbound_packet() makes it live: the
 * acknowledgment and SACK blocks moved by our ISN, TS ecr to the live TS val it echoes.
 * @param p the script segment
 * @param conn the connection's mapping
 * @param addrs addresses, and whether TS ecr values not sent may be interpolated
 * @returns the packet, or an error in packetdrill's words
 */
export function inboundPacket(
  p: TcpPacketSpec,
  conn: ConnectionMap,
  addrs: { remote: string; local: string; tsEcrScaled: boolean },
): { packet: Uint8Array } | { error: string } {
  // socket.h: a SYN's numbers move by the ISNs' difference; others are relative to the ISNs
  const syn = p.flags.includes("S");
  const seqOffset = syn ? 0 : conn.remoteIsn;
  const liveIsn = conn.liveLocalIsn ?? 0;
  const ackOffset = syn ? liveIsn - (conn.scriptLocalIsn ?? 0) : liveIsn;
  const bytes: number[] = [];
  for (const o of p.options ?? []) {
    switch (o.kind) {
      case "nop":
        bytes.push(1);
        break;
      case "eol":
        bytes.push(0);
        break;
      case "mss":
        bytes.push(2, 4, o.value >> 8, o.value & 255);
        break;
      case "wscale":
        bytes.push(3, 3, o.value);
        break;
      case "sackOK":
        bytes.push(4, 2);
        break;
      case "sack":
        bytes.push(5, 2 + 8 * o.blocks.length);
        for (const [a, b] of o.blocks) bytes.push(...be32(a + ackOffset), ...be32(b + ackOffset));
        break;
      case "TS": {
        let ecr = o.ecr;
        if (p.flags.includes(".")) {
          // a TS val sent, or with --tcp_ts_ecr_scaled one counted from the first sent
          const live = conn.tsValMap.get(o.ecr) ??
            (addrs.tsEcrScaled && conn.firstTsVal
              ? (o.ecr - conn.firstTsVal.script + conn.firstTsVal.live) >>> 0
              : undefined);
          if (live === undefined) {
            return {
              error: `unable to infer live TS ecr for script TS ecr ${o.ecr};  ` +
                "no matching or preceding outbound TS val",
            };
          }
          ecr = live;
        }
        bytes.push(8, 10, ...be32(o.val), ...be32(ecr));
      }
    }
  }
  const frame = buildFrame({
    ipv4: { saddr: addrs.remote, daddr: addrs.local },
    tcp: {
      source: conn.remotePort,
      dest: conn.localPort ?? 0,
      flags: flagByte(p.flags),
      seq: (p.seq + seqOffset) >>> 0,
      ackSeq: p.ack === null ? 0 : (p.ack + ackOffset) >>> 0,
      window: p.win ?? 0,
      options: new Uint8Array(bytes),
    },
    payload: p.len,
    pad: false, // a tun device carries the datagram alone: no Ethernet minimum
  });
  return { packet: frame.slice(ETH_HLEN) };
}

/**
 * Reads a packet the host sent as packetdrill sniffs it.
 * @param frame the IP packet
 * @param usecs when it left, µs from the script's start
 * @returns the segment, or null for a packet that is not IPv4 TCP
 */
export function liveTcpPacket(frame: Uint8Array, usecs: number): LiveTcpPacket | null {
  const ip = 0;
  if (frame[ip] >> 4 !== 4 || frame[ip + 9] !== 6) return null;
  const ihl = (frame[ip] & 15) * 4;
  const totLen = (frame[ip + 2] << 8) | frame[ip + 3];
  const th = new TcpHdr(frame, ip + ihl);
  const options: TcpOptionSpec[] = [];
  for (const o of tcpParseOptions(th.optionBytes).list) {
    const d = new DataView(o.data.buffer, o.data.byteOffset, o.data.length);
    if (o.kind === 0) options.push({ kind: "eol" });
    else if (o.kind === 1) options.push({ kind: "nop" });
    else if (o.kind === 2) options.push({ kind: "mss", value: d.getUint16(0) });
    else if (o.kind === 3) options.push({ kind: "wscale", value: d.getUint8(0) });
    else if (o.kind === 4) options.push({ kind: "sackOK" });
    else if (o.kind === 8) options.push({ kind: "TS", val: d.getUint32(0), ecr: d.getUint32(4) });
    else if (o.kind === 5) {
      const blocks: [number, number][] = [];
      for (let i = 0; i + 8 <= o.data.length; i += 8) {
        blocks.push([d.getUint32(i), d.getUint32(i + 4)]);
      }
      options.push({ kind: "sack", blocks });
    }
  }
  return {
    usecs,
    sport: th.source,
    dport: th.dest,
    flags: flagLetters(th.flagByte),
    seq: th.seq,
    len: totLen - ihl - th.doff * 4,
    ack: th.ackSeq,
    win: th.window,
    options,
  };
}

/**
 * A live segment in script terms (tcp_convert_seq_number()): a SYN's sequence number moved by
 * the ISNs' difference, others relative to our ISN; acknowledgments and SACK blocks relative to
 * the peer's ISN, except a SYN's.
 * @param live the segment
 * @param conn the connection's mapping
 * @returns the segment in script numbers
 */
export function toScript(live: LiveTcpPacket, conn: ConnectionMap): LiveTcpPacket {
  const syn = live.flags.includes("S");
  const liveIsn = conn.liveLocalIsn ?? 0;
  const seqOffset = syn ? liveIsn - (conn.scriptLocalIsn ?? 0) : liveIsn;
  const ackOffset = syn ? 0 : conn.remoteIsn;
  const options = live.options.map((o): TcpOptionSpec =>
    o.kind === "sack"
      ? {
        kind: "sack",
        blocks: o.blocks.map(([a, b]) => [(a - ackOffset) >>> 0, (b - ackOffset) >>> 0]),
      }
      : o
  );
  return {
    ...live,
    seq: (live.seq - seqOffset) >>> 0,
    ack: (live.ack - ackOffset) >>> 0,
    options,
  };
}

/**
 * The live segment's TS val in script terms, once the first outbound TS val has set the
 * baseline (map_outbound_live_packet()), as packetdrill prints the actual packet.
 * @param live the segment in script numbers
 * @param conn the connection's mapping
 * @returns the segment with its TS val moved
 */
export function scriptTsVal(live: LiveTcpPacket, conn: ConnectionMap): LiveTcpPacket {
  const first = conn.firstTsVal;
  if (!first) return live;
  const options = live.options.map((o): TcpOptionSpec =>
    o.kind === "TS" ? { ...o, val: (first.script + o.val - first.live) >>> 0 } : o
  );
  return { ...live, options };
}

// The bytes options take in a header (tcp_options_length()), padded to 32-bit words
function optionsLength(options: TcpOptionSpec[]): number {
  const size: Record<TcpOptionSpec["kind"], number> = {
    nop: 1,
    eol: 1,
    mss: 4,
    wscale: 3,
    sackOK: 2,
    sack: 2,
    TS: 10,
  };
  const n = options.reduce(
    (a, o) => a + size[o.kind] + (o.kind === "sack" ? 8 * o.blocks.length : 0),
    0,
  );
  return Math.ceil(n / 4) * 4;
}

/**
 * Compares an expected segment with the one sent (verify_outbound_live_tcp(), then
 * verify_outbound_live_tcp_options()): flags, sequence, acknowledgment, the window when the
 * script gives one, the payload length, then the options in order (TS val only with
 * --tcp_ts_tick_usecs).
 * @param p the script's segment
 * @param live the segment sent, in script terms
 * @param conn the mapping (TS vals learned here)
 * @param cfg µs per TS tick (0: TS val not checked) and the timing tolerance
 * @returns null when they match, else packetdrill's message
 */
export function compareTcp(
  p: TcpPacketSpec,
  live: LiveTcpPacket,
  conn: ConnectionMap,
  cfg: { tsTick: number; toleranceUsecs: number; tolerancePercent: number },
): string | null {
  const tsTick = cfg.tsTick;
  // verify_outbound_tcp_option(): the tolerance over the whole run so far, not since the last
  // event
  const tolerance = Math.max(
    cfg.toleranceUsecs,
    Math.floor(cfg.tolerancePercent / 100 * live.usecs),
  );
  const bit = (f: string, s: string) => s.includes(f) ? 1 : 0;
  const liveOpts = optionsLength(live.options);
  // with <...> the options are allowed whatever their length (tcp_options_allowance())
  const scriptOpts = p.options === null ? liveOpts : optionsLength(p.options);
  const checks: [string, number, number][] = [
    ["ipv4_total_length", 40 + scriptOpts + p.len, 40 + liveOpts + live.len],
    ["tcp_data_offset", 5 + scriptOpts / 4, 5 + liveOpts / 4],
    ["tcp_fin", bit("F", p.flags), bit("F", live.flags)],
    ["tcp_syn", bit("S", p.flags), bit("S", live.flags)],
    ["tcp_rst", bit("R", p.flags), bit("R", live.flags)],
    ["tcp_psh", bit("P", p.flags), bit("P", live.flags)],
    ["tcp_ack", bit(".", p.flags), bit(".", live.flags)],
    ["tcp_ece", bit("E", p.flags), bit("E", live.flags)],
    ["tcp_cwr", bit("W", p.flags), bit("W", live.flags)],
    ["tcp_seq", p.seq, live.seq],
    ["tcp_ack_seq", p.ack ?? 0, bit(".", live.flags) ? live.ack : 0],
  ];
  if (p.win !== null) checks.push(["tcp_window", p.win, live.win]);
  for (const [name, want, got] of checks) {
    if (want !== got) {
      return `live packet field ${name}: expected: ${want} (0x${
        want.toString(16)
      }) vs actual: ${got} (0x${got.toString(16)})`;
    }
  }
  if (p.options === null) return null;
  for (let i = 0; i < Math.max(p.options.length, live.options.length); i++) {
    const s = p.options[i], a = live.options[i];
    if (!s || !a || s.kind !== a.kind) return "bad outbound TCP options";
    if (s.kind === "TS" && a.kind === "TS") {
      // the live TS val in script terms: counted from the first one, as the script counts
      conn.tsValMap.set(s.val, a.val);
      conn.firstTsVal ??= { script: s.val, live: a.val };
      const val = (conn.firstTsVal.script + a.val - conn.firstTsVal.live) >>> 0;
      if (tsTick && Math.abs((val - s.val) | 0) * tsTick > tolerance) {
        return `bad outbound TCP timestamp value, tolerance ${tolerance}`;
      }
    } else if (optionText(s) !== optionText(a)) {
      const why = s.kind === "sack" && a.kind === "sack" && s.blocks.length !== a.blocks.length
        ? "bad length"
        : "bad value";
      return `${why} in outbound TCP option (kind=${OPTION_KIND[s.kind]}): expected: ${
        optionText(s)
      } actual: ${optionText(a)}`;
    }
  }
  return null;
}
