// Models struct net_device of include/linux/netdevice.h (Linux 6.18): the fields the receive
// path reads, the per-device tap and handler lists, and the rtnl_link_stats64 counters.

import type { Napi } from "./dev.ts";
import type { PacketType } from "./dev.ts";
import type { Net } from "./net_namespace.ts";
import { ETH_HLEN, macAton } from "../wire/ethernet.ts";
import { InputRangeError } from "../base/errors.ts";
import type { SkBuff } from "./skbuff.ts";
import type { Cpu } from "../sim/cpu.ts";
import { Dql } from "../kernel/dynamic_queue_limits.ts";
import type { Qdisc } from "../sched/sch_generic.ts";

/** What an rx_handler tells __netif_receive_skb_core() (enum rx_handler_result). */
export type RxHandlerResult =
  | "RX_HANDLER_CONSUMED"
  | "RX_HANDLER_ANOTHER"
  | "RX_HANDLER_EXACT"
  | "RX_HANDLER_PASS";

/**
 * A device's per-RX-queue RPS state (struct netdev_rx_queue), set with `Net.setRpsCpus()` and
 * `Net.setRpsFlowCnt()`, which also keep the rps_needed key.
 */
export interface NetdevRxQueue {
  /** CPUs RPS may steer to (queues/rx-N/rps_cpus), or empty for none. */
  readonly rpsCpus: readonly number[];
  /** The RFS flow table (queues/rx-N/rps_flow_cnt entries), or null. */
  readonly rpsFlowTable: { cpu: number; lastQtail: number }[] | null;
}

/**
 * A device's transmit queue (struct netdev_queue): the qdisc feeding it, the driver's stop bit,
 * and its byte queue limit.
 */
export class NetdevQueue {
  /** The qdisc in use (txq->qdisc); noop until the device opens. */
  qdisc!: Qdisc;
  /** The qdisc attached while the device is down (qdisc_sleeping). */
  qdiscSleeping!: Qdisc;
  /** __QUEUE_STATE_DRV_XOFF: the driver stopped the queue (netif_tx_stop_queue()). */
  drvXoff = false;
  /** __QUEUE_STATE_STACK_XOFF: BQL stopped it, its byte limit reached (netdev_tx_sent_queue()). */
  stackXoff = false;
  /** Byte queue limits (txq->dql). */
  readonly dql: Dql;
  /** Packets the driver sent from this queue (tx_packets of the queue's stats). */
  txPackets = 0;
  /** Bytes the driver sent from this queue. */
  txBytes = 0;
  /** Times the queue was stopped by its driver (ethtool's tx_stop / tx-N.xoff). */
  stops = 0;
  /** Times it was woken again (tx_wake). */
  wakes = 0;
  /** The CPUs whose packets XPS sends here (queues/tx-N/xps_cpus), one bit each. */
  xpsCpus = 0;
  /**
   * The receive queues whose sockets' packets XPS sends here (queues/tx-N/xps_rxqs), one bit
   * each.
   */
  xpsRxqs = 0;

  /**
   * Makes one, as netdev_init_one_queue(): BQL's hold time is one second (HZ jiffies).
   * @param index its number (tx-N)
   * @param hz the host's HZ
   * @param jiffies the host's jiffies clock
   */
  constructor(readonly index: number, hz: number, jiffies: () => number) {
    this.dql = new Dql(hz, jiffies);
  }

  /** netif_xmit_stopped(): stopped by the driver or by BQL. */
  get stopped(): boolean {
    return this.drvXoff || this.stackXoff;
  }

  /** txq->state as the qdisc_dequeue tracepoint prints it (DRV_XOFF 1, STACK_XOFF 2). */
  get state(): number {
    return (this.drvXoff ? 1 : 0) | (this.stackXoff ? 2 : 0);
  }
}

