// Records what the machine's own kernel does with every packetdrill script of the corpus: runs
// each with packetdrill itself, as root, in a fresh network namespace, and writes whether it
// passed and packetdrill's first error to tests/golden/linux-6.18/packetdrill/record.json.
// For a script that passes it also records the counters (/proc/net/snmp and /proc/net/netstat of
// the namespace, nstat's names, those not zero) as they stand after the script's last event and
// before packetdrill's cleanup closes the sockets: a copy of the script with one more line that
// reads them runs in a second fresh namespace; a third copy ends with a %{ }% snippet printing
// the socket under test's TCP_INFO and SO_MEMINFO fields the kit models (when one is open).
// The tests hold the kit's runner to that record.
//
// packetdrill builds from source on Debian (apt-get install gcc make bison flex): clone
// google/packetdrill, then in gtests/net/packetdrill run ./configure && make.
// Run on a Linux 6.18 machine: deno run -A tests/oracle/record_packetdrill.ts PACKETDRILL [SCRIPT...]
import { dirname, relative } from "node:path";
import {
  corpusArgs,
  corpusScripts,
  nonZeroCounters,
  PACKETDRILL_CORPUS,
  type PacketdrillRecord,
  readTcpInfoProbe,
  withTcpInfoProbe,
} from "./packetdrill_corpus.ts";

const [binary, ...only] = Deno.args;
if (!binary) throw new Error("usage: record_packetdrill.ts PACKETDRILL [SCRIPT...]");
const out = new URL("../golden/linux-6.18/packetdrill/", import.meta.url).pathname;
Deno.mkdirSync(out, { recursive: true });
const recordPath = `${out}record.json`;
const record: Record<string, PacketdrillRecord> = only.length
  ? JSON.parse(Deno.readTextFileSync(recordPath)).scripts
  : {};
const run = (cmd: string, args: string[], cwd?: string) =>
  new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).outputSync();
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const release = text(run("uname", ["-r"]).stdout).trim();

for (const script of corpusScripts()) {
  const name = relative(PACKETDRILL_CORPUS, script);
  if (only.length && !only.includes(name)) continue;
  const ns = `rxpath-pd-${Deno.pid}`;
  const inNamespace = (file: string) => {
    run("ip", ["netns", "add", ns]);
    const result = run(
      "timeout",
      ["120", "ip", "netns", "exec", ns, binary, ...corpusArgs(script), file],
      dirname(script),
    );
    run("ip", ["netns", "del", ns]);
    return result;
  };
  const result = inNamespace(script.split("/").pop()!);
  // packetdrill's own message: from the line naming the script to the end of its output
  const lines = text(result.stderr).split("\n");
  const base = script.split("/").pop()!;
  const first = lines.findIndex((l) => l.startsWith(`${base}:`));
  const error = result.success
    ? null
    : first >= 0
    ? lines.slice(first).join("\n").trim()
    : lines.join("\n").trim();
  record[name] = { pass: result.success, error };
  if (result.success) {
    record[name].counters = countersAfter(script, inNamespace);
    const tcpInfo = tcpInfoAfter(script, inNamespace);
    if (tcpInfo) record[name].tcpInfo = tcpInfo;
  }
  console.log(
    `${result.success ? "PASS" : "FAIL"} ${name}${error ? `: ${error.split("\n")[0]}` : ""}`,
  );
}
/** Runs a copy of the script that ends reading the counters; returns those not zero. */
function countersAfter(
  script: string,
  inNamespace: (file: string) => Deno.CommandOutput,
): Record<string, number> {
  const dump = Deno.makeTempFileSync({ prefix: "rxpath-pd-counters-" });
  const copy = `${dirname(script)}/.counters-${script.split("/").pop()}`;
  Deno.writeTextFileSync(
    copy,
    `${
      Deno.readTextFileSync(script).trimEnd()
    }\n+0 \`cat /proc/net/snmp /proc/net/netstat > ${dump}\`\n`,
  );
  try {
    // a run can miss packetdrill's own timing on a busy machine: up to three tries
    for (let attempt = 1;; attempt++) {
      const result = inNamespace(copy.split("/").pop()!);
      if (result.success) break;
      if (attempt === 3) throw new Error(`${script}: the copy reading counters failed`);
    }
    return nonZeroCounters(Deno.readTextFileSync(dump));
  } finally {
    Deno.removeSync(copy);
    Deno.removeSync(dump);
  }
}

/**
 * Runs a copy of the script that ends with the tcp_info probe; returns what it printed, or null
 * when packetdrill had no open socket under test to read.
 */
function tcpInfoAfter(
  script: string,
  inNamespace: (file: string) => Deno.CommandOutput,
): Record<string, number> | null {
  const copy = `${dirname(script)}/.tcpinfo-${script.split("/").pop()}`;
  Deno.writeTextFileSync(copy, withTcpInfoProbe(Deno.readTextFileSync(script)));
  try {
    const result = inNamespace(copy.split("/").pop()!);
    return result.success ? readTcpInfoProbe(text(result.stdout).split("\n")) : null;
  } finally {
    Deno.removeSync(copy);
  }
}

const sorted = Object.fromEntries(Object.entries(record).sort(([a], [b]) => a < b ? -1 : 1));
Deno.writeTextFileSync(
  recordPath,
  JSON.stringify({ kernel: release, scripts: sorted }, null, 2) + "\n",
);
