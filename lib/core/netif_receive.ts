// Models the part of net/core/dev.c (Linux 6.18) between NAPI and the protocol handlers:
// netif_receive_skb_list_internal() with RPS and RFS (get_rps_cpu(), enqueue_to_backlog(), the
// flow limit, the IPIs of net_rps_action_and_irq_enable(), the backlog NAPI process_backlog()),
// and the L2 hand-off __netif_receive_skb_core(): taps, rx_handler, ptype_base, with the
// pt_prev deferral of deliver_skb().

import type { Net } from "./net_namespace.ts";
import type { Cpu, Work } from "../sim/cpu.ts";
import { NET_RX_SOFTIRQ } from "../kernel/softirq.ts";
import { raiseIrqTraced } from "../kernel/irq.ts";
import {
  ETH_P_8021AD,
  ETH_P_8021Q,
  ETH_P_ALL,
  ETH_P_IP,
  VLAN_HLEN,
  VlanHdr,
} from "../wire/ethernet.ts";
import { IpHdr, ipIsFragment, IPPROTO_TCP, IPPROTO_UDP, IPV4_HLEN } from "../wire/ipv4.ts";
import {
  type Napi,
  netifNapiAdd,
  type PacketType,
  PTYPE_HASH_MASK,
  type SoftnetData,
} from "./dev.ts";
import type { NetDevice } from "./netdevice.ts";
import { kfreeSkbReason, PACKET_OTHERHOST, type SkBuff } from "./skbuff.ts";

/** Entries in the flow limit's history (FLOW_LIMIT_HISTORY). */
export const FLOW_LIMIT_HISTORY = 128;

/** A CPU's flow limit state (struct sd_flow_limit). */
export interface SdFlowLimit {
  /** Drops it caused (flow_limit_count). */
  count: number;
  /** Buckets of recent packets, hash folded to the table length. */
  buckets: Uint8Array;
  /** The last FLOW_LIMIT_HISTORY buckets seen. */
  history: Uint32Array;
  /** Next history slot. */
  historyHead: number;
}

// reciprocal_scale(): maps a 32-bit value onto [0, len) with a multiply and a shift.
function reciprocalScale(val: number, len: number): number {
  return Math.floor(((val >>> 0) * len) / 0x1_0000_0000);
}

/**
 * The skb's flow hash, computing one in software if the NIC gave none, as skb_get_hash():
 * the kernel hashes the flow dissector's keys with siphash and a random per-boot key; the kit
 * uses a keyed hash seeded from the run's Rng, so a run is reproducible. A hash of 0 becomes 1.
 * @param host the host
 * @param skb the skb, network header set
 * @returns the hash
 */
export function skbGetHash(host: Net, skb: SkBuff): number {
  if (skb.hash || skb.swHash) return skb.hash;
  const h = skb.head;
  const nh = skb.networkHeader >= 0 ? skb.networkHeader : skb.data;
  let x = host.hashSecret;
  const mix = (v: number) => {
    x = Math.imul(x ^ v, 0x9e3779b1) >>> 0;
    x = (x ^ (x >>> 15)) >>> 0;
  };
  const mixBe32 = (v: number) =>
    [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].forEach(mix);
  if (skb.protocol === ETH_P_IP && skb.len >= IPV4_HLEN) {
    // the flow dissector's keys: addresses, protocol, and the ports of an unfragmented
    // TCP or UDP packet (__skb_flow_get_ports() reads them as one 32-bit word)
    const iph = new IpHdr(h, nh);
    mixBe32(iph.saddr);
    mixBe32(iph.daddr);
    mix(iph.protocol);
    const ihl = iph.ihl * 4;
    const l4 = iph.protocol === IPPROTO_TCP || iph.protocol === IPPROTO_UDP;
    if (l4 && !ipIsFragment(iph) && skb.len >= ihl + 4) {
      const p = nh + ihl;
      mixBe32(((h[p] << 24) | (h[p + 1] << 16) | (h[p + 2] << 8) | h[p + 3]) >>> 0);
      skb.l4Hash = true;
    }
  } else {
    mix(skb.protocol);
  }
  skb.hash = x || 1;
  skb.swHash = true;
  return skb.hash;
}

