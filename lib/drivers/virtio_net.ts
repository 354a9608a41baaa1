// Models drivers/net/virtio_net.c (Linux 6.18) with the device it drives: a virtio-net PCI
// function with N receive virtqueues. Device side: a frame crosses the wire, is hashed for
// RSS, and is written into a posted receive buffer (or dropped when none is posted), then the
// device notifies the driver through the queue's MSI-X vector, subject to interrupt
// coalescing and to the driver having callbacks enabled. Driver side: virtnet_open() posts
// buffers (try_fill_recv), the MSI-X callback skb_recv_done() -> virtqueue_napi_schedule()
// masks the queue and schedules NAPI, virtnet_poll() -> virtnet_receive() -> receive_buf()
// builds skbs and hands them to napi_gro_receive(), refills, and virtqueue_napi_complete()
// re-enables callbacks through napi_complete_done().

import type { Net } from "../core/net_namespace.ts";
import type { Cpu, Work } from "../sim/cpu.ts";
import type { SimEvent } from "../sim/events.ts";
import type { SkbHolder } from "../sim/ledger.ts";
import { NetDevice } from "../core/netdevice.ts";
import {
  __napiSchedule,
  type Napi,
  napiCompleteDone,
  napiSchedulePrep,
  netifNapiAdd,
} from "../core/dev.ts";
import { allocSkb, type SkBuff } from "../core/skbuff.ts";
import { napiGroReceive } from "../core/gro.ts";
import { ethTypeTrans } from "../ethernet/eth.ts";
import type { IrqDesc } from "../kernel/irq.ts";
import { wireTimeNs } from "../wire/ethernet.ts";
import { ETH_HLEN, ETH_P_IP, EthHdr, macAton } from "../wire/ethernet.ts";
import { IP_MF, IP_OFFSET, IpHdr, IPPROTO_TCP, IPPROTO_UDP, IPV4_HLEN } from "../wire/ipv4.ts";
import { MS_RSS_KEY, rssQueue, rxfhIndirDefault, toeplitzHash } from "./rss.ts";
import { VIRTIO_NET_FEATURES } from "./virtio_net_features.ts";

/** Options of {@linkcode VirtioNet}. */
export interface VirtioNetOptions {
  /** Interface name, default `eth0`. */
  name?: string;
  /** MAC address, default 02:00:00:00:00:02. */
  mac?: string;
  /** MTU, default 1500. */
  mtu?: number;
  /** Queue pairs the device offers (max_queue_pairs), default 1. */
  maxQueuePairs?: number;
  /** Receive ring size, default 256 (QEMU's rx_queue_size default, as a 6.18 guest reports). */
  ringSize?: number;
  /** Largest ring the device accepts (vq->num_max), default 256; QEMU allows up to 1024. */
  maxRingSize?: number;
  /** Link speed for wire time, Gbit/s, default 10. */
  linkGbps?: number;
  /** The device reports statistics (VIRTIO_NET_F_DEVICE_STATS), default false. */
  deviceStats?: boolean;
  /** The device does RSS and reports hashes (VIRTIO_NET_F_RSS, _HASH_REPORT), default true. */
  rss?: boolean;
  /** What receive_buf() hands each skb to; default napi_gro_receive(). */
  rxHandler?: (skb: SkBuff, napi: Napi) => Work;
  /** virtio device index for IRQ names (`virtio0-input.0`), default 0. */
  virtioIndex?: number;
  /** PCI address for the MSI-X chip name, default 0000:00:03.0. */
  pciAddress?: string;
}

/** Per-queue driver counters (struct virtnet_rq_stats), as ethtool -S names them. */
export interface VirtnetRqStats {
  /** Packets handed up. */
  packets: number;
  /** Bytes handed up. */
  bytes: number;
  /** Buffers the driver dropped (malformed, out of memory). */
  drops: number;
  /** XDP counters: always zero here, XDP is not modelled. */
  xdp_packets: number;
  /** XDP_TX. */
  xdp_tx: number;
  /** XDP_REDIRECT. */
  xdp_redirects: number;
  /** XDP drops. */
  xdp_drops: number;
  /** Notifications the driver sent the device after posting buffers. */
  kicks: number;
}

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

