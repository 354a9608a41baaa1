// Models what `iptables -t TABLE -L -v -x -n` (iptables 1.8.9, nf_tables backend) prints of a
// table's chains, rules and counters.

import type { NfNet } from "../netfilter/core.ts";
import { iptTableLoad, type IptTableName } from "../netfilter/ip_tables.ts";
import { inNtoa } from "../wire/ipv4.ts";
import { TextView } from "../viz/display.ts";

const PROTO_NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp" };
const HEADER =
  "    pkts      bytes target     prot opt in     out     source               destination         ";

/**
 * Lists a table as `iptables -t TABLE -L -v -x -n` (1.8.9, nf_tables) prints it: per chain its
 * policy and counters, then one row per rule with exact counts and numeric protocols.
 * @param host the host
 * @param table the table, default filter
 * @returns the text view
 */
export function iptablesList(host: NfNet, table: IptTableName = "filter"): TextView {
  const t = iptTableLoad(host, table);
  const out: string[] = [];
  const cidr = (p?: [number, number]) =>
    p ? (p[1] === 32 ? inNtoa(p[0]) : `${inNtoa(p[0])}/${p[1]}`) : "0.0.0.0/0";
  for (const c of t.chains.values()) {
    if (out.length) out.push("");
    const refs = [...t.chains.values()].flatMap((x) => x.rules).filter((r) => r.target === c.name);
    out.push(
      c.policy
        ? `Chain ${c.name} (policy ${c.policy} ${c.policyPkts} packets, ${c.policyBytes} bytes)`
        : `Chain ${c.name} (${refs.length} references)`,
    );
    out.push(HEADER);
    for (const r of c.rules) {
      const extra = [
        r.sport !== undefined || r.dport !== undefined ? PROTO_NAMES[r.proto!] : "",
        r.sport !== undefined ? `spt:${r.sport}` : "",
        r.dport !== undefined ? `dpt:${r.dport}` : "",
      ].filter(Boolean).join(" ");
      const row = `${String(r.pkts).padStart(8)} ${String(r.bytes).padStart(8)} ${
        r.target.padEnd(10)
      } ${String(r.proto ?? 0).padEnd(4)} --  ${(r.in ?? "*").padEnd(6)} ${
        (r.out ?? "*").padEnd(6)
      }  ${cidr(r.src).padEnd(20)} ${
        extra ? `${cidr(r.dst).padEnd(20)} ${extra}` : cidr(r.dst).padEnd(20)
      }`;
      out.push(row);
    }
  }
  return new TextView("iptables -L -v -x -n", out.join("\n") + "\n");
}
