// The sysctl registry against the reference host: every entry a subsystem registers has the
// default a new 6.18 network namespace starts with (lib/scenario/sysctl_defaults.ts, read off a
// 6.18.44 host), and writes go through the entry's bounds and handler.
import assert from "node:assert/strict";
import { createHost, Host } from "../../lib/init/main.ts";
import {
  NET_SYSCTL_DEFAULTS,
  NET_SYSCTL_TEXT_DEFAULTS,
} from "../../lib/scenario/sysctl_defaults.ts";
import { sysctlTableLookup } from "../../lib/core/sysctl_net.ts";

Deno.test("every registered sysctl starts at the default a Linux 6.18 netns has", () => {
  const host = createHost();
  assert.ok(host.sysctlTables.length >= 20);
  for (const e of host.sysctlTables) {
    const want = "value" in e
      ? NET_SYSCTL_DEFAULTS[e.procname]
      : NET_SYSCTL_TEXT_DEFAULTS[e.procname];
    assert.equal("value" in e ? e.value : e.text, want, `${e.procname} (${e.source})`);
  }
});

Deno.test("net.core.default_qdisc takes a registered qdisc's name, and refuses another (ENOENT)", () => {
  const host = createHost();
  assert.equal(host.defaultQdisc, "pfifo_fast");
  host.setSysctl("net.core.default_qdisc", "fq_codel");
  assert.equal(host.defaultQdisc, "fq_codel");
  assert.throws(
    () => host.setSysctl("net.core.default_qdisc", "cake"),
    /No such file or directory/,
  );
  assert.throws(() => host.setSysctl("net.core.default_qdisc", 1), /takes a name/);
  assert.throws(() => host.setSysctl("net.core.netdev_budget", "300"), /takes a number/);
});

Deno.test("per-device entries answer for all, default and any device name, dots included", () => {
  const host = createHost();
  for (const which of ["all", "default", "lo", "eth0.100"]) {
    const found = sysctlTableLookup(host.sysctlTables, `net.ipv4.conf.${which}.rp_filter`);
    assert.equal(found?.dev, which);
  }
  assert.equal(sysctlTableLookup(host.sysctlTables, "net.ipv4.conf..rp_filter"), undefined);
  assert.equal(sysctlTableLookup(host.sysctlTables, "net.ipv4.conf.all.arp_notify"), undefined);
});

Deno.test("setSysctl() runs the entry's handler: ip_forward is conf.all.forwarding (inet_forward_change)", () => {
  const host = createHost({ sysctl: { "net.ipv4.ip_forward": 1 } });
  assert.equal(host.ipv4.devconfAll.forwarding, 1);
  assert.equal(host.ipv4.devconfDefault.forwarding, 1);
  host.setSysctl("net.ipv4.conf.all.forwarding", 0);
  assert.equal(host.sysctl["net.ipv4.ip_forward"], 0);
});

Deno.test("setSysctl() checks flow_limit_table_len is a power of two after its range", () => {
  const host = new Host();
  assert.throws(() => host.setSysctl("net.core.flow_limit_table_len", 0), /integer from 1/);
  assert.throws(() => host.setSysctl("net.core.flow_limit_table_len", 3), /power of two/);
  host.setSysctl("net.core.flow_limit_table_len", 8);
  assert.equal(host.sysctl["net.core.flow_limit_table_len"], 8);
});

Deno.test("setSysctl() names a device that does not exist", () => {
  assert.throws(
    () => createHost().setSysctl("net.ipv4.conf.eth9.rp_filter", 1),
    /net\.ipv4\.conf\.eth9\.rp_filter: no device eth9/,
  );
});

Deno.test("sysctlA() prints every registered entry as sysctl -a does, devices included", async () => {
  const { sysctlA } = await import("../../lib/proc/sysctl.ts");
  const host = createHost();
  host.setSysctl("net.ipv4.conf.lo.rp_filter", 2);
  const lines = sysctlA(host).text.trimEnd().split("\n");
  assert.ok(lines.includes("net.core.netdev_budget = 300"));
  assert.ok(lines.includes("net.ipv4.conf.lo.rp_filter = 2"));
  assert.ok(lines.includes("net.ipv4.conf.default.send_redirects = 1"));
  assert.deepEqual(lines, [...lines].sort());
});
