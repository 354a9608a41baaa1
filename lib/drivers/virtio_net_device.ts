// Models the device side of a virtio-net PCI function, as QEMU emulates it (hw/net/virtio-net.c,
// virtio 1.2 §5.1): frames cross the wire one at a time, the device hashes them for RSS
// (VIRTIO_NET_F_RSS), picks a receive virtqueue by its indirection table, writes each frame into
// a buffer the driver posted (or drops it when none is), and notifies the driver through the
// queue's MSI-X vector — coalesced (VIRTIO_NET_F_NOTF_COAL) and only while the driver's used
// event is armed (VIRTIO_RING_F_EVENT_IDX). The kernel's side is drivers/virtio_net.ts.

import { takeFirst } from "../base/arrays.ts";
import { InputRangeError } from "../base/errors.ts";
import type { Sim } from "../sim/sim.ts";
import type { SimEvent } from "../sim/events.ts";
import { ETH_HLEN, ETH_P_IP, EthHdr, wireTimeNs } from "../wire/ethernet.ts";
import { IpHdr, ipIsFragment, IPPROTO_TCP, IPPROTO_UDP, IPV4_HLEN } from "../wire/ipv4.ts";
import { MS_RSS_KEY, rssQueue, rxfhIndirDefault, toeplitzHash } from "./rss.ts";

/** RSS hash type: IPv4 addresses (VIRTIO_NET_RSS_HASH_TYPE_IPv4). */
export const VIRTIO_NET_RSS_HASH_TYPE_IPv4 = 1 << 0;
/** RSS hash type: TCP over IPv4, addresses and ports (VIRTIO_NET_RSS_HASH_TYPE_TCPv4). */
export const VIRTIO_NET_RSS_HASH_TYPE_TCPv4 = 1 << 1;
/** RSS hash type: UDP over IPv4, addresses and ports (VIRTIO_NET_RSS_HASH_TYPE_UDPv4). */
export const VIRTIO_NET_RSS_HASH_TYPE_UDPv4 = 1 << 6;

/** Per-queue device counters (virtio_net_stats_rx_basic) and the qstat hw-drop-overruns. */
export interface VirtioRxHwStats {
  /** Frames the device delivered. */
  packets: number;
  /** Bytes the device delivered. */
  bytes: number;
  /** Driver notifications (kicks) the device received. */
  notifications: number;
  /** Interrupts the device raised. */
  interrupts: number;
  /** Frames dropped because no receive buffer was posted (rx_drop_overruns). */
  dropOverruns: number;
}

/** A receive buffer the device filled: the frame and the hash it reports. */
export interface UsedBuffer {
  /** The frame bytes. */
  frame: Uint8Array;
  /** The RSS hash the device computed. */
  hash: number;
  /** True when the hash covered the ports (a TCP or UDP hash type). */
  l4Hash: boolean;
  /** When the frame reached the NIC, ns. */
  arrivedAt: number;
}

/** Interrupt coalescing settings (ethtool -c), as virtio's VIRTIO_NET_F_NOTF_COAL offers. */
export interface Coalesce {
  /** Longest a frame waits for its interrupt, µs (max_usecs); 0: no wait. */
  rxUsecs: number;
  /** Frames that trigger an interrupt at once (max_packets). */
  rxFrames: number;
}

/** A receive virtqueue as the device sees it: posted buffers, the used ring, notifications. */
export class Virtqueue {
  /** Queue index among the receive queues. */
  readonly index: number;
  /** Buffers the driver posted that the device has not used (the available ring). */
  posted = 0;
  /** Buffers the device filled that the driver has not taken (the used ring). */
  readonly used: UsedBuffer[] = [];
  /** The driver's used event is armed: the next used buffer may notify it. */
  callbacksEnabled = true;
  /** Device counters. */
  readonly hw: VirtioRxHwStats = {
    packets: 0,
    bytes: 0,
    notifications: 0,
    interrupts: 0,
    dropOverruns: 0,
  };
  /** Used buffers since the last notification (coalescing). */
  pendingNotify = 0;
  /** Pending coalescing timer. */
  notifyTimer?: SimEvent;

