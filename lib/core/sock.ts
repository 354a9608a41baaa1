// Models the protocol registry of net/core/sock.c (Linux 6.18): struct proto, proto_register()
// and the proto_list that /proc/net/protocols walks.

import { InputRangeError } from "../base/errors.ts";
import type { Net } from "./net_namespace.ts";
import type { ReplyOptions, SkBuff } from "./skbuff.ts";
import type { Cpu } from "../sim/cpu.ts";
import { RbTree } from "./rbtree.ts";

/** The struct proto methods /proc/net/protocols reports, in its column order. */
export const PROTO_METHODS = [
  "close",
  "connect",
  "disconnect",
  "accept",
  "ioctl",
  "init",
  "destroy",
  "shutdown",
  "setsockopt",
  "getsockopt",
  "sendmsg",
  "recvmsg",
  "bind",
  "backlog_rcv",
  "hash",
  "unhash",
  "get_port",
  "enter_memory_pressure",
] as const;

/** A transport protocol's description (struct proto), as far as the kit uses it. */
export interface Proto {
  /** Name, such as `TCP`. */
  name: string;
  /** Size of its socket structure (obj_size), bytes. */
  objSize: number;
  /** Header room it reserves (max_header). */
  maxHeader: number;
  /**
   * Pages charged to it (memory_allocated), or null when it keeps no account: the count its
   * limits and /proc/net/sockstat see, behind what each CPU's reserve holds.
   */
  memoryAllocated: number | null;
  /** Pages each CPU has charged and not yet added to memory_allocated (per_cpu_fw_alloc). */
  perCpuFwAlloc: number[];
  /** Its limits in pages, min, pressure and max (sysctl_mem: net.ipv4.udp_mem), or null. */
  sysctlMem: [number, number, number] | null;
  /** Memory pressure state, or null when not implemented ("NI"). */
  memoryPressure: boolean | null;
  /** Sockets in use (sock_prot_inuse_get()). */
  inuse: number;
  /** True when it has its own slab cache. */
  slab: boolean;
  /** The methods it implements. */
  methods: ReadonlySet<(typeof PROTO_METHODS)[number]>;
}

/**
 * Registers a transport protocol, as proto_register(): list_add() puts it at the head of
 * proto_list, so /proc/net/protocols lists the newest first.
 * @param host the host
 * @param prot the protocol
 * @param allocSlab whether it gets a slab cache of its own
 * @throws {RangeError} when the name is registered already
 */
export function protoRegister(host: Net, prot: Proto, allocSlab: boolean): void {
  if (host.protoList.some((p) => p.name === prot.name)) {
    throw new InputRangeError(`Cannot register protocol ${prot.name}: already registered`);
  }
  host.sim.enterFn(host.bootCpu, "proto_register");
  prot.slab = allocSlab;
  host.protoList.unshift(prot);
  host.sim.exitFn(host.bootCpu, "proto_register");
}

// Moves a CPU's reserve into the shared count (proto_memory_pcpu_drain()).
function protoMemoryPcpuDrain(prot: Proto, cpu: number): void {
  prot.memoryAllocated = (prot.memoryAllocated ?? 0) + (prot.perCpuFwAlloc[cpu] ?? 0);
  prot.perCpuFwAlloc[cpu] = 0;
}

/**
 * Charges pages to a protocol from a CPU, as sk_memory_allocated_add()
 * (include/net/proto_memory.h): the CPU's reserve takes them, and only once it holds
 * net.core.mem_pcpu_rsv pages does it go into memory_allocated — so the count the limits see
 * moves in steps of 256 pages (1 MiB) per CPU.
 * @param host the host (its net.core.mem_pcpu_rsv)
 * @param prot the protocol
 * @param cpu the CPU charging
 * @param pages how many
 */
export function skMemoryAllocatedAdd(host: Net, prot: Proto, cpu: number, pages: number): void {
  prot.perCpuFwAlloc[cpu] = (prot.perCpuFwAlloc[cpu] ?? 0) + pages;
  if (prot.perCpuFwAlloc[cpu] >= host.sysctl["net.core.mem_pcpu_rsv"]) {
    protoMemoryPcpuDrain(prot, cpu);
  }
}

/**
 * Returns pages a protocol had charged, as sk_memory_allocated_sub(): the CPU's reserve goes
 * down, into memory_allocated once it is net.core.mem_pcpu_rsv pages below zero.
 * @param host the host
 * @param prot the protocol
 * @param cpu the CPU returning them
 * @param pages how many
 */
export function skMemoryAllocatedSub(host: Net, prot: Proto, cpu: number, pages: number): void {
  prot.perCpuFwAlloc[cpu] = (prot.perCpuFwAlloc[cpu] ?? 0) - pages;
  if (prot.perCpuFwAlloc[cpu] <= -host.sysctl["net.core.mem_pcpu_rsv"]) {
    protoMemoryPcpuDrain(prot, cpu);
  }
}