/**
 * The CPU whose backlog should take an skb, or -1 to handle it here, as get_rps_cpu(): with
 * neither rps_cpus nor a flow table on the skb's RX queue, or no hash, -1. With RFS (a global
 * sock flow table and the queue's flow table) the flow goes to the CPU its reader last ran on,
 * but moves only once every packet it queued on its old CPU has been dequeued (in-order
 * delivery). Otherwise RPS: rps_cpus[reciprocal_scale(hash, len)].
 * @param host the host
 * @param dev the receiving device
 * @param skb the skb
 * @returns the CPU and the flow table entry to record the queue tail in
 */
export function getRpsCpu(
  host: Net,
  dev: NetDevice,
  skb: SkBuff,
): { cpu: number; rflow: { cpu: number; lastQtail: number } | null } {
  const index = skb.queueMapping ? skb.queueMapping - 1 : 0;
  if (index >= dev.rx.length) return { cpu: -1, rflow: null };
  const rxq = dev.rx[index];
  if (!rxq.rpsFlowTable && rxq.rpsCpus.length === 0) return { cpu: -1, rflow: null };
  const hash = skbGetHash(host, skb);
  if (!hash) return { cpu: -1, rflow: null };
  const sockTable = host.rpsSockFlowTable;
  const ncpu = host.sim.cpus.length;
  if (rxq.rpsFlowTable && sockTable) {
    const ident = sockTable[hash & (sockTable.length - 1)];
    if (((ident ^ hash) & ~host.rpsCpuMask) === 0) {
      const nextCpu = ident & host.rpsCpuMask;
      const rflow = rxq.rpsFlowTable[hash & (rxq.rpsFlowTable.length - 1)];
      let tcpu = rflow.cpu;
      // Move only once every packet the flow queued on its old CPU has been dequeued.
      const drained = tcpu >= ncpu ||
        ((host.softnetData[tcpu].inputQueueHead - rflow.lastQtail) | 0) >= 0;
      if (tcpu !== nextCpu && drained) {
        tcpu = nextCpu;
        rflow.cpu = nextCpu; // set_rps_cpu()
        rflow.lastQtail = host.softnetData[nextCpu].inputQueueTail;
      }
      if (tcpu < ncpu) return { cpu: tcpu, rflow };
    }
  }
  if (rxq.rpsCpus.length > 0) {
    return { cpu: rxq.rpsCpus[reciprocalScale(hash, rxq.rpsCpus.length)], rflow: null };
  }
  return { cpu: -1, rflow: null };
}

/**
 * Records where a flow's reader runs, as sock_rps_record_flow() -> rps_record_sock_flow() does
 * on recvmsg: the sock flow table entry keeps the hash's high bits and the CPU.
 * @param host the host
 * @param hash the flow's hash
 * @param cpu the reader's CPU
 */
export function rpsRecordSockFlow(host: Net, hash: number, cpu: number): void {
  const table = host.rpsSockFlowTable;
  if (!table) return;
  const val = ((hash & ~host.rpsCpuMask) | cpu) >>> 0;
  if (table[hash & (table.length - 1)] !== val) table[hash & (table.length - 1)] = val;
}

// skb_flow_limit(): once the backlog is half full, a CPU with a flow limit table drops
// packets of any flow holding more than half of the last FLOW_LIMIT_HISTORY packets.
function skbFlowLimit(host: Net, cpu: Cpu, skb: SkBuff, qlen: number): boolean {
  if (qlen < host.sysctl["net.core.netdev_max_backlog"] >> 1) return false;
  const fl = host.softnetData[cpu.id].flowLimit;
  if (!fl) return false;
  const newFlow = skbGetHash(host, skb) & (fl.buckets.length - 1);
  const oldFlow = fl.history[fl.historyHead];
  fl.history[fl.historyHead] = newFlow;
  fl.historyHead = (fl.historyHead + 1) & (FLOW_LIMIT_HISTORY - 1);
  if (fl.buckets[oldFlow]) fl.buckets[oldFlow]--;
  if (++fl.buckets[newFlow] > FLOW_LIMIT_HISTORY >> 1) {
    fl.count++;
    return true;
  }
  return false;
}

