// Models the receive side of drivers/net/virtio_net.c (Linux 6.18), the kernel's half of a
// virtio-net NIC (the device is virtio_net_device.ts): virtnet_probe() makes the net device, the
// queues and their NAPI instances and requests the MSI-X vectors; virtnet_open() posts buffers
// (try_fill_recv); the MSI-X callback skb_recv_done() -> virtqueue_napi_schedule() masks the
// queue and schedules NAPI; virtnet_poll() -> virtnet_receive() -> receive_buf() builds skbs and
// hands them to napi_gro_receive(), refills, and virtqueue_napi_complete() re-enables callbacks
// through napi_complete_done(). ethtool's settings reach the device over the control queue.

import { takeFirst } from "../base/arrays.ts";
import { InputRangeError } from "../base/errors.ts";
import type { Net } from "../core/net_namespace.ts";
import type { Cpu, Work } from "../sim/cpu.ts";
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
import { ETH_HLEN, macAton } from "../wire/ethernet.ts";
import { rxfhIndirDefault } from "./rss.ts";
import { VIRTIO_NET_FEATURES } from "./virtio_net_features.ts";
import { SendQueue, VirtnetTx } from "./virtio_net_tx.ts";
import {
  type Coalesce,
  type UsedBuffer,
  VIRTIO_NET_RSS_HASH_TYPE_IPv4,
  VIRTIO_NET_RSS_HASH_TYPE_TCPv4,
  VIRTIO_NET_RSS_HASH_TYPE_UDPv4,
  VirtioNetDevice,
  type Virtqueue,
} from "./virtio_net_device.ts";

// The flows virtnet_set_hashflow() can change (IPv4 ones: the device hashes no IPv6), with the
// hash type of their ports; the addresses' type, IPv4, they share.
const L4_HASH_TYPE: Readonly<Record<string, number>> = {
  tcp4: VIRTIO_NET_RSS_HASH_TYPE_TCPv4,
  udp4: VIRTIO_NET_RSS_HASH_TYPE_UDPv4,
};

// ethtool's rx-flow-hash letters and the RXH_* bits they stand for (include/uapi/linux/ethtool.h)
const RXH_LETTERS: Record<string, number> = {
  m: 1 << 1, // RXH_L2DA
  v: 1 << 2, // RXH_VLAN
  t: 1 << 3, // RXH_L3_PROTO
  s: 1 << 4, // RXH_IP_SRC
  d: 1 << 5, // RXH_IP_DST
  f: 1 << 6, // RXH_L4_B_0_1
  n: 1 << 7, // RXH_L4_B_2_3
  r: 2 ** 31, // RXH_DISCARD
};

/** The flow types of `ethtool -n/-N DEV rx-flow-hash FLOW` the kit knows, as ethtool 6.1 names them. */
export const RX_FLOW_TYPES: Readonly<Record<string, string>> = {
  tcp4: "TCP over IPV4 flows",
  udp4: "UDP over IPV4 flows",
  sctp4: "SCTP over IPV4 flows",
  tcp6: "TCP over IPV6 flows",
  udp6: "UDP over IPV6 flows",
  sctp6: "SCTP over IPV6 flows",
};

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
  /** What receive_buf() hands each skb to: code that takes CPU time, or nothing when the work is
   * done within the step; default napi_gro_receive(). */
  rxHandler?: (skb: SkBuff, napi: Napi) => Work | void;
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

/** The driver's side of one receive virtqueue, with its NAPI instance (struct receive_queue). */
export class ReceiveQueue {
  /** Queue index. */
  readonly index: number;
  /** The NAPI instance (rq->napi). */
  readonly napi: Napi;
  /** The device's virtqueue (rq->vq): posted buffers, used ring, device counters. */
  readonly vq: Virtqueue;
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
  /** Its MSI-X vector, once the driver requested it. */
  irq?: IrqDesc;

