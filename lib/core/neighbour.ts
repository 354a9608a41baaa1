// Models the init side of net/core/neighbour.c (Linux 6.18): neigh_init() registers the
// rtnetlink handlers for neighbour messages; neigh_table_init() adds a protocol's table.

import type { Net } from "./net_namespace.ts";

/** A neighbour table (struct neigh_table), such as ARP's arp_tbl. */
export interface NeighTable {
  /** Index in neigh_tables (NEIGH_ARP_TABLE = 0, NEIGH_ND_TABLE = 1). */
  index: number;
  /** Table name (tbl->id), such as `arp_cache`. */
  id: string;
  /** Address family. */
  family: number;
}

/** An rtnetlink handler registration (rtnl_register()). */
export interface RtnlHandler {
  /** Message type name, such as `RTM_NEWNEIGH`. */
  msgtype: string;
  /** doit handler's symbol, or null. */
  doit: string | null;
  /** dumpit handler's symbol, or null. */
  dumpit: string | null;
}

/**
 * Registers the neighbour rtnetlink handlers, as neigh_init() (a subsys_initcall): what
 * `ip neigh` talks to.
 * @param host the host being booted
 */
export function neighInit(host: Net): void {
  host.sim.enterFn(host.bootCpu, "neigh_init");
  const handlers: RtnlHandler[] = [
    { msgtype: "RTM_NEWNEIGH", doit: "neigh_add", dumpit: null },
    { msgtype: "RTM_DELNEIGH", doit: "neigh_delete", dumpit: null },
    { msgtype: "RTM_GETNEIGH", doit: "neigh_get", dumpit: "neigh_dump_info" },
    { msgtype: "RTM_GETNEIGHTBL", doit: null, dumpit: "neightbl_dump_info" },
    { msgtype: "RTM_SETNEIGHTBL", doit: "neightbl_set", dumpit: null },
  ];
  // rtnl_register_many(neigh_rtnl_msg_handlers): one call for the table (6.12+)
  host.sim.enterFn(host.bootCpu, "__rtnl_register_many");
  host.rtnlHandlers.push(...handlers);
  host.sim.exitFn(host.bootCpu, "__rtnl_register_many");
  host.sim.exitFn(host.bootCpu, "neigh_init");
}

/**
 * Adds a neighbour table, as neigh_table_init().
 * @param host the host
 * @param table the table
 */
export function neighTableInit(host: Net, table: NeighTable): void {
  host.sim.enterFn(host.bootCpu, "neigh_table_init");
  host.neighTables[table.index] = table;
  host.sim.exitFn(host.bootCpu, "neigh_table_init");
}