/**
 * Queues an skb on a CPU's backlog (input_pkt_queue), as enqueue_to_backlog(): above
 * netdev_max_backlog, or past the flow limit, it is dropped (CPU_BACKLOG, counted in the target
 * CPU's softnet_stat `dropped` and the device's rx_dropped); a device that is down drops
 * DEV_READY. An empty queue gets its backlog NAPI scheduled: locally, or through an IPI that
 * net_rx_action() sends when it ends.
 * @param host the host
 * @param cpu the CPU doing the enqueueing
 * @param skb the skb
 * @param target the backlog's CPU
 * @param rflow an RFS flow entry to record the queue tail in, if any
 * @returns true when queued
 */
export function enqueueToBacklog(
  host: Net,
  cpu: Cpu,
  skb: SkBuff,
  target: number,
  rflow: { lastQtail: number } | null,
): boolean {
  host.sim.enterFn(cpu, "enqueue_to_backlog", skb.id);
  const sd = host.softnetData[target];
  const qlen = sd.inputPktQueue.length;
  const maxBacklog = host.sysctl["net.core.netdev_max_backlog"];
  let reason: "CPU_BACKLOG" | "DEV_READY" = "CPU_BACKLOG";
  if (qlen <= maxBacklog && !skbFlowLimit(host, cpu, skb, qlen)) {
    if (skb.dev && !(skb.dev as NetDevice).up) {
      reason = "DEV_READY";
    } else {
      if (qlen === 0 && !sd.backlog.state.sched) {
        sd.backlog.state.sched = true;
        // under backlog_lock_irq_save(): interrupts off, the backlog's spinlock held
        host.sim.holding(cpu, { irqsOff: 1, preempt: 1 }, () => napiScheduleRps(host, cpu, sd));
      }
      sd.inputPktQueue.queueTail(skb);
      sd.inputQueueTail++;
      if (rflow) rflow.lastQtail = sd.inputQueueTail;
      host.sim.exitFn(cpu, "enqueue_to_backlog", skb.id);
      return true;
    }
  }
  if (reason === "CPU_BACKLOG") sd.dropped++;
  if (skb.dev) (skb.dev as NetDevice).stats.rx_dropped++;
  kfreeSkbReason(host.sim, skb, reason, "enqueue_to_backlog");
  host.sim.exitFn(cpu, "enqueue_to_backlog", skb.id);
  return false;
}

// napi_schedule_rps(): a remote CPU's backlog is kicked by IPI, sent from
// net_rps_action_and_irq_enable(); the local one is scheduled at once.
function napiScheduleRps(host: Net, cpu: Cpu, sd: SoftnetData): void {
  const mysd = host.softnetData[cpu.id];
  if (sd !== mysd) {
    if (!mysd.rpsIpiList.includes(sd)) mysd.rpsIpiList.push(sd);
    if (!mysd.inNetRxAction) host.softirqs.__raiseSoftirqIrqoff(cpu, NET_RX_SOFTIRQ);
    return;
  }
  mysd.pollList.push(mysd.backlog);
  mysd.backlog.listOwner = cpu.id;
  if (!mysd.inNetRxAction) host.softirqs.raiseSoftirqIrqoff(cpu, NET_RX_SOFTIRQ);
}

/**
 * Sends the IPIs RPS has queued, as net_rps_action_and_irq_enable() -> net_rps_send_ipi():
 * each target CPU takes a function-call interrupt that runs rps_trigger_softirq(), which
 * schedules its backlog NAPI and counts received_rps.
 * @param host the host
 * @param cpu the sending CPU
 */
