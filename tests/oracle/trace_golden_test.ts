// The two recordings of Linux 6.18 agree: for every frame of every replay case, the drop the
// replay oracle reports is the skb:kfree_skb reason of the frame's own skb in the tracepoint
// recording (tests/golden/linux-6.18/trace/), and a frame delivered or forwarded has no such
// drop. This keeps the tracepoint goldens, which the kit's tracepoints are to match, complete and
// tied to the cases the kit already matches.
import assert from "node:assert/strict";
import { readPcap } from "../../lib/wire/pcap.ts";
import { decodeFrame } from "../../lib/wire/decode.ts";

const golden = new URL("../golden/linux-6.18/", import.meta.url).pathname;
const cases = [...Deno.readDirSync(`${golden}trace`)].filter((e) => e.name.endsWith(".txt"))
  .map((e) => e.name.slice(0, -4)).sort();

/** Per frame, the events: the name and the body, as trace_pipe prints them. */
function framesOf(text: string): { event: string; body: string }[][] {
  const frames: { event: string; body: string }[][] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("# frame ")) frames.push([]);
    else if (line.trim()) {
      const m = /^\s*\S.*?\s+\[\d+\]\s+\S+\s+[\d.]+: (\w+): (.*)$/.exec(line);
      assert.ok(m, `not a trace_pipe line: ${line}`);
      frames.at(-1)!.push({ event: m[1], body: m[2] });
    }
  }
  return frames;
}

for (const name of cases) {
  Deno.test(`trace ${name}: each frame's kfree_skb in the tracepoints is the replay's drop`, () => {
    const scenario = JSON.parse(Deno.readTextFileSync(`${golden}replay/${name}.json`));
    const lines = Deno.readTextFileSync(`${golden}replay/${name}.jsonl`).trim().split("\n")
      .map((l) => JSON.parse(l)).filter((l) => !l.summary);
    const frames = framesOf(Deno.readTextFileSync(`${golden}trace/${name}.txt`));
    const pcap = readPcap(Deno.readFileSync(`${golden}replay/${name}.pcap`)).records;
    assert.equal(frames.length, lines.length);
    lines.forEach((line, i) => {
      const rx = frames[i].find((e) =>
        e.event === "netif_receive_skb" && e.body.startsWith(`dev=${scenario.ingress} `)
      );
      assert.ok(rx, `frame ${i}: no netif_receive_skb on ${scenario.ingress}`);
      const skb = /skbaddr=(\w+)/.exec(rx.body)![1];
      // the skb is the host's until it leaves by one of the host's devices — handed to the
      // driver, past any qdisc, which may drop it: a forward or a reply goes on, the same skb,
      // into the wire peer's receive path, which drops it there
      const hostDevs = new Set(scenario.interfaces.map((d: { name: string }) => d.name));
      const events = frames[i].slice(frames[i].indexOf(rx));
      const out = events.findIndex((e) =>
        e.event === "net_dev_start_xmit" && e.body.includes(`skbaddr=${skb} `) &&
        hostDevs.has(/dev=(\S+)/.exec(e.body)![1])
      );
      const freed = events.slice(0, out < 0 ? undefined : out)
        .filter((e) => e.event === "kfree_skb" && e.body.includes(`skbaddr=${skb} `))
        .map((e) => /reason: (\w+)/.exec(e.body)![1]);
      // a fragment takes its datagram's fate, which the skb completing it meets
      const ip = decodeFrame(pcap[i].data).ipv4;
      if (ip && (ip.mf || ip.fragOffset !== 0)) return;
      if (line.fate === "dropped") {
        assert.deepEqual(freed.slice(0, 1), [line.reason], `frame ${i}`);
      } else if (line.fate !== "dropped") {
        assert.deepEqual(freed, [], `frame ${i} (${line.fate})`);
      }
    });
  });
}