/**
 * Asks a protocol for `amt` pages for a socket's receive side, as __sk_mem_raise_allocated()
 * with SK_MEM_RECV: granted while memory_allocated is at most sysctl_mem[0]; refused above
 * sysctl_mem[2]; in between granted only while the socket holds less than rmem0 (udp_rmem_min)
 * — a protocol with no pressure state (UDP) has no fairer rule after that, and refuses. A
 * refusal takes the pages back.
 * @param host the host
 * @param prot the protocol
 * @param cpu the CPU charging
 * @param sk the socket
 * @param amt pages asked for
 * @param rmem0 the guaranteed minimum of sk_rmem_alloc, bytes (sk_get_rmem0())
 * @returns true when granted
 */
export function skMemRaiseAllocatedRecv(
  host: Net,
  prot: Proto,
  cpu: number,
  sk: Sock,
  amt: number,
  rmem0: number,
): boolean {
  skMemoryAllocatedAdd(host, prot, cpu, amt);
  const allocated = prot.memoryAllocated ?? 0;
  const limits = prot.sysctlMem;
  if (!limits || allocated <= limits[0]) return true;
  if (allocated <= limits[2] && sk.rmemAlloc < rmem0) return true;
  skMemoryAllocatedSub(host, prot, cpu, amt); // suppress_allocation
  return false;
}

/** TCP states (include/net/tcp_states.h) the kit uses; UDP reuses ESTABLISHED and CLOSE. */
export const TCP_STATES = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  TIME_WAIT: 6,
  CLOSE: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
} as const;

/**
 * The receive-side state of a TCP connection (struct tcp_sock and the icsk_ack part of struct
 * inet_connection_sock), named as include/linux/tcp.h names it; sequence numbers are u32.
 */
