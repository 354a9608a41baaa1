// The kernel's red-black tree (lib/rbtree.c, include/linux/rbtree*.h), ported rotation for
// rotation: TCP's out-of-order queue is one, and where a walk down it meets overlapping
// segments — so what it drops and D-SACKs — depends on the tree's very shape.

/** A node (struct rb_node) with the value it carries. */
export interface RbNode<T> {
  /** What the node holds (the skb, for the out-of-order queue). */
  readonly value: T;
  /** Left child: values before this one. */
  left: RbNode<T> | null;
  /** Right child. */
  right: RbNode<T> | null;
  /** Parent, null at the root. */
  parent: RbNode<T> | null;
  /** Red, else black. */
  red: boolean;
}

/**
 * A red-black tree (struct rb_root) whose users walk it themselves, as the kernel's do: find a
 * place, {@linkcode RbTree.link} a node there, then {@linkcode RbTree.insertColor}.
 *
 * @example
 * ```ts
 * import { RbTree } from "@rxpath/rxpath";
 * const t = new RbTree<number>();
 * for (const v of [3, 1, 2]) t.insertBy(v, (a, b) => a < b);
 * console.log(t.values(), t.root!.value); // [ 1, 2, 3 ] 2
 * ```
 */
export class RbTree<T> {
  /** The root node, null when empty (rb_root.rb_node). */
  root: RbNode<T> | null = null;
  readonly #nodes = new Map<T, RbNode<T>>();
  #inOrder: T[] | null = [];

  /** How many values the tree holds. */
  get size(): number {
    return this.#nodes.size;
  }

  /**
   * The node holding a value.
   * @param value a value in the tree
   * @returns its node
   */
  nodeOf(value: T): RbNode<T> {
    const n = this.#nodes.get(value);
    if (!n) throw new Error("BUG: the value is not in the tree");
    return n;
  }

  /**
   * The values in order (an in-order walk); the array is the tree's until the next change.
   * @returns the values
   */
  values(): readonly T[] {
    if (!this.#inOrder) {
      const out: T[] = [];
      for (let n = this.first(); n; n = this.next(n)) out.push(n.value);
      this.#inOrder = out;
    }
    return this.#inOrder;
  }

  /**
   * The leftmost node (rb_first()).
   * @returns it, or null when empty
   */
  first(): RbNode<T> | null {
    let n = this.root;
    while (n?.left) n = n.left;
    return n;
  }

  /**
   * The rightmost node (rb_last()).
   * @returns it, or null when empty
   */
  last(): RbNode<T> | null {
    let n = this.root;
    while (n?.right) n = n.right;
    return n;
  }

  /**
   * The node after one in order (rb_next()).
   * @param node a node of the tree
   * @returns the next, or null
   */
  next(node: RbNode<T>): RbNode<T> | null {
    if (node.right) {
      let n = node.right;
      while (n.left) n = n.left;
      return n;
    }
    let n: RbNode<T> = node;
    while (n.parent && n === n.parent.right) n = n.parent;
    return n.parent;
  }

  /**
   * Puts a new red node below `parent` (rb_link_node()); {@linkcode RbTree.insertColor} must
   * follow.
   * @param value the value
   * @param parent the node found by the walk, or null for an empty tree
   * @param left as its left child, else its right
   * @returns the node
   */
  link(value: T, parent: RbNode<T> | null, left: boolean): RbNode<T> {
    const node: RbNode<T> = { value, left: null, right: null, parent, red: true };
    if (!parent) this.root = node;
    else if (left) parent.left = node;
    else parent.right = node;
    this.#nodes.set(value, node);
    this.#inOrder = null;
    return node;
  }

