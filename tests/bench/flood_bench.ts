// deno bench: the flood against the bare loop; the summary line gives the ratio.
import { bareLoop, FLOOD_PACKETS, simulateFlood } from "./flood.ts";

Deno.bench(`bare loop over the flood's ${FLOOD_PACKETS} frames`, {
  group: "flood",
  baseline: true,
}, () => {
  bareLoop();
});

Deno.bench(
  `UDP flood, ${FLOOD_PACKETS} frames end to end (NIC, IRQ, softirq, NAPI, GRO, IPv4, netfilter, UDP, socket), 1 CPU`,
  { group: "flood" },
  () => {
    simulateFlood();
  },
);
