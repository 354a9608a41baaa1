import assert from "node:assert/strict";
import { type RbNode, RbTree } from "../../lib/core/rbtree.ts";
import { Rng } from "../../lib/sim/rng.ts";

// The red-black rules (lib/rbtree.c): the root is black, no red node has a red child, every
// path from a node down to its leaves passes the same number of black nodes; parents link back.
function blackHeight<T>(n: RbNode<T> | null, parent: RbNode<T> | null): number {
  if (!n) return 1;
  assert.equal(n.parent, parent, "a child links back to its parent");
  if (n.red) assert.ok(!n.left?.red && !n.right?.red, "a red node has black children");
  const l = blackHeight(n.left, n), r = blackHeight(n.right, n);
  assert.equal(l, r, "both subtrees have the same black height");
  return l + (n.red ? 0 : 1);
}

Deno.test("the red-black tree keeps the kernel's rules through random inserts and erases, in order", () => {
  const rng = new Rng(5);
  const t = new RbTree<number>();
  const kept = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const v = rng.nextU32() % 500;
    if (kept.has(v)) {
      t.erase(t.nodeOf(v));
      kept.delete(v);
    } else {
      t.insertBy(v, (a, b) => a < b);
      kept.add(v);
    }
    assert.ok(!t.root?.red, "the root is black");
    blackHeight(t.root, null);
  }
  assert.deepEqual(t.values(), [...kept].sort((a, b) => a - b));
  assert.equal(t.size, kept.size);
});

Deno.test("inserting 1 to 7 in order rotates as __rb_insert() does: 2 at the root, 4 below it red then recoloured", () => {
  const t = new RbTree<number>();
  for (let v = 1; v <= 7; v++) t.insertBy(v, (a, b) => a < b);
  const shape = (n: RbNode<number> | null): string =>
    n ? `${n.value}${n.red ? "r" : "b"}(${shape(n.left)},${shape(n.right)})` : "";
  assert.equal(shape(t.root), "2b(1b(,),4r(3b(,),6b(5r(,),7r(,))))");
});

Deno.test("replacing a node keeps its place and colour (rb_replace_node(), no rebalancing)", () => {
  const t = new RbTree<{ k: number }>();
  const vals = [10, 5, 15].map((k) => ({ k }));
  for (const v of vals) t.insertBy(v, (a, b) => a.k < b.k);
  const repl = { k: 5 };
  const n = t.replace(t.nodeOf(vals[1]), repl);
  assert.equal(t.root!.left, n);
  assert.equal(n.red, true);
  assert.deepEqual(t.values().map((v) => v.k), [5, 10, 15]);
  assert.equal(t.values()[0], repl);
});
