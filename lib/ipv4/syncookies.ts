// Models net/ipv4/syncookies.c (Linux 6.18): a listener whose SYN queue is full (or, with
// net.ipv4.tcp_syncookies 2, every listener) answers a SYN without keeping a request sock. The
// SYN-ACK's sequence number is a cookie that encodes the peer's MSS (rounded down to msstab) and
// the minute it was made; with timestamps, the low bits of the TS val carry the window scale,
// SACK and ECN the SYN offered. The ACK that echoes the cookie rebuilds the request from it.

import type { InetNet } from "./netns_ipv4.ts";

const COOKIEBITS = 24; // the upper bits store the minute count
const COOKIEMASK = (1 << COOKIEBITS) - 1;
const TS_OPT_WSCALE_MASK = 0xf;
const TS_OPT_SACK = 1 << 4;
const TS_OPT_ECN = 1 << 5;
const TSBITS = 6;
// include/net/tcp.h: a cookie is good for two minutes (MAX_SYNCOOKIE_AGE periods of 60 s)
const MAX_SYNCOOKIE_AGE = 2;
const TCP_SYNCOOKIE_PERIOD_S = 60;

/** The MSS values a cookie can encode, smallest first (syncookies.c msstab). */
export const MSSTAB: readonly number[] = [536, 1300, 1440, 1460];

/** The four-tuple a cookie is made for, host order, as the SYN carries it. */
export interface CookieFlow {
  /** The peer's address. */
  saddr: number;
  /** Our address. */
  daddr: number;
  /** The peer's port. */
  sport: number;
  /** Our port. */
  dport: number;
}

