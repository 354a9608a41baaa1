// Models the qdisc side of net/sched/sch_api.c and dev_activate() of sch_generic.c (Linux
// 6.18): the default qdiscs a device gets when it opens, and `tc qdisc add|replace|del|show`
// as iproute2 sends them (qdisc_create(), qdisc_graft()) and prints them (tc_fill_qdisc()).

import type { Net } from "../core/net_namespace.ts";
import type { NetDevice, NetdevQueue } from "../core/netdevice.ts";
import { InputRangeError } from "../base/errors.ts";
import type { CtlStringTable } from "../core/sysctl_net.ts";
import { NoqueueQdisc, PfifoFastQdisc, type Qdisc, TC_H_ROOT } from "./sch_generic.ts";
import { FifoQdisc } from "./sch_fifo.ts";
import { TbfQdisc } from "./sch_tbf.ts";
import { MqQdisc } from "./sch_mq.ts";
import { type FqCodelOptions, FqCodelQdisc } from "./sch_fq_codel.ts";
import { formatSize, parseRate, parseSize, parseTime } from "./tc_units.ts";

// The qdiscs the kit registers (register_qdisc()): what net.core.default_qdisc may name
const REGISTERED_QDISCS = ["pfifo_fast", "pfifo", "bfifo", "tbf", "fq_codel", "mq", "noqueue"];

/**
 * net.core.default_qdisc (set_default_qdisc() → qdisc_set_default()): any registered qdisc may
 * be named, even one that cannot be made without options; a name not registered is ENOENT.
 * @param host the host
 * @returns the entry
 */
export function defaultQdiscSysctl(host: Net): CtlStringTable {
  return {
    procname: "net.core.default_qdisc",
    text: "pfifo_fast",
    source: "net/core/sysctl_net_core.c:set_default_qdisc",
    read: () => host.defaultQdisc,
    write: (value: string) => {
      if (!REGISTERED_QDISCS.includes(value)) {
        throw new InputRangeError(
          `sysctl: setting key "net.core.default_qdisc": No such file or directory (no qdisc ` +
            `${JSON.stringify(value)}; the kit has ${REGISTERED_QDISCS.join(", ")})`,
        );
      }
      host.defaultQdisc = value;
    },
  };
}

// qdisc_create_dflt(): a qdisc of a kind with no options, or null where its init fails: tbf
// needs a rate (tbf_init(): -EINVAL), mq works only at the root of a multiqueue device
function qdiscCreateDflt(
  host: Net,
  dev: NetDevice,
  txq: NetdevQueue,
  kind: string,
  parent: number,
): Qdisc | null {
  if (kind === "tbf") return null;
  if (kind === "mq") {
    if (parent !== TC_H_ROOT || dev.numTxQueues < 2) return null;
    const mq = new MqQdisc(dev);
    return mqAttachChildren(host, dev, mq) ? mq : null;
  }
  const q = makeQdisc(host, dev, txq, [kind]);
  q.parent = parent;
  return q;
}

// mq_init(): a default qdisc for every transmit queue (get_default_qdisc_ops(): the default for
// the queues in use, pfifo_fast beyond them), parent mq's major and the queue's number; the ones
// in use go in the qdisc hash (mq_attach()). False when one cannot be made
function mqAttachChildren(host: Net, dev: NetDevice, mq: MqQdisc): boolean {
  const children: Qdisc[] = [];
  for (const [i, txq] of dev.tx.entries()) {
    const kind = i < dev.realNumTxQueues ? host.defaultQdisc : "pfifo_fast";
    const c = qdiscCreateDflt(host, dev, txq, kind, (mq.handle | (i + 1)) >>> 0);
    if (!c) return false;
    children.push(c);
  }
  dev.qdiscHash = [];
  children.forEach((c, i) => {
    c.oneTxQueue = true;
    dev.tx[i].qdisc = dev.tx[i].qdiscSleeping = c;
    if (i < dev.realNumTxQueues) dev.qdiscHash.push(c);
  });
  return true;
}

