/**
 * rxpath: the Linux kernel's network receive path as composable, kernel-faithful components on
 * a deterministic discrete-event simulation, for learning in Deno notebooks.
 *
 * @example
 * ```ts
 * import { createHost, procNetPtype } from "@rxpath/rxpath";
 * const host = createHost({ cpus: 2 });
 * console.log(procNetPtype(host).text);
 * ```
 *
 * @module
 */
export * from "./lib/wire/mod.ts";
export * from "./lib/sim/mod.ts";
export * from "./lib/core/dropreason.ts";
export * from "./lib/core/skbuff.ts";
export * from "./lib/core/netdevice.ts";
export * from "./lib/core/net_namespace.ts";
export * from "./lib/core/sysctl_net.ts";
export * from "./lib/core/sysctl_net_core.ts";
export * from "./lib/core/dev.ts";
export * from "./lib/core/sink.ts";
export * from "./lib/core/sock.ts";
export * from "./lib/core/socket.ts";
export * from "./lib/core/neighbour.ts";
export * from "./lib/kernel/softirq.ts";
export * from "./lib/ipv4/protocol.ts";
export * from "./lib/ipv4/arp.ts";
export * from "./lib/ipv4/af_inet.ts";
export * from "./lib/init/main.ts";
export * from "./lib/proc/net_procfs.ts";
export * from "./lib/proc/protocols.ts";
export * from "./lib/proc/softirqs.ts";
export * from "./lib/proc/stat.ts";
export * from "./lib/proc/sysctl.ts";
export * from "./lib/proc/route.ts";
export * from "./lib/proc/snmp.ts";
export * from "./lib/proc/udp.ts";
export * from "./lib/proc/iptables.ts";
export * from "./lib/viz/display.ts";
export * from "./lib/viz/charts.ts";
export * from "./lib/traffic/generator.ts";
export * from "./lib/drivers/rss.ts";
export * from "./lib/drivers/virtio_net_device.ts";
export * from "./lib/drivers/virtio_net.ts";
export * from "./lib/ethernet/eth.ts";
export * from "./lib/kernel/irq.ts";
export * from "./lib/drivers/virtio_net_features.ts";
export * from "./lib/proc/ethtool.ts";
export * from "./lib/proc/interrupts.ts";
export * from "./lib/proc/qstats.ts";
export * from "./lib/experiments/rx.ts";
export * from "./lib/scenario/scenario.ts";
export * from "./lib/scenario/sysctl_names.ts";
export * from "./lib/scenario/sysctl_defaults.ts";
export * from "./lib/drivers/veth.ts";
export * from "./lib/core/gro.ts";
export * from "./lib/ipv4/tcp_offload.ts";
export * from "./lib/experiments/gro.ts";
export * from "./lib/core/netif_receive.ts";
export * from "./lib/packet/af_packet.ts";
export * from "./lib/bridge/bridge.ts";
export * from "./lib/ipv4/snmp.ts";
export * from "./lib/ipv4/netns_ipv4.ts";
export * from "./lib/ipv4/sysctl_net_ipv4.ts";
export * from "./lib/ipv4/devinet.ts";
export * from "./lib/ipv4/fib.ts";
export * from "./lib/ipv4/route.ts";
export * from "./lib/ipv4/ip_input.ts";
export * from "./lib/ipv4/ip_fragment.ts";
export * from "./lib/ipv4/ip_options.ts";
export * from "./lib/ipv4/ip_forward.ts";
export * from "./lib/ipv4/ip_output.ts";
export * from "./lib/ipv4/icmp.ts";
export * from "./lib/ipv4/udp.ts";
export * from "./lib/ipv4/tcp_ipv4.ts";
export * from "./lib/ipv6/af_inet6.ts";
export * from "./lib/netfilter/core.ts";
export * from "./lib/netfilter/ip_tables.ts";
export * from "./lib/scenario/replay.ts";
export * from "./lib/scenario/replay_table.ts";
export * from "./lib/experiments/sockets.ts";
export * from "./lib/experiments/bridge.ts";
export * from "./lib/experiments/netfilter.ts";
