// Models net/core/sysctl_net_core.c (Linux 6.18): the net.core.* sysctls the kit acts on, with
// the kernel's defaults and the bounds of their handlers.

import type { Net } from "./net_namespace.ts";
import { type CtlTable, INT_MAX, INT_MIN } from "./sysctl_net.ts";

const FILE = "net/core/sysctl_net_core.c";
const powerOfTwo = (v: number) => (v & (v - 1)) !== 0 ? "must be a power of two" : undefined;

/**
 * The net.core table (net_core_table), its handlers bound to one namespace.
 * @param net the namespace whose values the handlers change
 * @returns the entries, in the kernel's order
 */
export function netCoreSysctlTable(net: Net): CtlTable[] {
  const usecsMin = (2 * 1_000_000) / net.hz; // 2 jiffies: a 6.18 host at HZ 250 rejects 100
  return [
    // proc_dointvec: any int, even 0 or -1
    { procname: "net.core.netdev_budget", value: 300, min: INT_MIN, max: INT_MAX, source: FILE },
    {
      procname: "net.core.netdev_budget_usecs",
      value: usecsMin,
      min: usecsMin,
      max: INT_MAX,
      source: `${FILE} (extra1 = &netdev_budget_usecs_min)`,
    },
    { procname: "net.core.dev_weight", value: 64, min: 1, max: INT_MAX, source: FILE },
    // proc_do_dev_weight: dev_tx_weight = dev_weight * dev_weight_tx_bias, the qdisc quota
    {
      procname: "net.core.dev_weight_tx_bias",
      value: 1,
      min: 1,
      max: INT_MAX,
      source: FILE,
    },
    {
      procname: "net.core.netdev_max_backlog",
      value: 1000,
      min: INT_MIN,
      max: INT_MAX,
      source: FILE,
    },
    {
      procname: "net.core.gro_normal_batch",
      value: 8,
      min: 1, // proc_dointvec_minmax with SYSCTL_ONE
      max: INT_MAX,
      source: FILE,
    },
    {
      procname: "net.core.rps_sock_flow_entries",
      value: 0,
      min: 0,
      max: INT_MAX,
      source: `${FILE}:rps_sock_flow_sysctl`,
      // rounded up to a power of two, at most 2^29; 0 frees the table
      handler: (v) => {
        const size = v > 0 ? 2 ** Math.ceil(Math.log2(v)) : 0;
        net.rpsSockFlowTable = size ? new Uint32Array(size).fill(0xffffffff) : null;
      },
    },
    {
      procname: "net.core.flow_limit_cpu_bitmap",
      value: 0,
      min: 0,
      max: INT_MAX,
      source: `${FILE}:flow_limit_cpu_sysctl`,
      handler: () => net.applyFlowLimit(),
    },
    {
      procname: "net.core.flow_limit_table_len",
      value: 4096,
      min: 1,
      max: INT_MAX,
      source: `${FILE}:flow_limit_table_len_sysctl`,
      // the table is indexed with a mask, so only powers of two
      check: powerOfTwo,
      handler: () => net.applyFlowLimit(),
    },
    {
      procname: "net.core.rmem_default",
      value: 212992, // SKB_TRUESIZE(256) * 256 on x86-64 (net/core/sock.c)
      min: 2304, // SOCK_MIN_RCVBUF
      max: INT_MAX,
      source: FILE,
    },
    {
      procname: "net.core.wmem_default",
      value: 212992, // SK_WMEM_MAX, the same as rmem_default's (net/core/sock.c)
      min: 2304, // SOCK_MIN_SNDBUF / 2
      max: INT_MAX,
      source: FILE,
    },
    {
      procname: "net.core.rmem_max",
      value: 4194304, // 4 MiB since 6.18
      min: 2304,
      max: INT_MAX,
      source: FILE,
    },
    { procname: "net.core.busy_read", value: 0, min: 0, max: INT_MAX, source: FILE },
    // net_hotdata.tstamp_prequeue, proc_dointvec: any int, read as true or false
    {
      procname: "net.core.netdev_tstamp_prequeue",
      value: 1,
      min: INT_MIN,
      max: INT_MAX,
      source: FILE,
    },
    // net_hotdata.sysctl_mem_pcpu_rsv: the pages a CPU charges to a protocol before the shared
    // count sees them; SK_MEMORY_PCPU_RESERVE (1 MiB in pages) is also its minimum
    { procname: "net.core.mem_pcpu_rsv", value: 256, min: 256, max: INT_MAX, source: FILE },
    // net/core/net_namespace.c: SOMAXCONN (4096), the cap on listen()'s backlog
    { procname: "net.core.somaxconn", value: 4096, min: 0, max: INT_MAX, source: FILE },
  ];
}