  /**
   * Inserts a value where `before(value, node)` sends the walk left, else right
   * (tcp_rbtree_insert()'s walk), and rebalances.
   * @param value the value
   * @param before whether the value goes before a node's
   * @returns its node
   */
  insertBy(value: T, before: (a: T, b: T) => boolean): RbNode<T> {
    let parent: RbNode<T> | null = null;
    let left = false;
    for (let n = this.root; n;) {
      parent = n;
      left = before(value, n.value);
      n = left ? n.left : n.right;
    }
    const node = this.link(value, parent, left);
    this.insertColor(node);
    return node;
  }

  /**
   * Rebalances after {@linkcode RbTree.link}, as rb_insert_color() (__rb_insert()); as in
   * lib/rbtree.c, the left and right cases are written out mirror-fashion.
   * @param node the node just linked
   */
  insertColor(node: RbNode<T>): void {
    let parent = node.parent;
    for (;;) {
      if (!parent) {
        node.red = false;
        break;
      }
      if (!parent.red) break;
      const gparent = parent.parent!;
      if (parent !== gparent.right) {
        let tmp = gparent.right;
        if (tmp?.red) {
          tmp.red = false;
          parent.red = false;
          node = gparent;
          parent = node.parent;
          node.red = true;
          continue;
        }
        tmp = parent.right;
        if (node === tmp) {
          tmp = node.left;
          parent.right = tmp;
          node.left = parent;
          if (tmp) this.#setParent(tmp, parent, false);
          this.#setParent(parent, node, true);
          parent = node;
          tmp = node.right;
        }
        gparent.left = tmp;
        parent.right = gparent;
        if (tmp) this.#setParent(tmp, gparent, false);
        this.#rotateSetParents(gparent, parent, true);
        break;
      } else {
        let tmp = gparent.left;
        if (tmp?.red) {
          tmp.red = false;
          parent.red = false;
          node = gparent;
          parent = node.parent;
          node.red = true;
          continue;
        }
        tmp = parent.left;
        if (node === tmp) {
          tmp = node.right;
          parent.left = tmp;
          node.right = parent;
          if (tmp) this.#setParent(tmp, parent, false);
          this.#setParent(parent, node, true);
          parent = node;
          tmp = node.left;
        }
        gparent.right = tmp;
        parent.left = gparent;
        if (tmp) this.#setParent(tmp, gparent, false);
        this.#rotateSetParents(gparent, parent, true);
        break;
      }
    }
  }

  /**
   * Takes a node out and rebalances, as rb_erase() (__rb_erase_augmented(), then
   * ____rb_erase_color()): a node with two children gives its place to its successor.
   * @param node a node of the tree
   */
  erase(node: RbNode<T>): void {
    this.#nodes.delete(node.value);
    this.#inOrder = null;
    const child = node.right;
    let tmp = node.left;
    let parent: RbNode<T> | null;
    let rebalance: RbNode<T> | null;
    if (!tmp) {
      parent = node.parent;
      this.#changeChild(node, child, parent);
      if (child) {
        child.parent = node.parent;
        child.red = node.red;
        rebalance = null;
      } else rebalance = node.red ? null : parent;
    } else if (!child) {
      tmp.parent = node.parent;
      tmp.red = node.red;
      this.#changeChild(node, tmp, node.parent);
      rebalance = null;
    } else {
      let successor = child;
      let child2: RbNode<T> | null;
      tmp = child.left;
      if (!tmp) {
        parent = successor;
        child2 = successor.right;
      } else {
        do {
          parent = successor;
          successor = tmp;
          tmp = tmp.left;
        } while (tmp);
        child2 = successor.right;
        parent.left = child2;
        successor.right = child;
        child.parent = successor;
      }
      const left = node.left!; // both children: the left one is there
      successor.left = left;
      left.parent = successor;
      this.#changeChild(node, successor, node.parent);
      if (child2) {
        this.#setParent(child2, parent, false);
        rebalance = null;
      } else rebalance = successor.red ? null : parent;
      successor.parent = node.parent;
      successor.red = node.red;
    }
    if (rebalance) this.#eraseColor(rebalance);
  }

