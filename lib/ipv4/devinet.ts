// Models net/ipv4/devinet.c (Linux 6.18): a device's IPv4 state (struct in_device) with its
// addresses and its net.ipv4.conf.<dev>.* settings (struct ipv4_devconf), the all/default sets,
// and inet_insert_ifa(), which announces a new address to the FIB (fib_add_ifaddr()).

import { InputRangeError } from "../base/errors.ts";
import type { NetDevice } from "../core/netdevice.ts";
import type { NetdevCmd, NetdevNotifier } from "../core/net_namespace.ts";
import { type CtlTable, INT_MAX, INT_MIN } from "../core/sysctl_net.ts";
import type { InetNet } from "./netns_ipv4.ts";
import { fibAddIfaddr } from "./fib.ts";

/** The per-device IPv4 settings the kit models (struct ipv4_devconf), by sysctl name. */
export interface Ipv4Devconf {
  /** Forward packets received here (IN_DEV_FORWARD). */
  forwarding: number;
  /** Reverse-path filter: 0 off, 1 strict, 2 loose; the effective value is max(all, dev). */
  rp_filter: number;
  /** Accept 127/8 as source or destination (IN_DEV_NET_ROUTE_LOCALNET: all or dev). */
  route_localnet: number;
  /** Accept packets with a local source address (IN_DEV_ACCEPT_LOCAL: all or dev). */
  accept_local: number;
  /** Forward directed broadcasts (IN_DEV_BFORWARD: all and dev). */
  bc_forwarding: number;
  /** Send ICMP redirects (IN_DEV_TX_REDIRECTS: all or dev). */
  send_redirects: number;
  /** Media shared with other subnets (IN_DEV_SHARED_MEDIA: all or dev). */
  shared_media: number;
  /** Log martians (IN_DEV_LOG_MARTIANS: all or dev); the kit keeps the setting only. */
  log_martians: number;
  /** Drop unicast IP in link-layer multicast or broadcast frames (IN_DEV_ORCONF: all or dev). */
  drop_unicast_in_l2_multicast: number;
  /** Which ARP requests to answer (IN_DEV_ARP_IGNORE: max of all and dev); see arp_ignore(). */
  arp_ignore: number;
  /** Which source address an ARP request carries (IN_DEV_ARP_ANNOUNCE: max); see arp_solicit(). */
  arp_announce: number;
  /** Whether gratuitous ARP and replies make new entries (IN_DEV_ARP_ACCEPT: max). */
  arp_accept: number;
  /** Drop gratuitous ARP (IN_DEV_ORCONF: all or dev). */
  drop_gratuitous_arp: number;
  /** Answer ARP for hosts routed out of another device (IN_DEV_ORCONF); see arp_fwd_proxy(). */
  proxy_arp: number;
  /** Answer ARP for other hosts on the same device, a private VLAN (IN_DEV_ORCONF). */
  proxy_arp_pvlan: number;
  /** Answer a request only if the reply would leave by the device it came in on (IN_DEV_ORCONF). */
  arp_filter: number;
}

/** The kernel's built-in defaults (ipv4_devconf and ipv4_devconf_dflt in devinet.c). */
export function defaultDevconf(): Ipv4Devconf {
  return {
    forwarding: 0,
    rp_filter: 0,
    route_localnet: 0,
    accept_local: 0,
    bc_forwarding: 0,
    send_redirects: 1,
    shared_media: 1,
    log_martians: 0,
    drop_unicast_in_l2_multicast: 0,
    arp_ignore: 0,
    arp_announce: 0,
    arp_accept: 0,
    drop_gratuitous_arp: 0,
    proxy_arp: 0,
    proxy_arp_pvlan: 0,
    arp_filter: 0,
  };
}

/** An IPv4 address on a device (struct in_ifaddr). */
export interface InIfaddr {
  /** The address (ifa_local), host order. */
  local: number;
  /** Prefix length. */
  prefixlen: number;
  /** Netmask, host order. */
  mask: number;
  /** Broadcast address (0 for /31 and /32). */
  broadcast: number;
  /** A secondary address (another in the same subnet came first). */
  secondary: boolean;
}

/** A device's IPv4 state (struct in_device). */
export interface InDevice {
  /** The device. */
  dev: NetDevice;
  /** Addresses, primaries first (ifa_list). */
  ifaList: InIfaddr[];
  /** Settings (cnf). */
  cnf: Ipv4Devconf;
}