  /**
   * Makes a queue.
   * @param index its number
   */
  constructor(index: number) {
    this.index = index;
  }
}

/** Per-queue transmit counters of the device. */
export interface VirtioTxHwStats {
  /** Frames the device put on the wire. */
  packets: number;
  /** Bytes the device put on the wire. */
  bytes: number;
  /** Notifications (kicks) the driver sent. */
  notifications: number;
  /** Interrupts the device raised. */
  interrupts: number;
}

/**
 * A transmit virtqueue as the device sees it (split ring with VIRTIO_RING_F_EVENT_IDX): buffers
 * the driver made available, sent one after another at the link's speed and returned in the
 * used ring; the driver is notified when the used index passes its used_event.
 */
export class TxVirtqueue {
  /** Queue index among the transmit queues. */
  readonly index: number;
  /** Descriptors in the ring (its size). */
  size: number;
  /** Buffers made available so far (avail->idx). */
  availIdx = 0;
  /** Buffers used so far (used->idx). */
  usedIdx = 0;
  /** Buffers the driver has taken back so far (last_used_idx). */
  lastUsedIdx = 0;
  /** The driver's used_event: notify when used->idx passes it; null while callbacks are off. */
  usedEvent: number | null = 0;
  /** Frames available and not yet sent, in order. */
  readonly pending: { frame: Uint8Array; token: unknown }[] = [];
  /** Sent buffers' tokens the driver has not taken back (the used ring), in order. */
  readonly used: unknown[] = [];
  /** The token of the frame on the wire now, or null. */
  sending: unknown = null;
  /** The device is sending (it polls the ring until empty: no kick needed meanwhile). */
  busy = false;
  /** Device counters. */
  readonly hw: VirtioTxHwStats = { packets: 0, bytes: 0, notifications: 0, interrupts: 0 };

  /**
   * Makes a queue.
   * @param index queue number
   * @param size ring size
   */
  constructor(index: number, size: number) {
    this.index = index;
    this.size = size;
  }

  /** vq->num_free: descriptors neither in flight nor used-and-not-taken (one per frame). */
  get numFree(): number {
    return this.size - (this.availIdx - this.lastUsedIdx);
  }
}

/** What a virtio-net device is built with. */
export interface VirtioNetDeviceOptions {
  /** Queue pairs the device offers (max_queue_pairs), default 1. */
  maxQueuePairs?: number;
  /** Largest ring the device accepts (vq->num_max), default 256; QEMU allows up to 1024. */
  maxRingSize?: number;
  /** Link speed for wire time, Gbit/s, default 10. */
  linkGbps?: number;
  /** The device reports statistics (VIRTIO_NET_F_DEVICE_STATS), default false. */
  deviceStats?: boolean;
  /** The device does RSS and reports hashes (VIRTIO_NET_F_RSS, _HASH_REPORT), default true. */
  rss?: boolean;
}

// What the device reports for a packet it did not hash: no hash, unclassified.
const NOT_HASHED: Readonly<{ hash: number; l4: boolean; classified: boolean }> = {
  hash: 0,
  l4: false,
  classified: false,
};

/**
 * A virtio-net device: the hardware side, which the driver (`VirtioNet`) probes and drives.
 *
 * @example
 * ```ts
 * import { buildFrame, Sim, VirtioNetDevice } from "@rxpath/rxpath";
 * const sim = new Sim();
 * const device = new VirtioNetDevice(sim, () => {}, { maxQueuePairs: 2 });
 * device.vqs[0].posted = 1;
 * device.receive(buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, payload: 8 }));
 * sim.run(10_000);
 * console.log(device.vqs[0].used.length); // 1
 * ```
 */
