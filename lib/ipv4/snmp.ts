// Models the IPv4 MIB counters of include/net/snmp.h and their /proc files
// (net/ipv4/proc.c: snmp_seq_show and netstat_seq_show, Linux 6.18): the Ip, Icmp, IcmpMsg,
// Tcp and Udp groups of /proc/net/snmp and IpExt of /proc/net/netstat, named as there.

import type { InetNet } from "./netns_ipv4.ts";

/** Ip: fields of /proc/net/snmp in order (snmp4_ipstats_list, 6.18 with OutTransmits). */
export const IP_MIB_FIELDS = [
  "Forwarding",
  "DefaultTTL",
  "InReceives",
  "InHdrErrors",
  "InAddrErrors",
  "ForwDatagrams",
  "InUnknownProtos",
  "InDiscards",
  "InDelivers",
  "OutRequests",
  "OutDiscards",
  "OutNoRoutes",
  "ReasmTimeout",
  "ReasmReqds",
  "ReasmOKs",
  "ReasmFails",
  "FragOKs",
  "FragFails",
  "FragCreates",
  "OutTransmits",
] as const;

/** IpExt: fields of /proc/net/netstat in order (snmp4_ipextstats_list). */
export const IPEXT_MIB_FIELDS = [
  "InNoRoutes",
  "InTruncatedPkts",
  "InMcastPkts",
  "OutMcastPkts",
  "InBcastPkts",
  "OutBcastPkts",
  "InOctets",
  "OutOctets",
  "InMcastOctets",
  "OutMcastOctets",
  "InBcastOctets",
  "OutBcastOctets",
  "InCsumErrors",
  "InNoECTPkts",
  "InECT1Pkts",
  "InECT0Pkts",
  "InCEPkts",
  "ReasmOverlaps",
] as const;

/** Tcp: fields in order (snmp4_tcp_list). */
export const TCP_MIB_FIELDS = [
  "RtoAlgorithm",
  "RtoMin",
  "RtoMax",
  "MaxConn",
  "ActiveOpens",
  "PassiveOpens",
  "AttemptFails",
  "EstabResets",
  "CurrEstab",
  "InSegs",
  "OutSegs",
  "RetransSegs",
  "InErrs",
  "OutRsts",
  "InCsumErrors",
] as const;

/** Udp: fields in order (snmp4_udp_list). */
export const UDP_MIB_FIELDS = [
  "InDatagrams",
  "NoPorts",
  "InErrors",
  "OutDatagrams",
  "RcvbufErrors",
  "SndbufErrors",
  "InCsumErrors",
  "IgnoredMulti",
  "MemErrors",
] as const;

// icmp_pointers[] names of the types /proc/net/snmp's Icmp line breaks out, in its order
// (net/ipv4/proc.c:icmp_put): In<name> and Out<name> are the IcmpMsg counts of these types.
const ICMP_TYPE_NAMES: [number, string][] = [
  [3, "DestUnreachs"],
  [11, "TimeExcds"],
  [12, "ParmProbs"],
  [4, "SrcQuenchs"],
  [5, "Redirects"],
  [8, "Echos"],
  [0, "EchoReps"],
  [13, "Timestamps"],
  [14, "TimestampReps"],
  [17, "AddrMasks"],
  [18, "AddrMaskReps"],
];

/** The Icmp group's own counters (the rest come from IcmpMsg). */
export const ICMP_MIB_FIELDS = [
  "InMsgs",
  "InErrors",
  "InCsumErrors",
  "OutMsgs",
  "OutErrors",
  "OutRateLimitGlobal",
  "OutRateLimitHost",
] as const;

/**
 * TcpExt: the fields of /proc/net/netstat in order (net/ipv4/proc.c: snmp4_net_list), as Linux
 * 6.18.44 prints them. The kit counts those its TCP receive path models; the rest stay 0.
 */