/**
 * The netmask of a prefix length, host order (inet_make_mask()).
 * @param len 0-32
 * @returns the mask
 */
export function inetMakeMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/**
 * Gives a device its IPv4 state, as inetdev_init() on NETDEV_REGISTER: settings copied from
 * net.ipv4.conf.default.
 * @param host the host
 * @param dev the device
 * @returns the new in_device
 */
export function inetdevInit(host: InetNet, dev: NetDevice): InDevice {
  const inDev: InDevice = { dev, ifaList: [], cnf: { ...host.ipv4.devconfDefault } };
  host.ipv4.inDevices.set(dev.ifindex, inDev);
  return inDev;
}

/**
 * A device's IPv4 state (__in_dev_get_rcu()), or undefined without one.
 * @param host the host
 * @param dev the device
 * @returns the in_device
 */
export function inDevGet(host: InetNet, dev: { ifindex: number }): InDevice | undefined {
  return host.ipv4.inDevices.get(dev.ifindex);
}

/**
 * Adds an address, as `ip addr add A/LEN dev DEV` does through inet_rtm_newaddr() →
 * __inet_insert_ifa(): an address in the subnet of one already there becomes secondary; the
 * FIB gets the local, connected and broadcast routes (fib_add_ifaddr()).
 * @param host the host
 * @param dev the device
 * @param local the address, host order
 * @param prefixlen prefix length
 * @throws {RangeError} when the address is on the device already, or a prefix length is not 0
 *   to 32
 * @example
 * ```ts
 * import { createHost, inAton, inetAddAddr, registerEtherdev } from "@rxpath/rxpath";
 * import { ipRouteShow } from "@rxpath/rxpath/proc";
 * const host = createHost();
 * inetAddAddr(host, registerEtherdev(host, "eth0", "02:00:00:00:00:02"), inAton("10.0.0.2"), 24);
 * console.log(ipRouteShow(host, "local").text); // local 10.0.0.2 dev eth0 ..., broadcast 10.0.0.255 ...
 * ```
 */
export function inetAddAddr(host: InetNet, dev: NetDevice, local: number, prefixlen: number): void {
  if (!Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > 32) {
    throw new InputRangeError(
      `Cannot add address to ${dev.name} with prefix length ${prefixlen}: 0 to 32`,
    );
  }
  if (!Number.isInteger(local) || local < 0 || local > 0xffffffff) {
    throw new InputRangeError(`Cannot add address ${local} to ${dev.name}: not an IPv4 address`);
  }
  const inDev = inDevGet(host, dev) ?? inetdevInit(host, dev);
  const mask = inetMakeMask(prefixlen);
  if (inDev.ifaList.some((a) => a.local === local && a.prefixlen === prefixlen)) {
    throw new InputRangeError(`Cannot add address to ${dev.name}: it has it already (EEXIST)`);
  }
  const secondary = inDev.ifaList.some((a) =>
    !a.secondary && a.mask === mask && ((a.local ^ local) & mask) === 0
  );
  // `ip addr add` sets the broadcast only with "brd +"; the kernel's broadcast route does not
  // depend on it (fib_add_ifaddr() uses prefix | ~mask).
  const broadcast = prefixlen < 31 ? ((local & mask) | ~mask) >>> 0 : 0;
  const ifa: InIfaddr = { local, prefixlen, mask, broadcast, secondary };
  inDev.ifaList.push(ifa);
  host.ipv4.inetAddrLst.add(local); // inet_hash_insert()
  inDev.ifaList.sort((a, b) => Number(a.secondary) - Number(b.secondary));
  fibAddIfaddr(host, dev, ifa);
}

/**
 * True when `addr` is an address of some device of the host (inet_addr_type() == RTN_LOCAL
 * for the address itself).
 * @param host the host
 * @param addr address, host order
 * @returns whether it is local
 */
export function isLocalAddress(host: InetNet, addr: number): boolean {
  return host.ipv4.inetAddrLst.has(addr); // __ip_dev_find(): a hash lookup
}

/**
 * Picks the source address for a packet out of a device towards `dst`, as inet_select_addr():
 * a primary address of the device in the destination's subnet, else its first primary, else
 * any primary address of the host.
 * @param host the host
 * @param dev the device
 * @param dst destination, host order (0 for any)
 * @returns the address, or 0 when the host has none
 */