export function netRpsActionAndIrqEnable(host: Net, cpu: Cpu): void {
  const sd = host.softnetData[cpu.id];
  const targets = sd.rpsIpiList;
  sd.rpsIpiList = [];
  for (const remsd of targets) {
    const target = host.sim.cpus[remsd.cpu];
    host.sim.enterFn(cpu, "smp_call_function_single_async");
    host.sim.exitFn(cpu, "smp_call_function_single_async");
    raiseIrqTraced(host.sim, target, "CAL", CALL_FUNCTION_INTERRUPT, () => {
      host.irqs.callFunction[target.id]++;
      return rpsTriggerSoftirq(host, target, remsd);
    });
  }
}

// sysvec_call_function_single() → generic_smp_call_function_single_interrupt()
const CALL_FUNCTION_INTERRUPT: [string, string] = [
  "generic_smp_call_function_single_interrupt",
  "__flush_smp_call_function_queue",
];

// rps_trigger_softirq() on the target CPU: its backlog goes on its poll list and NET_RX is
// raised. One shared generator function: a new one per IPI would cost V8 a microsecond to start.
function* rpsTriggerSoftirq(host: Net, target: Cpu, remsd: SoftnetData): Work {
  host.sim.enterFn(target, "rps_trigger_softirq");
  yield host.sim.costs.ns.hardirq;
  remsd.pollList.push(remsd.backlog); // ____napi_schedule()
  remsd.backlog.listOwner = target.id;
  if (!remsd.inNetRxAction) host.softirqs.raiseSoftirqIrqoff(target, NET_RX_SOFTIRQ);
  remsd.receivedRps++;
  host.sim.exitFn(target, "rps_trigger_softirq");
}

/**
 * Makes a CPU's backlog NAPI (sd->backlog), whose poll is process_backlog().
 * @param host the host
 * @param sd the CPU's softnet_data
 * @param dev a device to hang the instance on (the backlog belongs to no real device)
 * @returns the instance
 */
export function backlogNapi(host: Net, sd: SoftnetData, dev: NetDevice): Napi {
  return netifNapiAdd(
    `backlog/${sd.cpu}`,
    dev,
    (n, quota) => processBacklog(host, sd, n, quota),
    host.sysctl["net.core.dev_weight"],
  );
}

/**
 * The backlog NAPI's poll, process_backlog(): sends pending IPIs first, then hands skbs from
 * process_queue to __netif_receive_skb(), refilling it from input_pkt_queue, until quota or
 * empty; an empty backlog completes itself.
 * @param host the host
 * @param sd the CPU's softnet_data
 * @param napi the backlog instance
 * @param quota the budget (dev_rx_weight)
 * @returns the code; its value is the work done
 */
export function* processBacklog(
  host: Net,
  sd: SoftnetData,
  napi: Napi,
  quota: number,
): Generator<number, number, void> {
  const cpu = host.sim.cpus[sd.cpu];
  host.sim.enterFn(cpu, "process_backlog");
  if (sd.rpsIpiList.length > 0) netRpsActionAndIrqEnable(host, cpu);
  napi.weight = host.sysctl["net.core.dev_weight"]; // dev_rx_weight = dev_weight * dev_weight_rx_bias (1)
  let work = 0;
  for (;;) {
    while (sd.processQueue.length > 0) {
      const skb = sd.processQueue.dequeue()!;
      __netifReceiveSkb(host, cpu, skb);
      // the CPU time __netif_receive_skb() charged runs before the next packet
      if (!cpu.spendNow(0)) yield 0;
      if (++work >= quota) {
        sd.inputQueueHead += work;
        host.sim.exitFn(cpu, "process_backlog");
        return work;
      }
    }
    if (sd.inputPktQueue.length === 0) {
      napi.state.sched = false; // an inline __napi_complete()
      break;
    }
    sd.processQueue.spliceTailInit(sd.inputPktQueue);
  }
  sd.inputQueueHead += work;
  host.sim.exitFn(cpu, "process_backlog");
  return work;
}

