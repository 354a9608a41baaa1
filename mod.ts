/**
 * rxpath: the Linux kernel's network receive path as composable, kernel-faithful components on
 * a deterministic discrete-event simulation, for learning in Deno notebooks.
 *
 * The one obvious way in: boot a host, probe a NIC, give it an address, open a socket, put a
 * frame on the wire, run the clock, and look at what the kernel did.
 *
 * @example
 * ```ts
 * import {
 *   buildFrame,
 *   createHost,
 *   inAton,
 *   inetAddAddr,
 *   procNetSnmp,
 *   udpRecvmsg,
 *   udpSocket,
 *   VirtioNet,
 * } from "@rxpath/rxpath";
 *
 * const host = createHost({ cpus: 2 }); // do_initcalls(): ksoftirqd, net_dev_init, inet_init
 * const nic = new VirtioNet(host); // virtnet_probe(): eth0, 02:00:00:00:00:02
 * nic.open(); // virtnet_open(): receive buffers posted
 * inetAddAddr(host, nic.dev, inAton("10.0.0.2"), 24); // ip addr add 10.0.0.2/24 dev eth0
 * const sk = udpSocket(host, { addr: 0, port: 5000 }); // bind(0.0.0.0:5000)
 * nic.receive(buildFrame({
 *   eth: { dst: "02:00:00:00:00:02" },
 *   ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
 *   udp: { source: 4000, dest: 5000 },
 *   payload: 32,
 * }));
 * host.sim.run(1_000_000); // 1 ms: IRQ, NAPI, GRO, ip_rcv, udp_rcv, the socket's queue
 * console.log(udpRecvmsg(host, sk)?.len); // 32
 * console.log(host.sim.trace.functionGraph({ cpu: 0 })); // the call chain, ftrace style
 * console.log(procNetSnmp(host).text); // Udp: InDatagrams 1
 * ```
 *
 * Smaller parts have their own entry points: `@rxpath/rxpath/wire` (frames and pcap files),
 * `@rxpath/rxpath/sim` (the simulated machine), `@rxpath/rxpath/viz` (charts and views),
 * `@rxpath/rxpath/proc` (the /proc, ip, ethtool and iptables views), `@rxpath/rxpath/cli`.
 *
 * @module
 */

// ---- Errors: the user's input errors, told apart from the kit's faults ---------------------------
export * from "./lib/base/errors.ts";

// ---- Frames on the wire: headers as views, builders, the decoder, pcap files --------------------
export * from "./lib/wire/mod.ts";

// ---- The machine: virtual clock, CPUs and their contexts, costs, the trace, the skb ledger ------
export * from "./lib/sim/mod.ts";

// ---- Boot: struct net, its sysctls, and the initcalls that fill the registration tables ---------
export * from "./lib/core/net_namespace.ts";
export * from "./lib/core/sysctl_net.ts";
export * from "./lib/core/sysctl_net_core.ts";
export * from "./lib/init/main.ts";

// ---- The NIC: the virtio-net device and its driver, RSS, a veth -------------------------------
export * from "./lib/drivers/virtio_net_device.ts";
export * from "./lib/drivers/virtio_net.ts";
export * from "./lib/drivers/virtio_net_tx.ts";
export * from "./lib/drivers/virtio_net_features.ts";
export * from "./lib/drivers/rss.ts";
export * from "./lib/drivers/veth.ts";
export * from "./lib/drivers/tun.ts";
export * from "./lib/drivers/loopback.ts";

// ---- Interrupts and softirqs: MSI-X, /proc/interrupts, NET_RX, ksoftirqd -----------------------
export * from "./lib/kernel/irq.ts";
export * from "./lib/kernel/softirq.ts";
export * from "./lib/kernel/tick.ts";
export * from "./lib/kernel/timer.ts";

// ---- The skb and how it ends: sk_buff, consume_skb, kfree_skb_reason ---------------------------
export * from "./lib/core/skbuff.ts";
export * from "./lib/core/dropreason.ts";

// ---- NAPI and GRO: net_rx_action, napi_poll, dev_gro_receive, inet and TCP GRO ----------------
export * from "./lib/core/dev.ts";
export * from "./lib/core/dev_xmit.ts";
export * from "./lib/core/gro.ts";
export * from "./lib/ipv4/tcp_offload.ts";

