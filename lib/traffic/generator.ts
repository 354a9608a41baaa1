// Traffic for experiments: frames of given flows (5-tuples) and sizes, arriving at constant,
// Poisson or bursty rates on the virtual clock. Every choice comes from the run's Rng, so the
// same seed gives the same frames at the same times.

import { InputRangeError } from "../base/errors.ts";
import type { Rng } from "../sim/rng.ts";
import { buildFrame } from "../wire/build.ts";
import { csumFold } from "../wire/checksum.ts";
import { ETH_HLEN, wireTimeNs } from "../wire/ethernet.ts";
import { IPV4_HLEN } from "../wire/ipv4.ts";
import { TCP_HLEN } from "../wire/tcp.ts";
import { UDP_HLEN } from "../wire/udp.ts";

/** A flow: the 5-tuple of its frames. */
export interface Flow {
  /** Transport protocol. */
  proto: "udp" | "tcp";
  /** Source address. */
  saddr: string;
  /** Destination address. */
  daddr: string;
  /** Source port. */
  sport: number;
  /** Destination port. */
  dport: number;
}

/** How frames of each flow are spaced in time. */
export type Rate =
  | { kind: "constant"; pps: number }
  | { kind: "poisson"; pps: number }
  | { kind: "burst"; burst: number; periodNs: number; linkGbps: number };

/** Frame sizes: fixed, or uniform between two bounds (bytes on the wire, without FCS). */
export type FrameSize = number | { min: number; max: number };

/** What {@linkcode generateTraffic} makes. */
export interface TrafficSpec {
  /** The flows; each gets its own arrivals at `rate`. */
  flows: Flow[];
  /** Frame sizes. */
  size: FrameSize;
  /** Arrival process per flow. */
  rate: Rate;
  /** Stop after this many frames in all. */
  count?: number;
  /** Stop at this time, ns. */
  untilNs?: number;
  /** First arrival time, ns; default 0. */
  startNs?: number;
}

/** One generated frame. */
export interface Arrival {
  /** Arrival time at the NIC, ns. */
  t: number;
  /** Index of its flow in the spec. */
  flow: number;
  /** The frame bytes. */
  frame: Uint8Array;
}

function checkSpec(spec: TrafficSpec): void {
  if (spec.flows.length === 0) throw new InputRangeError("Cannot generate traffic: no flows given");
  if (spec.count === undefined && spec.untilNs === undefined) {
    throw new InputRangeError("Cannot generate traffic: give count or untilNs, or it never ends");
  }
  const r = spec.rate;
  if ((r.kind === "constant" || r.kind === "poisson") && !(r.pps > 0)) {
    throw new InputRangeError(
      `Cannot generate ${r.kind} traffic at ${r.pps} pps: rate must be positive`,
    );
  }
  if (r.kind === "burst" && (!(r.burst >= 1) || !(r.periodNs > 0) || !(r.linkGbps > 0))) {
    throw new InputRangeError(
      "Cannot generate bursts: burst, periodNs and linkGbps must be positive",
    );
  }
  const sizes = typeof spec.size === "number"
    ? [spec.size, spec.size]
    : [spec.size.min, spec.size.max];
  spec.flows.forEach((f, i) => {
    const min = ETH_HLEN + IPV4_HLEN + (f.proto === "tcp" ? TCP_HLEN : UDP_HLEN);
    if (sizes[0] < min || sizes[1] > 65535 + ETH_HLEN || sizes[0] > sizes[1]) {
      throw new InputRangeError(
        `Cannot generate frames of ${
          sizes.join("-")
        } bytes for flow ${i}: ${f.proto} needs ${min} to ${65535 + ETH_HLEN}`,
      );
    }
  });
}

/**
 * Generates the frames of a traffic spec in time order (ties in flow order).
 * @param spec flows, sizes, rate and a limit
 * @param rng the run's random source
 * @returns the arrivals
 * @throws {RangeError} for a spec that is impossible or never ends
 * @example
 * ```ts
 * import { generateTraffic, Rng } from "@rxpath/rxpath";
 * const frames = generateTraffic({
 *   flows: [{ proto: "udp", saddr: "10.0.0.1", daddr: "10.0.0.2", sport: 4000, dport: 5000 }],
 *   size: 64, rate: { kind: "constant", pps: 1e6 }, count: 3,
 * }, new Rng(1));
 * console.log(frames.map((a) => a.t)); // [0, 1000, 2000]
 * ```
 */
