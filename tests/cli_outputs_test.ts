// The CLI's outputs on the golden inputs stay byte-identical (tests/cli_outputs.ts records them).
import assert from "node:assert/strict";
import { cliOutput, cliRuns } from "./cli_outputs.ts";

const dir = new URL("./golden/cli/", import.meta.url).pathname;

Deno.test("rxpath replay, trace and gro print what they printed before on every golden input", async (t) => {
  for (const { name, args } of cliRuns()) {
    await t.step(name, () => {
      assert.equal(cliOutput(args), Deno.readTextFileSync(`${dir}${name}`));
    });
  }
});