/**
 * attach_default_qdiscs(): a single-queue device (or an IFF_NO_QUEUE one) gets a default qdisc
 * (net.core.default_qdisc; noqueue on an IFF_NO_QUEUE device) on each queue, root of the device
 * (ONETXQUEUE on a single queue); a multiqueue device gets mq, with a default qdisc per queue
 * (parent :1, :2, …). When the default cannot be made, the device falls back to noqueue
 * ("default qdisc (%s) fail, fallback to noqueue").
 * @param host the host, for net.core.default_qdisc
 * @param dev the device, its transmit queues made
 */
export function attachDefaultQdiscs(host: Net, dev: NetDevice): void {
  const multiqueue = dev.numTxQueues > 1;
  dev.qdiscHash = [];
  const attachEach = (kind: string) => {
    for (const txq of dev.tx) {
      const q = qdiscCreateDflt(host, dev, txq, kind, TC_H_ROOT);
      if (!q) return false;
      if (!multiqueue) q.oneTxQueue = true;
      q.refcnt = 2; // the queue's and the device's
      txq.qdisc = txq.qdiscSleeping = q;
    }
    dev.qdisc = dev.tx[0].qdisc;
    return true;
  };
  let attached: boolean;
  if (!multiqueue || dev.noQueue) {
    attached = attachEach(dev.noQueue ? "noqueue" : host.defaultQdisc);
  } else {
    const mq = new MqQdisc(dev);
    attached = mqAttachChildren(host, dev, mq);
    if (attached) dev.qdisc = mq;
  }
  if (!attached) attachEach("noqueue");
}

/**
 * dev_activate(): a device that opens gets its default qdiscs (attach_default_qdiscs()).
 * @param host the host
 * @param dev the device, its transmit queues made
 */
export function devActivate(host: Net, dev: NetDevice): void {
  host.sim.traced(host.bootCpu, "dev_activate", () => attachDefaultQdiscs(host, dev));
}

// tc_get_qdisc's handle syntax: "1:", "1:0", "ffff:"; 0 for none
function parseHandle(text: string, what: string): number {
  const m = /^([0-9a-f]{1,4}):([0-9a-f]{0,4})$/i.exec(text);
  if (!m) throw new InputRangeError(`tc: invalid ${what} ${JSON.stringify(text)}`);
  return ((parseInt(m[1], 16) << 16) | (m[2] ? parseInt(m[2], 16) : 0)) >>> 0;
}

function formatHandle(h: number): string {
  return `${(h >>> 16).toString(16)}:`;
}

function formatParent(h: number): string {
  const maj = h >>> 16;
  return `${maj ? maj.toString(16) : ""}:${(h & 0xffff).toString(16)}`;
}

/** A qdisc as tc's arguments describe it, its options read (tc/q_*.c), before it is made. */
export type QdiscSpec =
  | { kind: "pfifo_fast" | "noqueue" | "mq" }
  | { kind: "pfifo" | "bfifo"; limit?: number }
  | { kind: "fq_codel" } & FqCodelOptions
  | {
    kind: "tbf";
    rate: number;
    burst: number;
    limit: number;
    peakrate?: number;
    mtu?: number;
  };

/**
 * Reads a qdisc's kind and options as tc does: `pfifo_fast`, `noqueue`, `mq`, `pfifo [limit
 * N]`, `bfifo [limit SIZE]`, `tbf rate RATE burst SIZE (limit SIZE | latency TIME)`.
 * @param args the kind and its options, such as ["tbf", "rate", "1mbit", "burst", "3000", "limit", "6000"]
 * @returns the qdisc's settings
 * @throws {RangeError} naming an unknown kind, an unknown or missing option, or a bad value
 */
