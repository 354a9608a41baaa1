// The kit's `tc qdisc` prints what iproute2 6.1 prints on Linux 6.18 for the same commands on a
// veth (tests/golden/linux-6.18/tc_show.json, recorded by tests/oracle/record_tc.ts): rates,
// sizes and latencies in tc's units, references, handles and parents, the default qdiscs.
import assert from "node:assert/strict";
import { createHost } from "../../lib/init/main.ts";
import { Veth } from "../../lib/drivers/veth.ts";
import { tc } from "../../lib/sched/sch_api.ts";
import { devSetTxQueueLen } from "../../lib/core/dev.ts";
import { Tun } from "../../lib/drivers/tun.ts";

const steps: { cmd: string[]; show: string; stats: string }[] = JSON.parse(
  Deno.readTextFileSync(new URL("../golden/linux-6.18/tc_show.json", import.meta.url)),
);

Deno.test("tc qdisc show prints each qdisc as iproute2 does on Linux 6.18", async (t) => {
  const host = createHost({ cpus: 2 });
  const veth = new Veth(host, "qa", "02:00:00:00:00:0a");
  for (const step of steps) {
    await t.step(step.cmd.join(" ") || "a new veth: noqueue", () => {
      if (step.cmd[0] === "link") devSetTxQueueLen(host, veth.dev, Number(step.cmd[4]));
      else if (step.cmd.length) tc(host, step.cmd);
      assert.equal(tc(host, "qdisc show dev qa"), step.show);
      assert.equal(tc(host, "-s qdisc show dev qa"), step.stats);
    });
  }
});

Deno.test("tc refuses what it cannot do, naming it", () => {
  const host = createHost({ cpus: 2 });
  new Veth(host, "qa", "02:00:00:00:00:0a");
  assert.throws(
    () => tc(host, "qdisc replace dev qa root tbf rate 1mbit limit 3000"),
    /"burst" is required/,
  );
  assert.throws(
    () => tc(host, "qdisc replace dev qa root tbf rate 1mbit burst 10 limit 3000 latency 5ms"),
    /one of "limit" and "latency"/,
  );
  assert.throws(
    () => tc(host, "qdisc replace dev qa root tbf rate fast burst 10 limit 3000"),
    /illegal rate "fast"/,
  );
  assert.throws(() => tc(host, "qdisc replace dev nope root pfifo"), /Cannot find device "nope"/);
  assert.throws(() => tc(host, "qdisc replace dev qa root cake"), /"cake" is not modelled/);
  assert.throws(() => tc(host, "qdisc replace dev qa root fq_codel flows 70000"), /over 65536/);
  assert.throws(() => tc(host, "qdisc replace dev qa root fq_codel limit 0"), /illegal limit/);
  assert.throws(
    () => tc(host, "qdisc replace dev qa root fq_codel target"),
    /"target" needs a value/,
  );
  assert.throws(() => tc(host, "qdisc replace dev qa root pfifo limit"), /"limit" needs a value/);
  assert.throws(() => tc(host, "qdisc add dev qa parent 7:1 pfifo"), /only a tbf root's class/);
  // tbf_change(): a peak rate at or below the rate is EINVAL, as 6.18 answered
  assert.throws(
    () =>
      tc(
        host,
        "qdisc replace dev qa root tbf rate 1mbit burst 3000 limit 6000 peakrate 1mbit mtu 1600",
      ),
    /peakrate must be above rate \(EINVAL\)/,
  );
  assert.throws(
    () => tc(host, "qdisc replace dev qa root tbf rate 1mbit burst 3000 limit 6000 peakrate 2mbit"),
    /"peakrate" and "mtu"/,
  );
});

const defaults: {
  value: string;
  write: string;
  t0: string;
  t1: string;
  mq: string;
  t1mq: string;
}[] = JSON.parse(
  Deno.readTextFileSync(new URL("../golden/linux-6.18/default_qdisc.json", import.meta.url)),
);

Deno.test("net.core.default_qdisc picks each opening device's qdiscs, falling back to noqueue where it cannot be made, as on Linux 6.18", async (t) => {
  const host = createHost({ cpus: 2 });
  for (const step of defaults) {
    await t.step(step.value, () => {
      let write = "ok";
      try {
        host.setSysctl("net.core.default_qdisc", step.value);
      } catch (e) {
        write = (e as Error).message;
      }
      // the kit's message goes on to say which qdiscs it has
      assert.ok(write.startsWith(step.write), `${write} / ${step.write}`);
      const t0 = new Tun(host, `t0${step.value}`);
      const t1 = new Tun(host, `t1${step.value}`, true);
      const shown = (name: string) => tc(host, `qdisc show dev ${name}`);
      assert.equal(shown(t0.name), step.t0);
      assert.equal(shown(t1.name), step.t1);
      let mq = "ok";
      try {
        tc(host, `qdisc replace dev ${t1.name} root handle 1: mq`);
      } catch (e) {
        mq = (e as Error).message;
      }
      assert.ok(mq.startsWith(step.mq), `${mq} / ${step.mq}`);
      assert.equal(shown(t1.name), step.t1mq);
    });
  }
});

Deno.test("default_qdisc fq_codel, as distributions set it: mq's queues and a lone queue get fq_codel with handle 0, quantum the device's MTU and header (psched_mtu())", () => {
  const host = createHost({ sysctl: { "net.core.default_qdisc": "fq_codel" } });
  new Tun(host, "t1", true);
  const fq = "limit 10240p flows 1024 quantum 1500 target 5ms interval 100ms " +
    "memory_limit 32Mb ecn drop_batch 64 \n";
  assert.equal(
    tc(host, "qdisc show dev t1"),
    `qdisc mq 0: root \nqdisc fq_codel 0: parent :1 ${fq}`,
  );
  new Tun(host, "t0");
  assert.equal(tc(host, "qdisc show dev t0"), `qdisc fq_codel 0: root refcnt 2 ${fq}`);
});