/** One receive virtqueue with its NAPI instance and MSI-X vector (struct receive_queue). */
export class ReceiveQueue {
  /** Queue index. */
  readonly index: number;
  /** The NAPI instance (rq->napi). */
  readonly napi: Napi;
  /** Buffers posted and not yet used by the device. */
  posted = 0;
  /** Buffers the device filled that the driver has not taken (the used ring). */
  readonly used: UsedBuffer[] = [];
  /** Device may notify: the driver enabled callbacks and no notification consumed the event since. */
  callbacksEnabled = true;
  /** MSI-X callbacks received (rq->calls). */
  calls = 0;
  /** Driver counters. */
  readonly stats: VirtnetRqStats = {
    packets: 0,
    bytes: 0,
    drops: 0,
    xdp_packets: 0,
    xdp_tx: 0,
    xdp_redirects: 0,
    xdp_drops: 0,
    kicks: 0,
  };
  /** Device counters. */
  readonly hw: VirtioRxHwStats = {
    packets: 0,
    bytes: 0,
    notifications: 0,
    interrupts: 0,
    dropOverruns: 0,
  };
  /** Its MSI-X vector, once the driver requested it. */
  irq?: IrqDesc;
  /** Used buffers since the last notification (coalescing). */
  pendingNotify = 0;
  /** Pending coalescing timer. */
  notifyTimer?: SimEvent;

  /**
   * Makes a queue.
   * @param index queue number
   * @param napi its NAPI instance
   */
  constructor(index: number, napi: Napi) {
    this.index = index;
    this.napi = napi;
  }

  /** The skbs-to-be held in the ring, as frames (for the ledger they are not skbs yet). */
  get backlog(): number {
    return this.used.length;
  }
}

/** Interrupt coalescing settings (ethtool -c), as virtio's VIRTIO_NET_F_NOTF_COAL offers. */
export interface Coalesce {
  /** Longest a frame waits for its interrupt, µs (max_usecs); 0: no wait. */
  rxUsecs: number;
  /** Frames that trigger an interrupt at once (max_packets). */
  rxFrames: number;
}

/**
 * A virtio-net device and its driver on a host.
 *
 * @example
 * ```ts
 * import { buildFrame, createHost, VirtioNet } from "@rxpath/rxpath";
 * const host = createHost({ cpus: 2 });
 * const nic = new VirtioNet(host, { maxQueuePairs: 2 });
 * nic.open();
 * nic.receive(buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 1, dest: 2 } }));
 * host.sim.run(100_000);
 * console.log(nic.rq.map((q) => q.stats.packets)); // one frame, on the queue RSS chose
 * ```
 */
export class VirtioNet {
  /** The host. */
  readonly host: Net;
  /** The network device. */
  readonly dev: NetDevice;
  /** Receive queues, one per queue pair the device offers. */
  readonly rq: ReceiveQueue[];
  /** Queue pairs in use (ethtool -l Combined). */
  currQueuePairs: number;
  /** Queue pairs the device offers. */
  readonly maxQueuePairs: number;
  /** Ring size in use (ethtool -g RX). */
  ringSize: number;
  /** Largest ring size. */
  readonly maxRingSize: number;
  /** Coalescing settings (ethtool -c); default rx-usecs 0, rx-frames 1 as a 6.18 guest shows. */
  readonly coalesce: Coalesce = { rxUsecs: 0, rxFrames: 1 };
  /** RSS key (ethtool -x). */
  rssKey: Uint8Array = MS_RSS_KEY;
  /** RSS indirection table (ethtool -x). */
  indir: number[];
  /** True once the user set the indirection table (netif_is_rxfh_configured()). */
  rxfhConfigured = false;
  /** Link speed, Gbit/s. */
  readonly linkGbps: number;
  /** Whether the device reports its own statistics. */
  readonly deviceStats: boolean;
  /** Whether the device does RSS and hash reports. */
  readonly rss: boolean;
  /** Netdev features by name (ethtool -k), in ethtool's order. */
  readonly features: Map<string, { on: boolean; fixed: boolean; child: boolean }>;
  /** virtio device index, as in `virtio0-input.0`. */
  readonly virtioIndex: number;
  /** MSI-X chip name of the device. */
  readonly chip: string;
  /** The config-change vector and the transmit vectors, registered but never fired here. */
  readonly otherIrqs: IrqDesc[] = [];
  readonly #rxHandler: (skb: SkBuff, napi: Napi) => Work;
  #linkBusyUntil = 0;
  #inHandOff: SkBuff | null = null;
  #opened = false;

