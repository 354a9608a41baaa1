// What GRO makes of a list of frames that reach one NAPI poll in order, on the reference
// receiver (a veth with GRO on: no packet hash, no checksum offload, NAPI weight 64) — the
// answer `rxpath gro` prints and the tests compare with a real 6.18 kernel's.

import { createHost } from "../init/main.ts";
import { Veth } from "../drivers/veth.ts";
import type { SkBuff } from "../core/skbuff.ts";
import { ETH_P_IP } from "../wire/ethernet.ts";
import { IpHdr, IPPROTO_TCP, IPPROTO_UDP } from "../wire/ipv4.ts";
import { TcpHdr } from "../wire/tcp.ts";
import { UDP_HLEN } from "../wire/udp.ts";

/** One skb GRO handed to the stack, described as `rxpath gro --json` prints it. */
export interface GroLine {
  /** 0-based indices of the input frames it holds. */
  frames: number[];
  /** Its IPv4 total length (0 for a frame that is not IPv4). */
  ip_len: number;
  /** Its TCP (or UDP) payload bytes. */
  payload: number;
  /** Segments it stands for. */
  segs: number;
  /** gso_size: 0 for an skb that is not a GRO aggregate. */
  gso_size: number;
}

/** Options of {@linkcode runGro}. */
export interface GroOptions {
  /** GRO on (default) or off, as ethtool -K DEV gro on|off. */
  gro?: boolean;
}

/**
 * Feeds frames to a veth's NAPI in one go and describes every skb GRO hands to the stack, in
 * the order it does so.
 * @param frames the frames, in arrival order
 * @param options GRO on or off
 * @returns one line per skb handed up
 * @example
 * ```ts
 * import { buildFrame, runGro } from "@rxpath/rxpath";
 * const seg = (seq: number) => buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", id: seq / 100 }, tcp: { source: 1, dest: 2, seq, flags: "A" }, payload: 100 });
 * console.log(runGro([seg(100), seg(200), seg(300)])); // one skb of 3 segments
 * ```
 */
export function runGro(frames: Uint8Array[], options: GroOptions = {}): GroLine[] {
  const host = createHost({ cpus: 1, trace: false });
  const veth = new Veth(host, "veth1", "02:00:00:00:00:02");
  veth.dev.groEnabled = options.gro ?? true;
  const lines: GroLine[] = [];
  let firstId = -1;
  host.rxTap = (skb) => lines.push(describe(skb, firstId));
  host.sim.at(0, () => {
    firstId = host.sim.ledger.nextId;
    veth.xmit(host.sim.cpus[0], frames);
  });
  host.sim.run(1_000_000_000);
  host.sim.ledger.check([veth.skbHolder()]);
  return lines;
}

function describe(skb: SkBuff, firstId: number): GroLine {
  const frames = (skb.mergedIds.length ? skb.mergedIds : [skb.id]).map((id) => id - firstId);
  if (skb.protocol !== ETH_P_IP || skb.len < 20) {
    return { frames, ip_len: 0, payload: 0, segs: 1, gso_size: 0 };
  }
  const b = skb.bytes;
  const iph = new IpHdr(b, 0);
  const ihl = iph.ihl * 4;
  const ipLen = iph.totLen;
  const proto = iph.protocol;
  const l4 = proto === IPPROTO_TCP
    ? new TcpHdr(b, ihl).doff * 4
    : proto === IPPROTO_UDP
    ? UDP_HLEN
    : 0;
  return {
    frames,
    ip_len: ipLen,
    payload: ipLen - ihl - l4,
    segs: skb.gsoSegs || 1,
    gso_size: skb.gsoSize,
  };
}