/**
 * The fields of the net_dev_template tracepoints (netif_rx, netif_receive_skb, net_dev_queue):
 * the device, the skb and its length from skb->data.
 * @param skb the skb
 * @returns the fields
 */
export function netDevTemplate(skb: SkBuff): Record<string, string | number> {
  return { name: skb.dev?.name ?? "", skbaddr: skb.id, len: skb.len };
}

/**
 * Queues an skb from a device without NAPI, as netif_rx() → netif_rx_internal(): to the CPU
 * RPS picks, else to this CPU's backlog; process_backlog() takes it from there.
 * @param host the host
 * @param cpu the CPU
 * @param skb the skb
 * @returns true when queued
 * @example
 * ```ts
 * import { allocSkb, buildFrame, createHost, ethTypeTrans, inAton, inetAddAddr, netifRx, registerEtherdev } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 4000, dest: 53 } });
 * const skb = allocSkb(host.sim, frame, dev);
 * skb.protocol = ethTypeTrans(skb, dev);
 * netifRx(host, host.sim.cpus[0], skb); // onto CPU 0's backlog; NET_RX raised
 * host.sim.run(1_000_000); // process_backlog() → __netif_receive_skb() → ip_rcv
 * console.log(host.softnetData[0].processed, host.sim.ledger.fates.find((f) => f.skb === skb.id)?.reason); // 1 "NO_SOCKET"
 * ```
 */
export function netifRx(host: Net, cpu: Cpu, skb: SkBuff): boolean {
  host.sim.enterFn(cpu, "netif_rx", skb.id);
  const queued = netifRxInternal(host, cpu, skb);
  host.sim.exitFn(cpu, "netif_rx", skb.id);
  return queued;
}

/**
 * Queues an skb for the stack from a context that has bottom halves off already, as
 * __netif_rx(): what veth does with the peer's skb.
 * @param host the host
 * @param cpu the CPU running the caller
 * @param skb the skb, protocol set
 * @returns false when the backlog dropped it
 */
export function __netifRx(host: Net, cpu: Cpu, skb: SkBuff): boolean {
  host.sim.enterFn(cpu, "__netif_rx", skb.id);
  const queued = netifRxInternal(host, cpu, skb);
  host.sim.exitFn(cpu, "__netif_rx", skb.id);
  return queued;
}

/**
 * Stamps an skb with the time now, as net_timestamp_check(): only while some socket wants receive
 * timestamps (netstamp_needed_key), only once, and only at the call point
 * net.core.netdev_tstamp_prequeue picks: with it set, netif_rx_internal() and
 * netif_receive_skb_list_internal(), before RPS queues the skb to another CPU's backlog;
 * without, __netif_receive_skb_core(), on the CPU that handles it.
 * @param host the host
 * @param cpu the CPU running now
 * @param prequeue true at the points before queueing, false in __netif_receive_skb_core()
 * @param skb the skb
 */
export function netTimestampCheck(host: Net, cpu: Cpu, prequeue: boolean, skb: SkBuff): void {
  if (host.netstampNeeded === 0 || skb.tstamp !== 0) return; // the static key is off
  if ((host.sysctl["net.core.netdev_tstamp_prequeue"] !== 0) === prequeue) {
    skb.tstamp = host.sim.now + cpu.pendingCharge; // ktime_get_real()
  }
}

// netif_rx_internal(): the timestamp if taken before queueing, RPS's choice of CPU, then
// enqueue_to_backlog().
function netifRxInternal(host: Net, cpu: Cpu, skb: SkBuff): boolean {
  host.sim.enterFn(cpu, "netif_rx_internal", skb.id);
  netTimestampCheck(host, cpu, true, skb);
  host.sim.tracepoint(cpu, "netif_rx", netDevTemplate, skb);
  host.rxTap?.(skb);
  let target = cpu.id;
  let rflow: { lastQtail: number } | null = null;
  if (host.rpsNeeded() && skb.dev) {
    const r = getRpsCpu(host, skb.dev as NetDevice, skb);
    if (r.cpu >= 0) ({ cpu: target, rflow } = r);
  }
  const queued = enqueueToBacklog(host, cpu, skb, target, rflow);
  host.sim.exitFn(cpu, "netif_rx_internal", skb.id);
  return queued;
}