  /**
   * Probes the device (virtnet_probe): creates the net device, the queues and their NAPI
   * instances, and uses min(max_queue_pairs, online CPUs) queue pairs.
   * @param host the host
   * @param options device settings
   * @throws {RangeError} for impossible settings
   */
  constructor(host: Net, options: VirtioNetOptions = {}) {
    this.host = host;
    this.maxQueuePairs = options.maxQueuePairs ?? 1;
    if (
      !Number.isInteger(this.maxQueuePairs) || this.maxQueuePairs < 1 || this.maxQueuePairs > 256
    ) {
      throw new RangeError(
        `Cannot make a virtio-net device with ${this.maxQueuePairs} queue pairs: 1 to 256`,
      );
    }
    this.maxRingSize = options.maxRingSize ?? 256;
    if (!isPowerOfTwo(this.maxRingSize) || this.maxRingSize > 32768) {
      throw new RangeError(
        `Cannot make a device with maximum ring ${this.maxRingSize}: a power of two up to 32768`,
      );
    }
    this.ringSize = this.maxRingSize;
    this.linkGbps = options.linkGbps ?? 10;
    this.deviceStats = options.deviceStats ?? false;
    this.rss = options.rss ?? true;
    this.features = new Map(
      VIRTIO_NET_FEATURES.map(([name, on, fixed, child]) => [name, { on, fixed, child }]),
    );
    // virtnet_probe(): an RSS device adds NETIF_F_RXHASH to hw_features (changeable, off).
    if (this.rss) this.features.set("receive-hashing", { on: false, fixed: false, child: false });
    this.virtioIndex = options.virtioIndex ?? 0;
    this.chip = `PCI-MSIX-${options.pciAddress ?? "0000:00:03.0"}`;
    this.dev = new NetDevice({
      name: options.name ?? "eth0",
      ifindex: host.devices.length + 1,
      mtu: options.mtu ?? 1500,
      devAddr: macAton(options.mac ?? "02:00:00:00:00:02"),
    });
    host.registerNetdevice(this.dev);
    this.#rxHandler = options.rxHandler ?? groHandler(host);
    this.rq = Array.from(
      { length: this.maxQueuePairs },
      (_, i) =>
        new ReceiveQueue(
          i,
          netifNapiAdd(
            `${this.dev.name}-rx-${i}`,
            this.dev,
            (n, budget) => this.virtnetPoll(i, n, budget),
          ),
        ),
    );
    // virtnet_probe(): all queue pairs, unless there are fewer online CPUs.
    this.currQueuePairs = Math.min(this.maxQueuePairs, host.sim.cpus.length);
    this.indir = rxfhIndirDefault(128, this.currQueuePairs);
    if (options.ringSize !== undefined) this.setRingSize(options.ringSize);
    this.#requestIrqs();
  }

