// Models net/core/dev.c (Linux 6.18): the packet_type tables (ptype_all, ptype_base) with
// dev_add_pack(), the per-CPU softnet_data, NAPI scheduling and polling (____napi_schedule,
// napi_poll, napi_complete_done), threaded NAPI (a kthread per instance that polls it instead of
// NET_RX), the NET_RX and NET_TX softirq handlers, and net_dev_init().
// GRO, RPS and the backlog NAPI come with later chapters.

import { emptyArray, takeFirst } from "../base/arrays.ts";
import { InputRangeError } from "../base/errors.ts";
import { type Cpu, Task, type TaskBody, type TaskOp, type Work } from "../sim/cpu.ts";
import type { Net } from "./net_namespace.ts";
import { NET_RX_SOFTIRQ, NET_TX_SOFTIRQ } from "../kernel/softirq.ts";
import { ETH_P_ALL } from "../wire/ethernet.ts";
import { NetDevice } from "./netdevice.ts";
import { consumeSkb, SkbQueue, type SkBuff } from "./skbuff.ts";
import { groNormalList, type GroState, initGroHash, napiGroFlush, napiGroHolds } from "./gro.ts";
import { backlogNapi, netRpsActionAndIrqEnable, type SdFlowLimit } from "./netif_receive.ts";
import { type Qdisc, qdiscRun } from "../sched/sch_generic.ts";

/** Buckets of ptype_base (PTYPE_HASH_SIZE). */
export const PTYPE_HASH_SIZE = 16;
/** Mask selecting a ptype_base bucket from an ethertype (PTYPE_HASH_MASK). */
export const PTYPE_HASH_MASK = PTYPE_HASH_SIZE - 1;
/** Default NAPI weight of drivers (NAPI_POLL_WEIGHT). */
export const NAPI_POLL_WEIGHT = 64;

/**
 * A protocol handler's code: takes the skb on. A generator yields the CPU time it uses; a plain
 * function charges it itself (`cpu.chargeLater()`), with no generator made per packet.
 */
export type PacketHandler = (
  skb: SkBuff,
  dev: NetDevice,
  pt: PacketType,
  cpu?: Cpu,
) => Work | void;

/** A protocol's list handler (packet_type.list_func): a run of skbs that picked it, in order. */
export type PacketListHandler = (
  skbs: SkBuff[],
  pt: PacketType,
  origDev: NetDevice,
  cpu: Cpu,
) => void;

/** A protocol handler registration (struct packet_type). */
export interface PacketType {
  /** Ethertype in host order, or ETH_P_ALL for a tap. */
  type: number;
  /** Bound to one device, or null for all. */
  dev: NetDevice | null;
  /** The handler's symbol, as /proc/net/ptype prints it (%ps of func). */
  name: string;
  /** The handler. */
  func: PacketHandler;
  /** The list handler, for runs of skbs from __netif_receive_skb_list_core() (ip_list_rcv). */
  listFunc?: PacketListHandler;
}

/** The two packet_type tables of a host. */
export interface PtypeTables {
  /** Taps that see every frame (ptype_all; per network namespace in 6.18). */
  all: PacketType[];
  /** Handlers by ethertype, hashed into 16 buckets (ptype_base). */
  base: PacketType[][];
}

/**
 * Makes empty packet_type tables, as net_dev_init() initialises them.
 * @returns ptype_all and 16 empty ptype_base buckets
 * @example
 * ```ts
 * import { newPtypeTables } from "@rxpath/rxpath";
 * console.log(newPtypeTables().base.length); // 16
 * ```
 */
export function newPtypeTables(): PtypeTables {
  return { all: [], base: Array.from({ length: PTYPE_HASH_SIZE }, () => []) };
}

function ptypeHead(host: Net, pt: PacketType): PacketType[] {
  if (pt.type === ETH_P_ALL) return pt.dev ? pt.dev.ptypeAll : host.ptype.all;
  return pt.dev ? pt.dev.ptypeSpecific : host.ptype.base[pt.type & PTYPE_HASH_MASK];
}

