// A host: one booted Linux kernel's receive-side state on a simulation, with its tunables and
// registration tables. createHost() boots it the way the kernel does (see init/main.ts).

import { Sim, type SimOptions } from "./sim/sim.ts";
import { Softirqs } from "./kernel/softirq.ts";
import { newPtypeTables, type PtypeTables, type SoftnetData } from "./core/dev.ts";
import type { NetDevice } from "./core/netdevice.ts";
import type { NetOffload, PacketOffload } from "./core/gro.ts";
import type { SkBuff } from "./core/skbuff.ts";
import type { Cpu } from "./sim/cpu.ts";
import type { Proto } from "./core/sock.ts";
import type { NetProtoFamily } from "./core/socket.ts";
import type { NetProtocol } from "./ipv4/protocol.ts";
import type { NeighTable, RtnlHandler } from "./core/neighbour.ts";
import { doInitcalls } from "./init/main.ts";
import { IrqController } from "./kernel/irq.ts";
import { NetnsIpv4 } from "./ipv4/netns_ipv4.ts";
import { Mib } from "./ipv4/snmp.ts";
import { devinetModels, devinetSetConf, inetdevInit } from "./ipv4/devinet.ts";
import { NF_INET_HOOKS, type NfHookOps, type NfInetHook } from "./netfilter/core.ts";
import type { IptTable, IptTableName } from "./netfilter/ip_tables.ts";

/** The tunables the kit models, by their sysctl names, with the kernel's defaults. */
export interface Sysctl {
  /** Segments GRO batches before handing them up (net_hotdata.gro_normal_batch). */
  "net.core.gro_normal_batch": number;
  /** Entries of RFS's global table (0: RFS off). */
  "net.core.rps_sock_flow_entries": number;
  /** CPUs (bit per CPU) with a flow limit table; 0: none. */
  "net.core.flow_limit_cpu_bitmap": number;
  /** Buckets of each flow limit table. */
  "net.core.flow_limit_table_len": number;
  /** Packets per net_rx_action() run (net_hotdata.netdev_budget). */
  "net.core.netdev_budget": number;
  /** Time per net_rx_action() run, µs; default 2 * USEC_PER_SEC / HZ. */
  "net.core.netdev_budget_usecs": number;
  /** Backlog NAPI weight (weight_p). */
  "net.core.dev_weight": number;
  /** Per-CPU backlog length limit. */
  "net.core.netdev_max_backlog": number;
  /** Default receive buffer of a socket, bytes (SKB_TRUESIZE(256) * 256 on x86-64). */
  "net.core.rmem_default": number;
  /** Largest SO_RCVBUF a socket may ask for, bytes (4 MiB since 6.18). */
  "net.core.rmem_max": number;
  /** Default SO_BUSY_POLL, µs: how long recvmsg() polls the device before sleeping. */
  "net.core.busy_read": number;
  /** Forwarding on every device (net.ipv4.conf.all.forwarding; devinet.c). */
  "net.ipv4.ip_forward": number;
  /** TTL of packets the host sends. */
  "net.ipv4.ip_default_ttl": number;
  /** Seconds a reassembly queue waits for its missing fragments. */
  "net.ipv4.ipfrag_time": number;
  /** Ignore every echo request. */
  "net.ipv4.icmp_echo_ignore_all": number;
  /** Ignore echo and timestamp requests sent to broadcast or multicast addresses. */
  "net.ipv4.icmp_echo_ignore_broadcasts": number;
  /** Least ms between ICMP messages to one destination, for the types in icmp_ratemask. */
  "net.ipv4.icmp_ratelimit": number;
  /** ICMP types (bit per type) that are rate limited: 3, 4, 11, 12 by default. */
  "net.ipv4.icmp_ratemask": number;
  /** Global ICMP rate limit, messages per second. */
  "net.ipv4.icmp_msgs_per_sec": number;
  /** Global ICMP burst. */
  "net.ipv4.icmp_msgs_burst": number;
}

