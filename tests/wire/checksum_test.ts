import assert from "node:assert/strict";
import { csumFold, csumPartial, csumTcpudpNofold } from "../../lib/wire/checksum.ts";

Deno.test("csumPartial() sums the RFC 1071 section 3 example to 0xddf2", () => {
  // RFC 1071, 3 "Numerical Examples": bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
  const bytes = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(csumPartial(bytes, 0), 0xddf2);
  assert.equal(csumFold(csumPartial(bytes, 0)), 0x220d);
});

Deno.test("csumPartial() pads an odd trailing byte with zero (RFC 1071 4.1)", () => {
  assert.equal(csumPartial(new Uint8Array([0xab]), 0), 0xab00);
  assert.equal(csumPartial(new Uint8Array([0x12, 0x34, 0xab]), 0), 0x1234 + 0xab00);
});

Deno.test("csumFold() of an IPv4 header with its checksum in place is zero", () => {
  // The worked example of the IPv4 header checksum (Wikipedia, "Internet checksum"):
  // 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7, checksum b861.
  const hdr = new Uint8Array([
    0x45,
    0x00,
    0x00,
    0x73,
    0x00,
    0x00,
    0x40,
    0x00,
    0x40,
    0x11,
    0xb8,
    0x61,
    0xc0,
    0xa8,
    0x00,
    0x01,
    0xc0,
    0xa8,
    0x00,
    0xc7,
  ]);
  assert.equal(csumFold(csumPartial(hdr, 0)), 0);
  hdr[10] = hdr[11] = 0;
  assert.equal(csumFold(csumPartial(hdr, 0)), 0xb861);
});

Deno.test("csumTcpudpNofold() adds addresses, protocol and length of the pseudo-header", () => {
  const s = csumTcpudpNofold(0xc0a80001, 0xc0a800c7, 8, 17, 0);
  assert.equal(s, (0xc0a8 + 0x0001 + 0xc0a8 + 0x00c7 + 17 + 8) % 0xffff);
});