export interface TcpSockState {
  /** First sequence number this end sent (the ISS). */
  iss: number;
  /** Next sequence number to send (snd_nxt). */
  sndNxt: number;
  /** Receive window last advertised, bytes (rcv_wnd). */
  rcvWnd: number;
  /** rcv_nxt when the window was last advertised (rcv_wup). */
  rcvWup: number;
  /** The largest window this end will advertise (window_clamp). */
  windowClamp: number;
  /** The window's slow-start threshold (rcv_ssthresh). */
  rcvSsthresh: number;
  /** Our window scale shift (rx_opt.rcv_wscale). */
  rcvWscale: number;
  /** The peer's window scale shift (rx_opt.snd_wscale). */
  sndWscale: number;
  /** The MSS we advertise (advmss). */
  advmss: number;
  /** Our guess of the peer's segment size (icsk_ack.rcv_mss). */
  rcvMss: number;
  /** The segment size we send: the peer's MSS within the path, less timestamps (mss_cache). */
  mssCache: number;
  /** The peer's MSS, within TCP_MAXSEG (rx_opt.mss_clamp). */
  mssClamp: number;
  /** The largest window the peer offered (max_window): mss_cache stays within half of it. */
  maxWindow: number;
  /** Quick ACKs left (icsk_ack.quick). */
  quick: number;
  /** Interactive (pingpong) mode: quick ACKs are off (icsk_ack.pingpong >= tcp_pingpong_thresh). */
  pingpong: boolean;
  /** The delayed-ACK timeout, jiffies (icsk_ack.ato); 0 until the first data. */
  ato: number;
  /** The smoothed RTT, µs << 3 (srtt_us); 0 until measured (the handshake measures one). */
  srttUs8: number;
  /** The RTT's mean deviation, µs << 2 (mdev_us). */
  mdevUs: number;
  /** The largest mdev of the current window of data (mdev_max_us). */
  mdevMaxUs: number;
  /** The variance the RTO adds to srtt, µs (rttvar_us). */
  rttvarUs: number;
  /** snd_nxt when the variance was last decayed (rtt_seq). */
  rttSeq: number;
  /** The smallest RTT sample, µs (rtt_min), ~0 before any. */
  minRttUs: number;
  /** When our FIN went, ns (its skb_mstamp_ns), or -1. */
  finSentAt: number;
  /** For an active open, when the SYN first went, ns (retrans_stamp). */
  synSentAt: number;
  /**
   * For an active open, the SYN's retransmission timer: times sent again (icsk_retransmits),
   * the timeout (icsk_rto, jiffies), which arming is current (a later one supersedes), and what
   * giving up does.
   */
  synTimer: { retransmits: number; rto: number; gen: number; onTimeout: () => void } | null;
  /**
   * icsk_ack.pending: an ACK is owed (ICSK_ACK_SCHED), must go now (ICSK_ACK_NOW), its timer is
   * armed (ICSK_ACK_TIMER), a small segment came (ICSK_ACK_PUSHED, twice: ICSK_ACK_PUSHED2).
   */
  ackPending: {
    sched: boolean;
    now: boolean;
    timer: boolean;
    pushed: boolean;
    pushed2: boolean;
    /** ICSK_ACK_NOMEM: data was refused for memory; the next ACK offers a zero window. */
    nomem?: boolean;
  };
  /** When data last arrived, jiffies (icsk_ack.lrcvtime). */
  lrcvtime: number;
  /** The size of the last small segment, for tcp_measure_rcv_mss() (icsk_ack.last_seg_size). */
  lastSegSize: number;
  /** TCP header bytes of a segment, 20 or 32 with timestamps (tcp_header_len). */
  tcpHeaderLen: number;
  /** The reader's share of the window, bytes (rcvq_space.space). */
  rcvqSpace: number;
  /** Where and when the reader's current RTT of copying began (rcvq_space.seq, .time, ns). */
  rcvqStart: { seq: number; time: number };
  /** When the last segment came in, ns (tcp_mstamp, refreshed on receive). */
  mstamp: number;
  /** The D-SACK block the next ACK carries first (duplicate_sack[0]), or null. */
  dsack: [number, number] | null;
  /** The error a reader gets (sk_err), such as ECONNRESET, or null. */
  error: string | null;
  /** When the delayed-ACK timer is due, jiffies (icsk_ack.timeout), or -1. */
  delackTimeout: number;
  /** Timestamps were agreed (rx_opt.tstamp_ok). */
  tstampOk: boolean;
  /** The peer's last TSval to echo (rx_opt.ts_recent). */
  tsRecent: number;
  /** This connection's timestamp offset (tsoffset). */
  tsOffset: number;
  /** SACK was agreed (rx_opt.sack_ok). */
  sackOk: boolean;
  /** Window scaling was agreed (rx_opt.wscale_ok). */
  wscaleOk: boolean;
  /** ECN was agreed (TCP_ECN_OK in ecn_flags). */
  ecnOk: boolean;
  /** SACK blocks to report, newest first (selective_acks). */
  selectiveAcks: [number, number][];
  /** The first dup ACKs for a hole go at once (dup_ack_counter, compressed_ack_rcv_nxt). */
  dupAckCounter: number;
  /** rcv_nxt the dup-ACK counter counts for. */
  compressedAckRcvNxt: number;
  /** Duplicate ACKs held back for the compressed-SACK timer (compressed_ack). */
  compressedAck: number;
  /** When the compressed-SACK hrtimer fires, ns, or -1 (compressed_ack_timer). */
  compressedAckAt: number;
  /** The receiver's RTT estimate, µs << 3 (rcv_rtt_est.rtt_us), 0 until measured. */
  rcvRttUs8: number;
  /** The window-based RTT measurement: the sequence it waits for and when it began, ns. */
  rcvRttEst: { seq: number; time: number };
  /** The last TS ecr a receive-RTT sample used (rcv_rtt_last_tsecr). */
  rcvRttLastTsecr: number;
  /** The TS ecr of the last segment that carried one (rx_opt.rcv_tsecr), as sent. */
  rcvTsecr: number;
  /** Bytes the application has read up to (copied_seq). */
  copiedSeq: number;
  /** The peer's FIN arrived (RCV_SHUTDOWN from tcp_fin()). */
  finReceived: boolean;
  /** The reader shut the read side (shutdown(SHUT_RD): RCV_SHUTDOWN). */
  recvShutdown: boolean;
  /** Our FIN went (SEND_SHUTDOWN). */
  sendShutdown: boolean;
  /** skb->len over truesize, in 1/256 (scaling_ratio). */
  scalingRatio: number;
  /** First byte of ours not yet acknowledged (snd_una). */
  sndUna: number;
  /** The peer's window, scaled (snd_wnd). */
  sndWnd: number;
  /** The sequence number of the segment that last updated snd_wnd (snd_wl1). */
  sndWl1: number;
  /**
   * The header word a segment must carry for the fast path (pred_flags): data offset, ACK
   * alone (PSH aside), and the window unchanged; 0 turns the fast path off.
   */
  predFlags: number;
  /** Bytes of ours the peer has acknowledged (bytes_acked): how old an ACK may be. */
  bytesAcked: number;
  /** close() left the connection to the kernel (SOCK_DEAD, an orphan). */
  dead: boolean;
  /** A dead socket whose FIN was acknowledged: a time-wait sock in FIN_WAIT2 (tcp_time_wait()). */
  timeWait: boolean;
  /** Segments received, GSO packets counted by their segments (segs_in, tcp_segs_in()). */
  segsIn: number;
  /** Of them, segments with data (data_segs_in). */
  dataSegsIn: number;
  /** Segments sent through tcp_transmit_skb() (segs_out): ACKs, SYN, FIN, resets. */
  segsOut: number;
  /** Sequence space received in order, the FIN's included (bytes_received). */
  bytesReceived: number;
  /** Segments that went to the out-of-order queue (rcv_ooopack). */
  rcvOoopack: number;
  /** When an ACK was last taken, jiffies (rcv_tstamp). */
  rcvTstamp: number;
  /** When data was last sent, jiffies (lsndtime): the kit sends none, so when the socket began. */
  lsndtime: number;
  /** Our segments the peer acknowledged, SYN and FIN included (delivered). */
  delivered: number;
  /** The congestion window, segments (snd_cwnd): TCP_INIT_CWND once established. */
  sndCwnd: number;
  /** When an ACK last answered a segment out of window, jiffies; 0 for never (last_oow_ack_time). */
  lastOowAckTime: number;
  /** Retransmissions, the handshake's included (total_retrans). */
  totalRetrans: number;
  /** The congestion state (icsk_ca_state): TCP_CA_Open (0) until a timeout, TCP_CA_Loss (4). */
  caState: number;
  /** Timeouts since snd_una last moved (icsk_retransmits, tcpi_retransmits). */
  retransmits: number;
  /** RTO doublings since the last RTT sample (icsk_backoff); tcp_write_queue_purge() clears it. */
  backoff: number;
  /** Times icsk_rto was doubled since tcp_set_rto() last set it from an RTT sample. */
  rtoDoublings: number;
  /**
   * The retransmission timer (icsk_retransmit_timer): what it does when it fires (icsk_pending)
   * and when, jiffies (icsk_timeout); null while nothing is pending.
   */
  xmitTimer: { pending: "retrans" | "loss_probe" | "probe0"; timeout: number } | null;
  /** Our FIN waits in the write queue for room in the peer's window (tcp_send_head()). */
  finQueued: boolean;
  /** Zero-window probes sent without an answer (icsk_probes_out, tcpi_probes). */
  probesOut: number;
  /** When the first of those probes went, jiffies; 0 for none (icsk_probes_tstamp). */
  probesTstamp: number;
  /** The keepalive timer (icsk_keepalive_timer) while armed: its identity, so a re-arm replaces it. */
  keepaliveTimer: object | null;
  /** The timewait sock's timer (tw_timer) while the connection is one: its identity. */
  twTimer: object | null;
  /** TCP_SKB_CB(skb)->sacked of our FIN while it waits for its ACK: TCPCB_* bits. */
  finSacked: number;
  /** Segments sent again and not yet acknowledged or lost again (retrans_out, tcpi_retrans). */
  retransOut: number;
  /** Segments marked lost (lost_out, tcpi_lost). */
  lostOut: number;
  /** snd_nxt when loss recovery began (high_seq). */
  highSeq: number;
  /** snd_nxt when a tail-loss probe went, 0 when none is out (tlp_high_seq). */
  tlpHighSeq: number;
  /** The probe sent again what was in flight (tlp_retrans). */
  tlpRetrans: boolean;
  /** The TCP clock (ms) of the first retransmission of this recovery, 0 for none (retrans_stamp). */
  retransStamp: number;
  /** snd_una when recovery began, 0 for none (undo_marker). */
  undoMarker: number;
  /** Retransmissions that may still prove the loss false; -1 for none (undo_retrans). */
  undoRetrans: number;
  /** The slow-start threshold, segments (snd_ssthresh): TCP_INFINITE_SSTHRESH until a loss. */
  sndSsthresh: number;
  /** cwnd and ssthresh when loss recovery began, for an undo (prior_cwnd, prior_ssthresh). */
  priorCwnd: number;
  /** See priorCwnd. */
  priorSsthresh: number;
  /** bbr's saved cwnd and the CA state its last ACK saw (struct bbr prior_cwnd, prev_ca_state). */
  bbr: { priorCwnd: number; prevCaState: number };
  /** tcp_init_transfer() ran: the connection was established, its buffer and RTO set. */
  transferInit: boolean;
}