  /**
   * Makes a queue.
   * @param index queue number
   * @param napi its NAPI instance
   * @param vq the device's virtqueue
   */
  constructor(index: number, napi: Napi, vq: Virtqueue) {
    this.index = index;
    this.napi = napi;
    this.vq = vq;
  }
}

/**
 * The virtio_net driver bound to a virtio-net device on a host: the net device, its receive
 * queues and NAPI instances, and the ethtool settings, which the driver passes to the device.
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
  /** The device the driver drives (the hardware side). */
  readonly device: VirtioNetDevice;
  /** The network device. */
  readonly dev: NetDevice;
  /** Receive queues, one per queue pair the device offers. */
  readonly rq: ReceiveQueue[];
  /** The transmit side: send queues, start_xmit(), TX NAPI (virtio_net_tx.ts). */
  readonly tx: VirtnetTx;
  /** Queue pairs in use (ethtool -l Combined). */
  currQueuePairs: number;
  /** Ring size in use (ethtool -g RX). */
  ringSize: number;
  /** True once the user set the indirection table (netif_is_rxfh_configured()). */
  rxfhConfigured = false;
  /** The hash types the driver keeps for the device (rss_hash_types_saved). */
  rssHashTypesSaved: number;
  /** Netdev features by name (ethtool -k), in ethtool's order. */
  readonly features: Map<string, { on: boolean; fixed: boolean; child: boolean }>;
  /** virtio device index, as in `virtio0-input.0`. */
  readonly virtioIndex: number;
  /** MSI-X chip name of the device. */
  readonly chip: string;
  /** The config-change vector, registered but never fired here. */
  readonly otherIrqs: IrqDesc[] = [];
  readonly #rxHandler: (skb: SkBuff, napi: Napi) => Work | void;
  // the skb each queue's poll is handing up now: queues on different CPUs poll at once
  readonly #inHandOff: (SkBuff | null)[] = [];
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
    host.sim.enterFn(host.bootCpu, "virtnet_probe");
    this.device = new VirtioNetDevice(
      host.sim,
      (vq) => host.irqs.fire(this.rq[vq.index].irq!),
      {
        maxQueuePairs: options.maxQueuePairs,
        maxRingSize: options.maxRingSize,
        linkGbps: options.linkGbps,
        deviceStats: options.deviceStats,
        rss: options.rss,
      },
      (vq) => host.irqs.fire(this.tx.sq[vq.index].irq!),
    );
    this.ringSize = this.device.maxRingSize;
    this.rssHashTypesSaved = this.device.hashTypes; // virtnet_init_default_rss()
    this.features = new Map(
      VIRTIO_NET_FEATURES.map(([name, on, fixed, child]) => [name, { on, fixed, child }]),
    );
    // virtnet_probe(): an RSS device adds NETIF_F_RXHASH to hw_features (changeable, off).
    if (this.device.rss) {
      this.features.set("receive-hashing", { on: false, fixed: false, child: false });
    }
    this.virtioIndex = options.virtioIndex ?? 0;
    this.chip = `PCI-MSIX-${options.pciAddress ?? "0000:00:03.0"}`;
    this.dev = new NetDevice({
      name: options.name ?? "eth0",
      ifindex: host.devices.length + 1,
      mtu: options.mtu ?? 1500,
      devAddr: macAton(options.mac ?? "02:00:00:00:00:02"),
      // alloc_etherdev_mq(sizeof(*vi), max_queue_pairs): a transmit queue per pair, so a
      // device with more than one pair gets mq
      numTxQueues: options.maxQueuePairs ?? 1,
    });
    this.dev.numRxQueues = options.maxQueuePairs ?? 1;
    this.#rxHandler = options.rxHandler ?? groHandler(host);
    // init_vqs(): virtnet_alloc_queues() adds each queue's NAPI, virtnet_find_vqs() (inlined)
    // asks the transport for the virtqueues and their vectors
    host.sim.enterFn(host.bootCpu, "init_vqs");
    this.rq = this.device.vqs.map((vq, i) => {
      host.sim.enterFn(host.bootCpu, "netif_napi_add_weight_locked");
      const napi = netifNapiAdd(
        `${this.dev.name}-rx-${i}`,
        this.dev,
        (n, budget) => this.virtnetPoll(i, n, budget),
      );
      host.sim.exitFn(host.bootCpu, "netif_napi_add_weight_locked");
      return new ReceiveQueue(i, napi, vq);
    });
    // netif_napi_add_tx_weight(): each send queue's TX NAPI (napi_tx, on by default)
    const sq = this.device.txVqs.map((vq, i) => {
      host.sim.enterFn(host.bootCpu, "netif_napi_add_weight_locked");
      const napi = netifNapiAdd(
        `${this.dev.name}-tx-${i}`,
        this.dev,
        (n) => this.tx.virtnetPollTx(i, n),
      );
      host.sim.exitFn(host.bootCpu, "netif_napi_add_weight_locked");
      return new SendQueue(i, napi, vq, this.dev);
    });
    this.tx = new VirtnetTx(host, this.dev, this.device, sq);
    // virtnet_probe(): all queue pairs, unless there are fewer online CPUs.
    this.currQueuePairs = Math.min(this.device.maxQueuePairs, host.sim.cpus.length);
    this.device.queuePairs = this.currQueuePairs;
    this.device.indir = rxfhIndirDefault(128, this.currQueuePairs);
    if (options.ringSize !== undefined) this.setRingSize(options.ringSize);
    this.#requestIrqs();
    host.sim.exitFn(host.bootCpu, "init_vqs");
    host.registerNetdevice(this.dev); // register_netdev(), last in virtnet_probe()
    host.sim.exitFn(host.bootCpu, "virtnet_probe");
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
      this.tx.sq[i].irq = irqs.requestIrq({
        chip: this.chip,
        hwirq: 2 + 2 * i,
        action: `${name}-output.${i}`,
        affinity: masks[i] ?? this.#allCpus(),
        handler: (cpu) => this.tx.skbXmitDone(cpu, i),
      });
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
   * Brings the interface up (`ip link set DEV up`: dev_change_flags() → __dev_open() →
   * virtnet_open()): posts a full ring of receive buffers on every queue in use and enables
   * its NAPI.
   */
  open(): void {
    if (this.#opened) return;
    this.#opened = true;
    const sim = this.host.sim;
    const cpu = this.host.bootCpu;
    sim.enterFn(cpu, "dev_change_flags");
    sim.enterFn(cpu, "__dev_open");
    sim.enterFn(cpu, "virtnet_open");
    for (const q of this.rq.slice(0, this.currQueuePairs)) {
      this.#tryFillRecv(cpu, q);
      sim.enterFn(cpu, "virtnet_napi_enable");
      sim.exitFn(cpu, "virtnet_napi_enable");
    }
    sim.exitFn(cpu, "virtnet_open");
    sim.exitFn(cpu, "__dev_open");
    sim.exitFn(cpu, "dev_change_flags");
  }

  /**
   * A frame starts arriving from the wire now, at the device ({@linkcode VirtioNetDevice.receive}).
   * @param frame the frame bytes
   */
  receive(frame: Uint8Array): void {
    this.device.receive(frame);
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
    sim.enterFn(cpu, "vring_interrupt"); // the queue's MSI-X action, calling its callback
    sim.enterFn(cpu, "skb_recv_done");
    q.calls++;
    this.#virtqueueNapiSchedule(cpu, q);
    sim.exitFn(cpu, "skb_recv_done");
    sim.exitFn(cpu, "vring_interrupt");
  }

  #virtqueueNapiSchedule(cpu: Cpu, q: ReceiveQueue): void {
    if (napiSchedulePrep(q.napi)) {
      this.device.setCallbacks(q.vq, false); // virtqueue_disable_cb()
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
    this.tx.pollCleantx(cpu, index);
    if (budget) this.device.setCallbacks(q.vq, false);
    // virtnet_receive() is inlined into virtnet_poll() in 6.18: ftrace shows no call of its own
    let received = 0;
    while (received < budget && q.vq.used.length > 0) {
      const buf = takeFirst(q.vq.used)!; // virtqueue_get_buf()
      received++;
      sim.enterFn(cpu, "receive_buf");
      if (!cpu.spendNow(sim.costs.ns.virtnetReceiveBuf)) yield sim.costs.ns.virtnetReceiveBuf;
      const skb = this.#receiveBuf(q, buf);
      if (skb) {
        const work = this.#virtnetReceiveDone(cpu, q, buf, skb);
        if (work) yield* work;
        this.#inHandOff[q.index] = null;
        sim.exitFn(cpu, "virtnet_receive_done", skb.id);
      }
      sim.exitFn(cpu, "receive_buf");
    }
    // Refill when more than half of min(budget, ring) descriptors are free (vq->num_free).
    const numFree = this.#numFree(q);
    if (numFree > Math.floor(Math.min(budget, this.ringSize) / 2)) {
      sim.enterFn(cpu, "try_fill_recv");
      const refillNs = sim.costs.ns.virtnetRefill * numFree;
      if (!cpu.spendNow(refillNs)) yield refillNs;
      this.#postBuffers(cpu, q);
      sim.exitFn(cpu, "try_fill_recv");
    }
    if (received < budget) this.#virtqueueNapiComplete(cpu, q, received);
    sim.exitFn(cpu, "virtnet_poll");
    return received;
  }

  // receive_buf(), after its cost: a frame too short for an Ethernet header is dropped and
  // counted as a length error (null); others become skbs (receive_small/receive_mergeable,
  // inlined) that go on through virtnet_receive_done().
  #receiveBuf(q: ReceiveQueue, buf: UsedBuffer): SkBuff | null {
    if (buf.frame.length < ETH_HLEN) {
      this.dev.stats.rx_length_errors++;
      q.stats.drops++;
      return null;
    }
    const skb = allocSkb(this.host.sim, buf.frame, this.dev);
    q.stats.packets++;
    q.stats.bytes += buf.frame.length;
    this.dev.stats.rx_packets++;
    this.dev.stats.rx_bytes += buf.frame.length;
    return skb;
  }

  // virtnet_receive_done(): the device's hash (with receive-hashing on), the queue, the
  // protocol from eth_type_trans(), then napi_gro_receive(). It returns what the handler still
  // has to run; the poll loop leaves virtnet_receive_done after it.
  #virtnetReceiveDone(cpu: Cpu, q: ReceiveQueue, buf: UsedBuffer, skb: SkBuff): Work | void {
    const sim = this.host.sim;
    sim.enterFn(cpu, "virtnet_receive_done", skb.id);
    if (this.device.rss && this.features.get("receive-hashing")!.on) {
      skb.hash = buf.hash;
      skb.l4Hash = buf.l4Hash;
    }
    skb.recordRxQueue(q.index);
    skb.hwtstamp = buf.arrivedAt;
    sim.enterFn(cpu, "eth_type_trans", skb.id);
    skb.protocol = ethTypeTrans(skb, this.dev);
    sim.exitFn(cpu, "eth_type_trans", skb.id);
    this.#inHandOff[q.index] = skb;
    return this.#rxHandler(skb, q.napi);
  }

  // Descriptors neither posted nor holding a used buffer the driver has yet to take.
  #numFree(q: ReceiveQueue): number {
    return this.ringSize - q.vq.posted - q.vq.used.length;
  }

  // try_fill_recv(), outside the poll (open, resize).
  #tryFillRecv(cpu: Cpu, q: ReceiveQueue): void {
    this.host.sim.enterFn(cpu, "try_fill_recv");
    this.#postBuffers(cpu, q);
    this.host.sim.exitFn(cpu, "try_fill_recv");
  }

  // try_fill_recv()'s work: post buffers until no descriptor is free, then virtqueue_kick().
  #postBuffers(cpu: Cpu, q: ReceiveQueue): void {
    const free = this.#numFree(q);
    if (free <= 0) return;
    q.stats.kicks++;
    this.host.sim.enterFn(cpu, "virtqueue_kick");
    this.device.kick(q.vq, free);
    this.host.sim.exitFn(cpu, "virtqueue_kick");
  }

  // virtqueue_napi_complete(): re-enable callbacks, complete NAPI; if buffers arrived in
  // between (virtqueue_poll()), schedule again; if NAPI stays scheduled (deferral or MISSED),
  // keep callbacks off.
  #virtqueueNapiComplete(cpu: Cpu, q: ReceiveQueue, processed: number): void {
    this.device.setCallbacks(q.vq, true); // virtqueue_enable_cb_prepare()
    if (napiCompleteDone(this.host, cpu, q.napi, processed)) {
      if (q.vq.used.length > 0) this.#virtqueueNapiSchedule(cpu, q); // virtqueue_poll()
    } else {
      this.device.setCallbacks(q.vq, false);
    }
  }

  /**
   * What the driver holds at the end of a run, for the ledger's check: an skb between being
   * built and handed up (a run that stopped mid-poll), the skbs in its send rings, and those
   * waiting in the device's qdiscs.
   * @returns the holder
   */
  skbHolder(): SkbHolder {
    return {
      name: `${this.dev.name} driver`,
      skbIds: () => {
        const ids = this.#inHandOff.flatMap((skb) => skb ? [skb.id] : []);
        for (const { vq } of this.tx.sq) {
          for (const p of vq.pending) ids.push((p.token as SkBuff).id);
          if (vq.sending) ids.push((vq.sending as SkBuff).id);
          for (const t of vq.used) ids.push((t as SkBuff).id);
        }
        const qdiscs = new Set(this.dev.tx.map((txq) => txq.qdiscSleeping));
        for (const q of qdiscs) for (const skb of q.heldSkbs()) ids.push(skb.id);
        return ids.filter((id) => id >= 0); // those the ledger follows
      },
    };
  }

  /**
   * Sets the receive ring size (ethtool -G rx N): a power of two up to the device maximum.
   * @param size buffers per ring
   * @throws {RangeError} for a size the device cannot take
   */
  setRingSize(size: number): void {
    const max = this.device.maxRingSize;
    if (!Number.isInteger(size) || size < 1 || size > max) {
      throw new InputRangeError(
        `Cannot set rx ring size to ${size}: the device allows 1 to ${max}`,
      );
    }
    // virtio 1.2, 2.7: the size of a split virtqueue is a power of two.
    if ((size & (size - 1)) !== 0) {
      throw new InputRangeError(`Cannot set rx ring size to ${size}: size must be a power of two`);
    }
    this.ringSize = size;
    // virtnet_rx_resize() → virtqueue_resize(): buffers beyond the new size are taken back
    for (const { vq } of this.rq) {
      vq.posted = Math.max(0, Math.min(vq.posted, size - vq.used.length));
    }
    if (this.#opened) {
      for (const q of this.rq.slice(0, this.currQueuePairs)) {
        this.#tryFillRecv(this.host.bootCpu, q);
      }
    }
  }

  /**
   * Sets the transmit ring size (ethtool -G tx N): a power of two up to the device maximum,
   * while nothing is in flight (virtnet_tx_resize() → virtqueue_resize()).
   * @param size descriptors per send ring
   * @throws {RangeError} for a size the device cannot take, or a ring with packets in flight
   */
  setTxRingSize(size: number): void {
    const max = this.device.maxRingSize;
    if (!Number.isInteger(size) || size < 1 || size > max || (size & (size - 1)) !== 0) {
      throw new InputRangeError(
        `Cannot set tx ring size to ${size}: a power of two from 1 to ${max}`,
      );
    }
    for (const { vq } of this.tx.sq) {
      if (vq.availIdx !== vq.lastUsedIdx) {
        throw new InputRangeError(`Cannot set tx ring size while packets are in flight`);
      }
      vq.size = size;
    }
  }

  /**
   * Sets the queue pairs in use (ethtool -L combined N); an indirection table the user did
   * not set is rebuilt for the new count, and IRQ affinity is spread again.
   * @param pairs queue pairs
   * @throws {RangeError} for 0 or more than the device offers
   */
  setChannels(pairs: number): void {
    const max = this.device.maxQueuePairs;
    if (!Number.isInteger(pairs) || pairs < 1 || pairs > max) {
      throw new InputRangeError(
        `Cannot set combined channels to ${pairs}: the device offers 1 to ${max}`,
      );
    }
    // virtnet_set_queues(): VIRTIO_NET_CTRL_MQ tells the device
    this.currQueuePairs = pairs;
    this.device.queuePairs = pairs;
    const device = this.device;
    if (!this.rxfhConfigured) device.indir = rxfhIndirDefault(device.indir.length, pairs);
    this.#affinityMasks().forEach((mask, i) => this.host.irqs.setAffinity(this.rq[i].irq!, mask));
    if (this.#opened) {
      for (const q of this.rq.slice(0, pairs)) this.#tryFillRecv(this.host.bootCpu, q);
    }
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
      throw new InputRangeError(`Cannot set feature ${name}: ${this.dev.name} has no such feature`);
    }
    if (f.fixed && f.on !== on) {
      throw new InputRangeError(
        `Cannot set feature ${name} ${on ? "on" : "off"}: it is fixed ${f.on ? "on" : "off"}`,
      );
    }
    const changed = f.on !== on;
    f.on = on;
    if (name === "generic-receive-offload") this.dev.groEnabled = on;
    // virtnet_set_features(): NETIF_F_RXHASH asks the device for hash reports, and a change sends
    // it the saved hash types — or none (VIRTIO_NET_HASH_REPORT_NONE), which stops RSS spreading
    if (name === "receive-hashing") {
      this.device.hashReport = on;
      if (changed) this.device.hashTypes = on ? this.rssHashTypesSaved : 0;
    }
  }

  /**
   * Chooses the fields a flow type is hashed on (ethtool -N DEV rx-flow-hash FLOW FIELDS), as
   * virtnet_set_hashflow(): `sd` (addresses), `sdfn` (addresses and ports) or `r` (no hash: the
   * flow goes to queue 0); IPv4 is one type for TCP, UDP and other IPv4 alike, so `r` on udp4
   * leaves other IPv4 unhashed too. The device gets the change only while receive-hashing is
   * on; it keeps it for when receive-hashing next turns on.
   * @param flow tcp4, udp4, sctp4, or their IPv6 names
   * @param fields ethtool's letters: m v t s d f n r
   * @throws {RangeError} for an unknown flow or letter (ethtool's "bad command line argument"),
   *   or what the driver refuses (EINVAL): other fields, other flows, types the device lacks
   */
  setRxFlowHash(flow: string, fields: string): void {
    const letters = [...fields];
    if (!(flow in RX_FLOW_TYPES) || !fields || letters.some((c) => !(c in RXH_LETTERS))) {
      throw new InputRangeError(
        `ethtool -N ${this.dev.name} rx-flow-hash ${flow} ${fields}: bad command line argument(s)`,
      );
    }
    const bits = letters.reduce((b, c) => b | RXH_LETTERS[c], 0);
    const disable = (bits & RXH_LETTERS.r) !== 0;
    const l4 = bits === (RXH_LETTERS.s | RXH_LETTERS.d | RXH_LETTERS.f | RXH_LETTERS.n);
    const l3 = bits === (RXH_LETTERS.s | RXH_LETTERS.d);
    const IPv4 = VIRTIO_NET_RSS_HASH_TYPE_IPv4;
    let types = this.rssHashTypesSaved;
    const l4Type = L4_HASH_TYPE[flow];
    const ok = (l3 || l4 || disable) && l4Type !== undefined;
    if (ok) {
      types &= ~(IPv4 | l4Type);
      if (!disable) types |= IPv4 | (l4 ? l4Type : 0);
    }
    // other flows and types the device lacks: EINVAL
    if (!ok || (types & ~this.device.hashTypesSupported) !== 0) {
      throw new InputRangeError(
        `Cannot change RX network flow hashing options: Invalid argument (${this.dev.name} ` +
          `hashes ${flow} on sd, sdfn or r only, and only the types its device supports)`,
      );
    }
    if (types === this.rssHashTypesSaved) return;
    this.rssHashTypesSaved = types;
    // virtnet_commit_rss_command() only with NETIF_F_RXHASH on
    if (this.features.get("receive-hashing")?.on) this.device.hashTypes = types;
  }

  /**
   * The fields a flow type is hashed on, as virtnet_get_hashflow() reports them from the saved
   * hash types (ethtool -n DEV rx-flow-hash FLOW): `sdfn`, `sd`, or none.
   * @param flow tcp4 or udp4 (any other: none)
   * @returns ethtool's letters
   */
  rxFlowHash(flow: string): string {
    const l4Type = L4_HASH_TYPE[flow];
    if (l4Type === undefined) return "";
    if (this.rssHashTypesSaved & l4Type) return "sdfn";
    return this.rssHashTypesSaved & VIRTIO_NET_RSS_HASH_TYPE_IPv4 ? "sd" : "";
  }

  /**
   * Sets interrupt coalescing (ethtool -C rx-usecs U rx-frames F).
   * @param c the settings to change
   * @throws {RangeError} for negative values or rx-frames 0
   */
  setCoalesce(c: Partial<Coalesce>): void {
    const next = { ...this.device.coalesce, ...c };
    if (!Number.isInteger(next.rxUsecs) || next.rxUsecs < 0) {
      throw new InputRangeError(
        `Cannot set rx-usecs to ${next.rxUsecs}: must be a whole number of microseconds`,
      );
    }
    if (!Number.isInteger(next.rxFrames) || next.rxFrames < 1) {
      throw new InputRangeError(`Cannot set rx-frames to ${next.rxFrames}: must be at least 1`);
    }
    Object.assign(this.device.coalesce, next); // VIRTIO_NET_CTRL_NOTF_COAL_RX_SET
  }

  /**
   * Sets the RSS indirection table and/or key (ethtool -X).
   * @param rxfh a table with one queue per entry, and/or a key
   * @throws {RangeError} for a table of the wrong size, a queue not in use, or a key that is not 40 bytes
   */
  setRxfh(rxfh: { indir?: number[]; key?: Uint8Array }): void {
    const device = this.device;
    if (!device.rss) {
      throw new InputRangeError(`Cannot set RSS on ${this.dev.name}: the device does not do RSS`);
    }
    if (rxfh.indir) {
      if (rxfh.indir.length !== device.indir.length) {
        throw new InputRangeError(
          `Cannot set the indirection table: it has ${device.indir.length} entries, not ${rxfh.indir.length}`,
        );
      }
      const bad = rxfh.indir.find((q) => !Number.isInteger(q) || q < 0 || q >= this.currQueuePairs);
      if (bad !== undefined) {
        throw new InputRangeError(
          `Cannot set the indirection table: queue ${bad} is not in use (0 to ${
            this.currQueuePairs - 1
          })`,
        );
      }
      device.indir = [...rxfh.indir]; // virtnet_commit_rss_command()
      this.rxfhConfigured = true;
    }
    if (rxfh.key) {
      if (rxfh.key.length !== 40) {
        throw new InputRangeError(
          `Cannot set the RSS key: virtio-net keys are 40 bytes, not ${rxfh.key.length}`,
        );
      }
      device.rssKey = rxfh.key;
    }
  }
}

// receive_buf() -> napi_gro_receive(): GRO decides; what it hands up reaches the stack, all
// within the step (nothing to yield).
function groHandler(host: Net): (skb: SkBuff, napi: Napi) => void {
  return (skb, napi) => {
    napiGroReceive(host, host.sim.cpus[napi.listOwner], napi, skb);
  };
}
