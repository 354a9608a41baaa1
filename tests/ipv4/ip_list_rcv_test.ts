// The IPv4 list path of net/ipv4/ip_input.c as 6.18 runs it for a batch from gro_normal_list():
// ip_list_rcv() checks every header first, ip_sublist_rcv() runs PRE_ROUTING over the run, and
// ip_list_rcv_finish() routes each packet — by the route hint when it can — before dst_input().
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { registerEtherdev } from "../../lib/core/netdevice.ts";
import { allocSkb, type SkBuff } from "../../lib/core/skbuff.ts";
import { ethTypeTrans } from "../../lib/ethernet/eth.ts";
import { netifReceiveSkbListInternal } from "../../lib/core/netif_receive.ts";
import { inetAddAddr } from "../../lib/ipv4/devinet.ts";
import { udpSocket } from "../../lib/ipv4/udp.ts";
import { nfRegisterNetHook } from "../../lib/netfilter/core.ts";
import { buildFrame } from "../../lib/wire/build.ts";
import { inAton } from "../../lib/wire/ipv4.ts";

const MAC = "02:00:00:00:00:02";

function setup() {
  const host = createHost({ trace: true });
  const dev = registerEtherdev(host, "eth0", MAC);
  inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
  inetAddAddr(host, dev, inAton("10.0.0.3"), 24);
  const sk = udpSocket(host, { addr: 0, port: 53 });
  const skb = (daddr: string, source: number, tos = 0, saddr = "10.0.0.1"): SkBuff => {
    const frame = buildFrame({
      eth: { dst: MAC },
      ipv4: { saddr, daddr, tos },
      udp: { source, dest: 53 },
    });
    const s = allocSkb(host.sim, frame, dev);
    s.protocol = ethTypeTrans(s, dev);
    return s;
  };
  const receive = (skbs: SkBuff[]) => {
    netifReceiveSkbListInternal(host, host.sim.cpus[0], skbs);
    return host.sim.trace.records.filter((r) => r.kind === "entry").map((r) => r.fn);
  };
  return { host, sk, skb, receive };
}

const count = (calls: string[], fn: string) => calls.filter((c) => c === fn).length;

Deno.test("ip_list_rcv checks every header of the batch before routing any packet", () => {
  const { sk, skb, receive } = setup();
  const calls = receive([skb("10.0.0.2", 1), skb("10.0.0.2", 2), skb("10.0.0.2", 3)]);
  const lastCore = calls.lastIndexOf("ip_rcv_core");
  assert.equal(count(calls, "ip_list_rcv"), 1);
  assert.equal(count(calls, "ip_rcv_core"), 3);
  assert.ok(lastCore < calls.indexOf("ip_sublist_rcv"));
  assert.ok(calls.lastIndexOf("ip_rcv_finish_core") < calls.indexOf("ip_local_deliver"));
  assert.equal(count(calls, "ip_rcv"), 0);
  assert.equal(sk.receiveQueue.length, 3);
});

Deno.test("packets after the first to the same destination take its route as a hint: one FIB lookup", () => {
  const { skb, receive } = setup();
  const calls = receive([skb("10.0.0.2", 1), skb("10.0.0.2", 2), skb("10.0.0.2", 3)]);
  assert.equal(count(calls, "ip_route_input_noref"), 1);
  assert.equal(count(calls, "fib_table_lookup"), 1);
  assert.equal(count(calls, "ip_route_use_hint"), 2);
  // a local route still has its source validated for every packet
  assert.equal(count(calls, "fib_validate_source"), 3);
});

Deno.test("the hint is the first packet of each new dst: a TOS change under the same dst keeps the old hint", () => {
  const { skb, receive } = setup();
  const calls = receive([
    skb("10.0.0.2", 1),
    skb("10.0.0.3", 2),
    skb("10.0.0.3", 3, 0x10),
    skb("10.0.0.3", 4, 0x10),
  ]);
  // 10.0.0.3 with TOS 0x10 matches no hint (10.0.0.3, TOS 0), and its lookup gives the dst it
  // already holds, so ip_list_rcv_finish() extracts no new hint: the fourth is looked up too
  assert.equal(count(calls, "ip_route_input_noref"), 4);
  assert.equal(count(calls, "ip_route_use_hint"), 0);
  const again = receive([skb("10.0.0.3", 5), skb("10.0.0.3", 6)]);
  assert.equal(count(again, "ip_route_use_hint"), 1);
});

Deno.test("a packet routed by the hint still has its source checked: 127.0.0.1 is IP_LOCALNET", () => {
  const { host, sk, skb, receive } = setup();
  const martian = skb("10.0.0.2", 2, 0, "127.0.0.1");
  const calls = receive([skb("10.0.0.2", 1), martian]);
  assert.equal(count(calls, "ip_route_use_hint"), 1);
  assert.equal(host.sim.ledger.fates.find((f) => f.skb === martian.id)?.reason, "IP_LOCALNET");
  assert.equal(sk.receiveQueue.length, 1);
});

Deno.test("a bad header is freed by ip_rcv_core and the rest of the batch goes on", () => {
  const { host, sk, skb, receive } = setup();
  const bad = skb("10.0.0.2", 2);
  bad.head[bad.data + 10] ^= 0xff; // header checksum
  receive([skb("10.0.0.2", 1), bad, skb("10.0.0.2", 3)]);
  assert.equal(host.sim.ledger.fates.find((f) => f.skb === bad.id)?.reason, "IP_CSUM");
  assert.equal(sk.receiveQueue.length, 2);
});

Deno.test("PRE_ROUTING hooks see the run through nf_hook_slow_list, which frees the dropped", () => {
  const { host, sk, skb, receive } = setup();
  const dropped = skb("10.0.0.2", 2);
  nfRegisterNetHook(host, {
    name: "drop_one",
    hook: "PRE_ROUTING",
    priority: 0,
    fn: (s) => s === dropped ? "NF_DROP" : "NF_ACCEPT",
  });
  const calls = receive([skb("10.0.0.2", 1), dropped, skb("10.0.0.2", 3)]);
  assert.equal(count(calls, "nf_hook_slow_list"), 1);
  assert.equal(count(calls, "nf_hook_slow"), 3);
  assert.equal(host.sim.ledger.fates.find((f) => f.skb === dropped.id)?.reason, "NETFILTER_DROP");
  assert.equal(sk.receiveQueue.length, 2);
});

Deno.test("without PRE_ROUTING hooks NF_HOOK_LIST calls nothing", () => {
  const { skb, receive } = setup();
  const calls = receive([skb("10.0.0.2", 1), skb("10.0.0.2", 2)]);
  assert.equal(count(calls, "nf_hook_slow_list"), 0);
});
