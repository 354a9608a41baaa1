// The text of the kernel's tracepoints: each event's TP_printk as Linux 6.18 defines it
// (include/trace/events/{irq,net,napi,fib,icmp,skb,sock,udp,tcp,neigh}.h), and the line
// /sys/kernel/tracing/trace_pipe prints around it (kernel/trace/trace_output.c).

import type { TraceEvent } from "./trace.ts";

type Fields = Record<string, string | number>;

// %p: the kernel prints a hashed pointer, 32 bits of hash in a 64-bit wide field; the kit's
// pointers are object ids, hashed so that distinct objects look distinct.
function ptr(id: string | number): string {
  const n = Number(id);
  if (n === 0) return "0".repeat(16);
  return (Math.imul(n, 0x9e3779b1) >>> 0).toString(16).padStart(16, "0");
}

// %pS: symbol+offset/size; the kit has no code, so offset and size are zero.
function sym(fn: string | number): string {
  return `${fn}+0x0/0x0`;
}

// %X of an unsigned value: 0x and upper-case hex
const hexU = (v: string | number) => `0x${(Number(v) >>> 0).toString(16).toUpperCase()}`;
const hex4 = (v: string | number) => `0x${Number(v).toString(16).padStart(4, "0")}`;

const softirq = (f: Fields) => `vec=${f.vec} [action=${f.action}]`;
const netDevTemplate = (f: Fields) => `dev=${f.name} skbaddr=${ptr(f.skbaddr)} len=${f.len}`;

const hex2 = (v: string | number) => Number(v).toString(16).padStart(2, "0");

// The entry's fields both neigh tracepoint classes print first (include/trace/events/neigh.h)
const neighEntry = (f: Fields) =>
  `family ${f.family} dev ${f.dev} lladdr ${f.lladdr} flags ${
    hex2(f.flags)
  } nud_state ${f.nud_state} type ${
    hex2(f.type)
  } dead ${f.dead} refcnt ${f.refcnt} primary_key4 ${f.primary_key4} primary_key6 ::ffff:${f.primary_key4} confirmed ${f.confirmed} updated ${f.updated} used ${f.used}`;

// neigh__update's TP_printk: neigh_update_done and neigh_event_send_done
const neighUpdateDone = (f: Fields) => `${neighEntry(f)} err ${f.err}`;

