// The transmit files of /sys/class/net: a virtio-net NIC's byte_queue_limits read as this
// machine's own virtio_net eth0 on Linux 6.18 reads them (tests/golden/linux-6.18/
// virtio_bql_sysfs.json), writes as net-sysfs.c's store functions take them, and no BQL files
// for devices that do not use BQL (netdev_uses_bql(): LLTX or IFF_NO_QUEUE).
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { VirtioNet } from "../../lib/drivers/virtio_net.ts";
import { Veth } from "../../lib/drivers/veth.ts";
import { sysfsRead, sysfsWrite } from "../../lib/proc/sysfs.ts";

const recorded = JSON.parse(
  Deno.readTextFileSync(new URL("../golden/linux-6.18/virtio_bql_sysfs.json", import.meta.url)),
);
const BQL = "/sys/class/net/eth0/queues/tx-0/byte_queue_limits";

Deno.test("a virtio NIC's byte_queue_limits read as a 6.18 virtio_net device's do", () => {
  const host = createHost();
  new VirtioNet(host, { name: "eth0" });
  for (const [file, text] of Object.entries(recorded.files)) {
    assert.equal(sysfsRead(host, `${BQL}/${file}`), text, file);
  }
  assert.equal(sysfsRead(host, "/sys/class/net/eth0/tx_queue_len"), recorded.tx_queue_len);
  assert.equal(sysfsRead(host, `${BQL}/limit`), "0\n");
  assert.equal(sysfsRead(host, `${BQL}/inflight`), "0\n");
});

Deno.test("byte_queue_limits take max, a number up to DQL_MAX_LIMIT, and hold_time in ms", () => {
  const host = createHost();
  const nic = new VirtioNet(host, { name: "eth0" });
  sysfsWrite(host, `${BQL}/limit_min`, "max");
  assert.equal(nic.dev.tx[0].dql.minLimit, 1879048192);
  sysfsWrite(host, `${BQL}/limit_max`, "30000\n");
  assert.equal(sysfsRead(host, `${BQL}/limit_max`), "30000\n");
  sysfsWrite(host, `${BQL}/hold_time`, "500");
  assert.equal(nic.dev.tx[0].dql.slackHoldTime, 125); // msecs_to_jiffies(500) at HZ 250
  assert.equal(sysfsRead(host, `${BQL}/hold_time`), "500\n");
  assert.throws(() => sysfsWrite(host, `${BQL}/limit_max`, "1879048193"), /Invalid argument/);
  assert.throws(() => sysfsWrite(host, `${BQL}/limit_max`, "-1"), /Invalid argument/);
  assert.throws(() => sysfsWrite(host, `${BQL}/inflight`, "1"), /not writable/);
});

Deno.test("veth and lo have no byte_queue_limits; xps_cpus only on a multiqueue device", () => {
  const host = createHost({ cpus: 2 });
  new Veth(host, "veth0", "02:00:00:00:00:0a");
  assert.throws(
    () => sysfsRead(host, "/sys/class/net/veth0/queues/tx-0/byte_queue_limits/limit"),
    /No such file/,
  );
  assert.throws(
    () => sysfsRead(host, "/sys/class/net/lo/queues/tx-0/byte_queue_limits/limit"),
    /No such file/,
  );
  // a veth has a queue per possible CPU: multiqueue, so it has xps_cpus
  sysfsWrite(host, "/sys/class/net/veth0/queues/tx-1/xps_cpus", "1");
  assert.equal(sysfsRead(host, "/sys/class/net/veth0/queues/tx-1/xps_cpus"), "1\n");
  assert.throws(() => sysfsRead(host, "/sys/class/net/lo/queues/tx-0/xps_cpus"), /No such file/);
  assert.throws(() => sysfsRead(host, "/sys/class/net/veth0/queues/tx-7/xps_cpus"), /No such/);
});

Deno.test("xps_rxqs takes a mask of the device's receive queues: a higher bit is EOVERFLOW, a non-hex one EINVAL (as 6.18's bitmap_parse())", () => {
  const host = createHost({ cpus: 2 });
  new Veth(host, "qa", "02:00:00:00:00:0a", "qb", 2); // two receive queues: one per possible CPU
  const path = "/sys/class/net/qa/queues/tx-1/xps_rxqs";
  assert.equal(sysfsRead(host, path), "0\n");
  assert.throws(() => sysfsWrite(host, path, "4"), /Value too large/);
  assert.throws(() => sysfsWrite(host, path, "zz"), /Invalid argument/);
  sysfsWrite(host, path, "3");
  assert.equal(sysfsRead(host, path), "3\n");
  assert.throws(() => sysfsRead(host, "/sys/class/net/lo/queues/tx-0/xps_rxqs"), /No such file/);
});
