// Writes a random receive-side packetdrill script for a seed: a handshake (SACK and window
// scaling or not, a window of 3 to 65535), then segments in and out of order — overlapping,
// duplicated, some with a FIN — and reads, at least a millisecond apart (the compressed-SACK
// timer fires 100 µs after a burst, a race on a kernel). The kit fills in what each read returns
// and, 10 ms after the last event, asserts the TCP_INFO and SO_MEMINFO fields it predicts; a
// kernel run then judges the prediction. Scripts that found a difference, once fixed, join the
// corpus (rxpath/*-random.pkt).
// With `ts` after the seed, timestamps are agreed and every segment carries one; with `client`
// the host connects (SYN out, SYN-ACK in) rather than accepts; with `rcvbuf`, its buffer is small;
// with `shutdown`, the host shuts its sending side at some point and the peer acknowledges the
// FIN only now and then (its tail-loss probe, timeouts and loss recovery run meanwhile).
// deno run -A tests/oracle/random_packetdrill.ts SEED [ts] [client] [rcvbuf] [shutdown] > x.pkt
import { runPacketdrill } from "../../lib/packetdrill/run.ts";

// mulberry32: a small deterministic generator
let state = Number(Deno.args[0] ?? 1) * 2654435761 >>> 0;
function rnd(n: number): number {
  state = (state + 0x6D2B79F5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) % n;
}

const ts = Deno.args.includes("ts");
const client = Deno.args.includes("client");
const shutdown = Deno.args.includes("shutdown");
let shut = false;
// with `rcvbuf`, a small SO_RCVBUF: zero windows, pruning and collapsing
const rcvbuf = Deno.args.includes("rcvbuf")
  ? `0.000 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [${[2048, 4096, 8192, 16384][rnd(4)]}], 4) = 0\n`
  : "";
const sack = rnd(3) !== 0;
const wscale = rnd(4) !== 0;
const win = [502, 257, 100, 3, 65535][rnd(5)];
// the peer's SYN or SYN-ACK options, padded to whole words
const peerOptions = (ecr: number) =>
  `<mss 1000${sack ? ",sackOK" : ",nop,nop"}${
    ts ? `,TS val 1 ecr ${ecr}` : ",nop,nop,nop,nop,nop,nop,nop,nop,nop,nop"
  }${wscale ? ",nop,wscale 7" : ""}>`;
// our SYN or SYN-ACK as the kit sends it, its TS val named 100 for the peer to echo
const ours = (script: string, index: number) => {
  const text = runPacketdrill(script, "random.pkt").log[index].text;
  return text.slice(text.indexOf("<")).replace(/TS val \d+/, "TS val 100");
};
let tsval = 2;
const tsopt = () => ts ? ` <nop,nop,TS val ${tsval++} ecr 100>` : "";
let start: string;
if (client) {
  const head = `0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
${rcvbuf}0.000 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
0.000 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
0.000 > S 0:0(0) <...>
`;
  start = head.replace("<...>", ours(head, 0)) +
    `0.010 < S. 0:0(0) ack 1 win ${win} ${peerOptions(100)}\n0.010 > . 1:1(0) ack 1 <...>\n`;
} else {
  const head = `0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
0.000 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
${rcvbuf}0.000 bind(3, ..., ...) = 0
0.000 listen(3, 1) = 0
0.000 < S 0:0(0) win 65535 ${peerOptions(0)}
0.000 > S. 0:0(0) ack 1 <...>
`;
  start = head.replace("<...>", ours(head, 1)) +
    `0.010 < . 1:1(0) ack 1 win ${win}${tsopt()}\n0.010 accept(3, ..., ...) = 4\n`;
}
const fd = client ? 3 : 4;
const at = (us: number) => (us / 1e6).toFixed(6);
const lines: string[] = [];
let t = 10_000;
for (let i = 6 + rnd(14); i > 0; i--) {
  t += [1000, 2000, 10_000, 60_000, 250_000][rnd(5)];
  if (rnd(6) === 0) {
    // a read takes what the kit says is there; none is written when nothing is
    const r = runPacketdrill(start + lines.join("\n") + "\n", "random.pkt");
    const sk = r.host.ipv4.tcpSockets.find((k) => k.tcp && k.daddr);
    if (!sk) continue;
    const inq = ((sk.rcvNxt - sk.tcp!.copiedSeq) >>> 0) - (sk.tcp!.finReceived ? 1 : 0);
    if (inq > 0 || sk.tcp!.finReceived) {
      lines.push(`${at(t)} read(${fd}, ..., 100000) = ${Math.max(inq, 0)}`);
    }
    continue;
  }
  if (shutdown && !shut && rnd(4) === 0) {
    lines.push(`${at(t)} shutdown(${fd}, SHUT_WR) = 0`);
    shut = true;
    continue;
  }
  const len = [1000, 1000, 1000, 500, 200, 1][rnd(6)];
  const seq = 1 + rnd(14) * 1000 + (rnd(4) === 0 ? 500 : 0);
  const flags = rnd(8) === 0 ? "F." : "P.";
  const ack = shut && rnd(4) === 0 ? 2 : 1;
  lines.push(`${at(t)} < ${flags} ${seq}:${seq + len}(${len}) ack ${ack} win ${win}${tsopt()}`);
}
const names = [
  "tcpi_snd_mss",
  "tcpi_snd_wnd",
  "tcpi_ato",
  "tcpi_state",
  "tcpi_rcv_ooopack",
  "tcpi_bytes_received",
  "tcpi_segs_in",
  "tcpi_data_segs_in",
  "tcpi_segs_out",
  "tcpi_rcv_mss",
  "tcpi_rcv_wnd",
  "tcpi_rcv_ssthresh",
  "tcpi_rcv_space",
  "SK_MEMINFO_RMEM_ALLOC",
  "SK_MEMINFO_FWD_ALLOC",
  "SK_MEMINFO_DROPS",
  "tcpi_snd_cwnd",
  "tcpi_delivered",
  ...shutdown
    ? ["tcpi_unacked", "tcpi_total_retrans", "tcpi_ca_state", "tcpi_backoff", "tcpi_lost"]
    : [],
].join(", ");
const script = start + lines.join("\n") + "\n";
const probe = runPacketdrill(`${script}+.01 %{ print(${names}) }%\n`, "random.pkt");
const values = probe.output[0]?.split(" ").join(", ");
console.log(
  values ? `${script}+.01 %{ assert (${names}) == (${values}), (${names}) }%` : script.trimEnd(),
);
