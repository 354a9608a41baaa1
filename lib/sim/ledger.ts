// Accounts for every packet buffer: each one that enters the model ends exactly one way, or is
// still sitting in a queue when the run stops. A packet that vanishes is a bug in the model.

/** How an skb's life ended; "merged" means GRO moved its data into another skb. */
export type FateKind = "delivered" | "forwarded" | "dropped" | "merged";

/** The end of one skb's life. */
export interface Fate {
  /** The skb id. */
  skb: number;
  /** Delivered (to a socket or a counting sink), forwarded, dropped, or merged by GRO. */
  kind: FateKind;
  /** For a drop, the kernel's skb_drop_reason name without the SKB_DROP_REASON_ prefix. */
  reason?: string;
  /** Where it ended: the function or component. */
  where: string;
  /** For a merge: the skb that carries its data on (GRO or IP reassembly). */
  into?: number;
  /** Virtual time in ns. */
  t: number;
}

/** Something that holds skbs at the end of a run: a ring, a backlog, a socket queue. */
export interface SkbHolder {
  /** Its name, for the error message. */
  name: string;
  /** The ids of the skbs it holds now. */
  skbIds(): Iterable<number>;
}

/**
 * The ledger of skb lives: born, then ended once.
 *
 * @example
 * ```ts
 * import { SkbLedger } from "@rxpath/rxpath";
 * const l = new SkbLedger();
 * const id = l.born();
 * l.end({ skb: id, kind: "dropped", reason: "NO_SOCKET", where: "udp_rcv", t: 5 });
 * l.check([]); // every skb accounted for
 * ```
 */
export class SkbLedger {
  /** Every fate, in order (none while {@linkcode SkbLedger.onEnd} is set). */
  readonly fates: Fate[] = [];
  /**
   * Told every fate instead of the ledger keeping it: a reader that forgets what it has used
   * makes a run of any length cost the same memory.
   */
  onEnd: ((fate: Fate) => void) | null = null;
  #next = 1;
  #alive = new AliveIds();

  /** The id the next skb born will get. */
  get nextId(): number {
    return this.#next;
  }

  /** How many skbs are alive now (not yet ended). */
  get alive(): number {
    return this.#alive.size;
  }

  /**
   * Registers a new skb.
   * @returns its id, unique within the run
   */
  born(): number {
    const id = this.#next++;
    this.#alive.add(id);
    return id;
  }

  /**
   * Ends an skb's life (an skb with a negative id, never born, ends without the check).
   * @param fate how it ended
   */
  end(fate: Fate): void {
    // an skb the ledger does not follow (a frame the stack built) was never born: its end is
    // told all the same
    if (fate.skb >= 0 && !this.#alive.delete(fate.skb)) {
      throw new Error(
        `BUG: skb ${fate.skb} ended twice or never born (${fate.kind} in ${fate.where})`,
      );
    }
    if (this.onEnd) this.onEnd(fate);
    else this.fates.push(fate);
  }

  /**
   * Checks that every skb alive is held by one of the holders, and none by two.
   * @param holders every place that can hold skbs at the end of the run
   * @throws {Error} naming the skbs that are lost or held twice
   */
  check(holders: Iterable<SkbHolder>): void {
    const held = new Map<number, string>();
    for (const h of holders) {
      for (const id of h.skbIds()) {
        if (held.has(id)) {
          throw new Error(`BUG: skb ${id} is held by both ${held.get(id)} and ${h.name}`);
        }
        if (!this.#alive.has(id)) throw new Error(`BUG: skb ${id} in ${h.name} has already ended`);
        held.set(id, h.name);
      }
    }
    const lost = [...this.#alive.ids()].filter((id) => !held.has(id));
    if (lost.length > 0) {
      throw new Error(
        `BUG: ${lost.length} skb(s) neither ended nor queued: ${lost.slice(0, 10).join(", ")}`,
      );
    }
  }

  /**
   * Counts the fates kept by kind and, for drops, by reason.
   * @returns counts such as `{ delivered: 10, "dropped:NO_SOCKET": 2 }`
   */
  summary(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const f of this.fates) {
      const key = f.kind === "dropped" ? `dropped:${f.reason}` : f.kind;
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  }
}

// Ids are handed out in order, so the live ones sit in pages of a bitmap: adding and deleting
// cost no hashing, and a page whose skbs have all ended is freed, so a run of any length keeps
// only the pages of skbs still alive.
const PAGE_BITS = 12;
const PAGE = 1 << PAGE_BITS;

class AliveIds {
  #pages: (Uint8Array | null)[] = [];
  #live: number[] = [];
  size = 0;

  add(id: number): void {
    const p = id >>> PAGE_BITS;
    while (this.#pages.length <= p) {
      // the page before is complete now: freed if its skbs have all ended already
      const last = this.#pages.length - 1;
      if (last >= 0 && this.#live[last] === 0) this.#pages[last] = null;
      this.#pages.push(new Uint8Array(PAGE));
      this.#live.push(0);
    }
    this.#pages[p]![id & (PAGE - 1)] = 1;
    this.#live[p]++;
    this.size++;
  }

  has(id: number): boolean {
    return this.#pages[id >>> PAGE_BITS]?.[id & (PAGE - 1)] === 1;
  }

  delete(id: number): boolean {
    if (!this.has(id)) return false;
    const p = id >>> PAGE_BITS;
    this.#pages[p]![id & (PAGE - 1)] = 0;
    this.size--;
    // a page is done once its last id has been handed out and every one of its skbs has ended
    if (--this.#live[p] === 0 && p < this.#pages.length - 1) this.#pages[p] = null;
    return true;
  }

  *ids(): Generator<number> {
    for (let p = 0; p < this.#pages.length; p++) {
      const page = this.#pages[p];
      if (!page) continue;
      for (let i = 0; i < PAGE; i++) if (page[i]) yield (p << PAGE_BITS) | i;
    }
  }
}