export const TCPEXT_MIB_FIELDS = [
  "SyncookiesSent",
  "SyncookiesRecv",
  "SyncookiesFailed",
  "EmbryonicRsts",
  "PruneCalled",
  "RcvPruned",
  "OfoPruned",
  "OutOfWindowIcmps",
  "LockDroppedIcmps",
  "ArpFilter",
  "TW",
  "TWRecycled",
  "TWKilled",
  "PAWSActive",
  "PAWSEstab",
  "BeyondWindow",
  "TSEcrRejected",
  "PAWSOldAck",
  "PAWSTimewait",
  "DelayedACKs",
  "DelayedACKLocked",
  "DelayedACKLost",
  "ListenOverflows",
  "ListenDrops",
  "TCPHPHits",
  "TCPPureAcks",
  "TCPHPAcks",
  "TCPRenoRecovery",
  "TCPSackRecovery",
  "TCPSACKReneging",
  "TCPSACKReorder",
  "TCPRenoReorder",
  "TCPTSReorder",
  "TCPFullUndo",
  "TCPPartialUndo",
  "TCPDSACKUndo",
  "TCPLossUndo",
  "TCPLostRetransmit",
  "TCPRenoFailures",
  "TCPSackFailures",
  "TCPLossFailures",
  "TCPFastRetrans",
  "TCPSlowStartRetrans",
  "TCPTimeouts",
  "TCPLossProbes",
  "TCPLossProbeRecovery",
  "TCPRenoRecoveryFail",
  "TCPSackRecoveryFail",
  "TCPRcvCollapsed",
  "TCPBacklogCoalesce",
  "TCPDSACKOldSent",
  "TCPDSACKOfoSent",
  "TCPDSACKRecv",
  "TCPDSACKOfoRecv",
  "TCPAbortOnData",
  "TCPAbortOnClose",
  "TCPAbortOnMemory",
  "TCPAbortOnTimeout",
  "TCPAbortOnLinger",
  "TCPAbortFailed",
  "TCPMemoryPressures",
  "TCPMemoryPressuresChrono",
  "TCPSACKDiscard",
  "TCPDSACKIgnoredOld",
  "TCPDSACKIgnoredNoUndo",
  "TCPSpuriousRTOs",
  "TCPMD5NotFound",
  "TCPMD5Unexpected",
  "TCPMD5Failure",
  "TCPSackShifted",
  "TCPSackMerged",
  "TCPSackShiftFallback",
  "TCPBacklogDrop",
  "PFMemallocDrop",
  "TCPMinTTLDrop",
  "TCPDeferAcceptDrop",
  "IPReversePathFilter",
  "TCPTimeWaitOverflow",
  "TCPReqQFullDoCookies",
  "TCPReqQFullDrop",
  "TCPRetransFail",
  "TCPRcvCoalesce",
  "TCPOFOQueue",
  "TCPOFODrop",
  "TCPOFOMerge",
  "TCPChallengeACK",
  "TCPSYNChallenge",
  "TCPFastOpenActive",
  "TCPFastOpenActiveFail",
  "TCPFastOpenPassive",
  "TCPFastOpenPassiveFail",
  "TCPFastOpenListenOverflow",
  "TCPFastOpenCookieReqd",
  "TCPFastOpenBlackhole",
  "TCPSpuriousRtxHostQueues",
  "BusyPollRxPackets",
  "TCPAutoCorking",
  "TCPFromZeroWindowAdv",
  "TCPToZeroWindowAdv",
  "TCPWantZeroWindowAdv",
  "TCPSynRetrans",
  "TCPOrigDataSent",
  "TCPHystartTrainDetect",
  "TCPHystartTrainCwnd",
  "TCPHystartDelayDetect",
  "TCPHystartDelayCwnd",
  "TCPACKSkippedSynRecv",
  "TCPACKSkippedPAWS",
  "TCPACKSkippedSeq",
  "TCPACKSkippedFinWait2",
  "TCPACKSkippedTimeWait",
  "TCPACKSkippedChallenge",
  "TCPWinProbe",
  "TCPKeepAlive",
  "TCPMTUPFail",
  "TCPMTUPSuccess",
  "TCPDelivered",
  "TCPDeliveredCE",
  "TCPAckCompressed",
  "TCPZeroWindowDrop",
  "TCPRcvQDrop",
  "TCPWqueueTooBig",
  "TCPFastOpenPassiveAltKey",
  "TcpTimeoutRehash",
  "TcpDuplicateDataRehash",
  "TCPDSACKRecvSegs",
  "TCPDSACKIgnoredDubious",
  "TCPMigrateReqSuccess",
  "TCPMigrateReqFailure",
  "TCPPLBRehash",
  "TCPAORequired",
  "TCPAOBad",
  "TCPAOKeyNotFound",
  "TCPAOGood",
  "TCPAODroppedIcmps",
] as const;

