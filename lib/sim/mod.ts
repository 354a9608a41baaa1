/**
 * The simulated machine: a virtual clock with events, a seeded random source, CPUs with
 * hardirq, softirq and task contexts and their time accounting, costs, the function-graph
 * trace and the skb ledger. Deterministic for a given seed. Imports nothing else of the kit.
 *
 * @example
 * ```ts
 * import { Sim } from "@rxpath/rxpath/sim";
 * const sim = new Sim({ cpus: 2, seed: 1 });
 * sim.at(1_000, () => console.log("at", sim.now, "ns"));
 * sim.run(2_000);
 * ```
 *
 * @module
 */
export * from "./events.ts";
export * from "./rng.ts";
export * from "./trace.ts";
export * from "./cpu.ts";
export * from "./cost.ts";
export * from "./ledger.ts";
export * from "./sim.ts";
export * from "./tracepoints.ts";
