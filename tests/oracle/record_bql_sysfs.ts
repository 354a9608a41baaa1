// Records the byte_queue_limits defaults of this machine's own virtio-net NIC (eth0's tx-0), the
// files that do not move with traffic: tests/golden/linux-6.18/virtio_bql_sysfs.json.
//   deno run -A tests/oracle/record_bql_sysfs.ts [DEV]
const dev = Deno.args[0] ?? "eth0";
const dir = `/sys/class/net/${dev}/queues/tx-0/byte_queue_limits`;
const files = ["limit_max", "limit_min", "hold_time", "stall_thrs", "stall_cnt", "stall_max"];
const driver = Deno.readLinkSync(`/sys/class/net/${dev}/device/driver`).split("/").pop();
const out = Object.fromEntries(files.map((f) => [f, Deno.readTextFileSync(`${dir}/${f}`)]));
Deno.writeTextFileSync(
  new URL("../golden/linux-6.18/virtio_bql_sysfs.json", import.meta.url).pathname,
  JSON.stringify(
    {
      driver,
      tx_queue_len: Deno.readTextFileSync(`/sys/class/net/${dev}/tx_queue_len`),
      files: out,
    },
    null,
    1,
  ) + "\n",
);
console.log(driver, out);