export function inetSelectAddr(host: InetNet, dev: { ifindex: number }, dst: number): number {
  const own = inDevGet(host, dev)?.ifaList.filter((a) => !a.secondary) ?? [];
  const match = own.find((a) => ((a.local ^ dst) & a.mask) === 0);
  if (match) return match.local;
  if (own.length) return own[0].local;
  for (const inDev of host.ipv4.inDevices.values()) {
    const a = inDev.ifaList.find((x) => !x.secondary && !inDev.dev.loopback);
    if (a) return a.local;
  }
  return 0;
}

/**
 * True when `addr` lies in a subnet of one of the device's addresses (inet_addr_onlink()).
 * @param inDev the device's IPv4 state
 * @param a first address, host order
 * @param b second address, host order (0 to skip)
 * @returns whether both are on-link
 */
export function inetAddrOnlink(inDev: InDevice, a: number, b: number): boolean {
  return inDev.ifaList.some((ifa) =>
    ((a ^ ifa.local) & ifa.mask) === 0 && (b === 0 || ((b ^ ifa.local) & ifa.mask) === 0)
  );
}

/** The name of a per-device setting. */
export type ConfKey = keyof Ipv4Devconf;

/**
 * The value of a setting as the kernel's IN_DEV_* macro reads it: max(all, dev) for
 * rp_filter (IN_DEV_MAXCONF), all and dev for bc_forwarding (IN_DEV_ANDCONF), the device's own
 * forwarding (IN_DEV_CONF_GET), all or dev for the rest (IN_DEV_ORCONF), as
 * drop_unicast_in_l2_multicast in ip_rcv_finish_core() — checked on a 6.18 host
 * (tests/golden/linux-6.18/replay/drop_unicast_l2_all).
 * @param host the host
 * @param inDev the device
 * @param key the setting
 * @returns the effective value
 */
export function inDevConf(host: InetNet, inDev: InDevice, key: ConfKey): number {
  // a named read per key, as each IN_DEV_* macro is its own: one read by the key for every key
  // went megamorphic in V8 (about 5 % of a replay)
  const all = host.ipv4.devconfAll, dev = inDev.cnf;
  switch (key) {
    case "rp_filter": // IN_DEV_MAXCONF
      return Math.max(all.rp_filter, dev.rp_filter);
    case "arp_ignore":
      return Math.max(all.arp_ignore, dev.arp_ignore);
    case "arp_announce":
      return Math.max(all.arp_announce, dev.arp_announce);
    case "arp_accept":
      return Math.max(all.arp_accept, dev.arp_accept);
    case "bc_forwarding": // IN_DEV_ANDCONF
      return all.bc_forwarding && dev.bc_forwarding ? 1 : 0;
    case "forwarding": // IN_DEV_FORWARD: IN_DEV_CONF_GET, the device's own
      return dev.forwarding;
    case "route_localnet": // IN_DEV_ORCONF from here on
      return orConf(all.route_localnet, dev.route_localnet);
    case "accept_local":
      return orConf(all.accept_local, dev.accept_local);
    case "send_redirects":
      return orConf(all.send_redirects, dev.send_redirects);
    case "shared_media":
      return orConf(all.shared_media, dev.shared_media);
    case "log_martians":
      return orConf(all.log_martians, dev.log_martians);
    case "drop_unicast_in_l2_multicast":
      return orConf(all.drop_unicast_in_l2_multicast, dev.drop_unicast_in_l2_multicast);
    case "drop_gratuitous_arp":
      return orConf(all.drop_gratuitous_arp, dev.drop_gratuitous_arp);
    case "proxy_arp":
      return orConf(all.proxy_arp, dev.proxy_arp);
    case "proxy_arp_pvlan":
      return orConf(all.proxy_arp_pvlan, dev.proxy_arp_pvlan);
    case "arp_filter":
      return orConf(all.arp_filter, dev.arp_filter);
  }
}

// IN_DEV_ORCONF(): all or the device's
function orConf(all: number, dev: number): number {
  return all || dev ? 1 : 0;
}