/**
 * Registers a protocol handler or tap, as dev_add_pack(): list_add_rcu() puts it at the head
 * of its list, so the newest registration in a bucket is found first.
 * @param host the host
 * @param pt the registration
 * @example
 * ```ts
 * import { createHost, devAddPack } from "@rxpath/rxpath";
 * const host = createHost();
 * devAddPack(host, { type: 0x88b5, dev: null, name: "local_exp_rcv", func: function* () {} });
 * console.log(host.ptype.base[0x88b5 & 15][0].name); // "local_exp_rcv"
 * ```
 */
export function devAddPack(host: Net, pt: PacketType): void {
  host.sim.enterFn(host.bootCpu, "dev_add_pack");
  ptypeHead(host, pt).unshift(pt);
  host.sim.exitFn(host.bootCpu, "dev_add_pack");
}

/**
 * Removes a registration, as dev_remove_pack().
 * @param host the host
 * @param pt the registration, as added
 * @throws {RangeError} when it was not registered
 */
export function devRemovePack(host: Net, pt: PacketType): void {
  const list = ptypeHead(host, pt);
  const i = list.indexOf(pt);
  if (i < 0) {
    throw new InputRangeError(`Cannot remove packet type ${pt.name}: it is not registered`);
  }
  list.splice(i, 1);
}

/** Size of an interface name buffer with its final NUL (IFNAMSIZ). */
export const IFNAMSIZ = 16;

/**
 * Tells what is wrong with an interface name, as dev_valid_name() refuses it: empty, IFNAMSIZ
 * bytes or longer, `.` or `..`, or containing `/`, `:` or white space.
 * @param name the name
 * @returns what is wrong, or undefined for a good name
 * @example
 * ```ts
 * import { devValidName } from "@rxpath/rxpath";
 * console.log(devValidName("eth0.100"), devValidName("veth:1")); // undefined "contains ':'"
 * ```
 */
export function devValidName(name: string): string | undefined {
  if (name === "") return "is empty";
  const bytes = new TextEncoder().encode(name).length;
  if (bytes >= IFNAMSIZ) return `is ${bytes} bytes long, at most ${IFNAMSIZ - 1}`;
  if (name === "." || name === "..") return `is "${name}"`;
  const bad = /[/:\s]/.exec(name);
  if (bad) return `contains ${bad[0] === "/" || bad[0] === ":" ? `'${bad[0]}'` : "white space"}`;
  return undefined;
}

/** Smallest MTU of an Ethernet device (ETH_MIN_MTU, dev->min_mtu from ether_setup()). */
export const ETH_MIN_MTU = 68;
/** Largest MTU of an Ethernet device (ETH_MAX_MTU). */
export const ETH_MAX_MTU = 0xffff;

/**
 * Brings a device up, as dev_open() (`ip link set DEV up`): IFF_UP, then NETDEV_UP on the
 * notifier chain.
 * @param net the namespace
 * @param dev the device
 * @example
 * ```ts
 * import { createHost, devClose, devOpen, registerEtherdev } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth1", "02:00:00:00:00:09");
 * devClose(host, dev); // NETDEV_DOWN: IPv4 takes its routes away
 * devOpen(host, dev); // NETDEV_UP: they come back with its addresses
 * console.log(dev.up); // true
 * ```
 */
export function devOpen(net: Net, dev: NetDevice): void {
  if (dev.up) return;
  dev.up = true;
  net.callNetdeviceNotifiers("NETDEV_UP", dev);
}

/**
 * Takes a device down, as dev_close() (`ip link set DEV down`): IFF_UP cleared, then
 * NETDEV_DOWN on the notifier chain.
 * @param net the namespace
 * @param dev the device
 */
export function devClose(net: Net, dev: NetDevice): void {
  if (!dev.up) return;
  dev.up = false;
  net.callNetdeviceNotifiers("NETDEV_DOWN", dev);
}

/**
 * Changes a device's MTU, as dev_set_mtu() (`ip link set DEV mtu N`): dev_validate_mtu()
 * against ETH_MIN_MTU and ETH_MAX_MTU, then NETDEV_CHANGEMTU on the notifier chain.
 * @param net the namespace
 * @param dev the device
 * @param mtu the new MTU
 * @throws {RangeError} for an MTU the device cannot take (EINVAL)
 */
