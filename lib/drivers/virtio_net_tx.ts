// Models the transmit side of drivers/net/virtio_net.c (Linux 6.18): start_xmit() frees what
// the device already sent (free_old_xmit()), adds the packet to the send queue's ring
// (xmit_skb() → virtqueue_add_outbuf()), stops the queue when fewer than 2 + MAX_SKB_FRAGS
// descriptors are left (check_sq_full_and_disable()), counts the bytes for BQL
// (__netdev_tx_sent_queue()) and kicks the device. The device's used-buffer interrupt,
// skb_xmit_done(), schedules the queue's TX NAPI (napi_tx, on by default), whose poll,
// virtnet_poll_tx(), frees the sent skbs, completes their bytes for BQL and wakes the queue.
// The receive poll of the paired queue cleans the send queue too (virtnet_poll_cleantx()).

import { takeFirst } from "../base/arrays.ts";
import type { Net } from "../core/net_namespace.ts";
import type { Cpu } from "../sim/cpu.ts";
import type { NetDevice, NetdevQueue } from "../core/netdevice.ts";
import { __napiSchedule, type Napi, napiCompleteDone, napiSchedulePrep } from "../core/dev.ts";
import { consumeSkb, type SkBuff } from "../core/skbuff.ts";
import {
  NETDEV_TX_OK,
  netdevTxCompletedQueue,
  netdevTxSentQueue,
  netifTxStopQueue,
  netifTxWakeQueue,
} from "../core/dev_xmit.ts";
import type { IrqDesc } from "../kernel/irq.ts";
import type { TxVirtqueue, VirtioNetDevice } from "./virtio_net_device.ts";
import { copyBytes } from "../wire/copy_bytes.ts";

/** Descriptors a packet may need at most: its header and MAX_SKB_FRAGS (17) fragments, + 1. */
export const VIRTNET_TX_ROOM: number = 2 + 17;

/** Per-queue transmit counters (struct virtnet_sq_stats), as ethtool -S names them. */
export interface VirtnetSqStats {
  /** Packets the device sent and the driver freed. */
  packets: number;
  /** Their bytes. */
  bytes: number;
  /** Notifications the driver sent the device (tx_kicks). */
  kicks: number;
  /** Times the queue was stopped for lack of descriptors (tx-N stop, qstat). */
  stop: number;
  /** Times the TX NAPI woke a stopped queue (tx-N wake, qstat). */
  wake: number;
  /** Transmit timeouts (the watchdog; none here). */
  tx_timeouts: number;
}

/** The driver's side of one transmit virtqueue, with its TX NAPI (struct send_queue). */
export class SendQueue {
  /** TX interrupts taken (skb_xmit_done() calls). */
  calls = 0;
  /** Driver counters. */
  readonly stats: VirtnetSqStats = {
    packets: 0,
    bytes: 0,
    kicks: 0,
    stop: 0,
    wake: 0,
    tx_timeouts: 0,
  };
  /** Its MSI-X vector (virtioN-output.M), once requested. */
  irq?: IrqDesc;

  /**
   * Makes a send queue.
   * @param index queue number
   * @param napi its TX NAPI (netif_napi_add_tx_weight())
   * @param vq the device's transmit virtqueue
   * @param dev the net device, whose transmit queue `index` it serves
   */
  constructor(
    readonly index: number,
    readonly napi: Napi,
    readonly vq: TxVirtqueue,
    readonly dev: NetDevice,
  ) {}

  /** The net device's transmit queue it serves (made when the device registers). */
  get txq(): NetdevQueue {
    return this.dev.tx[this.index];
  }
}

/**
 * The transmit half of a virtio_net driver: start_xmit(), the TX interrupt, the TX NAPI poll.
 */
export class VirtnetTx {
  /**
   * Wires the transmit side of a virtio_net device.
   * @param host the host
   * @param dev the net device
   * @param device the virtio-net device
   * @param sq the send queues
   */
  constructor(
    readonly host: Net,
    readonly dev: NetDevice,
    readonly device: VirtioNetDevice,
    readonly sq: SendQueue[],
  ) {
    dev.ndoStartXmit = (skb, cpu, more) => this.startXmit(cpu, skb, more);
  }

  /**
   * start_xmit(): frees what was sent, adds the packet to the ring, stops the queue when it is
   * nearly full, counts it for BQL, and kicks the device unless more packets follow.
   * @param cpu the CPU
   * @param skb the packet, from its Ethernet header
   * @param more netdev_xmit_more()
   * @returns NETDEV_TX_OK
   */
  startXmit(cpu: Cpu, skb: SkBuff, more: boolean): number {
    return this.host.sim.traced(cpu, "start_xmit", () => {
      const sq = this.sq[skb.queueMapping]; // skb_get_queue_mapping(), set by netdev_core_pick_tx()
      const vq = sq.vq;
      // free old buffers with callbacks off; re-arm them (3/4 of what is in flight), and go
      // again if that many were used meanwhile
      do {
        vq.usedEvent = null;
        this.freeOldXmit(cpu, sq);
      } while (!more && !enableCbDelayed(vq));
      // xmit_skb() (inlined): the virtio-net header pushed, the skb mapped, one descriptor
      this.host.sim.traced(cpu, "virtqueue_add_outbuf", () => {
        this.device.addOutbuf(vq, copyBytes(skb.head.subarray(skb.data, skb.data + skb.len)), skb);
      }, skb.id);
      this.#checkSqFullAndDisable(cpu, sq);
      if (netdevTxSentQueue(sq.txq, skb.len, more)) {
        this.host.sim.traced(cpu, "virtqueue_notify", () => {
          if (this.device.kickTx(vq)) sq.stats.kicks++;
        });
      }
      return NETDEV_TX_OK;
    }, skb.id);
  }

