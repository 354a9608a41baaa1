// The neighbour subsystem and ARP held to Linux 6.18 (tests/golden/linux-6.18/neigh/, recorded
// by tests/oracle/record_neigh.ts): for each case the kit's host sends the same frames — ARP
// requests and replies byte for byte, IP packets but for the IP ID and header checksum (the
// kernel's IDs are random) — at the same times within one coarse timer-wheel bucket (a one-second
// timer fires up to 32 ms late on a 250 Hz kernel, by the wheel's phase), its neighbour table
// reads the same at every snapshot (`ip neigh`, and `ip -s neigh`: references, ages in seconds,
// probes), and its counters and NEIGH_* drops are the kernel's.
import assert from "node:assert/strict";
import { runNeighbours } from "../../lib/experiments/neigh.ts";
import { neighRun } from "../oracle/neigh_cases.ts";

const dir = new URL("../golden/linux-6.18/neigh/", import.meta.url).pathname;
const TOLERANCE_S = 0.04;

// an IPv4 frame's ID and header checksum zeroed
function masked(frame: string): string {
  if (frame.slice(24, 28) !== "0800") return frame;
  return frame.slice(0, 36) + "0000" + frame.slice(40, 48) + "0000" + frame.slice(52);
}

const REASONS: Record<string, string> = {
  resolved: "a reply waits in arp_queue for the ARP exchange; the next goes at once",
  unanswered:
    "three broadcast requests a second apart, then FAILED: held replies dropped NEIGH_FAILED, a host unreachable to self for each",
  queue_full: "unres_qlen_bytes keeps the newest replies that fit (truesize 832 each)",
  stale_delay_probe: "REACHABLE → STALE → DELAY on use → PROBE by unicast → REACHABLE",
  probe_fails: "PROBE sends ucast_solicit unicast requests, then FAILED",
  requests:
    "requests for us are answered and teach the asker (STALE); others, gratuitous ARP and unsolicited replies teach nothing",
  arp_ignore: "arp_ignore 8 answers no request and learns nothing from it",
  forward_unresolved:
    "a forward to a peer nobody answers for is held, then dropped with a host unreachable to its sender",
  no_solicit: "mcast_solicit 0 fails the entry at once, dropping the reply with no unreachable",
  gratuitous_update: "a gratuitous ARP replaces a resolved neighbour's MAC (STALE)",
  locktime:
    "a new MAC within locktime is ignored; after it a unicast reply replaces it, a broadcast one only stales it",
  request_new_mac: "a request from a known neighbour with a new MAC updates the entry (STALE)",
  unres_qlen: "unres_qlen counts packets of SKB_TRUESIZE(1514)",
  arp_accept: "arp_accept 1 makes entries from gratuitous ARP and unsolicited replies",
  announce_secondary: "arp_announce 0 solicits from the waiting packet's source address",
  announce_primary: "arp_announce 2 solicits from the device's primary address",
  announce_past_two: "arp_announce 3 acts as 0, the switch's default",
  arp_ignore_subnet: "arp_ignore 2 answers only askers in the target address's subnet",
  peer_asks_first:
    "a request from the peer being resolved answers the question: the held reply goes at once",
  unanswered_fast: "retrans_time_ms and mcast_solicit set the pace and number of requests",
  probe_resolicit:
    "PROBE sends ucast_solicit unicast requests, then mcast_resolicit broadcast ones",
  proxy_pvlan: "proxy_arp_pvlan answers for other hosts of the segment, not a host's self-probe",
  proxy_delayed:
    "a proxied broadcast request waits below proxy_delay, a unicast one is answered at once",
  gc_forced:
    "past gc_thresh2 and gc_thresh3 a new entry runs a forced collection of entries no timer holds; a full table drops the reply NEIGH_CREATEFAIL and answers no request",
  gc_forced_stale:
    "a forced collection takes a STALE entry updated 5 s ago, not a DELAY one or a newer STALE one, and runs at most every 5 s",
  gc_periodic:
    "past gc_thresh1 the periodic collection removes failed entries and ones unused for gc_stale_time",
};

