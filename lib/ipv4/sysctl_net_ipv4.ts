// Models net/ipv4/sysctl_net_ipv4.c (Linux 6.18) and the IPv4 entries registered elsewhere
// (ip_fragment.c's ip4_frags_ns_ctl_table, devinet.c's conf tables): the net.ipv4.* sysctls the
// kit acts on, with the kernel's defaults and the bounds of their handlers.

import { InputRangeError } from "../base/errors.ts";
import { type CtlEntry, type CtlStringTable, INT_MAX } from "../core/sysctl_net.ts";
import { devinetSetConf, devinetSysctlTable } from "./devinet.ts";
import type { InetNet } from "./netns_ipv4.ts";

const FILE = "net/ipv4/sysctl_net_ipv4.c";

/**
 * The net.ipv4 tables (ipv4_table, ipv4_net_table, the conf tables), bound to one namespace.
 * @param host the namespace whose values the handlers change
 * @returns the entries
 */
export function ipv4SysctlTable(host: InetNet): CtlEntry[] {
  const entry = (procname: string, value: number, min: number, max = INT_MAX, source = FILE) => ({
    procname: `net.ipv4.${procname}`,
    value,
    min,
    max,
    source,
  });
  return [
    {
      ...entry("ip_forward", 0, 0, 1, "net/ipv4/devinet.c:devinet_sysctl_forward"),
      // the same switch as net.ipv4.conf.all.forwarding (inet_forward_change())
      handler: (v: number) => devinetSetConf(host, "all", "forwarding", v),
    },
    entry("ip_default_ttl", 64, 1, 255), // ip_ttl_min, ip_ttl_max
    // proc_dou8vec_minmax with no bounds: any u8; 0 turns ip_rcv_finish_core()'s early demux off
    entry("ip_early_demux", 1, 0, 255),
    entry("udp_early_demux", 1, 0, 255),
    entry("tcp_early_demux", 1, 0, 255),
    // ipv4_net_table: proc_dointvec_minmax from 1 (SYSCTL_ONE); what a UDP socket may hold
    // whatever udp_mem says, short of its hard limit (__sk_mem_raise_allocated())
    entry("udp_rmem_min", 4096, 1),
    udpMemSysctl(host),
    // proc_dou8vec_minmax 0 or 1 (ipv4_fwd_update_priority): ip_forward() sets skb->priority
    entry("ip_forward_update_priority", 1, 0, 1),
    entry("ip_nonlocal_bind", 0, 0, 1), // proc_dou8vec_minmax, 0 or 1
    // proc_dointvec_jiffies: seconds, refused (EINVAL) beyond what INT_MAX jiffies can hold
    entry(
      "ipfrag_time",
      30,
      0,
      Math.floor(INT_MAX / host.hz),
      "net/ipv4/ip_fragment.c:ip4_frags_ns_ctl_table",
    ),
    entry("icmp_echo_ignore_all", 0, 0, 1),
    entry("icmp_echo_ignore_broadcasts", 1, 0, 1),
    entry("icmp_ratelimit", 1000, 0),
    entry("icmp_ratemask", 6168, 0), // destination unreachable, source quench, time exceeded, parameter problem
    entry("icmp_msgs_per_sec", 1000, 0),
    entry("icmp_msgs_burst", 50, 0),
    // tcp_sk_init(): the TCP options a SYN-ACK may answer with
    entry("tcp_timestamps", 1, 0, 2, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    entry("tcp_sack", 1, 0, 1, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    entry("tcp_window_scaling", 1, 0, 1, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // ECN: 0 off, 1 asked for on connect and granted, 2 (default) granted when asked; the
    // AccECN modes 3 to 5 are not modelled
    entry("tcp_ecn", 2, 0, 2, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // how often an unanswered SYN goes again, and how many times before backing off (6.18)
    entry("tcp_syn_retries", 6, 1, 127, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    entry("tcp_syn_linear_timeouts", 4, 0, 10, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    entry("tcp_synack_retries", 5, 0, 255, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // tail-loss probes (tcp_schedule_loss_probe()): 3 and 4 send them; retransmission timeouts
    // before a connection, or an orphan (0 meaning 8), gives up (tcp_write_timeout()); u8s
    entry("tcp_early_retrans", 3, 0, 4, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    entry("tcp_retries2", 15, 0, 255, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    entry("tcp_orphan_retries", 0, 0, 255, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // how long an orphan waits in FIN_WAIT2, seconds (proc_dointvec_jiffies; tcp_fin_time())
    entry(
      "tcp_fin_timeout",
      60,
      0,
      Math.floor(INT_MAX / host.hz),
      "net/ipv4/tcp_ipv4.c:tcp_sk_init",
    ),
    // keepalive (tcp_keepalive_timer()): idle seconds before the first probe, seconds between
    // probes (proc_dointvec_jiffies), unanswered probes before the reset (a u8)
    entry(
      "tcp_keepalive_time",
      7200,
      0,
      Math.floor(INT_MAX / host.hz),
      "net/ipv4/tcp_ipv4.c:tcp_sk_init",
    ),
    entry(
      "tcp_keepalive_intvl",
      75,
      0,
      Math.floor(INT_MAX / host.hz),
      "net/ipv4/tcp_ipv4.c:tcp_sk_init",
    ),
    entry("tcp_keepalive_probes", 9, 0, 255, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // proc_dointvec_ms_jiffies: ms between ACKs to segments out of window (tcp_oow_rate_limited()),
    // HZ/2; a connection in TIME_WAIT is reset, not just closed, by a RST unless this is set
    entry("tcp_invalid_ratelimit", 500, 0, INT_MAX, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    entry("tcp_rfc1337", 0, 0, 1, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // D-SACK blocks for duplicates (tcp_dsack_set())
    entry("tcp_dsack", 1, 0, 1, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // receive-buffer autotuning on (tcp_rcv_space_adjust())
    entry("tcp_moderate_rcvbuf", 1, 0, 1, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // the share of the buffer kept from the window (tcp_init_buffer_space()): 1/2^31, none
    entry("tcp_app_win", 31, 0, 31, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // 6.18 reads it nowhere on the way in: the scaling ratio replaced it (6.6)
    entry("tcp_adv_win_scale", 1, -31, 31, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // compressed SACK: how many ACKs may be held, how long, with what slack
    entry("tcp_comp_sack_nr", 44, 0, 255, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    entry("tcp_comp_sack_delay_ns", 1_000_000, 0, INT_MAX, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    entry("tcp_comp_sack_slack_ns", 100_000, 0, INT_MAX, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // __tcp_mtu_to_mss(): the least MSS we send whatever the peer announced (TCP_MIN_SND_MSS)
    entry("tcp_min_snd_mss", 48, 48, 65535, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // SYN cookies when the SYN queue is full (1), always (2), never (0)
    entry("tcp_syncookies", 1, 0, 2, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    // tcp_sk_init(): max(128, ehash buckets / 128): 2048 on the reference host
    entry("tcp_max_syn_backlog", 2048, 0, INT_MAX, "net/ipv4/tcp_ipv4.c:tcp_sk_init"),
    ...devinetSysctlTable(host),
  ];
}

/**
 * net.ipv4.udp_mem (ipv4_table, proc_doulongvec_minmax): UDP's limits in pages — min, pressure,
 * max — for the whole machine, read tab-separated. A write sets the values it gives in order
 * (`sysctl -w net.ipv4.udp_mem="1000"` changes only min) and ignores what follows the third; a
 * value that is not a non-negative integer is EINVAL, the values before it already set — as
 * Linux 6.18 does (tests/golden/linux-6.18/udp_mem_writes.json).
 * @param host the host whose UDP protocol the limits are
 * @returns the entry
 */
export function udpMemSysctl(host: InetNet): CtlStringTable {
  return {
    procname: "net.ipv4.udp_mem",
    text: "575796\t767731\t1151592",
    source: `${FILE}:ipv4_table`,
    read: () => host.ipv4.udpMem.join("\t"),
    write: (value: string) => {
      const words = value.trim().split(/\s+/).filter(Boolean).slice(0, 3);
      const bad = words.findIndex((w) => !/^\d+$/.test(w));
      words.slice(0, bad < 0 ? 3 : bad).forEach((w, i) => host.ipv4.udpMem[i] = Number(w));
      if (bad >= 0 || words.length === 0) {
        throw new InputRangeError(
          `sysctl: setting key "net.ipv4.udp_mem": Invalid argument (${JSON.stringify(value)}: ` +
            `page counts, min pressure max)`,
        );
      }
    },
  };
}