/** Options of {@linkcode createHost}. */
export interface HostOptions extends SimOptions {
  /** CONFIG_HZ, default 250 (Debian's kernels and the reference host). */
  hz?: number;
  /** Sysctl overrides by name. */
  sysctl?: Partial<Record<string, number>>;
}

/**
 * The kernel state of one host. Most users call {@linkcode createHost}, which boots it.
 *
 * @example
 * ```ts
 * import { Host } from "@rxpath/rxpath";
 * const host = new Host({ cpus: 2 });
 * console.log(host.booted, host.sysctl["net.core.netdev_budget"]); // false 300
 * ```
 */
export class Host {
  /** The simulation the host runs on. */
  readonly sim: Sim;
  /** CONFIG_HZ. */
  readonly hz: number;
  /** Tunables in force. */
  readonly sysctl: Sysctl;
  /** The softirq engine (kernel/softirq.c). */
  readonly softirqs: Softirqs;
  /** The interrupt controller and /proc/interrupts (kernel/irq/). */
  readonly irqs: IrqController;
  /** ptype_all and ptype_base. */
  ptype: PtypeTables = newPtypeTables();
  /** Per-CPU softnet_data, made by net_dev_init(). */
  softnetData: SoftnetData[] = [];
  /** Network devices in registration order (dev_base_head). */
  readonly devices: NetDevice[] = [];
  /** Link-layer GRO offloads (offload_base). */
  readonly offloadBase: PacketOffload[] = [];
  /** IPv4 transport GRO offloads by protocol number (inet_offloads[]). */
  readonly inetOffloads: (NetOffload | null)[] = new Array(256).fill(null);
  /** Shown every skb handed to the stack by netif_receive_skb_list_internal() or netif_rx(), for
   * tools such as rxpath gro. */
  rxTap?: (skb: SkBuff) => void;
  /** Shown every skb as __netif_receive_skb_core() starts on it, with the CPU: the kit's
   * counterpart of the net:netif_receive_skb tracepoint. */
  netifReceiveSkbTap?: (skb: SkBuff, cpu: Cpu) => void;
  /** RFS's global table (rps_sock_flow_table), or null while rps_sock_flow_entries is 0. */
  rpsSockFlowTable: Uint32Array | null = null;
  /** Low bits of a sock flow entry that hold the CPU (rps_cpu_mask). */
  readonly rpsCpuMask: number;
  /** The per-boot key of software flow hashes (the kernel's random siphash key). */
  readonly hashSecret: number;
  /** IPv4 protocol handlers by protocol number (inet_protos[MAX_INET_PROTOS]). */
  readonly inetProtos: (NetProtocol | null)[] = new Array(256).fill(null);
  /** Registered transport protocols, newest first (proto_list). */
  readonly protoList: Proto[] = [];
  /** Socket families by number (net_families[NPROTO]). */
  readonly netFamilies: (NetProtoFamily | null)[] = new Array(46).fill(null);
  /** Neighbour tables (neigh_tables). */
  readonly neighTables: NeighTable[] = [];
  /** rtnetlink message handlers registered at boot (rtnl_register). */
  readonly rtnlHandlers: RtnlHandler[] = [];
  /** IPv4 state of the host's network namespace (struct netns_ipv4). */
  readonly ipv4: NetnsIpv4 = new NetnsIpv4();
  /** SNMP counters (net->mib). */
  readonly mib: Mib = new Mib();
  /** Netfilter's IPv4 hook entries, per hook, in priority order (net->nf.hooks_ipv4). */
  readonly nfHooks: Record<NfInetHook, NfHookOps[]> = Object.fromEntries(
    NF_INET_HOOKS.map((h) => [h, []]),
  ) as unknown as Record<NfInetHook, NfHookOps[]>;
  /** iptables tables loaded, by name. */
  readonly iptables: Map<IptTableName, IptTable> = new Map();
  /** Shown every frame a device sends (dev_queue_xmit()). */
  devXmitTap?: (dev: NetDevice, frame: Uint8Array) => void;
  /** True once do_initcalls() has run. */
  booted = false;

