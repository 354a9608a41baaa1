// Models the receive side of drivers/net/veth.c (Linux 6.18) with GRO on: the peer's
// veth_xmit() -> veth_forward_skb() passes each skb through eth_type_trans() into the receiving
// queue's ring (VETH_RING_SIZE) and schedules its NAPI; veth_poll() -> veth_xdp_rcv() takes up
// to the budget from the ring into napi_gro_receive(), then completes NAPI if the ring ran dry.
// This is the receiver the kit's GRO results are compared against.

import { takeFirst } from "../base/arrays.ts";
import type { Net } from "../core/net_namespace.ts";
import { type Cpu, Task, type TaskBody, type TaskOp } from "../sim/cpu.ts";
import type { SkbHolder } from "../sim/ledger.ts";
import { NetDevice, NetdevQueue, registerEtherdev } from "../core/netdevice.ts";
import { attachDefaultQdiscs } from "../sched/sch_api.ts";
import { devQueueXmit, NETDEV_TX_OK } from "../core/dev_xmit.ts";
import { type Napi, napiCompleteDone, napiSchedule, netifNapiAdd } from "../core/dev.ts";
import { napiGroReceive } from "../core/gro.ts";
import { allocSkb, allocSkbLinear, kfreeSkbReason, type SkBuff } from "../core/skbuff.ts";
import { __netifRx } from "../core/netif_receive.ts";
import { ethTypeTrans } from "../ethernet/eth.ts";
import {
  ETH_HLEN,
  ETH_P_8021Q,
  ETH_P_ARP,
  ETH_P_IP,
  ETH_P_IPV6,
  EthHdr,
} from "../wire/ethernet.ts";
import { IpHdr } from "../wire/ipv4.ts";

/** Entries of a veth receive ring (VETH_RING_SIZE). */
export const VETH_RING_SIZE = 256;

/** What veth_xmit() returns when the peer dropped the skb (NET_XMIT_DROP). */
const NET_XMIT_DROP = 1;

// how many peers each host's veths have made, numbering them in the peers' namespace
const peersMade = new WeakMap<object, number>();

// What the sender asks of its CPU around the frames, made once.
const LOCAL_BH_DISABLE: TaskOp = { op: "local_bh_disable" };
const LOCAL_BH_ENABLE: TaskOp = { op: "local_bh_enable" };

/**
 * A veth pair whose one end is the host's device, GRO off by default as on Linux (NAPI mode
 * when GRO is turned on); the other end, the peer, sits in another namespace (the "wire") with
 * no addresses. What one end sends, the other receives: veth_xmit() → veth_forward_skb().
 *
 * @example
 * ```ts
 * import { buildFrame, createHost, Veth } from "@rxpath/rxpath";
 * const host = createHost({ cpus: 1 });
 * const veth = new Veth(host, "veth1", "02:00:00:00:00:02");
 * veth.xmit(host.sim.cpus[0], [buildFrame({ ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 1, dest: 2 } })]);
 * host.sim.run(1_000_000);
 * ```
 */
export class Veth {
  /** The device. */
  readonly dev: NetDevice;
  /** The peer (priv->peer): not one of the host's devices; it lives in the wire namespace. */
  readonly peer: NetDevice;
  /** Its NAPI instance (rq->xdp_napi). */
  readonly napi: Napi;
  /** skbs waiting in the ring (rq->xdp_ring). */
  readonly ring: SkBuff[] = [];
  readonly #host: Net;

