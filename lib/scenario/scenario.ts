// Loads a host scenario as ../shared/scenario-format.md (v1) defines it: every field checked,
// every error naming the field and what was wrong with it. What the kit does with each field
// grows chapter by chapter; loadScenario() itself accepts exactly the format.

import { parseQdiscArgs } from "../sched/sch_api.ts";
import { InputRangeError, InputSyntaxError, InputTypeError, quoteValue } from "../base/errors.ts";
import { devValidName } from "../core/dev.ts";
import { inAton } from "../wire/ipv4.ts";
import { isValidEtherAddr, macAton } from "../wire/ethernet.ts";
import { NET_SYSCTL_NAMES } from "./sysctl_names.ts";
import { NET_SYSCTL_TEXT_DEFAULTS } from "./sysctl_defaults.ts";

/** An IPv4 prefix, parsed. */
export interface Cidr {
  /** The address as written. */
  addr: number;
  /** Prefix length 0-32. */
  len: number;
  /** The text it came from. */
  text: string;
}

/** An interface of the scenario. */
export interface ScenarioInterface {
  /** Name. */
  name: string;
  /** MAC address. */
  mac: string;
  /** IPv4 addresses with prefix length. */
  addrs: Cidr[];
  /** MTU. */
  mtu: number;
  /** The root qdisc, as tc's arguments after `root` (["tbf", "rate", "1mbit", …]), or null for
   * the device's default (a veth's noqueue). */
  qdisc: string[] | null;
  /** txqueuelen, or null for the default (1000). */
  txqueuelen: number | null;
}

/** A main-table route. */
export interface ScenarioRoute {
  /** Destination prefix. */
  dst: Cidr;
  /** Next hop, or null for a direct route. */
  via: number | null;
  /** Egress interface. */
  dev: string;
}

/** An iptables filter-table rule. */
export interface ScenarioRule {
  /** Chain. */
  chain: "INPUT" | "FORWARD" | "OUTPUT";
  /** Protocol number, if matched. */
  proto?: number;
  /** Source prefix, if matched. */
  src?: Cidr;
  /** Destination prefix, if matched. */
  dst?: Cidr;
  /** Source port, if matched. */
  sport?: number;
  /** Destination port, if matched. */
  dport?: number;
  /** Input interface, if matched. */
  in?: string;
  /** Target. */
  target: "ACCEPT" | "DROP";
}

/** A socket of the scenario. */
export interface ScenarioSocket {
  /** Protocol. */
  proto: "udp" | "tcp";
  /** Local address and port. */
  local: { addr: number; port: number };
  /** Remote address and port of a connected socket. */
  remote?: { addr: number; port: number };
  /** SO_RCVBUF value given, bytes. */
  rcvbuf?: number;
}

/** A neighbour entry the scenario starts with, as `ip neigh replace ... nud STATE` makes it. */
export interface ScenarioNeighbour {
  /** The device. */
  dev: string;
  /** The neighbour's IPv4 address, host order. */
  addr: number;
  /** Its MAC address. */
  mac: Uint8Array;
  /** The NUD state given. */
  state: "permanent" | "noarp" | "reachable" | "stale";
}

/** The neighbour table a scenario starts with, and how the host finds the rest. */
export interface ScenarioNeighbours {
  /**
   * true: a peer with no entry is resolved with ARP (the wire answers only with what the frames
   * carry); false, the format's default: every peer is taken as resolved already.
   */
  arp: boolean;
  /** Entries made before the first frame, in order. */
  entries: ScenarioNeighbour[];
}

/** A loaded scenario. */
export interface Scenario {
  /** The interface the frames arrive on. */
  ingress: string;
  /** Interfaces, in order. */
  interfaces: ScenarioInterface[];
  /** Main-table routes. */
  routes: ScenarioRoute[];
  /**
   * sysctl settings by name: numbers; text for a text entry (net.core.default_qdisc's qdisc
   * name, net.ipv4.udp_mem's page counts).
   */
  sysctl: Record<string, number | string>;
  /** Filter rules in chain order. */
  filter: ScenarioRule[];
  /** Chain policies. */
  policies: Partial<Record<"INPUT" | "FORWARD" | "OUTPUT", "ACCEPT" | "DROP">>;
  /** Sockets. */
  sockets: ScenarioSocket[];
  /** The neighbour table and whether the host resolves with ARP. */
  neighbours: ScenarioNeighbours;
}