/** A segment held in a TCP socket's out-of-order queue. */
export interface OfoSkb {
  /** Its first sequence number. */
  seq: number;
  /** Data bytes. */
  len: number;
  /** The skb's id in the ledger. */
  id: number;
  /** Memory charged for it. */
  truesize: number;
  /** Room left in its buffer for coalescing. */
  tailroom: number;
  /** Its buffer, shared while a clone lives. */
  buf: { readonly dataref: number };
  /** It carries the peer's FIN, one sequence number after its data. */
  fin?: boolean;
  /** The segments it holds (gso_segs, summed as segments are coalesced into it). */
  segs: number;
}

/** What SO_MEMINFO reports (sk_get_meminfo()) that the kit models, bytes but the drops. */
export interface SkMeminfo {
  /** SK_MEMINFO_RMEM_ALLOC: charged to queued skbs. */
  rmemAlloc: number;
  /** SK_MEMINFO_RCVBUF: sk_rcvbuf. */
  rcvbuf: number;
  /** SK_MEMINFO_SNDBUF: sk_sndbuf. */
  sndbuf: number;
  /** SK_MEMINFO_FWD_ALLOC: scheduled and not yet charged. */
  fwdAlloc: number;
  /** SK_MEMINFO_WMEM_QUEUED: skbs queued to send or not yet acknowledged. */
  wmemQueued: number;
  /** SK_MEMINFO_BACKLOG: on the backlog. */
  backlog: number;
  /** SK_MEMINFO_DROPS: sk_drops. */
  drops: number;
}

