// Models drivers/net/tun.c (Linux 6.18) for an IFF_TUN | IFF_NO_PI | IFF_VNET_HDR device, the
// kind packetdrill makes: a program's write() is a packet arriving (tun_chr_write_iter() →
// tun_get_user() → tun_rx_batched() → netif_receive_skb(), in the writer's task with bottom
// halves off), and what the stack sends to the device waits in the queue's ring for the
// program's read() (tun_net_xmit(), tun_do_read()). The device has no link-layer header.

import type { Net } from "../core/net_namespace.ts";
import { type Cpu, Task, type TaskBody } from "../sim/cpu.ts";
import type { SkbHolder } from "../sim/ledger.ts";
import { NetDevice } from "../core/netdevice.ts";
import { NETDEV_TX_OK } from "../core/dev_xmit.ts";
import {
  allocSkbLinear,
  allocSkbWithFrags,
  consumeSkb,
  kfreeSkbReason,
  SKB_GSO_DODGY,
  SKB_GSO_TCPV4,
  type SkBuff,
} from "../core/skbuff.ts";
import { __netifReceiveSkb } from "../core/netif_receive.ts";
import { ETH_P_IP } from "../wire/ethernet.ts";
import { copyBytes } from "../wire/copy_bytes.ts";

// NET_SKB_PAD (64 on x86-64) + NET_IP_ALIGN (0): the room tun_alloc_skb() leaves before the data
const TUN_HEADROOM = 64;
const PAGE_SIZE = 4096;
// SKB_MAX_HEAD(NET_SKB_PAD): a page less the headroom and the aligned skb_shared_info
const TUN_GOOD_LINEAR = PAGE_SIZE - TUN_HEADROOM - 320;
// MAX_TAP_QUEUES: the queues of a multiqueue TUN device (include/uapi/linux/if_tun.h)
const MAX_TAP_QUEUES = 256;

/**
 * A TUN device and the program that holds its file: packets written in, packets read out.
 *
 * @example
 * ```ts
 * import { createHost, Tun } from "@rxpath/rxpath";
 * const host = createHost();
 * const tun = new Tun(host, "tun0");
 * console.log(tun.dev.hardHeaderLen, tun.read()); // 0 null
 * ```
 */
export class Tun implements SkbHolder {
  /** The device. */
  readonly dev: NetDevice;
  /** Its name, for the ledger. */
  readonly name: string;
  /** What the stack sent, waiting for read() (the tfile's tx_ring). */
  readonly txRing: SkBuff[] = [];
  readonly #host: Net;

  /**
   * Makes and registers the device (TUNSETIFF), up, MTU 1500 (tun_net_init()).
   * @param host the host
   * @param name its name
   * @param multiQueue IFF_MULTI_QUEUE: MAX_TAP_QUEUES (256) transmit queues, one in use while
   *   one file is attached (tun_set_real_num_queues())
   */
  constructor(host: Net, name: string, multiQueue = false) {
    this.#host = host;
    this.name = name;
    this.dev = new NetDevice({
      name,
      ifindex: host.devices.length + 1,
      mtu: 1500,
      devAddr: new Uint8Array(0),
      hardHeaderLen: 0,
      numTxQueues: multiQueue ? MAX_TAP_QUEUES : 1,
    });
    this.dev.realNumTxQueues = 1;
    this.dev.numRxQueues = this.dev.numTxQueues;
    this.dev.groEnabled = false;
    this.dev.txQueueLen = 500; // tun_net_initialize(): TUN_READQ_SIZE; it gets pfifo_fast
    this.dev.lltx = true; // tun_set_iff(): dev->lltx
    host.registerNetdevice(this.dev);
    this.dev.ndoStartXmit = (skb, cpu) => this.#tunNetXmit(cpu, skb);
  }

  /**
   * The program writes one IP packet, as write() → tun_get_user(): an skb sized as
   * tun_alloc_skb() sizes a linear one, its protocol from the IP version (IFF_NO_PI), received
   * at once by netif_receive_skb() in the writer's task with bottom halves off.
   * @param cpu the CPU the writer runs on
   * @param packet the IP packet
   * @param gsoSize a TCP GSO size the virtio_net_hdr carries (virtio_net_hdr_to_skb(): the
   *   skb is marked a GSO packet of that size, its segment count left to compute), or 0
   */
  write(cpu: Cpu, packet: Uint8Array, gsoSize = 0): void {
    cpu.addTask(new Task("packetdrill", this.#tunGetUser(cpu, packet, gsoSize)));
  }

  // The writer's code: tun_get_user() with bottom halves off, one shared generator function (a
  // new one per write would cost V8 a microsecond to start).
  *#tunGetUser(cpu: Cpu, packet: Uint8Array, gsoSize: number): TaskBody {
    const host = this.#host;
    const dev = this.dev;
    yield { op: "local_bh_disable" };
    host.sim.enterFn(cpu, "tun_get_user");
    // tun_alloc_skb(): under a page, one linear skb; else SKB_MAX_HEAD(64) = 3712 bytes
    // in the head (tun_get_user()'s good_linear) and the rest in page frags
    const skb = TUN_HEADROOM + packet.length < PAGE_SIZE
      ? allocSkbLinear(host.sim, packet, TUN_HEADROOM, dev)
      : allocSkbWithFrags(host.sim, packet, TUN_HEADROOM, TUN_GOOD_LINEAR, dev);
    skb.macHeader = 0; // skb_reset_mac_header(): no link-layer header
    skb.networkHeader = 0;
    if (gsoSize) {
      skb.gsoSize = gsoSize;
      skb.gsoType = SKB_GSO_TCPV4 | SKB_GSO_DODGY;
    }
    if (packet.length === 0 || packet[0] >> 4 !== 4) {
      dev.stats.rx_dropped++;
      kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "tun_get_user");
    } else {
      skb.protocol = ETH_P_IP;
      dev.stats.rx_packets++;
      dev.stats.rx_bytes += packet.length;
      host.sim.enterFn(cpu, "netif_receive_skb", skb.id);
      __netifReceiveSkb(host, cpu, skb);
      host.sim.exitFn(cpu, "netif_receive_skb", skb.id);
    }
    host.sim.exitFn(cpu, "tun_get_user");
    yield { op: "local_bh_enable" };
  }

  /**
   * The program reads the next packet the stack sent (tun_do_read()), or null when none waits.
   * @returns the IP packet and when the device took it, ns
   */
  read(): { packet: Uint8Array; tstamp: number } | null {
    const skb = this.txRing.shift();
    if (!skb) return null;
    const packet = copyBytes(skb.head.subarray(skb.data, skb.data + skb.len));
    consumeSkb(this.#host.sim, skb, "tun_do_read");
    return { packet, tstamp: skb.tstamp };
  }

  /** The skbs waiting to be read, for the ledger's check. */
  skbIds(): number[] {
    return this.txRing.map((skb) => skb.id);
  }

  // tun_net_xmit(): the skb is time-stamped (skb_tx_timestamp()) and joins the queue's ring
  // for the reader
  #tunNetXmit(cpu: Cpu, skb: SkBuff): number {
    this.#host.sim.enterFn(cpu, "tun_net_xmit", skb.id);
    skb.tstamp = this.#host.sim.now + cpu.pendingCharge;
    this.txRing.push(skb);
    this.#host.sim.exitFn(cpu, "tun_net_xmit", skb.id);
    return NETDEV_TX_OK;
  }
}