/**
 * Takes a batch of skbs from GRO into the stack, netif_receive_skb_list_internal(): with RPS
 * configured, each skb get_rps_cpu() places goes to that CPU's backlog; the rest are handled
 * here and now.
 * @param host the host
 * @param cpu the CPU
 * @param skbs the batch
 * @example
 * ```ts
 * import { allocSkb, buildFrame, createHost, ethTypeTrans, inAton, inetAddAddr, netifReceiveSkbListInternal, registerEtherdev, udpSocket } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 4000, dest: 53 } });
 * const skb = allocSkb(host.sim, frame, dev);
 * skb.protocol = ethTypeTrans(skb, dev);
 * const sk = udpSocket(host, { addr: 0, port: 53 });
 * netifReceiveSkbListInternal(host, host.sim.cpus[0], [skb]); // what gro_normal_list() hands up
 * console.log(sk.receiveQueue.length); // 1
 * ```
 */
export function netifReceiveSkbListInternal(host: Net, cpu: Cpu, skbs: SkBuff[]): void {
  host.sim.enterFn(cpu, "netif_receive_skb_list_internal");
  const rps = host.rpsNeeded();
  // without RPS every skb stays here: the list goes on as it came
  const here: SkBuff[] = rps ? [] : skbs;
  for (const skb of skbs) {
    skb.groCb = null;
    netTimestampCheck(host, cpu, true, skb);
    host.rxTap?.(skb);
    if (!rps) continue;
    if (skb.dev) {
      const { cpu: target, rflow } = getRpsCpu(host, skb.dev as NetDevice, skb);
      if (target >= 0) {
        enqueueToBacklog(host, cpu, skb, target, rflow);
        continue;
      }
    }
    here.push(skb);
  }
  if (here.length) __netifReceiveSkbListCore(host, cpu, here);
  host.sim.exitFn(cpu, "netif_receive_skb_list_internal");
}

const isVlanType = (t: number) => t === ETH_P_8021Q || t === ETH_P_8021AD;

// skb_vlan_untag(): the 4-byte tag after the MAC addresses becomes skb->vlan_tci and the
// ethertype inside it the skb's protocol.
function skbVlanUntag(skb: SkBuff): void {
  if (skb.len < VLAN_HLEN) return;
  const vhdr = new VlanHdr(skb.head, skb.data);
  skb.vlanTci = vhdr.hVlanTci;
  skb.protocol = vhdr.hVlanEncapsulatedProto;
  skb.data += VLAN_HLEN;
  skb.len -= VLAN_HLEN;
  if (skb.macHeader >= 0) skb.macHeader += VLAN_HLEN;
}

/**
 * The list variant of the L2 hand-off, __netif_receive_skb_list_core(): each skb through
 * __netif_receive_skb_core(); consecutive skbs that picked the same handler from the same
 * device are gathered and handed on together by __netif_receive_skb_list_ptype() (inlined):
 * to the handler's list_func (ip_list_rcv() for IPv4), else to its func one skb at a time.
 * @param host the host
 * @param cpu the CPU
 * @param skbs the skbs, in order
 */
