// Running a piece of the kernel's own code in user space, as record_dql.ts and
// record_fq_codel.ts do: a driver (drive.c) built with gcc around the kernel's source file,
// then fed operations, one per line, answering one JSON line each.

/**
 * Builds a driver with gcc into `dir/drive`.
 * @param dir the scratch directory (the shim headers are there)
 * @param driver the driver's .c file
 * @param flags more gcc flags: include directories, -D for the kernel file
 */
export function buildDriver(dir: string, driver: string, flags: string[]): void {
  const cc = new Deno.Command("gcc", {
    args: ["-O1", `-I${dir}`, ...flags, "-o", `${dir}/drive`, driver],
  }).outputSync();
  if (!cc.success) throw new Error(new TextDecoder().decode(cc.stderr));
}

/**
 * Runs the built driver on operations.
 * @param dir where it was built
 * @param ops the operations
 * @returns each answer, parsed
 */
export function drive<T = unknown>(dir: string, ops: string[]): T[] {
  Deno.writeTextFileSync(`${dir}/ops`, ops.join("\n") + "\n");
  const run = new Deno.Command("sh", { args: ["-c", `"${dir}/drive" < "${dir}/ops"`] })
    .outputSync();
  if (!run.success) throw new Error(`the kernel's code failed on: ${ops.at(-1)}`);
  const out = new TextDecoder().decode(run.stdout).trim();
  return out.split("\n").map((l) => JSON.parse(l));
}