export function devSetMtu(net: Net, dev: NetDevice, mtu: number): void {
  if (!Number.isInteger(mtu) || mtu < ETH_MIN_MTU || mtu > ETH_MAX_MTU) {
    throw new InputRangeError(
      `Cannot set MTU of ${dev.name} to ${mtu}: must be from ${ETH_MIN_MTU} to ${ETH_MAX_MTU}`,
    );
  }
  if (mtu === dev.mtu) return;
  dev.mtu = mtu;
  net.callNetdeviceNotifiers("NETDEV_CHANGEMTU", dev);
}

/**
 * Sets a device's txqueuelen, as dev_change_tx_queue_len(): the qdiscs that size themselves by
 * it follow (dev_qdisc_change_tx_queue_len(): pfifo_fast's bands); a pfifo or bfifo keeps the
 * limit it was made with.
 * @param net the host
 * @param dev the device
 * @param len packets, 0 … 2^32 − 1
 * @throws {RangeError} for a length that is not an unsigned int (ERANGE)
 */
export function devSetTxQueueLen(net: Net, dev: NetDevice, len: number): void {
  if (!Number.isInteger(len) || len < 0 || len > 0xffffffff) {
    throw new InputRangeError(`Cannot set txqueuelen of ${dev.name} to ${len} (ERANGE)`);
  }
  dev.txQueueLen = len;
  for (const txq of dev.tx) txq.qdiscSleeping.changeTxQueueLen(net, len);
}

/** NAPI state bits that the kit models (include/linux/netdevice.h: NAPI_STATE_*). */
export interface NapiState {
  /** NAPI_STATE_SCHED: on a poll list, being polled, or owned by a busy poller. */
  sched: boolean;
  /** NAPI_STATE_MISSED: scheduled again while being polled: poll once more. */
  missed: boolean;
  /** NAPI_STATE_IN_BUSY_POLL: a task's napi_busy_loop() owns the instance. */
  inBusyPoll: boolean;
  /** NAPI_STATE_THREADED: its kthread polls it, not NET_RX. */
  threaded: boolean;
  /** NAPI_STATE_SCHED_THREADED: scheduled for its kthread, which owns the poll. */
  schedThreaded: boolean;
}

/** A NAPI instance (struct napi_struct). */
export interface Napi {
  /** Name for traces, such as `eth0-rx-0`. */
  name: string;
  /** The device it belongs to (n->dev): gro_flush_timeout and napi_defer_hard_irqs live there. */
  dev: NetDevice;
  /** Packets per poll (n->weight). */
  weight: number;
  /** State bits. */
  state: NapiState;
  /** Completions left before the device IRQ is re-enabled (n->defer_hard_irqs_count). */
  deferHardIrqsCount: number;
  /** The CPU whose poll list it is on or was last polled from (n->list_owner). */
  listOwner: number;
  /** The driver's poll function: yields CPU time, returns work done (at most budget). */
  poll: (napi: Napi, budget: number) => Generator<number, number, void>;
  /** GRO's held skbs and the batch going up. */
  gro: GroState;
  /** Its number (napi_id), given in order from MIN_NAPI_ID, 0 until the host hashes it. */
  id: number;
  /** Its kthread `napi/DEV-ID` (napi->thread) while the device is threaded, else null. */
  thread: Task | null;
}

/**
 * Makes a NAPI instance, as netif_napi_add_weight(): idle, on no list.
 * @param name name for traces
 * @param dev its device
 * @param poll the driver's poll function
 * @param weight packets per poll, default NAPI_POLL_WEIGHT (64)
 * @returns the instance
 * @example
 * ```ts
 * import { NetDevice, netifNapiAdd } from "@rxpath/rxpath";
 * const dev = new NetDevice({ name: "eth0", ifindex: 2, mtu: 1500, devAddr: new Uint8Array(6) });
 * const napi = netifNapiAdd("eth0-rx-0", dev, function* () { return 0; });
 * console.log(napi.weight); // 64
 * ```
 */
export function netifNapiAdd(
  name: string,
  dev: NetDevice,
  poll: Napi["poll"],
  weight: number = NAPI_POLL_WEIGHT,
): Napi {
  const napi: Napi = {
    name,
    dev,
    weight,
    state: {
      sched: false,
      missed: false,
      inBusyPoll: false,
      threaded: false,
      schedThreaded: false,
    },
    deferHardIrqsCount: 0,
    listOwner: -1,
    poll,
    gro: initGroHash(),
    id: 0,
    thread: null,
  };
  dev.napiList.push(napi);
  return napi;
}