  /**
   * Makes an unbooted host.
   * @param options CPUs, seed, HZ, sysctls, costs
   * @throws {RangeError} for an unknown sysctl or an impossible value
   */
  constructor(options: HostOptions = {}) {
    this.sim = new Sim(options);
    this.hz = options.hz ?? 250;
    this.softirqs = new Softirqs(this.sim, this.hz);
    this.irqs = new IrqController(this.sim, () => this.sim.costs.ns("hardirq"));
    // rps_cpu_mask = roundup_pow_of_two(nr_cpu_ids) - 1 (net/core/dev.c:net_dev_init)
    this.rpsCpuMask = (1 << Math.ceil(Math.log2(Math.max(2, this.sim.cpus.length)))) - 1;
    this.hashSecret = this.sim.rng.nextU32();
    this.sysctl = {
      "net.core.netdev_budget": 300,
      "net.core.netdev_budget_usecs": (2 * 1_000_000) / this.hz,
      "net.core.dev_weight": 64,
      "net.core.netdev_max_backlog": 1000,
      "net.core.gro_normal_batch": 8,
      "net.core.rps_sock_flow_entries": 0,
      "net.core.flow_limit_cpu_bitmap": 0,
      "net.core.flow_limit_table_len": 4096,
      "net.core.rmem_default": 212992,
      "net.core.rmem_max": 4194304,
      "net.core.busy_read": 0,
      "net.ipv4.ip_forward": 0,
      "net.ipv4.ip_default_ttl": 64,
      "net.ipv4.ipfrag_time": 30,
      "net.ipv4.icmp_echo_ignore_all": 0,
      "net.ipv4.icmp_echo_ignore_broadcasts": 1,
      "net.ipv4.icmp_ratelimit": 1000,
      "net.ipv4.icmp_ratemask": 6168,
      "net.ipv4.icmp_msgs_per_sec": 1000,
      "net.ipv4.icmp_msgs_burst": 50,
    };
    for (const [name, value] of Object.entries(options.sysctl ?? {})) this.setSysctl(name, value!);
  }

  /**
   * True when the kit models a sysctl: it acts on its value.
   * @param name the sysctl name
   * @returns whether setSysctl() takes it
   */
  modelsSysctl(name: string): boolean {
    const conf = /^net\.ipv4\.conf\.([^.]+)\.([a-z_0-9]+)$/.exec(name);
    return conf ? devinetModels(conf[2]) : Object.hasOwn(this.sysctl, name);
  }