// /proc/net/stat/arp_cache's columns a run is held to: the table serves every namespace, so the
// wire's own lookups count too (see tableLookups), and the periodic collection's runs depend on
// when the machine booted
const ARP_CACHE = [
  "allocs",
  "destroys",
  "hash_grows",
  "hits",
  "res_failed",
  "forced_gc_runs",
  "unresolved_discards",
  "table_fulls",
];

// the lookups the machine's table counts: the host's, and one by the wire namespace's
// arp_process() for each broadcast ARP request the host sent (a unicast one is OTHERHOST there)
function tableLookups(kit: { sent: { frame: string }[]; arpCache: Record<string, number> }) {
  const broadcasts = kit.sent.filter((s) =>
    s.frame.startsWith("ffffffffffff") &&
    s.frame.slice(24, 28) === "0806"
  );
  return kit.arpCache.lookups + broadcasts.length;
}

// the neigh tables' entries made and removed: the periodic collection walks the hash buckets,
// seeded at random, so removals that come together are compared as a set
function tableEvents(lines: string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  for (const l of [...lines, ""]) {
    if (l.startsWith("neigh_cleanup_and_release")) {
      run.push(l);
      continue;
    }
    out.push(...run.sort());
    run = [];
    if (l) out.push(l);
  }
  return out;
}

// a proxied broadcast request is answered after a delay drawn at random below proxy_delay (0.8 s)
const DRAWN_DELAY_S: Record<string, number> = { proxy_delayed: 0.8 };

const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".json"));
for (const file of names.sort()) {
  const name = file.slice(0, -5);
  const { case: c, kernel } = JSON.parse(Deno.readTextFileSync(`${dir}${file}`));
  Deno.test(`neighbours ${name}: ${REASONS[name]}, as on Linux 6.18`, () => {
    const kit = runNeighbours(neighRun(c));
    assert.deepEqual(
      kit.sent.map((s) => masked(s.frame)),
      kernel.sent.map((s: { frame: string }) => masked(s.frame)),
    );
    const tolerance = TOLERANCE_S + (DRAWN_DELAY_S[name] ?? 0);
    kit.sent.forEach((s, i) => {
      const want = kernel.sent[i].t;
      assert.ok(
        Math.abs(s.t - want) <= tolerance,
        `frame ${i} sent at ${s.t} s, kernel ${want} s`,
      );
    });
    // `ip neigh` lists a table's hash buckets in order, and the hash is seeded at random
    const sorted = (snaps: { t: number; lines: string[] }[]) =>
      snaps.map((x) => ({ t: x.t, lines: [...x.lines].sort() }));
    assert.deepEqual(sorted(kit.neigh), sorted(kernel.neigh));
    // an entry that went STALE when reachable_time ran out was updated at a time drawn at
    // random on each side (neigh_rand_reach_time()): its "updated" age is not compared
    const drawn = "net.ipv4.neigh.eth0.base_reachable_time_ms" in c.sysctl;
    const ages = (snaps: { t: number; lines: string[] }[]) =>
      sorted(snaps).map((x) => ({
        t: x.t,
        lines: x.lines.map((l) =>
          drawn && l.includes("STALE") ? l.replace(/\/\d+probes/, "/*probes") : l
        ),
      }));
    assert.deepEqual(ages(kit.stats), ages(kernel.stats), "ip -s neigh");
    // /proc/net/arp: the header, then the entries in the table's (random) hash order
    const table = (lines: string[]) => [lines[0], ...lines.slice(1).sort()];
    assert.deepEqual(table(kit.arp), table(kernel.arp), "/proc/net/arp");
    assert.deepEqual(kit.counters, kernel.counters);
    assert.deepEqual(kit.drops, kernel.drops);
    if (kernel.table) {
      assert.deepEqual(tableEvents(kit.table), tableEvents(kernel.table), "neigh_create/cleanup");
      const pick = (c: Record<string, number>) => ARP_CACHE.map((k) => `${k} ${c[k]}`);
      assert.deepEqual(pick(kit.arpCache), pick(kernel.arp_cache), "/proc/net/stat/arp_cache");
      assert.equal(tableLookups(kit), kernel.arp_cache.lookups, "arp_cache lookups");
    }
  });
}