export function parseQdiscArgs(args: string[]): QdiscSpec {
  const [kind, ...all] = args;
  if (!kind) throw new InputRangeError(`tc: the qdisc kind is missing`);
  // fq_codel's ecn and noecn stand alone; every other option takes a value
  const flags: string[] = kind === "fq_codel"
    ? all.filter((x) => x === "ecn" || x === "noecn")
    : [];
  const opts = all.filter((x) => !flags.includes(x));
  const o: Record<string, string> = {};
  for (let i = 0; i < opts.length; i += 2) {
    if (opts[i + 1] === undefined) {
      throw new InputRangeError(`tc: ${kind}: "${opts[i]}" needs a value`);
    }
    o[opts[i]] = opts[i + 1];
  }
  const allow = (names: string[]) => {
    for (const k of Object.keys(o)) {
      if (!names.includes(k)) throw new InputRangeError(`tc: ${kind}: unknown option "${k}"`);
    }
  };
  switch (kind) {
    case "pfifo_fast":
    case "noqueue":
    case "mq":
      allow([]);
      return { kind };
    case "pfifo":
    case "bfifo": {
      allow(["limit"]);
      if (o.limit === undefined) return { kind };
      const limit = kind === "pfifo" ? Number(o.limit) : parseSize(o.limit);
      if (!(Number.isInteger(limit) && limit >= 0 && limit <= 0xffffffff)) {
        throw new InputRangeError(`tc: ${kind}: illegal limit ${JSON.stringify(o.limit)}`);
      }
      return { kind, limit };
    }
    case "fq_codel": {
      // tc/q_fq_codel.c: counts, times, sizes, and ecn / noecn
      allow(["limit", "flows", "target", "interval", "quantum", "memory_limit", "drop_batch"]);
      const count = (k: string) => {
        if (o[k] === undefined) return undefined;
        const n = Number(o[k]);
        if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) {
          throw new InputRangeError(`tc: fq_codel: illegal ${k} ${JSON.stringify(o[k])}`);
        }
        return n;
      };
      const flows = count("flows");
      if (flows !== undefined && flows > 65536) {
        throw new InputRangeError(`tc: fq_codel: flows ${flows} is over 65536 (EINVAL)`);
      }
      return {
        kind,
        limit: count("limit"),
        flows,
        quantum: count("quantum"),
        dropBatch: count("drop_batch"),
        target: o.target === undefined ? undefined : parseTime(o.target),
        interval: o.interval === undefined ? undefined : parseTime(o.interval),
        memoryLimit: o.memory_limit === undefined ? undefined : parseSize(o.memory_limit),
        ecn: flags.length ? flags[flags.length - 1] === "ecn" : undefined,
      };
    }
    case "tbf": {
      allow(["rate", "burst", "limit", "latency", "peakrate", "mtu", "minburst"]);
      for (const k of ["rate", "burst"]) {
        if (o[k] === undefined) throw new InputRangeError(`tc: tbf: "${k}" is required`);
      }
      if ((o.limit === undefined) === (o.latency === undefined)) {
        throw new InputRangeError(`tc: tbf: one of "limit" and "latency" is required`);
      }
      const rate = parseRate(o.rate);
      const burst = parseSize(o.burst);
      const mtuText = o.mtu ?? o.minburst;
      if ((o.peakrate === undefined) !== (mtuText === undefined)) {
        throw new InputRangeError(`tc: tbf: "peakrate" and "mtu" (or "minburst") go together`);
      }
      const peakrate = o.peakrate === undefined ? undefined : parseRate(o.peakrate);
      const mtu = mtuText === undefined ? undefined : parseSize(mtuText);
      // tbf_parse_opt(): a latency becomes the limit that many microseconds of rate hold, plus
      // the burst — or of the peak rate plus mtu, if that is less
      let limit = o.limit !== undefined ? parseSize(o.limit) : 0;
      if (o.latency !== undefined) {
        const latency = parseTime(o.latency) / 1e9;
        let lim = rate * latency + burst;
        if (peakrate !== undefined) lim = Math.min(lim, peakrate * latency + mtu!);
        limit = Math.trunc(lim) >>> 0;
      }
      return { kind, rate, burst, limit, peakrate, mtu };
    }
    default:
      throw new InputRangeError(
        `tc: qdisc kind "${kind}" is not modelled (pfifo_fast, fq_codel, pfifo, bfifo, tbf, mq, noqueue)`,
      );
  }
}

