#!/usr/bin/env bash
# Records which networking functions the machine's own kernel has as symbols of their own (text
# symbols in /proc/kallsyms, compiler suffixes such as .constprop.0 taken off): a function that
# is not there was inlined, and ftrace's function_graph would not show it. The kit's traces name
# only functions on this list (tests/trace_symbols_test.ts). Run as root on a Linux 6.18 machine:
#   bash tests/oracle/record_symbols.sh
set -euo pipefail
out="$(dirname "$0")/../golden/linux-6.18/kallsyms_text.txt"
{
  echo "# $(uname -r): text symbols of /proc/kallsyms whose names touch the receive path"
  awk '$2 ~ /^[tTW]$/ {print $3}' /proc/kallsyms |
    sed -E 's/(\.(constprop|isra|part|cold|llvm)\.[0-9]+)+$//' |
    grep -E 'net|skb|napi|gro|ip|udp|tcp|icmp|fib|nf|ipt|virt|veth|irq|neigh|arp|inet|sock|rtnl|dev|eth|br_|packet|rps|init|ksoftirqd|smpboot|xmit|qdisc|route|receive|proto|regist|rcv|recv|send|poll|queue|sched|timer|interrupt|handle|kernel|backlog|process|frag|output|input|forward|local|deliver|hook|chain|table|lookup|csum|checksum|tick|reason|drop|consume|free|cookie' |
    sort -u
} >"$out"
wc -l "$out"