/** Per-CPU receive state (struct softnet_data) with the /proc/net/softnet_stat counters. */
export class SoftnetData {
  /** The CPU it belongs to. */
  readonly cpu: number;
  /** NAPI instances waiting to be polled (sd->poll_list). */
  pollList: Napi[] = [];
  // the other list net_rx_action() splices the poll list into, kept empty between runs
  #spliced: Napi[] = [];
  /** True while net_rx_action() runs (sd->in_net_rx_action). */
  inNetRxAction = false;

  /**
   * Moves the poll list into a list of net_rx_action()'s own and leaves it empty
   * (list_splice_init()): the two arrays swap, so none is made per run. The caller empties the
   * list it gets before it next splices.
   * @returns the instances that were on the poll list
   */
  splicePollList(): Napi[] {
    const list = this.pollList;
    this.pollList = this.#spliced;
    this.#spliced = list;
    return list;
  }

  /** Packets taken off the backlog or handed up (processed). */
  processed = 0;
  /** Packets dropped at the backlog (dropped). */
  dropped = 0;
  /** net_rx_action() runs that stopped with budget or time used up (time_squeeze). */
  timeSqueeze = 0;
  /** RPS IPIs received (received_rps). */
  receivedRps = 0;
  /** The RPS backlog (input_pkt_queue). */
  readonly inputPktQueue: SkbQueue = new SkbQueue();
  /** The backlog being processed (process_queue). */
  readonly processQueue: SkbQueue = new SkbQueue();
  /** skbs freed from hard interrupt context, freed by net_tx_action (completion_queue). */
  completionQueue: SkBuff[] = [];
  /** Root qdiscs waiting for net_tx_action() to run them (output_queue). */
  outputQueue: Qdisc[] = [];
  /** The backlog NAPI instance, polled by process_backlog() (sd->backlog). */
  backlog!: Napi;
  /** CPUs whose backlogs this CPU must kick by IPI when net_rx_action() ends (rps_ipi_list). */
  rpsIpiList: SoftnetData[] = [];
  /** Packets dequeued from the backlog so far (input_queue_head). */
  inputQueueHead = 0;
  /** Packets enqueued to the backlog so far (input_queue_tail). */
  inputQueueTail = 0;
  /** The flow limit table, when this CPU is in net.core.flow_limit_cpu_bitmap. */
  flowLimit: SdFlowLimit | null = null;

  /**
   * Makes the state of one CPU.
   * @param cpu the CPU id
   */
  constructor(cpu: number) {
    this.cpu = cpu;
  }
}

/**
 * Claims a NAPI instance for scheduling, as napi_schedule_prep(): sets SCHED and returns true,
 * or, if it is already scheduled, sets MISSED (so the poller runs once more) and returns false.
 * @param n the instance
 * @returns true when the caller must schedule it
 */
export function napiSchedulePrep(n: Napi): boolean {
  if (n.state.sched) {
    n.state.missed = true;
    return false;
  }
  n.state.sched = true;
  return true;
}

/**
 * Puts a claimed NAPI instance on this CPU's poll list, as __napi_schedule() ->
 * ____napi_schedule(): NET_RX is raised unless net_rx_action() is running here already and
 * will see the list.
 * @param host the host
 * @param cpu the CPU the caller runs on
 * @param n the instance, with SCHED set
 */
export function __napiSchedule(host: Net, cpu: Cpu, n: Napi): void {
  host.sim.enterFn(cpu, "__napi_schedule");
  // ____napi_schedule(), inlined; a threaded instance is its kthread's to poll
  if (n.state.threaded && n.thread) {
    n.state.schedThreaded = true;
    napiThreadWake(host, cpu, n.thread);
    host.sim.exitFn(cpu, "__napi_schedule");
    return;
  }
  const sd = host.softnetData[cpu.id];
  sd.pollList.push(n);
  n.listOwner = cpu.id;
  if (!sd.inNetRxAction) {
    host.sim.enterFn(cpu, "__raise_softirq_irqoff");
    host.softirqs.raiseSoftirqIrqoff(cpu, NET_RX_SOFTIRQ);
    host.sim.exitFn(cpu, "__raise_softirq_irqoff");
  }
  host.sim.exitFn(cpu, "__napi_schedule");
}

