// Models net/ipv4/ip_forward.c (Linux 6.18): ip_forward() for a packet routed through the host —
// only PACKET_HOST frames; TTL 1 or less is a time exceeded (IP_INHDR, InHdrErrors); then
// ForwDatagrams (counted here since 6.12, before the FORWARD hook); a DF packet larger than the
// egress MTU is refused with fragmentation needed (PKT_TOO_BIG, FragFails); TTL decremented; an
// ICMP redirect when the packet goes back out where it came from; NF_INET_FORWARD;
// ip_forward_finish() → ip_output().

import type { InetNet } from "./netns_ipv4.ts";
import { kfreeSkbReason, PACKET_HOST, type SkBuff } from "../core/skbuff.ts";
import type { NetDevice } from "../core/netdevice.ts";
import type { Cpu } from "../sim/cpu.ts";
import { IP_DF } from "../wire/ipv4.ts";
import { nfHook } from "../netfilter/core.ts";
import { icmpSend, inetGetpeer } from "./icmp.ts";
import { ipOutput } from "./ip_output.ts";
import type { Rtable } from "./route.ts";

/**
 * Forwards a packet, as ip_forward().
 * @param host the host
 * @param cpu the CPU
 * @param skb the packet
 * @param route its route (input ip_forward)
 */
export function ipForward(host: InetNet, cpu: Cpu, skb: SkBuff, route: Rtable): void {
  host.sim.enterFn(cpu, "ip_forward", skb.id);
  cpu.chargeLater(host.sim.costs.ns("ipForward"));
  const h = skb.head;
  const nh = skb.networkHeader;
  const v = new DataView(h.buffer, h.byteOffset);
  const out = route.fib!.dev!;
  const inDev = skb.dev as NetDevice | null;
  if (skb.pktType !== PACKET_HOST) {
    kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "ip_forward");
  } else if (h[nh + 8] <= 1) {
    host.mib.ip.InHdrErrors++;
    icmpSend(host, cpu, skb, route, 11, 0, 0);
    kfreeSkbReason(host.sim, skb, "IP_INHDR", "ip_forward");
  } else {
    host.mib.ip.ForwDatagrams++;
    const len = v.getUint16(nh + 2);
    if (len > out.mtu && v.getUint16(nh + 6) & IP_DF) {
      host.mib.ip.FragFails++;
      icmpSend(host, cpu, skb, route, 3, 4, out.mtu);
      kfreeSkbReason(host.sim, skb, "PKT_TOO_BIG", "ip_forward");
    } else {
      ipDecreaseTtl(h, nh);
      if (route.doRedirect) ipRtSendRedirect(host, cpu, skb, route);
      const verdict = nfHook(host, skb, { hook: "FORWARD", in: inDev, out, cpu });
      if (verdict === "NF_DROP") kfreeSkbReason(host.sim, skb, "NETFILTER_DROP", "nf_hook_slow");
      else ipForwardFinish(host, cpu, skb, route, inDev);
    }
  }
  host.sim.exitFn(cpu, "ip_forward", skb.id);
}

// ip_decrease_ttl(): TTL down by one, the checksum patched incrementally (RFC 1624).
function ipDecreaseTtl(h: Uint8Array, nh: number): void {
  h[nh + 8]--;
  let check = ((h[nh + 10] << 8) | h[nh + 11]) + 0x0100;
  check += check >> 16;
  h[nh + 10] = (check >> 8) & 255;
  h[nh + 11] = check & 255;
}

function ipForwardFinish(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  route: Rtable,
  inDev: NetDevice | null,
): void {
  host.sim.enterFn(cpu, "ip_forward_finish", skb.id);
  const daddr = new DataView(skb.head.buffer, skb.head.byteOffset).getUint32(
    skb.networkHeader + 16,
  );
  const fib = route.fib!;
  ipOutput(host, cpu, skb, { dev: fib.dev!, nexthop: fib.gw || daddr }, inDev);
  host.sim.exitFn(cpu, "ip_forward_finish", skb.id);
}

/**
 * Tells the sender of a packet forwarded back out of its own link about a better next hop, as
 * ip_rt_send_redirect(): after 9 unheeded redirects (ip_rt_redirect_number) it stops until the
 * sender is quiet for ip_rt_redirect_silence ((HZ / 50) << 10 jiffies); between redirects it
 * waits ip_rt_redirect_load (HZ / 50) jiffies, doubling each time.
 * @param host the host
 * @param cpu the CPU
 * @param skb the forwarded packet
 * @param route its route
 */
export function ipRtSendRedirect(host: InetNet, cpu: Cpu, skb: SkBuff, route: Rtable): void {
  const v = new DataView(skb.head.buffer, skb.head.byteOffset);
  const peer = inetGetpeer(host, v.getUint32(skb.networkHeader + 12));
  const now = host.softirqs.jiffies;
  const load = Math.floor(host.hz / 50);
  if (now > peer.rateLast + (load << 10)) {
    peer.rateTokens = 0;
    peer.nRedirects = 0;
  }
  if (peer.nRedirects >= 9) {
    peer.rateLast = now;
    return;
  }
  if (peer.nRedirects === 0 || now > peer.rateLast + (load << peer.nRedirects)) {
    const gw = route.fib!.gw || v.getUint32(skb.networkHeader + 16);
    icmpSend(host, cpu, skb, route, 5, 1, gw);
    peer.rateLast = now;
    peer.nRedirects++;
  }
}