export class VirtioNetDevice {
  /** Queue pairs the device offers. */
  readonly maxQueuePairs: number;
  /** Largest ring size. */
  readonly maxRingSize: number;
  /** Link speed, Gbit/s. */
  readonly linkGbps: number;
  /** Whether the device reports its own statistics. */
  readonly deviceStats: boolean;
  /** Whether the device does RSS and hash reports. */
  readonly rss: boolean;
  /** The receive virtqueues, one per queue pair. */
  readonly vqs: Virtqueue[];
  /** The transmit virtqueues, one per queue pair. */
  readonly txVqs: TxVirtqueue[];
  /** Where sent frames go: the wire, for whoever listens. */
  onWire: ((frame: Uint8Array) => void) | null = null;
  /** Queue pairs the driver enabled (VIRTIO_NET_CTRL_MQ). */
  queuePairs = 1;
  /** The RSS key the driver set. */
  rssKey: Uint8Array = MS_RSS_KEY;
  /** The RSS indirection table the driver set. */
  indir: number[];
  /** The driver asked for hash reports (VIRTIO_NET_F_HASH_REPORT with receive-hashing on). */
  hashReport = false;
  /** Hash types the device supports (supported_hash_types): IPv4, TCPv4, UDPv4 with RSS, else none. */
  readonly hashTypesSupported: number;
  /**
   * Hash types the driver set (rss hash_types): which fields each kind of packet is hashed on.
   * virtnet_init_default_rss() starts with every supported type but the _EX ones.
   */
  hashTypes: number;
  /** Notification coalescing the driver set (VIRTIO_NET_CTRL_NOTF_COAL). */
  readonly coalesce: Coalesce = { rxUsecs: 0, rxFrames: 1 };
  readonly #sim: Sim;
  readonly #interrupt: (vq: Virtqueue) => void;
  readonly #txInterrupt: (vq: TxVirtqueue) => void;
  #linkBusyUntil = 0;
  #txLinkBusyUntil = 0;

  /**
   * Makes a device on a simulation.
   * @param sim the simulation
   * @param interrupt raises a receive queue's MSI-X vector (the transport's job)
   * @param options what the device offers
   * @param txInterrupt raises a transmit queue's MSI-X vector
   * @throws {RangeError} for impossible settings
   */
  constructor(
    sim: Sim,
    interrupt: (vq: Virtqueue) => void,
    options: VirtioNetDeviceOptions = {},
    txInterrupt: (vq: TxVirtqueue) => void = () => {},
  ) {
    this.#sim = sim;
    this.#interrupt = interrupt;
    this.#txInterrupt = txInterrupt;
    this.maxQueuePairs = options.maxQueuePairs ?? 1;
    if (
      !Number.isInteger(this.maxQueuePairs) || this.maxQueuePairs < 1 || this.maxQueuePairs > 256
    ) {
      throw new InputRangeError(
        `Cannot make a virtio-net device with ${this.maxQueuePairs} queue pairs: 1 to 256`,
      );
    }
    this.maxRingSize = options.maxRingSize ?? 256;
    const m = this.maxRingSize;
    if (!Number.isInteger(m) || m < 1 || (m & (m - 1)) !== 0 || m > 32768) {
      throw new InputRangeError(
        `Cannot make a device with maximum ring ${this.maxRingSize}: a power of two up to 32768`,
      );
    }
    this.linkGbps = options.linkGbps ?? 10;
    this.deviceStats = options.deviceStats ?? false;
    this.rss = options.rss ?? true;
    this.vqs = Array.from({ length: this.maxQueuePairs }, (_, i) => new Virtqueue(i));
    this.txVqs = Array.from(
      { length: this.maxQueuePairs },
      (_, i) => new TxVirtqueue(i, this.maxRingSize),
    );
    this.indir = rxfhIndirDefault(128, 1);
    this.hashTypesSupported = this.rss
      ? VIRTIO_NET_RSS_HASH_TYPE_IPv4 | VIRTIO_NET_RSS_HASH_TYPE_TCPv4 |
        VIRTIO_NET_RSS_HASH_TYPE_UDPv4
      : 0;
    this.hashTypes = this.hashTypesSupported;
  }

