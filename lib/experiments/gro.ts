// What GRO makes of a list of frames that reach NAPI in order, on the reference receiver (a veth
// with GRO on, MTU 65535: no packet hash, no checksum offload, NAPI weight 64) — the answer
// `rxpath gro` prints and the tests compare with a real 6.18 kernel's. A ring holds
// VETH_RING_SIZE frames: more arrive as the ring is refilled, after the polls have drained it.

import { createHost } from "../init/main.ts";
import { Veth, VETH_RING_SIZE } from "../drivers/veth.ts";
import { devSetMtu } from "../core/dev.ts";
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
  /** The receiver's MTU, 65535 by default (ip link set DEV mtu N): longer frames are dropped. */
  mtu?: number;
}

/**
 * Feeds frames to a veth's NAPI, a ring's worth (VETH_RING_SIZE) at a time, each batch once the
 * polls have drained the one before, and describes every skb GRO hands to the stack, in the
 * order it does so; frames are numbered across batches.
 * @param frames the frames, in arrival order
 * @param options GRO on or off, the receiver's MTU
 * @returns one line per skb handed up
 * @example
 * ```ts
 * import { buildFrame, runGro } from "@rxpath/rxpath";
 * const seg = (seq: number) => buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", id: seq / 100 }, tcp: { source: 1, dest: 2, seq, flags: "A" }, payload: 100 });
 * console.log(runGro([seg(100), seg(200), seg(300)])); // one skb of 3 segments
 * ```
 */
export function runGro(frames: Iterable<Uint8Array>, options: GroOptions = {}): GroLine[] {
  const lines: GroLine[] = [];
  groStream(frames, options, (line) => lines.push(line));
  return lines;
}

/**
 * Does what {@linkcode runGro} does, reading the frames a ring's worth at a time as the polls
 * reach them and handing each line over as GRO hands its skb up: a capture of any length costs
 * the same memory.
 * @param frames the frames, in arrival order
 * @param options GRO on or off, the receiver's MTU
 * @param emit told every line, in the order the skbs are handed up
 */
export function groStream(
  frames: Iterable<Uint8Array>,
  options: GroOptions,
  emit: (line: GroLine) => void,
): void {
  const host = createHost({ cpus: 1 });
  const veth = new Veth(host, "veth1", "02:00:00:00:00:02");
  veth.dev.groEnabled = options.gro ?? true;
  devSetMtu(host, veth.dev, options.mtu ?? 65535);
  const firstId = host.sim.ledger.nextId;
  host.rxTap = (skb) => emit(describe(skb, firstId));
  host.sim.ledger.onEnd = () => {}; // the lines say what became of every frame
  const it = frames[Symbol.iterator]();
  // each batch sent once the one before is handed up: the sim then has nothing left to run
  for (let t = 0;; t += BATCH_NS) {
    const batch: Uint8Array[] = [];
    for (let r = it.next(); !r.done; r = it.next()) {
      batch.push(r.value);
      if (batch.length === VETH_RING_SIZE) break;
    }
    if (batch.length === 0 && t > 0) break;
    host.sim.at(t, () => veth.xmit(host.sim.cpus[0], batch));
    host.sim.run(t + BATCH_NS);
  }
  host.sim.ledger.check([veth.skbHolder()]);
}

// Long enough for a ring's worth of frames to be polled and handed up (256 frames take well
// under a millisecond of virtual time), and for GRO's held flows to be flushed.
const BATCH_NS = 100_000_000;

function describe(skb: SkBuff, firstId: number): GroLine {
  const frames = (skb.mergedIds ?? [skb.id]).map((id) => id - firstId);
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