type Json = Record<string, unknown>;

// "qdisc": "tbf rate 1mbit burst 3000 limit 6000", read as tc would
function qdiscArgs(v: unknown, where: string): string[] {
  const args = string(v, where).trim().split(/\s+/);
  try {
    parseQdiscArgs(args);
  } catch (e) {
    throw new InputRangeError(
      `Cannot load scenario: ${where}: ${(e as Error).message.replace(/^tc: /, "")}`,
    );
  }
  return args;
}

function fail(where: string, what: string): never {
  throw new InputTypeError(`Cannot load scenario: ${where} ${what}`);
}

function object(v: unknown, where: string, allowed: string[]): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    fail(where, `must be an object, found ${quoteValue(v)}`);
  }
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) {
      const field = k.length > 40 ? quoteValue(k) : k;
      fail(`${where === "scenario" ? "" : where + "."}${field}`, "is not a field of the format");
    }
  }
  return v as Json;
}

function array(v: unknown, where: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(where, `must be an array, found ${quoteValue(v)}`);
  return v;
}

function string(v: unknown, where: string): string {
  if (typeof v !== "string") fail(where, `must be a string, found ${quoteValue(v)}`);
  return v;
}

function integer(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new InputRangeError(
      `Cannot load scenario: ${where} must be an integer from ${min} to ${max}, found ${
        quoteValue(v)
      }`,
    );
  }
  return v;
}

function address(v: unknown, where: string): number {
  try {
    return inAton(string(v, where));
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new InputSyntaxError(`Cannot load scenario: ${where} ${e.message.split(": ")[1]}`);
    }
    throw e;
  }
}

/**
 * Parses an IPv4 prefix `a.b.c.d/len`.
 * @param text the prefix
 * @param where the field, for the error
 * @returns the parsed prefix
 * @throws {SyntaxError} naming the field when the text is not a prefix
 * @example
 * ```ts
 * import { parseCidr } from "@rxpath/rxpath";
 * console.log(parseCidr("10.1.0.0/16", "routes[0].dst").len); // 16
 * ```
 */
export function parseCidr(text: string, where: string): Cidr {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!m || Number(m[2]) > 32) {
    throw new InputSyntaxError(
      `Cannot load scenario: ${where} ${quoteValue(text)} is not a CIDR a.b.c.d/len`,
    );
  }
  return { addr: address(m[1], where), len: Number(m[2]), text };
}

function endpoint(v: unknown, where: string): { addr: number; port: number } {
  const text = string(v, where);
  const m = /^([0-9.]+):(\d{1,5})$/.exec(text);
  if (!m) {
    throw new InputSyntaxError(
      `Cannot load scenario: ${where} ${quoteValue(text)} is not address:port`,
    );
  }
  return { addr: address(m[1], where), port: integer(Number(m[2]), `${where} port`, 0, 65535) };
}

const PROTO_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17 };

/**
 * Splits a per-device sysctl name (net.ipv4.conf.DEV.KEY, net.ipv4.neigh.DEV.KEY, and IPv6's)
 * into its generic form, with `<dev>` for the device, and the name with the device as it is
 * called. A device name may hold dots (a VLAN device eth0.100), which /proc/sys writes as
 * slashes (net.ipv4.conf.eth0/100.rp_filter); both spellings are taken, the longest device name
 * first.
 * @param name the sysctl name as given
 * @param devices device names that may appear, `all` and `default` besides
 * @returns the generic name (the name itself when no device part matched), and the name with
 *   the device written with dots
 * @example
 * ```ts
 * import { splitSysctlName } from "@rxpath/rxpath";
 * console.log(splitSysctlName("net.ipv4.conf.eth0/100.rp_filter", ["eth0", "eth0.100"]));
 * // { generic: "net.ipv4.conf.<dev>.rp_filter", normalized: "net.ipv4.conf.eth0.100.rp_filter" }
 * ```
 */