/** Each event's TP_printk, from its fields. */
const TP_PRINTK: Record<string, (f: Fields) => string> = {
  softirq_raise: softirq,
  softirq_entry: softirq,
  softirq_exit: softirq,
  netif_rx: netDevTemplate,
  netif_receive_skb: netDevTemplate,
  net_dev_queue: netDevTemplate,
  net_dev_xmit: (f) => `dev=${f.name} skbaddr=${ptr(f.skbaddr)} len=${f.len} rc=${f.rc}`,
  net_dev_start_xmit: (f) =>
    `dev=${f.name} queue_mapping=${f.queue_mapping} skbaddr=${
      ptr(f.skbaddr)
    } vlan_tagged=${f.vlan_tagged} vlan_proto=${hex4(f.vlan_proto)} vlan_tci=${
      hex4(f.vlan_tci)
    } protocol=${
      hex4(f.protocol)
    } ip_summed=${f.ip_summed} len=${f.len} data_len=${f.data_len} network_offset=${f.network_offset} transport_offset_valid=${f.transport_offset_valid} transport_offset=${f.transport_offset} tx_flags=${f.tx_flags} gso_size=${f.gso_size} gso_segs=${f.gso_segs} gso_type=0x${
      Number(f.gso_type).toString(16)
    }`,
  // include/trace/events/qdisc.h
  qdisc_dequeue: (f) =>
    `dequeue ifindex=${f.ifindex} qdisc handle=${hexU(f.handle)} parent=${
      hexU(f.parent)
    } txq_state=${hexU(f.txq_state)} packets=${f.packets} skbaddr=${ptr(f.skbaddr)}`,
  qdisc_enqueue: (f) =>
    `enqueue ifindex=${f.ifindex} qdisc handle=${hexU(f.handle)} parent=${hexU(f.parent)} skbaddr=${
      ptr(f.skbaddr)
    }`,
  napi_poll: (f) =>
    `napi poll on napi struct ${
      ptr(f.napi)
    } for device ${f.dev_name} work ${f.work} budget ${f.budget}`,
  fib_table_lookup: (f) =>
    `table ${f.tb_id} oif ${f.oif} iif ${f.iif} proto ${f.proto} ${f.src}/${f.sport} -> ${f.dst}/${f.dport} tos ${f.tos} scope ${f.scope} flags ${
      Number(f.flags).toString(16)
    } ==> dev ${f.name} gw ${f.gw4}/${f.gw6} err ${f.err}`,
  // include/trace/events/neigh.h: %pI6c of the v4-mapped key for primary_key6
  neigh_create: (f) =>
    `family ${f.family} dev ${f.dev} entries ${f.entries} primary_key4 ${f.primary_key4} primary_key6 ::ffff:${f.primary_key4} created ${f.created} gc_exempt ${f.gc_exempt}`,
  neigh_update: (f) =>
    `${neighEntry(f)} new_lladdr ${f.new_lladdr} new_state ${f.new_state} update_flags ${
      hex2(f.update_flags)
    } pid ${f.pid}`,
  neigh_update_done: neighUpdateDone,
  neigh_event_send_done: neighUpdateDone,
  neigh_cleanup_and_release: neighUpdateDone,
  icmp_send: (f) =>
    `icmp_send: type=${f.type}, code=${f.code}. From ${f.saddr}:${f.sport} to ${f.daddr}:${f.dport} ulen=${f.ulen} skbaddr=${
      ptr(f.skbaddr)
    }`,
  kfree_skb: (f) =>
    `skbaddr=${ptr(f.skbaddr)} rx_sk=${ptr(f.rx_sk)} protocol=${f.protocol} location=${
      sym(f.location)
    } reason: ${f.reason}`,
  consume_skb: (f) => `skbaddr=${ptr(f.skbaddr)} location=${sym(f.location)}`,
  sock_rcvqueue_full: (f) =>
    `rmem_alloc=${f.rmem_alloc} truesize=${f.truesize} sk_rcvbuf=${f.sk_rcvbuf}`,
  udp_fail_queue_rcv_skb: (f) =>
    `rc=${f.rc} family=${f.family} src=${f.saddr}:${f.sport} dest=${f.daddr}:${f.dport}`,
  tcp_retransmit_synack: (f) =>
    `family=${f.family} sport=${f.sport} dport=${f.dport} saddr=${f.saddr} daddr=${f.daddr} saddrv6=::ffff:${f.saddr} daddrv6=::ffff:${f.daddr}`,
  tcp_send_reset: (f) =>
    `skbaddr=${ptr(f.skbaddr)} skaddr=${
      ptr(f.skaddr)
    } src=${f.saddr}:${f.sport} dest=${f.daddr}:${f.dport} state=${f.state} reason=${f.reason}`,
};

/**
 * The body of a tracepoint hit, as its TP_printk prints it in Linux 6.18.
 * @param e the event
 * @returns the text after `EVENT: `
 * @example
 * ```ts
 * import { tracepointBody } from "@rxpath/rxpath/sim";
 * const e = { t: 0, cpu: 0, ctx: "softirq" as const, task: "sender", bhOff: false, irqsOff: false, preemptDepth: 1, event: "softirq_entry", fields: { vec: 3, action: "NET_RX" } };
 * console.log(tracepointBody(e)); // "vec=3 [action=NET_RX]"
 * ```
 */
export function tracepointBody(e: TraceEvent): string {
  const print = TP_PRINTK[e.event];
  if (!print) throw new Error(`BUG: no TP_printk for tracepoint ${e.event}`);
  return print(e.fields);
}

/**
 * A tracepoint hit as one line of /sys/kernel/tracing/trace_pipe: `TASK-PID [CPU] FLAGS
 * SECONDS: EVENT: BODY`. The flags are irqs-off/BH-off, need-resched, hard/soft irq, preempt
 * depth and migrate-disable depth; the kit knows the context and whether BHs are off.
 * @param e the event
 * @param pid the task's PID to print (the kit's tasks have none; 1000 by default)
 * @returns the line
 * @example
 * ```ts
 * import { tracePipeLine } from "@rxpath/rxpath/sim";
 * const e = { t: 1_500_000, cpu: 0, ctx: "softirq" as const, task: "sender", bhOff: false, irqsOff: false, preemptDepth: 1, event: "softirq_exit", fields: { vec: 3, action: "NET_RX" } };
 * console.log(tracePipeLine(e, 100)); // "          sender-100     [000] ..s1.      0.001500: softirq_exit: vec=3 [action=NET_RX]"
 * ```
 */
