// Models a Linux bridge's receive path (Linux 6.18): net/bridge/br_input.c br_handle_frame(),
// the rx_handler every port gets, with br_fdb.c's learning and br_forward.c's forward and
// flood. A frame for the bridge itself goes up through the bridge device (br_pass_frame_up ->
// netif_receive_skb on br0); one for a known station goes out of that port; broadcast,
// multicast and unknown unicast are flooded to every other port (and broadcast and multicast
// also go up). STP, VLAN filtering and netfilter on the bridge are not modelled.

import { InputRangeError } from "../base/errors.ts";
import type { Net } from "../core/net_namespace.ts";
import type { Cpu } from "../sim/cpu.ts";
import { type NetDevice, registerEtherdev, type RxHandlerResult } from "../core/netdevice.ts";
import { __netifReceiveSkb } from "../core/netif_receive.ts";
import {
  kfreeSkbReason,
  PACKET_BROADCAST,
  PACKET_HOST,
  PACKET_MULTICAST,
  skbClone,
  skbForwarded,
  type SkBuff,
} from "../core/skbuff.ts";
import { isBroadcastEtherAddr, isMulticastEtherAddr, macToString } from "../wire/ethernet.ts";

/** One forwarding database entry (struct net_bridge_fdb_entry). */
export interface FdbEntry {
  /** Station MAC address. */
  mac: string;
  /** The port it was learned on, or null for the bridge's own address. */
  port: NetDevice | null;
  /** When it was last seen, ns (updated on every frame from it). */
  updated: number;
}

/** Bridge ageing time, ns: entries unused this long are forgotten (BR_DEFAULT_AGEING_TIME, 300 s). */
export const BR_DEFAULT_AGEING_TIME = 300e9;

/**
 * A bridge with its ports.
 *
 * @example
 * ```ts
 * import { Bridge, createHost, NetDevice } from "@rxpath/rxpath";
 * const host = createHost();
 * const br = new Bridge(host, "br0", "02:00:00:00:0b:00");
 * const p1 = new NetDevice({ name: "eth1", ifindex: 10, mtu: 1500, devAddr: new Uint8Array([2, 0, 0, 0, 1, 1]) });
 * host.registerNetdevice(p1);
 * br.addPort(p1);
 * ```
 */
export class Bridge {
  /** The bridge device (br0). */
  readonly dev: NetDevice;
  /** Its ports, in the order added. */
  readonly ports: NetDevice[] = [];
  /** The forwarding database, by MAC. */
  readonly fdb: Map<string, FdbEntry> = new Map();
  /** Frames sent out of each port, by port name. */
  readonly txFrames: Map<string, number> = new Map();
  readonly #host: Net;

  /**
   * Creates and registers the bridge device.
   * @param host the host
   * @param name device name
   * @param mac its MAC address
   */
  constructor(host: Net, name: string, mac: string) {
    this.#host = host;
    this.dev = registerEtherdev(host, name, mac);
    this.fdb.set(mac, { mac, port: null, updated: 0 });
  }

  /**
   * Makes a device a port, as br_add_if(): its rx_handler becomes br_handle_frame().
   * @param port the device
   * @throws {RangeError} when it is a port already or has another rx_handler
   */
  addPort(port: NetDevice): void {
    if (port.rxHandler) {
      throw new InputRangeError(
        `Cannot add ${port.name} to ${this.dev.name}: it already has an rx_handler`,
      );
    }
    port.rxHandler = (skb, cpu) => this.brHandleFrame(skb, cpu);
    this.ports.push(port);
    this.txFrames.set(port.name, 0);
    this.fdb.set(macToString(port.devAddr), {
      mac: macToString(port.devAddr),
      port: null,
      updated: 0,
    });
  }

  /**
   * br_handle_frame() -> br_handle_frame_finish(): learn the source, then deliver up, forward or
   * flood by destination. The port's own processing ends here (RX_HANDLER_CONSUMED).
   * @param skb the frame, received on a port
   * @param cpu the CPU
   * @returns RX_HANDLER_CONSUMED
   */
  brHandleFrame(skb: SkBuff, cpu: Cpu): RxHandlerResult {
    const host = this.#host;
    const inPort = skb.dev as NetDevice;
    host.sim.enterFn(cpu, "br_handle_frame", skb.id);
    const dst = skb.head.subarray(skb.macHeader, skb.macHeader + 6);
    const src = macToString(skb.head.subarray(skb.macHeader + 6, skb.macHeader + 12));
    const now = host.sim.now;
    if (!isMulticastEtherAddr(skb.head.subarray(skb.macHeader + 6))) {
      const e = this.fdb.get(src);
      if (!e || e.port) this.fdb.set(src, { mac: src, port: inPort, updated: now }); // br_fdb_update()
    }
    const dstMac = macToString(dst);
    const entry = this.fdb.get(dstMac);
    const fresh = entry && (entry.port === null || now - entry.updated < BR_DEFAULT_AGEING_TIME);
    if (isMulticastEtherAddr(dst)) {
      this.#flood(skb, inPort, cpu);
      this.#passUp(skb, cpu, isBroadcastEtherAddr(dst) ? PACKET_BROADCAST : PACKET_MULTICAST);
    } else if (entry && fresh && entry.port === null) {
      this.#passUp(skb, cpu, PACKET_HOST);
    } else if (entry && fresh && entry.port) {
      if (entry.port === inPort) {
        kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "br_handle_frame_finish");
      } else this.#xmit(skb, entry.port, cpu);
    } else {
      this.#flood(skb, inPort, cpu, true);
    }
    host.sim.exitFn(cpu, "br_handle_frame", skb.id);
    return "RX_HANDLER_CONSUMED";
  }

  // br_flood(): a clone out of every port but the one it came in on; unknown unicast is
  // flooded in place of the original (consume).
  #flood(skb: SkBuff, inPort: NetDevice, cpu: Cpu, consumeOriginal = false): void {
    const outs = this.ports.filter((p) => p !== inPort);
    if (consumeOriginal && outs.length === 0) {
      kfreeSkbReason(this.#host.sim, skb, "NOT_SPECIFIED", "br_flood");
      return;
    }
    outs.forEach((p, i) => {
      const last = consumeOriginal && i === outs.length - 1;
      this.#xmit(last ? skb : skbClone(this.#host.sim, skb), p, cpu);
    });
  }

  // br_forward() -> br_dev_queue_push_xmit() -> dev_queue_xmit(): the frame leaves the host.
  #xmit(skb: SkBuff, port: NetDevice, cpu: Cpu): void {
    this.#host.sim.enterFn(cpu, "br_forward", skb.id);
    this.txFrames.set(port.name, (this.txFrames.get(port.name) ?? 0) + 1);
    skbForwarded(this.#host.sim, skb, port.name);
    this.#host.sim.exitFn(cpu, "br_forward", skb.id);
  }

  // br_pass_frame_up() -> br_netif_receive_skb(): a second trip through
  // __netif_receive_skb_core(), now on the bridge device.
  #passUp(skb: SkBuff, cpu: Cpu, pktType: number): void {
    this.#host.sim.enterFn(cpu, "br_pass_frame_up", skb.id);
    skb.dev = this.dev;
    skb.pktType = pktType;
    __netifReceiveSkb(this.#host, cpu, skb);
    this.#host.sim.exitFn(cpu, "br_pass_frame_up", skb.id);
  }
}