/**
 * Schedules a NAPI instance if it is not already, as napi_schedule().
 * @param host the host
 * @param cpu the CPU the caller runs on
 * @param n the instance
 * @returns true when it was newly scheduled
 */
export function napiSchedule(host: Net, cpu: Cpu, n: Napi): boolean {
  if (!napiSchedulePrep(n)) return false;
  __napiSchedule(host, cpu, n);
  return true;
}

// napi_watchdog(): the gro_flush_timeout hrtimer. It schedules the instance without setting
// MISSED, since no device IRQ is involved.
function* napiWatchdog(host: Net, cpu: Cpu, n: Napi): Work {
  if (!n.state.sched) {
    n.state.sched = true;
    __napiSchedule(host, cpu, n);
  }
}

/**
 * Ends a poll that did less than its budget, as napi_complete_done(): with work done it reloads
 * napi_defer_hard_irqs; while that count lasts and gro_flush_timeout is set, the device IRQ
 * stays off and an hrtimer (napi_watchdog) polls again after the timeout. Otherwise SCHED is
 * cleared — unless MISSED was set, in which case the instance is rescheduled at once.
 * @param host the host
 * @param cpu the CPU
 * @param n the instance
 * @param workDone packets the poll handled
 * @returns true when the driver may re-enable its interrupt
 */
export function napiCompleteDone(host: Net, cpu: Cpu, n: Napi, workDone: number): boolean {
  return host.sim.traced(
    cpu,
    "napi_complete_done",
    () => napiCompleteDoneCore(host, cpu, n, workDone),
  );
}

function napiCompleteDoneCore(host: Net, cpu: Cpu, n: Napi, workDone: number): boolean {
  if (n.state.inBusyPoll) return false; // the busy poller will call the driver again
  if (!n.state.sched) throw new Error(`BUG: napi_complete_done on ${n.name} while not scheduled`);
  let timeout = 0;
  let ret = true;
  if (workDone > 0) {
    if (napiGroHolds(n)) timeout = n.dev.groFlushTimeout;
    n.deferHardIrqsCount = n.dev.napiDeferHardIrqs;
  }
  if (n.deferHardIrqsCount > 0) {
    n.deferHardIrqsCount--;
    timeout = n.dev.groFlushTimeout;
    if (timeout) ret = false;
  }
  // With a timeout pending, keep what arrived in this jiffy: the timer will poll again.
  if (napiGroHolds(n)) napiGroFlush(host, cpu, n, timeout !== 0);
  groNormalList(host, cpu, n);
  const i = host.softnetData[cpu.id].pollList.indexOf(n);
  if (i >= 0) host.softnetData[cpu.id].pollList.splice(i, 1);
  n.listOwner = -1;
  if (n.state.missed) {
    n.state.missed = false;
    __napiSchedule(host, cpu, n);
    return false;
  }
  n.state.sched = false;
  n.state.schedThreaded = false;
  if (timeout) {
    host.sim.after(
      timeout,
      () => host.irqs.timerInterrupt(cpu, "napi_watchdog", (c) => napiWatchdog(host, c, n)),
    );
  }
  return ret;
}

// wake_up_process() of an unbound kthread: select_task_rq_fair() keeps it where it last ran if
// that CPU idles, else takes an idle CPU, else the waker's (simplified: no load balancing).
function napiThreadWake(host: Net, waker: Cpu, thread: Task): void {
  if (thread.state !== "sleeping") return;
  const cpus = host.sim.cpus;
  if (!thread.cpu!.isIdle) thread.cpu = cpus.find((c) => c.isIdle) ?? waker;
  thread.wake();
}

// napi_threaded_poll(): sleep until the instance is scheduled for this thread (napi_thread_wait()
// tests SCHED_THREADED), then napi_threaded_poll_loop(): with bottom halves off, __napi_poll()
// with the instance's weight, then let the softirqs it raised run; again while it repolls.
function* napiThreadedPoll(host: Net, n: Napi, self: () => Task): TaskBody {
  for (;;) {
    if (!n.state.schedThreaded) {
      if (!n.thread) return; // kthread_should_stop(): threaded was turned off
      yield { op: "sleep" };
      continue;
    }
    for (;;) {
      const cpu = self().cpu!;
      yield { op: "local_bh_disable" };
      host.sim.enterFn(cpu, "napi_threaded_poll");
      host.sim.enterFn(cpu, "napi_threaded_poll_loop");
      const repoll: Napi[] = [];
      n.listOwner = cpu.id; // on no list, but the driver polls on the CPU this names
      yield* napiPoll(host, cpu, n, repoll);
      if (host.softnetData[cpu.id].rpsIpiList.length > 0) netRpsActionAndIrqEnable(host, cpu);
      host.sim.exitFn(cpu, "napi_threaded_poll_loop");
      host.sim.exitFn(cpu, "napi_threaded_poll");
      yield { op: "local_bh_enable" };
      if (repoll.length === 0) break;
      yield { op: "cond_resched" };
    }
  }
}

