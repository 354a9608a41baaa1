// `tc qdisc` commands on a veth (qa), each followed by `tc qdisc show dev qa` and `tc -s qdisc
// show dev qa`: record_tc.ts runs them on the machine's kernel, tests/sched/tc_test.ts holds the
// kit's tc() to the text. Handles are given, since a kernel's automatic ones count machine-wide.

/**
 * Each step: a command (arguments after `tc`, or after `ip` when it starts with "link"), written
 * as one line and split at its spaces; the first step runs none.
 */
export const TC_STEPS: string[][] = [
  "",
  "qdisc replace dev qa root handle 1: pfifo_fast",
  "qdisc replace dev qa root handle 2: pfifo limit 7",
  "qdisc replace dev qa root handle 3: bfifo",
  "qdisc replace dev qa root handle 4: bfifo limit 10kb",
  "qdisc replace dev qa root handle 5: tbf rate 1mbit burst 3000 limit 6000",
  "qdisc replace dev qa root handle 6: tbf rate 100kbit burst 1540 limit 10000",
  "qdisc replace dev qa root handle 7: tbf rate 1500kbit burst 10kb limit 30000",
  "qdisc replace dev qa root handle 8: tbf rate 8000 burst 2000 limit 4000",
  "qdisc replace dev qa root handle 9: tbf rate 10mbit burst 5000 limit 3000",
  "qdisc replace dev qa root handle a: tbf rate 1gbit burst 100000 limit 1000000",
  "qdisc replace dev qa root handle b: tbf rate 1mbps burst 1600 latency 50ms",
  "qdisc add dev qa parent b:1 handle c: pfifo_fast",
  "qdisc replace dev qa root handle 10: tbf rate 1mbit burst 3000 limit 6000 peakrate 2mbit mtu 1600",
  "qdisc replace dev qa root handle 11: tbf rate 100kbit burst 5000 latency 50ms peakrate 1mbit minburst 1540",
  "qdisc replace dev qa root handle d: mq",
  "qdisc replace dev qa parent d:2 handle 30: pfifo limit 9",
  "qdisc replace dev qa parent d:1 handle 40: bfifo limit 9000",
  "qdisc del dev qa root",
  "link set qa txqueuelen 5",
  "qdisc replace dev qa root handle e: pfifo",
  "qdisc replace dev qa root handle f: bfifo",
].map((line) => line ? line.split(" ") : []);

/**
 * The net.core.default_qdisc values record_default_qdisc.ts tries: each qdisc the kit models
 * that this machine's kernel has too, and one neither has.
 */
export const DEFAULT_QDISC_VALUES: string[] = [
  "pfifo_fast",
  "pfifo",
  "bfifo",
  "noqueue",
  "tbf",
  "mq",
  "cake",
];
