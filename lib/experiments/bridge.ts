// Chapter 7's bridge run: frames sent into the ports of a bridge one by one, and what the bridge
// did with each — learned the source, forwarded to the port it knows, flooded, or passed it up.

import { createHost, type Host } from "../init/main.ts";
import { Bridge } from "../bridge/bridge.ts";
import { Veth } from "../drivers/veth.ts";
import { buildFrame } from "../wire/build.ts";

/** One frame of a bridge run: the port (index) it enters by and its Ethernet header. */
export interface BridgeFrame {
  /** Index of the port it comes in on. */
  port: number;
  /** Source MAC address. */
  src: string;
  /** Destination MAC address. */
  dst: string;
  /** Ethertype, default IPv4. */
  type?: number;
}

/** What a bridge run shows: each frame's egress ports, the FDB, frames out of each port. */
export interface BridgeRun {
  /** The host, to go on with (one CPU). */
  host: Host;
  /** The bridge `br0`. */
  bridge: Bridge;
  /** Its ports, veth1..vethN. */
  ports: Veth[];
  /** Per frame: a short description and the ports it was sent out of (`-` for none). */
  steps: { frame: string; "sent out of": string }[];
  /** The forwarding database afterwards: MAC and port (`(local)` for the bridge's own). */
  fdb: { mac: string; port: string }[];
  /** Frames the bridge sent out of each port, in the order ports first sent. */
  sent: { port: string; frames: number }[];
}

/**
 * A small UDP frame between two MAC addresses, as the bridge run sends.
 * @param src source MAC address
 * @param dst destination MAC address
 * @param type ethertype, default IPv4
 * @returns the frame
 */
export function bridgeFrame(src: string, dst: string, type?: number): Uint8Array {
  return buildFrame({
    eth: { src, dst, type },
    ipv4: { saddr: "10.0.0.1", daddr: "10.0.0.2" },
    udp: { source: 1, dest: 2 },
  });
}

/**
 * Makes a bridge `br0` with veth ports veth1..vethN and sends the frames in, 100 µs apart,
 * recording after each which ports sent it on (br_handle_frame → br_fdb_update → br_forward or
 * br_flood or the local pass-up).
 * @param ports how many ports
 * @param frames the frames, in order
 * @returns what the bridge did
 * @example
 * ```ts
 * import { runBridge } from "@rxpath/rxpath";
 * const run = runBridge(2, [{ port: 0, src: "02:aa:00:00:00:0a", dst: "02:bb:00:00:00:0b" }]);
 * console.log(run.steps[0]["sent out of"]); // "veth2": an unknown destination is flooded
 * ```
 */
export function runBridge(ports: number, frames: BridgeFrame[]): BridgeRun {
  const h = createHost({ cpus: 1 });
  const br = new Bridge(h, "br0", "02:00:00:00:0b:00");
  const veths = Array.from(
    { length: ports },
    (_, i) => new Veth(h, `veth${i + 1}`, `02:00:00:00:0${i + 1}:01`),
  );
  for (const p of veths) br.addPort(p.dev);
  const steps: BridgeRun["steps"] = [];
  frames.forEach(({ port, src, dst, type }, i) => {
    h.sim.at((i + 1) * 100_000, () => {
      const before = new Map(br.txFrames);
      veths[port].xmit(h.sim.cpus[0], [bridgeFrame(src, dst, type)]);
      h.sim.after(50_000, () =>
        steps.push({
          frame: `${src.slice(-2)} -> ${
            dst === "ff:ff:ff:ff:ff:ff" ? "broadcast" : dst.slice(-2)
          } on veth${port + 1}`,
          "sent out of": [...br.txFrames].filter(([n, c]) => c > (before.get(n) ?? 0))
            .map(([n]) => n).join(", ") || "-",
        }));
    });
  });
  h.sim.run(1_000_000);
  return {
    host: h,
    bridge: br,
    ports: veths,
    steps,
    fdb: [...br.fdb.values()].map((e) => ({ mac: e.mac, port: e.port?.name ?? "(local)" })),
    sent: [...br.txFrames].map(([port, frames]) => ({ port, frames })),
  };
}
