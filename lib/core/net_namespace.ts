// Models struct net (include/net/net_namespace.h, Linux 6.18) as far as net/core uses it: one
// network namespace's devices, packet_type tables, sysctls and netdev notifier chain, with the
// per-CPU softnet_data and the softirq engine of the machine it runs on. Protocols add their own
// state in a higher layer (ipv4/netns_ipv4.ts, netfilter/core.ts); init/main.ts puts it together.

import { InputRangeError, quoteValue } from "../base/errors.ts";
import { Sim, type SimOptions } from "../sim/sim.ts";
import type { Cpu } from "../sim/cpu.ts";
import { Softirqs } from "../kernel/softirq.ts";
import { isValidEtherAddr, macToString } from "../wire/ethernet.ts";
import { IrqController } from "../kernel/irq.ts";
import { tickSchedInit } from "../kernel/tick.ts";
import { devValidName, newPtypeTables, type PtypeTables, type SoftnetData } from "./dev.ts";
import { type NetDevice, NetdevQueue, type NetdevRxQueue } from "./netdevice.ts";
import { defaultQdiscSysctl, devActivate } from "../sched/sch_api.ts";
import type { PacketOffload } from "./gro.ts";
import type { SkBuff } from "./skbuff.ts";
import type { Proto } from "./sock.ts";
import type { NetProtoFamily } from "./socket.ts";
import type { NeighTable, RtnlHandler } from "./neighbour.ts";
import { type CtlEntry, sysctlTableLookup } from "./sysctl_net.ts";
import { netCoreSysctlTable } from "./sysctl_net_core.ts";

/** Options of a namespace's machine: CPUs, seed, costs, and CONFIG_HZ. */
export interface NetOptions extends SimOptions {
  /** CONFIG_HZ, default 250 (Debian's kernels and the reference host). */
  hz?: number;
}

/** Events of the netdev notifier chain (include/linux/netdevice.h: enum netdev_cmd). */
export type NetdevCmd = "NETDEV_REGISTER" | "NETDEV_UP" | "NETDEV_DOWN" | "NETDEV_CHANGEMTU";

/** A netdev notifier (struct notifier_block on netdev_chain). */
export interface NetdevNotifier {
  /** The callback's symbol, such as `inetdev_event`. */
  name: string;
  /** Called for every event on every device of the namespace. */
  call: (event: NetdevCmd, dev: NetDevice) => void;
}

/**
 * One network namespace (struct net) and the machine it runs on: the core state every layer
 * above reads. Most users call `createHost()`, which makes and boots a whole host.
 *
 * @example
 * ```ts
 * import { Net } from "@rxpath/rxpath";
 * const net = new Net({ cpus: 2 });
 * console.log(net.sysctl["net.core.netdev_budget"], net.devices.length); // 300 0
 * ```
 */
export class Net {
  /** The simulation the namespace runs on. */
  readonly sim: Sim;
  /** CONFIG_HZ. */
  readonly hz: number;
  /** The CPU that boots the machine (CPU 0), where init code is traced. */
  readonly bootCpu: Cpu;
  #sysctl: Record<string, number> = {};
  #autohandle = 0;
  #rpsNeeded = false;
  /**
   * The qdisc a device that opens gets on each queue (default_qdisc_ops, net.core.default_qdisc):
   * pfifo_fast unless the kernel was configured otherwise (CONFIG_NET_SCH_DEFAULT).
   */
  defaultQdisc = "pfifo_fast";
  /** The registered sysctl tables, in registration order (register_net_sysctl()). */
  readonly sysctlTables: CtlEntry[] = [];
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
  /** Callbacks told of device events (netdev_chain), in registration order. */
  readonly netdevChain: NetdevNotifier[] = [];
  /** Link-layer GRO offloads (offload_base). */
  readonly offloadBase: PacketOffload[] = [];
  /** Shown every skb handed to the stack by netif_receive_skb_list_internal() or netif_rx(), for
   * tools such as rxpath gro. */
  rxTap?: (skb: SkBuff) => void;
  /** Shown every skb as __netif_receive_skb_core() starts on it, with the CPU: the kit's
   * counterpart of the net:netif_receive_skb tracepoint. */
  netifReceiveSkbTap?: (skb: SkBuff, cpu: Cpu) => void;
  /** Shown every frame a device sends (dev_queue_xmit()). */
  devXmitTap?: (dev: NetDevice, frame: Uint8Array) => void;
  /** RFS's global table (rps_sock_flow_table), or null while rps_sock_flow_entries is 0. */
  rpsSockFlowTable: Uint32Array | null = null;
  /** Low bits of a sock flow entry that hold the CPU (rps_cpu_mask). */
  readonly rpsCpuMask: number;
  /** The per-boot key of software flow hashes (the kernel's random siphash key). */
  readonly hashSecret: number;
  /** Registered transport protocols, newest first (proto_list). */
  readonly protoList: Proto[] = [];
  /**
   * The next NAPI id (napi_gen_id): ids start at MIN_NAPI_ID, NR_CPUS + 1 (include/net/busy_poll.h)
   * — 257 on the reference 6.18 machine, whose kernel has CONFIG_NR_CPUS=256.
   */
  napiGenId = 257;
  /**
   * Sockets that asked for receive timestamps (netstamp_needed_key's count, raised by
   * net_enable_timestamp()): while 0, no skb is time-stamped.
   */
  netstampNeeded = 0;
  /** Socket families by number (net_families[NPROTO]). */
  readonly netFamilies: (NetProtoFamily | null)[] = new Array(46).fill(null);
  /** Neighbour tables (neigh_tables). */
  readonly neighTables: NeighTable[] = [];
  /** rtnetlink message handlers registered at boot (rtnl_register). */
  readonly rtnlHandlers: RtnlHandler[] = [];
  /** True once do_initcalls() has run. */
  booted = false;