// ---- RPS and the L2 hand-off: netif_receive_skb, taps, ptype, rx_handler, a bridge -------------
export * from "./lib/core/netdevice.ts";
export * from "./lib/core/netif_receive.ts";
export * from "./lib/ethernet/eth.ts";
export * from "./lib/packet/af_packet.ts";
export * from "./lib/bridge/bridge.ts";
export * from "./lib/core/sink.ts";

// ---- IPv4 input: ip_rcv, routing, options, reassembly, forwarding, output, ICMP -----------------
export * from "./lib/ipv4/af_inet.ts";
export * from "./lib/ipv4/protocol.ts";
export * from "./lib/ipv4/netns_ipv4.ts";
export * from "./lib/ipv4/sysctl_net_ipv4.ts";
export * from "./lib/ipv4/snmp.ts";
export * from "./lib/ipv4/devinet.ts";
export * from "./lib/ipv4/fib.ts";
export * from "./lib/ipv4/route.ts";
export * from "./lib/ipv4/ip_input.ts";
export * from "./lib/ipv4/ip_options.ts";
export * from "./lib/ipv4/ip_fragment.ts";
export * from "./lib/ipv4/ip_forward.ts";
export * from "./lib/ipv4/ip_output.ts";
export * from "./lib/ipv4/icmp.ts";
export * from "./lib/ipv4/arp.ts";
export * from "./lib/core/neighbour.ts";
export * from "./lib/ipv6/af_inet6.ts";

// ---- The way out: qdiscs, NET_TX, byte queue limits, tc ----------------------------------------
export * from "./lib/sched/sch_generic.ts";
export * from "./lib/sched/sch_fifo.ts";
export * from "./lib/sched/sch_tbf.ts";
export * from "./lib/sched/sch_fq_codel.ts";
export * from "./lib/sched/sch_mq.ts";
export * from "./lib/sched/sch_api.ts";
export * from "./lib/sched/tc_units.ts";
export * from "./lib/kernel/dynamic_queue_limits.ts";

// ---- Netfilter: hook entries in priority order, iptables tables and rules ----------------------
export * from "./lib/netfilter/core.ts";
export * from "./lib/netfilter/ip_tables.ts";

// ---- Sockets: protocols and families, UDP and TCP receive -------------------------------------
export * from "./lib/core/rbtree.ts";
export * from "./lib/core/sock.ts";
export * from "./lib/core/socket.ts";
export * from "./lib/ipv4/udp.ts";
export * from "./lib/ipv4/tcp_ipv4.ts";
export * from "./lib/ipv4/tcp_input.ts";
export * from "./lib/ipv4/tcp_output.ts";
export * from "./lib/ipv4/tcp.ts";
export * from "./lib/ipv4/tcp_timer.ts";
export * from "./lib/ipv4/tcp_minisocks.ts";

// ---- What a host shows: /proc, ip, ethtool, iptables, sysctl -a; charts -------------------------
export * from "./lib/proc/mod.ts";
export * from "./lib/viz/mod.ts";

// ---- Scenarios, replays and traces; the chapters' experiments and traffic ----------------------
export * from "./lib/scenario/scenario.ts";
export * from "./lib/scenario/sysctl_names.ts";
export * from "./lib/scenario/sysctl_defaults.ts";
export * from "./lib/scenario/replay.ts";
export * from "./lib/scenario/replay_table.ts";
export * from "./lib/scenario/trace.ts";
export * from "./lib/scenario/calibrate.ts";
export * from "./lib/traffic/generator.ts";
export * from "./lib/experiments/rx.ts";
export * from "./lib/experiments/gro.ts";
export * from "./lib/experiments/sockets.ts";
export * from "./lib/experiments/bridge.ts";
export * from "./lib/experiments/netfilter.ts";
export * from "./lib/experiments/neigh.ts";
export * from "./lib/experiments/xmit.ts";
export * from "./lib/packetdrill/script.ts";
export * from "./lib/packetdrill/packet.ts";
export * from "./lib/packetdrill/syscalls.ts";
export * from "./lib/packetdrill/epoll.ts";
export * from "./lib/packetdrill/run.ts";
