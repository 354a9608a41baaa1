// The simulation core: clock and events, random source, CPUs, costs, tracing and the ledger.
export * from "./events.ts";
export * from "./rng.ts";
export * from "./trace.ts";
export * from "./cpu.ts";
export * from "./cost.ts";
export * from "./ledger.ts";
export * from "./sim.ts";
