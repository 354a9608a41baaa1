// Measures the heap bytes the flood allocates per packet: run with a young generation large
// enough that no garbage collection happens during the measured run (--trace-gc shows any, and
// the parent then rejects the figure), heapUsed grows by exactly what was allocated.
import { FLOOD_PACKETS, simulateFlood } from "./flood.ts";

simulateFlood(); // compile and warm up first
const before = Deno.memoryUsage().heapUsed;
console.log("MEASURE-START");
simulateFlood();
console.log("MEASURE-END");
const after = Deno.memoryUsage().heapUsed;
console.log(JSON.stringify({ bytesPerPacket: Math.round((after - before) / FLOOD_PACKETS) }));