  /**
   * Sets a tunable, with the kernel's range checks.
   * @param name the sysctl name, such as `net.core.netdev_budget`
   * @param value the new value
   * @throws {RangeError} for an unknown name or a value the kernel rejects
   */
  setSysctl(name: string, value: number): void {
    const conf = /^net\.ipv4\.conf\.([^.]+)\.([a-z_0-9]+)$/.exec(name);
    if (conf) return devinetSetConf(this, conf[1], conf[2], value);
    if (!Object.hasOwn(this.sysctl, name)) {
      throw new RangeError(
        `Cannot set sysctl ${name}: unknown name (known: ${Object.keys(this.sysctl).join(", ")})`,
      );
    }
    // net/core/sysctl_net_core.c: netdev_budget and netdev_max_backlog are plain
    // proc_dointvec (any int, even 0 or -1); dev_weight has a minimum of 1; netdev_budget_usecs
    // a minimum of 2 * USEC_PER_SEC / HZ (8000 at HZ 250, as a 6.18 host rejects 100).
    const min: Record<string, number> = {
      "net.core.netdev_budget": -0x80000000,
      "net.core.netdev_budget_usecs": (2 * 1_000_000) / this.hz,
      "net.core.dev_weight": 1,
      "net.core.netdev_max_backlog": -0x80000000,
      "net.core.gro_normal_batch": 1, // proc_dointvec_minmax with SYSCTL_ONE
      "net.core.rps_sock_flow_entries": 0,
      "net.core.flow_limit_cpu_bitmap": 0,
      "net.core.flow_limit_table_len": 1,
      "net.core.rmem_default": 2304, // SOCK_MIN_RCVBUF
      "net.core.rmem_max": 2304,
      "net.core.busy_read": 0,
      "net.ipv4.ip_forward": 0,
      "net.ipv4.ip_default_ttl": 1,
      "net.ipv4.ipfrag_time": 0,
      "net.ipv4.icmp_echo_ignore_all": 0,
      "net.ipv4.icmp_echo_ignore_broadcasts": 0,
      "net.ipv4.icmp_ratelimit": 0,
      "net.ipv4.icmp_ratemask": 0,
      "net.ipv4.icmp_msgs_per_sec": 0,
      "net.ipv4.icmp_msgs_burst": 0,
    };
    const max: Record<string, number> = {
      "net.ipv4.ip_forward": 1,
      "net.ipv4.ip_default_ttl": 255,
      "net.ipv4.icmp_echo_ignore_all": 1,
      "net.ipv4.icmp_echo_ignore_broadcasts": 1,
    };
    const hi = max[name] ?? 0x7fffffff;
    if (!Number.isInteger(value) || value < min[name] || value > hi) {
      throw new RangeError(
        `Cannot set sysctl ${name} to ${value}: must be an integer from ${min[name]} to ${hi}`,
      );
    }
    if (name === "net.core.flow_limit_table_len" && (value & (value - 1)) !== 0) {
      // flow_limit_table_len_sysctl(): the table is indexed with a mask, so only powers of two
      throw new RangeError(`Cannot set sysctl ${name} to ${value}: must be a power of two`);
    }
    this.sysctl[name as keyof Sysctl] = value;
    if (name === "net.ipv4.ip_forward") devinetSetConf(this, "all", "forwarding", value);
    if (name === "net.core.rps_sock_flow_entries") {
      // rps_sock_flow_sysctl(): rounded up to a power of two, at most 2^29; 0 frees the table.
      const size = value > 0 ? 2 ** Math.ceil(Math.log2(value)) : 0;
      this.rpsSockFlowTable = size ? new Uint32Array(size).fill(0xffffffff) : null;
    }
    if (name === "net.core.flow_limit_cpu_bitmap" || name === "net.core.flow_limit_table_len") {
      this.applyFlowLimit();
    }
  }

  /**
   * Gives the CPUs in net.core.flow_limit_cpu_bitmap a flow limit table of flow_limit_table_len
   * buckets, and the others none, as flow_limit_cpu_sysctl() does.
   */
  applyFlowLimit(): void {
    const len = this.sysctl["net.core.flow_limit_table_len"];
    this.softnetData.forEach((sd, cpu) => {
      const on = (this.sysctl["net.core.flow_limit_cpu_bitmap"] >> cpu) & 1;
      sd.flowLimit = on
        ? { count: 0, buckets: new Uint8Array(len), history: new Uint32Array(128), historyHead: 0 }
        : null;
    });
  }

  /**
   * True when RPS or RFS is configured on any device queue (the rps_needed static key).
   * @returns whether netif_receive_skb_list_internal() must consult get_rps_cpu()
   */
  rpsNeeded(): boolean {
    return this.devices.some((d) => d.rx.some((q) => q.rpsCpus.length > 0 || q.rpsFlowTable));
  }