/**
 * MPTcpExt: the MPTCP counters /proc/net/netstat prints after IpExt on a kernel built with MPTCP
 * (net/mptcp/mib.c: mptcp_snmp_list), as Linux 6.18.44 prints them; the kit has no MPTCP.
 */
export const MPTCPEXT_MIB_FIELDS = [
  "MPCapableSYNRX",
  "MPCapableSYNTX",
  "MPCapableSYNACKRX",
  "MPCapableACKRX",
  "MPCapableFallbackACK",
  "MPCapableFallbackSYNACK",
  "MPCapableSYNTXDrop",
  "MPCapableSYNTXDisabled",
  "MPCapableEndpAttempt",
  "MPFallbackTokenInit",
  "MPTCPRetrans",
  "MPJoinNoTokenFound",
  "MPJoinSynRx",
  "MPJoinSynBackupRx",
  "MPJoinSynAckRx",
  "MPJoinSynAckBackupRx",
  "MPJoinSynAckHMacFailure",
  "MPJoinAckRx",
  "MPJoinAckHMacFailure",
  "MPJoinRejected",
  "MPJoinSynTx",
  "MPJoinSynTxCreatSkErr",
  "MPJoinSynTxBindErr",
  "MPJoinSynTxConnectErr",
  "DSSNotMatching",
  "DSSCorruptionFallback",
  "DSSCorruptionReset",
  "InfiniteMapTx",
  "InfiniteMapRx",
  "DSSNoMatchTCP",
  "DataCsumErr",
  "OFOQueueTail",
  "OFOQueue",
  "OFOMerge",
  "NoDSSInWindow",
  "DuplicateData",
  "AddAddr",
  "AddAddrTx",
  "AddAddrTxDrop",
  "EchoAdd",
  "EchoAddTx",
  "EchoAddTxDrop",
  "PortAdd",
  "AddAddrDrop",
  "MPJoinPortSynRx",
  "MPJoinPortSynAckRx",
  "MPJoinPortAckRx",
  "MismatchPortSynRx",
  "MismatchPortAckRx",
  "RmAddr",
  "RmAddrDrop",
  "RmAddrTx",
  "RmAddrTxDrop",
  "RmSubflow",
  "MPPrioTx",
  "MPPrioRx",
  "MPFailTx",
  "MPFailRx",
  "MPFastcloseTx",
  "MPFastcloseRx",
  "MPRstTx",
  "MPRstRx",
  "SubflowStale",
  "SubflowRecover",
  "SndWndShared",
  "RcvWndShared",
  "RcvWndConflictUpdate",
  "RcvWndConflict",
  "MPCurrEstab",
  "Blackhole",
  "MPCapableDataFallback",
  "MD5SigFallback",
  "DssFallback",
  "SimultConnectFallback",
  "FallbackFailed",
  "WinProbe",
] as const;

/** A group of counters by field name. */
export type Counters<T extends readonly string[]> = Record<T[number], number>;

function zeros<T extends readonly string[]>(fields: T): Counters<T> {
  return Object.fromEntries(fields.map((f) => [f, 0])) as Counters<T>;
}

/**
 * A network namespace's MIB counters (net->mib), the ones /proc/net/snmp and the IpExt line of
 * /proc/net/netstat show. Forwarding, DefaultTTL and the Tcp constants are read from the host
 * when shown.
 *
 * @example
 * ```ts
 * import { createHost } from "@rxpath/rxpath";
 * const host = createHost();
 * console.log(host.mib.ip.InReceives, host.mib.udp.NoPorts); // 0 0
 * ```
 */
export class Mib {
  /** Ip group. */
  readonly ip: Counters<typeof IP_MIB_FIELDS> = zeros(IP_MIB_FIELDS);
  /** IpExt group. */
  readonly ipExt: Counters<typeof IPEXT_MIB_FIELDS> = zeros(IPEXT_MIB_FIELDS);
  /** Icmp group's own counters. */
  readonly icmp: Counters<typeof ICMP_MIB_FIELDS> = zeros(ICMP_MIB_FIELDS);
  /** IcmpMsg: messages received, by type. */
  readonly icmpMsgIn: number[] = new Array(256).fill(0);
  /** IcmpMsg: messages sent, by type. */
  readonly icmpMsgOut: number[] = new Array(256).fill(0);
  /** Tcp group. */
  readonly tcp: Counters<typeof TCP_MIB_FIELDS> = zeros(TCP_MIB_FIELDS);
  /** TcpExt group (/proc/net/netstat). */
  readonly tcpExt: Counters<typeof TCPEXT_MIB_FIELDS> = zeros(TCPEXT_MIB_FIELDS);
  /** Udp group. */
  readonly udp: Counters<typeof UDP_MIB_FIELDS> = zeros(UDP_MIB_FIELDS);
}

