// GRO test cases in the categories of the kernel's own GRO selftest
// (tools/testing/selftests/net/gro.c: data, ack, flags, tcp, ip, large). Each is a list of
// frames that reach one NAPI poll in order. Their outcome on a real 6.18 kernel is recorded by
// tests/oracle/record_gro.ts into tests/golden/linux-6.18/gro/.
import { buildFrame, type Ipv4Spec, type TcpSpec } from "../../lib/wire/build.ts";

interface Seg {
  seq?: number;
  len?: number;
  flags?: string;
  ack?: number;
  ip?: Partial<Ipv4Spec>;
  tcp?: Partial<TcpSpec>;
  flow?: number;
}

// A segment of flow 0 (192.168.1.1:40000 -> 192.168.1.2:8000), payload 100 by default.
function seg(i: number, s: Seg = {}): Uint8Array {
  const flow = s.flow ?? 0;
  return buildFrame({
    eth: { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" },
    ipv4: { saddr: "192.168.1.1", daddr: "192.168.1.2", id: 1000 + i, ...s.ip },
    tcp: {
      source: 40000 + flow,
      dest: 8000,
      seq: s.seq ?? 1000 + i * 100,
      ackSeq: s.ack ?? 1,
      flags: s.flags ?? "A",
      ...s.tcp,
    },
    payload: s.len ?? 100,
  });
}

// Consecutive segments of the given payload sizes.
function run(sizes: number[], each: (i: number) => Seg = () => ({})): Uint8Array[] {
  let seq = 1000;
  return sizes.map((len, i) => {
    const f = seg(i, { seq, len, ...each(i) });
    seq += len;
    return f;
  });
}

const ts = (tsval: number) => ({ options: { timestamp: [tsval, 7] as [number, number] } });

/** Every case: name -> frames. */
export const GRO_CASES: Record<string, Uint8Array[]> = {
  data_same_size: run([100, 100, 100, 100]),
  data_smaller_last: run([100, 100, 50]),
  data_smaller_middle: run([100, 50, 100]),
  data_larger_middle: run([100, 150, 100]),
  data_single: run([100]),
  ack_differs: run([100, 100, 100], (i) => ({ ack: i === 1 ? 2 : 1 })),
  ack_pure_acks: run([0, 0, 0], (i) => ({ ack: 1 + i })),
  flags_psh_ends: run([100, 100, 100, 100], (i) => ({ flags: i === 1 ? "PA" : "A" })),
  flags_syn: run([100, 100, 100], (i) => ({ flags: i === 1 ? "SA" : "A" })),
  flags_rst: run([100, 100, 100], (i) => ({ flags: i === 1 ? "RA" : "A" })),
  flags_urg: run([100, 100, 100], (i) => ({ flags: i === 1 ? "UA" : "A" })),
  flags_fin: run([100, 100, 100], (i) => ({ flags: i === 1 ? "FA" : "A" })),
  flags_cwr: run([100, 100, 100], (i) => ({ flags: i === 1 ? "CA" : "A" })),
  flags_cwr_first: run([100, 100, 100], (i) => ({ flags: i === 0 ? "CA" : "A" })),
  flags_cwr_all: run([100, 100, 100], () => ({ flags: "CA" })),
  flags_cwr_other_flow: [
    seg(0, { seq: 1000 }),
    seg(1, { flow: 1, seq: 1000, flags: "CA", ip: { id: 1000 } }),
    seg(2, { seq: 1100, ip: { id: 1001 } }),
  ],
  flags_ece: run([100, 100, 100], (i) => ({ flags: i === 1 ? "EA" : "A" })),
  tcp_seq_gap: [seg(0, { seq: 1000 }), seg(1, { seq: 1100 }), seg(2, { seq: 1300 })],
  tcp_ts_same: run([100, 100, 100], () => ({ tcp: ts(5) })),
  tcp_ts_differs: run([100, 100, 100], (i) => ({ tcp: ts(i === 2 ? 6 : 5) })),
  tcp_options_differ: run([100, 100, 100], (i) => ({ tcp: i === 1 ? ts(5) : {} })),
  tcp_bad_checksum: run([100, 100, 100], (i) => ({ tcp: i === 1 ? { check: 0x1234 } : {} })),
  tcp_window_differs: run([100, 100, 100], (i) => ({ tcp: { window: i === 1 ? 1000 : 64240 } })),
  ip_tos_differs: run([100, 100, 100], (i) => ({ ip: { tos: i === 1 ? 0x10 : 0 } })),
  ip_ecn_ce: run([100, 100, 100], (i) => ({ ip: { tos: i === 1 ? 0x03 : 0 } })),
  ip_ttl_differs: run([100, 100, 100], (i) => ({ ip: { ttl: i === 1 ? 63 : 64 } })),
  ip_df_differs: run([100, 100, 100], (i) => ({ ip: { fragOff: i === 1 ? 0 : 0x4000 } })),
  ip_options: run(
    [100, 100, 100],
    (i) => ({ ip: i === 1 ? { options: new Uint8Array([1, 1, 1, 0]) } : {} }),
  ),
  ip_options_all: run([100, 100, 100], () => ({ ip: { options: new Uint8Array([1, 1, 1, 0]) } })),
  ip_fragment_mf: run([100, 100, 100], (i) => ({ ip: { fragOff: i === 1 ? 0x2000 : 0x4000 } })),
  ip_id_fixed_df: run([100, 100, 100, 100], () => ({ ip: { id: 7 } })),
  ip_id_fixed_no_df: run([100, 100, 100, 100], () => ({ ip: { id: 7, fragOff: 0 } })),
  ip_id_increment_no_df: run([100, 100, 100, 100], () => ({ ip: { fragOff: 0 } })),
  ip_id_jump: run([100, 100, 100, 100], (i) => ({ ip: { id: i === 2 ? 2000 : 1000 + i } })),
  ip_id_fixed_then_increment: run([100, 100, 100, 100], (i) => ({ ip: { id: i < 2 ? 7 : 7 + i } })),
  ip_bad_header_checksum: run([100, 100, 100], (i) => ({ ip: i === 1 ? { check: 0x1234 } : {} })),
  ip_total_length_short: run([100, 100, 100], (i) => ({ ip: i === 1 ? { totLen: 120 } : {} })),
  flows_interleaved: [0, 1, 2, 3, 4, 5].map((i) =>
    seg(i, {
      flow: i % 2,
      seq: 1000 + Math.floor(i / 2) * 100,
      ip: { id: 1000 + Math.floor(i / 2) },
    })
  ),
  flows_interleaved_shared_ids: [0, 1, 2, 3, 4, 5].map((i) =>
    seg(i, { flow: i % 2, seq: 1000 + Math.floor(i / 2) * 100 })
  ),
  // eight flows, two segments each: all fit the bucket (MAX_GRO_SKBS 8) and merge
  flows_eight_fit: [0, 1].flatMap((round) =>
    Array.from(
      { length: 8 },
      (_, f) => seg(round * 8 + f, { flow: f, seq: 1000 + round * 100, ip: { id: 1000 + round } }),
    )
  ),
  // nine flows, two segments each: each new flow evicts the oldest held skb (gro_flush_oldest),
  // which is always the next one to get its second segment, so nothing merges
  flows_nine_max_gro_skbs: [0, 1].flatMap((round) =>
    Array.from(
      { length: 9 },
      (_, f) => seg(round * 9 + f, { flow: f, seq: 1000 + round * 100, ip: { id: 1000 + round } }),
    )
  ),
  data_then_pure_ack: run([100, 100, 0]),
  pure_ack_then_data: run([0, 100, 100]),
  data_padded_small: run([2, 2, 2]), // Ethernet pads each 56-byte frame to 60: tot_len < bytes seen
  flags_ack_missing: run([100, 100, 100], (i) => ({ flags: i === 1 ? "" : "A" })),
  tcp_urg_ptr_without_urg: run([100, 100, 100], (i) => ({ tcp: { urgPtr: i } })),
  ip_ecn_ect0_differs: run([100, 100, 100], (i) => ({ ip: { tos: i === 1 ? 0x02 : 0 } })),
  // With timestamps a pure ACK is 66 bytes, unpadded, so tot_len matches and only TCP's own
  // rule keeps it out: (len - 1) >= mss, unsigned, is true for len 0 (tcp_gro_receive()).
  ts_data_then_pure_ack: run([100, 100, 0], () => ({ tcp: { options: { timestamp: [7, 9] } } })),
  ts_data_then_bare_fin: run([100, 100, 0], (i) => ({
    flags: i === 2 ? "FA" : "A",
    tcp: { options: { timestamp: [7, 9] } },
  })),
  ts_pure_ack_between_data: run([100, 0, 100], () => ({ tcp: { options: { timestamp: [7, 9] } } })),
  large_64k_limit: run(new Array(50).fill(1448)),
  large_weight_65: run(new Array(70).fill(100)),
};