  // vp_find_vqs_msix(): vector 0 for config changes, then one per virtqueue in order
  // rx0, tx0, rx1, tx1, ...; virtnet_set_affinity() spreads queue pairs over the CPUs.
  #requestIrqs(): void {
    const irqs = this.host.irqs;
    const name = `virtio${this.virtioIndex}`;
    this.otherIrqs.push(
      irqs.requestIrq({
        chip: this.chip,
        hwirq: 0,
        action: `${name}-config`,
        affinity: this.#allCpus(),
        handler: null,
      }),
    );
    const masks = this.#affinityMasks();
    this.rq.forEach((q, i) => {
      q.irq = irqs.requestIrq({
        chip: this.chip,
        hwirq: 1 + 2 * i,
        action: `${name}-input.${i}`,
        affinity: masks[i] ?? this.#allCpus(),
        handler: (cpu) => this.skbRecvDone(cpu, i),
      });
      this.otherIrqs.push(irqs.requestIrq({
        chip: this.chip,
        hwirq: 2 + 2 * i,
        action: `${name}-output.${i}`,
        affinity: masks[i] ?? this.#allCpus(),
        handler: null,
      }));
    });
  }

  #allCpus(): number[] {
    return this.host.sim.cpus.map((c) => c.id);
  }

  // virtnet_set_affinity(): stride = max(cpus / queue pairs, 1), the first cpus % pairs
  // queues take one extra CPU.
  #affinityMasks(): number[][] {
    const ncpu = this.host.sim.cpus.length;
    const pairs = this.currQueuePairs;
    const stride = Math.max(Math.floor(ncpu / pairs), 1);
    const stragglers = ncpu >= pairs ? ncpu % pairs : 0;
    let cpu = 0;
    return Array.from({ length: pairs }, (_, i) => {
      const mask: number[] = [];
      for (let j = 0; j < stride + (i < stragglers ? 1 : 0); j++) {
        mask.push(cpu);
        cpu = (cpu + 1) % ncpu;
      }
      return mask;
    });
  }

  /**
   * Brings the interface up (virtnet_open()): posts a full ring of receive buffers on every
   * queue in use.
   */
  open(): void {
    if (this.#opened) return;
    this.#opened = true;
    for (const q of this.rq.slice(0, this.currQueuePairs)) this.#tryFillRecv(q);
  }

  /**
   * A frame starts arriving from the wire now: the link carries one frame at a time at its
   * speed; once received, the device hashes it, picks a queue by the indirection table, and
   * after the DMA latency (descriptors are pipelined) writes it into a posted buffer or, if
   * none is posted, drops it (rx_drop_overruns).
   * @param frame the frame bytes
   */
  receive(frame: Uint8Array): void {
    const sim = this.host.sim;
    // The device hashes only when the hash is used: to pick a queue or to report it.
    const hashed = this.rss &&
      (this.currQueuePairs > 1 || this.features.get("receive-hashing")!.on);
    const { hash, l4 } = hashed ? this.rssHash(frame) : { hash: 0, l4: false };
    const q = this.rq[hashed && this.currQueuePairs > 1 ? rssQueue(this.indir, hash) : 0];
    const start = Math.max(sim.now, this.#linkBusyUntil);
    const received = start + Math.round(wireTimeNs(frame.length, this.linkGbps));
    this.#linkBusyUntil = received;
    const done = received + sim.costs.ns("nicDma");
    const arrivedAt = sim.now;
    sim.at(done, () => this.#deviceDeliver(q, { frame, hash, l4Hash: l4, arrivedAt }));
  }

  /**
   * The RSS hash the device computes: TCP and UDP over IPv4 hash the 4-tuple, other IPv4 the
   * addresses (not the ports of fragments, which only the first carries); non-IP frames hash to 0.
   * @param frame the frame
   * @returns the hash and whether it covered ports
   */
  rssHash(frame: Uint8Array): { hash: number; l4: boolean } {
    if (frame.length < ETH_HLEN + IPV4_HLEN || new EthHdr(frame, 0).hProto !== ETH_P_IP) {
      return { hash: 0, l4: false };
    }
    const iph = new IpHdr(frame, ETH_HLEN);
    if (iph.version !== 4 || iph.ihl < 5) return { hash: 0, l4: false };
    const input = new Uint8Array(12);
    const v = new DataView(input.buffer);
    v.setUint32(0, iph.saddr);
    v.setUint32(4, iph.daddr);
    const lo = ETH_HLEN + iph.ihl * 4;
    const ports = (iph.protocol === IPPROTO_TCP || iph.protocol === IPPROTO_UDP) &&
      (iph.fragOff & (IP_MF | IP_OFFSET)) === 0 && frame.length >= lo + 4;
    if (!ports) return { hash: toeplitzHash(this.rssKey, input.subarray(0, 8)), l4: false };
    input.set(frame.subarray(lo, lo + 4), 8);
    return { hash: toeplitzHash(this.rssKey, input), l4: true };
  }

  #deviceDeliver(q: ReceiveQueue, buf: UsedBuffer): void {
    if (q.posted === 0) {
      q.hw.dropOverruns++;
      return;
    }
    q.posted--;
    q.used.push(buf);
    q.hw.packets++;
    q.hw.bytes += buf.frame.length;
    q.pendingNotify++;
    this.#maybeNotify(q);
  }

  // VIRTIO_NET_F_NOTF_COAL: notify once max_packets buffers are used or max_usecs passed
  // since the first of them, whichever comes first; never while callbacks are disabled.
  #maybeNotify(q: ReceiveQueue): void {
    if (!q.callbacksEnabled || q.pendingNotify === 0) return;
    const c = this.coalesce;
    if (c.rxUsecs === 0 || q.pendingNotify >= c.rxFrames) {
      this.#notify(q);
      return;
    }
    if (!q.notifyTimer) {
      q.notifyTimer = this.host.sim.events.schedule(this.host.sim.now + c.rxUsecs * 1000, () => {
        q.notifyTimer = undefined;
        if (q.callbacksEnabled && q.pendingNotify > 0) this.#notify(q);
      });
    }
  }

  // With VIRTIO_RING_F_EVENT_IDX the device notifies once when the used index passes the
  // driver's used_event, and not again until the driver re-arms it by enabling callbacks.
  #notify(q: ReceiveQueue): void {
    q.callbacksEnabled = false;
    q.pendingNotify = 0;
    if (q.notifyTimer) {
      this.host.sim.events.cancel(q.notifyTimer);
      q.notifyTimer = undefined;
    }
    q.hw.interrupts++;
    this.host.irqs.fire(q.irq!);
  }

  /**
   * The MSI-X callback of a receive queue, skb_recv_done() -> virtqueue_napi_schedule(): if
   * NAPI was not scheduled, disable callbacks (the vector stays quiet) and schedule it.
   * @param cpu the CPU handling the interrupt
   * @param index the queue
   * @returns hardirq code
   */
  *skbRecvDone(cpu: Cpu, index: number): Work {
    const sim = this.host.sim;
    const q = this.rq[index];
    sim.enterFn(cpu, "skb_recv_done");
    q.calls++;
    this.#virtqueueNapiSchedule(cpu, q);
    sim.exitFn(cpu, "skb_recv_done");
  }

  #virtqueueNapiSchedule(cpu: Cpu, q: ReceiveQueue): void {
    if (napiSchedulePrep(q.napi)) {
      q.callbacksEnabled = false; // virtqueue_disable_cb()
      __napiSchedule(this.host, cpu, q.napi);
    }
  }

  /**
   * The NAPI poll function, virtnet_poll(): receive up to budget buffers, and if fewer were
   * waiting, complete NAPI and re-enable callbacks (virtqueue_napi_complete()).
   * @param index the queue
   * @param napi its NAPI instance
   * @param budget the weight or busy-poll budget
   * @returns the code; its value is the packets received
   */
  *virtnetPoll(index: number, napi: Napi, budget: number): Generator<number, number, void> {
    const sim = this.host.sim;
    const cpu = sim.cpus[napi.listOwner >= 0 ? napi.listOwner : this.rq[index].irq!.affinity[0]];
    const q = this.rq[index];
    sim.enterFn(cpu, "virtnet_poll");
    if (budget) q.callbacksEnabled = false;
    const received = yield* this.#virtnetReceive(cpu, q, budget);
    if (received < budget) this.#virtqueueNapiComplete(cpu, q, received);
    sim.exitFn(cpu, "virtnet_poll");
    return received;
  }

  *#virtnetReceive(cpu: Cpu, q: ReceiveQueue, budget: number): Generator<number, number, void> {
    const sim = this.host.sim;
    sim.enterFn(cpu, "virtnet_receive");
    let packets = 0;
    while (packets < budget && q.used.length > 0) {
      const buf = q.used.shift()!;
      yield sim.costs.ns("virtnetReceiveBuf");
      packets++;
      const skb = this.#receiveBuf(cpu, q, buf);
      if (skb) {
        sim.enterFn(cpu, "napi_gro_receive", skb.id);
        this.#inHandOff = skb;
        yield sim.costs.ns("napiGroReceive");
        this.#inHandOff = null;
        yield* this.#rxHandler(skb, q.napi);
        sim.exitFn(cpu, "napi_gro_receive", skb.id);
      }
    }
    // Refill when more than half of min(budget, ring) descriptors are free (vq->num_free).
    const numFree = this.#numFree(q);
    if (numFree > Math.floor(Math.min(budget, this.ringSize) / 2)) {
      yield sim.costs.ns("virtnetRefill") * numFree;
      this.#tryFillRecv(q);
    }
    sim.exitFn(cpu, "virtnet_receive");
    return packets;
  }

  // receive_buf(): a frame too short for an Ethernet header is dropped and counted as a
  // length error; others become skbs with the device's hash and the queue recorded.
  #receiveBuf(cpu: Cpu, q: ReceiveQueue, buf: UsedBuffer): SkBuff | null {
    const sim = this.host.sim;
    if (buf.frame.length < ETH_HLEN) {
      this.dev.stats.rx_length_errors++;
      q.stats.drops++;
      return null;
    }
    const skb = allocSkb(sim, buf.frame, this.dev);
    sim.enterFn(cpu, "receive_buf", skb.id);
    // virtnet_receive_done(): the reported hash reaches the skb only with receive-hashing on.
    if (this.rss && this.features.get("receive-hashing")!.on) {
      skb.hash = buf.hash;
      skb.l4Hash = buf.l4Hash;
    }
    skb.recordRxQueue(q.index);
    skb.hwtstamp = buf.arrivedAt;
    skb.protocol = ethTypeTrans(skb, this.dev);
    q.stats.packets++;
    q.stats.bytes += buf.frame.length;
    this.dev.stats.rx_packets++;
    this.dev.stats.rx_bytes += buf.frame.length;
    sim.exitFn(cpu, "receive_buf", skb.id);
    return skb;
  }

  // Descriptors neither posted nor holding a used buffer the driver has yet to take.
  #numFree(q: ReceiveQueue): number {
    return this.ringSize - q.posted - q.used.length;
  }

  // try_fill_recv(): post buffers until no descriptor is free, then kick the device.
  #tryFillRecv(q: ReceiveQueue): void {
    const free = this.#numFree(q);
    if (free <= 0) return;
    q.posted += free;
    q.stats.kicks++;
    q.hw.notifications++;
  }

  // virtqueue_napi_complete(): re-enable callbacks, complete NAPI; if buffers arrived in
  // between (virtqueue_poll()), schedule again; if NAPI stays scheduled (deferral or MISSED),
  // keep callbacks off.
  #virtqueueNapiComplete(cpu: Cpu, q: ReceiveQueue, processed: number): void {
    q.callbacksEnabled = true; // virtqueue_enable_cb_prepare()
    q.pendingNotify = 0;
    if (napiCompleteDone(this.host, cpu, q.napi, processed)) {
      if (q.used.length > 0) this.#virtqueueNapiSchedule(cpu, q);
    } else {
      q.callbacksEnabled = false;
    }
  }

  /**
   * What the driver holds between building an skb and handing it up, for the ledger's check at
   * the end of a run that stopped mid-poll.
   * @returns a holder of at most one skb
   */
  skbHolder(): SkbHolder {
    return {
      name: `${this.dev.name} driver`,
      skbIds: () => (this.#inHandOff ? [this.#inHandOff.id] : []),
    };
  }

  /**
   * Sets the receive ring size (ethtool -G rx N): a power of two up to the device maximum.
   * @param size buffers per ring
   * @throws {RangeError} for a size the device cannot take
   */
  setRingSize(size: number): void {
    if (!Number.isInteger(size) || size < 1 || size > this.maxRingSize) {
      throw new RangeError(
        `Cannot set rx ring size to ${size}: the device allows 1 to ${this.maxRingSize}`,
      );
    }
    // virtio 1.2, 2.7: the size of a split virtqueue is a power of two.
    if (!isPowerOfTwo(size)) {
      throw new RangeError(`Cannot set rx ring size to ${size}: size must be a power of two`);
    }
    this.ringSize = size;
    for (const q of this.rq) q.posted = Math.max(0, Math.min(q.posted, size - q.used.length));
    if (this.#opened) {
      for (const q of this.rq.slice(0, this.currQueuePairs)) {
        this.#tryFillRecv(q);
      }
    }
  }

  /**
   * Sets the queue pairs in use (ethtool -L combined N); an indirection table the user did
   * not set is rebuilt for the new count, and IRQ affinity is spread again.
   * @param pairs queue pairs
   * @throws {RangeError} for 0 or more than the device offers
   */
  setChannels(pairs: number): void {
    if (!Number.isInteger(pairs) || pairs < 1 || pairs > this.maxQueuePairs) {
      throw new RangeError(
        `Cannot set combined channels to ${pairs}: the device offers 1 to ${this.maxQueuePairs}`,
      );
    }
    this.currQueuePairs = pairs;
    if (!this.rxfhConfigured) this.indir = rxfhIndirDefault(this.indir.length, pairs);
    this.#affinityMasks().forEach((mask, i) => this.host.irqs.setAffinity(this.rq[i].irq!, mask));
    if (this.#opened) { for (const q of this.rq.slice(0, pairs)) this.#tryFillRecv(q); }
  }

  /**
   * Turns a feature on or off (ethtool -K DEV NAME on|off).
   * @param name the feature's ethtool name, such as `generic-receive-offload`
   * @param on the new state
   * @throws {RangeError} for an unknown or fixed feature
   */
  setFeature(name: string, on: boolean): void {
    const f = this.features.get(name);
    if (!f) {
      throw new RangeError(`Cannot set feature ${name}: ${this.dev.name} has no such feature`);
    }
    if (f.fixed && f.on !== on) {
      throw new RangeError(
        `Cannot set feature ${name} ${on ? "on" : "off"}: it is fixed ${f.on ? "on" : "off"}`,
      );
    }
    f.on = on;
    if (name === "generic-receive-offload") this.dev.groEnabled = on;
  }

  /**
   * Sets interrupt coalescing (ethtool -C rx-usecs U rx-frames F).
   * @param c the settings to change
   * @throws {RangeError} for negative values or rx-frames 0
   */
  setCoalesce(c: Partial<Coalesce>): void {
    const next = { ...this.coalesce, ...c };
    if (!Number.isInteger(next.rxUsecs) || next.rxUsecs < 0) {
      throw new RangeError(
        `Cannot set rx-usecs to ${next.rxUsecs}: must be a whole number of microseconds`,
      );
    }
    if (!Number.isInteger(next.rxFrames) || next.rxFrames < 1) {
      throw new RangeError(`Cannot set rx-frames to ${next.rxFrames}: must be at least 1`);
    }
    Object.assign(this.coalesce, next);
  }

  /**
   * Sets the RSS indirection table and/or key (ethtool -X).
   * @param rxfh a table with one queue per entry, and/or a key
   * @throws {RangeError} for a table of the wrong size, a queue not in use, or a key that is not 40 bytes
   */
  setRxfh(rxfh: { indir?: number[]; key?: Uint8Array }): void {
    if (!this.rss) {
      throw new RangeError(`Cannot set RSS on ${this.dev.name}: the device does not do RSS`);
    }
    if (rxfh.indir) {
      if (rxfh.indir.length !== this.indir.length) {
        throw new RangeError(
          `Cannot set the indirection table: it has ${this.indir.length} entries, not ${rxfh.indir.length}`,
        );
      }
      const bad = rxfh.indir.find((q) => !Number.isInteger(q) || q < 0 || q >= this.currQueuePairs);
      if (bad !== undefined) {
        throw new RangeError(
          `Cannot set the indirection table: queue ${bad} is not in use (0 to ${
            this.currQueuePairs - 1
          })`,
        );
      }
      this.indir = [...rxfh.indir];
      this.rxfhConfigured = true;
    }
    if (rxfh.key) {
      if (rxfh.key.length !== 40) {
        throw new RangeError(
          `Cannot set the RSS key: virtio-net keys are 40 bytes, not ${rxfh.key.length}`,
        );
      }
      this.rssKey = rxfh.key;
    }
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

// receive_buf() -> napi_gro_receive(): GRO decides; what it hands up reaches the stack.
function groHandler(host: Net): (skb: SkBuff, napi: Napi) => Work {
  return function* (skb, napi) {
    napiGroReceive(host, host.sim.cpus[napi.listOwner], napi, skb);
  };
}
