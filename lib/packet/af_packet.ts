// Models the receive side of net/packet/af_packet.c (Linux 6.18) that tcpdump uses: a packet
// socket registers a tap (ETH_P_ALL) on ptype_all or on one device, and packet_rcv() gets a
// reference to every skb __netif_receive_skb_core() sees — after GRO, so a capture on a host
// shows the merged 64 KB packets, not the frames on the wire.

import type { Net } from "../core/net_namespace.ts";
import type { Work } from "../sim/cpu.ts";
import { devAddPack, devRemovePack, type PacketType } from "../core/dev.ts";
import type { NetDevice } from "../core/netdevice.ts";
import { consumeSkb, type SkBuff } from "../core/skbuff.ts";
import { ETH_P_ALL } from "../wire/ethernet.ts";
import { type PcapRecord, writePcap } from "../wire/pcap.ts";

/**
 * A capturing packet socket, as `tcpdump -i DEV` (or `-i any` without a device) opens.
 *
 * @example
 * ```ts
 * import { createHost, PacketSocket } from "@rxpath/rxpath";
 * const host = createHost();
 * const tap = new PacketSocket(host, null);
 * console.log(host.ptype.all.length); // 1
 * tap.close();
 * ```
 */
export class PacketSocket {
  /** What it captured, in order, as pcap records (time: the virtual clock). */
  readonly records: PcapRecord[] = [];
  /** Its registration (po->prot_hook). */
  readonly protHook: PacketType;
  readonly #host: Net;

  /**
   * Opens the socket and registers its tap, as packet_create() + packet_do_bind().
   * @param host the host
   * @param dev the device to capture on, or null for all
   * @param snaplen bytes kept per packet, default 262144 (tcpdump's default)
   */
  constructor(host: Net, dev: NetDevice | null, snaplen = 262144) {
    this.#host = host;
    const records = this.records;
    this.protHook = {
      type: ETH_P_ALL,
      dev,
      name: "packet_rcv",
      func: function* (skb: SkBuff): Work {
        // packet_rcv(): the frame from its MAC header on, frags included, cut to snaplen
        const frame = new Uint8Array(skb.len + (skb.data - skb.macHeader));
        frame.set(skb.head.subarray(skb.macHeader, skb.data), 0);
        frame.set(skb.bytes, skb.data - skb.macHeader);
        records.push({
          tsNs: BigInt(host.sim.now),
          data: frame.subarray(0, snaplen),
          origLen: frame.length,
        });
        consumeSkb(host.sim, skb, "packet_rcv");
      },
    };
    devAddPack(host, this.protHook);
  }

  /**
   * The capture as a pcap file (nanosecond timestamps), for tshark or Wireshark.
   * @returns the file bytes
   */
  pcap(): Uint8Array {
    return writePcap(this.records);
  }

  /** Closes the socket: its tap is unregistered (packet_release()). */
  close(): void {
    devRemovePack(this.#host, this.protHook);
  }
}