/**
 * The socket's memory as getsockopt(SO_MEMINFO) and `ss -m`'s skmem show it (sk_get_meminfo()).
 * @param sk the socket
 * @returns its memory
 */
export function skGetMeminfo(sk: Sock): SkMeminfo {
  return {
    rmemAlloc: sk.rmemAlloc,
    rcvbuf: sk.rcvbuf,
    sndbuf: sk.sndbuf,
    fwdAlloc: sk.forwardAlloc,
    wmemQueued: sk.wmemQueued,
    backlog: sk.backlogLen,
    drops: sk.drops,
  };
}

/** SOCK_MIN_RCVBUF (include/net/sock.h): 2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff)). */
export const SOCK_MIN_RCVBUF = 2304;

/**
 * Sets a socket's receive buffer, as SO_RCVBUF does (net/core/sock.c: sock_setsockopt() →
 * __sock_set_rcvbuf()): the value within net.core.rmem_max, doubled for the kernel's overhead,
 * at least SOCK_MIN_RCVBUF, and locked against autotuning.
 * @param sk the socket
 * @param val the value given
 * @param rmemMax net.core.rmem_max
 * @example
 * ```ts
 * import { Sock, sockSetRcvbuf } from "@rxpath/rxpath";
 * const sk = new Sock({ protocol: 6, rcvSaddr: 0, num: 80, rcvbuf: 131072, ino: 1 });
 * sockSetRcvbuf(sk, 16384, 4194304);
 * console.log(sk.rcvbuf, sk.rcvbufLocked); // 32768 true
 * ```
 */
export function sockSetRcvbuf(sk: Sock, val: number, rmemMax: number): void {
  const v = Math.min(Math.max(val, 0), rmemMax, 0x3fffffff);
  sk.rcvbufLocked = true;
  sk.rcvbuf = Math.max(v * 2, SOCK_MIN_RCVBUF);
}

// include/asm-generic/page.h on x86-64: the unit of socket memory accounting
const PAGE_SIZE = 4096;

/**
 * Makes sure `size` bytes can be charged to a socket's receive side, as sk_rmem_schedule():
 * what sk_forward_alloc lacks is scheduled in whole pages (__sk_mem_schedule(); the protocol's
 * memory limits are not modelled).
 * @param sk the socket
 * @param size bytes about to be charged (an skb's truesize)
 */
export function skRmemSchedule(sk: Sock, size: number): void {
  const delta = size - sk.forwardAlloc;
  if (delta > 0) sk.forwardAlloc += Math.ceil(delta / PAGE_SIZE) * PAGE_SIZE;
}

/**
 * Charges a queued skb to its socket, as skb_set_owner_r(): sk_rmem_alloc grows by its
 * truesize, taken from sk_forward_alloc (sk_mem_charge()).
 * @param sk the socket
 * @param truesize the skb's truesize
 */
export function skbSetOwnerR(sk: Sock, truesize: number): void {
  sk.rmemAlloc += truesize;
  sk.forwardAlloc -= truesize;
}

/**
 * Releases a freed skb's charge, as sock_rfree() → sk_mem_uncharge(): the truesize returns to
 * sk_forward_alloc, and whole pages beyond one go back (sk_mem_reclaim()).
 * @param sk the socket
 * @param truesize the skb's truesize
 */
export function sockRfree(sk: Sock, truesize: number): void {
  sk.rmemAlloc -= truesize;
  sk.forwardAlloc += truesize;
  if (sk.forwardAlloc >= PAGE_SIZE) sk.forwardAlloc %= PAGE_SIZE;
}

/**
 * Queues an skb to send and charges it, as tcp_queue_skb() after sk_forced_mem_schedule():
 * sk_wmem_queued grows by its truesize, taken from sk_forward_alloc, which gets the pages it
 * lacks whatever the limits.
 * @param sk the socket
 * @param truesize the skb's truesize
 */
export function skWmemQueue(sk: Sock, truesize: number): void {
  skRmemSchedule(sk, truesize);
  sk.wmemQueued += truesize;
  sk.forwardAlloc -= truesize;
}

