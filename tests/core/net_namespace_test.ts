// struct net and the netdev notifier chain: IPv4 learns of devices through it, as inetdev_event()
// and fib_netdev_event() do, and core never calls into IPv4.
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { registerEtherdev } from "../../lib/core/netdevice.ts";
import { devClose, devOpen, devSetMtu } from "../../lib/core/dev.ts";
import { inAton } from "../../lib/wire/ipv4.ts";
import { inDevGet, inetAddAddr } from "../../lib/ipv4/devinet.ts";
import { fibLookup } from "../../lib/ipv4/fib.ts";
import { ipRouteShow } from "../../lib/proc/route.ts";

Deno.test("a device registered after boot gets its in_device from NETDEV_REGISTER (inetdev_event)", () => {
  const host = createHost();
  const events: string[] = [];
  host.registerNetdeviceNotifier({ name: "log", call: (e, d) => events.push(`${e} ${d.name}`) });
  const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
  assert.ok(inDevGet(host, dev));
  assert.deepEqual(events, ["NETDEV_REGISTER eth0"]);
  assert.deepEqual(host.netdevChain.map((n) => n.name), [
    "inetdev_event",
    "fib_netdev_event",
    "log",
  ]);
});

Deno.test("lo, registered by net_dev_init() before inet_init(), is replayed to IPv4's notifiers", () => {
  const host = createHost();
  const lo = host.devices[0];
  assert.equal(lo.name, "lo");
  assert.deepEqual(inDevGet(host, lo)!.ifaList.map((a) => a.local), [inAton("127.0.0.1")]);
  assert.match(ipRouteShow(host, "local").text, /^local 127\.0\.0\.1 dev lo /m);
});

Deno.test("NETDEV_DOWN takes a device's routes away and NETDEV_UP brings them back (fib_disable_ip, fib_add_ifaddr)", () => {
  const host = createHost();
  const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
  inetAddAddr(host, dev, inAton("10.0.0.2"), 24);
  const before = ipRouteShow(host, "main").text + ipRouteShow(host, "local").text;
  devClose(host, dev);
  assert.equal(dev.up, false);
  assert.equal(fibLookup(host, inAton("10.0.0.9")), -101); // ENETUNREACH
  assert.doesNotMatch(ipRouteShow(host, "local").text, /eth0/);
  devOpen(host, dev);
  assert.equal(ipRouteShow(host, "main").text + ipRouteShow(host, "local").text, before);
  devClose(host, host.devices[0]);
  devOpen(host, host.devices[0]); // lo keeps its one 127.0.0.1, routes not doubled
  assert.equal(ipRouteShow(host, "main").text + ipRouteShow(host, "local").text, before);
});

Deno.test("devSetMtu() takes 68 to 65535 (dev_validate_mtu) and tells the chain NETDEV_CHANGEMTU", () => {
  const host = createHost();
  const dev = registerEtherdev(host, "eth0", "02:00:00:00:00:02");
  const events: string[] = [];
  host.registerNetdeviceNotifier({ name: "log", call: (e) => events.push(e) });
  assert.throws(() => devSetMtu(host, dev, 67), /MTU of eth0 to 67: must be from 68 to 65535/);
  assert.throws(() => devSetMtu(host, dev, 65536), RangeError);
  devSetMtu(host, dev, 9000);
  devSetMtu(host, dev, 9000);
  assert.equal(dev.mtu, 9000);
  assert.deepEqual(events, ["NETDEV_CHANGEMTU"]);
});