  /**
   * Puts a value in an old node's place, as rb_replace_node(): no rebalancing.
   * @param old the node replaced
   * @param value the new value
   * @returns the new node
   */
  replace(old: RbNode<T>, value: T): RbNode<T> {
    const node: RbNode<T> = { ...old, value };
    if (old.left) old.left.parent = node;
    if (old.right) old.right.parent = node;
    this.#changeChild(old, node, old.parent);
    this.#nodes.delete(old.value);
    this.#nodes.set(value, node);
    this.#inOrder = null;
    return node;
  }

  /** Empties the tree (skb_rbtree_purge()). */
  clear(): void {
    this.root = null;
    this.#nodes.clear();
    this.#inOrder = [];
  }

  #setParent(node: RbNode<T>, parent: RbNode<T> | null, red: boolean): void {
    node.parent = parent;
    node.red = red;
  }

  #changeChild(old: RbNode<T>, node: RbNode<T> | null, parent: RbNode<T> | null): void {
    if (!parent) this.root = node;
    else if (parent.left === old) parent.left = node;
    else parent.right = node;
  }

  // __rb_rotate_set_parents(): `node` takes `old`'s place and colour; old gets `red`
  #rotateSetParents(old: RbNode<T>, node: RbNode<T>, red: boolean): void {
    const parent = old.parent;
    node.parent = parent;
    node.red = old.red;
    this.#setParent(old, node, red);
    this.#changeChild(old, node, parent);
  }

  // ____rb_erase_color(), its two mirror cases written out as lib/rbtree.c writes them
  #eraseColor(parent: RbNode<T>): void {
    let node: RbNode<T> | null = null;
    for (;;) {
      let sibling = parent.right;
      if (node !== sibling) {
        let s = sibling!;
        if (s.red) {
          const t1 = s.left!;
          parent.right = t1;
          s.left = parent;
          this.#setParent(t1, parent, false);
          this.#rotateSetParents(parent, s, true);
          s = t1;
        }
        let tmp1 = s.right;
        if (!tmp1 || !tmp1.red) {
          const tmp2 = s.left;
          if (!tmp2 || !tmp2.red) {
            this.#setParent(s, parent, true);
            if (parent.red) parent.red = false;
            else {
              node = parent;
              const up = node.parent;
              if (up) {
                parent = up;
                continue;
              }
            }
            break;
          }
          tmp1 = tmp2.right;
          s.left = tmp1;
          tmp2.right = s;
          parent.right = tmp2;
          if (tmp1) this.#setParent(tmp1, s, false);
          tmp1 = s;
          s = tmp2;
        }
        const tmp2 = s.left;
        parent.right = tmp2;
        s.left = parent;
        this.#setParent(tmp1, s, false);
        if (tmp2) tmp2.parent = parent;
        this.#rotateSetParents(parent, s, false);
        break;
      } else {
        sibling = parent.left;
        let s = sibling!;
        if (s.red) {
          const t1 = s.right!;
          parent.left = t1;
          s.right = parent;
          this.#setParent(t1, parent, false);
          this.#rotateSetParents(parent, s, true);
          s = t1;
        }
        let tmp1 = s.left;
        if (!tmp1 || !tmp1.red) {
          const tmp2 = s.right;
          if (!tmp2 || !tmp2.red) {
            this.#setParent(s, parent, true);
            if (parent.red) parent.red = false;
            else {
              node = parent;
              const up = node.parent;
              if (up) {
                parent = up;
                continue;
              }
            }
            break;
          }
          tmp1 = tmp2.left;
          s.right = tmp1;
          tmp2.left = s;
          parent.left = tmp2;
          if (tmp1) this.#setParent(tmp1, s, false);
          tmp1 = s;
          s = tmp2;
        }
        const tmp2 = s.right;
        parent.left = tmp2;
        s.right = parent;
        this.#setParent(tmp1, s, false);
        if (tmp2) tmp2.parent = parent;
        this.#rotateSetParents(parent, s, false);
        break;
      }
    }
  }
}
