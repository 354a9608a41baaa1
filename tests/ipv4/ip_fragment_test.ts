// IPv4 reassembly's timer: inet_frag_create() arms a timer_list for ipfrag_time, which expires
// on its bucket of the timer wheel, not on the dot.
import assert from "node:assert/strict";
import {
  allocSkb,
  buildFrame,
  createHost,
  ethTypeTrans,
  inAton,
  inetAddAddr,
  netifRx,
  registerEtherdev,
} from "../../mod.ts";

Deno.test("ip_expire(): a queue made at jiffy 0 times out on its wheel bucket, 7680 jiffies (30.72 s at HZ 250), not at 30 s", () => {
  const host = createHost();
  const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
  inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
  const frame = buildFrame({
    eth: { dst: "02:00:00:00:00:02" },
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2", id: 7, fragOff: 0x2000 },
    udp: { source: 4000, dest: 53 },
    payload: 16,
  });
  const skb = allocSkb(host.sim, frame, dev);
  skb.protocol = ethTypeTrans(skb, dev);
  netifRx(host, host.sim.cpus[0], skb);
  // 7500 jiffies lands on level 3 (512 wide): calc_index() rounds it up to 15 * 512
  host.sim.run(30_719_000_000);
  assert.equal(host.ipv4.frags.size, 1);
  assert.equal(host.mib.ip.ReasmTimeout, 0);
  host.sim.run(30_721_000_000);
  assert.equal(host.ipv4.frags.size, 0);
  assert.equal(host.mib.ip.ReasmTimeout, 1);
  assert.equal(host.sim.ledger.fates.find((f) => f.skb === skb.id)?.reason, "FRAG_REASM_TIMEOUT");
});