  /**
   * Makes and registers the device, and its peer.
   * @param host the host
   * @param name interface name
   * @param mac its MAC address
   * @param peerName the peer's name
   * @param txQueues transmit queues asked for (`ip link add … numtxqueues N`), all in use;
   *   by default a queue per possible CPU, one in use
   * @param peerTxQueues the peer's (`peer name P numtxqueues N`), all in use, or one: which one
   *   the far end sends a frame from is the queue it arrives on here, recorded one less
   *   (skb->queue_mapping crosses as it is)
   */
  constructor(
    host: Net,
    name: string,
    mac: string,
    peerName = "veth0",
    txQueues?: number,
    peerTxQueues = 1,
  ) {
    this.#host = host;
    // veth_setup(): IFF_NO_QUEUE, so the device gets noqueue. veth_get_num_queues(): a queue
    // per possible CPU, of which veth_init_queues() uses one (real_num_tx_queues 1) unless the
    // count was asked for — so the device counts as multiqueue (netif_is_multiqueue()) though
    // every packet takes queue 0
    this.dev = registerEtherdev(host, name, mac, 1500, (d) => {
      d.noQueue = true;
      d.lltx = true; // veth_setup(): dev->lltx
      d.numTxQueues = txQueues ?? host.sim.cpus.length;
      d.realNumTxQueues = txQueues ?? 1;
      d.numRxQueues = host.sim.cpus.length;
    });
    // veth_newlink() gives a peer without an address a random one (eth_hw_addr_random())
    const peerMac = Uint8Array.from({ length: 6 }, () => host.sim.rng.nextU32() & 255);
    peerMac[0] = (peerMac[0] & 0xfe) | 0x02;
    // the peers live in one namespace of their own, after its lo: w0 is 2, w1 3, …
    const peerIfindex = 2 + (peersMade.get(host) ?? 0);
    peersMade.set(host, peerIfindex - 1);
    this.peer = new NetDevice({
      name: peerName,
      ifindex: peerIfindex,
      mtu: 1500,
      devAddr: peerMac,
      numTxQueues: peerTxQueues,
    });
    this.dev.peerIfindex = peerIfindex;
    this.peer.peerIfindex = this.dev.ifindex;
    this.peer.otherNamespace = true;
    this.peer.noQueue = true;
    this.peer.lltx = true;
    this.peer.tx = Array.from(
      { length: peerTxQueues },
      (_, i) => new NetdevQueue(i, host.hz, () => host.softirqs.jiffies),
    );
    attachDefaultQdiscs(host, this.peer);
    this.peer.groEnabled = false;
    this.peer.ndoStartXmit = (skb, cpu) => this.#vethXmit(cpu, skb, this.dev);
    this.dev.ndoStartXmit = (skb, cpu) => this.#vethXmit(cpu, skb, this.peer);
    this.napi = netifNapiAdd(`${name}-rx-0`, this.dev, (n, budget) => this.vethPoll(n, budget));
  }