/**
 * Frees an acknowledged skb of the send queue, as tcp_wmem_free_skb(): its charge returns to
 * sk_forward_alloc, and whole pages beyond one go back (sk_mem_reclaim()).
 * @param sk the socket
 * @param truesize the skb's truesize
 */
export function skWmemFree(sk: Sock, truesize: number): void {
  sk.wmemQueued -= truesize;
  sk.forwardAlloc += truesize;
  if (sk.forwardAlloc >= PAGE_SIZE) sk.forwardAlloc %= PAGE_SIZE;
}

/**
 * Takes a socket for a task, as lock_sock(): until {@linkcode releaseSock}, softirq leaves the
 * socket's segments on its backlog and its timers leave their work for the release.
 * @param sk the socket
 */
export function lockSock(sk: Sock): void {
  sk.ownedByUser = true;
}

/**
 * Releases a socket a task held, as release_sock() → __release_sock(): the segments its backlog
 * gathered go to sk_backlog_rcv now, in the task's context, until none is left, then
 * sk_backlog.len is reset; the timer work that found the socket owned runs last
 * (tcp_release_cb()).
 * @param net the namespace
 * @param cpu the CPU the task runs on
 * @param sk the socket
 */
export function releaseSock(net: Net, cpu: Cpu, sk: Sock): void {
  net.sim.traced(cpu, "release_sock", () => {
    if (sk.backlog.length) {
      net.sim.traced(cpu, "__release_sock", () => {
        while (sk.backlog.length) {
          for (const skb of sk.backlog.splice(0)) sk.backlogRcv?.(cpu, skb);
        }
        sk.backlogLen = 0;
      });
    }
    sk.ownedByUser = false;
    if (sk.deferred.length) {
      net.sim.traced(cpu, "tcp_release_cb", () => {
        for (const work of sk.deferred.splice(0)) work();
      });
    }
  });
}

/** A connection in SYN_RECV (struct tcp_request_sock), with what its SYN offered. */
export interface TcpRequestSock {
  /** The peer's address, host order. */
  saddr: number;
  /** The peer's port. */
  sport: number;
  /** Our address, host order. */
  daddr: number;
  /** Our initial sequence number. */
  iss: number;
  /** The peer's initial sequence number. */
  irs: number;
  /** The peer's MSS, or 536 when its SYN gave none (rx_opt.mss_clamp). */
  mssClamp: number;
  /** Window scaling agreed, and the peer's shift. */
  wscaleOk: boolean;
  /** The peer's shift (snd_wscale). */
  sndWscale: number;
  /** Our shift (rcv_wscale). */
  rcvWscale: number;
  /** SACK agreed. */
  sackOk: boolean;
  /** ECN agreed: the SYN asked with ECE and CWR, and tcp_ecn allows it (ecn_ok). */
  ecnOk: boolean;
  /** Timestamps agreed, and the SYN's TSval. */
  tstampOk: boolean;
  /** The SYN's TSval (ts_recent). */
  tsRecent: number;
  /** The timestamp offset of the connection (ts_off). */
  tsOffset: number;
  /** The window offered in the SYN-ACK (rsk_rcv_wnd). */
  rcvWnd: number;
  /** The window clamp (rsk_window_clamp). */
  windowClamp: number;
  /** When the SYN-ACK went, ns (snt_synack), for the RTT the handshake's ACK measures. */
  sentAt: number;
  /** SYN-ACKs sent again (num_retrans): then only a timestamp can measure the RTT. */
  retrans: number;
  /** Its ACK came while the accept queue was full or TCP_DEFER_ACCEPT held it (inet_rsk(req)->acked). */
  acked: boolean;
  /** How often its timer has fired (num_timeout). */
  numTimeout: number;
  /** When it last answered a segment out of its window or a SYN again, jiffies; 0 for never
   * (last_oow_ack_time). */
  lastOowAckTime: number;
  /** When its timer (rsk_timer) is due, ns: an expiry at another time was moved. */
  timerDue: number;
  /** A SYN cookie stands for it: no request was kept (req->syncookie). */
  syncookie: boolean;
  /** The receive queue its SYN came in on (sk_rx_queue_set()), or -1 when none was recorded. */
  rxQueue: number;
  /** The IP options its SYN carried, echoed for its SYN-ACKs (ireq_opt, tcp_v4_save_options()). */
  ireqOpt: ReplyOptions | null;
}

/**
 * Records the receive queue a packet came in on as the socket's (__sk_rx_queue_set()), when
 * its driver recorded one: `sk_rx_queue_set()` always, `sk_rx_queue_update()` when it changed
 * (the same, without the write).
 * @param sk the socket or request
 * @param skb the packet
 */