  /**
   * Makes an empty namespace on a new simulation, with net.core's sysctls registered.
   * @param options CPUs, seed, HZ, costs
   */
  constructor(options: NetOptions = {}) {
    this.sim = new Sim(options);
    this.hz = options.hz ?? 250;
    this.bootCpu = this.sim.cpus[0];
    this.softirqs = new Softirqs(this.sim, this.hz);
    this.irqs = new IrqController(this.sim, () => this.sim.costs.ns.hardirq);
    tickSchedInit(this.sim, this.irqs, this.hz);
    // rps_cpu_mask = roundup_pow_of_two(nr_cpu_ids) - 1 (net/core/dev.c:net_dev_init)
    this.rpsCpuMask = (1 << Math.ceil(Math.log2(Math.max(2, this.sim.cpus.length)))) - 1;
    this.hashSecret = this.sim.rng.nextU32();
    this.registerNetSysctl([...netCoreSysctlTable(this), defaultQdiscSysctl(this)]);
  }

  /**
   * Adds a sysctl table, as register_net_sysctl(): its global entries start at their defaults.
   * @param table the entries
   * @throws {Error} when a name is registered already
   */
  registerNetSysctl(table: CtlEntry[]): void {
    const added: Record<string, number> = {};
    for (const e of table) {
      if (this.sysctlTables.some((t) => t.procname === e.procname)) {
        throw new Error(`BUG: sysctl ${e.procname} registered twice`);
      }
      this.sysctlTables.push(e);
      if ("value" in e && !e.perDevice) added[e.procname] = e.value;
    }
    // made anew, not grown: an object given more than about 20 keys one by one becomes a hash
    // table in V8 (dictionary mode), and every read on the receive path a hash lookup
    this.#sysctl = { ...this.#sysctl, ...added };
  }

  /**
   * Values of the registered global sysctls, by name (see {@linkcode Net.sysctlTables}).
   * {@linkcode Net.setSysctl} writes one with the checks of the kernel's handler.
   */
  get sysctl(): Record<string, number> {
    return this.#sysctl;
  }

  /**
   * True when the kit models a sysctl: a registered table has it and the kit acts on its value.
   * @param name the sysctl name
   * @returns whether setSysctl() takes it
   */
  modelsSysctl(name: string): boolean {
    return sysctlTableLookup(this.sysctlTables, name) !== undefined;
  }

  /**
   * Writes a sysctl, with the range checks of the kernel's handler, then applies it.
   * @param name the sysctl name, such as `net.core.netdev_budget` or `net.ipv4.conf.eth0.rp_filter`
   * @param value the new value: a number, or a name for a text entry (net.core.default_qdisc)
   * @throws {RangeError} for an unknown name or a value the kernel rejects
   */
  setSysctl(name: string, value: number | string): void {
    const found = sysctlTableLookup(this.sysctlTables, name);
    if (!found) {
      const known = this.sysctlTables.filter((t) => !t.perDevice).map((t) => t.procname);
      throw new InputRangeError(
        `Cannot set sysctl ${name}: unknown name (known: ${known.join(", ")})`,
      );
    }
    const { entry, dev } = found;
    if (!("value" in entry)) {
      if (typeof value !== "string") {
        throw new InputRangeError(`Cannot set sysctl ${name} to ${value}: it takes a name`);
      }
      return entry.write(value);
    }
    if (typeof value !== "number") {
      throw new InputRangeError(
        `Cannot set sysctl ${name} to ${JSON.stringify(value)}: it takes a number`,
      );
    }
    const problem = !Number.isInteger(value) || value < entry.min || value > entry.max
      ? `must be ${entry.perDevice ? "from" : "an integer from"} ${entry.min} to ${entry.max}`
      : entry.check?.(value);
    if (problem) throw new InputRangeError(`Cannot set sysctl ${name} to ${value}: ${problem}`);
    if (!entry.perDevice) this.sysctl[entry.procname] = value;
    entry.handler?.(value, dev);
  }