  /**
   * The peer sends frames, as a packet socket on the other end does (packet_snd() →
   * dev_queue_xmit()): each becomes an skb and crosses to this end. All of them are sent before
   * bottom halves are enabled again, so one poll sees them together.
   * @param cpu the sending CPU
   * @param frames the frames
   * @param onSkb told each frame's skb as it is made, with the frame's index
   */
  xmit(cpu: Cpu, frames: Uint8Array[], onSkb?: (skb: SkBuff, i: number) => void): void {
    cpu.addTask(new Task("sender", this.#send(cpu, frames, onSkb)));
  }

  // The sender's code: each frame an skb through the peer's dev_queue_xmit(), bottom halves off
  // until all are sent.
  *#send(cpu: Cpu, frames: Uint8Array[], onSkb?: (skb: SkBuff, i: number) => void): TaskBody {
    const host = this.#host;
    const { dev, ring, napi, peer } = this;
    yield LOCAL_BH_DISABLE;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i];
      // sized by the sender's packet_snd(), 16 bytes of headroom (LL_RESERVED_SPACE) before the
      // frame; with GRO on, veth_xdp_rcv_skb() would copy it into a page-backed skb
      const skb = dev.groEnabled ? allocSkb(host.sim, frame) : allocSkbLinear(host.sim, frame, 16);
      // a SOCK_RAW frame then starts hard_header_len earlier (skb_reserve(skb, -reserve)), so
      // that its network header falls where it was reserved: that much more tailroom
      if (!dev.groEnabled) skb.tailroom += ETH_HLEN;
      onSkb?.(skb, i);
      if (frame.length < ETH_HLEN) {
        kfreeSkbReason(host.sim, skb, "PKT_TOO_SMALL", "veth_xmit");
        continue;
      }
      packetParseHeaders(skb);
      devQueueXmit(host, cpu, peer, skb);
    }
    if (ring.length) napiSchedule(host, cpu, napi);
    yield LOCAL_BH_ENABLE;
  }

  // veth_xmit() on one end: veth_forward_skb() into the other, rcv. __dev_forward_skb() drops
  // what is longer than rcv's MTU + hard_header_len + VLAN_HLEN (is_skb_forwardable(), counted
  // in rx_dropped), then eth_type_trans() as rcv; NAPI mode (GRO on) queues to the ring,
  // otherwise __netif_rx().
  #vethXmit(cpu: Cpu, skb: SkBuff, rcv: NetDevice): number {
    const host = this.#host;
    host.sim.enterFn(cpu, "veth_xmit", skb.id);
    cpu.chargeLater(host.sim.costs.ns.vethXmit);
    let rc = NETDEV_TX_OK;
    if (skb.len > rcv.mtu + ETH_HLEN + 4) {
      rcv.stats.rx_dropped++;
      kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "__dev_forward_skb");
      rc = NET_XMIT_DROP;
    } else {
      const len = skb.len;
      skb.protocol = ethTypeTrans(skb, rcv);
      // NAPI mode (the ring and its poll) is this end's; the wire's peer takes __netif_rx()
      if (rcv !== this.dev || !rcv.groEnabled) {
        rcv.stats.rx_packets++;
        rcv.stats.rx_bytes += len;
        __netifRx(host, cpu, skb);
      } else if (this.ring.length >= VETH_RING_SIZE) {
        kfreeSkbReason(host.sim, skb, "FULL_RING", "veth_xmit");
        rc = NET_XMIT_DROP;
      } else {
        this.ring.push(skb);
        rcv.stats.rx_packets++; // veth_xmit() counts the peer's rx as it forwards
        rcv.stats.rx_bytes += len;
      }
    }
    host.sim.exitFn(cpu, "veth_xmit", skb.id);
    return rc;
  }

  /**
   * veth_poll(): up to budget skbs from the ring into GRO; if fewer were waiting, complete NAPI.
   * @param napi the instance
   * @param budget the weight
   * @returns the code; its value is the work done
   */
  *vethPoll(napi: Napi, budget: number): Generator<number, number, void> {
    const host = this.#host;
    const cpu = host.sim.cpus[napi.listOwner];
    let done = 0;
    host.sim.enterFn(cpu, "veth_poll");
    host.sim.enterFn(cpu, "veth_xdp_rcv");
    while (done < budget && this.ring.length > 0) {
      const skb = takeFirst(this.ring)!;
      // veth_xdp_rcv_skb(): with no XDP program attached the skb goes on as it is
      host.sim.enterFn(cpu, "veth_xdp_rcv_skb", skb.id);
      host.sim.exitFn(cpu, "veth_xdp_rcv_skb", skb.id);
      napiGroReceive(host, cpu, napi, skb);
      done++;
      // the time GRO and the stack charged passes before the next skb is taken
      if (!cpu.spendNow(0)) yield 0;
    }
    host.sim.exitFn(cpu, "veth_xdp_rcv");
    if (done < budget && napiCompleteDone(host, cpu, napi, done) && this.ring.length > 0) {
      napiSchedule(host, cpu, napi);
    }
    host.sim.exitFn(cpu, "veth_poll");
    return done;
  }

  /**
   * The skbs the device holds: in its ring, or held by GRO, for the ledger's end-of-run check.
   * @returns a holder
   */
  skbHolder(): SkbHolder {
    return {
      name: `${this.dev.name} ring and GRO`,
      skbIds: () =>
        [...this.ring, ...this.napi.gro.hash.flat(), ...this.napi.gro.rxList].map((s) => s.id),
    };
  }
}

// packet_parse_headers(): a raw packet socket's skb gets its protocol from the Ethernet header
// and, from skb_probe_transport_header(), a transport header where the flow dissector finds one
// (IPv4, ARP, IPv6); the network header follows the Ethernet header, or a VLAN tag's.
function packetParseHeaders(skb: SkBuff): void {
  const proto = new EthHdr(skb.head, 0).hProto;
  skb.protocol = proto;
  skb.networkHeader = proto === ETH_P_8021Q ? ETH_HLEN + 4 : ETH_HLEN;
  if (proto === ETH_P_IP && skb.len >= ETH_HLEN + 20) {
    const iph = new IpHdr(skb.head, ETH_HLEN);
    if (iph.ihl >= 5) skb.transportHeader = ETH_HLEN + iph.ihl * 4; // the version is not read
  } else if (proto === ETH_P_ARP) skb.transportHeader = ETH_HLEN;
  else if (proto === ETH_P_IPV6 && skb.len >= ETH_HLEN + 40) skb.transportHeader = ETH_HLEN + 40;
}