export function skRxQueueSet(sk: { rxQueue: number }, skb: SkBuff): void {
  if (skb.queueMapping) sk.rxQueue = skb.queueMapping - 1;
}

/**
 * Caches the input route a connection's packet took, and its device, for early demux to give
 * the next one (inet_sk_rx_dst_set()).
 * @param sk the connection
 * @param skb the packet, routed (its dst set)
 */
export function inetSkRxDstSet(sk: Sock, skb: SkBuff): void {
  if (!skb.dst) return;
  sk.rxDst = skb.dst;
  sk.rxDstIfindex = skb.dev?.ifindex ?? 0;
}

/** Options of a new {@linkcode Sock}. */
export interface SockOptions {
  /** IPPROTO_UDP or IPPROTO_TCP. */
  protocol: number;
  /** Bound address, host order; 0 for INADDR_ANY. */
  rcvSaddr: number;
  /** Bound port. */
  num: number;
  /** Connected peer address, host order, or 0. */
  daddr?: number;
  /** Connected peer port, or 0. */
  dport?: number;
  /** State; default CLOSE (unconnected UDP), ESTABLISHED for a connected one. */
  state?: number;
  /** sk_rcvbuf, bytes. */
  rcvbuf: number;
  /** Bound device (SO_BINDTODEVICE) ifindex, or 0. */
  boundDevIf?: number;
  /** SO_REUSEPORT. */
  reuseport?: boolean;
  /** Inode number, as /proc/net/udp shows it. */
  ino: number;
}

/**
 * A socket's receive side (struct sock): its addresses, receive queue and memory account, and
 * the tasks sleeping on it (sk_wq).
 *
 * @example
 * ```ts
 * import { Sock } from "@rxpath/rxpath";
 * const sk = new Sock({ protocol: 17, rcvSaddr: 0, num: 5000, rcvbuf: 212992, ino: 1 });
 * console.log(sk.rmemAlloc, sk.drops); // 0 0
 * ```
 */
