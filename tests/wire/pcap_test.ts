import assert from "node:assert/strict";
import { buildFrame } from "../../lib/wire/build.ts";
import { PcapReader, type PcapRecord, readPcap, writePcap } from "../../lib/wire/pcap.ts";

const frame = buildFrame({
  ipv4: { saddr: "10.1.0.9", daddr: "10.1.0.2", ttl: 33 },
  tcp: {
    source: 40000,
    dest: 80,
    seq: 1000,
    flags: "PA",
    options: { timestamp: [123456, 654321] },
  },
  payload: 100,
});
const records: PcapRecord[] = [
  { tsNs: 1_700_000_000_123_456_789n, data: frame, origLen: frame.length },
  { tsNs: 5_000n, data: frame.slice(0, 40), origLen: frame.length },
];

for (const resolution of ["usec", "nsec"] as const) {
  for (const bigEndian of [false, true]) {
    Deno.test(`readPcap() reads back what writePcap() wrote (${resolution}, ${bigEndian ? "big" : "little"}-endian)`, () => {
      const file = readPcap(writePcap(records, { resolution, bigEndian }));
      assert.equal(file.resolution, resolution);
      assert.equal(file.bigEndian, bigEndian);
      assert.equal(file.linktype, 1);
      assert.equal(file.records.length, 2);
      assert.deepEqual(file.records[0].data, frame);
      assert.equal(file.records[1].origLen, frame.length);
      // microsecond files keep microseconds: 123456789 ns becomes 123456000 ns
      assert.equal(
        file.records[0].tsNs,
        resolution === "nsec" ? 1_700_000_000_123_456_789n : 1_700_000_000_123_456_000n,
      );
    });
  }
}

function corrupt(edit: (dv: DataView) => void, cut?: number): Uint8Array {
  const bytes = writePcap(records, { resolution: "usec", snaplen: 65535 });
  edit(new DataView(bytes.buffer));
  return cut === undefined ? bytes : bytes.slice(0, cut);
}
const rec1 = 24 + 16 + frame.length; // byte offset of the second record header

const broken: { name: string; bytes: Uint8Array; error: string; message: RegExp }[] = [
  {
    name: "an empty file",
    bytes: new Uint8Array(0),
    error: "SyntaxError",
    message: /file header at byte 0: file is 0 bytes/,
  },
  {
    name: "a truncated file header",
    bytes: corrupt(() => {}, 20),
    error: "SyntaxError",
    message: /byte 0: file is 20 bytes/,
  },
  {
    name: "a bad magic",
    bytes: corrupt((dv) => dv.setUint32(0, 0x0a0d0d0a)),
    error: "SyntaxError",
    message: /magic at byte 0: found 0x0a0d0d0a/,
  },
  {
    name: "a wrong major version",
    bytes: corrupt((dv) => dv.setUint16(4, 3, true)),
    error: "SyntaxError",
    message: /version at byte 4: major version 3/,
  },
  {
    name: "a link type other than Ethernet",
    bytes: corrupt((dv) => dv.setUint32(20, 101, true)),
    error: "RangeError",
    message: /link type at byte 20: type 101/,
  },
  {
    name: "a truncated record header",
    bytes: corrupt(() => {}, rec1 + 10),
    error: "SyntaxError",
    message: new RegExp(`record 1 header at byte ${rec1}: 10 bytes left`),
  },
  {
    name: "a record longer than the file",
    bytes: corrupt(() => {}, rec1 + 16 + 20),
    error: "SyntaxError",
    message: new RegExp(
      `record 1 data at byte ${
        rec1 + 16
      }: caplen 40 runs past the end of the file \\(20 bytes left\\)`,
    ),
  },
  {
    name: "caplen greater than snaplen",
    bytes: corrupt((dv) => dv.setUint32(24 + 8, 70000, true)),
    error: "SyntaxError",
    message: /record 0 at byte 32: caplen 70000 exceeds snaplen 65535/,
  },
  {
    name: "caplen greater than the wire length",
    bytes: corrupt((dv) => dv.setUint32(24 + 12, 10, true)),
    error: "SyntaxError",
    message: /record 0 at byte 32: caplen \d+ exceeds wire length 10/,
  },
  {
    name: "a microsecond fraction of a second or more",
    bytes: corrupt((dv) => dv.setUint32(24 + 4, 1_000_000, true)),
    error: "SyntaxError",
    message: /timestamp at byte 28/,
  },
];

for (const b of broken) {
  Deno.test(`readPcap() rejects ${b.name}, naming the byte offset`, () => {
    assert.throws(() => readPcap(b.bytes), { name: b.error, message: b.message });
  });
}

Deno.test("writePcap() rejects a record longer than the snaplen", () => {
  assert.throws(() => writePcap(records, { snaplen: 50 }), {
    name: "RangeError",
    message: /record 0: \d+ bytes exceed snaplen 50/,
  });
});

Deno.test("tshark reads a file writePcap() wrote with the right fields", async () => {
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    const udp = buildFrame({
      eth: { vlan: 7 },
      ipv4: { saddr: "192.0.2.1", daddr: "198.51.100.2", ttl: 9 },
      udp: { source: 5353, dest: 9999 },
      payload: 12,
    });
    await Deno.writeFile(
      path,
      writePcap([...records, { tsNs: 2_000_000_000n, data: udp, origLen: udp.length }], {
        bigEndian: true,
      }),
    );
    const fields = [
      "frame.time_epoch",
      "ip.src",
      "ip.dst",
      "ip.ttl",
      "tcp.srcport",
      "tcp.flags.push",
      "tcp.options.timestamp.tsval",
      "tcp.checksum.status",
      "udp.dstport",
      "vlan.id",
      "udp.checksum.status",
      "ip.checksum.status",
    ];
    const out = await new Deno.Command("tshark", {
      args: [
        "-r",
        path,
        "-o",
        "tcp.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
        "-o",
        "ip.check_checksum:TRUE",
        "-T",
        "fields",
        "-E",
        "separator=|",
        ...fields.flatMap((f) => ["-e", f]),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const rows = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => l.split("|"));
    assert.equal(rows.length, 3);
    const [tcp, cut, vlanUdp] = rows;
    assert.equal(tcp[0], "1700000000.123456789");
    assert.deepEqual(tcp.slice(1, 8), ["10.1.0.9", "10.1.0.2", "33", "40000", "1", "123456", "1"]); // checksum status 1: good (0 bad, 2 unverified)
    assert.equal(cut[0], "0.000005000");
    assert.deepEqual(vlanUdp.slice(8, 12), ["9999", "7", "1", "1"]);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("PcapReader: every record keeps its bytes while the reader reads on, across buffer refills", () => {
  // 3000 frames of different lengths and contents: 300 KB, several of the reader's 64 KiB buffers
  const frames = Array.from({ length: 3000 }, (_, i) => {
    const f = new Uint8Array(60 + (i * 7) % 1400);
    for (let k = 0; k < f.length; k++) f[k] = (i + k * 13) & 255;
    return f;
  });
  const file = writePcap(
    frames.map((data, i) => ({ tsNs: BigInt(i), data, origLen: data.length })),
  );
  // a source that hands out odd-sized pieces, so records straddle the refills
  let at = 0;
  const reader = new PcapReader({
    readSync(p) {
      if (at >= file.length) return null;
      const n = Math.min(p.length, 777, file.length - at);
      p.set(file.subarray(at, at + n));
      at += n;
      return n;
    },
  });
  const records = [...reader.records()];
  assert.equal(records.length, frames.length);
  records.forEach((r, i) => assert.deepEqual(r.data, frames[i], `record ${i}`));
});
