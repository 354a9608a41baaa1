import assert from "node:assert/strict";
import {
  in6Pton,
  MS_RSS_KEY,
  parseRssKey,
  rssInput,
  rssQueue,
  rxfhIndirDefault,
  toeplitzHash,
} from "../../lib/drivers/rss.ts";

// Microsoft, "Verifying the RSS Hash Calculation" (Windows driver docs): destination, source,
// hash over addresses, hash over addresses and TCP ports, with MS_RSS_KEY.
const vectors: [string, number, string, number, number, number][] = [
  ["161.142.100.80", 1766, "66.9.149.187", 2794, 0x323e8fc2, 0x51ccc178],
  ["65.69.140.83", 4739, "199.92.111.2", 14230, 0xd718262a, 0xc626b0ea],
  ["12.22.207.184", 38024, "24.19.198.95", 12898, 0xd2d0a5de, 0x5c2b394a],
  ["209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xafc7327f],
  ["202.188.127.2", 1303, "153.39.163.191", 44251, 0x5d1809c5, 0x10e828a2],
  ["3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2cc18cd5, 0x40207d3d],
  ["ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0f0c461c, 0xdde51bbf],
  [
    "fe80::200:f8ff:fe21:67cf",
    38024,
    "3ffe:1900:4545:3:200:f8ff:fe21:67cf",
    44251,
    0x4b61e985,
    0x02d1feef,
  ],
];

for (const [dst, dport, src, sport, ip, ipPorts] of vectors) {
  Deno.test(`toeplitzHash() gives Microsoft's verification hashes for ${src} -> ${dst}`, () => {
    assert.equal(toeplitzHash(MS_RSS_KEY, rssInput(src, dst)), ip);
    assert.equal(toeplitzHash(MS_RSS_KEY, rssInput(src, dst, [sport, dport])), ipPorts);
  });
}

Deno.test("toeplitzHash() needs a key 4 bytes longer than its input", () => {
  assert.throws(() => toeplitzHash(new Uint8Array(39), new Uint8Array(36)), {
    name: "RangeError",
    message: /needs 40/,
  });
});

Deno.test("rxfhIndirDefault() fills entry i with i % queues, as ethtool_rxfh_indir_default()", () => {
  assert.deepEqual(rxfhIndirDefault(8, 3), [0, 1, 2, 0, 1, 2, 0, 1]);
  assert.equal(rssQueue(rxfhIndirDefault(128, 4), 0x51ccc178), 0x78 % 4);
  assert.throws(() => rxfhIndirDefault(100, 4), /power of two/);
});

Deno.test("in6Pton() reads RFC 4291 text forms and rejects others", () => {
  assert.deepEqual([...in6Pton("::1")], [...new Array(15).fill(0), 1]);
  assert.deepEqual([...in6Pton("::ffff:10.0.0.1").slice(10)], [0xff, 0xff, 10, 0, 0, 1]);
  for (const bad of ["1:2:3", "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7:8:9"]) {
    assert.throws(() => in6Pton(bad), SyntaxError, bad);
  }
});

Deno.test("rssInput() rejects mixed families and bad ports; parseRssKey() bad hex", () => {
  assert.throws(() => rssInput("10.0.0.1", "::1"), /families differ/);
  assert.throws(() => rssInput("10.0.0.1", "10.0.0.2", [1, 70000]), /port 70000/);
  assert.throws(() => parseRssKey("6d:5"), SyntaxError);
  assert.deepEqual([...parseRssKey("6d5A")], [0x6d, 0x5a]);
});