export function tracePipeLine(e: TraceEvent, pid = 1000): string {
  // trace_print_lat_fmt(): 'd' irqs off ('D' with BHs off too), 'b' BHs off; 'h' hard irq,
  // 's' soft irq; the preempt count's depth in hex.
  const irqsOff = e.irqsOff ? (e.bhOff ? "D" : "d") : e.bhOff ? "b" : ".";
  const hardsoft = e.ctx === "hardirq" ? "h" : e.ctx === "softirq" ? "s" : ".";
  const depth = e.preemptDepth ? Math.min(e.preemptDepth, 15).toString(16) : ".";
  // trace_print_context(): "%16s-%-7d ", "[%03d] ", the flags, " %5lu.%06lu: "
  const head = `${e.task.padStart(16)}-${String(pid).padEnd(7)} [${
    String(e.cpu).padStart(3, "0")
  }]`;
  const secs = `${Math.floor(e.t / 1e9)}`.padStart(5);
  const usecs = `${Math.floor((e.t % 1e9) / 1e3)}`.padStart(6, "0");
  return `${head} ${irqsOff}.${hardsoft}${depth}.  ${secs}.${usecs}: ${e.event}: ${
    tracepointBody(e)
  }`;
}

// The tracepoint group each event is in (include/trace/events/<group>.h), as perf names it
const GROUP: Record<string, string> = {
  softirq_raise: "irq",
  softirq_entry: "irq",
  softirq_exit: "irq",
  netif_rx: "net",
  netif_receive_skb: "net",
  net_dev_queue: "net",
  net_dev_start_xmit: "net",
  net_dev_xmit: "net",
  qdisc_dequeue: "qdisc",
  qdisc_enqueue: "qdisc",
  napi_poll: "napi",
  fib_table_lookup: "fib",
  neigh_create: "neigh",
  neigh_update: "neigh",
  neigh_update_done: "neigh",
  neigh_event_send_done: "neigh",
  neigh_cleanup_and_release: "neigh",
  icmp_send: "icmp",
  kfree_skb: "skb",
  consume_skb: "skb",
  sock_rcvqueue_full: "sock",
  udp_fail_queue_rcv_skb: "udp",
  tcp_send_reset: "tcp",
  tcp_retransmit_synack: "tcp",
};

/**
 * A tracepoint hit as `perf script` prints what `perf record -e GROUP:EVENT` caught: `COMM PID
 * [CPU] SECONDS: GROUP:EVENT: BODY`, the idle task as `swapper` with PID 0.
 * @param e the event
 * @param pid the task's PID to print (the kit's tasks have none; 1000 by default)
 * @returns the line
 * @example
 * ```ts
 * import { perfScriptLine } from "@rxpath/rxpath/sim";
 * const e = { t: 2_000_123_000, cpu: 1, ctx: "softirq" as const, task: "<idle>", bhOff: false, irqsOff: false, preemptDepth: 1, event: "softirq_exit", fields: { vec: 3, action: "NET_RX" } };
 * console.log(perfScriptLine(e)); // "         swapper     0 [001]     2.000123: irq:softirq_exit: vec=3 [action=NET_RX]"
 * ```
 */
export function perfScriptLine(e: TraceEvent, pid = 1000): string {
  const idle = e.task === "<idle>";
  const comm = (idle ? "swapper" : e.task).padStart(16);
  const secs = `${Math.floor(e.t / 1e9)}`.padStart(5);
  const usecs = `${Math.floor((e.t % 1e9) / 1e3)}`.padStart(6, "0");
  const group = GROUP[e.event];
  if (!group) throw new Error(`BUG: no group for tracepoint ${e.event}`);
  // libtraceevent prints a %pS address as symbol+offset, without the size tracefs adds, and a
  // %p pointer raw, 0x-prefixed, NULL as (nil), where tracefs prints 16 hashed hex digits
  const body = tracepointBody(e)
    .replace(/(=\S+\+0x[0-9a-f]+)\/0x[0-9a-f]+/g, "$1")
    .replace(
      /([= ])([0-9a-f]{16})\b/g,
      (_, sep: string, p: string) =>
        `${sep}${/^0+$/.test(p) ? "(nil)" : `0x${p.replace(/^0+/, "")}`}`,
    );
  return `${comm} ${String(idle ? 0 : pid).padStart(5)} [${
    String(e.cpu).padStart(3, "0")
  }] ${secs}.${usecs}: ${group}:${e.event}: ${body}`;
}
