// Models net/ipv4/ip_forward.c (Linux 6.18): ip_forward() for a packet routed through the host —
// only PACKET_HOST frames; TTL 1 or less is a time exceeded (IP_INHDR, InHdrErrors); then
// ForwDatagrams (counted here since 6.12, before the FORWARD hook); a DF packet larger than the
// egress MTU is refused with fragmentation needed (PKT_TOO_BIG, FragFails); TTL decremented; an
// ICMP redirect when the packet goes back out where it came from; NF_INET_FORWARD;
// ip_forward_finish() → ip_output().

import type { InetNet } from "./netns_ipv4.ts";
import { ipHdr, kfreeSkbReason, PACKET_HOST, type SkBuff } from "../core/skbuff.ts";
import type { NetDevice } from "../core/netdevice.ts";
import type { Cpu } from "../sim/cpu.ts";
import { IP_DF, type IpHdr } from "../wire/ipv4.ts";
import { nfHook } from "../netfilter/core.ts";
import { icmpSend, inetGetpeer } from "./icmp.ts";
import { ipOutput } from "./ip_output.ts";
import { ipForwardOptions } from "./ip_options.ts";
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
  cpu.chargeLater(host.sim.costs.ns.ipForward);
  const iph = ipHdr(skb);
  const out = route.fib!.dev!;
  const inDev = skb.dev as NetDevice | null;
  if (skb.pktType !== PACKET_HOST) {
    kfreeSkbReason(host.sim, skb, "NOT_SPECIFIED", "ip_forward");
  } else if (iph.ttl <= 1) {
    host.mib.ip.InHdrErrors++;
    icmpSend(host, cpu, skb, route, 11, 0, 0);
    kfreeSkbReason(host.sim, skb, "IP_INHDR", "ip_forward");
  } else {
    host.mib.ip.ForwDatagrams++;
    if (iph.totLen > out.mtu && iph.fragOff & IP_DF) {
      host.mib.ip.FragFails++;
      icmpSend(host, cpu, skb, route, 3, 4, out.mtu);
      kfreeSkbReason(host.sim, skb, "PKT_TOO_BIG", "ip_forward");
    } else {
      ipDecreaseTtl(iph);
      if (host.sysctl["net.ipv4.ip_forward_update_priority"]) {
        skb.priority = rtTos2Priority(iph.tos);
      }
      if (route.doRedirect) ipRtSendRedirect(host, cpu, skb, route);
      const verdict = nfHook(host, skb, { hook: "FORWARD", in: inDev, out, cpu });
      if (verdict === "NF_ACCEPT") ipForwardFinish(host, cpu, skb, route, inDev);
    }
  }
  host.sim.exitFn(cpu, "ip_forward", skb.id);
}

// The queueing priority of each TOS value (ip_tos2prio, net/ipv4/route.c): TC_PRIO_BESTEFFORT 0,
// BULK 2, INTERACTIVE_BULK 4, INTERACTIVE 6
const IP_TOS2PRIO = [0, 0, 0, 0, 2, 2, 2, 2, 6, 6, 6, 6, 4, 4, 4, 4];

/**
 * rt_tos2priority(): the priority a TOS maps to, by its four TOS bits (IPTOS_TOS(tos) >> 1).
 * @param tos the IP header's TOS byte
 * @returns skb->priority
 */
export function rtTos2Priority(tos: number): number {
  return IP_TOS2PRIO[(tos & 0x1e) >> 1];
}

// ip_decrease_ttl(): TTL down by one, the checksum patched incrementally (RFC 1624).
function ipDecreaseTtl(iph: IpHdr): void {
  iph.ttl--;
  const check = iph.check + 0x0100;
  iph.check = (check + (check >> 16)) & 0xffff;
}

function ipForwardFinish(
  host: InetNet,
  cpu: Cpu,
  skb: SkBuff,
  route: Rtable,
  inDev: NetDevice | null,
): void {
  host.sim.enterFn(cpu, "ip_forward_finish", skb.id);
  const fib = route.fib!;
  const out = { dev: fib.dev!, nexthop: fib.gw || ipHdr(skb).daddr };
  if (skb.ipOpt) {
    host.sim.traced(cpu, "ip_forward_options", () => ipForwardOptions(host, cpu, skb, out), skb.id);
  }
  ipOutput(host, cpu, skb, out, inDev);
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
  const iph = ipHdr(skb);
  const peer = inetGetpeer(host, iph.saddr);
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
    const gw = route.fib!.gw || iph.daddr;
    icmpSend(host, cpu, skb, route, 5, 1, gw);
    peer.rateLast = now;
    peer.nRedirects++;
  }
}
