// A UDP flood through the NIC and NAPI on one CPU, and a bare loop over the same frames: the
// two workloads `deno task bench` compares in one run.
import { createHost } from "../../lib/init/main.ts";
import { VirtioNet } from "../../lib/drivers/virtio_net.ts";
import { generateTraffic } from "../../lib/traffic/generator.ts";
import { Rng } from "../../lib/sim/rng.ts";

/** Frames in one flood. */
export const FLOOD_PACKETS = 20_000;

/** The flood: 64-byte UDP frames of 16 flows at 500k pps, which one CPU keeps up with now that
 * every packet also goes through IPv4 input (to ip_error(): the host has no address). */
export const floodFrames = generateTraffic({
  flows: Array.from(
    { length: 16 },
    (_, i) => ({ proto: "udp", saddr: "10.0.0.1", daddr: "10.0.0.2", sport: 4000 + i, dport: 9 }),
  ),
  size: 64,
  rate: { kind: "constant", pps: 500_000 / 16 },
  count: FLOOD_PACKETS,
}, new Rng(1));

/** Simulates the flood: IRQ, softirq, NAPI polls, driver, hand-off and IPv4 input, no tracing. */
export function simulateFlood(): number {
  const host = createHost({ cpus: 1, trace: false });
  const nic = new VirtioNet(host);
  nic.open();
  for (const a of floodFrames) host.sim.at(a.t, () => nic.receive(a.frame));
  host.sim.run(floodFrames.at(-1)!.t + 1_000_000);
  const handed = nic.rq[0].stats.packets;
  if (handed !== FLOOD_PACKETS) {
    throw new Error(`BUG: ${handed} of ${FLOOD_PACKETS} packets handed up`);
  }
  return handed;
}

/** The bare loop: read each frame's ethertype and length, nothing else. */
export function bareLoop(): number {
  let n = 0;
  for (const a of floodFrames) {
    if (((a.frame[12] << 8) | a.frame[13]) === 0x0800) n += a.frame.length > 0 ? 1 : 0;
  }
  return n;
}
