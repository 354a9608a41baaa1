// Models struct net_device of include/linux/netdevice.h (Linux 6.18): the fields the receive
// path reads, the per-device tap and handler lists, and the rtnl_link_stats64 counters.

import type { PacketType } from "./dev.ts";
import type { Net } from "./net_namespace.ts";
import { ETH_HLEN, macAton } from "../wire/ethernet.ts";
import { InputRangeError } from "../base/errors.ts";
import type { SkBuff } from "./skbuff.ts";
import type { Cpu } from "../sim/cpu.ts";

/** What an rx_handler tells __netif_receive_skb_core() (enum rx_handler_result). */
export type RxHandlerResult =
  | "RX_HANDLER_CONSUMED"
  | "RX_HANDLER_ANOTHER"
  | "RX_HANDLER_EXACT"
  | "RX_HANDLER_PASS";

/** A device's per-RX-queue RPS state (struct netdev_rx_queue). */
export interface NetdevRxQueue {
  /** CPUs RPS may steer to (queues/rx-N/rps_cpus), or empty for none. */
  rpsCpus: number[];
  /** The RFS flow table (queues/rx-N/rps_flow_cnt entries), or null. */
  rpsFlowTable: { cpu: number; lastQtail: number }[] | null;
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
  /** NETIF_F_GRO: GRO on (ethtool -K DEV gro on|off). */
  groEnabled = true;
  /** Time GRO may hold packets and IRQs stay deferred, ns (/sys/class/net/DEV/gro_flush_timeout). */
  groFlushTimeout = 0;
  /** Completions to defer re-enabling the IRQ for (/sys/class/net/DEV/napi_defer_hard_irqs). */
  napiDeferHardIrqs = 0;
  /** Counters. */
  readonly stats: RtnlLinkStats64 = {
    rx_packets: 0,
    rx_bytes: 0,
    rx_dropped: 0,
    rx_nohandler: 0,
    rx_missed_errors: 0,
    rx_otherhost_dropped: 0,
    rx_length_errors: 0,
  };
  /** Per-RX-queue RPS state (dev->_rx), one entry per queue. */
  rx: NetdevRxQueue[] = [{ rpsCpus: [], rpsFlowTable: null }];
  /** The rx_handler a bridge or bond installs (netdev_rx_handler_register()), if any. */
  rxHandler: ((skb: SkBuff, cpu: Cpu) => RxHandlerResult) | null = null;
  /**
   * The driver's transmit, netdev_ops->ndo_start_xmit (veth_xmit() for a veth), returning
   * NETDEV_TX_OK (0) or an error; null for a device whose driver the kit does not model.
   */
  ndoStartXmit: ((skb: SkBuff, cpu: Cpu) => number) | null = null;
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
  }
}

/**
 * Makes an Ethernet device with the next free index and registers it, as alloc_etherdev()
 * (MTU 1500 by default, ether_setup()) followed by register_netdev().
 * @param host the host
 * @param name interface name
 * @param mac MAC address as aa:bb:cc:dd:ee:ff
 * @param mtu MTU, default 1500
 * @returns the registered device
 * @example
 * ```ts
 * import { createHost, registerEtherdev } from "@rxpath/rxpath";
 * const host = createHost();
 * console.log(registerEtherdev(host, "eth1", "02:00:00:00:00:09").ifindex); // 2
 * ```
 */
export function registerEtherdev(host: Net, name: string, mac: string, mtu = 1500): NetDevice {
  const devAddr = macAton(mac);
  // dev_validate_mtu() against ether_setup()'s bounds
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new InputRangeError(
      `Cannot make device ${name} with MTU ${mtu}: must be from 68 to 65535`,
    );
  }
  const dev = new NetDevice({ name, ifindex: host.devices.length + 1, mtu, devAddr });
  host.registerNetdevice(dev);
  return dev;
}
