// Records what ss(8) prints on the machine's own kernel after each script of tests/oracle/ss/:
// the script runs under packetdrill, as root, in a fresh network namespace, with one more line
// that runs `ss -tmin` at its end; the output goes to tests/golden/linux-6.18/ss/NAME.txt.
// The tests hold the kit's ssTcp() to it. packetdrill builds as record_packetdrill.ts says.
// Run on a Linux 6.18 machine: deno run -A tests/oracle/record_ss.ts PACKETDRILL
const [binary] = Deno.args;
if (!binary) throw new Error("usage: record_ss.ts PACKETDRILL");
const dir = new URL("./ss/", import.meta.url).pathname;
const out = new URL("../golden/linux-6.18/ss/", import.meta.url).pathname;
Deno.mkdirSync(out, { recursive: true });
const run = (cmd: string, args: string[]) =>
  new Deno.Command(cmd, { args, cwd: dir, stdout: "piped", stderr: "piped" }).outputSync();
for (const entry of [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".pkt"))) {
  const dump = Deno.makeTempFileSync({ prefix: "rxpath-ss-" });
  const copy = `${dir}.ss-${entry.name}`;
  const script = Deno.readTextFileSync(`${dir}${entry.name}`).trimEnd();
  Deno.writeTextFileSync(copy, `${script}\n+0 \`ss -tmin > ${dump}\`\n`);
  const ns = `rxpath-ss-${Deno.pid}`;
  try {
    run("ip", ["netns", "add", ns]);
    const r = run("ip", ["netns", "exec", ns, binary, copy.split("/").pop()!]);
    if (!r.success) throw new Error(`${entry.name}: ${new TextDecoder().decode(r.stderr)}`);
    const name = entry.name.replace(/\.pkt$/, ".txt");
    Deno.writeTextFileSync(`${out}${name}`, Deno.readTextFileSync(dump));
    console.log(`recorded ${name}`);
  } finally {
    run("ip", ["netns", "del", ns]);
    Deno.removeSync(copy);
    Deno.removeSync(dump);
  }
}