export function splitSysctlName(
  name: string,
  devices: string[],
): { generic: string; normalized: string } {
  const m = /^(net\.(?:ipv4|ipv6)\.(?:conf|neigh))\.(.+)$/.exec(name);
  if (!m) return { generic: name, normalized: name };
  const byLength = ["all", "default", ...devices].sort((a, b) => b.length - a.length);
  for (const dev of byLength) {
    for (const written of [dev, dev.replaceAll(".", "/")]) {
      if (m[2].startsWith(`${written}.`) && m[2].length > written.length + 1) {
        const key = m[2].slice(written.length + 1);
        return { generic: `${m[1]}.<dev>.${key}`, normalized: `${m[1]}.${dev}.${key}` };
      }
    }
  }
  return { generic: name, normalized: name };
}

/**
 * Checks and parses a scenario (shared/scenario-format.md, v1): unknown fields, bad CIDRs,
 * unknown interfaces, sysctl names the kernel does not have and values out of range are errors
 * that name the field.
 * @param json the parsed JSON
 * @returns the scenario
 * @throws {TypeError} for a wrong shape or an unknown field
 * @throws {SyntaxError} for an unparsable address, CIDR or endpoint
 * @throws {RangeError} for an unknown sysctl or interface, or a value out of range
 * @example
 * ```ts
 * import { loadScenario } from "@rxpath/rxpath";
 * const s = loadScenario({
 *   ingress: "eth0",
 *   interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", addrs: ["10.1.0.2/24"], mtu: 1500 }],
 * });
 * console.log(s.interfaces[0].addrs[0].len); // 24
 * ```
 */