  /**
   * Sets a queue's RPS CPUs, as writing queues/rx-N/rps_cpus.
   * @param dev the device
   * @param queue the RX queue
   * @param cpus CPU ids (empty turns RPS off)
   * @throws {RangeError} for a queue or CPU that does not exist
   */
  setRpsCpus(dev: NetDevice, queue: number, cpus: number[]): void {
    if (!dev.rx[queue]) {
      throw new RangeError(`Cannot set rps_cpus of ${dev.name} rx-${queue}: no such queue`);
    }
    const n = this.sim.cpus.length;
    const bad = cpus.find((c) => !Number.isInteger(c) || c < 0 || c >= n);
    if (bad !== undefined) {
      throw new RangeError(
        `Cannot set rps_cpus of ${dev.name} rx-${queue}: CPU ${bad} does not exist (0 to ${n - 1})`,
      );
    }
    dev.rx[queue].rpsCpus = [...new Set(cpus)].sort((a, b) => a - b);
  }

  /**
   * Sets a queue's RFS flow table size, as writing queues/rx-N/rps_flow_cnt (rounded up to a
   * power of two; 0 removes the table).
   * @param dev the device
   * @param queue the RX queue
   * @param count entries
   * @throws {RangeError} for a queue that does not exist or a negative count
   */
  setRpsFlowCnt(dev: NetDevice, queue: number, count: number): void {
    if (!dev.rx[queue]) {
      throw new RangeError(`Cannot set rps_flow_cnt of ${dev.name} rx-${queue}: no such queue`);
    }
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`Cannot set rps_flow_cnt to ${count}: must be a whole number`);
    }
    const size = count > 0 ? 2 ** Math.ceil(Math.log2(count)) : 0;
    // entries start with no CPU (RPS_NO_CPU) and a tail that counts as dequeued
    dev.rx[queue].rpsFlowTable = size
      ? Array.from({ length: size }, () => ({ cpu: 0xffff, lastQtail: 0 }))
      : null;
  }

  /**
   * Converts µs to jiffies, rounding up as usecs_to_jiffies().
   * @param usecs microseconds
   * @returns jiffies
   */
  usecsToJiffies(usecs: number): number {
    return Math.ceil((usecs * this.hz) / 1_000_000);
  }

  /**
   * Adds a device to the host, as register_netdevice().
   * @param dev the device
   * @throws {RangeError} when the name or index is taken
   */
  registerNetdevice(dev: NetDevice): void {
    if (this.devices.some((d) => d.name === dev.name || d.ifindex === dev.ifindex)) {
      throw new RangeError(
        `Cannot register device ${dev.name} (ifindex ${dev.ifindex}): name or index in use`,
      );
    }
    this.enterFn("register_netdevice");
    this.devices.push(dev);
    // NETDEV_REGISTER → inetdev_event() → inetdev_init(): IPv4 state for every device
    inetdevInit(this, dev);
    this.exitFn("register_netdevice");
  }

  /**
   * Traces entry to a function run on the boot CPU (CPU 0), for init code.
   * @param fn the kernel symbol
   */
  enterFn(fn: string): void {
    this.sim.enterFn(this.sim.cpus[0], fn);
  }

  /**
   * Traces the return from a function run on the boot CPU.
   * @param fn the kernel symbol
   */
  exitFn(fn: string): void {
    this.sim.exitFn(this.sim.cpus[0], fn);
  }
}

/**
 * Makes a host and boots its networking, as the kernel's initcalls do: ksoftirqd, net_dev_init,
 * neigh_init, inet_init. The result has the registration tables a learner can print.
 * @param options CPUs, seed, HZ, sysctls, costs
 * @returns the booted host
 * @example
 * ```ts
 * import { createHost, procNetPtype } from "@rxpath/rxpath";
 * const host = createHost({ cpus: 2 });
 * console.log(procNetPtype(host).text);
 * ```
 */
export function createHost(options: HostOptions = {}): Host {
  const host = new Host(options);
  doInitcalls(host);
  return host;
}