  /**
   * Adds a callback to the netdev notifier chain, as register_netdevice_notifier().
   * @param nb the notifier
   */
  registerNetdeviceNotifier(nb: NetdevNotifier): void {
    this.netdevChain.push(nb);
  }

  /**
   * Tells every netdev notifier of an event, as call_netdevice_notifiers().
   * @param event what happened
   * @param dev the device
   */
  callNetdeviceNotifiers(event: NetdevCmd, dev: NetDevice): void {
    for (const nb of this.netdevChain) nb.call(event, dev);
  }

  /**
   * Adds a device to the namespace, as register_netdevice(): the notifiers hear NETDEV_REGISTER
   * (IPv4 gives it an in_device there).
   * @param dev the device
   * @throws {RangeError} when the name or index is taken
   */
  registerNetdevice(dev: NetDevice): void {
    const bad = devValidName(dev.name);
    if (bad) {
      throw new InputRangeError(`Cannot register device ${quoteValue(dev.name)}: the name ${bad}`);
    }
    // eth_validate_addr(), which dev_open() runs: an Ethernet device needs a unicast address
    if (!dev.loopback && dev.hardHeaderLen > 0 && !isValidEtherAddr(dev.devAddr)) {
      throw new InputRangeError(
        `Cannot register device ${dev.name}: MAC ${
          macToString(dev.devAddr)
        } is not a unicast address (EADDRNOTAVAIL)`,
      );
    }
    if (this.devices.some((d) => d.name === dev.name || d.ifindex === dev.ifindex)) {
      throw new InputRangeError(
        `Cannot register device ${dev.name} (ifindex ${dev.ifindex}): name or index in use`,
      );
    }
    this.sim.enterFn(this.bootCpu, "register_netdevice");
    // netif_alloc_netdev_queues(): one netdev_queue per transmit queue
    if (dev.tx.length === 0) {
      dev.tx = Array.from(
        { length: dev.numTxQueues },
        (_, i) => new NetdevQueue(i, this.hz, () => this.softirqs.jiffies),
      );
    }
    this.devices.push(dev);
    this.callNetdeviceNotifiers("NETDEV_REGISTER", dev);
    this.sim.exitFn(this.bootCpu, "register_netdevice");
    // the kit's devices are up from the start: dev_open() → dev_activate()
    devActivate(this, dev);
  }

  /**
   * A handle for a qdisc tc adds without one (qdisc_alloc_handle(): 8001:, 8002:, …).
   * @returns the handle, major:0
   */
  nextQdiscHandle(): number {
    this.#autohandle += 0x10000;
    return (0x80000000 + this.#autohandle) >>> 0;
  }

  /** Packets one __qdisc_run() sends before it yields to NET_TX (dev_tx_weight). */
  get devTxWeight(): number {
    return this.sysctl["net.core.dev_weight"] * this.sysctl["net.core.dev_weight_tx_bias"];
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
    return this.#rpsNeeded;
  }

  // Sets a queue's RPS state and the key with it, as store_rps_map() turns rps_needed on and off
  // (a queue with an RFS table counts too): read per packet, so kept rather than found by a walk.
  #setRpsQueue(rxq: NetdevRxQueue, setting: Partial<NetdevRxQueue>): void {
    Object.assign(rxq, setting);
    this.#rpsNeeded = this.devices.some((d) =>
      d.rx.some((q) => q.rpsCpus.length > 0 || q.rpsFlowTable)
    );
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
      throw new InputRangeError(`Cannot set rps_cpus of ${dev.name} rx-${queue}: no such queue`);
    }
    const n = this.sim.cpus.length;
    const bad = cpus.find((c) => !Number.isInteger(c) || c < 0 || c >= n);
    if (bad !== undefined) {
      throw new InputRangeError(
        `Cannot set rps_cpus of ${dev.name} rx-${queue}: CPU ${bad} does not exist (0 to ${n - 1})`,
      );
    }
    this.#setRpsQueue(dev.rx[queue], { rpsCpus: [...new Set(cpus)].sort((a, b) => a - b) });
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
      throw new InputRangeError(
        `Cannot set rps_flow_cnt of ${dev.name} rx-${queue}: no such queue`,
      );
    }
    if (!Number.isInteger(count) || count < 0) {
      throw new InputRangeError(`Cannot set rps_flow_cnt to ${count}: must be a whole number`);
    }
    const size = count > 0 ? 2 ** Math.ceil(Math.log2(count)) : 0;
    // entries start with no CPU (RPS_NO_CPU) and a tail that counts as dequeued
    this.#setRpsQueue(dev.rx[queue], {
      rpsFlowTable: size
        ? Array.from({ length: size }, () => ({ cpu: 0xffff, lastQtail: 0 }))
        : null,
    });
  }

  /**
   * Converts µs to jiffies, rounding up as usecs_to_jiffies().
   * @param usecs microseconds
   * @returns jiffies
   */
  usecsToJiffies(usecs: number): number {
    return Math.ceil((usecs * this.hz) / 1_000_000);
  }
}