export function loadScenario(json: unknown): Scenario {
  const top = object(json, "scenario", [
    "ingress",
    "interfaces",
    "routes",
    "sysctl",
    "filter",
    "policies",
    "sockets",
    "neighbours",
  ]);
  const interfaces = array(top.interfaces, "interfaces").map((v, i): ScenarioInterface => {
    const w = `interfaces[${i}]`;
    const o = object(v, w, ["name", "mac", "addrs", "mtu", "qdisc", "txqueuelen"]);
    const mac = string(o.mac, `${w}.mac`);
    try {
      macAton(mac);
    } catch {
      throw new InputSyntaxError(
        `Cannot load scenario: ${w}.mac ${quoteValue(mac)} is not a MAC address`,
      );
    }
    if (!isValidEtherAddr(macAton(mac))) {
      throw new InputRangeError(
        `Cannot load scenario: ${w}.mac ${
          quoteValue(mac)
        } is not a unicast address (multicast, broadcast and all-zero addresses are refused, as eth_validate_addr() does)`,
      );
    }
    const name = string(o.name, `${w}.name`);
    const bad = devValidName(name);
    if (bad) {
      throw new InputRangeError(
        `Cannot load scenario: ${w}.name ${
          quoteValue(name)
        } is not an interface name: it ${bad} (dev_valid_name())`,
      );
    }
    return {
      name,
      mac,
      addrs: array(o.addrs, `${w}.addrs`).map((a, j) =>
        parseCidr(string(a, `${w}.addrs[${j}]`), `${w}.addrs[${j}]`)
      ),
      mtu: integer(o.mtu, `${w}.mtu`, 68, 65535),
      qdisc: o.qdisc === undefined ? null : qdiscArgs(o.qdisc, `${w}.qdisc`),
      txqueuelen: o.txqueuelen === undefined
        ? null
        : integer(o.txqueuelen, `${w}.txqueuelen`, 0, 0xffffffff),
    };
  });
  if (interfaces.length === 0) fail("interfaces", "must list at least the ingress interface");
  const names = new Set(["lo", ...interfaces.map((i) => i.name)]);
  if (names.size !== interfaces.length + 1) {
    fail("interfaces", "must have unique names other than lo");
  }
  const dev = (v: unknown, where: string) => {
    const name = string(v, where);
    if (!names.has(name)) {
      throw new InputRangeError(
        `Cannot load scenario: ${where} ${quoteValue(name)} is not an interface of the scenario`,
      );
    }
    return name;
  };
  const ingress = dev(top.ingress, "ingress");
  if (ingress === "lo") {
    throw new InputRangeError(
      `Cannot load scenario: ingress "lo": frames from a capture arrive on an Ethernet interface of the scenario; lo carries only what the host sends itself`,
    );
  }
  const routes = array(top.routes, "routes").map((v, i): ScenarioRoute => {
    const w = `routes[${i}]`;
    const o = object(v, w, ["dst", "via", "dev"]);
    return {
      dst: parseCidr(string(o.dst, `${w}.dst`), `${w}.dst`),
      via: o.via === undefined ? null : address(o.via, `${w}.via`),
      dev: dev(o.dev, `${w}.dev`),
    };
  });
  const sysctlKeys = typeof top.sysctl === "object" && top.sysctl !== null
    ? Object.keys(top.sysctl)
    : [];
  const sysctlIn = top.sysctl === undefined ? {} : object(top.sysctl, "sysctl", sysctlKeys);
  const sysctl: Record<string, number | string> = {};
  for (const [name, value] of Object.entries(sysctlIn)) {
    const { generic, normalized } = splitSysctlName(name, [...names]);
    if (!NET_SYSCTL_NAMES.has(generic)) {
      throw new InputRangeError(
        `Cannot load scenario: sysctl ${quoteValue(name)} is not a sysctl of Linux 6.18`,
      );
    }
    // a text entry (net.core.default_qdisc, net.ipv4.udp_mem) takes text, every other one an
    // integer
    sysctl[normalized] = generic in NET_SYSCTL_TEXT_DEFAULTS
      ? string(value, `sysctl ${quoteValue(name)}`)
      : integer(value, `sysctl ${quoteValue(name)}`, -2147483648, 2147483647);
  }
  const filter = array(top.filter, "filter").map((v, i): ScenarioRule => {
    const w = `filter[${i}]`;
    const o = object(v, w, ["chain", "proto", "src", "dst", "sport", "dport", "in", "target"]);
    const chain = string(o.chain, `${w}.chain`);
    if (!["INPUT", "FORWARD", "OUTPUT"].includes(chain)) {
      throw new InputRangeError(
        `Cannot load scenario: ${w}.chain ${quoteValue(chain)} is not INPUT, FORWARD or OUTPUT`,
      );
    }
    const target = string(o.target, `${w}.target`);
    if (!["ACCEPT", "DROP"].includes(target)) {
      throw new InputRangeError(
        `Cannot load scenario: ${w}.target ${quoteValue(target)} is not ACCEPT or DROP`,
      );
    }
    const rule: ScenarioRule = {
      chain: chain as ScenarioRule["chain"],
      target: target as ScenarioRule["target"],
    };
    if (o.proto !== undefined) {
      rule.proto = typeof o.proto === "number"
        ? integer(o.proto, `${w}.proto`, 0, 255)
        : PROTO_NUMBERS[string(o.proto, `${w}.proto`)];
      if (rule.proto === undefined) {
        throw new InputRangeError(
          `Cannot load scenario: ${w}.proto ${
            quoteValue(o.proto)
          } is not udp, tcp, icmp or a number`,
        );
      }
    }
    if (o.src !== undefined) rule.src = parseCidr(string(o.src, `${w}.src`), `${w}.src`);
    if (o.dst !== undefined) rule.dst = parseCidr(string(o.dst, `${w}.dst`), `${w}.dst`);
    if (o.sport !== undefined) rule.sport = integer(o.sport, `${w}.sport`, 0, 65535);
    if (o.dport !== undefined) rule.dport = integer(o.dport, `${w}.dport`, 0, 65535);
    if (o.in !== undefined) {
      // iptables: "Can't use -i with OUTPUT" (no input device on the way out)
      if (chain === "OUTPUT") {
        fail(`${w}.in`, "cannot be used in OUTPUT: a packet sent out has no input device");
      }
      rule.in = dev(o.in, `${w}.in`);
    }
    return rule;
  });
  const policiesIn = top.policies === undefined
    ? {}
    : object(top.policies, "policies", ["INPUT", "FORWARD", "OUTPUT"]);
  const policies: Scenario["policies"] = {};
  for (const [chain, p] of Object.entries(policiesIn)) {
    const target = string(p, `policies.${chain}`);
    if (!["ACCEPT", "DROP"].includes(target)) {
      throw new InputRangeError(
        `Cannot load scenario: policies.${chain} ${quoteValue(target)} is not ACCEPT or DROP`,
      );
    }
    policies[chain as "INPUT"] = target as "ACCEPT";
  }
  const sockets = array(top.sockets, "sockets").map((v, i): ScenarioSocket => {
    const w = `sockets[${i}]`;
    const o = object(v, w, ["proto", "local", "remote", "rcvbuf"]);
    const proto = string(o.proto, `${w}.proto`);
    if (proto !== "udp" && proto !== "tcp") {
      throw new InputRangeError(
        `Cannot load scenario: ${w}.proto ${quoteValue(proto)} is not udp or tcp`,
      );
    }
    const s: ScenarioSocket = { proto, local: endpoint(o.local, `${w}.local`) };
    if (o.remote !== undefined) {
      if (proto === "tcp") {
        fail(
          `${w}.remote`,
          "cannot be given for tcp: a TCP socket of the format listens, and a listener has no peer",
        );
      }
      s.remote = endpoint(o.remote, `${w}.remote`);
    }
    if (o.rcvbuf !== undefined) s.rcvbuf = integer(o.rcvbuf, `${w}.rcvbuf`, 0, 2147483647);
    return s;
  });
  const neighbours = top.neighbours === undefined
    ? { arp: false, entries: [] }
    : loadNeighbours(top.neighbours, dev);
  return { ingress, interfaces, routes, sysctl, filter, policies, sockets, neighbours };
}

