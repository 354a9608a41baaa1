// Loads a host scenario as ../shared/scenario-format.md (v1) defines it: every field checked,
// every error naming the field and what was wrong with it. What the kit does with each field
// grows chapter by chapter; loadScenario() itself accepts exactly the format.

import { inAton } from "../wire/ipv4.ts";
import { macAton } from "../wire/ethernet.ts";
import { NET_SYSCTL_NAMES } from "./sysctl_names.ts";

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

/** A loaded scenario. */
export interface Scenario {
  /** The interface the frames arrive on. */
  ingress: string;
  /** Interfaces, in order. */
  interfaces: ScenarioInterface[];
  /** Main-table routes. */
  routes: ScenarioRoute[];
  /** sysctl settings by name. */
  sysctl: Record<string, number>;
  /** Filter rules in chain order. */
  filter: ScenarioRule[];
  /** Chain policies. */
  policies: Partial<Record<"INPUT" | "FORWARD" | "OUTPUT", "ACCEPT" | "DROP">>;
  /** Sockets. */
  sockets: ScenarioSocket[];
}

type Json = Record<string, unknown>;

function fail(where: string, what: string): never {
  throw new TypeError(`Cannot load scenario: ${where} ${what}`);
}

function object(v: unknown, where: string, allowed: string[]): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    fail(where, `must be an object, found ${JSON.stringify(v)}`);
  }
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) {
      fail(`${where === "scenario" ? "" : where + "."}${k}`, "is not a field of the format");
    }
  }
  return v as Json;
}

function array(v: unknown, where: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(where, `must be an array, found ${JSON.stringify(v)}`);
  return v;
}

function string(v: unknown, where: string): string {
  if (typeof v !== "string") fail(where, `must be a string, found ${JSON.stringify(v)}`);
  return v;
}

function integer(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(
      `Cannot load scenario: ${where} must be an integer from ${min} to ${max}, found ${
        JSON.stringify(v)
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
      throw new SyntaxError(`Cannot load scenario: ${where} ${e.message.split(": ")[1]}`);
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
    throw new SyntaxError(`Cannot load scenario: ${where} "${text}" is not a CIDR a.b.c.d/len`);
  }
  return { addr: address(m[1], where), len: Number(m[2]), text };
}

function endpoint(v: unknown, where: string): { addr: number; port: number } {
  const text = string(v, where);
  const m = /^([0-9.]+):(\d{1,5})$/.exec(text);
  if (!m) throw new SyntaxError(`Cannot load scenario: ${where} "${text}" is not address:port`);
  return { addr: address(m[1], where), port: integer(Number(m[2]), `${where} port`, 0, 65535) };
}

const PROTO_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17 };

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
  ]);
  const interfaces = array(top.interfaces, "interfaces").map((v, i): ScenarioInterface => {
    const w = `interfaces[${i}]`;
    const o = object(v, w, ["name", "mac", "addrs", "mtu"]);
    const mac = string(o.mac, `${w}.mac`);
    try {
      macAton(mac);
    } catch {
      throw new SyntaxError(`Cannot load scenario: ${w}.mac "${mac}" is not a MAC address`);
    }
    return {
      name: string(o.name, `${w}.name`),
      mac,
      addrs: array(o.addrs, `${w}.addrs`).map((a, j) =>
        parseCidr(string(a, `${w}.addrs[${j}]`), `${w}.addrs[${j}]`)
      ),
      mtu: integer(o.mtu, `${w}.mtu`, 68, 65535),
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
      throw new RangeError(
        `Cannot load scenario: ${where} "${name}" is not an interface of the scenario`,
      );
    }
    return name;
  };
  const ingress = dev(top.ingress, "ingress");
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
  const sysctl: Record<string, number> = {};
  for (const [name, value] of Object.entries(sysctlIn)) {
    const m = /^(net\.(?:ipv4|ipv6)\.(?:conf|neigh))\.([^.]+)\.(.+)$/.exec(name);
    const generic = m && (["all", "default"].includes(m[2]) || names.has(m[2]))
      ? `${m[1]}.<dev>.${m[3]}`
      : name;
    if (!NET_SYSCTL_NAMES.has(generic)) {
      throw new RangeError(`Cannot load scenario: sysctl "${name}" is not a sysctl of Linux 6.18`);
    }
    sysctl[name] = integer(value, `sysctl "${name}"`, -2147483648, 2147483647);
  }
  const filter = array(top.filter, "filter").map((v, i): ScenarioRule => {
    const w = `filter[${i}]`;
    const o = object(v, w, ["chain", "proto", "src", "dst", "sport", "dport", "in", "target"]);
    const chain = string(o.chain, `${w}.chain`);
    if (!["INPUT", "FORWARD", "OUTPUT"].includes(chain)) {
      throw new RangeError(
        `Cannot load scenario: ${w}.chain "${chain}" is not INPUT, FORWARD or OUTPUT`,
      );
    }
    const target = string(o.target, `${w}.target`);
    if (!["ACCEPT", "DROP"].includes(target)) {
      throw new RangeError(`Cannot load scenario: ${w}.target "${target}" is not ACCEPT or DROP`);
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
        throw new RangeError(
          `Cannot load scenario: ${w}.proto "${o.proto}" is not udp, tcp, icmp or a number`,
        );
      }
    }
    if (o.src !== undefined) rule.src = parseCidr(string(o.src, `${w}.src`), `${w}.src`);
    if (o.dst !== undefined) rule.dst = parseCidr(string(o.dst, `${w}.dst`), `${w}.dst`);
    if (o.sport !== undefined) rule.sport = integer(o.sport, `${w}.sport`, 0, 65535);
    if (o.dport !== undefined) rule.dport = integer(o.dport, `${w}.dport`, 0, 65535);
    if (o.in !== undefined) rule.in = dev(o.in, `${w}.in`);
    return rule;
  });
  const policiesIn = top.policies === undefined
    ? {}
    : object(top.policies, "policies", ["INPUT", "FORWARD", "OUTPUT"]);
  const policies: Scenario["policies"] = {};
  for (const [chain, p] of Object.entries(policiesIn)) {
    const target = string(p, `policies.${chain}`);
    if (!["ACCEPT", "DROP"].includes(target)) {
      throw new RangeError(
        `Cannot load scenario: policies.${chain} "${target}" is not ACCEPT or DROP`,
      );
    }
    policies[chain as "INPUT"] = target as "ACCEPT";
  }
  const sockets = array(top.sockets, "sockets").map((v, i): ScenarioSocket => {
    const w = `sockets[${i}]`;
    const o = object(v, w, ["proto", "local", "remote", "rcvbuf"]);
    const proto = string(o.proto, `${w}.proto`);
    if (proto !== "udp" && proto !== "tcp") {
      throw new RangeError(`Cannot load scenario: ${w}.proto "${proto}" is not udp or tcp`);
    }
    const s: ScenarioSocket = { proto, local: endpoint(o.local, `${w}.local`) };
    if (o.remote !== undefined) s.remote = endpoint(o.remote, `${w}.remote`);
    if (o.rcvbuf !== undefined) s.rcvbuf = integer(o.rcvbuf, `${w}.rcvbuf`, 0, 2147483647);
    return s;
  });
  return { ingress, interfaces, routes, sysctl, filter, policies, sockets };
}