export function generateTraffic(spec: TrafficSpec, rng: Rng): Arrival[] {
  checkSpec(spec);
  const start = spec.startNs ?? 0;
  const next = spec.flows.map(() => start);
  const sent = spec.flows.map(() => 0);
  const seq = spec.flows.map(() => 1);
  const out: Arrival[] = [];
  const templates = new FlowTemplates(spec.flows);
  const limit = spec.count ?? Infinity;
  const until = spec.untilNs ?? Infinity;
  while (out.length < limit) {
    let f = 0;
    for (let i = 1; i < next.length; i++) if (next[i] < next[f]) f = i;
    const t = Math.round(next[f]);
    if (t > until) break;
    const size = typeof spec.size === "number"
      ? spec.size
      : spec.size.min + rng.int(spec.size.max - spec.size.min + 1);
    const template = templates.get(f, size);
    const frame = template.frame(sent[f] & 0xffff, seq[f]);
    seq[f] = (seq[f] + template.payload) >>> 0;
    out.push({ t, flow: f, frame });
    sent[f]++;
    const r = spec.rate;
    if (r.kind === "constant") next[f] += 1e9 / r.pps;
    else if (r.kind === "poisson") next[f] += rng.exponential(1e9 / r.pps);
    else {
      next[f] = sent[f] % r.burst === 0
        ? start + (sent[f] / r.burst) * r.periodNs
        : next[f] + wireTimeNs(frame.length, r.linkGbps);
    }
  }
  return out;
}

// Where the fields a flow's frames differ in sit: the IPv4 ID and header checksum, the TCP
// sequence number and checksum (an untagged frame, IPv4 without options).
const IP_ID = ETH_HLEN + 4;
const IP_CHECK = ETH_HLEN + 10;
const TCP_SEQ = ETH_HLEN + IPV4_HLEN + 4;
const TCP_CHECK = ETH_HLEN + IPV4_HLEN + 16;

// A flow's frame of one size, built once with ID and sequence number 0: each frame is a copy with
// the two written in and the checksums they enter made again from the template's sums (one's
// complement sums add in any order) — the bytes buildFrame() makes, without parsing the
// addresses and checking the spec per frame.
class FrameTemplate {
  readonly payload: number;
  readonly #bytes: Uint8Array;
  readonly #tcp: boolean;
  readonly #ipSum: number;
  readonly #tcpSum: number;

  constructor(flow: Flow, size: number) {
    this.#tcp = flow.proto === "tcp";
    this.payload = size - ETH_HLEN - IPV4_HLEN - (this.#tcp ? TCP_HLEN : UDP_HLEN);
    const ipv4 = { saddr: flow.saddr, daddr: flow.daddr, id: 0 };
    const payload = this.payload;
    this.#bytes = this.#tcp
      ? buildFrame({
        ipv4,
        tcp: { source: flow.sport, dest: flow.dport, seq: 0, flags: "A" },
        payload,
      })
      : buildFrame({ ipv4, udp: { source: flow.sport, dest: flow.dport }, payload });
    const b = this.#bytes;
    this.#ipSum = ~((b[IP_CHECK] << 8) | b[IP_CHECK + 1]) & 0xffff;
    this.#tcpSum = ~((b[TCP_CHECK] << 8) | b[TCP_CHECK + 1]) & 0xffff;
  }

  frame(id: number, seq: number): Uint8Array {
    const f = this.#bytes.slice();
    f[IP_ID] = id >>> 8;
    f[IP_ID + 1] = id;
    const ipCheck = csumFold(this.#ipSum + id);
    f[IP_CHECK] = ipCheck >>> 8;
    f[IP_CHECK + 1] = ipCheck;
    if (this.#tcp) {
      f[TCP_SEQ] = seq >>> 24;
      f[TCP_SEQ + 1] = seq >>> 16;
      f[TCP_SEQ + 2] = seq >>> 8;
      f[TCP_SEQ + 3] = seq;
      const tcpCheck = csumFold(this.#tcpSum + (seq >>> 16) + (seq & 0xffff));
      f[TCP_CHECK] = tcpCheck >>> 8;
      f[TCP_CHECK + 1] = tcpCheck;
    }
    return f;
  }
}

// The templates of a spec's flows, made as sizes come up.
class FlowTemplates {
  readonly #flows: Flow[];
  readonly #made = new Map<number, FrameTemplate>();

  constructor(flows: Flow[]) {
    this.#flows = flows;
  }

  get(flow: number, size: number): FrameTemplate {
    const key = flow * 131_072 + size; // sizes go up to 65535 + ETH_HLEN
    let t = this.#made.get(key);
    if (!t) this.#made.set(key, t = new FrameTemplate(this.#flows[flow], size));
    return t;
  }
}