const NUD_STATES = ["permanent", "noarp", "reachable", "stale"];

// "neighbours": {"arp": true|false, "entries": [{"dev", "addr", "mac", "state"}]}
function loadNeighbours(
  v: unknown,
  dev: (v: unknown, where: string) => string,
): ScenarioNeighbours {
  const o = object(v, "neighbours", ["arp", "entries"]);
  if (o.arp !== undefined && typeof o.arp !== "boolean") {
    fail("neighbours.arp", `must be true or false, found ${quoteValue(o.arp)}`);
  }
  const entries = array(o.entries, "neighbours.entries").map((e, i): ScenarioNeighbour => {
    const w = `neighbours.entries[${i}]`;
    const x = object(e, w, ["dev", "addr", "mac", "state"]);
    const text = string(x.mac, `${w}.mac`);
    let mac: Uint8Array;
    try {
      mac = macAton(text);
    } catch {
      throw new InputSyntaxError(
        `Cannot load scenario: ${w}.mac ${quoteValue(text)} is not a MAC address`,
      );
    }
    const state = x.state === undefined ? "permanent" : string(x.state, `${w}.state`);
    if (!NUD_STATES.includes(state)) {
      throw new InputRangeError(
        `Cannot load scenario: ${w}.state ${quoteValue(state)} is not ${
          NUD_STATES.join(", ")
        } (the states \`ip neigh replace\` sets that hold an address)`,
      );
    }
    return {
      dev: dev(x.dev, `${w}.dev`),
      addr: address(x.addr, `${w}.addr`),
      mac,
      state: state as ScenarioNeighbour["state"],
    };
  });
  return { arp: o.arp === true, entries };
}