/**
 * Turns threaded NAPI on or off for a device, as writing /sys/class/net/DEV/threaded does
 * (modify_napi_threaded() → netif_set_threaded()): with 1 each NAPI instance gets a kthread
 * `napi/DEV-ID` (napi_kthread_create()) that polls it from then on — a scheduled instance wakes
 * its thread instead of raising NET_RX, and the poll runs in task context, its time the
 * thread's system time, counted in no softirq; with 0 the threads stop and NET_RX polls again.
 * @param host the host
 * @param dev the device
 * @param value what is written: 0 or 1
 * @throws {RangeError} for a device without NAPI or a mode other than 0 or 1 (EOPNOTSUPP), or
 *   what is not a small integer (EINVAL)
 */
export function devSetThreaded(host: Net, dev: NetDevice, value: number): void {
  if (dev.napiList.length === 0) {
    throw new InputRangeError(
      `Cannot write /sys/class/net/${dev.name}/threaded: Operation not supported (no NAPI)`,
    );
  }
  // kstrtou8() fails on anything but a small integer (EINVAL); a mode other than 0 or 1 is
  // EOPNOTSUPP, as 6.18 answers 2 and 3
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new InputRangeError(
      `Cannot write ${value} to /sys/class/net/${dev.name}/threaded: Invalid argument`,
    );
  }
  if (value !== 0 && value !== 1) {
    throw new InputRangeError(
      `Cannot write ${value} to /sys/class/net/${dev.name}/threaded: Operation not supported (0 or 1)`,
    );
  }
  dev.threaded = value === 1;
  for (const n of dev.napiList) {
    n.state.threaded = dev.threaded;
    if (dev.threaded && !n.thread) {
      if (n.id === 0) n.id = host.napiGenId++; // napi_hash_add()
      const thread: Task = new Task(
        `napi/${dev.name}-${n.id}`,
        napiThreadedPoll(host, n, () => thread),
        { kthread: true },
      );
      thread.state = "sleeping";
      host.sim.cpus[0].addTask(thread);
      n.thread = thread;
    } else if (!dev.threaded && n.thread) {
      const thread = n.thread;
      n.thread = null;
      thread.wake(); // kthread_stop(): it wakes to find it must stop
    }
  }
}

/** Packets per poll of a busy-polling task (BUSY_POLL_BUDGET, include/net/busy_poll.h). */
export const BUSY_POLL_BUDGET = 8;

// Busy polling runs the driver's poll in the task's own system call: its CPU time is the
// task's system time, not softirq time.
function* asSystem<T>(g: Generator<number, T, void>): Generator<number | TaskOp, T, void> {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    yield { op: "system", ns: r.value };
  }
}

/**
 * Busy-polls a NAPI instance from a task, as napi_busy_loop() does for a reader with
 * SO_BUSY_POLL or net.core.busy_read: with bottom halves off, take the instance
 * (SCHED | IN_BUSY_POLL) unless the softirq side owns it, poll it with BUSY_POLL_BUDGET,
 * and repeat until `loopEnd()` says stop or another task needs the CPU; then
 * busy_poll_stop() polls once more so the driver can re-enable its interrupt.
 * @param host the host
 * @param cpu the task's CPU
 * @param n the instance (the socket's napi_id)
 * @param loopEnd true when the task has what it waited for or its time is up
 * @returns task code
 */
