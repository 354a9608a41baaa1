// What tests hold the kit's tracepoint events to: the recordings of Linux 6.18 per frame
// (tests/golden/linux-6.18/trace/), and the kit's events for the same scenario and frames
// (`rxpath trace --nic veth --events`), both reduced to `event: body` with pointers and code
// offsets masked; softirq events of vectors other than NET_RX and NET_TX (timer, scheduler and
// RCU work that happened to run in the sender's context) are left out of the recording.
import { readPcap } from "../../lib/wire/pcap.ts";
import { loadScenario } from "../../lib/scenario/scenario.ts";
import { traceEvents } from "../../lib/scenario/trace.ts";
import { tracePipeLine, tracepointBody } from "../../lib/sim/tracepoints.ts";

const golden = new URL("../golden/linux-6.18/", import.meta.url).pathname;

/** The recorded cases, by name. */
export const TRACE_CASES: string[] = [...Deno.readDirSync(`${golden}trace`)]
  .filter((e) => e.name.endsWith(".txt")).map((e) => e.name.slice(0, -4)).sort();

// %p values and %pS offsets vary from boot to boot; so do jiffies (a neighbour's confirmed,
// updated and used), which count from the boot; neigh_create's primary_key6 is uninitialised
// and its entries machine-wide; a qdisc made without a handle gets the next of the machine's
// (qdisc_alloc_handle(): 8001: up)
function mask(body: string): string {
  return body.replace(/\b[0-9a-f]{16}\b/g, "PTR").replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+/g, "")
    .replace(/handle=0x8[0-9A-F]{3}0000/, "handle=AUTO")
    .replace(/confirmed \d+ updated \d+ used \d+/, "confirmed J updated J used J")
    // neigh_create records primary_key6 before the key is there: any bytes; and its entries
    // (tbl->gc_entries) counts arp_tbl, one table for every namespace of the machine
    .replace(/(neigh_create: .* primary_key6 )\S+/, "$1KEY6")
    .replace(/(neigh_create: .* entries )\d+/, "$1N");
}

const GW = / gw (\S+) err /;

/**
 * Whether a modelled event is the recorded one. fib_table_lookup leaves its gateway fields
 * unset for a nexthop without a gateway (nhc_gw_family 0), so they print whatever the ring
 * buffer held: where the kit's route has no gateway (0.0.0.0/::), any recorded gateway goes.
 * @param want the recorded line, masked
 * @param got the modelled line, masked
 * @returns true when they match
 */
export function sameEvent(want: string, got: string): boolean {
  if (want === got) return true;
  if (!got.includes(" fib_table_lookup: ") || GW.exec(got)?.[1] !== "0.0.0.0/::") return false;
  return want.replace(GW, " gw 0.0.0.0/:: err ") === got;
}

/**
 * The index of the first event where a frame's modelled events leave the recorded ones, or -1.
 * @param want recorded
 * @param got modelled
 * @returns the index, or -1 when all match
 */
export function firstDifference(want: string[], got: string[]): number {
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (i >= want.length || i >= got.length || !sameEvent(want[i], got[i])) return i;
  }
  return -1;
}

// trace_pipe's flags but need-resched (the scheduler's, which the kit does not model) and the
// migrate-disable depth: irqs and BHs off, hard or soft irq, the preempt count's depth.
function flags(f: string): string {
  return f[0] + f[2] + f[3];
}

const NET_VECTORS = /^softirq_(raise|entry|exit): vec=[23] /;

/**
 * The kernel's events for each frame of a case, as `event: body`, masked.
 * @param name the case
 * @returns per frame, the lines
 */
export function recorded(name: string): string[][] {
  const frames: string[][] = [];
  for (const line of Deno.readTextFileSync(`${golden}trace/${name}.txt`).split("\n")) {
    if (line.startsWith("# frame ")) frames.push([]);
    else if (line.trim()) {
      const m = /^.*?\[\d+\] (\S+) +[\d.]+: (\w+: .*)$/.exec(line);
      if (!m) throw new Error(`${name}: not a trace_pipe line: ${line}`);
      if (m[2].startsWith("softirq_") && !NET_VECTORS.test(m[2])) continue;
      frames.at(-1)!.push(`${flags(m[1])} ${mask(m[2])}`);
    }
  }
  return frames;
}

/**
 * The kit's events for each frame of a case, as `event: body`, masked.
 * @param name the case
 * @returns per frame, the lines
 */
export function modelled(name: string): string[][] {
  const scenario = loadScenario(JSON.parse(Deno.readTextFileSync(`${golden}replay/${name}.json`)));
  const records = readPcap(Deno.readFileSync(`${golden}replay/${name}.pcap`)).records;
  return traceEvents(scenario, records, { nic: "veth" }).map((run) =>
    run.events.filter((e) =>
      !e.event.startsWith("softirq_") || e.fields.vec === 2 || e.fields.vec === 3
    )
      .map((e) =>
        `${flags(/\] (\S+) /.exec(tracePipeLine(e))![1])} ${
          mask(`${e.event}: ${tracepointBody(e)}`)
        }`
      )
  );
}
