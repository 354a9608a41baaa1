// deno task bench: the simulation core's speed, as a ratio to a bare loop in the same run.
import { createHost } from "../../lib/host.ts";
import { napiSchedule } from "../../lib/core/dev.ts";
import { queueDevice } from "../helpers/queue_device.ts";

const PACKETS = 10_000;

Deno.bench("bare loop over 10k packets", { group: "napi", baseline: true }, () => {
  let sum = 0;
  for (let i = 0; i < PACKETS; i++) sum += i & 7;
  if (sum < 0) throw new Error("unreachable");
});

Deno.bench("hardirq -> NET_RX -> NAPI polls of 10k packets", { group: "napi" }, () => {
  const host = createHost({ cpus: 1, trace: false });
  const { napi, cpu, left } = queueDevice(host, PACKETS, 100);
  host.sim.at(0, () =>
    cpu.raiseIrq("eth0", function* () {
      napiSchedule(host, cpu, napi);
    }));
  host.sim.run(1e9);
  if (left() !== 0) throw new Error(`BUG: ${left()} packets left`);
});
