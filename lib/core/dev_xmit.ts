// Models the transmit entry of net/core/dev.c (Linux 6.18) as far as what the receive path
// sends needs it: __dev_queue_xmit() on a queueless device (a veth's default qdisc is noqueue)
// goes straight to dev_hard_start_xmit() → xmit_one() → netdev_start_xmit() → the driver's
// ndo_start_xmit, with the net_dev_queue, net_dev_start_xmit and net_dev_xmit tracepoints.

import type { Cpu } from "../sim/cpu.ts";
import type { Net } from "./net_namespace.ts";
import type { NetDevice } from "./netdevice.ts";
import { SkBuff } from "./skbuff.ts";
import { netDevTemplate } from "./netif_receive.ts";
import { ETH_HLEN, ETH_P_8021Q, EthHdr } from "../wire/ethernet.ts";

/** ndo_start_xmit's "sent" (NETDEV_TX_OK). */
export const NETDEV_TX_OK = 0;

/**
 * Sends an skb out of a device, as dev_queue_xmit(): the net_dev_queue event, then the driver
 * through dev_hard_start_xmit(), then net_dev_xmit with the driver's return code. The skb's
 * data starts at its Ethernet header; its network and transport headers are set when known.
 * A device whose driver the kit does not model takes the skb as sent.
 * @param host the host
 * @param cpu the CPU
 * @param dev the device
 * @param skb the skb
 * @returns the driver's code, NETDEV_TX_OK when sent
 * @example
 * ```ts
 * import { buildFrame, createHost, devQueueXmit, registerEtherdev, SkBuff } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth1", "02:00:00:00:00:09");
 * const frame = buildFrame({ ipv4: { saddr: "10.0.0.9", daddr: "10.0.0.1" }, udp: { source: 1, dest: 2 } });
 * console.log(devQueueXmit(host, host.sim.cpus[0], dev, new SkBuff(0, frame, 0, dev))); // 0
 * ```
 */
export function devQueueXmit(host: Net, cpu: Cpu, dev: NetDevice, skb: SkBuff): number {
  const sim = host.sim;
  sim.enterFn(cpu, "__dev_queue_xmit", skb.id);
  skb.dev = dev;
  // __dev_queue_xmit() runs under rcu_read_lock_bh(): bottom halves off
  const rc = sim.holding(cpu, { bh: 1 }, () => {
    sim.tracepoint(cpu, "net_dev_queue", () => netDevTemplate(skb));
    sim.enterFn(cpu, "dev_hard_start_xmit", skb.id);
    const len = skb.len; // net_dev_xmit prints the length from before the driver had the skb
    sim.tracepoint(cpu, "net_dev_start_xmit", () => netDevStartXmit(skb));
    const rc = dev.ndoStartXmit?.(skb, cpu) ?? NETDEV_TX_OK;
    sim.tracepoint(cpu, "net_dev_xmit", () => ({ name: dev.name, skbaddr: skb.id, len, rc }));
    sim.exitFn(cpu, "dev_hard_start_xmit", skb.id);
    return rc;
  });
  sim.exitFn(cpu, "__dev_queue_xmit", skb.id);
  return rc;
}

// The fields of net_dev_start_xmit (include/trace/events/net.h): offsets from the MAC header,
// a transport offset only when one was set.
function netDevStartXmit(skb: SkBuff): Record<string, string | number> {
  const proto = skb.len >= ETH_HLEN ? new EthHdr(skb.head, skb.data).hProto : 0;
  return {
    name: skb.dev!.name,
    queue_mapping: 0,
    skbaddr: skb.id,
    vlan_tagged: 0,
    vlan_proto: 0,
    vlan_tci: 0,
    protocol: skb.protocol || proto,
    ip_summed: skb.ipSummed,
    len: skb.len,
    data_len: skb.dataLen,
    network_offset: skb.networkHeader < 0
      ? (proto === ETH_P_8021Q ? ETH_HLEN + 4 : ETH_HLEN)
      : skb.networkHeader - skb.data,
    transport_offset_valid: skb.transportHeader < 0 ? 0 : 1,
    transport_offset: skb.transportHeader < 0 ? 0 : skb.transportHeader - skb.data,
    tx_flags: 0,
    gso_size: skb.gsoSize,
    gso_segs: skb.gsoSegs,
    gso_type: skb.gsoType,
  };
}

/**
 * Notes a frame the host's stack sends out of one of its devices: kept on the device
 * ({@linkcode NetDevice.transmitted}, when it records) and told to the host's tap (a replay's).
 * @param host the host
 * @param dev the device
 * @param frame the frame, from its link-layer header
 */
export function devXmitRecord(host: Net, dev: NetDevice, frame: Uint8Array): void {
  if (dev.recordTransmitted) dev.transmitted.push({ t: host.sim.now, frame });
  host.devXmitTap?.(dev, frame);
}

/**
 * An skb for a frame the stack built to send (a reply, a forward's copy), not followed by the
 * skb ledger: its id is negative so that it never names a received skb.
 * @param host the host
 * @param frame the frame, from its Ethernet header
 * @param dev the device it leaves by
 * @returns the skb (CHECKSUM_NONE, headers unset: the caller sets them)
 */
export function txSkb(host: Net, frame: Uint8Array, dev: NetDevice): SkBuff {
  return new SkBuff(-host.sim.ledger.nextId, frame, 0, dev);
}