export function* napiBusyLoop(
  host: Net,
  cpu: Cpu,
  n: Napi,
  loopEnd: () => boolean,
): Generator<number | TaskOp, void, void> {
  let owned = false;
  for (;;) {
    yield { op: "local_bh_disable" };
    if (!owned && !n.state.sched && !n.state.inBusyPoll) {
      n.state.sched = true;
      n.state.inBusyPoll = true;
      n.listOwner = cpu.id;
      owned = true;
    }
    const work = owned ? yield* asSystem(n.poll(n, BUSY_POLL_BUDGET)) : 0;
    // napi_busy_loop_rcu(): what the poll batched for the stack goes up now (gro_normal_list())
    if (owned) groNormalList(host, cpu, n);
    yield { op: "local_bh_enable" };
    if (loopEnd()) break;
    if (cpu.needResched()) {
      if (owned) yield* busyPollStop(host, cpu, n);
      owned = false;
      yield { op: "cond_resched" };
      if (loopEnd()) break;
    }
    if (work === 0) yield { op: "system", ns: host.sim.costs.ns.busyPollSpin }; // cpu_relax()
  }
  if (owned) yield* busyPollStop(host, cpu, n);
}

// busy_poll_stop(): give the instance back; one more poll lets the driver complete NAPI and
// re-enable its interrupt, and a full poll hands it to the softirq side instead.
function* busyPollStop(host: Net, cpu: Cpu, n: Napi): Generator<number | TaskOp, void, void> {
  n.state.missed = false;
  n.state.inBusyPoll = false;
  yield { op: "local_bh_disable" };
  const rc = yield* asSystem(n.poll(n, BUSY_POLL_BUDGET));
  if (rc === BUSY_POLL_BUDGET) __napiSchedule(host, cpu, n);
  yield { op: "local_bh_enable" };
}

/**
 * Polls one NAPI instance with its weight, as napi_poll() -> __napi_poll(): a poll that used
 * its whole weight still owns the instance, which goes on the repoll list.
 * @param host the host
 * @param cpu the CPU
 * @param n the instance, taken off the poll list
 * @param repoll where instances with more work go
 * @returns the code; its return value is the work done
 */
export function* napiPoll(
  host: Net,
  cpu: Cpu,
  n: Napi,
  repoll: Napi[],
): Generator<number, number, void> {
  const polled = napiPollBegin(host, cpu, n);
  return napiPollEnd(host, cpu, n, polled, polled ? yield* n.poll(n, n.weight) : 0, repoll);
}

// __napi_poll() up to the driver's poll: whether the instance is still scheduled, so polled.
// net_rx_action() runs it and napiPollEnd() around the poll itself, as napi_poll() is inlined
// there: no generator of its own per poll.
function napiPollBegin(host: Net, cpu: Cpu, n: Napi): boolean {
  host.sim.enterFn(cpu, "__napi_poll"); // napi_poll() is inlined into net_rx_action()
  return n.state.sched;
}

// __napi_poll() after the poll did `work`: a poll that used its whole weight still owns the
// instance, which goes on the repoll list. Returns the work.
function napiPollEnd(
  host: Net,
  cpu: Cpu,
  n: Napi,
  polled: boolean,
  work: number,
  repoll: Napi[],
): number {
  if (polled && host.sim.trace.enabled) { // an untraced run makes no closure per poll
    host.sim.tracepoint(cpu, "napi_poll", () => ({
      napi: napiId(n),
      // the backlog NAPI hangs on no device (sd->backlog.dev is NULL): NO_DEV
      dev_name: host.softnetData.some((sd) => sd.backlog === n) ? "(no_device)" : n.dev.name,
      work,
      budget: n.weight,
    }));
  }
  if (work > n.weight) {
    throw new Error(`BUG: ${n.name} returned ${work}, exceeding its budget of ${n.weight}`);
  }
  if (work === n.weight) {
    // The instance has more work: flush GRO packets older than this jiffy (all when HZ < 1000),
    // pass the batch up, and poll it again later.
    if (napiGroHolds(n)) napiGroFlush(host, cpu, n, host.hz >= 1000);
    groNormalList(host, cpu, n);
    repoll.push(n);
  }
  host.sim.exitFn(cpu, "__napi_poll");
  return work;
}

// A stable number for the instance, printed as its address by the napi_poll tracepoint.
function napiId(n: Napi): number {
  let h = 0;
  for (const c of n.name) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return h;
}

/**
 * The NET_RX softirq handler, net_rx_action(): polls the NAPI instances on this CPU's list
 * until netdev_budget packets or netdev_budget_usecs (in jiffies) are spent; stopping early
 * with work left counts a time_squeeze. Leftovers and repolls go back on the list, and NET_RX
 * is raised again.
 * @param host the host
 * @param cpu the CPU
 * @returns the code to run in softirq context
 */