/** Device counters named as in struct rtnl_link_stats64 (ip -s link). */
export interface RtnlLinkStats64 {
  /** Packets received. */
  rx_packets: number;
  /** Bytes received. */
  rx_bytes: number;
  /** Packets dropped by the stack (no handler, backlog full, ...). */
  rx_dropped: number;
  /** Packets dropped because no protocol handler wanted them on an exact-match device. */
  rx_nohandler: number;
  /** Frames the NIC missed: no buffer posted. */
  rx_missed_errors: number;
  /** Frames to another host dropped by ip_rcv (rx_otherhost_dropped). */
  rx_otherhost_dropped: number;
  /** Frames too short or too long for the device (rx_length_errors). */
  rx_length_errors: number;
  /** Packets sent (tx_packets). */
  tx_packets: number;
  /** Bytes sent (tx_bytes). */
  tx_bytes: number;
  /** Packets dropped on the way out (tx_dropped). */
  tx_dropped: number;
}

/** What {@linkcode NetDevice} needs to be made. */
export interface NetDeviceOptions {
  /** Interface name. */
  name: string;
  /** Interface index, unique in the host. */
  ifindex: number;
  /** MTU in bytes. */
  mtu: number;
  /** MAC address, six bytes (all zero for loopback). */
  devAddr: Uint8Array;
  /** Loopback device (IFF_LOOPBACK). */
  loopback?: boolean;
  /** Bytes of link-layer header it writes (hard_header_len): 14 for Ethernet, 0 for a TUN device. */
  hardHeaderLen?: number;
  /** Transmit queues it has (alloc_netdev_mqs()'s txqs), default 1. */
  numTxQueues?: number;
}

/**
 * A network device: name, index, MTU, address, counters, and its own packet_type lists.
 *
 * @example
 * ```ts
 * import { NetDevice } from "@rxpath/rxpath";
 * const lo = new NetDevice({ name: "lo", ifindex: 1, mtu: 65536, devAddr: new Uint8Array(6), loopback: true });
 * console.log(lo.name, lo.stats.rx_packets); // lo 0
 * ```
 */
export class NetDevice {
  /** Interface name. */
  readonly name: string;
  /** Interface index. */
  readonly ifindex: number;
  /** MTU in bytes. */
  mtu: number;
  /** MAC address. */
  readonly devAddr: Uint8Array;
  /** IFF_LOOPBACK. */
  readonly loopback: boolean;
  /** Bytes of link-layer header (dev->hard_header_len): 0 for a device with no header_ops. */
  readonly hardHeaderLen: number;
  /** IFF_UP. */
  up = true;
  /** The index of its peer for a veth (dev_get_iflink(), `ip link`'s `@ifN`), or 0. */
  peerIfindex = 0;
  /**
   * It lives in another namespace than the host's (dev_net()): a veth's peer, on the wire side,
   * which has no IPv4 address or route of its own.
   */
  otherNamespace = false;
  /** NETIF_F_GRO: GRO on (ethtool -K DEV gro on|off). */
  groEnabled = true;
  /** Time GRO may hold packets and IRQs stay deferred, ns (/sys/class/net/DEV/gro_flush_timeout). */
  groFlushTimeout = 0;
  /** Completions to defer re-enabling the IRQ for (/sys/class/net/DEV/napi_defer_hard_irqs). */
  napiDeferHardIrqs = 0;
  /** Its NAPI instances are polled by kthreads (/sys/class/net/DEV/threaded, dev->threaded). */
  threaded = false;
  /** Its NAPI instances, newest last (dev->napi_list). */
  readonly napiList: Napi[] = [];
  /** Counters. */
  readonly stats: RtnlLinkStats64 = {
    rx_packets: 0,
    rx_bytes: 0,
    rx_dropped: 0,
    rx_nohandler: 0,
    rx_missed_errors: 0,
    rx_otherhost_dropped: 0,
    rx_length_errors: 0,
    tx_packets: 0,
    tx_bytes: 0,
    tx_dropped: 0,
  };
  /** NETIF_F_LLTX: the driver locks for itself, the stack takes no transmit lock (veth, lo, tun). */
  lltx = false;
  /** IFF_NO_QUEUE: a virtual device sends at once and gets noqueue (veth, loopback, dummy). */
  noQueue = false;
  /** Packets a queueing discipline may hold per queue or band (txqueuelen; ether_setup(): 1000). */
  txQueueLen = 1000;
  /** The transmit queues (dev->_tx), their qdiscs, stop bits and byte limits. */
  tx: NetdevQueue[] = [];
  /** XPS by CPU (dev->xps_maps[XPS_CPUS]): for each CPU the queues its packets may take, or
   * null when no queue has xps_cpus set. */
  xpsCpus: number[][] | null = null;
  /** XPS by receive queue (dev->xps_maps[XPS_RXQS]): for each receive queue the queues a
   * socket's packets may take when it last received on that queue, or null when none is set. */
  xpsRxqs: number[][] | null = null;
  /** Receive queues it was made with (num_rx_queues): the width of an xps_rxqs mask. */
  numRxQueues = 1;
  /** The qdiscs below the root that tc lists (dev->qdisc_hash), in the order they were added. */
  qdiscHash: Qdisc[] = [];
  /** The root qdisc (dev->qdisc), as `tc qdisc show` lists it first. */
  qdisc: Qdisc | null = null;
  /** Transmit queues it was made with (num_tx_queues): set before registration. */
  numTxQueues: number;
  /** Transmit queues in use (real_num_tx_queues), at most numTxQueues; packets pick among these. */
  realNumTxQueues: number;
  /** Per-RX-queue RPS state (dev->_rx), one entry per queue. */
  rx: NetdevRxQueue[] = [{ rpsCpus: [], rpsFlowTable: null }];
  /** The rx_handler a bridge or bond installs (netdev_rx_handler_register()), if any. */
  rxHandler: ((skb: SkBuff, cpu: Cpu) => RxHandlerResult) | null = null;
  /**
   * The driver's transmit, netdev_ops->ndo_start_xmit (veth_xmit() for a veth), told whether
   * more packets follow at once (netdev_xmit_more()), returning NETDEV_TX_OK (0) or an error;
   * null for a device whose driver the kit does not model.
   */
  ndoStartXmit: ((skb: SkBuff, cpu: Cpu, more: boolean) => number) | null = null;
  /** Frames sent out of the device (dev_queue_xmit()), with the time, for learners. */
  readonly transmitted: { t: number; frame: Uint8Array }[] = [];
  /** Whether {@linkcode NetDevice.transmitted} records: a long run that reads the frames as they
   * go (a replay, through Net.devXmitTap) turns it off, so it costs no memory per frame. */
  recordTransmitted = true;
  /** Taps bound to this device (dev->ptype_all). */
  readonly ptypeAll: PacketType[] = [];
  /** Handlers bound to this device (dev->ptype_specific). */
  readonly ptypeSpecific: PacketType[] = [];