// qdisc_create(): the qdisc a spec describes, on a device's queue
function makeQdisc(host: Net, dev: NetDevice, txq: NetdevQueue, args: string[]): Qdisc {
  const spec = parseQdiscArgs(args);
  switch (spec.kind) {
    case "pfifo_fast":
      return new PfifoFastQdisc(dev, txq);
    case "noqueue":
      return new NoqueueQdisc(dev, txq);
    case "pfifo":
    case "bfifo":
      return new FifoQdisc(spec.kind, dev, txq, spec.limit);
    case "tbf":
      return new TbfQdisc(host, dev, txq, spec);
    case "fq_codel":
      return new FqCodelQdisc(dev, txq, spec);
    case "mq":
      if (dev.numTxQueues < 2) {
        throw new InputRangeError(`tc: mq on ${dev.name}: a single-queue device (EOPNOTSUPP)`);
      }
      return new MqQdisc(dev);
  }
}

/**
 * `tc qdisc add|replace|del|show` on a host: `dev D root|parent X:Y [handle H:] KIND [options]`
 * for pfifo_fast, fq_codel, pfifo, bfifo, tbf (rate, burst, limit or latency, peakrate), mq and
 * noqueue; `-s` before `qdisc`
 * shows the statistics. A child is grafted under a tbf root's class (X:1) or one of an mq
 * root's queues (X:N).
 * @param host the host
 * @param command the arguments after `tc`, as one string or a list
 * @returns what tc prints (empty for a change)
 * @example
 * ```ts
 * import { createHost, registerEtherdev, tc } from "@rxpath/rxpath";
 * const host = createHost();
 * registerEtherdev(host, "eth0", "02:00:00:00:00:02");
 * tc(host, "qdisc replace dev eth0 root handle 1: tbf rate 1mbit burst 3000 limit 6000");
 * console.log(tc(host, "qdisc show dev eth0"));
 * // qdisc tbf 1: root refcnt 3 rate 1Mbit burst 3000b lat 24ms
 * ```
 */
export function tc(host: Net, command: string | string[]): string {
  const args = typeof command === "string" ? command.trim().split(/\s+/) : [...command];
  let stats = false;
  while (args[0]?.startsWith("-")) {
    const flag = args.shift()!;
    if (flag === "-s") stats = true;
    else throw new InputRangeError(`tc: option ${JSON.stringify(flag)} is not modelled`);
  }
  if (args.shift() !== "qdisc") throw new InputRangeError(`tc: only "tc qdisc" is modelled`);
  const verb = args.shift() ?? "show";
  const dev = (): NetDevice => {
    if (args[0] !== "dev") {
      throw new InputRangeError(`tc qdisc ${verb}: "dev NAME" must come first`);
    }
    args.shift();
    const name = args.shift();
    const d = host.devices.find((x) => x.name === name);
    if (!d) throw new InputRangeError(`tc: Cannot find device ${JSON.stringify(name)}`);
    return d;
  };
  if (verb === "show" || verb === "ls" || verb === "list") {
    if (args.length) return qdiscShow(dev(), stats);
    return host.devices.map((d) => qdiscShow(d, stats, true)).join("");
  }
  if (!["add", "replace", "change", "del", "delete"].includes(verb)) {
    throw new InputRangeError(`tc qdisc: unknown command "${verb}"`);
  }
  const d = dev();
  let parent: number;
  const where = args.shift();
  if (where === "root") parent = TC_H_ROOT;
  else if (where === "parent") parent = parseHandle(args.shift() ?? "", "parent");
  else throw new InputRangeError(`tc qdisc ${verb}: "root" or "parent X:Y" must follow the device`);
  let handle = 0;
  if (args[0] === "handle") {
    args.shift();
    handle = parseHandle(args.shift() ?? "", "handle");
  }
  if (verb === "del" || verb === "delete") {
    if (parent !== TC_H_ROOT) throw new InputRangeError(`tc qdisc del: only the root is modelled`);
    devActivate(host, d); // the default qdiscs again
    return "";
  }
  if (parent === TC_H_ROOT) {
    const q = makeQdisc(host, d, d.tx[0], args);
    q.handle = handle || host.nextQdiscHandle();
    q.refcnt = q instanceof MqQdisc ? 1 : 3; // qdisc_graft(): the queues' and the device's
    d.qdiscHash = []; // the old tree goes, and its qdiscs with it
    if (q instanceof MqQdisc) {
      if (!mqAttachChildren(host, d, q)) {
        // mq_init(): -ENOMEM when a queue's qdisc cannot be made
        throw new InputRangeError(
          `RTNETLINK answers: Cannot allocate memory (mq on ${d.name}: its queues' default ` +
            `qdisc, ${host.defaultQdisc}, cannot be made without options)`,
        );
      }
    } else {
      // qdisc_create(): ONETXQUEUE (bulk dequeue by BQL's byte budget) only where the device
      // has one queue at all; a veth has one per possible CPU
      q.oneTxQueue = d.numTxQueues === 1;
      for (const txq of d.tx) txq.qdisc = txq.qdiscSleeping = q;
    }
    d.qdisc = q;
    return "";
  }
  const owner = d.qdisc;
  const major = (parent & 0xffff0000) >>> 0;
  const minor = parent & 0xffff;
  if (owner instanceof MqQdisc && owner.handle === major && minor >= 1 && minor <= d.numTxQueues) {
    // mq_graft(): the queue's qdisc replaced, a lone-queue qdisc (ONETXQUEUE)
    const txq = d.tx[minor - 1];
    const child = makeQdisc(host, d, txq, args);
    child.handle = handle || host.nextQdiscHandle();
    child.parent = parent;
    child.oneTxQueue = true;
    hashReplace(d, txq.qdiscSleeping, child);
    txq.qdisc = txq.qdiscSleeping = child;
    return "";
  }
  if (!(owner instanceof TbfQdisc) || owner.handle !== major || minor !== 1) {
    throw new InputRangeError(
      `tc: parent ${
        formatParent(parent)
      } on ${d.name}: only a tbf root's class 1 or an mq root's ` +
        `queue can take a child`,
    );
  }
  const child = makeQdisc(host, d, d.tx[0], args);
  child.handle = handle || host.nextQdiscHandle();
  child.parent = parent;
  hashReplace(d, owner.childGrafted ? owner.child : null, child);
  child.parentQdisc = owner;
  owner.child = child;
  owner.childGrafted = true;
  return "";
}

