// The kit's layers, lowest first. A file may import from its own layer and the layers below,
// never from one above — types included — so the receive path reads bottom-up, as the kernel's
// own dependencies run (net/core does not call into net/ipv4; protocols hook themselves in).
// tests/layers_test.ts holds every file under lib/ to it.

/** The folders of lib/ by layer, lowest first; `.` is lib/ itself (cli.ts, layers.ts). */
export const LAYERS: readonly (readonly string[])[] = [
  ["base"], // the kit's error types and array helpers
  ["wire", "sim"], // bytes on the wire; the simulated machine: clock, CPUs, costs, trace
  ["kernel", "core", "sched"], // irqs, softirqs; net/core: skbs, devices, NAPI, GRO, RPS; qdiscs
  ["drivers", "ethernet", "packet", "bridge", "netfilter", "ipv4", "ipv6"], // what hooks into core
  ["init", "traffic", "viz"], // boot a whole host; traffic to send it; charts and views
  ["proc", "scenario", "experiments", "packetdrill"], // what a user reads and runs on a host
  ["."], // the command line
];
