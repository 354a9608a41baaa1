// deno bench: the flood against the bare loop; the summary line gives the ratio.
import { bareLoop, simulateFlood } from "./flood.ts";

Deno.bench("bare loop over the flood's 20k frames", { group: "flood", baseline: true }, () => {
  bareLoop();
});

Deno.bench(
  "UDP flood, 20k frames through NIC + IRQ + softirq + NAPI + IPv4 input, 1 CPU",
  { group: "flood" },
  () => {
    simulateFlood();
  },
);