// qdisc_hash_del() of the qdisc replaced, qdisc_hash_add() of the new one
function hashReplace(dev: NetDevice, old: Qdisc | null, q: Qdisc): void {
  if (old) dev.qdiscHash = dev.qdiscHash.filter((x) => x !== old);
  dev.qdiscHash.push(q);
}

// The qdisc hash's bucket of a handle (hash_min(): hash_32(handle, 4), 16 buckets)
function hashBucket(handle: number): number {
  return Math.imul(handle, 0x61c88647) >>> 28;
}

/**
 * What `tc [-s] qdisc show dev D` prints for one device: its root, then the qdiscs below it.
 * @param dev the device
 * @param stats with `-s`: sent, dropped, overlimits, requeues, backlog
 * @param named each line names the device (`dev NAME`), as `tc qdisc show` of every device does
 * @returns the text, one qdisc after another
 */
export function qdiscShow(dev: NetDevice, stats: boolean, named = false): string {
  const root = dev.qdisc;
  if (!root) return "";
  let out = "";
  // tc_dump_qdisc_root(): the root, then the hash's buckets in order, each newest first
  const listed = dev.qdiscHash.map((q, i) => ({ q, i }))
    .sort((a, b) => hashBucket(a.q.handle) - hashBucket(b.q.handle) || b.i - a.i)
    .map(({ q }) => q);
  for (const q of [root, ...listed]) {
    // tc prints a root's references only when not 1 (mq's are 1)
    const where = q !== root
      ? `parent ${formatParent(q.parent)}`
      : q.refcnt !== 1
      ? `root refcnt ${q.refcnt}`
      : "root";
    const opts = q.options();
    const name = named ? `dev ${dev.name} ` : "";
    out += `qdisc ${q.kind} ${formatHandle(q.handle)} ${name}${where} ${opts}`.replace(/ $/, "") +
      (opts.endsWith(" ") || !opts ? " " : "") + "\n";
    if (!stats) continue;
    const { bstats: b, qstats: s } = q.dumpStats();
    out +=
      ` Sent ${b.bytes} bytes ${b.packets} pkt (dropped ${s.drops}, overlimits ${s.overlimits} requeues ${s.requeues}) \n`;
    out += ` backlog ${formatSize(s.backlog)} ${s.qlen}p requeues ${s.requeues}\n`;
    out += q.xstats();
  }
  return out;
}