// cookie_hash(): siphash_4u32() of the flow and count under syncookie_secret[c], a key drawn
// once per boot (net_get_random_once()). The kit mixes the same words with a key drawn from the
// run's Rng: the cookie is as private, and a run stays deterministic for its seed.
function cookieHash(host: InetNet, f: CookieFlow, count: number, c: 0 | 1): number {
  host.ipv4.syncookieSecret ??= [host.sim.rng.nextU32(), host.sim.rng.nextU32()];
  let h = host.ipv4.syncookieSecret[c];
  for (const w of [f.saddr, f.daddr, ((f.sport << 16) | f.dport) >>> 0, count >>> 0]) {
    h = Math.imul(h ^ w, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 15), 0x85ebca77);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/**
 * The timestamp offset of a flow, as secure_tcp_ts_off(): a keyed hash of its four-tuple, so the
 * ACK of a cookie SYN-ACK finds the offset again (the kit keys it with the cookies' key).
 * @param host the host
 * @param f the flow, as the SYN carries it
 * @returns the offset added to the TCP clock in TS vals
 */
export function secureTcpTsOff(host: InetNet, f: CookieFlow): number {
  return cookieHash(host, f, 0xffffffff, 1);
}

/**
 * The minute count a cookie carries, as tcp_cookie_time(): jiffies over 60 s of them.
 * @param host the host
 * @returns the count
 */
export function tcpCookieTime(host: InetNet): number {
  return Math.floor(host.sim.now / 1e9 / TCP_SYNCOOKIE_PERIOD_S);
}

// secure_tcp_syn_cookie(): HASH0 + their sequence + count << 24 + (HASH1(count) + data) % 2^24
function secureTcpSynCookie(host: InetNet, f: CookieFlow, sseq: number, data: number): number {
  const count = tcpCookieTime(host);
  return (cookieHash(host, f, 0, 0) + sseq + (count << COOKIEBITS) +
    ((cookieHash(host, f, count, 1) + data) & COOKIEMASK)) >>> 0;
}

/**
 * Makes the cookie for a SYN, as __cookie_v4_init_sequence(): the peer's MSS rounded down to an
 * msstab entry, whose index the cookie encodes.
 * @param host the host
 * @param f the SYN's flow
 * @param seq the SYN's sequence number
 * @param mss the MSS the SYN offered
 * @returns our initial sequence number and the MSS the connection will use
 */
export function cookieV4InitSequence(
  host: InetNet,
  f: CookieFlow,
  seq: number,
  mss: number,
): { isn: number; mss: number } {
  let mssind = MSSTAB.length - 1;
  while (mssind && mss < MSSTAB[mssind]) mssind--;
  return { isn: secureTcpSynCookie(host, f, seq, mssind), mss: MSSTAB[mssind] };
}

/**
 * Checks the cookie an ACK echoes, as __cookie_v4_check(): made for this flow and sequence no
 * more than two minutes ago, with an MSS index in range.
 * @param host the host
 * @param f the ACK's flow
 * @param seq the ACK's sequence number (the SYN's plus one)
 * @param ack its acknowledgment number (the cookie plus one)
 * @returns the MSS the cookie encodes, or 0 when it is not a valid cookie
 */
export function cookieV4Check(host: InetNet, f: CookieFlow, seq: number, ack: number): number {
  const count = tcpCookieTime(host);
  const sseq = (seq - 1) >>> 0;
  const cookie = (ack - 1 - cookieHash(host, f, 0, 0) - sseq) >>> 0;
  const diff = (count - (cookie >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
  if (diff >= MAX_SYNCOOKIE_AGE) return 0;
  const mssind = (cookie - cookieHash(host, f, count - diff, 1)) & COOKIEMASK;
  return mssind < MSSTAB.length ? MSSTAB[mssind] : 0;
}

/** The options a SYN offered, as a cookie's TS val keeps them. */
export interface CookieOptions {
  /** Window scaling agreed. */
  wscaleOk: boolean;
  /** The peer's scale. */
  sndWscale: number;
  /** SACK permitted. */
  sackOk: boolean;
  /** ECN agreed. */
  ecnOk: boolean;
}

/**
 * The TS val of a cookie SYN-ACK before the timestamp offset, as cookie_init_timestamp(): the
 * clock with its low six bits replaced by the options, stepped back 64 ms if that put it ahead.
 * @param nowMs the TCP clock, ms
 * @param o what the SYN offered
 * @returns the TS val, ms
 */
export function cookieInitTimestamp(nowMs: number, o: CookieOptions): number {
  let options = o.wscaleOk ? o.sndWscale : TS_OPT_WSCALE_MASK;
  if (o.sackOk) options |= TS_OPT_SACK;
  if (o.ecnOk) options |= TS_OPT_ECN;
  let ts = Math.floor(nowMs / 2 ** TSBITS) * 2 ** TSBITS + options;
  if (ts > nowMs) ts -= 2 ** TSBITS;
  return ts;
}

/**
 * Reads the options back from the TS ecr an ACK carries (less our timestamp offset), as
 * cookie_timestamp_decode(); null when the sysctls no longer allow what the cookie says.
 * @param host the host
 * @param tsecr the echoed TS val less the offset, or null when the ACK has no timestamp
 * @returns the options, or null to refuse the cookie
 */
export function cookieTimestampDecode(host: InetNet, tsecr: number | null): CookieOptions | null {
  const none = { wscaleOk: false, sndWscale: 0, sackOk: false, ecnOk: false };
  if (tsecr === null) return none;
  const sysctl = host.sysctl;
  if (!sysctl["net.ipv4.tcp_timestamps"]) return null;
  const options = tsecr & ((1 << TSBITS) - 1);
  const sackOk = (options & TS_OPT_SACK) !== 0;
  if (sackOk && !sysctl["net.ipv4.tcp_sack"]) return null;
  const ecnOk = (options & TS_OPT_ECN) !== 0;
  if ((options & TS_OPT_WSCALE_MASK) === TS_OPT_WSCALE_MASK) return { ...none, sackOk, ecnOk };
  if (!sysctl["net.ipv4.tcp_window_scaling"]) return null;
  return { wscaleOk: true, sndWscale: options & TS_OPT_WSCALE_MASK, sackOk, ecnOk };
}