export function __netifReceiveSkbListCore(host: Net, cpu: Cpu, skbs: SkBuff[]): void {
  host.sim.enterFn(cpu, "__netif_receive_skb_list_core");
  let sublist: SkBuff[] = [];
  let ptCurr: PacketType | null = null;
  let odCurr: NetDevice | null = null;
  for (const skb of skbs) {
    const origDev = skb.dev as NetDevice;
    const ptPrev = __netifReceiveSkbCore(host, cpu, skb);
    if (!ptPrev) continue;
    if (ptPrev !== ptCurr || origDev !== odCurr) {
      netifReceiveSkbListPtype(host, cpu, sublist, ptCurr, odCurr);
      sublist = [];
      ptCurr = ptPrev;
      odCurr = origDev;
    }
    sublist.push(skb);
  }
  netifReceiveSkbListPtype(host, cpu, sublist, ptCurr, odCurr);
  host.sim.exitFn(cpu, "__netif_receive_skb_list_core");
}

// __netif_receive_skb_list_ptype() (inlined): one run to the handler's list_func, or skb by skb.
function netifReceiveSkbListPtype(
  host: Net,
  cpu: Cpu,
  skbs: SkBuff[],
  pt: PacketType | null,
  origDev: NetDevice | null,
): void {
  if (!pt || !origDev || skbs.length === 0) return;
  if (pt.listFunc) pt.listFunc(skbs, pt, origDev, cpu);
  else for (const skb of skbs) runHandler(host, cpu, pt, skb);
}

/**
 * One skb through __netif_receive_skb_core() and on to the handler it picked, as
 * __netif_receive_skb_one_core() (the list variant groups skbs by handler, with the same result).
 * @param host the host
 * @param cpu the CPU
 * @param skb the skb
 * @example
 * ```ts
 * import { __netifReceiveSkb, allocSkb, buildFrame, createHost, ethTypeTrans, inAton, inetAddAddr, registerEtherdev } from "@rxpath/rxpath";
 * const host = createHost();
 * const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
 * const frame = buildFrame({ eth: { dst: "02:00:00:00:00:02" }, ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" }, udp: { source: 4000, dest: 53 } });
 * const skb = allocSkb(host.sim, frame, dev);
 * skb.protocol = ethTypeTrans(skb, dev);
 * __netifReceiveSkb(host, host.sim.cpus[0], skb); // ptype_base: ETH_P_IP → ip_rcv
 * console.log(host.sim.ledger.fates.find((f) => f.skb === skb.id)?.reason); // "NO_SOCKET": no socket on port 53
 * ```
 */
export function __netifReceiveSkb(host: Net, cpu: Cpu, skb: SkBuff): void {
  host.sim.enterFn(cpu, "__netif_receive_skb", skb.id);
  host.sim.enterFn(cpu, "__netif_receive_skb_one_core", skb.id);
  const ptPrev = __netifReceiveSkbCore(host, cpu, skb);
  if (ptPrev) runHandler(host, cpu, ptPrev, skb);
  host.sim.exitFn(cpu, "__netif_receive_skb_one_core", skb.id);
  host.sim.exitFn(cpu, "__netif_receive_skb", skb.id);
}

function runHandler(host: Net, cpu: Cpu, pt: PacketType, skb: SkBuff): void {
  host.sim.enterFn(cpu, pt.name, skb.id);
  const work = pt.func(skb, skb.dev as NetDevice, pt, cpu);
  if (work) { for (const ns of work) cpu.chargeLater(ns); }
  host.sim.exitFn(cpu, pt.name, skb.id);
}

// Each handler of `list` (those for `type`, or all for -1) first delivers to the match before
// it (pt_prev); returns the last match, still to run.
function offer(
  host: Net,
  cpu: Cpu,
  skb: SkBuff,
  ptPrev: PacketType | null,
  list: PacketType[],
  type: number,
): PacketType | null {
  for (const pt of list) {
    if (type >= 0 && (pt.type !== type || pt.type === ETH_P_ALL)) continue;
    if (ptPrev) deliverSkb(host, cpu, skb, ptPrev);
    ptPrev = pt;
  }
  return ptPrev;
}

// deliver_skb(): one more reference, then the handler; the last match gets the skb itself.
function deliverSkb(host: Net, cpu: Cpu, skb: SkBuff, pt: PacketType): void {
  skb.users++;
  runHandler(host, cpu, pt, skb);
}

