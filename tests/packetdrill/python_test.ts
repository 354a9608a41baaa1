import assert from "node:assert/strict";
import {
  namesRead,
  parsePython,
  PythonError,
  type PyValue,
  runPython,
} from "../../lib/packetdrill/python.ts";

function printed(code: string, vars: Record<string, PyValue> = {}): string[] {
  const out: string[] = [];
  runPython(parsePython(code), new Map(Object.entries(vars)), (l) => out.push(l));
  return out;
}

// Each expected line is what python3 (3.11) printed for the same statement
Deno.test("snippets compute as python3 does: floor division, modulo, true division, shifts, chains, formatting", () => {
  assert.deepEqual(
    printed(
      "print(7//2, -7//2, -7%3, 7/2, 4/2, 2**10, 1<<40, 0x7fffffff & 0xff, ~5, 3 < 5 <= 5)\n" +
        'print("x=%d y=%s %x" % (3, "a", 255), True + 1, abs(-3), min(3,1,2), max(3,1,2))\n' +
        'print(1 == 1.0, not 0, 0 or 5, 3 and 0, "%r" % "s", str(1e20), 1e16, 10/3, 0.00001)',
    ),
    [
      "3 -4 2 3.5 2.0 1024 1099511627776 255 -6 True",
      "x=3 y=a ff 2 3 1 3",
      "True True 5 0 's' 1e+20 1e+16 3.3333333333333335 1e-05",
    ],
  );
});

Deno.test("a snippet's assignments stay for the next one, as in packetdrill's single file", () => {
  const scope = new Map<string, PyValue | PyValue[]>([["tcpi_snd_cwnd", 10n]]);
  const out: string[] = [];
  runPython(parsePython("cwnd = tcpi_snd_cwnd"), scope, (l) => out.push(l));
  scope.set("tcpi_snd_cwnd", 20n);
  runPython(
    parsePython("cwnd += 10; assert tcpi_snd_cwnd == cwnd, cwnd; print(cwnd)"),
    scope,
    (l) => out.push(l),
  );
  assert.deepEqual(out, ["20"]);
});

Deno.test("a failing assertion raises AssertionError with its message formatted", () => {
  assert.throws(
    () =>
      printed("assert 5000 <= tcpi_rtt <= 20000, 'srtt=%d us' % tcpi_rtt", { tcpi_rtt: 30000n }),
    (e: unknown) =>
      e instanceof PythonError && e.message === "AssertionError: srtt=30000 us" &&
      e.statement === "assert 5000 <= tcpi_rtt <= 20000, 'srtt=%d us' % tcpi_rtt",
  );
});

Deno.test("a name never defined raises NameError; dividing by zero ZeroDivisionError", () => {
  assert.throws(() => printed("assert x == 1"), /NameError: name 'x' is not defined/);
  assert.throws(() => printed("y = 1 // 0"), /ZeroDivisionError: division by zero/);
});

Deno.test("names read before they are assigned are what the snapshot must give", () => {
  const names = namesRead(parsePython("a = tcpi_rtt\nassert a > tcpi_min_rtt; b = a; print(b, c)"));
  assert.deepEqual([...names].sort(), ["c", "tcpi_min_rtt", "tcpi_rtt"]);
});

Deno.test("Python beyond statements of one line is refused, naming what", () => {
  assert.throws(() => parsePython("import os"), /'import' is not part/);
  assert.throws(() => parsePython("for i in x: pass"), /'for' is not part/);
  assert.throws(() => parsePython("assert x\n  assert y"), /an indented line/);
  assert.throws(() => parsePython("open('f')"), /calling open\(\) is not part/);
  assert.throws(() => parsePython("x = [1]"), /'\[' is not part/);
});
