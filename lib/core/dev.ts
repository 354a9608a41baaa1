// Models net/core/dev.c (Linux 6.18): the packet_type tables (ptype_all, ptype_base) with
// dev_add_pack(), the per-CPU softnet_data, NAPI scheduling and polling (____napi_schedule,
// napi_poll, napi_complete_done), the NET_RX and NET_TX softirq handlers, and net_dev_init().
// GRO, RPS and the backlog NAPI come with later chapters.

import type { Cpu, Work } from "../sim/cpu.ts";
import type { Host } from "../host.ts";
import { NET_RX_SOFTIRQ, NET_TX_SOFTIRQ } from "../kernel/softirq.ts";
import { ETH_P_ALL } from "../wire/ethernet.ts";
import { NetDevice } from "./netdevice.ts";
import { consumeSkb, type SkBuff } from "./skbuff.ts";

/** Buckets of ptype_base (PTYPE_HASH_SIZE). */
export const PTYPE_HASH_SIZE = 16;
/** Mask selecting a ptype_base bucket from an ethertype (PTYPE_HASH_MASK). */
export const PTYPE_HASH_MASK = PTYPE_HASH_SIZE - 1;
/** Default NAPI weight of drivers (NAPI_POLL_WEIGHT). */
export const NAPI_POLL_WEIGHT = 64;

/** A protocol handler's code: takes the skb on; returns the CPU time it used via yields. */
export type PacketHandler = (skb: SkBuff, dev: NetDevice, pt: PacketType) => Work;

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

