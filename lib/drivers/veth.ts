// Models the receive side of drivers/net/veth.c (Linux 6.18) with GRO on: the peer's
// veth_xmit() -> veth_forward_skb() passes each skb through eth_type_trans() into the receiving
// queue's ring (VETH_RING_SIZE) and schedules its NAPI; veth_poll() -> veth_xdp_rcv() takes up
// to the budget from the ring into napi_gro_receive(), then completes NAPI if the ring ran dry.
// This is the receiver the kit's GRO results are compared against.

import type { Net } from "../core/net_namespace.ts";
import { type Cpu, Task } from "../sim/cpu.ts";
import type { SkbHolder } from "../sim/ledger.ts";
import { type NetDevice, registerEtherdev } from "../core/netdevice.ts";
import { type Napi, napiCompleteDone, napiSchedule, netifNapiAdd } from "../core/dev.ts";
import { napiGroReceive } from "../core/gro.ts";
import { allocSkb, allocSkbLinear, kfreeSkbReason, type SkBuff } from "../core/skbuff.ts";
import { __netifRx } from "../core/netif_receive.ts";
import { ethTypeTrans } from "../ethernet/eth.ts";
import { ETH_HLEN } from "../wire/ethernet.ts";

/** Entries of a veth receive ring (VETH_RING_SIZE). */
export const VETH_RING_SIZE = 256;

/**
 * The receiving end of a veth pair with GRO on (NAPI mode).
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
  /** Its NAPI instance (rq->xdp_napi). */
  readonly napi: Napi;
  /** skbs waiting in the ring (rq->xdp_ring). */
  readonly ring: SkBuff[] = [];
  readonly #host: Net;

  /**
   * Makes and registers the device.
   * @param host the host
   * @param name interface name
   * @param mac its MAC address
   */
  constructor(host: Net, name: string, mac: string) {
    this.#host = host;
    this.dev = registerEtherdev(host, name, mac);
    this.napi = netifNapiAdd(`${name}-rx-0`, this.dev, (n, budget) => this.vethPoll(n, budget));
  }

  /**
   * The peer sends frames, as a packet socket on the other end does: each becomes an skb,
   * passes eth_type_trans() and joins the ring; NAPI is scheduled on the sender's CPU. All of
   * them are queued before bottom halves are enabled again, so one poll sees them together.
   * @param cpu the sending CPU
   * @param frames the frames
   * @param onSkb told each frame's skb as it is made, with the frame's index
   */
  xmit(cpu: Cpu, frames: Uint8Array[], onSkb?: (skb: SkBuff, i: number) => void): void {
    const host = this.#host;
    const { dev, ring, napi } = this;
    cpu.addTask(
      new Task(
        "sender",
        function* () {
          yield { op: "local_bh_disable" } as const;
          for (const [i, frame] of frames.entries()) {
            // veth_forward_skb(): with GRO off (and no XDP) the peer's skb goes to netif_rx();
            // it was sized by the sender's packet_snd(), 16 bytes of headroom before the frame.
            const skb = dev.groEnabled
              ? allocSkb(host.sim, frame)
              : allocSkbLinear(host.sim, frame, 16);
            onSkb?.(skb, i);
            if (frame.length < ETH_HLEN) {
              kfreeSkbReason(host.sim, skb, "PKT_TOO_SMALL", "veth_xmit");
              continue;
            }
            // __dev_forward_skb() → is_skb_forwardable(): longer than the receiving device's
            // MTU + hard_header_len + VLAN_HLEN is dropped, counted in rx_dropped.
            if (frame.length > dev.mtu + ETH_HLEN + 4) {
              dev.stats.rx_dropped++;
              kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "__dev_forward_skb");
              continue;
            }
            skb.protocol = ethTypeTrans(skb, dev);
            if (!dev.groEnabled) {
              dev.stats.rx_packets++;
              dev.stats.rx_bytes += frame.length;
              // veth_xmit() → veth_forward_skb() (inlined) → __netif_rx()
              host.sim.enterFn(cpu, "veth_xmit", skb.id);
              __netifRx(host, cpu, skb);
              host.sim.exitFn(cpu, "veth_xmit", skb.id);
              continue;
            }
            if (ring.length >= VETH_RING_SIZE) {
              kfreeSkbReason(host.sim, skb, "FULL_RING", "veth_xmit");
              continue;
            }
            ring.push(skb);
            dev.stats.rx_packets++; // veth_xmit() counts the peer's rx as it forwards
            dev.stats.rx_bytes += frame.length;
          }
          if (ring.length) napiSchedule(host, cpu, napi);
          yield { op: "local_bh_enable" } as const;
        }(),
      ),
    );
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
      const skb = this.ring.shift()!;
      // veth_xdp_rcv_skb(): with no XDP program attached the skb goes on as it is
      host.sim.enterFn(cpu, "veth_xdp_rcv_skb", skb.id);
      host.sim.exitFn(cpu, "veth_xdp_rcv_skb", skb.id);
      napiGroReceive(host, cpu, napi, skb);
      done++;
      yield 0; // the time GRO and the stack charged passes before the next skb is taken
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