  /**
   * A frame starts arriving from the wire now: the link carries one frame at a time at its
   * speed; once received, the device hashes it, picks a queue by the indirection table, and
   * after the DMA latency (descriptors are pipelined) writes it into a posted buffer or, if
   * none is posted, drops it (rx_drop_overruns).
   * @param frame the frame bytes
   */
  receive(frame: Uint8Array): void {
    const sim = this.#sim;
    // The device hashes only when the hash is used: to pick a queue or to report it.
    const hashed = this.rss && (this.queuePairs > 1 || this.hashReport);
    const { hash, l4, classified } = hashed ? this.rssHash(frame) : NOT_HASHED;
    // a packet no hash type covers goes to unclassified_queue, which the driver sets to 0
    const vq = this.vqs[classified && this.queuePairs > 1 ? rssQueue(this.indir, hash) : 0];
    const start = Math.max(sim.now, this.#linkBusyUntil);
    const received = start + Math.round(wireTimeNs(frame.length, this.linkGbps));
    this.#linkBusyUntil = received;
    const done = received + sim.costs.ns.nicDma;
    const arrivedAt = sim.now;
    sim.at(done, () => this.#deliver(vq, { frame, hash, l4Hash: l4, arrivedAt }));
  }

  /**
   * The RSS hash the device computes, by the hash types the driver set (virtio 1.2 5.1.6.4.3.1):
   * TCP over IPv4 hashes the 4-tuple with TCPv4 set, UDP with UDPv4, else the addresses with IPv4
   * set (so do fragments past the first, which carry no ports); a packet no type covers, and a
   * non-IP frame, is not hashed (0, unclassified).
   * @param frame the frame
   * @returns the hash, whether it covered ports, and whether a hash type covered the packet
   */
  rssHash(frame: Uint8Array): { hash: number; l4: boolean; classified: boolean } {
    const none = NOT_HASHED;
    if (frame.length < ETH_HLEN + IPV4_HLEN || new EthHdr(frame, 0).hProto !== ETH_P_IP) {
      return none;
    }
    const iph = new IpHdr(frame, ETH_HLEN);
    if (iph.version !== 4 || iph.ihl < 5) return none;
    // the Toeplitz input: source and destination address, then the two ports, in wire order
    const input = new Uint8Array(12);
    const v = new DataView(input.buffer);
    v.setUint32(0, iph.saddr);
    v.setUint32(4, iph.daddr);
    const lo = ETH_HLEN + iph.ihl * 4;
    const l4Type = iph.protocol === IPPROTO_TCP
      ? VIRTIO_NET_RSS_HASH_TYPE_TCPv4
      : iph.protocol === IPPROTO_UDP
      ? VIRTIO_NET_RSS_HASH_TYPE_UDPv4
      : 0;
    const ports = (this.hashTypes & l4Type) !== 0 && !ipIsFragment(iph) && frame.length >= lo + 4;
    if (!ports) {
      if (!(this.hashTypes & VIRTIO_NET_RSS_HASH_TYPE_IPv4)) return none;
      return { hash: toeplitzHash(this.rssKey, input.subarray(0, 8)), l4: false, classified: true };
    }
    input.set(frame.subarray(lo, lo + 4), 8);
    return { hash: toeplitzHash(this.rssKey, input), l4: true, classified: true };
  }

  /**
   * The driver posted buffers and kicked the queue (virtqueue_add_inbuf + virtqueue_kick).
   * @param vq the queue
   * @param buffers how many
   */
  kick(vq: Virtqueue, buffers: number): void {
    vq.posted += buffers;
    vq.hw.notifications++;
  }

  /**
   * The driver re-armed (or disarmed) its used event; with buffers waiting, a notification may
   * follow at once (virtqueue_enable_cb_prepare()).
   * @param vq the queue
   * @param on armed or not
   */
  setCallbacks(vq: Virtqueue, on: boolean): void {
    vq.callbacksEnabled = on;
    if (on) vq.pendingNotify = 0;
  }

  /**
   * The driver made a frame available on a transmit queue (virtqueue_add_outbuf()).
   * @param vq the queue
   * @param frame the frame
   * @param token what the driver gets back when the buffer is used (its skb)
   */
  addOutbuf(vq: TxVirtqueue, frame: Uint8Array, token: unknown): void {
    vq.availIdx++;
    vq.pending.push({ frame, token });
  }

  /**
   * The driver kicked a transmit queue (virtqueue_notify()): an idle device starts sending
   * what is available, one frame after another at the link's speed; a busy one needs no kick.
   * @param vq the queue
   * @returns whether the kick reached the device (it was idle)
   */
  kickTx(vq: TxVirtqueue): boolean {
    if (vq.busy) return false;
    vq.hw.notifications++;
    vq.busy = true;
    this.#sendNext(vq);
    return true;
  }

  // The device takes the next available frame, puts it on the wire, and returns its buffer in
  // the used ring once sent; it notifies when the used index passes used_event
  // (vring_need_event()), then goes on while frames are available.
  #sendNext(vq: TxVirtqueue): void {
    const next = takeFirst(vq.pending);
    if (!next) {
      vq.busy = false;
      return;
    }
    const sim = this.#sim;
    const start = Math.max(sim.now, this.#txLinkBusyUntil);
    const sent = start + Math.round(wireTimeNs(next.frame.length, this.linkGbps));
    this.#txLinkBusyUntil = sent;
    vq.sending = next.token;
    sim.at(sent, () => {
      vq.sending = null;
      this.onWire?.(next.frame);
      vq.hw.packets++;
      vq.hw.bytes += next.frame.length;
      const old = vq.usedIdx;
      vq.usedIdx++;
      vq.used.push(next.token);
      if (vq.usedEvent !== null && ((vq.usedIdx - vq.usedEvent - 1) >>> 0) < vq.usedIdx - old) {
        vq.hw.interrupts++;
        this.#txInterrupt(vq);
      }
      this.#sendNext(vq);
    });
  }

  #deliver(vq: Virtqueue, buf: UsedBuffer): void {
    if (vq.posted === 0) {
      vq.hw.dropOverruns++;
      return;
    }
    vq.posted--;
    vq.used.push(buf);
    vq.hw.packets++;
    vq.hw.bytes += buf.frame.length;
    vq.pendingNotify++;
    this.#maybeNotify(vq);
  }

  // VIRTIO_NET_F_NOTF_COAL: notify once max_packets buffers are used or max_usecs passed
  // since the first of them, whichever comes first; never while callbacks are disabled.
  #maybeNotify(vq: Virtqueue): void {
    if (!vq.callbacksEnabled || vq.pendingNotify === 0) return;
    const c = this.coalesce;
    if (c.rxUsecs === 0 || vq.pendingNotify >= c.rxFrames) {
      this.#notify(vq);
      return;
    }
    if (!vq.notifyTimer) {
      vq.notifyTimer = this.#sim.events.schedule(this.#sim.now + c.rxUsecs * 1000, () => {
        vq.notifyTimer = undefined;
        if (vq.callbacksEnabled && vq.pendingNotify > 0) this.#notify(vq);
      });
    }
  }

  // With VIRTIO_RING_F_EVENT_IDX the device notifies once when the used index passes the
  // driver's used_event, and not again until the driver re-arms it by enabling callbacks.
  #notify(vq: Virtqueue): void {
    vq.callbacksEnabled = false;
    vq.pendingNotify = 0;
    if (vq.notifyTimer) {
      this.#sim.events.cancel(vq.notifyTimer);
      vq.notifyTimer = undefined;
    }
    vq.hw.interrupts++;
    this.#interrupt(vq);
  }
}