/** The conf keys the kit models, with the range the kernel's handler accepts. */
const CONF_RANGES: Record<ConfKey, [number, number]> = {
  forwarding: [0, 1], // devinet_sysctl_forward: any int, stored as given; 0/1 in practice
  rp_filter: [0, 2],
  route_localnet: [0, 1],
  accept_local: [0, 1],
  bc_forwarding: [0, 1],
  send_redirects: [0, 1],
  shared_media: [0, 1],
  log_martians: [0, 1],
  drop_unicast_in_l2_multicast: [0, 1],
  // DEVINET_SYSCTL_RW_ENTRY: any int is stored; the ARP code reads unknown values as 0
  arp_ignore: [INT_MIN, INT_MAX],
  arp_announce: [INT_MIN, INT_MAX],
  arp_accept: [INT_MIN, INT_MAX],
  drop_gratuitous_arp: [INT_MIN, INT_MAX],
  proxy_arp: [INT_MIN, INT_MAX],
  proxy_arp_pvlan: [INT_MIN, INT_MAX],
  arp_filter: [INT_MIN, INT_MAX],
};

/**
 * The net.ipv4.conf.<dev>.* entries the kit models (devinet_sysctl), one per key, for `all`,
 * `default` and every device.
 * @param host the namespace whose settings the handlers change
 * @returns the entries, defaults from ipv4_devconf
 */
export function devinetSysctlTable(host: InetNet): CtlTable[] {
  const dflt = defaultDevconf();
  return (Object.keys(CONF_RANGES) as ConfKey[]).map((key) => ({
    procname: `net.ipv4.conf.<dev>.${key}`,
    value: dflt[key],
    min: CONF_RANGES[key][0],
    max: CONF_RANGES[key][1],
    source: "net/ipv4/devinet.c:devinet_conf_proc",
    perDevice: true,
    handler: (value: number, which?: string) => devinetSetConf(host, which!, key, value),
    read: (which: string) =>
      which === "all"
        ? host.ipv4.devconfAll[key]
        : which === "default"
        ? host.ipv4.devconfDefault[key]
        : host.ipv4.inDevices.get(host.devices.find((d) => d.name === which)!.ifindex)!.cnf[key],
  }));
}

/**
 * Writes net.ipv4.conf.<which>.<key>. Forwarding follows devinet_sysctl_forward(): changing it
 * for "all" is inet_forward_change(), which sets it on default and on every device too (writing
 * the value it has changes nothing); net.ipv4.ip_forward is the same switch.
 * @param host the host
 * @param which "all", "default" or a device name
 * @param key the setting
 * @param value the value, checked by the caller against the entry's bounds
 * @throws {RangeError} for an unknown device
 */
export function devinetSetConf(host: InetNet, which: string, key: ConfKey, value: number): void {
  if (which === "all") {
    const was = host.ipv4.devconfAll[key];
    host.ipv4.devconfAll[key] = value;
    // devinet_sysctl_forward(): only a change of the value is inet_forward_change()
    if (key === "forwarding" && value !== was) {
      host.sysctl["net.ipv4.ip_forward"] = value;
      host.ipv4.devconfDefault.forwarding = value;
      for (const inDev of host.ipv4.inDevices.values()) inDev.cnf.forwarding = value;
    }
    return;
  }
  if (which === "default") {
    host.ipv4.devconfDefault[key] = value;
    return;
  }
  const dev = host.devices.find((d) => d.name === which);
  if (!dev) {
    throw new InputRangeError(
      `Cannot set sysctl net.ipv4.conf.${which}.${key}: no device ${which}`,
    );
  }
  (inDevGet(host, dev) ?? inetdevInit(host, dev)).cnf[key] = value;
}

/**
 * Hooks IPv4 to device events, as devinet_init() registering ip_netdev_notifier: a device gets
 * its in_device at NETDEV_REGISTER, and lo its 127.0.0.1/8 at NETDEV_UP (inetdev_event()).
 * As register_netdevice_notifier() does, the devices already there are replayed.
 * @param host the host being booted
 */
export function devinetInit(host: InetNet): void {
  const nb: NetdevNotifier = {
    name: "inetdev_event",
    call: (event, dev) => inetdevEvent(host, event, dev),
  };
  host.registerNetdeviceNotifier(nb);
  for (const dev of host.devices) {
    nb.call("NETDEV_REGISTER", dev);
    if (dev.up) nb.call("NETDEV_UP", dev);
  }
}

function inetdevEvent(host: InetNet, event: NetdevCmd, dev: NetDevice): void {
  if (event === "NETDEV_REGISTER") inetdevInit(host, dev);
  // lo gets 127.0.0.1/8 the first time it comes up, if it has no address yet
  if (event === "NETDEV_UP" && dev.loopback && !inDevGet(host, dev)?.ifaList.length) {
    inetAddAddr(host, dev, 0x7f000001, 8);
  }
}