export class Sock {
  /** IPPROTO_UDP or IPPROTO_TCP (sk_protocol). */
  readonly protocol: number;
  /** Bound address (inet_rcv_saddr). */
  rcvSaddr: number;
  /** Bound port (inet_num). */
  num: number;
  /** Peer address (inet_daddr). */
  daddr: number;
  /** Peer port (inet_dport). */
  dport: number;
  /** State (sk_state). */
  state: number;
  /** Receive buffer limit, bytes (sk_rcvbuf). */
  rcvbuf: number;
  /** Send buffer limit, bytes (sk_sndbuf): for TCP, tcp_wmem[1], then tcp_sndbuf_expand(). */
  sndbuf = 0;
  /** Bound device, or 0 (sk_bound_dev_if). */
  boundDevIf: number;
  /** SO_REUSEPORT (sk_reuseport). */
  reuseport: boolean;
  /** Bytes charged for queued skbs (sk_rmem_alloc). */
  rmemAlloc = 0;
  /** Receive-buffer and other drops (sk_drops). */
  drops = 0;
  /**
   * Queued skbs (sk_receive_queue), with the bytes each carries to the reader; for TCP, the
   * buffer room after them a later segment may be copied into (skb_tailroom()).
   */
  readonly receiveQueue: {
    id: number;
    truesize: number;
    len: number;
    arrived: number;
    /** The skb's receive timestamp (skb->tstamp), 0 if none was taken. */
    tstamp?: number;
    tailroom?: number;
    buf?: { readonly dataref: number };
    /** Bytes of it already read (the reader's offset into a partly read skb). */
    offset?: number;
    /** It carries the peer's FIN. */
    fin?: boolean;
  }[] = [];
  /** Memory scheduled for this socket and not yet charged to an skb, bytes (sk_forward_alloc). */
  forwardAlloc = 0;
  /** SO_TIMESTAMPNS is set: reads report the datagram's receive time (SOCK_RCVTSTAMP). */
  rcvTstamp = false;
  /** UDP: bytes read and not yet returned (udp_sock.forward_deficit). */
  forwardDeficit = 0;
  /** UDP: the deficit that is returned at once (udp_sock.forward_threshold, sk_rcvbuf / 4). */
  forwardThreshold = 0;
  /**
   * UDP: how many of the receive queue's first datagrams the reader has taken over
   * (udp_sock.reader_queue, spliced from sk_receive_queue when it runs dry).
   */
  readerQueueLen = 0;
  /** Truesize of the skbs queued to send or awaiting their ACK (sk_wmem_queued). */
  wmemQueued = 0;
  /**
   * A task holds the socket (sock_owned_by_user(): lock_sock() taken); softirq then leaves its
   * segments on the backlog.
   */
  ownedByUser = false;
  /**
   * The receive queue its packets last came in on (sk_rx_queue_mapping), or -1
   * (NO_QUEUE_MAPPING): XPS by receive queue sends its packets by it.
   */
  rxQueue: number = -1;
  /**
   * The input route its last packet took (sk_rx_dst), which early demux gives the next one
   * instead of a route lookup; its type is the routing layer's.
   */
  rxDst: object | null = null;
  /** The device that route was for (sk_rx_dst_ifindex). */
  rxDstIfindex = 0;
  /** Segments that came while the socket was owned (sk_backlog), for release_sock(). */
  readonly backlog: SkBuff[] = [];
  /** The truesize on the backlog (sk_backlog.len), reset when release_sock() has drained it. */
  backlogLen = 0;
  /** A timer that found the socket owned left its work to release_sock() (tcp_release_cb()). */
  readonly deferred: (() => void)[] = [];
  /** What release_sock() does with a backlogged skb (sk_backlog_rcv: tcp_v4_do_rcv for TCP). */
  backlogRcv: ((cpu: Cpu, skb: SkBuff) => void) | null = null;
  /** The CPU that last handled its packets (sk_incoming_cpu), or -1. */
  incomingCpu: number = -1;
  /** Tasks sleeping in recvmsg (the wait queue). */
  readonly waiters: { wake(): boolean }[] = [];
  /** Inode number. */
  readonly ino: number;
  /** SO_BUSY_POLL in µs (sk_ll_usec), from net.core.busy_read. */
  llUsec = 0;
  /** SO_RCVBUF set the buffer: it no longer grows by itself (SOCK_RCVBUF_LOCK). */
  rcvbufLocked = false;
  /** Bytes a reader waits for (sk_rcvlowat, SO_RCVLOWAT), 1 by default. */
  rcvlowat = 1;
  /**
   * For a TCP socket: TCP_USER_TIMEOUT, ms (icsk_user_timeout): how long retransmissions and
   * window probes may go unanswered before the connection fails; 0 for the sysctls' limits.
   */
  userTimeout = 0;
  /**
   * For a listener: TCP_DEFER_ACCEPT as SYN-ACK timeouts (rskq_defer_accept): until that many
   * have passed, a bare ACK completing a handshake is dropped and the request waits for data.
   */
  deferAccept = 0;
  /** For a TCP socket: TCP_MAXSEG (rx_opt.user_mss), the most MSS it announces and takes; 0: none. */
  userMss = 0;
  /** SO_LINGER: the linger time in seconds (sk_lingertime) when SOCK_LINGER is set, else null. */
  lingerTime: number | null = null;
  /**
   * For a TCP socket: TCP_LINGER2, jiffies (linger2): how long an orphan waits in FIN_WAIT2; 0
   * for tcp_fin_timeout, negative to reset at once.
   */
  linger2 = 0;
  /** SO_KEEPALIVE is set (SOCK_KEEPOPEN). */
  keepOpen = false;
  /**
   * TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT (keepalive_time and keepalive_intvl in seconds,
   * keepalive_probes); 0 for the tcp_keepalive_* sysctls.
   */
  readonly keepalive = { time: 0, intvl: 0, probes: 0 };
  /** For a TCP socket: next sequence number expected (rcv_nxt). */
  rcvNxt = 0;
  /** For a TCP socket: out-of-order segments held (out_of_order_queue), a red-black tree. */
  readonly outOfOrder: RbTree<OfoSkb> = new RbTree();
  /** For a TCP listener: connections waiting in SYN_RECV (request socks). */
  readonly requests: TcpRequestSock[] = [];
  /**
   * For a TCP listener: when it last sent a SYN cookie, in jiffies (tcp_synq_overflow(), kept in
   * rx_opt.ts_recent_stamp), or null; cookies are accepted for two minutes after.
   */
  synqOverflowAt: number | null = null;
  /** For a TCP connection: its sequence, window and ACK state. */
  tcp: TcpSockState | null = null;
  /** For a TCP listener: established children waiting for accept() (icsk_accept_queue). */
  readonly acceptQueue: Sock[] = [];
  /** For a TCP listener: listen()'s backlog within net.core.somaxconn (sk_max_ack_backlog). */
  maxAckBacklog = 0;

  /**
   * Makes a socket.
   * @param o addresses, buffer, inode
   */
  constructor(o: SockOptions) {
    this.protocol = o.protocol;
    this.rcvSaddr = o.rcvSaddr;
    this.num = o.num;
    this.daddr = o.daddr ?? 0;
    this.dport = o.dport ?? 0;
    this.state = o.state ?? (o.daddr ? TCP_STATES.ESTABLISHED : TCP_STATES.CLOSE);
    this.rcvbuf = o.rcvbuf;
    this.boundDevIf = o.boundDevIf ?? 0;
    this.reuseport = o.reuseport ?? false;
    this.ino = o.ino;
  }
}