/** The groups of /proc/net/snmp as name → value, every field included. */
export type SnmpGroups = Record<"Ip" | "Icmp" | "IcmpMsg" | "Tcp" | "Udp", Record<string, number>>;

/**
 * Reads the counters as /proc/net/snmp shows them, every field of each group.
 * @param host the host
 * @returns groups of fields, in the file's order
 */
export function snmpGroups(host: InetNet): SnmpGroups {
  const m = host.mib;
  // Forwarding: 1 forwarding, 2 not (RFC 1213 ipForwarding), from conf.all.forwarding.
  const ip: Record<string, number> = {
    ...m.ip,
    Forwarding: host.ipv4.devconfAll.forwarding ? 1 : 2,
    DefaultTTL: host.sysctl["net.ipv4.ip_default_ttl"],
  };
  const icmp: Record<string, number> = {};
  for (const f of ICMP_MIB_FIELDS.slice(0, 3)) icmp[f] = m.icmp[f];
  for (const [t, name] of ICMP_TYPE_NAMES) icmp[`In${name}`] = m.icmpMsgIn[t];
  for (const f of ICMP_MIB_FIELDS.slice(3)) icmp[f] = m.icmp[f];
  for (const [t, name] of ICMP_TYPE_NAMES) icmp[`Out${name}`] = m.icmpMsgOut[t];
  const icmpMsg: Record<string, number> = {};
  for (let t = 0; t < 256; t++) if (m.icmpMsgIn[t]) icmpMsg[`InType${t}`] = m.icmpMsgIn[t];
  for (let t = 0; t < 256; t++) if (m.icmpMsgOut[t]) icmpMsg[`OutType${t}`] = m.icmpMsgOut[t];
  // tcp_mib_init(): RtoAlgorithm 1 (other), RtoMin/RtoMax in ms, MaxConn -1 (dynamic);
  // CurrEstab is counted live.
  const tcp: Record<string, number> = {
    ...m.tcp,
    RtoAlgorithm: 1,
    RtoMin: 200,
    RtoMax: 120000,
    MaxConn: -1,
  };
  return { Ip: ip, Icmp: icmp, IcmpMsg: icmpMsg, Tcp: tcp, Udp: { ...m.udp } };
}

/** The groups of /proc/net/snmp with their non-zero fields; IcmpMsg only once some type counted. */
export type SnmpNonZero = Omit<SnmpGroups, "IcmpMsg"> & { IcmpMsg?: Record<string, number> };

/**
 * The non-zero fields of each /proc/net/snmp group (Ip, Icmp, IcmpMsg, Tcp, Udp), as the
 * replay summary reports them; the IcmpMsg group is left out while empty, as the file leaves
 * out its lines (icmpmsg_put()).
 * @param host the host
 * @returns groups with their non-zero fields
 */
export function snmpNonZero(host: InetNet): SnmpNonZero {
  const g = snmpGroups(host);
  const nz = (r: Record<string, number>) =>
    Object.fromEntries(Object.entries(r).filter(([, v]) => v !== 0));
  const icmpMsg = nz(g.IcmpMsg);
  return {
    Ip: nz(g.Ip),
    Icmp: nz(g.Icmp),
    ...(Object.keys(icmpMsg).length ? { IcmpMsg: icmpMsg } : {}),
    Tcp: nz(g.Tcp),
    Udp: nz(g.Udp),
  };
}

/**
 * Counts an ICMP message received or sent in IcmpMsg (ICMPMSGIN_INC_STATS / ICMPMSGOUT_INC_STATS).
 * @param host the host
 * @param dir "in" or "out"
 * @param type the ICMP type
 */
export function icmpMsgInc(host: InetNet, dir: "in" | "out", type: number): void {
  (dir === "in" ? host.mib.icmpMsgIn : host.mib.icmpMsgOut)[type & 255]++;
}