  // check_sq_full_and_disable(): fewer than 2 + MAX_SKB_FRAGS descriptors free stops the queue;
  // callbacks re-armed so the TX NAPI runs when 3/4 of the ring is sent (or at once, if it was)
  #checkSqFullAndDisable(cpu: Cpu, sq: SendQueue): void {
    if (sq.vq.numFree >= VIRTNET_TX_ROOM) return;
    netifTxStopQueue(sq.txq);
    sq.stats.stop++;
    if (!enableCbDelayed(sq.vq)) this.#virtqueueNapiSchedule(cpu, sq);
  }

  /**
   * free_old_xmit(): takes back every buffer the device used, frees its skb
   * (napi_consume_skb()), and tells BQL the bytes completed.
   * @param cpu the CPU
   * @param sq the send queue
   */
  freeOldXmit(cpu: Cpu, sq: SendQueue): void {
    const vq = sq.vq;
    if (vq.used.length === 0) return;
    this.host.sim.traced(cpu, "free_old_xmit", () => {
      let packets = 0;
      let bytes = 0;
      while (vq.used.length) {
        const skb = takeFirst(vq.used) as SkBuff;
        vq.lastUsedIdx++;
        packets++;
        bytes += skb.len;
        consumeSkb(this.host.sim, skb, "free_old_xmit"); // napi_consume_skb()
      }
      netdevTxCompletedQueue(this.host, cpu, sq.txq, bytes);
      sq.stats.packets += packets;
      sq.stats.bytes += bytes;
    });
  }

  /**
   * skb_xmit_done(): the transmit queue's interrupt; callbacks off, the TX NAPI scheduled.
   * @param cpu the CPU taking the interrupt
   * @param index the queue
   */
  *skbXmitDone(cpu: Cpu, index: number): Generator<number, void, void> {
    const sim = this.host.sim;
    const sq = this.sq[index];
    sim.enterFn(cpu, "vring_interrupt");
    sim.enterFn(cpu, "skb_xmit_done");
    sq.calls++;
    sq.vq.usedEvent = null; // virtqueue_disable_cb()
    this.#virtqueueNapiSchedule(cpu, sq);
    sim.exitFn(cpu, "skb_xmit_done");
    sim.exitFn(cpu, "vring_interrupt");
  }

  #virtqueueNapiSchedule(cpu: Cpu, sq: SendQueue): void {
    if (napiSchedulePrep(sq.napi)) {
      sq.vq.usedEvent = null;
      __napiSchedule(this.host, cpu, sq.napi);
    }
  }

  /**
   * virtnet_poll_tx(): frees what was sent, wakes the queue when the ring has room, and
   * completes with callbacks re-armed at the next used buffer; a buffer used meanwhile
   * schedules it again (virtqueue_poll()). It reports no work: a TX poll never uses budget.
   * @param index the queue
   * @param napi its NAPI
   * @returns the code; its value is 0
   */
  *virtnetPollTx(index: number, napi: Napi): Generator<number, number, void> {
    const sq = this.sq[index];
    const cpu = this.host.sim.cpus[napi.listOwner >= 0 ? napi.listOwner : sq.irq?.affinity[0] ?? 0];
    this.host.sim.traced(cpu, "virtnet_poll_tx", () => {
      let done = false;
      const opaque = this.host.sim.holding(cpu, { preempt: 1 }, () => { // __netif_tx_lock()
        sq.vq.usedEvent = null;
        this.freeOldXmit(cpu, sq);
        if (sq.vq.numFree >= VIRTNET_TX_ROOM) {
          if (sq.txq.drvXoff) sq.stats.wake++;
          netifTxWakeQueue(this.host, cpu, sq.txq);
        }
        const opaque = sq.vq.lastUsedIdx; // virtqueue_enable_cb_prepare()
        sq.vq.usedEvent = opaque;
        done = napiCompleteDone(this.host, cpu, napi, 0);
        if (!done) sq.vq.usedEvent = null;
        return opaque;
      });
      if (done && sq.vq.usedIdx !== opaque) this.#virtqueueNapiSchedule(cpu, sq);
    });
    yield 0;
    return 0;
  }

  /**
   * virtnet_poll_cleantx(): the receive poll frees its paired send queue's sent buffers too,
   * and wakes the queue when there is room.
   * @param cpu the CPU
   * @param index the queue pair
   */
  pollCleantx(cpu: Cpu, index: number): void {
    const sq = this.sq[index];
    if (!sq) return;
    // inlined into virtnet_poll(): no call of its own in a trace
    do {
      sq.vq.usedEvent = null;
      this.freeOldXmit(cpu, sq);
    } while (!enableCbDelayed(sq.vq));
    if (sq.vq.numFree >= VIRTNET_TX_ROOM) {
      if (sq.txq.drvXoff) sq.stats.wake++;
      netifTxWakeQueue(this.host, cpu, sq.txq);
    }
  }
}

// virtqueue_enable_cb_delayed(): used_event set 3/4 of the way through what is in flight; false
// when more than that many buffers were used already (the caller should take them first)
function enableCbDelayed(vq: TxVirtqueue): boolean {
  const bufs = Math.floor(((vq.availIdx - vq.lastUsedIdx) * 3) / 4);
  vq.usedEvent = vq.lastUsedIdx + bufs;
  return vq.usedIdx - vq.lastUsedIdx <= bufs;
}
