// epoll for a packetdrill run (fs/eventpoll.c, Linux 6.18): an instance watches sockets; a
// socket's wakeup (sock_def_readable() → ep_poll_callback()) puts its item on the ready list;
// epoll_wait() reports each ready item's poll mask (tcp_poll()) within its events —
// edge-triggered items (EPOLLET) leave the list once reported, level-triggered ones stay while
// still ready (ep_send_events()).

import type { Sock } from "../core/sock.ts";
import { EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, tcpPoll } from "../ipv4/tcp.ts";
import { udpPoll } from "../ipv4/udp.ts";

/**
 * A socket's poll mask: tcp_poll() for TCP, udp_poll() for UDP.
 * @param sk the socket
 * @returns EPOLL* bits
 */
export function sockPoll(sk: Sock): number {
  return sk.protocol === 17 ? udpPoll(sk) : tcpPoll(sk);
}

// include/uapi/linux/eventpoll.h (POLL* have the same values, include/uapi/asm-generic/poll.h)
const EVENT_BITS: [string, number][] = [
  ["IN", EPOLLIN],
  ["PRI", 0x002],
  ["OUT", EPOLLOUT],
  ["ERR", EPOLLERR],
  ["HUP", EPOLLHUP],
  ["RDNORM", 0x040],
  ["WRNORM", 0x100],
  ["RDHUP", EPOLLRDHUP],
];
const EPOLLONESHOT = 1 << 30;
const EPOLLET = 2 ** 31;

/**
 * The value of an EPOLL* or POLL* name a script writes.
 * @param name the name, such as `EPOLLIN` or `POLLOUT`
 * @returns its bits, or null for a name that is neither
 */
export function epollEvents(name: string): number | null {
  if (name === "EPOLLET") return EPOLLET;
  if (name === "EPOLLONESHOT") return EPOLLONESHOT;
  const m = /^E?POLL([A-Z]+)$/.exec(name);
  return m ? EVENT_BITS.find(([n]) => n === m[1])?.[1] ?? null : null;
}

/**
 * Poll bits as a comparable text, `IN|OUT`, or `0`.
 * @param mask the bits
 * @returns the text
 */
export function pollEventsText(mask: number): string {
  const names = EVENT_BITS.filter(([, bit]) => mask & bit).map(([n]) => n);
  return names.length ? names.join("|") : "0";
}

interface EpItem {
  fd: number;
  sk: Sock;
  events: number;
  ready: boolean;
}

/** An epoll instance (struct eventpoll): the items it watches and which are ready. */
export class EpollInstance {
  readonly #items = new Map<number, EpItem>();
  #readyOrder: EpItem[] = [];

  /**
   * epoll_ctl(): adds, changes or removes a socket's item; an item added or changed is ready
   * at once if the socket already reports one of its events (ep_insert(), ep_modify()).
   * @param op EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL
   * @param fd the socket's descriptor
   * @param sk the socket
   * @param events the events wanted, EPOLLET and EPOLLONESHOT included
   * @returns false for an add of a watched descriptor or a change of an unwatched one
   */
  ctl(op: string, fd: number, sk: Sock, events: number): boolean {
    const item = this.#items.get(fd);
    if (op === "EPOLL_CTL_DEL") {
      if (!item) return false;
      this.#items.delete(fd);
      this.#readyOrder = this.#readyOrder.filter((i) => i !== item);
      return true;
    }
    if ((op === "EPOLL_CTL_ADD") === (item !== undefined)) return false;
    const it = item ?? { fd, sk, events, ready: false };
    it.events = events;
    if (!item) {
      this.#items.set(fd, it);
      this.#watch(it);
    }
    if (sockPoll(sk) & events) this.#makeReady(it);
    return true;
  }

  /**
   * The sockets the instance watches.
   * @returns them, in the order they were added
   */
  sockets(): Sock[] {
    return [...this.#items.values()].map((it) => it.sk);
  }

  /**
   * epoll_wait(): the ready items' events, at most `maxevents`, as `IN|OUT` texts in ready-list
   * order.
   * @param maxevents how many at most
   * @returns the events reported
   */
  wait(maxevents: number): string[] {
    const out: string[] = [];
    const keep: EpItem[] = [];
    for (const it of this.#readyOrder) {
      if (out.length >= maxevents) {
        keep.push(it);
        continue;
      }
      it.ready = false;
      const revents = sockPoll(it.sk) & it.events;
      if (!revents) continue;
      out.push(pollEventsText(revents));
      if (it.events & EPOLLONESHOT) it.events &= EPOLLET | EPOLLONESHOT;
      else if (!(it.events & EPOLLET)) {
        it.ready = true; // level-triggered: back on the list while it stays ready
        keep.push(it);
      }
    }
    this.#readyOrder = keep;
    return out;
  }

  // ep_ptable_queue_proc(): a wait-queue entry on the socket that stays; each wakeup is
  // ep_poll_callback(), putting the item on the ready list
  #watch(it: EpItem): void {
    const entry = {
      wake: () => {
        if (this.#items.get(it.fd) !== it) return false;
        it.sk.waiters.push(entry);
        if (it.events & ~(EPOLLET | EPOLLONESHOT)) this.#makeReady(it);
        return false;
      },
    };
    it.sk.waiters.push(entry);
  }

  #makeReady(it: EpItem): void {
    if (it.ready) return;
    it.ready = true;
    this.#readyOrder.push(it);
  }
}