export function* netRxAction(host: Net, cpu: Cpu): Work {
  const sd = host.softnetData[cpu.id];
  const usecs = host.sysctl["net.core.netdev_budget_usecs"];
  const timeLimit = host.softirqs.jiffies + host.usecsToJiffies(usecs);
  let budget = host.sysctl["net.core.netdev_budget"];
  const repoll: Napi[] = [];
  let list: Napi[] = [];
  for (;;) {
    sd.inNetRxAction = true;
    list = sd.splicePollList();
    let squeezed = false;
    while (list.length > 0) {
      const n = takeFirst(list)!;
      const polled = napiPollBegin(host, cpu, n);
      budget -= napiPollEnd(host, cpu, n, polled, polled ? yield* n.poll(n, n.weight) : 0, repoll);
      if (budget <= 0 || host.softirqs.jiffies >= timeLimit) {
        sd.timeSqueeze++;
        squeezed = true;
        break;
      }
    }
    if (!squeezed && repoll.length === 0) {
      sd.inNetRxAction = false;
      if (sd.pollList.length > 0) continue; // ____napi_schedule() refilled it meanwhile
      if (sd.rpsIpiList.length === 0) return;
    }
    break;
  }
  sd.pollList = [...list, ...sd.pollList, ...repoll];
  emptyArray(list);
  if (sd.pollList.length > 0) host.softirqs.__raiseSoftirqIrqoff(cpu, NET_RX_SOFTIRQ);
  else sd.inNetRxAction = false;
  netRpsActionAndIrqEnable(host, cpu);
}

/**
 * The NET_TX softirq handler, net_tx_action(): frees the skbs hard interrupt context queued on
 * completion_queue (dev_kfree_skb_irq()), then runs each qdisc on output_queue — put there by
 * __netif_schedule() when a qdisc used its quota, a driver woke its queue, or a shaper's
 * watchdog fired.
 * @param host the host
 * @param cpu the CPU
 * @returns the code to run in softirq context
 */
export function* netTxAction(host: Net, cpu: Cpu): Work {
  const sd = host.softnetData[cpu.id];
  const done = sd.completionQueue;
  sd.completionQueue = [];
  for (const skb of done) consumeSkb(host.sim, skb, "net_tx_action");
  const head = sd.outputQueue;
  sd.outputQueue = [];
  for (const q of head) {
    q.scheduled = false;
    // a locked qdisc runs under its root lock
    if (q.nolock) qdiscRun(host, cpu, q);
    else host.sim.holding(cpu, { preempt: 1 }, () => qdiscRun(host, cpu, q));
  }
  yield 0;
}

/**
 * Initialises the core of the network stack, as net_dev_init() (a subsys_initcall): the
 * ptype_base buckets, a softnet_data per CPU, the loopback device, and the NET_TX and NET_RX
 * softirq handlers.
 * @param host the host being booted
 */
export function netDevInit(host: Net): void {
  host.sim.enterFn(host.bootCpu, "net_dev_init");
  host.ptype = newPtypeTables();
  host.softnetData = host.sim.cpus.map((c) => new SoftnetData(c.id));
  // register_pernet_device(&loopback_net_ops): lo is always the first device, ifindex 1.
  const lo = new NetDevice({
    name: "lo",
    ifindex: 1,
    mtu: 65536,
    devAddr: new Uint8Array(6),
    loopback: true,
  });
  lo.noQueue = true; // loopback_setup(): IFF_NO_QUEUE, and lltx
  lo.lltx = true;
  host.registerNetdevice(lo);
  // The backlog NAPI belongs to no device; the kit hangs it on lo, which it never polls.
  for (const sd of host.softnetData) sd.backlog = backlogNapi(host, sd, lo);
  host.applyFlowLimit();
  host.softirqs.openSoftirq(NET_TX_SOFTIRQ, {
    name: "net_tx_action",
    action: (c) => netTxAction(host, c),
  });
  host.softirqs.openSoftirq(NET_RX_SOFTIRQ, {
    name: "net_rx_action",
    action: (c) => netRxAction(host, c),
  });
  host.sim.exitFn(host.bootCpu, "net_dev_init");
}