  /**
   * Makes a device.
   * @param o name, index, MTU, address
   */
  constructor(o: NetDeviceOptions) {
    this.name = o.name;
    this.ifindex = o.ifindex;
    this.mtu = o.mtu;
    this.devAddr = o.devAddr;
    this.loopback = o.loopback ?? false;
    this.hardHeaderLen = o.hardHeaderLen ?? ETH_HLEN;
    this.numTxQueues = o.numTxQueues ?? 1;
    this.realNumTxQueues = this.numTxQueues;
  }
}

/**
 * Makes an Ethernet device with the next free index and registers it, as alloc_etherdev()
 * (MTU 1500 by default, ether_setup()) followed by register_netdev().
 * @param host the host
 * @param name interface name
 * @param mac MAC address as aa:bb:cc:dd:ee:ff
 * @param mtu MTU, default 1500
 * @param setup the driver's setup, run before registration as alloc_netdev()'s is (a veth's
 *   sets IFF_NO_QUEUE, say)
 * @returns the registered device
 * @example
 * ```ts
 * import { createHost, registerEtherdev } from "@rxpath/rxpath";
 * const host = createHost();
 * console.log(registerEtherdev(host, "eth1", "02:00:00:00:00:09").ifindex); // 2
 * ```
 */
export function registerEtherdev(
  host: Net,
  name: string,
  mac: string,
  mtu = 1500,
  setup?: (dev: NetDevice) => void,
): NetDevice {
  const devAddr = macAton(mac);
  // dev_validate_mtu() against ether_setup()'s bounds
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new InputRangeError(
      `Cannot make device ${name} with MTU ${mtu}: must be from 68 to 65535`,
    );
  }
  const dev = new NetDevice({ name, ifindex: host.devices.length + 1, mtu, devAddr });
  setup?.(dev);
  host.registerNetdevice(dev);
  return dev;
}