/**
 * The L2 hand-off, __netif_receive_skb_core(): count it (softnet_stat processed), show it to
 * every tap on ptype_all, then the device's own taps; let the device's rx_handler (a bridge)
 * take it or send it round again; then every handler for its ethertype in
 * ptype_base[type & 15] and the device's ptype_specific. Each match first delivers to the
 * previous one (pt_prev), so the last gets the skb without an extra reference. With no match
 * at all it is dropped: UNHANDLED_PROTO, counted as the device's rx_dropped (rx_nohandler
 * when the rx_handler asked for exact delivery).
 * @param host the host
 * @param cpu the CPU
 * @param skb the skb, MAC header pulled
 * @returns the handler that still has to run (pt_prev), or null when the skb is done
 */
export function __netifReceiveSkbCore(host: Net, cpu: Cpu, skb: SkBuff): PacketType | null {
  host.sim.enterFn(cpu, "__netif_receive_skb_core", skb.id);
  netTimestampCheck(host, cpu, false, skb);
  host.sim.tracepoint(cpu, "netif_receive_skb", netDevTemplate, skb);
  host.netifReceiveSkbTap?.(skb, cpu);
  cpu.chargeLater(host.sim.costs.ns.netifReceiveSkbCore);
  const origDev = skb.dev as NetDevice;
  let ptPrev: PacketType | null = null;
  let deliverExact = false;
  for (let round = 0;; round++) {
    if (round > 8) throw new Error(`BUG: rx_handler sent skb ${skb.id} round more than 8 times`);
    const dev = skb.dev as NetDevice;
    if (isVlanType(skb.protocol)) skbVlanUntag(skb);
    skb.networkHeader = skb.data;
    host.softnetData[cpu.id].processed++;
    ptPrev = offer(host, cpu, skb, ptPrev, host.ptype.all, -1);
    ptPrev = offer(host, cpu, skb, ptPrev, dev.ptypeAll, -1);
    if (!dev.rxHandler) break;
    if (ptPrev) {
      deliverSkb(host, cpu, skb, ptPrev);
      ptPrev = null;
    }
    const res = dev.rxHandler(skb, cpu);
    if (res === "RX_HANDLER_CONSUMED") {
      host.sim.exitFn(cpu, "__netif_receive_skb_core", skb.id);
      return null;
    }
    if (res === "RX_HANDLER_ANOTHER") continue;
    deliverExact = res === "RX_HANDLER_EXACT";
    break;
  }
  // No VLAN devices in the kit (vlan_do_receive() finds none): a frame tagged with a VLAN id is
  // for another host; a priority tag (id 0) is taken off, and one inside it looked at again.
  while (skb.vlanTci !== null) {
    if (skb.vlanTci & 0x0fff) {
      skb.pktType = PACKET_OTHERHOST;
      skb.vlanTci = null;
    } else if (isVlanType(skb.protocol)) {
      skbVlanUntag(skb);
      skb.networkHeader = skb.data;
    } else {
      skb.vlanTci = null;
    }
  }
  const type = skb.protocol;
  if (!deliverExact) {
    ptPrev = offer(host, cpu, skb, ptPrev, host.ptype.base[type & PTYPE_HASH_MASK], type);
  }
  ptPrev = offer(host, cpu, skb, ptPrev, origDev.ptypeSpecific, type);
  if (skb.dev !== origDev) {
    ptPrev = offer(host, cpu, skb, ptPrev, (skb.dev as NetDevice).ptypeSpecific, type);
  }
  if (!ptPrev) {
    const dev = skb.dev as NetDevice;
    if (deliverExact) dev.stats.rx_nohandler++;
    else dev.stats.rx_dropped++;
    // the 6.18 build's symbol is a constant-propagated clone
    kfreeSkbReason(host.sim, skb, "UNHANDLED_PROTO", "__netif_receive_skb_core.constprop.0");
  }
  host.sim.exitFn(cpu, "__netif_receive_skb_core", skb.id);
  return ptPrev;
}