function ptypeHead(host: Host, pt: PacketType): PacketType[] {
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
export function devAddPack(host: Host, pt: PacketType): void {
  host.enterFn("dev_add_pack");
  ptypeHead(host, pt).unshift(pt);
  host.exitFn("dev_add_pack");
}

/**
 * Removes a registration, as dev_remove_pack().
 * @param host the host
 * @param pt the registration, as added
 * @throws {RangeError} when it was not registered
 */
export function devRemovePack(host: Host, pt: PacketType): void {
  const list = ptypeHead(host, pt);
  const i = list.indexOf(pt);
  if (i < 0) throw new RangeError(`Cannot remove packet type ${pt.name}: it is not registered`);
  list.splice(i, 1);
}

/** NAPI state bits that the kit models (NAPI_STATE_SCHED, NAPI_STATE_MISSED). */
export interface NapiState {
  /** Scheduled: on a poll list or being polled. */
  sched: boolean;
  /** Scheduled again while being polled: poll once more. */
  missed: boolean;
}

/** A NAPI instance (struct napi_struct). */
export interface Napi {
  /** Name for traces, such as `virtnet_poll` on `eth0-rx-0`. */
  name: string;
  /** Packets per poll (n->weight). */
  weight: number;
  /** State bits. */
  state: NapiState;
  /** The driver's poll function: yields CPU time, returns work done (at most budget). */
  poll: (napi: Napi, budget: number) => Generator<number, number, void>;
  /** Called when napi_complete_done() succeeds: the driver re-enables its interrupt. */
  onComplete?: () => void;
}

/** Per-CPU receive state (struct softnet_data) with the /proc/net/softnet_stat counters. */
export class SoftnetData {
  /** The CPU it belongs to. */
  readonly cpu: number;
  /** NAPI instances waiting to be polled (sd->poll_list). */
  pollList: Napi[] = [];
  /** True while net_rx_action() runs (sd->in_net_rx_action). */
  inNetRxAction = false;
  /** Packets taken off the backlog or handed up (processed). */
  processed = 0;
  /** Packets dropped at the backlog (dropped). */
  dropped = 0;
  /** net_rx_action() runs that ended with budget or time left over work (time_squeeze). */
  timeSqueeze = 0;
  /** RPS IPIs received (received_rps). */
  receivedRps = 0;
  /** Drops by the flow limit (flow_limit_count). */
  flowLimitCount = 0;
  /** The RPS backlog (input_pkt_queue). */
  inputPktQueue: SkBuff[] = [];
  /** The backlog being processed (process_queue). */
  processQueue: SkBuff[] = [];
  /** skbs freed from hard interrupt context, freed by net_tx_action (completion_queue). */
  completionQueue: SkBuff[] = [];

  /**
   * Makes the state of one CPU.
   * @param cpu the CPU id
   */
  constructor(cpu: number) {
    this.cpu = cpu;
  }
}

/**
 * Puts a NAPI instance on this CPU's poll list and raises NET_RX unless net_rx_action() is
 * already running here, as napi_schedule() -> ____napi_schedule(). If it is already
 * scheduled, only NAPI_STATE_MISSED is set (napi_schedule_prep()).
 * @param host the host
 * @param cpu the CPU the caller runs on
 * @param n the NAPI instance
 * @returns true when it was newly scheduled
 */
export function napiSchedule(host: Host, cpu: Cpu, n: Napi): boolean {
  if (n.state.sched) {
    n.state.missed = true;
    return false;
  }
  n.state.sched = true;
  const sd = host.softnetData[cpu.id];
  sd.pollList.push(n);
  if (!sd.inNetRxAction) host.softirqs.raiseSoftirqIrqoff(cpu, NET_RX_SOFTIRQ);
  return true;
}

/**
 * Ends a poll that did less than its budget, as napi_complete_done(): clears SCHED unless
 * MISSED was set, in which case the instance is polled again.
 * @param host the host
 * @param cpu the CPU
 * @param n the NAPI instance
 * @param _workDone packets the poll handled (used for GRO and IRQ deferral in later chapters)
 * @returns true when the driver may re-enable its interrupt
 */
export function napiCompleteDone(host: Host, cpu: Cpu, n: Napi, _workDone: number): boolean {
  if (!n.state.sched) throw new Error(`BUG: napi_complete_done on ${n.name} while not scheduled`);
  if (n.state.missed) {
    n.state.missed = false;
    n.state.sched = false;
    napiSchedule(host, cpu, n);
    return false;
  }
  n.state.sched = false;
  n.onComplete?.();
  return true;
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
  host: Host,
  cpu: Cpu,
  n: Napi,
  repoll: Napi[],
): Generator<number, number, void> {
  host.sim.enterFn(cpu, "napi_poll");
  const work = n.state.sched ? yield* n.poll(n, n.weight) : 0;
  if (work > n.weight) {
    throw new Error(`BUG: ${n.name} returned ${work}, exceeding its budget of ${n.weight}`);
  }
  if (work === n.weight) repoll.push(n);
  host.sim.exitFn(cpu, "napi_poll");
  return work;
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
export function* netRxAction(host: Host, cpu: Cpu): Work {
  const sd = host.softnetData[cpu.id];
  const usecs = host.sysctl["net.core.netdev_budget_usecs"];
  const timeLimit = host.softirqs.jiffies + host.usecsToJiffies(usecs);
  let budget = host.sysctl["net.core.netdev_budget"];
  const repoll: Napi[] = [];
  let list: Napi[] = [];
  for (;;) {
    sd.inNetRxAction = true;
    list = sd.pollList;
    sd.pollList = [];
    let squeezed = false;
    while (list.length > 0) {
      const n = list.shift()!;
      budget -= yield* napiPoll(host, cpu, n, repoll);
      if (budget <= 0 || host.softirqs.jiffies >= timeLimit) {
        sd.timeSqueeze++;
        squeezed = true;
        break;
      }
    }
    if (!squeezed && repoll.length === 0) {
      sd.inNetRxAction = false;
      if (sd.pollList.length > 0) continue; // ____napi_schedule() refilled it meanwhile
      return;
    }
    break;
  }
  sd.pollList = [...list, ...sd.pollList, ...repoll];
  if (sd.pollList.length > 0) host.softirqs.__raiseSoftirqIrqoff(cpu, NET_RX_SOFTIRQ);
  else sd.inNetRxAction = false;
}

/**
 * The NET_TX softirq handler, net_tx_action(), as far as the receive path needs it: frees the
 * skbs that hard interrupt context queued on completion_queue (dev_kfree_skb_irq()).
 * @param host the host
 * @param cpu the CPU
 * @returns the code to run in softirq context
 */
export function* netTxAction(host: Host, cpu: Cpu): Work {
  const sd = host.softnetData[cpu.id];
  const done = sd.completionQueue;
  sd.completionQueue = [];
  for (const skb of done) consumeSkb(host.sim, skb, "net_tx_action");
  yield 0;
}

/**
 * Initialises the core of the network stack, as net_dev_init() (a subsys_initcall): the
 * ptype_base buckets, a softnet_data per CPU, the loopback device, and the NET_TX and NET_RX
 * softirq handlers.
 * @param host the host being booted
 */
export function netDevInit(host: Host): void {
  host.enterFn("net_dev_init");
  host.ptype = newPtypeTables();
  host.softnetData = host.sim.cpus.map((c) => new SoftnetData(c.id));
  // register_pernet_device(&loopback_net_ops): lo is always the first device, ifindex 1.
  host.registerNetdevice(
    new NetDevice({
      name: "lo",
      ifindex: 1,
      mtu: 65536,
      devAddr: new Uint8Array(6),
      loopback: true,
    }),
  );
  host.softirqs.openSoftirq(NET_TX_SOFTIRQ, {
    name: "net_tx_action",
    action: (c) => netTxAction(host, c),
  });
  host.softirqs.openSoftirq(NET_RX_SOFTIRQ, {
    name: "net_rx_action",
    action: (c) => netRxAction(host, c),
  });
  host.exitFn("net_dev_init");
}
